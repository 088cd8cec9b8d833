/*-------------------------------------------------------------------------
 *
 * test/core/processor_test.c
 *		Tests of src/core/processor.c, catalog_scan.c, apply_rules.c,
 *		table_buffer.c and unique_set.c: the library interface the
 *		extension and the Lambda bootstrap call (memory buffers, memory
 *		sink, progress, cancel, memory ceiling, several inputs), counting
 *		and the record-level checks end to end.
 *
 *-------------------------------------------------------------------------
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "processor_internal.h"
#include "sage/processor.h"

static const char *CONFIG_ONE =
"sage_yaml: {name: t, description: d, version: '1', author: a}\n"
"catalogs:\n"
"  c:\n"
"    name: C\n"
"    description: D\n"
"    filename: c.csv\n"
"    file_format: {type: CSV, delimiter: ',', header: true}\n"
"    fields:\n"
"      - {name: id, type: texto, required: true, unique: true}\n"
"      - {name: n, type: entero}\n"
"      - name: x\n"
"        type: decimal\n"
"        validation_rules:\n"
"          - {name: positivo, description: x positivo, rule: \"df['x'] > 0\"}\n"
"    row_validation:\n"
"      - {name: suma, description: n mas x, rule: \"df['n'] + df['x'] < 100\", severity: warning}\n"
"    catalog_validation:\n"
"      - {name: filas, description: al menos 3, rule: \"len(df) >= 3\"}\n"
"      - {name: nota, description: solo informa, rule: \"df['n'].sum() > 1000000\", severity: message}\n"
"packages: {}\n";

/* Runs CONFIG_ONE (or config) over an in-memory CSV into a memory sink. */
static int
run_csv(const char *config, const char *csv, SageProcessOptions *opts,
		SageArena *arena, SageSink *sink, SageOutcome *out)
{
	SageInputFile in;

	memset(&in, 0, sizeof(in));
	in.name = "c.csv";
	in.data = csv;
	in.len = strlen(csv);
	sage_sink_memory(arena, sink);
	return sage_process(config, strlen(config), &in, 1, opts, sink, out);
}

static const char *
memory_file(SageSink *sink, const char *name, size_t *len)
{
	const void *data = NULL;

	if (!sage_sink_memory_find(sink, name, &data, len))
		return NULL;
	return data;
}

static void
test_counts_and_outputs(void **state)
{
	SageArena  *arena = sage_arena_new(NULL);
	SageSink	sink;
	SageOutcome out;
	size_t		len;
	const char *csv =
		"id,n,x\n"
		"a,1,2.5\n"				/* clean */
		"b,2,-1\n"				/* field rule */
		"a,3,1\n"				/* unique */
		",x,200\n"				/* required + type(n) ; row rule missing n -> warning */
		"e,50,60\n";			/* row rule warning */

	assert_int_equal(run_csv(CONFIG_ONE, csv, NULL, arena, &sink, &out), 0);
	assert_true(out.processed);
	assert_int_equal(out.summary.total_records, 5);
	/* errors: positivo(b), unique(a), required(id), type(n) */
	assert_int_equal(out.summary.errors, 4);
	/* warnings: suma on the row with missing n, on e */
	assert_int_equal(out.summary.warnings, 2);
	assert_int_equal(out.summary.rows_with_errors, 3);
	assert_true(out.summary.success_rate > 39.99 && out.summary.success_rate < 40.01);
	assert_string_equal(out.summary.status, "Fallido");
	assert_non_null(memory_file(&sink, "report.json", &len));
	assert_non_null(memory_file(&sink, "report.html", &len));
	assert_non_null(memory_file(&sink, "results.txt", &len));
	assert_non_null(memory_file(&sink, "output.log", &len));
	assert_non_null(memory_file(&sink, "failures.csv", &len));
	assert_null(memory_file(&sink, "error.log", &len));
	sage_arena_free(arena);
}

static void
test_clean_file(void **state)
{
	SageArena  *arena = sage_arena_new(NULL);
	SageSink	sink;
	SageOutcome out;

	assert_int_equal(run_csv(CONFIG_ONE, "id,n,x\na,1,1\nb,2,2\nc,3,3\n", NULL,
							 arena, &sink, &out), 0);
	assert_true(out.processed);
	assert_int_equal(out.summary.errors, 0);
	assert_int_equal(out.summary.warnings, 0);
	assert_string_equal(out.summary.status, "Éxito");
	assert_true(out.summary.success_rate == 100.0);
	sage_arena_free(arena);
}

static void
test_invalid_config_is_system_failure(void **state)
{
	SageArena  *arena = sage_arena_new(NULL);
	SageSink	sink;
	SageOutcome out;
	size_t		len;
	const char *log;

	assert_int_equal(run_csv("sage_yaml: [", "id\n", NULL, arena, &sink, &out), 0);
	assert_false(out.processed);
	assert_int_equal(out.error.code, SAGE_ERR_CONFIG);
	log = memory_file(&sink, "error.log", &len);
	assert_non_null(log);
	assert_non_null(memory_file(&sink, "report.json", &len));
	sage_arena_free(arena);
}

static void
test_unsupported_file(void **state)
{
	SageArena  *arena = sage_arena_new(NULL);
	SageSink	sink;
	SageOutcome out;
	SageInputFile in;

	memset(&in, 0, sizeof(in));
	in.name = "old.xls";
	in.data = "x";
	in.len = 1;
	sage_sink_memory(arena, &sink);
	assert_int_equal(sage_process(CONFIG_ONE, strlen(CONFIG_ONE), &in, 1, NULL, &sink, &out), 0);
	assert_false(out.processed);
	assert_int_equal(out.error.code, SAGE_ERR_UNSUPPORTED);
	sage_arena_free(arena);
}

static void
test_corrupt_zip(void **state)
{
	const char *cfg =
		"sage_yaml: {name: t, description: d, version: '1', author: a}\n"
		"catalogs:\n"
		"  c: {name: C, description: D, filename: c.csv,\n"
		"      file_format: {type: CSV, delimiter: ','}, fields: [{name: a, type: texto}]}\n"
		"packages:\n"
		"  p: {name: P, description: D, file_format: {type: ZIP}, catalogs: [c]}\n";
	SageArena  *arena = sage_arena_new(NULL);
	SageSink	sink;
	SageOutcome out;
	SageInputFile in;

	memset(&in, 0, sizeof(in));
	in.name = "x.zip";
	in.data = "PK\003\004 this is not an archive";
	in.len = strlen(in.data);
	sage_sink_memory(arena, &sink);
	assert_int_equal(sage_process(cfg, strlen(cfg), &in, 1, NULL, &sink, &out), 0);
	assert_false(out.processed);
	assert_int_equal(out.error.code, SAGE_ERR_INPUT);
	sage_arena_free(arena);
}

/* Progress and cancel callbacks. */
typedef struct Calls
{
	int			progress;		/* progress callbacks seen */
	uint64_t	last_records;	/* records at the last one */
	int			cancel_after;	/* cancel at this poll (0 = never) */
	int			polls;			/* cancel polls seen */
} Calls;

static void
on_progress(void *arg, uint64_t records, uint64_t bytes)
{
	Calls	   *c = arg;

	c->progress++;
	c->last_records = records;
}

static bool
on_cancel(void *arg)
{
	Calls	   *c = arg;

	c->polls++;
	return c->cancel_after > 0 && c->polls >= c->cancel_after;
}

/* A CSV of n clean rows. */
static char *
big_csv(int n)
{
	char	   *buf = malloc((size_t) n * 32 + 16);
	char	   *p = buf;
	int			i;

	p += sprintf(p, "id,n,x\n");
	for (i = 0; i < n; i++)
		p += sprintf(p, "k%d,%d,%d.5\n", i, i % 50, i % 40);
	return buf;
}

static void
test_progress_and_cancel(void **state)
{
	SageArena  *arena = sage_arena_new(NULL);
	SageSink	sink;
	SageOutcome out;
	SageProcessOptions opts;
	Calls		calls;
	char	   *csv = big_csv(50000);

	memset(&opts, 0, sizeof(opts));
	memset(&calls, 0, sizeof(calls));
	opts.progress = on_progress;
	opts.cancel = on_cancel;
	opts.callback_arg = &calls;
	assert_int_equal(run_csv(CONFIG_ONE, csv, &opts, arena, &sink, &out), 0);
	assert_true(out.processed);
	assert_true(calls.progress >= 5);
	assert_true(calls.last_records > 40000);
	assert_int_equal(out.summary.total_records, 50000);
	sage_arena_free(arena);

	arena = sage_arena_new(NULL);
	memset(&calls, 0, sizeof(calls));
	calls.cancel_after = 2;
	assert_int_equal(run_csv(CONFIG_ONE, csv, &opts, arena, &sink, &out), -1);
	assert_int_equal(out.error.code, SAGE_ERR_CANCELLED);
	assert_string_equal(out.error.message, "execution was cancelled");
	sage_arena_free(arena);
	free(csv);
}

static void
test_memory_ceiling(void **state)
{
	SageArena  *arena = sage_arena_new(NULL);
	SageSink	sink;
	SageOutcome out;
	SageProcessOptions opts;
	char	   *csv = big_csv(200000);

	memset(&opts, 0, sizeof(opts));
	opts.memory_limit = 2 << 20;	/* the unique set of 200k keys needs more */
	assert_int_equal(run_csv(CONFIG_ONE, csv, &opts, arena, &sink, &out), 0);
	assert_false(out.processed);
	assert_int_equal(out.error.code, SAGE_ERR_MEMORY);
	assert_string_equal(out.error.message, "memory limit exceeded");
	sage_arena_free(arena);

	/* the same file within a sufficient ceiling */
	arena = sage_arena_new(NULL);
	opts.memory_limit = 256 << 20;
	assert_int_equal(run_csv(CONFIG_ONE, csv, &opts, arena, &sink, &out), 0);
	assert_true(out.processed);
	assert_true(out.peak_memory > 0 && out.peak_memory < (size_t) 256 << 20);
	sage_arena_free(arena);
	free(csv);
}

static const char *CONFIG_PKG =
"sage_yaml: {name: t, description: d, version: '1', author: a}\n"
"catalogs:\n"
"  a: {name: A, description: D, filename: a.csv, file_format: {type: CSV, delimiter: ',', header: true},\n"
"      fields: [{name: id, type: texto, unique: true}]}\n"
"  b: {name: B, description: D, filename: b.csv, file_format: {type: CSV, delimiter: ',', header: true},\n"
"      fields: [{name: ref, type: texto}]}\n"
"packages:\n"
"  p:\n"
"    name: P\n"
"    description: D\n"
"    file_format: {type: ZIP}\n"
"    catalogs: [a, b]\n"
"    package_validation:\n"
"      - {name: refs, description: refs exist, rule: \"df['b']['ref'].isin(df['a']['id'])\"}\n";

static void
test_several_inputs(void **state)
{
	SageArena  *arena = sage_arena_new(NULL);
	SageSink	sink;
	SageOutcome out;
	SageInputFile in[3];

	memset(in, 0, sizeof(in));
	in[0].name = "A.CSV";		/* case-insensitive match */
	in[0].data = "id\n1\n2\n";
	in[0].len = strlen(in[0].data);
	in[1].name = "b.csv";
	in[1].data = "ref\n1\n3\n";
	in[1].len = strlen(in[1].data);
	in[2].name = "extra.txt";
	in[2].data = "x";
	in[2].len = 1;
	sage_sink_memory(arena, &sink);
	assert_int_equal(sage_process(CONFIG_PKG, strlen(CONFIG_PKG), in, 3, NULL, &sink, &out), 0);
	assert_true(out.processed);
	assert_int_equal(out.summary.total_records, 4);
	assert_int_equal(out.summary.errors, 1);	/* the package rule, once */
	assert_int_equal(out.summary.rows_with_errors, 0);
	sage_arena_free(arena);

	/* a missing member: missing_file + rule_error */
	arena = sage_arena_new(NULL);
	sage_sink_memory(arena, &sink);
	assert_int_equal(sage_process(CONFIG_PKG, strlen(CONFIG_PKG), in + 1, 1, NULL, &sink, &out), 0);
	/* one .csv file selects catalog b alone (no package of type CSV) */
	assert_true(out.processed);
	assert_int_equal(out.summary.total_records, 2);
	sage_arena_free(arena);
}

static void
test_unique_set(void **state)
{
	SageBudget	budget;
	UniqueSet  *set;
	uint64_t	first = 0;
	char		key[32];
	char		lkey[48];
	int			i;

	memset(&budget, 0, sizeof(budget));
	set = sage_unique_set_new(&budget);
	assert_non_null(set);
	for (i = 0; i < 100000; i++)
	{
		int			n = snprintf(key, sizeof(key), "key-%d", i);

		assert_int_equal(sage_unique_set_insert(set, key, (uint32_t) n, (uint64_t) i + 2, &first), 1);
	}
	for (i = 0; i < 100000; i += 997)
	{
		int			n = snprintf(key, sizeof(key), "key-%d", i);

		assert_int_equal(sage_unique_set_insert(set, key, (uint32_t) n, 999999, &first), 0);
		assert_int_equal(first, (uint64_t) i + 2);
	}
	/* empty key and keys differing only in length */
	assert_int_equal(sage_unique_set_insert(set, "", 0, 1, &first), 1);
	assert_int_equal(sage_unique_set_insert(set, "", 0, 5, &first), 0);
	assert_int_equal(first, 1);
	assert_int_equal(sage_unique_set_insert(set, "ab\0", 3, 7, &first), 1);
	assert_int_equal(sage_unique_set_insert(set, "ab", 2, 8, &first), 1);
	/* slots (8 bytes at 37-75% load) + line + length + key, in 1 MiB chunks */
	assert_true(budget.used < 100000 * 48);
	sage_unique_set_free(set);
	assert_int_equal(budget.used, 0);

	/* every key length from 1 to 40 (the hash reads short keys in pieces) */
	set = sage_unique_set_new(&budget);
	assert_non_null(set);
	for (i = 0; i < 40 * 64; i++)
	{
		int			len = 1 + i / 64;
		int			k;

		for (k = 0; k < len; k++)
			lkey[k] = (char) ('a' + (k == len / 2 ? i % 64 : k % 3));
		assert_int_equal(sage_unique_set_insert(set, lkey, (uint32_t) len, (uint64_t) i + 1, &first), 1);
	}
	for (i = 0; i < 40 * 64; i++)
	{
		int			len = 1 + i / 64;
		int			k;

		for (k = 0; k < len; k++)
			lkey[k] = (char) ('a' + (k == len / 2 ? i % 64 : k % 3));
		assert_int_equal(sage_unique_set_insert(set, lkey, (uint32_t) len, 0, &first), 0);
		assert_int_equal(first, (uint64_t) i + 1);
	}
	sage_unique_set_free(set);
	assert_int_equal(budget.used, 0);

	/*
	 * reserving: keys already present survive the resize, a huge guess is
	 * bounded (16 MB of slots), and a refused reservation leaves the set usable
	 */
	set = sage_unique_set_new(&budget);
	assert_non_null(set);
	assert_int_equal(sage_unique_set_insert(set, "a", 1, 3, &first), 1);
	assert_int_equal(sage_unique_set_reserve(set, 100), 0);
	assert_int_equal(sage_unique_set_reserve(set, (size_t) 1 << 40), 0);
	assert_true(budget.used < ((size_t) 16 << 20) + ((size_t) 2 << 20));
	assert_true(budget.used >= ((size_t) 16 << 20));
	assert_int_equal(sage_unique_set_reserve(set, 10), 0);	/* never shrinks */
	assert_int_equal(sage_unique_set_insert(set, "a", 1, 9, &first), 0);
	assert_int_equal(first, 3);
	for (i = 0; i < 5000; i++)
	{
		int			n = snprintf(key, sizeof(key), "r%d", i);

		assert_int_equal(sage_unique_set_insert(set, key, (uint32_t) n, (uint64_t) i, &first), 1);
	}
	sage_unique_set_free(set);
	assert_int_equal(budget.used, 0);
	budget.limit = 1 << 20;
	set = sage_unique_set_new(&budget);
	assert_non_null(set);
	assert_int_equal(sage_unique_set_insert(set, "a", 1, 3, &first), 1);
	assert_int_equal(sage_unique_set_reserve(set, 1000000), -1);
	assert_int_equal(sage_unique_set_insert(set, "a", 1, 9, &first), 0);
	assert_int_equal(sage_unique_set_insert(set, "b", 1, 9, &first), 1);
	sage_unique_set_free(set);
	assert_int_equal(budget.used, 0);
	budget.limit = 0;

	/* over budget */
	budget.limit = 64 * 1024;
	set = sage_unique_set_new(&budget);
	assert_non_null(set);
	for (i = 0; i < 100000; i++)
	{
		int			n = snprintf(key, sizeof(key), "key-%d", i);
		int			rc = sage_unique_set_insert(set, key, (uint32_t) n, 1, &first);

		if (rc < 0)
			break;
	}
	assert_true(i < 100000);
	sage_unique_set_free(set);
}

static void
test_arena_budget(void **state)
{
	SageBudget	budget;
	SageArena  *a;
	char	   *p;

	memset(&budget, 0, sizeof(budget));
	budget.limit = 200 * 1024;
	a = sage_arena_new(&budget);
	assert_non_null(sage_alloc(a, 1000));
	p = sage_printf(a, "%s-%d", "x", 42);
	assert_string_equal(p, "x-42");
	p = sage_realloc(a, p, 5, 100);
	assert_string_equal(p, "x-42");
	assert_null(sage_alloc(a, 1 << 20));
	assert_true(sage_arena_failed(a));
	sage_arena_free(a);
	assert_int_equal(budget.used, 0);
	assert_true(budget.peak > 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counts_and_outputs),
		cmocka_unit_test(test_clean_file),
		cmocka_unit_test(test_invalid_config_is_system_failure),
		cmocka_unit_test(test_unsupported_file),
		cmocka_unit_test(test_corrupt_zip),
		cmocka_unit_test(test_progress_and_cancel),
		cmocka_unit_test(test_memory_ceiling),
		cmocka_unit_test(test_several_inputs),
		cmocka_unit_test(test_unique_set),
		cmocka_unit_test(test_arena_budget),
	};

	return cmocka_run_group_tests_name("processor", tests, NULL, NULL);
}
