/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for src/seal/fk_seal.{h,c} on the emulated platform:
 * the sgx.md §10 seal known answer (byte-exact blob), round trips, the
 * sgx_seal_data_ex parameter checks, identity policies, buffer sizes,
 * mac_aad / unmac_aad, fk_sealed_parse, the reserved header bytes
 * (fusekey is stricter than the SDK there) and KEYID uniqueness.
 */
#include <stdlib.h>
#include <string.h>

#include "platform/fk_sim.h"
#include "seal/fk_seal.h"
#include "test_util.h"

static struct fk_platform *mk_sdk_id(const struct fk_sgx_identity *id)
{
	struct fk_sim_state st;
	struct fk_platform *p = NULL;
	fk_sim_state_sdk_compat(&st, FK_SIM_CPUSVN_DEFAULT);
	EXPECT_OK(fk_sim_platform_new(&st, id, &p));
	return p;
}

/* Enclave A of sgx.md §10 with the given MRENCLAVE / MRSIGNER fills. */
static struct fk_platform *mk_a(uint8_t mre, uint8_t mrs)
{
	struct fk_sgx_identity id;
	th_identity(&id, mre, mrs);
	return mk_sdk_id(&id);
}

static const uint8_t kat_txt[9] = {'h', 'e', 'l', 'l', 'o', ' ', 's', 'g', 'x'};
static const uint8_t kat_aad[4] = {'a', 'a', 'd', '!'};

static void kat_key_id(uint8_t kid[32])
{
	for (int i = 0; i < 32; i++)
		kid[i] = (uint8_t)i;
}

/* ---- known answer ---- */

static void test_seal_kat(void **state)
{
	(void)state;
	struct fk_platform *p = mk_a(0xa1, 0x51);
	struct fk_seal_policy pol;
	uint8_t kid[32], blob[573], want[80], tag[16], payload[13];
	uint32_t size = 0;

	fk_seal_policy_default(&pol);
	assert_int_equal(pol.key_policy, FK_SGX_KEYPOLICY_MRSIGNER);
	assert_true(pol.attr_mask_flags == 0xFF0000000000000BULL);
	assert_true(pol.attr_mask_xfrm == 0);
	assert_true(pol.misc_mask == 0xF0000000u);
	assert_true(fk_seal_size(4, 9, &size));
	assert_int_equal(size, 573);

	kat_key_id(kid);
	memset(blob, 0xAA, sizeof(blob));
	EXPECT_OK(fk_seal_with_key_id(p, &pol, kid, kat_aad, 4, kat_txt, 9, blob, 573));

	/* key request bytes [0,80), zeros to 512 */
	th_hex("04000200"
	       "04030000"
	       "4820f3376ae6b2f2034d3b7a4b48a778"
	       "0b000000000000ff"
	       "0000000000000000"
	       "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
	       "000000f0"
	       "0000",
	       want, 78);
	assert_memory_equal(blob, want, 78);
	assert_true(th_all_zero(blob + 78, 512 - 78));
	/* @512: 09000000 + 12 zero; @528: 0d000000 + 12 zero */
	static const uint8_t nine[4] = {0x09, 0, 0, 0}, thirteen[4] = {0x0d, 0, 0, 0};
	assert_memory_equal(blob + 512, nine, 4);
	assert_true(th_all_zero(blob + 516, 12));
	assert_memory_equal(blob + 528, thirteen, 4);
	assert_true(th_all_zero(blob + 532, 12));
	th_hex("e846353834e5baf42920a14fe4cf91b4", tag, 16);
	assert_memory_equal(blob + 544, tag, 16);
	th_hex("6c3369b252f3e5be7e61616421", payload, 13);
	assert_memory_equal(blob + 560, payload, 13);

	/* the seal key of the stored request (sgx.md §10) */
	uint8_t key[16], want_key[16];
	th_hex("b3ebedcc5761ffc077832297b79f9d0e", want_key, 16);
	EXPECT_OK(fk_platform_get_key(p, (const struct fk_sgx_key_request *)blob, key));
	assert_memory_equal(key, want_key, 16);

	/* and it unseals */
	uint8_t txt[9], aad[4];
	uint32_t tl = 9, al = 4;
	EXPECT_OK(fk_unseal(p, blob, 573, txt, &tl, aad, &al));
	assert_int_equal(tl, 9);
	assert_int_equal(al, 4);
	assert_memory_equal(txt, kat_txt, 9);
	assert_memory_equal(aad, kat_aad, 4);
	fk_platform_destroy(p);
}

/* ---- round trips ---- */

static void test_round_trip_random_keyid(void **state)
{
	(void)state;
	struct fk_platform *p = mk_a(0xa1, 0x51);
	struct fk_seal_policy pol;
	uint8_t txt[100], aad[20], b1[680], b2[680], out[100], oaad[20];
	uint32_t tl, al;

	fk_seal_policy_default(&pol);
	for (int i = 0; i < 100; i++)
		txt[i] = (uint8_t)(i * 3);
	memset(aad, 0x61, sizeof(aad));
	EXPECT_OK(fk_seal(p, &pol, aad, 20, txt, 100, b1, 680));
	EXPECT_OK(fk_seal(p, &pol, aad, 20, txt, 100, b2, 680));
	/* fresh KEYID each time, hence another key, another ciphertext and tag */
	assert_memory_not_equal(b1 + 40, b2 + 40, 32);
	assert_memory_not_equal(b1 + 560, b2 + 560, 100);
	assert_memory_not_equal(b1 + 544, b2 + 544, 16);
	/* same request otherwise */
	assert_memory_equal(b1, b2, 40);
	assert_memory_equal(b1 + 72, b2 + 72, 512 - 72);
	/* the ciphertext is not the plaintext; the AAD is in clear at the end */
	assert_memory_not_equal(b1 + 560, txt, 100);
	assert_memory_equal(b1 + 660, aad, 20);

	tl = 100;
	al = 20;
	EXPECT_OK(fk_unseal(p, b1, 680, out, &tl, oaad, &al));
	assert_memory_equal(out, txt, 100);
	assert_memory_equal(oaad, aad, 20);
	tl = 100;
	al = 20;
	EXPECT_OK(fk_unseal(p, b2, 680, out, &tl, oaad, &al));
	assert_memory_equal(out, txt, 100);

	/* generous caller buffers: lengths are reported back */
	uint8_t big[500], bigaad[64];
	tl = sizeof(big);
	al = sizeof(bigaad);
	EXPECT_OK(fk_unseal(p, b1, 680, big, &tl, bigaad, &al));
	assert_int_equal(tl, 100);
	assert_int_equal(al, 20);

	/* no AAD: NULL aad with capacity 0 */
	uint8_t b3[576];
	EXPECT_OK(fk_seal(p, &pol, NULL, 0, txt, 16, b3, 576));
	tl = 16;
	al = 0;
	EXPECT_OK(fk_unseal(p, b3, 576, out, &tl, NULL, &al));
	assert_int_equal(tl, 16);
	assert_int_equal(al, 0);
	assert_memory_equal(out, txt, 16);

	/* secure mode round trip too */
	struct fk_sim_state rnd;
	struct fk_sgx_identity a;
	struct fk_platform *ps = NULL;
	th_identity(&a, 0xa1, 0x51);
	EXPECT_OK(fk_sim_state_random(&rnd, FK_SIM_CPUSVN_DEFAULT));
	EXPECT_OK(fk_sim_platform_new(&rnd, &a, &ps));
	EXPECT_OK(fk_seal(ps, &pol, aad, 20, txt, 100, b1, 680));
	tl = 100;
	al = 20;
	EXPECT_OK(fk_unseal(ps, b1, 680, out, &tl, oaad, &al));
	assert_memory_equal(out, txt, 100);
	fk_platform_destroy(ps);
	fk_sim_state_clear(&rnd);
	fk_platform_destroy(p);
}

/* ---- parameter checks ---- */

/* fk_seal with blob_size = the real buffer size (576), pre-filled with 0xAA:
 * on failure the whole buffer must be zero (fk_seal.h "blob is zeroed on failure"). */
static fusekey_status seal_into(struct fk_platform *p, const struct fk_seal_policy *pol,
				const uint8_t *aad, uint32_t aad_len, const uint8_t *txt,
				uint32_t txt_len, uint32_t blob_size)
{
	uint8_t blob[600];
	assert_true(blob_size <= sizeof(blob));
	memset(blob, 0xAA, sizeof(blob));
	fusekey_status st = fk_seal(p, pol, aad, aad_len, txt, txt_len, blob, blob_size);
	if (st != FUSEKEY_OK)
		assert_true(th_all_zero(blob, blob_size));
	for (size_t i = blob_size; i < sizeof(blob); i++)
		assert_int_equal(blob[i], 0xAA); /* nothing written past blob_size */
	return st;
}

static void test_policy_checks(void **state)
{
	(void)state;
	struct fk_platform *p = mk_a(0xa1, 0x51);
	struct fk_seal_policy pol, bad;
	uint8_t txt[16] = {1};

	fk_seal_policy_default(&pol);
	EXPECT_OK(fk_seal_policy_check(&pol));
	EXPECT_OK(seal_into(p, &pol, NULL, 0, txt, 16, 576));
	/* no MRSIGNER/MRENCLAVE, or bits above 0x3F */
	static const uint16_t bad_pols[] = {0x0000, 0x0004, 0x0008, 0x0010, 0x0020, 0x0038,
					    0x0042, 0x0082, 0x0102, 0x8002, 0xFFFF};
	for (size_t i = 0; i < sizeof(bad_pols) / sizeof(bad_pols[0]); i++) {
		bad = pol;
		bad.key_policy = bad_pols[i];
		EXPECT_STATUS(fk_seal_policy_check(&bad), FUSEKEY_ERR_INVALID_PARAMETER);
		EXPECT_STATUS(seal_into(p, &bad, NULL, 0, txt, 16, 576),
			      FUSEKEY_ERR_INVALID_PARAMETER);
	}
	static const uint16_t good_pols[] = {0x01, 0x02, 0x03, 0x3F, 0x3A};
	for (size_t i = 0; i < sizeof(good_pols) / sizeof(good_pols[0]); i++) {
		bad = pol;
		bad.key_policy = good_pols[i];
		EXPECT_OK(fk_seal_policy_check(&bad));
	}
	/* masks without DEBUG or INITTED */
	static const uint64_t bad_masks[] = {0xFF00000000000009ULL, 0xFF0000000000000AULL, 0, 0x4,
					     ~0ULL & ~0x2ULL};
	for (size_t i = 0; i < sizeof(bad_masks) / sizeof(bad_masks[0]); i++) {
		bad = pol;
		bad.attr_mask_flags = bad_masks[i];
		EXPECT_STATUS(fk_seal_policy_check(&bad), FUSEKEY_ERR_INVALID_PARAMETER);
		EXPECT_STATUS(seal_into(p, &bad, NULL, 0, txt, 16, 576),
			      FUSEKEY_ERR_INVALID_PARAMETER);
	}
	bad = pol;
	bad.attr_mask_flags = 0x3;
	EXPECT_OK(fk_seal_policy_check(&bad));
	EXPECT_OK(seal_into(p, &bad, NULL, 0, txt, 16, 576));
	EXPECT_STATUS(fk_seal_policy_check(NULL), FUSEKEY_ERR_INVALID_PARAMETER);
	EXPECT_STATUS(seal_into(p, NULL, NULL, 0, txt, 16, 576), FUSEKEY_ERR_INVALID_PARAMETER);

	/* blob_size not exactly 560 + aad + txt */
	EXPECT_STATUS(seal_into(p, &pol, NULL, 0, txt, 16, 575), FUSEKEY_ERR_INVALID_PARAMETER);
	EXPECT_STATUS(seal_into(p, &pol, NULL, 0, txt, 16, 577), FUSEKEY_ERR_INVALID_PARAMETER);
	EXPECT_STATUS(seal_into(p, &pol, NULL, 0, txt, 15, 576), FUSEKEY_ERR_INVALID_PARAMETER);
	EXPECT_STATUS(seal_into(p, &pol, NULL, 0, txt, 16, 0), FUSEKEY_ERR_INVALID_PARAMETER);
	EXPECT_STATUS(seal_into(p, &pol, txt, 1, txt, 16, 576), FUSEKEY_ERR_INVALID_PARAMETER);
	/* txt_len 0; AAD length without AAD; TXT length without text; 32-bit overflow */
	EXPECT_STATUS(seal_into(p, &pol, NULL, 0, txt, 0, 560), FUSEKEY_ERR_INVALID_PARAMETER);
	EXPECT_STATUS(seal_into(p, &pol, txt, 16, txt, 0, 576), FUSEKEY_ERR_INVALID_PARAMETER);
	EXPECT_STATUS(seal_into(p, &pol, NULL, 16, txt, 16, 592), FUSEKEY_ERR_INVALID_PARAMETER);
	EXPECT_STATUS(seal_into(p, &pol, NULL, 0, NULL, 16, 576), FUSEKEY_ERR_INVALID_PARAMETER);
	EXPECT_STATUS(seal_into(p, &pol, txt, UINT32_MAX, txt, 16, 576),
		      FUSEKEY_ERR_INVALID_PARAMETER);
	EXPECT_STATUS(seal_into(p, &pol, txt, UINT32_MAX - 560 - 15, txt, 16, 576),
		      FUSEKEY_ERR_INVALID_PARAMETER);
	uint8_t kid[32] = {0}, blob[560];
	memset(blob, 0xAA, sizeof(blob));
	EXPECT_STATUS(fk_seal_with_key_id(p, &pol, kid, NULL, 0, txt, 0, blob, 560),
		      FUSEKEY_ERR_INVALID_PARAMETER);
	assert_true(th_all_zero(blob, sizeof(blob)));
	EXPECT_STATUS(fk_seal(p, &pol, NULL, 0, txt, 16, NULL, 576), FUSEKEY_ERR_INVALID_PARAMETER);
	fk_platform_destroy(p);
}

static void test_kss_policy_on_plain_enclave(void **state)
{
	(void)state;
	struct fk_platform *p = mk_a(0xa1, 0x51);
	struct fk_seal_policy pol;
	uint8_t blob[576], txt[16] = {7};

	fk_seal_policy_default(&pol);
	static const uint16_t kss_pols[] = {0x06, 0x0A, 0x12, 0x22, 0x3A};
	for (size_t i = 0; i < sizeof(kss_pols) / sizeof(kss_pols[0]); i++) {
		pol.key_policy = kss_pols[i];
		memset(blob, 0xAA, sizeof(blob));
		EXPECT_STATUS(fk_seal(p, &pol, NULL, 0, txt, 16, blob, 576), FUSEKEY_ERR_UNEXPECTED);
		assert_true(th_all_zero(blob, sizeof(blob)));
	}
	fk_platform_destroy(p);

	/* the same policies work for a KSS enclave */
	struct fk_sgx_identity k;
	th_identity(&k, 0xa1, 0x51);
	k.flags |= FK_SGX_FLAGS_KSS;
	k.config_svn = 2;
	memset(k.config_id, 0x33, 64);
	p = mk_sdk_id(&k);
	for (size_t i = 0; i < sizeof(kss_pols) / sizeof(kss_pols[0]); i++) {
		uint8_t out[16];
		uint32_t tl = 16, al = 0;
		pol.key_policy = kss_pols[i];
		EXPECT_OK(fk_seal(p, &pol, NULL, 0, txt, 16, blob, 576));
		assert_int_equal(fk_le16(blob + 2), kss_pols[i]);
		assert_int_equal(fk_le16(blob + 76), 2); /* config_svn from the enclave */
		EXPECT_OK(fk_unseal(p, blob, 576, out, &tl, NULL, &al));
		assert_memory_equal(out, txt, 16);
	}
	fk_platform_destroy(p);
}

/* ---- identity policies ---- */

static fusekey_status try_unseal(struct fk_platform *p, const uint8_t *blob, size_t len,
				 uint32_t cap)
{
	uint8_t out[64], aad[64];
	uint32_t tl = cap, al = cap;
	assert_true(cap <= 64);
	memset(out, 0xAA, sizeof(out));
	memset(aad, 0xAA, sizeof(aad));
	fusekey_status st = fk_unseal(p, blob, len, out, &tl, aad, &al);
	if (st != FUSEKEY_OK) {
		assert_true(th_all_zero(out, cap));
		assert_true(th_all_zero(aad, cap));
	}
	return st;
}

static void test_identity_policies(void **state)
{
	(void)state;
	struct fk_platform *a = mk_a(0xa1, 0x51);
	struct fk_platform *other_enclave = mk_a(0xa2, 0x51);
	struct fk_platform *other_signer = mk_a(0xa1, 0x52);
	struct fk_sgx_identity prod;
	th_identity(&prod, 0xa1, 0x51);
	prod.flags &= ~FK_SGX_FLAGS_DEBUG; /* A's production twin */
	struct fk_platform *twin = mk_sdk_id(&prod);
	struct fk_seal_policy pol;
	uint8_t blob[560 + 32], txt[24], aad[8];

	memset(txt, 0x5e, sizeof(txt));
	memset(aad, 0x11, sizeof(aad));
	fk_seal_policy_default(&pol);

	/* MRSIGNER: another enclave of the same signer unseals; another signer does not */
	EXPECT_OK(fk_seal(a, &pol, aad, 8, txt, 24, blob, sizeof(blob)));
	EXPECT_OK(try_unseal(a, blob, sizeof(blob), 64));
	EXPECT_OK(try_unseal(other_enclave, blob, sizeof(blob), 64));
	EXPECT_STATUS(try_unseal(other_signer, blob, sizeof(blob), 64), FUSEKEY_ERR_MAC_MISMATCH);
	EXPECT_STATUS(try_unseal(twin, blob, sizeof(blob), 64), FUSEKEY_ERR_MAC_MISMATCH);

	/* MRENCLAVE: another enclave does not unseal; same MRENCLAVE, other signer does */
	pol.key_policy = FK_SGX_KEYPOLICY_MRENCLAVE;
	EXPECT_OK(fk_seal(a, &pol, aad, 8, txt, 24, blob, sizeof(blob)));
	EXPECT_OK(try_unseal(a, blob, sizeof(blob), 64));
	EXPECT_STATUS(try_unseal(other_enclave, blob, sizeof(blob), 64), FUSEKEY_ERR_MAC_MISMATCH);
	EXPECT_OK(try_unseal(other_signer, blob, sizeof(blob), 64));
	EXPECT_STATUS(try_unseal(twin, blob, sizeof(blob), 64), FUSEKEY_ERR_MAC_MISMATCH);

	/* both */
	pol.key_policy = FK_SGX_KEYPOLICY_MRENCLAVE | FK_SGX_KEYPOLICY_MRSIGNER;
	EXPECT_OK(fk_seal(a, &pol, aad, 8, txt, 24, blob, sizeof(blob)));
	EXPECT_OK(try_unseal(a, blob, sizeof(blob), 64));
	EXPECT_STATUS(try_unseal(other_enclave, blob, sizeof(blob), 64), FUSEKEY_ERR_MAC_MISMATCH);
	EXPECT_STATUS(try_unseal(other_signer, blob, sizeof(blob), 64), FUSEKEY_ERR_MAC_MISMATCH);

	/* DEBUG twin, the other direction: production seals, debug twin refused */
	fk_seal_policy_default(&pol);
	EXPECT_OK(fk_seal(twin, &pol, aad, 8, txt, 24, blob, sizeof(blob)));
	EXPECT_OK(try_unseal(twin, blob, sizeof(blob), 64));
	EXPECT_STATUS(try_unseal(a, blob, sizeof(blob), 64), FUSEKEY_ERR_MAC_MISMATCH);
	/* even with the smallest legal mask, DEBUG stays bound */
	pol.attr_mask_flags = FK_SGX_FLAGS_INITTED | FK_SGX_FLAGS_DEBUG;
	EXPECT_OK(fk_seal(twin, &pol, aad, 8, txt, 24, blob, sizeof(blob)));
	EXPECT_STATUS(try_unseal(a, blob, sizeof(blob), 64), FUSEKEY_ERR_MAC_MISMATCH);

	fk_platform_destroy(a);
	fk_platform_destroy(other_enclave);
	fk_platform_destroy(other_signer);
	fk_platform_destroy(twin);
}

static void test_buffers_too_small(void **state)
{
	(void)state;
	struct fk_platform *p = mk_a(0xa1, 0x51);
	struct fk_seal_policy pol;
	uint8_t blob[560 + 40], txt[30], aad[10], out[64], oaad[64];
	uint32_t tl, al;

	fk_seal_policy_default(&pol);
	memset(txt, 0x71, sizeof(txt));
	memset(aad, 0x72, sizeof(aad));
	EXPECT_OK(fk_seal(p, &pol, aad, 10, txt, 30, blob, sizeof(blob)));

	memset(out, 0xAA, sizeof(out));
	memset(oaad, 0xAA, sizeof(oaad));
	tl = 29;
	al = 10;
	EXPECT_STATUS(fk_unseal(p, blob, sizeof(blob), out, &tl, oaad, &al),
		      FUSEKEY_ERR_INVALID_PARAMETER);
	assert_true(th_all_zero(out, 29));
	assert_true(th_all_zero(oaad, 10));
	assert_int_equal(out[29], 0xAA); /* nothing written past the capacity */
	assert_int_equal(oaad[10], 0xAA);

	memset(out, 0xAA, sizeof(out));
	memset(oaad, 0xAA, sizeof(oaad));
	tl = 30;
	al = 9;
	EXPECT_STATUS(fk_unseal(p, blob, sizeof(blob), out, &tl, oaad, &al),
		      FUSEKEY_ERR_INVALID_PARAMETER);
	assert_true(th_all_zero(out, 30));
	assert_true(th_all_zero(oaad, 9));
	assert_int_equal(oaad[9], 0xAA);

	tl = 30;
	al = 0;
	EXPECT_STATUS(fk_unseal(p, blob, sizeof(blob), out, &tl, NULL, &al),
		      FUSEKEY_ERR_INVALID_PARAMETER);
	/* NULL buffers with non-zero capacity, NULL length pointers */
	tl = 30;
	al = 10;
	EXPECT_STATUS(fk_unseal(p, blob, sizeof(blob), NULL, &tl, oaad, &al),
		      FUSEKEY_ERR_INVALID_PARAMETER);
	EXPECT_STATUS(fk_unseal(p, blob, sizeof(blob), out, NULL, oaad, &al),
		      FUSEKEY_ERR_INVALID_PARAMETER);
	EXPECT_STATUS(fk_unseal(p, blob, sizeof(blob), out, &tl, oaad, NULL),
		      FUSEKEY_ERR_INVALID_PARAMETER);

	/* exact capacities work */
	tl = 30;
	al = 10;
	EXPECT_OK(fk_unseal(p, blob, sizeof(blob), out, &tl, oaad, &al));
	assert_memory_equal(out, txt, 30);
	assert_memory_equal(oaad, aad, 10);

	/* a blob shorter than the header */
	memset(out, 0xAA, sizeof(out));
	tl = 30;
	al = 10;
	EXPECT_STATUS(fk_unseal(p, blob, 559, out, &tl, oaad, &al), FUSEKEY_ERR_MAC_MISMATCH);
	assert_true(th_all_zero(out, 30));
	EXPECT_STATUS(fk_unseal(p, NULL, 0, out, &tl, oaad, &al), FUSEKEY_ERR_MAC_MISMATCH);
	fk_platform_destroy(p);
}

/* ---- mac_aad / unmac_aad ---- */

static void test_mac_aad(void **state)
{
	(void)state;
	struct fk_platform *p = mk_a(0xa1, 0x51);
	struct fk_platform *other = mk_a(0xa1, 0x52);
	struct fk_seal_policy pol;
	uint8_t aad[37], blob[560 + 37], out[64];
	uint32_t al;

	fk_seal_policy_default(&pol);
	for (int i = 0; i < 37; i++)
		aad[i] = (uint8_t)(0xC0 + i);
	EXPECT_OK(fk_mac_aad(p, &pol, NULL, aad, 37, blob, sizeof(blob)));
	assert_int_equal(fk_le32(blob + 512), 0);  /* plain_text_offset */
	assert_int_equal(fk_le32(blob + 528), 37); /* payload_size */
	assert_memory_equal(blob + 560, aad, 37);  /* AAD in clear */

	al = 64;
	memset(out, 0xAA, sizeof(out));
	EXPECT_OK(fk_unmac_aad(p, blob, sizeof(blob), out, &al));
	assert_int_equal(al, 37);
	assert_memory_equal(out, aad, 37);

	/* another signer: refused, output zeroed */
	al = 64;
	memset(out, 0xAA, sizeof(out));
	EXPECT_STATUS(fk_unmac_aad(other, blob, sizeof(blob), out, &al), FUSEKEY_ERR_MAC_MISMATCH);
	assert_true(th_all_zero(out, 64));
	/* AAD edited: refused */
	blob[560 + 36] ^= 0x01;
	al = 64;
	EXPECT_STATUS(fk_unmac_aad(p, blob, sizeof(blob), out, &al), FUSEKEY_ERR_MAC_MISMATCH);
	assert_true(th_all_zero(out, 64));
	blob[560 + 36] ^= 0x01;
	/* capacity one short */
	al = 36;
	EXPECT_STATUS(fk_unmac_aad(p, blob, sizeof(blob), out, &al), FUSEKEY_ERR_INVALID_PARAMETER);
	/* fk_unseal on an AAD-only blob: encrypt length 0 -> INVALID_PARAMETER (SDK unseal-060) */
	uint32_t tl = 64;
	al = 64;
	uint8_t oaad[64];
	EXPECT_STATUS(fk_unseal(p, blob, sizeof(blob), out, &tl, oaad, &al),
		      FUSEKEY_ERR_INVALID_PARAMETER);

	/* unmac refuses a blob with ciphertext (SDK unseal-061/062) */
	uint8_t sb[560 + 16 + 4], txt[16] = {9};
	EXPECT_OK(fk_seal(p, &pol, aad, 4, txt, 16, sb, sizeof(sb)));
	al = 64;
	memset(out, 0xAA, sizeof(out));
	EXPECT_STATUS(fk_unmac_aad(p, sb, sizeof(sb), out, &al), FUSEKEY_ERR_MAC_MISMATCH);
	assert_true(th_all_zero(out, 64));
	uint8_t sb2[576];
	EXPECT_OK(fk_seal(p, &pol, NULL, 0, txt, 16, sb2, sizeof(sb2)));
	al = 64;
	EXPECT_STATUS(fk_unmac_aad(p, sb2, sizeof(sb2), out, &al), FUSEKEY_ERR_MAC_MISMATCH);

	/* mac_aad with a fixed KEYID is deterministic; zero-length AAD refused */
	uint8_t kid[32], b1[560 + 37], b2[560 + 37];
	kat_key_id(kid);
	EXPECT_OK(fk_mac_aad(p, &pol, kid, aad, 37, b1, sizeof(b1)));
	EXPECT_OK(fk_mac_aad(p, &pol, kid, aad, 37, b2, sizeof(b2)));
	assert_memory_equal(b1, b2, sizeof(b1));
	assert_memory_equal(b1 + 40, kid, 32);
	EXPECT_STATUS(fk_mac_aad(p, &pol, NULL, aad, 0, blob, 560), FUSEKEY_ERR_INVALID_PARAMETER);
	EXPECT_STATUS(fk_mac_aad(p, &pol, NULL, aad, 37, blob, 596), FUSEKEY_ERR_INVALID_PARAMETER);

	fk_platform_destroy(p);
	fk_platform_destroy(other);
}

/* ---- parse ---- */

static void test_sealed_parse(void **state)
{
	(void)state;
	struct fk_platform *p = mk_a(0xa1, 0x51);
	struct fk_seal_policy pol;
	struct fk_sealed_info info;
	uint8_t kid[32], blob[573];

	fk_seal_policy_default(&pol);
	kat_key_id(kid);
	EXPECT_OK(fk_seal_with_key_id(p, &pol, kid, kat_aad, 4, kat_txt, 9, blob, 573));
	memset(&info, 0xAA, sizeof(info));
	EXPECT_OK(fk_sealed_parse(blob, 573, &info));
	assert_int_equal(info.request.key_name, 4);
	assert_int_equal(info.request.key_policy, 2);
	assert_int_equal(info.request.isv_svn, 0x0304);
	assert_memory_equal(info.request.cpu_svn, fk_sim_cpusvn_values[0], 16);
	assert_true(info.request.attr_mask_flags == 0xFF0000000000000BULL);
	assert_true(info.request.misc_mask == 0xF0000000u);
	assert_memory_equal(info.request.key_id, kid, 32);
	assert_true(info.request.reserved_zero);
	assert_int_equal(info.txt_len, 9);
	assert_int_equal(info.payload_size, 13);
	assert_int_equal(info.aad_len, 4);
	assert_true(info.reserved_zero);
	assert_true(info.length_matches);
	uint8_t tag[16];
	th_hex("e846353834e5baf42920a14fe4cf91b4", tag, 16);
	assert_memory_equal(info.tag, tag, 16);

	/* length mismatch and reserved bytes are reported, not fatal */
	EXPECT_OK(fk_sealed_parse(blob, 572, &info));
	assert_false(info.length_matches);
	blob[520] = 1;
	EXPECT_OK(fk_sealed_parse(blob, 573, &info));
	assert_false(info.reserved_zero);
	blob[520] = 0;
	blob[100] = 1; /* key request reserved2 */
	EXPECT_OK(fk_sealed_parse(blob, 573, &info));
	assert_false(info.request.reserved_zero);
	assert_true(info.reserved_zero);
	blob[100] = 0;

	/* inconsistent lengths / short blob -> FORMAT, output zeroed */
	fk_put_le32(blob + 512, 14); /* plain_text_offset > payload_size */
	memset(&info, 0xAA, sizeof(info));
	EXPECT_STATUS(fk_sealed_parse(blob, 573, &info), FUSEKEY_ERR_FORMAT);
	assert_true(th_all_zero(&info, sizeof(info)));
	fk_put_le32(blob + 512, 9);
	EXPECT_STATUS(fk_sealed_parse(blob, 559, &info), FUSEKEY_ERR_FORMAT);
	EXPECT_STATUS(fk_sealed_parse(NULL, 0, &info), FUSEKEY_ERR_FORMAT);
	EXPECT_STATUS(fk_sealed_parse(blob, 573, NULL), FUSEKEY_ERR_INVALID_PARAMETER);
	fk_platform_destroy(p);
}

/* ---- reserved header bytes (stricter than the SDK, which ignores them) ---- */

static void test_reserved_header_bytes(void **state)
{
	(void)state;
	struct fk_platform *p = mk_a(0xa1, 0x51);
	struct fk_seal_policy pol;
	uint8_t blob[560 + 20], txt[16], aad[4] = {1, 2, 3, 4}, out[32], oaad[32];
	uint32_t tl, al;

	fk_seal_policy_default(&pol);
	memset(txt, 0x42, sizeof(txt));
	EXPECT_OK(fk_seal(p, &pol, aad, 4, txt, 16, blob, sizeof(blob)));
	static const size_t offs[] = {516, 521, 527, 532, 538, 543};
	for (size_t i = 0; i < sizeof(offs) / sizeof(offs[0]); i++) {
		static const uint8_t vals[] = {0x01, 0x80, 0xFF};
		for (size_t j = 0; j < 3; j++) {
			blob[offs[i]] = vals[j];
			memset(out, 0xAA, sizeof(out));
			memset(oaad, 0xAA, sizeof(oaad));
			tl = sizeof(out);
			al = sizeof(oaad);
			EXPECT_STATUS(fk_unseal(p, blob, sizeof(blob), out, &tl, oaad, &al),
				      FUSEKEY_ERR_MAC_MISMATCH);
			assert_true(th_all_zero(out, sizeof(out)));
			assert_true(th_all_zero(oaad, sizeof(oaad)));
			assert_int_equal(tl, sizeof(out)); /* lengths untouched on failure */
			assert_int_equal(al, sizeof(oaad));
		}
		blob[offs[i]] = 0;
	}
	tl = sizeof(out);
	al = sizeof(oaad);
	EXPECT_OK(fk_unseal(p, blob, sizeof(blob), out, &tl, oaad, &al));
	assert_memory_equal(out, txt, 16);
	fk_platform_destroy(p);
}

/* ---- KEYID uniqueness ---- */

enum { NSEALS = 10000 };

static int cmp_kid(const void *a, const void *b)
{
	return memcmp(a, b, 32);
}

static int cmp_tag(const void *a, const void *b)
{
	return memcmp(a, b, 16);
}

static void test_keyid_uniqueness(void **state)
{
	(void)state;
	struct fk_platform *p = mk_a(0xa1, 0x51);
	struct fk_seal_policy pol;
	uint8_t blob[576], txt[16] = {0};
	uint8_t(*kids)[32] = malloc(sizeof(uint8_t[32]) * NSEALS);
	uint8_t(*tags)[16] = malloc(sizeof(uint8_t[16]) * NSEALS);

	assert_non_null(kids);
	assert_non_null(tags);
	fk_seal_policy_default(&pol);
	for (size_t i = 0; i < NSEALS; i++) {
		EXPECT_OK(fk_seal(p, &pol, NULL, 0, txt, 16, blob, sizeof(blob)));
		memcpy(kids[i], blob + 40, 32);
		memcpy(tags[i], blob + 544, 16);
	}
	qsort(kids, NSEALS, 32, cmp_kid);
	size_t dups = 0;
	for (size_t i = 1; i < NSEALS; i++)
		if (memcmp(kids[i - 1], kids[i], 32) == 0)
			dups++;
	assert_int_equal(dups, 0);
	/* same plaintext, same (zero) IV: distinct keys show as distinct tags */
	qsort(tags, NSEALS, 16, cmp_tag);
	for (size_t i = 1; i < NSEALS; i++)
		if (memcmp(tags[i - 1], tags[i], 16) == 0)
			dups++;
	assert_int_equal(dups, 0);
	free(kids);
	free(tags);
	print_message("# %d seals: 0 duplicate KEYIDs, 0 duplicate tags\n", NSEALS);
	fk_platform_destroy(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seal_kat),
		cmocka_unit_test(test_round_trip_random_keyid),
		cmocka_unit_test(test_policy_checks),
		cmocka_unit_test(test_kss_policy_on_plain_enclave),
		cmocka_unit_test(test_identity_policies),
		cmocka_unit_test(test_buffers_too_small),
		cmocka_unit_test(test_mac_aad),
		cmocka_unit_test(test_sealed_parse),
		cmocka_unit_test(test_reserved_header_bytes),
		cmocka_unit_test(test_keyid_uniqueness),
	};
	return cmocka_run_group_tests_name("seal", tests, NULL, NULL);
}
