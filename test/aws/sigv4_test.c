/*-------------------------------------------------------------------------
 *
 * test/aws/sigv4_test.c
 *		Tests of src/aws/sigv4.c: AWS's published SigV4 test vectors, in
 *		header and query mode, and one titled case per behaviour of the
 *		signer (path rules, query and header canonicalisation, payload
 *		hashes, session tokens, the key cache, and every error).
 *
 * The vector cases are discovered at run time under
 * $SAGE_TEST_DATA/sigv4/v4 (the aws-c-auth layout: context.json,
 * request.txt and the expected files for each mode); each case directory
 * becomes two cmocka tests, "header/<case>" and "query/<case>". The run
 * fails when fewer than 30 cases are found, so a missing data directory
 * cannot pass silently.
 *
 *-------------------------------------------------------------------------
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "sage/sigv4.h"

#define MIN_VECTOR_CASES 30
#define MAX_VECTOR_CASES 200
#define MAX_REQ_HEADERS 64

/* One discovered vector case in one mode. */
typedef struct VectorCase
{
	char		name[96];		/* test title: "header/get-vanilla" */
	char		dir[PATH_MAX];	/* the case directory */
	bool		query;			/* query (presigned) mode */
} VectorCase;

/* A request parsed from request.txt. */
typedef struct ParsedRequest
{
	char	   *method;			/* request-line method */
	char	   *path;			/* target before '?' */
	char	   *query;			/* target after '?', or NULL */
	SageSigV4Header headers[MAX_REQ_HEADERS];	/* header lines, unfolded */
	int			nheaders;
	char	   *body;			/* after the blank line */
	size_t		body_len;
} ParsedRequest;

static int	vector_cases_found;

static const char *
data_dir(void)
{
	const char *d = getenv("SAGE_TEST_DATA");

	return d != NULL ? d : "test/data";
}

/* Reads a whole file into the arena (NUL-terminated); fails the test if absent. */
static char *
slurp(SageArena *arena, const char *dir, const char *file, size_t *len)
{
	char		path[PATH_MAX + 64];
	char	   *data = NULL;
	size_t		n = 0;
	SageError	err;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	if (sage_read_file(arena, path, 0, &data, &n, &err) < 0)
		fail_msg("%s", err.message);
	if (len != NULL)
		*len = n;
	return data;
}

/* A string value of context.json (no escapes occur in the suite). */
static char *
json_string(SageArena *arena, const char *json, const char *key)
{
	char		pat[64];
	const char *p;
	const char *end;

	snprintf(pat, sizeof(pat), "\"%s\"", key);
	p = strstr(json, pat);
	if (p == NULL)
		return NULL;
	p = strchr(p + strlen(pat), ':');
	assert_non_null(p);
	p = strchr(p, '"');
	assert_non_null(p);
	end = strchr(p + 1, '"');
	assert_non_null(end);
	return sage_strndup(arena, p + 1, (size_t) (end - p - 1));
}

/* A literal (true/false/number) value of context.json, as text. */
static const char *
json_literal(const char *json, const char *key)
{
	char		pat[64];
	const char *p;

	snprintf(pat, sizeof(pat), "\"%s\"", key);
	p = strstr(json, pat);
	if (p == NULL)
		return NULL;
	p = strchr(p + strlen(pat), ':') + 1;
	while (*p == ' ')
		p++;
	return p;
}

static bool
json_bool(const char *json, const char *key, bool dflt)
{
	const char *v = json_literal(json, key);

	return v == NULL ? dflt : strncmp(v, "true", 4) == 0;
}

/*
 * parse_request
 *		Parses an HTTP/1.1 request text: the request line, header lines
 *		(obs-fold continuation lines are unfolded into one space-separated
 *		value, as RFC 7230 3.2.4 tells recipients to do), and the body.
 */
static void
parse_request(SageArena *arena, char *text, size_t len, ParsedRequest *r)
{
	char	   *p = text;
	char	   *eol;
	char	   *sp1;
	char	   *sp2;
	char	   *q;

	memset(r, 0, sizeof(*r));
	eol = strchr(p, '\n');
	assert_non_null(eol);
	*eol = '\0';
	sp1 = strchr(p, ' ');
	sp2 = strrchr(p, ' ');
	assert_true(sp1 != NULL && sp2 != NULL && sp2 > sp1);
	r->method = sage_strndup(arena, p, (size_t) (sp1 - p));
	r->path = sage_strndup(arena, sp1 + 1, (size_t) (sp2 - sp1 - 1));
	q = strchr(r->path, '?');
	if (q != NULL)
	{
		*q = '\0';
		r->query = q + 1;
	}
	p = eol + 1;
	while (p < text + len && *p != '\n' && *p != '\0')
	{
		char	   *colon;

		eol = strchr(p, '\n');
		if (eol == NULL)
			eol = text + len;
		if ((*p == ' ' || *p == '\t') && r->nheaders > 0)
		{
			SageSigV4Header *h = &r->headers[r->nheaders - 1];

			h->value = sage_printf(arena, "%s %.*s", h->value,
								   (int) (eol - p), p);
		}
		else
		{
			colon = memchr(p, ':', (size_t) (eol - p));
			assert_non_null(colon);
			assert_true(r->nheaders < MAX_REQ_HEADERS);
			r->headers[r->nheaders].name = sage_strndup(arena, p, (size_t) (colon - p));
			r->headers[r->nheaders].value = sage_strndup(arena, colon + 1,
														 (size_t) (eol - colon - 1));
			r->nheaders++;
		}
		p = eol < text + len ? eol + 1 : eol;
	}
	if (p < text + len && *p == '\n')
		p++;
	r->body = p;
	r->body_len = (size_t) (text + len - p);
}

/* Percent-decodes s into a new string (for comparing query parameters). */
static char *
pct_decode(SageArena *arena, const char *s, size_t len)
{
	char	   *out = sage_alloc(arena, len + 1);
	size_t		i;
	size_t		n = 0;

	for (i = 0; i < len; i++)
	{
		unsigned int c;

		if (s[i] == '%' && i + 2 < len && sscanf(s + i + 1, "%2x", &c) == 1)
		{
			out[n++] = (char) c;
			i += 2;
		}
		else
			out[n++] = s[i];
	}
	out[n] = '\0';
	return out;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

/*
 * query_set
 *		The decoded "name=value" pairs of a query, sorted, joined with
 *		'\n': equal for two queries that carry the same parameters in any
 *		order and any valid encoding.
 */
static char *
query_set(SageArena *arena, const char *query)
{
	char	   *items[64];
	int			n = 0;
	const char *p = query;
	char	   *out = sage_strdup(arena, "");

	while (p != NULL && *p != '\0')
	{
		size_t		len = strcspn(p, "&");
		const char *eq = memchr(p, '=', len);
		size_t		klen = eq != NULL ? (size_t) (eq - p) : len;

		assert_true(n < 64);
		items[n++] = sage_printf(arena, "%s=%s", pct_decode(arena, p, klen),
								 eq != NULL ? pct_decode(arena, eq + 1, len - klen - 1) : "");
		p += len;
		if (*p == '&')
			p++;
	}
	qsort(items, (size_t) n, sizeof(char *), cmp_str);
	for (int i = 0; i < n; i++)
		out = sage_printf(arena, "%s%s\n", out, items[i]);
	return out;
}

/* Is this header (by name and value) among the request's own headers? */
static bool
request_has_header(const ParsedRequest *r, const char *name, const char *value)
{
	for (int i = 0; i < r->nheaders; i++)
		if (strcasecmp(r->headers[i].name, name) == 0 &&
			strcmp(r->headers[i].value, value) == 0)
			return true;
	return false;
}

/*
 * test_vector
 *		Signs one case in one mode and compares every product with the
 *		suite: canonical request, string to sign, signature, and the
 *		signed request (added headers, or the query parameters).
 */
static void
test_vector(void **state)
{
	VectorCase *vc = *state;
	SageArena  *arena = sage_arena_new(NULL);
	const char *prefix = vc->query ? "query" : "header";
	char		file[64];
	size_t		len;
	char	   *text = slurp(arena, vc->dir, "request.txt", &len);
	char	   *context = slurp(arena, vc->dir, "context.json", NULL);
	char	   *signed_text;
	size_t		signed_len;
	ParsedRequest r;
	ParsedRequest sr;
	SageAwsCredentials creds = {0};
	SageSigV4Request req = {0};
	SageSigV4Result res;
	SageError	err;
	struct tm	tm = {0};
	const char *ts;
	const char *exp;

	parse_request(arena, text, len, &r);
	creds.access_key_id = json_string(arena, context, "access_key_id");
	creds.secret_access_key = json_string(arena, context, "secret_access_key");
	creds.session_token = json_string(arena, context, "token");
	ts = json_string(arena, context, "timestamp");
	assert_non_null(ts);
	assert_int_equal(sscanf(ts, "%d-%d-%dT%d:%d:%dZ", &tm.tm_year, &tm.tm_mon,
							&tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec), 6);
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;

	req.method = r.method;
	req.path = r.path;
	req.raw_query = r.query;
	req.headers = r.headers;
	req.nheaders = r.nheaders;
	req.body = r.body;
	req.body_len = r.body_len;
	req.region = json_string(arena, context, "region");
	req.service = json_string(arena, context, "service");
	req.time = (int64_t) timegm(&tm);
	req.credentials = &creds;
	/* the suite always encodes the path once more; S3 cases skip normalizing */
	req.path_mode = json_bool(context, "normalize", true) ?
		SAGE_SIGV4_PATH_NORMALIZE : SAGE_SIGV4_PATH_ENCODE;
	req.content_sha256_header = !vc->query && json_bool(context, "sign_body", false);
	req.session_token_unsigned = json_bool(context, "omit_session_token", false);
	req.mode = vc->query ? SAGE_SIGV4_MODE_QUERY : SAGE_SIGV4_MODE_HEADER;
	exp = json_literal(context, "expiration_in_seconds");
	req.expires = exp != NULL ? atoi(exp) : 3600;

	if (sage_sigv4_sign(&req, arena, &res, &err) < 0)
		fail_msg("%s: %s", vc->name, err.message);

	snprintf(file, sizeof(file), "%s-canonical-request.txt", prefix);
	assert_string_equal(res.canonical_request, slurp(arena, vc->dir, file, NULL));
	snprintf(file, sizeof(file), "%s-string-to-sign.txt", prefix);
	assert_string_equal(res.string_to_sign, slurp(arena, vc->dir, file, NULL));
	snprintf(file, sizeof(file), "%s-signature.txt", prefix);
	assert_string_equal(res.signature, slurp(arena, vc->dir, file, NULL));

	snprintf(file, sizeof(file), "%s-signed-request.txt", prefix);
	signed_text = slurp(arena, vc->dir, file, &signed_len);
	parse_request(arena, signed_text, signed_len, &sr);
	if (vc->query)
	{
		assert_string_equal(query_set(arena, res.query),
							query_set(arena, sr.query));
		assert_int_equal(res.nheaders, req.content_sha256_header ? 1 : 0);
	}
	else
	{
		int			added = 0;

		/* every header the suite added is one we return, and vice versa */
		for (int i = 0; i < sr.nheaders; i++)
		{
			bool		found = false;

			if (request_has_header(&r, sr.headers[i].name, sr.headers[i].value))
				continue;
			added++;
			for (int j = 0; j < res.nheaders; j++)
				if (strcasecmp(res.headers[j].name, sr.headers[i].name) == 0)
				{
					assert_string_equal(res.headers[j].value, sr.headers[i].value);
					found = true;
				}
			if (!found)
				fail_msg("%s: header %s not returned", vc->name, sr.headers[i].name);
		}
		assert_int_equal(added, res.nheaders);
		assert_string_equal(query_set(arena, res.query),
							query_set(arena, sr.query));
	}
	sage_arena_free(arena);
}

/* The suite was found and is complete enough to mean something. */
static void
test_vector_suite_found(void **state)
{
	(void) state;
	if (vector_cases_found < MIN_VECTOR_CASES)
		fail_msg("only %d SigV4 vector cases under %s/sigv4/v4 (need %d)",
				 vector_cases_found, data_dir(), MIN_VECTOR_CASES);
}

/* ------------------------------------------------------------------------
 * Behaviour tests. A fixed, valid request is built by base_request() and
 * each test changes what it is about.
 */

static SageAwsCredentials test_creds = {
	"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", NULL, 0
};

#define TEST_TIME INT64_C(1440938160)	/* 2015-08-30T12:36:00Z */

static SageSigV4Request
base_request(void)
{
	SageSigV4Request req = {0};

	req.method = "GET";
	req.host = "example.amazonaws.com";
	req.path = "/";
	req.region = "us-east-1";
	req.service = "service";
	req.time = TEST_TIME;
	req.credentials = &test_creds;
	return req;
}

/* Signs req, failing the test on error. */
static SageSigV4Result
sign_ok(SageArena *arena, const SageSigV4Request *req)
{
	SageSigV4Result res;
	SageError	err;

	if (sage_sigv4_sign(req, arena, &res, &err) < 0)
		fail_msg("unexpected error: %s", err.message);
	return res;
}

/* Signs req expecting an error with this code and exact message. */
static void
sign_fails(const SageSigV4Request *req, SageErrorCode code, const char *message)
{
	SageArena  *arena = sage_arena_new(NULL);
	SageSigV4Result res;
	SageError	err;

	assert_int_equal(sage_sigv4_sign(req, arena, &res, &err), -1);
	assert_string_equal(sage_error_code_name(err.code), sage_error_code_name(code));
	assert_string_equal(err.message, message);
	sage_arena_free(arena);
}

/* The second line of a canonical request: the canonical URI. */
static char *
creq_line(SageArena *arena, const char *creq, int line)
{
	const char *p = creq;
	size_t		n;

	while (line-- > 0)
		p = strchr(p, '\n') + 1;
	n = strcspn(p, "\n");
	return sage_strndup(arena, p, n);
}

static void
test_uri_encode(void **state)
{
	SageArena  *arena = sage_arena_new(NULL);

	assert_string_equal(sage_sigv4_uri_encode(arena, "a b/c~d%e+f", 11, true),
						"a%20b/c~d%25e%2Bf");
	assert_string_equal(sage_sigv4_uri_encode(arena, "a b/c", 5, false),
						"a%20b%2Fc");
	assert_string_equal(sage_sigv4_uri_encode(arena, "\xe1\x88\xb4", 3, false),
						"%E1%88%B4");
	assert_string_equal(sage_sigv4_uri_encode(arena, "", 0, false), "");
	assert_string_equal(sage_sigv4_uri_encode(arena, "a\0b", 3, false), "a%00b");
	sage_arena_free(arena);
}

/* Non-S3 paths are normalized like botocore and encoded once more. */
static void
test_path_normalize(void **state)
{
	static const char *const cases[][2] = {
		{"/a/b/../c", "/a/c"},
		{"/a/./b/", "/a/b/"},
		{"//a//b//", "/a/b/"},
		{"/a/b/..", "/a"},
		{"/..", "/"},
		{"/../..", "/"},
		{"/./", "/"},
		{"a/b", "a/b"},
		{"/%20x", "/%2520x"},
		{"/arn%3Aaws%3Alambda", "/arn%253Aaws%253Alambda"},
		{"/a!$'()*", "/a%21%24%27%28%29%2A"},
	};
	SageArena  *arena = sage_arena_new(NULL);
	SageSigV4Request req = base_request();
	size_t		i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
	{
		SageSigV4Result res;

		req.path = cases[i][0];
		res = sign_ok(arena, &req);
		assert_string_equal(creq_line(arena, res.canonical_request, 1), cases[i][1]);
		assert_string_equal(res.path, cases[i][0]);
	}
	req.path = NULL;
	assert_string_equal(creq_line(arena, sign_ok(arena, &req).canonical_request, 1), "/");
	req.path = "";
	assert_string_equal(sign_ok(arena, &req).path, "/");
	sage_arena_free(arena);
}

/* S3 signs the path as sent; ENCODE mode encodes without normalizing. */
static void
test_path_s3_and_encode(void **state)
{
	SageArena  *arena = sage_arena_new(NULL);
	SageSigV4Request req = base_request();
	SageSigV4Result res;

	req.service = "s3";
	req.path = "/bucket/a//b/../c%20d%2Fe!$&'()*+,;=:@~";
	res = sign_ok(arena, &req);
	assert_string_equal(creq_line(arena, res.canonical_request, 1), req.path);

	req.service = "service";
	req.path_mode = SAGE_SIGV4_PATH_VERBATIM;
	res = sign_ok(arena, &req);
	assert_string_equal(creq_line(arena, res.canonical_request, 1), req.path);

	req.path_mode = SAGE_SIGV4_PATH_ENCODE;
	req.path = "/a//b/../c d";
	res = sign_ok(arena, &req);
	assert_string_equal(creq_line(arena, res.canonical_request, 1), "/a//b/../c%20d");

	req.path_mode = SAGE_SIGV4_PATH_NORMALIZE;
	req.service = "s3";
	res = sign_ok(arena, &req);
	assert_string_equal(creq_line(arena, res.canonical_request, 1), "/a/c%20d");
	sage_arena_free(arena);
}

static void
test_path_errors(void **state)
{
	SageSigV4Request req = base_request();

	req.service = "s3";
	req.path = "/key with space";
	sign_fails(&req, SAGE_ERR_ARGUMENT, "request path \"/key with space\" is not URI-encoded");
	req.path = "/bad%2";
	sign_fails(&req, SAGE_ERR_ARGUMENT, "request path \"/bad%2\" is not URI-encoded");
	req.path = "/bad%zz";
	sign_fails(&req, SAGE_ERR_ARGUMENT, "request path \"/bad%zz\" is not URI-encoded");
	req.path = "/\xe1\x88\xb4";
	sign_fails(&req, SAGE_ERR_ARGUMENT, "request path \"/\xe1\x88\xb4\" is not URI-encoded");
	req.path = "/a?b";
	sign_fails(&req, SAGE_ERR_ARGUMENT, "request path \"/a?b\" contains '?' or '#'");
	req.service = "service";
	req.path = "/a#b";
	sign_fails(&req, SAGE_ERR_ARGUMENT, "request path \"/a#b\" contains '?' or '#'");
}

/* The detail and hint of a path error say what to do. */
static void
test_path_error_detail(void **state)
{
	SageArena  *arena = sage_arena_new(NULL);
	SageSigV4Request req = base_request();
	SageSigV4Result res;
	SageError	err;

	req.service = "s3";
	req.path = "/ab c";
	assert_int_equal(sage_sigv4_sign(&req, arena, &res, &err), -1);
	assert_string_equal(err.detail, "Byte 4 (0x20) must be percent-encoded.");
	assert_string_equal(err.hint, "Build object paths with sage_sigv4_uri_encode().");
	sage_arena_free(arena);
}

/* Parameters are encoded, sorted by encoded name then value. */
static void
test_query_params(void **state)
{
	SageSigV4Param params[] = {
		{"prefix", "a b/c"},
		{"list-type", "2"},
		{"b", "2"},
		{"b", "1"},
		{"acl", NULL},
		{"empty", ""},
		{"a{", "x"},
		{"aa", "y"},
		{"\xe1\x88\xb4", "+"},
	};
	SageArena  *arena = sage_arena_new(NULL);
	SageSigV4Request req = base_request();
	SageSigV4Result res;

	req.params = params;
	req.nparams = 9;
	res = sign_ok(arena, &req);
	assert_string_equal(res.query,
						"%E1%88%B4=%2B&a%7B=x&aa=y&acl=&b=1&b=2&empty=&list-type=2&prefix=a%20b%2Fc");
	assert_string_equal(creq_line(arena, res.canonical_request, 2), res.query);
	sage_arena_free(arena);
}

/* A raw query is decoded and encoded again; both forms sign alike. */
static void
test_query_raw(void **state)
{
	SageArena  *arena = sage_arena_new(NULL);
	SageSigV4Request req = base_request();
	SageSigV4Param params[] = {{"z", "last"}};

	req.raw_query = "b=%e1%88%b4&&a=\xe1\x88\xb4&c&d=x=y&e=a+b&";
	req.params = params;
	req.nparams = 1;
	assert_string_equal(sign_ok(arena, &req).query,
						"a=%E1%88%B4&b=%E1%88%B4&c=&d=x%3Dy&e=a%2Bb&z=last");
	req.raw_query = "";
	req.nparams = 0;
	assert_string_equal(sign_ok(arena, &req).query, "");
	sage_arena_free(arena);
}

static void
test_query_errors(void **state)
{
	SageSigV4Request req = base_request();
	SageSigV4Param noname[] = {{NULL, "x"}};
	SageSigV4Param reserved[] = {{"x-amz-signature", "x"}};

	req.raw_query = "a=%4";
	sign_fails(&req, SAGE_ERR_ARGUMENT, "invalid percent-encoding in query string at \"%4\"");
	req.raw_query = "a=%G1&b=2";
	sign_fails(&req, SAGE_ERR_ARGUMENT, "invalid percent-encoding in query string at \"%G1\"");
	req.raw_query = "%";
	sign_fails(&req, SAGE_ERR_ARGUMENT, "invalid percent-encoding in query string at \"%\"");
	req.raw_query = "a=%1x";
	sign_fails(&req, SAGE_ERR_ARGUMENT, "invalid percent-encoding in query string at \"%1x\"");
	req.raw_query = NULL;
	req.params = noname;
	req.nparams = 1;
	sign_fails(&req, SAGE_ERR_ARGUMENT, "query parameter has no name");

	/* the signer's own parameters are refused in query mode only */
	req.params = reserved;
	{
		SageArena  *arena = sage_arena_new(NULL);

		assert_string_equal(sign_ok(arena, &req).query, "x-amz-signature=x");
		sage_arena_free(arena);
	}
	req.mode = SAGE_SIGV4_MODE_QUERY;
	req.expires = 60;
	sign_fails(&req, SAGE_ERR_ARGUMENT, "query parameter \"x-amz-signature\" is set by the signer");
	req.nparams = 0;
	req.raw_query = "a=1&X-Amz-Date=2";
	sign_fails(&req, SAGE_ERR_ARGUMENT, "query parameter \"X-Amz-Date\" is set by the signer");
}

/* Names lower-cased, values trimmed and collapsed, repeats joined in order. */
static void
test_headers_canonical(void **state)
{
	SageSigV4Header headers[] = {
		{"My-Header", "  b   c\t\td  "},
		{"Content-Type", "text/plain"},
		{"my-header", "a"},
		{"X-Empty", "   "},
		{"User-Agent", "sage/1.0"},
		{"Expect", "100-continue"},
		{"Transfer-Encoding", "chunked"},
		{"X-Amzn-Trace-Id", "Root=1"},
	};
	SageArena  *arena = sage_arena_new(NULL);
	SageSigV4Request req = base_request();
	SageSigV4Result res;

	req.headers = headers;
	req.nheaders = 8;
	res = sign_ok(arena, &req);
	assert_string_equal(res.signed_headers,
						"content-type;host;my-header;x-amz-date;x-empty");
	assert_non_null(strstr(res.canonical_request,
						   "\ncontent-type:text/plain\nhost:example.amazonaws.com\n"
						   "my-header:b c d,a\nx-amz-date:20150830T123600Z\nx-empty:\n\n"));
	sage_arena_free(arena);
}

/* A Host header may replace the host field, never join it. */
static void
test_headers_host(void **state)
{
	SageSigV4Header headers[] = {{"HOST", "h.example:8080"}};
	SageArena  *arena = sage_arena_new(NULL);
	SageSigV4Request req = base_request();

	req.headers = headers;
	req.nheaders = 1;
	sign_fails(&req, SAGE_ERR_ARGUMENT, "request host is given both as a field and as a header");
	req.host = NULL;
	assert_non_null(strstr(sign_ok(arena, &req).canonical_request,
						   "\nhost:h.example:8080\n"));
	req.nheaders = 0;
	sign_fails(&req, SAGE_ERR_ARGUMENT, "request host is missing");
	req.host = "";
	sign_fails(&req, SAGE_ERR_ARGUMENT, "invalid request host \"\"");
	req.host = "a/b";
	sign_fails(&req, SAGE_ERR_ARGUMENT, "invalid request host \"a/b\"");
	sage_arena_free(arena);
}

static void
test_headers_errors(void **state)
{
	SageSigV4Request req = base_request();
	SageSigV4Header h[1];

	req.headers = h;
	req.nheaders = 1;
	h[0] = (SageSigV4Header)
	{
		"Bad Name", "x"
	};
	sign_fails(&req, SAGE_ERR_ARGUMENT, "invalid HTTP header name \"Bad Name\"");
	h[0] = (SageSigV4Header)
	{
		NULL, "x"
	};
	sign_fails(&req, SAGE_ERR_ARGUMENT, "invalid HTTP header name \"\"");
	h[0] = (SageSigV4Header)
	{
		"X-A", NULL
	};
	sign_fails(&req, SAGE_ERR_ARGUMENT, "HTTP header \"X-A\" has no value");
	h[0] = (SageSigV4Header)
	{
		"X-A", "a\r\nX-Injected: 1"
	};
	sign_fails(&req, SAGE_ERR_ARGUMENT, "value of HTTP header \"X-A\" contains a line break");
	h[0] = (SageSigV4Header)
	{
		"Authorization", "x"
	};
	sign_fails(&req, SAGE_ERR_ARGUMENT, "HTTP header \"Authorization\" is set by the signer");
	h[0] = (SageSigV4Header)
	{
		"X-Amz-Date", "x"
	};
	sign_fails(&req, SAGE_ERR_ARGUMENT, "HTTP header \"X-Amz-Date\" is set by the signer");
	h[0] = (SageSigV4Header)
	{
		"x-amz-security-token", "x"
	};
	sign_fails(&req, SAGE_ERR_ARGUMENT, "HTTP header \"x-amz-security-token\" is set by the signer");
	req.nheaders = -1;
	sign_fails(&req, SAGE_ERR_ARGUMENT, "invalid parameter or header list");
	req.nheaders = 1;
	req.headers = NULL;
	sign_fails(&req, SAGE_ERR_ARGUMENT, "invalid parameter or header list");
	req.nheaders = 0;
	req.nparams = -1;
	sign_fails(&req, SAGE_ERR_ARGUMENT, "invalid parameter or header list");
	req.nparams = 1;
	sign_fails(&req, SAGE_ERR_ARGUMENT, "invalid parameter or header list");
}

/* Body hash, caller's hash, UNSIGNED-PAYLOAD and the x-amz-content-sha256 header. */
static void
test_payload(void **state)
{
	static const char abc_hash[] =
		"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
	SageArena  *arena = sage_arena_new(NULL);
	SageSigV4Request req = base_request();
	SageSigV4Result res;
	SageSigV4Header h[] = {{"X-Amz-Content-SHA256", abc_hash}};

	req.body = "abc";
	req.body_len = 3;
	res = sign_ok(arena, &req);
	assert_string_equal(res.payload_hash, abc_hash);
	assert_string_equal(res.signed_headers, "host;x-amz-date");

	req.content_sha256_header = true;
	res = sign_ok(arena, &req);
	assert_string_equal(res.signed_headers, "host;x-amz-content-sha256;x-amz-date");
	assert_non_null(strstr(res.canonical_request, "\nx-amz-content-sha256:ba7816bf"));
	assert_int_equal(res.nheaders, 3);
	assert_string_equal(res.headers[0].name, "X-Amz-Date");
	assert_string_equal(res.headers[1].name, "x-amz-content-sha256");
	assert_string_equal(res.headers[1].value, abc_hash);
	assert_string_equal(res.headers[2].name, "Authorization");

	req.body = NULL;
	req.body_len = 0;
	req.payload = SAGE_SIGV4_PAYLOAD_HASH;
	req.payload_hash = abc_hash;
	assert_string_equal(sign_ok(arena, &req).payload_hash, abc_hash);

	/* the caller's header is the payload hash, signed as given */
	req.payload = SAGE_SIGV4_PAYLOAD_BODY;
	req.headers = h;
	req.nheaders = 1;
	res = sign_ok(arena, &req);
	assert_string_equal(res.payload_hash, abc_hash);
	assert_int_equal(res.nheaders, 2);

	req.service = "s3";
	req.nheaders = 0;
	req.payload = SAGE_SIGV4_PAYLOAD_UNSIGNED;
	res = sign_ok(arena, &req);
	assert_string_equal(res.payload_hash, "UNSIGNED-PAYLOAD");
	assert_non_null(strstr(res.canonical_request,
						   "x-amz-content-sha256:UNSIGNED-PAYLOAD\nx-amz-date"));
	sage_arena_free(arena);
}

static void
test_payload_errors(void **state)
{
	SageSigV4Request req = base_request();
	SageSigV4Header h[] = {{"x-amz-content-sha256", "UNSIGNED-PAYLOAD"}};

	req.payload = SAGE_SIGV4_PAYLOAD_HASH;
	sign_fails(&req, SAGE_ERR_ARGUMENT, "invalid payload hash \"\"");
	req.payload_hash = "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD";
	sign_fails(&req, SAGE_ERR_ARGUMENT,
			   "invalid payload hash \"BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD\"");
	req.payload_hash = "ba78";
	sign_fails(&req, SAGE_ERR_ARGUMENT, "invalid payload hash \"ba78\"");
	req.payload = SAGE_SIGV4_PAYLOAD_UNSIGNED;
	sign_fails(&req, SAGE_ERR_ARGUMENT, "unsigned payload is not supported by AWS service \"service\"");
	req.payload = SAGE_SIGV4_PAYLOAD_BODY;
	req.body_len = 4;
	sign_fails(&req, SAGE_ERR_ARGUMENT, "request body of 4 bytes has no data");
	req.body = "abcd";
	req.headers = h;
	req.nheaders = 1;
	sign_fails(&req, SAGE_ERR_ARGUMENT, "payload hash is given both as a header and as a body or hash");
	req.body = NULL;
	req.body_len = 0;
	req.payload = SAGE_SIGV4_PAYLOAD_HASH;
	req.payload_hash = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
	sign_fails(&req, SAGE_ERR_ARGUMENT, "payload hash is given both as a header and as a body or hash");
}

/* Session tokens: signed header, unsigned header, signed or appended query. */
static void
test_session_token(void **state)
{
	SageAwsCredentials c = test_creds;
	SageArena  *arena = sage_arena_new(NULL);
	SageSigV4Request req = base_request();
	SageSigV4Result res;

	c.session_token = "tok/en+=";
	req.credentials = &c;
	res = sign_ok(arena, &req);
	assert_string_equal(res.signed_headers, "host;x-amz-date;x-amz-security-token");
	assert_int_equal(res.nheaders, 3);
	assert_string_equal(res.headers[1].name, "X-Amz-Security-Token");
	assert_string_equal(res.headers[1].value, "tok/en+=");

	req.session_token_unsigned = true;
	res = sign_ok(arena, &req);
	assert_string_equal(res.signed_headers, "host;x-amz-date");
	assert_int_equal(res.nheaders, 3);

	req.mode = SAGE_SIGV4_MODE_QUERY;
	req.expires = 900;
	res = sign_ok(arena, &req);
	assert_null(strstr(res.canonical_request, "Security-Token"));
	assert_non_null(strstr(res.query, "&X-Amz-Security-Token=tok%2Fen%2B%3D"));
	assert_int_equal(res.nheaders, 0);
	assert_null(res.authorization);

	req.session_token_unsigned = false;
	res = sign_ok(arena, &req);
	assert_non_null(strstr(res.canonical_request, "&X-Amz-Security-Token=tok%2Fen%2B%3D&X-Amz-SignedHeaders=host\n"));

	/* an empty token is no token */
	c.session_token = "";
	req.mode = SAGE_SIGV4_MODE_HEADER;
	assert_int_equal(sign_ok(arena, &req).nheaders, 2);
	sage_arena_free(arena);
}

/* A presigned request: auth parameters sorted with the caller's, signature last. */
static void
test_presign(void **state)
{
	SageArena  *arena = sage_arena_new(NULL);
	SageSigV4Request req = base_request();
	SageSigV4Result res;

	req.service = "s3";
	req.payload = SAGE_SIGV4_PAYLOAD_UNSIGNED;
	req.path = "/bucket/key";
	req.mode = SAGE_SIGV4_MODE_QUERY;
	req.expires = SAGE_SIGV4_MAX_EXPIRES;
	res = sign_ok(arena, &req);
	assert_string_equal(res.query,
						sage_printf(arena, "%s%s",
									"X-Amz-Algorithm=AWS4-HMAC-SHA256"
									"&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fs3%2Faws4_request"
									"&X-Amz-Date=20150830T123600Z&X-Amz-Expires=604800"
									"&X-Amz-SignedHeaders=host&X-Amz-Signature=",
									res.signature));
	assert_int_equal(strlen(res.signature), 64);
	assert_string_equal(creq_line(arena, res.canonical_request, 6), "UNSIGNED-PAYLOAD");
	assert_int_equal(res.nheaders, 0);
	assert_null(res.authorization);
	sage_arena_free(arena);
}

static void
test_argument_errors(void **state)
{
	SageAwsCredentials c = test_creds;
	SageSigV4Request req = base_request();

	req.method = NULL;
	sign_fails(&req, SAGE_ERR_ARGUMENT, "invalid HTTP method \"\"");
	req.method = "G T";
	sign_fails(&req, SAGE_ERR_ARGUMENT, "invalid HTTP method \"G T\"");
	req.method = "";
	sign_fails(&req, SAGE_ERR_ARGUMENT, "invalid HTTP method \"\"");
	req.method = "G\x80T";
	sign_fails(&req, SAGE_ERR_ARGUMENT, "invalid HTTP method \"G\x80T\"");
	req = base_request();
	req.region = NULL;
	sign_fails(&req, SAGE_ERR_ARGUMENT, "AWS region is missing");
	req.region = "us/east";
	sign_fails(&req, SAGE_ERR_ARGUMENT, "invalid AWS region \"us/east\"");
	req.region = "us-east-1";
	req.service = "";
	sign_fails(&req, SAGE_ERR_ARGUMENT, "AWS service is missing");
	req.service = "a123456789b123456789c123456789d123456789e123456789f123456789g123";
	sign_fails(&req, SAGE_ERR_ARGUMENT,
			   "invalid AWS service \"a123456789b123456789c123456789d123456789e123456789f123456789g123\"");
	req.service = "s~3";
	sign_fails(&req, SAGE_ERR_ARGUMENT, "invalid AWS service \"s~3\"");
	req.service = "service";
	req.credentials = NULL;
	sign_fails(&req, SAGE_ERR_ARGUMENT, "AWS access key id is missing");
	req.credentials = &c;
	c.access_key_id = "";
	sign_fails(&req, SAGE_ERR_ARGUMENT, "AWS access key id is missing");
	c.access_key_id = "AKID/X";
	sign_fails(&req, SAGE_ERR_ARGUMENT, "AWS access key id contains an invalid character");
	c.access_key_id = "AKID\x7f";
	sign_fails(&req, SAGE_ERR_ARGUMENT, "AWS access key id contains an invalid character");
	c.access_key_id = "AK ID";
	sign_fails(&req, SAGE_ERR_ARGUMENT, "AWS access key id contains an invalid character");
	c.access_key_id = "AK,ID";
	sign_fails(&req, SAGE_ERR_ARGUMENT, "AWS access key id contains an invalid character");
	c.access_key_id = "AK=ID";
	sign_fails(&req, SAGE_ERR_ARGUMENT, "AWS access key id contains an invalid character");
	c.access_key_id = NULL;
	sign_fails(&req, SAGE_ERR_ARGUMENT, "AWS access key id is missing");
	c.access_key_id = "AKID";
	c.secret_access_key = NULL;
	sign_fails(&req, SAGE_ERR_ARGUMENT, "AWS secret access key is missing");
	c.secret_access_key = "";
	sign_fails(&req, SAGE_ERR_ARGUMENT, "AWS secret access key is missing");
	c.secret_access_key = "secret";
	c.session_token = "tok\nen";
	sign_fails(&req, SAGE_ERR_ARGUMENT, "AWS session token contains a line break");
	c.secret_access_key = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
		"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
		"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
		"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef!";
	sign_fails(&req, SAGE_ERR_ARGUMENT, "AWS secret access key is longer than 256 bytes");
	c.secret_access_key = "secret";
	c.session_token = NULL;
	req.time = -1;
	sign_fails(&req, SAGE_ERR_ARGUMENT, "signing time -1 is out of range");
	req.time = INT64_C(253402300800);
	sign_fails(&req, SAGE_ERR_ARGUMENT, "signing time 253402300800 is out of range");
	req.time = TEST_TIME;
	req.mode = SAGE_SIGV4_MODE_QUERY;
	sign_fails(&req, SAGE_ERR_ARGUMENT, "presigned request expiry of 0 seconds is out of range");
	req.expires = SAGE_SIGV4_MAX_EXPIRES + 1;
	sign_fails(&req, SAGE_ERR_ARGUMENT, "presigned request expiry of 604801 seconds is out of range");
}

/* No error message, detail or hint ever contains the secret or the token. */
static void
test_errors_hide_secrets(void **state)
{
	SageAwsCredentials c = {"AKID", "SECRETSECRET", "TOKENTOKEN", 0};
	SageSigV4Request req = base_request();
	SageArena  *arena = sage_arena_new(NULL);
	SageSigV4Result res;
	SageError	err;
	SageSigV4Header h[] = {{"Authorization", "SECRETSECRET"}};

	req.credentials = &c;
	req.headers = h;
	req.nheaders = 1;
	assert_int_equal(sage_sigv4_sign(&req, arena, &res, &err), -1);
	c.access_key_id = "A/B";
	assert_int_equal(sage_sigv4_sign(&req, arena, &res, &err), -1);
	assert_null(strstr(err.message, "SECRET"));
	assert_null(strstr(err.detail, "SECRET"));
	assert_null(strstr(err.message, "TOKEN"));
	c.access_key_id = "AKID";
	c.session_token = "TOKEN\r\nTOKEN";
	assert_int_equal(sage_sigv4_sign(&req, arena, &res, &err), -1);
	assert_null(strstr(err.message, "TOKEN"));
	sage_arena_free(arena);
}

/* The cache derives a key once per scope and secret, and evicts the oldest. */
static void
test_key_cache(void **state)
{
	SageSigV4KeyCache *cache = sage_sigv4_key_cache_new();
	SageArena  *arena = sage_arena_new(NULL);
	SageSigV4Request req = base_request();
	SageAwsCredentials other = test_creds;
	const char *plain;
	char		region[16];

	plain = sign_ok(arena, &req).signature;
	req.key_cache = cache;
	assert_string_equal(sign_ok(arena, &req).signature, plain);
	assert_string_equal(sign_ok(arena, &req).signature, plain);
	assert_int_equal(sage_sigv4_key_cache_derivations(cache), 1);

	/* a new day, a new secret, each derive again */
	req.time += 86400;
	sign_ok(arena, &req);
	assert_int_equal(sage_sigv4_key_cache_derivations(cache), 2);
	req.time -= 86400;
	other.secret_access_key = "another secret";
	req.credentials = &other;
	assert_string_not_equal(sign_ok(arena, &req).signature, plain);
	assert_int_equal(sage_sigv4_key_cache_derivations(cache), 3);
	req.credentials = &test_creds;
	assert_string_equal(sign_ok(arena, &req).signature, plain);
	assert_int_equal(sage_sigv4_key_cache_derivations(cache), 3);

	/* ten regions overflow eight slots; the first scope is evicted */
	for (int i = 0; i < 10; i++)
	{
		snprintf(region, sizeof(region), "region-%d", i);
		req.region = region;
		sign_ok(arena, &req);
	}
	assert_int_equal(sage_sigv4_key_cache_derivations(cache), 13);
	req.region = "us-east-1";
	assert_string_equal(sign_ok(arena, &req).signature, plain);
	assert_int_equal(sage_sigv4_key_cache_derivations(cache), 14);
	req.region = "region-9";
	sign_ok(arena, &req);
	assert_int_equal(sage_sigv4_key_cache_derivations(cache), 14);

	sage_sigv4_key_cache_free(cache);
	sage_sigv4_key_cache_free(NULL);
	sage_arena_free(arena);
}

/* The method is signed upper-case. */
static void
test_method_case(void **state)
{
	SageArena  *arena = sage_arena_new(NULL);
	SageSigV4Request req = base_request();
	const char *upper;

	req.method = "GET";
	upper = sign_ok(arena, &req).signature;
	req.method = "get";
	assert_string_equal(sign_ok(arena, &req).signature, upper);
	assert_string_equal(creq_line(arena, sign_ok(arena, &req).canonical_request, 0), "GET");
	sage_arena_free(arena);
}

/* An OpenSSL failure is reported with OpenSSL's reason, not a crash. */
static void
test_crypto_failure(void **state)
{
	SageSigV4Request req = base_request();
	SageArena  *arena = sage_arena_new(NULL);
	SageSigV4Result res;
	SageError	err;
	SageSigV4KeyCache *cache = sage_sigv4_key_cache_new();

	/* no FIPS provider is loaded, so every fetch fails for real */
	assert_int_equal(EVP_set_default_properties(NULL, "fips=yes"), 1);
	assert_int_equal(sage_sigv4_sign(&req, arena, &res, &err), -1);
	assert_string_equal(err.message, "could not compute SHA-256: unsupported");
	req.payload = SAGE_SIGV4_PAYLOAD_HASH;
	req.payload_hash = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
	assert_int_equal(sage_sigv4_sign(&req, arena, &res, &err), -1);
	assert_string_equal(err.message, "could not compute HMAC-SHA256: unsupported");
	req.key_cache = cache;
	assert_int_equal(sage_sigv4_sign(&req, arena, &res, &err), -1);
	assert_string_equal(err.message, "could not compute SHA-256: unsupported");
	assert_int_equal(err.code, SAGE_ERR_INTERNAL);
	assert_int_equal(EVP_set_default_properties(NULL, ""), 1);
	assert_int_equal(sage_sigv4_key_cache_derivations(cache), 0);
	sage_sigv4_key_cache_free(cache);
	sage_arena_free(arena);
}

/*
 * sweep_memory
 *		Signs req with every possible amount of memory left: the arena's
 *		budget allows exactly one block, and a filler allocation leaves k
 *		bytes of it free, for k = 0, 16, 32... until signing succeeds. So
 *		each allocation of the signer in turn is the one that fails, and
 *		each must fail cleanly with SAGE_ERR_MEMORY. Returns the number of
 *		failing runs.
 */
static int
sweep_memory(const SageSigV4Request *req)
{
	SageBudget	probe = {0, 0, 0};
	SageArena  *arena = sage_arena_new(&probe);
	size_t		charge;
	size_t		usable = 0;
	int			failures = 0;

	/* one block's charge, then how many bytes it hands out */
	assert_non_null(sage_alloc(arena, 1));
	charge = probe.used;
	sage_arena_free(arena);
	probe = (SageBudget)
	{
		charge, 0, 0
	};
	arena = sage_arena_new(&probe);
	while (sage_alloc(arena, 16) != NULL)
		usable += 16;
	sage_arena_free(arena);

	for (size_t k = 0; k <= usable; k += 16)
	{
		SageBudget	budget = {charge, 0, 0};
		SageSigV4Result res;
		SageError	err;
		int			rc;

		arena = sage_arena_new(&budget);
		if (k < usable)
			assert_non_null(sage_alloc(arena, usable - k));
		rc = sage_sigv4_sign(req, arena, &res, &err);
		sage_arena_free(arena);
		if (rc == 0)
			return failures;
		assert_string_equal(err.message, "memory limit exceeded");
		assert_int_equal(err.code, SAGE_ERR_MEMORY);
		failures++;
	}
	fail_msg("signing never succeeded within one arena block");
	return failures;
}

/* Every allocation of the signer reports an exhausted budget cleanly. */
static void
test_memory_limits(void **state)
{
	SageSigV4Param params[] = {{"p", "v w"}, {"acl", NULL}};
	SageSigV4Header headers[] = {{"X-A", " a  b "}, {"X-A", "c"}, {"Content-Type", "x/y"}};
	SageAwsCredentials c = test_creds;
	SageSigV4Request req = base_request();

	c.session_token = "token";
	req.credentials = &c;
	req.params = params;
	req.nparams = 2;
	req.raw_query = "q=1&r=%20";
	req.headers = headers;
	req.nheaders = 3;
	req.path = "/a/../b//c d";
	req.body = "body";
	req.body_len = 4;
	req.content_sha256_header = true;
	assert_true(sweep_memory(&req) > 10);

	req.mode = SAGE_SIGV4_MODE_QUERY;
	req.expires = 60;
	assert_true(sweep_memory(&req) > 10);
	req.session_token_unsigned = true;
	assert_true(sweep_memory(&req) > 10);

	req.service = "s3";
	req.path = "/bucket/key";
	req.mode = SAGE_SIGV4_MODE_HEADER;
	req.payload = SAGE_SIGV4_PAYLOAD_UNSIGNED;
	req.body = NULL;
	req.body_len = 0;
	assert_true(sweep_memory(&req) > 10);
}

/* ------------------------------------------------------------------ main */

/* Adds one test per case directory and mode to tests[]; returns the count. */
static int
discover_vectors(struct CMUnitTest *tests, VectorCase *cases)
{
	char		root[PATH_MAX];
	DIR		   *d;
	struct dirent *e;
	int			n = 0;

	snprintf(root, sizeof(root), "%s/sigv4/v4", data_dir());
	d = opendir(root);
	if (d == NULL)
		return 0;
	while ((e = readdir(d)) != NULL && n + 2 <= 2 * MAX_VECTOR_CASES)
	{
		char		probe[PATH_MAX + 300];
		struct stat st;

		if (e->d_name[0] == '.')
			continue;
		snprintf(probe, sizeof(probe), "%s/%s/request.txt", root, e->d_name);
		if (stat(probe, &st) != 0)
			continue;
		for (int q = 0; q < 2; q++)
		{
			VectorCase *vc = &cases[n];

			snprintf(vc->name, sizeof(vc->name), "%s/%.80s", q ? "query" : "header", e->d_name);
			snprintf(vc->dir, sizeof(vc->dir), "%s/%.200s", root, e->d_name);
			vc->query = q == 1;
			tests[n] = (struct CMUnitTest)
			{
				vc->name, test_vector, NULL, NULL, vc
			};
			n++;
		}
		vector_cases_found++;
	}
	closedir(d);
	return n;
}

int
main(void)
{
	static const struct CMUnitTest unit[] = {
		cmocka_unit_test(test_uri_encode),
		cmocka_unit_test(test_path_normalize),
		cmocka_unit_test(test_path_s3_and_encode),
		cmocka_unit_test(test_path_errors),
		cmocka_unit_test(test_path_error_detail),
		cmocka_unit_test(test_query_params),
		cmocka_unit_test(test_query_raw),
		cmocka_unit_test(test_query_errors),
		cmocka_unit_test(test_headers_canonical),
		cmocka_unit_test(test_headers_host),
		cmocka_unit_test(test_headers_errors),
		cmocka_unit_test(test_payload),
		cmocka_unit_test(test_payload_errors),
		cmocka_unit_test(test_session_token),
		cmocka_unit_test(test_presign),
		cmocka_unit_test(test_argument_errors),
		cmocka_unit_test(test_errors_hide_secrets),
		cmocka_unit_test(test_key_cache),
		cmocka_unit_test(test_method_case),
		cmocka_unit_test(test_crypto_failure),
		cmocka_unit_test(test_memory_limits),
		cmocka_unit_test(test_vector_suite_found),
	};
	static struct CMUnitTest tests[2 * MAX_VECTOR_CASES + 64];
	static VectorCase cases[2 * MAX_VECTOR_CASES];
	int			n;

	n = discover_vectors(tests, cases);
	memcpy(tests + n, unit, sizeof(unit));
	n += (int) (sizeof(unit) / sizeof(unit[0]));
	return _cmocka_run_group_tests("sigv4", tests, (size_t) n, NULL, NULL);
}
