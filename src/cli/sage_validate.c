/*-------------------------------------------------------------------------
 *
 * src/cli/sage_validate.c
 *		sage-validate: the processor as a command, like the historical SAGE.
 *
 *		sage-validate CONFIG DATA [--out DIR] [--package NAME] [--json]
 *		              [--memory-limit MB] [--execution-id ID]
 *
 * Writes the execution's outputs into DIR (default ./executions/<uuid>/),
 * prints a short summary (or report.json with --json), and exits 0 when the
 * data was processed without errors, 1 when it was processed and errors
 * were found, 2 on a system failure (PROCESSOR.md section 6).
 *
 *-------------------------------------------------------------------------
 */
#include "sage/processor.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EXIT_CLEAN 0
#define EXIT_FINDINGS 1
#define EXIT_SYSTEM 2

static void
usage(FILE *out)
{
	fprintf(out,
			"Usage: sage-validate CONFIG DATA [--out DIR] [--package NAME] [--json]\n"
			"                     [--memory-limit MB] [--execution-id ID]\n"
			"\n"
			"Validates DATA (.csv, .xlsx or .zip) against the SAGE YAML configuration\n"
			"CONFIG and writes output.log, report.json, report.html, results.txt and\n"
			"failures.csv (and error.log on a system failure) into DIR.\n"
			"\n"
			"Exit status: 0 processed without errors, 1 processed with errors,\n"
			"2 system failure (the data could not be processed).\n");
}

/* Prints a SageError on stderr the way PostgreSQL prints messages. */
static void
print_error(const char *prefix, const SageError *err)
{
	fprintf(stderr, "sage-validate: %s%s\n", prefix, err->message);
	if (err->detail[0])
		fprintf(stderr, "DETAIL:  %s\n", err->detail);
	if (err->hint[0])
		fprintf(stderr, "HINT:  %s\n", err->hint);
}

/* Copies DIR/report.json to stdout. */
static int
print_file(const char *dir, const char *name)
{
	char		path[4096];
	FILE	   *f;
	char		buf[65536];
	size_t		n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "rb");
	if (f == NULL)
		return -1;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		fwrite(buf, 1, n, stdout);
	fclose(f);
	return 0;
}

int
main(int argc, char **argv)
{
	const char *config_path = NULL;
	const char *data_path = NULL;
	const char *out_dir = NULL;
	const char *package = NULL;
	const char *execution_id = NULL;
	bool		json = false;
	size_t		memory_limit = 0;
	char		uuid[40];
	char		dirbuf[4200];
	SageArena  *arena;
	SageError	err;
	SageSink	sink;
	SageProcessOptions opts;
	SageInputFile input;
	SageOutcome outcome;
	char	   *config;
	size_t		config_len;
	int			i;

	for (i = 1; i < argc; i++)
	{
		const char *a = argv[i];

		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)
		{
			usage(stdout);
			return EXIT_CLEAN;
		}
		else if (strcmp(a, "--json") == 0)
			json = true;
		else if ((strcmp(a, "--out") == 0 || strcmp(a, "--package") == 0 ||
				  strcmp(a, "--memory-limit") == 0 || strcmp(a, "--execution-id") == 0))
		{
			if (i + 1 >= argc)
			{
				fprintf(stderr, "sage-validate: option \"%s\" needs a value\n", a);
				usage(stderr);
				return EXIT_SYSTEM;
			}
			if (strcmp(a, "--out") == 0)
				out_dir = argv[++i];
			else if (strcmp(a, "--package") == 0)
				package = argv[++i];
			else if (strcmp(a, "--execution-id") == 0)
				execution_id = argv[++i];
			else
			{
				char	   *end;
				unsigned long mb;

				errno = 0;
				mb = strtoul(argv[++i], &end, 10);
				if (errno != 0 || *end != '\0' || mb == 0 || mb > (1UL << 20))
				{
					fprintf(stderr, "sage-validate: invalid memory limit \"%s\"\n", argv[i]);
					fprintf(stderr, "HINT:  Give a number of megabytes between 1 and 1048576.\n");
					return EXIT_SYSTEM;
				}
				memory_limit = (size_t) mb << 20;
			}
		}
		else if (a[0] == '-' && a[1] == '-')
		{
			fprintf(stderr, "sage-validate: unrecognized option \"%s\"\n", a);
			usage(stderr);
			return EXIT_SYSTEM;
		}
		else if (config_path == NULL)
			config_path = a;
		else if (data_path == NULL)
			data_path = a;
		else
		{
			fprintf(stderr, "sage-validate: too many arguments\n");
			usage(stderr);
			return EXIT_SYSTEM;
		}
	}
	if (config_path == NULL || data_path == NULL)
	{
		usage(stderr);
		return EXIT_SYSTEM;
	}

	if (execution_id == NULL)
	{
		sage_uuid_v4(uuid);
		execution_id = uuid;
	}
	if (out_dir == NULL)
	{
		snprintf(dirbuf, sizeof(dirbuf), "executions/%s", execution_id);
		out_dir = dirbuf;
	}

	arena = sage_arena_new(NULL);
	if (arena == NULL)
	{
		fprintf(stderr, "sage-validate: out of memory\n");
		return EXIT_SYSTEM;
	}
	sage_error_clear(&err);
	if (sage_sink_directory(arena, out_dir, &sink, &err) != 0)
	{
		print_error("", &err);
		sage_arena_free(arena);
		return EXIT_SYSTEM;
	}
	if (sage_read_file(arena, config_path, 16 << 20, &config, &config_len, &err) != 0)
	{
		config = NULL;
		config_len = 0;
	}

	memset(&opts, 0, sizeof(opts));
	opts.execution_id = execution_id;
	opts.where = "local";
	opts.package = package;
	opts.memory_limit = memory_limit;
	memset(&input, 0, sizeof(input));
	input.name = data_path;
	input.path = data_path;

	if (config == NULL)
	{
		print_error("", &err);
		sage_arena_free(arena);
		return EXIT_SYSTEM;
	}
	if (sage_process(config, config_len, &input, 1, &opts, &sink, &outcome) != 0)
	{
		print_error("", &outcome.error);
		sage_arena_free(arena);
		return EXIT_SYSTEM;
	}

	if (json)
		print_file(out_dir, "report.json");
	else if (!outcome.processed)
	{
		print_error("could not process the data: ", &outcome.error);
		fprintf(stderr, "outputs: %s\n", out_dir);
	}
	else
		printf("%s: %llu records, %llu errors, %llu warnings, "
			   "%llu rows with errors, success rate %.2f%%, status %s\n"
			   "outputs: %s\n",
			   data_path,
			   (unsigned long long) outcome.summary.total_records,
			   (unsigned long long) outcome.summary.errors,
			   (unsigned long long) outcome.summary.warnings,
			   (unsigned long long) outcome.summary.rows_with_errors,
			   outcome.summary.success_rate, outcome.summary.status,
			   out_dir);
	sage_arena_free(arena);
	if (!outcome.processed)
		return EXIT_SYSTEM;
	return outcome.summary.errors > 0 ? EXIT_FINDINGS : EXIT_CLEAN;
}
