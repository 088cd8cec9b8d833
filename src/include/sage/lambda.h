/*-------------------------------------------------------------------------
 *
 * src/include/sage/lambda.h
 *		AWS Lambda Invoke client (REST-JSON protocol, API 2015-03-31).
 *
 * Event invocations are queued by Lambda and answered 202; RequestResponse
 * ones run the function and answer 200 with its result, or with the
 * X-Amz-Function-Error header when the function failed. Both outcomes and
 * throttling (429 TooManyRequestsException, after the transport's
 * retries) are results the dispatcher acts on, not errors. Payloads are
 * checked against Lambda's limits before anything is sent.
 *
 *-------------------------------------------------------------------------
 */
#ifndef SAGE_LAMBDA_H
#define SAGE_LAMBDA_H

#include "sage/aws.h"
#include "sage/common.h"

/* ---------------------------------------------------------------- types */

/* Options of a Lambda client; zeros give the defaults. */
typedef struct SageLambdaOptions
{
	const char *endpoint;		/* NULL = https://lambda.<region>.amazonaws.com */
	const char *region;			/* signing region, required */
	SageCredentialProvider *credentials;	/* required; not owned */
	size_t		max_event_payload;	/* 0 = SAGE_LAMBDA_MAX_EVENT_PAYLOAD */
	size_t		max_sync_payload;	/* 0 = SAGE_LAMBDA_MAX_SYNC_PAYLOAD */
	SageHttpOptions http;		/* transport options */
} SageLambdaOptions;

/* Opaque client: an HTTP client (connections kept open) and the endpoint. */
typedef struct SageLambdaClient SageLambdaClient;

/* How to invoke. */
typedef enum SageLambdaInvocationType
{
	SAGE_LAMBDA_EVENT = 0,		/* asynchronous, 202 */
	SAGE_LAMBDA_REQUEST_RESPONSE	/* synchronous, 200 with the result */
} SageLambdaInvocationType;

/* What an invocation that reached Lambda came to. */
typedef enum SageLambdaOutcome
{
	SAGE_LAMBDA_OK = 0,			/* queued (Event) or returned (sync) */
	SAGE_LAMBDA_FUNCTION_ERROR, /* the function failed (sync only) */
	SAGE_LAMBDA_THROTTLED		/* 429 TooManyRequestsException */
} SageLambdaOutcome;

/* The answer; strings in the caller's arena. */
typedef struct SageLambdaResult
{
	long		status;			/* HTTP status: 202, 200, 429 */
	const char *payload;		/* sync: the function's result or error
								 * document; NUL-terminated; "" for Event */
	size_t		payload_len;
	const char *function_error; /* X-Amz-Function-Error ("Unhandled"...) */
	const char *executed_version;	/* X-Amz-Executed-Version, or NULL */
	const char *request_id;		/* x-amzn-RequestId, or NULL */
	const char *throttle_reason;	/* 429: Lambda's "Reason", or NULL */
	const char *retry_after;	/* 429: Retry-After header, or NULL */
	int			attempts;		/* HTTP attempts made */
} SageLambdaResult;

/* ------------------------------------------------------------ constants */

/* Lambda's request payload limits (bytes). */
#define SAGE_LAMBDA_MAX_EVENT_PAYLOAD (256 * 1024)
#define SAGE_LAMBDA_MAX_SYNC_PAYLOAD (6 * 1024 * 1024)

/* -------------------------------------------------------- constructors */

/* A client; NULL with *err when the options are invalid. */
SageLambdaClient *sage_lambda_client_new(const SageLambdaOptions *opts,
										 SageError *err);
void		sage_lambda_client_free(SageLambdaClient *client);

/* ------------------------------------------------------------ functions */

/*
 * Invokes function (a name, ARN or partial ARN; qualifier a version or
 * alias, NULL for $LATEST) with a JSON payload (NULL = none). Returns a
 * SageLambdaOutcome with *result filled, or -1 with *err: SAGE_ERR_LIMIT
 * when the payload is over the limit of its invocation type (nothing is
 * sent), a service error for other refusals (404 no such function, 413,
 * 5xx after retries...).
 */
int			sage_lambda_invoke(SageLambdaClient *client, const char *function,
							   const char *qualifier,
							   SageLambdaInvocationType type,
							   const void *payload, size_t len,
							   SageArena *arena, SageLambdaResult *result,
							   SageError *err);

/* ------------------------------------------------ through a multi transport */

/*
 * Called once per sage_lambda_invoke_multi that returned 0: rc is a
 * SageLambdaOutcome with *res filled, or -1 with *err (as for
 * sage_lambda_invoke). res and everything in it live only during the
 * callback.
 */
typedef void (*SageLambdaDoneFn) (void *arg, int rc, const SageLambdaResult *res,
								  const SageError *err);

/*
 * An Event or RequestResponse invoke of function_name ($LATEST) through a
 * multi; the payload is copied. -1 with *err when nothing was started:
 * SAGE_ERR_LIMIT for a payload over the limit or a full multi, others
 * for invalid names or missing credentials.
 */
int			sage_lambda_invoke_multi(SageLambdaClient *client, SageHttpMulti *multi,
									 const char *function_name,
									 SageLambdaInvocationType type,
									 const void *payload, size_t len,
									 SageLambdaDoneFn done, void *arg,
									 SageError *err);

#endif							/* SAGE_LAMBDA_H */
