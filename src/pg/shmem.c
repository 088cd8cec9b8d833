/*-------------------------------------------------------------------------
 *
 * src/pg/shmem.c
 *		Shared state of the launcher and the local worker slots, and the
 *		wake-ups sent when a transaction commits.
 *
 * A slot is the right to process one local execution: workers get one
 * from the launcher (reserved before the worker starts, so the launcher
 * never overshoots), and a plain session calling sage._claim() takes a
 * free one (the isolation specs do so). Since there are exactly
 * sage.max_local_executions slots, the local concurrency limit holds
 * whoever claims.
 *
 * Wake-ups: sage_submit and sage_retry call sage._wake_at_commit(), and
 * sage_cancel calls sage._cancel_at_commit(); nothing is signalled before
 * the commit (a rolled-back submit wakes nobody, a rolled-back cancel
 * stops nobody), and no NOTIFY is involved: the latches of the launcher
 * and of the idle workers are set directly.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "nodes/pg_list.h"
#include "storage/ipc.h"
#include "storage/lwlock.h"
#include "storage/proc.h"
#include "storage/shmem.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "sage_pg.h"

/* A cancellation to deliver at commit, with the subtransaction that asked. */
typedef struct ShmemCancel
{
	pg_uuid_t	id;				/* execution cancelled */
	SubTransactionId subid;		/* dropped if this subtransaction aborts */
} ShmemCancel;

SageShared *sage_shared = NULL;

static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;

/* Slot held by this process, or -1. */
static int	shmem_my_slot = -1;
/* before_shmem_exit callback registered. */
static bool shmem_exit_registered = false;
/* Transaction callbacks registered. */
static bool shmem_xact_registered = false;
/* Wake the launcher and idle workers when this transaction commits. */
static bool shmem_wake_pending = false;
/* ShmemCancel entries, in TopTransactionContext. */
static List *shmem_cancels = NIL;
/*
 * Subtransaction in which a session's sage._claim() took an execution, or
 * InvalidSubTransactionId: if it aborts, the claim is undone, so the slot
 * must not go on holding that execution.
 */
static SubTransactionId shmem_claim_subid = InvalidSubTransactionId;

PG_FUNCTION_INFO_V1(sage_wake_at_commit);
PG_FUNCTION_INFO_V1(sage_cancel_at_commit);

/* Size of the shared state for the configured number of slots. */
static Size
shmem_size(void)
{
	return add_size(offsetof(SageShared, slots),
					mul_size(sizeof(SageSlot), sage_max_local_executions));
}

/* shmem_request_hook: space and one named LWLock. */
static void
shmem_request(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	RequestAddinShmemSpace(shmem_size());
	RequestNamedLWLockTranche("sage", 1);
}

/*
 * shmem_startup_hook: creates or attaches the state. After a crash the
 * postmaster reinitialises shared memory, so startup_rescue_done is false
 * again and the next launcher rescues what was left running.
 */
static void
shmem_startup(void)
{
	bool		found;
	int			i;

	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();

	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	sage_shared = ShmemInitStruct("sage", shmem_size(), &found);
	if (!found)
	{
		memset(sage_shared, 0, shmem_size());
		sage_shared->lock = &(GetNamedLWLockTranche("sage"))->lock;
		sage_shared->nslots = sage_max_local_executions;
		for (i = 0; i < sage_shared->nslots; i++)
		{
			pg_atomic_init_u32(&sage_shared->slots[i].cancel, 0);
			pg_atomic_init_u64(&sage_shared->slots[i].records, 0);
			pg_atomic_init_u64(&sage_shared->slots[i].bytes, 0);
		}
	}
	LWLockRelease(AddinShmemInitLock);
}

/* Installs the shared-memory hooks (from _PG_init, when preloaded). */
void
sage_shmem_install_hooks(void)
{
	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = shmem_request;
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = shmem_startup;
}

/* The SQL API needs the workers' shared state: refuse clearly without it. */
void
sage_shmem_require(void)
{
	if (sage_shared == NULL)
		ereport(ERROR,
				errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				errmsg("sage must be loaded via shared_preload_libraries"),
				errhint("Add \"%s\" to %s and restart the server.",
						"sage", "shared_preload_libraries"));
}

int
sage_shmem_my_slot(void)
{
	return shmem_my_slot;
}

/* Frees this process's slot when it exits, whatever the reason. */
static void
shmem_exit_detach(int code, Datum arg)
{
	sage_shmem_detach();
}

static void
shmem_register_exit(void)
{
	if (!shmem_exit_registered)
	{
		before_shmem_exit(shmem_exit_detach, (Datum) 0);
		shmem_exit_registered = true;
	}
}

/* Fills a slot for this process (lock held). */
static void
shmem_take_slot(int i, bool is_worker)
{
	SageSlot   *slot = &sage_shared->slots[i];

	slot->state = SAGE_SLOT_IDLE;
	slot->pid = MyProcPid;
	slot->is_worker = is_worker;
	slot->latch = &MyProc->procLatch;
	slot->attempt = 0;
	memset(&slot->execution, 0, sizeof(pg_uuid_t));
	slot->since = GetCurrentTimestamp();
	pg_atomic_write_u32(&slot->cancel, 0);
	pg_atomic_write_u64(&slot->records, 0);
	pg_atomic_write_u64(&slot->bytes, 0);
	shmem_my_slot = i;
}

int
sage_shmem_attach_any(void)
{
	int			i;

	sage_shmem_require();
	if (shmem_my_slot >= 0)
		return shmem_my_slot;
	shmem_register_exit();
	LWLockAcquire(sage_shared->lock, LW_EXCLUSIVE);
	for (i = 0; i < sage_shared->nslots; i++)
	{
		if (sage_shared->slots[i].state == SAGE_SLOT_FREE)
		{
			shmem_take_slot(i, false);
			break;
		}
	}
	LWLockRelease(sage_shared->lock);
	return shmem_my_slot;
}

void
sage_shmem_attach_worker(int slot)
{
	if (slot < 0 || slot >= sage_shared->nslots)
		elog(FATAL, "sage worker started for invalid slot %d", slot);
	shmem_register_exit();
	LWLockAcquire(sage_shared->lock, LW_EXCLUSIVE);
	if (sage_shared->slots[slot].state != SAGE_SLOT_STARTING)
	{
		LWLockRelease(sage_shared->lock);
		/* the launcher gave the slot up; nothing to do */
		proc_exit(0);
	}
	shmem_take_slot(slot, true);
	LWLockRelease(sage_shared->lock);
}

/*
 * Reserves a free slot for a worker about to be started; -1 when none.
 * The caller (the launcher) must release it if the worker does not start.
 */
int
sage_shmem_reserve(void)
{
	int			i;
	int			found = -1;

	LWLockAcquire(sage_shared->lock, LW_EXCLUSIVE);
	for (i = 0; i < sage_shared->nslots; i++)
	{
		SageSlot   *slot = &sage_shared->slots[i];

		if (slot->state == SAGE_SLOT_FREE)
		{
			slot->state = SAGE_SLOT_STARTING;
			slot->pid = 0;
			slot->since = GetCurrentTimestamp();
			found = i;
			break;
		}
	}
	LWLockRelease(sage_shared->lock);
	return found;
}

/* Gives up a reservation whose worker never attached. */
void
sage_shmem_unreserve(int i)
{
	LWLockAcquire(sage_shared->lock, LW_EXCLUSIVE);
	if (sage_shared->slots[i].state == SAGE_SLOT_STARTING)
		sage_shared->slots[i].state = SAGE_SLOT_FREE;
	LWLockRelease(sage_shared->lock);
}

void
sage_shmem_set_execution(const pg_uuid_t *execution, int32 attempt)
{
	SageSlot   *slot;

	Assert(shmem_my_slot >= 0);
	slot = &sage_shared->slots[shmem_my_slot];
	LWLockAcquire(sage_shared->lock, LW_EXCLUSIVE);
	if (execution)
	{
		slot->state = SAGE_SLOT_BUSY;
		slot->execution = *execution;
		slot->attempt = attempt;
	}
	else
	{
		slot->state = SAGE_SLOT_IDLE;
		memset(&slot->execution, 0, sizeof(pg_uuid_t));
		slot->attempt = 0;
	}
	slot->since = GetCurrentTimestamp();
	pg_atomic_write_u32(&slot->cancel, 0);
	pg_atomic_write_u64(&slot->records, 0);
	pg_atomic_write_u64(&slot->bytes, 0);
	LWLockRelease(sage_shared->lock);
}

void
sage_shmem_detach(void)
{
	SageSlot   *slot;

	if (shmem_my_slot < 0 || sage_shared == NULL)
		return;
	slot = &sage_shared->slots[shmem_my_slot];
	LWLockAcquire(sage_shared->lock, LW_EXCLUSIVE);
	if (slot->pid == MyProcPid)
	{
		/* exiting (or giving up) in the middle of an execution */
		if (slot->state == SAGE_SLOT_BUSY)
		{
			slot->has_orphan = true;
			slot->orphan = slot->execution;
			slot->orphan_attempt = slot->attempt;
		}
		slot->state = SAGE_SLOT_FREE;
		slot->pid = 0;
		slot->latch = NULL;
		slot->is_worker = false;
		memset(&slot->execution, 0, sizeof(pg_uuid_t));
		slot->attempt = 0;
	}
	LWLockRelease(sage_shared->lock);
	shmem_my_slot = -1;
	/* let the launcher rescue what was left behind */
	if (sage_shared->launcher_latch)
		SetLatch(sage_shared->launcher_latch);
}

int
sage_shmem_take_orphans(pg_uuid_t *ids, int32 *attempts, int max)
{
	int			i;
	int			n = 0;

	LWLockAcquire(sage_shared->lock, LW_EXCLUSIVE);
	for (i = 0; i < sage_shared->nslots && n < max; i++)
	{
		SageSlot   *slot = &sage_shared->slots[i];

		if (slot->has_orphan)
		{
			ids[n] = slot->orphan;
			attempts[n] = slot->orphan_attempt;
			slot->has_orphan = false;
			n++;
		}
	}
	LWLockRelease(sage_shared->lock);
	return n;
}

/*
 * Sets the launcher's latch and every idle worker's. Reading the latch
 * pointers without the lock is safe: they point into PGPROC arrays that
 * live as long as shared memory, and a stale one only causes a spurious
 * wake-up of some other process.
 */
void
sage_shmem_wake_all(void)
{
	int			i;
	Latch	   *latch;

	if (sage_shared == NULL)
		return;
	for (i = 0; i < sage_shared->nslots; i++)
	{
		SageSlot   *slot = &sage_shared->slots[i];

		latch = slot->latch;
		if (slot->state == SAGE_SLOT_IDLE && slot->is_worker && latch)
			SetLatch(latch);
	}
	latch = sage_shared->launcher_latch;
	if (latch)
		SetLatch(latch);
	latch = sage_shared->dispatcher_latch;
	if (latch)
		SetLatch(latch);
}

/* Sets the cancel flag of the slot running an execution and wakes it. */
static void
shmem_signal_cancel(const pg_uuid_t *id)
{
	int			i;

	LWLockAcquire(sage_shared->lock, LW_SHARED);
	for (i = 0; i < sage_shared->nslots; i++)
	{
		SageSlot   *slot = &sage_shared->slots[i];

		if (slot->state == SAGE_SLOT_BUSY &&
			memcmp(&slot->execution, id, sizeof(pg_uuid_t)) == 0)
		{
			pg_atomic_write_u32(&slot->cancel, 1);
			if (slot->latch)
				SetLatch(slot->latch);
		}
	}
	LWLockRelease(sage_shared->lock);
}

/* A session's claim was rolled back: its slot holds nothing any more. */
static void
shmem_undo_claim(void)
{
	shmem_claim_subid = InvalidSubTransactionId;
	if (shmem_my_slot < 0 || sage_shared == NULL ||
		sage_shared->slots[shmem_my_slot].is_worker)
		return;
	sage_shmem_set_execution(NULL, 0);
	sage_shmem_detach();
}

/* Delivers what the committing transaction asked for, and forgets it. */
static void
shmem_xact_callback(XactEvent event, void *arg)
{
	ListCell   *lc;

	if (shmem_claim_subid != InvalidSubTransactionId)
	{
		if (event == XACT_EVENT_ABORT || event == XACT_EVENT_PARALLEL_ABORT)
			shmem_undo_claim();
		else if (event == XACT_EVENT_COMMIT || event == XACT_EVENT_PARALLEL_COMMIT ||
				 event == XACT_EVENT_PREPARE)
			shmem_claim_subid = InvalidSubTransactionId;
	}

	switch (event)
	{
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_PARALLEL_COMMIT:
			foreach(lc, shmem_cancels)
				shmem_signal_cancel(&((ShmemCancel *) lfirst(lc))->id);
			if (shmem_wake_pending)
				sage_shmem_wake_all();
			break;
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_ABORT:
		case XACT_EVENT_PREPARE:
			break;
		default:
			return;
	}
	shmem_wake_pending = false;
	shmem_cancels = NIL;		/* the list lived in TopTransactionContext */
}

/* Drops the cancellations requested by an aborted subtransaction. */
static void
shmem_subxact_callback(SubXactEvent event, SubTransactionId mySubid,
					   SubTransactionId parentSubid, void *arg)
{
	ListCell   *lc;

	if (shmem_claim_subid == mySubid)
	{
		if (event == SUBXACT_EVENT_ABORT_SUB)
			shmem_undo_claim();
		else if (event == SUBXACT_EVENT_COMMIT_SUB)
			shmem_claim_subid = parentSubid;
	}

	foreach(lc, shmem_cancels)
	{
		ShmemCancel *c = (ShmemCancel *) lfirst(lc);

		if (c->subid != mySubid)
			continue;
		if (event == SUBXACT_EVENT_ABORT_SUB)
			shmem_cancels = foreach_delete_current(shmem_cancels, lc);
		else if (event == SUBXACT_EVENT_COMMIT_SUB)
			c->subid = parentSubid;
	}
}

static void
shmem_register_xact(void)
{
	if (!shmem_xact_registered)
	{
		RegisterXactCallback(shmem_xact_callback, NULL);
		RegisterSubXactCallback(shmem_subxact_callback, NULL);
		shmem_xact_registered = true;
	}
}

/*
 * sage_shmem_claim_in_xact: see sage_pg.h. Workers commit their claim at
 * once and handle errors themselves; sessions may roll theirs back.
 */
void
sage_shmem_claim_in_xact(void)
{
	shmem_register_xact();
	shmem_claim_subid = GetCurrentSubTransactionId();
}

/*
 * sage_shmem_wake_at_commit: see sage_pg.h. What sage._wake_at_commit()
 * does, for the submit functions written in C.
 */
void
sage_shmem_wake_at_commit(void)
{
	sage_shmem_require();
	shmem_register_xact();
	shmem_wake_pending = true;
}

/*
 * sage._wake_at_commit(): the launcher and idle workers are woken when the
 * calling transaction commits. Also refuses to queue work on a server
 * where sage is not preloaded (nothing would ever run it).
 */
Datum
sage_wake_at_commit(PG_FUNCTION_ARGS)
{
	sage_shmem_wake_at_commit();
	PG_RETURN_VOID();
}

/*
 * sage._cancel_at_commit(id): the worker running execution id is told to
 * stop when the calling transaction commits. sage_cancel calls it after
 * setting the state to cancelled, which RLS only lets the owner do.
 */
Datum
sage_cancel_at_commit(PG_FUNCTION_ARGS)
{
	pg_uuid_t  *id = PG_GETARG_UUID_P(0);
	ShmemCancel *c;
	MemoryContext old;
	bool		visible;

	sage_shmem_require();

	/*
	 * Only an execution the caller can see (RLS) and has just cancelled
	 * may be signalled: the function is callable by everyone.
	 */
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	{
		Oid			argtypes[1] = {UUIDOID};
		Datum		values[1] = {UUIDPGetDatum(id)};

		if (SPI_execute_with_args("SELECT 1 FROM sage.executions "
								  "WHERE id = $1 AND state = 'cancelled'",
								  1, argtypes, values, NULL, true, 1) != SPI_OK_SELECT)
			elog(ERROR, "could not look up execution");
		visible = SPI_processed > 0;
	}
	SPI_finish();
	if (!visible)
		ereport(ERROR,
				errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				errmsg("execution is not cancelled"),
				errhint("Use %s to cancel an execution.", "sage_cancel()"));

	shmem_register_xact();
	old = MemoryContextSwitchTo(TopTransactionContext);
	c = palloc(sizeof(ShmemCancel));
	c->id = *id;
	c->subid = GetCurrentSubTransactionId();
	shmem_cancels = lappend(shmem_cancels, c);
	MemoryContextSwitchTo(old);
	PG_RETURN_VOID();
}
