/*-------------------------------------------------------------------------
 *
 * lambda/runtime_api.h
 *		A client of the AWS Lambda Runtime API (2018-06-01) for the
 *		bootstrap: next invocation, response, invocation error and init
 *		error, over one kept-open HTTP connection.
 *
 *-------------------------------------------------------------------------
 */
#ifndef SAGE_LAMBDA_RUNTIME_API_H
#define SAGE_LAMBDA_RUNTIME_API_H

#include <stdint.h>

#include "sage/aws.h"
#include "sage/common.h"

/* The Runtime API endpoint and the HTTP client that talks to it. */
typedef struct SageRuntimeApi
{
	char		endpoint[512];	/* "http://" + AWS_LAMBDA_RUNTIME_API */
	SageHttpClient *http;		/* no retries: the API is local and a
								 * response must not be posted twice */
} SageRuntimeApi;

/* One invocation as the Runtime API hands it out (strings in an arena). */
typedef struct SageInvocation
{
	const char *request_id;		/* Lambda-Runtime-Aws-Request-Id */
	int64_t		deadline_ms;	/* Lambda-Runtime-Deadline-Ms, epoch ms; 0
								 * when absent */
	const char *event;			/* the event's JSON text */
	size_t		event_len;		/* bytes of event */
} SageInvocation;

/* Prepares the client from host:port; -1 with *err. */
int			sage_runtime_open(SageRuntimeApi *api, const char *host_port,
							  SageError *err);
void		sage_runtime_close(SageRuntimeApi *api);

/* Blocks until the next invocation arrives; -1 with *err. */
int			sage_runtime_next(SageRuntimeApi *api, SageArena *arena,
							  SageInvocation *inv, SageError *err);

/* Posts the invocation's result (a JSON document); -1 with *err. */
int			sage_runtime_respond(SageRuntimeApi *api, SageArena *arena,
								 const char *request_id, const char *json,
								 size_t len, SageError *err);

/*
 * Reports an invocation error (request_id given) or an init error
 * (request_id NULL) as {"errorMessage", "errorType"}; -1 with *err.
 */
int			sage_runtime_error(SageRuntimeApi *api, SageArena *arena,
							   const char *request_id, const char *type,
							   const char *message, SageError *err);

#endif							/* SAGE_LAMBDA_RUNTIME_API_H */
