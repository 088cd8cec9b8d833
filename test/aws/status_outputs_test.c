/*-------------------------------------------------------------------------
 *
 * test/aws/status_outputs_test.c
 *		Tests of src/aws/status_outputs.c: the outputs list the bootstrap
 *		writes into a status record round-trips, and every malformed list
 *		the reconciler could read is refused with its reason.
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

#include <cmocka.h>

#include "sage/dynamodb.h"

/* Parses text; the error message when refused, else NULL. */
static const char *
refusal(SageArena *a, const char *text, size_t len, SageError *err)
{
	SageStatusOutput *out;
	int			n;

	sage_error_clear(err);
	if (sage_status_outputs_parse(a, text, len, &out, &n, err) == 0)
		return NULL;
	assert_int_equal(err->code, SAGE_ERR_INPUT);
	return err->message;
}

static void
test_round_trip(void **state)
{
	SageArena  *a = sage_arena_new(NULL);
	SageStatusOutput in[3] = {{"report.json", 1234}, {"fa\xc3\xb1o \"q\".csv", 0},
	{"big.bin", UINT64_C(9007199254740993)}};
	SageStatusOutput *out;
	SageError	err;
	char	   *text;
	int			n;

	sage_error_clear(&err);
	text = sage_status_outputs_format(a, in, 3, &err);
	assert_non_null(text);
	assert_string_equal(text, "[{\"name\":\"report.json\",\"size\":1234},"
						"{\"name\":\"fa\xc3\xb1o \\\"q\\\".csv\",\"size\":0},"
						"{\"name\":\"big.bin\",\"size\":9007199254740993}]");
	assert_int_equal(sage_status_outputs_parse(a, text, strlen(text), &out, &n, &err), 0);
	assert_int_equal(n, 3);
	assert_string_equal(out[0].name, "report.json");
	assert_int_equal(out[0].size, 1234);
	assert_string_equal(out[1].name, in[1].name);
	assert_int_equal(out[1].size, 0);
	assert_true(out[2].size == UINT64_C(9007199254740993));

	/* no outputs at all is a list too */
	text = sage_status_outputs_format(a, in, 0, &err);
	assert_string_equal(text, "[]");
	assert_int_equal(sage_status_outputs_parse(a, text, 2, &out, &n, &err), 0);
	assert_int_equal(n, 0);
	sage_arena_free(a);
}

static void
test_refusals(void **state)
{
	SageArena  *a = sage_arena_new(NULL);
	SageError	err;
	char		big[4096];
	size_t		off = 0;
	int			i;
	static const struct
	{
		const char *text;
		const char *why;
	}			bad[] = {
		{"", "is not valid JSON"},
		{"[{\"name\":\"a\",\"size\":1}", "is not valid JSON"},
		{"{\"name\":\"a\",\"size\":1}", "is not a JSON array"},
		{"\"report.json\"", "is not a JSON array"},
		{"[1]", "entry 1 of \"outputs\" is not an object"},
		{"[{\"size\":1}]", "has no \"name\" string"},
		{"[{\"name\":7,\"size\":1}]", "has no \"name\" string"},
		{"[{\"name\":\"\",\"size\":1}]", "empty or too long"},
		{"[{\"name\":\"..\",\"size\":1}]", "\".\" or \"..\""},
		{"[{\"name\":\"../../etc/passwd\",\"size\":1}]", "'/'"},
		{"[{\"name\":\"a\\\\b\",\"size\":1}]", "'/'"},
		{"[{\"name\":\"a\\u0000b\",\"size\":1}]", "control character"},
		{"[{\"name\":\"a\\nb\",\"size\":1}]", "control character"},
		{"[{\"name\":\"a\"}]", "no \"size\" count"},
		{"[{\"name\":\"a\",\"size\":-1}]", "no \"size\" count"},
		{"[{\"name\":\"a\",\"size\":1.5}]", "no \"size\" count"},
		{"[{\"name\":\"a\",\"size\":\"1\"}]", "no \"size\" count"},
		{"[{\"name\":\"a\",\"size\":99999999999999999999}]", "no \"size\" count"},
		{"[{\"name\":\"a\",\"size\":1},{\"name\":\"a\",\"size\":2}]", "lists \"a\" twice"},
		{"[[[[[[1]]]]]]", "is not valid JSON"},
	};

	for (i = 0; i < (int) (sizeof(bad) / sizeof(bad[0])); i++)
	{
		const char *msg = refusal(a, bad[i].text, strlen(bad[i].text), &err);

		if (msg == NULL || strstr(msg, bad[i].why) == NULL)
			fail_msg("\"%s\": expected \"%s\", got \"%s\"", bad[i].text, bad[i].why,
					 msg ? msg : "(accepted)");
	}
	/* a name longer than a file name */
	memset(big, 'x', 300);
	snprintf(big, sizeof(big), "[{\"name\":\"%.*s\",\"size\":1}]", 300,
			 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
			 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
			 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
	assert_non_null(strstr(refusal(a, big, strlen(big), &err), "empty or too long"));
	/* more entries than a record may list */
	off = (size_t) snprintf(big, sizeof(big), "[");
	for (i = 0; i < SAGE_STATUS_MAX_OUTPUTS + 1; i++)
		off += (size_t) snprintf(big + off, sizeof(big) - off, "%s{\"name\":\"f%d\",\"size\":1}",
								 i ? "," : "", i);
	snprintf(big + off, sizeof(big) - off, "]");
	assert_non_null(strstr(refusal(a, big, strlen(big), &err), "more than 64"));
	/* the text is bounded by its length, not a NUL */
	assert_null(refusal(a, "[]garbage", 2, &err));
	sage_arena_free(a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_refusals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
