/*-------------------------------------------------------------------------
 *
 * test/fuzz/fuzz_csv.c
 *		libFuzzer target: any bytes as a CSV file, in any dialect.
 *
 * The first two input bytes choose the dialect (delimiter, quote
 * character, encoding, field limit) and the read size; the rest is the
 * file. The file is read twice, from an exact-size heap copy (so ASan
 * catches any over-read): once with the whole data per read() call and
 * once with the chosen small read size. Both readings must give the same
 * records or the same error, every cell must be NUL-terminated at its
 * length and be valid UTF-8, line numbers must grow, and an error must
 * come with a code and a message. Small field limits keep the reader's
 * buffer tiny, so refills and resumes happen every few bytes.
 *
 *-------------------------------------------------------------------------
 */
#include <stdlib.h>
#include <string.h>

#include "sage/record.h"
#include "encoding_internal.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A stream handing out at most chunk bytes per read(). */
typedef struct FzStream
{
	const uint8_t *data;		/* the file */
	size_t		len;			/* its size */
	size_t		pos;			/* bytes handed out */
	size_t		chunk;			/* most bytes per call */
} FzStream;

static long
fz_read(void *ctx, void *buf, size_t len, SageError *err)
{
	FzStream   *s = ctx;
	size_t		n = s->len - s->pos;

	(void) err;
	if (n > len)
		n = len;
	if (n > s->chunk)
		n = s->chunk;
	memcpy(buf, s->data + s->pos, n);
	s->pos += n;
	return (long) n;
}

/* FNV-1a over a digest of everything read, to compare two readings. */
static uint64_t
fz_mix(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;
	size_t		i;

	for (i = 0; i < n; i++)
		h = (h ^ b[i]) * 1099511628211ULL;
	return h;
}

/*
 * fz_read_all
 *		Reads the whole file and returns a digest of the records and of the
 *		final error, checking the invariants on the way.
 */
static uint64_t
fz_read_all(const uint8_t *file, size_t len, const SageCsvOptions *opts,
			size_t chunk)
{
	SageArena  *arena = sage_arena_new(NULL);
	FzStream	fs = {file, len, 0, chunk};
	SageStream	stream = {fz_read, NULL, &fs};
	SageRecordReader rd;
	SageRecord	rec;
	SageError	err;
	uint64_t	h = 14695981039346656037ULL;
	uint64_t	last_line = 0;
	int			rc;

	if (arena == NULL)
		abort();
	if (sage_csv_reader_open(arena, stream, opts, &rd, &err) < 0)
		abort();				/* the options chosen below are all valid */
	while ((rc = rd.next(rd.self, &rec, &err)) == 1)
	{
		int			i;

		if (rec.line <= last_line || rec.nfields < 1)
			abort();
		last_line = rec.line;
		h = fz_mix(h, &rec.line, sizeof(rec.line));
		h = fz_mix(h, &rec.nfields, sizeof(rec.nfields));
		h = fz_mix(h, &rec.bad_encoding, sizeof(rec.bad_encoding));
		for (i = 0; i < rec.nfields; i++)
		{
			if (rec.fields[i][rec.lens[i]] != '\0' ||
				rec.lens[i] > SAGE_ENC_MAX_GROWTH * opts->max_field_bytes ||
				!sage_enc_utf8_valid(rec.fields[i], rec.lens[i]))
				abort();
			h = fz_mix(h, rec.fields[i], rec.lens[i] + 1);
		}
		if (rd.bytes_done(rd.self) > len)
			abort();
	}
	if (rc < 0)
	{
		if (err.code == SAGE_OK || err.message[0] == '\0')
			abort();
		h = fz_mix(h, err.message, strlen(err.message));
	}
	else if (rd.bytes_done(rd.self) != len)
		abort();
	rd.close(rd.self);
	sage_arena_free(arena);
	return h;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char delims[] = {',', ';', '|', '\t', ' ', '"'};
	static const char quotes[] = {'"', '\'', 0, '"'};
	SageCsvOptions opts;
	uint8_t    *copy;
	size_t		chunk;
	uint64_t	a,
				b;

	if (size < 2)
		return 0;
	memset(&opts, 0, sizeof(opts));
	opts.delimiter = delims[data[0] % sizeof(delims)];
	opts.quotechar = quotes[(data[0] >> 3) & 3];
	if (opts.quotechar == opts.delimiter)
		opts.quotechar = 0;
	opts.encoding = (SageEncoding) ((data[0] >> 5) % 3);
	/* field limits from 1 byte (4-byte records) to 64 KiB */
	opts.max_field_bytes = (data[1] & 0x80) ? 65536 : 1u + (data[1] & 0x0f);
	chunk = 1 + ((data[1] >> 4) & 7);

	copy = malloc(size - 2 ? size - 2 : 1);
	if (copy == NULL)
		abort();
	memcpy(copy, data + 2, size - 2);
	a = fz_read_all(copy, size - 2, &opts, (size_t) -1);
	b = fz_read_all(copy, size - 2, &opts, chunk);
	if (a != b)
		abort();
	free(copy);
	return 0;
}
