/*-------------------------------------------------------------------------
 *
 * test/aws/http_multi_test.c
 *		Tests of src/aws/http_multi.c against the scripted HTTP server
 *		(test/services/scripted_http.py) and a server in this program that
 *		stops in the middle of its responses: many transfers at once,
 *		retries on 5xx, 429 and throttling but not on other 4xx, dropped
 *		connections, timeouts, cancellation, and a wait loop built with
 *		poll() on the sockets the multi returns.
 *
 * The scripted server is started by the group setup and stopped by its
 * teardown; the tests are skipped only when SAGE_TEST_SKIP_SERVICES=1.
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
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "sage/aws.h"
#include "aws_services.h"
#include "multi_loop.h"

static TestService scripted;

/* What one request's callback saw. */
typedef struct Outcome
{
	int			calls;			/* callbacks: must end at exactly 1 */
	int			rc;				/* rc of the callback */
	long		status;			/* response status */
	int			attempts;		/* response attempts */
	char		body[512];		/* start of the body */
	SageError	err;			/* rc -1: the error */
	SageHttpMulti *multi;		/* for callbacks that add more */
	int		   *next;			/* chained adds: next index to add */
	int			total;			/* chained adds: how many in all */
	struct Outcome *all;		/* chained adds: every outcome */
} Outcome;

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

/* Records what arrived. */
static void
record(void *arg, int rc, const SageHttpResponse *resp, const SageError *err)
{
	Outcome    *o = arg;

	o->calls++;
	o->rc = rc;
	if (rc == 0)
	{
		o->status = resp->status;
		o->attempts = resp->attempts;
		snprintf(o->body, sizeof(o->body), "%.*s", (int) resp->body_len, resp->body);
	}
	else
		o->err = *err;
}

/* A multi with fast retries. */
static SageHttpMulti *
new_multi(int max_attempts, int max_inflight)
{
	SageHttpOptions o = {0};
	SageError	err;
	SageHttpMulti *m;

	if (services_skipped())
		skip();
	o.max_attempts = max_attempts;
	o.retry_base_ms = 5;
	o.retry_cap_ms = 20;
	m = sage_http_multi_new(&o, max_inflight, &err);
	if (m == NULL)
		fail_msg("%s", err.message);
	return m;
}

/* Adds a GET of path on endpoint; asserts it started. */
static void
add_get(SageHttpMulti *m, const char *endpoint, const char *path, Outcome *o)
{
	SageHttpRequest req = {0};
	SageError	err;

	req.method = "GET";
	req.endpoint = endpoint;
	req.path = path;
	req.what = "test GET";
	if (sage_http_multi_add(m, &req, record, o, &err) != 0)
		fail_msg("add %s: %s", path, err.message);
}

/* Callback that records and adds the next request of a chain. */
static void
record_and_chain(void *arg, int rc, const SageHttpResponse *resp, const SageError *err)
{
	Outcome    *o = arg;

	record(arg, rc, resp, err);
	if (*o->next < o->total)
	{
		Outcome    *n = &o->all[(*o->next)++];
		SageHttpRequest req = {0};
		SageError	e;
		char		path[64];

		snprintf(path, sizeof(path), "/chain/%d", (int) (n - o->all));
		req.method = "GET";
		req.endpoint = scripted.endpoint;
		req.path = path;
		if (sage_http_multi_add(o->multi, &req, record_and_chain, n, &e) != 0)
			fail_msg("chained add: %s", e.message);
	}
}

/* 300 requests, at most 24 at once, each callback adding the next one. */
static void
test_many_concurrent(void **state)
{
	SageHttpMulti *m = new_multi(1, 24);
	Outcome    *all = calloc(300, sizeof(Outcome));
	int			next = 0;
	int			i;
	long long	slowest;
	Outcome		extra = {0};
	SageHttpRequest req = {0};
	SageError	err;

	for (i = 0; i < 300; i++)
	{
		all[i].multi = m;
		all[i].next = &next;
		all[i].total = 300;
		all[i].all = all;
	}
	for (next = 0; next < 24; next++)
	{
		char		path[64];
		SageHttpRequest r = {0};

		snprintf(path, sizeof(path), "/chain/%d", next);
		r.method = "GET";
		r.endpoint = scripted.endpoint;
		r.path = path;
		assert_int_equal(sage_http_multi_add(m, &r, record_and_chain, &all[next], &err), 0);
	}
	assert_int_equal(sage_http_multi_inflight(m), 24);
	/* full: refused, nothing started, no callback */
	req.method = "GET";
	req.endpoint = scripted.endpoint;
	assert_int_equal(sage_http_multi_add(m, &req, record, &extra, &err), -1);
	assert_int_equal(err.code, SAGE_ERR_LIMIT);
	assert_string_equal(err.message, "too many HTTP requests in flight");

	assert_int_equal(loop_run(m, 60000, &slowest), 0);
	assert_int_equal(next, 300);
	for (i = 0; i < 300; i++)
	{
		char		want[64];

		assert_int_equal(all[i].calls, 1);
		assert_int_equal(all[i].rc, 0);
		assert_int_equal(all[i].status, 200);
		snprintf(want, sizeof(want), "\"path\": \"/chain/%d\"", i);
		assert_non_null(strstr(all[i].body, want));
	}
	assert_int_equal(extra.calls, 0);
	assert_int_equal(sage_http_multi_inflight(m), 0);
	/* perform never blocks: a slow call would stall the caller's latch */
	assert_true(slowest < 1500);
	sage_http_multi_free(m);
	free(all);
}

/* 5xx, 408, 429 and throttling codes are retried inside the multi. */
static void
test_retries(void **state)
{
	SageHttpMulti *m = new_multi(4, 0);
	Outcome		o[6];
	int			i;

	memset(o, 0, sizeof(o));
	add_get(m, scripted.endpoint, "/script/mr1/500,503,200", &o[0]);
	add_get(m, scripted.endpoint, "/script/mr2/429,200", &o[1]);
	add_get(m, scripted.endpoint, "/script/mr3/400T,json400T,200", &o[2]);
	add_get(m, scripted.endpoint, "/script/mr4/408,200", &o[3]);
	add_get(m, scripted.endpoint, "/script/mr5/500", &o[4]);
	add_get(m, scripted.endpoint, "/script/mr6/drop,200", &o[5]);
	assert_int_equal(loop_run(m, 30000, NULL), 0);
	assert_int_equal(o[0].status, 200);
	assert_int_equal(o[0].attempts, 3);
	assert_int_equal(o[1].status, 200);
	assert_int_equal(o[1].attempts, 2);
	assert_int_equal(o[2].status, 200);
	assert_int_equal(o[2].attempts, 3);
	assert_int_equal(o[3].attempts, 2);
	/* retries exhausted: the last response is the result */
	assert_int_equal(o[4].rc, 0);
	assert_int_equal(o[4].status, 500);
	assert_int_equal(o[4].attempts, 4);
	assert_non_null(strstr(o[4].body, "InternalError"));
	/* a dropped connection is a transport error, retried */
	assert_int_equal(o[5].rc, 0);
	assert_int_equal(o[5].status, 200);
	assert_int_equal(o[5].attempts, 2);
	for (i = 0; i < 6; i++)
		assert_int_equal(o[i].calls, 1);
	sage_http_multi_free(m);
}

/* Other 4xx are answers, never retried. */
static void
test_no_retry_on_4xx(void **state)
{
	SageHttpMulti *m = new_multi(4, 0);
	Outcome		o[3];

	memset(o, 0, sizeof(o));
	add_get(m, scripted.endpoint, "/script/mn1/400,200", &o[0]);
	add_get(m, scripted.endpoint, "/script/mn2/404,200", &o[1]);
	add_get(m, scripted.endpoint, "/script/mn3/403,200", &o[2]);
	assert_int_equal(loop_run(m, 10000, NULL), 0);
	assert_int_equal(o[0].status, 400);
	assert_int_equal(o[1].status, 404);
	assert_int_equal(o[2].status, 403);
	assert_int_equal(o[0].attempts, 1);
	assert_int_equal(o[1].attempts, 1);
	assert_int_equal(o[2].attempts, 1);
	sage_http_multi_free(m);
}

/* Connections that always drop: an error naming every attempt. */
static void
test_transport_errors(void **state)
{
	SageHttpMulti *m = new_multi(3, 0);
	Outcome		o[2];

	memset(o, 0, sizeof(o));
	add_get(m, scripted.endpoint, "/script/mt1/drop", &o[0]);
	/* nothing listens on port 1 */
	add_get(m, "http://127.0.0.1:1", "/", &o[1]);
	assert_int_equal(loop_run(m, 10000, NULL), 0);
	assert_int_equal(o[0].rc, -1);
	assert_int_equal(o[0].err.code, SAGE_AWS_ERR_TRANSPORT);
	assert_non_null(strstr(o[0].err.message, "could not send test GET request to \"http://127.0.0.1:"));
	assert_non_null(strstr(o[0].err.detail, "Tried 3 times over "));
	assert_non_null(strstr(o[0].err.detail, "attempt 3: "));
	assert_int_equal(o[1].rc, -1);
	assert_non_null(strstr(o[1].err.message, "http://127.0.0.1:1"));
	sage_http_multi_free(m);
}

/* A slow answer past timeout_ms is a timeout, while perform never blocks. */
static void
test_timeout(void **state)
{
	SageHttpOptions o = {0};
	SageHttpMulti *m;
	Outcome		out = {0};
	Outcome		fast = {0};
	SageError	err;
	long long	slowest;
	long long	start = loop_now_ms();

	if (services_skipped())
		skip();
	o.max_attempts = 1;
	o.timeout_ms = 400;
	m = sage_http_multi_new(&o, 4, &err);
	assert_non_null(m);
	add_get(m, scripted.endpoint, "/script/mto/slow", &out);
	add_get(m, scripted.endpoint, "/fast", &fast);
	assert_int_equal(loop_run(m, 10000, &slowest), 0);
	assert_int_equal(out.rc, -1);
	assert_non_null(strstr(out.err.message, "timed out"));
	assert_true(loop_now_ms() - start < 2500);
	/* the other transfer was not held up */
	assert_int_equal(fast.status, 200);
	assert_true(slowest < 1500);
	sage_http_multi_free(m);
}

/* ------------------------------------------- server stopping mid-body */

/* A listening socket and how many connections to serve. */
typedef struct HalfServer
{
	int			fd;				/* listening socket */
	int			port;			/* its port */
	int			connections;	/* to serve before returning */
} HalfServer;

/* Answers each connection with half a body, then closes it. */
static void *
half_server_main(void *arg)
{
	HalfServer *s = arg;
	int			i;

	for (i = 0; i < s->connections; i++)
	{
		char		buf[4096];
		int			c = accept(s->fd, NULL, NULL);
		const char *reply = "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n"
			"Content-Type: text/plain\r\n\r\npartial body";

		if (c < 0)
			break;
		if (read(c, buf, sizeof(buf)) > 0 &&
			write(c, reply, strlen(reply)) < 0)
			perror("write");
		close(c);
	}
	return NULL;
}

/* A response cut in the middle of its body is retried, then an error. */
static void
test_stops_mid_response(void **state)
{
	HalfServer	s = {0};
	struct sockaddr_in addr = {0};
	socklen_t	alen = sizeof(addr);
	pthread_t	th;
	SageHttpMulti *m = new_multi(2, 0);
	Outcome		o = {0};
	char		endpoint[64];

	s.fd = socket(AF_INET, SOCK_STREAM, 0);
	addr.sin_family = AF_INET;
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(s.fd, (struct sockaddr *) &addr, sizeof(addr)), 0);
	assert_int_equal(listen(s.fd, 8), 0);
	assert_int_equal(getsockname(s.fd, (struct sockaddr *) &addr, &alen), 0);
	s.port = ntohs(addr.sin_port);
	s.connections = 2;
	assert_int_equal(pthread_create(&th, NULL, half_server_main, &s), 0);
	snprintf(endpoint, sizeof(endpoint), "http://127.0.0.1:%d", s.port);
	add_get(m, endpoint, "/half", &o);
	assert_int_equal(loop_run(m, 10000, NULL), 0);
	pthread_join(th, NULL);
	close(s.fd);
	assert_int_equal(o.calls, 1);
	assert_int_equal(o.rc, -1);
	assert_int_equal(o.err.code, SAGE_AWS_ERR_TRANSPORT);
	assert_non_null(strstr(o.err.detail, "Tried 2 times"));
	sage_http_multi_free(m);
}

/* ------------------------------------------------------------- others */

/* The request is copied: the caller's buffers may change at once. */
static void
test_request_copied(void **state)
{
	SageHttpMulti *m = new_multi(1, 0);
	Outcome		o = {0};
	SageHttpRequest *req = calloc(1, sizeof(SageHttpRequest));
	SageHttpHeader *h = calloc(1, sizeof(SageHttpHeader));
	SageHttpParam *p = calloc(1, sizeof(SageHttpParam));
	SageAwsCredentials *cr = calloc(1, sizeof(SageAwsCredentials));
	char	   *path = strdup("/copied/path");
	char	   *body = strdup("0123456789");
	char	   *hv = strdup("header-value");
	SageError	err;

	h->name = "X-Test";
	h->value = hv;
	p->name = "q";
	p->value = "a b";
	cr->access_key_id = "AKIDEXAMPLE";
	cr->secret_access_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
	req->method = "PUT";
	req->endpoint = scripted.endpoint;
	req->path = path;
	req->headers = h;
	req->nheaders = 1;
	req->params = p;
	req->nparams = 1;
	req->body = body;
	req->body_len = 10;
	req->credentials = cr;
	req->region = "us-east-1";
	req->service = "s3";
	assert_int_equal(sage_http_multi_add(m, req, record, &o, &err), 0);
	memset(path, 'x', strlen(path));
	memset(body, 'y', 10);
	memset(hv, 'z', strlen(hv));
	free(path);
	free(body);
	free(hv);
	free(h);
	free(p);
	free(cr);
	free(req);
	assert_int_equal(loop_run(m, 10000, NULL), 0);
	assert_int_equal(o.status, 200);
	assert_non_null(strstr(o.body, "\"path\": \"/copied/path\""));
	assert_non_null(strstr(o.body, "\"query\": \"q=a%20b\""));
	assert_non_null(strstr(o.body, "\"body_len\": 10"));
	assert_non_null(strstr(o.body, "header-value"));
	assert_non_null(strstr(o.body, "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/"));
	sage_http_multi_free(m);
}

/* Freeing with transfers running or waiting to retry: no callbacks, no leaks. */
static void
test_free_in_flight(void **state)
{
	SageHttpOptions opts = {0};
	SageHttpMulti *m;
	Outcome		o[3];
	SageError	err;
	int			i;

	if (services_skipped())
		skip();
	/* slow retries: the 503 stays waiting for one within the 200 ms below */
	opts.max_attempts = 10;
	opts.retry_base_ms = 1000;
	opts.retry_cap_ms = 1000;
	m = sage_http_multi_new(&opts, 0, &err);
	assert_non_null(m);
	memset(o, 0, sizeof(o));
	add_get(m, scripted.endpoint, "/script/mf1/slow", &o[0]);
	add_get(m, scripted.endpoint, "/script/mf2/slow", &o[1]);
	add_get(m, scripted.endpoint, "/script/mf3/503", &o[2]);
	for (i = 0; i < 20; i++)
	{
		assert_int_equal(sage_http_multi_perform(m, &err), 0);
		usleep(10000);
	}
	assert_int_equal(sage_http_multi_inflight(m), 3);
	sage_http_multi_free(m);
	for (i = 0; i < 3; i++)
		assert_int_equal(o[i].calls, 0);
}

static int	cancel_calls;

/* Says "cancel" from its second call on. */
static bool
cancel_second(void *arg)
{
	return ++cancel_calls >= 2;
}

/* cancel() is polled before each attempt, also before a retry. */
static void
test_cancel(void **state)
{
	SageHttpOptions o = {0};
	SageHttpMulti *m;
	Outcome		out = {0};
	SageError	err;

	if (services_skipped())
		skip();
	o.retry_base_ms = 1;
	o.cancel = cancel_second;
	cancel_calls = 0;
	m = sage_http_multi_new(&o, 0, &err);
	add_get(m, scripted.endpoint, "/script/mc1/500,200", &out);
	assert_int_equal(loop_run(m, 10000, NULL), 0);
	assert_int_equal(out.rc, -1);
	assert_int_equal(out.err.code, SAGE_ERR_CANCELLED);
	assert_string_equal(out.err.message, "test GET request was cancelled");
	/* cancelled before the first attempt: nothing starts */
	{
		SageHttpRequest req = {0};

		req.method = "GET";
		req.endpoint = scripted.endpoint;
		assert_int_equal(sage_http_multi_add(m, &req, record, &out, &err), -1);
		assert_int_equal(err.code, SAGE_ERR_CANCELLED);
		assert_int_equal(sage_http_multi_inflight(m), 0);
	}
	sage_http_multi_free(m);
}

/* Invalid requests are refused by add, without a callback. */
static void
test_argument_errors(void **state)
{
	SageHttpMulti *m;
	SageHttpRequest req = {0};
	Outcome		o = {0};
	SageError	err;

	assert_null(sage_http_multi_new(NULL, -1, &err));
	assert_int_equal(err.code, SAGE_ERR_ARGUMENT);
	m = sage_http_multi_new(NULL, 0, &err);
	assert_non_null(m);
	req.method = "GET";
	req.endpoint = "ftp://example.com";
	assert_int_equal(sage_http_multi_add(m, &req, record, &o, &err), -1);
	assert_string_equal(err.message, "invalid endpoint URL \"ftp://example.com\"");
	req.endpoint = "http://127.0.0.1:1";
	req.path = "relative";
	assert_int_equal(sage_http_multi_add(m, &req, record, &o, &err), -1);
	req.path = "/";
	assert_int_equal(sage_http_multi_add(m, &req, NULL, &o, &err), -1);
	assert_int_equal(err.code, SAGE_ERR_ARGUMENT);
	assert_int_equal(sage_http_multi_inflight(m), 0);
	assert_int_equal(o.calls, 0);
	{
		SageHttpSocket s[4];
		long		timeout = 0;

		/* idle: nothing to wait for */
		assert_int_equal(sage_http_multi_sockets(m, s, 4, &timeout), 0);
		assert_int_equal(timeout, -1);
		assert_int_equal(sage_http_multi_perform(m, &err), 0);
	}
	sage_http_multi_free(m);
	sage_http_multi_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_many_concurrent),
		cmocka_unit_test(test_retries),
		cmocka_unit_test(test_no_retry_on_4xx),
		cmocka_unit_test(test_transport_errors),
		cmocka_unit_test(test_timeout),
		cmocka_unit_test(test_stops_mid_response),
		cmocka_unit_test(test_request_copied),
		cmocka_unit_test(test_free_in_flight),
		cmocka_unit_test(test_cancel),
		cmocka_unit_test(test_argument_errors),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
