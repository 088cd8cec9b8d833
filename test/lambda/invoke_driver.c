/*-------------------------------------------------------------------------
 *
 * test/lambda/invoke_driver.c
 *		A tiny command-line driver of src/aws/lambda.c for the tests of
 *		the local Lambda service (run_lambda_service_test.py): invokes a
 *		function with the C client, SigV4 and all, and prints what came
 *		back, or invokes it COUNT times and prints the rate.
 *
 *	invoke_driver ENDPOINT FUNCTION Event|RequestResponse PAYLOAD [COUNT]
 *
 * Credentials and region come from the environment (AWS_ACCESS_KEY_ID,
 * AWS_SECRET_ACCESS_KEY, AWS_DEFAULT_REGION), and the CA bundle for an
 * https endpoint from SAGE_CA_FILE (unset: libcurl's default store). One invocation prints
 *	outcome=<ok|function_error|throttled|error> status=<n>
 *	function_error=<..> reason=<..> payload=<..>
 * on one line; COUNT > 1 prints "invokes=<n> ok=<n> throttled=<n>
 * errors=<n> seconds=<s> rate=<n/s>". PAYLOAD "@N" is a JSON document of
 * N bytes. Exit status 0 unless the client could not be set up.
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sage/lambda.h"

/* Seconds since an arbitrary point, for the rate. */
static double
drv_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* "@N": a JSON document of exactly N bytes (N >= 10), else the text. */
static char *
drv_payload(const char *arg, size_t *len)
{
	char	   *p;
	size_t		n;

	if (arg[0] != '@')
	{
		*len = strlen(arg);
		return strdup(arg);
	}
	n = (size_t) strtoul(arg + 1, NULL, 10);
	if (n < 10)
		n = 10;
	p = malloc(n + 1);
	if (p == NULL)
		return NULL;
	memcpy(p, "{\"x\": \"", 7);
	memset(p + 7, 'a', n - 9);
	memcpy(p + n - 2, "\"}", 2);
	p[n] = '\0';
	*len = n;
	return p;
}

int
main(int argc, char **argv)
{
	SageCredentialOptions co;
	SageCredentialProvider *creds;
	SageLambdaOptions o;
	SageLambdaClient *c;
	SageError	err;
	SageLambdaInvocationType type;
	char	   *payload;
	size_t		len;
	long		count;
	long		i;
	long		ok = 0;
	long		throttled = 0;
	long		errors = 0;
	double		t0;
	const char *region;

	if (argc < 5)
	{
		fprintf(stderr, "usage: invoke_driver ENDPOINT FUNCTION Event|RequestResponse PAYLOAD [COUNT]\n");
		return 2;
	}
	type = strcmp(argv[3], "Event") == 0 ? SAGE_LAMBDA_EVENT :
		SAGE_LAMBDA_REQUEST_RESPONSE;
	count = argc > 5 ? atol(argv[5]) : 1;
	payload = drv_payload(argv[4], &len);
	region = getenv("AWS_DEFAULT_REGION");
	sage_error_clear(&err);
	memset(&co, 0, sizeof(co));
	co.source = SAGE_CRED_SOURCE_ENV;
	creds = sage_aws_credentials_new(&co, &err);
	if (creds == NULL || payload == NULL)
	{
		fprintf(stderr, "invoke_driver: %s\n", err.message);
		return 2;
	}
	memset(&o, 0, sizeof(o));
	o.endpoint = argv[1];
	o.region = region != NULL ? region : "us-east-1";
	o.credentials = creds;
	o.http.max_attempts = 1;	/* show the service's answers as they are */
	o.http.ca_file = getenv("SAGE_CA_FILE");	/* test/aws/run_tls_test.sh */
	c = sage_lambda_client_new(&o, &err);
	if (c == NULL)
	{
		fprintf(stderr, "invoke_driver: %s\n", err.message);
		return 2;
	}
	t0 = drv_now();
	for (i = 0; i < count; i++)
	{
		SageArena  *a = sage_arena_new(NULL);
		SageLambdaResult r;
		int			rc;

		if (a == NULL)
			return 2;
		memset(&r, 0, sizeof(r));
		sage_error_clear(&err);
		rc = sage_lambda_invoke(c, argv[2], NULL, type, payload, len, a, &r,
								&err);
		if (rc == SAGE_LAMBDA_OK)
			ok++;
		else if (rc == SAGE_LAMBDA_THROTTLED)
			throttled++;
		else
			errors++;
		if (count == 1)
			printf("outcome=%s status=%ld function_error=%s reason=%s payload=%s%s\n",
				   rc == SAGE_LAMBDA_OK ? "ok" :
				   rc == SAGE_LAMBDA_FUNCTION_ERROR ? "function_error" :
				   rc == SAGE_LAMBDA_THROTTLED ? "throttled" : "error",
				   r.status, r.function_error ? r.function_error : "",
				   r.throttle_reason ? r.throttle_reason : "",
				   r.payload ? r.payload : "",
				   rc < 0 ? err.message : "");
		sage_arena_free(a);
	}
	if (count != 1)
	{
		double		s = drv_now() - t0;

		printf("invokes=%ld ok=%ld throttled=%ld errors=%ld seconds=%.3f rate=%.0f\n",
			   count, ok, throttled, errors, s, count / (s > 0 ? s : 1e-9));
	}
	sage_lambda_client_free(c);
	sage_aws_credentials_free(creds);
	free(payload);
	return 0;
}
