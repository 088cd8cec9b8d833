/*-------------------------------------------------------------------------
 *
 * src/core/rule_compile.c
 *		Type checker and compiler of the rule language: turns the syntax
 *		tree into a tree of typed operations (RuleOp) over the columns of
 *		the schema, refusing everything outside the subset of PROCESSOR.md
 *		section 5 with the construct, its position and a hint.
 *
 * Safety: there is no interpreter behind this. A name resolves only to
 * df, pd, np, the builtins str int float bool len abs min max round, or
 * the parameter of the lambda being compiled; attributes resolve only to
 * the methods listed here; anything else is refused. Names and attributes
 * starting with "_" are refused first, with their own hint.
 *
 * Static typing: every value has a shape (scalar, column of a given table,
 * literal list, or the per-catalog parts of a package rule) and an element
 * type (boolean, integer, float, string, datetime, None). Implicit
 * conversions pandas performs (int with float, bool in arithmetic) are
 * made explicit here by inserting OP_CAST, so the evaluator's kernels see
 * operands of one type.
 *
 * Lambdas: `col.apply(lambda x: body)` binds x to the column itself and
 * compiles body with Python scalar semantics ("elements": len(x) is the
 * string's length, x.upper() is str.upper); since every operation is
 * elementwise, evaluating body over the whole column gives the same
 * result as calling it once per element. `df.apply(lambda row: ...,
 * axis=1)` binds row so that row['col'] is the element of that column.
 *
 *-------------------------------------------------------------------------
 */
#include "rule_internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* What an expression denotes while being checked. */
typedef enum CKind
{
	CK_VALUE = 0,				/* a value: op */
	CK_DF,						/* df of a catalog rule: table 0 */
	CK_DFMAP,					/* df of a package rule: catalogs by key */
	CK_TABLE,					/* df['cat'] in a package rule */
	CK_ROW,						/* the parameter of df.apply(lambda row: ...) */
	CK_PD,						/* the pd module */
	CK_NP,						/* the np module */
	CK_BUILTIN,					/* str int float bool len abs min max round */
	CK_FUNC,					/* pd.xxx or np.xxx */
	CK_STRACC,					/* column.str */
	CK_DTACC,					/* column.dt */
	CK_METHOD,					/* receiver.name, not called yet */
	CK_COLUMNS,					/* df.columns */
	CK_SHAPE,					/* df.shape / column.shape */
	CK_LAMBDA,					/* a lambda (only as an argument) */
	CK_TDELTA,					/* datetime - datetime: op gives microseconds */
	CK_TDACC,					/* (a - b).dt: op gives microseconds */
	CK_SPLIT,					/* x.str.split(...) / x.split(...): op is the OP_SPLIT */
	CK_SPLITACC					/* x.str.split(...).str: op is the OP_SPLIT */
} CKind;

/* Result of checking an expression. */
typedef struct CVal
{
	CKind		kind;
	RuleOp	   *op;				/* VALUE; receiver of STRACC/DTACC/METHOD/SHAPE */
	int			table;			/* DF/TABLE/ROW/COLUMNS/SHAPE */
	const char *name;			/* BUILTIN/FUNC/METHOD name */
	CKind		recv;			/* METHOD: kind of the receiver */
	bool		elem;			/* VALUE: a lambda element (Python scalar rules) */
	size_t		off;			/* where it starts */
	size_t		name_off;		/* METHOD: offset of the method name */
	const RuleAst *ast;			/* LAMBDA */
} CVal;

/* Compiler state. */
typedef struct RuleCompiler
{
	SageArena  *arena;			/* everything compiled lives here */
	const char *text;			/* the expression */
	SageError  *err;			/* refusals */
	const SageRuleSchema *schema;	/* tables and columns */
	SageRuleScope scope;		/* field/row/catalog/package */
	SageRule   *rule;			/* being built */
	int			nops;			/* ops created */
	/* the lambda being compiled */
	const char *lname;			/* its parameter, or NULL */
	int			lkind;			/* 1 element of a column, 2 row */
	RuleOp	   *lop;			/* 1: the column the element comes from */
	int			ltable;			/* 2: the table of the row */
} RuleCompiler;

static int	cc_expr(RuleCompiler *C, const RuleAst *n, CVal *out);
static int	cc_name(RuleCompiler *C, const RuleAst *n, CVal *out);

static const char *const cc_allowed_names =
"df, pd, np, str, int, float, bool, len, abs, min, max and round";

/* ------------------------------------------------------------- helpers */

/* Readable name of a type for messages. */
static const char *
cc_type_name(RuleType t)
{
	switch (t)
	{
		case RT_NONE:
			return "None";
		case RT_BOOL:
			return "boolean";
		case RT_INT:
			return "integer";
		case RT_FLOAT:
			return "float";
		case RT_STR:
			return "string";
		case RT_DT:
			return "datetime";
	}
	return "?";
}

static bool
cc_numeric(RuleType t)
{
	return t == RT_INT || t == RT_FLOAT || t == RT_BOOL;
}

/* Error at byte offset off with a hint (hint may be NULL). */
static int
cc_fail(RuleCompiler *C, size_t off, const char *hint, const char *fmt,...)
	__attribute__((format(printf, 4, 5)));

static int
cc_fail(RuleCompiler *C, size_t off, const char *hint, const char *fmt,...)
{
	char		msg[400];
	va_list		ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	sage_rule_error_at(C->err, C->text, off, "%s", msg);
	if (hint != NULL)
		sage_error_hint(C->err, "%s", hint);
	return -1;
}

static int
cc_oom(RuleCompiler *C)
{
	return sage_error_memory(C->err, NULL);
}

/* A new operation. */
static RuleOp *
cc_op(RuleCompiler *C, RuleOpKind kind, size_t off, RuleShape shape, RuleType type,
	  int table)
{
	RuleOp	   *op = sage_alloc0(C->arena, sizeof(RuleOp));

	if (op == NULL)
	{
		cc_oom(C);
		return NULL;
	}
	op->kind = kind;
	op->off = off;
	op->shape = shape;
	op->type = type;
	op->table = shape == RS_SCALAR ? -1 : table;
	op->id = C->nops++;
	return op;
}

/* A constant operation. */
static RuleOp *
cc_const_op(RuleCompiler *C, size_t off, const RuleScalar *v)
{
	RuleOp	   *op = cc_op(C, OP_CONST, off, RS_SCALAR, v->type, -1);

	if (op != NULL)
		op->lit = *v;
	return op;
}

/* Marks a construct that needs the whole table. */
static void
cc_not_rowwise(RuleCompiler *C)
{
	C->rule->rowwise = false;
}

/* Comma-separated list of the column names of table t (for hints). */
static const char *
cc_column_list(RuleCompiler *C, int t)
{
	const SageRuleSchemaTable *tab = &C->schema->tables[t];
	size_t		cap = 64;
	char	   *s;
	size_t		n = 0;

	for (int i = 0; i < tab->ncols; i++)
		cap += strlen(tab->names[i]) + 2;
	s = sage_alloc(C->arena, cap);
	if (s == NULL)
		return "";
	s[0] = '\0';
	for (int i = 0; i < tab->ncols && n + 80 < 400; i++)
		n += (size_t) snprintf(s + n, cap - n, "%s%s", i ? ", " : "", tab->names[i]);
	if (tab->ncols == 0)
		snprintf(s, cap, "(none)");
	return s;
}

/* Looks up a column by name in table t; -1 when absent. */
static int
cc_find_column(RuleCompiler *C, int t, const char *name)
{
	const SageRuleSchemaTable *tab = &C->schema->tables[t];

	for (int i = 0; i < tab->ncols; i++)
		if (strcmp(tab->names[i], name) == 0)
			return i;
	return -1;
}

/* The column op for table t, column name (error at off when unknown). */
static int
cc_column(RuleCompiler *C, int t, const char *name, size_t off, CVal *out)
{
	int			c = cc_find_column(C, t, name);
	RuleOp	   *op;
	char		hint[512];

	if (c < 0)
	{
		const char *key = C->schema->tables[t].key;

		if (C->scope == SAGE_SCOPE_PACKAGE && key != NULL)
			snprintf(hint, sizeof(hint), "Columns of catalog \"%s\" are: %s.", key,
					 cc_column_list(C, t));
		else
			snprintf(hint, sizeof(hint), "Columns are: %s.", cc_column_list(C, t));
		return cc_fail(C, off, hint, "column \"%s\" does not exist", name);
	}
	switch (C->schema->tables[t].types[c])
	{
		case SAGE_COL_STRING:
			op = cc_op(C, OP_COLUMN, off, RS_COLUMN, RT_STR, t);
			break;
		case SAGE_COL_INT:
			op = cc_op(C, OP_COLUMN, off, RS_COLUMN, RT_INT, t);
			break;
		case SAGE_COL_FLOAT:
			op = cc_op(C, OP_COLUMN, off, RS_COLUMN, RT_FLOAT, t);
			break;
		case SAGE_COL_DATETIME:
			op = cc_op(C, OP_COLUMN, off, RS_COLUMN, RT_DT, t);
			break;
		case SAGE_COL_BOOL:
			op = cc_op(C, OP_COLUMN, off, RS_COLUMN, RT_BOOL, t);
			break;
		default:
			return cc_fail(C, off, NULL, "column \"%s\" has an unknown type", name);
	}
	if (op == NULL)
		return -1;
	op->col = c;
	C->rule->reads[t][c] = 1;
	memset(out, 0, sizeof(*out));
	out->kind = CK_VALUE;
	out->op = op;
	out->off = off;
	return 0;
}

/* A value result. */
static void
cc_value(CVal *out, RuleOp *op, bool elem, size_t off)
{
	memset(out, 0, sizeof(*out));
	out->kind = CK_VALUE;
	out->op = op;
	out->elem = elem;
	out->off = off;
}

/*
 * cc_need_value
 *		Checks n and requires a value (not df, pd, a method...).
 */
static int
cc_need_value(RuleCompiler *C, const RuleAst *n, CVal *v)
{
	if (cc_expr(C, n, v) < 0)
		return -1;
	switch (v->kind)
	{
		case CK_VALUE:
			return 0;
		case CK_DF:
		case CK_TABLE:
			return cc_fail(C, n->off, "Select a column with df['column'].",
						   "a table cannot be used as a value");
		case CK_DFMAP:
			return cc_fail(C, n->off, "Select a catalog and a column with df['catalog']['column'].",
						   "df cannot be used as a value in a package rule");
		case CK_ROW:
			return cc_fail(C, n->off, "Select a column with row['column'].",
						   "a row cannot be used as a value");
		case CK_PD:
		case CK_NP:
		case CK_BUILTIN:
		case CK_FUNC:
			return cc_fail(C, n->off, "Call it with arguments.",
						   "function \"%s\" cannot be used as a value",
						   v->name ? v->name : (v->kind == CK_PD ? "pd" : "np"));
		case CK_METHOD:
			return cc_fail(C, v->name_off, "Add parentheses to call it.",
						   "method \"%s\" must be called", v->name);
		case CK_STRACC:
			return cc_fail(C, n->off, "Call a string method such as .str.match(...).",
						   ".str cannot be used as a value");
		case CK_DTACC:
			return cc_fail(C, n->off, "Use an attribute such as .dt.year.",
						   ".dt cannot be used as a value");
		case CK_COLUMNS:
			return cc_fail(C, n->off, "Use len(df.columns).",
						   "df.columns can only be used with len()");
		case CK_SHAPE:
			return cc_fail(C, n->off, "Use shape[0] or shape[1].",
						   "shape must be indexed");
		case CK_LAMBDA:
			return cc_fail(C, n->off, "Use a lambda only as the argument of apply().",
						   "a lambda cannot be used here");
		case CK_TDELTA:
		case CK_TDACC:
			return cc_fail(C, sage_rule_ast_start(n), v->elem ? "Use .days, e.g. (row['b'] - row['a']).days <= 30." :
						   "Use .dt.days, e.g. (df['b'] - df['a']).dt.days <= 30.",
						   "a difference of dates cannot be used as a value");
		case CK_SPLIT:
		case CK_SPLITACC:
			return cc_fail(C, sage_rule_ast_start(n), v->elem ? "Select one part, e.g. x.split('-')[0], or count them with len(...)." :
						   "Select one part with .str[0] or .str.get(0), or count them with .str.len().",
						   "the parts of split() cannot be used as a value");
	}
	return -1;
}

/* Requires a scalar or a column (not a list or multi-catalog parts). */
static int
cc_need_plain(RuleCompiler *C, const CVal *v, const char *what)
{
	if (v->op->shape == RS_LIST)
		return cc_fail(C, v->off, "Use a list with .isin(...) or the in operator.",
					   "a list cannot be used with %s", what);
	if (v->op->shape == RS_PARTS)
		return cc_fail(C, v->off, "Conditions over several catalogs can only be joined with and/&.",
					   "a condition over several catalogs cannot be used with %s", what);
	return 0;
}

/*
 * cc_shape2
 *		Shape of an elementwise result of a and b; a column of another
 *		table than the other operand makes the rule need whole tables (the
 *		lengths are checked at run time). Refuses mixing lambda elements
 *		with whole columns.
 */
static int
cc_shape2(RuleCompiler *C, const CVal *a, const CVal *b, RuleShape *shape, int *table)
{
	const RuleOp *x = a->op;
	const RuleOp *y = b->op;

	if ((a->elem && y->shape == RS_COLUMN && !b->elem) ||
		(b->elem && x->shape == RS_COLUMN && !a->elem))
		return cc_fail(C, (a->elem ? b : a)->off,
					   "Use row['column'] with df.apply(lambda row: ..., axis=1), or an aggregate such as df['column'].max().",
					   "a whole column cannot be combined with a lambda element");
	if (x->shape == RS_COLUMN)
	{
		*shape = RS_COLUMN;
		*table = x->table;
		if (y->shape == RS_COLUMN && y->table != x->table)
			cc_not_rowwise(C);
	}
	else if (y->shape == RS_COLUMN)
	{
		*shape = RS_COLUMN;
		*table = y->table;
	}
	else
	{
		*shape = RS_SCALAR;
		*table = -1;
	}
	return 0;
}

/*
 * cc_cast
 *		Conversion of v to type to (astype semantics unless kind says
 *		otherwise). Identity when the type already matches. Refuses the
 *		conversions pandas refuses.
 */
static RuleOp *
cc_cast(RuleCompiler *C, RuleOp *v, RuleType to, RuleCastKind kind, const char *fmt,
		size_t off)
{
	RuleOp	   *op;

	if (v->type == to && fmt == NULL)
		return v;
	if (v->type == RT_DT && (to == RT_FLOAT || to == RT_BOOL))
	{
		cc_fail(C, off, "Compare dates with dates, or use .dt.year and the like.",
				"cannot convert a datetime to %s", cc_type_name(to));
		return NULL;
	}
	if (v->type == RT_BOOL && to == RT_DT)
	{
		cc_fail(C, off, NULL, "cannot convert a boolean to datetime");
		return NULL;
	}
	op = cc_op(C, OP_CAST, off, v->shape, to, v->table);
	if (op == NULL)
		return NULL;
	op->a = v;
	op->sub = kind;
	op->fmt = fmt;
	return op;
}

/* Common type of a and b for where/fillna/min/max; false when none. */
static bool
cc_unify(RuleType a, RuleType b, RuleType *out)
{
	if (a == b)
		*out = a;
	else if (a == RT_NONE)
		*out = b;
	else if (b == RT_NONE)
		*out = a;
	else if (cc_numeric(a) && cc_numeric(b))
		*out = (a == RT_FLOAT || b == RT_FLOAT) ? RT_FLOAT : RT_INT;
	else
		return false;
	return true;
}

/*
 * cc_literal
 *		Value of a literal syntax node (numbers, strings, True/False/None,
 *		negated numbers, np.nan); false when n is not a literal.
 */
static bool
cc_literal(const RuleAst *n, RuleScalar *out)
{
	memset(out, 0, sizeof(*out));
	switch (n->kind)
	{
		case AST_INT:
			out->type = RT_INT;
			out->valid = true;
			out->i = n->ival;
			return true;
		case AST_FLOAT:
			out->type = RT_FLOAT;
			out->valid = !isnan(n->fval);
			out->f = n->fval;
			return true;
		case AST_STR:
			out->type = RT_STR;
			out->valid = true;
			out->s = n->str;
			out->len = (uint32_t) n->len;
			return true;
		case AST_BOOL:
			out->type = RT_BOOL;
			out->valid = true;
			out->b = n->ival != 0;
			return true;
		case AST_NONE:
			out->type = RT_NONE;
			out->valid = false;
			return true;
		case AST_UNARY:
			if ((n->op == OPT_MINUS || n->op == OPT_PLUS) &&
				(n->a->kind == AST_INT || n->a->kind == AST_FLOAT))
			{
				cc_literal(n->a, out);
				if (n->op == OPT_MINUS)
				{
					out->i = (int64_t) (0 - (uint64_t) out->i);
					out->f = -out->f;
				}
				return true;
			}
			return false;
		case AST_ATTR:
			if (n->a->kind == AST_NAME && strcmp(n->a->str, "np") == 0 &&
				(strcmp(n->str, "nan") == 0 || strcmp(n->str, "NaN") == 0))
			{
				out->type = RT_FLOAT;
				out->valid = false;
				out->f = NAN;
				return true;
			}
			return false;
		default:
			return false;
	}
}

/* A string literal argument (regex patterns, formats...). */
static int
cc_need_string(RuleCompiler *C, const RuleAst *n, const char *what, const char **s,
			   size_t *len)
{
	if (n->kind != AST_STR)
		return cc_fail(C, n->off, "Write the value as a string literal, e.g. 'abc'.",
					   "%s must be a string literal", what);
	*s = n->str;
	*len = n->len;
	return 0;
}

/* A True/False literal argument. */
static int
cc_need_bool(RuleCompiler *C, const RuleAst *n, const char *what, bool *b)
{
	if (n->kind != AST_BOOL)
		return cc_fail(C, n->off, "Write True or False.", "%s must be True or False", what);
	*b = n->ival != 0;
	return 0;
}

/* An integer literal argument (possibly negative). */
static int
cc_need_int(RuleCompiler *C, const RuleAst *n, const char *what, int64_t *v)
{
	RuleScalar	sc;

	if (!cc_literal(n, &sc) || sc.type != RT_INT)
		return cc_fail(C, n->off, "Write an integer literal.", "%s must be an integer literal", what);
	*v = sc.i;
	return 0;
}

/*
 * cc_bind
 *		Matches the arguments of call against params (positional order);
 *		the first nreq are required. Unknown keywords, extra positional
 *		arguments and duplicates are refused. out[k] is NULL when absent.
 */
static int
cc_bind(RuleCompiler *C, const RuleAst *call, const char *fname,
		const char *const *params, int nparams, int nreq, const RuleAst **out)
{
	for (int k = 0; k < nparams; k++)
		out[k] = NULL;
	if (call->nitems > nparams)
	{
		if (nparams == 0)
			return cc_fail(C, call->items[0]->off, NULL, "%s() takes no arguments", fname);
		return cc_fail(C, call->items[nparams]->off, NULL,
					   "%s() takes at most %d argument%s", fname, nparams,
					   nparams == 1 ? "" : "s");
	}
	for (int k = 0; k < call->nitems; k++)
		out[k] = call->items[k];
	for (int j = 0; j < call->nkw; j++)
	{
		int			k;

		for (k = 0; k < nparams; k++)
			if (strcmp(params[k], call->kwnames[j]) == 0)
				break;
		if (k == nparams)
		{
			char		hint[256];
			size_t		n = 0;

			if (nparams == 0)
				snprintf(hint, sizeof(hint), "%s() takes no keyword arguments.", fname);
			else
			{
				n += (size_t) snprintf(hint, sizeof(hint), "Keyword arguments of %s() are: ", fname);
				for (int q = 0; q < nparams && n < sizeof(hint); q++)
					n += (size_t) snprintf(hint + n, sizeof(hint) - n, "%s%s", q ? ", " : "",
										   params[q]);
				if (n < sizeof(hint))
					snprintf(hint + n, sizeof(hint) - n, ".");
			}
			return cc_fail(C, call->kwoffs[j], hint,
						   "keyword argument \"%s\" is not supported by %s()",
						   call->kwnames[j], fname);
		}
		if (out[k] != NULL)
			return cc_fail(C, call->kwoffs[j], NULL,
						   "%s() got several values for argument \"%s\"", fname, params[k]);
		out[k] = call->kwvals[j];
	}
	for (int k = 0; k < nreq; k++)
		if (out[k] == NULL)
			return cc_fail(C, call->off, NULL, "%s() needs the argument \"%s\"", fname,
						   params[k]);
	return 0;
}

/* ------------------------------------------------------ comparisons */

/*
 * cc_compare_types
 *		Prepares a and b of a comparison: numbers are compared as numbers
 *		(INT with INT, else FLOAT), strings with strings, datetimes with
 *		datetimes (a string literal compared with a datetime is parsed now,
 *		as pandas does). *mismatch is set when the types cannot be compared
 *		(== is then False and != True everywhere; ordering is refused).
 */
static int
cc_compare_types(RuleCompiler *C, RuleOp **a, RuleOp **b, int op, size_t off, bool *mismatch)
{
	RuleType	ta = (*a)->type;
	RuleType	tb = (*b)->type;
	bool		ordering = op != OPT_EQ && op != OPT_NE;

	*mismatch = false;
	if (cc_numeric(ta) && cc_numeric(tb))
	{
		RuleType	t = (ta == RT_FLOAT || tb == RT_FLOAT) ? RT_FLOAT : RT_INT;

		*a = cc_cast(C, *a, t, CAST_ASTYPE, NULL, off);
		*b = *a ? cc_cast(C, *b, t, CAST_ASTYPE, NULL, off) : NULL;
		return (*a && *b) ? 0 : -1;
	}
	if (ta == tb && ta != RT_NONE)
		return 0;
	if ((ta == RT_DT && tb == RT_STR && (*b)->kind == OP_CONST) ||
		(tb == RT_DT && ta == RT_STR && (*a)->kind == OP_CONST))
	{
		RuleOp	  **sp = ta == RT_STR ? a : b;
		RuleScalar	v = (*sp)->lit;
		SageTimestamp ts;

		if (!sage_parse_fecha(v.s, v.len, &ts))
			return cc_fail(C, (*sp)->off, "Write dates as 'YYYY-MM-DD' or 'YYYY-MM-DD HH:MM:SS'.",
						   "cannot compare a datetime with \"%s\"", v.s);
		v.type = RT_DT;
		v.i = ts;
		*sp = cc_const_op(C, (*sp)->off, &v);
		return *sp ? 0 : -1;
	}
	if (ordering)
	{
		char		hint[160];

		if ((ta == RT_STR && cc_numeric(tb)) || (tb == RT_STR && cc_numeric(ta)))
			snprintf(hint, sizeof(hint), "Convert one side first, e.g. with .astype(float) or .astype(str).");
		else if (ta == RT_DT || tb == RT_DT)
			snprintf(hint, sizeof(hint), "Convert with pd.to_datetime(...) first.");
		else
			snprintf(hint, sizeof(hint), "Compare values of the same type.");
		return cc_fail(C, off, hint, "cannot compare %s with %s using \"%s\"",
					   cc_type_name(ta), cc_type_name(tb), sage_rule_tok_spelling(op));
	}
	*mismatch = true;
	return 0;
}

/* A comparison op a <op> b of checked values. */
static int
cc_comparison(RuleCompiler *C, CVal *a, CVal *b, int op, size_t off, CVal *out)
{
	RuleOp	   *x = a->op;
	RuleOp	   *y = b->op;
	RuleOp	   *r;
	RuleShape	shape;
	int			table;
	bool		mismatch;

	if (cc_need_plain(C, a, "a comparison") < 0 || cc_need_plain(C, b, "a comparison") < 0)
		return -1;
	if (cc_shape2(C, a, b, &shape, &table) < 0)
		return -1;
	if (cc_compare_types(C, &x, &y, op, off, &mismatch) < 0)
		return -1;
	r = cc_op(C, OP_CMP, off, shape, RT_BOOL, table);
	if (r == NULL)
		return -1;
	r->sub = op;
	r->a = x;
	r->b = y;
	r->ival = mismatch ? 1 : 0;
	cc_value(out, r, a->elem || b->elem, a->off);
	return 0;
}

/* ------------------------------------------------------- boolean logic */

/* Requires a boolean operand for and/or/not/&/|/~. */
static int
cc_need_bool_value(RuleCompiler *C, const CVal *v, const char *opname)
{
	if (v->op->shape == RS_PARTS)
		return 0;
	if (cc_need_plain(C, v, opname) < 0)
		return -1;
	if (v->op->type != RT_BOOL)
		return cc_fail(C, v->off,
					   "\"&\" and \"|\" bind more tightly than comparisons: write (a > 1) & (b < 2).",
					   "operator \"%s\" needs boolean operands, not %s", opname,
					   cc_type_name(v->op->type));
	return 0;
}

/* Most conjuncts a condition over several catalogs may have. */
#define CC_MAX_CONJUNCTS 256

/*
 * cc_conjuncts
 *		Splits an and-tree into its scalar and column conjuncts (scalars
 *		once each: they were folded into every part before). False when
 *		there are more than CC_MAX_CONJUNCTS.
 */
static bool
cc_conjuncts(RuleOp *op, RuleOp **conj, int *nconj, RuleOp **scalars, int *nscalars)
{
	if (op->shape == RS_SCALAR)
	{
		for (int k = 0; k < *nscalars; k++)
			if (scalars[k] == op)
				return true;
		if (*nscalars >= CC_MAX_CONJUNCTS)
			return false;
		scalars[(*nscalars)++] = op;
		return true;
	}
	if (op->kind == OP_AND && op->a != NULL && op->b != NULL &&
		(op->a->shape == RS_SCALAR || op->b->shape == RS_SCALAR))
		return cc_conjuncts(op->a, conj, nconj, scalars, nscalars) &&
			cc_conjuncts(op->b, conj, nconj, scalars, nscalars);
	if (*nconj >= CC_MAX_CONJUNCTS)
		return false;
	conj[(*nconj)++] = op;
	return true;
}

/* Appends part p (a boolean column) to the parts array of r, merging per table. */
static int
cc_parts_add(RuleCompiler *C, RuleOp *r, RuleOp *p, size_t off)
{
	for (int k = 0; k < r->nitems; k++)
	{
		if (r->items[k]->table == p->table)
		{
			RuleOp	   *m = cc_op(C, OP_AND, off, RS_COLUMN, RT_BOOL, p->table);

			if (m == NULL)
				return -1;
			m->a = r->items[k];
			m->b = p;
			r->items[k] = m;
			return 0;
		}
	}
	{
		RuleOp	  **ni = sage_realloc(C->arena, r->items, sizeof(RuleOp *) * (size_t) r->nitems,
									  sizeof(RuleOp *) * (size_t) (r->nitems + 1));

		if (ni == NULL)
			return cc_oom(C);
		r->items = ni;
		r->items[r->nitems++] = p;
	}
	return 0;
}

/*
 * cc_logic
 *		a and/&/or/|/^ b. Between boolean columns of different catalogs,
 *		and/& keep one part per catalog (every part must hold); scalars are
 *		folded into every part.
 */
static int
cc_logic(RuleCompiler *C, CVal *a, CVal *b, int op, size_t off, CVal *out)
{
	const char *opname = sage_rule_tok_spelling(op);
	RuleOpKind	kind = (op == OPT_AMP || op == KW_AND) ? OP_AND :
		((op == OPT_PIPE || op == KW_OR) ? OP_OR : OP_XOR);
	RuleShape	shape;
	int			table;
	RuleOp	   *r;

	if (cc_need_bool_value(C, a, opname) < 0 || cc_need_bool_value(C, b, opname) < 0)
		return -1;
	if (a->op->shape == RS_PARTS || b->op->shape == RS_PARTS ||
		(kind == OP_AND && a->op->shape == RS_COLUMN && b->op->shape == RS_COLUMN &&
		 a->op->table != b->op->table))
	{
		RuleOp	   *parts[2] = {a->op, b->op};
		RuleOp	   *conj[CC_MAX_CONJUNCTS];
		int			nconj = 0;
		RuleOp	   *scalars[CC_MAX_CONJUNCTS];
		int			nscalars = 0;
		bool		fits = true;

		if (kind != OP_AND)
			return cc_fail(C, off, "Join conditions over several catalogs with and/&.",
						   "operator \"%s\" cannot combine conditions over several catalogs",
						   opname);

		r = cc_op(C, OP_PARTS, off, RS_PARTS, RT_BOOL, -1);
		if (r == NULL)
			return -1;
		cc_not_rowwise(C);

		/*
		 * Every conjunct must hold: scalar conjuncts (len(df['x']) > 0)
		 * apply to every part, even those joined before them.
		 */
		for (int k = 0; k < 2; k++)
		{
			if (parts[k]->shape == RS_PARTS)
				for (int j = 0; j < parts[k]->nitems; j++)
					fits = fits && cc_conjuncts(parts[k]->items[j], conj, &nconj, scalars, &nscalars);
			else
				fits = fits && cc_conjuncts(parts[k], conj, &nconj, scalars, &nscalars);
		}
		if (!fits)
			return cc_fail(C, off, NULL, "condition over several catalogs has more than %d parts",
						   CC_MAX_CONJUNCTS);
		for (int k = 0; k < nconj; k++)
			if (cc_parts_add(C, r, conj[k], off) < 0)
				return -1;
		for (int k = 0; k < nscalars; k++)
		{
			for (int j = 0; j < r->nitems; j++)
			{
				RuleOp	   *m = cc_op(C, OP_AND, off, RS_COLUMN, RT_BOOL, r->items[j]->table);

				if (m == NULL)
					return -1;
				m->a = r->items[j];
				m->b = scalars[k];
				r->items[j] = m;
			}
		}
		cc_value(out, r, false, a->off);
		return 0;
	}
	if (cc_shape2(C, a, b, &shape, &table) < 0)
		return -1;
	r = cc_op(C, kind, off, shape, RT_BOOL, table);
	if (r == NULL)
		return -1;
	r->a = a->op;
	r->b = b->op;
	cc_value(out, r, a->elem || b->elem, a->off);
	return 0;
}

/* ~a / not a */
static int
cc_not(RuleCompiler *C, CVal *a, int op, size_t off, CVal *out)
{
	RuleOp	   *r;

	if (a->op->shape == RS_PARTS)
		return cc_fail(C, off, NULL, "operator \"%s\" cannot negate a condition over several catalogs",
					   sage_rule_tok_spelling(op));
	if (cc_need_plain(C, a, sage_rule_tok_spelling(op)) < 0)
		return -1;
	if (a->op->type != RT_BOOL)
		return cc_fail(C, off, op == OPT_TILDE ? "Use ~ on boolean values, e.g. ~(df['a'] > 1)." :
					   "Use not on boolean values, e.g. not (x > 1).",
					   "operator \"%s\" needs a boolean operand, not %s",
					   sage_rule_tok_spelling(op), cc_type_name(a->op->type));
	r = cc_op(C, OP_NOT, off, a->op->shape, RT_BOOL, a->op->table);
	if (r == NULL)
		return -1;
	r->a = a->op;
	cc_value(out, r, a->elem, off);
	return 0;
}

/* ------------------------------------------------------ arithmetic */

static int
cc_arith(RuleCompiler *C, CVal *a, CVal *b, int op, size_t off, CVal *out)
{
	RuleOp	   *x = a->op;
	RuleOp	   *y = b->op;
	RuleType	ta,
				tb,
				t;
	RuleShape	shape;
	int			table;
	RuleOp	   *r;
	const char *opname = sage_rule_tok_spelling(op);

	if (cc_need_plain(C, a, opname) < 0 || cc_need_plain(C, b, opname) < 0)
		return -1;
	if (cc_shape2(C, a, b, &shape, &table) < 0)
		return -1;
	ta = x->type;
	tb = y->type;
	if (ta == RT_STR && tb == RT_STR && op == OPT_PLUS)
		t = RT_STR;
	else if (ta == RT_DT && tb == RT_DT && op == OPT_MINUS)
	{
		/*
		 * A difference of dates: the microseconds between them, only usable
		 * through .dt.days and the like (cc_td_attr).
		 */
		r = cc_op(C, OP_ARITH, off, shape, RT_INT, table);
		if (r == NULL)
			return -1;
		r->sub = op;
		r->a = x;
		r->b = y;
		cc_value(out, r, a->elem || b->elem, a->off);
		out->kind = CK_TDELTA;
		return 0;
	}
	else if (cc_numeric(ta) && cc_numeric(tb))
	{
		t = (ta == RT_FLOAT || tb == RT_FLOAT || op == OPT_SLASH) ? RT_FLOAT : RT_INT;
		x = cc_cast(C, x, t, CAST_ASTYPE, NULL, off);
		y = x ? cc_cast(C, y, t, CAST_ASTYPE, NULL, off) : NULL;
		if (x == NULL || y == NULL)
			return -1;
	}
	else if ((ta == RT_NONE || tb == RT_NONE) &&
			 (cc_numeric(ta) || cc_numeric(tb) || ta == tb))
		return cc_fail(C, off, "Use np.nan for a missing number.",
					   "operator \"%s\" cannot be used with None", opname);
	else
	{
		const char *hint = (ta == RT_STR || tb == RT_STR) ?
			"Convert strings with .astype(float) or pd.to_numeric(...) first." :
			(ta == RT_DT || tb == RT_DT) ?
			"Compare dates directly, subtract two dates and use .dt.days, or use .dt.year and the like." : NULL;

		return cc_fail(C, off, hint, "operator \"%s\" cannot be used with %s and %s", opname,
					   cc_type_name(ta), cc_type_name(tb));
	}
	r = cc_op(C, OP_ARITH, off, shape, t, table);
	if (r == NULL)
		return -1;
	r->sub = op;
	r->a = x;
	r->b = y;
	cc_value(out, r, a->elem || b->elem, a->off);
	return 0;
}

/* Unary minus / plus. */
static int
cc_neg(RuleCompiler *C, CVal *a, int op, size_t off, CVal *out)
{
	RuleOp	   *x = a->op;
	RuleOp	   *r;

	if (cc_need_plain(C, a, sage_rule_tok_spelling(op)) < 0)
		return -1;
	if (x->type != RT_INT && x->type != RT_FLOAT)
		return cc_fail(C, off, x->type == RT_BOOL ? "Use ~ to negate booleans." : NULL,
					   "unary \"%s\" needs a number, not %s", sage_rule_tok_spelling(op),
					   cc_type_name(x->type));
	if (op == OPT_PLUS)
	{
		*out = *a;
		return 0;
	}
	r = cc_op(C, OP_NEG, off, x->shape, x->type, x->table);
	if (r == NULL)
		return -1;
	r->a = x;
	cc_value(out, r, a->elem, off);
	return 0;
}

/* A single-operand elementwise op of the same shape (abs, isna...). */
static RuleOp *
cc_unary_op(RuleCompiler *C, RuleOpKind kind, RuleOp *a, RuleType type, size_t off)
{
	RuleOp	   *r = cc_op(C, kind, off, a->shape, type, a->table);

	if (r != NULL)
		r->a = a;
	return r;
}

/* abs(x) / np.abs(x) / x.abs() */
static int
cc_abs(RuleCompiler *C, CVal *a, size_t off, CVal *out)
{
	RuleOp	   *x = a->op;
	RuleOp	   *r;

	if (cc_need_plain(C, a, "abs()") < 0)
		return -1;
	if (x->type == RT_BOOL)
		x = cc_cast(C, x, RT_INT, CAST_ASTYPE, NULL, off);
	else if (x->type != RT_INT && x->type != RT_FLOAT)
		return cc_fail(C, off, NULL, "abs() needs a number, not %s", cc_type_name(x->type));
	if (x == NULL || (r = cc_unary_op(C, OP_ABS, x, x->type, off)) == NULL)
		return -1;
	cc_value(out, r, a->elem, off);
	return 0;
}

/* round(x, nd) / x.round(nd); to_int: Python round(x) without digits gives an int. */
static int
cc_round(RuleCompiler *C, CVal *a, int64_t nd, bool to_int, size_t off, CVal *out)
{
	RuleOp	   *x = a->op;
	RuleOp	   *r;

	if (cc_need_plain(C, a, "round()") < 0)
		return -1;
	if (x->type == RT_BOOL)
		x = cc_cast(C, x, RT_INT, CAST_ASTYPE, NULL, off);
	else if (x->type != RT_INT && x->type != RT_FLOAT)
		return cc_fail(C, off, NULL, "round() needs a number, not %s", cc_type_name(x->type));
	if (nd < -20 || nd > 20)
		return cc_fail(C, off, NULL, "round() digits must be between -20 and 20");
	if (x == NULL || (r = cc_unary_op(C, OP_ROUND, x, x->type, off)) == NULL)
		return -1;
	r->ival = (int) nd;
	if (to_int && (r = cc_cast(C, r, RT_INT, CAST_ASTYPE, NULL, off)) == NULL)
		return -1;
	cc_value(out, r, a->elem, off);
	return 0;
}

/* An integer operation x <op> k on microseconds (parts of a date difference). */
static RuleOp *
cc_td_arith(RuleCompiler *C, RuleOp *x, int op, int64_t k, size_t off)
{
	RuleScalar	v;
	RuleOp	   *r;

	if (x == NULL)
		return NULL;
	memset(&v, 0, sizeof(v));
	v.type = RT_INT;
	v.valid = true;
	v.i = k;
	r = cc_op(C, OP_ARITH, off, x->shape, RT_INT, x->table);
	if (r == NULL)
		return NULL;
	r->sub = op;
	r->a = x;
	r->b = cc_const_op(C, off, &v);
	return r->b ? r : NULL;
}

/*
 * cc_td_field
 *		A component of a difference of dates td (microseconds), with the
 *		meaning of pandas' Timedelta: days floored (-1 hour is -1 day),
 *		seconds 0..86399 and microseconds 0..999999 within that day, and
 *		total_seconds() as a float. -1 with an error for other names.
 */
static int
cc_td_field(RuleCompiler *C, const CVal *td, const char *name, size_t off, CVal *out)
{
	static const int64_t day = INT64_C(86400000000);
	RuleOp	   *r;

	if (strcmp(name, "days") == 0)
		r = cc_td_arith(C, td->op, OPT_DSLASH, day, off);
	else if (strcmp(name, "seconds") == 0)
		r = cc_td_arith(C, cc_td_arith(C, td->op, OPT_PERCENT, day, off), OPT_DSLASH,
						1000000, off);
	else if (strcmp(name, "microseconds") == 0)
		r = cc_td_arith(C, td->op, OPT_PERCENT, 1000000, off);
	else if (strcmp(name, "total_seconds") == 0)
	{
		RuleScalar	v;
		RuleOp	   *f = cc_cast(C, td->op, RT_FLOAT, CAST_ASTYPE, NULL, off);

		if (f == NULL)
			return -1;
		memset(&v, 0, sizeof(v));
		v.type = RT_FLOAT;
		v.valid = true;
		v.f = 1e6;
		r = cc_op(C, OP_ARITH, off, f->shape, RT_FLOAT, f->table);
		if (r == NULL)
			return -1;
		r->sub = OPT_SLASH;
		r->a = f;
		r->b = cc_const_op(C, off, &v);
		if (r->b == NULL)
			return -1;
	}
	else
		return cc_fail(C, off, td->elem ? "Use .days, .seconds, .microseconds or .total_seconds()." :
					   "Use .dt.days, .dt.seconds, .dt.microseconds or .dt.total_seconds().",
					   "attribute \"%s\" of a difference of dates is not supported", name);
	if (r == NULL)
		return -1;
	cc_value(out, r, td->elem, td->off);
	return 0;
}

/*
 * cc_td_attr
 *		An attribute of a difference of dates: (a - b).dt on columns, then
 *		.days & co; directly .days & co on lambda elements (Timedelta).
 *		total_seconds stays a method to be called.
 */
static int
cc_td_attr(RuleCompiler *C, const CVal *obj, const char *name, size_t noff, CVal *out)
{
	if (obj->kind == CK_TDELTA && !obj->elem)
	{
		if (strcmp(name, "dt") != 0)
			return cc_fail(C, noff, "Use .dt.days, e.g. (df['b'] - df['a']).dt.days <= 30.",
						   "attribute \"%s\" of a difference of dates is not supported", name);
		*out = *obj;
		out->kind = CK_TDACC;
		return 0;
	}
	if (strcmp(name, "total_seconds") == 0)
	{
		*out = *obj;
		out->kind = CK_METHOD;
		out->recv = obj->kind;
		out->name = name;
		out->name_off = noff;
		return 0;
	}
	if (strcmp(name, "dt") == 0 && obj->kind == CK_TDELTA)
		return cc_fail(C, noff, "Use .days directly on a difference inside a lambda.",
					   "attribute \"dt\" of a difference of dates is not supported inside a lambda");
	return cc_td_field(C, obj, name, noff, out);
}

/* isna family: sub 0 isna, 1 notna. */
static int
cc_isna(RuleCompiler *C, CVal *a, bool notna, size_t off, CVal *out)
{
	RuleOp	   *r;

	if (cc_need_plain(C, a, "isna()") < 0)
		return -1;
	r = cc_unary_op(C, OP_ISNA, a->op, RT_BOOL, off);
	if (r == NULL)
		return -1;
	r->sub = notna ? 1 : 0;
	cc_value(out, r, a->elem, off);
	return 0;
}

/* Two operands unified to one type (fillna, where, min/max). */
static int
cc_unify_ops(RuleCompiler *C, RuleOp **a, RuleOp **b, const char *what, size_t off,
			 RuleType *t)
{
	if (!cc_unify((*a)->type, (*b)->type, t))
		return cc_fail(C, off, "Convert one side with .astype(...) first.",
					   "%s mixes %s and %s values", what, cc_type_name((*a)->type),
					   cc_type_name((*b)->type));
	if (*t == RT_NONE)
		*t = RT_FLOAT;
	*a = cc_cast(C, *a, *t, CAST_ASTYPE, NULL, off);
	*b = *a ? cc_cast(C, *b, *t, CAST_ASTYPE, NULL, off) : NULL;
	return (*a && *b) ? 0 : -1;
}

/* cond ? a : b, elementwise (np.where and a if cond else b). */
static int
cc_where(RuleCompiler *C, CVal *cond, CVal *a, CVal *b, size_t off, CVal *out)
{
	RuleOp	   *x = a->op;
	RuleOp	   *y = b->op;
	RuleOp	   *r;
	RuleShape	shape;
	int			table;
	RuleType	t;

	if (cc_need_plain(C, cond, "a condition") < 0 || cc_need_plain(C, a, "a condition") < 0 ||
		cc_need_plain(C, b, "a condition") < 0)
		return -1;
	if (cond->op->type != RT_BOOL)
		return cc_fail(C, cond->off, "Write a comparison, e.g. x > 0.",
					   "the condition must be a boolean, not %s", cc_type_name(cond->op->type));
	if (cc_unify_ops(C, &x, &y, "the conditional", off, &t) < 0)
		return -1;
	/* the first column among cond, a, b gives the rows */
	if (cc_shape2(C, a, b, &shape, &table) < 0 || cc_shape2(C, cond, a, &shape, &table) < 0 ||
		cc_shape2(C, cond, b, &shape, &table) < 0)
		return -1;
	if (cond->op->shape == RS_COLUMN)
		table = cond->op->table;
	else if (a->op->shape == RS_COLUMN)
		table = a->op->table;
	else if (b->op->shape == RS_COLUMN)
		table = b->op->table;
	shape = table >= 0 ? RS_COLUMN : RS_SCALAR;
	r = cc_op(C, OP_WHERE, off, shape, t, table);
	if (r == NULL)
		return -1;
	r->a = x;
	r->b = y;
	r->c = cond->op;
	cc_value(out, r, cond->elem || a->elem || b->elem, off);
	return 0;
}

/* ------------------------------------------------------------- isin */

/* Builds the literal set of list items for values of type t. */
static int
cc_build_set(RuleCompiler *C, RuleOp *list, RuleType t, RuleSet **out)
{
	int			kind = -1;
	RuleSet    *set;

	/* key kind: all items compared with t */
	for (int k = 0; k < list->nitems; k++)
	{
		int			kk = sage_rule_key_kind(t, list->items[k]->type);

		if (kk == RK_FLOAT)
			kind = RK_FLOAT;
		else if (kk >= 0 && kind < 0)
			kind = kk;
	}
	if (kind < 0)
		kind = t == RT_STR ? RK_STR : (t == RT_FLOAT ? RK_FLOAT : RK_INT);
	set = sage_rule_set_new(C->arena, (RuleKeyKind) kind, (size_t) list->nitems);
	if (set == NULL)
		return cc_oom(C);
	for (int k = 0; k < list->nitems; k++)
	{
		RuleScalar	v = list->items[k]->lit;

		/* a date column matches date strings (pandas parses them) */
		if (t == RT_DT && v.type == RT_STR && v.valid)
		{
			SageTimestamp ts;

			if (!sage_parse_fecha(v.s, v.len, &ts))
				continue;
			v.type = RT_DT;
			v.i = ts;
		}
		if (!v.valid)
		{
			set->has_missing = true;
			continue;
		}
		if (sage_rule_key_kind(t, v.type) < 0)
			continue;
		if (sage_rule_set_add_scalar(C->arena, set, &v) < 0)
			return cc_oom(C);
	}
	*out = set;
	return 0;
}

/*
 * cc_isin
 *		a.isin(values) / a in values / a not in values. values is a literal
 *		list or a column (of any table: a cross-catalog membership check).
 */
static int
cc_isin(RuleCompiler *C, CVal *a, CVal *vals, bool negate, size_t off, CVal *out)
{
	RuleOp	   *r;

	if (cc_need_plain(C, a, "isin()") < 0)
		return -1;
	r = cc_op(C, OP_ISIN, off, a->op->shape, RT_BOOL, a->op->table);
	if (r == NULL)
		return -1;
	r->a = a->op;
	r->sub = negate ? 1 : 0;
	if (vals->op->shape == RS_LIST)
	{
		if (cc_build_set(C, vals->op, a->op->type, &r->set) < 0)
			return -1;
	}
	else if (vals->op->shape == RS_COLUMN && !vals->elem)
	{
		int			kk = sage_rule_key_kind(a->op->type, vals->op->type);

		r->b = vals->op;
		r->ival = kk;			/* -1: no value can match */
		cc_not_rowwise(C);
	}
	else
		return cc_fail(C, vals->off, "Pass a list such as ['a', 'b'] or a column.",
					   "isin() needs a list or a column");
	cc_value(out, r, a->elem, a->off);
	return 0;
}

/* ---------------------------------------------------------- datetimes */

/* .dt.<field> or a Timestamp attribute inside a lambda; -1 when unknown. */
static int
cc_dt_field(const char *name)
{
	static const struct
	{
		const char *name;
		int			field;
	}			fields[] = {
		{"year", DTF_YEAR}, {"month", DTF_MONTH}, {"day", DTF_DAY},
		{"dayofweek", DTF_DAYOFWEEK}, {"day_of_week", DTF_DAYOFWEEK},
		{"weekday", DTF_DAYOFWEEK}, {"hour", DTF_HOUR}, {"minute", DTF_MINUTE},
		{"second", DTF_SECOND}, {"dayofyear", DTF_DAYOFYEAR},
		{"day_of_year", DTF_DAYOFYEAR}, {"quarter", DTF_QUARTER}
	};

	for (size_t k = 0; k < sizeof(fields) / sizeof(fields[0]); k++)
		if (strcmp(fields[k].name, name) == 0)
			return fields[k].field;
	return -1;
}

/* Type named by an astype() argument; -1 when not supported. */
static int
cc_dtype(const RuleAst *n)
{
	static const struct
	{
		const char *name;
		RuleType	type;
	}			dtypes[] = {
		{"float", RT_FLOAT}, {"float64", RT_FLOAT}, {"float32", RT_FLOAT},
		{"Float64", RT_FLOAT}, {"int", RT_INT}, {"int64", RT_INT}, {"int32", RT_INT},
		{"Int64", RT_INT}, {"Int32", RT_INT}, {"str", RT_STR}, {"string", RT_STR},
		{"object", RT_STR}, {"bool", RT_BOOL}, {"boolean", RT_BOOL},
		{"datetime64[ns]", RT_DT}, {"datetime64", RT_DT}, {"datetime64[us]", RT_DT}
	};
	const char *name;

	if (n->kind == AST_NAME)
	{
		name = n->str;
		if (strcmp(name, "float") != 0 && strcmp(name, "int") != 0 &&
			strcmp(name, "str") != 0 && strcmp(name, "bool") != 0)
			return -1;
	}
	else if (n->kind == AST_STR)
		name = n->str;
	else
		return -1;
	for (size_t k = 0; k < sizeof(dtypes) / sizeof(dtypes[0]); k++)
		if (strcmp(dtypes[k].name, name) == 0)
			return dtypes[k].type;
	return -1;
}

/* ----------------------------------------------------------- regexes */

/* Compiles a regex argument (a string literal) for op r. */
static int
cc_regex(RuleCompiler *C, RuleOp *r, const RuleAst *pat, SageRegexMode mode, bool caseless,
		 bool literal)
{
	const char *s;
	size_t		len = 0;
	char		reason[300];

	if (pat->kind != AST_STR)
		return cc_fail(C, pat->off, "Write the pattern as a string literal, e.g. r'^\\d+$'.",
					   "a regular expression must be a string literal");
	s = pat->str;
	len = pat->len;
	r->re = sage_regex_compile(C->arena, s, len, mode, caseless, literal, reason,
							   sizeof(reason), C->err);
	if (r->re == NULL)
	{
		if (reason[0] == '\0')
			return -1;
		return cc_fail(C, pat->off, "Patterns use the syntax of Python's re module.",
					   "invalid regular expression: %s", reason);
	}
	return 0;
}

/* The na= argument of string predicates: True/False/None/np.nan. */
static int
cc_na_arg(RuleCompiler *C, const RuleAst *n, RuleScalar *na)
{
	memset(na, 0, sizeof(*na));
	na->type = RT_BOOL;
	if (n == NULL)
		return 0;
	if (n->kind == AST_BOOL)
	{
		na->valid = true;
		na->b = n->ival != 0;
		return 0;
	}
	{
		RuleScalar	v;

		if (cc_literal(n, &v) && !v.valid)
			return 0;
	}
	return cc_fail(C, n->off, NULL, "na must be True, False, None or np.nan");
}

/* A literal string or tuple of strings (startswith/endswith). */
static int
cc_prefix_set(RuleCompiler *C, const RuleAst *n, RuleSet **out)
{
	RuleSet    *set = sage_rule_set_new(C->arena, RK_STR, 4);
	const RuleAst *one[1];
	const RuleAst *const *items = one;
	int			count = 1;

	if (set == NULL)
		return cc_oom(C);
	one[0] = n;
	if (n->kind == AST_TUPLE)
	{
		items = (const RuleAst *const *) n->items;
		count = n->nitems;
	}
	for (int k = 0; k < count; k++)
	{
		RuleScalar	v;
		const char **ni;
		uint32_t   *nl;

		if (items[k]->kind != AST_STR)
			return cc_fail(C, items[k]->off, NULL,
						   "the prefix must be a string literal or a tuple of them");
		cc_literal(items[k], &v);
		ni = sage_realloc(C->arena, set->items, sizeof(char *) * set->nitems,
						  sizeof(char *) * (set->nitems + 1));
		nl = sage_realloc(C->arena, set->item_lens, sizeof(uint32_t) * set->nitems,
						  sizeof(uint32_t) * (set->nitems + 1));
		if (ni == NULL || nl == NULL)
			return cc_oom(C);
		ni[set->nitems] = v.s;
		nl[set->nitems] = v.len;
		set->items = ni;
		set->item_lens = nl;
		set->nitems++;
	}
	*out = set;
	return 0;
}

/* One bound of a slice: an integer literal, or absent/None (valid false). */
static int
cc_slice_part(RuleCompiler *C, const RuleAst *n, const char *what, RuleScalar *out)
{
	memset(out, 0, sizeof(*out));
	out->type = RT_INT;
	if (n == NULL || n->kind == AST_NONE)
		return 0;
	if (cc_need_int(C, n, what, &out->i) < 0)
		return -1;
	out->valid = true;
	return 0;
}

/*
 * cc_str_slice
 *		recv[start:stop:step] / .str.slice(start, stop, step) of strings,
 *		in code points with Python's rules (out-of-range bounds clamp).
 */
static int
cc_str_slice(RuleCompiler *C, const CVal *recv, const RuleAst *start, const RuleAst *stop,
			 const RuleAst *step, size_t off, CVal *out)
{
	RuleOp	   *r = cc_unary_op(C, OP_STRSLICE, recv->op, RT_STR, off);
	RuleScalar	st;

	if (r == NULL || cc_slice_part(C, start, "the start of a slice", &r->lit) < 0 ||
		cc_slice_part(C, stop, "the end of a slice", &r->lit2) < 0 ||
		cc_slice_part(C, step, "the step of a slice", &st) < 0)
		return -1;
	if (st.valid && st.i == 0)
		return cc_fail(C, step->off, NULL, "slice step cannot be zero");
	if (st.valid && (st.i > INT32_MAX || st.i < -INT32_MAX))
		return cc_fail(C, step->off, NULL, "slice step is too large");
	r->sub = 0;
	r->ival = st.valid ? (int) st.i : 1;
	cc_value(out, r, recv->elem, recv->off);
	return 0;
}

/* recv[i] / .str.get(i): the code point at i (negative from the end), missing when out of range. */
static int
cc_str_index(RuleCompiler *C, const CVal *recv, const RuleAst *ix, size_t off, CVal *out)
{
	RuleOp	   *r = cc_unary_op(C, OP_STRSLICE, recv->op, RT_STR, off);

	if (r == NULL)
		return -1;
	if (ix->kind == AST_SLICE)
		return cc_str_slice(C, recv, ix->a, ix->b, ix->c, off, out);
	if (cc_need_int(C, ix, "a string index", &r->lit.i) < 0)
		return -1;
	r->lit.type = RT_INT;
	r->lit.valid = true;
	r->sub = 1;
	cc_value(out, r, recv->elem, recv->off);
	return 0;
}

/* True when pat has a character with a meaning in a regular expression. */
static bool
cc_has_regex_meta(const char *pat, size_t len)
{
	for (size_t k = 0; k < len; k++)
		if (strchr(".^$*+?{}[]\\|()", pat[k]) != NULL)
			return true;
	return false;
}

/*
 * cc_split
 *		.str.split/.str.rsplit (pandas) or x.split/x.rsplit (Python, in a
 *		lambda). The parts are never a value of their own: the result is
 *		CK_SPLIT, and only one part (.str[i], .str.get(i), x.split()[i]) or
 *		their number (.str.len(), len(x.split())) can be taken from it.
 *		pandas reads a separator longer than one character as a regular
 *		expression unless regex=False; one with regex syntax in it is
 *		refused (literal separators only).
 */
static int
cc_split(RuleCompiler *C, const CVal *recv, const char *name, size_t name_off,
		 const RuleAst *call, bool python, CVal *out)
{
	static const char *const params[] = {"pat", "n", "expand", "regex"};
	static const char *const pyparams[] = {"sep", "maxsplit"};
	bool		right = name[0] == 'r';
	const RuleAst *args[4];
	char		fname[32];
	RuleOp	   *r;
	int64_t		n = -1;
	int			regex = -1;

	snprintf(fname, sizeof(fname), "%s%s", python ? "" : "str.", name);
	if (cc_bind(C, call, fname, python ? pyparams : params, python ? 2 : (right ? 3 : 4), 0,
				args) < 0)
		return -1;
	r = cc_unary_op(C, OP_SPLIT, recv->op, RT_STR, name_off);
	if (r == NULL)
		return -1;
	r->flags = right ? RULE_SPLIT_RIGHT : 0;
	r->lit.type = RT_STR;
	if (args[0] != NULL && args[0]->kind != AST_NONE)
	{
		size_t		len = 0;

		if (cc_need_string(C, args[0], "the separator", &r->lit.s, &len) < 0)
			return -1;
		if (len == 0)
			return cc_fail(C, args[0]->off, "Omit the separator to split on whitespace.",
						   "empty separator");
		r->lit.len = (uint32_t) len;
		r->lit.valid = true;
	}
	if (args[1] != NULL && args[1]->kind != AST_NONE &&
		cc_need_int(C, args[1], python ? "maxsplit" : "n", &n) < 0)
		return -1;
	/* pandas: None, 0 and -1 all mean every split; Python: 0 means none */
	if (n < 0 || (!python && n == 0))
		n = -1;
	r->ival = n > INT32_MAX ? INT32_MAX : (int) n;
	if (!python)
	{
		bool		b = false;

		if (args[2] != NULL)
		{
			if (cc_need_bool(C, args[2], "expand", &b) < 0)
				return -1;
			if (b)
				return cc_fail(C, args[2]->off, "Select one part with .str[0] or .str.get(0) instead.",
							   "split() with expand=True is not supported");
		}
		if (!right && args[3] != NULL && args[3]->kind != AST_NONE)
		{
			if (cc_need_bool(C, args[3], "regex", &b) < 0)
				return -1;
			regex = b ? 1 : 0;
		}
		if (r->lit.valid && regex != 0 && (regex == 1 || r->lit.len != 1) &&
			cc_has_regex_meta(r->lit.s, r->lit.len))
			return cc_fail(C, args[0]->off, "Add regex=False to split on the text itself.",
						   "regular expression separators are not supported by split()");
	}
	memset(out, 0, sizeof(*out));
	out->kind = CK_SPLIT;
	out->op = r;
	out->elem = recv->elem;
	out->off = recv->off;
	return 0;
}

/* One part (ix) or the number of parts (ix NULL) of a split. */
static int
cc_split_take(RuleCompiler *C, const CVal *sp, const RuleAst *ix, CVal *out)
{
	RuleOp	   *r = sp->op;

	if (ix == NULL)
	{
		r->sub = 1;
		r->type = RT_INT;
	}
	else
	{
		if (ix->kind == AST_SLICE)
			return cc_fail(C, ix->off, "Select one part, e.g. [0] or [-1].",
						   "slicing the parts of split() is not supported");
		if (cc_need_int(C, ix, "the index of a part", &r->lit2.i) < 0)
			return -1;
		r->lit2.type = RT_INT;
		r->lit2.valid = true;
		r->sub = 0;
		r->type = RT_STR;
	}
	cc_value(out, r, sp->elem, sp->off);
	return 0;
}

/* .str.len() / .str.get(i) after .str.split(...). */
static int
cc_split_method(RuleCompiler *C, const CVal *sp, const char *name, size_t name_off,
				const RuleAst *call, CVal *out)
{
	static const char *const gparams[] = {"i"};
	const RuleAst *args[1];

	if (strcmp(name, "len") == 0)
	{
		if (cc_bind(C, call, "str.len", NULL, 0, 0, args) < 0)
			return -1;
		return cc_split_take(C, sp, NULL, out);
	}
	if (strcmp(name, "get") == 0)
	{
		if (cc_bind(C, call, "str.get", gparams, 1, 1, args) < 0)
			return -1;
		return cc_split_take(C, sp, args[0], out);
	}
	return cc_fail(C, name_off, "After .str.split(...) use .str[i], .str.get(i) or .str.len().",
				   "method \"str.%s\" is not supported on the parts of split()", name);
}

/*
 * cc_str_method
 *		.str.<name>(...) on a string column, or the Python str method of the
 *		same name on a lambda element (python: element semantics).
 */
static int
cc_str_method(RuleCompiler *C, CVal *recv, const char *name, size_t name_off,
			  const RuleAst *call, bool python, CVal *out)
{
	RuleOp	   *x = recv->op;
	RuleOp	   *r = NULL;
	const RuleAst *args[6];
	char		fname[64];

	snprintf(fname, sizeof(fname), "%s%s", python ? "" : "str.", name);
	if (strcmp(name, "split") == 0 || strcmp(name, "rsplit") == 0)
		return cc_split(C, recv, name, name_off, call, python, out);
	if (!python && strcmp(name, "slice") == 0)
	{
		static const char *const params[] = {"start", "stop", "step"};

		if (cc_bind(C, call, fname, params, 3, 0, args) < 0)
			return -1;
		return cc_str_slice(C, recv, args[0], args[1], args[2], name_off, out);
	}
	if (!python && strcmp(name, "get") == 0)
	{
		static const char *const params[] = {"i"};

		if (cc_bind(C, call, fname, params, 1, 1, args) < 0)
			return -1;
		return cc_str_index(C, recv, args[0], name_off, out);
	}
	if (!python && (strcmp(name, "match") == 0 || strcmp(name, "fullmatch") == 0 ||
					strcmp(name, "contains") == 0))
	{
		static const char *const mparams[] = {"pat", "case", "flags", "na"};
		static const char *const cparams[] = {"pat", "case", "flags", "na", "regex"};
		bool		contains = strcmp(name, "contains") == 0;
		bool		caseless = false;
		bool		regex = true;
		int64_t		flags = 0;

		if (cc_bind(C, call, fname, contains ? cparams : mparams, contains ? 5 : 4, 1, args) < 0)
			return -1;
		if (args[1] != NULL)
		{
			bool		cs = true;

			if (cc_need_bool(C, args[1], "case", &cs) < 0)
				return -1;
			caseless = !cs;
		}
		if (args[2] != NULL && (cc_need_int(C, args[2], "flags", &flags) < 0))
			return -1;
		if (flags != 0)
			return cc_fail(C, args[2]->off, "Use case=False, or inline flags such as (?i) in the pattern.",
						   "regular expression flags are not supported");
		if (contains && args[4] != NULL && cc_need_bool(C, args[4], "regex", &regex) < 0)
			return -1;
		r = cc_unary_op(C, OP_REGEX, x, RT_BOOL, name_off);
		if (r == NULL || cc_na_arg(C, args[3], &r->lit) < 0)
			return -1;
		if (cc_regex(C, r, args[0], contains ? SAGE_REGEX_SEARCH :
					 (strcmp(name, "match") == 0 ? SAGE_REGEX_MATCH : SAGE_REGEX_FULLMATCH),
					 caseless, !regex) < 0)
			return -1;
	}
	else if (strcmp(name, "startswith") == 0 || strcmp(name, "endswith") == 0)
	{
		static const char *const params[] = {"pat", "na"};
		static const char *const pyparams[] = {"prefix"};

		if (cc_bind(C, call, fname, python ? pyparams : params, python ? 1 : 2, 1, args) < 0)
			return -1;
		r = cc_unary_op(C, OP_STARTS, x, RT_BOOL, name_off);
		if (r == NULL || cc_prefix_set(C, args[0], &r->set) < 0)
			return -1;
		r->sub = name[0] == 'e' ? 1 : 0;
		if (!python && cc_na_arg(C, args[1], &r->lit) < 0)
			return -1;
	}
	else if (strcmp(name, "len") == 0 && !python)
	{
		if (cc_bind(C, call, fname, NULL, 0, 0, args) < 0)
			return -1;
		r = cc_unary_op(C, OP_STRLEN, x, RT_INT, name_off);
	}
	else if (strcmp(name, "strip") == 0 || strcmp(name, "lstrip") == 0 ||
			 strcmp(name, "rstrip") == 0)
	{
		static const char *const params[] = {"to_strip"};
		static const char *const pyparams[] = {"chars"};

		if (cc_bind(C, call, fname, python ? pyparams : params, 1, 0, args) < 0)
			return -1;
		r = cc_unary_op(C, OP_STRIP, x, RT_STR, name_off);
		if (r == NULL)
			return -1;
		r->sub = name[0] == 'l' ? 1 : (name[0] == 'r' ? 2 : 3);
		r->lit.valid = false;
		if (args[0] != NULL && args[0]->kind != AST_NONE)
		{
			size_t		len = 0;

			if (cc_need_string(C, args[0], "the characters to strip", &r->lit.s, &len) < 0)
				return -1;
			r->lit.type = RT_STR;
			r->lit.len = (uint32_t) len;
			r->lit.valid = true;
		}
	}
	else if (strcmp(name, "lower") == 0 || strcmp(name, "upper") == 0)
	{
		if (cc_bind(C, call, fname, NULL, 0, 0, args) < 0)
			return -1;
		r = cc_unary_op(C, OP_CASE, x, RT_STR, name_off);
		if (r != NULL)
			r->sub = name[0] == 'u' ? 1 : 0;
	}
	else if (strcmp(name, "replace") == 0)
	{
		static const char *const params[] = {"pat", "repl", "n", "case", "flags", "regex"};
		static const char *const pyparams[] = {"old", "new"};
		bool		regex = false;
		bool		caseless = false;
		size_t		len = 0;

		if (cc_bind(C, call, fname, python ? pyparams : params, python ? 2 : 6, 2, args) < 0)
			return -1;
		if (!python)
		{
			int64_t		v;

			if (args[2] != NULL && (cc_need_int(C, args[2], "n", &v) < 0))
				return -1;
			if (args[2] != NULL && v != -1)
				return cc_fail(C, args[2]->off, NULL, "only n=-1 (replace all) is supported");
			if (args[4] != NULL && (cc_need_int(C, args[4], "flags", &v) < 0))
				return -1;
			if (args[4] != NULL && v != 0)
				return cc_fail(C, args[4]->off, "Use case=False, or inline flags such as (?i) in the pattern.",
							   "regular expression flags are not supported");
			if (args[5] != NULL && cc_need_bool(C, args[5], "regex", &regex) < 0)
				return -1;
			if (args[3] != NULL && args[3]->kind != AST_NONE)
			{
				bool		cs = true;

				if (cc_need_bool(C, args[3], "case", &cs) < 0)
					return -1;
				caseless = !cs;
				if (caseless && !regex)
					return cc_fail(C, args[3]->off, "Add regex=True.",
								   "case=False needs regex=True");
			}
		}
		{
			const char *rs;

			if (cc_need_string(C, args[1], "the replacement", &rs, &len) < 0)
				return -1;
		}
		r = cc_unary_op(C, regex ? OP_REGEX_REPLACE : OP_REPLACE, x, RT_STR, name_off);
		if (r == NULL)
			return -1;
		if (regex)
		{
			char		reason[200];

			if (cc_regex(C, r, args[0], SAGE_REGEX_SEARCH, caseless, false) < 0)
				return -1;
			r->lit2.type = RT_STR;
			r->lit2.s = sage_regex_translate_replacement(C->arena, args[1]->str, args[1]->len,
														 &len, reason, sizeof(reason));
			if (r->lit2.s == NULL)
				return cc_fail(C, args[1]->off, NULL, "invalid replacement: %s", reason);
			r->lit2.len = (uint32_t) len;
		}
		else
		{
			if (cc_need_string(C, args[0], "the text to replace", &r->lit.s, &len) < 0)
				return -1;
			r->lit.len = (uint32_t) len;
			r->lit2.s = args[1]->str;
			r->lit2.len = (uint32_t) args[1]->len;
		}
	}
	else if (strcmp(name, "isdigit") == 0 || strcmp(name, "isnumeric") == 0 ||
			 strcmp(name, "isdecimal") == 0 || strcmp(name, "isalpha") == 0 ||
			 strcmp(name, "isalnum") == 0 || strcmp(name, "isspace") == 0)
	{
		RuleAst		pat;

		if (cc_bind(C, call, fname, NULL, 0, 0, args) < 0)
			return -1;
		r = cc_unary_op(C, OP_REGEX, x, RT_BOOL, name_off);
		if (r == NULL)
			return -1;
		memset(&pat, 0, sizeof(pat));
		pat.kind = AST_STR;
		pat.off = name_off;
		pat.str = strcmp(name, "isalpha") == 0 ? "[^\\W\\d_]+" :
			strcmp(name, "isalnum") == 0 ? "[^\\W_]+" :
			strcmp(name, "isspace") == 0 ? "\\s+" : "\\d+";
		pat.len = strlen(pat.str);
		r->lit.type = RT_BOOL;
		if (cc_regex(C, r, &pat, SAGE_REGEX_FULLMATCH, false, false) < 0)
			return -1;
	}
	else
	{
		return cc_fail(C, name_off, python ?
					   "String methods inside a lambda are: startswith, endswith, strip, lstrip, rstrip, lower, upper, replace, split, rsplit, isdigit, isnumeric, isdecimal, isalpha, isalnum and isspace." :
					   "String methods are: match, fullmatch, contains, startswith, endswith, len, strip, lstrip, rstrip, lower, upper, replace, slice, get, split, rsplit, isdigit, isnumeric, isdecimal, isalpha, isalnum and isspace; .str[i] and .str[a:b] index and slice.",
					   "method \"%s\" is not supported", fname);
	}
	if (r == NULL)
		return -1;
	cc_value(out, r, recv->elem, recv->off);
	return 0;
}

/* ------------------------------------------------------------ lambdas */

/*
 * cc_lambda
 *		Compiles a lambda body with its parameter bound: kind 1 binds the
 *		element of column col, kind 2 a row of table. The body's result is
 *		broadcast when it does not depend on the parameter.
 */
static int
cc_lambda(RuleCompiler *C, const RuleAst *lam, int kind, RuleOp *col, int table, CVal *out)
{
	CVal		body;
	RuleOp	   *r;

	if (C->lname != NULL)
		return cc_fail(C, lam->off, NULL, "nested lambdas are not supported");
	if (lam->str[0] == '_')
		return cc_fail(C, lam->str_off, "Names starting with _ are not allowed.",
					   "name \"%s\" is not allowed", lam->str);
	C->lname = lam->str;
	C->lkind = kind;
	C->lop = col;
	C->ltable = table;
	if (cc_need_value(C, lam->a, &body) < 0)
		return -1;
	C->lname = NULL;
	if (cc_need_plain(C, &body, "a lambda") < 0)
		return -1;
	r = body.op;
	if (r->shape == RS_SCALAR)
	{
		RuleOp	   *b = cc_op(C, OP_BROADCAST, lam->off, RS_COLUMN, r->type, table);

		if (b == NULL)
			return -1;
		b->a = r;
		r = b;
	}
	else if (!body.elem)
		return cc_fail(C, lam->a->off, NULL, "a lambda must compute its result from its parameter");
	cc_value(out, r, false, lam->off);
	return 0;
}

/* apply(func) / map(func) on a column: func is a lambda or a builtin name. */
static int
cc_apply_column(RuleCompiler *C, CVal *recv, const RuleAst *call, const char *name,
				CVal *out)
{
	static const char *const params[] = {"func"};
	const RuleAst *args[1];
	const RuleAst *f;

	if (cc_bind(C, call, name, params, 1, 1, args) < 0)
		return -1;
	f = args[0];
	if (recv->op->shape != RS_COLUMN)
		return cc_fail(C, call->off, NULL, "%s() needs a column", name);
	if (f->kind == AST_LAMBDA)
		return cc_lambda(C, f, 1, recv->op, recv->op->table, out);
	if (f->kind == AST_NAME)
	{
		/* apply(len), apply(str)...: the builtin on each element */
		RuleAst		param;
		RuleAst		body;
		RuleAst		lam;
		RuleAst    *argv[1];
		CVal		fv;

		if (cc_name(C, f, &fv) < 0)
			return -1;
		if (fv.kind != CK_BUILTIN)
			return cc_fail(C, f->off, "Write apply(lambda x: ...).", "%s() needs a lambda", name);

		memset(&param, 0, sizeof(param));
		memset(&body, 0, sizeof(body));
		memset(&lam, 0, sizeof(lam));
		param.kind = AST_NAME;
		param.off = f->off;
		param.str = "x";
		param.depth = 1;
		argv[0] = &param;
		body.kind = AST_CALL;
		body.off = f->off;
		body.a = (RuleAst *) f;
		body.nitems = 1;
		body.items = argv;
		body.depth = 2;
		lam.kind = AST_LAMBDA;
		lam.off = f->off;
		lam.str = "x";
		lam.str_off = f->off;
		lam.a = &body;
		lam.depth = 3;
		return cc_lambda(C, &lam, 1, recv->op, recv->op->table, out);
	}
	return cc_fail(C, f->off, "Write apply(lambda x: ...).",
				   "%s() needs a lambda", name);
}

/* ------------------------------------------------------------ methods */

/* Aggregate kind of a method name, -1 when not an aggregate. */
static int
cc_agg_kind(const char *name)
{
	static const struct
	{
		const char *name;
		int			kind;
	}			aggs[] = {
		{"sum", AGG_SUM}, {"min", AGG_MIN}, {"max", AGG_MAX}, {"mean", AGG_MEAN},
		{"count", AGG_COUNT}, {"nunique", AGG_NUNIQUE}, {"all", AGG_ALL}, {"any", AGG_ANY}
	};

	for (size_t k = 0; k < sizeof(aggs) / sizeof(aggs[0]); k++)
		if (strcmp(aggs[k].name, name) == 0)
			return aggs[k].kind;
	return -1;
}

/* An aggregate of column a. */
static int
cc_aggregate(RuleCompiler *C, CVal *a, int kind, size_t off, CVal *out)
{
	RuleOp	   *x = a->op;
	RuleType	t;
	RuleOp	   *r;

	if (x->shape != RS_COLUMN || a->elem)
		return cc_fail(C, off, NULL, "aggregates need a column");
	switch (kind)
	{
		case AGG_SUM:
			if (x->type == RT_BOOL)
				x = cc_cast(C, x, RT_INT, CAST_ASTYPE, NULL, off);
			else if (x->type != RT_INT && x->type != RT_FLOAT)
				return cc_fail(C, off, "Convert with .astype(float) first.",
							   "sum() needs numbers, not %s", cc_type_name(x->type));
			if (x == NULL)
				return -1;
			t = x->type;
			break;
		case AGG_MEAN:
			if (!cc_numeric(x->type))
				return cc_fail(C, off, "Convert with .astype(float) first.",
							   "mean() needs numbers, not %s", cc_type_name(x->type));
			x = cc_cast(C, x, RT_FLOAT, CAST_ASTYPE, NULL, off);
			if (x == NULL)
				return -1;
			t = RT_FLOAT;
			break;
		case AGG_MIN:
		case AGG_MAX:
			t = x->type;
			break;
		case AGG_COUNT:
		case AGG_NUNIQUE:
		case AGG_SIZE:
			t = RT_INT;
			break;
		case AGG_ALL:
		case AGG_ANY:
			if (x->type == RT_DT)
				return cc_fail(C, off, NULL, "all() and any() need booleans, not datetime");
			t = RT_BOOL;
			break;
		default:
			t = RT_BOOL;
			break;
	}
	r = cc_op(C, OP_AGG, off, RS_SCALAR, t, -1);
	if (r == NULL)
		return -1;
	r->a = x;
	r->sub = kind;
	cc_not_rowwise(C);
	cc_value(out, r, false, a->off);
	return 0;
}

/* between(left, right, inclusive) */
static int
cc_between(RuleCompiler *C, CVal *recv, const RuleAst *call, CVal *out)
{
	static const char *const params[] = {"left", "right", "inclusive"};
	const RuleAst *args[3];
	CVal		lo,
				hi;
	RuleOp	   *x,
			   *l,
			   *h,
			   *r;
	bool		mm1,
				mm2;
	int			incl = BETWEEN_LEFT | BETWEEN_RIGHT;
	RuleShape	shape;
	int			table;

	if (cc_bind(C, call, "between", params, 3, 2, args) < 0)
		return -1;
	if (cc_need_value(C, args[0], &lo) < 0 || cc_need_value(C, args[1], &hi) < 0)
		return -1;
	if (cc_need_plain(C, &lo, "between()") < 0 || cc_need_plain(C, &hi, "between()") < 0)
		return -1;
	if (args[2] != NULL)
	{
		if (args[2]->kind == AST_BOOL)
			incl = args[2]->ival ? (BETWEEN_LEFT | BETWEEN_RIGHT) : 0;
		else if (args[2]->kind == AST_STR && strcmp(args[2]->str, "both") == 0)
			incl = BETWEEN_LEFT | BETWEEN_RIGHT;
		else if (args[2]->kind == AST_STR && strcmp(args[2]->str, "neither") == 0)
			incl = 0;
		else if (args[2]->kind == AST_STR && strcmp(args[2]->str, "left") == 0)
			incl = BETWEEN_LEFT;
		else if (args[2]->kind == AST_STR && strcmp(args[2]->str, "right") == 0)
			incl = BETWEEN_RIGHT;
		else
			return cc_fail(C, args[2]->off, NULL,
						   "inclusive must be 'both', 'neither', 'left' or 'right'");
	}
	if (cc_shape2(C, recv, &lo, &shape, &table) < 0 || cc_shape2(C, recv, &hi, &shape, &table) < 0)
		return -1;
	x = recv->op;
	l = lo.op;
	if (cc_compare_types(C, &x, &l, OPT_LE, call->off, &mm1) < 0)
		return -1;
	h = hi.op;
	{
		RuleOp	   *x2 = recv->op;

		if (cc_compare_types(C, &x2, &h, OPT_LE, call->off, &mm2) < 0)
			return -1;
		/* both bounds must agree on how x is compared */
		if (x2->type != x->type)
		{
			x = cc_cast(C, recv->op, RT_FLOAT, CAST_ASTYPE, NULL, call->off);
			l = cc_cast(C, l, RT_FLOAT, CAST_ASTYPE, NULL, call->off);
			h = cc_cast(C, h, RT_FLOAT, CAST_ASTYPE, NULL, call->off);
			if (x == NULL || l == NULL || h == NULL)
				return -1;
		}
	}
	shape = recv->op->shape;
	table = recv->op->table;
	if (shape != RS_COLUMN)
	{
		if (lo.op->shape == RS_COLUMN)
		{
			shape = RS_COLUMN;
			table = lo.op->table;
		}
		else if (hi.op->shape == RS_COLUMN)
		{
			shape = RS_COLUMN;
			table = hi.op->table;
		}
	}
	r = cc_op(C, OP_BETWEEN, call->off, shape, RT_BOOL, table);
	if (r == NULL)
		return -1;
	r->a = x;
	r->b = l;
	r->c = h;
	r->sub = incl;
	cc_value(out, r, recv->elem, recv->off);
	return 0;
}

/* astype(dtype) on a value. */
static int
cc_astype(RuleCompiler *C, CVal *recv, const RuleAst *call, CVal *out)
{
	static const char *const params[] = {"dtype", "copy", "errors"};
	const RuleAst *args[3];
	int			t;
	RuleOp	   *r;

	if (cc_bind(C, call, "astype", params, 3, 1, args) < 0)
		return -1;
	t = cc_dtype(args[0]);
	if (t < 0)
		return cc_fail(C, args[0]->off,
					   "Use float, int, str, bool, 'float64', 'int64', 'str', 'string' or 'datetime64[ns]'.",
					   "astype() type is not supported");
	r = cc_cast(C, recv->op, (RuleType) t, CAST_ASTYPE, NULL, call->off);
	if (r == NULL)
		return -1;
	cc_value(out, r, recv->elem, recv->off);
	return 0;
}

/* fillna(value) */
static int
cc_fillna(RuleCompiler *C, CVal *recv, const RuleAst *call, CVal *out)
{
	static const char *const params[] = {"value"};
	const RuleAst *args[1];
	CVal		v;
	RuleOp	   *x = recv->op;
	RuleOp	   *y;
	RuleOp	   *r;
	RuleType	t;
	RuleShape	shape;
	int			table;

	if (cc_bind(C, call, "fillna", params, 1, 1, args) < 0)
		return -1;
	if (cc_need_value(C, args[0], &v) < 0 || cc_need_plain(C, &v, "fillna()") < 0)
		return -1;
	if (cc_shape2(C, recv, &v, &shape, &table) < 0)
		return -1;
	y = v.op;
	if (cc_unify_ops(C, &x, &y, "fillna()", call->off, &t) < 0)
		return -1;
	r = cc_op(C, OP_FILLNA, call->off, shape, t, table);
	if (r == NULL)
		return -1;
	r->a = x;
	r->b = y;
	cc_value(out, r, recv->elem || v.elem, recv->off);
	return 0;
}

/* The keep= argument of duplicated(): 0 'first' (default), 1 'last', 2 False. */
static int
cc_keep_arg(RuleCompiler *C, const RuleAst *n, int *keep)
{
	*keep = 0;
	if (n == NULL)
		return 0;
	if (n->kind == AST_STR && strcmp(n->str, "first") == 0)
		*keep = 0;
	else if (n->kind == AST_STR && strcmp(n->str, "last") == 0)
		*keep = 1;
	else if (n->kind == AST_BOOL && n->ival == 0)
		*keep = 2;
	else
		return cc_fail(C, n->off, "Write keep='first', keep='last' or keep=False.",
					   "keep must be 'first', 'last' or False");
	return 0;
}

/* duplicated(keep) */
static int
cc_duplicated(RuleCompiler *C, CVal *recv, const RuleAst *call, CVal *out)
{
	static const char *const params[] = {"keep"};
	const RuleAst *args[1];
	int			keep = 0;
	RuleOp	   *r;

	if (cc_bind(C, call, "duplicated", params, 1, 0, args) < 0)
		return -1;
	if (cc_keep_arg(C, args[0], &keep) < 0)
		return -1;
	r = cc_unary_op(C, OP_DUPLICATED, recv->op, RT_BOOL, call->off);
	if (r == NULL)
		return -1;
	r->sub = keep;
	cc_not_rowwise(C);
	cc_value(out, r, false, recv->off);
	return 0;
}

/* The isin() argument: a literal list/tuple/set or a column (.values, .tolist(), .unique()). */
static int
cc_isin_arg(RuleCompiler *C, const RuleAst *n, CVal *v)
{
	if (n->kind == AST_CALL && n->a->kind == AST_ATTR && n->nitems == 0 && n->nkw == 0 &&
		(strcmp(n->a->str, "tolist") == 0 || strcmp(n->a->str, "unique") == 0 ||
		 strcmp(n->a->str, "to_list") == 0 || strcmp(n->a->str, "dropna") == 0))
		n = n->a->a;
	if (cc_need_value(C, n, v) < 0)
		return -1;
	return 0;
}

/* A method call on a value (Series method, or Python method on an element). */
static int
cc_value_method(RuleCompiler *C, CVal *recv, const char *name, size_t name_off,
				const RuleAst *call, CVal *out)
{
	RuleOp	   *x = recv->op;
	const RuleAst *args[4];
	int			agg;

	if (x->shape == RS_LIST || x->shape == RS_PARTS)
		return cc_need_plain(C, recv, "a method");
	if (recv->elem)
	{
		if (x->type == RT_STR)
			return cc_str_method(C, recv, name, name_off, call, true, out);
		if (x->type == RT_DT && (strcmp(name, "weekday") == 0))
		{
			RuleOp	   *r;

			if (cc_bind(C, call, name, NULL, 0, 0, args) < 0)
				return -1;
			r = cc_unary_op(C, OP_DTFIELD, x, RT_INT, name_off);
			if (r == NULL)
				return -1;
			r->sub = DTF_DAYOFWEEK;
			cc_value(out, r, true, recv->off);
			return 0;
		}
		return cc_fail(C, name_off, NULL,
					   "method \"%s\" is not supported on a %s value inside a lambda",
					   name, cc_type_name(x->type));
	}
	if (strcmp(name, "round") == 0)
	{
		static const char *const params[] = {"decimals"};
		int64_t		nd = 0;

		if (cc_bind(C, call, name, params, 1, 0, args) < 0)
			return -1;
		if (args[0] != NULL && cc_need_int(C, args[0], "decimals", &nd) < 0)
			return -1;
		return cc_round(C, recv, nd, false, call->off, out);
	}
	if (x->shape != RS_COLUMN)
		return cc_fail(C, name_off, NULL, "method \"%s\" needs a column", name);
	if (strcmp(name, "astype") == 0)
		return cc_astype(C, recv, call, out);
	if (strcmp(name, "isin") == 0)
	{
		static const char *const params[] = {"values"};
		CVal		v;

		if (cc_bind(C, call, name, params, 1, 1, args) < 0 || cc_isin_arg(C, args[0], &v) < 0)
			return -1;
		return cc_isin(C, recv, &v, false, call->off, out);
	}
	if (strcmp(name, "between") == 0)
		return cc_between(C, recv, call, out);
	if (strcmp(name, "isnull") == 0 || strcmp(name, "isna") == 0 ||
		strcmp(name, "notnull") == 0 || strcmp(name, "notna") == 0)
	{
		if (cc_bind(C, call, name, NULL, 0, 0, args) < 0)
			return -1;
		return cc_isna(C, recv, name[0] == 'n', call->off, out);
	}
	if (strcmp(name, "fillna") == 0)
		return cc_fillna(C, recv, call, out);
	if (strcmp(name, "abs") == 0)
	{
		if (cc_bind(C, call, name, NULL, 0, 0, args) < 0)
			return -1;
		return cc_abs(C, recv, call->off, out);
	}
	if (strcmp(name, "duplicated") == 0)
		return cc_duplicated(C, recv, call, out);
	if (strcmp(name, "apply") == 0 || strcmp(name, "map") == 0)
		return cc_apply_column(C, recv, call, name, out);
	agg = cc_agg_kind(name);
	if (agg >= 0)
	{
		if (cc_bind(C, call, name, NULL, 0, 0, args) < 0)
			return -1;
		return cc_aggregate(C, recv, agg, call->off, out);
	}
	return cc_fail(C, name_off,
				   "Column methods are: astype, isin, between, isnull, isna, notnull, notna, fillna, abs, round, duplicated, apply, map, sum, min, max, mean, count, nunique, all and any.",
				   "method \"%s\" is not supported", name);
}

/* Most columns a duplicated(subset=...) may name. */
#define CC_MAX_SUBSET 256

/*
 * cc_duplicated_table
 *		df.duplicated(subset=None, keep='first'): rows whose values in the
 *		subset columns (all columns when absent) repeat an earlier row (a
 *		later one for keep='last', any other for keep=False). Missing values
 *		are equal to each other, as in pandas.
 */
static int
cc_duplicated_table(RuleCompiler *C, int table, const RuleAst *call, size_t off, CVal *out)
{
	static const char *const params[] = {"subset", "keep"};
	const RuleAst *args[2];
	const SageRuleSchemaTable *tab = &C->schema->tables[table];
	const RuleAst *sub;
	RuleOp	   *r;
	int			keep;
	int			n;

	if (cc_bind(C, call, "duplicated", params, 2, 0, args) < 0 ||
		cc_keep_arg(C, args[1], &keep) < 0)
		return -1;
	sub = args[0];
	if (sub == NULL || sub->kind == AST_NONE)
		n = tab->ncols;
	else if (sub->kind == AST_STR)
		n = 1;
	else if (sub->kind == AST_LIST || sub->kind == AST_TUPLE)
		n = sub->nitems;
	else
		return cc_fail(C, sub->off, "Write subset=['a', 'b'].",
					   "subset must be a column name or a list of column names");
	if (n == 0)
		return cc_fail(C, sub != NULL ? sub->off : call->off, NULL,
					   "duplicated() needs at least one column");
	if (n > CC_MAX_SUBSET)
		return cc_fail(C, sub != NULL ? sub->off : call->off, NULL,
					   "duplicated() accepts at most %d columns", CC_MAX_SUBSET);
	r = cc_op(C, OP_DUPLICATED, off, RS_COLUMN, RT_BOOL, table);
	if (r == NULL)
		return -1;
	r->items = sage_alloc(C->arena, sizeof(RuleOp *) * (size_t) n);
	if (r->items == NULL)
		return cc_oom(C);
	for (int k = 0; k < n; k++)
	{
		CVal		col;
		const RuleAst *it = sub == NULL || sub->kind == AST_NONE ? NULL :
			(sub->kind == AST_STR ? sub : sub->items[k]);

		if (it != NULL && it->kind != AST_STR)
			return cc_fail(C, it->off, "Write subset=['a', 'b'].",
						   "subset must be a column name or a list of column names");
		if (cc_column(C, table, it != NULL ? it->str : tab->names[k],
					  it != NULL ? it->off : off, &col) < 0)
			return -1;
		r->items[k] = col.op;
	}
	r->nitems = n;
	r->sub = keep;
	cc_not_rowwise(C);
	cc_value(out, r, false, off);
	return 0;
}

/* df.apply(lambda row: ..., axis=1) */
static int
cc_apply_table(RuleCompiler *C, int table, const RuleAst *call, CVal *out)
{
	static const char *const params[] = {"func", "axis"};
	const RuleAst *args[2];

	if (cc_bind(C, call, "apply", params, 2, 1, args) < 0)
		return -1;
	if (args[1] == NULL ||
		!((args[1]->kind == AST_INT && args[1]->ival == 1) ||
		  (args[1]->kind == AST_STR && strcmp(args[1]->str, "columns") == 0)))
		return cc_fail(C, args[1] ? args[1]->off : call->off,
					   "Write df.apply(lambda row: ..., axis=1).",
					   "df.apply() needs axis=1");
	if (args[0]->kind != AST_LAMBDA)
		return cc_fail(C, args[0]->off, "Write df.apply(lambda row: ..., axis=1).",
					   "df.apply() needs a lambda");
	return cc_lambda(C, args[0], 2, NULL, table, out);
}

/* ------------------------------------------------------- functions */

/* pd.* and np.* functions. */
static int
cc_module_func(RuleCompiler *C, const char *name, const RuleAst *call, CVal *out)
{
	const RuleAst *args[4];
	CVal		a;

	if (strcmp(name, "pd.to_datetime") == 0)
	{
		static const char *const params[] = {"arg", "format", "errors", "dayfirst"};
		const char *fmt = NULL;
		size_t		len = 0;
		RuleOp	   *r;

		if (cc_bind(C, call, "pd.to_datetime", params, 4, 1, args) < 0)
			return -1;
		if (args[1] != NULL && args[1]->kind != AST_NONE &&
			cc_need_string(C, args[1], "format", &fmt, &len) < 0)
			return -1;
		if (args[2] != NULL && !(args[2]->kind == AST_STR &&
								 (strcmp(args[2]->str, "coerce") == 0 ||
								  strcmp(args[2]->str, "raise") == 0 ||
								  strcmp(args[2]->str, "ignore") == 0)))
			return cc_fail(C, args[2]->off, NULL, "errors must be 'coerce', 'raise' or 'ignore'");
		if (args[3] != NULL && !(args[3]->kind == AST_BOOL && args[3]->ival == 0))
			return cc_fail(C, args[3]->off, "Give an explicit format instead, e.g. format='%d/%m/%Y'.",
						   "dayfirst=True is not supported");
		if (cc_need_value(C, args[0], &a) < 0 || cc_need_plain(C, &a, "pd.to_datetime()") < 0)
			return -1;
		if (fmt != NULL && a.op->type != RT_STR)
			fmt = NULL;
		r = cc_cast(C, a.op, RT_DT, CAST_TO_DATETIME, fmt, call->off);
		if (r == NULL)
			return -1;
		cc_value(out, r, a.elem, call->off);
		return 0;
	}
	if (strcmp(name, "pd.to_numeric") == 0)
	{
		static const char *const params[] = {"arg", "errors", "downcast"};
		RuleOp	   *r;
		RuleType	t;

		if (cc_bind(C, call, "pd.to_numeric", params, 3, 1, args) < 0)
			return -1;
		if (args[1] != NULL && !(args[1]->kind == AST_STR &&
								 (strcmp(args[1]->str, "coerce") == 0 ||
								  strcmp(args[1]->str, "raise") == 0 ||
								  strcmp(args[1]->str, "ignore") == 0)))
			return cc_fail(C, args[1]->off, NULL, "errors must be 'coerce', 'raise' or 'ignore'");
		if (args[2] != NULL && args[2]->kind != AST_NONE)
			return cc_fail(C, args[2]->off, NULL, "downcast is not supported");
		if (cc_need_value(C, args[0], &a) < 0 || cc_need_plain(C, &a, "pd.to_numeric()") < 0)
			return -1;
		t = a.op->type == RT_FLOAT ? RT_FLOAT : (a.op->type == RT_STR || a.op->type == RT_NONE) ?
			RT_FLOAT : RT_INT;
		r = cc_cast(C, a.op, t, CAST_TO_NUMERIC, NULL, call->off);
		if (r == NULL)
			return -1;
		cc_value(out, r, a.elem, call->off);
		return 0;
	}
	if (strcmp(name, "pd.isna") == 0 || strcmp(name, "pd.isnull") == 0 ||
		strcmp(name, "pd.notna") == 0 || strcmp(name, "pd.notnull") == 0)
	{
		static const char *const params[] = {"obj"};

		if (cc_bind(C, call, name, params, 1, 1, args) < 0)
			return -1;
		if (cc_need_value(C, args[0], &a) < 0)
			return -1;
		return cc_isna(C, &a, name[3] == 'n', call->off, out);
	}
	if (strcmp(name, "np.isnan") == 0)
	{
		static const char *const params[] = {"x"};
		RuleOp	   *r;

		if (cc_bind(C, call, name, params, 1, 1, args) < 0)
			return -1;
		if (cc_need_value(C, args[0], &a) < 0 || cc_need_plain(C, &a, "np.isnan()") < 0)
			return -1;
		if (!cc_numeric(a.op->type) && a.op->type != RT_NONE)
			return cc_fail(C, args[0]->off, "Use pd.isna(...) for values that are not numbers.",
						   "np.isnan() needs numbers, not %s", cc_type_name(a.op->type));
		r = cc_unary_op(C, OP_ISNA, a.op, RT_BOOL, call->off);
		if (r == NULL)
			return -1;
		cc_value(out, r, a.elem, call->off);
		return 0;
	}
	if (strcmp(name, "np.abs") == 0)
	{
		static const char *const params[] = {"x"};

		if (cc_bind(C, call, name, params, 1, 1, args) < 0)
			return -1;
		if (cc_need_value(C, args[0], &a) < 0)
			return -1;
		return cc_abs(C, &a, call->off, out);
	}
	if (strcmp(name, "np.where") == 0)
	{
		static const char *const params[] = {"condition", "x", "y"};
		CVal		x,
					y;

		if (cc_bind(C, call, name, params, 3, 3, args) < 0)
			return -1;
		if (cc_need_value(C, args[0], &a) < 0 || cc_need_value(C, args[1], &x) < 0 ||
			cc_need_value(C, args[2], &y) < 0)
			return -1;
		return cc_where(C, &a, &x, &y, call->off, out);
	}
	return cc_fail(C, call->off, NULL, "function \"%s\" is not supported", name);
}

/* Builtins: str int float bool len abs min max round. */
static int
cc_builtin(RuleCompiler *C, const char *name, const RuleAst *call, CVal *out)
{
	const RuleAst *args[2];
	CVal		a;

	if (call->nkw > 0 && strcmp(name, "round") != 0)
		return cc_fail(C, call->kwoffs[0], NULL, "keyword argument \"%s\" is not supported by %s()",
					   call->kwnames[0], name);
	if (strcmp(name, "len") == 0)
	{
		static const char *const params[] = {"obj"};
		RuleOp	   *r;

		if (cc_bind(C, call, name, params, 1, 1, args) < 0 || cc_expr(C, args[0], &a) < 0)
			return -1;
		switch (a.kind)
		{
			case CK_DF:
			case CK_TABLE:
				r = cc_op(C, OP_NROWS, sage_rule_ast_start(call), RS_SCALAR, RT_INT, -1);
				if (r == NULL)
					return -1;
				r->col = a.table;
				C->rule->reads_table[a.table] = true;
				cc_not_rowwise(C);
				cc_value(out, r, false, call->off);
				return 0;
			case CK_DFMAP:
				r = cc_op(C, OP_NTABLES, call->off, RS_SCALAR, RT_INT, -1);
				if (r == NULL)
					return -1;
				cc_value(out, r, false, call->off);
				return 0;
			case CK_COLUMNS:
				r = cc_op(C, OP_NCOLS, sage_rule_ast_start(call), RS_SCALAR, RT_INT, -1);
				if (r == NULL)
					return -1;
				r->col = a.table;
				C->rule->reads_table[a.table] = true;
				cc_not_rowwise(C);
				cc_value(out, r, false, call->off);
				return 0;
			case CK_VALUE:
				if (a.op->shape == RS_LIST)
				{
					RuleScalar	v = {RT_INT, true, false, a.op->nitems, 0, NULL, 0};

					r = cc_const_op(C, call->off, &v);
					if (r == NULL)
						return -1;
					cc_value(out, r, false, call->off);
					return 0;
				}
				if (a.op->type == RT_STR && (a.elem || a.op->shape == RS_SCALAR))
				{
					r = cc_unary_op(C, OP_STRLEN, a.op, RT_INT, call->off);
					if (r == NULL)
						return -1;
					cc_value(out, r, a.elem, call->off);
					return 0;
				}
				if (a.op->shape == RS_COLUMN && !a.elem)
					return cc_aggregate(C, &a, AGG_SIZE, call->off, out);
				return cc_fail(C, args[0]->off, NULL, "len() needs a string, a column or a table, not %s",
							   cc_type_name(a.op->type));
			case CK_SPLIT:
				if (a.elem)
					return cc_split_take(C, &a, NULL, out);
				return cc_fail(C, sage_rule_ast_start(args[0]),
							   "Count the parts with .str.split(...).str.len().",
							   "len() of .str.split() is not supported");
			default:
				if (cc_need_value(C, args[0], &a) < 0)
					return -1;
				return cc_fail(C, args[0]->off, NULL, "len() needs a string, a column or a table");
		}
	}
	if (strcmp(name, "str") == 0 || strcmp(name, "int") == 0 || strcmp(name, "float") == 0 ||
		strcmp(name, "bool") == 0)
	{
		static const char *const params[] = {"x"};
		RuleType	t = name[0] == 's' ? RT_STR : name[0] == 'i' ? RT_INT :
			name[0] == 'f' ? RT_FLOAT : RT_BOOL;
		RuleOp	   *r;

		if (cc_bind(C, call, name, params, 1, 1, args) < 0 || cc_need_value(C, args[0], &a) < 0)
			return -1;
		if (cc_need_plain(C, &a, name) < 0)
			return -1;
		if (a.op->shape == RS_COLUMN && !a.elem)
		{
			char		hint[80];

			snprintf(hint, sizeof(hint), "Use .astype(%s) on a column.", name);
			return cc_fail(C, call->off, hint, "%s() cannot convert a whole column", name);
		}
		r = cc_cast(C, a.op, t, CAST_ASTYPE, NULL, call->off);
		if (r == NULL)
			return -1;
		cc_value(out, r, a.elem, call->off);
		return 0;
	}
	if (strcmp(name, "abs") == 0)
	{
		static const char *const params[] = {"x"};

		if (cc_bind(C, call, name, params, 1, 1, args) < 0 || cc_need_value(C, args[0], &a) < 0)
			return -1;
		return cc_abs(C, &a, call->off, out);
	}
	if (strcmp(name, "round") == 0)
	{
		static const char *const params[] = {"number", "ndigits"};
		int64_t		nd = 0;
		bool		to_int = true;

		if (cc_bind(C, call, name, params, 2, 1, args) < 0 || cc_need_value(C, args[0], &a) < 0)
			return -1;
		if (args[1] != NULL && args[1]->kind != AST_NONE)
		{
			if (cc_need_int(C, args[1], "ndigits", &nd) < 0)
				return -1;
			to_int = false;
		}
		if (a.op->shape == RS_COLUMN && !a.elem)
			to_int = false;
		else if (a.op->type == RT_INT || a.op->type == RT_BOOL)
			to_int = false;
		return cc_round(C, &a, nd, to_int, call->off, out);
	}
	if (strcmp(name, "min") == 0 || strcmp(name, "max") == 0)
	{
		bool		is_max = name[1] == 'a';
		CVal		acc;

		if (call->nitems == 0)
			return cc_fail(C, call->off, NULL, "%s() needs at least one argument", name);
		if (cc_need_value(C, call->items[0], &acc) < 0)
			return -1;
		if (call->nitems == 1)
		{
			if (acc.op->shape == RS_COLUMN && !acc.elem)
				return cc_aggregate(C, &acc, is_max ? AGG_MAX : AGG_MIN, call->off, out);
			return cc_fail(C, call->items[0]->off, NULL,
						   "%s() of one argument needs a column", name);
		}
		if (cc_need_plain(C, &acc, name) < 0)
			return -1;
		for (int k = 1; k < call->nitems; k++)
		{
			CVal		b;
			RuleOp	   *x = acc.op;
			RuleOp	   *y;
			RuleOp	   *r;
			RuleType	t;
			RuleShape	shape;
			int			table;

			if (cc_need_value(C, call->items[k], &b) < 0 || cc_need_plain(C, &b, name) < 0)
				return -1;
			if (cc_shape2(C, &acc, &b, &shape, &table) < 0)
				return -1;
			if ((acc.op->shape == RS_COLUMN && !acc.elem) || (b.op->shape == RS_COLUMN && !b.elem))
				return cc_fail(C, call->off, "Use np.where(a > b, a, b) for columns.",
							   "%s() of several arguments cannot compare whole columns", name);
			y = b.op;
			if (cc_unify_ops(C, &x, &y, name, call->off, &t) < 0)
				return -1;
			r = cc_op(C, OP_MINMAX2, call->off, shape, t, table);
			if (r == NULL)
				return -1;
			r->a = x;
			r->b = y;
			r->sub = is_max ? 1 : 0;
			cc_value(&acc, r, acc.elem || b.elem, call->off);
		}
		*out = acc;
		return 0;
	}
	return cc_fail(C, call->off, NULL, "function \"%s\" is not supported", name);
}

/* A call: builtins, module functions, methods. */
static int
cc_call(RuleCompiler *C, const RuleAst *n, CVal *out)
{
	CVal		f;

	if (cc_expr(C, n->a, &f) < 0)
		return -1;
	switch (f.kind)
	{
		case CK_BUILTIN:
			return cc_builtin(C, f.name, n, out);
		case CK_FUNC:
			return cc_module_func(C, f.name, n, out);
		case CK_METHOD:
			if (f.recv == CK_STRACC)
			{
				CVal		recv;

				cc_value(&recv, f.op, false, f.off);
				return cc_str_method(C, &recv, f.name, f.name_off, n, false, out);
			}
			if (f.recv == CK_TDELTA || f.recv == CK_TDACC)
			{
				const RuleAst *none[1];

				if (cc_bind(C, n, f.name, NULL, 0, 0, none) < 0)
					return -1;
				f.kind = f.recv;
				return cc_td_field(C, &f, f.name, f.name_off, out);
			}
			if (f.recv == CK_SPLITACC)
			{
				f.kind = CK_SPLIT;
				return cc_split_method(C, &f, f.name, f.name_off, n, out);
			}
			if (f.recv == CK_DF || f.recv == CK_TABLE)
			{
				if (strcmp(f.name, "apply") == 0)
					return cc_apply_table(C, f.table, n, out);
				if (strcmp(f.name, "duplicated") == 0)
					return cc_duplicated_table(C, f.table, n, f.off, out);
				return cc_fail(C, f.name_off, NULL, "method \"%s\" is not supported", f.name);
			}
			{
				CVal		recv;

				cc_value(&recv, f.op, f.elem, f.off);
				return cc_value_method(C, &recv, f.name, f.name_off, n, out);
			}
		case CK_VALUE:
			return cc_fail(C, n->off, NULL, "a %s value is not callable",
						   cc_type_name(f.op->type));
		default:
			return cc_fail(C, n->off, NULL, "this object is not callable");
	}
}

/* ------------------------------------------------------ attributes */

static int
cc_attr(RuleCompiler *C, const RuleAst *n, CVal *out)
{
	CVal		obj;
	const char *name = n->str;
	size_t		noff = n->str_off;

	if (cc_expr(C, n->a, &obj) < 0)
		return -1;
	if (name[0] == '_')
		return cc_fail(C, noff, "Names starting with _ are not allowed.",
					   "attribute \"%s\" is not allowed", name);
	memset(out, 0, sizeof(*out));
	out->off = obj.off;
	switch (obj.kind)
	{
		case CK_DF:
		case CK_TABLE:
			if (strcmp(name, "shape") == 0)
			{
				out->kind = CK_SHAPE;
				out->table = obj.table;
				return 0;
			}
			if (strcmp(name, "columns") == 0)
			{
				out->kind = CK_COLUMNS;
				out->table = obj.table;
				return 0;
			}
			if (strcmp(name, "apply") == 0 || strcmp(name, "duplicated") == 0)
			{
				out->kind = CK_METHOD;
				out->recv = obj.kind;
				out->table = obj.table;
				out->name = name;
				out->name_off = noff;
				return 0;
			}
			if (cc_find_column(C, obj.table, name) >= 0)
			{
				if (cc_column(C, obj.table, name, noff, out) < 0)
					return -1;
				out->off = n->off;
				return 0;
			}
			{
				char		hint[600];

				snprintf(hint, sizeof(hint), "Columns are: %s.", cc_column_list(C, obj.table));
				return cc_fail(C, noff, hint, "column or attribute \"%s\" does not exist", name);
			}
		case CK_ROW:
			if (cc_column(C, obj.table, name, noff, out) < 0)
				return -1;
			out->elem = true;
			out->off = n->off;
			return 0;
		case CK_DFMAP:
			return cc_fail(C, noff, "Write df['catalog']['column'].",
						   "catalogs are selected with df['%s'] in package rules", name);
		case CK_PD:
			{
				static const char *const fns[] = {"to_datetime", "to_numeric", "isna", "notna",
				"isnull", "notnull"};

				for (size_t k = 0; k < sizeof(fns) / sizeof(fns[0]); k++)
					if (strcmp(fns[k], name) == 0)
					{
						out->kind = CK_FUNC;
						out->name = sage_printf(C->arena, "pd.%s", name);
						return out->name ? 0 : cc_oom(C);
					}
				if (strcmp(name, "NA") == 0 || strcmp(name, "NaT") == 0)
				{
					RuleScalar	v;
					RuleOp	   *op;

					memset(&v, 0, sizeof(v));
					v.type = name[1] == 'A' ? RT_NONE : RT_DT;
					op = cc_const_op(C, n->off, &v);
					if (op == NULL)
						return -1;
					cc_value(out, op, false, n->off);
					return 0;
				}
				return cc_fail(C, noff,
							   "Allowed are pd.to_datetime, pd.to_numeric, pd.isna, pd.notna, pd.isnull and pd.notnull.",
							   "attribute \"%s\" of pd is not allowed", name);
			}
		case CK_NP:
			if (strcmp(name, "nan") == 0 || strcmp(name, "NaN") == 0 || strcmp(name, "inf") == 0)
			{
				RuleScalar	v;
				RuleOp	   *op;

				memset(&v, 0, sizeof(v));
				v.type = RT_FLOAT;
				v.valid = name[0] == 'i';
				v.f = name[0] == 'i' ? INFINITY : NAN;
				op = cc_const_op(C, n->off, &v);
				if (op == NULL)
					return -1;
				cc_value(out, op, false, n->off);
				return 0;
			}
			if (strcmp(name, "isnan") == 0 || strcmp(name, "abs") == 0 || strcmp(name, "where") == 0)
			{
				out->kind = CK_FUNC;
				out->name = sage_printf(C->arena, "np.%s", name);
				return out->name ? 0 : cc_oom(C);
			}
			return cc_fail(C, noff, "Allowed are np.nan, np.isnan, np.abs and np.where.",
						   "attribute \"%s\" of np is not allowed", name);
		case CK_VALUE:
			if (obj.op->shape == RS_LIST || obj.op->shape == RS_PARTS)
				return cc_fail(C, noff, NULL, "attribute \"%s\" is not supported here", name);
			if (obj.elem)
			{
				int			f = cc_dt_field(name);

				if (obj.op->type == RT_DT && f >= 0 && strcmp(name, "weekday") != 0)
				{
					RuleOp	   *r = cc_unary_op(C, OP_DTFIELD, obj.op, RT_INT, noff);

					if (r == NULL)
						return -1;
					r->sub = f;
					cc_value(out, r, true, obj.off);
					return 0;
				}
				out->kind = CK_METHOD;
				out->recv = CK_VALUE;
				out->op = obj.op;
				out->elem = true;
				out->name = name;
				out->name_off = noff;
				return 0;
			}
			if (strcmp(name, "str") == 0)
			{
				if (obj.op->shape != RS_COLUMN)
					return cc_fail(C, noff, NULL, ".str needs a column");
				if (obj.op->type != RT_STR)
					return cc_fail(C, noff, "Use .astype(str) first.",
								   ".str used on a column of type %s", cc_type_name(obj.op->type));
				out->kind = CK_STRACC;
				out->op = obj.op;
				return 0;
			}
			if (strcmp(name, "dt") == 0)
			{
				if (obj.op->shape != RS_COLUMN)
					return cc_fail(C, noff, NULL, ".dt needs a column");
				if (obj.op->type != RT_DT)
					return cc_fail(C, noff, "Use pd.to_datetime(...) first.",
								   ".dt used on a column of type %s", cc_type_name(obj.op->type));
				out->kind = CK_DTACC;
				out->op = obj.op;
				return 0;
			}
			if (strcmp(name, "is_unique") == 0 || strcmp(name, "size") == 0 ||
				strcmp(name, "hasnans") == 0)
			{
				if (name[0] == 'h')
				{
					CVal		na;

					if (cc_isna(C, &obj, false, noff, &na) < 0)
						return -1;
					return cc_aggregate(C, &na, AGG_ANY, noff, out);
				}
				return cc_aggregate(C, &obj, name[0] == 'i' ? AGG_IS_UNIQUE : AGG_SIZE, noff, out);
			}
			if (strcmp(name, "shape") == 0)
			{
				if (obj.op->shape != RS_COLUMN)
					return cc_fail(C, noff, NULL, "shape needs a column");
				out->kind = CK_SHAPE;
				out->op = obj.op;
				out->table = -1;
				return 0;
			}
			if (strcmp(name, "values") == 0 || strcmp(name, "array") == 0)
			{
				*out = obj;
				return 0;
			}
			out->kind = CK_METHOD;
			out->recv = CK_VALUE;
			out->op = obj.op;
			out->name = name;
			out->name_off = noff;
			return 0;
		case CK_STRACC:
			out->kind = CK_METHOD;
			out->recv = CK_STRACC;
			out->op = obj.op;
			out->name = name;
			out->name_off = noff;
			return 0;
		case CK_TDELTA:
		case CK_TDACC:
			return cc_td_attr(C, &obj, name, noff, out);
		case CK_SPLIT:
			if (obj.elem || strcmp(name, "str") != 0)
				return cc_fail(C, noff, obj.elem ? "Select one part, e.g. x.split('-')[0], or count them with len(...)." :
							   "Use .str[i], .str.get(i) or .str.len() after .str.split(...).",
							   "attribute \"%s\" of the parts of split() is not supported", name);
			*out = obj;
			out->kind = CK_SPLITACC;
			return 0;
		case CK_SPLITACC:
			*out = obj;
			out->kind = CK_METHOD;
			out->recv = CK_SPLITACC;
			out->name = name;
			out->name_off = noff;
			return 0;
		case CK_DTACC:
			{
				int			f = cc_dt_field(name);
				RuleOp	   *r;

				if (f < 0)
					return cc_fail(C, noff,
								   "Use year, month, day, dayofweek, weekday, hour, minute, second, dayofyear or quarter.",
								   "attribute \"dt.%s\" is not supported", name);
				r = cc_unary_op(C, OP_DTFIELD, obj.op, RT_INT, noff);
				if (r == NULL)
					return -1;
				r->sub = f;
				cc_value(out, r, false, obj.off);
				return 0;
			}
		default:
			return cc_fail(C, noff, NULL, "attribute \"%s\" is not supported", name);
	}
}

/* ------------------------------------------------------ subscripts */

static int
cc_subscript(RuleCompiler *C, const RuleAst *n, CVal *out)
{
	CVal		obj;
	const RuleAst *ix = n->b;

	if (cc_expr(C, n->a, &obj) < 0)
		return -1;
	if (ix->kind == AST_SLICE && obj.kind != CK_STRACC && obj.kind != CK_SPLIT &&
		obj.kind != CK_SPLITACC &&
		!(obj.kind == CK_VALUE && obj.op->type == RT_STR &&
		  (obj.elem || obj.op->shape == RS_SCALAR)))
		return cc_fail(C, ix->off, "Slice strings with .str[a:b], or x[a:b] inside a lambda.",
					   "slices are not supported");
	switch (obj.kind)
	{
		case CK_DF:
		case CK_TABLE:
		case CK_ROW:
			if (ix->kind != AST_STR)
			{
				if (ix->kind == AST_LIST)
					return cc_fail(C, ix->off, "Check each column separately.",
								   "selecting several columns is not supported");
				if (obj.kind != CK_ROW && ix->kind != AST_INT && ix->kind != AST_NAME)
					return cc_fail(C, sage_rule_ast_start(ix), "Write a condition over the column instead, e.g. df['a'] > 0.",
								   "filtering rows with df[...] is not supported");
				return cc_fail(C, ix->off, "Write the column name as a string, e.g. df['column'].",
							   "a column must be selected by name");
			}
			if (cc_column(C, obj.table, ix->str, ix->off, out) < 0)
				return -1;
			out->elem = obj.kind == CK_ROW;
			out->off = n->off;
			out->op->off = n->off;
			return 0;
		case CK_DFMAP:
			if (ix->kind != AST_STR)
				return cc_fail(C, ix->off, "Write df['catalog']['column'].",
							   "a catalog must be selected by its key");
			for (int t = 0; t < C->schema->ntables; t++)
			{
				const char *key = C->schema->tables[t].key;

				if (key != NULL && strcmp(key, ix->str) == 0)
				{
					memset(out, 0, sizeof(*out));
					out->kind = CK_TABLE;
					out->table = t;
					out->off = n->a->off;
					return 0;
				}
			}
			{
				char		hint[600];
				size_t		k = 0;

				k += (size_t) snprintf(hint, sizeof(hint), "Catalogs of this package are: ");
				for (int t = 0; t < C->schema->ntables && k < sizeof(hint); t++)
					k += (size_t) snprintf(hint + k, sizeof(hint) - k, "%s%s", t ? ", " : "",
										   C->schema->tables[t].key ? C->schema->tables[t].key : "?");
				if (k < sizeof(hint))
					snprintf(hint + k, sizeof(hint) - k, ".");
				return cc_fail(C, ix->off, hint, "catalog \"%s\" does not exist", ix->str);
			}
		case CK_SHAPE:
			if (ix->kind != AST_INT || ix->ival < 0 || ix->ival > 1 ||
				(obj.op != NULL && ix->ival != 0))
				return cc_fail(C, ix->off, NULL, "shape index must be %s",
							   obj.op != NULL ? "0" : "0 or 1");
			{
				RuleOp	   *r;

				if (obj.op != NULL)
				{
					CVal		col;

					cc_value(&col, obj.op, false, obj.off);
					return cc_aggregate(C, &col, AGG_SIZE, n->off, out);
				}
				r = cc_op(C, ix->ival == 0 ? OP_NROWS : OP_NCOLS, n->off, RS_SCALAR, RT_INT, -1);
				if (r == NULL)
					return -1;
				r->col = obj.table;
				C->rule->reads_table[obj.table] = true;
				cc_not_rowwise(C);
				cc_value(out, r, false, n->off);
				return 0;
			}
		case CK_VALUE:
			if (obj.op->type == RT_STR && obj.op->shape != RS_LIST &&
				(obj.elem || obj.op->shape == RS_SCALAR))
				return cc_str_index(C, &obj, ix, n->off, out);
			if (obj.elem)
				return cc_fail(C, n->off, NULL, "indexing a value of type %s is not supported",
							   cc_type_name(obj.op->type));
			return cc_fail(C, n->off, obj.op->shape == RS_COLUMN && obj.op->type == RT_STR ?
						   "Index the strings with .str[i] or .str[a:b]." : NULL,
						   "indexing a %s is not supported",
						   obj.op->shape == RS_COLUMN ? "column" : "value");
		case CK_STRACC:
			{
				CVal		recv;

				cc_value(&recv, obj.op, false, obj.off);
				return cc_str_index(C, &recv, ix, n->off, out);
			}
		case CK_SPLIT:
			if (!obj.elem)
				return cc_fail(C, n->off, "Write .str.split(...).str[i].",
							   "the parts of .str.split() are selected with .str[i]");
			return cc_split_take(C, &obj, ix, out);
		case CK_SPLITACC:
			return cc_split_take(C, &obj, ix, out);
		default:
			return cc_fail(C, n->off, NULL, "this object cannot be indexed");
	}
}

/* ------------------------------------------------------- the checker */

/* A literal list/tuple/set: every item must be a literal. */
static int
cc_list(RuleCompiler *C, const RuleAst *n, CVal *out)
{
	RuleOp	   *r = cc_op(C, OP_LIST, n->off, RS_LIST, RT_NONE, -1);

	if (r == NULL)
		return -1;
	r->items = sage_alloc0(C->arena, sizeof(RuleOp *) * (size_t) (n->nitems + 1));
	if (r->items == NULL)
		return cc_oom(C);
	for (int k = 0; k < n->nitems; k++)
	{
		RuleScalar	v;

		if (!cc_literal(n->items[k], &v))
			return cc_fail(C, n->items[k]->off, "Write the values literally, e.g. ['a', 'b', 1].",
						   "list items must be literals");
		if ((r->items[k] = cc_const_op(C, n->items[k]->off, &v)) == NULL)
			return -1;
	}
	r->nitems = n->nitems;
	cc_value(out, r, false, n->off);
	return 0;
}

/* A name: df, pd, np, builtins, the lambda parameter. */
static int
cc_name(RuleCompiler *C, const RuleAst *n, CVal *out)
{
	static const char *const builtins[] = {"str", "int", "float", "bool", "len", "abs",
	"min", "max", "round"};
	const char *name = n->str;

	memset(out, 0, sizeof(*out));
	out->off = n->off;
	if (name[0] == '_')
		return cc_fail(C, n->off, "Names starting with _ are not allowed.",
					   "name \"%s\" is not allowed", name);
	if (C->lname != NULL && strcmp(C->lname, name) == 0)
	{
		if (C->lkind == 2)
		{
			out->kind = CK_ROW;
			out->table = C->ltable;
			return 0;
		}
		cc_value(out, C->lop, true, n->off);
		return 0;
	}
	if (strcmp(name, "df") == 0)
	{
		if (C->scope == SAGE_SCOPE_PACKAGE)
			out->kind = CK_DFMAP;
		else
		{
			out->kind = CK_DF;
			out->table = 0;
		}
		return 0;
	}
	if (strcmp(name, "pd") == 0)
	{
		out->kind = CK_PD;
		return 0;
	}
	if (strcmp(name, "np") == 0)
	{
		out->kind = CK_NP;
		return 0;
	}
	for (size_t k = 0; k < sizeof(builtins) / sizeof(builtins[0]); k++)
		if (strcmp(builtins[k], name) == 0)
		{
			out->kind = CK_BUILTIN;
			out->name = builtins[k];
			return 0;
		}
	{
		char		hint[300];

		snprintf(hint, sizeof(hint), "Allowed names are %s%s%s.", cc_allowed_names,
				 C->lname ? ", and the lambda parameter " : "", C->lname ? C->lname : "");
		return cc_fail(C, n->off, hint, "name \"%s\" is not allowed", name);
	}
}

/* A comparison chain a < b < c: each pair, joined with and. */
static int
cc_compare_chain(RuleCompiler *C, const RuleAst *n, CVal *out)
{
	CVal		left;
	CVal		acc;

	if (cc_need_value(C, n->items[0], &left) < 0)
		return -1;
	for (int k = 0; k < n->nitems - 1; k++)
	{
		int			op = n->ops[k];
		CVal		right;
		CVal		r;

		if (op == KW_IN || op == CMP_NOT_IN)
		{
			if (cc_isin_arg(C, n->items[k + 1], &right) < 0)
				return -1;
		}
		else if (cc_need_value(C, n->items[k + 1], &right) < 0)
			return -1;
		if (op == KW_IN || op == CMP_NOT_IN)
		{
			if (right.op->shape == RS_LIST)
			{
				if (cc_isin(C, &left, &right, op == CMP_NOT_IN, n->off, &r) < 0)
					return -1;
			}
			else if (right.op->type == RT_STR && left.op->type == RT_STR &&
					 (right.elem || right.op->shape == RS_SCALAR) &&
					 (left.elem || left.op->shape == RS_SCALAR))
			{
				RuleOp	   *s;
				RuleShape	shape;
				int			table;

				if (cc_shape2(C, &left, &right, &shape, &table) < 0)
					return -1;
				s = cc_op(C, OP_SUBSTR, n->off, shape, RT_BOOL, table);
				if (s == NULL)
					return -1;
				s->a = right.op;
				s->b = left.op;
				cc_value(&r, s, left.elem || right.elem, left.off);
				if (op == CMP_NOT_IN && cc_not(C, &r, KW_NOT, n->off, &r) < 0)
					return -1;
			}
			else if (right.op->shape == RS_COLUMN && !right.elem)
				return cc_fail(C, n->off, "Use df['a'].isin(df['b']).",
							   "the in operator on a column tests its index, not its values");
			else
				return cc_fail(C, n->items[k + 1]->off, "Use a list such as ['a', 'b'].",
							   "the in operator needs a list or a string");
		}
		else if (op == KW_IS || op == CMP_IS_NOT)
		{
			if (right.op->kind != OP_CONST || right.op->lit.valid)
				return cc_fail(C, n->off, "Use == to compare values.",
							   "\"is\" can only compare with None");
			if (cc_isna(C, &left, op == CMP_IS_NOT, n->off, &r) < 0)
				return -1;
		}
		else if (cc_comparison(C, &left, &right, op, n->off, &r) < 0)
			return -1;
		if (k == 0)
			acc = r;
		else if (cc_logic(C, &acc, &r, KW_AND, n->off, &acc) < 0)
			return -1;
		left = right;
	}
	*out = acc;
	return 0;
}

static int
cc_expr(RuleCompiler *C, const RuleAst *n, CVal *out)
{
	CVal		a,
				b,
				c;
	RuleScalar	v;

	switch (n->kind)
	{
		case AST_NAME:
			return cc_name(C, n, out);
		case AST_INT:
		case AST_FLOAT:
		case AST_STR:
		case AST_BOOL:
		case AST_NONE:
			{
				RuleOp	   *op;

				cc_literal(n, &v);
				op = cc_const_op(C, n->off, &v);
				if (op == NULL)
					return -1;
				cc_value(out, op, false, n->off);
				return 0;
			}
		case AST_LIST:
		case AST_TUPLE:
		case AST_SET:
			return cc_list(C, n, out);
		case AST_ATTR:
			return cc_attr(C, n, out);
		case AST_SUBSCRIPT:
			return cc_subscript(C, n, out);
		case AST_CALL:
			return cc_call(C, n, out);
		case AST_UNARY:
			if (cc_need_value(C, n->a, &a) < 0)
				return -1;
			if (n->op == OPT_TILDE || n->op == KW_NOT)
				return cc_not(C, &a, n->op, n->off, out);
			return cc_neg(C, &a, n->op, n->off, out);
		case AST_BINARY:
			if (cc_need_value(C, n->a, &a) < 0 || cc_need_value(C, n->b, &b) < 0)
				return -1;
			if (n->op == OPT_AMP || n->op == OPT_PIPE || n->op == OPT_CARET)
				return cc_logic(C, &a, &b, n->op, n->off, out);
			return cc_arith(C, &a, &b, n->op, n->off, out);
		case AST_BOOLOP:
			if (cc_need_value(C, n->a, &a) < 0 || cc_need_value(C, n->b, &b) < 0)
				return -1;
			return cc_logic(C, &a, &b, n->op, n->off, out);
		case AST_COMPARE:
			return cc_compare_chain(C, n, out);
		case AST_IFEXP:
			if (cc_need_value(C, n->a, &a) < 0 || cc_need_value(C, n->b, &b) < 0 ||
				cc_need_value(C, n->c, &c) < 0)
				return -1;
			return cc_where(C, &b, &a, &c, n->off, out);
		case AST_LAMBDA:
			memset(out, 0, sizeof(*out));
			out->kind = CK_LAMBDA;
			out->ast = n;
			out->off = n->off;
			return 0;
		case AST_SLICE:
			return cc_fail(C, n->off, NULL, "slices are not supported");
	}
	return cc_fail(C, n->off, NULL, "unsupported construct");
}

/* --------------------------------------------------------------- API */

SageRule *
sage_rule_compile(SageArena *arena, const char *expr, SageRuleScope scope,
				  const SageRuleSchema *schema, SageError *err)
{
	RuleCompiler C;
	SageRule   *rule;
	RuleAst    *ast;
	CVal		root;

	if (expr == NULL || schema == NULL || schema->ntables < 1 ||
		(scope != SAGE_SCOPE_PACKAGE && schema->ntables != 1))
	{
		sage_error_set(err, SAGE_ERR_ARGUMENT, "invalid rule schema");
		return NULL;
	}
	memset(&C, 0, sizeof(C));
	C.arena = arena;
	C.text = expr;
	C.err = err;
	C.schema = schema;
	C.scope = scope;

	rule = sage_alloc0(arena, sizeof(SageRule));
	if (rule == NULL)
	{
		sage_error_memory(err, NULL);
		return NULL;
	}
	rule->expr = sage_strdup(arena, expr);
	rule->scope = scope;
	rule->ntables = schema->ntables;
	rule->rowwise = true;
	rule->reads = sage_alloc0(arena, sizeof(uint8_t *) * (size_t) schema->ntables);
	rule->reads_table = sage_alloc0(arena, sizeof(bool) * (size_t) schema->ntables);
	rule->table_keys = sage_alloc0(arena, sizeof(char *) * (size_t) schema->ntables);
	rule->col_names = sage_alloc0(arena, sizeof(char **) * (size_t) schema->ntables);
	if (rule->expr == NULL || rule->reads == NULL || rule->reads_table == NULL ||
		rule->table_keys == NULL || rule->col_names == NULL)
	{
		sage_error_memory(err, NULL);
		return NULL;
	}
	for (int t = 0; t < schema->ntables; t++)
	{
		const SageRuleSchemaTable *tab = &schema->tables[t];

		rule->reads[t] = sage_alloc0(arena, (size_t) tab->ncols + 1);
		rule->col_names[t] = sage_alloc0(arena, sizeof(char *) * ((size_t) tab->ncols + 1));
		if (rule->reads[t] == NULL || rule->col_names[t] == NULL)
		{
			sage_error_memory(err, NULL);
			return NULL;
		}
		rule->table_keys[t] = tab->key ? sage_strdup(arena, tab->key) : NULL;
		if (tab->key != NULL && rule->table_keys[t] == NULL)
		{
			sage_error_memory(err, NULL);
			return NULL;
		}
		for (int c = 0; c < tab->ncols; c++)
			if ((rule->col_names[t][c] = sage_strdup(arena, tab->names[c])) == NULL)
			{
				sage_error_memory(err, NULL);
				return NULL;
			}
	}
	C.rule = rule;

	ast = sage_rule_parse(arena, expr, err);
	if (ast == NULL)
		return NULL;
	if (cc_need_value(&C, ast, &root) < 0)
		return NULL;
	rule->root = root.op;
	rule->nops = C.nops;
	if (scope == SAGE_SCOPE_PACKAGE && schema->ntables > 1)
		rule->rowwise = rule->rowwise && root.op->shape != RS_PARTS;
	return rule;
}

bool
sage_rule_is_rowwise(const SageRule *rule)
{
	return rule->rowwise;
}

bool
sage_rule_reads_column(const SageRule *rule, int table, int col)
{
	if (table < 0 || table >= rule->ntables || col < 0)
		return false;
	/* reads[t] has ncols + 1 entries; col_names[t] is NULL-terminated */
	for (int c = 0; c <= col; c++)
		if (rule->col_names[table][c] == NULL)
			return false;
	return rule->reads[table][col] != 0;
}

bool
sage_rule_reads_table(const SageRule *rule, int table)
{
	if (table < 0 || table >= rule->ntables)
		return false;
	return rule->reads_table[table];
}
