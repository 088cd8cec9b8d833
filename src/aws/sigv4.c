/*-------------------------------------------------------------------------
 *
 * src/aws/sigv4.c
 *		AWS Signature Version 4 for HTTP requests: header signing and
 *		presigned (query) signing.
 *
 * The steps are AWS's: build the canonical request (method, canonical
 * URI, canonical query, canonical headers, signed headers, payload hash),
 * hash it into the string to sign under the credential scope
 * (date/region/service/aws4_request), derive the signing key from the
 * secret with four HMACs, and sign. The rules that trip implementations
 * up, and that the published test vectors and botocore agree on:
 *
 *	- path: S3 signs the path exactly as sent; other services remove dot
 *	  segments and repeated slashes and encode the (already encoded) path
 *	  once more, so "%20" is signed as "%2520";
 *	- query: every name and value is URI-encoded (RFC 3986 unreserved
 *	  characters kept, upper-case hex), pairs are sorted by encoded name
 *	  and then value, and a parameter without value is written "name=";
 *	- headers: names lower-cased, values trimmed with inner runs of
 *	  white space collapsed to one space, repeated headers joined with ','
 *	  in sending order, then sorted by name. Headers that proxies or
 *	  libcurl may rewrite (user-agent, expect, transfer-encoding,
 *	  x-amzn-trace-id) are never signed, as in botocore.
 *
 * Strings are built in SigBuf, an arena-backed growable buffer whose
 * failure is sticky: code appends freely and checks once per product, so
 * there is one memory-error exit per step rather than one per append.
 *
 * Derived signing keys are cached per (secret, date, region, service) in
 * a SageSigV4KeyCache. A slot identifies its secret by the secret's
 * SHA-256, never by the secret, and the cache has no way to print itself:
 * nothing secret can reach a log through it.
 *
 *-------------------------------------------------------------------------
 */
#include "sage/sigv4.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define SIGV4_KEY_SLOTS 8		/* (date, region, service) triples cached */
#define SIGV4_NAME_MAX 63		/* longest region or service name */
#define SIGV4_SECRET_MAX 256	/* longest secret key (AWS's have 40) */

/* A growable string in an arena; once failed, appends do nothing. */
typedef struct SigBuf
{
	SageArena  *arena;			/* where the bytes live */
	char	   *data;			/* NUL-terminated when not failed */
	size_t		len;			/* bytes used, without the NUL */
	size_t		cap;			/* bytes allocated */
	bool		failed;			/* an allocation failed: content is void */
} SigBuf;

/* A header being canonicalised. */
typedef struct SigHeader
{
	char	   *name;			/* lower-case name */
	char	   *value;			/* trimmed, white space collapsed */
	int			order;			/* sending order, to join repeats stably */
} SigHeader;

/* A query parameter being canonicalised, both parts URI-encoded. */
typedef struct SigParam
{
	char	   *name;			/* encoded name */
	char	   *value;			/* encoded value, "" when none */
} SigParam;

/* One cached signing key. */
typedef struct SigKeySlot
{
	bool		used;			/* slot holds a key */
	uint8_t		secret_hash[SAGE_SHA256_LEN];	/* identifies the secret */
	char		date[9];		/* YYYYMMDD of the scope */
	char		region[SIGV4_NAME_MAX + 1]; /* scope region */
	char		service[SIGV4_NAME_MAX + 1];	/* scope service */
	uint8_t		key[SAGE_SHA256_LEN];	/* the derived signing key */
	uint64_t	last_use;		/* cache clock at last use, for eviction */
} SigKeySlot;

struct SageSigV4KeyCache
{
	SigKeySlot	slots[SIGV4_KEY_SLOTS]; /* least recently used is evicted */
	uint64_t	clock;			/* bumped at every lookup */
	uint64_t	derivations;	/* keys computed rather than found */
};

/* Everything one signing computes, shared by the steps. */
typedef struct SigWork
{
	const SageSigV4Request *req;	/* the request being signed */
	SageArena  *arena;			/* results and temporaries */
	SageError  *err;			/* where failures go */
	char		amz_date[17];	/* YYYYMMDD'T'HHMMSS'Z' */
	char		date[9];		/* YYYYMMDD */
	const char *token;			/* session token, NULL when none */
	const char *scope;			/* date/region/service/aws4_request */
	const char *caller_sha256;	/* caller's x-amz-content-sha256 header */
	const char *payload_hash;	/* hex SHA-256 or UNSIGNED-PAYLOAD */
	const char *wire_path;		/* path to send */
	const char *canonical_path; /* path as signed */
	const char *canonical_headers;	/* "name:value\n" lines */
	const char *signed_headers; /* "host;x-amz-date" */
	const char *canonical_query;	/* sorted, encoded */
} SigWork;

/* Headers proxies and HTTP clients may change: never signed (botocore). */
static const char *const sigv4_unsigned_headers[] = {
	"expect", "transfer-encoding", "user-agent", "x-amzn-trace-id"
};

/* Headers the signer owns: a caller may not pass them. */
static const char *const sigv4_reserved_headers[] = {
	"authorization", "x-amz-date", "x-amz-security-token"
};

/* Query parameters the signer owns in query mode. */
static const char *const sigv4_reserved_params[] = {
	"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires",
	"X-Amz-SignedHeaders", "X-Amz-Signature", "X-Amz-Security-Token"
};

#define lengthof(a) (sizeof(a) / sizeof((a)[0]))

/* ------------------------------------------------------------ SigBuf */

/* An empty buffer allocating from arena (nothing is allocated yet). */
static void
buf_init(SigBuf *b, SageArena *arena)
{
	b->arena = arena;
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->failed = false;
}

/*
 * buf_append
 *		Appends len bytes, doubling the allocation as needed; in-place
 *		growth is cheap because sage_realloc extends the arena's last
 *		allocation.
 */
static void
buf_append(SigBuf *b, const char *s, size_t len)
{
	if (b->failed)
		return;
	if (b->cap - b->len <= len)
	{
		size_t		ncap = b->cap == 0 ? 128 : b->cap;
		char	   *p;

		while (ncap - b->len <= len)
			ncap *= 2;
		p = sage_realloc(b->arena, b->data, b->cap, ncap);
		if (p == NULL)
		{
			b->failed = true;
			return;
		}
		b->data = p;
		b->cap = ncap;
	}
	memcpy(b->data + b->len, s, len);
	b->len += len;
	b->data[b->len] = '\0';
}

/* Appends a NUL-terminated string. */
static void
buf_puts(SigBuf *b, const char *s)
{
	buf_append(b, s, strlen(s));
}

/* Appends one byte. */
static void
buf_putc(SigBuf *b, char c)
{
	buf_append(b, &c, 1);
}

/*
 * buf_finish
 *		The built string (never NULL for an empty one), or NULL when an
 *		allocation failed along the way.
 */
static char *
buf_finish(SigBuf *b)
{
	buf_append(b, "", 0);
	return b->failed ? NULL : b->data;
}

/* Is c one of RFC 3986's unreserved characters? */
static bool
sigv4_unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		(c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
		c == '~';
}

/*
 * buf_encode
 *		Appends s URI-encoded the AWS way: unreserved characters (and '/'
 *		when keep_slash) as they are, every other byte as %XX.
 */
static void
buf_encode(SigBuf *b, const char *s, size_t len, bool keep_slash)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t		i;

	for (i = 0; i < len; i++)
	{
		unsigned char c = (unsigned char) s[i];

		if (sigv4_unreserved(c) || (keep_slash && c == '/'))
			buf_putc(b, (char) c);
		else
		{
			char		esc[3] = {'%', hex[c >> 4], hex[c & 0x0f]};

			buf_append(b, esc, 3);
		}
	}
}

char *
sage_sigv4_uri_encode(SageArena *arena, const char *s, size_t len,
					  bool keep_slash)
{
	SigBuf		b;

	buf_init(&b, arena);
	buf_encode(&b, s, len, keep_slash);
	return buf_finish(&b);
}

/* ---------------------------------------------------------- validation */

/* An RFC 7230 token character (header names, methods). */
static bool
sigv4_tchar(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		(c >= '0' && c <= '9') || (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* Is s non-empty and made of token characters only? */
static bool
sigv4_is_token(const char *s)
{
	if (s == NULL || *s == '\0')
		return false;
	for (; *s != '\0'; s++)
		if (!sigv4_tchar((unsigned char) *s))
			return false;
	return true;
}

/*
 * sigv4_check_name
 *		Region and service appear in the credential scope, separated by
 *		'/', and key the cache: 1 to 63 characters of [A-Za-z0-9._-].
 */
static int
sigv4_check_name(const char *what, const char *s, SageError *err)
{
	size_t		i;

	if (s == NULL || *s == '\0')
		return sage_error_set(err, SAGE_ERR_ARGUMENT, "AWS %s is missing", what);
	for (i = 0; s[i] != '\0'; i++)
	{
		unsigned char c = (unsigned char) s[i];

		if (i >= SIGV4_NAME_MAX ||
			!(sigv4_unreserved(c) && c != '~'))
		{
			sage_error_set(err, SAGE_ERR_ARGUMENT, "invalid AWS %s \"%.64s\"",
						   what, s);
			sage_error_detail(err, "An AWS %s has 1 to %d letters, digits, '.', '_' or '-'.",
							  what, SIGV4_NAME_MAX);
			return -1;
		}
	}
	return 0;
}

/* Is s exactly 64 lower-case hexadecimal digits? */
static bool
sigv4_is_sha256_hex(const char *s)
{
	size_t		i;

	for (i = 0; i < SAGE_SHA256_HEX_LEN; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return s[i] == '\0';
}

/*
 * sigv4_check_credentials
 *		The access key id goes into the Authorization header and the token
 *		into a header too, so both must be safe there. Messages never
 *		quote credentials.
 */
static int
sigv4_check_credentials(const SageAwsCredentials *c, SageError *err)
{
	const char *p;

	if (c == NULL || c->access_key_id == NULL || c->access_key_id[0] == '\0')
		return sage_error_set(err, SAGE_ERR_ARGUMENT, "AWS access key id is missing");
	if (c->secret_access_key == NULL || c->secret_access_key[0] == '\0')
		return sage_error_set(err, SAGE_ERR_ARGUMENT, "AWS secret access key is missing");
	if (strlen(c->secret_access_key) > SIGV4_SECRET_MAX)
		return sage_error_set(err, SAGE_ERR_ARGUMENT,
							  "AWS secret access key is longer than %d bytes",
							  SIGV4_SECRET_MAX);
	for (p = c->access_key_id; *p != '\0'; p++)
	{
		unsigned char ch = (unsigned char) *p;

		if (ch <= ' ' || ch >= 0x7f || ch == '/' || ch == ',' || ch == '=')
		{
			sage_error_set(err, SAGE_ERR_ARGUMENT,
						   "AWS access key id contains an invalid character");
			sage_error_detail(err, "An access key id is printable ASCII without spaces, '/', ',' or '='.");
			return -1;
		}
	}
	if (c->session_token != NULL && strpbrk(c->session_token, "\r\n") != NULL)
		return sage_error_set(err, SAGE_ERR_ARGUMENT,
							  "AWS session token contains a line break");
	return 0;
}

/*
 * sigv4_check_request
 *		Everything about the request that can be checked before any work.
 */
static int
sigv4_check_request(const SageSigV4Request *req, SageError *err)
{
	if (!sigv4_is_token(req->method))
		return sage_error_set(err, SAGE_ERR_ARGUMENT,
							  "invalid HTTP method \"%.32s\"",
							  req->method != NULL ? req->method : "");
	if (sigv4_check_name("region", req->region, err) < 0 ||
		sigv4_check_name("service", req->service, err) < 0 ||
		sigv4_check_credentials(req->credentials, err) < 0)
		return -1;
	if (req->nparams < 0 || req->nheaders < 0 ||
		(req->nparams > 0 && req->params == NULL) ||
		(req->nheaders > 0 && req->headers == NULL))
		return sage_error_set(err, SAGE_ERR_ARGUMENT,
							  "invalid parameter or header list");
	if (req->mode == SAGE_SIGV4_MODE_QUERY &&
		(req->expires < 1 || req->expires > SAGE_SIGV4_MAX_EXPIRES))
	{
		sage_error_set(err, SAGE_ERR_ARGUMENT,
					   "presigned request expiry of %d seconds is out of range",
					   req->expires);
		sage_error_detail(err, "A presigned request is valid for 1 to %d seconds.",
						  SAGE_SIGV4_MAX_EXPIRES);
		return -1;
	}
	if (req->payload == SAGE_SIGV4_PAYLOAD_HASH &&
		(req->payload_hash == NULL || !sigv4_is_sha256_hex(req->payload_hash)))
	{
		sage_error_set(err, SAGE_ERR_ARGUMENT, "invalid payload hash \"%.80s\"",
					   req->payload_hash != NULL ? req->payload_hash : "");
		sage_error_detail(err, "A payload hash is 64 lower-case hexadecimal digits.");
		return -1;
	}
	if (req->payload == SAGE_SIGV4_PAYLOAD_UNSIGNED &&
		strcmp(req->service, "s3") != 0)
		return sage_error_set(err, SAGE_ERR_ARGUMENT,
							  "unsigned payload is not supported by AWS service \"%s\"",
							  req->service);
	if (req->body == NULL && req->body_len > 0)
		return sage_error_set(err, SAGE_ERR_ARGUMENT,
							  "request body of %zu bytes has no data",
							  req->body_len);
	return 0;
}

/*
 * sigv4_format_time
 *		The ISO 8601 basic timestamp and the scope date of a signing time.
 */
static int
sigv4_format_time(SigWork *w)
{
	time_t		t = (time_t) w->req->time;
	struct tm	tm;

	/* from the epoch to year 9999, where %Y has exactly four digits */
	if (w->req->time < 0 || w->req->time > INT64_C(253402300799) ||
		gmtime_r(&t, &tm) == NULL)
		return sage_error_set(w->err, SAGE_ERR_ARGUMENT,
							  "signing time %lld is out of range",
							  (long long) w->req->time);
	strftime(w->amz_date, sizeof(w->amz_date), "%Y%m%dT%H%M%SZ", &tm);
	memcpy(w->date, w->amz_date, 8);
	w->date[8] = '\0';
	return 0;
}

/* ---------------------------------------------------------------- path */

/* Is this byte allowed unencoded in an RFC 3986 path? */
static bool
sigv4_path_char(unsigned char c)
{
	return sigv4_unreserved(c) || (c != '\0' && strchr("/!$&'()*+,;=:@", c) != NULL);
}

/* Is c a hexadecimal digit, either case? */
static bool
sigv4_hexdigit(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
		(c >= 'A' && c <= 'F');
}

/*
 * sigv4_check_wire_path
 *		A path signed verbatim must be what goes on the wire, so it has to
 *		be valid RFC 3986: unencoded bytes outside the path set, or a '%'
 *		not followed by two hex digits, would be signed one way and sent
 *		(or rejected by libcurl) another.
 */
static int
sigv4_check_wire_path(const char *path, SageError *err)
{
	size_t		i;

	for (i = 0; path[i] != '\0'; i++)
	{
		if (path[i] == '%' && sigv4_hexdigit(path[i + 1]) &&
			sigv4_hexdigit(path[i + 2]))
			i += 2;
		else if (!sigv4_path_char((unsigned char) path[i]))
		{
			sage_error_set(err, SAGE_ERR_ARGUMENT,
						   "request path \"%.200s\" is not URI-encoded", path);
			sage_error_detail(err, "Byte %zu (0x%02x) must be percent-encoded.",
							  i + 1, (unsigned char) path[i]);
			sage_error_hint(err, "Build object paths with sage_sigv4_uri_encode().");
			return -1;
		}
	}
	return 0;
}

/*
 * sigv4_normalize_path
 *		RFC 3986 remove_dot_segments, plus the removal of empty segments
 *		AWS requires, written exactly like botocore's: the result starts
 *		with '/' when the path did, and ends with '/' when the path did and
 *		any segment is left.
 */
static char *
sigv4_normalize_path(SageArena *arena, const char *path)
{
	size_t		len = strlen(path);
	const char **segs;
	size_t	   *seglens;
	size_t		nsegs = 0;
	size_t		i = 0;
	SigBuf		b;

	/* a path of n bytes has at most n / 2 + 1 non-empty segments */
	segs = sage_alloc(arena, (len / 2 + 1) * (sizeof(char *) + sizeof(size_t)));
	if (segs == NULL)
		return NULL;
	seglens = (size_t *) (segs + len / 2 + 1);
	while (i < len)
	{
		size_t		start = i;
		size_t		n;

		while (i < len && path[i] != '/')
			i++;
		n = i - start;
		if (n == 2 && path[start] == '.' && path[start + 1] == '.')
		{
			if (nsegs > 0)
				nsegs--;
		}
		else if (n > 0 && !(n == 1 && path[start] == '.'))
		{
			segs[nsegs] = path + start;
			seglens[nsegs++] = n;
		}
		i++;
	}
	buf_init(&b, arena);
	if (path[0] == '/')
		buf_putc(&b, '/');
	for (i = 0; i < nsegs; i++)
	{
		if (i > 0)
			buf_putc(&b, '/');
		buf_append(&b, segs[i], seglens[i]);
	}
	if (len > 0 && path[len - 1] == '/' && nsegs > 0)
		buf_putc(&b, '/');
	return buf_finish(&b);
}

/*
 * sigv4_paths
 *		The wire path and the canonical URI, by path mode.
 */
static int
sigv4_paths(SigWork *w)
{
	const SageSigV4Request *req = w->req;
	const char *path = req->path != NULL && req->path[0] != '\0' ? req->path : "/";
	SageSigV4PathMode mode = req->path_mode;
	const char *canon = path;

	if (mode == SAGE_SIGV4_PATH_DEFAULT)
		mode = strcmp(req->service, "s3") == 0 ?
			SAGE_SIGV4_PATH_VERBATIM : SAGE_SIGV4_PATH_NORMALIZE;
	if (strpbrk(path, "?#") != NULL)
		return sage_error_set(w->err, SAGE_ERR_ARGUMENT,
							  "request path \"%.200s\" contains '?' or '#'", path);
	if (mode == SAGE_SIGV4_PATH_VERBATIM)
	{
		if (sigv4_check_wire_path(path, w->err) < 0)
			return -1;
	}
	else
	{
		if (mode == SAGE_SIGV4_PATH_NORMALIZE)
			canon = sigv4_normalize_path(w->arena, path);
		canon = canon != NULL ?
			sage_sigv4_uri_encode(w->arena, canon, strlen(canon), true) : NULL;
		if (canon == NULL)
			return sage_error_memory(w->err, NULL);
	}
	w->wire_path = path;
	w->canonical_path = canon;
	return 0;
}

/* ------------------------------------------------------------- headers */

/* Is name (lower case) in a list of names? */
static bool
sigv4_in_list(const char *name, const char *const *list, size_t n)
{
	size_t		i;

	for (i = 0; i < n; i++)
		if (strcmp(name, list[i]) == 0)
			return true;
	return false;
}

/* Is c white space inside a header value (CR and LF are refused earlier)? */
static bool
sigv4_hspace(char c)
{
	return c == ' ' || c == '\t' || c == '\v' || c == '\f';
}

/*
 * sigv4_add_header
 *		Appends one header to the list being canonicalised: lower-case
 *		name, value trimmed with inner white-space runs collapsed.
 */
static void
sigv4_add_header(SigHeader *h, int *n, SageArena *arena, const char *name,
				 const char *value, bool *oom)
{
	SigBuf		nb;
	SigBuf		vb;
	const char *p;
	bool		space = false;

	buf_init(&nb, arena);
	for (p = name; *p != '\0'; p++)
		buf_putc(&nb, (*p >= 'A' && *p <= 'Z') ? (char) (*p - 'A' + 'a') : *p);
	buf_init(&vb, arena);
	for (p = value; *p != '\0'; p++)
	{
		if (sigv4_hspace(*p))
			space = vb.len > 0;
		else
		{
			if (space)
				buf_putc(&vb, ' ');
			space = false;
			buf_putc(&vb, *p);
		}
	}
	h[*n].name = buf_finish(&nb);
	h[*n].value = buf_finish(&vb);
	h[*n].order = *n;
	if (h[*n].name == NULL || h[*n].value == NULL)
		*oom = true;
	(*n)++;
}

/* qsort order of headers: by name, then sending order. */
static int
sigv4_header_cmp(const void *a, const void *b)
{
	const SigHeader *x = a;
	const SigHeader *y = b;
	int			c = strcmp(x->name, y->name);

	return c != 0 ? c : x->order - y->order;
}

/*
 * sigv4_check_header
 *		A caller's header: a token name, a value without line breaks (a
 *		CR or LF would split the header on the wire), and not one the
 *		signer sets itself. lname is the lower-cased name.
 */
static int
sigv4_check_header(const SageSigV4Header *h, const char *lname, SageError *err)
{
	if (!sigv4_is_token(h->name))
		return sage_error_set(err, SAGE_ERR_ARGUMENT,
							  "invalid HTTP header name \"%.64s\"",
							  h->name != NULL ? h->name : "");
	if (h->value == NULL)
		return sage_error_set(err, SAGE_ERR_ARGUMENT,
							  "HTTP header \"%s\" has no value", h->name);
	if (strpbrk(h->value, "\r\n") != NULL)
		return sage_error_set(err, SAGE_ERR_ARGUMENT,
							  "value of HTTP header \"%s\" contains a line break",
							  h->name);
	if (sigv4_in_list(lname, sigv4_reserved_headers, lengthof(sigv4_reserved_headers)))
		return sage_error_set(err, SAGE_ERR_ARGUMENT,
							  "HTTP header \"%s\" is set by the signer",
							  h->name);
	return 0;
}

/*
 * sigv4_headers
 *		Canonical headers and signed headers: the caller's, the Host (from
 *		the field unless the caller sent one), and those the signer adds.
 */
static int
sigv4_headers(SigWork *w)
{
	const SageSigV4Request *req = w->req;
	SigHeader  *h;
	int			n = 0;
	int			i;
	bool		oom = false;
	bool		has_host = false;
	SigBuf		ch;
	SigBuf		sh;

	h = sage_alloc(w->arena, sizeof(SigHeader) * ((size_t) req->nheaders + 4));
	if (h == NULL)
		return sage_error_memory(w->err, NULL);
	for (i = 0; i < req->nheaders; i++)
	{
		const SageSigV4Header *in = &req->headers[i];
		char		lname[64];

		/* names longer than any reserved one are never reserved */
		snprintf(lname, sizeof(lname), "%s", in->name != NULL ? in->name : "");
		for (char *p = lname; *p != '\0'; p++)
			*p = (*p >= 'A' && *p <= 'Z') ? (char) (*p - 'A' + 'a') : *p;
		if (sigv4_check_header(in, lname, w->err) < 0)
			return -1;
		if (sigv4_in_list(lname, sigv4_unsigned_headers, lengthof(sigv4_unsigned_headers)))
			continue;
		if (strcmp(lname, "host") == 0)
			has_host = true;
		sigv4_add_header(h, &n, w->arena, in->name, in->value, &oom);
	}
	if (has_host == (req->host != NULL))
		return sage_error_set(w->err, SAGE_ERR_ARGUMENT, has_host ?
							  "request host is given both as a field and as a header" :
							  "request host is missing");
	if (req->host != NULL)
	{
		if (req->host[0] == '\0' || strpbrk(req->host, "\r\n/ ") != NULL)
			return sage_error_set(w->err, SAGE_ERR_ARGUMENT,
								  "invalid request host \"%.128s\"", req->host);
		sigv4_add_header(h, &n, w->arena, "host", req->host, &oom);
	}
	if (req->mode == SAGE_SIGV4_MODE_HEADER)
	{
		sigv4_add_header(h, &n, w->arena, "x-amz-date", w->amz_date, &oom);
		if (w->token != NULL && !req->session_token_unsigned)
			sigv4_add_header(h, &n, w->arena, "x-amz-security-token", w->token, &oom);
	}
	if (req->content_sha256_header && w->caller_sha256 == NULL)
		sigv4_add_header(h, &n, w->arena, "x-amz-content-sha256",
						 w->payload_hash, &oom);
	if (oom)
		return sage_error_memory(w->err, NULL);

	qsort(h, (size_t) n, sizeof(SigHeader), sigv4_header_cmp);
	buf_init(&ch, w->arena);
	buf_init(&sh, w->arena);
	for (i = 0; i < n; i++)
	{
		bool		repeat = i > 0 && strcmp(h[i].name, h[i - 1].name) == 0;

		if (repeat)
			buf_putc(&ch, ',');
		else
		{
			if (i > 0)
			{
				buf_putc(&ch, '\n');
				buf_putc(&sh, ';');
			}
			buf_puts(&ch, h[i].name);
			buf_putc(&ch, ':');
			buf_puts(&sh, h[i].name);
		}
		buf_puts(&ch, h[i].value);
	}
	buf_putc(&ch, '\n');
	w->canonical_headers = buf_finish(&ch);
	w->signed_headers = buf_finish(&sh);
	if (w->canonical_headers == NULL || w->signed_headers == NULL)
		return sage_error_memory(w->err, NULL);
	return 0;
}

/* ------------------------------------------------------------- payload */

/*
 * sigv4_payload
 *		The payload hash: the caller's x-amz-content-sha256 header when
 *		there is one (as botocore does), the caller's hash,
 *		UNSIGNED-PAYLOAD, or the SHA-256 of the body.
 */
static int
sigv4_payload(SigWork *w)
{
	const SageSigV4Request *req = w->req;
	char	   *hex;
	int			i;

	for (i = 0; i < req->nheaders; i++)
		if (req->headers[i].name != NULL && req->headers[i].value != NULL &&
			strcasecmp(req->headers[i].name, "x-amz-content-sha256") == 0)
			w->caller_sha256 = req->headers[i].value;
	if (w->caller_sha256 != NULL)
	{
		if (req->payload != SAGE_SIGV4_PAYLOAD_BODY || req->body_len > 0)
			return sage_error_set(w->err, SAGE_ERR_ARGUMENT,
								  "payload hash is given both as a header and as a body or hash");
		w->payload_hash = w->caller_sha256;
	}
	else if (req->payload == SAGE_SIGV4_PAYLOAD_HASH)
		w->payload_hash = req->payload_hash;
	else if (req->payload == SAGE_SIGV4_PAYLOAD_UNSIGNED)
		w->payload_hash = SAGE_SIGV4_UNSIGNED_PAYLOAD;
	else
	{
		hex = sage_alloc(w->arena, SAGE_SHA256_HEX_LEN + 1);
		if (hex == NULL)
			return sage_error_memory(w->err, NULL);
		if (sage_crypto_sha256_hex(req->body, req->body_len, hex, w->err) < 0)
			return -1;
		w->payload_hash = hex;
	}
	return 0;
}

/* --------------------------------------------------------------- query */

/* Value of one hex digit already known to be valid. */
static int
sigv4_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	return (c | 0x20) - 'a' + 10;
}

/*
 * sigv4_decode_encode
 *		Appends one part of a raw query, percent-decoded then encoded the
 *		AWS way, so "%e1%88%b4", raw UTF-8 and "%E1%88%B4" all sign alike.
 *		'+' is an ordinary character (RFC 3986), signed as %2B.
 */
static int
sigv4_decode_encode(SigBuf *b, const char *s, size_t len, SageError *err)
{
	size_t		i;

	for (i = 0; i < len; i++)
	{
		char		c = s[i];

		if (c == '%')
		{
			if (i + 2 >= len || !sigv4_hexdigit(s[i + 1]) ||
				!sigv4_hexdigit(s[i + 2]))
				return sage_error_set(err, SAGE_ERR_ARGUMENT,
									  "invalid percent-encoding in query string at \"%.*s\"",
									  (int) (len - i < 16 ? len - i : 16), s + i);
			c = (char) (sigv4_hexval(s[i + 1]) * 16 + sigv4_hexval(s[i + 2]));
			i += 2;
		}
		buf_encode(b, &c, 1, false);
	}
	return 0;
}

/* qsort order of query parameters: by encoded name, then encoded value. */
static int
sigv4_param_cmp(const void *a, const void *b)
{
	const SigParam *x = a;
	const SigParam *y = b;
	int			c = strcmp(x->name, y->name);

	return c != 0 ? c : strcmp(x->value, y->value);
}

/*
 * sigv4_add_param
 *		Appends an unencoded parameter, refusing the signer's own names in
 *		query mode.
 */
static int
sigv4_add_param(SigWork *w, SigParam *p, int *n, const char *name,
				const char *value, bool check)
{
	size_t		i;

	if (name == NULL)
		return sage_error_set(w->err, SAGE_ERR_ARGUMENT, "query parameter has no name");
	if (check && w->req->mode == SAGE_SIGV4_MODE_QUERY)
		for (i = 0; i < lengthof(sigv4_reserved_params); i++)
			if (strcasecmp(name, sigv4_reserved_params[i]) == 0)
				return sage_error_set(w->err, SAGE_ERR_ARGUMENT,
									  "query parameter \"%s\" is set by the signer",
									  name);
	p[*n].name = sage_sigv4_uri_encode(w->arena, name, strlen(name), false);
	p[*n].value = sage_sigv4_uri_encode(w->arena, value != NULL ? value : "",
										value != NULL ? strlen(value) : 0, false);
	if (p[*n].name == NULL || p[*n].value == NULL)
		return sage_error_memory(w->err, NULL);
	(*n)++;
	return 0;
}

/*
 * sigv4_raw_query
 *		Splits an encoded query on '&' and the first '=' of each pair, and
 *		re-encodes both parts. Empty pairs ("a=1&&b=2") are skipped.
 */
static int
sigv4_raw_query(SigWork *w, SigParam *p, int *n)
{
	const char *q = w->req->raw_query;

	while (*q != '\0')
	{
		size_t		len = strcspn(q, "&");
		const char *eq = memchr(q, '=', len);
		size_t		klen = eq != NULL ? (size_t) (eq - q) : len;
		SigBuf		kb;
		SigBuf		vb;

		if (len > 0)
		{
			if (w->req->mode == SAGE_SIGV4_MODE_QUERY)
			{
				char	   *name = sage_strndup(w->arena, q, klen);

				if (name == NULL)
					return sage_error_memory(w->err, NULL);
				for (size_t i = 0; i < lengthof(sigv4_reserved_params); i++)
					if (strcasecmp(name, sigv4_reserved_params[i]) == 0)
						return sage_error_set(w->err, SAGE_ERR_ARGUMENT,
											  "query parameter \"%s\" is set by the signer",
											  name);
			}
			buf_init(&kb, w->arena);
			buf_init(&vb, w->arena);
			if (sigv4_decode_encode(&kb, q, klen, w->err) < 0 ||
				(eq != NULL &&
				 sigv4_decode_encode(&vb, eq + 1, len - klen - 1, w->err) < 0))
				return -1;
			p[*n].name = buf_finish(&kb);
			p[*n].value = buf_finish(&vb);
			if (p[*n].name == NULL || p[*n].value == NULL)
				return sage_error_memory(w->err, NULL);
			(*n)++;
		}
		q += len;
		if (*q == '&')
			q++;
	}
	return 0;
}

/*
 * sigv4_query
 *		The canonical query: the caller's parameters, the raw query, and in
 *		query mode the X-Amz-* authentication parameters, sorted.
 */
static int
sigv4_query(SigWork *w)
{
	const SageSigV4Request *req = w->req;
	size_t		max = (size_t) req->nparams + 6 + 1;
	const char *q;
	SigParam   *p;
	int			n = 0;
	int			i;
	SigBuf		b;

	if (req->raw_query != NULL)
		for (q = req->raw_query; *q != '\0'; q++)
			max += *q == '&';
	p = sage_alloc(w->arena, sizeof(SigParam) * max);
	if (p == NULL)
		return sage_error_memory(w->err, NULL);
	for (i = 0; i < req->nparams; i++)
		if (sigv4_add_param(w, p, &n, req->params[i].name, req->params[i].value, true) < 0)
			return -1;
	if (req->raw_query != NULL && sigv4_raw_query(w, p, &n) < 0)
		return -1;
	if (req->mode == SAGE_SIGV4_MODE_QUERY)
	{
		char		expires[16];
		const char *credential = sage_printf(w->arena, "%s/%s",
											 req->credentials->access_key_id,
											 w->scope);

		if (credential == NULL)
			return sage_error_memory(w->err, NULL);
		snprintf(expires, sizeof(expires), "%d", req->expires);
		if (sigv4_add_param(w, p, &n, "X-Amz-Algorithm", SAGE_SIGV4_ALGORITHM, false) < 0 ||
			sigv4_add_param(w, p, &n, "X-Amz-Credential", credential, false) < 0 ||
			sigv4_add_param(w, p, &n, "X-Amz-Date", w->amz_date, false) < 0 ||
			sigv4_add_param(w, p, &n, "X-Amz-Expires", expires, false) < 0 ||
			sigv4_add_param(w, p, &n, "X-Amz-SignedHeaders", w->signed_headers, false) < 0 ||
			(w->token != NULL && !req->session_token_unsigned &&
			 sigv4_add_param(w, p, &n, "X-Amz-Security-Token", w->token, false) < 0))
			return -1;
	}
	qsort(p, (size_t) n, sizeof(SigParam), sigv4_param_cmp);
	buf_init(&b, w->arena);
	for (i = 0; i < n; i++)
	{
		if (i > 0)
			buf_putc(&b, '&');
		buf_puts(&b, p[i].name);
		buf_putc(&b, '=');
		buf_puts(&b, p[i].value);
	}
	w->canonical_query = buf_finish(&b);
	if (w->canonical_query == NULL)
		return sage_error_memory(w->err, NULL);
	return 0;
}

/* ---------------------------------------------------------- key cache */

SageSigV4KeyCache *
sage_sigv4_key_cache_new(void)
{
	return calloc(1, sizeof(SageSigV4KeyCache));
}

void
sage_sigv4_key_cache_free(SageSigV4KeyCache *cache)
{
	if (cache == NULL)
		return;
	sage_crypto_cleanse(cache, sizeof(SageSigV4KeyCache));
	free(cache);
}

uint64_t
sage_sigv4_key_cache_derivations(const SageSigV4KeyCache *cache)
{
	return cache->derivations;
}

/*
 * sigv4_derive_key
 *		kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region),
 *		service), "aws4_request"). The "AWS4" + secret seed lives on the
 *		stack only as long as the first HMAC and is wiped; the HMACs are
 *		chained so that the first failure skips the rest.
 */
static int
sigv4_derive_key(const char *secret, const char *date, const char *region,
				 const char *service, uint8_t *key, SageError *err)
{
	const char *parts[4] = {date, region, service, "aws4_request"};
	size_t		slen = strlen(secret);
	uint8_t		seed[4 + SIGV4_SECRET_MAX];
	int			i;
	bool		ok;

	memcpy(seed, "AWS4", 4);
	memcpy(seed + 4, secret, slen);
	ok = sage_crypto_hmac_sha256(seed, slen + 4, parts[0], strlen(parts[0]),
								 key, err) == 0;
	sage_crypto_cleanse(seed, sizeof(seed));
	for (i = 1; ok && i < 4; i++)
		ok = sage_crypto_hmac_sha256(key, SAGE_SHA256_LEN, parts[i],
									 strlen(parts[i]), key, err) == 0;
	return ok ? 0 : -1;
}

/*
 * sigv4_cache_slot
 *		The slot holding this scope and secret (*hit), or else the slot to
 *		reuse: an empty one, or the least recently used.
 */
static SigKeySlot *
sigv4_cache_slot(SageSigV4KeyCache *cache, const uint8_t *hash,
				 const char *date, const char *region, const char *service,
				 bool *hit)
{
	SigKeySlot *victim = &cache->slots[0];
	int			i;

	cache->clock++;
	for (i = 0; i < SIGV4_KEY_SLOTS; i++)
	{
		SigKeySlot *s = &cache->slots[i];

		if (s->used && strcmp(s->date, date) == 0 &&
			strcmp(s->region, region) == 0 &&
			strcmp(s->service, service) == 0 &&
			memcmp(s->secret_hash, hash, SAGE_SHA256_LEN) == 0)
		{
			*hit = true;
			return s;
		}
		if (!s->used || (victim->used && s->last_use < victim->last_use))
			victim = s;
	}
	*hit = false;
	return victim;
}

/*
 * sigv4_signing_key
 *		The signing key for a scope, from the cache when it has it. A
 *		failed derivation leaves the cache unchanged.
 */
static int
sigv4_signing_key(SageSigV4KeyCache *cache, const char *secret,
				  const char *date, const char *region, const char *service,
				  uint8_t *key, SageError *err)
{
	uint8_t		hash[SAGE_SHA256_LEN];
	SigKeySlot *slot = NULL;
	bool		hit = false;
	bool		ok;

	if (cache == NULL)
		return sigv4_derive_key(secret, date, region, service, key, err);
	ok = sage_crypto_sha256(secret, strlen(secret), hash, err) == 0;
	if (ok)
		slot = sigv4_cache_slot(cache, hash, date, region, service, &hit);
	ok = ok && (hit || sigv4_derive_key(secret, date, region, service, key, err) == 0);
	if (!ok)
		return -1;
	if (hit)
		memcpy(key, slot->key, SAGE_SHA256_LEN);
	else
	{
		cache->derivations++;
		slot->used = true;
		memcpy(slot->secret_hash, hash, sizeof(hash));
		memcpy(slot->date, date, sizeof(slot->date));
		snprintf(slot->region, sizeof(slot->region), "%s", region);
		snprintf(slot->service, sizeof(slot->service), "%s", service);
		memcpy(slot->key, key, SAGE_SHA256_LEN);
	}
	slot->last_use = cache->clock;
	return 0;
}

/* -------------------------------------------------------------- signing */

/*
 * sigv4_result
 *		Fills *out from the finished work: the Authorization header in
 *		header mode, the signed query in query mode, and the headers to add.
 */
static int
sigv4_result(SigWork *w, const char *signature, SageSigV4Result *out)
{
	const SageSigV4Request *req = w->req;
	SageSigV4Header *h;
	int			n = 0;
	SigBuf		q;

	h = sage_alloc(w->arena, sizeof(SageSigV4Header) * 4);
	/* w lives on the caller's stack: results point into the arena only */
	out->amz_date = sage_strdup(w->arena, w->amz_date);
	buf_init(&q, w->arena);
	buf_puts(&q, w->canonical_query);
	if (req->mode == SAGE_SIGV4_MODE_HEADER)
	{
		out->authorization = sage_printf(w->arena,
										 SAGE_SIGV4_ALGORITHM " Credential=%s/%s, SignedHeaders=%s, Signature=%s",
										 req->credentials->access_key_id,
										 w->scope, w->signed_headers, signature);
		if (h != NULL)
			h[n++] = (SageSigV4Header)
		{
			"X-Amz-Date", out->amz_date
		};
	}
	else
	{
		buf_puts(&q, q.len > 0 ? "&X-Amz-Signature=" : "X-Amz-Signature=");
		buf_puts(&q, signature);
	}
	if (w->token != NULL)
	{
		if (req->mode == SAGE_SIGV4_MODE_HEADER)
		{
			if (h != NULL)
				h[n++] = (SageSigV4Header)
			{
				"X-Amz-Security-Token", w->token
			};
		}
		else if (req->session_token_unsigned)
		{
			buf_puts(&q, "&X-Amz-Security-Token=");
			buf_encode(&q, w->token, strlen(w->token), false);
		}
	}
	if (req->content_sha256_header && w->caller_sha256 == NULL && h != NULL)
		h[n++] = (SageSigV4Header)
	{
		"x-amz-content-sha256", w->payload_hash
	};
	if (req->mode == SAGE_SIGV4_MODE_HEADER && h != NULL)
		h[n++] = (SageSigV4Header)
	{
		"Authorization", out->authorization
	};
	out->query = buf_finish(&q);
	out->signature = sage_strdup(w->arena, signature);
	if (h == NULL || out->query == NULL || out->amz_date == NULL ||
		out->signature == NULL ||
		(req->mode == SAGE_SIGV4_MODE_HEADER && out->authorization == NULL))
		return sage_error_memory(w->err, NULL);
	out->headers = h;
	out->nheaders = n;
	out->path = w->wire_path;
	out->payload_hash = w->payload_hash;
	out->signed_headers = w->signed_headers;
	return 0;
}

int
sage_sigv4_sign(const SageSigV4Request *req, SageArena *arena,
				SageSigV4Result *out, SageError *err)
{
	SigWork		w;
	char	   *creq;
	char	   *sts;
	char		creq_hash[SAGE_SHA256_HEX_LEN + 1];
	uint8_t		key[SAGE_SHA256_LEN];
	uint8_t		sig[SAGE_SHA256_LEN];
	char		sighex[SAGE_SHA256_HEX_LEN + 1];
	bool		ok;

	memset(out, 0, sizeof(*out));
	memset(&w, 0, sizeof(w));
	w.req = req;
	w.arena = arena;
	w.err = err;
	if (sigv4_check_request(req, err) < 0 || sigv4_format_time(&w) < 0)
		return -1;
	if (req->credentials->session_token != NULL &&
		req->credentials->session_token[0] != '\0')
		w.token = req->credentials->session_token;
	w.scope = sage_printf(arena, "%s/%s/%s/aws4_request", w.date, req->region,
						  req->service);
	if (w.scope == NULL)
		return sage_error_memory(err, NULL);
	if (sigv4_paths(&w) < 0 || sigv4_payload(&w) < 0 ||
		sigv4_headers(&w) < 0 || sigv4_query(&w) < 0)
		return -1;

	/* upper-case method: botocore does it, and AWS compares upper case */
	creq = sage_printf(arena, "%s\n%s\n%s\n%s\n%s\n%s", req->method,
					   w.canonical_path, w.canonical_query,
					   w.canonical_headers, w.signed_headers, w.payload_hash);
	if (creq == NULL)
		return sage_error_memory(err, NULL);
	for (char *p = creq; *p != '\n'; p++)
		*p = (*p >= 'a' && *p <= 'z') ? (char) (*p - 'a' + 'A') : *p;

	/*
	 * The crypto steps are chained so that one failure skips the rest;
	 * OpenSSL errors come with their own message.
	 */
	ok = sigv4_signing_key(req->key_cache, req->credentials->secret_access_key,
						   w.date, req->region, req->service, key, err) == 0;
	ok = ok && sage_crypto_sha256_hex(creq, strlen(creq), creq_hash, err) == 0;
	sts = ok ? sage_printf(arena, SAGE_SIGV4_ALGORITHM "\n%s\n%s\n%s",
						   w.amz_date, w.scope, creq_hash) : NULL;
	if (ok && sts == NULL)
		ok = sage_error_memory(err, NULL) == 0;
	ok = ok && sage_crypto_hmac_sha256(key, sizeof(key), sts, strlen(sts),
									   sig, err) == 0;
	sage_crypto_cleanse(key, sizeof(key));
	if (!ok)
		return -1;
	sage_crypto_hex(sig, sizeof(sig), sighex);
	out->canonical_request = creq;
	out->string_to_sign = sts;
	return sigv4_result(&w, sighex, out);
}
