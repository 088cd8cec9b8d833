/*-------------------------------------------------------------------------
 *
 * src/core/json_writer.c
 *		Streaming JSON writer (strict JSON, UTF-8) and UTF-8 validation.
 *
 * report.json can list thousands of findings and is written through a
 * sink, so the writer keeps only a stack of container states and hands
 * every token to its emit callback. Strings are escaped on the way out:
 * runs of ordinary bytes are emitted in one call, control characters as
 * \n-style or \u00XX escapes, U+2028/U+2029 escaped too (harmless for JSON,
 * safe if the text is ever embedded in JavaScript), and any byte that does
 * not start a valid UTF-8 sequence becomes U+FFFD, so the document is
 * always valid UTF-8 whatever the data files held.
 *
 *-------------------------------------------------------------------------
 */
#include "json_internal.h"
#include "encoding_internal.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
sage_json_init(SageJsonWriter *w, SageJsonEmit emit, void *ctx, bool pretty,
			   SageError *err)
{
	memset(w, 0, sizeof(*w));
	w->emit = emit;
	w->ctx = ctx;
	w->pretty = pretty;
	w->err = err;
}

/*
 * json_emit
 *		Hands bytes to the callback unless the writer already failed.
 */
static int
json_emit(SageJsonWriter *w, const char *data, size_t len)
{
	if (w->failed)
		return -1;
	if (len == 0)
		return 0;
	if (w->emit(w->ctx, data, len) != 0)
	{
		w->failed = true;
		return -1;
	}
	return 0;
}

/*
 * json_misuse
 *		Records a caller bug as an internal error; the document is abandoned
 *		instead of being emitted malformed.
 */
static int
json_misuse(SageJsonWriter *w, const char *what)
{
	if (!w->failed)
		sage_error_set(w->err, SAGE_ERR_INTERNAL, "invalid JSON writer call: %s", what);
	w->failed = true;
	return -1;
}

/*
 * json_newline
 *		Line break and indentation for pretty output.
 */
static int
json_newline(SageJsonWriter *w, int level)
{
	static const char spaces[] = "                                ";
	int			n = level * 2;

	if (!w->pretty)
		return 0;
	if (json_emit(w, "\n", 1) != 0)
		return -1;
	while (n > 0)
	{
		int			k = n > (int) sizeof(spaces) - 1 ? (int) sizeof(spaces) - 1 : n;

		if (json_emit(w, spaces, (size_t) k) != 0)
			return -1;
		n -= k;
	}
	return 0;
}

/*
 * json_before_value
 *		Separator and indentation due before a value: none after a key,
 *		a comma between array items; a bare value inside an object is an
 *		error, as is a second top-level value.
 */
static int
json_before_value(SageJsonWriter *w)
{
	if (w->failed)
		return -1;
	if (w->after_key)
	{
		w->after_key = false;
		return 0;
	}
	if (w->depth == 0)
	{
		if (w->top_written)
			return json_misuse(w, "second top-level value");
		w->top_written = true;
		return 0;
	}
	if (w->is_object[w->depth - 1])
		return json_misuse(w, "value without a key inside an object");
	if (w->has_items[w->depth - 1] && json_emit(w, ",", 1) != 0)
		return -1;
	w->has_items[w->depth - 1] = true;
	return json_newline(w, w->depth);
}

/*
 * json_begin
 *		Opens an object or array as the next value.
 */
static int
json_begin(SageJsonWriter *w, bool object)
{
	if (json_before_value(w) != 0)
		return -1;
	if (w->depth >= SAGE_JSON_MAX_DEPTH - 1)
		return json_misuse(w, "nesting too deep");
	if (json_emit(w, object ? "{" : "[", 1) != 0)
		return -1;
	w->is_object[w->depth] = object;
	w->has_items[w->depth] = false;
	w->depth++;
	return 0;
}

/*
 * json_end
 *		Closes the innermost container, which must be of the same kind
 *		and must not be waiting for a member value.
 */
static int
json_end(SageJsonWriter *w, bool object)
{
	if (w->failed)
		return -1;
	if (w->depth == 0 || w->is_object[w->depth - 1] != object)
		return json_misuse(w, "unbalanced container end");
	if (w->after_key)
		return json_misuse(w, "key without a value");
	w->depth--;
	if (w->has_items[w->depth] && json_newline(w, w->depth) != 0)
		return -1;
	/* the container itself is a member of its parent, already counted */
	return json_emit(w, object ? "}" : "]", 1);
}

int
sage_json_begin_object(SageJsonWriter *w)
{
	return json_begin(w, true);
}

int
sage_json_end_object(SageJsonWriter *w)
{
	return json_end(w, true);
}

int
sage_json_begin_array(SageJsonWriter *w)
{
	return json_begin(w, false);
}

int
sage_json_end_array(SageJsonWriter *w)
{
	return json_end(w, false);
}

/*
 * json_escaped
 *		Writes the body of a string literal: plain runs in one emit, the
 *		rest escaped or replaced.
 */
static int
json_escaped(SageJsonWriter *w, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *) s;
	size_t		run = 0,
				i = 0;

	while (i < len)
	{
		unsigned char c = p[i];
		const char *esc = NULL;
		char		ubuf[8];
		size_t		n;

		if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80)
		{
			i++;
			continue;
		}
		if (c >= 0x80)
		{
			n = sage_utf8_seq_len(p + i, len - i);
			/* U+2028 and U+2029: E2 80 A8 / E2 80 A9 */
			if (n == 3 && c == 0xE2 && p[i + 1] == 0x80 &&
				(p[i + 2] == 0xA8 || p[i + 2] == 0xA9))
				esc = p[i + 2] == 0xA8 ? "\\u2028" : "\\u2029";
			else if (n > 0)
			{
				i += n;
				continue;
			}
			else
			{
				esc = SAGE_UTF8_REPLACEMENT;
				n = 1;
			}
		}
		else
		{
			n = 1;
			switch (c)
			{
				case '"':
					esc = "\\\"";
					break;
				case '\\':
					esc = "\\\\";
					break;
				case '\n':
					esc = "\\n";
					break;
				case '\r':
					esc = "\\r";
					break;
				case '\t':
					esc = "\\t";
					break;
				case '\b':
					esc = "\\b";
					break;
				case '\f':
					esc = "\\f";
					break;
				default:
					snprintf(ubuf, sizeof(ubuf), "\\u%04x", c);
					esc = ubuf;
					break;
			}
		}
		if (json_emit(w, s + run, i - run) != 0 ||
			json_emit(w, esc, strlen(esc)) != 0)
			return -1;
		i += n;
		run = i;
	}
	return json_emit(w, s + run, i - run);
}

int
sage_json_key(SageJsonWriter *w, const char *key)
{
	if (w->failed)
		return -1;
	if (w->depth == 0 || !w->is_object[w->depth - 1] || w->after_key)
		return json_misuse(w, "key outside an object");
	if (key == NULL)
		return json_misuse(w, "null key");
	if (w->has_items[w->depth - 1] && json_emit(w, ",", 1) != 0)
		return -1;
	w->has_items[w->depth - 1] = true;
	if (json_newline(w, w->depth) != 0 ||
		json_emit(w, "\"", 1) != 0 ||
		json_escaped(w, key, strlen(key)) != 0 ||
		json_emit(w, w->pretty ? "\": " : "\":", w->pretty ? 3 : 2) != 0)
		return -1;
	w->after_key = true;
	return 0;
}

int
sage_json_string_len(SageJsonWriter *w, const char *s, size_t len)
{
	if (s == NULL)
		return sage_json_null(w);
	if (json_before_value(w) != 0 ||
		json_emit(w, "\"", 1) != 0 ||
		json_escaped(w, s, len) != 0)
		return -1;
	return json_emit(w, "\"", 1);
}

int
sage_json_string(SageJsonWriter *w, const char *s)
{
	return sage_json_string_len(w, s, s == NULL ? 0 : strlen(s));
}

/*
 * json_raw
 *		A scalar whose text is already valid JSON.
 */
static int
json_raw(SageJsonWriter *w, const char *text)
{
	if (json_before_value(w) != 0)
		return -1;
	return json_emit(w, text, strlen(text));
}

int
sage_json_int(SageJsonWriter *w, int64_t v)
{
	char		buf[32];

	snprintf(buf, sizeof(buf), "%" PRId64, v);
	return json_raw(w, buf);
}

int
sage_json_uint(SageJsonWriter *w, uint64_t v)
{
	char		buf[32];

	snprintf(buf, sizeof(buf), "%" PRIu64, v);
	return json_raw(w, buf);
}

/*
 * sage_json_format_double
 *		Python's repr: the fewest significant digits that read back exactly
 *		(so 66.67 stays "66.67", not "66.670000000000002"), in fixed
 *		notation when the decimal exponent is in [-4, 16), scientific
 *		otherwise. The C library formats with the locale's decimal point, so
 *		the text is normalised to '.' afterwards (and read back before
 *		normalising, in the same locale).
 */
void
sage_json_format_double(double v, char *buf)
{
	int			prec;
	int			exp10;
	char	   *p;
	char	   *e;
	bool		has_frac = false;

	if (!isfinite(v))
	{
		strcpy(buf, "null");
		return;
	}
	for (prec = 1; prec < 17; prec++)
	{
		snprintf(buf, 40, "%.*e", prec - 1, v);
		if (strtod(buf, NULL) == v)
			break;
	}
	snprintf(buf, 40, "%.*e", prec - 1, v);
	e = strchr(buf, 'e');
	exp10 = e != NULL ? atoi(e + 1) : 0;
	if (exp10 >= -4 && exp10 < 16)
	{
		int			decimals = prec - 1 - exp10;

		snprintf(buf, 40, "%.*f", decimals > 0 ? decimals : 0, v);
	}
	else
	{
		/*
		 * "1e+300" and "1.5e-07" as Python writes them: C's exponent has
		 * the same form (sign, at least two digits), so only the mantissa
		 * is already right; the exponent text is rebuilt to be sure.
		 */
		int			a = exp10 < 0 ? -exp10 : exp10;
		size_t		pos;

		snprintf(buf, 40, "%.*e", prec - 1, v);
		pos = (size_t) (strchr(buf, 'e') - buf);
		buf[pos++] = 'e';
		buf[pos++] = exp10 < 0 ? '-' : '+';
		if (a >= 100)
			buf[pos++] = (char) ('0' + a / 100);
		buf[pos++] = (char) ('0' + a / 10 % 10);
		buf[pos++] = (char) ('0' + a % 10);
		buf[pos] = '\0';
	}
	for (p = buf; *p; p++)
	{
		if (*p == 'e')
			has_frac = true;
		else if (!(*p >= '0' && *p <= '9') && *p != '-' && *p != '+')
		{
			*p = '.';
			has_frac = true;
		}
	}
	if (!has_frac)
		strcat(buf, ".0");
}

int
sage_json_double(SageJsonWriter *w, double v)
{
	char		buf[40];

	sage_json_format_double(v, buf);
	return json_raw(w, buf);
}

int
sage_json_bool(SageJsonWriter *w, bool v)
{
	return json_raw(w, v ? "true" : "false");
}

int
sage_json_null(SageJsonWriter *w)
{
	return json_raw(w, "null");
}

int
sage_json_finish(SageJsonWriter *w)
{
	if (w->failed)
		return -1;
	if (w->depth != 0 || w->after_key || !w->top_written)
		return json_misuse(w, "incomplete document");
	return w->pretty ? json_emit(w, "\n", 1) : 0;
}
