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
} Scan;

static bool
is_na(const SageCatalogDef *cat, const char *s, uint32_t len)
{
	int			k;

	for (k = 0; k < cat->nna_values; k++)
	{
		const char *na = cat->na_values[k];

		if (strlen(na) == len && memcmp(na, s, len) == 0)
			return true;
	}
	return false;
}

static const char *
field_type_name(SageFieldType t)
{
	switch (t)
	{
		case SAGE_FIELD_TEXTO:
			return "texto";
		case SAGE_FIELD_DECIMAL:
			return "decimal";
		case SAGE_FIELD_ENTERO:
			return "entero";
		case SAGE_FIELD_FECHA:
			return "fecha";
		case SAGE_FIELD_BOOLEANO:
			return "booleano";
	}
	return "?";
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

/* Runs every built-in check on one data record and collects its values. */
static int
scan_record(Scan *s, const SageRecord *rec, uint64_t row)
{
	const SageCatalogDef *cat = s->cat;
	int			f;
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

	for (f = 0; f < cat->nfields; f++)
	{
		const SageFieldDef *fd = &cat->fields[f];
		int			c = s->colmap[f];
		const char *text = "";
		uint32_t	len = 0;
		bool		valid = false;
		int64_t		ival = 0;
		double		fval = 0;
		bool		bval = false;

		if (!s->present[f])
			continue;			/* column_missing: checks skipped */
		if (c < rec->nfields)
		{
			text = rec->fields[c];
			len = rec->lens[c];
		}
		if (c >= rec->nfields || is_na(cat, text, len))
		{
			if (fd->required &&
				cell_finding(s, SAGE_CHECK_REQUIRED, f, rec->line, row, NULL,
							 "a value is required") != 0)
				return -1;
		}
		else
		{
			switch (fd->type)
			{
				case SAGE_FIELD_TEXTO:
					valid = true;
					break;
				case SAGE_FIELD_ENTERO:
					valid = sage_is_entero(text, len);
					if (valid && !sage_parse_entero(text, len, &ival))
					{
						/* beyond int64: a valid entero the rules see as a float */
						ival = 0;
					}
					break;
				case SAGE_FIELD_DECIMAL:
					valid = sage_parse_decimal(text, len, &fval);
					break;
				case SAGE_FIELD_FECHA:
					valid = fd->format != NULL
						? sage_parse_fecha_format(text, len, fd->format, &ival)
						: sage_parse_fecha(text, len, &ival);
					break;
				case SAGE_FIELD_BOOLEANO:
					valid = sage_parse_booleano(text, len, &bval);
					break;
			}
			if (!valid)
			{
				snprintf(msg, sizeof(msg), "value is not a valid %s", field_type_name(fd->type));
				if (cell_finding(s, SAGE_CHECK_TYPE, f, rec->line, row, text, msg) != 0)
					return -1;
			}
			if (fd->unique)
			{
				uint64_t	first = 0;
				int			rc = sage_unique_set_insert(s->unique[f], text, len, rec->line, &first);

				if (rc < 0)
					return sage_error_memory(s->err, s->pc->budget);
				if (rc == 0)
				{
					snprintf(msg, sizeof(msg), "value is repeated; it first appears on line %llu",
							 (unsigned long long) first);
					if (cell_finding(s, SAGE_CHECK_UNIQUE, f, rec->line, row, text, msg) != 0)
						return -1;
				}
			}
		}
		if (s->batch_need[f] &&
			sage_table_buffer_put(&s->batch, f, valid, text, len, ival, fval, bval) != 0)
			return sage_error_memory(s->err, s->pc->budget);
		if (s->whole_need[f] &&
			sage_table_buffer_put(&s->res->whole, f, valid, text, len, ival, fval, bval) != 0)
			return sage_error_memory(s->err, s->pc->budget);
	}
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
		const char *files[1];

		memset(&t, 0, sizeof(t));
		t.rule = &s->cat->catalog_rules[k];
		t.file = s->file;
		t.field_index = -1;
		files[0] = s->file;
		if (sage_rule_apply_whole(s->pc, &t, SAGE_CHECK_CATALOG_RULE, &table, 1, files,
								  s->err) != 0)
			return -1;
	}
	return 0;
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
			if (rc != 0 || cat->header)
				continue;
		}
		rc = scan_record(&s, &rec, row);
		row++;
		pc->records_done++;
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
