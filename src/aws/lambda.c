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

int
sage_lambda_invoke(SageLambdaClient *c, const char *function,
				   const char *qualifier, SageLambdaInvocationType type,
				   const void *payload, size_t len, SageArena *arena,
				   SageLambdaResult *result, SageError *err)
{
	SageAwsCredentials creds;
	SageHttpRequest req = {0};
	SageHttpResponse resp;
	SageHttpHeader headers[2];
	SageHttpParam param;
	const char *tname = type == SAGE_LAMBDA_EVENT ? "Event" : "RequestResponse";
	size_t		limit = type == SAGE_LAMBDA_EVENT ? c->max_event : c->max_sync;
	char	   *enc;
	char	   *path;
	const char *etype;
	SageJsonValue *doc;
	SageError	perr;

	memset(result, 0, sizeof(*result));
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
	if (sage_aws_credentials_get(c->credentials, arena, time(NULL), &creds, err) < 0)
		return -1;
	headers[0].name = "X-Amz-Invocation-Type";
	headers[0].value = tname;
	headers[1].name = "Content-Type";
	headers[1].value = "application/json";
	param.name = "Qualifier";
	param.value = qualifier;
	req.method = "POST";
	req.endpoint = c->endpoint;
	req.path = path;
	req.params = &param;
	req.nparams = qualifier != NULL ? 1 : 0;
	req.headers = headers;
	req.nheaders = 2;
	req.body = payload;
	req.body_len = payload != NULL ? len : 0;
	req.credentials = &creds;
	req.region = c->region;
	req.service = "lambda";
	req.what = type == SAGE_LAMBDA_EVENT ? "Lambda Invoke (Event)" :
		"Lambda Invoke (RequestResponse)";
	if (sage_http_request(c->http, &req, arena, &resp, err) < 0)
		return -1;
	result->status = resp.status;
	result->attempts = resp.attempts;
	result->request_id = sage_http_header(&resp, "x-amzn-requestid");
	result->executed_version = sage_http_header(&resp, "x-amz-executed-version");
	result->payload = resp.body != NULL ? resp.body : "";
	result->payload_len = resp.body_len;
	if ((type == SAGE_LAMBDA_EVENT && resp.status == 202) ||
		(type == SAGE_LAMBDA_REQUEST_RESPONSE && resp.status == 200))
	{
		result->function_error = sage_http_header(&resp, "x-amz-function-error");
		return result->function_error != NULL ? SAGE_LAMBDA_FUNCTION_ERROR :
			SAGE_LAMBDA_OK;
	}
	etype = lambda_error_type(arena, &resp);
	sage_error_clear(&perr);
	doc = resp.body_len > 0 ?
		sage_json_parse(arena, resp.body, resp.body_len, NULL, &perr) : NULL;
	if (resp.status == 429 ||
		(etype != NULL && strcmp(etype, "TooManyRequestsException") == 0))
	{
		result->throttle_reason = sage_json_member_string(doc, "Reason");
		result->retry_after = sage_http_header(&resp, "retry-after");
		return SAGE_LAMBDA_THROTTLED;
	}
	sage_error_set(err, SAGE_AWS_ERR_SERVICE,
				   "could not invoke Lambda function \"%s\": %s", function,
				   etype != NULL ? etype : resp.status == 200 || resp.status == 202 ?
				   "unexpected status for the invocation type" : "HTTP error");
	{
		const char *msg = sage_json_member_string(doc, "message");

		if (msg == NULL)
			msg = sage_json_member_string(doc, "Message");
		sage_error_detail(err, "Lambda answered HTTP %ld%s%s%s%s after %d attempt%s.",
						  resp.status, msg != NULL ? ": " : "",
						  msg != NULL ? msg : "",
						  result->request_id != NULL ? ", request id " : "",
						  result->request_id != NULL ? result->request_id : "",
						  resp.attempts, resp.attempts == 1 ? "" : "s");
	}
	if (resp.status == 404)
		sage_error_hint(err, "Check sage.lambda_function and the region.");
	else if (resp.status == 403)
		sage_error_hint(err, "Check the credentials and their lambda:InvokeFunction permission.");
	return -1;
}
