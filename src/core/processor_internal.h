/*-------------------------------------------------------------------------
 *
 * src/core/processor_internal.h
 *		Declarations shared by the files that make up the processor:
 *		processor.c (orchestration), catalog_scan.c (reading one data file
 *		and its record-level checks), table_buffer.c (typed columns built
 *		while reading), unique_set.c (the compact hash set of unique
 *		checks) and rule_apply.c (turning rule results into findings).
 *
 *-------------------------------------------------------------------------
 */
#ifndef SAGE_PROCESSOR_INTERNAL_H
#define SAGE_PROCESSOR_INTERNAL_H

#include "sage/config.h"
#include "sage/processor.h"
#include "sage/record.h"
#include "sage/report.h"
#include "sage/rules.h"

/* Rows per batch of row-wise rule evaluation. */
#define SAGE_BATCH_ROWS 4096
/* Records between progress callbacks and cancel checks. */
#define SAGE_POLL_RECORDS 8192

/* ------------------------------------------------------------ unique_set */

/*
 * A set of byte strings with the line each was first seen on. Entries are
 * 8 bytes in an open-addressing table (hash tag + pool location) plus the
 * key and its line in a pool, so a million 10-byte keys cost about 30 MB.
 */
typedef struct UniqueSet UniqueSet;

UniqueSet  *sage_unique_set_new(SageBudget *budget);
void		sage_unique_set_free(UniqueSet *set);
/* Sizes the table for about keys entries (bounded); 0, or -1 when over budget. */
int			sage_unique_set_reserve(UniqueSet *set, size_t keys);
/*
 * Inserts key; returns 1 when new, 0 when already present (with *first_line
 * set to the line of the first occurrence), -1 when over budget.
 */
int			sage_unique_set_insert(UniqueSet *set, const char *key, uint32_t len,
								   uint64_t line, uint64_t *first_line);
/*
 * The same in two steps, so that the table's cache miss overlaps other
 * work: sage_unique_set_prefetch() hashes key and prefetches its home slot,
 * sage_unique_set_insert_hashed() then inserts with that hash.
 */
uint64_t	sage_unique_set_prefetch(const UniqueSet *set, const char *key, uint32_t len);
int			sage_unique_set_insert_hashed(UniqueSet *set, uint64_t hash,
										  const char *key, uint32_t len,
										  uint64_t line, uint64_t *first_line);

/* ---------------------------------------------------------- table_buffer */

/* A growable typed column. */
typedef struct ColumnBuffer
{
	SageColType type;			/* type the rules see */
	bool		loaded;			/* false: this column is not collected */
	size_t		n;				/* values appended */
	size_t		cap;			/* allocated capacity (values) */
	uint8_t    *valid;			/* 1 = value present */
	char	  **s;				/* strings (STRING) */
	uint32_t   *slen;			/* their lengths */
	int64_t    *i;				/* INT, DATETIME */
	double	   *f;				/* FLOAT */
	uint8_t    *b;				/* BOOL */
} ColumnBuffer;

/* The columns of one catalog collected for rule evaluation. */
typedef struct TableBuffer
{
	SageBudget *budget;			/* charged for the arrays */
	SageArena  *strings;		/* string copies; reset with the buffer */
	int			ncols;			/* = number of fields */
	ColumnBuffer *cols;			/* one per field */
	size_t		nrows;			/* rows appended */
	size_t		cap;			/* capacity of lines */
	uint64_t   *lines;			/* line of every row */
	/* views handed to the rule engine */
	SageColumn *views;
	uint8_t    *present;
} TableBuffer;

int			sage_table_buffer_init(TableBuffer *tb, SageBudget *budget, int ncols);
void		sage_table_buffer_free(TableBuffer *tb);
/* Empties the buffer, keeping its capacity. */
int			sage_table_buffer_reset(TableBuffer *tb);
/* Starts a row; returns 0 or -1 when over budget. */
int			sage_table_buffer_add_row(TableBuffer *tb, uint64_t line);
/* Appends the value of column c for the current row (valid == false: missing). */
int			sage_table_buffer_put(TableBuffer *tb, int c, bool valid, const char *text,
								  uint32_t len, int64_t ival, double fval, bool bval);
/* Fills a SageTable view; present_in_file[c] says which fields the file has. */
void		sage_table_buffer_view(TableBuffer *tb, const SageCatalogDef *cat,
								   const uint8_t *present_in_file, int file_columns,
								   SageTable *out);

/* ------------------------------------------------------------ processing */

/* State of one execution while it runs. */
typedef struct ProcessContext
{
	const SageConfig *config;
	const SageProcessOptions *opts;
	SageReport *report;
	SageBudget *budget;
	SageArena  *arena;			/* lives for the whole execution */
	uint64_t	records_done;	/* for progress */
	uint64_t	bytes_done;		/* for progress, of finished files */
	uint64_t	since_poll;		/* records since the last poll */
	uint64_t	size_hint;		/* bytes of the file being scanned, 0 if unknown */
} ProcessContext;

/* What is kept of one catalog after its file was read (for package rules). */
typedef struct CatalogResult
{
	bool		available;		/* its file was found and read */
	const char *file;			/* name used in findings */
	TableBuffer whole;			/* columns kept for whole-table rules */
	uint8_t    *present;		/* per field: in the file */
	int			file_columns;	/* columns of the file */
	uint64_t	records;		/* data records */
	uint8_t    *row_errors;		/* bitmap: record has an error finding */
	size_t		row_errors_bytes;
} CatalogResult;

/*
 * Reads one data file of catalog cat through reader, runs every
 * record-level check and the catalog's own rules, and leaves in *res what
 * package rules need (package_rules may be NULL). Returns 0, or -1 on a
 * system failure (*err).
 */
int			sage_catalog_scan(ProcessContext *pc, const SageCatalogDef *cat,
							  const char *file, SageRecordReader *reader,
							  const SagePackageDef *package, CatalogResult *res,
							  SageError *err);
void		sage_catalog_result_free(CatalogResult *res);

/* Polls progress and cancel; -1 with SAGE_ERR_CANCELLED when asked to stop. */
int			sage_process_poll(ProcessContext *pc, uint64_t bytes_in_file, SageError *err);

/* ------------------------------------------------------------ rule_apply */

/* Where a rule's findings go and how they are described. */
typedef struct RuleTarget
{
	const SageRuleDef *rule;
	const char *file;			/* NULL for package rules */
	const SageFieldDef *field;	/* field rules: the field */
	int			field_index;	/* field rules: its column, else -1 */
	uint64_t	row_base;		/* ordinal of the table's first row in the file */
	uint8_t    *row_errors;		/* bitmap to mark, or NULL */
} RuleTarget;

/*
 * Evaluates a field or row rule on a table (a batch or the whole file) and
 * emits one finding per failing row. *errored is set once the rule failed
 * to evaluate (its rule_error is emitted once). Returns 0 or -1 (*err) on a
 * system failure (sink, memory).
 */
int			sage_rule_apply_rows(ProcessContext *pc, const RuleTarget *target,
								 const SageTable *table, bool *errored, SageError *err);
/* Evaluates a catalog rule (one table) or a package rule (its catalogs). */
int			sage_rule_apply_whole(ProcessContext *pc, const RuleTarget *target,
								  SageCheck check, const SageTable *tables, int ntables,
								  SageError *err);
/* Emits a finding, marking the row of a record-level error. */
int			sage_emit(ProcessContext *pc, const SageFinding *f, uint8_t *row_errors,
					  uint64_t row, SageError *err);

#endif							/* SAGE_PROCESSOR_INTERNAL_H */
