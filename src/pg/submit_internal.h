/*-------------------------------------------------------------------------
 *
 * src/pg/submit_internal.h
 *		Between submit.c (arguments and checks) and submit_bulk.c (the
 *		bulk insertion of the rows): what one submit call inserts.
 *
 *-------------------------------------------------------------------------
 */
#ifndef SAGE_SUBMIT_INTERNAL_H
#define SAGE_SUBMIT_INTERNAL_H

#include "postgres.h"

#include "utils/uuid.h"

/*
 * Columns of sage.executions a submit sets (the others take their
 * defaults), in this order in SageSubmitRows.values.
 */
#define SAGE_SUBMIT_NCOLS 9

/*
 * n executions of one input file each, all under the same configuration
 * and options: the rows of one sage_submit (n = 1) or sage_submit_batch.
 */
typedef struct SageSubmitRows
{
	int			n;				/* executions (and input files) */
	pg_uuid_t  *ids;			/* their ids */
	Datum	   *files;			/* bytea contents, never null */
	Datum	   *names;			/* text file names, never null or empty */
	Datum	   *shas;			/* bytea SHA-256 of each file */
	/* config, package, options, priority, placement, max_attempts (already
	 * defaulted from sage.max_attempts), casilla_id, emisor_id,
	 * metodo_envio: shared by every execution of the call */
	Datum		values[SAGE_SUBMIT_NCOLS];
	bool		nulls[SAGE_SUBMIT_NCOLS];
} SageSubmitRows;

/*
 * Inserts the rows with table_multi_insert, as COPY FROM does, and returns
 * true; or returns false, having inserted nothing, when the tables are not
 * as the extension made them (triggers that change rows, unknown policies)
 * and the caller must insert through SQL statements instead.
 */
bool		sage_submit_bulk_insert(const SageSubmitRows *rows);

#endif							/* SAGE_SUBMIT_INTERNAL_H */
