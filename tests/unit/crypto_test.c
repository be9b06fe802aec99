/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fk_crypto: known-answer tests (RFC 4493, the GCM specification's AES-128
 * cases, FIPS 180 "abc", sgx.md §8.3, Wycheproof ECDH tcId 1), refusal of
 * bad inputs with zeroed outputs, and RSA-3072/e=3 checked against an
 * independent BIGNUM computation. One RSA key for the whole program.
 */
#include "test_util.h"

#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include "crypto/fk_crypto.h"

/* ---- helpers ---- */

static void hex_le(const char *hex_be, uint8_t *out, size_t n)
{
	th_hex(hex_be, out, n);
	fk_reverse(out, n);
}

/* P-256 constants, big-endian hex. */
#define P256_P "ffffffff00000001000000000000000000000000ffffffffffffffffffffffff"
#define P256_N "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551"
#define P256_B "5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604b"
#define P256_GX "6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296"
#define P256_GY "4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5"

/* ---- small utilities ---- */

static void test_ct_equal(void **state)
{
	(void)state;
	uint8_t a[33], b[33];
	memset(a, 0x5c, sizeof(a));
	memcpy(b, a, sizeof(b));
	assert_true(fk_ct_equal(a, b, sizeof(a)));
	b[32] ^= 0x01;
	assert_false(fk_ct_equal(a, b, sizeof(a)));
	assert_true(fk_ct_equal(a, b, 32)); /* the difference is outside the range */
	b[32] = a[32];
	b[0] ^= 0x80;
	assert_false(fk_ct_equal(a, b, sizeof(a)));
	assert_true(fk_ct_equal(a, b, 0));
}

static void test_reverse_and_wipe(void **state)
{
	(void)state;
	uint8_t v[5] = {1, 2, 3, 4, 5};
	const uint8_t r[5] = {5, 4, 3, 2, 1};
	fk_reverse(v, sizeof(v));
	assert_memory_equal(v, r, sizeof(v));
	fk_reverse(v, 0);
	assert_memory_equal(v, r, sizeof(v));
	fk_wipe(v, sizeof(v));
	assert_true(th_all_zero(v, sizeof(v)));
	fk_wipe(NULL, 0);
}

static void test_random(void **state)
{
	(void)state;
	uint8_t a[32], b[32];
	memset(a, 0, sizeof(a));
	memset(b, 0, sizeof(b));
	EXPECT_OK(fk_random(a, sizeof(a)));
	EXPECT_OK(fk_random(b, sizeof(b)));
	/* 2^-256 chance of a false failure each. */
	assert_false(th_all_zero(a, sizeof(a)));
	assert_false(fk_ct_equal(a, b, sizeof(a)));
	EXPECT_OK(fk_random(NULL, 0));
	EXPECT_STATUS(fk_random(NULL, 1), FUSEKEY_ERR_INVALID_PARAMETER);
	EXPECT_STATUS(fk_random(a, (size_t)INT_MAX + 1), FUSEKEY_ERR_INVALID_PARAMETER);
}

/* ---- AES-CMAC: RFC 4493 section 4 ---- */

static const char rfc4493_msg[] = "6bc1bee22e409f96e93d7e117393172a"
				  "ae2d8a571e03ac9c9eb76fac45af8e51"
				  "30c81c46a35ce411e5fbc1191a0a52ef"
				  "f69f2445df4f9b17ad2b417be66c3710";

static void test_cmac_rfc4493(void **state)
{
	(void)state;
	static const struct {
		size_t len;
		const char *mac;
	} cases[] = {
		{0, "bb1d6929e95937287fa37d129b756746"},
		{16, "070a16b46b4d4144f79bdd9dd04a287c"},
		{40, "dfa66747de9ae63030ca32611497c827"},
		{64, "51f0bebf7e3b9d92fc49741779363cfe"},
	};
	uint8_t key[16], msg[64], mac[16], want[16];
	th_hex("2b7e151628aed2a6abf7158809cf4f3c", key, sizeof(key));
	th_hex(rfc4493_msg, msg, sizeof(msg));
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(mac, 0xAA, sizeof(mac));
		th_hex(cases[i].mac, want, sizeof(want));
		EXPECT_OK(fk_cmac128(key, msg, cases[i].len, mac));
		assert_memory_equal(mac, want, sizeof(mac));
	}
	/* The empty message may be given as NULL. */
	th_hex(cases[0].mac, want, sizeof(want));
	EXPECT_OK(fk_cmac128(key, NULL, 0, mac));
	assert_memory_equal(mac, want, sizeof(mac));
	/* A changed key gives another MAC. */
	key[0] ^= 1;
	EXPECT_OK(fk_cmac128(key, NULL, 0, mac));
	assert_memory_not_equal(mac, want, sizeof(mac));
}

static void test_cmac_bad_args(void **state)
{
	(void)state;
	uint8_t key[16] = {0}, mac[16];
	memset(mac, 0xAA, sizeof(mac));
	EXPECT_STATUS(fk_cmac128(NULL, "x", 1, mac), FUSEKEY_ERR_INVALID_PARAMETER);
	assert_true(th_all_zero(mac, sizeof(mac)));
	memset(mac, 0xAA, sizeof(mac));
	EXPECT_STATUS(fk_cmac128(key, NULL, 1, mac), FUSEKEY_ERR_INVALID_PARAMETER);
	assert_true(th_all_zero(mac, sizeof(mac)));
	EXPECT_STATUS(fk_cmac128(key, NULL, 0, NULL), FUSEKEY_ERR_INVALID_PARAMETER);
}

/* sgx.md §8.3: the LA KDF is two CMACs; its KAT pins both the CMAC and the labels. */
static void test_cmac_sgx_kdf_kat(void **state)
{
	(void)state;
	static const uint8_t zero[16];
	static const uint8_t smk_msg[7] = {0x01, 'S', 'M', 'K', 0x00, 0x80, 0x00};
	static const uint8_t aek_msg[7] = {0x01, 'A', 'E', 'K', 0x00, 0x80, 0x00};
	uint8_t shared[32], kdk[16], key[16], want[16];
	for (size_t i = 0; i < sizeof(shared); i++)
		shared[i] = (uint8_t)i;
	EXPECT_OK(fk_cmac128(zero, shared, sizeof(shared), kdk));
	EXPECT_OK(fk_cmac128(kdk, smk_msg, sizeof(smk_msg), key));
	th_hex("3999a176f61679104b0b226187125f95", want, sizeof(want));
	assert_memory_equal(key, want, sizeof(key));
	EXPECT_OK(fk_cmac128(kdk, aek_msg, sizeof(aek_msg), key));
	th_hex("bf3a4644a124d6435d317393e0dc0411", want, sizeof(want));
	assert_memory_equal(key, want, sizeof(key));
}

/* The algorithms are fetched once (pthread_once); hammer that from several threads. */
struct cmac_thread_arg {
	int ok;
};

static void *cmac_thread(void *p)
{
	struct cmac_thread_arg *arg = p;
	uint8_t key[16], msg[64], mac[16], want[16];
	th_hex("2b7e151628aed2a6abf7158809cf4f3c", key, sizeof(key));
	th_hex(rfc4493_msg, msg, sizeof(msg));
	th_hex("51f0bebf7e3b9d92fc49741779363cfe", want, sizeof(want));
	arg->ok = 1;
	for (int i = 0; i < 500; i++) {
		if (fk_cmac128(key, msg, sizeof(msg), mac) != FUSEKEY_OK ||
		    memcmp(mac, want, sizeof(mac)) != 0) {
			arg->ok = 0;
			break;
		}
	}
	return NULL;
}

static void test_cmac_threads(void **state)
{
	(void)state;
	pthread_t th[4];
	struct cmac_thread_arg args[4];
	for (size_t i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&th[i], NULL, cmac_thread, &args[i]), 0);
	for (size_t i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		assert_int_equal(args[i].ok, 1);
	}
}

/* ---- AES-128-GCM: test cases 1-4 of McGrew & Viega, "The Galois/Counter Mode" ---- */

struct gcm_case {
	const char *key, *iv, *aad, *pt, *ct, *tag;
};

#define GCM_K3 "feffe9928665731c6d6a8f9467308308"
#define GCM_IV3 "cafebabefacedbaddecaf888"
#define GCM_P3_60 "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72" \
		  "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39"
#define GCM_C3_60 "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e" \
		  "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091"

static const struct gcm_case gcm_cases[] = {
	/* Test Case 1: empty plaintext. */
	{"00000000000000000000000000000000", "000000000000000000000000", "", "", "",
	 "58e2fccefa7e3061367f1d57a4e7455a"},
	/* Test Case 2. */
	{"00000000000000000000000000000000", "000000000000000000000000", "",
	 "00000000000000000000000000000000", "0388dace60b6a392f328c2b971b2fe78",
	 "ab6e47d42cec13bdf53a67b21257bddf"},
	/* Test Case 3: 64 bytes, no AAD. */
	{GCM_K3, GCM_IV3, "", GCM_P3_60 "1aafd255", GCM_C3_60 "473f5985",
	 "4d5c2af327cd64a62cf35abd2ba6fab4"},
	/* Test Case 4: 60 bytes (a partial block) with 20 bytes of AAD. */
	{GCM_K3, GCM_IV3, "feedfacedeadbeeffeedfacedeadbeefabaddad2", GCM_P3_60, GCM_C3_60,
	 "5bc94fbc3221a5db94fae95ae7121a47"},
};

struct gcm_bytes {
	uint8_t key[16], iv[12], aad[32], pt[64], ct[64], tag[16];
	size_t aad_len, len;
};

static void gcm_load(const struct gcm_case *c, struct gcm_bytes *b)
{
	memset(b, 0, sizeof(*b));
	b->aad_len = strlen(c->aad) / 2;
	b->len = strlen(c->pt) / 2;
	assert_true(b->aad_len <= sizeof(b->aad) && b->len <= sizeof(b->pt));
	th_hex(c->key, b->key, sizeof(b->key));
	th_hex(c->iv, b->iv, sizeof(b->iv));
	th_hex(c->aad, b->aad, b->aad_len);
	th_hex(c->pt, b->pt, b->len);
	th_hex(c->ct, b->ct, b->len);
	th_hex(c->tag, b->tag, sizeof(b->tag));
}

static void test_gcm_spec_vectors(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(gcm_cases) / sizeof(gcm_cases[0]); i++) {
		struct gcm_bytes b;
		uint8_t out[64 + 1], tag[16]; /* one guard byte past the longest case */
		gcm_load(&gcm_cases[i], &b);
		const uint8_t *aad = b.aad_len ? b.aad : NULL;

		memset(out, 0xAA, sizeof(out));
		memset(tag, 0xAA, sizeof(tag));
		EXPECT_OK(fk_gcm128_encrypt(b.key, b.iv, aad, b.aad_len, b.pt, b.len, out, tag));
		assert_memory_equal(tag, b.tag, sizeof(tag));
		if (b.len > 0)
			assert_memory_equal(out, b.ct, b.len);
		assert_int_equal(out[b.len], 0xAA); /* nothing written past len */

		memset(out, 0xAA, sizeof(out));
		EXPECT_OK(fk_gcm128_decrypt(b.key, b.iv, aad, b.aad_len, b.ct, b.len, b.tag, out));
		if (b.len > 0)
			assert_memory_equal(out, b.pt, b.len);
		assert_int_equal(out[b.len], 0xAA);
	}
}

static void test_gcm_empty_null(void **state)
{
	(void)state;
	struct gcm_bytes b;
	uint8_t tag[16];
	gcm_load(&gcm_cases[0], &b);
	EXPECT_OK(fk_gcm128_encrypt(b.key, b.iv, NULL, 0, NULL, 0, NULL, tag));
	assert_memory_equal(tag, b.tag, sizeof(tag));
	EXPECT_OK(fk_gcm128_decrypt(b.key, b.iv, NULL, 0, NULL, 0, b.tag, NULL));
	tag[15] ^= 1;
	EXPECT_STATUS(fk_gcm128_decrypt(b.key, b.iv, NULL, 0, NULL, 0, tag, NULL),
		      FUSEKEY_ERR_MAC_MISMATCH);
}

static void test_gcm_in_place(void **state)
{
	(void)state;
	struct gcm_bytes b;
	uint8_t buf[64], tag[16];
	gcm_load(&gcm_cases[3], &b);
	memcpy(buf, b.pt, b.len);
	EXPECT_OK(fk_gcm128_encrypt(b.key, b.iv, b.aad, b.aad_len, buf, b.len, buf, tag));
	assert_memory_equal(buf, b.ct, b.len);
	assert_memory_equal(tag, b.tag, sizeof(tag));
	EXPECT_OK(fk_gcm128_decrypt(b.key, b.iv, b.aad, b.aad_len, buf, b.len, tag, buf));
	assert_memory_equal(buf, b.pt, b.len);
}

/* Any tampering: MAC_MISMATCH, and pt (pre-filled with 0xAA) is all zero afterwards. */
static void expect_gcm_refused(const struct gcm_bytes *b, const uint8_t *aad, size_t aad_len,
			       const uint8_t *ct, const uint8_t *tag)
{
	uint8_t out[64 + 1];
	memset(out, 0xAA, sizeof(out));
	EXPECT_STATUS(fk_gcm128_decrypt(b->key, b->iv, aad, aad_len, ct, b->len, tag, out),
		      FUSEKEY_ERR_MAC_MISMATCH);
	assert_true(th_all_zero(out, b->len));
	assert_int_equal(out[b->len], 0xAA);
}

static void test_gcm_tamper(void **state)
{
	(void)state;
	struct gcm_bytes b;
	uint8_t t[64];
	gcm_load(&gcm_cases[3], &b);

	for (size_t bit = 0; bit < 128; bit += 9) {
		memcpy(t, b.tag, 16);
		t[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		expect_gcm_refused(&b, b.aad, b.aad_len, b.ct, t);
	}
	memcpy(t, b.ct, b.len);
	t[0] ^= 0x01;
	expect_gcm_refused(&b, b.aad, b.aad_len, t, b.tag);
	memcpy(t, b.ct, b.len);
	t[b.len - 1] ^= 0x80;
	expect_gcm_refused(&b, b.aad, b.aad_len, t, b.tag);
	memcpy(t, b.aad, b.aad_len);
	t[5] ^= 0x10;
	expect_gcm_refused(&b, t, b.aad_len, b.ct, b.tag);
	expect_gcm_refused(&b, b.aad, b.aad_len - 1, b.ct, b.tag); /* truncated AAD */
	expect_gcm_refused(&b, NULL, 0, b.ct, b.tag);		    /* dropped AAD */

	/* Wrong key and wrong IV. */
	struct gcm_bytes w = b;
	w.key[15] ^= 1;
	expect_gcm_refused(&w, b.aad, b.aad_len, b.ct, b.tag);
	w = b;
	w.iv[0] ^= 1;
	expect_gcm_refused(&w, b.aad, b.aad_len, b.ct, b.tag);

	/* In place with a bad tag: the ciphertext buffer ends up zero, never plaintext. */
	memcpy(t, b.ct, b.len);
	uint8_t bad[16];
	memcpy(bad, b.tag, 16);
	bad[0] ^= 1;
	EXPECT_STATUS(fk_gcm128_decrypt(b.key, b.iv, b.aad, b.aad_len, t, b.len, bad, t),
		      FUSEKEY_ERR_MAC_MISMATCH);
	assert_true(th_all_zero(t, b.len));
}

static void test_gcm_bad_args(void **state)
{
	(void)state;
	struct gcm_bytes b;
	uint8_t out[64], tag[16];
	gcm_load(&gcm_cases[2], &b);

	memset(tag, 0xAA, sizeof(tag));
	memset(out, 0xAA, sizeof(out));
	EXPECT_STATUS(fk_gcm128_encrypt(NULL, b.iv, NULL, 0, b.pt, b.len, out, tag),
		      FUSEKEY_ERR_INVALID_PARAMETER);
	assert_true(th_all_zero(tag, sizeof(tag)));
	assert_true(th_all_zero(out, b.len));
	EXPECT_STATUS(fk_gcm128_encrypt(b.key, b.iv, NULL, 1, b.pt, b.len, out, tag),
		      FUSEKEY_ERR_INVALID_PARAMETER);
	EXPECT_STATUS(fk_gcm128_encrypt(b.key, b.iv, NULL, 0, NULL, b.len, out, tag),
		      FUSEKEY_ERR_INVALID_PARAMETER);
	/* Lengths beyond INT_MAX are refused before anything is read or written. */
	EXPECT_STATUS(fk_gcm128_encrypt(b.key, b.iv, NULL, 0, b.pt, (size_t)INT_MAX + 1, out, tag),
		      FUSEKEY_ERR_INVALID_PARAMETER);
	EXPECT_STATUS(fk_gcm128_encrypt(b.key, b.iv, b.aad, (size_t)INT_MAX + 1, b.pt, b.len, out,
					tag),
		      FUSEKEY_ERR_INVALID_PARAMETER);
	EXPECT_STATUS(fk_gcm128_decrypt(b.key, b.iv, NULL, 0, b.ct, (size_t)INT_MAX + 1, b.tag,
					out),
		      FUSEKEY_ERR_INVALID_PARAMETER);
	EXPECT_STATUS(fk_gcm128_decrypt(b.key, b.iv, b.aad, SIZE_MAX, b.ct, b.len, b.tag, out),
		      FUSEKEY_ERR_INVALID_PARAMETER);
	memset(out, 0xAA, sizeof(out));
	EXPECT_STATUS(fk_gcm128_decrypt(b.key, b.iv, NULL, 0, b.ct, b.len, NULL, out),
		      FUSEKEY_ERR_INVALID_PARAMETER);
	assert_true(th_all_zero(out, b.len));
}

/* ---- SHA-256 ---- */

static void test_sha256(void **state)
{
	(void)state;
	uint8_t h[32], want[32];
	EXPECT_OK(fk_sha256("abc", 3, h));
	th_hex("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", want, 32);
	assert_memory_equal(h, want, 32);
	EXPECT_OK(fk_sha256(NULL, 0, h));
	th_hex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", want, 32);
	assert_memory_equal(h, want, 32);
	memset(h, 0xAA, sizeof(h));
	EXPECT_STATUS(fk_sha256(NULL, 1, h), FUSEKEY_ERR_INVALID_PARAMETER);
	assert_true(th_all_zero(h, sizeof(h)));
}

static void test_sha256_parts(void **state)
{
	(void)state;
	uint8_t msg[1000], whole[32], parts_h[32];
	for (size_t i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)(i * 7 + 3);
	EXPECT_OK(fk_sha256(msg, sizeof(msg), whole));
	const struct fk_buf parts[] = {
		{msg, 1}, {NULL, 0}, {msg + 1, 63},
		{msg + 64, 0}, {msg + 64, 500}, {msg + 564, 436},
	};
	EXPECT_OK(fk_sha256_parts(parts, sizeof(parts) / sizeof(parts[0]), parts_h));
	assert_memory_equal(parts_h, whole, 32);

	/* A different split point must not matter, a different order must. */
	const struct fk_buf swapped[] = {{msg + 500, 500}, {msg, 500}};
	EXPECT_OK(fk_sha256_parts(swapped, 2, parts_h));
	assert_memory_not_equal(parts_h, whole, 32);

	EXPECT_OK(fk_sha256_parts(NULL, 0, parts_h));
	EXPECT_OK(fk_sha256(NULL, 0, whole));
	assert_memory_equal(parts_h, whole, 32);
	const struct fk_buf bad[] = {{msg, 3}, {NULL, 2}};
	EXPECT_STATUS(fk_sha256_parts(bad, 2, parts_h), FUSEKEY_ERR_INVALID_PARAMETER);
	assert_true(th_all_zero(parts_h, 32));
}

/* ---- P-256 ---- */

static void test_p256_keygen_ecdh(void **state)
{
	(void)state;
	uint8_t a_priv[32], a_pub[64], b_priv[32], b_pub[64], pub[64];
	uint8_t s1[32], s2[32];
	EXPECT_OK(fk_p256_keygen(a_priv, a_pub));
	EXPECT_OK(fk_p256_keygen(b_priv, b_pub));
	assert_memory_not_equal(a_priv, b_priv, 32);
	/* The public key matches the scalar (and its encoding matches fk_p256_public's). */
	EXPECT_OK(fk_p256_public(a_priv, pub));
	assert_memory_equal(pub, a_pub, 64);
	EXPECT_OK(fk_p256_public(b_priv, pub));
	assert_memory_equal(pub, b_pub, 64);

	EXPECT_OK(fk_p256_ecdh(a_priv, b_pub, s1));
	EXPECT_OK(fk_p256_ecdh(b_priv, a_pub, s2));
	assert_memory_equal(s1, s2, 32);
	assert_false(th_all_zero(s1, 32));
	/* Another peer, another secret. */
	EXPECT_OK(fk_p256_ecdh(a_priv, a_pub, s2));
	assert_memory_not_equal(s1, s2, 32);
	fk_wipe(a_priv, sizeof(a_priv));
	fk_wipe(b_priv, sizeof(b_priv));
}

/* Wycheproof ecdh_secp256r1_ecpoint_test.json tcId 1, converted to SGX little-endian. */
static void test_p256_ecdh_kat(void **state)
{
	(void)state;
	uint8_t priv[32], peer[64], shared[32], want[32];
	hex_le("0612465c89a023ab17855b0a6bcebfd3febb53aef84138647b5352e02c10c346", priv, 32);
	hex_le("62d5bd3372af75fe85a040715d0f502428e07046868b0bfdfa61d731afe44f26", peer, 32);
	hex_le("ac333a93a9e70a81cd5a95b5bf8d13990eb741c8c38872b4a07d275a014e30cf", peer + 32, 32);
	hex_le("53020d908b0219328b658b525f26780e3ae12bcd952bb25a93bc0895e1714285", want, 32);
	EXPECT_OK(fk_p256_ecdh(priv, peer, shared));
	assert_memory_equal(shared, want, 32);
}

/* d = 1 gives G, d = n - 1 gives -G = (Gx, p - Gy); 0 and n are no scalars. */
static void test_p256_public_edges(void **state)
{
	(void)state;
	uint8_t d[32], pub[64], want[64];
	BIGNUM *p = NULL, *gy = NULL;
	memset(d, 0, sizeof(d));
	d[0] = 1;
	EXPECT_OK(fk_p256_public(d, pub));
	hex_le(P256_GX, want, 32);
	hex_le(P256_GY, want + 32, 32);
	assert_memory_equal(pub, want, 64);

	hex_le(P256_N, d, 32);
	d[0] -= 1; /* n - 1: the low byte of n is 0x51 */
	EXPECT_OK(fk_p256_public(d, pub));
	assert_true(BN_hex2bn(&p, P256_P) > 0 && BN_hex2bn(&gy, P256_GY) > 0);
	assert_int_equal(BN_sub(gy, p, gy), 1);
	assert_int_equal(BN_bn2lebinpad(gy, want + 32, 32), 32);
	assert_memory_equal(pub, want, 64);
	BN_free(p);
	BN_free(gy);

	memset(pub, 0xAA, sizeof(pub));
	hex_le(P256_N, d, 32); /* n itself */
	EXPECT_STATUS(fk_p256_public(d, pub), FUSEKEY_ERR_INVALID_PARAMETER);
	assert_true(th_all_zero(pub, sizeof(pub)));
	memset(pub, 0xAA, sizeof(pub));
	memset(d, 0, sizeof(d));
	EXPECT_STATUS(fk_p256_public(d, pub), FUSEKEY_ERR_INVALID_PARAMETER);
	assert_true(th_all_zero(pub, sizeof(pub)));
	memset(d, 0xff, sizeof(d));
	EXPECT_STATUS(fk_p256_public(d, pub), FUSEKEY_ERR_INVALID_PARAMETER);
}

static void expect_ecdh_refused(const uint8_t priv[32], const uint8_t peer[64])
{
	uint8_t shared[32];
	memset(shared, 0xAA, sizeof(shared));
	EXPECT_STATUS(fk_p256_ecdh(priv, peer, shared), FUSEKEY_ERR_INVALID_PARAMETER);
	assert_true(th_all_zero(shared, sizeof(shared)));
}

static void test_p256_ecdh_invalid_points(void **state)
{
	(void)state;
	uint8_t priv[32], pub[64], peer[64], shared[32];
	EXPECT_OK(fk_p256_keygen(priv, pub));
	EXPECT_OK(fk_p256_ecdh(priv, pub, shared));

	/* y with one bit flipped: off the curve. */
	memcpy(peer, pub, 64);
	peer[32] ^= 0x01;
	expect_ecdh_refused(priv, peer);
	/* x with one bit flipped: (x', y) is off the curve with overwhelming probability. */
	memcpy(peer, pub, 64);
	peer[31] ^= 0x40;
	expect_ecdh_refused(priv, peer);
	/* The all-zero encoding (what some code uses for "infinity"). */
	memset(peer, 0, sizeof(peer));
	expect_ecdh_refused(priv, peer);
	/* All ones: both coordinates >= p. */
	memset(peer, 0xff, sizeof(peer));
	expect_ecdh_refused(priv, peer);
	/* x = p exactly, y = a valid y. */
	memcpy(peer, pub, 64);
	hex_le(P256_P, peer, 32);
	expect_ecdh_refused(priv, peer);
	fk_wipe(priv, sizeof(priv));
}

/*
 * A coordinate >= p must be refused, not reduced mod p: find a point (x, y)
 * with a small x, then offer (x + p, y), which reduces to that valid point.
 * Likewise offer (x, y + p) when y + p still fits 256 bits.
 */
static void test_p256_ecdh_coordinate_not_reduced(void **state)
{
	(void)state;
	BN_CTX *bn = BN_CTX_new();
	BIGNUM *p = NULL, *b = NULL, *x = BN_new(), *rhs = BN_new(), *y = BN_new(),
	       *t = BN_new();
	uint8_t priv[32], pub[64], peer[64], shared[32];
	int found = 0;
	assert_non_null(bn);
	assert_true(x && rhs && y && t);
	assert_true(BN_hex2bn(&p, P256_P) > 0 && BN_hex2bn(&b, P256_B) > 0);
	for (unsigned long xi = 0; xi < 100 && !found; xi++) {
		/* rhs = x^3 - 3x + b mod p */
		assert_int_equal(BN_set_word(x, xi), 1);
		assert_int_equal(BN_mod_sqr(rhs, x, p, bn), 1);
		assert_int_equal(BN_mod_mul(rhs, rhs, x, p, bn), 1);
		assert_int_equal(BN_set_word(t, 3 * xi), 1);
		assert_int_equal(BN_mod_sub(rhs, rhs, t, p, bn), 1);
		assert_int_equal(BN_mod_add(rhs, rhs, b, p, bn), 1);
		/* p = 3 mod 4: y = rhs^((p+1)/4), a root iff y^2 = rhs. */
		assert_int_equal(BN_add_word(BN_copy(t, p), 1), 1);
		assert_int_equal(BN_rshift(t, t, 2), 1);
		assert_int_equal(BN_mod_exp(y, rhs, t, p, bn), 1);
		assert_int_equal(BN_mod_sqr(t, y, p, bn), 1);
		found = BN_cmp(t, rhs) == 0;
		if (found)
			break;
	}
	assert_true(found);
	EXPECT_OK(fk_p256_keygen(priv, pub));

	/* (x, y) itself is accepted... */
	assert_int_equal(BN_bn2lebinpad(x, peer, 32), 32);
	assert_int_equal(BN_bn2lebinpad(y, peer + 32, 32), 32);
	EXPECT_OK(fk_p256_ecdh(priv, peer, shared));
	/* ...(x + p, y) is not. */
	assert_int_equal(BN_add(t, x, p), 1);
	assert_true(BN_num_bytes(t) <= 32);
	assert_int_equal(BN_bn2lebinpad(t, peer, 32), 32);
	expect_ecdh_refused(priv, peer);
	/* Same for y: use whichever of y, p - y is small enough that +p fits. */
	assert_int_equal(BN_bn2lebinpad(x, peer, 32), 32);
	assert_int_equal(BN_add(t, y, p), 1);
	if (BN_num_bytes(t) > 32) {
		assert_int_equal(BN_sub(y, p, y), 1);
		assert_int_equal(BN_add(t, y, p), 1);
	}
	if (BN_num_bytes(t) <= 32) {
		assert_int_equal(BN_bn2lebinpad(y, peer + 32, 32), 32);
		EXPECT_OK(fk_p256_ecdh(priv, peer, shared));
		assert_int_equal(BN_bn2lebinpad(t, peer + 32, 32), 32);
		expect_ecdh_refused(priv, peer);
	}
	fk_wipe(priv, sizeof(priv));
	BN_free(p);
	BN_free(b);
	BN_free(x);
	BN_free(rhs);
	BN_free(y);
	BN_free(t);
	BN_CTX_free(bn);
}

static void test_p256_ecdh_bad_scalar(void **state)
{
	(void)state;
	uint8_t priv[32], pub[64], d[32], shared[32];
	EXPECT_OK(fk_p256_keygen(priv, pub));
	memset(d, 0, sizeof(d));
	memset(shared, 0xAA, sizeof(shared));
	EXPECT_STATUS(fk_p256_ecdh(d, pub, shared), FUSEKEY_ERR_INVALID_PARAMETER);
	assert_true(th_all_zero(shared, sizeof(shared)));
	hex_le(P256_N, d, 32);
	memset(shared, 0xAA, sizeof(shared));
	EXPECT_STATUS(fk_p256_ecdh(d, pub, shared), FUSEKEY_ERR_INVALID_PARAMETER);
	assert_true(th_all_zero(shared, sizeof(shared)));
	memset(shared, 0xAA, sizeof(shared));
	EXPECT_STATUS(fk_p256_ecdh(NULL, pub, shared), FUSEKEY_ERR_INVALID_PARAMETER);
	assert_true(th_all_zero(shared, sizeof(shared)));
	fk_wipe(priv, sizeof(priv));
}

/* ---- RSA-3072, e = 3 (one key for the whole program) ---- */

static struct fk_rsa_key *g_key;
static uint8_t g_mod[384];

static int rsa_setup(void **state)
{
	(void)state;
	if (fk_rsa3072_generate(&g_key) != FUSEKEY_OK || g_key == NULL)
		return -1;
	if (fk_rsa_modulus_le(g_key, g_mod) != FUSEKEY_OK)
		return -1;
	return 0;
}

static int rsa_teardown(void **state)
{
	(void)state;
	fk_rsa_free(g_key);
	g_key = NULL;
	return 0;
}

static const char rsa_msg[] = "SIGSTRUCT bytes [0,128) || [900,1028) stand-in";

static void test_rsa_key_shape(void **state)
{
	(void)state;
	assert_non_null(g_key);
	assert_true(g_mod[383] & 0x80); /* little-endian: the top byte is last, 3072 bits */
	assert_true(g_mod[0] & 0x01);	/* odd */
}

/*
 * Independent of OpenSSL's verifier: S^3 mod N (BIGNUM, from the
 * little-endian bytes) must be the PKCS#1 v1.5 SHA-256 encoding of the message.
 */
static void test_rsa_sign_encoding(void **state)
{
	(void)state;
	static const uint8_t digest_info[19] = {0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60,
						0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
						0x01, 0x05, 0x00, 0x04, 0x20};
	uint8_t sig[384], em[384], want[384];
	BN_CTX *bn = BN_CTX_new();
	BIGNUM *n = BN_lebin2bn(g_mod, 384, NULL), *s, *e = BN_new(), *m = BN_new();
	assert_true(bn && n && e && m);

	EXPECT_OK(fk_rsa_sign(g_key, rsa_msg, strlen(rsa_msg), sig));
	s = BN_lebin2bn(sig, 384, NULL);
	assert_non_null(s);
	assert_true(BN_cmp(s, n) < 0);
	assert_int_equal(BN_set_word(e, 3), 1);
	assert_int_equal(BN_mod_exp(m, s, e, n, bn), 1);
	assert_int_equal(BN_bn2binpad(m, em, 384), 384);

	want[0] = 0x00;
	want[1] = 0x01;
	memset(want + 2, 0xff, 384 - 3 - 19 - 32);
	want[384 - 19 - 32 - 1] = 0x00;
	memcpy(want + 384 - 19 - 32, digest_info, 19);
	EXPECT_OK(fk_sha256(rsa_msg, strlen(rsa_msg), want + 384 - 32));
	assert_memory_equal(em, want, 384);

	/* PKCS#1 v1.5 is deterministic. */
	uint8_t sig2[384];
	EXPECT_OK(fk_rsa_sign(g_key, rsa_msg, strlen(rsa_msg), sig2));
	assert_memory_equal(sig, sig2, 384);
	BN_free(n);
	BN_free(s);
	BN_free(e);
	BN_free(m);
	BN_CTX_free(bn);
}

static void test_rsa_verify(void **state)
{
	(void)state;
	uint8_t sig[384], t[384], mod[384];
	char msg[sizeof(rsa_msg)];
	size_t len = strlen(rsa_msg);
	EXPECT_OK(fk_rsa_sign(g_key, rsa_msg, len, sig));
	EXPECT_OK(fk_rsa_verify(g_mod, 3, rsa_msg, len, sig));

	/* One flipped bit anywhere in the signature. */
	const size_t bits[] = {0, 7, 1000, 3071};
	for (size_t i = 0; i < sizeof(bits) / sizeof(bits[0]); i++) {
		memcpy(t, sig, sizeof(t));
		t[bits[i] / 8] ^= (uint8_t)(1u << (bits[i] % 8));
		EXPECT_STATUS(fk_rsa_verify(g_mod, 3, rsa_msg, len, t),
			      FUSEKEY_ERR_INVALID_SIGNATURE);
	}
	/* The signature in big-endian order (the bug this API exists to avoid). */
	memcpy(t, sig, sizeof(t));
	fk_reverse(t, sizeof(t));
	EXPECT_STATUS(fk_rsa_verify(g_mod, 3, rsa_msg, len, t), FUSEKEY_ERR_INVALID_SIGNATURE);
	/* One flipped bit in the message, and a shorter message. */
	memcpy(msg, rsa_msg, sizeof(msg));
	msg[3] ^= 0x04;
	EXPECT_STATUS(fk_rsa_verify(g_mod, 3, msg, len, sig), FUSEKEY_ERR_INVALID_SIGNATURE);
	EXPECT_STATUS(fk_rsa_verify(g_mod, 3, rsa_msg, len - 1, sig),
		      FUSEKEY_ERR_INVALID_SIGNATURE);
	/* Another modulus or exponent. */
	memcpy(mod, g_mod, sizeof(mod));
	mod[100] ^= 0x01;
	EXPECT_STATUS(fk_rsa_verify(mod, 3, rsa_msg, len, sig), FUSEKEY_ERR_INVALID_SIGNATURE);
	EXPECT_STATUS(fk_rsa_verify(g_mod, 65537, rsa_msg, len, sig),
		      FUSEKEY_ERR_INVALID_SIGNATURE);
	EXPECT_STATUS(fk_rsa_verify(g_mod, 1, rsa_msg, len, sig), FUSEKEY_ERR_INVALID_SIGNATURE);
	EXPECT_STATUS(fk_rsa_verify(g_mod, 0, rsa_msg, len, sig), FUSEKEY_ERR_INVALID_SIGNATURE);
	/* A signature >= N is never valid. */
	memset(t, 0xff, sizeof(t));
	EXPECT_STATUS(fk_rsa_verify(g_mod, 3, rsa_msg, len, t), FUSEKEY_ERR_INVALID_SIGNATURE);

	/* The empty message signs and verifies too. */
	EXPECT_OK(fk_rsa_sign(g_key, NULL, 0, sig));
	EXPECT_OK(fk_rsa_verify(g_mod, 3, NULL, 0, sig));
	EXPECT_OK(fk_rsa_verify(g_mod, 3, "", 0, sig));
	EXPECT_STATUS(fk_rsa_verify(g_mod, 3, "x", 1, sig), FUSEKEY_ERR_INVALID_SIGNATURE);
}

/* Q1 = floor(S^2/N), Q2 = floor((S^3 - Q1*S*N)/N), checked via the division identities. */
static void test_rsa_q1q2(void **state)
{
	(void)state;
	uint8_t sig[384], q1b[384], q2b[384];
	BN_CTX *bn = BN_CTX_new();
	BIGNUM *n, *s, *q1, *q2, *a = BN_new(), *r = BN_new(), *t = BN_new();
	assert_true(bn && a && r && t);

	EXPECT_OK(fk_rsa_sign(g_key, rsa_msg, strlen(rsa_msg), sig));
	EXPECT_OK(fk_rsa_sigstruct_q1q2(g_mod, sig, q1b, q2b));
	n = BN_lebin2bn(g_mod, 384, NULL);
	s = BN_lebin2bn(sig, 384, NULL);
	q1 = BN_lebin2bn(q1b, 384, NULL);
	q2 = BN_lebin2bn(q2b, 384, NULL);
	assert_true(n && s && q1 && q2);

	/* r = S^2 - Q1*N must satisfy 0 <= r < N. */
	assert_int_equal(BN_sqr(a, s, bn), 1);
	assert_int_equal(BN_mul(t, q1, n, bn), 1);
	assert_int_equal(BN_sub(r, a, t), 1);
	assert_false(BN_is_negative(r));
	assert_true(BN_cmp(r, n) < 0);
	/* r = (S^3 - Q1*S*N) - Q2*N must satisfy 0 <= r < N. */
	assert_int_equal(BN_mul(a, a, s, bn), 1);  /* S^3 */
	assert_int_equal(BN_mul(t, t, s, bn), 1);  /* Q1*N*S */
	assert_int_equal(BN_sub(a, a, t), 1);
	assert_int_equal(BN_mul(t, q2, n, bn), 1);
	assert_int_equal(BN_sub(r, a, t), 1);
	assert_false(BN_is_negative(r));
	assert_true(BN_cmp(r, n) < 0);
	assert_false(BN_is_zero(q1));

	/* Small known case: N = 7, S = 5: Q1 = 25/7 = 3, Q2 = (125 - 105)/7 = 2. */
	uint8_t n7[384] = {7}, s5[384] = {5};
	EXPECT_OK(fk_rsa_sigstruct_q1q2(n7, s5, q1b, q2b));
	assert_int_equal(q1b[0], 3);
	assert_int_equal(q2b[0], 2);
	assert_true(th_all_zero(q1b + 1, 383) && th_all_zero(q2b + 1, 383));

	/* S >= N is no signature. */
	memset(q1b, 0xAA, sizeof(q1b));
	memset(q2b, 0xAA, sizeof(q2b));
	EXPECT_STATUS(fk_rsa_sigstruct_q1q2(s5, n7, q1b, q2b), FUSEKEY_ERR_INVALID_PARAMETER);
	assert_true(th_all_zero(q1b, 384) && th_all_zero(q2b, 384));
	memset(n7, 0, sizeof(n7));
	EXPECT_STATUS(fk_rsa_sigstruct_q1q2(n7, s5, q1b, q2b), FUSEKEY_ERR_INVALID_PARAMETER);

	BN_free(n);
	BN_free(s);
	BN_free(q1);
	BN_free(q2);
	BN_free(a);
	BN_free(r);
	BN_free(t);
	BN_CTX_free(bn);
}

/* Test-only: an OpenSSL key as PEM in a new buffer (to feed the reader keys it
 * must refuse). Unencrypted unless cipher is given. Free with free(). */
static uint8_t *openssl_pem(EVP_PKEY *pkey, const EVP_CIPHER *cipher, const char *pw,
			    size_t *len)
{
	BIO *mem = BIO_new(BIO_s_mem());
	char *data = NULL;
	long n;
	uint8_t *out;

	assert_non_null(mem);
	assert_int_equal(PEM_write_bio_PrivateKey(mem, pkey, cipher, (const unsigned char *)pw,
						  pw != NULL ? (int)strlen(pw) : 0, NULL, NULL),
			 1);
	n = BIO_get_mem_data(mem, &data);
	assert_true(n > 0 && data != NULL);
	out = malloc((size_t)n);
	assert_non_null(out);
	memcpy(out, data, (size_t)n);
	*len = (size_t)n;
	BIO_free(mem);
	return out;
}

static void test_rsa_pem(void **state)
{
	(void)state;
	static const char head[] = "-----BEGIN PRIVATE KEY-----\n";
	uint8_t mod[384], sig[384];
	uint8_t *pem = NULL, *other = NULL;
	size_t len = 0, other_len = 0;
	struct fk_rsa_key *k = NULL;

	EXPECT_OK(fk_rsa_to_pem(g_key, &pem, &len));
	assert_non_null(pem);
	/* PKCS#8, unencrypted; ~2.5 KiB for RSA-3072 */
	assert_true(len > sizeof(head) - 1 && len <= FK_PEM_MAX);
	assert_memory_equal(pem, head, sizeof(head) - 1);

	/* Round trip: same modulus, and the re-read key signs verifiably. */
	EXPECT_OK(fk_rsa_from_pem(pem, len, &k));
	assert_non_null(k);
	EXPECT_OK(fk_rsa_modulus_le(k, mod));
	assert_memory_equal(mod, g_mod, 384);
	EXPECT_OK(fk_rsa_sign(k, rsa_msg, strlen(rsa_msg), sig));
	EXPECT_OK(fk_rsa_verify(g_mod, 3, rsa_msg, strlen(rsa_msg), sig));
	fk_rsa_free(k);
	k = NULL;

	/* Cut short (no END line), empty, or longer than the bound: refused. */
	k = (struct fk_rsa_key *)1;
	EXPECT_STATUS(fk_rsa_from_pem(pem, len / 2, &k), FUSEKEY_ERR_FORMAT);
	assert_null(k);
	EXPECT_STATUS(fk_rsa_from_pem(pem, 0, &k), FUSEKEY_ERR_FORMAT);
	assert_null(k);
	uint8_t *big = malloc(FK_PEM_MAX + 1);
	assert_non_null(big);
	memset(big, '\n', FK_PEM_MAX + 1);
	memcpy(big, pem, len); /* a valid key followed by blank lines, one byte too many */
	EXPECT_STATUS(fk_rsa_from_pem(big, FK_PEM_MAX + 1, &k), FUSEKEY_ERR_FORMAT);
	assert_null(k);
	EXPECT_OK(fk_rsa_from_pem(big, FK_PEM_MAX, &k)); /* the same at the bound is read */
	fk_rsa_free(k);
	k = NULL;
	free(big);

	/* Not a PEM key at all. */
	static const char junk[] =
		"-----BEGIN PRIVATE KEY-----\nnot base64 at all\n-----END PRIVATE KEY-----\n";
	k = (struct fk_rsa_key *)1;
	EXPECT_STATUS(fk_rsa_from_pem((const uint8_t *)junk, strlen(junk), &k), FUSEKEY_ERR_FORMAT);
	assert_null(k);

	/* A well-formed RSA key of the wrong size (1024 bits, e = 3): refused both ways. */
	EVP_PKEY_CTX *kctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	EVP_PKEY *small = NULL;
	BIGNUM *e3 = BN_new();
	assert_true(kctx && e3 && BN_set_word(e3, 3));
	assert_int_equal(EVP_PKEY_keygen_init(kctx), 1);
	assert_true(EVP_PKEY_CTX_set_rsa_keygen_bits(kctx, 1024) > 0);
	assert_true(EVP_PKEY_CTX_set1_rsa_keygen_pubexp(kctx, e3) > 0);
	assert_int_equal(EVP_PKEY_generate(kctx, &small), 1);
	other = openssl_pem(small, NULL, NULL, &other_len);
	k = (struct fk_rsa_key *)1;
	EXPECT_STATUS(fk_rsa_from_pem(other, other_len, &k), FUSEKEY_ERR_FORMAT);
	assert_null(k);
	free(other);
	EVP_PKEY_free(small);
	EVP_PKEY_CTX_free(kctx);
	BN_free(e3);

	/*
	 * A 3072-bit key with e = 65537: our key's numbers with the exponent
	 * replaced (cheaper than generating another 3072-bit key; the reader
	 * must refuse on the exponent alone).
	 */
	EVP_PKEY *full = NULL, *odd = NULL;
	BIO *mem = BIO_new_mem_buf(pem, (int)len);
	assert_non_null(mem);
	full = PEM_read_bio_PrivateKey(mem, NULL, NULL, NULL);
	BIO_free(mem);
	assert_non_null(full);
	static const char *const names[] = {
		OSSL_PKEY_PARAM_RSA_N,	      OSSL_PKEY_PARAM_RSA_D,
		OSSL_PKEY_PARAM_RSA_FACTOR1,   OSSL_PKEY_PARAM_RSA_FACTOR2,
		OSSL_PKEY_PARAM_RSA_EXPONENT1, OSSL_PKEY_PARAM_RSA_EXPONENT2,
		OSSL_PKEY_PARAM_RSA_COEFFICIENT1,
	};
	BIGNUM *v[7] = {NULL}, *e65537 = BN_new();
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	assert_true(bld && e65537 && BN_set_word(e65537, 65537));
	for (size_t i = 0; i < 7; i++) {
		assert_int_equal(EVP_PKEY_get_bn_param(full, names[i], &v[i]), 1);
		assert_int_equal(OSSL_PARAM_BLD_push_BN(bld, names[i], v[i]), 1);
	}
	assert_int_equal(OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e65537), 1);
	OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
	assert_non_null(params);
	kctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	assert_non_null(kctx);
	assert_int_equal(EVP_PKEY_fromdata_init(kctx), 1);
	assert_int_equal(EVP_PKEY_fromdata(kctx, &odd, EVP_PKEY_KEYPAIR, params), 1);
	assert_int_equal(EVP_PKEY_get_bits(odd), 3072);
	other = openssl_pem(odd, NULL, NULL, &other_len);
	struct fk_rsa_key *k2 = NULL;
	EXPECT_STATUS(fk_rsa_from_pem(other, other_len, &k2), FUSEKEY_ERR_FORMAT);
	assert_null(k2);
	free(other);
	for (size_t i = 0; i < 7; i++)
		BN_clear_free(v[i]);
	BN_free(e65537);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	EVP_PKEY_CTX_free(kctx);

	EVP_PKEY_free(odd);

	/* Our own key, but passphrase-encrypted: refused (and no prompt). */
	other = openssl_pem(full, EVP_aes_128_cbc(), "passphrase", &other_len);
	static const char enc_head[] = "-----BEGIN ENCRYPTED PRIVATE KEY-----\n";
	assert_true(other_len > sizeof(enc_head) - 1);
	assert_memory_equal(other, enc_head, sizeof(enc_head) - 1);
	EXPECT_STATUS(fk_rsa_from_pem(other, other_len, &k2), FUSEKEY_ERR_FORMAT);
	assert_null(k2);
	free(other);
	EVP_PKEY_free(full);

	fk_rsa_pem_free(pem, len);
	fk_rsa_pem_free(NULL, 0);
}

static void test_rsa_bad_args(void **state)
{
	(void)state;
	uint8_t sig[384], mod[384];
	memset(sig, 0xAA, sizeof(sig));
	EXPECT_STATUS(fk_rsa_sign(NULL, "x", 1, sig), FUSEKEY_ERR_INVALID_PARAMETER);
	assert_true(th_all_zero(sig, sizeof(sig)));
	memset(sig, 0xAA, sizeof(sig));
	EXPECT_STATUS(fk_rsa_sign(g_key, NULL, 1, sig), FUSEKEY_ERR_INVALID_PARAMETER);
	assert_true(th_all_zero(sig, sizeof(sig)));
	memset(mod, 0xAA, sizeof(mod));
	EXPECT_STATUS(fk_rsa_modulus_le(NULL, mod), FUSEKEY_ERR_INVALID_PARAMETER);
	assert_true(th_all_zero(mod, sizeof(mod)));
	EXPECT_STATUS(fk_rsa_verify(NULL, 3, "x", 1, sig), FUSEKEY_ERR_INVALID_PARAMETER);
	uint8_t *pem = (uint8_t *)1;
	size_t pem_len = 1;
	struct fk_rsa_key *k = (struct fk_rsa_key *)1;
	EXPECT_STATUS(fk_rsa_to_pem(NULL, &pem, &pem_len), FUSEKEY_ERR_INVALID_PARAMETER);
	assert_null(pem);
	assert_int_equal(pem_len, 0);
	EXPECT_STATUS(fk_rsa_to_pem(g_key, NULL, &pem_len), FUSEKEY_ERR_INVALID_PARAMETER);
	EXPECT_STATUS(fk_rsa_to_pem(g_key, &pem, NULL), FUSEKEY_ERR_INVALID_PARAMETER);
	EXPECT_STATUS(fk_rsa_from_pem(NULL, 10, &k), FUSEKEY_ERR_INVALID_PARAMETER);
	assert_null(k);
	EXPECT_STATUS(fk_rsa_from_pem((const uint8_t *)"x", 1, NULL),
		      FUSEKEY_ERR_INVALID_PARAMETER);
	EXPECT_STATUS(fk_rsa3072_generate(NULL), FUSEKEY_ERR_INVALID_PARAMETER);
	fk_rsa_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ct_equal),
		cmocka_unit_test(test_reverse_and_wipe),
		cmocka_unit_test(test_random),
		cmocka_unit_test(test_cmac_rfc4493),
		cmocka_unit_test(test_cmac_bad_args),
		cmocka_unit_test(test_cmac_sgx_kdf_kat),
		cmocka_unit_test(test_cmac_threads),
		cmocka_unit_test(test_gcm_spec_vectors),
		cmocka_unit_test(test_gcm_empty_null),
		cmocka_unit_test(test_gcm_in_place),
		cmocka_unit_test(test_gcm_tamper),
		cmocka_unit_test(test_gcm_bad_args),
		cmocka_unit_test(test_sha256),
		cmocka_unit_test(test_sha256_parts),
		cmocka_unit_test(test_p256_keygen_ecdh),
		cmocka_unit_test(test_p256_ecdh_kat),
		cmocka_unit_test(test_p256_public_edges),
		cmocka_unit_test(test_p256_ecdh_invalid_points),
		cmocka_unit_test(test_p256_ecdh_coordinate_not_reduced),
		cmocka_unit_test(test_p256_ecdh_bad_scalar),
		cmocka_unit_test(test_rsa_key_shape),
		cmocka_unit_test(test_rsa_sign_encoding),
		cmocka_unit_test(test_rsa_verify),
		cmocka_unit_test(test_rsa_q1q2),
		cmocka_unit_test(test_rsa_pem),
		cmocka_unit_test(test_rsa_bad_args),
	};
	/* One group (one TAP plan); its setup makes the RSA key the RSA tests share. */
	return cmocka_run_group_tests_name("crypto", tests, rsa_setup, rsa_teardown);
}
