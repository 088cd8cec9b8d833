/*-------------------------------------------------------------------------
 *
 * src/pg/dispatcher.c
 *		The dispatcher: a background worker ("sage dispatcher") that sends
 *		executions to AWS Lambda and, through the reconciler, commits their
 *		results. The launcher starts it while sage.lambda_function is set.
 *
 * One loop, one wait. Each turn:
 *
 *	1. reconcile (reconciler.c) every RECONCILE_INTERVAL_MS while
 *	   executions are dispatched (every RECONCILE_BUSY_INTERVAL_MS while
 *	   a backlog is being sent; at once after a pass that committed a
 *	   full page, when not);
 *	2. decide (offload.c) how many executions go to Lambda now, unless
 *	   Lambda is unavailable (cool-down after throttling, 5xx or network
 *	   errors: the executions stay pending for local workers);
 *	3. claim a batch in one short transaction, committed before anything
 *	   is sent: state dispatched, attempt + 1 (the fencing token the
 *	   Lambda attempt carries), "where" = lambda with the reason, and a
 *	   lease of sage.lambda_timeout plus a margin. The next batch is
 *	   claimed while the requests of the earlier ones are still in flight
 *	   (up to DISPATCH_JOBS_MAX claimed executions held at once);
 *	4. outside any transaction, upload bytea inputs to S3 (in parallel,
 *	   through one libcurl multi handle) and, once an execution's uploads
 *	   are done, start its asynchronous Event invoke through another;
 *	5. wait once on the latch, both multis' sockets and the nearest timer
 *	   (wait.c), then let the multis progress and act on finished
 *	   requests: a failed upload is handled as a failed invoke;
 *	   202 keeps the execution dispatched; throttling, 5xx and transport
 *	   failures return it to pending (its attempt consumed as a fencing
 *	   token but not counted against max_attempts: it never ran) and make
 *	   Lambda unavailable for a cool-down that doubles while failures go
 *	   on.
 *
 * Lambda's own retries of Event invocations must be off
 * (MaximumRetryAttempts = 0): the extension owns every retry, and a
 * Lambda retry would run an attempt the reconciler may already have
 * given up on (it would be fenced, but would waste a run).
 *
 * The payload carries references, never file contents: inputs are
 * uploaded to <s3_prefix><id>/inputs/<name> first, and the configuration
 * goes inline only when the event stays well under Lambda's 256 KB.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/proc.h"
#include "tcop/tcopprot.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/json.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"
#include "utils/uuid.h"

#include "sage/aws.h"
#include "sage/lambda.h"

#include "aws_config.h"
#include "dispatcher.h"
#include "sage_pg.h"

/* Executions claimed per transaction. */
#define DISPATCH_BATCH 256
/* Requests in flight on each multi handle (invokes; S3 puts) at once. */
#define DISPATCH_HTTP_MAX 256
/* Claimed executions held at once (uploading, waiting, invoking). */
#define DISPATCH_JOBS_MAX 1024
/* Cadence of the reconciler while executions are dispatched. */
#define RECONCILE_INTERVAL_MS 200
/*
 * Its cadence while a backlog is being dispatched: a pass blocks the loop
 * for a DynamoDB round trip or more, which would hold up the invokes.
 */
#define RECONCILE_BUSY_INTERVAL_MS 1000
/* Cadence of the reconciler when nothing was dispatched at its last pass. */
#define RECONCILE_IDLE_MS 5000
/* Longest wait when nothing is due (retries, cool-downs are rechecked). */
#define DISPATCH_IDLE_MS 1000
/* Cool-down of an unavailable Lambda: first and longest. */
#define COOLDOWN_MIN_MS 1000
#define COOLDOWN_MAX_MS 30000
/* Largest configuration sent inline in the event (bytes, before escaping). */
#define EVENT_INLINE_CONFIG_MAX (128 * 1024)
/* Seconds before the launcher starts a dispatcher that exited again. */
#define DISPATCHER_RESTART_S 5

/* Where a claimed execution is on its way to Lambda. */
typedef enum DispatchJobState
{
	DISPATCH_JOB_FREE = 0,		/* slot unused */
	DISPATCH_JOB_UPLOADING,		/* S3 puts to start or running */
	DISPATCH_JOB_READY,			/* uploads done: its invoke is to start */
	DISPATCH_JOB_INVOKING,		/* invoke in flight */
	DISPATCH_JOB_DONE			/* finished: ok, or failed with message */
} DispatchJobState;

/*
 * The memory of one claimed batch (events, input bodies), freed when the
 * last of its jobs is.
 */
typedef struct DispatchBatch
{
	MemoryContext cxt;			/* holds this struct too */
	int			live;			/* its jobs not yet freed */
} DispatchBatch;

/* An upload an execution needs before its invoke. */
typedef struct DispatchPut
{
	char	   *key;			/* S3 key */
	const char *data;			/* body, in the batch's memory */
	size_t		len;			/* its length */
	const char *content_type;	/* or NULL */
	char	   *what;			/* for messages: input "t.csv" */
	struct DispatchJob *job;	/* the job it belongs to */
} DispatchPut;

/* A claimed execution until Lambda accepted it or it was given back. */
typedef struct DispatchJob
{
	DispatchJobState state;		/* see DispatchJobState */
	DispatchBatch *batch;		/* owner of event and puts */
	pg_uuid_t	id;				/* execution */
	int32		attempt;		/* dispatched attempt */
	char	   *event;			/* the invoke's payload */
	DispatchPut *puts;			/* uploads needed first */
	int			nputs;			/* how many (fewer after a failed start) */
	int			next_put;		/* the next to start */
	int			puts_done;		/* finished, successfully or not */
	bool		failed;			/* an upload or the invoke failed */
	int			rc;				/* SageLambdaOutcome, or -1 */
	long		status;			/* HTTP status, 0 when none */
	long		retry_after_ms; /* a 429's Retry-After, or 0 */
	char		message[256];	/* why it failed (no secrets) */
} DispatchJob;

/* An execution claimed for Lambda, with what its event needs. */
typedef struct DispatchItem
{
	pg_uuid_t	id;				/* execution */
	char		idstr[UUID_LEN * 2 + 5];	/* as text */
	int32		attempt;		/* the new attempt */
	char	   *config;			/* YAML */
	char	   *package;		/* or NULL */
	int			ninputs;		/* input files */
	char	  **names;			/* their names */
	char	  **storage;		/* "bytea" or "s3" */
	bytea	  **content;		/* bytea inputs, else NULL */
	char	  **uri;			/* s3 inputs, else NULL */
} DispatchItem;

/*
 * Multi transports, created on first dispatch: invokes are never retried
 * by the transport (the dispatcher decides), S3 puts are.
 */
static SageHttpMulti *dispatch_multi = NULL;
static SageHttpMulti *dispatch_put_multi = NULL;
/* Claimed executions held, and how many slots are used. */
static DispatchJob dispatch_jobs[DISPATCH_JOBS_MAX];
static int	dispatch_njobs = 0;
/* Lambda unavailable until then (0 = available), and the current cool-down. */
static TimestampTz dispatch_unavailable_until = 0;
static long dispatch_cooldown_ms = 0;
/* Plans kept for the process. */
static SPIPlanPtr dispatch_claim_plan = NULL;
static SPIPlanPtr dispatch_inputs_plan = NULL;
static SPIPlanPtr dispatch_return_plan = NULL;
static SPIPlanPtr dispatch_fail_plan = NULL;
/* The launcher's handle on the dispatcher, and when it last started one. */
static BackgroundWorkerHandle *dispatcher_handle = NULL;
static TimestampTz dispatcher_started_at = 0;

/*
 * The batch claim. The candidates are a MATERIALIZED CTE: as an IN
 * subquery the planner may run the locking scan again for every outer
 * row, and each run's LIMIT then adds up.
 */
static const char *const dispatch_claim_sql =
"WITH c AS MATERIALIZED ("
"    SELECT p.id FROM sage.executions p "
"    WHERE p.state = 'pending' AND p.placement = $1 "
"      AND p.run_after <= pg_catalog.now() "
"    ORDER BY p.priority, p.submitted_at "
"    OFFSET $5 LIMIT $6 FOR UPDATE SKIP LOCKED) "
"UPDATE sage.executions e "
"SET state = 'dispatched', attempt = e.attempt + 1, "
"    started_at = pg_catalog.now(), finished_at = NULL, "
"    lease_until = pg_catalog.now() + pg_catalog.make_interval(secs => $3), "
"    \"where\" = 'lambda', "
"    where_reason = CASE e.placement WHEN 'lambda' THEN 'lambda requested at submit' "
"                   ELSE $2 END, "
"    worker_pid = $4, last_error = NULL "
"FROM c WHERE e.id = c.id AND e.state = 'pending' "
"RETURNING e.id, e.attempt, e.config, e.package";

static const char *const dispatch_inputs_sql =
"SELECT f.execution_id, f.name, f.storage, f.content, f.uri "
"FROM sage.execution_files f "
"WHERE f.execution_id = ANY ($1) AND f.role = 'in' "
"ORDER BY f.execution_id, f.ordinal";

/*
 * An invoke that never reached Lambda (or was refused by it) did not run
 * the attempt: back to pending, with its attempt number spent as a
 * fencing token but given back to the allowance (attempt_base + 1).
 * Forced executions wait for Lambda's cool-down; the others may be taken
 * by local workers at once, and say so in where_reason.
 */
static const char *const dispatch_return_sql =
"UPDATE sage.executions e "
"SET state = 'pending', lease_until = NULL, started_at = NULL, "
"    attempt_base = LEAST(e.attempt_base + 1, e.attempt), "
"    run_after = CASE WHEN e.placement = 'lambda' "
"                     THEN pg_catalog.now() + pg_catalog.make_interval(secs => $3) "
"                     ELSE pg_catalog.now() END, "
"    \"where\" = NULL, worker_pid = NULL, "
"    where_reason = CASE WHEN e.placement = 'lambda' "
"                        THEN 'lambda unavailable, retrying: ' || $4 "
"                        ELSE 'fallback to local: lambda unavailable: ' || $4 END, "
"    last_error = $4 "
"WHERE e.id = $1 AND e.attempt = $2 AND e.state = 'dispatched'";

/*
 * An execution that cannot run anywhere (no input, an input stored
 * nowhere) fails at once, as a local worker would fail it.
 */
static const char *const dispatch_fail_sql =
"UPDATE sage.executions e "
"SET state = 'failed', finished_at = pg_catalog.now(), lease_until = NULL, "
"    last_error = $3 "
"WHERE e.id = $1 AND e.attempt = $2 AND e.state = 'dispatched'";

/* --------------------------------------------------------- helpers */

/*
 * Starts a short transaction with a snapshot. Its commit waits for the WAL
 * flush: a claim's new attempt number must be durable before an invoke
 * carrying it leaves, or a crash could hand the same attempt out twice.
 */
static void
dispatch_begin(const char *activity)
{
	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	PushActiveSnapshot(GetTransactionSnapshot());
	pgstat_report_activity(STATE_RUNNING, activity);
}

/* Commits it. */
static void
dispatch_commit(void)
{
	PopActiveSnapshot();
	CommitTransactionCommand();
	pgstat_report_stat(false);
	pgstat_report_activity(STATE_IDLE, NULL);
}

/* Runs a query returning one bigint. */
static int64
dispatch_query_int(const char *sql, int nargs, Oid *argtypes, Datum *values)
{
	bool		isnull;
	Datum		d;

	if (SPI_execute_with_args(sql, nargs, argtypes, values, NULL, true, 1) != SPI_OK_SELECT ||
		SPI_processed != 1)
		elog(ERROR, "dispatcher query failed: %s", sql);
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	return isnull ? 0 : DatumGetInt64(d);
}

/* Is Lambda in its cool-down? */
static bool
dispatch_lambda_unavailable(TimestampTz now)
{
	return dispatch_unavailable_until != 0 && now < dispatch_unavailable_until;
}

/* Lambda refused or could not be reached: start or lengthen the cool-down. */
static void
dispatch_mark_unavailable(const char *why, long retry_after_ms)
{
	long		ms;
	bool		was = dispatch_cooldown_ms > 0;

	dispatch_cooldown_ms = was ? Min(dispatch_cooldown_ms * 2, COOLDOWN_MAX_MS) :
		COOLDOWN_MIN_MS;
	ms = Max(dispatch_cooldown_ms, Min(retry_after_ms, (long) COOLDOWN_MAX_MS));
	dispatch_unavailable_until = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), ms);
	ereport(LOG,
			errmsg("AWS Lambda is unavailable (%s): executions fall back to local workers for %ld ms",
				   why, ms));
}

/* An invoke was accepted: Lambda is available again. */
static void
dispatch_mark_available(void)
{
	if (dispatch_cooldown_ms > 0)
		ereport(LOG, errmsg("AWS Lambda is available again"));
	dispatch_cooldown_ms = 0;
	dispatch_unavailable_until = 0;
}

/*
 * Returns failed dispatches to pending (one transaction) and wakes the
 * local workers, which may take them.
 */
static void
dispatch_return(const pg_uuid_t *ids, const int32 *attempts, char **reasons, int n)
{
	Oid			argtypes[4] = {UUIDOID, INT4OID, FLOAT8OID, TEXTOID};
	int			i;

	if (n == 0)
		return;
	dispatch_begin("sage dispatcher: returning executions Lambda did not take");
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	for (i = 0; i < n; i++)
	{
		Datum		values[4];

		values[0] = UUIDPGetDatum(&ids[i]);
		values[1] = Int32GetDatum(attempts[i]);
		values[2] = Float8GetDatum(Max(dispatch_cooldown_ms, COOLDOWN_MIN_MS) / 1000.0);
		values[3] = CStringGetTextDatum(reasons[i]);
		if (SPI_execute_plan(sage_spi_plan(&dispatch_return_plan, dispatch_return_sql,
										   4, argtypes),
							 values, NULL, false, 0) != SPI_OK_UPDATE)
			elog(ERROR, "could not return an execution to pending");
	}
	SPI_finish();
	dispatch_commit();
	sage_shmem_wake_all();
}

/* Fails executions that cannot run (one short transaction). */
static void
dispatch_fail(const pg_uuid_t *ids, const int32 *attempts, char **reasons, int n)
{
	Oid			argtypes[3] = {UUIDOID, INT4OID, TEXTOID};
	int			i;

	if (n == 0)
		return;
	dispatch_begin("sage dispatcher: failing executions that cannot run");
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	for (i = 0; i < n; i++)
	{
		Datum		values[3];

		values[0] = UUIDPGetDatum(&ids[i]);
		values[1] = Int32GetDatum(attempts[i]);
		values[2] = CStringGetTextDatum(reasons[i]);
		if (SPI_execute_plan(sage_spi_plan(&dispatch_fail_plan, dispatch_fail_sql, 3,
										   argtypes),
							 values, NULL, false, 0) != SPI_OK_UPDATE)
			elog(ERROR, "could not fail an execution");
	}
	SPI_finish();
	dispatch_commit();
}

/* ----------------------------------------------------------- claim */

/* Claims up to limit executions of a placement (one statement). */
static int
dispatch_claim_some(const char *placement, const char *reason, int skip, int limit,
					DispatchItem *items, int nitems, MemoryContext cxt)
{
	Oid			argtypes[6] = {TEXTOID, TEXTOID, FLOAT8OID, INT4OID, INT8OID, INT8OID};
	Datum		values[6];
	uint64		i;
	int			nestlevel;

	if (limit <= 0)
		return nitems;
	values[0] = CStringGetTextDatum(placement);
	values[1] = CStringGetTextDatum(reason ? reason : "");
	values[2] = Float8GetDatum((double) sage_lambda_timeout +
							   Min(sage_lambda_timeout, SAGE_DISPATCH_LEASE_MARGIN_S));
	values[3] = Int32GetDatum(MyProcPid);
	values[4] = Int64GetDatum(skip);
	values[5] = Int64GetDatum(limit);

	/* as the local claim: walk the claim index, never sort the backlog */
	nestlevel = NewGUCNestLevel();
	(void) set_config_option("enable_sort", "off", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	(void) set_config_option("enable_bitmapscan", "off", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	if (SPI_execute_plan(sage_spi_plan(&dispatch_claim_plan, dispatch_claim_sql, 6, argtypes),
						 values, NULL, false, 0) != SPI_OK_UPDATE_RETURNING)
		elog(ERROR, "could not claim executions for Lambda");
	AtEOXact_GUC(true, nestlevel);

	if (SPI_processed > (uint64) limit)
		elog(ERROR, "dispatch claim returned " UINT64_FORMAT " executions, more than %d",
			 SPI_processed, limit);
	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		DispatchItem *it = &items[nitems++];
		bool		isnull;
		Datum		d;
		MemoryContext old = MemoryContextSwitchTo(cxt);
		char	   *s;

		memset(it, 0, sizeof(*it));
		it->id = *DatumGetUUIDP(SPI_getbinval(tup, desc, 1, &isnull));
		it->attempt = DatumGetInt32(SPI_getbinval(tup, desc, 2, &isnull));
		d = SPI_getbinval(tup, desc, 3, &isnull);
		it->config = isnull ? pstrdup("") : TextDatumGetCString(d);
		d = SPI_getbinval(tup, desc, 4, &isnull);
		it->package = isnull ? NULL : TextDatumGetCString(d);
		s = DatumGetCString(DirectFunctionCall1(uuid_out, UUIDPGetDatum(&it->id)));
		strlcpy(it->idstr, s, sizeof(it->idstr));
		MemoryContextSwitchTo(old);
	}
	return nitems;
}

/* Reads the inputs of the claimed executions into cxt. */
static void
dispatch_read_inputs(DispatchItem *items, int n, MemoryContext cxt)
{
	Oid			argtypes[1] = {UUIDARRAYOID};
	Datum		values[1];
	Datum	   *ids = palloc(sizeof(Datum) * n);
	uint64		r;
	int			i;
	int			cur = 0;

	for (i = 0; i < n; i++)
		ids[i] = UUIDPGetDatum(&items[i].id);
	values[0] = PointerGetDatum(construct_array(ids, n, UUIDOID, UUID_LEN, false,
												TYPALIGN_CHAR));
	if (SPI_execute_plan(sage_spi_plan(&dispatch_inputs_plan, dispatch_inputs_sql,
									   1, argtypes),
						 values, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read the inputs of dispatched executions");

	/* count per execution first, then fill */
	for (r = 0; r < SPI_processed; r++)
	{
		bool		isnull;
		pg_uuid_t  *id = DatumGetUUIDP(SPI_getbinval(SPI_tuptable->vals[r],
													 SPI_tuptable->tupdesc, 1, &isnull));

		for (i = 0; i < n; i++)
			if (memcmp(&items[i].id, id, sizeof(pg_uuid_t)) == 0)
			{
				items[i].ninputs++;
				break;
			}
	}
	for (i = 0; i < n; i++)
	{
		int			k = Max(items[i].ninputs, 1);

		items[i].names = MemoryContextAllocZero(cxt, sizeof(char *) * k);
		items[i].storage = MemoryContextAllocZero(cxt, sizeof(char *) * k);
		items[i].content = MemoryContextAllocZero(cxt, sizeof(bytea *) * k);
		items[i].uri = MemoryContextAllocZero(cxt, sizeof(char *) * k);
		items[i].ninputs = 0;
	}
	for (r = 0; r < SPI_processed; r++)
	{
		HeapTuple	tup = SPI_tuptable->vals[r];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;
		pg_uuid_t  *id = DatumGetUUIDP(SPI_getbinval(tup, desc, 1, &isnull));
		DispatchItem *it = NULL;
		MemoryContext old;
		Datum		d;
		int			k;

		/* rows come grouped by execution: usually the current one */
		if (memcmp(&items[cur].id, id, sizeof(pg_uuid_t)) != 0)
			for (cur = 0; cur < n; cur++)
				if (memcmp(&items[cur].id, id, sizeof(pg_uuid_t)) == 0)
					break;
		if (cur >= n)
		{
			cur = 0;
			continue;
		}
		it = &items[cur];
		k = it->ninputs++;
		old = MemoryContextSwitchTo(cxt);
		it->names[k] = TextDatumGetCString(SPI_getbinval(tup, desc, 2, &isnull));
		it->storage[k] = TextDatumGetCString(SPI_getbinval(tup, desc, 3, &isnull));
		d = SPI_getbinval(tup, desc, 4, &isnull);
		it->content[k] = isnull ? NULL : DatumGetByteaPCopy(d);
		d = SPI_getbinval(tup, desc, 5, &isnull);
		it->uri[k] = isnull ? NULL : TextDatumGetCString(d);
		MemoryContextSwitchTo(old);
	}
}

/* ----------------------------------------------------------- invoke */

/* The invoke multi's done callback: records the outcome; never throws. */
static void
dispatch_invoke_done(void *arg, int rc, const SageLambdaResult *res,
					 const SageError *err)
{
	DispatchJob *job = (DispatchJob *) arg;

	job->state = DISPATCH_JOB_DONE;
	job->rc = rc;
	job->failed = rc != SAGE_LAMBDA_OK;
	job->status = res ? res->status : 0;
	job->retry_after_ms = 0;
	job->message[0] = '\0';
	if (rc == SAGE_LAMBDA_THROTTLED)
	{
		snprintf(job->message, sizeof(job->message), "throttled (HTTP 429%s%s)",
				 res && res->throttle_reason ? ", " : "",
				 res && res->throttle_reason ? res->throttle_reason : "");
		if (res && res->retry_after)
			job->retry_after_ms = atol(res->retry_after) * 1000;
	}
	else if (rc < 0 && err)
		snprintf(job->message, sizeof(job->message), "%s", err->message);
	else if (rc != SAGE_LAMBDA_OK)
		snprintf(job->message, sizeof(job->message), "unexpected answer (HTTP %ld)",
				 job->status);
}

/* The put multi's done callback: counts the upload; never throws. */
static void
dispatch_put_done(void *arg, int rc, const SageError *err)
{
	DispatchPut *p = (DispatchPut *) arg;
	DispatchJob *job = p->job;

	job->puts_done++;
	if (rc < 0 && !job->failed)
	{
		job->failed = true;
		snprintf(job->message, sizeof(job->message), "could not upload %s to S3: %s",
				 p->what, err ? err->message : "unknown error");
	}
}

/* A free job slot, or NULL. */
static DispatchJob *
dispatch_free_job(void)
{
	int			i;

	if (dispatch_njobs >= DISPATCH_JOBS_MAX)
		return NULL;
	for (i = 0; i < DISPATCH_JOBS_MAX; i++)
		if (dispatch_jobs[i].state == DISPATCH_JOB_FREE)
			return &dispatch_jobs[i];
	return NULL;
}

/* Releases a job, and its batch's memory with the batch's last job. */
static void
dispatch_release_job(DispatchJob *job)
{
	DispatchBatch *b = job->batch;

	memset(job, 0, sizeof(*job));
	dispatch_njobs--;
	if (b && --b->live == 0)
		MemoryContextDelete(b->cxt);
}

/* A multi handle with the AWS transport options, or ERROR. */
static SageHttpMulti *
dispatch_new_multi(int max_attempts, const char *what)
{
	SageHttpOptions opts;
	SageError	err;
	SageHttpMulti *m;

	sage_pg_aws_http_options(&opts);
	if (max_attempts > 0)
		opts.max_attempts = max_attempts;
	opts.timeout_ms = 10000;
	memset(&err, 0, sizeof(err));
	m = sage_http_multi_new(&opts, DISPATCH_HTTP_MAX, &err);
	if (m == NULL)
		sage_pg_aws_report(ERROR, &err, what);
	return m;
}

/* The multi handles, created on first use. */
static void
dispatch_get_multis(void)
{
	if (dispatch_multi == NULL)
		/* the dispatcher decides about retries of invokes */
		dispatch_multi = dispatch_new_multi(1, "could not set up the Lambda dispatch transport");
	if (dispatch_put_multi == NULL)
		dispatch_put_multi = dispatch_new_multi(0, "could not set up the S3 upload transport");
}

/*
 * S3 key of an input already in sage.s3_bucket (storage s3, as
 * sage.storage = s3 leaves them), or NULL when it must be uploaded.
 */
static char *
dispatch_input_in_s3(const DispatchItem *it, int k)
{
	char	   *bucket_prefix;

	if (strcmp(it->storage[k], "s3") != 0 || it->uri[k] == NULL)
		return NULL;
	bucket_prefix = psprintf("s3://%s/", sage_s3_bucket);
	if (strncmp(it->uri[k], bucket_prefix, strlen(bucket_prefix)) != 0)
		return NULL;
	return pstrdup(it->uri[k] + strlen(bucket_prefix));
}

/*
 * Builds the event of a claimed execution (in the current memory context)
 * and the uploads it needs first: the keys are known before anything is
 * sent. Returns NULL with *why when the execution cannot run anywhere.
 */
static char *
dispatch_build_event(DispatchItem *it, DispatchPut **puts, int *nputs, char **why)
{
	StringInfoData ev;
	int			k;
	int			n = 0;

	*why = NULL;
	*puts = NULL;
	*nputs = 0;
	if (it->ninputs == 0)
	{
		*why = pstrdup("execution has no input file");
		return NULL;
	}
	*puts = palloc0(sizeof(DispatchPut) * (it->ninputs + 1));
	initStringInfo(&ev);
	appendStringInfoString(&ev, "{\"execution_id\":");
	escape_json(&ev, it->idstr);
	appendStringInfo(&ev, ",\"attempt\":%d", it->attempt);
	if (strlen(it->config) <= EVENT_INLINE_CONFIG_MAX)
	{
		appendStringInfoString(&ev, ",\"yaml_config\":");
		escape_json(&ev, it->config);
	}
	else
	{
		DispatchPut *p = &(*puts)[n++];

		p->key = psprintf("%s%s/config.yaml", sage_s3_prefix, it->idstr);
		p->data = it->config;
		p->len = strlen(it->config);
		p->content_type = "application/yaml";
		p->what = pstrdup("the configuration");
		appendStringInfoString(&ev, ",\"config_key\":");
		escape_json(&ev, p->key);
	}
	if (it->package)
	{
		appendStringInfoString(&ev, ",\"package\":");
		escape_json(&ev, it->package);
	}
	appendStringInfoString(&ev, ",\"input_files\":[");
	for (k = 0; k < it->ninputs; k++)
	{
		char	   *key = dispatch_input_in_s3(it, k);

		if (key == NULL)
		{
			DispatchPut *p;

			/* in the database: uploaded under the execution's prefix */
			if (it->content[k] == NULL)
			{
				*why = psprintf("input file \"%s\" is neither in the database nor in bucket \"%s\"",
								it->names[k], sage_s3_bucket);
				return NULL;
			}
			key = psprintf("%s%s/inputs/%s", sage_s3_prefix, it->idstr, it->names[k]);
			p = &(*puts)[n++];
			p->key = key;
			p->data = VARDATA_ANY(it->content[k]);
			p->len = VARSIZE_ANY_EXHDR(it->content[k]);
			p->what = psprintf("input \"%s\"", it->names[k]);
		}
		if (k > 0)
			appendStringInfoChar(&ev, ',');
		appendStringInfoString(&ev, "{\"name\":");
		escape_json(&ev, it->names[k]);
		appendStringInfoString(&ev, ",\"key\":");
		escape_json(&ev, key);
		appendStringInfoChar(&ev, '}');
	}
	appendStringInfoString(&ev, "],\"bucket\":");
	escape_json(&ev, sage_s3_bucket);
	appendStringInfoString(&ev, ",\"prefix\":");
	escape_json(&ev, sage_s3_prefix);
	appendStringInfoString(&ev, ",\"lock_table\":");
	escape_json(&ev, sage_lock_table);
	appendStringInfoChar(&ev, '}');
	*nputs = n;
	return ev.data;
}

/*
 * Starts what can start: uploads of jobs that need them and invokes of
 * jobs whose uploads are done, while the multis have room. While Lambda
 * is unavailable, jobs with nothing in flight are given up (returned to
 * pending by dispatch_collect). A request that cannot even start fails
 * its job and makes Lambda unavailable, as a failed invoke does.
 */
static void
dispatch_start_requests(void)
{
	SageLambdaClient *client = NULL;
	SageS3Client *s3 = NULL;
	bool		puts_full = false;
	bool		invokes_full = false;
	int			i;

	if (dispatch_njobs == 0)
		return;
	dispatch_get_multis();
	for (i = 0; i < DISPATCH_JOBS_MAX && !(puts_full && invokes_full); i++)
	{
		DispatchJob *job = &dispatch_jobs[i];
		SageError	err;

		if (job->state == DISPATCH_JOB_UPLOADING)
		{
			/* nothing sent yet and Lambda unavailable: give it back */
			if (job->next_put == 0 && dispatch_lambda_unavailable(GetCurrentTimestamp()))
			{
				job->failed = true;
				snprintf(job->message, sizeof(job->message),
						 "an earlier dispatch failed: AWS Lambda is unavailable");
				job->nputs = 0;
			}
			while (!job->failed && job->next_put < job->nputs && !puts_full)
			{
				DispatchPut *p = &job->puts[job->next_put];

				if (sage_http_multi_inflight(dispatch_put_multi) >= DISPATCH_HTTP_MAX)
				{
					puts_full = true;
					break;
				}
				if (s3 == NULL)
					s3 = sage_pg_s3_client();
				memset(&err, 0, sizeof(err));
				p->job = job;
				if (sage_s3_put_multi(s3, dispatch_put_multi, p->key, p->data, p->len,
									  p->content_type, dispatch_put_done, p, &err) == 0)
				{
					job->next_put++;
					continue;
				}
				job->failed = true;
				snprintf(job->message, sizeof(job->message),
						 "could not upload %s to S3: %s", p->what, err.message);
				job->nputs = job->next_put;
			}
			/* after a failure, only the puts already started are awaited */
			if (job->failed)
				job->nputs = job->next_put;
			if (job->puts_done < job->nputs || job->next_put < job->nputs)
				continue;
			job->state = job->failed ? DISPATCH_JOB_DONE : DISPATCH_JOB_READY;
		}
		if (job->state != DISPATCH_JOB_READY || invokes_full)
			continue;
		if (dispatch_lambda_unavailable(GetCurrentTimestamp()))
		{
			job->failed = true;
			snprintf(job->message, sizeof(job->message),
					 "an earlier dispatch failed: AWS Lambda is unavailable");
			job->state = DISPATCH_JOB_DONE;
			continue;
		}
		if (sage_http_multi_inflight(dispatch_multi) >= DISPATCH_HTTP_MAX)
		{
			invokes_full = true;
			continue;
		}
		if (client == NULL)
			client = sage_pg_lambda_client();
		memset(&err, 0, sizeof(err));
		job->state = DISPATCH_JOB_INVOKING;
		if (sage_lambda_invoke_multi(client, dispatch_multi, sage_lambda_function,
									 SAGE_LAMBDA_EVENT, job->event, strlen(job->event),
									 dispatch_invoke_done, job, &err) == 0)
			continue;
		job->state = DISPATCH_JOB_DONE;
		job->failed = true;
		snprintf(job->message, sizeof(job->message), "could not start the invoke: %s",
				 err.message);
		dispatch_mark_unavailable(job->message, 0);
	}
}

/*
 * Acts on finished jobs: an accepted invoke keeps the execution
 * dispatched; anything else returns it to pending (one transaction) and
 * makes Lambda unavailable for a while.
 */
static void
dispatch_collect(void)
{
	pg_uuid_t	ids[DISPATCH_JOBS_MAX];
	int32		attempts[DISPATCH_JOBS_MAX];
	char	   *reasons[DISPATCH_JOBS_MAX];
	int			n = 0;
	int			i;
	long		retry_after = 0;
	bool		ok = false;

	for (i = 0; i < DISPATCH_JOBS_MAX; i++)
	{
		DispatchJob *job = &dispatch_jobs[i];

		if (job->state != DISPATCH_JOB_DONE)
			continue;
		if (!job->failed)
			ok = true;
		else
		{
			ids[n] = job->id;
			attempts[n] = job->attempt;
			reasons[n] = pstrdup(job->message[0] ? job->message : "invoke failed");
			retry_after = Max(retry_after, job->retry_after_ms);
			n++;
		}
		dispatch_release_job(job);
	}
	if (n > 0)
	{
		if (!dispatch_lambda_unavailable(GetCurrentTimestamp()))
			dispatch_mark_unavailable(reasons[0], retry_after);
		dispatch_return(ids, attempts, reasons, n);
	}
	else if (ok)
		dispatch_mark_available();
}

/*
 * One dispatch pass: decide and claim a batch, build its events and hand
 * them to jobs (dispatch_start_requests sends them). Claims only while a
 * whole batch fits among the jobs held, so that batches stay large while
 * the earlier ones are in flight. Returns true when it took a full batch
 * and room remains (more may be waiting: go on without waiting).
 */
static bool
dispatch_pass(MemoryContext cxt)
{
	SageOffloadDecision d;
	DispatchItem *items;
	DispatchBatch *batch;
	MemoryContext bcxt;
	MemoryContext old;
	int			nitems = 0;
	int			limit;
	int			i;
	int64		inflight;
	int64		pending_auto;
	int64		pending_forced;
	pg_uuid_t  *failed_ids;
	int32	   *failed_attempts;
	char	  **failed_reasons;
	int			nfailed = 0;

	if (DISPATCH_JOBS_MAX - dispatch_njobs < DISPATCH_BATCH ||
		dispatch_lambda_unavailable(GetCurrentTimestamp()))
		return false;
	if (sage_s3_bucket == NULL || sage_s3_bucket[0] == '\0')
	{
		ereport(WARNING,
				errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				errmsg("cannot dispatch executions to AWS Lambda: no S3 bucket is configured"),
				errhint("Set %s.", "sage.s3_bucket"));
		dispatch_mark_unavailable("no S3 bucket is configured", COOLDOWN_MAX_MS);
		return false;
	}

	bcxt = AllocSetContextCreate(TopMemoryContext, "sage dispatch batch",
								 ALLOCSET_DEFAULT_SIZES);
	batch = MemoryContextAllocZero(bcxt, sizeof(DispatchBatch));
	batch->cxt = bcxt;
	items = palloc0(sizeof(DispatchItem) * DISPATCH_BATCH);
	dispatch_begin("sage dispatcher: claiming executions for Lambda");
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	inflight = dispatch_query_int("SELECT pg_catalog.count(*) FROM sage.executions "
								  "WHERE state = 'dispatched'", 0, NULL, NULL);
	{
		Oid			argtypes[1] = {INT8OID};
		Datum		values[1];
		int64		cap = (int64) Max(sage_lambda_max_inflight, 1) + 1;

		values[0] = Int64GetDatum(cap);
		pending_forced = dispatch_query_int(
											"SELECT pg_catalog.count(*) FROM (SELECT 1 FROM sage.executions "
											"WHERE state = 'pending' AND placement = 'lambda' "
											"AND run_after <= pg_catalog.now() LIMIT $1) s",
											1, argtypes, values);
		cap += (int64) (sage_offload_queue_threshold > 0 ? sage_offload_queue_threshold :
						sage_max_local_executions);
		values[0] = Int64GetDatum(cap);
		pending_auto = dispatch_query_int(
										  "SELECT pg_catalog.count(*) FROM (SELECT 1 FROM sage.executions "
										  "WHERE state = 'pending' AND placement = 'auto' "
										  "AND run_after <= pg_catalog.now() LIMIT $1) s",
										  1, argtypes, values);
	}
	sage_offload_decide((int) Min(inflight, (int64) INT_MAX), pending_auto,
						pending_forced, &d);
	limit = DISPATCH_BATCH;
	nitems = dispatch_claim_some("lambda", NULL, 0, Min(d.forced, limit),
								 items, nitems, bcxt);
	nitems = dispatch_claim_some("auto", d.reason, d.skip,
								 Min(d.automatic, limit - nitems), items, nitems, bcxt);
	if (nitems > 0)
		dispatch_read_inputs(items, nitems, bcxt);
	SPI_finish();
	dispatch_commit();
	if (nitems == 0)
	{
		MemoryContextDelete(bcxt);
		return false;
	}

	/* outside any transaction from here: events, then jobs */
	failed_ids = palloc(sizeof(pg_uuid_t) * nitems);
	failed_attempts = palloc(sizeof(int32) * nitems);
	failed_reasons = palloc(sizeof(char *) * nitems);
	for (i = 0; i < nitems; i++)
	{
		DispatchItem *it = &items[i];
		DispatchJob *job;
		DispatchPut *puts;
		int			nputs;
		char	   *why;
		char	   *event;

		old = MemoryContextSwitchTo(bcxt);
		event = dispatch_build_event(it, &puts, &nputs, &why);
		MemoryContextSwitchTo(old);
		if (event == NULL)
		{
			failed_ids[nfailed] = it->id;
			failed_attempts[nfailed] = it->attempt;
			failed_reasons[nfailed++] = why;
			continue;
		}
		/* there is room: checked above, and jobs are freed only here */
		job = dispatch_free_job();
		if (job == NULL)
			elog(ERROR, "no free dispatch slot");
		memset(job, 0, sizeof(*job));
		job->state = DISPATCH_JOB_UPLOADING;
		job->batch = batch;
		job->id = it->id;
		job->attempt = it->attempt;
		job->event = event;
		job->puts = puts;
		job->nputs = nputs;
		batch->live++;
		dispatch_njobs++;
	}
	dispatch_fail(failed_ids, failed_attempts, failed_reasons, nfailed);
	if (batch->live == 0)
		MemoryContextDelete(bcxt);
	pgstat_report_activity(STATE_RUNNING, "sage dispatcher: invoking Lambda");
	dispatch_start_requests();
	return nitems >= limit && DISPATCH_JOBS_MAX - dispatch_njobs >= DISPATCH_BATCH;
}

/*
 * Lets the multis progress, starts what became possible and acts on
 * finished jobs.
 */
static void
dispatch_drive(void)
{
	SageError	err;

	memset(&err, 0, sizeof(err));
	if (dispatch_put_multi && sage_http_multi_perform(dispatch_put_multi, &err) != 0)
		sage_pg_aws_report(ERROR, &err, "could not drive the S3 uploads");
	memset(&err, 0, sizeof(err));
	if (dispatch_multi && sage_http_multi_perform(dispatch_multi, &err) != 0)
		sage_pg_aws_report(ERROR, &err, "could not drive the Lambda invokes");
	dispatch_start_requests();
	dispatch_collect();
}

/* Adds a multi's sockets to ws and lowers *timeout_ms to its timer. */
static int
dispatch_multi_sockets(SageHttpMulti *m, SageWaitSocket *ws, int n, int max,
					   long *timeout_ms)
{
	SageHttpSocket hs[DISPATCH_HTTP_MAX * 2];
	long		multi_timeout = -1;
	int			k;
	int			i;

	if (m == NULL || sage_http_multi_inflight(m) == 0)
		return n;
	k = sage_http_multi_sockets(m, hs, Min(max - n, (int) lengthof(hs)), &multi_timeout);
	for (i = 0; i < k; i++)
	{
		ws[n + i].fd = hs[i].fd;
		ws[n + i].want_read = hs[i].want_read;
		ws[n + i].want_write = hs[i].want_write;
	}
	if (multi_timeout >= 0 && (*timeout_ms < 0 || multi_timeout < *timeout_ms))
		*timeout_ms = multi_timeout;
	return n + k;
}

/* Waits on the latch, the multis' sockets and timeout_ms. */
static void
dispatch_wait(long timeout_ms)
{
	SageWaitSocket ws[DISPATCH_HTTP_MAX * 4];
	int			n = 0;

	n = dispatch_multi_sockets(dispatch_multi, ws, n, lengthof(ws), &timeout_ms);
	n = dispatch_multi_sockets(dispatch_put_multi, ws, n, lengthof(ws), &timeout_ms);
	pgstat_report_activity(STATE_IDLE, NULL);
	(void) sage_wait_sockets(SAGE_WAIT_DISPATCHER_MAIN, ws, n, timeout_ms);
}

/* Are executions dispatched (in one short transaction)? */
static bool
dispatch_any_dispatched(void)
{
	bool		any;

	dispatch_begin("sage dispatcher: checking for dispatched executions");
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	any = dispatch_query_int("SELECT pg_catalog.count(*) FROM (SELECT 1 FROM sage.executions "
							 "WHERE state = 'dispatched' LIMIT 1) s", 0, NULL, NULL) > 0;
	SPI_finish();
	dispatch_commit();
	return any;
}

/* Clears the dispatcher's shared fields when it exits. */
static void
dispatcher_detach(int code, Datum arg)
{
	LWLockAcquire(sage_shared->lock, LW_EXCLUSIVE);
	if (sage_shared->dispatcher_pid == MyProcPid)
	{
		sage_shared->dispatcher_pid = 0;
		sage_shared->dispatcher_latch = NULL;
	}
	LWLockRelease(sage_shared->lock);
	if (dispatch_multi)
	{
		sage_http_multi_free(dispatch_multi);
		dispatch_multi = NULL;
	}
	if (dispatch_put_multi)
	{
		sage_http_multi_free(dispatch_put_multi);
		dispatch_put_multi = NULL;
	}
	sage_reconcile_reset();
	sage_pg_aws_reset();
}

/* Entry point of the dispatcher; bgw_extra holds the database OID. */
void
sage_dispatcher_main(Datum main_arg)
{
	Oid			dboid;
	MemoryContext pass_cxt;
	TimestampTz last_reconcile = 0;
	bool		reconcile_needed = true;	/* executions may be dispatched */
	bool		dispatching = false;	/* a backlog is being sent */

	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();

	if (sage_shared == NULL)
		elog(FATAL, "sage shared memory is not initialized");
	LWLockAcquire(sage_shared->lock, LW_EXCLUSIVE);
	if (sage_shared->dispatcher_pid != 0)
	{
		LWLockRelease(sage_shared->lock);
		ereport(LOG, errmsg("another sage dispatcher is running"));
		proc_exit(0);
	}
	sage_shared->dispatcher_pid = MyProcPid;
	sage_shared->dispatcher_latch = &MyProc->procLatch;
	LWLockRelease(sage_shared->lock);
	before_shmem_exit(dispatcher_detach, (Datum) 0);

	memcpy(&dboid, MyBgworkerEntry->bgw_extra, sizeof(Oid));
	BackgroundWorkerInitializeConnectionByOid(dboid, InvalidOid, 0);
	pgstat_report_appname(SAGE_DISPATCHER_TYPE);
	pass_cxt = AllocSetContextCreate(TopMemoryContext, "sage dispatcher pass",
									 ALLOCSET_DEFAULT_SIZES);
	ereport(LOG, errmsg("sage dispatcher started for AWS Lambda function \"%s\"",
						sage_lambda_function));

	for (;;)
	{
		long		timeout;
		long		interval;
		bool		more = false;
		MemoryContext old;

		CHECK_FOR_INTERRUPTS();
		/* new settings only between invokes: the clients are rebuilt */
		if (ConfigReloadPending && dispatch_njobs == 0)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
			/* nothing is in flight: transports take the new TLS and timeouts */
			if (dispatch_multi != NULL &&
				sage_http_multi_inflight(dispatch_multi) == 0 &&
				(dispatch_put_multi == NULL ||
				 sage_http_multi_inflight(dispatch_put_multi) == 0))
			{
				sage_http_multi_free(dispatch_multi);
				dispatch_multi = NULL;
				if (dispatch_put_multi != NULL)
					sage_http_multi_free(dispatch_put_multi);
				dispatch_put_multi = NULL;
			}
			sage_reconcile_reset();
		}

		MemoryContextReset(pass_cxt);
		old = MemoryContextSwitchTo(pass_cxt);

		/* Lambda no longer configured: finish what is dispatched, then exit */
		if (!sage_pg_aws_configured() && dispatch_njobs == 0 &&
			!dispatch_any_dispatched())
		{
			ereport(LOG, errmsg("sage dispatcher exiting: %s is not set",
								"sage.lambda_function"));
			break;
		}

		/*
		 * Reconcile often while executions are dispatched; otherwise only
		 * now and then (a dispatch sets reconcile_needed).
		 */
		interval = !reconcile_needed ? RECONCILE_IDLE_MS :
			dispatching ? RECONCILE_BUSY_INTERVAL_MS : RECONCILE_INTERVAL_MS;
		if ((sage_reconcile_more() && !dispatching) ||
			TimestampDifferenceExceeds(last_reconcile, GetCurrentTimestamp(), interval))
		{
			reconcile_needed = sage_reconcile_pass(pass_cxt) > 0;
			last_reconcile = GetCurrentTimestamp();
		}

		if (sage_pg_aws_configured())
			more = dispatch_pass(pass_cxt);
		if (dispatch_njobs > 0)
			reconcile_needed = true;
		dispatch_drive();
		dispatching = more || dispatch_njobs > 0;

		MemoryContextSwitchTo(old);

		interval = !reconcile_needed ? RECONCILE_IDLE_MS :
			dispatching ? RECONCILE_BUSY_INTERVAL_MS : RECONCILE_INTERVAL_MS;
		timeout = interval -
			TimestampDifferenceMilliseconds(last_reconcile, GetCurrentTimestamp());
		timeout = Max(Min(timeout, (long) DISPATCH_IDLE_MS), 0);
		if (dispatch_unavailable_until != 0)
			timeout = Min(timeout,
						  Max(TimestampDifferenceMilliseconds(GetCurrentTimestamp(),
															  dispatch_unavailable_until), 0));
		if (more || (sage_reconcile_more() && !dispatching))
			timeout = 0;
		dispatch_wait(timeout);
		dispatch_drive();
	}
	proc_exit(0);
}

/* ------------------------------------------------- launcher's side */

/* Registers and starts the dispatcher (from the launcher). */
static void
dispatcher_start(void)
{
	BackgroundWorker worker;

	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker.bgw_restart_time = BGW_NEVER_RESTART;
	snprintf(worker.bgw_library_name, BGW_MAXLEN, "sage");
	snprintf(worker.bgw_function_name, BGW_MAXLEN, "sage_dispatcher_main");
	snprintf(worker.bgw_name, BGW_MAXLEN, SAGE_DISPATCHER_TYPE);
	snprintf(worker.bgw_type, BGW_MAXLEN, SAGE_DISPATCHER_TYPE);
	memcpy(worker.bgw_extra, &MyDatabaseId, sizeof(Oid));
	worker.bgw_notify_pid = MyProcPid;

	dispatcher_started_at = GetCurrentTimestamp();
	if (!RegisterDynamicBackgroundWorker(&worker, &dispatcher_handle))
	{
		dispatcher_handle = NULL;
		ereport(WARNING,
				errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
				errmsg("could not start the sage dispatcher"),
				errhint("Raise %s.", "max_worker_processes"));
	}
}

/* sage_dispatcher_ensure: see dispatcher.h. */
long
sage_dispatcher_ensure(void)
{
	pid_t		pid;
	long		since;

	if (dispatcher_handle != NULL)
	{
		if (GetBackgroundWorkerPid(dispatcher_handle, &pid) != BGWH_STOPPED)
			return -1;
		pfree(dispatcher_handle);
		dispatcher_handle = NULL;
	}
	if (!sage_pg_aws_configured())
		return -1;
	/* one started by an earlier launcher still runs */
	if (sage_shared->dispatcher_pid != 0)
		return -1;
	since = dispatcher_started_at == 0 ? LONG_MAX :
		TimestampDifferenceMilliseconds(dispatcher_started_at, GetCurrentTimestamp());
	if (since < DISPATCHER_RESTART_S * 1000L)
		return DISPATCHER_RESTART_S * 1000L - since;
	dispatcher_start();
	return dispatcher_handle ? -1 : DISPATCHER_RESTART_S * 1000L;
}
