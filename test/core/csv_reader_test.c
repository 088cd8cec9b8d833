/*-------------------------------------------------------------------------
 *
 * test/core/csv_reader_test.c
 *		Unit tests of the streaming CSV reader (src/core/csv_reader.c).
 *
 * Most cases render every record as "line:cell|cell|..." (a "!" after the
 * line marks bad_encoding) and compare the whole file's rendering with the
 * expected text. Each input is read three ways: as one buffer, one byte
 * per read() call and seven bytes per call, so records and quoted fields
 * crossing read boundaries are exercised everywhere.
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

#include "sage/record.h"

/* A stream over a buffer that hands out at most chunk bytes per call. */
typedef struct ChunkStream
{
	const char *data;			/* the input */
	size_t		len;			/* its length */
	size_t		pos;			/* bytes handed out */
	size_t		chunk;			/* most bytes per read() */
	size_t		fail_at;		/* report an I/O error once pos reaches this (0: never) */
	int			closed;			/* times close() was called */
} ChunkStream;

static long
chunk_read(void *ctx, void *buf, size_t len, SageError *err)
{
	ChunkStream *cs = ctx;
	size_t		n = cs->len - cs->pos;

	if (cs->fail_at != 0 && cs->pos >= cs->fail_at)
	{
		sage_error_set(err, SAGE_ERR_IO, "could not read file \"x.csv\": simulated failure");
		return -1;
	}
	if (n > len)
		n = len;
	if (n > cs->chunk)
		n = cs->chunk;
	memcpy(buf, cs->data + cs->pos, n);
	cs->pos += n;
	return (long) n;
}

static void
chunk_close(void *ctx)
{
	((ChunkStream *) ctx)->closed++;
}

static SageStream
chunk_stream(ChunkStream *cs, const char *data, size_t len, size_t chunk)
{
	SageStream	s;

	memset(cs, 0, sizeof(*cs));
	cs->data = data;
	cs->len = len;
	cs->chunk = chunk;
	s.read = chunk_read;
	s.close = chunk_close;
	s.ctx = cs;
	return s;
}

static SageCsvOptions
opts_default(void)
{
	SageCsvOptions o;

	memset(&o, 0, sizeof(o));
	o.delimiter = ',';
	o.quotechar = '"';
	o.encoding = SAGE_ENC_UTF8;
	return o;
}

/*
 * render
 *		Reads the whole input with the given chunk size and returns the
 *		rendering (malloc'ed) or "ERROR: <message>" on failure.
 */
static char *
render(const char *data, size_t len, const SageCsvOptions *opts, size_t chunk,
	   uint64_t *bytes_done)
{
	SageArena  *arena = sage_arena_new(NULL);
	ChunkStream cs;
	SageRecordReader rd;
	SageError	err;
	SageRecord	rec;
	size_t		cap = 256 + len * 2;
	size_t		used = 0;
	char	   *out = malloc(cap);
	int			rc;

	out[0] = '\0';
	sage_error_clear(&err);
	rc = sage_csv_reader_open(arena, chunk_stream(&cs, data, len, chunk), opts, &rd, &err);
	if (rc == 0)
	{
		while ((rc = rd.next(rd.self, &rec, &err)) == 1)
		{
			int			i;

			used += snprintf(out + used, cap - used, "%llu%s:",
							 (unsigned long long) rec.line,
							 rec.bad_encoding ? "!" : "");
			for (i = 0; i < rec.nfields; i++)
			{
				assert_int_equal(strlen(rec.fields[i]), rec.lens[i]);
				if (used + rec.lens[i] + 8 > cap)
				{
					cap = cap * 2 + rec.lens[i];
					out = realloc(out, cap);
				}
				used += snprintf(out + used, cap - used, "%s%s",
								 i > 0 ? "|" : "", rec.fields[i]);
			}
			used += snprintf(out + used, cap - used, "\n");
		}
		if (bytes_done != NULL)
			*bytes_done = rd.bytes_done(rd.self);
		rd.close(rd.self);
		/* the stream is closed exactly once, even after an error */
		assert_int_equal(cs.closed, 1);
	}
	if (rc < 0)
	{
		out = realloc(out, used + strlen(err.message) + 16);
		sprintf(out + used, "ERROR: %s", err.message);
	}
	sage_arena_free(arena);
	return out;
}

/*
 * check
 *		Reads data three ways and compares each rendering with expected.
 */
static void
check_opts(const char *data, size_t len, const SageCsvOptions *opts,
		   const char *expected)
{
	static const size_t chunks[] = {SIZE_MAX, 1, 7};
	size_t		i;

	for (i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++)
	{
		uint64_t	done = 0;
		char	   *got = render(data, len, opts, chunks[i], &done);

		if (strcmp(got, expected) != 0)
		{
			print_error("chunk %zu:\n--- expected\n%s--- got\n%s\n", chunks[i],
						expected, got);
			free(got);
			fail();
		}
		/* after a clean read, all input was consumed */
		if (strstr(got, "ERROR: ") == NULL && done != len)
		{
			free(got);
			fail_msg("bytes_done %llu, expected %zu", (unsigned long long) done, len);
		}
		free(got);
	}
}

static void
check_with(const SageCsvOptions *opts, const char *data, const char *expected)
{
	check_opts(data, strlen(data), opts, expected);
}

static void
check(const char *data, const char *expected)
{
	SageCsvOptions o = opts_default();

	check_opts(data, strlen(data), &o, expected);
}

/* ------------------------------------------------------------------ tests */

static void
test_simple(void **state)
{
	check("a,b,c\n1,2,3\n", "1:a|b|c\n2:1|2|3\n");
	/* final record without newline counts */
	check("a,b\n1,2", "1:a|b\n2:1|2\n");
	/* empty fields, trailing delimiter */
	check(",\na,,b,\n", "1:|\n2:a||b|\n");
	/* cells stay text: leading zeros, NA */
	check("0012,NA,null\n", "1:0012|NA|null\n");
}

static void
test_empty_and_header_only(void **state)
{
	check("", "");
	check("\n\n", "");
	check("a,b,c\n", "1:a|b|c\n");
	check("a,b,c", "1:a|b|c\n");
	/* a BOM alone is an empty file */
	check("\xEF\xBB\xBF", "");
}

static void
test_line_endings(void **state)
{
	check("a,b\r\n1,2\r\n3,4\r\n", "1:a|b\n2:1|2\n3:3|4\n");
	/* lone CR ends a record too (old Mac files) */
	check("a,b\r1,2\r3,4", "1:a|b\n2:1|2\n3:3|4\n");
	/* mixed */
	check("a\r\nb\nc\rd", "1:a\n2:b\n3:c\n4:d\n");
	/* CR at the very end */
	check("a\r", "1:a\n");
}

static void
test_blank_lines(void **state)
{
	/* skipped like pandas, but physical numbering stays exact */
	check("a,b\n\n1,2\n\r\n\n3,4\n\n", "1:a|b\n3:1|2\n6:3|4\n");
	/* lines of spaces and tabs are blank; a line of delimiters is not */
	check("a,b\n   \n\t \n,\n1,2\n  ", "1:a|b\n4:|\n5:1|2\n");
	/* leading spaces before data belong to the cell */
	check("a,b\n  x,y\n", "1:a|b\n2:  x|y\n");
	{
		SageCsvOptions o = opts_default();

		/* with a tab delimiter a line " \t " has two cells */
		o.delimiter = '\t';
		check_with(&o, "a\tb\n \t \n  \n1\t2\n", "1:a|b\n2: | \n4:1|2\n");
	}
}

static void
test_quoted(void **state)
{
	check("\"a,b\",\"c\"\"d\",\"\"\n", "1:a,b|c\"d|\n");
	/* quoted newlines advance the line count of the next record */
	check("id,txt\n1,\"two\nlines\"\n2,\"three\r\nli\rnes\"\n3,x\n",
		  "1:id|txt\n2:1|two\nlines\n4:2|three\r\nli\rnes\n7:3|x\n");
	/* quote inside an unquoted field is literal; text after a closing quote is kept */
	check("x\"ab\"y,\"ab\"c,\"ab\" ,\"ab\"c\"d\"e\n",
		  "1:x\"ab\"y|abc|ab |abc\"d\"e\n");
	/* a quoted field at end of file without newline */
	check("a,\"b\"", "1:a|b\n");
	/* quoted field followed by CRLF and by lone CR */
	check("\"a\"\r\n\"b\"\r\"c\"", "1:a\n2:b\n3:c\n");
	/* a quoted blank line is a record with one empty cell */
	check("a\n\"\"\nb\n", "1:a\n2:\n3:b\n");
}

static void
test_unterminated_quote(void **state)
{
	/* like Python's csv: the rest of the file becomes the field */
	check("a,b\n1,\"abc\n2,x\n", "1:a|b\n2:1|abc\n2,x\n\n");
	check("\"abc", "1:abc\n");
	check("\"", "1:\n");
	check("a,\"", "1:a|\n");
}

static void
test_delimiters(void **state)
{
	SageCsvOptions o = opts_default();

	o.delimiter = '|';
	check_with(&o, "a|b,c|\"d|e\"\n", "1:a|b,c|d|e\n");
	o.delimiter = ';';
	check_with(&o, "a;b,c;\"d;e\"\n", "1:a|b,c|d;e\n");
	o.delimiter = '\t';
	check_with(&o, "a\tb c\t\"d\te\"\n", "1:a|b c|d\te\n");
	/* quotechar ' */
	o.delimiter = ',';
	o.quotechar = '\'';
	check_with(&o, "'a,b','it''s',\"x\"\n", "1:a,b|it's|\"x\"\n");
	/* no quoting at all */
	o.quotechar = 0;
	check_with(&o, "\"a,b\",c\n", "1:\"a|b\"|c\n");
}

static void
test_bom(void **state)
{
	check("\xEF\xBB\xBF" "a,b\n1,2\n", "1:a|b\n2:1|2\n");
	/* a BOM later in the file is data */
	check("a\n\xEF\xBB\xBF" "b\n", "1:a\n2:\xEF\xBB\xBF" "b\n");
}

static void
test_invalid_utf8(void **state)
{
	check("a,b\n1,bad \xff byte\n2,caf\xc3\xa9\n3,trunc \xe2\x82\n4,\xed\xa0\x80\n",
		  "1:a|b\n2!:1|bad \xef\xbf\xbd byte\n3:2|caf\xc3\xa9\n"
		  "4!:3|trunc \xef\xbf\xbd\n5!:4|\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\n");
	/* overlong form and a code point above U+10FFFF */
	check("\xc0\xaf,\xf4\x90\x80\x80\n",
		  "1!:\xef\xbf\xbd\xef\xbf\xbd|\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\n");
	/* valid 4-byte sequence */
	check("\xf0\x9f\x98\x80\n", "1:\xf0\x9f\x98\x80\n");
}

static void
test_single_byte_encodings(void **state)
{
	SageCsvOptions o = opts_default();

	o.encoding = SAGE_ENC_LATIN1;
	check_with(&o, "Jos\xe9,\x80\n", "1:Jos\xc3\xa9|\xc2\x80\n");
	o.encoding = SAGE_ENC_WINDOWS1252;
	check_with(&o, "Jos\xe9,\x80,\x93q\x94\n",
			   "1:Jos\xc3\xa9|\xe2\x82\xac|\xe2\x80\x9cq\xe2\x80\x9d\n");
	/* an undefined windows-1252 byte is replaced and flags the record */
	check_with(&o, "a\x81\nb\n", "1!:a\xef\xbf\xbd\n2:b\n");
}

static void
test_limits(void **state)
{
	SageCsvOptions o = opts_default();

	o.max_field_bytes = 5;
	check_with(&o, "12345,1\n", "1:12345|1\n");
	check_with(&o, "a\nb\n123456,1\n",
			   "1:a\n2:b\nERROR: CSV field 1 on line 3 is longer than 5 bytes");
	/* the limit applies to the unquoted text */
	check_with(&o, "\"12345\",\"a\"\"b\"\n", "1:12345|a\"b\n");
	check_with(&o, "x\n\"1\n2\n3\"\n\"abcdef\"\n",
			   "1:x\n2:1\n2\n3\nERROR: CSV field 1 on line 5 is longer than 5 bytes");
	/* a record: at most four times the field limit */
	check_with(&o, "1,2,3,4,5,6,7,8,9,0,1\n",
			   "ERROR: CSV record on line 1 is longer than 20 bytes");
	/* an unbalanced quote cannot buffer the whole file */
	check_with(&o, "a\n\"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\n",
			   "1:a\nERROR: CSV record on line 2 is longer than 20 bytes");
	/* the same once the buffer has grown past its first block */
	{
		size_t		n = 1000000;
		char	   *big = malloc(n + 8);

		big[0] = '"';
		memset(big + 1, 'b', n);
		big[n + 1] = '\0';
		o.max_field_bytes = 100000;
		check_with(&o, big, "ERROR: CSV record on line 1 is longer than 400000 bytes");
		free(big);
	}
}

/*
 * A small field limit shrinks the reader's buffer to a few bytes, so every
 * record crosses buffer refills: results must equal a normal reading.
 */
static void
test_tiny_buffer(void **state)
{
	static const char *const inputs[] = {
		"a,b\r\n\"c\",d\r\n\r\n\"e\"\"\",\"f\"\r\n",
		"\xEF\xBB\xBF" "x\r\r\n  \n\"q\nr\",\"\"\r\ns,t",
		"1,\"2\"x,3\n\t\n,,,\n\"\n\r\n\"\n",
		"ab,\"c\r\nd\"\r\"e\"\n\"\"\"\"\r",
		"f\xc3\xa9,\"\xff\"\n\xe2\x82\xac\n",
		"a\n\"u,\n",
	};
	size_t		i;

	for (i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++)
	{
		SageCsvOptions big = opts_default();
		SageCsvOptions tiny = opts_default();
		char	   *expected = render(inputs[i], strlen(inputs[i]), &big, SIZE_MAX, NULL);

		tiny.max_field_bytes = 4;
		check_with(&tiny, inputs[i], expected);
		free(expected);
	}
}

static void
test_limit_message(void **state)
{
	SageArena  *arena = sage_arena_new(NULL);
	ChunkStream cs;
	SageRecordReader rd;
	SageError	err;
	SageRecord	rec;
	SageCsvOptions o = opts_default();
	const char *data = "a\n\"bcdefgh\"\n";

	o.max_field_bytes = 4;
	assert_int_equal(sage_csv_reader_open(arena, chunk_stream(&cs, data, strlen(data), 64),
										  &o, &rd, &err), 0);
	assert_int_equal(rd.next(rd.self, &rec, &err), 1);
	assert_int_equal(rd.next(rd.self, &rec, &err), -1);
	assert_int_equal(err.code, SAGE_ERR_LIMIT);
	assert_string_equal(err.message, "CSV field 1 on line 2 is longer than 4 bytes");
	assert_string_equal(err.hint, "Check the quoting of the file: an unbalanced quote makes the rest of the file one field.");
	/* the error sticks */
	sage_error_clear(&err);
	assert_int_equal(rd.next(rd.self, &rec, &err), -1);
	assert_string_equal(err.message, "CSV field 1 on line 2 is longer than 4 bytes");
	rd.close(rd.self);
	rd.close(rd.self);
	assert_int_equal(cs.closed, 1);
	sage_arena_free(arena);
}

static void
test_stream_error(void **state)
{
	SageArena  *arena = sage_arena_new(NULL);
	ChunkStream cs;
	SageRecordReader rd;
	SageError	err;
	SageRecord	rec;
	SageCsvOptions o = opts_default();
	const char *data = "a,b\n1,2\n";
	SageStream	s = chunk_stream(&cs, data, strlen(data), 1);

	cs.fail_at = 3;
	assert_int_equal(sage_csv_reader_open(arena, s, &o, &rd, &err), 0);
	assert_int_equal(rd.next(rd.self, &rec, &err), -1);
	assert_int_equal(err.code, SAGE_ERR_IO);
	assert_string_equal(err.message, "could not read file \"x.csv\": simulated failure");
	rd.close(rd.self);
	assert_int_equal(cs.closed, 1);
	sage_arena_free(arena);
}

static void
test_bad_options(void **state)
{
	SageArena  *arena = sage_arena_new(NULL);
	ChunkStream cs;
	SageRecordReader rd;
	SageError	err;
	SageCsvOptions o = opts_default();
	SageStream	s = chunk_stream(&cs, "", 0, 1);

	o.delimiter = '\n';
	assert_int_equal(sage_csv_reader_open(arena, s, &o, &rd, &err), -1);
	assert_int_equal(err.code, SAGE_ERR_ARGUMENT);
	assert_string_equal(err.message, "invalid CSV delimiter 0x0a");
	o.delimiter = ',';
	o.quotechar = ',';
	assert_int_equal(sage_csv_reader_open(arena, s, &o, &rd, &err), -1);
	assert_string_equal(err.message, "invalid CSV quote character 0x2c");
	assert_string_equal(err.detail, "The quote character cannot be a line break or the delimiter.");
	o.quotechar = '"';
	o.encoding = (SageEncoding) 42;
	assert_int_equal(sage_csv_reader_open(arena, s, &o, &rd, &err), -1);
	assert_string_equal(err.message, "invalid CSV encoding 42");
	/* NULL options: comma, double quote, UTF-8 */
	assert_int_equal(sage_csv_reader_open(arena, s, NULL, &rd, &err), 0);
	rd.close(rd.self);
	sage_arena_free(arena);
}

/*
 * A record far longer than the reader's block (256 KiB): the buffer grows,
 * and a field of 600 000 bytes arrives whole, in both chunk modes.
 */
static void
test_long_records(void **state)
{
	size_t		n = 600000;
	size_t		len = n * 2 + 64;
	char	   *data = malloc(len);
	char	   *exp = malloc(len + 64);
	size_t		k = 0;
	size_t		e = 0;
	SageCsvOptions o = opts_default();

	k += sprintf(data + k, "h1,h2\n\"");
	e += sprintf(exp + e, "1:h1|h2\n2:");
	memset(data + k, 'x', n);
	memset(exp + e, 'x', n);
	k += n;
	e += n;
	k += sprintf(data + k, "\",");
	exp[e++] = '|';
	memset(data + k, 'y', n / 2);
	memset(exp + e, 'y', n / 2);
	k += n / 2;
	e += n / 2;
	k += sprintf(data + k, "\nz,\"a\nb\"\n");
	e += sprintf(exp + e, "\n3:z|a\nb\n");
	check_opts(data, k, &o, exp);
	free(data);
	free(exp);
}

/* Many records across many blocks, with line numbers checked. */
static void
test_many_records(void **state)
{
	size_t		rows = 100000;
	char	   *data = malloc(rows * 40 + 64);
	char	   *exp = malloc(rows * 50 + 64);
	size_t		k = 0;
	size_t		e = 0;
	size_t		i;
	uint64_t	line = 1;
	SageCsvOptions o = opts_default();

	for (i = 0; i < rows; i++)
	{
		if (i % 1000 == 7)
		{
			/* a multi-line quoted cell every now and then */
			k += sprintf(data + k, "%zu,\"q\r\nr\",z\r\n", i);
			e += sprintf(exp + e, "%llu:%zu|q\r\nr|z\n", (unsigned long long) line, i);
			line += 2;
		}
		else
		{
			k += sprintf(data + k, "%zu,abc,%zu\r\n", i, i * 7);
			e += sprintf(exp + e, "%llu:%zu|abc|%zu\n", (unsigned long long) line, i, i * 7);
			line++;
		}
	}
	check_opts(data, k, &o, exp);
	free(data);
	free(exp);
}

static char *
read_test_file(const char *name, size_t *len)
{
	const char *dir = getenv("SAGE_TEST_DATA");
	char		path[1024];
	FILE	   *f;
	char	   *buf;
	long		n;

	snprintf(path, sizeof(path), "%s/csv/%s", dir ? dir : "test/data", name);
	f = fopen(path, "rb");
	if (f == NULL)
		fail_msg("cannot open %s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc(n + 1);
	assert_int_equal(fread(buf, 1, n, f), (size_t) n);
	fclose(f);
	*len = (size_t) n;
	return buf;
}

static void
test_data_files(void **state)
{
	SageCsvOptions o = opts_default();
	size_t		len;
	char	   *d;

	d = read_test_file("bom_multiline.csv", &len);
	check_opts(d, len, &o,
			   "1:code|desc|qty\n2:A1|multi\r\nline\r\ntext|3\n6:B2|say \"hi\"|4\n7:C3|plain|5\n");
	free(d);

	d = read_test_file("invalid_utf8.csv", &len);
	check_opts(d, len, &o,
			   "1:a|b\n2:1|ok\n3!:2|bad \xef\xbf\xbd byte\n4:3|caf\xc3\xa9\n5!:4|trunc \xef\xbf\xbd\n");
	free(d);

	d = read_test_file("empty.csv", &len);
	check_opts(d, len, &o, "");
	free(d);

	o.delimiter = '\t';
	d = read_test_file("header_only.tsv", &len);
	check_opts(d, len, &o, "1:col1|col2|col3\n");
	free(d);

	o.delimiter = ';';
	o.encoding = SAGE_ENC_LATIN1;
	d = read_test_file("latin1.csv", &len);
	check_opts(d, len, &o,
			   "1:id|nombre|ciudad\n2:1|Jos\xc3\xa9|M\xc3\xa1" "laga\n3:2|\xc3\x91" "and\xc3\xba|C\xc3\xb3rdoba\n");
	free(d);

	o.delimiter = ',';
	o.encoding = SAGE_ENC_WINDOWS1252;
	d = read_test_file("windows1252.csv", &len);
	check_opts(d, len, &o,
			   "1:id|price|note\n2:1|\xe2\x82\xac 5|\xe2\x80\x9cquoted\xe2\x80\x9d\n"
			   "3!:2|10|caf\xc3\xa9 \xef\xbf\xbd\n");
	free(d);
}

/* Reading from a real file stream, as the processor does. */
static void
test_file_stream(void **state)
{
	const char *dir = getenv("SAGE_TEST_DATA");
	char		path[1024];
	SageArena  *arena = sage_arena_new(NULL);
	SageStream	s;
	SageRecordReader rd;
	SageError	err;
	SageRecord	rec;
	SageCsvOptions o = opts_default();
	int			n = 0;

	snprintf(path, sizeof(path), "%s/csv/bom_multiline.csv", dir ? dir : "test/data");
	assert_int_equal(sage_stream_from_file(arena, path, &s, &err), 0);
	assert_int_equal(sage_csv_reader_open(arena, s, &o, &rd, &err), 0);
	while (rd.next(rd.self, &rec, &err) == 1)
		n++;
	assert_int_equal(n, 4);
	assert_int_equal(rec.line, 7);
	assert_int_equal(rd.bytes_done(rd.self), 79);
	rd.close(rd.self);
	sage_arena_free(arena);
}

/* A memory budget too small for the reader's buffer. */
static void
test_memory_budget(void **state)
{
	SageBudget	budget = {0};
	SageArena  *arena;
	ChunkStream cs;
	SageRecordReader rd;
	SageError	err;

	budget.limit = 100 * 1024;
	arena = sage_arena_new(&budget);
	assert_int_equal(sage_csv_reader_open(arena, chunk_stream(&cs, "a", 1, 1), NULL, &rd, &err), -1);
	assert_int_equal(err.code, SAGE_ERR_MEMORY);
	assert_string_equal(err.message, "memory limit exceeded");
	sage_arena_free(arena);
}

/*
 * Differential test over generated inputs: the same text read with a
 * buffer of a few bytes (every record crosses refills, CRs land on the
 * buffer's last byte, quotes at its end) must give what a big buffer gives.
 */
static void
test_generated_refills(void **state)
{
	static const char *const frags[] = {
		"a", "bc", "\"q\"", "\"q\"\"x\"", "\"a\"b", "\r\n", "\r", "\n", "  \r\n", " \t\n",
		"\xc3\xa9", "\"\xc3\xa9\"", ",", ",", "\xff", "\"\r\n\"", "\t", "\"\"", "z,\r",
	};
	uint32_t	seed = 12345;
	int			compared = 0;

	(void) state;
	for (int k = 0; k < 400; k++)
	{
		char		in[256];
		size_t		n = 0;
		int			nfrag = 1 + k % 14;
		SageCsvOptions big = opts_default();
		SageCsvOptions tiny = opts_default();
		char	   *expected;

		for (int j = 0; j < nfrag; j++)
		{
			const char *f;

			seed = seed * 1103515245u + 12345u;
			f = frags[(seed >> 16) % (sizeof(frags) / sizeof(frags[0]))];
			memcpy(in + n, f, strlen(f));
			n += strlen(f);
		}
		in[n] = '\0';
		if (k % 3 == 0)
			big.encoding = tiny.encoding = SAGE_ENC_LATIN1;
		expected = render(in, n, &big, SIZE_MAX, NULL);
		tiny.max_field_bytes = 8;
		{
			char	   *got = render(in, n, &tiny, 1 + k % 5, NULL);

			if (strstr(got, "longer than") == NULL)
			{
				compared++;
				if (strcmp(got, expected) != 0)
					fail_msg("input %d \"%s\":\n--- expected\n%s--- got\n%s", k, in, expected, got);
			}
			free(got);
		}
		free(expected);
	}
	assert_true(compared > 250);
}

/* A read error anywhere, also while skipping blank lines, is reported once. */
static void
test_read_errors_everywhere(void **state)
{
	static const char data[] = "a,b\r\n\r\n  \n\"c\r\nd\",\xc3\xa9\r\n\t\r\n\"e\"\"\",f\r\n \n";
	size_t		len = strlen(data);

	(void) state;
	for (size_t fail_at = 1; fail_at <= len; fail_at++)
		for (size_t chunk = 1; chunk <= 3; chunk++)
		{
			SageArena  *arena = sage_arena_new(NULL);
			ChunkStream cs;
			SageStream	st = chunk_stream(&cs, data, len, chunk);
			SageRecordReader rd;
			SageError	err;
			SageRecord	rec;
			SageCsvOptions o = opts_default();
			int			rc;

			o.max_field_bytes = chunk == 3 ? 4 : 0;
			cs.fail_at = fail_at;
			sage_error_clear(&err);
			assert_int_equal(sage_csv_reader_open(arena, st, &o, &rd, &err), 0);
			while ((rc = rd.next(rd.self, &rec, &err)) == 1)
				;
			assert_int_equal(rc, -1);
			if (strstr(err.message, "simulated failure") == NULL &&
				strstr(err.message, "longer than") == NULL)
				fail_msg("fail_at %zu chunk %zu: %s", fail_at, chunk, err.message);
			/* the error sticks */
			assert_int_equal(rd.next(rd.self, &rec, &err), -1);
			rd.close(rd.self);
			assert_int_equal(cs.closed, 1);
			sage_arena_free(arena);
		}
}

/* A stream that hands out more bytes than asked for. */
static long
greedy_read(void *ctx, void *buf, size_t len, SageError *err)
{
	memset(buf, 'a', len);
	return (long) len + 1;
}

static void
test_bad_streams_and_options(void **state)
{
	SageArena  *arena = sage_arena_new(NULL);
	SageRecordReader rd;
	SageError	err;
	SageRecord	rec;
	SageStream	st;
	SageCsvOptions o = opts_default();
	char	   *got;

	(void) state;
	memset(&st, 0, sizeof(st));
	sage_error_clear(&err);
	assert_int_equal(sage_csv_reader_open(arena, st, &o, &rd, &err), -1);
	assert_int_equal(err.code, SAGE_ERR_ARGUMENT);
	st.read = greedy_read;
	sage_error_clear(&err);
	assert_int_equal(sage_csv_reader_open(arena, st, NULL, &rd, &err), 0);
	assert_int_equal(rd.next(rd.self, &rec, &err), -1);
	assert_string_equal(err.message, "stream returned more bytes than asked for");
	rd.close(rd.self);
	sage_arena_free(arena);
	/* a field limit above the ceiling is clamped */
	o.max_field_bytes = UINT32_MAX;
	got = render("a,b\n", 4, &o, SIZE_MAX, NULL);
	assert_string_equal(got, "1:a|b\n");
	free(got);
}

/* Records with many fields grow the field arrays; too many is an error. */
static void
test_many_fields(void **state)
{
	size_t		n = 1000001;
	char	   *data = malloc(2 * n + 2);
	char	   *got;
	SageCsvOptions o = opts_default();

	(void) state;
	/* 300 fields, twice */
	for (size_t i = 0; i < 600; i++)
	{
		data[2 * i] = 'x';
		data[2 * i + 1] = (i % 300 == 299) ? '\n' : ',';
	}
	data[1200] = '\0';
	got = render(data, 1200, &o, SIZE_MAX, NULL);
	assert_int_equal(strlen(got), 2 * (2 + 599 + 1));
	free(got);
	/* 1,000,001 empty fields */
	memset(data, ',', n - 1);
	data[n - 1] = '\n';
	data[n] = '\0';
	got = render(data, n, &o, SIZE_MAX, NULL);
	assert_non_null(strstr(got, "ERROR: "));
	assert_non_null(strstr(got, "1000000"));
	free(got);
	free(data);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_simple),
		cmocka_unit_test(test_empty_and_header_only),
		cmocka_unit_test(test_line_endings),
		cmocka_unit_test(test_blank_lines),
		cmocka_unit_test(test_quoted),
		cmocka_unit_test(test_unterminated_quote),
		cmocka_unit_test(test_delimiters),
		cmocka_unit_test(test_bom),
		cmocka_unit_test(test_invalid_utf8),
		cmocka_unit_test(test_single_byte_encodings),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_tiny_buffer),
		cmocka_unit_test(test_limit_message),
		cmocka_unit_test(test_stream_error),
		cmocka_unit_test(test_bad_options),
		cmocka_unit_test(test_long_records),
		cmocka_unit_test(test_many_records),
		cmocka_unit_test(test_data_files),
		cmocka_unit_test(test_file_stream),
		cmocka_unit_test(test_memory_budget),
		cmocka_unit_test(test_generated_refills),
		cmocka_unit_test(test_read_errors_everywhere),
		cmocka_unit_test(test_bad_streams_and_options),
		cmocka_unit_test(test_many_fields),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
