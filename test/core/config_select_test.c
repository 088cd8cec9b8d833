/*-------------------------------------------------------------------------
 *
 * test/core/config_select_test.c
 *		Tests of sage_config_select (src/core/config_select.c): detection by
 *		extension and the order in which packages and catalogs apply
 *		(PROCESSOR.md section 2).
 *
 *-------------------------------------------------------------------------
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "sage/config.h"

/*
 * Catalogs: a (CSV, a.csv), b (EXCEL, libro.xlsx), c (CSV, datos/c.csv),
 * d (EXCEL, d.xlsx). Packages in YAML order: z1 (ZIP: a, c), pe (EXCEL: d),
 * z2 (ZIP: b).
 */
static const char *const CONFIG =
"sage_yaml: {name: n, description: d, version: 1, author: a}\n"
"catalogs:\n"
"  a: {name: A, description: D, filename: a.csv, file_format: {type: CSV, delimiter: ','},\n"
"      fields: [{name: k, type: texto}]}\n"
"  b: {name: B, description: D, filename: libro.xlsx, file_format: {type: EXCEL},\n"
"      fields: [{name: k, type: texto}]}\n"
"  c: {name: C, description: D, filename: datos/c.csv, file_format: {type: CSV, delimiter: ';'},\n"
"      fields: [{name: k, type: texto}]}\n"
"  d: {name: D, description: D, filename: d.xlsx, file_format: {type: EXCEL},\n"
"      fields: [{name: k, type: texto}]}\n"
"packages:\n"
"  z1: {name: Z, description: D, file_format: {type: ZIP}, catalogs: [a, c]}\n"
"  pe: {name: E, description: D, file_format: {type: EXCEL}, catalogs: [d]}\n"
"  z2: {name: Z, description: D, file_format: {type: ZIP}, catalogs: [b]}\n";

static const char *const CATALOGS_ONLY =
"sage_yaml: {name: n, description: d, version: 1, author: a}\n"
"catalogs:\n"
"  x: {name: X, description: D, filename: x.csv, file_format: {type: CSV, delimiter: ','},\n"
"      fields: [{name: k, type: texto}]}\n"
"  y: {name: Y, description: D, filename: Ventas.CSV, file_format: {type: CSV, delimiter: ','},\n"
"      fields: [{name: k, type: texto}]}\n"
"  w: {name: W, description: D, filename: w.xlsx, file_format: {type: EXCEL},\n"
"      fields: [{name: k, type: texto}]}\n"
"packages: {}\n";

static SageArena *arena;
static SageConfig *config;
static SageConfig *catalogs_only;

static int
setup(void **state)
{
	SageError	err;

	arena = sage_arena_new(NULL);
	config = sage_config_load(arena, CONFIG, strlen(CONFIG), &err);
	if (config == NULL)
	{
		fprintf(stderr, "%s\n%s\n", err.message, err.detail);
		return -1;
	}
	catalogs_only = sage_config_load(arena, CATALOGS_ONLY, strlen(CATALOGS_ONLY), &err);
	if (catalogs_only == NULL)
	{
		fprintf(stderr, "%s\n%s\n", err.message, err.detail);
		return -1;
	}
	return 0;
}

static int
teardown(void **state)
{
	sage_arena_free(arena);
	return 0;
}

/* Selects and checks format, package key and catalog key (NULL = -1). */
static void
expect_selection(const SageConfig *c, const char *file, const char *name,
				 SageFileFormat format, const char *pkg, const char *cat)
{
	SageSelection sel;
	SageError	err;

	if (sage_config_select(c, file, name, &sel, &err) != 0)
		fail_msg("%s: %s", file, err.message);
	assert_int_equal(err.code, SAGE_OK);
	assert_int_equal(sel.format, format);
	if (pkg == NULL)
		assert_int_equal(sel.package, -1);
	else
		assert_string_equal(c->packages[sel.package].key, pkg);
	if (cat == NULL)
		assert_int_equal(sel.catalog, -1);
	else
		assert_string_equal(c->catalogs[sel.catalog].key, cat);
}

static void
expect_failure(const SageConfig *c, const char *file, const char *name,
			   SageErrorCode code, const char *message)
{
	SageSelection sel;
	SageError	err;

	assert_int_equal(sage_config_select(c, file, name, &sel, &err), -1);
	assert_int_equal(err.code, code);
	assert_string_equal(err.message, message);
	assert_int_equal(sel.package, -1);
	assert_int_equal(sel.catalog, -1);
}

static void
test_extensions(void **state)
{
	expect_selection(config, "entrega.zip", NULL, SAGE_FORMAT_ZIP, "z1", NULL);
	expect_selection(config, "ENTREGA.ZIP", NULL, SAGE_FORMAT_ZIP, "z1", NULL);
	expect_selection(config, "s3://bucket/in/2024/x.Zip", NULL, SAGE_FORMAT_ZIP, "z1", NULL);
	expect_selection(config, "C:\\Users\\me\\libro.XLSX", NULL, SAGE_FORMAT_EXCEL, "pe", "d");
	expect_failure(config, "viejo.xls", NULL, SAGE_ERR_UNSUPPORTED,
				   "binary Excel files (.xls) are not supported");
	expect_failure(config, "VIEJO.XLS", NULL, SAGE_ERR_UNSUPPORTED,
				   "binary Excel files (.xls) are not supported");
	expect_failure(config, "datos.txt", NULL, SAGE_ERR_UNSUPPORTED,
				   "unsupported file type \".txt\"");
	expect_failure(config, "datos.csv.gz", NULL, SAGE_ERR_UNSUPPORTED,
				   "unsupported file type \".gz\"");
	expect_failure(config, "sin_extension", NULL, SAGE_ERR_UNSUPPORTED,
				   "unsupported file type \"sin_extension\"");
	expect_failure(config, "dir.csv/file", NULL, SAGE_ERR_UNSUPPORTED,
				   "unsupported file type \"file\"");
	expect_failure(config, "", NULL, SAGE_ERR_ARGUMENT, "data file name is missing");
	expect_failure(config, NULL, NULL, SAGE_ERR_ARGUMENT, "data file name is missing");

	{
		SageSelection sel;
		SageError	err;

		sage_config_select(config, "viejo.xls", NULL, &sel, &err);
		assert_non_null(strstr(err.hint, ".xlsx"));
	}
}

/* Without a name: the first package of the type, in YAML order. */
static void
test_packages_first(void **state)
{
	/* ZIP: z1, not z2 */
	expect_selection(config, "x.zip", NULL, SAGE_FORMAT_ZIP, "z1", NULL);
	/* EXCEL: the package pe wins over catalog b whose filename matches */
	expect_selection(config, "libro.xlsx", NULL, SAGE_FORMAT_EXCEL, "pe", "d");
	/* CSV: no CSV package; the catalog whose filename is the file's name */
	expect_selection(config, "c.csv", NULL, SAGE_FORMAT_CSV, NULL, "c");
	expect_selection(config, "/tmp/up/a.csv", NULL, SAGE_FORMAT_CSV, NULL, "a");
	/* else the first CSV catalog */
	expect_selection(config, "otro.csv", NULL, SAGE_FORMAT_CSV, NULL, "a");
}

/* Catalog fallbacks: exact name, then any case, then first of the type. */
static void
test_catalog_fallbacks(void **state)
{
	expect_selection(catalogs_only, "Ventas.CSV", NULL, SAGE_FORMAT_CSV, NULL, "y");
	expect_selection(catalogs_only, "ventas.csv", NULL, SAGE_FORMAT_CSV, NULL, "y");
	expect_selection(catalogs_only, "x.csv", NULL, SAGE_FORMAT_CSV, NULL, "x");
	expect_selection(catalogs_only, "z.csv", NULL, SAGE_FORMAT_CSV, NULL, "x");
	expect_selection(catalogs_only, "z.xlsx", NULL, SAGE_FORMAT_EXCEL, NULL, "w");
	/* a catalog with the file's name but another type does not apply */
	expect_selection(catalogs_only, "w.csv", NULL, SAGE_FORMAT_CSV, NULL, "x");
}

static void
test_nothing_applies(void **state)
{
	SageSelection sel;
	SageError	err;

	expect_failure(catalogs_only, "e.zip", NULL, SAGE_ERR_CONFIG,
				   "no package of the configuration applies to \"e.zip\"");
	sage_config_select(catalogs_only, "e.zip", NULL, &sel, &err);
	assert_string_equal(err.detail, "Looked for a package of type ZIP; the configuration has none.");

	{
		const char *y =
		"sage_yaml: {name: n, description: d, version: 1, author: a}\n"
		"catalogs:\n"
		"  x: {name: X, description: D, filename: x.xlsx, file_format: {type: EXCEL},\n"
		"      fields: [{name: k, type: texto}]}\n"
		"packages: {}\n";
		SageConfig *c = sage_config_load(arena, y, strlen(y), &err);

		assert_non_null(c);
		expect_failure(c, "in/x.csv", NULL, SAGE_ERR_CONFIG,
					   "no package or catalog of the configuration applies to \"x.csv\"");
		sage_config_select(c, "in/x.csv", NULL, &sel, &err);
		assert_string_equal(err.detail,
							"Looked for a package of type CSV, a catalog whose filename is \"x.csv\" and a catalog of type CSV; the configuration has none.");
	}
}

/* A name given by the caller: a package key, then a catalog key. */
static void
test_explicit_name(void **state)
{
	expect_selection(config, "x.zip", "z2", SAGE_FORMAT_ZIP, "z2", NULL);
	expect_selection(config, "x.xlsx", "pe", SAGE_FORMAT_EXCEL, "pe", "d");
	expect_selection(config, "x.xlsx", "b", SAGE_FORMAT_EXCEL, NULL, "b");
	expect_selection(config, "x.csv", "c", SAGE_FORMAT_CSV, NULL, "c");
	expect_selection(config, "x.csv", "", SAGE_FORMAT_CSV, NULL, "a");
	expect_failure(config, "x.csv", "z1", SAGE_ERR_ARGUMENT,
				   "package \"z1\" expects ZIP files, not CSV");
	expect_failure(config, "x.zip", "pe", SAGE_ERR_ARGUMENT,
				   "package \"pe\" expects EXCEL files, not ZIP");
	expect_failure(config, "x.zip", "a", SAGE_ERR_ARGUMENT,
				   "catalog \"a\" cannot be applied to a ZIP file");
	expect_failure(config, "x.xlsx", "a", SAGE_ERR_ARGUMENT,
				   "catalog \"a\" expects CSV files, not EXCEL");
	expect_failure(config, "x.csv", "nope", SAGE_ERR_ARGUMENT,
				   "configuration has no package or catalog named \"nope\"");
	/* the extension is checked first */
	expect_failure(config, "x.xls", "b", SAGE_ERR_UNSUPPORTED,
				   "binary Excel files (.xls) are not supported");
}

/* The acceptance cases select what their data file needs. */
static void
test_case_configs(void **state)
{
	static const struct
	{
		const char *dir;
		const char *data;
		SageFileFormat format;
		const char *pkg;
		const char *cat;
	}			cases[] = {
		{"csv_header_basic", "ventas.csv", SAGE_FORMAT_CSV, "ventas_pkg", "ventas"},
		{"csv_noheader_pipe", "productos.csv", SAGE_FORMAT_CSV, NULL, "productos"},
		{"xlsx_basic", "articulos.xlsx", SAGE_FORMAT_EXCEL, "articulos_pkg", "articulos"},
		{"zip_package", "entrega.zip", SAGE_FORMAT_ZIP, "paquete_ventas", NULL},
	};
	size_t		i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
	{
		char		path[1024];
		const char *dir = getenv("SAGE_TEST_DATA");
		FILE	   *f;
		static char buf[1 << 16];
		size_t		len;
		SageError	err;
		SageConfig *c;

		snprintf(path, sizeof(path), "%s/cases/%s/config.yaml", dir ? dir : "test/data",
				 cases[i].dir);
		f = fopen(path, "rb");
		assert_non_null(f);
		len = fread(buf, 1, sizeof(buf), f);
		fclose(f);
		c = sage_config_load(arena, buf, len, &err);
		if (c == NULL)
			fail_msg("%s: %s %s", cases[i].dir, err.message, err.detail);
		expect_selection(c, cases[i].data, NULL, cases[i].format, cases[i].pkg, cases[i].cat);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_extensions),
		cmocka_unit_test(test_packages_first),
		cmocka_unit_test(test_catalog_fallbacks),
		cmocka_unit_test(test_nothing_applies),
		cmocka_unit_test(test_explicit_name),
		cmocka_unit_test(test_case_configs),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
