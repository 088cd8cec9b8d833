/*-------------------------------------------------------------------------
 *
 * src/core/rule_internal.h
 *		Declarations shared by the files of the rule language: the lexer
 *		(rule_lex.c), the parser (rule_parse.c), the type checker and
 *		compiler (rule_compile.c), the evaluator (rule_eval.c) and the hash
 *		sets behind isin/duplicated/nunique (rule_hash.c).
 *
 * Pipeline: expression text -> tokens -> syntax tree (RuleAst) -> typed
 * operation tree (RuleOp) -> evaluation over typed column vectors
 * (RuleVec). Every stage allocates from an arena and reports refusals
 * through SageError with the 1-based position inside the expression.
 *
 *-------------------------------------------------------------------------
 */
#ifndef SAGE_RULE_INTERNAL_H
#define SAGE_RULE_INTERNAL_H

#include "sage/rules.h"
#include "regex_internal.h"

/* Longest expression accepted (bytes); bounds every later stage. */
#define RULE_MAX_EXPR_BYTES 65536
/* Deepest syntax tree accepted; bounds recursion in every stage. */
#define RULE_MAX_DEPTH 100

/* ------------------------------------------------------------- tokens */

typedef enum RuleTokKind
{
	TOK_END = 0,
	TOK_NAME,					/* identifier (not a keyword) */
	TOK_INT,					/* integer literal */
	TOK_FLOAT,					/* float literal */
	TOK_STR,					/* string literal (decoded) */
	TOK_OP,						/* operator or punctuation, see op */
	TOK_KW						/* keyword, see op */
} RuleTokKind;

/* Operators and punctuation (TOK_OP) and keywords (TOK_KW). */
typedef enum RuleTokOp
{
	OPT_LPAR = 1, OPT_RPAR, OPT_LBRACK, OPT_RBRACK, OPT_LBRACE, OPT_RBRACE,
	OPT_COMMA, OPT_DOT, OPT_COLON, OPT_ASSIGN,
	OPT_EQ, OPT_NE, OPT_LT, OPT_LE, OPT_GT, OPT_GE,
	OPT_PLUS, OPT_MINUS, OPT_STAR, OPT_SLASH, OPT_DSLASH, OPT_PERCENT,
	OPT_POW, OPT_AMP, OPT_PIPE, OPT_CARET, OPT_TILDE,
	/* keywords */
	KW_AND, KW_OR, KW_NOT, KW_IN, KW_IS, KW_IF, KW_ELSE, KW_LAMBDA,
	KW_TRUE, KW_FALSE, KW_NONE
} RuleTokOp;

typedef struct RuleToken
{
	RuleTokKind kind;
	int			op;				/* RuleTokOp for TOK_OP / TOK_KW */
	size_t		off;			/* byte offset of the token in the text */
	size_t		end;			/* byte offset just past the token */
	const char *str;			/* NAME / STR: text (decoded, NUL-ended) */
	size_t		len;			/* NAME / STR: byte length */
	bool		raw;			/* STR: written as r'...' */
	int64_t		ival;			/* INT */
	double		fval;			/* FLOAT */
} RuleToken;

/* Lexer state: one token of look-ahead over the expression text. */
typedef struct RuleLexer
{
	SageArena  *arena;			/* decoded strings live here */
	const char *text;			/* the expression */
	size_t		len;			/* its byte length */
	size_t		pos;			/* next byte to scan */
	SageError  *err;			/* where refusals go */
} RuleLexer;

/* Scans the next token; -1 with err on a lexical error. */
int			sage_rule_lex_next(RuleLexer *lx, RuleToken *tok);
/* Spelling of an operator or keyword for messages ("==", "and"). */
const char *sage_rule_tok_spelling(int op);
/* 1-based character (code point) column of byte offset off in text. */
int			sage_rule_position(const char *text, size_t off);
/* Fills err with "<message> at position N" (N from byte offset off). */
int			sage_rule_error_at(SageError *err, const char *text, size_t off,
							   const char *fmt,...)
			__attribute__((format(printf, 4, 5)));

/* -------------------------------------------------------- syntax tree */

typedef enum RuleAstKind
{
	AST_NAME,					/* identifier: str */
	AST_INT,					/* ival */
	AST_FLOAT,					/* fval */
	AST_STR,					/* str/len */
	AST_BOOL,					/* ival 0/1 */
	AST_NONE,					/* None */
	AST_LIST,					/* [items] */
	AST_TUPLE,					/* (items,) */
	AST_SET,					/* {items} */
	AST_ATTR,					/* a.str */
	AST_SUBSCRIPT,				/* a[b] */
	AST_CALL,					/* a(items, kw...) */
	AST_UNARY,					/* op a: OPT_MINUS OPT_PLUS OPT_TILDE KW_NOT */
	AST_BINARY,					/* a op b: arithmetic and & | ^ */
	AST_BOOLOP,					/* a and/or b (op) */
	AST_COMPARE,				/* items[0] ops[0] items[1] ... (chain) */
	AST_IFEXP,					/* a if b else c */
	AST_LAMBDA,					/* lambda str: a */
	AST_SLICE					/* [a:b:c] inside a subscript; parts may be NULL */
} RuleAstKind;

/* Comparison operators of AST_COMPARE beyond the token ones. */
#define CMP_NOT_IN 1001
#define CMP_IS_NOT 1002

typedef struct RuleAst
{
	RuleAstKind kind;
	size_t		off;			/* byte offset of the construct */
	int			op;				/* operator (RuleTokOp or CMP_*) */
	int			depth;			/* height of this subtree */
	const char *str;			/* NAME, STR, ATTR (attribute), LAMBDA (parameter) */
	size_t		len;			/* STR: byte length */
	size_t		str_off;		/* ATTR: offset of the attribute name */
	int64_t		ival;			/* INT, BOOL */
	double		fval;			/* FLOAT */
	struct RuleAst *a;			/* first operand / callee / object */
	struct RuleAst *b;			/* second operand / index */
	struct RuleAst *c;			/* IFEXP: else branch */
	int			nitems;			/* LIST/TUPLE/SET/CALL args/COMPARE operands */
	struct RuleAst **items;
	int		   *ops;			/* COMPARE: nitems - 1 operators */
	int			nkw;			/* CALL: keyword arguments */
	const char **kwnames;
	size_t	   *kwoffs;			/* offsets of the keyword names */
	struct RuleAst **kwvals;
} RuleAst;

/* Offset of the leftmost token of a construct. */
size_t		sage_rule_ast_start(const RuleAst *n);
/* Parses a whole expression; NULL with err (SAGE_ERR_RULE) on refusal. */
RuleAst    *sage_rule_parse(SageArena *arena, const char *text, SageError *err);

/* ----------------------------------------------------- typed operations */

/* Element types of values (scalars and columns). */
typedef enum RuleType
{
	RT_NONE = 0,				/* the None literal (always missing) */
	RT_BOOL,
	RT_INT,
	RT_FLOAT,
	RT_STR,
	RT_DT						/* SageTimestamp, microseconds */
} RuleType;

typedef enum RuleShape
{
	RS_SCALAR = 0,				/* one value */
	RS_COLUMN,					/* one value per row of a table */
	RS_LIST,					/* literal list (isin / in) */
	RS_PARTS					/* package rule: boolean columns of several tables */
} RuleShape;

typedef enum RuleOpKind
{
	OP_CONST,					/* lit (scalar) */
	OP_LIST,					/* set: literal list */
	OP_COLUMN,					/* table, col */
	OP_NROWS,					/* len(df), df.shape[0]: table */
	OP_NCOLS,					/* len(df.columns), df.shape[1]: table */
	OP_NTABLES,					/* len(df) in a package rule */
	OP_CAST,					/* a -> type; sub: RuleCastKind; fmt */
	OP_NEG,						/* -a */
	OP_NOT,						/* ~a / not a on booleans */
	OP_ABS,						/* abs(a) */
	OP_ROUND,					/* round(a, ival) */
	OP_ARITH,					/* a sub b, sub = OPT_PLUS ... OPT_POW */
	OP_CMP,						/* a sub b, sub = OPT_EQ ... OPT_GE */
	OP_AND,						/* a & b (Kleene) */
	OP_OR,						/* a | b (Kleene) */
	OP_XOR,						/* a ^ b */
	OP_PARTS,					/* items: boolean columns of distinct tables */
	OP_ISNA,					/* isna(a); sub 1 = notna */
	OP_ISNAN,					/* np.isnan(a) */
	OP_FILLNA,					/* a.fillna(b) */
	OP_ISIN,					/* a in set (or column b); sub 1 = not in */
	OP_BETWEEN,					/* a.between(b, c); sub = inclusive mask */
	OP_WHERE,					/* c ? a : b (np.where, ternary) */
	OP_MINMAX2,					/* min(a, b) sub 0 / max(a, b) sub 1 */
	OP_REGEX,					/* a matched by re; lit = na value */
	OP_STARTS,					/* a.startswith(set strings); sub 1 = ends */
	OP_SUBSTR,					/* b in a (plain substring) */
	OP_STRLEN,					/* len of strings in code points */
	OP_STRIP,					/* strip; sub: 1 left, 2 right, 3 both; lit chars */
	OP_CASE,					/* sub 0 lower, 1 upper */
	OP_REPLACE,					/* literal replace: lit -> lit2 */
	OP_REGEX_REPLACE,			/* regex replace: re, lit2 = replacement */
	OP_DTFIELD,					/* sub: RuleDtField */
	OP_DUPLICATED,				/* sub: 0 first, 1 last, 2 all; items: subset columns */
	OP_STRSLICE,				/* sub 0: a[lit:lit2:ival], 1: a[lit] (code points) */
	OP_SPLIT,					/* parts of a split by lit (whitespace when missing):
								 * sub 0 part lit2.i, 1 number of parts; ival maxsplit */
	OP_AGG,						/* sub: RuleAggKind */
	OP_BROADCAST				/* scalar a repeated over the rows of table */
} RuleOpKind;

typedef enum RuleCastKind
{
	CAST_ASTYPE = 0,			/* .astype / str() int() float() bool() */
	CAST_TO_NUMERIC,			/* pd.to_numeric */
	CAST_TO_DATETIME			/* pd.to_datetime (fmt may be set) */
} RuleCastKind;

typedef enum RuleDtField
{
	DTF_YEAR = 0, DTF_MONTH, DTF_DAY, DTF_DAYOFWEEK, DTF_HOUR, DTF_MINUTE,
	DTF_SECOND, DTF_DAYOFYEAR, DTF_QUARTER
} RuleDtField;

typedef enum RuleAggKind
{
	AGG_SUM = 0, AGG_MIN, AGG_MAX, AGG_MEAN, AGG_COUNT, AGG_NUNIQUE,
	AGG_ALL, AGG_ANY, AGG_IS_UNIQUE, AGG_SIZE
} RuleAggKind;

/* between() inclusive flags. */
#define BETWEEN_LEFT 1
#define BETWEEN_RIGHT 2

/* A constant value. */
typedef struct RuleScalar
{
	RuleType	type;
	bool		valid;			/* false: missing (None, NaN) */
	bool		b;
	int64_t		i;				/* INT, DT */
	double		f;
	const char *s;				/* STR */
	uint32_t	len;
} RuleScalar;

struct RuleSet;

typedef struct RuleOp
{
	RuleOpKind	kind;
	RuleShape	shape;			/* of the result */
	RuleType	type;			/* of the result's elements */
	int			table;			/* COLUMN/PARTS: table index; -1 scalar */
	int			id;				/* index in the evaluator's memo */
	size_t		off;			/* offset in the expression (messages) */
	int			sub;			/* variant, see RuleOpKind */
	int			col;			/* OP_COLUMN: column index */
	struct RuleOp *a;
	struct RuleOp *b;
	struct RuleOp *c;
	int			nitems;			/* OP_PARTS */
	struct RuleOp **items;
	RuleScalar	lit;			/* OP_CONST value; parameters */
	RuleScalar	lit2;			/* second parameter */
	const char *fmt;			/* OP_CAST to_datetime format, or NULL */
	SageRegex  *re;				/* OP_REGEX, OP_REGEX_REPLACE */
	struct RuleSet *set;		/* OP_ISIN/OP_LIST/OP_STARTS: literal values */
	int			ival;			/* OP_ROUND digits; OP_STRSLICE step; OP_SPLIT maxsplit */
	int			flags;			/* OP_SPLIT: RULE_SPLIT_RIGHT for rsplit */
} RuleOp;

/* OP_SPLIT flags. */
#define RULE_SPLIT_RIGHT 1

struct SageRule
{
	const char *expr;			/* copy of the text (run-time messages) */
	SageRuleScope scope;
	RuleOp	   *root;
	int			nops;			/* ops numbered 0..nops-1 */
	int			ntables;		/* of the schema */
	const char **table_keys;	/* catalog keys for messages (may be NULL) */
	const char ***col_names;	/* per table: column names */
	uint8_t   **reads;			/* per table: column read flags */
	bool	   *reads_table;	/* per table: len(df) & co */
	bool		rowwise;
};

/* ------------------------------------------------------------ vectors */

/*
 * A value during evaluation: n elements (1 for a scalar, broadcast when
 * scalar is set). valid is never NULL. DT values are stored in i. Strings
 * are (pointer, length) pairs and need not be NUL-terminated (strip()
 * only moves pointers).
 */
typedef struct RuleVec
{
	RuleType	type;
	size_t		n;
	bool		scalar;
	int			table;			/* rows of this table; -1 for scalars */
	const uint8_t *valid;
	const uint8_t *b;
	const int64_t *i;
	const double *f;
	const char *const *s;
	const uint32_t *len;
} RuleVec;

/* ----------------------------------------------------------- hash sets */

/*
 * Keys of one kind: strings (bytes), int64 (INT, DT) or doubles
 * (numbers when a float is involved). Missing values are tracked apart.
 */
typedef enum RuleKeyKind
{
	RK_STR = 0,
	RK_INT,
	RK_FLOAT
} RuleKeyKind;

typedef struct RuleSet
{
	RuleKeyKind kind;
	bool		has_missing;	/* None / NaN is a member */
	size_t		count;			/* distinct members */
	size_t		cap;			/* slots (power of two) */
	uint64_t   *hashes;			/* 0 = empty slot */
	int64_t    *ikeys;			/* RK_INT; RK_FLOAT as bit patterns */
	const char **skeys;			/* RK_STR */
	uint32_t   *slens;
	/* insertion-ordered copies for startswith/endswith */
	size_t		nitems;
	const char **items;
	uint32_t   *item_lens;
} RuleSet;

/* A set with room for about expected members; NULL when out of memory. */
RuleSet    *sage_rule_set_new(SageArena *arena, RuleKeyKind kind, size_t expected);
/* Adds value i of v (converted to the set's kind); 1 new, 0 present, -1 OOM. */
int			sage_rule_set_add(SageArena *arena, RuleSet *set, const RuleVec *v, size_t i);
/* Adds a scalar; same returns; values of another kind are ignored (0). */
int			sage_rule_set_add_scalar(SageArena *arena, RuleSet *set, const RuleScalar *sc);
/* True when value i of v is a member. */
bool		sage_rule_set_contains(const RuleSet *set, const RuleVec *v, size_t i);
/* Key kind to compare values of type a with values of type b, or -1. */
int			sage_rule_key_kind(RuleType a, RuleType b);

/* --------------------------------------------------------- evaluation */

/* Code points in a UTF-8 string (invalid bytes count one each). */
size_t		sage_rule_utf8_count(const char *s, size_t len);

#endif							/* SAGE_RULE_INTERNAL_H */
