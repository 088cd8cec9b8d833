/*-------------------------------------------------------------------------
 *
 * src/pg/sink.c
 *		A SageSink that keeps the processor's output files in a memory
 *		context, so the worker can store them as rows of
 *		sage.execution_files once processing is over.
 *
 * The callbacks run inside the processor's frames, so they must never
 * throw: allocations use MCXT_ALLOC_NO_OOM and failures come back as a
 * SageError, as the processor expects. Everything lives in the
 * execution's memory context and goes away when it is reset.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "utils/memutils.h"

#include "sage_pg.h"

/* Largest output file: what fits in one bytea. */
#define SINK_MAX_FILE (MaxAllocSize - VARHDRSZ)

/* Allocates without throwing; NULL when out of memory. */
static void *
sink_alloc(SageMemSink *msink, size_t size)
{
	return MemoryContextAllocExtended(msink->cxt, size,
									  MCXT_ALLOC_NO_OOM | MCXT_ALLOC_HUGE);
}

/* Opens (or truncates) a named file. */
static int
sink_open(void *ctx, const char *name, void **handle, SageError *err)
{
	SageMemSink *msink = (SageMemSink *) ctx;
	SageMemFile *file = NULL;
	int			i;

	for (i = 0; i < msink->nfiles; i++)
	{
		if (strcmp(msink->files[i].name, name) == 0)
		{
			file = &msink->files[i];
			file->len = 0;
			file->closed = false;
			*handle = (void *) (uintptr_t) (i + 1);
			return 0;
		}
	}
	if (msink->nfiles == msink->maxfiles)
	{
		int			newmax = msink->maxfiles ? msink->maxfiles * 2 : 8;
		SageMemFile *files = sink_alloc(msink, sizeof(SageMemFile) * newmax);

		if (files == NULL)
			return sage_error_set(err, SAGE_ERR_MEMORY, "out of memory");
		if (msink->nfiles > 0)
			memcpy(files, msink->files, sizeof(SageMemFile) * msink->nfiles);
		if (msink->files)
			pfree(msink->files);
		msink->files = files;
		msink->maxfiles = newmax;
	}
	file = &msink->files[msink->nfiles];
	memset(file, 0, sizeof(*file));
	file->name = sink_alloc(msink, strlen(name) + 1);
	if (file->name == NULL)
		return sage_error_set(err, SAGE_ERR_MEMORY, "out of memory");
	strcpy(file->name, name);
	msink->nfiles++;
	*handle = (void *) (uintptr_t) msink->nfiles;
	return 0;
}

/*
 * Resolves a handle. Handles are indexes + 1 rather than pointers because
 * the array of files moves when it grows.
 */
static SageMemFile *
sink_file(SageMemSink *msink, void *handle)
{
	uintptr_t	i = (uintptr_t) handle;

	Assert(i >= 1 && i <= (uintptr_t) msink->nfiles);
	return &msink->files[i - 1];
}

/* Appends to a file, doubling its buffer as needed. */
static int
sink_write(void *ctx, void *handle, const void *data, size_t len, SageError *err)
{
	SageMemSink *msink = (SageMemSink *) ctx;
	SageMemFile *file = sink_file(msink, handle);

	if (len > SINK_MAX_FILE || file->len > SINK_MAX_FILE - len)
		return sage_error_set(err, SAGE_ERR_LIMIT,
							  "output file \"%s\" exceeds the maximum size of %zu bytes",
							  file->name, (size_t) SINK_MAX_FILE);
	if (file->len + len > file->cap)
	{
		size_t		newcap = file->cap ? file->cap : 8192;
		char	   *newdata;

		while (newcap < file->len + len)
			newcap *= 2;
		if (newcap > SINK_MAX_FILE)
			newcap = SINK_MAX_FILE;
		newdata = sink_alloc(msink, newcap);
		if (newdata == NULL)
			return sage_error_set(err, SAGE_ERR_MEMORY,
								  "out of memory writing output file \"%s\"", file->name);
		if (file->len > 0)
			memcpy(newdata, file->data, file->len);
		if (file->data)
			pfree(file->data);
		file->data = newdata;
		file->cap = newcap;
	}
	if (len > 0)
		memcpy(file->data + file->len, data, len);
	file->len += len;
	return 0;
}

static int
sink_close(void *ctx, void *handle, SageError *err)
{
	SageMemSink *msink = (SageMemSink *) ctx;

	sink_file(msink, handle)->closed = true;
	return 0;
}

/* Sets up msink (files in cxt) and the SageSink that writes into it. */
void
sage_mem_sink_init(SageMemSink *msink, MemoryContext cxt, SageSink *sink)
{
	memset(msink, 0, sizeof(*msink));
	msink->cxt = cxt;
	sink->open = sink_open;
	sink->write = sink_write;
	sink->close = sink_close;
	sink->ctx = msink;
}
