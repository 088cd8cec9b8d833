/*-------------------------------------------------------------------------
 *
 * src/pg/launcher.c
 *		The launcher: a static background worker ("sage launcher") that
 *		connects to sage.database and, on every pass,
 *
 *		- at server start, rescues the executions left running (a crash or
 *		  an immediate shutdown interrupted them);
 *		- renews the leases of the executions live local workers hold, and
 *		  rescues running executions whose lease passed;
 *		- deletes finished executions older than sage.retention, in small
 *		  batches;
 *		- starts local workers (dynamic, BGW_NEVER_RESTART, notifying the
 *		  launcher) while there is claimable work and free slots, and wakes
 *		  idle ones when retries become due.
 *
 * It then waits on its latch until the earliest deadline: the next retry
 * time, the next lease renewal, the next retention pass. Submits, retries
 * and CREATE EXTENSION set its latch at commit, and the postmaster sets it
 * when a worker starts or stops.
 *
 * A missing database is fatal, like pg_cron's launcher: the postmaster
 * starts the launcher again after bgw_restart_time. A missing extension is
 * waited for (CREATE EXTENSION wakes the launcher).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/lwlock.h"
#include "storage/proc.h"
#include "tcop/tcopprot.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "dispatcher.h"
#include "sage_pg.h"

/* Seconds before the postmaster restarts a launcher that exited with an error. */
#define LAUNCHER_RESTART_S 5
/* Rows per retention batch; a full batch calls for another pass soon. */
#define LAUNCHER_PURGE_BATCH 500
/* Executions rescued per pass when leases expire. */
#define LAUNCHER_RESCUE_BATCH 100
/* Cadence of retention and lease checks when nothing else is due. */
#define LAUNCHER_PERIOD_MS (60 * 1000)
/* Longest wait for CREATE EXTENSION (it wakes the launcher anyway). */
#define LAUNCHER_NO_EXTENSION_MAX_MS (60 * 1000)

/* What one pass found out, for starting workers and choosing the timeout. */
typedef struct LauncherPass
{
	bool		extension;		/* the extension exists */
	int			claimable;		/* pending local work due now (capped at nslots) */
	long		next_due_ms;	/* until the next pending run_after, or -1 */
	bool		purge_more;		/* retention left rows behind */
} LauncherPass;

/* Handles of the workers this launcher started, by slot. */
static BackgroundWorkerHandle **launcher_handles = NULL;
/* When leases were last renewed and retention last ran. */
static TimestampTz launcher_last_renew = 0;
static TimestampTz launcher_last_purge = 0;
/* Warned that dynamic worker registration failed (once per burst). */
static bool launcher_warned_no_slot = false;

/* Registers the static launcher; called by _PG_init under preload. */
void
sage_launcher_register(void)
{
	BackgroundWorker worker;

	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker.bgw_restart_time = LAUNCHER_RESTART_S;
	snprintf(worker.bgw_library_name, BGW_MAXLEN, "sage");
	snprintf(worker.bgw_function_name, BGW_MAXLEN, "sage_launcher_main");
	snprintf(worker.bgw_name, BGW_MAXLEN, SAGE_LAUNCHER_TYPE);
	snprintf(worker.bgw_type, BGW_MAXLEN, SAGE_LAUNCHER_TYPE);
	RegisterBackgroundWorker(&worker);
}

/* Clears the launcher's shared fields when it exits (autoprewarm's idiom). */
static void
launcher_detach(int code, Datum arg)
{
	LWLockAcquire(sage_shared->lock, LW_EXCLUSIVE);
	if (sage_shared->launcher_pid == MyProcPid)
	{
		sage_shared->launcher_pid = 0;
		sage_shared->launcher_latch = NULL;
	}
	LWLockRelease(sage_shared->lock);
}

/* uuid[] and int4[] of the executions held by live slots. */
static void
launcher_live_executions(Datum *ids, Datum *attempts, int *n)
{
	int			i;
	Datum	   *idv = palloc(sizeof(Datum) * Max(sage_shared->nslots, 1));
	Datum	   *attv = palloc(sizeof(Datum) * Max(sage_shared->nslots, 1));
	int			count = 0;

	LWLockAcquire(sage_shared->lock, LW_SHARED);
	for (i = 0; i < sage_shared->nslots; i++)
	{
		SageSlot   *slot = &sage_shared->slots[i];

		if (slot->state == SAGE_SLOT_BUSY)
		{
			pg_uuid_t  *id = palloc(sizeof(pg_uuid_t));

			*id = slot->execution;
			idv[count] = UUIDPGetDatum(id);
			attv[count] = Int32GetDatum(slot->attempt);
			count++;
		}
	}
	LWLockRelease(sage_shared->lock);
	*ids = PointerGetDatum(construct_array(idv, count, UUIDOID, UUID_LEN, false, TYPALIGN_CHAR));
	*attempts = PointerGetDatum(construct_array(attv, count, INT4OID, 4, true, TYPALIGN_INT));
	*n = count;
}

/* Runs a query returning one integer (or NULL -> -1). */
static int64
launcher_query_int(const char *sql, int nargs, Oid *argtypes, Datum *values)
{
	bool		isnull;
	Datum		d;

	if (SPI_execute_with_args(sql, nargs, argtypes, values, NULL, false, 1) < 0 ||
		SPI_processed != 1)
		elog(ERROR, "launcher query failed: %s", sql);
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	if (isnull)
		return -1;
	return DatumGetInt64(d);
}

/* One pass over the execution table, in one short transaction. */
static void
launcher_pass(LauncherPass *pass)
{
	Oid			argtypes[3];
	Datum		values[3];
	Datum		ids;
	Datum		attempts;
	int			nlive;
	TimestampTz now = GetCurrentTimestamp();
	int64		rescued;

	memset(pass, 0, sizeof(*pass));
	pass->next_due_ms = -1;

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	PushActiveSnapshot(GetTransactionSnapshot());
	pgstat_report_activity(STATE_RUNNING, "sage launcher pass");

	if (!OidIsValid(get_extension_oid("sage", true)))
	{
		PopActiveSnapshot();
		CommitTransactionCommand();
		pgstat_report_activity(STATE_IDLE, NULL);
		return;
	}
	pass->extension = true;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	launcher_live_executions(&ids, &attempts, &nlive);

	/* after a server start, nothing that was running is still running */
	if (!sage_shared->startup_rescue_done)
	{
		argtypes[0] = UUIDARRAYOID;
		values[0] = ids;
		rescued = launcher_query_int("SELECT sage._rescue($1, false, 2147483647)::int8",
									 1, argtypes, values);
		if (rescued > 0)
			ereport(LOG,
					errmsg("sage launcher returned %lld executions interrupted by a server restart to pending",
						   (long long) rescued));
	}

	/* renew the leases of live workers well before they pass */
	if (nlive > 0 &&
		TimestampDifferenceExceeds(launcher_last_renew, now, sage_lease * 1000 / 3))
	{
		argtypes[0] = UUIDARRAYOID;
		argtypes[1] = INT4ARRAYOID;
		values[0] = ids;
		values[1] = attempts;
		(void) launcher_query_int("SELECT sage._renew_leases($1, $2)::int8",
								  2, argtypes, values);
		launcher_last_renew = now;
	}

	/* an execution whose holder exited needs no lease to pass */
	{
		pg_uuid_t  *orphans = palloc(sizeof(pg_uuid_t) * Max(sage_shared->nslots, 1));
		int32	   *oatt = palloc(sizeof(int32) * Max(sage_shared->nslots, 1));
		int			norphans = sage_shmem_take_orphans(orphans, oatt, sage_shared->nslots);
		int			i;

		for (i = 0; i < norphans; i++)
		{
			argtypes[0] = UUIDOID;
			argtypes[1] = INT4OID;
			values[0] = UUIDPGetDatum(&orphans[i]);
			values[1] = Int32GetDatum(oatt[i]);
			if (SPI_execute_with_args("UPDATE sage.executions "
									  "SET lease_until = pg_catalog.now() - interval '1 ms' "
									  "WHERE id = $1 AND attempt = $2 AND state = 'running' "
									  "AND \"where\" = 'local'",
									  2, argtypes, values, NULL, false, 0) != SPI_OK_UPDATE)
				elog(ERROR, "could not expire an orphaned lease");
		}
	}

	/* rescue executions whose holder is gone and whose lease passed */
	argtypes[0] = UUIDARRAYOID;
	argtypes[1] = INT4OID;
	values[0] = ids;
	values[1] = Int32GetDatum(LAUNCHER_RESCUE_BATCH);
	rescued = launcher_query_int("SELECT sage._rescue($1, true, $2)::int8",
								 2, argtypes, values);
	if (rescued > 0)
		ereport(LOG,
				errmsg("sage launcher returned %lld executions whose lease expired to pending",
					   (long long) rescued));

	/* retention, in small batches */
	if (sage_retention > 0 &&
		TimestampDifferenceExceeds(launcher_last_purge, now, LAUNCHER_PERIOD_MS))
	{
		argtypes[0] = INT4OID;
		values[0] = Int32GetDatum(LAUNCHER_PURGE_BATCH);
		pass->purge_more = launcher_query_int("SELECT sage._purge($1)::int8",
											  1, argtypes, values) >= LAUNCHER_PURGE_BATCH;
		if (!pass->purge_more)
			launcher_last_purge = now;
	}

	/* work due now, and the next retry deadline */
	argtypes[0] = INT4OID;
	values[0] = Int32GetDatum(Max(sage_shared->nslots, 1));
	pass->claimable = (int) launcher_query_int(
											   "SELECT pg_catalog.count(*) FROM ("
											   "SELECT 1 FROM sage.executions "
											   "WHERE state = 'pending' AND placement IN ('auto', 'local') "
											   "AND run_after <= pg_catalog.now() "
											   "ORDER BY priority, submitted_at LIMIT $1) s",
											   1, argtypes, values);
	pass->next_due_ms = launcher_query_int(
										   "SELECT pg_catalog.ceil(1000 * EXTRACT(epoch FROM "
										   "pg_catalog.min(run_after) - pg_catalog.clock_timestamp()))::int8 "
										   "FROM sage.executions "
										   "WHERE state = 'pending' AND placement IN ('auto', 'local') "
										   "AND run_after > pg_catalog.now()",
										   0, NULL, NULL);
	if (pass->next_due_ms == -1)
		pass->next_due_ms = LAUNCHER_PERIOD_MS;

	SPI_finish();
	PopActiveSnapshot();
	CommitTransactionCommand();
	pgstat_report_stat(false);
	pgstat_report_activity(STATE_IDLE, NULL);

	sage_shared->startup_rescue_done = true;
}

/* Forgets workers that have exited, and reservations that never attached. */
static void
launcher_reap(void)
{
	int			i;
	pid_t		pid;

	for (i = 0; i < sage_shared->nslots; i++)
	{
		if (launcher_handles[i] == NULL)
			continue;
		if (GetBackgroundWorkerPid(launcher_handles[i], &pid) == BGWH_STOPPED)
		{
			pfree(launcher_handles[i]);
			launcher_handles[i] = NULL;
			sage_shmem_unreserve(i);
		}
	}
}

/* Starts one local worker in a reserved slot; false when it could not. */
static bool
launcher_start_worker(int slot)
{
	BackgroundWorker worker;
	BackgroundWorkerHandle *handle;

	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker.bgw_restart_time = BGW_NEVER_RESTART;
	snprintf(worker.bgw_library_name, BGW_MAXLEN, "sage");
	snprintf(worker.bgw_function_name, BGW_MAXLEN, "sage_worker_main");
	snprintf(worker.bgw_name, BGW_MAXLEN, "%s %d", SAGE_WORKER_TYPE, slot);
	snprintf(worker.bgw_type, BGW_MAXLEN, SAGE_WORKER_TYPE);
	worker.bgw_main_arg = Int32GetDatum(slot);
	memcpy(worker.bgw_extra, &MyDatabaseId, sizeof(Oid));
	worker.bgw_notify_pid = MyProcPid;

	if (!RegisterDynamicBackgroundWorker(&worker, &handle))
	{
		if (!launcher_warned_no_slot)
			ereport(WARNING,
					errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
					errmsg("could not start a sage worker"),
					errhint("Raise %s.", "max_worker_processes"));
		launcher_warned_no_slot = true;
		return false;
	}
	launcher_warned_no_slot = false;
	launcher_handles[slot] = handle;
	return true;
}

/*
 * Starts workers for the work due now, beyond what idle workers can take,
 * and wakes the idle ones. Returns false when a start failed (retry soon).
 */
static bool
launcher_start_workers(int claimable)
{
	int			i;
	int			idle = 0;
	int			needed;

	LWLockAcquire(sage_shared->lock, LW_SHARED);
	for (i = 0; i < sage_shared->nslots; i++)
	{
		SageSlot   *slot = &sage_shared->slots[i];

		if (slot->state == SAGE_SLOT_STARTING ||
			(slot->state == SAGE_SLOT_IDLE && slot->is_worker))
			idle++;
	}
	LWLockRelease(sage_shared->lock);

	if (claimable > 0 && idle > 0)
		sage_shmem_wake_all();
	for (needed = claimable - idle; needed > 0; needed--)
	{
		int			slot = sage_shmem_reserve();

		if (slot < 0)
			break;
		if (!launcher_start_worker(slot))
		{
			sage_shmem_unreserve(slot);
			return false;
		}
	}
	return true;
}

/* Entry point of the launcher. */
void
sage_launcher_main(Datum main_arg)
{
	long		no_extension_wait = 1000;

	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();

	if (sage_shared == NULL)
		elog(FATAL, "sage shared memory is not initialized");
	LWLockAcquire(sage_shared->lock, LW_EXCLUSIVE);
	sage_shared->launcher_pid = MyProcPid;
	sage_shared->launcher_latch = &MyProc->procLatch;
	LWLockRelease(sage_shared->lock);
	before_shmem_exit(launcher_detach, (Datum) 0);

	BackgroundWorkerInitializeConnection(sage_database, NULL, 0);
	pgstat_report_appname(SAGE_LAUNCHER_TYPE);

	launcher_handles = MemoryContextAllocZero(TopMemoryContext,
											  sizeof(BackgroundWorkerHandle *) *
											  Max(sage_shared->nslots, 1));

	for (;;)
	{
		LauncherPass pass;
		long		timeout;

		CHECK_FOR_INTERRUPTS();
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
		}

		launcher_reap();
		launcher_pass(&pass);
		if (!pass.extension)
		{
			sage_wait(SAGE_WAIT_LAUNCHER_NO_EXTENSION, no_extension_wait);
			no_extension_wait = Min(no_extension_wait * 2, LAUNCHER_NO_EXTENSION_MAX_MS);
			continue;
		}
		no_extension_wait = 1000;

		timeout = Min(pass.next_due_ms, LAUNCHER_PERIOD_MS);
		{
			/* the Lambda dispatcher runs while sage.lambda_function is set */
			long		dispatcher_ms = sage_dispatcher_ensure();

			if (dispatcher_ms >= 0)
				timeout = Min(timeout, dispatcher_ms);
		}
		timeout = Min(timeout, (long) sage_lease * 1000 / 3);
		if (pass.purge_more)
			timeout = Min(timeout, 100);
		if (!launcher_start_workers(pass.claimable))
			timeout = Min(timeout, 1000);
		timeout = Min(timeout, sage_metrics_tick());
		if (timeout < 0)
			timeout = 0;
		sage_wait(SAGE_WAIT_LAUNCHER_MAIN, timeout);
	}
}
