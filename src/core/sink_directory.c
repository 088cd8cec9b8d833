/*-------------------------------------------------------------------------
 *
 * src/core/sink_directory.c
 *		An output sink writing each file into one directory (sage-validate's
 *		--out, and any caller that wants the outputs on disk).
 *
 * The directory and its parents are created (mode 0755) when the sink is
 * made, so a bad path fails before any work is done. Files are created
 * with O_CREAT|O_TRUNC|O_CLOEXEC (mode 0644, less the umask) and written
 * through a buffer of DIRSINK_BUFFER bytes; short writes and EINTR are
 * retried. Names are plain file names: a name with '/' or a "." / ".."
 * name is refused, so nothing is ever written outside the directory.
 * Buffers of closed handles are reused, so the sink's memory is bounded by
 * the number of files open at once.
 *
 *-------------------------------------------------------------------------
 */
#include "sage/report.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DIRSINK_BUFFER (64 * 1024)

/* One open file. */
typedef struct DirSinkFile
{
	struct DirSinkFile *next_free;	/* in the free list once closed */
	int			fd;				/* -1 when closed */
	char	   *path;			/* full path, for messages */
	size_t		path_cap;		/* bytes allocated for path */
	size_t		len;			/* bytes waiting in buf */
	char		buf[DIRSINK_BUFFER];	/* pending bytes */
} DirSinkFile;

/* The sink's context. */
typedef struct DirSink
{
	SageArena  *arena;			/* handles and paths come from here */
	char	   *dir;			/* the directory, without a trailing '/' */
	DirSinkFile *free_list;		/* closed handles ready for reuse */
} DirSink;

/*
 * dirsink_mkdir_p
 *		Creates path and its missing parents. An existing component that is
 *		not a directory is an error, with the component named.
 */
static int
dirsink_mkdir_p(char *path, SageError *err)
{
	char	   *p = path;
	struct stat st;

	while (*p == '/')
		p++;
	if (*p == '\0')
		return 0;				/* the root exists */
	for (;;)
	{
		char		saved;

		while (*p != '\0' && *p != '/')
			p++;
		saved = *p;
		*p = '\0';
		if (mkdir(path, 0755) != 0)
		{
			int			e = errno;

			if (e != EEXIST || stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
			{
				sage_error_set(err, SAGE_ERR_IO, "could not create directory \"%s\": %s",
							   path, strerror(e == EEXIST ? ENOTDIR : e));
				*p = saved;
				return -1;
			}
		}
		*p = saved;
		if (*p == '\0')
			return 0;
		while (*p == '/')
			p++;
		if (*p == '\0')
			return 0;
	}
}

/*
 * dirsink_write_all
 *		write(2) until every byte is out.
 */
static int
dirsink_write_all(DirSinkFile *f, const char *data, size_t len, SageError *err)
{
	while (len > 0)
	{
		ssize_t		n = write(f->fd, data, len);

		if (n < 0)
		{
			if (errno == EINTR)
				continue;
			return sage_error_set(err, SAGE_ERR_IO, "could not write file \"%s\": %s",
								  f->path, strerror(errno));
		}
		if (n == 0)
			return sage_error_set(err, SAGE_ERR_IO, "could not write file \"%s\": %s",
								  f->path, strerror(ENOSPC));
		data += n;
		len -= (size_t) n;
	}
	return 0;
}

/*
 * dirsink_open
 *		Creates or truncates one file; a handle (and its buffer) of a
 *		closed file is reused.
 */
static int
dirsink_open(void *ctx, const char *name, void **handle, SageError *err)
{
	DirSink    *ds = ctx;
	DirSinkFile *f;
	size_t		need;

	*handle = NULL;
	if (name == NULL || name[0] == '\0' || strchr(name, '/') != NULL ||
		strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return sage_error_set(err, SAGE_ERR_ARGUMENT, "invalid output file name \"%s\"",
							  name ? name : "");
	need = strlen(ds->dir) + strlen(name) + 2;
	f = ds->free_list;
	if (f != NULL)
		ds->free_list = f->next_free;
	else
	{
		f = sage_alloc(ds->arena, sizeof(DirSinkFile));
		if (f == NULL)
			return sage_error_memory(err, NULL);
		f->path = NULL;
		f->path_cap = 0;
	}
	f->next_free = NULL;
	f->len = 0;
	if (f->path_cap < need)
	{
		f->path = sage_alloc(ds->arena, need);
		if (f->path == NULL)
		{
			f->path_cap = 0;
			f->next_free = ds->free_list;
			ds->free_list = f;
			return sage_error_memory(err, NULL);
		}
		f->path_cap = need;
	}
	memcpy(f->path, ds->dir, strlen(ds->dir));
	f->path[strlen(ds->dir)] = '/';
	memcpy(f->path + strlen(ds->dir) + 1, name, strlen(name) + 1);
	do
		f->fd = open(f->path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	while (f->fd < 0 && errno == EINTR);
	if (f->fd < 0)
	{
		sage_error_set(err, SAGE_ERR_IO, "could not open file \"%s\": %s",
					   f->path, strerror(errno));
		f->next_free = ds->free_list;
		ds->free_list = f;
		return -1;
	}
	*handle = f;
	return 0;
}

/*
 * dirsink_write
 *		Buffers small pieces; flushes and writes large ones directly.
 */
static int
dirsink_write(void *ctx, void *handle, const void *data, size_t len, SageError *err)
{
	DirSinkFile *f = handle;
	const char *p = data;

	(void) ctx;					/* the handle carries everything */
	if (f == NULL || f->fd < 0)
		return sage_error_set(err, SAGE_ERR_ARGUMENT, "write to a closed output file");
	/* large pieces skip the buffer once it is drained */
	if (f->len + len > sizeof(f->buf))
	{
		if (f->len > 0 && dirsink_write_all(f, f->buf, f->len, err) != 0)
			return -1;
		f->len = 0;
		if (len >= sizeof(f->buf))
			return dirsink_write_all(f, p, len, err);
	}
	memcpy(f->buf + f->len, p, len);
	f->len += len;
	return 0;
}

/*
 * dirsink_close
 *		Flushes, closes the descriptor and returns the handle to the
 *		free list; the descriptor is released even when the flush fails.
 */
static int
dirsink_close(void *ctx, void *handle, SageError *err)
{
	DirSink    *ds = ctx;
	DirSinkFile *f = handle;
	int			rc = 0;

	if (f == NULL || f->fd < 0)
		return sage_error_set(err, SAGE_ERR_ARGUMENT, "close of a closed output file");
	if (f->len > 0)
		rc = dirsink_write_all(f, f->buf, f->len, err);
	f->len = 0;
	/* close(2) can report a deferred write error (NFS, quotas) */
	if (close(f->fd) != 0 && rc == 0 && errno != EINTR)
		rc = sage_error_set(err, SAGE_ERR_IO, "could not write file \"%s\": %s",
							f->path, strerror(errno));
	f->fd = -1;
	f->next_free = ds->free_list;
	ds->free_list = f;
	return rc;
}

int
sage_sink_directory(SageArena *arena, const char *dir, SageSink *out, SageError *err)
{
	DirSink    *ds;
	size_t		len;

	memset(out, 0, sizeof(*out));
	if (arena == NULL || dir == NULL || dir[0] == '\0')
		return sage_error_set(err, SAGE_ERR_ARGUMENT, "invalid output directory");
	ds = sage_alloc0(arena, sizeof(DirSink));
	if (ds == NULL)
		return sage_error_memory(err, NULL);
	ds->arena = arena;
	ds->dir = sage_strdup(arena, dir);
	if (ds->dir == NULL)
		return sage_error_memory(err, NULL);
	len = strlen(ds->dir);
	while (len > 1 && ds->dir[len - 1] == '/')
		ds->dir[--len] = '\0';
	if (dirsink_mkdir_p(ds->dir, err) != 0)
		return -1;
	out->open = dirsink_open;
	out->write = dirsink_write;
	out->close = dirsink_close;
	out->ctx = ds;
	return 0;
}
