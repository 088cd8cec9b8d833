/*-------------------------------------------------------------------------
 *
 * test/aws/json_reader_test.c
 *		Tests of src/aws/json_reader.c: valid documents (DynamoDB-shaped),
 *		every kind of malformed input, depth bombs and size limits, the
 *		buffer sink, plus the EMF line writer of src/aws/cloudwatch.c
 *		(pure formatting, no service), read back with the reader.
 *
 *-------------------------------------------------------------------------
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>

#include <cmocka.h>

#include "json_reader.h"
#include "sage/cloudwatch.h"

/* Parses text (NUL-terminated) with default limits. */
static SageJsonValue *
parse(SageArena *a, const char *text, SageError *err)
{
	sage_error_clear(err);
	return sage_json_parse(a, text, strlen(text), NULL, err);
}

static void
test_valid_dynamodb_item(void **state)
{
	SageArena  *a = sage_arena_new(NULL);
	SageError	err;
	const char *doc =
		"{\"Item\": {\"execution_id\": {\"S\": \"e\\u00e9\\ud83d\\ude00\"},"
		" \"attempt\": {\"N\": \"42\"}, \"empty\": {}, \"list\": [1, -0.5e+3, true, false, null, []]},"
		" \"__type\": \"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException\"}\n";
	SageJsonValue *v = parse(a, doc, &err);
	const SageJsonValue *item;
	const SageJsonValue *list;
	int64_t		n;

	assert_non_null(v);
	assert_int_equal(v->type, SAGE_JSON_OBJECT);
	item = sage_json_member(v, "Item");
	assert_non_null(item);
	assert_string_equal(sage_json_member_string(sage_json_member(item, "execution_id"), "S"),
						"e\xc3\xa9\xf0\x9f\x98\x80");
	assert_int_equal(sage_json_to_int64(sage_json_member(sage_json_member(item, "attempt"), "N"), &n), 0);
	assert_int_equal(n, 42);
	list = sage_json_member(item, "list");
	assert_int_equal(list->type, SAGE_JSON_ARRAY);
	assert_int_equal(list->count, 6);
	assert_int_equal(list->items[0]->type, SAGE_JSON_NUMBER);
	assert_string_equal(list->items[1]->str, "-0.5e+3");
	assert_int_equal(list->items[2]->type, SAGE_JSON_TRUE);
	assert_int_equal(list->items[3]->type, SAGE_JSON_FALSE);
	assert_int_equal(list->items[4]->type, SAGE_JSON_NULL);
	assert_int_equal(list->items[5]->count, 0);
	assert_int_equal(sage_json_member(item, "empty")->count, 0);
	assert_null(sage_json_member(item, "nope"));
	assert_null(sage_json_member_string(item, "list"));
	assert_int_equal(sage_json_to_int64(list->items[1], &n), -1);
	sage_arena_free(a);
}

static void
test_escapes_and_nul(void **state)
{
	SageArena  *a = sage_arena_new(NULL);
	SageError	err;
	SageJsonValue *v = parse(a, "\"a\\\"\\\\\\/\\b\\f\\n\\r\\t\\u0000z\"", &err);

	assert_non_null(v);
	assert_int_equal(v->len, 11);
	assert_memory_equal(v->str, "a\"\\/\b\f\n\r\t\0z", 11);
	/* a NUL inside is not a valid int64 text */
	assert_int_equal(sage_json_to_int64(v, &(int64_t) {0}), -1);
	sage_arena_free(a);
}

static void
test_malformed(void **state)
{
	static const char *const bad[] = {
		"", " ", "{", "}", "[", "]", "[1,]", "{\"a\":1,}", "{\"a\" 1}", "{a:1}",
		"[1 2]", "01", "-", "1.", ".5", "1e", "1e+", "+1", "tru", "nul", "falsey",
		"\"abc", "\"\\x\"", "\"\\u12\"", "\"\\u12G4\"", "\"\\ud800\"", "\"\\udc00\"",
		"\"\\ud800\\u0041\"", "\"a\nb\"", "\"\xff\"", "\"\xc0\xaf\"", "\"\xed\xa0\x80\"",
		"{} {}", "[] x", "NaN", "Infinity", "[1,,2]", "{\"a\":}", "\"\\",
		"\"\\u\"", "\"\\ud800\\", "[\"a\"", "{\"a\":1", "'a'", "[1]\x01",
	};
	size_t		i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
	{
		SageArena  *a = sage_arena_new(NULL);
		SageError	err;

		if (parse(a, bad[i], &err) != NULL)
			fail_msg("accepted malformed JSON #%zu: %s", i, bad[i]);
		assert_true(err.code == SAGE_ERR_INPUT);
		assert_non_null(strstr(err.message, "could not parse JSON response: "));
		assert_non_null(strstr(err.message, " at offset "));
		sage_arena_free(a);
	}
}

static void
test_error_offset(void **state)
{
	SageArena  *a = sage_arena_new(NULL);
	SageError	err;

	assert_null(parse(a, "{\"a\": [1, 2 x]}", &err));
	assert_string_equal(err.message,
						"could not parse JSON response: expected ',' or ']' at offset 12");
	sage_arena_free(a);
}

/* Nesting far past the cap fails cleanly, without deep recursion. */
static void
test_depth_bomb(void **state)
{
	SageArena  *a = sage_arena_new(NULL);
	SageError	err;
	size_t		n = 1000000;
	char	   *bomb = malloc(2 * n + 1);
	SageJsonLimits lim = {10, 0};
	char		ok[64];
	size_t		i;

	memset(bomb, '[', n);
	memset(bomb + n, ']', n);
	bomb[2 * n] = '\0';
	assert_null(sage_json_parse(a, bomb, 2 * n, NULL, &err));
	assert_int_equal(err.code, SAGE_ERR_LIMIT);
	assert_non_null(strstr(err.message, "nesting deeper than 64 levels"));
	memset(bomb, '{', n);
	assert_null(sage_json_parse(a, bomb, n, NULL, &err));
	assert_int_equal(err.code, SAGE_ERR_INPUT);	/* '{' then no name */
	for (i = 0; i + 5 <= n; i += 5)
		memcpy(bomb + i, "{\"a\":", 5);
	assert_null(sage_json_parse(a, bomb, n, NULL, &err));
	assert_int_equal(err.code, SAGE_ERR_LIMIT);
	free(bomb);
	/* exactly at the cap is fine, one more is not */
	memset(ok, 0, sizeof(ok));
	memset(ok, '[', 10);
	memset(ok + 10, ']', 10);
	assert_non_null(sage_json_parse(a, ok, 20, &lim, &err));
	memset(ok, '[', 11);
	memset(ok + 11, ']', 11);
	assert_null(sage_json_parse(a, ok, 22, &lim, &err));
	assert_int_equal(err.code, SAGE_ERR_LIMIT);
	sage_arena_free(a);
}

static void
test_size_limit_and_budget(void **state)
{
	SageArena  *a = sage_arena_new(NULL);
	SageError	err;
	SageJsonLimits lim = {0, 8};
	SageBudget	budget = {4096, 0, 0};
	SageArena  *small = sage_arena_new(&budget);
	size_t		n = 100000;
	char	   *wide = malloc(2 * n + 2);
	size_t		i;

	assert_null(sage_json_parse(a, "[1,2,3,4,5]", 11, &lim, &err));
	assert_int_equal(err.code, SAGE_ERR_LIMIT);
	assert_non_null(sage_json_parse(a, "[1,2,3]", 7, &lim, &err));
	/* a wide array runs into the memory budget: a memory error, no crash */
	wide[0] = '[';
	for (i = 0; i < n; i++)
	{
		wide[1 + 2 * i] = '1';
		wide[2 + 2 * i] = i + 1 < n ? ',' : ']';
	}
	assert_null(sage_json_parse(small, wide, 2 * n + 1, NULL, &err));
	assert_int_equal(err.code, SAGE_ERR_MEMORY);
	/* and is fine without a budget */
	{
		SageJsonValue *v = sage_json_parse(a, wide, 2 * n + 1, NULL, &err);

		assert_non_null(v);
		assert_int_equal(v->count, n);
	}
	free(wide);
	sage_arena_free(small);
	sage_arena_free(a);
}

static void
test_int64(void **state)
{
	SageArena  *a = sage_arena_new(NULL);
	SageError	err;
	SageJsonValue *v = parse(a, "[\"9223372036854775807\", \"9223372036854775808\","
							 " \" 1\", \"+1\", \"-5\", 7, 1.5, \"\"]", &err);
	int64_t		n;

	assert_non_null(v);
	assert_int_equal(sage_json_to_int64(v->items[0], &n), 0);
	assert_true(n == INT64_MAX);
	assert_int_equal(sage_json_to_int64(v->items[1], &n), -1);
	assert_int_equal(sage_json_to_int64(v->items[2], &n), -1);
	assert_int_equal(sage_json_to_int64(v->items[3], &n), -1);
	assert_int_equal(sage_json_to_int64(v->items[4], &n), 0);
	assert_int_equal(n, -5);
	assert_int_equal(sage_json_to_int64(v->items[5], &n), 0);
	assert_int_equal(n, 7);
	assert_int_equal(sage_json_to_int64(v->items[6], &n), -1);
	assert_int_equal(sage_json_to_int64(v->items[7], &n), -1);
	assert_int_equal(sage_json_to_int64(NULL, &n), -1);
	sage_arena_free(a);
}

static void
test_buffer_sink(void **state)
{
	SageArena  *a = sage_arena_new(NULL);
	SageError	err;
	SageJsonBuffer b = {0};
	int			i;

	b.arena = a;
	b.err = &err;
	for (i = 0; i < 1000; i++)
		assert_int_equal(sage_json_buffer_emit(&b, "abcdefghij", 10), 0);
	assert_int_equal(b.len, 10000);
	assert_int_equal(strlen(b.data), 10000);
	assert_memory_equal(b.data + 9990, "abcdefghij", 10);
	sage_arena_free(a);
}

/* EMF: the line is one JSON document CloudWatch Logs understands. */
static void
test_emf_line(void **state)
{
	SageArena  *a = sage_arena_new(NULL);
	SageError	err;
	SageMetricDimension dims[2] = {{"Function", "sage-file-processor"}, {"Where", "lambda \"q\""}};
	SageMetricDatum m[2] = {{0}};
	char	   *line;
	size_t		len;
	SageJsonValue *v;
	const SageJsonValue *aws;
	const SageJsonValue *cwm;
	const SageJsonValue *metrics;
	int64_t		ts;

	m[0].name = "RowsValidated";
	m[0].unit = "Count";
	m[0].value = 12345;
	m[1].name = "Duration";
	m[1].unit = "Milliseconds";
	m[1].value = 12.5;
	m[1].storage_resolution = 1;
	sage_error_clear(&err);
	assert_int_equal(sage_emf_format(a, "Sage", dims, 2, m, 2, 1714557600123LL,
									 &line, &len, &err), 0);
	assert_int_equal(line[len - 1], '\n');
	assert_int_equal(strlen(line), len);
	assert_true(strchr(line, '\n') == line + len - 1);
	v = sage_json_parse(a, line, len, NULL, &err);
	assert_non_null(v);
	aws = sage_json_member(v, "_aws");
	assert_int_equal(sage_json_to_int64(sage_json_member(aws, "Timestamp"), &ts), 0);
	assert_true(ts == 1714557600123LL);
	cwm = sage_json_member(aws, "CloudWatchMetrics")->items[0];
	assert_string_equal(sage_json_member_string(cwm, "Namespace"), "Sage");
	assert_int_equal(sage_json_member(cwm, "Dimensions")->items[0]->count, 2);
	assert_string_equal(sage_json_member(cwm, "Dimensions")->items[0]->items[1]->str, "Where");
	metrics = sage_json_member(cwm, "Metrics");
	assert_int_equal(metrics->count, 2);
	assert_string_equal(sage_json_member_string(metrics->items[1], "Unit"), "Milliseconds");
	assert_non_null(sage_json_member(metrics->items[1], "StorageResolution"));
	assert_null(sage_json_member(metrics->items[0], "StorageResolution"));
	assert_string_equal(sage_json_member_string(v, "Where"), "lambda \"q\"");
	assert_string_equal(sage_json_member(v, "RowsValidated")->str, "12345.0");
	assert_string_equal(sage_json_member(v, "Duration")->str, "12.5");
	sage_arena_free(a);
}

static void
test_emf_refusals(void **state)
{
	SageArena  *a = sage_arena_new(NULL);
	SageError	err;
	SageMetricDimension dims[1] = {{"Rows", "x"}};
	SageMetricDatum m[2] = {{0}};
	SageMetricDatum many[101];
	char	   *line;
	size_t		len;
	int			i;

	m[0].name = "Rows";
	m[0].value = 1;
	m[1].name = "Bad";
	m[1].value = NAN;
	/* metric named like a dimension */
	assert_int_equal(sage_emf_format(a, "Sage", dims, 1, m, 1, 1, &line, &len, &err), -1);
	assert_non_null(strstr(err.message, "has the name of a dimension"));
	/* NaN */
	assert_int_equal(sage_emf_format(a, "Sage", NULL, 0, m, 2, 1, &line, &len, &err), -1);
	assert_string_equal(err.message, "value of metric \"Bad\" cannot be stored by CloudWatch");
	m[1].value = 1e-200;
	assert_int_equal(sage_emf_format(a, "Sage", NULL, 0, m, 2, 1, &line, &len, &err), -1);
	m[1].value = 2;
	m[1].unit = "Parsecs";
	assert_int_equal(sage_emf_format(a, "Sage", NULL, 0, m, 2, 1, &line, &len, &err), -1);
	assert_non_null(strstr(err.message, "invalid CloudWatch unit \"Parsecs\""));
	m[1].unit = NULL;
	m[1].name = "Rows";
	assert_int_equal(sage_emf_format(a, "Sage", NULL, 0, m, 2, 1, &line, &len, &err), -1);
	assert_non_null(strstr(err.message, "repeats metric"));
	assert_int_equal(sage_emf_format(a, "AWS/Lambda", NULL, 0, m, 1, 1, &line, &len, &err), -1);
	assert_non_null(strstr(err.message, "invalid CloudWatch namespace"));
	assert_int_equal(sage_emf_format(a, "Sage", NULL, 0, m, 0, 1, &line, &len, &err), -1);
	memset(many, 0, sizeof(many));
	for (i = 0; i < 101; i++)
	{
		many[i].name = sage_printf(a, "m%d", i);
		many[i].value = i;
	}
	assert_int_equal(sage_emf_format(a, "Sage", NULL, 0, many, 101, 1, &line, &len, &err), -1);
	assert_int_equal(sage_emf_format(a, "Sage", NULL, 0, many, 100, 1, &line, &len, &err), 0);
	sage_arena_free(a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_dynamodb_item),
		cmocka_unit_test(test_escapes_and_nul),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_error_offset),
		cmocka_unit_test(test_depth_bomb),
		cmocka_unit_test(test_size_limit_and_budget),
		cmocka_unit_test(test_int64),
		cmocka_unit_test(test_buffer_sink),
		cmocka_unit_test(test_emf_line),
		cmocka_unit_test(test_emf_refusals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
