/*-------------------------------------------------------------------------
 *
 * src/core/config_select.c
 *		Chooses what a submitted data file is processed as (PROCESSOR.md
 *		section 2): its format from the extension, then the package or
 *		catalog of the configuration that applies.
 *
 * The order is the document order of the YAML file (SageConfig keeps
 * catalogs and packages in that order), so the choice is predictable:
 * - a name given by the caller wins: a package key first, then a catalog
 *   key, and it must fit the file's format;
 * - ZIP: the first package of type ZIP;
 * - CSV / EXCEL: the first package of that type (a single catalog, which
 *   loading guarantees); else the catalog whose filename is the file's
 *   name (exactly, then ignoring case); else the first catalog of that
 *   type.
 *
 *-------------------------------------------------------------------------
 */
#include "sage/config.h"

#include <string.h>

/*
 * select_ieq
 *		ASCII case-insensitive equality.
 */
static bool
select_ieq(const char *a, const char *b)
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
 * select_basename
 *		The part after the last '/' or '\' (S3 keys, Windows uploads).
 */
static const char *
select_basename(const char *path)
{
	const char *b = path;
	const char *p;

	for (p = path; *p; p++)
		if (*p == '/' || *p == '\\')
			b = p + 1;
	return b;
}

/*
 * select_format
 *		Format from the extension, case-insensitively. -1 with *err for
 *		anything else, with a special word for binary Excel (.xls).
 */
static int
select_format(const char *base, SageFileFormat *out, SageError *err)
{
	const char *dot = strrchr(base, '.');

	if (dot != NULL && select_ieq(dot, ".csv"))
		*out = SAGE_FORMAT_CSV;
	else if (dot != NULL && select_ieq(dot, ".xlsx"))
		*out = SAGE_FORMAT_EXCEL;
	else if (dot != NULL && select_ieq(dot, ".zip"))
		*out = SAGE_FORMAT_ZIP;
	else if (dot != NULL && select_ieq(dot, ".xls"))
	{
		sage_error_set(err, SAGE_ERR_UNSUPPORTED,
					   "binary Excel files (.xls) are not supported");
		sage_error_detail(err, "The file \"%.200s\" is in the old binary Excel format.", base);
		sage_error_hint(err, "Open the file in Excel and save it as an Excel Workbook (.xlsx), or export it as CSV.");
		return -1;
	}
	else
	{
		sage_error_set(err, SAGE_ERR_UNSUPPORTED, "unsupported file type \"%.100s\"",
					   dot != NULL ? dot : base);
		sage_error_detail(err, "The file \"%.200s\" is neither .csv, .xlsx nor .zip.", base);
		sage_error_hint(err, "Submit a CSV file (.csv), an Excel workbook (.xlsx) or a ZIP archive (.zip).");
		return -1;
	}
	return 0;
}

int
sage_config_find_catalog(const SageConfig *config, const char *key)
{
	int			i;

	for (i = 0; key != NULL && i < config->ncatalogs; i++)
		if (config->catalogs[i].key != NULL && strcmp(config->catalogs[i].key, key) == 0)
			return i;
	return -1;
}

int
sage_config_find_package(const SageConfig *config, const char *key)
{
	int			i;

	for (i = 0; key != NULL && i < config->npackages; i++)
		if (config->packages[i].key != NULL && strcmp(config->packages[i].key, key) == 0)
			return i;
	return -1;
}

/*
 * select_named
 *		The caller named a package or catalog: it must exist and fit the
 *		file's format.
 */
static int
select_named(const SageConfig *config, const char *name, const char *base,
			 SageSelection *out, SageError *err)
{
	int			p = sage_config_find_package(config, name);
	int			c;

	if (p >= 0)
	{
		const SagePackageDef *pkg = &config->packages[p];

		if (pkg->format != out->format)
		{
			sage_error_set(err, SAGE_ERR_ARGUMENT,
						   "package \"%.100s\" expects %s files, not %s",
						   name, sage_file_format_name(pkg->format),
						   sage_file_format_name(out->format));
			sage_error_detail(err, "The submitted file is \"%.200s\".", base);
			return -1;
		}
		out->package = p;
		out->catalog = pkg->format == SAGE_FORMAT_ZIP || pkg->ncatalogs < 1
			? -1 : pkg->catalogs[0];
		return 0;
	}
	c = sage_config_find_catalog(config, name);
	if (c >= 0)
	{
		const SageCatalogDef *cat = &config->catalogs[c];

		if (out->format == SAGE_FORMAT_ZIP)
		{
			sage_error_set(err, SAGE_ERR_ARGUMENT,
						   "catalog \"%.100s\" cannot be applied to a ZIP file", name);
			sage_error_hint(err, "Name a package of type ZIP for a ZIP file.");
			return -1;
		}
		if (cat->format != out->format)
		{
			sage_error_set(err, SAGE_ERR_ARGUMENT,
						   "catalog \"%.100s\" expects %s files, not %s",
						   name, sage_file_format_name(cat->format),
						   sage_file_format_name(out->format));
			sage_error_detail(err, "The submitted file is \"%.200s\".", base);
			return -1;
		}
		out->catalog = c;
		return 0;
	}
	sage_error_set(err, SAGE_ERR_ARGUMENT,
				   "configuration has no package or catalog named \"%.100s\"", name);
	sage_error_hint(err, "Name one of the keys under packages or catalogs in the configuration.");
	return -1;
}

int
sage_config_select(const SageConfig *config, const char *filename,
				   const char *name, SageSelection *out, SageError *err)
{
	const char *base;
	int			i;
	const char *fmt;

	sage_error_clear(err);
	out->package = -1;
	out->catalog = -1;
	out->format = SAGE_FORMAT_CSV;
	if (config == NULL || filename == NULL || filename[0] == '\0')
		return sage_error_set(err, SAGE_ERR_ARGUMENT, "data file name is missing");
	base = select_basename(filename);
	if (select_format(base, &out->format, err) < 0)
		return -1;
	if (name != NULL && name[0] != '\0')
		return select_named(config, name, base, out, err);

	fmt = sage_file_format_name(out->format);
	for (i = 0; i < config->npackages; i++)
		if (config->packages[i].format == out->format)
		{
			out->package = i;
			if (out->format != SAGE_FORMAT_ZIP && config->packages[i].ncatalogs == 1)
				out->catalog = config->packages[i].catalogs[0];
			return 0;
		}
	if (out->format == SAGE_FORMAT_ZIP)
	{
		sage_error_set(err, SAGE_ERR_CONFIG,
					   "no package of the configuration applies to \"%.200s\"", base);
		sage_error_detail(err, "Looked for a package of type ZIP; the configuration has none.");
		sage_error_hint(err, "Add a package with file_format type ZIP listing the catalogs the archive holds.");
		return -1;
	}
	/* a catalog expecting this very file: exact name, then any case */
	for (i = 0; i < config->ncatalogs; i++)
		if (config->catalogs[i].format == out->format &&
			strcmp(select_basename(config->catalogs[i].filename), base) == 0)
		{
			out->catalog = i;
			return 0;
		}
	for (i = 0; i < config->ncatalogs; i++)
		if (config->catalogs[i].format == out->format &&
			select_ieq(select_basename(config->catalogs[i].filename), base))
		{
			out->catalog = i;
			return 0;
		}
	for (i = 0; i < config->ncatalogs; i++)
		if (config->catalogs[i].format == out->format)
		{
			out->catalog = i;
			return 0;
		}
	sage_error_set(err, SAGE_ERR_CONFIG,
				   "no package or catalog of the configuration applies to \"%.200s\"", base);
	sage_error_detail(err, "Looked for a package of type %s, a catalog whose filename is \"%.200s\" and a catalog of type %s; the configuration has none.",
					  fmt, base, fmt);
	sage_error_hint(err, "Add a catalog with file_format type %s for this file, or submit a file of another type.",
					fmt);
	return -1;
}
