/*-------------------------------------------------------------------------
 *
 * src/aws/http.c
 *		HTTP client of the AWS layer over libcurl: one request at a time on
 *		a reused handle, SigV4-signed, retried with backoff; and what it
 *		shares with the multi transport (http_multi.c, http_internal.h).
 *
 * This file and http_multi.c are the only files of sage that call curl_*
 * (STYLE.md, practice 17); the S3 client and the credential providers go
 * through sage_http_request() or a SageHttpMulti.
 *
 * Choices, and why:
 *	- one easy handle per client, reset before each request: libcurl keeps
 *	  the connection cache across curl_easy_reset, so requests to the same
 *	  endpoint reuse their keep-alive connection;
 *	- CURLOPT_NOSIGNAL: libcurl must not install SIGALRM handlers inside a
 *	  PostgreSQL backend, which owns its signals;
 *	- CURLOPT_PATH_AS_IS: S3 keys may contain "/../" or "//", which must be
 *	  sent exactly as signed;
 *	- an empty "Expect:" header: libcurl would otherwise wait for
 *	  "100 Continue" before sending bodies over 1 kB, a round trip for
 *	  nothing; and an empty "Content-Type:" unless the caller sets one,
 *	  so that libcurl's form default never reaches AWS;
 *	- the Host header is set explicitly, so what is signed is what is sent;
 *	- every attempt is signed again: X-Amz-Date must stay fresh;
 *	- retries with "full jitter" (a uniform delay below a ceiling that
 *	  doubles from retry_base up to retry_cap) on transport errors, 5xx,
 *	  408, 429 and throttling error codes, never on other 4xx, within one
 *	  total deadline; when every attempt failed, one message names the
 *	  last failure and the detail lists them all;
 *	- the debug trace redacts Authorization, X-Amz-Security-Token and the
 *	  IMDS token headers, and never prints bodies (they may hold
 *	  credentials).
 *
 *-------------------------------------------------------------------------
 */
#include "sage/sigv4.h"
#include "http_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

struct SageHttpClient
{
	CURL	   *curl;			/* reused easy handle (keeps connections) */
	SageHttpOptions opts;		/* with defaults filled in */
	SageSigV4KeyCache *keys;	/* signing keys of this client */
	uint64_t	rng;			/* xorshift state for backoff jitter */
	char		errbuf[CURL_ERROR_SIZE];	/* libcurl's detailed reason */
};

/* Throttling error codes of AWS services: retried even on a 4xx. */
static const char *const http_throttling_codes[] = {
	"Throttling", "ThrottlingException", "ThrottledException",
	"RequestThrottledException", "TooManyRequestsException",
	"ProvisionedThroughputExceededException", "TransactionInProgressException",
	"RequestLimitExceeded", "BandwidthLimitExceeded", "LimitExceededException",
	"RequestThrottled", "SlowDown", "PriorRequestNotComplete",
	"EC2ThrottledException"
};

/* ------------------------------------------------------------ helpers */

/*
 * sage_http_curl_reason
 *		libcurl's reason for a failure: the error buffer when libcurl filled
 *		it (it names the host, the errno text...), else its generic text.
 */
const char *
sage_http_curl_reason(const char *errbuf, CURLcode rc)
{
	return errbuf[0] != '\0' ? errbuf : curl_easy_strerror(rc);
}

int64_t
sage_http_monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Default sleep: nanosleep, resumed after signals. */
static void
http_default_sleep(void *arg, long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* Next jitter value (xorshift64*), uniform enough for spreading retries. */
static uint64_t
http_random(uint64_t *rng)
{
	*rng ^= *rng >> 12;
	*rng ^= *rng << 25;
	*rng ^= *rng >> 27;
	return *rng * UINT64_C(2685821657736338717);
}

uint64_t
sage_http_seed(const void *object)
{
	uint64_t	seed = (uint64_t) time(NULL) ^ ((uint64_t) getpid() << 32) ^
		(uint64_t) (uintptr_t) object;

	return seed != 0 ? seed : 1;
}

/*
 * sage_http_backoff_ms
 *		Full jitter: uniform in [0, min(cap, base * 2^(attempt - 1))].
 */
long
sage_http_backoff_ms(const SageHttpOptions *opts, uint64_t *rng, int attempt)
{
	long		ceiling = opts->retry_base_ms;
	int			i;

	for (i = 1; i < attempt && ceiling < opts->retry_cap_ms; i++)
		ceiling *= 2;
	if (ceiling > opts->retry_cap_ms)
		ceiling = opts->retry_cap_ms;
	return (long) (http_random(rng) % (uint64_t) (ceiling + 1));
}

bool
sage_http_transport_retryable(CURLcode rc)
{
	switch (rc)
	{
		case CURLE_COULDNT_RESOLVE_HOST:
		case CURLE_COULDNT_CONNECT:
		case CURLE_OPERATION_TIMEDOUT:
		case CURLE_SEND_ERROR:
		case CURLE_RECV_ERROR:
		case CURLE_GOT_NOTHING:
		case CURLE_PARTIAL_FILE:
		case CURLE_SSL_CONNECT_ERROR:
		case CURLE_HTTP2:
		case CURLE_HTTP2_STREAM:
		case CURLE_WEIRD_SERVER_REPLY:
			return true;
		default:
			return false;
	}
}

/* ------------------------------------------------------ error bodies */

/* The text between the first open and close tags, XML-unescaped enough. */
static char *
http_xml_element(SageArena *arena, const char *body, size_t len,
				 const char *open, const char *close)
{
	const char *end = body + len;
	const char *p = body;
	const char *q;
	size_t		olen = strlen(open);

	while (p + olen <= end && memcmp(p, open, olen) != 0)
		p++;
	if (p + olen > end)
		return NULL;
	p += olen;
	for (q = p; q + strlen(close) <= end; q++)
		if (memcmp(q, close, strlen(close)) == 0)
			return sage_strndup(arena, p, (size_t) (q - p));
	return NULL;
}

/* A JSON string member ("key": "value"), without unescaping. */
static char *
http_json_member(SageArena *arena, const char *body, size_t len,
				 const char *key)
{
	char		pat[32];
	const char *end = body + len;
	const char *p = body;
	size_t		plen = (size_t) snprintf(pat, sizeof(pat), "\"%s\"", key);

	for (; p + plen <= end; p++)
	{
		const char *q;

		if (strncasecmp(p, pat, plen) != 0)
			continue;
		q = p + plen;
		while (q < end && (*q == ' ' || *q == ':' || *q == '\t' || *q == '\n'))
			q++;
		if (q < end && *q == '"')
		{
			const char *s = ++q;

			while (q < end && *q != '"')
				q += (*q == '\\' && q + 1 < end) ? 2 : 1;
			return sage_strndup(arena, s, (size_t) (q - s));
		}
	}
	return NULL;
}

char *
sage_aws_error_code(SageArena *arena, const char *body, size_t len)
{
	char	   *code;
	char	   *hash;

	if (body == NULL || len == 0)
		return NULL;
	code = http_xml_element(arena, body, len, "<Code>", "</Code>");
	if (code == NULL)
		code = http_json_member(arena, body, len, "__type");
	if (code == NULL)
		code = http_json_member(arena, body, len, "code");
	/* JSON protocols say "com.amazonaws.dynamodb.v20120810#ThrottlingException" */
	if (code != NULL && (hash = strrchr(code, '#')) != NULL)
		code = hash + 1;
	return code;
}

char *
sage_aws_error_message(SageArena *arena, const char *body, size_t len)
{
	char	   *msg;

	if (body == NULL || len == 0)
		return NULL;
	msg = http_xml_element(arena, body, len, "<Message>", "</Message>");
	if (msg == NULL)
		msg = http_json_member(arena, body, len, "message");
	return msg;
}

/* Does a 4xx response carry a throttling error code? */
static bool
http_throttled(const HttpReception *r)
{
	SageArena  *scratch = sage_arena_new(NULL);
	char	   *code;
	bool		found = false;
	size_t		i;

	if (scratch == NULL)
		return false;
	code = sage_aws_error_code(scratch, r->body, r->len);
	for (i = 0; code != NULL && i < sizeof(http_throttling_codes) / sizeof(char *); i++)
		if (strcmp(code, http_throttling_codes[i]) == 0)
			found = true;
	sage_arena_free(scratch);
	return found;
}

bool
sage_http_status_retryable(long status, const HttpReception *r)
{
	return status >= 500 || status == 408 || status == 429 ||
		(status >= 400 && status < 500 && http_throttled(r));
}

/* ---------------------------------------------------------- callbacks */

/* Grows a malloc'ed buffer to hold need more bytes; false when out of memory. */
static bool
http_reserve(char **buf, size_t *cap, size_t len, size_t need)
{
	size_t		ncap = *cap == 0 ? 4096 : *cap;
	char	   *p;

	if (*cap - len > need)
		return true;
	while (ncap - len <= need)
		ncap *= 2;
	p = realloc(*buf, ncap);
	if (p == NULL)
		return false;
	*buf = p;
	*cap = ncap;
	return true;
}

/* CURLOPT_WRITEFUNCTION: collects the body, refusing more than max. */
static size_t
http_write_cb(char *data, size_t size, size_t nmemb, void *arg)
{
	HttpReception *r = arg;
	size_t		n = size * nmemb;

	if (n > r->max - r->len)
	{
		r->too_large = true;
		return 0;
	}
	if (!http_reserve(&r->body, &r->cap, r->len, n))
	{
		r->oom = true;
		return 0;
	}
	memcpy(r->body + r->len, data, n);
	r->len += n;
	r->body[r->len] = '\0';
	return n;
}

/*
 * CURLOPT_HEADERFUNCTION: collects header lines; a status line starts a
 * new response (after "100 Continue" or a redirect), so only the final
 * response's headers remain.
 */
static size_t
http_header_cb(char *data, size_t size, size_t nmemb, void *arg)
{
	HttpReception *r = arg;
	size_t		n = size * nmemb;

	if (n >= 5 && memcmp(data, "HTTP/", 5) == 0)
		r->hlen = 0;
	if (!http_reserve(&r->head, &r->hcap, r->hlen, n))
	{
		r->oom = true;
		return 0;
	}
	memcpy(r->head + r->hlen, data, n);
	r->hlen += n;
	r->head[r->hlen] = '\0';
	return n;
}

/* Is this outgoing header line one that carries a secret? */
static bool
http_secret_header(const char *line, size_t len)
{
	static const char *const names[] = {
		"authorization:", "x-amz-security-token:",
		"x-aws-ec2-metadata-token:"
	};
	size_t		i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (len >= strlen(names[i]) &&
			strncasecmp(line, names[i], strlen(names[i])) == 0)
			return true;
	return false;
}

/*
 * CURLOPT_DEBUGFUNCTION: the trace, one line at a time, secrets redacted
 * and bodies reduced to their size.
 */
static int
http_debug_cb(CURL *curl, curl_infotype type, char *data, size_t size,
			  void *arg)
{
	const SageHttpOptions *opts = arg;
	const char *prefix;
	size_t		pos = 0;

	switch (type)
	{
		case CURLINFO_TEXT:
			prefix = "* ";
			break;
		case CURLINFO_HEADER_IN:
			prefix = "< ";
			break;
		case CURLINFO_HEADER_OUT:
			prefix = "> ";
			break;
		case CURLINFO_DATA_IN:
		case CURLINFO_DATA_OUT:
			{
				char		line[64];

				snprintf(line, sizeof(line), "%s [%zu bytes of data]",
						 type == CURLINFO_DATA_IN ? "<" : ">", size);
				opts->log(opts->callback_arg, line);
				return 0;
			}
		default:
			return 0;
	}
	while (pos < size)
	{
		size_t		n = 0;
		char		line[1024];

		while (pos + n < size && data[pos + n] != '\n')
			n++;
		if (n > 0 && data[pos + n - 1] == '\r')
			n--;
		if (n > 0)
		{
			if (type == CURLINFO_HEADER_OUT && http_secret_header(data + pos, n))
				snprintf(line, sizeof(line), "%s%.*s [redacted]", prefix,
						 (int) (strchr(data + pos, ':') - (data + pos) + 1),
						 data + pos);
			else
				snprintf(line, sizeof(line), "%s%.*s", prefix,
						 (int) (n > 900 ? 900 : n), data + pos);
			opts->log(opts->callback_arg, line);
		}
		while (pos + n < size && data[pos + n] != '\n')
			n++;
		pos += n + 1;
	}
	return 0;
}

/* ------------------------------------------------------------ client */

int
sage_http_global_init(SageError *err)
{
	static bool curl_ready = false;

	/* once per process, never cleaned up: other libraries share OpenSSL */
	if (!curl_ready)
	{
		CURLcode	rc = curl_global_init(CURL_GLOBAL_DEFAULT);

		if (rc != CURLE_OK)
			return sage_error_set(err, SAGE_ERR_INTERNAL,
								  "could not initialize libcurl: %s",
								  curl_easy_strerror(rc));
		curl_ready = true;
	}
	return 0;
}

void
sage_http_options_defaults(SageHttpOptions *opts)
{
	if (opts->connect_timeout_ms <= 0)
		opts->connect_timeout_ms = 3000;
	if (opts->timeout_ms <= 0)
		opts->timeout_ms = 30000;
	if (opts->max_attempts <= 0)
		opts->max_attempts = 4;
	if (opts->retry_base_ms <= 0)
		opts->retry_base_ms = 100;
	if (opts->retry_cap_ms <= 0)
		opts->retry_cap_ms = 5000;
	if (opts->deadline_ms <= 0)
		opts->deadline_ms = 60000;
	if (opts->max_response == 0)
		opts->max_response = (size_t) 256 << 20;
}

SageHttpClient *
sage_http_client_new(const SageHttpOptions *opts, SageError *err)
{
	SageHttpClient *c;

	if (sage_http_global_init(err) < 0)
		return NULL;
	c = calloc(1, sizeof(SageHttpClient));
	if (c == NULL)
	{
		sage_error_memory(err, NULL);
		return NULL;
	}
	if (opts != NULL)
		c->opts = *opts;
	sage_http_options_defaults(&c->opts);
	if (c->opts.sleep == NULL)
		c->opts.sleep = http_default_sleep;
	c->rng = sage_http_seed(c);
	c->curl = curl_easy_init();
	c->keys = sage_sigv4_key_cache_new();
	if (c->curl == NULL || c->keys == NULL)
	{
		sage_http_client_free(c);
		sage_error_set(err, SAGE_ERR_INTERNAL, "could not create a libcurl handle");
		return NULL;
	}
	return c;
}

void
sage_http_client_free(SageHttpClient *c)
{
	if (c == NULL)
		return;
	if (c->curl != NULL)
		curl_easy_cleanup(c->curl);
	sage_sigv4_key_cache_free(c->keys);
	free(c);
}

const char *
sage_http_header(const SageHttpResponse *resp, const char *name)
{
	int			i;

	for (i = 0; i < resp->nheaders; i++)
		if (strcasecmp(resp->headers[i].name, name) == 0)
			return resp->headers[i].value;
	return NULL;
}

/* ----------------------------------------------------------- requests */

/*
 * sage_http_check
 *		Validates what libcurl would otherwise misread: the endpoint is
 *		"http(s)://host[:port]" and the path is absolute.
 */
int
sage_http_check(const SageHttpRequest *req, const char **host, SageError *err)
{
	const char *e = req->endpoint;
	const char *h;

	if (req->method == NULL || req->method[0] == '\0')
		return sage_error_set(err, SAGE_ERR_ARGUMENT, "HTTP method is missing");
	if (e == NULL || (strncmp(e, "http://", 7) != 0 && strncmp(e, "https://", 8) != 0))
	{
		sage_error_set(err, SAGE_ERR_ARGUMENT, "invalid endpoint URL \"%s\"",
					   e != NULL ? e : "");
		sage_error_detail(err, "An endpoint is http:// or https:// followed by a host and an optional port.");
		return -1;
	}
	h = strstr(e, "://") + 3;
	if (*h == '\0' || strpbrk(h, "/?#@ \r\n") != NULL)
	{
		sage_error_set(err, SAGE_ERR_ARGUMENT, "invalid endpoint URL \"%s\"", e);
		sage_error_detail(err, "An endpoint is http:// or https:// followed by a host and an optional port.");
		return -1;
	}
	if (req->path != NULL && req->path[0] != '/')
		return sage_error_set(err, SAGE_ERR_ARGUMENT,
							  "request path \"%s\" does not start with \"/\"", req->path);
	if (req->nheaders > HTTP_MAX_HEADERS)
		return sage_error_set(err, SAGE_ERR_ARGUMENT, "too many request headers");
	if (req->credentials != NULL && (req->region == NULL || req->service == NULL))
		return sage_error_set(err, SAGE_ERR_ARGUMENT,
							  "signed request needs a region and a service");
	*host = h;
	return 0;
}

/*
 * sage_http_prepare
 *		Signs the request (or encodes its query when unsigned) and builds
 *		the URL and the header list of one attempt.
 */
int
sage_http_prepare(const SageHttpOptions *opts, SageSigV4KeyCache *keys,
				  const SageHttpRequest *req, const char *host,
				  SageArena *arena, char **url, struct curl_slist **list,
				  SageError *err)
{
	const char *path = req->path != NULL ? req->path : "/";
	const char *query = "";
	SageSigV4Result res;
	struct curl_slist *l = NULL;
	bool		has_type = false;
	SageHttpHeader host_header = {"Host", host};
	int			i;

	memset(&res, 0, sizeof(res));
	if (req->credentials != NULL)
	{
		SageSigV4Request s = {0};

		s.method = req->method;
		s.host = host;
		s.path = path;
		s.params = req->params;
		s.nparams = req->nparams;
		s.headers = req->headers;
		s.nheaders = req->nheaders;
		s.body = req->body;
		s.body_len = req->body_len;
		s.payload = req->unsigned_payload ? SAGE_SIGV4_PAYLOAD_UNSIGNED :
			SAGE_SIGV4_PAYLOAD_BODY;
		s.content_sha256_header = true;
		s.region = req->region;
		s.service = req->service;
		s.time = opts->now != NULL ? opts->now(opts->callback_arg) :
			(int64_t) time(NULL);
		s.credentials = req->credentials;
		s.key_cache = keys;
		if (sage_sigv4_sign(&s, arena, &res, err) < 0)
			return -1;
		query = res.query;
	}
	else
	{
		char	   *q = sage_strdup(arena, "");

		for (i = 0; i < req->nparams && q != NULL; i++)
		{
			const char *v = req->params[i].value != NULL ? req->params[i].value : "";
			char	   *en = sage_sigv4_uri_encode(arena, req->params[i].name,
												   strlen(req->params[i].name), false);
			char	   *ev = sage_sigv4_uri_encode(arena, v, strlen(v), false);

			q = en != NULL && ev != NULL ?
				sage_printf(arena, "%s%s%s=%s", q, i > 0 ? "&" : "", en, ev) : NULL;
		}
		if (q == NULL)
			return sage_error_memory(err, NULL);
		query = q;
	}
	*url = sage_printf(arena, "%s%s%s%s", req->endpoint, path,
					   query[0] != '\0' ? "?" : "", query);
	if (*url == NULL)
		return sage_error_memory(err, NULL);

	for (i = 0; i < req->nheaders + res.nheaders + 1; i++)
	{
		const SageHttpHeader *h;
		char	   *line;

		if (i < req->nheaders)
			h = &req->headers[i];
		else if (i < req->nheaders + res.nheaders)
			h = &res.headers[i - req->nheaders];
		else
			h = &host_header;
		if (strpbrk(h->value, "\r\n") != NULL)
		{
			curl_slist_free_all(l);
			return sage_error_set(err, SAGE_ERR_ARGUMENT,
								  "value of HTTP header \"%s\" contains a line break",
								  h->name);
		}
		if (strcasecmp(h->name, "content-type") == 0)
			has_type = true;
		/* "Name;" sends an empty header; "Name:" would remove it */
		line = h->value[0] != '\0' ?
			sage_printf(arena, "%s: %s", h->name, h->value) :
			sage_printf(arena, "%s;", h->name);
		if (line == NULL || (l = curl_slist_append(l, line)) == NULL)
		{
			curl_slist_free_all(l);
			return sage_error_memory(err, NULL);
		}
	}
	l = curl_slist_append(l, "Expect:");
	if (l != NULL && !has_type)
		l = curl_slist_append(l, "Content-Type:");
	if (l == NULL)
		return sage_error_memory(err, NULL);
	*list = l;
	return 0;
}

/*
 * sage_http_setup_easy
 *		Sets up a reset handle for one attempt.
 */
void
sage_http_setup_easy(CURL *h, const SageHttpOptions *opts,
					 const SageHttpRequest *req, const char *url,
					 struct curl_slist *list, HttpReception *r, char *errbuf)
{
	curl_easy_reset(h);
	errbuf[0] = '\0';
	r->max = opts->max_response;
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_PATH_AS_IS, 1L);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, opts->connect_timeout_ms);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, opts->timeout_ms);
	curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
	if (opts->ca_file != NULL && opts->ca_file[0] != '\0')
		curl_easy_setopt(h, CURLOPT_CAINFO, opts->ca_file);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, list);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, http_write_cb);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, http_header_cb);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, r);
	if (opts->log != NULL)
	{
		curl_easy_setopt(h, CURLOPT_DEBUGFUNCTION, http_debug_cb);
		curl_easy_setopt(h, CURLOPT_DEBUGDATA, opts);
		curl_easy_setopt(h, CURLOPT_VERBOSE, 1L);
	}
	if (strcmp(req->method, "GET") == 0)
		curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
	else if (strcmp(req->method, "HEAD") == 0)
		curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	else
	{
		/* a body (maybe empty) sent with this method's name */
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) req->body_len);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, req->body != NULL ? req->body : "");
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, req->method);
	}
}

void
sage_http_reception_reset(HttpReception *r)
{
	free(r->body);
	free(r->head);
	memset(r, 0, sizeof(*r));
}

/*
 * http_perform
 *		One attempt: set up the reset handle and run it.
 */
static CURLcode
http_perform(SageHttpClient *c, const SageHttpRequest *req, const char *url,
			 struct curl_slist *list, HttpReception *r, long *status)
{
	CURLcode	rc;

	sage_http_setup_easy(c->curl, &c->opts, req, url, list, r, c->errbuf);
	rc = curl_easy_perform(c->curl);
	*status = 0;
	if (rc == CURLE_OK)
		curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, status);
	return rc;
}

/*
 * sage_http_response
 *		Copies an attempt's reception into the caller's arena.
 */
int
sage_http_response(const HttpReception *r, long status, int attempts,
			  SageArena *arena, SageHttpResponse *resp, SageError *err)
{
	const char *p = r->head != NULL ? r->head : "";
	int			max = 0;

	resp->status = status;
	resp->attempts = attempts;
	resp->body = sage_strndup(arena, r->body != NULL ? r->body : "", r->len);
	resp->body_len = r->len;
	for (const char *q = p; *q != '\0'; q++)
		max += *q == '\n';
	resp->headers = sage_alloc(arena, sizeof(SageHttpHeader) * (size_t) (max + 1));
	resp->nheaders = 0;
	if (resp->body == NULL || resp->headers == NULL)
		return sage_error_memory(err, NULL);
	while (*p != '\0')
	{
		size_t		n = strcspn(p, "\r\n");
		const char *colon = memchr(p, ':', n);

		if (colon != NULL && colon > p)
		{
			const char *v = colon + 1;
			const char *e = p + n;
			char	   *name = sage_strndup(arena, p, (size_t) (colon - p));

			while (v < e && (*v == ' ' || *v == '\t'))
				v++;
			while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
				e--;
			if (name == NULL)
				return sage_error_memory(err, NULL);
			for (char *s = name; *s != '\0'; s++)
				*s = (*s >= 'A' && *s <= 'Z') ? (char) (*s - 'A' + 'a') : *s;
			resp->headers[resp->nheaders].name = name;
			resp->headers[resp->nheaders].value = sage_strndup(arena, v, (size_t) (e - v));
			if (resp->headers[resp->nheaders++].value == NULL)
				return sage_error_memory(err, NULL);
		}
		p += n;
		while (*p == '\r' || *p == '\n')
			p++;
	}
	return 0;
}

int
sage_http_request(SageHttpClient *c, const SageHttpRequest *req,
				  SageArena *arena, SageHttpResponse *resp, SageError *err)
{
	const char *what = req->what != NULL ? req->what : req->method;
	const char *host = NULL;
	int64_t		start = sage_http_monotonic_ms();
	SageError	attempt_err;
	char		failures[2048] = "";
	int			attempt;

	memset(resp, 0, sizeof(*resp));
	if (sage_http_check(req, &host, err) < 0)
		return -1;
	for (attempt = 1;; attempt++)
	{
		HttpReception r = {0};
		struct curl_slist *list = NULL;
		char	   *url = NULL;
		CURLcode	rc;
		long		status = 0;
		bool		retry;
		long		delay;
		size_t		used = strlen(failures);

		if (c->opts.cancel != NULL && c->opts.cancel(c->opts.callback_arg))
			return sage_error_set(err, SAGE_ERR_CANCELLED, "%s request was cancelled", what);
		if (sage_http_prepare(&c->opts, c->keys, req, host, arena, &url, &list,
							  err) < 0)
			return -1;
		rc = http_perform(c, req, url, list, &r, &status);
		curl_slist_free_all(list);

		if (r.oom || r.too_large)
		{
			bool		oom = r.oom;

			sage_http_reception_reset(&r);
			if (oom)
				return sage_error_memory(err, NULL);
			sage_error_set(err, SAGE_AWS_ERR_TRANSPORT,
						   "response to %s request is too large", what);
			sage_error_detail(err, "The limit is %zu bytes.", c->opts.max_response);
			return -1;
		}
		if (rc != CURLE_OK)
		{
			retry = sage_http_transport_retryable(rc);
			sage_error_set(&attempt_err, SAGE_AWS_ERR_TRANSPORT,
						   "could not send %s request to \"%s\": %s",
						   what, req->endpoint, sage_http_curl_reason(c->errbuf, rc));
			snprintf(failures + used, sizeof(failures) - used, "%sattempt %d: %s",
					 used > 0 ? "; " : "", attempt, sage_http_curl_reason(c->errbuf, rc));
		}
		else
		{
			retry = sage_http_status_retryable(status, &r);
			snprintf(failures + used, sizeof(failures) - used, "%sattempt %d: HTTP %ld",
					 used > 0 ? "; " : "", attempt, status);
		}

		delay = retry ? sage_http_backoff_ms(&c->opts, &c->rng, attempt) : 0;
		if (!retry || attempt >= c->opts.max_attempts ||
			sage_http_monotonic_ms() - start + delay > c->opts.deadline_ms)
		{
			int			result;

			if (rc == CURLE_OK)
				result = sage_http_response(&r, status, attempt, arena, resp, err);
			else
			{
				*err = attempt_err;
				if (attempt > 1)
					sage_error_detail(err, "Tried %d times over %lld ms: %s.", attempt,
									  (long long) (sage_http_monotonic_ms() - start), failures);
				result = -1;
			}
			sage_http_reception_reset(&r);
			return result;
		}
		sage_http_reception_reset(&r);
		if (c->opts.log != NULL)
		{
			char		line[160];

			snprintf(line, sizeof(line), "* retrying %s in %ld ms (attempt %d failed)",
					 what, delay, attempt);
			c->opts.log(c->opts.callback_arg, line);
		}
		/* called even for 0 ms: the caller may check its interrupts there */
		c->opts.sleep(c->opts.callback_arg, delay);
	}
}
