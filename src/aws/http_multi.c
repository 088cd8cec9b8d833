/*-------------------------------------------------------------------------
 *
 * src/aws/http_multi.c
 *		Many HTTP requests in flight over one libcurl multi handle whose
 *		sockets the caller waits on (a PostgreSQL worker's WaitEventSet,
 *		with its latch), signed and retried like sage_http_request.
 *
 * libcurl's "multi_socket" interface is used: CURLMOPT_SOCKETFUNCTION
 * tells which sockets libcurl wants watched for what, CURLMOPT_TIMERFUNCTION
 * when it wants to be called back without socket activity. Both are only
 * recorded here; sage_http_multi_sockets() hands them to the caller, who
 * waits its own way and then calls sage_http_multi_perform().
 *
 * Choices, and why:
 *	- perform() does not know which socket woke the caller (the caller's
 *	  wait may also have been woken by its latch), so it asks poll() with a
 *	  zero timeout which of libcurl's sockets are ready and passes exactly
 *	  those to curl_multi_socket_action: never a blocking call;
 *	- a retry is not a sleep: the transfer leaves the multi, waits for its
 *	  retry time (which sage_http_multi_sockets folds into the timeout it
 *	  returns) and is signed again and re-added by a later perform();
 *	- the request is copied into one malloc'ed block of the transfer,
 *	  credentials included, because the caller may free its own at once
 *	  and a retry signs again; the secret key and token are kept apart and
 *	  wiped when the transfer ends. Signing and the response use arenas
 *	  that live only as long as one call (libcurl copies the URL and the
 *	  header lines), so a transfer in flight holds no 64 kB arena block:
 *	  thousands of requests a second then leave the heap unfragmented and
 *	  the resident size flat;
 *	- easy handles are kept for reuse (curl_easy_reset keeps nothing that
 *	  matters; connections live in the multi's cache, so keep-alive works
 *	  across transfers);
 *	- a finished transfer leaves the count of transfers in flight before
 *	  its callback runs, so the callback may add the next request at once.
 *	  Callbacks must not call sage_http_multi_perform or
 *	  sage_http_multi_free (a nested perform does nothing).
 *
 *-------------------------------------------------------------------------
 */
#include "sage/aws.h"
#include "http_internal.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MULTI_DEFAULT_INFLIGHT 64	/* max_inflight when 0 is given */

/* One request from sage_http_multi_add to its callback. */
typedef struct MultiTransfer
{
	struct MultiTransfer *prev; /* list of the multi's transfers */
	struct MultiTransfer *next;
	SageHttpMulti *multi;		/* owner */
	char	   *block;			/* malloc'ed copy of the request's data */
	SageHttpRequest req;		/* the caller's request, pointing into block */
	SageAwsCredentials creds;	/* copy of req.credentials */
	char	   *secret;			/* malloc'ed secret key, wiped at the end */
	size_t		secret_len;		/* bytes of secret */
	char	   *token;			/* malloc'ed session token, wiped at the end */
	size_t		token_len;		/* bytes of token */
	const char *host;			/* host[:port] of the endpoint */
	CURL	   *easy;			/* while an attempt runs, else NULL */
	struct curl_slist *list;	/* headers of the running attempt */
	HttpReception r;			/* what the running attempt received */
	SageHttpDoneFn done;		/* the caller's callback */
	void	   *arg;			/* its argument */
	int			attempt;		/* attempts started so far */
	int64_t		start_ms;		/* when the request was added */
	int64_t		retry_at;		/* monotonic ms of the next attempt; -1
								 * while an attempt runs */
	char		failures[1024]; /* "attempt 1: HTTP 503; attempt 2: ..." */
	char		errbuf[CURL_ERROR_SIZE];	/* libcurl's reason */
} MultiTransfer;

struct SageHttpMulti
{
	CURLM	   *multi;			/* libcurl's multi handle */
	SageHttpOptions opts;		/* with defaults filled in */
	SageSigV4KeyCache *keys;	/* signing keys of this multi */
	uint64_t	rng;			/* backoff jitter state */
	int			max_inflight;	/* limit of transfers added and not done */
	int			inflight;		/* transfers added and not done */
	MultiTransfer *transfers;	/* all of them, running or waiting */
	CURL	  **idle;			/* easy handles kept for reuse */
	int			nidle;			/* how many of them */
	SageHttpSocket *socks;		/* sockets libcurl wants watched */
	int			nsocks;			/* how many */
	int			capsocks;		/* allocated entries of socks */
	struct pollfd *pfds;		/* perform()'s scratch (libcurl's callbacks
								 * change socks while perform() walks it) */
	int			cappfds;		/* allocated entries of pfds */
	int64_t		timer_at;		/* monotonic ms libcurl wants a timeout
								 * call at; -1 = none */
	bool		socks_oom;		/* a socket could not be recorded */
	bool		performing;		/* inside perform(): no nesting */
};

/* ------------------------------------------------ libcurl's callbacks */

/*
 * multi_socket_cb
 *		CURLMOPT_SOCKETFUNCTION: records what libcurl wants to hear about
 *		a socket, or forgets it.
 */
static int
multi_socket_cb(CURL *easy, curl_socket_t s, int what, void *userp,
				void *socketp)
{
	SageHttpMulti *m = userp;
	int			i;

	for (i = 0; i < m->nsocks; i++)
		if (m->socks[i].fd == (int) s)
			break;
	if (what == CURL_POLL_REMOVE)
	{
		if (i < m->nsocks)
			m->socks[i] = m->socks[--m->nsocks];
		return 0;
	}
	if (i == m->nsocks)
	{
		if (m->nsocks == m->capsocks)
		{
			int			ncap = m->capsocks == 0 ? 16 : m->capsocks * 2;
			SageHttpSocket *ns = realloc(m->socks, sizeof(SageHttpSocket) * ncap);

			if (ns == NULL)
			{
				m->socks_oom = true;
				return -1;
			}
			m->socks = ns;
			m->capsocks = ncap;
		}
		m->socks[m->nsocks++].fd = (int) s;
	}
	m->socks[i].want_read = what == CURL_POLL_IN || what == CURL_POLL_INOUT;
	m->socks[i].want_write = what == CURL_POLL_OUT || what == CURL_POLL_INOUT;
	return 0;
}

/*
 * multi_timer_cb
 *		CURLMOPT_TIMERFUNCTION: when libcurl wants a timeout action.
 */
static int
multi_timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
	SageHttpMulti *m = userp;

	m->timer_at = timeout_ms < 0 ? -1 : sage_http_monotonic_ms() + timeout_ms;
	return 0;
}

/* ------------------------------------------------------------ transfers */

/* Releases a transfer that is no longer in libcurl's hands nor listed. */
static void
multi_transfer_free(MultiTransfer *t)
{
	if (t->secret != NULL)
	{
		sage_crypto_cleanse(t->secret, t->secret_len);
		free(t->secret);
	}
	if (t->token != NULL)
	{
		sage_crypto_cleanse(t->token, t->token_len);
		free(t->token);
	}
	curl_slist_free_all(t->list);
	sage_http_reception_reset(&t->r);
	free(t->block);
	free(t);
}

/*
 * multi_release_easy
 *		Takes a transfer's easy handle out of the multi and keeps it for
 *		reuse (or frees it when enough are kept).
 */
static void
multi_release_easy(SageHttpMulti *m, MultiTransfer *t)
{
	if (t->easy == NULL)
		return;
	curl_multi_remove_handle(m->multi, t->easy);
	if (m->nidle < m->max_inflight)
		m->idle[m->nidle++] = t->easy;
	else
		curl_easy_cleanup(t->easy);
	t->easy = NULL;
	curl_slist_free_all(t->list);
	t->list = NULL;
}

/*
 * multi_complete
 *		Ends a transfer: unlists it, calls the callback with the response
 *		(rc 0) or the error (rc -1), and frees it.
 */
static void
multi_complete(SageHttpMulti *m, MultiTransfer *t, int rc,
			   const SageHttpResponse *resp, const SageError *err)
{
	SageError	none;

	if (t->prev != NULL)
		t->prev->next = t->next;
	else
		m->transfers = t->next;
	if (t->next != NULL)
		t->next->prev = t->prev;
	m->inflight--;
	sage_error_clear(&none);
	t->done(t->arg, rc, rc == 0 ? resp : NULL, err != NULL ? err : &none);
	multi_transfer_free(t);
}

/* Ends a transfer with an error. */
static void
multi_fail(SageHttpMulti *m, MultiTransfer *t, const SageError *err)
{
	multi_complete(m, t, -1, NULL, err);
}

/*
 * multi_start
 *		Starts the next attempt of a transfer: polls the cancel callback,
 *		signs again and hands an easy handle to libcurl. -1 with *err when
 *		the attempt could not start (the transfer is left to the caller).
 */
static int
multi_start(SageHttpMulti *m, MultiTransfer *t, SageError *err)
{
	const char *what = t->req.what != NULL ? t->req.what : t->req.method;
	char	   *url = NULL;
	CURL	   *easy;
	CURLMcode	mrc;
	SageArena  *arena;

	if (m->opts.cancel != NULL && m->opts.cancel(m->opts.callback_arg))
		return sage_error_set(err, SAGE_ERR_CANCELLED, "%s request was cancelled", what);
	arena = sage_arena_new(NULL);
	if (arena == NULL)
		return sage_error_memory(err, NULL);
	if (sage_http_prepare(&m->opts, m->keys, &t->req, t->host, arena, &url,
						  &t->list, err) < 0)
	{
		sage_arena_free(arena);
		return -1;
	}
	easy = m->nidle > 0 ? m->idle[--m->nidle] : curl_easy_init();
	if (easy == NULL)
	{
		sage_arena_free(arena);
		curl_slist_free_all(t->list);
		t->list = NULL;
		return sage_error_set(err, SAGE_ERR_INTERNAL, "could not create a libcurl handle");
	}
	sage_http_reception_reset(&t->r);
	/* libcurl copies the URL and the method; the header lines are in t->list */
	sage_http_setup_easy(easy, &m->opts, &t->req, url, t->list, &t->r, t->errbuf);
	sage_arena_free(arena);
	curl_easy_setopt(easy, CURLOPT_PRIVATE, (void *) t);
	mrc = curl_multi_add_handle(m->multi, easy);
	if (mrc != CURLM_OK)
	{
		curl_easy_cleanup(easy);
		curl_slist_free_all(t->list);
		t->list = NULL;
		return sage_error_set(err, SAGE_ERR_INTERNAL,
							  "could not start %s request: %s", what,
							  curl_multi_strerror(mrc));
	}
	t->easy = easy;
	t->retry_at = -1;
	t->attempt++;
	return 0;
}

/*
 * multi_finished
 *		An attempt ended with libcurl's code rc: either the transfer is
 *		complete (response or final error) or it waits for a retry.
 */
static void
multi_finished(SageHttpMulti *m, MultiTransfer *t, CURLcode rc)
{
	const char *what = t->req.what != NULL ? t->req.what : t->req.method;
	size_t		used = strlen(t->failures);
	long		status = 0;
	bool		retry;
	long		delay;
	int64_t		now;
	SageError	err;

	sage_error_clear(&err);
	if (rc == CURLE_OK)
		curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &status);
	multi_release_easy(m, t);
	if (t->r.oom)
	{
		sage_error_memory(&err, NULL);
		multi_fail(m, t, &err);
		return;
	}
	if (t->r.too_large)
	{
		sage_error_set(&err, SAGE_AWS_ERR_TRANSPORT,
					   "response to %s request is too large", what);
		sage_error_detail(&err, "The limit is %zu bytes.", m->opts.max_response);
		multi_fail(m, t, &err);
		return;
	}
	if (rc != CURLE_OK)
	{
		retry = sage_http_transport_retryable(rc);
		snprintf(t->failures + used, sizeof(t->failures) - used, "%sattempt %d: %s",
				 used > 0 ? "; " : "", t->attempt,
				 sage_http_curl_reason(t->errbuf, rc));
	}
	else
	{
		retry = sage_http_status_retryable(status, &t->r);
		snprintf(t->failures + used, sizeof(t->failures) - used, "%sattempt %d: HTTP %ld",
				 used > 0 ? "; " : "", t->attempt, status);
	}
	now = sage_http_monotonic_ms();
	delay = retry ? sage_http_backoff_ms(&m->opts, &m->rng, t->attempt) : 0;
	if (!retry || t->attempt >= m->opts.max_attempts ||
		now - t->start_ms + delay > m->opts.deadline_ms)
	{
		SageHttpResponse resp;

		if (rc == CURLE_OK)
		{
			SageArena  *arena = sage_arena_new(NULL);

			if (arena == NULL)
			{
				sage_error_memory(&err, NULL);
				multi_fail(m, t, &err);
			}
			else if (sage_http_response(&t->r, status, t->attempt, arena, &resp, &err) < 0)
				multi_fail(m, t, &err);
			else
				multi_complete(m, t, 0, &resp, NULL);
			sage_arena_free(arena);
			return;
		}
		sage_error_set(&err, SAGE_AWS_ERR_TRANSPORT,
					   "could not send %s request to \"%s\": %s",
					   what, t->req.endpoint, sage_http_curl_reason(t->errbuf, rc));
		if (t->attempt > 1)
			sage_error_detail(&err, "Tried %d times over %lld ms: %s.", t->attempt,
							  (long long) (now - t->start_ms), t->failures);
		multi_fail(m, t, &err);
		return;
	}
	sage_http_reception_reset(&t->r);
	t->retry_at = now + delay;
	if (m->opts.log != NULL)
	{
		char		line[160];

		snprintf(line, sizeof(line), "* retrying %s in %ld ms (attempt %d failed)",
				 what, delay, t->attempt);
		m->opts.log(m->opts.callback_arg, line);
	}
}

/* ---------------------------------------------------------------- multi */

SageHttpMulti *
sage_http_multi_new(const SageHttpOptions *opts, int max_inflight,
					SageError *err)
{
	SageHttpMulti *m;

	if (max_inflight < 0)
	{
		sage_error_set(err, SAGE_ERR_ARGUMENT, "invalid limit of %d requests in flight",
					   max_inflight);
		return NULL;
	}
	if (sage_http_global_init(err) < 0)
		return NULL;
	m = calloc(1, sizeof(SageHttpMulti));
	if (m == NULL)
	{
		sage_error_memory(err, NULL);
		return NULL;
	}
	if (opts != NULL)
		m->opts = *opts;
	sage_http_options_defaults(&m->opts);
	m->max_inflight = max_inflight > 0 ? max_inflight : MULTI_DEFAULT_INFLIGHT;
	m->rng = sage_http_seed(m);
	m->timer_at = -1;
	m->idle = calloc((size_t) m->max_inflight, sizeof(CURL *));
	m->keys = sage_sigv4_key_cache_new();
	m->multi = curl_multi_init();
	if (m->idle == NULL || m->keys == NULL || m->multi == NULL)
	{
		sage_http_multi_free(m);
		sage_error_set(err, SAGE_ERR_INTERNAL, "could not create a libcurl multi handle");
		return NULL;
	}
	curl_multi_setopt(m->multi, CURLMOPT_SOCKETFUNCTION, multi_socket_cb);
	curl_multi_setopt(m->multi, CURLMOPT_SOCKETDATA, m);
	curl_multi_setopt(m->multi, CURLMOPT_TIMERFUNCTION, multi_timer_cb);
	curl_multi_setopt(m->multi, CURLMOPT_TIMERDATA, m);
	/* enough cached connections for every transfer to keep its own */
	curl_multi_setopt(m->multi, CURLMOPT_MAXCONNECTS, (long) m->max_inflight + 4);
	return m;
}

void
sage_http_multi_free(SageHttpMulti *m)
{
	int			i;

	if (m == NULL)
		return;
	while (m->transfers != NULL)
	{
		MultiTransfer *t = m->transfers;

		m->transfers = t->next;
		if (t->easy != NULL)
		{
			curl_multi_remove_handle(m->multi, t->easy);
			curl_easy_cleanup(t->easy);
		}
		multi_transfer_free(t);
	}
	for (i = 0; i < m->nidle; i++)
		curl_easy_cleanup(m->idle[i]);
	if (m->multi != NULL)
		curl_multi_cleanup(m->multi);
	sage_sigv4_key_cache_free(m->keys);
	free(m->idle);
	free(m->socks);
	free(m->pfds);
	free(m);
}

/* A malloc'ed copy of a secret string; false when memory is short. */
static bool
multi_copy_secret(const char *s, char **out, size_t *len)
{
	if (s == NULL)
		return true;
	*len = strlen(s) + 1;
	*out = malloc(*len);
	if (*out == NULL)
		return false;
	memcpy(*out, s, *len);
	return true;
}

/* A bump allocator over the transfer's block. */
typedef struct MultiBlock
{
	char	   *next;			/* first free byte */
	size_t		left;			/* bytes left */
} MultiBlock;

/* Bytes a string takes in a block (0 for NULL). */
static size_t
multi_str_size(const char *s)
{
	return s != NULL ? strlen(s) + 1 : 0;
}

/* Copies len bytes into the block, aligned for pointers. */
static void *
multi_put(MultiBlock *b, const void *src, size_t len)
{
	size_t		pad = (size_t) ((uintptr_t) b->next % sizeof(void *));
	char	   *p;

	pad = pad > 0 ? sizeof(void *) - pad : 0;
	/* multi_copy_request sized the block for the worst padding */
	p = b->next + pad;
	b->next = p + len;
	b->left -= pad + len;
	if (src != NULL)
		memcpy(p, src, len);
	return p;
}

/* A string into the block (NULL stays NULL). */
static const char *
multi_put_str(MultiBlock *b, const char *s)
{
	return s != NULL ? multi_put(b, s, strlen(s) + 1) : NULL;
}

/*
 * multi_copy_request
 *		Copies req and everything it points to into one malloc'ed block of
 *		the transfer (the secrets into blocks of their own).
 */
static int
multi_copy_request(MultiTransfer *t, const SageHttpRequest *req, SageError *err)
{
	SageHttpRequest *c = &t->req;
	size_t		size = 0;
	size_t		items = 12;
	MultiBlock	b;
	int			i;

	*c = *req;
	if (req->nparams < 0 || req->nheaders < 0 || req->nheaders > HTTP_MAX_HEADERS)
		return sage_error_set(err, SAGE_ERR_ARGUMENT, "invalid request parameters or headers");
	size += multi_str_size(req->method) + multi_str_size(req->endpoint) +
		multi_str_size(req->path) + multi_str_size(req->region) +
		multi_str_size(req->service) + multi_str_size(req->what) +
		(req->body != NULL ? req->body_len + 1 : 0) +
		sizeof(SageHttpParam) * (size_t) req->nparams +
		sizeof(SageHttpHeader) * (size_t) req->nheaders;
	for (i = 0; i < req->nparams; i++)
		size += multi_str_size(req->params[i].name) + multi_str_size(req->params[i].value);
	for (i = 0; i < req->nheaders; i++)
		size += multi_str_size(req->headers[i].name) + multi_str_size(req->headers[i].value);
	if (req->credentials != NULL)
		size += multi_str_size(req->credentials->access_key_id);
	items += 2 * (size_t) req->nparams + 2 * (size_t) req->nheaders;
	/* worst-case alignment padding of every item */
	size += items * sizeof(void *);
	t->block = malloc(size);
	if (t->block == NULL)
		return sage_error_memory(err, NULL);
	b.next = t->block;
	b.left = size;
	c->method = multi_put_str(&b, req->method);
	c->endpoint = multi_put_str(&b, req->endpoint);
	c->path = multi_put_str(&b, req->path);
	c->region = multi_put_str(&b, req->region);
	c->service = multi_put_str(&b, req->service);
	c->what = multi_put_str(&b, req->what);
	if (req->nparams > 0)
	{
		SageHttpParam *p = multi_put(&b, NULL, sizeof(SageHttpParam) * req->nparams);

		for (i = 0; i < req->nparams; i++)
		{
			p[i].name = multi_put_str(&b, req->params[i].name);
			p[i].value = multi_put_str(&b, req->params[i].value);
		}
		c->params = p;
	}
	if (req->nheaders > 0)
	{
		SageHttpHeader *h = multi_put(&b, NULL, sizeof(SageHttpHeader) * req->nheaders);

		for (i = 0; i < req->nheaders; i++)
		{
			h[i].name = multi_put_str(&b, req->headers[i].name);
			h[i].value = multi_put_str(&b, req->headers[i].value);
		}
		c->headers = h;
	}
	if (req->body != NULL)
		c->body = multi_put(&b, req->body, req->body_len);
	if (req->credentials != NULL)
	{
		t->creds = *req->credentials;
		t->creds.access_key_id = multi_put_str(&b, req->credentials->access_key_id);
		if (!multi_copy_secret(req->credentials->secret_access_key, &t->secret,
							   &t->secret_len) ||
			!multi_copy_secret(req->credentials->session_token, &t->token,
							   &t->token_len))
			return sage_error_memory(err, NULL);
		t->creds.secret_access_key = t->secret;
		t->creds.session_token = t->token;
		c->credentials = &t->creds;
	}
	return 0;
}

int
sage_http_multi_add(SageHttpMulti *m, const SageHttpRequest *req,
					SageHttpDoneFn done, void *arg, SageError *err)
{
	MultiTransfer *t;

	if (done == NULL)
		return sage_error_set(err, SAGE_ERR_ARGUMENT, "HTTP request has no callback");
	if (m->inflight >= m->max_inflight)
	{
		sage_error_set(err, SAGE_ERR_LIMIT, "too many HTTP requests in flight");
		sage_error_detail(err, "The limit is %d.", m->max_inflight);
		return -1;
	}
	t = calloc(1, sizeof(MultiTransfer));
	if (t == NULL)
		return sage_error_memory(err, NULL);
	t->multi = m;
	t->done = done;
	t->arg = arg;
	t->retry_at = -1;
	t->start_ms = sage_http_monotonic_ms();
	if (multi_copy_request(t, req, err) < 0 ||
		sage_http_check(&t->req, &t->host, err) < 0 ||
		multi_start(m, t, err) < 0)
	{
		multi_transfer_free(t);
		return -1;
	}
	t->next = m->transfers;
	if (t->next != NULL)
		t->next->prev = t;
	m->transfers = t;
	m->inflight++;
	return 0;
}

int
sage_http_multi_sockets(SageHttpMulti *m, SageHttpSocket *socks, int max,
						long *timeout_ms)
{
	int64_t		now = sage_http_monotonic_ms();
	int64_t		wake = m->timer_at;
	MultiTransfer *t;
	int			n = m->nsocks < max ? m->nsocks : max;

	if (n > 0)
		memcpy(socks, m->socks, sizeof(SageHttpSocket) * n);
	for (t = m->transfers; t != NULL; t = t->next)
		if (t->retry_at >= 0 && (wake < 0 || t->retry_at < wake))
			wake = t->retry_at;
	if (wake < 0)
		*timeout_ms = -1;
	else
		*timeout_ms = wake <= now ? 0 : (long) (wake - now);
	/* sockets left out are only watched by polling: come back soon */
	if (n < m->nsocks && (*timeout_ms < 0 || *timeout_ms > 10))
		*timeout_ms = 10;
	return n;
}

/*
 * multi_collect
 *		Reads libcurl's messages about finished transfers and ends or
 *		schedules each.
 */
static void
multi_collect(SageHttpMulti *m)
{
	CURLMsg    *msg;
	int			left;

	while ((msg = curl_multi_info_read(m->multi, &left)) != NULL)
	{
		CURL	   *easy = msg->easy_handle;
		CURLcode	rc = msg->data.result;
		char	   *priv = NULL;

		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(easy, CURLINFO_PRIVATE, &priv);
		if (priv != NULL)
			multi_finished(m, (MultiTransfer *) priv, rc);
	}
}

/* Starts the retries whose time has come. */
static void
multi_start_due(SageHttpMulti *m)
{
	int64_t		now = sage_http_monotonic_ms();
	MultiTransfer *t = m->transfers;

	while (t != NULL)
	{
		/* a callback may add transfers (at the head) but not free others */
		MultiTransfer *next = t->next;
		SageError	err;

		if (t->retry_at >= 0 && t->retry_at <= now && multi_start(m, t, &err) < 0)
			multi_fail(m, t, &err);
		t = next;
	}
}

int
sage_http_multi_perform(SageHttpMulti *m, SageError *err)
{
	int			running;
	int			n = m->nsocks;
	int			i;
	CURLMcode	mrc = CURLM_OK;

	if (m->performing)
		return 0;
	if (n > m->cappfds)
	{
		struct pollfd *np = realloc(m->pfds, sizeof(struct pollfd) * m->capsocks);

		if (np == NULL)
			return sage_error_memory(err, NULL);
		m->pfds = np;
		m->cappfds = m->capsocks;
	}
	m->performing = true;
	/* which sockets are ready: the caller's wait does not say */
	for (i = 0; i < n; i++)
	{
		m->pfds[i].fd = m->socks[i].fd;
		m->pfds[i].events = (short) ((m->socks[i].want_read ? POLLIN : 0) |
									 (m->socks[i].want_write ? POLLOUT : 0));
		m->pfds[i].revents = 0;
	}
	if (n > 0 && poll(m->pfds, (nfds_t) n, 0) > 0)
	{
		for (i = 0; i < n && mrc == CURLM_OK; i++)
		{
			int			mask = 0;

			if (m->pfds[i].revents == 0)
				continue;
			if (m->pfds[i].revents & (POLLIN | POLLHUP))
				mask |= CURL_CSELECT_IN;
			if (m->pfds[i].revents & POLLOUT)
				mask |= CURL_CSELECT_OUT;
			if (m->pfds[i].revents & (POLLERR | POLLNVAL))
				mask |= CURL_CSELECT_ERR;
			mrc = curl_multi_socket_action(m->multi, m->pfds[i].fd, mask, &running);
			/* a socket closed by an earlier action is not an error */
			if (mrc == CURLM_BAD_SOCKET)
				mrc = CURLM_OK;
		}
	}
	if (mrc == CURLM_OK && m->timer_at >= 0 && m->timer_at <= sage_http_monotonic_ms())
	{
		m->timer_at = -1;
		mrc = curl_multi_socket_action(m->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	}
	multi_collect(m);
	multi_start_due(m);
	m->performing = false;
	if (mrc != CURLM_OK)
		return sage_error_set(err, SAGE_ERR_INTERNAL, "HTTP transfers failed: %s",
							  curl_multi_strerror(mrc));
	if (m->socks_oom)
	{
		m->socks_oom = false;
		return sage_error_memory(err, NULL);
	}
	return 0;
}

int
sage_http_multi_inflight(const SageHttpMulti *m)
{
	return m->inflight;
}
