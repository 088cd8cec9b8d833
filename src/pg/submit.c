/*-------------------------------------------------------------------------
 *
 * src/pg/submit.c
 *		sage_submit (one file) and sage_submit_batch in C. The arguments are
 *		checked as sage._check_submit_options does (same messages and
 *		SQLSTATEs), the configuration once per call (and cached per backend
 *		by sage_execution_check_config), the SHA-256 of the files computed
 *		here, then the rows are inserted in bulk by submit_bulk.c (as COPY
 *		FROM inserts them; see there how constraints, triggers, privileges
 *		and row-level security are kept). When the tables are not as the
 *		extension made them, or sage.submit_bulk is off, they are inserted
 *		as before, with prepared SPI plans kept for the life of the
 *		backend: a batch is then two INSERT ... SELECT FROM unnest() of
 *		arrays built here, through the executor.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "common/cryptohash.h"
#include "common/sha2.h"
#include "datatype/timestamp.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"
#include "utils/uuid.h"

#include "sage_pg.h"
#include "submit_internal.h"

PG_FUNCTION_INFO_V1(sage_submit_one);
PG_FUNCTION_INFO_V1(sage_submit_batch);

/*
 * Argument positions shared by both functions: (config, file(s),
 * filename(s), package, priority, placement, max_attempts, casilla_id,
 * emisor_id, metodo_envio, options).
 */
#define ARG_CONFIG		0
#define ARG_FILES		1
#define ARG_NAMES		2
#define ARG_PACKAGE		3
#define ARG_PRIORITY	4
#define ARG_PLACEMENT	5
#define ARG_MAX_ATT		6
#define ARG_CASILLA		7
#define ARG_EMISOR		8
#define ARG_METODO		9
#define ARG_OPTIONS		10

/* Kept plans: the executions of a batch, its files, and the one-file pair. */
static SPIPlanPtr submit_batch_exec_plan;
static SPIPlanPtr submit_batch_files_plan;
static SPIPlanPtr submit_one_exec_plan;
static SPIPlanPtr submit_one_file_plan;

/*
 * The execution columns after id, as parameters $2 .. $10 of both
 * execution plans (config, package, options, priority, placement,
 * max_attempts, casilla_id, emisor_id, metodo_envio).
 */
static Oid	submit_exec_types[10] = {
	UUIDOID, TEXTOID, TEXTOID, JSONBOID, INT4OID, TEXTOID, INT4OID,
	INT8OID, TEXTOID, TEXTOID
};

/*
 * The checks of sage._check_submit_options, in its order, with its
 * messages; the configuration last (cached per backend).
 */
static void
submit_check_options(FunctionCallInfo fcinfo)
{
	char	   *placement;
	const char *lambda;
	text	   *config;

	if (PG_ARGISNULL(ARG_CONFIG))
		ereport(ERROR,
				errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				errmsg("configuration must not be null"));
	if (PG_ARGISNULL(ARG_PRIORITY))
		ereport(ERROR,
				errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				errmsg("priority must not be null"));
	if (PG_ARGISNULL(ARG_PLACEMENT))
		ereport(ERROR,
				errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				errmsg("placement must not be null"),
				errhint("Valid placements are \"auto\", \"local\" and \"lambda\"."));
	placement = text_to_cstring(PG_GETARG_TEXT_PP(ARG_PLACEMENT));
	if (strcmp(placement, "auto") != 0 && strcmp(placement, "local") != 0 &&
		strcmp(placement, "lambda") != 0)
		ereport(ERROR,
				errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				errmsg("invalid placement \"%s\"", placement),
				errhint("Valid placements are \"auto\", \"local\" and \"lambda\"."));
	lambda = GetConfigOption("sage.lambda_function", true, false);
	if (strcmp(placement, "lambda") == 0 && (lambda == NULL || lambda[0] == '\0'))
		ereport(ERROR,
				errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				errmsg("cannot place an execution on AWS Lambda"),
				errdetail("AWS Lambda is not configured on this server."),
				errhint("Submit with placement \"auto\" or \"local\"."));
	if (!PG_ARGISNULL(ARG_MAX_ATT) &&
		(PG_GETARG_INT32(ARG_MAX_ATT) < 1 || PG_GETARG_INT32(ARG_MAX_ATT) > 1000))
		ereport(ERROR,
				errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				errmsg("max_attempts must be between 1 and 1000"));
	if (PG_ARGISNULL(ARG_OPTIONS) ||
		!JB_ROOT_IS_OBJECT(PG_GETARG_JSONB_P(ARG_OPTIONS)))
		ereport(ERROR,
				errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				errmsg("options must be a JSON object"));
	if (!PG_ARGISNULL(ARG_PACKAGE) &&
		VARSIZE_ANY_EXHDR(PG_GETARG_TEXT_PP(ARG_PACKAGE)) == 0)
		ereport(ERROR,
				errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				errmsg("package must not be empty"),
				errhint("Pass NULL to detect the package from the file."));
	config = PG_GETARG_TEXT_PP(ARG_CONFIG);
	sage_execution_check_config(VARDATA_ANY(config), VARSIZE_ANY_EXHDR(config));
}

/*
 * n new ids: time-ordered UUIDs (version 7, RFC 9562): the Unix time in
 * milliseconds, then the position in the call (12 bits), then 62 random
 * bits. Random (version 4) ids, as gen_random_uuid() makes, land on random
 * pages of the two primary keys (executions.id and execution_files'
 * (execution_id, role, name)): every insertion read and dirtied a
 * different leaf, about half the time of a batch. Ids that grow with time
 * are inserted at the right edge of both B-trees, on pages already in
 * cache. They remain unique (the primary key still checks) and
 * unguessable (62 random bits). With sage.submit_bulk off, version 4 ids,
 * as before.
 */
static pg_uuid_t *
submit_new_ids(int n)
{
	pg_uuid_t  *ids = palloc(sizeof(pg_uuid_t) * Max(n, 1));
	int64		epoch_ms = (int64) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) *
		SECS_PER_DAY * 1000;
	uint64		ms = (uint64) (GetCurrentTimestamp() / 1000 + epoch_ms);
	int			i;

	if (n > 0 && !pg_strong_random(ids, sizeof(pg_uuid_t) * n))
		ereport(ERROR,
				errcode(ERRCODE_INTERNAL_ERROR),
				errmsg("could not generate random values"));
	for (i = 0; i < n; i++)
	{
		int			b;

		if (!sage_submit_bulk)
		{
			/* the previous ids, for comparisons: version 4, all random */
			ids[i].data[6] = (ids[i].data[6] & 0x0f) | 0x40;
			ids[i].data[8] = (ids[i].data[8] & 0x3f) | 0x80;
			continue;
		}
		for (b = 0; b < 6; b++)
			ids[i].data[b] = (uint8) (ms >> (40 - 8 * b));
		ids[i].data[6] = 0x70 | ((i >> 8) & 0x0f);
		ids[i].data[7] = (uint8) i;
		ids[i].data[8] = (ids[i].data[8] & 0x3f) | 0x80;
	}
	return ids;
}

/*
 * SHA-256 of a bytea, as a new bytea (what sha256(bytea) returns). ctx is
 * created once per call and reinitialised for each file: creating one
 * (an OpenSSL context and a resource owner entry) cost as much as hashing
 * a 1 KB file.
 */
static bytea *
submit_sha256(pg_cryptohash_ctx *ctx, bytea *file)
{
	bytea	   *result = palloc(VARHDRSZ + PG_SHA256_DIGEST_LENGTH);

	if (pg_cryptohash_init(ctx) < 0 ||
		pg_cryptohash_update(ctx, (const uint8 *) VARDATA_ANY(file),
							 VARSIZE_ANY_EXHDR(file)) < 0 ||
		pg_cryptohash_final(ctx, (uint8 *) VARDATA(result),
							PG_SHA256_DIGEST_LENGTH) < 0)
		elog(ERROR, "could not compute %s hash: %s", "SHA256",
			 pg_cryptohash_error(ctx));
	SET_VARSIZE(result, VARHDRSZ + PG_SHA256_DIGEST_LENGTH);
	return result;
}

/*
 * Fills values/nulls [1 .. 9] of an execution plan (after $1, the id or
 * ids) from the function's arguments.
 */
static void
submit_exec_args(FunctionCallInfo fcinfo, Datum *values, char *nulls)
{
	static const int args[9] = {
		ARG_CONFIG, ARG_PACKAGE, ARG_OPTIONS, ARG_PRIORITY, ARG_PLACEMENT,
		ARG_MAX_ATT, ARG_CASILLA, ARG_EMISOR, ARG_METODO
	};
	int			i;

	for (i = 0; i < 9; i++)
	{
		nulls[i + 1] = PG_ARGISNULL(args[i]) ? 'n' : ' ';
		values[i + 1] = PG_ARGISNULL(args[i]) ? (Datum) 0 : PG_GETARG_DATUM(args[i]);
	}
}

/*
 * The shared columns of the executions of a call, as SageSubmitRows wants
 * them (submit_bulk.c detoasts and compresses them once per call),
 * max_attempts defaulted from sage.max_attempts as the SQL path's COALESCE
 * does.
 */
static void
submit_rows_args(FunctionCallInfo fcinfo, SageSubmitRows *rows)
{
	static const int args[SAGE_SUBMIT_NCOLS] = {
		ARG_CONFIG, ARG_PACKAGE, ARG_OPTIONS, ARG_PRIORITY, ARG_PLACEMENT,
		ARG_MAX_ATT, ARG_CASILLA, ARG_EMISOR, ARG_METODO
	};
	int			i;

	for (i = 0; i < SAGE_SUBMIT_NCOLS; i++)
	{
		int			a = args[i];

		rows->nulls[i] = PG_ARGISNULL(a);
		rows->values[i] = (Datum) 0;
		if (PG_ARGISNULL(a))
			continue;
		rows->values[i] = PG_GETARG_DATUM(a);
	}
	if (PG_ARGISNULL(ARG_MAX_ATT))
	{
		rows->nulls[5] = false;
		rows->values[5] = Int32GetDatum(sage_max_attempts);
	}
}

/*
 * The INSERT of executions common to both functions, given the source of
 * the ids ("unnest($1) u(id)" for a batch or a one-row VALUES).
 */
#define SUBMIT_EXEC_INSERT \
	"INSERT INTO sage.executions (id, config, package, options, priority, " \
	"placement, max_attempts, casilla_id, emisor_id, metodo_envio) "
#define SUBMIT_EXEC_VALUES \
	"$2, $3, $4, $5, $6, " \
	"COALESCE($7, pg_catalog.current_setting('sage.max_attempts')::pg_catalog.int4), " \
	"$8, $9, $10"

/*
 * sage_submit(config, file, filename, ...) returns uuid: one execution of
 * one file. Same checks, in the same order, as the PL/pgSQL version.
 */
Datum
sage_submit_one(PG_FUNCTION_ARGS)
{
	pg_uuid_t  *id;
	bytea	   *file;
	text	   *name;
	Datum		values[10];
	char		nulls[10];
	Datum		fvalues[4];
	Oid			ftypes[4] = {UUIDOID, TEXTOID, BYTEAOID, BYTEAOID};
	int			rc;
	pg_cryptohash_ctx *ctx;

	sage_shmem_wake_at_commit();
	if (PG_ARGISNULL(ARG_FILES))
		ereport(ERROR,
				errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				errmsg("file must not be null"));
	if (PG_ARGISNULL(ARG_NAMES) ||
		VARSIZE_ANY_EXHDR(PG_GETARG_TEXT_PP(ARG_NAMES)) == 0)
		ereport(ERROR,
				errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				errmsg("file name must not be null or empty"));
	submit_check_options(fcinfo);

	id = submit_new_ids(1);
	file = PG_GETARG_BYTEA_PP(ARG_FILES);
	name = PG_GETARG_TEXT_PP(ARG_NAMES);
	values[0] = UUIDPGetDatum(id);
	nulls[0] = ' ';
	submit_exec_args(fcinfo, values, nulls);
	fvalues[0] = UUIDPGetDatum(id);
	fvalues[1] = PointerGetDatum(name);
	fvalues[2] = PointerGetDatum(file);
	ctx = pg_cryptohash_create(PG_SHA256);
	fvalues[3] = PointerGetDatum(submit_sha256(ctx, file));
	pg_cryptohash_free(ctx);

	if (sage_submit_bulk)
	{
		SageSubmitRows rows;

		rows.n = 1;
		rows.ids = id;
		rows.files = &fvalues[2];
		rows.names = &fvalues[1];
		rows.shas = &fvalues[3];
		submit_rows_args(fcinfo, &rows);
		if (sage_submit_bulk_insert(&rows))
			PG_RETURN_UUID_P(id);
	}

	SPI_connect();
	rc = SPI_execute_plan(sage_spi_plan(&submit_one_exec_plan,
										SUBMIT_EXEC_INSERT "VALUES ($1, " SUBMIT_EXEC_VALUES ")",
										10, submit_exec_types),
						  values, nulls, false, 0);
	if (rc != SPI_OK_INSERT)
		elog(ERROR, "could not insert execution: %s", SPI_result_code_string(rc));
	rc = SPI_execute_plan(sage_spi_plan(&submit_one_file_plan,
										"INSERT INTO sage.execution_files (execution_id, role, name, "
										"ordinal, size, sha256, content) "
										"VALUES ($1, 'in', $2, 1, pg_catalog.length($3), $4, $3)",
										4, ftypes),
						  fvalues, NULL, false, 0);
	if (rc != SPI_OK_INSERT)
		elog(ERROR, "could not insert file: %s", SPI_result_code_string(rc));
	SPI_finish();
	PG_RETURN_UUID_P(id);
}

/* The result of a batch: the ids, in file order. */
static void
submit_put_ids(Tuplestorestate *tupstore, TupleDesc tupdesc, pg_uuid_t *ids, int n)
{
	int			i;

	for (i = 0; i < n; i++)
	{
		Datum		v = UUIDPGetDatum(&ids[i]);
		bool		isnull = false;

		tuplestore_putvalues(tupstore, tupdesc, &v, &isnull);
	}
}

/*
 * sage_submit_batch(config, files, filenames, ...) returns setof uuid: one
 * execution per file, ids in file order. Same checks, in the same order,
 * as the PL/pgSQL version; then two statements (the files' row-level
 * security check must see the executions just inserted).
 */
Datum
sage_submit_batch(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	ArrayType  *files;
	ArrayType  *names;
	Datum	   *fdatums;
	bool	   *fnulls;
	Datum	   *ndatums;
	bool	   *nnulls;
	int			n;
	int			nn;
	int			i;
	pg_uuid_t  *ids;
	Datum	   *id_datums;
	Datum	   *sha_datums;
	ArrayType  *id_array;
	Datum		values[10];
	char		nulls[10];
	Datum		fvalues[4];
	Oid			ftypes[4] = {UUIDARRAYOID, TEXTARRAYOID, BYTEAARRAYOID, BYTEAARRAYOID};
	pg_cryptohash_ctx *ctx;
	Oid			etypes[10];
	int			rc;
	TupleDesc	tupdesc;
	Tuplestorestate *tupstore;
	MemoryContext oldcxt;

	if (rsinfo == NULL || !IsA(rsinfo, ReturnSetInfo) ||
		!(rsinfo->allowedModes & SFRM_Materialize))
		ereport(ERROR,
				errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				errmsg("set-valued function called in context that cannot accept a set"));

	sage_shmem_wake_at_commit();
	if (PG_ARGISNULL(ARG_FILES) || PG_ARGISNULL(ARG_NAMES))
		ereport(ERROR,
				errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				errmsg("files and file names must not be null"));
	files = PG_GETARG_ARRAYTYPE_P(ARG_FILES);
	names = PG_GETARG_ARRAYTYPE_P(ARG_NAMES);
	if (ARR_NDIM(files) > 1 || ARR_NDIM(names) > 1)
		ereport(ERROR,
				errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				errmsg("files and file names must be one-dimensional arrays"));
	deconstruct_array(files, BYTEAOID, -1, false, TYPALIGN_INT,
					  &fdatums, &fnulls, &n);
	deconstruct_array(names, TEXTOID, -1, false, TYPALIGN_INT,
					  &ndatums, &nnulls, &nn);
	if (nn != n)
		ereport(ERROR,
				errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				errmsg("got %d files but %d file names", n, nn),
				errhint("Pass one name per file, in the same order."));
	for (i = 0; i < n; i++)
		if (fnulls[i])
			ereport(ERROR,
					errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					errmsg("file %d must not be null", i + 1));
	for (i = 0; i < n; i++)
		if (nnulls[i] || VARSIZE_ANY_EXHDR(DatumGetPointer(ndatums[i])) == 0)
			ereport(ERROR,
					errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					errmsg("name of file %d must not be null or empty", i + 1));
	submit_check_options(fcinfo);

	/* the result: the ids in file order, none for no file */
	oldcxt = MemoryContextSwitchTo(rsinfo->econtext->ecxt_per_query_memory);
	tupdesc = CreateTemplateTupleDesc(1);
	TupleDescInitEntry(tupdesc, (AttrNumber) 1, "sage_submit_batch", UUIDOID, -1, 0);
	tupstore = tuplestore_begin_heap(true, false, work_mem);
	MemoryContextSwitchTo(oldcxt);
	rsinfo->returnMode = SFRM_Materialize;
	rsinfo->setResult = tupstore;
	rsinfo->setDesc = tupdesc;
	if (n == 0)
		return (Datum) 0;

	ids = submit_new_ids(n);
	id_datums = palloc(sizeof(Datum) * n);
	sha_datums = palloc(sizeof(Datum) * n);
	ctx = pg_cryptohash_create(PG_SHA256);
	for (i = 0; i < n; i++)
	{
		id_datums[i] = UUIDPGetDatum(&ids[i]);
		sha_datums[i] = PointerGetDatum(submit_sha256(ctx, DatumGetByteaPP(fdatums[i])));
	}
	pg_cryptohash_free(ctx);

	if (sage_submit_bulk)
	{
		SageSubmitRows rows;

		rows.n = n;
		rows.ids = ids;
		rows.files = fdatums;
		rows.names = ndatums;
		rows.shas = sha_datums;
		submit_rows_args(fcinfo, &rows);
		if (sage_submit_bulk_insert(&rows))
		{
			submit_put_ids(tupstore, tupdesc, ids, n);
			return (Datum) 0;
		}
	}
	id_array = construct_array(id_datums, n, UUIDOID, UUID_LEN, false, TYPALIGN_CHAR);
	values[0] = PointerGetDatum(id_array);
	nulls[0] = ' ';
	submit_exec_args(fcinfo, values, nulls);
	fvalues[0] = PointerGetDatum(id_array);
	fvalues[1] = PointerGetDatum(names);
	fvalues[2] = PointerGetDatum(files);
	fvalues[3] = PointerGetDatum(construct_array(sha_datums, n, BYTEAOID, -1, false,
												 TYPALIGN_INT));
	memcpy(etypes, submit_exec_types, sizeof(etypes));
	etypes[0] = UUIDARRAYOID;

	SPI_connect();
	rc = SPI_execute_plan(sage_spi_plan(&submit_batch_exec_plan,
										SUBMIT_EXEC_INSERT "SELECT u.id, " SUBMIT_EXEC_VALUES
										" FROM pg_catalog.unnest($1) AS u(id)",
										10, etypes),
						  values, nulls, false, 0);
	if (rc != SPI_OK_INSERT)
		elog(ERROR, "could not insert executions: %s", SPI_result_code_string(rc));
	rc = SPI_execute_plan(sage_spi_plan(&submit_batch_files_plan,
										"INSERT INTO sage.execution_files (execution_id, role, name, "
										"ordinal, size, sha256, content) "
										"SELECT u.id, 'in', u.name, 1, pg_catalog.length(u.f), u.sha, u.f "
										"FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2), "
										"pg_catalog.unnest($3), pg_catalog.unnest($4)) AS u(id, name, f, sha)",
										4, ftypes),
						  fvalues, NULL, false, 0);
	if (rc != SPI_OK_INSERT)
		elog(ERROR, "could not insert files: %s", SPI_result_code_string(rc));
	SPI_finish();

	submit_put_ids(tupstore, tupdesc, ids, n);
	return (Datum) 0;
}
