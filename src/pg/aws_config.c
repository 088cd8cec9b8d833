/*-------------------------------------------------------------------------
 *
 * src/pg/aws_config.c
 *		Per-process AWS clients built from the sage.* GUCs (see
 *		aws_config.h), and the glue between src/aws's pure-C callbacks and
 *		PostgreSQL's interrupts, latch and error reporting.
 *
 * Clients keep their HTTP connections open, so a background worker pays
 * for TCP and TLS set-up once. A change of any AWS GUC (detected by a
 * SHA-256 fingerprint of their values, so no second copy of the secrets
 * is kept) frees every client; the next getter builds new ones.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <stdlib.h>

#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "storage/pmsignal.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "sage/aws.h"
#include "sage/cloudwatch.h"
#include "sage/dynamodb.h"
#include "sage/lambda.h"

#include "aws_config.h"
#include "sage_pg.h"

/* The process's clients and the fingerprint of the settings they follow. */
typedef struct AwsCache
{
	bool		have_fingerprint;	/* fingerprint is set */
	uint8_t		fingerprint[SAGE_SHA256_LEN];	/* of the AWS GUCs */
	char		region[64];		/* region of the clients */
	SageCredentialProvider *credentials;	/* or NULL */
	SageS3Client *s3;			/* or NULL */
	SageDynamoClient *dynamodb; /* or NULL */
	SageLambdaClient *lambda;	/* or NULL */
	SageCloudWatchClient *cloudwatch;	/* or NULL */
} AwsCache;

static AwsCache aws_cache;

/*
 * sage.aws_ca_file as the clients see it: transports keep a pointer to
 * it, so it lives in static storage and always holds the current value.
 */
static char aws_ca_file[MAXPGPATH];

/* ------------------------------------------------------- callbacks */

/*
 * The transport's cancel poll: a pending die (SIGTERM) or query cancel,
 * or the postmaster gone. Other pending interrupts (sinval catch-up,
 * barriers, log-memory requests) must not fail a request: they are
 * served at the caller's next CHECK_FOR_INTERRUPTS.
 */
static bool
aws_cancel_cb(void *arg)
{
	return ProcDiePending || QueryCancelPending || !PostmasterIsAlive();
}

/*
 * The transport's sleep before a retry: a latch wait (wait.c), cut short
 * only by die or cancel. A latch set meanwhile (a submit, a cancel) is
 * set again afterwards, so the caller's own wait still sees it.
 */
static void
aws_sleep_cb(void *arg, long ms)
{
	bool		latch_seen = false;
	TimestampTz end = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), ms);

	while (ms > 0 && !aws_cancel_cb(arg))
	{
		if (sage_wait_uninterrupted(SAGE_WAIT_AWS_RETRY, ms))
			latch_seen = true;
		ms = TimestampDifferenceMilliseconds(GetCurrentTimestamp(), end);
	}
	if (latch_seen)
		SetLatch(MyLatch);
}

/* ---------------------------------------------------------- settings */

/* Fingerprint of every GUC the clients depend on (secrets included). */
static void
aws_settings_fingerprint(uint8_t *out)
{
	StringInfoData buf;
	SageError	err;
	const char *parts[12];
	int			i;

	parts[0] = sage_aws_region;
	parts[1] = sage_s3_endpoint;
	parts[2] = sage_dynamodb_endpoint;
	parts[3] = sage_lambda_endpoint;
	parts[4] = sage_cloudwatch_endpoint;
	parts[5] = sage_aws_ca_file;
	parts[6] = sage_aws_access_key_id;
	parts[7] = sage_aws_secret_access_key;
	parts[8] = sage_aws_session_token;
	parts[9] = sage_s3_bucket;
	parts[10] = getenv("AWS_REGION");
	parts[11] = getenv("AWS_DEFAULT_REGION");

	initStringInfo(&buf);
	for (i = 0; i < (int) lengthof(parts); i++)
	{
		/* length-prefixed, so no two settings can be confused */
		appendStringInfo(&buf, "%zu:", parts[i] ? strlen(parts[i]) : (size_t) 0);
		if (parts[i])
			appendStringInfoString(&buf, parts[i]);
	}
	memset(&err, 0, sizeof(err));
	if (sage_crypto_sha256(buf.data, buf.len, out, &err) != 0)
		sage_pg_aws_report(ERROR, &err, "could not fingerprint the AWS settings");
	sage_crypto_cleanse(buf.data, buf.len);
	pfree(buf.data);
}

/* See aws_config.h. */
bool
sage_pg_aws_settings_changed(void)
{
	uint8_t		fp[SAGE_SHA256_LEN];

	aws_settings_fingerprint(fp);
	if (aws_cache.have_fingerprint &&
		memcmp(fp, aws_cache.fingerprint, SAGE_SHA256_LEN) == 0)
		return false;
	sage_pg_aws_reset();
	memcpy(aws_cache.fingerprint, fp, SAGE_SHA256_LEN);
	aws_cache.have_fingerprint = true;
	return true;
}

/* See aws_config.h. */
void
sage_pg_aws_reset(void)
{
	if (aws_cache.s3)
		sage_s3_client_free(aws_cache.s3);
	if (aws_cache.dynamodb)
		sage_dynamodb_client_free(aws_cache.dynamodb);
	if (aws_cache.lambda)
		sage_lambda_client_free(aws_cache.lambda);
	if (aws_cache.cloudwatch)
		sage_cloudwatch_client_free(aws_cache.cloudwatch);
	if (aws_cache.credentials)
		sage_aws_credentials_free(aws_cache.credentials);
	aws_cache.s3 = NULL;
	aws_cache.dynamodb = NULL;
	aws_cache.lambda = NULL;
	aws_cache.cloudwatch = NULL;
	aws_cache.credentials = NULL;
	aws_cache.have_fingerprint = false;
}

/* See aws_config.h. */
bool
sage_pg_aws_configured(void)
{
	return sage_lambda_function != NULL && sage_lambda_function[0] != '\0';
}

/* See aws_config.h. */
const char *
sage_pg_aws_region(void)
{
	const char *r = sage_aws_region;

	if (r == NULL || r[0] == '\0')
		r = getenv("AWS_REGION");
	if (r == NULL || r[0] == '\0')
		r = getenv("AWS_DEFAULT_REGION");
	if (r == NULL || r[0] == '\0')
		r = "us-east-1";
	strlcpy(aws_cache.region, r, sizeof(aws_cache.region));
	return aws_cache.region;
}

/* See aws_config.h. */
void
sage_pg_aws_http_options(SageHttpOptions *opts)
{
	memset(opts, 0, sizeof(*opts));
	opts->cancel = aws_cancel_cb;
	opts->sleep = aws_sleep_cb;
	opts->callback_arg = NULL;
	strlcpy(aws_ca_file, sage_aws_ca_file ? sage_aws_ca_file : "", sizeof(aws_ca_file));
	opts->ca_file = aws_ca_file;
}

/* An endpoint GUC's value, or NULL for AWS's regional endpoint. */
static const char *
aws_endpoint(const char *guc)
{
	return (guc != NULL && guc[0] != '\0') ? guc : NULL;
}

/* Checks the cache against the settings before any getter answers. */
static void
aws_refresh(void)
{
	(void) sage_pg_aws_settings_changed();
}

/* Whether a credential setting is empty or free of blanks and controls. */
static bool
aws_credential_ok(const char *s)
{
	if (s == NULL)
		return true;
	for (; *s; s++)
		if ((unsigned char) *s <= ' ' || (unsigned char) *s == 0x7f)
			return false;
	return true;
}

/* See aws_config.h. */
SageCredentialProvider *
sage_pg_aws_credentials(void)
{
	SageCredentialOptions opts;
	SageError	err;
	bool		have_id;
	bool		have_secret;

	aws_refresh();
	if (aws_cache.credentials)
		return aws_cache.credentials;

	memset(&opts, 0, sizeof(opts));
	have_id = sage_aws_access_key_id && sage_aws_access_key_id[0];
	have_secret = sage_aws_secret_access_key && sage_aws_secret_access_key[0];
	if (have_id != have_secret)
		ereport(ERROR,
				errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				errmsg("incomplete AWS credentials"),
				errdetail("%s and %s must be set together.",
						  "sage.aws_access_key_id", "sage.aws_secret_access_key"),
				errhint("Leave both empty to use the environment or the instance role."));
	/*
	 * Checked here rather than by a GUC check hook: PostgreSQL's message for
	 * a value a check hook refuses quotes the value, which would put a
	 * mistyped secret into the server log.
	 */
	if (!aws_credential_ok(sage_aws_access_key_id) ||
		!aws_credential_ok(sage_aws_secret_access_key) ||
		!aws_credential_ok(sage_aws_session_token))
		ereport(ERROR,
				errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				errmsg("invalid AWS credentials in sage.aws_access_key_id, sage.aws_secret_access_key or sage.aws_session_token"),
				errdetail("AWS credentials contain no spaces or control characters."));
	if (have_id)
	{
		opts.source = SAGE_CRED_SOURCE_EXPLICIT;
		opts.access_key_id = sage_aws_access_key_id;
		opts.secret_access_key = sage_aws_secret_access_key;
		if (sage_aws_session_token && sage_aws_session_token[0])
			opts.session_token = sage_aws_session_token;
	}
	else
		opts.source = SAGE_CRED_SOURCE_AUTO;

	memset(&err, 0, sizeof(err));
	aws_cache.credentials = sage_aws_credentials_new(&opts, &err);
	if (aws_cache.credentials == NULL)
		sage_pg_aws_report(ERROR, &err, "could not set up AWS credentials");
	return aws_cache.credentials;
}

/* See aws_config.h. */
SageS3Client *
sage_pg_s3_client(void)
{
	SageS3Options opts;
	SageError	err;
	SageCredentialProvider *cred;

	aws_refresh();
	if (aws_cache.s3)
		return aws_cache.s3;
	if (sage_s3_bucket == NULL || sage_s3_bucket[0] == '\0')
		ereport(ERROR,
				errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				errmsg("no S3 bucket is configured"),
				errhint("Set %s.", "sage.s3_bucket"));
	cred = sage_pg_aws_credentials();

	memset(&opts, 0, sizeof(opts));
	opts.endpoint = aws_endpoint(sage_s3_endpoint);
	opts.region = sage_pg_aws_region();
	opts.bucket = sage_s3_bucket;
	opts.path_style = opts.endpoint != NULL;
	opts.credentials = cred;
	sage_pg_aws_http_options(&opts.http);
	memset(&err, 0, sizeof(err));
	aws_cache.s3 = sage_s3_client_new(&opts, &err);
	if (aws_cache.s3 == NULL)
		sage_pg_aws_report(ERROR, &err, "could not set up the S3 client");
	return aws_cache.s3;
}

/* See aws_config.h. */
SageDynamoClient *
sage_pg_dynamodb_client(void)
{
	SageDynamoOptions opts;
	SageError	err;
	SageCredentialProvider *cred;

	aws_refresh();
	if (aws_cache.dynamodb)
		return aws_cache.dynamodb;
	cred = sage_pg_aws_credentials();

	memset(&opts, 0, sizeof(opts));
	opts.endpoint = aws_endpoint(sage_dynamodb_endpoint);
	opts.region = sage_pg_aws_region();
	opts.credentials = cred;
	sage_pg_aws_http_options(&opts.http);
	memset(&err, 0, sizeof(err));
	aws_cache.dynamodb = sage_dynamodb_client_new(&opts, &err);
	if (aws_cache.dynamodb == NULL)
		sage_pg_aws_report(ERROR, &err, "could not set up the DynamoDB client");
	return aws_cache.dynamodb;
}

/* See aws_config.h. */
SageLambdaClient *
sage_pg_lambda_client(void)
{
	SageLambdaOptions opts;
	SageError	err;
	SageCredentialProvider *cred;

	aws_refresh();
	if (aws_cache.lambda)
		return aws_cache.lambda;
	cred = sage_pg_aws_credentials();

	memset(&opts, 0, sizeof(opts));
	opts.endpoint = aws_endpoint(sage_lambda_endpoint);
	opts.region = sage_pg_aws_region();
	opts.credentials = cred;
	sage_pg_aws_http_options(&opts.http);
	/* the dispatcher decides about retries: one attempt per invoke */
	opts.http.max_attempts = 1;
	memset(&err, 0, sizeof(err));
	aws_cache.lambda = sage_lambda_client_new(&opts, &err);
	if (aws_cache.lambda == NULL)
		sage_pg_aws_report(ERROR, &err, "could not set up the Lambda client");
	return aws_cache.lambda;
}

/* See aws_config.h. */
SageCloudWatchClient *
sage_pg_cloudwatch_client(void)
{
	SageCloudWatchOptions opts;
	SageError	err;
	SageCredentialProvider *cred;

	aws_refresh();
	if (aws_cache.cloudwatch)
		return aws_cache.cloudwatch;
	cred = sage_pg_aws_credentials();

	memset(&opts, 0, sizeof(opts));
	opts.endpoint = aws_endpoint(sage_cloudwatch_endpoint);
	opts.region = sage_pg_aws_region();
	opts.credentials = cred;
	sage_pg_aws_http_options(&opts.http);
	memset(&err, 0, sizeof(err));
	aws_cache.cloudwatch = sage_cloudwatch_client_new(&opts, &err);
	if (aws_cache.cloudwatch == NULL)
		sage_pg_aws_report(ERROR, &err, "could not set up the CloudWatch client");
	return aws_cache.cloudwatch;
}

/* ------------------------------------------------------------ arenas */

/* Memory context callback freeing an arena. */
static void
aws_arena_free_cb(void *arg)
{
	sage_arena_free((SageArena *) arg);
}

/* See aws_config.h. */
SageArena  *
sage_pg_arena(MemoryContext cxt)
{
	MemoryContextCallback *cb;
	SageArena  *arena;

	cb = MemoryContextAlloc(cxt, sizeof(MemoryContextCallback));
	arena = sage_arena_new(NULL);
	if (arena == NULL)
		ereport(ERROR,
				errcode(ERRCODE_OUT_OF_MEMORY),
				errmsg("out of memory"));
	cb->func = aws_arena_free_cb;
	cb->arg = arena;
	MemoryContextRegisterResetCallback(cxt, cb);
	return arena;
}

/* ------------------------------------------------------------ errors */

/* See aws_config.h. */
void
sage_pg_aws_report(int elevel, const SageError *err, const char *what)
{
	/* a request given up because of SIGTERM or a cancel ends as that */
	if (err->code == SAGE_ERR_CANCELLED && elevel >= ERROR)
		CHECK_FOR_INTERRUPTS();

	ereport(elevel,
			errcode(sage_error_sqlstate(err->code)),
			errmsg_internal("%s: %s", what,
							err->message[0] ? err->message : "unknown AWS error"),
			err->detail[0] ? errdetail_internal("%s", err->detail) : 0,
			err->hint[0] ? errhint("%s", err->hint) : 0);
}
