/*-------------------------------------------------------------------------
 *
 * src/core/config_load.c
 *		Loads and validates a SAGE YAML configuration (PROCESSOR.md section
 *		1) into the SageConfig structures, compiling every rule.
 *
 * The loader walks the node tree of yaml_doc.c and never stops at the
 * first problem: every problem becomes one line of the error detail,
 *
 *		<path> (line <n>): <message>
 *
 * where path names the place as a user would (catalogs.clientes.fields[3].type)
 * and n is the line of the offending node in the YAML text (for a missing
 * key, the line of the mapping that lacks it). Lines are listed in the
 * order of the document. Things that are accepted but worth knowing
 * (unknown keys, "csv" instead of "CSV", an empty "packages:") become
 * SageConfigNote entries instead, for the execution's info events.
 *
 * Decisions where SAGE configurations are loose:
 * - "catalogs:" or "packages:" with no value (YAML null) means no entries,
 *   with a note; users write that for packages.
 * - Booleans: the YAML 1.1 words (true/false/yes/no/on/off, any of their
 *   three spellings) are booleans. A quoted "true"/"false"/"yes"/"no" and a
 *   plain 0/1 are accepted with a note, because in Python SAGE a string
 *   was truthy and users meant the boolean. An empty value keeps the
 *   default with a note. Anything else is a problem.
 * - A key written twice in one mapping is a problem (PyYAML silently kept
 *   the last one, hiding the first definition).
 * - Names given as numbers (version: 1.0, name: 2024) keep their text.
 * - The delimiter "\t" may be a real tab (double-quoted YAML) or the two
 *   characters backslash and t (single-quoted or plain YAML); both mean tab.
 * - A catalog's na_values replace the default [""]; a note says so when
 *   the empty string is no longer among them.
 *
 * Rules are compiled with the catalog's schema (all of its fields, in
 * order) or, for package rules, one table per listed catalog; a refusal
 * becomes one problem at "<rule path>.rule". When every problem is a
 * refused rule the error code is SAGE_ERR_RULE, else SAGE_ERR_CONFIG.
 *
 *-------------------------------------------------------------------------
 */
#include "sage/config.h"
#include "yaml_internal.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CFG_QUOTE_MAX 60		/* bytes of a value quoted in a message */
#define CFG_MAX_SKIP_ROWS 1000000000L

/* One problem found while loading. */
typedef struct CfgProblem
{
	const char *text;			/* "path (line n): message" */
	int			line;			/* for document order */
	int			order;			/* discovery order, to keep the sort stable */
	bool		rule;			/* a rule the compiler refused */
} CfgProblem;

/* Loader state: where results go and what was found so far. */
typedef struct CfgLoader
{
	SageArena  *arena;			/* the caller's arena: the SageConfig */
	SageArena  *scratch;		/* node tree, paths, problems */
	CfgProblem *problems;
	int			nproblems;
	int			capproblems;
	SageConfigNote *notes;		/* in scratch; copied to arena at the end */
	int			nnotes;
	int			capnotes;
	bool		oom;			/* an allocation failed */
	bool		catalogs_broken;	/* catalogs is not a mapping: do not
									 * report packages' catalogs as unknown */
	SageConfig *config;
} CfgLoader;

/* A string with its position, for duplicate detection by sorting. */
typedef struct CfgName
{
	const char *s;
	int			index;
} CfgName;

static const char *const cfg_root_keys[] = {"sage_yaml", "catalogs", "packages", NULL};
static const char *const cfg_meta_keys[] = {"name", "description", "version", "author", "comments", NULL};
static const char *const cfg_catalog_keys[] = {"name", "description", "filename", "file_format",
"fields", "row_validation", "catalog_validation", NULL};
static const char *const cfg_format_keys[] = {"type", "delimiter", "header", "encoding",
"quotechar", "sheet", "na_values", "skip_rows", NULL};
static const char *const cfg_field_keys[] = {"name", "type", "required", "unique",
"validation_rules", "format", NULL};
static const char *const cfg_rule_keys[] = {"name", "description", "rule", "severity", NULL};
static const char *const cfg_package_keys[] = {"name", "description", "file_format", "catalogs",
"package_validation", NULL};
static const char *const cfg_pkg_format_keys[] = {"type", NULL};

/* ------------------------------------------------------------ utilities */

/*
 * cfg_ieq
 *		ASCII case-insensitive equality.
 */
static bool
cfg_ieq(const char *a, const char *b)
{
	for (; *a && *b; a++, b++)
	{
		char		x = (*a >= 'A' && *a <= 'Z') ? (char) (*a + 32) : *a;
		char		y = (*b >= 'A' && *b <= 'Z') ? (char) (*b + 32) : *b;

		if (x != y)
			return false;
	}
	return *a == *b;
}

/*
 * cfg_quote
 *		A value for a message: double-quoted, control characters escaped so
 *		the problem stays on one line, cut after CFG_QUOTE_MAX bytes at a
 *		UTF-8 boundary.
 */
static const char *
cfg_quote(CfgLoader *ld, const char *s, size_t len)
{
	char		buf[CFG_QUOTE_MAX * 4 + 8];
	size_t		o = 0;
	size_t		i;
	char	   *r;

	buf[o++] = '"';
	for (i = 0; i < len; i++)
	{
		unsigned char c = (unsigned char) s[i];

		if (i >= CFG_QUOTE_MAX && (c & 0xC0) != 0x80)
		{
			memcpy(buf + o, "...", 3);
			o += 3;
			break;
		}
		if (c == '"' || c == '\\')
		{
			buf[o++] = '\\';
			buf[o++] = (char) c;
		}
		else if (c == '\n')
		{
			buf[o++] = '\\';
			buf[o++] = 'n';
		}
		else if (c == '\t')
		{
			buf[o++] = '\\';
			buf[o++] = 't';
		}
		else if (c < 0x20 || c == 0x7f)
			o += (size_t) snprintf(buf + o, 5, "\\x%02x", c);
		else
			buf[o++] = (char) c;
	}
	buf[o++] = '"';
	r = sage_strndup(ld->scratch, buf, o);
	if (r == NULL)
	{
		ld->oom = true;
		return "\"?\"";
	}
	return r;
}

/*
 * cfg_describe
 *		What was found, for "expected ..., found ..." messages.
 */
static const char *
cfg_describe(CfgLoader *ld, const YamlNode *n)
{
	if (n->kind == YAML_SCALAR && !sage_yaml_is_null(n))
		return cfg_quote(ld, n->text, n->len);
	return sage_yaml_kind_name(n);
}

/*
 * cfg_key_path
 *		parent.key, or parent["key"] when the key is not a plain word.
 */
static const char *
cfg_key_path(CfgLoader *ld, const char *parent, const char *key, size_t len)
{
	bool		word = len > 0 && len <= CFG_QUOTE_MAX;
	size_t		i;
	char	   *r;

	for (i = 0; word && i < len; i++)
	{
		char		c = key[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (c >= '0' && c <= '9') || c == '_' || c == '-'))
			word = false;
	}
	if (word)
		r = parent == NULL ? sage_strndup(ld->scratch, key, len)
			: sage_printf(ld->scratch, "%s.%.*s", parent, (int) len, key);
	else
		r = sage_printf(ld->scratch, "%s[%s]", parent == NULL ? "" : parent,
						cfg_quote(ld, key, len));
	if (r == NULL)
	{
		ld->oom = true;
		return "?";
	}
	return r;
}

/* parent.key for a key given as a C string. */
static const char *
cfg_sub(CfgLoader *ld, const char *parent, const char *key)
{
	return cfg_key_path(ld, parent, key, strlen(key));
}

/* parent[i] for a list item. */
static const char *
cfg_index(CfgLoader *ld, const char *parent, int i)
{
	char	   *r = sage_printf(ld->scratch, "%s[%d]", parent, i);

	if (r == NULL)
	{
		ld->oom = true;
		return "?";
	}
	return r;
}

/*
 * cfg_problem_v
 *		Records one problem line. rule marks refusals of the rule compiler,
 *		which decide the error code.
 */
static void
cfg_problem_v(CfgLoader *ld, bool rule, const char *path, int line,
			  const char *fmt, va_list ap)
			__attribute__((format(printf, 5, 0)));

static void
cfg_problem_v(CfgLoader *ld, bool rule, const char *path, int line,
			  const char *fmt, va_list ap)
{
	char		msg[2048];
	CfgProblem *p;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (ld->nproblems >= ld->capproblems)
	{
		int			ncap = ld->capproblems == 0 ? 16 : ld->capproblems * 2;
		CfgProblem *np = sage_realloc(ld->scratch, ld->problems,
									  sizeof(CfgProblem) * (size_t) ld->capproblems,
									  sizeof(CfgProblem) * (size_t) ncap);

		if (np == NULL)
		{
			ld->oom = true;
			return;
		}
		ld->problems = np;
		ld->capproblems = ncap;
	}
	p = &ld->problems[ld->nproblems];
	p->text = sage_printf(ld->scratch, "%s (line %d): %s", path, line, msg);
	if (p->text == NULL)
	{
		ld->oom = true;
		return;
	}
	p->line = line;
	p->order = ld->nproblems;
	p->rule = rule;
	ld->nproblems++;
}

static void
cfg_problem(CfgLoader *ld, const char *path, int line, const char *fmt,...)
			__attribute__((format(printf, 4, 5)));

/* A configuration problem (not a rule refusal). */
static void
cfg_problem(CfgLoader *ld, const char *path, int line, const char *fmt,...)
{
	va_list		ap;

	va_start(ap, fmt);
	cfg_problem_v(ld, false, path, line, fmt, ap);
	va_end(ap);
}

static void
cfg_rule_problem(CfgLoader *ld, const char *path, int line, const char *fmt,...)
			__attribute__((format(printf, 4, 5)));

/* A rule the compiler refused. */
static void
cfg_rule_problem(CfgLoader *ld, const char *path, int line, const char *fmt,...)
{
	va_list		ap;

	va_start(ap, fmt);
	cfg_problem_v(ld, true, path, line, fmt, ap);
	va_end(ap);
}

/*
 * cfg_note
 *		Records an informational note (kept in the loaded configuration).
 */
static void
cfg_note(CfgLoader *ld, const char *path, int line, const char *fmt,...)
			__attribute__((format(printf, 4, 5)));

static void
cfg_note(CfgLoader *ld, const char *path, int line, const char *fmt,...)
{
	char		msg[1024];
	va_list		ap;
	SageConfigNote *n;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (ld->nnotes >= ld->capnotes)
	{
		int			ncap = ld->capnotes == 0 ? 8 : ld->capnotes * 2;
		SageConfigNote *nn = sage_realloc(ld->scratch, ld->notes,
										  sizeof(SageConfigNote) * (size_t) ld->capnotes,
										  sizeof(SageConfigNote) * (size_t) ncap);

		if (nn == NULL)
		{
			ld->oom = true;
			return;
		}
		ld->notes = nn;
		ld->capnotes = ncap;
	}
	n = &ld->notes[ld->nnotes];
	n->path = path;
	n->line = line;
	n->message = sage_strdup(ld->scratch, msg);
	if (n->message == NULL)
	{
		ld->oom = true;
		return;
	}
	ld->nnotes++;
}

/*
 * cfg_keep
 *		Copies a string into the caller's arena.
 */
static const char *
cfg_keep(CfgLoader *ld, const char *s)
{
	char	   *r;

	if (s == NULL)
		return NULL;
	r = sage_strdup(ld->arena, s);
	if (r == NULL)
		ld->oom = true;
	return r;
}

/*
 * cfg_alloc
 *		Zeroed array in the caller's arena; n may be 0.
 */
static void *
cfg_alloc(CfgLoader *ld, size_t n, size_t size)
{
	void	   *p;

	if (n == 0)
		n = 1;
	if (n > SIZE_MAX / size)
	{
		ld->oom = true;
		return NULL;
	}
	p = sage_alloc0(ld->arena, n * size);
	if (p == NULL)
		ld->oom = true;
	return p;
}

/* Orders names by text, then by position. */
static int
cfg_name_cmp(const void *a, const void *b)
{
	const CfgName *x = a;
	const CfgName *y = b;
	int			c = strcmp(x->s, y->s);

	return c != 0 ? c : x->index - y->index;
}

/*
 * cfg_sort_names
 *		Sorts n names (NULL entries are skipped) so duplicates are adjacent,
 *		the first occurrence first; returns the sorted array (scratch) and
 *		the number of entries in *count.
 */
static CfgName *
cfg_sort_names(CfgLoader *ld, const char *const *names, int n, int *count)
{
	CfgName    *v = sage_alloc(ld->scratch, sizeof(CfgName) * (size_t) (n > 0 ? n : 1));
	int			i,
				k = 0;

	*count = 0;
	if (v == NULL)
	{
		ld->oom = true;
		return NULL;
	}
	for (i = 0; i < n; i++)
		if (names[i] != NULL)
		{
			v[k].s = names[i];
			v[k].index = i;
			k++;
		}
	qsort(v, (size_t) k, sizeof(CfgName), cfg_name_cmp);
	*count = k;
	return v;
}

/* ------------------------------------------------------ node accessors */

/*
 * cfg_is_map
 *		True for a mapping; otherwise records "expected a mapping".
 */
static bool
cfg_is_map(CfgLoader *ld, const YamlNode *n, const char *path)
{
	if (n->kind == YAML_MAPPING)
		return true;
	cfg_problem(ld, path, n->line, "expected a mapping, found %s", cfg_describe(ld, n));
	return false;
}

/*
 * cfg_check_keys
 *		Notes keys that are not in known, and reports a key written twice.
 */
static void
cfg_check_keys(CfgLoader *ld, const YamlNode *map, const char *path,
			   const char *const *known)
{
	int			i;

	if (map->duplicate != NULL)
		cfg_problem(ld, cfg_key_path(ld, path, map->duplicate->text, map->duplicate->len),
					map->duplicate->line, "duplicate key");
	for (i = 0; i < map->count; i++)
	{
		const YamlNode *k = map->pairs[i].key;
		const char *const *kn;
		bool		found = false;

		for (kn = known; *kn != NULL; kn++)
			if (k->len == strlen(*kn) && memcmp(k->text, *kn, k->len) == 0)
				found = true;
		if (!found)
			cfg_note(ld, cfg_key_path(ld, path, k->text, k->len), k->line,
					 "unknown key ignored");
	}
}

/*
 * cfg_line
 *		The line to name for a problem about a whole mapping (a key it
 *		lacks): the line of the key that introduces it when there is one.
 */
static int
cfg_line(const YamlNode *map)
{
	return map->key_line > 0 ? map->key_line : map->line;
}

/*
 * cfg_get
 *		The value of key; when required and absent, records "missing
 *		required key" at path.key on the mapping's line (see cfg_line).
 */
static const YamlNode *
cfg_get(CfgLoader *ld, const YamlNode *map, const char *path, const char *key,
		bool required)
{
	const YamlNode *n = sage_yaml_get(map, key);

	if (n == NULL && required)
		cfg_problem(ld, cfg_sub(ld, path, key), cfg_line(map), "missing required key");
	return n;
}

/*
 * cfg_text
 *		The text of a scalar node ("" for a YAML null unless nonempty is
 *		asked), or NULL with a problem recorded.
 */
static const char *
cfg_text(CfgLoader *ld, const YamlNode *n, const char *path, bool nonempty)
{
	if (n->kind != YAML_SCALAR)
	{
		cfg_problem(ld, path, n->line, "expected a single value, found %s",
					sage_yaml_kind_name(n));
		return NULL;
	}
	if (strlen(n->text) != n->len)
	{
		cfg_problem(ld, path, n->line, "must not contain NUL characters");
		return NULL;
	}
	if (sage_yaml_is_null(n) || n->len == 0)
	{
		if (nonempty)
		{
			cfg_problem(ld, path, n->line, "must not be empty");
			return NULL;
		}
		return "";
	}
	return n->text;
}

/*
 * cfg_string
 *		A string value under key, copied to the caller's arena. Returns NULL
 *		when absent or bad (problems recorded as asked).
 */
static const char *
cfg_string(CfgLoader *ld, const YamlNode *map, const char *path, const char *key,
		   bool required, bool nonempty)
{
	const YamlNode *n = cfg_get(ld, map, path, key, required);
	const char *s;

	if (n == NULL)
		return NULL;
	s = cfg_text(ld, n, cfg_sub(ld, path, key), nonempty);
	return s == NULL ? NULL : cfg_keep(ld, s);
}

/*
 * cfg_bool
 *		A boolean under key, leaving *out (the default) alone when absent.
 *		See the banner for what is accepted with a note.
 */
static void
cfg_bool(CfgLoader *ld, const YamlNode *map, const char *path, const char *key,
		 bool *out)
{
	const YamlNode *n = sage_yaml_get(map, key);
	const char *kp;
	bool		v;

	if (n == NULL)
		return;
	if (sage_yaml_bool(n, &v))
	{
		*out = v;
		return;
	}
	kp = cfg_sub(ld, path, key);
	if (sage_yaml_is_null(n))
	{
		cfg_note(ld, kp, n->line, "empty value, taken as %s", *out ? "true" : "false");
		return;
	}
	if (n->kind == YAML_SCALAR)
	{
		const char *t = n->text;

		if (!n->plain && (cfg_ieq(t, "true") || cfg_ieq(t, "yes") ||
						  cfg_ieq(t, "false") || cfg_ieq(t, "no")))
		{
			*out = cfg_ieq(t, "true") || cfg_ieq(t, "yes");
			cfg_note(ld, kp, n->line, "quoted text %s taken as the boolean %s",
					 cfg_quote(ld, t, n->len), *out ? "true" : "false");
			return;
		}
		if (n->plain && (strcmp(t, "0") == 0 || strcmp(t, "1") == 0))
		{
			*out = t[0] == '1';
			cfg_note(ld, kp, n->line, "number %s taken as the boolean %s",
					 t, *out ? "true" : "false");
			return;
		}
	}
	cfg_problem(ld, kp, n->line, "expected true or false, found %s", cfg_describe(ld, n));
}

/*
 * cfg_int
 *		A non-negative decimal integer (plain scalar) up to max, or -1 with a
 *		problem.
 */
static long
cfg_int(CfgLoader *ld, const YamlNode *n, const char *path, long max)
{
	const char *t = n->text;
	long		v = 0;

	if (n->kind == YAML_SCALAR && n->plain && *t == '+')
		t++;
	if (n->kind != YAML_SCALAR || !n->plain || *t == '\0')
		goto bad;
	for (; *t; t++)
	{
		if (*t < '0' || *t > '9')
			goto bad;
		v = v * 10 + (*t - '0');
		if (v > max)
		{
			cfg_problem(ld, path, n->line, "must be at most %ld", max);
			return -1;
		}
	}
	return v;
bad:
	cfg_problem(ld, path, n->line, "expected a whole number of zero or more, found %s",
				cfg_describe(ld, n));
	return -1;
}

/* ---------------------------------------------------- enumerated values */

/*
 * cfg_format_type
 *		Parses a file_format.type. allow_zip for packages. Returns 0 with
 *		*out set, or -1 with a problem.
 */
static int
cfg_format_type(CfgLoader *ld, const YamlNode *n, const char *path, bool allow_zip,
				SageFileFormat *out)
{
	static const char *const names[] = {"CSV", "EXCEL", "ZIP"};
	const char *t = cfg_text(ld, n, path, true);
	int			i;

	if (t == NULL)
		return -1;
	for (i = 0; i < 3; i++)
	{
		if (!cfg_ieq(t, names[i]))
			continue;
		if (i == SAGE_FORMAT_ZIP && !allow_zip)
		{
			cfg_problem(ld, path, n->line,
						"a catalog's file type must be CSV or EXCEL; ZIP is only for packages");
			return -1;
		}
		if (strcmp(t, names[i]) != 0)
			cfg_note(ld, path, n->line, "file type %s taken as %s",
					 cfg_quote(ld, t, n->len), names[i]);
		*out = (SageFileFormat) i;
		return 0;
	}
	cfg_problem(ld, path, n->line, "unknown file type %s (expected %s)",
				cfg_quote(ld, t, n->len), allow_zip ? "CSV, EXCEL or ZIP" : "CSV or EXCEL");
	return -1;
}

/*
 * cfg_field_type
 *		Parses a field type (any case, with a note unless lower case).
 */
static int
cfg_field_type(CfgLoader *ld, const YamlNode *n, const char *path, SageFieldType *out)
{
	static const char *const names[] = {"texto", "decimal", "entero", "fecha", "booleano"};
	const char *t = cfg_text(ld, n, path, true);
	int			i;

	if (t == NULL)
		return -1;
	for (i = 0; i < 5; i++)
	{
		if (!cfg_ieq(t, names[i]))
			continue;
		if (strcmp(t, names[i]) != 0)
			cfg_note(ld, path, n->line, "field type %s taken as %s",
					 cfg_quote(ld, t, n->len), names[i]);
		*out = (SageFieldType) i;
		return 0;
	}
	cfg_problem(ld, path, n->line,
				"unknown field type %s (expected texto, decimal, entero, fecha or booleano)",
				cfg_quote(ld, t, n->len));
	return -1;
}

/*
 * cfg_date_format
 *		Checks that a fecha format is a plausible strftime format: only the
 *		directives the date parser implements, and at least one date part.
 */
static bool
cfg_date_format(CfgLoader *ld, const YamlNode *n, const char *path, const char *fmt)
{
	static const char directives[] = "YymdbBjHIMSfpaA%";
	bool		date_part = false;
	const char *p;

	for (p = fmt; *p; p++)
	{
		if (*p != '%')
			continue;
		p++;
		if (*p == '\0')
		{
			cfg_problem(ld, path, n->line, "date format %s ends with a lone %%",
						cfg_quote(ld, fmt, strlen(fmt)));
			return false;
		}
		if (strchr(directives, *p) == NULL)
		{
			char		d[3] = {'%', *p, '\0'};

			cfg_problem(ld, path, n->line,
						"unsupported directive %s in date format %s (supported: %%Y %%y %%m %%d %%b %%B %%j %%H %%I %%M %%S %%f %%p %%a %%A %%%%)",
						cfg_quote(ld, d, (unsigned char) *p < 0x80 ? 2 : 1),
						cfg_quote(ld, fmt, strlen(fmt)));
			return false;
		}
		if (strchr("YymdbBj", *p) != NULL)
			date_part = true;
	}
	if (!date_part)
	{
		cfg_problem(ld, path, n->line,
					"date format %s has no date directive (%%Y, %%m, %%d...)",
					cfg_quote(ld, fmt, strlen(fmt)));
		return false;
	}
	return true;
}

/*
 * cfg_severity
 *		error | warning | message, any case.
 */
static int
cfg_severity(CfgLoader *ld, const YamlNode *n, const char *path, SageSeverity *out)
{
	static const char *const names[] = {"error", "warning", "message"};
	const char *t = cfg_text(ld, n, path, true);
	int			i;

	if (t == NULL)
		return -1;
	for (i = 0; i < 3; i++)
		if (cfg_ieq(t, names[i]))
		{
			*out = (SageSeverity) i;
			return 0;
		}
	cfg_problem(ld, path, n->line, "unknown severity %s (expected error, warning or message)",
				cfg_quote(ld, t, n->len));
	return -1;
}

/*
 * cfg_one_char
 *		A delimiter or quote character: one byte; the two characters "\t"
 *		also mean tab. Returns the character, 0 for an allowed empty value,
 *		or -1 with a problem.
 */
static int
cfg_one_char(CfgLoader *ld, const YamlNode *n, const char *path, const char *what,
			 bool allow_empty)
{
	const char *t = cfg_text(ld, n, path, !allow_empty);

	if (t == NULL)
		return -1;
	if (n->len == 0)
		return 0;
	if (n->len == 2 && t[0] == '\\' && t[1] == 't')
		return '\t';
	if (n->len == 1 && (unsigned char) t[0] < 0x80)
	{
		if (t[0] == '\n' || t[0] == '\r')
		{
			cfg_problem(ld, path, n->line, "%s cannot be a line break", what);
			return -1;
		}
		return (unsigned char) t[0];
	}
	cfg_problem(ld, path, n->line, "%s must be one ASCII character, found %s",
				what, cfg_quote(ld, t, n->len));
	return -1;
}

/*
 * cfg_encoding
 *		utf-8, latin-1 (iso-8859-1), windows-1252 (cp1252), any case, with or
 *		without "-" and "_" (Python accepts all those spellings).
 */
static int
cfg_encoding(CfgLoader *ld, const YamlNode *n, const char *path, SageEncoding *out)
{
	const char *t = cfg_text(ld, n, path, true);
	char		norm[32];
	size_t		k = 0;
	const char *p;

	if (t == NULL)
		return -1;
	for (p = t; *p && k < sizeof(norm) - 1; p++)
	{
		char		c = *p;

		if (c == '-' || c == '_' || c == ' ')
			continue;
		norm[k++] = (c >= 'A' && c <= 'Z') ? (char) (c + 32) : c;
	}
	norm[k] = '\0';
	if (*p == '\0')
	{
		if (strcmp(norm, "utf8") == 0 || strcmp(norm, "utf8sig") == 0)
		{
			*out = SAGE_ENC_UTF8;
			return 0;
		}
		if (strcmp(norm, "latin1") == 0 || strcmp(norm, "iso88591") == 0 ||
			strcmp(norm, "l1") == 0)
		{
			*out = SAGE_ENC_LATIN1;
			return 0;
		}
		if (strcmp(norm, "windows1252") == 0 || strcmp(norm, "cp1252") == 0)
		{
			*out = SAGE_ENC_WINDOWS1252;
			return 0;
		}
	}
	cfg_problem(ld, path, n->line,
				"unsupported encoding %s (expected utf-8, latin-1 or windows-1252)",
				cfg_quote(ld, t, n->len));
	return -1;
}

/* --------------------------------------------------------------- rules */

/*
 * cfg_rules
 *		Parses a list of rules at path. With a schema, compiles each one;
 *		without (the catalog already has problems), only checks the keys.
 */
static void
cfg_rules(CfgLoader *ld, const YamlNode *list, const char *path, SageRuleScope scope,
		  const SageRuleSchema *schema, int *nout, SageRuleDef **out)
{
	int			i;
	SageRuleDef *rules;

	*nout = 0;
	*out = NULL;
	if (list == NULL || sage_yaml_is_null(list))
		return;
	if (list->kind != YAML_SEQUENCE)
	{
		cfg_problem(ld, path, list->line, "expected a list of rules, found %s",
					cfg_describe(ld, list));
		return;
	}
	rules = cfg_alloc(ld, (size_t) list->count, sizeof(SageRuleDef));
	if (rules == NULL)
		return;
	for (i = 0; i < list->count; i++)
	{
		const YamlNode *item = list->items[i];
		const char *ipath = cfg_index(ld, path, i);
		SageRuleDef *r = &rules[i];
		const YamlNode *rn;
		const YamlNode *sn;

		r->scope = scope;
		r->severity = SAGE_SEV_ERROR;
		r->path = cfg_keep(ld, ipath);
		if (!cfg_is_map(ld, item, ipath))
			continue;
		cfg_check_keys(ld, item, ipath, cfg_rule_keys);
		r->name = cfg_string(ld, item, ipath, "name", true, true);
		r->description = cfg_string(ld, item, ipath, "description", true, false);
		sn = cfg_get(ld, item, ipath, "severity", false);
		if (sn != NULL)
			(void) cfg_severity(ld, sn, cfg_sub(ld, ipath, "severity"), &r->severity);
		rn = cfg_get(ld, item, ipath, "rule", true);
		if (rn != NULL)
		{
			const char *rpath = cfg_sub(ld, ipath, "rule");
			const char *expr = cfg_text(ld, rn, rpath, true);

			if (expr != NULL)
				r->expr = cfg_keep(ld, expr);
			if (r->expr != NULL && schema != NULL)
			{
				SageError	rerr;

				sage_error_clear(&rerr);
				r->compiled = sage_rule_compile(ld->arena, r->expr, scope, schema, &rerr);
				if (r->compiled == NULL)
				{
					if (rerr.code == SAGE_ERR_MEMORY)
						ld->oom = true;
					else if (rerr.hint[0] != '\0')
						cfg_rule_problem(ld, rpath, rn->line, "%s (hint: %s)",
										 rerr.message[0] ? rerr.message : "rule refused",
										 rerr.hint);
					else
						cfg_rule_problem(ld, rpath, rn->line, "%s",
										 rerr.message[0] ? rerr.message : "rule refused");
				}
			}
		}
	}
	*nout = list->count;
	*out = rules;
}

/* ------------------------------------------------------------ catalogs */

/*
 * cfg_catalog_format
 *		A catalog's file_format mapping: type, the CSV dialect, the EXCEL
 *		sheet and the reading extensions.
 */
static void
cfg_catalog_format(CfgLoader *ld, const YamlNode *ff, const char *path,
				   SageCatalogDef *cat)
{
	const YamlNode *n;
	bool		typed = false;
	int			c;

	if (!cfg_is_map(ld, ff, path))
		return;
	cfg_check_keys(ld, ff, path, cfg_format_keys);
	n = cfg_get(ld, ff, path, "type", true);
	if (n != NULL && cfg_format_type(ld, n, cfg_sub(ld, path, "type"), false, &cat->format) == 0)
		typed = true;

	n = cfg_get(ld, ff, path, "delimiter", typed && cat->format == SAGE_FORMAT_CSV);
	if (n != NULL)
	{
		if (typed && cat->format == SAGE_FORMAT_EXCEL)
			cfg_note(ld, cfg_sub(ld, path, "delimiter"), n->line,
					 "ignored for EXCEL files");
		else if ((c = cfg_one_char(ld, n, cfg_sub(ld, path, "delimiter"), "the delimiter",
								   false)) > 0)
			cat->delimiter = (char) c;
	}

	cfg_bool(ld, ff, path, "header", &cat->header);

	n = cfg_get(ld, ff, path, "quotechar", false);
	if (n != NULL)
	{
		if (typed && cat->format == SAGE_FORMAT_EXCEL)
			cfg_note(ld, cfg_sub(ld, path, "quotechar"), n->line, "ignored for EXCEL files");
		else if ((c = cfg_one_char(ld, n, cfg_sub(ld, path, "quotechar"), "the quote character",
								   true)) >= 0)
			cat->quotechar = (char) c;
	}
	if (cat->quotechar != 0 && cat->quotechar == cat->delimiter)
		cfg_problem(ld, cfg_sub(ld, path, "quotechar"), cfg_line(ff),
					"the quote character must differ from the delimiter");

	n = cfg_get(ld, ff, path, "encoding", false);
	if (n != NULL)
	{
		if (typed && cat->format == SAGE_FORMAT_EXCEL)
			cfg_note(ld, cfg_sub(ld, path, "encoding"), n->line,
					 "ignored for EXCEL files (they are always Unicode)");
		else
			(void) cfg_encoding(ld, n, cfg_sub(ld, path, "encoding"), &cat->encoding);
	}

	n = cfg_get(ld, ff, path, "sheet", false);
	if (n != NULL)
	{
		const char *sp = cfg_sub(ld, path, "sheet");

		if (typed && cat->format == SAGE_FORMAT_CSV)
			cfg_note(ld, sp, n->line, "ignored for CSV files");
		else if (n->kind == YAML_SCALAR && n->plain && n->len > 0 &&
				 strspn(n->text, "+0123456789") == n->len)
		{
			long		idx = cfg_int(ld, n, sp, 100000);

			if (idx == 0)
				cfg_problem(ld, sp, n->line,
							"sheet numbers start at 1 (or give the sheet's name)");
			else if (idx > 0)
				cat->sheet_index = (int) idx;
		}
		else
		{
			const char *t = cfg_text(ld, n, sp, true);

			if (t != NULL)
				cat->sheet_name = cfg_keep(ld, t);
		}
	}

	n = cfg_get(ld, ff, path, "na_values", false);
	if (n != NULL && !sage_yaml_is_null(n))
	{
		const char *np = cfg_sub(ld, path, "na_values");
		const char **vals;
		bool		has_empty = false;
		int			i;

		if (n->kind == YAML_SCALAR)
		{
			const char *t = cfg_text(ld, n, np, false);

			if (t != NULL && (vals = cfg_alloc(ld, 1, sizeof(char *))) != NULL)
			{
				vals[0] = cfg_keep(ld, t);
				cat->na_values = vals;
				cat->nna_values = 1;
				has_empty = t[0] == '\0';
				cfg_note(ld, np, n->line, "a single value, taken as a list of one");
			}
		}
		else if (n->kind == YAML_SEQUENCE)
		{
			if ((vals = cfg_alloc(ld, (size_t) n->count, sizeof(char *))) != NULL)
			{
				for (i = 0; i < n->count; i++)
				{
					const char *t = cfg_text(ld, n->items[i], cfg_index(ld, np, i), false);

					vals[i] = t == NULL ? NULL : cfg_keep(ld, t);
					if (t != NULL && t[0] == '\0')
						has_empty = true;
				}
				cat->na_values = vals;
				cat->nna_values = n->count;
			}
		}
		else
			cfg_problem(ld, np, n->line, "expected a list of values, found %s",
						cfg_describe(ld, n));
		if (cat->na_values != NULL && !has_empty)
			cfg_note(ld, np, n->line,
					 "the empty string is not in the list, so empty cells are not null");
	}

	n = cfg_get(ld, ff, path, "skip_rows", false);
	if (n != NULL && !sage_yaml_is_null(n))
	{
		long		v = cfg_int(ld, n, cfg_sub(ld, path, "skip_rows"), CFG_MAX_SKIP_ROWS);

		if (v >= 0)
			cat->skip_rows = (int) v;
	}
}

/*
 * cfg_field
 *		One entry of fields, except its validation_rules (compiled once the
 *		whole schema is known). Returns true when name and type are valid.
 */
static bool
cfg_field(CfgLoader *ld, const YamlNode *item, const char *path, SageFieldDef *f)
{
	const YamlNode *n;
	bool		ok = true;

	if (!cfg_is_map(ld, item, path))
		return false;
	cfg_check_keys(ld, item, path, cfg_field_keys);
	f->name = cfg_string(ld, item, path, "name", true, true);
	if (f->name == NULL)
		ok = false;
	n = cfg_get(ld, item, path, "type", true);
	if (n == NULL || cfg_field_type(ld, n, cfg_sub(ld, path, "type"), &f->type) < 0)
		ok = false;
	cfg_bool(ld, item, path, "required", &f->required);
	cfg_bool(ld, item, path, "unique", &f->unique);
	n = cfg_get(ld, item, path, "format", false);
	if (n != NULL && !sage_yaml_is_null(n))
	{
		const char *fp = cfg_sub(ld, path, "format");
		const char *t = cfg_text(ld, n, fp, true);

		if (t != NULL && ok && f->type != SAGE_FIELD_FECHA)
			cfg_note(ld, fp, n->line, "only fecha fields use a format; ignored");
		else if (t != NULL && cfg_date_format(ld, n, fp, t))
			f->format = cfg_keep(ld, t);
	}
	return ok;
}

/*
 * cfg_catalog
 *		One entry of catalogs. The rules are compiled only when every field
 *		has a valid name and type and the names are distinct, so that a
 *		broken schema does not produce a cascade of rule problems.
 */
static void
cfg_catalog(CfgLoader *ld, const YamlPair *pair, SageCatalogDef *cat)
{
	const YamlNode *map = pair->value;
	const char *path = cfg_key_path(ld, "catalogs", pair->key->text, pair->key->len);
	const YamlNode *fields;
	const YamlNode **rule_nodes = NULL;
	bool		schema_ok = true;
	int			i;

	cat->key = cfg_keep(ld, pair->key->text);
	cat->delimiter = ',';
	cat->quotechar = '"';
	cat->encoding = SAGE_ENC_UTF8;
	if (pair->key->len == 0 || strlen(pair->key->text) != pair->key->len)
		cfg_problem(ld, path, pair->key->line, "a catalog key must be a non-empty name");
	if (!cfg_is_map(ld, map, path))
		return;
	cfg_check_keys(ld, map, path, cfg_catalog_keys);
	cat->name = cfg_string(ld, map, path, "name", true, false);
	cat->description = cfg_string(ld, map, path, "description", true, false);
	cat->filename = cfg_string(ld, map, path, "filename", true, true);
	{
		const YamlNode *ff = cfg_get(ld, map, path, "file_format", true);

		if (ff != NULL)
			cfg_catalog_format(ld, ff, cfg_sub(ld, path, "file_format"), cat);
	}
	if (cat->na_values == NULL)
	{
		static const char *const default_na[] = {""};

		cat->na_values = default_na;
		cat->nna_values = 1;
	}

	fields = cfg_get(ld, map, path, "fields", true);
	if (fields == NULL)
		schema_ok = false;
	else if (fields->kind != YAML_SEQUENCE || fields->count == 0)
	{
		if (fields->kind == YAML_SEQUENCE || sage_yaml_is_null(fields))
			cfg_problem(ld, cfg_sub(ld, path, "fields"), fields->line,
						"must list at least one field");
		else
			cfg_problem(ld, cfg_sub(ld, path, "fields"), fields->line,
						"expected a list of fields, found %s", cfg_describe(ld, fields));
		schema_ok = false;
	}
	else
	{
		const char *fpath = cfg_sub(ld, path, "fields");
		const char **names;
		CfgName    *sorted;
		int			nsorted;

		cat->fields = cfg_alloc(ld, (size_t) fields->count, sizeof(SageFieldDef));
		rule_nodes = sage_alloc0(ld->scratch, sizeof(YamlNode *) * (size_t) fields->count);
		names = sage_alloc0(ld->scratch, sizeof(char *) * (size_t) fields->count);
		if (cat->fields == NULL || rule_nodes == NULL || names == NULL)
		{
			ld->oom = true;
			return;
		}
		cat->nfields = fields->count;
		for (i = 0; i < fields->count; i++)
		{
			const YamlNode *item = fields->items[i];

			if (!cfg_field(ld, item, cfg_index(ld, fpath, i), &cat->fields[i]))
				schema_ok = false;
			names[i] = cat->fields[i].name;
			if (item->kind == YAML_MAPPING)
				rule_nodes[i] = sage_yaml_get(item, "validation_rules");
		}
		sorted = cfg_sort_names(ld, names, fields->count, &nsorted);
		for (i = 1; sorted != NULL && i < nsorted; i++)
		{
			int			first = i - 1;

			while (first > 0 && strcmp(sorted[first - 1].s, sorted[i].s) == 0)
				first--;
			if (strcmp(sorted[i - 1].s, sorted[i].s) != 0)
				continue;
			cfg_problem(ld, cfg_sub(ld, cfg_index(ld, fpath, sorted[i].index), "name"),
						fields->items[sorted[i].index]->line,
						"duplicate field name %s (also fields[%d])",
						cfg_quote(ld, sorted[i].s, strlen(sorted[i].s)),
						sorted[first].index);
			schema_ok = false;
		}
	}

	/* rules, compiled against the catalog's schema when it is sound */
	{
		SageRuleSchemaTable *table = NULL;
		SageRuleSchema *schema = NULL;

		if (schema_ok)
		{
			const char **names = cfg_alloc(ld, (size_t) cat->nfields, sizeof(char *));
			SageColType *types = cfg_alloc(ld, (size_t) cat->nfields, sizeof(SageColType));

			table = cfg_alloc(ld, 1, sizeof(SageRuleSchemaTable));
			schema = cfg_alloc(ld, 1, sizeof(SageRuleSchema));
			if (names == NULL || types == NULL || table == NULL || schema == NULL)
				return;
			for (i = 0; i < cat->nfields; i++)
			{
				names[i] = cat->fields[i].name;
				types[i] = sage_field_col_type(cat->fields[i].type);
			}
			table->key = NULL;
			table->ncols = cat->nfields;
			table->names = names;
			table->types = types;
			schema->ntables = 1;
			schema->tables = table;
		}
		for (i = 0; i < cat->nfields; i++)
			if (rule_nodes != NULL && rule_nodes[i] != NULL)
				cfg_rules(ld, rule_nodes[i],
						  cfg_sub(ld, cfg_index(ld, cfg_sub(ld, path, "fields"), i),
								  "validation_rules"),
						  SAGE_SCOPE_FIELD, schema,
						  &cat->fields[i].nrules, &cat->fields[i].rules);
		cfg_rules(ld, sage_yaml_get(map, "row_validation"),
				  cfg_sub(ld, path, "row_validation"), SAGE_SCOPE_ROW, schema,
				  &cat->nrow_rules, &cat->row_rules);
		cfg_rules(ld, sage_yaml_get(map, "catalog_validation"),
				  cfg_sub(ld, path, "catalog_validation"), SAGE_SCOPE_CATALOG, schema,
				  &cat->ncatalog_rules, &cat->catalog_rules);
	}
}

/* ------------------------------------------------------------ packages */

/*
 * cfg_catalog_index
 *		Binary search of a catalog key in the sorted key index.
 */
static int
cfg_catalog_index(const CfgName *sorted, int n, const char *key)
{
	int			lo = 0,
				hi = n - 1;

	while (lo <= hi)
	{
		int			mid = lo + (hi - lo) / 2;
		int			c = strcmp(sorted[mid].s, key);

		if (c == 0)
		{
			/* the first of equal keys (duplicates were already reported) */
			while (mid > 0 && strcmp(sorted[mid - 1].s, key) == 0)
				mid--;
			return sorted[mid].index;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return -1;
}

/*
 * cfg_package_duplicates
 *		A catalog listed twice in one package, and two listed catalogs that
 *		expect the same file name (a ZIP member could not be matched),
 *		found by sorting so that long lists stay cheap.
 */
static void
cfg_package_duplicates(CfgLoader *ld, const YamlNode *list, const char *lp, int *idx)
{
	const char **names = sage_alloc0(ld->scratch, sizeof(char *) * (size_t) list->count);
	CfgName    *sorted;
	int			n,
				i;

	if (names == NULL)
	{
		ld->oom = true;
		return;
	}
	for (i = 0; i < list->count; i++)
		names[i] = idx[i] >= 0 ? ld->config->catalogs[idx[i]].key : NULL;
	sorted = cfg_sort_names(ld, names, list->count, &n);
	for (i = 1; sorted != NULL && i < n; i++)
	{
		int			first = i - 1;
		const YamlNode *it = list->items[sorted[i].index];

		if (strcmp(sorted[i - 1].s, sorted[i].s) != 0)
			continue;
		while (first > 0 && strcmp(sorted[first - 1].s, sorted[i].s) == 0)
			first--;
		cfg_problem(ld, cfg_index(ld, lp, sorted[i].index), it->line,
					"catalog %s is listed twice (also catalogs[%d])",
					cfg_quote(ld, sorted[i].s, strlen(sorted[i].s)), sorted[first].index);
		/* only the first listing takes part in the file name check */
		names[sorted[i].index] = NULL;
	}
	for (i = 0; i < list->count; i++)
		names[i] = names[i] != NULL ? ld->config->catalogs[idx[i]].filename : NULL;
	sorted = cfg_sort_names(ld, names, list->count, &n);
	for (i = 1; sorted != NULL && i < n; i++)
	{
		int			first = i - 1;
		const char *a,
				   *b;

		if (strcmp(sorted[i - 1].s, sorted[i].s) != 0)
			continue;
		while (first > 0 && strcmp(sorted[first - 1].s, sorted[i].s) == 0)
			first--;
		a = ld->config->catalogs[idx[sorted[first].index]].key;
		b = ld->config->catalogs[idx[sorted[i].index]].key;
		cfg_problem(ld, cfg_index(ld, lp, sorted[i].index), list->items[sorted[i].index]->line,
					"catalogs %s and %s of this package both expect the file %s",
					cfg_quote(ld, a, strlen(a)), cfg_quote(ld, b, strlen(b)),
					cfg_quote(ld, sorted[i].s, strlen(sorted[i].s)));
	}
}

/*
 * cfg_package
 *		One entry of packages. Every listed catalog must exist; a package
 *		with several catalogs must be a ZIP; a CSV or EXCEL package's
 *		catalog must be of that type; two catalogs of one package cannot
 *		expect the same file name.
 */
static void
cfg_package(CfgLoader *ld, const YamlPair *pair, SagePackageDef *pkg,
			const CfgName *catkeys, int ncatkeys, const bool *catalog_ok)
{
	const YamlNode *map = pair->value;
	const char *path = cfg_key_path(ld, "packages", pair->key->text, pair->key->len);
	const YamlNode *ff;
	const YamlNode *tnode = NULL;
	const YamlNode *list;
	bool		typed = false;
	bool		schema_ok = true;
	int			i,
				j;
	int		   *idx;

	pkg->key = cfg_keep(ld, pair->key->text);
	if (pair->key->len == 0 || strlen(pair->key->text) != pair->key->len)
		cfg_problem(ld, path, pair->key->line, "a package key must be a non-empty name");
	if (!cfg_is_map(ld, map, path))
		return;
	cfg_check_keys(ld, map, path, cfg_package_keys);
	pkg->name = cfg_string(ld, map, path, "name", true, false);
	pkg->description = cfg_string(ld, map, path, "description", true, false);
	ff = cfg_get(ld, map, path, "file_format", true);
	if (ff != NULL)
	{
		const char *fp = cfg_sub(ld, path, "file_format");

		if (cfg_is_map(ld, ff, fp))
		{
			cfg_check_keys(ld, ff, fp, cfg_pkg_format_keys);
			tnode = cfg_get(ld, ff, fp, "type", true);
			if (tnode != NULL && cfg_format_type(ld, tnode, cfg_sub(ld, fp, "type"), true,
												 &pkg->format) == 0)
				typed = true;
		}
	}

	list = cfg_get(ld, map, path, "catalogs", true);
	if (list == NULL)
		schema_ok = false;
	else if (list->kind != YAML_SEQUENCE || list->count == 0)
	{
		if (list->kind == YAML_SEQUENCE || sage_yaml_is_null(list))
			cfg_problem(ld, cfg_sub(ld, path, "catalogs"), list->line,
						"must list at least one catalog");
		else
			cfg_problem(ld, cfg_sub(ld, path, "catalogs"), list->line,
						"expected a list of catalog keys, found %s", cfg_describe(ld, list));
		schema_ok = false;
	}
	else
	{
		const char *lp = cfg_sub(ld, path, "catalogs");

		idx = cfg_alloc(ld, (size_t) list->count, sizeof(int));
		if (idx == NULL)
			return;
		pkg->catalogs = idx;
		pkg->ncatalogs = list->count;
		for (i = 0; i < list->count; i++)
		{
			const YamlNode *it = list->items[i];
			const char *ip = cfg_index(ld, lp, i);
			const char *key = cfg_text(ld, it, ip, true);

			idx[i] = -1;
			if (key == NULL)
			{
				schema_ok = false;
				continue;
			}
			idx[i] = cfg_catalog_index(catkeys, ncatkeys, key);
			if (idx[i] < 0)
			{
				if (!ld->catalogs_broken)
					cfg_problem(ld, ip, it->line, "unknown catalog %s",
								cfg_quote(ld, key, it->len));
				schema_ok = false;
				continue;
			}
			if (!catalog_ok[idx[i]])
				schema_ok = false;
		}
		cfg_package_duplicates(ld, list, lp, idx);
		if (typed && list->count > 1 && pkg->format != SAGE_FORMAT_ZIP)
			cfg_problem(ld, cfg_sub(ld, cfg_sub(ld, path, "file_format"), "type"),
						tnode->line, "a package of %d catalogs must be of type ZIP, not %s",
						list->count, sage_file_format_name(pkg->format));
		else if (typed && list->count == 1 && pkg->format != SAGE_FORMAT_ZIP &&
				 idx[0] >= 0 && catalog_ok[idx[0]] &&
				 ld->config->catalogs[idx[0]].format != pkg->format)
			cfg_problem(ld, cfg_index(ld, lp, 0), list->items[0]->line,
						"catalog %s is of type %s but the package is of type %s",
						cfg_quote(ld, ld->config->catalogs[idx[0]].key,
								  strlen(ld->config->catalogs[idx[0]].key)),
						sage_file_format_name(ld->config->catalogs[idx[0]].format),
						sage_file_format_name(pkg->format));
	}

	/* package rules: one schema table per listed catalog, in order */
	{
		SageRuleSchema *schema = NULL;

		if (schema_ok)
		{
			SageRuleSchemaTable *tables = cfg_alloc(ld, (size_t) pkg->ncatalogs,
													sizeof(SageRuleSchemaTable));

			schema = cfg_alloc(ld, 1, sizeof(SageRuleSchema));
			if (tables == NULL || schema == NULL)
				return;
			for (i = 0; i < pkg->ncatalogs; i++)
			{
				const SageCatalogDef *c = &ld->config->catalogs[pkg->catalogs[i]];
				const char **names = cfg_alloc(ld, (size_t) c->nfields, sizeof(char *));
				SageColType *types = cfg_alloc(ld, (size_t) c->nfields, sizeof(SageColType));

				if (names == NULL || types == NULL)
					return;
				for (j = 0; j < c->nfields; j++)
				{
					names[j] = c->fields[j].name;
					types[j] = sage_field_col_type(c->fields[j].type);
				}
				tables[i].key = c->key;
				tables[i].ncols = c->nfields;
				tables[i].names = names;
				tables[i].types = types;
			}
			schema->ntables = pkg->ncatalogs;
			schema->tables = tables;
		}
		cfg_rules(ld, sage_yaml_get(map, "package_validation"),
				  cfg_sub(ld, path, "package_validation"), SAGE_SCOPE_PACKAGE, schema,
				  &pkg->nrules, &pkg->rules);
	}
}

/* ----------------------------------------------------------------- root */

/*
 * cfg_section
 *		catalogs or packages: a mapping, or a YAML null meaning none.
 *		Returns the mapping or NULL (no entries).
 */
static const YamlNode *
cfg_section(CfgLoader *ld, const YamlNode *root, const char *key)
{
	const YamlNode *n = cfg_get(ld, root, NULL, key, true);

	if (n == NULL)
	{
		if (strcmp(key, "catalogs") == 0)
			ld->catalogs_broken = true;
		return NULL;
	}
	if (sage_yaml_is_null(n))
	{
		cfg_note(ld, cfg_sub(ld, NULL, key), n->line, "empty value, taken as no %s", key);
		return NULL;
	}
	if (!cfg_is_map(ld, n, cfg_sub(ld, NULL, key)))
	{
		if (strcmp(key, "catalogs") == 0)
			ld->catalogs_broken = true;
		return NULL;
	}
	if (n->duplicate != NULL)
		cfg_problem(ld, cfg_key_path(ld, key, n->duplicate->text, n->duplicate->len),
					n->duplicate->line, "duplicate key");
	return n;
}

/*
 * cfg_meta
 *		The sage_yaml mapping.
 */
static void
cfg_meta(CfgLoader *ld, const YamlNode *root, SageConfig *c)
{
	const YamlNode *m = cfg_get(ld, root, NULL, "sage_yaml", true);
	const char *p = "sage_yaml";

	if (m == NULL || !cfg_is_map(ld, m, p))
		return;
	cfg_check_keys(ld, m, p, cfg_meta_keys);
	c->name = cfg_string(ld, m, p, "name", true, false);
	c->description = cfg_string(ld, m, p, "description", true, false);
	c->version = cfg_string(ld, m, p, "version", true, false);
	c->author = cfg_string(ld, m, p, "author", true, false);
	c->comments = cfg_string(ld, m, p, "comments", false, false);
}

/* Orders problems (and notes) by line, then by discovery. */
static int
cfg_problem_cmp(const void *a, const void *b)
{
	const CfgProblem *x = a;
	const CfgProblem *y = b;

	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return x->order - y->order;
}

/*
 * cfg_report
 *		Fills err from the problems, in document order. Lines that do not
 *		fit the detail buffer are summarised in a last line.
 */
static void
cfg_report(CfgLoader *ld, SageError *err)
{
	int			i;
	int			nrule = 0;
	size_t		used = 0;
	const size_t reserve = 64;

	qsort(ld->problems, (size_t) ld->nproblems, sizeof(CfgProblem), cfg_problem_cmp);
	for (i = 0; i < ld->nproblems; i++)
		if (ld->problems[i].rule)
			nrule++;
	sage_error_set(err, nrule == ld->nproblems ? SAGE_ERR_RULE : SAGE_ERR_CONFIG,
				   "invalid configuration");
	for (i = 0; i < ld->nproblems; i++)
	{
		size_t		len = strlen(ld->problems[i].text);

		if (used + len + 1 + reserve >= sizeof(err->detail))
		{
			sage_error_detail_append(err, "... and %d more problem%s.",
									 ld->nproblems - i, ld->nproblems - i == 1 ? "" : "s");
			break;
		}
		sage_error_detail_append(err, "%s", ld->problems[i].text);
		used = strlen(err->detail);
	}
	if (nrule == ld->nproblems)
		sage_error_hint(err, "Rewrite the refused rule%s with the supported subset of pandas expressions; each line gives the rule's place in the file and the reason.",
						nrule == 1 ? "" : "s");
	else
		sage_error_hint(err, "Fix every problem listed; each line gives the place in the file (key path and line) and what is wrong.");
}

SageConfig *
sage_config_load(SageArena *arena, const char *yaml, size_t len, SageError *err)
{
	CfgLoader	ld;
	YamlNode   *root;
	bool		empty;
	SageConfig *c;
	const YamlNode *cats;
	const YamlNode *pkgs;
	CfgName    *catkeys = NULL;
	int			ncatkeys = 0;
	bool	   *catalog_ok = NULL;
	int			i;

	sage_error_clear(err);
	if (yaml == NULL && len > 0)
	{
		sage_error_set(err, SAGE_ERR_ARGUMENT, "configuration text is missing");
		return NULL;
	}
	if (len > SAGE_CONFIG_MAX_BYTES)
	{
		sage_error_set(err, SAGE_ERR_LIMIT, "configuration is too large");
		sage_error_detail(err, "The configuration has %zu bytes; the limit is %d bytes.",
						  len, SAGE_CONFIG_MAX_BYTES);
		return NULL;
	}
	memset(&ld, 0, sizeof(ld));
	ld.arena = arena;
	ld.scratch = sage_arena_new(NULL);
	if (ld.scratch == NULL)
	{
		sage_error_memory(err, NULL);
		return NULL;
	}
	root = sage_yaml_parse(ld.scratch, yaml == NULL ? "" : yaml, len, &empty, err);
	if (root == NULL || root->kind != YAML_MAPPING)
	{
		if (root != NULL || empty)
		{
			sage_error_set(err, SAGE_ERR_CONFIG, "invalid configuration");
			if (root == NULL || sage_yaml_is_null(root))
				sage_error_detail(err, "document (line %d): the configuration is empty",
								  root == NULL ? 1 : root->line);
			else
				sage_error_detail(err, "document (line %d): expected a mapping, found %s",
								  root->line, sage_yaml_kind_name(root));
			sage_error_hint(err, "A SAGE configuration is a mapping with the keys sage_yaml, catalogs and packages.");
		}
		sage_arena_free(ld.scratch);
		return NULL;
	}

	c = cfg_alloc(&ld, 1, sizeof(SageConfig));
	if (c == NULL)
		goto oom;
	ld.config = c;
	if (root->duplicate != NULL)
		cfg_problem(&ld, cfg_key_path(&ld, NULL, root->duplicate->text, root->duplicate->len),
					root->duplicate->line, "duplicate key");
	{
		int			k;

		for (k = 0; k < root->count; k++)
		{
			const YamlNode *key = root->pairs[k].key;
			const char *const *kn;
			bool		found = false;

			for (kn = cfg_root_keys; *kn != NULL; kn++)
				if (key->len == strlen(*kn) && memcmp(key->text, *kn, key->len) == 0)
					found = true;
			if (!found)
				cfg_note(&ld, cfg_key_path(&ld, NULL, key->text, key->len), key->line,
						 "unknown key ignored");
		}
	}
	cfg_meta(&ld, root, c);
	cats = cfg_section(&ld, root, "catalogs");
	pkgs = cfg_section(&ld, root, "packages");

	if (cats != NULL)
	{
		const char **keys;

		c->catalogs = cfg_alloc(&ld, (size_t) cats->count, sizeof(SageCatalogDef));
		catalog_ok = sage_alloc0(ld.scratch, sizeof(bool) * (size_t) (cats->count + 1));
		keys = sage_alloc0(ld.scratch, sizeof(char *) * (size_t) (cats->count + 1));
		if (c->catalogs == NULL || catalog_ok == NULL || keys == NULL)
			goto oom;
		c->ncatalogs = cats->count;
		for (i = 0; i < cats->count && !ld.oom; i++)
		{
			int			before = ld.nproblems;

			cfg_catalog(&ld, &cats->pairs[i], &c->catalogs[i]);
			catalog_ok[i] = ld.nproblems == before;
			keys[i] = cats->pairs[i].key->text;
		}
		catkeys = cfg_sort_names(&ld, keys, cats->count, &ncatkeys);
	}
	if (pkgs != NULL && !ld.oom)
	{
		c->packages = cfg_alloc(&ld, (size_t) pkgs->count, sizeof(SagePackageDef));
		if (c->packages == NULL)
			goto oom;
		c->npackages = pkgs->count;
		for (i = 0; i < pkgs->count && !ld.oom; i++)
			cfg_package(&ld, &pkgs->pairs[i], &c->packages[i], catkeys, ncatkeys,
						catalog_ok);
	}
	if (ld.oom || sage_arena_failed(arena))
		goto oom;
	if (ld.nproblems > 0)
	{
		cfg_report(&ld, err);
		sage_arena_free(ld.scratch);
		return NULL;
	}

	/* keep the notes in the caller's arena */
	if (ld.nnotes > 0)
	{
		CfgProblem *order;

		c->notes = cfg_alloc(&ld, (size_t) ld.nnotes, sizeof(SageConfigNote));
		if (c->notes == NULL)
			goto oom;
		/* document order, as for problems; a stable sort via the order */
		order = sage_alloc(ld.scratch, sizeof(CfgProblem) * (size_t) ld.nnotes);

		if (order == NULL)
			goto oom;
		for (i = 0; i < ld.nnotes; i++)
		{
			order[i].line = ld.notes[i].line;
			order[i].order = i;
		}
		qsort(order, (size_t) ld.nnotes, sizeof(CfgProblem), cfg_problem_cmp);
		for (i = 0; i < ld.nnotes; i++)
		{
			const SageConfigNote *n = &ld.notes[order[i].order];

			c->notes[i].path = cfg_keep(&ld, n->path);
			c->notes[i].message = cfg_keep(&ld, n->message);
			c->notes[i].line = n->line;
		}
		c->nnotes = ld.nnotes;
		if (ld.oom)
			goto oom;
	}
	sage_arena_free(ld.scratch);
	return c;

oom:
	sage_arena_free(ld.scratch);
	sage_error_memory(err, NULL);
	return NULL;
}

SageColType
sage_field_col_type(SageFieldType type)
{
	switch (type)
	{
		case SAGE_FIELD_TEXTO:
			return SAGE_COL_STRING;
		case SAGE_FIELD_DECIMAL:
			return SAGE_COL_FLOAT;
		case SAGE_FIELD_ENTERO:
			return SAGE_COL_INT;
		case SAGE_FIELD_FECHA:
			return SAGE_COL_DATETIME;
		case SAGE_FIELD_BOOLEANO:
			return SAGE_COL_BOOL;
	}
	return SAGE_COL_STRING;
}

const char *
sage_field_type_name(SageFieldType type)
{
	switch (type)
	{
		case SAGE_FIELD_TEXTO:
			return "texto";
		case SAGE_FIELD_DECIMAL:
			return "decimal";
		case SAGE_FIELD_ENTERO:
			return "entero";
		case SAGE_FIELD_FECHA:
			return "fecha";
		case SAGE_FIELD_BOOLEANO:
			return "booleano";
	}
	return "unknown";
}

const char *
sage_file_format_name(SageFileFormat format)
{
	switch (format)
	{
		case SAGE_FORMAT_CSV:
			return "CSV";
		case SAGE_FORMAT_EXCEL:
			return "EXCEL";
		case SAGE_FORMAT_ZIP:
			return "ZIP";
	}
	return "unknown";
}

const char *
sage_severity_name(SageSeverity severity)
{
	switch (severity)
	{
		case SAGE_SEV_ERROR:
			return "error";
		case SAGE_SEV_WARNING:
			return "warning";
		case SAGE_SEV_MESSAGE:
			return "message";
	}
	return "unknown";
}
