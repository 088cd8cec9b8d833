/*-------------------------------------------------------------------------
 *
 * src/core/table_buffer.c
 *		Typed columns collected while a file is read, and the SageTable
 *		views the rule engine evaluates.
 *
 * Only the columns some rule reads are collected (ColumnBuffer.loaded), so
 * a file whose rules read two columns keeps two columns, whatever its
 * width. Arrays grow by doubling and are charged to the execution budget;
 * string values are copied into an arena that is reset with the buffer.
 *
 *-------------------------------------------------------------------------
 */
#include "processor_internal.h"

#include <string.h>

int
sage_table_buffer_init(TableBuffer *tb, SageBudget *budget, int ncols)
{
	memset(tb, 0, sizeof(TableBuffer));
	tb->budget = budget;
	tb->ncols = ncols;
	tb->strings = sage_arena_new(budget);
	tb->cols = sage_budget_malloc(budget, sizeof(ColumnBuffer) * (size_t) (ncols + 1));
	tb->views = sage_budget_malloc(budget, sizeof(SageColumn) * (size_t) (ncols + 1));
	tb->present = sage_budget_malloc(budget, (size_t) ncols + 1);
	if (tb->strings == NULL || tb->cols == NULL || tb->views == NULL || tb->present == NULL)
		return -1;
	memset(tb->cols, 0, sizeof(ColumnBuffer) * (size_t) (ncols + 1));
	return 0;
}

/* Frees the arrays of one column. */
static void
column_free(SageBudget *budget, ColumnBuffer *c)
{
	sage_budget_free(budget, c->valid, c->cap);
	sage_budget_free(budget, c->s, c->cap * sizeof(char *));
	sage_budget_free(budget, c->slen, c->cap * sizeof(uint32_t));
	sage_budget_free(budget, c->i, c->cap * sizeof(int64_t));
	sage_budget_free(budget, c->f, c->cap * sizeof(double));
	sage_budget_free(budget, c->b, c->cap);
	c->valid = NULL;
	c->s = NULL;
	c->slen = NULL;
	c->i = NULL;
	c->f = NULL;
	c->b = NULL;
	c->cap = 0;
	c->n = 0;
}

void
sage_table_buffer_free(TableBuffer *tb)
{
	int			c;

	if (tb->cols != NULL)
	{
		for (c = 0; c < tb->ncols; c++)
			column_free(tb->budget, &tb->cols[c]);
		sage_budget_free(tb->budget, tb->cols, sizeof(ColumnBuffer) * (size_t) (tb->ncols + 1));
	}
	sage_budget_free(tb->budget, tb->views, sizeof(SageColumn) * (size_t) (tb->ncols + 1));
	sage_budget_free(tb->budget, tb->present, (size_t) tb->ncols + 1);
	sage_budget_free(tb->budget, tb->lines, tb->cap * sizeof(uint64_t));
	sage_arena_free(tb->strings);
	memset(tb, 0, sizeof(TableBuffer));
}

int
sage_table_buffer_reset(TableBuffer *tb)
{
	int			c;

	for (c = 0; c < tb->ncols; c++)
		tb->cols[c].n = 0;
	tb->nrows = 0;
	sage_arena_free(tb->strings);
	tb->strings = sage_arena_new(tb->budget);
	return tb->strings == NULL ? -1 : 0;
}

/* Grows one array of a column to newcap elements of size sz. */
static int
grow_array(SageBudget *budget, void **arr, size_t oldcap, size_t newcap, size_t sz)
{
	void	   *p = sage_budget_realloc(budget, *arr, oldcap * sz, newcap * sz);

	if (p == NULL)
		return -1;
	*arr = p;
	return 0;
}

/* Makes room for one more value in column c. */
static int
column_reserve(SageBudget *budget, ColumnBuffer *c)
{
	size_t		ncap;

	if (c->n < c->cap)
		return 0;
	ncap = c->cap ? c->cap * 2 : 1024;
	if (grow_array(budget, (void **) &c->valid, c->cap, ncap, 1) != 0)
		return -1;
	switch (c->type)
	{
		case SAGE_COL_STRING:
			if (grow_array(budget, (void **) &c->s, c->cap, ncap, sizeof(char *)) != 0 ||
				grow_array(budget, (void **) &c->slen, c->cap, ncap, sizeof(uint32_t)) != 0)
				return -1;
			break;
		case SAGE_COL_INT:
		case SAGE_COL_DATETIME:
			if (grow_array(budget, (void **) &c->i, c->cap, ncap, sizeof(int64_t)) != 0)
				return -1;
			break;
		case SAGE_COL_FLOAT:
			if (grow_array(budget, (void **) &c->f, c->cap, ncap, sizeof(double)) != 0)
				return -1;
			break;
		case SAGE_COL_BOOL:
			if (grow_array(budget, (void **) &c->b, c->cap, ncap, 1) != 0)
				return -1;
			break;
	}
	c->cap = ncap;
	return 0;
}

int
sage_table_buffer_add_row(TableBuffer *tb, uint64_t line)
{
	if (tb->nrows == tb->cap)
	{
		size_t		ncap = tb->cap ? tb->cap * 2 : 1024;

		if (grow_array(tb->budget, (void **) &tb->lines, tb->cap, ncap, sizeof(uint64_t)) != 0)
			return -1;
		tb->cap = ncap;
	}
	tb->lines[tb->nrows++] = line;
	return 0;
}

int
sage_table_buffer_put(TableBuffer *tb, int col, bool valid, const char *text,
					  uint32_t len, int64_t ival, double fval, bool bval)
{
	ColumnBuffer *c = &tb->cols[col];
	size_t		k;

	if (column_reserve(tb->budget, c) != 0)
		return -1;
	k = c->n++;
	c->valid[k] = valid ? 1 : 0;
	switch (c->type)
	{
		case SAGE_COL_STRING:
			if (valid)
			{
				c->s[k] = sage_strndup(tb->strings, text, len);
				if (c->s[k] == NULL)
					return -1;
				c->slen[k] = len;
			}
			else
			{
				c->s[k] = (char *) "";
				c->slen[k] = 0;
			}
			break;
		case SAGE_COL_INT:
		case SAGE_COL_DATETIME:
			c->i[k] = valid ? ival : 0;
			break;
		case SAGE_COL_FLOAT:
			c->f[k] = valid ? fval : 0.0;
			break;
		case SAGE_COL_BOOL:
			c->b[k] = valid && bval ? 1 : 0;
			break;
	}
	return 0;
}

void
sage_table_buffer_view(TableBuffer *tb, const SageCatalogDef *cat,
					   const uint8_t *present_in_file, int file_columns,
					   SageTable *out)
{
	int			c;

	for (c = 0; c < tb->ncols; c++)
	{
		ColumnBuffer *cb = &tb->cols[c];
		SageColumn *v = &tb->views[c];

		memset(v, 0, sizeof(SageColumn));
		v->type = cb->type;
		v->n = tb->nrows;
		tb->present[c] = (cb->loaded && present_in_file[c]) ? 1 : 0;
		if (!tb->present[c])
			continue;
		v->valid = cb->valid;
		v->s = (const char *const *) cb->s;
		v->slen = cb->slen;
		v->i = cb->type == SAGE_COL_INT ? cb->i : NULL;
		v->t = cb->type == SAGE_COL_DATETIME ? (const SageTimestamp *) cb->i : NULL;
		v->f = cb->f;
		v->b = cb->b;
	}
	out->available = true;
	out->nrows = tb->nrows;
	out->ncols = tb->ncols;
	out->names = NULL;			/* filled by the caller from the catalog */
	out->present = tb->present;
	out->cols = tb->views;
	out->file_columns = file_columns;
	out->lines = tb->lines;
	(void) cat;
}
