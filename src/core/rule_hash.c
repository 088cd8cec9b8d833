/*-------------------------------------------------------------------------
 *
 * src/core/rule_hash.c
 *		Hash sets of values for isin(), the in operator, duplicated(),
 *		nunique() and is_unique.
 *
 * Values are compared the way pandas compares them: strings by their
 * bytes, integers and datetimes exactly, and numbers as doubles as soon as
 * a float is involved (1 == 1.0; -0.0 == 0.0). Values of types that never
 * compare equal (a string and a number) simply never match. Missing values
 * are kept apart (has_missing) because pandas' isin and duplicated treat
 * NaN/None as equal to each other.
 *
 * Open addressing with linear probing, load factor at most one half; the
 * stored 64-bit hash is never 0 so that 0 marks an empty slot.
 *
 *-------------------------------------------------------------------------
 */
#include "rule_internal.h"

#include <string.h>

/* splitmix64 finalizer: good avalanche for integer keys. */
static uint64_t
hash_mix(uint64_t x)
{
	x ^= x >> 30;
	x *= UINT64_C(0xbf58476d1ce4e5b9);
	x ^= x >> 27;
	x *= UINT64_C(0x94d049bb133111eb);
	x ^= x >> 31;
	return x ? x : 1;
}

/* FNV-1a over the bytes, then mixed. */
static uint64_t
hash_bytes(const char *s, size_t len)
{
	uint64_t	h = UINT64_C(0xcbf29ce484222325);

	for (size_t i = 0; i < len; i++)
	{
		h ^= (unsigned char) s[i];
		h *= UINT64_C(0x100000001b3);
	}
	return hash_mix(h ^ len);
}

int
sage_rule_key_kind(RuleType a, RuleType b)
{
	bool		na = a == RT_INT || a == RT_BOOL || a == RT_FLOAT;
	bool		nb = b == RT_INT || b == RT_BOOL || b == RT_FLOAT;

	if (a == RT_STR && b == RT_STR)
		return RK_STR;
	if (a == RT_DT && b == RT_DT)
		return RK_INT;
	if (na && nb)
		return (a == RT_FLOAT || b == RT_FLOAT) ? RK_FLOAT : RK_INT;
	return -1;
}

RuleSet *
sage_rule_set_new(SageArena *arena, RuleKeyKind kind, size_t expected)
{
	RuleSet    *set = sage_alloc0(arena, sizeof(RuleSet));
	size_t		cap = 16;

	if (set == NULL)
		return NULL;
	while (cap < expected * 2 + 2)
	{
		if (cap > SIZE_MAX / 4)
			return NULL;
		cap *= 2;
	}
	set->kind = kind;
	set->cap = cap;
	set->hashes = sage_alloc0(arena, sizeof(uint64_t) * cap);
	if (set->hashes == NULL)
		return NULL;
	if (kind == RK_STR)
	{
		set->skeys = sage_alloc(arena, sizeof(char *) * cap);
		set->slens = sage_alloc(arena, sizeof(uint32_t) * cap);
		if (set->skeys == NULL || set->slens == NULL)
			return NULL;
	}
	else
	{
		set->ikeys = sage_alloc(arena, sizeof(int64_t) * cap);
		if (set->ikeys == NULL)
			return NULL;
	}
	return set;
}

/* A key extracted from a value, in the set's kind. */
typedef struct HashKey
{
	uint64_t	hash;			/* never 0 */
	int64_t		ikey;			/* RK_INT, RK_FLOAT (bits) */
	const char *s;				/* RK_STR */
	uint32_t	len;
} HashKey;

/* Builds the key of a value of type t; false when it cannot be in the set. */
static bool
hash_key(const RuleSet *set, RuleType t, bool b, int64_t i, double f, const char *s,
		 uint32_t len, HashKey *key)
{
	switch (set->kind)
	{
		case RK_STR:
			if (t != RT_STR)
				return false;
			key->s = s;
			key->len = len;
			key->hash = hash_bytes(s, len);
			return true;
		case RK_INT:
			if (t == RT_BOOL)
				key->ikey = b ? 1 : 0;
			else if (t == RT_INT || t == RT_DT)
				key->ikey = i;
			else
				return false;
			key->hash = hash_mix((uint64_t) key->ikey);
			return true;
		case RK_FLOAT:
			{
				double		d;

				if (t == RT_BOOL)
					d = b ? 1.0 : 0.0;
				else if (t == RT_INT)
					d = (double) i;
				else if (t == RT_FLOAT)
					d = f;
				else
					return false;
				if (d == 0.0)
					d = 0.0;	/* -0.0 equals 0.0 */
				memcpy(&key->ikey, &d, sizeof(d));
				key->hash = hash_mix((uint64_t) key->ikey);
				return true;
			}
	}
	return false;
}

/* Slot of key: where it is, or the empty slot where it would go. */
static size_t
hash_find(const RuleSet *set, const HashKey *key, bool *found)
{
	size_t		mask = set->cap - 1;
	size_t		i = (size_t) key->hash & mask;

	for (;;)
	{
		uint64_t	h = set->hashes[i];

		if (h == 0)
		{
			*found = false;
			return i;
		}
		if (h == key->hash)
		{
			if (set->kind == RK_STR)
			{
				if (set->slens[i] == key->len &&
					(key->len == 0 || memcmp(set->skeys[i], key->s, key->len) == 0))
				{
					*found = true;
					return i;
				}
			}
			else if (set->ikeys[i] == key->ikey)
			{
				*found = true;
				return i;
			}
		}
		i = (i + 1) & mask;
	}
}

/* Doubles the table. */
static int
hash_grow(SageArena *arena, RuleSet *set)
{
	RuleSet		bigger = *set;
	size_t		ncap = set->cap * 2;

	bigger.cap = ncap;
	bigger.hashes = sage_alloc0(arena, sizeof(uint64_t) * ncap);
	if (bigger.hashes == NULL)
		return -1;
	if (set->kind == RK_STR)
	{
		bigger.skeys = sage_alloc(arena, sizeof(char *) * ncap);
		bigger.slens = sage_alloc(arena, sizeof(uint32_t) * ncap);
		if (bigger.skeys == NULL || bigger.slens == NULL)
			return -1;
	}
	else
	{
		bigger.ikeys = sage_alloc(arena, sizeof(int64_t) * ncap);
		if (bigger.ikeys == NULL)
			return -1;
	}
	for (size_t i = 0; i < set->cap; i++)
	{
		HashKey		k;
		bool		found;
		size_t		slot;

		if (set->hashes[i] == 0)
			continue;
		k.hash = set->hashes[i];
		k.ikey = set->kind == RK_STR ? 0 : set->ikeys[i];
		k.s = set->kind == RK_STR ? set->skeys[i] : NULL;
		k.len = set->kind == RK_STR ? set->slens[i] : 0;
		slot = hash_find(&bigger, &k, &found);
		bigger.hashes[slot] = k.hash;
		if (set->kind == RK_STR)
		{
			bigger.skeys[slot] = k.s;
			bigger.slens[slot] = k.len;
		}
		else
			bigger.ikeys[slot] = k.ikey;
	}
	*set = bigger;
	return 0;
}

/* Inserts a key; 1 new, 0 present, -1 out of memory. */
static int
hash_insert(SageArena *arena, RuleSet *set, const HashKey *key)
{
	bool		found;
	size_t		slot;

	if ((set->count + 1) * 2 > set->cap && hash_grow(arena, set) < 0)
		return -1;
	slot = hash_find(set, key, &found);
	if (found)
		return 0;
	set->hashes[slot] = key->hash;
	if (set->kind == RK_STR)
	{
		set->skeys[slot] = key->s;
		set->slens[slot] = key->len;
	}
	else
		set->ikeys[slot] = key->ikey;
	set->count++;
	return 1;
}

/* Extracts element i of v as a key. */
static bool
hash_vec_key(const RuleSet *set, const RuleVec *v, size_t i, HashKey *key)
{
	switch (v->type)
	{
		case RT_STR:
			return hash_key(set, RT_STR, false, 0, 0, v->s[i], v->len[i], key);
		case RT_BOOL:
			return hash_key(set, RT_BOOL, v->b[i] != 0, 0, 0, NULL, 0, key);
		case RT_INT:
		case RT_DT:
			return hash_key(set, v->type, false, v->i[i], 0, NULL, 0, key);
		case RT_FLOAT:
			return hash_key(set, RT_FLOAT, false, 0, v->f[i], NULL, 0, key);
		default:
			return false;
	}
}

int
sage_rule_set_add(SageArena *arena, RuleSet *set, const RuleVec *v, size_t i)
{
	HashKey		key;
	size_t		k = v->scalar ? 0 : i;

	if (!v->valid[k])
	{
		if (set->has_missing)
			return 0;
		set->has_missing = true;
		return 1;
	}
	if (!hash_vec_key(set, v, k, &key))
		return 0;
	return hash_insert(arena, set, &key);
}

int
sage_rule_set_add_scalar(SageArena *arena, RuleSet *set, const RuleScalar *sc)
{
	HashKey		key;

	if (!sc->valid)
	{
		set->has_missing = true;
		return 0;
	}
	if (!hash_key(set, sc->type, sc->b, sc->i, sc->f, sc->s, sc->len, &key))
		return 0;
	return hash_insert(arena, set, &key);
}

bool
sage_rule_set_contains(const RuleSet *set, const RuleVec *v, size_t i)
{
	HashKey		key;
	bool		found;
	size_t		k = v->scalar ? 0 : i;

	if (!v->valid[k])
		return set->has_missing;
	if (set->count == 0 || !hash_vec_key(set, v, k, &key))
		return false;
	hash_find(set, &key, &found);
	return found;
}
