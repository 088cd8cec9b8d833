/*-------------------------------------------------------------------------
 *
 * src/core/report_html.c
 *		report.html: a self-contained page for people (summary cards, one
 *		table per kind of result).
 *
 * The page has no external assets and no JavaScript: one inline <style>,
 * so it renders the same opened from S3, a bytea download or a disk.
 * Every value that comes from the configuration, the data or the caller is
 * written through sage_rout_text(..., REPORT_TEXT_HTML), which escapes
 * & < > " ' and replaces invalid UTF-8 and control characters; only the
 * page's own fixed markup is written raw. A cell holding
 * <script>alert(1)</script> is shown as text, never run.
 *
 *-------------------------------------------------------------------------
 */
#include "report_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define REPORT_HTML_NAME "report.html"

static const char html_style[] =
"body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;"
"margin:2rem;color:#1f2933;background:#f7f8fa}\n"
"h1{font-size:1.6rem;margin-bottom:.25rem}\n"
"h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #d5dae1;padding-bottom:.25rem}\n"
".meta{color:#52606d;font-size:.9rem}\n"
".cards{display:flex;flex-wrap:wrap;gap:1rem;margin-top:1rem}\n"
".card{background:#fff;border:1px solid #d5dae1;border-radius:6px;padding:.75rem 1rem;min-width:9rem}\n"
".card .label{font-size:.8rem;color:#52606d;text-transform:uppercase}\n"
".card .value{font-size:1.5rem;font-weight:600}\n"
".status-ok{color:#1b7f3b}.status-partial{color:#b7791f}.status-failed{color:#c53030}\n"
"table{border-collapse:collapse;background:#fff;width:100%;font-size:.9rem}\n"
"th,td{border:1px solid #d5dae1;padding:.3rem .5rem;text-align:left;vertical-align:top}\n"
"th{background:#eef1f5}\n"
"td.num{text-align:right;font-variant-numeric:tabular-nums}\n"
"td pre{margin:0;white-space:pre-wrap;font-family:inherit}\n"
".sev-error{color:#c53030}.sev-warning{color:#b7791f}.sev-info{color:#2b6cb0}\n"
".note{color:#52606d;font-style:italic}\n";

/*
 * html_text
 *		An escaped value; absent values show as an em dash.
 */
static void
html_text(ReportOut *out, const char *s)
{
	if (s == NULL)
		sage_rout_puts(out, "&mdash;");
	else
		sage_rout_text(out, s, REPORT_TEXT_HTML);
}

/*
 * html_td / html_td_num
 *		Table cells: escaped text, or a number aligned right.
 */
static void
html_td(ReportOut *out, const char *s)
{
	sage_rout_puts(out, "<td>");
	html_text(out, s);
	sage_rout_puts(out, "</td>");
}

static void
html_td_num(ReportOut *out, uint64_t n)
{
	sage_rout_printf(out, "<td class=\"num\">%" PRIu64 "</td>", n);
}

/*
 * html_card
 *		One summary card: a label over a big value, cls colours the status.
 */
static void
html_card(ReportOut *out, const char *label, const char *value, const char *cls)
{
	sage_rout_puts(out, "<div class=\"card\"><div class=\"label\">");
	html_text(out, label);
	sage_rout_printf(out, "</div><div class=\"value%s%s\">", cls ? " " : "", cls ? cls : "");
	html_text(out, value);
	sage_rout_puts(out, "</div></div>\n");
}

/*
 * html_card_num
 *		A card holding a count.
 */
static void
html_card_num(ReportOut *out, const char *label, uint64_t n)
{
	char		buf[32];

	snprintf(buf, sizeof(buf), "%" PRIu64, n);
	html_card(out, label, buf, NULL);
}

/*
 * html_summary
 *		The cards of section 6 and, for a system failure, its cause.
 */
static void
html_summary(SageReport *report, ReportOut *out)
{
	SageSummary s;
	char		rate[40];
	uint64_t	centi;
	const char *cls;

	sage_report_summary(report, &s);
	centi = (uint64_t) (s.success_rate * 100.0 + 0.5);
	snprintf(rate, sizeof(rate), "%" PRIu64 ".%02u %%", centi / 100, (unsigned) (centi % 100));
	if (s.errors > 0 || s.system_failure)
		cls = "status-failed";
	else if (s.warnings > 0)
		cls = "status-partial";
	else
		cls = "status-ok";
	sage_rout_puts(out, "<h2>Summary</h2>\n<div class=\"cards\">\n");
	html_card(out, "Status", s.status, cls);
	html_card_num(out, "Records", s.total_records);
	html_card_num(out, "Errors", s.errors);
	html_card_num(out, "Warnings", s.warnings);
	html_card_num(out, "Rows with errors", s.rows_with_errors);
	html_card(out, "Success rate", rate, NULL);
	sage_rout_puts(out, "</div>\n");
	if (report->system_failure)
	{
		sage_rout_puts(out, "<p class=\"status-failed\"><strong>System failure:</strong> ");
		html_text(out, report->failure.message);
		if (report->failure.detail[0] != '\0')
		{
			sage_rout_puts(out, "<br>");
			html_text(out, report->failure.detail);
		}
		if (report->failure.hint[0] != '\0')
		{
			sage_rout_puts(out, "<br>Hint: ");
			html_text(out, report->failure.hint);
		}
		sage_rout_puts(out, "</p>\n");
	}
}

/*
 * html_files
 *		Per-file statistics of the declared files, in processing order.
 */
static void
html_files(SageReport *report, ReportOut *out)
{
	ReportFile *f;
	bool		any = false;

	sage_rout_puts(out, "<h2>Files</h2>\n");
	for (f = report->files; f != NULL; f = f->next)
	{
		if (!f->declared)
			continue;
		if (!any)
			sage_rout_puts(out, "<table>\n<tr><th>File</th><th>Records</th><th>Errors</th>"
						   "<th>Warnings</th><th>Rows with errors</th></tr>\n");
		any = true;
		sage_rout_puts(out, "<tr>");
		html_td(out, f->name);
		html_td_num(out, f->records);
		html_td_num(out, f->errors);
		html_td_num(out, f->warnings);
		html_td_num(out, f->rows_with_errors);
		sage_rout_puts(out, "</tr>\n");
	}
	if (any)
		sage_rout_puts(out, "</table>\n");
	else
		sage_rout_puts(out, "<p class=\"note\">No data file was processed.</p>\n");
}

/*
 * html_truncation_notes
 *		One note per (file, check) whose listing is shorter than its total.
 */
static void
html_truncation_notes(SageReport *report, ReportOut *out, const ReportFile *f,
					  bool *opened)
{
	int			c;

	for (c = 0; c < SAGE_NCHECKS; c++)
	{
		if (f->groups[c].total <= report->max_listed)
			continue;
		if (!*opened)
			sage_rout_puts(out, "<ul class=\"note\">\n");
		*opened = true;
		sage_rout_printf(out, "<li>%" PRIu32 " of %" PRIu64 " listed for ",
						 report->max_listed, f->groups[c].total);
		html_text(out, f->name ? f->name : "(package)");
		sage_rout_printf(out, " / %s</li>\n", sage_check_name((SageCheck) c));
	}
}

/*
 * html_findings
 *		The listed findings in arrival order, then a note per truncated
 *		(file, check) so a reader knows the table is not everything.
 */
static void
html_findings(SageReport *report, ReportOut *out)
{
	ReportKept *k;
	ReportFile *f;
	bool		opened = false;

	sage_rout_puts(out, "<h2>Findings</h2>\n");
	if (report->kept == NULL)
	{
		sage_rout_puts(out, "<p class=\"note\">No findings.</p>\n");
		return;
	}
	sage_rout_puts(out, "<table>\n<tr><th>File</th><th>Line</th><th>Field</th><th>Check</th>"
				   "<th>Rule</th><th>Severity</th><th>Value</th><th>Message</th></tr>\n");
	for (k = report->kept; k != NULL; k = k->next)
	{
		const char *sev = sage_report_severity_label(k->severity);

		if (!k->listed)
			continue;
		sage_rout_puts(out, "<tr>");
		html_td(out, k->file);
		if (k->line > 0)
			html_td_num(out, k->line);
		else
			html_td(out, NULL);
		html_td(out, k->field);
		html_td(out, sage_check_name(k->check));
		html_td(out, k->rule);
		sage_rout_printf(out, "<td class=\"sev-%s\">%s</td>", sev, sev);
		sage_rout_puts(out, "<td><pre>");
		html_text(out, k->value);
		sage_rout_puts(out, "</pre></td>");
		html_td(out, k->message);
		sage_rout_puts(out, "</tr>\n");
	}
	sage_rout_puts(out, "</table>\n");

	for (f = report->files; f != NULL; f = f->next)
		html_truncation_notes(report, out, f, &opened);
	if (report->package_level != NULL)
		html_truncation_notes(report, out, report->package_level, &opened);
	if (opened)
		sage_rout_puts(out, "</ul>\n");
}

/*
 * html_missing
 *		Catalog files absent from the package.
 */
static void
html_missing(SageReport *report, ReportOut *out)
{
	ReportMissing *m;

	sage_rout_puts(out, "<h2>Missing files</h2>\n");
	if (report->missing == NULL)
	{
		sage_rout_puts(out, "<p class=\"note\">None.</p>\n");
		return;
	}
	sage_rout_puts(out, "<table>\n<tr><th>File</th><th>Package</th></tr>\n");
	for (m = report->missing; m != NULL; m = m->next)
	{
		sage_rout_puts(out, "<tr>");
		html_td(out, m->filename);
		html_td(out, m->package);
		sage_rout_puts(out, "</tr>\n");
	}
	sage_rout_puts(out, "</table>\n");
}

/*
 * html_format_errors
 *		File-level format problems with what was expected and found.
 */
static void
html_format_errors(SageReport *report, ReportOut *out)
{
	ReportFormatError *fe;

	sage_rout_puts(out, "<h2>Format errors</h2>\n");
	if (report->format_errors == NULL)
	{
		sage_rout_puts(out, "<p class=\"note\">None.</p>\n");
		return;
	}
	sage_rout_puts(out, "<table>\n<tr><th>Check</th><th>File</th><th>Message</th>"
				   "<th>Expected</th><th>Found</th></tr>\n");
	for (fe = report->format_errors; fe != NULL; fe = fe->next)
	{
		sage_rout_puts(out, "<tr>");
		html_td(out, sage_check_name(fe->check));
		html_td(out, fe->file);
		html_td(out, fe->message);
		html_td(out, fe->expected);
		html_td(out, fe->found);
		sage_rout_puts(out, "</tr>\n");
	}
	sage_rout_puts(out, "</table>\n");
}

/*
 * html_events
 *		Events with their details; times in UTC like output.log.
 */
static void
html_events(SageReport *report, ReportOut *out)
{
	ReportEvent *ev;

	sage_rout_puts(out, "<h2>Events</h2>\n");
	if (report->events == NULL)
	{
		sage_rout_puts(out, "<p class=\"note\">None.</p>\n");
		return;
	}
	sage_rout_puts(out, "<table>\n<tr><th>Time (UTC)</th><th>Severity</th><th>Message</th>"
				   "<th>Details</th></tr>\n");
	for (ev = report->events; ev != NULL; ev = ev->next)
	{
		char		ts[32];
		const char *lvl = sage_report_level_label(ev->level, false);
		int			i;

		sage_report_log_time(ev->usec, ts);
		sage_rout_puts(out, "<tr>");
		html_td(out, ts);
		sage_rout_printf(out, "<td class=\"sev-%s\">%s</td>", lvl, lvl);
		html_td(out, ev->message);
		sage_rout_puts(out, "<td>");
		for (i = 0; i < ev->nkv; i++)
		{
			if (i > 0)
				sage_rout_puts(out, "<br>");
			html_text(out, ev->kv[2 * i]);
			sage_rout_puts(out, ": ");
			html_text(out, ev->kv[2 * i + 1]);
		}
		sage_rout_puts(out, "</td></tr>\n");
	}
	sage_rout_puts(out, "</table>\n");
	if (report->events_dropped > 0)
		sage_rout_printf(out, "<p class=\"note\">%" PRIu64 " further events were not kept.</p>\n",
						 report->events_dropped);
}

int
sage_report_write_html(SageReport *report, SageError *err)
{
	ReportOut	out;
	char		start[32],
				end[32];

	if (sage_rout_open(&out, report->sink, REPORT_HTML_NAME, err) != 0)
		return -1;
	sage_report_log_time(report->start_usec, start);
	sage_report_log_time(report->end_usec, end);
	sage_rout_puts(&out, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
				   "<meta charset=\"utf-8\">\n"
				   "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
				   "<title>SAGE report: ");
	html_text(&out, report->config_name);
	sage_rout_puts(&out, "</title>\n<style>\n");
	sage_rout_puts(&out, html_style);
	sage_rout_puts(&out, "</style>\n</head>\n<body>\n<h1>SAGE validation report</h1>\n"
				   "<p class=\"meta\">Configuration: ");
	html_text(&out, report->config_name);
	sage_rout_puts(&out, "<br>Input: ");
	html_text(&out, report->input_name);
	sage_rout_puts(&out, "<br>Execution: ");
	html_text(&out, report->execution_id);
	sage_rout_puts(&out, "<br>Started: ");
	html_text(&out, start);
	sage_rout_puts(&out, " UTC &middot; finished: ");
	html_text(&out, end);
	sage_rout_puts(&out, " UTC<br>Processor ");
	html_text(&out, report->processor_version);
	sage_rout_puts(&out, " (");
	html_text(&out, report->where);
	sage_rout_puts(&out, ")</p>\n");

	html_summary(report, &out);
	html_files(report, &out);
	html_findings(report, &out);
	html_missing(report, &out);
	html_format_errors(report, &out);
	html_events(report, &out);
	sage_rout_puts(&out, "</body>\n</html>\n");
	return sage_rout_close(&out, err);
}
