/*-------------------------------------------------------------------------
 *
 * src/aws/http_internal.h
 *		What the one-at-a-time client (http.c) and the multi transport
 *		(http_multi.c) share: request checks, signing into a libcurl
 *		header list, the easy handle's options, the reception buffers,
 *		retry classification and backoff, and the response copy.
 *
 * These functions are extern only so that the two files share them; they
 * are not part of the AWS layer's interface (sage/aws.h is).
 *
 *-------------------------------------------------------------------------
 */
#ifndef SAGE_AWS_HTTP_INTERNAL_H
#define SAGE_AWS_HTTP_INTERNAL_H

#include <curl/curl.h>

#include "sage/aws.h"
#include "sage/sigv4.h"

#define HTTP_MAX_HEADERS 64		/* caller's extra headers */

/* What one attempt received; malloc'ed, since most attempts are retried away. */
typedef struct HttpReception
{
	char	   *body;			/* response body */
	size_t		len;			/* bytes of body */
	size_t		cap;			/* bytes allocated for body */
	size_t		max;			/* refuse bodies larger than this */
	bool		too_large;		/* the body passed max: transfer aborted */
	char	   *head;			/* header lines of the last response */
	size_t		hlen;			/* bytes of head */
	size_t		hcap;			/* bytes allocated for head */
	bool		oom;			/* malloc failed */
} HttpReception;

/* curl_global_init once per process; -1 with *err when it fails. */
int			sage_http_global_init(SageError *err);
/* Fills the zero fields of opts with their defaults (see SageHttpOptions). */
void		sage_http_options_defaults(SageHttpOptions *opts);
/* A non-zero seed for the backoff jitter, different per process and object. */
uint64_t	sage_http_seed(const void *object);
/* Monotonic milliseconds, for deadlines and retry timers. */
int64_t		sage_http_monotonic_ms(void);

/*
 * Validates a request (endpoint "http(s)://host[:port]", absolute path,
 * header count, signing parameters); *host points into req->endpoint.
 */
int			sage_http_check(const SageHttpRequest *req, const char **host,
							SageError *err);
/*
 * Signs one attempt (or encodes its query when unsigned) and builds its
 * URL and header list in arena / *list (freed by the caller with
 * curl_slist_free_all).
 */
int			sage_http_prepare(const SageHttpOptions *opts, SageSigV4KeyCache *keys,
							  const SageHttpRequest *req, const char *host,
							  SageArena *arena, char **url,
							  struct curl_slist **list, SageError *err);
/*
 * Resets an easy handle and sets every option of one attempt; opts must
 * outlive the transfer (the debug trace reads it), errbuf holds
 * CURL_ERROR_SIZE bytes.
 */
void		sage_http_setup_easy(CURL *h, const SageHttpOptions *opts,
								 const SageHttpRequest *req, const char *url,
								 struct curl_slist *list, HttpReception *r,
								 char *errbuf);
/* Frees an attempt's buffers and zeroes the reception. */
void		sage_http_reception_reset(HttpReception *r);

/* Is a transport failure worth another attempt? */
bool		sage_http_transport_retryable(CURLcode rc);
/* Is a response worth another attempt (5xx, 408, 429, throttling codes)? */
bool		sage_http_status_retryable(long status, const HttpReception *r);
/* Full-jitter delay before the retry after attempt (1-based). */
long		sage_http_backoff_ms(const SageHttpOptions *opts, uint64_t *rng,
								 int attempt);
/* libcurl's reason for a failure: its error buffer, else its generic text. */
const char *sage_http_curl_reason(const char *errbuf, CURLcode rc);

/* Copies an attempt's reception into arena as a SageHttpResponse. */
int			sage_http_response(const HttpReception *r, long status, int attempts,
							   SageArena *arena, SageHttpResponse *resp,
							   SageError *err);

#endif							/* SAGE_AWS_HTTP_INTERNAL_H */
