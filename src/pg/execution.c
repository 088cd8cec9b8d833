/*-------------------------------------------------------------------------
 *
 * src/pg/execution.c
 *		The execution table's state changes that workers make: the claim
 *		and the fenced completion, plus the configuration check of submit.
 *		The same C code serves the local workers and the internal SQL
 *		functions sage._claim() and sage._complete(), so the isolation
 *		specs race the real code path.
 *
 * Claim: the first pending local-eligible execution in (priority, submit)
 * order is locked with FOR UPDATE SKIP LOCKED (concurrent claimers skip
 * each other's rows instead of queueing on them), set running with
 * attempt + 1 and a lease, and committed by the caller before any work.
 *
 * Completion: conditional on (id, attempt, state = 'running'). A stale
 * attempt (its execution was rescued and claimed again), or one whose
 * execution was cancelled meanwhile, updates no row and its outputs are
 * thrown away.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/uuid.h"

#include "sage/processor.h"

#include "sage_pg.h"

/* Configurations recently validated by this backend (submit is hot). */
#define CONFIG_CACHE_SIZE 8

/* One validated configuration, compared in full (the hash only screens). */
typedef struct ConfigCacheEntry
{
	uint32		hash;			/* hash_bytes of the text */
	size_t		len;			/* its length */
	char	   *text;			/* copy in TopMemoryContext, or NULL */
} ConfigCacheEntry;

static ConfigCacheEntry config_cache[CONFIG_CACHE_SIZE];
static int	config_cache_next = 0;

/*
 * Plans of the claim, the completion and the deletion of old outputs,
 * prepared once per process: a worker runs them for every execution, and
 * planning the claim cost about as much as running it.
 */
static SPIPlanPtr claim_plan = NULL;
static SPIPlanPtr complete_plan = NULL;
static SPIPlanPtr delete_outputs_plan = NULL;

PG_FUNCTION_INFO_V1(sage_check_config);
PG_FUNCTION_INFO_V1(sage_claim);
PG_FUNCTION_INFO_V1(sage_complete);

static const char *const execution_claim_sql =
"UPDATE sage.executions e "
"SET state = 'running', attempt = e.attempt + 1, "
"    started_at = pg_catalog.now(), finished_at = NULL, "
"    lease_until = pg_catalog.now() "
"        + pg_catalog.current_setting('sage.lease')::pg_catalog.interval, "
"    \"where\" = 'local', "
"    where_reason = CASE WHEN e.placement = 'local' THEN 'local requested at submit' "
"                        WHEN e.where_reason LIKE 'fallback to local:%' "
"                        THEN e.where_reason "
"                        ELSE 'local worker free' END, "
"    worker_pid = $1 "
"WHERE e.id = (SELECT p.id FROM sage.executions p "
"              WHERE p.state = 'pending' AND p.placement IN ('auto', 'local') "
"                AND (NOT $2 OR p.placement = 'local' "
"                     OR p.where_reason LIKE 'fallback to local:%') "
"                AND p.run_after <= pg_catalog.now() "
"              ORDER BY p.priority, p.submitted_at "
"              LIMIT 1 FOR UPDATE SKIP LOCKED) "
"  AND e.state = 'pending' "
"RETURNING e.id, e.attempt, e.config, e.package";

static const char *const execution_complete_sql =
"UPDATE sage.executions e "
"SET state = CASE WHEN $3 = 'succeeded' THEN 'succeeded' "
"                 WHEN $3 = 'failed' THEN 'failed' "
"                 WHEN e.attempt - e.attempt_base >= e.max_attempts THEN 'dead' "
"                 ELSE 'pending' END, "
"    finished_at = CASE WHEN $3 = 'retry' "
"                        AND e.attempt - e.attempt_base < e.max_attempts "
"                       THEN NULL ELSE pg_catalog.now() END, "
"    run_after = CASE WHEN $3 = 'retry' "
"                     THEN pg_catalog.now() + sage._retry_delay(e.attempt) "
"                     ELSE e.run_after END, "
"    lease_until = NULL, "
"    records = $4, errors = $5, warnings = $6, rows_with_errors = $7, "
"    success_rate = $8, status = $9, last_error = $10, "
"    billed_ms = CASE WHEN e.\"where\" = 'local' "
"                     THEN GREATEST(0, (1000 * EXTRACT(epoch FROM "
"                          pg_catalog.now() - e.started_at))::int8) "
"                     ELSE e.billed_ms END, "
"    memory_mb = CASE WHEN e.\"where\" = 'local' THEN NULL ELSE e.memory_mb END, "
"    architecture = CASE WHEN e.\"where\" = 'local' THEN NULL ELSE e.architecture END "
"WHERE e.id = $1 AND e.attempt = $2 AND e.state = 'running' "
"RETURNING e.state";

/*
 * sage_spi_plan: see sage_pg.h. Inside an SPI connection; the plan is kept
 * for the life of the process (the plan cache replans it after DDL).
 */
SPIPlanPtr
sage_spi_plan(SPIPlanPtr *cache, const char *sql, int nargs, Oid *argtypes)
{
	SPIPlanPtr	plan;

	if (*cache != NULL)
		return *cache;
	plan = SPI_prepare(sql, nargs, argtypes);
	if (plan == NULL)
		elog(ERROR, "could not prepare query: %s", SPI_result_code_string(SPI_result));
	if (SPI_keepplan(plan) != 0)
		elog(ERROR, "could not keep query plan");
	*cache = plan;
	return plan;
}

/*
 * sage_execution_claim: see sage_pg.h. Runs in the caller's transaction,
 * which must have a snapshot; the row is the caller's once it commits.
 */
bool
sage_execution_claim(SageClaim *claim, MemoryContext result_cxt)
{
	Oid			argtypes[2] = {INT4OID, BOOLOID};
	Datum		values[2];
	bool		isnull;
	bool		found = false;
	MemoryContext old;
	Datum		d;
	int			nestlevel;

	values[0] = Int32GetDatum(MyProcPid);
	/*
	 * sage.offload = always with Lambda configured: placement auto goes to
	 * the dispatcher, except what it handed back while Lambda was
	 * unavailable (the fallback).
	 */
	values[1] = BoolGetDatum(sage_offload == SAGE_OFFLOAD_ALWAYS &&
							 sage_lambda_function != NULL &&
							 sage_lambda_function[0] != '\0');
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");

	/*
	 * The claim must walk executions_claim_idx in order and stop at the
	 * first row it can lock. Planned with statistics of a nearly empty
	 * table (a fresh install, or a burst just submitted), a sort of every
	 * pending row looks cheaper, and that plan, kept, makes each claim cost
	 * O(backlog). Sorting is therefore disabled while the claim is planned
	 * and run (a disabled path stays possible, so this cannot fail).
	 */
	nestlevel = NewGUCNestLevel();
	(void) set_config_option("enable_sort", "off", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	(void) set_config_option("enable_bitmapscan", "off", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	if (SPI_execute_plan(sage_spi_plan(&claim_plan, execution_claim_sql, 2, argtypes),
						 values, NULL, false, 1) != SPI_OK_UPDATE_RETURNING)
		elog(ERROR, "could not claim an execution");
	AtEOXact_GUC(true, nestlevel);
	if (SPI_processed > 0)
	{
		HeapTuple	tup = SPI_tuptable->vals[0];
		TupleDesc	desc = SPI_tuptable->tupdesc;

		old = MemoryContextSwitchTo(result_cxt);
		claim->id = *DatumGetUUIDP(SPI_getbinval(tup, desc, 1, &isnull));
		claim->attempt = DatumGetInt32(SPI_getbinval(tup, desc, 2, &isnull));
		d = SPI_getbinval(tup, desc, 3, &isnull);
		claim->config = isnull ? pstrdup("") : TextDatumGetCString(d);
		d = SPI_getbinval(tup, desc, 4, &isnull);
		claim->package = isnull ? NULL : TextDatumGetCString(d);
		MemoryContextSwitchTo(old);
		found = true;
	}
	SPI_finish();

	if (found && sage_shmem_my_slot() >= 0)
		sage_shmem_set_execution(&claim->id, claim->attempt);
	return found;
}

/* Name of an outcome, as sage._complete() takes it. */
static const char *
execution_outcome_name(SageAttemptOutcome outcome)
{
	switch (outcome)
	{
		case SAGE_OUTCOME_SUCCEEDED:
			return "succeeded";
		case SAGE_OUTCOME_FAILED:
			return "failed";
		case SAGE_OUTCOME_RETRY:
			break;
	}
	return "retry";
}

/*
 * sage_execution_complete: see sage_pg.h. On success, outputs of earlier
 * attempts are deleted so the caller can insert this attempt's. The slot
 * holding this attempt is marked idle whatever the result.
 */
bool
sage_execution_complete(const pg_uuid_t *id, int32 attempt,
						const SageAttemptResult *result)
{
	Oid			argtypes[10] = {UUIDOID, INT4OID, TEXTOID, INT8OID, INT8OID,
	INT8OID, INT8OID, NUMERICOID, TEXTOID, TEXTOID};
	Datum		values[10];
	char		nulls[10];
	bool		accepted;
	int			i;

	for (i = 0; i < 10; i++)
		nulls[i] = ' ';
	values[0] = UUIDPGetDatum(id);
	values[1] = Int32GetDatum(attempt);
	values[2] = CStringGetTextDatum(execution_outcome_name(result->outcome));
	if (result->has_counts)
	{
		char		rate[64];

		values[3] = Int64GetDatum(result->records);
		values[4] = Int64GetDatum(result->errors);
		values[5] = Int64GetDatum(result->warnings);
		values[6] = Int64GetDatum(result->rows_with_errors);
		snprintf(rate, sizeof(rate), "%.2f", result->success_rate);
		values[7] = DirectFunctionCall3(numeric_in, CStringGetDatum(rate),
										ObjectIdGetDatum(InvalidOid),
										Int32GetDatum(-1));
	}
	else
	{
		for (i = 3; i < 8; i++)
			nulls[i] = 'n';
	}
	if (result->status)
		values[8] = CStringGetTextDatum(result->status);
	else
		nulls[8] = 'n';
	if (result->last_error)
		values[9] = CStringGetTextDatum(result->last_error);
	else
		nulls[9] = 'n';

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_execute_plan(sage_spi_plan(&complete_plan, execution_complete_sql, 10, argtypes),
						 values, nulls, false, 0) != SPI_OK_UPDATE_RETURNING)
		elog(ERROR, "could not complete execution");
	accepted = SPI_processed > 0;
	if (accepted && result->outcome != SAGE_OUTCOME_RETRY)
	{
		if (SPI_execute_plan(sage_spi_plan(&delete_outputs_plan,
										   "DELETE FROM sage.execution_files "
										   "WHERE execution_id = $1 AND role = 'out'",
										   1, argtypes),
							 values, NULL, false, 0) != SPI_OK_DELETE)
			elog(ERROR, "could not delete old outputs");
	}
	SPI_finish();

	/* this attempt is over: the slot holding it becomes idle */
	if (sage_shmem_my_slot() >= 0)
	{
		SageSlot   *slot = &sage_shared->slots[sage_shmem_my_slot()];

		if (slot->state == SAGE_SLOT_BUSY && slot->attempt == attempt &&
			memcmp(&slot->execution, id, sizeof(pg_uuid_t)) == 0)
			sage_shmem_set_execution(NULL, 0);
	}
	return accepted;
}

/*
 * sage_execution_check_config: see sage_pg.h. Successful checks are
 * remembered, so a client submitting thousands of executions under one
 * configuration pays for the parse once.
 */
void
sage_execution_check_config(const char *config, size_t len)
{
	uint32		hash = hash_bytes((const unsigned char *) config, (int) len);
	SageError	err;
	ConfigCacheEntry *entry;
	int			i;

	for (i = 0; i < CONFIG_CACHE_SIZE; i++)
	{
		entry = &config_cache[i];
		if (entry->text && entry->hash == hash && entry->len == len &&
			memcmp(entry->text, config, len) == 0)
			return;
	}

	memset(&err, 0, sizeof(err));
	if (sage_config_check(config, len, &err) != 0)
	{
		if (err.code == SAGE_OK)
			err.code = SAGE_ERR_CONFIG;
		sage_error_report(ERROR, &err);
	}

	entry = &config_cache[config_cache_next];
	config_cache_next = (config_cache_next + 1) % CONFIG_CACHE_SIZE;
	if (entry->text)
		pfree(entry->text);
	entry->text = MemoryContextAlloc(TopMemoryContext, len + 1);
	memcpy(entry->text, config, len);
	entry->text[len] = '\0';
	entry->len = len;
	entry->hash = hash;
}

/*
 * sage_check_config(config text) returns boolean: true, or the
 * processor's error (SQLSTATE 22023 for a bad configuration).
 */
Datum
sage_check_config(PG_FUNCTION_ARGS)
{
	text	   *config;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				errmsg("configuration must not be null"));
	config = PG_GETARG_TEXT_PP(0);
	sage_execution_check_config(VARDATA_ANY(config), VARSIZE_ANY_EXHDR(config));
	PG_RETURN_BOOL(true);
}

/*
 * sage._claim() returns table (id uuid, attempt integer): takes a local
 * slot for this session and claims, as a worker does. No row when every
 * slot is taken or nothing is pending. A session holds at most one
 * execution; sage._complete() (or the end of the session) gives the slot
 * back.
 */
Datum
sage_claim(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	SageClaim	claim;
	int			slot;

	sage_shmem_require();
	InitMaterializedSRF(fcinfo, 0);

	slot = sage_shmem_my_slot();
	if (slot >= 0 && sage_shared->slots[slot].state == SAGE_SLOT_BUSY)
		ereport(ERROR,
				errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				errmsg("this session already holds execution %s",
					   DatumGetCString(DirectFunctionCall1(uuid_out,
														   UUIDPGetDatum(&sage_shared->slots[slot].execution)))),
				errhint("Complete it with %s first.", "sage._complete()"));

	if (sage_shmem_attach_any() < 0)
		PG_RETURN_NULL();

	if (sage_execution_claim(&claim, CurrentMemoryContext))
	{
		Datum		values[2];
		bool		nulls[2] = {false, false};

		sage_shmem_claim_in_xact();
		values[0] = UUIDPGetDatum(&claim.id);
		values[1] = Int32GetDatum(claim.attempt);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	else
		sage_shmem_detach();
	PG_RETURN_NULL();
}

/*
 * sage._complete(id, attempt, outcome, records, errors, warnings,
 * rows_with_errors, success_rate, status, last_error) returns boolean:
 * whether the attempt still held the execution and its end was recorded.
 */
Datum
sage_complete(PG_FUNCTION_ARGS)
{
	SageAttemptResult result;
	char	   *outcome;
	bool		accepted;
	int			i;

	sage_shmem_require();
	for (i = 0; i < 3; i++)
		if (PG_ARGISNULL(i))
			ereport(ERROR,
					errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					errmsg("execution id, attempt and outcome must not be null"));

	memset(&result, 0, sizeof(result));
	outcome = text_to_cstring(PG_GETARG_TEXT_PP(2));
	if (strcmp(outcome, "succeeded") == 0)
		result.outcome = SAGE_OUTCOME_SUCCEEDED;
	else if (strcmp(outcome, "failed") == 0)
		result.outcome = SAGE_OUTCOME_FAILED;
	else if (strcmp(outcome, "retry") == 0)
		result.outcome = SAGE_OUTCOME_RETRY;
	else
		ereport(ERROR,
				errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				errmsg("invalid outcome \"%s\"", outcome),
				errhint("Valid outcomes are \"succeeded\", \"failed\" and \"retry\"."));

	result.has_counts = !PG_ARGISNULL(3);
	if (result.has_counts)
	{
		result.records = PG_GETARG_INT64(3);
		result.errors = PG_ARGISNULL(4) ? 0 : PG_GETARG_INT64(4);
		result.warnings = PG_ARGISNULL(5) ? 0 : PG_GETARG_INT64(5);
		result.rows_with_errors = PG_ARGISNULL(6) ? 0 : PG_GETARG_INT64(6);
		result.success_rate = PG_ARGISNULL(7) ? 0 :
			DatumGetFloat8(DirectFunctionCall1(numeric_float8, PG_GETARG_DATUM(7)));
	}
	result.status = PG_ARGISNULL(8) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(8));
	result.last_error = PG_ARGISNULL(9) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(9));

	accepted = sage_execution_complete(PG_GETARG_UUID_P(0), PG_GETARG_INT32(1),
									   &result);
	/* a session's slot is only lent for one execution */
	if (sage_shmem_my_slot() >= 0 && !sage_shared->slots[sage_shmem_my_slot()].is_worker)
		sage_shmem_detach();
	PG_RETURN_BOOL(accepted);
}
