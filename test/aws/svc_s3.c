/*-------------------------------------------------------------------------
 *
 * test/aws/svc_s3.c
 *		S3 beyond plain put/get (src/aws/s3_multipart.c and the checksum
 *		verification of sage_s3_get) against moto_server: checksums, SSE
 *		AES256 and aws:kms, gzip, multipart uploads with parallel parts,
 *		CopyObject; and against test/aws/fake_s3_faults.py what moto cannot
 *		produce: a refused part, a wrong part ETag and a late <Error> (each
 *		must abort the upload), a copy failing after its 200, and objects
 *		whose bytes do not match their checksum; puts and gets through a
 *		multi transport, many at once.
 *
 * Run by test/aws/run_service_tests.sh (test/services/with_moto.sh exports
 * SAGE_TEST_MOTO_ENDPOINT); these tests fail, never skip, without moto.
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

#include <cmocka.h>
#include <zlib.h>

#include "sage/aws.h"
#include "aws_services.h"
#include "multi_loop.h"

#define REGION "us-east-1"
#define BUCKET "sage-svc-s3"
#define OTHER_BUCKET "sage-svc-s3-other"

static const char *endpoint;
static TestService faults;
static SageCredentialProvider *creds;

/* A signed request to moto outside the client API (buckets, headers). */
static long
raw(const char *method, const char *path, SageArena *a, SageHttpResponse *resp,
	const SageHttpHeader *header)
{
	SageAwsCredentials c;
	SageHttpClient *http = sage_http_client_new(NULL, NULL);
	SageHttpRequest req = {0};
	SageError	err;
	int			rc;

	assert_int_equal(sage_aws_credentials_get(creds, a, 0, &c, &err), 0);
	req.method = method;
	req.endpoint = endpoint;
	req.path = path;
	req.credentials = &c;
	req.region = REGION;
	req.service = "s3";
	req.headers = header;
	req.nheaders = header != NULL ? 1 : 0;
	rc = sage_http_request(http, &req, a, resp, &err);
	sage_http_client_free(http);
	if (rc < 0)
		fail_msg("%s %s: %s", method, path, err.message);
	return resp->status;
}

static int
group_setup(void **state)
{
	SageCredentialOptions co;
	SageError	err;
	SageArena  *a;
	SageHttpResponse resp;

	endpoint = getenv("SAGE_TEST_MOTO_ENDPOINT");
	if (endpoint == NULL || endpoint[0] == '\0')
	{
		fprintf(stderr, "SAGE_TEST_MOTO_ENDPOINT is not set: run under test/services/with_moto.sh\n");
		return -1;
	}
	memset(&co, 0, sizeof(co));
	co.source = SAGE_CRED_SOURCE_ENV;
	creds = sage_aws_credentials_new(&co, &err);
	if (creds == NULL)
		return -1;
	a = sage_arena_new(NULL);
	if (raw("PUT", "/" BUCKET, a, &resp, NULL) != 200 ||
		raw("PUT", "/" OTHER_BUCKET, a, &resp, NULL) != 200)
		return -1;
	sage_arena_free(a);
	return service_start("../aws/start_fake_s3_faults.sh", &faults);
}

static int
group_teardown(void **state)
{
	service_stop(&faults);
	sage_aws_credentials_free(creds);
	return 0;
}

/* A client of bucket at ep. */
static SageS3Client *
client_of(const char *ep, const char *bucket)
{
	SageS3Options o;
	SageError	err;
	SageS3Client *c;

	memset(&o, 0, sizeof(o));
	o.endpoint = ep;
	o.region = REGION;
	o.bucket = bucket;
	o.credentials = creds;
	o.http.max_attempts = 2;
	o.http.retry_base_ms = 5;
	c = sage_s3_client_new(&o, &err);
	if (c == NULL)
		fail_msg("client: %s", err.message);
	return c;
}

/* A header of a HEAD (or GET: moto's HEAD has no checksums) on moto. */
static const char *
header_of(const char *method, SageArena *a, const char *key, const char *name)
{
	SageHttpResponse resp;
	char	   *path = sage_printf(a, "/%s/%s", BUCKET, key);
	SageHttpHeader mode = {"x-amz-checksum-mode", "ENABLED"};

	assert_int_equal(raw(method, path, a, &resp, &mode), 200);
	return sage_http_header(&resp, name);
}

/* Fails with the error message unless rc is want. */
#define assert_rc(call, want) do { int rc_ = (call); \
	if (rc_ != (want)) fail_msg("%s = %d: %s (%s)", #call, rc_, err.message, err.detail); \
} while (0)

/* A deterministic body: compressible when text is true. */
static char *
body_of(size_t len, bool text)
{
	char	   *b = malloc(len + 1);
	uint32_t	x = 12345;
	size_t		i;

	for (i = 0; i < len; i++)
	{
		x = x * 1103515245 + 12345;
		b[i] = text ? "abcdefgh, \n"[(x >> 16) % 11] : (char) (x >> 16);
	}
	b[len] = '\0';
	return b;
}

/* Reads key back and compares it with want. */
static void
assert_stored(SageS3Client *c, const char *key, const char *want, size_t len)
{
	SageArena  *a = sage_arena_new(NULL);
	SageError	err;
	char	   *data;
	size_t		n;

	if (sage_s3_get(c, key, 0, -1, a, &data, &n, &err) != 0)
		fail_msg("get %s: %s", key, err.message);
	assert_int_equal(n, len);
	assert_memory_equal(data, want, len);
	sage_arena_free(a);
}

/* Checksums: SHA-256 (default, echoed), MD5 (ETag), none. */
static void
test_put_checksums(void **state)
{
	SageS3Client *c = client_of(endpoint, BUCKET);
	SageS3PutOptions o;
	SageS3PutResult r;
	SageError	err;
	SageArena  *a = sage_arena_new(NULL);

	memset(&o, 0, sizeof(o));
	assert_rc(sage_s3_put_ex(c, "sum/sha", "hello", 5, &o, &r, &err), 0);
	assert_string_equal(r.etag, "\"5d41402abc4b2a76b9719d911017c592\"");
	assert_int_equal(r.parts, 0);
	assert_false(r.gzipped);
	assert_int_equal(r.stored_len, 5);
	assert_string_equal(header_of("GET", a, "sum/sha", "x-amz-checksum-sha256"),
						"LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ=");
	/* and get verifies it */
	assert_stored(c, "sum/sha", "hello", 5);
	o.checksum = SAGE_S3_CHECKSUM_MD5;
	assert_rc(sage_s3_put_ex(c, "sum/md5", "hello", 5, &o, &r, &err), 0);
	o.checksum = SAGE_S3_CHECKSUM_NONE;
	assert_rc(sage_s3_put_ex(c, "sum/none", "", 0, &o, &r, &err), 0);
	assert_stored(c, "sum/none", "", 0);
	/* If-None-Match: the second put is refused */
	o.if_none_match = true;
	assert_rc(sage_s3_put_ex(c, "sum/once", "1", 1, &o, &r, &err), 0);
	assert_rc(sage_s3_put_ex(c, "sum/once", "2", 1, &o, &r, &err), 1);
	assert_stored(c, "sum/once", "1", 1);
	sage_arena_free(a);
	sage_s3_client_free(c);
}

/* SSE: AES256 and aws:kms with a key id, on put, multipart and copy. */
static void
test_sse(void **state)
{
	SageS3Client *c = client_of(endpoint, BUCKET);
	SageS3PutOptions o;
	SageError	err;
	SageArena  *a = sage_arena_new(NULL);
	char	   *big = body_of(6 << 20, false);

	memset(&o, 0, sizeof(o));
	o.sse = SAGE_S3_SSE_AES256;
	assert_rc(sage_s3_put_ex(c, "sse/aes", "x", 1, &o, NULL, &err), 0);
	assert_string_equal(header_of("HEAD", a, "sse/aes", "x-amz-server-side-encryption"), "AES256");
	o.sse = SAGE_S3_SSE_KMS;
	o.kms_key_id = "alias/sage-test";
	assert_rc(sage_s3_put_ex(c, "sse/kms", "x", 1, &o, NULL, &err), 0);
	assert_string_equal(header_of("HEAD", a, "sse/kms", "x-amz-server-side-encryption"), "aws:kms");
	assert_string_equal(header_of("HEAD", a, "sse/kms", "x-amz-server-side-encryption-aws-kms-key-id"),
						"alias/sage-test");
	/* multipart: the encryption is asked for once, at creation */
	o.multipart_threshold = 5 << 20;
	assert_rc(sage_s3_put_ex(c, "sse/kms-mp", big, 6 << 20, &o, NULL, &err), 0);
	assert_string_equal(header_of("HEAD", a, "sse/kms-mp", "x-amz-server-side-encryption"), "aws:kms");
	/* a copy re-encrypts as asked */
	o.sse = SAGE_S3_SSE_AES256;
	assert_rc(sage_s3_copy(c, NULL, "sse/kms", "sse/copied", &o, NULL, &err), 0);
	assert_string_equal(header_of("HEAD", a, "sse/copied", "x-amz-server-side-encryption"), "AES256");
	/* a header cannot be smuggled through the key id */
	o.sse = SAGE_S3_SSE_KMS;
	o.kms_key_id = "k\r\nx-evil: 1";
	assert_rc(sage_s3_put_ex(c, "sse/bad", "x", 1, &o, NULL, &err), -1);
	assert_int_equal(err.code, SAGE_ERR_ARGUMENT);
	free(big);
	sage_arena_free(a);
	sage_s3_client_free(c);
}

/* gzip: large bodies compressed with Content-Encoding, small ones not. */
static void
test_gzip(void **state)
{
	SageS3Client *c = client_of(endpoint, BUCKET);
	SageS3PutOptions o;
	SageS3PutResult r;
	SageError	err;
	SageArena  *a = sage_arena_new(NULL);
	size_t		len = 300 * 1024;
	char	   *text = body_of(len, true);
	char	   *data;
	size_t		n;
	char	   *plain = malloc(len);
	uLongf		plen = len;
	z_stream	zs;

	memset(&o, 0, sizeof(o));
	o.gzip = true;
	o.content_type = "text/csv";
	assert_rc(sage_s3_put_ex(c, "gz/big.csv", text, len, &o, &r, &err), 0);
	assert_true(r.gzipped);
	assert_true(r.stored_len < len / 2);
	assert_string_equal(header_of("HEAD", a, "gz/big.csv", "content-encoding"), "gzip");
	assert_string_equal(header_of("HEAD", a, "gz/big.csv", "content-type"), "text/csv");
	/* the stored bytes are a gzip stream of the text */
	assert_int_equal(sage_s3_get(c, "gz/big.csv", 0, -1, a, &data, &n, &err), 0);
	assert_int_equal(n, r.stored_len);
	memset(&zs, 0, sizeof(zs));
	assert_int_equal(inflateInit2(&zs, 15 + 16), Z_OK);
	zs.next_in = (Bytef *) data;
	zs.avail_in = (uInt) n;
	zs.next_out = (Bytef *) plain;
	zs.avail_out = (uInt) plen;
	assert_int_equal(inflate(&zs, Z_FINISH), Z_STREAM_END);
	assert_int_equal(zs.total_out, len);
	inflateEnd(&zs);
	assert_memory_equal(plain, text, len);
	/* under gzip_min: stored as is */
	assert_rc(sage_s3_put_ex(c, "gz/small.csv", text, 1000, &o, &r, &err), 0);
	assert_false(r.gzipped);
	assert_null(header_of("HEAD", a, "gz/small.csv", "content-encoding"));
	free(plain);
	free(text);
	sage_arena_free(a);
	sage_s3_client_free(c);
}

/* Multipart: 4 parts in parallel, read back whole; gzip + multipart too. */
static void
test_multipart(void **state)
{
	SageS3Client *c = client_of(endpoint, BUCKET);
	SageS3PutOptions o;
	SageS3PutResult r;
	SageError	err;
	size_t		len = (17 << 20) + 12345;
	char	   *big = body_of(len, false);
	char	   *text = body_of(24 << 20, true);
	SageArena  *a = sage_arena_new(NULL);

	memset(&o, 0, sizeof(o));
	o.multipart_threshold = 8 << 20;
	o.part_size = 5 << 20;
	o.parallel = 3;
	assert_rc(sage_s3_put_ex(c, "mp/big.bin", big, len, &o, &r, &err), 0);
	assert_int_equal(r.parts, 4);
	assert_non_null(strstr(r.etag, "-4\""));
	assert_stored(c, "mp/big.bin", big, len);
	/* the threshold is about stored bytes: 24 MB of text gzips below it */
	o.gzip = true;
	assert_rc(sage_s3_put_ex(c, "mp/text.gz", text, 24 << 20, &o, &r, &err), 0);
	assert_true(r.gzipped);
	assert_true(r.stored_len < (12 << 20));
	assert_int_equal(r.parts, (int) ((r.stored_len + (5 << 20) - 1) / (5 << 20)));
	assert_string_equal(header_of("HEAD", a, "mp/text.gz", "content-encoding"), "gzip");
	/* a part size under S3's minimum is raised to 5 MB */
	o.gzip = false;
	o.part_size = 1024;
	o.multipart_threshold = 6 << 20;
	assert_rc(sage_s3_put_ex(c, "mp/min.bin", big, 7 << 20, &o, &r, &err), 0);
	assert_int_equal(r.parts, 2);
	assert_stored(c, "mp/min.bin", big, 7 << 20);
	free(big);
	free(text);
	sage_arena_free(a);
	sage_s3_client_free(c);
}

/* CopyObject: encoded source keys, other buckets, missing sources. */
static void
test_copy(void **state)
{
	SageS3Client *c = client_of(endpoint, BUCKET);
	SageS3Client *other = client_of(endpoint, OTHER_BUCKET);
	SageS3PutOptions o;
	SageS3PutResult r;
	SageError	err;
	SageArena  *a = sage_arena_new(NULL);
	const char *odd = "copy/dir a/ü+b%c&d=e?.csv";

	assert_rc(sage_s3_put(c, odd, "payload", 7, false, NULL, &err), 0);
	assert_rc(sage_s3_copy(c, NULL, odd, "copy/plain.csv", NULL, &r, &err), 0);
	assert_string_equal(r.etag, "\"321c3cf486ed509164edec1e1981fec8\"");
	assert_stored(c, "copy/plain.csv", "payload", 7);
	/* from another bucket, with a new content type */
	memset(&o, 0, sizeof(o));
	o.content_type = "text/plain";
	assert_rc(sage_s3_copy(other, BUCKET, odd, "from-main.txt", &o, &r, &err), 0);
	assert_stored(other, "from-main.txt", "payload", 7);
	/* missing source: a result */
	assert_rc(sage_s3_copy(c, NULL, "copy/none", "copy/x", NULL, &r, &err), 1);
	/* missing source bucket: an error */
	assert_rc(sage_s3_copy(c, "sage-no-such-bucket", "k", "copy/x", NULL, &r, &err), -1);
	assert_non_null(strstr(err.message, "NoSuchBucket"));
	assert_rc(sage_s3_copy(c, "bad/bucket", "k", "copy/x", NULL, &r, &err), -1);
	assert_int_equal(err.code, SAGE_ERR_ARGUMENT);
	sage_arena_free(a);
	sage_s3_client_free(other);
	sage_s3_client_free(c);
}

/* The keys the fault server saw aborted. */
static bool
aborted(const char *key)
{
	SageHttpClient *h = sage_http_client_new(NULL, NULL);
	SageArena  *a = sage_arena_new(NULL);
	SageHttpRequest req = {0};
	SageHttpResponse resp;
	SageError	err;
	char		want[128];
	bool		found;

	req.method = "GET";
	req.endpoint = faults.endpoint;
	req.path = "/__aborts";
	assert_int_equal(sage_http_request(h, &req, a, &resp, &err), 0);
	snprintf(want, sizeof(want), "\"%s\"", key);
	found = strstr(resp.body, want) != NULL;
	sage_http_client_free(h);
	sage_arena_free(a);
	return found;
}

/* Every failure after CreateMultipartUpload aborts the upload. */
static void
test_multipart_failures(void **state)
{
	SageS3Client *c = client_of(faults.endpoint, "b");
	SageS3PutOptions o;
	SageS3PutResult r;
	SageError	err;
	size_t		len = 11 << 20;
	char	   *big = body_of(len, false);

	memset(&o, 0, sizeof(o));
	o.multipart_threshold = 5 << 20;
	o.part_size = 5 << 20;
	/* the fake's final ETag is not the md5 of md5s: only the parts are checked here */
	o.sse = SAGE_S3_SSE_DEFAULT;
	assert_rc(sage_s3_put_ex(c, "mp-fail", big, len, &o, &r, &err), -1);
	assert_string_equal(err.message, "could not upload part 2 of S3 object \"s3://b/mp-fail\": InvalidArgument");
	assert_true(aborted("mp-fail"));
	assert_rc(sage_s3_put_ex(c, "mp-etag", big, len, &o, &r, &err), -1);
	assert_non_null(strstr(err.message, "was not stored intact: the ETag of part 1 does not match"));
	assert_true(aborted("mp-etag"));
	assert_rc(sage_s3_put_ex(c, "mp-complete-error", big, len, &o, &r, &err), -1);
	assert_string_equal(err.message, "could not complete the upload of S3 object \"s3://b/mp-complete-error\": InternalError");
	assert_non_null(strstr(err.detail, "S3 answered HTTP 200: We encountered an internal error."));
	assert_true(aborted("mp-complete-error"));
	/* parts fine but the final ETag is not md5-of-md5s-3: caught, aborted */
	assert_rc(sage_s3_put_ex(c, "mp-ok", big, len, &o, &r, &err), -1);
	assert_non_null(strstr(err.message, "the multipart ETag does not match"));
	assert_true(aborted("mp-ok"));
	/* without checksums the fake's ETag is taken as is */
	o.checksum = SAGE_S3_CHECKSUM_NONE;
	assert_rc(sage_s3_put_ex(c, "mp-ok2", big, len, &o, &r, &err), 0);
	assert_false(aborted("mp-ok2"));
	assert_int_equal(r.parts, 3);
	free(big);
	sage_s3_client_free(c);
}

/* A late <Error> on copy, and objects not matching their checksums. */
static void
test_fault_answers(void **state)
{
	SageS3Client *c = client_of(faults.endpoint, "b");
	SageArena  *a = sage_arena_new(NULL);
	SageError	err;
	char	   *data;
	size_t		n;

	assert_rc(sage_s3_copy(c, NULL, "src", "copy-error", NULL, NULL, &err), -1);
	assert_string_equal(err.message, "could not copy to S3 object \"s3://b/copy-error\": InternalError");
	assert_int_equal(sage_s3_get(c, "badsum", 0, -1, a, &data, &n, &err), -1);
	assert_string_equal(err.message, "S3 object \"s3://b/badsum\" does not match its SHA-256 checksum");
	assert_int_equal(sage_s3_get(c, "goodcrc", 0, -1, a, &data, &n, &err), 0);
	assert_string_equal(data, "hello");
	assert_int_equal(sage_s3_get(c, "badcrc", 0, -1, a, &data, &n, &err), -1);
	assert_string_equal(err.message, "S3 object \"s3://b/badcrc\" does not match its CRC32 checksum");
	/* a range is not the object: not checked */
	assert_int_equal(sage_s3_get(c, "badsum", 1, 2, a, &data, &n, &err), 0);
	sage_arena_free(a);
	sage_s3_client_free(c);
}

/* What a multi put or get answered. */
typedef struct MultiAnswer
{
	int			calls;			/* callbacks: must end at 1 */
	int			rc;
	char		data[64];		/* a get's bytes */
	size_t		len;
	SageError	err;
} MultiAnswer;

static void
multi_put_seen(void *arg, int rc, const SageError *err)
{
	MultiAnswer *m = (MultiAnswer *) arg;

	m->calls++;
	m->rc = rc;
	if (rc < 0)
		m->err = *err;
}

static void
multi_get_seen(void *arg, int rc, const char *data, size_t len, const SageError *err)
{
	MultiAnswer *m = (MultiAnswer *) arg;

	m->calls++;
	m->rc = rc;
	m->len = len;
	if (rc == 0)
		snprintf(m->data, sizeof(m->data), "%.*s", (int) len, data);
	if (rc < 0)
		m->err = *err;
}

/* 40 puts, then 40 gets, a missing key and a missing bucket, all at once. */
static void
test_multi_put_get(void **state)
{
	SageS3Client *c = client_of(endpoint, BUCKET);
	SageS3Client *nob = client_of(endpoint, "sage-svc-no-such-bucket");
	SageHttpOptions o;
	SageHttpMulti *m;
	MultiAnswer put[40];
	MultiAnswer get[42];
	SageError	err;
	char		key[64];
	char		body[64];
	char		longkey[1100];
	int			i;

	memset(&o, 0, sizeof(o));
	o.max_attempts = 2;
	o.retry_base_ms = 5;
	m = sage_http_multi_new(&o, 16, &err);
	assert_non_null(m);
	memset(put, 0, sizeof(put));
	memset(get, 0, sizeof(get));
	for (i = 0; i < 40; i++)
	{
		snprintf(key, sizeof(key), "multi/obj-%02d", i);
		snprintf(body, sizeof(body), "body of object %d", i);
		/* 16 run at once: add as room frees up */
		while (sage_s3_put_multi(c, m, key, body, strlen(body), "text/plain",
								 multi_put_seen, &put[i], &err) != 0)
		{
			assert_int_equal(err.code, SAGE_ERR_LIMIT);
			assert_int_equal(loop_run(m, 30000, NULL), 0);
		}
	}
	assert_int_equal(loop_run(m, 30000, NULL), 0);
	for (i = 0; i < 40; i++)
	{
		if (put[i].calls != 1 || put[i].rc != 0)
			fail_msg("put %d: %d calls, rc %d: %s", i, put[i].calls, put[i].rc,
					 put[i].err.message);
	}
	sage_http_multi_free(m);

	m = sage_http_multi_new(&o, 64, &err);
	for (i = 0; i < 40; i++)
	{
		snprintf(key, sizeof(key), "multi/obj-%02d", i);
		assert_rc(sage_s3_get_multi(c, m, key, multi_get_seen, &get[i], &err), 0);
	}
	assert_rc(sage_s3_get_multi(c, m, "multi/none", multi_get_seen, &get[40], &err), 0);
	assert_rc(sage_s3_get_multi(nob, m, "multi/obj-00", multi_get_seen, &get[41], &err), 0);
	memset(longkey, 'k', sizeof(longkey) - 1);
	longkey[sizeof(longkey) - 1] = '\0';
	assert_rc(sage_s3_get_multi(c, m, longkey, multi_get_seen, &get[0], &err), -1);
	assert_int_equal(err.code, SAGE_ERR_ARGUMENT);
	assert_int_equal(sage_http_multi_inflight(m), 42);
	assert_int_equal(loop_run(m, 30000, NULL), 0);
	for (i = 0; i < 40; i++)
	{
		snprintf(body, sizeof(body), "body of object %d", i);
		if (get[i].calls != 1 || get[i].rc != 0)
			fail_msg("get %d: %d calls, rc %d: %s", i, get[i].calls, get[i].rc,
					 get[i].err.message);
		assert_string_equal(get[i].data, body);
		assert_int_equal(get[i].len, strlen(body));
	}
	assert_int_equal(get[40].calls, 1);
	assert_int_equal(get[40].rc, 1);
	assert_int_equal(get[41].calls, 1);
	assert_int_equal(get[41].rc, -1);
	assert_non_null(strstr(get[41].err.message, "NoSuchBucket"));

	sage_http_multi_free(m);
	sage_s3_client_free(nob);
	sage_s3_client_free(c);
}

/* Checksums of a multi get: a mismatch is an error, as for sage_s3_get. */
static void
test_multi_get_checksums(void **state)
{
	SageS3Client *c = client_of(faults.endpoint, "b");
	SageHttpOptions o;
	SageHttpMulti *m;
	MultiAnswer get[2];
	SageError	err;

	memset(&o, 0, sizeof(o));
	m = sage_http_multi_new(&o, 4, &err);
	assert_non_null(m);
	memset(get, 0, sizeof(get));
	assert_rc(sage_s3_get_multi(c, m, "badsum", multi_get_seen, &get[0], &err), 0);
	assert_rc(sage_s3_get_multi(c, m, "goodcrc", multi_get_seen, &get[1], &err), 0);
	assert_int_equal(loop_run(m, 30000, NULL), 0);
	assert_int_equal(get[0].rc, -1);
	assert_string_equal(get[0].err.message,
						"S3 object \"s3://b/badsum\" does not match its SHA-256 checksum");
	assert_int_equal(get[1].rc, 0);
	assert_string_equal(get[1].data, "hello");
	sage_http_multi_free(m);
	sage_s3_client_free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_put_checksums),
		cmocka_unit_test(test_sse),
		cmocka_unit_test(test_gzip),
		cmocka_unit_test(test_multipart),
		cmocka_unit_test(test_copy),
		cmocka_unit_test(test_multipart_failures),
		cmocka_unit_test(test_fault_answers),
		cmocka_unit_test(test_multi_put_get),
		cmocka_unit_test(test_multi_get_checksums),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
