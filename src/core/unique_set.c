/*-------------------------------------------------------------------------
 *
 * src/core/unique_set.c
 *		Compact hash set for the unique check.
 *
 * The table holds 16-byte slots {hash, pool offset}; keys live in a pool
 * as {first line (8 bytes), length (4 bytes), bytes}. Comparing the stored
 * hash first means the pool is only touched on a real hash match, which
 * keeps a million-key check cache friendly. Memory is charged to the
 * execution's budget, so a file with too many distinct keys fails with a
 * clear "memory limit exceeded" instead of exhausting the host.
 *
 *-------------------------------------------------------------------------
 */
#include "processor_internal.h"

#include <string.h>

typedef struct UniqueSlot
{
	uint64_t	hash;			/* 0 = empty slot (real hashes are forced odd) */
	uint64_t	off;			/* offset of the entry in the pool */
} UniqueSlot;

struct UniqueSet
{
	SageBudget *budget;			/* charged for table and pool */
	UniqueSlot *slots;			/* open addressing, linear probing */
	size_t		nslots;			/* power of two */
	size_t		count;			/* keys stored */
	char	   *pool;			/* entries, back to back */
	size_t		pool_used;		/* bytes used in pool */
	size_t		pool_cap;		/* bytes allocated for pool */
};

#define ENTRY_HEADER 12			/* line (8) + length (4) */

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
	if (set == NULL)
		return;
	sage_budget_free(set->budget, set->slots, set->nslots * sizeof(UniqueSlot));
	sage_budget_free(set->budget, set->pool, set->pool_cap);
	sage_budget_free(set->budget, set, sizeof(UniqueSet));
}

/* Doubles the table, rehashing by the stored hashes only. */
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
		size_t		j;

		if (set->slots[k].hash == 0)
			continue;
		j = set->slots[k].hash & (newn - 1);
		while (ns[j].hash != 0)
			j = (j + 1) & (newn - 1);
		ns[j] = set->slots[k];
	}
	sage_budget_free(set->budget, set->slots, set->nslots * sizeof(UniqueSlot));
	set->slots = ns;
	set->nslots = newn;
	return 0;
}

int
sage_unique_set_insert(UniqueSet *set, const char *key, uint32_t len,
					   uint64_t line, uint64_t *first_line)
{
	uint64_t	h = unique_hash(key, len);
	size_t		j = h & (set->nslots - 1);
	size_t		need;
	char	   *e;

	while (set->slots[j].hash != 0)
	{
		if (set->slots[j].hash == h)
		{
			const char *p = set->pool + set->slots[j].off;
			uint32_t	elen;

			memcpy(&elen, p + 8, 4);
			if (elen == len && memcmp(p + ENTRY_HEADER, key, len) == 0)
			{
				memcpy(first_line, p, 8);
				return 0;
			}
		}
		j = (j + 1) & (set->nslots - 1);
	}

	need = ENTRY_HEADER + (size_t) len;
	if (set->pool_cap - set->pool_used < need)
	{
		size_t		ncap = set->pool_cap ? set->pool_cap * 2 : 64 * 1024;
		char	   *np;

		while (ncap - set->pool_used < need)
			ncap *= 2;
		np = sage_budget_realloc(set->budget, set->pool, set->pool_cap, ncap);
		if (np == NULL)
			return -1;
		set->pool = np;
		set->pool_cap = ncap;
	}
	e = set->pool + set->pool_used;
	memcpy(e, &line, 8);
	memcpy(e + 8, &len, 4);
	memcpy(e + ENTRY_HEADER, key, len);
	set->slots[j].hash = h;
	set->slots[j].off = set->pool_used;
	set->pool_used += need;
	set->count++;
	if (set->count * 4 > set->nslots * 3 && unique_grow(set) != 0)
		return -1;
	return 1;
}
