/*-------------------------------------------------------------------------
 *
 * test/core/encoding_test.c
 *		Unit tests of UTF-8 validation/repair and single-byte conversion
 *		(src/core/encoding.c).
 *
 * Expected repairs follow CPython's bytes.decode("utf-8", "replace"):
 * one U+FFFD per maximal subpart of an ill-formed sequence.
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

#include "encoding_internal.h"

#define FFFD "\xef\xbf\xbd"

/* Repairs in (length inlen) and compares with expected and the bad flag. */
static void
repair_is(const char *in, size_t inlen, const char *expected, bool expect_bad)
{
	char		out[256];
	bool		bad = false;
	size_t		n = sage_enc_utf8_repair(in, inlen, out, &bad);

	assert_true(n <= inlen * SAGE_ENC_MAX_GROWTH);
	out[n] = '\0';
	assert_string_equal(out, expected);
	assert_int_equal(bad, expect_bad);
	assert_int_equal(sage_enc_utf8_valid(in, inlen), !expect_bad);
}

static void
test_ascii(void **state)
{
	assert_true(sage_enc_is_ascii("", 0));
	assert_true(sage_enc_is_ascii("hello, world 0123456789", 23));
	assert_false(sage_enc_is_ascii("hello, world 012345678\x80", 23));
	assert_false(sage_enc_is_ascii("\xc3\xa9", 2));
	/* the length is respected */
	assert_true(sage_enc_is_ascii("abcdefgh\xff", 8));
}

static void
test_utf8_repair(void **state)
{
	repair_is("plain", 5, "plain", false);
	repair_is("caf\xc3\xa9", 5, "caf\xc3\xa9", false);
	repair_is("\xe2\x82\xac", 3, "\xe2\x82\xac", false);
	repair_is("\xf0\x9f\x98\x80", 4, "\xf0\x9f\x98\x80", false);
	repair_is("\xf4\x8f\xbf\xbf", 4, "\xf4\x8f\xbf\xbf", false);
	repair_is("\xed\x9f\xbf", 3, "\xed\x9f\xbf", false);
	/* lone continuation, bad lead bytes */
	repair_is("a\x80" "b", 3, "a" FFFD "b", true);
	repair_is("\xff\xfe", 2, FFFD FFFD, true);
	repair_is("\xc0\xaf", 2, FFFD FFFD, true);	/* overlong '/' */
	repair_is("\xc1\xbf", 2, FFFD FFFD, true);
	repair_is("\xe0\x80\xaf", 3, FFFD FFFD FFFD, true);	/* overlong 3-byte */
	repair_is("\xed\xa0\x80", 3, FFFD FFFD FFFD, true);	/* surrogate */
	repair_is("\xf0\x80\x80\x80", 4, FFFD FFFD FFFD FFFD, true);
	repair_is("\xf4\x90\x80\x80", 4, FFFD FFFD FFFD FFFD, true);	/* > U+10FFFF */
	repair_is("\xf5\x80", 2, FFFD FFFD, true);
	/* truncated sequences: one U+FFFD for the maximal subpart */
	repair_is("\xe2\x82", 2, FFFD, true);
	repair_is("\xe2\x82x", 3, FFFD "x", true);
	repair_is("\xf0\x9f\x98", 3, FFFD, true);
	repair_is("\xf0\x9f\x98\xc3\xa9", 5, FFFD "\xc3\xa9", true);
	repair_is("\xc3", 1, FFFD, true);
	/* invalid in the middle of a long ASCII run (word-at-a-time path) */
	repair_is("0123456789abcdef\xff" "0123456789", 27, "0123456789abcdef" FFFD "0123456789", true);
}

/*
 * ref_valid
 *		Independent reference: decodes code points arithmetically and checks
 *		the ranges, instead of following the byte table.
 */
static bool
ref_valid(const unsigned char *s, size_t len)
{
	size_t		i = 0;

	while (i < len)
	{
		unsigned	c = s[i];
		unsigned	cp;
		size_t		n,
					k;

		if (c < 0x80)
		{
			i++;
			continue;
		}
		if ((c & 0xE0) == 0xC0)
		{
			n = 2;
			cp = c & 0x1F;
		}
		else if ((c & 0xF0) == 0xE0)
		{
			n = 3;
			cp = c & 0x0F;
		}
		else if ((c & 0xF8) == 0xF0)
		{
			n = 4;
			cp = c & 0x07;
		}
		else
			return false;
		if (i + n > len)
			return false;
		for (k = 1; k < n; k++)
		{
			if ((s[i + k] & 0xC0) != 0x80)
				return false;
			cp = (cp << 6) | (s[i + k] & 0x3F);
		}
		if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) ||
			(n == 4 && cp < 0x10000) || cp > 0x10FFFF ||
			(cp >= 0xD800 && cp <= 0xDFFF))
			return false;
		i += n;
	}
	return true;
}

/* Every 1-, 2- and 3-byte string over interesting bytes agrees with ref. */
static void
test_utf8_exhaustive(void **state)
{
	static const unsigned char bytes[] = {
		0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC1,
		0xC2, 0xDF, 0xE0, 0xE1, 0xEC, 0xED, 0xEE, 0xEF, 0xF0, 0xF1, 0xF3,
		0xF4, 0xF5, 0xF8, 0xFF
	};
	size_t		nb = sizeof(bytes);
	size_t		a,
				b,
				c,
				d;

	for (a = 0; a < nb; a++)
		for (b = 0; b < nb; b++)
			for (c = 0; c < nb; c++)
				for (d = 0; d < nb; d++)
				{
					unsigned char s[4] = {bytes[a], bytes[b], bytes[c], bytes[d]};
					size_t		len;

					for (len = 1; len <= 4; len++)
					{
						char		out[16];
						bool		bad = false;
						size_t		n;

						if (sage_enc_utf8_valid((char *) s, len) != ref_valid(s, len))
							fail_msg("%02x %02x %02x %02x (len %zu) disagrees",
									 s[0], s[1], s[2], s[3], len);
						n = sage_enc_utf8_repair((char *) s, len, out, &bad);
						assert_true(n <= len * SAGE_ENC_MAX_GROWTH);
						assert_int_equal(bad, !ref_valid(s, len));
						/* the repaired text is always valid */
						assert_true(ref_valid((unsigned char *) out, n));
					}
				}
}

static void
test_single_byte(void **state)
{
	char		out[64];
	bool		bad = false;
	size_t		n;

	n = sage_enc_to_utf8(SAGE_ENC_LATIN1, "Jos\xe9 \x80\xff", 7, out, &bad);
	out[n] = '\0';
	assert_string_equal(out, "Jos\xc3\xa9 \xc2\x80\xc3\xbf");
	assert_false(bad);

	n = sage_enc_to_utf8(SAGE_ENC_WINDOWS1252, "\x80\x93q\x94\x9f\xa0\xe9", 7, out, &bad);
	out[n] = '\0';
	assert_string_equal(out, "\xe2\x82\xac\xe2\x80\x9cq\xe2\x80\x9d\xc5\xb8\xc2\xa0\xc3\xa9");
	assert_false(bad);

	/* the five undefined windows-1252 bytes */
	n = sage_enc_to_utf8(SAGE_ENC_WINDOWS1252, "\x81\x8d\x8f\x90\x9d", 5, out, &bad);
	out[n] = '\0';
	assert_string_equal(out, FFFD FFFD FFFD FFFD FFFD);
	assert_true(bad);

	/* UTF-8 goes through repair */
	bad = false;
	n = sage_enc_to_utf8(SAGE_ENC_UTF8, "a\xff", 2, out, &bad);
	out[n] = '\0';
	assert_string_equal(out, "a" FFFD);
	assert_true(bad);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ascii),
		cmocka_unit_test(test_utf8_repair),
		cmocka_unit_test(test_utf8_exhaustive),
		cmocka_unit_test(test_single_byte),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
