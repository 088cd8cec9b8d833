/*-------------------------------------------------------------------------
 *
 * test/core/yaml_doc_test.c
 *		Unit tests of the YAML document builder (yaml_doc.c) on its own:
 *		tags, anchors and aliases on every kind of node, merge keys,
 *		duplicate keys, empty values, limits, libyaml's syntax and encoding
 *		errors with positions, the accessors, and running out of memory at
 *		every allocation.
 *
 *-------------------------------------------------------------------------
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "yaml_internal.h"

/* Parses text; the root (NULL on error or empty) with err filled. */
static YamlNode *
parse(SageArena *arena, const char *text, bool *empty, SageError *err)
{
	sage_error_clear(err);
	return sage_yaml_parse(arena, text, strlen(text), empty, err);
}

/* Asserts text is refused with a message containing want. */
static void
assert_yaml_error(const char *text, const char *want)
{
	SageArena  *arena = sage_arena_new(NULL);
	SageError	err;
	bool		empty;

	if (parse(arena, text, &empty, &err) != NULL)
		fail_msg("YAML \"%s\" was accepted", text);
	if (strstr(err.message, want) == NULL)
		fail_msg("YAML \"%s\": message \"%s\", expected \"%s\"", text, err.message, want);
	sage_arena_free(arena);
}

static void
test_tags(void **state)
{
	SageArena  *arena = sage_arena_new(NULL);
	SageError	err;
	bool		empty;
	YamlNode   *root;

	(void) state;
	root = parse(arena, "a: ! yes\nb: !!str no\nc: !!int 3\nd: !!bool true\ne: !!float 1.5\n"
				 "f: !!null ~\ng: !!timestamp 2024-01-01\nh: !!seq [1]\ni: !!map {x: 1}\n"
				 "j: 'yes'\n", &empty, &err);
	assert_non_null(root);
	assert_false(sage_yaml_get(root, "a")->plain);	/* "!" makes a string */
	assert_false(sage_yaml_get(root, "b")->plain);
	assert_true(sage_yaml_get(root, "c")->plain);
	assert_true(sage_yaml_is_null(sage_yaml_get(root, "f")));
	assert_false(sage_yaml_is_null(sage_yaml_get(root, "j")));
	assert_int_equal(sage_yaml_get(root, "h")->kind, YAML_SEQUENCE);
	assert_int_equal(sage_yaml_get(root, "i")->kind, YAML_MAPPING);
	sage_arena_free(arena);
	assert_yaml_error("a: !!python/object:os.system x\n", "unsupported tag \"tag:yaml.org,2002:python/object:os.system\"");
	assert_yaml_error("a: !custom x\n", "unsupported tag \"!custom\"");
	assert_yaml_error("a: !!map [1]\n", "unsupported tag");
	assert_yaml_error("a: !!seq {x: 1}\n", "unsupported tag");
	assert_yaml_error("a: !!str [1]\n", "unsupported tag");
	assert_yaml_error("!!binary a: 1\n", "unsupported tag");
}

static void
test_anchors_and_merges(void **state)
{
	SageArena  *arena = sage_arena_new(NULL);
	SageError	err;
	bool		empty;
	YamlNode   *root;
	YamlNode   *m;

	(void) state;
	root = parse(arena,
				 "base: &b {x: 1, y: 2}\n"
				 "other: &o {y: 3, z: 4}\n"
				 "s: &s scalar\n"
				 "l: &l [1, 2]\n"
				 "one: {<<: *b, y: 9}\n"
				 "two: {<<: [*b, *o], w: 0}\n"
				 "alias: *s\n"
				 "list: *l\n"
				 "dup: {a: 1, b: 2, a: 3, b: 4}\n", &empty, &err);
	assert_non_null(root);
	m = sage_yaml_get(root, "one");
	assert_int_equal(m->count, 2);
	assert_string_equal(sage_yaml_get(m, "y")->text, "9");
	assert_string_equal(sage_yaml_get(m, "x")->text, "1");
	assert_null(m->duplicate);
	m = sage_yaml_get(root, "two");
	assert_int_equal(m->count, 4);
	/* PyYAML: the first source of the list wins */
	assert_string_equal(sage_yaml_get(m, "y")->text, "2");
	assert_string_equal(sage_yaml_get(root, "alias")->text, "scalar");
	assert_int_equal(sage_yaml_get(root, "list")->count, 2);
	m = sage_yaml_get(root, "dup");
	assert_non_null(m->duplicate);
	assert_string_equal(m->duplicate->text, "a");
	assert_string_equal(sage_yaml_get(m, "a")->text, "3");
	assert_null(sage_yaml_get(m, "nope"));
	assert_null(sage_yaml_get(sage_yaml_get(root, "s"), "x"));
	sage_arena_free(arena);

	assert_yaml_error("a: {<<: 1}\n", "a merge key (<<) needs a mapping or a list of mappings");
	assert_yaml_error("a: {<<: [1]}\n", "a merge key (<<) needs a mapping or a list of mappings");
	assert_yaml_error("a: *nope\n", "nope");
	assert_yaml_error("a: &x [*x]\n", "x");
	/* a billion laughs stays bounded */
	assert_yaml_error("a: &a [1,1,1,1,1,1,1,1,1,1]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
					  "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
					  "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
					  "g: [*f,*f,*f,*f,*f,*f,*f,*f,*f,*f]\n", "");
}

static void
test_structure_and_errors(void **state)
{
	SageArena  *arena = sage_arena_new(NULL);
	SageError	err;
	bool		empty;
	YamlNode   *root;
	char		deep[400];
	bool		v = false;

	(void) state;
	assert_null(parse(arena, "", &empty, &err));
	assert_true(empty);
	assert_null(parse(arena, "# only a comment\n", &empty, &err));
	assert_true(empty);
	/* an empty value takes the line of its key */
	root = parse(arena, "k:\n\n\n\nnext: 1\n", &empty, &err);
	assert_non_null(root);
	assert_int_equal(sage_yaml_get(root, "k")->line, 1);
	root = parse(arena, "k:\n  - 1\n", &empty, &err);
	assert_int_equal(sage_yaml_get(root, "k")->key_line, 1);
	assert_string_equal(sage_yaml_kind_name(NULL), "nothing");
	assert_string_equal(sage_yaml_kind_name(root), "a mapping");
	assert_string_equal(sage_yaml_kind_name(sage_yaml_get(root, "k")), "a list");
	root = parse(arena, "[~, x, 'true', true, Off, maybe]\n", &empty, &err);
	assert_string_equal(sage_yaml_kind_name(root->items[0]), "an empty value");
	assert_string_equal(sage_yaml_kind_name(root->items[1]), "a single value");
	assert_false(sage_yaml_bool(root->items[2], &v));
	assert_true(sage_yaml_bool(root->items[3], &v) && v);
	assert_true(sage_yaml_bool(root->items[4], &v) && !v);
	assert_false(sage_yaml_bool(root->items[5], &v));
	assert_false(sage_yaml_bool(NULL, &v));
	assert_true(sage_yaml_is_null(NULL));
	assert_false(sage_yaml_is_null(root));
	sage_arena_free(arena);

	memset(deep, '[', 100);
	deep[100] = '\0';
	assert_yaml_error(deep, "nesting deeper than 64 levels");
	assert_yaml_error("a: [1, 2\n", "line");
	assert_yaml_error("a: b: c\n", "line 1");
	assert_yaml_error("a:\n  - 1\n b: 2\n", "line");
	assert_yaml_error("a: \"\\q\"\n", "line 1");
	assert_yaml_error("a: 1\n\xff\xfe: 2\n", "");
	assert_yaml_error("a: '\x80'\n", "");
	assert_yaml_error("\t- x\n", "");
	assert_yaml_error("--- a\n--- b\n", "");
	assert_yaml_error("%YAML 9.9\n--- a\n", "");
}

/*
 * An arena with room bytes left before its budget is exhausted (see
 * rule_compile_test.c).
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

static void
test_out_of_memory(void **state)
{
	static const char text[] =
		"base: &b {x: 1, y: 2}\nlist: &l [a, b, c]\ns: &s text\n"
		"m: {<<: [*b, {z: 3}], y: 4, w: *l, v: *s}\n"
		"catalogs:\n  c1:\n    fields:\n      - {name: a, type: texto}\n";
	int			ran_out = 0;
	bool		done = false;

	(void) state;
	for (size_t room = 0; room <= 48 * 1024 && !done; room += 16)
	{
		SageBudget	budget;
		SageArena  *arena = arena_with_room(&budget, room);
		SageError	err;
		bool		empty;

		if (parse(arena, text, &empty, &err) != NULL)
			done = true;
		else
		{
			assert_int_equal(err.code, SAGE_ERR_MEMORY);
			ran_out++;
		}
		sage_arena_free(arena);
	}
	assert_true(done);
	assert_true(ran_out > 10);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tags),
		cmocka_unit_test(test_anchors_and_merges),
		cmocka_unit_test(test_structure_and_errors),
		cmocka_unit_test(test_out_of_memory),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
