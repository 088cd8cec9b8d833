/*-------------------------------------------------------------------------
 *
 * src/pg/lock.c
 *		The lock backend of local workers (sage.lock = advisory |
 *		dynamodb); see lock.h for the protocol.
 *
 * Why advisory takes no pg_advisory_lock: inside one server the claim
 * already gives an execution to exactly one attempt (the row is locked
 * FOR UPDATE SKIP LOCKED, set running with attempt + 1, committed), and
 * every later write is conditional on that attempt. A session advisory
 * lock held for the attempt's duration would add nothing to that, and it
 * would do harm: a worker paused past its lease would keep holding it,
 * so the attempt that rescued its execution could not start, while the
 * row fencing lets the new attempt run and refuses the old one's result.
 * Exclusion across servers is what the dynamodb backend is for.
 *
 * dynamodb: the item layout, the acquire condition (absent, or its lease
 * over and not taken by a newer attempt) and the transactional final
 * status write are those of src/aws/dynamodb.c, as lambda/bootstrap uses
 * them, so local workers of several servers and Lambda attempts fence
 * each other through the same table. Before working, an attempt also
 * reads the status record (after acquiring, so that a holder that just
 * finished and released is seen): a status of this attempt number or a
 * newer one, or any status that another PostgreSQL server's worker wrote
 * (attempt numbers of two servers are not comparable), means the
 * execution was already finished elsewhere, and this attempt must never
 * commit. While we hold the lock nobody else can write a status (every
 * status write checks its writer's lock in the same transaction), so the
 * check stays true until our own final write.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <inttypes.h>
#include <time.h>

#include "access/xlog.h"
#include "miscadmin.h"
#include "utils/timestamp.h"

#include "sage/dynamodb.h"

#include "aws_config.h"
#include "lock.h"
#include "sage_pg.h"

/* Smallest gap between two refresh attempts after a failed one, ms. */
#define LOCK_RETRY_MS 1000

/* Copies a SageError's message (and detail) into buf. */
static void
lock_reason_from_error(char *buf, size_t len, const SageError *err)
{
	if (err->detail[0] != '\0')
		snprintf(buf, len, "%s: %s", err->message, err->detail);
	else
		strlcpy(buf, err->message, len);
}

/* The SageDynamoLock of a hold. */
static void
lock_identity(const SageLockHold *hold, SageDynamoLock *lock)
{
	lock->table = hold->table;
	lock->execution_id = hold->execution_id;
	lock->owner = hold->owner;
	lock->attempt = hold->attempt;
}

/*
 * Was a status record written by the local worker of another PostgreSQL
 * server ("pg:<system identifier>:<pid>" with another identifier)?
 * Attempt numbers of different servers are not comparable: each counts
 * its own claims. So an execution id that another server finished (a
 * copy of the same execution) is never run here, whatever the attempt;
 * records of this server's attempts and of Lambda (request ids) are
 * ordered by attempt.
 */
static bool
lock_other_server(const char *request_id)
{
	char		mine[64];

	if (strncmp(request_id, "pg:", 3) != 0)
		return false;
	snprintf(mine, sizeof(mine), "pg:" UINT64_FORMAT ":", GetSystemIdentifier());
	return strncmp(request_id, mine, strlen(mine)) != 0;
}

/* A scratch arena for one DynamoDB call; ERROR when out of memory. */
static SageArena *
lock_arena(void)
{
	SageArena  *arena = sage_arena_new(NULL);

	if (arena == NULL)
		ereport(ERROR,
				errcode(ERRCODE_OUT_OF_MEMORY),
				errmsg("out of memory"));
	return arena;
}

/*
 * sage_lock_begin: see lock.h. With sage.lock = advisory there is nothing
 * to take (the claim is the exclusion).
 */
SageLockVerdict
sage_lock_begin(SageLockHold *hold, const char *idstr, int32 attempt,
				char **reason)
{
	SageDynamoLock lock;
	SageLockHolder holder;
	SageDynamoStatus st;
	SageError	err;
	SageArena  *arena;
	int64		now;
	int			rc;

	memset(hold, 0, sizeof(*hold));
	*reason = NULL;
	if (sage_lock != SAGE_LOCK_DYNAMODB)
		return SAGE_LOCK_VERDICT_OK;

	hold->dynamodb = true;
	hold->client = sage_pg_dynamodb_client();
	strlcpy(hold->table, sage_lock_table, sizeof(hold->table));
	strlcpy(hold->execution_id, idstr, sizeof(hold->execution_id));
	snprintf(hold->owner, sizeof(hold->owner), "pg:" UINT64_FORMAT ":%d",
			 GetSystemIdentifier(), MyProcPid);
	hold->attempt = attempt;
	hold->lease = sage_lock_lease;
	hold->gc_after = sage_lock_ttl;
	lock_identity(hold, &lock);

	arena = lock_arena();
	sage_error_clear(&err);
	memset(&holder, 0, sizeof(holder));
	now = (int64) time(NULL);
	rc = sage_dynamodb_lock_acquire(hold->client, &lock, now, hold->lease,
									hold->gc_after, arena, &holder, &err);
	if (rc < 0)
	{
		sage_arena_free(arena);
		sage_pg_aws_report(ERROR, &err, "could not take the DynamoDB lock of the execution");
	}
	if (rc != SAGE_LOCK_OK)
	{
		*reason = pstrdup(sage_dynamodb_lock_explain(arena, &lock,
													 (SageLockResult) rc, &holder));
		sage_arena_free(arena);
		return SAGE_LOCK_VERDICT_BUSY;
	}
	hold->held = true;
	hold->lease_end = now + hold->lease;
	hold->last_refresh = GetCurrentTimestamp();

	/* read after acquiring: a holder that finished and released is seen */
	memset(&st, 0, sizeof(st));
	rc = sage_dynamodb_status_read(hold->client, hold->table,
								   (const char *const *) &lock.execution_id, 1,
								   arena, &st, &err);
	if (rc != 0)
	{
		sage_arena_free(arena);
		sage_lock_release(hold);
		sage_pg_aws_report(ERROR, &err, "could not read the status record of the execution");
	}
	if (st.found)
	{
		const char *by = "";
		int			i;

		for (i = 0; i < st.nattrs; i++)
			if (strcmp(st.attrs[i].name, "request_id") == 0)
				by = st.attrs[i].value;
		if (st.attempt < attempt && !lock_other_server(by))
		{
			/* an earlier attempt of ours (or of Lambda for us): go on */
			sage_arena_free(arena);
			return SAGE_LOCK_VERDICT_OK;
		}
		*reason = psprintf("attempt %" PRId64 " of execution %s already finished "
						   "with status \"%s\"%s%s",
						   st.attempt, idstr, st.status ? st.status : "",
						   by[0] ? " by " : "", by);
		sage_arena_free(arena);
		sage_lock_release(hold);
		return SAGE_LOCK_VERDICT_STALE;
	}
	sage_arena_free(arena);
	return SAGE_LOCK_VERDICT_OK;
}

/*
 * sage_lock_heartbeat: see lock.h. Runs in the processor's progress
 * callback: plain C calls only (the DynamoDB client never throws), an
 * arena of its own that is freed before returning, no ereport.
 */
bool
sage_lock_heartbeat(SageLockHold *hold)
{
	SageDynamoLock lock;
	SageLockHolder holder;
	SageError	err;
	SageArena  *arena;
	TimestampTz now;
	int64		epoch;
	int			rc;

	if (!hold->dynamodb || hold->lost)
		return !hold->lost;
	if (!hold->held)
		return true;
	now = GetCurrentTimestamp();
	if (!TimestampDifferenceExceeds(hold->last_refresh, now, hold->lease * 1000 / 3))
		return true;

	arena = sage_arena_new(NULL);
	if (arena == NULL)
		return true;			/* try again at the next callback */
	lock_identity(hold, &lock);
	sage_error_clear(&err);
	memset(&holder, 0, sizeof(holder));
	epoch = (int64) time(NULL);
	rc = sage_dynamodb_lock_refresh(hold->client, &lock, epoch, hold->lease,
									hold->gc_after, arena, &holder, &err);
	if (rc == SAGE_LOCK_OK)
	{
		hold->lease_end = epoch + hold->lease;
		hold->last_refresh = now;
	}
	else if (rc > 0)
	{
		/* fenced: another owner or attempt holds the item now */
		const char *why = sage_dynamodb_lock_explain(arena, &lock,
													 (SageLockResult) rc, &holder);

		hold->lost = true;
		hold->held = false;
		snprintf(hold->reason, sizeof(hold->reason), "%s",
				 why ? why : "the lock item was taken by another holder");
	}
	else
	{
		/* DynamoDB unreachable: keep working while our lease surely lasts */
		lock_reason_from_error(hold->reason, sizeof(hold->reason), &err);
		hold->last_refresh = TimestampTzPlusMilliseconds(now,
														 LOCK_RETRY_MS - hold->lease * 1000 / 3);
		if (epoch >= hold->lease_end)
		{
			char		buf[sizeof(hold->reason)];

			snprintf(buf, sizeof(buf), "the lease ran out without a refresh: %s",
					 hold->reason);
			strlcpy(hold->reason, buf, sizeof(hold->reason));
			hold->lost = true;
		}
	}
	sage_arena_free(arena);
	return !hold->lost;
}

/* Appends a number attribute (decimal text in arena) to attrs. */
static void
lock_attr(SageDynamoAttr *attrs, int *n, const char *name, char type,
		  const char *value)
{
	attrs[*n].name = name;
	attrs[*n].type = type;
	attrs[*n].value = value;
	(*n)++;
}

/*
 * sage_lock_finish: see lock.h. The attributes are those lambda/bootstrap
 * writes, so one reader understands the records of both.
 */
SageLockVerdict
sage_lock_finish(SageLockHold *hold, const SageAttemptResult *result,
				 const char *output_prefix, char **reason)
{
	SageDynamoLock lock;
	SageLockHolder holder;
	SageDynamoAttr attrs[10];
	SageError	err;
	SageArena  *arena;
	int			nattrs = 0;
	int			rc;
	int			i;

	*reason = NULL;
	if (!hold->dynamodb)
		return SAGE_LOCK_VERDICT_OK;
	if (hold->lost || !hold->held)
	{
		*reason = pstrdup(hold->reason[0] ? hold->reason : "the lock is no longer held");
		return SAGE_LOCK_VERDICT_BUSY;
	}

	arena = lock_arena();
	if (result->has_counts)
	{
		lock_attr(attrs, &nattrs, "total_records", 'N',
				  sage_printf(arena, INT64_FORMAT, result->records));
		lock_attr(attrs, &nattrs, "errors", 'N',
				  sage_printf(arena, INT64_FORMAT, result->errors));
		lock_attr(attrs, &nattrs, "warnings", 'N',
				  sage_printf(arena, INT64_FORMAT, result->warnings));
		lock_attr(attrs, &nattrs, "rows_with_errors", 'N',
				  sage_printf(arena, INT64_FORMAT, result->rows_with_errors));
		lock_attr(attrs, &nattrs, "success_rate", 'N',
				  sage_printf(arena, "%.2f", result->success_rate));
		lock_attr(attrs, &nattrs, "report_status", 'S',
				  result->status ? result->status : "");
	}
	if (output_prefix != NULL)
		lock_attr(attrs, &nattrs, "output_prefix", 'S', output_prefix);
	lock_attr(attrs, &nattrs, "request_id", 'S', hold->owner);
	lock_attr(attrs, &nattrs, "where", 'S', "local");
	if (result->last_error != NULL)
		lock_attr(attrs, &nattrs, "error", 'S', result->last_error);
	for (i = 0; i < nattrs; i++)
		if (attrs[i].value == NULL)
		{
			sage_arena_free(arena);
			sage_lock_release(hold);
			ereport(ERROR,
					errcode(ERRCODE_OUT_OF_MEMORY),
					errmsg("out of memory"));
		}

	lock_identity(hold, &lock);
	sage_error_clear(&err);
	memset(&holder, 0, sizeof(holder));
	rc = sage_dynamodb_status_write(hold->client, &lock,
									result->outcome == SAGE_OUTCOME_SUCCEEDED ?
									"succeeded" : "failed",
									attrs, nattrs, true, true, arena, &holder, &err);
	if (rc < 0)
	{
		sage_arena_free(arena);
		sage_lock_release(hold);
		sage_pg_aws_report(ERROR, &err, "could not write the final status record of the execution");
	}
	if (rc != SAGE_LOCK_OK)
	{
		*reason = pstrdup(sage_dynamodb_lock_explain(arena, &lock,
													 (SageLockResult) rc, &holder));
		hold->held = false;
		sage_arena_free(arena);
		return rc == SAGE_LOCK_STALE ? SAGE_LOCK_VERDICT_STALE : SAGE_LOCK_VERDICT_BUSY;
	}
	hold->held = false;			/* released in the same transaction */
	sage_arena_free(arena);
	return SAGE_LOCK_VERDICT_OK;
}

/* sage_lock_release: see lock.h. A failure is logged: the lease ends it. */
void
sage_lock_release(SageLockHold *hold)
{
	SageDynamoLock lock;
	SageLockHolder holder;
	SageError	err;
	SageArena  *arena;

	if (!hold->dynamodb || !hold->held)
		return;
	hold->held = false;
	arena = sage_arena_new(NULL);
	if (arena == NULL)
		return;
	lock_identity(hold, &lock);
	sage_error_clear(&err);
	memset(&holder, 0, sizeof(holder));
	if (sage_dynamodb_lock_release(hold->client, &lock, arena, &holder, &err) < 0)
		ereport(LOG,
				errmsg("could not release the lock of execution %s attempt %d: %s",
					   hold->execution_id, hold->attempt, err.message),
				errdetail("The lock's lease ends it within %d seconds.", hold->lease));
	sage_arena_free(arena);
}
