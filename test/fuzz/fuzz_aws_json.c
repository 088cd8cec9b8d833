/*-------------------------------------------------------------------------
 *
 * test/fuzz/fuzz_aws_json.c
 *		libFuzzer target for src/aws/json_reader.c, the parser of AWS
 *		JSON-protocol responses (DynamoDB, Lambda errors), and of the
 *		outputs list of a status record (src/aws/status_outputs.c).
 *
 * Each input is parsed with a small depth cap and a memory budget, then
 * walked the way the DynamoDB client reads responses, so lookups and
 * number conversion see whatever trees the parser builds.
 *
 *-------------------------------------------------------------------------
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "json_reader.h"
#include "sage/dynamodb.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Visits every value, as lookups and conversions would. */
static size_t
fuzz_walk(const SageJsonValue *v, int depth)
{
	size_t		n = 1;
	size_t		i;
	int64_t		num;

	if (v == NULL || depth > 100)
		return 0;
	(void) sage_json_to_int64(v, &num);
	(void) sage_json_member_string(v, "S");
	(void) sage_json_member(v, "N");
	for (i = 0; i < v->count; i++)
		n += fuzz_walk(v->items[i], depth + 1);
	return n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	SageBudget	budget = {64 * 1024 * 1024, 0, 0};
	SageArena  *arena = sage_arena_new(&budget);
	SageError	err;
	SageJsonLimits lim = {32, 1024 * 1024};
	SageJsonValue *v;

	if (arena == NULL)
		return 0;
	sage_error_clear(&err);
	v = sage_json_parse(arena, (const char *) data, size, &lim, &err);
	if (v != NULL)
		(void) fuzz_walk(v, 0);
	else if (err.code == SAGE_OK || err.message[0] == '\0')
		__builtin_trap();		/* a failure must always say why */
	{
		SageStatusOutput *outs;
		int			n;
		int			i;

		sage_error_clear(&err);
		if (sage_status_outputs_parse(arena, (const char *) data, size, &outs, &n, &err) == 0)
		{
			/* what the reconciler relies on: names it can turn into keys */
			for (i = 0; i < n; i++)
				if (outs[i].name[0] == '\0' || strchr(outs[i].name, '/') != NULL)
					__builtin_trap();
		}
		else if (err.code == SAGE_OK || err.message[0] == '\0')
			__builtin_trap();
	}
	sage_arena_free(arena);
	return 0;
}
