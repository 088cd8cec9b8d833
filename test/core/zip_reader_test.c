/*-------------------------------------------------------------------------
 *
 * test/core/zip_reader_test.c
 *		Unit tests for src/core/zip_reader.c: listing, streaming, ZIP64,
 *		data descriptors, names, corrupt archives and zip-bomb limits.
 *
 * Fixtures come from test/data/zip/make_fixtures.py (committed output).
 *
 *-------------------------------------------------------------------------
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "sage/zip.h"

/* Per-test state: an arena and the loaded archive bytes. */
typedef struct ZipTest
{
	SageArena  *arena;			/* everything of one test */
	char	   *data;			/* archive bytes */
	size_t		len;			/* their size */
	SageError	err;			/* last error */
} ZipTest;

static int
zt_setup(void **state)
{
	ZipTest    *t = calloc(1, sizeof(ZipTest));

	t->arena = sage_arena_new(NULL);
	*state = t;
	return 0;
}

static int
zt_teardown(void **state)
{
	ZipTest    *t = *state;

	sage_arena_free(t->arena);
	free(t);
	return 0;
}

/* Loads test/data/zip/<name> (or a path relative to test/data). */
static void
zt_load(ZipTest *t, const char *rel)
{
	const char *base = getenv("SAGE_TEST_DATA");
	char		path[1024];

	snprintf(path, sizeof(path), "%s/%s", base ? base : "test/data", rel);
	if (sage_read_file(t->arena, path, 0, &t->data, &t->len, &t->err) != 0)
		fail_msg("cannot load %s: %s", path, t->err.message);
}

/* Opens a fixture with the given limits (NULL = defaults); asserts success. */
static SageZip *
zt_open(ZipTest *t, const char *rel, const SageZipLimits *limits)
{
	SageZip    *zip = NULL;

	zt_load(t, rel);
	if (sage_zip_open(t->arena, t->data, t->len, limits, &zip, &t->err) != 0)
		fail_msg("open %s failed: %s", rel, t->err.message);
	assert_non_null(zip);
	return zip;
}

/* Opens a fixture expecting failure with code and message. */
static void
zt_open_fails(ZipTest *t, const char *rel, const SageZipLimits *limits,
			  SageErrorCode code, const char *message)
{
	SageZip    *zip = NULL;

	zt_load(t, rel);
	assert_int_equal(sage_zip_open(t->arena, t->data, t->len, limits, &zip, &t->err), -1);
	assert_null(zip);
	assert_string_equal(t->err.message, message);
	assert_int_equal(t->err.code, code);
}

/* Reads a member by name; asserts it exists and reads fine. */
static char *
zt_read(ZipTest *t, SageZip *zip, const char *name, size_t *len)
{
	int			i = sage_zip_find(zip, name);
	char	   *data = NULL;

	if (i < 0)
		fail_msg("member %s not found", name);
	if (sage_zip_member_read(zip, i, &data, len, &t->err) != 0)
		fail_msg("read %s failed: %s", name, t->err.message);
	assert_int_equal(data[*len], '\0');
	return data;
}

/*
 * Streams a member with a small buffer of the given size into a malloc'd
 * copy; returns -1 (err filled) on failure.
 */
static long
zt_stream_all(ZipTest *t, SageZip *zip, int index, size_t chunk,
			  char **out, size_t *outlen)
{
	SageStream	s;
	char	   *buf = malloc(chunk);
	char	   *acc = NULL;
	size_t		n = 0;
	long		r;

	if (sage_zip_member_stream(zip, index, &s, &t->err) != 0)
	{
		free(buf);
		return -1;
	}
	for (;;)
	{
		r = s.read(s.ctx, buf, chunk, &t->err);
		if (r <= 0)
			break;
		assert_true((size_t) r <= chunk);
		acc = realloc(acc, n + (size_t) r + 1);
		memcpy(acc + n, buf, (size_t) r);
		n += (size_t) r;
	}
	if (r == 0)
		assert_int_equal(s.read(s.ctx, buf, chunk, &t->err), 0);	/* stays at end */
	if (s.close)
		s.close(s.ctx);
	free(buf);
	if (r < 0)
	{
		free(acc);
		return -1;
	}
	if (acc == NULL)
		acc = malloc(1);
	acc[n] = '\0';
	*out = acc;
	*outlen = n;
	return 0;
}

/* The CSV make_fixtures.py stores as data.csv. */
static char *
zt_expected_csv(size_t *len)
{
	char	   *s = malloc(20000);
	size_t		n = 0;
	int			i;

	n += (size_t) sprintf(s + n, "id,name\n");
	for (i = 1; i <= 500; i++)
		n += (size_t) sprintf(s + n, "%d,name %d\n", i, i);
	*len = n;
	return s;
}

/* ---------------------------------------------------------------- tests */

static void
test_stored(void **state)
{
	ZipTest    *t = *state;
	SageZip    *zip = zt_open(t, "zip/stored.zip", NULL);
	const SageZipEntry *e;
	size_t		len;
	char	   *d;

	assert_int_equal(sage_zip_count(zip), 4);
	e = sage_zip_entry(zip, 0);
	assert_string_equal(e->name, "a.txt");
	assert_int_equal(e->compressed_size, 6);
	assert_int_equal(e->uncompressed_size, 6);
	assert_false(e->is_dir);
	assert_false(e->encrypted);
	assert_true(sage_zip_entry(zip, 1)->is_dir);
	assert_string_equal(sage_zip_entry(zip, 1)->name, "dir/");
	assert_null(sage_zip_entry(zip, 4));
	assert_null(sage_zip_entry(zip, -1));
	assert_int_equal(sage_zip_find(zip, "dir/b.csv"), 2);
	assert_int_equal(sage_zip_find(zip, "b.csv"), -1);
	assert_int_equal(sage_zip_find(zip, "A.TXT"), -1);

	d = zt_read(t, zip, "a.txt", &len);
	assert_int_equal(len, 6);
	assert_string_equal(d, "hello\n");
	d = zt_read(t, zip, "dir/b.csv", &len);
	assert_string_equal(d, "x,y\n1,2\n");
	d = zt_read(t, zip, "empty.txt", &len);
	assert_int_equal(len, 0);
	d = zt_read(t, zip, "dir/", &len);
	assert_int_equal(len, 0);

	/* one byte at a time */
	{
		char	   *s;
		size_t		slen;

		assert_int_equal(zt_stream_all(t, zip, 2, 1, &s, &slen), 0);
		assert_int_equal(slen, 8);
		assert_string_equal(s, "x,y\n1,2\n");
		free(s);
	}
}

static void
test_deflated(void **state)
{
	ZipTest    *t = *state;
	SageZip    *zip = zt_open(t, "zip/deflated.zip", NULL);
	size_t		elen,
				len;
	char	   *expected = zt_expected_csv(&elen);
	char	   *d;
	size_t		chunks[] = {1, 7, 4096, 1 << 20};
	size_t		i;

	assert_int_equal(sage_zip_count(zip), 3);
	assert_int_equal(sage_zip_entry(zip, 0)->uncompressed_size, elen);
	assert_int_equal(sage_zip_entry(zip, 0)->compressed_size, 1951);
	d = zt_read(t, zip, "data.csv", &len);
	assert_int_equal(len, elen);
	assert_memory_equal(d, expected, elen);
	for (i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++)
	{
		char	   *s;
		size_t		slen;

		assert_int_equal(zt_stream_all(t, zip, 0, chunks[i], &s, &slen), 0);
		assert_int_equal(slen, elen);
		assert_memory_equal(s, expected, elen);
		free(s);
	}
	d = zt_read(t, zip, "empty.txt", &len);
	assert_int_equal(len, 0);
	d = zt_read(t, zip, "notes/readme.txt", &len);
	assert_int_equal(len, 700);
	assert_memory_equal(d, "readme readme ", 14);
	free(expected);
}

static void
test_descriptor(void **state)
{
	ZipTest    *t = *state;
	SageZip    *zip = zt_open(t, "zip/descriptor.zip", NULL);
	size_t		elen,
				len;
	char	   *expected = zt_expected_csv(&elen);
	char	   *d;

	d = zt_read(t, zip, "data.csv", &len);
	assert_int_equal(len, elen);
	assert_memory_equal(d, expected, elen);
	d = zt_read(t, zip, "s.txt", &len);
	assert_string_equal(d, "stored with descriptor\n");
	free(expected);
}

static void
test_zip64(void **state)
{
	ZipTest    *t = *state;
	size_t		elen,
				len;
	char	   *expected = zt_expected_csv(&elen);
	SageZip    *zip = zt_open(t, "zip/zip64.zip", NULL);
	char	   *d;

	assert_int_equal(sage_zip_count(zip), 2);
	assert_int_equal(sage_zip_entry(zip, 0)->uncompressed_size, elen);
	d = zt_read(t, zip, "data.csv", &len);
	assert_memory_equal(d, expected, elen);
	d = zt_read(t, zip, "s.txt", &len);
	assert_string_equal(d, "small\n");

	zip = zt_open(t, "zip/zip64_python.zip", NULL);
	d = zt_read(t, zip, "data.csv", &len);
	assert_int_equal(len, elen);
	assert_memory_equal(d, expected, elen);
	d = zt_read(t, zip, "b.txt", &len);
	assert_string_equal(d, "bee\n");
	free(expected);
}

static void
test_encrypted(void **state)
{
	ZipTest    *t = *state;
	SageZip    *zip = zt_open(t, "zip/encrypted.zip", NULL);
	SageStream	s;
	char	   *d;
	size_t		len;

	assert_false(sage_zip_entry(zip, 0)->encrypted);
	assert_true(sage_zip_entry(zip, 1)->encrypted);
	d = zt_read(t, zip, "plain.txt", &len);
	assert_string_equal(d, "plain\n");
	assert_int_equal(sage_zip_member_stream(zip, 1, &s, &t->err), -1);
	assert_int_equal(t->err.code, SAGE_ERR_INPUT);
	assert_string_equal(t->err.message, "ZIP member \"secret.csv\" is encrypted");
	assert_string_equal(t->err.hint, "Submit the archive without a password.");
	assert_int_equal(sage_zip_member_read(zip, 1, &d, &len, &t->err), -1);
	assert_string_equal(t->err.message, "ZIP member \"secret.csv\" is encrypted");
}

static void
test_unsupported_method(void **state)
{
	ZipTest    *t = *state;
	SageZip    *zip = zt_open(t, "zip/bzip2.zip", NULL);
	SageStream	s;

	assert_int_equal(sage_zip_member_stream(zip, 0, &s, &t->err), -1);
	assert_int_equal(t->err.code, SAGE_ERR_INPUT);
	assert_string_equal(t->err.message,
						"ZIP member \"data.csv\" uses unsupported compression method 12 (bzip2)");
	assert_string_equal(t->err.hint,
						"Only stored and deflate members can be read; recompress the archive with deflate.");
}

static void
test_bomb_declared(void **state)
{
	ZipTest    *t = *state;
	SageZipLimits lim = {0};

	zt_open_fails(t, "zip/bomb.zip", NULL, SAGE_ERR_LIMIT,
				  "ZIP member \"zeros.bin\" exceeds the compression ratio limit");
	assert_string_equal(t->err.detail,
						"It declares 52428800 bytes from 50970 compressed bytes, a ratio of 1028.6; the limit is 200.");
	assert_string_equal(t->err.hint,
						"Archives whose members expand this much are refused as possible zip bombs; compress the data normally.");

	/* a ratio that allows it, but a member size limit that does not */
	lim.max_ratio = 5000;
	lim.max_member_uncompressed = 10 << 20;
	zt_open_fails(t, "zip/bomb.zip", &lim, SAGE_ERR_LIMIT,
				  "ZIP member \"zeros.bin\" exceeds the size limit");
	assert_string_equal(t->err.detail,
						"It declares 52428800 bytes uncompressed; the limit is 10485760 bytes.");

	lim.max_member_uncompressed = 0;
	lim.max_total_uncompressed = 20 << 20;
	zt_open_fails(t, "zip/bomb.zip", &lim, SAGE_ERR_LIMIT,
				  "ZIP archive exceeds the total size limit");
	assert_string_equal(t->err.detail,
						"Its members declare 52428800 bytes uncompressed; the limit is 20971520 bytes.");
}

static void
test_bomb_allowed(void **state)
{
	ZipTest    *t = *state;
	SageZipLimits lim = {0};
	SageZip    *zip;
	SageStream	s;
	static char buf[65536];
	uint64_t	total = 0;
	long		n;

	lim.max_ratio = 5000;
	zip = zt_open(t, "zip/bomb.zip", &lim);
	assert_int_equal(sage_zip_member_stream(zip, 0, &s, &t->err), 0);
	while ((n = s.read(s.ctx, buf, sizeof(buf), &t->err)) > 0)
	{
		assert_int_equal(buf[0], 0);
		total += (uint64_t) n;
	}
	assert_int_equal(n, 0);
	assert_int_equal(total, 52428800);
	s.close(s.ctx);
}

/* Streams member 0 with 64 KiB reads; returns bytes seen before failure. */
static uint64_t
zt_drain_fails(ZipTest *t, SageZip *zip)
{
	SageStream	s;
	static char buf[65536];
	uint64_t	total = 0;
	long		n;

	assert_int_equal(sage_zip_member_stream(zip, 0, &s, &t->err), 0);
	while ((n = s.read(s.ctx, buf, sizeof(buf), &t->err)) > 0)
		total += (uint64_t) n;
	assert_int_equal(n, -1);
	/* failure is sticky */
	{
		SageError	again;

		assert_int_equal(s.read(s.ctx, buf, sizeof(buf), &again), -1);
		assert_string_equal(again.message,
							"could not read ZIP member \"zeros.bin\": an earlier read failed");
	}
	s.close(s.ctx);
	return total;
}

static void
test_bomb_lying(void **state)
{
	ZipTest    *t = *state;
	SageZipLimits lim = {0};
	SageZip    *zip = zt_open(t, "zip/bomb_lying.zip", NULL);
	uint64_t	csize = sage_zip_entry(zip, 0)->compressed_size;
	uint64_t	expect = (200 * csize / 65536 + 1) * 65536;
	char		detail[256];

	/* the header says 1000 bytes: only the actual bytes reveal the bomb */
	assert_int_equal(sage_zip_entry(zip, 0)->uncompressed_size, 1000);
	assert_int_equal(zt_drain_fails(t, zip), expect - 65536);
	assert_int_equal(t->err.code, SAGE_ERR_LIMIT);
	assert_string_equal(t->err.message,
						"ZIP member \"zeros.bin\" exceeds the compression ratio limit");
	snprintf(detail, sizeof(detail),
			 "It expanded to at least %llu bytes from %llu compressed bytes, a ratio of %.1f; the limit is 200.",
			 (unsigned long long) expect, (unsigned long long) csize,
			 (double) expect / (double) csize);
	assert_string_equal(t->err.detail, detail);

	/* per-member size on actual bytes */
	lim.max_ratio = 100000;
	lim.max_member_uncompressed = 2 << 20;
	zip = zt_open(t, "zip/bomb_lying.zip", &lim);
	zt_drain_fails(t, zip);
	assert_string_equal(t->err.message, "ZIP member \"zeros.bin\" exceeds the size limit");
	assert_string_equal(t->err.detail,
						"It expanded to at least 2162688 bytes uncompressed; the limit is 2097152 bytes.");

	/* total size on actual bytes */
	lim.max_member_uncompressed = 0;
	lim.max_total_uncompressed = 3 << 20;
	zip = zt_open(t, "zip/bomb_lying.zip", &lim);
	zt_drain_fails(t, zip);
	assert_string_equal(t->err.message, "ZIP archive exceeds the total size limit");
	assert_string_equal(t->err.detail,
						"Its members expanded to at least 3211264 bytes uncompressed; the limit is 3145728 bytes.");

	/* without limits in the way, the lie itself is corruption */
	lim.max_total_uncompressed = 0;
	zip = zt_open(t, "zip/bomb_lying.zip", &lim);
	assert_int_equal(zt_drain_fails(t, zip), 52428800 - 65536);
	assert_int_equal(t->err.code, SAGE_ERR_INPUT);
	assert_string_equal(t->err.message,
						"could not read ZIP archive: member \"zeros.bin\" has 52428800 bytes but declares 1000");
}

static void
test_size_mismatch(void **state)
{
	ZipTest    *t = *state;
	SageZip    *zip = zt_open(t, "zip/size_mismatch.zip", NULL);
	char	   *d;
	size_t		len;

	assert_int_equal(sage_zip_member_read(zip, 0, &d, &len, &t->err), -1);
	assert_int_equal(t->err.code, SAGE_ERR_INPUT);
	assert_string_equal(t->err.message,
						"could not read ZIP archive: member \"data.csv\" is larger than it declares");
	assert_int_equal(zt_stream_all(t, zip, 0, 100, &d, &len), -1);
	assert_string_equal(t->err.message,
						"could not read ZIP archive: member \"data.csv\" has 6292 bytes but declares 100");
}

static void
test_bad_crc(void **state)
{
	ZipTest    *t = *state;
	SageZip    *zip = zt_open(t, "zip/badcrc.zip", NULL);
	char	   *d;
	size_t		len;

	d = zt_read(t, zip, "ok.txt", &len);
	assert_string_equal(d, "fine\n");
	assert_int_equal(sage_zip_member_read(zip, 1, &d, &len, &t->err), -1);
	assert_int_equal(t->err.code, SAGE_ERR_INPUT);
	assert_string_equal(t->err.message,
						"could not read ZIP archive: member \"data.csv\" fails its CRC-32 check");
	assert_string_equal(t->err.detail,
						"The computed CRC-32 is f71975e5; the archive says 12345678.");
}

static void
test_corrupt_archives(void **state)
{
	ZipTest    *t = *state;
	SageZipLimits lim = {0};
	SageZip    *zip;
	char	   *d;
	size_t		len;

	zt_open_fails(t, "zip/truncated.zip", NULL, SAGE_ERR_INPUT,
				  "could not read ZIP archive: end of central directory not found");
	zt_open_fails(t, "zip/noeocd.zip", NULL, SAGE_ERR_INPUT,
				  "could not read ZIP archive: end of central directory not found");
	zt_open_fails(t, "zip/badoffset.zip", NULL, SAGE_ERR_INPUT,
				  "could not read ZIP archive: member \"a.txt\" has an invalid local header offset");
	zt_open_fails(t, "zip/badcdoffset.zip", NULL, SAGE_ERR_INPUT,
				  "could not read ZIP archive: central directory lies outside the archive");
	zt_open_fails(t, "zip/badcount.zip", NULL, SAGE_ERR_LIMIT,
				  "ZIP archive has too many members");
	assert_string_equal(t->err.detail, "The archive has 65520 members; the limit is 10000.");
	lim.max_members = 100000;
	zt_open_fails(t, "zip/badcount.zip", &lim, SAGE_ERR_INPUT,
				  "could not read ZIP archive: central directory is too small for 65520 entries");
	zt_open_fails(t, "zip/overlap.zip", NULL, SAGE_ERR_INPUT,
				  "could not read ZIP archive: members \"a.txt\" and \"copy.txt\" overlap");

	zip = zt_open(t, "zip/baddeflate.zip", NULL);
	assert_int_equal(sage_zip_member_read(zip, 0, &d, &len, &t->err), -1);
	assert_int_equal(t->err.code, SAGE_ERR_INPUT);
	assert_true(strncmp(t->err.message,
						"could not read ZIP archive: member \"data.csv\" has invalid compressed data: ",
						74) == 0);
	zip = zt_open(t, "zip/shortdeflate.zip", NULL);
	assert_int_equal(sage_zip_member_read(zip, 0, &d, &len, &t->err), -1);
	assert_string_equal(t->err.message,
						"could not read ZIP archive: member \"data.csv\" has truncated compressed data");

	/* junk after the end record is tolerated */
	zip = zt_open(t, "zip/trailing.zip", NULL);
	d = zt_read(t, zip, "a.txt", &len);
	assert_string_equal(d, "hello\n");

	/* empty and tiny buffers */
	assert_int_equal(sage_zip_open(t->arena, "", 0, NULL, &zip, &t->err), -1);
	assert_string_equal(t->err.message,
						"could not read ZIP archive: end of central directory not found");
	assert_int_equal(sage_zip_open(t->arena, "PK\005\006", 4, NULL, &zip, &t->err), -1);
	assert_string_equal(t->err.message,
						"could not read ZIP archive: end of central directory not found");
}

/* Every prefix of an archive must fail cleanly or open. */
static void
test_every_truncation(void **state)
{
	ZipTest    *t = *state;
	size_t		cut;

	zt_load(t, "zip/zip64.zip");
	for (cut = 0; cut < t->len; cut++)
	{
		SageArena  *a = sage_arena_new(NULL);
		char	   *copy = malloc(cut + 1);
		SageZip    *zip = NULL;
		SageError	err;

		memcpy(copy, t->data, cut);
		/* exact-size heap block so ASan sees any over-read */
		assert_int_equal(sage_zip_open(a, copy, cut, NULL, &zip, &err), -1);
		assert_int_equal(err.code, SAGE_ERR_INPUT);
		free(copy);
		sage_arena_free(a);
	}
}

static void
test_limits(void **state)
{
	ZipTest    *t = *state;
	SageZipLimits lim = {0};

	lim.max_members = 2;
	zt_open_fails(t, "zip/deflated.zip", &lim, SAGE_ERR_LIMIT,
				  "ZIP archive has too many members");
	assert_string_equal(t->err.detail, "The archive has 3 members; the limit is 2.");
	assert_string_equal(t->err.hint, "Split the data into several archives.");
	lim.max_members = 3;
	zt_open(t, "zip/deflated.zip", &lim);

	lim.max_member_uncompressed = 5000;
	zt_open_fails(t, "zip/deflated.zip", &lim, SAGE_ERR_LIMIT,
				  "ZIP member \"data.csv\" exceeds the size limit");
	assert_string_equal(t->err.detail,
						"It declares 6292 bytes uncompressed; the limit is 5000 bytes.");
	lim.max_member_uncompressed = 0;
	lim.max_total_uncompressed = 6900;
	zt_open_fails(t, "zip/deflated.zip", &lim, SAGE_ERR_LIMIT,
				  "ZIP archive exceeds the total size limit");
	assert_string_equal(t->err.detail,
						"Its members declare 6992 bytes uncompressed; the limit is 6900 bytes.");
}

static void
test_names(void **state)
{
	ZipTest    *t = *state;
	SageZip    *zip = zt_open(t, "zip/names.zip", NULL);
	char	   *d;
	size_t		len;

	assert_int_equal(sage_zip_count(zip), 4);
	assert_string_equal(sage_zip_entry(zip, 0)->name, "caf\xc3\xa9 \xc2\xa2.txt");
	assert_string_equal(sage_zip_entry(zip, 1)->name, "a\xc3\xb1o/\xc3\xbc.csv");
	assert_string_equal(sage_zip_entry(zip, 2)->name, "\xc3\xb1\x61nd\xc3\xba.txt");
	assert_string_equal(sage_zip_entry(zip, 3)->name, "bad\xef\xbf\xbd.txt");
	d = zt_read(t, zip, "caf\xc3\xa9 \xc2\xa2.txt", &len);
	assert_string_equal(d, "cp437\n");
	d = zt_read(t, zip, "\xc3\xb1\x61nd\xc3\xba.txt", &len);
	assert_string_equal(d, "upath\n");

	zip = zt_open(t, "zip/traversal.zip", NULL);
	assert_string_equal(sage_zip_entry(zip, 0)->name, "../../etc/passwd");
	assert_string_equal(sage_zip_entry(zip, 1)->name, "/abs/path.txt");
	d = zt_read(t, zip, "../../etc/passwd", &len);
	assert_string_equal(d, "root:x:0:0\n");
	d = zt_read(t, zip, "/abs/path.txt", &len);
	assert_string_equal(d, "abs\n");
}

static void
test_case_package(void **state)
{
	ZipTest    *t = *state;
	SageZip    *zip = zt_open(t, "cases/zip_package/entrega.zip", NULL);
	char	   *d;
	size_t		len;
	int			i;

	assert_int_equal(sage_zip_count(zip), 3);
	for (i = 0; i < 3; i++)
		print_message("entrega.zip member %d: %s (%llu -> %llu bytes)\n", i,
					  sage_zip_entry(zip, i)->name,
					  (unsigned long long) sage_zip_entry(zip, i)->compressed_size,
					  (unsigned long long) sage_zip_entry(zip, i)->uncompressed_size);
	d = zt_read(t, zip, "clientes.csv", &len);
	assert_string_equal(d, "id,nombre\nC1,Ana\nC2,Beto\nC3,\nC1,Ana2\n");
	d = zt_read(t, zip, "ventas.csv", &len);
	assert_string_equal(d, "venta,cliente,monto\nS1,C1,10.0\nS2,C9,5.0\nS3,C2,abc\nS4,C3,7.5\n");
	d = zt_read(t, zip, "leeme.txt", &len);
	assert_string_equal(d, "archivo extra");
	assert_int_equal(sage_zip_find(zip, "productos.csv"), -1);
}

/* Inflate states are pooled: streaming members again allocates little. */
static void
test_inflater_pool(void **state)
{
	ZipTest    *t = *state;
	SageZip    *zip = zt_open(t, "zip/deflated.zip", NULL);
	size_t		before;
	int			round,
				i;

	for (round = 0; round < 2; round++)
	{
		before = sage_arena_allocated(t->arena);
		for (i = 0; i < sage_zip_count(zip); i++)
		{
			char	   *s;
			size_t		slen;

			assert_int_equal(zt_stream_all(t, zip, i, 512, &s, &slen), 0);
			free(s);
		}
		if (round == 1)
			assert_true(sage_arena_allocated(t->arena) - before < 1024);
	}

	/* two streams at once each get their own state */
	{
		SageStream	a,
					b;
		char		ba[16],
					bb[16];

		assert_int_equal(sage_zip_member_stream(zip, 0, &a, &t->err), 0);
		assert_int_equal(sage_zip_member_stream(zip, 2, &b, &t->err), 0);
		assert_int_equal(a.read(a.ctx, ba, 8, &t->err), 8);
		assert_int_equal(b.read(b.ctx, bb, 7, &t->err), 7);
		assert_memory_equal(ba, "id,name\n", 8);
		assert_memory_equal(bb, "readme ", 7);
		assert_int_equal(a.read(a.ctx, ba, 2, &t->err), 2);
		assert_memory_equal(ba, "1,", 2);
		a.close(a.ctx);
		b.close(b.ctx);
	}
}

static void
test_memory_budget(void **state)
{
	SageBudget	budget = {0};
	SageArena  *big = sage_arena_new(NULL);
	SageArena  *a;
	SageZip    *zip = NULL;
	SageZipLimits lim = {0};
	SageError	err;
	char	   *data;
	char	   *d;
	size_t		len;
	const char *base = getenv("SAGE_TEST_DATA");
	char		path[1024];

	(void) state;
	snprintf(path, sizeof(path), "%s/zip/bomb.zip", base ? base : "test/data");
	assert_int_equal(sage_read_file(big, path, 0, &data, &len, &err), 0);
	budget.limit = 1 << 20;
	a = sage_arena_new(&budget);
	lim.max_ratio = 5000;
	assert_int_equal(sage_zip_open(a, data, len, &lim, &zip, &err), 0);
	/* 50 MB do not fit in a 1 MB budget: reading whole fails cleanly */
	assert_int_equal(sage_zip_member_read(zip, 0, &d, &len, &err), -1);
	assert_int_equal(err.code, SAGE_ERR_MEMORY);
	assert_string_equal(err.message, "memory limit exceeded");
	assert_true(budget.peak <= budget.limit);
	sage_arena_free(a);
	assert_int_equal(budget.used, 0);
	sage_arena_free(big);
}

static void
test_bad_index(void **state)
{
	ZipTest    *t = *state;
	SageZip    *zip = zt_open(t, "zip/stored.zip", NULL);
	SageStream	s;
	char	   *d;
	size_t		len;

	assert_int_equal(sage_zip_member_stream(zip, 9, &s, &t->err), -1);
	assert_int_equal(t->err.code, SAGE_ERR_ARGUMENT);
	assert_string_equal(t->err.message, "ZIP member index 9 is out of range");
	assert_int_equal(sage_zip_member_read(zip, -1, &d, &len, &t->err), -1);
	assert_string_equal(t->err.message, "ZIP member index -1 is out of range");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_stored, zt_setup, zt_teardown),
		cmocka_unit_test_setup_teardown(test_deflated, zt_setup, zt_teardown),
		cmocka_unit_test_setup_teardown(test_descriptor, zt_setup, zt_teardown),
		cmocka_unit_test_setup_teardown(test_zip64, zt_setup, zt_teardown),
		cmocka_unit_test_setup_teardown(test_encrypted, zt_setup, zt_teardown),
		cmocka_unit_test_setup_teardown(test_unsupported_method, zt_setup, zt_teardown),
		cmocka_unit_test_setup_teardown(test_bomb_declared, zt_setup, zt_teardown),
		cmocka_unit_test_setup_teardown(test_bomb_allowed, zt_setup, zt_teardown),
		cmocka_unit_test_setup_teardown(test_bomb_lying, zt_setup, zt_teardown),
		cmocka_unit_test_setup_teardown(test_size_mismatch, zt_setup, zt_teardown),
		cmocka_unit_test_setup_teardown(test_bad_crc, zt_setup, zt_teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_archives, zt_setup, zt_teardown),
		cmocka_unit_test_setup_teardown(test_every_truncation, zt_setup, zt_teardown),
		cmocka_unit_test_setup_teardown(test_limits, zt_setup, zt_teardown),
		cmocka_unit_test_setup_teardown(test_names, zt_setup, zt_teardown),
		cmocka_unit_test_setup_teardown(test_case_package, zt_setup, zt_teardown),
		cmocka_unit_test_setup_teardown(test_inflater_pool, zt_setup, zt_teardown),
		cmocka_unit_test(test_memory_budget),
		cmocka_unit_test_setup_teardown(test_bad_index, zt_setup, zt_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
