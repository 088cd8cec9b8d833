/*-------------------------------------------------------------------------
 *
 * src/core/sink_memory.c
 *		An output sink keeping every file in memory, for callers that store
 *		the outputs somewhere else (the extension's bytea columns, S3).
 *
 * While a file is open its bytes accumulate in a chain of chunks that
 * double in size up to MEMSINK_MAX_CHUNK, so appending never copies what
 * was already written. At close the chain is joined into one block (kept
 * as is when it is a single chunk with room), which is what the accessors
 * hand out; a NUL byte follows the data (not counted in its length) so
 * text outputs can be used as C strings.
 * Everything comes from the arena given at creation and is released with
 * it; an allocation refused by the budget is SAGE_ERR_MEMORY.
 *
 *-------------------------------------------------------------------------
 */
#include "sage/report.h"

#include <string.h>

#define MEMSINK_MIN_CHUNK (4 * 1024)
#define MEMSINK_MAX_CHUNK (1024 * 1024)

/* A piece of an open file. */
typedef struct MemChunk
{
	struct MemChunk *next;		/* following bytes */
	size_t		len;			/* bytes used */
	size_t		cap;			/* bytes available in data */
	char		data[];			/* the bytes */
} MemChunk;

/* One file of the sink. */
typedef struct MemFile
{
	struct MemFile *next;		/* order of first creation */
	const char *name;			/* as opened */
	bool		open;			/* a handle is live */
	bool		visible;		/* closed at least once since its last open */
	MemChunk   *head;			/* chunks while open */
	MemChunk   *tail;			/* last chunk, where writes go */
	size_t		len;			/* bytes written since open */
	const char *data;			/* joined bytes once closed */
} MemFile;

/* The sink's context. */
typedef struct MemSink
{
	SageArena  *arena;			/* everything lives here */
	MemFile    *files;			/* every file ever opened */
	MemFile    *tail;			/* for appending */
} MemSink;

/*
 * memsink_open
 *		Starts a file, or truncates the one of the same name.
 */
static int
memsink_open(void *ctx, const char *name, void **handle, SageError *err)
{
	MemSink    *ms = ctx;
	MemFile    *f;

	*handle = NULL;
	if (name == NULL || name[0] == '\0')
		return sage_error_set(err, SAGE_ERR_ARGUMENT, "invalid output file name \"\"");
	for (f = ms->files; f != NULL; f = f->next)
		if (strcmp(f->name, name) == 0)
			break;
	if (f != NULL && f->open)
		return sage_error_set(err, SAGE_ERR_ARGUMENT, "output file \"%s\" is already open",
							  name);
	if (f == NULL)
	{
		f = sage_alloc0(ms->arena, sizeof(MemFile));
		if (f == NULL)
			return sage_error_memory(err, NULL);
		f->name = sage_strdup(ms->arena, name);
		if (f->name == NULL)
			return sage_error_memory(err, NULL);
		if (ms->tail != NULL)
			ms->tail->next = f;
		else
			ms->files = f;
		ms->tail = f;
	}
	/* reopening truncates, like O_TRUNC; the old bytes stay in the arena */
	f->open = true;
	f->visible = false;
	f->head = f->tail = NULL;
	f->len = 0;
	f->data = NULL;
	*handle = f;
	return 0;
}

/*
 * memsink_write
 *		Appends to the last chunk, adding a bigger one when it is full.
 */
static int
memsink_write(void *ctx, void *handle, const void *data, size_t len, SageError *err)
{
	MemSink    *ms = ctx;
	MemFile    *f = handle;
	const char *p = data;

	if (f == NULL || !f->open)
		return sage_error_set(err, SAGE_ERR_ARGUMENT, "write to a closed output file");
	while (len > 0)
	{
		MemChunk   *c = f->tail;
		size_t		n;

		if (c == NULL || c->len == c->cap)
		{
			size_t		cap = c == NULL ? MEMSINK_MIN_CHUNK : c->cap * 2;

			if (cap > MEMSINK_MAX_CHUNK)
				cap = MEMSINK_MAX_CHUNK;
			c = sage_alloc(ms->arena, sizeof(MemChunk) + cap);
			if (c == NULL)
				return sage_error_memory(err, NULL);
			c->next = NULL;
			c->len = 0;
			c->cap = cap;
			if (f->tail != NULL)
				f->tail->next = c;
			else
				f->head = c;
			f->tail = c;
		}
		n = c->cap - c->len;
		if (n > len)
			n = len;
		memcpy(c->data + c->len, p, n);
		c->len += n;
		f->len += n;
		p += n;
		len -= n;
	}
	return 0;
}

/*
 * memsink_close
 *		Joins the chunks into one NUL-terminated block and makes the
 *		file visible to the accessors.
 */
static int
memsink_close(void *ctx, void *handle, SageError *err)
{
	MemSink    *ms = ctx;
	MemFile    *f = handle;

	if (f == NULL || !f->open)
		return sage_error_set(err, SAGE_ERR_ARGUMENT, "close of a closed output file");
	f->open = false;
	if (f->head == NULL)
		f->data = "";
	else if (f->head->next == NULL && f->head->len < f->head->cap)
	{
		f->head->data[f->head->len] = '\0';
		f->data = f->head->data;
	}
	else
	{
		char	   *joined = sage_alloc(ms->arena, f->len + 1);
		size_t		pos = 0;
		MemChunk   *c;

		if (joined == NULL)
			return sage_error_memory(err, NULL);
		for (c = f->head; c != NULL; c = c->next)
		{
			memcpy(joined + pos, c->data, c->len);
			pos += c->len;
		}
		joined[pos] = '\0';
		f->data = joined;
	}
	f->head = f->tail = NULL;
	f->visible = true;
	return 0;
}

void
sage_sink_memory(SageArena *arena, SageSink *out)
{
	MemSink    *ms = sage_alloc0(arena, sizeof(MemSink));

	memset(out, 0, sizeof(*out));
	if (ms == NULL)
		return;				/* an unusable sink: callers check out->open */
	ms->arena = arena;
	out->open = memsink_open;
	out->write = memsink_write;
	out->close = memsink_close;
	out->ctx = ms;
}

int
sage_sink_memory_count(const SageSink *sink)
{
	const MemFile *f;
	int			n = 0;

	if (sink == NULL || sink->open != memsink_open)
		return 0;
	for (f = ((const MemSink *) sink->ctx)->files; f != NULL; f = f->next)
		if (f->visible)
			n++;
	return n;
}

bool
sage_sink_memory_file(const SageSink *sink, int index, const char **name,
					  const void **data, size_t *len)
{
	const MemFile *f;

	if (sink == NULL || sink->open != memsink_open || index < 0)
		return false;
	for (f = ((const MemSink *) sink->ctx)->files; f != NULL; f = f->next)
	{
		if (!f->visible)
			continue;
		if (index-- == 0)
		{
			if (name != NULL)
				*name = f->name;
			if (data != NULL)
				*data = f->data;
			if (len != NULL)
				*len = f->len;
			return true;
		}
	}
	return false;
}

bool
sage_sink_memory_find(const SageSink *sink, const char *name, const void **data,
					  size_t *len)
{
	const MemFile *f;

	if (sink == NULL || sink->open != memsink_open || name == NULL)
		return false;
	for (f = ((const MemSink *) sink->ctx)->files; f != NULL; f = f->next)
	{
		if (!f->visible || strcmp(f->name, name) != 0)
			continue;
		if (data != NULL)
			*data = f->data;
		if (len != NULL)
			*len = f->len;
		return true;
	}
	return false;
}
