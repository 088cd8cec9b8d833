/*-------------------------------------------------------------------------
 *
 * src/core/unique_set.c
 *		Compact hash set for the unique check.
 *
 * The table holds 8-byte slots {hash tag, pool location}; keys live in a
 * pool as {first line (varint), length (varint), bytes}. Comparing the
 * stored tag first means the pool is only touched on a likely match, which
 * keeps a million-key check cache friendly; a 10-byte key costs about 30
 * bytes in all. Memory is charged to the
 * execution's budget, so a file with too many distinct keys fails with a
 * clear "memory limit exceeded" instead of exhausting the host.
 *
 *-------------------------------------------------------------------------
 */
#include "processor_internal.h"

#include <string.h>

/*
 * A slot is 8 bytes: the top 24 bits are a tag from the key's hash, the
 * low 40 bits locate the entry in the pool (chunk << 24 | offset) plus
 * one, so that 0 means empty. Entries never move: the pool is a list of
 * chunks, which keeps growth free of large copies.
 */
typedef uint64_t UniqueSlot;

#define SLOT_LOC_BITS 40
#define CHUNK_POS_BITS 24
#define CHUNK_SIZE ((size_t) 1 << 20)	/* ordinary chunk */
#define MAX_CHUNKS ((size_t) 1 << (SLOT_LOC_BITS - CHUNK_POS_BITS))

struct UniqueSet
{
	SageBudget *budget;			/* charged for table and pool */
	UniqueSlot *slots;			/* open addressing, linear probing */
	size_t		nslots;			/* power of two */
	size_t		count;			/* keys stored */
	char	  **chunks;			/* pool chunks */
	size_t	   *chunk_sizes;	/* their allocated sizes */
	size_t		nchunks;		/* chunks in use */
	size_t		chunks_cap;		/* length of the two arrays */
	size_t		chunk_used;		/* bytes used in the last chunk */
};

/*
 * unique_hash
 *		A fast 64-bit hash (multiply-xorshift over 8-byte words); the set
 *		is not exposed to hash flooding beyond one file's own keys, and a
 *		flood would only slow the check, never break it.
 */
static uint64_t
unique_hash(const char *key, uint32_t len)
{
	uint64_t	h = 0x9E3779B97F4A7C15ULL ^ ((uint64_t) len * 0xC2B2AE3D27D4EB4FULL);
	uint32_t	i = 0;

	while (i + 8 <= len)
	{
		uint64_t	w;

		memcpy(&w, key + i, 8);
		h ^= w * 0x87C37B91114253D5ULL;
		h = (h << 31) | (h >> 33);
		h *= 0x4CF5AD432745937FULL;
		i += 8;
	}
	if (i < len)
	{
		uint64_t	w = 0;

		memcpy(&w, key + i, len - i);
		h ^= w * 0x87C37B91114253D5ULL;
		h = (h << 31) | (h >> 33);
		h *= 0x4CF5AD432745937FULL;
	}
	h ^= h >> 33;
	h *= 0xFF51AFD7ED558CCDULL;
	h ^= h >> 33;
	return h | 1;
}

UniqueSet *
sage_unique_set_new(SageBudget *budget)
{
	UniqueSet  *set = sage_budget_malloc(budget, sizeof(UniqueSet));

	if (set == NULL)
		return NULL;
	memset(set, 0, sizeof(UniqueSet));
	set->budget = budget;
	set->nslots = 1024;
	set->slots = sage_budget_malloc(budget, set->nslots * sizeof(UniqueSlot));
	if (set->slots == NULL)
	{
		sage_budget_free(budget, set, sizeof(UniqueSet));
		return NULL;
	}
	memset(set->slots, 0, set->nslots * sizeof(UniqueSlot));
	return set;
}

void
sage_unique_set_free(UniqueSet *set)
{
	size_t		k;

	if (set == NULL)
		return;
	for (k = 0; k < set->nchunks; k++)
		sage_budget_free(set->budget, set->chunks[k], set->chunk_sizes[k]);
	sage_budget_free(set->budget, set->chunks, set->chunks_cap * sizeof(char *));
	sage_budget_free(set->budget, set->chunk_sizes, set->chunks_cap * sizeof(size_t));
	sage_budget_free(set->budget, set->slots, set->nslots * sizeof(UniqueSlot));
	sage_budget_free(set->budget, set, sizeof(UniqueSet));
}

/* Reads a varint at *p, advancing it. */
static inline uint64_t
varint_get(const unsigned char **p)
{
	uint64_t	v = 0;
	int			shift = 0;

	for (;;)
	{
		unsigned char c = *(*p)++;

		v |= (uint64_t) (c & 0x7f) << shift;
		if ((c & 0x80) == 0)
			return v;
		shift += 7;
	}
}

/* Writes v as a varint at p; returns the bytes used (at most 10). */
static inline size_t
varint_put(unsigned char *p, uint64_t v)
{
	size_t		n = 0;

	do
	{
		p[n++] = (unsigned char) ((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
		v >>= 7;
	} while (v != 0);
	return n;
}

/* Entry layout: first line (varint), key length (varint), key bytes. */
static const char *
entry_at(const UniqueSet *set, UniqueSlot slot, uint32_t *len, uint64_t *line)
{
	uint64_t	loc = (slot & (((uint64_t) 1 << SLOT_LOC_BITS) - 1)) - 1;
	const unsigned char *p = (const unsigned char *) set->chunks[loc >> CHUNK_POS_BITS] +
		(loc & (((uint64_t) 1 << CHUNK_POS_BITS) - 1));

	*line = varint_get(&p);
	*len = (uint32_t) varint_get(&p);
	return (const char *) p;
}

static inline uint64_t
slot_tag(uint64_t h)
{
	return (h >> 40) << SLOT_LOC_BITS;
}

/* Doubles the table, rehashing every key from the pool. */
static int
unique_grow(UniqueSet *set)
{
	size_t		newn = set->nslots * 2;
	UniqueSlot *ns = sage_budget_malloc(set->budget, newn * sizeof(UniqueSlot));
	size_t		k;

	if (ns == NULL)
		return -1;
	memset(ns, 0, newn * sizeof(UniqueSlot));
	for (k = 0; k < set->nslots; k++)
	{
		uint32_t	len;
		uint64_t	line;
		const char *key;
		size_t		j;

		if (set->slots[k] == 0)
			continue;
		key = entry_at(set, set->slots[k], &len, &line);
		j = unique_hash(key, len) & (newn - 1);
		while (ns[j] != 0)
			j = (j + 1) & (newn - 1);
		ns[j] = set->slots[k];
	}
	sage_budget_free(set->budget, set->slots, set->nslots * sizeof(UniqueSlot));
	set->slots = ns;
	set->nslots = newn;
	return 0;
}

/* Room for need bytes in the pool; returns the entry's location or -1. */
static int64_t
pool_reserve(UniqueSet *set, size_t need)
{
	size_t		last = set->nchunks - 1;
	size_t		size;

	if (set->nchunks > 0 && set->chunk_sizes[last] - set->chunk_used >= need &&
		set->chunk_used + need <= ((size_t) 1 << CHUNK_POS_BITS))
	{
		int64_t		loc = (int64_t) ((last << CHUNK_POS_BITS) | set->chunk_used);

		set->chunk_used += need;
		return loc;
	}
	if (set->nchunks == MAX_CHUNKS)
		return -1;
	if (set->nchunks == set->chunks_cap)
	{
		size_t		ncap = set->chunks_cap ? set->chunks_cap * 2 : 16;
		char	  **nc = sage_budget_realloc(set->budget, set->chunks,
											 set->chunks_cap * sizeof(char *),
											 ncap * sizeof(char *));
		size_t	   *ns;

		if (nc == NULL)
			return -1;
		set->chunks = nc;
		ns = sage_budget_realloc(set->budget, set->chunk_sizes,
								 set->chunks_cap * sizeof(size_t), ncap * sizeof(size_t));
		if (ns == NULL)
			return -1;
		set->chunk_sizes = ns;
		set->chunks_cap = ncap;
	}
	/* the first chunk starts small so tiny files stay tiny */
	size = set->nchunks == 0 ? 16 * 1024 : CHUNK_SIZE;
	if (size < need)
		size = need;
	set->chunks[set->nchunks] = sage_budget_malloc(set->budget, size);
	if (set->chunks[set->nchunks] == NULL)
		return -1;
	set->chunk_sizes[set->nchunks] = size;
	set->nchunks++;
	set->chunk_used = need;
	return (int64_t) ((set->nchunks - 1) << CHUNK_POS_BITS);
}

int
sage_unique_set_insert(UniqueSet *set, const char *key, uint32_t len,
					   uint64_t line, uint64_t *first_line)
{
	uint64_t	h = unique_hash(key, len);
	uint64_t	tag = slot_tag(h);
	size_t		j = h & (set->nslots - 1);
	unsigned char hdr[20];
	size_t		hlen;
	int64_t		loc;
	char	   *e;

	while (set->slots[j] != 0)
	{
		if ((set->slots[j] & ~((((uint64_t) 1) << SLOT_LOC_BITS) - 1)) == tag)
		{
			uint32_t	elen;
			uint64_t	eline;
			const char *ekey = entry_at(set, set->slots[j], &elen, &eline);

			if (elen == len && memcmp(ekey, key, len) == 0)
			{
				*first_line = eline;
				return 0;
			}
		}
		j = (j + 1) & (set->nslots - 1);
	}

	hlen = varint_put(hdr, line);
	hlen += varint_put(hdr + hlen, len);
	loc = pool_reserve(set, hlen + len);
	if (loc < 0)
		return -1;
	e = set->chunks[loc >> CHUNK_POS_BITS] + (loc & (((int64_t) 1 << CHUNK_POS_BITS) - 1));
	memcpy(e, hdr, hlen);
	memcpy(e + hlen, key, len);
	set->slots[j] = tag | ((uint64_t) loc + 1);
	set->count++;
	if (set->count * 4 > set->nslots * 3 && unique_grow(set) != 0)
		return -1;
	return 1;
}
