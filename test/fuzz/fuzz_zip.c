/*-------------------------------------------------------------------------
 *
 * test/fuzz/fuzz_zip.c
 *		libFuzzer target: any bytes as an in-memory ZIP archive.
 *
 * Opening must succeed or fail with a filled SageError; every member of
 * an opened archive is then streamed to its end (or to a filled error)
 * with a small buffer, and small members are also read whole. Limits are
 * lowered so zip bombs found by the fuzzer stay cheap; the input buffer
 * is an exact-size heap copy so ASan catches any over-read.
 *
 *-------------------------------------------------------------------------
 */
#include <stdlib.h>
#include <string.h>

#include "sage/zip.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A failure must come with a code and a message. */
static void
fz_check_error(const SageError *err)
{
	if (err->code == SAGE_OK || err->message[0] == '\0')
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	SageZipLimits lim = {0};
	SageArena  *arena = sage_arena_new(NULL);
	uint8_t    *copy = malloc(size ? size : 1);
	SageZip    *zip = NULL;
	SageError	err;
	int			i;

	if (arena == NULL || copy == NULL)
		abort();
	memcpy(copy, data, size);
	lim.max_total_uncompressed = 8 << 20;
	lim.max_member_uncompressed = 4 << 20;
	lim.max_members = 200;
	if (sage_zip_open(arena, copy, size, &lim, &zip, &err) != 0)
		fz_check_error(&err);
	else
	{
		for (i = 0; i < sage_zip_count(zip); i++)
		{
			const SageZipEntry *e = sage_zip_entry(zip, i);
			SageStream	s;
			char		buf[1000];
			uint64_t	total = 0;
			long		n = 0;

			if (e == NULL || e->name == NULL || sage_zip_find(zip, e->name) < 0)
				abort();
			if (sage_zip_member_stream(zip, i, &s, &err) != 0)
			{
				fz_check_error(&err);
				continue;
			}
			while ((n = s.read(s.ctx, buf, sizeof(buf), &err)) > 0)
			{
				if ((size_t) n > sizeof(buf))
					abort();
				total += (uint64_t) n;
			}
			if (n < 0)
				fz_check_error(&err);
			else if (total != e->uncompressed_size)
				abort();		/* a clean end must match the declared size */
			if (s.close != NULL)
				s.close(s.ctx);
			if (e->uncompressed_size < 65536)
			{
				char	   *d;
				size_t		len;

				if (sage_zip_member_read(zip, i, &d, &len, &err) != 0)
					fz_check_error(&err);
				else if (len != e->uncompressed_size || d[len] != '\0')
					abort();
			}
		}
	}
	sage_arena_free(arena);
	free(copy);
	return 0;
}
