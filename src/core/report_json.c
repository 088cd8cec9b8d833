/*-------------------------------------------------------------------------
 *
 * src/core/report_json.c
 *		report.json, schema version 1 (PROCESSOR.md section 7).
 *
 * Keys are always written in the order of the schema, and every key is
 * always present: absent values are null (a line of 0 too), empty lists are
 * [] and empty maps {}. Two executions over the same inputs therefore give
 * the same bytes apart from execution_id, times and duration_ms.
 *
 *	validation.failures		the kept findings flagged "listed" (the first
 *							max_listed of each (file, check)), in arrival
 *							order.
 *	validation.truncated	"file|check": exact total, for every (file,
 *							check) with more findings than max_listed;
 *							package-level findings use an empty file
 *							("|package_rule").
 *	events[].details		an object of strings (null for absent values).
 *
 *-------------------------------------------------------------------------
 */
#include "report_internal.h"

#include <stdio.h>
#include <string.h>

#define REPORT_JSON_NAME "report.json"
#define REPORT_JSON_SCHEMA_VERSION 1

/*
 * json_kv_string / json_kv_uint
 *		A member with its value, the pair used everywhere below.
 */
static void
json_kv_string(SageJsonWriter *w, const char *key, const char *value)
{
	sage_json_key(w, key);
	sage_json_string(w, value);
}

static void
json_kv_uint(SageJsonWriter *w, const char *key, uint64_t value)
{
	sage_json_key(w, key);
	sage_json_uint(w, value);
}

/*
 * json_execution_info
 *		Identity and timing of the execution.
 */
static void
json_execution_info(SageReport *report, SageJsonWriter *w)
{
	char		start[32],
				end[32];
	int64_t		duration = (report->end_usec - report->start_usec) / 1000;

	sage_report_iso_time(report->start_usec, start);
	sage_report_iso_time(report->end_usec, end);
	sage_json_key(w, "execution_info");
	sage_json_begin_object(w);
	json_kv_string(w, "execution_id", report->execution_id);
	json_kv_string(w, "start_time", start);
	json_kv_string(w, "end_time", end);
	sage_json_key(w, "duration_ms");
	sage_json_int(w, duration < 0 ? 0 : duration);
	json_kv_string(w, "processor_version", report->processor_version);
	json_kv_string(w, "where", report->where);
	sage_json_end_object(w);
}

/*
 * json_summary
 *		The counts and status of section 6, from sage_report_summary so
 *		every output agrees.
 */
static void
json_summary(SageReport *report, SageJsonWriter *w)
{
	SageSummary s;

	sage_report_summary(report, &s);
	sage_json_key(w, "summary");
	sage_json_begin_object(w);
	json_kv_uint(w, "total_records", s.total_records);
	json_kv_uint(w, "errors", s.errors);
	json_kv_uint(w, "warnings", s.warnings);
	json_kv_uint(w, "rows_with_errors", s.rows_with_errors);
	sage_json_key(w, "success_rate");
	sage_json_double(w, s.success_rate);
	json_kv_string(w, "status", s.status);
	sage_json_end_object(w);
}

/*
 * json_files
 *		statistics (declared files only), missing_files and format_errors.
 */
static void
json_files(SageReport *report, SageJsonWriter *w)
{
	ReportFile *f;
	ReportMissing *m;
	ReportFormatError *fe;

	sage_json_key(w, "files");
	sage_json_begin_object(w);

	sage_json_key(w, "statistics");
	sage_json_begin_object(w);
	for (f = report->files; f != NULL; f = f->next)
	{
		if (!f->declared)
			continue;
		sage_json_key(w, f->name);
		sage_json_begin_object(w);
		json_kv_uint(w, "records", f->records);
		json_kv_uint(w, "errors", f->errors);
		json_kv_uint(w, "warnings", f->warnings);
		json_kv_uint(w, "rows_with_errors", f->rows_with_errors);
		sage_json_end_object(w);
	}
	sage_json_end_object(w);

	sage_json_key(w, "missing_files");
	sage_json_begin_array(w);
	for (m = report->missing; m != NULL; m = m->next)
	{
		sage_json_begin_object(w);
		json_kv_string(w, "filename", m->filename);
		json_kv_string(w, "package", m->package);
		sage_json_end_object(w);
	}
	sage_json_end_array(w);

	sage_json_key(w, "format_errors");
	sage_json_begin_array(w);
	for (fe = report->format_errors; fe != NULL; fe = fe->next)
	{
		sage_json_begin_object(w);
		json_kv_string(w, "check", sage_check_name(fe->check));
		json_kv_string(w, "file", fe->file);
		json_kv_string(w, "message", fe->message);
		json_kv_string(w, "expected", fe->expected);
		json_kv_string(w, "found", fe->found);
		sage_json_end_object(w);
	}
	sage_json_end_array(w);

	sage_json_end_object(w);
}

/*
 * json_truncated_entry
 *		The truncated totals of one entry; the key is "<file>|<check>".
 */
static void
json_truncated_entry(SageReport *report, SageJsonWriter *w, ReportFile *f)
{
	int			c;

	for (c = 0; c < SAGE_NCHECKS; c++)
	{
		char	   *key;

		if (f->groups[c].total <= report->max_listed)
			continue;
		key = sage_printf(report->arena, "%s|%s", f->name ? f->name : "",
						  sage_check_name((SageCheck) c));
		if (key == NULL)
		{
			/* one short string per truncated group; a key is never dropped */
			report->out_of_memory = true;
			sage_json_key(w, "|");
		}
		else
			sage_json_key(w, key);
		sage_json_uint(w, f->groups[c].total);
	}
}

/*
 * json_validation
 *		The listed findings and the exact totals of truncated groups.
 */
static void
json_validation(SageReport *report, SageJsonWriter *w)
{
	ReportKept *k;
	ReportFile *f;

	sage_json_key(w, "validation");
	sage_json_begin_object(w);

	sage_json_key(w, "failures");
	sage_json_begin_array(w);
	for (k = report->kept; k != NULL; k = k->next)
	{
		if (!k->listed)
			continue;
		sage_json_begin_object(w);
		json_kv_string(w, "file", k->file);
		sage_json_key(w, "line");
		if (k->line > 0)
			sage_json_uint(w, k->line);
		else
			sage_json_null(w);
		json_kv_string(w, "field", k->field);
		json_kv_string(w, "check", sage_check_name(k->check));
		json_kv_string(w, "rule", k->rule);
		json_kv_string(w, "severity", sage_report_severity_label(k->severity));
		json_kv_string(w, "value", k->value);
		json_kv_string(w, "message", k->message);
		sage_json_end_object(w);
	}
	sage_json_end_array(w);

	sage_json_key(w, "truncated");
	sage_json_begin_object(w);
	for (f = report->files; f != NULL; f = f->next)
		json_truncated_entry(report, w, f);
	if (report->package_level != NULL)
		json_truncated_entry(report, w, report->package_level);
	sage_json_end_object(w);

	sage_json_end_object(w);
}

/*
 * json_events
 *		Events in arrival order; details are always an object.
 */
static void
json_events(SageReport *report, SageJsonWriter *w)
{
	ReportEvent *ev;

	sage_json_key(w, "events");
	sage_json_begin_array(w);
	for (ev = report->events; ev != NULL; ev = ev->next)
	{
		char		ts[32];
		int			i;

		sage_report_iso_time(ev->usec, ts);
		sage_json_begin_object(w);
		json_kv_string(w, "timestamp", ts);
		json_kv_string(w, "severity", sage_report_level_label(ev->level, false));
		json_kv_string(w, "message", ev->message);
		sage_json_key(w, "details");
		sage_json_begin_object(w);
		for (i = 0; i < ev->nkv; i++)
			json_kv_string(w, ev->kv[2 * i], ev->kv[2 * i + 1]);
		sage_json_end_object(w);
		sage_json_end_object(w);
	}
	if (report->events_dropped > 0)
	{
		/* say that events are missing rather than dropping them silently */
		char		ts[32];
		char		count[32];

		sage_report_iso_time(report->end_usec, ts);
		snprintf(count, sizeof(count), "%llu", (unsigned long long) report->events_dropped);
		sage_json_begin_object(w);
		json_kv_string(w, "timestamp", ts);
		json_kv_string(w, "severity", "warning");
		json_kv_string(w, "message", "further events were not kept");
		sage_json_key(w, "details");
		sage_json_begin_object(w);
		json_kv_string(w, "omitted_events", count);
		sage_json_end_object(w);
		sage_json_end_object(w);
	}
	sage_json_end_array(w);
}

int
sage_report_write_json(SageReport *report, SageError *err)
{
	ReportOut	out;
	SageJsonWriter w;
	SageError	jerr;

	if (sage_rout_open(&out, report->sink, REPORT_JSON_NAME, err) != 0)
		return -1;
	sage_error_clear(&jerr);
	sage_json_init(&w, sage_rout_json_emit, &out, true, &jerr);
	sage_json_begin_object(&w);
	sage_json_key(&w, "schema_version");
	sage_json_int(&w, REPORT_JSON_SCHEMA_VERSION);
	json_execution_info(report, &w);
	json_summary(report, &w);
	json_files(report, &w);
	json_validation(report, &w);
	json_events(report, &w);
	sage_json_end_object(&w);
	sage_json_finish(&w);
	if (sage_rout_close(&out, err) != 0)
		return -1;
	if (jerr.code != SAGE_OK)
	{
		if (err != NULL)
			*err = jerr;
		return -1;
	}
	return 0;
}
