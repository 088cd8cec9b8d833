/*-------------------------------------------------------------------------
 *
 * test/aws/svc_lambda.c
 *		Lambda Invoke against test/services/fake_lambda_invoke.py: an
 *		implementation of Invoke's HTTP contract that verifies every
 *		SigV4 signature with botocore and answers 202, 200, function
 *		errors, 429 throttling, 404, 413 and 5xx as each test scripts the
 *		function (moto runs Lambda functions only with docker).
 *
 * The server is started by the group setup and must start: these tests
 * fail, never skip, without it. Run by test/aws/run_service_tests.sh.
 *
 *-------------------------------------------------------------------------
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sage/lambda.h"
#include "json_reader.h"
#include "aws_services.h"

#define REGION "us-east-1"

static TestService fake;
static SageCredentialProvider *creds;

static void
no_sleep(void *arg, long ms)
{
}

static int
group_setup(void **state)
{
	SageCredentialOptions co;
	SageError	err;

	if (getenv("AWS_ACCESS_KEY_ID") == NULL)
	{
		fprintf(stderr, "AWS_ACCESS_KEY_ID is not set: run under test/aws/run_service_tests.sh\n");
		return -1;
	}
	if (service_start("start_fake_lambda.sh", &fake) < 0)
		return -1;
	memset(&co, 0, sizeof(co));
	co.source = SAGE_CRED_SOURCE_ENV;
	creds = sage_aws_credentials_new(&co, &err);
	return creds != NULL ? 0 : -1;
}

static int
group_teardown(void **state)
{
	service_stop(&fake);
	sage_aws_credentials_free(creds);
	return 0;
}

/* A client with max_attempts attempts and no real sleeping. */
static SageLambdaClient *
client_with(SageCredentialProvider *cp, int attempts, size_t max_event)
{
	SageLambdaOptions o;
	SageError	err;
	SageLambdaClient *c;

	memset(&o, 0, sizeof(o));
	o.endpoint = fake.endpoint;
	o.region = REGION;
	o.credentials = cp;
	o.max_event_payload = max_event;
	o.http.max_attempts = attempts;
	o.http.sleep = no_sleep;
	c = sage_lambda_client_new(&o, &err);
	if (c == NULL)
		fail_msg("client: %s", err.message);
	return c;
}

/* Test control: (re)creates function name with a script of steps. */
static void
script(const char *name, const char *steps)
{
	SageHttpOptions ho;
	SageHttpClient *h;
	SageHttpRequest req = {0};
	SageHttpResponse resp;
	SageArena  *a = sage_arena_new(NULL);
	SageError	err;

	memset(&ho, 0, sizeof(ho));
	h = sage_http_client_new(&ho, &err);
	assert_non_null(h);
	req.method = "PUT";
	req.endpoint = fake.endpoint;
	req.path = sage_printf(a, "/__function/%s", name);
	req.body = steps;
	req.body_len = strlen(steps);
	req.what = "script";
	if (sage_http_request(h, &req, a, &resp, &err) < 0 || resp.status != 200)
		fail_msg("could not script %s: %s", name, err.message);
	sage_http_client_free(h);
	sage_arena_free(a);
}

/* Test control: the invocations the function received, parsed. */
static const SageJsonValue *
invocations(SageArena *a, const char *name)
{
	SageHttpOptions ho;
	SageHttpClient *h;
	SageHttpRequest req = {0};
	SageHttpResponse resp;
	SageError	err;
	const SageJsonValue *v;

	memset(&ho, 0, sizeof(ho));
	h = sage_http_client_new(&ho, &err);
	assert_non_null(h);
	req.method = "GET";
	req.endpoint = fake.endpoint;
	req.path = sage_printf(a, "/__invocations/%s", name);
	req.what = "invocations";
	if (sage_http_request(h, &req, a, &resp, &err) < 0 || resp.status != 200)
		fail_msg("could not list invocations: %s", err.message);
	sage_http_client_free(h);
	v = sage_json_parse(a, resp.body, resp.body_len, NULL, &err);
	assert_non_null(v);
	assert_int_equal(v->type, SAGE_JSON_ARRAY);
	return v;
}

static void
test_event_202(void **state)
{
	SageLambdaClient *c = client_with(creds, 1, 0);
	SageArena  *a = sage_arena_new(NULL);
	SageLambdaResult r;
	SageError	err;
	const char *payload = "{\"execution_id\": \"e1\", \"attempt\": 3}";
	const SageJsonValue *inv;

	script("proc-event", "[{}]");
	assert_int_equal(sage_lambda_invoke(c, "proc-event", NULL, SAGE_LAMBDA_EVENT, payload,
										strlen(payload), a, &r, &err), SAGE_LAMBDA_OK);
	assert_int_equal(r.status, 202);
	assert_int_equal(r.payload_len, 0);
	assert_non_null(r.request_id);
	assert_null(r.function_error);
	inv = invocations(a, "proc-event");
	assert_int_equal(inv->count, 1);
	assert_string_equal(sage_json_member_string(inv->items[0], "type"), "Event");
	assert_string_equal(sage_json_member_string(inv->items[0], "payload"), payload);
	sage_arena_free(a);
	sage_lambda_client_free(c);
}

static void
test_request_response_200(void **state)
{
	SageLambdaClient *c = client_with(creds, 1, 0);
	SageArena  *a = sage_arena_new(NULL);
	SageLambdaResult r;
	SageError	err;
	const char *arn = "arn:aws:lambda:us-east-1:123456789012:function:proc-sync";
	const SageJsonValue *inv;

	script("proc-sync", "[{\"result\": {\"rows\": 12}}]");
	assert_int_equal(sage_lambda_invoke(c, "proc-sync", NULL, SAGE_LAMBDA_REQUEST_RESPONSE,
										"{}", 2, a, &r, &err), SAGE_LAMBDA_OK);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.payload, "{\"rows\": 12}");
	assert_string_equal(r.executed_version, "$LATEST");
	/* a qualifier, and a full ARN (':' encoded in the path, signed twice-encoded) */
	assert_int_equal(sage_lambda_invoke(c, arn, "1", SAGE_LAMBDA_REQUEST_RESPONSE,
										NULL, 0, a, &r, &err), SAGE_LAMBDA_OK);
	assert_string_equal(r.executed_version, "1");
	inv = invocations(a, "proc-sync");
	assert_int_equal(inv->count, 2);
	assert_string_equal(sage_json_member_string(inv->items[1], "qualifier"), "1");
	assert_string_equal(sage_json_member_string(inv->items[1], "type"), "RequestResponse");
	/* an unknown qualifier is the service's 404 */
	assert_int_equal(sage_lambda_invoke(c, "proc-sync", "prod", SAGE_LAMBDA_REQUEST_RESPONSE,
										NULL, 0, a, &r, &err), -1);
	assert_non_null(strstr(err.message, "ResourceNotFoundException"));
	sage_arena_free(a);
	sage_lambda_client_free(c);
}

static void
test_function_error(void **state)
{
	SageLambdaClient *c = client_with(creds, 1, 0);
	SageArena  *a = sage_arena_new(NULL);
	SageLambdaResult r;
	SageError	err;
	SageJsonValue *doc;

	script("proc-fail", "[{\"error\": \"Unhandled\", \"errorMessage\": \"disk full\"}]");
	assert_int_equal(sage_lambda_invoke(c, "proc-fail", NULL, SAGE_LAMBDA_REQUEST_RESPONSE,
										"{}", 2, a, &r, &err), SAGE_LAMBDA_FUNCTION_ERROR);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.function_error, "Unhandled");
	doc = sage_json_parse(a, r.payload, r.payload_len, NULL, &err);
	assert_string_equal(sage_json_member_string(doc, "errorMessage"), "disk full");
	sage_arena_free(a);
	sage_lambda_client_free(c);
}

static void
test_throttling(void **state)
{
	SageLambdaClient *once = client_with(creds, 1, 0);
	SageLambdaClient *retrying = client_with(creds, 4, 0);
	SageArena  *a = sage_arena_new(NULL);
	SageLambdaResult r;
	SageError	err;

	script("proc-busy", "[{\"throttle\": \"ReservedFunctionConcurrentInvocationLimitExceeded\"}]");
	assert_int_equal(sage_lambda_invoke(once, "proc-busy", NULL, SAGE_LAMBDA_EVENT, "{}", 2,
										a, &r, &err), SAGE_LAMBDA_THROTTLED);
	assert_int_equal(r.status, 429);
	assert_string_equal(r.throttle_reason, "ReservedFunctionConcurrentInvocationLimitExceeded");
	assert_string_equal(r.retry_after, "1");
	/* still throttled after all retries */
	assert_int_equal(sage_lambda_invoke(retrying, "proc-busy", NULL, SAGE_LAMBDA_EVENT, "{}", 2,
										a, &r, &err), SAGE_LAMBDA_THROTTLED);
	assert_int_equal(r.attempts, 4);
	/* throttled twice, then through: the transport's retries absorb it */
	script("proc-busy", "[{\"throttle\": \"ConcurrentInvocationLimitExceeded\"},"
		   " {\"throttle\": \"ConcurrentInvocationLimitExceeded\"}, {}]");
	assert_int_equal(sage_lambda_invoke(retrying, "proc-busy", NULL, SAGE_LAMBDA_EVENT, "{}", 2,
										a, &r, &err), SAGE_LAMBDA_OK);
	assert_int_equal(r.status, 202);
	assert_int_equal(r.attempts, 3);
	/* a 5xx is retried too */
	script("proc-busy", "[{\"status\": 500}, {\"result\": 1}]");
	assert_int_equal(sage_lambda_invoke(retrying, "proc-busy", NULL, SAGE_LAMBDA_REQUEST_RESPONSE,
										"{}", 2, a, &r, &err), SAGE_LAMBDA_OK);
	assert_int_equal(r.attempts, 2);
	assert_string_equal(r.payload, "1");
	/* and one that stays 5xx is an error */
	script("proc-busy", "[{\"status\": 503}]");
	assert_int_equal(sage_lambda_invoke(retrying, "proc-busy", NULL, SAGE_LAMBDA_REQUEST_RESPONSE,
										"{}", 2, a, &r, &err), -1);
	assert_string_equal(err.message, "could not invoke Lambda function \"proc-busy\": ServiceException");
	assert_non_null(strstr(err.detail, "HTTP 503: Internal error"));
	assert_non_null(strstr(err.detail, "after 4 attempts"));
	sage_arena_free(a);
	sage_lambda_client_free(once);
	sage_lambda_client_free(retrying);
}

/* A JSON string payload of exactly len bytes. */
static char *
payload_of(size_t len)
{
	char	   *p = malloc(len + 1);

	memset(p, 'x', len);
	p[0] = '"';
	p[len - 1] = '"';
	p[len] = '\0';
	return p;
}

static void
test_payload_limits(void **state)
{
	SageLambdaClient *c = client_with(creds, 1, 0);
	SageLambdaClient *lax = client_with(creds, 1, 1024 * 1024);
	SageArena  *a = sage_arena_new(NULL);
	SageLambdaResult r;
	SageError	err;
	char	   *at = payload_of(SAGE_LAMBDA_MAX_EVENT_PAYLOAD);
	char	   *over = payload_of(SAGE_LAMBDA_MAX_EVENT_PAYLOAD + 1);
	char	   *sync_over = payload_of(SAGE_LAMBDA_MAX_SYNC_PAYLOAD + 1);

	script("proc-big", "[{\"result\": \"ok\"}]");
	/* at the limit: sent and accepted */
	assert_int_equal(sage_lambda_invoke(c, "proc-big", NULL, SAGE_LAMBDA_EVENT, at,
										strlen(at), a, &r, &err), SAGE_LAMBDA_OK);
	/* one byte over: refused before sending */
	assert_int_equal(sage_lambda_invoke(c, "proc-big", NULL, SAGE_LAMBDA_EVENT, over,
										strlen(over), a, &r, &err), -1);
	assert_int_equal(err.code, SAGE_ERR_LIMIT);
	assert_string_equal(err.message, "Lambda payload of 262145 bytes exceeds the Event invocation limit of 262144 bytes");
	/* the same payload is fine synchronously */
	assert_int_equal(sage_lambda_invoke(c, "proc-big", NULL, SAGE_LAMBDA_REQUEST_RESPONSE, over,
										strlen(over), a, &r, &err), SAGE_LAMBDA_OK);
	assert_int_equal(sage_lambda_invoke(c, "proc-big", NULL, SAGE_LAMBDA_REQUEST_RESPONSE,
										sync_over, strlen(sync_over), a, &r, &err), -1);
	assert_int_equal(err.code, SAGE_ERR_LIMIT);
	assert_int_equal(invocations(a, "proc-big")->count, 2);
	/* a client with a larger limit meets the service's own: 413 */
	assert_int_equal(sage_lambda_invoke(lax, "proc-big", NULL, SAGE_LAMBDA_EVENT, over,
										strlen(over), a, &r, &err), -1);
	assert_string_equal(err.message, "could not invoke Lambda function \"proc-big\": RequestEntityTooLargeException");
	free(at);
	free(over);
	free(sync_over);
	sage_arena_free(a);
	sage_lambda_client_free(c);
	sage_lambda_client_free(lax);
}

static void
test_refusals(void **state)
{
	SageLambdaClient *c = client_with(creds, 1, 0);
	SageCredentialOptions co;
	SageCredentialProvider *wrong;
	SageLambdaClient *forged;
	SageArena  *a = sage_arena_new(NULL);
	SageLambdaResult r;
	SageError	err;

	assert_int_equal(sage_lambda_invoke(c, "no-such-function", NULL, SAGE_LAMBDA_EVENT, "{}", 2,
										a, &r, &err), -1);
	assert_string_equal(err.message, "could not invoke Lambda function \"no-such-function\": ResourceNotFoundException");
	assert_non_null(strstr(err.detail, "HTTP 404: Function not found"));
	assert_string_equal(err.hint, "Check sage.lambda_function and the region.");
	script("proc-json", "[{}]");
	assert_int_equal(sage_lambda_invoke(c, "proc-json", NULL, SAGE_LAMBDA_REQUEST_RESPONSE,
										"not json", 8, a, &r, &err), -1);
	assert_non_null(strstr(err.message, "InvalidRequestContentException"));
	/* the server really checks signatures: a wrong secret is refused */
	memset(&co, 0, sizeof(co));
	co.source = SAGE_CRED_SOURCE_EXPLICIT;
	co.access_key_id = getenv("AWS_ACCESS_KEY_ID");
	co.secret_access_key = "not-the-secret";
	wrong = sage_aws_credentials_new(&co, &err);
	assert_non_null(wrong);
	forged = client_with(wrong, 1, 0);
	assert_int_equal(sage_lambda_invoke(forged, "proc-json", NULL, SAGE_LAMBDA_EVENT, "{}", 2,
										a, &r, &err), -1);
	assert_string_equal(err.message, "could not invoke Lambda function \"proc-json\": InvalidSignatureException");
	assert_non_null(strstr(err.hint, "lambda:InvokeFunction"));
	assert_null(strstr(err.detail, "not-the-secret"));
	assert_int_equal(invocations(a, "proc-json")->count, 0);
	/* bad arguments */
	assert_int_equal(sage_lambda_invoke(c, "", NULL, SAGE_LAMBDA_EVENT, "{}", 2, a, &r, &err), -1);
	assert_int_equal(err.code, SAGE_ERR_ARGUMENT);
	sage_lambda_client_free(forged);
	sage_aws_credentials_free(wrong);
	sage_arena_free(a);
	sage_lambda_client_free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_event_202),
		cmocka_unit_test(test_request_response_200),
		cmocka_unit_test(test_function_error),
		cmocka_unit_test(test_throttling),
		cmocka_unit_test(test_payload_limits),
		cmocka_unit_test(test_refusals),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
