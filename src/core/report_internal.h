/*-------------------------------------------------------------------------
 *
 * src/core/report_internal.h
 *		The report's private state, shared by the collector (report.c) and
 *		the writers of each output (report_json.c, report_html.c,
 *		report_text.c, failures_csv.c).
 *
 * Glossary:
 *	group	the findings of one (file, check) pair; it counts all of them and
 *			keeps the first keep_cap, of which the first max_listed are
 *			"listed" in report.json and report.html and the first
 *			SAGE_REPORT_LOG_LISTED are written to output.log.
 *	entry	a file the report knows: declared by the processor (it appears in
 *			files.statistics) or only named by summary-only findings.
 *
 *-------------------------------------------------------------------------
 */
#ifndef SAGE_REPORT_INTERNAL_H
#define SAGE_REPORT_INTERNAL_H

#include "sage/report.h"
#include "json_internal.h"

/* Findings written per (file, check) in output.log before the total line. */
#define SAGE_REPORT_LOG_LISTED 10
/* Default of SageReportInfo.max_listed. */
#define SAGE_REPORT_DEFAULT_MAX_LISTED 1000
/* Events kept; past this only a count is kept (events do not scale with rows). */
#define SAGE_REPORT_MAX_EVENTS 10000
/* Format errors and missing files kept per report; past this only counted. */
#define SAGE_REPORT_MAX_FILE_PROBLEMS 10000
/*
 * Bytes of a kept string (value, field, rule, message): longer ones are cut
 * on a character boundary and end with "...". failures.csv has them whole.
 */
#define SAGE_REPORT_MAX_KEPT_STRING 2048
/* Failing lines quoted in a kept catalog/package rule message. */
#define SAGE_REPORT_KEPT_LINES 100
/* Buffer of one output handle. */
#define SAGE_REPORT_OUT_BUFFER 65536

/* A finding kept for listing (copied strings, NULL = absent). */
typedef struct ReportKept
{
	struct ReportKept *next;	/* next kept finding in arrival order */
	struct ReportKept *group_next;	/* next kept finding of the same group */
	const char *file;			/* data file, or NULL at package level */
	uint64_t	line;			/* 0 = none */
	const char *field;			/* field or header name */
	SageCheck	check;			/* which check found it */
	const char *rule;			/* rule name */
	SageSeverity severity;		/* error, warning or message */
	const char *value;			/* offending value (possibly cut) */
	const char *message;		/* message with failing lines (possibly cut) */
	bool		listed;			/* among the first max_listed of its group */
} ReportKept;

/* The findings of one (file, check). */
typedef struct ReportGroup
{
	uint64_t	total;			/* every finding, exactly */
	uint32_t	nkept;			/* findings kept, at most keep_cap */
	ReportKept *first;			/* kept findings in arrival order */
	ReportKept *last;			/* tail, for appending */
} ReportGroup;

/* A file known to the report. */
typedef struct ReportFile
{
	struct ReportFile *next;	/* order of first appearance */
	const char *name;			/* NULL only for the package-level entry */
	bool		declared;		/* listed in files.statistics */
	uint64_t	records;		/* set by sage_report_file_counts */
	uint64_t	rows_with_errors;	/* idem */
	uint64_t	errors;			/* error findings counted in this file */
	uint64_t	warnings;		/* warning findings counted in this file */
	ReportGroup groups[SAGE_NCHECKS];	/* per check */
} ReportFile;

/* One event of output.log and report.json. */
typedef struct ReportEvent
{
	struct ReportEvent *next;	/* arrival order */
	int64_t		usec;			/* when it happened */
	SageEventLevel level;		/* info, warning, error */
	const char *message;		/* the event itself */
	int			nkv;			/* detail pairs */
	const char **kv;			/* kv[2i] key, kv[2i+1] value (may be NULL) */
} ReportEvent;

/* A catalog file absent from a ZIP package. */
typedef struct ReportMissing
{
	struct ReportMissing *next; /* arrival order */
	const char *filename;		/* the catalog's filename */
	const char *package;		/* the package key, or NULL */
} ReportMissing;

/* A file-level format problem. */
typedef struct ReportFormatError
{
	struct ReportFormatError *next; /* arrival order */
	SageCheck	check;			/* column_count, column_missing, column_extra */
	const char *file;			/* data file */
	const char *message;		/* what is wrong */
	const char *expected;		/* what the configuration asked for, or NULL */
	const char *found;			/* what the file had, or NULL */
} ReportFormatError;

/*
 * A buffered output file of the sink. Failures are sticky: after the first
 * one nothing more is written and err keeps the cause.
 */
typedef struct ReportOut
{
	SageSink   *sink;			/* where the file goes */
	void	   *handle;			/* sink handle; NULL when not open */
	bool		failed;			/* a write or open failed */
	SageError	err;			/* the first failure */
	size_t		len;			/* bytes waiting in buf */
	char		buf[SAGE_REPORT_OUT_BUFFER];	/* pending bytes */
} ReportOut;

struct SageReport
{
	SageArena  *arena;			/* everything kept lives here */
	SageBudget *budget;			/* for the memory-limit message */
	SageSink   *sink;			/* outputs go here */

	/* SageReportInfo, copied */
	const char *execution_id;
	const char *where;
	const char *processor_version;
	const char *config_name;
	const char *input_name;
	int64_t		start_usec;
	int64_t		end_usec;		/* set by sage_report_finish */
	uint32_t	max_listed;		/* findings listed per group in report.json */
	uint32_t	keep_cap;		/* findings kept per group (max_listed or 10) */

	ReportFile *files;			/* entries in order of first appearance */
	ReportFile *files_tail;		/* for appending */
	ReportFile *package_level;	/* findings with file == NULL, or NULL */
	ReportFile *last_hit;		/* cache of the last entry looked up */

	ReportKept *kept;			/* kept findings in arrival order */
	ReportKept *kept_tail;		/* for appending */

	uint64_t	errors;			/* all error findings */
	uint64_t	warnings;		/* all warning findings */
	uint64_t	infos;			/* message-severity findings (never counted) */

	ReportEvent *events;		/* kept events */
	ReportEvent *events_tail;
	uint32_t	nevents;		/* events kept */
	uint64_t	events_dropped; /* events past SAGE_REPORT_MAX_EVENTS */

	ReportMissing *missing;		/* missing ZIP members */
	ReportMissing *missing_tail;
	ReportFormatError *format_errors;	/* file-level format problems */
	ReportFormatError *format_tail;
	uint32_t	nfile_problems; /* missing + format errors kept */
	uint64_t	file_problems_dropped;	/* past SAGE_REPORT_MAX_FILE_PROBLEMS */

	bool		out_of_memory;	/* an allocation failed in a void entry point */
	bool		system_failure; /* the execution could not be processed */
	SageError	failure;		/* its cause */

	ReportOut	csv;			/* failures.csv, open from creation to finish */
	bool		finished;		/* sage_report_finish or abort ran */
};

/* ------------------------------------------------------------- report.c */

/* Severity as written in the outputs: "error", "warning", "info". */
const char *sage_report_severity_label(SageSeverity sev);
/* Event level as written in report.json ("info") and output.log ("INFO"). */
const char *sage_report_level_label(SageEventLevel level, bool upper);
/* Success rate in hundredths of a percent (2550 = 25.50 %). */
uint64_t	sage_report_rate_centi(uint64_t records, uint64_t rows_with_errors,
								   uint64_t errors);
/* "2026-11-27T22:40:01.123Z" (buf >= 32 bytes). */
void		sage_report_iso_time(int64_t usec, char *buf);
/* "2026-11-27 22:40:01" in UTC (buf >= 32 bytes). */
void		sage_report_log_time(int64_t usec, char *buf);
/* Status word of the summary. */
const char *sage_report_status(const SageReport *report);

/* Buffered output through the sink. */
int			sage_rout_open(ReportOut *out, SageSink *sink, const char *name, SageError *err);
void		sage_rout_write(ReportOut *out, const void *data, size_t len);
void		sage_rout_puts(ReportOut *out, const char *s);
void		sage_rout_printf(ReportOut *out, const char *fmt,...)
			__attribute__((format(printf, 2, 3)));
/* Flushes and closes; -1 with the first failure copied to *err. */
int			sage_rout_close(ReportOut *out, SageError *err);
/* JSON writer callback writing into a ReportOut. */
int			sage_rout_json_emit(void *ctx, const char *data, size_t len);

/*
 * Text rendering shared by the writers; every mode replaces invalid UTF-8
 * with U+FFFD. NULL writes nothing.
 */
typedef enum ReportTextMode
{
	REPORT_TEXT_PLAIN,			/* control characters as \n, \t, \xNN */
	REPORT_TEXT_HTML,			/* & < > " ' escaped, controls replaced */
	REPORT_TEXT_CSV,			/* one RFC 4180 field, quoted when needed */
	REPORT_TEXT_CSV_INNER		/* inside a quoted field: quotes doubled */
} ReportTextMode;

void		sage_rout_text(ReportOut *out, const char *s, ReportTextMode mode);

/* ------------------------------------------------------------- writers */

/* failures.csv: header at creation, one line per finding. */
int			sage_failures_csv_open(SageReport *report, SageError *err);
void		sage_failures_csv_add(SageReport *report, const SageFinding *finding);
int			sage_failures_csv_close(SageReport *report, SageError *err);
/*
 * message + " (failing lines: 3, 7, 9)" with at most max_lines numbers,
 * then "... N in total" (arena copy; NULL when out of memory).
 */
char	   *sage_report_lines_text(SageArena *arena, const char *message,
								   const uint64_t *lines, size_t nlines, size_t max_lines);

int			sage_report_write_json(SageReport *report, SageError *err);
int			sage_report_write_html(SageReport *report, SageError *err);
int			sage_report_write_log(SageReport *report, SageError *err);
int			sage_report_write_results(SageReport *report, SageError *err);
int			sage_report_write_error_log(SageReport *report, SageError *err);

#endif							/* SAGE_REPORT_INTERNAL_H */
