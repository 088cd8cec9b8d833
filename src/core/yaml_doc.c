/*-------------------------------------------------------------------------
 *
 * src/core/yaml_doc.c
 *		Builds a YAML node tree with line/column marks from libyaml's event
 *		stream, safely.
 *
 * libyaml's own document API copies nothing either, but it neither limits
 * nesting nor alias expansion and loses nothing we could use for limits,
 * so the tree is built here from events with an explicit stack (no
 * recursion). Hostile documents are stopped early:
 *
 * - nesting deeper than YAML_MAX_DEPTH collections;
 * - more than YAML_MAX_NODES nodes written in the text;
 * - "billion laughs": every node carries a weight, the number of nodes a
 *   walker would visit below it with aliases expanded; an alias adds its
 *   target's weight, and a weight above YAML_MAX_EXPANDED is refused. The
 *   configuration loader therefore never walks more than that many nodes;
 * - aliases to an anchor that is still open (recursive structures) are
 *   refused as unknown aliases, because an anchor is only registered once
 *   its node is complete.
 *
 * Scalars are resolved the way PyYAML's SafeLoader (the historical SAGE
 * loader) resolves them: only plain, untagged scalars can be null or
 * booleans, and the YAML 1.1 spellings yes/no/on/off count. Merge keys
 * ("<<") are honoured with PyYAML's precedence, since SafeLoader honours
 * them too.
 *
 *-------------------------------------------------------------------------
 */
#include "yaml_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define YAML_TAG_PREFIX "tag:yaml.org,2002:"
#define ANCHOR_BUCKETS 1024

/* A registered anchor; later definitions shadow earlier ones. */
typedef struct YamlAnchor
{
	const char *name;
	YamlNode   *node;
	struct YamlAnchor *next;	/* next entry in the same bucket */
} YamlAnchor;

/* An open collection while its events arrive. */
typedef struct YamlFrame
{
	YamlNode   *node;
	const char *anchor;			/* registered when the collection closes */
	int			cap;			/* allocated items or pairs */
	YamlNode   *pending_key;	/* mapping: key waiting for its value */
} YamlFrame;

/* Parser state for one document. */
typedef struct YamlBuilder
{
	SageArena  *arena;
	SageError  *err;
	const char *data;			/* the input, to turn offsets into lines */
	size_t		len;
	YamlFrame	stack[YAML_MAX_DEPTH + 1];
	int			depth;			/* open collections */
	long		nodes;			/* nodes created so far */
	YamlNode   *root;
	int			documents;		/* documents started */
	YamlAnchor *anchors[ANCHOR_BUCKETS];
} YamlBuilder;

/* One entry of a mapping being flattened (merge keys, duplicates). */
typedef struct YamlFlat
{
	YamlPair	pair;
	int			order;			/* position in the flattened list */
	bool		explicit;		/* written in this mapping, not merged */
} YamlFlat;

/*
 * yaml_memory
 *		Reports an exhausted arena; always returns -1.
 */
static int
yaml_memory(YamlBuilder *b)
{
	return sage_error_memory(b->err, NULL);
}

/*
 * yaml_fail
 *		Sets a limit or structure error at a 1-based line and column.
 */
static int
yaml_fail(YamlBuilder *b, int line, int column, const char *what)
{
	sage_error_set(b->err, SAGE_ERR_CONFIG,
				   "could not parse YAML configuration: %s at line %d, column %d",
				   what, line, column);
	return -1;
}

/*
 * yaml_anchor_hash
 *		FNV-1a over an anchor name, reduced to a bucket.
 */
static unsigned
yaml_anchor_hash(const char *name)
{
	uint32_t	h = 2166136261u;

	for (; *name; name++)
		h = (h ^ (unsigned char) *name) * 16777619u;
	return h % ANCHOR_BUCKETS;
}

/*
 * yaml_anchor_add
 *		Registers a completed node under its anchor name.
 */
static int
yaml_anchor_add(YamlBuilder *b, const char *name, YamlNode *node)
{
	YamlAnchor *a = sage_alloc(b->arena, sizeof(YamlAnchor));
	unsigned	h = yaml_anchor_hash(name);

	if (a == NULL || (a->name = sage_strdup(b->arena, name)) == NULL)
		return yaml_memory(b);
	a->node = node;
	a->next = b->anchors[h];
	b->anchors[h] = a;
	return 0;
}

/*
 * yaml_anchor_find
 *		The node of the latest definition of an anchor, or NULL.
 */
static YamlNode *
yaml_anchor_find(YamlBuilder *b, const char *name)
{
	YamlAnchor *a;

	for (a = b->anchors[yaml_anchor_hash(name)]; a != NULL; a = a->next)
		if (strcmp(a->name, name) == 0)
			return a->node;
	return NULL;
}

/*
 * yaml_weight_add
 *		Saturating addition of node weights.
 */
static uint64_t
yaml_weight_add(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

/*
 * yaml_check_tag
 *		Accepts no tag, the non-specific "!", and the standard YAML types;
 *		anything else (!!python/object, custom tags) is refused, as
 *		PyYAML's SafeLoader refuses it. *as_string is set for !!str and "!",
 *		which make a scalar a plain string.
 */
static int
yaml_check_tag(YamlBuilder *b, const yaml_char_t *tag, yaml_mark_t mark,
			   YamlKind kind, bool *as_string)
{
	const char *t = (const char *) tag;
	const char *s;

	*as_string = false;
	if (t == NULL)
		return 0;
	if (strcmp(t, "!") == 0)
	{
		*as_string = true;
		return 0;
	}
	if (strncmp(t, YAML_TAG_PREFIX, strlen(YAML_TAG_PREFIX)) == 0)
	{
		s = t + strlen(YAML_TAG_PREFIX);
		if (kind == YAML_SCALAR)
		{
			if (strcmp(s, "str") == 0)
			{
				*as_string = true;
				return 0;
			}
			if (strcmp(s, "bool") == 0 || strcmp(s, "int") == 0 ||
				strcmp(s, "float") == 0 || strcmp(s, "null") == 0 ||
				strcmp(s, "timestamp") == 0)
				return 0;
		}
		else if (kind == YAML_SEQUENCE && strcmp(s, "seq") == 0)
			return 0;
		else if (kind == YAML_MAPPING && strcmp(s, "map") == 0)
			return 0;
	}
	{
		char		what[160];

		snprintf(what, sizeof(what), "unsupported tag \"%.100s\"", t);
		yaml_fail(b, (int) mark.line + 1, (int) mark.column + 1, what);
		sage_error_hint(b->err, "Remove the tag: a SAGE configuration only holds plain mappings, lists and values.");
	}
	return -1;
}

/*
 * yaml_new_node
 *		Allocates a node, counting it against YAML_MAX_NODES.
 */
static YamlNode *
yaml_new_node(YamlBuilder *b, YamlKind kind, yaml_mark_t mark)
{
	YamlNode   *n;

	if (++b->nodes > YAML_MAX_NODES)
	{
		char		what[96];

		snprintf(what, sizeof(what), "more than %d nodes", YAML_MAX_NODES);
		yaml_fail(b, (int) mark.line + 1, (int) mark.column + 1, what);
		return NULL;
	}
	n = sage_alloc0(b->arena, sizeof(YamlNode));
	if (n == NULL)
	{
		yaml_memory(b);
		return NULL;
	}
	n->kind = kind;
	n->line = (int) mark.line + 1;
	n->column = (int) mark.column + 1;
	n->weight = 1;
	n->text = "";
	return n;
}

/*
 * yaml_attach
 *		Hands a finished node (or an alias target) to the open collection,
 *		or makes it the root.
 */
static int
yaml_attach(YamlBuilder *b, YamlNode *node, yaml_mark_t mark)
{
	YamlFrame  *f;
	YamlNode   *p;

	if (b->depth == 0)
	{
		b->root = node;
		return 0;
	}
	f = &b->stack[b->depth - 1];
	p = f->node;
	p->weight = yaml_weight_add(p->weight, node->weight);
	if (p->weight > YAML_MAX_EXPANDED)
	{
		char		what[128];

		snprintf(what, sizeof(what),
				 "the document expands to more than %d nodes", YAML_MAX_EXPANDED);
		yaml_fail(b, (int) mark.line + 1, (int) mark.column + 1, what);
		sage_error_hint(b->err, "Aliases (*name) may repeat a large part of the document; write the configuration without nested aliases.");
		return -1;
	}
	if (p->kind == YAML_MAPPING && f->pending_key == NULL)
	{
		if (node->kind != YAML_SCALAR)
			return yaml_fail(b, (int) mark.line + 1, (int) mark.column + 1,
							 "mapping keys must be plain values, not lists or mappings");
		f->pending_key = node;
		return 0;
	}
	if (p->count >= f->cap)
	{
		int			ncap = f->cap == 0 ? 8 : f->cap * 2;
		size_t		esz = p->kind == YAML_MAPPING ? sizeof(YamlPair) : sizeof(YamlNode *);
		void	   *old = p->kind == YAML_MAPPING ? (void *) p->pairs : (void *) p->items;
		void	   *nw = sage_realloc(b->arena, old, esz * (size_t) f->cap, esz * (size_t) ncap);

		if (nw == NULL)
			return yaml_memory(b);
		if (p->kind == YAML_MAPPING)
			p->pairs = nw;
		else
			p->items = nw;
		f->cap = ncap;
	}
	if (p->kind == YAML_MAPPING)
	{
		if (node->kind != YAML_SCALAR && node->key_line == 0)
			node->key_line = f->pending_key->line;

		/*
		 * libyaml marks an empty value ("key:" and nothing) where the next
		 * token starts, possibly lines later; the key's line is what a
		 * reader looks at.
		 */
		if (node->kind == YAML_SCALAR && node->plain && node->len == 0 &&
			node->line > f->pending_key->line)
		{
			node->line = f->pending_key->line;
			node->column = f->pending_key->column;
		}
		p->pairs[p->count].key = f->pending_key;
		p->pairs[p->count].value = node;
		f->pending_key = NULL;
	}
	else
		p->items[p->count] = node;
	p->count++;
	return 0;
}

/*
 * yaml_is_merge_key
 *		A plain "<<" key asks for a merge (YAML 1.1 merge type).
 */
static bool
yaml_is_merge_key(const YamlNode *key)
{
	return key->plain && key->len == 2 && memcmp(key->text, "<<", 2) == 0;
}

/*
 * yaml_flat_cmp
 *		Orders flattened pairs by key bytes, then by position, so equal
 *		keys are adjacent with their first occurrence first.
 */
static int
yaml_flat_cmp(const void *a, const void *b)
{
	const YamlFlat *x = a;
	const YamlFlat *y = b;
	size_t		n = x->pair.key->len < y->pair.key->len ? x->pair.key->len : y->pair.key->len;
	int			c = memcmp(x->pair.key->text, y->pair.key->text, n);

	if (c != 0)
		return c;
	if (x->pair.key->len != y->pair.key->len)
		return x->pair.key->len < y->pair.key->len ? -1 : 1;
	return x->order - y->order;
}

/* Orders flattened pairs back into document position. */
static int
yaml_order_cmp(const void *a, const void *b)
{
	return ((const YamlFlat *) a)->order - ((const YamlFlat *) b)->order;
}

/*
 * yaml_close_mapping
 *		Resolves merge keys and collapses repeated keys with PyYAML's
 *		meaning: the flattened list is the merged pairs (later merge sources
 *		first, as PyYAML orders them) followed by the explicit ones; a key
 *		keeps its first position and takes its last value. A key written
 *		twice explicitly is remembered in map->duplicate for the loader to
 *		report with its path.
 */
static int
yaml_close_mapping(YamlBuilder *b, YamlNode *map)
{
	int			nmerged = 0;
	int			nexplicit = 0;
	int			i,
				j,
				k,
				total;
	YamlFlat   *flat;
	YamlPair   *out;

	if (map->count == 0)
		return 0;
	for (i = 0; i < map->count; i++)
	{
		YamlNode   *v = map->pairs[i].value;

		if (!yaml_is_merge_key(map->pairs[i].key))
		{
			nexplicit++;
			continue;
		}
		if (v->kind == YAML_MAPPING)
			nmerged += v->count;
		else if (v->kind == YAML_SEQUENCE)
		{
			for (j = 0; j < v->count; j++)
			{
				if (v->items[j]->kind != YAML_MAPPING)
					return yaml_fail(b, v->items[j]->line, v->items[j]->column,
									 "a merge key (<<) needs a mapping or a list of mappings");
				nmerged += v->items[j]->count;
			}
		}
		else
			return yaml_fail(b, v->line, v->column,
							 "a merge key (<<) needs a mapping or a list of mappings");
		if (nmerged > YAML_MAX_EXPANDED)
			return yaml_fail(b, v->line, v->column, "merge keys expand to too many entries");
	}
	total = nmerged + nexplicit;
	flat = sage_alloc(b->arena, sizeof(YamlFlat) * (size_t) total);
	if (flat == NULL)
		return yaml_memory(b);
	k = 0;
	for (i = 0; i < map->count; i++)
	{
		YamlNode   *v = map->pairs[i].value;

		if (!yaml_is_merge_key(map->pairs[i].key))
			continue;
		if (v->kind == YAML_MAPPING)
		{
			for (j = 0; j < v->count; j++, k++)
			{
				flat[k].pair = v->pairs[j];
				flat[k].explicit = false;
			}
		}
		else
		{
			/* PyYAML reverses the list of sources before extending */
			int			s;

			for (s = v->count - 1; s >= 0; s--)
				for (j = 0; j < v->items[s]->count; j++, k++)
				{
					flat[k].pair = v->items[s]->pairs[j];
					flat[k].explicit = false;
				}
		}
	}
	for (i = 0; i < map->count; i++)
	{
		if (yaml_is_merge_key(map->pairs[i].key))
			continue;
		flat[k].pair = map->pairs[i];
		flat[k].explicit = true;
		k++;
	}
	for (i = 0; i < total; i++)
		flat[i].order = i;

	/* group equal keys: first position, last value */
	qsort(flat, (size_t) total, sizeof(YamlFlat), yaml_flat_cmp);
	k = 0;
	for (i = 0; i < total; i = j)
	{
		int			nexp = 0;
		YamlNode   *second = NULL;

		for (j = i; j < total &&
			 flat[j].pair.key->len == flat[i].pair.key->len &&
			 memcmp(flat[j].pair.key->text, flat[i].pair.key->text,
					flat[i].pair.key->len) == 0; j++)
		{
			if (flat[j].explicit && ++nexp == 2 && second == NULL)
				second = flat[j].pair.key;
		}
		if (second != NULL &&
			(map->duplicate == NULL || second->line < map->duplicate->line))
			map->duplicate = second;
		flat[k].pair.key = flat[i].pair.key;
		flat[k].pair.value = flat[j - 1].pair.value;
		flat[k].order = flat[i].order;
		k++;
	}
	qsort(flat, (size_t) k, sizeof(YamlFlat), yaml_order_cmp);
	out = sage_alloc(b->arena, sizeof(YamlPair) * (size_t) k);
	if (out == NULL)
		return yaml_memory(b);
	for (i = 0; i < k; i++)
		out[i] = flat[i].pair;
	map->pairs = out;
	map->count = k;
	return 0;
}

/*
 * yaml_line_of_offset
 *		Turns a byte offset (libyaml reader errors only give one) into a
 *		1-based line and column.
 */
static void
yaml_line_of_offset(const char *data, size_t len, size_t offset,
					int *line, int *column)
{
	size_t		i;
	size_t		start = 0;

	*line = 1;
	if (offset > len)
		offset = len;
	for (i = 0; i < offset; i++)
		if (data[i] == '\n')
		{
			(*line)++;
			start = i + 1;
		}
	*column = (int) (offset - start) + 1;
}

/*
 * yaml_parser_error
 *		Turns libyaml's error state into a SageError.
 */
static int
yaml_parser_error(YamlBuilder *b, yaml_parser_t *parser)
{
	int			line,
				column;
	const char *problem = parser->problem ? parser->problem : "unknown error";

	if (parser->error == YAML_MEMORY_ERROR)
		return yaml_memory(b);
	if (parser->error == YAML_READER_ERROR)
	{
		yaml_line_of_offset(b->data, b->len, parser->problem_offset, &line, &column);
		sage_error_set(b->err, SAGE_ERR_CONFIG,
					   "could not parse YAML configuration: %s at line %d, column %d",
					   problem, line, column);
		sage_error_hint(b->err, "The configuration must be a UTF-8 (or UTF-16) text file.");
		return -1;
	}
	sage_error_set(b->err, SAGE_ERR_CONFIG,
				   "could not parse YAML configuration: %s at line %d, column %d",
				   problem, (int) parser->problem_mark.line + 1,
				   (int) parser->problem_mark.column + 1);
	if (parser->context != NULL)
		sage_error_detail(b->err, "The problem was found %s that starts at line %d, column %d.",
						  parser->context, (int) parser->context_mark.line + 1,
						  (int) parser->context_mark.column + 1);
	sage_error_hint(b->err, "Check the indentation and the quoting around that position.");
	return -1;
}

/*
 * yaml_handle_event
 *		Applies one event to the builder. Returns 1 at the end of the
 *		stream, 0 to continue, -1 on error.
 */
static int
yaml_handle_event(YamlBuilder *b, yaml_event_t *ev)
{
	YamlNode   *n;
	YamlFrame  *f;
	bool		as_string;

	switch (ev->type)
	{
		case YAML_STREAM_START_EVENT:
		case YAML_NO_EVENT:
			return 0;
		case YAML_STREAM_END_EVENT:
			return 1;
		case YAML_DOCUMENT_START_EVENT:
			if (++b->documents > 1)
			{
				yaml_fail(b, (int) ev->start_mark.line + 1, (int) ev->start_mark.column + 1,
						  "the file holds more than one YAML document");
				sage_error_hint(b->err, "Keep a single document: remove the extra \"---\" separator.");
				return -1;
			}
			return 0;
		case YAML_DOCUMENT_END_EVENT:
			return 0;
		case YAML_ALIAS_EVENT:
			n = yaml_anchor_find(b, (const char *) ev->data.alias.anchor);
			if (n == NULL)
			{
				char		what[160];

				snprintf(what, sizeof(what), "unknown or recursive alias \"*%.100s\"",
						 (const char *) ev->data.alias.anchor);
				return yaml_fail(b, (int) ev->start_mark.line + 1,
								 (int) ev->start_mark.column + 1, what);
			}
			return yaml_attach(b, n, ev->start_mark);
		case YAML_SCALAR_EVENT:
			if (yaml_check_tag(b, ev->data.scalar.tag, ev->start_mark, YAML_SCALAR,
							   &as_string) < 0)
				return -1;
			n = yaml_new_node(b, YAML_SCALAR, ev->start_mark);
			if (n == NULL)
				return -1;
			n->text = sage_strndup(b->arena, (const char *) ev->data.scalar.value,
								   ev->data.scalar.length);
			if (n->text == NULL)
				return yaml_memory(b);
			n->len = ev->data.scalar.length;
			n->plain = !as_string && (ev->data.scalar.tag != NULL ||
									  ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE);
			if (ev->data.scalar.anchor != NULL &&
				yaml_anchor_add(b, (const char *) ev->data.scalar.anchor, n) < 0)
				return -1;
			return yaml_attach(b, n, ev->start_mark);
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
			{
				bool		seq = ev->type == YAML_SEQUENCE_START_EVENT;
				const yaml_char_t *tag = seq ? ev->data.sequence_start.tag : ev->data.mapping_start.tag;
				const yaml_char_t *anchor = seq ? ev->data.sequence_start.anchor : ev->data.mapping_start.anchor;

				if (yaml_check_tag(b, tag, ev->start_mark,
								   seq ? YAML_SEQUENCE : YAML_MAPPING, &as_string) < 0)
					return -1;
				if (b->depth >= YAML_MAX_DEPTH)
				{
					char		what[96];

					snprintf(what, sizeof(what), "nesting deeper than %d levels", YAML_MAX_DEPTH);
					return yaml_fail(b, (int) ev->start_mark.line + 1,
									 (int) ev->start_mark.column + 1, what);
				}
				n = yaml_new_node(b, seq ? YAML_SEQUENCE : YAML_MAPPING, ev->start_mark);
				if (n == NULL)
					return -1;
				f = &b->stack[b->depth++];
				f->node = n;
				f->cap = 0;
				f->pending_key = NULL;
				f->anchor = NULL;
				if (anchor != NULL &&
					(f->anchor = sage_strdup(b->arena, (const char *) anchor)) == NULL)
					return yaml_memory(b);
				return 0;
			}
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			{
				YamlFrame	done;

				if (b->depth == 0)
					return yaml_fail(b, (int) ev->start_mark.line + 1,
									 (int) ev->start_mark.column + 1, "unbalanced collection");
				done = b->stack[--b->depth];
				n = done.node;
				if (n->kind == YAML_MAPPING && yaml_close_mapping(b, n) < 0)
					return -1;
				if (done.anchor != NULL && yaml_anchor_add(b, done.anchor, n) < 0)
					return -1;
				return yaml_attach(b, n, ev->start_mark);
			}
	}
	return 0;
}

YamlNode *
sage_yaml_parse(SageArena *arena, const char *data, size_t len,
				bool *empty, SageError *err)
{
	yaml_parser_t parser;
	yaml_event_t ev;
	YamlBuilder *b;
	int			rc = 0;
	YamlNode   *root;

	*empty = false;
	b = sage_alloc0(arena, sizeof(YamlBuilder));
	if (b == NULL)
	{
		sage_error_memory(err, NULL);
		return NULL;
	}
	b->arena = arena;
	b->err = err;
	b->data = data;
	b->len = len;
	if (!yaml_parser_initialize(&parser))
	{
		sage_error_memory(err, NULL);
		return NULL;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *) data, len);
	while (rc == 0)
	{
		if (!yaml_parser_parse(&parser, &ev))
		{
			yaml_parser_error(b, &parser);
			yaml_parser_delete(&parser);
			return NULL;
		}
		rc = yaml_handle_event(b, &ev);
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&parser);
	if (rc < 0)
		return NULL;
	root = b->root;
	if (root == NULL)
		*empty = true;
	return root;
}

YamlNode *
sage_yaml_get(const YamlNode *map, const char *key)
{
	int			i;
	size_t		klen = strlen(key);

	if (map == NULL || map->kind != YAML_MAPPING)
		return NULL;
	for (i = map->count - 1; i >= 0; i--)
	{
		const YamlNode *k = map->pairs[i].key;

		if (k->len == klen && memcmp(k->text, key, klen) == 0)
			return map->pairs[i].value;
	}
	return NULL;
}

bool
sage_yaml_is_null(const YamlNode *node)
{
	static const char *const nulls[] = {"", "~", "null", "Null", "NULL"};
	size_t		i;

	if (node == NULL)
		return true;
	if (node->kind != YAML_SCALAR || !node->plain)
		return false;
	for (i = 0; i < sizeof(nulls) / sizeof(nulls[0]); i++)
		if (strcmp(node->text, nulls[i]) == 0)
			return true;
	return false;
}

bool
sage_yaml_bool(const YamlNode *node, bool *value)
{
	static const char *const yes[] = {"true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON"};
	static const char *const no[] = {"false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF"};
	size_t		i;

	if (node == NULL || node->kind != YAML_SCALAR || !node->plain)
		return false;
	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
	{
		if (strcmp(node->text, yes[i]) == 0)
		{
			*value = true;
			return true;
		}
		if (strcmp(node->text, no[i]) == 0)
		{
			*value = false;
			return true;
		}
	}
	return false;
}

const char *
sage_yaml_kind_name(const YamlNode *node)
{
	if (node == NULL)
		return "nothing";
	switch (node->kind)
	{
		case YAML_SCALAR:
			return sage_yaml_is_null(node) ? "an empty value" : "a single value";
		case YAML_SEQUENCE:
			return "a list";
		case YAML_MAPPING:
			return "a mapping";
	}
	return "an unknown node";
}
