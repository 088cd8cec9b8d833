/*-------------------------------------------------------------------------
 *
 * test/aws/http_test.c
 *		Tests of src/aws/http.c against the scripted HTTP server
 *		(test/services/scripted_http.py), which produces on demand what
 *		AWS only does under load: 5xx, throttling, dropped connections,
 *		slow and oversized replies. Plus the parsing of AWS error bodies.
 *
 * The server is started by the group setup and stopped by its teardown;
 * the tests are skipped only when SAGE_TEST_SKIP_SERVICES=1.
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
#include <sys/socket.h>
#include <netinet/in.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "sage/sigv4.h"
#include "aws_services.h"

static TestService scripted;

/* What the callbacks saw. */
typedef struct Trace
{
	char		log[65536];		/* debug lines, '\n'-separated */
	long		delays[64];		/* sleep calls, in ms */
	int			nsleeps;
	int			cancel_after;	/* cancel() says yes from this call on; 0 = never */
	int			cancel_calls;
} Trace;

static void
trace_log(void *arg, const char *line)
{
	Trace	   *t = arg;
	size_t		used = strlen(t->log);

	snprintf(t->log + used, sizeof(t->log) - used, "%s\n", line);
}

static void
trace_sleep(void *arg, long ms)
{
	Trace	   *t = arg;

	if (t->nsleeps < 64)
		t->delays[t->nsleeps++] = ms;
}

static bool
trace_cancel(void *arg)
{
	Trace	   *t = arg;

	return t->cancel_after > 0 && ++t->cancel_calls >= t->cancel_after;
}

static int
group_setup(void **state)
{
	if (services_skipped())
		return 0;
	return service_start("start_scripted_http.sh", &scripted);
}

static int
group_teardown(void **state)
{
	service_stop(&scripted);
	return 0;
}

/* A client with fast retries whose sleeps are only recorded. */
static SageHttpClient *
new_client(Trace *t, int max_attempts)
{
	SageHttpOptions o = {0};
	SageError	err;
	SageHttpClient *c;

	if (services_skipped())
		skip();
	o.max_attempts = max_attempts;
	o.sleep = trace_sleep;
	o.log = trace_log;
	o.cancel = trace_cancel;
	o.callback_arg = t;
	c = sage_http_client_new(&o, &err);
	if (c == NULL)
		fail_msg("%s", err.message);
	return c;
}

/* GET of a scripted path; returns sage_http_request's result. */
static int
get(SageHttpClient *c, SageArena *arena, const char *path,
	SageHttpResponse *resp, SageError *err)
{
	SageHttpRequest req = {0};

	req.method = "GET";
	req.endpoint = scripted.endpoint;
	req.path = path;
	req.what = "test GET";
	return sage_http_request(c, &req, arena, resp, err);
}

static void
test_retry_5xx_then_success(void **state)
{
	Trace	   *t = calloc(1, sizeof(Trace));
	SageHttpClient *c = new_client(t, 4);
	SageArena  *arena = sage_arena_new(NULL);
	SageHttpResponse resp;
	SageError	err;

	assert_int_equal(get(c, arena, "/script/r1/503,500,200", &resp, &err), 0);
	assert_int_equal(resp.status, 200);
	assert_int_equal(resp.attempts, 3);
	assert_int_equal(t->nsleeps, 2);
	assert_non_null(strstr(t->log, "* retrying test GET in "));
	sage_arena_free(arena);
	sage_http_client_free(c);
	free(t);
}

/* 408, 429 and throttling codes in XML or JSON 400s are retried. */
static void
test_retry_throttling(void **state)
{
	static const char *const paths[] = {
		"/script/t1/429,200", "/script/t2/408,200", "/script/t3/400T,200",
		"/script/t4/json400T,200"
	};
	Trace	   *t = calloc(1, sizeof(Trace));
	SageHttpClient *c = new_client(t, 4);
	SageArena  *arena = sage_arena_new(NULL);
	SageHttpResponse resp;
	SageError	err;

	for (int i = 0; i < 4; i++)
	{
		assert_int_equal(get(c, arena, paths[i], &resp, &err), 0);
		assert_int_equal(resp.status, 200);
		assert_int_equal(resp.attempts, 2);
	}
	sage_arena_free(arena);
	sage_http_client_free(c);
	free(t);
}

/* Other 4xx are answers, not failures: no retry. */
static void
test_no_retry_on_4xx(void **state)
{
	Trace	   *t = calloc(1, sizeof(Trace));
	SageHttpClient *c = new_client(t, 4);
	SageArena  *arena = sage_arena_new(NULL);
	SageHttpResponse resp;
	SageError	err;

	assert_int_equal(get(c, arena, "/script/n1/404,200", &resp, &err), 0);
	assert_int_equal(resp.status, 404);
	assert_int_equal(resp.attempts, 1);
	assert_string_equal(sage_aws_error_code(arena, resp.body, resp.body_len), "NoSuchKey");
	assert_string_equal(sage_http_header(&resp, "x-amz-request-id"), "REQ123");
	assert_string_equal(sage_http_header(&resp, "Content-Type"), "application/xml");
	assert_null(sage_http_header(&resp, "x-missing"));
	assert_int_equal(get(c, arena, "/script/n2/403,200", &resp, &err), 0);
	assert_int_equal(resp.status, 403);
	assert_int_equal(resp.attempts, 1);
	assert_int_equal(t->nsleeps, 0);
	sage_arena_free(arena);
	sage_http_client_free(c);
	free(t);
}

/* When every attempt gets a 5xx, the last response is returned. */
static void
test_status_retries_exhausted(void **state)
{
	Trace	   *t = calloc(1, sizeof(Trace));
	SageHttpClient *c = new_client(t, 3);
	SageArena  *arena = sage_arena_new(NULL);
	SageHttpResponse resp;
	SageError	err;

	assert_int_equal(get(c, arena, "/script/x1/503", &resp, &err), 0);
	assert_int_equal(resp.status, 503);
	assert_int_equal(resp.attempts, 3);
	assert_string_equal(sage_aws_error_code(arena, resp.body, resp.body_len), "SlowDown");
	sage_arena_free(arena);
	sage_http_client_free(c);
	free(t);
}

/* A dropped connection is retried; when it always drops, one aggregated error. */
static void
test_transport_errors(void **state)
{
	Trace	   *t = calloc(1, sizeof(Trace));
	SageHttpClient *c = new_client(t, 3);
	SageArena  *arena = sage_arena_new(NULL);
	SageHttpResponse resp;
	SageError	err;
	char		expect[256];

	assert_int_equal(get(c, arena, "/script/d1/drop,200", &resp, &err), 0);
	assert_int_equal(resp.status, 200);
	assert_int_equal(resp.attempts, 2);

	assert_int_equal(get(c, arena, "/script/d2/drop", &resp, &err), -1);
	assert_int_equal(err.code, SAGE_AWS_ERR_TRANSPORT);
	snprintf(expect, sizeof(expect),
			 "could not send test GET request to \"%s\": Empty reply from server",
			 scripted.endpoint);
	assert_string_equal(err.message, expect);
	assert_true(strncmp(err.detail, "Tried 3 times over ", 19) == 0);
	assert_non_null(strstr(err.detail, "attempt 1: Empty reply from server; attempt 2: "));
	sage_arena_free(arena);
	sage_http_client_free(c);
	free(t);
}

/* Nothing listening: connection refused, retried, then reported. */
static void
test_connection_refused(void **state)
{
	Trace	   *t = calloc(1, sizeof(Trace));
	SageHttpClient *c = new_client(t, 2);
	SageArena  *arena = sage_arena_new(NULL);
	SageHttpRequest req = {0};
	SageHttpResponse resp;
	SageError	err;
	struct sockaddr_in sa = {0};
	socklen_t	len = sizeof(sa);
	int			fd = socket(AF_INET, SOCK_STREAM, 0);
	char		endpoint[64];

	/* a port that was free a moment ago and has no listener */
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *) &sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *) &sa, &len), 0);
	close(fd);
	snprintf(endpoint, sizeof(endpoint), "http://127.0.0.1:%d", ntohs(sa.sin_port));
	req.method = "GET";
	req.endpoint = endpoint;
	assert_int_equal(sage_http_request(c, &req, arena, &resp, &err), -1);
	assert_int_equal(err.code, SAGE_AWS_ERR_TRANSPORT);
	assert_non_null(strstr(err.message, "could not send GET request to \"http://127.0.0.1:"));
	assert_non_null(strstr(err.message, "Failed to connect to 127.0.0.1 port"));
	assert_non_null(strstr(err.detail, "Tried 2 times"));
	assert_int_equal(t->nsleeps, 1);
	sage_arena_free(arena);
	sage_http_client_free(c);
	free(t);
}

/* A reply slower than the timeout fails the attempt. */
static void
test_timeout(void **state)
{
	Trace	   *t = calloc(1, sizeof(Trace));
	SageHttpOptions o = {0};
	SageHttpClient *c;
	SageArena  *arena = sage_arena_new(NULL);
	SageHttpResponse resp;
	SageError	err;

	if (services_skipped())
		skip();
	o.max_attempts = 1;
	o.timeout_ms = 300;
	c = sage_http_client_new(&o, &err);
	assert_int_equal(get(c, arena, "/script/s1/slow", &resp, &err), -1);
	assert_non_null(strstr(err.message, "Operation timed out after"));
	assert_string_equal(err.detail, "");
	sage_arena_free(arena);
	sage_http_client_free(c);
	free(t);
}

/* A body over max_response is refused, not retried. */
static void
test_response_too_large(void **state)
{
	SageHttpOptions o = {0};
	SageHttpClient *c;
	SageArena  *arena = sage_arena_new(NULL);
	SageHttpResponse resp;
	SageError	err;

	if (services_skipped())
		skip();
	o.max_response = 1024 * 1024;
	c = sage_http_client_new(&o, &err);
	assert_int_equal(get(c, arena, "/script/b1/big", &resp, &err), -1);
	assert_string_equal(err.message, "response to test GET request is too large");
	assert_string_equal(err.detail, "The limit is 1048576 bytes.");
	/* the default limit lets it through */
	sage_http_client_free(c);
	c = sage_http_client_new(NULL, &err);
	assert_int_equal(get(c, arena, "/script/b2/big", &resp, &err), 0);
	assert_int_equal(resp.body_len, 3 * 1024 * 1024);
	sage_arena_free(arena);
	sage_http_client_free(c);
}

/* Backoff delays stay under a ceiling doubling from base to cap. */
static void
test_backoff_jitter(void **state)
{
	Trace	   *t = calloc(1, sizeof(Trace));
	SageHttpOptions o = {0};
	SageHttpClient *c;
	SageArena  *arena = sage_arena_new(NULL);
	SageHttpResponse resp;
	SageError	err;
	long		sum = 0;

	if (services_skipped())
		skip();
	o.max_attempts = 8;
	o.retry_base_ms = 40;
	o.retry_cap_ms = 200;
	o.sleep = trace_sleep;
	o.callback_arg = t;
	c = sage_http_client_new(&o, &err);
	assert_int_equal(get(c, arena, "/script/j1/503", &resp, &err), 0);
	assert_int_equal(resp.attempts, 8);
	assert_int_equal(t->nsleeps, 7);
	for (int i = 0; i < t->nsleeps; i++)
	{
		long		ceiling = 40L << i;

		assert_in_range(t->delays[i], 0, ceiling < 200 ? ceiling : 200);
		sum += t->delays[i];
	}
	/* jitter, not a constant: seven draws are not all equal */
	assert_true(sum != t->delays[0] * 7 || sum == 0);
	sage_arena_free(arena);
	sage_http_client_free(c);
	free(t);
}

/* The deadline stops retrying even with attempts left. */
static void
test_deadline(void **state)
{
	SageHttpOptions o = {0};
	SageHttpClient *c;
	SageArena  *arena = sage_arena_new(NULL);
	SageHttpResponse resp;
	SageError	err;
	struct timespec t0;
	struct timespec t1;
	long		ms;

	if (services_skipped())
		skip();
	o.max_attempts = 1000;
	o.retry_base_ms = 50;
	o.retry_cap_ms = 50;
	o.deadline_ms = 400;
	c = sage_http_client_new(&o, &err);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(get(c, arena, "/script/dl/503", &resp, &err), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	assert_int_equal(resp.status, 503);
	assert_true(resp.attempts > 2 && resp.attempts < 1000);
	assert_true(ms < 400 + 1000);
	sage_arena_free(arena);
	sage_http_client_free(c);
}

/* The cancel callback stops between attempts. */
static void
test_cancel(void **state)
{
	Trace	   *t = calloc(1, sizeof(Trace));
	SageHttpClient *c = new_client(t, 5);
	SageArena  *arena = sage_arena_new(NULL);
	SageHttpResponse resp;
	SageError	err;

	t->cancel_after = 2;
	assert_int_equal(get(c, arena, "/script/c1/503", &resp, &err), -1);
	assert_int_equal(err.code, SAGE_ERR_CANCELLED);
	assert_string_equal(err.message, "test GET request was cancelled");
	assert_int_equal(t->nsleeps, 1);
	sage_arena_free(arena);
	sage_http_client_free(c);
	free(t);
}

static int64_t
fixed_now(void *arg)
{
	return INT64_C(1440938160);
}

/*
 * A signed PUT carries Authorization, X-Amz-Date, x-amz-content-sha256,
 * the signed Host, the path as given and the encoded query; never an
 * Expect or a default Content-Type.
 */
static void
test_signed_request_on_the_wire(void **state)
{
	SageAwsCredentials creds = {"AKIDEXAMPLE", "secret", NULL, 0};
	SageHttpParam params[] = {{"prefix", "a b"}, {"acl", NULL}};
	SageHttpHeader headers[] = {{"X-Amz-Meta-Note", "n  o"}};
	SageHttpOptions o = {0};
	SageHttpClient *c;
	SageArena  *arena = sage_arena_new(NULL);
	SageHttpRequest req = {0};
	SageHttpResponse resp;
	SageError	err;
	char		expect[256];
	char	   *body = malloc(5000);

	if (services_skipped())
		skip();
	memset(body, 'b', 5000);
	o.now = fixed_now;
	c = sage_http_client_new(&o, &err);
	req.method = "PUT";
	req.endpoint = scripted.endpoint;
	req.path = "/bucket/a/../b//c%20d";
	req.params = params;
	req.nparams = 2;
	req.headers = headers;
	req.nheaders = 1;
	req.body = body;
	req.body_len = 5000;
	req.credentials = &creds;
	req.region = "us-east-1";
	req.service = "s3";
	assert_int_equal(sage_http_request(c, &req, arena, &resp, &err), 0);
	assert_int_equal(resp.status, 200);
	assert_non_null(strstr(resp.body, "\"method\": \"PUT\""));
	assert_non_null(strstr(resp.body, "\"path\": \"/bucket/a/../b//c%20d\""));
	assert_non_null(strstr(resp.body, "\"query\": \"acl=&prefix=a%20b\""));
	assert_non_null(strstr(resp.body, "\"body_len\": 5000"));
	assert_non_null(strstr(resp.body, "[\"Authorization\", \"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-meta-note, Signature="));
	assert_non_null(strstr(resp.body, "[\"X-Amz-Date\", \"20150830T123600Z\"]"));
	assert_non_null(strstr(resp.body, "[\"x-amz-content-sha256\", \"5026f8e8d3aade594b17674da02e2b077cf7f278d43a8504ad5fc6574060bd6c\"]"));
	snprintf(expect, sizeof(expect), "[\"Host\", \"127.0.0.1:%d\"]", scripted.port);
	assert_non_null(strstr(resp.body, expect));
	assert_null(strstr(resp.body, "Expect"));
	assert_null(strstr(resp.body, "Content-Type"));

	/* HEAD has no body; DELETE sends none */
	req.method = "HEAD";
	req.body = NULL;
	req.body_len = 0;
	assert_int_equal(sage_http_request(c, &req, arena, &resp, &err), 0);
	assert_int_equal(resp.status, 200);
	assert_int_equal(resp.body_len, 0);
	req.method = "DELETE";
	assert_int_equal(sage_http_request(c, &req, arena, &resp, &err), 0);
	assert_non_null(strstr(resp.body, "\"method\": \"DELETE\""));
	assert_non_null(strstr(resp.body, "\"body_len\": 0"));
	assert_non_null(strstr(resp.body, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));

	/* unsigned: the query is still encoded, nothing is signed */
	req.method = "GET";
	req.credentials = NULL;
	assert_int_equal(sage_http_request(c, &req, arena, &resp, &err), 0);
	assert_non_null(strstr(resp.body, "\"query\": \"prefix=a%20b&acl=\""));
	assert_null(strstr(resp.body, "Authorization"));
	free(body);
	sage_arena_free(arena);
	sage_http_client_free(c);
}

/* The debug trace redacts secrets, and shows the connection being reused. */
static void
test_debug_log_redacted(void **state)
{
	SageAwsCredentials creds = {"AKIDEXAMPLE", "SECRETKEY", "SESSIONTOKEN", 0};
	SageHttpHeader headers[] = {{"X-aws-ec2-metadata-token", "IMDSSECRET"}};
	Trace	   *t = calloc(1, sizeof(Trace));
	SageHttpClient *c = new_client(t, 1);
	SageArena  *arena = sage_arena_new(NULL);
	SageHttpRequest req = {0};
	SageHttpResponse resp;
	SageError	err;

	req.method = "GET";
	req.endpoint = scripted.endpoint;
	req.path = "/echo";
	req.credentials = &creds;
	req.region = "us-east-1";
	req.service = "lambda";
	req.headers = headers;
	req.nheaders = 1;
	assert_int_equal(sage_http_request(c, &req, arena, &resp, &err), 0);
	assert_int_equal(sage_http_request(c, &req, arena, &resp, &err), 0);
	/* the server did get the token: only the trace hides it */
	assert_non_null(strstr(resp.body, "SESSIONTOKEN"));
	assert_non_null(strstr(t->log, "> Authorization: [redacted]"));
	assert_non_null(strstr(t->log, "> X-Amz-Security-Token: [redacted]"));
	assert_non_null(strstr(t->log, "> X-aws-ec2-metadata-token: [redacted]"));
	assert_null(strstr(t->log, "SESSIONTOKEN"));
	assert_null(strstr(t->log, "IMDSSECRET"));
	assert_null(strstr(t->log, "SECRETKEY"));
	assert_null(strstr(t->log, "Signature="));
	assert_non_null(strstr(t->log, "< HTTP/1.1 200 OK"));
	assert_non_null(strstr(t->log, "bytes of data]"));
	assert_non_null(strstr(t->log, "Re-using existing connection"));
	sage_arena_free(arena);
	sage_http_client_free(c);
	free(t);
}

static void
test_argument_errors(void **state)
{
	SageArena  *arena = sage_arena_new(NULL);
	SageHttpClient *c = sage_http_client_new(NULL, NULL);
	SageAwsCredentials creds = {"AKID", "secret", NULL, 0};
	SageHttpHeader bad[] = {{"X-A", "a\nb"}};
	SageHttpRequest req = {0};
	SageHttpResponse resp;
	SageError	err;

	req.endpoint = "http://127.0.0.1:1";
	assert_int_equal(sage_http_request(c, &req, arena, &resp, &err), -1);
	assert_string_equal(err.message, "HTTP method is missing");
	req.method = "GET";
	req.endpoint = "ftp://x";
	assert_int_equal(sage_http_request(c, &req, arena, &resp, &err), -1);
	assert_string_equal(err.message, "invalid endpoint URL \"ftp://x\"");
	assert_string_equal(err.detail, "An endpoint is http:// or https:// followed by a host and an optional port.");
	req.endpoint = "http://host/path";
	assert_int_equal(sage_http_request(c, &req, arena, &resp, &err), -1);
	assert_string_equal(err.message, "invalid endpoint URL \"http://host/path\"");
	req.endpoint = "https://";
	assert_int_equal(sage_http_request(c, &req, arena, &resp, &err), -1);
	assert_string_equal(err.message, "invalid endpoint URL \"https://\"");
	req.endpoint = NULL;
	assert_int_equal(sage_http_request(c, &req, arena, &resp, &err), -1);
	assert_string_equal(err.message, "invalid endpoint URL \"\"");
	req.endpoint = "http://127.0.0.1:1";
	req.path = "relative";
	assert_int_equal(sage_http_request(c, &req, arena, &resp, &err), -1);
	assert_string_equal(err.message, "request path \"relative\" does not start with \"/\"");
	req.path = "/";
	req.credentials = &creds;
	assert_int_equal(sage_http_request(c, &req, arena, &resp, &err), -1);
	assert_string_equal(err.message, "signed request needs a region and a service");
	req.credentials = NULL;
	req.headers = bad;
	req.nheaders = 1;
	assert_int_equal(sage_http_request(c, &req, arena, &resp, &err), -1);
	assert_string_equal(err.message, "value of HTTP header \"X-A\" contains a line break");
	req.nheaders = 65;
	assert_int_equal(sage_http_request(c, &req, arena, &resp, &err), -1);
	assert_string_equal(err.message, "too many request headers");
	/* a signing error surfaces as is */
	req.nheaders = 0;
	req.credentials = &creds;
	req.region = "us-east-1";
	req.service = "bad/service";
	assert_int_equal(sage_http_request(c, &req, arena, &resp, &err), -1);
	assert_string_equal(err.message, "invalid AWS service \"bad/service\"");
	sage_http_client_free(c);
	sage_http_client_free(NULL);
	sage_arena_free(arena);
}

/* Error codes and messages of S3 XML and of the JSON protocols. */
static void
test_error_bodies(void **state)
{
	static const char xml[] = "<?xml version=\"1.0\"?><Error><Code>NoSuchKey</Code>"
		"<Message>The key does not exist</Message></Error>";
	static const char json[] = "{\"__type\":\"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException\","
		"\"message\":\"The conditional request failed\"}";
	static const char json2[] = "{\"code\" : \"ResourceNotFoundException\", \"Message\":\"Function not found: a\\\"b\"}";
	SageArena  *arena = sage_arena_new(NULL);

	assert_string_equal(sage_aws_error_code(arena, xml, strlen(xml)), "NoSuchKey");
	assert_string_equal(sage_aws_error_message(arena, xml, strlen(xml)), "The key does not exist");
	assert_string_equal(sage_aws_error_code(arena, json, strlen(json)),
						"ConditionalCheckFailedException");
	assert_string_equal(sage_aws_error_message(arena, json, strlen(json)),
						"The conditional request failed");
	assert_string_equal(sage_aws_error_code(arena, json2, strlen(json2)),
						"ResourceNotFoundException");
	assert_string_equal(sage_aws_error_message(arena, json2, strlen(json2)),
						"Function not found: a\\\"b");
	assert_null(sage_aws_error_code(arena, "", 0));
	assert_null(sage_aws_error_code(arena, NULL, 0));
	assert_null(sage_aws_error_message(arena, NULL, 0));
	assert_null(sage_aws_error_code(arena, "<Code>unterminated", 18));
	assert_null(sage_aws_error_code(arena, "{\"code\": 5}", 11));
	assert_null(sage_aws_error_message(arena, "plain text", 10));
	sage_arena_free(arena);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_retry_5xx_then_success),
		cmocka_unit_test(test_retry_throttling),
		cmocka_unit_test(test_no_retry_on_4xx),
		cmocka_unit_test(test_status_retries_exhausted),
		cmocka_unit_test(test_transport_errors),
		cmocka_unit_test(test_connection_refused),
		cmocka_unit_test(test_timeout),
		cmocka_unit_test(test_response_too_large),
		cmocka_unit_test(test_backoff_jitter),
		cmocka_unit_test(test_deadline),
		cmocka_unit_test(test_cancel),
		cmocka_unit_test(test_signed_request_on_the_wire),
		cmocka_unit_test(test_debug_log_redacted),
		cmocka_unit_test(test_argument_errors),
		cmocka_unit_test(test_error_bodies),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
