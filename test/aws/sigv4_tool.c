/*-------------------------------------------------------------------------
 *
 * test/aws/sigv4_tool.c
 *		Command-line driver of the SigV4 signer for the botocore
 *		comparison (test/aws/sigv4_botocore.py).
 *
 * Reads request descriptions from stdin and writes one result line per
 * request to stdout. Every value is hex-encoded so that any byte (spaces,
 * UTF-8, NUL-free binary bodies) passes through unharmed. A request is a
 * run of lines "<key> <hex>[ <hex>]" ended by a line "end" ("-" stands
 * for NULL and "." for the empty string):
 *
 *	method, host, path, raw_query, region, service, time (decimal text),
 *	akid, secret, token, mode (header|query), expires, payload
 *	(body|hash|unsigned), payload_hash, body, path_mode
 *	(default|verbatim|encode|normalize), content_sha256 (0|1),
 *	token_unsigned (0|1): one value each;
 *	param <name> <value|->, header <name> <value>: repeatable.
 *
 * The result line is "ok <authorization> <query> <signature> <payload
 * hash> <amz date> <added headers>" (each hex as above; the added
 * headers as "name:value\n" lines) or "error <message>" (hex).
 *
 * One key cache is shared by all requests, as a long-lived client would.
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sage/sigv4.h"

#define TOOL_MAX_ITEMS 256

/* Everything read for one request. */
typedef struct ToolRequest
{
	SageSigV4Request req;		/* being filled */
	SageAwsCredentials creds;	/* req.credentials points here */
	SageSigV4Param params[TOOL_MAX_ITEMS];	/* param lines */
	SageSigV4Header headers[TOOL_MAX_ITEMS];	/* header lines */
} ToolRequest;

/* Value of a hex digit, or -1. */
static int
tool_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes hex (or "-" for NULL) into an arena string; len gets the size. */
static char *
tool_unhex(SageArena *arena, const char *hex, size_t *len)
{
	size_t		n = strlen(hex);
	char	   *out;

	if (strcmp(hex, "-") == 0)
		return NULL;
	if (strcmp(hex, ".") == 0)
		n = 0;
	out = sage_alloc(arena, n / 2 + 1);
	if (out == NULL)
		return NULL;
	/* by hand: sscanf would strlen the whole remaining line every time */
	for (size_t i = 0; i + 1 < n; i += 2)
	{
		int			hi = tool_hexval(hex[i]);
		int			lo = tool_hexval(hex[i + 1]);

		if (hi < 0 || lo < 0)
		{
			fprintf(stderr, "sigv4_tool: bad hex \"%.20s\"\n", hex + i);
			exit(2);
		}
		out[i / 2] = (char) (hi * 16 + lo);
	}
	out[n / 2] = '\0';
	if (len != NULL)
		*len = n / 2;
	return out;
}

/* Writes s as hex, or "-" for NULL, after a space. */
static void
tool_puthex(const char *s)
{
	putchar(' ');
	if (s == NULL)
	{
		putchar('-');
		return;
	}
	if (*s == '\0')
		putchar('.');
	for (; *s != '\0'; s++)
		printf("%02x", (unsigned char) *s);
}

/* Applies one "key value [value]" line to the request. */
static void
tool_line(SageArena *arena, ToolRequest *t, char *key, char *v1, char *v2)
{
	SageSigV4Request *r = &t->req;
	size_t		len = 0;
	char	   *s = tool_unhex(arena, v1, &len);

	if (strcmp(key, "method") == 0)
		r->method = s;
	else if (strcmp(key, "host") == 0)
		r->host = s;
	else if (strcmp(key, "path") == 0)
		r->path = s;
	else if (strcmp(key, "raw_query") == 0)
		r->raw_query = s;
	else if (strcmp(key, "region") == 0)
		r->region = s;
	else if (strcmp(key, "service") == 0)
		r->service = s;
	else if (strcmp(key, "time") == 0)
		r->time = strtoll(s, NULL, 10);
	else if (strcmp(key, "akid") == 0)
		t->creds.access_key_id = s;
	else if (strcmp(key, "secret") == 0)
		t->creds.secret_access_key = s;
	else if (strcmp(key, "token") == 0)
		t->creds.session_token = s;
	else if (strcmp(key, "mode") == 0)
		r->mode = strcmp(s, "query") == 0 ? SAGE_SIGV4_MODE_QUERY : SAGE_SIGV4_MODE_HEADER;
	else if (strcmp(key, "expires") == 0)
		r->expires = atoi(s);
	else if (strcmp(key, "payload") == 0)
		r->payload = strcmp(s, "hash") == 0 ? SAGE_SIGV4_PAYLOAD_HASH :
			strcmp(s, "unsigned") == 0 ? SAGE_SIGV4_PAYLOAD_UNSIGNED :
			SAGE_SIGV4_PAYLOAD_BODY;
	else if (strcmp(key, "payload_hash") == 0)
		r->payload_hash = s;
	else if (strcmp(key, "body") == 0)
	{
		r->body = s;
		r->body_len = len;
	}
	else if (strcmp(key, "path_mode") == 0)
		r->path_mode = strcmp(s, "verbatim") == 0 ? SAGE_SIGV4_PATH_VERBATIM :
			strcmp(s, "encode") == 0 ? SAGE_SIGV4_PATH_ENCODE :
			strcmp(s, "normalize") == 0 ? SAGE_SIGV4_PATH_NORMALIZE :
			SAGE_SIGV4_PATH_DEFAULT;
	else if (strcmp(key, "content_sha256") == 0)
		r->content_sha256_header = strcmp(s, "1") == 0;
	else if (strcmp(key, "token_unsigned") == 0)
		r->session_token_unsigned = strcmp(s, "1") == 0;
	else if (strcmp(key, "param") == 0 && r->nparams < TOOL_MAX_ITEMS && v2 != NULL)
	{
		t->params[r->nparams].name = s;
		t->params[r->nparams++].value = tool_unhex(arena, v2, NULL);
	}
	else if (strcmp(key, "header") == 0 && r->nheaders < TOOL_MAX_ITEMS && v2 != NULL)
	{
		t->headers[r->nheaders].name = s;
		t->headers[r->nheaders++].value = tool_unhex(arena, v2, NULL);
	}
	else
	{
		fprintf(stderr, "sigv4_tool: unknown line \"%s\"\n", key);
		exit(2);
	}
}

/* Signs one request and prints its result line. */
static void
tool_sign(SageArena *arena, ToolRequest *t)
{
	SageSigV4Result res;
	SageError	err;
	char	   *added = sage_strdup(arena, "");

	if (sage_sigv4_sign(&t->req, arena, &res, &err) < 0)
	{
		fputs("error", stdout);
		tool_puthex(err.message);
		putchar('\n');
		return;
	}
	for (int i = 0; i < res.nheaders; i++)
		added = sage_printf(arena, "%s%s:%s\n", added, res.headers[i].name,
							res.headers[i].value);
	fputs("ok", stdout);
	tool_puthex(res.authorization);
	tool_puthex(res.query);
	tool_puthex(res.signature);
	tool_puthex(res.payload_hash);
	tool_puthex(res.amz_date);
	tool_puthex(added);
	putchar('\n');
}

int
main(void)
{
	SageSigV4KeyCache *cache = sage_sigv4_key_cache_new();
	SageArena  *arena = sage_arena_new(NULL);
	ToolRequest *t = calloc(1, sizeof(ToolRequest));
	char	   *line = NULL;
	size_t		cap = 0;
	ssize_t		n;

	if (cache == NULL || arena == NULL || t == NULL)
		return 2;
	while ((n = getline(&line, &cap, stdin)) > 0)
	{
		char	   *key;
		char	   *v1;
		char	   *v2;

		if (line[n - 1] == '\n')
			line[n - 1] = '\0';
		if (strcmp(line, "end") == 0)
		{
			t->req.credentials = &t->creds;
			t->req.params = t->params;
			t->req.headers = t->headers;
			t->req.key_cache = cache;
			tool_sign(arena, t);
			memset(t, 0, sizeof(ToolRequest));
			sage_arena_free(arena);
			arena = sage_arena_new(NULL);
			continue;
		}
		key = strtok(line, " ");
		v1 = strtok(NULL, " ");
		v2 = strtok(NULL, " ");
		if (key == NULL || v1 == NULL)
		{
			fprintf(stderr, "sigv4_tool: malformed line\n");
			return 2;
		}
		tool_line(arena, t, key, v1, v2);
	}
	free(line);
	free(t);
	sage_arena_free(arena);
	sage_sigv4_key_cache_free(cache);
	return 0;
}
