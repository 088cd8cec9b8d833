/*-------------------------------------------------------------------------
 *
 * test/fuzz/fuzz_rule.c
 *		libFuzzer target of the rule language: any input is compiled as a
 *		rule against a fixed schema and, when accepted, evaluated on a small
 *		table with missing values. An input starting with "P:" is compiled
 *		as a package rule over two catalogs ("a" and "b").
 *
 * Compile and evaluation run under a memory budget, as in the processor,
 * so rules that make strings grow without bound fail with SAGE_ERR_MEMORY
 * instead of exhausting the fuzzer's memory.
 *
 *-------------------------------------------------------------------------
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sage/rules.h"

#define FZ_ROWS 6

static const char *const fz_names[] = {"s", "n", "x", "d", "b"};
static const SageColType fz_types[] = {
	SAGE_COL_STRING, SAGE_COL_INT, SAGE_COL_FLOAT, SAGE_COL_DATETIME, SAGE_COL_BOOL
};
static const uint8_t fz_valid[5][FZ_ROWS] = {
	{1, 1, 0, 1, 1, 1}, {1, 0, 1, 1, 1, 1}, {1, 1, 1, 0, 1, 1},
	{1, 1, 1, 1, 0, 1}, {1, 1, 0, 1, 1, 1}
};
static const char *const fz_s[FZ_ROWS] = {"ok1", "ÑANDÚ", "", " a b ", "12", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaab"};
static const uint32_t fz_slen[FZ_ROWS] = {3, 7, 0, 5, 2, 30};
static const int64_t fz_i[FZ_ROWS] = {5, 0, -7, INT64_MAX, INT64_MIN, 1};
static const double fz_f[FZ_ROWS] = {3.5, -0.0, 1e308, 0, -2.25, 100};
static const int64_t fz_t[FZ_ROWS] = {0, 1735689600000000, -86400000000, 253402300799000000,
0, 1700000000123456};
static const uint8_t fz_b[FZ_ROWS] = {1, 0, 1, 1, 0, 0};

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	SageColumn	cols[5];
	uint8_t		present[5] = {1, 1, 1, 1, 1};
	SageRuleSchemaTable st[2];
	SageTable	dt[2];
	SageRuleSchema schema;
	SageRuleScope scope = SAGE_SCOPE_ROW;
	SageBudget	budget = {256 * 1024 * 1024, 0, 0};
	SageArena  *arena;
	SageArena  *scratch;
	SageError	err;
	SageRule   *rule;
	SageRuleResult res;
	char	   *text;
	int			ntables = 1;

	if (size > 70000)
		return 0;
	text = malloc(size + 1);
	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (size >= 2 && text[0] == 'P' && text[1] == ':')
	{
		scope = SAGE_SCOPE_PACKAGE;
		ntables = 2;
		memmove(text, text + 2, size - 1);
	}
	for (int c = 0; c < 5; c++)
	{
		memset(&cols[c], 0, sizeof(cols[c]));
		cols[c].type = fz_types[c];
		cols[c].n = FZ_ROWS;
		cols[c].valid = fz_valid[c];
		cols[c].s = fz_s;
		cols[c].slen = fz_slen;
		cols[c].i = fz_i;
		cols[c].f = fz_f;
		cols[c].t = fz_t;
		cols[c].b = fz_b;
	}
	for (int t = 0; t < 2; t++)
	{
		st[t].key = t == 0 ? "a" : "b";
		st[t].ncols = 5;
		st[t].names = fz_names;
		st[t].types = fz_types;
		memset(&dt[t], 0, sizeof(dt[t]));
		dt[t].available = true;
		dt[t].nrows = t == 0 ? FZ_ROWS : FZ_ROWS - 2;
		dt[t].ncols = 5;
		dt[t].names = fz_names;
		dt[t].present = present;
		dt[t].cols = cols;
		dt[t].file_columns = 5;
	}
	schema.ntables = ntables;
	schema.tables = st;

	arena = sage_arena_new(&budget);
	scratch = sage_arena_new(&budget);
	if (arena != NULL && scratch != NULL)
	{
		sage_error_clear(&err);
		rule = sage_rule_compile(arena, text, scope, &schema, &err);
		if (rule != NULL)
		{
			(void) sage_rule_is_rowwise(rule);
			(void) sage_rule_reads_column(rule, 0, 1);
			(void) sage_rule_reads_table(rule, ntables - 1);
			if (sage_rule_eval(rule, scratch, dt, ntables, &res, &err) == 0 &&
				res.kind == SAGE_RESULT_COLUMNS)
			{
				/* touch every result byte so ASan checks the bounds */
				unsigned	sum = 0;

				for (int p = 0; p < res.nparts; p++)
					for (size_t i = 0; i < res.parts[p].n; i++)
						sum += res.parts[p].ok[i];
				(void) sum;
			}
		}
		else if (err.code != SAGE_ERR_RULE && err.code != SAGE_ERR_MEMORY)
			abort();
	}
	if (scratch != NULL)
		sage_arena_free(scratch);
	if (arena != NULL)
		sage_arena_free(arena);
	free(text);
	return 0;
}
