/*-------------------------------------------------------------------------
 *
 * src/include/sage/rules.h
 *		The rule language: a safe subset of pandas expressions, parsed and
 *		type-checked when the configuration loads, compiled to the
 *		processor's own representation and evaluated over typed columns.
 *
 * Nothing is ever handed to an interpreter. A rule outside the subset is
 * refused by sage_rule_compile() with the construct, its position (1-based
 * column inside the expression) and a hint.
 *
 * Evaluation works on tables of typed columns. Rules that only combine
 * values of the same row (sage_rule_is_rowwise) can be evaluated batch by
 * batch; the others (aggregates, duplicated, is_unique, len(df), package
 * rules...) need the whole table of the columns they read.
 *
 *-------------------------------------------------------------------------
 */
#ifndef SAGE_RULES_H
#define SAGE_RULES_H

#include "sage/common.h"
#include "sage/value.h"

/* Column types the rules see (from the field's type). */
typedef enum SageColType
{
	SAGE_COL_STRING = 0,		/* texto */
	SAGE_COL_INT,				/* entero */
	SAGE_COL_FLOAT,				/* decimal */
	SAGE_COL_DATETIME,			/* fecha */
	SAGE_COL_BOOL				/* booleano */
} SageColType;

/* Where a rule is declared. */
typedef enum SageRuleScope
{
	SAGE_SCOPE_FIELD = 0,		/* validation_rules of a field */
	SAGE_SCOPE_ROW,				/* row_validation */
	SAGE_SCOPE_CATALOG,			/* catalog_validation */
	SAGE_SCOPE_PACKAGE			/* package_validation */
} SageRuleScope;

/* A typed column of n rows; valid[i] == 0 means missing (null or bad type). */
typedef struct SageColumn
{
	SageColType type;
	size_t		n;
	const uint8_t *valid;
	const char *const *s;		/* SAGE_COL_STRING: UTF-8 NUL-terminated */
	const uint32_t *slen;		/* SAGE_COL_STRING: byte lengths */
	const int64_t *i;			/* SAGE_COL_INT */
	const double *f;			/* SAGE_COL_FLOAT */
	const SageTimestamp *t;		/* SAGE_COL_DATETIME */
	const uint8_t *b;			/* SAGE_COL_BOOL: 0 / 1 */
} SageColumn;

/*
 * A table: the columns of one catalog in YAML field order. present[c] == 0
 * means the column is not in the file (column_missing) or was not loaded;
 * reading it at run time is a rule error. file_columns is the number of
 * columns the file itself has (len(df.columns)). A table whose file is
 * missing from a package has available == false.
 */
typedef struct SageTable
{
	bool		available;
	size_t		nrows;
	int			ncols;
	const char *const *names;
	const uint8_t *present;
	const SageColumn *cols;
	int			file_columns;
	const uint64_t *lines;		/* line of each row, for findings */
} SageTable;

/* Compile-time view of a catalog: column names and types. */
typedef struct SageRuleSchemaTable
{
	const char *key;			/* catalog key (package rules), or NULL */
	int			ncols;
	const char *const *names;
	const SageColType *types;
} SageRuleSchemaTable;

typedef struct SageRuleSchema
{
	int			ntables;		/* 1 except for package rules */
	const SageRuleSchemaTable *tables;
} SageRuleSchema;

typedef struct SageRule SageRule;

/* Result of one evaluation. */
typedef enum SageRuleResultKind
{
	SAGE_RESULT_COLUMNS = 0,	/* boolean column(s), see parts */
	SAGE_RESULT_SCALAR,			/* a single boolean, see scalar */
	SAGE_RESULT_INVALID			/* not a boolean: rule_error, see reason */
} SageRuleResultKind;

typedef struct SageRuleResultPart
{
	int			table;			/* index into the tables given to eval */
	size_t		n;				/* rows of that table */
	const uint8_t *ok;			/* 1 = holds; 0 = false or missing */
} SageRuleResultPart;

typedef struct SageRuleResult
{
	SageRuleResultKind kind;
	bool		scalar;
	int			nparts;			/* one per catalog joined with and/& in package rules */
	const SageRuleResultPart *parts;
	const char *reason;			/* INVALID: why, PG style ("the rule gives a number, not a boolean") */
} SageRuleResult;

/* Parses, type-checks and compiles; NULL with *err (SAGE_ERR_RULE) on refusal. */
SageRule   *sage_rule_compile(SageArena *arena, const char *expr, SageRuleScope scope,
							  const SageRuleSchema *schema, SageError *err);
/* True when the rule can be evaluated on any batch of rows independently. */
bool		sage_rule_is_rowwise(const SageRule *rule);
/* True when the rule reads column col of table t (so the processor keeps it). */
bool		sage_rule_reads_column(const SageRule *rule, int table, int col);
/* True when the rule needs row count / column count of table t only (len(df)). */
bool		sage_rule_reads_table(const SageRule *rule, int table);

/*
 * Evaluates on tables (ntables must equal the schema's). Temporaries and the
 * result live in scratch. Returns 0 on success (*out filled, possibly
 * INVALID), -1 on a run-time failure (*err filled): both become a
 * rule_error finding, never the end of the execution.
 */
int			sage_rule_eval(const SageRule *rule, SageArena *scratch,
						   const SageTable *tables, int ntables,
						   SageRuleResult *out, SageError *err);

#endif							/* SAGE_RULES_H */
