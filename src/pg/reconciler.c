/*-------------------------------------------------------------------------
 *
 * src/pg/reconciler.c
 *		Completion of Lambda executions: the reconciler, run by the
 *		dispatcher's loop, reads the final status records the bootstrap
 *		writes to DynamoDB and commits them to sage.executions.
 *
 * One pass:
 *
 *	1. lists the dispatched executions (one short read-only transaction);
 *	2. reads their status records with consistent BatchGetItem requests
 *	   of 100 keys ("status#<id>" in sage.lock_table), no transaction open;
 *	3. for a record of the execution's current attempt, lists the
 *	   attempt's outputs under <prefix><id>/attempt-<n>/ and, when
 *	   sage.copy_outputs, reads them (still no transaction open);
 *	4. commits, in one short transaction, each result conditionally on
 *	   (id, attempt, state = 'dispatched') with its output rows (bytea
 *	   copies, or storage s3 with their s3:// uri), and returns to pending
 *	   (or dead, out of attempts) the executions whose lease passed with
 *	   no record of their attempt.
 *
 * A record of an older attempt is a late result (an attempt whose lease
 * passed, then finished anyway): it is logged once and never committed.
 * The same attempt's record read twice commits once: the second update
 * finds the state no longer dispatched.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"
#include "utils/uuid.h"

#include "sage/aws.h"
#include "sage/dynamodb.h"

#include "aws_config.h"
#include "dispatcher.h"
#include "sage_pg.h"

/*
 * Dispatched executions examined per pass: one BatchGetItem. Passes walk
 * the dispatched executions in (lease_until, id) order from where the
 * last one stopped, so with more in flight than this each is still read
 * in turn, and one pass never holds up dispatching for long.
 */
#define RECONCILE_MAX SAGE_DYNAMODB_BATCH_MAX
/* Results committed per pass (each may read a few S3 objects). */
#define RECONCILE_COMMIT_MAX 100
/* Output files of one attempt, at most. */
#define RECONCILE_MAX_OUTPUTS 64
/* Late results remembered (so each is logged once); cleared past this. */
#define RECONCILE_LATE_MAX 10000
/* A failing DynamoDB read is warned about at most this often. */
#define RECONCILE_WARN_MS 60000

/* A dispatched execution as the pass found it. */
typedef struct ReconItem
{
	pg_uuid_t	id;				/* execution */
	char		idstr[UUID_LEN * 2 + 5];	/* as text */
	int32		attempt;		/* dispatched attempt */
	bool		expired;		/* its lease passed */
} ReconItem;

/* One output of a Lambda attempt. */
typedef struct ReconOutput
{
	char	   *name;			/* file name (key minus the attempt prefix) */
	char	   *uri;			/* s3://bucket/key */
	uint64		size;			/* bytes */
	char	   *data;			/* contents when copied, else NULL */
	size_t		len;			/* bytes of data */
} ReconOutput;

/* A result to commit. */
typedef struct ReconResult
{
	ReconItem  *item;			/* the execution */
	const SageDynamoStatus *st; /* its record */
	const char *state;			/* succeeded or failed */
	int			noutputs;
	ReconOutput outputs[RECONCILE_MAX_OUTPUTS];
} ReconResult;

/* Late results already logged: execution id -> newest attempt logged. */
typedef struct ReconLate
{
	pg_uuid_t	id;				/* key */
	int32		attempt;		/* attempt of the last logged late record */
} ReconLate;

static HTAB *recon_late = NULL;
static TimestampTz recon_last_warning = 0;
static SPIPlanPtr recon_list_plan = NULL;
/* Where the next pass starts: after (lease_until, id); none = the start. */
static bool recon_have_cursor = false;
static TimestampTz recon_cursor_lease = 0;
static pg_uuid_t recon_cursor_id;
static SPIPlanPtr recon_commit_plan = NULL;
static SPIPlanPtr recon_delete_plan = NULL;
static SPIPlanPtr recon_insert_plan = NULL;
static SPIPlanPtr recon_expire_plan = NULL;

static const char *const recon_commit_sql =
"UPDATE sage.executions e "
"SET state = $3, finished_at = pg_catalog.now(), lease_until = NULL, "
"    records = $4, errors = $5, warnings = $6, rows_with_errors = $7, "
"    success_rate = $8::pg_catalog.numeric, status = $9, last_error = $10 "
"WHERE e.id = $1 AND e.attempt = $2 AND e.state = 'dispatched' "
"RETURNING 1";

static const char *const recon_insert_sql =
"INSERT INTO sage.execution_files "
"(execution_id, role, name, ordinal, size, sha256, storage, content, uri) "
"VALUES ($1, 'out', $2, $3, $4, "
"        CASE WHEN $5 IS NULL THEN NULL ELSE pg_catalog.sha256($5) END, "
"        CASE WHEN $5 IS NULL THEN 's3' ELSE 'bytea' END, $5, $6)";

static const char *const recon_expire_sql =
"UPDATE sage.executions e "
"SET state = CASE WHEN e.attempt - e.attempt_base >= e.max_attempts "
"                 THEN 'dead' ELSE 'pending' END, "
"    run_after = pg_catalog.now() + sage._retry_delay(e.attempt), "
"    finished_at = CASE WHEN e.attempt - e.attempt_base >= e.max_attempts "
"                       THEN pg_catalog.now() END, "
"    lease_until = NULL, "
"    last_error = 'Lambda attempt ' || e.attempt || ' gave no result before its lease expired' "
"WHERE e.id = $1 AND e.attempt = $2 AND e.state = 'dispatched' "
"  AND e.lease_until < pg_catalog.now() "
"RETURNING e.state";

/* Output names in the order local workers create them; others follow by name. */
static const char *const recon_output_order[] = {
	"failures.csv", "output.log", "report.json", "report.html", "results.txt",
	"error.log"
};

/* Starts a short transaction with a snapshot. */
static void
recon_begin(const char *activity)
{
	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	PushActiveSnapshot(GetTransactionSnapshot());
	pgstat_report_activity(STATE_RUNNING, activity);
}

/* Commits it. */
static void
recon_commit(void)
{
	PopActiveSnapshot();
	CommitTransactionCommand();
	pgstat_report_stat(false);
	pgstat_report_activity(STATE_IDLE, NULL);
}

/* The next dispatched executions after the cursor, in (lease_until, id) order. */
static int
recon_list(ReconItem **items)
{
	ReconItem  *out;
	uint64		i;
	MemoryContext cxt = CurrentMemoryContext;
	Oid			argtypes[3] = {BOOLOID, TIMESTAMPTZOID, UUIDOID};
	Datum		values[3];
	int			n;

	values[0] = BoolGetDatum(recon_have_cursor);
	values[1] = TimestampTzGetDatum(recon_cursor_lease);
	values[2] = UUIDPGetDatum(&recon_cursor_id);
	recon_begin("sage reconciler: listing dispatched executions");
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_execute_plan(sage_spi_plan(&recon_list_plan,
									   "SELECT id, attempt, lease_until < pg_catalog.now(), lease_until "
									   "FROM sage.executions WHERE state = 'dispatched' "
									   "AND (NOT $1 OR (lease_until, id) > ($2, $3)) "
									   "ORDER BY lease_until, id LIMIT " CppAsString2(RECONCILE_MAX),
									   3, argtypes),
						 values, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not list dispatched executions");
	out = MemoryContextAllocZero(cxt, sizeof(ReconItem) * Max(SPI_processed, 1));
	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;
		char	   *s;

		out[i].id = *DatumGetUUIDP(SPI_getbinval(tup, desc, 1, &isnull));
		out[i].attempt = DatumGetInt32(SPI_getbinval(tup, desc, 2, &isnull));
		out[i].expired = DatumGetBool(SPI_getbinval(tup, desc, 3, &isnull)) && !isnull;
		s = DatumGetCString(DirectFunctionCall1(uuid_out, UUIDPGetDatum(&out[i].id)));
		strlcpy(out[i].idstr, s, sizeof(out[i].idstr));
		if (i == SPI_processed - 1)
		{
			recon_cursor_lease = DatumGetTimestampTz(SPI_getbinval(tup, desc, 4, &isnull));
			recon_cursor_id = out[i].id;
		}
	}
	n = (int) SPI_processed;
	/* a short page ends the round: the next pass starts again */
	recon_have_cursor = n == RECONCILE_MAX;
	SPI_finish();
	recon_commit();
	*items = out;
	return n;
}

/* An attribute of a status record, or NULL. */
static const char *
recon_attr(const SageDynamoStatus *st, const char *name)
{
	int			i;

	for (i = 0; i < st->nattrs; i++)
		if (strcmp(st->attrs[i].name, name) == 0)
			return st->attrs[i].value;
	return NULL;
}

/* Logs a late (or foreign) record once per execution and attempt. */
static void
recon_log_late(const ReconItem *item, const SageDynamoStatus *st)
{
	ReconLate  *late;
	bool		found;

	if (recon_late == NULL || hash_get_num_entries(recon_late) > RECONCILE_LATE_MAX)
	{
		HASHCTL		ctl;

		if (recon_late)
			hash_destroy(recon_late);
		memset(&ctl, 0, sizeof(ctl));
		ctl.keysize = sizeof(pg_uuid_t);
		ctl.entrysize = sizeof(ReconLate);
		recon_late = hash_create("sage late results", 256, &ctl, HASH_ELEM | HASH_BLOBS);
	}
	late = hash_search(recon_late, &item->id, HASH_ENTER, &found);
	if (found && late->attempt == (int32) st->attempt)
		return;
	late->attempt = (int32) st->attempt;
	if (st->attempt < item->attempt)
		ereport(LOG,
				errmsg("late result of attempt %lld of execution %s rejected",
					   (long long) st->attempt, item->idstr),
				errdetail("Attempt %d holds the execution; the late attempt's status was \"%s\".",
						  item->attempt, st->status ? st->status : ""));
	else
		ereport(LOG,
				errmsg("status record of attempt %lld of execution %s ignored",
					   (long long) st->attempt, item->idstr),
				errdetail("Attempt %d was dispatched; the record is newer and did not come from this server's dispatch.",
						  item->attempt));
}

/* Position of an output name in recon_output_order, or its length. */
static int
recon_output_rank(const char *name)
{
	int			i;

	for (i = 0; i < (int) lengthof(recon_output_order); i++)
		if (strcmp(name, recon_output_order[i]) == 0)
			return i;
	return lengthof(recon_output_order);
}

/* qsort comparator of outputs: known names in local order, others by name. */
static int
recon_output_cmp(const void *a, const void *b)
{
	const ReconOutput *x = (const ReconOutput *) a;
	const ReconOutput *y = (const ReconOutput *) b;
	int			rx = recon_output_rank(x->name);
	int			ry = recon_output_rank(y->name);

	if (rx != ry)
		return rx < ry ? -1 : 1;
	return strcmp(x->name, y->name);
}

/*
 * Lists (and copies, with sage.copy_outputs) the outputs of a result.
 * False with a WARNING when S3 could not be read: the result is committed
 * at a later pass.
 */
static bool
recon_fetch_outputs(ReconResult *r, SageArena *arena)
{
	SageS3Client *s3 = sage_pg_s3_client();
	const char *prefix = recon_attr(r->st, "output_prefix");
	SageS3Object *objs;
	size_t		nobjs = 0;
	size_t		i;
	SageError	err;

	r->noutputs = 0;
	if (prefix == NULL || prefix[0] == '\0')
		return true;
	memset(&err, 0, sizeof(err));
	if (sage_s3_list(s3, prefix, RECONCILE_MAX_OUTPUTS, arena, &objs, &nobjs, &err) != 0)
	{
		sage_pg_aws_report(WARNING, &err,
						   psprintf("could not list the outputs of execution %s attempt %d",
									r->item->idstr, r->item->attempt));
		return false;
	}
	for (i = 0; i < nobjs; i++)
	{
		const char *name = objs[i].key + strlen(prefix);
		ReconOutput *o;

		if (strncmp(objs[i].key, prefix, strlen(prefix)) != 0 ||
			name[0] == '\0' || strchr(name, '/') != NULL)
			continue;
		o = &r->outputs[r->noutputs++];
		o->name = pstrdup(name);
		o->uri = psprintf("s3://%s/%s", sage_s3_bucket, objs[i].key);
		o->size = objs[i].size;
		o->data = NULL;
		if (sage_copy_outputs)
		{
			char	   *data;
			size_t		len;
			int			rc;

			memset(&err, 0, sizeof(err));
			rc = sage_s3_get(s3, objs[i].key, 0, -1, arena, &data, &len, &err);
			if (rc < 0)
			{
				sage_pg_aws_report(WARNING, &err,
								   psprintf("could not read output \"%s\" of execution %s attempt %d",
											name, r->item->idstr, r->item->attempt));
				return false;
			}
			if (rc == 0)
			{
				o->data = data;
				o->len = len;
				o->size = len;
			}
		}
	}
	qsort(r->outputs, r->noutputs, sizeof(ReconOutput), recon_output_cmp);
	return true;
}

/* A numeric attribute as int8, or NULL (when missing). */
static void
recon_int_arg(const SageDynamoStatus *st, const char *name, Datum *value, char *null)
{
	const char *v = recon_attr(st, name);

	if (v == NULL)
	{
		*null = 'n';
		return;
	}
	*value = Int64GetDatum(strtoll(v, NULL, 10));
	*null = ' ';
}

/* Commits one result (inside the pass's transaction); false when fenced off. */
static bool
recon_commit_one(ReconResult *r)
{
	Oid			argtypes[10] = {UUIDOID, INT4OID, TEXTOID, INT8OID, INT8OID,
	INT8OID, INT8OID, TEXTOID, TEXTOID, TEXTOID};
	Datum		values[10];
	char		nulls[10];
	const char *v;
	int			i;
	bool		processed = strcmp(r->state, "succeeded") == 0;

	for (i = 0; i < 10; i++)
		nulls[i] = ' ';
	values[0] = UUIDPGetDatum(&r->item->id);
	values[1] = Int32GetDatum(r->item->attempt);
	values[2] = CStringGetTextDatum(r->state);
	/* as local workers record them: counts only for a processed execution */
	if (processed)
	{
		recon_int_arg(r->st, "total_records", &values[3], &nulls[3]);
		recon_int_arg(r->st, "errors", &values[4], &nulls[4]);
		recon_int_arg(r->st, "warnings", &values[5], &nulls[5]);
		recon_int_arg(r->st, "rows_with_errors", &values[6], &nulls[6]);
	}
	else
		nulls[3] = nulls[4] = nulls[5] = nulls[6] = 'n';
	v = processed ? recon_attr(r->st, "success_rate") : NULL;
	if (v)
		values[7] = CStringGetTextDatum(v);
	else
		nulls[7] = 'n';
	v = recon_attr(r->st, "report_status");
	if (v && v[0] && processed)
		values[8] = CStringGetTextDatum(v);
	else
		nulls[8] = 'n';
	v = recon_attr(r->st, "error");
	if (!processed)
		values[9] = CStringGetTextDatum(v ? v : "the Lambda attempt failed");
	else
		nulls[9] = 'n';

	if (SPI_execute_plan(sage_spi_plan(&recon_commit_plan, recon_commit_sql, 10, argtypes),
						 values, nulls, false, 0) != SPI_OK_UPDATE_RETURNING)
		elog(ERROR, "could not record the result of a Lambda execution");
	if (SPI_processed == 0)
		return false;

	{
		Oid			dtypes[1] = {UUIDOID};

		if (SPI_execute_plan(sage_spi_plan(&recon_delete_plan,
										   "DELETE FROM sage.execution_files "
										   "WHERE execution_id = $1 AND role = 'out'",
										   1, dtypes),
							 values, NULL, false, 0) != SPI_OK_DELETE)
			elog(ERROR, "could not delete old outputs");
	}
	for (i = 0; i < r->noutputs; i++)
	{
		ReconOutput *o = &r->outputs[i];
		Oid			itypes[6] = {UUIDOID, TEXTOID, INT4OID, INT8OID, BYTEAOID, TEXTOID};
		Datum		iv[6];
		char		in[6] = {' ', ' ', ' ', ' ', ' ', ' '};

		iv[0] = UUIDPGetDatum(&r->item->id);
		iv[1] = CStringGetTextDatum(o->name);
		iv[2] = Int32GetDatum(i + 1);
		iv[3] = Int64GetDatum((int64) o->size);
		if (o->data)
		{
			bytea	   *b = (bytea *) palloc(o->len + VARHDRSZ);

			SET_VARSIZE(b, o->len + VARHDRSZ);
			if (o->len > 0)
				memcpy(VARDATA(b), o->data, o->len);
			iv[4] = PointerGetDatum(b);
		}
		else
			in[4] = 'n';
		iv[5] = CStringGetTextDatum(o->uri);
		if (SPI_execute_plan(sage_spi_plan(&recon_insert_plan, recon_insert_sql, 6, itypes),
							 iv, in, false, 0) != SPI_OK_INSERT)
			elog(ERROR, "could not store output \"%s\"", o->name);
	}
	return true;
}

/* Returns an expired dispatch to pending (or dead); its new state, or NULL. */
static const char *
recon_expire_one(const ReconItem *item)
{
	Oid			argtypes[2] = {UUIDOID, INT4OID};
	Datum		values[2];
	bool		isnull;

	values[0] = UUIDPGetDatum(&item->id);
	values[1] = Int32GetDatum(item->attempt);
	if (SPI_execute_plan(sage_spi_plan(&recon_expire_plan, recon_expire_sql, 2, argtypes),
						 values, NULL, false, 0) != SPI_OK_UPDATE_RETURNING)
		elog(ERROR, "could not return an expired dispatch to pending");
	if (SPI_processed == 0)
		return NULL;
	return TextDatumGetCString(SPI_getbinval(SPI_tuptable->vals[0],
											 SPI_tuptable->tupdesc, 1, &isnull));
}

/* sage_reconcile_pass: see dispatcher.h. */
int
sage_reconcile_pass(MemoryContext cxt)
{
	ReconItem  *items;
	int			n;
	const char **ids;
	SageDynamoStatus *st;
	SageArena  *arena;
	SageError	err;
	ReconResult *results;
	int			nresults = 0;
	ReconItem **expired;
	int			nexpired = 0;
	int			committed = 0;
	int			returned = 0;
	int			dead = 0;
	int			i;

	{
		bool		had_cursor = recon_have_cursor;

		n = recon_list(&items);
		/* the last round ended on a full page: start the next one now */
		if (n == 0 && had_cursor)
			n = recon_list(&items);
	}
	if (n == 0)
		return 0;

	arena = sage_pg_arena(cxt);
	ids = palloc(sizeof(char *) * n);
	for (i = 0; i < n; i++)
		ids[i] = items[i].idstr;
	st = palloc0(sizeof(SageDynamoStatus) * n);
	pgstat_report_activity(STATE_RUNNING, "sage reconciler: reading status records");
	memset(&err, 0, sizeof(err));
	if (sage_dynamodb_status_read(sage_pg_dynamodb_client(), sage_lock_table, ids, n,
								  arena, st, &err) != 0)
	{
		/* DynamoDB unreachable: nothing can be decided, not even expiry */
		if (TimestampDifferenceExceeds(recon_last_warning, GetCurrentTimestamp(),
									   RECONCILE_WARN_MS))
		{
			sage_pg_aws_report(WARNING, &err, "could not read the status records of Lambda executions");
			recon_last_warning = GetCurrentTimestamp();
		}
		pgstat_report_activity(STATE_IDLE, NULL);
		return n;
	}

	results = palloc0(sizeof(ReconResult) * Min(n, RECONCILE_COMMIT_MAX));
	expired = palloc(sizeof(ReconItem *) * n);
	for (i = 0; i < n; i++)
	{
		if (st[i].found && st[i].attempt == items[i].attempt)
		{
			ReconResult *r;

			if (nresults >= RECONCILE_COMMIT_MAX)
				continue;
			r = &results[nresults];
			r->item = &items[i];
			r->st = &st[i];
			r->state = (st[i].status && strcmp(st[i].status, "succeeded") == 0) ?
				"succeeded" : "failed";
			if (recon_fetch_outputs(r, arena))
				nresults++;
			continue;
		}
		if (st[i].found)
			recon_log_late(&items[i], &st[i]);
		if (items[i].expired)
			expired[nexpired++] = &items[i];
	}
	if (nresults == 0 && nexpired == 0)
	{
		pgstat_report_activity(STATE_IDLE, NULL);
		return n;
	}

	recon_begin("sage reconciler: committing Lambda results");
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	for (i = 0; i < nresults; i++)
		if (recon_commit_one(&results[i]))
			committed++;
	for (i = 0; i < nexpired; i++)
	{
		const char *state = recon_expire_one(expired[i]);

		if (state == NULL)
			continue;
		if (strcmp(state, "dead") == 0)
			dead++;
		else
			returned++;
	}
	SPI_finish();
	recon_commit();

	if (returned > 0 || dead > 0)
	{
		ereport(LOG,
				errmsg("sage reconciler: %d Lambda executions gave no result before their lease expired",
					   returned + dead),
				errdetail("%d returned to pending for a new attempt, %d dead (out of attempts).",
						  returned, dead));
		sage_shmem_wake_all();
	}
	if (committed < nresults)
		ereport(DEBUG1,
				errmsg("sage reconciler: %d results were not recorded (cancelled or already recorded)",
					   nresults - committed));
	return n;
}
