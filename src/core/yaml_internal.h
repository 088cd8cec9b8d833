/*-------------------------------------------------------------------------
 *
 * src/core/yaml_internal.h
 *		A small YAML node tree with line/column marks, built from libyaml's
 *		event stream, for the configuration loader.
 *
 * The tree is deliberately dumb: scalars keep their text and whether they
 * were written plain (so "true" and true can be told apart the way PyYAML
 * does), aliases point at the anchored node instead of copying it, and
 * merge keys ("<<") are resolved when their mapping closes. Every limit
 * that keeps hostile input cheap (input size, nesting depth, node count,
 * alias expansion) is enforced here, so the loader can walk the tree
 * without further precautions.
 *
 *-------------------------------------------------------------------------
 */
#ifndef SAGE_YAML_INTERNAL_H
#define SAGE_YAML_INTERNAL_H

#include "sage/common.h"

/* Limits applied while building the tree. */
#define YAML_MAX_DEPTH		64		/* nested collections */
#define YAML_MAX_NODES		200000	/* nodes written in the text */
#define YAML_MAX_EXPANDED	1000000 /* nodes reachable once aliases expand */

typedef enum YamlKind
{
	YAML_SCALAR = 0,
	YAML_SEQUENCE,
	YAML_MAPPING
} YamlKind;

typedef struct YamlNode YamlNode;

/* One key/value pair of a mapping, in document order. */
typedef struct YamlPair
{
	YamlNode   *key;			/* always a scalar */
	YamlNode   *value;
} YamlPair;

struct YamlNode
{
	YamlKind	kind;
	int			line;			/* 1-based line where the node starts */
	int			column;			/* 1-based column where the node starts */
	int			key_line;		/* collections: line of the key they are the
								 * value of (0 if none), where a reader looks
								 * for "what this entry lacks" */
	/* scalar */
	const char *text;			/* NUL-terminated (may hold NULs: see len) */
	size_t		len;			/* byte length of text */
	bool		plain;			/* written unquoted and untagged: subject to
								 * YAML 1.1 resolution (null, bool, int) */
	/* collections */
	int			count;			/* items (sequence) or pairs (mapping) */
	YamlNode  **items;			/* sequence items */
	YamlPair   *pairs;			/* mapping pairs, merge keys resolved */
	YamlNode   *duplicate;		/* mapping: first key written twice, or NULL */
	uint64_t	weight;			/* nodes reachable from here, aliases expanded */
};

/*
 * Parses len bytes of YAML (one document) into a tree allocated in arena.
 * Returns the root (NULL for an empty document: *empty is then true) or
 * NULL with *err filled (SAGE_ERR_CONFIG) on a syntax error or a limit.
 */
YamlNode   *sage_yaml_parse(SageArena *arena, const char *data, size_t len,
							bool *empty, SageError *err);

/* The value of key in a mapping (last pair after merges), or NULL. */
YamlNode   *sage_yaml_get(const YamlNode *map, const char *key);

/* YAML 1.1 resolution of plain scalars, as PyYAML's SafeLoader does it. */
bool		sage_yaml_is_null(const YamlNode *node);
/* True when node is a boolean (plain true/false/yes/no/on/off); sets *value. */
bool		sage_yaml_bool(const YamlNode *node, bool *value);
/* Human name of a node's kind for messages: "a mapping", "a list"... */
const char *sage_yaml_kind_name(const YamlNode *node);

#endif							/* SAGE_YAML_INTERNAL_H */
