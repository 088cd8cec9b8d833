/*-------------------------------------------------------------------------
 *
 * src/core/regex_internal.h
 *		Regular expressions of rules (.str.match, .str.fullmatch,
 *		.str.contains, .str.replace): Python `re` syntax translated to
 *		PCRE2, compiled once when the rule is compiled, matched with match
 *		limits so that catastrophic backtracking becomes a run-time error.
 *
 *-------------------------------------------------------------------------
 */
#ifndef SAGE_REGEX_INTERNAL_H
#define SAGE_REGEX_INTERNAL_H

#include "sage/common.h"

/* How a pattern is applied to a subject. */
typedef enum SageRegexMode
{
	SAGE_REGEX_SEARCH = 0,		/* re.search: anywhere */
	SAGE_REGEX_MATCH,			/* re.match: anchored at the start */
	SAGE_REGEX_FULLMATCH		/* re.fullmatch: the whole subject */
} SageRegexMode;

/* A compiled pattern; immutable and shareable once compiled. */
typedef struct SageRegex SageRegex;

/* Per-evaluation matching state (match data and limits) in a scratch arena. */
typedef struct SageRegexMatcher SageRegexMatcher;

/*
 * Translates a Python `re` pattern and compiles it (literal: the pattern is
 * a plain string, regex=False). On refusal returns NULL, writes the reason
 * (lower case, no period) into reason and leaves *err untouched unless
 * memory ran out (then err is filled and reason is empty).
 */
SageRegex  *sage_regex_compile(SageArena *arena, const char *pattern, size_t len,
							   SageRegexMode mode, bool caseless, bool literal,
							   char *reason, size_t reasonlen, SageError *err);

/*
 * Translates a Python re.sub replacement (\1, \g<name>, \n...) into PCRE2
 * substitution syntax; NULL with reason on an unsupported escape.
 */
char	   *sage_regex_translate_replacement(SageArena *arena, const char *repl, size_t len,
											 size_t *outlen, char *reason, size_t reasonlen);

/* Matching state for one evaluation; NULL when out of memory. */
SageRegexMatcher *sage_regex_matcher_new(SageArena *scratch, const SageRegex *re);

/*
 * 1 when the subject matches, 0 when not, -1 when a match limit was hit or
 * PCRE2 failed (err filled, SAGE_ERR_RULE).
 */
int			sage_regex_match(SageRegexMatcher *m, const char *s, size_t len, SageError *err);

/*
 * Replaces every match (re.sub) with repl (already translated); the result
 * goes into arena. 0 or -1 with err.
 */
int			sage_regex_replace(SageRegexMatcher *m, SageArena *arena,
							   const char *s, size_t len,
							   const char *repl, size_t rlen,
							   const char **out, size_t *outlen, SageError *err);

#endif							/* SAGE_REGEX_INTERNAL_H */
