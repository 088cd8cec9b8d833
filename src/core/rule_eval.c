/*-------------------------------------------------------------------------
 *
 * src/core/rule_eval.c
 *		Evaluation of compiled rules over typed columns: one pass per
 *		operation over whole column vectors (no per-row allocation except
 *		for strings that operations create), scalars broadcast with a zero
 *		stride, every result memoised so a shared subtree (a lambda
 *		parameter used twice) is computed once.
 *
 * Missing values (PROCESSOR.md section 5): a value is missing when its
 * valid byte is 0; a float result that is NaN is made missing, so NaN and
 * None behave alike, as in pandas.
 *   - comparisons with a missing operand are False, and != is True;
 *     between() with a missing operand is False
 *   - arithmetic, string methods, .dt fields and conversions propagate
 *     missing; a conversion that fails gives missing instead of an error
 *   - & | ~ and/or/not follow pandas' nullable-boolean (Kleene) logic:
 *     False & NA = False, True | NA = True, otherwise NA
 *   - isna() is True for missing; isin() matches a missing value only when
 *     the list holds None/np.nan; duplicated() and is_unique treat missing
 *     values as equal to each other; other aggregates skip them (sum of
 *     nothing is 0, mean/min/max of nothing are missing)
 *   - a result that is missing counts as not holding
 *
 * Deliberate deviations from pandas (documented for users of the rules):
 *   - astype(str) of a missing value stays missing (pandas writes 'nan',
 *     'None' or 'NaT'); astype(bool) of a missing value stays missing
 *   - astype(int) of a missing value, and any conversion pandas would
 *     raise on ('abc' -> float, '3.5' -> int, a bad date with
 *     errors='raise'), gives missing instead of failing the rule
 *   - integer floor division and modulo by 0 give missing (pandas gives inf/NaN as float);
 *     integer ** negative gives missing (numpy raises); integer overflow
 *     wraps as in numpy
 *   - pd.to_datetime without format accepts the fecha syntax only
 *     (YYYY-MM-DD with an optional time), not every format dateutil
 *     guesses; with format= it uses strptime-like directives
 *   - pd.to_numeric always gives floats (pandas gives int64 when every
 *     value is integral); astype(str) of the result therefore shows '5.0'
 *   - and/or/not, and chained comparisons (0 < x < 5), are elementwise
 *     (pandas raises "truth value of a Series is ambiguous")
 *   - astype(str)/str() of a datetime is 'YYYY-MM-DD' when its time is
 *     midnight, 'YYYY-MM-DD HH:MM:SS[.ffffff]' otherwise, element by element
 *     (pandas chooses one format for the whole column)
 *   - a missing booleano value compared with != is True, as for NaN and
 *     None (pandas' nullable boolean dtype would give NA there)
 *   - isin([None]) / isin([np.nan]) match every missing value
 *   - inside a lambda, an operation on a missing element gives missing
 *     (Python would raise TypeError on len(None)); `x is None` is isna(x)
 *   - str.lower()/upper() map ASCII, Latin-1, Latin Extended-A, Greek and
 *     Cyrillic letters (plus ß -> SS); other scripts are left unchanged and
 *     the final-sigma rule is not applied
 *   - str.isdigit()/isnumeric() accept Unicode decimal digits only
 *   - sums of floats are sequential (numpy sums pairwise; the last bits
 *     may differ)
 *
 *-------------------------------------------------------------------------
 */
#include "rule_internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* Evaluation state of one sage_rule_eval call. */
typedef struct RuleEval
{
	const SageRule *rule;		/* what is evaluated */
	SageArena  *arena;			/* scratch: every temporary */
	const SageTable *tables;	/* the data */
	int			ntables;
	SageError  *err;			/* run-time failures */
	const RuleVec **memo;		/* result of each op, by id */
	SageRegexMatcher **matchers;	/* per op id, created on first use */
} RuleEval;

/* Mutable views of a freshly allocated vector. */
typedef struct VecOut
{
	RuleVec    *v;
	uint8_t    *valid;
	uint8_t    *b;
	int64_t    *i;
	double	   *f;
	const char **s;
	uint32_t   *len;
} VecOut;

static const RuleVec *ev(RuleEval *E, const RuleOp *op);

/* ------------------------------------------------------------ helpers */

static int
ev_oom(RuleEval *E)
{
	return sage_error_memory(E->err, NULL);
}

/* A run-time error at the position of op. */
static int
ev_fail(RuleEval *E, const RuleOp *op, const char *fmt,...)
	__attribute__((format(printf, 3, 4)));

static int
ev_fail(RuleEval *E, const RuleOp *op, const char *fmt,...)
{
	char		msg[400];
	va_list		ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return sage_rule_error_at(E->err, E->rule->expr, op->off, "%s", msg);
}

/* Allocates a vector of type t with n elements. */
static bool
ev_alloc(RuleEval *E, VecOut *o, RuleType t, size_t n, bool scalar, int table)
{
	memset(o, 0, sizeof(*o));
	o->v = sage_alloc0(E->arena, sizeof(RuleVec));
	o->valid = sage_alloc(E->arena, n + 1);
	if (o->v == NULL || o->valid == NULL)
		return false;
	switch (t)
	{
		case RT_BOOL:
			o->b = sage_alloc(E->arena, n + 1);
			if (o->b == NULL)
				return false;
			o->v->b = o->b;
			break;
		case RT_INT:
		case RT_DT:
			o->i = sage_alloc(E->arena, sizeof(int64_t) * (n + 1));
			if (o->i == NULL)
				return false;
			o->v->i = o->i;
			break;
		case RT_FLOAT:
			o->f = sage_alloc(E->arena, sizeof(double) * (n + 1));
			if (o->f == NULL)
				return false;
			o->v->f = o->f;
			break;
		case RT_STR:
			o->s = sage_alloc(E->arena, sizeof(char *) * (n + 1));
			o->len = sage_alloc(E->arena, sizeof(uint32_t) * (n + 1));
			if (o->s == NULL || o->len == NULL)
				return false;
			o->v->s = o->s;
			o->v->len = o->len;
			break;
		case RT_NONE:
			break;
	}
	o->v->type = t;
	o->v->n = n;
	o->v->scalar = scalar;
	o->v->table = scalar ? -1 : table;
	o->v->valid = o->valid;
	return true;
}

/* Key or readable name of table t for messages. */
static const char *
ev_table_name(RuleEval *E, int t)
{
	const char *key = E->rule->table_keys[t];

	return key != NULL ? key : "";
}

/*
 * ev_dims
 *		Length of an elementwise result of vectors a and b: a column's
 *		length, checked against the other column's.
 */
static int
ev_dims(RuleEval *E, const RuleOp *op, const RuleVec *a, const RuleVec *b, size_t *n,
		bool *scalar, int *table)
{
	if (a->scalar && b->scalar)
	{
		*n = 1;
		*scalar = true;
		*table = -1;
		return 0;
	}
	*scalar = false;
	if (a->scalar)
	{
		*n = b->n;
		*table = b->table;
		return 0;
	}
	*n = a->n;
	*table = a->table;
	if (!b->scalar && b->n != a->n)
	{
		if (a->table != b->table && a->table >= 0 && b->table >= 0)
			return ev_fail(E, op,
						   "cannot combine columns of catalogs \"%s\" (%zu rows) and \"%s\" (%zu rows)",
						   ev_table_name(E, a->table), a->n, ev_table_name(E, b->table), b->n);
		return ev_fail(E, op, "cannot combine columns of %zu and %zu rows", a->n, b->n);
	}
	return 0;
}

/* Code points of a UTF-8 string; a stray byte counts as one. */
size_t
sage_rule_utf8_count(const char *s, size_t len)
{
	size_t		n = 0;

	for (size_t i = 0; i < len; i++)
		if (((unsigned char) s[i] & 0xC0) != 0x80)
			n++;
	return n;
}

/* Decodes the code point at s[*i] (advancing); invalid bytes decode as themselves + 0x110000. */
static uint32_t
ev_utf8_next(const char *s, size_t len, size_t *i)
{
	const unsigned char *u = (const unsigned char *) s;
	unsigned char c = u[*i];
	int			need;
	uint32_t	cp;

	if (c < 0x80)
	{
		(*i)++;
		return c;
	}
	if (c >= 0xC2 && c <= 0xDF)
	{
		need = 1;
		cp = c & 0x1F;
	}
	else if (c >= 0xE0 && c <= 0xEF)
	{
		need = 2;
		cp = c & 0x0F;
	}
	else if (c >= 0xF0 && c <= 0xF4)
	{
		need = 3;
		cp = c & 0x07;
	}
	else
	{
		(*i)++;
		return 0x110000 + c;
	}
	if (*i + (size_t) need >= len)
	{
		(*i)++;
		return 0x110000 + c;
	}
	for (int k = 1; k <= need; k++)
	{
		if ((u[*i + (size_t) k] & 0xC0) != 0x80)
		{
			(*i)++;
			return 0x110000 + c;
		}
		cp = (cp << 6) | (u[*i + (size_t) k] & 0x3F);
	}
	*i += (size_t) need + 1;
	return cp;
}

/* Start of the code point that ends just before s[end]. */
static size_t
ev_utf8_prev(const char *s, size_t end)
{
	size_t		i = end - 1;
	int			k = 0;

	while (i > 0 && k < 3 && ((unsigned char) s[i] & 0xC0) == 0x80)
	{
		i--;
		k++;
	}
	/* check that it decodes to exactly [i, end) */
	{
		size_t		j = i;

		ev_utf8_next(s, end, &j);
		if (j != end)
			return end - 1;
	}
	return i;
}

/* Appends code point cp as UTF-8. */
static size_t
ev_utf8_put(char *out, uint32_t cp)
{
	if (cp >= 0x110000)
	{
		out[0] = (char) (cp - 0x110000);
		return 1;
	}
	if (cp < 0x80)
	{
		out[0] = (char) cp;
		return 1;
	}
	if (cp < 0x800)
	{
		out[0] = (char) (0xC0 | (cp >> 6));
		out[1] = (char) (0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000)
	{
		out[0] = (char) (0xE0 | (cp >> 12));
		out[1] = (char) (0x80 | ((cp >> 6) & 0x3F));
		out[2] = (char) (0x80 | (cp & 0x3F));
		return 3;
	}
	out[0] = (char) (0xF0 | (cp >> 18));
	out[1] = (char) (0x80 | ((cp >> 12) & 0x3F));
	out[2] = (char) (0x80 | ((cp >> 6) & 0x3F));
	out[3] = (char) (0x80 | (cp & 0x3F));
	return 4;
}

/* Python's str.isspace() code points. */
static bool
ev_is_space(uint32_t cp)
{
	return (cp >= 0x09 && cp <= 0x0D) || (cp >= 0x1C && cp <= 0x20) || cp == 0x85 ||
		cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 ||
		cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

/*
 * ev_case_map
 *		Lower/upper case of cp into out (up to 3 code points); returns the
 *		count. Covers ASCII, Latin-1, Latin Extended-A, Greek and Cyrillic.
 */
static int
ev_case_map(uint32_t cp, bool upper, uint32_t *out)
{
	out[0] = cp;
	if (cp < 0x80)
	{
		if (upper && cp >= 'a' && cp <= 'z')
			out[0] = cp - 32;
		else if (!upper && cp >= 'A' && cp <= 'Z')
			out[0] = cp + 32;
		return 1;
	}
	if (upper)
	{
		if (cp == 0xDF)
		{
			out[0] = 'S';
			out[1] = 'S';
			return 2;
		}
		if (cp == 0xB5)
			out[0] = 0x39C;
		else if (cp >= 0xE0 && cp <= 0xFE && cp != 0xF7)
			out[0] = cp - 32;
		else if (cp == 0xFF)
			out[0] = 0x178;
		else if (cp == 0x131)
			out[0] = 'I';
		else if (cp == 0x17F)
			out[0] = 'S';
		else if ((cp >= 0x100 && cp <= 0x137) || (cp >= 0x14A && cp <= 0x177))
			out[0] = cp & ~1u;
		else if ((cp >= 0x139 && cp <= 0x148) || (cp >= 0x179 && cp <= 0x17E))
			out[0] = (cp & 1) ? cp : cp - 1;
		else if (cp >= 0x3B1 && cp <= 0x3C9 && cp != 0x3C2)
			out[0] = cp - 32;
		else if (cp == 0x3C2)
			out[0] = 0x3A3;
		else if (cp == 0x3AC)
			out[0] = 0x386;
		else if (cp >= 0x3AD && cp <= 0x3AF)
			out[0] = cp - 37;
		else if (cp == 0x3CC)
			out[0] = 0x38C;
		else if (cp == 0x3CD || cp == 0x3CE)
			out[0] = cp - 63;
		else if (cp >= 0x430 && cp <= 0x44F)
			out[0] = cp - 32;
		else if (cp >= 0x450 && cp <= 0x45F)
			out[0] = cp - 80;
		return 1;
	}
	if (cp == 0x130)
	{
		out[0] = 'i';
		out[1] = 0x307;
		return 2;
	}
	if (cp >= 0xC0 && cp <= 0xDE && cp != 0xD7)
		out[0] = cp + 32;
	else if (cp == 0x178)
		out[0] = 0xFF;
	else if ((cp >= 0x100 && cp <= 0x137) || (cp >= 0x14A && cp <= 0x177))
		out[0] = cp | 1u;
	else if ((cp >= 0x139 && cp <= 0x148) || (cp >= 0x179 && cp <= 0x17E))
		out[0] = (cp & 1) ? cp + 1 : cp;
	else if (cp >= 0x391 && cp <= 0x3A9 && cp != 0x3A2)
		out[0] = cp + 32;
	else if (cp == 0x386)
		out[0] = 0x3AC;
	else if (cp >= 0x388 && cp <= 0x38A)
		out[0] = cp + 37;
	else if (cp == 0x38C)
		out[0] = 0x3CC;
	else if (cp == 0x38E || cp == 0x38F)
		out[0] = cp + 63;
	else if (cp >= 0x410 && cp <= 0x42F)
		out[0] = cp + 32;
	else if (cp >= 0x400 && cp <= 0x40F)
		out[0] = cp + 80;
	return 1;
}

/* Substring search (needle may be empty). */
static bool
ev_contains(const char *h, size_t hl, const char *n, size_t nl)
{
	if (nl == 0)
		return true;
	if (nl > hl)
		return false;
	for (size_t i = 0; i + nl <= hl; i++)
	{
		const char *p = memchr(h + i, n[0], hl - nl - i + 1);

		if (p == NULL)
			return false;
		i = (size_t) (p - h);
		if (memcmp(p, n, nl) == 0)
			return true;
	}
	return false;
}

/* Compares two byte strings like Python compares str (code point order). */
static int
ev_strcmp(const char *a, size_t al, const char *b, size_t bl)
{
	size_t		m = al < bl ? al : bl;
	int			c = m ? memcmp(a, b, m) : 0;

	if (c != 0)
		return c;
	return al < bl ? -1 : (al > bl ? 1 : 0);
}

/* ------------------------------------------------------------ leaves */

/* A constant as a one-element vector. */
static const RuleVec *
ev_const(RuleEval *E, const RuleOp *op)
{
	VecOut		o;
	const RuleScalar *v = &op->lit;

	if (!ev_alloc(E, &o, op->type, 1, true, -1))
	{
		ev_oom(E);
		return NULL;
	}
	o.valid[0] = v->valid;
	switch (op->type)
	{
		case RT_BOOL:
			o.b[0] = v->b;
			break;
		case RT_INT:
		case RT_DT:
			o.i[0] = v->i;
			break;
		case RT_FLOAT:
			o.f[0] = v->f;
			if (isnan(v->f))
				o.valid[0] = 0;
			break;
		case RT_STR:
			o.s[0] = v->s;
			o.len[0] = v->len;
			break;
		case RT_NONE:
			break;
	}
	return o.v;
}

/* Checks that table t can be read. */
static int
ev_table(RuleEval *E, const RuleOp *op, int t, const SageTable **out)
{
	const SageTable *T = &E->tables[t];

	if (!T->available)
	{
		if (E->rule->table_keys[t] != NULL)
			return ev_fail(E, op, "catalog \"%s\" has no data", E->rule->table_keys[t]);
		return ev_fail(E, op, "the table has no data");
	}
	*out = T;
	return 0;
}

/* A column of a table, as given (no copy). */
static const RuleVec *
ev_column(RuleEval *E, const RuleOp *op)
{
	const SageTable *T;
	const SageColumn *c;
	RuleVec    *v;
	const char *name = E->rule->col_names[op->table][op->col];

	if (ev_table(E, op, op->table, &T) < 0)
		return NULL;
	if (op->col >= T->ncols || T->cols == NULL || (T->present != NULL && !T->present[op->col]))
	{
		if (E->rule->table_keys[op->table] != NULL && E->rule->scope == SAGE_SCOPE_PACKAGE)
			ev_fail(E, op, "column \"%s\" of catalog \"%s\" is not in the file", name,
					E->rule->table_keys[op->table]);
		else
			ev_fail(E, op, "column \"%s\" is not in the file", name);
		return NULL;
	}
	c = &T->cols[op->col];
	if (c->n < T->nrows)
	{
		ev_fail(E, op, "column \"%s\" has %zu values for %zu rows", name, c->n, T->nrows);
		return NULL;
	}
	v = sage_alloc0(E->arena, sizeof(RuleVec));
	if (v == NULL)
	{
		ev_oom(E);
		return NULL;
	}
	v->type = op->type;
	v->n = T->nrows;
	v->table = op->table;
	v->valid = c->valid;
	if (v->valid == NULL)
	{
		uint8_t    *ones = sage_alloc(E->arena, v->n + 1);

		if (ones == NULL)
		{
			ev_oom(E);
			return NULL;
		}
		memset(ones, 1, v->n + 1);
		v->valid = ones;
	}
	switch (op->type)
	{
		case RT_STR:
			if (c->type != SAGE_COL_STRING || c->s == NULL)
				goto mismatch;
			v->s = c->s;
			v->len = c->slen;
			if (v->len == NULL)
			{
				uint32_t   *l = sage_alloc(E->arena, sizeof(uint32_t) * (v->n + 1));

				if (l == NULL)
				{
					ev_oom(E);
					return NULL;
				}
				for (size_t i = 0; i < v->n; i++)
					l[i] = c->s[i] ? (uint32_t) strlen(c->s[i]) : 0;
				v->len = l;
			}
			break;
		case RT_INT:
			if (c->type != SAGE_COL_INT || c->i == NULL)
				goto mismatch;
			v->i = c->i;
			break;
		case RT_FLOAT:
			if (c->type != SAGE_COL_FLOAT || c->f == NULL)
				goto mismatch;
			v->f = c->f;
			break;
		case RT_DT:
			if (c->type != SAGE_COL_DATETIME || c->t == NULL)
				goto mismatch;
			v->i = c->t;
			break;
		case RT_BOOL:
			if (c->type != SAGE_COL_BOOL || c->b == NULL)
				goto mismatch;
			v->b = c->b;
			break;
		default:
			goto mismatch;
	}
	return v;
mismatch:
	sage_error_set(E->err, SAGE_ERR_ARGUMENT,
				   "column \"%s\" does not have the type the rule was compiled for", name);
	return NULL;
}

/* A scalar repeated over the rows of a table. */
static const RuleVec *
ev_broadcast(RuleEval *E, const RuleOp *op)
{
	const RuleVec *a = ev(E, op->a);
	const SageTable *T;
	VecOut		o;
	size_t		n;

	if (a == NULL || ev_table(E, op, op->table, &T) < 0)
		return NULL;
	n = T->nrows;
	if (!ev_alloc(E, &o, a->type, n, false, op->table))
	{
		ev_oom(E);
		return NULL;
	}
	memset(o.valid, a->valid[0], n);
	for (size_t i = 0; i < n; i++)
	{
		switch (a->type)
		{
			case RT_BOOL:
				o.b[i] = a->b[0];
				break;
			case RT_INT:
			case RT_DT:
				o.i[i] = a->i[0];
				break;
			case RT_FLOAT:
				o.f[i] = a->f[0];
				break;
			case RT_STR:
				o.s[i] = a->s[0];
				o.len[i] = a->len[0];
				break;
			case RT_NONE:
				break;
		}
	}
	return o.v;
}

/* --------------------------------------------------------- conversions */

/* Writes the decimal text of v into buf (>= 21 bytes); returns the length. */
static size_t
ev_int_text(int64_t v, char *buf)
{
	char		tmp[24];
	size_t		n = 0;
	size_t		k = 0;
	uint64_t	u = v < 0 ? (uint64_t) 0 - (uint64_t) v : (uint64_t) v;

	do
	{
		tmp[n++] = (char) ('0' + u % 10);
		u /= 10;
	} while (u != 0);
	if (v < 0)
		buf[k++] = '-';
	while (n > 0)
		buf[k++] = tmp[--n];
	return k;
}

/*
 * ev_cast
 *		Conversions (astype, str()/int()/float()/bool(), pd.to_numeric,
 *		pd.to_datetime). Values that cannot be converted become missing.
 */
static const RuleVec *
ev_cast(RuleEval *E, const RuleOp *op)
{
	const RuleVec *a = ev(E, op->a);
	VecOut		o;
	size_t		n;
	RuleType	from;
	RuleType	to = op->type;
	char	   *text = NULL;

	if (a == NULL)
		return NULL;
	from = a->type;
	if (from == to && op->fmt == NULL)
		return a;
	n = a->n;
	if (!ev_alloc(E, &o, to, n, a->scalar, a->table))
	{
		ev_oom(E);
		return NULL;
	}
	if (from == RT_NONE)
	{
		memset(o.valid, 0, n);
		return o.v;
	}
	if (to == RT_STR && from != RT_BOOL)
	{
		text = sage_alloc(E->arena, n * 40 + 1);
		if (text == NULL)
		{
			ev_oom(E);
			return NULL;
		}
	}
	for (size_t i = 0; i < n; i++)
	{
		bool		ok = a->valid[i] != 0;

		if (!ok)
		{
			o.valid[i] = 0;
			switch (to)
			{
				case RT_BOOL:
					o.b[i] = 0;
					break;
				case RT_INT:
				case RT_DT:
					o.i[i] = 0;
					break;
				case RT_FLOAT:
					o.f[i] = 0;
					break;
				case RT_STR:
					o.s[i] = "";
					o.len[i] = 0;
					break;
				default:
					break;
			}
			continue;
		}
		switch (to)
		{
			case RT_FLOAT:
				{
					double		d = 0;

					if (from == RT_INT)
						d = (double) a->i[i];
					else if (from == RT_BOOL)
						d = a->b[i] ? 1.0 : 0.0;
					else if (from == RT_STR)
						ok = sage_parse_python_float(a->s[i], a->len[i], &d);
					else if (from == RT_FLOAT)
						d = a->f[i];
					o.f[i] = d;
					ok = ok && !isnan(d);
					break;
				}
			case RT_INT:
				{
					int64_t		v = 0;

					if (from == RT_FLOAT)
					{
						double		d = a->f[i];

						ok = isfinite(d) && d >= -9223372036854775808.0 &&
							d < 9223372036854775808.0;
						v = ok ? (int64_t) d : 0;
					}
					else if (from == RT_BOOL)
						v = a->b[i];
					else if (from == RT_STR)
						ok = sage_parse_python_int(a->s[i], a->len[i], &v);
					else if (from == RT_DT)
					{
						/* nanoseconds since the epoch, as pandas */
						if (a->i[i] > INT64_MAX / 1000 || a->i[i] < INT64_MIN / 1000)
							ok = false;
						else
							v = a->i[i] * 1000;
					}
					else if (from == RT_INT)
						v = a->i[i];
					o.i[i] = v;
					break;
				}
			case RT_BOOL:
				if (from == RT_INT)
					o.b[i] = a->i[i] != 0;
				else if (from == RT_FLOAT)
					o.b[i] = a->f[i] != 0;
				else if (from == RT_STR)
					o.b[i] = a->len[i] > 0;
				else
					o.b[i] = a->b[i];
				break;
			case RT_STR:
				{
					char	   *p = text + i * 40;
					size_t		l = 0;

					if (from == RT_BOOL)
					{
						o.s[i] = a->b[i] ? "True" : "False";
						o.len[i] = a->b[i] ? 4 : 5;
						break;
					}
					if (from == RT_INT)
						l = ev_int_text(a->i[i], p);
					else if (from == RT_FLOAT)
					{
						int			r = sage_format_double(a->f[i], false, p, 40);

						l = r > 0 ? (size_t) r : strlen(p);
					}
					else if (from == RT_DT)
					{
						int			r = sage_timestamp_format(a->i[i], p, 40);

						l = r > 0 ? (size_t) r : strlen(p);
					}
					else if (from == RT_STR)
					{
						o.s[i] = a->s[i];
						o.len[i] = a->len[i];
						break;
					}
					p[l] = '\0';
					o.s[i] = p;
					o.len[i] = (uint32_t) l;
					break;
				}
			case RT_DT:
				{
					SageTimestamp ts = 0;

					if (from == RT_STR)
					{
						if (op->fmt != NULL)
							ok = sage_parse_fecha_format(a->s[i], a->len[i], op->fmt, &ts);
						else
							ok = sage_parse_fecha(a->s[i], a->len[i], &ts);
					}
					else if (from == RT_INT)
					{
						/* nanoseconds since the epoch -> microseconds */
						int64_t		q = a->i[i] / 1000;

						if (a->i[i] % 1000 < 0)
							q--;
						ts = q;
					}
					else if (from == RT_FLOAT)
					{
						double		d = floor(a->f[i] / 1000.0);

						ok = isfinite(d) && fabs(d) < 9.2e18;
						ts = ok ? (int64_t) d : 0;
					}
					else if (from == RT_DT)
						ts = a->i[i];
					o.i[i] = ts;
					break;
				}
			default:
				break;
		}
		o.valid[i] = ok;
	}
	return o.v;
}

/* ---------------------------------------------------------- arithmetic */

/* Python floor division and modulo of doubles. */
static void
ev_float_divmod(double vx, double wx, double *floordiv, double *modulo)
{
	double		mod = fmod(vx, wx);
	double		div = (vx - mod) / wx;

	if (mod != 0)
	{
		if ((wx < 0) != (mod < 0))
		{
			mod += wx;
			div -= 1.0;
		}
	}
	else
		mod = copysign(0.0, wx);
	if (div != 0)
	{
		double		fd = floor(div);

		if (div - fd > 0.5)
			fd += 1.0;
		div = fd;
	}
	else
		div = copysign(0.0, vx / wx);
	*floordiv = div;
	*modulo = mod;
}

static const RuleVec *
ev_arith(RuleEval *E, const RuleOp *op)
{
	const RuleVec *a = ev(E, op->a);
	const RuleVec *b = a ? ev(E, op->b) : NULL;
	VecOut		o;
	size_t		n;
	bool		scalar;
	int			table;
	size_t		sa,
				sb;

	if (b == NULL)
		return NULL;
	if (ev_dims(E, op, a, b, &n, &scalar, &table) < 0)
		return NULL;
	if (!ev_alloc(E, &o, op->type, n, scalar, table))
	{
		ev_oom(E);
		return NULL;
	}
	sa = a->scalar ? 0 : 1;
	sb = b->scalar ? 0 : 1;
	for (size_t i = 0; i < n; i++)
		o.valid[i] = a->valid[i * sa] & b->valid[i * sb];
	if (op->type == RT_INT)
	{
		const int64_t *x = a->i;
		const int64_t *y = b->i;

		switch (op->sub)
		{
			case OPT_PLUS:
				for (size_t i = 0; i < n; i++)
					o.i[i] = (int64_t) ((uint64_t) x[i * sa] + (uint64_t) y[i * sb]);
				break;
			case OPT_MINUS:
				for (size_t i = 0; i < n; i++)
					o.i[i] = (int64_t) ((uint64_t) x[i * sa] - (uint64_t) y[i * sb]);
				break;
			case OPT_STAR:
				for (size_t i = 0; i < n; i++)
					o.i[i] = (int64_t) ((uint64_t) x[i * sa] * (uint64_t) y[i * sb]);
				break;
			case OPT_DSLASH:
			case OPT_PERCENT:
				for (size_t i = 0; i < n; i++)
				{
					int64_t		p = x[i * sa];
					int64_t		q = y[i * sb];
					int64_t		d,
								r;

					if (q == 0)
					{
						o.valid[i] = 0;
						o.i[i] = 0;
						continue;
					}
					if (q == -1)
					{
						d = (int64_t) ((uint64_t) 0 - (uint64_t) p);
						r = 0;
					}
					else
					{
						d = p / q;
						r = p % q;
						if (r != 0 && ((r < 0) != (q < 0)))
						{
							d--;
							r += q;
						}
					}
					o.i[i] = op->sub == OPT_DSLASH ? d : r;
				}
				break;
			case OPT_POW:
				for (size_t i = 0; i < n; i++)
				{
					uint64_t	base = (uint64_t) x[i * sa];
					int64_t		e = y[i * sb];
					uint64_t	r = 1;

					if (e < 0)
					{
						o.valid[i] = 0;
						o.i[i] = 0;
						continue;
					}
					while (e > 0)
					{
						if (e & 1)
							r *= base;
						base *= base;
						e >>= 1;
					}
					o.i[i] = (int64_t) r;
				}
				break;
			default:
				ev_fail(E, op, "unsupported integer operator");
				return NULL;
		}
		return o.v;
	}
	if (op->type == RT_FLOAT)
	{
		const double *x = a->f;
		const double *y = b->f;

		for (size_t i = 0; i < n; i++)
		{
			double		p = x[i * sa];
			double		q = y[i * sb];
			double		r,
						fd,
						md;

			switch (op->sub)
			{
				case OPT_PLUS:
					r = p + q;
					break;
				case OPT_MINUS:
					r = p - q;
					break;
				case OPT_STAR:
					r = p * q;
					break;
				case OPT_SLASH:
					r = p / q;
					break;
				case OPT_DSLASH:
					if (q == 0)
						r = p > 0 ? INFINITY : (p < 0 ? -INFINITY : NAN);
					else
					{
						ev_float_divmod(p, q, &fd, &md);
						r = fd;
					}
					break;
				case OPT_PERCENT:
					if (q == 0)
						r = NAN;
					else
					{
						ev_float_divmod(p, q, &fd, &md);
						r = md;
					}
					break;
				default:
					r = pow(p, q);
					break;
			}
			o.f[i] = r;
			if (isnan(r))
				o.valid[i] = 0;
		}
		return o.v;
	}
	/* string concatenation */
	for (size_t i = 0; i < n; i++)
	{
		size_t		la,
					lb;
		char	   *p;

		if (!o.valid[i])
		{
			o.s[i] = "";
			o.len[i] = 0;
			continue;
		}
		la = a->len[i * sa];
		lb = b->len[i * sb];
		if (la + lb > UINT32_MAX)
		{
			ev_fail(E, op, "string too long");
			return NULL;
		}
		p = sage_alloc(E->arena, la + lb + 1);
		if (p == NULL)
		{
			ev_oom(E);
			return NULL;
		}
		memcpy(p, a->s[i * sa], la);
		memcpy(p + la, b->s[i * sb], lb);
		p[la + lb] = '\0';
		o.s[i] = p;
		o.len[i] = (uint32_t) (la + lb);
	}
	return o.v;
}

/* -a, abs(a), round(a) */
static const RuleVec *
ev_unary_num(RuleEval *E, const RuleOp *op)
{
	const RuleVec *a = ev(E, op->a);
	VecOut		o;
	size_t		n;

	if (a == NULL)
		return NULL;
	n = a->n;
	if (!ev_alloc(E, &o, op->type, n, a->scalar, a->table))
	{
		ev_oom(E);
		return NULL;
	}
	memcpy(o.valid, a->valid, n);
	if (op->type == RT_INT)
	{
		for (size_t i = 0; i < n; i++)
		{
			int64_t		v = a->i[i];

			if (op->kind == OP_NEG || (op->kind == OP_ABS && v < 0))
				v = (int64_t) ((uint64_t) 0 - (uint64_t) v);
			else if (op->kind == OP_ROUND && op->ival < 0)
			{
				/* round half to even at 10^-ival, as numpy */
				double		p = pow(10.0, -op->ival);
				double		r = nearbyint((double) v / p) * p;

				if (!(r >= -9223372036854775808.0 && r < 9223372036854775808.0))
					o.valid[i] = 0;
				else
					v = (int64_t) r;
			}
			o.i[i] = v;
		}
		return o.v;
	}
	for (size_t i = 0; i < n; i++)
	{
		double		v = a->f[i];

		if (op->kind == OP_NEG)
			v = -v;
		else if (op->kind == OP_ABS)
			v = fabs(v);
		else
		{
			/* numpy: rint(x * 10^d) / 10^d (half to even) */
			if (op->ival >= 0)
			{
				double		p = pow(10.0, op->ival);
				double		y = v * p;

				v = isfinite(y) ? nearbyint(y) / p : v;
			}
			else
			{
				double		p = pow(10.0, -op->ival);

				v = nearbyint(v / p) * p;
			}
		}
		o.f[i] = v;
		if (isnan(v))
			o.valid[i] = 0;
	}
	return o.v;
}

/* ------------------------------------------------------- comparisons */

/* Result of comparing with sign c (<0, 0, >0) under operator op. */
static inline bool
ev_cmp_result(int op, int c)
{
	switch (op)
	{
		case OPT_EQ:
			return c == 0;
		case OPT_NE:
			return c != 0;
		case OPT_LT:
			return c < 0;
		case OPT_LE:
			return c <= 0;
		case OPT_GT:
			return c > 0;
		default:
			return c >= 0;
	}
}

#define EV_CMP_LOOP(X, Y, EXPR) \
	for (size_t i = 0; i < n; i++) \
	{ \
		bool ok = a->valid[i * sa] && b->valid[i * sb]; \
		o.b[i] = ok ? (EXPR) : miss; \
	}

static const RuleVec *
ev_cmp(RuleEval *E, const RuleOp *op)
{
	const RuleVec *a = ev(E, op->a);
	const RuleVec *b = a ? ev(E, op->b) : NULL;
	VecOut		o;
	size_t		n;
	bool		scalar;
	int			table;
	size_t		sa,
				sb;
	uint8_t		miss = op->sub == OPT_NE;

	if (b == NULL)
		return NULL;
	if (ev_dims(E, op, a, b, &n, &scalar, &table) < 0)
		return NULL;
	if (!ev_alloc(E, &o, RT_BOOL, n, scalar, table))
	{
		ev_oom(E);
		return NULL;
	}
	memset(o.valid, 1, n);
	sa = a->scalar ? 0 : 1;
	sb = b->scalar ? 0 : 1;
	if (op->ival == 1)
	{
		/* values of types that never compare equal */
		memset(o.b, miss, n);
		return o.v;
	}
	switch (a->type)
	{
		case RT_INT:
		case RT_DT:
			{
				const int64_t *x = a->i;
				const int64_t *y = b->i;

				switch (op->sub)
				{
					case OPT_EQ:
						EV_CMP_LOOP(x, y, x[i * sa] == y[i * sb]);
						break;
					case OPT_NE:
						EV_CMP_LOOP(x, y, x[i * sa] != y[i * sb]);
						break;
					case OPT_LT:
						EV_CMP_LOOP(x, y, x[i * sa] < y[i * sb]);
						break;
					case OPT_LE:
						EV_CMP_LOOP(x, y, x[i * sa] <= y[i * sb]);
						break;
					case OPT_GT:
						EV_CMP_LOOP(x, y, x[i * sa] > y[i * sb]);
						break;
					default:
						EV_CMP_LOOP(x, y, x[i * sa] >= y[i * sb]);
						break;
				}
				break;
			}
		case RT_FLOAT:
			{
				const double *x = a->f;
				const double *y = b->f;

				switch (op->sub)
				{
					case OPT_EQ:
						EV_CMP_LOOP(x, y, x[i * sa] == y[i * sb]);
						break;
					case OPT_NE:
						EV_CMP_LOOP(x, y, x[i * sa] != y[i * sb]);
						break;
					case OPT_LT:
						EV_CMP_LOOP(x, y, x[i * sa] < y[i * sb]);
						break;
					case OPT_LE:
						EV_CMP_LOOP(x, y, x[i * sa] <= y[i * sb]);
						break;
					case OPT_GT:
						EV_CMP_LOOP(x, y, x[i * sa] > y[i * sb]);
						break;
					default:
						EV_CMP_LOOP(x, y, x[i * sa] >= y[i * sb]);
						break;
				}
				break;
			}
		case RT_STR:
			EV_CMP_LOOP(a, b, ev_cmp_result(op->sub, ev_strcmp(a->s[i * sa], a->len[i * sa],
																b->s[i * sb], b->len[i * sb])));
			break;
		case RT_BOOL:
			EV_CMP_LOOP(a, b, ev_cmp_result(op->sub, (int) a->b[i * sa] - (int) b->b[i * sb]));
			break;
		default:
			memset(o.b, miss, n);
			break;
	}
	return o.v;
}

/* Three-way comparison of element i of x and element j of y (same type). */
static int
ev_cmp_elem(const RuleVec *x, size_t i, const RuleVec *y, size_t j)
{
	switch (x->type)
	{
		case RT_INT:
		case RT_DT:
			return (x->i[i] > y->i[j]) - (x->i[i] < y->i[j]);
		case RT_FLOAT:
			return (x->f[i] > y->f[j]) - (x->f[i] < y->f[j]);
		case RT_STR:
			return ev_strcmp(x->s[i], x->len[i], y->s[j], y->len[j]);
		case RT_BOOL:
			return (int) x->b[i] - (int) y->b[j];
		default:
			return 0;
	}
}

/* Length of a result combining up to three vectors. */
static int
ev_dims3(RuleEval *E, const RuleOp *op, const RuleVec *a, const RuleVec *b,
		 const RuleVec *c, size_t *n, bool *scalar, int *table)
{
	size_t		n1;
	bool		s1;
	int			t1;

	if (ev_dims(E, op, a, b, &n1, &s1, &t1) < 0)
		return -1;
	if (s1)
		return ev_dims(E, op, c, a, n, scalar, table);
	if (c->scalar)
	{
		*n = n1;
		*scalar = false;
		*table = t1;
		return 0;
	}
	if (c->n != n1)
		return ev_fail(E, op, "cannot combine columns of %zu and %zu rows", n1, c->n);
	*n = n1;
	*scalar = false;
	*table = t1;
	return 0;
}

static const RuleVec *
ev_between(RuleEval *E, const RuleOp *op)
{
	const RuleVec *x = ev(E, op->a);
	const RuleVec *lo = x ? ev(E, op->b) : NULL;
	const RuleVec *hi = lo ? ev(E, op->c) : NULL;
	VecOut		o;
	size_t		n;
	bool		scalar;
	int			table;
	size_t		sx,
				sl,
				sh;
	bool		li = (op->sub & BETWEEN_LEFT) != 0;
	bool		ri = (op->sub & BETWEEN_RIGHT) != 0;

	if (hi == NULL)
		return NULL;
	if (ev_dims3(E, op, x, lo, hi, &n, &scalar, &table) < 0)
		return NULL;
	if (!ev_alloc(E, &o, RT_BOOL, n, scalar, table))
	{
		ev_oom(E);
		return NULL;
	}
	memset(o.valid, 1, n);
	sx = x->scalar ? 0 : 1;
	sl = lo->scalar ? 0 : 1;
	sh = hi->scalar ? 0 : 1;
	if (x->type == RT_FLOAT && lo->scalar && hi->scalar)
	{
		/* the common case: a float column within constant bounds */
		double		l = lo->f[0];
		double		h = hi->f[0];
		bool		bv = lo->valid[0] && hi->valid[0];

		for (size_t i = 0; i < n; i++)
		{
			double		v = x->f[i * sx];
			bool		okl = li ? v >= l : v > l;
			bool		okh = ri ? v <= h : v < h;

			o.b[i] = bv & x->valid[i * sx] & okl & okh;
		}
		return o.v;
	}
	for (size_t i = 0; i < n; i++)
	{
		int			cl,
					ch;

		if (!x->valid[i * sx] || !lo->valid[i * sl] || !hi->valid[i * sh])
		{
			o.b[i] = 0;
			continue;
		}
		cl = ev_cmp_elem(x, i * sx, lo, i * sl);
		ch = ev_cmp_elem(x, i * sx, hi, i * sh);
		o.b[i] = (li ? cl >= 0 : cl > 0) && (ri ? ch <= 0 : ch < 0);
	}
	return o.v;
}

/* ------------------------------------------------------------- logic */

static const RuleVec *
ev_logic(RuleEval *E, const RuleOp *op)
{
	const RuleVec *a = ev(E, op->a);
	const RuleVec *b = a ? ev(E, op->b) : NULL;
	VecOut		o;
	size_t		n;
	bool		scalar;
	int			table;
	size_t		sa,
				sb;

	if (b == NULL)
		return NULL;
	if (ev_dims(E, op, a, b, &n, &scalar, &table) < 0)
		return NULL;
	if (!ev_alloc(E, &o, RT_BOOL, n, scalar, table))
	{
		ev_oom(E);
		return NULL;
	}
	sa = a->scalar ? 0 : 1;
	sb = b->scalar ? 0 : 1;
	for (size_t i = 0; i < n; i++)
	{
		uint8_t		va = a->valid[i * sa];
		uint8_t		vb = b->valid[i * sb];
		uint8_t		x = a->b[i * sa] & va;
		uint8_t		y = b->b[i * sb] & vb;

		switch (op->kind)
		{
			case OP_AND:
				/* Kleene: a known False wins */
				o.b[i] = x & y;
				o.valid[i] = (va & vb) | (va & !x) | (vb & !y);
				break;
			case OP_OR:
				o.b[i] = x | y;
				o.valid[i] = (va & vb) | x | y;
				break;
			default:
				o.b[i] = x ^ y;
				o.valid[i] = va & vb;
				break;
		}
	}
	return o.v;
}

static const RuleVec *
ev_not(RuleEval *E, const RuleOp *op)
{
	const RuleVec *a = ev(E, op->a);
	VecOut		o;

	if (a == NULL)
		return NULL;
	if (!ev_alloc(E, &o, RT_BOOL, a->n, a->scalar, a->table))
	{
		ev_oom(E);
		return NULL;
	}
	memcpy(o.valid, a->valid, a->n);
	for (size_t i = 0; i < a->n; i++)
		o.b[i] = !a->b[i];
	return o.v;
}

/* isna / notna / np.isnan */
static const RuleVec *
ev_isna(RuleEval *E, const RuleOp *op)
{
	const RuleVec *a = ev(E, op->a);
	VecOut		o;

	if (a == NULL)
		return NULL;
	if (!ev_alloc(E, &o, RT_BOOL, a->n, a->scalar, a->table))
	{
		ev_oom(E);
		return NULL;
	}
	memset(o.valid, 1, a->n);
	for (size_t i = 0; i < a->n; i++)
		o.b[i] = op->sub ? a->valid[i] != 0 : a->valid[i] == 0;
	return o.v;
}

/* Copies element j of src into element i of o. */
static inline void
ev_copy_elem(VecOut *o, size_t i, const RuleVec *src, size_t j)
{
	o->valid[i] = src->valid[j];
	switch (src->type)
	{
		case RT_BOOL:
			o->b[i] = src->b[j];
			break;
		case RT_INT:
		case RT_DT:
			o->i[i] = src->i[j];
			break;
		case RT_FLOAT:
			o->f[i] = src->f[j];
			break;
		case RT_STR:
			o->s[i] = src->s[j];
			o->len[i] = src->len[j];
			break;
		case RT_NONE:
			break;
	}
}

/* fillna, where, min/max of two */
static const RuleVec *
ev_select(RuleEval *E, const RuleOp *op)
{
	const RuleVec *a = ev(E, op->a);
	const RuleVec *b = a ? ev(E, op->b) : NULL;
	const RuleVec *c = NULL;
	VecOut		o;
	size_t		n;
	bool		scalar;
	int			table;
	size_t		sa,
				sb,
				sc = 0;

	if (b == NULL)
		return NULL;
	if (op->kind == OP_WHERE)
	{
		c = ev(E, op->c);
		if (c == NULL || ev_dims3(E, op, c, a, b, &n, &scalar, &table) < 0)
			return NULL;
		sc = c->scalar ? 0 : 1;
	}
	else if (ev_dims(E, op, a, b, &n, &scalar, &table) < 0)
		return NULL;
	if (!ev_alloc(E, &o, op->type, n, scalar, table))
	{
		ev_oom(E);
		return NULL;
	}
	sa = a->scalar ? 0 : 1;
	sb = b->scalar ? 0 : 1;
	for (size_t i = 0; i < n; i++)
	{
		bool		take_a;

		if (op->kind == OP_WHERE)
			take_a = c->valid[i * sc] && c->b[i * sc];
		else if (op->kind == OP_FILLNA)
			take_a = a->valid[i * sa] != 0;
		else
		{
			if (!a->valid[i * sa] || !b->valid[i * sb])
			{
				o.valid[i] = 0;
				ev_copy_elem(&o, i, a, i * sa);
				o.valid[i] = 0;
				continue;
			}
			take_a = op->sub ? ev_cmp_elem(a, i * sa, b, i * sb) >= 0 :
				ev_cmp_elem(a, i * sa, b, i * sb) <= 0;
		}
		if (take_a)
			ev_copy_elem(&o, i, a, i * sa);
		else
			ev_copy_elem(&o, i, b, i * sb);
	}
	return o.v;
}

/* ----------------------------------------------------------- isin */

static const RuleVec *
ev_isin(RuleEval *E, const RuleOp *op)
{
	const RuleVec *a = ev(E, op->a);
	const RuleSet *set = op->set;
	VecOut		o;
	bool		neg = op->sub != 0;

	if (a == NULL)
		return NULL;
	if (op->b != NULL)
	{
		const RuleVec *vals = ev(E, op->b);
		RuleSet    *s;

		if (vals == NULL)
			return NULL;
		s = sage_rule_set_new(E->arena, op->ival >= 0 ? (RuleKeyKind) op->ival : RK_INT,
							  vals->n);
		if (s == NULL)
		{
			ev_oom(E);
			return NULL;
		}
		for (size_t i = 0; i < vals->n; i++)
		{
			if (!vals->valid[i])
				s->has_missing = true;
			else if (op->ival >= 0 && sage_rule_set_add(E->arena, s, vals, i) < 0)
			{
				ev_oom(E);
				return NULL;
			}
		}
		set = s;
	}
	if (!ev_alloc(E, &o, RT_BOOL, a->n, a->scalar, a->table))
	{
		ev_oom(E);
		return NULL;
	}
	memset(o.valid, 1, a->n);
	for (size_t i = 0; i < a->n; i++)
		o.b[i] = sage_rule_set_contains(set, a, i) != neg;
	return o.v;
}

/* ---------------------------------------------------------- strings */

/* The per-op matcher of a regex op, created on first use. */
static SageRegexMatcher *
ev_matcher(RuleEval *E, const RuleOp *op)
{
	if (E->matchers[op->id] == NULL)
	{
		E->matchers[op->id] = sage_regex_matcher_new(E->arena, op->re);
		if (E->matchers[op->id] == NULL)
			ev_oom(E);
	}
	return E->matchers[op->id];
}

/* Sets element i of a string-predicate result for a missing input. */
static inline void
ev_na(VecOut *o, size_t i, const RuleScalar *na)
{
	o->valid[i] = na->valid;
	o->b[i] = na->valid && na->b;
}

static const RuleVec *
ev_regex(RuleEval *E, const RuleOp *op)
{
	const RuleVec *a = ev(E, op->a);
	SageRegexMatcher *m;
	VecOut		o;

	if (a == NULL || (m = ev_matcher(E, op)) == NULL)
		return NULL;
	if (!ev_alloc(E, &o, RT_BOOL, a->n, a->scalar, a->table))
	{
		ev_oom(E);
		return NULL;
	}
	for (size_t i = 0; i < a->n; i++)
	{
		int			rc;

		if (!a->valid[i])
		{
			ev_na(&o, i, &op->lit);
			continue;
		}
		rc = sage_regex_match(m, a->s[i], a->len[i], E->err);
		if (rc < 0)
		{
			char		msg[sizeof(E->err->message)];

			memcpy(msg, E->err->message, sizeof(msg));
			ev_fail(E, op, "%s", msg);
			sage_error_hint(E->err, "Simplify the pattern: nested repetitions such as (a+)+ backtrack exponentially.");
			return NULL;
		}
		o.valid[i] = 1;
		o.b[i] = (uint8_t) rc;
	}
	return o.v;
}

static const RuleVec *
ev_starts(RuleEval *E, const RuleOp *op)
{
	const RuleVec *a = ev(E, op->a);
	const RuleSet *set = op->set;
	VecOut		o;

	if (a == NULL)
		return NULL;
	if (!ev_alloc(E, &o, RT_BOOL, a->n, a->scalar, a->table))
	{
		ev_oom(E);
		return NULL;
	}
	for (size_t i = 0; i < a->n; i++)
	{
		bool		hit = false;

		if (!a->valid[i])
		{
			ev_na(&o, i, &op->lit);
			continue;
		}
		for (size_t k = 0; k < set->nitems && !hit; k++)
		{
			uint32_t	pl = set->item_lens[k];

			if (pl > a->len[i])
				continue;
			hit = memcmp(op->sub ? a->s[i] + a->len[i] - pl : a->s[i], set->items[k], pl) == 0;
		}
		o.valid[i] = 1;
		o.b[i] = hit;
	}
	return o.v;
}

static const RuleVec *
ev_substr(RuleEval *E, const RuleOp *op)
{
	const RuleVec *h = ev(E, op->a);
	const RuleVec *nd = h ? ev(E, op->b) : NULL;
	VecOut		o;
	size_t		n;
	bool		scalar;
	int			table;
	size_t		sh,
				sn;

	if (nd == NULL || ev_dims(E, op, h, nd, &n, &scalar, &table) < 0)
		return NULL;
	if (!ev_alloc(E, &o, RT_BOOL, n, scalar, table))
	{
		ev_oom(E);
		return NULL;
	}
	sh = h->scalar ? 0 : 1;
	sn = nd->scalar ? 0 : 1;
	for (size_t i = 0; i < n; i++)
	{
		o.valid[i] = h->valid[i * sh] & nd->valid[i * sn];
		o.b[i] = o.valid[i] && ev_contains(h->s[i * sh], h->len[i * sh], nd->s[i * sn],
										   nd->len[i * sn]);
	}
	return o.v;
}

static const RuleVec *
ev_strlen(RuleEval *E, const RuleOp *op)
{
	const RuleVec *a = ev(E, op->a);
	VecOut		o;

	if (a == NULL)
		return NULL;
	if (!ev_alloc(E, &o, RT_INT, a->n, a->scalar, a->table))
	{
		ev_oom(E);
		return NULL;
	}
	memcpy(o.valid, a->valid, a->n);
	for (size_t i = 0; i < a->n; i++)
		o.i[i] = a->valid[i] ? (int64_t) sage_rule_utf8_count(a->s[i], a->len[i]) : 0;
	return o.v;
}

/* True when cp is one of the characters to strip (chars NULL: whitespace). */
static bool
ev_strip_member(uint32_t cp, const RuleScalar *chars)
{
	size_t		k = 0;

	if (!chars->valid)
		return ev_is_space(cp);
	while (k < chars->len)
		if (ev_utf8_next(chars->s, chars->len, &k) == cp)
			return true;
	return false;
}

static const RuleVec *
ev_strip(RuleEval *E, const RuleOp *op)
{
	const RuleVec *a = ev(E, op->a);
	VecOut		o;

	if (a == NULL)
		return NULL;
	if (!ev_alloc(E, &o, RT_STR, a->n, a->scalar, a->table))
	{
		ev_oom(E);
		return NULL;
	}
	memcpy(o.valid, a->valid, a->n);
	for (size_t i = 0; i < a->n; i++)
	{
		const char *s = a->s[i];
		size_t		start = 0;
		size_t		end = a->valid[i] ? a->len[i] : 0;

		if (op->sub & 1)
		{
			while (start < end)
			{
				size_t		k = start;
				uint32_t	cp = ev_utf8_next(s, end, &k);

				if (!ev_strip_member(cp, &op->lit))
					break;
				start = k;
			}
		}
		if (op->sub & 2)
		{
			while (end > start)
			{
				size_t		p = ev_utf8_prev(s, end);
				size_t		k = p;
				uint32_t	cp = ev_utf8_next(s, end, &k);

				if (p < start || !ev_strip_member(cp, &op->lit))
					break;
				end = p;
			}
		}
		o.s[i] = a->valid[i] ? s + start : "";
		o.len[i] = (uint32_t) (end - start);
	}
	return o.v;
}

static const RuleVec *
ev_case(RuleEval *E, const RuleOp *op)
{
	const RuleVec *a = ev(E, op->a);
	VecOut		o;
	bool		upper = op->sub == 1;

	if (a == NULL)
		return NULL;
	if (!ev_alloc(E, &o, RT_STR, a->n, a->scalar, a->table))
	{
		ev_oom(E);
		return NULL;
	}
	memcpy(o.valid, a->valid, a->n);
	for (size_t i = 0; i < a->n; i++)
	{
		const char *s = a->s[i];
		size_t		len = a->len[i];
		char	   *p;
		size_t		k = 0,
					w = 0;
		bool		ascii = true;

		if (!a->valid[i])
		{
			o.s[i] = "";
			o.len[i] = 0;
			continue;
		}
		for (size_t j = 0; j < len; j++)
			if ((unsigned char) s[j] >= 0x80)
				ascii = false;
		/* a mapping at most doubles the bytes (ß -> SS, İ -> i + U+0307) */
		p = sage_alloc(E->arena, ascii ? len + 1 : len * 3 + 1);
		if (p == NULL)
		{
			ev_oom(E);
			return NULL;
		}
		if (ascii)
		{
			for (size_t j = 0; j < len; j++)
			{
				char		c = s[j];

				if (upper && c >= 'a' && c <= 'z')
					c = (char) (c - 32);
				else if (!upper && c >= 'A' && c <= 'Z')
					c = (char) (c + 32);
				p[j] = c;
			}
			w = len;
		}
		else
		{
			while (k < len)
			{
				uint32_t	m[3];
				int			nm = ev_case_map(ev_utf8_next(s, len, &k), upper, m);

				for (int q = 0; q < nm; q++)
					w += ev_utf8_put(p + w, m[q]);
			}
		}
		p[w] = '\0';
		o.s[i] = p;
		o.len[i] = (uint32_t) w;
	}
	return o.v;
}

/* Literal replace of every occurrence (Python str.replace). */
static const RuleVec *
ev_replace(RuleEval *E, const RuleOp *op)
{
	const RuleVec *a = ev(E, op->a);
	VecOut		o;
	const char *pat = op->lit.s;
	size_t		pl = op->lit.len;
	const char *rep = op->lit2.s;
	size_t		rl = op->lit2.len;

	if (a == NULL)
		return NULL;
	if (!ev_alloc(E, &o, RT_STR, a->n, a->scalar, a->table))
	{
		ev_oom(E);
		return NULL;
	}
	memcpy(o.valid, a->valid, a->n);
	for (size_t i = 0; i < a->n; i++)
	{
		const char *s = a->s[i];
		size_t		len = a->len[i];
		size_t		count = 0;
		size_t		outlen;
		char	   *p;
		size_t		w = 0;

		if (!a->valid[i])
		{
			o.s[i] = "";
			o.len[i] = 0;
			continue;
		}
		if (pl == 0)
			count = sage_rule_utf8_count(s, len) + 1;
		else
			for (size_t j = 0; j + pl <= len;)
			{
				if (memcmp(s + j, pat, pl) == 0)
				{
					count++;
					j += pl;
				}
				else
					j++;
			}
		if (count == 0)
		{
			o.s[i] = s;
			o.len[i] = (uint32_t) len;
			continue;
		}
		outlen = len + count * rl - (pl == 0 ? 0 : count * pl);
		if (outlen > UINT32_MAX)
		{
			ev_fail(E, op, "string too long");
			return NULL;
		}
		p = sage_alloc(E->arena, outlen + 1);
		if (p == NULL)
		{
			ev_oom(E);
			return NULL;
		}
		if (pl == 0)
		{
			size_t		j = 0;

			memcpy(p, rep, rl);
			w = rl;
			while (j < len)
			{
				size_t		k = j;

				ev_utf8_next(s, len, &k);
				memcpy(p + w, s + j, k - j);
				w += k - j;
				memcpy(p + w, rep, rl);
				w += rl;
				j = k;
			}
		}
		else
		{
			size_t		j = 0;

			while (j < len)
			{
				if (j + pl <= len && memcmp(s + j, pat, pl) == 0)
				{
					memcpy(p + w, rep, rl);
					w += rl;
					j += pl;
				}
				else
					p[w++] = s[j++];
			}
		}
		p[w] = '\0';
		o.s[i] = p;
		o.len[i] = (uint32_t) w;
	}
	return o.v;
}

static const RuleVec *
ev_regex_replace(RuleEval *E, const RuleOp *op)
{
	const RuleVec *a = ev(E, op->a);
	SageRegexMatcher *m;
	VecOut		o;

	if (a == NULL || (m = ev_matcher(E, op)) == NULL)
		return NULL;
	if (!ev_alloc(E, &o, RT_STR, a->n, a->scalar, a->table))
	{
		ev_oom(E);
		return NULL;
	}
	memcpy(o.valid, a->valid, a->n);
	for (size_t i = 0; i < a->n; i++)
	{
		const char *out;
		size_t		outlen;

		if (!a->valid[i])
		{
			o.s[i] = "";
			o.len[i] = 0;
			continue;
		}
		if (sage_regex_replace(m, E->arena, a->s[i], a->len[i], op->lit2.s, op->lit2.len,
							   &out, &outlen, E->err) < 0)
		{
			char		msg[sizeof(E->err->message)];

			if (E->err->code == SAGE_ERR_MEMORY)
				return NULL;
			memcpy(msg, E->err->message, sizeof(msg));
			ev_fail(E, op, "%s", msg);
			return NULL;
		}
		if (outlen > UINT32_MAX)
		{
			ev_fail(E, op, "string too long");
			return NULL;
		}
		o.s[i] = out;
		o.len[i] = (uint32_t) outlen;
	}
	return o.v;
}

/* ------------------------------------------------- slices and splits */

/*
 * ev_slice_bounds
 *		Python's slice.indices() over len code points: the first index
 *		taken (*first) and how many are taken with the step of op.
 */
static int64_t
ev_slice_bounds(const RuleOp *op, int64_t len, int64_t *first)
{
	int64_t		step = op->ival;
	int64_t		start,
				stop;

	if (op->lit.valid)
	{
		start = op->lit.i;
		if (start < 0)
		{
			start += len;
			if (start < 0)
				start = step < 0 ? -1 : 0;
		}
		else if (start >= len)
			start = step < 0 ? len - 1 : len;
	}
	else
		start = step < 0 ? len - 1 : 0;
	if (op->lit2.valid)
	{
		stop = op->lit2.i;
		if (stop < 0)
		{
			stop += len;
			if (stop < 0)
				stop = step < 0 ? -1 : 0;
		}
		else if (stop >= len)
			stop = step < 0 ? len - 1 : len;
	}
	else
		stop = step < 0 ? -1 : len;
	*first = start;
	if (step > 0)
		return stop > start ? (stop - start - 1) / step + 1 : 0;
	return start > stop ? (start - stop - 1) / (-step) + 1 : 0;
}

/*
 * ev_strslice
 *		.str[i], .str.get(i), .str[a:b:c] and .str.slice(): code points of
 *		each string with Python's rules. An index out of range gives a
 *		missing value (pandas gives NaN); a slice clamps. Step 1 and single
 *		characters point into the input; other steps copy.
 */
static const RuleVec *
ev_strslice(RuleEval *E, const RuleOp *op)
{
	const RuleVec *a = ev(E, op->a);
	VecOut		o;
	size_t		maxlen = 0;
	size_t	   *offs;

	if (a == NULL)
		return NULL;
	if (!ev_alloc(E, &o, RT_STR, a->n, a->scalar, a->table))
	{
		ev_oom(E);
		return NULL;
	}
	for (size_t i = 0; i < a->n; i++)
		if (a->valid[i] && a->len[i] > maxlen)
			maxlen = a->len[i];
	offs = sage_alloc(E->arena, sizeof(size_t) * (maxlen + 2));
	if (offs == NULL)
	{
		ev_oom(E);
		return NULL;
	}
	for (size_t i = 0; i < a->n; i++)
	{
		const char *s = a->s[i];
		size_t		len = a->len[i];
		int64_t		ncp = 0;
		int64_t		first;
		int64_t		count;
		size_t		k = 0;

		o.s[i] = "";
		o.len[i] = 0;
		o.valid[i] = a->valid[i];
		if (!a->valid[i])
			continue;
		while (k < len)
		{
			offs[ncp++] = k;
			ev_utf8_next(s, len, &k);
		}
		offs[ncp] = len;
		if (op->sub == 1)
		{
			first = op->lit.i < 0 ? op->lit.i + ncp : op->lit.i;
			if (first < 0 || first >= ncp)
			{
				o.valid[i] = 0;
				continue;
			}
			count = 1;
		}
		else
			count = ev_slice_bounds(op, ncp, &first);
		if (count == 0)
			continue;
		if (op->sub == 1 || op->ival == 1)
		{
			o.s[i] = s + offs[first];
			o.len[i] = (uint32_t) (offs[first + count] - offs[first]);
		}
		else
		{
			size_t		bytes = 0;
			char	   *buf;
			int64_t		c = first;

			for (int64_t q = 0; q < count; q++, c += op->ival)
				bytes += offs[c + 1] - offs[c];
			buf = sage_alloc(E->arena, bytes + 1);
			if (buf == NULL)
			{
				ev_oom(E);
				return NULL;
			}
			bytes = 0;
			c = first;
			for (int64_t q = 0; q < count; q++, c += op->ival)
			{
				memcpy(buf + bytes, s + offs[c], offs[c + 1] - offs[c]);
				bytes += offs[c + 1] - offs[c];
			}
			o.s[i] = buf;
			o.len[i] = (uint32_t) bytes;
		}
	}
	return o.v;
}

/* Iterator over the parts of one string split by OP_SPLIT's rules. */
typedef struct SplitIter
{
	const char *s;				/* the string */
	size_t		len;			/* its length */
	const char *sep;			/* separator, NULL: runs of whitespace */
	size_t		seplen;
	int64_t		maxsplit;		/* -1: no limit */
	bool		right;			/* rsplit: parts come from the end */
	size_t		pos;			/* left: next byte to scan; right: end of what is left */
	int64_t		nsplit;			/* splits made */
	bool		done;			/* no part left */
} SplitIter;

static void
ev_split_init(SplitIter *it, const RuleOp *op, const char *s, size_t len)
{
	it->s = s;
	it->len = len;
	it->sep = op->lit.valid ? op->lit.s : NULL;
	it->seplen = op->lit.valid ? op->lit.len : 0;
	it->maxsplit = op->ival;
	it->right = (op->flags & RULE_SPLIT_RIGHT) != 0;
	it->pos = it->right ? len : 0;
	it->nsplit = 0;
	it->done = false;
}

/* Offset of the first (last when right) separator inside [from, to), or -1. */
static int64_t
ev_split_find(const SplitIter *it, size_t from, size_t to)
{
	if (to - from < it->seplen)
		return -1;
	if (!it->right)
	{
		for (size_t i = from; i + it->seplen <= to; i++)
			if (it->s[i] == it->sep[0] && memcmp(it->s + i, it->sep, it->seplen) == 0)
				return (int64_t) i;
		return -1;
	}
	for (size_t i = to - it->seplen + 1; i-- > from;)
		if (it->s[i] == it->sep[0] && memcmp(it->s + i, it->sep, it->seplen) == 0)
			return (int64_t) i;
	return -1;
}

/* Whether the code point at byte k (before byte k when back) is whitespace; *next moves over it. */
static bool
ev_split_space(const SplitIter *it, size_t k, bool back, size_t *next)
{
	size_t		p = back ? ev_utf8_prev(it->s, k) : k;
	size_t		q = p;
	uint32_t	cp = ev_utf8_next(it->s, it->len, &q);

	*next = back ? p : q;
	return ev_is_space(cp);
}

/*
 * ev_split_next
 *		The next part [*ps, *pe) (from the left, or from the right for
 *		rsplit); false when there is none. Follows CPython's str.split and
 *		str.rsplit, including maxsplit and the whitespace rules.
 */
static bool
ev_split_next(SplitIter *it, size_t *ps, size_t *pe)
{
	bool		more = it->maxsplit < 0 || it->nsplit < it->maxsplit;
	size_t		nx;

	if (it->done)
		return false;
	if (it->sep != NULL)
	{
		int64_t		f = more ? (it->right ? ev_split_find(it, 0, it->pos) :
								ev_split_find(it, it->pos, it->len)) : -1;

		if (f < 0)
		{
			*ps = it->right ? 0 : it->pos;
			*pe = it->right ? it->pos : it->len;
			it->done = true;
			return true;
		}
		it->nsplit++;
		if (it->right)
		{
			*ps = (size_t) f + it->seplen;
			*pe = it->pos;
			it->pos = (size_t) f;
		}
		else
		{
			*ps = it->pos;
			*pe = (size_t) f;
			it->pos = (size_t) f + it->seplen;
		}
		return true;
	}
	if (!it->right)
	{
		while (it->pos < it->len && ev_split_space(it, it->pos, false, &nx))
			it->pos = nx;
		if (it->pos == it->len)
		{
			it->done = true;
			return false;
		}
		*ps = it->pos;
		if (!more)
		{
			*pe = it->len;
			it->done = true;
			return true;
		}
		while (it->pos < it->len && !ev_split_space(it, it->pos, false, &nx))
			it->pos = nx;
		*pe = it->pos;
		it->nsplit++;
		return true;
	}
	while (it->pos > 0 && ev_split_space(it, it->pos, true, &nx))
		it->pos = nx;
	if (it->pos == 0)
	{
		it->done = true;
		return false;
	}
	*pe = it->pos;
	if (!more)
	{
		*ps = 0;
		it->done = true;
		return true;
	}
	while (it->pos > 0 && !ev_split_space(it, it->pos, true, &nx))
		it->pos = nx;
	*ps = it->pos;
	it->nsplit++;
	return true;
}

/*
 * ev_split
 *		One part of each string's split (sub 0, index lit2, negative from
 *		the end, missing when out of range) or the number of parts (sub 1).
 *		The parts point into the input; nothing is copied.
 */
static const RuleVec *
ev_split(RuleEval *E, const RuleOp *op)
{
	const RuleVec *a = ev(E, op->a);
	VecOut		o;

	if (a == NULL)
		return NULL;
	if (!ev_alloc(E, &o, op->sub == 1 ? RT_INT : RT_STR, a->n, a->scalar, a->table))
	{
		ev_oom(E);
		return NULL;
	}
	for (size_t i = 0; i < a->n; i++)
	{
		SplitIter	it;
		size_t		ps,
					pe;
		int64_t		count = 0;
		int64_t		k;

		o.valid[i] = a->valid[i];
		if (op->sub == 1)
			o.i[i] = 0;
		else
		{
			o.s[i] = "";
			o.len[i] = 0;
		}
		if (!a->valid[i])
			continue;
		k = op->lit2.i;
		if (op->sub == 1 || k < 0 || (op->flags & RULE_SPLIT_RIGHT) != 0)
		{
			ev_split_init(&it, op, a->s[i], a->len[i]);
			while (ev_split_next(&it, &ps, &pe))
				count++;
			if (op->sub == 1)
			{
				o.i[i] = count;
				continue;
			}
		}
		ev_split_init(&it, op, a->s[i], a->len[i]);
		if (k < 0)
			k += count;
		if (k < 0 || (count > 0 && k >= count))
		{
			o.valid[i] = 0;
			continue;
		}
		/* rsplit gives its parts from the end: part k from the left is count-1-k from the right */
		if (it.right)
			k = count - 1 - k;
		for (;;)
		{
			if (!ev_split_next(&it, &ps, &pe))
			{
				o.valid[i] = 0;
				break;
			}
			if (k-- == 0)
			{
				o.s[i] = a->s[i] + ps;
				o.len[i] = (uint32_t) (pe - ps);
				break;
			}
		}
	}
	return o.v;
}

/* --------------------------------------------------------- datetimes */

static const RuleVec *
ev_dtfield(RuleEval *E, const RuleOp *op)
{
	const RuleVec *a = ev(E, op->a);
	VecOut		o;

	if (a == NULL)
		return NULL;
	if (!ev_alloc(E, &o, RT_INT, a->n, a->scalar, a->table))
	{
		ev_oom(E);
		return NULL;
	}
	memcpy(o.valid, a->valid, a->n);
	for (size_t i = 0; i < a->n; i++)
	{
		int			y,
					mo,
					d,
					h,
					mi,
					s,
					us;
		int64_t		v = 0;

		if (!a->valid[i])
		{
			o.i[i] = 0;
			continue;
		}
		if (op->sub == DTF_DAYOFWEEK)
		{
			o.i[i] = sage_timestamp_dayofweek(a->i[i]);
			continue;
		}
		sage_timestamp_to_civil(a->i[i], &y, &mo, &d, &h, &mi, &s, &us);
		switch (op->sub)
		{
			case DTF_YEAR:
				v = y;
				break;
			case DTF_MONTH:
				v = mo;
				break;
			case DTF_DAY:
				v = d;
				break;
			case DTF_HOUR:
				v = h;
				break;
			case DTF_MINUTE:
				v = mi;
				break;
			case DTF_SECOND:
				v = s;
				break;
			case DTF_QUARTER:
				v = (mo - 1) / 3 + 1;
				break;
			case DTF_DAYOFYEAR:
				{
					SageTimestamp jan1 = sage_timestamp_from_civil(y, 1, 1, 0, 0, 0, 0);
					SageTimestamp day = sage_timestamp_from_civil(y, mo, d, 0, 0, 0, 0);

					v = (day - jan1) / INT64_C(86400000000) + 1;
					break;
				}
			default:
				break;
		}
		o.i[i] = v;
	}
	return o.v;
}

/* ------------------------------------------------------ whole columns */

/*
 * ev_row_keys
 *		One byte string per row encoding the values of the columns of a
 *		df.duplicated(subset=...) (type-tagged, length-prefixed, so two
 *		keys are equal exactly when every value is): missing values equal
 *		each other, -0.0 equals 0.0, as in pandas.
 */
static const RuleVec *
ev_row_keys(RuleEval *E, const RuleOp *op)
{
	const RuleVec **cols = sage_alloc(E->arena, sizeof(RuleVec *) * (size_t) op->nitems);
	VecOut		o;
	size_t		n = 0;
	size_t		total = 0;
	char	   *buf;

	if (cols == NULL)
	{
		ev_oom(E);
		return NULL;
	}
	for (int c = 0; c < op->nitems; c++)
	{
		cols[c] = ev(E, op->items[c]);
		if (cols[c] == NULL)
			return NULL;
		if (c > 0 && cols[c]->n != n)
		{
			ev_fail(E, op, "cannot combine columns of %zu and %zu rows", n, cols[c]->n);
			return NULL;
		}
		n = cols[c]->n;
		for (size_t i = 0; i < n; i++)
		{
			size_t		w = 1;

			if (cols[c]->valid[i])
				w += cols[c]->type == RT_STR ? 4 + (size_t) cols[c]->len[i] :
					cols[c]->type == RT_BOOL ? 1 : 8;
			if (total > SIZE_MAX - w)
			{
				ev_oom(E);
				return NULL;
			}
			total += w;
		}
	}
	if (!ev_alloc(E, &o, RT_STR, n, false, op->table) ||
		(buf = sage_alloc(E->arena, total + 1)) == NULL)
	{
		ev_oom(E);
		return NULL;
	}
	memset(o.valid, 1, n);
	for (size_t i = 0; i < n; i++)
	{
		char	   *p = buf;

		for (int c = 0; c < op->nitems; c++)
		{
			const RuleVec *v = cols[c];
			double		f;

			if (!v->valid[i] || (v->type == RT_FLOAT && isnan(v->f[i])))
			{
				*p++ = 0;
				continue;
			}
			*p++ = 1;
			switch (v->type)
			{
				case RT_STR:
					memcpy(p, &v->len[i], 4);
					memcpy(p + 4, v->s[i], v->len[i]);
					p += 4 + v->len[i];
					break;
				case RT_BOOL:
					*p++ = (char) v->b[i];
					break;
				case RT_FLOAT:
					f = v->f[i] == 0.0 ? 0.0 : v->f[i];
					memcpy(p, &f, 8);
					p += 8;
					break;
				default:
					memcpy(p, &v->i[i], 8);
					p += 8;
					break;
			}
		}
		if ((size_t) (p - buf) > UINT32_MAX)
		{
			ev_fail(E, op, "the values of row %zu are too long to compare", i + 1);
			return NULL;
		}
		o.s[i] = buf;
		o.len[i] = (uint32_t) (p - buf);
		buf = p;
	}
	return o.v;
}

/* duplicated(keep=...), of a column or of the rows of a table (subset columns in items) */
static const RuleVec *
ev_duplicated(RuleEval *E, const RuleOp *op)
{
	const RuleVec *a = op->nitems == 0 ? ev(E, op->a) :
		op->nitems == 1 ? ev(E, op->items[0]) : ev_row_keys(E, op);
	VecOut		o;
	RuleKeyKind kind;
	size_t		n;

	if (a == NULL)
		return NULL;
	n = a->n;
	kind = a->type == RT_STR ? RK_STR : (a->type == RT_FLOAT ? RK_FLOAT : RK_INT);
	if (!ev_alloc(E, &o, RT_BOOL, n, a->scalar, a->table))
	{
		ev_oom(E);
		return NULL;
	}
	memset(o.valid, 1, n);
	memset(o.b, 0, n);
	for (int pass = 0; pass < 2; pass++)
	{
		RuleSet    *set;
		bool		reverse = pass == 1;

		if ((op->sub == 0 && pass == 1) || (op->sub == 1 && pass == 0))
			continue;
		set = sage_rule_set_new(E->arena, kind, n);
		if (set == NULL)
		{
			ev_oom(E);
			return NULL;
		}
		for (size_t k = 0; k < n; k++)
		{
			size_t		i = reverse ? n - 1 - k : k;
			int			r = sage_rule_set_add(E->arena, set, a, i);

			if (r < 0)
			{
				ev_oom(E);
				return NULL;
			}
			if (r == 0)
				o.b[i] = 1;
		}
	}
	return o.v;
}

static const RuleVec *
ev_agg(RuleEval *E, const RuleOp *op)
{
	const RuleVec *a = ev(E, op->a);
	VecOut		o;
	size_t		n;
	size_t		count = 0;

	if (a == NULL)
		return NULL;
	n = a->n;
	if (!ev_alloc(E, &o, op->type, 1, true, -1))
	{
		ev_oom(E);
		return NULL;
	}
	o.valid[0] = 1;
	switch (op->sub)
	{
		case AGG_SIZE:
			o.i[0] = (int64_t) n;
			break;
		case AGG_COUNT:
			for (size_t i = 0; i < n; i++)
				count += a->valid[i] != 0;
			o.i[0] = (int64_t) count;
			break;
		case AGG_SUM:
			if (a->type == RT_INT)
			{
				uint64_t	s = 0;

				for (size_t i = 0; i < n; i++)
					if (a->valid[i])
						s += (uint64_t) a->i[i];
				o.i[0] = (int64_t) s;
			}
			else
			{
				double		s = 0;

				for (size_t i = 0; i < n; i++)
					if (a->valid[i])
						s += a->f[i];
				o.f[0] = s;
				if (isnan(s))
					o.valid[0] = 0;
			}
			break;
		case AGG_MEAN:
			{
				double		s = 0;

				for (size_t i = 0; i < n; i++)
					if (a->valid[i])
					{
						s += a->f[i];
						count++;
					}
				o.f[0] = count ? s / (double) count : 0;
				o.valid[0] = count > 0 && !isnan(o.f[0]);
				break;
			}
		case AGG_MIN:
		case AGG_MAX:
			{
				size_t		best = n;

				for (size_t i = 0; i < n; i++)
				{
					int			c;

					if (!a->valid[i])
						continue;
					if (best == n)
					{
						best = i;
						continue;
					}
					c = ev_cmp_elem(a, i, a, best);
					if ((op->sub == AGG_MIN && c < 0) || (op->sub == AGG_MAX && c > 0))
						best = i;
				}
				if (best == n)
				{
					/* nothing to compare: a missing value */
					if (o.b)
						o.b[0] = 0;
					if (o.i)
						o.i[0] = 0;
					if (o.f)
						o.f[0] = 0;
					if (o.s)
					{
						o.s[0] = "";
						o.len[0] = 0;
					}
					o.valid[0] = 0;
				}
				else
					ev_copy_elem(&o, 0, a, best);
				break;
			}
		case AGG_NUNIQUE:
		case AGG_IS_UNIQUE:
			{
				RuleKeyKind kind = a->type == RT_STR ? RK_STR :
					(a->type == RT_FLOAT ? RK_FLOAT : RK_INT);
				RuleSet    *set = sage_rule_set_new(E->arena, kind, n);
				bool		unique = true;

				if (set == NULL)
				{
					ev_oom(E);
					return NULL;
				}
				for (size_t i = 0; i < n; i++)
				{
					int			r = sage_rule_set_add(E->arena, set, a, i);

					if (r < 0)
					{
						ev_oom(E);
						return NULL;
					}
					if (r == 0)
						unique = false;
				}
				if (op->sub == AGG_NUNIQUE)
					o.i[0] = (int64_t) set->count;
				else
					o.b[0] = unique;
				break;
			}
		case AGG_ALL:
		case AGG_ANY:
			{
				bool		all = true;
				bool		any = false;

				for (size_t i = 0; i < n; i++)
				{
					bool		t;

					if (!a->valid[i])
						continue;
					switch (a->type)
					{
						case RT_BOOL:
							t = a->b[i] != 0;
							break;
						case RT_INT:
							t = a->i[i] != 0;
							break;
						case RT_FLOAT:
							t = a->f[i] != 0;
							break;
						case RT_STR:
							t = a->len[i] > 0;
							break;
						default:
							t = true;
							break;
					}
					all = all && t;
					any = any || t;
				}
				o.b[0] = op->sub == AGG_ALL ? all : any;
				break;
			}
		default:
			ev_fail(E, op, "unsupported aggregate");
			return NULL;
	}
	return o.v;
}

/* Row/column counts (len(df), df.shape, len(df.columns), len(df) of a package). */
static const RuleVec *
ev_count(RuleEval *E, const RuleOp *op)
{
	VecOut		o;
	const SageTable *T;

	if (!ev_alloc(E, &o, RT_INT, 1, true, -1))
	{
		ev_oom(E);
		return NULL;
	}
	o.valid[0] = 1;
	if (op->kind == OP_NTABLES)
	{
		o.i[0] = E->ntables;
		return o.v;
	}
	if (ev_table(E, op, op->col, &T) < 0)
		return NULL;
	o.i[0] = op->kind == OP_NROWS ? (int64_t) T->nrows : (int64_t) T->file_columns;
	return o.v;
}

/* ---------------------------------------------------------- dispatch */

static const RuleVec *
ev(RuleEval *E, const RuleOp *op)
{
	const RuleVec *r;

	if (E->memo[op->id] != NULL)
		return E->memo[op->id];
	switch (op->kind)
	{
		case OP_CONST:
			r = ev_const(E, op);
			break;
		case OP_COLUMN:
			r = ev_column(E, op);
			break;
		case OP_NROWS:
		case OP_NCOLS:
		case OP_NTABLES:
			r = ev_count(E, op);
			break;
		case OP_CAST:
			r = ev_cast(E, op);
			break;
		case OP_NEG:
		case OP_ABS:
		case OP_ROUND:
			r = ev_unary_num(E, op);
			break;
		case OP_NOT:
			r = ev_not(E, op);
			break;
		case OP_ARITH:
			r = ev_arith(E, op);
			break;
		case OP_CMP:
			r = ev_cmp(E, op);
			break;
		case OP_AND:
		case OP_OR:
		case OP_XOR:
			r = ev_logic(E, op);
			break;
		case OP_ISNA:
		case OP_ISNAN:
			r = ev_isna(E, op);
			break;
		case OP_FILLNA:
		case OP_WHERE:
		case OP_MINMAX2:
			r = ev_select(E, op);
			break;
		case OP_ISIN:
			r = ev_isin(E, op);
			break;
		case OP_BETWEEN:
			r = ev_between(E, op);
			break;
		case OP_REGEX:
			r = ev_regex(E, op);
			break;
		case OP_STARTS:
			r = ev_starts(E, op);
			break;
		case OP_SUBSTR:
			r = ev_substr(E, op);
			break;
		case OP_STRLEN:
			r = ev_strlen(E, op);
			break;
		case OP_STRIP:
			r = ev_strip(E, op);
			break;
		case OP_CASE:
			r = ev_case(E, op);
			break;
		case OP_REPLACE:
			r = ev_replace(E, op);
			break;
		case OP_REGEX_REPLACE:
			r = ev_regex_replace(E, op);
			break;
		case OP_DTFIELD:
			r = ev_dtfield(E, op);
			break;
		case OP_DUPLICATED:
			r = ev_duplicated(E, op);
			break;
		case OP_STRSLICE:
			r = ev_strslice(E, op);
			break;
		case OP_SPLIT:
			r = ev_split(E, op);
			break;
		case OP_AGG:
			r = ev_agg(E, op);
			break;
		case OP_BROADCAST:
			r = ev_broadcast(E, op);
			break;
		default:
			sage_error_set(E->err, SAGE_ERR_INTERNAL, "rule operation %d cannot be evaluated",
						   (int) op->kind);
			return NULL;
	}
	E->memo[op->id] = r;
	return r;
}

/* ------------------------------------------------------------- results */

/* A result part from a boolean column of table t. */
static int
ev_part(RuleEval *E, const RuleOp *op, SageRuleResultPart *part)
{
	const RuleVec *v = ev(E, op);
	uint8_t    *ok;
	size_t		n;
	const SageTable *T;

	if (v == NULL)
		return -1;
	if (ev_table(E, op, op->table, &T) < 0)
		return -1;
	n = v->scalar ? T->nrows : v->n;
	ok = sage_alloc(E->arena, n + 1);
	if (ok == NULL)
		return ev_oom(E);
	if (v->scalar)
		memset(ok, v->valid[0] & v->b[0], n);
	else
		for (size_t i = 0; i < n; i++)
			ok[i] = v->valid[i] & v->b[i];
	part->table = op->table;
	part->n = n;
	part->ok = ok;
	return 0;
}

/* Why a result of this op is not a boolean, for rule_error. */
static const char *
ev_invalid_reason(const RuleOp *op)
{
	if (op->shape == RS_LIST)
		return "the rule gives a list, not a boolean";
	if (op->shape == RS_COLUMN)
		switch (op->type)
		{
			case RT_INT:
			case RT_FLOAT:
				return "the rule gives a column of numbers, not of booleans";
			case RT_STR:
				return "the rule gives a column of strings, not of booleans";
			case RT_DT:
				return "the rule gives a column of dates, not of booleans";
			default:
				return "the rule gives a column that is not boolean";
		}
	switch (op->type)
	{
		case RT_INT:
		case RT_FLOAT:
			return "the rule gives a number, not a boolean";
		case RT_STR:
			return "the rule gives a string, not a boolean";
		case RT_DT:
			return "the rule gives a date, not a boolean";
		case RT_NONE:
			return "the rule gives None, not a boolean";
		default:
			return "the rule does not give a boolean";
	}
}

int
sage_rule_eval(const SageRule *rule, SageArena *scratch, const SageTable *tables,
			   int ntables, SageRuleResult *out, SageError *err)
{
	RuleEval	E;
	const RuleOp *root = rule->root;

	memset(out, 0, sizeof(*out));
	if (ntables != rule->ntables || tables == NULL)
		return sage_error_set(err, SAGE_ERR_ARGUMENT,
							  "rule needs %d tables, %d given", rule->ntables, ntables);
	memset(&E, 0, sizeof(E));
	E.rule = rule;
	E.arena = scratch;
	E.tables = tables;
	E.ntables = ntables;
	E.err = err;
	E.memo = sage_alloc0(scratch, sizeof(RuleVec *) * (size_t) (rule->nops + 1));
	E.matchers = sage_alloc0(scratch, sizeof(SageRegexMatcher *) * (size_t) (rule->nops + 1));
	if (E.memo == NULL || E.matchers == NULL)
		return ev_oom(&E);

	if (root->shape == RS_PARTS || (root->shape == RS_COLUMN && root->type == RT_BOOL))
	{
		int			np = root->shape == RS_PARTS ? root->nitems : 1;
		SageRuleResultPart *parts = sage_alloc0(scratch, sizeof(SageRuleResultPart) * (size_t) np);

		if (parts == NULL)
			return ev_oom(&E);
		for (int k = 0; k < np; k++)
			if (ev_part(&E, root->shape == RS_PARTS ? root->items[k] : root, &parts[k]) < 0)
				return -1;
		out->kind = SAGE_RESULT_COLUMNS;
		out->nparts = np;
		out->parts = parts;
		return 0;
	}
	if (root->shape == RS_SCALAR && root->type == RT_BOOL)
	{
		const RuleVec *v = ev(&E, root);

		if (v == NULL)
			return -1;
		if (!v->valid[0])
		{
			out->kind = SAGE_RESULT_INVALID;
			out->reason = "the rule gives a missing value, not a boolean";
			return 0;
		}
		out->kind = SAGE_RESULT_SCALAR;
		out->scalar = v->b[0] != 0;
		return 0;
	}
	/* not a boolean: still evaluated, so run-time errors are reported first */
	if (root->shape != RS_LIST && ev(&E, root) == NULL)
		return -1;
	out->kind = SAGE_RESULT_INVALID;
	out->reason = ev_invalid_reason(root);
	return 0;
}
