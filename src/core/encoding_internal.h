/*-------------------------------------------------------------------------
 *
 * src/core/encoding_internal.h
 *		UTF-8 validation and repair, and latin-1 / windows-1252 -> UTF-8
 *		conversion, for the readers of src/core.
 *
 * Readers keep cells in place when they are already valid UTF-8 (the
 * usual case, checked with a fast ASCII path) and only copy a cell that
 * needs converting into a side buffer. Every conversion writes at most
 * SAGE_ENC_MAX_GROWTH output bytes per input byte, so a caller can size
 * that buffer before converting.
 *
 *-------------------------------------------------------------------------
 */
#ifndef SAGE_ENCODING_INTERNAL_H
#define SAGE_ENCODING_INTERNAL_H

#include "sage/record.h"

/* Most output bytes one input byte can become (U+FFFD and the euro sign). */
#define SAGE_ENC_MAX_GROWTH 3

/* Offset of the first byte >= 0x80 in s[0..len), or len. */
size_t		sage_enc_ascii_prefix(const char *s, size_t len);

/* True when s[0..len) holds only ASCII bytes (< 0x80). */
bool		sage_enc_is_ascii(const char *s, size_t len);

/*
 * True when s[0..len) is well-formed UTF-8 (no overlong forms, surrogates
 * or code points above U+10FFFF).
 */
bool		sage_enc_utf8_valid(const char *s, size_t len);

/*
 * Copies s[0..len) to out replacing every maximal ill-formed subsequence
 * with U+FFFD (as Python's errors="replace" and the WHATWG decoder do).
 * out needs SAGE_ENC_MAX_GROWTH * len bytes; returns the bytes written and
 * sets *bad when something was replaced.
 */
size_t		sage_enc_utf8_repair(const char *s, size_t len, char *out, bool *bad);

/*
 * Converts latin-1 or windows-1252 text to UTF-8 (SAGE_ENC_UTF8 repairs).
 * The five bytes windows-1252 leaves undefined (0x81 0x8D 0x8F 0x90 0x9D)
 * become U+FFFD and set *bad, as Python's strict codec would refuse them.
 * out needs SAGE_ENC_MAX_GROWTH * len bytes; returns the bytes written.
 */
size_t		sage_enc_to_utf8(SageEncoding enc, const char *s, size_t len,
							 char *out, bool *bad);

/*
 * Length of the valid UTF-8 sequence at s (avail bytes left): 1 for
 * ASCII, 2-4 for a well-formed sequence, 0 when it is invalid (overlong,
 * surrogate, past U+10FFFF or truncated).
 */
size_t		sage_utf8_seq_len(const unsigned char *s, size_t avail);

/* Writes cp as UTF-8 at out (room for 4 bytes); returns the length. */
size_t		sage_utf8_put(char *out, uint32_t cp);

#endif							/* SAGE_ENCODING_INTERNAL_H */
