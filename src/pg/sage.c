/*-------------------------------------------------------------------------
 *
 * src/pg/sage.c
 *		Entry point of the sage extension: _PG_init defines the GUCs and,
 *		under shared_preload_libraries, requests shared memory and registers
 *		the launcher.
 *
 * Wording (used throughout src/pg and sage--1.0.sql):
 *
 *	execution	one submitted validation: a configuration, its input files
 *				and, once processed, its outputs (a row of sage.executions)
 *	attempt		one try at processing an execution; its number, incremented
 *				at every claim, is the fencing token
 *	claim		taking a pending execution for a local worker
 *				(FOR UPDATE SKIP LOCKED), committed before any work starts
 *	dispatch	sending an execution to AWS Lambda (the dispatcher)
 *	lease		how long a running execution stays with its holder without
 *				renewal; the launcher renews the leases of live local
 *				workers and rescues executions whose lease passed
 *	fencing		every write of a result is conditional on (id, attempt,
 *				state = 'running'), so a stale attempt never overwrites a
 *				newer one, nor a cancellation
 *	slot		a shared-memory place for one local execution; there are
 *				sage.max_local_executions of them, which bounds concurrency
 *	launcher	the static background worker that starts workers, renews
 *				leases, rescues and purges
 *	worker		a dynamic background worker that claims and processes
 *				executions until it has been idle for a while
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "miscadmin.h"

#include "sage_pg.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

/*
 * Module load. GUCs are defined in every backend that loads the library;
 * shared memory and the launcher only exist when it is preloaded, since
 * neither can be added to a running server.
 */
void
_PG_init(void)
{
	sage_guc_define();

	if (!process_shared_preload_libraries_in_progress)
		return;

	sage_shmem_install_hooks();
	sage_launcher_register();
}
