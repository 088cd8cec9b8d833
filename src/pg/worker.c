/*-------------------------------------------------------------------------
 *
 * src/pg/worker.c
 *		The local worker: a dynamic background worker ("sage worker") that
 *		claims pending executions and runs the processor in-backend, until
 *		it has had nothing to do for a while.
 *
 * One execution goes through three short steps, none of which keeps a
 * transaction open while files are processed:
 *
 *	1. claim (transaction 1, committed): the row is running, attempt + 1;
 *	2. take the lock of sage.lock (lock.c: nothing for advisory, the
 *	   DynamoDB item for dynamodb), then read the inputs into the
 *	   execution's memory context (storage.c: transaction 2, and with
 *	   sage.storage = s3 the move of bytea inputs to S3);
 *	3. run sage_process with no transaction open, polling for cancellation
 *	   and reporting progress to shared memory (and refreshing the lock);
 *	4. put the outputs in S3 (s3 storage), write the fenced final status
 *	   with the lock's release (dynamodb), then record the outcome and the
 *	   outputs (transaction 3), only if (id, attempt, state = 'running')
 *	   still holds; with s3 storage, promote the outputs afterwards.
 *
 * SIGTERM is die(): the work is fenced, so a worker stopped anywhere leaves
 * at worst a running row that the launcher rescues. Any ERROR during an
 * execution is a transient failure: the execution goes back to pending
 * with backoff (or dead, out of attempts).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/pmsignal.h"
#include "tcop/tcopprot.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"
#include "utils/uuid.h"

#include "sage/processor.h"

#include "lock.h"
#include "sage_pg.h"
#include "storage.h"

/* A worker with nothing to claim for this long exits (the launcher restarts one). */
#define WORKER_IDLE_EXIT_MS (5 * 60 * 1000)
/* pg_stat_activity's query is refreshed at most this often while processing. */
#define WORKER_ACTIVITY_INTERVAL_MS 500

/* State the processor's callbacks see (they must never throw). */
typedef struct WorkerCallbackState
{
	SageSlot   *slot;			/* this worker's slot */
	char		idstr[UUID_LEN * 2 + 5];	/* execution id as text */
	int32		attempt;		/* attempt being processed */
	TimestampTz last_activity;	/* last pgstat_report_activity */
	char		activity[160];	/* buffer for the activity text */
	SageLockHold lock;			/* the attempt's hold on sage.lock */
} WorkerCallbackState;

/* Context reset before each execution: inputs, outputs, temporaries. */
static MemoryContext worker_exec_cxt = NULL;

/* Formats an execution id. */
static void
worker_uuid_text(const pg_uuid_t *id, char *buf, size_t len)
{
	char	   *s = DatumGetCString(DirectFunctionCall1(uuid_out, UUIDPGetDatum(id)));

	strlcpy(buf, s, len);
	pfree(s);
}

/*
 * The processor's cancel poll. True when the process must stop (SIGTERM,
 * pg_cancel_backend, postmaster gone) or sage_cancel committed for this
 * execution. Other pending interrupts (sinval catch-up, barriers) do not
 * stop an execution; they are handled at the next CHECK_FOR_INTERRUPTS.
 * A lost DynamoDB lock stops it too: its result could not be committed.
 */
static bool
worker_cancel_cb(void *arg)
{
	WorkerCallbackState *st = (WorkerCallbackState *) arg;

	return ProcDiePending || QueryCancelPending ||
		pg_atomic_read_u32(&st->slot->cancel) != 0 ||
		st->lock.lost ||
		!PostmasterIsAlive();
}

/*
 * The processor's progress report: shared memory always, activity at a
 * modest rate, and the lock's heartbeat (itself rate-limited to every
 * sage.lock_lease / 3).
 */
static void
worker_progress_cb(void *arg, uint64_t records, uint64_t bytes)
{
	WorkerCallbackState *st = (WorkerCallbackState *) arg;
	TimestampTz now;

	pg_atomic_write_u64(&st->slot->records, records);
	pg_atomic_write_u64(&st->slot->bytes, bytes);
	(void) sage_lock_heartbeat(&st->lock);

	now = GetCurrentTimestamp();
	if (TimestampDifferenceExceeds(st->last_activity, now, WORKER_ACTIVITY_INTERVAL_MS))
	{
		snprintf(st->activity, sizeof(st->activity),
				 "processing execution %s (attempt %d): " UINT64_FORMAT " records, " UINT64_FORMAT " bytes",
				 st->idstr, st->attempt, (uint64) records, (uint64) bytes);
		pgstat_report_activity(STATE_RUNNING, st->activity);
		st->last_activity = now;
	}
}

/*
 * Starts a short transaction with a snapshot. The claim commits
 * asynchronously: losing it in a crash only puts the execution back to
 * pending, which the startup rescue would do anyway. Completions too,
 * unless sage.synchronous_completion: a completion lost in a crash leaves
 * the execution running, so the startup rescue runs it again (attempt + 1,
 * fenced) and the same result is recorded; not waiting for a WAL flush per
 * execution doubles throughput on this kind of disk.
 */
static void
worker_begin(const char *activity, bool async_commit)
{
	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	if (async_commit)
		(void) set_config_option("synchronous_commit", "off", PGC_USERSET,
								 PGC_S_SESSION, GUC_ACTION_LOCAL, true, 0, false);
	PushActiveSnapshot(GetTransactionSnapshot());
	pgstat_report_activity(STATE_RUNNING, activity);
}

/* Commits it and flushes statistics (practice 15). */
static void
worker_commit(void)
{
	PopActiveSnapshot();
	CommitTransactionCommand();
	pgstat_report_stat(false);
}

/*
 * Is this processor error permanent? The input cannot be processed (bad
 * configuration, unsupported or corrupt file, a limit or the memory
 * ceiling exceeded) and trying again would fail the same way. I/O
 * failures are transient.
 */
static bool
worker_error_is_permanent(SageErrorCode code)
{
	return code != SAGE_ERR_IO && code != SAGE_ERR_CANCELLED;
}

/*
 * Records an attempt's end (with its outputs: bytea rows, or rows naming
 * the S3 objects under prefix); logs when the attempt no longer held the
 * execution.
 */
static bool
worker_finish(const char *idstr, const pg_uuid_t *id, int32 attempt,
			  const SageAttemptResult *result, SageMemSink *msink,
			  const char *prefix)
{
	bool		accepted;

	worker_begin("recording the outcome", !sage_synchronous_completion);
	accepted = sage_execution_complete(id, attempt, result);
	if (accepted && msink && result->outcome != SAGE_OUTCOME_RETRY)
		sage_storage_record_outputs(id, msink, prefix);
	/* a retry is due in sage.retry_base: the launcher must plan its wait anew */
	if (accepted && result->outcome == SAGE_OUTCOME_RETRY)
		sage_shmem_wake_at_commit();
	worker_commit();
	if (!accepted)
		ereport(LOG,
				errmsg("result of execution %s attempt %d was not recorded", idstr, attempt),
				errdetail("The execution was cancelled, or its lease passed and a newer attempt holds it."));
	return accepted;
}

/*
 * Ends an attempt (step 4). A retry gives the lock back and records the
 * failure. A processed attempt puts its outputs in storage, then writes
 * the lock's fenced final status: only when that succeeded is the result
 * recorded in PostgreSQL (and the outputs promoted). A refused status
 * write is logged; the attempt then records a retry (lock lost) or a
 * failure (an equal or newer attempt finished elsewhere), both still
 * conditional on the attempt.
 */
static void
worker_end(WorkerCallbackState *st, SageClaim *claim,
		   const SageAttemptResult *result, SageMemSink *msink)
{
	SageAttemptResult refused;
	SageLockVerdict verdict;
	char	   *prefix = NULL;
	char	   *reason;

	if (result->outcome == SAGE_OUTCOME_RETRY)
	{
		sage_lock_release(&st->lock);
		worker_finish(st->idstr, &claim->id, claim->attempt, result, NULL, NULL);
		return;
	}
	if (msink)
		prefix = sage_storage_put_outputs(st->idstr, claim->attempt, msink);
	verdict = sage_lock_finish(&st->lock, result, prefix, &reason);
	if (verdict != SAGE_LOCK_VERDICT_OK)
	{
		ereport(LOG,
				errmsg("result of execution %s attempt %d was refused by the lock table",
					   st->idstr, claim->attempt),
				errdetail_internal("%s", reason));
		memset(&refused, 0, sizeof(refused));
		refused.outcome = verdict == SAGE_LOCK_VERDICT_STALE ?
			SAGE_OUTCOME_FAILED : SAGE_OUTCOME_RETRY;
		refused.last_error = psprintf("result of attempt %d refused by the lock table: %s",
									  claim->attempt, reason);
		worker_finish(st->idstr, &claim->id, claim->attempt, &refused, NULL, NULL);
		return;
	}
	if (worker_finish(st->idstr, &claim->id, claim->attempt, result, msink, prefix) &&
		msink && prefix)
		sage_storage_promote(&claim->id, st->idstr, claim->attempt, msink, prefix);
}

/* Processes one claimed execution (steps 2 to 4). */
static void
worker_process(SageClaim *claim, WorkerCallbackState *st)
{
	SageInputFile *inputs = NULL;
	char	   *problem;
	char	   *reason;
	SageLockVerdict verdict;
	int			ninputs;
	SageProcessOptions opts;
	SageMemSink msink;
	SageSink	sink;
	SageOutcome outcome;
	SageAttemptResult result;
	int			rc;

	memset(&result, 0, sizeof(result));

	/* the lock first: a refused attempt moves and reads nothing */
	verdict = sage_lock_begin(&st->lock, st->idstr, claim->attempt, &reason);
	if (verdict != SAGE_LOCK_VERDICT_OK)
	{
		ereport(LOG,
				errmsg("attempt %d of execution %s could not take the execution's lock",
					   claim->attempt, st->idstr),
				errdetail_internal("%s", reason));
		result.outcome = verdict == SAGE_LOCK_VERDICT_STALE ?
			SAGE_OUTCOME_FAILED : SAGE_OUTCOME_RETRY;
		result.last_error = psprintf("could not take the lock of the execution: %s", reason);
		worker_finish(st->idstr, &claim->id, claim->attempt, &result, NULL, NULL);
		return;
	}

	ninputs = sage_storage_read_inputs(&claim->id, st->idstr, claim->attempt,
									   worker_exec_cxt, &inputs, &problem);
	if (problem)
	{
		result.outcome = SAGE_OUTCOME_FAILED;
		result.last_error = problem;
		worker_end(st, claim, &result, NULL);
		return;
	}

	memset(&opts, 0, sizeof(opts));
	opts.execution_id = st->idstr;
	opts.where = "local";
	opts.package = claim->package;
	opts.memory_limit = (size_t) sage_memory_limit * 1024;
	opts.progress = worker_progress_cb;
	opts.cancel = worker_cancel_cb;
	opts.callback_arg = st;
	sage_mem_sink_init(&msink, worker_exec_cxt, &sink);
	memset(&outcome, 0, sizeof(outcome));

	snprintf(st->activity, sizeof(st->activity),
			 "processing execution %s (attempt %d)", st->idstr, st->attempt);
	pgstat_report_activity(STATE_RUNNING, st->activity);
	st->last_activity = GetCurrentTimestamp();

	/* no transaction is open here: nothing holds locks or a snapshot */
	Assert(!IsTransactionState());
	rc = sage_process(claim->config, strlen(claim->config), inputs, ninputs,
					  &opts, &sink, &outcome);

	/* SIGTERM and pg_cancel_backend end here (FATAL, or ERROR to the caller) */
	CHECK_FOR_INTERRUPTS();
	if (!PostmasterIsAlive())
		proc_exit(1);

	if (rc == 0 && outcome.processed)
	{
		result.outcome = SAGE_OUTCOME_SUCCEEDED;
		result.has_counts = true;
		result.records = (int64) outcome.summary.total_records;
		result.errors = (int64) outcome.summary.errors;
		result.warnings = (int64) outcome.summary.warnings;
		result.rows_with_errors = (int64) outcome.summary.rows_with_errors;
		result.success_rate = outcome.summary.success_rate;
		result.status = outcome.summary.status;
	}
	else if (rc == 0)
	{
		/* a system failure recorded in the outputs (error.log) */
		result.outcome = worker_error_is_permanent(outcome.error.code) ?
			SAGE_OUTCOME_FAILED : SAGE_OUTCOME_RETRY;
		result.last_error = sage_error_text(&outcome.error);
	}
	else if (outcome.error.code == SAGE_ERR_CANCELLED &&
			 pg_atomic_read_u32(&st->slot->cancel) != 0)
	{
		/* sage_cancel committed: the row is cancelled, the write below is refused */
		result.outcome = SAGE_OUTCOME_RETRY;
		result.last_error = "processing stopped by sage_cancel";
		ereport(LOG,
				errmsg("stopped processing execution %s: it was cancelled", st->idstr));
		worker_end(st, claim, &result, NULL);
		return;
	}
	else if (outcome.error.code == SAGE_ERR_CANCELLED && st->lock.lost)
	{
		/* another holder took the DynamoDB lock: this attempt cannot commit */
		result.outcome = SAGE_OUTCOME_RETRY;
		result.last_error = psprintf("attempt %d lost the lock of the execution: %s",
									 claim->attempt, st->lock.reason);
		ereport(LOG,
				errmsg("stopped processing execution %s attempt %d: it lost the execution's lock",
					   st->idstr, claim->attempt),
				errdetail_internal("%s", st->lock.reason));
		worker_end(st, claim, &result, NULL);
		return;
	}
	else
	{
		/* not even the outputs could be written */
		result.outcome = outcome.error.code == SAGE_ERR_LIMIT ?
			SAGE_OUTCOME_FAILED : SAGE_OUTCOME_RETRY;
		result.last_error = sage_error_text(&outcome.error);
		worker_end(st, claim, &result, NULL);
		return;
	}
	worker_end(st, claim, &result, &msink);
}

/*
 * Claims and processes one execution; false when there was nothing to
 * claim. An ERROR while processing makes the attempt a transient failure.
 */
static bool
worker_run_one(SageSlot *slot)
{
	SageClaim	claim;
	bool		claimed;
	WorkerCallbackState st;
	MemoryContext old;

	MemoryContextReset(worker_exec_cxt);
	old = MemoryContextSwitchTo(worker_exec_cxt);

	worker_begin("claiming an execution", true);
	claimed = sage_execution_claim(&claim, worker_exec_cxt);
	worker_commit();
	if (!claimed)
	{
		MemoryContextSwitchTo(old);
		return false;
	}

	memset(&st, 0, sizeof(st));
	st.slot = slot;
	st.attempt = claim.attempt;
	worker_uuid_text(&claim.id, st.idstr, sizeof(st.idstr));

	PG_TRY();
	{
		worker_process(&claim, &st);
	}
	PG_CATCH();
	{
		ErrorData  *edata;
		SageAttemptResult result;

		HOLD_INTERRUPTS();
		MemoryContextSwitchTo(worker_exec_cxt);
		edata = CopyErrorData();
		EmitErrorReport();
		FlushErrorState();
		AbortOutOfAnyTransaction();
		RESUME_INTERRUPTS();

		/* the next attempt need not wait for the lock's lease to end */
		sage_lock_release(&st.lock);
		memset(&result, 0, sizeof(result));
		result.outcome = SAGE_OUTCOME_RETRY;
		result.last_error = edata->message;
		worker_finish(st.idstr, &claim.id, claim.attempt, &result, NULL, NULL);
	}
	PG_END_TRY();

	sage_shmem_set_execution(NULL, 0);
	pgstat_report_activity(STATE_IDLE, NULL);
	MemoryContextSwitchTo(old);
	return true;
}

/*
 * Entry point of a local worker. main_arg is the slot the launcher
 * reserved; bgw_extra holds the database OID.
 */
void
sage_worker_main(Datum main_arg)
{
	int			slotno = DatumGetInt32(main_arg);
	Oid			dboid;
	TimestampTz idle_since;

	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();

	if (sage_shared == NULL)
		elog(FATAL, "sage shared memory is not initialized");
	sage_shmem_attach_worker(slotno);

	memcpy(&dboid, MyBgworkerEntry->bgw_extra, sizeof(Oid));
	BackgroundWorkerInitializeConnectionByOid(dboid, InvalidOid, 0);
	pgstat_report_appname(SAGE_WORKER_TYPE);

	worker_exec_cxt = AllocSetContextCreate(TopMemoryContext, "sage execution",
											ALLOCSET_DEFAULT_SIZES);
	idle_since = GetCurrentTimestamp();

	for (;;)
	{
		long		idle_ms;

		CHECK_FOR_INTERRUPTS();
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
		}

		if (worker_run_one(&sage_shared->slots[slotno]))
		{
			idle_since = GetCurrentTimestamp();
			continue;
		}

		idle_ms = TimestampDifferenceMilliseconds(idle_since, GetCurrentTimestamp());
		if (idle_ms >= WORKER_IDLE_EXIT_MS)
			break;
		pgstat_report_activity(STATE_IDLE, "waiting for executions");
		sage_wait(SAGE_WAIT_WORKER_IDLE, WORKER_IDLE_EXIT_MS - idle_ms);
	}
	proc_exit(0);
}
