/*-------------------------------------------------------------------------
 *
 * test/pandas/rule_eval_tool.c
 *		Command-line driver of the rule engine for the pandas cross-check:
 *		loads typed CSV tables, compiles every rule of a rules file (one per
 *		line) and prints one result line per rule.
 *
 * Usage:
 *   rule_eval_tool [--scope field|row|catalog|package] [--bench N]
 *                  TABLE... RULES
 * where each TABLE is "file.csv" (catalog scope) or "key=file.csv"
 * (package scope, several allowed). The CSV header names each column as
 * "name:type" with type one of str, int, float, date, bool; a cell equal
 * to <NA> is missing, and a cell that is not a valid value of its type is
 * missing too (as a failed type check is).
 *
 * Output, one line per rule:
 *   C <table>:<bits>[ <table>:<bits>...]   boolean column(s), bit per row
 *   S 0|1                                    single boolean
 *   I <reason>                               not a boolean (rule_error)
 *   E <message>                              run-time error
 *   X <message>                              refused at compile time
 * followed by " R" when the rule is row-wise.
 *
 * --bench N evaluates every rule N times and prints ns/row instead.
 *
 *-------------------------------------------------------------------------
 */
#define _POSIX_C_SOURCE 200809L

#include "sage/common.h"
#include "sage/rules.h"
#include "sage/value.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_TABLES 8
#define MAX_COLS 64

/* One loaded table with its schema. */
typedef struct ToolTable
{
	char	   *key;			/* catalog key or NULL */
	int			ncols;
	char	   *names[MAX_COLS];
	char	   *buf;			/* file contents; cells point into it */
	SageColType types[MAX_COLS];
	SageColumn	cols[MAX_COLS];
	uint8_t		present[MAX_COLS];
	size_t		nrows;
} ToolTable;

/* Splits one CSV record (quotes as RFC 4180) starting at *p; returns fields count. */
static int
tool_csv_record(char **p, char **fields, int max)
{
	char	   *s = *p;
	int			n = 0;

	if (*s == '\0')
		return 0;
	for (;;)
	{
		char	   *out = s;
		char	   *start = s;

		if (*s == '"')
		{
			s++;
			for (;;)
			{
				if (*s == '\0')
					break;
				if (*s == '"' && s[1] == '"')
				{
					*out++ = '"';
					s += 2;
					continue;
				}
				if (*s == '"')
				{
					s++;
					break;
				}
				*out++ = *s++;
			}
		}
		else
		{
			while (*s != '\0' && *s != ',' && *s != '\n' && *s != '\r')
				*out++ = *s++;
		}
		if (n < max)
			fields[n++] = start;
		{
			char		c = *s;

			*out = '\0';
			if (c == ',')
			{
				s++;
				continue;
			}
			if (c == '\r')
			{
				s++;
				if (*s == '\n')
					s++;
			}
			else if (c == '\n')
				s++;
			break;
		}
	}
	*p = s;
	return n;
}

/* Loads a typed CSV file into t. */
static int
tool_load(ToolTable *t, const char *path)
{
	FILE	   *f = fopen(path, "rb");
	char	   *buf;
	long		size;
	char	   *p;
	char	   *fields[MAX_COLS];
	int			n;
	size_t		cap = 1024;

	if (f == NULL)
	{
		perror(path);
		return -1;
	}
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t) size + 1);
	if (fread(buf, 1, (size_t) size, f) != (size_t) size)
	{
		fclose(f);
		return -1;
	}
	buf[size] = '\0';
	fclose(f);
	t->buf = buf;
	p = buf;
	n = tool_csv_record(&p, fields, MAX_COLS);
	t->ncols = n;
	for (int c = 0; c < n; c++)
	{
		char	   *colon = strrchr(fields[c], ':');

		if (colon == NULL)
		{
			fprintf(stderr, "column %s has no type\n", fields[c]);
			return -1;
		}
		*colon = '\0';
		t->names[c] = fields[c];
		if (strcmp(colon + 1, "str") == 0)
			t->types[c] = SAGE_COL_STRING;
		else if (strcmp(colon + 1, "int") == 0)
			t->types[c] = SAGE_COL_INT;
		else if (strcmp(colon + 1, "float") == 0)
			t->types[c] = SAGE_COL_FLOAT;
		else if (strcmp(colon + 1, "date") == 0)
			t->types[c] = SAGE_COL_DATETIME;
		else if (strcmp(colon + 1, "bool") == 0)
			t->types[c] = SAGE_COL_BOOL;
		else
		{
			fprintf(stderr, "unknown type %s\n", colon + 1);
			return -1;
		}
		t->present[c] = 1;
		t->cols[c].type = t->types[c];
		t->cols[c].valid = calloc(cap, 1);
		t->cols[c].s = calloc(cap, sizeof(char *));
		t->cols[c].slen = calloc(cap, sizeof(uint32_t));
		t->cols[c].i = calloc(cap, sizeof(int64_t));
		t->cols[c].f = calloc(cap, sizeof(double));
		t->cols[c].t = calloc(cap, sizeof(int64_t));
		t->cols[c].b = calloc(cap, 1);
	}
	t->nrows = 0;
	while (*p != '\0')
	{
		size_t		r = t->nrows;

		n = tool_csv_record(&p, fields, MAX_COLS);
		if (n == 0)
			break;
		if (r == cap)
		{
			cap *= 2;
			for (int c = 0; c < t->ncols; c++)
			{
				SageColumn *col = &t->cols[c];

				col->valid = realloc((void *) col->valid, cap);
				col->s = realloc((void *) col->s, cap * sizeof(char *));
				col->slen = realloc((void *) col->slen, cap * sizeof(uint32_t));
				col->i = realloc((void *) col->i, cap * sizeof(int64_t));
				col->f = realloc((void *) col->f, cap * sizeof(double));
				col->t = realloc((void *) col->t, cap * sizeof(int64_t));
				col->b = realloc((void *) col->b, cap);
			}
		}
		for (int c = 0; c < t->ncols; c++)
		{
			SageColumn *col = &t->cols[c];
			const char *cell = c < n ? fields[c] : "<NA>";
			size_t		len = strlen(cell);
			bool		ok;
			bool		bv = false;

			if (strcmp(cell, "<NA>") == 0)
				ok = false;
			else
				switch (col->type)
				{
					case SAGE_COL_STRING:
						ok = true;
						break;
					case SAGE_COL_INT:
						ok = sage_parse_entero(cell, len, (int64_t *) &col->i[r]);
						break;
					case SAGE_COL_FLOAT:
						ok = sage_parse_decimal(cell, len, (double *) &col->f[r]);
						break;
					case SAGE_COL_DATETIME:
						ok = sage_parse_fecha(cell, len, (SageTimestamp *) &col->t[r]);
						break;
					default:
						ok = sage_parse_booleano(cell, len, &bv);
						((uint8_t *) col->b)[r] = bv;
						break;
				}
			((uint8_t *) col->valid)[r] = ok;
			((const char **) col->s)[r] = ok ? cell : "";
			((uint32_t *) col->slen)[r] = ok ? (uint32_t) len : 0;
		}
		t->nrows++;
	}
	for (int c = 0; c < t->ncols; c++)
		t->cols[c].n = t->nrows;
	return 0;
}

/* Releases what tool_load allocated. */
static void
tool_free(ToolTable *t)
{
	for (int c = 0; c < t->ncols; c++)
	{
		SageColumn *col = &t->cols[c];

		free((void *) col->valid);
		free((void *) col->s);
		free((void *) col->slen);
		free((void *) col->i);
		free((void *) col->f);
		free((void *) col->t);
		free((void *) col->b);
	}
	free(t->buf);
}

int
main(int argc, char **argv)
{
	SageRuleScope scope = SAGE_SCOPE_CATALOG;
	ToolTable	tabs[MAX_TABLES];
	int			ntabs = 0;
	int			bench = 0;
	const char *rules_path;
	int			a = 1;
	SageRuleSchemaTable stabs[MAX_TABLES];
	SageTable	dtabs[MAX_TABLES];
	SageRuleSchema schema;
	FILE	   *rf;
	char		line[70000];

	memset(tabs, 0, sizeof(tabs));
	while (a < argc && strncmp(argv[a], "--", 2) == 0)
	{
		if (strcmp(argv[a], "--scope") == 0 && a + 1 < argc)
		{
			const char *s = argv[a + 1];

			scope = strcmp(s, "field") == 0 ? SAGE_SCOPE_FIELD :
				strcmp(s, "row") == 0 ? SAGE_SCOPE_ROW :
				strcmp(s, "package") == 0 ? SAGE_SCOPE_PACKAGE : SAGE_SCOPE_CATALOG;
			a += 2;
		}
		else if (strcmp(argv[a], "--bench") == 0 && a + 1 < argc)
		{
			bench = atoi(argv[a + 1]);
			a += 2;
		}
		else
		{
			fprintf(stderr, "unknown option %s\n", argv[a]);
			return 2;
		}
	}
	if (argc - a < 2)
	{
		fprintf(stderr, "usage: %s [--scope S] [--bench N] TABLE... RULES\n", argv[0]);
		return 2;
	}
	rules_path = argv[argc - 1];
	for (; a < argc - 1 && ntabs < MAX_TABLES; a++)
	{
		char	   *arg = argv[a];
		char	   *eq = strchr(arg, '=');

		if (eq != NULL)
		{
			*eq = '\0';
			tabs[ntabs].key = arg;
			arg = eq + 1;
		}
		if (tool_load(&tabs[ntabs], arg) < 0)
			return 2;
		ntabs++;
	}
	for (int t = 0; t < ntabs; t++)
	{
		stabs[t].key = tabs[t].key;
		stabs[t].ncols = tabs[t].ncols;
		stabs[t].names = (const char *const *) tabs[t].names;
		stabs[t].types = tabs[t].types;
		memset(&dtabs[t], 0, sizeof(SageTable));
		dtabs[t].available = true;
		dtabs[t].nrows = tabs[t].nrows;
		dtabs[t].ncols = tabs[t].ncols;
		dtabs[t].names = (const char *const *) tabs[t].names;
		dtabs[t].present = tabs[t].present;
		dtabs[t].cols = tabs[t].cols;
		dtabs[t].file_columns = tabs[t].ncols;
	}
	schema.ntables = ntabs;
	schema.tables = stabs;
	rf = fopen(rules_path, "rb");
	if (rf == NULL)
	{
		perror(rules_path);
		return 2;
	}
	while (fgets(line, sizeof(line), rf) != NULL)
	{
		SageArena  *arena = sage_arena_new(NULL);
		SageArena  *scratch = sage_arena_new(NULL);
		SageError	err;
		SageRule   *rule;
		SageRuleResult res;
		size_t		l = strlen(line);

		while (l > 0 && (line[l - 1] == '\n' || line[l - 1] == '\r'))
			line[--l] = '\0';
		sage_error_clear(&err);
		rule = sage_rule_compile(arena, line, scope, &schema, &err);
		if (rule == NULL)
			printf("X %s", err.message);
		else if (bench > 0)
		{
			struct timespec t0,
						t1;
			double		ns;
			size_t		rows = dtabs[0].nrows;

			clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
			for (int k = 0; k < bench; k++)
			{
				SageArena  *s = sage_arena_new(NULL);

				if (sage_rule_eval(rule, s, dtabs, ntabs, &res, &err) < 0)
				{
					printf("E %s", err.message);
					sage_arena_free(s);
					break;
				}
				sage_arena_free(s);
			}
			clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t1);
			ns = ((double) (t1.tv_sec - t0.tv_sec) * 1e9 + (double) (t1.tv_nsec - t0.tv_nsec)) /
				((double) bench * (double) (rows ? rows : 1));
			printf("B %.2f ns/row", ns);
		}
		else if (sage_rule_eval(rule, scratch, dtabs, ntabs, &res, &err) < 0)
			printf("E %s", err.message);
		else if (res.kind == SAGE_RESULT_COLUMNS)
		{
			printf("C");
			for (int p = 0; p < res.nparts; p++)
			{
				printf(" %d:", res.parts[p].table);
				for (size_t i = 0; i < res.parts[p].n; i++)
					putchar(res.parts[p].ok[i] ? '1' : '0');
			}
		}
		else if (res.kind == SAGE_RESULT_SCALAR)
			printf("S %d", res.scalar ? 1 : 0);
		else
			printf("I %s", res.reason);
		if (rule != NULL && sage_rule_is_rowwise(rule))
			printf(" R");
		printf("\n");
		sage_arena_free(scratch);
		sage_arena_free(arena);
	}
	fclose(rf);
	for (int t = 0; t < ntabs; t++)
		tool_free(&tabs[t]);
	return 0;
}
