/*-------------------------------------------------------------------------
 *
 * src/core/arena.c
 *		Bump allocator and memory budget.
 *
 * An execution's memory ceiling is a SageBudget shared by its arenas and
 * by the few growing buffers allocated one by one (hash sets, columns).
 * Arenas take memory in blocks and free everything at once, which keeps the
 * per-record path free of malloc/free pairs.
 *
 *-------------------------------------------------------------------------
 */
#include "sage/common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARENA_MIN_BLOCK (64 * 1024)
#define ARENA_ALIGN 16

typedef struct ArenaBlock
{
	struct ArenaBlock *next;	/* previous block in allocation order */
	size_t		size;			/* usable bytes after the header */
	size_t		used;			/* bytes handed out from this block */
} ArenaBlock;

struct SageArena
{
	SageBudget *budget;			/* charged for every block; may be NULL */
	ArenaBlock *blocks;			/* newest first */
	size_t		allocated;		/* bytes handed out */
	bool		failed;			/* an allocation hit the ceiling */
};

#define BLOCK_HEADER (((sizeof(ArenaBlock) + ARENA_ALIGN - 1) / ARENA_ALIGN) * ARENA_ALIGN)

/*
 * budget_charge
 *		Accounts size bytes, refusing when the ceiling would be passed.
 */
static bool
budget_charge(SageBudget *budget, size_t size)
{
	if (budget == NULL)
		return true;
	if (budget->limit != 0 &&
		(size > budget->limit || budget->used > budget->limit - size))
		return false;
	budget->used += size;
	if (budget->used > budget->peak)
		budget->peak = budget->used;
	return true;
}

static void
budget_release(SageBudget *budget, size_t size)
{
	if (budget != NULL)
		budget->used = size > budget->used ? 0 : budget->used - size;
}

void *
sage_budget_malloc(SageBudget *budget, size_t size)
{
	void	   *p;

	if (!budget_charge(budget, size))
		return NULL;
	p = malloc(size ? size : 1);
	if (p == NULL)
		budget_release(budget, size);
	return p;
}

void *
sage_budget_realloc(SageBudget *budget, void *ptr, size_t oldsize, size_t newsize)
{
	void	   *p;

	if (newsize > oldsize && !budget_charge(budget, newsize - oldsize))
		return NULL;
	p = realloc(ptr, newsize ? newsize : 1);
	if (p == NULL)
	{
		if (newsize > oldsize)
			budget_release(budget, newsize - oldsize);
		return NULL;
	}
	if (newsize < oldsize)
		budget_release(budget, oldsize - newsize);
	return p;
}

void
sage_budget_free(SageBudget *budget, void *ptr, size_t size)
{
	if (ptr == NULL)
		return;
	free(ptr);
	budget_release(budget, size);
}

SageArena *
sage_arena_new(SageBudget *budget)
{
	SageArena  *arena = calloc(1, sizeof(SageArena));

	if (arena == NULL)
		return NULL;
	arena->budget = budget;
	return arena;
}

void
sage_arena_free(SageArena *arena)
{
	ArenaBlock *b;

	if (arena == NULL)
		return;
	b = arena->blocks;
	while (b != NULL)
	{
		ArenaBlock *next = b->next;

		sage_budget_free(arena->budget, b, BLOCK_HEADER + b->size);
		b = next;
	}
	free(arena);
}

void *
sage_alloc(SageArena *arena, size_t size)
{
	ArenaBlock *b = arena->blocks;
	size_t		need = (size + ARENA_ALIGN - 1) & ~((size_t) ARENA_ALIGN - 1);
	char	   *p;

	if (need < size)
	{
		arena->failed = true;
		return NULL;
	}
	if (b == NULL || b->size - b->used < need)
	{
		size_t		bsize = need > ARENA_MIN_BLOCK ? need : ARENA_MIN_BLOCK;

		/* grow block size with the arena so big arenas use few blocks */
		if (arena->allocated / 4 > bsize && arena->allocated / 4 < (size_t) 8 << 20)
			bsize = arena->allocated / 4;
		if (bsize > SIZE_MAX - BLOCK_HEADER)
		{
			arena->failed = true;
			return NULL;
		}
		b = sage_budget_malloc(arena->budget, BLOCK_HEADER + bsize);
		if (b == NULL)
		{
			arena->failed = true;
			return NULL;
		}
		b->size = bsize;
		b->used = 0;
		b->next = arena->blocks;
		arena->blocks = b;
	}
	p = (char *) b + BLOCK_HEADER + b->used;
	b->used += need;
	arena->allocated += need;
	return p;
}

void *
sage_alloc0(SageArena *arena, size_t size)
{
	void	   *p = sage_alloc(arena, size);

	if (p != NULL)
		memset(p, 0, size);
	return p;
}

/*
 * sage_realloc
 *		Grows in place when ptr is the last allocation of the newest block,
 *		otherwise copies; the old space is only reclaimed with the arena.
 */
void *
sage_realloc(SageArena *arena, void *ptr, size_t oldsize, size_t newsize)
{
	ArenaBlock *b = arena->blocks;
	void	   *p;

	if (ptr == NULL)
		return sage_alloc(arena, newsize);
	if (newsize <= oldsize)
		return ptr;
	if (b != NULL)
	{
		size_t		oldneed = (oldsize + ARENA_ALIGN - 1) & ~((size_t) ARENA_ALIGN - 1);
		size_t		newneed = (newsize + ARENA_ALIGN - 1) & ~((size_t) ARENA_ALIGN - 1);
		char	   *start = (char *) b + BLOCK_HEADER;

		if ((char *) ptr + oldneed == start + b->used &&
			newneed >= oldneed &&
			b->size - b->used >= newneed - oldneed)
		{
			b->used += newneed - oldneed;
			arena->allocated += newneed - oldneed;
			return ptr;
		}
	}
	p = sage_alloc(arena, newsize);
	if (p != NULL)
		memcpy(p, ptr, oldsize);
	return p;
}

char *
sage_strndup(SageArena *arena, const char *s, size_t len)
{
	char	   *p = sage_alloc(arena, len + 1);

	if (p == NULL)
		return NULL;
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

char *
sage_strdup(SageArena *arena, const char *s)
{
	return s == NULL ? NULL : sage_strndup(arena, s, strlen(s));
}

char *
sage_printf(SageArena *arena, const char *fmt,...)
{
	va_list		ap;
	int			n;
	char	   *p;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return NULL;
	p = sage_alloc(arena, (size_t) n + 1);
	if (p == NULL)
		return NULL;
	va_start(ap, fmt);
	vsnprintf(p, (size_t) n + 1, fmt, ap);
	va_end(ap);
	return p;
}

bool
sage_arena_failed(const SageArena *arena)
{
	return arena->failed;
}

size_t
sage_arena_allocated(const SageArena *arena)
{
	return arena->allocated;
}
