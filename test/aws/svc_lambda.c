/*-------------------------------------------------------------------------
 *
 * test/aws/svc_lambda.c
 *		Lambda Invoke against test/services/fake_lambda_invoke.py: an
 *		implementation of Invoke's HTTP contract that verifies every
 *		SigV4 signature with botocore and answers 202, 200, function
 *		errors, 429 throttling, 404, 413 and 5xx as each test scripts the
 *		function (moto runs Lambda functions only with docker); the same
 *		through a SageHttpMulti (sage_lambda_invoke_multi).
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
#include "multi_loop.h"

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

/* ------------------------------------------------ through a multi */

/* What one multi invocation's callback saw. */
typedef struct MultiSeen
{
	int			calls;			/* must end at 1 */
	int			rc;				/* outcome or -1 */
	long		status;			/* HTTP status */
	int			attempts;		/* HTTP attempts */
	char		payload[256];	/* start of the payload */
	char		function_error[32]; /* X-Amz-Function-Error */
	char		throttle_reason[96];	/* 429's Reason */
	SageError	err;			/* rc -1 */
} MultiSeen;

static void
multi_seen(void *arg, int rc, const SageLambdaResult *res, const SageError *err)
{
	MultiSeen  *s = arg;

	s->calls++;
	s->rc = rc;
	if (rc >= 0)
	{
		s->status = res->status;
		s->attempts = res->attempts;
		snprintf(s->payload, sizeof(s->payload), "%.*s", (int) res->payload_len,
				 res->payload);
		snprintf(s->function_error, sizeof(s->function_error), "%s",
				 res->function_error != NULL ? res->function_error : "");
		snprintf(s->throttle_reason, sizeof(s->throttle_reason), "%s",
				 res->throttle_reason != NULL ? res->throttle_reason : "");
	}
	else
		s->err = *err;
}

/* A multi with attempts attempts and fast retries. */
static SageHttpMulti *
multi_with(int attempts, int inflight)
{
	SageHttpOptions o;
	SageError	err;
	SageHttpMulti *m;

	memset(&o, 0, sizeof(o));
	o.max_attempts = attempts;
	o.retry_base_ms = 2;
	o.retry_cap_ms = 10;
	m = sage_http_multi_new(&o, inflight, &err);
	if (m == NULL)
		fail_msg("multi: %s", err.message);
	return m;
}

/* 100 signed Event invokes at once: all queued, all verified by the server. */
static void
test_multi_events(void **state)
{
	SageLambdaClient *c = client_with(creds, 1, 0);
	SageHttpMulti *m = multi_with(1, 100);
	SageArena  *a = sage_arena_new(NULL);
	MultiSeen  *seen = calloc(100, sizeof(MultiSeen));
	SageError	err;
	int			i;
	const SageJsonValue *inv;

	script("proc-many", "[{}]");
	for (i = 0; i < 100; i++)
	{
		char		payload[64];

		snprintf(payload, sizeof(payload), "{\"n\": %d}", i);
		assert_int_equal(sage_lambda_invoke_multi(c, m, "proc-many", SAGE_LAMBDA_EVENT,
												  payload, strlen(payload), multi_seen,
												  &seen[i], &err), 0);
	}
	assert_int_equal(sage_http_multi_inflight(m), 100);
	assert_int_equal(loop_run(m, 30000, NULL), 0);
	for (i = 0; i < 100; i++)
	{
		assert_int_equal(seen[i].calls, 1);
		assert_int_equal(seen[i].rc, SAGE_LAMBDA_OK);
		assert_int_equal(seen[i].status, 202);
	}
	inv = invocations(a, "proc-many");
	assert_int_equal(inv->count, 100);
	for (i = 0; i < 100; i++)
		assert_string_equal(sage_json_member_string(inv->items[i], "type"), "Event");
	free(seen);
	sage_arena_free(a);
	sage_http_multi_free(m);
	sage_lambda_client_free(c);
}

/* RequestResponse results, function errors, throttling, 5xx, 404, 400. */
static void
test_multi_outcomes(void **state)
{
	SageLambdaClient *c = client_with(creds, 1, 0);
	SageHttpMulti *m = multi_with(3, 0);
	MultiSeen	s[7];
	SageError	err;
	SageArena  *a = sage_arena_new(NULL);

	memset(s, 0, sizeof(s));
	script("mproc-ok", "[{\"result\": {\"rows\": 7}}]");
	script("mproc-fail", "[{\"error\": \"Unhandled\", \"errorMessage\": \"boom\"}]");
	script("mproc-busy", "[{\"throttle\": \"ConcurrentInvocationLimitExceeded\"}]");
	script("mproc-flaky", "[{\"status\": 500}, {\"throttle\": \"X\"}, {\"result\": 2}]");
	script("mproc-down", "[{\"status\": 503}]");
	script("mproc-json", "[{}]");
	assert_int_equal(sage_lambda_invoke_multi(c, m, "mproc-ok", SAGE_LAMBDA_REQUEST_RESPONSE,
											  "{}", 2, multi_seen, &s[0], &err), 0);
	assert_int_equal(sage_lambda_invoke_multi(c, m, "mproc-fail", SAGE_LAMBDA_REQUEST_RESPONSE,
											  "{}", 2, multi_seen, &s[1], &err), 0);
	assert_int_equal(sage_lambda_invoke_multi(c, m, "mproc-busy", SAGE_LAMBDA_EVENT,
											  "{}", 2, multi_seen, &s[2], &err), 0);
	assert_int_equal(sage_lambda_invoke_multi(c, m, "mproc-flaky", SAGE_LAMBDA_REQUEST_RESPONSE,
											  "{}", 2, multi_seen, &s[3], &err), 0);
	assert_int_equal(sage_lambda_invoke_multi(c, m, "mproc-down", SAGE_LAMBDA_EVENT,
											  "{}", 2, multi_seen, &s[4], &err), 0);
	assert_int_equal(sage_lambda_invoke_multi(c, m, "mproc-none", SAGE_LAMBDA_EVENT,
											  "{}", 2, multi_seen, &s[5], &err), 0);
	assert_int_equal(sage_lambda_invoke_multi(c, m, "mproc-json", SAGE_LAMBDA_REQUEST_RESPONSE,
											  "not json", 8, multi_seen, &s[6], &err), 0);
	assert_int_equal(loop_run(m, 30000, NULL), 0);
	assert_int_equal(s[0].rc, SAGE_LAMBDA_OK);
	assert_string_equal(s[0].payload, "{\"rows\": 7}");
	assert_int_equal(s[1].rc, SAGE_LAMBDA_FUNCTION_ERROR);
	assert_string_equal(s[1].function_error, "Unhandled");
	assert_non_null(strstr(s[1].payload, "boom"));
	/* still throttled after 3 attempts */
	assert_int_equal(s[2].rc, SAGE_LAMBDA_THROTTLED);
	assert_int_equal(s[2].status, 429);
	assert_int_equal(s[2].attempts, 3);
	assert_string_equal(s[2].throttle_reason, "ConcurrentInvocationLimitExceeded");
	/* 500, then 429, then the result: retried inside the multi */
	assert_int_equal(s[3].rc, SAGE_LAMBDA_OK);
	assert_int_equal(s[3].attempts, 3);
	assert_string_equal(s[3].payload, "2");
	assert_int_equal(s[4].rc, -1);
	assert_string_equal(s[4].err.message, "could not invoke Lambda function \"mproc-down\": ServiceException");
	assert_non_null(strstr(s[4].err.detail, "after 3 attempts"));
	/* 4xx: an answer at once */
	assert_int_equal(s[5].rc, -1);
	assert_non_null(strstr(s[5].err.message, "ResourceNotFoundException"));
	assert_non_null(strstr(s[5].err.detail, "after 1 attempt."));
	assert_int_equal(s[6].rc, -1);
	assert_non_null(strstr(s[6].err.message, "InvalidRequestContentException"));
	assert_int_equal(invocations(a, "mproc-json")->count, 0);
	sage_arena_free(a);
	sage_http_multi_free(m);
	sage_lambda_client_free(c);
}

/* Refusals before anything is sent: size limits, names, a full multi. */
static void
test_multi_refusals(void **state)
{
	SageLambdaClient *c = client_with(creds, 1, 0);
	SageHttpMulti *m = multi_with(1, 1);
	MultiSeen	s[2];
	SageError	err;
	char	   *over = payload_of(SAGE_LAMBDA_MAX_EVENT_PAYLOAD + 1);
	SageArena  *a = sage_arena_new(NULL);

	memset(s, 0, sizeof(s));
	script("mproc-big", "[{}]");
	assert_int_equal(sage_lambda_invoke_multi(c, m, "mproc-big", SAGE_LAMBDA_EVENT, over,
											  strlen(over), multi_seen, &s[0], &err), -1);
	assert_int_equal(err.code, SAGE_ERR_LIMIT);
	assert_string_equal(err.message, "Lambda payload of 262145 bytes exceeds the Event invocation limit of 262144 bytes");
	assert_int_equal(sage_lambda_invoke_multi(c, m, "", SAGE_LAMBDA_EVENT, "{}", 2,
											  multi_seen, &s[0], &err), -1);
	assert_int_equal(err.code, SAGE_ERR_ARGUMENT);
	assert_int_equal(sage_http_multi_inflight(m), 0);
	/* the one slot taken: the next is refused */
	assert_int_equal(sage_lambda_invoke_multi(c, m, "mproc-big", SAGE_LAMBDA_REQUEST_RESPONSE,
											  over, strlen(over), multi_seen, &s[0], &err), 0);
	assert_int_equal(sage_lambda_invoke_multi(c, m, "mproc-big", SAGE_LAMBDA_EVENT, "{}", 2,
											  multi_seen, &s[1], &err), -1);
	assert_int_equal(err.code, SAGE_ERR_LIMIT);
	assert_int_equal(loop_run(m, 30000, NULL), 0);
	assert_int_equal(s[0].rc, SAGE_LAMBDA_OK);
	assert_int_equal(s[0].calls, 1);
	assert_int_equal(s[1].calls, 0);
	assert_int_equal(invocations(a, "mproc-big")->count, 1);
	free(over);
	sage_arena_free(a);
	sage_http_multi_free(m);
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
		cmocka_unit_test(test_multi_events),
		cmocka_unit_test(test_multi_outcomes),
		cmocka_unit_test(test_multi_refusals),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
