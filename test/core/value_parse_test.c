/*-------------------------------------------------------------------------
 *
 * test/core/value_parse_test.c
 *		Unit tests of the value parsers and timestamp helpers
 *		(src/core/value_parse.c, src/core/timestamp.c).
 *
 * Expected values for the Python-compatible functions were taken from
 * CPython 3.11 (float(), int(), repr(), datetime.strptime()).
 *
 *-------------------------------------------------------------------------
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "sage/value.h"

#define S(lit) lit, strlen(lit)

static void
test_entero(void **state)
{
	int64_t		v;

	assert_true(sage_parse_entero(S("0"), &v));
	assert_int_equal(v, 0);
	assert_true(sage_parse_entero(S("+5"), &v));
	assert_int_equal(v, 5);
	assert_true(sage_parse_entero(S("-0"), &v));
	assert_int_equal(v, 0);
	assert_true(sage_parse_entero(S("0012"), &v));
	assert_int_equal(v, 12);
	assert_true(sage_parse_entero(S("9223372036854775807"), &v));
	assert_true(v == INT64_MAX);
	assert_true(sage_parse_entero(S("-9223372036854775808"), &v));
	assert_true(v == INT64_MIN);
	/* overflow: not an int64, but still entero syntax */
	assert_false(sage_parse_entero(S("9223372036854775808"), &v));
	assert_false(sage_parse_entero(S("-9223372036854775809"), &v));
	assert_true(sage_is_entero(S("123456789012345678901234567890")));
	assert_true(sage_is_entero(S("-7")));

	assert_false(sage_is_entero(S("")));
	assert_false(sage_is_entero(S("+")));
	assert_false(sage_is_entero(S("-")));
	assert_false(sage_is_entero(S(" 5")));
	assert_false(sage_is_entero(S("5 ")));
	assert_false(sage_is_entero(S("1.0")));
	assert_false(sage_is_entero(S("1e3")));
	assert_false(sage_is_entero(S("1_000")));
	assert_false(sage_is_entero(S("1,000")));
	assert_false(sage_is_entero(S("--1")));
	assert_false(sage_is_entero(S("\xd9\xa1")));	/* Arabic-Indic one */
	assert_false(sage_is_entero("1\0002", 3));
	assert_false(sage_parse_entero(S("12a"), &v));
	/* (s, len): bytes after len are not looked at */
	assert_true(sage_parse_entero("123x", 3, &v));
	assert_int_equal(v, 123);
	assert_true(sage_parse_entero(S("7"), NULL));
}

static void
test_decimal(void **state)
{
	double		d;

	assert_true(sage_parse_decimal(S("1e5"), &d));
	assert_true(d == 1e5);
	assert_true(sage_parse_decimal(S("-12.50"), &d));
	assert_true(d == -12.5);
	assert_true(sage_parse_decimal(S("+.5"), &d));
	assert_true(d == 0.5);
	assert_true(sage_parse_decimal(S("5."), &d));
	assert_true(d == 5.0);
	assert_true(sage_parse_decimal(S("0.1"), &d));
	assert_true(d == 0.1);
	assert_true(sage_parse_decimal(S("1.5E-3"), &d));
	assert_true(d == 1.5e-3);
	assert_true(sage_parse_decimal(S("3.e+2"), &d));
	assert_true(d == 300.0);
	assert_true(sage_parse_decimal(S("42"), &d));
	assert_true(d == 42.0);
	assert_true(sage_parse_decimal(S("-0"), &d));
	assert_true(d == 0.0 && signbit(d));
	assert_true(sage_parse_decimal(S("0.30000000000000004"), &d));
	assert_true(d == 0.30000000000000004);
	assert_true(sage_parse_decimal(S("2.2250738585072014e-308"), &d));
	assert_true(d == 2.2250738585072014e-308);
	assert_true(sage_parse_decimal(S("4.9e-324"), &d));
	assert_true(d == 4.9e-324);
	/* out of range still has decimal syntax, as in Python */
	assert_true(sage_parse_decimal(S("1e400"), &d));
	assert_true(isinf(d));
	assert_true(sage_parse_decimal(S("1e-400"), &d));
	assert_true(d == 0.0);
	assert_true(sage_parse_decimal(S("1e99999999999999999999"), &d));
	assert_true(isinf(d));

	assert_false(sage_parse_decimal(S(""), &d));
	assert_false(sage_parse_decimal(S("."), &d));
	assert_false(sage_parse_decimal(S("-"), &d));
	assert_false(sage_parse_decimal(S("e5"), &d));
	assert_false(sage_parse_decimal(S("1e"), &d));
	assert_false(sage_parse_decimal(S("1e+"), &d));
	assert_false(sage_parse_decimal(S("1,5"), &d));
	assert_false(sage_parse_decimal(S("1.000,5"), &d));
	assert_false(sage_parse_decimal(S("1 000"), &d));
	assert_false(sage_parse_decimal(S(" 1"), &d));
	assert_false(sage_parse_decimal(S("1 "), &d));
	assert_false(sage_parse_decimal(S("nan"), &d));
	assert_false(sage_parse_decimal(S("inf"), &d));
	assert_false(sage_parse_decimal(S("-Infinity"), &d));
	assert_false(sage_parse_decimal(S("0x1p3"), &d));
	assert_false(sage_parse_decimal(S("1_000"), &d));
	assert_false(sage_parse_decimal(S("1..2"), &d));
	assert_false(sage_parse_decimal(S("1.2.3"), &d));
	assert_false(sage_parse_decimal(S("$5"), &d));
}

/* Correct rounding on long inputs (more digits than any double needs). */
static void
test_decimal_long(void **state)
{
	char		buf[2100];
	double		d;

	/* 0.1 written with 1500 digits after a run of zeros rounds as 0.1 */
	memset(buf, '0', sizeof(buf));
	buf[0] = '0';
	buf[1] = '.';
	buf[2] = '1';
	assert_true(sage_parse_decimal(buf, 1500, &d));
	assert_true(d == 0.1);
	/* 2000 nines before the point overflow to inf */
	memset(buf, '9', 2000);
	assert_true(sage_parse_decimal(buf, 2000, &d));
	assert_true(isinf(d));
	/*
	 * Halfway between 1 and the next double (1 + 2^-53), then a non-zero
	 * digit far away: must round up. The exact halfway value is
	 * 1.00000000000000011102230246251565404236316680908203125.
	 */
	{
		const char *half = "1.00000000000000011102230246251565404236316680908203125";
		size_t		n = strlen(half);

		memcpy(buf, half, n);
		assert_true(sage_parse_decimal(buf, n, &d));
		assert_true(d == 1.0);	/* ties to even */
		memset(buf + n, '0', 1000);
		buf[n + 1000] = '1';
		assert_true(sage_parse_decimal(buf, n + 1001, &d));
		assert_true(d == 1.0000000000000002);
	}
}

static void
test_python_float(void **state)
{
	double		d;

	assert_true(sage_parse_python_float(S("  12  "), &d));
	assert_true(d == 12.0);
	assert_true(sage_parse_python_float(S("1_000.5"), &d));
	assert_true(d == 1000.5);
	assert_true(sage_parse_python_float(S("1e1_0"), &d));
	assert_true(d == 1e10);
	assert_true(sage_parse_python_float(S("nan"), &d));
	assert_true(isnan(d));
	assert_true(sage_parse_python_float(S("+NaN"), &d));
	assert_true(isnan(d));
	assert_true(sage_parse_python_float(S("-Infinity"), &d));
	assert_true(isinf(d) && d < 0);
	assert_true(sage_parse_python_float(S("\tinF\n"), &d));
	assert_true(isinf(d) && d > 0);
	/* Unicode spaces: U+00A0 and U+3000 */
	assert_true(sage_parse_python_float(S("\xc2\xa0" "12\xe3\x80\x80"), &d));
	assert_true(d == 12.0);
	assert_true(sage_parse_python_float(S(".5"), &d));
	assert_true(d == 0.5);
	assert_true(sage_parse_python_float(S("00012"), &d));
	assert_true(d == 12.0);

	assert_false(sage_parse_python_float(S("1__0"), &d));
	assert_false(sage_parse_python_float(S("_1"), &d));
	assert_false(sage_parse_python_float(S("1_"), &d));
	assert_false(sage_parse_python_float(S("1._5"), &d));
	assert_false(sage_parse_python_float(S("1_.5"), &d));
	assert_false(sage_parse_python_float(S("1e_5"), &d));
	assert_false(sage_parse_python_float(S("1,5"), &d));
	assert_false(sage_parse_python_float(S("1 0"), &d));
	assert_false(sage_parse_python_float(S("infinit"), &d));
	assert_false(sage_parse_python_float(S("0x10"), &d));
	assert_false(sage_parse_python_float(S(""), &d));
	assert_false(sage_parse_python_float(S("   "), &d));
	assert_false(sage_parse_python_float(S("++1"), &d));
}

static void
test_python_int(void **state)
{
	int64_t		v;

	assert_true(sage_parse_python_int(S(" -0 "), &v));
	assert_int_equal(v, 0);
	assert_true(sage_parse_python_int(S("+12"), &v));
	assert_int_equal(v, 12);
	assert_true(sage_parse_python_int(S("1_000"), &v));
	assert_int_equal(v, 1000);
	assert_true(sage_parse_python_int(S("010"), &v));
	assert_int_equal(v, 10);
	assert_true(sage_parse_python_int(S("\t12\n"), &v));
	assert_int_equal(v, 12);
	assert_true(sage_parse_python_int(S("-9223372036854775808"), &v));
	assert_true(v == INT64_MIN);

	assert_false(sage_parse_python_int(S("9223372036854775808"), &v));
	assert_false(sage_parse_python_int(S("1.0"), &v));
	assert_false(sage_parse_python_int(S("1e3"), &v));
	assert_false(sage_parse_python_int(S("1__0"), &v));
	assert_false(sage_parse_python_int(S("_1"), &v));
	assert_false(sage_parse_python_int(S(""), &v));
	assert_false(sage_parse_python_int(S("+"), &v));
	assert_false(sage_parse_python_int(S("- 1"), &v));
}

static void
test_booleano(void **state)
{
	static const char *const yes[] = {
		"true", "TRUE", "True", "1", "t", "T", "yes", "YES", "y", "Y", "si",
		"SI", "s\xc3\xad", "S\xc3\x8d", "s\xc3\x8d", "verdadero", "VERDADERO", NULL
	};
	static const char *const no[] = {
		"false", "FALSE", "0", "f", "F", "no", "NO", "n", "N", "falso",
		"Falso", NULL
	};
	static const char *const bad[] = {
		"", " true", "true ", "2", "-1", "ok", "nope", "verdad", "s\xc3",
		"s\xc3\xa1", "yes!", "01", NULL
	};
	int			i;
	bool		b;

	for (i = 0; yes[i] != NULL; i++)
	{
		b = false;
		if (!sage_parse_booleano(yes[i], strlen(yes[i]), &b) || !b)
			fail_msg("\"%s\" should be true", yes[i]);
	}
	for (i = 0; no[i] != NULL; i++)
	{
		b = true;
		if (!sage_parse_booleano(no[i], strlen(no[i]), &b) || b)
			fail_msg("\"%s\" should be false", no[i]);
	}
	for (i = 0; bad[i] != NULL; i++)
		if (sage_parse_booleano(bad[i], strlen(bad[i]), &b))
			fail_msg("\"%s\" should not be a booleano", bad[i]);
}

/* Formats a timestamp into a static buffer for comparisons. */
static const char *
fmt_ts(SageTimestamp ts)
{
	static char buf[64];

	assert_true(sage_timestamp_format(ts, buf, sizeof(buf)) > 0);
	return buf;
}

static void
test_fecha(void **state)
{
	SageTimestamp ts;

	assert_true(sage_parse_fecha(S("2024-02-29"), &ts));
	assert_string_equal(fmt_ts(ts), "2024-02-29");
	assert_true(sage_parse_fecha(S("2000-02-29"), &ts));
	assert_true(sage_parse_fecha(S("1970-01-01"), &ts));
	assert_true(ts == 0);
	assert_true(sage_parse_fecha(S("0001-01-01"), &ts));
	assert_string_equal(fmt_ts(ts), "0001-01-01");
	assert_true(sage_parse_fecha(S("9999-12-31T23:59:59.999999"), &ts));
	assert_string_equal(fmt_ts(ts), "9999-12-31 23:59:59.999999");
	assert_true(sage_parse_fecha(S("2024-01-15 10:30"), &ts));
	assert_string_equal(fmt_ts(ts), "2024-01-15 10:30:00");
	assert_true(sage_parse_fecha(S("2024-01-15T10:30:05"), &ts));
	assert_string_equal(fmt_ts(ts), "2024-01-15 10:30:05");
	assert_true(sage_parse_fecha(S("2024-01-15T10:30:05.5"), &ts));
	assert_string_equal(fmt_ts(ts), "2024-01-15 10:30:05.500000");
	/* nanoseconds are accepted; microseconds are kept */
	assert_true(sage_parse_fecha(S("2024-01-15 10:30:05.123456789"), &ts));
	assert_string_equal(fmt_ts(ts), "2024-01-15 10:30:05.123456");
	assert_true(sage_parse_fecha(S("1969-12-31 23:59:59"), &ts));
	assert_true(ts == -1000000);

	assert_false(sage_parse_fecha(S("2025-02-29"), &ts));
	assert_false(sage_parse_fecha(S("2025-02-30"), &ts));
	assert_false(sage_parse_fecha(S("1900-02-29"), &ts));
	assert_false(sage_parse_fecha(S("2024-04-31"), &ts));
	assert_false(sage_parse_fecha(S("2024-13-01"), &ts));
	assert_false(sage_parse_fecha(S("2024-00-10"), &ts));
	assert_false(sage_parse_fecha(S("2024-01-00"), &ts));
	assert_false(sage_parse_fecha(S("0000-01-01"), &ts));
	assert_false(sage_parse_fecha(S("2024-1-5"), &ts));
	assert_false(sage_parse_fecha(S("24-01-05"), &ts));
	assert_false(sage_parse_fecha(S("2024/01/05"), &ts));
	assert_false(sage_parse_fecha(S("05-01-2024"), &ts));
	assert_false(sage_parse_fecha(S("2024-01-05 "), &ts));
	assert_false(sage_parse_fecha(S(" 2024-01-05"), &ts));
	assert_false(sage_parse_fecha(S("2024-01-05T"), &ts));
	assert_false(sage_parse_fecha(S("2024-01-05 24:00"), &ts));
	assert_false(sage_parse_fecha(S("2024-01-05 10:60"), &ts));
	assert_false(sage_parse_fecha(S("2024-01-05 10:30:60"), &ts));
	assert_false(sage_parse_fecha(S("2024-01-05 10:30:5"), &ts));
	assert_false(sage_parse_fecha(S("2024-01-05 10:30:05."), &ts));
	assert_false(sage_parse_fecha(S("2024-01-05 10:30:05.1234567890"), &ts));
	assert_false(sage_parse_fecha(S("2024-01-05 10"), &ts));
	assert_false(sage_parse_fecha(S("2024-01-05 1:30"), &ts));
	assert_false(sage_parse_fecha(S("2024-01-05Z"), &ts));
	assert_false(sage_parse_fecha(S("2024-01-05 10:30Z"), &ts));
	assert_false(sage_parse_fecha(S("2024-01-05 10:30+01:00"), &ts));
	assert_false(sage_parse_fecha(S(""), &ts));
	assert_false(sage_parse_fecha("2024-01-0", 9, &ts));
}

/* Expects format to match text, giving the ISO rendering iso. */
static void
fmt_ok(const char *format, const char *text, const char *iso)
{
	SageTimestamp ts;

	if (!sage_parse_fecha_format(text, strlen(text), format, &ts))
		fail_msg("\"%s\" should match \"%s\"", text, format);
	assert_string_equal(fmt_ts(ts), iso);
}

static void
fmt_bad(const char *format, const char *text)
{
	SageTimestamp ts;

	if (sage_parse_fecha_format(text, strlen(text), format, &ts))
		fail_msg("\"%s\" should not match \"%s\"", text, format);
}

static void
test_fecha_format(void **state)
{
	fmt_ok("%Y-%m-%d", "2024-02-29", "2024-02-29");
	fmt_ok("%d/%m/%Y", "5/3/2024", "2024-03-05");
	fmt_ok("%d/%m/%Y", "05/03/2024", "2024-03-05");
	fmt_ok("%d.%m.%Y", " 5.03.2024", "2024-03-05");
	/* regex-like backtracking over variable widths, as Python does */
	fmt_ok("%Y%m%d", "20240115", "2024-01-15");
	fmt_ok("%Y%m%d", "2024115", "2024-11-05");
	fmt_ok("%d %b %Y", "05 JAN 2024", "2024-01-05");
	fmt_ok("%d %B %Y", "5 january 2024", "2024-01-05");
	fmt_ok("%d %B %Y", "5 May 2024", "2024-05-05");
	fmt_ok("%I:%M %p", "12:30 AM", "1900-01-01 00:30:00");
	fmt_ok("%I:%M %p", "12:30 pm", "1900-01-01 12:30:00");
	fmt_ok("%I:%M %p", "01:05 PM", "1900-01-01 13:05:00");
	fmt_ok("%I:%M", "12:30", "1900-01-01 00:30:00");
	fmt_ok("%Y-%m-%d %H:%M:%S.%f", "2024-01-01 10:11:12.5", "2024-01-01 10:11:12.500000");
	fmt_ok("%Y-%m-%d %H:%M:%S", "2024-01-01 7:8:9", "2024-01-01 07:08:09");
	fmt_ok("%y-%m-%d", "68-01-01", "2068-01-01");
	fmt_ok("%y-%m-%d", "69-01-01", "1969-01-01");
	fmt_ok("%Y %j", "2024 060", "2024-02-29");
	fmt_ok("%Y %j", "2023 366", "2024-01-01");
	/* whitespace in the format matches any run of whitespace */
	fmt_ok("%Y-%m-%d %H", "2024-01-05    7", "2024-01-05 07:00:00");
	/* literals compare case-insensitively (re.IGNORECASE) */
	fmt_ok("%Y-%m-%dT%H", "2024-01-05t07", "2024-01-05 07:00:00");
	fmt_ok("%d%%", "5%", "1900-01-05");
	fmt_ok("%a %d %b %Y", "Mon 01 Jan 2024", "2024-01-01");
	fmt_ok("%A, %d %B %Y", "sunday, 07 April 2024", "2024-04-07");
	fmt_ok("%H:%M", "23:59", "1900-01-01 23:59:00");

	fmt_bad("%Y-%m-%d", "2025-02-29");
	fmt_bad("%Y-%m-%d", "2025-02-30");
	fmt_bad("%d/%m/%Y", "31/04/2024");
	fmt_bad("%Y-%m-%d", "2024-01-05 ");
	fmt_bad("%Y-%m-%d", "2024-01-05x");
	fmt_bad("%Y-%m-%d", "24-01-05");
	fmt_bad("%d %B %Y", "5 jan 2024");
	fmt_bad("%d %b %Y", "5 january 2024");
	fmt_bad("%H:%M:%S", "10:11:60");
	fmt_bad("%Y-%m-%d %H:%M:%S.%f", "2024-01-01 10:11:12.1234567");
	fmt_bad("%Y", "0000");
	fmt_bad("%m/%d", "02/29");		/* default year 1900 is not leap */
	fmt_bad("%Y-%m-%d", "");
	fmt_bad("%Y-%m-%d %z", "2024-01-01 +0100");	/* %z: not supported */
	fmt_bad("%Q", "x");
	fmt_bad("%", "%");
	fmt_bad("%Y-%m-%d", "2024\0-01-01");
	{
		SageTimestamp ts;

		assert_false(sage_parse_fecha_format("2024-01-01", 10, NULL, &ts));
		assert_false(sage_parse_fecha_format("2024-01-01\0", 11, "%Y-%m-%d", &ts));
	}
}

/* Pathological formats end quickly (bounded backtracking). */
static void
test_fecha_format_bounded(void **state)
{
	char		format[300];
	char		text[200];
	SageTimestamp ts;
	int			i;

	format[0] = '\0';
	for (i = 0; i < 40; i++)
		strcat(format, "%f");
	memset(text, '1', 150);
	text[150] = 'x';
	assert_false(sage_parse_fecha_format(text, 151, format, &ts));
	/* over-long formats are refused */
	memset(format, 'a', 299);
	format[299] = '\0';
	assert_false(sage_parse_fecha_format(S("a"), format, &ts));
}

static void
test_timestamps(void **state)
{
	int			y,
				mo,
				d,
				h,
				mi,
				s,
				us;
	SageTimestamp ts;
	char		small[8];

	ts = sage_timestamp_from_civil(2024, 2, 29, 13, 14, 15, 16);
	sage_timestamp_to_civil(ts, &y, &mo, &d, &h, &mi, &s, &us);
	assert_int_equal(y, 2024);
	assert_int_equal(mo, 2);
	assert_int_equal(d, 29);
	assert_int_equal(h, 13);
	assert_int_equal(mi, 14);
	assert_int_equal(s, 15);
	assert_int_equal(us, 16);
	assert_string_equal(fmt_ts(ts), "2024-02-29 13:14:15.000016");

	/* 0001-01-01 is day -719162 of the epoch */
	ts = sage_timestamp_from_civil(1, 1, 1, 0, 0, 0, 0);
	assert_true(ts == INT64_C(-719162) * 86400 * 1000000);
	sage_timestamp_to_civil(ts - 1, &y, &mo, &d, &h, &mi, &s, &us);
	assert_int_equal(y, 0);
	assert_int_equal(mo, 12);
	assert_int_equal(d, 31);
	assert_int_equal(us, 999999);

	/* every day of 1..9999 round-trips and the weekday advances */
	{
		int			dow = sage_timestamp_dayofweek(sage_timestamp_from_civil(1, 1, 1, 0, 0, 0, 0));
		int			yy;

		assert_int_equal(dow, 0);	/* 0001-01-01 was a Monday */
		for (yy = 1; yy <= 9999; yy += 7)
		{
			int			mm;

			for (mm = 1; mm <= 12; mm++)
			{
				int			dd;

				for (dd = 1; dd <= 28; dd += 9)
				{
					sage_timestamp_to_civil(sage_timestamp_from_civil(yy, mm, dd, 0, 0, 0, 0),
											&y, &mo, &d, &h, &mi, &s, &us);
					if (y != yy || mo != mm || d != dd)
						fail_msg("%d-%d-%d round-trips as %d-%d-%d", yy, mm, dd, y, mo, d);
				}
			}
		}
	}
	assert_int_equal(sage_timestamp_dayofweek(0), 3);	/* 1970-01-01: Thursday */
	assert_int_equal(sage_timestamp_dayofweek(sage_timestamp_from_civil(2024, 4, 7, 23, 0, 0, 0)), 6);
	assert_int_equal(sage_timestamp_dayofweek(sage_timestamp_from_civil(1969, 12, 29, 12, 0, 0, 0)), 0);
	assert_int_equal(sage_timestamp_dayofweek(-1), 2);

	assert_string_equal(fmt_ts(sage_timestamp_from_civil(1999, 12, 31, 0, 0, 0, 0)), "1999-12-31");
	assert_string_equal(fmt_ts(sage_timestamp_from_civil(1999, 12, 31, 0, 0, 1, 0)), "1999-12-31 00:00:01");
	assert_int_equal(sage_timestamp_format(0, small, sizeof(small)), -1);
}

/* Expects sage_format_double(v, flag) to print expected. */
static void
dbl(double v, bool flag, const char *expected)
{
	char		buf[64];
	int			n = sage_format_double(v, flag, buf, sizeof(buf));

	assert_int_equal(n, strlen(expected));
	assert_string_equal(buf, expected);
}

static void
test_format_double(void **state)
{
	char		small[4];

	/* Python repr() */
	dbl(2.0, false, "2.0");
	dbl(0.1, false, "0.1");
	dbl(-0.0, false, "-0.0");
	dbl(0.0, false, "0.0");
	dbl(1e16, false, "1e+16");
	dbl(1e15, false, "1000000000000000.0");
	dbl(1.5e-7, false, "1.5e-07");
	dbl(0.0001, false, "0.0001");
	dbl(0.00001, false, "1e-05");
	dbl(123456.789, false, "123456.789");
	dbl(0.30000000000000004, false, "0.30000000000000004");
	dbl(1.7976931348623157e308, false, "1.7976931348623157e+308");
	dbl(5e-324, false, "5e-324");
	dbl(-2.5e100, false, "-2.5e+100");
	dbl(INFINITY, false, "inf");
	dbl(-INFINITY, false, "-inf");
	dbl(NAN, false, "nan");
	dbl(12.5, false, "12.5");
	/* Excel numbers */
	dbl(12.0, true, "12");
	dbl(12.5, true, "12.5");
	dbl(-3.0, true, "-3");
	dbl(0.0, true, "0");
	dbl(-0.0, true, "0");
	dbl(1e20, true, "100000000000000000000");
	dbl(1e16, true, "10000000000000000");
	dbl(9007199254740993.0, true, "9007199254740992");
	dbl(1e21, true, "1e+21");
	dbl(0.1, true, "0.1");
	dbl(1.5e-7, true, "1.5e-07");
	dbl(45292.0, true, "45292");

	assert_int_equal(sage_format_double(1234.5, false, small, sizeof(small)), -1);
}

/* repr() of many doubles reads back exactly. */
static void
test_format_double_roundtrip(void **state)
{
	uint64_t	x = 88172645463325252ULL;
	int			i;

	for (i = 0; i < 200000; i++)
	{
		double		v,
					back;
		char		buf[64];
		int			n;

		/* xorshift64: arbitrary bit patterns */
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		memcpy(&v, &x, sizeof(v));
		if (!isfinite(v))
			continue;
		n = sage_format_double(v, (i & 1) != 0, buf, sizeof(buf));
		assert_true(n > 0 && n <= 24);
		assert_true(sage_parse_python_float(buf, n, &back));
		if (back != v)
			fail_msg("%s does not read back as %.17g", buf, v);
	}
}

/*
 * Short decimals take a fast exact path: it must give exactly strtod()'s
 * double, and formatting it must give back the shortest text (Python's
 * repr of such a value is the text itself).
 */
static void
test_decimal_fast_path(void **state)
{
	uint64_t	x = 0x9E3779B97F4A7C15ULL;
	int			i;

	for (i = 0; i < 300000; i++)
	{
		char		text[64],
					out[64];
		double		d,
					ref;
		unsigned	ip,
					fp,
					fd;
		int			n,
					m;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		ip = (unsigned) (x % 100000);
		fd = 1 + (unsigned) ((x >> 20) % 6);
		fp = (unsigned) ((x >> 24) % 1000000) % 1000000;
		/* fd fraction digits, the last one not zero */
		{
			unsigned	lim = 1;
			unsigned	k;

			for (k = 0; k < fd; k++)
				lim *= 10;
			fp %= lim;
			if (fp % 10 == 0)
				fp++;
		}
		n = snprintf(text, sizeof(text), "%s%u.%0*u", (x >> 60) & 1 ? "-" : "",
					 ip, (int) fd, fp);
		assert_true(sage_parse_decimal(text, (size_t) n, &d));
		ref = strtod(text, NULL);
		if (memcmp(&d, &ref, sizeof(d)) != 0)
			fail_msg("%s parses as %.17g, strtod gives %.17g", text, d, ref);
		m = sage_format_double(d, false, out, sizeof(out));
		if (m != n || strcmp(out, text) != 0)
			fail_msg("%s formats as %s", text, out);
		/* with an exponent too */
		n = snprintf(text, sizeof(text), "%u%ue%d", ip, fp, (int) ((x >> 40) % 41) - 20);
		assert_true(sage_parse_decimal(text, (size_t) n, &d));
		ref = strtod(text, NULL);
		if (memcmp(&d, &ref, sizeof(d)) != 0)
			fail_msg("%s parses as %.17g, strtod gives %.17g", text, d, ref);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_entero),
		cmocka_unit_test(test_decimal),
		cmocka_unit_test(test_decimal_long),
		cmocka_unit_test(test_python_float),
		cmocka_unit_test(test_python_int),
		cmocka_unit_test(test_booleano),
		cmocka_unit_test(test_fecha),
		cmocka_unit_test(test_fecha_format),
		cmocka_unit_test(test_fecha_format_bounded),
		cmocka_unit_test(test_timestamps),
		cmocka_unit_test(test_format_double),
		cmocka_unit_test(test_format_double_roundtrip),
		cmocka_unit_test(test_decimal_fast_path),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
