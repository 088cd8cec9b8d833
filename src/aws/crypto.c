/*-------------------------------------------------------------------------
 *
 * src/aws/crypto.c
 *		SHA-256, HMAC-SHA256, hex encoding, and MD5 and base64 for S3's
 *		Content-MD5 and ETags, over OpenSSL's EVP interface.
 *
 * These are the only primitives SigV4 needs. Everything goes through the
 * OpenSSL 3 fetch-based APIs (EVP_MD_fetch, EVP_Q_mac), never through the
 * deprecated SHA256_* or HMAC_CTX_* functions, so the algorithms honour
 * OpenSSL's default properties: a process that sets "fips=yes" gets FIPS
 * implementations or a clear error, never a silent fallback.
 *
 * Every OpenSSL failure goes through crypto_error(), which drains OpenSSL's
 * thread-local error queue and appends its reason to our message (this is
 * pgBackRest's cryptoError idea); a queue left behind would otherwise be
 * blamed on the next, unrelated OpenSSL call (a TLS handshake in libcurl).
 *
 *-------------------------------------------------------------------------
 */
#include "sage/aws.h"

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>

/* An incremental SHA-256: the digest context and the fetched algorithm. */
struct SageSha256
{
	EVP_MD_CTX *ctx;			/* OpenSSL digest state */
	EVP_MD	   *md;				/* fetched SHA-256 implementation */
};

/*
 * crypto_error
 *		Reports a failed OpenSSL operation: "could not <what>: <reason>",
 *		with OpenSSL's extra data (algorithm, properties) as the detail.
 *
 * Only the first queued error is reported, as it is the root cause; the
 * rest of the queue is cleared. Always returns -1.
 */
static int
crypto_error(SageError *err, const char *what)
{
	const char *data = NULL;
	int			flags = 0;
	unsigned long code = ERR_get_error_all(NULL, NULL, NULL, &data, &flags);
	const char *reason = code != 0 ? ERR_reason_error_string(code) : NULL;

	sage_error_set(err, SAGE_ERR_INTERNAL, "could not %s: %s", what,
				   reason != NULL ? reason : "unknown OpenSSL error");
	if (data != NULL && (flags & ERR_TXT_STRING) != 0 && data[0] != '\0')
		sage_error_detail(err, "OpenSSL reported: %s.", data);
	ERR_clear_error();
	return -1;
}

/*
 * crypto_fetch_sha256
 *		Fetches the SHA-256 implementation under the default properties.
 */
static EVP_MD *
crypto_fetch_sha256(SageError *err)
{
	EVP_MD	   *md = EVP_MD_fetch(NULL, "SHA256", NULL);

	if (md == NULL)
		crypto_error(err, "compute SHA-256");
	return md;
}

SageSha256 *
sage_crypto_sha256_new(SageError *err)
{
	SageSha256 *s = OPENSSL_zalloc(sizeof(SageSha256));

	if (s == NULL)
	{
		crypto_error(err, "allocate a SHA-256 context");
		return NULL;
	}
	s->md = crypto_fetch_sha256(err);
	if (s->md == NULL)
	{
		sage_crypto_sha256_free(s);
		return NULL;
	}
	s->ctx = EVP_MD_CTX_new();
	if (s->ctx == NULL || EVP_DigestInit_ex2(s->ctx, s->md, NULL) != 1)
	{
		crypto_error(err, "compute SHA-256");
		sage_crypto_sha256_free(s);
		return NULL;
	}
	return s;
}

void
sage_crypto_sha256_free(SageSha256 *s)
{
	if (s == NULL)
		return;
	EVP_MD_CTX_free(s->ctx);
	EVP_MD_free(s->md);
	OPENSSL_free(s);
}

int
sage_crypto_sha256_update(SageSha256 *s, const void *data, size_t len,
						  SageError *err)
{
	if (len > 0 && EVP_DigestUpdate(s->ctx, data, len) != 1)
		return crypto_error(err, "compute SHA-256");
	return 0;
}

int
sage_crypto_sha256_final(SageSha256 *s, uint8_t *out, SageError *err)
{
	unsigned int outlen = 0;

	if (EVP_DigestFinal_ex(s->ctx, out, &outlen) != 1)
		return crypto_error(err, "compute SHA-256");
	return 0;
}

int
sage_crypto_sha256(const void *data, size_t len, uint8_t *out, SageError *err)
{
	EVP_MD	   *md = crypto_fetch_sha256(err);
	int			ok;

	if (md == NULL)
		return -1;
	/* EVP_Digest wants a non-NULL pointer even for an empty message */
	ok = EVP_Digest(len > 0 ? data : "", len, out, NULL, md, NULL);
	EVP_MD_free(md);
	if (ok != 1)
		return crypto_error(err, "compute SHA-256");
	return 0;
}

int
sage_crypto_sha256_hex(const void *data, size_t len, char *out,
					   SageError *err)
{
	uint8_t		digest[SAGE_SHA256_LEN];

	if (sage_crypto_sha256(data, len, digest, err) < 0)
		return -1;
	sage_crypto_hex(digest, sizeof(digest), out);
	return 0;
}

int
sage_crypto_hmac_sha256(const void *key, size_t keylen, const void *data,
						size_t len, uint8_t *out, SageError *err)
{
	size_t		outlen = 0;

	/*
	 * EVP_Q_mac fetches HMAC and SHA-256 under the default properties and
	 * frees everything it fetched before returning.
	 */
	if (EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL,
				  keylen > 0 ? key : "", keylen,
				  len > 0 ? data : "", len,
				  out, SAGE_SHA256_LEN, &outlen) == NULL)
		return crypto_error(err, "compute HMAC-SHA256");
	return 0;
}

void
sage_crypto_hex(const uint8_t *bytes, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t		i;

	for (i = 0; i < len; i++)
	{
		out[2 * i] = digits[bytes[i] >> 4];
		out[2 * i + 1] = digits[bytes[i] & 0x0f];
	}
	out[2 * len] = '\0';
}

void
sage_crypto_cleanse(void *ptr, size_t len)
{
	if (ptr != NULL && len > 0)
		OPENSSL_cleanse(ptr, len);
}

int
sage_crypto_md5(const void *data, size_t len, uint8_t *out, SageError *err)
{
	/* fetched, not EVP_md5(): a FIPS provider refuses it with a clear error */
	EVP_MD	   *md = EVP_MD_fetch(NULL, "MD5", NULL);
	int			ok;

	if (md == NULL)
		return crypto_error(err, "compute MD5");
	ok = EVP_Digest(len > 0 ? data : "", len, out, NULL, md, NULL);
	EVP_MD_free(md);
	if (ok != 1)
		return crypto_error(err, "compute MD5");
	return 0;
}

void
sage_crypto_base64(const uint8_t *bytes, size_t len, char *out)
{
	static const char digits[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t		i;
	char	   *o = out;

	for (i = 0; i + 2 < len; i += 3)
	{
		uint32_t	v = (uint32_t) bytes[i] << 16 | (uint32_t) bytes[i + 1] << 8 | bytes[i + 2];

		*o++ = digits[v >> 18];
		*o++ = digits[(v >> 12) & 63];
		*o++ = digits[(v >> 6) & 63];
		*o++ = digits[v & 63];
	}
	if (i < len)
	{
		uint32_t	v = (uint32_t) bytes[i] << 16 |
			(i + 1 < len ? (uint32_t) bytes[i + 1] << 8 : 0);

		*o++ = digits[v >> 18];
		*o++ = digits[(v >> 12) & 63];
		*o++ = i + 1 < len ? digits[(v >> 6) & 63] : '=';
		*o++ = '=';
	}
	*o = '\0';
}
