/*-------------------------------------------------------------------------
 *
 * src/aws/lambda.c
 *		Lambda Invoke over sage_http_request.
 *
 * POST /2015-03-31/functions/<name>/invocations[?Qualifier=q] with the
 * X-Amz-Invocation-Type header, signed for service "lambda". The
 * transport retries 429 and 5xx with backoff (ARCHITECTURE.md: Lambda's
 * own async retries are off, the extension owns every retry); what is
 * still 429 afterwards is reported as SAGE_LAMBDA_THROTTLED so that the
 * dispatcher can fall back to local workers.
 *
 * Lambda names its errors in the x-amzn-ErrorType header
 * ("TooManyRequestsException:http://internal.amazon.com/..."), its body
 * holding "Type" (User or Service), "message" and for throttling a
 * "Reason"; the body's "__type" is used when the header is missing.
 *
 * sage_lambda_invoke_multi builds the same request and judges the answer
 * the same way, through a SageHttpMulti: the dispatcher keeps many Event
 * invocations in flight while it waits on its latch.
 *
 *-------------------------------------------------------------------------
 */
#include "sage/lambda.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sage/sigv4.h"
#include "json_reader.h"
#include "service_internal.h"

#define LAMBDA_MAX_NAME 170		/* longest function name or ARN (+ version) */

struct SageLambdaClient
{
	SageHttpClient *http;		/* transport, connections kept open */
	SageCredentialProvider *credentials;	/* not owned */
	char	   *endpoint;		/* scheme://host[:port] */
	char	   *region;			/* signing region */
	size_t		max_event;		/* Event payload limit */
	size_t		max_sync;		/* RequestResponse payload limit */
};

SageLambdaClient *
sage_lambda_client_new(const SageLambdaOptions *opts, SageError *err)
{
	SageLambdaClient *c;

	if (opts->region == NULL || opts->region[0] == '\0' ||
		opts->credentials == NULL || strpbrk(opts->region, "/?#% ") != NULL)
	{
		sage_error_set(err, SAGE_ERR_ARGUMENT,
					   "Lambda client needs a valid region and credentials");
		return NULL;
	}
	c = calloc(1, sizeof(SageLambdaClient));
	if (c == NULL)
	{
		sage_error_memory(err, NULL);
		return NULL;
	}
	c->credentials = opts->credentials;
	c->max_event = opts->max_event_payload > 0 ?
		opts->max_event_payload : SAGE_LAMBDA_MAX_EVENT_PAYLOAD;
	c->max_sync = opts->max_sync_payload > 0 ?
		opts->max_sync_payload : SAGE_LAMBDA_MAX_SYNC_PAYLOAD;
	if (sage_aws_service_open("lambda", opts->region, opts->endpoint, &opts->http,
							  &c->region, &c->endpoint, &c->http, err) != 0)
	{
		sage_lambda_client_free(c);
		return NULL;
	}
	return c;
}

void
sage_lambda_client_free(SageLambdaClient *c)
{
	if (c == NULL)
		return;
	sage_aws_service_close(c->region, c->endpoint, c->http);
	free(c);
}

/*
 * lambda_error_type
 *		The exception name of an error response: x-amzn-ErrorType up to
 *		its ':', else the body's code.
 */
static const char *
lambda_error_type(SageArena *arena, const SageHttpResponse *resp)
{
	const char *h = sage_http_header(resp, "x-amzn-errortype");

	if (h != NULL && h[0] != '\0')
	{
		const char *colon = strchr(h, ':');

		return colon != NULL ? sage_strndup(arena, h, colon - h) : h;
	}
	return sage_aws_error_code(arena, resp->body, resp->body_len);
}

/* What a request of the client needs beyond its arena: headers and param. */
typedef struct LambdaCall
{
	SageAwsCredentials creds;	/* signing credentials */
	SageHttpHeader headers[2];	/* invocation and content type */
	SageHttpParam param;		/* Qualifier */
	SageHttpRequest req;		/* the request */
} LambdaCall;

/*
 * lambda_build
 *		Checks an invocation (name, type, payload limit) and builds its
 *		request in *call, strings in arena.
 */
static int
lambda_build(SageLambdaClient *c, const char *function, const char *qualifier,
			 SageLambdaInvocationType type, const void *payload, size_t len,
			 SageArena *arena, LambdaCall *call, SageError *err)
{
	const char *tname = type == SAGE_LAMBDA_EVENT ? "Event" : "RequestResponse";
	size_t		limit = type == SAGE_LAMBDA_EVENT ? c->max_event : c->max_sync;
	char	   *enc;
	char	   *path;

	memset(call, 0, sizeof(*call));
	if (function == NULL || function[0] == '\0' || strlen(function) > LAMBDA_MAX_NAME ||
		(type != SAGE_LAMBDA_EVENT && type != SAGE_LAMBDA_REQUEST_RESPONSE))
		return sage_error_set(err, SAGE_ERR_ARGUMENT,
							  "invalid Lambda function name \"%s\"",
							  function != NULL ? function : "");
	if (len > limit)
	{
		sage_error_set(err, SAGE_ERR_LIMIT,
					   "Lambda payload of %zu bytes exceeds the %s invocation limit of %zu bytes",
					   len, tname, limit);
		sage_error_detail(err, "The payload was not sent to function \"%s\".", function);
		sage_error_hint(err, "Pass large inputs through S3 and send their location.");
		return -1;
	}
	enc = sage_sigv4_uri_encode(arena, function, strlen(function), false);
	path = enc == NULL ? NULL :
		sage_printf(arena, "/2015-03-31/functions/%s/invocations", enc);
	if (path == NULL)
		return sage_error_memory(err, NULL);
	if (sage_aws_credentials_get(c->credentials, arena, time(NULL), &call->creds, err) < 0)
		return -1;
	call->headers[0].name = "X-Amz-Invocation-Type";
	call->headers[0].value = tname;
	call->headers[1].name = "Content-Type";
	call->headers[1].value = "application/json";
	call->param.name = "Qualifier";
	call->param.value = qualifier;
	call->req.method = "POST";
	call->req.endpoint = c->endpoint;
	call->req.path = path;
	call->req.params = &call->param;
	call->req.nparams = qualifier != NULL ? 1 : 0;
	call->req.headers = call->headers;
	call->req.nheaders = 2;
	call->req.body = payload;
	call->req.body_len = payload != NULL ? len : 0;
	call->req.credentials = &call->creds;
	call->req.region = c->region;
	call->req.service = "lambda";
	call->req.what = type == SAGE_LAMBDA_EVENT ? "Lambda Invoke (Event)" :
		"Lambda Invoke (RequestResponse)";
	return 0;
}

/*
 * lambda_outcome
 *		What a response to an invocation comes to: a SageLambdaOutcome with
 *		*result filled (strings in arena or in resp), or -1 with *err.
 */
static int
lambda_outcome(const char *function, SageLambdaInvocationType type,
			   const SageHttpResponse *resp, SageArena *arena,
			   SageLambdaResult *result, SageError *err)
{
	const char *etype;
	SageJsonValue *doc;
	SageError	perr;

	result->status = resp->status;
	result->attempts = resp->attempts;
	result->request_id = sage_http_header(resp, "x-amzn-requestid");
	result->executed_version = sage_http_header(resp, "x-amz-executed-version");
	result->payload = resp->body != NULL ? resp->body : "";
	result->payload_len = resp->body_len;
	if ((type == SAGE_LAMBDA_EVENT && resp->status == 202) ||
		(type == SAGE_LAMBDA_REQUEST_RESPONSE && resp->status == 200))
	{
		result->function_error = sage_http_header(resp, "x-amz-function-error");
		return result->function_error != NULL ? SAGE_LAMBDA_FUNCTION_ERROR :
			SAGE_LAMBDA_OK;
	}
	etype = lambda_error_type(arena, resp);
	sage_error_clear(&perr);
	doc = resp->body_len > 0 ?
		sage_json_parse(arena, resp->body, resp->body_len, NULL, &perr) : NULL;
	if (resp->status == 429 ||
		(etype != NULL && strcmp(etype, "TooManyRequestsException") == 0))
	{
		result->throttle_reason = sage_json_member_string(doc, "Reason");
		result->retry_after = sage_http_header(resp, "retry-after");
		return SAGE_LAMBDA_THROTTLED;
	}
	sage_error_set(err, SAGE_AWS_ERR_SERVICE,
				   "could not invoke Lambda function \"%s\": %s", function,
				   etype != NULL ? etype : resp->status == 200 || resp->status == 202 ?
				   "unexpected status for the invocation type" : "HTTP error");
	{
		const char *msg = sage_json_member_string(doc, "message");

		if (msg == NULL)
			msg = sage_json_member_string(doc, "Message");
		sage_error_detail(err, "Lambda answered HTTP %ld%s%s%s%s after %d attempt%s.",
						  resp->status, msg != NULL ? ": " : "",
						  msg != NULL ? msg : "",
						  result->request_id != NULL ? ", request id " : "",
						  result->request_id != NULL ? result->request_id : "",
						  resp->attempts, resp->attempts == 1 ? "" : "s");
	}
	if (resp->status == 404)
		sage_error_hint(err, "Check sage.lambda_function and the region.");
	else if (resp->status == 403)
		sage_error_hint(err, "Check the credentials and their lambda:InvokeFunction permission.");
	return -1;
}

int
sage_lambda_invoke(SageLambdaClient *c, const char *function,
				   const char *qualifier, SageLambdaInvocationType type,
				   const void *payload, size_t len, SageArena *arena,
				   SageLambdaResult *result, SageError *err)
{
	LambdaCall	call;
	SageHttpResponse resp;

	memset(result, 0, sizeof(*result));
	if (lambda_build(c, function, qualifier, type, payload, len, arena, &call, err) < 0)
		return -1;
	if (sage_http_request(c->http, &call.req, arena, &resp, err) < 0)
		return -1;
	return lambda_outcome(function, type, &resp, arena, result, err);
}

/* ------------------------------------------------ through a multi transport */

/* What the transport's callback needs to call the caller's. */
typedef struct LambdaPending
{
	SageLambdaDoneFn done;		/* the caller's callback */
	void	   *arg;			/* its argument */
	SageLambdaInvocationType type;	/* to judge the status */
	char		function[LAMBDA_MAX_NAME + 1];	/* for messages */
} LambdaPending;

/*
 * lambda_multi_done
 *		The transport's callback: judges the response like
 *		sage_lambda_invoke and calls the caller's callback.
 */
static void
lambda_multi_done(void *arg, int rc, const SageHttpResponse *resp,
				  const SageError *err)
{
	LambdaPending *p = arg;
	SageLambdaResult result;
	SageError	lerr;
	SageArena  *arena;

	memset(&result, 0, sizeof(result));
	sage_error_clear(&lerr);
	if (rc < 0)
	{
		p->done(p->arg, -1, NULL, err);
		free(p);
		return;
	}
	/* an accepted invocation needs no arena: 202s come by the thousand */
	if ((p->type == SAGE_LAMBDA_EVENT && resp->status == 202) ||
		(p->type == SAGE_LAMBDA_REQUEST_RESPONSE && resp->status == 200))
	{
		rc = lambda_outcome(p->function, p->type, resp, NULL, &result, &lerr);
		p->done(p->arg, rc, &result, &lerr);
		free(p);
		return;
	}
	arena = sage_arena_new(NULL);
	if (arena == NULL)
	{
		sage_error_memory(&lerr, NULL);
		p->done(p->arg, -1, NULL, &lerr);
	}
	else
	{
		rc = lambda_outcome(p->function, p->type, resp, arena, &result, &lerr);
		p->done(p->arg, rc, rc >= 0 ? &result : NULL, &lerr);
		sage_arena_free(arena);
	}
	free(p);
}

int
sage_lambda_invoke_multi(SageLambdaClient *c, SageHttpMulti *multi,
						 const char *function_name,
						 SageLambdaInvocationType type,
						 const void *payload, size_t len,
						 SageLambdaDoneFn done, void *arg, SageError *err)
{
	SageArena  *arena;
	LambdaCall	call;
	LambdaPending *p;
	int			rc = -1;

	if (done == NULL)
		return sage_error_set(err, SAGE_ERR_ARGUMENT, "no callback given for a Lambda invocation");
	arena = sage_arena_new(NULL);
	p = calloc(1, sizeof(LambdaPending));
	if (arena == NULL || p == NULL)
	{
		sage_arena_free(arena);
		free(p);
		return sage_error_memory(err, NULL);
	}
	if (lambda_build(c, function_name, NULL, type, payload, len, arena, &call, err) == 0)
	{
		p->done = done;
		p->arg = arg;
		p->type = type;
		strcpy(p->function, function_name);
		rc = sage_http_multi_add(multi, &call.req, lambda_multi_done, p, err);
	}
	/* the multi copied the request, credentials included */
	if (call.creds.secret_access_key != NULL)
		sage_crypto_cleanse((void *) call.creds.secret_access_key,
							strlen(call.creds.secret_access_key));
	sage_arena_free(arena);
	if (rc < 0)
		free(p);
	return rc;
}
