/*-------------------------------------------------------------------------
 *
 * src/include/sage/zip.h
 *		Read-only ZIP archives held in memory: listing, member lookup and
 *		streaming inflate, with limits against zip bombs.
 *
 * Nothing is ever extracted to disk, so member names cannot traverse
 * paths. Encrypted members, unsupported methods, ZIP64 inconsistencies and
 * CRC mismatches are input errors.
 *
 *-------------------------------------------------------------------------
 */
#ifndef SAGE_ZIP_H
#define SAGE_ZIP_H

#include "sage/common.h"

typedef struct SageZip SageZip;

/* Limits; a zero field takes the default shown. */
typedef struct SageZipLimits
{
	uint64_t	max_total_uncompressed; /* 4 GiB */
	uint64_t	max_member_uncompressed;	/* 2 GiB */
	uint32_t	max_members;	/* 10000 */
	uint32_t	max_ratio;		/* 200 (uncompressed / compressed, per member) */
} SageZipLimits;

/* One entry of the central directory. */
typedef struct SageZipEntry
{
	const char *name;			/* as stored (UTF-8 or CP437 converted) */
	uint64_t	compressed_size;
	uint64_t	uncompressed_size;
	bool		is_dir;
	bool		encrypted;
} SageZipEntry;

/* Opens an archive held in memory (data must outlive the SageZip). */
int			sage_zip_open(SageArena *arena, const void *data, size_t len,
						  const SageZipLimits *limits, SageZip **out, SageError *err);
int			sage_zip_count(const SageZip *zip);
const SageZipEntry *sage_zip_entry(const SageZip *zip, int index);
/* Exact path lookup; -1 when absent. */
int			sage_zip_find(const SageZip *zip, const char *name);
/* Streams a member's uncompressed bytes, checking size, ratio and CRC. */
int			sage_zip_member_stream(SageZip *zip, int index, SageStream *out, SageError *err);
/* Reads a whole member into the arena (bounded by the limits). */
int			sage_zip_member_read(SageZip *zip, int index, char **data, size_t *len, SageError *err);

#endif							/* SAGE_ZIP_H */
