/*-------------------------------------------------------------------------
 *
 * test/fuzz/fuzz_report.c
 *		libFuzzer target for the report: arbitrary findings, events, format
 *		errors, missing files and failures (with arbitrary bytes in every
 *		string) must always give strict JSON, valid UTF-8 in every output,
 *		an HTML page with no markup from the data, and a failures.csv with
 *		one line per finding.
 *
 * Input: byte 0 is max_listed (mod 16); then records separated by '\n',
 * each starting with an operation byte, its fields separated by '\t'.
 *
 *-------------------------------------------------------------------------
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "report_internal.h"

#define FUZZ_MAX_FIELDS 8

/* ------------------------------------------------ strict JSON validator */

typedef struct JsonCheck
{
	const unsigned char *p;		/* next byte */
	const unsigned char *end;	/* end of text */
	int			depth;			/* nesting */
} JsonCheck;

static int	jc_value(JsonCheck *c);

static void
jc_ws(JsonCheck *c)
{
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
		c->p++;
}

static int
jc_lit(JsonCheck *c, const char *lit)
{
	size_t		n = strlen(lit);

	if ((size_t) (c->end - c->p) < n || memcmp(c->p, lit, n) != 0)
		return -1;
	c->p += n;
	return 0;
}

static int
jc_digits(JsonCheck *c)
{
	const unsigned char *s = c->p;

	while (c->p < c->end && *c->p >= '0' && *c->p <= '9')
		c->p++;
	return c->p > s ? 0 : -1;
}

static int
jc_number(JsonCheck *c)
{
	if (c->p < c->end && *c->p == '-')
		c->p++;
	if (c->p < c->end && *c->p == '0')
		c->p++;
	else if (jc_digits(c) != 0)
		return -1;
	if (c->p < c->end && *c->p == '.')
	{
		c->p++;
		if (jc_digits(c) != 0)
			return -1;
	}
	if (c->p < c->end && (*c->p == 'e' || *c->p == 'E'))
	{
		c->p++;
		if (c->p < c->end && (*c->p == '+' || *c->p == '-'))
			c->p++;
		if (jc_digits(c) != 0)
			return -1;
	}
	return 0;
}

static int
jc_string(JsonCheck *c)
{
	if (c->p >= c->end || *c->p != '"')
		return -1;
	c->p++;
	while (c->p < c->end && *c->p != '"')
	{
		if (*c->p < 0x20)
			return -1;
		if (*c->p == '\\')
		{
			c->p++;
			if (c->p >= c->end)
				return -1;
			if (*c->p == 'u')
			{
				int			i;

				for (i = 1; i <= 4; i++)
					if (c->p + i >= c->end || !strchr("0123456789abcdefABCDEF", c->p[i]))
						return -1;
				c->p += 5;
			}
			else if (strchr("\"\\/bfnrt", *c->p) != NULL && *c->p != '\0')
				c->p++;
			else
				return -1;
		}
		else
		{
			size_t		n = sage_utf8_seq_len(c->p, (size_t) (c->end - c->p));

			if (n == 0)
				return -1;
			c->p += n;
		}
	}
	if (c->p >= c->end)
		return -1;
	c->p++;
	return 0;
}

static int
jc_container(JsonCheck *c, bool object)
{
	char		close = object ? '}' : ']';

	if (++c->depth > 64)
		return -1;
	c->p++;
	jc_ws(c);
	if (c->p < c->end && *c->p == close)
	{
		c->p++;
		c->depth--;
		return 0;
	}
	for (;;)
	{
		if (object)
		{
			if (jc_string(c) != 0)
				return -1;
			jc_ws(c);
			if (c->p >= c->end || *c->p != ':')
				return -1;
			c->p++;
		}
		if (jc_value(c) != 0)
			return -1;
		jc_ws(c);
		if (c->p < c->end && *c->p == ',')
		{
			c->p++;
			jc_ws(c);
			continue;
		}
		if (c->p < c->end && *c->p == close)
		{
			c->p++;
			c->depth--;
			return 0;
		}
		return -1;
	}
}

static int
jc_value(JsonCheck *c)
{
	jc_ws(c);
	if (c->p >= c->end)
		return -1;
	switch (*c->p)
	{
		case '{':
			return jc_container(c, true);
		case '[':
			return jc_container(c, false);
		case '"':
			return jc_string(c);
		case 't':
			return jc_lit(c, "true");
		case 'f':
			return jc_lit(c, "false");
		case 'n':
			return jc_lit(c, "null");
		default:
			return jc_number(c);
	}
}

static bool
json_valid(const char *text, size_t len)
{
	JsonCheck	c = {(const unsigned char *) text, (const unsigned char *) text + len, 0};

	if (jc_value(&c) != 0)
		return false;
	jc_ws(&c);
	return c.p == c.end;
}

static bool
utf8_valid(const char *s, size_t len)
{
	size_t		i = 0;

	while (i < len)
	{
		size_t		n = sage_utf8_seq_len((const unsigned char *) s + i, len - i);

		if (n == 0)
			return false;
		i += n;
	}
	return true;
}

/* ------------------------------------------------------------- driver */

/*
 * fuzz_fields
 *		Splits one record into NUL-terminated fields (in place); an empty
 *		field stands for NULL.
 */
static int
fuzz_fields(char *rec, char **fields)
{
	int			n = 0;
	char	   *p = rec;

	while (n < FUZZ_MAX_FIELDS)
	{
		char	   *tab = strchr(p, '\t');

		fields[n++] = *p == '\0' || *p == '\t' ? NULL : p;
		if (tab == NULL)
			break;
		*tab = '\0';
		p = tab + 1;
	}
	while (n < FUZZ_MAX_FIELDS)
		fields[n++] = NULL;
	return n;
}

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	SageBudget	budget = {32 * 1024 * 1024, 0, 0};
	SageArena  *arena;
	SageSink	sink;
	SageReportInfo info;
	SageReport *report;
	SageError	err;
	char	   *copy;
	char	   *rec;
	uint64_t	findings = 0;
	uint64_t	lines[4] = {1, 2, 3, 4};
	int			i;

	if (size == 0 || size > 65536)
		return 0;
	arena = sage_arena_new(&budget);
	sage_sink_memory(arena, &sink);
	memset(&info, 0, sizeof(info));
	info.execution_id = "fuzz";
	info.config_name = "cfg";
	info.start_usec = 1700000000000000;
	info.max_listed = data[0] % 16;
	report = sage_report_new(arena, &budget, &info, &sink, &err);
	if (report == NULL)
		abort();

	/* NUL-terminated copy; embedded NULs end a record's last field early */
	copy = malloc(size);
	memcpy(copy, data + 1, size - 1);
	copy[size - 1] = '\0';
	rec = copy;
	while (rec != NULL)
	{
		char	   *nl = strchr(rec, '\n');
		char	   *f[FUZZ_MAX_FIELDS];
		unsigned char op;

		if (nl != NULL)
			*nl = '\0';
		op = (unsigned char) rec[0];
		if (op != '\0')
		{
			fuzz_fields(rec + 1, f);
			switch (op % 8)
			{
				case 0:
				case 1:
				case 2:
					{
						SageFinding fd;

						memset(&fd, 0, sizeof(fd));
						fd.file = f[0];
						fd.line = f[1] ? (uint64_t) strtoull(f[1], NULL, 10) : 0;
						fd.field = f[2];
						fd.check = (SageCheck) ((op / 8) % SAGE_NCHECKS);
						fd.rule = f[3];
						fd.severity = (SageSeverity) ((op / 3) % 3);
						fd.value = f[4];
						fd.message = f[5];
						fd.summary_only = (op & 0x40) != 0;
						if (op & 0x80)
						{
							fd.lines = lines;
							fd.nlines = 4;
						}
						/* counted and in failures.csv even when memory runs out */
						if (sage_report_add_finding(report, &fd, &err) != 0 &&
							err.code != SAGE_ERR_MEMORY)
							abort();
						findings++;
						break;
					}
				case 3:
					{
						const char *kv[6] = {f[1], f[2], f[3], f[4], f[5], f[6]};

						sage_report_event_at(report, 1700000000000000 + op, (SageEventLevel) (op % 3),
											 f[0] ? f[0] : "", 3, kv, &err);
						break;
					}
				case 4:
					sage_report_format_error(report, (SageCheck) (op % 3), f[0], f[1], f[2],
											 f[3], &err);
					break;
				case 5:
					if (f[0] != NULL)
						sage_report_missing_file(report, f[0], f[1], &err);
					break;
				case 6:
					if (f[0] != NULL)
					{
						sage_report_file(report, f[0], &err);
						sage_report_file_counts(report, f[0],
												f[1] ? strtoull(f[1], NULL, 10) : 0,
												f[2] ? strtoull(f[2], NULL, 10) : 0);
					}
					break;
				case 7:
					sage_error_set(&err, SAGE_ERR_INPUT, "%s", f[0] ? f[0] : "x");
					sage_error_detail(&err, "%s", f[1] ? f[1] : "");
					sage_report_system_failure(report, &err);
					break;
			}
		}
		rec = nl != NULL ? nl + 1 : NULL;
	}
	free(copy);

	if (sage_report_finish(report, 1700000001000000, &err) != 0)
		abort();
	for (i = 0; i < sage_sink_memory_count(&sink); i++)
	{
		const char *name;
		const void *out;
		size_t		len;

		if (!sage_sink_memory_file(&sink, i, &name, &out, &len))
			abort();
		if (!utf8_valid(out, len))
			abort();
		if (strcmp(name, "report.json") == 0 && !json_valid(out, len))
			abort();
		if (strcmp(name, "report.html") == 0 &&
			(strstr(out, "<script") != NULL || strstr(out, "<img") != NULL))
			abort();
		if (strcmp(name, "failures.csv") == 0)
		{
			/* header + one CRLF-ended line per finding (CR LF inside values are quoted) */
			uint64_t	crlf = 0;
			const char *p = out;
			bool		quoted = false;

			for (; *p; p++)
			{
				if (*p == '"')
					quoted = !quoted;
				else if (!quoted && p[0] == '\r' && p[1] == '\n')
					crlf++;
			}
			if (quoted || crlf != findings + 1)
				abort();
		}
	}
	sage_arena_free(arena);
	return 0;
}
