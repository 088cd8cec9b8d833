/*-------------------------------------------------------------------------
 *
 * src/pg/storage.c
 *		The storage backend of local workers (sage.storage = bytea | s3)
 *		and sage._file_s3, the S3 side of sage_file. See storage.h for the
 *		layout of the bucket.
 *
 * Every S3 request runs with no transaction open; the database side of
 * each step is a short transaction of its own, and each write in it is
 * conditional on the attempt (inputs) or on the rows still naming this
 * attempt's objects (promotion), so a worker that lost its execution
 * changes nothing that a newer attempt owns.
 *
 * Why outputs are recorded in the completion's transaction naming the
 * attempt's objects, and only then promoted: a crash after the
 * completion committed must not leave a succeeded execution without
 * output rows. The attempt's objects are valid files; promotion copies
 * them to <prefix><id>/ (the layout of SAGE's Lambda design) and moves
 * the rows' uris there.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/uuid.h"

#include "sage/aws.h"
#include "sage/processor.h"

#include "aws_config.h"
#include "sage_pg.h"
#include "storage.h"

/* One input row as read in the first transaction. */
typedef struct StorageInput
{
	char	   *name;			/* file name */
	bool		in_s3;			/* storage = 's3' */
	char	   *data;			/* content (bytea rows) */
	size_t		len;			/* its length */
	char	   *uri;			/* s3 rows: the object */
} StorageInput;

/* Kept plans (one worker runs them for every execution). */
static SPIPlanPtr storage_read_plan = NULL;
static SPIPlanPtr storage_moved_plan = NULL;
static SPIPlanPtr storage_out_bytea_plan = NULL;
static SPIPlanPtr storage_out_s3_plan = NULL;
static SPIPlanPtr storage_promote_plan = NULL;
static SPIPlanPtr storage_file_plan = NULL;

PG_FUNCTION_INFO_V1(sage_file_s3);

/* Starts a short transaction with a snapshot (asynchronous commit). */
static void
storage_begin(const char *activity)
{
	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	(void) set_config_option("synchronous_commit", "off", PGC_USERSET,
							 PGC_S_SESSION, GUC_ACTION_LOCAL, true, 0, false);
	PushActiveSnapshot(GetTransactionSnapshot());
	pgstat_report_activity(STATE_RUNNING, activity);
}

/* Commits it. */
static void
storage_commit(void)
{
	PopActiveSnapshot();
	CommitTransactionCommand();
	pgstat_report_stat(false);
}

/* The key prefix of an execution: <sage.s3_prefix><id>/ */
static char *
storage_exec_prefix(const char *idstr)
{
	return psprintf("%s%s/", sage_s3_prefix ? sage_s3_prefix : "", idstr);
}

/* "s3://<bucket>/<key>" */
static char *
storage_uri(const char *bucket, const char *key)
{
	return psprintf("s3://%s/%s", bucket, key);
}

/*
 * Splits "s3://<bucket>/<key>" (palloc'd parts); false when uri is not
 * of that form.
 */
static bool
storage_uri_parse(const char *uri, char **bucket, char **key)
{
	const char *b;
	const char *slash;

	if (strncmp(uri, "s3://", 5) != 0)
		return false;
	b = uri + 5;
	slash = strchr(b, '/');
	if (slash == NULL || slash == b || slash[1] == '\0')
		return false;
	*bucket = pnstrdup(b, slash - b);
	*key = pstrdup(slash + 1);
	return true;
}

/* Frees an S3 client when its memory context goes. */
static void
storage_client_free_cb(void *arg)
{
	sage_s3_client_free((SageS3Client *) arg);
}

/*
 * An S3 client for bucket: the cached one for sage.s3_bucket, else one
 * with the same settings, freed with cxt. ERROR when S3 is not
 * configured on this server (sage.s3_bucket empty).
 */
static SageS3Client *
storage_client(const char *bucket, MemoryContext cxt)
{
	SageS3Options opts;
	SageError	err;
	SageS3Client *client;
	MemoryContextCallback *cb;

	if (sage_s3_bucket == NULL || sage_s3_bucket[0] == '\0' ||
		strcmp(bucket, sage_s3_bucket) == 0)
		return sage_pg_s3_client();

	memset(&opts, 0, sizeof(opts));
	opts.endpoint = sage_s3_endpoint && sage_s3_endpoint[0] ? sage_s3_endpoint : NULL;
	opts.region = sage_pg_aws_region();
	opts.bucket = bucket;
	opts.path_style = opts.endpoint != NULL;
	opts.credentials = sage_pg_aws_credentials();
	sage_pg_aws_http_options(&opts.http);
	cb = MemoryContextAlloc(cxt, sizeof(MemoryContextCallback));
	sage_error_clear(&err);
	client = sage_s3_client_new(&opts, &err);
	if (client == NULL)
		sage_pg_aws_report(ERROR, &err, "could not set up the S3 client");
	cb->func = storage_client_free_cb;
	cb->arg = client;
	MemoryContextRegisterResetCallback(cxt, cb);
	return client;
}

/* Reads the input rows of an execution into cxt (short transaction). */
static int
storage_read_rows(const pg_uuid_t *id, MemoryContext cxt, StorageInput **rows)
{
	Oid			argtypes[1] = {UUIDOID};
	Datum		values[1] = {UUIDPGetDatum(id)};
	StorageInput *r;
	uint64		i;
	int			n;

	storage_begin("reading inputs");
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_execute_plan(sage_spi_plan(&storage_read_plan,
									   "SELECT name, storage, content, uri "
									   "FROM sage.execution_files "
									   "WHERE execution_id = $1 AND role = 'in' "
									   "ORDER BY ordinal",
									   1, argtypes),
						 values, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read the inputs of an execution");
	n = (int) SPI_processed;
	r = MemoryContextAllocZero(cxt, sizeof(StorageInput) * Max(n, 1));
	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;
		Datum		d;
		char	   *storage;
		MemoryContext old = MemoryContextSwitchTo(cxt);

		r[i].name = TextDatumGetCString(SPI_getbinval(tup, desc, 1, &isnull));
		storage = TextDatumGetCString(SPI_getbinval(tup, desc, 2, &isnull));
		r[i].in_s3 = strcmp(storage, "s3") == 0;
		d = SPI_getbinval(tup, desc, 3, &isnull);
		if (!isnull)
		{
			bytea	   *b = DatumGetByteaPCopy(d);

			r[i].data = VARDATA_ANY(b);
			r[i].len = VARSIZE_ANY_EXHDR(b);
		}
		d = SPI_getbinval(tup, desc, 4, &isnull);
		if (!isnull)
			r[i].uri = TextDatumGetCString(d);
		MemoryContextSwitchTo(old);
	}
	SPI_finish();
	storage_commit();
	*rows = r;
	return n;
}

/*
 * Uploads the bytea inputs to S3 and switches their rows to s3, only
 * while the attempt still holds the execution. The content stays in
 * memory for this attempt.
 */
static void
storage_move_inputs(const pg_uuid_t *id, const char *idstr, int32 attempt,
					StorageInput *rows, int n, MemoryContext cxt)
{
	SageS3Client *client = sage_pg_s3_client();
	char	   *prefix = storage_exec_prefix(idstr);
	Datum	   *names = palloc(sizeof(Datum) * n);
	Datum	   *uris = palloc(sizeof(Datum) * n);
	int			nmoved = 0;
	int			i;

	for (i = 0; i < n; i++)
	{
		char	   *key;
		SageError	err;
		int			rc;

		if (rows[i].in_s3 || rows[i].data == NULL)
			continue;
		key = psprintf("%sinputs/%s", prefix, rows[i].name);
		sage_error_clear(&err);
		/* If-None-Match: a concurrent mover of the same input is harmless */
		rc = sage_s3_put(client, key, rows[i].data, rows[i].len, true,
						 "application/octet-stream", &err);
		if (rc < 0)
		{
			char	   *what = psprintf("could not move input \"%s\" of execution %s to S3",
										rows[i].name, idstr);

			sage_pg_aws_report(ERROR, &err, what);
		}
		names[nmoved] = CStringGetTextDatum(rows[i].name);
		uris[nmoved] = CStringGetTextDatum(storage_uri(sage_s3_bucket, key));
		nmoved++;
	}
	if (nmoved == 0)
		return;

	storage_begin("recording inputs moved to S3");
	{
		Oid			argtypes[4] = {UUIDOID, TEXTARRAYOID, TEXTARRAYOID, INT4OID};
		Datum		values[4];

		values[0] = UUIDPGetDatum(id);
		values[1] = PointerGetDatum(construct_array(names, nmoved, TEXTOID, -1, false, TYPALIGN_INT));
		values[2] = PointerGetDatum(construct_array(uris, nmoved, TEXTOID, -1, false, TYPALIGN_INT));
		values[3] = Int32GetDatum(attempt);
		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "SPI_connect failed");
		if (SPI_execute_plan(sage_spi_plan(&storage_moved_plan,
										   "UPDATE sage.execution_files f "
										   "SET storage = 's3', uri = m.uri, content = NULL "
										   "FROM unnest($2, $3) AS m(name, uri) "
										   "WHERE f.execution_id = $1 AND f.role = 'in' "
										   "  AND f.name = m.name AND f.storage = 'bytea' "
										   "  AND EXISTS (SELECT 1 FROM sage.executions e "
										   "              WHERE e.id = $1 AND e.attempt = $4 "
										   "                AND e.state = 'running')",
										   4, argtypes),
							 values, NULL, false, 0) != SPI_OK_UPDATE)
			elog(ERROR, "could not record the inputs moved to S3");
		SPI_finish();
	}
	storage_commit();
}

/*
 * Fetches an input stored in S3 into the execution's arena. Returns
 * false (with *problem) when the object does not exist or the uri is
 * not an S3 uri: the input cannot be had, a permanent failure.
 */
static bool
storage_fetch_input(StorageInput *row, MemoryContext cxt, SageArena *arena,
					char **problem)
{
	char	   *bucket;
	char	   *key;
	SageS3Client *client;
	SageError	err;
	char	   *data;
	size_t		len;
	int			rc;

	if (row->uri == NULL || !storage_uri_parse(row->uri, &bucket, &key))
	{
		*problem = psprintf("input file \"%s\" has an invalid S3 uri \"%s\"",
							row->name, row->uri ? row->uri : "");
		return false;
	}
	client = storage_client(bucket, cxt);
	sage_error_clear(&err);
	rc = sage_s3_get(client, key, 0, -1, arena, &data, &len, &err);
	if (rc < 0)
	{
		char	   *what = psprintf("could not read input \"%s\" from S3", row->name);

		sage_pg_aws_report(ERROR, &err, what);
	}
	if (rc == 1)
	{
		*problem = psprintf("input file \"%s\" is missing from S3: object \"%s\" does not exist",
							row->name, row->uri);
		return false;
	}
	row->data = data;
	row->len = len;
	return true;
}

/* sage_storage_read_inputs: see storage.h. */
int
sage_storage_read_inputs(const pg_uuid_t *id, const char *idstr, int32 attempt,
						 MemoryContext cxt, SageInputFile **inputs,
						 char **problem)
{
	StorageInput *rows;
	SageInputFile *files;
	SageArena  *arena = NULL;
	bool		any_bytea = false;
	int			n;
	int			i;

	*problem = NULL;
	n = storage_read_rows(id, cxt, &rows);
	if (n == 0)
	{
		*problem = pstrdup("execution has no input file");
		return 0;
	}
	for (i = 0; i < n; i++)
		if (!rows[i].in_s3 && rows[i].data != NULL)
			any_bytea = true;

	if (sage_storage == SAGE_STORAGE_S3 && any_bytea)
		storage_move_inputs(id, idstr, attempt, rows, n, cxt);

	files = MemoryContextAllocZero(cxt, sizeof(SageInputFile) * n);
	for (i = 0; i < n; i++)
	{
		if (rows[i].data == NULL)
		{
			if (!rows[i].in_s3)
			{
				*problem = psprintf("input file \"%s\" is not stored in the database",
									rows[i].name);
				return n;
			}
			if (arena == NULL)
				arena = sage_pg_arena(cxt);
			if (!storage_fetch_input(&rows[i], cxt, arena, problem))
				return n;
		}
		files[i].name = rows[i].name;
		files[i].data = rows[i].data;
		files[i].len = rows[i].len;
	}
	*inputs = files;
	return n;
}

/*
 * Put every closed file of msink in S3 under prefix; an error ends the
 * transaction with a message saying whether the upload of an attempt's
 * outputs or their promotion failed.
 */
static void
storage_put_files(SageS3Client *client, const char *prefix,
				  SageMemSink *msink, const char *idstr, bool promote)
{
	int			i;

	for (i = 0; i < msink->nfiles; i++)
	{
		SageMemFile *f = &msink->files[i];
		char	   *key;
		SageError	err;

		if (!f->closed)
			continue;
		key = psprintf("%s%s", prefix, f->name);
		sage_error_clear(&err);
		if (sage_s3_put(client, key, f->data, f->len, false, NULL, &err) < 0)
		{
			char	   *what;

			if (promote)
				what = psprintf("could not promote output \"%s\"", f->name);
			else
				what = psprintf("could not upload output \"%s\" of execution %s to S3",
								f->name, idstr);
			sage_pg_aws_report(ERROR, &err, what);
		}
		pfree(key);
	}
}

/* sage_storage_put_outputs: see storage.h. */
char *
sage_storage_put_outputs(const char *idstr, int32 attempt, SageMemSink *msink)
{
	SageS3Client *client;
	char	   *prefix;

	if (sage_storage != SAGE_STORAGE_S3)
		return NULL;
	client = sage_pg_s3_client();
	prefix = psprintf("%sattempt-%d/", storage_exec_prefix(idstr), attempt);
	pgstat_report_activity(STATE_RUNNING, "uploading outputs to S3");
	storage_put_files(client, prefix, msink, idstr, false);
	return prefix;
}

/* A bytea copy of an output file. */
static bytea *
storage_bytea(const SageMemFile *f)
{
	bytea	   *b = (bytea *) palloc(f->len + VARHDRSZ);

	SET_VARSIZE(b, f->len + VARHDRSZ);
	if (f->len > 0)
		memcpy(VARDATA(b), f->data, f->len);
	return b;
}

/* sage_storage_record_outputs: see storage.h. */
void
sage_storage_record_outputs(const pg_uuid_t *id, SageMemSink *msink,
							const char *prefix)
{
	Oid			bytea_types[4] = {UUIDOID, TEXTOID, INT4OID, BYTEAOID};
	Oid			s3_types[7] = {UUIDOID, TEXTOID, INT4OID, INT8OID, BYTEAOID,
	BYTEAOID, TEXTOID};
	int			ordinal = 0;
	int			i;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	for (i = 0; i < msink->nfiles; i++)
	{
		SageMemFile *f = &msink->files[i];
		int			rc;

		if (!f->closed)
			continue;
		ordinal++;
		if (prefix == NULL)
		{
			Datum		values[4];

			values[0] = UUIDPGetDatum(id);
			values[1] = CStringGetTextDatum(f->name);
			values[2] = Int32GetDatum(ordinal);
			values[3] = PointerGetDatum(storage_bytea(f));
			rc = SPI_execute_plan(sage_spi_plan(&storage_out_bytea_plan,
												"INSERT INTO sage.execution_files "
												"(execution_id, role, name, ordinal, size, sha256, content) "
												"VALUES ($1, 'out', $2, $3, pg_catalog.length($4), "
												"pg_catalog.sha256($4), $4)",
												4, bytea_types),
								  values, NULL, false, 0);
		}
		else
		{
			Datum		values[7];
			char		nulls[7] = {' ', ' ', ' ', ' ', ' ', ' ', ' '};
			uint8_t		digest[SAGE_SHA256_LEN];
			bytea	   *sha;
			SageError	err;

			sage_error_clear(&err);
			if (sage_crypto_sha256(f->data, f->len, digest, &err) != 0)
				sage_error_report(ERROR, &err);
			sha = (bytea *) palloc(SAGE_SHA256_LEN + VARHDRSZ);
			SET_VARSIZE(sha, SAGE_SHA256_LEN + VARHDRSZ);
			memcpy(VARDATA(sha), digest, SAGE_SHA256_LEN);
			values[0] = UUIDPGetDatum(id);
			values[1] = CStringGetTextDatum(f->name);
			values[2] = Int32GetDatum(ordinal);
			values[3] = Int64GetDatum((int64) f->len);
			values[4] = PointerGetDatum(sha);
			/* sage.copy_outputs: the content too, so reading needs no S3 */
			if (sage_copy_outputs)
				values[5] = PointerGetDatum(storage_bytea(f));
			else
				nulls[5] = 'n';
			values[6] = CStringGetTextDatum(storage_uri(sage_s3_bucket,
														psprintf("%s%s", prefix, f->name)));
			rc = SPI_execute_plan(sage_spi_plan(&storage_out_s3_plan,
												"INSERT INTO sage.execution_files "
												"(execution_id, role, name, ordinal, size, sha256, "
												" storage, content, uri) "
												"VALUES ($1, 'out', $2, $3, $4, $5, 's3', $6, $7)",
												7, s3_types),
								  values, nulls, false, 0);
		}
		if (rc != SPI_OK_INSERT)
			elog(ERROR, "could not store output file \"%s\"", f->name);
	}
	SPI_finish();
}

/* sage_storage_promote: see storage.h. */
void
sage_storage_promote(const pg_uuid_t *id, const char *idstr, int32 attempt,
					 SageMemSink *msink, const char *prefix)
{
	MemoryContext cxt = CurrentMemoryContext;

	if (prefix == NULL)
		return;
	Assert(!IsTransactionState());
	PG_TRY();
	{
		SageS3Client *client = sage_pg_s3_client();
		char	   *exec_prefix = storage_exec_prefix(idstr);
		Oid			argtypes[3] = {UUIDOID, TEXTOID, TEXTOID};
		Datum		values[3];

		pgstat_report_activity(STATE_RUNNING, "promoting outputs in S3");
		storage_put_files(client, exec_prefix, msink, idstr, true);

		storage_begin("recording promoted outputs");
		values[0] = UUIDPGetDatum(id);
		values[1] = CStringGetTextDatum(storage_uri(sage_s3_bucket, exec_prefix));
		values[2] = CStringGetTextDatum(storage_uri(sage_s3_bucket, prefix));
		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "SPI_connect failed");
		if (SPI_execute_plan(sage_spi_plan(&storage_promote_plan,
										   "UPDATE sage.execution_files f "
										   "SET uri = $2 || f.name "
										   "WHERE f.execution_id = $1 AND f.role = 'out' "
										   "  AND f.storage = 's3' AND f.uri = $3 || f.name",
										   3, argtypes),
							 values, NULL, false, 0) != SPI_OK_UPDATE)
			elog(ERROR, "could not record promoted outputs");
		SPI_finish();
		storage_commit();
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		HOLD_INTERRUPTS();
		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		FlushErrorState();
		AbortOutOfAnyTransaction();
		RESUME_INTERRUPTS();
		ereport(WARNING,
				errcode(edata->sqlerrcode),
				errmsg("could not promote the outputs of execution %s attempt %d: %s",
					   idstr, attempt, edata->message),
				edata->detail ? errdetail_internal("%s", edata->detail) : 0,
				errhint("Its outputs stay under \"%s\", which its rows name.", prefix));
		FreeErrorData(edata);
	}
	PG_END_TRY();
}

/*
 * sage._file_s3(id uuid, name text) returns bytea: the content of a file
 * of an execution stored in S3 (an output first, as sage_file chooses).
 * The row is read under the caller's row-level security, so nobody reads
 * an object through it that sage_file would not show them; only uris the
 * extension itself wrote are ever fetched.
 */
Datum
sage_file_s3(PG_FUNCTION_ARGS)
{
	Oid			argtypes[2] = {UUIDOID, TEXTOID};
	Datum		values[2];
	char	   *idstr;
	char	   *name;
	char	   *uri = NULL;
	char	   *bucket;
	char	   *key;
	SageS3Client *client;
	SageArena  *arena;
	SageError	err;
	char	   *data;
	size_t		len;
	bytea	   *result;
	MemoryContext outer = CurrentMemoryContext;
	int			rc;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				errmsg("execution id and file name must not be null"));
	values[0] = PG_GETARG_DATUM(0);
	values[1] = PG_GETARG_DATUM(1);
	idstr = DatumGetCString(DirectFunctionCall1(uuid_out, values[0]));
	name = text_to_cstring(PG_GETARG_TEXT_PP(1));

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_execute_plan(sage_spi_plan(&storage_file_plan,
									   "SELECT f.uri FROM sage.execution_files f "
									   "WHERE f.execution_id = $1 AND f.name = $2 "
									   "  AND f.storage = 's3' "
									   "ORDER BY f.role = 'out' DESC LIMIT 1",
									   2, argtypes),
						 values, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read the files of an execution");
	if (SPI_processed > 0)
	{
		bool		isnull;
		Datum		d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc,
									  1, &isnull);

		/* copied out of SPI's memory, which SPI_finish frees */
		if (!isnull)
		{
			MemoryContext old = MemoryContextSwitchTo(outer);

			uri = TextDatumGetCString(d);
			MemoryContextSwitchTo(old);
		}
	}
	SPI_finish();
	if (uri == NULL)
		ereport(ERROR,
				errcode(ERRCODE_UNDEFINED_OBJECT),
				errmsg("file \"%s\" of execution %s is not stored in S3", name, idstr));
	if (!storage_uri_parse(uri, &bucket, &key))
		ereport(ERROR,
				errcode(ERRCODE_DATA_CORRUPTED),
				errmsg("file \"%s\" of execution %s has an invalid S3 uri \"%s\"",
					   name, idstr, uri),
				errdetail("An S3 uri has the form s3://bucket/key."));
	if (sage_s3_bucket == NULL || sage_s3_bucket[0] == '\0')
		ereport(ERROR,
				errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				errmsg("file \"%s\" of execution %s is stored in S3, but S3 is not configured on this server",
					   name, idstr),
				errdetail("The file is the object \"%s\".", uri),
				errhint("Set %s (and the region, endpoint and credentials the bucket needs).",
						"sage.s3_bucket"));

	client = storage_client(bucket, CurrentMemoryContext);
	arena = sage_pg_arena(CurrentMemoryContext);
	sage_error_clear(&err);
	rc = sage_s3_get(client, key, 0, -1, arena, &data, &len, &err);
	if (rc < 0)
	{
		char	   *what = psprintf("could not read file \"%s\" of execution %s from S3",
									name, idstr);

		sage_pg_aws_report(ERROR, &err, what);
	}
	if (rc == 1)
		ereport(ERROR,
				errcode(ERRCODE_UNDEFINED_FILE),
				errmsg("file \"%s\" of execution %s is missing from S3", name, idstr),
				errdetail("The object \"%s\" does not exist.", uri));
	if (len > MaxAllocSize - VARHDRSZ)
		ereport(ERROR,
				errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				errmsg("file \"%s\" of execution %s is too large for a bytea (%zu bytes)",
					   name, idstr, len));
	result = (bytea *) palloc(len + VARHDRSZ);
	SET_VARSIZE(result, len + VARHDRSZ);
	if (len > 0)
		memcpy(VARDATA(result), data, len);
	PG_RETURN_BYTEA_P(result);
}
