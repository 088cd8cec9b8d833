/*-------------------------------------------------------------------------
 *
 * test/fuzz/fuzz_aws_s3_xml.c
 *		libFuzzer target for the parsers of S3's XML answers: the
 *		ListObjectsV2 page parser (two pages in a row, as sage_s3_list
 *		feeds them), the small-answer parser of multipart uploads and
 *		copies (sage_s3_xml_fields), and the error code and message
 *		extraction of every AWS error body.
 *
 *-------------------------------------------------------------------------
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "s3_internal.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	SageBudget	budget = {64 * 1024 * 1024, 0, 0};
	SageArena  *arena = sage_arena_new(&budget);
	static const char *const names[] = {"UploadId", "ETag", "Code", "Message"};
	char	   *values[4];
	char	   *root;
	S3ListParse lp;
	SageError	err;
	size_t		i;

	if (arena == NULL)
		return 0;
	sage_error_clear(&err);
	memset(&lp, 0, sizeof(lp));
	lp.arena = arena;
	lp.max = 1000;
	if (sage_s3_list_parse(&lp, (const char *) data, size, &err) == 0)
		(void) sage_s3_list_parse(&lp, (const char *) data, size, &err);
	for (i = 0; i < lp.n; i++)
		(void) strlen(lp.objs[i].key);
	if (sage_s3_xml_fields(arena, (const char *) data, size, names, values, 4,
						   &root, &err) == 0)
	{
		(void) strlen(root);
		for (i = 0; i < 4; i++)
			if (values[i] != NULL)
				(void) strlen(values[i]);
	}
	(void) sage_aws_error_code(arena, (const char *) data, size);
	(void) sage_aws_error_message(arena, (const char *) data, size);
	sage_arena_free(arena);
	return 0;
}
