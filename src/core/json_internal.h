/*-------------------------------------------------------------------------
 *
 * src/core/json_internal.h
 *		A small streaming JSON writer and the UTF-8 checks every text output
 *		of the report shares.
 *
 * The writer never builds a document in memory: each token goes straight
 * to an emit callback, so report.json costs the same memory whatever its
 * size. It always produces strict JSON: strings are escaped (quotes,
 * backslash, control characters), invalid UTF-8 is replaced by U+FFFD,
 * non-finite doubles become null, and misuse (a value where a key is due,
 * nesting deeper than SAGE_JSON_MAX_DEPTH) is an error rather than a broken
 * document.
 *
 *-------------------------------------------------------------------------
 */
#ifndef SAGE_JSON_INTERNAL_H
#define SAGE_JSON_INTERNAL_H

#include "sage/common.h"
#include "encoding_internal.h"

/* Deepest nesting of objects/arrays the writer accepts. */
#define SAGE_JSON_MAX_DEPTH 32

/* UTF-8 encoding of U+FFFD, written in place of every invalid sequence. */
#define SAGE_UTF8_REPLACEMENT "\xEF\xBF\xBD"

/*
 * Receives the writer's output; returns 0, or -1 after filling its own
 * error state (the writer then stops emitting).
 */
typedef int (*SageJsonEmit) (void *ctx, const char *data, size_t len);

typedef struct SageJsonWriter
{
	SageJsonEmit emit;			/* where bytes go */
	void	   *ctx;			/* emit's context */
	SageError  *err;			/* filled on misuse; may be NULL */
	bool		pretty;			/* newlines and two-space indentation */
	bool		failed;			/* sticky: nothing is emitted after a failure */
	bool		after_key;		/* a key was written, its value is due */
	bool		top_written;	/* the top-level value has begun */
	int			depth;			/* open containers */
	bool		is_object[SAGE_JSON_MAX_DEPTH]; /* container kind per level */
	bool		has_items[SAGE_JSON_MAX_DEPTH]; /* a member was written at level */
} SageJsonWriter;


/* Prepares a writer; pretty output mimics Python's json.dumps(indent=2). */
void		sage_json_init(SageJsonWriter *w, SageJsonEmit emit, void *ctx,
						   bool pretty, SageError *err);

/* Containers. Each returns 0, or -1 once the writer has failed. */
int			sage_json_begin_object(SageJsonWriter *w);
int			sage_json_end_object(SageJsonWriter *w);
int			sage_json_begin_array(SageJsonWriter *w);
int			sage_json_end_array(SageJsonWriter *w);
/* A member name inside an object; the next call must write its value. */
int			sage_json_key(SageJsonWriter *w, const char *key);

/* Scalars. A NULL string is written as null. */
int			sage_json_string(SageJsonWriter *w, const char *s);
int			sage_json_string_len(SageJsonWriter *w, const char *s, size_t len);
int			sage_json_int(SageJsonWriter *w, int64_t v);
int			sage_json_uint(SageJsonWriter *w, uint64_t v);
/* Shortest text that parses back to v ("25.0", "66.67"); NaN/inf as null. */
int			sage_json_double(SageJsonWriter *w, double v);
int			sage_json_bool(SageJsonWriter *w, bool v);
int			sage_json_null(SageJsonWriter *w);

/* Checks the document is complete and ends it with a newline when pretty. */
int			sage_json_finish(SageJsonWriter *w);

/*
 * Shortest decimal text of a finite double that parses back to it, always
 * with a fraction or exponent ("25.0"), independent of the C locale.
 * buf must hold 40 bytes.
 */
void		sage_json_format_double(double v, char *buf);

#endif							/* SAGE_JSON_INTERNAL_H */
