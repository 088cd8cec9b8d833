/*-------------------------------------------------------------------------
 *
 * lambda/runtime_api.c
 *		The Lambda Runtime API client of the bootstrap: the long-poll for
 *		the next invocation and the posts that answer it.
 *
 *-------------------------------------------------------------------------
 */
#include "runtime_api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/aws/json_reader.h"
#include "../src/core/json_internal.h"

#define RUNTIME_PREFIX "/2018-06-01/runtime"

/*
 * A day: "next" blocks while the environment is frozen or idle, so no
 * timeout may end it early.
 */
#define RUNTIME_WAIT_MS (24L * 3600 * 1000)

int
sage_runtime_open(SageRuntimeApi *api, const char *host_port, SageError *err)
{
	SageHttpOptions opts;

	memset(api, 0, sizeof(*api));
	if (host_port == NULL || host_port[0] == '\0')
		return sage_error_set(err, SAGE_ERR_ARGUMENT,
							  "AWS_LAMBDA_RUNTIME_API is not set");
	if (strlen(host_port) > sizeof(api->endpoint) - 8)
		return sage_error_set(err, SAGE_ERR_ARGUMENT,
							  "AWS_LAMBDA_RUNTIME_API is too long");
	snprintf(api->endpoint, sizeof(api->endpoint), "http://%s", host_port);
	memset(&opts, 0, sizeof(opts));
	opts.max_attempts = 1;
	opts.timeout_ms = RUNTIME_WAIT_MS;
	opts.deadline_ms = RUNTIME_WAIT_MS;
	api->http = sage_http_client_new(&opts, err);
	return api->http == NULL ? -1 : 0;
}

void
sage_runtime_close(SageRuntimeApi *api)
{
	sage_http_client_free(api->http);
	api->http = NULL;
}

/* One plain request to the Runtime API, expecting a 2xx answer. */
static int
runtime_call(SageRuntimeApi *api, SageArena *arena, const char *method,
			 const char *path, const SageHttpHeader *headers, int nheaders,
			 const char *body, size_t len, const char *what,
			 SageHttpResponse *resp, SageError *err)
{
	SageHttpRequest req;

	memset(&req, 0, sizeof(req));
	req.method = method;
	req.endpoint = api->endpoint;
	req.path = path;
	req.headers = headers;
	req.nheaders = nheaders;
	req.body = body;
	req.body_len = len;
	req.what = what;
	if (sage_http_request(api->http, &req, arena, resp, err) != 0)
		return -1;
	if (resp->status < 200 || resp->status > 299)
	{
		sage_error_set(err, SAGE_ERR_SERVICE,
					   "unexpected HTTP status %ld from the Lambda Runtime API (%s)",
					   resp->status, what);
		if (resp->body_len > 0)
			sage_error_detail(err, "The answer was: %.300s", resp->body);
		return -1;
	}
	return 0;
}

int
sage_runtime_next(SageRuntimeApi *api, SageArena *arena, SageInvocation *inv,
				  SageError *err)
{
	SageHttpResponse resp;
	const char *id;
	const char *deadline;

	memset(inv, 0, sizeof(*inv));
	if (runtime_call(api, arena, "GET", RUNTIME_PREFIX "/invocation/next",
					 NULL, 0, NULL, 0, "next invocation", &resp, err) != 0)
		return -1;
	id = sage_http_header(&resp, "lambda-runtime-aws-request-id");
	if (id == NULL || id[0] == '\0' || strlen(id) > 200 ||
		strpbrk(id, "/?#% ") != NULL)
		return sage_error_set(err, SAGE_ERR_SERVICE,
							  "next invocation has no usable Lambda-Runtime-Aws-Request-Id");
	deadline = sage_http_header(&resp, "lambda-runtime-deadline-ms");
	inv->request_id = id;
	inv->deadline_ms = deadline != NULL ? strtoll(deadline, NULL, 10) : 0;
	inv->event = resp.body;
	inv->event_len = resp.body_len;
	return 0;
}

int
sage_runtime_respond(SageRuntimeApi *api, SageArena *arena,
					 const char *request_id, const char *json, size_t len,
					 SageError *err)
{
	SageHttpResponse resp;
	SageHttpHeader ct = {"Content-Type", "application/json"};
	char	   *path;

	path = sage_printf(arena, RUNTIME_PREFIX "/invocation/%s/response",
					   request_id);
	if (path == NULL)
		return sage_error_memory(err, NULL);
	return runtime_call(api, arena, "POST", path, &ct, 1, json, len,
						"invocation response", &resp, err);
}

int
sage_runtime_error(SageRuntimeApi *api, SageArena *arena,
				   const char *request_id, const char *type,
				   const char *message, SageError *err)
{
	SageHttpResponse resp;
	SageHttpHeader headers[2];
	SageJsonBuffer buf;
	SageJsonWriter w;
	char	   *path;

	if (request_id != NULL)
		path = sage_printf(arena, RUNTIME_PREFIX "/invocation/%s/error",
						   request_id);
	else
		path = sage_strdup(arena, RUNTIME_PREFIX "/init/error");
	if (path == NULL)
		return sage_error_memory(err, NULL);
	memset(&buf, 0, sizeof(buf));
	buf.arena = arena;
	buf.err = err;
	sage_json_init(&w, sage_json_buffer_emit, &buf, false, err);
	sage_json_begin_object(&w);
	sage_json_key(&w, "errorMessage");
	sage_json_string(&w, message);
	sage_json_key(&w, "errorType");
	sage_json_string(&w, type);
	sage_json_end_object(&w);
	if (sage_json_finish(&w) != 0 || buf.data == NULL)
		return -1;
	headers[0].name = "Content-Type";
	headers[0].value = "application/json";
	headers[1].name = "Lambda-Runtime-Function-Error-Type";
	headers[1].value = type;
	return runtime_call(api, arena, "POST", path, headers, 2, buf.data,
						buf.len, request_id ? "invocation error" : "init error",
						&resp, err);
}
