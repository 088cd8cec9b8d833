/*-------------------------------------------------------------------------
 *
 * src/core/report.c
 *		The findings collector of one execution: exact counts, bounded
 *		listings, events, missing files, format errors and the system
 *		failure; plus the helpers every output writer shares (buffered
 *		output through the sink, text escaping, times, the status rules of
 *		PROCESSOR.md section 6).
 *
 * Counting rules:
 *	- errors / warnings count every finding of that severity, exactly;
 *	  SAGE_SEV_MESSAGE findings are listed (as "info") but never counted.
 *	- a finding counts in its file's statistics unless summary_only is set
 *	  or it has no file. A finding naming a file that was never declared
 *	  declares it (so no count is ever lost), except summary-only ones.
 *	- records and rows_with_errors come from the processor
 *	  (sage_report_file_counts); the summary sums the declared files.
 *
 * Memory: each finding is written to failures.csv at once; a copy is kept
 * only for the first keep_cap = max(max_listed, 10) findings of its
 * (file, check), with strings cut at SAGE_REPORT_MAX_KEPT_STRING bytes.
 * Past that a finding costs one counter increment, so a file where a
 * million rows fail uses the same memory as one where a thousand do.
 *
 *-------------------------------------------------------------------------
 */
#include "report_internal.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

/* -------------------------------------------------------- names/labels */

const char *
sage_check_name(SageCheck check)
{
	static const char *const names[SAGE_NCHECKS] = {
		"column_count", "column_missing", "column_extra", "row_shape",
		"encoding", "type", "required", "unique", "field_rule", "row_rule",
		"catalog_rule", "package_rule", "missing_file", "rule_error"
	};

	if ((unsigned) check >= SAGE_NCHECKS)
		return "unknown";
	return names[check];
}

/*
 * sage_severity_name (declared in report.h) is defined in config_load.c,
 * next to the YAML parsing of severities.
 */

/*
 * sage_report_severity_label
 *		Outputs say "info" for message-severity findings, the word events
 *		use too, so one vocabulary (error, warning, info) covers both.
 */
const char *
sage_report_severity_label(SageSeverity sev)
{
	switch (sev)
	{
		case SAGE_SEV_ERROR:
			return "error";
		case SAGE_SEV_WARNING:
			return "warning";
		case SAGE_SEV_MESSAGE:
			return "info";
	}
	return "unknown";
}

const char *
sage_report_level_label(SageEventLevel level, bool upper)
{
	switch (level)
	{
		case SAGE_EVENT_INFO:
			return upper ? "INFO" : "info";
		case SAGE_EVENT_WARNING:
			return upper ? "WARNING" : "warning";
		case SAGE_EVENT_ERROR:
			return upper ? "ERROR" : "error";
	}
	return upper ? "UNKNOWN" : "unknown";
}

/* ---------------------------------------------------------------- time */

/*
 * report_civil
 *		Calendar date of a day count since 1970-01-01 (Howard Hinnant's
 *		civil_from_days), so times are UTC without relying on gmtime_r or
 *		the TZ environment of the host (Lambda, a backend, a shell).
 */
static void
report_civil(int64_t days, int64_t *year, unsigned *month, unsigned *day)
{
	int64_t		z = days + 719468;
	int64_t		era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned	doe = (unsigned) (z - era * 146097);
	unsigned	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned	mp = (5 * doy + 2) / 153;

	*day = doy - (153 * mp + 2) / 5 + 1;
	*month = mp < 10 ? mp + 3 : mp - 9;
	*year = (int64_t) yoe + era * 400 + (*month <= 2);
}

/*
 * report_split_time
 *		Breaks microseconds since the epoch into UTC fields (floor division,
 *		so times before 1970 are right too).
 */
static void
report_split_time(int64_t usec, int64_t *year, unsigned *month, unsigned *day,
				  unsigned *hh, unsigned *mm, unsigned *ss, unsigned *ms)
{
	int64_t		secs = usec / 1000000;
	int64_t		rem = usec % 1000000;
	int64_t		days,
				sod;

	if (rem < 0)
	{
		rem += 1000000;
		secs--;
	}
	days = secs / 86400;
	sod = secs % 86400;
	if (sod < 0)
	{
		sod += 86400;
		days--;
	}
	report_civil(days, year, month, day);
	*hh = (unsigned) (sod / 3600);
	*mm = (unsigned) (sod % 3600 / 60);
	*ss = (unsigned) (sod % 60);
	*ms = (unsigned) (rem / 1000);
}

/*
 * report_copy_time
 *		Copies a formatted time into a caller's 32-byte buffer. Only years
 *		past 99999 (never a real clock) could be longer; they are cut.
 */
static void
report_copy_time(char *buf, const char *tmp)
{
	size_t		n = strlen(tmp);

	if (n > 31)
		n = 31;
	memcpy(buf, tmp, n);
	buf[n] = '\0';
}

void
sage_report_iso_time(int64_t usec, char *buf)
{
	int64_t		y;
	unsigned	mo,
				d,
				hh,
				mi,
				ss,
				ms;

	char		tmp[64];

	report_split_time(usec, &y, &mo, &d, &hh, &mi, &ss, &ms);
	snprintf(tmp, sizeof(tmp), "%04lld-%02u-%02uT%02u:%02u:%02u.%03uZ",
			 (long long) y, mo, d, hh, mi, ss, ms);
	report_copy_time(buf, tmp);
}

void
sage_report_log_time(int64_t usec, char *buf)
{
	int64_t		y;
	unsigned	mo,
				d,
				hh,
				mi,
				ss,
				ms;

	char		tmp[64];

	report_split_time(usec, &y, &mo, &d, &hh, &mi, &ss, &ms);
	snprintf(tmp, sizeof(tmp), "%04lld-%02u-%02u %02u:%02u:%02u",
			 (long long) y, mo, d, hh, mi, ss);
	report_copy_time(buf, tmp);
}

/*
 * report_now
 *		Wall clock in microseconds, for events logged without a time.
 */
static int64_t
report_now(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
		return 0;
	return (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* ------------------------------------------------------- rate / status */

/*
 * sage_report_rate_centi
 *		100 x (records - rows_with_errors) / records in hundredths, rounded
 *		half up in integer arithmetic so 2/3 gives 6667 (66.67) on every
 *		platform. rows_with_errors above records (a processor bug) is
 *		clamped so the rate is never negative.
 */
uint64_t
sage_report_rate_centi(uint64_t records, uint64_t rows_with_errors, uint64_t errors)
{
	uint64_t	good;

	if (records == 0)
		return errors > 0 ? 0 : 10000;
	if (rows_with_errors > records)
		rows_with_errors = records;
	good = records - rows_with_errors;
	if (records <= UINT64_MAX / 20000)
		return (good * 20000 + records) / (2 * records);
	/* beyond 9e14 records the double's 53 bits are still exact enough */
	return (uint64_t) ((double) good * 10000.0 / (double) records + 0.5);
}

const char *
sage_report_status(const SageReport *report)
{
	if (report->system_failure || report->errors > 0)
		return "Fallido";
	if (report->warnings > 0)
		return "Parcial";
	return "\xC3\x89xito";
}

void
sage_report_summary(const SageReport *report, SageSummary *out)
{
	const ReportFile *f;
	uint64_t	centi;

	memset(out, 0, sizeof(*out));
	for (f = report->files; f != NULL; f = f->next)
	{
		if (!f->declared)
			continue;
		out->total_records += f->records;
		out->rows_with_errors += f->rows_with_errors;
	}
	out->errors = report->errors;
	out->warnings = report->warnings;
	centi = sage_report_rate_centi(out->total_records, out->rows_with_errors,
								   out->errors);
	out->success_rate = (double) centi / 100.0;
	out->status = sage_report_status(report);
	out->system_failure = report->system_failure;
}

/* --------------------------------------------------------- buffered out */

int
sage_rout_open(ReportOut *out, SageSink *sink, const char *name, SageError *err)
{
	out->sink = sink;
	out->handle = NULL;
	out->failed = false;
	out->len = 0;
	sage_error_clear(&out->err);
	if (sink->open(sink->ctx, name, &out->handle, &out->err) != 0)
	{
		out->failed = true;
		out->handle = NULL;
		if (out->err.code == SAGE_OK)
			sage_error_set(&out->err, SAGE_ERR_IO, "could not open output \"%s\"", name);
		if (err != NULL)
			*err = out->err;
		return -1;
	}
	return 0;
}

/*
 * rout_flush
 *		Hands the buffered bytes to the sink.
 */
static void
rout_flush(ReportOut *out)
{
	if (out->failed || out->len == 0)
	{
		out->len = 0;
		return;
	}
	if (out->sink->write(out->sink->ctx, out->handle, out->buf, out->len, &out->err) != 0)
	{
		out->failed = true;
		if (out->err.code == SAGE_OK)
			sage_error_set(&out->err, SAGE_ERR_IO, "could not write output");
	}
	out->len = 0;
}

void
sage_rout_write(ReportOut *out, const void *data, size_t len)
{
	const char *p = data;

	if (out->failed || out->handle == NULL)
		return;
	while (len > 0)
	{
		size_t		room = sizeof(out->buf) - out->len;

		if (room == 0)
		{
			rout_flush(out);
			if (out->failed)
				return;
			room = sizeof(out->buf);
		}
		if (room > len)
			room = len;
		memcpy(out->buf + out->len, p, room);
		out->len += room;
		p += room;
		len -= room;
	}
}

void
sage_rout_puts(ReportOut *out, const char *s)
{
	if (s != NULL)
		sage_rout_write(out, s, strlen(s));
}

void
sage_rout_printf(ReportOut *out, const char *fmt,...)
{
	char		small[512];
	va_list		ap;
	int			n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t) n < sizeof(small))
	{
		sage_rout_write(out, small, (size_t) n);
		return;
	}
	/* only short formats are used; a longer result is cut, never overflowed */
	sage_rout_write(out, small, sizeof(small) - 1);
}

int
sage_rout_close(ReportOut *out, SageError *err)
{
	SageError	cerr;

	if (out->handle != NULL)
	{
		rout_flush(out);
		sage_error_clear(&cerr);
		if (out->sink->close(out->sink->ctx, out->handle, &cerr) != 0 && !out->failed)
		{
			out->failed = true;
			out->err = cerr;
			if (out->err.code == SAGE_OK)
				sage_error_set(&out->err, SAGE_ERR_IO, "could not close output");
		}
		out->handle = NULL;
	}
	if (out->failed)
	{
		if (err != NULL)
			*err = out->err;
		return -1;
	}
	return 0;
}

int
sage_rout_json_emit(void *ctx, const char *data, size_t len)
{
	ReportOut  *out = ctx;

	sage_rout_write(out, data, len);
	return out->failed ? -1 : 0;
}

/*
 * rout_csv_needs_quotes
 *		RFC 4180: a field holding the delimiter, a quote or a line break is
 *		quoted. Leading/trailing spaces are quoted too, so spreadsheet
 *		programs keep them.
 */
static bool
rout_csv_needs_quotes(const char *s)
{
	size_t		len = strlen(s);

	if (len > 0 && (s[0] == ' ' || s[len - 1] == ' '))
		return true;
	return strpbrk(s, ",\"\r\n") != NULL;
}

void
sage_rout_text(ReportOut *out, const char *s, ReportTextMode mode)
{
	const unsigned char *p = (const unsigned char *) s;
	size_t		len,
				run = 0,
				i = 0;
	bool		quoted = false;

	if (s == NULL)
		return;
	len = strlen(s);
	if (mode == REPORT_TEXT_CSV && rout_csv_needs_quotes(s))
	{
		quoted = true;
		sage_rout_write(out, "\"", 1);
	}
	while (i < len)
	{
		unsigned char c = p[i];
		const char *rep = NULL;
		char		xbuf[8];
		size_t		n = 1;

		if (c >= 0x80)
		{
			n = sage_utf8_seq_len(p + i, len - i);
			if (n > 0)
			{
				i += n;
				continue;
			}
			rep = SAGE_UTF8_REPLACEMENT;
			n = 1;
		}
		else if (mode == REPORT_TEXT_CSV || mode == REPORT_TEXT_CSV_INNER)
		{
			if (c == '"')
				rep = "\"\"";
		}
		else if (mode == REPORT_TEXT_HTML)
		{
			switch (c)
			{
				case '&':
					rep = "&amp;";
					break;
				case '<':
					rep = "&lt;";
					break;
				case '>':
					rep = "&gt;";
					break;
				case '"':
					rep = "&quot;";
					break;
				case '\'':
					rep = "&#39;";
					break;
				default:
					if ((c < 0x20 && c != '\n' && c != '\r' && c != '\t') || c == 0x7F)
						rep = SAGE_UTF8_REPLACEMENT;
					break;
			}
		}
		else if (c < 0x20 || c == 0x7F)
		{
			/* plain text: one finding or event stays on one line */
			if (c == '\n')
				rep = "\\n";
			else if (c == '\r')
				rep = "\\r";
			else if (c == '\t')
				rep = "\\t";
			else
			{
				snprintf(xbuf, sizeof(xbuf), "\\x%02X", c);
				rep = xbuf;
			}
		}
		if (rep == NULL)
		{
			i++;
			continue;
		}
		sage_rout_write(out, s + run, i - run);
		sage_rout_puts(out, rep);
		i += n;
		run = i;
	}
	sage_rout_write(out, s + run, i - run);
	if (quoted)
		sage_rout_write(out, "\"", 1);
}

/* ----------------------------------------------------------- collector */

/*
 * report_copy
 *		Copies a kept string, cutting it on a UTF-8 boundary past
 *		SAGE_REPORT_MAX_KEPT_STRING bytes. *oom is set when the arena is
 *		exhausted (NULL in, NULL out is not a failure).
 */
static const char *
report_copy(SageReport *report, const char *s, bool *oom)
{
	size_t		len;
	char	   *copy;

	if (s == NULL)
		return NULL;
	len = strlen(s);
	if (len <= SAGE_REPORT_MAX_KEPT_STRING)
		copy = sage_strndup(report->arena, s, len);
	else
	{
		size_t		cut = SAGE_REPORT_MAX_KEPT_STRING;

		/* back off continuation bytes so no character is split */
		while (cut > 0 && ((unsigned char) s[cut] & 0xC0) == 0x80)
			cut--;
		copy = sage_alloc(report->arena, cut + 4);
		if (copy != NULL)
		{
			memcpy(copy, s, cut);
			memcpy(copy + cut, "...", 4);
		}
	}
	if (copy == NULL)
		*oom = true;
	return copy;
}

/*
 * report_entry
 *		Finds or appends the entry of a file name; declare makes it appear
 *		in the statistics. NULL when out of memory.
 */
static ReportFile *
report_entry(SageReport *report, const char *name, bool declare)
{
	ReportFile *f = report->last_hit;

	if (f == NULL || f->name == NULL || strcmp(f->name, name) != 0)
	{
		for (f = report->files; f != NULL; f = f->next)
			if (strcmp(f->name, name) == 0)
				break;
	}
	if (f == NULL)
	{
		f = sage_alloc0(report->arena, sizeof(ReportFile));
		if (f == NULL)
			return NULL;
		f->name = sage_strdup(report->arena, name);
		if (f->name == NULL)
			return NULL;
		if (report->files_tail != NULL)
			report->files_tail->next = f;
		else
			report->files = f;
		report->files_tail = f;
	}
	if (declare)
		f->declared = true;
	report->last_hit = f;
	return f;
}

SageReport *
sage_report_new(SageArena *arena, SageBudget *budget, const SageReportInfo *info,
				SageSink *sink, SageError *err)
{
	SageReport *report;
	bool		oom = false;

	if (arena == NULL || info == NULL || sink == NULL || sink->open == NULL ||
		sink->write == NULL || sink->close == NULL)
	{
		sage_error_set(err, SAGE_ERR_ARGUMENT, "invalid report arguments");
		return NULL;
	}
	report = sage_alloc0(arena, sizeof(SageReport));
	if (report == NULL)
	{
		sage_error_memory(err, budget);
		return NULL;
	}
	report->arena = arena;
	report->budget = budget;
	report->sink = sink;
	report->execution_id = report_copy(report, info->execution_id, &oom);
	report->where = report_copy(report, info->where ? info->where : "local", &oom);
	report->processor_version = report_copy(report, info->processor_version, &oom);
	report->config_name = report_copy(report, info->config_name, &oom);
	report->input_name = report_copy(report, info->input_name, &oom);
	report->start_usec = info->start_usec;
	report->end_usec = info->start_usec;
	report->max_listed = info->max_listed ? info->max_listed : SAGE_REPORT_DEFAULT_MAX_LISTED;
	report->keep_cap = report->max_listed > SAGE_REPORT_LOG_LISTED ?
		report->max_listed : SAGE_REPORT_LOG_LISTED;
	if (oom)
	{
		sage_error_memory(err, budget);
		return NULL;
	}
	/* failures.csv exists from the start, even if nothing is ever found */
	if (sage_failures_csv_open(report, err) != 0)
		return NULL;
	return report;
}

int
sage_report_file(SageReport *report, const char *name, SageError *err)
{
	if (report == NULL || name == NULL)
		return sage_error_set(err, SAGE_ERR_ARGUMENT, "invalid report file arguments");
	if (report_entry(report, name, true) == NULL)
		return sage_error_memory(err, report->budget);
	return 0;
}

void
sage_report_file_counts(SageReport *report, const char *name,
						uint64_t records, uint64_t rows_with_errors)
{
	ReportFile *f;

	if (report == NULL || name == NULL)
		return;
	f = report_entry(report, name, true);
	if (f == NULL)
	{
		report->out_of_memory = true;
		return;
	}
	f->records = records;
	f->rows_with_errors = rows_with_errors;
}

/*
 * report_keep
 *		Copies a finding for listing. The message of a catalog/package rule
 *		gets its first SAGE_REPORT_KEPT_LINES failing lines appended.
 */
static ReportKept *
report_keep(SageReport *report, const SageFinding *finding, const char *file)
{
	ReportKept *k = sage_alloc0(report->arena, sizeof(ReportKept));
	bool		oom = false;

	if (k == NULL)
		return NULL;
	k->file = file;
	k->line = finding->line;
	k->field = report_copy(report, finding->field, &oom);
	k->check = finding->check;
	k->rule = report_copy(report, finding->rule, &oom);
	k->severity = finding->severity;
	k->value = report_copy(report, finding->value, &oom);
	if (finding->nlines > 0 && finding->lines != NULL)
	{
		/* cut the message first so the line list always fits */
		const char *cut = report_copy(report, finding->message, &oom);

		k->message = sage_report_lines_text(report->arena, cut,
											finding->lines, finding->nlines,
											SAGE_REPORT_KEPT_LINES);
		if (k->message == NULL)
			oom = true;
	}
	else
		k->message = report_copy(report, finding->message, &oom);
	return oom ? NULL : k;
}

int
sage_report_add_finding(SageReport *report, const SageFinding *finding, SageError *err)
{
	ReportFile *f;
	ReportGroup *g;

	if (report == NULL || finding == NULL)
		return sage_error_set(err, SAGE_ERR_ARGUMENT, "invalid finding arguments");
	if (report->finished)
		return sage_error_set(err, SAGE_ERR_ARGUMENT, "report already finished");
	if ((unsigned) finding->check >= SAGE_NCHECKS)
		return sage_error_set(err, SAGE_ERR_ARGUMENT, "invalid finding check %d",
							  (int) finding->check);
	if ((unsigned) finding->severity > SAGE_SEV_MESSAGE)
		return sage_error_set(err, SAGE_ERR_ARGUMENT, "invalid finding severity %d",
							  (int) finding->severity);

	if (finding->file != NULL)
		f = report_entry(report, finding->file, !finding->summary_only);
	else
	{
		if (report->package_level == NULL)
			report->package_level = sage_alloc0(report->arena, sizeof(ReportFile));
		f = report->package_level;
	}
	if (f == NULL)
	{
		report->out_of_memory = true;
		return sage_error_memory(err, report->budget);
	}

	/* exact counts first: they never depend on memory or the sink */
	if (finding->severity == SAGE_SEV_ERROR)
		report->errors++;
	else if (finding->severity == SAGE_SEV_WARNING)
		report->warnings++;
	else
		report->infos++;
	if (finding->file != NULL && !finding->summary_only)
	{
		if (finding->severity == SAGE_SEV_ERROR)
			f->errors++;
		else if (finding->severity == SAGE_SEV_WARNING)
			f->warnings++;
	}

	/* failures.csv next, so it lists every finding even if keeping fails */
	sage_failures_csv_add(report, finding);

	g = &f->groups[finding->check];
	g->total++;
	if (g->nkept < report->keep_cap)
	{
		ReportKept *k = report_keep(report, finding, f->name);

		if (k == NULL)
		{
			report->out_of_memory = true;
			return sage_error_memory(err, report->budget);
		}
		k->listed = g->nkept < report->max_listed;
		g->nkept++;
		if (g->last != NULL)
			g->last->group_next = k;
		else
			g->first = k;
		g->last = k;
		if (report->kept_tail != NULL)
			report->kept_tail->next = k;
		else
			report->kept = k;
		report->kept_tail = k;
	}

	if (report->csv.failed)
	{
		if (err != NULL)
			*err = report->csv.err;
		return -1;
	}
	return 0;
}

int
sage_report_missing_file(SageReport *report, const char *filename,
						 const char *package, SageError *err)
{
	ReportMissing *m;
	bool		oom = false;

	if (report == NULL || filename == NULL)
		return sage_error_set(err, SAGE_ERR_ARGUMENT, "invalid missing file arguments");
	if (report->nfile_problems >= SAGE_REPORT_MAX_FILE_PROBLEMS)
	{
		report->file_problems_dropped++;
		return 0;
	}
	m = sage_alloc0(report->arena, sizeof(ReportMissing));
	if (m == NULL)
		return sage_error_memory(err, report->budget);
	m->filename = report_copy(report, filename, &oom);
	m->package = report_copy(report, package, &oom);
	if (oom)
		return sage_error_memory(err, report->budget);
	if (report->missing_tail != NULL)
		report->missing_tail->next = m;
	else
		report->missing = m;
	report->missing_tail = m;
	report->nfile_problems++;
	return 0;
}

int
sage_report_format_error(SageReport *report, SageCheck check, const char *file,
						 const char *message, const char *expected,
						 const char *found, SageError *err)
{
	ReportFormatError *fe;
	bool		oom = false;

	if (report == NULL || (unsigned) check >= SAGE_NCHECKS)
		return sage_error_set(err, SAGE_ERR_ARGUMENT, "invalid format error arguments");
	if (report->nfile_problems >= SAGE_REPORT_MAX_FILE_PROBLEMS)
	{
		report->file_problems_dropped++;
		return 0;
	}
	fe = sage_alloc0(report->arena, sizeof(ReportFormatError));
	if (fe == NULL)
		return sage_error_memory(err, report->budget);
	fe->check = check;
	fe->file = report_copy(report, file, &oom);
	fe->message = report_copy(report, message, &oom);
	fe->expected = report_copy(report, expected, &oom);
	fe->found = report_copy(report, found, &oom);
	if (oom)
		return sage_error_memory(err, report->budget);
	if (report->format_tail != NULL)
		report->format_tail->next = fe;
	else
		report->format_errors = fe;
	report->format_tail = fe;
	report->nfile_problems++;
	return 0;
}

int
sage_report_event_at(SageReport *report, int64_t usec, SageEventLevel level,
					 const char *message, int nkv, const char *const *kv,
					 SageError *err)
{
	ReportEvent *ev;
	bool		oom = false;
	int			i;

	if (report == NULL || message == NULL || nkv < 0 || (nkv > 0 && kv == NULL) ||
		(unsigned) level > SAGE_EVENT_ERROR)
		return sage_error_set(err, SAGE_ERR_ARGUMENT, "invalid event arguments");
	if (report->nevents >= SAGE_REPORT_MAX_EVENTS)
	{
		report->events_dropped++;
		return 0;
	}
	ev = sage_alloc0(report->arena, sizeof(ReportEvent));
	if (ev == NULL)
		return sage_error_memory(err, report->budget);
	ev->usec = usec;
	ev->level = level;
	ev->message = report_copy(report, message, &oom);
	if (nkv > 0)
	{
		ev->kv = sage_alloc0(report->arena, sizeof(char *) * 2 * (size_t) nkv);
		if (ev->kv == NULL)
			return sage_error_memory(err, report->budget);
		for (i = 0; i < nkv; i++)
		{
			int			j;
			bool		dup = false;

			if (kv[2 * i] == NULL)
				continue;
			/* a repeated key would make the details object ambiguous */
			for (j = 0; j < ev->nkv && !dup; j++)
				dup = strcmp(ev->kv[2 * j], kv[2 * i]) == 0;
			if (dup)
				continue;
			ev->kv[2 * ev->nkv] = report_copy(report, kv[2 * i], &oom);
			ev->kv[2 * ev->nkv + 1] = report_copy(report, kv[2 * i + 1], &oom);
			ev->nkv++;
		}
	}
	if (oom)
		return sage_error_memory(err, report->budget);
	if (report->events_tail != NULL)
		report->events_tail->next = ev;
	else
		report->events = ev;
	report->events_tail = ev;
	report->nevents++;
	return 0;
}

int
sage_report_event(SageReport *report, SageEventLevel level, const char *message,
				  int nkv, const char *const *kv, SageError *err)
{
	return sage_report_event_at(report, report_now(), level, message, nkv, kv, err);
}

/*
 * sage_report_system_failure
 *		Records the cause (the first one wins) and logs it as an error event
 *		so report.json carries it without a schema change.
 */
void
sage_report_system_failure(SageReport *report, const SageError *cause)
{
	const char *kv[6];
	int			nkv = 0;
	SageError	ignored;

	if (report == NULL || report->system_failure)
		return;
	report->system_failure = true;
	if (cause != NULL && cause->code != SAGE_OK)
		report->failure = *cause;
	else
		sage_error_set(&report->failure, SAGE_ERR_INTERNAL,
					   "execution failed for an unknown reason");
	kv[nkv++] = "code";
	kv[nkv++] = sage_error_code_name(report->failure.code);
	if (report->failure.detail[0] != '\0')
	{
		kv[nkv++] = "detail";
		kv[nkv++] = report->failure.detail;
	}
	if (report->failure.hint[0] != '\0')
	{
		kv[nkv++] = "hint";
		kv[nkv++] = report->failure.hint;
	}
	/* past the event cap or out of memory the failure is still in error.log */
	sage_report_event(report, SAGE_EVENT_ERROR, report->failure.message,
					  nkv / 2, kv, &ignored);
}

/*
 * sage_report_finish
 *		Closes failures.csv and writes every other output. Each output is
 *		attempted even after one fails (a half-full disk may still take the
 *		small ones); the first failure is returned.
 */
int
sage_report_finish(SageReport *report, int64_t end_usec, SageError *err)
{
	SageError	first;
	SageError	e;
	bool		failed = false;

	if (report == NULL)
		return sage_error_set(err, SAGE_ERR_ARGUMENT, "invalid report");
	if (report->finished)
		return sage_error_set(err, SAGE_ERR_ARGUMENT, "report already finished");
	report->finished = true;
	report->end_usec = end_usec;
	if (report->out_of_memory && !report->system_failure)
	{
		SageError	mem;

		sage_error_memory(&mem, report->budget);
		sage_report_system_failure(report, &mem);
	}
	sage_error_clear(&first);

#define REPORT_STEP(call) \
	do { \
		sage_error_clear(&e); \
		if ((call) != 0 && !failed) \
		{ \
			failed = true; \
			first = e; \
		} \
	} while (0)

	REPORT_STEP(sage_failures_csv_close(report, &e));
	REPORT_STEP(sage_report_write_log(report, &e));
	REPORT_STEP(sage_report_write_json(report, &e));
	REPORT_STEP(sage_report_write_html(report, &e));
	REPORT_STEP(sage_report_write_results(report, &e));
	if (report->system_failure)
		REPORT_STEP(sage_report_write_error_log(report, &e));
#undef REPORT_STEP

	if (failed)
	{
		if (err != NULL)
			*err = first;
		return -1;
	}
	return 0;
}

void
sage_report_abort(SageReport *report)
{
	if (report == NULL || report->finished)
		return;
	report->finished = true;
	sage_failures_csv_close(report, NULL);
}
