/*-------------------------------------------------------------------------
 *
 * src/aws/s3_internal.h
 *		What s3.c (put, get, head, delete, list) shares with s3_multipart.c
 *		(put with options, multipart uploads, copy): the client, the
 *		request path of a key, one signed call, the error of an unexpected
 *		status, and the hardened expat parsing of S3's XML answers.
 *
 *-------------------------------------------------------------------------
 */
#ifndef SAGE_AWS_S3_INTERNAL_H
#define SAGE_AWS_S3_INTERNAL_H

#include <expat.h>

#include "sage/aws.h"

#define S3_MAX_KEY 1024			/* S3's limit, in bytes */
#define S3_LIST_DEPTH 8			/* deeper nesting is not an S3 answer */

struct SageS3Client
{
	SageHttpClient *http;		/* transport */
	SageHttpOptions http_opts;	/* its options, for multipart's multi */
	SageCredentialProvider *credentials;	/* not owned */
	char	   *endpoint;		/* scheme://host[:port] requests go to */
	char	   *bucket;			/* for messages and path-style paths */
	char	   *region;			/* signing region */
	bool		path_style;		/* bucket in the path */
	char		page_size[16];	/* max-keys of each listing page */
};

/* State of a ListObjectsV2 response being parsed. */
typedef struct S3ListParse
{
	XML_Parser	parser;			/* to stop it from the handlers */
	SageArena  *arena;			/* where objects and strings go */
	int			depth;			/* current element depth */
	bool		too_deep;		/* nesting passed S3_LIST_DEPTH */
	bool		doctype;		/* a DOCTYPE was seen: refused */
	bool		oom;			/* an allocation failed */
	char	   *text;			/* character data of the current element */
	size_t		tlen;			/* bytes of text */
	size_t		tcap;			/* bytes allocated for text */
	bool		in_contents;	/* inside <Contents> */
	SageS3Object cur;			/* the object being read */
	SageS3Object *objs;			/* objects so far (arena) */
	size_t		n;				/* objects so far */
	size_t		cap;			/* room in objs */
	size_t		max;			/* stop collecting after this many; 0 = all */
	bool		truncated;		/* <IsTruncated>true */
	char	   *next_token;		/* <NextContinuationToken> */
} S3ListParse;

/* The request path of a key ("/bucket/key" or "/key", encoded), or NULL. */
char	   *sage_s3_key_path(SageS3Client *c, SageArena *arena, const char *key,
							 SageError *err);
/*
 * One signed S3 request with fresh credentials on key (NULL = the
 * bucket). Returns the HTTP status (the response in *resp), or -1.
 */
long		sage_s3_call(SageS3Client *c, SageArena *arena, const char *method,
						 const char *what, const char *key,
						 const SageHttpParam *params, int nparams,
						 const SageHttpHeader *headers, int nheaders,
						 const void *body, size_t body_len,
						 SageHttpResponse *resp, SageError *err);
/* The error for an unexpected answer, with S3's code and message; -1. */
int			sage_s3_fail(SageS3Client *c, SageArena *arena, const char *verb,
						 const char *key, const SageHttpResponse *resp,
						 SageError *err);
/* Parses one ListObjectsV2 page into lp (objects appended). */
int			sage_s3_list_parse(S3ListParse *lp, const char *body, size_t len,
							   SageError *err);
/*
 * Parses a small S3 XML answer: *root gets the root element's name and
 * values[i] the text of the first child element of the root named
 * names[i] (NULL when absent), all in arena. DOCTYPEs and deep nesting
 * are refused. -1 with *err when the XML is malformed.
 */
int			sage_s3_xml_fields(SageArena *arena, const char *body, size_t len,
							   const char *const *names, char **values, int n,
							   char **root, SageError *err);

#endif							/* SAGE_AWS_S3_INTERNAL_H */
