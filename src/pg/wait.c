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
#include "utils/memutils.h"

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

/* sage_wait_uninterrupted: see sage_pg.h. */
bool
sage_wait_uninterrupted(SageWaitKind kind, long timeout_ms)
{
	int			rc;
	int			events = WL_LATCH_SET | WL_EXIT_ON_PM_DEATH;

	if (timeout_ms >= 0)
		events |= WL_TIMEOUT;
	rc = WaitLatch(MyLatch, events, timeout_ms, PG_WAIT_EXTENSION | (uint32) kind);
	if (rc & WL_LATCH_SET)
	{
		ResetLatch(MyLatch);
		return true;
	}
	return false;
}

/*
 * The socket wait's event set and the sockets it was built for. It is
 * rebuilt (never modified in place) whenever the sockets or their
 * interests differ: libcurl may close a socket and open another with the
 * same number, which epoll has already forgotten, so modifying a stale
 * entry could fail.
 */
static WaitEventSet *wait_set = NULL;
static SageWaitSocket *wait_set_socks = NULL;
static int	wait_set_nsocks = 0;
static int	wait_set_cap = 0;

/* Whether the kept set was built for exactly these sockets. */
static bool
wait_set_matches(const SageWaitSocket *socks, int nsocks)
{
	int			i;

	if (wait_set == NULL || nsocks != wait_set_nsocks)
		return false;
	for (i = 0; i < nsocks; i++)
		if (socks[i].fd != wait_set_socks[i].fd ||
			socks[i].want_read != wait_set_socks[i].want_read ||
			socks[i].want_write != wait_set_socks[i].want_write)
			return false;
	return true;
}

/* Builds the event set for the latch, postmaster death and the sockets. */
static void
wait_set_build(const SageWaitSocket *socks, int nsocks)
{
	int			i;

	if (wait_set)
	{
		FreeWaitEventSet(wait_set);
		wait_set = NULL;
	}
	if (nsocks > wait_set_cap)
	{
		int			cap = Max(nsocks, 16);

		if (wait_set_socks)
			pfree(wait_set_socks);
		wait_set_socks = MemoryContextAlloc(TopMemoryContext,
											sizeof(SageWaitSocket) * cap);
		wait_set_cap = cap;
	}
	wait_set = CreateWaitEventSet(TopMemoryContext, nsocks + 2);
	AddWaitEventToSet(wait_set, WL_LATCH_SET, PGINVALID_SOCKET, MyLatch, NULL);
	AddWaitEventToSet(wait_set, WL_EXIT_ON_PM_DEATH, PGINVALID_SOCKET, NULL, NULL);
	for (i = 0; i < nsocks; i++)
	{
		uint32		ev = 0;

		if (socks[i].want_read)
			ev |= WL_SOCKET_READABLE;
		if (socks[i].want_write)
			ev |= WL_SOCKET_WRITEABLE;
		if (ev == 0)
			ev = WL_SOCKET_READABLE;
		AddWaitEventToSet(wait_set, ev, socks[i].fd, NULL, NULL);
		wait_set_socks[i] = socks[i];
	}
	wait_set_nsocks = nsocks;
}

/* sage_wait_sockets: see sage_pg.h. */
int
sage_wait_sockets(SageWaitKind kind, const SageWaitSocket *socks, int nsocks,
				  long timeout_ms)
{
	WaitEvent	events[64];
	int			n;
	int			i;
	int			ready = 0;

	if (!wait_set_matches(socks, nsocks))
		wait_set_build(socks, nsocks);
	n = WaitEventSetWait(wait_set, timeout_ms, events, lengthof(events),
						 PG_WAIT_EXTENSION | (uint32) kind);
	for (i = 0; i < n; i++)
	{
		if (events[i].events & WL_LATCH_SET)
			ResetLatch(MyLatch);
		else if (events[i].events & (WL_SOCKET_READABLE | WL_SOCKET_WRITEABLE))
			ready++;
	}
	CHECK_FOR_INTERRUPTS();
	return ready;
}
