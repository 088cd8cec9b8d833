/*-------------------------------------------------------------------------
 *
 * src/include/sage/sigv4.h
 *		AWS Signature Version 4: signs one HTTP request with an
 *		Authorization header, or presigns it into a query string.
 *
 * The caller describes the request as it will go on the wire (method,
 * host, URI-encoded path, query, headers, body or payload hash) together
 * with the region, service, time and credentials; the signer returns
 * what must be added to the request: the headers to send (X-Amz-Date,
 * X-Amz-Security-Token, x-amz-content-sha256, Authorization) or the
 * signed query string. Everything is allocated in the caller's arena.
 *
 * Path rules differ by service. S3 signs the path exactly as sent; every
 * other service signs the path with dot segments and repeated slashes
 * removed, URI-encoded once more (so "%3A" on the wire is signed as
 * "%253A"). SAGE_SIGV4_PATH_DEFAULT picks the rule from the service name.
 *
 * Signing keys are derived per day, region and service; a
 * SageSigV4KeyCache keeps the derived keys between requests, keyed by a
 * hash of the secret (never the secret itself).
 *
 * Secrets never appear in error messages. The canonical request returned
 * for tests contains the session token when there is one: do not log it.
 *
 *-------------------------------------------------------------------------
 */
#ifndef SAGE_SIGV4_H
#define SAGE_SIGV4_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sage/aws.h"
#include "sage/common.h"

/* ---------------------------------------------------------------- types */

/* A request header as sent; names are matched case-insensitively. */
typedef SageHttpHeader SageSigV4Header;

/* A query parameter, NOT encoded: the signer encodes it. */
typedef SageHttpParam SageSigV4Param;

/* Header signing (Authorization header) or query signing (presigned URL). */
typedef enum SageSigV4Mode
{
	SAGE_SIGV4_MODE_HEADER = 0,	/* returns an Authorization header */
	SAGE_SIGV4_MODE_QUERY		/* returns X-Amz-* query parameters */
} SageSigV4Mode;

/* How the wire path becomes the canonical URI. */
typedef enum SageSigV4PathMode
{
	SAGE_SIGV4_PATH_DEFAULT = 0,	/* VERBATIM for "s3", else NORMALIZE */
	SAGE_SIGV4_PATH_VERBATIM,	/* S3: as sent, must be valid URI-encoded */
	SAGE_SIGV4_PATH_ENCODE,		/* encoded once more, not normalized */
	SAGE_SIGV4_PATH_NORMALIZE	/* dot segments and // removed, encoded again */
} SageSigV4PathMode;

/* Where the payload hash comes from. */
typedef enum SageSigV4Payload
{
	SAGE_SIGV4_PAYLOAD_BODY = 0,	/* SHA-256 of body/body_len (or of a
									 * caller's x-amz-content-sha256 header) */
	SAGE_SIGV4_PAYLOAD_HASH,	/* payload_hash, computed by the caller */
	SAGE_SIGV4_PAYLOAD_UNSIGNED /* "UNSIGNED-PAYLOAD", S3 only */
} SageSigV4Payload;

/* Opaque cache of derived signing keys (a few day/region/service slots). */
typedef struct SageSigV4KeyCache SageSigV4KeyCache;

/* The request to sign. Zero-initialise, then fill. */
typedef struct SageSigV4Request
{
	const char *method;			/* "GET", "PUT"...; upper-cased when signing */
	const char *host;			/* Host header value ("b.s3.amazonaws.com",
								 * "127.0.0.1:5000"); NULL when headers
								 * carry a Host header */
	const char *path;			/* URI-encoded path as sent; NULL or "" = "/" */
	const SageSigV4Param *params;	/* unencoded query parameters */
	int			nparams;
	const char *raw_query;		/* or/and an encoded query ("a=1&b=%20"),
								 * without '?'; decoded and re-encoded */
	const SageSigV4Header *headers; /* headers to sign, in sending order */
	int			nheaders;
	SageSigV4Payload payload;	/* where the payload hash comes from */
	const void *body;			/* SAGE_SIGV4_PAYLOAD_BODY; NULL = empty */
	size_t		body_len;
	const char *payload_hash;	/* SAGE_SIGV4_PAYLOAD_HASH: 64 hex digits */
	bool		content_sha256_header;	/* add and sign x-amz-content-sha256
										 * (S3 requires it) */
	SageSigV4PathMode path_mode;	/* see SageSigV4PathMode */
	const char *region;			/* "eu-west-1" */
	const char *service;		/* "s3", "dynamodb", "lambda"... */
	int64_t		time;			/* signing time, seconds since the epoch, UTC */
	const SageAwsCredentials *credentials;	/* keys and optional token */
	bool		session_token_unsigned; /* send the token without signing it
										 * (services that want it so) */
	SageSigV4Mode mode;			/* header or query signing */
	int			expires;		/* MODE_QUERY: seconds, 1..604800 */
	SageSigV4KeyCache *key_cache;	/* NULL = derive the key every time */
} SageSigV4Request;

/* What the signer produces; all strings live in the caller's arena. */
typedef struct SageSigV4Result
{
	const char *path;			/* path to send ("/" when none was given) */
	const char *query;			/* query string to send, without '?'; may
								 * be ""; in MODE_QUERY it carries the
								 * signature */
	SageSigV4Header *headers;	/* headers to add to the request, in order:
								 * X-Amz-Date, X-Amz-Security-Token,
								 * x-amz-content-sha256, Authorization (those
								 * that apply to the mode) */
	int			nheaders;
	const char *authorization;	/* MODE_HEADER: the Authorization value */
	const char *amz_date;		/* "20150830T123600Z" */
	const char *payload_hash;	/* hex SHA-256 or "UNSIGNED-PAYLOAD" */
	const char *signed_headers; /* "host;x-amz-date" */
	const char *canonical_request;	/* for tests; may hold the token */
	const char *string_to_sign; /* for tests */
	const char *signature;		/* 64 hex digits */
} SageSigV4Result;

/* ------------------------------------------------------------ constants */

#define SAGE_SIGV4_ALGORITHM "AWS4-HMAC-SHA256"
#define SAGE_SIGV4_UNSIGNED_PAYLOAD "UNSIGNED-PAYLOAD"
#define SAGE_SIGV4_MAX_EXPIRES 604800	/* seven days, AWS's limit */

/* -------------------------------------------------------- constructors */

/* A key cache; NULL when out of memory. Free wipes the keys. */
SageSigV4KeyCache *sage_sigv4_key_cache_new(void);
void		sage_sigv4_key_cache_free(SageSigV4KeyCache *cache);

/* ------------------------------------------------------------ functions */

/*
 * Signs req. Returns 0 with *out filled, or -1 with *err (SAGE_ERR_ARGUMENT
 * for an invalid request, SAGE_ERR_MEMORY, SAGE_ERR_INTERNAL for OpenSSL).
 */
int			sage_sigv4_sign(const SageSigV4Request *req, SageArena *arena,
							SageSigV4Result *out, SageError *err);

/*
 * AWS URI encoding of len bytes: everything but A-Z a-z 0-9 - . _ ~ (and
 * '/' when keep_slash) becomes %XX with upper-case hex. Used to build the
 * wire path of object keys. NULL when out of memory.
 */
char	   *sage_sigv4_uri_encode(SageArena *arena, const char *s, size_t len,
								  bool keep_slash);

/* Number of signing keys derived (not served from a cache); for tests. */
uint64_t	sage_sigv4_key_cache_derivations(const SageSigV4KeyCache *cache);

#endif							/* SAGE_SIGV4_H */
