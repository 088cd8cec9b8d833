/*-------------------------------------------------------------------------
 *
 * src/core/zip_reader.c
 *		Read-only ZIP archives held in memory, with streaming inflate and
 *		limits against zip bombs.
 *
 * The archive is attacker input: every offset and size read from it is
 * checked against the buffer before use, and nothing is ever written to
 * disk, so member names ("../../etc/passwd", "/abs") are just names.
 *
 * Opening parses the End Of Central Directory record (found by searching
 * back at most 64 KiB + 22 bytes), the ZIP64 locator and record when
 * present, every central directory entry (with its ZIP64 and Unicode Path
 * extra fields) and every local header, so a structurally corrupt archive
 * is refused before any member is read. The declared sizes are checked
 * against the limits at open time; while streaming, the same limits are
 * enforced again on the bytes actually inflated, because the declared
 * sizes are attacker-controlled too. Members whose data ranges overlap are
 * refused (the "overlapping files" zip bomb).
 *
 * The compression ratio limit only applies once a member expands past
 * ZIP_RATIO_GRACE bytes: small, very repetitive files (a CSV of empty
 * fields) legitimately compress more than 200:1 and cannot hurt anyone.
 *
 * Inflate states come from the archive's arena (zlib's allocator hooks)
 * and are pooled per archive: a finished or closed stream hands its state
 * back for the next member, so reading ten thousand members sequentially
 * costs one state, and an abandoned stream leaks nothing outside the arena.
 *
 *-------------------------------------------------------------------------
 */
#include "sage/zip.h"
#include "encoding_internal.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define ZIP_DEFAULT_MAX_TOTAL ((uint64_t) 4 << 30)
#define ZIP_DEFAULT_MAX_MEMBER ((uint64_t) 2 << 30)
#define ZIP_DEFAULT_MAX_MEMBERS 10000
#define ZIP_DEFAULT_MAX_RATIO 200
/* Ratio checks start once a member expands past this many bytes. */
#define ZIP_RATIO_GRACE ((uint64_t) 1 << 20)

#define ZIP_SIG_LOCAL 0x04034b50
#define ZIP_SIG_CENTRAL 0x02014b50
#define ZIP_SIG_EOCD 0x06054b50
#define ZIP_SIG_EOCD64 0x06064b50
#define ZIP_SIG_LOCATOR64 0x07064b50

#define ZIP_EOCD_SIZE 22
#define ZIP_LOCATOR64_SIZE 20
#define ZIP_EOCD64_SIZE 56
#define ZIP_CENTRAL_SIZE 46
#define ZIP_LOCAL_SIZE 30
#define ZIP_MAX_COMMENT 65535

#define ZIP_FLAG_ENCRYPTED 0x0001
#define ZIP_FLAG_UTF8 0x0800

#define ZIP_METHOD_STORED 0
#define ZIP_METHOD_DEFLATE 8

#define ZIP_EXTRA_ZIP64 0x0001
#define ZIP_EXTRA_UNICODE_PATH 0x7075

/* One member: the public entry plus what reading its data needs. */
typedef struct ZipMember
{
	SageZipEntry entry;			/* public view handed to callers */
	uint16_t	flags;			/* general purpose bit flag */
	uint16_t	method;			/* compression method */
	uint32_t	crc;			/* CRC-32 from the central directory */
	uint64_t	local_offset;	/* offset of the local header */
	uint64_t	data_offset;	/* offset of the compressed data */
	uint64_t	inflated_seen;	/* most bytes any stream of it produced */
} ZipMember;

/* A pooled raw-inflate state; memory comes from the archive's arena. */
typedef struct ZipInflater
{
	z_stream	zs;				/* initialised once, reset per member */
	struct ZipInflater *next;	/* free-list link */
} ZipInflater;

struct SageZip
{
	SageArena  *arena;			/* owns members, names, streams, states */
	const unsigned char *data;	/* the whole archive (caller-owned) */
	size_t		len;			/* its size */
	SageZipLimits limits;		/* with defaults filled in */
	int			count;			/* number of members */
	ZipMember  *members;		/* central directory order */
	uint64_t	inflated_total; /* sum of inflated_seen: actual bytes */
	ZipInflater *free_inflaters;	/* states ready for reuse */
};

/* Where a member stream stands. */
typedef enum ZipStreamState
{
	ZIP_STREAM_ACTIVE,
	ZIP_STREAM_DONE,
	ZIP_STREAM_FAILED
} ZipStreamState;

/* The context of a SageStream over one member. */
typedef struct ZipStream
{
	SageZip    *zip;			/* the archive */
	ZipMember  *m;				/* the member being read */
	ZipInflater *inf;			/* NULL for stored members or once done */
	uint64_t	in_pos;			/* compressed bytes consumed */
	uint64_t	produced;		/* uncompressed bytes handed out */
	uLong		crc;			/* running CRC-32 of produced bytes */
	ZipStreamState state;		/* active, done or failed (sticky) */
} ZipStream;

/* CP437 code points for bytes 0x80..0xFF (the low half is ASCII). */
static const uint16_t zip_cp437[128] = {
	0x00C7, 0x00FC, 0x00E9, 0x00E2, 0x00E4, 0x00E0, 0x00E5, 0x00E7,
	0x00EA, 0x00EB, 0x00E8, 0x00EF, 0x00EE, 0x00EC, 0x00C4, 0x00C5,
	0x00C9, 0x00E6, 0x00C6, 0x00F4, 0x00F6, 0x00F2, 0x00FB, 0x00F9,
	0x00FF, 0x00D6, 0x00DC, 0x00A2, 0x00A3, 0x00A5, 0x20A7, 0x0192,
	0x00E1, 0x00ED, 0x00F3, 0x00FA, 0x00F1, 0x00D1, 0x00AA, 0x00BA,
	0x00BF, 0x2310, 0x00AC, 0x00BD, 0x00BC, 0x00A1, 0x00AB, 0x00BB,
	0x2591, 0x2592, 0x2593, 0x2502, 0x2524, 0x2561, 0x2562, 0x2556,
	0x2555, 0x2563, 0x2551, 0x2557, 0x255D, 0x255C, 0x255B, 0x2510,
	0x2514, 0x2534, 0x252C, 0x251C, 0x2500, 0x253C, 0x255E, 0x255F,
	0x255A, 0x2554, 0x2569, 0x2566, 0x2560, 0x2550, 0x256C, 0x2567,
	0x2568, 0x2564, 0x2565, 0x2559, 0x2558, 0x2552, 0x2553, 0x256B,
	0x256A, 0x2518, 0x250C, 0x2588, 0x2584, 0x258C, 0x2590, 0x2580,
	0x03B1, 0x00DF, 0x0393, 0x03C0, 0x03A3, 0x03C3, 0x00B5, 0x03C4,
	0x03A6, 0x0398, 0x03A9, 0x03B4, 0x221E, 0x03C6, 0x03B5, 0x2229,
	0x2261, 0x00B1, 0x2265, 0x2264, 0x2320, 0x2321, 0x00F7, 0x2248,
	0x00B0, 0x2219, 0x00B7, 0x221A, 0x207F, 0x00B2, 0x25A0, 0x00A0
};

/* ------------------------------------------------------------ helpers */

/* Little-endian loads; callers have checked the bounds. */
static uint16_t
zip_u16(const unsigned char *p)
{
	return (uint16_t) (p[0] | (p[1] << 8));
}

static uint32_t
zip_u32(const unsigned char *p)
{
	return (uint32_t) p[0] | ((uint32_t) p[1] << 8) |
		((uint32_t) p[2] << 16) | ((uint32_t) p[3] << 24);
}

static uint64_t
zip_u64(const unsigned char *p)
{
	return (uint64_t) zip_u32(p) | ((uint64_t) zip_u32(p + 4) << 32);
}

/*
 * zip_range_ok
 *		True when [off, off + size) lies inside the archive; written so
 *		that no addition can overflow.
 */
static bool
zip_range_ok(const SageZip *zip, uint64_t off, uint64_t size)
{
	return off <= zip->len && size <= zip->len - off;
}

/* Standard "corrupt archive" error; returns -1. */
static int
zip_corrupt(SageError *err, const char *fmt,...)
__attribute__((format(printf, 2, 3)));

static int
zip_corrupt(SageError *err, const char *fmt,...)
{
	char		reason[400];
	va_list		ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	return sage_error_set(err, SAGE_ERR_INPUT, "could not read ZIP archive: %s", reason);
}

/*
 * zip_decode_name
 *		Converts a stored name to NUL-terminated UTF-8: UTF-8 names have
 *		invalid sequences replaced by U+FFFD, CP437 names are transcoded.
 *		NUL bytes cannot be represented in a C string, so they make the
 *		archive corrupt.
 */
static char *
zip_decode_name(SageArena *arena, const unsigned char *raw, size_t n,
				bool utf8, SageError *err)
{
	char	   *out;
	size_t		o = 0;
	size_t		i = 0;

	if (memchr(raw, 0, n) != NULL)
	{
		zip_corrupt(err, "a member name contains a NUL byte");
		return NULL;
	}
	/* at most 3 output bytes per input byte either way */
	out = sage_alloc(arena, n * 3 + 1);
	if (out == NULL)
	{
		sage_error_memory(err, NULL);
		return NULL;
	}
	while (i < n)
	{
		if (utf8)
		{
			size_t		k = sage_utf8_seq_len(raw + i, n - i);

			if (k == 0)
			{
				o += sage_utf8_put(out + o, 0xFFFD);
				i++;
			}
			else
			{
				memcpy(out + o, raw + i, k);
				o += k;
				i += k;
			}
		}
		else
		{
			unsigned char c = raw[i++];

			o += sage_utf8_put(out + o, c < 0x80 ? c : zip_cp437[c - 0x80]);
		}
	}
	out[o] = '\0';
	return out;
}

/* zlib allocator hooks: memory comes from (and stays in) the arena. */
static voidpf
zip_zalloc(voidpf opaque, uInt items, uInt size)
{
	if (size != 0 && items > SIZE_MAX / size)
		return Z_NULL;
	return sage_alloc((SageArena *) opaque, (size_t) items * size);
}

static void
zip_zfree(voidpf opaque, voidpf address)
{
	/* released with the arena */
}

/* ------------------------------------------------------------- limits */

/*
 * zip_ratio_exceeded
 *		True when usize bytes from csize compressed bytes pass the ratio
 *		limit (only once past the grace size; overflow-free).
 */
static bool
zip_ratio_exceeded(const SageZip *zip, uint64_t usize, uint64_t csize)
{
	uint64_t	ratio = zip->limits.max_ratio;

	if (usize <= ZIP_RATIO_GRACE)
		return false;
	if (csize == 0)
		return true;
	if (csize > UINT64_MAX / ratio)
		return false;
	return usize > csize * ratio;
}

/* Fills the compression-ratio error for a member. Returns -1. */
static int
zip_ratio_error(const SageZip *zip, const ZipMember *m, uint64_t usize,
				bool actual, SageError *err)
{
	uint64_t	csize = m->entry.compressed_size;

	sage_error_set(err, SAGE_ERR_LIMIT,
				   "ZIP member \"%s\" exceeds the compression ratio limit",
				   m->entry.name);
	sage_error_detail(err, "%s %llu bytes from %llu compressed bytes, a ratio of %.1f; the limit is %u.",
					  actual ? "It expanded to at least" : "It declares",
					  (unsigned long long) usize, (unsigned long long) csize,
					  (double) usize / (double) (csize == 0 ? 1 : csize),
					  zip->limits.max_ratio);
	sage_error_hint(err, "Archives whose members expand this much are refused as possible zip bombs; compress the data normally.");
	return -1;
}

/* Fills the per-member size error. Returns -1. */
static int
zip_member_size_error(const SageZip *zip, const ZipMember *m, uint64_t usize,
					  bool actual, SageError *err)
{
	sage_error_set(err, SAGE_ERR_LIMIT, "ZIP member \"%s\" exceeds the size limit",
				   m->entry.name);
	sage_error_detail(err, "It %s %llu bytes uncompressed; the limit is %llu bytes.",
					  actual ? "expanded to at least" : "declares",
					  (unsigned long long) usize,
					  (unsigned long long) zip->limits.max_member_uncompressed);
	sage_error_hint(err, "Split the data into smaller files.");
	return -1;
}

/* Fills the total size error. Returns -1. */
static int
zip_total_size_error(const SageZip *zip, uint64_t total, bool actual, SageError *err)
{
	sage_error_set(err, SAGE_ERR_LIMIT, "ZIP archive exceeds the total size limit");
	sage_error_detail(err, "Its members %s %llu bytes uncompressed; the limit is %llu bytes.",
					  actual ? "expanded to at least" : "declare",
					  (unsigned long long) total,
					  (unsigned long long) zip->limits.max_total_uncompressed);
	sage_error_hint(err, "Split the data into several archives.");
	return -1;
}

/* ------------------------------------------------------------ parsing */

/*
 * zip_find_eocd
 *		Offset of the End Of Central Directory record, searching back from
 *		the end at most 64 KiB of comment. A record whose comment ends
 *		exactly at the end of the buffer wins; otherwise the last record
 *		whose comment fits (some writers append junk).
 */
static bool
zip_find_eocd(const SageZip *zip, size_t *pos)
{
	size_t		lowest;
	size_t		p;
	bool		found = false;

	if (zip->len < ZIP_EOCD_SIZE)
		return false;
	lowest = zip->len - ZIP_EOCD_SIZE > ZIP_MAX_COMMENT ?
		zip->len - ZIP_EOCD_SIZE - ZIP_MAX_COMMENT : 0;
	p = zip->len - ZIP_EOCD_SIZE;
	for (;;)
	{
		const unsigned char *d = zip->data + p;

		if (zip_u32(d) == ZIP_SIG_EOCD)
		{
			size_t		clen = zip_u16(d + 20);

			if (p + ZIP_EOCD_SIZE + clen == zip->len)
			{
				*pos = p;
				return true;
			}
			if (!found && p + ZIP_EOCD_SIZE + clen <= zip->len)
			{
				*pos = p;
				found = true;
			}
		}
		if (p == lowest)
			break;
		p--;
	}
	return found;
}

/* What the end records say about the central directory. */
typedef struct ZipDirectory
{
	uint64_t	entries;		/* total number of entries */
	uint64_t	size;			/* bytes of central directory */
	uint64_t	offset;			/* where it starts */
} ZipDirectory;

/*
 * zip_read_end
 *		Reads the EOCD record and, when a ZIP64 locator precedes it, the
 *		ZIP64 end record, checking that the archive is on one disk.
 */
static int
zip_read_end(const SageZip *zip, ZipDirectory *dir, SageError *err)
{
	size_t		pos = 0;
	const unsigned char *e;
	uint32_t	disk;
	uint32_t	cd_disk;
	uint64_t	disk_entries;
	bool		needs64;

	if (!zip_find_eocd(zip, &pos))
		return zip_corrupt(err, "end of central directory not found");
	e = zip->data + pos;
	disk = zip_u16(e + 4);
	cd_disk = zip_u16(e + 6);
	disk_entries = zip_u16(e + 8);
	dir->entries = zip_u16(e + 10);
	dir->size = zip_u32(e + 12);
	dir->offset = zip_u32(e + 16);
	needs64 = disk == 0xFFFF || cd_disk == 0xFFFF || disk_entries == 0xFFFF ||
		dir->entries == 0xFFFF || dir->size == 0xFFFFFFFF ||
		dir->offset == 0xFFFFFFFF;

	if (pos >= ZIP_LOCATOR64_SIZE &&
		zip_u32(zip->data + pos - ZIP_LOCATOR64_SIZE) == ZIP_SIG_LOCATOR64)
	{
		const unsigned char *loc = zip->data + pos - ZIP_LOCATOR64_SIZE;
		uint64_t	off64 = zip_u64(loc + 8);
		const unsigned char *r;

		if (zip_u32(loc + 4) != 0 || zip_u32(loc + 16) > 1)
			return sage_error_set(err, SAGE_ERR_INPUT,
								  "could not read ZIP archive: multi-disk archives are not supported");
		/* the record must lie wholly before its locator */
		if (off64 > pos - ZIP_LOCATOR64_SIZE ||
			pos - ZIP_LOCATOR64_SIZE - off64 < ZIP_EOCD64_SIZE ||
			zip_u32(zip->data + off64) != ZIP_SIG_EOCD64)
			return zip_corrupt(err, "invalid ZIP64 end of central directory locator");
		r = zip->data + off64;
		disk = zip_u32(r + 16);
		cd_disk = zip_u32(r + 20);
		disk_entries = zip_u64(r + 24);
		dir->entries = zip_u64(r + 32);
		dir->size = zip_u64(r + 40);
		dir->offset = zip_u64(r + 48);
	}
	else if (needs64)
		return zip_corrupt(err, "ZIP64 end of central directory record is missing");

	if (disk != 0 || cd_disk != 0 || disk_entries != dir->entries)
		return sage_error_set(err, SAGE_ERR_INPUT,
							  "could not read ZIP archive: multi-disk archives are not supported");
	if (!zip_range_ok(zip, dir->offset, dir->size) || dir->offset + dir->size > pos)
		return zip_corrupt(err, "central directory lies outside the archive");
	return 0;
}

/*
 * zip_parse_extra
 *		Applies the ZIP64 and Unicode Path extra fields of a central
 *		directory entry. ZIP64 fields appear in a fixed order, one for each
 *		header field saturated at 0xFFFFFFFF. A truncated trailing field is
 *		ignored (zipalign and others pad extras with zeros), unless a ZIP64
 *		value that the header defers to is missing.
 */
static int
zip_parse_extra(SageZip *zip, ZipMember *m, const unsigned char *extra,
				size_t elen, const unsigned char *raw_name, size_t nlen,
				bool *need_usize, bool *need_csize, bool *need_offset,
				SageError *err)
{
	size_t		p = 0;

	while (p + 4 <= elen)
	{
		uint16_t	id = zip_u16(extra + p);
		size_t		sz = zip_u16(extra + p + 2);
		const unsigned char *f = extra + p + 4;

		if (sz > elen - p - 4)
			break;
		if (id == ZIP_EXTRA_ZIP64)
		{
			size_t		q = 0;

			if (*need_usize)
			{
				if (q + 8 > sz)
					return zip_corrupt(err, "invalid ZIP64 extra field");
				m->entry.uncompressed_size = zip_u64(f + q);
				q += 8;
				*need_usize = false;
			}
			if (*need_csize)
			{
				if (q + 8 > sz)
					return zip_corrupt(err, "invalid ZIP64 extra field");
				m->entry.compressed_size = zip_u64(f + q);
				q += 8;
				*need_csize = false;
			}
			if (*need_offset)
			{
				if (q + 8 > sz)
					return zip_corrupt(err, "invalid ZIP64 extra field");
				m->local_offset = zip_u64(f + q);
				q += 8;
				*need_offset = false;
			}
		}
		else if (id == ZIP_EXTRA_UNICODE_PATH && sz > 5 && f[0] == 1 &&
				 zip_u32(f + 1) == crc32(0L, raw_name, (uInt) nlen))
		{
			char	   *name = zip_decode_name(zip->arena, f + 5, sz - 5, true, err);

			if (name == NULL)
				return -1;
			m->entry.name = name;
		}
		p += 4 + sz;
	}
	return 0;
}

/*
 * zip_read_central
 *		Parses every central directory entry and checks its local header,
 *		filling zip->members.
 */
static int
zip_read_central(SageZip *zip, const ZipDirectory *dir, SageError *err)
{
	uint64_t	pos = dir->offset;
	uint64_t	end = dir->offset + dir->size;
	uint64_t	declared_total = 0;
	uint64_t	i;

	for (i = 0; i < dir->entries; i++)
	{
		ZipMember  *m = &zip->members[i];
		const unsigned char *c;
		size_t		nlen,
					elen,
					clen;
		bool		need_usize,
					need_csize,
					need_offset;
		const unsigned char *l;
		uint64_t	data_off;

		if (end - pos < ZIP_CENTRAL_SIZE)
			return zip_corrupt(err, "central directory is truncated");
		c = zip->data + pos;
		if (zip_u32(c) != ZIP_SIG_CENTRAL)
			return zip_corrupt(err, "invalid central directory entry %llu",
							   (unsigned long long) i + 1);
		nlen = zip_u16(c + 28);
		elen = zip_u16(c + 30);
		clen = zip_u16(c + 32);
		if (end - pos - ZIP_CENTRAL_SIZE < (uint64_t) nlen + elen + clen)
			return zip_corrupt(err, "central directory is truncated");

		m->flags = zip_u16(c + 8);
		m->method = zip_u16(c + 10);
		m->crc = zip_u32(c + 16);
		m->entry.compressed_size = zip_u32(c + 20);
		m->entry.uncompressed_size = zip_u32(c + 24);
		m->local_offset = zip_u32(c + 42);
		m->entry.encrypted = (m->flags & ZIP_FLAG_ENCRYPTED) != 0;
		m->entry.name = zip_decode_name(zip->arena, c + ZIP_CENTRAL_SIZE, nlen,
										(m->flags & ZIP_FLAG_UTF8) != 0, err);
		if (m->entry.name == NULL)
			return -1;
		need_usize = m->entry.uncompressed_size == 0xFFFFFFFF;
		need_csize = m->entry.compressed_size == 0xFFFFFFFF;
		need_offset = m->local_offset == 0xFFFFFFFF;
		if (zip_parse_extra(zip, m, c + ZIP_CENTRAL_SIZE + nlen, elen,
							c + ZIP_CENTRAL_SIZE, nlen,
							&need_usize, &need_csize, &need_offset, err) < 0)
			return -1;
		if (need_usize || need_csize || need_offset)
			return zip_corrupt(err, "member \"%s\" lacks its ZIP64 extra field",
							   m->entry.name);
		m->entry.is_dir = nlen > 0 && c[ZIP_CENTRAL_SIZE + nlen - 1] == '/';
		pos += ZIP_CENTRAL_SIZE + nlen + elen + clen;

		/* the local header: only its variable lengths matter to us */
		if (!zip_range_ok(zip, m->local_offset, ZIP_LOCAL_SIZE))
			return zip_corrupt(err, "member \"%s\" has an invalid local header offset",
							   m->entry.name);
		l = zip->data + m->local_offset;
		if (zip_u32(l) != ZIP_SIG_LOCAL)
			return zip_corrupt(err, "member \"%s\" has an invalid local header",
							   m->entry.name);
		data_off = m->local_offset + ZIP_LOCAL_SIZE + zip_u16(l + 26) + zip_u16(l + 28);
		if (!zip_range_ok(zip, data_off, m->entry.compressed_size))
			return zip_corrupt(err, "member \"%s\" extends past the end of the archive",
							   m->entry.name);
		m->data_offset = data_off;

		/* declared sizes against the limits */
		if (m->entry.uncompressed_size > zip->limits.max_member_uncompressed)
			return zip_member_size_error(zip, m, m->entry.uncompressed_size, false, err);
		if (m->method != ZIP_METHOD_STORED &&
			zip_ratio_exceeded(zip, m->entry.uncompressed_size, m->entry.compressed_size))
			return zip_ratio_error(zip, m, m->entry.uncompressed_size, false, err);
		declared_total += m->entry.uncompressed_size;
		if (declared_total > zip->limits.max_total_uncompressed)
			return zip_total_size_error(zip, declared_total, false, err);
	}
	return 0;
}

/* qsort comparator: members by local header offset. */
static int
zip_cmp_offset(const void *a, const void *b)
{
	const ZipMember *x = *(const ZipMember *const *) a;
	const ZipMember *y = *(const ZipMember *const *) b;

	if (x->local_offset != y->local_offset)
		return x->local_offset < y->local_offset ? -1 : 1;
	/* ties in directory order, so messages do not depend on qsort */
	return x < y ? -1 : (x > y ? 1 : 0);
}

/*
 * zip_check_overlap
 *		Refuses members whose local header + data ranges overlap: many
 *		entries sharing one compressed stream is how "overlapping files"
 *		zip bombs multiply their output without nesting.
 */
static int
zip_check_overlap(SageZip *zip, SageError *err)
{
	ZipMember **order;
	int			i;

	if (zip->count < 2)
		return 0;
	order = sage_alloc(zip->arena, sizeof(ZipMember *) * (size_t) zip->count);
	if (order == NULL)
		return sage_error_memory(err, NULL);
	for (i = 0; i < zip->count; i++)
		order[i] = &zip->members[i];
	qsort(order, (size_t) zip->count, sizeof(ZipMember *), zip_cmp_offset);
	for (i = 1; i < zip->count; i++)
	{
		const ZipMember *prev = order[i - 1];

		if (order[i]->local_offset < prev->data_offset + prev->entry.compressed_size)
			return zip_corrupt(err, "members \"%s\" and \"%s\" overlap",
							   prev->entry.name, order[i]->entry.name);
	}
	return 0;
}

/* ------------------------------------------------------------- opening */

int
sage_zip_open(SageArena *arena, const void *data, size_t len,
			  const SageZipLimits *limits, SageZip **out, SageError *err)
{
	SageZip    *zip;
	ZipDirectory dir = {0};

	*out = NULL;
	if (data == NULL && len > 0)
		return sage_error_set(err, SAGE_ERR_ARGUMENT, "ZIP archive data is missing");
	zip = sage_alloc0(arena, sizeof(SageZip));
	if (zip == NULL)
		return sage_error_memory(err, NULL);
	zip->arena = arena;
	zip->data = data;
	zip->len = len;
	if (limits != NULL)
		zip->limits = *limits;
	if (zip->limits.max_total_uncompressed == 0)
		zip->limits.max_total_uncompressed = ZIP_DEFAULT_MAX_TOTAL;
	if (zip->limits.max_member_uncompressed == 0)
		zip->limits.max_member_uncompressed = ZIP_DEFAULT_MAX_MEMBER;
	if (zip->limits.max_members == 0)
		zip->limits.max_members = ZIP_DEFAULT_MAX_MEMBERS;
	if (zip->limits.max_ratio == 0)
		zip->limits.max_ratio = ZIP_DEFAULT_MAX_RATIO;

	if (zip_read_end(zip, &dir, err) < 0)
		return -1;
	if (dir.entries > zip->limits.max_members)
	{
		sage_error_set(err, SAGE_ERR_LIMIT, "ZIP archive has too many members");
		sage_error_detail(err, "The archive has %llu members; the limit is %u.",
						  (unsigned long long) dir.entries, zip->limits.max_members);
		sage_error_hint(err, "Split the data into several archives.");
		return -1;
	}
	/* each entry takes at least 46 bytes: a lying count cannot make us allocate */
	if (dir.entries > dir.size / ZIP_CENTRAL_SIZE || dir.entries > INT_MAX)
		return zip_corrupt(err, "central directory is too small for %llu entries",
						   (unsigned long long) dir.entries);
	zip->count = (int) dir.entries;
	if (zip->count > 0)
	{
		zip->members = sage_alloc0(arena, sizeof(ZipMember) * (size_t) zip->count);
		if (zip->members == NULL)
			return sage_error_memory(err, NULL);
	}
	if (zip_read_central(zip, &dir, err) < 0)
		return -1;
	if (zip_check_overlap(zip, err) < 0)
		return -1;
	*out = zip;
	return 0;
}

int
sage_zip_count(const SageZip *zip)
{
	return zip->count;
}

const SageZipEntry *
sage_zip_entry(const SageZip *zip, int index)
{
	if (index < 0 || index >= zip->count)
		return NULL;
	return &zip->members[index].entry;
}

int
sage_zip_find(const SageZip *zip, const char *name)
{
	int			i;

	for (i = 0; i < zip->count; i++)
		if (strcmp(zip->members[i].entry.name, name) == 0)
			return i;
	return -1;
}

/* ------------------------------------------------------------ streaming */

/* Hands a stream's inflate state back to the archive's pool. */
static void
zip_stream_release(ZipStream *zs)
{
	if (zs->inf != NULL)
	{
		zs->inf->next = zs->zip->free_inflaters;
		zs->zip->free_inflaters = zs->inf;
		zs->inf = NULL;
	}
}

/* Marks a stream failed (sticky) and releases its state. Returns -1. */
static long
zip_stream_fail(ZipStream *zs)
{
	zs->state = ZIP_STREAM_FAILED;
	zip_stream_release(zs);
	return -1;
}

/*
 * zip_stream_account
 *		Charges newly produced bytes to the member and the archive and
 *		enforces the limits on those actual bytes.
 */
static int
zip_stream_account(ZipStream *zs, SageError *err)
{
	SageZip    *zip = zs->zip;
	ZipMember  *m = zs->m;

	if (zs->produced > m->inflated_seen)
	{
		zip->inflated_total += zs->produced - m->inflated_seen;
		m->inflated_seen = zs->produced;
	}
	if (zs->produced > zip->limits.max_member_uncompressed)
		return zip_member_size_error(zip, m, zs->produced, true, err);
	if (m->method != ZIP_METHOD_STORED &&
		zip_ratio_exceeded(zip, zs->produced, m->entry.compressed_size))
		return zip_ratio_error(zip, m, zs->produced, true, err);
	if (zip->inflated_total > zip->limits.max_total_uncompressed)
		return zip_total_size_error(zip, zip->inflated_total, true, err);
	return 0;
}

/*
 * zip_stream_finish
 *		At the end of a member's data: the size and CRC-32 must match the
 *		central directory.
 */
static int
zip_stream_finish(ZipStream *zs, SageError *err)
{
	const ZipMember *m = zs->m;

	if (zs->produced != m->entry.uncompressed_size)
	{
		zip_corrupt(err, "member \"%s\" has %llu bytes but declares %llu",
					m->entry.name, (unsigned long long) zs->produced,
					(unsigned long long) m->entry.uncompressed_size);
		return -1;
	}
	if ((uint32_t) zs->crc != m->crc)
	{
		zip_corrupt(err, "member \"%s\" fails its CRC-32 check", m->entry.name);
		sage_error_detail(err, "The computed CRC-32 is %08x; the archive says %08x.",
						  (unsigned) zs->crc, (unsigned) m->crc);
		return -1;
	}
	zs->state = ZIP_STREAM_DONE;
	zip_stream_release(zs);
	return 0;
}

/*
 * zip_stream_read
 *		SageStream read(): hands out the next uncompressed bytes, checking
 *		limits as they appear and size and CRC at the end.
 */
static long
zip_stream_read(void *ctx, void *buf, size_t len, SageError *err)
{
	ZipStream  *zs = ctx;
	const ZipMember *m = zs->m;
	uint64_t	csize = m->entry.compressed_size;
	size_t		want = len > (size_t) INT_MAX ? (size_t) INT_MAX : len;

	if (zs->state == ZIP_STREAM_DONE)
		return 0;
	if (zs->state == ZIP_STREAM_FAILED)
		return sage_error_set(err, SAGE_ERR_INPUT,
							  "could not read ZIP member \"%s\": an earlier read failed",
							  m->entry.name);
	if (want == 0)
		return 0;
	for (;;)
	{
		size_t		got;
		bool		ended = false;

		if (m->method == ZIP_METHOD_STORED)
		{
			uint64_t	left = csize - zs->in_pos;

			got = left < want ? (size_t) left : want;
			memcpy(buf, zs->zip->data + m->data_offset + zs->in_pos, got);
			zs->in_pos += got;
			ended = zs->in_pos == csize;
		}
		else
		{
			z_stream   *z = &zs->inf->zs;
			uint64_t	left = csize - zs->in_pos;
			uInt		avail = left > UINT_MAX ? UINT_MAX : (uInt) left;
			int			rc;

			z->next_in = (Bytef *) (zs->zip->data + m->data_offset + zs->in_pos);
			z->avail_in = avail;
			z->next_out = buf;
			z->avail_out = (uInt) want;
			rc = inflate(z, Z_NO_FLUSH);
			zs->in_pos += avail - z->avail_in;
			got = want - z->avail_out;
			if (rc == Z_STREAM_END)
				ended = true;
			else if (rc == Z_MEM_ERROR)
			{
				sage_error_memory(err, NULL);
				return zip_stream_fail(zs);
			}
			else if (rc == Z_BUF_ERROR || (rc == Z_OK && got == 0 && avail == 0))
			{
				zip_corrupt(err, "member \"%s\" has truncated compressed data",
							m->entry.name);
				return zip_stream_fail(zs);
			}
			else if (rc != Z_OK)
			{
				zip_corrupt(err, "member \"%s\" has invalid compressed data: %s",
							m->entry.name, z->msg != NULL ? z->msg : "unknown error");
				return zip_stream_fail(zs);
			}
		}
		if (got > 0)
		{
			zs->crc = crc32(zs->crc, buf, (uInt) got);
			zs->produced += got;
			if (zip_stream_account(zs, err) < 0)
				return zip_stream_fail(zs);
		}
		if (ended && zip_stream_finish(zs, err) < 0)
			return zip_stream_fail(zs);
		if (got > 0)
			return (long) got;
		if (ended)
			return 0;
	}
}

/* SageStream close(): gives the inflate state back to the pool. */
static void
zip_stream_close(void *ctx)
{
	zip_stream_release((ZipStream *) ctx);
}

/*
 * zip_member_check
 *		Refuses members we cannot read: encrypted ones and methods other
 *		than stored and deflate.
 */
static int
zip_member_check(const ZipMember *m, SageError *err)
{
	if (m->entry.encrypted)
	{
		sage_error_set(err, SAGE_ERR_INPUT, "ZIP member \"%s\" is encrypted",
					   m->entry.name);
		sage_error_hint(err, "Submit the archive without a password.");
		return -1;
	}
	if (m->method != ZIP_METHOD_STORED && m->method != ZIP_METHOD_DEFLATE)
	{
		const char *what;

		switch (m->method)
		{
			case 9:
				what = " (deflate64)";
				break;
			case 12:
				what = " (bzip2)";
				break;
			case 14:
				what = " (LZMA)";
				break;
			case 93:
				what = " (Zstandard)";
				break;
			case 95:
				what = " (XZ)";
				break;
			case 99:
				what = " (AES encryption)";
				break;
			default:
				what = "";
				break;
		}
		sage_error_set(err, SAGE_ERR_INPUT,
					   "ZIP member \"%s\" uses unsupported compression method %u%s",
					   m->entry.name, (unsigned) m->method, what);
		sage_error_hint(err, "Only stored and deflate members can be read; recompress the archive with deflate.");
		return -1;
	}
	return 0;
}

int
sage_zip_member_stream(SageZip *zip, int index, SageStream *out, SageError *err)
{
	ZipMember  *m;
	ZipStream  *zs;

	if (index < 0 || index >= zip->count)
		return sage_error_set(err, SAGE_ERR_ARGUMENT, "ZIP member index %d is out of range",
							  index);
	m = &zip->members[index];
	if (zip_member_check(m, err) < 0)
		return -1;
	zs = sage_alloc0(zip->arena, sizeof(ZipStream));
	if (zs == NULL)
		return sage_error_memory(err, NULL);
	zs->zip = zip;
	zs->m = m;
	zs->crc = crc32(0L, Z_NULL, 0);
	zs->state = ZIP_STREAM_ACTIVE;
	if (m->method == ZIP_METHOD_DEFLATE)
	{
		ZipInflater *inf = zip->free_inflaters;

		if (inf != NULL)
		{
			zip->free_inflaters = inf->next;
			if (inflateReset(&inf->zs) != Z_OK)
				return sage_error_set(err, SAGE_ERR_INTERNAL, "could not reset inflate state");
		}
		else
		{
			inf = sage_alloc0(zip->arena, sizeof(ZipInflater));
			if (inf == NULL)
				return sage_error_memory(err, NULL);
			inf->zs.zalloc = zip_zalloc;
			inf->zs.zfree = zip_zfree;
			inf->zs.opaque = zip->arena;
			switch (inflateInit2(&inf->zs, -MAX_WBITS))
			{
				case Z_OK:
					break;
				case Z_MEM_ERROR:
					return sage_error_memory(err, NULL);
				default:
					return sage_error_set(err, SAGE_ERR_INTERNAL,
										  "could not initialize inflate state");
			}
		}
		inf->next = NULL;
		zs->inf = inf;
	}
	else if (m->entry.compressed_size == 0 && zip_stream_finish(zs, err) < 0)
	{
		/* an empty stored member is complete before the first read */
		zs->state = ZIP_STREAM_FAILED;
		return -1;
	}
	out->read = zip_stream_read;
	out->close = zip_stream_close;
	out->ctx = zs;
	return 0;
}

int
sage_zip_member_read(SageZip *zip, int index, char **data, size_t *len, SageError *err)
{
	const ZipMember *m;
	SageStream	s;
	char	   *buf;
	size_t		cap;
	size_t		got = 0;
	int			rc = 0;

	if (index < 0 || index >= zip->count)
		return sage_error_set(err, SAGE_ERR_ARGUMENT, "ZIP member index %d is out of range",
							  index);
	m = &zip->members[index];
	/* declared size is within max_member_uncompressed (checked at open) */
	if (m->entry.uncompressed_size >= SIZE_MAX)
		return sage_error_memory(err, NULL);
	cap = (size_t) m->entry.uncompressed_size;
	if (sage_zip_member_stream(zip, index, &s, err) < 0)
		return -1;
	buf = sage_alloc(zip->arena, cap + 1);
	if (buf == NULL)
	{
		zip_stream_close(s.ctx);
		return sage_error_memory(err, NULL);
	}
	for (;;)
	{
		long		n;

		if (got < cap)
			n = s.read(s.ctx, buf + got, cap - got, err);
		else
		{
			char		extra[256];

			/* full: the stream must end now (or fail on its own checks) */
			n = s.read(s.ctx, extra, sizeof(extra), err);
			if (n > 0)
			{
				zip_corrupt(err, "member \"%s\" is larger than it declares", m->entry.name);
				n = -1;
			}
		}
		if (n < 0)
		{
			rc = -1;
			break;
		}
		if (n == 0)
			break;
		got += (size_t) n;
	}
	zip_stream_close(s.ctx);
	if (rc < 0)
		return -1;
	buf[got] = '\0';
	*data = buf;
	*len = got;
	return 0;
}
