/*-------------------------------------------------------------------------
 *
 * src/pg/dispatcher.h
 *		The Lambda side of the extension: the dispatcher background worker
 *		(dispatcher.c), its offload policy (offload.c) and the reconciler
 *		that commits the final status records of Lambda executions
 *		(reconciler.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef SAGE_DISPATCHER_H
#define SAGE_DISPATCHER_H

#include "postgres.h"

#include "datatype/timestamp.h"

#include "sage_pg.h"

/* Name shown in pg_stat_activity.backend_type. */
#define SAGE_DISPATCHER_TYPE "sage dispatcher"

/*
 * Seconds added to sage.lambda_timeout for the lease of a dispatched
 * execution (queueing in Lambda, clock differences), at most: short
 * timeouts get a margin as long as themselves.
 */
#define SAGE_DISPATCH_LEASE_MARGIN_S 60

/* What the offload policy decided for one pass (offload.c). */
typedef struct SageOffloadDecision
{
	int			forced;			/* placement 'lambda' executions to take */
	int			automatic;		/* placement 'auto' executions to take */
	int			skip;			/* auto executions left at the head for
								 * local workers (the threshold) */
	char		reason[96];		/* where_reason of the automatic ones */
} SageOffloadDecision;

/* ---------------------------------------------------------- offload.c */

/*
 * Decides how many executions to send to Lambda now, given the
 * executions dispatched and not finished (inflight), the pending
 * local-eligible ones due now (pending_auto) and the pending forced ones
 * (pending_forced). Lambda's availability is checked by the caller.
 */
void		sage_offload_decide(int inflight, int64 pending_auto,
								int64 pending_forced, SageOffloadDecision *d);
/* Busy percentage of the host's CPUs over the last interval, or -1. */
int			sage_offload_cpu_busy(void);

/* ------------------------------------------------------- reconciler.c */

/*
 * One pass of the reconciler: reads the status records of dispatched
 * executions (BatchGetItem, 100 keys a request), commits those of the
 * current attempt, rejects and logs those of older attempts, and returns
 * executions whose lease passed with no record to pending (or dead).
 * Runs its own short transactions; never leaves one open. Returns the
 * number of dispatched executions it saw (0: nothing to watch).
 */
int			sage_reconcile_pass(MemoryContext cxt);

/*
 * Whether the last pass committed results and stopped at a full page: the
 * next page is then read at once rather than after the pass interval, so
 * a burst of completions is committed in one round.
 */
bool		sage_reconcile_more(void);

/* Frees what the reconciler keeps between passes (at exit). */
void		sage_reconcile_reset(void);

/* ------------------------------------------------------- dispatcher.c */

PGDLLEXPORT void sage_dispatcher_main(Datum main_arg);

/*
 * Called by the launcher on every pass: starts the dispatcher when Lambda
 * is configured and it is not running (at most every few seconds).
 * Returns the longest the launcher may wait before calling again (ms),
 * or -1 when nothing is due.
 */
long		sage_dispatcher_ensure(void);

#endif							/* SAGE_DISPATCHER_H */
