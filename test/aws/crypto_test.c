/*-------------------------------------------------------------------------
 *
 * test/aws/crypto_test.c
 *		Tests of src/aws/crypto.c: SHA-256 and HMAC-SHA256 against
 *		published vectors (FIPS 180-2 examples, RFC 4231), incremental
 *		hashing, hex, and OpenSSL failures reported with OpenSSL's reason.
 *
 * OpenSSL failures are real, not simulated: with the default properties
 * set to "fips=yes" and no FIPS provider loaded, every fetch fails.
 *
 *-------------------------------------------------------------------------
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "sage/aws.h"

static void
test_sha256_vectors(void **state)
{
	char		hex[SAGE_SHA256_HEX_LEN + 1];
	SageError	err;
	char	   *million = malloc(1000000);

	assert_int_equal(sage_crypto_sha256_hex("", 0, hex, &err), 0);
	assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	assert_int_equal(sage_crypto_sha256_hex(NULL, 0, hex, &err), 0);
	assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	assert_int_equal(sage_crypto_sha256_hex("abc", 3, hex, &err), 0);
	assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	memset(million, 'a', 1000000);
	assert_int_equal(sage_crypto_sha256_hex(million, 1000000, hex, &err), 0);
	assert_string_equal(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	free(million);
}

/* Feeding the message in pieces gives the one-shot digest. */
static void
test_sha256_incremental(void **state)
{
	static const char msg[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	uint8_t		d[SAGE_SHA256_LEN];
	char		hex[SAGE_SHA256_HEX_LEN + 1];
	SageError	err;
	SageSha256 *s = sage_crypto_sha256_new(&err);

	assert_non_null(s);
	for (size_t i = 0; i < strlen(msg); i += 5)
		assert_int_equal(sage_crypto_sha256_update(s, msg + i,
												   strlen(msg) - i < 5 ? strlen(msg) - i : 5,
												   &err), 0);
	assert_int_equal(sage_crypto_sha256_update(s, NULL, 0, &err), 0);
	assert_int_equal(sage_crypto_sha256_final(s, d, &err), 0);
	sage_crypto_hex(d, sizeof(d), hex);
	assert_string_equal(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	sage_crypto_sha256_free(s);
	sage_crypto_sha256_free(NULL);
}

/* RFC 4231 test cases 1, 2 and 6 (a key longer than the block). */
static void
test_hmac_vectors(void **state)
{
	uint8_t		key1[20];
	uint8_t		key6[131];
	uint8_t		mac[SAGE_SHA256_LEN];
	char		hex[SAGE_SHA256_HEX_LEN + 1];
	SageError	err;

	memset(key1, 0x0b, sizeof(key1));
	assert_int_equal(sage_crypto_hmac_sha256(key1, 20, "Hi There", 8, mac, &err), 0);
	sage_crypto_hex(mac, sizeof(mac), hex);
	assert_string_equal(hex, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
	assert_int_equal(sage_crypto_hmac_sha256("Jefe", 4, "what do ya want for nothing?",
											 28, mac, &err), 0);
	sage_crypto_hex(mac, sizeof(mac), hex);
	assert_string_equal(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
	memset(key6, 0xaa, sizeof(key6));
	assert_int_equal(sage_crypto_hmac_sha256(key6, sizeof(key6),
											 "Test Using Larger Than Block-Size Key - Hash Key First",
											 54, mac, &err), 0);
	sage_crypto_hex(mac, sizeof(mac), hex);
	assert_string_equal(hex, "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
	/* an empty key and message are valid */
	assert_int_equal(sage_crypto_hmac_sha256(NULL, 0, NULL, 0, mac, &err), 0);
	sage_crypto_hex(mac, sizeof(mac), hex);
	assert_string_equal(hex, "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
}

static void
test_hex_and_cleanse(void **state)
{
	uint8_t		bytes[] = {0x00, 0x0f, 0xa5, 0xff};
	char		hex[9];
	char		secret[] = "secret";

	sage_crypto_hex(bytes, 4, hex);
	assert_string_equal(hex, "000fa5ff");
	sage_crypto_hex(bytes, 0, hex);
	assert_string_equal(hex, "");
	sage_crypto_cleanse(secret, 6);
	assert_memory_equal(secret, "\0\0\0\0\0\0", 6);
	sage_crypto_cleanse(NULL, 10);
}

/* Every primitive reports OpenSSL's own reason, and leaves no queue behind. */
static void
test_openssl_failures(void **state)
{
	uint8_t		d[SAGE_SHA256_LEN];
	char		hex[SAGE_SHA256_HEX_LEN + 1];
	SageError	err;
	SageSha256 *s;

	assert_int_equal(EVP_set_default_properties(NULL, "fips=yes"), 1);
	assert_int_equal(sage_crypto_sha256("abc", 3, d, &err), -1);
	assert_int_equal(err.code, SAGE_ERR_INTERNAL);
	assert_string_equal(err.message, "could not compute SHA-256: unsupported");
	assert_true(strncmp(err.detail, "OpenSSL reported: ", 18) == 0);
	assert_non_null(strstr(err.detail, "Algorithm (SHA256"));
	assert_int_equal(sage_crypto_sha256_hex("abc", 3, hex, &err), -1);
	assert_string_equal(err.message, "could not compute SHA-256: unsupported");
	assert_int_equal(sage_crypto_hmac_sha256("k", 1, "m", 1, d, &err), -1);
	assert_string_equal(err.message, "could not compute HMAC-SHA256: unsupported");
	assert_null(sage_crypto_sha256_new(&err));
	assert_string_equal(err.message, "could not compute SHA-256: unsupported");
	assert_int_equal(EVP_set_default_properties(NULL, ""), 1);

	/* and everything works again afterwards */
	s = sage_crypto_sha256_new(&err);
	assert_non_null(s);
	assert_int_equal(sage_crypto_sha256_final(s, d, &err), 0);
	sage_crypto_hex(d, sizeof(d), hex);
	assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	sage_crypto_sha256_free(s);
}

/* MD5 (RFC 1321 test suite) and base64 (RFC 4648 section 10). */
static void
test_md5_and_base64(void **state)
{
	static const char *const in[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
	static const char *const b64[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
	uint8_t		d[16];
	char		hex[33];
	char		out[64];
	SageError	err;
	size_t		i;

	for (i = 0; i < 7; i++)
	{
		sage_crypto_base64((const uint8_t *) in[i], strlen(in[i]), out);
		assert_string_equal(out, b64[i]);
	}
	assert_int_equal(sage_crypto_md5("", 0, d, &err), 0);
	sage_crypto_hex(d, 16, hex);
	assert_string_equal(hex, "d41d8cd98f00b204e9800998ecf8427e");
	assert_int_equal(sage_crypto_md5("abc", 3, d, &err), 0);
	sage_crypto_hex(d, 16, hex);
	assert_string_equal(hex, "900150983cd24fb0d6963f7d28e17f72");
	sage_crypto_base64(d, 16, out);
	assert_string_equal(out, "kAFQmDzST7DWlj99KOF/cg==");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sha256_vectors),
		cmocka_unit_test(test_sha256_incremental),
		cmocka_unit_test(test_hmac_vectors),
		cmocka_unit_test(test_hex_and_cleanse),
		cmocka_unit_test(test_openssl_failures),
		cmocka_unit_test(test_md5_and_base64),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
