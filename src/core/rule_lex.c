/*-------------------------------------------------------------------------
 *
 * src/core/rule_lex.c
 *		Lexer of the rule language: Python tokens (names, keywords, numbers,
 *		string literals with their escapes and prefixes, operators).
 *
 * Positions in messages are 1-based character columns: the byte offset of
 * a token is converted to code points so that a rule holding "año" still
 * points at the right character.
 *
 *-------------------------------------------------------------------------
 */
#include "rule_internal.h"
#include "encoding_internal.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Keyword spellings, indexed by RuleTokOp from KW_AND. */
static const char *const lex_keywords[] = {
	"and", "or", "not", "in", "is", "if", "else", "lambda", "True", "False", "None"
};

/* Python keywords outside the subset: refused with a clear message. */
static const char *const lex_forbidden_keywords[] = {
	"import", "from", "def", "class", "return", "yield", "await", "async",
	"for", "while", "with", "try", "except", "finally", "raise", "del",
	"global", "nonlocal", "assert", "pass", "break", "continue", "elif", "as"
};

const char *
sage_rule_tok_spelling(int op)
{
	switch (op)
	{
		case OPT_LPAR: return "(";
		case OPT_RPAR: return ")";
		case OPT_LBRACK: return "[";
		case OPT_RBRACK: return "]";
		case OPT_LBRACE: return "{";
		case OPT_RBRACE: return "}";
		case OPT_COMMA: return ",";
		case OPT_DOT: return ".";
		case OPT_COLON: return ":";
		case OPT_ASSIGN: return "=";
		case OPT_EQ: return "==";
		case OPT_NE: return "!=";
		case OPT_LT: return "<";
		case OPT_LE: return "<=";
		case OPT_GT: return ">";
		case OPT_GE: return ">=";
		case OPT_PLUS: return "+";
		case OPT_MINUS: return "-";
		case OPT_STAR: return "*";
		case OPT_SLASH: return "/";
		case OPT_DSLASH: return "/" "/";	/* floor division */
		case OPT_PERCENT: return "%";
		case OPT_POW: return "**";
		case OPT_AMP: return "&";
		case OPT_PIPE: return "|";
		case OPT_CARET: return "^";
		case OPT_TILDE: return "~";
		case CMP_NOT_IN: return "not in";
		case CMP_IS_NOT: return "is not";
		default:
			if (op >= KW_AND && op <= KW_NONE)
				return lex_keywords[op - KW_AND];
			return "?";
	}
}

int
sage_rule_position(const char *text, size_t off)
{
	int			pos = 1;
	size_t		i;

	for (i = 0; i < off && text[i] != '\0'; i++)
		if (((unsigned char) text[i] & 0xC0) != 0x80)
			pos++;
	/* off points at a continuation byte only for invalid text: count it */
	return pos;
}

int
sage_rule_error_at(SageError *err, const char *text, size_t off, const char *fmt,...)
{
	char		msg[400];
	va_list		ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return sage_error_set(err, SAGE_ERR_RULE, "%s at position %d", msg,
						  sage_rule_position(text, off));
}

static bool
lex_is_name_start(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80;
}

static bool
lex_is_name_char(unsigned char c)
{
	return lex_is_name_start(c) || (c >= '0' && c <= '9');
}

static int
lex_hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * lex_string
 *		Scans a string literal whose opening quote is at lx->pos (prefix
 *		already consumed, raw says r'...'), decoding Python escapes.
 */
static int
lex_string(RuleLexer *lx, RuleToken *tok, size_t start, bool raw)
{
	const char *t = lx->text;
	char		q = t[lx->pos];
	bool		triple = lx->pos + 2 < lx->len && t[lx->pos + 1] == q && t[lx->pos + 2] == q;
	size_t		i = lx->pos + (triple ? 3 : 1);
	char	   *out = sage_alloc(lx->arena, lx->len - lx->pos + 1);
	size_t		n = 0;

	if (out == NULL)
		return sage_error_memory(lx->err, NULL);
	for (;;)
	{
		char		c;

		if (i >= lx->len)
			return sage_rule_error_at(lx->err, t, start, "unterminated string literal");
		c = t[i];
		if (c == q && (!triple || (i + 2 < lx->len && t[i + 1] == q && t[i + 2] == q)))
		{
			i += triple ? 3 : 1;
			break;
		}
		if ((c == '\n' || c == '\r') && !triple)
			return sage_rule_error_at(lx->err, t, start, "unterminated string literal");
		if (c != '\\')
		{
			out[n++] = c;
			i++;
			continue;
		}
		/* a backslash */
		if (i + 1 >= lx->len)
			return sage_rule_error_at(lx->err, t, start, "unterminated string literal");
		if (raw)
		{
			/* kept as written; it still protects the next quote */
			out[n++] = '\\';
			out[n++] = t[i + 1];
			i += 2;
			continue;
		}
		c = t[i + 1];
		i += 2;
		switch (c)
		{
			case '\n':
				break;
			case '\\':
				out[n++] = '\\';
				break;
			case '\'':
				out[n++] = '\'';
				break;
			case '"':
				out[n++] = '"';
				break;
			case 'a':
				out[n++] = '\a';
				break;
			case 'b':
				out[n++] = '\b';
				break;
			case 'f':
				out[n++] = '\f';
				break;
			case 'n':
				out[n++] = '\n';
				break;
			case 'r':
				out[n++] = '\r';
				break;
			case 't':
				out[n++] = '\t';
				break;
			case 'v':
				out[n++] = '\v';
				break;
			case 'x':
			case 'u':
			case 'U':
				{
					int			nd = c == 'x' ? 2 : (c == 'u' ? 4 : 8);
					unsigned long cp = 0;
					int			j;

					for (j = 0; j < nd; j++)
					{
						int			h = i + (size_t) j < lx->len ? lex_hex(t[i + j]) : -1;

						if (h < 0)
							return sage_rule_error_at(lx->err, t, i - 2,
													  "truncated \\%c escape in string literal", c);
						cp = cp * 16 + (unsigned long) h;
					}
					if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
						return sage_rule_error_at(lx->err, t, i - 2,
												  "invalid \\%c escape in string literal", c);
					if (cp == 0)
						return sage_rule_error_at(lx->err, t, i - 2,
												  "NUL characters are not allowed in string literals");
					n += sage_utf8_put(out + n, (uint32_t) cp);
					i += (size_t) nd;
					break;
				}
			case 'N':
				return sage_rule_error_at(lx->err, t, i - 2,
										  "\\N{...} escapes are not supported");
			default:
				if (c >= '0' && c <= '7')
				{
					unsigned long cp = (unsigned long) (c - '0');
					int			j;

					for (j = 0; j < 2 && i < lx->len && t[i] >= '0' && t[i] <= '7'; j++)
						cp = cp * 8 + (unsigned long) (t[i++] - '0');
					if (cp == 0)
						return sage_rule_error_at(lx->err, t, i - 2,
												  "NUL characters are not allowed in string literals");
					n += sage_utf8_put(out + n, (uint32_t) cp);
					break;
				}
				/* unknown escapes keep the backslash, as Python does */
				out[n++] = '\\';
				out[n++] = c;
				break;
		}
	}
	out[n] = '\0';
	if (memchr(out, '\0', n) != NULL)
		return sage_rule_error_at(lx->err, t, start,
								  "NUL characters are not allowed in string literals");
	tok->kind = TOK_STR;
	tok->str = out;
	tok->len = n;
	tok->raw = raw;
	lx->pos = i;
	return 0;
}

/* Scans a number at lx->pos (a digit, or "." followed by a digit). */
static int
lex_number(RuleLexer *lx, RuleToken *tok)
{
	const char *t = lx->text;
	size_t		start = lx->pos;
	size_t		i = start;
	bool		is_float = false;
	char		buf[128];
	size_t		n = 0;

	if (t[i] == '0' && i + 1 < lx->len &&
		strchr("xXoObB", t[i + 1]) != NULL && t[i + 1] != '\0')
	{
		int			base = (t[i + 1] | 0x20) == 'x' ? 16 : ((t[i + 1] | 0x20) == 'o' ? 8 : 2);
		uint64_t	v = 0;
		int			digits = 0;

		i += 2;
		for (; i < lx->len; i++)
		{
			int			d;

			if (t[i] == '_')
				continue;
			d = lex_hex(t[i]);
			if (d < 0 || d >= base)
				break;
			if (v > (UINT64_MAX - (uint64_t) d) / (uint64_t) base)
				return sage_rule_error_at(lx->err, t, start, "integer literal out of range");
			v = v * (uint64_t) base + (uint64_t) d;
			digits++;
		}
		if (digits == 0 || (i < lx->len && lex_is_name_char((unsigned char) t[i])))
			return sage_rule_error_at(lx->err, t, start, "invalid number literal");
		if (v > (uint64_t) INT64_MAX)
			return sage_rule_error_at(lx->err, t, start, "integer literal out of range");
		tok->kind = TOK_INT;
		tok->ival = (int64_t) v;
		lx->pos = i;
		return 0;
	}
	while (i < lx->len && ((t[i] >= '0' && t[i] <= '9') || t[i] == '_'))
		i++;
	if (i < lx->len && t[i] == '.')
	{
		is_float = true;
		i++;
		while (i < lx->len && ((t[i] >= '0' && t[i] <= '9') || t[i] == '_'))
			i++;
	}
	if (i < lx->len && (t[i] == 'e' || t[i] == 'E'))
	{
		size_t		e = i + 1;

		if (e < lx->len && (t[e] == '+' || t[e] == '-'))
			e++;
		if (e < lx->len && t[e] >= '0' && t[e] <= '9')
		{
			is_float = true;
			i = e;
			while (i < lx->len && ((t[i] >= '0' && t[i] <= '9') || t[i] == '_'))
				i++;
		}
	}
	if (i < lx->len && (t[i] == 'j' || t[i] == 'J'))
		return sage_rule_error_at(lx->err, t, start, "complex numbers are not supported");
	if (i < lx->len && lex_is_name_char((unsigned char) t[i]))
		return sage_rule_error_at(lx->err, t, start, "invalid number literal");
	if (i - start >= sizeof(buf))
		return sage_rule_error_at(lx->err, t, start, "number literal too long");
	for (size_t k = start; k < i; k++)
	{
		if (t[k] == '_')
		{
			/* Python: underscores only between digits */
			if (k == start || k + 1 >= i || !(t[k - 1] >= '0' && t[k - 1] <= '9') ||
				!(t[k + 1] >= '0' && t[k + 1] <= '9'))
				return sage_rule_error_at(lx->err, t, start, "invalid number literal");
			continue;
		}
		buf[n++] = t[k];
	}
	buf[n] = '\0';
	if (is_float)
	{
		tok->kind = TOK_FLOAT;
		tok->fval = strtod(buf, NULL);
	}
	else
	{
		uint64_t	v = 0;

		if (n > 1 && buf[0] == '0')
		{
			for (size_t k = 0; k < n; k++)
				if (buf[k] != '0')
					return sage_rule_error_at(lx->err, t, start,
											  "leading zeros in integer literals are not allowed");
		}
		for (size_t k = 0; k < n; k++)
		{
			uint64_t	d = (uint64_t) (buf[k] - '0');

			if (v > ((uint64_t) INT64_MAX - d) / 10)
				return sage_rule_error_at(lx->err, t, start, "integer literal out of range");
			v = v * 10 + d;
		}
		tok->kind = TOK_INT;
		tok->ival = (int64_t) v;
	}
	lx->pos = i;
	return 0;
}

int
sage_rule_lex_next(RuleLexer *lx, RuleToken *tok)
{
	const char *t = lx->text;
	size_t		start;
	char		c;

	memset(tok, 0, sizeof(*tok));
	/* whitespace, line continuations and comments */
	for (;;)
	{
		if (lx->pos >= lx->len)
			break;
		c = t[lx->pos];
		if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f')
			lx->pos++;
		else if (c == '\\' && lx->pos + 1 < lx->len &&
				 (t[lx->pos + 1] == '\n' || t[lx->pos + 1] == '\r'))
			lx->pos += 2;
		else if (c == '#')
		{
			while (lx->pos < lx->len && t[lx->pos] != '\n')
				lx->pos++;
		}
		else
			break;
	}
	start = lx->pos;
	tok->off = start;
	if (lx->pos >= lx->len)
	{
		tok->kind = TOK_END;
		tok->end = start;
		return 0;
	}
	c = t[lx->pos];

	if (lex_is_name_start((unsigned char) c))
	{
		size_t		i = lx->pos;
		size_t		n;
		char	   *name;

		while (i < lx->len && lex_is_name_char((unsigned char) t[i]))
			i++;
		n = i - lx->pos;
		/* string prefixes: r, u, b, f and their combinations */
		if (i < lx->len && (t[i] == '\'' || t[i] == '"') && n <= 2)
		{
			bool		raw = false;
			bool		bytes = false;
			bool		fstr = false;
			bool		ok = true;

			for (size_t k = lx->pos; k < i; k++)
			{
				char		p = (char) (t[k] | 0x20);

				if (p == 'r')
					raw = true;
				else if (p == 'b')
					bytes = true;
				else if (p == 'f')
					fstr = true;
				else if (p != 'u' || n != 1)
					ok = false;
			}
			if (ok)
			{
				if (fstr)
					return sage_rule_error_at(lx->err, t, start,
											  "f-strings are not supported");
				if (bytes)
					return sage_rule_error_at(lx->err, t, start,
											  "bytes literals are not supported");
				lx->pos = i;
				if (lex_string(lx, tok, start, raw) < 0)
					return -1;
				tok->end = lx->pos;
				return 0;
			}
		}
		name = sage_strndup(lx->arena, t + lx->pos, n);
		if (name == NULL)
			return sage_error_memory(lx->err, NULL);
		lx->pos = i;
		tok->end = i;
		for (int k = 0; k < (int) (sizeof(lex_keywords) / sizeof(lex_keywords[0])); k++)
		{
			if (strcmp(name, lex_keywords[k]) == 0)
			{
				tok->kind = TOK_KW;
				tok->op = KW_AND + k;
				return 0;
			}
		}
		for (size_t k = 0; k < sizeof(lex_forbidden_keywords) / sizeof(lex_forbidden_keywords[0]); k++)
		{
			if (strcmp(name, lex_forbidden_keywords[k]) == 0)
			{
				sage_rule_error_at(lx->err, t, start, "keyword \"%s\" is not allowed", name);
				sage_error_hint(lx->err, "A rule is a single expression; statements are not allowed.");
				return -1;
			}
		}
		tok->kind = TOK_NAME;
		tok->str = name;
		tok->len = n;
		return 0;
	}
	if ((c >= '0' && c <= '9') ||
		(c == '.' && lx->pos + 1 < lx->len && t[lx->pos + 1] >= '0' && t[lx->pos + 1] <= '9'))
	{
		if (lex_number(lx, tok) < 0)
			return -1;
		tok->end = lx->pos;
		return 0;
	}
	if (c == '\'' || c == '"')
	{
		if (lex_string(lx, tok, start, false) < 0)
			return -1;
		tok->end = lx->pos;
		return 0;
	}

	/* operators, longest first */
	{
		static const struct
		{
			const char *s;
			int			op;
		}			ops[] = {
			{"**", OPT_POW}, {"/" "/", OPT_DSLASH}, {"==", OPT_EQ}, {"!=", OPT_NE},
			{"<=", OPT_LE}, {">=", OPT_GE}, {"(", OPT_LPAR}, {")", OPT_RPAR},
			{"[", OPT_LBRACK}, {"]", OPT_RBRACK}, {"{", OPT_LBRACE}, {"}", OPT_RBRACE},
			{",", OPT_COMMA}, {".", OPT_DOT}, {":", OPT_COLON}, {"=", OPT_ASSIGN},
			{"<", OPT_LT}, {">", OPT_GT}, {"+", OPT_PLUS}, {"-", OPT_MINUS},
			{"*", OPT_STAR}, {"/", OPT_SLASH}, {"%", OPT_PERCENT}, {"&", OPT_AMP},
			{"|", OPT_PIPE}, {"^", OPT_CARET}, {"~", OPT_TILDE}
		};
		static const char *const refused[] = {
			"**=", "/" "/=", ">>=", "<<=", ":=", "+=", "-=", "*=", "/=", "%=", "&=",
			"|=", "^=", "<<", ">>", "->", "@", ";", "`", "$", "?", "!"
		};

		for (size_t k = 0; k < sizeof(refused) / sizeof(refused[0]); k++)
		{
			size_t		rl = strlen(refused[k]);

			if (lx->pos + rl <= lx->len && memcmp(t + lx->pos, refused[k], rl) == 0)
			{
				/* "!=" is fine; "!" alone is not */
				if (strcmp(refused[k], "!") == 0 && lx->pos + 1 < lx->len &&
					t[lx->pos + 1] == '=')
					break;
				return sage_rule_error_at(lx->err, t, start,
										  "operator \"%s\" is not supported", refused[k]);
			}
		}
		for (size_t k = 0; k < sizeof(ops) / sizeof(ops[0]); k++)
		{
			size_t		ol = strlen(ops[k].s);

			if (lx->pos + ol <= lx->len && memcmp(t + lx->pos, ops[k].s, ol) == 0)
			{
				tok->kind = TOK_OP;
				tok->op = ops[k].op;
				lx->pos += ol;
				tok->end = lx->pos;
				return 0;
			}
		}
	}
	if ((unsigned char) c < 0x20 || c == 0x7f)
		return sage_rule_error_at(lx->err, t, start, "unexpected control character 0x%02x",
								  (unsigned char) c);
	return sage_rule_error_at(lx->err, t, start, "unexpected character \"%c\"", c);
}
