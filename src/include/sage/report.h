/*-------------------------------------------------------------------------
 *
 * src/include/sage/report.h
 *		Findings, counts and events of one execution, and the writers of its
 *		outputs (PROCESSOR.md section 7) through a sink.
 *
 * Findings stream: every finding goes to failures.csv as it arrives, while
 * the report keeps only the first max_listed per (file, check) for
 * report.json and the first 10 for output.log, plus exact counts. Memory is
 * therefore bounded whatever the number of findings.
 *
 * Conventions of the outputs (details in the banner of each writer):
 *	- severities are written "error", "warning" and "info" (a rule of
 *	  severity message); info findings are listed, never counted.
 *	- a finding counts in its file's statistics unless summary_only is set
 *	  or file is NULL; a counted finding naming an undeclared file declares
 *	  it. summary_only findings still list their file.
 *	- catalog/package rule findings are one finding each: line empty/null,
 *	  and the report appends the failing lines (finding->lines) to the
 *	  message itself: all of them in failures.csv, the first 100 elsewhere.
 *	  Callers pass the rule's message without a line list.
 *	- times are UTC; report.json uses "2026-11-27T22:40:01.123Z".
 *	- a system failure makes the status "Fallido", adds an error event with
 *	  its code/detail/hint and writes error.log.
 *	- every output is valid UTF-8 (invalid bytes become U+FFFD).
 *
 *-------------------------------------------------------------------------
 */
#ifndef SAGE_REPORT_H
#define SAGE_REPORT_H

#include "sage/common.h"
#include "sage/config.h"

typedef enum SageCheck
{
	SAGE_CHECK_COLUMN_COUNT = 0,
	SAGE_CHECK_COLUMN_MISSING,
	SAGE_CHECK_COLUMN_EXTRA,
	SAGE_CHECK_ROW_SHAPE,
	SAGE_CHECK_ENCODING,
	SAGE_CHECK_TYPE,
	SAGE_CHECK_REQUIRED,
	SAGE_CHECK_UNIQUE,
	SAGE_CHECK_FIELD_RULE,
	SAGE_CHECK_ROW_RULE,
	SAGE_CHECK_CATALOG_RULE,
	SAGE_CHECK_PACKAGE_RULE,
	SAGE_CHECK_MISSING_FILE,
	SAGE_CHECK_RULE_ERROR
} SageCheck;
#define SAGE_NCHECKS (SAGE_CHECK_RULE_ERROR + 1)

/* "column_count", "type", ... as in report.json */
const char *sage_check_name(SageCheck check);
/* "error", "warning", "message": the YAML spelling (defined in config_load.c) */
const char *sage_severity_name(SageSeverity sev);

/* One finding. Strings are copied by sage_report_add_finding when kept. */
typedef struct SageFinding
{
	const char *file;			/* data file / member catalog filename; NULL = package level */
	uint64_t	line;			/* 0 = no line */
	const char *field;			/* field or header name, or NULL */
	SageCheck	check;
	const char *rule;			/* rule name, or NULL */
	SageSeverity severity;
	const char *value;			/* offending value, or NULL */
	const char *message;		/* human message (Spanish descriptions allowed) */
	const uint64_t *lines;		/* catalog/package rules: failing lines, or NULL */
	size_t		nlines;
	bool		summary_only;	/* counts in the summary but in no file's statistics */
} SageFinding;

/* Event severities of output.log and report.json's events. */
typedef enum SageEventLevel
{
	SAGE_EVENT_INFO = 0,
	SAGE_EVENT_WARNING,
	SAGE_EVENT_ERROR
} SageEventLevel;

/* Output sink: files are opened by name, written in pieces and closed. */
typedef struct SageSink
{
	int			(*open) (void *ctx, const char *name, void **handle, SageError *err);
	int			(*write) (void *ctx, void *handle, const void *data, size_t len, SageError *err);
	int			(*close) (void *ctx, void *handle, SageError *err);
	void	   *ctx;
} SageSink;

/*
 * A sink writing files into a directory (created with its parents, mode
 * 0755, if needed). Names must be plain file names (no '/'). Write errors
 * are SAGE_ERR_IO "could not write file ...". Every handle opened must be
 * closed (the descriptor is released by close).
 */
int			sage_sink_directory(SageArena *arena, const char *dir, SageSink *out, SageError *err);

/*
 * A sink keeping files in memory (allocated from arena), for callers that
 * store the outputs elsewhere (bytea, S3). Opening an existing name
 * truncates it. A file becomes visible to the accessors below once closed;
 * its data is then one contiguous block valid as long as the arena,
 * followed by a NUL byte that len does not count.
 */
void		sage_sink_memory(SageArena *arena, SageSink *out);
/* Number of closed files held by a memory sink (0 for any other sink). */
int			sage_sink_memory_count(const SageSink *sink);
/* The index-th closed file, in order of first creation; false when out of range. */
bool		sage_sink_memory_file(const SageSink *sink, int index, const char **name,
								  const void **data, size_t *len);
/* The closed file called name; false when there is none. */
bool		sage_sink_memory_find(const SageSink *sink, const char *name,
								  const void **data, size_t *len);

typedef struct SageReport SageReport;

typedef struct SageReportInfo
{
	const char *execution_id;
	const char *where;			/* "local" or "lambda" */
	const char *processor_version;
	const char *config_name;	/* sage_yaml.name */
	const char *input_name;		/* submitted file name(s) */
	int64_t		start_usec;		/* wall clock, microseconds since epoch */
	uint32_t	max_listed;		/* 0 = 1000 */
} SageReportInfo;

/*
 * A report writing through sink; failures.csv is created at once (header
 * only until findings arrive). Everything kept lives in arena; budget is
 * only used to word the memory-limit error. Strings of info are copied.
 */
SageReport *sage_report_new(SageArena *arena, SageBudget *budget, const SageReportInfo *info,
							SageSink *sink, SageError *err);

/* Declares a data file (in processing order) so it appears in statistics. */
int			sage_report_file(SageReport *report, const char *name, SageError *err);
/* Sets records and rows_with_errors of a declared file. */
void		sage_report_file_counts(SageReport *report, const char *name,
									uint64_t records, uint64_t rows_with_errors);
/* Adds a finding: counted, written to failures.csv, kept if under the caps. */
int			sage_report_add_finding(SageReport *report, const SageFinding *finding, SageError *err);
/* A missing ZIP member (also add the missing_file finding separately). */
int			sage_report_missing_file(SageReport *report, const char *filename,
									 const char *package, SageError *err);
/* A file-level format problem (column_count, column_missing, column_extra). */
int			sage_report_format_error(SageReport *report, SageCheck check, const char *file,
									 const char *message, const char *expected,
									 const char *found, SageError *err);
/*
 * An event; details are key/value string pairs (nkv pairs, kv[2*i] key,
 * kv[2*i+1] value) rendered as a JSON object.
 */
int			sage_report_event(SageReport *report, SageEventLevel level, const char *message,
							  int nkv, const char *const *kv, SageError *err);
/* The same with an explicit time (microseconds since epoch), for tests and replays. */
int			sage_report_event_at(SageReport *report, int64_t usec, SageEventLevel level,
								 const char *message, int nkv, const char *const *kv,
								 SageError *err);
/* Marks the execution as a system failure with its error (error.log is written). */
void		sage_report_system_failure(SageReport *report, const SageError *cause);

/* Totals after all findings. */
typedef struct SageSummary
{
	uint64_t	total_records;
	uint64_t	errors;
	uint64_t	warnings;
	uint64_t	rows_with_errors;
	double		success_rate;	/* 2 decimals */
	const char *status;			/* "Éxito", "Parcial", "Fallido" */
	bool		system_failure;
} SageSummary;

void		sage_report_summary(const SageReport *report, SageSummary *out);

/*
 * Writes output.log, report.json, report.html, results.txt (and error.log
 * on a system failure) and closes failures.csv. end_usec is the end time.
 */
int			sage_report_finish(SageReport *report, int64_t end_usec, SageError *err);

/*
 * Releases what a report holds outside its arena (the open failures.csv
 * handle) when it will not be finished, e.g. after a cancel. Harmless after
 * sage_report_finish.
 */
void		sage_report_abort(SageReport *report);

#endif							/* SAGE_REPORT_H */
