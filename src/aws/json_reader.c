/*-------------------------------------------------------------------------
 *
 * src/aws/json_reader.c
 *		Strict, bounded JSON reader for AWS JSON-protocol responses.
 *
 * A recursive-descent parser: one C frame per nesting level, which is why
 * the depth is capped before recursing. Members are collected in arrays
 * grown by doubling in the arena, so a wide document costs linear time and
 * memory, charged to the caller's budget.
 *
 *-------------------------------------------------------------------------
 */
#include "json_reader.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../core/json_internal.h"

/* State of one parse. */
typedef struct JsonParser
{
	SageArena  *arena;			/* where the tree goes */
	const unsigned char *s;		/* the text */
	size_t		len;			/* bytes of text */
	size_t		pos;			/* next byte to read */
	int			max_depth;		/* deepest nesting accepted */
	SageError  *err;			/* filled on the first failure */
} JsonParser;

static SageJsonValue *jr_value(JsonParser *p, int depth);

/* Records a syntax error at the current offset; returns NULL. */
static void *
jr_fail(JsonParser *p, const char *what)
{
	sage_error_set(p->err, SAGE_ERR_INPUT,
				   "could not parse JSON response: %s at offset %zu",
				   what, p->pos);
	return NULL;
}

/* Records an out-of-memory failure; returns NULL. */
static void *
jr_oom(JsonParser *p)
{
	sage_error_memory(p->err, NULL);
	return NULL;
}

/* Skips JSON whitespace (space, tab, CR, LF only). */
static void
jr_space(JsonParser *p)
{
	while (p->pos < p->len &&
		   (p->s[p->pos] == ' ' || p->s[p->pos] == '\t' ||
			p->s[p->pos] == '\r' || p->s[p->pos] == '\n'))
		p->pos++;
}

/* A new value of a type, zeroed; NULL (error set) when out of memory. */
static SageJsonValue *
jr_new(JsonParser *p, SageJsonType type)
{
	SageJsonValue *v = sage_alloc0(p->arena, sizeof(SageJsonValue));

	if (v == NULL)
		return jr_oom(p);
	v->type = type;
	return v;
}

/* Value of one hex digit, or -1. */
static int
jr_hex(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Reads the four hex digits of a \u escape at pos; -1 when malformed. */
static long
jr_u4(JsonParser *p)
{
	long		cp = 0;
	int			i;

	if (p->len - p->pos < 4)
		return -1;
	for (i = 0; i < 4; i++)
	{
		int			h = jr_hex(p->s[p->pos + i]);

		if (h < 0)
			return -1;
		cp = cp * 16 + h;
	}
	p->pos += 4;
	return cp;
}

/* Encodes a code point as UTF-8 into out; returns the number of bytes. */
static size_t
jr_utf8(long cp, char *out)
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

/*
 * jr_string
 *		Parses a string whose opening quote is at pos. The decoded text is
 *		never longer than the encoded one, so one allocation of the raw
 *		length suffices.
 */
static int
jr_string(JsonParser *p, const char **out, size_t *outlen)
{
	size_t		start = ++p->pos;
	size_t		end = start;
	char	   *buf;
	size_t		n = 0;

	/* find the closing quote first, to size the buffer */
	while (end < p->len && p->s[end] != '"')
		end += p->s[end] == '\\' ? 2 : 1;
	if (end >= p->len)
	{
		jr_fail(p, "unterminated string");
		return -1;
	}
	buf = sage_alloc(p->arena, end - start + 1);
	if (buf == NULL)
	{
		jr_oom(p);
		return -1;
	}
	while (p->pos < end)
	{
		unsigned char c = p->s[p->pos];

		if (c < 0x20)
		{
			jr_fail(p, "control character in string");
			return -1;
		}
		if (c == '\\')
		{
			long		cp;

			p->pos++;
			switch (p->s[p->pos++])
			{
				case '"':
					buf[n++] = '"';
					break;
				case '\\':
					buf[n++] = '\\';
					break;
				case '/':
					buf[n++] = '/';
					break;
				case 'b':
					buf[n++] = '\b';
					break;
				case 'f':
					buf[n++] = '\f';
					break;
				case 'n':
					buf[n++] = '\n';
					break;
				case 'r':
					buf[n++] = '\r';
					break;
				case 't':
					buf[n++] = '\t';
					break;
				case 'u':
					cp = jr_u4(p);
					if (cp < 0)
					{
						jr_fail(p, "invalid \\u escape");
						return -1;
					}
					if (cp >= 0xDC00 && cp <= 0xDFFF)
					{
						jr_fail(p, "unpaired low surrogate");
						return -1;
					}
					if (cp >= 0xD800 && cp <= 0xDBFF)
					{
						long		lo;

						if (end - p->pos < 6 || p->s[p->pos] != '\\' ||
							p->s[p->pos + 1] != 'u')
						{
							jr_fail(p, "unpaired high surrogate");
							return -1;
						}
						p->pos += 2;
						lo = jr_u4(p);
						if (lo < 0xDC00 || lo > 0xDFFF)
						{
							jr_fail(p, "unpaired high surrogate");
							return -1;
						}
						cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
					}
					n += jr_utf8(cp, buf + n);
					break;
				default:
					p->pos--;
					jr_fail(p, "invalid escape in string");
					return -1;
			}
			if (p->pos > end)
			{
				jr_fail(p, "unterminated string");
				return -1;
			}
		}
		else
		{
			size_t		k = sage_utf8_seq_len(p->s + p->pos, end - p->pos);

			if (k == 0)
			{
				jr_fail(p, "invalid UTF-8 in string");
				return -1;
			}
			memcpy(buf + n, p->s + p->pos, k);
			n += k;
			p->pos += k;
		}
	}
	buf[n] = '\0';
	p->pos = end + 1;
	*out = buf;
	*outlen = n;
	return 0;
}

/* Parses a number per RFC 8259 (no leading zeros, no bare '.', no '+'). */
static SageJsonValue *
jr_number(JsonParser *p)
{
	size_t		start = p->pos;
	SageJsonValue *v;

	if (p->pos < p->len && p->s[p->pos] == '-')
		p->pos++;
	if (p->pos >= p->len)
		return jr_fail(p, "invalid number");
	if (p->s[p->pos] == '0')
		p->pos++;
	else if (p->s[p->pos] >= '1' && p->s[p->pos] <= '9')
		while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9')
			p->pos++;
	else
		return jr_fail(p, "invalid number");
	if (p->pos < p->len && p->s[p->pos] == '.')
	{
		p->pos++;
		if (p->pos >= p->len || p->s[p->pos] < '0' || p->s[p->pos] > '9')
			return jr_fail(p, "invalid number");
		while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9')
			p->pos++;
	}
	if (p->pos < p->len && (p->s[p->pos] == 'e' || p->s[p->pos] == 'E'))
	{
		p->pos++;
		if (p->pos < p->len && (p->s[p->pos] == '+' || p->s[p->pos] == '-'))
			p->pos++;
		if (p->pos >= p->len || p->s[p->pos] < '0' || p->s[p->pos] > '9')
			return jr_fail(p, "invalid number");
		while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9')
			p->pos++;
	}
	v = jr_new(p, SAGE_JSON_NUMBER);
	if (v == NULL)
		return NULL;
	v->str = sage_strndup(p->arena, (const char *) p->s + start, p->pos - start);
	if (v->str == NULL)
		return jr_oom(p);
	v->len = p->pos - start;
	return v;
}

/* Matches a literal (true, false, null) at pos. */
static SageJsonValue *
jr_literal(JsonParser *p, const char *word, SageJsonType type)
{
	size_t		n = strlen(word);

	if (p->len - p->pos < n || memcmp(p->s + p->pos, word, n) != 0)
		return jr_fail(p, "unexpected character");
	p->pos += n;
	return jr_new(p, type);
}

/*
 * jr_append
 *		Adds a member to an array or object, doubling its storage as
 *		needed. cap is the caller's record of the storage size.
 */
static int
jr_append(JsonParser *p, SageJsonValue *c, size_t *cap, SageJsonValue *item,
		  const char *key, size_t key_len)
{
	if (c->count == *cap)
	{
		size_t		ncap = *cap == 0 ? 4 : *cap * 2;

		c->items = sage_realloc(p->arena, c->items,
								*cap * sizeof(SageJsonValue *),
								ncap * sizeof(SageJsonValue *));
		if (c->type == SAGE_JSON_OBJECT)
		{
			c->keys = sage_realloc(p->arena, c->keys, *cap * sizeof(char *),
								   ncap * sizeof(char *));
			c->key_lens = sage_realloc(p->arena, c->key_lens,
									   *cap * sizeof(size_t),
									   ncap * sizeof(size_t));
			if (c->keys == NULL || c->key_lens == NULL)
			{
				jr_oom(p);
				return -1;
			}
		}
		if (c->items == NULL)
		{
			jr_oom(p);
			return -1;
		}
		*cap = ncap;
	}
	if (c->type == SAGE_JSON_OBJECT)
	{
		c->keys[c->count] = key;
		c->key_lens[c->count] = key_len;
	}
	c->items[c->count++] = item;
	return 0;
}

/* Parses an array or object whose opening bracket is at pos. */
static SageJsonValue *
jr_container(JsonParser *p, int depth, SageJsonType type)
{
	char		close = type == SAGE_JSON_OBJECT ? '}' : ']';
	SageJsonValue *c;
	size_t		cap = 0;

	if (depth >= p->max_depth)
	{
		sage_error_set(p->err, SAGE_ERR_LIMIT,
					   "could not parse JSON response: nesting deeper than %d levels at offset %zu",
					   p->max_depth, p->pos);
		return NULL;
	}
	c = jr_new(p, type);
	if (c == NULL)
		return NULL;
	p->pos++;
	jr_space(p);
	if (p->pos < p->len && p->s[p->pos] == close)
	{
		p->pos++;
		return c;
	}
	for (;;)
	{
		const char *key = NULL;
		size_t		key_len = 0;
		SageJsonValue *item;

		jr_space(p);
		if (type == SAGE_JSON_OBJECT)
		{
			if (p->pos >= p->len || p->s[p->pos] != '"')
				return jr_fail(p, "expected a member name");
			if (jr_string(p, &key, &key_len) < 0)
				return NULL;
			jr_space(p);
			if (p->pos >= p->len || p->s[p->pos] != ':')
				return jr_fail(p, "expected ':'");
			p->pos++;
		}
		item = jr_value(p, depth + 1);
		if (item == NULL || jr_append(p, c, &cap, item, key, key_len) < 0)
			return NULL;
		jr_space(p);
		if (p->pos >= p->len)
			return jr_fail(p, "unexpected end of input");
		if (p->s[p->pos] == close)
		{
			p->pos++;
			return c;
		}
		if (p->s[p->pos] != ',')
			return jr_fail(p, type == SAGE_JSON_OBJECT ?
						   "expected ',' or '}'" : "expected ',' or ']'");
		p->pos++;
	}
}

/* Parses any value at pos (after whitespace). */
static SageJsonValue *
jr_value(JsonParser *p, int depth)
{
	SageJsonValue *v;

	jr_space(p);
	if (p->pos >= p->len)
		return jr_fail(p, "unexpected end of input");
	switch (p->s[p->pos])
	{
		case '{':
			return jr_container(p, depth, SAGE_JSON_OBJECT);
		case '[':
			return jr_container(p, depth, SAGE_JSON_ARRAY);
		case '"':
			v = jr_new(p, SAGE_JSON_STRING);
			if (v == NULL || jr_string(p, &v->str, &v->len) < 0)
				return NULL;
			return v;
		case 't':
			return jr_literal(p, "true", SAGE_JSON_TRUE);
		case 'f':
			return jr_literal(p, "false", SAGE_JSON_FALSE);
		case 'n':
			return jr_literal(p, "null", SAGE_JSON_NULL);
		default:
			if (p->s[p->pos] == '-' || (p->s[p->pos] >= '0' && p->s[p->pos] <= '9'))
				return jr_number(p);
			return jr_fail(p, "unexpected character");
	}
}

SageJsonValue *
sage_json_parse(SageArena *arena, const char *text, size_t len,
				const SageJsonLimits *limits, SageError *err)
{
	JsonParser	p;
	SageJsonValue *root;
	size_t		max_size = limits != NULL && limits->max_size > 0 ?
		limits->max_size : SAGE_JSON_READ_MAX_SIZE;

	memset(&p, 0, sizeof(p));
	p.arena = arena;
	p.s = (const unsigned char *) (text != NULL ? text : "");
	p.len = text != NULL ? len : 0;
	p.max_depth = limits != NULL && limits->max_depth > 0 ?
		limits->max_depth : SAGE_JSON_READ_MAX_DEPTH;
	p.err = err;
	if (p.len > max_size)
	{
		sage_error_set(err, SAGE_ERR_LIMIT,
					   "JSON response of %zu bytes exceeds the limit of %zu bytes",
					   p.len, max_size);
		return NULL;
	}
	root = jr_value(&p, 0);
	if (root == NULL)
		return NULL;
	jr_space(&p);
	if (p.pos != p.len)
		return jr_fail(&p, "unexpected data after the value");
	return root;
}

const SageJsonValue *
sage_json_member(const SageJsonValue *obj, const char *key)
{
	size_t		klen;
	size_t		i;

	if (obj == NULL || obj->type != SAGE_JSON_OBJECT || key == NULL)
		return NULL;
	klen = strlen(key);
	for (i = 0; i < obj->count; i++)
		if (obj->key_lens[i] == klen && memcmp(obj->keys[i], key, klen) == 0)
			return obj->items[i];
	return NULL;
}

const char *
sage_json_member_string(const SageJsonValue *obj, const char *key)
{
	const SageJsonValue *v = sage_json_member(obj, key);

	return v != NULL && v->type == SAGE_JSON_STRING ? v->str : NULL;
}

int
sage_json_to_int64(const SageJsonValue *v, int64_t *out)
{
	char	   *end;
	long long	n;

	if (v == NULL || (v->type != SAGE_JSON_NUMBER && v->type != SAGE_JSON_STRING) ||
		v->len == 0 || v->len > 20 || strlen(v->str) != v->len)
		return -1;
	/* strtoll accepts leading space and '+': DynamoDB numbers have neither */
	if (!(v->str[0] == '-' || (v->str[0] >= '0' && v->str[0] <= '9')))
		return -1;
	errno = 0;
	n = strtoll(v->str, &end, 10);
	if (errno != 0 || *end != '\0')
		return -1;
	*out = (int64_t) n;
	return 0;
}

int
sage_json_buffer_emit(void *arg, const char *data, size_t len)
{
	SageJsonBuffer *b = arg;

	if (b->cap - b->len <= len)
	{
		size_t		ncap = b->cap == 0 ? 1024 : b->cap;
		char	   *p;

		while (ncap - b->len <= len)
			ncap *= 2;
		p = sage_realloc(b->arena, b->data, b->cap, ncap);
		if (p == NULL)
			return sage_error_memory(b->err, NULL);
		b->data = p;
		b->cap = ncap;
	}
	memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
	return 0;
}
