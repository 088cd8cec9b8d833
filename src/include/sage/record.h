/*-------------------------------------------------------------------------
 *
 * src/include/sage/record.h
 *		The record interface every reader (CSV, XLSX) produces and the
 *		processor consumes.
 *
 * A reader hands out one record at a time; the cells point into the
 * reader's own buffers and stay valid until the next call. Every cell is
 * UTF-8 text (readers convert latin-1 / windows-1252 and replace invalid
 * UTF-8 sequences with U+FFFD, flagging the record), NUL-terminated, and
 * nothing is inferred from it: "0012" stays "0012".
 *
 *-------------------------------------------------------------------------
 */
#ifndef SAGE_RECORD_H
#define SAGE_RECORD_H

#include "sage/common.h"

/* One record as read from a file. */
typedef struct SageRecord
{
	uint64_t	line;			/* physical line (CSV) or sheet row (XLSX), 1-based */
	int			nfields;		/* number of cells in this record */
	const char *const *fields;	/* UTF-8, NUL-terminated cells */
	const uint32_t *lens;		/* byte length of each cell */
	bool		bad_encoding;	/* invalid bytes were replaced in this record */
} SageRecord;

/*
 * A reader: next() returns 1 with *rec filled, 0 at end of input, -1 on a
 * fatal error (corrupt input) with *err filled. bytes_done() tells how many
 * input bytes were consumed so far (for progress reports).
 */
typedef struct SageRecordReader
{
	int			(*next) (void *self, SageRecord *rec, SageError *err);
	uint64_t	(*bytes_done) (void *self);
	void		(*close) (void *self);	/* releases non-arena resources; may be NULL */
	void	   *self;
} SageRecordReader;

/* Text encodings a CSV catalog may declare. */
typedef enum SageEncoding
{
	SAGE_ENC_UTF8 = 0,
	SAGE_ENC_LATIN1,
	SAGE_ENC_WINDOWS1252
} SageEncoding;

/* CSV dialect (from the catalog's file_format). */
typedef struct SageCsvOptions
{
	char		delimiter;		/* one byte; '\t' allowed */
	char		quotechar;		/* default '"'; 0 disables quoting */
	SageEncoding encoding;
	uint32_t	max_field_bytes;	/* 0 = default (16 MiB); longer cell is an input error */
} SageCsvOptions;

/* CSV reader over a stream (file, memory buffer or ZIP member). */
int			sage_csv_reader_open(SageArena *arena, SageStream stream,
								 const SageCsvOptions *opts,
								 SageRecordReader *out, SageError *err);

/* XLSX reader over an in-memory .xlsx file. sheet_name NULL and sheet_index 0 = first sheet. */
typedef struct SageXlsxOptions
{
	const char *sheet_name;		/* select by name, or NULL */
	int			sheet_index;	/* 1-based index, 0 = not given */
	uint64_t	max_uncompressed;	/* limit for the sheet XML and shared strings */
} SageXlsxOptions;

int			sage_xlsx_reader_open(SageArena *arena, const void *data, size_t len,
								  const SageXlsxOptions *opts,
								  SageRecordReader *out, SageError *err);

#endif							/* SAGE_RECORD_H */
