/*-------------------------------------------------------------------------
 *
 * test/core/rule_compile_test.c
 *		Malformed and unusual rules against the parser and the type checker:
 *		every refusal must be a SAGE_ERR_RULE message with a position (never
 *		a crash, never another error), every accepted oddity must compile,
 *		and running out of memory at any allocation of the parser or the
 *		compiler must give SAGE_ERR_MEMORY and nothing else.
 *
 * The exact wording of the common refusals is pinned by rule_parse_test.c;
 * this file is about reaching every error path (test/core/coverage.sh
 * gates its branch coverage).
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

/* A catalog schema and a package schema of three catalogs. */
static const char *const t_names[] = {"s", "n", "x", "d", "b", "e"};
static const SageColType t_types[] = {
	SAGE_COL_STRING, SAGE_COL_INT, SAGE_COL_FLOAT, SAGE_COL_DATETIME, SAGE_COL_BOOL,
	SAGE_COL_STRING
};
static const SageRuleSchemaTable t_table = {NULL, 6, t_names, t_types};
static const SageRuleSchema t_schema = {1, &t_table};
static const SageRuleSchemaTable t_empty_table = {NULL, 0, NULL, NULL};
static const SageRuleSchema t_empty_schema = {1, &t_empty_table};

static const char *const p_cl_names[] = {"c", "v"};
static const SageColType p_cl_types[] = {SAGE_COL_STRING, SAGE_COL_INT};
static const char *const p_ve_names[] = {"c", "p"};
static const SageColType p_ve_types[] = {SAGE_COL_STRING, SAGE_COL_STRING};
static const char *const p_pr_names[] = {"p"};
static const SageColType p_pr_types[] = {SAGE_COL_STRING};
static const SageRuleSchemaTable p_tables[] = {
	{"clientes", 2, p_cl_names, p_cl_types},
	{"ventas", 2, p_ve_names, p_ve_types},
	{"productos", 1, p_pr_names, p_pr_types}
};
static const SageRuleSchema p_schema = {3, p_tables};

/* Compiles expr; returns the rule or NULL with err filled. */
static SageRule *
compile_in(SageArena *arena, const char *expr, SageRuleScope scope, const SageRuleSchema *schema,
		   SageError *err)
{
	sage_error_clear(err);
	return sage_rule_compile(arena, expr, scope, schema, err);
}

/* Checks that every rule of list is refused with a positioned rule error. */
static void
expect_refused(const char *const *list, size_t n, SageRuleScope scope, const SageRuleSchema *schema)
{
	int			bad = 0;

	for (size_t k = 0; k < n; k++)
	{
		SageArena  *arena = sage_arena_new(NULL);
		SageError	err;
		SageRule   *rule = compile_in(arena, list[k], scope, schema, &err);

		if (rule != NULL)
		{
			print_message("rule \"%s\" was accepted\n", list[k]);
			bad++;
		}
		else if (err.code != SAGE_ERR_RULE || strstr(err.message, " at position ") == NULL)
		{
			print_message("rule \"%s\": code %d, message \"%s\"\n", list[k], (int) err.code,
						  err.message);
			bad++;
		}
		sage_arena_free(arena);
	}
	assert_int_equal(bad, 0);
}

/* Checks that every rule of list compiles. */
static void
expect_accepted(const char *const *list, size_t n, SageRuleScope scope, const SageRuleSchema *schema)
{
	int			bad = 0;

	for (size_t k = 0; k < n; k++)
	{
		SageArena  *arena = sage_arena_new(NULL);
		SageError	err;
		SageRule   *rule = compile_in(arena, list[k], scope, schema, &err);

		if (rule == NULL)
		{
			print_message("rule \"%s\" was refused: %s\n", list[k], err.message);
			bad++;
		}
		sage_arena_free(arena);
	}
	assert_int_equal(bad, 0);
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* Syntax errors in every position of the grammar. */
static void
test_syntax_errors(void **state)
{
	static const char *const bad[] = {
		"(1", "(1,", "(1 2)", "[1", "[1 2]", "{1", "{1 2}", "[1,", "f(1", "f(1 2)",
		"f(x=1 2)", "f(x=)", "f(1,,2)", "f(x=1, 2)", "df[", "df[1", "df['s'", "df['s' 1]",
		"df['s'][1:2", "df['s'].str[1:2:3:4]", "df['s'].str[1,2]", "df.", "df.1", "df.if",
		"df.(", "1 +", "1 + )", "- ", "~", "not", "1 if", "1 if 2", "1 if 2 else", "lambda",
		"lambda x", "lambda x:", "lambda 1: 2", "1 <", "1 < 2 <", "1 not", "1 not 2",
		"1 is not", "a and", "a or", "1 |", "1 &", "1 ^", "1 *", "1 **", "1 //", "1 %",
		"1 ==", "1 in", "'abc", "r'abc", "1e", "0x", "0b2", "1__0", "df['s'] == '\\N{x}'",
		"df['s'] == b'x'", "df['s'] == f'x'", "df['s'] == u", "df @ 2", "df['s'] := 1",
		"1 = 2", "df['s'] == '\\u12'", "df['s'] == '\\U0011ffff'", "(1 for x in y)",
		"[x for x in y]", "*df", "df['s'] == 'a' ;", "df[['s']]", "df['s'].str.get(1:2)",
		"{'a': 1}", "(1))", "df['n'] > 1)", "f(**x)", "f(*x)", "lambda *x: 1", "x.y.",
		"1 if 2 else 3 if", "not not", "((((((", "df['s'] == \"abc", "'\\", "1..2",
		"df['s'].str[", "df['s'].str[::", "df['s'].str[1:", "f(1)(", "f(1)[", "a[b](",
		"a.b(c=", "a.b(c", "1 < 2 >", "x is", "x not in", "[1, 2", "(1, 2", "{1, 2",
	};

	(void) state;
	expect_refused(bad, N(bad), SAGE_SCOPE_ROW, &t_schema);
}

/* Type errors and unsupported constructs, one per refusal path. */
static void
test_type_errors(void **state)
{
	static const char *const bad[] = {
		"df.apply(lambda row: row, axis=1)", "pd", "np.where", "len", "df['d'].dt",
		"df.columns", "df.shape", "df['b'].astype('datetime64[ns]') > '2024-01-01'",
		"df['s'].str.match(1)", "df['s'].str.contains('a', case=1)",
		"df['s'].str.contains('a', pat='b')", "df['s'] < None", "df['n'] + None",
		"df['d'] * 2", "abs(df['s']) > 1", "df['s'].round() == 1", "df['x'].round(25) > 1",
		"np.where(df['n'], 1, 0) == 1", "df['s'].str.contains('a', na='x')",
		"df['s'].str.startswith(('a', 1))", "df['s'].str[::99999999999] == 'a'",
		"df['s'].str.replace('a', 'b', n=2) == 'x'",
		"df['s'].str.replace('a', 'b', flags=2) == 'x'",
		"df['s'].apply(lambda v: v.title() == 'A')", "df['n'].apply(1) > 1",
		"df['n'].sum().astype(str) == '1'", "df['s'].mean() > 1", "df['d'].all()",
		"[1, 2].abs()", "df['n'].apply(lambda v: v.bit_length() > 1)", "df.apply(1, axis=1)",
		"pd.to_numeric(df['s'], errors='x') > 1", "pd.to_numeric(df['s'], downcast='float') > 1",
		"pd.to_datetime(df['s'], errors='x') > 1", "pd.to_datetime(df['s'], dayfirst=True) > 1",
		"len(df, x=1) > 1", "len(pd) == 1", "min() == 1", "min(df['n']).x",
		"min(df['n'], df['x']) > 1", "df['n'](1)", "df(1)", "[1, 2].x", "'abc'.str.len() == 3",
		"pd.to_datetime('2024-01-01').dt.year == 1", "df['n'].sum().shape[0] == 1", "len.x",
		"pd[0]", "df['s'] in 1", "None < 1", "df['n'].sum().hasnans", "np.foo", "pd.foo",
		"df.__class__", "df['s'].__len__()", "__import__('os')", "df['zz'] > 1", "df.zz > 1",
		"df['s'] > 1", "df['s'] & df['b']", "~df['s']", "not df['n']", "-df['s']",
		"df['s'].str.fullmatch('(')", "df['s'].str.contains('[', regex=True)",
		"df['s'].str.replace('(', 'x', regex=True) == 'a'", "df['n'].isin(1)",
		"df['n'].isin([df['n']])", "df['n'].between(1)", "df['n'].between(1, 2, inclusive='x')",
		"df['n'].astype('complex') > 1", "df['n'].astype(1) > 1", "df['n'].fillna() > 1",
		"df['n'].fillna('a') > 1", "df['n'].duplicated(keep='x')", "df['n'].foo()",
		"df['n'].sum(1) > 1", "df['s'].str.len(1) > 1", "df['s'].str.lower(1) == 'a'",
		"df['s'].str.strip(1) == 'a'", "df['s'].str.isdigit(1)", "df['d'].dt.year(1)",
		"df['n'].apply(lambda v: df['n'] > v)", "df['n'].apply(lambda v: lambda w: w)",
		"df['n'].apply(lambda v, w: v)", "df.apply(lambda r: r['zz'] > 1, axis=1)",
		"df.apply(lambda r: r > 1, axis=1)", "df.apply(lambda r: r.zz > 1, axis=1)",
		"df.apply(lambda r: r[0] > 1, axis=1)", "df.apply(lambda r: r['n'] > 1)",
		"df.apply(lambda r: r['n'] > 1, axis=0)", "df.apply(lambda r: r['n'] > 1, axis='x')",
		"df.foo(1)", "df[0]", "df[df['n'] > 1]", "df[['s', 'n']]", "df['s']['x']",
		"df.shape[2]", "df['s'].shape[1]", "len(df.columns) + df.columns", "str(1, 2)",
		"int()", "float(x=1)", "bool(df)", "abs()", "abs(1, 2)", "round()", "round(1, 'a')",
		"round(df['s'])", "max(1, 'a')", "max([1, 2])", "str.upper('a')", "int.x",
		"pd.isna()", "pd.isna(1, 2)", "np.isnan(df['s'])", "np.abs(df['s'])",
		"np.where(df['b'], 1)", "np.where(df['b'], 1, 'a')", "df['s'] is 'a'", "df['s'] is 1",
		"1 < df['s'] < 2", "df['s'] < df['n'] < 3", "df['s'].str.startswith(1)",
		 "df['s'].str.match('a', flags=2)",
		"df['s'].str.match('a', x=1)", "df['d'].dt.foo", "df['d'] > 'x'",
		 "df['s'].apply(len, 1)", "df['s'].map()",
		"df['n'].is_unique()", "df['n'].size()", "len(1)", "len(df['n'].sum())",
		 "df['s'].str.slice(1, 2, 3, 4)",
		"df['s'].str.get(1, 2)", "df['s'].str.split('-', 1, False, False, 1)",
		"df['s'].apply(lambda v: v.split(1)[0])", "df['s'].apply(lambda v: v.split('-')['a'])",
		"df['s'].str.split('-').str['a']", "df['s'].str.split('-').str.get('a')",
		"df['s'].str.split('-').str.len(1)", "(df['d'] - df['d']).dt.total_seconds",
		"(df['d'] - df['d']).dt.days()", "df.apply(lambda r: (r['d'] - r['d']).foo, axis=1)",
		"df['s'].str.split('-', n=1, regex='x')", "df['s'].str.split('-', expand='x')",
		"df['s'].str.split(1)", "df.duplicated(keep=None)", "df.duplicated(subset=1)",
		"df.duplicated(subset=['s'], x=1)", "df['s'].str[1:2:'a']", "df['s'].str['a':]",
		"df['s'].str.slice('a')", "df['s'].str.get(1.5)", "'abc'['a']", "'abc'[0:1:0]",
		"df['s'].apply(lambda v: v[0:'a'])", "df['x'].apply(lambda v: v[0])",
		"df['n'][0:1:2]", "pd.NaT.dt.year", "df['d'] - df['s']", "df['d'] - 1",
		"df['n'] - df['d']", "(df['d'] - df['d']) + (df['d'] - df['d'])",
		"abs(df['d'] - df['d'])", "(df['d'] - df['d']).isna()", "-(df['d'] - df['d'])",
		"(df['d'] - df['d']) == (df['d'] - df['d'])", "len(df['d'] - df['d'])",
		"(df['d'] - df['d'])[0]", "(df['d'] - df['d']).dt[0]", "(df['d'] - df['d'])(1)",
		"df['s'].str.split('-')(1)", "df['s'].str.split('-').str(1)",
		"df['s'].str.split('-') == 'a'", "~df['s'].str.split('-')",
		"'a' in df['s']", "'a' not in df['s']", "df['s'].str.endswith(['a', 'b'])", "float(df['s']) > 1", "bool(df['n'])", "int(df['x']) > 1", "df['s'].apply(str.upper) == 'A'", "'a-b'.split('-')[0] == 'a'",
	};

	(void) state;
	expect_refused(bad, N(bad), SAGE_SCOPE_ROW, &t_schema);
}

/* Unusual forms that are valid. */
static void
test_unusual_accepted(void **state)
{
	static const char *const good[] = {
		"abs(df['b']) == 1", "round(df['b']) == 1", "round(df['x'], None) > 1",
		"round(1.5) == 2", "round(2) == 2", "round(df['x'], ndigits=1) > 1",
		"np.where(True, df['n'], 0) > 1", "np.where(True, 0, df['n']) > 1",
		"df['s'].str.contains('a', na=np.nan)", "df['s'].str.contains('a', na=None)",
		"df['n'].between(1, 2, inclusive=True)", "df['n'].between(1, 2, inclusive=False)",
		"df['s'].isin(df['e'].to_list())", "df['s'].isin(df['e'].dropna())",
		"df['s'].isin(df['e'].values)", "df['s'].isin(df['e'].array)",
		"df['s'].isin(df['e'].tolist())", "df['s'].isin(df['e'].unique())",
		"pd.to_numeric(df['s'], errors='raise') > 1", "pd.to_numeric(df['s'], errors='ignore') > 1",
		"pd.to_numeric(df['n']) > 1", "pd.to_numeric(df['x']) > 1", "pd.to_numeric(None) > 1",
		"pd.to_datetime(df['d'], format='%Y') > '2024-01-01'",
		"pd.to_datetime(df['s'], dayfirst=False) > '2024-01-01'",
		"pd.to_datetime(df['s'], format=None, errors='raise') > '2024-01-01'",
		"len([1, 2]) == 2", "len('abc') == 3", "len(df['s']) == 3",
		"df['s'] == pd.NA", "df['d'] == pd.NaT", "df['n'].hasnans", "df['n'].is_unique",
		"df['n'].size > 1", "min(1, 2, 3) == 1", "max(1.5, 2) > 1", "min(df['n']) > 1",
		"df['s'] in ['a', 'b']",  
		"df['s'] not in ('a', 'b')", "df['s'] is None", "df['s'] is not None",
		"df['n'] is np.nan", "df.apply(lambda r: r['s'] in ['a'], axis=1)",
		"df.apply(lambda r: r.n > 1, axis='columns')", "df['n'].astype('Int64') > 1",
		"df['s'].str.contains('(', regex=False)", "df['s'].str.replace('(', 'x') == 'a'",
		"df['s'].str.replace('a', 'b', n=-1, case=None) == 'x'",
		"df['s'].str.replace('A', 'b', case=False, regex=True) == 'x'",
		"df['s'].str.startswith(('a', 'b'), na=False)", 
		"df['s'].str.match('a', case=False, na=False)", "df['s'].str.fullmatch('a', flags=0)",
		"df['s'].str.strip(None) == 'a'", "df['s'].str.isnumeric()", "df['s'].str.isdecimal()",
		"df['s'].apply(lambda v: v.isalpha())", "df['s'].apply(lambda v: v.strip('x') == 'a')",
		"df['s'].apply(lambda v: v.replace('a', 'b') == 'b')", "df['d'].apply(lambda v: v.weekday() == 1)",
		"df['d'].apply(lambda v: v.hour == 1)", "str(1) == '1'", "int('1') == 1",
		   "df['b'] == 1",
		"df['n'] == 'a'", "df['d'] != 1", "np.isnan(df['n'])", "np.abs(df['n']) > 1",
		"pd.isnull(1)", "pd.notnull(df['s'])", "df['x'] ** 2 > 1", "2 ** df['n'] > 1",
		"df['n'] // 0 == 1", "df['x'] % 0 == 1", "df['n'] / 2 > 1", "True + True == 2",
		"df['b'] + 1 > 1", "-df['b'].astype(int) < 0", "df['s'] + df['e'] == 'ab'",
		"df['s'].fillna(df['e']) == 'a'", "df['n'].fillna(1.5) > 1", "df['n'].fillna(np.nan) > 1",
		"df['n'].fillna(value=1) > 1", "df['s'].duplicated(keep=False)",
		"df['n'].nunique() > 1", "df['n'].count() > 1", "df['b'].sum() > 1",
		"df['d'].min() < '2024-01-01'", "df['s'].min() == 'a'", "df['x'].mean() > 1",
		"df['b'].mean() > 0.5", "df['n'].apply(abs) > 1", 
		"df['n'].map(lambda v: v > 1)", "(df['n'] > 1).all()", "(df['n'] > 1).any()",
		"df['b'].all() and df['b'].any()", "df['d'].between('2024-01-01', df['d'])",
		"df['s'].between(df['e'], 'z')", "df['x'].between(df['n'], df['x'])",
		"df['s'].str.get(0) == 'a'", "df['s'].str.slice() == 'a'",
		"df['s'].str.slice(None, None, None) == 'a'", "df['s'].str.split(None).str[0] == 'a'",
		"df['s'].str.split('-', None).str[0] == 'a'", "df['s'].str.split('-', regex=None).str[0] == 'a'",
		"df['s'].str.rsplit(pat='-', n=2, expand=False).str.get(0) == 'a'",
		"df['s'].apply(lambda v: v.split(sep=None, maxsplit=None)[0] == 'a')",
		"df['s'].apply(lambda v: v.split('-', 99999999999)[0] == 'a')",
		"(df['d'] - df['d']).dt.days.between(1, 2)", "((df['d'] - df['d']).dt.days > 1).all()",
		"df.apply(lambda r: (r['d'] - r['d']).seconds > 1 if r['b'] else False, axis=1)",
		"df.apply(lambda r: r['s'][0:1] == 'a' and r['s'].split()[0] == 'a', axis=1)",
		 "df['s'].str[0:1].str.len() == 1",
		"df.duplicated(subset=('s',))", "df.duplicated(None, 'last')",
		"df['s'].str.endswith(())", "df['d'].isin(['x'])", "df['n'].astype(int, copy=True) > 1",
	};

	(void) state;
	expect_accepted(good, N(good), SAGE_SCOPE_ROW, &t_schema);
}

/* Package scope: catalogs, parts, and what cannot be combined. */
static void
test_package_errors(void **state)
{
	static const char *const bad[] = {
		"df[1]['c'] == 'a'", "df.clientes", "df", "df['clientes']", "df['nope']['c'] == 1",
		"((df['ventas']['c'] == 'a') & (df['clientes']['v'] > 1)) == True",
		"~((df['ventas']['c'] == 'a') & (df['clientes']['v'] > 1))",
		"((df['ventas']['c'] == 'a') & (df['clientes']['v'] > 1)) | df['ventas']['c'].isna()",
		"((df['ventas']['c'] == 'a') & (df['clientes']['v'] > 1)).all()",
		"df['clientes']['c'] + df['ventas']['c'] == 'a' and df['clientes']['v'] > 1 and 1",
		"df['clientes'][0]", "df['clientes'].apply(lambda r: r['zz'], axis=1)",
		"len(df['clientes']['c'] == df['ventas']['c']) and df['x']",
	};
	static const char *const good[] = {
		"df['ventas']['c'].isin(df['clientes']['c']) and df['ventas']['p'].isin(df['productos']['p'])",
		"len(df) == 3", "len(df['clientes']) > 1 and df['ventas']['c'] == 'a'",
		"df['ventas'].shape[0] > 1", "len(df['ventas'].columns) == 2",
		"df['ventas'].duplicated(subset=['c'])", "df['clientes'].c == 'a'",
		"df['clientes'].apply(lambda r: r['v'] > 1, axis=1)",
		"True and (df['ventas']['c'] == 'a') and (df['clientes']['v'] > 1) and False",
		"(df['ventas']['c'] == 'a') & (df['ventas']['p'] == 'b') & (df['clientes']['v'] > 1)",
		"df['clientes']['c'] == df['ventas']['c']",
	};
	static const char *const bad_catalog[] = {
		"df['s'].str.len() > 1 and len(df.columns) + df",
	};
	SageArena  *arena = sage_arena_new(NULL);
	SageError	err;

	(void) state;
	expect_refused(bad, N(bad), SAGE_SCOPE_PACKAGE, &p_schema);
	expect_accepted(good, N(good), SAGE_SCOPE_PACKAGE, &p_schema);
	expect_refused(bad_catalog, N(bad_catalog), SAGE_SCOPE_CATALOG, &t_schema);
	/* a schema without columns: hints say so; df.duplicated() has nothing to compare */
	assert_null(compile_in(arena, "df['a'] > 1", SAGE_SCOPE_CATALOG, &t_empty_schema, &err));
	assert_string_equal(err.hint, "Columns are: (none).");
	assert_null(compile_in(arena, "df.duplicated()", SAGE_SCOPE_CATALOG, &t_empty_schema, &err));
	assert_int_equal(err.code, SAGE_ERR_RULE);
	/* invalid calls */
	assert_null(compile_in(arena, "True", SAGE_SCOPE_ROW, &p_schema, &err));
	assert_int_equal(err.code, SAGE_ERR_ARGUMENT);
	assert_null(sage_rule_compile(arena, NULL, SAGE_SCOPE_ROW, &t_schema, &err));
	sage_arena_free(arena);
}

/*
 * An arena with room bytes left before the budget is exhausted: its first
 * block is filled up to room bytes from its end and the budget is set to
 * what is already charged, so the next block cannot be allocated.
 */
static SageArena *
arena_with_room(SageBudget *budget, size_t room)
{
	SageArena  *arena;

	memset(budget, 0, sizeof(*budget));
	budget->limit = SIZE_MAX;
	arena = sage_arena_new(budget);
	assert_non_null(arena);
	assert_non_null(sage_alloc(arena, 64 * 1024 - room));
	budget->limit = budget->used;
	return arena;
}

/* Running out of memory anywhere in parse + compile gives SAGE_ERR_MEMORY. */
static void
test_out_of_memory_everywhere(void **state)
{
	static const char *const rules[] = {
		"df['s'].str.match(r'^\\d+$') and df['n'].isin([1, 2, 3]) or not df['b']",
		"(df['d'] - pd.to_datetime(df['s'], format='%d/%m/%Y')).dt.days.abs() <= 30",
		"df['s'].str.split('-').str[0].str[1:3].str.upper() == 'AB'",
		"df.apply(lambda r: r['x'] * 2 > r['n'] if r['b'] else len(r['s'].split()) > 1, axis=1)",
		"df['n'].apply(lambda v: min(v, 10) == max(v, 1, 2))",
		"np.where(df['n'] > 1, df['x'], 0).round(2) != df['x'].fillna(0) ** 2 // 3 % 4",
		"df['s'].str.replace(r'(a)', r'\\1', regex=True).str.strip('x').str.contains('q', na=False)",
		"df.duplicated(subset=['s', 'n'], keep=False) | df['e'].duplicated()",
		"len(df) > 1 and df['n'].sum() > df.shape[0] and len(df.columns) == 6",
		"df['s'] in ['a', 'b'] and 'x' in df['e'] and df['s'] is not None and 1 < df['n'] < 3",
		"df['zz'] > 1", "(df['n'] > 1", "df['s'].str.startswith(('a', 'b')) & df['x'].between(1, 2)",
		"df['d'].dt.year.isin(range(3))", "{1, 2, 3} == 1 or (1, 2) == 1",
	};
	int			ran_out = 0;

	(void) state;
	for (size_t k = 0; k < N(rules); k++)
	{
		bool		done = false;

		for (size_t room = 0; room <= 48 * 1024 && !done; room += 16)
		{
			SageBudget	budget;
			SageArena  *arena = arena_with_room(&budget, room);
			SageError	err;
			SageRule   *rule;

			sage_error_clear(&err);
			rule = sage_rule_compile(arena, rules[k], SAGE_SCOPE_ROW, &t_schema, &err);
			if (rule != NULL || err.code == SAGE_ERR_RULE)
				done = true;	/* enough memory: the rule's own outcome */
			else if (err.code != SAGE_ERR_MEMORY)
				fail_msg("rule \"%s\" with %zu bytes: code %d, message \"%s\"", rules[k], room,
						 (int) err.code, err.message);
			else
				ran_out++;
			sage_arena_free(arena);
		}
		if (!done)
			fail_msg("rule \"%s\" never compiled", rules[k]);
	}
	assert_true(ran_out > 100);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_syntax_errors),
		cmocka_unit_test(test_type_errors),
		cmocka_unit_test(test_unusual_accepted),
		cmocka_unit_test(test_package_errors),
		cmocka_unit_test(test_out_of_memory_everywhere),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
