/*-------------------------------------------------------------------------
 *
 * src/core/catalog_scan.c
 *		Reading one data file of a catalog: header and shape checks, the
 *		built-in checks of every cell (PROCESSOR.md sections 3 and 4), and
 *		the catalog's rules.
 *
 * The file streams through once. Record-level findings are emitted as the
 * records arrive; row-wise rules run on batches of SAGE_BATCH_ROWS rows;
 * rules that need the whole table (aggregates, catalog rules, package
 * rules) get only the columns they read, kept until the end. Memory thus
 * depends on what cross-row checks need, not on the size of the file.
 *
 *-------------------------------------------------------------------------
 */
#include "processor_internal.h"

#include <stdio.h>
#include <string.h>

#define ROW_ERR_SET(bm, r)	((bm)[(r) >> 3] |= (uint8_t) (1u << ((r) & 7)))

/* A rule of the catalog and how it is evaluated. */
typedef struct ScanRule
{
	const SageRuleDef *def;
	const SageFieldDef *field;	/* field rules */
	int			field_index;	/* field rules, else -1 */
	bool		rowwise;		/* evaluated per batch */
	bool		errored;		/* its rule_error was emitted */
} ScanRule;

/*
 * What scan_record() does with one field, fixed once the file's shape is
 * known, so the per-cell loop reads one small struct instead of the
 * catalog definition, the column map and the collection flags.
 */
typedef struct ScanField
{
	int			fi;				/* index of the field in the catalog */
	int			col;			/* column in the record */
	SageFieldType type;
	const char *format;			/* fecha format, or NULL */
	bool		required;
	bool		batch;			/* collected for row-wise rules */
	bool		whole;			/* collected for whole-table rules */
	UniqueSet  *unique;			/* unique key set, or NULL */
} ScanField;

/* State of a cell between the checking and the reporting pass. */
typedef enum ScanCellState
{
	CELL_NULL,					/* missing or an na_value */
	CELL_VALID,					/* a value of the field's type */
	CELL_INVALID				/* not a value of the field's type */
} ScanCellState;

/* One cell of the current record, as the checking pass left it. */
typedef struct ScanCell
{
	const char *text;
	uint32_t	len;
	ScanCellState state;
	bool		bval;
	int64_t		ival;
	double		fval;
	uint64_t	hash;			/* unique fields: the key's hash */
} ScanCell;

/* Per-file scanning state. */
typedef struct Scan
{
	ProcessContext *pc;
	const SageCatalogDef *cat;
	const char *file;
	bool		excel;			/* trailing empty cells may be trimmed */
	int			nfields;
	int		   *colmap;			/* field -> column in the record, -1 absent */
	uint8_t    *present;		/* field is in the file */
	int			width;			/* expected record width */
	UniqueSet **unique;			/* per field, or NULL */
	bool	   *batch_need;		/* field collected per batch */
	bool	   *whole_need;		/* field collected for the whole file */
	bool		any_batch;
	bool		any_whole;
	TableBuffer batch;
	ScanRule   *rules;
	int			nrules;
	const char **names;			/* field names for the rule tables */
	uint64_t	batch_base;		/* ordinal of the batch's first row */
	CatalogResult *res;
	SageError  *err;

	/* set by scan_prepare() once the file's columns are known */
	ScanField  *sf;				/* the fields present in the file, in order */
	int			nsf;			/* their number */
	ScanCell   *cells;			/* one per entry of sf */
	int		   *act;			/* entries of sf with a unique key or kept
								 * values: all a clean record needs after
								 * its checks */
	int			nact;			/* their number */
	bool		na_empty_only;	/* na_values is exactly [""] */
	uint32_t   *na_lens;		/* lengths of the na_values */
} Scan;

/* Whether the cell is one of the catalog's na_values (empty by default). */
static inline bool
is_na(const Scan *s, const char *text, uint32_t len)
{
	const SageCatalogDef *cat = s->cat;
	int			k;

	if (s->na_empty_only)
		return len == 0;
	for (k = 0; k < cat->nna_values; k++)
		if (s->na_lens[k] == len && memcmp(cat->na_values[k], text, len) == 0)
			return true;
	return false;
}

/* The message of a type finding. */
static const char *
type_message(SageFieldType t)
{
	switch (t)
	{
		case SAGE_FIELD_TEXTO:
			return "value is not a valid texto";
		case SAGE_FIELD_DECIMAL:
			return "value is not a valid decimal";
		case SAGE_FIELD_ENTERO:
			return "value is not a valid entero";
		case SAGE_FIELD_FECHA:
			return "value is not a valid fecha";
		case SAGE_FIELD_BOOLEANO:
			return "value is not a valid booleano";
	}
	return "value is not a valid ?";
}

/* Emits a file-level finding (no line, marks no record). */
static int
file_finding(Scan *s, SageCheck check, const char *field, const char *message,
			 const char *expected, const char *found)
{
	SageFinding f;

	memset(&f, 0, sizeof(f));
	f.file = s->file;
	f.field = field;
	f.check = check;
	f.severity = SAGE_SEV_ERROR;
	f.message = message;
	if (sage_report_format_error(s->pc->report, check, s->file, message,
								 expected, found, s->err) != 0)
		return -1;
	return sage_report_add_finding(s->pc->report, &f, s->err);
}

/* Grows the row-error bitmap to hold row r. */
static int
row_errors_reserve(Scan *s, uint64_t r)
{
	CatalogResult *res = s->res;
	size_t		need = (size_t) (r >> 3) + 1;

	if (need > res->row_errors_bytes)
	{
		size_t		ncap = res->row_errors_bytes ? res->row_errors_bytes * 2 : 4096;
		uint8_t    *p;

		while (ncap < need)
			ncap *= 2;
		p = sage_budget_realloc(s->pc->budget, res->row_errors, res->row_errors_bytes, ncap);
		if (p == NULL)
			return sage_error_memory(s->err, s->pc->budget);
		memset(p + res->row_errors_bytes, 0, ncap - res->row_errors_bytes);
		res->row_errors = p;
		res->row_errors_bytes = ncap;
	}
	return 0;
}

/* Sets up which columns are collected and how each rule runs. */
static int
scan_plan(Scan *s, const SagePackageDef *package, int table_in_package)
{
	const SageCatalogDef *cat = s->cat;
	int			nf = cat->nfields;
	int			f,
				k,
				n = 0;
	int			total = cat->nrow_rules;

	for (f = 0; f < nf; f++)
		total += cat->fields[f].nrules;
	s->rules = sage_alloc0(s->pc->arena, sizeof(ScanRule) * (size_t) (total + 1));
	s->batch_need = sage_alloc0(s->pc->arena, sizeof(bool) * (size_t) (nf + 1));
	s->whole_need = sage_alloc0(s->pc->arena, sizeof(bool) * (size_t) (nf + 1));
	if (s->rules == NULL || s->batch_need == NULL || s->whole_need == NULL)
		return sage_error_memory(s->err, s->pc->budget);

	for (f = 0; f < nf; f++)
		for (k = 0; k < cat->fields[f].nrules; k++)
		{
			ScanRule   *r = &s->rules[n++];

			r->def = &cat->fields[f].rules[k];
			r->field = &cat->fields[f];
			r->field_index = f;
			r->rowwise = sage_rule_is_rowwise(r->def->compiled);
		}
	for (k = 0; k < cat->nrow_rules; k++)
	{
		ScanRule   *r = &s->rules[n++];

		r->def = &cat->row_rules[k];
		r->field_index = -1;
		r->rowwise = sage_rule_is_rowwise(r->def->compiled);
	}
	s->nrules = n;

	for (k = 0; k < n; k++)
	{
		ScanRule   *r = &s->rules[k];
		bool	   *need = r->rowwise ? s->batch_need : s->whole_need;

		if (r->field_index >= 0)
			need[r->field_index] = true;
		for (f = 0; f < nf; f++)
			if (sage_rule_reads_column(r->def->compiled, 0, f))
				need[f] = true;
	}
	for (k = 0; k < cat->ncatalog_rules; k++)
		for (f = 0; f < nf; f++)
			if (sage_rule_reads_column(cat->catalog_rules[k].compiled, 0, f))
				s->whole_need[f] = true;
	if (package != NULL && table_in_package >= 0)
		for (k = 0; k < package->nrules; k++)
			for (f = 0; f < nf; f++)
				if (sage_rule_reads_column(package->rules[k].compiled, table_in_package, f))
					s->whole_need[f] = true;

	for (f = 0; f < nf; f++)
	{
		s->any_batch |= s->batch_need[f];
		s->any_whole |= s->whole_need[f];
	}
	/*
	 * Whole-table rules see every row (len(df), failing lines) even when
	 * they read no column; without any, nothing is kept per row.
	 */
	if (cat->ncatalog_rules > 0 || (package != NULL && package->nrules > 0))
		s->any_whole = true;
	for (k = 0; k < n; k++)
		if (!s->rules[k].rowwise)
			s->any_whole = true;

	if (sage_table_buffer_init(&s->batch, s->pc->budget, nf) != 0 ||
		sage_table_buffer_init(&s->res->whole, s->pc->budget, nf) != 0)
		return sage_error_memory(s->err, s->pc->budget);
	for (f = 0; f < nf; f++)
	{
		SageColType t = sage_field_col_type(cat->fields[f].type);

		s->batch.cols[f].type = t;
		s->batch.cols[f].loaded = s->batch_need[f];
		s->res->whole.cols[f].type = t;
		s->res->whole.cols[f].loaded = s->whole_need[f];
	}
	return 0;
}

/* Evaluates the row-wise rules on the current batch, then empties it. */
static int
scan_flush_batch(Scan *s)
{
	SageTable	table;
	int			k;

	if (s->batch.nrows == 0)
		return 0;
	sage_table_buffer_view(&s->batch, s->cat, s->present, s->width, &table);
	table.names = s->names;
	for (k = 0; k < s->nrules; k++)
	{
		ScanRule   *r = &s->rules[k];
		RuleTarget	t;

		if (!r->rowwise)
			continue;
		if (r->field_index >= 0 && !s->present[r->field_index])
			continue;			/* column_missing: its checks are skipped */
		memset(&t, 0, sizeof(t));
		t.rule = r->def;
		t.file = s->file;
		t.field = r->field;
		t.field_index = r->field_index;
		t.row_base = s->batch_base;
		t.row_errors = s->res->row_errors;
		if (sage_rule_apply_rows(s->pc, &t, &table, &r->errored, s->err) != 0)
			return -1;
	}
	s->batch_base += s->batch.nrows;
	return sage_table_buffer_reset(&s->batch) == 0 ? 0 : sage_error_memory(s->err, s->pc->budget);
}

/* Reads the header (or the first record's shape) and maps fields to columns. */
static int
scan_header(Scan *s, const SageRecord *rec)
{
	const SageCatalogDef *cat = s->cat;
	int			f,
				c;
	char		msg[1024];

	s->width = rec->nfields;
	if (cat->header)
	{
		bool	   *used = sage_alloc0(s->pc->arena, sizeof(bool) * (size_t) (rec->nfields + 1));

		if (used == NULL)
			return sage_error_memory(s->err, s->pc->budget);
		/* duplicate header names are an error each */
		for (c = 0; c < rec->nfields; c++)
		{
			int			d;

			for (d = 0; d < c; d++)
				if (strcmp(rec->fields[c], rec->fields[d]) == 0)
				{
					snprintf(msg, sizeof(msg), "column \"%s\" appears more than once in the header",
							 rec->fields[c]);
					if (file_finding(s, SAGE_CHECK_COLUMN_EXTRA, rec->fields[c], msg,
									 "unique column names", rec->fields[c]) != 0)
						return -1;
					used[c] = true;
					break;
				}
		}
		for (f = 0; f < cat->nfields; f++)
		{
			s->colmap[f] = -1;
			for (c = 0; c < rec->nfields; c++)
				if (!used[c] && strcmp(rec->fields[c], cat->fields[f].name) == 0)
				{
					s->colmap[f] = c;
					used[c] = true;
					break;
				}
			s->present[f] = s->colmap[f] >= 0;
			if (!s->present[f])
			{
				snprintf(msg, sizeof(msg), "column \"%s\" is missing from the header",
						 cat->fields[f].name);
				if (file_finding(s, SAGE_CHECK_COLUMN_MISSING, cat->fields[f].name, msg,
								 cat->fields[f].name, NULL) != 0)
					return -1;
			}
		}
		for (c = 0; c < rec->nfields; c++)
		{
			bool		dup = false;
			int			d;

			if (used[c])
				continue;
			for (d = 0; d < c; d++)
				if (strcmp(rec->fields[c], rec->fields[d]) == 0)
					dup = true;
			if (dup)
				continue;
			snprintf(msg, sizeof(msg), "column \"%s\" is not defined in the catalog",
					 rec->fields[c]);
			if (file_finding(s, SAGE_CHECK_COLUMN_EXTRA, rec->fields[c], msg,
							 NULL, rec->fields[c]) != 0)
				return -1;
		}
	}
	else
	{
		for (f = 0; f < cat->nfields; f++)
		{
			s->colmap[f] = f < rec->nfields ? f : -1;
			s->present[f] = s->colmap[f] >= 0;
		}
		if (rec->nfields != cat->nfields)
		{
			char		expected[32],
						found[32];

			snprintf(msg, sizeof(msg), "the file has %d columns but the catalog defines %d",
					 rec->nfields, cat->nfields);
			snprintf(expected, sizeof(expected), "%d", cat->nfields);
			snprintf(found, sizeof(found), "%d", rec->nfields);
			if (file_finding(s, SAGE_CHECK_COLUMN_COUNT, NULL, msg, expected, found) != 0)
				return -1;
		}
	}
	return 0;
}

/* Emits a record-level finding for field f of the current record. */
static int
cell_finding(Scan *s, SageCheck check, int f, uint64_t line, uint64_t row,
			 const char *value, const char *message)
{
	SageFinding fd;

	memset(&fd, 0, sizeof(fd));
	fd.file = s->file;
	fd.line = line;
	fd.field = s->cat->fields[f].name;
	fd.check = check;
	fd.severity = SAGE_SEV_ERROR;
	fd.value = value;
	fd.message = message;
	return sage_emit(s->pc, &fd, s->res->row_errors, row, s->err);
}

/*
 * scan_prepare
 *		Builds the per-field plan once the header (or the first record) has
 *		fixed which fields the file has.
 */
static int
scan_prepare(Scan *s)
{
	const SageCatalogDef *cat = s->cat;
	int			f,
				k;

	s->sf = sage_alloc0(s->pc->arena, sizeof(ScanField) * (size_t) (cat->nfields + 1));
	s->cells = sage_alloc0(s->pc->arena, sizeof(ScanCell) * (size_t) (cat->nfields + 1));
	s->na_lens = sage_alloc0(s->pc->arena, sizeof(uint32_t) * (size_t) (cat->nna_values + 1));
	s->act = sage_alloc0(s->pc->arena, sizeof(int) * (size_t) (cat->nfields + 1));
	if (s->sf == NULL || s->cells == NULL || s->na_lens == NULL || s->act == NULL)
		return sage_error_memory(s->err, s->pc->budget);
	for (k = 0; k < cat->nna_values; k++)
		s->na_lens[k] = (uint32_t) strlen(cat->na_values[k]);
	s->na_empty_only = cat->nna_values == 1 && cat->na_values[0][0] == '\0';
	s->nsf = 0;
	s->nact = 0;
	for (f = 0; f < cat->nfields; f++)
	{
		ScanField  *p;

		if (!s->present[f])
			continue;			/* column_missing: checks skipped */
		p = &s->sf[s->nsf++];
		p->fi = f;
		p->col = s->colmap[f];
		p->type = cat->fields[f].type;
		p->format = cat->fields[f].format;
		p->required = cat->fields[f].required;
		p->batch = s->batch_need[f];
		p->whole = s->whole_need[f];
		p->unique = s->unique[f];
		if (p->unique != NULL || p->batch || p->whole)
			s->act[s->nact++] = s->nsf - 1;
	}
	return 0;
}

/*
 * Checks the type of one non-null cell, storing its typed value only when
 * a rule will read it: the check itself always runs.
 */
static inline bool
scan_check_type(const ScanField *p, ScanCell *c)
{
	bool		want = p->batch || p->whole;

	switch (p->type)
	{
		case SAGE_FIELD_TEXTO:
			return true;
		case SAGE_FIELD_ENTERO:
			if (!sage_is_entero(c->text, c->len))
				return false;
			/* beyond int64: a valid entero the rules see as a float */
			if (want && !sage_parse_entero(c->text, c->len, &c->ival))
				c->ival = 0;
			return true;
		case SAGE_FIELD_DECIMAL:
			return sage_parse_decimal(c->text, c->len, want ? &c->fval : NULL);
		case SAGE_FIELD_FECHA:
			return p->format != NULL
				? sage_parse_fecha_format(c->text, c->len, p->format,
										  want ? &c->ival : NULL)
				: sage_parse_fecha(c->text, c->len, want ? &c->ival : NULL);
		case SAGE_FIELD_BOOLEANO:
			return sage_parse_booleano(c->text, c->len, &c->bval);
	}
	return false;
}

/*
 * The unique finding's message, formatted by hand: every row of a file of
 * repeated keys has one, and snprintf would cost more than the finding.
 * msg has room for the text and 20 digits.
 */
static void
scan_repeated_message(char *msg, uint64_t first)
{
	static const char head[] = "value is repeated; it first appears on line ";
	char		digits[24];
	int			n = 0;

	memcpy(msg, head, sizeof(head) - 1);
	msg += sizeof(head) - 1;
	do
	{
		digits[n++] = (char) ('0' + first % 10);
		first /= 10;
	} while (first > 0);
	while (n > 0)
		*msg++ = digits[--n];
	*msg = '\0';
}

/*
 * The second pass over plan entry k of the current record: its required
 * or type finding (when the record has a null or invalid cell), the
 * unique key's insertion, whose slot was prefetched by the first pass,
 * and the values the rules read. msg is scratch space for a message.
 */
static inline int
scan_finish_cell(Scan *s, int k, uint64_t line, uint64_t row, bool findings,
				 char *msg)
{
	const ScanField *p = &s->sf[k];
	ScanCell   *c = &s->cells[k];
	bool		valid = c->state == CELL_VALID;
	int			fi = p->fi;

	if (findings)
	{
		if (c->state == CELL_NULL)
		{
			if (p->required &&
				cell_finding(s, SAGE_CHECK_REQUIRED, fi, line, row, NULL,
							 "a value is required") != 0)
				return -1;
		}
		else if (c->state == CELL_INVALID)
		{
			if (cell_finding(s, SAGE_CHECK_TYPE, fi, line, row, c->text,
							 type_message(p->type)) != 0)
				return -1;
		}
	}
	if (p->unique != NULL && c->state != CELL_NULL)
	{
		uint64_t	first = 0;
		int			rc = sage_unique_set_insert_hashed(p->unique, c->hash, c->text,
													   c->len, line, &first);

		if (rc < 0)
			return sage_error_memory(s->err, s->pc->budget);
		if (rc == 0)
		{
			scan_repeated_message(msg, first);
			if (cell_finding(s, SAGE_CHECK_UNIQUE, fi, line, row, c->text, msg) != 0)
				return -1;
		}
	}
	if (p->batch &&
		sage_table_buffer_put(&s->batch, fi, valid, c->text, c->len,
							  c->ival, c->fval, c->bval) != 0)
		return sage_error_memory(s->err, s->pc->budget);
	if (p->whole &&
		sage_table_buffer_put(&s->res->whole, fi, valid, c->text, c->len,
							  c->ival, c->fval, c->bval) != 0)
		return sage_error_memory(s->err, s->pc->budget);
	return 0;
}

/*
 * Runs every built-in check on one data record and collects its values.
 *
 * Two passes over the fields: the first checks every cell and starts the
 * unique keys' table lookups (a prefetch), the second emits the findings
 * in field order, inserts the unique keys, whose slots are in cache by
 * then, and appends the values the rules need.
 */
static int
scan_record(Scan *s, const SageRecord *rec, uint64_t row)
{
	int			k;
	int			nsf = s->nsf;
	int			nvisit;
	bool		any_null_or_bad = false;
	char		msg[512];

	if (row_errors_reserve(s, row) != 0)
		return -1;

	if (rec->bad_encoding)
	{
		SageFinding fd;

		memset(&fd, 0, sizeof(fd));
		fd.file = s->file;
		fd.line = rec->line;
		fd.check = SAGE_CHECK_ENCODING;
		fd.severity = SAGE_SEV_ERROR;
		fd.message = "the record holds bytes that are not valid in its encoding";
		if (sage_emit(s->pc, &fd, s->res->row_errors, row, s->err) != 0)
			return -1;
	}
	if (s->excel ? rec->nfields > s->width : rec->nfields != s->width)
	{
		SageFinding fd;

		snprintf(msg, sizeof(msg), "the record has %d fields; %d were expected",
				 rec->nfields, s->width);
		memset(&fd, 0, sizeof(fd));
		fd.file = s->file;
		fd.line = rec->line;
		fd.check = SAGE_CHECK_ROW_SHAPE;
		fd.severity = SAGE_SEV_ERROR;
		fd.message = msg;
		if (sage_emit(s->pc, &fd, s->res->row_errors, row, s->err) != 0)
			return -1;
	}

	if (s->any_batch && sage_table_buffer_add_row(&s->batch, rec->line) != 0)
		return sage_error_memory(s->err, s->pc->budget);
	if (s->any_whole && sage_table_buffer_add_row(&s->res->whole, rec->line) != 0)
		return sage_error_memory(s->err, s->pc->budget);

	/* pass 1: check every cell */
	for (k = 0; k < nsf; k++)
	{
		const ScanField *p = &s->sf[k];
		ScanCell   *c = &s->cells[k];

		if (p->col < rec->nfields)
		{
			c->text = rec->fields[p->col];
			c->len = rec->lens[p->col];
			if (is_na(s, c->text, c->len))
				c->state = CELL_NULL;
			else
				c->state = scan_check_type(p, c) ? CELL_VALID : CELL_INVALID;
		}
		else
		{
			c->text = "";
			c->len = 0;
			c->state = CELL_NULL;
		}
		if (c->state != CELL_VALID)
		{
			any_null_or_bad = true;
			c->ival = 0;
			c->fval = 0;
			c->bval = false;
		}
		if (p->unique != NULL && c->state != CELL_NULL)
			c->hash = sage_unique_set_prefetch(p->unique, c->text, c->len);
	}

	/*
	 * pass 2: findings in field order, unique keys, collected values; a
	 * record without a null or invalid cell has no required or type
	 * finding, so only the fields with a key or kept values are visited
	 */
	nvisit = any_null_or_bad ? nsf : s->nact;
	for (k = 0; k < nvisit; k++)
		if (scan_finish_cell(s, any_null_or_bad ? k : s->act[k], rec->line, row,
							 any_null_or_bad, msg) != 0)
			return -1;
	if (s->any_batch && s->batch.nrows >= SAGE_BATCH_ROWS)
		return scan_flush_batch(s);
	return 0;
}

/* Runs the whole-table field/row rules and the catalog rules. */
static int
scan_whole_rules(Scan *s)
{
	SageTable	table;
	int			k;

	sage_table_buffer_view(&s->res->whole, s->cat, s->present, s->width, &table);
	table.names = s->names;
	for (k = 0; k < s->nrules; k++)
	{
		ScanRule   *r = &s->rules[k];
		RuleTarget	t;

		if (r->rowwise)
			continue;
		if (r->field_index >= 0 && !s->present[r->field_index])
			continue;
		memset(&t, 0, sizeof(t));
		t.rule = r->def;
		t.file = s->file;
		t.field = r->field;
		t.field_index = r->field_index;
		t.row_base = 0;
		t.row_errors = s->res->row_errors;
		if (sage_rule_apply_rows(s->pc, &t, &table, &r->errored, s->err) != 0)
			return -1;
	}
	for (k = 0; k < s->cat->ncatalog_rules; k++)
	{
		RuleTarget	t;

		memset(&t, 0, sizeof(t));
		t.rule = &s->cat->catalog_rules[k];
		t.file = s->file;
		t.field_index = -1;
		if (sage_rule_apply_whole(s->pc, &t, SAGE_CHECK_CATALOG_RULE, &table, 1,
								  s->err) != 0)
			return -1;
	}
	return 0;
}

/* Records read before the unique-key tables are sized from the file's size. */
#define SCAN_RESERVE_AFTER 4096

/*
 * scan_reserve_unique
 *		Sizes the unique-key tables for the rows the whole file probably
 *		has (its size over the bytes the first rows took), plus 1/16. Only
 *		an optimization: when the budget refuses, the tables keep growing
 *		one doubling at a time as before.
 */
static void
scan_reserve_unique(Scan *s, SageRecordReader *reader, uint64_t rows)
{
	uint64_t	done = reader->bytes_done(reader->self);
	double		est;

	if (done == 0 || done >= s->pc->size_hint)
		return;
	est = (double) s->pc->size_hint / (double) done * (double) rows;
	est += est / 16;
	for (int f = 0; f < s->nfields; f++)
		if (s->unique[f] != NULL)
			(void) sage_unique_set_reserve(s->unique[f], est > 1e12 ? (size_t) 1e12 : (size_t) est);
}

int
sage_catalog_scan(ProcessContext *pc, const SageCatalogDef *cat, const char *file,
				  SageRecordReader *reader, const SagePackageDef *package,
				  CatalogResult *res, SageError *err)
{
	Scan		s;
	SageRecord	rec;
	int			f,
				rc;
	int			table_in_package = -1;
	uint64_t	skipped = 0;
	bool		have_shape = false;
	uint64_t	row = 0;

	memset(&s, 0, sizeof(s));
	memset(res, 0, sizeof(CatalogResult));
	s.pc = pc;
	s.cat = cat;
	s.file = file;
	s.excel = cat->format == SAGE_FORMAT_EXCEL;
	s.nfields = cat->nfields;
	s.res = res;
	s.err = err;
	res->file = file;
	res->available = true;

	if (package != NULL)
		for (f = 0; f < package->ncatalogs; f++)
			if (&pc->config->catalogs[package->catalogs[f]] == cat)
				table_in_package = f;

	s.colmap = sage_alloc0(pc->arena, sizeof(int) * (size_t) (cat->nfields + 1));
	s.present = sage_alloc0(pc->arena, (size_t) cat->nfields + 1);
	s.unique = sage_alloc0(pc->arena, sizeof(UniqueSet *) * (size_t) (cat->nfields + 1));
	s.names = sage_alloc0(pc->arena, sizeof(char *) * (size_t) (cat->nfields + 1));
	if (s.colmap == NULL || s.present == NULL || s.unique == NULL || s.names == NULL)
		return sage_error_memory(err, pc->budget);
	for (f = 0; f < cat->nfields; f++)
	{
		s.names[f] = cat->fields[f].name;
		/* until a header or first record says otherwise */
		s.colmap[f] = f;
		s.present[f] = 1;
		if (cat->fields[f].unique)
		{
			s.unique[f] = sage_unique_set_new(pc->budget);
			if (s.unique[f] == NULL)
				return sage_error_memory(err, pc->budget);
		}
	}
	s.width = cat->nfields;
	res->present = s.present;

	rc = scan_plan(&s, package, table_in_package);
	while (rc == 0)
	{
		int			got = reader->next(reader->self, &rec, err);

		if (got < 0)
		{
			rc = -1;
			break;
		}
		if (got == 0)
			break;
		if (skipped < (uint64_t) cat->skip_rows)
		{
			skipped++;
			continue;
		}
		if (!have_shape)
		{
			have_shape = true;
			rc = scan_header(&s, &rec);
			if (rc == 0)
				rc = scan_prepare(&s);
			if (rc != 0 || cat->header)
				continue;
		}
		rc = scan_record(&s, &rec, row);
		row++;
		pc->records_done++;
		if (row == SCAN_RESERVE_AFTER && pc->size_hint > 0 && reader->bytes_done != NULL &&
			cat->format == SAGE_FORMAT_CSV)
			scan_reserve_unique(&s, reader, row);
		if (rc == 0 && ++pc->since_poll >= SAGE_POLL_RECORDS)
			rc = sage_process_poll(pc, reader->bytes_done ? reader->bytes_done(reader->self) : 0, err);
	}
	if (rc == 0 && s.any_batch)
		rc = scan_flush_batch(&s);
	res->records = row;
	res->file_columns = s.width;
	if (rc == 0)
		rc = scan_whole_rules(&s);
	if (reader->bytes_done)
		pc->bytes_done += reader->bytes_done(reader->self);

	for (f = 0; f < cat->nfields; f++)
		sage_unique_set_free(s.unique[f]);
	sage_table_buffer_free(&s.batch);
	return rc;
}

void
sage_catalog_result_free(CatalogResult *res)
{
	SageBudget *budget = res->whole.budget;

	if (res->whole.cols != NULL)
		sage_table_buffer_free(&res->whole);
	if (res->row_errors != NULL)
		sage_budget_free(budget, res->row_errors, res->row_errors_bytes);
	res->row_errors = NULL;
}
