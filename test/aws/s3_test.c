/*-------------------------------------------------------------------------
 *
 * test/aws/s3_test.c
 *		Tests of src/aws/s3.c against moto_server, started by the group
 *		setup on 127.0.0.1 (test/services/start_moto.sh) and stopped by the
 *		teardown. Skipped only when SAGE_TEST_SKIP_SERVICES=1.
 *
 * The parts of s3.c that moto cannot be made to produce (a malformed or
 * hostile listing) are fed to the client by the scripted HTTP server.
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

#include "sage/sigv4.h"
#include "aws_services.h"

#define BUCKET "sage-test-bucket"

static TestService moto;
static TestService scripted;
static SageCredentialProvider *creds;

/* Creates the test bucket with a signed PUT (not part of the client API). */
static int
create_bucket(const char *bucket)
{
	SageAwsCredentials c = {"AKIDTEST", "secret", NULL, 0};
	SageHttpClient *http = sage_http_client_new(NULL, NULL);
	SageArena  *arena = sage_arena_new(NULL);
	SageHttpRequest req = {0};
	SageHttpResponse resp;
	SageError	err;
	char		path[128];
	int			rc;

	snprintf(path, sizeof(path), "/%s", bucket);
	req.method = "PUT";
	req.endpoint = moto.endpoint;
	req.path = path;
	req.credentials = &c;
	req.region = "us-east-1";
	req.service = "s3";
	rc = sage_http_request(http, &req, arena, &resp, &err);
	if (rc == 0 && resp.status != 200)
		rc = -1;
	if (rc < 0)
		fprintf(stderr, "could not create bucket: %s %ld\n", err.message, resp.status);
	sage_arena_free(arena);
	sage_http_client_free(http);
	return rc;
}

static int
group_setup(void **state)
{
	SageCredentialOptions o = {0};
	SageError	err;

	if (services_skipped())
		return 0;
	if (service_start("start_moto.sh", &moto) < 0 ||
		service_start("start_scripted_http.sh", &scripted) < 0)
		return -1;
	o.source = SAGE_CRED_SOURCE_EXPLICIT;
	o.access_key_id = "AKIDTEST";
	o.secret_access_key = "secret";
	creds = sage_aws_credentials_new(&o, &err);
	if (creds == NULL)
		return -1;
	return create_bucket(BUCKET);
}

static int
group_teardown(void **state)
{
	service_stop(&moto);
	service_stop(&scripted);
	sage_aws_credentials_free(creds);
	return 0;
}

/* A path-style client on moto. */
static SageS3Client *
new_client(const char *bucket, int page_size)
{
	SageS3Options o = {0};
	SageError	err;
	SageS3Client *c;

	if (services_skipped())
		skip();
	o.endpoint = moto.endpoint;
	o.region = "us-east-1";
	o.bucket = bucket;
	o.path_style = true;
	o.credentials = creds;
	o.list_page_size = page_size;
	c = sage_s3_client_new(&o, &err);
	if (c == NULL)
		fail_msg("%s", err.message);
	return c;
}

/* Put, get, head and delete round trip, with keys S3 users really have. */
static void
test_put_get_head_delete(void **state)
{
	static const char *const keys[] = {
		"executions/0001/attempt-1/report.json",
		"dir with space/ünïcode+plus=eq&amp;(1).csv",
		"odd/%percent~tilde!*'",
	};
	SageS3Client *c = new_client(BUCKET, 0);
	SageArena  *arena = sage_arena_new(NULL);
	SageError	err;

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
	{
		char	   *data;
		size_t		len;
		SageS3Object info;
		char		body[64];

		snprintf(body, sizeof(body), "content of object %zu", i);
		assert_int_equal(sage_s3_put(c, keys[i], body, strlen(body), false,
									 "text/plain", &err), 0);
		assert_int_equal(sage_s3_get(c, keys[i], 0, -1, arena, &data, &len, &err), 0);
		assert_int_equal(len, strlen(body));
		assert_string_equal(data, body);
		assert_int_equal(sage_s3_head(c, keys[i], arena, &info, &err), 0);
		assert_string_equal(info.key, keys[i]);
		assert_int_equal(info.size, strlen(body));
		assert_non_null(info.etag);
		assert_non_null(info.last_modified);
		assert_int_equal(sage_s3_delete(c, keys[i], &err), 0);
		assert_int_equal(sage_s3_get(c, keys[i], 0, -1, arena, &data, &len, &err), 1);
		assert_null(data);
		assert_int_equal(sage_s3_head(c, keys[i], arena, &info, &err), 1);
		/* deleting again is not an error */
		assert_int_equal(sage_s3_delete(c, keys[i], &err), 0);
	}
	sage_arena_free(arena);
	sage_s3_client_free(c);
}

/* Empty and binary objects, and one over a megabyte. */
static void
test_binary_and_large(void **state)
{
	SageS3Client *c = new_client(BUCKET, 0);
	SageArena  *arena = sage_arena_new(NULL);
	SageError	err;
	size_t		big = 3 * 1024 * 1024 + 17;
	char	   *buf = malloc(big);
	char	   *data;
	size_t		len;

	for (size_t i = 0; i < big; i++)
		buf[i] = (char) (i * 7 + (i >> 9));
	assert_int_equal(sage_s3_put(c, "big.bin", buf, big, false, NULL, &err), 0);
	assert_int_equal(sage_s3_get(c, "big.bin", 0, -1, arena, &data, &len, &err), 0);
	assert_int_equal(len, big);
	assert_memory_equal(data, buf, big);
	assert_int_equal(sage_s3_put(c, "empty", NULL, 0, false, NULL, &err), 0);
	assert_int_equal(sage_s3_get(c, "empty", 0, -1, arena, &data, &len, &err), 0);
	assert_int_equal(len, 0);
	assert_string_equal(data, "");
	free(buf);
	sage_arena_free(arena);
	sage_s3_client_free(c);
}

/* Byte ranges: a middle slice, to the end, past the end, empty. */
static void
test_ranged_get(void **state)
{
	SageS3Client *c = new_client(BUCKET, 0);
	SageArena  *arena = sage_arena_new(NULL);
	SageError	err;
	char	   *data;
	size_t		len;

	assert_int_equal(sage_s3_put(c, "range.txt", "0123456789", 10, false, NULL, &err), 0);
	assert_int_equal(sage_s3_get(c, "range.txt", 2, 3, arena, &data, &len, &err), 0);
	assert_string_equal(data, "234");
	assert_int_equal(sage_s3_get(c, "range.txt", 7, -1, arena, &data, &len, &err), 0);
	assert_string_equal(data, "789");
	assert_int_equal(sage_s3_get(c, "range.txt", 8, 100, arena, &data, &len, &err), 0);
	assert_string_equal(data, "89");
	assert_int_equal(sage_s3_get(c, "range.txt", 20, 5, arena, &data, &len, &err), 0);
	assert_int_equal(len, 0);
	assert_int_equal(sage_s3_get(c, "range.txt", 3, 0, arena, &data, &len, &err), 0);
	assert_int_equal(len, 0);
	sage_arena_free(arena);
	sage_s3_client_free(c);
}

/* If-None-Match: * never overwrites: the second put reports 1. */
static void
test_put_if_none_match(void **state)
{
	SageS3Client *c = new_client(BUCKET, 0);
	SageArena  *arena = sage_arena_new(NULL);
	SageError	err;
	char	   *data;
	size_t		len;

	assert_int_equal(sage_s3_put(c, "once", "first", 5, true, NULL, &err), 0);
	assert_int_equal(sage_s3_put(c, "once", "second", 6, true, NULL, &err), 1);
	assert_int_equal(sage_s3_get(c, "once", 0, -1, arena, &data, &len, &err), 0);
	assert_string_equal(data, "first");
	/* an unconditional put does overwrite */
	assert_int_equal(sage_s3_put(c, "once", "third", 5, false, NULL, &err), 0);
	assert_int_equal(sage_s3_get(c, "once", 0, -1, arena, &data, &len, &err), 0);
	assert_string_equal(data, "third");
	sage_arena_free(arena);
	sage_s3_client_free(c);
}

/* Listing follows continuation tokens, in key order, under a prefix, up to max. */
static void
test_list_paginated(void **state)
{
	SageS3Client *c = new_client(BUCKET, 7);
	SageArena  *arena = sage_arena_new(NULL);
	SageError	err;
	SageS3Object *objs;
	size_t		n;

	for (int i = 0; i < 25; i++)
	{
		char		key[64];

		snprintf(key, sizeof(key), "list/item-%02d", i);
		assert_int_equal(sage_s3_put(c, key, key, strlen(key), false, NULL, &err), 0);
	}
	assert_int_equal(sage_s3_put(c, "other/x", "x", 1, false, NULL, &err), 0);
	assert_int_equal(sage_s3_list(c, "list/", 0, arena, &objs, &n, &err), 0);
	assert_int_equal(n, 25);
	for (size_t i = 0; i < n; i++)
	{
		char		key[64];

		snprintf(key, sizeof(key), "list/item-%02zu", i);
		assert_string_equal(objs[i].key, key);
		assert_int_equal(objs[i].size, strlen(key));
		assert_non_null(objs[i].etag);
	}
	assert_int_equal(sage_s3_list(c, "list/", 10, arena, &objs, &n, &err), 0);
	assert_int_equal(n, 10);
	assert_int_equal(sage_s3_list(c, "nothing-here/", 0, arena, &objs, &n, &err), 0);
	assert_int_equal(n, 0);
	assert_int_equal(sage_s3_list(c, NULL, 0, arena, &objs, &n, &err), 0);
	assert_true(n >= 26);
	sage_arena_free(arena);
	sage_s3_client_free(c);
}

/* A missing bucket is an error with S3's code, not "no such key". */
static void
test_missing_bucket(void **state)
{
	SageS3Client *c = new_client("no-such-bucket", 0);
	SageArena  *arena = sage_arena_new(NULL);
	SageError	err;
	char	   *data;
	size_t		len;
	SageS3Object *objs;
	size_t		n;

	assert_int_equal(sage_s3_get(c, "k", 0, -1, arena, &data, &len, &err), -1);
	assert_int_equal(err.code, SAGE_AWS_ERR_SERVICE);
	assert_string_equal(err.message,
						"could not read S3 object \"s3://no-such-bucket/k\": NoSuchBucket");
	assert_true(strncmp(err.detail, "S3 answered HTTP 404: ", 22) == 0);
	assert_int_equal(sage_s3_put(c, "k", "x", 1, false, NULL, &err), -1);
	assert_string_equal(err.message,
						"could not write S3 object \"s3://no-such-bucket/k\": NoSuchBucket");
	assert_int_equal(sage_s3_list(c, "p/", 0, arena, &objs, &n, &err), -1);
	assert_string_equal(err.message,
						"could not list S3 object \"s3://no-such-bucket/p/\": NoSuchBucket");
	sage_arena_free(arena);
	sage_s3_client_free(c);
}

static void
test_argument_errors(void **state)
{
	SageS3Options o = {0};
	SageError	err;
	SageS3Client *c;
	char		longkey[1100];

	o.region = "us-east-1";
	o.bucket = BUCKET;
	assert_null(sage_s3_client_new(&o, &err));
	assert_string_equal(err.message, "S3 client needs a region, a bucket and credentials");
	o.credentials = (SageCredentialProvider *) &o;	/* never dereferenced */
	o.bucket = "bad/bucket";
	assert_null(sage_s3_client_new(&o, &err));
	assert_string_equal(err.message, "invalid S3 bucket name \"bad/bucket\"");
	if (services_skipped())
		skip();
	c = new_client(BUCKET, 0);
	assert_int_equal(sage_s3_put(c, "", "x", 1, false, NULL, &err), -1);
	assert_string_equal(err.message, "invalid S3 key of 0 bytes");
	memset(longkey, 'k', sizeof(longkey) - 1);
	longkey[sizeof(longkey) - 1] = '\0';
	assert_int_equal(sage_s3_delete(c, longkey, &err), -1);
	assert_string_equal(err.message, "invalid S3 key of 1099 bytes");
	assert_string_equal(err.detail, "An S3 key has 1 to 1024 bytes.");
	sage_s3_client_free(c);
}

/* Hostile or broken listings from a scripted server are refused cleanly. */
static void
test_bad_listing(void **state)
{
	SageS3Options o = {0};
	SageError	err;
	SageS3Client *c;
	SageArena  *arena = sage_arena_new(NULL);
	SageS3Object *objs;
	size_t		n;

	if (services_skipped())
		skip();
	o.endpoint = scripted.endpoint;
	o.region = "us-east-1";
	/* the echo server answers 200 with JSON: not a listing */
	o.bucket = "echo";
	o.path_style = true;
	o.credentials = creds;
	c = sage_s3_client_new(&o, &err);
	assert_int_equal(sage_s3_list(c, NULL, 0, arena, &objs, &n, &err), -1);
	assert_string_equal(err.message,
						"could not parse the S3 object listing: not well-formed (invalid token)");
	sage_s3_client_free(c);
	o.bucket = "xml-doctype";
	c = sage_s3_client_new(&o, &err);
	assert_int_equal(sage_s3_list(c, NULL, 0, arena, &objs, &n, &err), -1);
	assert_string_equal(err.message,
						"could not parse the S3 object listing: a DOCTYPE is not allowed");
	sage_s3_client_free(c);
	o.bucket = "xml-deep";
	c = sage_s3_client_new(&o, &err);
	assert_int_equal(sage_s3_list(c, NULL, 0, arena, &objs, &n, &err), -1);
	assert_string_equal(err.message,
						"could not parse the S3 object listing: elements are nested too deeply");
	sage_s3_client_free(c);
	o.bucket = "xml-notoken";
	c = sage_s3_client_new(&o, &err);
	assert_int_equal(sage_s3_list(c, NULL, 0, arena, &objs, &n, &err), -1);
	assert_string_equal(err.message,
						"S3 object listing is truncated but has no continuation token");
	sage_s3_client_free(c);
	sage_arena_free(arena);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_put_get_head_delete),
		cmocka_unit_test(test_binary_and_large),
		cmocka_unit_test(test_ranged_get),
		cmocka_unit_test(test_put_if_none_match),
		cmocka_unit_test(test_list_paginated),
		cmocka_unit_test(test_missing_bucket),
		cmocka_unit_test(test_argument_errors),
		cmocka_unit_test(test_bad_listing),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
