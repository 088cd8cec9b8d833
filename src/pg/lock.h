/*-------------------------------------------------------------------------
 *
 * src/pg/lock.h
 *		The lock backend of local workers (sage.lock): how an attempt
 *		excludes the attempts of other servers while it processes, and
 *		how its result is fenced before PostgreSQL records it.
 *
 * advisory: one server. The claim (FOR UPDATE SKIP LOCKED, attempt + 1,
 * committed) and the completion conditional on (id, attempt, running)
 * already exclude and fence every attempt of this server; nothing else
 * is taken (see lock.c for why no pg_advisory_lock).
 *
 * dynamodb: several servers share sage.lock_table. An attempt holds the
 * execution's lock item (owner "pg:<system identifier>:<pid>", fencing
 * token = attempt) while it works, refreshes it from the progress
 * callback, and ends with the final status record written in one
 * DynamoDB transaction with the lock's check and release: PostgreSQL
 * records the result only after that write succeeded.
 *
 *-------------------------------------------------------------------------
 */
#ifndef SAGE_LOCK_H
#define SAGE_LOCK_H

#include "postgres.h"

#include "datatype/timestamp.h"

#include "sage/common.h"
#include "sage/dynamodb.h"

#include "sage_pg.h"

/* How an attempt stands with the lock backend. */
typedef enum SageLockVerdict
{
	SAGE_LOCK_VERDICT_OK = 0,	/* go on (or: result fenced and recorded) */
	SAGE_LOCK_VERDICT_BUSY,		/* another holder or our lock lost: retry later */
	SAGE_LOCK_VERDICT_STALE		/* an equal or newer attempt already finished
								 * elsewhere: this one must never commit */
} SageLockVerdict;

/*
 * One attempt's hold on the execution lock. Filled by sage_lock_begin;
 * the heartbeat runs inside the processor's callbacks, so every field it
 * touches is plain memory and its calls never throw.
 */
typedef struct SageLockHold
{
	bool		dynamodb;		/* sage.lock was dynamodb at begin */
	bool		held;			/* we hold the DynamoDB item now */
	SageDynamoClient *client;	/* cached client (aws_config.c) */
	SageArena  *arena;			/* malloc'd scratch of the heartbeat */
	char		table[256];		/* sage.lock_table at begin */
	char		execution_id[40];	/* the key */
	char		owner[64];		/* pg:<system identifier>:<pid> */
	int32		attempt;		/* fencing token */
	int			lease;			/* seconds of each acquire/refresh */
	int			gc_after;		/* sage.lock_ttl */
	int64		lease_end;		/* epoch seconds our lease surely lasts to */
	TimestampTz last_refresh;	/* last successful acquire or refresh */
	bool		lost;			/* a refresh found the item taken */
	char		reason[512];	/* why lost (or the last refresh failure) */
} SageLockHold;

/*
 * Takes the execution's lock for an attempt (after the claim committed,
 * outside any transaction). OK, BUSY (held by another holder) or STALE
 * (a status record of this or a newer attempt exists), with *reason
 * palloc'd. ERROR when DynamoDB cannot be asked.
 */
SageLockVerdict sage_lock_begin(SageLockHold *hold, const char *idstr,
								int32 attempt, char **reason);

/*
 * The heartbeat, from the progress callback: refreshes the lease every
 * sage.lock_lease / 3. Never throws. False once the lock is lost (or our
 * lease ran out without a successful refresh): the attempt must stop.
 */
bool		sage_lock_heartbeat(SageLockHold *hold);

/*
 * The fenced end of a processed attempt (outcome succeeded or failed):
 * writes the final status record conditional on the attempt together
 * with the lock's check and release. OK: PostgreSQL may record it. BUSY
 * (lock lost) or STALE (newer status) with *reason: it must not. ERROR
 * when DynamoDB cannot be asked (the lock is then released if possible).
 */
SageLockVerdict sage_lock_finish(SageLockHold *hold,
								 const SageAttemptResult *result,
								 const char *output_prefix, char **reason);

/* Gives the lock back without a status (retries, errors). Never throws. */
void		sage_lock_release(SageLockHold *hold);

#endif							/* SAGE_LOCK_H */
