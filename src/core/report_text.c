/*-------------------------------------------------------------------------
 *
 * src/core/report_text.c
 *		The plain-text outputs: output.log (the human log), results.txt (the
 *		summary) and error.log (only for a system failure).
 *
 * All times are UTC. Values coming from data files are written with
 * control characters escaped (\n, \t, \xNN), so every finding and every
 * event stays on its own line whatever the cells held.
 *
 * output.log layout:
 *	header (configuration, execution id, start time, input, processor)
 *	one line per event "YYYY-MM-DD HH:MM:SS [LEVEL] message", its details
 *	  indented below as "    key: value"
 *	findings per file (declaration order, package level last) and check,
 *	  at most SAGE_REPORT_LOG_LISTED each, then
 *	  "  ... and N more (T in total)" when there were more
 *	per-file summaries, then the final summary.
 *
 *-------------------------------------------------------------------------
 */
#include "report_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define OUTPUT_LOG_NAME "output.log"
#define RESULTS_TXT_NAME "results.txt"
#define ERROR_LOG_NAME "error.log"

/*
 * text_value
 *		A possibly absent value: "-" stands for absent in the text outputs.
 */
static void
text_value(ReportOut *out, const char *s)
{
	if (s == NULL)
		sage_rout_puts(out, "-");
	else
		sage_rout_text(out, s, REPORT_TEXT_PLAIN);
}

/*
 * text_rate
 *		Success rate with two decimals ("66.67%").
 */
static void
text_rate(ReportOut *out, double rate)
{
	uint64_t	centi = (uint64_t) (rate * 100.0 + 0.5);

	sage_rout_printf(out, "%" PRIu64 ".%02u%%", centi / 100, (unsigned) (centi % 100));
}

/*
 * text_general_info
 *		The execution's identity, shared by the three files.
 */
static void
text_general_info(SageReport *report, ReportOut *out, bool with_end)
{
	char		ts[32];

	sage_rout_puts(out, "Configuration:     ");
	text_value(out, report->config_name);
	sage_rout_puts(out, "\nExecution ID:      ");
	text_value(out, report->execution_id);
	sage_report_log_time(report->start_usec, ts);
	sage_rout_printf(out, "\nStart time:        %s UTC", ts);
	if (with_end)
	{
		int64_t		duration = (report->end_usec - report->start_usec) / 1000;

		sage_report_log_time(report->end_usec, ts);
		sage_rout_printf(out, "\nEnd time:          %s UTC", ts);
		sage_rout_printf(out, "\nDuration:          %lld ms",
						 (long long) (duration < 0 ? 0 : duration));
	}
	sage_rout_puts(out, "\nInput:             ");
	text_value(out, report->input_name);
	sage_rout_puts(out, "\nProcessor version: ");
	text_value(out, report->processor_version);
	sage_rout_puts(out, " (");
	text_value(out, report->where);
	sage_rout_puts(out, ")\n");
}

/*
 * text_summary
 *		Global summary block.
 */
static void
text_summary(SageReport *report, ReportOut *out)
{
	SageSummary s;

	sage_report_summary(report, &s);
	sage_rout_printf(out, "Status:            %s%s\n", s.status,
					 s.system_failure ? " (system failure)" : "");
	sage_rout_printf(out, "Total records:     %" PRIu64 "\n", s.total_records);
	sage_rout_printf(out, "Errors:            %" PRIu64 "\n", s.errors);
	sage_rout_printf(out, "Warnings:          %" PRIu64 "\n", s.warnings);
	sage_rout_printf(out, "Rows with errors:  %" PRIu64 "\n", s.rows_with_errors);
	sage_rout_puts(out, "Success rate:      ");
	text_rate(out, s.success_rate);
	sage_rout_puts(out, "\n");
	if (report->infos > 0)
		sage_rout_printf(out, "Informational:     %" PRIu64 " (not counted)\n", report->infos);
}

/*
 * text_file_stats
 *		One block per declared file.
 */
static void
text_file_stats(SageReport *report, ReportOut *out, const char *indent)
{
	ReportFile *f;
	bool		any = false;

	for (f = report->files; f != NULL; f = f->next)
	{
		if (!f->declared)
			continue;
		any = true;
		sage_rout_puts(out, indent);
		text_value(out, f->name);
		sage_rout_printf(out, ": %" PRIu64 " records, %" PRIu64 " errors, %" PRIu64
						 " warnings, %" PRIu64 " rows with errors\n",
						 f->records, f->errors, f->warnings, f->rows_with_errors);
	}
	if (!any)
		sage_rout_printf(out, "%s(no data files)\n", indent);
}

/*
 * text_finding
 *		One kept finding on one line.
 */
static void
text_finding(ReportOut *out, const ReportKept *k)
{
	sage_rout_puts(out, "  ");
	if (k->line > 0)
		sage_rout_printf(out, "line %" PRIu64 ": ", k->line);
	sage_rout_printf(out, "[%s] ", sage_report_severity_label(k->severity));
	if (k->field != NULL)
	{
		sage_rout_puts(out, "field \"");
		sage_rout_text(out, k->field, REPORT_TEXT_PLAIN);
		sage_rout_puts(out, "\" ");
	}
	if (k->rule != NULL)
	{
		sage_rout_puts(out, "rule \"");
		sage_rout_text(out, k->rule, REPORT_TEXT_PLAIN);
		sage_rout_puts(out, "\" ");
	}
	if (k->value != NULL)
	{
		sage_rout_puts(out, "value \"");
		sage_rout_text(out, k->value, REPORT_TEXT_PLAIN);
		sage_rout_puts(out, "\" ");
	}
	sage_rout_puts(out, "- ");
	text_value(out, k->message);
	sage_rout_puts(out, "\n");
}

/*
 * text_entry_findings
 *		The findings of one entry, per check, capped for the log.
 */
static void
text_entry_findings(ReportOut *out, const ReportFile *f)
{
	int			c;

	for (c = 0; c < SAGE_NCHECKS; c++)
	{
		const ReportGroup *g = &f->groups[c];
		const ReportKept *k;
		uint64_t	shown = 0;

		if (g->total == 0)
			continue;
		sage_rout_puts(out, "\n");
		if (f->name != NULL)
			sage_rout_text(out, f->name, REPORT_TEXT_PLAIN);
		else
			sage_rout_puts(out, "(package)");
		sage_rout_printf(out, " - %s: %" PRIu64 " finding%s\n",
						 sage_check_name((SageCheck) c), g->total,
						 g->total == 1 ? "" : "s");
		for (k = g->first; k != NULL && shown < SAGE_REPORT_LOG_LISTED; k = k->group_next)
		{
			text_finding(out, k);
			shown++;
		}
		if (g->total > shown)
			sage_rout_printf(out, "  ... and %" PRIu64 " more (%" PRIu64 " in total)\n",
							 g->total - shown, g->total);
	}
}

/*
 * text_event
 *		"YYYY-MM-DD HH:MM:SS [LEVEL] message" and its details.
 */
static void
text_event(ReportOut *out, int64_t usec, SageEventLevel level, const char *message,
		   int nkv, const char *const *kv)
{
	char		ts[32];
	int			i;

	sage_report_log_time(usec, ts);
	sage_rout_printf(out, "%s [%s] ", ts, sage_report_level_label(level, true));
	text_value(out, message);
	sage_rout_puts(out, "\n");
	for (i = 0; i < nkv; i++)
	{
		sage_rout_puts(out, "    ");
		text_value(out, kv[2 * i]);
		sage_rout_puts(out, ": ");
		text_value(out, kv[2 * i + 1]);
		sage_rout_puts(out, "\n");
	}
}

int
sage_report_write_log(SageReport *report, SageError *err)
{
	ReportOut	out;
	ReportEvent *ev;
	ReportFile *f;
	bool		any = false;

	if (sage_rout_open(&out, report->sink, OUTPUT_LOG_NAME, err) != 0)
		return -1;
	sage_rout_puts(&out, "SAGE validation log\n\n");
	text_general_info(report, &out, false);

	sage_rout_puts(&out, "\nEvents\n");
	for (ev = report->events; ev != NULL; ev = ev->next)
		text_event(&out, ev->usec, ev->level, ev->message, ev->nkv,
				   (const char *const *) ev->kv);
	if (report->events_dropped > 0)
	{
		char		count[32];
		const char *kv[2] = {"omitted_events", count};

		snprintf(count, sizeof(count), "%" PRIu64, report->events_dropped);
		text_event(&out, report->end_usec, SAGE_EVENT_WARNING,
				   "further events were not kept", 1, kv);
	}
	if (report->events == NULL && report->events_dropped == 0)
		sage_rout_puts(&out, "(none)\n");

	sage_rout_puts(&out, "\nFindings\n");
	for (f = report->files; f != NULL; f = f->next)
	{
		int			c;

		for (c = 0; c < SAGE_NCHECKS; c++)
			any = any || f->groups[c].total > 0;
		text_entry_findings(&out, f);
	}
	if (report->package_level != NULL)
	{
		any = true;
		text_entry_findings(&out, report->package_level);
	}
	if (!any)
		sage_rout_puts(&out, "(none)\n");

	sage_rout_puts(&out, "\nFile summaries\n");
	text_file_stats(report, &out, "");

	sage_rout_puts(&out, "\nSummary\n");
	text_summary(report, &out);
	{
		char		ts[32];
		int64_t		duration = (report->end_usec - report->start_usec) / 1000;

		sage_report_log_time(report->end_usec, ts);
		sage_rout_printf(&out, "End time:          %s UTC\n", ts);
		sage_rout_printf(&out, "Duration:          %lld ms\n",
						 (long long) (duration < 0 ? 0 : duration));
	}
	if (report->system_failure)
	{
		sage_rout_puts(&out, "\nSystem failure: ");
		text_value(&out, report->failure.message);
		sage_rout_puts(&out, "\n");
	}
	return sage_rout_close(&out, err);
}

int
sage_report_write_results(SageReport *report, SageError *err)
{
	ReportOut	out;
	ReportFormatError *fe;
	ReportMissing *m;

	if (sage_rout_open(&out, report->sink, RESULTS_TXT_NAME, err) != 0)
		return -1;
	sage_rout_puts(&out, "SAGE validation results\n"
				   "=======================\n\n"
				   "General information\n"
				   "-------------------\n");
	text_general_info(report, &out, true);

	sage_rout_puts(&out, "\nGlobal summary\n"
				   "--------------\n");
	text_summary(report, &out);

	sage_rout_puts(&out, "\nPer-file statistics\n"
				   "-------------------\n");
	text_file_stats(report, &out, "");

	sage_rout_puts(&out, "\nFormat errors\n"
				   "-------------\n");
	for (fe = report->format_errors; fe != NULL; fe = fe->next)
	{
		sage_rout_printf(&out, "[%s] ", sage_check_name(fe->check));
		text_value(&out, fe->file);
		sage_rout_puts(&out, ": ");
		text_value(&out, fe->message);
		if (fe->expected != NULL || fe->found != NULL)
		{
			sage_rout_puts(&out, " (expected: ");
			text_value(&out, fe->expected);
			sage_rout_puts(&out, "; found: ");
			text_value(&out, fe->found);
			sage_rout_puts(&out, ")");
		}
		sage_rout_puts(&out, "\n");
	}
	if (report->format_errors == NULL)
		sage_rout_puts(&out, "(none)\n");

	sage_rout_puts(&out, "\nMissing files\n"
				   "-------------\n");
	for (m = report->missing; m != NULL; m = m->next)
	{
		text_value(&out, m->filename);
		if (m->package != NULL)
		{
			sage_rout_puts(&out, " (package ");
			text_value(&out, m->package);
			sage_rout_puts(&out, ")");
		}
		sage_rout_puts(&out, "\n");
	}
	if (report->missing == NULL)
		sage_rout_puts(&out, "(none)\n");
	if (report->file_problems_dropped > 0)
		sage_rout_printf(&out, "\n%" PRIu64 " further format errors or missing files were not kept\n",
						 report->file_problems_dropped);

	if (report->system_failure)
	{
		sage_rout_puts(&out, "\nSystem failure\n"
					   "--------------\n");
		text_value(&out, report->failure.message);
		sage_rout_puts(&out, "\n");
	}
	return sage_rout_close(&out, err);
}

/*
 * sage_report_write_error_log
 *		What failed and why, in the parts PostgreSQL would show (message,
 *		detail, hint) plus the stable error code name.
 */
int
sage_report_write_error_log(SageReport *report, SageError *err)
{
	ReportOut	out;
	char		ts[32];

	if (sage_rout_open(&out, report->sink, ERROR_LOG_NAME, err) != 0)
		return -1;
	sage_report_log_time(report->end_usec, ts);
	sage_rout_printf(&out, "%s [ERROR] execution could not be processed\n", ts);
	sage_rout_puts(&out, "Execution ID: ");
	text_value(&out, report->execution_id);
	sage_rout_puts(&out, "\nInput:        ");
	text_value(&out, report->input_name);
	sage_rout_printf(&out, "\nError code:   %s\n", sage_error_code_name(report->failure.code));
	sage_rout_puts(&out, "Message:      ");
	text_value(&out, report->failure.message);
	sage_rout_puts(&out, "\n");
	if (report->failure.detail[0] != '\0')
	{
		/* details are several lines for configuration problems: keep them */
		const char *p = report->failure.detail;

		sage_rout_puts(&out, "Detail:\n");
		while (*p != '\0')
		{
			const char *nl = strchr(p, '\n');
			size_t		n = nl ? (size_t) (nl - p) : strlen(p);
			char	   *line = sage_strndup(report->arena, p, n);

			sage_rout_puts(&out, "    ");
			text_value(&out, line ? line : "");
			sage_rout_puts(&out, "\n");
			p += n;
			if (*p == '\n')
				p++;
		}
	}
	if (report->failure.hint[0] != '\0')
	{
		sage_rout_puts(&out, "Hint:         ");
		text_value(&out, report->failure.hint);
		sage_rout_puts(&out, "\n");
	}
	return sage_rout_close(&out, err);
}
