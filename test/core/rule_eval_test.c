/*-------------------------------------------------------------------------
 *
 * test/core/rule_eval_test.c
 *		Unit tests of rule evaluation: every form of PROCESSOR.md section 5
 *		on small typed tables, missing-value semantics, result kinds,
 *		package rules with one part per catalog, and run-time errors.
 *
 * Results are compared as compact strings: "C 0:1010" (one boolean column
 * part of table 0, one character per row), "S 1" (a single boolean),
 * "I reason" (not a boolean) or "E message" (run-time error).
 *
 *-------------------------------------------------------------------------
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sage/rules.h"
#include "sage/value.h"

#define TT_ROWS 16
#define TT_COLS 8

/* A small typed table built from text. */
typedef struct TestTable
{
	const char *key;
	int			ncols;
	const char *names[TT_COLS];
	SageColType types[TT_COLS];
	uint8_t		valid[TT_COLS][TT_ROWS];
	const char *s[TT_COLS][TT_ROWS];
	uint32_t	slen[TT_COLS][TT_ROWS];
	int64_t		i[TT_COLS][TT_ROWS];
	double		f[TT_COLS][TT_ROWS];
	int64_t		t[TT_COLS][TT_ROWS];
	uint8_t		b[TT_COLS][TT_ROWS];
	SageColumn	cols[TT_COLS];
	uint8_t		present[TT_COLS];
	size_t		nrows;
	char		text[1024];		/* cells live here */
} TestTable;

/*
 * tt_make
 *		header "name:type,..." (types str int float date bool); rows
 *		separated by ';', cells by ','; a cell "~" is missing, and a cell
 *		that is not a value of its type is missing too.
 */
static void
tt_make(TestTable *t, const char *key, const char *header, const char *rows)
{
	char	   *p;
	char	   *save;
	char	   *tok;

	memset(t, 0, sizeof(*t));
	t->key = key;
	snprintf(t->text, sizeof(t->text), "%s|%s", header, rows);
	p = strchr(t->text, '|');
	*p = '\0';
	for (tok = strtok_r(t->text, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save))
	{
		char	   *colon = strchr(tok, ':');
		int			c = t->ncols++;

		*colon = '\0';
		t->names[c] = tok;
		t->types[c] = strcmp(colon + 1, "str") == 0 ? SAGE_COL_STRING :
			strcmp(colon + 1, "int") == 0 ? SAGE_COL_INT :
			strcmp(colon + 1, "float") == 0 ? SAGE_COL_FLOAT :
			strcmp(colon + 1, "date") == 0 ? SAGE_COL_DATETIME : SAGE_COL_BOOL;
		t->present[c] = 1;
	}
	p++;
	while (*p != '\0')
	{
		char	   *end = strchr(p, ';');
		size_t		r = t->nrows++;

		if (end != NULL)
			*end = '\0';
		for (int c = 0; c < t->ncols; c++)
		{
			char	   *comma = strchr(p, ',');
			size_t		len;
			bool		ok = true;
			bool		bv = false;

			if (comma != NULL)
				*comma = '\0';
			len = strlen(p);
			if (strcmp(p, "~") == 0)
				ok = false;
			else
				switch (t->types[c])
				{
					case SAGE_COL_STRING:
						break;
					case SAGE_COL_INT:
						ok = sage_parse_entero(p, len, &t->i[c][r]);
						break;
					case SAGE_COL_FLOAT:
						ok = sage_parse_decimal(p, len, &t->f[c][r]);
						break;
					case SAGE_COL_DATETIME:
						ok = sage_parse_fecha(p, len, &t->t[c][r]);
						break;
					case SAGE_COL_BOOL:
						ok = sage_parse_booleano(p, len, &bv);
						t->b[c][r] = bv;
						break;
				}
			t->valid[c][r] = ok;
			t->s[c][r] = ok ? p : "";
			t->slen[c][r] = ok ? (uint32_t) len : 0;
			p = comma != NULL ? comma + 1 : p + len;
		}
		p = end != NULL ? end + 1 : p + strlen(p);
	}
	for (int c = 0; c < t->ncols; c++)
	{
		SageColumn *col = &t->cols[c];

		col->type = t->types[c];
		col->n = t->nrows;
		col->valid = t->valid[c];
		col->s = t->s[c];
		col->slen = t->slen[c];
		col->i = t->i[c];
		col->f = t->f[c];
		col->t = t->t[c];
		col->b = t->b[c];
	}
}

/* Schema and data views of tables. */
static void
tt_views(TestTable *tabs, int n, SageRuleSchemaTable *st, SageTable *dt)
{
	for (int k = 0; k < n; k++)
	{
		st[k].key = tabs[k].key;
		st[k].ncols = tabs[k].ncols;
		st[k].names = tabs[k].names;
		st[k].types = tabs[k].types;
		memset(&dt[k], 0, sizeof(SageTable));
		dt[k].available = true;
		dt[k].nrows = tabs[k].nrows;
		dt[k].ncols = tabs[k].ncols;
		dt[k].names = tabs[k].names;
		dt[k].present = tabs[k].present;
		dt[k].cols = tabs[k].cols;
		dt[k].file_columns = tabs[k].ncols;
	}
}

/* Formats a result the compact way. */
static void
result_text(const SageRuleResult *res, char *out, size_t outlen)
{
	size_t		n = 0;

	if (res->kind == SAGE_RESULT_SCALAR)
		snprintf(out, outlen, "S %d", res->scalar ? 1 : 0);
	else if (res->kind == SAGE_RESULT_INVALID)
		snprintf(out, outlen, "I %s", res->reason);
	else
	{
		n += (size_t) snprintf(out, outlen, "C");
		for (int p = 0; p < res->nparts; p++)
		{
			n += (size_t) snprintf(out + n, outlen - n, " %d:", res->parts[p].table);
			for (size_t i = 0; i < res->parts[p].n && n + 2 < outlen; i++)
				out[n++] = res->parts[p].ok[i] ? '1' : '0';
			out[n] = '\0';
		}
	}
}

/* Compiles and evaluates expr on tables; the result as text. */
static void
eval_on(TestTable *tabs, int ntabs, SageTable *override, SageRuleScope scope,
		const char *expr, char *out, size_t outlen)
{
	SageRuleSchemaTable st[4];
	SageTable	dt[4];
	SageRuleSchema schema = {ntabs, st};
	SageArena  *arena = sage_arena_new(NULL);
	SageArena  *scratch = sage_arena_new(NULL);
	SageError	err;
	SageRule   *rule;
	SageRuleResult res;

	tt_views(tabs, ntabs, st, dt);
	if (override != NULL)
		dt[0] = *override;
	sage_error_clear(&err);
	rule = sage_rule_compile(arena, expr, scope, &schema, &err);
	if (rule == NULL)
		snprintf(out, outlen, "X %s", err.message);
	else if (sage_rule_eval(rule, scratch, dt, ntabs, &res, &err) < 0)
		snprintf(out, outlen, "E %s", err.message);
	else
		result_text(&res, out, outlen);
	sage_arena_free(scratch);
	sage_arena_free(arena);
}

/* The table of the acceptance case test/data/cases/rule_forms. */
static TestTable forms;

static void
forms_init(void)
{
	tt_make(&forms, "m",
			"id:str,n:int,x:float,d1:date,d2:date,s:str,b:bool,email:str",
			"a,5,3.0,2025-01-01,2025-01-05,ok1,true,a@x.com;"
			"b,0,150,2025-01-01,2024-12-31,okay,true,bad@;"
			"c,2,50,2024-06-01,2024-07-01,nope,false,c@y.org;"
			"d,60,5,2025-03-03,2025-03-04,okokok,true,D@Z.IO;"
			"e,1,1,2025-05-05,2025-05-05,ok,false,e@e.ee;"
			"f,3,7,~,2025-01-01,ok,true,f@f.ff");
}

/* Asserts expr on the forms table gives expected. */
static void
check(const char *expr, const char *expected)
{
	char		out[256];

	eval_on(&forms, 1, NULL, SAGE_SCOPE_ROW, expr, out, sizeof(out));
	if (strcmp(out, expected) != 0)
		fail_msg("rule \"%s\": got \"%s\", expected \"%s\"", expr, out, expected);
}

/* Same on a given table. */
static void
check_on(TestTable *t, const char *expr, const char *expected)
{
	char		out[256];

	eval_on(t, 1, NULL, SAGE_SCOPE_ROW, expr, out, sizeof(out));
	if (strcmp(out, expected) != 0)
		fail_msg("rule \"%s\": got \"%s\", expected \"%s\"", expr, out, expected);
}

/* ------------------------------------------------------------- tests */

static void
test_acceptance_rule_forms(void **state)
{
	forms_init();
	/* the expected findings of test/data/cases/rule_forms */
	check("df['x'].astype(float).between(0, 100)", "C 0:101111");
	check("df['d1'].dt.year == 2025", "C 0:110110");
	check("df['s'].str.contains('ok')", "C 0:110111");
	check("df['s'].apply(lambda v: len(v) <= 5)", "C 0:111011");
	check("df['email'].str.match(r'^[a-zA-Z0-9._%+-]+@[a-zA-Z0-9.-]+\\.[a-zA-Z]{2,}$')",
		  "C 0:101111");
	check("pd.to_datetime(df['d2']) > pd.to_datetime(df['d1'])", "C 0:101100");
	check("df['n'].astype(float) >= 1 and df['x'] < 1000", "C 0:101111");
	check("df.apply(lambda row: row['n'] * 2 > row['x'], axis=1)", "C 0:100110");
	check("~df['b'] | (df['n'] > 0)", "C 0:101111");
	check("df['n'].sum() < 100", "S 1");
	check("df['id'].is_unique", "S 1");
	check("len(df) >= 10", "S 0");
}

static void
test_column_access(void **state)
{
	forms_init();
	check("df[\"s\"] == 'ok'", "C 0:000011");
	check("df.s == 'ok'", "C 0:000011");
	check("df.n > 2", "C 0:100101");
	check("df['s'] != 'ok'", "C 0:111100");
}

static void
test_literals(void **state)
{
	forms_init();
	check("True", "S 1");
	check("False", "S 0");
	check("df['n'] == 0x3C", "C 0:000100");
	check("df['n'] == 6_0", "C 0:000100");
	check("df['x'] == 1e0", "C 0:000010");
	check("df['x'] > .5e1", "C 0:011001");
	check("df['s'] == \"ok\" 'ok' 'ok'", "C 0:000100");
	check("df['s'] == '\\x6f\\u006b'", "C 0:000011");
	check("df['s'] == r'ok'", "C 0:000011");
	check("df['n'].isin((1, 2))", "C 0:001010");
	check("df['n'].isin({1, 2, 1})", "C 0:001010");
	check("df['s'] == None", "C 0:000000");
	check("df['s'] != None", "C 0:111111");
	check("None", "I the rule gives None, not a boolean");
	check("[1, 2]", "I the rule gives a list, not a boolean");
	check("'abc'", "I the rule gives a string, not a boolean");
	check("1.5", "I the rule gives a number, not a boolean");
	check("df['n'] + 1", "I the rule gives a column of numbers, not of booleans");
	check("df['s']", "I the rule gives a column of strings, not of booleans");
	check("df['d1']", "I the rule gives a column of dates, not of booleans");
	check("df['d1'].min()", "I the rule gives a date, not a boolean");
}

static void
test_arithmetic(void **state)
{
	TestTable	t;

	tt_make(&t, NULL, "a:int,b:int,x:float,y:float",
			"7,2,7.5,2;-7,2,-7.5,-2;7,0,1,0;~,1,~,1;9223372036854775807,1,0,0");
	check_on(&t, "df['a'] + df['b'] == 9", "C 0:10000");
	check_on(&t, "df['a'] - df['b'] == -9", "C 0:01000");
	check_on(&t, "df['a'] * df['b'] == 14", "C 0:10000");
	check_on(&t, "df['a'] / df['b'] == 3.5", "C 0:10000");
	check_on(&t, "df['a'] // df['b'] == -4", "C 0:01000");
	check_on(&t, "df['a'] % df['b'] == 1", "C 0:11000");
	check_on(&t, "(df['a'] // df['b']).isna()", "C 0:00110");
	check_on(&t, "(df['a'] % df['b']).isna()", "C 0:00110");
	check_on(&t, "df['a'] ** 2 == 49", "C 0:11100");
	check_on(&t, "(df['a'] ** -1).isna()", "C 0:11111");
	check_on(&t, "df['x'] // df['y'] == 3", "C 0:11000");
	check_on(&t, "df['x'] // -2 == -4", "C 0:10000");
	check_on(&t, "df['x'] % df['y'] == 1.5", "C 0:10000");
	check_on(&t, "df['x'] % df['y'] == -1.5", "C 0:01000");
	check_on(&t, "df['x'] / df['y'] > 1e300", "C 0:00100");
	check_on(&t, "(df['x'] % df['y']).isna()", "C 0:00111");
	check_on(&t, "df['x'] ** 0.5 > 2", "C 0:10000");
	check_on(&t, "-df['a'] == 7", "C 0:01000");
	check_on(&t, "+df['a'] == 7", "C 0:10100");
	check_on(&t, "df['a'] + 1 < 0", "C 0:01001");	/* overflow wraps */
	check_on(&t, "df['a'] + df['x'] == 14.5", "C 0:10000");
	check_on(&t, "(df['a'] + df['x']).isna()", "C 0:00010");
	check_on(&t, "df['a'].abs() == 7", "C 0:11100");
	check_on(&t, "np.abs(df['x']) == 7.5", "C 0:11000");
	check_on(&t, "abs(df['y']) == 2", "C 0:11000");
	check_on(&t, "df['x'].round() == 8", "C 0:10000");
	check_on(&t, "df['x'].round(0) == -8", "C 0:01000");
	check_on(&t, "round(df['x'] / 3, 2) == 2.5", "C 0:10000");
	check_on(&t, "df['a'].round(-1) == 10", "C 0:10100");
	check_on(&t, "(df['x'] - df['x']).isna()", "C 0:00010");
}

static void
test_comparisons_and_missing(void **state)
{
	TestTable	t;

	tt_make(&t, NULL, "n:int,x:float,s:str,d:date",
			"1,1.0,a,2025-01-01;~,~,~,~;3,2.5,c,2024-12-31");
	check_on(&t, "df['n'] == 1", "C 0:100");
	check_on(&t, "df['n'] != 1", "C 0:011");
	check_on(&t, "df['n'] < 2", "C 0:100");
	check_on(&t, "df['n'] <= 3", "C 0:101");
	check_on(&t, "df['n'] > 1", "C 0:001");
	check_on(&t, "df['n'] >= 1", "C 0:101");
	check_on(&t, "df['n'] == df['x']", "C 0:100");
	check_on(&t, "df['n'] != df['x']", "C 0:011");
	check_on(&t, "df['s'] < 'b'", "C 0:100");
	check_on(&t, "df['s'] >= 'b'", "C 0:001");
	check_on(&t, "df['d'] < '2025-01-01'", "C 0:001");
	check_on(&t, "df['d'] == '2025-01-01'", "C 0:100");
	check_on(&t, "'2025-01-01' <= df['d']", "C 0:100");
	check_on(&t, "df['d'] > pd.to_datetime('2024-12-31')", "C 0:100");
	/* different types: == is False, != is True, as pandas */
	check_on(&t, "df['n'] == 'a'", "C 0:000");
	check_on(&t, "df['s'] != 1", "C 0:111");
	check_on(&t, "df['n'].isna()", "C 0:010");
	check_on(&t, "df['n'].isnull()", "C 0:010");
	check_on(&t, "df['n'].notna()", "C 0:101");
	check_on(&t, "df['n'].notnull()", "C 0:101");
	check_on(&t, "pd.isna(df['s'])", "C 0:010");
	check_on(&t, "pd.notnull(df['d'])", "C 0:101");
	check_on(&t, "np.isnan(df['x'])", "C 0:010");
	check_on(&t, "pd.isna(None)", "S 1");
	check_on(&t, "pd.isna(1)", "S 0");
	check_on(&t, "df['x'] == np.nan", "C 0:000");
	check_on(&t, "df['x'] != np.nan", "C 0:111");
	check_on(&t, "df['x'].fillna(0) == 0", "C 0:010");
	check_on(&t, "df['s'].fillna('z') == 'z'", "C 0:010");
	check_on(&t, "df['n'].fillna(df['x']).isna()", "C 0:010");
	check_on(&t, "df['n'].fillna(0.5) == 0.5", "C 0:010");
	check_on(&t, "0 < df['n'] < 2", "C 0:100");
	check_on(&t, "df['n'] is None", "C 0:010");
	check_on(&t, "df['n'] is not None", "C 0:101");
	check_on(&t, "df['x'] > df['n'].mean()", "C 0:001");
}

static void
test_boolean_logic(void **state)
{
	TestTable	t;

	/* every pair of True/False/missing */
	tt_make(&t, NULL, "p:bool,q:bool",
			"true,true;true,false;true,~;false,true;false,false;false,~;~,true;~,false;~,~");
	check_on(&t, "df['p'] & df['q']", "C 0:100000000");
	check_on(&t, "df['p'] | df['q']", "C 0:111100100");
	check_on(&t, "df['p'] ^ df['q']", "C 0:010100000");
	check_on(&t, "df['p'] and df['q']", "C 0:100000000");
	check_on(&t, "df['p'] or df['q']", "C 0:111100100");
	check_on(&t, "~df['p']", "C 0:000111000");
	check_on(&t, "not df['p']", "C 0:000111000");
	/* Kleene: False & missing is a known False, so ~ of it is True */
	check_on(&t, "~(df['p'] & df['q'])", "C 0:010111010");
	check_on(&t, "~(df['p'] | df['q'])", "C 0:000010000");
	check_on(&t, "(df['p'] & df['q']).isna()", "C 0:001000101");
	check_on(&t, "df['p'] == True", "C 0:111000000");
	check_on(&t, "df['p'] != False", "C 0:111000111");
	check_on(&t, "df['p'] & True", "C 0:111000000");
	check_on(&t, "False | df['p']", "C 0:111000000");
	check_on(&t, "df['p'].astype(int) + df['q'].astype(int) == 2", "C 0:100000000");
	check_on(&t, "df['p'].sum() == 3", "S 1");
	check_on(&t, "df['p'].all()", "S 0");
	check_on(&t, "df['p'].any()", "S 1");
	check_on(&t, "df['p'].fillna(True).all()", "S 0");
	check_on(&t, "(df['p'] | ~df['p']).all()", "S 1");
	check_on(&t, "df['p'].min()", "S 0");
	check_on(&t, "df['p'].max()", "S 1");
	check_on(&t, "np.where(df['p'], 1, 0) == 1", "C 0:111000000");
	check_on(&t, "True and False", "S 0");
	check_on(&t, "True or False", "S 1");
	check_on(&t, "not True", "S 0");
}

static void
test_conversions(void **state)
{
	TestTable	t;

	tt_make(&t, NULL, "s:str,n:int,x:float,d:date,b:bool",
			"12,12,12.0,2025-01-01,true;"
			" 3.5 ,-3,-3.25,2025-01-01 10:30:00,false;"
			"abc,0,0.1,2024-02-29,true;"
			"1_000,~,~,~,~;"
			",7,1e20,1970-01-01,false");
	check_on(&t, "df['s'].astype(float) == 12", "C 0:10000");
	check_on(&t, "df['s'].astype(float) == 3.5", "C 0:01000");
	check_on(&t, "df['s'].astype(float).isna()", "C 0:00101");
	check_on(&t, "df['s'].astype('float64') == 1000", "C 0:00010");
	check_on(&t, "df['s'].astype(int) == 12", "C 0:10000");
	check_on(&t, "df['s'].astype('int64').isna()", "C 0:01101");
	check_on(&t, "df['s'].astype(bool)", "C 0:11110");
	check_on(&t, "df['n'].astype(str) == '-3'", "C 0:01000");
	check_on(&t, "df['n'].astype('str').isna()", "C 0:00010");
	check_on(&t, "df['x'].astype(str) == '12.0'", "C 0:10000");
	check_on(&t, "df['x'].astype(str) == '0.1'", "C 0:00100");
	check_on(&t, "df['x'].astype(str) == '1e+20'", "C 0:00001");
	check_on(&t, "df['x'].astype(int) == -3", "C 0:01000");
	check_on(&t, "df['x'].astype(bool)", "C 0:11101");
	check_on(&t, "df['b'].astype(str) == 'True'", "C 0:10100");
	check_on(&t, "df['b'].astype('string') == 'False'", "C 0:01001");
	check_on(&t, "df['b'].astype(int) == 1", "C 0:10100");
	check_on(&t, "df['d'].astype(str) == '2025-01-01'", "C 0:10000");
	check_on(&t, "df['d'].astype(str) == '2025-01-01 10:30:00'", "C 0:01000");
	check_on(&t, "df['d'].astype(int) == 0", "C 0:00001");
	check_on(&t, "df['s'].astype('datetime64[ns]').isna()", "C 0:11111");
	check_on(&t, "pd.to_numeric(df['s'], errors='coerce') > 10", "C 0:10010");
	check_on(&t, "pd.to_numeric(df['n']) == 12", "C 0:10000");
	check_on(&t, "pd.to_datetime(df['d']).dt.year == 2025", "C 0:11000");
	check_on(&t, "pd.to_datetime(df['s'], format='%d/%m/%Y', errors='coerce').isna()",
			 "C 0:11111");
	check_on(&t, "df['n'].apply(lambda v: str(v) == '12')", "C 0:10000");
	check_on(&t, "df['x'].apply(lambda v: int(v) == -3)", "C 0:01000");
	check_on(&t, "df['s'].apply(lambda v: float(v) > 100)", "C 0:00010");
	check_on(&t, "df['n'].apply(lambda v: bool(v))", "C 0:11001");
	check_on(&t, "df['x'].apply(lambda v: round(v) == -3)", "C 0:01000");
	check_on(&t, "str(len(df)) == '5'", "S 1");
	check_on(&t, "int('12') == 12", "S 1");
	check_on(&t, "float('abc') > 0", "S 0");
}

static void
test_dates(void **state)
{
	TestTable	t;

	tt_make(&t, NULL, "d:date,s:str",
			"2025-03-03,03/03/2025;2024-12-29 23:59:58,29/12/2024;~,31/02/2024");
	check_on(&t, "df['d'].dt.year == 2025", "C 0:100");
	check_on(&t, "df['d'].dt.month == 12", "C 0:010");
	check_on(&t, "df['d'].dt.day == 3", "C 0:100");
	check_on(&t, "df['d'].dt.dayofweek == 0", "C 0:100");	/* a Monday */
	check_on(&t, "df['d'].dt.weekday == 6", "C 0:010");	/* a Sunday */
	check_on(&t, "df['d'].dt.hour == 23", "C 0:010");
	check_on(&t, "df['d'].dt.minute == 59", "C 0:010");
	check_on(&t, "df['d'].dt.second == 58", "C 0:010");
	check_on(&t, "df['d'].dt.dayofyear == 364", "C 0:010");
	check_on(&t, "df['d'].dt.quarter == 1", "C 0:100");
	check_on(&t, "pd.to_datetime(df['s'], format='%d/%m/%Y') == df['d']", "C 0:100");
	check_on(&t, "pd.to_datetime(df['s'], format='%d/%m/%Y').isna()", "C 0:001");
	check_on(&t, "df['d'].apply(lambda v: v.year == 2024)", "C 0:010");
	check_on(&t, "df['d'].apply(lambda v: v.weekday() == 0)", "C 0:100");
	check_on(&t, "df['d'].max() > '2025-01-01'", "S 1");
	check_on(&t, "df['d'].min() == pd.to_datetime('2024-12-29 23:59:58')", "S 1");
}

/* Differences of dates: floored days, seconds within the day, total seconds. */
static void
test_date_differences(void **state)
{
	TestTable	t;

	(void) state;
	tt_make(&t, NULL, "a:date,b:date,s:str",
			"2025-01-01,2025-01-31,2025-01-02;"
			"2025-03-01 10:00:00,2025-02-28,x;"
			"~,2025-01-01,2025-02-30;"
			"2025-01-01,2025-01-01 23:00:01,2024-12-31");
	check_on(&t, "(df['b'] - df['a']).dt.days <= 30", "C 0:1101");
	check_on(&t, "(df['b'] - df['a']).dt.days == -2", "C 0:0100");	/* -1 day 14:00 */
	check_on(&t, "(df['b'] - df['a']).dt.seconds == 50400", "C 0:0100");
	check_on(&t, "(df['b'] - df['a']).dt.seconds == 82801", "C 0:0001");
	check_on(&t, "(df['b'] - df['a']).dt.microseconds == 0", "C 0:1101");
	check_on(&t, "(df['b'] - df['a']).dt.total_seconds() == 82801.0", "C 0:0001");
	check_on(&t, "(df['b'] - df['a']).dt.days.isna()", "C 0:0010");
	check_on(&t, "(pd.to_datetime(df['s'], errors='coerce') - df['a']).dt.days == 1", "C 0:1000");
	check_on(&t, "(pd.to_datetime(df['s'], errors='coerce') - df['a']).dt.days.isna()", "C 0:0110");
	check_on(&t, "df.apply(lambda r: (r['b'] - r['a']).days >= 0, axis=1)", "C 0:1001");
	check_on(&t, "df.apply(lambda r: (r['a'] - r['b']).seconds == 3599, axis=1)", "C 0:0001");
	check_on(&t, "(df['b'] - df['a']).dt.days.max() == 30", "S 1");
	check_on(&t, "(df['b'] - df['a']).dt.days", "I the rule gives a column of numbers, not of booleans");
}

/* .str[i], .str[a:b:c], .str.slice(), .str.get() and x[...] in code points. */
static void
test_string_slices(void **state)
{
	TestTable	t;

	(void) state;
	tt_make(&t, NULL, "s:str", "ABCDEF;ÑANDÚ;;~;日本語");
	check_on(&t, "df['s'].str[0:3] == 'ABC'", "C 0:10000");
	check_on(&t, "df['s'].str[0:3] == 'ÑAN'", "C 0:01000");
	check_on(&t, "df['s'].str[-2:] == '本語'", "C 0:00001");
	check_on(&t, "df['s'].str[0].isna()", "C 0:00110");
	check_on(&t, "df['s'].str[-5] == 'Ñ'", "C 0:01000");
	check_on(&t, "df['s'].str[-6].isna()", "C 0:01111");
	check_on(&t, "df['s'].str[10:] == ''", "C 0:11101");
	check_on(&t, "df['s'].str[-100:100] == df['s']", "C 0:11101");
	check_on(&t, "df['s'].str[::2] == 'ACE'", "C 0:10000");
	check_on(&t, "df['s'].str[::-1] == 'ÚDNAÑ'", "C 0:01000");
	check_on(&t, "df['s'].str[4:0:-2] == 'EC'", "C 0:10000");
	check_on(&t, "df['s'].str[-1:-100:-1] == '語本日'", "C 0:00001");
	check_on(&t, "df['s'].str[3:1] == ''", "C 0:11101");
	check_on(&t, "df['s'].str.slice(1, None, 2) == 'BDF'", "C 0:10000");
	check_on(&t, "df['s'].str.get(1) == '本'", "C 0:00001");
	check_on(&t, "df['s'].apply(lambda v: v[1:3] == 'AN')", "C 0:01000");
	check_on(&t, "df['s'].apply(lambda v: v[-1] == 'F')", "C 0:10000");
	check_on(&t, "'abc'[1:] == 'bc'", "S 1");
	check_on(&t, "'abc'[5] == 'c'", "S 0");
}

/* .str.split/.str.rsplit with literal and whitespace separators. */
static void
test_splits(void **state)
{
	TestTable	t;

	(void) state;
	tt_make(&t, NULL, "s:str",
			"a-b-c;  x  y ;;~;x--y;-a-;Ñ\xc2\xa0" "b\xe3\x80\x80" "c;a b c d");
	check_on(&t, "df['s'].str.split('-').str[0] == 'a'", "C 0:10000000");
	check_on(&t, "df['s'].str.split('-').str[-1] == 'c'", "C 0:10000000");
	check_on(&t, "df['s'].str.split('-').str.len() == 3", "C 0:10001100");
	check_on(&t, "df['s'].str.split('-').str.len() == 1", "C 0:01100011");
	check_on(&t, "df['s'].str.split('-').str[3].isna()", "C 0:11111111");
	check_on(&t, "df['s'].str.split('-').str[1] == ''", "C 0:00001000");
	check_on(&t, "df['s'].str.split('-', n=1).str[1] == 'b-c'", "C 0:10000000");
	check_on(&t, "df['s'].str.rsplit('-', n=1).str[0] == 'a-b'", "C 0:10000000");
	check_on(&t, "df['s'].str.rsplit('-', n=1).str[-1] == ''", "C 0:00100100");
	check_on(&t, "df['s'].str.split('--').str[1] == 'y'", "C 0:00001000");
	check_on(&t, "df['s'].str.split().str.len() == 2", "C 0:01000000");
	check_on(&t, "df['s'].str.split().str.len() == 0", "C 0:00100000");
	check_on(&t, "df['s'].str.split().str[0].isna()", "C 0:00110000");
	check_on(&t, "df['s'].str.split().str[-1] == 'c'", "C 0:00000010");
	check_on(&t, "df['s'].str.split(n=1).str[1] == 'y '", "C 0:01000000");
	check_on(&t, "df['s'].str.rsplit(n=1).str[0] == '  x'", "C 0:01000000");
	check_on(&t, "df['s'].str.rsplit(None, 2).str[0] == 'a b'", "C 0:00000001");
	check_on(&t, "df['s'].str.rsplit(None, 2).str.get(1) == 'c'", "C 0:00000001");
	check_on(&t, "df['s'].apply(lambda v: len(v.split(None, 0)) == 1)", "C 0:11001111");
	check_on(&t, "df['s'].apply(lambda v: v.split(None, 0)[0] == 'x  y ')", "C 0:01000000");
	check_on(&t, "df['s'].apply(lambda v: v.rsplit(None, 0)[0] == '  x  y')", "C 0:01000000");
	check_on(&t, "df['s'].apply(lambda v: v.split('-', 0)[0] == v)", "C 0:11101111");
	check_on(&t, "df['s'].apply(lambda v: v.split('-')[-1] == 'c')", "C 0:10000000");
}

/* df.duplicated(subset=..., keep=...): missing values equal each other. */
static void
test_duplicated_rows(void **state)
{
	TestTable	t;
	char		out[256];

	(void) state;
	tt_make(&t, NULL, "g:str,k:int,f:float,b:bool,d:date",
			"a,1,0.0,true,2025-01-01;"
			"a,1,-0.0,true,2025-01-01;"
			"a,2,1.5,false,~;"
			"~,~,~,~,~;"
			"~,~,~,~,~;"
			"a,2,1.5,false,~;"
			"b,1,0.0,true,2025-01-01");
	check_on(&t, "df.duplicated(subset=['g', 'k'])", "C 0:0100110");
	check_on(&t, "df.duplicated(subset=['g', 'k'], keep='last')", "C 0:1011000");
	check_on(&t, "df.duplicated(subset=['g', 'k'], keep=False)", "C 0:1111110");
	check_on(&t, "df.duplicated(subset=['k', 'f'])", "C 0:0100111");
	check_on(&t, "df.duplicated(subset='g')", "C 0:0110110");
	check_on(&t, "df.duplicated(['b', 'd'])", "C 0:0100111");
	check_on(&t, "df.duplicated()", "C 0:0100110");
	check_on(&t, "~df.duplicated(keep=False)", "C 0:0000001");
	check_on(&t, "df.duplicated(subset=['g', 'k']).sum() == 3", "S 1");
	/* a column of the subset missing from the file is a run-time error */
	{
		SageTable	dt;
		SageRuleSchemaTable st;
		uint8_t		present[TT_COLS];

		tt_views(&t, 1, &st, &dt);
		memcpy(present, t.present, sizeof(present));
		present[1] = 0;
		dt.present = present;
		eval_on(&t, 1, &dt, SAGE_SCOPE_CATALOG, "df.duplicated(subset=['g', 'k'])", out, sizeof(out));
		assert_true(strncmp(out, "E ", 2) == 0);
	}
}

static void
test_isin_between(void **state)
{
	TestTable	t;

	tt_make(&t, NULL, "n:int,x:float,s:str,d:date",
			"1,1.0,a,2025-01-01;2,2.5,b,2025-06-01;~,~,~,~;4,-1,d,2026-01-01");
	check_on(&t, "df['n'].isin([1, 4])", "C 0:1001");
	check_on(&t, "df['n'].isin([1.0, 2.5])", "C 0:1000");
	check_on(&t, "df['x'].isin([1, 2.5])", "C 0:1100");
	check_on(&t, "df['n'].isin(['1', 'a'])", "C 0:0000");
	check_on(&t, "df['n'].isin([None])", "C 0:0010");
	check_on(&t, "df['x'].isin([np.nan, -1])", "C 0:0011");
	check_on(&t, "df['s'].isin(['a', 'd'])", "C 0:1001");
	check_on(&t, "~df['s'].isin(['a', 'd'])", "C 0:0110");
	check_on(&t, "df['d'].isin(['2025-01-01', 'not a date'])", "C 0:1000");
	check_on(&t, "df['n'].isin(df['x'])", "C 0:1010");
	check_on(&t, "df['s'].isin(df['s'].unique())", "C 0:1111");
	check_on(&t, "df['s'].apply(lambda v: v in ['b', 'z'])", "C 0:0100");
	check_on(&t, "df['s'].apply(lambda v: v not in ['b', 'z'])", "C 0:1011");
	check_on(&t, "df['n'].between(1, 2)", "C 0:1100");
	check_on(&t, "df['n'].between(1, 2, inclusive='neither')", "C 0:0000");
	check_on(&t, "df['n'].between(1, 2, inclusive='left')", "C 0:1000");
	check_on(&t, "df['n'].between(1, 2, inclusive='right')", "C 0:0100");
	check_on(&t, "df['x'].between(-1, 2.5)", "C 0:1101");
	check_on(&t, "df['x'].between(0, 2)", "C 0:1000");
	check_on(&t, "df['n'].between(1, 2.5)", "C 0:1100");
	check_on(&t, "df['s'].between('a', 'b')", "C 0:1100");
	check_on(&t, "df['d'].between('2025-01-01', '2025-12-31')", "C 0:1100");
	check_on(&t, "df['n'].between(df['x'], 3)", "C 0:1000");
}

static void
test_strings(void **state)
{
	TestTable	t;

	tt_make(&t, NULL, "s:str",
			" Ab1 ;ÑANDÚ;~;x-y;;12;straße");
	check_on(&t, "df['s'].str.match('A')", "C 0:0000000");
	check_on(&t, "df['s'].str.match(r'\\s*A')", "C 0:1000000");
	check_on(&t, "df['s'].str.fullmatch(r'\\w+')", "C 0:0100011");
	check_on(&t, "df['s'].str.fullmatch(r'\\d+')", "C 0:0000010");
	check_on(&t, "df['s'].str.contains('b1')", "C 0:1000000");
	check_on(&t, "df['s'].str.contains('AB1', case=False)", "C 0:1000000");
	check_on(&t, "df['s'].str.contains('ñandú', case=False)", "C 0:0100000");
	check_on(&t, "df['s'].str.contains('-', regex=False)", "C 0:0001000");
	check_on(&t, "df['s'].str.contains('.', regex=False)", "C 0:0000000");
	check_on(&t, "df['s'].str.contains('x', na=True)", "C 0:0011000");
	check_on(&t, "df['s'].str.contains('x', na=False)", "C 0:0001000");
	check_on(&t, "df['s'].str.contains('x').isna()", "C 0:0010000");
	check_on(&t, "df['s'].str.startswith('Ñ')", "C 0:0100000");
	check_on(&t, "df['s'].str.startswith(('x', ' '))", "C 0:1001000");
	check_on(&t, "df['s'].str.endswith('ße')", "C 0:0000001");
	check_on(&t, "df['s'].str.len() == 5", "C 0:1100000");
	check_on(&t, "df['s'].str.len() == 6", "C 0:0000001");
	check_on(&t, "df['s'].str.len() == 0", "C 0:0000100");
	check_on(&t, "df['s'].str.strip() == 'Ab1'", "C 0:1000000");
	check_on(&t, "df['s'].str.strip('1 A') == 'b'", "C 0:1000000");
	check_on(&t, "df['s'].str.lstrip() == 'Ab1 '", "C 0:1000000");
	check_on(&t, "df['s'].str.rstrip() == ' Ab1'", "C 0:1000000");
	check_on(&t, "df['s'].str.lower() == 'ñandú'", "C 0:0100000");
	check_on(&t, "df['s'].str.upper() == 'STRASSE'", "C 0:0000001");
	check_on(&t, "df['s'].str.upper() == ' AB1 '", "C 0:1000000");
	check_on(&t, "df['s'].str.replace('-', '+') == 'x+y'", "C 0:0001000");
	check_on(&t, "df['s'].str.replace('', '.') == '.1.2.'", "C 0:0000010");
	check_on(&t, "df['s'].str.replace(r'(\\w)-(\\w)', r'\\2-\\1', regex=True) == 'y-x'",
			 "C 0:0001000");
	check_on(&t, "df['s'].str.replace(r'(?P<d>\\d)', r'<\\g<d>>', regex=True) == '<1><2>'",
			 "C 0:0000010");
	check_on(&t, "df['s'].str.replace('a', '$', regex=True) == 'str$ße'", "C 0:0000001");
	check_on(&t, "df['s'].str.isdigit()", "C 0:0000010");
	check_on(&t, "df['s'].str.isalpha()", "C 0:0100001");
	check_on(&t, "df['s'].str.isalnum()", "C 0:0100011");
	check_on(&t, "df['s'] + '!' == 'x-y!'", "C 0:0001000");
	check_on(&t, "df['s'].apply(lambda v: v.upper().startswith('STR'))", "C 0:0000001");
	check_on(&t, "df['s'].apply(lambda v: 'Ab' in v)", "C 0:1000000");
	check_on(&t, "df['s'].apply(lambda v: v in 'xx-yy')", "C 0:0001100");
	check_on(&t, "df['s'].apply(len) == 1", "C 0:0000000");
	check_on(&t, "df['s'].apply(lambda v: v.replace('1', '2').strip() == 'Ab2')", "C 0:1000000");
	check_on(&t, "df['s'].str.len().max() == 6", "S 1");
	check_on(&t, "df['s'].max() == 'ÑANDÚ'", "S 1");
	check_on(&t, "df['s'].min() == ''", "S 1");
	check_on(&t, "df['s'].str.lower().str.strip().str.len().sum() == 19", "S 1");
}

static void
test_python_regex_translation(void **state)
{
	TestTable	t;

	tt_make(&t, NULL, "s:str", "abc\n;abc;a[b;x{,2};é1;a\vb");
	/* $ matches before a final newline, \\Z only at the very end (Python) */
	check_on(&t, "df['s'].str.match(r'abc$')", "C 0:110000");
	check_on(&t, "df['s'].str.match(r'abc\\Z')", "C 0:010000");
	check_on(&t, "df['s'].str.fullmatch('abc')", "C 0:010000");
	check_on(&t, "df['s'].str.contains(r'[[]')", "C 0:001000");
	check_on(&t, "df['s'].str.contains(r'[[:]')", "C 0:001000");
	check_on(&t, "df['s'].str.fullmatch(r'x{,2}')", "C 0:000000");
	check_on(&t, "df['s'].str.fullmatch(r'\\w\\d')", "C 0:000010");
	check_on(&t, "df['s'].str.fullmatch(r'\\u00e9\\d')", "C 0:000010");
	check_on(&t, "df['s'].str.fullmatch(r'\\w\\v\\w')", "C 0:000001");
	check_on(&t, "df['s'].str.fullmatch(r'(?P<x>a)bc(?P=x)?')", "C 0:010000");
	check_on(&t, "df['s'].str.fullmatch(r'(?i)ABC')", "C 0:010000");
	check_on(&t, "df['s'].str.fullmatch(r'(?i:A)bc')", "C 0:010000");
	check_on(&t, "df['s'].str.fullmatch(r'(a)b\\1?c')", "C 0:010000");
	check_on(&t, "df['s'].str.fullmatch(r'a|ab|abc')", "C 0:010000");
	check_on(&t, "df['s'].str.contains(r'\\x5b')", "C 0:001000");
	check_on(&t, "df['s'].str.contains(r'\\133')", "C 0:001000");
}

static void
test_catastrophic_backtracking(void **state)
{
	TestTable	t;
	char		out[512];

	tt_make(&t, NULL, "s:str", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab;ok");
	eval_on(&t, 1, NULL, SAGE_SCOPE_ROW, "df['s'].str.fullmatch(r'(a+)+$')", out, sizeof(out));
	assert_string_equal(out, "E regular expression exceeded its backtracking limit at position 13");
}

static void
test_regex_cache(void **state)
{
	/*
	 * Patterns are compiled once per process (JIT) and shared; past the
	 * cache's capacity they are compiled into the rule's arena without
	 * JIT. Both must give the same results.
	 */
	TestTable	t;
	char		rule[128];
	char		expected[32];

	tt_make(&t, NULL, "s:str", "p7;p1099;x;~");
	for (int k = 0; k < 1100; k++)
	{
		char		out[256];

		snprintf(rule, sizeof(rule), "df['s'].str.fullmatch('p%d')", k);
		eval_on(&t, 1, NULL, SAGE_SCOPE_ROW, rule, out, sizeof(out));
		snprintf(expected, sizeof(expected), "C 0:%s", k == 7 ? "1000" : k == 1099 ? "0100" : "0000");
		if (strcmp(out, expected) != 0)
			fail_msg("rule \"%s\": got \"%s\", expected \"%s\"", rule, out, expected);
	}
	/* a cached pattern with another mode is another entry */
	check_on(&t, "df['s'].str.contains('p7')", "C 0:1000");
	check_on(&t, "df['s'].str.match('p1')", "C 0:0100");
	check_on(&t, "df['s'].str.fullmatch('p1')", "C 0:0000");
	check_on(&t, "df['s'].str.contains('P7', case=False)", "C 0:1000");
}

static void
test_lambdas(void **state)
{
	forms_init();
	check("df['n'].apply(lambda v: v * 2 if v > 2 else -v) > 0", "C 0:100101");
	check("df['n'].apply(lambda v: 1)", "I the rule gives a column of numbers, not of booleans");
	check("df['n'].apply(lambda v: True)", "C 0:111111");
	check("df.apply(lambda r: r['s'].startswith('ok') and r['b'], axis=1)", "C 0:110101");
	check("df.apply(lambda r: r.n > 2, axis=1)", "C 0:100101");
	check("df.apply(lambda r: len(r['email']) > 6 if r['b'] else r['n'] > 1, axis=1)",
		  "C 0:101000");
	check("df.apply(lambda r: r['d1'] is None, axis=1)", "C 0:000001");
	check("df.apply(lambda r: r['d1'] < r['d2'], axis=1)", "C 0:101100");
	check("df['n'].apply(lambda v: max(v, 3) == 3)", "C 0:011011");
	check("df['n'].apply(lambda v: min(v, 3, 2) == 2)", "C 0:101101");
	check("df['x'].apply(lambda v: abs(v - 5) <= 2)", "C 0:100101");
	check("df['n'].map(lambda v: v % 2 == 1)", "C 0:100011");
	check("df['n'].apply(lambda v: v > df['n'].mean())", "C 0:000100");
	check("df['n'].apply(lambda v: len(df) == 6)", "C 0:111111");
}

static void
test_aggregates(void **state)
{
	TestTable	t;
	TestTable	e;

	tt_make(&t, NULL, "n:int,x:float,s:str",
			"1,1.5,a;2,~,b;~,2.5,a;2,3,~;~,~,~");
	check_on(&t, "df['n'].sum() == 5", "S 1");
	check_on(&t, "df['x'].sum() == 7", "S 1");
	check_on(&t, "df['n'].min() == 1", "S 1");
	check_on(&t, "df['n'].max() == 2", "S 1");
	check_on(&t, "df['x'].mean() == 7 / 3", "S 1");
	check_on(&t, "df['n'].count() == 3", "S 1");
	check_on(&t, "df['s'].count() == 3", "S 1");
	check_on(&t, "df['n'].nunique() == 2", "S 1");
	check_on(&t, "df['s'].nunique() == 2", "S 1");
	check_on(&t, "df['s'].is_unique", "S 0");
	check_on(&t, "df['n'].dropna().is_unique", "X method \"dropna\" is not supported at position 9");
	check_on(&t, "len(df) == 5", "S 1");
	check_on(&t, "df.shape[0] == 5", "S 1");
	check_on(&t, "df.shape[1] == 3", "S 1");
	check_on(&t, "len(df.columns) == 3", "S 1");
	check_on(&t, "len(df['n']) == 5", "S 1");
	check_on(&t, "df['n'].size == 5", "S 1");
	check_on(&t, "df['n'].shape[0] == 5", "S 1");
	check_on(&t, "(df['n'] > 1).sum() == 2", "S 1");
	check_on(&t, "(df['n'] > 0).all()", "S 0");
	check_on(&t, "df['n'].dropna().all()", "X method \"dropna\" is not supported at position 9");
	check_on(&t, "df['n'].all()", "S 1");
	check_on(&t, "df['n'].isna().any()", "S 1");
	check_on(&t, "df['n'].duplicated()", "C 0:00011");
	check_on(&t, "df['n'].duplicated(keep='first')", "C 0:00011");
	check_on(&t, "df['n'].duplicated(keep='last')", "C 0:01100");
	check_on(&t, "df['n'].duplicated(keep=False)", "C 0:01111");
	check_on(&t, "~df['s'].duplicated()", "C 0:11010");
	check_on(&t, "df['x'].max() == max(df['x'])", "S 1");
	check_on(&t, "round(df['x'].mean(), 2) == 2.33", "S 1");
	check_on(&t, "df['n'].sum() + df['x'].sum() == 12", "S 1");

	/* empty table: sum 0, count 0, mean/min/max missing */
	tt_make(&e, NULL, "n:int,x:float", "");
	check_on(&e, "df['n'].sum() == 0", "S 1");
	check_on(&e, "df['n'].count() == 0", "S 1");
	check_on(&e, "df['x'].mean() > 0", "S 0");
	check_on(&e, "pd.isna(df['x'].mean())", "S 1");
	check_on(&e, "df['n'].min()", "I the rule gives a number, not a boolean");
	check_on(&e, "df['n'].max() == df['n'].max()", "S 0");
	check_on(&e, "(df['n'] > 0).all()", "S 1");
	check_on(&e, "(df['n'] > 0).any()", "S 0");
	check_on(&e, "df['n'] > 0", "C 0:");
	check_on(&e, "df['n'].is_unique", "S 1");
	check_on(&e, "len(df) == 0", "S 1");
	check_on(&e, "(df['n'] > 0).max()", "I the rule gives a missing value, not a boolean");
}

/* Package schema: clientes, ventas, productos. */
static TestTable pk[3];

static void
pk_init(void)
{
	tt_make(&pk[0], "clientes", "c:str,v:int", "A,1;B,2;C,~");
	tt_make(&pk[1], "ventas", "c:str,p:str", "A,x;Z,y");
	tt_make(&pk[2], "productos", "p:str", "x;q");
}

static void
check_pk(const char *expr, const char *expected)
{
	char		out[256];

	eval_on(pk, 3, NULL, SAGE_SCOPE_PACKAGE, expr, out, sizeof(out));
	if (strcmp(out, expected) != 0)
		fail_msg("rule \"%s\": got \"%s\", expected \"%s\"", expr, out, expected);
}

static void
test_package_parts(void **state)
{
	pk_init();
	check_pk("df['ventas']['c'].isin(df['clientes']['c'])", "C 1:10");
	check_pk("df['ventas']['c'].isin(df['clientes']['c']) and df['ventas']['p'].isin(df['productos']['p'])",
			 "C 1:10");
	check_pk("df['ventas']['c'].isin(df['clientes']['c']) and df['clientes']['v'] > 1",
			 "C 1:10 0:010");
	check_pk("df['ventas']['c'].isin(df['clientes']['c']) & (df['clientes']['v'] > 1) & (df['productos']['p'] == 'x')",
			 "C 1:10 0:010 2:10");
	check_pk("(df['clientes']['v'] > 0) & df['ventas']['c'].isin(df['clientes']['c']) & (df['clientes']['c'] != 'B')",
			 "C 0:100 1:10");
	check_pk("len(df['clientes']) == 3 and df['ventas']['c'] != ''", "C 1:11");
	check_pk("len(df['clientes']) == 4 and df['ventas']['c'] != '' and df['productos']['p'] != ''",
			 "C 1:00 2:00");
	check_pk("len(df) == 3", "S 1");
	check_pk("df['clientes']['v'].sum() == 3", "S 1");
	/* or between catalogs of different lengths */
	check_pk("df['ventas']['c'].isin(df['clientes']['c']) or df['clientes']['v'] > 1",
			 "E cannot combine columns of catalogs \"ventas\" (2 rows) and \"clientes\" (3 rows) at position 45");
	/* same length: elementwise by row position, as pandas aligns on the index */
	check_pk("df['ventas']['c'].isin(df['clientes']['c']) | (df['productos']['p'] == 'q')",
			 "C 1:11");
}

static void
test_runtime_errors(void **state)
{
	SageTable	unavailable;
	SageTable	missing_col;
	char		out[256];
	uint8_t		present[TT_COLS];

	pk_init();
	/* a package member missing from the ZIP */
	memset(&unavailable, 0, sizeof(unavailable));
	unavailable.available = false;
	eval_on(pk, 3, &unavailable, SAGE_SCOPE_PACKAGE,
			"df['ventas']['c'].isin(df['clientes']['c'])", out, sizeof(out));
	assert_string_equal(out, "E catalog \"clientes\" has no data at position 24");
	eval_on(pk, 3, &unavailable, SAGE_SCOPE_PACKAGE, "len(df['clientes']) > 0", out, sizeof(out));
	assert_string_equal(out, "E catalog \"clientes\" has no data at position 1");
	/* a table that is not read still evaluates */
	eval_on(pk, 3, &unavailable, SAGE_SCOPE_PACKAGE, "df['ventas']['c'] == 'A'", out, sizeof(out));
	assert_string_equal(out, "C 1:10");

	/* a column missing from the file */
	forms_init();
	memcpy(present, forms.present, sizeof(present));
	present[2] = 0;
	memset(&missing_col, 0, sizeof(missing_col));
	missing_col.available = true;
	missing_col.nrows = forms.nrows;
	missing_col.ncols = forms.ncols;
	missing_col.names = forms.names;
	missing_col.present = present;
	missing_col.cols = forms.cols;
	missing_col.file_columns = forms.ncols - 1;
	eval_on(&forms, 1, &missing_col, SAGE_SCOPE_ROW, "df['n'] > 1 and df['x'] > 1", out, sizeof(out));
	assert_string_equal(out, "E column \"x\" is not in the file at position 17");
	eval_on(&forms, 1, &missing_col, SAGE_SCOPE_CATALOG, "len(df.columns) == 7", out, sizeof(out));
	assert_string_equal(out, "S 1");
	eval_on(pk, 3, &unavailable, SAGE_SCOPE_PACKAGE, "df['ventas']['c'].isin(df['clientes']['c'])",
			out, sizeof(out));

	/* wrong number of tables */
	{
		SageArena  *arena = sage_arena_new(NULL);
		SageError	err;
		SageRuleSchemaTable st[1];
		SageTable	dt[1];
		SageRuleSchema schema = {1, st};
		SageRule   *rule;
		SageRuleResult res;

		tt_views(&forms, 1, st, dt);
		rule = sage_rule_compile(arena, "df['n'] > 1", SAGE_SCOPE_ROW, &schema, &err);
		assert_non_null(rule);
		assert_int_equal(sage_rule_eval(rule, arena, dt, 2, &res, &err), -1);
		assert_int_equal(err.code, SAGE_ERR_ARGUMENT);
		assert_string_equal(err.message, "rule needs 1 tables, 2 given");
		sage_arena_free(arena);
	}
}

static void
test_batches(void **state)
{
	/* a row-wise rule gives the same on any split of the rows */
	SageArena  *arena = sage_arena_new(NULL);
	SageRuleSchemaTable st[1];
	SageTable	dt[1];
	SageRuleSchema schema = {1, st};
	SageError	err;
	SageRule   *rule;
	SageColumn	cols[TT_COLS];
	char		whole[64] = "";
	char		parts[64] = "";

	forms_init();
	tt_views(&forms, 1, st, dt);
	rule = sage_rule_compile(arena, "df['s'].str.contains('ok') & (df['n'] > 1) | df['d1'].isna()",
							 SAGE_SCOPE_ROW, &schema, &err);
	assert_non_null(rule);
	assert_true(sage_rule_is_rowwise(rule));
	for (size_t start = 0; start < forms.nrows; start += 4)
	{
		SageArena  *scratch = sage_arena_new(NULL);
		SageTable	b = dt[0];
		SageRuleResult res;
		size_t		n = forms.nrows - start < 4 ? forms.nrows - start : 4;

		for (int c = 0; c < forms.ncols; c++)
		{
			cols[c] = forms.cols[c];
			cols[c].n = n;
			cols[c].valid += start;
			cols[c].s += start;
			cols[c].slen += start;
			cols[c].i += start;
			cols[c].f += start;
			cols[c].t += start;
			cols[c].b += start;
		}
		b.nrows = n;
		b.cols = cols;
		assert_int_equal(sage_rule_eval(rule, scratch, &b, 1, &res, &err), 0);
		assert_int_equal(res.kind, SAGE_RESULT_COLUMNS);
		for (size_t i = 0; i < res.parts[0].n; i++)
			strncat(parts, res.parts[0].ok[i] ? "1" : "0", 1);
		sage_arena_free(scratch);
	}
	{
		SageArena  *scratch = sage_arena_new(NULL);
		SageRuleResult res;

		assert_int_equal(sage_rule_eval(rule, scratch, dt, 1, &res, &err), 0);
		for (size_t i = 0; i < res.parts[0].n; i++)
			strncat(whole, res.parts[0].ok[i] ? "1" : "0", 1);
		sage_arena_free(scratch);
	}
	assert_string_equal(whole, "100101");
	assert_string_equal(parts, whole);
	sage_arena_free(arena);
}

static void
test_eval_memory_limit(void **state)
{
	/* evaluation under a tiny scratch budget fails with SAGE_ERR_MEMORY, never crashes */
	SageArena  *arena = sage_arena_new(NULL);
	SageRuleSchemaTable st[1];
	SageTable	dt[1];
	SageRuleSchema schema = {1, st};
	SageError	err;
	SageRule   *rule;
	int			failures = 0;

	forms_init();
	tt_views(&forms, 1, st, dt);
	rule = sage_rule_compile(arena, "df['s'].str.upper().str.match('O') & df['id'].duplicated()",
							 SAGE_SCOPE_CATALOG, &schema, &err);
	assert_non_null(rule);
	for (size_t limit = 256; limit <= 64 * 1024 * 1024; limit *= 4)
	{
		SageBudget	budget = {limit, 0, 0};
		SageArena  *scratch = sage_arena_new(&budget);
		SageRuleResult res;

		if (scratch == NULL)
			continue;
		sage_error_clear(&err);
		if (sage_rule_eval(rule, scratch, dt, 1, &res, &err) < 0)
		{
			assert_int_equal(err.code, SAGE_ERR_MEMORY);
			failures++;
		}
		sage_arena_free(scratch);
	}
	assert_true(failures > 0);
	sage_arena_free(arena);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_acceptance_rule_forms),
		cmocka_unit_test(test_column_access),
		cmocka_unit_test(test_literals),
		cmocka_unit_test(test_arithmetic),
		cmocka_unit_test(test_comparisons_and_missing),
		cmocka_unit_test(test_boolean_logic),
		cmocka_unit_test(test_conversions),
		cmocka_unit_test(test_dates),
		cmocka_unit_test(test_date_differences),
		cmocka_unit_test(test_string_slices),
		cmocka_unit_test(test_splits),
		cmocka_unit_test(test_duplicated_rows),
		cmocka_unit_test(test_isin_between),
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_python_regex_translation),
		cmocka_unit_test(test_catastrophic_backtracking),
		cmocka_unit_test(test_regex_cache),
		cmocka_unit_test(test_lambdas),
		cmocka_unit_test(test_aggregates),
		cmocka_unit_test(test_package_parts),
		cmocka_unit_test(test_runtime_errors),
		cmocka_unit_test(test_batches),
		cmocka_unit_test(test_eval_memory_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
