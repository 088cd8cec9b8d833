/*-------------------------------------------------------------------------
 *
 * src/include/sage/dynamodb.h
 *		DynamoDB client (JSON protocol 1.0) and the execution lock with
 *		fencing built on it (ARCHITECTURE.md, "Fencing").
 *
 * The lock table has one string key, execution_id. A lock item carries
 * owner (who holds it), attempt (the fencing token: the execution's
 * attempt number in PostgreSQL), expiration_time (end of the lease, epoch
 * seconds, part of the acquire condition because TTL deletion lags) and
 * gc_time (epoch seconds, for the table's TTL setting, if any).
 *
 * A status record lives in the same table under the key
 * "status#<execution_id>" with attempt, status and the caller's
 * attributes. It is written conditionally on the attempt (a stale attempt
 * never overwrites a newer one) and, when asked, in one transaction with
 * a check (or deletion) of the lock item, so a holder that lost its lock
 * cannot write a final status at all.
 *
 * Every conditional refusal is a result, not an error: the functions
 * return one of SageLockResult with the current holder or record, learned
 * in the same round trip (ReturnValuesOnConditionCheckFailure = ALL_OLD);
 * sage_dynamodb_lock_explain turns it into a message. -1 with *err is
 * kept for failures (transport, permissions, a missing table...).
 *
 *-------------------------------------------------------------------------
 */
#ifndef SAGE_DYNAMODB_H
#define SAGE_DYNAMODB_H

#include <stdint.h>

#include "sage/aws.h"
#include "sage/common.h"

/* ---------------------------------------------------------------- types */

/* Options of a DynamoDB client; endpoint NULL = AWS's regional endpoint. */
typedef struct SageDynamoOptions
{
	const char *endpoint;		/* "http://127.0.0.1:8000"; NULL = AWS */
	const char *region;			/* signing region, required */
	SageCredentialProvider *credentials;	/* required; not owned */
	SageHttpOptions http;		/* transport options */
} SageDynamoOptions;

/* Opaque client: an HTTP client (connections kept open) and the endpoint. */
typedef struct SageDynamoClient SageDynamoClient;

/* The answer of one DynamoDB operation (arena-allocated). */
typedef struct SageDynamoReply
{
	long		status;			/* HTTP status */
	const char *error_type;		/* NULL on success; else the exception name
								 * ("ConditionalCheckFailedException") */
	const char *error_message;	/* the service's message, or NULL */
	const struct SageJsonValue *body;	/* parsed body, NULL when empty */
	int			attempts;		/* HTTP attempts made */
} SageDynamoReply;

/* Which lock, for whom: the identity every lock call carries. */
typedef struct SageDynamoLock
{
	const char *table;			/* lock table, e.g. "sage_execution_locks" */
	const char *execution_id;	/* the key */
	const char *owner;			/* this worker, unique (host:pid:uuid) */
	int64_t		attempt;		/* fencing token, >= 1 */
} SageDynamoLock;

/* What a refusal said about the item in the way. */
typedef struct SageLockHolder
{
	bool		present;		/* false: there was no item */
	const char *owner;			/* its owner ("" when absent) */
	int64_t		attempt;		/* its attempt */
	int64_t		expiration_time;	/* lock: end of its lease */
	const char *status;			/* status record: its status */
} SageLockHolder;

/* Outcome of a lock or status call that reached DynamoDB. */
typedef enum SageLockResult
{
	SAGE_LOCK_OK = 0,			/* done */
	SAGE_LOCK_HELD,				/* acquire: another holder's lease runs */
	SAGE_LOCK_SUPERSEDED,		/* acquire: an expired lock of a newer
								 * attempt is in the way */
	SAGE_LOCK_LOST,				/* refresh, release, final write: the lock
								 * is no longer ours (fenced) */
	SAGE_LOCK_STALE				/* final write: a newer attempt's status
								 * is recorded */
} SageLockResult;

/* A string or number attribute of a status record. */
typedef struct SageDynamoAttr
{
	const char *name;			/* attribute name */
	char		type;			/* 'S' or 'N' (others are skipped on read) */
	const char *value;			/* text; a number's decimal text */
} SageDynamoAttr;

/* A status record as read back. */
typedef struct SageDynamoStatus
{
	const char *execution_id;	/* without the "status#" prefix */
	bool		found;			/* false: no record */
	int64_t		attempt;		/* the attempt that wrote it */
	const char *status;			/* "succeeded", "failed"... */
	SageDynamoAttr *attrs;		/* the other S and N attributes */
	int			nattrs;
} SageDynamoStatus;

/* ------------------------------------------------------------ constants */

#define SAGE_DYNAMODB_KEY "execution_id"	/* the table's hash key */
#define SAGE_DYNAMODB_STATUS_PREFIX "status#"	/* status record keys */
#define SAGE_DYNAMODB_BATCH_MAX 100 /* keys per BatchGetItem */

/* -------------------------------------------------------- constructors */

/* A client; NULL with *err when the options are invalid. */
SageDynamoClient *sage_dynamodb_client_new(const SageDynamoOptions *opts,
										   SageError *err);
void		sage_dynamodb_client_free(SageDynamoClient *client);

/* ------------------------------------------------------------ functions */

/*
 * One operation ("PutItem"...) with a JSON request body. Returns 0 with
 * *reply filled whenever DynamoDB answered (a service error is in
 * reply->error_type), -1 with *err when it could not be asked or the
 * answer is not JSON.
 */
int			sage_dynamodb_call(SageDynamoClient *client, const char *op,
							   const char *json, size_t len, SageArena *arena,
							   SageDynamoReply *reply, SageError *err);

/*
 * Acquires the lock for lease seconds from now (epoch seconds): the item
 * is written when absent or when its lease ended before now and it was
 * not taken by a newer attempt. gc_after > 0 sets gc_time = now +
 * gc_after. One round trip; a retried request that finds our own item is
 * success. SAGE_LOCK_HELD / SUPERSEDED fill *holder.
 */
int			sage_dynamodb_lock_acquire(SageDynamoClient *client,
									   const SageDynamoLock *lock, int64_t now,
									   int lease, int gc_after, SageArena *arena,
									   SageLockHolder *holder, SageError *err);

/* Extends the lease to now + lease if still ours; else SAGE_LOCK_LOST. */
int			sage_dynamodb_lock_refresh(SageDynamoClient *client,
									   const SageDynamoLock *lock, int64_t now,
									   int lease, int gc_after, SageArena *arena,
									   SageLockHolder *holder, SageError *err);

/* Deletes the lock if still ours; else SAGE_LOCK_LOST. One round trip. */
int			sage_dynamodb_lock_release(SageDynamoClient *client,
									   const SageDynamoLock *lock,
									   SageArena *arena, SageLockHolder *holder,
									   SageError *err);

/*
 * Writes the final status record of lock->execution_id for lock->attempt,
 * unless a newer attempt's record exists (SAGE_LOCK_STALE). With
 * require_lock the write is one transaction with a check that the lock
 * is still ours (SAGE_LOCK_LOST otherwise); release_lock also deletes the
 * lock in that transaction. attrs may not use the names execution_id,
 * attempt or status.
 */
int			sage_dynamodb_status_write(SageDynamoClient *client,
									   const SageDynamoLock *lock,
									   const char *status,
									   const SageDynamoAttr *attrs, int nattrs,
									   bool require_lock, bool release_lock,
									   SageArena *arena, SageLockHolder *holder,
									   SageError *err);

/*
 * Reads the status records of n executions (consistent reads), 100 keys
 * per BatchGetItem, retrying UnprocessedKeys with backoff. out[i] answers
 * ids[i]. Duplicate ids are allowed.
 */
int			sage_dynamodb_status_read(SageDynamoClient *client, const char *table,
									  const char *const *ids, int n,
									  SageArena *arena, SageDynamoStatus *out,
									  SageError *err);

/*
 * The outputs of an attempt, as the bootstrap lists them in its status
 * record (attribute "outputs", a JSON array of {"name", "size"}), so that
 * the reconciler needs no S3 listing to commit a result.
 */
typedef struct SageStatusOutput
{
	const char *name;			/* file name under the attempt's prefix */
	uint64_t	size;			/* bytes */
} SageStatusOutput;

/* Outputs one record may list. */
#define SAGE_STATUS_MAX_OUTPUTS 64

/* The attribute's text for n outputs, in arena; NULL with *err. */
char	   *sage_status_outputs_format(SageArena *arena, const SageStatusOutput *outputs,
									   int n, SageError *err);

/*
 * Parses the attribute: 0 with *outputs (in arena) and *n, or -1 with
 * *err (SAGE_ERR_INPUT) when it is not such a list: more than
 * SAGE_STATUS_MAX_OUTPUTS entries, a name that is empty, too long, holds
 * '/' or a control character, or repeats, or a size that is not a count.
 */
int			sage_status_outputs_parse(SageArena *arena, const char *text, size_t len,
									  SageStatusOutput **outputs, int *n,
									  SageError *err);

/* Name of a result ("held", "lost"...). */
const char *sage_lock_result_name(SageLockResult r);

/*
 * A sentence explaining a refusal, e.g. 'lock on execution "e1" is held
 * by "w2" attempt 3 until 2024-05-01 10:00:00 UTC', in arena.
 */
char	   *sage_dynamodb_lock_explain(SageArena *arena, const SageDynamoLock *lock,
									   SageLockResult r,
									   const SageLockHolder *holder);

#endif							/* SAGE_DYNAMODB_H */
