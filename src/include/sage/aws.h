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
	const char *ecs_endpoint;	/* NULL = from the environment */
	int			refresh_margin;	/* seconds before expiry to refresh; 0 = 300 */
	long		timeout_ms;		/* per metadata request; 0 = 1000 */
} SageCredentialOptions;

/* Opaque credentials provider with its cached credentials. */
typedef struct SageCredentialProvider SageCredentialProvider;

/* ------------------------------------------------------------ constants */

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

#endif							/* SAGE_AWS_H */
