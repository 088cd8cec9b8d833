/*-------------------------------------------------------------------------
 *
 * src/aws/s3_multipart.c
 *		S3 writes beyond a plain PUT: sage_s3_put_ex (gzip, server-side
 *		encryption, checksums, and multipart upload of large bodies with
 *		parts in parallel) and sage_s3_copy (CopyObject).
 *
 * Choices, and why:
 *	- a body is compressed before the single-or-multipart decision, so
 *	  the threshold is about bytes on the wire; the checksum covers the
 *	  stored (compressed) bytes, which is what S3 verifies;
 *	- single PUTs send x-amz-checksum-sha256 by default: S3 refuses a body
 *	  that does not match it and echoes it back, and we compare the echo;
 *	  with Content-MD5 the ETag is compared instead (unless SSE-KMS, whose
 *	  ETags are not MD5s);
 *	- parts always carry Content-MD5 and their ETags are checked, and so
 *	  is the final "md5-of-md5s-N" ETag: a part that S3 received damaged,
 *	  or a part list that does not match, is caught before anyone reads
 *	  the object (a full-object checksum for multipart needs S3's newer
 *	  CRC64 type, which not every store has);
 *	- parts run through a SageHttpMulti with the client's transport
 *	  options, so each part is retried on its own; the wait is a poll()
 *	  on the multi's sockets (this call is synchronous, like every other
 *	  S3 call; the transport's cancel callback is polled per attempt);
 *	- any failure after CreateMultipartUpload aborts the upload, so S3
 *	  keeps no orphan parts (which it would bill for ever);
 *	- CompleteMultipartUpload and CopyObject may answer 200 with an
 *	  <Error> body (S3 sends the status before it knows the outcome), so
 *	  the body's root element decides, not the status;
 *	- the copy source is "/bucket/key" with the key URI-encoded ('/'
 *	  kept), as S3 decodes it.
 *
 *-------------------------------------------------------------------------
 */
#include "sage/sigv4.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <zlib.h>

#include "s3_internal.h"

#define S3X_MIN_PART ((size_t) 5 << 20)	/* S3's smallest part but the last */
#define S3X_MAX_PARTS 10000		/* S3's most parts of an upload */
#define S3X_MAX_SOCKETS 64		/* sockets of the parts waited on at once */

/* One part of a multipart upload. */
typedef struct S3Part
{
	int			number;			/* 1-based part number */
	const char *data;			/* its bytes, inside the body */
	size_t		len;			/* how many */
	uint8_t		md5[16];		/* their MD5 */
	char	   *etag;			/* S3's ETag once uploaded (arena) */
	bool		done;			/* the callback ran */
} S3Part;

/* State of a multipart upload shared with the parts' callbacks. */
typedef struct S3Upload
{
	SageS3Client *client;		/* the client */
	SageArena  *arena;			/* the upload's strings */
	const char *key;			/* object key */
	S3Part	   *parts;			/* all parts */
	int			nparts;			/* how many */
	bool		failed;			/* a part failed: stop adding */
	SageError	err;			/* the first part's failure */
} S3Upload;

/* A part and its upload, the argument of the part's callback. */
typedef struct S3PartCall
{
	S3Upload   *upload;			/* the upload */
	S3Part	   *part;			/* this part */
} S3PartCall;

/* --------------------------------------------------------------- helpers */

/* Fills the zero options with their defaults. */
static void
s3x_defaults(const SageS3PutOptions *in, SageS3PutOptions *o)
{
	if (in != NULL)
		*o = *in;
	else
		memset(o, 0, sizeof(*o));
	if (o->gzip_min == 0)
		o->gzip_min = 64 * 1024;
	if (o->multipart_threshold == 0)
		o->multipart_threshold = (size_t) 64 << 20;
	if (o->part_size == 0)
		o->part_size = (size_t) 16 << 20;
	if (o->part_size < S3X_MIN_PART)
		o->part_size = S3X_MIN_PART;
	if (o->parallel <= 0)
		o->parallel = 4;
	if (o->parallel > S3X_MAX_SOCKETS / 2)
		o->parallel = S3X_MAX_SOCKETS / 2;
}

/*
 * s3x_sse_headers
 *		Appends the server-side encryption headers of opts to h.
 */
static int
s3x_sse_headers(const SageS3PutOptions *o, SageHttpHeader *h, int nh)
{
	if (o->sse == SAGE_S3_SSE_AES256)
		h[nh++] = (SageHttpHeader)
	{
		"x-amz-server-side-encryption", "AES256"
	};
	else if (o->sse == SAGE_S3_SSE_KMS)
	{
		h[nh++] = (SageHttpHeader)
		{
			"x-amz-server-side-encryption", "aws:kms"
		};
		if (o->kms_key_id != NULL && o->kms_key_id[0] != '\0')
			h[nh++] = (SageHttpHeader)
		{
			"x-amz-server-side-encryption-aws-kms-key-id", o->kms_key_id
		};
	}
	return nh;
}

/*
 * s3x_check_sse
 *		When S3 says how it encrypted the object, it must be as asked.
 */
static int
s3x_check_sse(SageS3Client *c, const char *key, const SageS3PutOptions *o,
			  const SageHttpResponse *resp, SageError *err)
{
	const char *got = sage_http_header(resp, "x-amz-server-side-encryption");
	const char *want = o->sse == SAGE_S3_SSE_AES256 ? "AES256" :
		o->sse == SAGE_S3_SSE_KMS ? "aws:kms" : NULL;

	if (want == NULL || got == NULL || strcmp(got, want) == 0)
		return 0;
	sage_error_set(err, SAGE_AWS_ERR_SERVICE,
				   "S3 stored \"s3://%s/%s\" with encryption %s instead of %s",
				   c->bucket, key, got, want);
	return -1;
}

/* The ETag without its quotes, in a caller's buffer of 96 bytes. */
static void
s3x_unquote(const char *etag, char *out)
{
	size_t		n;

	if (etag == NULL)
		etag = "";
	if (etag[0] == '"')
		etag++;
	n = strlen(etag);
	if (n > 0 && etag[n - 1] == '"')
		n--;
	if (n > 95)
		n = 95;
	memcpy(out, etag, n);
	out[n] = '\0';
}

/* The error of an ETag or checksum S3 answered that is not ours. */
static int
s3x_mismatch(SageS3Client *c, const char *key, const char *what,
			 const char *want, const char *got, SageError *err)
{
	sage_error_set(err, SAGE_AWS_ERR_TRANSPORT,
				   "S3 object \"s3://%s/%s\" was not stored intact: %s does not match",
				   c->bucket, key, what);
	sage_error_detail(err, "Expected %s, S3 answered %s.", want,
					  got != NULL ? got : "none");
	return -1;
}

/*
 * s3x_gzip
 *		Compresses len bytes into a malloc'ed gzip stream (*out, *outlen).
 */
static int
s3x_gzip(const void *data, size_t len, char **out, size_t *outlen,
		 SageError *err)
{
	z_stream	zs;
	size_t		cap;
	char	   *buf;
	int			zrc;

	memset(&zs, 0, sizeof(zs));
	if (deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return sage_error_memory(err, NULL);
	cap = deflateBound(&zs, (uLong) len) + 64;
	buf = malloc(cap);
	if (buf == NULL)
	{
		deflateEnd(&zs);
		return sage_error_memory(err, NULL);
	}
	zs.next_in = (Bytef *) data;
	zs.next_out = (Bytef *) buf;
	zs.avail_out = (uInt) (cap > UINT32_MAX ? UINT32_MAX : cap);
	/* fed in slices: avail_in is 32-bit */
	do
	{
		size_t		left = len - (size_t) ((const char *) zs.next_in - (const char *) data);
		uInt		n = left > (1u << 30) ? (1u << 30) : (uInt) left;

		zs.avail_in = n;
		zrc = deflate(&zs, n == left ? Z_FINISH : Z_NO_FLUSH);
	} while (zrc == Z_OK);
	if (zrc != Z_STREAM_END)
	{
		deflateEnd(&zs);
		free(buf);
		return sage_error_set(err, SAGE_ERR_INTERNAL, "could not compress an S3 object: %s",
							  zs.msg != NULL ? zs.msg : "zlib error");
	}
	*outlen = zs.total_out;
	*out = buf;
	deflateEnd(&zs);
	return 0;
}

/* ------------------------------------------------------------ single PUT */

/*
 * s3x_put_single
 *		One PutObject with the options' headers, its answer verified.
 */
static int
s3x_put_single(SageS3Client *c, const char *key, const void *body, size_t len,
			   const SageS3PutOptions *o, bool gzipped, SageS3PutResult *res,
			   SageError *err)
{
	SageArena  *arena = sage_arena_new(NULL);
	SageHttpHeader h[8];
	int			nh = 0;
	uint8_t		digest[SAGE_SHA256_LEN];
	char		sum[64];
	char		md5hex[40];
	SageHttpResponse resp;
	long		status;
	int			rc = 0;

	if (arena == NULL)
		return sage_error_memory(err, NULL);
	if (o->if_none_match)
		h[nh++] = (SageHttpHeader)
	{
		"If-None-Match", "*"
	};
	if (o->content_type != NULL)
		h[nh++] = (SageHttpHeader)
	{
		"Content-Type", o->content_type
	};
	if (gzipped)
		h[nh++] = (SageHttpHeader)
	{
		"Content-Encoding", "gzip"
	};
	nh = s3x_sse_headers(o, h, nh);
	if (o->checksum == SAGE_S3_CHECKSUM_SHA256)
	{
		if (sage_crypto_sha256(body, len, digest, err) < 0)
			rc = -1;
		sage_crypto_base64(digest, SAGE_SHA256_LEN, sum);
		h[nh++] = (SageHttpHeader)
		{
			"x-amz-checksum-sha256", sum
		};
		/* what the SDKs send along; some stores keep the checksum only then */
		h[nh++] = (SageHttpHeader)
		{
			"x-amz-sdk-checksum-algorithm", "SHA256"
		};
	}
	else if (o->checksum == SAGE_S3_CHECKSUM_MD5)
	{
		if (sage_crypto_md5(body, len, digest, err) < 0)
			rc = -1;
		sage_crypto_base64(digest, 16, sum);
		sage_crypto_hex(digest, 16, md5hex);
		h[nh++] = (SageHttpHeader)
		{
			"Content-MD5", sum
		};
	}
	if (rc == 0)
	{
		status = sage_s3_call(c, arena, "PUT", "S3 PutObject", key, NULL, 0, h, nh,
							  body != NULL ? body : "", len, &resp, err);
		if (status < 0)
			rc = -1;
		else if (o->if_none_match && (status == 412 || status == 409))
			rc = 1;
		else if (status != 200)
			rc = sage_s3_fail(c, arena, "write", key, &resp, err);
		else
		{
			const char *etag = sage_http_header(&resp, "etag");
			const char *echo = sage_http_header(&resp, "x-amz-checksum-sha256");
			char		plain[96];

			s3x_unquote(etag, plain);
			if (res != NULL)
				snprintf(res->etag, sizeof(res->etag), "%s", etag != NULL ? etag : "");
			if (o->checksum == SAGE_S3_CHECKSUM_SHA256 && echo != NULL &&
				strcmp(echo, sum) != 0)
				rc = s3x_mismatch(c, key, "the SHA-256 checksum", sum, echo, err);
			else if (o->checksum == SAGE_S3_CHECKSUM_MD5 && o->sse != SAGE_S3_SSE_KMS &&
					 strcmp(plain, md5hex) != 0)
				rc = s3x_mismatch(c, key, "the ETag", md5hex, plain, err);
			else
				rc = s3x_check_sse(c, key, o, &resp, err);
		}
	}
	sage_arena_free(arena);
	return rc;
}

/* ------------------------------------------------------------- multipart */

/* A part's answer: its ETag, or the upload's first failure. */
static void
s3x_part_done(void *arg, int rc, const SageHttpResponse *resp,
			  const SageError *err)
{
	S3PartCall *pc = arg;
	S3Upload   *u = pc->upload;
	S3Part	   *p = pc->part;
	SageError	e;

	p->done = true;
	free(pc);
	if (u->failed)
		return;
	if (rc < 0)
	{
		u->err = *err;
		u->failed = true;
		return;
	}
	if (resp->status != 200)
	{
		char		what[64];

		sage_error_clear(&e);
		snprintf(what, sizeof(what), "upload part %d of", p->number);
		sage_s3_fail(u->client, u->arena, what, u->key, resp, &e);
		u->err = e;
		u->failed = true;
		return;
	}
	p->etag = sage_strdup(u->arena, sage_http_header(resp, "etag") != NULL ?
						  sage_http_header(resp, "etag") : "");
	if (p->etag == NULL)
	{
		sage_error_memory(&u->err, NULL);
		u->failed = true;
	}
}

/*
 * s3x_upload_parts
 *		Uploads the parts through a multi, up to parallel at once, waiting
 *		with poll() on its sockets; stops adding after a failure.
 */
static int
s3x_upload_parts(S3Upload *u, SageHttpMulti *m, const SageS3PutOptions *o,
				 const char *path, const char *upload_id,
				 const SageAwsCredentials *creds, SageError *err)
{
	SageHttpSocket socks[S3X_MAX_SOCKETS];
	struct pollfd pfds[S3X_MAX_SOCKETS];
	int			next = 0;

	while (true)
	{
		long		timeout;
		int			n;
		int			i;

		/* start parts while there is room */
		while (!u->failed && next < u->nparts &&
			   sage_http_multi_inflight(m) < o->parallel)
		{
			S3Part	   *p = &u->parts[next];
			S3PartCall *pc = malloc(sizeof(S3PartCall));
			SageHttpRequest req = {0};
			SageHttpParam params[2];
			SageHttpHeader h[1];
			char		num[16];
			char		md5[32];

			if (pc == NULL)
				return sage_error_memory(err, NULL);
			pc->upload = u;
			pc->part = p;
			snprintf(num, sizeof(num), "%d", p->number);
			params[0] = (SageHttpParam)
			{
				"partNumber", num
			};
			params[1] = (SageHttpParam)
			{
				"uploadId", upload_id
			};
			sage_crypto_base64(p->md5, 16, md5);
			h[0] = (SageHttpHeader)
			{
				"Content-MD5", md5
			};
			req.method = "PUT";
			req.endpoint = u->client->endpoint;
			req.path = path;
			req.params = params;
			req.nparams = 2;
			req.headers = h;
			req.nheaders = o->checksum != SAGE_S3_CHECKSUM_NONE ? 1 : 0;
			req.body = p->len > 0 ? p->data : "";
			req.body_len = p->len;
			req.credentials = creds;
			req.region = u->client->region;
			req.service = "s3";
			req.what = "S3 UploadPart";
			if (sage_http_multi_add(m, &req, s3x_part_done, pc, err) < 0)
			{
				free(pc);
				return -1;
			}
			next++;
		}
		if (sage_http_multi_inflight(m) == 0)
			break;
		n = sage_http_multi_sockets(m, socks, S3X_MAX_SOCKETS, &timeout);
		for (i = 0; i < n; i++)
		{
			pfds[i].fd = socks[i].fd;
			pfds[i].events = (short) ((socks[i].want_read ? POLLIN : 0) |
									  (socks[i].want_write ? POLLOUT : 0));
			pfds[i].revents = 0;
		}
		/* a lost wakeup costs at most a second, never a hang */
		(void) poll(pfds, (nfds_t) n, timeout < 0 || timeout > 1000 ? 1000 : (int) timeout);
		if (sage_http_multi_perform(m, err) < 0)
			return -1;
	}
	if (u->failed)
	{
		*err = u->err;
		return -1;
	}
	return 0;
}

/* AbortMultipartUpload, best effort: the caller reports the first failure. */
static void
s3x_abort(SageS3Client *c, const char *key, const char *upload_id)
{
	SageArena  *arena = sage_arena_new(NULL);
	SageHttpParam param = {"uploadId", upload_id};
	SageHttpResponse resp;
	SageError	ignored;

	if (arena == NULL)
		return;
	(void) sage_s3_call(c, arena, "DELETE", "S3 AbortMultipartUpload", key, &param, 1,
						NULL, 0, NULL, 0, &resp, &ignored);
	sage_arena_free(arena);
}

/*
 * s3x_complete
 *		CompleteMultipartUpload with the parts' list; checks the final
 *		ETag. 0, 1 (If-None-Match refused) or -1.
 */
static int
s3x_complete(S3Upload *u, const SageS3PutOptions *o, const char *upload_id,
			 SageS3PutResult *res, SageError *err)
{
	SageS3Client *c = u->client;
	SageArena  *a = u->arena;
	size_t		cap = 128 + (size_t) u->nparts * 160;
	char	   *xml = sage_alloc(a, cap);
	size_t		used;
	SageHttpParam param = {"uploadId", upload_id};
	SageHttpHeader h[2];
	int			nh = 0;
	SageHttpResponse resp;
	long		status;
	static const char *const names[] = {"ETag", "Code"};
	char	   *vals[2];
	char	   *root;
	int			i;

	if (xml == NULL)
		return sage_error_memory(err, NULL);
	used = (size_t) snprintf(xml, cap, "<CompleteMultipartUpload>");
	for (i = 0; i < u->nparts; i++)
	{
		const char *e = u->parts[i].etag;

		/* an ETag is quoted hex; anything else would break the XML */
		if (strpbrk(e, "<>&") != NULL || strlen(e) > 100)
			return sage_error_set(err, SAGE_AWS_ERR_SERVICE,
								  "S3 answered an invalid ETag for part %d", i + 1);
		used += (size_t) snprintf(xml + used, cap - used,
								  "<Part><PartNumber>%d</PartNumber><ETag>%s</ETag></Part>",
								  u->parts[i].number, e);
	}
	used += (size_t) snprintf(xml + used, cap - used, "</CompleteMultipartUpload>");
	h[nh++] = (SageHttpHeader)
	{
		"Content-Type", "application/xml"
	};
	if (o->if_none_match)
		h[nh++] = (SageHttpHeader)
	{
		"If-None-Match", "*"
	};
	status = sage_s3_call(c, a, "POST", "S3 CompleteMultipartUpload", u->key, &param, 1,
						  h, nh, xml, used, &resp, err);
	if (status < 0)
		return -1;
	if (o->if_none_match && (status == 412 || status == 409))
		return 1;
	if (status != 200)
		return sage_s3_fail(c, a, "complete the upload of", u->key, &resp, err);
	if (sage_s3_xml_fields(a, resp.body, resp.body_len, names, vals, 2, &root, err) < 0)
		return -1;
	if (strcmp(root, "Error") == 0)
		return sage_s3_fail(c, a, "complete the upload of", u->key, &resp, err);
	if (res != NULL)
		snprintf(res->etag, sizeof(res->etag), "%s", vals[0] != NULL ? vals[0] : "");
	if (o->checksum != SAGE_S3_CHECKSUM_NONE && o->sse != SAGE_S3_SSE_KMS)
	{
		uint8_t    *all = sage_alloc(a, (size_t) u->nparts * 16);
		uint8_t		d[16];
		char		want[64];
		char		got[96];

		if (all == NULL)
			return sage_error_memory(err, NULL);
		for (i = 0; i < u->nparts; i++)
			memcpy(all + i * 16, u->parts[i].md5, 16);
		if (sage_crypto_md5(all, (size_t) u->nparts * 16, d, err) < 0)
			return -1;
		sage_crypto_hex(d, 16, want);
		snprintf(want + 32, sizeof(want) - 32, "-%d", u->nparts);
		s3x_unquote(vals[0], got);
		if (strcmp(want, got) != 0)
			return s3x_mismatch(c, u->key, "the multipart ETag", want, got, err);
	}
	return 0;
}

/*
 * s3x_put_multipart
 *		CreateMultipartUpload, the parts in parallel, Complete; Abort on
 *		any failure.
 */
static int
s3x_put_multipart(SageS3Client *c, const char *key, const char *body, size_t len,
				  const SageS3PutOptions *o, bool gzipped, SageS3PutResult *res,
				  SageError *err)
{
	S3Upload	u;
	SageArena  *a = sage_arena_new(NULL);
	SageHttpHeader h[6];
	int			nh = 0;
	SageHttpParam up = {"uploads", NULL};
	SageHttpResponse resp;
	SageAwsCredentials creds;
	SageHttpMulti *m = NULL;
	static const char *const names[] = {"UploadId"};
	char	   *upload_id = NULL;
	char	   *root;
	char	   *path;
	size_t		psize = o->part_size;
	long		status;
	int			rc = -1;
	int			i;

	if (a == NULL)
		return sage_error_memory(err, NULL);
	memset(&u, 0, sizeof(u));
	memset(&creds, 0, sizeof(creds));
	u.client = c;
	u.arena = a;
	u.key = key;
	if ((len + psize - 1) / psize > S3X_MAX_PARTS)
		psize = (len + S3X_MAX_PARTS - 1) / S3X_MAX_PARTS;
	u.nparts = (int) ((len + psize - 1) / psize);
	u.parts = sage_alloc0(a, sizeof(S3Part) * (size_t) u.nparts);
	path = sage_s3_key_path(c, a, key, err);
	if (u.parts == NULL || path == NULL)
	{
		if (u.parts == NULL)
			sage_error_memory(err, NULL);
		sage_arena_free(a);
		return -1;
	}
	for (i = 0; i < u.nparts; i++)
	{
		u.parts[i].number = i + 1;
		u.parts[i].data = body + (size_t) i * psize;
		u.parts[i].len = (size_t) i == (size_t) u.nparts - 1 ? len - (size_t) i * psize : psize;
		if (sage_crypto_md5(u.parts[i].data, u.parts[i].len, u.parts[i].md5, err) < 0)
		{
			sage_arena_free(a);
			return -1;
		}
	}
	if (o->content_type != NULL)
		h[nh++] = (SageHttpHeader)
	{
		"Content-Type", o->content_type
	};
	if (gzipped)
		h[nh++] = (SageHttpHeader)
	{
		"Content-Encoding", "gzip"
	};
	nh = s3x_sse_headers(o, h, nh);
	status = sage_s3_call(c, a, "POST", "S3 CreateMultipartUpload", key, &up, 1, h, nh,
						  "", 0, &resp, err);
	if (status >= 0 && status != 200)
		sage_s3_fail(c, a, "start the upload of", key, &resp, err);
	else if (status == 200 &&
			 sage_s3_xml_fields(a, resp.body, resp.body_len, names, &upload_id, 1,
								&root, err) == 0 &&
			 (upload_id == NULL || upload_id[0] == '\0'))
		sage_error_set(err, SAGE_AWS_ERR_SERVICE,
					   "S3 did not answer an upload id for \"s3://%s/%s\"", c->bucket, key);
	if (status != 200 || upload_id == NULL || upload_id[0] == '\0')
	{
		sage_arena_free(a);
		return -1;
	}
	/* from here on, every failure aborts the upload */
	if (s3x_check_sse(c, key, o, &resp, err) == 0 &&
		sage_aws_credentials_get(c->credentials, a, time(NULL), &creds, err) == 0 &&
		(m = sage_http_multi_new(&c->http_opts, o->parallel, err)) != NULL &&
		s3x_upload_parts(&u, m, o, path, upload_id, &creds, err) == 0)
	{
		rc = 0;
		for (i = 0; i < u.nparts && rc == 0; i++)
		{
			char		want[40];
			char		got[96];

			sage_crypto_hex(u.parts[i].md5, 16, want);
			s3x_unquote(u.parts[i].etag, got);
			if (o->checksum != SAGE_S3_CHECKSUM_NONE && o->sse != SAGE_S3_SSE_KMS &&
				strcmp(want, got) != 0)
			{
				char		what[48];

				snprintf(what, sizeof(what), "the ETag of part %d", i + 1);
				rc = s3x_mismatch(c, key, what, want, got, err);
			}
		}
		if (rc == 0)
			rc = s3x_complete(&u, o, upload_id, res, err);
	}
	/* aborts parts still running (after a failure), without callbacks */
	sage_http_multi_free(m);
	if (rc != 0)
		s3x_abort(c, key, upload_id);
	if (res != NULL)
		res->parts = u.nparts;
	if (creds.secret_access_key != NULL)
		sage_crypto_cleanse((void *) creds.secret_access_key,
							strlen(creds.secret_access_key));
	sage_arena_free(a);
	return rc;
}

/* --------------------------------------------------------------- entries */

int
sage_s3_put_ex(SageS3Client *c, const char *key, const void *data, size_t len,
			   const SageS3PutOptions *opts, SageS3PutResult *result,
			   SageError *err)
{
	SageS3PutOptions o;
	char	   *packed = NULL;
	const char *body = data != NULL ? data : "";
	size_t		blen = len;
	bool		gzipped = false;
	int			rc;

	s3x_defaults(opts, &o);
	if (result != NULL)
		memset(result, 0, sizeof(*result));
	if (o.sse == SAGE_S3_SSE_KMS && o.kms_key_id != NULL &&
		strpbrk(o.kms_key_id, "\r\n") != NULL)
		return sage_error_set(err, SAGE_ERR_ARGUMENT, "invalid KMS key id");
	if (o.gzip && len >= o.gzip_min)
	{
		if (s3x_gzip(body, len, &packed, &blen, err) < 0)
			return -1;
		body = packed;
		gzipped = true;
	}
	if (blen > o.multipart_threshold)
		rc = s3x_put_multipart(c, key, body, blen, &o, gzipped, result, err);
	else
		rc = s3x_put_single(c, key, body, blen, &o, gzipped, result, err);
	if (result != NULL)
	{
		result->gzipped = gzipped;
		result->stored_len = blen;
	}
	free(packed);
	return rc;
}

int
sage_s3_copy(SageS3Client *c, const char *src_bucket, const char *src_key,
			 const char *dst_key, const SageS3PutOptions *opts,
			 SageS3PutResult *result, SageError *err)
{
	SageS3PutOptions o;
	SageArena  *a;
	SageHttpHeader h[6];
	int			nh = 0;
	const char *bucket = src_bucket != NULL ? src_bucket : c->bucket;
	char	   *enc;
	char	   *source;
	SageHttpResponse resp;
	long		status;
	static const char *const names[] = {"ETag", "Code"};
	char	   *vals[2];
	char	   *root;
	int			rc;

	s3x_defaults(opts, &o);
	if (result != NULL)
		memset(result, 0, sizeof(*result));
	if (src_key == NULL || src_key[0] == '\0' || strlen(src_key) > S3_MAX_KEY ||
		bucket[0] == '\0' || strpbrk(bucket, "/?#% \r\n") != NULL)
		return sage_error_set(err, SAGE_ERR_ARGUMENT, "invalid S3 copy source");
	a = sage_arena_new(NULL);
	if (a == NULL)
		return sage_error_memory(err, NULL);
	enc = sage_sigv4_uri_encode(a, src_key, strlen(src_key), true);
	source = enc != NULL ? sage_printf(a, "/%s/%s", bucket, enc) : NULL;
	if (source == NULL)
	{
		sage_arena_free(a);
		return sage_error_memory(err, NULL);
	}
	h[nh++] = (SageHttpHeader)
	{
		"x-amz-copy-source", source
	};
	if (o.content_type != NULL)
	{
		h[nh++] = (SageHttpHeader)
		{
			"x-amz-metadata-directive", "REPLACE"
		};
		h[nh++] = (SageHttpHeader)
		{
			"Content-Type", o.content_type
		};
	}
	nh = s3x_sse_headers(&o, h, nh);
	status = sage_s3_call(c, a, "PUT", "S3 CopyObject", dst_key, NULL, 0, h, nh,
						  "", 0, &resp, err);
	if (status < 0)
		rc = -1;
	else if (status == 404 &&
			 (root = sage_aws_error_code(a, resp.body, resp.body_len)) != NULL &&
			 strcmp(root, "NoSuchKey") == 0)
		rc = 1;
	else if (status != 200)
		rc = sage_s3_fail(c, a, "copy to", dst_key, &resp, err);
	else if (sage_s3_xml_fields(a, resp.body, resp.body_len, names, vals, 2, &root, err) < 0)
		rc = -1;
	else if (strcmp(root, "Error") == 0)
		rc = sage_s3_fail(c, a, "copy to", dst_key, &resp, err);
	else
	{
		if (result != NULL)
			snprintf(result->etag, sizeof(result->etag), "%s",
					 vals[0] != NULL ? vals[0] : "");
		rc = s3x_check_sse(c, dst_key, &o, &resp, err);
	}
	sage_arena_free(a);
	return rc;
}
