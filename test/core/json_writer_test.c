/*-------------------------------------------------------------------------
 *
 * test/core/json_writer_test.c
 *		Tests of src/core/json_writer.c: escaping, UTF-8 repair, numbers,
 *		layout, misuse and emit failures; documents are also parsed back by
 *		Python's json module when /usr/bin/python3 is available.
 *
 *-------------------------------------------------------------------------
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "json_internal.h"

/* Output collected by the test emit callback. */
typedef struct Buf
{
	char		data[65536];	/* bytes emitted */
	size_t		len;			/* bytes used */
	size_t		fail_after;		/* emit fails once len would pass this (0 = never) */
	int			calls;			/* emit calls */
} Buf;

static int
buf_emit(void *ctx, const char *data, size_t len)
{
	Buf		   *b = ctx;

	b->calls++;
	if (b->fail_after > 0 && b->len + len > b->fail_after)
		return -1;
	assert_true(b->len + len < sizeof(b->data));
	memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
	return 0;
}

/* A compact writer over a fresh buffer. */
static void
start(SageJsonWriter *w, Buf *b, bool pretty, SageError *err)
{
	memset(b, 0, sizeof(*b));
	sage_error_clear(err);
	sage_json_init(w, buf_emit, b, pretty, err);
}

/* The JSON text of one string value. */
static const char *
string_json(Buf *b, const char *s, size_t len)
{
	SageJsonWriter w;
	SageError	err;

	start(&w, b, false, &err);
	assert_int_equal(sage_json_string_len(&w, s, len), 0);
	assert_int_equal(sage_json_finish(&w), 0);
	return b->data;
}

static void
test_escape_basic(void **state)
{
	Buf		   *b = malloc(sizeof(Buf));

	assert_string_equal(string_json(b, "plain", 5), "\"plain\"");
	assert_string_equal(string_json(b, "a\"b\\c", 5), "\"a\\\"b\\\\c\"");
	assert_string_equal(string_json(b, "\n\r\t\b\f", 5), "\"\\n\\r\\t\\b\\f\"");
	assert_string_equal(string_json(b, "\x01\x1f\x7f/", 4), "\"\\u0001\\u001f\x7f/\"");
	/* a NUL inside a counted string is escaped, not a terminator */
	assert_string_equal(string_json(b, "a\0b", 3), "\"a\\u0000b\"");
	assert_string_equal(string_json(b, "", 0), "\"\"");
	free(b);
}

static void
test_escape_utf8(void **state)
{
	Buf		   *b = malloc(sizeof(Buf));

	/* valid multibyte text passes through untouched */
	assert_string_equal(string_json(b, "\xC3\x89xito \xE2\x82\xAC \xF0\x9F\x98\x80", 15),
						"\"\xC3\x89xito \xE2\x82\xAC \xF0\x9F\x98\x80\"");
	/* lone bytes, overlongs, surrogates, > U+10FFFF, truncated sequences */
	assert_string_equal(string_json(b, "a\xFF" "b", 3), "\"a\xEF\xBF\xBD" "b\"");
	assert_string_equal(string_json(b, "\xC0\xAF", 2), "\"\xEF\xBF\xBD\xEF\xBF\xBD\"");
	assert_string_equal(string_json(b, "\xED\xA0\x80", 3),
						"\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\"");
	assert_string_equal(string_json(b, "\xF4\x90\x80\x80", 4),
						"\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\"");
	assert_string_equal(string_json(b, "x\xE2\x82", 3), "\"x\xEF\xBF\xBD\xEF\xBF\xBD\"");
	/* U+2028 / U+2029 are escaped */
	assert_string_equal(string_json(b, "\xE2\x80\xA8\xE2\x80\xA9", 6), "\"\\u2028\\u2029\"");
	free(b);
}

static void
test_utf8_seq_len(void **state)
{
	assert_int_equal(sage_utf8_seq_len((const unsigned char *) "a", 1), 1);
	assert_int_equal(sage_utf8_seq_len((const unsigned char *) "\xC2\x80", 2), 2);
	assert_int_equal(sage_utf8_seq_len((const unsigned char *) "\xC1\xBF", 2), 0);
	assert_int_equal(sage_utf8_seq_len((const unsigned char *) "\xE0\x9F\xBF", 3), 0);
	assert_int_equal(sage_utf8_seq_len((const unsigned char *) "\xE0\xA0\x80", 3), 3);
	assert_int_equal(sage_utf8_seq_len((const unsigned char *) "\xED\x9F\xBF", 3), 3);
	assert_int_equal(sage_utf8_seq_len((const unsigned char *) "\xED\xA0\x80", 3), 0);
	assert_int_equal(sage_utf8_seq_len((const unsigned char *) "\xF0\x8F\xBF\xBF", 4), 0);
	assert_int_equal(sage_utf8_seq_len((const unsigned char *) "\xF0\x90\x80\x80", 4), 4);
	assert_int_equal(sage_utf8_seq_len((const unsigned char *) "\xF4\x8F\xBF\xBF", 4), 4);
	assert_int_equal(sage_utf8_seq_len((const unsigned char *) "\xF4\x90\x80\x80", 4), 0);
	assert_int_equal(sage_utf8_seq_len((const unsigned char *) "\xF5\x80\x80\x80", 4), 0);
	assert_int_equal(sage_utf8_seq_len((const unsigned char *) "\xE2\x82\xAC", 2), 0);
	assert_int_equal(sage_utf8_seq_len((const unsigned char *) "\x80", 1), 0);
}

static void
test_numbers(void **state)
{
	static const struct
	{
		double		v;
		const char *text;
	}			cases[] = {
		{25.0, "25.0"}, {66.67, "66.67"}, {62.5, "62.5"}, {16.67, "16.67"},
		{100.0, "100.0"}, {0.0, "0.0"}, {0.1, "0.1"}, {-1.5, "-1.5"},
		{1e300, "1e+300"}, {1.0 / 3.0, "0.3333333333333333"},
		{1e16, "1e+16"}, {1234567890123456.0, "1234567890123456.0"},
		{0.0001, "0.0001"}, {0.00001, "1e-05"}, {1.5e-7, "1.5e-07"},
		{-0.0, "-0.0"}, {DBL_MAX, "1.7976931348623157e+308"},
		{5e-324, "5e-324"}, {123.456, "123.456"},
		{6667 / 100.0, "66.67"}, {2500 / 100.0, "25.0"}, {1 / 100.0, "0.01"}
	};
	char		buf[40];
	size_t		i;
	SageJsonWriter w;
	SageError	err;
	Buf		   *b = malloc(sizeof(Buf));

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
	{
		sage_json_format_double(cases[i].v, buf);
		assert_string_equal(buf, cases[i].text);
		assert_true(strtod(buf, NULL) == cases[i].v);
	}
	sage_json_format_double(NAN, buf);
	assert_string_equal(buf, "null");
	sage_json_format_double(INFINITY, buf);
	assert_string_equal(buf, "null");

	start(&w, b, false, &err);
	sage_json_begin_array(&w);
	sage_json_int(&w, INT64_MIN);
	sage_json_int(&w, INT64_MAX);
	sage_json_uint(&w, UINT64_MAX);
	sage_json_double(&w, -INFINITY);
	sage_json_bool(&w, true);
	sage_json_bool(&w, false);
	sage_json_null(&w);
	sage_json_string(&w, NULL);
	sage_json_end_array(&w);
	assert_int_equal(sage_json_finish(&w), 0);
	assert_string_equal(b->data,
						"[-9223372036854775808,9223372036854775807,18446744073709551615,"
						"null,true,false,null,null]");
	free(b);
}

static void
test_layout_pretty(void **state)
{
	SageJsonWriter w;
	SageError	err;
	Buf		   *b = malloc(sizeof(Buf));

	start(&w, b, true, &err);
	sage_json_begin_object(&w);
	sage_json_key(&w, "a");
	sage_json_int(&w, 1);
	sage_json_key(&w, "empty_obj");
	sage_json_begin_object(&w);
	sage_json_end_object(&w);
	sage_json_key(&w, "empty_arr");
	sage_json_begin_array(&w);
	sage_json_end_array(&w);
	sage_json_key(&w, "list");
	sage_json_begin_array(&w);
	sage_json_string(&w, "x");
	sage_json_begin_object(&w);
	sage_json_key(&w, "k\"ey");
	sage_json_null(&w);
	sage_json_end_object(&w);
	sage_json_end_array(&w);
	sage_json_end_object(&w);
	assert_int_equal(sage_json_finish(&w), 0);
	/* the layout of Python's json.dumps(indent=2) */
	assert_string_equal(b->data,
						"{\n"
						"  \"a\": 1,\n"
						"  \"empty_obj\": {},\n"
						"  \"empty_arr\": [],\n"
						"  \"list\": [\n"
						"    \"x\",\n"
						"    {\n"
						"      \"k\\\"ey\": null\n"
						"    }\n"
						"  ]\n"
						"}\n");

	start(&w, b, false, &err);
	sage_json_begin_object(&w);
	sage_json_key(&w, "a");
	sage_json_begin_array(&w);
	sage_json_int(&w, 1);
	sage_json_int(&w, 2);
	sage_json_end_array(&w);
	sage_json_key(&w, "b");
	sage_json_string(&w, "c");
	sage_json_end_object(&w);
	assert_int_equal(sage_json_finish(&w), 0);
	assert_string_equal(b->data, "{\"a\":[1,2],\"b\":\"c\"}");
	free(b);
}

static void
test_misuse(void **state)
{
	SageJsonWriter w;
	SageError	err;
	Buf		   *b = malloc(sizeof(Buf));
	int			i;

	/* a value without its key inside an object */
	start(&w, b, false, &err);
	sage_json_begin_object(&w);
	assert_int_equal(sage_json_int(&w, 1), -1);
	assert_int_equal(err.code, SAGE_ERR_INTERNAL);
	assert_string_equal(err.message,
						"invalid JSON writer call: value without a key inside an object");
	/* sticky: nothing more is emitted */
	assert_int_equal(sage_json_end_object(&w), -1);
	assert_string_equal(b->data, "{");

	/* a key inside an array */
	start(&w, b, false, &err);
	sage_json_begin_array(&w);
	assert_int_equal(sage_json_key(&w, "k"), -1);
	assert_string_equal(err.message, "invalid JSON writer call: key outside an object");

	/* mismatched end */
	start(&w, b, false, &err);
	sage_json_begin_array(&w);
	assert_int_equal(sage_json_end_object(&w), -1);
	assert_string_equal(err.message, "invalid JSON writer call: unbalanced container end");

	/* key with no value at the end */
	start(&w, b, false, &err);
	sage_json_begin_object(&w);
	sage_json_key(&w, "k");
	assert_int_equal(sage_json_end_object(&w), -1);
	assert_string_equal(err.message, "invalid JSON writer call: key without a value");

	/* incomplete document */
	start(&w, b, false, &err);
	sage_json_begin_array(&w);
	assert_int_equal(sage_json_finish(&w), -1);
	assert_string_equal(err.message, "invalid JSON writer call: incomplete document");

	/* nothing written at all is incomplete too */
	start(&w, b, false, &err);
	assert_int_equal(sage_json_finish(&w), -1);

	/* two top-level values */
	start(&w, b, false, &err);
	sage_json_int(&w, 1);
	assert_int_equal(sage_json_int(&w, 2), -1);
	assert_string_equal(err.message, "invalid JSON writer call: second top-level value");

	/* an empty container is a whole document; a value after it is a second one */
	start(&w, b, false, &err);
	sage_json_begin_array(&w);
	sage_json_end_array(&w);
	assert_int_equal(sage_json_finish(&w), 0);
	assert_int_equal(sage_json_begin_object(&w), -1);
	assert_string_equal(err.message, "invalid JSON writer call: second top-level value");
	start(&w, b, false, &err);
	sage_json_begin_object(&w);
	sage_json_end_object(&w);
	assert_int_equal(sage_json_finish(&w), 0);

	/* nesting is capped */
	start(&w, b, false, &err);
	for (i = 0; i < SAGE_JSON_MAX_DEPTH - 1; i++)
		assert_int_equal(sage_json_begin_array(&w), 0);
	assert_int_equal(sage_json_begin_array(&w), -1);
	assert_string_equal(err.message, "invalid JSON writer call: nesting too deep");
	free(b);
}

static void
test_emit_failure(void **state)
{
	SageJsonWriter w;
	SageError	err;
	Buf		   *b = malloc(sizeof(Buf));
	int			calls;

	start(&w, b, false, &err);
	b->fail_after = 5;
	sage_json_begin_array(&w);
	sage_json_string(&w, "abc");
	assert_int_equal(sage_json_string(&w, "defgh"), -1);
	calls = b->calls;
	/* after a failure the writer never calls emit again */
	assert_int_equal(sage_json_end_array(&w), -1);
	assert_int_equal(sage_json_finish(&w), -1);
	assert_int_equal(b->calls, calls);
	/* an emit failure is the emitter's error, not a misuse */
	assert_int_equal(err.code, SAGE_OK);
	free(b);
}

/*
 * test_python_roundtrip
 *		Nasty strings written by the writer must parse with Python's strict
 *		json module and decode to the expected text.
 */
static void
test_python_roundtrip(void **state)
{
	static const char *const values[] = {
		"quote \" backslash \\ slash /",
		"controls \x01\x02\x1b\x1f\n\r\t\b\f end",
		"emoji \xF0\x9F\x98\x80 \xC3\xB1 \xE2\x82\xAC",
		"line sep \xE2\x80\xA8 para \xE2\x80\xA9",
		"bad \xFF\xFE utf8 \xC0\xAF \xED\xA0\x80",
		"<script>alert('x')</script>"
	};
	static const char *const decoded_py[] = {
		"'quote \" backslash \\\\ slash /'",
		"'controls \\x01\\x02\\x1b\\x1f\\n\\r\\t\\b\\f end'",
		"'emoji \\U0001F600 \\u00f1 \\u20ac'",
		"'line sep \\u2028 para \\u2029'",
		"'bad \\ufffd\\ufffd utf8 \\ufffd\\ufffd \\ufffd\\ufffd\\ufffd'",
		"\"<script>alert('x')</script>\""
	};
	SageJsonWriter w;
	SageError	err;
	Buf		   *b = malloc(sizeof(Buf));
	char		path[] = "/tmp/sage_json_testXXXXXX";
	char		script[] = "/tmp/sage_json_scriptXXXXXX";
	char		cmd[512];
	FILE	   *fp;
	int			fd;
	size_t		i;

	if (access("/usr/bin/python3", X_OK) != 0)
	{
		free(b);
		skip();
	}
	start(&w, b, true, &err);
	sage_json_begin_object(&w);
	sage_json_key(&w, "values");
	sage_json_begin_array(&w);
	for (i = 0; i < sizeof(values) / sizeof(values[0]); i++)
		sage_json_string(&w, values[i]);
	sage_json_end_array(&w);
	sage_json_key(&w, "rate");
	sage_json_double(&w, 6667 / 100.0);
	sage_json_key(&w, "\xFFkey");
	sage_json_uint(&w, UINT64_MAX);
	sage_json_end_object(&w);
	assert_int_equal(sage_json_finish(&w), 0);

	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, b->data, b->len), (ssize_t) b->len);
	close(fd);

	fd = mkstemp(script);
	assert_true(fd >= 0);
	fp = fdopen(fd, "w");
	fprintf(fp, "import json, sys\n"
			"raw = open(sys.argv[1], 'rb').read()\n"
			"raw.decode('utf-8')\n"
			"d = json.loads(raw, parse_constant=lambda c: sys.exit('constant ' + c))\n"
			"exp = [");
	for (i = 0; i < sizeof(decoded_py) / sizeof(decoded_py[0]); i++)
		fprintf(fp, "%s, ", decoded_py[i]);
	fprintf(fp, "]\n"
			"assert d['values'] == exp, (d['values'], exp)\n"
			"assert d['rate'] == 66.67\n"
			"assert d['\\ufffdkey'] == 18446744073709551615\n");
	fclose(fp);
	snprintf(cmd, sizeof(cmd), "/usr/bin/python3 %s %s", script, path);
	assert_int_equal(system(cmd), 0);
	unlink(path);
	unlink(script);
	free(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape_basic),
		cmocka_unit_test(test_escape_utf8),
		cmocka_unit_test(test_utf8_seq_len),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_layout_pretty),
		cmocka_unit_test(test_misuse),
		cmocka_unit_test(test_emit_failure),
		cmocka_unit_test(test_python_roundtrip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
