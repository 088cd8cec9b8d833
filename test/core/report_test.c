/*-------------------------------------------------------------------------
 *
 * test/core/report_test.c
 *		Tests of the report (src/core/report*.c, failures_csv.c): counting
 *		and status rules, listing caps, the exact report.json of a small
 *		report (golden file), escaping in every output, sink failures and
 *		bounded memory under a million findings.
 *
 *-------------------------------------------------------------------------
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "report_internal.h"

/* 2023-11-14T22:13:20.000Z */
#define T0 INT64_C(1700000000000000)

/* A report over a memory sink. */
typedef struct Fixture
{
	SageBudget	budget;			/* charged by the arena */
	SageArena  *arena;			/* the report's and the sink's */
	SageSink	sink;			/* memory sink */
	SageReport *report;			/* under test */
} Fixture;

static Fixture *
fixture_new(uint32_t max_listed)
{
	Fixture    *fx = calloc(1, sizeof(Fixture));
	SageReportInfo info;
	SageError	err;

	fx->arena = sage_arena_new(&fx->budget);
	sage_sink_memory(fx->arena, &fx->sink);
	memset(&info, 0, sizeof(info));
	info.execution_id = "00000000-0000-4000-8000-000000000001";
	info.where = "local";
	info.processor_version = "1.0.0";
	info.config_name = "Ventas <diarias>";
	info.input_name = "ventas.csv";
	info.start_usec = T0;
	info.max_listed = max_listed;
	fx->report = sage_report_new(fx->arena, &fx->budget, &info, &fx->sink, &err);
	assert_non_null(fx->report);
	return fx;
}

static void
fixture_free(Fixture *fx)
{
	sage_arena_free(fx->arena);
	free(fx);
}

/* The text of an output after finish (NUL-terminated by the memory sink). */
static const char *
output(Fixture *fx, const char *name)
{
	const void *data = NULL;
	size_t		len = 0;

	if (!sage_sink_memory_find(&fx->sink, name, &data, &len))
		return NULL;
	assert_int_equal(strlen(data), len);
	return data;
}

static void
finish(Fixture *fx)
{
	SageError	err;

	assert_int_equal(sage_report_finish(fx->report, T0 + 1234567, &err), 0);
}

/* Adds a finding with the usual fields. */
static void
add(Fixture *fx, const char *file, uint64_t line, const char *field, SageCheck check,
	const char *rule, SageSeverity sev, const char *value, const char *message)
{
	SageFinding f;
	SageError	err;

	memset(&f, 0, sizeof(f));
	f.file = file;
	f.line = line;
	f.field = field;
	f.check = check;
	f.rule = rule;
	f.severity = sev;
	f.value = value;
	f.message = message;
	assert_int_equal(sage_report_add_finding(fx->report, &f, &err), 0);
}

static int
count_substr(const char *hay, const char *needle)
{
	int			n = 0;
	size_t		len = strlen(needle);

	while ((hay = strstr(hay, needle)) != NULL)
	{
		n++;
		hay += len;
	}
	return n;
}

/* Every byte of s forms valid UTF-8. */
static bool
valid_utf8(const char *s, size_t len)
{
	size_t		i = 0;

	while (i < len)
	{
		size_t		n = sage_utf8_seq_len((const unsigned char *) s + i, len - i);

		if (n == 0)
			return false;
		i += n;
	}
	return true;
}

/* ------------------------------------------------------------ counting */

static void
test_counting_and_status(void **state)
{
	Fixture    *fx = fixture_new(0);
	SageSummary s;
	SageFinding f;
	SageError	err;
	ReportFile *rf;

	assert_int_equal(sage_report_file(fx->report, "a.csv", &err), 0);
	assert_int_equal(sage_report_file(fx->report, "b.csv", &err), 0);
	/* declaring twice is harmless */
	assert_int_equal(sage_report_file(fx->report, "a.csv", &err), 0);
	sage_report_file_counts(fx->report, "a.csv", 3, 1);
	sage_report_file_counts(fx->report, "b.csv", 0, 0);

	/* nothing yet: Éxito */
	sage_report_summary(fx->report, &s);
	assert_string_equal(s.status, "\xC3\x89xito");
	assert_true(s.success_rate == 66.67);

	/* message severity: listed, never counted */
	add(fx, "a.csv", 2, "x", SAGE_CHECK_FIELD_RULE, "r", SAGE_SEV_MESSAGE, "v", "m");
	sage_report_summary(fx->report, &s);
	assert_int_equal(s.errors, 0);
	assert_int_equal(s.warnings, 0);
	assert_string_equal(s.status, "\xC3\x89xito");

	add(fx, "a.csv", 3, "x", SAGE_CHECK_ROW_RULE, "r", SAGE_SEV_WARNING, NULL, "w");
	sage_report_summary(fx->report, &s);
	assert_string_equal(s.status, "Parcial");

	add(fx, "a.csv", 4, "x", SAGE_CHECK_TYPE, NULL, SAGE_SEV_ERROR, "abc", "bad");
	/* package-level finding: summary only */
	add(fx, NULL, 0, NULL, SAGE_CHECK_PACKAGE_RULE, "p", SAGE_SEV_ERROR, NULL, "pkg");
	/* a summary-only finding naming a file: not in that file's statistics */
	memset(&f, 0, sizeof(f));
	f.file = "missing.csv";
	f.check = SAGE_CHECK_MISSING_FILE;
	f.severity = SAGE_SEV_ERROR;
	f.summary_only = true;
	assert_int_equal(sage_report_add_finding(fx->report, &f, &err), 0);
	f.file = "b.csv";
	f.check = SAGE_CHECK_RULE_ERROR;
	f.severity = SAGE_SEV_WARNING;
	assert_int_equal(sage_report_add_finding(fx->report, &f, &err), 0);

	sage_report_summary(fx->report, &s);
	assert_int_equal(s.errors, 3);
	assert_int_equal(s.warnings, 2);
	assert_int_equal(s.total_records, 3);
	assert_int_equal(s.rows_with_errors, 1);
	assert_true(s.success_rate == 66.67);
	assert_string_equal(s.status, "Fallido");
	assert_false(s.system_failure);

	rf = fx->report->files;
	assert_string_equal(rf->name, "a.csv");
	assert_int_equal(rf->errors, 1);
	assert_int_equal(rf->warnings, 1);
	rf = rf->next;
	assert_string_equal(rf->name, "b.csv");
	assert_int_equal(rf->errors, 0);
	assert_int_equal(rf->warnings, 0);
	rf = rf->next;
	assert_string_equal(rf->name, "missing.csv");
	assert_false(rf->declared);

	finish(fx);
	{
		const char *json = output(fx, "report.json");

		assert_non_null(strstr(json, "\"a.csv\": {\n        \"records\": 3,\n"
							   "        \"errors\": 1,\n        \"warnings\": 1,\n"
							   "        \"rows_with_errors\": 1\n      }"));
		/* undeclared, summary-only files are not in statistics */
		assert_null(strstr(json, "\"missing.csv\": {"));
		assert_non_null(strstr(json, "\"success_rate\": 66.67,"));
		assert_non_null(strstr(json, "\"severity\": \"info\""));
	}
	fixture_free(fx);
}

static void
test_undeclared_file_is_declared(void **state)
{
	Fixture    *fx = fixture_new(0);
	SageSummary s;

	/* a counted finding on an unknown file declares it: no count is lost */
	add(fx, "z.csv", 2, "f", SAGE_CHECK_REQUIRED, NULL, SAGE_SEV_ERROR, NULL, "m");
	sage_report_file_counts(fx->report, "z.csv", 5, 1);
	sage_report_summary(fx->report, &s);
	assert_int_equal(s.total_records, 5);
	assert_true(s.success_rate == 80.0);
	finish(fx);
	assert_non_null(strstr(output(fx, "report.json"), "\"z.csv\": {\n        \"records\": 5"));
	fixture_free(fx);
}

static void
test_rates(void **state)
{
	/* records, rows_with_errors, errors -> hundredths */
	assert_int_equal(sage_report_rate_centi(3, 1, 1), 6667);
	assert_int_equal(sage_report_rate_centi(3, 2, 2), 3333);
	assert_int_equal(sage_report_rate_centi(12, 9, 9), 2500);
	assert_int_equal(sage_report_rate_centi(8, 3, 5), 6250);
	assert_int_equal(sage_report_rate_centi(6, 5, 9), 1667);
	assert_int_equal(sage_report_rate_centi(8, 0, 0), 10000);
	/* half up: 1/8 of a hundredth boundary */
	assert_int_equal(sage_report_rate_centi(80000, 1, 1), 10000);
	assert_int_equal(sage_report_rate_centi(200000, 1, 1), 10000);
	assert_int_equal(sage_report_rate_centi(20000, 1, 1), 9999 + 1);
	assert_int_equal(sage_report_rate_centi(40000, 2, 2), 10000);
	assert_int_equal(sage_report_rate_centi(40000, 3, 3), 9999);
	/* empty file: 100 without errors, 0 with */
	assert_int_equal(sage_report_rate_centi(0, 0, 0), 10000);
	assert_int_equal(sage_report_rate_centi(0, 0, 1), 0);
	/* never negative */
	assert_int_equal(sage_report_rate_centi(2, 5, 5), 0);
	/* huge counts do not overflow */
	assert_int_equal(sage_report_rate_centi(UINT64_MAX, UINT64_MAX / 2, 1), 5000);
}

static void
test_empty_file(void **state)
{
	Fixture    *fx = fixture_new(0);
	SageSummary s;
	SageFinding f;
	SageError	err;
	uint64_t	none[1] = {0};

	sage_report_file(fx->report, "vacio.csv", &err);
	sage_report_file_counts(fx->report, "vacio.csv", 0, 0);
	sage_report_summary(fx->report, &s);
	assert_true(s.success_rate == 100.0);
	assert_string_equal(s.status, "\xC3\x89xito");

	/* header_only case: a catalog rule fails on an empty file */
	memset(&f, 0, sizeof(f));
	f.file = "vacio.csv";
	f.check = SAGE_CHECK_CATALOG_RULE;
	f.rule = "No vacio";
	f.severity = SAGE_SEV_ERROR;
	f.message = "El archivo no debe estar vac\xC3\xAD" "o";
	f.lines = none;
	f.nlines = 0;
	assert_int_equal(sage_report_add_finding(fx->report, &f, &err), 0);
	sage_report_summary(fx->report, &s);
	assert_true(s.success_rate == 0.0);
	assert_int_equal(s.errors, 1);
	assert_int_equal(s.rows_with_errors, 0);
	assert_string_equal(s.status, "Fallido");
	finish(fx);
	assert_non_null(strstr(output(fx, "report.json"), "\"success_rate\": 0.0,"));
	/* line null for a catalog rule */
	assert_non_null(strstr(output(fx, "report.json"), "\"line\": null,"));
	assert_string_equal(output(fx, "failures.csv"),
						"file,line,field,check,rule,severity,value,message\r\n"
						"vacio.csv,,,catalog_rule,No vacio,error,,"
						"El archivo no debe estar vac\xC3\xAD" "o\r\n");
	fixture_free(fx);
}

/* ---------------------------------------------------------------- caps */

static void
test_caps_and_truncated(void **state)
{
	Fixture    *fx = fixture_new(5);
	const char *json;
	const char *log;
	const char *csv;
	char		msg[64];
	int			i;

	sage_report_file(fx->report, "a.csv", NULL);
	for (i = 0; i < 23; i++)
	{
		snprintf(msg, sizeof(msg), "bad %d", i);
		add(fx, "a.csv", (uint64_t) i + 2, "n", SAGE_CHECK_TYPE, NULL, SAGE_SEV_ERROR,
			"x", msg);
	}
	/* exactly at the cap: not truncated */
	for (i = 0; i < 5; i++)
		add(fx, "a.csv", (uint64_t) i + 2, "n", SAGE_CHECK_REQUIRED, NULL,
			SAGE_SEV_WARNING, NULL, "req");
	for (i = 0; i < 7; i++)
		add(fx, NULL, 0, NULL, SAGE_CHECK_PACKAGE_RULE, "p", SAGE_SEV_ERROR, NULL, "pkg");
	finish(fx);

	json = output(fx, "report.json");
	/* 5 type + 5 required + 5 package listed */
	assert_int_equal(count_substr(json, "\"check\": \"type\""), 5);
	assert_int_equal(count_substr(json, "\"check\": \"required\""), 5);
	assert_int_equal(count_substr(json, "\"check\": \"package_rule\""), 5);
	assert_non_null(strstr(json, "\"message\": \"bad 4\""));
	assert_null(strstr(json, "\"message\": \"bad 5\""));
	assert_non_null(strstr(json, "\"truncated\": {\n"
						   "      \"a.csv|type\": 23,\n"
						   "      \"|package_rule\": 7\n"
						   "    }"));
	assert_non_null(strstr(json, "\"errors\": 30,"));
	assert_non_null(strstr(json, "\"warnings\": 5,"));

	/* output.log: 10 per (file, check) even with max_listed 5, then the total */
	log = output(fx, "output.log");
	assert_non_null(strstr(log, "a.csv - type: 23 findings\n"));
	assert_non_null(strstr(log, "- bad 9\n"));
	assert_null(strstr(log, "- bad 10\n"));
	assert_non_null(strstr(log, "  ... and 13 more (23 in total)\n"));
	assert_non_null(strstr(log, "a.csv - required: 5 findings\n"));
	assert_non_null(strstr(log, "(package) - package_rule: 7 findings\n"));
	assert_int_equal(count_substr(log, " more ("), 1);

	/* failures.csv has every finding */
	csv = output(fx, "failures.csv");
	assert_int_equal(count_substr(csv, "\r\n"), 1 + 23 + 5 + 7);
	assert_non_null(strstr(csv, "a.csv,24,n,type,,error,x,bad 22\r\n"));
	assert_non_null(strstr(csv, ",,,package_rule,p,error,,pkg\r\n"));

	/* html notes the truncation */
	assert_non_null(strstr(output(fx, "report.html"), "<li>5 of 23 listed for a.csv / type</li>"));
	fixture_free(fx);
}

static void
test_log_cap_total_line(void **state)
{
	Fixture    *fx = fixture_new(0);
	const char *log;
	int			i;

	sage_report_file(fx->report, "a.csv", NULL);
	for (i = 0; i < 1244; i++)
		add(fx, "a.csv", (uint64_t) i + 2, "n", SAGE_CHECK_UNIQUE, NULL, SAGE_SEV_ERROR,
			"dup", "repeated");
	for (i = 0; i < 10; i++)
		add(fx, "a.csv", (uint64_t) i + 2, "n", SAGE_CHECK_TYPE, NULL, SAGE_SEV_ERROR,
			"t", "type");
	finish(fx);
	log = output(fx, "output.log");
	assert_non_null(strstr(log, "  ... and 1234 more (1244 in total)\n"));
	/* exactly 10: no total line */
	assert_int_equal(count_substr(log, " more ("), 1);
	assert_int_equal(count_substr(log, "value \"dup\""), 10);
	assert_int_equal(count_substr(log, "value \"t\""), 10);
	/* the default cap is 1000 in report.json */
	assert_int_equal(count_substr(output(fx, "report.json"), "\"check\": \"unique\""), 1000);
	assert_non_null(strstr(output(fx, "report.json"), "\"a.csv|unique\": 1244"));
	fixture_free(fx);
}

/* ----------------------------------------------------------- golden */

/*
 * build_small
 *		A small, fully deterministic report touching every section.
 */
static void
build_small(Fixture *fx)
{
	SageFinding f;
	SageError	err;
	static const uint64_t lines[] = {3, 7, 9};
	const char *kv[] = {"path", "catalogs.ventas.extra", "count", NULL};

	assert_int_equal(sage_report_event_at(fx->report, T0 + 1000, SAGE_EVENT_INFO,
										  "unknown key ignored", 2, kv, &err), 0);
	assert_int_equal(sage_report_event_at(fx->report, T0 + 2500, SAGE_EVENT_WARNING,
										  "no details", 0, NULL, &err), 0);
	sage_report_file(fx->report, "ventas.csv", &err);
	sage_report_file(fx->report, "clientes.csv", &err);
	add(fx, "ventas.csv", 4, "cantidad", SAGE_CHECK_REQUIRED, NULL, SAGE_SEV_ERROR, NULL,
		"valor requerido");
	add(fx, "ventas.csv", 5, "precio", SAGE_CHECK_TYPE, NULL, SAGE_SEV_ERROR, "12,5",
		"not a decimal");
	add(fx, "ventas.csv", 7, "codigo", SAGE_CHECK_FIELD_RULE, "Formato \"codigo\"",
		SAGE_SEV_WARNING, "a\tb", "El c\xC3\xB3" "digo no cumple");
	add(fx, "ventas.csv", 8, NULL, SAGE_CHECK_ROW_RULE, "Info", SAGE_SEV_MESSAGE, NULL,
		"just info");
	memset(&f, 0, sizeof(f));
	f.file = "clientes.csv";
	f.check = SAGE_CHECK_CATALOG_RULE;
	f.rule = "Ids crecientes";
	f.severity = SAGE_SEV_ERROR;
	f.message = "ids must grow";
	f.lines = lines;
	f.nlines = 3;
	assert_int_equal(sage_report_add_finding(fx->report, &f, &err), 0);
	memset(&f, 0, sizeof(f));
	f.file = "productos.csv";
	f.check = SAGE_CHECK_MISSING_FILE;
	f.severity = SAGE_SEV_ERROR;
	f.message = "missing member";
	f.summary_only = true;
	assert_int_equal(sage_report_add_finding(fx->report, &f, &err), 0);
	assert_int_equal(sage_report_missing_file(fx->report, "productos.csv", "entrega", &err), 0);
	assert_int_equal(sage_report_format_error(fx->report, SAGE_CHECK_COLUMN_MISSING,
											  "clientes.csv", "column missing",
											  "nombre", NULL, &err), 0);
	add(fx, "clientes.csv", 0, "nombre", SAGE_CHECK_COLUMN_MISSING, NULL, SAGE_SEV_ERROR,
		NULL, "column missing");
	add(fx, NULL, 0, NULL, SAGE_CHECK_RULE_ERROR, "Productos referenciados",
		SAGE_SEV_WARNING, NULL, "column \"id\" does not exist");
	sage_report_file_counts(fx->report, "ventas.csv", 12, 2);
	sage_report_file_counts(fx->report, "clientes.csv", 4, 0);
}

static char *
read_golden(const char *name)
{
	const char *dir = getenv("SAGE_TEST_DATA");
	char		path[1024];
	FILE	   *fp;
	long		n;
	char	   *buf;

	snprintf(path, sizeof(path), "%s/report/%s", dir ? dir : "test/data", name);
	fp = fopen(path, "rb");
	if (fp == NULL)
		return NULL;
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	fseek(fp, 0, SEEK_SET);
	buf = malloc((size_t) n + 1);
	assert_int_equal(fread(buf, 1, (size_t) n, fp), (size_t) n);
	buf[n] = '\0';
	fclose(fp);
	return buf;
}

static void
write_golden(const char *name, const char *text)
{
	const char *dir = getenv("SAGE_TEST_DATA");
	char		path[1024];
	FILE	   *fp;

	snprintf(path, sizeof(path), "%s/report/%s", dir ? dir : "test/data", name);
	fp = fopen(path, "wb");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

/*
 * test_golden_json
 *		report.json of build_small is byte-identical to the golden file
 *		(every time in it is fixed, so nothing needs blanking). Set
 *		SAGE_UPDATE_GOLDEN=1 to print the current text instead.
 */
static void
test_golden_json(void **state)
{
	Fixture    *fx = fixture_new(0);
	char	   *golden;
	const char *json;

	build_small(fx);
	finish(fx);
	json = output(fx, "report.json");
	if (getenv("SAGE_UPDATE_GOLDEN") != NULL)
	{
		write_golden("small_report.json", json);
		write_golden("small_failures.csv", output(fx, "failures.csv"));
	}
	golden = read_golden("small_report.json");
	assert_non_null(golden);
	assert_string_equal(json, golden);
	free(golden);

	golden = read_golden("small_failures.csv");
	assert_non_null(golden);
	assert_string_equal(output(fx, "failures.csv"), golden);
	free(golden);
	fixture_free(fx);
}

/*
 * test_outputs_parse
 *		report.json parses with Python's strict json module and its content
 *		matches the numbers; failures.csv parses with Python's csv module
 *		into the same 8 columns everywhere.
 */
static void
test_outputs_parse(void **state)
{
	Fixture    *fx = fixture_new(0);
	char		dir[] = "/tmp/sage_report_testXXXXXX";
	char		cmd[2048];
	char		path[256];
	const char *names[] = {"report.json", "failures.csv"};
	int			i;

	if (access("/usr/bin/python3", X_OK) != 0)
	{
		fixture_free(fx);
		skip();
	}
	build_small(fx);
	add(fx, "ventas.csv", 9, "x\"y", SAGE_CHECK_TYPE, NULL, SAGE_SEV_ERROR,
		"multi\r\nline, \"quoted\" \xFF value", "m\x01sg");
	finish(fx);
	assert_non_null(mkdtemp(dir));
	for (i = 0; i < 2; i++)
	{
		const void *data;
		size_t		len;
		FILE	   *fp;

		assert_true(sage_sink_memory_find(&fx->sink, names[i], &data, &len));
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		fp = fopen(path, "wb");
		assert_int_equal(fwrite(data, 1, len, fp), len);
		fclose(fp);
	}
	snprintf(cmd, sizeof(cmd),
			 "cd %s && /usr/bin/python3 -c '"
			 "import json, csv, sys\n"
			 "d = json.loads(open(\"report.json\", \"rb\").read().decode(\"utf-8\"),"
			 " parse_constant=lambda c: sys.exit(c))\n"
			 "assert list(d) == [\"schema_version\", \"execution_info\", \"summary\", \"files\","
			 " \"validation\", \"events\"], list(d)\n"
			 "s = d[\"summary\"]\n"
			 "assert s == {\"total_records\": 16, \"errors\": 6, \"warnings\": 2,"
			 " \"rows_with_errors\": 2, \"success_rate\": 87.5, \"status\": \"Fallido\"}, s\n"
			 "assert d[\"execution_info\"][\"duration_ms\"] == 1234\n"
			 "assert d[\"execution_info\"][\"start_time\"] == \"2023-11-14T22:13:20.000Z\"\n"
			 "assert d[\"execution_info\"][\"end_time\"] == \"2023-11-14T22:13:21.234Z\"\n"
			 "assert all(isinstance(e[\"details\"], dict) for e in d[\"events\"])\n"
			 "f = d[\"validation\"][\"failures\"]\n"
			 "assert f[-1][\"value\"] == \"multi\\r\\nline, \\\"quoted\\\" \\ufffd value\", f[-1]\n"
			 "rows = list(csv.reader(open(\"failures.csv\", newline=\"\", encoding=\"utf-8\")))\n"
			 "assert rows[0] == \"file,line,field,check,rule,severity,value,message\".split(\",\")\n"
			 "assert all(len(r) == 8 for r in rows), rows\n"
			 "assert len(rows) == 1 + len(f), (len(rows), len(f))\n"
			 "assert rows[-1][2] == \"x\\\"y\" and rows[-1][6] == f[-1][\"value\"], rows[-1]\n"
			 "cat = [r for r in rows if r[3] == \"catalog_rule\"][0]\n"
			 "assert cat[1] == \"\" and cat[7] == \"ids must grow (failing lines: 3, 7, 9)\", cat\n"
			 "'", dir);
	assert_int_equal(system(cmd), 0);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
	fixture_free(fx);
}

/* ------------------------------------------------------------ escaping */

static void
test_html_escaping(void **state)
{
	Fixture    *fx = fixture_new(0);
	const char *html;
	const char *kv[] = {"<k>", "<script>alert(1)</script>"};
	SageError	err;
	SageError	cause;

	sage_report_file(fx->report, "<script>alert(1)</script>.csv", NULL);
	add(fx, "<script>alert(1)</script>.csv", 2, "<b>f</b>", SAGE_CHECK_TYPE,
		"r'\"&", SAGE_SEV_ERROR, "<script>alert(1)</script>",
		"<img src=x onerror=alert(1)>");
	sage_report_format_error(fx->report, SAGE_CHECK_COLUMN_EXTRA,
							 "<script>alert(1)</script>.csv", "<script>",
							 "<script>", "<script>", &err);
	sage_report_missing_file(fx->report, "<script>alert(1)</script>", "<script>", &err);
	sage_report_event_at(fx->report, T0, SAGE_EVENT_INFO, "<script>alert(1)</script>",
						 1, kv, &err);
	sage_error_set(&cause, SAGE_ERR_INPUT, "<script>alert(1)</script>");
	sage_error_detail(&cause, "<script>alert(1)</script>");
	sage_report_system_failure(fx->report, &cause);
	finish(fx);
	html = output(fx, "report.html");
	assert_null(strstr(html, "<script"));
	assert_null(strstr(html, "<img"));
	assert_null(strstr(html, "<b>f"));
	assert_null(strstr(html, "<k>"));
	assert_non_null(strstr(html, "&lt;script&gt;alert(1)&lt;/script&gt;"));
	assert_non_null(strstr(html, "r&#39;&quot;&amp;"));
	assert_non_null(strstr(html, "<meta charset=\"utf-8\">"));
	/* self-contained: no external reference */
	assert_null(strstr(html, "http"));
	assert_null(strstr(html, "url("));
	assert_null(strstr(html, "@import"));
	assert_null(strstr(html, "<link"));
	/* the config name of the fixture is escaped in the title */
	assert_non_null(strstr(html, "<title>SAGE report: Ventas &lt;diarias&gt;</title>"));
	fixture_free(fx);
}

static void
test_text_outputs_and_utf8(void **state)
{
	Fixture    *fx = fixture_new(0);
	const char *names[] = {"output.log", "report.json", "report.html", "results.txt",
	"failures.csv", "error.log"};
	int			i;
	const char *log;
	const char *res;

	sage_report_file(fx->report, "a.csv", NULL);
	sage_report_file_counts(fx->report, "a.csv", 2, 1);
	add(fx, "a.csv", 2, "f\xC3", SAGE_CHECK_ENCODING, NULL, SAGE_SEV_ERROR,
		"bad \xFF\xFE bytes\nnext", "invalid UTF-8");
	add(fx, "a.csv", 3, "f", SAGE_CHECK_TYPE, NULL, SAGE_SEV_ERROR,
		"emoji \xF0\x9F\x98\x80", "x");
	finish(fx);
	for (i = 0; i < 5; i++)
	{
		const void *data;
		size_t		len;

		assert_true(sage_sink_memory_find(&fx->sink, names[i], &data, &len));
		assert_true(valid_utf8(data, len));
	}
	/* no system failure: no error.log */
	assert_null(output(fx, names[5]));
	assert_int_equal(sage_sink_memory_count(&fx->sink), 5);

	log = output(fx, "output.log");
	/* one finding, one line: the newline in the value is escaped */
	assert_non_null(strstr(log, "value \"bad \xEF\xBF\xBD\xEF\xBF\xBD bytes\\nnext\""));
	assert_non_null(strstr(log, "emoji \xF0\x9F\x98\x80"));
	assert_non_null(strstr(log, "Configuration:     Ventas <diarias>\n"));
	assert_non_null(strstr(log, "Execution ID:      00000000-0000-4000-8000-000000000001\n"));
	assert_non_null(strstr(log, "Start time:        2023-11-14 22:13:20 UTC\n"));
	assert_non_null(strstr(log, "Input:             ventas.csv\n"));
	assert_non_null(strstr(log, "a.csv: 2 records, 2 errors, 0 warnings, 1 rows with errors\n"));
	assert_non_null(strstr(log, "Status:            Fallido\n"));
	assert_non_null(strstr(log, "Success rate:      50.00%\n"));

	res = output(fx, "results.txt");
	assert_non_null(strstr(res, "General information\n"));
	assert_non_null(strstr(res, "Global summary\n"));
	assert_non_null(strstr(res, "Per-file statistics\n"));
	assert_non_null(strstr(res, "Format errors\n-------------\n(none)\n"));
	assert_non_null(strstr(res, "Missing files\n-------------\n(none)\n"));
	assert_non_null(strstr(res, "Duration:          1234 ms\n"));
	assert_non_null(strstr(res, "End time:          2023-11-14 22:13:21 UTC\n"));
	fixture_free(fx);
}

static void
test_events_log(void **state)
{
	Fixture    *fx = fixture_new(0);
	const char *kv[] = {"path", "catalogs.x", "path", "dup", "why", NULL, NULL, "skipped"};
	const char *log;
	const char *json;
	SageError	err;

	assert_int_equal(sage_report_event_at(fx->report, T0 + 61000000, SAGE_EVENT_WARNING,
										  "multi\nline", 4, kv, &err), 0);
	assert_int_equal(sage_report_event(fx->report, SAGE_EVENT_INFO, "now", 0, NULL, &err), 0);
	/* bad arguments */
	assert_int_equal(sage_report_event(fx->report, SAGE_EVENT_INFO, NULL, 0, NULL, &err), -1);
	assert_int_equal(err.code, SAGE_ERR_ARGUMENT);
	assert_int_equal(sage_report_event(fx->report, SAGE_EVENT_INFO, "x", 1, NULL, &err), -1);
	assert_int_equal(sage_report_event(fx->report, (SageEventLevel) 7, "x", 0, NULL, &err), -1);
	finish(fx);
	log = output(fx, "output.log");
	assert_non_null(strstr(log, "2023-11-14 22:14:21 [WARNING] multi\\nline\n"
						   "    path: catalogs.x\n"
						   "    why: -\n"));
	assert_non_null(strstr(log, " [INFO] now\n"));
	json = output(fx, "report.json");
	/* a repeated key keeps its first value; NULL values are null */
	assert_non_null(strstr(json, "\"details\": {\n"
						   "        \"path\": \"catalogs.x\",\n"
						   "        \"why\": null\n"
						   "      }"));
	assert_non_null(strstr(json, "\"timestamp\": \"2023-11-14T22:14:21.000Z\""));
	assert_non_null(strstr(json, "\"severity\": \"warning\""));
	fixture_free(fx);
}

static void
test_times(void **state)
{
	char		buf[32];

	sage_report_iso_time(0, buf);
	assert_string_equal(buf, "1970-01-01T00:00:00.000Z");
	sage_report_iso_time(INT64_C(1795733401123456), buf);
	assert_string_equal(buf, "2026-11-26T22:50:01.123Z");
	sage_report_iso_time(INT64_C(951782400000000), buf);	/* leap day */
	assert_string_equal(buf, "2000-02-29T00:00:00.000Z");
	sage_report_iso_time(-1, buf);
	assert_string_equal(buf, "1969-12-31T23:59:59.999Z");
	sage_report_log_time(INT64_C(4102444799999999), buf);
	assert_string_equal(buf, "2099-12-31 23:59:59");
}

/* ---------------------------------------------------- system failure */

static void
test_system_failure(void **state)
{
	Fixture    *fx = fixture_new(0);
	SageError	cause;
	SageSummary s;
	const char *el;

	sage_error_set(&cause, SAGE_ERR_CONFIG, "invalid configuration");
	sage_error_detail(&cause, "catalogs.a.fields[0].type: unknown type \"x\".\n"
					  "packages.p: missing name.");
	sage_error_hint(&cause, "Fix the YAML.");
	sage_report_system_failure(fx->report, &cause);
	/* only the first cause is kept */
	sage_error_set(&cause, SAGE_ERR_INTERNAL, "second");
	sage_report_system_failure(fx->report, &cause);
	sage_report_summary(fx->report, &s);
	assert_true(s.system_failure);
	assert_string_equal(s.status, "Fallido");
	finish(fx);

	el = output(fx, "error.log");
	assert_non_null(el);
	assert_non_null(strstr(el, "Error code:   config\n"));
	assert_non_null(strstr(el, "Message:      invalid configuration\n"));
	assert_non_null(strstr(el, "Detail:\n    catalogs.a.fields[0].type: unknown type \"x\".\n"
						   "    packages.p: missing name.\n"));
	assert_non_null(strstr(el, "Hint:         Fix the YAML.\n"));
	assert_null(strstr(el, "second"));
	assert_non_null(strstr(output(fx, "report.json"),
						   "\"severity\": \"error\",\n      \"message\": \"invalid configuration\","));
	assert_non_null(strstr(output(fx, "report.json"), "\"code\": \"config\""));
	assert_non_null(strstr(output(fx, "output.log"), "System failure: invalid configuration\n"));
	assert_non_null(strstr(output(fx, "results.txt"), "System failure\n"));
	/* failures.csv exists, header only */
	assert_string_equal(output(fx, "failures.csv"),
						"file,line,field,check,rule,severity,value,message\r\n");
	assert_int_equal(sage_sink_memory_count(&fx->sink), 6);
	fixture_free(fx);
}

static void
test_argument_errors(void **state)
{
	Fixture    *fx = fixture_new(0);
	SageFinding f;
	SageError	err;
	SageSink	bad;
	SageReportInfo info;

	memset(&f, 0, sizeof(f));
	f.check = (SageCheck) SAGE_NCHECKS;
	assert_int_equal(sage_report_add_finding(fx->report, &f, &err), -1);
	assert_int_equal(err.code, SAGE_ERR_ARGUMENT);
	assert_string_equal(err.message, "invalid finding check 14");
	f.check = SAGE_CHECK_TYPE;
	f.severity = (SageSeverity) 9;
	assert_int_equal(sage_report_add_finding(fx->report, &f, &err), -1);
	assert_string_equal(err.message, "invalid finding severity 9");
	assert_int_equal(sage_report_add_finding(fx->report, NULL, &err), -1);
	assert_int_equal(sage_report_format_error(fx->report, (SageCheck) 99, "a", "m", NULL,
											  NULL, &err), -1);
	assert_int_equal(sage_report_missing_file(fx->report, NULL, NULL, &err), -1);

	finish(fx);
	f.severity = SAGE_SEV_ERROR;
	assert_int_equal(sage_report_add_finding(fx->report, &f, &err), -1);
	assert_string_equal(err.message, "report already finished");
	assert_int_equal(sage_report_finish(fx->report, T0, &err), -1);
	assert_string_equal(err.message, "report already finished");
	sage_report_abort(fx->report);	/* harmless after finish */

	memset(&bad, 0, sizeof(bad));
	memset(&info, 0, sizeof(info));
	assert_null(sage_report_new(fx->arena, NULL, &info, &bad, &err));
	assert_int_equal(err.code, SAGE_ERR_ARGUMENT);
	fixture_free(fx);
}

/* -------------------------------------------------------- sink failure */

/* A sink that fails writes after a byte budget, to test propagation. */
typedef struct FailSink
{
	size_t		budget;			/* bytes accepted before failing */
	size_t		written;		/* bytes accepted so far */
	int			open_files;		/* handles not closed */
	const char *fail_open;		/* name whose open fails, or NULL */
} FailSink;

static int
fail_open(void *ctx, const char *name, void **handle, SageError *err)
{
	FailSink   *fs = ctx;

	if (fs->fail_open != NULL && strcmp(name, fs->fail_open) == 0)
		return sage_error_set(err, SAGE_ERR_IO, "could not open file \"%s\": %s", name,
							  "Permission denied");
	fs->open_files++;
	*handle = fs;
	return 0;
}

static int
fail_write(void *ctx, void *handle, const void *data, size_t len, SageError *err)
{
	FailSink   *fs = ctx;

	if (fs->written + len > fs->budget)
		return sage_error_set(err, SAGE_ERR_IO, "could not write file \"x\": %s",
							  "No space left on device");
	fs->written += len;
	return 0;
}

static int
fail_close(void *ctx, void *handle, SageError *err)
{
	FailSink   *fs = ctx;

	fs->open_files--;
	return 0;
}

static void
test_sink_failures(void **state)
{
	SageArena  *arena = sage_arena_new(NULL);
	FailSink	fs = {100000, 0, 0, NULL};
	SageSink	sink = {fail_open, fail_write, fail_close, &fs};
	SageReportInfo info;
	SageReport *report;
	SageFinding f;
	SageError	err;
	int			i,
				rc = 0;

	memset(&info, 0, sizeof(info));
	info.start_usec = T0;
	report = sage_report_new(arena, NULL, &info, &sink, &err);
	assert_non_null(report);
	memset(&f, 0, sizeof(f));
	f.file = "a.csv";
	f.check = SAGE_CHECK_TYPE;
	f.message = "a message long enough to fill the sink quickly";
	for (i = 0; i < 100000 && rc == 0; i++)
		rc = sage_report_add_finding(report, &f, &err);
	assert_int_equal(rc, -1);
	assert_int_equal(err.code, SAGE_ERR_IO);
	assert_string_equal(err.message, "could not write file \"x\": No space left on device");
	/* counts stay exact even when the sink fails */
	assert_int_equal(report->errors, (uint64_t) i);
	assert_int_equal(sage_report_finish(report, T0, &err), -1);
	assert_string_equal(err.message, "could not write file \"x\": No space left on device");
	/* every handle was closed despite the failures */
	assert_int_equal(fs.open_files, 0);

	/* an open failure of one output: the others are still written */
	fs.budget = SIZE_MAX;
	fs.written = 0;
	fs.fail_open = "report.html";
	report = sage_report_new(arena, NULL, &info, &sink, &err);
	assert_non_null(report);
	assert_int_equal(sage_report_finish(report, T0, &err), -1);
	assert_string_equal(err.message, "could not open file \"report.html\": Permission denied");
	assert_int_equal(fs.open_files, 0);
	assert_true(fs.written > 1000);

	/* failures.csv cannot be created: no report */
	fs.fail_open = "failures.csv";
	assert_null(sage_report_new(arena, NULL, &info, &sink, &err));
	assert_int_equal(err.code, SAGE_ERR_IO);

	/* abort closes failures.csv */
	fs.fail_open = NULL;
	report = sage_report_new(arena, NULL, &info, &sink, &err);
	assert_int_equal(fs.open_files, 1);
	sage_report_abort(report);
	assert_int_equal(fs.open_files, 0);
	sage_arena_free(arena);
}

static void
test_memory_limit(void **state)
{
	SageBudget	budget = {0, 0, 0};
	SageArena  *arena;
	SageArena  *sink_arena = sage_arena_new(NULL);
	SageSink	sink;
	SageReportInfo info;
	SageReport *report;
	SageFinding f;
	SageError	err;
	char		value[2000];
	int			i,
				rc = 0;

	budget.limit = 256 * 1024;
	arena = sage_arena_new(&budget);
	sage_sink_memory(sink_arena, &sink);
	memset(&info, 0, sizeof(info));
	info.start_usec = T0;
	report = sage_report_new(arena, &budget, &info, &sink, &err);
	assert_non_null(report);
	memset(value, 'v', sizeof(value) - 1);
	value[sizeof(value) - 1] = '\0';
	memset(&f, 0, sizeof(f));
	f.file = "a.csv";
	f.check = SAGE_CHECK_TYPE;
	f.value = value;
	for (i = 0; i < 1000 && rc == 0; i++)
		rc = sage_report_add_finding(report, &f, &err);
	assert_int_equal(rc, -1);
	assert_int_equal(err.code, SAGE_ERR_MEMORY);
	assert_string_equal(err.message, "memory limit exceeded");
	/* finish still writes the outputs, as a system failure */
	assert_int_equal(sage_report_finish(report, T0, &err), 0);
	assert_true(sage_sink_memory_find(&sink, "error.log", NULL, NULL));
	sage_arena_free(arena);
	sage_arena_free(sink_arena);
}

/* ------------------------------------------------------- bounded memory */

/* A sink that discards bytes and counts them. */
typedef struct CountSink
{
	uint64_t	bytes;			/* all bytes written */
	uint64_t	csv_lines;		/* CRLFs in failures.csv */
	void	   *csv;			/* failures.csv's handle */
	int			nfiles;			/* files opened */
	char		last;			/* last byte of failures.csv, for CRLF across writes */
} CountSink;

static int
count_open(void *ctx, const char *name, void **handle, SageError *err)
{
	CountSink  *cs = ctx;

	*handle = (char *) cs + 1 + cs->nfiles++;
	if (strcmp(name, "failures.csv") == 0)
		cs->csv = *handle;
	return 0;
}

static int
count_write(void *ctx, void *handle, const void *data, size_t len, SageError *err)
{
	CountSink  *cs = ctx;
	const char *p = data;
	size_t		i;

	cs->bytes += len;
	if (handle == cs->csv)
	{
		for (i = 0; i < len; i++)
		{
			if (p[i] == '\n' && (i > 0 ? p[i - 1] : cs->last) == '\r')
				cs->csv_lines++;
		}
		if (len > 0)
			cs->last = p[len - 1];
	}
	return 0;
}

static int
count_close(void *ctx, void *handle, SageError *err)
{
	return 0;
}

/*
 * test_million_findings
 *		A million findings over three files and three checks (plus one
 *		catalog rule failing on a million lines) must not grow the report's
 *		memory past what the first thousands cost, while every finding
 *		reaches failures.csv and every count is exact.
 */
static void
test_million_findings(void **state)
{
	SageBudget	budget = {0, 0, 0};
	SageArena  *arena;
	CountSink	cs;
	SageSink	sink = {count_open, count_write, count_close, &cs};
	SageReportInfo info;
	SageReport *report;
	SageFinding f;
	SageError	err;
	SageSummary s;
	static const char *const files[] = {"a.csv", "b.csv", "c.csv"};
	static const SageCheck checks[] = {SAGE_CHECK_TYPE, SAGE_CHECK_REQUIRED, SAGE_CHECK_ROW_RULE};
	uint64_t   *lines;
	size_t		after_warmup = 0;
	size_t		peak_warmup = 0;
	char		value[32];
	uint64_t	i;
	const uint64_t total = 1000000;

	memset(&cs, 0, sizeof(cs));
	budget.limit = 64 * 1024 * 1024;
	arena = sage_arena_new(&budget);
	memset(&info, 0, sizeof(info));
	info.start_usec = T0;
	report = sage_report_new(arena, &budget, &info, &sink, &err);
	assert_non_null(report);
	for (i = 0; i < 3; i++)
		assert_int_equal(sage_report_file(report, files[i], &err), 0);

	memset(&f, 0, sizeof(f));
	f.field = "campo";
	f.rule = "regla";
	f.message = "el valor no cumple la regla";
	f.value = value;
	for (i = 0; i < total; i++)
	{
		f.file = files[i % 3];
		f.check = checks[(i / 3) % 3];
		f.severity = i % 5 == 0 ? SAGE_SEV_WARNING : SAGE_SEV_ERROR;
		f.line = i + 2;
		snprintf(value, sizeof(value), "v%llu", (unsigned long long) i);
		assert_int_equal(sage_report_add_finding(report, &f, &err), 0);
		if (i == 20000)
		{
			/* every group is past its cap of 1000 by now */
			after_warmup = sage_arena_allocated(arena);
			peak_warmup = budget.peak;
		}
	}
	/* not one byte more after the caps were reached */
	assert_int_equal(sage_arena_allocated(arena), after_warmup);
	assert_int_equal(budget.peak, peak_warmup);
	assert_true(budget.peak < 16 * 1024 * 1024);

	/* one catalog rule finding listing a million failing lines */
	lines = malloc(sizeof(uint64_t) * total);
	for (i = 0; i < total; i++)
		lines[i] = i + 2;
	memset(&f, 0, sizeof(f));
	f.file = "a.csv";
	f.check = SAGE_CHECK_CATALOG_RULE;
	f.rule = "todas";
	f.message = "falla";
	f.lines = lines;
	f.nlines = total;
	assert_int_equal(sage_report_add_finding(report, &f, &err), 0);
	free(lines);
	/* the kept copy quotes 100 lines only */
	assert_true(sage_arena_allocated(arena) - after_warmup < 64 * 1024);

	for (i = 0; i < 3; i++)
		sage_report_file_counts(report, files[i], total, total / 3);
	sage_report_summary(report, &s);
	assert_int_equal(s.errors, total - total / 5 + 1);
	assert_int_equal(s.warnings, total / 5);
	assert_int_equal(s.total_records, 3 * total);
	assert_int_equal(report->files->groups[SAGE_CHECK_TYPE].total, 111112);
	assert_int_equal(report->files->groups[SAGE_CHECK_TYPE].nkept, 1000);

	assert_int_equal(sage_report_finish(report, T0, &err), 0);
	/* every finding reached failures.csv: header + 1M + 1 */
	assert_int_equal(cs.csv_lines, total + 2);
	/* the million-line message went out in full (>= 7 bytes per line) */
	assert_true(cs.bytes > total * 7 * 2);
	assert_true(budget.peak < 16 * 1024 * 1024);
	sage_arena_free(arena);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counting_and_status),
		cmocka_unit_test(test_undeclared_file_is_declared),
		cmocka_unit_test(test_rates),
		cmocka_unit_test(test_empty_file),
		cmocka_unit_test(test_caps_and_truncated),
		cmocka_unit_test(test_log_cap_total_line),
		cmocka_unit_test(test_golden_json),
		cmocka_unit_test(test_outputs_parse),
		cmocka_unit_test(test_html_escaping),
		cmocka_unit_test(test_text_outputs_and_utf8),
		cmocka_unit_test(test_events_log),
		cmocka_unit_test(test_times),
		cmocka_unit_test(test_system_failure),
		cmocka_unit_test(test_argument_errors),
		cmocka_unit_test(test_sink_failures),
		cmocka_unit_test(test_memory_limit),
		cmocka_unit_test(test_million_findings),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
