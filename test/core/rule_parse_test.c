/*-------------------------------------------------------------------------
 *
 * test/core/rule_parse_test.c
 *		Unit tests of the rule language's lexer, parser and type checker:
 *		every refusal with its exact message and hint, positions, depth
 *		limits, row-wise classification and the columns a rule reads.
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

/* The catalog schema most tests compile against. */
static const char *const t_names[] = {"s", "n", "x", "d", "b", "Código"};
static const SageColType t_types[] = {
	SAGE_COL_STRING, SAGE_COL_INT, SAGE_COL_FLOAT, SAGE_COL_DATETIME, SAGE_COL_BOOL,
	SAGE_COL_STRING
};
static const SageRuleSchemaTable t_table = {"m", 6, t_names, t_types};
static const SageRuleSchema t_schema = {1, &t_table};

/* A package schema: three catalogs. */
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

/* Compiles expr in scope; returns the rule or NULL (err filled). */
static SageRule *
compile(SageArena *arena, const char *expr, SageRuleScope scope, SageError *err)
{
	sage_error_clear(err);
	return sage_rule_compile(arena, expr, scope,
							 scope == SAGE_SCOPE_PACKAGE ? &p_schema : &t_schema, err);
}

/* Asserts that expr is refused with exactly message (and hint, if not NULL). */
static void
assert_refused(const char *expr, SageRuleScope scope, const char *message, const char *hint)
{
	SageArena  *arena = sage_arena_new(NULL);
	SageError	err;
	SageRule   *rule = compile(arena, expr, scope, &err);

	if (rule != NULL)
		fail_msg("rule \"%s\" was accepted", expr);
	assert_int_equal(err.code, SAGE_ERR_RULE);
	if (strcmp(err.message, message) != 0)
		fail_msg("rule \"%s\": message \"%s\", expected \"%s\"", expr, err.message, message);
	if (hint != NULL && strcmp(err.hint, hint) != 0)
		fail_msg("rule \"%s\": hint \"%s\", expected \"%s\"", expr, err.hint, hint);
	sage_arena_free(arena);
}

/* Asserts that expr compiles; returns whether it is row-wise. */
static bool
assert_accepted(const char *expr, SageRuleScope scope)
{
	SageArena  *arena = sage_arena_new(NULL);
	SageError	err;
	SageRule   *rule = compile(arena, expr, scope, &err);
	bool		rowwise;

	if (rule == NULL)
		fail_msg("rule \"%s\" refused: %s (%s)", expr, err.message, err.hint);
	rowwise = sage_rule_is_rowwise(rule);
	sage_arena_free(arena);
	return rowwise;
}

/* ------------------------------------------------------ unsafe rules */

static void
test_unsafe_import(void **state)
{
	assert_refused("__import__('os').system('touch /tmp/sage-unsafe-marker')",
				   SAGE_SCOPE_FIELD, "name \"__import__\" is not allowed at position 1",
				   "Names starting with _ are not allowed.");
}

static void
test_unsafe_dunder_attributes(void **state)
{
	assert_refused("df.__class__.__bases__[0].__subclasses__()", SAGE_SCOPE_FIELD,
				   "attribute \"__class__\" is not allowed at position 4",
				   "Names starting with _ are not allowed.");
	assert_refused("df['s']._values", SAGE_SCOPE_FIELD,
				   "attribute \"_values\" is not allowed at position 9",
				   "Names starting with _ are not allowed.");
	assert_refused("df['s'].apply(lambda _x: True)", SAGE_SCOPE_FIELD,
				   "name \"_x\" is not allowed at position 22",
				   "Names starting with _ are not allowed.");
}

static void
test_unsafe_open(void **state)
{
	assert_refused("open('/etc/passwd').read() == ''", SAGE_SCOPE_FIELD,
				   "name \"open\" is not allowed at position 1",
				   "Allowed names are df, pd, np, str, int, float, bool, len, abs, min, max and round.");
}

static void
test_unsafe_other_names(void **state)
{
	const char *hint = "Allowed names are df, pd, np, str, int, float, bool, len, abs, min, max and round.";

	assert_refused("eval('1')", SAGE_SCOPE_ROW, "name \"eval\" is not allowed at position 1", hint);
	assert_refused("exec('x=1')", SAGE_SCOPE_ROW, "name \"exec\" is not allowed at position 1", hint);
	assert_refused("getattr(df, 'x')", SAGE_SCOPE_ROW,
				   "name \"getattr\" is not allowed at position 1", hint);
	assert_refused("globals()", SAGE_SCOPE_ROW, "name \"globals\" is not allowed at position 1", hint);
	assert_refused("df['n'] > os", SAGE_SCOPE_ROW, "name \"os\" is not allowed at position 11", hint);
	assert_refused("pd.read_csv('/etc/passwd')", SAGE_SCOPE_ROW,
				   "attribute \"read_csv\" of pd is not allowed at position 4",
				   "Allowed are pd.to_datetime, pd.to_numeric, pd.isna, pd.notna, pd.isnull and pd.notnull.");
	assert_refused("np.load('x')", SAGE_SCOPE_ROW,
				   "attribute \"load\" of np is not allowed at position 4",
				   "Allowed are np.nan, np.isnan, np.abs and np.where.");
	assert_refused("df.to_csv('/tmp/x')", SAGE_SCOPE_ROW,
				   "column or attribute \"to_csv\" does not exist at position 4",
				   "Columns are: s, n, x, d, b, Código.");
	assert_refused("df['s'].pipe(print)", SAGE_SCOPE_ROW,
				   "method \"pipe\" is not supported at position 9", NULL);
	assert_refused("df['s'].apply(print)", SAGE_SCOPE_ROW,
				   "name \"print\" is not allowed at position 15", hint);
	assert_refused("df['s'].to_csv('/tmp/x')", SAGE_SCOPE_ROW,
				   "method \"to_csv\" is not supported at position 9", NULL);
	assert_refused("import os", SAGE_SCOPE_ROW,
				   "keyword \"import\" is not allowed at position 1",
				   "A rule is a single expression; statements are not allowed.");
	assert_refused("[x for x in df]", SAGE_SCOPE_ROW,
				   "keyword \"for\" is not allowed at position 4", NULL);
	assert_refused("(x := 1)", SAGE_SCOPE_ROW, "operator \":=\" is not supported at position 4", NULL);
	assert_refused("f'{df}'", SAGE_SCOPE_ROW, "f-strings are not supported at position 1", NULL);
	assert_refused("b'x' == df['s']", SAGE_SCOPE_ROW, "bytes literals are not supported at position 1", NULL);
	assert_refused("df['s'].apply(lambda x: x.__class__)", SAGE_SCOPE_ROW,
				   "attribute \"__class__\" is not allowed at position 27", NULL);
}

/* ------------------------------------------------------ syntax errors */

static void
test_syntax_errors(void **state)
{
	assert_refused("df['n'] > )", SAGE_SCOPE_ROW, "unexpected token \")\" at position 11", NULL);
	assert_refused("df['n'] >", SAGE_SCOPE_ROW, "unexpected end of expression at position 10", NULL);
	assert_refused("(df['n'] > 1", SAGE_SCOPE_ROW,
				   "unexpected end of expression, expected \")\" at position 13", NULL);
	assert_refused("df['s'] == 'abc", SAGE_SCOPE_ROW, "unterminated string literal at position 12", NULL);
	assert_refused("df['n'] = 1", SAGE_SCOPE_ROW, "assignment is not allowed at position 9",
				   "Use \"==\" to compare values.");
	assert_refused("", SAGE_SCOPE_ROW, "rule is empty", NULL);
	assert_refused("   ", SAGE_SCOPE_ROW, "rule is empty", NULL);
	assert_refused("df['n'] > 1 df", SAGE_SCOPE_ROW, "unexpected name \"df\" at position 13", NULL);
	assert_refused("df['n'] > 1, 2", SAGE_SCOPE_ROW, "unexpected token \",\" at position 12",
				   "A rule is a single expression.");
	assert_refused("df['n'] > 01", SAGE_SCOPE_ROW,
				   "leading zeros in integer literals are not allowed at position 11", NULL);
	assert_refused("df['n'] > 99999999999999999999", SAGE_SCOPE_ROW,
				   "integer literal out of range at position 11", NULL);
	assert_refused("df['n'] > 1j", SAGE_SCOPE_ROW, "complex numbers are not supported at position 11", NULL);
	assert_refused("df['n'] $ 1", SAGE_SCOPE_ROW, "operator \"$\" is not supported at position 9", NULL);
	assert_refused("df['n'] << 1", SAGE_SCOPE_ROW, "operator \"<<\" is not supported at position 9", NULL);
	assert_refused("df['s'][1:2]", SAGE_SCOPE_ROW, "slices are not supported at position 10", NULL);
	assert_refused("df['s'].apply(lambda: 1)", SAGE_SCOPE_ROW,
				   "a lambda needs exactly one parameter at position 21", NULL);
	assert_refused("df['s'].apply(lambda a, b: 1)", SAGE_SCOPE_ROW,
				   "a lambda needs exactly one parameter at position 23", NULL);
	assert_refused("1 if df['b']", SAGE_SCOPE_ROW,
				   "unexpected end of expression, expected \"else\" at position 13", NULL);
	assert_refused("df['s'] == '\\x4'", SAGE_SCOPE_ROW,
				   "truncated \\x escape in string literal at position 13", NULL);
	assert_refused("df['s'] == '\\0'", SAGE_SCOPE_ROW,
				   "NUL characters are not allowed in string literals at position 13", NULL);
	assert_refused("df['s'].isin({})", SAGE_SCOPE_ROW,
				   "dict literals are not supported at position 14", NULL);
	assert_refused("max(*df['n'])", SAGE_SCOPE_ROW,
				   "unpacking arguments is not supported at position 5", NULL);
	assert_refused("df['s'].str.contains(pat='a', 'b')", SAGE_SCOPE_ROW,
				   "positional argument follows keyword argument at position 31", NULL);
	assert_refused("df['s'].str.contains('a', case=True, case=False)", SAGE_SCOPE_ROW,
				   "keyword argument \"case\" repeated at position 38", NULL);
}

static void
test_positions_count_characters(void **state)
{
	/* "Código" has a two-byte character: positions count characters */
	assert_refused("df['Código'] == 'ñ' and df['zz'] > 1", SAGE_SCOPE_ROW,
				   "column \"zz\" does not exist at position 28", NULL);
	assert_refused("'ñññ' == )", SAGE_SCOPE_ROW, "unexpected token \")\" at position 10", NULL);
}

static void
test_depth_limits(void **state)
{
	char		buf[4096];
	size_t		n = 0;

	/* 150 nested parentheses */
	for (int i = 0; i < 150; i++)
		buf[n++] = '(';
	buf[n++] = '1';
	for (int i = 0; i < 150; i++)
		buf[n++] = ')';
	buf[n] = '\0';
	assert_refused(buf, SAGE_SCOPE_ROW, "expression is nested too deeply at position 101",
				   "A rule may nest at most 100 levels.");

	/* a long left-associative chain is as deep */
	n = 0;
	n += (size_t) snprintf(buf + n, sizeof(buf) - n, "df['n']");
	for (int i = 0; i < 150; i++)
		n += (size_t) snprintf(buf + n, sizeof(buf) - n, "+1");
	n += (size_t) snprintf(buf + n, sizeof(buf) - n, " > 0");
	{
		SageArena  *arena = sage_arena_new(NULL);
		SageError	err;

		assert_null(compile(arena, buf, SAGE_SCOPE_ROW, &err));
		assert_int_equal(err.code, SAGE_ERR_RULE);
		assert_non_null(strstr(err.message, "expression is nested too deeply at position"));
		sage_arena_free(arena);
	}

	/* unary chains */
	n = 0;
	for (int i = 0; i < 300; i++)
		buf[n++] = '-';
	buf[n++] = '1';
	buf[n] = '\0';
	{
		SageArena  *arena = sage_arena_new(NULL);
		SageError	err;

		assert_null(compile(arena, buf, SAGE_SCOPE_ROW, &err));
		assert_non_null(strstr(err.message, "expression is nested too deeply"));
		sage_arena_free(arena);
	}

	/* 60 levels are fine */
	n = 0;
	for (int i = 0; i < 60; i++)
		buf[n++] = '(';
	n += (size_t) snprintf(buf + n, sizeof(buf) - n, "df['n'] > 1");
	for (int i = 0; i < 60; i++)
		buf[n++] = ')';
	buf[n] = '\0';
	assert_true(assert_accepted(buf, SAGE_SCOPE_ROW));
}

static void
test_too_long(void **state)
{
	size_t		len = 70000;
	char	   *buf = malloc(len + 1);

	memset(buf, ' ', len);
	memcpy(buf, "True", 4);
	buf[len] = '\0';
	assert_refused(buf, SAGE_SCOPE_ROW, "rule is too long (70000 bytes)",
				   "A rule may have at most 65536 bytes.");
	free(buf);
}

/* ------------------------------------------------------- type errors */

static void
test_unknown_column_and_catalog(void **state)
{
	assert_refused("df['zz'] > 1", SAGE_SCOPE_ROW, "column \"zz\" does not exist at position 4",
				   "Columns are: s, n, x, d, b, Código.");
	assert_refused("df.zz > 1", SAGE_SCOPE_ROW,
				   "column or attribute \"zz\" does not exist at position 4",
				   "Columns are: s, n, x, d, b, Código.");
	assert_refused("df.apply(lambda row: row['zz'] > 1, axis=1)", SAGE_SCOPE_ROW,
				   "column \"zz\" does not exist at position 26", NULL);
	assert_refused("df['nada']['c'] == 'x'", SAGE_SCOPE_PACKAGE,
				   "catalog \"nada\" does not exist at position 4",
				   "Catalogs of this package are: clientes, ventas, productos.");
	assert_refused("df['ventas']['v'] == 'x'", SAGE_SCOPE_PACKAGE,
				   "column \"v\" does not exist at position 14",
				   "Columns of catalog \"ventas\" are: c, p.");
	assert_refused("df['c'] == 'x'", SAGE_SCOPE_PACKAGE,
				   "catalog \"c\" does not exist at position 4", NULL);
	assert_refused("df.ventas['c'] == 'x'", SAGE_SCOPE_PACKAGE,
				   "catalogs are selected with df['ventas'] in package rules at position 4",
				   "Write df['catalog']['column'].");
	assert_refused("df[0] > 1", SAGE_SCOPE_ROW,
				   "a column must be selected by name at position 4", NULL);
	assert_refused("df[['n', 'x']] > 1", SAGE_SCOPE_ROW,
				   "selecting several columns is not supported at position 4", NULL);
	assert_refused("df[df['n'] > 1]", SAGE_SCOPE_ROW,
				   "filtering rows with df[...] is not supported at position 4", NULL);
}

static void
test_accessor_errors(void **state)
{
	assert_refused("df['n'].str.len() > 2", SAGE_SCOPE_ROW,
				   ".str used on a column of type integer at position 9", "Use .astype(str) first.");
	assert_refused("df['s'].dt.year == 2025", SAGE_SCOPE_ROW,
				   ".dt used on a column of type string at position 9",
				   "Use pd.to_datetime(...) first.");
	assert_refused("df['d'].dt.century == 21", SAGE_SCOPE_ROW,
				   "attribute \"dt.century\" is not supported at position 12", NULL);
	assert_refused("df['s'].str.split(',')", SAGE_SCOPE_ROW,
				   "the parts of split() cannot be used as a value at position 1",
				   "Select one part with .str[0] or .str.get(0), or count them with .str.len().");
	assert_refused("df['s'].str == 'a'", SAGE_SCOPE_ROW,
				   ".str cannot be used as a value at position 1", NULL);
	assert_refused("df['s'].str[df['n']] == 'a'", SAGE_SCOPE_ROW,
				   "a string index must be an integer literal at position 13",
				   "Write an integer literal.");
}

/* Refusals of the date difference, slice, split and duplicated(subset) forms. */
static void
test_extended_form_errors(void **state)
{
	(void) state;
	/* differences of dates */
	assert_refused("df['d'] - df['d'] > 3", SAGE_SCOPE_ROW,
				   "a difference of dates cannot be used as a value at position 1",
				   "Use .dt.days, e.g. (df['b'] - df['a']).dt.days <= 30.");
	assert_refused("(df['d'] - df['d']).days > 3", SAGE_SCOPE_ROW,
				   "attribute \"days\" of a difference of dates is not supported at position 21",
				   "Use .dt.days, e.g. (df['b'] - df['a']).dt.days <= 30.");
	assert_refused("(df['d'] - df['d']).dt.weeks > 3", SAGE_SCOPE_ROW,
				   "attribute \"weeks\" of a difference of dates is not supported at position 24",
				   "Use .dt.days, .dt.seconds, .dt.microseconds or .dt.total_seconds().");
	assert_refused("(df['d'] - df['d']).dt.total_seconds(1) > 3", SAGE_SCOPE_ROW,
				   "total_seconds() takes no arguments at position 38", NULL);
	assert_refused("(df['d'] - df['d']).dt > 3", SAGE_SCOPE_ROW,
				   "a difference of dates cannot be used as a value at position 2", NULL);
	assert_refused("df['d'] + df['d'] > 3", SAGE_SCOPE_ROW,
				   "operator \"+\" cannot be used with datetime and datetime at position 9",
				   "Compare dates directly, subtract two dates and use .dt.days, or use .dt.year and the like.");
	assert_refused("df.apply(lambda r: (r['d'] - r['d']).dt.days > 1, axis=1)", SAGE_SCOPE_ROW,
				   "attribute \"dt\" of a difference of dates is not supported inside a lambda at position 38",
				   "Use .days directly on a difference inside a lambda.");
	assert_refused("df.apply(lambda r: r['d'] - r['d'] > 1, axis=1)", SAGE_SCOPE_ROW,
				   "a difference of dates cannot be used as a value at position 20",
				   "Use .days, e.g. (row['b'] - row['a']).days <= 30.");
	/* slices and indexes */
	assert_refused("df['s'][1:2]", SAGE_SCOPE_ROW, "slices are not supported at position 10",
				   "Slice strings with .str[a:b], or x[a:b] inside a lambda.");
	assert_refused("df['n'].str[0:2] == 'a'", SAGE_SCOPE_ROW,
				   ".str used on a column of type integer at position 9", NULL);
	assert_refused("df['s'].str[0:2:0] == 'a'", SAGE_SCOPE_ROW,
				   "slice step cannot be zero at position 17", NULL);
	assert_refused("df['s'].str[0:'a'] == 'a'", SAGE_SCOPE_ROW,
				   "the end of a slice must be an integer literal at position 15", NULL);
	assert_refused("df['s'].str[1.5] == 'a'", SAGE_SCOPE_ROW,
				   "a string index must be an integer literal at position 13", NULL);
	assert_refused("df['s'].str.slice(0, 2, 0) == 'a'", SAGE_SCOPE_ROW,
				   "slice step cannot be zero at position 25", NULL);
	assert_refused("df['s'].str.slice(start=0, end=2) == 'a'", SAGE_SCOPE_ROW,
				   "keyword argument \"end\" is not supported by str.slice() at position 28",
				   "Keyword arguments of str.slice() are: start, stop, step.");
	assert_refused("df['s'].str.get() == 'a'", SAGE_SCOPE_ROW,
				   "str.get() needs the argument \"i\" at position 16", NULL);
	assert_refused("df['s'][0] == 'a'", SAGE_SCOPE_ROW,
				   "indexing a column is not supported at position 1",
				   "Index the strings with .str[i] or .str[a:b].");
	assert_refused("df['n'].apply(lambda v: v[0] == 1)", SAGE_SCOPE_ROW,
				   "indexing a value of type integer is not supported at position 25", NULL);
	assert_refused("df[0:2]", SAGE_SCOPE_ROW, "slices are not supported at position 5", NULL);
	/* split */
	assert_refused("df['s'].str.split('.-').str[0] == 'a'", SAGE_SCOPE_ROW,
				   "regular expression separators are not supported by split() at position 19",
				   "Add regex=False to split on the text itself.");
	assert_refused("df['s'].str.split('.', regex=True).str[0] == 'a'", SAGE_SCOPE_ROW,
				   "regular expression separators are not supported by split() at position 19", NULL);
	assert_refused("df['s'].str.split('').str[0] == 'a'", SAGE_SCOPE_ROW,
				   "empty separator at position 19", "Omit the separator to split on whitespace.");
	assert_refused("df['s'].str.split('-', expand=True).str[0] == 'a'", SAGE_SCOPE_ROW,
				   "split() with expand=True is not supported at position 31", NULL);
	assert_refused("df['s'].str.rsplit('-', regex=False).str[0] == 'a'", SAGE_SCOPE_ROW,
				   "keyword argument \"regex\" is not supported by str.rsplit() at position 25", NULL);
	assert_refused("df['s'].str.split('-', n='a').str[0] == 'a'", SAGE_SCOPE_ROW,
				   "n must be an integer literal at position 26", NULL);
	assert_refused("df['s'].str.split('-').str[0:2] == 'a'", SAGE_SCOPE_ROW,
				   "slicing the parts of split() is not supported at position 29",
				   "Select one part, e.g. [0] or [-1].");
	assert_refused("df['s'].str.split('-').str.join('+') == 'a'", SAGE_SCOPE_ROW,
				   "method \"str.join\" is not supported on the parts of split() at position 28",
				   "After .str.split(...) use .str[i], .str.get(i) or .str.len().");
	assert_refused("df['s'].str.split('-').str == 'a'", SAGE_SCOPE_ROW,
				   "the parts of split() cannot be used as a value at position 1", NULL);
	assert_refused("df['s'].str.split('-').size == 1", SAGE_SCOPE_ROW,
				   "attribute \"size\" of the parts of split() is not supported at position 24", NULL);
	assert_refused("df['s'].str.split('-')[0] == 'a'", SAGE_SCOPE_ROW,
				   "the parts of .str.split() are selected with .str[i] at position 1",
				   "Write .str.split(...).str[i].");
	assert_refused("len(df['s'].str.split('-')) == 1", SAGE_SCOPE_CATALOG,
				   "len() of .str.split() is not supported at position 5",
				   "Count the parts with .str.split(...).str.len().");
	assert_refused("df['s'].apply(lambda v: v.split('-')) == 'a'", SAGE_SCOPE_ROW,
				   "the parts of split() cannot be used as a value at position 25",
				   "Select one part, e.g. x.split('-')[0], or count them with len(...).");
	assert_refused("df['s'].apply(lambda v: v.split('-').count('a') == 1)", SAGE_SCOPE_ROW,
				   "attribute \"count\" of the parts of split() is not supported at position 38", NULL);
	assert_refused("df['s'].apply(lambda v: v.split(sep='-', n=1)[0] == 'a')", SAGE_SCOPE_ROW,
				   "keyword argument \"n\" is not supported by split() at position 42",
				   "Keyword arguments of split() are: sep, maxsplit.");
	/* duplicated over several columns */
	assert_refused("df.duplicated(subset=['s', 'zz'])", SAGE_SCOPE_CATALOG,
				   "column \"zz\" does not exist at position 28", NULL);
	assert_refused("df.duplicated(subset=[])", SAGE_SCOPE_CATALOG,
				   "duplicated() needs at least one column at position 22", NULL);
	assert_refused("df.duplicated(subset=df['s'])", SAGE_SCOPE_CATALOG,
				   "subset must be a column name or a list of column names at position 22",
				   "Write subset=['a', 'b'].");
	assert_refused("df.duplicated(subset=['s', 1])", SAGE_SCOPE_CATALOG,
				   "subset must be a column name or a list of column names at position 28", NULL);
	assert_refused("df.duplicated(keep='middle')", SAGE_SCOPE_CATALOG,
				   "keep must be 'first', 'last' or False at position 20",
				   "Write keep='first', keep='last' or keep=False.");
	assert_refused("df.duplicated(['s'], 'first', 1)", SAGE_SCOPE_CATALOG,
				   "duplicated() takes at most 2 arguments at position 31", NULL);
	assert_refused("df.duplicated", SAGE_SCOPE_CATALOG,
				   "method \"duplicated\" must be called at position 4", NULL);
	assert_refused("df['ventas'].duplicated(subset=['v'])", SAGE_SCOPE_PACKAGE,
				   "column \"v\" does not exist at position 33",
				   "Columns of catalog \"ventas\" are: c, p.");
}

/* The extended forms compile, with the right row-wise classification. */
static void
test_extended_forms(void **state)
{
	(void) state;
	assert_true(assert_accepted("(df['d'] - df['d']).dt.days <= 30", SAGE_SCOPE_ROW));
	assert_true(assert_accepted("(pd.to_datetime(df['s'], errors='coerce') - df['d']).dt.days.abs() < 5",
								SAGE_SCOPE_ROW));
	assert_true(assert_accepted("abs((df['d'] - pd.to_datetime('2024-01-01')).dt.days) < 5", SAGE_SCOPE_ROW));
	assert_true(assert_accepted("(df['d'] - df['d']).dt.seconds + (df['d'] - df['d']).dt.microseconds == 0",
								SAGE_SCOPE_ROW));
	assert_true(assert_accepted("(df['d'] - df['d']).dt.total_seconds() > 1.5", SAGE_SCOPE_ROW));
	assert_true(assert_accepted("df.apply(lambda r: (r['d'] - r['d']).days < 2, axis=1)", SAGE_SCOPE_ROW));
	assert_true(assert_accepted("df.apply(lambda r: (r['d'] - r['d']).total_seconds() < 2, axis=1)",
								SAGE_SCOPE_ROW));
	assert_true(assert_accepted("df['s'].str[0:3] == 'ABC'", SAGE_SCOPE_ROW));
	assert_true(assert_accepted("df['s'].str[:3] == 'ABC'", SAGE_SCOPE_ROW));
	assert_true(assert_accepted("df['s'].str[-3:] == 'ABC'", SAGE_SCOPE_ROW));
	assert_true(assert_accepted("df['s'].str[::-1] == 'ABC'", SAGE_SCOPE_ROW));
	assert_true(assert_accepted("df['s'].str[None:None:None] == 'ABC'", SAGE_SCOPE_ROW));
	assert_true(assert_accepted("df['s'].str[0] == 'A'", SAGE_SCOPE_ROW));
	assert_true(assert_accepted("df['s'].str.get(-1) == 'A'", SAGE_SCOPE_ROW));
	assert_true(assert_accepted("df['s'].str.slice(1, step=2) == 'A'", SAGE_SCOPE_ROW));
	assert_true(assert_accepted("df['s'].apply(lambda v: v[0:2] == 'AB' and v[-1] == 'C')", SAGE_SCOPE_ROW));
	assert_true(assert_accepted("'abc'[1:] == 'bc'", SAGE_SCOPE_ROW));
	assert_true(assert_accepted("df['s'].str.split('-').str[0] == 'a'", SAGE_SCOPE_ROW));
	assert_true(assert_accepted("df['s'].str.split('-', n=1).str.get(-1) == 'a'", SAGE_SCOPE_ROW));
	assert_true(assert_accepted("df['s'].str.split().str.len() == 2", SAGE_SCOPE_ROW));
	assert_true(assert_accepted("df['s'].str.split(pat=None, n=None, expand=False).str.len() == 2",
								SAGE_SCOPE_ROW));
	assert_true(assert_accepted("df['s'].str.split('--').str.len() == 2", SAGE_SCOPE_ROW));
	assert_true(assert_accepted("df['s'].str.split('.').str.len() == 2", SAGE_SCOPE_ROW));
	assert_true(assert_accepted("df['s'].str.split('.-', regex=False).str.len() == 2", SAGE_SCOPE_ROW));
	assert_true(assert_accepted("df['s'].str.rsplit('-', 1).str[0] == 'a'", SAGE_SCOPE_ROW));
	assert_true(assert_accepted("df['s'].apply(lambda v: v.split('-')[1] == 'b')", SAGE_SCOPE_ROW));
	assert_true(assert_accepted("df['s'].apply(lambda v: len(v.rsplit(None, 1)) == 2)", SAGE_SCOPE_ROW));
	assert_false(assert_accepted("df.duplicated(subset=['s', 'n'])", SAGE_SCOPE_CATALOG));
	assert_false(assert_accepted("~df.duplicated(['s'], keep=False)", SAGE_SCOPE_CATALOG));
	assert_false(assert_accepted("df.duplicated(subset='s', keep='last')", SAGE_SCOPE_CATALOG));
	assert_false(assert_accepted("df.duplicated()", SAGE_SCOPE_CATALOG));
	assert_false(assert_accepted("df['ventas'].duplicated(subset=('c', 'p'))", SAGE_SCOPE_PACKAGE));
}

static void
test_argument_errors(void **state)
{
	assert_refused("df['n'].between(1, 5, foo=1)", SAGE_SCOPE_ROW,
				   "keyword argument \"foo\" is not supported by between() at position 23",
				   "Keyword arguments of between() are: left, right, inclusive.");
	assert_refused("df['n'].sum(skipna=False) > 1", SAGE_SCOPE_CATALOG,
				   "keyword argument \"skipna\" is not supported by sum() at position 13",
				   "sum() takes no keyword arguments.");
	assert_refused("df['n'].between(1)", SAGE_SCOPE_ROW,
				   "between() needs the argument \"right\" at position 16", NULL);
	assert_refused("df['n'].between(1, 2, 'both', 4)", SAGE_SCOPE_ROW,
				   "between() takes at most 3 arguments at position 31", NULL);
	assert_refused("df['n'].between(1, 2, inclusive='sometimes')", SAGE_SCOPE_ROW,
				   "inclusive must be 'both', 'neither', 'left' or 'right' at position 33", NULL);
	assert_refused("df['n'].astype('complex') > 1", SAGE_SCOPE_ROW,
				   "astype() type is not supported at position 16",
				   "Use float, int, str, bool, 'float64', 'int64', 'str', 'string' or 'datetime64[ns]'.");
	assert_refused("df['n'].duplicated(keep=True)", SAGE_SCOPE_CATALOG,
				   "keep must be 'first', 'last' or False at position 25", NULL);
	assert_refused("pd.to_datetime(df['s'], errors='maybe') > '2020-01-01'", SAGE_SCOPE_ROW,
				   "errors must be 'coerce', 'raise' or 'ignore' at position 32", NULL);
	assert_refused("df['s'].str.match(df['s'])", SAGE_SCOPE_ROW,
				   "a regular expression must be a string literal at position 19",
				   "Write the pattern as a string literal, e.g. r'^\\d+$'.");
	assert_refused("df['s'].str.contains('a', flags=2)", SAGE_SCOPE_ROW,
				   "regular expression flags are not supported at position 33", NULL);
	assert_refused("df['s'].str.replace('a', 'b', case=False)", SAGE_SCOPE_ROW,
				   "case=False needs regex=True at position 36", "Add regex=True.");
	assert_refused("df['n'].isin(5)", SAGE_SCOPE_ROW,
				   "isin() needs a list or a column at position 14", NULL);
	assert_refused("df['n'].isin([df['n']])", SAGE_SCOPE_ROW,
				   "list items must be literals at position 15", NULL);
	assert_refused("df.apply(lambda row: row['n'] > 1)", SAGE_SCOPE_ROW,
				   "df.apply() needs axis=1 at position 9", NULL);
	assert_refused("df['n'].apply(5)", SAGE_SCOPE_ROW, "apply() needs a lambda at position 15", NULL);
	assert_refused("df['n'].apply(lambda x: df['n'] > x)", SAGE_SCOPE_ROW,
				   "a whole column cannot be combined with a lambda element at position 25", NULL);
	assert_refused("df['n'].apply(lambda x: df['s'].apply(lambda y: y == x))", SAGE_SCOPE_ROW,
				   "nested lambdas are not supported at position 39", NULL);
	assert_refused("str(df['n']) == '1'", SAGE_SCOPE_ROW,
				   "str() cannot convert a whole column at position 4",
				   "Use .astype(str) on a column.");
	assert_refused("len(5) > 1", SAGE_SCOPE_CATALOG,
				   "len() needs a string, a column or a table, not integer at position 5", NULL);
	assert_refused("df['n'].round(2.5) > 1", SAGE_SCOPE_ROW,
				   "decimals must be an integer literal at position 15", NULL);
}

static void
test_operator_errors(void **state)
{
	assert_refused("df['n'] > 'a'", SAGE_SCOPE_ROW,
				   "cannot compare integer with string using \">\" at position 9",
				   "Convert one side first, e.g. with .astype(float) or .astype(str).");
	assert_refused("df['d'] > 5", SAGE_SCOPE_ROW,
				   "cannot compare datetime with integer using \">\" at position 9",
				   "Convert with pd.to_datetime(...) first.");
	assert_refused("df['d'] > 'yesterday'", SAGE_SCOPE_ROW,
				   "cannot compare a datetime with \"yesterday\" at position 11", NULL);
	assert_refused("df['n'] > 0 & df['x'] < 5", SAGE_SCOPE_ROW,
				   "operator \"&\" needs boolean operands, not integer at position 11",
				   "\"&\" and \"|\" bind more tightly than comparisons: write (a > 1) & (b < 2).");
	assert_refused("df['s'] + 1", SAGE_SCOPE_ROW,
				   "operator \"+\" cannot be used with string and integer at position 9",
				   "Convert strings with .astype(float) or pd.to_numeric(...) first.");
	assert_refused("~df['n']", SAGE_SCOPE_ROW,
				   "operator \"~\" needs a boolean operand, not integer at position 1", NULL);
	assert_refused("not df['s']", SAGE_SCOPE_ROW,
				   "operator \"not\" needs a boolean operand, not string at position 1", NULL);
	assert_refused("-df['b']", SAGE_SCOPE_ROW, "unary \"-\" needs a number, not boolean at position 1",
				   "Use ~ to negate booleans.");
	assert_refused("df['n'] is 5", SAGE_SCOPE_ROW, "\"is\" can only compare with None at position 9",
				   NULL);
	assert_refused("df['n'] in df['n']", SAGE_SCOPE_ROW,
				   "the in operator on a column tests its index, not its values at position 9",
				   "Use df['a'].isin(df['b']).");
	assert_refused("df['n'] + [1, 2]", SAGE_SCOPE_ROW,
				   "a list cannot be used with + at position 11", NULL);
	assert_refused("df", SAGE_SCOPE_ROW, "a table cannot be used as a value at position 1",
				   "Select a column with df['column'].");
	assert_refused("df['n'].sum", SAGE_SCOPE_CATALOG, "method \"sum\" must be called at position 9",
				   "Add parentheses to call it.");
	assert_refused("lambda x: x", SAGE_SCOPE_ROW, "a lambda cannot be used here at position 1", NULL);
	assert_refused("df['s'].sum() == ''", SAGE_SCOPE_CATALOG,
				   "sum() needs numbers, not string at position 12",
				   "Convert with .astype(float) first.");
	assert_refused("df['n'].fillna('x') == 'x'", SAGE_SCOPE_ROW,
				   "fillna() mixes integer and string values at position 15", NULL);
	assert_refused("np.isnan(df['s'])", SAGE_SCOPE_ROW,
				   "np.isnan() needs numbers, not string at position 10",
				   "Use pd.isna(...) for values that are not numbers.");
	assert_refused("df['d'].astype(float) > 1", SAGE_SCOPE_ROW,
				   "cannot convert a datetime to float at position 15", NULL);
	assert_refused("(df['b'] & df['n'] > 1) | 1", SAGE_SCOPE_ROW,
				   "operator \"&\" needs boolean operands, not integer at position 12", NULL);
	assert_refused("df.shape[2] > 1", SAGE_SCOPE_CATALOG,
				   "shape index must be 0 or 1 at position 10", NULL);
	assert_refused("df['n'].sum() > 1 | df['n'] > 1", SAGE_SCOPE_CATALOG,
				   "operator \"|\" needs boolean operands, not integer at position 17", NULL);
}

static void
test_regex_refusals(void **state)
{
	assert_refused("df['s'].str.match('(')", SAGE_SCOPE_ROW,
				   "invalid regular expression: missing closing parenthesis at offset 1 of the pattern at position 19",
				   "Patterns use the syntax of Python's re module.");
	assert_refused("df['s'].str.match(r'\\p{L}+')", SAGE_SCOPE_ROW,
				   "invalid regular expression: bad escape \\p at position 19", NULL);
	assert_refused("df['s'].str.match(r'a\\Kb')", SAGE_SCOPE_ROW,
				   "invalid regular expression: bad escape \\K at position 19", NULL);
	assert_refused("df['s'].str.match(r'(?|a|b)')", SAGE_SCOPE_ROW,
				   "invalid regular expression: unknown extension ?| at position 19", NULL);
	assert_refused("df['s'].str.match(r'(a)(?1)')", SAGE_SCOPE_ROW,
				   "invalid regular expression: unknown extension ?1 at position 19", NULL);
	assert_refused("df['s'].str.match(r'a(?i)b')", SAGE_SCOPE_ROW,
				   "invalid regular expression: global flags not at the start of the expression at position 19",
				   NULL);
	assert_refused("df['s'].str.match(r'(?a)\\w')", SAGE_SCOPE_ROW,
				   "invalid regular expression: the regular expression flag \"a\" is not supported at position 19",
				   NULL);
	assert_refused("df['s'].str.match('[a-')", SAGE_SCOPE_ROW,
				   "invalid regular expression: unterminated character set at position 19", NULL);
	assert_refused("df['s'].str.replace(r'(a)', r'\\q', regex=True)", SAGE_SCOPE_ROW,
				   "invalid replacement: bad escape \\q in the replacement at position 29", NULL);
}

/* --------------------------------------------------------- accepted */

static void
test_accepted_forms(void **state)
{
	static const char *const rowwise[] = {
		"df['s'] == 'a'", "df[\"s\"] == 'a'", "df.s == 'a'", "df.n > 1",
		"df['x'].astype(float).between(0, 100)",
		"df['n'].astype(int) > 0", "df['n'].astype(str) == '1'", "df['s'].astype(bool)",
		"df['s'].astype('float64') > 0", "df['s'].astype('int64') > 0",
		"df['n'].astype('str') == '1'", "df['n'].astype('string') == '1'",
		"df['s'].astype('datetime64[ns]') > '2020-01-01'",
		"df['n'].isin([1, 2, 3])", "df['n'].isin((1, 2))", "df['n'].isin({1, 2})",
		"df['n'].between(1, 5, inclusive='neither')", "df['n'].between(1, 5, inclusive='left')",
		"df['n'].between(1, 5, inclusive='right')", "df['n'].between(1, 5, inclusive='both')",
		"df['n'].notnull()", "df['n'].notna()", "~df['n'].isnull()", "~df['n'].isna()",
		"df['n'].fillna(0) > 1", "df['x'].abs() < 5", "df['x'].round(2) == 1.5",
		"df['s'].str.match(r'^\\d+$')", "df['s'].str.fullmatch('[a-z]+')",
		"df['s'].str.contains('a', case=False, na=False, regex=False)",
		"df['s'].str.startswith('a')", "df['s'].str.endswith(('a', 'b'), na=False)",
		"df['s'].str.len() > 1", "df['s'].str.strip() != ''", "df['s'].str.lower() == 'a'",
		"df['s'].str.upper() == 'A'", "df['s'].str.replace('a', 'b') == 'b'",
		"df['s'].str.replace(r'(\\d)', r'<\\1>', regex=True) == 'b'",
		"df['d'].dt.year == 2025", "df['d'].dt.month == 1", "df['d'].dt.day == 1",
		"df['d'].dt.dayofweek < 5",
		"pd.to_datetime(df['s'], format='%d/%m/%Y', errors='coerce') > df['d']",
		"pd.to_numeric(df['s'], errors='coerce') > 1",
		"pd.isna(df['n'])", "pd.notna(df['n'])", "pd.isnull(df['n'])", "pd.notnull(df['n'])",
		"np.isnan(df['x'])", "np.abs(df['x']) < 1", "np.where(df['b'], df['n'], 0) > 1",
		"df['x'] != np.nan", "abs(df['x']) > 1", "round(df['x'], 1) > 1",
		"df['n'] + 1 - 2 * 3 / 4 // 5 % 6 ** 2 > -df['x']",
		"df['b'] & df['b'] | ~df['b'] ^ df['b']",
		"df['b'] and df['n'] > 1 or not df['b']",
		"df['s'].apply(lambda v: len(v) <= 5)",
		"df['s'].apply(lambda v: v.startswith('a') if len(v) > 1 else False)",
		"df.apply(lambda row: row['n'] * 2 > row['x'], axis=1)",
		"df.apply(lambda row: row.n > 1, axis='columns')",
		"df['n'].apply(lambda x: min(x, 5) == max(x, 0))",
		"df['n'].apply(lambda x: str(x) == '1' and int(x) == 1 and float(x) == 1.0)",
		"df['n'].apply(lambda x: bool(x))", "df['s'].apply(len) > 1",
		"df['s'].apply(lambda x: x in ['a', 'b'])", "df['s'].apply(lambda x: 'a' in x)",
		"df['s'].apply(lambda x: x is not None)", "0 < df['n'] < 10",
		"df['s'].str.isdigit()", "True", "1 == 1",
		"df['s'].apply(lambda x: x.strip().lower() == 'a')",
		"df['d'].apply(lambda x: x.year == 2025)",
		NULL
	};
	static const char *const whole[] = {
		"df['n'].sum() < 100", "df['n'].min() > 0", "df['n'].max() < 9", "df['x'].mean() > 1",
		"df['n'].count() > 1", "df['s'].nunique() > 1", "df['b'].all()", "df['b'].any()",
		"df['s'].is_unique", "len(df) >= 10", "len(df.columns) == 6", "df.shape[0] > 1",
		"df.shape[1] == 6", "~df['s'].duplicated()", "~df['s'].duplicated(keep='last')",
		"~df['s'].duplicated(keep=False)", "df['n'].isin(df['n'])", "df['n'].size > 1",
		"len(df['n']) > 1", "df['n'].shape[0] > 1", "(df['n'] > 0).all()",
		"df['n'] > df['n'].mean()", "df['n'].isin(df['x'].unique())",
		"df['s'].isin(df['Código'].tolist())", "df['x'].max() == max(df['x'])",
		NULL
	};

	for (int k = 0; rowwise[k] != NULL; k++)
	{
		if (!assert_accepted(rowwise[k], SAGE_SCOPE_ROW))
			fail_msg("rule \"%s\" should be row-wise", rowwise[k]);
	}
	for (int k = 0; whole[k] != NULL; k++)
		if (assert_accepted(whole[k], SAGE_SCOPE_CATALOG))
			fail_msg("rule \"%s\" should not be row-wise", whole[k]);
}

static void
test_package_forms(void **state)
{
	/* the realworld five-way join */
	assert_false(assert_accepted("df['ventas']['c'].isin(df['clientes']['c']) and df['ventas']['p'].isin(df['productos']['p'])",
								 SAGE_SCOPE_PACKAGE));
	assert_false(assert_accepted("df['ventas']['c'].isin(df['clientes']['c']) & (df['clientes']['v'] > 0)",
								 SAGE_SCOPE_PACKAGE));
	assert_accepted("len(df['ventas']) > 0", SAGE_SCOPE_PACKAGE);
	assert_accepted("len(df) == 3", SAGE_SCOPE_PACKAGE);
	assert_refused("df['ventas']['c'].isin(df['clientes']['c']) & (df['clientes']['v'] > 0) | True",
				   SAGE_SCOPE_PACKAGE,
				   "operator \"|\" cannot combine conditions over several catalogs at position 73",
				   "Join conditions over several catalogs with and/&.");
	assert_refused("~(df['ventas']['c'].isin(df['clientes']['c']) & (df['clientes']['v'] > 0))",
				   SAGE_SCOPE_PACKAGE,
				   "operator \"~\" cannot negate a condition over several catalogs at position 1", NULL);
	assert_refused("df['ventas'] == 1", SAGE_SCOPE_PACKAGE,
				   "a table cannot be used as a value at position 1", NULL);
	assert_refused("df == 1", SAGE_SCOPE_PACKAGE,
				   "df cannot be used as a value in a package rule at position 1", NULL);
}

static void
test_reads(void **state)
{
	SageArena  *arena = sage_arena_new(NULL);
	SageError	err;
	SageRule   *r;

	r = compile(arena, "df['x'] > 1 and df.apply(lambda row: row['d'].year > 1, axis=1)",
				SAGE_SCOPE_ROW, &err);
	assert_non_null(r);
	assert_false(sage_rule_reads_column(r, 0, 0));
	assert_false(sage_rule_reads_column(r, 0, 1));
	assert_true(sage_rule_reads_column(r, 0, 2));
	assert_true(sage_rule_reads_column(r, 0, 3));
	assert_false(sage_rule_reads_column(r, 0, 6));
	assert_false(sage_rule_reads_column(r, 1, 0));
	assert_false(sage_rule_reads_column(r, 0, -1));
	assert_false(sage_rule_reads_table(r, 0));
	assert_true(sage_rule_is_rowwise(r));

	r = compile(arena, "len(df) > 1", SAGE_SCOPE_CATALOG, &err);
	assert_non_null(r);
	assert_true(sage_rule_reads_table(r, 0));
	assert_false(sage_rule_reads_column(r, 0, 0));
	assert_false(sage_rule_is_rowwise(r));

	r = compile(arena, "df['ventas']['p'].isin(df['productos']['p'])", SAGE_SCOPE_PACKAGE, &err);
	assert_non_null(r);
	assert_false(sage_rule_reads_column(r, 0, 0));
	assert_true(sage_rule_reads_column(r, 1, 1));
	assert_true(sage_rule_reads_column(r, 2, 0));
	assert_false(sage_rule_reads_column(r, 3, 0));
	assert_false(sage_rule_is_rowwise(r));

	/* invalid schemas */
	{
		SageRuleSchema none = {0, NULL};

		sage_error_clear(&err);
		assert_null(sage_rule_compile(arena, "True", SAGE_SCOPE_ROW, &none, &err));
		assert_int_equal(err.code, SAGE_ERR_ARGUMENT);
		assert_string_equal(err.message, "invalid rule schema");
		assert_null(sage_rule_compile(arena, "True", SAGE_SCOPE_ROW, &p_schema, &err));
	}
	sage_arena_free(arena);
}

static void
test_realworld_rules(void **state)
{
	/* rules from test/data/realworld, against schemas of their fields */
	static const char *const names[] = {"CodigoCliente", "Estatus", "CodigoProducto"};
	static const SageColType types[] = {SAGE_COL_STRING, SAGE_COL_STRING, SAGE_COL_INT};
	static const SageRuleSchemaTable tab = {"x", 3, names, types};
	static const SageRuleSchema schema = {1, &tab};
	static const char *const rules[] = {
		"df['CodigoCliente'].str.match('^\\\\S+$')",
		"df['Estatus'].isin(['A','I','T'])",
		"df['CodigoProducto'].astype(str).str.match(r'^-?\\d+$')",
		"df['CodigoProducto'].astype(str).str.match(r'^-?\\d+(\\.\\d+)?$')",
		"len(df.columns) == 24",
		NULL
	};
	SageArena  *arena = sage_arena_new(NULL);

	for (int k = 0; rules[k] != NULL; k++)
	{
		SageError	err;

		sage_error_clear(&err);
		if (sage_rule_compile(arena, rules[k], SAGE_SCOPE_FIELD, &schema, &err) == NULL)
			fail_msg("realworld rule \"%s\" refused: %s", rules[k], err.message);
	}
	sage_arena_free(arena);
}

static void
test_memory_limit(void **state)
{
	/* compiling under a tiny budget fails cleanly with SAGE_ERR_MEMORY */
	for (size_t limit = 1024; limit < 512 * 1024; limit *= 2)
	{
		SageBudget	budget = {limit, 0, 0};
		SageArena  *arena = sage_arena_new(&budget);
		SageError	err;
		SageRule   *r;

		if (arena == NULL)
			continue;
		sage_error_clear(&err);
		r = sage_rule_compile(arena, "df['s'].str.match(r'^\\d+$') and df['n'].isin([1,2,3])",
							  SAGE_SCOPE_ROW, &t_schema, &err);
		if (r == NULL)
			assert_int_equal(err.code, SAGE_ERR_MEMORY);
		sage_arena_free(arena);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unsafe_import),
		cmocka_unit_test(test_unsafe_dunder_attributes),
		cmocka_unit_test(test_unsafe_open),
		cmocka_unit_test(test_unsafe_other_names),
		cmocka_unit_test(test_syntax_errors),
		cmocka_unit_test(test_positions_count_characters),
		cmocka_unit_test(test_depth_limits),
		cmocka_unit_test(test_too_long),
		cmocka_unit_test(test_unknown_column_and_catalog),
		cmocka_unit_test(test_accessor_errors),
		cmocka_unit_test(test_argument_errors),
		cmocka_unit_test(test_operator_errors),
		cmocka_unit_test(test_regex_refusals),
		cmocka_unit_test(test_accepted_forms),
		cmocka_unit_test(test_extended_form_errors),
		cmocka_unit_test(test_extended_forms),
		cmocka_unit_test(test_package_forms),
		cmocka_unit_test(test_reads),
		cmocka_unit_test(test_realworld_rules),
		cmocka_unit_test(test_memory_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
