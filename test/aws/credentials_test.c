/*-------------------------------------------------------------------------
 *
 * test/aws/credentials_test.c
 *		Tests of src/aws/credentials.c: explicit keys, the environment, the
 *		ECS container endpoint and IMDSv2 (both served by the scripted HTTP
 *		server, test/services/scripted_http.py), refresh before expiry, and
 *		keeping valid keys when a refresh fails.
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
#include <time.h>

#include <cmocka.h>

#include "sage/aws.h"
#include "aws_services.h"

static TestService scripted;
static TestService own;			/* a server one test stops on purpose */

/* Stops own even when its test failed half-way. */
static int
stop_own(void **state)
{
	service_stop(&own);
	return 0;
}

/* Clears every variable the providers read. */
static void
clear_env(void)
{
	unsetenv("AWS_ACCESS_KEY_ID");
	unsetenv("AWS_SECRET_ACCESS_KEY");
	unsetenv("AWS_SESSION_TOKEN");
	unsetenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
	unsetenv("AWS_CONTAINER_CREDENTIALS_FULL_URI");
	unsetenv("AWS_CONTAINER_AUTHORIZATION_TOKEN");
}

static int
group_setup(void **state)
{
	clear_env();
	if (services_skipped())
		return 0;
	return service_start("start_scripted_http.sh", &scripted);
}

static int
group_teardown(void **state)
{
	service_stop(&scripted);
	return 0;
}

static void
test_explicit(void **state)
{
	SageCredentialOptions o = {0};
	SageArena  *arena = sage_arena_new(NULL);
	SageCredentialProvider *p;
	SageAwsCredentials c;
	SageError	err;

	o.source = SAGE_CRED_SOURCE_EXPLICIT;
	o.access_key_id = "AKIDEXPLICIT";
	assert_null(sage_aws_credentials_new(&o, &err));
	assert_string_equal(err.message,
						"explicit AWS credentials need an access key id and a secret access key");
	o.secret_access_key = "s3cr3t";
	o.session_token = "tok";
	p = sage_aws_credentials_new(&o, &err);
	assert_non_null(p);
	assert_string_equal(sage_aws_credentials_source_name(p), "configuration");
	assert_int_equal(sage_aws_credentials_get(p, arena, time(NULL), &c, &err), 0);
	assert_string_equal(c.access_key_id, "AKIDEXPLICIT");
	assert_string_equal(c.secret_access_key, "s3cr3t");
	assert_string_equal(c.session_token, "tok");
	assert_int_equal(c.expiration, 0);
	sage_aws_credentials_free(p);
	sage_aws_credentials_free(NULL);

	o.source = (SageCredentialSource) 99;
	assert_null(sage_aws_credentials_new(&o, &err));
	assert_string_equal(err.message, "invalid AWS credential source 99");
	sage_arena_free(arena);
}

static void
test_environment(void **state)
{
	SageCredentialOptions o = {0};
	SageArena  *arena = sage_arena_new(NULL);
	SageCredentialProvider *p;
	SageAwsCredentials c;
	SageError	err;

	clear_env();
	o.source = SAGE_CRED_SOURCE_ENV;
	p = sage_aws_credentials_new(&o, &err);
	assert_int_equal(sage_aws_credentials_get(p, arena, time(NULL), &c, &err), -1);
	assert_string_equal(err.message, "environment variable \"AWS_ACCESS_KEY_ID\" is not set");
	assert_string_equal(err.hint, "Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the server's environment.");

	setenv("AWS_ACCESS_KEY_ID", "AKIDENV", 1);
	assert_int_equal(sage_aws_credentials_get(p, arena, time(NULL), &c, &err), -1);
	assert_string_equal(err.message,
						"environment variable \"AWS_ACCESS_KEY_ID\" is set but \"AWS_SECRET_ACCESS_KEY\" is not");
	unsetenv("AWS_ACCESS_KEY_ID");
	setenv("AWS_SECRET_ACCESS_KEY", "ENVSECRET", 1);
	assert_int_equal(sage_aws_credentials_get(p, arena, time(NULL), &c, &err), -1);
	assert_string_equal(err.message,
						"environment variable \"AWS_SECRET_ACCESS_KEY\" is set but \"AWS_ACCESS_KEY_ID\" is not");
	assert_null(strstr(err.message, "ENVSECRET"));

	setenv("AWS_ACCESS_KEY_ID", "AKIDENV", 1);
	assert_int_equal(sage_aws_credentials_get(p, arena, time(NULL), &c, &err), 0);
	assert_string_equal(c.access_key_id, "AKIDENV");
	assert_string_equal(c.secret_access_key, "ENVSECRET");
	assert_null(c.session_token);
	assert_string_equal(sage_aws_credentials_source_name(p), "environment");
	sage_aws_credentials_free(p);

	/* AUTO takes the environment first, with its session token */
	setenv("AWS_SESSION_TOKEN", "ENVTOKEN", 1);
	o.source = SAGE_CRED_SOURCE_AUTO;
	p = sage_aws_credentials_new(&o, &err);
	assert_int_equal(sage_aws_credentials_get(p, arena, time(NULL), &c, &err), 0);
	assert_string_equal(c.session_token, "ENVTOKEN");
	assert_string_equal(sage_aws_credentials_source_name(p), "environment");
	sage_aws_credentials_free(p);
	clear_env();
	sage_arena_free(arena);
}

/* ECS: the document is parsed and unescaped; refreshed near expiry only. */
static void
test_ecs(void **state)
{
	SageCredentialOptions o = {0};
	SageArena  *arena = sage_arena_new(NULL);
	SageCredentialProvider *p;
	SageAwsCredentials c;
	SageAwsCredentials c2;
	SageError	err;
	char		url[128];
	time_t		now = time(NULL);

	if (services_skipped())
		skip();
	clear_env();
	o.source = SAGE_CRED_SOURCE_ECS;
	p = sage_aws_credentials_new(&o, &err);
	assert_int_equal(sage_aws_credentials_get(p, arena, now, &c, &err), -1);
	assert_string_equal(err.message,
						"environment variable \"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI\" is not set");
	sage_aws_credentials_free(p);

	/* the full URI and the authorization token come from the environment */
	snprintf(url, sizeof(url), "%s/ecs/3600?auth=Bearer%%20abc", scripted.endpoint);
	setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", url, 1);
	setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "Bearer abc", 1);
	o.source = SAGE_CRED_SOURCE_AUTO;
	p = sage_aws_credentials_new(&o, &err);
	assert_int_equal(sage_aws_credentials_get(p, arena, now, &c, &err), 0);
	assert_string_equal(sage_aws_credentials_source_name(p), "container credentials endpoint");
	assert_true(strncmp(c.access_key_id, "ASIATEST", 8) == 0);
	assert_true(strncmp(c.secret_access_key, "secret/key", 10) == 0);
	assert_true(strncmp(c.session_token, "tok/en+", 7) == 0);
	assert_in_range(c.expiration, now + 3500, now + 3700);
	/* still fresh: the same keys */
	assert_int_equal(sage_aws_credentials_get(p, arena, now + 60, &c2, &err), 0);
	assert_string_equal(c2.access_key_id, c.access_key_id);
	/* within the refresh margin: new keys */
	assert_int_equal(sage_aws_credentials_get(p, arena, c.expiration - 100, &c2, &err), 0);
	assert_string_not_equal(c2.access_key_id, c.access_key_id);
	sage_aws_credentials_free(p);

	/* a wrong authorization token is refused by the endpoint */
	setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "Bearer wrong", 1);
	p = sage_aws_credentials_new(&o, &err);
	assert_int_equal(sage_aws_credentials_get(p, arena, now, &c, &err), -1);
	assert_string_equal(err.message,
						"could not get AWS credentials from the container credentials endpoint: HTTP status 401");
	sage_aws_credentials_free(p);
	clear_env();

	/* a document without keys */
	snprintf(url, sizeof(url), "%s/bad-doc", scripted.endpoint);
	o.ecs_url = url;
	o.source = SAGE_CRED_SOURCE_ECS;
	p = sage_aws_credentials_new(&o, &err);
	assert_int_equal(sage_aws_credentials_get(p, arena, now, &c, &err), -1);
	assert_string_equal(err.message,
						"could not parse the AWS credentials from the container credentials endpoint");
	assert_string_equal(err.detail,
						"The document lacks AccessKeyId, SecretAccessKey or a valid Expiration.");
	sage_aws_credentials_free(p);
	o.ecs_url = "no-scheme";
	p = sage_aws_credentials_new(&o, &err);
	assert_int_equal(sage_aws_credentials_get(p, arena, now, &c, &err), -1);
	assert_string_equal(err.message, "invalid container credentials URL \"no-scheme\"");
	sage_aws_credentials_free(p);
	sage_arena_free(arena);
}

/* IMDSv2: token, role, then the role's document; AUTO falls back to it. */
static void
test_imds(void **state)
{
	SageCredentialOptions o = {0};
	SageArena  *arena = sage_arena_new(NULL);
	SageCredentialProvider *p;
	SageAwsCredentials c;
	SageError	err;
	time_t		now = time(NULL);

	if (services_skipped())
		skip();
	clear_env();
	o.source = SAGE_CRED_SOURCE_AUTO;
	o.imds_endpoint = scripted.endpoint;
	p = sage_aws_credentials_new(&o, &err);
	assert_int_equal(sage_aws_credentials_get(p, arena, now, &c, &err), 0);
	assert_string_equal(sage_aws_credentials_source_name(p), "instance metadata service");
	assert_true(strncmp(c.access_key_id, "ASIATEST", 8) == 0);
	assert_non_null(c.session_token);
	assert_in_range(c.expiration, now + 21500, now + 21700);
	sage_aws_credentials_free(p);

	/* nothing anywhere: one error that says where we looked */
	o.imds_endpoint = "http://127.0.0.1:1";
	o.timeout_ms = 200;
	p = sage_aws_credentials_new(&o, &err);
	assert_int_equal(sage_aws_credentials_get(p, arena, now, &c, &err), -1);
	assert_true(strncmp(err.message, "could not send IMDS token request to \"http://127.0.0.1:1\": ", 58) == 0);
	assert_string_equal(err.detail,
						"No credentials in the configuration or the environment, and the instance metadata service failed.");
	assert_string_equal(err.hint,
						"Configure AWS credentials, or run where an IAM role provides them.");
	sage_aws_credentials_free(p);
	sage_arena_free(arena);
}

/* Valid keys outlive a failed early refresh; expired ones do not. */
static void
test_refresh_failure_keeps_valid_keys(void **state)
{
	SageCredentialOptions o = {0};
	SageArena  *arena = sage_arena_new(NULL);
	SageCredentialProvider *p;
	SageAwsCredentials c;
	SageAwsCredentials c2;
	SageError	err;
	char		url[128];
	time_t		now = time(NULL);

	if (services_skipped())
		skip();
	clear_env();
	assert_int_equal(service_start("start_scripted_http.sh", &own), 0);
	/* expiring in 200 s: every get is within the 300 s margin */
	snprintf(url, sizeof(url), "%s/ecs/200", own.endpoint);
	o.source = SAGE_CRED_SOURCE_ECS;
	o.ecs_url = url;
	o.timeout_ms = 300;
	p = sage_aws_credentials_new(&o, &err);
	assert_int_equal(sage_aws_credentials_get(p, arena, now, &c, &err), 0);
	service_stop(&own);
	assert_int_equal(sage_aws_credentials_get(p, arena, now + 10, &c2, &err), 0);
	assert_string_equal(c2.access_key_id, c.access_key_id);
	assert_int_equal(sage_aws_credentials_get(p, arena, c.expiration + 1, &c2, &err), -1);
	assert_non_null(strstr(err.message, "could not send container credentials request"));
	sage_aws_credentials_free(p);
	sage_arena_free(arena);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_explicit),
		cmocka_unit_test(test_environment),
		cmocka_unit_test(test_ecs),
		cmocka_unit_test(test_imds),
		cmocka_unit_test_teardown(test_refresh_failure_keeps_valid_keys, stop_own),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
