/*-------------------------------------------------------------------------
 *
 * test/fuzz/fuzz_value.c
 *		libFuzzer target: any bytes through every value parser.
 *
 * The input (an exact-size heap copy, not NUL-terminated, so ASan catches
 * any over-read) goes to each parser of sage/value.h. Accepted values must
 * be consistent: an entero is a decimal and a Python int, a fecha formats
 * back to text that parses to the same timestamp, a parsed double's
 * repr() reads back as the same double. The first line of an input with a
 * newline is also used as a strptime format for the rest.
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sage/value.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* repr() of v must read back as v (or as a NaN for a NaN). */
static void
fz_check_double(double v)
{
	char		buf[64];
	double		back;
	int			n;
	int			flag;

	for (flag = 0; flag < 2; flag++)
	{
		n = sage_format_double(v, flag != 0, buf, sizeof(buf));
		if (n <= 0 || !sage_parse_python_float(buf, (size_t) n, &back))
			abort();
		if (isnan(v) ? !isnan(back) : back != v)
			abort();
	}
}

/* A timestamp's ISO text parses back to the same value. */
static void
fz_check_ts(SageTimestamp ts)
{
	char		buf[64];
	SageTimestamp back;
	int			n = sage_timestamp_format(ts, buf, sizeof(buf));
	int			dow = sage_timestamp_dayofweek(ts);

	if (n <= 0 || !sage_parse_fecha(buf, (size_t) n, &back) || back != ts ||
		dow < 0 || dow > 6)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	   *s = malloc(size ? size : 1);
	int64_t		i64;
	int64_t		i64b;
	double		d;
	bool		b;
	SageTimestamp ts;
	const char *nl;

	if (s == NULL)
		abort();
	memcpy(s, data, size);

	if (sage_parse_entero(s, size, &i64))
	{
		if (!sage_is_entero(s, size) || !sage_parse_decimal(s, size, &d) ||
			!sage_parse_python_int(s, size, &i64b) || i64b != i64)
			abort();
	}
	if (sage_is_entero(s, size) && !sage_parse_decimal(s, size, NULL))
		abort();
	if (sage_parse_decimal(s, size, &d))
	{
		double		d2;

		if (!sage_parse_python_float(s, size, &d2) || !(d2 == d || (isnan(d) && isnan(d2))))
			abort();
		fz_check_double(d);
	}
	if (sage_parse_python_float(s, size, &d))
		fz_check_double(d);
	(void) sage_parse_python_int(s, size, &i64);
	(void) sage_parse_booleano(s, size, &b);
	if (sage_parse_fecha(s, size, &ts))
		fz_check_ts(ts);

	/* "format\ntext": the format must be NUL-terminated, so copy it */
	nl = memchr(s, '\n', size);
	if (nl != NULL)
	{
		size_t		flen = (size_t) (nl - s);
		char	   *format = malloc(flen + 1);

		if (format == NULL)
			abort();
		memcpy(format, s, flen);
		format[flen] = '\0';
		if (sage_parse_fecha_format(nl + 1, size - flen - 1, format, &ts))
			fz_check_ts(ts);
		free(format);
	}
	free(s);
	return 0;
}
