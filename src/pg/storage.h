/*-------------------------------------------------------------------------
 *
 * src/pg/storage.h
 *		The storage backend of local workers (sage.storage = bytea | s3)
 *		and the S3 side of sage_file.
 *
 * bytea keeps every file in sage.execution_files.content. s3 keeps them
 * in sage.s3_bucket with the layout of lambda/bootstrap, so that several
 * servers (and Lambda) share one bucket:
 *
 *	<prefix><id>/inputs/<name>			inputs, moved once from bytea
 *	<prefix><id>/attempt-<n>/<name>		outputs of attempt n
 *	<prefix><id>/<name>					outputs of the committed attempt
 *
 * and rows say storage 's3' with uri "s3://<bucket>/<key>". Inputs
 * stored in S3 are read from there whatever sage.storage says, so a
 * server switched back to bytea still runs what it has.
 *
 * No transaction is ever open during S3 I/O: every function below that
 * talks to S3 runs between the worker's short transactions.
 *
 *-------------------------------------------------------------------------
 */
#ifndef SAGE_STORAGE_H
#define SAGE_STORAGE_H

#include "postgres.h"

#include "utils/uuid.h"

#include "sage/processor.h"

#include "sage_pg.h"

/*
 * Reads the inputs of a running attempt into cxt (outside any
 * transaction; opens its own short ones). With sage.storage = s3, inputs
 * still in bytea are first uploaded to S3 (If-None-Match, so a concurrent
 * mover is harmless) and their rows switched to s3 in a transaction
 * conditional on the attempt; inputs in S3 are fetched. Returns the
 * number of inputs; *problem (palloc'd) says why the attempt cannot run
 * at all (no input, an input nowhere to be found): a permanent failure.
 * ERROR on S3 or database failures (a transient failure).
 */
int			sage_storage_read_inputs(const pg_uuid_t *id, const char *idstr,
									 int32 attempt, MemoryContext cxt,
									 SageInputFile **inputs, char **problem);

/*
 * With sage.storage = s3, uploads the closed outputs of msink under
 * <prefix><id>/attempt-<n>/ and returns that key prefix (palloc'd);
 * NULL with bytea storage. Outside any transaction; ERROR on failure.
 */
char	   *sage_storage_put_outputs(const char *idstr, int32 attempt,
									 SageMemSink *msink);

/*
 * Inserts the output rows of an accepted attempt, inside the completion's
 * transaction: bytea rows, or (prefix not NULL) s3 rows naming the
 * attempt's objects, with the content too when sage.copy_outputs.
 */
void		sage_storage_record_outputs(const pg_uuid_t *id, SageMemSink *msink,
										const char *prefix);

/*
 * After the completion committed: copies the attempt's outputs to
 * <prefix><id>/ and points the rows there (a short transaction,
 * conditional on the rows still naming this attempt's objects). Never
 * throws: a failure is logged and the rows keep naming the attempt's
 * objects, which stay valid.
 */
void		sage_storage_promote(const pg_uuid_t *id, const char *idstr,
								 int32 attempt, SageMemSink *msink,
								 const char *prefix);

#endif							/* SAGE_STORAGE_H */
