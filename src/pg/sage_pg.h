/*-------------------------------------------------------------------------
 *
 * src/pg/sage_pg.h
 *		Declarations shared by the files of the extension's PostgreSQL
 *		adapter (src/pg): GUC variables, the shared-memory state of the
 *		launcher and the local worker slots, the execution table's claim
 *		and completion, error mapping, the memory sink and the wait helper.
 *
 * Nothing here is visible to SQL except through the functions declared in
 * sage--1.0.sql; every extern symbol starts with sage_ because PostgreSQL
 * loads modules RTLD_GLOBAL.
 *
 *-------------------------------------------------------------------------
 */
#ifndef SAGE_PG_H
#define SAGE_PG_H

#include "postgres.h"

#include "datatype/timestamp.h"
#include "executor/spi.h"
#include "port/atomics.h"
#include "storage/latch.h"
#include "storage/lwlock.h"
#include "utils/uuid.h"

#include "sage/common.h"
#include "sage/report.h"

/* ---------------------------------------------------------------- types */

/* What a local worker slot is doing (sage.workers shows the names). */
typedef enum SageSlotState
{
	SAGE_SLOT_FREE = 0,			/* nobody */
	SAGE_SLOT_STARTING,			/* reserved by the launcher, worker not up yet */
	SAGE_SLOT_IDLE,				/* attached, waiting for work */
	SAGE_SLOT_BUSY				/* attached, holding an execution */
} SageSlotState;

/*
 * One local execution slot. The number of slots is
 * sage.max_local_executions, so holding a slot is what bounds the local
 * concurrency: a worker (or a session calling sage._claim()) must hold one
 * to claim. Fields other than the atomics are protected by SageShared.lock.
 */
typedef struct SageSlot
{
	SageSlotState state;		/* see above */
	pid_t		pid;			/* holder, 0 when free or starting */
	bool		is_worker;		/* holder is a "sage worker" (not a session) */
	Latch	   *latch;			/* holder's procLatch, to wake it */
	pg_uuid_t	execution;		/* execution held when BUSY */
	int32		attempt;		/* its attempt (fencing token) */
	TimestampTz since;			/* when the current state began */
	pg_atomic_uint32 cancel;	/* set by sage_cancel at commit */
	pg_atomic_uint64 records;	/* progress: records done */
	pg_atomic_uint64 bytes;		/* progress: bytes of input done */
	bool		has_orphan;		/* the last holder exited holding an execution */
	pg_uuid_t	orphan;			/* that execution, for the launcher to rescue */
	int32		orphan_attempt; /* and its attempt */
} SageSlot;

/* The extension's shared memory (one per cluster). */
typedef struct SageShared
{
	LWLock	   *lock;			/* protects the slots and the launcher fields */
	pid_t		launcher_pid;	/* 0 when no launcher runs */
	Latch	   *launcher_latch; /* the launcher's procLatch */
	pid_t		dispatcher_pid; /* the Lambda dispatcher, 0 when none runs */
	Latch	   *dispatcher_latch;	/* its procLatch, woken at submit */
	bool		startup_rescue_done;	/* executions left running rescued */
	int			nslots;			/* sage.max_local_executions at start */
	SageSlot	slots[FLEXIBLE_ARRAY_MEMBER];
} SageShared;

/* Kinds of waits: one wait helper serves every loop (wait.c). */
typedef enum SageWaitKind
{
	SAGE_WAIT_LAUNCHER_MAIN = 0,	/* the launcher between passes */
	SAGE_WAIT_LAUNCHER_NO_EXTENSION,	/* the launcher before CREATE EXTENSION */
	SAGE_WAIT_WORKER_IDLE,		/* a worker with nothing to claim */
	SAGE_WAIT_AWS_RETRY,		/* an AWS request's backoff before a retry */
	SAGE_WAIT_DISPATCHER_MAIN,	/* the dispatcher: latch, sockets, timers */
	SAGE_WAIT_RECONCILER_OUTPUTS	/* the reconciler reading Lambda outputs */
} SageWaitKind;

/* A socket to wait on (the dispatcher's libcurl multi), for wait.c. */
typedef struct SageWaitSocket
{
	int			fd;				/* the socket */
	bool		want_read;		/* wake when readable */
	bool		want_write;		/* wake when writable */
} SageWaitSocket;

/* What the claim gives a worker. */
typedef struct SageClaim
{
	pg_uuid_t	id;				/* execution id */
	int32		attempt;		/* fencing token of this attempt */
	char	   *config;			/* YAML (palloc'd in the caller's context) */
	char	   *package;		/* or NULL */
} SageClaim;

/* Outcome of an attempt, as _complete records it. */
typedef enum SageAttemptOutcome
{
	SAGE_OUTCOME_SUCCEEDED = 0, /* processed: counts and status are set */
	SAGE_OUTCOME_FAILED,		/* permanent failure: failed now */
	SAGE_OUTCOME_RETRY			/* transient failure: pending or dead */
} SageAttemptOutcome;

/* Counts of a processed execution, for _complete. */
typedef struct SageAttemptResult
{
	SageAttemptOutcome outcome;
	bool		has_counts;		/* the fields below are meaningful */
	int64		records;
	int64		errors;
	int64		warnings;
	int64		rows_with_errors;
	double		success_rate;
	const char *status;			/* Éxito, Parcial, Fallido or NULL */
	const char *last_error;		/* or NULL */
} SageAttemptResult;

/* A memory sink's file (sink.c). */
typedef struct SageMemFile
{
	char	   *name;			/* output name, e.g. report.json */
	char	   *data;			/* contents, palloc'd in the sink's context */
	size_t		len;			/* bytes used */
	size_t		cap;			/* bytes allocated */
	bool		closed;			/* closed by the processor */
} SageMemFile;

/* A sink collecting output files in a memory context (sink.c). */
typedef struct SageMemSink
{
	MemoryContext cxt;			/* where files live (the execution's context) */
	int			nfiles;			/* files opened so far */
	int			maxfiles;		/* size of files[] */
	SageMemFile *files;			/* in order of creation */
} SageMemSink;

/* ----------------------------------------------------------- constants */

/* Names shown in pg_stat_activity.backend_type. */
#define SAGE_LAUNCHER_TYPE "sage launcher"
#define SAGE_WORKER_TYPE "sage worker"

/* --------------------------------------------------------- GUCs (guc.c) */

extern char *sage_database;
extern int	sage_max_local_executions;
extern int	sage_max_attempts;
extern int	sage_retry_base;
extern int	sage_retry_cap;
extern int	sage_lease;
extern int	sage_retention;
extern int	sage_memory_limit;
extern bool sage_synchronous_completion;
extern bool sage_submit_bulk;
extern double sage_lambda_price_gb_second_x86;
extern double sage_lambda_price_gb_second_arm64;
extern double sage_lambda_price_request;
extern int	sage_metrics;
extern char *sage_metrics_namespace;
extern int	sage_metrics_interval;
extern char *sage_notify_channel;

/* Values of sage.metrics. */
#define SAGE_METRICS_OFF 0
#define SAGE_METRICS_CLOUDWATCH 1

/* sage.offload: when executions go to Lambda. */
typedef enum SageOffloadMode
{
	SAGE_OFFLOAD_AUTO = 0,		/* queue or CPU over threshold */
	SAGE_OFFLOAD_NEVER,			/* only placement 'lambda' */
	SAGE_OFFLOAD_ALWAYS			/* every execution not placed local */
} SageOffloadMode;

/* sage.storage: where local submits keep their files. */
typedef enum SageStorageMode
{
	SAGE_STORAGE_BYTEA = 0,		/* execution_files.content */
	SAGE_STORAGE_S3				/* objects under sage.s3_prefix */
} SageStorageMode;

/* sage.lock: how workers exclude each other on an execution. */
typedef enum SageLockMode
{
	SAGE_LOCK_ADVISORY = 0,		/* row state + advisory locks (one server) */
	SAGE_LOCK_DYNAMODB			/* DynamoDB lock table with fencing */
} SageLockMode;

extern int	sage_offload;
extern int	sage_offload_queue_threshold;
extern int	sage_offload_cpu_percent;
extern char *sage_lambda_function;
extern int	sage_lambda_max_inflight;
extern int	sage_lambda_timeout;
extern char *sage_aws_region;
extern char *sage_s3_endpoint;
extern char *sage_dynamodb_endpoint;
extern char *sage_lambda_endpoint;
extern char *sage_cloudwatch_endpoint;
extern char *sage_aws_ca_file;
extern char *sage_aws_access_key_id;
extern char *sage_aws_secret_access_key;
extern char *sage_aws_session_token;
extern char *sage_s3_bucket;
extern char *sage_s3_prefix;
extern int	sage_storage;
extern int	sage_lock;
extern char *sage_lock_table;
extern int	sage_lock_lease;
extern int	sage_lock_ttl;
extern bool sage_copy_outputs;

/* Defines every sage.* GUC, then reserves the prefix. */
void		sage_guc_define(void);

/* --------------------------------------------------- shared memory (shmem.c) */

/* The shared state, or NULL when sage is not preloaded. */
extern SageShared *sage_shared;

/* Hooks installed by _PG_init under shared_preload_libraries. */
void		sage_shmem_install_hooks(void);
/* ERROR 55000 unless sage was loaded by shared_preload_libraries. */
void		sage_shmem_require(void);
/* Slot of this process, or -1. */
int			sage_shmem_my_slot(void);
/* Attaches this process to a free slot (sessions), or -1 when all are taken. */
int			sage_shmem_attach_any(void);
/* Attaches a worker to the slot the launcher reserved for it. */
void		sage_shmem_attach_worker(int slot);
/* Reserves a free slot for a worker about to start, or -1. */
int			sage_shmem_reserve(void);
/* Gives up a reservation whose worker never attached. */
void		sage_shmem_unreserve(int slot);
/* Marks this process's slot busy with an execution, or idle (execution NULL). */
void		sage_shmem_set_execution(const pg_uuid_t *execution, int32 attempt);
/* Frees this process's slot (sessions, after completing). */
void		sage_shmem_detach(void);
/*
 * A session's sage._claim() took an execution in the current
 * (sub)transaction: if that aborts, the slot is given back.
 */
void		sage_shmem_claim_in_xact(void);
/*
 * Takes the executions whose holders exited while processing them (up to
 * max); the launcher expires their leases so they are rescued at once.
 */
int			sage_shmem_take_orphans(pg_uuid_t *ids, int32 *attempts, int max);
/* Sets the latches of the launcher and of every idle worker. */
void		sage_shmem_wake_all(void);
/*
 * The launcher and idle workers are woken when the current transaction
 * commits (ERROR 55000 unless sage is preloaded): sage._wake_at_commit().
 */
void		sage_shmem_wake_at_commit(void);

/* ------------------------------------------------- executions (execution.c) */

/* The plan of sql, prepared and kept on first use in *cache (SPI connected). */
SPIPlanPtr	sage_spi_plan(SPIPlanPtr *cache, const char *sql, int nargs, Oid *argtypes);

/*
 * Claims the next pending local execution for the slot this process holds,
 * in its own SPI connection inside the caller's transaction. Returns false
 * when there is none. The config and package are copied into result_cxt.
 */
bool		sage_execution_claim(SageClaim *claim, MemoryContext result_cxt);
/*
 * Records the end of an attempt, only if (id, attempt, state = 'running')
 * still holds; returns whether it did. Inside the caller's transaction.
 */
bool		sage_execution_complete(const pg_uuid_t *id, int32 attempt,
									const SageAttemptResult *result);
/* Validates a configuration (cached); ERROR 22023 with the processor's words. */
void		sage_execution_check_config(const char *config, size_t len);

/* ----------------------------------------------------- errors (error.c) */

/* SQLSTATE of a processor error code. */
int			sage_error_sqlstate(SageErrorCode code);
/* Raises err at elevel with its message, detail, hint and SQLSTATE. */
void		sage_error_report(int elevel, const SageError *err);
/* One line for last_error: "message: detail" (palloc'd). */
char	   *sage_error_text(const SageError *err);

/* ------------------------------------------------------- sink (sink.c) */

/* A sink keeping files in cxt; never throws (out of memory is an error). */
void		sage_mem_sink_init(SageMemSink *msink, MemoryContext cxt, SageSink *sink);

/* ------------------------------------------------------- wait (wait.c) */

/* Waits on the latch for at most timeout_ms (-1 = no timeout). */
void		sage_wait(SageWaitKind kind, long timeout_ms);
/*
 * Waits on the latch for at most timeout_ms without handling interrupts
 * or resetting more than it saw (for src/aws callbacks, which must not be
 * longjmp'd through); returns whether the latch was set. A postmaster
 * death ends the process.
 */
bool		sage_wait_uninterrupted(SageWaitKind kind, long timeout_ms);
/*
 * One wait on the latch, the given sockets and a timeout (-1 = none); the
 * WaitEventSet is kept and rebuilt only when the socket set changes.
 * Resets the latch and handles interrupts like sage_wait. Returns the
 * number of sockets that became ready.
 */
int			sage_wait_sockets(SageWaitKind kind, const SageWaitSocket *socks,
							  int nsocks, long timeout_ms);

/* ------------------------------------------- launcher and worker mains */

PGDLLEXPORT void sage_launcher_main(Datum main_arg);
PGDLLEXPORT void sage_worker_main(Datum main_arg);
/* Registers the static launcher (from _PG_init). */
void		sage_launcher_register(void);

/* ------------------------------------------------- metrics (metrics.c) */

/*
 * The launcher's metrics step, outside any transaction: sends the
 * executions finished since the last push to CloudWatch when
 * sage.metrics = cloudwatch and sage.metrics_interval has passed.
 * Returns the milliseconds until the next push is due (LONG_MAX when off).
 */
long		sage_metrics_tick(void);

#endif							/* SAGE_PG_H */
