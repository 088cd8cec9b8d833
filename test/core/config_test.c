/*-------------------------------------------------------------------------
 *
 * test/core/config_test.c
 *		Tests of sage_config_load (src/core/config_load.c, yaml_doc.c):
 *		every required key, every bad value, notes, problem collection with
 *		exact paths and lines, YAML hostility, the acceptance and real-world
 *		configurations.
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
 * The base configuration every mutation test starts from; the line
 * numbers in the expected messages refer to it.
 */
static const char *const BASE =
"sage_yaml:\n"					/* 1 */
"  name: n\n"					/* 2 */
"  description: d\n"			/* 3 */
"  version: 1.0\n"				/* 4 */
"  author: a\n"					/* 5 */
"catalogs:\n"					/* 6 */
"  c:\n"						/* 7 */
"    name: C\n"					/* 8 */
"    description: D\n"			/* 9 */
"    filename: c.csv\n"			/* 10 */
"    file_format:\n"			/* 11 */
"      type: CSV\n"				/* 12 */
"      delimiter: \",\"\n"		/* 13 */
"    fields:\n"					/* 14 */
"      - name: id\n"			/* 15 */
"        type: texto\n"			/* 16 */
"        validation_rules:\n"	/* 17 */
"          - name: r\n"			/* 18 */
"            description: rd\n"	/* 19 */
"            rule: \"df['id'].notna()\"\n"	/* 20 */
"packages:\n"					/* 21 */
"  p:\n"						/* 22 */
"    name: P\n"					/* 23 */
"    description: PD\n"			/* 24 */
"    file_format:\n"			/* 25 */
"      type: CSV\n"				/* 26 */
"    catalogs: [c]\n";			/* 27 */

typedef struct TestState
{
	SageArena  *arena;
	SageError	err;
	char		buf[1 << 16];
} TestState;

static TestState *ts;

static int
setup(void **state)
{
	ts = calloc(1, sizeof(TestState));
	ts->arena = sage_arena_new(NULL);
	*state = ts;
	return 0;
}

static int
teardown(void **state)
{
	sage_arena_free(ts->arena);
	free(ts);
	return 0;
}

static SageConfig *
load(const char *yaml)
{
	return sage_config_load(ts->arena, yaml, strlen(yaml), &ts->err);
}

/* BASE with the first occurrence of from replaced by to. */
static const char *
edit(const char *from, const char *to)
{
	const char *p = strstr(BASE, from);

	assert_non_null(p);
	snprintf(ts->buf, sizeof(ts->buf), "%.*s%s%s", (int) (p - BASE), BASE, to,
			 p + strlen(from));
	return ts->buf;
}

/* src with the first occurrence of from replaced by to, into out. */
static const char *
subst(char *out, size_t outlen, const char *src, const char *from, const char *to)
{
	const char *p = strstr(src, from);

	assert_non_null(p);
	snprintf(out, outlen, "%.*s%s%s", (int) (p - src), src, to, p + strlen(from));
	return out;
}

/* Loads text expecting refusal with exactly this detail and code. */
static void
expect_refusal(const char *yaml, SageErrorCode code, const char *detail)
{
	SageConfig *c = load(yaml);

	if (c != NULL)
		fail_msg("configuration accepted, expected: %s", detail);
	if (strcmp(ts->err.detail, detail) != 0 || ts->err.code != code)
		fail_msg("code %s, detail:\n%s\nexpected %s:\n%s",
				 sage_error_code_name(ts->err.code), ts->err.detail,
				 sage_error_code_name(code), detail);
	assert_string_equal(ts->err.message, "invalid configuration");
	assert_true(ts->err.hint[0] != '\0');
}

static bool
has_note(const SageConfig *c, const char *path, const char *message)
{
	int			i;

	for (i = 0; i < c->nnotes; i++)
		if (strcmp(c->notes[i].path, path) == 0 &&
			strstr(c->notes[i].message, message) != NULL)
			return true;
	return false;
}

static char *
read_data(const char *rel, size_t *len)
{
	const char *dir = getenv("SAGE_TEST_DATA");
	char		path[1024];
	FILE	   *f;
	char	   *buf;
	long		n;

	snprintf(path, sizeof(path), "%s/%s", dir ? dir : "test/data", rel);
	f = fopen(path, "rb");
	if (f == NULL)
		fail_msg("cannot open %s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t) n + 1);
	assert_int_equal(fread(buf, 1, (size_t) n, f), (size_t) n);
	buf[n] = '\0';
	fclose(f);
	*len = (size_t) n;
	return buf;
}

/* ------------------------------------------------------------- tests */

static void
test_base_loads(void **state)
{
	SageConfig *c = load(BASE);

	if (c == NULL)
		fail_msg("%s\n%s", ts->err.message, ts->err.detail);
	assert_string_equal(c->name, "n");
	assert_string_equal(c->version, "1.0");
	assert_null(c->comments);
	assert_int_equal(c->ncatalogs, 1);
	assert_string_equal(c->catalogs[0].key, "c");
	assert_string_equal(c->catalogs[0].filename, "c.csv");
	assert_int_equal(c->catalogs[0].format, SAGE_FORMAT_CSV);
	assert_int_equal(c->catalogs[0].delimiter, ',');
	assert_int_equal(c->catalogs[0].quotechar, '"');
	assert_false(c->catalogs[0].header);
	assert_int_equal(c->catalogs[0].encoding, SAGE_ENC_UTF8);
	assert_int_equal(c->catalogs[0].nna_values, 1);
	assert_string_equal(c->catalogs[0].na_values[0], "");
	assert_int_equal(c->catalogs[0].skip_rows, 0);
	assert_int_equal(c->catalogs[0].nfields, 1);
	assert_int_equal(c->catalogs[0].fields[0].nrules, 1);
	assert_string_equal(c->catalogs[0].fields[0].rules[0].path,
						"catalogs.c.fields[0].validation_rules[0]");
	assert_int_equal(c->catalogs[0].fields[0].rules[0].severity, SAGE_SEV_ERROR);
	assert_int_equal(c->catalogs[0].fields[0].rules[0].scope, SAGE_SCOPE_FIELD);
	assert_non_null(c->catalogs[0].fields[0].rules[0].compiled);
	assert_int_equal(c->npackages, 1);
	assert_int_equal(c->packages[0].ncatalogs, 1);
	assert_int_equal(c->packages[0].catalogs[0], 0);
	assert_int_equal(c->nnotes, 0);
}

/* Every required key, removed one at a time. */
static void
test_missing_keys(void **state)
{
	static const struct
	{
		const char *line;
		const char *detail;
	}			cases[] = {
		{"  name: n\n", "sage_yaml.name (line 1): missing required key"},
		{"  description: d\n", "sage_yaml.description (line 1): missing required key"},
		{"  version: 1.0\n", "sage_yaml.version (line 1): missing required key"},
		{"  author: a\n", "sage_yaml.author (line 1): missing required key"},
		{"    name: C\n", "catalogs.c.name (line 7): missing required key"},
		{"    description: D\n", "catalogs.c.description (line 7): missing required key"},
		{"    filename: c.csv\n", "catalogs.c.filename (line 7): missing required key"},
		{"      type: CSV\n      delimiter: \",\"\n",
		"catalogs.c.file_format.type (line 11): missing required key"},
		{"      delimiter: \",\"\n",
		"catalogs.c.file_format.delimiter (line 11): missing required key"},
		{"      - name: id\n        type: texto\n", "catalogs.c.fields[0].name (line 15): missing required key"},
		{"        type: texto\n", "catalogs.c.fields[0].type (line 15): missing required key"},
		{"          - name: r\n            description: rd\n",
		"catalogs.c.fields[0].validation_rules[0].name (line 18): missing required key"},
		{"            description: rd\n",
		"catalogs.c.fields[0].validation_rules[0].description (line 18): missing required key"},
		{"            rule: \"df['id'].notna()\"\n",
		"catalogs.c.fields[0].validation_rules[0].rule (line 18): missing required key"},
		{"    name: P\n", "packages.p.name (line 22): missing required key"},
		{"    description: PD\n", "packages.p.description (line 22): missing required key"},
		{"    file_format:\n      type: CSV\n    catalogs",
		"packages.p.file_format (line 22): missing required key"},
		{"    catalogs: [c]\n", "packages.p.catalogs (line 22): missing required key"},
	};
	size_t		i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
	{
		const char *text = cases[i].line;
		const char *repl = "";

		/* keep the other keys when a pair of lines was named */
		if (strcmp(text, "      type: CSV\n      delimiter: \",\"\n") == 0)
			repl = "      delimiter: \",\"\n";
		else if (strcmp(text, "      - name: id\n        type: texto\n") == 0)
			repl = "      - type: texto\n";
		else if (strcmp(text, "          - name: r\n            description: rd\n") == 0)
			repl = "          - description: rd\n";
		else if (strcmp(text, "    file_format:\n      type: CSV\n    catalogs") == 0)
			repl = "    catalogs";
		expect_refusal(edit(text, repl), SAGE_ERR_CONFIG, cases[i].detail);
	}
	/* first item line numbers shift when the item's first line goes */
	expect_refusal("sage_yaml: {name: n, description: d, version: 1, author: a}\n"
				   "catalogs: {}\n",
				   SAGE_ERR_CONFIG, "packages (line 1): missing required key");
	expect_refusal("catalogs: {}\npackages: {}\n",
				   SAGE_ERR_CONFIG, "sage_yaml (line 1): missing required key");
	expect_refusal("sage_yaml: {name: n, description: d, version: 1, author: a}\n"
				   "packages: {}\n",
				   SAGE_ERR_CONFIG, "catalogs (line 1): missing required key");
	expect_refusal(edit("    fields:\n", "    fieldz:\n"), SAGE_ERR_CONFIG,
				   "catalogs.c.fields (line 7): missing required key");
}

/* Bad values, one at a time, with the exact line. */
static void
test_bad_values(void **state)
{
	static const struct
	{
		const char *from;
		const char *to;
		const char *detail;
	}			cases[] = {
		{"  name: n\n", "  name: [n]\n", "sage_yaml.name (line 2): expected a single value, found a list"},
		{"sage_yaml:\n  name: n\n  description: d\n  version: 1.0\n  author: a\n",
			"sage_yaml: x\n", "sage_yaml (line 1): expected a mapping, found \"x\""},
		{"catalogs:\n  c:", "catalogs: 3\nx:\n  c:", "catalogs (line 6): expected a mapping, found \"3\""},
		{"  c:\n    name: C\n", "  c: [1]\n  d:\n    name: C\n",
		"catalogs.c (line 7): expected a mapping, found a list"},
		{"    filename: c.csv\n", "    filename: \"\"\n", "catalogs.c.filename (line 10): must not be empty"},
		{"    filename: c.csv\n", "    filename:\n", "catalogs.c.filename (line 10): must not be empty"},
		{"    file_format:\n      type: CSV\n      delimiter: \",\"\n", "    file_format: CSV\n",
		"catalogs.c.file_format (line 11): expected a mapping, found \"CSV\""},
		{"      type: CSV\n", "      type: TXT\n",
		"catalogs.c.file_format.type (line 12): unknown file type \"TXT\" (expected CSV or EXCEL)"},
		{"      type: CSV\n", "      type: ZIP\n",
		"catalogs.c.file_format.type (line 12): a catalog's file type must be CSV or EXCEL; ZIP is only for packages"},
		{"      delimiter: \",\"\n", "      delimiter: \";;\"\n",
		"catalogs.c.file_format.delimiter (line 13): the delimiter must be one ASCII character, found \";;\""},
		{"      delimiter: \",\"\n", "      delimiter: \"\"\n",
		"catalogs.c.file_format.delimiter (line 13): must not be empty"},
		{"      delimiter: \",\"\n", "      delimiter: \"\\n\"\n",
		"catalogs.c.file_format.delimiter (line 13): the delimiter cannot be a line break"},
		{"      delimiter: \",\"\n", "      delimiter: \"\xc2\xac\"\n",
		"catalogs.c.file_format.delimiter (line 13): the delimiter must be one ASCII character, found \"\xc2\xac\""},
		{"      delimiter: \",\"\n", "      delimiter: \",\"\n      header: maybe\n",
		"catalogs.c.file_format.header (line 14): expected true or false, found \"maybe\""},
		{"      delimiter: \",\"\n", "      delimiter: \",\"\n      header: [true]\n",
		"catalogs.c.file_format.header (line 14): expected true or false, found a list"},
		{"      delimiter: \",\"\n", "      delimiter: \",\"\n      encoding: ebcdic\n",
		"catalogs.c.file_format.encoding (line 14): unsupported encoding \"ebcdic\" (expected utf-8, latin-1 or windows-1252)"},
		{"      delimiter: \",\"\n", "      delimiter: \",\"\n      quotechar: \"''\"\n",
		"catalogs.c.file_format.quotechar (line 14): the quote character must be one ASCII character, found \"''\""},
		{"      delimiter: \",\"\n", "      delimiter: \",\"\n      quotechar: \",\"\n",
		"catalogs.c.file_format.quotechar (line 11): the quote character must differ from the delimiter"},
		{"      delimiter: \",\"\n", "      delimiter: \",\"\n      skip_rows: -1\n",
		"catalogs.c.file_format.skip_rows (line 14): expected a whole number of zero or more, found \"-1\""},
		{"      delimiter: \",\"\n", "      delimiter: \",\"\n      skip_rows: \"2\"\n",
		"catalogs.c.file_format.skip_rows (line 14): expected a whole number of zero or more, found \"2\""},
		{"      delimiter: \",\"\n", "      delimiter: \",\"\n      skip_rows: 99999999999\n",
		"catalogs.c.file_format.skip_rows (line 14): must be at most 1000000000"},
		{"      delimiter: \",\"\n", "      delimiter: \",\"\n      na_values: {a: b}\n",
		"catalogs.c.file_format.na_values (line 14): expected a list of values, found a mapping"},
		{"      delimiter: \",\"\n", "      delimiter: \",\"\n      na_values: [NA, [x]]\n",
		"catalogs.c.file_format.na_values[1] (line 14): expected a single value, found a list"},
		{"      type: CSV\n      delimiter: \",\"\n", "      type: EXCEL\n      sheet: 0\n",
		"catalogs.c.file_format.sheet (line 13): sheet numbers start at 1 (or give the sheet's name)"},
		{"      type: CSV\n      delimiter: \",\"\n", "      type: EXCEL\n      sheet: \"\"\n",
		"catalogs.c.file_format.sheet (line 13): must not be empty"},
		{"    fields:\n      - name: id\n        type: texto\n        validation_rules:\n"
			"          - name: r\n            description: rd\n            rule: \"df['id'].notna()\"\n",
			"    fields: []\n", "catalogs.c.fields (line 14): must list at least one field"},
		{"    fields:\n      - name: id\n        type: texto\n        validation_rules:\n"
			"          - name: r\n            description: rd\n            rule: \"df['id'].notna()\"\n",
			"    fields:\n", "catalogs.c.fields (line 14): must list at least one field"},
		{"    fields:\n      - name: id\n        type: texto\n        validation_rules:\n"
			"          - name: r\n            description: rd\n            rule: \"df['id'].notna()\"\n",
			"    fields: {id: texto}\n",
		"catalogs.c.fields (line 14): expected a list of fields, found a mapping"},
		{"      - name: id\n", "      - id\n      - name: id\n",
		"catalogs.c.fields[0] (line 15): expected a mapping, found \"id\""},
		{"        type: texto\n", "        type: txt\n",
		"catalogs.c.fields[0].type (line 16): unknown field type \"txt\" (expected texto, decimal, entero, fecha or booleano)"},
		{"        type: texto\n", "        type: texto\n        required: si\n",
		"catalogs.c.fields[0].required (line 17): expected true or false, found \"si\""},
		{"        type: texto\n", "        type: texto\n        unique: 2\n",
		"catalogs.c.fields[0].unique (line 17): expected true or false, found \"2\""},
		{"        type: texto\n", "        type: fecha\n        format: \"%d/%m/%Q\"\n",
		"catalogs.c.fields[0].format (line 17): unsupported directive \"%Q\" in date format \"%d/%m/%Q\" (supported: %Y %y %m %d %b %B %j %H %I %M %S %f %p %a %A %%)"},
		{"        type: texto\n", "        type: fecha\n        format: \"%H:%M\"\n",
		"catalogs.c.fields[0].format (line 17): date format \"%H:%M\" has no date directive (%Y, %m, %d...)"},
		{"        type: texto\n", "        type: fecha\n        format: \"%Y%\"\n",
		"catalogs.c.fields[0].format (line 17): date format \"%Y%\" ends with a lone %"},
		{"        validation_rules:\n", "        validation_rules: r\n"
			"        x:\n",
		"catalogs.c.fields[0].validation_rules (line 17): expected a list of rules, found \"r\""},
		{"          - name: r\n", "          - name: \"\"\n",
		"catalogs.c.fields[0].validation_rules[0].name (line 18): must not be empty"},
		{"            rule: \"df['id'].notna()\"\n", "            rule: \"\"\n",
		"catalogs.c.fields[0].validation_rules[0].rule (line 20): must not be empty"},
		{"            rule: \"df['id'].notna()\"\n", "            rule: [x]\n",
		"catalogs.c.fields[0].validation_rules[0].rule (line 20): expected a single value, found a list"},
		{"            rule: \"df['id'].notna()\"\n",
			"            rule: \"df['id'].notna()\"\n            severity: fatal\n",
		"catalogs.c.fields[0].validation_rules[0].severity (line 21): unknown severity \"fatal\" (expected error, warning or message)"},
		{"          - name: r\n", "          - x\n          - name: r\n",
		"catalogs.c.fields[0].validation_rules[0] (line 18): expected a mapping, found \"x\""},
		{"packages:\n  p:", "packages: [p]\nx:\n  p:", "packages (line 21): expected a mapping, found a list"},
		{"      type: CSV\n    catalogs", "      type: RAR\n    catalogs",
		"packages.p.file_format.type (line 26): unknown file type \"RAR\" (expected CSV, EXCEL or ZIP)"},
		{"    catalogs: [c]\n", "    catalogs: [d]\n", "packages.p.catalogs[0] (line 27): unknown catalog \"d\""},
		{"    catalogs: [c]\n", "    catalogs: []\n", "packages.p.catalogs (line 27): must list at least one catalog"},
		{"    catalogs: [c]\n", "    catalogs: c\n",
		"packages.p.catalogs (line 27): expected a list of catalog keys, found \"c\""},
		{"    catalogs: [c]\n", "    catalogs: [c, c]\n",
		"packages.p.file_format.type (line 26): a package of 2 catalogs must be of type ZIP, not CSV\n"
		"packages.p.catalogs[1] (line 27): catalog \"c\" is listed twice (also catalogs[0])"},
		{"      type: CSV\n    catalogs", "      type: EXCEL\n    catalogs",
		"packages.p.catalogs[0] (line 27): catalog \"c\" is of type CSV but the package is of type EXCEL"},
		{"    catalogs: [c]\n", "    package_validation: {}\n    catalogs: [c]\n",
		"packages.p.package_validation (line 27): expected a list of rules, found a mapping"},
	};
	size_t		i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_refusal(edit(cases[i].from, cases[i].to), SAGE_ERR_CONFIG, cases[i].detail);
}

/* All problems are reported, in document order, each with its path. */
static void
test_all_problems_collected(void **state)
{
	const char *yaml =
	"sage_yaml:\n"				/* 1 */
	"  name: n\n"				/* 2 */
	"  version: [1]\n"			/* 3 */
	"catalogs:\n"				/* 4 */
	"  clientes:\n"				/* 5 */
	"    name: C\n"				/* 6 */
	"    description: D\n"		/* 7 */
	"    file_format: {type: csv, delimiter: ab}\n"	/* 8 */
	"    fields:\n"				/* 9 */
	"      - {name: id, type: texto}\n"	/* 10 */
	"      - {name: x, type: entero, required: maybe}\n"	/* 11 */
	"      - {name: id, type: decimal}\n"	/* 12 */
	"      - {name: y, type: txt}\n"	/* 13 */
	"    row_validation:\n"		/* 14 */
	"      - {name: r, description: d, rule: \"df['x'] > 0\", severity: loud}\n"	/* 15 */
	"  \"mi catálogo\": 7\n"	/* 16 */
	"packages:\n"				/* 17 */
	"  p:\n"					/* 18 */
	"    name: P\n"				/* 19 */
	"    description: D\n"		/* 20 */
	"    file_format: {type: CSV}\n"	/* 21 */
	"    catalogs: [clientes, nada]\n";	/* 22 */

	expect_refusal(yaml, SAGE_ERR_CONFIG,
				   "sage_yaml.description (line 1): missing required key\n"
				   "sage_yaml.author (line 1): missing required key\n"
				   "sage_yaml.version (line 3): expected a single value, found a list\n"
				   "catalogs.clientes.filename (line 5): missing required key\n"
				   "catalogs.clientes.file_format.delimiter (line 8): the delimiter must be one ASCII character, found \"ab\"\n"
				   "catalogs.clientes.fields[1].required (line 11): expected true or false, found \"maybe\"\n"
				   "catalogs.clientes.fields[2].name (line 12): duplicate field name \"id\" (also fields[0])\n"
				   "catalogs.clientes.fields[3].type (line 13): unknown field type \"txt\" (expected texto, decimal, entero, fecha or booleano)\n"
				   "catalogs.clientes.row_validation[0].severity (line 15): unknown severity \"loud\" (expected error, warning or message)\n"
				   "catalogs[\"mi catálogo\"] (line 16): expected a mapping, found \"7\"\n"
				   "packages.p.file_format.type (line 21): a package of 2 catalogs must be of type ZIP, not CSV\n"
				   "packages.p.catalogs[1] (line 22): unknown catalog \"nada\"");
}

static void
test_unknown_keys_are_notes(void **state)
{
	const char *yaml =
	"sage_yaml: {name: n, description: d, version: 1, author: a, extra: 1}\n"
	"owner: me\n"
	"catalogs:\n"
	"  c:\n"
	"    name: C\n"
	"    description: D\n"
	"    filename: c.csv\n"
	"    colour: red\n"
	"    file_format: {type: csv, delimiter: ',', compression: none}\n"
	"    fields:\n"
	"      - {name: id, type: Texto, nullable: true}\n"
	"      - name: f\n"
	"        type: fecha\n"
	"        validation_rules:\n"
	"          - {name: r, description: d, rule: \"df['f'].notna()\", level: 2}\n"
	"packages:\n";
	SageConfig *c = load(yaml);

	if (c == NULL)
		fail_msg("%s", ts->err.detail);
	assert_true(has_note(c, "sage_yaml.extra", "unknown key ignored"));
	assert_true(has_note(c, "owner", "unknown key ignored"));
	assert_true(has_note(c, "catalogs.c.colour", "unknown key ignored"));
	assert_true(has_note(c, "catalogs.c.file_format.compression", "unknown key ignored"));
	assert_true(has_note(c, "catalogs.c.file_format.type", "file type \"csv\" taken as CSV"));
	assert_true(has_note(c, "catalogs.c.fields[0].nullable", "unknown key ignored"));
	assert_true(has_note(c, "catalogs.c.fields[0].type", "field type \"Texto\" taken as texto"));
	assert_true(has_note(c, "catalogs.c.fields[1].validation_rules[0].level", "unknown key ignored"));
	assert_true(has_note(c, "packages", "empty value, taken as no packages"));
	assert_int_equal(c->nnotes, 9);
	assert_int_equal(c->notes[1].line, 2);
	assert_int_equal(c->npackages, 0);
	assert_int_equal(c->catalogs[0].fields[0].type, SAGE_FIELD_TEXTO);
}

/* The CSV dialect and the reading extensions. */
static void
test_file_format_values(void **state)
{
	static char two[1 << 16];
	SageConfig *c;

	c = load(edit("      delimiter: \",\"\n", "      delimiter: \"\\t\"\n      header: yes\n"));
	assert_non_null(c);
	assert_int_equal(c->catalogs[0].delimiter, '\t');
	assert_true(c->catalogs[0].header);

	c = load(edit("      delimiter: \",\"\n", "      delimiter: '\\t'\n      header: No\n"));
	assert_non_null(c);
	assert_int_equal(c->catalogs[0].delimiter, '\t');
	assert_false(c->catalogs[0].header);

	c = load(edit("      delimiter: \",\"\n", "      delimiter: \\t\n      header: \"true\"\n"));
	assert_non_null(c);
	assert_int_equal(c->catalogs[0].delimiter, '\t');
	assert_true(c->catalogs[0].header);
	assert_true(has_note(c, "catalogs.c.file_format.header", "quoted text \"true\" taken as the boolean true"));

	c = load(edit("      delimiter: \",\"\n", "      delimiter: '|'\n      header: 1\n"));
	assert_non_null(c);
	assert_int_equal(c->catalogs[0].delimiter, '|');
	assert_true(c->catalogs[0].header);
	assert_true(has_note(c, "catalogs.c.file_format.header", "number 1 taken as the boolean true"));

	c = load(edit("      delimiter: \",\"\n", "      delimiter: ';'\n      header:\n"));
	assert_non_null(c);
	assert_false(c->catalogs[0].header);
	assert_true(has_note(c, "catalogs.c.file_format.header", "empty value, taken as false"));

	c = load(edit("      delimiter: \",\"\n",
				  "      delimiter: ','\n      encoding: ISO-8859-1\n      quotechar: \"'\"\n"
				  "      na_values: ['', NA, null, 0]\n      skip_rows: 2\n"));
	if (c == NULL)
		fail_msg("%s", ts->err.detail);
	assert_int_equal(c->catalogs[0].encoding, SAGE_ENC_LATIN1);
	assert_int_equal(c->catalogs[0].quotechar, '\'');
	assert_int_equal(c->catalogs[0].nna_values, 4);
	assert_string_equal(c->catalogs[0].na_values[1], "NA");
	assert_string_equal(c->catalogs[0].na_values[2], "");
	assert_string_equal(c->catalogs[0].na_values[3], "0");
	assert_int_equal(c->catalogs[0].skip_rows, 2);

	c = load(edit("      delimiter: \",\"\n",
				  "      delimiter: ','\n      encoding: CP1252\n      quotechar: \"\"\n"
				  "      na_values: NA\n"));
	assert_non_null(c);
	assert_int_equal(c->catalogs[0].encoding, SAGE_ENC_WINDOWS1252);
	assert_int_equal(c->catalogs[0].quotechar, 0);
	assert_int_equal(c->catalogs[0].nna_values, 1);
	assert_true(has_note(c, "catalogs.c.file_format.na_values", "a single value"));
	assert_true(has_note(c, "catalogs.c.file_format.na_values", "empty cells are not null"));

	c = load(edit("      delimiter: \",\"\n", "      delimiter: ','\n      encoding: utf_8\n      sheet: 2\n"));
	assert_non_null(c);
	assert_int_equal(c->catalogs[0].encoding, SAGE_ENC_UTF8);
	assert_int_equal(c->catalogs[0].sheet_index, 0);
	assert_true(has_note(c, "catalogs.c.file_format.sheet", "ignored for CSV files"));

	/* EXCEL: sheet by index or name; CSV-only keys are noted */
	edit("      type: CSV\n      delimiter: \",\"\n",
		 "      type: excel\n      delimiter: ','\n      sheet: 3\n      header: true\n");
	c = load(subst(two, sizeof(two), ts->buf, "      type: CSV\n    catalogs",
				   "      type: EXCEL\n    catalogs"));
	if (c == NULL)
		fail_msg("%s", ts->err.detail);
	assert_int_equal(c->catalogs[0].format, SAGE_FORMAT_EXCEL);
	assert_int_equal(c->catalogs[0].sheet_index, 3);
	assert_null(c->catalogs[0].sheet_name);
	assert_true(has_note(c, "catalogs.c.file_format.delimiter", "ignored for EXCEL files"));
	/* the package is CSV: refused because the catalog became EXCEL */
	c = load(edit("      type: CSV\n      delimiter: \",\"\n",
				  "      type: EXCEL\n      sheet: \"3\"\n"));
	assert_null(c);
	c = load(edit("      type: CSV\n      delimiter: \",\"\n    fields",
				  "      type: EXCEL\n      sheet: Hoja 1\n    fields"));
	assert_null(c);
	assert_string_equal(ts->err.detail,
						"packages.p.catalogs[0] (line 27): catalog \"c\" is of type EXCEL but the package is of type CSV");
}

static void
test_excel_sheet_name(void **state)
{
	const char *yaml =
	"sage_yaml: {name: n, description: d, version: 1, author: a}\n"
	"catalogs:\n"
	"  x:\n"
	"    name: X\n"
	"    description: D\n"
	"    filename: x.xlsx\n"
	"    file_format: {type: EXCEL, sheet: \"2024\", quotechar: \"'\", encoding: latin-1}\n"
	"    fields: [{name: a, type: entero}]\n"
	"packages: {}\n";
	SageConfig *c = load(yaml);

	assert_non_null(c);
	assert_string_equal(c->catalogs[0].sheet_name, "2024");
	assert_int_equal(c->catalogs[0].sheet_index, 0);
	assert_true(has_note(c, "catalogs.x.file_format.quotechar", "ignored for EXCEL files"));
	assert_true(has_note(c, "catalogs.x.file_format.encoding", "ignored for EXCEL files"));
}

static void
test_fields(void **state)
{
	const char *yaml =
	"sage_yaml: {name: n, description: d, version: 1, author: a}\n"
	"catalogs:\n"
	"  x:\n"
	"    name: X\n"
	"    description: D\n"
	"    filename: x.csv\n"
	"    file_format: {type: CSV, delimiter: ',', header: true}\n"
	"    fields:\n"
	"      - {name: a, type: ENTERO, required: true, unique: yes}\n"
	"      - {name: b, type: decimal, required: false, unique: off}\n"
	"      - {name: c, type: fecha, format: '%d/%m/%Y %H:%M'}\n"
	"      - {name: d, type: booleano, format: '%Y'}\n"
	"      - {name: 2024, type: texto}\n"
	"      - {name: f, type: fecha, format: null}\n"
	"packages: {}\n";
	SageConfig *c = load(yaml);
	const SageCatalogDef *cat;

	if (c == NULL)
		fail_msg("%s", ts->err.detail);
	cat = &c->catalogs[0];
	assert_int_equal(cat->nfields, 6);
	assert_true(cat->header);
	assert_int_equal(cat->fields[0].type, SAGE_FIELD_ENTERO);
	assert_true(cat->fields[0].required);
	assert_true(cat->fields[0].unique);
	assert_int_equal(cat->fields[1].type, SAGE_FIELD_DECIMAL);
	assert_false(cat->fields[1].unique);
	assert_string_equal(cat->fields[2].format, "%d/%m/%Y %H:%M");
	assert_null(cat->fields[3].format);
	assert_true(has_note(c, "catalogs.x.fields[3].format", "only fecha fields use a format"));
	assert_string_equal(cat->fields[4].name, "2024");
	assert_null(cat->fields[5].format);
	assert_int_equal(sage_field_col_type(SAGE_FIELD_TEXTO), SAGE_COL_STRING);
	assert_int_equal(sage_field_col_type(SAGE_FIELD_ENTERO), SAGE_COL_INT);
	assert_int_equal(sage_field_col_type(SAGE_FIELD_DECIMAL), SAGE_COL_FLOAT);
	assert_int_equal(sage_field_col_type(SAGE_FIELD_FECHA), SAGE_COL_DATETIME);
	assert_int_equal(sage_field_col_type(SAGE_FIELD_BOOLEANO), SAGE_COL_BOOL);
	assert_string_equal(sage_field_type_name(SAGE_FIELD_BOOLEANO), "booleano");
	assert_string_equal(sage_file_format_name(SAGE_FORMAT_ZIP), "ZIP");
	assert_string_equal(sage_severity_name(SAGE_SEV_WARNING), "warning");
}

static void
test_rules_parsed(void **state)
{
	const char *yaml =
	"sage_yaml: {name: n, description: d, version: 1, author: a}\n"
	"catalogs:\n"
	"  a:\n"
	"    name: A\n"
	"    description: D\n"
	"    filename: a.csv\n"
	"    file_format: {type: CSV, delimiter: ','}\n"
	"    fields:\n"
	"      - name: k\n"
	"        type: texto\n"
	"        validation_rules: []\n"
	"      - name: v\n"
	"        type: decimal\n"
	"        validation_rules:\n"
	"    row_validation:\n"
	"      - {name: r1, description: , rule: \"df['v'] > 0\", severity: WARNING}\n"
	"    catalog_validation:\n"
	"      - {name: c1, description: d, rule: \"len(df) > 0\", severity: Message}\n"
	"  b:\n"
	"    name: B\n"
	"    description: D\n"
	"    filename: b.csv\n"
	"    file_format: {type: CSV, delimiter: ','}\n"
	"    fields: [{name: k, type: texto}]\n"
	"packages:\n"
	"  z:\n"
	"    name: Z\n"
	"    description: D\n"
	"    file_format: {type: zip}\n"
	"    catalogs: [b, a]\n"
	"    package_validation:\n"
	"      - {name: p1, description: d, rule: \"df['a']['k'].isin(df['b']['k'])\"}\n";
	SageConfig *c = load(yaml);

	if (c == NULL)
		fail_msg("%s", ts->err.detail);
	assert_int_equal(c->catalogs[0].fields[0].nrules, 0);
	assert_int_equal(c->catalogs[0].fields[1].nrules, 0);
	assert_int_equal(c->catalogs[0].nrow_rules, 1);
	assert_int_equal(c->catalogs[0].row_rules[0].severity, SAGE_SEV_WARNING);
	assert_int_equal(c->catalogs[0].row_rules[0].scope, SAGE_SCOPE_ROW);
	assert_string_equal(c->catalogs[0].row_rules[0].description, "");
	assert_string_equal(c->catalogs[0].row_rules[0].expr, "df['v'] > 0");
	assert_int_equal(c->catalogs[0].catalog_rules[0].severity, SAGE_SEV_MESSAGE);
	assert_int_equal(c->catalogs[0].catalog_rules[0].scope, SAGE_SCOPE_CATALOG);
	assert_string_equal(c->catalogs[0].catalog_rules[0].path, "catalogs.a.catalog_validation[0]");
	assert_int_equal(c->packages[0].format, SAGE_FORMAT_ZIP);
	assert_int_equal(c->packages[0].ncatalogs, 2);
	assert_int_equal(c->packages[0].catalogs[0], 1);
	assert_int_equal(c->packages[0].catalogs[1], 0);
	assert_int_equal(c->packages[0].nrules, 1);
	assert_int_equal(c->packages[0].rules[0].scope, SAGE_SCOPE_PACKAGE);
	assert_int_equal(c->packages[0].rules[0].severity, SAGE_SEV_ERROR);
	assert_non_null(c->packages[0].rules[0].compiled);
	assert_int_equal(sage_config_find_catalog(c, "b"), 1);
	assert_int_equal(sage_config_find_package(c, "z"), 0);
	assert_int_equal(sage_config_find_catalog(c, "zz"), -1);

	/* two catalogs of a package expecting the same file */
	{
		static char y[8192];
		const char *p = strstr(yaml, "    filename: b.csv\n");

		snprintf(y, sizeof(y), "%.*s    filename: a.csv\n%s", (int) (p - yaml), yaml,
				 p + strlen("    filename: b.csv\n"));
		expect_refusal(y, SAGE_ERR_CONFIG,
					   "packages.z.catalogs[1] (line 30): catalogs \"b\" and \"a\" of this package both expect the file \"a.csv\"");
	}
}

/* A rule the compiler refuses: SAGE_ERR_RULE when it is the only problem. */
static void
test_rule_refused(void **state)
{
	static char two[1 << 16];
	const char *prefix = "catalogs.c.fields[0].validation_rules[0].rule (line 20): ";
	SageConfig *c;

	c = load(edit("            rule: \"df['id'].notna()\"\n",
				  "            rule: \"__import__('os').system('true')\"\n"));
	assert_null(c);
	assert_int_equal(ts->err.code, SAGE_ERR_RULE);
	assert_string_equal(ts->err.message, "invalid configuration");
	assert_true(strncmp(ts->err.detail, prefix, strlen(prefix)) == 0);
	assert_true(strlen(ts->err.detail) > strlen(prefix) + 5);
	assert_null(strchr(ts->err.detail, '\n'));
	assert_non_null(strstr(ts->err.hint, "rule"));

	/* with another problem, the code is CONFIG and both are listed */
	edit("            rule: \"df['id'].notna()\"\n",
		 "            rule: \"__import__('os')\"\n");
	c = load(subst(two, sizeof(two), ts->buf, "        type: texto\n",
				   "        type: texto\n        unique: 7\n"));
	assert_null(c);
	assert_int_equal(ts->err.code, SAGE_ERR_CONFIG);
	assert_true(strncmp(ts->err.detail,
						"catalogs.c.fields[0].unique (line 17): expected true or false, found \"7\"\n"
						"catalogs.c.fields[0].validation_rules[0].rule (line 21): ",
						strlen("catalogs.c.fields[0].unique (line 17): expected true or false, found \"7\"\n"
							   "catalogs.c.fields[0].validation_rules[0].rule (line 21): ")) == 0);
}

/* Keys written twice are problems; merge keys and aliases work. */
static void
test_duplicates_and_merges(void **state)
{
	const char *yaml =
	"sage_yaml: {name: n, description: d, version: 1, author: a}\n"	/* 1 */
	"base: &fmt {type: CSV, delimiter: '|', header: false}\n"	/* 2 */
	"rules: &rules\n"			/* 3 */
	"  - {name: r, description: d, rule: \"df['k'].notna()\"}\n"	/* 4 */
	"catalogs:\n"				/* 5 */
	"  a: &cat\n"				/* 6 */
	"    name: A\n"				/* 7 */
	"    description: D\n"		/* 8 */
	"    filename: a.csv\n"		/* 9 */
	"    file_format: *fmt\n"	/* 10 */
	"    fields: [{name: k, type: texto, validation_rules: *rules}]\n"	/* 11 */
	"  b:\n"					/* 12 */
	"    <<: *cat\n"			/* 13 */
	"    filename: b.csv\n"		/* 14 */
	"    file_format:\n"		/* 15 */
	"      <<: *fmt\n"			/* 16 */
	"      header: true\n"		/* 17 */
	"packages: {}\n";			/* 18 */
	SageConfig *c = load(yaml);

	if (c == NULL)
		fail_msg("%s", ts->err.detail);
	assert_int_equal(c->ncatalogs, 2);
	assert_string_equal(c->catalogs[1].name, "A");
	assert_string_equal(c->catalogs[1].filename, "b.csv");
	assert_int_equal(c->catalogs[1].delimiter, '|');
	assert_true(c->catalogs[1].header);
	assert_false(c->catalogs[0].header);
	assert_int_equal(c->catalogs[1].fields[0].nrules, 1);
	assert_true(has_note(c, "base", "unknown key ignored"));

	expect_refusal(edit("    filename: c.csv\n", "    filename: c.csv\n    filename: d.csv\n"),
				   SAGE_ERR_CONFIG, "catalogs.c.filename (line 11): duplicate key");
	c = load(edit("packages:\n", "  c:\n    x: 1\npackages:\n"));
	assert_null(c);
	assert_non_null(strstr(ts->err.detail, "catalogs.c (line 21): duplicate key"));
	c = load(edit("packages:\n", "catalogs: {}\npackages:\n"));
	assert_null(c);
	assert_non_null(strstr(ts->err.detail, "catalogs (line 21): duplicate key"));
	c = load(edit("  p:\n", "  q: {<<: [1]}\n  p:\n"));
	assert_null(c);
	assert_string_equal(ts->err.message,
						"could not parse YAML configuration: a merge key (<<) needs a mapping or a list of mappings at line 22, column 12");
	c = load(edit("  p:\n", "  q: {<<: 1}\n  p:\n"));
	assert_null(c);
	assert_string_equal(ts->err.message,
						"could not parse YAML configuration: a merge key (<<) needs a mapping or a list of mappings at line 22, column 11");
}

/* Text that is not a configuration: clear errors, never a crash. */
static void
test_hostile_yaml(void **state)
{
	SageConfig *c;
	char	   *big;
	size_t		i;
	static const char *const garbage[] = {
		"\x00\x01\x02\xff\xfe",
		"\xff\xfe\x00\x00garbage",
		"{[}",
		"a: b: c",
		"key: \"unterminated",
		"- [1, 2\n",
		"\t- tab\n",
		"!!python/object:os.system {}\n",
		"a: !custom x\n",
		"*nothing\n",
		"a: &x [*x]\n",
		"? [complex]\n: key\n",
		"---\na: 1\n---\nb: 2\n",
	};

	c = load("");
	assert_null(c);
	assert_int_equal(ts->err.code, SAGE_ERR_CONFIG);
	assert_string_equal(ts->err.detail, "document (line 1): the configuration is empty");
	c = load("# only a comment\n---\n");
	assert_null(c);
	assert_string_equal(ts->err.message, "invalid configuration");
	c = load("~\n");
	assert_null(c);
	assert_string_equal(ts->err.detail, "document (line 1): the configuration is empty");
	c = load("- a\n- b\n");
	assert_null(c);
	assert_string_equal(ts->err.detail, "document (line 1): expected a mapping, found a list");
	c = load("\n\nhello\n");
	assert_null(c);
	assert_string_equal(ts->err.detail, "document (line 3): expected a mapping, found a single value");

	for (i = 0; i < sizeof(garbage) / sizeof(garbage[0]); i++)
	{
		size_t		len = strlen(garbage[i]);

		if (i == 0)
			len = 5;
		if (i == 1)
			len = 11;
		c = sage_config_load(ts->arena, garbage[i], len, &ts->err);
		assert_null(c);
		assert_int_equal(ts->err.code, SAGE_ERR_CONFIG);
		if (strncmp(ts->err.message, "could not parse YAML configuration: ", 36) != 0)
			fail_msg("input %zu: %s", i, ts->err.message);
		assert_non_null(strstr(ts->err.message, " at line "));
	}
	c = load("a: b: c");
	assert_string_equal(ts->err.message,
						"could not parse YAML configuration: mapping values are not allowed in this context at line 1, column 5");
	c = sage_config_load(ts->arena, "a: 1\n\xff", 6, &ts->err);
	assert_string_equal(ts->err.message,
						"could not parse YAML configuration: invalid leading UTF-8 octet at line 2, column 1");
	c = load("a: !custom x\n");
	assert_string_equal(ts->err.message,
						"could not parse YAML configuration: unsupported tag \"!custom\" at line 1, column 4");
	c = load("a: &x [*x]\n");
	assert_string_equal(ts->err.message,
						"could not parse YAML configuration: unknown or recursive alias \"*x\" at line 1, column 8");

	/* billion laughs */
	c = load("a: &a [x, x, x, x, x, x, x, x, x, x]\n"
			 "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
			 "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
			 "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
			 "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
			 "f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
			 "g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\n"
			 "h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g, *g]\n"
			 "i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h, *h]\n");
	assert_null(c);
	assert_int_equal(ts->err.code, SAGE_ERR_CONFIG);
	assert_non_null(strstr(ts->err.message, "the document expands to more than 1000000 nodes"));
	/* merge-key laughs */
	c = load("a: &a {a: 1, b: 2, c: 3, d: 4, e: 5, f: 6, g: 7, h: 8}\n"
			 "b: &b [*a, *a, *a, *a, *a, *a, *a, *a]\n"
			 "c: &c {<<: *b, x: *b}\n"
			 "d: &d [*c, *c, *c, *c, *c, *c, *c, *c]\n"
			 "e: &e [*d, *d, *d, *d, *d, *d, *d, *d]\n"
			 "f: &f [*e, *e, *e, *e, *e, *e, *e, *e]\n"
			 "g: &g [*f, *f, *f, *f, *f, *f, *f, *f]\n"
			 "h: &h [*g, *g, *g, *g, *g, *g, *g, *g]\n");
	assert_null(c);
	assert_non_null(strstr(ts->err.message, "expands to more than"));

	/* deep nesting */
	big = malloc(200001);
	for (i = 0; i < 100000; i++)
		big[i] = '[';
	for (; i < 200000; i++)
		big[i] = ']';
	big[200000] = '\0';
	c = load(big);
	assert_null(c);
	assert_string_equal(ts->err.message,
						"could not parse YAML configuration: nesting deeper than 64 levels at line 1, column 65");
	free(big);

	/* too many nodes */
	big = malloc(1000001);
	big[0] = '[';
	for (i = 1; i < 999998; i += 2)
	{
		big[i] = '1';
		big[i + 1] = ',';
	}
	big[i] = ']';
	big[i + 1] = '\0';
	c = load(big);
	assert_null(c);
	assert_non_null(strstr(ts->err.message, "more than 200000 nodes"));
	free(big);

	/* too large */
	big = malloc(SAGE_CONFIG_MAX_BYTES + 2);
	memset(big, '#', SAGE_CONFIG_MAX_BYTES + 1);
	big[SAGE_CONFIG_MAX_BYTES + 1] = '\0';
	c = load(big);
	assert_null(c);
	assert_int_equal(ts->err.code, SAGE_ERR_LIMIT);
	assert_string_equal(ts->err.message, "configuration is too large");
	free(big);

	/* NUL inside a value */
	c = load(edit("    filename: c.csv\n", "    filename: \"c\\0.csv\"\n"));
	assert_null(c);
	assert_string_equal(ts->err.detail, "catalogs.c.filename (line 10): must not contain NUL characters");
}

/* Many problems: the detail stays within its buffer and says how many more. */
static void
test_many_problems(void **state)
{
	char	   *yaml = malloc(200000);
	size_t		o;
	int			i;
	SageConfig *c;

	o = (size_t) sprintf(yaml, "sage_yaml: {name: n, description: d, version: 1, author: a}\n"
						 "packages: {}\ncatalogs:\n  c:\n    name: C\n    description: D\n"
						 "    filename: c.csv\n    file_format: {type: CSV, delimiter: ','}\n"
						 "    fields:\n");
	for (i = 0; i < 500; i++)
		o += (size_t) sprintf(yaml + o, "      - {name: f%d, type: nope}\n", i);
	c = load(yaml);
	assert_null(c);
	assert_true(strlen(ts->err.detail) < sizeof(ts->err.detail));
	assert_non_null(strstr(ts->err.detail, "more problems."));
	assert_true(strncmp(ts->err.detail, "catalogs.c.fields[0].type (line 10): ", 36) == 0);
	free(yaml);
}

/* An exhausted memory budget is a clean SAGE_ERR_MEMORY at every point. */
static void
test_memory_budget(void **state)
{
	size_t		len;
	char	   *yaml = read_data("realworld/CanalTradicionalArchivosDistribuidora.yaml", &len);
	size_t		limit;
	int			ok = 0,
				oom = 0;

	for (limit = 1024; limit < 4 * 1024 * 1024; limit = limit * 5 / 4)
	{
		SageBudget	budget = {limit, 0, 0};
		SageArena  *a = sage_arena_new(&budget);
		SageError	err;
		SageConfig *c;

		if (a == NULL)
			continue;
		c = sage_config_load(a, yaml, len, &err);
		if (c != NULL)
			ok++;
		else
		{
			if (err.code != SAGE_ERR_MEMORY)
				fail_msg("limit %zu: %s %s", limit, err.message, err.detail);
			oom++;
		}
		sage_arena_free(a);
	}
	assert_true(ok > 0);
	assert_true(oom > 0);
	free(yaml);
}

/* The acceptance cases: all load, except the three unsafe ones. */
static void
test_case_configs(void **state)
{
	static const char *const ok_cases[] = {
		"csv_header_basic", "csv_noheader_pipe", "encoding_bom", "encoding_invalid_utf8",
		"header_only", "quoted_multiline", "rule_forms", "shape_header", "shape_noheader",
		"xlsx_basic", "zip_package",
	};
	char		rel[256];
	size_t		i,
				len;
	char	   *yaml;
	SageConfig *c;

	for (i = 0; i < sizeof(ok_cases) / sizeof(ok_cases[0]); i++)
	{
		snprintf(rel, sizeof(rel), "cases/%s/config.yaml", ok_cases[i]);
		yaml = read_data(rel, &len);
		c = sage_config_load(ts->arena, yaml, len, &ts->err);
		if (c == NULL)
			fail_msg("%s: %s\n%s", ok_cases[i], ts->err.message, ts->err.detail);
		free(yaml);
	}
	for (i = 1; i <= 3; i++)
	{
		snprintf(rel, sizeof(rel), "cases/unsafe_%zu/config.yaml", i);
		yaml = read_data(rel, &len);
		c = sage_config_load(ts->arena, yaml, len, &ts->err);
		assert_null(c);
		assert_int_equal(ts->err.code, SAGE_ERR_RULE);
		if (strncmp(ts->err.detail, "catalogs.t.fields[0].validation_rules[0].rule (line 19): ", 57) != 0)
			fail_msg("unsafe_%zu: %s", i, ts->err.detail);
		free(yaml);
	}

	/* a closer look at two of them */
	yaml = read_data("cases/zip_package/config.yaml", &len);
	c = sage_config_load(ts->arena, yaml, len, &ts->err);
	assert_non_null(c);
	assert_int_equal(c->ncatalogs, 3);
	assert_string_equal(c->catalogs[0].key, "clientes");
	assert_string_equal(c->catalogs[2].key, "productos");
	assert_true(c->catalogs[1].header);
	assert_int_equal(c->packages[0].ncatalogs, 3);
	assert_int_equal(c->packages[0].nrules, 2);
	assert_int_equal(c->packages[0].rules[0].severity, SAGE_SEV_WARNING);
	free(yaml);

	yaml = read_data("cases/csv_header_basic/config.yaml", &len);
	c = sage_config_load(ts->arena, yaml, len, &ts->err);
	assert_non_null(c);
	assert_int_equal(c->catalogs[0].nfields, 6);
	assert_true(c->catalogs[0].fields[0].unique);
	assert_int_equal(c->catalogs[0].fields[3].type, SAGE_FIELD_FECHA);
	assert_int_equal(c->catalogs[0].nrow_rules, 1);
	assert_int_equal(c->catalogs[0].ncatalog_rules, 1);
	assert_int_equal(c->nnotes, 0);
	free(yaml);
}

/* Real users' configurations load without a single error. */
static void
test_realworld_configs(void **state)
{
	size_t		len;
	char	   *yaml;
	SageConfig *c;
	int			i;

	yaml = read_data("realworld/CanalTradicionalArchivosDistribuidora.yaml", &len);
	c = sage_config_load(ts->arena, yaml, len, &ts->err);
	if (c == NULL)
		fail_msg("%s\n%s", ts->err.message, ts->err.detail);
	assert_int_equal(c->ncatalogs, 7);
	assert_string_equal(c->catalogs[6].key, "rutas");
	for (i = 0; i < 7; i++)
	{
		assert_int_equal(c->catalogs[i].delimiter, '|');
		assert_false(c->catalogs[i].header);
	}
	assert_int_equal(c->npackages, 1);
	assert_int_equal(c->packages[0].format, SAGE_FORMAT_ZIP);
	assert_int_equal(c->packages[0].ncatalogs, 7);
	assert_int_equal(c->packages[0].nrules, 1);
	assert_int_equal(c->nnotes, 0);
	free(yaml);

	yaml = read_data("realworld/packhomologaciones.yaml", &len);
	c = sage_config_load(ts->arena, yaml, len, &ts->err);
	if (c == NULL)
		fail_msg("%s\n%s", ts->err.message, ts->err.detail);
	assert_int_equal(c->ncatalogs, 1);
	assert_int_equal(c->catalogs[0].format, SAGE_FORMAT_EXCEL);
	assert_int_equal(c->catalogs[0].nfields, 24);
	assert_int_equal(c->catalogs[0].fields[0].rules[0].severity, SAGE_SEV_ERROR);
	assert_int_equal(c->catalogs[0].ncatalog_rules, 1);
	assert_string_equal(c->comments, "Archivo generado automáticamente");
	assert_true(has_note(c, "catalogs.pck_homologaciones.file_format.delimiter",
						 "ignored for EXCEL files"));
	assert_int_equal(c->nnotes, 1);
	free(yaml);
}

/* Files of test/data/config: oddities that must load. */
static void
test_data_files(void **state)
{
	size_t		len;
	char	   *yaml;
	SageConfig *c;

	yaml = read_data("config/odd_but_valid.yaml", &len);
	c = sage_config_load(ts->arena, yaml, len, &ts->err);
	if (c == NULL)
		fail_msg("%s\n%s", ts->err.message, ts->err.detail);
	assert_int_equal(c->ncatalogs, 2);
	assert_int_equal(c->catalogs[0].delimiter, '\t');
	assert_int_equal(c->catalogs[1].delimiter, '\t');
	assert_string_equal(c->version, "2");
	assert_int_equal(c->npackages, 0);
	free(yaml);

	yaml = read_data("config/utf16.yaml", &len);
	c = sage_config_load(ts->arena, yaml, len, &ts->err);
	if (c == NULL)
		fail_msg("%s\n%s", ts->err.message, ts->err.detail);
	assert_string_equal(c->catalogs[0].name, "Catálogo");
	free(yaml);
}

/*
 * An arena with room bytes left before its budget is exhausted: its first
 * block is filled up to room bytes from its end and the budget is set to
 * what is already charged.
 */
static SageArena *
arena_with_room(SageBudget *budget, size_t room)
{
	SageArena  *arena;

	memset(budget, 0, sizeof(*budget));
	budget->limit = SIZE_MAX;
	arena = sage_arena_new(budget);
	assert_non_null(arena);
	assert_non_null(sage_alloc(arena, 64 * 1024 - room));
	budget->limit = budget->used;
	return arena;
}

/* Running out of memory at any allocation of the loader gives SAGE_ERR_MEMORY. */
static void
test_out_of_memory_everywhere(void **state)
{
	static const char *const texts[] = {
		NULL,					/* BASE */
		"sage_yaml: {name: n, description: d, version: 1, author: a}\n"
		"catalogs:\n  c:\n    name: C\n    description: D\n    filename: '*.csv'\n"
		"    file_format: {type: CSV, delimiter: ';', quotechar: \"'\", encoding: latin-1}\n"
		"    fields:\n      - {name: a, type: entero, required: true, unique: true}\n"
		"      - {name: b, type: fecha, format: '%d/%m/%Y'}\n"
		"    row_validation:\n      - {name: r, description: x, rule: \"df['a'] > 1\", severity: warning}\n"
		"    catalog_validation:\n      - {name: q, description: y, rule: \"len(df) > 1\"}\n"
		"packages:\n  p:\n    name: P\n    description: PD\n    file_format: {type: ZIP}\n"
		"    catalogs: [c]\n    package_validation:\n      - {name: z, description: w, rule: \"df['c']['a'] > 0\"}\n",
		"catalogs:\n  c:\n    fields:\n      - {name: a, type: nope}\n      - {name: a}\n"
		"    row_validation:\n      - {rule: \"df['zz'] > 1\"}\n  \"\\t\\x01\\\\\\\"\": {}\n",
	};
	int			ran_out = 0;

	(void) state;
	for (size_t k = 0; k < sizeof(texts) / sizeof(texts[0]); k++)
	{
		const char *text = texts[k] != NULL ? texts[k] : BASE;
		bool		done = false;

		for (size_t room = 0; room <= 60 * 1024 && !done; room += 16)
		{
			SageBudget	budget;
			SageArena  *arena = arena_with_room(&budget, room);
			SageError	err;
			SageConfig *c;

			sage_error_clear(&err);
			c = sage_config_load(arena, text, strlen(text), &err);
			if (c != NULL || err.code != SAGE_ERR_MEMORY)
				done = true;
			else
				ran_out++;
			sage_arena_free(arena);
		}
		if (!done)
			fail_msg("configuration %zu never loaded", k);
	}
	assert_true(ran_out > 50);
}

/* Keys that need escaping in messages, empty keys, and the name helpers. */
static void
test_odd_keys_and_names(void **state)
{
	SageConfig *c;
	char		longkey[400];

	(void) state;
	c = load("catalogs:\n  \"a\\tb\\n\\x01\\\\\\\"\":\n    fields: 1\n");
	assert_null(c);
	assert_non_null(strstr(ts->err.detail != NULL ? ts->err.detail : ts->err.message, "\\t"));
	memset(longkey, 'k', 300);
	snprintf(longkey + 300, sizeof(longkey) - 300, ": 1\n");
	c = load(longkey);
	assert_null(c);
	c = load("catalogs:\n  '':\n    fields: []\npackages:\n  '':\n    catalogs: []\n");
	assert_null(c);
	assert_non_null(strstr(ts->err.detail != NULL ? ts->err.detail : ts->err.message,
						   "must be a non-empty name"));
	assert_null(sage_config_load(ts->arena, NULL, 5, &ts->err));
	assert_int_equal(ts->err.code, SAGE_ERR_ARGUMENT);
	assert_string_equal(sage_field_type_name(SAGE_FIELD_TEXTO), "texto");
	assert_string_equal(sage_field_type_name(SAGE_FIELD_DECIMAL), "decimal");
	assert_string_equal(sage_field_type_name(SAGE_FIELD_ENTERO), "entero");
	assert_string_equal(sage_field_type_name(SAGE_FIELD_FECHA), "fecha");
	assert_string_equal(sage_field_type_name((SageFieldType) 99), "unknown");
	assert_string_equal(sage_file_format_name((SageFileFormat) 99), "unknown");
	assert_string_equal(sage_severity_name(SAGE_SEV_ERROR), "error");
	assert_string_equal(sage_severity_name(SAGE_SEV_MESSAGE), "message");
	assert_string_equal(sage_severity_name((SageSeverity) 99), "unknown");
	assert_int_equal(sage_field_col_type((SageFieldType) 99), SAGE_COL_STRING);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_base_loads, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_keys, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_values, setup, teardown),
		cmocka_unit_test_setup_teardown(test_all_problems_collected, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_keys_are_notes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_file_format_values, setup, teardown),
		cmocka_unit_test_setup_teardown(test_excel_sheet_name, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fields, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rules_parsed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rule_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_duplicates_and_merges, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hostile_yaml, setup, teardown),
		cmocka_unit_test_setup_teardown(test_many_problems, setup, teardown),
		cmocka_unit_test_setup_teardown(test_memory_budget, setup, teardown),
		cmocka_unit_test_setup_teardown(test_case_configs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_realworld_configs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_data_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_out_of_memory_everywhere, setup, teardown),
		cmocka_unit_test_setup_teardown(test_odd_keys_and_names, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
