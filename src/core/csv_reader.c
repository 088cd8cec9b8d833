/*-------------------------------------------------------------------------
 *
 * src/core/csv_reader.c
 *		Streaming RFC 4180 reader: a SageStream in, SageRecords out.
 *
 * The stream is read in large blocks into one buffer and every cell is cut
 * in place: the byte after a cell (its delimiter or line break) becomes the
 * cell's NUL, and quoted cells are unquoted where they lie, since that text
 * only shrinks. Only cells needing an encoding conversion are copied, into
 * a side buffer. Nothing is allocated per record.
 *
 * Unquoted data is scanned sixteen bytes at a time (SSE2, present on every
 * x86-64; a plain loop elsewhere): one compare per special byte gives a
 * bit mask of the delimiters, line breaks and quotes of the block, and the
 * loop walks the set bits, so a field costs a few instructions whatever
 * its length. Quoted fields take a memchr()-based path.
 *
 * A record may run past the data read so far. The cells already cut stay
 * as they are; the reader moves the unfinished record to the front of the
 * buffer (growing the buffer when one record fills it), reads more, and
 * resumes at the start of the unfinished field. Scanning a field never
 * writes to it until the field is complete, so resuming is always safe.
 *
 * Dialect decisions (Python's csv module is the reference, pandas where
 * Python has no opinion):
 *	- CRLF, LF and a lone CR each end a record and count as one physical
 *	  line; SageRecord.line is the physical line on which the record starts.
 *	- Lines that are empty or hold only spaces and tabs are skipped, as
 *	  pandas does (skip_blank_lines), but they still count as lines.
 *	- Text after a closing quote is kept ("ab"c -> abc) and a quote inside
 *	  an unquoted field is an ordinary character (a"b -> a"b), as Python.
 *	- A quoted field still open at the end of the file is not an error: the
 *	  record holds the rest of the file as that field, as Python's reader
 *	  does in its default (non-strict) mode. The processor then typically
 *	  reports a row_shape or type error for it, which points at the line;
 *	  on a big file the field limit stops it with an error naming the line.
 *	- A record ending at end of file without a newline counts; an empty
 *	  file has no records; a UTF-8 byte-order mark at the start is skipped
 *	  whatever the declared encoding.
 *	- max_field_bytes bounds one cell after unquoting; a record may hold
 *	  four times that in raw bytes.
 *
 *-------------------------------------------------------------------------
 */
#include "sage/record.h"

#include "encoding_internal.h"

#include <string.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* Bytes read from the stream at a time (the buffer's initial size). */
#define CSV_BLOCK_SIZE		(256 * 1024)

/* Slack after the data: the last cell's NUL goes one byte past the data. */
#define CSV_PADDING			64

/* Default limit on one field when the options give 0. */
#define CSV_DEFAULT_MAX_FIELD	(16u * 1024 * 1024)

/* Ceiling on max_field_bytes so converted cell lengths fit in uint32_t. */
#define CSV_MAX_FIELD_CAP	(1u << 30)

/* A record may hold this many times the field limit. */
#define CSV_RECORD_FACTOR	4

/* Most fields in one record (an Excel sheet has at most 16384 columns). */
#define CSV_MAX_FIELDS		1000000

/* Initial size of the per-record field arrays. */
#define CSV_INITIAL_FIELDS	64

/*
 * CsvReader
 *		State of one reader; lives in the caller's arena.
 */
typedef struct CsvReader
{
	SageArena  *arena;			/* every buffer below comes from it */
	SageStream	stream;			/* the input; closed at EOF or close() */
	bool		stream_open;	/* stream.close still has to be called */
	char		delim;			/* field delimiter */
	char		quote;			/* quote character, 0 = no quoting */
	SageEncoding encoding;		/* declared encoding of the bytes */
	size_t		max_field;		/* longest cell, in bytes */
	size_t		max_record;		/* longest record, raw bytes */

	char	   *buf;			/* cap + CSV_PADDING bytes */
	size_t		cap;			/* usable size of buf */
	size_t		pos;			/* start of the current (or next) record */
	size_t		end;			/* end of the data in buf */
	bool		eof;			/* the stream said 0 */
	bool		bom_checked;	/* the start of the file was examined */
	uint64_t	total_read;		/* bytes read from the stream so far */
	uint64_t	line;			/* physical line (1-based) of buf[pos] */

	/* a record interrupted by the end of the data read so far */
	bool		partial;		/* fields[0..nfields) are already cut */
	int			nfields;		/* cells cut so far */
	size_t		resume;			/* offset of the unfinished field */
	uint64_t	inner_lines;	/* line breaks inside its quoted cells */
	bool		nonascii;		/* some byte >= 0x80 may be in it */

	const char **fields;		/* cells of the current record */
	uint32_t   *lens;			/* their lengths */
	int			fields_cap;		/* allocated slots in the arrays above */

	char	   *side;			/* converted cells of the current record */
	size_t		side_cap;		/* its size */

	bool		failed;			/* a fatal error happened: keep failing */
	SageError	failure;		/* the error to repeat */
} CsvReader;

/* How a record scan ended. */
typedef enum CsvScanResult
{
	CSV_SCAN_ERROR = -1,		/* *err is filled */
	CSV_SCAN_MORE = 0,			/* the data ended inside the record */
	CSV_SCAN_DONE = 1			/* the record is complete */
} CsvScanResult;

/*
 * csv_find_special
 *		First delimiter, CR or LF in [p, end), or end.
 */
static const char *
csv_find_special(const char *p, const char *end, char delim)
{
	while (p < end && *p != delim && *p != '\n' && *p != '\r')
		p++;
	return p;
}

/*
 * csv_fail
 *		Remembers the error in *err so later calls repeat it.
 */
static int
csv_fail(CsvReader *r, SageError *err)
{
	r->failed = true;
	if (err != NULL)
		r->failure = *err;
	return -1;
}

/*
 * csv_close_stream
 *		Releases the stream once (at EOF or at close).
 */
static void
csv_close_stream(CsvReader *r)
{
	if (r->stream_open && r->stream.close != NULL)
		r->stream.close(r->stream.ctx);
	r->stream_open = false;
}

/*
 * csv_record_limit_error
 *		The record starting at the current line passed max_record.
 */
static int
csv_record_limit_error(CsvReader *r, SageError *err)
{
	sage_error_set(err, SAGE_ERR_LIMIT,
				   "CSV record on line %llu is longer than %zu bytes",
				   (unsigned long long) r->line, r->max_record);
	sage_error_detail(err, "A record may hold at most %zu bytes, %d times the field size limit.",
					  r->max_record, CSV_RECORD_FACTOR);
	sage_error_hint(err, "Check the quoting of the file: an unbalanced quote makes the rest of the file one field.");
	return -1;
}

/*
 * csv_field_limit_error
 *		Cell number field (0-based) of the record passed max_field.
 */
static int
csv_field_limit_error(CsvReader *r, int field, SageError *err)
{
	sage_error_set(err, SAGE_ERR_LIMIT,
				   "CSV field %d on line %llu is longer than %zu bytes",
				   field + 1, (unsigned long long) r->line, r->max_field);
	sage_error_hint(err, "Check the quoting of the file: an unbalanced quote makes the rest of the file one field.");
	return -1;
}

/*
 * csv_fill
 *		Moves the current record to the front of the buffer, grows the
 *		buffer when that record fills it, and reads until the buffer is full
 *		or the stream ends. Cells already cut from a partial record move
 *		with it. Returns 0 or -1 with *err filled.
 */
static int
csv_fill(CsvReader *r, SageError *err)
{
	char	   *oldbuf = r->buf;
	size_t		shift = r->pos;
	int			i;

	if (shift > 0)
	{
		memmove(r->buf, r->buf + shift, r->end - shift);
		r->end -= shift;
		r->pos = 0;
	}
	if (r->end == r->cap)
	{
		size_t		newcap = r->cap * 2;
		char	   *nb;

		/* the pending record alone fills the buffer */
		if (r->end > r->max_record)
			return csv_record_limit_error(r, err);
		if (newcap > r->max_record + CSV_BLOCK_SIZE)
			newcap = r->max_record + CSV_BLOCK_SIZE;
		nb = sage_realloc(r->arena, r->buf, r->cap + CSV_PADDING,
						  newcap + CSV_PADDING);
		if (nb == NULL)
			return sage_error_memory(err, NULL);
		r->buf = nb;
		r->cap = newcap;
	}
	if (r->partial)
	{
		/* the cut cells moved by shift bytes and maybe to a new buffer */
		for (i = 0; i < r->nfields; i++)
			r->fields[i] = r->buf + (r->fields[i] - oldbuf - shift);
		r->resume -= shift;
	}
	while (!r->eof && r->end < r->cap)
	{
		long		n = r->stream.read(r->stream.ctx, r->buf + r->end,
									   r->cap - r->end, err);

		if (n < 0)
			return -1;
		if (n == 0)
		{
			r->eof = true;
			csv_close_stream(r);
			break;
		}
		if ((size_t) n > r->cap - r->end)
			return sage_error_set(err, SAGE_ERR_INTERNAL,
								  "stream returned more bytes than asked for");
		r->end += (size_t) n;
		r->total_read += (uint64_t) n;
	}
	return 0;
}

/*
 * csv_grow_fields
 *		Makes room for more fields in the per-record arrays.
 */
static int
csv_grow_fields(CsvReader *r, SageError *err)
{
	int			oldcap = r->fields_cap;
	int			newcap = oldcap * 2;

	if (oldcap >= CSV_MAX_FIELDS)
	{
		sage_error_set(err, SAGE_ERR_LIMIT,
					   "CSV record on line %llu has more than %d fields",
					   (unsigned long long) r->line, CSV_MAX_FIELDS);
		sage_error_hint(err, "Check that the delimiter of the catalog matches the file.");
		return -1;
	}
	if (newcap > CSV_MAX_FIELDS)
		newcap = CSV_MAX_FIELDS;
	r->fields = sage_realloc(r->arena, r->fields, oldcap * sizeof(char *),
							 newcap * sizeof(char *));
	r->lens = sage_realloc(r->arena, r->lens, oldcap * sizeof(uint32_t),
						   newcap * sizeof(uint32_t));
	if (r->fields == NULL || r->lens == NULL)
		return sage_error_memory(err, NULL);
	r->fields_cap = newcap;
	return 0;
}

/*
 * csv_find_in_quotes
 *		First quote, CR or LF in [p, end), or end; ORs the bytes looked at
 *		into *bits so the caller learns whether any was >= 0x80 (bytes past
 *		the match may be included, which only costs a later check).
 */
static inline char *
csv_find_in_quotes(char *p, char *end, char quote, unsigned *bits)
{
#ifdef __SSE2__
	const __m128i vq = _mm_set1_epi8(quote);
	const __m128i vn = _mm_set1_epi8('\n');
	const __m128i vr = _mm_set1_epi8('\r');

	while (end - p >= 16)
	{
		__m128i		x = _mm_loadu_si128((const __m128i *) p);
		unsigned	mask;

		*bits |= (unsigned) _mm_movemask_epi8(x) != 0 ? 0x80 : 0;
		mask = (unsigned) _mm_movemask_epi8(
						_mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, vq),
												  _mm_cmpeq_epi8(x, vn)),
									 _mm_cmpeq_epi8(x, vr)));
		if (mask != 0)
			return p + __builtin_ctz(mask);
		p += 16;
	}
#endif
	for (; p < end; p++)
	{
		*bits |= (unsigned char) *p;
		if (*p == quote || *p == '\n' || *p == '\r')
			return p;
	}
	return end;
}

/*
 * CsvQuoted
 *		What csv_scan_quoted() found out about a quoted field.
 */
typedef struct CsvQuoted
{
	uint64_t	breaks;			/* line breaks inside the quotes */
	char	   *close;			/* the closing quote, when simple */
	bool		simple;			/* "text" then the terminator: no unquoting */
	unsigned	bits;			/* OR of the bytes seen (bit 7: non-ASCII) */
} CsvQuoted;

/*
 * csv_scan_quoted
 *		Finds the end of the field starting with the quote at p. Returns
 *		the position of its terminator (delimiter, CR, LF, or end of data at
 *		EOF), or NULL when more data is needed to decide. Writes nothing.
 */
static char *
csv_scan_quoted(const CsvReader *r, char *p, char *end, CsvQuoted *qs)
{
	char	   *q = p + 1;
	const char	quote = r->quote;

	qs->breaks = 0;
	qs->simple = true;
	qs->bits = 0;
	for (;;)
	{
		char	   *s = csv_find_in_quotes(q, end, quote, &qs->bits);
		char	   *t;

		if (s == end)
		{
			if (!r->eof)
				return NULL;
			/* unterminated at end of file: the field is the rest */
			qs->simple = false;
			return end;
		}
		if (*s == '\n')
		{
			qs->breaks++;
			q = s + 1;
			continue;
		}
		if (*s == '\r')
		{
			if (s + 1 == end && !r->eof)
				return NULL;	/* CRLF or lone CR? */
			qs->breaks++;
			q = (s + 1 < end && s[1] == '\n') ? s + 2 : s + 1;
			continue;
		}
		if (s + 1 == end && !r->eof)
			return NULL;		/* a doubled quote or a closing one? */
		if (s + 1 < end && s[1] == quote)
		{
			qs->simple = false;
			q = s + 2;			/* doubled quote: still inside */
			continue;
		}
		/* closing quote; anything up to the terminator is kept as text */
		t = s + 1;
		if (t < end && *t != r->delim && *t != '\n' && *t != '\r')
		{
			qs->simple = false;
			t = (char *) csv_find_special(t, end, r->delim);
			if (t == end && !r->eof)
				return NULL;
		}
		qs->close = s;
		return t;
	}
}

/*
 * csv_unquote
 *		Decodes in place the raw field s[0..n) that starts with a quote, as
 *		Python's reader does: doubled quotes inside quotes are one quote,
 *		and after the closing quote everything is literal. Returns the new
 *		length (always < n).
 */
static size_t
csv_unquote(char *s, size_t n, char quote)
{
	size_t		i = 1;
	size_t		w = 0;

	while (i < n)
	{
		char	   *close = memchr(s + i, quote, n - i);
		size_t		run = (close == NULL ? n : (size_t) (close - s)) - i;

		memmove(s + w, s + i, run);
		w += run;
		i += run;
		if (close == NULL)
			break;
		if (i + 1 < n && s[i + 1] == quote)
		{
			s[w++] = quote;
			i += 2;
			continue;
		}
		/* closing quote: the rest is literal, quotes included */
		i++;
		memmove(s + w, s + i, n - i);
		w += n - i;
		break;
	}
	return w;
}

/*
 * CSV_STORE_FIELD
 *		Appends a cell to the record in csv_scan(), growing the arrays and
 *		enforcing the field limit.
 */
#define CSV_STORE_FIELD(start, n) \
	do { \
		size_t		n_ = (n); \
		\
		if (nf == fields_cap) \
		{ \
			if (csv_grow_fields(r, err) < 0) \
				return CSV_SCAN_ERROR; \
			fields = r->fields; \
			lens = r->lens; \
			fields_cap = r->fields_cap; \
		} \
		if (n_ > max_field) \
		{ \
			csv_field_limit_error(r, nf, err); \
			return CSV_SCAN_ERROR; \
		} \
		fields[nf] = (start); \
		lens[nf++] = (uint32_t) n_; \
	} while (0)

/*
 * csv_scan
 *		Cuts the cells of the record at buf[pos], starting (or resuming) at
 *		buf[resume] with nfields cells already cut. On CSV_SCAN_DONE, *next
 *		is the offset just past the record and *newline says whether a line
 *		break ended it. On CSV_SCAN_MORE the state needed to resume is saved
 *		in r.
 *
 * This is the reader's inner loop, so it keeps its state in locals and
 * walks bit masks instead of calling a search function per field.
 */
static CsvScanResult
csv_scan(CsvReader *r, size_t *next, bool *newline, SageError *err)
{
	char	   *const end = r->buf + r->end;
	char	   *p = r->buf + r->resume;
	char	   *fstart = p;		/* start of the field being scanned */
	const char	delim = r->delim;
	const char	quote = r->quote;
	const size_t max_field = r->max_field;
	int			nf = r->nfields;
	bool		nonascii = r->nonascii;
	uint64_t	inner_lines = r->inner_lines;

	/*
	 * Cached copies of r's arrays: the cells' NUL stores are char stores,
	 * which may alias anything, so the compiler would otherwise reload r's
	 * fields after each of them.
	 */
	const char **fields = r->fields;
	uint32_t   *lens = r->lens;
	int			fields_cap = r->fields_cap;
	unsigned char tailbits = 0;
	char	   *t;				/* terminator of the current field */

#ifdef __SSE2__
	const __m128i vd = _mm_set1_epi8(delim);
	const __m128i vn = _mm_set1_epi8('\n');
	const __m128i vr = _mm_set1_epi8('\r');
	/* without quoting, compare with the delimiter again instead of NUL */
	const __m128i vq = _mm_set1_epi8(quote != 0 ? quote : delim);
	__m128i		acc = _mm_setzero_si128();
#endif

	for (;;)
	{
		/* fstart == p here: a new field */
		if (quote != 0 && p < end && *p == quote)
		{
			CsvQuoted	qs;
			size_t		n;

			t = csv_scan_quoted(r, p, end, &qs);
			if (t == NULL)
				goto more;
			if (t < end && *t == '\r' && t + 1 == end && !r->eof)
				goto more;		/* CRLF or lone CR? */
			if (qs.simple)
			{
				/* "text": the cell is the text, its NUL the closing quote */
				fstart = p + 1;
				n = (size_t) (qs.close - fstart);
				if (qs.bits & 0x80)
					nonascii = true;
			}
			else
			{
				fstart = p;
				n = csv_unquote(p, (size_t) (t - p), quote);
				if (!nonascii && !sage_enc_is_ascii(p, n))
					nonascii = true;
			}
			CSV_STORE_FIELD(fstart, n);
			fstart[n] = '\0';	/* before t, which is still intact */
			inner_lines += qs.breaks;
			if (t == end)
				goto at_eof_done;
			if (*t == delim)
			{
				p = fstart = t + 1;
				continue;
			}
			goto line_end;
		}

		/* an unquoted field: walk the specials block by block */
#ifdef __SSE2__
		while (end - p >= 16)
		{
			__m128i		x = _mm_loadu_si128((const __m128i *) p);
			unsigned	mask;

			acc = _mm_or_si128(acc, x);
			mask = (unsigned) _mm_movemask_epi8(
							_mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, vd),
													  _mm_cmpeq_epi8(x, vn)),
										 _mm_or_si128(_mm_cmpeq_epi8(x, vr),
													  _mm_cmpeq_epi8(x, vq))));
			while (mask != 0)
			{
				char		c;

				t = p + __builtin_ctz(mask);
				mask &= mask - 1;
				c = *t;
				if (c == delim)
				{
					CSV_STORE_FIELD(fstart, (size_t) (t - fstart));
					*t = '\0';
					fstart = t + 1;
				}
				else if (c == '\n' || c == '\r')
					goto unquoted_end;
				else if (t == fstart)
				{
					/* a quote opening the next field: take the slow path */
					p = t;
					goto next_field;
				}
				/* else a quote inside an unquoted field: plain text */
			}
			p += 16;
		}
#endif
		/* the last bytes of the data, or machines without SSE2 */
		if (quote != 0 && p == fstart && p < end && *p == quote)
			continue;			/* a quoted field right at the block's end */
		for (; p < end; p++)
		{
			char		c = *p;

			tailbits |= (unsigned char) c;
			if (c == delim)
			{
				CSV_STORE_FIELD(fstart, (size_t) (p - fstart));
				*p = '\0';
				fstart = p + 1;
				if (quote != 0 && p + 1 < end && p[1] == quote)
				{
					p++;
					goto next_field;
				}
			}
			else if (c == '\n' || c == '\r')
			{
				t = p;
				goto unquoted_end;
			}
		}
		/* the data ended inside the field at fstart */
		if (!r->eof)
		{
			p = fstart;
			goto more;
		}
		t = end;
		goto unquoted_end;

next_field:
		/* p == fstart points at a quote */
		continue;
	}

unquoted_end:
	/* t is the CR, LF or end of data that ends the field at fstart */
	if (t < end && *t == '\r' && t + 1 == end && !r->eof)
	{
		p = fstart;
		goto more;				/* CRLF or lone CR? */
	}
	CSV_STORE_FIELD(fstart, (size_t) (t - fstart));
	if (t == end)
	{
		*t = '\0';				/* in the padding */
		goto at_eof_done;
	}

line_end:
	/* t is the CR or LF that ends the record (not yet overwritten) */
	if (*t == '\r' && t + 1 < end && t[1] == '\n')
	{
		*t = '\0';
		t += 2;
	}
	else
	{
		*t = '\0';
		t += 1;
	}
	*next = (size_t) (t - r->buf);
	*newline = true;
	goto done;

at_eof_done:
	*next = r->end;
	*newline = false;

done:
#ifdef __SSE2__
	if (_mm_movemask_epi8(acc) != 0)
		nonascii = true;
#endif
	if (tailbits & 0x80)
		nonascii = true;
	r->nfields = nf;
	r->nonascii = nonascii;
	r->inner_lines = inner_lines;
	if (*next - r->pos > r->max_record)
	{
		csv_record_limit_error(r, err);
		return CSV_SCAN_ERROR;
	}
	return CSV_SCAN_DONE;

more:
	/* resume at p, the start of the unfinished field, after a refill */
#ifdef __SSE2__
	if (_mm_movemask_epi8(acc) != 0)
		nonascii = true;
#endif
	if (tailbits & 0x80)
		nonascii = true;
	r->nfields = nf;
	r->nonascii = nonascii;
	r->inner_lines = inner_lines;
	r->resume = (size_t) (p - r->buf);
	return CSV_SCAN_MORE;
}

/*
 * csv_convert
 *		Re-encodes into the side buffer the cells that are not valid UTF-8
 *		(UTF-8 files) or that hold bytes >= 0x80 (single-byte encodings).
 *		One vectorised pass over the raw record finds the non-ASCII bytes;
 *		the cells lie in the buffer in order, so each such byte leads to its
 *		cell. Returns 1 when something was replaced, 0 if not, -1 on error.
 */
static int
csv_convert(CsvReader *r, size_t rawlen, SageError *err)
{
	size_t		need = rawlen * SAGE_ENC_MAX_GROWTH + (size_t) r->nfields + 1;
	size_t		used = 0;
	bool		bad = false;
	const char *p = r->buf + r->pos;
	const char *rend = p + rawlen;
	int			i = 0;

	/*
	 * Usually the whole raw record is valid UTF-8, and then so is every
	 * cell: cells are cut at ASCII bytes, and unquoting only moves whole
	 * characters. (Bytes left between cells by unquoting may make this
	 * check fail; the cell-by-cell pass below then decides.)
	 */
	if (r->encoding == SAGE_ENC_UTF8 && sage_enc_utf8_valid(p, rawlen))
		return 0;
	if (need > r->side_cap)
	{
		size_t		newcap = r->side_cap * 2 > need ? r->side_cap * 2 : need;
		char	   *ns = sage_alloc(r->arena, newcap);

		if (ns == NULL)
			return sage_error_memory(err, NULL);
		r->side = ns;
		r->side_cap = newcap;
	}
	for (;;)
	{
		const char *s;
		size_t		n;
		char	   *out;

		p += sage_enc_ascii_prefix(p, (size_t) (rend - p));
		if (p >= rend)
			break;
		while (i < r->nfields && r->fields[i] + r->lens[i] <= p)
			i++;
		if (i == r->nfields)
			break;
		s = r->fields[i];
		n = r->lens[i];
		if (p < s)
		{
			/* a byte left between cells by unquoting: not data */
			p = s;
			continue;
		}
		p = s + n;
		i++;
		if (r->encoding == SAGE_ENC_UTF8 && sage_enc_utf8_valid(s, n))
			continue;
		out = r->side + used;
		n = sage_enc_to_utf8(r->encoding, s, n, out, &bad);
		out[n] = '\0';
		used += n + 1;
		r->fields[i - 1] = out;
		r->lens[i - 1] = (uint32_t) n;
	}
	return bad ? 1 : 0;
}

/*
 * csv_skip_blank
 *		Skips the BOM at the start of the file and blank lines (empty, or
 *		only spaces and tabs that are not the delimiter), counting them.
 *		Returns 1 when a record starts at buf[pos], 0 at end of input, -1 on
 *		error.
 */
static int
csv_skip_blank(CsvReader *r, SageError *err)
{
	for (;;)
	{
		const char *p = r->buf + r->pos;
		const char *end = r->buf + r->end;
		const char *q;

		if (!r->bom_checked)
		{
			if (end - p < 3 && !r->eof)
			{
				if (csv_fill(r, err) < 0)
					return -1;
				continue;
			}
			r->bom_checked = true;
			if (end - p >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
				r->pos += 3;
			continue;
		}
		if (p == end)
		{
			if (r->eof)
				return 0;
			if (csv_fill(r, err) < 0)
				return -1;
			continue;
		}
		q = p;
		while (q < end && (*q == ' ' || *q == '\t') && *q != r->delim)
			q++;
		if (q == end)
		{
			if (!r->eof)
			{
				if (csv_fill(r, err) < 0)
					return -1;
				continue;
			}
			/* spaces then end of file: a blank last line */
			r->pos = r->end;
			return 0;
		}
		if (*q == '\n')
		{
			r->pos = (size_t) (q + 1 - r->buf);
			r->line++;
			continue;
		}
		if (*q == '\r')
		{
			if (q + 1 == end && !r->eof)
			{
				if (csv_fill(r, err) < 0)
					return -1;
				continue;
			}
			r->pos = (size_t) (q + 1 - r->buf);
			if (q + 1 < end && q[1] == '\n')
				r->pos++;
			r->line++;
			continue;
		}
		return 1;
	}
}

/*
 * csv_next
 *		SageRecordReader.next.
 */
static int
csv_next(void *self, SageRecord *rec, SageError *err)
{
	CsvReader  *r = self;
	size_t		next;
	bool		newline;

	if (r->failed)
	{
		if (err != NULL)
			*err = r->failure;
		return -1;
	}

	/* a record starts here unless this is a blank line, a BOM or the end */
	if (!r->bom_checked || r->pos == r->end ||
		r->buf[r->pos] == '\n' || r->buf[r->pos] == '\r' ||
		r->buf[r->pos] == ' ' || r->buf[r->pos] == '\t')
	{
		int			rc = csv_skip_blank(r, err);

		if (rc < 0)
			return csv_fail(r, err);
		if (rc == 0)
			return 0;
	}
	r->partial = true;
	r->nfields = 0;
	r->resume = r->pos;
	r->inner_lines = 0;
	r->nonascii = false;
	for (;;)
	{
		CsvScanResult sr = csv_scan(r, &next, &newline, err);

		if (sr == CSV_SCAN_ERROR)
			return csv_fail(r, err);
		if (sr == CSV_SCAN_DONE)
			break;
		/* the record goes on past the data read: read more, resume */
		if (r->end - r->pos > r->max_record)
		{
			csv_record_limit_error(r, err);
			return csv_fail(r, err);
		}
		if (csv_fill(r, err) < 0)
			return csv_fail(r, err);
	}
	r->partial = false;

	rec->bad_encoding = false;
	if (r->nonascii)
	{
		int			rc = csv_convert(r, next - r->pos, err);

		if (rc < 0)
			return csv_fail(r, err);
		rec->bad_encoding = rc > 0;
	}
	rec->line = r->line;
	rec->nfields = r->nfields;
	rec->fields = r->fields;
	rec->lens = r->lens;
	r->pos = next;
	r->line += r->inner_lines + (newline ? 1 : 0);
	return 1;
}

/*
 * csv_bytes_done
 *		SageRecordReader.bytes_done: input consumed up to the end of the last
 *		record returned (blank lines and the BOM included).
 */
static uint64_t
csv_bytes_done(void *self)
{
	CsvReader  *r = self;

	return r->total_read - (uint64_t) (r->end - r->pos);
}

/*
 * csv_close
 *		SageRecordReader.close: the buffers belong to the arena; only the
 *		stream needs releasing.
 */
static void
csv_close(void *self)
{
	csv_close_stream((CsvReader *) self);
}

int
sage_csv_reader_open(SageArena *arena, SageStream stream,
					 const SageCsvOptions *opts, SageRecordReader *out,
					 SageError *err)
{
	CsvReader  *r;
	char		delim = opts != NULL ? opts->delimiter : ',';
	char		quote = opts != NULL ? opts->quotechar : '"';

	if (stream.read == NULL)
		return sage_error_set(err, SAGE_ERR_ARGUMENT, "CSV reader needs a readable stream");
	if (delim == '\0' || delim == '\n' || delim == '\r')
		return sage_error_set(err, SAGE_ERR_ARGUMENT,
							  "invalid CSV delimiter 0x%02x",
							  (unsigned) (unsigned char) delim);
	if (quote == '\n' || quote == '\r' || quote == delim)
	{
		sage_error_set(err, SAGE_ERR_ARGUMENT, "invalid CSV quote character 0x%02x",
					   (unsigned) (unsigned char) quote);
		sage_error_detail(err, "The quote character cannot be a line break or the delimiter.");
		return -1;
	}
	if (opts != NULL && opts->encoding != SAGE_ENC_UTF8 &&
		opts->encoding != SAGE_ENC_LATIN1 &&
		opts->encoding != SAGE_ENC_WINDOWS1252)
		return sage_error_set(err, SAGE_ERR_ARGUMENT, "invalid CSV encoding %d",
							  (int) opts->encoding);

	r = sage_alloc0(arena, sizeof(CsvReader));
	if (r == NULL)
		return sage_error_memory(err, NULL);
	r->arena = arena;
	r->stream = stream;
	r->stream_open = true;
	r->delim = delim;
	r->quote = quote;
	r->encoding = opts != NULL ? opts->encoding : SAGE_ENC_UTF8;
	r->max_field = (opts != NULL && opts->max_field_bytes != 0) ?
		opts->max_field_bytes : CSV_DEFAULT_MAX_FIELD;
	if (r->max_field > CSV_MAX_FIELD_CAP)
		r->max_field = CSV_MAX_FIELD_CAP;
	r->max_record = r->max_field * CSV_RECORD_FACTOR;
	r->line = 1;

	/*
	 * A buffer larger than the longest record allowed (plus CRLF) is never
	 * needed; small limits in tests and fuzzing then exercise the refill
	 * and resume paths on every few bytes.
	 */
	r->cap = CSV_BLOCK_SIZE;
	if (r->max_record + 2 < r->cap)
		r->cap = r->max_record + 2;
	r->buf = sage_alloc(arena, r->cap + CSV_PADDING);
	r->fields_cap = CSV_INITIAL_FIELDS;
	r->fields = sage_alloc(arena, CSV_INITIAL_FIELDS * sizeof(char *));
	r->lens = sage_alloc(arena, CSV_INITIAL_FIELDS * sizeof(uint32_t));
	if (r->buf == NULL || r->fields == NULL || r->lens == NULL)
		return sage_error_memory(err, NULL);

	out->next = csv_next;
	out->bytes_done = csv_bytes_done;
	out->close = csv_close;
	out->self = r;
	return 0;
}
