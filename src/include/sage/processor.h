/*-------------------------------------------------------------------------
 *
 * src/include/sage/processor.h
 *		The processor's public interface: one execution from configuration
 *		and input files to outputs written through a sink. Called by the
 *		extension's workers, the Lambda bootstrap and sage-validate.
 *
 *-------------------------------------------------------------------------
 */
#ifndef SAGE_PROCESSOR_H
#define SAGE_PROCESSOR_H

#include "sage/common.h"
#include "sage/report.h"
#include "sage/zip.h"

#define SAGE_PROCESSOR_VERSION "1.0.0"

/* One submitted input: either a path or a memory buffer. */
typedef struct SageInputFile
{
	const char *name;			/* file name as submitted (drives format detection) */
	const char *path;			/* read from this path, or */
	const void *data;			/* from this buffer */
	size_t		len;
} SageInputFile;

typedef struct SageProcessOptions
{
	const char *execution_id;	/* for the report; NULL = generated */
	const char *where;			/* "local" (default) or "lambda" */
	const char *package;		/* explicit package or catalog key, or NULL */
	size_t		memory_limit;	/* bytes; 0 = unlimited */
	uint32_t	max_listed;		/* listings cap in report.json; 0 = 1000 */
	SageZipLimits zip_limits;	/* zeros = defaults */
	/* called every few thousand records; may be NULL */
	void		(*progress) (void *arg, uint64_t records, uint64_t bytes);
	/* polled as often; returning true stops with SAGE_ERR_CANCELLED */
	bool		(*cancel) (void *arg);
	void	   *callback_arg;
} SageProcessOptions;

typedef struct SageOutcome
{
	bool		processed;		/* false = system failure (error filled) */
	SageError	error;
	SageSummary summary;
	uint64_t	peak_memory;	/* bytes charged to the budget at most */
} SageOutcome;

/*
 * Runs one execution. Returns 0 when outputs were written (processed, or a
 * system failure recorded in the outputs: see out->processed), -1 when not
 * even the outputs could be written (sink failure, cancel) with out->error.
 */
int			sage_process(const char *config_yaml, size_t config_len,
						 const SageInputFile *inputs, int ninputs,
						 const SageProcessOptions *opts, SageSink *sink,
						 SageOutcome *out);

/* Validates a configuration as sage_submit does (0, or -1 with *err). */
int			sage_config_check(const char *config_yaml, size_t config_len, SageError *err);

#endif							/* SAGE_PROCESSOR_H */
