/*-------------------------------------------------------------------------
 *
 * src/aws/status_outputs.c
 *		The list of an attempt's outputs in its final status record:
 *		written by lambda/bootstrap, read by the reconciler.
 *
 * Listing the attempt's prefix in S3 would give the same names, but one
 * ListObjectsV2 per result, one after the other, is what made completion
 * slow; the record is read anyway. The record comes from outside the
 * database, so the parser trusts nothing: every name must be one file
 * name the reconciler can store and turn back into the object's key.
 *
 *-------------------------------------------------------------------------
 */
#include "sage/dynamodb.h"

#include <string.h>

#include "json_reader.h"
#include "../core/json_internal.h"

#define STATUS_OUTPUT_NAME_MAX 255	/* bytes of a name, as a file name */
#define STATUS_OUTPUTS_TEXT_MAX (64 * 1024)	/* bytes of the attribute */

/* sage_status_outputs_format: see sage/dynamodb.h. */
char *
sage_status_outputs_format(SageArena *arena, const SageStatusOutput *outputs, int n,
						   SageError *err)
{
	SageJsonBuffer buf;
	SageJsonWriter w;
	int			i;

	memset(&buf, 0, sizeof(buf));
	buf.arena = arena;
	buf.err = err;
	sage_json_init(&w, sage_json_buffer_emit, &buf, false, err);
	sage_json_begin_array(&w);
	for (i = 0; i < n; i++)
	{
		sage_json_begin_object(&w);
		sage_json_key(&w, "name");
		sage_json_string(&w, outputs[i].name);
		sage_json_key(&w, "size");
		sage_json_uint(&w, outputs[i].size);
		sage_json_end_object(&w);
	}
	sage_json_end_array(&w);
	if (sage_json_finish(&w) != 0 || buf.data == NULL)
	{
		if (err->code == SAGE_OK)
			sage_error_memory(err, NULL);
		return NULL;
	}
	return buf.data;
}

/* Why a name cannot be an output's, or NULL. */
static const char *
status_output_name_problem(const SageJsonValue *v)
{
	size_t		i;

	if (v == NULL || v->type != SAGE_JSON_STRING)
		return "has no \"name\" string";
	if (v->len == 0 || v->len > STATUS_OUTPUT_NAME_MAX)
		return "has an empty or too long name";
	if (strcmp(v->str, ".") == 0 || strcmp(v->str, "..") == 0)
		return "is named \".\" or \"..\"";
	for (i = 0; i < v->len; i++)
		if ((unsigned char) v->str[i] < 0x20 || v->str[i] == 0x7f || v->str[i] == '/' ||
			v->str[i] == '\\')
			return "has a name with '/', '\\' or a control character";
	return NULL;
}

/* sage_status_outputs_parse: see sage/dynamodb.h. */
int
sage_status_outputs_parse(SageArena *arena, const char *text, size_t len,
						  SageStatusOutput **outputs, int *n, SageError *err)
{
	SageJsonLimits limits = {4, STATUS_OUTPUTS_TEXT_MAX};
	SageJsonValue *root;
	SageStatusOutput *out;
	size_t		i;
	size_t		j;

	*outputs = NULL;
	*n = 0;
	root = sage_json_parse(arena, text, len, &limits, err);
	if (root == NULL)
	{
		char		why[sizeof(err->message)];

		if (err->code == SAGE_ERR_MEMORY)
			return -1;
		memcpy(why, err->message, sizeof(why));
		return sage_error_set(err, SAGE_ERR_INPUT, "\"outputs\" is not valid JSON: %s",
							  why);
	}
	if (root->type != SAGE_JSON_ARRAY)
		return sage_error_set(err, SAGE_ERR_INPUT, "\"outputs\" is not a JSON array");
	if (root->count > SAGE_STATUS_MAX_OUTPUTS)
		return sage_error_set(err, SAGE_ERR_INPUT,
							  "\"outputs\" lists %zu files, more than %d", root->count,
							  SAGE_STATUS_MAX_OUTPUTS);
	out = sage_alloc(arena, sizeof(SageStatusOutput) * (root->count + 1));
	if (out == NULL)
		return sage_error_memory(err, NULL);
	for (i = 0; i < root->count; i++)
	{
		const SageJsonValue *e = root->items[i];
		const SageJsonValue *size;
		const char *problem;
		int64_t		bytes;

		if (e->type != SAGE_JSON_OBJECT)
			return sage_error_set(err, SAGE_ERR_INPUT,
								  "entry %zu of \"outputs\" is not an object", i + 1);
		problem = status_output_name_problem(sage_json_member(e, "name"));
		if (problem != NULL)
			return sage_error_set(err, SAGE_ERR_INPUT, "entry %zu of \"outputs\" %s",
								  i + 1, problem);
		size = sage_json_member(e, "size");
		if (size == NULL || size->type != SAGE_JSON_NUMBER ||
			sage_json_to_int64(size, &bytes) != 0 || bytes < 0)
			return sage_error_set(err, SAGE_ERR_INPUT,
								  "entry %zu of \"outputs\" has no \"size\" count", i + 1);
		out[i].name = sage_json_member_string(e, "name");
		out[i].size = (uint64_t) bytes;
		for (j = 0; j < i; j++)
			if (strcmp(out[j].name, out[i].name) == 0)
				return sage_error_set(err, SAGE_ERR_INPUT,
									  "\"outputs\" lists \"%s\" twice", out[i].name);
	}
	*outputs = out;
	*n = (int) root->count;
	return 0;
}
