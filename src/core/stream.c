/*-------------------------------------------------------------------------
 *
 * src/core/stream.c
 *		Byte streams over memory buffers and files.
 *
 *-------------------------------------------------------------------------
 */
#include "sage/common.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct BufferStream
{
	const char *data;			/* the whole input */
	size_t		len;			/* its size */
	size_t		pos;			/* next byte to hand out */
} BufferStream;

typedef struct FileStream
{
	int			fd;				/* -1 once closed */
	const char *path;			/* for messages */
} FileStream;

static long
buffer_read(void *ctx, void *buf, size_t len, SageError *err)
{
	BufferStream *bs = ctx;
	size_t		n = bs->len - bs->pos;

	(void) err;
	if (n > len)
		n = len;
	memcpy(buf, bs->data + bs->pos, n);
	bs->pos += n;
	return (long) n;
}

SageStream
sage_stream_from_buffer(SageArena *arena, const void *data, size_t len)
{
	SageStream	s = {0};
	BufferStream *bs = sage_alloc0(arena, sizeof(BufferStream));

	if (bs == NULL)
		return s;
	bs->data = data;
	bs->len = len;
	s.read = buffer_read;
	s.ctx = bs;
	return s;
}

static long
file_read(void *ctx, void *buf, size_t len, SageError *err)
{
	FileStream *fs = ctx;

	for (;;)
	{
		ssize_t		n = read(fs->fd, buf, len);

		if (n >= 0)
			return (long) n;
		if (errno == EINTR)
			continue;
		sage_error_set(err, SAGE_ERR_IO, "could not read file \"%s\": %s",
					   fs->path, strerror(errno));
		return -1;
	}
}

static void
file_close(void *ctx)
{
	FileStream *fs = ctx;

	if (fs->fd >= 0)
		close(fs->fd);
	fs->fd = -1;
}

int
sage_stream_from_file(SageArena *arena, const char *path, SageStream *out, SageError *err)
{
	FileStream *fs = sage_alloc0(arena, sizeof(FileStream));

	if (fs == NULL)
		return sage_error_memory(err, NULL);
	fs->path = sage_strdup(arena, path);
	fs->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fs->fd < 0)
		return sage_error_set(err, SAGE_ERR_IO, "could not open file \"%s\": %s",
							  path, strerror(errno));
	out->read = file_read;
	out->close = file_close;
	out->ctx = fs;
	return 0;
}

int
sage_read_file(SageArena *arena, const char *path, size_t max_bytes,
			   char **data, size_t *len, SageError *err)
{
	int			fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	char	   *buf;
	size_t		got = 0;

	if (fd < 0)
		return sage_error_set(err, SAGE_ERR_IO, "could not open file \"%s\": %s",
							  path, strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
	{
		close(fd);
		return sage_error_set(err, SAGE_ERR_IO, "could not read file \"%s\": not a regular file",
							  path);
	}
	if (max_bytes != 0 && (uint64_t) st.st_size > max_bytes)
	{
		close(fd);
		sage_error_set(err, SAGE_ERR_LIMIT, "file \"%s\" is too large", path);
		sage_error_detail(err, "The file has %lld bytes; the limit is %zu bytes.",
						  (long long) st.st_size, max_bytes);
		return -1;
	}
	buf = sage_alloc(arena, (size_t) st.st_size + 1);
	if (buf == NULL)
	{
		close(fd);
		return sage_error_memory(err, NULL);
	}
	while (got < (size_t) st.st_size)
	{
		ssize_t		n = read(fd, buf + got, (size_t) st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
		{
			int			saved = errno;

			close(fd);
			return sage_error_set(err, SAGE_ERR_IO, "could not read file \"%s\": %s",
								  path, n == 0 ? "unexpected end of file" : strerror(saved));
		}
		got += (size_t) n;
	}
	close(fd);
	buf[got] = '\0';
	*data = buf;
	*len = got;
	return 0;
}
