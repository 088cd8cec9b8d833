/*-------------------------------------------------------------------------
 *
 * src/aws/s3.c
 *		S3 client: put (optionally only if absent), get (whole or a byte
 *		range), head, delete and list (v2, all pages), over
 *		sage_http_request.
 *
 * Addressing: virtual-hosted ("https://bucket.s3.region.amazonaws.com/key")
 * on AWS, path-style ("endpoint/bucket/key") when asked, which is what
 * test services and most S3-compatible stores want; buckets with dots are
 * always path-style on AWS, since their virtual host names break TLS.
 * Keys are URI-encoded with '/' kept, and S3 signs that path as sent.
 *
 * Answers that are results rather than failures: a missing key (404) for
 * get and head, and a refused conditional put (412, If-None-Match: *,
 * which sage uses to never overwrite an attempt's outputs). Everything
 * else that is not 2xx becomes an error carrying S3's code and message.
 *
 * A whole-object get asks for the object's checksum (x-amz-checksum-mode)
 * and verifies the bytes against a full-object SHA-256 or CRC32 checksum
 * when S3 has one (composite checksums of multipart objects, "...-N",
 * cover parts, not the object, and are not checked).
 *
 * List responses are parsed with expat. A DOCTYPE is refused outright, so
 * entity expansion cannot be used against us, and element nesting is
 * bounded.
 *
 *-------------------------------------------------------------------------
 */
#include "sage/sigv4.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <expat.h>
#include <zlib.h>

#include "s3_internal.h"

#define S3_LIST_PAGES 100000	/* sanity bound on continuation tokens */

SageS3Client *
sage_s3_client_new(const SageS3Options *opts, SageError *err)
{
	SageS3Client *c;
	bool		vhost;

	if (opts->region == NULL || opts->region[0] == '\0' ||
		opts->bucket == NULL || opts->bucket[0] == '\0' ||
		opts->credentials == NULL)
	{
		sage_error_set(err, SAGE_ERR_ARGUMENT,
					   "S3 client needs a region, a bucket and credentials");
		return NULL;
	}
	if (strpbrk(opts->bucket, "/?#% ") != NULL)
	{
		sage_error_set(err, SAGE_ERR_ARGUMENT, "invalid S3 bucket name \"%s\"",
					   opts->bucket);
		return NULL;
	}
	c = calloc(1, sizeof(SageS3Client));
	if (c == NULL)
	{
		sage_error_memory(err, NULL);
		return NULL;
	}
	vhost = opts->endpoint == NULL && !opts->path_style &&
		strchr(opts->bucket, '.') == NULL;
	c->path_style = !vhost;
	snprintf(c->page_size, sizeof(c->page_size), "%d",
			 opts->list_page_size > 0 && opts->list_page_size < 1000 ?
			 opts->list_page_size : 1000);
	c->credentials = opts->credentials;
	c->http_opts = opts->http;
	c->bucket = strdup(opts->bucket);
	c->region = strdup(opts->region);
	c->endpoint = malloc(strlen(opts->bucket) + strlen(opts->region) +
						 (opts->endpoint != NULL ? strlen(opts->endpoint) : 0) + 64);
	if (c->bucket == NULL || c->region == NULL || c->endpoint == NULL)
	{
		sage_s3_client_free(c);
		sage_error_memory(err, NULL);
		return NULL;
	}
	if (opts->endpoint != NULL)
		strcpy(c->endpoint, opts->endpoint);
	else if (vhost)
		sprintf(c->endpoint, "https://%s.s3.%s.amazonaws.com", opts->bucket, opts->region);
	else
		sprintf(c->endpoint, "https://s3.%s.amazonaws.com", opts->region);
	c->http = sage_http_client_new(&opts->http, err);
	if (c->http == NULL)
	{
		sage_s3_client_free(c);
		return NULL;
	}
	return c;
}

void
sage_s3_client_free(SageS3Client *c)
{
	if (c == NULL)
		return;
	sage_http_client_free(c->http);
	free(c->endpoint);
	free(c->bucket);
	free(c->region);
	free(c);
}

/*
 * sage_s3_key_path
 *		The request path of a key: "/bucket/key" or "/key", encoded.
 */
char *
sage_s3_key_path(SageS3Client *c, SageArena *arena, const char *key, SageError *err)
{
	char	   *enc;
	char	   *path;

	if (key != NULL && (key[0] == '\0' || strlen(key) > S3_MAX_KEY))
	{
		sage_error_set(err, SAGE_ERR_ARGUMENT, "invalid S3 key of %zu bytes",
					   strlen(key));
		sage_error_detail(err, "An S3 key has 1 to %d bytes.", S3_MAX_KEY);
		return NULL;
	}
	enc = sage_sigv4_uri_encode(arena, key != NULL ? key : "",
								key != NULL ? strlen(key) : 0, true);
	path = enc == NULL ? NULL : c->path_style ?
		sage_printf(arena, "/%s/%s", c->bucket, enc) :
		sage_printf(arena, "/%s", enc);
	if (path == NULL)
		sage_error_memory(err, NULL);
	return path;
}

/*
 * sage_s3_call
 *		Performs one S3 request with fresh credentials. Returns the HTTP
 *		status (the response in *resp), or -1.
 */
long
sage_s3_call(SageS3Client *c, SageArena *arena, const char *method, const char *what,
		const char *key, const SageHttpParam *params, int nparams,
		const SageHttpHeader *headers, int nheaders,
		const void *body, size_t body_len, SageHttpResponse *resp,
		SageError *err)
{
	SageAwsCredentials creds;
	SageHttpRequest req = {0};

	req.path = sage_s3_key_path(c, arena, key, err);
	if (req.path == NULL ||
		sage_aws_credentials_get(c->credentials, arena, time(NULL), &creds, err) < 0)
		return -1;
	req.method = method;
	req.endpoint = c->endpoint;
	req.params = params;
	req.nparams = nparams;
	req.headers = headers;
	req.nheaders = nheaders;
	req.body = body;
	req.body_len = body_len;
	req.credentials = &creds;
	req.region = c->region;
	req.service = "s3";
	req.what = what;
	if (sage_http_request(c->http, &req, arena, resp, err) < 0)
		return -1;
	return resp->status;
}

/*
 * sage_s3_fail
 *		The error for an unexpected status: S3's code and message when the
 *		body has them (HEAD responses have no body).
 */
int
sage_s3_fail(SageS3Client *c, SageArena *arena, const char *verb, const char *key,
		const SageHttpResponse *resp, SageError *err)
{
	const char *code = sage_aws_error_code(arena, resp->body, resp->body_len);
	const char *msg = sage_aws_error_message(arena, resp->body, resp->body_len);
	const char *rid = sage_http_header(resp, "x-amz-request-id");

	sage_error_set(err, SAGE_AWS_ERR_SERVICE,
				   "could not %s S3 object \"s3://%s/%s\": %s",
				   verb, c->bucket, key != NULL ? key : "",
				   code != NULL ? code : "HTTP error");
	sage_error_detail(err, "S3 answered HTTP %ld%s%s%s%s after %d attempt%s.",
					  resp->status,
					  msg != NULL ? ": " : "", msg != NULL ? msg : "",
					  rid != NULL ? ", request id " : "", rid != NULL ? rid : "",
					  resp->attempts, resp->attempts == 1 ? "" : "s");
	if (resp->status == 403)
		sage_error_hint(err, "Check the credentials and the bucket policy.");
	return -1;
}

/* Is a 404 about the bucket rather than the key? That is an error. */
static bool
s3_no_bucket(SageArena *arena, const SageHttpResponse *resp)
{
	const char *code = sage_aws_error_code(arena, resp->body, resp->body_len);

	return code != NULL && strcmp(code, "NoSuchBucket") == 0;
}

int
sage_s3_put(SageS3Client *c, const char *key, const void *data, size_t len,
			bool if_none_match, const char *content_type, SageError *err)
{
	SageArena  *arena = sage_arena_new(NULL);
	SageHttpHeader h[2];
	int			nh = 0;
	SageHttpResponse resp;
	long		status;
	int			rc;

	if (arena == NULL)
		return sage_error_memory(err, NULL);
	if (if_none_match)
		h[nh++] = (SageHttpHeader)
	{
		"If-None-Match", "*"
	};
	if (content_type != NULL)
		h[nh++] = (SageHttpHeader)
	{
		"Content-Type", content_type
	};
	status = sage_s3_call(c, arena, "PUT", "S3 PutObject", key, NULL, 0, h, nh,
					 data != NULL ? data : "", len, &resp, err);
	if (status < 0)
		rc = -1;
	else if (status == 200)
		rc = 0;
	else if (if_none_match && (status == 412 || status == 409))
		rc = 1;					/* exists (409: a concurrent conditional put) */
	else
		rc = sage_s3_fail(c, arena, "write", key, &resp, err);
	sage_arena_free(arena);
	return rc;
}

/* A put or get started through a multi transport, until its answer. */
typedef struct S3Multi
{
	SageS3Client *client;		/* for checksums and error messages */
	SageS3PutDoneFn put_done;	/* a put's callback, or NULL */
	SageS3GetDoneFn get_done;	/* a get's callback, or NULL */
	void	   *arg;			/* and its argument */
	char		key[S3_MAX_KEY + 1];	/* for the error message */
} S3Multi;

/*
 * Starts a signed request on key through multi. cb answers it with a
 * state (allocated here, freed by cb) holding the caller's callback and
 * argument. -1 with *err when nothing was started.
 */
static int
s3_multi_start(SageS3Client *c, SageHttpMulti *multi, const char *method,
			   const char *what, const char *key, const SageHttpHeader *h, int nh,
			   const void *body, size_t len, SageHttpDoneFn cb,
			   const S3Multi *caller, SageError *err)
{
	SageArena  *arena;
	SageAwsCredentials creds;
	SageHttpRequest req = {0};
	S3Multi    *state;
	int			rc = -1;

	if (key == NULL || strlen(key) > S3_MAX_KEY)
		return sage_error_set(err, SAGE_ERR_ARGUMENT,
							  "S3 key is missing or longer than %d bytes", S3_MAX_KEY);
	arena = sage_arena_new(NULL);
	state = malloc(sizeof(S3Multi));
	if (arena == NULL || state == NULL)
	{
		if (arena)
			sage_arena_free(arena);
		free(state);
		return sage_error_memory(err, NULL);
	}
	*state = *caller;
	state->client = c;
	strcpy(state->key, key);
	req.path = sage_s3_key_path(c, arena, key, err);
	if (req.path != NULL &&
		sage_aws_credentials_get(c->credentials, arena, time(NULL), &creds, err) == 0)
	{
		req.method = method;
		req.endpoint = c->endpoint;
		req.headers = h;
		req.nheaders = nh;
		req.body = body;
		req.body_len = len;
		req.credentials = &creds;
		req.region = c->region;
		req.service = "s3";
		req.what = what;
		/* the multi copies the request, body and credentials included */
		rc = sage_http_multi_add(multi, &req, cb, state, err);
	}
	if (rc < 0)
		free(state);
	sage_arena_free(arena);
	return rc;
}

/* The multi's callback of a put: 200 is success, anything else an error. */
static void
s3_multi_put_done(void *arg, int rc, const SageHttpResponse *resp,
				  const SageError *err)
{
	S3Multi    *mp = (S3Multi *) arg;
	SageError	e;
	SageArena  *arena;

	memset(&e, 0, sizeof(e));
	if (rc < 0)
		mp->put_done(mp->arg, -1, err);
	else if (resp->status == 200)
		mp->put_done(mp->arg, 0, NULL);
	else if ((arena = sage_arena_new(NULL)) == NULL)
	{
		(void) sage_error_memory(&e, NULL);
		mp->put_done(mp->arg, -1, &e);
	}
	else
	{
		(void) sage_s3_fail(mp->client, arena, "write", mp->key, resp, &e);
		mp->put_done(mp->arg, -1, &e);
		sage_arena_free(arena);
	}
	free(mp);
}

/*
 * sage_s3_put_multi
 *		Starts a PutObject through a multi transport, so that many uploads
 *		run at once under the caller's own wait (the dispatcher's).
 */
int
sage_s3_put_multi(SageS3Client *c, SageHttpMulti *multi, const char *key,
				  const void *data, size_t len, const char *content_type,
				  SageS3PutDoneFn done, void *arg, SageError *err)
{
	SageHttpHeader h[1] = {{"Content-Type", content_type}};
	S3Multi		caller = {0};

	caller.put_done = done;
	caller.arg = arg;
	return s3_multi_start(c, multi, "PUT", "S3 PutObject", key, h,
						  content_type != NULL ? 1 : 0, data != NULL ? data : "", len,
						  s3_multi_put_done, &caller, err);
}

/*
 * s3_verify_checksum
 *		Compares a whole object's bytes with the full-object checksum S3
 *		returned, if any. -1 with *err on a mismatch.
 */
static int
s3_verify_checksum(SageS3Client *c, const char *key, const SageHttpResponse *resp,
				   SageError *err)
{
	const char *want = sage_http_header(resp, "x-amz-checksum-sha256");
	const char *algo = "SHA-256";
	char		got[64];

	if (want != NULL && strchr(want, '-') == NULL)
	{
		uint8_t		d[SAGE_SHA256_LEN];

		if (sage_crypto_sha256(resp->body, resp->body_len, d, err) < 0)
			return -1;
		sage_crypto_base64(d, sizeof(d), got);
	}
	else if ((want = sage_http_header(resp, "x-amz-checksum-crc32")) != NULL &&
			 strchr(want, '-') == NULL)
	{
		uLong		crc = crc32(0L, Z_NULL, 0);
		size_t		done = 0;
		uint8_t		b[4];

		while (done < resp->body_len)
		{
			uInt		n = resp->body_len - done > (1u << 30) ? (1u << 30) :
				(uInt) (resp->body_len - done);

			crc = crc32(crc, (const Bytef *) resp->body + done, n);
			done += n;
		}
		b[0] = (uint8_t) (crc >> 24);
		b[1] = (uint8_t) (crc >> 16);
		b[2] = (uint8_t) (crc >> 8);
		b[3] = (uint8_t) crc;
		sage_crypto_base64(b, 4, got);
		algo = "CRC32";
	}
	else
		return 0;
	if (strcmp(got, want) == 0)
		return 0;
	sage_error_set(err, SAGE_AWS_ERR_TRANSPORT,
				   "S3 object \"s3://%s/%s\" does not match its %s checksum",
				   c->bucket, key, algo);
	sage_error_detail(err, "S3 recorded %s, the %zu bytes received hash to %s.",
					  want, resp->body_len, got);
	return -1;
}

int
sage_s3_get(SageS3Client *c, const char *key, uint64_t offset, int64_t length,
			SageArena *arena, char **data, size_t *len, SageError *err)
{
	SageArena  *scratch = sage_arena_new(NULL);
	SageHttpHeader range;
	char		rbuf[64];
	SageHttpResponse resp;
	long		status;
	int			rc;
	bool		ranged = offset > 0 || length >= 0;

	*data = NULL;
	*len = 0;
	if (scratch == NULL)
		return sage_error_memory(err, NULL);
	if (length == 0)
	{
		/* an empty range cannot be expressed in HTTP: nothing to fetch */
		sage_arena_free(scratch);
		*data = sage_strdup(arena, "");
		return *data != NULL ? 0 : sage_error_memory(err, NULL);
	}
	if (length > 0)
		snprintf(rbuf, sizeof(rbuf), "bytes=%llu-%llu", (unsigned long long) offset,
				 (unsigned long long) (offset + (uint64_t) length - 1));
	else
		snprintf(rbuf, sizeof(rbuf), "bytes=%llu-", (unsigned long long) offset);
	range = (SageHttpHeader)
	{
		"Range", rbuf
	};
	if (!ranged)
		range = (SageHttpHeader)
	{
		"x-amz-checksum-mode", "ENABLED"
	};
	status = sage_s3_call(c, scratch, "GET", "S3 GetObject", key, NULL, 0,
						  &range, 1, NULL, 0, &resp, err);
	if (status < 0)
		rc = -1;
	else if (status == 200 && !ranged && s3_verify_checksum(c, key, &resp, err) < 0)
		rc = -1;
	else if (status == 200 || status == 206)
	{
		*data = sage_alloc(arena, resp.body_len + 1);
		if (*data == NULL)
			rc = sage_error_memory(err, NULL);
		else
		{
			memcpy(*data, resp.body, resp.body_len + 1);
			*len = resp.body_len;
			rc = 0;
		}
	}
	else if (status == 404 && !s3_no_bucket(scratch, &resp))
		rc = 1;
	else if (status == 416)
	{
		/* a range starting at or past the end: no bytes */
		*data = sage_strdup(arena, "");
		rc = *data != NULL ? 0 : sage_error_memory(err, NULL);
	}
	else
		rc = sage_s3_fail(c, scratch, "read", key, &resp, err);
	sage_arena_free(scratch);
	return rc;
}

/*
 * The multi's callback of a get, answering as sage_s3_get does: 200 with
 * a matching checksum is the object, a 404 about the key (not the
 * bucket) is "missing", anything else an error.
 */
static void
s3_multi_get_done(void *arg, int rc, const SageHttpResponse *resp,
				  const SageError *err)
{
	S3Multi    *mg = (S3Multi *) arg;
	SageError	e;
	SageArena  *arena;

	memset(&e, 0, sizeof(e));
	if (rc < 0)
		mg->get_done(mg->arg, -1, NULL, 0, err);
	else if ((arena = sage_arena_new(NULL)) == NULL)
	{
		(void) sage_error_memory(&e, NULL);
		mg->get_done(mg->arg, -1, NULL, 0, &e);
	}
	else
	{
		if (resp->status == 200)
		{
			if (s3_verify_checksum(mg->client, mg->key, resp, &e) < 0)
				mg->get_done(mg->arg, -1, NULL, 0, &e);
			else
				mg->get_done(mg->arg, 0, resp->body, resp->body_len, NULL);
		}
		else if (resp->status == 404 && !s3_no_bucket(arena, resp))
			mg->get_done(mg->arg, 1, NULL, 0, NULL);
		else
		{
			(void) sage_s3_fail(mg->client, arena, "read", mg->key, resp, &e);
			mg->get_done(mg->arg, -1, NULL, 0, &e);
		}
		sage_arena_free(arena);
	}
	free(mg);
}

/*
 * sage_s3_get_multi
 *		Starts a whole-object GetObject through a multi transport, so that
 *		the reconciler reads the outputs of many results at once.
 */
int
sage_s3_get_multi(SageS3Client *c, SageHttpMulti *multi, const char *key,
				  SageS3GetDoneFn done, void *arg, SageError *err)
{
	SageHttpHeader h[1] = {{"x-amz-checksum-mode", "ENABLED"}};
	S3Multi		caller = {0};

	caller.get_done = done;
	caller.arg = arg;
	return s3_multi_start(c, multi, "GET", "S3 GetObject", key, h, 1, NULL, 0,
						  s3_multi_get_done, &caller, err);
}

int
sage_s3_head(SageS3Client *c, const char *key, SageArena *arena,
			 SageS3Object *info, SageError *err)
{
	SageArena  *scratch = sage_arena_new(NULL);
	SageHttpResponse resp;
	long		status;
	int			rc;

	memset(info, 0, sizeof(*info));
	if (scratch == NULL)
		return sage_error_memory(err, NULL);
	status = sage_s3_call(c, scratch, "HEAD", "S3 HeadObject", key, NULL, 0, NULL, 0,
					 NULL, 0, &resp, err);
	if (status < 0)
		rc = -1;
	else if (status == 200)
	{
		const char *size = sage_http_header(&resp, "content-length");
		const char *etag = sage_http_header(&resp, "etag");
		const char *mod = sage_http_header(&resp, "last-modified");

		info->key = sage_strdup(arena, key);
		info->size = size != NULL ? strtoull(size, NULL, 10) : 0;
		info->etag = etag != NULL ? sage_strdup(arena, etag) : NULL;
		info->last_modified = mod != NULL ? sage_strdup(arena, mod) : NULL;
		rc = info->key == NULL ? sage_error_memory(err, NULL) : 0;
	}
	else if (status == 404)
		rc = 1;
	else
		rc = sage_s3_fail(c, scratch, "examine", key, &resp, err);
	sage_arena_free(scratch);
	return rc;
}

int
sage_s3_delete(SageS3Client *c, const char *key, SageError *err)
{
	SageArena  *scratch = sage_arena_new(NULL);
	SageHttpResponse resp;
	long		status;
	int			rc;

	if (scratch == NULL)
		return sage_error_memory(err, NULL);
	status = sage_s3_call(c, scratch, "DELETE", "S3 DeleteObject", key, NULL, 0,
					 NULL, 0, NULL, 0, &resp, err);
	if (status < 0)
		rc = -1;
	else if (status == 204 || status == 200)
		rc = 0;
	else
		rc = sage_s3_fail(c, scratch, "delete", key, &resp, err);
	sage_arena_free(scratch);
	return rc;
}

/* ------------------------------------------------------------- listing */

/* expat: element start. Only the depth and <Contents> matter. */
static void XMLCALL
s3_list_start(void *arg, const XML_Char *name, const XML_Char **attrs)
{
	S3ListParse *lp = arg;

	if (++lp->depth > S3_LIST_DEPTH)
	{
		lp->too_deep = true;
		XML_StopParser(lp->parser, XML_FALSE);
	}
	lp->tlen = 0;
	if (lp->depth == 2 && strcmp(name, "Contents") == 0)
	{
		lp->in_contents = true;
		memset(&lp->cur, 0, sizeof(lp->cur));
	}
}

/* expat: character data, accumulated for the current element. */
static void XMLCALL
s3_list_text(void *arg, const XML_Char *s, int len)
{
	S3ListParse *lp = arg;

	if (lp->tcap - lp->tlen <= (size_t) len)
	{
		size_t		ncap = (lp->tcap + (size_t) len) * 2 + 64;
		char	   *p = sage_realloc(lp->arena, lp->text, lp->tcap, ncap);

		if (p == NULL)
		{
			lp->oom = true;
			return;
		}
		lp->text = p;
		lp->tcap = ncap;
	}
	memcpy(lp->text + lp->tlen, s, (size_t) len);
	lp->tlen += (size_t) len;
}

/* expat: element end; stores the fields we know. */
static void XMLCALL
s3_list_end(void *arg, const XML_Char *name)
{
	S3ListParse *lp = arg;
	char	   *text = sage_strndup(lp->arena, lp->text != NULL ? lp->text : "", lp->tlen);

	if (text == NULL)
		lp->oom = true;
	else if (lp->in_contents && lp->depth == 3)
	{
		if (strcmp(name, "Key") == 0)
			lp->cur.key = text;
		else if (strcmp(name, "Size") == 0)
			lp->cur.size = strtoull(text, NULL, 10);
		else if (strcmp(name, "ETag") == 0)
			lp->cur.etag = text;
		else if (strcmp(name, "LastModified") == 0)
			lp->cur.last_modified = text;
	}
	else if (lp->depth == 2 && strcmp(name, "Contents") == 0)
	{
		lp->in_contents = false;
		if (lp->cur.key != NULL && (lp->max == 0 || lp->n < lp->max))
		{
			if (lp->n == lp->cap)
			{
				size_t		ncap = lp->cap == 0 ? 64 : lp->cap * 2;
				SageS3Object *p = sage_realloc(lp->arena, lp->objs,
											   lp->cap * sizeof(SageS3Object),
											   ncap * sizeof(SageS3Object));

				if (p == NULL)
				{
					lp->oom = true;
					lp->depth--;
					return;
				}
				lp->objs = p;
				lp->cap = ncap;
			}
			lp->objs[lp->n++] = lp->cur;
		}
	}
	else if (lp->depth == 2 && strcmp(name, "IsTruncated") == 0)
		lp->truncated = strcmp(text, "true") == 0;
	else if (lp->depth == 2 && strcmp(name, "NextContinuationToken") == 0)
		lp->next_token = text;
	lp->tlen = 0;
	lp->depth--;
}

/* expat: a DOCTYPE; refused, so no entity can ever be declared. */
static void XMLCALL
s3_list_doctype(void *arg, const XML_Char *name, const XML_Char *sysid,
				const XML_Char *pubid, int has_internal_subset)
{
	S3ListParse *lp = arg;

	/* stop before any declaration in it is read */
	lp->doctype = true;
	XML_StopParser(lp->parser, XML_FALSE);
}

/*
 * sage_s3_list_parse
 *		Parses one ListObjectsV2 page into lp (objects appended).
 */
int
sage_s3_list_parse(S3ListParse *lp, const char *body, size_t len, SageError *err)
{
	XML_Parser	parser = XML_ParserCreate("UTF-8");
	enum XML_Status st;

	if (parser == NULL)
		return sage_error_memory(err, NULL);
	lp->parser = parser;
	XML_SetUserData(parser, lp);
	XML_SetElementHandler(parser, s3_list_start, s3_list_end);
	XML_SetCharacterDataHandler(parser, s3_list_text);
	XML_SetStartDoctypeDeclHandler(parser, s3_list_doctype);
	lp->truncated = false;
	lp->next_token = NULL;
	lp->depth = 0;
	st = XML_Parse(parser, body, (int) len, 1);
	if (st != XML_STATUS_OK || lp->doctype || lp->too_deep)
	{
		sage_error_set(err, SAGE_AWS_ERR_SERVICE,
					   "could not parse the S3 object listing: %s",
					   lp->doctype ? "a DOCTYPE is not allowed" :
					   lp->too_deep ? "elements are nested too deeply" :
					   XML_ErrorString(XML_GetErrorCode(parser)));
		XML_ParserFree(parser);
		return -1;
	}
	XML_ParserFree(parser);
	if (lp->oom)
		return sage_error_memory(err, NULL);
	return 0;
}

/* State of sage_s3_xml_fields. */
typedef struct S3Fields
{
	XML_Parser	parser;			/* to stop it from the handlers */
	SageArena  *arena;			/* where strings go */
	const char *const *names;	/* wanted children of the root */
	char	  **values;			/* their texts */
	int			n;				/* how many */
	int			depth;			/* current depth */
	int			current;		/* index of the wanted element open, or -1 */
	char	   *text;			/* its text so far */
	size_t		tlen;			/* bytes of text */
	char	  **root;			/* root element's name */
	bool		refused;		/* DOCTYPE or too deep */
	bool		oom;			/* an allocation failed */
} S3Fields;

/* expat: element start; notes the root and a wanted child. */
static void XMLCALL
s3_fields_start(void *arg, const XML_Char *name, const XML_Char **attrs)
{
	S3Fields   *f = arg;
	int			i;

	if (++f->depth > S3_LIST_DEPTH)
	{
		f->refused = true;
		XML_StopParser(f->parser, XML_FALSE);
		return;
	}
	if (f->depth == 1 && (*f->root = sage_strdup(f->arena, name)) == NULL)
		f->oom = true;
	f->current = -1;
	if (f->depth == 2)
		for (i = 0; i < f->n; i++)
			if (f->values[i] == NULL && strcmp(name, f->names[i]) == 0)
			{
				f->current = i;
				f->tlen = 0;
			}
}

/* expat: character data of a wanted element. */
static void XMLCALL
s3_fields_text(void *arg, const XML_Char *s, int len)
{
	S3Fields   *f = arg;
	char	   *p;

	if (f->current < 0 || f->depth != 2)
		return;
	p = sage_realloc(f->arena, f->text, f->tlen, f->tlen + (size_t) len + 1);
	if (p == NULL)
	{
		f->oom = true;
		return;
	}
	memcpy(p + f->tlen, s, (size_t) len);
	f->tlen += (size_t) len;
	p[f->tlen] = '\0';
	f->text = p;
}

/* expat: element end; keeps a wanted element's text. */
static void XMLCALL
s3_fields_end(void *arg, const XML_Char *name)
{
	S3Fields   *f = arg;

	if (f->depth == 2 && f->current >= 0)
	{
		f->values[f->current] = f->text != NULL ? f->text : sage_strdup(f->arena, "");
		if (f->values[f->current] == NULL)
			f->oom = true;
		f->text = NULL;
		f->tlen = 0;
		f->current = -1;
	}
	f->depth--;
}

/* expat: a DOCTYPE; refused, so no entity can ever be declared. */
static void XMLCALL
s3_fields_doctype(void *arg, const XML_Char *name, const XML_Char *sysid,
				  const XML_Char *pubid, int has_internal_subset)
{
	S3Fields   *f = arg;

	f->refused = true;
	XML_StopParser(f->parser, XML_FALSE);
}

int
sage_s3_xml_fields(SageArena *arena, const char *body, size_t len,
				   const char *const *names, char **values, int n,
				   char **root, SageError *err)
{
	S3Fields	f;
	XML_Parser	parser;
	enum XML_Status st;
	int			i;

	for (i = 0; i < n; i++)
		values[i] = NULL;
	*root = NULL;
	if (len > INT32_MAX)
		return sage_error_set(err, SAGE_AWS_ERR_SERVICE, "S3 answer is too large to parse");
	parser = XML_ParserCreate("UTF-8");
	if (parser == NULL)
		return sage_error_memory(err, NULL);
	memset(&f, 0, sizeof(f));
	f.parser = parser;
	f.arena = arena;
	f.names = names;
	f.values = values;
	f.n = n;
	f.current = -1;
	f.root = root;
	XML_SetUserData(parser, &f);
	XML_SetElementHandler(parser, s3_fields_start, s3_fields_end);
	XML_SetCharacterDataHandler(parser, s3_fields_text);
	XML_SetStartDoctypeDeclHandler(parser, s3_fields_doctype);
	st = XML_Parse(parser, body, (int) len, 1);
	if (st != XML_STATUS_OK || f.refused || *root == NULL)
	{
		sage_error_set(err, SAGE_AWS_ERR_SERVICE, "could not parse an S3 answer: %s",
					   f.refused ? "a DOCTYPE or deep nesting is not allowed" :
					   st != XML_STATUS_OK ? XML_ErrorString(XML_GetErrorCode(parser)) :
					   "no root element");
		XML_ParserFree(parser);
		return -1;
	}
	XML_ParserFree(parser);
	if (f.oom)
		return sage_error_memory(err, NULL);
	return 0;
}

int
sage_s3_list(SageS3Client *c, const char *prefix, size_t max, SageArena *arena,
			 SageS3Object **objects, size_t *n, SageError *err)
{
	S3ListParse lp;
	const char *token = NULL;
	int			pages;
	int			rc = 0;

	memset(&lp, 0, sizeof(lp));
	lp.arena = arena;
	lp.max = max;
	*objects = NULL;
	*n = 0;
	for (pages = 0; pages < S3_LIST_PAGES; pages++)
	{
		SageArena  *scratch = sage_arena_new(NULL);
		SageHttpParam params[4];
		int			np = 0;
		SageHttpResponse resp;
		long		status;

		if (scratch == NULL)
			return sage_error_memory(err, NULL);
		params[np++] = (SageHttpParam)
		{
			"list-type", "2"
		};
		params[np++] = (SageHttpParam)
		{
			"max-keys", c->page_size
		};
		if (prefix != NULL && prefix[0] != '\0')
			params[np++] = (SageHttpParam)
		{
			"prefix", prefix
		};
		if (token != NULL)
			params[np++] = (SageHttpParam)
		{
			"continuation-token", token
		};
		status = sage_s3_call(c, scratch, "GET", "S3 ListObjectsV2", NULL, params, np,
						 NULL, 0, NULL, 0, &resp, err);
		if (status < 0)
			rc = -1;
		else if (status != 200)
			rc = sage_s3_fail(c, scratch, "list", prefix, &resp, err);
		else
			rc = sage_s3_list_parse(&lp, resp.body, resp.body_len, err);
		sage_arena_free(scratch);
		if (rc < 0)
			return -1;
		if (!lp.truncated || (max != 0 && lp.n >= max))
			break;
		if (lp.next_token == NULL || lp.next_token[0] == '\0')
			return sage_error_set(err, SAGE_AWS_ERR_SERVICE,
								  "S3 object listing is truncated but has no continuation token");
		token = lp.next_token;
	}
	*objects = lp.objs;
	*n = lp.n;
	return 0;
}
