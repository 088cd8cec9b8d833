/*-------------------------------------------------------------------------
 *
 * src/pg/views.c
 *		Set-returning functions behind the operator views sage.progress and
 *		sage.workers: a consistent copy of the shared slots, taken under
 *		the lock, then returned as rows.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"
#include "utils/uuid.h"

#include "sage_pg.h"
#include "dispatcher.h"

PG_FUNCTION_INFO_V1(sage_progress);
PG_FUNCTION_INFO_V1(sage_workers);

/* Copies the slots and the launcher's and dispatcher's pids under the lock. */
static SageSlot *
views_snapshot(int *nslots, pid_t *launcher_pid, pid_t *dispatcher_pid)
{
	SageSlot   *copy;

	sage_shmem_require();
	*nslots = sage_shared->nslots;
	copy = palloc(sizeof(SageSlot) * Max(*nslots, 1));
	LWLockAcquire(sage_shared->lock, LW_SHARED);
	memcpy(copy, sage_shared->slots, sizeof(SageSlot) * *nslots);
	*launcher_pid = sage_shared->launcher_pid;
	*dispatcher_pid = sage_shared->dispatcher_pid;
	LWLockRelease(sage_shared->lock);
	return copy;
}

/*
 * sage._progress(): one row per busy slot (pid, execution_id, attempt,
 * records, bytes, started_at).
 */
Datum
sage_progress(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	SageSlot   *slots;
	int			nslots;
	pid_t		launcher_pid;
	pid_t		dispatcher_pid;
	int			i;

	InitMaterializedSRF(fcinfo, 0);
	slots = views_snapshot(&nslots, &launcher_pid, &dispatcher_pid);
	for (i = 0; i < nslots; i++)
	{
		Datum		values[6];
		bool		nulls[6] = {false, false, false, false, false, false};

		if (slots[i].state != SAGE_SLOT_BUSY)
			continue;
		values[0] = Int32GetDatum(slots[i].pid);
		values[1] = UUIDPGetDatum(&slots[i].execution);
		values[2] = Int32GetDatum(slots[i].attempt);
		values[3] = Int64GetDatum((int64) pg_atomic_read_u64(&sage_shared->slots[i].records));
		values[4] = Int64GetDatum((int64) pg_atomic_read_u64(&sage_shared->slots[i].bytes));
		values[5] = TimestampTzGetDatum(slots[i].since);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/* Name of a slot state, as sage.workers shows it. */
static const char *
views_state_name(SageSlotState state)
{
	switch (state)
	{
		case SAGE_SLOT_FREE:
			return "free";
		case SAGE_SLOT_STARTING:
			return "starting";
		case SAGE_SLOT_IDLE:
			return "idle";
		case SAGE_SLOT_BUSY:
			break;
	}
	return "busy";
}

/*
 * sage._workers(): the launcher, the dispatcher when it runs, then one row per slot (backend_type,
 * slot, pid, state, execution_id, attempt, since). A slot held by a
 * session (sage._claim()) shows backend_type "client backend".
 */
Datum
sage_workers(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	SageSlot   *slots;
	int			nslots;
	pid_t		launcher_pid;
	pid_t		dispatcher_pid;
	int			i;
	Datum		values[7];
	bool		nulls[7];

	InitMaterializedSRF(fcinfo, 0);
	slots = views_snapshot(&nslots, &launcher_pid, &dispatcher_pid);

	memset(nulls, true, sizeof(nulls));
	values[0] = CStringGetTextDatum(SAGE_LAUNCHER_TYPE);
	nulls[0] = false;
	if (launcher_pid != 0)
	{
		values[2] = Int32GetDatum(launcher_pid);
		nulls[2] = false;
	}
	values[3] = CStringGetTextDatum(launcher_pid != 0 ? "running" : "stopped");
	nulls[3] = false;
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);

	/* the dispatcher runs only while Lambda is configured */
	if (dispatcher_pid != 0)
	{
		memset(nulls, true, sizeof(nulls));
		values[0] = CStringGetTextDatum(SAGE_DISPATCHER_TYPE);
		values[2] = Int32GetDatum(dispatcher_pid);
		values[3] = CStringGetTextDatum("running");
		nulls[0] = nulls[2] = nulls[3] = false;
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}

	for (i = 0; i < nslots; i++)
	{
		SageSlot   *slot = &slots[i];

		memset(nulls, false, sizeof(nulls));
		values[0] = CStringGetTextDatum(slot->state == SAGE_SLOT_FREE ? SAGE_WORKER_TYPE :
										slot->is_worker || slot->state == SAGE_SLOT_STARTING ?
										SAGE_WORKER_TYPE : "client backend");
		values[1] = Int32GetDatum(i);
		values[2] = Int32GetDatum(slot->pid);
		nulls[2] = slot->pid == 0;
		values[3] = CStringGetTextDatum(views_state_name(slot->state));
		values[4] = UUIDPGetDatum(&slot->execution);
		values[5] = Int32GetDatum(slot->attempt);
		nulls[4] = nulls[5] = slot->state != SAGE_SLOT_BUSY;
		values[6] = TimestampTzGetDatum(slot->since);
		nulls[6] = slot->state == SAGE_SLOT_FREE;
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
