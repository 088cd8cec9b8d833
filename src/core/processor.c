/*-------------------------------------------------------------------------
 *
 * src/core/processor.c
 *		One execution: configuration, inputs, checks, rules, outputs.
 *
 * Wording (used across sage, as pg_cron's glossary):
 *	execution	one submission: a configuration and its input files, run
 *				once to produce one set of outputs.
 *	attempt		one try at an execution; its number is the fencing token
 *				that makes every write conditional (src/pg, lambda/).
 *	claim		a local worker taking a pending execution (src/pg).
 *	dispatch	sending an execution to AWS Lambda instead (src/pg).
 *	lease		how long a claim or dispatch holds before it is rescued.
 *	fencing		rejecting writes of any attempt but the current one.
 *	finding		one validation result (a failed check or rule) — not a
 *				failure of the execution.
 *	system failure	the execution could not be processed at all
 *				(unreadable configuration, unsupported or corrupt file, a
 *				limit exceeded); outputs still say why.
 *
 * The processor is pure C: it never includes PostgreSQL headers, never
 * throws, and allocates from its own arena charged to the execution's
 * memory budget, so the same object files run in a PostgreSQL background
 * worker, in the Lambda bootstrap and in sage-validate, and give the same
 * reports (apart from times and ids).
 *
 *-------------------------------------------------------------------------
 */
#include "processor_internal.h"
#include "sage/zip.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <sys/stat.h>

/* Where a catalog's data comes from. */
typedef struct MemberSource
{
	const char *name;			/* name shown in findings */
	int			zip_index;		/* member of the archive, or -1 */
	const SageInputFile *input; /* a submitted file, or NULL */
} MemberSource;

static int64_t
now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int
sage_process_poll(ProcessContext *pc, uint64_t bytes_in_file, SageError *err)
{
	pc->since_poll = 0;
	if (pc->opts->progress != NULL)
		pc->opts->progress(pc->opts->callback_arg, pc->records_done,
						   pc->bytes_done + bytes_in_file);
	if (pc->opts->cancel != NULL && pc->opts->cancel(pc->opts->callback_arg))
		return sage_error_set(err, SAGE_ERR_CANCELLED, "execution was cancelled");
	return 0;
}

/* Last path component of a member or file name. */
static const char *
base_name(const char *name)
{
	const char *slash = strrchr(name, '/');
	const char *bslash = strrchr(name, '\\');

	if (bslash != NULL && (slash == NULL || bslash > slash))
		slash = bslash;
	return slash != NULL ? slash + 1 : name;
}

/* Opens a record reader for a catalog over one source. */
static int
open_reader(ProcessContext *pc, const SageCatalogDef *cat, const MemberSource *src,
			SageZip *zip, SageRecordReader *reader, SageError *err)
{
	if (cat->format == SAGE_FORMAT_CSV)
	{
		SageCsvOptions co;
		SageStream	stream;

		memset(&co, 0, sizeof(co));
		co.delimiter = cat->delimiter;
		co.quotechar = cat->quotechar;
		co.encoding = cat->encoding;
		if (src->zip_index >= 0)
		{
			if (sage_zip_member_stream(zip, src->zip_index, &stream, err) != 0)
				return -1;
		}
		else if (src->input->path != NULL)
		{
			if (sage_stream_from_file(pc->arena, src->input->path, &stream, err) != 0)
				return -1;
		}
		else
		{
			stream = sage_stream_from_buffer(pc->arena, src->input->data, src->input->len);
			if (stream.read == NULL)
				return sage_error_memory(err, pc->budget);
		}
		return sage_csv_reader_open(pc->arena, stream, &co, reader, err);
	}
	else
	{
		SageXlsxOptions xo;
		char	   *data = NULL;
		size_t		len = 0;

		memset(&xo, 0, sizeof(xo));
		xo.sheet_name = cat->sheet_name;
		xo.sheet_index = cat->sheet_index;
		if (src->zip_index >= 0)
		{
			if (sage_zip_member_read(zip, src->zip_index, &data, &len, err) != 0)
				return -1;
		}
		else if (src->input->path != NULL)
		{
			if (sage_read_file(pc->arena, src->input->path, 0, &data, &len, err) != 0)
				return -1;
		}
		else
		{
			data = (char *) src->input->data;
			len = src->input->len;
		}
		return sage_xlsx_reader_open(pc->arena, data, len, &xo, reader, err);
	}
}

/* Reads one catalog's file and records its statistics. */
static int
scan_source(ProcessContext *pc, const SageCatalogDef *cat, const MemberSource *src,
			SageZip *zip, const SagePackageDef *package, CatalogResult *res,
			SageError *err)
{
	SageRecordReader reader;
	uint64_t	bad = 0;
	size_t		k;
	int			rc;

	if (sage_report_file(pc->report, src->name, err) != 0)
		return -1;
	memset(&reader, 0, sizeof(reader));
	if (open_reader(pc, cat, src, zip, &reader, err) != 0)
		return -1;
	/* the file's size, so that the scan can size its tables early */
	pc->size_hint = 0;
	if (src->zip_index < 0 && src->input->path != NULL)
	{
		struct stat st;

		if (stat(src->input->path, &st) == 0 && st.st_size > 0)
			pc->size_hint = (uint64_t) st.st_size;
	}
	else if (src->zip_index < 0)
		pc->size_hint = src->input->len;
	rc = sage_catalog_scan(pc, cat, src->name, &reader, package, res, err);
	if (reader.close != NULL)
		reader.close(reader.self);
	if (rc != 0)
		return -1;
	for (k = 0; k < res->row_errors_bytes; k++)
		bad += (uint64_t) __builtin_popcount(res->row_errors[k]);
	sage_report_file_counts(pc->report, src->name, res->records, bad);
	return 0;
}

/* Runs the package rules over the catalogs' kept columns. */
static int
run_package_rules(ProcessContext *pc, const SagePackageDef *pkg, CatalogResult *results,
				  SageError *err)
{
	SageTable  *tables;
	int			k;

	if (pkg->nrules == 0)
		return 0;
	tables = sage_alloc0(pc->arena, sizeof(SageTable) * (size_t) pkg->ncatalogs);
	if (tables == NULL)
		return sage_error_memory(err, pc->budget);
	for (k = 0; k < pkg->ncatalogs; k++)
	{
		const SageCatalogDef *cat = &pc->config->catalogs[pkg->catalogs[k]];
		const char **names = sage_alloc0(pc->arena, sizeof(char *) * (size_t) (cat->nfields + 1));
		int			f;

		if (names == NULL)
			return sage_error_memory(err, pc->budget);
		for (f = 0; f < cat->nfields; f++)
			names[f] = cat->fields[f].name;
		if (results[k].available)
			sage_table_buffer_view(&results[k].whole, cat, results[k].present,
								   results[k].file_columns, &tables[k]);
		else
		{
			tables[k].available = false;
			tables[k].ncols = cat->nfields;
		}
		tables[k].names = names;
	}
	for (k = 0; k < pkg->nrules; k++)
	{
		RuleTarget	t;

		memset(&t, 0, sizeof(t));
		t.rule = &pkg->rules[k];
		t.file = NULL;
		t.field_index = -1;
		if (sage_rule_apply_whole(pc, &t, SAGE_CHECK_PACKAGE_RULE, tables, pkg->ncatalogs,
								  err) != 0)
			return -1;
	}
	return 0;
}

/* Finds the source of a catalog among ZIP members or submitted files. */
static bool
find_member(const SageCatalogDef *cat, SageZip *zip, const SageInputFile *inputs,
			int ninputs, MemberSource *src, SageError *err, bool *ambiguous)
{
	int			k,
				n,
				found = -1,
				matches = 0;

	*ambiguous = false;
	src->name = cat->filename;
	src->zip_index = -1;
	src->input = NULL;
	if (zip != NULL)
	{
		n = sage_zip_count(zip);
		k = sage_zip_find(zip, cat->filename);
		if (k >= 0 && !sage_zip_entry(zip, k)->is_dir)
		{
			src->zip_index = k;
			return true;
		}
		for (k = 0; k < n; k++)
		{
			const SageZipEntry *e = sage_zip_entry(zip, k);

			if (!e->is_dir && strcasecmp(base_name(e->name), base_name(cat->filename)) == 0)
			{
				found = k;
				matches++;
			}
		}
		if (matches == 1)
			src->zip_index = found;
	}
	else
	{
		for (k = 0; k < ninputs; k++)
			if (strcmp(inputs[k].name, cat->filename) == 0)
			{
				src->input = &inputs[k];
				return true;
			}
		for (k = 0; k < ninputs; k++)
			if (strcasecmp(base_name(inputs[k].name), base_name(cat->filename)) == 0)
			{
				found = k;
				matches++;
			}
		if (matches == 1)
			src->input = &inputs[found];
	}
	*ambiguous = matches > 1;
	(void) err;
	return matches == 1;
}

/* Processes a package made of several files (a ZIP, or several inputs). */
static int
process_package(ProcessContext *pc, const SagePackageDef *pkg, SageZip *zip,
				const SageInputFile *inputs, int ninputs, SageError *err)
{
	CatalogResult *results = sage_alloc0(pc->arena, sizeof(CatalogResult) * (size_t) (pkg->ncatalogs + 1));
	bool	   *used;
	int			nsources = zip != NULL ? sage_zip_count(zip) : ninputs;
	int			k,
				rc = 0;

	used = sage_alloc0(pc->arena, sizeof(bool) * (size_t) (nsources + 1));
	if (results == NULL || used == NULL)
		return sage_error_memory(err, pc->budget);

	for (k = 0; k < pkg->ncatalogs && rc == 0; k++)
	{
		const SageCatalogDef *cat = &pc->config->catalogs[pkg->catalogs[k]];
		MemberSource src;
		bool		ambiguous;

		if (!find_member(cat, zip, inputs, ninputs, &src, err, &ambiguous))
		{
			SageFinding f;
			char		msg[512];

			if (ambiguous)
				snprintf(msg, sizeof(msg),
						 "file \"%s\" of catalog \"%s\" matches several members of the package",
						 cat->filename, cat->key);
			else
				snprintf(msg, sizeof(msg), "file \"%s\" of catalog \"%s\" is missing from the package",
						 cat->filename, cat->key);
			memset(&f, 0, sizeof(f));
			f.file = cat->filename;
			f.check = SAGE_CHECK_MISSING_FILE;
			f.severity = SAGE_SEV_ERROR;
			f.message = msg;
			f.summary_only = true;
			results[k].available = false;
			results[k].file = cat->filename;
			if (sage_report_missing_file(pc->report, cat->filename, pkg->key, err) != 0 ||
				sage_report_add_finding(pc->report, &f, err) != 0)
				rc = -1;
			continue;
		}
		if (src.zip_index >= 0)
			used[src.zip_index] = true;
		else
			used[src.input - inputs] = true;
		rc = scan_source(pc, cat, &src, zip, pkg, &results[k], err);
	}
	for (k = 0; k < nsources && rc == 0; k++)
	{
		const char *name;
		const char *kv[2];

		if (used[k])
			continue;
		if (zip != NULL)
		{
			if (sage_zip_entry(zip, k)->is_dir)
				continue;
			name = sage_zip_entry(zip, k)->name;
		}
		else
			name = inputs[k].name;
		kv[0] = "file";
		kv[1] = name;
		rc = sage_report_event(pc->report, SAGE_EVENT_INFO,
							   "the package holds a file that no catalog asks for", 1, kv, err);
	}
	if (rc == 0)
		rc = run_package_rules(pc, pkg, results, err);
	for (k = 0; k < pkg->ncatalogs; k++)
		sage_catalog_result_free(&results[k]);
	return rc;
}

/* Processes one CSV or EXCEL file for a catalog (and its one-catalog package). */
static int
process_single(ProcessContext *pc, const SageSelection *sel, const SageInputFile *input,
			   SageError *err)
{
	const SageCatalogDef *cat = &pc->config->catalogs[sel->catalog];
	const SagePackageDef *pkg = sel->package >= 0 ? &pc->config->packages[sel->package] : NULL;
	CatalogResult res;
	MemberSource src;
	int			rc;

	src.name = base_name(input->name);
	src.zip_index = -1;
	src.input = input;
	rc = scan_source(pc, cat, &src, NULL, pkg, &res, err);
	if (rc == 0 && pkg != NULL && pkg->ncatalogs == 1)
	{
		res.file = src.name;
		rc = run_package_rules(pc, pkg, &res, err);
	}
	sage_catalog_result_free(&res);
	return rc;
}

/* Loads the whole of an input that must be random-accessed (ZIP). */
static int
input_bytes(ProcessContext *pc, const SageInputFile *in, const char **data, size_t *len,
			SageError *err)
{
	if (in->path != NULL)
	{
		char	   *d;

		if (sage_read_file(pc->arena, in->path, 0, &d, len, err) != 0)
			return -1;
		*data = d;
		return 0;
	}
	*data = in->data;
	*len = in->len;
	return 0;
}

/* Chooses what to run for the inputs and runs it. */
static int
process_inputs(ProcessContext *pc, const SageInputFile *inputs, int ninputs, SageError *err)
{
	const SageConfig *config = pc->config;
	SageSelection sel;
	int			k;

	if (ninputs <= 0)
		return sage_error_set(err, SAGE_ERR_ARGUMENT, "no input file was given");
	if (ninputs == 1)
	{
		if (sage_config_select(config, inputs[0].name, pc->opts->package, &sel, err) != 0)
			return -1;
		if (sel.format == SAGE_FORMAT_ZIP)
		{
			const char *data;
			size_t		len;
			SageZip    *zip;

			if (input_bytes(pc, &inputs[0], &data, &len, err) != 0 ||
				sage_zip_open(pc->arena, data, len, &pc->opts->zip_limits, &zip, err) != 0)
				return -1;
			return process_package(pc, &config->packages[sel.package], zip, NULL, 0, err);
		}
		return process_single(pc, &sel, &inputs[0], err);
	}

	/* several files: a package whose members were submitted one by one */
	for (k = 0; k < config->npackages; k++)
	{
		const SagePackageDef *p = &config->packages[k];

		if (pc->opts->package != NULL ? strcmp(p->key, pc->opts->package) == 0
			: p->ncatalogs > 1)
			return process_package(pc, p, NULL, inputs, ninputs, err);
	}
	sage_error_set(err, SAGE_ERR_CONFIG, "no package of the configuration takes several files");
	if (pc->opts->package != NULL)
		sage_error_detail(err, "Package \"%s\" does not exist.", pc->opts->package);
	else
		sage_error_detail(err, "%d files were submitted, but no package lists more than one catalog.",
						  ninputs);
	sage_error_hint(err, "Submit one file at a time, or add a ZIP package listing the catalogs.");
	return -1;
}

int
sage_config_check(const char *config_yaml, size_t config_len, SageError *err)
{
	SageArena  *arena = sage_arena_new(NULL);
	SageConfig *config;

	if (arena == NULL)
		return sage_error_memory(err, NULL);
	config = sage_config_load(arena, config_yaml, config_len, err);
	sage_arena_free(arena);
	return config != NULL ? 0 : -1;
}

int
sage_process(const char *config_yaml, size_t config_len,
			 const SageInputFile *inputs, int ninputs,
			 const SageProcessOptions *opts, SageSink *sink, SageOutcome *out)
{
	SageBudget	budget;
	SageArena  *arena;
	SageReportInfo info;
	SageProcessOptions defaults;
	ProcessContext pc;
	SageError	err;
	char		uuid[40];
	char	   *names = NULL;
	int			rc = 0,
				k;

	memset(out, 0, sizeof(SageOutcome));
	memset(&budget, 0, sizeof(budget));
	if (opts == NULL)
	{
		memset(&defaults, 0, sizeof(defaults));
		opts = &defaults;
	}
	budget.limit = opts->memory_limit;
	arena = sage_arena_new(&budget);
	if (arena == NULL)
		return sage_error_memory(&out->error, NULL);
	sage_error_clear(&err);

	memset(&info, 0, sizeof(info));
	if (opts->execution_id == NULL)
		sage_uuid_v4(uuid);
	info.execution_id = opts->execution_id != NULL ? opts->execution_id : uuid;
	info.where = opts->where != NULL ? opts->where : "local";
	info.processor_version = SAGE_PROCESSOR_VERSION;
	info.start_usec = now_usec();
	info.max_listed = opts->max_listed;
	for (k = 0; k < ninputs; k++)
		names = names == NULL ? sage_strdup(arena, inputs[k].name)
			: sage_printf(arena, "%s, %s", names, inputs[k].name);
	info.input_name = names;

	memset(&pc, 0, sizeof(pc));
	pc.opts = opts;
	pc.budget = &budget;
	pc.arena = arena;
	pc.config = sage_config_load(arena, config_yaml, config_len, &err);
	info.config_name = pc.config != NULL ? pc.config->name : NULL;

	pc.report = sage_report_new(arena, &budget, &info, sink, &out->error);
	if (pc.report == NULL)
	{
		sage_arena_free(arena);
		return -1;
	}
	if (pc.config == NULL)
		rc = -1;
	else
	{
		for (k = 0; k < pc.config->nnotes && rc == 0; k++)
		{
			const char *kv[2] = {"path", pc.config->notes[k].path};

			rc = sage_report_event(pc.report, SAGE_EVENT_INFO, pc.config->notes[k].message,
								   1, kv, &err);
		}
		if (rc == 0)
			rc = process_inputs(&pc, inputs, ninputs, &err);
	}

	if (rc != 0)
	{
		if (err.code == SAGE_ERR_CANCELLED)
		{
			/* nothing trustworthy to write: the caller reports it */
			sage_report_abort(pc.report);
			out->error = err;
			sage_arena_free(arena);
			return -1;
		}
		out->error = err;
		sage_report_system_failure(pc.report, &err);
	}
	else
		out->processed = true;

	if (sage_report_finish(pc.report, now_usec(), &err) != 0)
	{
		out->processed = false;
		out->error = err;
		sage_arena_free(arena);
		return -1;
	}
	sage_report_summary(pc.report, &out->summary);
	out->peak_memory = budget.peak;
	sage_arena_free(arena);
	return 0;
}
