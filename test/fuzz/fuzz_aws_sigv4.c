/*-------------------------------------------------------------------------
 *
 * test/fuzz/fuzz_aws_sigv4.c
 *		libFuzzer target for the SigV4 signer: arbitrary paths, raw query
 *		strings, headers and service names, signed in header and query
 *		mode with every path rule. Errors are expected; crashes, leaks and
 *		undefined behaviour are not.
 *
 * The input is split on '\n' into: method, path, raw query, service,
 * then header name/value pairs.
 *
 *-------------------------------------------------------------------------
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sage/sigv4.h"

#define FUZZ_MAX_FIELDS 16

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static SageAwsCredentials creds = {"AKIDEXAMPLE", "secret", "token", 0};
	char	   *copy = malloc(size + 1);
	char	   *fields[FUZZ_MAX_FIELDS] = {0};
	int			n = 0;
	char	   *p;
	SageSigV4Header headers[FUZZ_MAX_FIELDS / 2];
	int			nh = 0;

	if (copy == NULL)
		return 0;
	memcpy(copy, data, size);
	copy[size] = '\0';
	p = copy;
	while (n < FUZZ_MAX_FIELDS)
	{
		fields[n++] = p;
		p = strchr(p, '\n');
		if (p == NULL)
			break;
		*p++ = '\0';
	}
	for (int i = 4; i + 1 < n; i += 2)
		headers[nh++] = (SageSigV4Header)
	{
		fields[i], fields[i + 1]
	};
	for (int mode = 0; mode < 2; mode++)
		for (int path_mode = 0; path_mode < 4; path_mode++)
		{
			SageArena  *arena = sage_arena_new(NULL);
			SageSigV4Request req = {0};
			SageSigV4Result res;
			SageError	err;

			req.method = fields[0];
			req.host = "example.amazonaws.com";
			req.path = n > 1 ? fields[1] : NULL;
			req.raw_query = n > 2 ? fields[2] : NULL;
			req.service = n > 3 ? fields[3] : "s3";
			req.region = "us-east-1";
			req.headers = headers;
			req.nheaders = nh;
			req.body = data;
			req.body_len = size;
			req.time = 1440938160;
			req.credentials = &creds;
			req.mode = mode ? SAGE_SIGV4_MODE_QUERY : SAGE_SIGV4_MODE_HEADER;
			req.expires = 60;
			req.path_mode = (SageSigV4PathMode) path_mode;
			req.content_sha256_header = mode == 0;
			if (sage_sigv4_sign(&req, arena, &res, &err) == 0 &&
				(strlen(res.signature) != 64 || res.canonical_request == NULL))
				abort();
			sage_arena_free(arena);
		}
	free(copy);
	return 0;
}
