/*-------------------------------------------------------------------------
 *
 * src/pg/guc.c
 *		Every sage.* configuration parameter, defined in one place.
 *
 * Worker counts and shared memory are PGC_POSTMASTER (they size the slots
 * and are only honoured under shared_preload_libraries); what the launcher
 * and workers read on every pass is PGC_SIGHUP; defaults of submit options
 * are PGC_USERSET. Times and sizes carry units, with bounds that cannot
 * overflow an int of milliseconds, seconds or kilobytes.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <limits.h>

#include "utils/guc.h"

#include "sage_pg.h"

/* Database the launcher connects to. */
char	   *sage_database = NULL;
/* Number of local worker slots. */
int			sage_max_local_executions = 3;
/* Default attempts allowed per execution. */
int			sage_max_attempts = 3;
/* First retry delay, milliseconds. */
int			sage_retry_base = 1000;
/* Longest retry delay, milliseconds. */
int			sage_retry_cap = 600000;
/* Lease of a running execution, seconds. */
int			sage_lease = 60;
/* Age after which finished executions are deleted, seconds (0 = never). */
int			sage_retention = 30 * 24 * 3600;
/* Completions wait for their WAL flush. */
bool		sage_synchronous_completion = true;
/* Submits insert their rows in bulk (off: through SQL statements). */
bool		sage_submit_bulk = true;
/* Memory ceiling of one local execution, kilobytes (0 = none). */
int			sage_memory_limit = 1024 * 1024;
/* Lambda price per GB-second on x86_64 and arm64, and per request (USD). */
double		sage_lambda_price_gb_second_x86 = 0.0000166667;
double		sage_lambda_price_gb_second_arm64 = 0.0000133334;
double		sage_lambda_price_request = 0.0000002;
/* Where the launcher sends metrics (SAGE_METRICS_*). */
int			sage_metrics = SAGE_METRICS_OFF;
/* CloudWatch namespace of those metrics. */
char	   *sage_metrics_namespace = NULL;
/* Least time between two metric pushes, seconds. */
int			sage_metrics_interval = 60;
/* Channel of completion notifications ('' = none). */
char	   *sage_notify_channel = NULL;

/* Values of sage.metrics. */
static const struct config_enum_entry guc_metrics_options[] = {
	{"off", SAGE_METRICS_OFF, false},
	{"cloudwatch", SAGE_METRICS_CLOUDWATCH, false},
	{NULL, 0, false}
};

/* A notification channel is an identifier: pg_notify refuses longer ones. */
static bool
guc_check_notify_channel(char **newval, void **extra, GucSource source)
{
	if (*newval != NULL && strlen(*newval) >= NAMEDATALEN)
	{
		GUC_check_errdetail("A channel name must be shorter than %d bytes.", NAMEDATALEN);
		return false;
	}
	return true;
}

/* A CloudWatch namespace: 1 to 255 printable ASCII bytes, not "AWS/...". */
static bool
guc_check_metrics_namespace(char **newval, void **extra, GucSource source)
{
	const char *s = *newval;
	size_t		i;

	if (s == NULL || s[0] == '\0' || strlen(s) > 255)
	{
		GUC_check_errdetail("A namespace has 1 to 255 characters.");
		return false;
	}
	for (i = 0; s[i] != '\0'; i++)
		if ((unsigned char) s[i] < 0x20 || (unsigned char) s[i] > 0x7e)
		{
			GUC_check_errdetail("A namespace has only printable ASCII characters.");
			return false;
		}
	if (strncmp(s, "AWS/", 4) == 0)
	{
		GUC_check_errdetail("Namespaces starting with \"AWS/\" are reserved for AWS.");
		return false;
	}
	return true;
}

/* ---- AWS: Lambda offload, S3 storage, DynamoDB lock ---- */

/* When executions go to Lambda (SageOffloadMode). */
int			sage_offload = SAGE_OFFLOAD_AUTO;
/* Pending local-eligible executions above which to offload (0 = slots). */
int			sage_offload_queue_threshold = 0;
/* Host CPU busy percentage above which to offload. */
int			sage_offload_cpu_percent = 80;
/* Lambda function name or ARN; empty = Lambda not configured. */
char	   *sage_lambda_function = NULL;
/* Executions dispatched to Lambda and not yet finished, at most. */
int			sage_lambda_max_inflight = 50;
/* Timeout of the Lambda function, seconds (bounds a dispatch's lease). */
int			sage_lambda_timeout = 900;
/* AWS region; empty = AWS_REGION / AWS_DEFAULT_REGION, else us-east-1. */
char	   *sage_aws_region = NULL;
/* Per-service endpoint overrides (test services, S3-compatible stores). */
char	   *sage_s3_endpoint = NULL;
char	   *sage_dynamodb_endpoint = NULL;
char	   *sage_lambda_endpoint = NULL;
char	   *sage_cloudwatch_endpoint = NULL;
/* CA bundle for HTTPS to AWS; empty = the system's. */
char	   *sage_aws_ca_file = NULL;
/* Explicit credentials (superuser-only, hidden); empty = AUTO source. */
char	   *sage_aws_access_key_id = NULL;
char	   *sage_aws_secret_access_key = NULL;
char	   *sage_aws_session_token = NULL;
/* Bucket and key prefix of execution files in S3. */
char	   *sage_s3_bucket = NULL;
char	   *sage_s3_prefix = NULL;
/* Where local submits keep their files (SageStorageMode). */
int			sage_storage = SAGE_STORAGE_BYTEA;
/* How local workers exclude each other (SageLockMode). */
int			sage_lock = SAGE_LOCK_ADVISORY;
/* DynamoDB table of execution locks and status records. */
char	   *sage_lock_table = NULL;
/* Lease of a DynamoDB lock, seconds (renewed by a heartbeat). */
int			sage_lock_lease = 30;
/* Seconds after which DynamoDB may garbage-collect a lock item (TTL). */
int			sage_lock_ttl = 3600;
/* Copy the outputs of Lambda executions into bytea at completion. */
bool		sage_copy_outputs = true;

static const struct config_enum_entry sage_offload_options[] = {
	{"auto", SAGE_OFFLOAD_AUTO, false},
	{"never", SAGE_OFFLOAD_NEVER, false},
	{"always", SAGE_OFFLOAD_ALWAYS, false},
	{NULL, 0, false}
};

static const struct config_enum_entry sage_storage_options[] = {
	{"bytea", SAGE_STORAGE_BYTEA, false},
	{"s3", SAGE_STORAGE_S3, false},
	{NULL, 0, false}
};

static const struct config_enum_entry sage_lock_options[] = {
	{"advisory", SAGE_LOCK_ADVISORY, false},
	{"dynamodb", SAGE_LOCK_DYNAMODB, false},
	{NULL, 0, false}
};

/* True when every byte of s is in allowed (or an ASCII letter/digit). */
static bool
guc_chars_ok(const char *s, const char *allowed)
{
	for (; *s; s++)
	{
		unsigned char c = (unsigned char) *s;

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (c >= '0' && c <= '9') || strchr(allowed, c) != NULL))
			return false;
	}
	return true;
}

/* An endpoint is empty or http(s)://host[:port] without a path. */
static bool
guc_check_endpoint(char **newval, void **extra, GucSource source)
{
	const char *s = *newval;
	const char *host;

	if (s == NULL || s[0] == '\0')
		return true;
	if (strncmp(s, "http://", 7) == 0)
		host = s + 7;
	else if (strncmp(s, "https://", 8) == 0)
		host = s + 8;
	else
	{
		GUC_check_errdetail("An endpoint starts with \"http://\" or \"https://\".");
		return false;
	}
	if (host[0] == '\0' || !guc_chars_ok(host, ".-:[]_"))
	{
		GUC_check_errdetail("An endpoint is a scheme, a host and an optional port, with no path.");
		return false;
	}
	return true;
}

/* A region looks like eu-west-1 (empty = from the environment). */
static bool
guc_check_region(char **newval, void **extra, GucSource source)
{
	if (*newval == NULL || (*newval)[0] == '\0')
		return true;
	if (strlen(*newval) > 32 || !guc_chars_ok(*newval, "-"))
	{
		GUC_check_errdetail("A region name has letters, digits and hyphens, as in \"eu-west-1\".");
		return false;
	}
	return true;
}

/* A function name, partial ARN or ARN (Lambda's own character set). */
static bool
guc_check_lambda_function(char **newval, void **extra, GucSource source)
{
	if (*newval == NULL || (*newval)[0] == '\0')
		return true;
	if (strlen(*newval) > 170 || !guc_chars_ok(*newval, "-_:$"))
	{
		GUC_check_errdetail("A Lambda function is named by letters, digits, hyphens and underscores, or by its ARN.");
		return false;
	}
	return true;
}

/* S3's bucket naming rules, loosely: 3 to 63 of [a-z0-9.-] (empty = none). */
static bool
guc_check_bucket(char **newval, void **extra, GucSource source)
{
	const char *s = *newval;
	size_t		len;

	if (s == NULL || s[0] == '\0')
		return true;
	len = strlen(s);
	if (len < 3 || len > 63 || !guc_chars_ok(s, ".-") ||
		strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789.-") != len)
	{
		GUC_check_errdetail("A bucket name has 3 to 63 lower-case letters, digits, dots and hyphens.");
		return false;
	}
	return true;
}

/* A key prefix: empty or ending in "/", never starting with "/". */
static bool
guc_check_prefix(char **newval, void **extra, GucSource source)
{
	const char *s = *newval;
	size_t		len;

	if (s == NULL || s[0] == '\0')
		return true;
	len = strlen(s);
	if (s[0] == '/' || s[len - 1] != '/' || len > 512)
	{
		GUC_check_errdetail("A key prefix ends with \"/\" and does not start with one, as in \"executions/\".");
		return false;
	}
	return true;
}

/* DynamoDB's table naming rules: 3 to 255 of [A-Za-z0-9_.-]. */
static bool
guc_check_table(char **newval, void **extra, GucSource source)
{
	size_t		len = *newval ? strlen(*newval) : 0;

	if (len < 3 || len > 255 || !guc_chars_ok(*newval, "_.-"))
	{
		GUC_check_errdetail("A DynamoDB table name has 3 to 255 letters, digits, underscores, dots and hyphens.");
		return false;
	}
	return true;
}


/*
 * The GUCs of the AWS side: Lambda offload, S3 storage and the DynamoDB
 * lock. Everything here is read by background workers on each pass, so it
 * is PGC_SIGHUP; credentials are also superuser-only and hidden.
 */
static void
guc_define_aws(void)
{
	DefineCustomEnumVariable("sage.offload",
							 gettext_noop("When executions are sent to AWS Lambda."),
							 gettext_noop("auto: when the queue or the CPU is over its threshold; always: every execution not placed local; never: only executions submitted with placement lambda. Needs sage.lambda_function."),
							 &sage_offload,
							 SAGE_OFFLOAD_AUTO, sage_offload_options,
							 PGC_SIGHUP,
							 0,
							 NULL, NULL, NULL);

	DefineCustomIntVariable("sage.offload_queue_threshold",
							gettext_noop("Pending local-eligible executions above which the excess is sent to Lambda."),
							gettext_noop("0 means sage.max_local_executions."),
							&sage_offload_queue_threshold,
							0, 0, INT_MAX,
							PGC_SIGHUP,
							0,
							NULL, NULL, NULL);

	DefineCustomIntVariable("sage.offload_cpu_percent",
							gettext_noop("Host CPU busy percentage above which executions are sent to Lambda."),
							gettext_noop("Measured from /proc/stat over the dispatcher's last interval; 100 disables the CPU criterion."),
							&sage_offload_cpu_percent,
							80, 1, 100,
							PGC_SIGHUP,
							0,
							NULL, NULL, NULL);

	DefineCustomStringVariable("sage.lambda_function",
							   gettext_noop("AWS Lambda function that processes offloaded executions."),
							   gettext_noop("A name (e.g. sage-file-processor) or ARN; empty means Lambda is not configured and every execution runs locally."),
							   &sage_lambda_function,
							   "",
							   PGC_SIGHUP,
							   0,
							   guc_check_lambda_function, NULL, NULL);

	DefineCustomIntVariable("sage.lambda_max_inflight",
							gettext_noop("Maximum number of executions dispatched to Lambda and not yet finished."),
							NULL,
							&sage_lambda_max_inflight,
							50, 1, 10000,
							PGC_SIGHUP,
							0,
							NULL, NULL, NULL);

	DefineCustomIntVariable("sage.lambda_timeout",
							gettext_noop("Timeout of the Lambda function."),
							gettext_noop("A dispatched execution with no status record this long (plus a margin) after its dispatch is sent again with a new attempt."),
							&sage_lambda_timeout,
							900, 1, 3600,
							PGC_SIGHUP,
							GUC_UNIT_S,
							NULL, NULL, NULL);

	DefineCustomStringVariable("sage.aws_region",
							   gettext_noop("AWS region of the S3 bucket, the DynamoDB table and the Lambda function."),
							   gettext_noop("Empty means the AWS_REGION or AWS_DEFAULT_REGION environment variable, else us-east-1."),
							   &sage_aws_region,
							   "",
							   PGC_SIGHUP,
							   0,
							   guc_check_region, NULL, NULL);

	DefineCustomStringVariable("sage.s3_endpoint",
							   gettext_noop("S3 endpoint override, e.g. http://127.0.0.1:5000."),
							   gettext_noop("For test services and S3-compatible stores; implies path-style addressing. Empty means AWS's regional endpoint."),
							   &sage_s3_endpoint,
							   "",
							   PGC_SIGHUP,
							   0,
							   guc_check_endpoint, NULL, NULL);

	DefineCustomStringVariable("sage.dynamodb_endpoint",
							   gettext_noop("DynamoDB endpoint override, e.g. http://127.0.0.1:8000."),
							   gettext_noop("Empty means AWS's regional endpoint."),
							   &sage_dynamodb_endpoint,
							   "",
							   PGC_SIGHUP,
							   0,
							   guc_check_endpoint, NULL, NULL);

	DefineCustomStringVariable("sage.lambda_endpoint",
							   gettext_noop("AWS Lambda endpoint override, e.g. http://127.0.0.1:9001."),
							   gettext_noop("Empty means AWS's regional endpoint."),
							   &sage_lambda_endpoint,
							   "",
							   PGC_SIGHUP,
							   0,
							   guc_check_endpoint, NULL, NULL);

	DefineCustomStringVariable("sage.cloudwatch_endpoint",
							   gettext_noop("CloudWatch endpoint override."),
							   gettext_noop("Empty means AWS's regional endpoint."),
							   &sage_cloudwatch_endpoint,
							   "",
							   PGC_SIGHUP,
							   0,
							   guc_check_endpoint, NULL, NULL);

	DefineCustomStringVariable("sage.aws_ca_file",
							   gettext_noop("File of CA certificates for HTTPS connections to AWS."),
							   gettext_noop("Empty means the system's certificate store."),
							   &sage_aws_ca_file,
							   "",
							   PGC_SIGHUP,
							   0,
							   NULL, NULL, NULL);

	DefineCustomStringVariable("sage.aws_access_key_id",
							   gettext_noop("AWS access key id used by sage's background workers."),
							   gettext_noop("Empty means the environment, the ECS container credentials or the EC2 instance role. Credentials take effect at server start: PostgreSQL logs the new value of a setting changed by a reload."),
							   &sage_aws_access_key_id,
							   "",
							   PGC_POSTMASTER,
							   GUC_SUPERUSER_ONLY | GUC_NO_SHOW_ALL,
							   NULL, NULL, NULL);

	DefineCustomStringVariable("sage.aws_secret_access_key",
							   gettext_noop("AWS secret access key used with sage.aws_access_key_id."),
							   gettext_noop("Visible to superusers only; never written to the log by sage."),
							   &sage_aws_secret_access_key,
							   "",
							   PGC_POSTMASTER,
							   GUC_SUPERUSER_ONLY | GUC_NO_SHOW_ALL,
							   NULL, NULL, NULL);

	DefineCustomStringVariable("sage.aws_session_token",
							   gettext_noop("AWS session token of temporary credentials, or empty."),
							   gettext_noop("Visible to superusers only; never written to the log by sage."),
							   &sage_aws_session_token,
							   "",
							   PGC_POSTMASTER,
							   GUC_SUPERUSER_ONLY | GUC_NO_SHOW_ALL,
							   NULL, NULL, NULL);

	DefineCustomStringVariable("sage.s3_bucket",
							   gettext_noop("S3 bucket holding execution files."),
							   gettext_noop("Needed by sage.storage = s3 and by Lambda executions."),
							   &sage_s3_bucket,
							   "",
							   PGC_SIGHUP,
							   0,
							   guc_check_bucket, NULL, NULL);

	DefineCustomStringVariable("sage.s3_prefix",
							   gettext_noop("Key prefix of execution files in the S3 bucket."),
							   gettext_noop("Files of an execution go under <prefix><id>/, outputs of attempt n under <prefix><id>/attempt-<n>/."),
							   &sage_s3_prefix,
							   "executions/",
							   PGC_SIGHUP,
							   0,
							   guc_check_prefix, NULL, NULL);

	DefineCustomEnumVariable("sage.storage",
							 gettext_noop("Where executions processed locally keep their files: bytea or s3."),
							 NULL,
							 &sage_storage,
							 SAGE_STORAGE_BYTEA, sage_storage_options,
							 PGC_SIGHUP,
							 0,
							 NULL, NULL, NULL);

	DefineCustomEnumVariable("sage.lock",
							 gettext_noop("How workers exclude each other on an execution: advisory or dynamodb."),
							 gettext_noop("dynamodb lets several PostgreSQL servers share one bucket and lock table."),
							 &sage_lock,
							 SAGE_LOCK_ADVISORY, sage_lock_options,
							 PGC_SIGHUP,
							 0,
							 NULL, NULL, NULL);

	DefineCustomStringVariable("sage.lock_table",
							   gettext_noop("DynamoDB table of execution locks and final status records."),
							   NULL,
							   &sage_lock_table,
							   "sage_execution_locks",
							   PGC_SIGHUP,
							   0,
							   guc_check_table, NULL, NULL);

	DefineCustomIntVariable("sage.lock_lease",
							gettext_noop("Lease of a DynamoDB execution lock, renewed by a heartbeat."),
							gettext_noop("It bounds how fast a dead holder is replaced."),
							&sage_lock_lease,
							30, 5, 3600,
							PGC_SIGHUP,
							GUC_UNIT_S,
							NULL, NULL, NULL);

	DefineCustomIntVariable("sage.lock_ttl",
							gettext_noop("Age after which DynamoDB may delete a lock item (its TTL attribute)."),
							NULL,
							&sage_lock_ttl,
							3600, 60, 30 * 24 * 3600,
							PGC_SIGHUP,
							GUC_UNIT_S,
							NULL, NULL, NULL);

	DefineCustomBoolVariable("sage.copy_outputs",
							 gettext_noop("Copies the outputs of Lambda executions into the database at completion."),
							 gettext_noop("Off leaves them in S3 only; sage_file() reads them from there."),
							 &sage_copy_outputs,
							 true,
							 PGC_SIGHUP,
							 0,
							 NULL, NULL, NULL);
}

/*
 * Defines the GUCs. Called from _PG_init, whether or not the library is
 * preloaded, so that SET and SHOW work in every session.
 */
void
sage_guc_define(void)
{
	DefineCustomStringVariable("sage.database",
							   gettext_noop("Database in which the sage launcher and workers run."),
							   gettext_noop("The extension must be created in this database; the launcher waits until it is."),
							   &sage_database,
							   "postgres",
							   PGC_POSTMASTER,
							   0,
							   NULL, NULL, NULL);

	DefineCustomIntVariable("sage.max_local_executions",
							gettext_noop("Maximum number of executions processed at once by local workers."),
							gettext_noop("Each running execution uses one background worker; 0 disables local processing."),
							&sage_max_local_executions,
							3, 0, 64,
							PGC_POSTMASTER,
							0,
							NULL, NULL, NULL);

	DefineCustomIntVariable("sage.max_attempts",
							gettext_noop("Default number of attempts allowed per execution."),
							gettext_noop("An execution that fails transiently this many times becomes dead."),
							&sage_max_attempts,
							3, 1, 1000,
							PGC_USERSET,
							0,
							NULL, NULL, NULL);

	DefineCustomIntVariable("sage.retry_base",
							gettext_noop("Delay before the first retry of a transiently failed execution."),
							gettext_noop("The delay doubles at every attempt, up to sage.retry_cap, with random jitter of up to half."),
							&sage_retry_base,
							1000, 10, 3600 * 1000,
							PGC_SIGHUP,
							GUC_UNIT_MS,
							NULL, NULL, NULL);

	DefineCustomIntVariable("sage.retry_cap",
							gettext_noop("Longest delay between retries of an execution."),
							NULL,
							&sage_retry_cap,
							600000, 10, 24 * 3600 * 1000,
							PGC_SIGHUP,
							GUC_UNIT_MS,
							NULL, NULL, NULL);

	DefineCustomIntVariable("sage.lease",
							gettext_noop("Lease of a running execution."),
							gettext_noop("The launcher renews the leases of live local workers; an execution whose lease passes is returned to pending."),
							&sage_lease,
							60, 5, 24 * 3600,
							PGC_SIGHUP,
							GUC_UNIT_S,
							NULL, NULL, NULL);

	DefineCustomIntVariable("sage.retention",
							gettext_noop("Age after which finished executions and their files are deleted."),
							gettext_noop("0 keeps them forever."),
							&sage_retention,
							30 * 24 * 3600, 0, INT_MAX,
							PGC_SIGHUP,
							GUC_UNIT_S,
							NULL, NULL, NULL);

	DefineCustomIntVariable("sage.memory_limit",
							gettext_noop("Memory ceiling of one execution processed by a local worker."),
							gettext_noop("An execution that needs more fails with a memory limit error; 0 means no limit."),
							&sage_memory_limit,
							1024 * 1024, 0, INT_MAX,
							PGC_SIGHUP,
							GUC_UNIT_KB,
							NULL, NULL, NULL);

	DefineCustomBoolVariable("sage.synchronous_completion",
							 gettext_noop("Makes local workers wait for the WAL flush of each execution's result."),
							 gettext_noop("On by default, so a result a client has seen survives a crash. Turning it off can multiply throughput on slow disks: a result lost in a crash is then produced again by the next attempt, as the startup rescue runs interrupted executions again."),
							 &sage_synchronous_completion,
							 true,
							 PGC_SIGHUP,
							 0,
							 NULL, NULL, NULL);

	DefineCustomBoolVariable("sage.submit_bulk",
							 gettext_noop("Makes submits insert their rows in bulk, as COPY does."),
							 gettext_noop("Off inserts them through SQL statements, with random (version 4) ids, as before; for comparisons and benchmarks only."),
							 &sage_submit_bulk,
							 true,
							 PGC_USERSET,
							 GUC_NO_SHOW_ALL | GUC_NOT_IN_SAMPLE,
							 NULL, NULL, NULL);

	guc_define_aws();

	DefineCustomRealVariable("sage.lambda_price_gb_second_x86",
							 gettext_noop("Price of one GB-second of Lambda on x86_64, for sage.cost_daily."),
							 gettext_noop("In the currency of the bill, usually USD; the default is the us-east-1 price."),
							 &sage_lambda_price_gb_second_x86,
							 0.0000166667, 0.0, 1.0,
							 PGC_USERSET,
							 0,
							 NULL, NULL, NULL);

	DefineCustomRealVariable("sage.lambda_price_gb_second_arm64",
							 gettext_noop("Price of one GB-second of Lambda on arm64, for sage.cost_daily."),
							 gettext_noop("In the currency of the bill, usually USD; the default is the us-east-1 price."),
							 &sage_lambda_price_gb_second_arm64,
							 0.0000133334, 0.0, 1.0,
							 PGC_USERSET,
							 0,
							 NULL, NULL, NULL);

	DefineCustomRealVariable("sage.lambda_price_request",
							 gettext_noop("Price of one Lambda request, for sage.cost_daily."),
							 gettext_noop("In the currency of the bill, usually USD; the default is the us-east-1 price."),
							 &sage_lambda_price_request,
							 0.0000002, 0.0, 1.0,
							 PGC_USERSET,
							 0,
							 NULL, NULL, NULL);

	DefineCustomEnumVariable("sage.metrics",
							 gettext_noop("Where the launcher sends metrics of finished executions."),
							 gettext_noop("off, or cloudwatch (PutMetricData every sage.metrics_interval)."),
							 &sage_metrics,
							 SAGE_METRICS_OFF, guc_metrics_options,
							 PGC_SIGHUP,
							 0,
							 NULL, NULL, NULL);

	DefineCustomStringVariable("sage.metrics_namespace",
							   gettext_noop("CloudWatch namespace of the metrics the launcher sends."),
							   gettext_noop("The Lambda bootstrap's metrics use the namespace SAGE."),
							   &sage_metrics_namespace,
							   "SAGE",
							   PGC_SIGHUP,
							   0,
							   guc_check_metrics_namespace, NULL, NULL);

	DefineCustomIntVariable("sage.metrics_interval",
							gettext_noop("Least time between two pushes of metrics by the launcher."),
							NULL,
							&sage_metrics_interval,
							60, 1, 24 * 3600,
							PGC_SIGHUP,
							GUC_UNIT_S,
							NULL, NULL, NULL);

	DefineCustomStringVariable("sage.notify_channel",
							   gettext_noop("Channel on which the end of every execution is notified."),
							   gettext_noop("The payload is a JSON object (id, state, status, where, attempt); an empty string sends no notifications."),
							   &sage_notify_channel,
							   "sage_execution_done",
							   PGC_SIGHUP,
							   0,
							   guc_check_notify_channel, NULL, NULL);

	MarkGUCPrefixReserved("sage");
}
