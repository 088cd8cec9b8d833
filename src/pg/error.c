/*-------------------------------------------------------------------------
 *
 * src/pg/error.c
 *		The one map from the processor's error codes to SQLSTATEs, and the
 *		helpers that turn a SageError into an ereport or a last_error line.
 *
 * The processor already writes its messages in PostgreSQL's style (lower
 * case errmsg, sentences in detail and hint), so they are passed through
 * unchanged.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "lib/stringinfo.h"

#include "sage_pg.h"

/*
 * SQLSTATE for each processor error code (STYLE.md practice 8): bad
 * argument or YAML 22023, unsupported 0A000, limits 54000, memory 53200,
 * I/O 58030, cancel 57014, corrupt input 22P04 (bad file format),
 * transport 08006, AWS service 38000.
 */
int
sage_error_sqlstate(SageErrorCode code)
{
	switch (code)
	{
		case SAGE_ERR_CONFIG:
		case SAGE_ERR_RULE:
		case SAGE_ERR_ARGUMENT:
			return ERRCODE_INVALID_PARAMETER_VALUE;
		case SAGE_ERR_INPUT:
			return ERRCODE_BAD_COPY_FILE_FORMAT;
		case SAGE_ERR_UNSUPPORTED:
			return ERRCODE_FEATURE_NOT_SUPPORTED;
		case SAGE_ERR_LIMIT:
			return ERRCODE_PROGRAM_LIMIT_EXCEEDED;
		case SAGE_ERR_MEMORY:
			return ERRCODE_OUT_OF_MEMORY;
		case SAGE_ERR_IO:
			return ERRCODE_IO_ERROR;
		case SAGE_ERR_CANCELLED:
			return ERRCODE_QUERY_CANCELED;
		case SAGE_ERR_TRANSPORT:
			return ERRCODE_CONNECTION_FAILURE;
		case SAGE_ERR_SERVICE:
			return ERRCODE_EXTERNAL_ROUTINE_EXCEPTION;
		case SAGE_OK:
		case SAGE_ERR_INTERNAL:
			break;
	}
	return ERRCODE_INTERNAL_ERROR;
}

/*
 * Reports err at elevel. Empty detail or hint are left out; an empty
 * message (which the processor never produces) still yields a sentence.
 */
void
sage_error_report(int elevel, const SageError *err)
{
	ereport(elevel,
			errcode(sage_error_sqlstate(err->code)),
			errmsg_internal("%s", err->message[0] ? err->message : "processor error"),
			err->detail[0] ? errdetail_internal("%s", err->detail) : 0,
			err->hint[0] ? errhint("%s", err->hint) : 0);
}

/* "message: detail" for the last_error column (detail may be several lines). */
char *
sage_error_text(const SageError *err)
{
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfoString(&buf, err->message[0] ? err->message : "processor error");
	if (err->detail[0])
		appendStringInfo(&buf, ": %s", err->detail);
	return buf.data;
}
