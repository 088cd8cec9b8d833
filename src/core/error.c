/*-------------------------------------------------------------------------
 *
 * src/core/error.c
 *		Filling SageError values.
 *
 * Messages are truncated rather than overflowing their buffers; a detail
 * that grows past its buffer ends with "..." so a reader knows more
 * problems existed.
 *
 *-------------------------------------------------------------------------
 */
#include "sage/common.h"

#include <stdio.h>
#include <string.h>

void
sage_error_clear(SageError *err)
{
	err->code = SAGE_OK;
	err->message[0] = '\0';
	err->detail[0] = '\0';
	err->hint[0] = '\0';
}

int
sage_error_set(SageError *err, SageErrorCode code, const char *fmt,...)
{
	va_list		ap;

	if (err == NULL)
		return -1;
	sage_error_clear(err);
	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	return -1;
}

void
sage_error_detail(SageError *err, const char *fmt,...)
{
	va_list		ap;

	if (err == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(err->detail, sizeof(err->detail), fmt, ap);
	va_end(ap);
}

void
sage_error_detail_append(SageError *err, const char *fmt,...)
{
	va_list		ap;
	size_t		used;
	int			n;

	if (err == NULL)
		return;
	used = strlen(err->detail);
	if (used + 5 >= sizeof(err->detail))
		return;
	if (used > 0)
		err->detail[used++] = '\n';
	va_start(ap, fmt);
	n = vsnprintf(err->detail + used, sizeof(err->detail) - used, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t) n >= sizeof(err->detail) - used)
		memcpy(err->detail + sizeof(err->detail) - 4, "...", 4);
}

void
sage_error_hint(SageError *err, const char *fmt,...)
{
	va_list		ap;

	if (err == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(err->hint, sizeof(err->hint), fmt, ap);
	va_end(ap);
}

int
sage_error_memory(SageError *err, const SageBudget *budget)
{
	sage_error_set(err, SAGE_ERR_MEMORY, "memory limit exceeded");
	if (budget != NULL && budget->limit != 0)
		sage_error_detail(err, "The execution needed more than its limit of %zu kB.",
						  budget->limit / 1024);
	sage_error_hint(err, "Raise the memory limit, or remove unique checks and whole-table rules on very large files.");
	return -1;
}

const char *
sage_error_code_name(SageErrorCode code)
{
	switch (code)
	{
		case SAGE_OK:
			return "ok";
		case SAGE_ERR_CONFIG:
			return "config";
		case SAGE_ERR_RULE:
			return "rule";
		case SAGE_ERR_INPUT:
			return "input";
		case SAGE_ERR_UNSUPPORTED:
			return "unsupported";
		case SAGE_ERR_LIMIT:
			return "limit";
		case SAGE_ERR_MEMORY:
			return "memory";
		case SAGE_ERR_IO:
			return "io";
		case SAGE_ERR_CANCELLED:
			return "cancelled";
		case SAGE_ERR_ARGUMENT:
			return "argument";
		case SAGE_ERR_INTERNAL:
			return "internal";
		case SAGE_ERR_TRANSPORT:
			return "transport";
		case SAGE_ERR_SERVICE:
			return "service";
	}
	return "unknown";
}
