/*-------------------------------------------------------------------------
 *
 * src/core/failures_csv.c
 *		failures.csv: every finding of the execution, one line each, written
 *		as the findings arrive.
 *
 * Format:
 *	- header "file,line,field,check,rule,severity,value,message", then one
 *	  line per finding, in arrival order, lines ended by CRLF as RFC 4180
 *	  asks (pandas, Python's csv module and spreadsheets all read it).
 *	- a field is quoted when it holds a comma, a quote, CR or LF (or starts
 *	  or ends with a space); quotes inside are doubled. Absent values
 *	  (no file, line 0, no field...) are empty fields.
 *	- severity is "error", "warning" or "info" (message-severity rules).
 *	- the file is always valid UTF-8: invalid bytes in values become U+FFFD.
 *	- catalog and package rule findings are ONE line each: line is empty
 *	  (the finding is about the whole table) and ALL the failing lines are
 *	  appended to the message, "<message> (failing lines: 3, 7, 9)". This
 *	  keeps one line per finding, so the file counts exactly what the
 *	  summary counts, while no failing line is lost. report.json and the
 *	  other outputs quote the first SAGE_REPORT_KEPT_LINES of them only.
 *
 * The file is opened when the report is created, so it exists (header
 * only) even when nothing is found or the execution fails.
 *
 *-------------------------------------------------------------------------
 */
#include "report_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define FAILURES_CSV_NAME "failures.csv"
#define FAILURES_CSV_HEADER "file,line,field,check,rule,severity,value,message\r\n"

int
sage_failures_csv_open(SageReport *report, SageError *err)
{
	if (sage_rout_open(&report->csv, report->sink, FAILURES_CSV_NAME, err) != 0)
		return -1;
	sage_rout_puts(&report->csv, FAILURES_CSV_HEADER);
	if (report->csv.failed)
	{
		if (err != NULL)
			*err = report->csv.err;
		return -1;
	}
	return 0;
}

/*
 * csv_write_lines
 *		The failing-lines suffix, streamed number by number (a catalog rule
 *		can fail on millions of rows). Digits, commas and spaces only, so it
 *		needs no escaping inside the quoted field.
 */
static void
csv_write_lines(ReportOut *out, bool after_message, const uint64_t *lines, size_t nlines)
{
	size_t		i;

	sage_rout_puts(out, after_message ? " (failing lines: " : "failing lines: ");
	for (i = 0; i < nlines; i++)
		sage_rout_printf(out, i == 0 ? "%" PRIu64 : ", %" PRIu64, lines[i]);
	if (after_message)
		sage_rout_puts(out, ")");
}

void
sage_failures_csv_add(SageReport *report, const SageFinding *finding)
{
	ReportOut  *out = &report->csv;

	if (out->handle == NULL || out->failed)
		return;
	sage_rout_text(out, finding->file, REPORT_TEXT_CSV);
	sage_rout_puts(out, ",");
	if (finding->line > 0)
		sage_rout_printf(out, "%" PRIu64, finding->line);
	sage_rout_puts(out, ",");
	sage_rout_text(out, finding->field, REPORT_TEXT_CSV);
	sage_rout_puts(out, ",");
	sage_rout_puts(out, sage_check_name(finding->check));
	sage_rout_puts(out, ",");
	sage_rout_text(out, finding->rule, REPORT_TEXT_CSV);
	sage_rout_puts(out, ",");
	sage_rout_puts(out, sage_report_severity_label(finding->severity));
	sage_rout_puts(out, ",");
	sage_rout_text(out, finding->value, REPORT_TEXT_CSV);
	sage_rout_puts(out, ",");
	if (finding->nlines > 0 && finding->lines != NULL)
	{
		bool		has_message = finding->message != NULL && finding->message[0] != '\0';

		/* the list has ", " in it, so the field is always quoted */
		sage_rout_puts(out, "\"");
		if (has_message)
			sage_rout_text(out, finding->message, REPORT_TEXT_CSV_INNER);
		csv_write_lines(out, has_message, finding->lines, finding->nlines);
		sage_rout_puts(out, "\"");
	}
	else
		sage_rout_text(out, finding->message, REPORT_TEXT_CSV);
	sage_rout_puts(out, "\r\n");
}

int
sage_failures_csv_close(SageReport *report, SageError *err)
{
	return sage_rout_close(&report->csv, err);
}

/*
 * sage_report_lines_text
 *		The same suffix as failures.csv, capped for the listings kept in
 *		memory: "m (failing lines: 3, 7, ... and 998 more, 1000 in total)".
 */
char *
sage_report_lines_text(SageArena *arena, const char *message,
					   const uint64_t *lines, size_t nlines, size_t max_lines)
{
	bool		has_message = message != NULL && message[0] != '\0';
	size_t		shown = nlines < max_lines ? nlines : max_lines;
	size_t		cap = (has_message ? strlen(message) : 0) + 96 + shown * 22;
	char	   *buf = sage_alloc(arena, cap);
	size_t		pos = 0;
	size_t		i;

	if (buf == NULL)
		return NULL;
	pos += (size_t) snprintf(buf + pos, cap - pos, "%s%s",
							 has_message ? message : "",
							 has_message ? " (failing lines: " : "failing lines: ");
	for (i = 0; i < shown; i++)
		pos += (size_t) snprintf(buf + pos, cap - pos, i == 0 ? "%" PRIu64 : ", %" PRIu64,
								 lines[i]);
	if (shown < nlines)
		pos += (size_t) snprintf(buf + pos, cap - pos, ", ... and %zu more, %zu in total",
								 nlines - shown, nlines);
	if (has_message)
		snprintf(buf + pos, cap - pos, ")");
	return buf;
}
