/*-------------------------------------------------------------------------
 *
 * src/include/sage/aws.h
 *		Public interface of src/aws below and beside the SigV4 signer:
 *		the hashing primitives the signer and the S3 client share, and
 *		the credential providers.
 *
 * Like all of src/aws this is pure C: no PostgreSQL headers, errors are
 * returned in a SageError and never thrown. OpenSSL is used only through
 * its EVP interfaces, and every OpenSSL failure is reported by one helper
 * that appends OpenSSL's own reason to the message.
 *
 * Secrets (secret access keys, session tokens) are never formatted into
 * any SageError; messages name the credential source instead.
 *
 *-------------------------------------------------------------------------
 */
#ifndef SAGE_AWS_H
#define SAGE_AWS_H

#include <stdint.h>
#include <time.h>

#include "sage/common.h"

/* ---------------------------------------------------------------- types */

/*
 * A set of AWS credentials. Strings belong to whoever filled the struct
 * (an arena, usually); session_token is NULL when the keys are long-term.
 */
typedef struct SageAwsCredentials
{
	const char *access_key_id;	/* AKID, appears in the Authorization header */
	const char *secret_access_key;	/* never logged, never in messages */
	const char *session_token;	/* temporary credentials only, else NULL */
	time_t		expiration;		/* when temporary credentials expire; 0 = never */
} SageAwsCredentials;

/* An incremental SHA-256 computation (opaque; wraps an EVP_MD_CTX). */
typedef struct SageSha256 SageSha256;

/*
 * Where credentials come from. AUTO tries the environment, then the ECS
 * container endpoint, then the EC2 instance metadata service (IMDSv2).
 */
typedef enum SageCredentialSource
{
	SAGE_CRED_SOURCE_EXPLICIT = 0,	/* keys given by the caller (GUCs) */
	SAGE_CRED_SOURCE_ENV,		/* AWS_ACCESS_KEY_ID and friends */
	SAGE_CRED_SOURCE_ECS,		/* container credentials endpoint */
	SAGE_CRED_SOURCE_IMDS,		/* EC2 instance metadata, IMDSv2 */
	SAGE_CRED_SOURCE_AUTO		/* env, then ECS, then IMDS */
} SageCredentialSource;

/* Options of a credentials provider; zeros give the defaults. */
typedef struct SageCredentialOptions
{
	SageCredentialSource source;	/* see SageCredentialSource */
	const char *access_key_id;	/* SAGE_CRED_SOURCE_EXPLICIT only */
	const char *secret_access_key;	/* SAGE_CRED_SOURCE_EXPLICIT only */
	const char *session_token;	/* SAGE_CRED_SOURCE_EXPLICIT, optional */
	const char *imds_endpoint;	/* NULL = http://169.254.169.254 */
	const char *ecs_url;		/* NULL = from AWS_CONTAINER_CREDENTIALS_* */
	int			refresh_margin;	/* seconds before expiry to refresh; 0 = 300 */
	long		timeout_ms;		/* per metadata request; 0 = 1000 */
} SageCredentialOptions;

/* Opaque credentials provider with its cached credentials. */
typedef struct SageCredentialProvider SageCredentialProvider;

/* A header of an HTTP request or response (also what SigV4 signs). */
typedef struct SageHttpHeader
{
	const char *name;			/* as sent; lower case in responses */
	const char *value;			/* raw value; must not contain CR or LF */
} SageHttpHeader;

/* A query parameter, NOT encoded: the signer encodes it. */
typedef struct SageHttpParam
{
	const char *name;			/* e.g. "list-type" or "prefix" */
	const char *value;			/* NULL or "" for a parameter without value */
} SageHttpParam;

/*
 * Options of an HTTP client; zeros give the defaults. The callbacks let
 * the caller (a PostgreSQL worker) wait and cancel its own way.
 */
typedef struct SageHttpOptions
{
	long		connect_timeout_ms; /* per attempt; 0 = 3000 */
	long		timeout_ms;		/* one whole attempt; 0 = 30000 */
	int			max_attempts;	/* 0 = 4; 1 = no retry */
	long		retry_base_ms;	/* first backoff ceiling; 0 = 100 */
	long		retry_cap_ms;	/* largest backoff ceiling; 0 = 5000 */
	long		deadline_ms;	/* all attempts of a request; 0 = 60000 */
	size_t		max_response;	/* largest response body; 0 = 256 MB */
	/* debug trace of each exchange, secrets redacted; NULL = none */
	void		(*log) (void *arg, const char *line);
	/* polled before every attempt; true fails with SAGE_ERR_CANCELLED */
	bool		(*cancel) (void *arg);
	/* sleeps before each retry (maybe 0 ms); NULL = nanosleep */
	void		(*sleep) (void *arg, long ms);
	/* signing time in seconds since the epoch; NULL = time(NULL) */
	int64_t		(*now) (void *arg);
	void	   *callback_arg;	/* passed to the callbacks */
	/* CA bundle file for HTTPS (must outlive the client); NULL = system's */
	const char *ca_file;
} SageHttpOptions;

/* Options of an S3 client. */
typedef struct SageS3Options
{
	const char *endpoint;		/* NULL = https://s3.<region>.amazonaws.com */
	const char *region;			/* signing region, required */
	const char *bucket;			/* required */
	bool		path_style;		/* endpoint/bucket/key instead of
								 * bucket.s3.region.amazonaws.com/key; always
								 * so with an endpoint (test services,
								 * S3-compatible stores) */
	SageCredentialProvider *credentials;	/* required; not owned */
	int			list_page_size; /* keys per ListObjectsV2 page; 0 = 1000 */
	SageHttpOptions http;		/* transport options */
} SageS3Options;

/* An object as listed or headed. Strings live in the caller's arena. */
typedef struct SageS3Object
{
	const char *key;			/* object key */
	uint64_t	size;			/* bytes */
	const char *etag;			/* with its quotes, as S3 gives it */
	const char *last_modified;	/* as S3 gives it (ISO 8601 or RFC 1123) */
} SageS3Object;

/* Opaque S3 client (an HTTP client plus the bucket's addressing). */
typedef struct SageS3Client SageS3Client;

/* Opaque HTTP client: one reused libcurl handle, so connections stay open. */
typedef struct SageHttpClient SageHttpClient;

/*
 * One request. Signed with SigV4 when credentials are given (the payload
 * hash is always sent as x-amz-content-sha256), plain otherwise.
 */
typedef struct SageHttpRequest
{
	const char *method;			/* "GET", "PUT", "HEAD"... */
	const char *endpoint;		/* "https://host[:port]", no path */
	const char *path;			/* URI-encoded, "/" when NULL */
	const SageHttpParam *params;	/* unencoded query parameters */
	int			nparams;
	const SageHttpHeader *headers;	/* extra headers, signed when signing */
	int			nheaders;
	const void *body;			/* request body, NULL = none */
	size_t		body_len;
	const SageAwsCredentials *credentials;	/* NULL = unsigned request */
	const char *region;			/* signing region */
	const char *service;		/* signing service ("s3") */
	bool		unsigned_payload;	/* S3 only: UNSIGNED-PAYLOAD */
	const char *what;			/* for messages: "S3 PutObject" */
} SageHttpRequest;

/* A response; everything lives in the arena given to sage_http_request. */
typedef struct SageHttpResponse
{
	long		status;			/* HTTP status code */
	char	   *body;			/* NUL-terminated (bytes may contain NUL) */
	size_t		body_len;
	SageHttpHeader *headers;	/* final response's headers, lower case */
	int			nheaders;
	int			attempts;		/* attempts made, 1 when no retry */
} SageHttpResponse;

/* ------------------------------------------------------------ constants */

/*
 * Error codes of the AWS layer: a transport failure (SQLSTATE 08006 in
 * src/pg) and an error answered by the service (38000).
 */
#define SAGE_AWS_ERR_TRANSPORT SAGE_ERR_TRANSPORT
#define SAGE_AWS_ERR_SERVICE SAGE_ERR_SERVICE

#define SAGE_SHA256_LEN 32		/* bytes of a SHA-256 digest */
#define SAGE_SHA256_HEX_LEN 64	/* hex characters of a SHA-256 digest */

/* -------------------------------------------------------- constructors */

/* A new incremental SHA-256; NULL with *err on OpenSSL failure. */
SageSha256 *sage_crypto_sha256_new(SageError *err);
/* Frees the context; NULL is allowed. */
void		sage_crypto_sha256_free(SageSha256 *ctx);

/*
 * A credentials provider. The provider copies what it needs from opts; it
 * keeps secrets in malloc'ed memory that sage_aws_credentials_free wipes.
 * NULL with *err when the options are invalid or memory is short.
 */
SageCredentialProvider *sage_aws_credentials_new(const SageCredentialOptions *opts,
												 SageError *err);
void		sage_aws_credentials_free(SageCredentialProvider *provider);

/* A client; NULL with *err when libcurl cannot be set up. */
SageHttpClient *sage_http_client_new(const SageHttpOptions *opts, SageError *err);
void		sage_http_client_free(SageHttpClient *client);

/* An S3 client; NULL with *err when the options are invalid. */
SageS3Client *sage_s3_client_new(const SageS3Options *opts, SageError *err);
void		sage_s3_client_free(SageS3Client *client);

/* ------------------------------------------------------------ functions */

/* SHA-256 of a buffer into out (32 bytes); -1 with *err on OpenSSL failure. */
int			sage_crypto_sha256(const void *data, size_t len, uint8_t *out,
							   SageError *err);
/* Same, as 64 lower-case hex digits plus a terminating NUL in out[65]. */
int			sage_crypto_sha256_hex(const void *data, size_t len, char *out,
								   SageError *err);
/* HMAC-SHA256 of data under key into out (32 bytes). */
int			sage_crypto_hmac_sha256(const void *key, size_t keylen,
									const void *data, size_t len,
									uint8_t *out, SageError *err);
/* Feeds bytes to an incremental SHA-256. */
int			sage_crypto_sha256_update(SageSha256 *ctx, const void *data,
									  size_t len, SageError *err);
/* Finishes an incremental SHA-256 into out (32 bytes). */
int			sage_crypto_sha256_final(SageSha256 *ctx, uint8_t *out,
									 SageError *err);
/* Lower-case hex of len bytes into out, which holds 2 * len + 1 chars. */
void		sage_crypto_hex(const uint8_t *bytes, size_t len, char *out);
/* Overwrites memory that held a secret, in a way the compiler keeps. */
void		sage_crypto_cleanse(void *ptr, size_t len);

/*
 * Current credentials of a provider, refreshed first when they expire
 * within the refresh margin. The strings are copied into arena, so they
 * stay valid after a later refresh. -1 with *err when no credentials can
 * be obtained.
 */
int			sage_aws_credentials_get(SageCredentialProvider *provider,
									 SageArena *arena, time_t now,
									 SageAwsCredentials *out, SageError *err);
/* Name of the source the current credentials came from ("environment"...). */
const char *sage_aws_credentials_source_name(const SageCredentialProvider *provider);

/*
 * Performs a request, retrying with exponential backoff and full jitter
 * on transport errors, 5xx, 408, 429 and throttling errors (never on
 * other 4xx), and re-signing each attempt. Returns 0 when a response
 * arrived (whatever its status: see resp->status), -1 with *err when no
 * response could be had (the detail lists each attempt).
 */
int			sage_http_request(SageHttpClient *client, const SageHttpRequest *req,
							  SageArena *arena, SageHttpResponse *resp,
							  SageError *err);
/* A response header's value (name in lower case), or NULL. */
const char *sage_http_header(const SageHttpResponse *resp, const char *name);

/*
 * The error code of an AWS error body: S3's XML <Code>, or the JSON
 * "__type"/"code" of the JSON protocols (after any '#'). NULL if none.
 */
char	   *sage_aws_error_code(SageArena *arena, const char *body, size_t len);
/* The error message of an AWS error body (XML <Message> or JSON "message"). */
char	   *sage_aws_error_message(SageArena *arena, const char *body, size_t len);

/*
 * S3 objects. Keys are plain (unencoded) UTF-8, 1 to 1024 bytes. Each call
 * returns -1 with *err on failure; "not there" is a result, not an error.
 */

/* Stores an object: 0 done, 1 refused because if_none_match and it exists. */
int			sage_s3_put(SageS3Client *client, const char *key, const void *data,
						size_t len, bool if_none_match, const char *content_type,
						SageError *err);
/*
 * Reads an object, or length bytes of it from offset (length < 0: to the
 * end): 0 with *data (NUL-terminated) and *len in arena, 1 no such key.
 */
int			sage_s3_get(SageS3Client *client, const char *key, uint64_t offset,
						int64_t length, SageArena *arena, char **data,
						size_t *len, SageError *err);
/* An object's metadata: 0 with *info in arena, 1 no such key. */
int			sage_s3_head(SageS3Client *client, const char *key, SageArena *arena,
						 SageS3Object *info, SageError *err);
/* Deletes an object; deleting a missing key succeeds (S3 semantics). */
int			sage_s3_delete(SageS3Client *client, const char *key, SageError *err);
/*
 * Lists the objects under prefix (NULL = all) in key order, following
 * continuation tokens; stops after max objects (0 = no limit).
 */
int			sage_s3_list(SageS3Client *client, const char *prefix, size_t max,
						 SageArena *arena, SageS3Object **objects, size_t *n,
						 SageError *err);

/* ------------------------------------------------- multi-handle transport */

/*
 * Many requests in flight at once over one libcurl multi handle whose
 * sockets the caller waits on itself (a PostgreSQL worker puts them in a
 * WaitEventSet with its latch). Requests are signed, timed out and
 * retried exactly as by sage_http_request; a retry waits on the multi's
 * timer, so nothing ever blocks. Not thread-safe: one multi per thread.
 */
typedef struct SageHttpMulti SageHttpMulti;

/* A socket to wait on, and for what. */
typedef struct SageHttpSocket
{
	int			fd;				/* the socket */
	bool		want_read;		/* wake when readable */
	bool		want_write;		/* wake when writable */
} SageHttpSocket;

/*
 * Called once per request added: rc 0 when a response arrived (any
 * status) in *resp, rc -1 when none could be had and *err says why.
 * resp and everything in it live only during the callback.
 */
typedef void (*SageHttpDoneFn) (void *arg, int rc, const SageHttpResponse *resp,
								const SageError *err);

/*
 * A multi transport running at most max_inflight requests at once (0 =
 * 64). The options are those of sage_http_client_new; sleep is unused.
 * NULL with *err when libcurl cannot be set up.
 */
SageHttpMulti *sage_http_multi_new(const SageHttpOptions *opts, int max_inflight,
								   SageError *err);
/* Aborts transfers still running, without calling their callbacks. */
void		sage_http_multi_free(SageHttpMulti *multi);

/*
 * Starts a request (copied: the caller may free req and its buffers at
 * once). -1 with *err when max_inflight transfers are already running
 * (SAGE_ERR_LIMIT), the request is invalid or memory is short.
 */
int			sage_http_multi_add(SageHttpMulti *multi, const SageHttpRequest *req,
								SageHttpDoneFn done, void *arg, SageError *err);

/*
 * Sockets to wait on now (up to max) and the longest wait before the next
 * sage_http_multi_perform (ms; -1 = no timer). Returns the number of
 * sockets.
 */
int			sage_http_multi_sockets(SageHttpMulti *multi, SageHttpSocket *socks,
									int max, long *timeout_ms);

/*
 * Non-blocking: drives every transfer that can progress (after a wait
 * said a socket is ready, or a timeout passed) and calls done for each
 * finished one. -1 only on a libcurl failure of the multi itself.
 */
int			sage_http_multi_perform(SageHttpMulti *multi, SageError *err);

/* Requests added and not yet finished (running or waiting to retry). */
int			sage_http_multi_inflight(const SageHttpMulti *multi);

/*
 * Called once per sage_s3_put_multi that returned 0: rc 0 when S3 stored
 * the object, -1 with *err (valid only during the callback) otherwise.
 */
typedef void (*SageS3PutDoneFn) (void *arg, int rc, const SageError *err);

/*
 * Starts a PutObject of data (copied at once) through multi, which the
 * caller drives; done is called from sage_http_multi_perform. -1 with
 * *err when nothing was started (SAGE_ERR_LIMIT: the multi is full).
 */
int			sage_s3_put_multi(SageS3Client *client, SageHttpMulti *multi,
							  const char *key, const void *data, size_t len,
							  const char *content_type, SageS3PutDoneFn done,
							  void *arg, SageError *err);

/*
 * Called once per sage_s3_get_multi that returned 0, as sage_s3_get
 * answers: rc 0 with the object's bytes (data, len: valid only during the
 * callback), 1 when the object does not exist, -1 with *err otherwise.
 */
typedef void (*SageS3GetDoneFn) (void *arg, int rc, const char *data, size_t len,
								 const SageError *err);

/*
 * Starts a GetObject of a whole object through multi (its checksum is
 * verified when S3 returns one); done is called from
 * sage_http_multi_perform. -1 with *err when nothing was started.
 */
int			sage_s3_get_multi(SageS3Client *client, SageHttpMulti *multi,
							  const char *key, SageS3GetDoneFn done, void *arg,
							  SageError *err);

/* ---------------------------------- S3: options, copy, multipart, checksums */

/* Server-side encryption of a stored object. */
typedef enum SageS3Encryption
{
	SAGE_S3_SSE_DEFAULT = 0,	/* no header: the bucket's default applies */
	SAGE_S3_SSE_AES256,			/* S3-managed keys (SSE-S3) */
	SAGE_S3_SSE_KMS				/* aws:kms, with kms_key_id or the aws/s3 key */
} SageS3Encryption;

/* Integrity check sent with a put and verified against S3's answer. */
typedef enum SageS3Checksum
{
	SAGE_S3_CHECKSUM_SHA256 = 0,	/* x-amz-checksum-sha256, echoed back */
	SAGE_S3_CHECKSUM_MD5,		/* Content-MD5; the ETag is compared
								 * unless SSE-KMS makes it opaque */
	SAGE_S3_CHECKSUM_NONE		/* only SigV4's payload hash */
} SageS3Checksum;

/*
 * Options of sage_s3_put_ex and sage_s3_copy; zeros give the defaults.
 * Multipart uploads always send Content-MD5 per part (unless NONE) and
 * check each part's ETag and the final "md5-of-md5s-N" ETag.
 */
typedef struct SageS3PutOptions
{
	bool		if_none_match;	/* put only if the key is absent */
	const char *content_type;	/* NULL = none (S3: binary/octet-stream) */
	SageS3Encryption sse;		/* server-side encryption */
	const char *kms_key_id;		/* SAGE_S3_SSE_KMS: key id or ARN, NULL =
								 * the account's aws/s3 key */
	SageS3Checksum checksum;	/* see SageS3Checksum */
	bool		gzip;			/* compress bodies of gzip_min bytes or more
								 * and send Content-Encoding: gzip */
	size_t		gzip_min;		/* 0 = 64 kB */
	size_t		multipart_threshold;	/* larger bodies go in parts; 0 = 64 MB */
	size_t		part_size;		/* 0 = 16 MB; at least 5 MB (S3's minimum) */
	int			parallel;		/* parts in flight at once; 0 = 4 */
} SageS3PutOptions;

/* What a put or copy stored. */
typedef struct SageS3PutResult
{
	char		etag[96];		/* S3's ETag, with its quotes */
	int			parts;			/* parts of a multipart upload; 0 = one PUT */
	bool		gzipped;		/* the body was stored gzip-compressed */
	size_t		stored_len;		/* bytes stored (compressed when gzipped) */
} SageS3PutResult;

/*
 * Stores an object with options: compressed, encrypted, checksummed, and
 * uploaded in parallel parts when large (parts go through a SageHttpMulti
 * made with the client's transport options; any failure aborts the
 * upload, so no parts are left behind). 0 done, 1 refused because
 * if_none_match and the key exists, -1 with *err. result may be NULL.
 */
int			sage_s3_put_ex(SageS3Client *client, const char *key, const void *data,
						   size_t len, const SageS3PutOptions *opts,
						   SageS3PutResult *result, SageError *err);

/*
 * Copies src_key of src_bucket (NULL = the client's bucket) to dst_key of
 * the client's bucket, server side (CopyObject, objects up to 5 GB). Only
 * content_type (which replaces the metadata), sse and kms_key_id of opts
 * are used; opts may be NULL. 0 done, 1 no such source key, -1 with *err.
 */
int			sage_s3_copy(SageS3Client *client, const char *src_bucket,
						 const char *src_key, const char *dst_key,
						 const SageS3PutOptions *opts, SageS3PutResult *result,
						 SageError *err);

/* MD5 of a buffer into out (16 bytes), for Content-MD5 and ETags. */
int			sage_crypto_md5(const void *data, size_t len, uint8_t *out,
							SageError *err);
/* Base64 (with padding) of len bytes into out, which holds 4 * ((len + 2) / 3) + 1. */
void		sage_crypto_base64(const uint8_t *bytes, size_t len, char *out);

#endif							/* SAGE_AWS_H */
