/*-------------------------------------------------------------------------
 *
 * test/aws/svc_cloudwatch.c
 *		CloudWatch PutMetricData (batched) against moto_server, checked
 *		by reading the metrics back with ListMetrics and
 *		GetMetricStatistics. Run by test/aws/run_service_tests.sh under
 *		test/services/with_moto.sh, which exports SAGE_TEST_MOTO_ENDPOINT;
 *		without it the tests FAIL.
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
#include <math.h>
#include <time.h>

#include <cmocka.h>

#include "sage/cloudwatch.h"
#include "sage/sigv4.h"

#define REGION "us-east-1"

static const char *endpoint;
static SageCredentialProvider *creds;
static char ns[64];

/* Counts the requests a client sends. */
static void
count_log(void *arg, const char *line)
{
	if (strncmp(line, "> POST ", 7) == 0)
		(*(int *) arg)++;
}

static int
group_setup(void **state)
{
	SageCredentialOptions co;
	SageError	err;

	endpoint = getenv("SAGE_TEST_MOTO_ENDPOINT");
	if (endpoint == NULL || endpoint[0] == '\0')
	{
		fprintf(stderr, "SAGE_TEST_MOTO_ENDPOINT is not set: run under test/services/with_moto.sh\n");
		return -1;
	}
	memset(&co, 0, sizeof(co));
	co.source = SAGE_CRED_SOURCE_ENV;
	creds = sage_aws_credentials_new(&co, &err);
	snprintf(ns, sizeof(ns), "Sage/Test%ld", (long) time(NULL));
	return creds != NULL ? 0 : -1;
}

static int
group_teardown(void **state)
{
	sage_aws_credentials_free(creds);
	return 0;
}

static SageCloudWatchClient *
client_new(int per_request, size_t max_bytes, int *requests)
{
	SageCloudWatchOptions o;
	SageError	err;
	SageCloudWatchClient *c;

	memset(&o, 0, sizeof(o));
	o.endpoint = endpoint;
	o.region = REGION;
	o.credentials = creds;
	o.max_per_request = per_request;
	o.max_request_bytes = max_bytes;
	o.http.max_attempts = 2;
	if (requests != NULL)
	{
		o.http.log = count_log;
		o.http.callback_arg = requests;
	}
	c = sage_cloudwatch_client_new(&o, &err);
	if (c == NULL)
		fail_msg("client: %s", err.message);
	return c;
}

/* A signed query-protocol call to CloudWatch; returns the XML body. */
static char *
cw_query(SageArena *a, const char *form)
{
	SageHttpOptions ho;
	SageHttpClient *h;
	SageHttpRequest req = {0};
	SageHttpResponse resp;
	SageHttpHeader hdr = {"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"};
	SageAwsCredentials cr;
	SageError	err;

	memset(&ho, 0, sizeof(ho));
	h = sage_http_client_new(&ho, &err);
	assert_non_null(h);
	assert_int_equal(sage_aws_credentials_get(creds, a, time(NULL), &cr, &err), 0);
	req.method = "POST";
	req.endpoint = endpoint;
	req.path = "/";
	req.headers = &hdr;
	req.nheaders = 1;
	req.body = form;
	req.body_len = strlen(form);
	req.credentials = &cr;
	req.region = REGION;
	req.service = "monitoring";
	req.what = "CloudWatch query";
	if (sage_http_request(h, &req, a, &resp, &err) < 0 || resp.status != 200)
		fail_msg("query failed: %s %.300s", err.message, resp.body ? resp.body : "");
	sage_http_client_free(h);
	return resp.body;
}

/* Occurrences of needle in haystack. */
static int
count_of(const char *hay, const char *needle)
{
	int			n = 0;

	while ((hay = strstr(hay, needle)) != NULL)
	{
		n++;
		hay += strlen(needle);
	}
	return n;
}

/* 45 datums in batches of 20: 3 requests, all stored. */
static void
test_put_batched(void **state)
{
	int			requests = 0;
	int			made = 0;
	SageCloudWatchClient *c = client_new(20, 0, &requests);
	SageArena  *a = sage_arena_new(NULL);
	SageMetricDatum d[45];
	SageMetricDimension dims[2] = {{"Function", "sage-file-processor"}, {"Where", "a b&c=d/é"}};
	SageError	err;
	char	   *xml;
	int			i;
	int64_t		now_ms = (int64_t) time(NULL) * 1000;

	memset(d, 0, sizeof(d));
	for (i = 0; i < 45; i++)
	{
		d[i].name = sage_printf(a, "Metric%02d", i);
		d[i].unit = i % 3 == 0 ? "Count" : i % 3 == 1 ? "Milliseconds" : NULL;
		d[i].value = i + 0.5;
		d[i].timestamp_ms = now_ms - 1000 * i;
		d[i].dims = dims;
		d[i].ndims = i % 2 == 0 ? 2 : 1;
		d[i].storage_resolution = i % 4 == 0 ? 1 : 0;
	}
	sage_error_clear(&err);
	if (sage_cloudwatch_put_metrics(c, ns, d, 45, &made, &err) < 0)
		fail_msg("put: %s %s", err.message, err.detail);
	assert_int_equal(made, 3);
	assert_int_equal(requests, 3);
	xml = cw_query(a, sage_printf(a, "Action=ListMetrics&Version=2010-08-01&Namespace=%s",
								  sage_sigv4_uri_encode(a, ns, strlen(ns), false)));
	for (i = 0; i < 45; i++)
		if (strstr(xml, sage_printf(a, "<MetricName>Metric%02d</MetricName>", i)) == NULL)
			fail_msg("Metric%02d was not stored", i);
	assert_true(strstr(xml, "a b&amp;c=d/é") != NULL);
	/* the value of one, read back */
	{
		char		start[32];
		char		end[32];
		time_t		t0 = time(NULL) - 3600;
		time_t		t1 = time(NULL) + 3600;
		struct tm	tm;

		strftime(start, sizeof(start), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t0, &tm));
		strftime(end, sizeof(end), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t1, &tm));
		xml = cw_query(a, sage_printf(a, "Action=GetMetricStatistics&Version=2010-08-01&Namespace=%s"
									  "&MetricName=Metric07&StartTime=%s&EndTime=%s&Period=7200"
									  "&Statistics.member.1=Sum"
									  "&Dimensions.member.1.Name=Function"
									  "&Dimensions.member.1.Value=sage-file-processor",
									  sage_sigv4_uri_encode(a, ns, strlen(ns), false),
									  start, end));
		if (strstr(xml, "<Sum>7.5</Sum>") == NULL)
			fail_msg("Metric07's sum is not 7.5: %.600s", xml);
	}
	sage_arena_free(a);
	sage_cloudwatch_client_free(c);
}

/* The byte limit splits batches too; an oversized datum is refused. */
static void
test_put_size_limit(void **state)
{
	int			requests = 0;
	int			made = 0;
	SageCloudWatchClient *c = client_new(0, 400, &requests);
	SageArena  *a = sage_arena_new(NULL);
	SageMetricDatum d[6];
	SageMetricDimension big = {"Big", NULL};
	SageError	err;
	char	   *xml;
	char	   *v;
	int			i;

	memset(d, 0, sizeof(d));
	for (i = 0; i < 6; i++)
	{
		d[i].name = sage_printf(a, "Sized%d", i);
		d[i].value = 1;
		d[i].unit = "Count";
	}
	/* ~110 bytes each beyond the header: 3 per 400-byte request */
	if (sage_cloudwatch_put_metrics(c, ns, d, 6, &made, &err) < 0)
		fail_msg("put: %s %s", err.message, err.detail);
	assert_true(made >= 2 && made <= 3);
	assert_int_equal(requests, made);
	xml = cw_query(a, sage_printf(a, "Action=ListMetrics&Version=2010-08-01&Namespace=%s",
								  sage_sigv4_uri_encode(a, ns, strlen(ns), false)));
	assert_int_equal(count_of(xml, "<MetricName>Sized"), 6);
	v = malloc(1001);
	memset(v, 'v', 1000);
	v[1000] = '\0';
	big.value = v;
	d[0].dims = &big;
	d[0].ndims = 1;
	requests = 0;
	assert_int_equal(sage_cloudwatch_put_metrics(c, ns, d, 1, &made, &err), -1);
	assert_int_equal(err.code, SAGE_ERR_LIMIT);
	assert_int_equal(requests, 0);
	free(v);
	sage_arena_free(a);
	sage_cloudwatch_client_free(c);
}

/* Invalid datums send nothing at all. */
static void
test_put_validation(void **state)
{
	int			requests = 0;
	SageCloudWatchClient *c = client_new(0, 0, &requests);
	SageMetricDatum d[2];
	SageMetricDimension dims[31];
	SageError	err;
	int			i;

	memset(d, 0, sizeof(d));
	d[0].name = "Ok";
	d[0].value = 1;
	d[1].name = "Bad";
	d[1].value = INFINITY;
	assert_int_equal(sage_cloudwatch_put_metrics(c, ns, d, 2, NULL, &err), -1);
	assert_string_equal(err.message, "value of metric \"Bad\" cannot be stored by CloudWatch");
	d[1].value = 2;
	for (i = 0; i < 31; i++)
	{
		dims[i].name = i < 30 ? "D" : "E";
		dims[i].value = "v";
	}
	d[1].dims = dims;
	d[1].ndims = 31;
	assert_int_equal(sage_cloudwatch_put_metrics(c, ns, d, 2, NULL, &err), -1);
	assert_non_null(strstr(err.message, "more than the 30 CloudWatch allows"));
	d[1].ndims = 2;
	assert_int_equal(sage_cloudwatch_put_metrics(c, ns, d, 2, NULL, &err), -1);
	assert_string_equal(err.message, "metric \"Bad\" repeats dimension \"D\"");
	d[1].ndims = 0;
	d[1].storage_resolution = 5;
	assert_int_equal(sage_cloudwatch_put_metrics(c, ns, d, 2, NULL, &err), -1);
	d[1].storage_resolution = 0;
	assert_int_equal(sage_cloudwatch_put_metrics(c, "AWS/Lambda", d, 2, NULL, &err), -1);
	assert_int_equal(requests, 0);
	assert_int_equal(sage_cloudwatch_put_metrics(c, ns, d, 0, NULL, &err), 0);
	assert_int_equal(requests, 0);
	sage_cloudwatch_client_free(c);
}

/* A request that gets no answer is an error saying what was not sent. */
static void
test_put_refused(void **state)
{
	SageCloudWatchOptions o;
	SageCloudWatchClient *c;
	SageCredentialOptions co;
	SageCredentialProvider *anon;
	SageMetricDatum d = {0};
	SageError	err;

	memset(&co, 0, sizeof(co));
	co.source = SAGE_CRED_SOURCE_ENV;
	anon = sage_aws_credentials_new(&co, &err);
	memset(&o, 0, sizeof(o));
	o.endpoint = "http://127.0.0.1:1";	/* nothing listens: transport error */
	o.region = REGION;
	o.credentials = anon;
	o.http.max_attempts = 1;
	c = sage_cloudwatch_client_new(&o, &err);
	assert_non_null(c);
	d.name = "X";
	d.value = 1;
	assert_int_equal(sage_cloudwatch_put_metrics(c, ns, &d, 1, NULL, &err), -1);
	assert_non_null(strstr(err.detail, "Datums 1 to 1 were not sent; 0 before them were."));
	sage_cloudwatch_client_free(c);
	sage_aws_credentials_free(anon);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_put_batched),
		cmocka_unit_test(test_put_size_limit),
		cmocka_unit_test(test_put_validation),
		cmocka_unit_test(test_put_refused),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
