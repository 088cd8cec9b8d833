/*-------------------------------------------------------------------------
 *
 * src/core/regex.c
 *		PCRE2 wrapper for the rule language: Python `re` syntax translated
 *		to PCRE2, JIT compiled once per pattern, matched under limits.
 *
 * Python semantics on str patterns are obtained with PCRE2_UTF|PCRE2_UCP
 * (\d \w \s \b are Unicode-aware) and a LF newline convention (`.` and `$`
 * treat only "\n" as a line end, like Python). The syntax that differs is
 * translated (\Z -> \z, \v -> \x0b, \uXXXX -> \x{XXXX}, \12 -> \g{12},
 * {,n} -> {0,n}, a `[` inside a class is literal in Python) and whatever
 * means something else in PCRE2 and cannot be translated is refused when
 * the rule is compiled (\p, \h, \K, (?|...), recursion, the a/L flags,
 * global flags that are not at the start).
 *
 * Compiled code: JIT machine code is not allocated through PCRE2's memory
 * hooks, so it cannot live in the rule's arena. Compiled patterns are
 * therefore kept in a small process-wide cache keyed by translated text
 * and options (configurations are loaded again and again with the same
 * patterns, so the cache stays tiny and nothing leaks per load). Past
 * REGEX_CACHE_MAX entries, patterns are compiled into the caller's arena
 * without JIT (slower, but still bounded and leak-free).
 *
 * Limits: a match limit and a depth/heap limit make catastrophic
 * backtracking ("(a+)+$" against a long subject) fail quickly with an
 * error that the processor reports as a rule_error; a JIT stack overflow
 * retries the subject with the interpreter, which honours the same limits.
 *
 *-------------------------------------------------------------------------
 */
#define PCRE2_CODE_UNIT_WIDTH 8

#include "regex_internal.h"
#include "encoding_internal.h"

#include <pcre2.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Most distinct patterns kept JIT-compiled for the life of the process. */
#define REGEX_CACHE_MAX 1024
/* Backtracking steps allowed per subject. */
#define REGEX_MATCH_LIMIT 2000000
/* Nesting of backtracking frames allowed per subject (interpreter). */
#define REGEX_DEPTH_LIMIT 5000
/* Heap for backtracking frames per subject, KiB (interpreter). */
#define REGEX_HEAP_LIMIT_KB 8192

struct SageRegex
{
	pcre2_code *code;			/* compiled pattern (cache or arena) */
	bool		jit;			/* JIT code is available */
	SageRegexMode mode;			/* how it was compiled */
};

struct SageRegexMatcher
{
	const SageRegex *re;		/* pattern */
	pcre2_general_context *gctx;	/* allocates from the scratch arena */
	pcre2_match_context *mctx;	/* limits */
	pcre2_match_data *md;		/* ovector for one match */
};

/* An entry of the process-wide cache of JIT-compiled patterns. */
typedef struct RegexCacheEntry
{
	struct RegexCacheEntry *next;	/* older entries */
	uint32_t	options;		/* compile options */
	size_t		len;			/* translated pattern length */
	char	   *pattern;		/* translated pattern (malloc) */
	SageRegex	regex;			/* the compiled pattern */
} RegexCacheEntry;

static pthread_mutex_t regex_cache_lock = PTHREAD_MUTEX_INITIALIZER;
static RegexCacheEntry *regex_cache;
static int	regex_cache_count;

/* ------------------------------------------------------- arena hooks */

/* PCRE2 allocation hook: memory comes from the arena passed as data. */
static void *
regex_arena_malloc(PCRE2_SIZE size, void *data)
{
	return sage_alloc((SageArena *) data, size == 0 ? 1 : size);
}

/* PCRE2 release hook: arena memory is freed with the arena. */
static void
regex_arena_free(void *ptr, void *data)
{
}

/* ------------------------------------------------------ translation */

/* A growing output buffer for the translated pattern. */
typedef struct RegexBuf
{
	SageArena  *arena;			/* where the buffer lives */
	char	   *data;			/* bytes written so far */
	size_t		len;			/* used bytes */
	size_t		cap;			/* allocated bytes */
	bool		oom;			/* an allocation failed */
} RegexBuf;

/* Appends n bytes, growing the buffer geometrically. */
static void
regex_buf_put(RegexBuf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap)
	{
		size_t		ncap = b->cap ? b->cap * 2 : 64;
		char	   *nd;

		while (ncap < b->len + n + 1)
			ncap *= 2;
		nd = sage_realloc(b->arena, b->data, b->cap, ncap);
		if (nd == NULL)
		{
			b->oom = true;
			return;
		}
		b->data = nd;
		b->cap = ncap;
	}
	memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
}

static bool
regex_is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static bool
regex_is_octal(char c)
{
	return c >= '0' && c <= '7';
}

/*
 * regex_escape
 *		Translates one backslash escape at p[*i] (the backslash) and advances
 *		*i past it. Python's rules: unknown escapes of ASCII letters are
 *		errors; other characters are literal.
 */
static bool
regex_escape(RegexBuf *b, const char *p, size_t len, size_t *i, bool in_class,
			 char *reason, size_t rlen)
{
	size_t		k = *i + 1;
	char		c;
	char		tmp[32];

	if (k >= len)
	{
		snprintf(reason, rlen, "bad escape (end of pattern)");
		return false;
	}
	c = p[k];
	switch (c)
	{
		case 'd':
		case 'D':
		case 's':
		case 'S':
		case 'w':
		case 'W':
		case 'a':
		case 'f':
		case 'n':
		case 'r':
		case 't':
			regex_buf_put(b, p + *i, 2);
			*i = k + 1;
			return true;
		case 'b':
			/* word boundary outside a class, backspace inside: as PCRE2 */
			regex_buf_put(b, p + *i, 2);
			*i = k + 1;
			return true;
		case 'A':
		case 'B':
		case 'Z':
			if (in_class)
			{
				snprintf(reason, rlen, "bad escape \\%c in a character class", c);
				return false;
			}
			regex_buf_put(b, c == 'Z' ? "\\z" : (c == 'A' ? "\\A" : "\\B"), 2);
			*i = k + 1;
			return true;
		case 'v':
			/* Python: the vertical tab; PCRE2: any vertical space */
			regex_buf_put(b, "\\x0b", 4);
			*i = k + 1;
			return true;
		case 'x':
			if (k + 2 < len && regex_is_hex(p[k + 1]) && regex_is_hex(p[k + 2]))
			{
				regex_buf_put(b, p + *i, 4);
				*i = k + 3;
				return true;
			}
			snprintf(reason, rlen, "incomplete escape \\x");
			return false;
		case 'u':
		case 'U':
			{
				int			nd = c == 'u' ? 4 : 8;
				unsigned long cp = 0;
				int			j;

				for (j = 1; j <= nd; j++)
				{
					if (k + j >= len || !regex_is_hex(p[k + j]))
					{
						snprintf(reason, rlen, "incomplete escape \\%c", c);
						return false;
					}
					cp = cp * 16 + (unsigned long) (p[k + j] <= '9' ? p[k + j] - '0' :
													((p[k + j] | 0x20) - 'a' + 10));
				}
				if (cp > 0x10FFFF)
				{
					snprintf(reason, rlen, "bad escape \\%c (code point out of range)", c);
					return false;
				}
				snprintf(tmp, sizeof(tmp), "\\x{%lx}", cp);
				regex_buf_put(b, tmp, strlen(tmp));
				*i = k + 1 + nd;
				return true;
			}
		default:
			break;
	}
	if (c >= '0' && c <= '9')
	{
		/* octal: \0, \0o, \0oo or three octal digits; else a group reference */
		if (c == '0' || in_class ||
			(k + 2 < len && regex_is_octal(c) && regex_is_octal(p[k + 1]) &&
			 regex_is_octal(p[k + 2])))
		{
			unsigned	v = 0;
			int			nd = 0;

			if (in_class && (c == '8' || c == '9'))
			{
				snprintf(reason, rlen, "bad escape \\%c in a character class", c);
				return false;
			}
			while (nd < 3 && k + nd < len && regex_is_octal(p[k + nd]))
			{
				v = v * 8 + (unsigned) (p[k + nd] - '0');
				nd++;
			}
			if (v > 0377)
			{
				snprintf(reason, rlen, "octal escape value out of range");
				return false;
			}
			snprintf(tmp, sizeof(tmp), "\\x{%x}", v);
			regex_buf_put(b, tmp, strlen(tmp));
			*i = k + (size_t) nd;
			return true;
		}
		else
		{
			int			g = c - '0';
			size_t		e = k + 1;

			if (e < len && p[e] >= '0' && p[e] <= '9')
			{
				g = g * 10 + (p[e] - '0');
				e++;
			}
			snprintf(tmp, sizeof(tmp), "\\g{%d}", g);
			regex_buf_put(b, tmp, strlen(tmp));
			*i = e;
			return true;
		}
	}
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
	{
		snprintf(reason, rlen, "bad escape \\%c", c);
		return false;
	}
	/* an escaped non-letter is itself; keep the whole UTF-8 sequence */
	regex_buf_put(b, p + *i, 2);
	*i = k + 1;
	return true;
}

/*
 * regex_group
 *		Translates the "(?..." opening at p[*i]; plain groups are copied.
 *		at_start says whether only flag groups precede it (Python requires
 *		global flags there; PCRE2 would apply them from the middle on).
 */
static bool
regex_group(RegexBuf *b, const char *p, size_t len, size_t *i, bool at_start,
			bool *was_flags, char *reason, size_t rlen)
{
	size_t		k = *i + 2;		/* after "(?" */
	char		c;

	*was_flags = false;
	if (k >= len)
	{
		snprintf(reason, rlen, "unexpected end of pattern after \"(?\"");
		return false;
	}
	c = p[k];
	if (c == ':' || c == '=' || c == '!' || c == '#' || c == '(' || c == '>')
	{
		regex_buf_put(b, p + *i, 3);
		*i = k + 1;
		return true;
	}
	if (c == '<')
	{
		/* lookbehind (?<= (?<! or a named group (?<name> */
		regex_buf_put(b, p + *i, 3);
		*i = k + 1;
		return true;
	}
	if (c == 'P')
	{
		if (k + 1 < len && (p[k + 1] == '<' || p[k + 1] == '='))
		{
			regex_buf_put(b, p + *i, 4);
			*i = k + 2;
			return true;
		}
		snprintf(reason, rlen, "unknown extension ?P%c", k + 1 < len ? p[k + 1] : ' ');
		return false;
	}
	/* flags: (?imsx-imsx:...) scoped, or (?imsx) global */
	{
		size_t		e = k;
		bool		neg = false;
		RegexBuf   *out = b;

		while (e < len && p[e] != ')' && p[e] != ':')
		{
			char		f = p[e];

			if (f == '-' && !neg)
				neg = true;
			else if (f == 'i' || f == 'm' || f == 's' || f == 'x' || f == 'u')
				;
			else if (f == 'a' || f == 'L')
			{
				snprintf(reason, rlen, "the regular expression flag \"%c\" is not supported", f);
				return false;
			}
			else
			{
				snprintf(reason, rlen, "unknown extension ?%c", f);
				return false;
			}
			e++;
		}
		if (e >= len)
		{
			snprintf(reason, rlen, "missing -, : or ) after \"(?\"");
			return false;
		}
		if (p[e] == ')')
		{
			if (neg)
			{
				snprintf(reason, rlen, "missing : after flags");
				return false;
			}
			if (!at_start)
			{
				snprintf(reason, rlen, "global flags not at the start of the expression");
				return false;
			}
			*was_flags = true;
		}
		regex_buf_put(out, "(?", 2);
		for (size_t j = k; j < e; j++)
			if (p[j] != 'u')
				regex_buf_put(out, p + j, 1);
		regex_buf_put(out, p + e, 1);
		*i = e + 1;
		return true;
	}
}

/*
 * regex_translate
 *		Python `re` syntax -> PCRE2 syntax (see the file header).
 */
static bool
regex_translate(RegexBuf *b, const char *p, size_t len, char *reason, size_t rlen)
{
	size_t		i = 0;
	bool		in_class = false;
	size_t		class_first = 0;	/* offset of the first char in the class */
	bool		at_start = true;

	while (i < len)
	{
		char		c = p[i];

		if (c == '\\')
		{
			if (!regex_escape(b, p, len, &i, in_class, reason, rlen))
				return false;
			at_start = false;
			continue;
		}
		if (in_class)
		{
			if (c == ']' && i > class_first)
				in_class = false;
			else if (c == '[')
			{
				/* literal in Python; PCRE2 would read [: :] [. .] [= =] */
				regex_buf_put(b, "\\[", 2);
				i++;
				continue;
			}
			regex_buf_put(b, p + i, 1);
			i++;
			continue;
		}
		if (c == '[')
		{
			in_class = true;
			regex_buf_put(b, p + i, 1);
			i++;
			if (i < len && p[i] == '^')
			{
				regex_buf_put(b, p + i, 1);
				i++;
			}
			class_first = i;
			at_start = false;
			continue;
		}
		if (c == '(' && i + 1 < len && p[i + 1] == '?')
		{
			bool		was_flags;

			if (!regex_group(b, p, len, &i, at_start, &was_flags, reason, rlen))
				return false;
			if (!was_flags)
				at_start = false;
			continue;
		}
		if (c == '(' && i + 1 < len && p[i + 1] == '*')
		{
			snprintf(reason, rlen, "nothing to repeat");
			return false;
		}
		if (c == '{' && i + 1 < len && p[i + 1] == ',')
		{
			size_t		e = i + 2;

			while (e < len && p[e] >= '0' && p[e] <= '9')
				e++;
			if (e > i + 2 && e < len && p[e] == '}')
			{
				regex_buf_put(b, "{0", 2);
				i++;
				continue;
			}
		}
		regex_buf_put(b, p + i, 1);
		i++;
		at_start = false;
	}
	if (in_class)
	{
		snprintf(reason, rlen, "unterminated character set");
		return false;
	}
	return true;
}

/* ---------------------------------------------------------- compiling */

/* Compiles translated text with options; general context gctx may be NULL. */
static pcre2_code *
regex_pcre2_compile(const char *pat, size_t len, uint32_t options,
					pcre2_general_context *gctx, char *reason, size_t rlen)
{
	pcre2_compile_context *cctx;
	pcre2_code *code;
	int			errcode;
	PCRE2_SIZE	erroff;

	cctx = pcre2_compile_context_create(gctx);
	if (cctx == NULL)
	{
		snprintf(reason, rlen, "out of memory");
		return NULL;
	}
	pcre2_set_newline(cctx, PCRE2_NEWLINE_LF);
	pcre2_set_parens_nest_limit(cctx, 200);
	code = pcre2_compile((PCRE2_SPTR) pat, len, options, &errcode, &erroff, cctx);
	pcre2_compile_context_free(cctx);
	if (code == NULL)
	{
		PCRE2_UCHAR msg[256];

		if (pcre2_get_error_message(errcode, msg, sizeof(msg)) < 0)
			strcpy((char *) msg, "unknown error");
		snprintf(reason, rlen, "%s at offset %zu of the pattern", (char *) msg,
				 (size_t) erroff);
	}
	return code;
}

SageRegex *
sage_regex_compile(SageArena *arena, const char *pattern, size_t len,
				   SageRegexMode mode, bool caseless, bool literal,
				   char *reason, size_t reasonlen, SageError *err)
{
	RegexBuf	buf = {arena, NULL, 0, 0, false};
	uint32_t	options = PCRE2_UTF | PCRE2_UCP | PCRE2_MATCH_INVALID_UTF;
	RegexCacheEntry *e;
	SageRegex  *re;
	uint32_t	jit_ok = 0;

	reason[0] = '\0';
	if (literal)
	{
		/* every ASCII punctuation character escaped: a plain string */
		for (size_t i = 0; i < len; i++)
		{
			unsigned char c = (unsigned char) pattern[i];

			if (c < 0x80 && !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
							  (c >= 'A' && c <= 'Z') || c == ' '))
			{
				if (c < 0x20 || c == 0x7f)
				{
					char		hex[8];

					snprintf(hex, sizeof(hex), "\\x%02x", c);
					regex_buf_put(&buf, hex, 4);
					continue;
				}
				regex_buf_put(&buf, "\\", 1);
			}
			regex_buf_put(&buf, pattern + i, 1);
		}
	}
	else if (!regex_translate(&buf, pattern, len, reason, reasonlen))
		return NULL;
	if (buf.data == NULL)
		regex_buf_put(&buf, "", 0);
	if (buf.oom)
	{
		sage_error_memory(err, NULL);
		return NULL;
	}
	if (caseless)
		options |= PCRE2_CASELESS;
	if (mode != SAGE_REGEX_SEARCH)
		options |= PCRE2_ANCHORED;
	if (mode == SAGE_REGEX_FULLMATCH)
		options |= PCRE2_ENDANCHORED;

	re = sage_alloc0(arena, sizeof(SageRegex));
	if (re == NULL)
	{
		sage_error_memory(err, NULL);
		return NULL;
	}
	re->mode = mode;

	pthread_mutex_lock(&regex_cache_lock);
	for (e = regex_cache; e != NULL; e = e->next)
	{
		if (e->options == options && e->len == buf.len &&
			memcmp(e->pattern, buf.data, buf.len) == 0)
			break;
	}
	if (e != NULL)
	{
		*re = e->regex;
		re->mode = mode;
		pthread_mutex_unlock(&regex_cache_lock);
		return re;
	}
	pcre2_config(PCRE2_CONFIG_JIT, &jit_ok);
	if (jit_ok && regex_cache_count < REGEX_CACHE_MAX)
	{
		pcre2_code *code = regex_pcre2_compile(buf.data, buf.len, options, NULL,
											   reason, reasonlen);

		if (code == NULL)
		{
			pthread_mutex_unlock(&regex_cache_lock);
			return NULL;
		}
		e = malloc(sizeof(RegexCacheEntry));
		if (e != NULL)
			e->pattern = malloc(buf.len + 1);
		if (e == NULL || e->pattern == NULL)
		{
			free(e);
			pcre2_code_free(code);
			pthread_mutex_unlock(&regex_cache_lock);
			sage_error_memory(err, NULL);
			return NULL;
		}
		memcpy(e->pattern, buf.data, buf.len + 1);
		e->len = buf.len;
		e->options = options;
		e->regex.code = code;
		e->regex.mode = mode;
		e->regex.jit = pcre2_jit_compile(code, PCRE2_JIT_COMPLETE) == 0;
		e->next = regex_cache;
		regex_cache = e;
		regex_cache_count++;
		*re = e->regex;
		pthread_mutex_unlock(&regex_cache_lock);
		return re;
	}
	pthread_mutex_unlock(&regex_cache_lock);

	/* cache full or no JIT: interpreted code in the caller's arena */
	{
		pcre2_general_context *gctx =
			pcre2_general_context_create(regex_arena_malloc, regex_arena_free, arena);

		if (gctx == NULL)
		{
			sage_error_memory(err, NULL);
			return NULL;
		}
		re->code = regex_pcre2_compile(buf.data, buf.len, options, gctx, reason,
									   reasonlen);
		if (re->code == NULL)
		{
			if (sage_arena_failed(arena))
			{
				reason[0] = '\0';
				sage_error_memory(err, NULL);
			}
			return NULL;
		}
		re->jit = false;
	}
	return re;
}

char *
sage_regex_translate_replacement(SageArena *arena, const char *repl, size_t len,
								 size_t *outlen, char *reason, size_t reasonlen)
{
	RegexBuf	b = {arena, NULL, 0, 0, false};
	size_t		i = 0;
	char		tmp[300];

	regex_buf_put(&b, "", 0);
	while (i < len)
	{
		char		c = repl[i];

		if (c == '$')
		{
			regex_buf_put(&b, "$$", 2);
			i++;
			continue;
		}
		if (c != '\\')
		{
			regex_buf_put(&b, repl + i, 1);
			i++;
			continue;
		}
		if (i + 1 >= len)
		{
			snprintf(reason, reasonlen, "bad escape (end of replacement)");
			return NULL;
		}
		c = repl[i + 1];
		if (c >= '0' && c <= '9')
		{
			size_t		e = i + 2;

			if (c == '0' || (e + 1 < len && regex_is_octal(c) &&
							 regex_is_octal(repl[e]) && regex_is_octal(repl[e + 1])))
			{
				snprintf(reason, reasonlen, "octal escapes are not supported in a replacement");
				return NULL;
			}
			if (e < len && repl[e] >= '0' && repl[e] <= '9')
				e++;
			snprintf(tmp, sizeof(tmp), "${%.*s}", (int) (e - i - 1), repl + i + 1);
			regex_buf_put(&b, tmp, strlen(tmp));
			i = e;
			continue;
		}
		if (c == 'g')
		{
			size_t		e = i + 2;

			if (e >= len || repl[e] != '<')
			{
				snprintf(reason, reasonlen, "missing < after \\g");
				return NULL;
			}
			e++;
			while (e < len && repl[e] != '>')
			{
				char		n = repl[e];

				if (!((n >= '0' && n <= '9') || (n >= 'a' && n <= 'z') ||
					  (n >= 'A' && n <= 'Z') || n == '_'))
				{
					snprintf(reason, reasonlen, "bad character in group name");
					return NULL;
				}
				e++;
			}
			if (e >= len || e == i + 3 || e - i - 3 > 200)
			{
				snprintf(reason, reasonlen, "bad group name in \\g<...>");
				return NULL;
			}
			snprintf(tmp, sizeof(tmp), "${%.*s}", (int) (e - i - 3), repl + i + 3);
			regex_buf_put(&b, tmp, strlen(tmp));
			i = e + 1;
			continue;
		}
		switch (c)
		{
			case 'n':
				regex_buf_put(&b, "\n", 1);
				break;
			case 't':
				regex_buf_put(&b, "\t", 1);
				break;
			case 'r':
				regex_buf_put(&b, "\r", 1);
				break;
			case 'f':
				regex_buf_put(&b, "\f", 1);
				break;
			case 'v':
				regex_buf_put(&b, "\v", 1);
				break;
			case 'a':
				regex_buf_put(&b, "\a", 1);
				break;
			case 'b':
				regex_buf_put(&b, "\b", 1);
				break;
			case '\\':
				regex_buf_put(&b, "\\", 1);
				break;
			default:
				if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
				{
					snprintf(reason, reasonlen, "bad escape \\%c in the replacement", c);
					return NULL;
				}
				/* unknown non-letter escapes are kept as written */
				regex_buf_put(&b, "\\", 1);
				if (c == '$')
					regex_buf_put(&b, "$$", 2);
				else
					regex_buf_put(&b, repl + i + 1, 1);
				break;
		}
		i += 2;
	}
	if (b.oom)
	{
		snprintf(reason, reasonlen, "out of memory");
		return NULL;
	}
	*outlen = b.len;
	return b.data;
}

/* ----------------------------------------------------------- matching */

SageRegexMatcher *
sage_regex_matcher_new(SageArena *scratch, const SageRegex *re)
{
	SageRegexMatcher *m = sage_alloc0(scratch, sizeof(SageRegexMatcher));

	if (m == NULL)
		return NULL;
	m->re = re;
	m->gctx = pcre2_general_context_create(regex_arena_malloc, regex_arena_free, scratch);
	if (m->gctx == NULL)
		return NULL;
	m->mctx = pcre2_match_context_create(m->gctx);
	if (m->mctx == NULL)
		return NULL;
	pcre2_set_match_limit(m->mctx, REGEX_MATCH_LIMIT);
	pcre2_set_depth_limit(m->mctx, REGEX_DEPTH_LIMIT);
	pcre2_set_heap_limit(m->mctx, REGEX_HEAP_LIMIT_KB);
	m->md = pcre2_match_data_create_from_pattern(re->code, m->gctx);
	if (m->md == NULL)
		return NULL;
	return m;
}

/* Turns a PCRE2 matching failure into a rule error. */
static int
regex_fail(int rc, SageError *err)
{
	PCRE2_UCHAR msg[256];

	if (rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT ||
		rc == PCRE2_ERROR_HEAPLIMIT || rc == PCRE2_ERROR_JIT_STACKLIMIT)
	{
		sage_error_set(err, SAGE_ERR_RULE,
					   "regular expression exceeded its backtracking limit");
		sage_error_hint(err, "Simplify the pattern: nested repetitions such as (a+)+ backtrack exponentially.");
		return -1;
	}
	if (rc == PCRE2_ERROR_NOMEMORY)
		return sage_error_memory(err, NULL);
	if (pcre2_get_error_message(rc, msg, sizeof(msg)) < 0)
		strcpy((char *) msg, "unknown error");
	return sage_error_set(err, SAGE_ERR_RULE, "regular expression matching failed: %s",
						  (char *) msg);
}

int
sage_regex_match(SageRegexMatcher *m, const char *s, size_t len, SageError *err)
{
	int			rc;

	/*
	 * ASCII text is valid UTF-8, so the JIT code can be entered directly,
	 * skipping pcre2_match()'s argument and UTF checks (a large part of a
	 * short cell's cost); other text takes the checked path.
	 */
	if (m->re->jit && sage_enc_is_ascii(s, len))
		rc = pcre2_jit_match(m->re->code, (PCRE2_SPTR) s, len, 0, 0, m->md, m->mctx);
	else
		rc = pcre2_match(m->re->code, (PCRE2_SPTR) s, len, 0, 0, m->md, m->mctx);
	if (rc == PCRE2_ERROR_JIT_STACKLIMIT)
		rc = pcre2_match(m->re->code, (PCRE2_SPTR) s, len, 0, PCRE2_NO_JIT, m->md,
						 m->mctx);
	if (rc >= 0)
		return 1;
	if (rc == PCRE2_ERROR_NOMATCH)
		return 0;
	return regex_fail(rc, err);
}

int
sage_regex_replace(SageRegexMatcher *m, SageArena *arena, const char *s, size_t len,
				   const char *repl, size_t rlen, const char **out, size_t *outlen,
				   SageError *err)
{
	PCRE2_SIZE	cap = len + rlen + 64;
	int			attempt;

	for (attempt = 0; attempt < 2; attempt++)
	{
		char	   *buf = sage_alloc(arena, cap + 1);
		PCRE2_SIZE	olen = cap + 1;
		int			rc;

		if (buf == NULL)
			return sage_error_memory(err, NULL);
		rc = pcre2_substitute(m->re->code, (PCRE2_SPTR) s, len, 0,
							  PCRE2_SUBSTITUTE_GLOBAL | PCRE2_SUBSTITUTE_OVERFLOW_LENGTH |
							  PCRE2_SUBSTITUTE_UNSET_EMPTY,
							  m->md, m->mctx, (PCRE2_SPTR) repl, rlen,
							  (PCRE2_UCHAR *) buf, &olen);
		if (rc >= 0)
		{
			buf[olen] = '\0';
			*out = buf;
			*outlen = olen;
			return 0;
		}
		if (rc == PCRE2_ERROR_NOMEMORY && attempt == 0)
		{
			cap = olen;
			continue;
		}
		if (rc == PCRE2_ERROR_NOSUBSTRING || rc == PCRE2_ERROR_BADREPLACEMENT ||
			rc == PCRE2_ERROR_BADREPESCAPE || rc == PCRE2_ERROR_REPMISSINGBRACE)
			return sage_error_set(err, SAGE_ERR_RULE,
								  "invalid group reference in the replacement");
		return regex_fail(rc, err);
	}
	return regex_fail(PCRE2_ERROR_NOMEMORY, err);
}
