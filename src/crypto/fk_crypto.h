/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The only door to OpenSSL 3 libcrypto. Nothing else in fusekey includes an
 * OpenSSL header (except the SIGSTRUCT signer, which needs an EVP_PKEY handle,
 * passed around opaquely as struct fk_rsa_key).
 *
 * Algorithms are fetched once per process (pthread_once) and reused: a fetch
 * per call costs ~0.5 ms, a hundred times the work itself.
 *
 * Encodings follow SGX (sgx.md §8.1): P-256 public keys are gx||gy with each
 * coordinate little-endian (64 B); private scalars little-endian (32 B); the
 * ECDH shared secret is the x-coordinate of d*Q, little-endian (32 B).
 * RSA moduli and signatures are little-endian 384-byte strings as in SIGSTRUCT.
 *
 * All functions return FUSEKEY_OK or an error; on error every output buffer is
 * zeroed. Functions that derive or hold secrets wipe their temporaries.
 */
#ifndef FK_CRYPTO_H
#define FK_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fusekey/fusekey.h"

#define FK_WARN_UNUSED __attribute__((warn_unused_result))

enum {
	FK_AES128_KEY_SIZE = 16,
	FK_CMAC_SIZE = 16,
	FK_GCM_IV_SIZE = 12,
	FK_GCM_TAG_SIZE = 16,
	FK_SHA256_SIZE = 32,
	FK_P256_PRIV_SIZE = 32,
	FK_P256_PUB_SIZE = 64,
	FK_P256_SHARED_SIZE = 32,
	FK_RSA3072_SIZE = 384,
};

/* Wipe memory in a way the compiler may not elide (OPENSSL_cleanse). */
void fk_wipe(void *p, size_t n);
#define FK_WIPE(x) fk_wipe(&(x), sizeof(x))
/* Wipe n bytes, then free(p); NULL allowed. For heap buffers that held secrets. */
void fk_wipe_free(void *p, size_t n);

/* Constant-time equality of two n-byte buffers (CRYPTO_memcmp): true if equal. */
bool fk_ct_equal(const void *a, const void *b, size_t n);

/* Cryptographically secure random bytes (RAND_bytes). */
fusekey_status fk_random(void *out, size_t n) FK_WARN_UNUSED;

/* A piece of a message made of several parts. */
struct fk_buf {
	const void *p;
	size_t n;
};

/* AES-128-CMAC (RFC 4493) over msg, or over the concatenation of parts. */
fusekey_status fk_cmac128(const uint8_t key[FK_AES128_KEY_SIZE], const void *msg, size_t len,
			  uint8_t mac[FK_CMAC_SIZE]) FK_WARN_UNUSED;
fusekey_status fk_cmac128_parts(const uint8_t key[FK_AES128_KEY_SIZE], const struct fk_buf *parts,
				size_t nparts, uint8_t mac[FK_CMAC_SIZE]) FK_WARN_UNUSED;

/*
 * AES-128-GCM with a 12-byte IV and a 16-byte tag. Either of aad/pt may be
 * NULL when its length is 0. ct and pt may alias exactly (in place).
 */
fusekey_status fk_gcm128_encrypt(const uint8_t key[FK_AES128_KEY_SIZE],
				 const uint8_t iv[FK_GCM_IV_SIZE], const uint8_t *aad,
				 size_t aad_len, const uint8_t *pt, size_t len, uint8_t *ct,
				 uint8_t tag[FK_GCM_TAG_SIZE]) FK_WARN_UNUSED;
/*
 * Decrypt and verify. Plaintext is released only when the tag verifies: on
 * any failure pt is zeroed and FUSEKEY_ERR_MAC_MISMATCH returned. Decryption
 * goes to an internal buffer first (never into pt before the tag check).
 */
fusekey_status fk_gcm128_decrypt(const uint8_t key[FK_AES128_KEY_SIZE],
				 const uint8_t iv[FK_GCM_IV_SIZE], const uint8_t *aad,
				 size_t aad_len, const uint8_t *ct, size_t len,
				 const uint8_t tag[FK_GCM_TAG_SIZE], uint8_t *pt) FK_WARN_UNUSED;

/* SHA-256 of the concatenation of up to n parts. */
fusekey_status fk_sha256(const void *msg, size_t len, uint8_t out[FK_SHA256_SIZE]) FK_WARN_UNUSED;
fusekey_status fk_sha256_parts(const struct fk_buf *parts, size_t nparts,
			       uint8_t out[FK_SHA256_SIZE]) FK_WARN_UNUSED;

/* P-256 key pair in SGX encoding. */
fusekey_status fk_p256_keygen(uint8_t priv[FK_P256_PRIV_SIZE],
			      uint8_t pub[FK_P256_PUB_SIZE]) FK_WARN_UNUSED;
/* Public key of a private scalar (1 <= d < n), SGX encoding. */
fusekey_status fk_p256_public(const uint8_t priv[FK_P256_PRIV_SIZE],
			      uint8_t pub[FK_P256_PUB_SIZE]) FK_WARN_UNUSED;
/*
 * ECDH: shared = LE x-coordinate of priv * peer. The peer point is validated
 * (coordinates < p, on the curve, not infinity); an invalid point gives
 * FUSEKEY_ERR_INVALID_PARAMETER and a zeroed output.
 */
fusekey_status fk_p256_ecdh(const uint8_t priv[FK_P256_PRIV_SIZE],
			    const uint8_t peer_pub[FK_P256_PUB_SIZE],
			    uint8_t shared[FK_P256_SHARED_SIZE]) FK_WARN_UNUSED;

/* RSA-3072 with public exponent 3, as SGX signers use. */
struct fk_rsa_key; /* opaque; wraps an EVP_PKEY */
fusekey_status fk_rsa3072_generate(struct fk_rsa_key **out) FK_WARN_UNUSED;
/*
 * PEM (PKCS#8 "BEGIN PRIVATE KEY", unencrypted) in memory; no file I/O here
 * (files: fk_sigstruct_key_write/_read). A PEM RSA-3072 key is ~2.5 KiB:
 * anything over FK_PEM_MAX bytes is not one.
 * fk_rsa_to_pem refuses keys that are not 3072-bit, e=3, and returns a new
 * buffer: release it with fk_rsa_pem_free, which wipes it.
 * fk_rsa_from_pem gives FUSEKEY_ERR_FORMAT for anything but an unencrypted
 * RSA-3072, e=3 private key of at most FK_PEM_MAX bytes (encrypted PEM is
 * refused, never prompted for).
 */
#define FK_PEM_MAX (16u * 1024u)
fusekey_status fk_rsa_to_pem(const struct fk_rsa_key *key, uint8_t **pem,
			     size_t *len) FK_WARN_UNUSED;
void fk_rsa_pem_free(uint8_t *pem, size_t len);
fusekey_status fk_rsa_from_pem(const uint8_t *pem, size_t len,
			       struct fk_rsa_key **out) FK_WARN_UNUSED;
void fk_rsa_free(struct fk_rsa_key *key);
/* Modulus, little-endian 384 bytes. */
fusekey_status fk_rsa_modulus_le(const struct fk_rsa_key *key,
				 uint8_t modulus_le[FK_RSA3072_SIZE]) FK_WARN_UNUSED;
/* PKCS#1 v1.5 SHA-256 signature over msg; signature little-endian. */
fusekey_status fk_rsa_sign(const struct fk_rsa_key *key, const void *msg, size_t len,
			   uint8_t sig_le[FK_RSA3072_SIZE]) FK_WARN_UNUSED;
/*
 * Verify a PKCS#1 v1.5 SHA-256 signature with modulus (LE) and exponent e.
 * FUSEKEY_OK if valid, FUSEKEY_ERR_INVALID_SIGNATURE otherwise.
 */
fusekey_status fk_rsa_verify(const uint8_t modulus_le[FK_RSA3072_SIZE], uint32_t exponent,
			     const void *msg, size_t len,
			     const uint8_t sig_le[FK_RSA3072_SIZE]) FK_WARN_UNUSED;
/*
 * SIGSTRUCT's Q1 = floor(S^2 / N), Q2 = floor((S^3 - Q1*S*N) / N), all little-endian.
 */
fusekey_status fk_rsa_sigstruct_q1q2(const uint8_t modulus_le[FK_RSA3072_SIZE],
				     const uint8_t sig_le[FK_RSA3072_SIZE],
				     uint8_t q1_le[FK_RSA3072_SIZE],
				     uint8_t q2_le[FK_RSA3072_SIZE]) FK_WARN_UNUSED;

/* Reverse n bytes in place (big-endian <-> little-endian). */
void fk_reverse(uint8_t *p, size_t n);

#endif
