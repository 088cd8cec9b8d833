/*-------------------------------------------------------------------------
 *
 * src/core/value_parse.c
 *		Cell text -> typed values: the built-in type checks of PROCESSOR.md
 *		section 4 (entero, decimal, fecha, booleano) and the conversions
 *		that rules use (Python float()/int(), strptime formats, repr()).
 *
 * Every parser takes (text, len), never allocates and never depends on the
 * process locale: numbers are validated here and handed to strtod() as a
 * string of digits plus an exponent, with no decimal point, so an
 * LC_NUMERIC that uses ',' cannot change the result. Inputs need not be
 * NUL-terminated and may contain NUL bytes (which are simply invalid).
 *
 *-------------------------------------------------------------------------
 */
#include "sage/value.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * Significant digits kept when converting a decimal. Correct rounding of
 * an IEEE double never needs more than 768 of them provided a non-zero
 * "sticky" digit stands for any non-zero digits that were dropped.
 */
#define VP_MAX_SIG_DIGITS	780

/* Exponents beyond this already give 0 or inf; clamping avoids overflow. */
#define VP_EXP_CLAMP		100000

/* Longest strptime format accepted (formats come from the configuration). */
#define VP_MAX_FORMAT		256

/* Backtracking steps allowed for one strptime match (bounded work). */
#define VP_MAX_STEPS		100000

static inline bool
vp_isdigit(char c)
{
	return c >= '0' && c <= '9';
}

static inline char
vp_lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char) (c - 'A' + 'a') : c;
}

/* ------------------------------------------------------------- integers */

bool
sage_is_entero(const char *s, size_t len)
{
	size_t		i = 0;

	if (len > 0 && (s[0] == '+' || s[0] == '-'))
		i = 1;
	if (i == len)
		return false;
	for (; i < len; i++)
		if (!vp_isdigit(s[i]))
			return false;
	return true;
}

/*
 * vp_digits_to_int64
 *		Accumulates ASCII digits (skipping '_' when allow_us) into a
 *		magnitude, refusing values outside int64 for the given sign.
 */
static bool
vp_digits_to_int64(const char *s, size_t len, bool negative, bool allow_us,
				   int64_t *out)
{
	uint64_t	limit = negative ? (uint64_t) INT64_MAX + 1 : (uint64_t) INT64_MAX;
	uint64_t	v = 0;
	size_t		i;

	for (i = 0; i < len; i++)
	{
		unsigned	d;

		if (allow_us && s[i] == '_')
			continue;
		d = (unsigned) (s[i] - '0');
		if (v > (limit - d) / 10)
			return false;
		v = v * 10 + d;
	}
	if (negative)
		*out = v == (uint64_t) INT64_MAX + 1 ? INT64_MIN : -(int64_t) v;
	else
		*out = (int64_t) v;
	return true;
}

bool
sage_parse_entero(const char *s, size_t len, int64_t *out)
{
	bool		negative = false;
	int64_t		v;

	if (!sage_is_entero(s, len))
		return false;
	if (s[0] == '+' || s[0] == '-')
	{
		negative = s[0] == '-';
		s++;
		len--;
	}
	if (!vp_digits_to_int64(s, len, negative, false, &v))
		return false;
	if (out)
		*out = v;
	return true;
}

/* -------------------------------------------------------------- decimals */

/*
 * VpNumber
 *		A decimal number taken apart for a locale-free strtod(): the
 *		significant digits (leading zeros dropped) and a power of ten.
 */
typedef struct VpNumber
{
	bool		negative;		/* a leading '-' */
	int			nsig;			/* digits stored in sig */
	long		exp10;			/* value = sig (as an integer) * 10^exp10 */
	bool		sticky;			/* non-zero digits were dropped past nsig */
	char		sig[VP_MAX_SIG_DIGITS + 2]; /* significant digits */
} VpNumber;

/*
 * vp_scan_digits
 *		Scans a run of digits starting at *pos; with allow_us a single '_'
 *		may separate two digits (Python's digitpart). Returns the number of
 *		digits, 0 when there is none, or -1 on a misplaced underscore.
 *		When num is given the digits are accumulated into it; frac says
 *		whether they follow the decimal point.
 */
static long
vp_scan_digits(const char *s, size_t len, size_t *pos, bool allow_us,
			   VpNumber *num, bool frac)
{
	size_t		i = *pos;
	long		count = 0;

	while (i < len)
	{
		char		c = s[i];

		if (c == '_' && allow_us)
		{
			/* an underscore needs a digit on both sides */
			if (count == 0 || i + 1 >= len || !vp_isdigit(s[i + 1]))
				return -1;
			i++;
			continue;
		}
		if (!vp_isdigit(c))
			break;
		count++;
		i++;
		if (num == NULL)
			continue;
		if (num->nsig == 0 && c == '0')
		{
			/* leading zero: only moves the point for fraction digits */
			if (frac)
				num->exp10--;
		}
		else if (num->nsig < VP_MAX_SIG_DIGITS)
		{
			num->sig[num->nsig++] = c;
			if (frac)
				num->exp10--;
		}
		else
		{
			/* dropped digit: integer ones still scale the value */
			if (!frac)
				num->exp10++;
			if (c != '0')
				num->sticky = true;
		}
		/* keep exp10 bounded even for absurdly long digit strings */
		if (num->exp10 > VP_EXP_CLAMP)
			num->exp10 = VP_EXP_CLAMP;
		else if (num->exp10 < -VP_EXP_CLAMP)
			num->exp10 = -VP_EXP_CLAMP;
	}
	*pos = i;
	return count;
}

/*
 * vp_number_to_double
 *		Converts a VpNumber through strtod() on "digits e exponent".
 */
/*
 * Exact powers of ten as doubles: 10^0 .. 10^22 are all representable, so
 * one multiplication or division by them is correctly rounded.
 */
static const double vp_pow10[23] = {
	1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22
};

/* Largest integer below which every integer is exact in a double. */
#define VP_EXACT_MANTISSA	((uint64_t) 1 << 53)

/*
 * vp_exact_double
 *		Clinger's fast path: when the mantissa is an exact double (at most
 *		2^53) and |exp10| <= 22, mant * 10^exp10 needs one IEEE operation on
 *		two exact operands, hence is correctly rounded, bit for bit what
 *		strtod() gives. Returns false when the fast path does not apply.
 *		(x86-64 evaluates doubles in SSE2 registers, and PostgreSQL builds
 *		with -fexcess-precision=standard, so there is no double rounding.)
 */
static inline bool
vp_exact_double(uint64_t mant, long exp10, bool negative, double *out)
{
	double		v;

	if (mant > VP_EXACT_MANTISSA || exp10 < -22 || exp10 > 22)
		return false;
	v = (double) mant;
	if (exp10 < 0)
		v /= vp_pow10[-exp10];
	else
		v *= vp_pow10[exp10];
	*out = negative ? -v : v;
	return true;
}

static double
vp_number_to_double(VpNumber *num)
{
	char		buf[VP_MAX_SIG_DIGITS + 32];
	int			n = 0;
	long		e = num->exp10;
	double		v;

	if (num->nsig == 0)
		return num->negative ? -0.0 : 0.0;
	if (!num->sticky && num->nsig <= 16)
	{
		uint64_t	mant = 0;
		int			i;

		for (i = 0; i < num->nsig; i++)
			mant = mant * 10 + (uint64_t) (num->sig[i] - '0');
		if (vp_exact_double(mant, e, num->negative, &v))
			return v;
	}
	if (num->negative)
		buf[n++] = '-';
	memcpy(buf + n, num->sig, num->nsig);
	n += num->nsig;
	if (num->sticky)
	{
		buf[n++] = '1';
		e--;
	}
	snprintf(buf + n, sizeof(buf) - n, "e%ld", e);
	v = strtod(buf, NULL);
	return v;
}

/*
 * vp_parse_number
 *		[sign] (digits [. [digits]] | . digits) [(e|E) [sign] digits]
 *		over the whole of s; allow_us enables Python's underscores.
 */
/*
 * vp_parse_fast
 *		The common case of vp_parse_number() without the digit copy and
 *		strtod(): [sign] digits [. digits] [(e|E) [sign] digits] with no
 *		underscore. Returns 1 when s is such a number (*out set, when out
 *		is given, if the value is exact through vp_exact_double), 0 when
 *		the general path must decide (anything else, including invalid
 *		text, underscores and long or huge mantissas).
 */
static inline int
vp_parse_fast(const char *s, size_t len, double *out)
{
	size_t		pos = 0;
	bool		negative = false;
	uint64_t	mant = 0;
	int			nsig = 0;		/* digits from the first non-zero one */
	size_t		ndigits = 0;
	long		exp10 = 0;
	size_t		start;

	if (pos < len && (s[pos] == '+' || s[pos] == '-'))
	{
		negative = s[pos] == '-';
		pos++;
	}
	start = pos;
	while (pos < len && vp_isdigit(s[pos]))
	{
		mant = mant * 10 + (uint64_t) (s[pos] - '0');
		if (mant != 0 && ++nsig > 19)
			return 0;
		pos++;
	}
	ndigits = pos - start;
	if (pos < len && s[pos] == '.')
	{
		pos++;
		start = pos;
		while (pos < len && vp_isdigit(s[pos]))
		{
			mant = mant * 10 + (uint64_t) (s[pos] - '0');
			if (mant != 0 && ++nsig > 19)
				return 0;
			pos++;
		}
		exp10 = -(long) (pos - start);
		ndigits += pos - start;
	}
	if (ndigits == 0)
		return 0;
	if (pos < len && (s[pos] == 'e' || s[pos] == 'E'))
	{
		bool		eneg = false;
		long		ev = 0;

		pos++;
		if (pos < len && (s[pos] == '+' || s[pos] == '-'))
		{
			eneg = s[pos] == '-';
			pos++;
		}
		start = pos;
		while (pos < len && vp_isdigit(s[pos]))
		{
			if (ev < VP_EXP_CLAMP)
				ev = ev * 10 + (s[pos] - '0');
			pos++;
		}
		if (pos == start)
			return 0;
		exp10 += eneg ? -ev : ev;
	}
	if (pos != len)
		return 0;
	if (out == NULL)
		return 1;
	if (mant == 0)
	{
		*out = negative ? -0.0 : 0.0;
		return 1;
	}
	return vp_exact_double(mant, exp10, negative, out) ? 1 : 0;
}

static bool
vp_parse_number(const char *s, size_t len, bool allow_us, double *out)
{
	VpNumber	num;
	size_t		pos = 0;
	long		nint;
	long		nfrac = 0;

	if (vp_parse_fast(s, len, out))
		return true;
	num.negative = false;
	num.nsig = 0;
	num.exp10 = 0;
	num.sticky = false;

	if (pos < len && (s[pos] == '+' || s[pos] == '-'))
	{
		num.negative = s[pos] == '-';
		pos++;
	}
	nint = vp_scan_digits(s, len, &pos, allow_us, &num, false);
	if (nint < 0)
		return false;
	if (pos < len && s[pos] == '.')
	{
		pos++;
		/* Python: a fraction after '.' cannot start with '_' */
		if (pos < len && s[pos] == '_')
			return false;
		nfrac = vp_scan_digits(s, len, &pos, allow_us, &num, true);
		if (nfrac < 0)
			return false;
	}
	if (nint == 0 && nfrac == 0)
		return false;
	if (pos < len && (s[pos] == 'e' || s[pos] == 'E'))
	{
		bool		eneg = false;
		long		ev = 0;
		size_t		start;

		pos++;
		if (pos < len && (s[pos] == '+' || s[pos] == '-'))
		{
			eneg = s[pos] == '-';
			pos++;
		}
		start = pos;
		if (vp_scan_digits(s, len, &pos, allow_us, NULL, false) <= 0)
			return false;
		for (; start < pos; start++)
		{
			if (s[start] == '_')
				continue;
			if (ev < VP_EXP_CLAMP)
				ev = ev * 10 + (s[start] - '0');
		}
		num.exp10 += eneg ? -ev : ev;
	}
	if (pos != len)
		return false;
	if (out)
		*out = vp_number_to_double(&num);
	return true;
}

bool
sage_parse_decimal(const char *s, size_t len, double *out)
{
	return vp_parse_number(s, len, false, out);
}

/* ------------------------------------------------------- Python float/int */

/*
 * vp_space_len
 *		Length of the whitespace character at s (0 if none), using Python's
 *		str.isspace(): ASCII \t\n\v\f\r, \x1c-\x1f, space, and the Unicode
 *		spaces (U+0085, U+00A0, U+1680, U+2000-U+200A, U+2028, U+2029,
 *		U+202F, U+205F, U+3000) in UTF-8.
 */
static size_t
vp_space_len(const unsigned char *s, size_t len)
{
	if (len == 0)
		return 0;
	if (s[0] == ' ' || (s[0] >= 0x09 && s[0] <= 0x0d) ||
		(s[0] >= 0x1c && s[0] <= 0x1f))
		return 1;
	if (len >= 2 && s[0] == 0xc2 && (s[1] == 0x85 || s[1] == 0xa0))
		return 2;
	if (len >= 3 && s[0] == 0xe1 && s[1] == 0x9a && s[2] == 0x80)
		return 3;
	if (len >= 3 && s[0] == 0xe2 && s[1] == 0x80 &&
		((s[2] >= 0x80 && s[2] <= 0x8a) || s[2] == 0xa8 || s[2] == 0xa9 ||
		 s[2] == 0xaf))
		return 3;
	if (len >= 3 && s[0] == 0xe2 && s[1] == 0x81 && s[2] == 0x9f)
		return 3;
	if (len >= 3 && s[0] == 0xe3 && s[1] == 0x80 && s[2] == 0x80)
		return 3;
	return 0;
}

/*
 * vp_trailing_space_len
 *		Length of the whitespace character that ends s[0..len), or 0.
 */
static size_t
vp_trailing_space_len(const unsigned char *s, size_t len)
{
	size_t		k;

	for (k = 1; k <= 3 && k <= len; k++)
		if (vp_space_len(s + len - k, k) == k)
			return k;
	return 0;
}

/*
 * vp_strip
 *		Python's str.strip() without arguments.
 */
static void
vp_strip(const char **s, size_t *len)
{
	const unsigned char *p = (const unsigned char *) *s;
	size_t		n = *len;
	size_t		k;

	while ((k = vp_space_len(p, n)) > 0)
	{
		p += k;
		n -= k;
	}
	while ((k = vp_trailing_space_len(p, n)) > 0)
		n -= k;
	*s = (const char *) p;
	*len = n;
}

/* Case-insensitive comparison of s[0..len) with a lower-case ASCII word. */
static bool
vp_ieq(const char *s, size_t len, const char *word)
{
	size_t		i;

	if (strlen(word) != len)
		return false;
	for (i = 0; i < len; i++)
		if (vp_lower(s[i]) != word[i])
			return false;
	return true;
}

bool
sage_parse_python_float(const char *s, size_t len, double *out)
{
	const char *p;
	size_t		n;
	bool		negative = false;

	vp_strip(&s, &len);
	p = s;
	n = len;
	if (n > 0 && (p[0] == '+' || p[0] == '-'))
	{
		negative = p[0] == '-';
		p++;
		n--;
	}
	if (vp_ieq(p, n, "inf") || vp_ieq(p, n, "infinity"))
	{
		if (out)
			*out = negative ? -INFINITY : INFINITY;
		return true;
	}
	if (vp_ieq(p, n, "nan"))
	{
		if (out)
			*out = negative ? -NAN : NAN;
		return true;
	}
	return vp_parse_number(s, len, true, out);
}

bool
sage_parse_python_int(const char *s, size_t len, int64_t *out)
{
	bool		negative = false;
	size_t		pos = 0;
	size_t		start;
	int64_t		v;

	vp_strip(&s, &len);
	if (len > 0 && (s[0] == '+' || s[0] == '-'))
	{
		negative = s[0] == '-';
		pos = 1;
	}
	start = pos;
	if (vp_scan_digits(s, len, &pos, true, NULL, false) <= 0 || pos != len)
		return false;
	if (!vp_digits_to_int64(s + start, len - start, negative, true, &v))
		return false;
	if (out)
		*out = v;
	return true;
}

/* -------------------------------------------------------------- booleans */

/* A spelling of a booleano: lower-case ASCII, its length and value. */
typedef struct VpBoolWord
{
	const char *word;
	size_t		len;
	bool		value;
} VpBoolWord;

bool
sage_parse_booleano(const char *s, size_t len, bool *out)
{
	/* "sí" is handled below */
	static const VpBoolWord words[] = {
		{"true", 4, true}, {"1", 1, true}, {"t", 1, true}, {"yes", 3, true},
		{"y", 1, true}, {"si", 2, true}, {"verdadero", 9, true},
		{"false", 5, false}, {"0", 1, false}, {"f", 1, false}, {"no", 2, false},
		{"n", 1, false}, {"falso", 5, false}
	};
	char		low[9];
	size_t		i;
	bool		v;

	/* every spelling has 1 to 9 bytes: lower-case a copy once */
	if (len == 0 || len > sizeof(low))
		return false;
	for (i = 0; i < len; i++)
		low[i] = vp_lower(s[i]);
	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (words[i].len == len && memcmp(low, words[i].word, len) == 0)
		{
			v = words[i].value;
			goto found;
		}
	/* "sí" with U+00ED (i acute) or U+00CD (capital I acute) */
	if (len == 3 && low[0] == 's' && (unsigned char) s[1] == 0xc3 &&
		((unsigned char) s[2] == 0xad || (unsigned char) s[2] == 0x8d))
	{
		v = true;
		goto found;
	}
	return false;

found:
	if (out)
		*out = v;
	return true;
}

/* ----------------------------------------------------------------- dates */

static bool
vp_is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
vp_days_in_month(int y, int m)
{
	static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	if (m == 2 && vp_is_leap(y))
		return 29;
	return mdays[m - 1];
}

/* Value of n ASCII digits at s, or -1 when any is not a digit. */
static int
vp_fixed_digits(const char *s, int n)
{
	int			v = 0;
	int			i;

	for (i = 0; i < n; i++)
	{
		if (!vp_isdigit(s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

bool
sage_parse_fecha(const char *s, size_t len, SageTimestamp *out)
{
	int			y,
				mo,
				d;
	int			h = 0,
				mi = 0,
				sec = 0,
				usec = 0;
	size_t		pos;

	if (len < 10 || s[4] != '-' || s[7] != '-')
		return false;
	y = vp_fixed_digits(s, 4);
	mo = vp_fixed_digits(s + 5, 2);
	d = vp_fixed_digits(s + 8, 2);
	if (y < 1 || mo < 1 || mo > 12 || d < 1 || d > vp_days_in_month(y, mo))
		return false;
	pos = 10;
	if (pos < len)
	{
		if (s[pos] != 'T' && s[pos] != ' ')
			return false;
		pos++;
		if (len - pos < 5 || s[pos + 2] != ':')
			return false;
		h = vp_fixed_digits(s + pos, 2);
		mi = vp_fixed_digits(s + pos + 3, 2);
		if (h < 0 || h > 23 || mi < 0 || mi > 59)
			return false;
		pos += 5;
		if (pos < len)
		{
			if (s[pos] != ':' || len - pos < 3)
				return false;
			sec = vp_fixed_digits(s + pos + 1, 2);
			if (sec < 0 || sec > 59)
				return false;
			pos += 3;
			if (pos < len)
			{
				int			nfrac = 0;

				if (s[pos] != '.')
					return false;
				pos++;
				/* up to nanoseconds; digits past the sixth are dropped */
				while (pos < len && vp_isdigit(s[pos]) && nfrac < 9)
				{
					if (nfrac < 6)
						usec = usec * 10 + (s[pos] - '0');
					nfrac++;
					pos++;
				}
				if (nfrac == 0 || pos != len)
					return false;
				for (; nfrac < 6; nfrac++)
					usec *= 10;
			}
		}
	}
	if (out)
		*out = sage_timestamp_from_civil(y, mo, d, h, mi, sec, usec);
	return true;
}

/* English month and weekday names, as strptime sees them in the C locale. */
static const char *const vp_months[12] = {
	"january", "february", "march", "april", "may", "june", "july",
	"august", "september", "october", "november", "december"
};
static const char *const vp_weekdays[7] = {
	"monday", "tuesday", "wednesday", "thursday", "friday", "saturday",
	"sunday"
};

/*
 * VpDateParts
 *		Fields gathered while matching a strptime format, with Python's
 *		defaults (1900-01-01 00:00:00).
 */
typedef struct VpDateParts
{
	int			year;			/* %Y, or %y mapped to 1969..2068 */
	int			month;			/* %m %b %B */
	int			day;			/* %d */
	int			hour;			/* %H, or %I before applying %p */
	int			minute;			/* %M */
	int			second;			/* %S */
	int			usec;			/* %f right-padded to 6 digits */
	int			yday;			/* %j, 0 when absent */
	int			ampm;			/* %p: 0 absent, 1 AM, 2 PM */
	bool		hour12;			/* the hour came from %I */
} VpDateParts;

/*
 * VpMatcher
 *		State of one strptime match: the text, the step budget that bounds
 *		backtracking, and the fields found.
 */
typedef struct VpMatcher
{
	const char *s;				/* the text */
	size_t		len;			/* its length */
	long		steps;			/* remaining backtracking budget */
	VpDateParts *result;		/* receives the fields of a full match */
} VpMatcher;

/*
 * Numeric directives as in CPython's _strptime regexes: each alternative is
 * tried in the regex's order (the longest first), and the matcher
 * backtracks over them, so "%m%d" on "2024115" behaves as Python does.
 */
typedef struct VpNumSpec
{
	char		directive;		/* the letter after % */
	int			minw;			/* fewest digits */
	int			maxw;			/* most digits */
	int			minv;			/* smallest value */
	int			maxv;			/* largest value */
	bool		space_pad;		/* " 7" is accepted (%d only) */
} VpNumSpec;

static const VpNumSpec vp_numspecs[] = {
	{'d', 1, 2, 1, 31, true},
	{'m', 1, 2, 1, 12, false},
	{'H', 1, 2, 0, 23, false},
	{'I', 1, 2, 1, 12, false},
	{'M', 1, 2, 0, 59, false},
	{'S', 1, 2, 0, 61, false},
	{'j', 1, 3, 1, 366, false},
	{'y', 2, 2, 0, 99, false},
	{'Y', 4, 4, 0, 9999, false},
	{'f', 1, 6, 0, 999999, false},
	{'w', 1, 1, 0, 6, false},
	{'u', 1, 1, 1, 7, false},
};

static bool vp_match(VpMatcher *m, const char *fmt, size_t pos,
					 VpDateParts parts);

/*
 * vp_store
 *		Stores a directive's value in parts.
 */
static void
vp_store(VpDateParts *parts, char directive, int v, int width)
{
	switch (directive)
	{
		case 'd':
			parts->day = v;
			break;
		case 'm':
			parts->month = v;
			break;
		case 'H':
			parts->hour = v;
			parts->hour12 = false;
			break;
		case 'I':
			parts->hour = v;
			parts->hour12 = true;
			break;
		case 'M':
			parts->minute = v;
			break;
		case 'S':
			parts->second = v;
			break;
		case 'j':
			parts->yday = v;
			break;
		case 'y':
			parts->year = v <= 68 ? 2000 + v : 1900 + v;
			break;
		case 'Y':
			parts->year = v;
			break;
		case 'f':
			for (; width < 6; width++)
				v *= 10;
			parts->usec = v;
			break;
		default:
			/* %w and %u: the weekday is implied by the date */
			break;
	}
}

/*
 * vp_match_name
 *		Tries the names of a table (full or 3-letter abbreviations) at the
 *		text position, longest first like Python's regex alternation, and
 *		continues the match after each candidate.
 */
static bool
vp_match_names(VpMatcher *m, const char *fmt, size_t fpos, size_t tpos,
			   VpDateParts parts, const char *const *names, int nnames,
			   bool full, bool months)
{
	int			i;

	for (i = 0; i < nnames; i++)
	{
		const char *name = names[i];
		size_t		nlen = full ? strlen(name) : 3;
		size_t		k;

		if (m->len - tpos < nlen)
			continue;
		for (k = 0; k < nlen; k++)
			if (vp_lower(m->s[tpos + k]) != name[k])
				break;
		if (k < nlen)
			continue;
		{
			VpDateParts next = parts;
			VpMatcher	sub = *m;

			if (months)
				next.month = i + 1;
			sub.s = m->s + tpos + nlen;
			sub.len = m->len - tpos - nlen;
			if (vp_match(&sub, fmt, fpos, next))
			{
				m->steps = sub.steps;
				return true;
			}
			m->steps = sub.steps;
			if (m->steps <= 0)
				return false;
		}
	}
	return false;
}

/*
 * vp_finish
 *		Turns the gathered fields into a valid date, as datetime.strptime
 *		does after its regex matched: 12-hour clock, day of year, and the
 *		date and time checks.
 */
static bool
vp_finish(VpDateParts *p, SageTimestamp *out)
{
	int			hour = p->hour;

	if (p->hour12)
	{
		/* Python: 12 means 0 unless %p says PM */
		if (p->ampm == 2)
			hour = hour == 12 ? 12 : hour + 12;
		else if (hour == 12)
			hour = 0;
	}
	if (p->year < 1 || p->year > 9999 || p->second > 59)
		return false;
	if (p->yday > 0)
	{
		/*
		 * Python counts %j from January 1st without checking the year's
		 * length, so day 366 of 2023 is 2024-01-01.
		 */
		SageTimestamp jan1 = sage_timestamp_from_civil(p->year, 1, 1, 0, 0, 0, 0);
		int			h,
					mi,
					sec,
					us;

		sage_timestamp_to_civil(jan1 + (int64_t) (p->yday - 1) * 86400 * 1000000,
								&p->year, &p->month, &p->day,
								&h, &mi, &sec, &us);
		if (p->year > 9999)
			return false;
	}
	if (p->month < 1 || p->month > 12 || p->day < 1 ||
		p->day > vp_days_in_month(p->year, p->month))
		return false;
	if (out)
		*out = sage_timestamp_from_civil(p->year, p->month, p->day, hour,
										 p->minute, p->second, p->usec);
	return true;
}

/*
 * vp_match
 *		Matches fmt[pos..] against the whole remaining text, recursing once
 *		per directive; parts is passed by value so backtracking needs no undo.
 *		Depth is bounded by the format length (VP_MAX_FORMAT) and total work
 *		by m->steps.
 */
static bool
vp_match(VpMatcher *m, const char *fmt, size_t pos, VpDateParts parts)
{
	size_t		t = 0;

	for (;;)
	{
		char		c = fmt[pos];

		if (--m->steps <= 0)
			return false;
		if (c == '\0')
		{
			/*
			 * Like Python, the first full match wins: a date that turns out
			 * not to exist does not make the matcher try other splits.
			 */
			if (t != m->len)
				return false;
			*m->result = parts;
			return true;
		}
		if (c == ' ' || (c >= '\t' && c <= '\r'))
		{
			/* Python turns whitespace in the format into \s+ */
			size_t		n = 0;

			while (fmt[pos] == ' ' || (fmt[pos] >= '\t' && fmt[pos] <= '\r'))
				pos++;
			while (t + n < m->len &&
				   (m->s[t + n] == ' ' ||
					(m->s[t + n] >= '\t' && m->s[t + n] <= '\r')))
				n++;
			if (n == 0)
				return false;
			/* \s+ is greedy, and what follows never starts with a space */
			t += n;
			continue;
		}
		if (c != '%')
		{
			/* literals compare case-insensitively (re.IGNORECASE) */
			if (t >= m->len || vp_lower(m->s[t]) != vp_lower(c))
				return false;
			t++;
			pos++;
			continue;
		}
		c = fmt[pos + 1];
		if (c == '%')
		{
			if (t >= m->len || m->s[t] != '%')
				return false;
			t++;
			pos += 2;
			continue;
		}
		break;
	}

	/* a directive: try its alternatives, then the rest of the format */
	{
		char		c = fmt[pos + 1];
		VpMatcher	sub = *m;
		size_t		i;

		sub.s = m->s + t;
		sub.len = m->len - t;
		pos += 2;

		switch (c)
		{
			case 'b':
			case 'h':
			case 'B':
				/* %B wants the full name, %b and %h the abbreviation */
				if (vp_match_names(&sub, fmt, pos, 0, parts, vp_months, 12,
								   c == 'B', true))
					return true;
				m->steps = sub.steps;
				return false;
			case 'a':
			case 'A':
				if (vp_match_names(&sub, fmt, pos, 0, parts, vp_weekdays, 7,
								   c == 'A', false))
					return true;
				m->steps = sub.steps;
				return false;
			case 'p':
				if (sub.len >= 2 && vp_lower(sub.s[1]) == 'm' &&
					(vp_lower(sub.s[0]) == 'a' || vp_lower(sub.s[0]) == 'p'))
				{
					parts.ampm = vp_lower(sub.s[0]) == 'a' ? 1 : 2;
					sub.s += 2;
					sub.len -= 2;
					if (vp_match(&sub, fmt, pos, parts))
						return true;
				}
				m->steps = sub.steps;
				return false;
			default:
				break;
		}

		for (i = 0; i < sizeof(vp_numspecs) / sizeof(vp_numspecs[0]); i++)
		{
			const VpNumSpec *spec = &vp_numspecs[i];
			int			w;

			if (spec->directive != c)
				continue;
			for (w = spec->maxw; w >= spec->minw; w--)
			{
				int			v;
				VpMatcher	rest = sub;
				VpDateParts next = parts;

				if ((size_t) w > sub.len)
					continue;
				v = vp_fixed_digits(sub.s, w);
				if (v < spec->minv || v > spec->maxv)
					continue;
				vp_store(&next, c, v, w);
				rest.s += w;
				rest.len -= w;
				if (vp_match(&rest, fmt, pos, next))
					return true;
				sub.steps = rest.steps;
				if (sub.steps <= 0)
					break;
			}
			/* %d also matches a space-padded digit */
			if (spec->space_pad && sub.steps > 0 && sub.len >= 2 &&
				sub.s[0] == ' ' && sub.s[1] >= '1' && sub.s[1] <= '9')
			{
				VpMatcher	rest = sub;
				VpDateParts next = parts;

				vp_store(&next, c, sub.s[1] - '0', 1);
				rest.s += 2;
				rest.len -= 2;
				if (vp_match(&rest, fmt, pos, next))
					return true;
				sub.steps = rest.steps;
			}
			m->steps = sub.steps;
			return false;
		}
		/* unknown or unsupported directive (%z, %c, %U...): no match */
		m->steps = sub.steps;
		return false;
	}
}

bool
sage_parse_fecha_format(const char *s, size_t len, const char *format,
						SageTimestamp *out)
{
	VpMatcher	m;
	VpDateParts parts;
	VpDateParts done;
	size_t		i;

	if (format == NULL || strlen(format) > VP_MAX_FORMAT)
		return false;
	/* the text may not hold NUL bytes: formats never match them */
	for (i = 0; i < len; i++)
		if (s[i] == '\0')
			return false;
	memset(&parts, 0, sizeof(parts));
	parts.year = 1900;
	parts.month = 1;
	parts.day = 1;
	m.s = s;
	m.len = len;
	m.steps = VP_MAX_STEPS;
	m.result = &done;
	if (!vp_match(&m, format, 0, parts))
		return false;
	return vp_finish(&done, out);
}

/* --------------------------------------------------------------- doubles */

/*
 * sage_format_double
 *		Python repr() of a double: the fewest significant digits that read
 *		back as the same value, fixed notation for decimal exponents in
 *		[-4, 16), scientific otherwise ("1e+16", "1.5e-07"). With
 *		integral_without_fraction an integral value below 1e21 prints all of
 *		its digits and no ".0" (Excel's 12 -> "12"). Returns the length, or
 *		-1 when buf is too small.
 */
/*
 * vp_shortest_fixed
 *		The shortest digits that read back as v (v > 0, finite), found by
 *		trying k = 0, 1, ... 22 decimals: m = round(v * 10^k) is the only
 *		candidate with k decimals that can read back as v when m < 2^50
 *		(the doubles around v are then closer together than 10^-k), and
 *		the first k that works gives the fewest digits, as the printf loop
 *		of sage_format_double() would. Returns false when no such k exists
 *		(huge, tiny or long values), leaving that loop to decide.
 */
static bool
vp_shortest_fixed(double v, char *digits, int *ndig, int *exp10)
{
	int			k;

	if (!(v < (double) ((uint64_t) 1 << 50)))
		return false;
	for (k = 0; k <= 22; k++)
	{
		double		x = v * vp_pow10[k];
		uint64_t	m;
		double		back;
		char		tmp[24];
		int			n = 0;
		int			i;

		if (!(x < (double) ((uint64_t) 1 << 50)))
			return false;
		m = (uint64_t) (x + 0.5);
		if (m == 0 || !vp_exact_double(m, -(long) k, false, &back) || back != v)
			continue;
		while (m > 0)
		{
			tmp[n++] = (char) ('0' + m % 10);
			m /= 10;
		}
		for (i = 0; i < n; i++)
			digits[i] = tmp[n - 1 - i];
		*ndig = n;
		*exp10 = n - 1 - k;
		return true;
	}
	return false;
}

int
sage_format_double(double v, bool integral_without_fraction, char *buf,
				   size_t buflen)
{
	char		tmp[64];
	char		digits[24];
	char		out[400];
	int			ndig = 0;
	int			exp10 = 0;
	int			prec;
	int			n = 0;
	bool		negative;

	if (isnan(v))
		n = snprintf(out, sizeof(out), "nan");
	else if (isinf(v))
		n = snprintf(out, sizeof(out), "%s", v < 0 ? "-inf" : "inf");
	else
	{
		negative = signbit(v) != 0;
		if (v == 0)
		{
			digits[0] = '0';
			ndig = 1;
			exp10 = 0;
		}
		else if (vp_shortest_fixed(fabs(v), digits, &ndig, &exp10))
		{
			/* digits and exponent found without printf */
		}
		else
		{
			for (prec = 1; prec <= 17; prec++)
			{
				VpNumber	num;
				const char *p;
				char	   *e;

				/* "%.*e" gives d[.ddd]e[+-]xx; the point is locale-dependent */
				snprintf(tmp, sizeof(tmp), "%.*e", prec - 1, fabs(v));
				ndig = 0;
				for (p = tmp; *p != 'e' && *p != '\0'; p++)
					if (vp_isdigit(*p))
						digits[ndig++] = *p;
				if (*p != 'e')
					return -1;	/* cannot happen for a finite value */
				exp10 = (int) strtol(p + 1, &e, 10);
				num.negative = false;
				num.nsig = ndig;
				memcpy(num.sig, digits, ndig);
				num.exp10 = exp10 - (ndig - 1);
				num.sticky = false;
				if (vp_number_to_double(&num) == fabs(v))
					break;
			}
			while (ndig > 1 && digits[ndig - 1] == '0')
				ndig--;
		}
		if (negative)
			out[n++] = '-';
		if (integral_without_fraction && exp10 >= ndig - 1 && exp10 < 21)
		{
			int			i;

			/* an integral value: every digit, no exponent, no ".0" */
			if (v == 0)
				n = 0;			/* Excel has no negative zero */
			for (i = 0; i <= exp10; i++)
				out[n++] = i < ndig ? digits[i] : '0';
			out[n] = '\0';
		}
		else if (exp10 >= -4 && exp10 < 16)
		{
			int			i;

			if (exp10 >= 0)
			{
				for (i = 0; i <= exp10; i++)
					out[n++] = i < ndig ? digits[i] : '0';
				out[n++] = '.';
				if (ndig > exp10 + 1)
					for (i = exp10 + 1; i < ndig; i++)
						out[n++] = digits[i];
				else
					out[n++] = '0';
			}
			else
			{
				out[n++] = '0';
				out[n++] = '.';
				for (i = 0; i < -exp10 - 1; i++)
					out[n++] = '0';
				for (i = 0; i < ndig; i++)
					out[n++] = digits[i];
			}
			out[n] = '\0';
		}
		else
		{
			int			i;

			out[n++] = digits[0];
			if (ndig > 1)
			{
				out[n++] = '.';
				for (i = 1; i < ndig; i++)
					out[n++] = digits[i];
			}
			n += snprintf(out + n, sizeof(out) - n, "e%c%02d",
						  exp10 < 0 ? '-' : '+', abs(exp10));
		}
	}
	if (n < 0 || (size_t) n >= buflen)
		return -1;
	memcpy(buf, out, n + 1);
	return n;
}
