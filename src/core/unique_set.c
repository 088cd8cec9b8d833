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
#include <sys/mman.h>

/* Tables from this size on are backed by huge pages where possible. */
#define UNIQUE_HUGE_MIN		((size_t) 4 << 20)
#define UNIQUE_PAGE			((size_t) 2 << 20)
/* Largest table sage_unique_set_reserve() makes (16 MB of slots). */
#define UNIQUE_RESERVE_MAX_SLOTS	((size_t) 1 << 21)

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
	size_t	   *chunk_fills;	/* bytes used in each chunk but the last */
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
static inline uint64_t
unique_mix(uint64_t h, uint64_t w)
{
	h ^= w * 0x87C37B91114253D5ULL;
	h = (h << 31) | (h >> 33);
	return h * 0x4CF5AD432745937FULL;
}

static inline uint64_t
unique_hash(const char *key, uint32_t len)
{
	uint64_t	h = 0x9E3779B97F4A7C15ULL ^ ((uint64_t) len * 0xC2B2AE3D27D4EB4FULL);
	uint64_t	w;

	/*
	 * Fixed-size loads only (a variable-length memcpy would be a library
	 * call per key): the last word overlaps the previous one, and short
	 * keys are read as two overlapping halves; the length is in the seed.
	 */
	if (len >= 8)
	{
		uint32_t	i = 0;

		for (; i + 8 <= len; i += 8)
		{
			memcpy(&w, key + i, 8);
			h = unique_mix(h, w);
		}
		if (i < len)
		{
			memcpy(&w, key + len - 8, 8);
			h = unique_mix(h, w);
		}
	}
	else if (len >= 4)
	{
		uint32_t	a,
					b;

		memcpy(&a, key, 4);
		memcpy(&b, key + len - 4, 4);
		h = unique_mix(h, (uint64_t) a | ((uint64_t) b << 32));
	}
	else if (len > 0)
	{
		w = (uint64_t) (unsigned char) key[0] |
			((uint64_t) (unsigned char) key[len / 2] << 8) |
			((uint64_t) (unsigned char) key[len - 1] << 16);
		h = unique_mix(h, w);
	}
	h ^= h >> 33;
	h *= 0xFF51AFD7ED558CCDULL;
	h ^= h >> 33;
	return h | 1;
}

/* Entries rehashed together by unique_grow(), their stores prefetched. */
#define GROW_BATCH 16

/*
 * unique_table_alloc
 *		A zeroed table of n slots. Big tables are asked to be backed by huge
 *		pages: every probe is a random access, and with 4 kB pages each one
 *		would also miss the TLB.
 */
static UniqueSlot *
unique_table_alloc(SageBudget *budget, size_t n)
{
	size_t		bytes = n * sizeof(UniqueSlot);
	UniqueSlot *t = sage_budget_malloc(budget, bytes);

#ifdef MADV_HUGEPAGE
	if (t != NULL && bytes >= UNIQUE_HUGE_MIN)
	{
		uintptr_t	a = ((uintptr_t) t + UNIQUE_PAGE - 1) & ~(uintptr_t) (UNIQUE_PAGE - 1);
		uintptr_t	b = ((uintptr_t) t + bytes) & ~(uintptr_t) (UNIQUE_PAGE - 1);

		if (b > a)
			(void) madvise((void *) a, b - a, MADV_HUGEPAGE);
	}
#endif
	if (t != NULL)
		memset(t, 0, bytes);
	return t;
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
	set->slots = unique_table_alloc(budget, set->nslots);
	if (set->slots == NULL)
	{
		sage_budget_free(budget, set, sizeof(UniqueSet));
		return NULL;
	}
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
	sage_budget_free(set->budget, set->chunk_fills, set->chunks_cap * sizeof(size_t));
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

/*
 * Doubles the table, rehashing every key from the pool. The pool is walked
 * in order rather than through the old slots, so reading it costs no cache
 * miss per key; the stores into the new table are random, so they go in
 * batches whose target slots are prefetched first.
 */
static int
unique_grow_to(UniqueSet *set, size_t newn)
{
	size_t		mask = newn - 1;
	UniqueSlot *ns = unique_table_alloc(set->budget, newn);
	UniqueSlot	pend[GROW_BATCH];
	size_t		home[GROW_BATCH];
	int			npend = 0;
	size_t		k;
	int			i;

	if (ns == NULL)
		return -1;
	for (k = 0; k < set->nchunks; k++)
	{
		const unsigned char *base = (const unsigned char *) set->chunks[k];
		const unsigned char *p = base;
		const unsigned char *end = base +
			(k + 1 == set->nchunks ? set->chunk_used : set->chunk_fills[k]);

		while (p < end)
		{
			uint64_t	loc = ((uint64_t) k << CHUNK_POS_BITS) | (uint64_t) (p - base);
			uint32_t	len;
			uint64_t	h;

			(void) varint_get(&p);
			len = (uint32_t) varint_get(&p);
			h = unique_hash((const char *) p, len);
			p += len;
			home[npend] = h & mask;
			pend[npend++] = slot_tag(h) | (loc + 1);
			__builtin_prefetch(&ns[h & mask], 1);
			if (npend < GROW_BATCH)
				continue;
			for (i = 0; i < npend; i++)
			{
				size_t		j = home[i];

				while (ns[j] != 0)
					j = (j + 1) & mask;
				ns[j] = pend[i];
			}
			npend = 0;
		}
	}
	for (i = 0; i < npend; i++)
	{
		size_t		j = home[i];

		while (ns[j] != 0)
			j = (j + 1) & mask;
		ns[j] = pend[i];
	}
	sage_budget_free(set->budget, set->slots, set->nslots * sizeof(UniqueSlot));
	set->slots = ns;
	set->nslots = newn;
	return 0;
}

/* Doubles the table (at three quarters full). */
static int
unique_grow(UniqueSet *set)
{
	return unique_grow_to(set, set->nslots * 2);
}

/*
 * sage_unique_set_reserve
 *		Sizes the table for about keys entries at once, so that a big file
 *		does not pay for every doubling (each one rehashes every key with a
 *		random write). The table never grows past UNIQUE_RESERVE_MAX_SLOTS
 *		here, so a wrong guess (a file of few distinct keys) costs at most
 *		that much; past it, the table doubles as before.
 */
int
sage_unique_set_reserve(UniqueSet *set, size_t keys)
{
	size_t		want = set->nslots;

	if (keys > UNIQUE_RESERVE_MAX_SLOTS)
		keys = UNIQUE_RESERVE_MAX_SLOTS;
	while (want < UNIQUE_RESERVE_MAX_SLOTS && keys * 4 > want * 3)
		want *= 2;
	if (want <= set->nslots)
		return 0;
	return unique_grow_to(set, want);
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
		ns = sage_budget_realloc(set->budget, set->chunk_fills,
								 set->chunks_cap * sizeof(size_t), ncap * sizeof(size_t));
		if (ns == NULL)
			return -1;
		set->chunk_fills = ns;
		set->chunks_cap = ncap;
	}
	if (set->nchunks > 0)
		set->chunk_fills[last] = set->chunk_used;
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

uint64_t
sage_unique_set_prefetch(const UniqueSet *set, const char *key, uint32_t len)
{
	uint64_t	h = unique_hash(key, len);

	__builtin_prefetch(&set->slots[h & (set->nslots - 1)], 0);
	return h;
}

int
sage_unique_set_insert(UniqueSet *set, const char *key, uint32_t len,
					   uint64_t line, uint64_t *first_line)
{
	return sage_unique_set_insert_hashed(set, unique_hash(key, len), key, len,
										 line, first_line);
}

int
sage_unique_set_insert_hashed(UniqueSet *set, uint64_t h, const char *key,
							  uint32_t len, uint64_t line, uint64_t *first_line)
{
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
