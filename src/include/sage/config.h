/*-------------------------------------------------------------------------
 *
 * src/include/sage/config.h
 *		The SAGE YAML configuration (PROCESSOR.md sections 1 and 2): loading
 *		with one precise message per problem, and choosing what applies to a
 *		submitted data file.
 *
 *-------------------------------------------------------------------------
 */
#ifndef SAGE_CONFIG_H
#define SAGE_CONFIG_H

#include "sage/common.h"
#include "sage/record.h"
#include "sage/rules.h"

/* Largest configuration text sage_config_load accepts (bytes). */
#define SAGE_CONFIG_MAX_BYTES (4 * 1024 * 1024)

typedef enum SageFieldType
{
	SAGE_FIELD_TEXTO = 0,
	SAGE_FIELD_DECIMAL,
	SAGE_FIELD_ENTERO,
	SAGE_FIELD_FECHA,
	SAGE_FIELD_BOOLEANO
} SageFieldType;

typedef enum SageSeverity
{
	SAGE_SEV_ERROR = 0,
	SAGE_SEV_WARNING,
	SAGE_SEV_MESSAGE
} SageSeverity;

typedef enum SageFileFormat
{
	SAGE_FORMAT_CSV = 0,
	SAGE_FORMAT_EXCEL,
	SAGE_FORMAT_ZIP
} SageFileFormat;

typedef struct SageRuleDef
{
	const char *name;
	const char *description;
	const char *expr;
	SageSeverity severity;
	SageRuleScope scope;
	const char *path;			/* YAML path, e.g. catalogs.ventas.row_validation[0] */
	SageRule   *compiled;		/* never NULL in a loaded configuration */
} SageRuleDef;

typedef struct SageFieldDef
{
	const char *name;
	SageFieldType type;
	bool		required;
	bool		unique;
	const char *format;			/* strftime format for fecha, or NULL */
	int			nrules;
	SageRuleDef *rules;			/* scope FIELD */
} SageFieldDef;

typedef struct SageCatalogDef
{
	const char *key;			/* map key under catalogs */
	const char *name;
	const char *description;
	const char *filename;
	SageFileFormat format;		/* CSV or EXCEL */
	char		delimiter;
	char		quotechar;
	bool		header;
	SageEncoding encoding;
	const char *sheet_name;		/* EXCEL: or NULL */
	int			sheet_index;	/* EXCEL: 1-based, 0 = first */
	int			nna_values;
	const char *const *na_values;	/* default: { "" } */
	int			skip_rows;
	int			nfields;
	SageFieldDef *fields;
	int			nrow_rules;
	SageRuleDef *row_rules;
	int			ncatalog_rules;
	SageRuleDef *catalog_rules;
} SageCatalogDef;

typedef struct SagePackageDef
{
	const char *key;
	const char *name;
	const char *description;
	SageFileFormat format;
	int			ncatalogs;
	const int  *catalogs;		/* indexes into SageConfig.catalogs */
	int			nrules;
	SageRuleDef *rules;			/* scope PACKAGE; schema = its catalogs in order */
} SagePackageDef;

/* An informational note produced while loading (unknown key, case of a type...). */
typedef struct SageConfigNote
{
	const char *path;
	const char *message;
	int			line;			/* 1-based line in the YAML text */
} SageConfigNote;

typedef struct SageConfig
{
	const char *name;
	const char *description;
	const char *version;
	const char *author;
	const char *comments;		/* or NULL */
	int			ncatalogs;
	SageCatalogDef *catalogs;
	int			npackages;
	SagePackageDef *packages;
	int			nnotes;
	SageConfigNote *notes;
} SageConfig;

/*
 * Loads and validates a configuration, compiling every rule. On refusal
 * returns NULL with err->code SAGE_ERR_CONFIG (or SAGE_ERR_RULE when the
 * only problems are rules the compiler refused), err->message "invalid
 * configuration", and err->detail holding one line per problem, in
 * document order: "path (line N): message", e.g.
 *   catalogs.clientes.fields[3].type (line 42): unknown field type "txt" (...)
 * (for rules, the compiler's message with the position inside the
 * expression, and its hint in parentheses). A YAML syntax error is
 * "could not parse YAML configuration: <problem> at line L, column C";
 * an empty or non-mapping document, "invalid configuration" with the line
 * "document (line N): ...". Input above SAGE_CONFIG_MAX_BYTES is
 * SAGE_ERR_LIMIT. Notes (unknown keys and such) are in config->notes,
 * sorted by line.
 */
SageConfig *sage_config_load(SageArena *arena, const char *yaml, size_t len, SageError *err);

/* Schema of a catalog for rule compilation/evaluation. */
SageColType sage_field_col_type(SageFieldType type);

/* Names as written in YAML: "texto"..., "CSV"..., "error"... (for reports). */
const char *sage_field_type_name(SageFieldType type);
const char *sage_file_format_name(SageFileFormat format);
const char *sage_severity_name(SageSeverity severity);

/* Index of the catalog or package with that key, or -1. */
int			sage_config_find_catalog(const SageConfig *config, const char *key);
int			sage_config_find_package(const SageConfig *config, const char *key);

/* What a data file is processed as (section 2). */
typedef struct SageSelection
{
	SageFileFormat format;		/* detected from the extension */
	int			package;		/* index or -1 */
	int			catalog;		/* index (CSV/EXCEL) or -1 (ZIP) */
} SageSelection;

/*
 * Detects the format from filename's extension and selects the package or
 * catalog; name (may be NULL) names a package key or catalog key explicitly.
 */
int			sage_config_select(const SageConfig *config, const char *filename,
							   const char *name, SageSelection *out, SageError *err);

#endif							/* SAGE_CONFIG_H */
