/*-------------------------------------------------------------------------
 *
 * test/fuzz/fuzz_xlsx.c
 *		libFuzzer target: the XLSX reader, opened and read to the end.
 *
 * Two kinds of input:
 * - bytes starting with "PK" are a whole .xlsx file;
 * - anything else is XML parts separated by "\n=====\n" (worksheet,
 *   shared strings, styles, workbook), packed here into a stored ZIP with
 *   correct CRCs, so mutations reach the XML handling directly instead of
 *   dying in inflate or the CRC check.
 * Opening must succeed or fail with a filled SageError, and so must every
 * next(); records must be well-formed. Inputs of odd length run under a
 * tight memory budget so the out-of-memory paths are fuzzed too.
 *
 *-------------------------------------------------------------------------
 */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "sage/record.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FX_SEP "\n=====\n"
#define FX_MAX_PARTS 8

/* One member of the package being built. */
typedef struct FxPart
{
	const char *name;			/* member name */
	const uint8_t *data;		/* content */
	size_t		len;
} FxPart;

static const char fx_root_rels[] =
"<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
"<Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument\" Target=\"xl/workbook.xml\"/>"
"</Relationships>";

static const char fx_wb_rels[] =
"<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
"<Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet\" Target=\"worksheets/sheet1.xml\"/>"
"<Relationship Id=\"rId2\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles\" Target=\"styles.xml\"/>"
"<Relationship Id=\"rId3\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings\" Target=\"sharedStrings.xml\"/>"
"</Relationships>";

static const char fx_workbook[] =
"<workbook xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" "
"xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\">"
"<workbookPr date1904=\"0\"/><sheets><sheet name=\"S\" sheetId=\"1\" r:id=\"rId1\"/></sheets></workbook>";

static void
fx_put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t) v;
	p[1] = (uint8_t) (v >> 8);
}

static void
fx_put32(uint8_t *p, uint32_t v)
{
	fx_put16(p, v & 0xFFFF);
	fx_put16(p + 2, v >> 16);
}

/* Packs parts into a stored ZIP (malloc'd); returns its size. */
static size_t
fx_pack(const FxPart *parts, int n, uint8_t **out)
{
	size_t		total = 22;
	size_t		o = 0;
	size_t		cd;
	uint32_t	offs[FX_MAX_PARTS];
	uint8_t    *z;
	int			i;

	for (i = 0; i < n; i++)
		total += 30 + 46 + 2 * strlen(parts[i].name) + parts[i].len;
	z = calloc(1, total);
	if (z == NULL)
		abort();
	for (i = 0; i < n; i++)
	{
		size_t		nl = strlen(parts[i].name);
		uint32_t	crc = (uint32_t) crc32(0L, parts[i].data, (uInt) parts[i].len);

		offs[i] = (uint32_t) o;
		fx_put32(z + o, 0x04034b50);
		fx_put16(z + o + 4, 20);
		fx_put32(z + o + 14, crc);
		fx_put32(z + o + 18, (uint32_t) parts[i].len);
		fx_put32(z + o + 22, (uint32_t) parts[i].len);
		fx_put16(z + o + 26, (unsigned) nl);
		memcpy(z + o + 30, parts[i].name, nl);
		memcpy(z + o + 30 + nl, parts[i].data, parts[i].len);
		o += 30 + nl + parts[i].len;
	}
	cd = o;
	for (i = 0; i < n; i++)
	{
		size_t		nl = strlen(parts[i].name);

		fx_put32(z + o, 0x02014b50);
		fx_put16(z + o + 4, 20);
		fx_put16(z + o + 6, 20);
		fx_put32(z + o + 16, (uint32_t) crc32(0L, parts[i].data, (uInt) parts[i].len));
		fx_put32(z + o + 20, (uint32_t) parts[i].len);
		fx_put32(z + o + 24, (uint32_t) parts[i].len);
		fx_put16(z + o + 28, (unsigned) nl);
		fx_put32(z + o + 42, offs[i]);
		memcpy(z + o + 46, parts[i].name, nl);
		o += 46 + nl;
	}
	fx_put32(z + o, 0x06054b50);
	fx_put16(z + o + 8, (unsigned) n);
	fx_put16(z + o + 10, (unsigned) n);
	fx_put32(z + o + 12, (uint32_t) (o - cd));
	fx_put32(z + o + 16, (uint32_t) cd);
	o += 22;
	*out = z;
	return o;
}

/* Splits the input at FX_SEP into up to four XML parts and packs them. */
static size_t
fx_build(const uint8_t *data, size_t size, uint8_t **out)
{
	static const char *names[4] = {
		"xl/worksheets/sheet1.xml", "xl/sharedStrings.xml", "xl/styles.xml",
		"xl/workbook.xml"
	};
	FxPart		parts[FX_MAX_PARTS];
	int			n = 0;
	int			k = 0;
	bool		have_workbook = false;
	size_t		start = 0;
	size_t		seplen = strlen(FX_SEP);

	parts[n++] = (FxPart) {"_rels/.rels", (const uint8_t *) fx_root_rels, strlen(fx_root_rels)};
	parts[n++] = (FxPart) {"xl/_rels/workbook.xml.rels", (const uint8_t *) fx_wb_rels, strlen(fx_wb_rels)};
	while (k < 4)
	{
		const uint8_t *sep = NULL;
		size_t		i;

		for (i = start; i + seplen <= size; i++)
			if (memcmp(data + i, FX_SEP, seplen) == 0)
			{
				sep = data + i;
				break;
			}
		parts[n++] = (FxPart) {names[k], data + start,
			(sep ? (size_t) (sep - data) : size) - start};
		if (k == 3)
			have_workbook = true;
		k++;
		if (sep == NULL)
			break;
		start = (size_t) (sep - data) + seplen;
	}
	if (!have_workbook)
		parts[n++] = (FxPart) {"xl/workbook.xml", (const uint8_t *) fx_workbook, strlen(fx_workbook)};
	return fx_pack(parts, n, out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	SageBudget	budget = {0, 0, 0};
	SageArena  *arena;
	SageXlsxOptions opts = {0};
	SageRecordReader rd;
	SageError	err;
	uint8_t    *file;
	size_t		len;
	int			rc;

	if (size >= 2 && data[0] == 'P' && data[1] == 'K')
	{
		file = malloc(size);
		if (file == NULL)
			abort();
		memcpy(file, data, size);
		len = size;
	}
	else
		len = fx_build(data, size, &file);

	if (size % 2 == 1)
		budget.limit = 256 * 1024 + size * 8;
	arena = sage_arena_new(&budget);
	if (arena == NULL)
		abort();
	opts.max_uncompressed = 16 << 20;
	if (size % 3 == 1)
		opts.sheet_index = 1;
	rc = sage_xlsx_reader_open(arena, file, len, &opts, &rd, &err);
	if (rc != 0)
	{
		if (err.code == SAGE_OK || err.message[0] == '\0')
			abort();
	}
	else
	{
		SageRecord	rec;
		uint64_t	rows = 0;

		while ((rc = rd.next(rd.self, &rec, &err)) == 1)
		{
			int			i;

			if (rec.nfields <= 0 || rec.nfields > 16384 || rec.line == 0)
				abort();
			for (i = 0; i < rec.nfields; i++)
				if (rec.fields[i] == NULL || strlen(rec.fields[i]) != rec.lens[i])
					abort();
			/* the last field is never empty: rows end at their last cell */
			if (rec.lens[rec.nfields - 1] == 0)
				abort();
			if (++rows > 2000000)
				abort();
			(void) rd.bytes_done(rd.self);
		}
		if (rc < 0 && (err.code == SAGE_OK || err.message[0] == '\0'))
			abort();
		if (rd.close != NULL)
			rd.close(rd.self);
	}
	sage_arena_free(arena);
	free(file);
	return 0;
}
