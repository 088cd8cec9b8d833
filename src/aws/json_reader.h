/*-------------------------------------------------------------------------
 *
 * src/aws/json_reader.h
 *		A small strict JSON reader for the responses of AWS's JSON
 *		protocols (DynamoDB, Lambda errors): parses a whole document into
 *		a tree allocated in the caller's arena.
 *
 * Responses come from the network, so the reader trusts nothing: the
 * document size and the nesting depth are capped (the parser recurses,
 * once per level, so the depth cap bounds the stack), strings must be
 * valid UTF-8 with well-formed escapes (surrogate pairs included), numbers
 * follow RFC 8259's grammar, and trailing bytes after the value are an
 * error. Every failure is a SAGE_ERR_INPUT error naming the byte offset.
 *
 *-------------------------------------------------------------------------
 */
#ifndef SAGE_AWS_JSON_READER_H
#define SAGE_AWS_JSON_READER_H

#include <stdint.h>

#include "sage/common.h"

/* Default limits; a zero in SageJsonLimits picks them. */
#define SAGE_JSON_READ_MAX_DEPTH 64
#define SAGE_JSON_READ_MAX_SIZE (64 * 1024 * 1024)

/* Kinds of JSON values. */
typedef enum SageJsonType
{
	SAGE_JSON_NULL = 0,
	SAGE_JSON_FALSE,
	SAGE_JSON_TRUE,
	SAGE_JSON_NUMBER,
	SAGE_JSON_STRING,
	SAGE_JSON_ARRAY,
	SAGE_JSON_OBJECT
} SageJsonType;

/*
 * One parsed value. Objects keep their members in document order (keys[i]
 * names items[i]); arrays leave keys NULL. Strings are decoded UTF-8, NUL
 * terminated, and may contain NUL (len says how long they are).
 */
typedef struct SageJsonValue
{
	SageJsonType type;			/* which of the fields below apply */
	const char *str;			/* STRING: decoded text; NUMBER: its text */
	size_t		len;			/* bytes of str */
	struct SageJsonValue **items;	/* ARRAY and OBJECT: the members */
	const char **keys;			/* OBJECT: member names (decoded) */
	size_t	   *key_lens;		/* OBJECT: bytes of each name */
	size_t		count;			/* ARRAY and OBJECT: number of members */
} SageJsonValue;

/* Limits of one parse; zeros give the defaults above. */
typedef struct SageJsonLimits
{
	int			max_depth;		/* nesting of arrays and objects */
	size_t		max_size;		/* bytes of the whole document */
} SageJsonLimits;

/*
 * Parses len bytes of text. Returns the root value (in arena), or NULL
 * with *err (SAGE_ERR_INPUT for malformed text, SAGE_ERR_LIMIT past a
 * limit, SAGE_ERR_MEMORY). limits may be NULL.
 */
SageJsonValue *sage_json_parse(SageArena *arena, const char *text, size_t len,
							   const SageJsonLimits *limits, SageError *err);

/* Member of an object by name (the first one when repeated), or NULL. */
const SageJsonValue *sage_json_member(const SageJsonValue *obj, const char *key);

/* A string member's text, or NULL when absent or not a string. */
const char *sage_json_member_string(const SageJsonValue *obj, const char *key);

/*
 * A number (or a string holding one, as DynamoDB's "N" values do) as an
 * int64: 0, or -1 when it is not an integer in range.
 */
int			sage_json_to_int64(const SageJsonValue *v, int64_t *out);

/*
 * A growing buffer in an arena that the JSON writer of src/core can emit
 * into (sage_json_buffer_emit is its SageJsonEmit), used to build request
 * bodies. data stays NUL-terminated.
 */
typedef struct SageJsonBuffer
{
	SageArena  *arena;			/* where data lives */
	char	   *data;			/* the text so far, NUL-terminated */
	size_t		len;			/* bytes of text */
	size_t		cap;			/* bytes allocated */
	SageError  *err;			/* filled when memory runs out */
} SageJsonBuffer;

/* Appends len bytes; 0, or -1 with buf->err set (out of memory). */
int			sage_json_buffer_emit(void *buf, const char *data, size_t len);

#endif							/* SAGE_AWS_JSON_READER_H */
