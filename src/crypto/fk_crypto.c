/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fk_crypto.h over OpenSSL 3 libcrypto: every primitive is OpenSSL's, this
 * file only fetches algorithms once, converts SGX's little-endian encodings
 * and enforces the contract (validated inputs, zeroed outputs on error,
 * wiped temporaries).
 */

/* Hide every deprecated OpenSSL API, so using one fails to compile. */
#define OPENSSL_API_COMPAT 30000
#define OPENSSL_NO_DEPRECATED

#include "crypto/fk_crypto.h"

#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>
#include <openssl/params.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

struct fk_rsa_key {
	EVP_PKEY *pkey;
};

/* ---- algorithms, fetched once per process ---- */

/* OSSL_PARAM string constructors take char *, hence writable arrays. */
static char g_cbc_name[] = "AES-128-CBC";

static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static bool g_ready;
static EVP_MAC *g_cmac;
static EVP_CIPHER *g_aes128_cbc;
static EVP_MAC_CTX *g_cmac_template; /* CMAC over AES-128-CBC, copied per call */
static EVP_CIPHER *g_aes128_gcm;
static EVP_MD *g_sha256;
static EC_GROUP *g_p256;
static uint8_t g_p256_p[32]; /* field prime, big-endian */
static uint8_t g_p256_n[32]; /* group order, big-endian */

static void crypto_init(void)
{
	/* A public key: only there so the template can be copied (below). */
	static const uint8_t zero_key[FK_AES128_KEY_SIZE];
	OSSL_PARAM params[2];

	g_cmac = EVP_MAC_fetch(NULL, "CMAC", NULL);
	g_aes128_cbc = EVP_CIPHER_fetch(NULL, g_cbc_name, NULL);
	g_aes128_gcm = EVP_CIPHER_fetch(NULL, "AES-128-GCM", NULL);
	g_sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
	g_p256 = EC_GROUP_new_by_curve_name_ex(NULL, NULL, NID_X9_62_prime256v1);
	if (g_cmac == NULL || g_aes128_cbc == NULL || g_aes128_gcm == NULL || g_sha256 == NULL ||
	    g_p256 == NULL)
		goto fail;

	/*
	 * Setting CMAC's cipher makes the provider fetch it by name, so that is
	 * done once here; each call copies this context and re-keys the copy.
	 * OpenSSL refuses to copy a CMAC context that has no key yet, hence the
	 * all-zero key.
	 */
	g_cmac_template = EVP_MAC_CTX_new(g_cmac);
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_CIPHER, g_cbc_name, 0);
	params[1] = OSSL_PARAM_construct_end();
	if (g_cmac_template == NULL ||
	    EVP_MAC_init(g_cmac_template, zero_key, sizeof(zero_key), params) != 1)
		goto fail;

	/* The P-256 range checks below compare big-endian bytes against these. */
	if (BN_bn2binpad(EC_GROUP_get0_field(g_p256), g_p256_p, 32) != 32 ||
	    BN_bn2binpad(EC_GROUP_get0_order(g_p256), g_p256_n, 32) != 32)
		goto fail;

	g_ready = true;
	return;
fail:
	EVP_MAC_CTX_free(g_cmac_template);
	EVP_MAC_free(g_cmac);
	EVP_CIPHER_free(g_aes128_cbc);
	EVP_CIPHER_free(g_aes128_gcm);
	EVP_MD_free(g_sha256);
	EC_GROUP_free(g_p256);
	g_cmac_template = NULL;
	g_cmac = NULL;
	g_aes128_cbc = g_aes128_gcm = NULL;
	g_sha256 = NULL;
	g_p256 = NULL;
}

/* The objects above are never freed: they live as long as the process. */
static bool crypto_ready(void)
{
	return pthread_once(&g_once, crypto_init) == 0 && g_ready;
}

/* ---- small utilities ---- */

void fk_wipe(void *p, size_t n)
{
	if (p != NULL && n > 0)
		OPENSSL_cleanse(p, n);
}

void fk_wipe_free(void *p, size_t n)
{
	if (p == NULL)
		return;
	fk_wipe(p, n);
	free(p);
}

bool fk_ct_equal(const void *a, const void *b, size_t n)
{
	if (n == 0)
		return true;
	if (a == NULL || b == NULL)
		return false;
	return CRYPTO_memcmp(a, b, n) == 0;
}

void fk_reverse(uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n / 2; i++) {
		uint8_t t = p[i];
		p[i] = p[n - 1 - i];
		p[n - 1 - i] = t;
	}
}

/*
 * A length OpenSSL takes as int that is out of range leaves the output
 * untouched: the rejected length is all we would know of the buffer's size.
 */
fusekey_status fk_random(void *out, size_t n)
{
	if (n == 0)
		return FUSEKEY_OK;
	if (out == NULL || n > INT_MAX)
		return FUSEKEY_ERR_INVALID_PARAMETER;
	if (RAND_bytes(out, (int)n) != 1) {
		fk_wipe(out, n);
		return FUSEKEY_ERR_CRYPTO;
	}
	return FUSEKEY_OK;
}

/* ---- AES-128-CMAC ---- */

fusekey_status fk_cmac128_parts(const uint8_t key[FK_AES128_KEY_SIZE], const struct fk_buf *parts,
				size_t nparts, uint8_t mac[FK_CMAC_SIZE])
{
	fusekey_status st = FUSEKEY_ERR_CRYPTO;
	EVP_MAC_CTX *ctx = NULL;
	size_t outl = 0;

	if (mac == NULL)
		return FUSEKEY_ERR_INVALID_PARAMETER;
	if (key == NULL || (parts == NULL && nparts > 0)) {
		st = FUSEKEY_ERR_INVALID_PARAMETER;
		goto out;
	}
	for (size_t i = 0; i < nparts; i++) {
		if (parts[i].p == NULL && parts[i].n > 0) {
			st = FUSEKEY_ERR_INVALID_PARAMETER;
			goto out;
		}
	}
	if (!crypto_ready())
		goto out;
	ctx = EVP_MAC_CTX_dup(g_cmac_template);
	if (ctx == NULL || EVP_MAC_init(ctx, key, FK_AES128_KEY_SIZE, NULL) != 1)
		goto out;
	for (size_t i = 0; i < nparts; i++) {
		if (parts[i].n > 0 && EVP_MAC_update(ctx, parts[i].p, parts[i].n) != 1)
			goto out;
	}
	if (EVP_MAC_final(ctx, mac, &outl, FK_CMAC_SIZE) != 1 || outl != FK_CMAC_SIZE)
		goto out;
	st = FUSEKEY_OK;
out:
	EVP_MAC_CTX_free(ctx); /* cleanses the subkeys and the key schedule */
	if (st != FUSEKEY_OK)
		fk_wipe(mac, FK_CMAC_SIZE);
	return st;
}

fusekey_status fk_cmac128(const uint8_t key[FK_AES128_KEY_SIZE], const void *msg, size_t len,
			  uint8_t mac[FK_CMAC_SIZE])
{
	struct fk_buf part = {msg, len};
	return fk_cmac128_parts(key, &part, 1, mac);
}

/* ---- AES-128-GCM ---- */

fusekey_status fk_gcm128_encrypt(const uint8_t key[FK_AES128_KEY_SIZE],
				 const uint8_t iv[FK_GCM_IV_SIZE], const uint8_t *aad,
				 size_t aad_len, const uint8_t *pt, size_t len, uint8_t *ct,
				 uint8_t tag[FK_GCM_TAG_SIZE])
{
	fusekey_status st = FUSEKEY_ERR_CRYPTO;
	EVP_CIPHER_CTX *ctx = NULL;
	uint8_t spill[FK_GCM_TAG_SIZE]; /* GCM's final step emits no bytes */
	OSSL_PARAM params[2];
	int outl = 0;

	if (tag == NULL)
		return FUSEKEY_ERR_INVALID_PARAMETER;
	if (key == NULL || iv == NULL || (aad == NULL && aad_len > 0) || aad_len > INT_MAX ||
	    len > INT_MAX || (len > 0 && (pt == NULL || ct == NULL))) {
		st = FUSEKEY_ERR_INVALID_PARAMETER;
		goto out;
	}
	if (!crypto_ready())
		goto out;
	ctx = EVP_CIPHER_CTX_new();
	if (ctx == NULL || EVP_EncryptInit_ex2(ctx, g_aes128_gcm, key, iv, NULL) != 1)
		goto out;
	if (aad_len > 0 && EVP_EncryptUpdate(ctx, NULL, &outl, aad, (int)aad_len) != 1)
		goto out;
	if (len > 0 &&
	    (EVP_EncryptUpdate(ctx, ct, &outl, pt, (int)len) != 1 || outl != (int)len))
		goto out;
	if (EVP_EncryptFinal_ex(ctx, spill, &outl) != 1 || outl != 0)
		goto out;
	params[0] = OSSL_PARAM_construct_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG, tag,
						      FK_GCM_TAG_SIZE);
	params[1] = OSSL_PARAM_construct_end();
	if (EVP_CIPHER_CTX_get_params(ctx, params) != 1)
		goto out;
	st = FUSEKEY_OK;
out:
	EVP_CIPHER_CTX_free(ctx); /* cleanses the key schedule */
	if (st != FUSEKEY_OK) {
		fk_wipe(tag, FK_GCM_TAG_SIZE);
		if (len <= INT_MAX)
			fk_wipe(ct, len);
	}
	return st;
}

fusekey_status fk_gcm128_decrypt(const uint8_t key[FK_AES128_KEY_SIZE],
				 const uint8_t iv[FK_GCM_IV_SIZE], const uint8_t *aad,
				 size_t aad_len, const uint8_t *ct, size_t len,
				 const uint8_t tag[FK_GCM_TAG_SIZE], uint8_t *pt)
{
	fusekey_status st = FUSEKEY_ERR_CRYPTO;
	EVP_CIPHER_CTX *ctx = NULL;
	uint8_t *tmp = NULL; /* unauthenticated plaintext lives here until the tag checks */
	uint8_t tag_copy[FK_GCM_TAG_SIZE]; /* OSSL_PARAM wants a writable buffer */
	uint8_t spill[FK_GCM_TAG_SIZE];
	OSSL_PARAM params[2];
	int outl = 0;

	if (key == NULL || iv == NULL || tag == NULL || (aad == NULL && aad_len > 0) ||
	    aad_len > INT_MAX || len > INT_MAX || (len > 0 && (ct == NULL || pt == NULL))) {
		st = FUSEKEY_ERR_INVALID_PARAMETER;
		goto out;
	}
	if (!crypto_ready())
		goto out;
	if (len > 0) {
		tmp = OPENSSL_malloc(len);
		if (tmp == NULL) {
			st = FUSEKEY_ERR_NO_MEMORY;
			goto out;
		}
	}
	ctx = EVP_CIPHER_CTX_new();
	if (ctx == NULL || EVP_DecryptInit_ex2(ctx, g_aes128_gcm, key, iv, NULL) != 1)
		goto out;
	if (aad_len > 0 && EVP_DecryptUpdate(ctx, NULL, &outl, aad, (int)aad_len) != 1)
		goto out;
	if (len > 0 &&
	    (EVP_DecryptUpdate(ctx, tmp, &outl, ct, (int)len) != 1 || outl != (int)len))
		goto out;
	memcpy(tag_copy, tag, FK_GCM_TAG_SIZE);
	params[0] = OSSL_PARAM_construct_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG, tag_copy,
						      FK_GCM_TAG_SIZE);
	params[1] = OSSL_PARAM_construct_end();
	if (EVP_CIPHER_CTX_set_params(ctx, params) != 1)
		goto out;
	if (EVP_DecryptFinal_ex(ctx, spill, &outl) != 1) {
		st = FUSEKEY_ERR_MAC_MISMATCH;
		goto out;
	}
	if (len > 0)
		memcpy(pt, tmp, len); /* pt may alias ct: ct is no longer needed */
	st = FUSEKEY_OK;
out:
	EVP_CIPHER_CTX_free(ctx);
	OPENSSL_clear_free(tmp, len);
	if (st != FUSEKEY_OK && len <= INT_MAX)
		fk_wipe(pt, len);
	return st;
}

/* ---- SHA-256 ---- */

fusekey_status fk_sha256(const void *msg, size_t len, uint8_t out[FK_SHA256_SIZE])
{
	const struct fk_buf part = {msg, len};

	return fk_sha256_parts(&part, 1, out);
}

fusekey_status fk_sha256_parts(const struct fk_buf *parts, size_t nparts,
			       uint8_t out[FK_SHA256_SIZE])
{
	fusekey_status st = FUSEKEY_ERR_CRYPTO;
	EVP_MD_CTX *ctx = NULL;
	unsigned int outl = 0;

	if (out == NULL)
		return FUSEKEY_ERR_INVALID_PARAMETER;
	if (parts == NULL && nparts > 0) {
		st = FUSEKEY_ERR_INVALID_PARAMETER;
		goto out;
	}
	for (size_t i = 0; i < nparts; i++) {
		if (parts[i].p == NULL && parts[i].n > 0) {
			st = FUSEKEY_ERR_INVALID_PARAMETER;
			goto out;
		}
	}
	if (!crypto_ready())
		goto out;
	ctx = EVP_MD_CTX_new();
	if (ctx == NULL || EVP_DigestInit_ex2(ctx, g_sha256, NULL) != 1)
		goto out;
	for (size_t i = 0; i < nparts; i++) {
		if (parts[i].n > 0 && EVP_DigestUpdate(ctx, parts[i].p, parts[i].n) != 1)
			goto out;
	}
	if (EVP_DigestFinal_ex(ctx, out, &outl) != 1 || outl != FK_SHA256_SIZE)
		goto out;
	st = FUSEKEY_OK;
out:
	EVP_MD_CTX_free(ctx); /* the state may have hashed secrets: OpenSSL cleanses it */
	if (st != FUSEKEY_OK)
		fk_wipe(out, FK_SHA256_SIZE);
	return st;
}

/* ---- P-256 ---- */

/*
 * 1 <= d < n for a big-endian scalar, without branching on its bytes: the
 * borrow out of d - n is 1 exactly when d < n.
 */
static bool p256_scalar_ok(const uint8_t d_be[32])
{
	unsigned borrow = 0, any = 0;

	for (size_t i = 32; i-- > 0;) {
		unsigned diff = (unsigned)d_be[i] - g_p256_n[i] - borrow;
		borrow = (diff >> 8) & 1u;
		any |= d_be[i];
	}
	return (borrow & (unsigned)(any != 0)) != 0;
}

/*
 * A peer point given as big-endian x||y, into q: each coordinate < p (checked
 * on the bytes: EC_POINT_set_affine_coordinates would reduce x + p to x
 * silently), on the curve, not infinity. P-256 has cofactor 1, so every such
 * point has prime order n: no small-subgroup check is needed.
 */
static fusekey_status p256_point_from_be(const uint8_t xy_be[64], EC_POINT *q, BN_CTX *bn)
{
	fusekey_status st = FUSEKEY_ERR_NO_MEMORY;
	BIGNUM *x = NULL, *y = NULL;

	if (memcmp(xy_be, g_p256_p, 32) >= 0 || memcmp(xy_be + 32, g_p256_p, 32) >= 0)
		return FUSEKEY_ERR_INVALID_PARAMETER;
	x = BN_bin2bn(xy_be, 32, NULL);
	y = BN_bin2bn(xy_be + 32, 32, NULL);
	if (x == NULL || y == NULL)
		goto out;
	/* set_affine_coordinates already refuses off-curve points; be explicit anyway. */
	st = FUSEKEY_ERR_INVALID_PARAMETER;
	if (EC_POINT_set_affine_coordinates(g_p256, q, x, y, bn) != 1 ||
	    EC_POINT_is_on_curve(g_p256, q, bn) != 1 || EC_POINT_is_at_infinity(g_p256, q))
		goto out;
	st = FUSEKEY_OK;
out:
	BN_free(x);
	BN_free(y);
	return st;
}

/*
 * pub = d*G in SGX encoding, on the group fetched once (building an EVP_PKEY
 * per call re-creates the curve and costs 3x the multiplication itself).
 * d carries BN_FLG_CONSTTIME; OpenSSL's fixed-base multiplication is
 * constant time.
 */
static fusekey_status p256_base_mul(const BIGNUM *d, uint8_t pub[FK_P256_PUB_SIZE], BN_CTX *bn)
{
	fusekey_status st = FUSEKEY_ERR_NO_MEMORY;
	EC_POINT *q = EC_POINT_new(g_p256);
	BIGNUM *x = BN_new(), *y = BN_new();

	if (q == NULL || x == NULL || y == NULL)
		goto out;
	st = FUSEKEY_ERR_CRYPTO;
	if (EC_POINT_mul(g_p256, q, d, NULL, NULL, bn) != 1 ||
	    EC_POINT_get_affine_coordinates(g_p256, q, x, y, bn) != 1 ||
	    BN_bn2lebinpad(x, pub, 32) != 32 || BN_bn2lebinpad(y, pub + 32, 32) != 32)
		goto out;
	st = FUSEKEY_OK;
out:
	EC_POINT_free(q);
	BN_free(x);
	BN_free(y);
	return st;
}

fusekey_status fk_p256_keygen(uint8_t priv[FK_P256_PRIV_SIZE], uint8_t pub[FK_P256_PUB_SIZE])
{
	fusekey_status st = FUSEKEY_ERR_CRYPTO;
	BN_CTX *bn = NULL;
	BIGNUM *d = NULL;

	if (priv == NULL || pub == NULL) {
		st = FUSEKEY_ERR_INVALID_PARAMETER;
		goto out;
	}
	if (!crypto_ready())
		goto out;
	bn = BN_CTX_secure_new();
	d = BN_secure_new();
	if (bn == NULL || d == NULL) {
		st = FUSEKEY_ERR_NO_MEMORY;
		goto out;
	}
	/* d uniform in [1, n-1], from OpenSSL's private DRBG (as its own EC keygen does). */
	do {
		if (BN_priv_rand_range_ex(d, EC_GROUP_get0_order(g_p256), 0, bn) != 1)
			goto out;
	} while (BN_is_zero(d));
	BN_set_flags(d, BN_FLG_CONSTTIME);
	st = p256_base_mul(d, pub, bn);
	if (st != FUSEKEY_OK)
		goto out;
	st = FUSEKEY_ERR_CRYPTO;
	if (BN_bn2lebinpad(d, priv, FK_P256_PRIV_SIZE) != FK_P256_PRIV_SIZE)
		goto out;
	st = FUSEKEY_OK;
out:
	BN_clear_free(d);
	BN_CTX_free(bn);
	if (st != FUSEKEY_OK) {
		if (priv != NULL)
			fk_wipe(priv, FK_P256_PRIV_SIZE);
		if (pub != NULL)
			fk_wipe(pub, FK_P256_PUB_SIZE);
	}
	return st;
}

/* A little-endian private scalar with 1 <= d < n, as a constant-time secure BIGNUM. */
static fusekey_status p256_scalar_from_le(const uint8_t priv[FK_P256_PRIV_SIZE], BIGNUM **out)
{
	uint8_t d_be[FK_P256_PRIV_SIZE];
	fusekey_status st = FUSEKEY_ERR_INVALID_PARAMETER;
	BIGNUM *d = NULL;

	*out = NULL;
	memcpy(d_be, priv, sizeof(d_be));
	fk_reverse(d_be, sizeof(d_be));
	if (!p256_scalar_ok(d_be))
		goto out;
	st = FUSEKEY_ERR_NO_MEMORY;
	d = BN_secure_new();
	if (d == NULL || BN_bin2bn(d_be, sizeof(d_be), d) == NULL)
		goto out;
	BN_set_flags(d, BN_FLG_CONSTTIME);
	*out = d;
	d = NULL;
	st = FUSEKEY_OK;
out:
	fk_wipe(d_be, sizeof(d_be));
	BN_clear_free(d);
	return st;
}

fusekey_status fk_p256_public(const uint8_t priv[FK_P256_PRIV_SIZE],
			      uint8_t pub[FK_P256_PUB_SIZE])
{
	fusekey_status st = FUSEKEY_ERR_CRYPTO;
	BN_CTX *bn = NULL;
	BIGNUM *d = NULL;

	if (pub == NULL)
		return FUSEKEY_ERR_INVALID_PARAMETER;
	if (priv == NULL) {
		st = FUSEKEY_ERR_INVALID_PARAMETER;
		goto out;
	}
	if (!crypto_ready())
		goto out;
	st = p256_scalar_from_le(priv, &d);
	if (st != FUSEKEY_OK)
		goto out;
	bn = BN_CTX_secure_new();
	st = bn == NULL ? FUSEKEY_ERR_NO_MEMORY : p256_base_mul(d, pub, bn);
out:
	BN_clear_free(d);
	BN_CTX_free(bn);
	if (st != FUSEKEY_OK)
		fk_wipe(pub, FK_P256_PUB_SIZE);
	return st;
}

/*
 * ECDH as SP 800-56A's primitive and OpenSSL's own ecdh_simple_compute_key
 * do it: Z = x(d*Q) for a validated Q, with OpenSSL's constant-time
 * variable-base multiplication. Done on the cached group rather than through
 * EVP_PKEY_derive, which rebuilds both keys and the curve per call and checks
 * the peer a second time with a full n*Q multiplication (~3x the cost,
 * docs/bench.md); the checks themselves are the same.
 */
fusekey_status fk_p256_ecdh(const uint8_t priv[FK_P256_PRIV_SIZE],
			    const uint8_t peer_pub[FK_P256_PUB_SIZE],
			    uint8_t shared[FK_P256_SHARED_SIZE])
{
	fusekey_status st = FUSEKEY_ERR_CRYPTO;
	uint8_t xy_be[FK_P256_PUB_SIZE];
	BN_CTX *bn = NULL;
	BIGNUM *d = NULL, *x = NULL;
	EC_POINT *q = NULL, *r = NULL;

	if (shared == NULL)
		return FUSEKEY_ERR_INVALID_PARAMETER;
	if (priv == NULL || peer_pub == NULL) {
		st = FUSEKEY_ERR_INVALID_PARAMETER;
		goto out;
	}
	if (!crypto_ready())
		goto out;
	bn = BN_CTX_secure_new();
	q = EC_POINT_new(g_p256);
	r = EC_POINT_new(g_p256);
	x = BN_secure_new();
	if (bn == NULL || q == NULL || r == NULL || x == NULL) {
		st = FUSEKEY_ERR_NO_MEMORY;
		goto out;
	}
	memcpy(xy_be, peer_pub, 32);
	fk_reverse(xy_be, 32);
	memcpy(xy_be + 32, peer_pub + 32, 32);
	fk_reverse(xy_be + 32, 32);
	st = p256_point_from_be(xy_be, q, bn);
	if (st != FUSEKEY_OK)
		goto out;
	st = p256_scalar_from_le(priv, &d);
	if (st != FUSEKEY_OK)
		goto out;
	st = FUSEKEY_ERR_CRYPTO;
	/* With d in [1, n-1] and Q of prime order n, d*Q is never infinity. */
	if (EC_POINT_mul(g_p256, r, NULL, q, d, bn) != 1 || EC_POINT_is_at_infinity(g_p256, r) ||
	    EC_POINT_get_affine_coordinates(g_p256, r, x, NULL, bn) != 1 ||
	    BN_bn2lebinpad(x, shared, FK_P256_SHARED_SIZE) != FK_P256_SHARED_SIZE)
		goto out;
	st = FUSEKEY_OK;
out:
	BN_clear_free(d);
	BN_clear_free(x);
	EC_POINT_clear_free(r);
	EC_POINT_free(q);
	BN_CTX_free(bn);
	if (st != FUSEKEY_OK)
		fk_wipe(shared, FK_P256_SHARED_SIZE);
	return st;
}

/* ---- RSA-3072, e = 3 ---- */

/* The only RSA keys fusekey handles: 3072-bit modulus, public exponent 3. */
static fusekey_status rsa_key_check(const EVP_PKEY *pkey)
{
	fusekey_status st = FUSEKEY_ERR_FORMAT;
	BIGNUM *e = NULL;

	if (pkey == NULL)
		return FUSEKEY_ERR_INVALID_PARAMETER;
	if (EVP_PKEY_is_a(pkey, "RSA") != 1 || EVP_PKEY_get_bits(pkey) != 3072)
		goto out;
	if (EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_E, &e) != 1 || !BN_is_word(e, 3))
		goto out;
	st = FUSEKEY_OK;
out:
	BN_free(e);
	return st;
}

/* Takes ownership of *pkey on success. */
static fusekey_status rsa_wrap(EVP_PKEY **pkey, struct fk_rsa_key **out)
{
	struct fk_rsa_key *key = malloc(sizeof(*key));

	if (key == NULL)
		return FUSEKEY_ERR_NO_MEMORY;
	key->pkey = *pkey;
	*pkey = NULL;
	*out = key;
	return FUSEKEY_OK;
}

void fk_rsa_free(struct fk_rsa_key *key)
{
	if (key == NULL)
		return;
	EVP_PKEY_free(key->pkey); /* OpenSSL clear-frees the private BIGNUMs */
	free(key);
}

fusekey_status fk_rsa3072_generate(struct fk_rsa_key **out)
{
	fusekey_status st = FUSEKEY_ERR_CRYPTO;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *pkey = NULL;
	BIGNUM *e = NULL;

	if (out == NULL)
		return FUSEKEY_ERR_INVALID_PARAMETER;
	*out = NULL;
	ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	e = BN_new();
	if (ctx == NULL || e == NULL) {
		st = FUSEKEY_ERR_NO_MEMORY;
		goto out;
	}
	if (BN_set_word(e, 3) != 1 || EVP_PKEY_keygen_init(ctx) != 1 ||
	    EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, 3072) <= 0 ||
	    EVP_PKEY_CTX_set1_rsa_keygen_pubexp(ctx, e) <= 0 || EVP_PKEY_generate(ctx, &pkey) != 1)
		goto out;
	st = rsa_key_check(pkey);
	if (st != FUSEKEY_OK) {
		st = FUSEKEY_ERR_CRYPTO; /* OpenSSL did not make what we asked for */
		goto out;
	}
	st = rsa_wrap(&pkey, out);
out:
	EVP_PKEY_free(pkey);
	EVP_PKEY_CTX_free(ctx);
	BN_free(e);
	return st;
}

fusekey_status fk_rsa_to_pem(const struct fk_rsa_key *key, uint8_t **pem, size_t *len)
{
	fusekey_status st;
	BIO *mem = NULL;
	char *data = NULL;
	long data_len;
	uint8_t *buf;

	if (pem == NULL || len == NULL)
		return FUSEKEY_ERR_INVALID_PARAMETER;
	*pem = NULL;
	*len = 0;
	if (key == NULL)
		return FUSEKEY_ERR_INVALID_PARAMETER;
	st = rsa_key_check(key->pkey);
	if (st != FUSEKEY_OK)
		return st;
	st = FUSEKEY_ERR_CRYPTO;
	/* Secure-heap BIO: its buffer is cleansed when freed. */
	mem = BIO_new(BIO_s_secmem());
	if (mem == NULL)
		goto out;
	/* OpenSSL 3 writes PKCS#8 PrivateKeyInfo ("BEGIN PRIVATE KEY"); no cipher. */
	if (PEM_write_bio_PrivateKey(mem, key->pkey, NULL, NULL, 0, NULL, NULL) != 1)
		goto out;
	data_len = BIO_get_mem_data(mem, &data);
	if (data_len <= 0 || data == NULL || (unsigned long)data_len > FK_PEM_MAX)
		goto out;
	buf = OPENSSL_malloc((size_t)data_len);
	if (buf == NULL) {
		st = FUSEKEY_ERR_NO_MEMORY;
		goto out;
	}
	memcpy(buf, data, (size_t)data_len);
	*pem = buf;
	*len = (size_t)data_len;
	st = FUSEKEY_OK;
out:
	BIO_free(mem);
	return st;
}

void fk_rsa_pem_free(uint8_t *pem, size_t len)
{
	OPENSSL_clear_free(pem, len); /* NULL is a no-op */
}

/* Encrypted PEM is not supported: refuse instead of prompting on a terminal. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

fusekey_status fk_rsa_from_pem(const uint8_t *pem, size_t len, struct fk_rsa_key **out)
{
	fusekey_status st;
	BIO *mem = NULL;
	EVP_PKEY *pkey = NULL;

	if (out == NULL)
		return FUSEKEY_ERR_INVALID_PARAMETER;
	*out = NULL;
	if (pem == NULL)
		return FUSEKEY_ERR_INVALID_PARAMETER;
	if (len == 0 || len > FK_PEM_MAX)
		return FUSEKEY_ERR_FORMAT;
	/* Read-only view of the caller's bytes: nothing is copied out of them here. */
	mem = BIO_new_mem_buf(pem, (int)len);
	if (mem == NULL)
		return FUSEKEY_ERR_NO_MEMORY;
	st = FUSEKEY_ERR_FORMAT;
	pkey = PEM_read_bio_PrivateKey(mem, NULL, no_passphrase, NULL);
	if (pkey == NULL)
		goto out;
	st = rsa_key_check(pkey);
	if (st != FUSEKEY_OK)
		goto out;
	st = rsa_wrap(&pkey, out);
out:
	BIO_free(mem);
	EVP_PKEY_free(pkey);
	return st;
}

fusekey_status fk_rsa_modulus_le(const struct fk_rsa_key *key, uint8_t modulus_le[FK_RSA3072_SIZE])
{
	fusekey_status st = FUSEKEY_ERR_CRYPTO;
	BIGNUM *n = NULL;

	if (modulus_le == NULL)
		return FUSEKEY_ERR_INVALID_PARAMETER;
	if (key == NULL || key->pkey == NULL) {
		st = FUSEKEY_ERR_INVALID_PARAMETER;
		goto out;
	}
	if (EVP_PKEY_get_bn_param(key->pkey, OSSL_PKEY_PARAM_RSA_N, &n) != 1)
		goto out;
	if (BN_bn2lebinpad(n, modulus_le, FK_RSA3072_SIZE) != FK_RSA3072_SIZE) {
		st = FUSEKEY_ERR_FORMAT;
		goto out;
	}
	st = FUSEKEY_OK;
out:
	BN_free(n);
	if (st != FUSEKEY_OK)
		fk_wipe(modulus_le, FK_RSA3072_SIZE);
	return st;
}

fusekey_status fk_rsa_sign(const struct fk_rsa_key *key, const void *msg, size_t len,
			   uint8_t sig_le[FK_RSA3072_SIZE])
{
	fusekey_status st = FUSEKEY_ERR_CRYPTO;
	EVP_MD_CTX *md = NULL;
	EVP_PKEY_CTX *pctx = NULL; /* owned by md */
	size_t sig_len = FK_RSA3072_SIZE;

	if (sig_le == NULL)
		return FUSEKEY_ERR_INVALID_PARAMETER;
	if (key == NULL || (msg == NULL && len > 0)) {
		st = FUSEKEY_ERR_INVALID_PARAMETER;
		goto out;
	}
	st = rsa_key_check(key->pkey);
	if (st != FUSEKEY_OK)
		goto out;
	st = FUSEKEY_ERR_CRYPTO;
	if (!crypto_ready())
		goto out;
	md = EVP_MD_CTX_new();
	if (md == NULL ||
	    EVP_DigestSignInit_ex(md, &pctx, EVP_MD_get0_name(g_sha256), NULL, NULL, key->pkey,
				  NULL) != 1 ||
	    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) <= 0)
		goto out;
	if (EVP_DigestSign(md, sig_le, &sig_len, len > 0 ? msg : "", len) != 1 ||
	    sig_len != FK_RSA3072_SIZE)
		goto out;
	fk_reverse(sig_le, FK_RSA3072_SIZE); /* OpenSSL is big-endian, SIGSTRUCT little */
	st = FUSEKEY_OK;
out:
	EVP_MD_CTX_free(md);
	if (st != FUSEKEY_OK)
		fk_wipe(sig_le, FK_RSA3072_SIZE);
	return st;
}

fusekey_status fk_rsa_verify(const uint8_t modulus_le[FK_RSA3072_SIZE], uint32_t exponent,
			     const void *msg, size_t len, const uint8_t sig_le[FK_RSA3072_SIZE])
{
	fusekey_status st = FUSEKEY_ERR_CRYPTO;
	uint8_t sig_be[FK_RSA3072_SIZE];
	BIGNUM *n = NULL, *e = NULL;
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *kctx = NULL;
	EVP_PKEY_CTX *pctx = NULL; /* owned by md */
	EVP_PKEY *pkey = NULL;
	EVP_MD_CTX *md = NULL;

	if (modulus_le == NULL || sig_le == NULL || (msg == NULL && len > 0))
		return FUSEKEY_ERR_INVALID_PARAMETER;
	/* e = 1 (or any even e) is no RSA key: anything would "verify" under e = 1. */
	if (exponent < 3 || (exponent & 1u) == 0)
		return FUSEKEY_ERR_INVALID_SIGNATURE;
	if (!crypto_ready())
		goto out;

	n = BN_lebin2bn(modulus_le, FK_RSA3072_SIZE, NULL);
	e = BN_new();
	bld = OSSL_PARAM_BLD_new();
	if (n == NULL || e == NULL || bld == NULL || BN_set_word(e, exponent) != 1) {
		st = FUSEKEY_ERR_NO_MEMORY;
		goto out;
	}
	if (OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) != 1 ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) != 1)
		goto out;
	params = OSSL_PARAM_BLD_to_param(bld);
	kctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	if (params == NULL || kctx == NULL || EVP_PKEY_fromdata_init(kctx) != 1)
		goto out;
	/* From here on, anything short of a verified signature is INVALID_SIGNATURE. */
	st = FUSEKEY_ERR_INVALID_SIGNATURE;
	if (EVP_PKEY_fromdata(kctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1 ||
	    EVP_PKEY_get_bits(pkey) != 3072)
		goto out;
	memcpy(sig_be, sig_le, sizeof(sig_be));
	fk_reverse(sig_be, sizeof(sig_be));
	md = EVP_MD_CTX_new();
	if (md == NULL) {
		st = FUSEKEY_ERR_NO_MEMORY;
		goto out;
	}
	if (EVP_DigestVerifyInit_ex(md, &pctx, EVP_MD_get0_name(g_sha256), NULL, NULL, pkey,
				    NULL) != 1 ||
	    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) <= 0)
		goto out;
	if (EVP_DigestVerify(md, sig_be, sizeof(sig_be), len > 0 ? msg : "", len) != 1)
		goto out;
	st = FUSEKEY_OK;
out:
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(pkey);
	EVP_PKEY_CTX_free(kctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(n);
	BN_free(e);
	return st;
}

fusekey_status fk_rsa_sigstruct_q1q2(const uint8_t modulus_le[FK_RSA3072_SIZE],
				     const uint8_t sig_le[FK_RSA3072_SIZE],
				     uint8_t q1_le[FK_RSA3072_SIZE],
				     uint8_t q2_le[FK_RSA3072_SIZE])
{
	fusekey_status st = FUSEKEY_ERR_CRYPTO;
	BN_CTX *bn = NULL;
	BIGNUM *n = NULL, *s = NULL, *s2 = NULL, *s3 = NULL, *t = NULL, *q1 = NULL, *q2 = NULL;

	if (modulus_le == NULL || sig_le == NULL || q1_le == NULL || q2_le == NULL) {
		st = FUSEKEY_ERR_INVALID_PARAMETER;
		goto out;
	}
	bn = BN_CTX_new();
	n = BN_lebin2bn(modulus_le, FK_RSA3072_SIZE, NULL);
	s = BN_lebin2bn(sig_le, FK_RSA3072_SIZE, NULL);
	s2 = BN_new();
	s3 = BN_new();
	t = BN_new();
	q1 = BN_new();
	q2 = BN_new();
	if (bn == NULL || n == NULL || s == NULL || s2 == NULL || s3 == NULL || t == NULL ||
	    q1 == NULL || q2 == NULL) {
		st = FUSEKEY_ERR_NO_MEMORY;
		goto out;
	}
	/* A signature is below its modulus; that also keeps Q1 and Q2 within 384 bytes. */
	if (BN_is_zero(n) || BN_cmp(s, n) >= 0) {
		st = FUSEKEY_ERR_INVALID_PARAMETER;
		goto out;
	}
	/* Literally as SDM 38.13 states it: Q1 = floor(S^2 / N). */
	if (BN_sqr(s2, s, bn) != 1 || BN_div(q1, NULL, s2, n, bn) != 1)
		goto out;
	/* Q2 = floor((S^3 - Q1*S*N) / N). */
	if (BN_mul(s3, s2, s, bn) != 1 || BN_mul(t, q1, s, bn) != 1 || BN_mul(t, t, n, bn) != 1 ||
	    BN_sub(t, s3, t) != 1 || BN_div(q2, NULL, t, n, bn) != 1)
		goto out;
	if (BN_bn2lebinpad(q1, q1_le, FK_RSA3072_SIZE) != FK_RSA3072_SIZE ||
	    BN_bn2lebinpad(q2, q2_le, FK_RSA3072_SIZE) != FK_RSA3072_SIZE)
		goto out;
	st = FUSEKEY_OK;
out:
	/* All public values: no clearing needed. */
	BN_free(n);
	BN_free(s);
	BN_free(s2);
	BN_free(s3);
	BN_free(t);
	BN_free(q1);
	BN_free(q2);
	BN_CTX_free(bn);
	if (st != FUSEKEY_OK) {
		fk_wipe(q1_le, FK_RSA3072_SIZE);
		fk_wipe(q2_le, FK_RSA3072_SIZE);
	}
	return st;
}
