/*-------------------------------------------------------------------------
 *
 * test/core/xlsx_reader_test.c
 *		Unit tests for src/core/xlsx_reader.c and src/core/xml_sax.c:
 *		cell text (numbers, dates, booleans, strings), sheet selection,
 *		streaming, limits and hostile XML.
 *
 * Fixtures come from test/data/xlsx/make_fixtures.py (committed output).
 * Each sheet is dumped as "line:cell|cell|..." lines and compared whole.
 *
 *-------------------------------------------------------------------------
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "sage/record.h"

/* Per-test state. */
typedef struct XlsxTest
{
	SageArena  *arena;			/* everything of one test */
	char	   *data;			/* file bytes */
	size_t		len;
	SageError	err;			/* last error */
	char		dump[1 << 16];	/* records as text */
} XlsxTest;

static int
xt_setup(void **state)
{
	XlsxTest   *t = calloc(1, sizeof(XlsxTest));

	t->arena = sage_arena_new(NULL);
	*state = t;
	return 0;
}

static int
xt_teardown(void **state)
{
	XlsxTest   *t = *state;

	sage_arena_free(t->arena);
	free(t);
	return 0;
}

static void
xt_load(XlsxTest *t, const char *rel)
{
	const char *base = getenv("SAGE_TEST_DATA");
	char		path[1024];

	snprintf(path, sizeof(path), "%s/%s", base ? base : "test/data", rel);
	if (sage_read_file(t->arena, path, 0, &t->data, &t->len, &t->err) != 0)
		fail_msg("cannot load %s: %s", path, t->err.message);
}

/*
 * Opens rel with a sheet name / index and reads every record into
 * t->dump; returns what open or the last next() returned (-1 on error).
 */
static int
xt_read(XlsxTest *t, const char *rel, const char *sheet, int index, uint64_t max)
{
	SageXlsxOptions opts = {0};
	SageRecordReader rd;
	SageRecord	rec;
	size_t		o = 0;
	int			rc;

	xt_load(t, rel);
	opts.sheet_name = sheet;
	opts.sheet_index = index;
	opts.max_uncompressed = max;
	t->dump[0] = '\0';
	if (sage_xlsx_reader_open(t->arena, t->data, t->len, &opts, &rd, &t->err) != 0)
		return -1;
	while ((rc = rd.next(rd.self, &rec, &t->err)) == 1)
	{
		int			i;

		o += (size_t) snprintf(t->dump + o, sizeof(t->dump) - o, "%llu:",
							   (unsigned long long) rec.line);
		for (i = 0; i < rec.nfields; i++)
		{
			assert_int_equal(strlen(rec.fields[i]), rec.lens[i]);
			assert_false(rec.bad_encoding);
			o += (size_t) snprintf(t->dump + o, sizeof(t->dump) - o, "%s%s",
								   i ? "|" : "", rec.fields[i]);
		}
		o += (size_t) snprintf(t->dump + o, sizeof(t->dump) - o, "\n");
		assert_true(o < sizeof(t->dump));
	}
	if (rc == 0)
	{
		/* stays at the end */
		assert_int_equal(rd.next(rd.self, &rec, &t->err), 0);
		assert_int_equal(rd.bytes_done(rd.self), rd.bytes_done(rd.self));
	}
	if (rd.close)
		rd.close(rd.self);
	return rc;
}

/* Reads and asserts success plus the exact dump. */
static void
xt_expect(XlsxTest *t, const char *rel, const char *sheet, int index, const char *expected)
{
	if (xt_read(t, rel, sheet, index, 0) != 0)
		fail_msg("%s: %s (%s)", rel, t->err.message, t->err.detail);
	assert_string_equal(t->dump, expected);
}

/* Reads and asserts failure with code and message. */
static void
xt_fails(XlsxTest *t, const char *rel, SageErrorCode code, const char *message)
{
	assert_int_equal(xt_read(t, rel, NULL, 0, 0), -1);
	assert_string_equal(t->err.message, message);
	assert_int_equal(t->err.code, code);
}

/* ---------------------------------------------------------------- tests */

static void
test_basic_first_sheet(void **state)
{
	XlsxTest   *t = *state;
	const char *expected =
		"1:sku|qty|price\n"
		"2:rich text||9.99\n"
		"5:\xe6\x9d\xb1\xe4\xba\xac|a & b <c> \xc3\xa1\xf0\x9f\x98\x80|line1\r\nline2 _x0041_|  0012 \n"
		"6:12|12|-0.5|0.30000000000000004|1e-07|150000000000000000000|123456789012|7\n"
		"7:true|false|#N/A|#DIV/0!|skux|2\n"
		"8:2025-01-15|2025-01-15T18:00:00|2025-01-15|45672|45672|1900-01-01T12:00:00|45672|45672|2025-01-15|45672|12:00:00\n"
		"9:1900-01-01|1900-02-28|1900-02-29|1900-03-01|00:00:00|2025-01-15T00:00:00.001|-1|9999-12-31|2958466|45672|abc\n"
		"10:2025-01-15|2025-01-15T10:30:00|3|5\n"
		"12:|inline|||||||||||||||||||||||||27\n";

	xt_expect(t, "xlsx/basic.xlsx", NULL, 0, expected);
	xt_expect(t, "xlsx/basic.xlsx", "Datos", 0, expected);
	xt_expect(t, "xlsx/basic.xlsx", NULL, 1, expected);
	/* Excel compares sheet names case-insensitively */
	xt_expect(t, "xlsx/basic.xlsx", "DATOS", 0, expected);
}

static void
test_basic_other_sheets(void **state)
{
	XlsxTest   *t = *state;

	xt_expect(t, "xlsx/basic.xlsx", "Otra hoja", 0, "1:otra\n2:2\n");
	xt_expect(t, "xlsx/basic.xlsx", NULL, 2, "1:otra\n2:2\n");
	xt_expect(t, "xlsx/basic.xlsx", "Vac\xc3\xad" "a", 0, "");
	xt_expect(t, "xlsx/basic.xlsx", NULL, 3, "");
}

static void
test_sheet_selection_errors(void **state)
{
	XlsxTest   *t = *state;

	assert_int_equal(xt_read(t, "xlsx/basic.xlsx", "Nope", 0, 0), -1);
	assert_int_equal(t->err.code, SAGE_ERR_INPUT);
	assert_string_equal(t->err.message, "worksheet \"Nope\" not found in XLSX file");
	assert_string_equal(t->err.detail,
						"The workbook has these sheets: \"Datos\", \"Otra hoja\", \"Vac\xc3\xad" "a\".");
	assert_int_equal(xt_read(t, "xlsx/basic.xlsx", NULL, 4, 0), -1);
	assert_string_equal(t->err.message, "worksheet index 4 is out of range");
	assert_string_equal(t->err.detail,
						"The workbook has 3 sheets: \"Datos\", \"Otra hoja\", \"Vac\xc3\xad" "a\".");
	assert_int_equal(xt_read(t, "xlsx/basic.xlsx", NULL, -1, 0), -1);
	assert_string_equal(t->err.message, "worksheet index -1 is out of range");
	assert_int_equal(xt_read(t, "xlsx/date1904.xlsx", NULL, 2, 0), -1);
	assert_string_equal(t->err.detail, "The workbook has 1 sheet: \"S\".");
}

static void
test_date1904(void **state)
{
	XlsxTest   *t = *state;

	xt_expect(t, "xlsx/date1904.xlsx", NULL, 0,
			  "1:1904-01-01|1904-01-02|2021-09-23T12:00:00|43000.5|1904-01-01T06:00:00\n");
	xt_expect(t, "xlsx/openpyxl_1904.xlsx", NULL, 0, "1:2000-01-01|5\n");
}

static void
test_norefs(void **state)
{
	XlsxTest   *t = *state;

	xt_expect(t, "xlsx/norefs.xlsx", NULL, 0,
			  "1:1|b||4\n"
			  "2:true\n"
			  "7:7\n"
			  "8:||8|9\n");
}

static void
test_openpyxl(void **state)
{
	XlsxTest   *t = *state;

	xt_expect(t, "xlsx/openpyxl.xlsx", NULL, 0,
			  "1:id|fecha|monto|activo|nota\n"
			  "2:1|2024-02-29|10.5|true|caf\xc3\xa9\n"
			  "3:2|2024-03-01T13:45:30|-3|false\n"
			  "4:3||1e-07||0012\n");
	xt_expect(t, "xlsx/openpyxl.xlsx", "Resumen", 0, "2:|total|7.25\n");
}

static void
test_case_articulos(void **state)
{
	XlsxTest   *t = *state;

	assert_int_equal(xt_read(t, "cases/xlsx_basic/articulos.xlsx", NULL, 0, 0), 0);
	print_message("%s", t->dump);
	assert_string_equal(t->dump,
						"1:sku|qty|price|since|active\n"
						"2:A1|5|9.99|2025-01-15|true\n"
						"3:A2|3|1.5|2025-02-01|false\n"
						"4:A3||2|2025-02-02|true\n"
						"5:A1|1|1|2025-02-03|true\n"
						"6:A5|tres|1|2025-02-04|true\n"
						"7:A6|2|3|2025-13-01|true\n"
						"8:A7|2.5|2|2025-02-06|false\n"
						"9:A8|4|2|2025-02-07|quiz\xc3\xa1s\n"
						"10:123|1|150|2025-02-08|true\n");
}

/* Rows come one at a time: memory does not grow with the sheet. */
static void
test_streaming(void **state)
{
	XlsxTest   *t = *state;
	SageRecordReader rd;
	SageRecord	rec;
	size_t		after_100 = 0;
	uint64_t	n = 0;
	uint64_t	last_done = 0;
	int			rc;

	xt_load(t, "xlsx/big.xlsx");
	assert_int_equal(sage_xlsx_reader_open(t->arena, t->data, t->len, NULL, &rd, &t->err), 0);
	while ((rc = rd.next(rd.self, &rec, &t->err)) == 1)
	{
		char		b[64];

		n++;
		assert_int_equal(rec.line, n);
		assert_int_equal(rec.nfields, 3);
		snprintf(b, sizeof(b), "%llu", (unsigned long long) n);
		assert_string_equal(rec.fields[0], b);
		snprintf(b, sizeof(b), "row %llu", (unsigned long long) n);
		assert_string_equal(rec.fields[1], b);
		snprintf(b, sizeof(b), "%llu.25", (unsigned long long) n);
		assert_string_equal(rec.fields[2], b);
		assert_true(rd.bytes_done(rd.self) >= last_done);
		last_done = rd.bytes_done(rd.self);
		if (n == 100)
			after_100 = sage_arena_allocated(t->arena);
	}
	assert_int_equal(rc, 0);
	assert_int_equal(n, 30000);
	/* the sheet XML is ~2 MB; reading it all allocated almost nothing more */
	assert_true(sage_arena_allocated(t->arena) - after_100 < 4096);
	assert_true(rd.bytes_done(rd.self) > 400000);
	rd.close(rd.self);
}

/* Closing before the end releases the parser (checked by LSan/valgrind). */
static void
test_close_early(void **state)
{
	XlsxTest   *t = *state;
	SageRecordReader rd;
	SageRecord	rec;

	xt_load(t, "xlsx/big.xlsx");
	assert_int_equal(sage_xlsx_reader_open(t->arena, t->data, t->len, NULL, &rd, &t->err), 0);
	assert_int_equal(rd.next(rd.self, &rec, &t->err), 1);
	assert_int_equal(rd.next(rd.self, &rec, &t->err), 1);
	assert_string_equal(rec.fields[1], "row 2");
	rd.close(rd.self);
	rd.close(rd.self);
}

static void
test_hostile_xml(void **state)
{
	XlsxTest   *t = *state;

	xt_fails(t, "xlsx/billion_laughs.xlsx", SAGE_ERR_INPUT,
			 "could not read XLSX file: \"xl/worksheets/sheet1.xml\" contains a document type declaration");
	assert_string_equal(t->err.hint,
						"XLSX parts never contain DTDs; the file may have been crafted to attack XML parsers.");
	xt_fails(t, "xlsx/xxe.xlsx", SAGE_ERR_INPUT,
			 "could not read XLSX file: \"xl/worksheets/sheet1.xml\" contains a document type declaration");
	assert_string_equal(t->dump, "");
	xt_fails(t, "xlsx/deep.xlsx", SAGE_ERR_INPUT,
			 "could not read XLSX file: \"xl/worksheets/sheet1.xml\" nests elements more than 256 levels deep");
	assert_string_equal(t->dump, "1:1\n");
	xt_fails(t, "xlsx/badxml.xlsx", SAGE_ERR_INPUT,
			 "could not read XLSX file: invalid XML in \"xl/worksheets/sheet1.xml\" at line 5, column 32: mismatched tag");
	assert_string_equal(t->dump, "1:1\n");
	xt_fails(t, "xlsx/undefined_entity.xlsx", SAGE_ERR_INPUT,
			 "could not read XLSX file: invalid XML in \"xl/worksheets/sheet1.xml\" at line 2, column 230: undefined entity");
}

static void
test_bad_cells(void **state)
{
	XlsxTest   *t = *state;

	xt_fails(t, "xlsx/badsst.xlsx", SAGE_ERR_INPUT,
			 "could not read XLSX file: row 2 of worksheet \"S\" refers to shared string \"5\", but there are only 1");
	assert_string_equal(t->dump, "1:only\n");
	xt_fails(t, "xlsx/badref.xlsx", SAGE_ERR_INPUT,
			 "could not read XLSX file: invalid cell reference \"1A\" in worksheet \"S\"");
	xt_fails(t, "xlsx/farcol.xlsx", SAGE_ERR_LIMIT,
			 "worksheet \"S\" has a cell beyond the column limit");
	assert_string_equal(t->err.detail,
						"Cell \"XFE2\" is past column XFD; the limit is 16384 columns.");
	/* XFD itself is fine: 16384 fields */
	assert_int_equal(strncmp(t->dump, "1:|||", 5), 0);
	assert_int_equal(strlen(t->dump), 2 + 16383 + 2);
	xt_fails(t, "xlsx/badrow.xlsx", SAGE_ERR_INPUT,
			 "could not read XLSX file: invalid row number \"0\" in worksheet \"S\"");
	xt_expect(t, "xlsx/nested.xlsx", NULL, 0, "3:3\n");
	xt_fails(t, "xlsx/badtype.xlsx", SAGE_ERR_INPUT,
			 "could not read XLSX file: unknown cell type \"zz\" in worksheet \"S\"");
}

static void
test_bad_packages(void **state)
{
	XlsxTest   *t = *state;

	xt_fails(t, "xlsx/missing_sheet.xlsx", SAGE_ERR_INPUT,
			 "could not read XLSX file: part \"xl/worksheets/sheet1.xml\" of worksheet \"S\" is missing");
	xt_fails(t, "xlsx/no_workbook.xlsx", SAGE_ERR_INPUT,
			 "could not read XLSX file: workbook part \"xl/workbook.xml\" is missing");
	assert_string_equal(t->err.hint, "The file is a ZIP archive but not an Excel workbook.");
	xt_fails(t, "xlsx/no_sheets.xlsx", SAGE_ERR_INPUT,
			 "could not read XLSX file: the workbook has no sheets");
	xt_fails(t, "xlsx/notzip.xlsx", SAGE_ERR_INPUT,
			 "could not read XLSX file: end of central directory not found");
	assert_string_equal(t->err.hint,
						"An .xlsx file is a ZIP archive; this one is damaged or is not an .xlsx file.");
	xt_fails(t, "xlsx/ole2.xlsx", SAGE_ERR_UNSUPPORTED,
			 "binary Excel workbooks are not supported");
	assert_string_equal(t->err.hint, "Save the workbook as .xlsx without a password.");
	xt_fails(t, "zip/deflated.zip", SAGE_ERR_INPUT,
			 "could not read XLSX file: workbook part \"xl/workbook.xml\" is missing");
	xt_fails(t, "xlsx/badcrc_sheet.xlsx", SAGE_ERR_INPUT,
			 "could not read XLSX file: member \"xl/worksheets/sheet1.xml\" fails its CRC-32 check");
}

static void
test_limits(void **state)
{
	XlsxTest   *t = *state;

	/* declared sizes of the parts */
	assert_int_equal(xt_read(t, "xlsx/basic.xlsx", NULL, 0, 1000), -1);
	assert_int_equal(t->err.code, SAGE_ERR_LIMIT);
	assert_string_equal(t->err.message, "XLSX part \"xl/worksheets/sheet2.xml\" exceeds the size limit");
	assert_string_equal(t->err.detail, "It declares 2351 bytes; the limit is 1000 bytes.");
	assert_string_equal(t->err.hint, "Split the data into smaller workbooks.");
	assert_int_equal(xt_read(t, "xlsx/basic.xlsx", "Otra hoja", 0, 1000), 0);
	assert_string_equal(t->dump, "1:otra\n2:2\n");
	assert_int_equal(xt_read(t, "xlsx/basic.xlsx", "Otra hoja", 0, 850), -1);
	assert_string_equal(t->err.message, "XLSX part \"xl/styles.xml\" exceeds the size limit");
	/* actual bytes: the sheet declares 500 bytes but holds more */
	assert_int_equal(xt_read(t, "xlsx/lying_sheet.xlsx", NULL, 0, 1000), -1);
	assert_int_equal(t->err.code, SAGE_ERR_LIMIT);
	assert_string_equal(t->err.message, "XLSX part \"xl/worksheets/sheet1.xml\" exceeds the size limit");
	assert_string_equal(t->err.detail, "It expands to more than 1000 bytes.");
	/* without the limit, the lie is corruption */
	assert_int_equal(xt_read(t, "xlsx/lying_sheet.xlsx", NULL, 0, 0), -1);
	assert_int_equal(t->err.code, SAGE_ERR_INPUT);
	assert_true(strstr(t->err.message, "but declares 500") != NULL);
}

/* Every budget either suffices or fails cleanly with a memory error. */
static void
test_memory_budget(void **state)
{
	const char *base = getenv("SAGE_TEST_DATA");
	char		path[1024];
	SageArena  *big = sage_arena_new(NULL);
	SageError	err;
	char	   *data;
	size_t		len;
	size_t		limit;
	int			failures = 0;

	(void) state;
	snprintf(path, sizeof(path), "%s/xlsx/basic.xlsx", base ? base : "test/data");
	assert_int_equal(sage_read_file(big, path, 0, &data, &len, &err), 0);
	for (limit = 1000; limit < 400000; limit += 5000)
	{
		SageBudget	budget = {0};
		SageArena  *a;
		SageRecordReader rd;
		SageRecord	rec;
		int			rc;
		int			rows = 0;

		budget.limit = limit;
		a = sage_arena_new(&budget);
		rc = sage_xlsx_reader_open(a, data, len, NULL, &rd, &err);
		while (rc == 0 && (rc = rd.next(rd.self, &rec, &err)) == 1)
		{
			rows++;
			rc = 0;
		}
		if (rc < 0)
		{
			assert_int_equal(err.code, SAGE_ERR_MEMORY);
			assert_string_equal(err.message, "memory limit exceeded");
			failures++;
		}
		else
			assert_int_equal(rows, 9);
		if (rd.close)
			rd.close(rd.self);
		sage_arena_free(a);
		assert_int_equal(budget.used, 0);
		if (limit == 396000)
			assert_int_equal(rc, 0);
	}
	assert_true(failures > 0);
	sage_arena_free(big);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_basic_first_sheet, xt_setup, xt_teardown),
		cmocka_unit_test_setup_teardown(test_basic_other_sheets, xt_setup, xt_teardown),
		cmocka_unit_test_setup_teardown(test_sheet_selection_errors, xt_setup, xt_teardown),
		cmocka_unit_test_setup_teardown(test_date1904, xt_setup, xt_teardown),
		cmocka_unit_test_setup_teardown(test_norefs, xt_setup, xt_teardown),
		cmocka_unit_test_setup_teardown(test_openpyxl, xt_setup, xt_teardown),
		cmocka_unit_test_setup_teardown(test_case_articulos, xt_setup, xt_teardown),
		cmocka_unit_test_setup_teardown(test_streaming, xt_setup, xt_teardown),
		cmocka_unit_test_setup_teardown(test_close_early, xt_setup, xt_teardown),
		cmocka_unit_test_setup_teardown(test_hostile_xml, xt_setup, xt_teardown),
		cmocka_unit_test_setup_teardown(test_bad_cells, xt_setup, xt_teardown),
		cmocka_unit_test_setup_teardown(test_bad_packages, xt_setup, xt_teardown),
		cmocka_unit_test_setup_teardown(test_limits, xt_setup, xt_teardown),
		cmocka_unit_test(test_memory_budget),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
