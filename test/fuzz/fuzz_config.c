/*-------------------------------------------------------------------------
 *
 * test/fuzz/fuzz_config.c
 *		libFuzzer target: any bytes as a SAGE YAML configuration.
 *
 * Loading must either succeed or fail with a filled SageError, never
 * crash, leak or run away; a loaded configuration must also survive
 * selection for each supported extension. A small memory budget is used
 * on every other input so the out-of-memory paths are fuzzed too.
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sage/config.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	SageBudget	budget = {0, 0, 0};
	SageArena  *arena;
	SageError	err;
	SageConfig *c;

	/* inputs whose length is odd get a tight budget */
	if (size % 2 == 1)
		budget.limit = 64 * 1024 + size * 16;
	arena = sage_arena_new(&budget);
	if (arena == NULL)
		return 0;
	c = sage_config_load(arena, (const char *) data, size, &err);
	if (c == NULL)
	{
		if (err.code == SAGE_OK || err.message[0] == '\0')
			abort();
	}
	else
	{
		static const char *const files[] = {"a.csv", "b.xlsx", "c.zip", "d.xls", "e"};
		SageSelection sel;
		size_t		i;
		int			k;

		if (err.code != SAGE_OK)
			abort();
		for (i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		{
			if (sage_config_select(c, files[i], NULL, &sel, &err) == 0)
			{
				if (sel.package >= c->npackages || sel.catalog >= c->ncatalogs)
					abort();
			}
			else if (err.message[0] == '\0')
				abort();
		}
		for (k = 0; k < c->ncatalogs; k++)
			(void) sage_config_select(c, "x.csv", c->catalogs[k].key, &sel, &err);
		for (k = 0; k < c->npackages; k++)
		{
			int			j;

			(void) sage_config_select(c, "x.zip", c->packages[k].key, &sel, &err);
			for (j = 0; j < c->packages[k].ncatalogs; j++)
				if (c->packages[k].catalogs[j] < 0 ||
					c->packages[k].catalogs[j] >= c->ncatalogs)
					abort();
		}
	}
	sage_arena_free(arena);
	return 0;
}
