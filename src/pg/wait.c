/*-------------------------------------------------------------------------
 *
 * src/pg/wait.c
 *		The one place where sage's background workers wait (STYLE.md
 *		practice 13). Every loop waits here on its latch with a timeout
 *		computed from its next deadline; there are no fixed sleeps.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"
#include "pgstat.h"
#include "storage/latch.h"

#include "sage_pg.h"

/*
 * Waits until the latch is set or timeout_ms passes (-1: no timeout), then
 * resets the latch and handles interrupts; a postmaster death ends the
 * process. The kind is kept for the wait event (PostgreSQL 15 has only
 * PG_WAIT_EXTENSION, so kinds differ by their event number).
 */
void
sage_wait(SageWaitKind kind, long timeout_ms)
{
	int			events = WL_LATCH_SET | WL_EXIT_ON_PM_DEATH;

	if (timeout_ms >= 0)
		events |= WL_TIMEOUT;
	(void) WaitLatch(MyLatch, events, timeout_ms, PG_WAIT_EXTENSION | (uint32) kind);
	ResetLatch(MyLatch);
	CHECK_FOR_INTERRUPTS();
}
