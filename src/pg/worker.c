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
 *	2. read the inputs into the execution's memory context (transaction 2);
 *	3. run sage_process with no transaction open, polling for cancellation
 *	   and reporting progress to shared memory;
 *	4. record the outcome and store the outputs (transaction 3), only if
 *	   (id, attempt, state = 'running') still holds.
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

#include "sage_pg.h"

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
} WorkerCallbackState;

/* Context reset before each execution: inputs, outputs, temporaries. */
static MemoryContext worker_exec_cxt = NULL;
/* Plans of reading the inputs and storing an output, kept for the process. */
static SPIPlanPtr worker_read_plan = NULL;
static SPIPlanPtr worker_store_plan = NULL;

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
 */
static bool
worker_cancel_cb(void *arg)
{
	WorkerCallbackState *st = (WorkerCallbackState *) arg;

	return ProcDiePending || QueryCancelPending ||
		pg_atomic_read_u32(&st->slot->cancel) != 0 ||
		!PostmasterIsAlive();
}

/* The processor's progress report: shared memory always, activity at a modest rate. */
static void
worker_progress_cb(void *arg, uint64_t records, uint64_t bytes)
{
	WorkerCallbackState *st = (WorkerCallbackState *) arg;
	TimestampTz now;

	pg_atomic_write_u64(&st->slot->records, records);
	pg_atomic_write_u64(&st->slot->bytes, bytes);

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
 * Reads the inputs of an execution into the execution context. Returns
 * the number of files; a file not stored in the database sets *missing.
 */
static int
worker_read_inputs(const pg_uuid_t *id, SageInputFile **inputs, char **missing)
{
	Oid			argtypes[1] = {UUIDOID};
	Datum		values[1] = {UUIDPGetDatum(id)};
	int			n;
	uint64		i;
	SageInputFile *files;

	*missing = NULL;
	worker_begin("reading inputs", true);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_execute_plan(sage_spi_plan(&worker_read_plan,
									   "SELECT name, content FROM sage.execution_files "
									   "WHERE execution_id = $1 AND role = 'in' ORDER BY ordinal",
									   1, argtypes),
						 values, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read the inputs of an execution");
	n = (int) SPI_processed;
	files = MemoryContextAllocZero(worker_exec_cxt, sizeof(SageInputFile) * Max(n, 1));
	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;
		Datum		d;
		MemoryContext old = MemoryContextSwitchTo(worker_exec_cxt);

		files[i].name = TextDatumGetCString(SPI_getbinval(tup, desc, 1, &isnull));
		d = SPI_getbinval(tup, desc, 2, &isnull);
		if (isnull)
			*missing = pstrdup(files[i].name);
		else
		{
			bytea	   *b = DatumGetByteaPCopy(d);

			files[i].data = VARDATA_ANY(b);
			files[i].len = VARSIZE_ANY_EXHDR(b);
		}
		MemoryContextSwitchTo(old);
	}
	SPI_finish();
	worker_commit();
	*inputs = files;
	return n;
}

/* Inserts the outputs of an accepted attempt (inside its transaction). */
static void
worker_store_outputs(const pg_uuid_t *id, SageMemSink *msink)
{
	Oid			argtypes[4] = {UUIDOID, TEXTOID, INT4OID, BYTEAOID};
	int			i;
	int			ordinal = 0;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	for (i = 0; i < msink->nfiles; i++)
	{
		SageMemFile *f = &msink->files[i];
		Datum		values[4];
		bytea	   *b;

		if (!f->closed)
			continue;
		b = (bytea *) palloc(f->len + VARHDRSZ);
		SET_VARSIZE(b, f->len + VARHDRSZ);
		if (f->len > 0)
			memcpy(VARDATA(b), f->data, f->len);
		values[0] = UUIDPGetDatum(id);
		values[1] = CStringGetTextDatum(f->name);
		values[2] = Int32GetDatum(++ordinal);
		values[3] = PointerGetDatum(b);
		if (SPI_execute_plan(sage_spi_plan(&worker_store_plan,
										   "INSERT INTO sage.execution_files "
										   "(execution_id, role, name, ordinal, size, sha256, content) "
										   "VALUES ($1, 'out', $2, $3, pg_catalog.length($4), "
										   "pg_catalog.sha256($4), $4)",
										   4, argtypes),
							 values, NULL, false, 0) != SPI_OK_INSERT)
			elog(ERROR, "could not store output file \"%s\"", f->name);
		pfree(b);
	}
	SPI_finish();
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

/* Records an attempt's end; logs when the attempt no longer held the execution. */
static bool
worker_finish(const char *idstr, const pg_uuid_t *id, int32 attempt,
			  const SageAttemptResult *result, SageMemSink *msink)
{
	bool		accepted;

	worker_begin("recording the outcome", !sage_synchronous_completion);
	accepted = sage_execution_complete(id, attempt, result);
	if (accepted && msink && result->outcome != SAGE_OUTCOME_RETRY)
		worker_store_outputs(id, msink);
	worker_commit();
	if (!accepted)
		ereport(LOG,
				errmsg("result of execution %s attempt %d was not recorded", idstr, attempt),
				errdetail("The execution was cancelled, or its lease passed and a newer attempt holds it."));
	return accepted;
}

/* Processes one claimed execution (steps 2 to 4). */
static void
worker_process(SageClaim *claim, WorkerCallbackState *st)
{
	SageInputFile *inputs;
	char	   *missing;
	int			ninputs;
	SageProcessOptions opts;
	SageMemSink msink;
	SageSink	sink;
	SageOutcome outcome;
	SageAttemptResult result;
	int			rc;

	ninputs = worker_read_inputs(&claim->id, &inputs, &missing);
	memset(&result, 0, sizeof(result));
	if (missing || ninputs == 0)
	{
		result.outcome = SAGE_OUTCOME_FAILED;
		result.last_error = missing ?
			psprintf("input file \"%s\" is not stored in the database", missing) :
			"execution has no input file";
		worker_finish(st->idstr, &claim->id, claim->attempt, &result, NULL);
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
		worker_finish(st->idstr, &claim->id, claim->attempt, &result, NULL);
		return;
	}
	else
	{
		/* not even the outputs could be written */
		result.outcome = outcome.error.code == SAGE_ERR_LIMIT ?
			SAGE_OUTCOME_FAILED : SAGE_OUTCOME_RETRY;
		result.last_error = sage_error_text(&outcome.error);
		worker_finish(st->idstr, &claim->id, claim->attempt, &result, NULL);
		return;
	}
	worker_finish(st->idstr, &claim->id, claim->attempt, &result, &msink);
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

		memset(&result, 0, sizeof(result));
		result.outcome = SAGE_OUTCOME_RETRY;
		result.last_error = edata->message;
		worker_finish(st.idstr, &claim.id, claim.attempt, &result, NULL);
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
