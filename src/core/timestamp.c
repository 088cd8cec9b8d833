/*-------------------------------------------------------------------------
 *
 * src/core/timestamp.c
 *		Civil date/time <-> SageTimestamp conversion and ISO formatting.
 *
 * A SageTimestamp counts microseconds since 1970-01-01T00:00:00 on the
 * proleptic Gregorian calendar, with no time zone, exactly as a pandas
 * datetime64[us] column would. The day arithmetic uses Howard Hinnant's
 * branch-free civil algorithms, valid far beyond the years 1..9999 that
 * the parsers produce, so no input can make them overflow.
 *
 *-------------------------------------------------------------------------
 */
#include "sage/value.h"

#include <stdio.h>

#define USEC_PER_SEC	INT64_C(1000000)
#define USEC_PER_DAY	(INT64_C(86400) * USEC_PER_SEC)

/*
 * ts_days_from_civil
 *		Days since 1970-01-01 of a proleptic Gregorian date.
 *
 * Shifts the year to start in March so the leap day is the last day of the
 * shifted year, which makes the day-of-year formula branch free.
 */
static int64_t
ts_days_from_civil(int64_t y, int m, int d)
{
	int64_t		era;
	int64_t		yoe;
	int64_t		doy;
	int64_t		doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/*
 * ts_civil_from_days
 *		Inverse of ts_days_from_civil.
 */
static void
ts_civil_from_days(int64_t z, int64_t *year, int *month, int *day)
{
	int64_t		era;
	int64_t		doe;
	int64_t		yoe;
	int64_t		doy;
	int64_t		mp;
	int64_t		y;
	int			m;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*day = (int) (doy - (153 * mp + 2) / 5 + 1);
	m = (int) (mp < 10 ? mp + 3 : mp - 9);
	*month = m;
	*year = y + (m <= 2);
}

SageTimestamp
sage_timestamp_from_civil(int year, int month, int day, int hour, int min,
						  int sec, int usec)
{
	int64_t		days = ts_days_from_civil(year, month, day);
	uint64_t	t;

	/*
	 * Unsigned arithmetic: callers pass years 1..9999, but a wild argument
	 * must wrap rather than be undefined behaviour.
	 */
	t = (uint64_t) days * (uint64_t) USEC_PER_DAY +
		((uint64_t) (int64_t) hour * 3600 + (uint64_t) (int64_t) min * 60 +
		 (uint64_t) (int64_t) sec) * (uint64_t) USEC_PER_SEC +
		(uint64_t) (int64_t) usec;
	return (SageTimestamp) t;
}

void
sage_timestamp_to_civil(SageTimestamp ts, int *year, int *month, int *day,
						int *hour, int *min, int *sec, int *usec)
{
	int64_t		days = ts / USEC_PER_DAY;
	int64_t		rem = ts % USEC_PER_DAY;
	int64_t		y;

	/* floor division so times before 1970 still have a positive time part */
	if (rem < 0)
	{
		rem += USEC_PER_DAY;
		days--;
	}
	ts_civil_from_days(days, &y, month, day);
	*year = (int) y;
	*hour = (int) (rem / (3600 * USEC_PER_SEC));
	rem %= 3600 * USEC_PER_SEC;
	*min = (int) (rem / (60 * USEC_PER_SEC));
	rem %= 60 * USEC_PER_SEC;
	*sec = (int) (rem / USEC_PER_SEC);
	*usec = (int) (rem % USEC_PER_SEC);
}

int
sage_timestamp_dayofweek(SageTimestamp ts)
{
	int64_t		days = ts / USEC_PER_DAY;
	int64_t		dow;

	if (ts % USEC_PER_DAY < 0)
		days--;
	/* 1970-01-01 was a Thursday, which is 3 when Monday is 0 */
	dow = (days + 3) % 7;
	if (dow < 0)
		dow += 7;
	return (int) dow;
}

/*
 * sage_timestamp_format
 *		Returns the length written, or -1 when buf is too small.
 */
int
sage_timestamp_format(SageTimestamp ts, char *buf, size_t buflen)
{
	int			y,
				mo,
				d,
				h,
				mi,
				s,
				us;
	int			n;

	sage_timestamp_to_civil(ts, &y, &mo, &d, &h, &mi, &s, &us);
	if (h == 0 && mi == 0 && s == 0 && us == 0)
		n = snprintf(buf, buflen, "%04d-%02d-%02d", y, mo, d);
	else if (us == 0)
		n = snprintf(buf, buflen, "%04d-%02d-%02d %02d:%02d:%02d",
					 y, mo, d, h, mi, s);
	else
		n = snprintf(buf, buflen, "%04d-%02d-%02d %02d:%02d:%02d.%06d",
					 y, mo, d, h, mi, s, us);
	if (n < 0 || (size_t) n >= buflen)
		return -1;
	return n;
}
