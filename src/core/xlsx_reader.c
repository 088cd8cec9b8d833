/*-------------------------------------------------------------------------
 *
 * src/core/xlsx_reader.c
 *		The XLSX record reader: one SageRecord per non-empty <row> of the
 *		selected worksheet, every cell as the text PROCESSOR.md section 3
 *		prescribes.
 *
 * Opening reads the package structure through the ZIP reader: the root
 * relationships (which part is the workbook), the workbook (sheet names
 * and order, the 1904 date system), its relationships (sheet, styles and
 * shared-strings parts), the styles (which cell formats are dates) and the
 * shared strings (kept in memory: cells refer to them by index). The
 * worksheet itself is streamed: next() inflates and parses just enough of
 * its XML to complete one row, then the SAX parser is suspended, so memory
 * does not grow with the sheet.
 *
 * Cell text:
 * - numbers: the shortest text that reads back as the same double, with
 *   integral values printed without ".0" (12, 9.99, 1e-07);
 * - numbers whose cell format is a date or time format: ISO
 *   YYYY-MM-DD, with THH:MM:SS (and .mmm) when there is a time of day;
 *   serials below 1 in the 1900 system are times of day (HH:MM:SS); the
 *   1900 system keeps Excel's leap-year bug (serial 60 is the nonexistent
 *   1900-02-29, later serials are one day ahead);
 * - booleans true/false; shared, inline and formula strings as stored
 *   (with the OOXML _xHHHH_ escapes decoded); errors as their text (#N/A).
 * Cells are placed by their A1 reference, gaps become empty strings and a
 * row ends at its last non-empty cell; a row with no non-empty cell yields
 * no record. The record's line is the sheet row number.
 *
 *-------------------------------------------------------------------------
 */
#include "sage/record.h"
#include "sage/value.h"
#include "sage/zip.h"
#include "xml_internal.h"
#include "encoding_internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define XLSX_DEFAULT_MAX_PART ((uint64_t) 1 << 30)
#define XLSX_MAX_COLUMNS 16384
#define XLSX_MAX_ROW 1048576
#define XLSX_MAX_CELL_BYTES ((size_t) 16 << 20)
/* Excel's last date, 9999-12-31, is serial 2958465. */
#define XLSX_MAX_SERIAL 2958466.0

/* Type of the cell being parsed (its t attribute). */
typedef enum XlsxCellType
{
	XLSX_CELL_NUMBER,			/* t="n" or absent */
	XLSX_CELL_SHARED,			/* t="s": index into the shared strings */
	XLSX_CELL_INLINE,			/* t="inlineStr": <is> rich text */
	XLSX_CELL_STR,				/* t="str": cached formula string */
	XLSX_CELL_BOOL,				/* t="b" */
	XLSX_CELL_ERROR,			/* t="e" */
	XLSX_CELL_DATE				/* t="d": ISO 8601 text */
} XlsxCellType;

/* Where the reader stands. */
typedef enum XlsxState
{
	XLSX_READING,
	XLSX_DONE,
	XLSX_FAILED
} XlsxState;

/* A growable byte buffer in the arena. */
typedef struct XlsxBuf
{
	char	   *data;			/* NULL until first use */
	size_t		len;			/* bytes used */
	size_t		cap;			/* bytes allocated */
} XlsxBuf;

/* One relationship of a .rels part. */
typedef struct XlsxRel
{
	const char *id;				/* Id */
	const char *type;			/* Type URI */
	const char *target;			/* Target, unresolved */
	bool		external;		/* TargetMode="External": not in the package */
} XlsxRel;

/* One <sheet> of the workbook, in workbook order. */
typedef struct XlsxSheet
{
	const char *name;			/* tab name */
	const char *rid;			/* r:id, a relationship of the workbook */
} XlsxSheet;

/* A parsed non-empty cell of the current row. */
typedef struct XlsxCell
{
	uint32_t	col;			/* 0-based column */
	uint32_t	len;			/* text length */
	size_t		off;			/* text offset in rowbuf */
} XlsxCell;

/* Number format of the styles part: id and whether it shows a date. */
typedef struct XlsxNumFmt
{
	int			id;				/* numFmtId */
	bool		is_date;		/* formatCode has date/time tokens */
} XlsxNumFmt;

/* The reader; also the user data of every SAX callback. */
typedef struct XlsxReader
{
	SageArena  *arena;			/* everything lives here */
	SageZip    *zip;			/* the package */
	SageError  *err;			/* error of the current call */
	SageXml    *xml;			/* parser of the part being read */
	const char *part;			/* name of that part, for messages */
	uint64_t	max_part;		/* limit on sheet / shared strings XML */
	XlsxState	state;			/* reading, done or failed */

	/* relationships of the part being read */
	XlsxRel    *rels;
	size_t		nrels;
	size_t		rels_cap;

	/* workbook */
	XlsxSheet  *sheets;
	size_t		nsheets;
	size_t		sheets_cap;
	bool		in_sheets;		/* inside <sheets> */
	bool		date1904;		/* workbookPr date1904 */

	/* styles */
	XlsxNumFmt *fmts;			/* custom numFmts */
	size_t		nfmts;
	size_t		fmts_cap;
	int		   *xf_fmt;			/* numFmtId of each cellXfs xf */
	size_t		nxf;
	size_t		xf_cap;
	bool	   *xf_date;		/* resolved: xf shows a date */
	bool		in_numfmts;		/* inside <numFmts> */
	bool		in_cellxfs;		/* inside <cellXfs> */

	/* shared strings: NUL-terminated texts back to back */
	XlsxBuf		sst;
	size_t	   *sst_off;		/* start of each string in sst */
	size_t		nsst;
	size_t		sst_cap;
	uint32_t   *sst_len;		/* length of each string */
	size_t		sst_len_cap;
	bool		in_si;			/* inside <si> */
	int			rph_depth;		/* inside <rPh> (phonetic runs: ignored) */
	size_t		si_start;		/* sst offset of the current string */

	/* text capture (shared string or cell) */
	bool		capture;		/* text events go to capture_to */
	XlsxBuf    *capture_to;		/* sst or rowbuf */
	size_t		capture_start;	/* where the current text began */

	/* worksheet */
	const char *sheet_name;		/* selected sheet, for messages */
	uint64_t	sheet_usize;	/* declared sizes of its part (progress) */
	uint64_t	sheet_csize;
	bool		in_sheetdata;	/* inside <sheetData> */
	bool		in_row;			/* inside <row> */
	bool		in_cell;		/* inside <c> */
	bool		in_is;			/* inside <is> */
	uint64_t	row_num;		/* current row number */
	uint64_t	last_row;		/* previous row number (rows without r) */
	uint32_t	next_col;		/* column of a cell without r */
	XlsxCellType ctype;			/* current cell's type */
	bool		cdate;			/* its format is a date format */
	uint32_t	ccol;			/* its column */
	size_t		cstart;			/* its text offset in rowbuf */
	XlsxBuf		rowbuf;			/* texts of the current row */
	XlsxCell   *cells;			/* non-empty cells of the current row */
	size_t		ncells;
	size_t		cells_cap;
	const char **fields;		/* record view */
	size_t		fields_cap;
	uint32_t   *lens;
	size_t		lens_cap;
	bool		row_ready;		/* a record is waiting in rec */
	SageRecord	rec;			/* the record being handed out */
} XlsxReader;

static const char xlsx_empty[] = "";

/* -------------------------------------------------------------- helpers */

/* Reports an out-of-memory inside a callback and stops the parser. */
static void
xlsx_oom(XlsxReader *r)
{
	sage_error_memory(r->err, NULL);
	if (r->xml != NULL)
		sage_xml_abort(r->xml);
}

/*
 * xlsx_grow
 *		Makes room for need elements in an arena array, doubling so the
 *		arena's dead copies stay below the live size.
 */
static bool
xlsx_grow(XlsxReader *r, void **ptr, size_t *cap, size_t elem, size_t need)
{
	size_t		ncap = *cap ? *cap : 16;
	void	   *p;

	if (need <= *cap)
		return true;
	while (ncap < need)
	{
		if (ncap > SIZE_MAX / 2 / elem)
			return false;
		ncap *= 2;
	}
	p = sage_realloc(r->arena, *ptr, *cap * elem, ncap * elem);
	if (p == NULL)
		return false;
	*ptr = p;
	*cap = ncap;
	return true;
}

static bool
xlsx_buf_append(XlsxReader *r, XlsxBuf *b, const char *s, size_t n)
{
	if (n > SIZE_MAX - b->len - 1)
		return false;
	if (!xlsx_grow(r, (void **) &b->data, &b->cap, 1, b->len + n + 1))
		return false;
	memcpy(b->data + b->len, s, n);
	b->len += n;
	return true;
}

static int
xlsx_hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * xlsx_unescape
 *		Decodes OOXML's _xHHHH_ escapes in place (Excel writes control
 *		characters and literal "_xHHHH_" text this way); U+0000 and
 *		surrogates stay as written. Returns the new length.
 */
static size_t
xlsx_unescape(char *s, size_t len)
{
	size_t		i = 0;
	size_t		o = 0;

	if (memchr(s, '_', len) == NULL)
		return len;
	while (i < len)
	{
		if (s[i] == '_' && i + 6 < len && s[i + 1] == 'x' && s[i + 6] == '_')
		{
			int			h0 = xlsx_hex(s[i + 2]),
						h1 = xlsx_hex(s[i + 3]),
						h2 = xlsx_hex(s[i + 4]),
						h3 = xlsx_hex(s[i + 5]);

			if (h0 >= 0 && h1 >= 0 && h2 >= 0 && h3 >= 0)
			{
				uint32_t	cp = (uint32_t) (h0 << 12 | h1 << 8 | h2 << 4 | h3);

				if (cp != 0 && (cp < 0xD800 || cp > 0xDFFF))
				{
					/* 7 bytes in, at most 3 out: writing never overtakes reading */
					o += sage_utf8_put(s + o, cp);
					i += 7;
					continue;
				}
			}
		}
		s[o++] = s[i++];
	}
	return o;
}

/*
 * xlsx_resolve
 *		The package path of a relationship target: relative to the
 *		directory of the source part, or absolute when it starts with '/';
 *		"." and ".." segments are folded ("../x" at the root stays at the
 *		root, so no path escapes the package).
 */
static char *
xlsx_resolve(XlsxReader *r, const char *source, const char *target)
{
	const char *slash = strrchr(source, '/');
	size_t		baselen = (target[0] == '/' || slash == NULL) ? 0 : (size_t) (slash - source) + 1;
	size_t		tlen = strlen(target);
	char	   *joined = sage_alloc(r->arena, baselen + tlen + 1);
	char	   *out;
	size_t		o = 0;
	char	   *seg;
	char	   *save = NULL;

	if (joined == NULL)
		return NULL;
	memcpy(joined, source, baselen);
	memcpy(joined + baselen, target, tlen + 1);
	out = sage_alloc(r->arena, baselen + tlen + 1);
	if (out == NULL)
		return NULL;
	out[0] = '\0';
	for (seg = strtok_r(joined, "/", &save); seg != NULL; seg = strtok_r(NULL, "/", &save))
	{
		if (strcmp(seg, ".") == 0)
			continue;
		if (strcmp(seg, "..") == 0)
		{
			while (o > 0 && out[o - 1] != '/')
				o--;
			if (o > 0)
				o--;
			out[o] = '\0';
			continue;
		}
		if (o > 0)
			out[o++] = '/';
		memcpy(out + o, seg, strlen(seg));
		o += strlen(seg);
		out[o] = '\0';
	}
	return out;
}

/* The .rels part describing part ("xl/workbook.xml" -> "xl/_rels/workbook.xml.rels"). */
static char *
xlsx_rels_path(XlsxReader *r, const char *part)
{
	const char *slash = strrchr(part, '/');

	if (slash == NULL)
		return sage_printf(r->arena, "_rels/%s.rels", part);
	return sage_printf(r->arena, "%.*s/_rels/%s.rels", (int) (slash - part), part, slash + 1);
}

/*
 * xlsx_find_member
 *		Index of a package part: exact name first, then case-insensitive
 *		(OPC part names are case-insensitive). -1 when absent.
 */
static int
xlsx_find_member(const XlsxReader *r, const char *path)
{
	int			i = sage_zip_find(r->zip, path);
	int			n = sage_zip_count(r->zip);

	if (i >= 0)
		return i;
	for (i = 0; i < n; i++)
		if (strcasecmp(sage_zip_entry(r->zip, i)->name, path) == 0)
			return i;
	return -1;
}

/* True when the relationship type URI ends with "/<kind>". */
static bool
xlsx_rel_is(const XlsxRel *rel, const char *kind)
{
	size_t		tl = strlen(rel->type);
	size_t		kl = strlen(kind);

	return tl > kl && rel->type[tl - kl - 1] == '/' &&
		strcmp(rel->type + tl - kl, kind) == 0;
}

/* ------------------------------------------------------------ text sink */

/*
 * xlsx_on_text
 *		Character data: appended to the capture buffer while capturing
 *		(<t> of a shared string or inline string, <v> of a cell).
 */
static void
xlsx_on_text(void *ud, const char *s, int len)
{
	XlsxReader *r = ud;

	if (!r->capture || len <= 0)
		return;
	if (r->capture_to->len - r->capture_start + (size_t) len > XLSX_MAX_CELL_BYTES)
	{
		sage_error_set(r->err, SAGE_ERR_LIMIT, "XLSX cell text exceeds the size limit");
		sage_error_detail(r->err, "A cell in \"%s\" holds more than %zu bytes.",
						  r->part, XLSX_MAX_CELL_BYTES);
		sage_xml_abort(r->xml);
		return;
	}
	if (!xlsx_buf_append(r, r->capture_to, s, (size_t) len))
		xlsx_oom(r);
}

/* ---------------------------------------------------------- relationships */

static void
xlsx_rels_start(void *ud, const char *name, const char **attrs)
{
	XlsxReader *r = ud;
	const char *id,
			   *type,
			   *target,
			   *mode;
	XlsxRel    *rel;

	if (strcmp(name, "Relationship") != 0)
		return;
	id = sage_xml_attr(attrs, "Id");
	type = sage_xml_attr(attrs, "Type");
	target = sage_xml_attr(attrs, "Target");
	mode = sage_xml_attr(attrs, "TargetMode");
	if (id == NULL || type == NULL || target == NULL)
		return;
	if (!xlsx_grow(r, (void **) &r->rels, &r->rels_cap, sizeof(XlsxRel), r->nrels + 1))
	{
		xlsx_oom(r);
		return;
	}
	rel = &r->rels[r->nrels];
	rel->id = sage_strdup(r->arena, id);
	rel->type = sage_strdup(r->arena, type);
	rel->target = sage_strdup(r->arena, target);
	rel->external = mode != NULL && strcmp(mode, "External") == 0;
	if (rel->id == NULL || rel->type == NULL || rel->target == NULL)
	{
		xlsx_oom(r);
		return;
	}
	r->nrels++;
}

static void
xlsx_ignore_end(void *ud, const char *name)
{
}

static const SageXmlHandlers xlsx_rels_handlers = {
	xlsx_rels_start, xlsx_ignore_end, NULL
};

/* --------------------------------------------------------------- workbook */

/* True for the XML boolean spellings of true. */
static bool
xlsx_xml_true(const char *v)
{
	return v != NULL && (strcmp(v, "1") == 0 || strcmp(v, "true") == 0);
}

static void
xlsx_workbook_start(void *ud, const char *name, const char **attrs)
{
	XlsxReader *r = ud;

	if (strcmp(name, "workbookPr") == 0)
		r->date1904 = xlsx_xml_true(sage_xml_attr(attrs, "date1904"));
	else if (strcmp(name, "sheets") == 0)
		r->in_sheets = true;
	else if (r->in_sheets && strcmp(name, "sheet") == 0)
	{
		const char *sname = sage_xml_attr(attrs, "name");
		const char *rid = sage_xml_attr(attrs, "id");
		XlsxSheet  *sh;

		if (sname == NULL)
			return;
		if (!xlsx_grow(r, (void **) &r->sheets, &r->sheets_cap, sizeof(XlsxSheet),
					   r->nsheets + 1))
		{
			xlsx_oom(r);
			return;
		}
		sh = &r->sheets[r->nsheets];
		sh->name = sage_strdup(r->arena, sname);
		sh->rid = rid != NULL ? sage_strdup(r->arena, rid) : NULL;
		if (sh->name == NULL || (rid != NULL && sh->rid == NULL))
		{
			xlsx_oom(r);
			return;
		}
		r->nsheets++;
	}
}

static void
xlsx_workbook_end(void *ud, const char *name)
{
	XlsxReader *r = ud;

	if (strcmp(name, "sheets") == 0)
		r->in_sheets = false;
}

static const SageXmlHandlers xlsx_workbook_handlers = {
	xlsx_workbook_start, xlsx_workbook_end, NULL
};

/* ----------------------------------------------------------------- styles */

/* Built-in number formats that show dates or times. */
static bool
xlsx_builtin_date(int id)
{
	return (id >= 14 && id <= 22) || (id >= 27 && id <= 36) ||
		(id >= 45 && id <= 47) || (id >= 50 && id <= 58);
}

/*
 * xlsx_format_is_date
 *		True when a custom format code has a date or time token (d m y h
 *		s) outside quoted text, escaped characters and brackets; the
 *		elapsed-time brackets [h] [mm] [ss] count as time tokens, other
 *		brackets (colours, locales, conditions) do not.
 */
static bool
xlsx_format_is_date(const char *code)
{
	const char *p;

	for (p = code; *p != '\0'; p++)
	{
		char		c = *p;

		if (c == '"')
		{
			p++;
			while (*p != '\0' && *p != '"')
				p++;
			if (*p == '\0')
				break;
		}
		else if (c == '\\' || c == '_' || c == '*')
		{
			/* the next character is literal (or a fill/space width) */
			if (p[1] == '\0')
				break;
			p++;
		}
		else if (c == '[')
		{
			const char *q = p + 1;
			char		first = (char) (*q | 0x20);

			if (first == 'h' || first == 'm' || first == 's')
			{
				while ((char) (*q | 0x20) == first)
					q++;
				if (*q == ']')
					return true;
			}
			while (*p != '\0' && *p != ']')
				p++;
			if (*p == '\0')
				break;
		}
		else if (strchr("dDmMyYhHsS", c) != NULL)
			return true;
	}
	return false;
}

/* Parses a non-negative decimal attribute; -1 when absent or invalid. */
static long
xlsx_attr_uint(const char *v)
{
	long		n = 0;

	if (v == NULL || *v == '\0')
		return -1;
	for (; *v != '\0'; v++)
	{
		if (*v < '0' || *v > '9' || n > 100000000)
			return -1;
		n = n * 10 + (*v - '0');
	}
	return n;
}

static void
xlsx_styles_start(void *ud, const char *name, const char **attrs)
{
	XlsxReader *r = ud;

	if (strcmp(name, "numFmts") == 0)
		r->in_numfmts = true;
	else if (strcmp(name, "cellXfs") == 0)
		r->in_cellxfs = true;
	else if (r->in_numfmts && strcmp(name, "numFmt") == 0)
	{
		long		id = xlsx_attr_uint(sage_xml_attr(attrs, "numFmtId"));
		const char *code = sage_xml_attr(attrs, "formatCode");

		if (id < 0 || code == NULL)
			return;
		if (!xlsx_grow(r, (void **) &r->fmts, &r->fmts_cap, sizeof(XlsxNumFmt),
					   r->nfmts + 1))
		{
			xlsx_oom(r);
			return;
		}
		r->fmts[r->nfmts].id = (int) id;
		r->fmts[r->nfmts].is_date = xlsx_format_is_date(code);
		r->nfmts++;
	}
	else if (r->in_cellxfs && strcmp(name, "xf") == 0)
	{
		long		id = xlsx_attr_uint(sage_xml_attr(attrs, "numFmtId"));

		if (!xlsx_grow(r, (void **) &r->xf_fmt, &r->xf_cap, sizeof(int), r->nxf + 1))
		{
			xlsx_oom(r);
			return;
		}
		r->xf_fmt[r->nxf++] = id < 0 ? 0 : (int) id;
	}
}

static void
xlsx_styles_end(void *ud, const char *name)
{
	XlsxReader *r = ud;

	if (strcmp(name, "numFmts") == 0)
		r->in_numfmts = false;
	else if (strcmp(name, "cellXfs") == 0)
		r->in_cellxfs = false;
}

static const SageXmlHandlers xlsx_styles_handlers = {
	xlsx_styles_start, xlsx_styles_end, NULL
};

/*
 * xlsx_resolve_styles
 *		Decides once per cell format whether it shows a date: a custom
 *		numFmt with that id wins, else the built-in table.
 */
static int
xlsx_resolve_styles(XlsxReader *r)
{
	size_t		i,
				j;

	if (r->nxf == 0)
		return 0;
	r->xf_date = sage_alloc0(r->arena, r->nxf * sizeof(bool));
	if (r->xf_date == NULL)
		return sage_error_memory(r->err, NULL);
	for (i = 0; i < r->nxf; i++)
	{
		int			id = r->xf_fmt[i];
		bool		found = false;

		for (j = r->nfmts; j-- > 0;)
			if (r->fmts[j].id == id)
			{
				r->xf_date[i] = r->fmts[j].is_date;
				found = true;
				break;
			}
		if (!found)
			r->xf_date[i] = xlsx_builtin_date(id);
	}
	return 0;
}

/* --------------------------------------------------------- shared strings */

static void
xlsx_sst_start(void *ud, const char *name, const char **attrs)
{
	XlsxReader *r = ud;

	if (strcmp(name, "si") == 0)
	{
		r->in_si = true;
		r->rph_depth = 0;
		r->si_start = r->sst.len;
	}
	else if (!r->in_si)
		return;
	else if (strcmp(name, "rPh") == 0)
		r->rph_depth++;
	else if (strcmp(name, "t") == 0 && r->rph_depth == 0)
	{
		r->capture = true;
		r->capture_to = &r->sst;
		r->capture_start = r->si_start;
	}
}

static void
xlsx_sst_end(void *ud, const char *name)
{
	XlsxReader *r = ud;

	if (strcmp(name, "t") == 0)
		r->capture = false;
	else if (strcmp(name, "rPh") == 0)
	{
		if (r->rph_depth > 0)
			r->rph_depth--;
	}
	else if (strcmp(name, "si") == 0 && r->in_si)
	{
		size_t		len = r->sst.len - r->si_start;

		r->in_si = false;
		r->capture = false;
		if (len > 0)
			r->sst.len = r->si_start + xlsx_unescape(r->sst.data + r->si_start, len);
		len = r->sst.len - r->si_start;
		if (!xlsx_buf_append(r, &r->sst, "", 1) ||
			!xlsx_grow(r, (void **) &r->sst_off, &r->sst_cap, sizeof(size_t), r->nsst + 1) ||
			!xlsx_grow(r, (void **) &r->sst_len, &r->sst_len_cap, sizeof(uint32_t), r->nsst + 1))
		{
			xlsx_oom(r);
			return;
		}
		r->sst_off[r->nsst] = r->si_start;
		r->sst_len[r->nsst] = (uint32_t) len;
		r->nsst++;
	}
}

static const SageXmlHandlers xlsx_sst_handlers = {
	xlsx_sst_start, xlsx_sst_end, xlsx_on_text
};

/* -------------------------------------------------------------- dates */

/* Days since 1970-01-01 of a civil date (proleptic Gregorian). */
static int64_t
xlsx_days_from_civil(int64_t y, int m, int d)
{
	int64_t		era;
	int64_t		yoe;
	int64_t		doy;
	int64_t		doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* Civil date of a day count since 1970-01-01. */
static void
xlsx_civil_from_days(int64_t z, int *y, int *m, int *d)
{
	int64_t		era;
	int64_t		doe;
	int64_t		yoe;
	int64_t		doy;
	int64_t		mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int) (doy - (153 * mp + 2) / 5 + 1);
	*m = (int) (mp < 10 ? mp + 3 : mp - 9);
	*y = (int) (yoe + era * 400 + (*m <= 2));
}

/*
 * xlsx_format_date
 *		Text of a date serial (see the file header); false when the serial
 *		is no date Excel can show (negative, past 9999-12-31, not finite).
 */
static bool
xlsx_format_date(double serial, bool date1904, char *buf, size_t buflen)
{
	int64_t		ms;
	int64_t		days;
	int64_t		msday;
	int			y,
				m,
				d;
	int			n;

	if (!(serial >= 0.0 && serial < XLSX_MAX_SERIAL))
		return false;
	ms = (int64_t) llround(serial * 86400000.0);
	days = ms / 86400000;
	msday = ms % 86400000;
	if (!date1904 && days == 0)
	{
		/* 1900 system, day 0: a time of day without a date */
		n = snprintf(buf, buflen, "%02d:%02d:%02d", (int) (msday / 3600000),
					 (int) (msday / 60000 % 60), (int) (msday / 1000 % 60));
		if (msday % 1000 != 0)
			snprintf(buf + n, buflen - (size_t) n, ".%03d", (int) (msday % 1000));
		return true;
	}
	if (date1904)
		xlsx_civil_from_days(xlsx_days_from_civil(1904, 1, 1) + days, &y, &m, &d);
	else if (days == 60)
	{
		/* Excel's phantom 1900-02-29 */
		y = 1900;
		m = 2;
		d = 29;
	}
	else if (days < 60)
		xlsx_civil_from_days(xlsx_days_from_civil(1899, 12, 31) + days, &y, &m, &d);
	else
		xlsx_civil_from_days(xlsx_days_from_civil(1899, 12, 30) + days, &y, &m, &d);
	n = snprintf(buf, buflen, "%04d-%02d-%02d", y, m, d);
	if (msday != 0)
	{
		n += snprintf(buf + n, buflen - (size_t) n, "T%02d:%02d:%02d",
					  (int) (msday / 3600000), (int) (msday / 60000 % 60),
					  (int) (msday / 1000 % 60));
		if (msday % 1000 != 0)
			snprintf(buf + n, buflen - (size_t) n, ".%03d", (int) (msday % 1000));
	}
	return true;
}

/*
 * xlsx_iso_date_len
 *		For t="d" cells: the length to keep of an ISO 8601 text, dropping a
 *		midnight time ("2025-01-15T00:00:00Z" -> 10) and otherwise a
 *		trailing "Z".
 */
static size_t
xlsx_iso_date_len(const char *s, size_t len)
{
	size_t		i;

	if (len >= 19 && s[10] == 'T' && memcmp(s + 11, "00:00:00", 8) == 0)
	{
		i = 19;
		if (i < len && s[i] == '.')
			for (i++; i < len && s[i] == '0'; i++)
				;
		if (i < len && s[i] == 'Z')
			i++;
		if (i == len)
			return 10;
	}
	if (len > 0 && s[len - 1] == 'Z')
		return len - 1;
	return len;
}

/* -------------------------------------------------------------- worksheet */

/* Error inside a worksheet callback; stops the parser. */
static void
xlsx_sheet_error(XlsxReader *r, SageErrorCode code, const char *fmt,...)
__attribute__((format(printf, 3, 4)));

static void
xlsx_sheet_error(XlsxReader *r, SageErrorCode code, const char *fmt,...)
{
	char		msg[400];
	va_list		ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	sage_error_set(r->err, code, "could not read XLSX file: %s", msg);
	sage_xml_abort(r->xml);
}

/*
 * xlsx_parse_ref
 *		Column (0-based) of an A1-style reference; -1 when malformed, -2
 *		when beyond the last column.
 */
static long
xlsx_parse_ref(const char *ref)
{
	long		col = 0;
	int			letters = 0;
	const char *p = ref;

	while ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z'))
	{
		col = col * 26 + ((*p | 0x20) - 'a' + 1);
		if (++letters > 3)
			return -2;
		p++;
	}
	if (letters == 0 || *p < '1' || *p > '9')
		return -1;
	while (*p >= '0' && *p <= '9')
		p++;
	if (*p != '\0')
		return -1;
	if (col > XLSX_MAX_COLUMNS)
		return -2;
	return col - 1;
}

static void
xlsx_sheet_start(void *ud, const char *name, const char **attrs)
{
	XlsxReader *r = ud;

	if (strcmp(name, "sheetData") == 0)
	{
		r->in_sheetdata = true;
		return;
	}
	if (!r->in_sheetdata)
		return;
	if (strcmp(name, "row") == 0)
	{
		const char *rattr = sage_xml_attr(attrs, "r");

		/* a row inside a cell (malformed) must not leave a cell open */
		r->in_row = true;
		r->in_cell = false;
		r->in_is = false;
		r->capture = false;
		r->ncells = 0;
		r->rowbuf.len = 0;
		r->next_col = 0;
		if (rattr != NULL)
		{
			long		n = xlsx_attr_uint(rattr);

			if (n < 1 || n > XLSX_MAX_ROW)
			{
				xlsx_sheet_error(r, SAGE_ERR_INPUT, "invalid row number \"%.32s\" in worksheet \"%s\"",
								 rattr, r->sheet_name);
				return;
			}
			r->row_num = (uint64_t) n;
		}
		else
			r->row_num = r->last_row + 1;
	}
	else if (r->in_row && strcmp(name, "c") == 0)
	{
		const char *ref = sage_xml_attr(attrs, "r");
		const char *t = sage_xml_attr(attrs, "t");
		long		style = xlsx_attr_uint(sage_xml_attr(attrs, "s"));

		r->in_cell = true;
		r->in_is = false;
		r->cstart = r->rowbuf.len;
		if (ref != NULL)
		{
			long		col = xlsx_parse_ref(ref);

			if (col == -1)
			{
				xlsx_sheet_error(r, SAGE_ERR_INPUT, "invalid cell reference \"%.32s\" in worksheet \"%s\"",
								 ref, r->sheet_name);
				return;
			}
			if (col == -2)
			{
				sage_error_set(r->err, SAGE_ERR_LIMIT,
							   "worksheet \"%s\" has a cell beyond the column limit",
							   r->sheet_name);
				sage_error_detail(r->err, "Cell \"%.32s\" is past column XFD; the limit is %d columns.",
								  ref, XLSX_MAX_COLUMNS);
				sage_xml_abort(r->xml);
				return;
			}
			r->ccol = (uint32_t) col;
		}
		else
		{
			if (r->next_col >= XLSX_MAX_COLUMNS)
			{
				sage_error_set(r->err, SAGE_ERR_LIMIT,
							   "worksheet \"%s\" has a cell beyond the column limit",
							   r->sheet_name);
				sage_error_detail(r->err, "Row %llu has more than %d cells; the limit is %d columns.",
								  (unsigned long long) r->row_num, XLSX_MAX_COLUMNS,
								  XLSX_MAX_COLUMNS);
				sage_xml_abort(r->xml);
				return;
			}
			r->ccol = r->next_col;
		}
		if (t == NULL || strcmp(t, "n") == 0)
			r->ctype = XLSX_CELL_NUMBER;
		else if (strcmp(t, "s") == 0)
			r->ctype = XLSX_CELL_SHARED;
		else if (strcmp(t, "inlineStr") == 0)
			r->ctype = XLSX_CELL_INLINE;
		else if (strcmp(t, "str") == 0)
			r->ctype = XLSX_CELL_STR;
		else if (strcmp(t, "b") == 0)
			r->ctype = XLSX_CELL_BOOL;
		else if (strcmp(t, "e") == 0)
			r->ctype = XLSX_CELL_ERROR;
		else if (strcmp(t, "d") == 0)
			r->ctype = XLSX_CELL_DATE;
		else
		{
			xlsx_sheet_error(r, SAGE_ERR_INPUT, "unknown cell type \"%.32s\" in worksheet \"%s\"",
							 t, r->sheet_name);
			return;
		}
		r->cdate = style >= 0 && (size_t) style < r->nxf && r->xf_date[style];
	}
	else if (!r->in_cell)
		return;
	else if (strcmp(name, "v") == 0 && r->ctype != XLSX_CELL_INLINE)
	{
		r->capture = true;
		r->capture_to = &r->rowbuf;
		r->capture_start = r->cstart;
	}
	else if (strcmp(name, "is") == 0)
	{
		/* rich text wins over any <v>: treat the cell as an inline string */
		r->in_is = true;
		r->rph_depth = 0;
		r->ctype = XLSX_CELL_INLINE;
		r->rowbuf.len = r->cstart;
	}
	else if (r->in_is && strcmp(name, "rPh") == 0)
		r->rph_depth++;
	else if (r->in_is && r->rph_depth == 0 && strcmp(name, "t") == 0)
	{
		r->capture = true;
		r->capture_to = &r->rowbuf;
		r->capture_start = r->cstart;
	}
}

/*
 * xlsx_number_is_canonical
 *		True when a numeric cell's text is already what sage_format_double
 *		(v, true) prints, so parsing and formatting can be skipped (the
 *		common case: Excel writes "12" and "9.99"). That holds for plain
 *		decimals without exponent, redundant zeros or "-0", with at most 15
 *		significant digits (DBL_DIG: such a decimal round-trips, so no
 *		shorter text names the same double) and a magnitude in [1e-4, 1e15)
 *		where the shortest form is fixed-point.
 */
static bool
xlsx_number_is_canonical(const char *s, size_t len)
{
	size_t		i = 0;
	size_t		intdigits = 0;
	size_t		sig = 0;
	size_t		fraczeros = 0;
	bool		nonzero = false;

	if (i < len && s[i] == '-')
		i++;
	if (i >= len || s[i] < '0' || s[i] > '9')
		return false;
	if (s[i] == '0')
	{
		i++;
		if (i < len && s[i] != '.')
			return false;		/* leading zero */
	}
	else
		for (; i < len && s[i] >= '0' && s[i] <= '9'; i++)
		{
			intdigits++;
			nonzero = true;
		}
	sig = intdigits;
	if (i < len)
	{
		if (s[i] != '.' || i + 1 >= len || s[len - 1] == '0')
			return false;		/* exponent, junk, "5." or trailing zero */
		for (i++; i < len; i++)
		{
			if (s[i] < '0' || s[i] > '9')
				return false;
			if (!nonzero && s[i] == '0')
				fraczeros++;
			else
			{
				nonzero = true;
				sig++;
			}
		}
	}
	if (!nonzero)
		return s[0] != '-';		/* "0" yes, "-0" no */
	return sig <= 15 && intdigits <= 15 && (intdigits > 0 || fraczeros <= 3);
}

/* XML whitespace. */
static bool
xlsx_is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Trims ASCII blanks around a cell's raw text in rowbuf. */
static void
xlsx_trim_cell(XlsxReader *r)
{
	char	   *s = r->rowbuf.data + r->cstart;
	size_t		len = r->rowbuf.len - r->cstart;
	size_t		lead = 0;

	while (len > 0 && xlsx_is_blank(s[len - 1]))
		len--;
	while (lead < len && xlsx_is_blank(s[lead]))
		lead++;
	if (lead > 0)
		memmove(s, s + lead, len - lead);
	r->rowbuf.len = r->cstart + len - lead;
}

/* Replaces the current cell's text in rowbuf by s[0..n). */
static bool
xlsx_set_cell(XlsxReader *r, const char *s, size_t n)
{
	r->rowbuf.len = r->cstart;
	return xlsx_buf_append(r, &r->rowbuf, s, n);
}

/*
 * xlsx_cell_finish
 *		Turns the raw text of the cell just closed into its final text and
 *		records it in the row when non-empty.
 */
static void
xlsx_cell_finish(XlsxReader *r)
{
	size_t		len;
	bool		ok = true;

	r->capture = false;
	r->in_cell = false;
	r->in_is = false;
	switch (r->ctype)
	{
		case XLSX_CELL_NUMBER:
			{
				double		v;
				char		tmp[64];

				xlsx_trim_cell(r);
				len = r->rowbuf.len - r->cstart;
				if (len == 0 ||
					(!r->cdate && xlsx_number_is_canonical(r->rowbuf.data + r->cstart, len)) ||
					!sage_parse_decimal(r->rowbuf.data + r->cstart, len, &v))
					break;		/* empty, already canonical, or not a number */
				if (r->cdate && xlsx_format_date(v, r->date1904, tmp, sizeof(tmp)))
					ok = xlsx_set_cell(r, tmp, strlen(tmp));
				else
				{
					int			n = sage_format_double(v, true, tmp, sizeof(tmp));

					if (n > 0)
						ok = xlsx_set_cell(r, tmp, (size_t) n);
				}
				break;
			}
		case XLSX_CELL_SHARED:
			{
				long		idx;

				xlsx_trim_cell(r);
				len = r->rowbuf.len - r->cstart;
				if (len == 0)
					break;
				r->rowbuf.data[r->rowbuf.len] = '\0';
				idx = xlsx_attr_uint(r->rowbuf.data + r->cstart);
				if (idx < 0 || (size_t) idx >= r->nsst)
				{
					xlsx_sheet_error(r, SAGE_ERR_INPUT,
									 "row %llu of worksheet \"%s\" refers to shared string \"%.32s\", but there are only %zu",
									 (unsigned long long) r->row_num, r->sheet_name,
									 r->rowbuf.data + r->cstart, r->nsst);
					return;
				}
				ok = xlsx_set_cell(r, r->sst.data + r->sst_off[idx], r->sst_len[idx]);
				break;
			}
		case XLSX_CELL_BOOL:
			xlsx_trim_cell(r);
			len = r->rowbuf.len - r->cstart;
			if (len == 1 && r->rowbuf.data[r->cstart] == '1')
				ok = xlsx_set_cell(r, "true", 4);
			else if (len == 1 && r->rowbuf.data[r->cstart] == '0')
				ok = xlsx_set_cell(r, "false", 5);
			break;
		case XLSX_CELL_INLINE:
		case XLSX_CELL_STR:
			len = r->rowbuf.len - r->cstart;
			r->rowbuf.len = r->cstart + xlsx_unescape(r->rowbuf.data + r->cstart, len);
			break;
		case XLSX_CELL_ERROR:
			break;
		case XLSX_CELL_DATE:
			xlsx_trim_cell(r);
			len = r->rowbuf.len - r->cstart;
			r->rowbuf.len = r->cstart + xlsx_iso_date_len(r->rowbuf.data + r->cstart, len);
			break;
	}
	if (!ok)
	{
		xlsx_oom(r);
		return;
	}
	r->next_col = r->ccol + 1;
	len = r->rowbuf.len - r->cstart;
	if (len == 0)
		return;
	if (len > XLSX_MAX_CELL_BYTES)
	{
		sage_error_set(r->err, SAGE_ERR_LIMIT, "XLSX cell text exceeds the size limit");
		sage_error_detail(r->err, "A cell in \"%s\" holds more than %zu bytes.",
						  r->part, XLSX_MAX_CELL_BYTES);
		sage_xml_abort(r->xml);
		return;
	}
	if (r->ncells >= XLSX_MAX_COLUMNS)
	{
		sage_error_set(r->err, SAGE_ERR_LIMIT,
					   "worksheet \"%s\" has a cell beyond the column limit", r->sheet_name);
		sage_error_detail(r->err, "Row %llu has more than %d cells; the limit is %d columns.",
						  (unsigned long long) r->row_num, XLSX_MAX_COLUMNS, XLSX_MAX_COLUMNS);
		sage_xml_abort(r->xml);
		return;
	}
	if (!xlsx_buf_append(r, &r->rowbuf, "", 1) ||
		!xlsx_grow(r, (void **) &r->cells, &r->cells_cap, sizeof(XlsxCell), r->ncells + 1))
	{
		xlsx_oom(r);
		return;
	}
	r->cells[r->ncells].col = r->ccol;
	r->cells[r->ncells].off = r->cstart;
	r->cells[r->ncells].len = (uint32_t) len;
	r->ncells++;
}

/*
 * xlsx_row_finish
 *		Builds the record of the row just closed (cells by column, gaps
 *		empty, ending at the last non-empty cell) and pauses the parser so
 *		next() can hand it out.
 */
static void
xlsx_row_finish(XlsxReader *r)
{
	uint32_t	ncols = 0;
	size_t		i;

	r->in_row = false;
	r->last_row = r->row_num;
	if (r->ncells == 0)
		return;
	for (i = 0; i < r->ncells; i++)
		if (r->cells[i].col + 1 > ncols)
			ncols = r->cells[i].col + 1;
	if (!xlsx_grow(r, (void **) &r->fields, &r->fields_cap, sizeof(char *), ncols) ||
		!xlsx_grow(r, (void **) &r->lens, &r->lens_cap, sizeof(uint32_t), ncols))
	{
		xlsx_oom(r);
		return;
	}
	for (i = 0; i < ncols; i++)
	{
		r->fields[i] = xlsx_empty;
		r->lens[i] = 0;
	}
	for (i = 0; i < r->ncells; i++)
	{
		r->fields[r->cells[i].col] = r->rowbuf.data + r->cells[i].off;
		r->lens[r->cells[i].col] = r->cells[i].len;
	}
	r->rec.line = r->row_num;
	r->rec.nfields = (int) ncols;
	r->rec.fields = r->fields;
	r->rec.lens = r->lens;
	r->rec.bad_encoding = false;
	r->row_ready = true;
	sage_xml_suspend(r->xml);
}

static void
xlsx_sheet_end(void *ud, const char *name)
{
	XlsxReader *r = ud;

	if (!r->in_sheetdata)
		return;
	if (strcmp(name, "sheetData") == 0)
		r->in_sheetdata = false;
	else if (strcmp(name, "v") == 0 || strcmp(name, "t") == 0)
		r->capture = false;
	else if (strcmp(name, "rPh") == 0)
	{
		if (r->rph_depth > 0)
			r->rph_depth--;
	}
	else if (strcmp(name, "is") == 0)
		r->in_is = false;
	else if (strcmp(name, "c") == 0 && r->in_cell)
		xlsx_cell_finish(r);
	else if (strcmp(name, "row") == 0 && r->in_row)
		xlsx_row_finish(r);
}

static const SageXmlHandlers xlsx_sheet_handlers = {
	xlsx_sheet_start, xlsx_sheet_end, xlsx_on_text
};

/* ----------------------------------------------------------------- reader */

/*
 * xlsx_zip_error
 *		Rewords a corrupt-archive error from the ZIP layer for an .xlsx
 *		file ("could not read ZIP archive: ..." -> "could not read XLSX
 *		file: ...").
 */
static void
xlsx_zip_error(SageError *err)
{
	static const char prefix[] = "could not read ZIP archive: ";
	char		rest[sizeof(err->message) - 32];

	if (err == NULL || err->code != SAGE_ERR_INPUT ||
		strncmp(err->message, prefix, sizeof(prefix) - 1) != 0)
		return;
	snprintf(rest, sizeof(rest), "%s", err->message + sizeof(prefix) - 1);
	snprintf(err->message, sizeof(err->message), "could not read XLSX file: %.*s",
			 (int) sizeof(rest) - 1, rest);
	if (err->hint[0] == '\0')
		sage_error_hint(err, "An .xlsx file is a ZIP archive; this one is damaged or is not an .xlsx file.");
}

static int
xlsx_next(void *self, SageRecord *rec, SageError *err)
{
	XlsxReader *r = self;
	int			rc;

	if (r->state == XLSX_DONE)
		return 0;
	if (r->state == XLSX_FAILED)
		return sage_error_set(err, SAGE_ERR_INPUT,
							  "could not read XLSX file: an earlier read failed");
	r->err = err;
	r->row_ready = false;
	rc = sage_xml_step(r->xml, err);
	if (rc == 1 && r->row_ready)
	{
		*rec = r->rec;
		return 1;
	}
	if (rc == 0)
	{
		sage_xml_free(r->xml);
		r->state = XLSX_DONE;
		return 0;
	}
	if (rc == 1)
		sage_error_set(err, SAGE_ERR_INTERNAL, "XLSX parser paused without a row");
	else
		xlsx_zip_error(err);
	sage_xml_free(r->xml);
	r->state = XLSX_FAILED;
	return -1;
}

/* Progress: the compressed bytes of the sheet part consumed, estimated. */
static uint64_t
xlsx_bytes_done(void *self)
{
	XlsxReader *r = self;
	uint64_t	read;

	if (r->state == XLSX_DONE)
		return r->sheet_csize;
	read = r->xml != NULL ? sage_xml_bytes_read(r->xml) : 0;
	if (r->sheet_usize == 0 || read >= r->sheet_usize)
		return r->sheet_csize;
	return (uint64_t) ((double) read / (double) r->sheet_usize * (double) r->sheet_csize);
}

static void
xlsx_close(void *self)
{
	XlsxReader *r = self;

	sage_xml_free(r->xml);
}

/*
 * xlsx_parse_part
 *		Parses a whole (small or in-memory) part with the given callbacks.
 */
static int
xlsx_parse_part(XlsxReader *r, int idx, const SageXmlHandlers *h)
{
	const SageZipEntry *e = sage_zip_entry(r->zip, idx);
	SageStream	s;
	int			rc;

	r->part = e->name;
	if (e->uncompressed_size > r->max_part)
	{
		sage_error_set(r->err, SAGE_ERR_LIMIT, "XLSX part \"%s\" exceeds the size limit", e->name);
		sage_error_detail(r->err, "It declares %llu bytes; the limit is %llu bytes.",
						  (unsigned long long) e->uncompressed_size,
						  (unsigned long long) r->max_part);
		sage_error_hint(r->err, "Split the data into smaller workbooks.");
		return -1;
	}
	if (sage_zip_member_stream(r->zip, idx, &s, r->err) < 0)
		return -1;
	r->xml = sage_xml_new(r->arena, e->name, s, r->max_part, h, r, r->err);
	if (r->xml == NULL)
		return -1;
	do
		rc = sage_xml_step(r->xml, r->err);
	while (rc == 1);
	sage_xml_free(r->xml);
	r->xml = NULL;
	r->capture = false;
	return rc;
}

/* Reads a .rels part into r->rels (replacing what was there); absent is empty. */
static int
xlsx_read_rels(XlsxReader *r, const char *path)
{
	int			idx;

	r->nrels = 0;
	if (path == NULL)
		return sage_error_memory(r->err, NULL);
	idx = xlsx_find_member(r, path);
	if (idx < 0)
		return 0;
	return xlsx_parse_part(r, idx, &xlsx_rels_handlers);
}

/*
 * xlsx_rel_part
 *		Resolved path of the first internal relationship of this kind, or
 *		of the conventional file name next to the workbook when there is
 *		none.
 */
static char *
xlsx_rel_part(XlsxReader *r, const char *wb_path, const char *kind, const char *fallback)
{
	size_t		i;

	for (i = 0; i < r->nrels; i++)
		if (!r->rels[i].external && xlsx_rel_is(&r->rels[i], kind))
			return xlsx_resolve(r, wb_path, r->rels[i].target);
	return xlsx_resolve(r, wb_path, fallback);
}

/* Lists the sheet names for messages: "A", "B", ... (bounded). */
static void
xlsx_sheet_list(const XlsxReader *r, char *buf, size_t buflen)
{
	size_t		i;
	size_t		o = 0;

	buf[0] = '\0';
	for (i = 0; i < r->nsheets; i++)
	{
		int			n = snprintf(buf + o, buflen - o, "%s\"%s\"", i > 0 ? ", " : "",
								 r->sheets[i].name);

		if (n < 0 || (size_t) n >= buflen - o)
		{
			if (buflen > 4)
				memcpy(buf + buflen - 4, "...", 4);
			return;
		}
		o += (size_t) n;
	}
}

/*
 * xlsx_select_sheet
 *		The selected sheet: by name (exact, then case-insensitive as Excel
 *		compares names), by 1-based index, or the first in workbook order.
 */
static const XlsxSheet *
xlsx_select_sheet(XlsxReader *r, const SageXlsxOptions *opts)
{
	char		list[1024];
	size_t		i;

	if (r->nsheets == 0)
	{
		sage_error_set(r->err, SAGE_ERR_INPUT, "could not read XLSX file: the workbook has no sheets");
		return NULL;
	}
	xlsx_sheet_list(r, list, sizeof(list));
	if (opts != NULL && opts->sheet_name != NULL)
	{
		for (i = 0; i < r->nsheets; i++)
			if (strcmp(r->sheets[i].name, opts->sheet_name) == 0)
				return &r->sheets[i];
		for (i = 0; i < r->nsheets; i++)
			if (strcasecmp(r->sheets[i].name, opts->sheet_name) == 0)
				return &r->sheets[i];
		sage_error_set(r->err, SAGE_ERR_INPUT, "worksheet \"%s\" not found in XLSX file",
					   opts->sheet_name);
		sage_error_detail(r->err, "The workbook has these sheets: %s.", list);
		return NULL;
	}
	if (opts != NULL && opts->sheet_index != 0)
	{
		if (opts->sheet_index < 0 || (size_t) opts->sheet_index > r->nsheets)
		{
			sage_error_set(r->err, SAGE_ERR_INPUT, "worksheet index %d is out of range",
						   opts->sheet_index);
			sage_error_detail(r->err, "The workbook has %zu sheet%s: %s.", r->nsheets,
							  r->nsheets == 1 ? "" : "s", list);
			return NULL;
		}
		return &r->sheets[opts->sheet_index - 1];
	}
	return &r->sheets[0];
}

int
sage_xlsx_reader_open(SageArena *arena, const void *data, size_t len,
					  const SageXlsxOptions *opts, SageRecordReader *out,
					  SageError *err)
{
	static const unsigned char ole2[8] = {0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1};
	XlsxReader *r;
	SageZipLimits lim = {0};
	const char *wb_path = "xl/workbook.xml";
	const XlsxSheet *sheet;
	const char *sheet_path = NULL;
	const char *styles_path;
	const char *sst_path;
	const SageZipEntry *e;
	SageStream	s;
	int			idx;
	size_t		i;

	memset(out, 0, sizeof(*out));
	if (len >= sizeof(ole2) && memcmp(data, ole2, sizeof(ole2)) == 0)
	{
		sage_error_set(err, SAGE_ERR_UNSUPPORTED, "binary Excel workbooks are not supported");
		sage_error_detail(err, "The file is an OLE2 compound document: a binary .xls workbook or a password-protected .xlsx file.");
		sage_error_hint(err, "Save the workbook as .xlsx without a password.");
		return -1;
	}
	r = sage_alloc0(arena, sizeof(XlsxReader));
	if (r == NULL)
		return sage_error_memory(err, NULL);
	r->arena = arena;
	r->err = err;
	r->max_part = (opts != NULL && opts->max_uncompressed != 0) ?
		opts->max_uncompressed : XLSX_DEFAULT_MAX_PART;
	/* the ZIP layer's defaults, raised if the parts may be bigger */
	if (r->max_part > ((uint64_t) 2 << 30))
		lim.max_member_uncompressed = r->max_part;
	if (r->max_part > ((uint64_t) 2 << 30) && r->max_part <= UINT64_MAX / 2)
		lim.max_total_uncompressed = r->max_part * 2;
	if (sage_zip_open(arena, data, len, &lim, &r->zip, err) < 0)
	{
		xlsx_zip_error(err);
		return -1;
	}

	/* the package's root relationships name the workbook part */
	if (xlsx_read_rels(r, "_rels/.rels") < 0)
		goto fail;
	for (i = 0; i < r->nrels; i++)
		if (!r->rels[i].external && xlsx_rel_is(&r->rels[i], "officeDocument"))
		{
			wb_path = xlsx_resolve(r, "", r->rels[i].target);
			if (wb_path == NULL)
				return sage_error_memory(err, NULL);
			break;
		}
	idx = xlsx_find_member(r, wb_path);
	if (idx < 0)
	{
		sage_error_set(err, SAGE_ERR_INPUT, "could not read XLSX file: workbook part \"%s\" is missing",
					   wb_path);
		sage_error_hint(err, "The file is a ZIP archive but not an Excel workbook.");
		return -1;
	}
	wb_path = sage_zip_entry(r->zip, idx)->name;
	if (xlsx_parse_part(r, idx, &xlsx_workbook_handlers) < 0)
		goto fail;

	/* the workbook's relationships: sheets, styles, shared strings */
	if (xlsx_read_rels(r, xlsx_rels_path(r, wb_path)) < 0)
		goto fail;
	styles_path = xlsx_rel_part(r, wb_path, "styles", "styles.xml");
	sst_path = xlsx_rel_part(r, wb_path, "sharedStrings", "sharedStrings.xml");
	if (styles_path == NULL || sst_path == NULL)
		return sage_error_memory(err, NULL);

	sheet = xlsx_select_sheet(r, opts);
	if (sheet == NULL)
		return -1;
	r->sheet_name = sheet->name;
	for (i = 0; sheet->rid != NULL && i < r->nrels; i++)
		if (!r->rels[i].external && strcmp(r->rels[i].id, sheet->rid) == 0)
		{
			sheet_path = xlsx_resolve(r, wb_path, r->rels[i].target);
			if (sheet_path == NULL)
				return sage_error_memory(err, NULL);
			break;
		}
	if (sheet_path == NULL)
	{
		sage_error_set(err, SAGE_ERR_INPUT,
					   "could not read XLSX file: worksheet \"%s\" has no part in the workbook relationships",
					   sheet->name);
		return -1;
	}

	idx = xlsx_find_member(r, styles_path);
	if (idx >= 0 && xlsx_parse_part(r, idx, &xlsx_styles_handlers) < 0)
		goto fail;
	if (xlsx_resolve_styles(r) < 0)
		return -1;
	idx = xlsx_find_member(r, sst_path);
	if (idx >= 0 && xlsx_parse_part(r, idx, &xlsx_sst_handlers) < 0)
		goto fail;

	/* the worksheet is streamed by next() */
	idx = xlsx_find_member(r, sheet_path);
	if (idx < 0)
	{
		sage_error_set(err, SAGE_ERR_INPUT,
					   "could not read XLSX file: part \"%s\" of worksheet \"%s\" is missing",
					   sheet_path, sheet->name);
		return -1;
	}
	e = sage_zip_entry(r->zip, idx);
	if (e->uncompressed_size > r->max_part)
	{
		sage_error_set(err, SAGE_ERR_LIMIT, "XLSX part \"%s\" exceeds the size limit", e->name);
		sage_error_detail(err, "It declares %llu bytes; the limit is %llu bytes.",
						  (unsigned long long) e->uncompressed_size,
						  (unsigned long long) r->max_part);
		sage_error_hint(err, "Split the data into smaller workbooks.");
		return -1;
	}
	/* rowbuf is never NULL while cells are parsed (no NULL + 0 arithmetic) */
	if (!xlsx_grow(r, (void **) &r->rowbuf.data, &r->rowbuf.cap, 1, 256))
		return sage_error_memory(err, NULL);
	r->part = e->name;
	r->sheet_usize = e->uncompressed_size;
	r->sheet_csize = e->compressed_size;
	if (sage_zip_member_stream(r->zip, idx, &s, err) < 0)
		goto fail;
	r->xml = sage_xml_new(arena, e->name, s, r->max_part, &xlsx_sheet_handlers, r, err);
	if (r->xml == NULL)
		return -1;
	r->state = XLSX_READING;
	out->next = xlsx_next;
	out->bytes_done = xlsx_bytes_done;
	out->close = xlsx_close;
	out->self = r;
	return 0;

fail:
	xlsx_zip_error(err);
	return -1;
}
