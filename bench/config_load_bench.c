/*-------------------------------------------------------------------------
 *
 * bench/config_load_bench.c
 *		Time to load a configuration of many rules (src/core/config_load.c
 *		with the rule compiler).
 *
 * Generates, in memory, a configuration shaped like the real ones: five
 * catalogs of twenty fields (texto, entero, decimal, fecha, booleano),
 * field rules of the forms users write (str.match with a regular
 * expression, isin, between, astype), row rules, catalog rules and one ZIP
 * package with a package rule joining catalogs with "and". RULES (default
 * 100) rules in total. Loads it RUNS times, each into a fresh arena, and
 * prints the best and the mean load time. The target is a 100-rule
 * configuration loaded in well under 10 ms, so that sage-validate's start
 * is dominated by reading data, not configuration.
 *
 * Build and run (from the repository root):
 *	 cc -O2 -Isrc/include -Isrc/core -o /tmp/config_bench \
 *		bench/config_load_bench.c $(find src/core -name '*.c') -lyaml -lpcre2-8 -lz -lexpat -lm
 *	 /tmp/config_bench [rules] [runs]
 *
 *-------------------------------------------------------------------------
 */
#include "sage/config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BENCH_CATALOGS 5
#define BENCH_FIELDS 20

/* Seconds from a monotonic clock. */
static double
bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * bench_append
 *		printf into a growing buffer.
 */
static void
bench_append(char **buf, size_t *len, size_t *cap, const char *fmt,...)
			__attribute__((format(printf, 4, 5)));

static void
bench_append(char **buf, size_t *len, size_t *cap, const char *fmt,...)
{
	va_list		ap;
	int			n;

	for (;;)
	{
		va_start(ap, fmt);
		n = vsnprintf(*buf + *len, *cap - *len, fmt, ap);
		va_end(ap);
		if (n >= 0 && (size_t) n < *cap - *len)
			break;
		*cap *= 2;
		*buf = realloc(*buf, *cap);
		if (*buf == NULL)
			exit(1);
	}
	*len += (size_t) n;
}

/* Field type of field f: a mix like the real configurations. */
static const char *
bench_type(int f)
{
	static const char *const types[] = {"texto", "texto", "entero", "decimal", "fecha",
	"texto", "booleano", "decimal", "texto", "entero"};

	return types[f % 10];
}

/* A field rule of a form users write, for field f of the given type. */
static void
bench_field_rule(char **b, size_t *l, size_t *c, int f, int k)
{
	const char *t = bench_type(f);

	bench_append(b, l, c, "          - name: \"regla %d\"\n"
				 "            description: \"Regla generada %d\"\n", k, k);
	if (strcmp(t, "texto") == 0 && k % 2 == 0)
		bench_append(b, l, c, "            rule: \"df['f%d'].str.match(r'^[A-Z]{2}-[0-9]{4,8}$')\"\n", f);
	else if (strcmp(t, "texto") == 0)
		bench_append(b, l, c, "            rule: \"df['f%d'].isin(['A', 'I', 'T', 'X%d'])\"\n", f, k);
	else if (strcmp(t, "entero") == 0)
		bench_append(b, l, c, "            rule: \"df['f%d'].astype(str).str.match(r'^-?\\\\d+$')\"\n", f);
	else if (strcmp(t, "decimal") == 0)
		bench_append(b, l, c, "            rule: \"df['f%d'].astype(float).between(0, %d)\"\n", f, 1000 + k);
	else if (strcmp(t, "fecha") == 0)
		bench_append(b, l, c, "            rule: \"df['f%d'].dt.year >= 2000\"\n", f);
	else
		bench_append(b, l, c, "            rule: \"df['f%d'].notna()\"\n", f);
	bench_append(b, l, c, "            severity: \"%s\"\n", k % 3 == 0 ? "warning" : "error");
}

/*
 * bench_config
 *		Builds the YAML text with nrules rules.
 */
static char *
bench_config(int nrules, size_t *outlen)
{
	size_t		cap = 1 << 16,
				len = 0;
	char	   *b = malloc(cap);
	int			k = 0;			/* rules written, all kinds */
	int			fr = 0;			/* field rules written */
	int			cat,
				f;
	int			field_rules = nrules - 2 * BENCH_CATALOGS - 1;
	int			per_catalog;

	if (field_rules < 0)
		field_rules = 0;
	per_catalog = (field_rules + BENCH_CATALOGS - 1) / BENCH_CATALOGS;
	bench_append(&b, &len, &cap, "sage_yaml:\n  name: \"bench\"\n  description: \"Configuración de prueba\"\n"
				 "  version: \"1.0.0\"\n  author: \"bench\"\ncatalogs:\n");
	for (cat = 0; cat < BENCH_CATALOGS; cat++)
	{
		int			made = 0;

		bench_append(&b, &len, &cap, "  c%d:\n    name: \"Catálogo %d\"\n    description: \"Generado\"\n"
					 "    filename: \"c%d.csv\"\n    file_format:\n      type: \"CSV\"\n"
					 "      delimiter: \"|\"\n      header: false\n    fields:\n", cat, cat, cat);
		for (f = 0; f < BENCH_FIELDS; f++)
		{
			bench_append(&b, &len, &cap, "      - name: \"f%d\"\n        type: \"%s\"\n", f, bench_type(f));
			if (f == 0)
				bench_append(&b, &len, &cap, "        unique: true\n        required: true\n");
			if (made < per_catalog && fr < field_rules)
			{
				int			per_field = (per_catalog + BENCH_FIELDS - 1) / BENCH_FIELDS;
				int			j;

				bench_append(&b, &len, &cap, "        validation_rules:\n");
				for (j = 0; j < per_field && made < per_catalog && fr < field_rules; j++)
				{
					bench_field_rule(&b, &len, &cap, f, k++);
					made++;
					fr++;
				}
			}
		}
		bench_append(&b, &len, &cap,
					 "    row_validation:\n      - name: \"fila %d\"\n        description: \"d\"\n"
					 "        rule: \"(df['f3'] >= 0) & (df['f2'] > 0) | df['f6']\"\n"
					 "    catalog_validation:\n      - name: \"filas %d\"\n        description: \"d\"\n"
					 "        rule: \"len(df) > 0 and df['f0'].is_unique\"\n", k, k);
		k += 2;
	}
	bench_append(&b, &len, &cap, "packages:\n  p:\n    name: \"P\"\n    description: \"D\"\n"
				 "    file_format:\n      type: \"ZIP\"\n    catalogs: [c0, c1, c2, c3, c4]\n"
				 "    package_validation:\n      - name: \"claves\"\n        description: \"d\"\n"
				 "        rule: \"df['c1']['f0'].isin(df['c0']['f0']) and df['c2']['f0'].isin(df['c0']['f0'])\"\n");
	k++;
	*outlen = len;
	return b;
}

/* Number of rules in a loaded configuration. */
static int
bench_count(const SageConfig *c)
{
	int			n = 0;
	int			i,
				f;

	for (i = 0; i < c->ncatalogs; i++)
	{
		for (f = 0; f < c->catalogs[i].nfields; f++)
			n += c->catalogs[i].fields[f].nrules;
		n += c->catalogs[i].nrow_rules + c->catalogs[i].ncatalog_rules;
	}
	for (i = 0; i < c->npackages; i++)
		n += c->packages[i].nrules;
	return n;
}

int
main(int argc, char **argv)
{
	int			nrules = argc > 1 ? atoi(argv[1]) : 100;
	int			runs = argc > 2 ? atoi(argv[2]) : 200;
	size_t		len;
	char	   *yaml = bench_config(nrules, &len);
	double		best = 1e9,
				total = 0;
	int			r,
				counted = 0;

	for (r = 0; r < runs; r++)
	{
		SageArena  *arena = sage_arena_new(NULL);
		SageError	err;
		SageConfig *c;
		double		t0 = bench_now(),
					t;

		c = sage_config_load(arena, yaml, len, &err);
		t = bench_now() - t0;
		if (c == NULL)
		{
			fprintf(stderr, "load failed: %s\n%s\n", err.message, err.detail);
			return 1;
		}
		counted = bench_count(c);
		sage_arena_free(arena);
		total += t;
		if (t < best)
			best = t;
	}
	printf("config_load: %d rules, %zu bytes of YAML: best %.3f ms, mean %.3f ms over %d runs\n",
		   counted, len, best * 1e3, total / runs * 1e3, runs);
	free(yaml);
	return 0;
}
