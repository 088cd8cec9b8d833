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

#ifdef __SSE2__
#include <emmintrin.h>
#endif

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

/*
 * csv_put
 *		sage_rout_write() for the short pieces of a line: straight into the
 *		buffer when they fit, which is nearly always.
 */
static inline void
csv_put(ReportOut *out, const char *s, size_t n)
{
	if (n <= sizeof(out->buf) - out->len && !out->failed)
	{
		char	   *d = out->buf + out->len;

		/*
		 * Most pieces are a few bytes: two overlapping fixed-size copies
		 * (inlined by the compiler) beat a library call whose set-up costs
		 * more than the copy.
		 */
		if (n >= 8 && n <= 16)
		{
			memcpy(d, s, 8);
			memcpy(d + n - 8, s + n - 8, 8);
		}
		else if (n >= 4 && n < 8)
		{
			memcpy(d, s, 4);
			memcpy(d + n - 4, s + n - 4, 4);
		}
		else if (n < 4)
		{
			if (n > 0)
				d[0] = s[0];
			if (n > 1)
				d[1] = s[1];
			if (n > 2)
				d[2] = s[2];
		}
		else
			memcpy(d, s, n);
		out->len += n;
	}
	else
		sage_rout_write(out, s, n);
}

/*
 * csv_word
 *		A check name or severity label then a comma: lower-case letters and
 *		underscores only (report.c's tables), which need neither quoting
 *		nor escaping, so the scan of csv_field() is skipped.
 */
static inline void
csv_word(ReportOut *out, const char *s)
{
	size_t		n = 0;

	while (s[n] != '\0')
		n++;
	csv_put(out, s, n);
	csv_put(out, ",", 1);
}

/*
 * csv_field
 *		One field followed by its separator. A field of plain ASCII without
 *		a quote (the usual file names, field names, values and messages) is
 *		copied as it is, or between quotes when it holds a comma or a line
 *		break or starts or ends with a space, exactly what sage_rout_text()
 *		writes for it; anything else goes through sage_rout_text().
 */
static void
csv_field(ReportOut *out, const char *s, char sep)
{
	const unsigned char *p = (const unsigned char *) s;
	size_t		len,
				i = 0;
	unsigned	special = 0;	/* a comma, CR or LF */

	if (s != NULL)
	{
		len = strlen(s);
#ifdef __SSE2__
		{
			const __m128i vq = _mm_set1_epi8('"');
			const __m128i vc = _mm_set1_epi8(',');
			const __m128i vn = _mm_set1_epi8('\n');
			const __m128i vr = _mm_set1_epi8('\r');

			for (; i + 16 <= len; i += 16)
			{
				__m128i		x = _mm_loadu_si128((const __m128i *) (p + i));

				if (_mm_movemask_epi8(_mm_or_si128(x, _mm_cmpeq_epi8(x, vq))) != 0)
					goto general;
				special |= (unsigned) _mm_movemask_epi8(
							_mm_or_si128(_mm_cmpeq_epi8(x, vc),
										 _mm_or_si128(_mm_cmpeq_epi8(x, vn),
													  _mm_cmpeq_epi8(x, vr))));
			}
		}
#endif
		for (; i < len; i++)
		{
			unsigned char c = p[i];

			if (c >= 0x80 || c == '"')
				goto general;
			special |= (c == ',') | (c == '\n') | (c == '\r');
		}
		if (len > 0 && (s[0] == ' ' || s[len - 1] == ' '))
			special = 1;
		if (special)
			csv_put(out, "\"", 1);
		csv_put(out, s, len);
		if (special)
			csv_put(out, "\"", 1);
	}
	csv_put(out, &sep, 1);
	return;

general:
	sage_rout_text(out, s, REPORT_TEXT_CSV);
	csv_put(out, &sep, 1);
}

/* A line number in decimal, then a comma; nothing for line 0. */
static void
csv_line_number(ReportOut *out, uint64_t line)
{
	char		buf[24];
	int			n = (int) sizeof(buf);

	buf[--n] = ',';
	if (line > 0)
	{
		do
		{
			buf[--n] = (char) ('0' + line % 10);
			line /= 10;
		} while (line > 0);
	}
	csv_put(out, buf + n, sizeof(buf) - (size_t) n);
}

void
sage_failures_csv_add(SageReport *report, const SageFinding *finding)
{
	ReportOut  *out = &report->csv;

	if (out->handle == NULL || out->failed)
		return;
	csv_field(out, finding->file, ',');
	csv_line_number(out, finding->line);
	csv_field(out, finding->field, ',');
	csv_word(out, sage_check_name(finding->check));
	csv_field(out, finding->rule, ',');
	csv_word(out, sage_report_severity_label(finding->severity));
	csv_field(out, finding->value, ',');
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
		csv_field(out, finding->message, '\r');
	if (finding->nlines > 0 && finding->lines != NULL)
		csv_put(out, "\r\n", 2);
	else
		csv_put(out, "\n", 1);
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
