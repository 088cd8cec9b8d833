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
 *	3. for a record of the execution's current attempt, takes the
 *	   attempt's outputs under <prefix><id>/attempt-<n>/ from the record
 *	   (its "outputs" list; records of older bootstraps have none, their
 *	   prefix is listed) and, when sage.copy_outputs, reads them all at
 *	   once through a libcurl multi (still no transaction open);
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

#include <errno.h>

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
#define RECONCILE_MAX_OUTPUTS SAGE_STATUS_MAX_OUTPUTS
/* Output reads running at once. */
#define RECONCILE_IO_INFLIGHT 32
/* A pass gives up on output reads after this (retried at a later pass). */
#define RECONCILE_IO_TIMEOUT_MS 60000
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
	int			io_rc;			/* its read: 0 read, 1 missing, -1 failed */
	bool		io_done;		/* the callback ran */
	SageError	io_err;			/* why it failed */
	SageArena  *arena;			/* where data goes */
} ReconOutput;

/* A result to commit. */
typedef struct ReconResult
{
	ReconItem  *item;			/* the execution */
	const SageDynamoStatus *st; /* its record */
	const char *state;			/* succeeded or failed */
	const char *problem;		/* what is wrong with the record, or NULL */
	bool		retry;			/* outputs unreadable now: next pass */
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
/* Reads the outputs of a page's results at once; kept between passes. */
static SageHttpMulti *recon_multi = NULL;
/* The last pass committed results: the next page is read without waiting. */
static bool recon_productive = false;

static const char *const recon_commit_sql =
"UPDATE sage.executions e "
"SET state = $3, finished_at = pg_catalog.now(), lease_until = NULL, "
"    records = $4, errors = $5, warnings = $6, rows_with_errors = $7, "
"    success_rate = $8::pg_catalog.numeric, status = $9, last_error = $10, "
"    billed_ms = $11, memory_mb = $12, architecture = $13 "
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

/* Adds an output of key (under prefix) to a result. */
static void
recon_add_output(ReconResult *r, const char *prefix, const char *name, uint64 size)
{
	ReconOutput *o = &r->outputs[r->noutputs++];

	memset(o, 0, sizeof(*o));
	o->name = pstrdup(name);
	o->uri = psprintf("s3://%s/%s%s", sage_s3_bucket, prefix, name);
	o->size = size;
}

/*
 * The outputs of a result, named by its record: true when it could be
 * decided (r->problem set when the record is malformed), false with a
 * WARNING when S3 could not be listed (the result waits for a later pass).
 */
static bool
recon_find_outputs(ReconResult *r, SageArena *arena)
{
	const char *prefix = recon_attr(r->st, "output_prefix");
	const char *listed = recon_attr(r->st, "outputs");
	char	   *own;
	SageS3Object *objs;
	size_t		nobjs = 0;
	size_t		i;
	SageError	err;

	r->noutputs = 0;
	if (prefix == NULL || prefix[0] == '\0')
	{
		if (listed != NULL && strcmp(listed, "[]") != 0)
			r->problem = "\"outputs\" without \"output_prefix\"";
		return true;
	}
	/* only the attempt's own prefix: a record cannot point at other objects */
	own = psprintf("%s/attempt-%d/", r->item->idstr, r->item->attempt);
	if (strlen(prefix) < strlen(own) ||
		strcmp(prefix + strlen(prefix) - strlen(own), own) != 0)
	{
		r->problem = psprintf("\"output_prefix\" does not end with \"%s\"", own);
		return true;
	}
	memset(&err, 0, sizeof(err));
	if (listed != NULL)
	{
		SageStatusOutput *outs;
		int			n;

		if (sage_status_outputs_parse(arena, listed, strlen(listed), &outs, &n, &err) != 0)
		{
			if (err.code == SAGE_ERR_MEMORY)
				sage_pg_aws_report(ERROR, &err, "could not read a status record");
			r->problem = pstrdup(err.message);
			return true;
		}
		for (i = 0; i < (size_t) n; i++)
			recon_add_output(r, prefix, outs[i].name, outs[i].size);
		return true;
	}
	/* a record of a bootstrap that did not list its outputs */
	if (sage_s3_list(sage_pg_s3_client(), prefix, RECONCILE_MAX_OUTPUTS, arena, &objs,
					 &nobjs, &err) != 0)
	{
		sage_pg_aws_report(WARNING, &err,
						   psprintf("could not list the outputs of execution %s attempt %d",
									r->item->idstr, r->item->attempt));
		return false;
	}
	for (i = 0; i < nobjs; i++)
	{
		const char *name = objs[i].key + strlen(prefix);

		if (strncmp(objs[i].key, prefix, strlen(prefix)) != 0 ||
			name[0] == '\0' || strchr(name, '/') != NULL)
			continue;
		recon_add_output(r, prefix, name, objs[i].size);
	}
	return true;
}

/* The multi's callback of an output read: keeps a copy of the bytes. */
static void
recon_output_read(void *arg, int rc, const char *data, size_t len, const SageError *err)
{
	ReconOutput *o = (ReconOutput *) arg;

	o->io_done = true;
	o->io_rc = rc;
	if (rc < 0)
	{
		o->io_err = *err;
		return;
	}
	if (rc == 0)
	{
		/* no palloc here: an ERROR must not fly while transfers are open */
		o->data = sage_alloc(o->arena, len + 1);
		if (o->data == NULL)
		{
			o->io_rc = -1;
			(void) sage_error_memory(&o->io_err, NULL);
			return;
		}
		if (len > 0)
			memcpy(o->data, data, len);
		o->len = len;
		o->size = len;
	}
}

/* Adds the multi's sockets to ws; its timer lowers *timeout_ms. */
static int
recon_io_sockets(SageWaitSocket *ws, int max, long *timeout_ms)
{
	SageHttpSocket hs[RECONCILE_IO_INFLIGHT * 2];
	long		multi_timeout = -1;
	int			k;
	int			i;

	k = sage_http_multi_sockets(recon_multi, hs, Min(max, (int) lengthof(hs)),
								&multi_timeout);
	for (i = 0; i < k; i++)
	{
		ws[i].fd = hs[i].fd;
		ws[i].want_read = hs[i].want_read;
		ws[i].want_write = hs[i].want_write;
	}
	if (multi_timeout >= 0 && (*timeout_ms < 0 || multi_timeout < *timeout_ms))
		*timeout_ms = multi_timeout;
	return k;
}

/* Are a result's outputs to be read? */
static bool
recon_io_wanted(const ReconResult *r)
{
	return r->problem == NULL && r->noutputs > 0;
}

/*
 * Reads the outputs of the results (sage.copy_outputs) all at once, with
 * up to RECONCILE_IO_INFLIGHT in flight: one file after the other was what
 * made completion slow. Each output's io_* fields say how it went.
 */
static void
recon_read_outputs(ReconResult *results, int nresults, SageArena *arena)
{
	SageS3Client *s3 = sage_pg_s3_client();
	SageError	err;
	TimestampTz start = GetCurrentTimestamp();
	int			next_r = 0;
	int			next_o = 0;
	int			total = 0;
	int			i;

	for (i = 0; i < nresults; i++)
		if (recon_io_wanted(&results[i]))
			total += results[i].noutputs;
	if (total == 0)
		return;
	memset(&err, 0, sizeof(err));
	if (recon_multi == NULL)
	{
		SageHttpOptions o;

		sage_pg_aws_http_options(&o);
		recon_multi = sage_http_multi_new(&o, RECONCILE_IO_INFLIGHT, &err);
		if (recon_multi == NULL)
			sage_pg_aws_report(ERROR, &err, "could not set up the reads of Lambda outputs");
	}
	pgstat_report_activity(STATE_RUNNING, "sage reconciler: reading Lambda outputs");
	for (;;)
	{
		SageWaitSocket ws[RECONCILE_IO_INFLIGHT * 2];
		long		timeout = 1000;
		int			n;

		/* start reads while there is room */
		while (next_r < nresults &&
			   sage_http_multi_inflight(recon_multi) < RECONCILE_IO_INFLIGHT)
		{
			ReconResult *r = &results[next_r];
			ReconOutput *o;
			char	   *key;

			if (!recon_io_wanted(r) || next_o >= r->noutputs)
			{
				next_r++;
				next_o = 0;
				continue;
			}
			o = &r->outputs[next_o++];
			o->arena = arena;
			o->io_done = false;
			o->io_rc = 0;
			memset(&o->io_err, 0, sizeof(o->io_err));
			key = o->uri + strlen("s3://") + strlen(sage_s3_bucket) + 1;
			if (sage_s3_get_multi(s3, recon_multi, key, recon_output_read, o,
								  &o->io_err) != 0)
			{
				o->io_done = true;
				o->io_rc = -1;
			}
		}
		if (sage_http_multi_inflight(recon_multi) == 0 && next_r >= nresults)
			break;
		if (TimestampDifferenceExceeds(start, GetCurrentTimestamp(),
									   RECONCILE_IO_TIMEOUT_MS))
		{
			/* forget what is still running: io_done stays false */
			sage_http_multi_free(recon_multi);
			recon_multi = NULL;
			break;
		}
		n = recon_io_sockets(ws, lengthof(ws), &timeout);
		(void) sage_wait_sockets(SAGE_WAIT_RECONCILER_OUTPUTS, ws, n, timeout);
		if (sage_http_multi_perform(recon_multi, &err) != 0)
			sage_pg_aws_report(ERROR, &err, "could not drive the reads of Lambda outputs");
	}
}

/*
 * The first output of a result whose read failed, with its error in
 * io_err (a read never finished gets one), or NULL.
 */
static ReconOutput *
recon_failed_output(ReconResult *r)
{
	int			j;

	for (j = 0; j < r->noutputs; j++)
	{
		ReconOutput *o = &r->outputs[j];

		if (o->io_done && o->io_rc >= 0)
			continue;
		if (!o->io_done)
		{
			memset(&o->io_err, 0, sizeof(o->io_err));
			sage_error_set(&o->io_err, SAGE_ERR_TRANSPORT,
						   "reading S3 object \"%s\" took longer than %d s",
						   o->uri, RECONCILE_IO_TIMEOUT_MS / 1000);
		}
		return o;
	}
	return NULL;
}

/*
 * Reads the outputs of the results (sage.copy_outputs). A result with an
 * unreadable output is left for a later pass, with a WARNING.
 */
static void
recon_copy_outputs(ReconResult *results, int nresults, SageArena *arena)
{
	int			i;

	recon_read_outputs(results, nresults, arena);
	for (i = 0; i < nresults; i++)
	{
		ReconResult *r = &results[i];
		ReconOutput *o;

		if (!recon_io_wanted(r) || (o = recon_failed_output(r)) == NULL)
			continue;
		r->retry = true;
		sage_pg_aws_report(WARNING, &o->io_err,
						   psprintf("could not read output \"%s\" of execution %s attempt %d",
									o->name, r->item->idstr, r->item->attempt));
	}
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

/* Whether a numeric attribute is absent or a whole number >= 0. */
static bool
recon_count_ok(const SageDynamoStatus *st, const char *name)
{
	const char *v = recon_attr(st, name);
	char	   *end;
	long long	n;

	if (v == NULL)
		return true;
	errno = 0;
	n = strtoll(v, &end, 10);
	return end != v && *end == '\0' && errno == 0 && n >= 0;
}

/*
 * What is wrong with a processed result's status record, or NULL. The
 * record comes from outside the database: a value the table's checks would
 * refuse must fail this one execution with a message, not raise an error
 * that stops the dispatcher at every pass.
 */
static const char *
recon_record_problem(const SageDynamoStatus *st)
{
	static const char *const counts[] = {"total_records", "errors", "warnings",
	"rows_with_errors"};
	const char *v;
	char	   *end;
	double		rate;
	int			i;

	for (i = 0; i < (int) lengthof(counts); i++)
		if (!recon_count_ok(st, counts[i]))
			return psprintf("\"%s\" is not a count", counts[i]);
	v = recon_attr(st, "success_rate");
	if (v != NULL)
	{
		rate = strtod(v, &end);
		if (end == v || *end != '\0' || !(rate >= 0 && rate <= 100))
			return "\"success_rate\" is not a percentage";
	}
	v = recon_attr(st, "report_status");
	if (v != NULL && v[0] != '\0' && strcmp(v, "Éxito") != 0 &&
		strcmp(v, "Parcial") != 0 && strcmp(v, "Fallido") != 0)
		return "\"report_status\" is not Éxito, Parcial or Fallido";
	return NULL;
}

/*
 * The billing attributes of a status record into arguments 11 to 13
 * (billed_ms, memory_mb, architecture) for sage.cost_daily. They only
 * price the execution: a missing or implausible value is left NULL (the
 * view counts such executions as unpriced) rather than failing it.
 */
static void
recon_billing_args(const SageDynamoStatus *st, Datum *values, char *nulls)
{
	const char *v;
	char	   *end;
	long long	n;

	nulls[10] = nulls[11] = nulls[12] = 'n';
	v = recon_attr(st, "billed_ms");
	if (v != NULL && recon_count_ok(st, "billed_ms"))
	{
		values[10] = Int64GetDatum(strtoll(v, NULL, 10));
		nulls[10] = ' ';
	}
	v = recon_attr(st, "memory_mb");
	if (v != NULL)
	{
		errno = 0;
		n = strtoll(v, &end, 10);
		if (end != v && *end == '\0' && errno == 0 && n > 0 && n <= 1024 * 1024)
		{
			values[11] = Int32GetDatum((int32) n);
			nulls[11] = ' ';
		}
	}
	v = recon_attr(st, "architecture");
	if (v != NULL && (strcmp(v, "x86_64") == 0 || strcmp(v, "arm64") == 0))
	{
		values[12] = CStringGetTextDatum(v);
		nulls[12] = ' ';
	}
}

/* Commits one result (inside the pass's transaction); false when fenced off. */
static bool
recon_commit_one(ReconResult *r)
{
	Oid			argtypes[13] = {UUIDOID, INT4OID, TEXTOID, INT8OID, INT8OID,
	INT8OID, INT8OID, TEXTOID, TEXTOID, TEXTOID, INT8OID, INT4OID, TEXTOID};
	Datum		values[13];
	char		nulls[13];
	const char *v;
	int			i;
	bool		processed = strcmp(r->state, "succeeded") == 0;
	const char *problem = r->problem != NULL ? r->problem :
		processed ? recon_record_problem(r->st) : NULL;

	if (problem != NULL)
	{
		ereport(WARNING,
				errmsg("malformed status record of execution %s attempt %d: %s",
					   r->item->idstr, r->item->attempt, problem));
		processed = false;
		r->state = "failed";
		r->noutputs = 0;
	}
	for (i = 0; i < 13; i++)
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
	v = problem != NULL ?
		psprintf("the status record of attempt %d is malformed: %s",
				 r->item->attempt, problem) :
		recon_attr(r->st, "error");
	if (!processed)
		values[9] = CStringGetTextDatum(v ? v : "the Lambda attempt failed");
	else
		nulls[9] = 'n';

	recon_billing_args(r->st, values, nulls);

	if (SPI_execute_plan(sage_spi_plan(&recon_commit_plan, recon_commit_sql, 13, argtypes),
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

/* sage_reconcile_more: see dispatcher.h. */
bool
sage_reconcile_more(void)
{
	return recon_productive && recon_have_cursor;
}

/* sage_reconcile_reset: see dispatcher.h. */
void
sage_reconcile_reset(void)
{
	if (recon_multi != NULL)
	{
		sage_http_multi_free(recon_multi);
		recon_multi = NULL;
	}
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
	int			attempted = 0;
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
	recon_productive = false;
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
			if (recon_find_outputs(r, arena))
			{
				qsort(r->outputs, r->noutputs, sizeof(ReconOutput), recon_output_cmp);
				nresults++;
			}
			continue;
		}
		if (st[i].found)
			recon_log_late(&items[i], &st[i]);
		if (items[i].expired)
			expired[nexpired++] = &items[i];
	}
	if (sage_copy_outputs)
		recon_copy_outputs(results, nresults, arena);
	if (nresults == 0 && nexpired == 0)
	{
		pgstat_report_activity(STATE_IDLE, NULL);
		return n;
	}

	recon_begin("sage reconciler: committing Lambda results");
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	for (i = 0; i < nresults; i++)
	{
		if (results[i].retry)
			continue;
		if (recon_commit_one(&results[i]))
			committed++;
		attempted++;
	}
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
	if (committed < attempted)
		ereport(DEBUG1,
				errmsg("sage reconciler: %d results were not recorded (cancelled or already recorded)",
					   attempted - committed));
	recon_productive = committed > 0;
	return n;
}
