/*-------------------------------------------------------------------------
 *
 * src/pg/guc.c
 *		Every sage.* configuration parameter, defined in one place.
 *
 * Worker counts and shared memory are PGC_POSTMASTER (they size the slots
 * and are only honoured under shared_preload_libraries); what the launcher
 * and workers read on every pass is PGC_SIGHUP; defaults of submit options
 * are PGC_USERSET. Times and sizes carry units, with bounds that cannot
 * overflow an int of milliseconds, seconds or kilobytes.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <limits.h>

#include "utils/guc.h"

#include "sage_pg.h"

/* Database the launcher connects to. */
char	   *sage_database = NULL;
/* Number of local worker slots. */
int			sage_max_local_executions = 3;
/* Default attempts allowed per execution. */
int			sage_max_attempts = 3;
/* First retry delay, milliseconds. */
int			sage_retry_base = 1000;
/* Longest retry delay, milliseconds. */
int			sage_retry_cap = 600000;
/* Lease of a running execution, seconds. */
int			sage_lease = 60;
/* Age after which finished executions are deleted, seconds (0 = never). */
int			sage_retention = 30 * 24 * 3600;
/* Completions wait for their WAL flush. */
bool		sage_synchronous_completion = true;
/* Memory ceiling of one local execution, kilobytes (0 = none). */
int			sage_memory_limit = 1024 * 1024;

/*
 * Defines the GUCs. Called from _PG_init, whether or not the library is
 * preloaded, so that SET and SHOW work in every session.
 */
void
sage_guc_define(void)
{
	DefineCustomStringVariable("sage.database",
							   gettext_noop("Database in which the sage launcher and workers run."),
							   gettext_noop("The extension must be created in this database; the launcher waits until it is."),
							   &sage_database,
							   "postgres",
							   PGC_POSTMASTER,
							   0,
							   NULL, NULL, NULL);

	DefineCustomIntVariable("sage.max_local_executions",
							gettext_noop("Maximum number of executions processed at once by local workers."),
							gettext_noop("Each running execution uses one background worker; 0 disables local processing."),
							&sage_max_local_executions,
							3, 0, 64,
							PGC_POSTMASTER,
							0,
							NULL, NULL, NULL);

	DefineCustomIntVariable("sage.max_attempts",
							gettext_noop("Default number of attempts allowed per execution."),
							gettext_noop("An execution that fails transiently this many times becomes dead."),
							&sage_max_attempts,
							3, 1, 1000,
							PGC_USERSET,
							0,
							NULL, NULL, NULL);

	DefineCustomIntVariable("sage.retry_base",
							gettext_noop("Delay before the first retry of a transiently failed execution."),
							gettext_noop("The delay doubles at every attempt, up to sage.retry_cap, with random jitter of up to half."),
							&sage_retry_base,
							1000, 10, 3600 * 1000,
							PGC_SIGHUP,
							GUC_UNIT_MS,
							NULL, NULL, NULL);

	DefineCustomIntVariable("sage.retry_cap",
							gettext_noop("Longest delay between retries of an execution."),
							NULL,
							&sage_retry_cap,
							600000, 10, 24 * 3600 * 1000,
							PGC_SIGHUP,
							GUC_UNIT_MS,
							NULL, NULL, NULL);

	DefineCustomIntVariable("sage.lease",
							gettext_noop("Lease of a running execution."),
							gettext_noop("The launcher renews the leases of live local workers; an execution whose lease passes is returned to pending."),
							&sage_lease,
							60, 5, 24 * 3600,
							PGC_SIGHUP,
							GUC_UNIT_S,
							NULL, NULL, NULL);

	DefineCustomIntVariable("sage.retention",
							gettext_noop("Age after which finished executions and their files are deleted."),
							gettext_noop("0 keeps them forever."),
							&sage_retention,
							30 * 24 * 3600, 0, INT_MAX,
							PGC_SIGHUP,
							GUC_UNIT_S,
							NULL, NULL, NULL);

	DefineCustomIntVariable("sage.memory_limit",
							gettext_noop("Memory ceiling of one execution processed by a local worker."),
							gettext_noop("An execution that needs more fails with a memory limit error; 0 means no limit."),
							&sage_memory_limit,
							1024 * 1024, 0, INT_MAX,
							PGC_SIGHUP,
							GUC_UNIT_KB,
							NULL, NULL, NULL);

	DefineCustomBoolVariable("sage.synchronous_completion",
							 gettext_noop("Makes local workers wait for the WAL flush of each execution's result."),
							 gettext_noop("On by default, so a result a client has seen survives a crash. Turning it off can multiply throughput on slow disks: a result lost in a crash is then produced again by the next attempt, as the startup rescue runs interrupted executions again."),
							 &sage_synchronous_completion,
							 true,
							 PGC_SIGHUP,
							 0,
							 NULL, NULL, NULL);

	MarkGUCPrefixReserved("sage");
}
