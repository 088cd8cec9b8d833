/*-------------------------------------------------------------------------
 *
 * src/include/sage/value.h
 *		Parsing cell text into typed values: the built-in type checks of
 *		PROCESSOR.md section 4 and the conversions rules use (astype,
 *		pd.to_numeric, pd.to_datetime).
 *
 * All functions take (text, len), never allocate, and return true when the
 * text is a valid value of the type, storing it in *out.
 *
 *-------------------------------------------------------------------------
 */
#ifndef SAGE_VALUE_H
#define SAGE_VALUE_H

#include "sage/common.h"

/* Datetimes are microseconds since 1970-01-01T00:00:00 (no time zone). */
typedef int64_t SageTimestamp;

/* entero: optional sign and ASCII digits only; false on overflow of int64 too. */
bool		sage_parse_entero(const char *s, size_t len, int64_t *out);
/* entero syntax check without range (huge digit strings are still valid entero). */
bool		sage_is_entero(const char *s, size_t len);
/* decimal: [sign] digits [. digits] [e|E [sign] digits]; also ".5" and "5." like Python float. */
bool		sage_parse_decimal(const char *s, size_t len, double *out);
/* fecha: YYYY-MM-DD, optional (T| )HH:MM[:SS[.fff...]]; the date must exist. */
bool		sage_parse_fecha(const char *s, size_t len, SageTimestamp *out);
/* fecha with an strftime-style format (%Y %m %d %H %M %S %y %b %f %%...). */
bool		sage_parse_fecha_format(const char *s, size_t len, const char *format, SageTimestamp *out);
/* booleano: true/false/1/0/t/f/yes/no/y/n/si/sí/verdadero/falso, any case. */
bool		sage_parse_booleano(const char *s, size_t len, bool *out);

/* Python float(str) semantics (strips whitespace, accepts inf/nan, underscores between digits). */
bool		sage_parse_python_float(const char *s, size_t len, double *out);
/* Python int(str) semantics (strips whitespace, sign, underscores between digits). */
bool		sage_parse_python_int(const char *s, size_t len, int64_t *out);

/* Timestamp helpers. */
SageTimestamp sage_timestamp_from_civil(int year, int month, int day, int hour, int min, int sec, int usec);
void		sage_timestamp_to_civil(SageTimestamp ts, int *year, int *month, int *day,
									int *hour, int *min, int *sec, int *usec);
/* Day of week as pandas: Monday = 0 ... Sunday = 6. */
int			sage_timestamp_dayofweek(SageTimestamp ts);
/* ISO text: "YYYY-MM-DD" when no time part, else "YYYY-MM-DD HH:MM:SS[.ffffff]". buf >= 32. */
int			sage_timestamp_format(SageTimestamp ts, char *buf, size_t buflen);

/* Shortest text that round-trips a double, as Python repr() would ("12.0" -> see flag). */
int			sage_format_double(double v, bool integral_without_fraction, char *buf, size_t buflen);

#endif							/* SAGE_VALUE_H */
