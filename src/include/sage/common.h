/*-------------------------------------------------------------------------
 *
 * src/include/sage/common.h
 *		Arena allocator, error reporting and byte streams shared by every
 *		module of src/core and src/aws.
 *
 * core/ and aws/ never include PostgreSQL headers and never throw: they
 * allocate from a caller-provided arena and report failures through a
 * SageError that already follows PostgreSQL's message style (lower-case
 * message without a final period; detail and hint are full sentences), so
 * src/pg can hand the three parts to errmsg/errdetail/errhint unchanged.
 *
 * A memory ceiling is enforced by the arena's budget: an allocation past the
 * ceiling returns NULL and marks the arena as failed; callers turn that into
 * SAGE_ERR_MEMORY ("memory limit exceeded") instead of letting the process
 * be killed.
 *
 *-------------------------------------------------------------------------
 */
#ifndef SAGE_COMMON_H
#define SAGE_COMMON_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---------------------------------------------------------------- types */

/* Stable error codes; src/pg maps each to a SQLSTATE. */
typedef enum SageErrorCode
{
	SAGE_OK = 0,
	SAGE_ERR_CONFIG,			/* invalid YAML configuration (22023) */
	SAGE_ERR_RULE,				/* rule outside the subset / ill-typed (22023) */
	SAGE_ERR_INPUT,				/* corrupt or unreadable input file */
	SAGE_ERR_UNSUPPORTED,		/* unsupported file type or feature */
	SAGE_ERR_LIMIT,				/* a safety limit was exceeded (zip bomb...) */
	SAGE_ERR_MEMORY,			/* memory ceiling reached */
	SAGE_ERR_IO,				/* file system or sink failure */
	SAGE_ERR_CANCELLED,			/* the caller's cancel check said stop */
	SAGE_ERR_ARGUMENT,			/* bad argument from the caller */
	SAGE_ERR_INTERNAL,			/* cannot happen */
	SAGE_ERR_TRANSPORT,			/* network failure talking to a service (08006) */
	SAGE_ERR_SERVICE			/* a service answered with an error (38000) */
} SageErrorCode;

/* An error in PostgreSQL message style. Empty strings mean "absent". */
typedef struct SageError
{
	SageErrorCode code;			/* SAGE_OK when no error */
	char		message[512];	/* errmsg: lower case, no final period */
	char		detail[4096];	/* errdetail: full sentences, may be empty */
	char		hint[512];		/* errhint: full sentence, may be empty */
} SageError;

/* Memory budget shared by the arenas of one execution. */
typedef struct SageBudget
{
	size_t		limit;			/* bytes; 0 means unlimited */
	size_t		used;			/* bytes currently charged */
	size_t		peak;			/* high-water mark of used */
} SageBudget;

/* Opaque bump allocator; everything it hands out is freed at once. */
typedef struct SageArena SageArena;

/*
 * A pull stream of bytes: read() returns the number of bytes placed in buf
 * (> 0), 0 at end of stream, or -1 with *err filled.
 */
typedef struct SageStream
{
	long		(*read) (void *ctx, void *buf, size_t len, SageError *err);
	void		(*close) (void *ctx);	/* may be NULL */
	void	   *ctx;
} SageStream;

/* ---------------------------------------------------------- constructors */

/* A new arena charging *budget (may be NULL for no ceiling). */
SageArena  *sage_arena_new(SageBudget *budget);
void		sage_arena_free(SageArena *arena);

/* ------------------------------------------------------------- functions */

/* Allocation: NULL when the budget is exhausted (and the arena is marked). */
void	   *sage_alloc(SageArena *arena, size_t size);
void	   *sage_alloc0(SageArena *arena, size_t size);
void	   *sage_realloc(SageArena *arena, void *ptr, size_t oldsize, size_t newsize);
char	   *sage_strdup(SageArena *arena, const char *s);
char	   *sage_strndup(SageArena *arena, const char *s, size_t len);
char	   *sage_printf(SageArena *arena, const char *fmt,...)
			__attribute__((format(printf, 2, 3)));
/* True once any allocation in this arena failed for lack of budget. */
bool		sage_arena_failed(const SageArena *arena);
/* Bytes handed out by this arena (for tests and progress). */
size_t		sage_arena_allocated(const SageArena *arena);

/*
 * Large, individually freed blocks charged to a budget (hash tables and
 * column buffers that grow). NULL when over budget.
 */
void	   *sage_budget_malloc(SageBudget *budget, size_t size);
void	   *sage_budget_realloc(SageBudget *budget, void *ptr, size_t oldsize, size_t newsize);
void		sage_budget_free(SageBudget *budget, void *ptr, size_t size);

/* Errors. */
void		sage_error_clear(SageError *err);
/* Sets code and message (printf-style); returns -1 so callers can "return sage_error_set(...)". */
int			sage_error_set(SageError *err, SageErrorCode code, const char *fmt,...)
			__attribute__((format(printf, 3, 4)));
void		sage_error_detail(SageError *err, const char *fmt,...)
			__attribute__((format(printf, 2, 3)));
/* Appends a line to the detail (for lists of problems). */
void		sage_error_detail_append(SageError *err, const char *fmt,...)
			__attribute__((format(printf, 2, 3)));
void		sage_error_hint(SageError *err, const char *fmt,...)
			__attribute__((format(printf, 2, 3)));
/* Standard memory-ceiling error. Returns -1. */
int			sage_error_memory(SageError *err, const SageBudget *budget);
/* Name of a code, for logs and tests ("config", "rule", ...). */
const char *sage_error_code_name(SageErrorCode code);

/* A random version-4 UUID as text; buf holds at least 37 bytes. */
void		sage_uuid_v4(char *buf);

/* Streams. */
SageStream	sage_stream_from_buffer(SageArena *arena, const void *data, size_t len);
/* Opens a file for streaming; -1 with *err on failure. */
int			sage_stream_from_file(SageArena *arena, const char *path, SageStream *out, SageError *err);
/* Reads a whole file into memory (arena), refusing files above max_bytes. */
int			sage_read_file(SageArena *arena, const char *path, size_t max_bytes,
						   char **data, size_t *len, SageError *err);

#endif							/* SAGE_COMMON_H */
