/*-------------------------------------------------------------------------
 *
 * src/core/encoding.c
 *		UTF-8 validation and repair; latin-1 and windows-1252 to UTF-8.
 *
 * Almost every cell of a real file is ASCII, so every entry point starts
 * with a word-at-a-time ASCII scan and only falls back to byte-by-byte
 * decoding from the first byte >= 0x80. Validation follows the Unicode
 * "well-formed UTF-8 byte sequences" table (Unicode 15, table 3-7), and
 * repair emits one U+FFFD per maximal subpart of an ill-formed sequence,
 * which is what Python's bytes.decode("utf-8", "replace") produces.
 *
 *-------------------------------------------------------------------------
 */
#include "encoding_internal.h"

#include <string.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#define ENC_HIGH_BITS UINT64_C(0x8080808080808080)

/* Code points of windows-1252 bytes 0x80..0x9F (0xFFFD: undefined byte). */
static const uint16_t enc_cp1252_high[32] = {
	0x20AC, 0xFFFD, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
	0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0xFFFD, 0x017D, 0xFFFD,
	0xFFFD, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
	0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0xFFFD, 0x017E, 0x0178
};

/*
 * enc_ascii_prefix
 *		Length of the ASCII prefix of s: sixteen bytes at a time with SSE2,
 *		eight with a 64-bit word elsewhere.
 */
static size_t
enc_ascii_prefix(const unsigned char *s, size_t len)
{
	size_t		i = 0;

#ifdef __SSE2__
	while (len - i >= 16)
	{
		int			mask = _mm_movemask_epi8(_mm_loadu_si128((const __m128i *) (s + i)));

		if (mask != 0)
			return i + (size_t) __builtin_ctz((unsigned) mask);
		i += 16;
	}
#endif
	while (len - i >= 8)
	{
		uint64_t	w;

		/* memcpy: unaligned load without undefined behaviour */
		memcpy(&w, s + i, 8);
		if (w & ENC_HIGH_BITS)
			break;
		i += 8;
	}
	while (i < len && s[i] < 0x80)
		i++;
	return i;
}

size_t
sage_enc_ascii_prefix(const char *s, size_t len)
{
	return enc_ascii_prefix((const unsigned char *) s, len);
}

bool
sage_enc_is_ascii(const char *s, size_t len)
{
	return enc_ascii_prefix((const unsigned char *) s, len) == len;
}

/*
 * enc_utf8_seq
 *		Examines the sequence starting at s[0] (a byte >= 0x80). Returns its
 *		length when well formed; otherwise returns 0 and sets *skip to the
 *		length of the maximal subpart to replace (at least 1).
 */
static size_t
enc_utf8_seq(const unsigned char *s, size_t len, size_t *skip)
{
	unsigned char c = s[0];
	unsigned char lo = 0x80;
	unsigned char hi = 0xBF;
	size_t		need;
	size_t		i;

	if (c >= 0xC2 && c <= 0xDF)
		need = 2;
	else if (c >= 0xE0 && c <= 0xEF)
	{
		need = 3;
		if (c == 0xE0)
			lo = 0xA0;			/* no overlong forms */
		else if (c == 0xED)
			hi = 0x9F;			/* no surrogates */
	}
	else if (c >= 0xF0 && c <= 0xF4)
	{
		need = 4;
		if (c == 0xF0)
			lo = 0x90;
		else if (c == 0xF4)
			hi = 0x8F;			/* nothing above U+10FFFF */
	}
	else
	{
		*skip = 1;
		return 0;
	}
	for (i = 1; i < need; i++)
	{
		if (i >= len || s[i] < lo || s[i] > hi)
		{
			*skip = i;
			return 0;
		}
		lo = 0x80;
		hi = 0xBF;
	}
	return need;
}

bool
sage_enc_utf8_valid(const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *) str;
	size_t		i = 0;

	for (;;)
	{
		size_t		n;
		size_t		skip;

		i += enc_ascii_prefix(s + i, len - i);
		if (i >= len)
			return true;
		n = enc_utf8_seq(s + i, len - i, &skip);
		if (n == 0)
			return false;
		i += n;
	}
}

/* Appends the UTF-8 form of a BMP code point; returns the bytes written. */
static size_t
enc_put_bmp(unsigned char *out, unsigned cp)
{
	if (cp < 0x80)
	{
		out[0] = (unsigned char) cp;
		return 1;
	}
	if (cp < 0x800)
	{
		out[0] = (unsigned char) (0xC0 | (cp >> 6));
		out[1] = (unsigned char) (0x80 | (cp & 0x3F));
		return 2;
	}
	out[0] = (unsigned char) (0xE0 | (cp >> 12));
	out[1] = (unsigned char) (0x80 | ((cp >> 6) & 0x3F));
	out[2] = (unsigned char) (0x80 | (cp & 0x3F));
	return 3;
}

size_t
sage_enc_utf8_repair(const char *str, size_t len, char *outstr, bool *bad)
{
	const unsigned char *s = (const unsigned char *) str;
	unsigned char *out = (unsigned char *) outstr;
	size_t		i = 0;
	size_t		o = 0;

	for (;;)
	{
		size_t		a = enc_ascii_prefix(s + i, len - i);
		size_t		n;
		size_t		skip;

		memcpy(out + o, s + i, a);
		i += a;
		o += a;
		if (i >= len)
			return o;
		n = enc_utf8_seq(s + i, len - i, &skip);
		if (n > 0)
		{
			memcpy(out + o, s + i, n);
			i += n;
			o += n;
		}
		else
		{
			o += enc_put_bmp(out + o, 0xFFFD);
			i += skip;
			*bad = true;
		}
	}
}

size_t
sage_enc_to_utf8(SageEncoding enc, const char *str, size_t len, char *outstr,
				 bool *bad)
{
	const unsigned char *s = (const unsigned char *) str;
	unsigned char *out = (unsigned char *) outstr;
	size_t		i = 0;
	size_t		o = 0;

	if (enc == SAGE_ENC_UTF8)
		return sage_enc_utf8_repair(str, len, outstr, bad);
	while (i < len)
	{
		size_t		a = enc_ascii_prefix(s + i, len - i);
		unsigned	cp;

		memcpy(out + o, s + i, a);
		i += a;
		o += a;
		if (i >= len)
			break;
		cp = s[i++];
		if (enc == SAGE_ENC_WINDOWS1252 && cp < 0xA0)
		{
			cp = enc_cp1252_high[cp - 0x80];
			if (cp == 0xFFFD)
				*bad = true;
		}
		o += enc_put_bmp(out + o, cp);
	}
	return o;
}

/*
 * sage_utf8_seq_len
 *		Validates one UTF-8 sequence following RFC 3629's table, which rules
 *		out overlong encodings, UTF-16 surrogates and code points past
 *		U+10FFFF by restricting the second byte.
 */
size_t
sage_utf8_seq_len(const unsigned char *s, size_t avail)
{
	unsigned char c = s[0];
	unsigned char lo = 0x80,
				hi = 0xBF;
	size_t		n,
				i;

	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF)
		n = 2;
	else if (c >= 0xE0 && c <= 0xEF)
	{
		n = 3;
		if (c == 0xE0)
			lo = 0xA0;			/* overlong */
		else if (c == 0xED)
			hi = 0x9F;			/* surrogates */
	}
	else if (c >= 0xF0 && c <= 0xF4)
	{
		n = 4;
		if (c == 0xF0)
			lo = 0x90;			/* overlong */
		else if (c == 0xF4)
			hi = 0x8F;			/* above U+10FFFF */
	}
	else
		return 0;
	if (avail < n)
		return 0;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xBF)
			return 0;
	return n;
}

/*
 * sage_utf8_put
 *		Writes code point cp (at most U+10FFFF) as UTF-8; the one encoder
 *		every reader and the rule lexer share.
 */
size_t
sage_utf8_put(char *out, uint32_t cp)
{
	if (cp < 0x80)
	{
		out[0] = (char) cp;
		return 1;
	}
	if (cp < 0x800)
	{
		out[0] = (char) (0xC0 | (cp >> 6));
		out[1] = (char) (0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000)
	{
		out[0] = (char) (0xE0 | (cp >> 12));
		out[1] = (char) (0x80 | ((cp >> 6) & 0x3F));
		out[2] = (char) (0x80 | (cp & 0x3F));
		return 3;
	}
	out[0] = (char) (0xF0 | (cp >> 18));
	out[1] = (char) (0x80 | ((cp >> 12) & 0x3F));
	out[2] = (char) (0x80 | ((cp >> 6) & 0x3F));
	out[3] = (char) (0x80 | (cp & 0x3F));
	return 4;
}

