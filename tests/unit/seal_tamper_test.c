/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The sealed-blob tamper matrix (docs/testing.md §3 row 3).
 *
 * Two blobs per platform mode (sdk-compat constants and a secure random root),
 * enclave A of sgx.md §10 (ISVSVN 0x0304, non-KSS), default MRSIGNER policy:
 *   blob 1: 64-byte plaintext + 16-byte AAD  (640 bytes, 5,120 bits)
 *   blob 2: 16-byte key, no AAD              (576 bytes, 4,608 bits)
 * Every bit of every byte (key request incl. KEYID, header, reserved bytes,
 * tag, ciphertext, AAD) is flipped in an exactly-sized heap copy and the copy
 * unsealed with generous capacities (CAP bytes each, pre-filled with 0xAA).
 * Every case must be refused and leave both output buffers all zero.
 *
 * The status is FUSEKEY_ERR_MAC_MISMATCH except for exactly these documented
 * cases, inherited from sgx_unseal_data and pinned by the SDK vectors
 * (tests/vectors/sgxsdk-sim/seal.json):
 *   - a flip that RAISES key_request.isv_svn (bytes 4..5) above the enclave's
 *     0x0304 -> FUSEKEY_ERR_INVALID_ISVSVN: EGETKEY's ISVSVN refusal passes
 *     through unseal (SDK unseal-070); a flip that lowers it is a wrong key;
 *   - any flip in key_request.cpu_svn (bytes 8..23) -> FUSEKEY_ERR_INVALID_CPUSVN:
 *     the result is none of the platform's CPUSVN values, which EGETKEY
 *     refuses and unseal passes through (SDK unseal-073);
 *   - a flip that makes plain_text_offset (bytes 512..515) zero ->
 *     FUSEKEY_ERR_INVALID_PARAMETER: encrypt length 0 is a parameter error
 *     before any key is derived (SDK unseal-081).
 * Flips of payload_size (bytes 528..531) that claim more AAD than the
 * caller's capacity are asserted separately (test_payload_size_beyond_capacity):
 * such a blob contradicts its own length, so per fusekey.h it is a forged blob
 * (MAC_MISMATCH) whatever the caller's buffer sizes.
 *
 * Then truncation and extension by -16..+16 bytes (0 excluded; extension with
 * 0x00 and with 0xFF bytes) -> MAC_MISMATCH, outputs zero.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform/fk_sim.h"
#include "seal/fk_seal.h"
#include "test_util.h"

enum {
	CAP = 4096, /* unseal capacities for text and AAD: 50x the real payload */
	ENCLAVE_ISVSVN = 0x0304,
	NSTATUS = 20,
};

struct blobs {
	struct fk_platform *p;
	const char *mode;
	uint8_t b1[560 + 64 + 16];
	uint8_t b2[560 + 16];
};

struct fixture {
	struct blobs m[2]; /* sdk-compat, secure */
	uint8_t *out, *aad;
};

static struct {
	size_t total;
	size_t by_status[NSTATUS];
} counts;

static const uint8_t pt64[64] = "sixty-four bytes of plaintext, to be sealed and then tampered wi";
static const uint8_t aad16[16] = "aad-sixteen-byte";
static const uint8_t key16[16] = {0x0f, 0x1e, 0x2d, 0x3c, 0x4b, 0x5a, 0x69, 0x78,
				  0x87, 0x96, 0xa5, 0xb4, 0xc3, 0xd2, 0xe1, 0xf0};

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	struct fk_sgx_identity a;
	struct fk_sim_state st;
	struct fk_seal_policy pol;

	if (fx == NULL)
		return -1;
	fx->out = malloc(CAP);
	fx->aad = malloc(CAP);
	if (fx->out == NULL || fx->aad == NULL)
		return -1;
	th_identity(&a, 0xa1, 0x51);
	fk_seal_policy_default(&pol);
	for (int i = 0; i < 2; i++) {
		if (i == 0)
			fk_sim_state_sdk_compat(&st, FK_SIM_CPUSVN_DEFAULT);
		else if (fk_sim_state_random(&st, FK_SIM_CPUSVN_DEFAULT) != FUSEKEY_OK)
			return -1;
		fx->m[i].mode = i == 0 ? "sdk-compat" : "secure";
		if (fk_sim_platform_new(&st, &a, &fx->m[i].p) != FUSEKEY_OK ||
		    fk_seal(fx->m[i].p, &pol, aad16, 16, pt64, 64, fx->m[i].b1,
			    sizeof(fx->m[i].b1)) != FUSEKEY_OK ||
		    fk_seal(fx->m[i].p, &pol, NULL, 0, key16, 16, fx->m[i].b2,
			    sizeof(fx->m[i].b2)) != FUSEKEY_OK)
			return -1;
		fk_sim_state_clear(&st);
	}
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	for (int i = 0; i < 2; i++)
		fk_platform_destroy(fx->m[i].p);
	free(fx->out);
	free(fx->aad);
	free(fx);
	return 0;
}

/* Unseal `blob` (len bytes, exactly-sized heap copy) with CAP capacities. Returns the
 * status; records a failure message if an output byte is left non-zero. */
static fusekey_status unseal_checked(struct fixture *fx, struct fk_platform *p,
				     const uint8_t *blob, size_t len, bool *outputs_zero)
{
	uint32_t tl = CAP, al = CAP;
	memset(fx->out, 0xAA, CAP);
	memset(fx->aad, 0xAA, CAP);
	fusekey_status st = fk_unseal(p, blob, len, fx->out, &tl, fx->aad, &al);
	*outputs_zero = th_all_zero(fx->out, CAP) && th_all_zero(fx->aad, CAP);
	return st;
}

static void count(fusekey_status st)
{
	counts.total++;
	if ((unsigned)st < NSTATUS)
		counts.by_status[st]++;
}

/* The documented expectation for one flipped bit (see the header comment). */
static fusekey_status expected_flip(const uint8_t *orig, size_t off, int bit)
{
	uint8_t flipped = (uint8_t)(orig[off] ^ (1u << bit));
	if (off == 4 || off == 5) {
		uint8_t lo = off == 4 ? flipped : orig[4];
		uint8_t hi = off == 5 ? flipped : orig[5];
		uint16_t svn = (uint16_t)(lo | hi << 8);
		return svn > ENCLAVE_ISVSVN ? FUSEKEY_ERR_INVALID_ISVSVN : FUSEKEY_ERR_MAC_MISMATCH;
	}
	if (off >= 8 && off < 24)
		return FUSEKEY_ERR_INVALID_CPUSVN;
	if (off >= 512 && off < 516) {
		uint8_t b[4];
		memcpy(b, orig + 512, 4);
		b[off - 512] = flipped;
		return fk_le32(b) == 0 ? FUSEKEY_ERR_INVALID_PARAMETER : FUSEKEY_ERR_MAC_MISMATCH;
	}
	return FUSEKEY_ERR_MAC_MISMATCH;
}

/* True when the flip raises payload_size so far that the claimed AAD exceeds CAP. */
static bool claims_beyond_capacity(const uint8_t *orig, size_t off, int bit)
{
	uint8_t b[4];
	if (off < 528 || off >= 532)
		return false;
	memcpy(b, orig + 528, 4);
	b[off - 528] ^= (uint8_t)(1u << bit);
	uint32_t payload = fk_le32(b), enc = fk_le32(orig + 512);
	return payload >= enc && payload - enc > CAP;
}

static const char *region(size_t off)
{
	if (off < 40)
		return off < 8 ? "key_request head" : (off < 24 ? "cpu_svn" : "attribute_mask");
	if (off < 72)
		return "key_id";
	if (off < 78)
		return off < 76 ? "misc_mask" : "config_svn";
	if (off < 512)
		return "key_request reserved2";
	if (off < 516)
		return "plain_text_offset";
	if (off < 528)
		return "reserved1";
	if (off < 532)
		return "payload_size";
	if (off < 544)
		return "reserved2";
	if (off < 560)
		return "tag";
	return "payload";
}

/* Flip every bit of one blob; `beyond` selects the payload_size-beyond-capacity
 * cells (true) or all the others (false). Returns the number of cells. */
static size_t flip_matrix(struct fixture *fx, struct fk_platform *p, const char *mode,
			  const char *name, const uint8_t *orig, size_t len, bool beyond,
			  size_t *bad)
{
	uint8_t *copy = malloc(len); /* exactly sized: ASan sees any over-read */
	size_t cells = 0;
	assert_non_null(copy);
	for (size_t off = 0; off < len; off++) {
		for (int bit = 0; bit < 8; bit++) {
			if (claims_beyond_capacity(orig, off, bit) != beyond)
				continue;
			memcpy(copy, orig, len);
			copy[off] ^= (uint8_t)(1u << bit);
			bool zero;
			fusekey_status got = unseal_checked(fx, p, copy, len, &zero);
			fusekey_status want = expected_flip(orig, off, bit);
			cells++;
			count(got);
			if (got != want || !zero) {
				(*bad)++;
				if (*bad <= 40)
					print_error("# FAIL %s %s byte %zu (%s) bit %d: got %s want "
						    "%s%s\n",
						    mode, name, off, region(off), bit,
						    fusekey_status_name(got),
						    fusekey_status_name(want),
						    zero ? "" : ", outputs NOT zeroed");
			}
		}
	}
	free(copy);
	return cells;
}

static void test_sanity_blobs_unseal(void **state)
{
	struct fixture *fx = *state;
	for (int i = 0; i < 2; i++) {
		bool zero;
		uint32_t tl = CAP, al = CAP;
		EXPECT_OK(fk_unseal(fx->m[i].p, fx->m[i].b1, sizeof(fx->m[i].b1), fx->out, &tl,
				    fx->aad, &al));
		assert_int_equal(tl, 64);
		assert_int_equal(al, 16);
		assert_memory_equal(fx->out, pt64, 64);
		assert_memory_equal(fx->aad, aad16, 16);
		tl = CAP;
		al = CAP;
		EXPECT_OK(fk_unseal(fx->m[i].p, fx->m[i].b2, sizeof(fx->m[i].b2), fx->out, &tl,
				    fx->aad, &al));
		assert_int_equal(tl, 16);
		assert_int_equal(al, 0);
		assert_memory_equal(fx->out, key16, 16);
		/* the layout the expectations rely on */
		assert_int_equal(fk_le16(fx->m[i].b1 + 4), ENCLAVE_ISVSVN);
		assert_int_equal(fk_le32(fx->m[i].b1 + 512), 64);
		assert_int_equal(fk_le32(fx->m[i].b1 + 528), 80);
		assert_int_equal(fk_le32(fx->m[i].b2 + 512), 16);
		assert_int_equal(fk_le32(fx->m[i].b2 + 528), 16);
		/* the unchanged blob is accepted through the checked path too */
		EXPECT_OK(unseal_checked(fx, fx->m[i].p, fx->m[i].b2, sizeof(fx->m[i].b2), &zero));
		/* the two modes do not open each other's blobs */
		EXPECT_STATUS(unseal_checked(fx, fx->m[1 - i].p, fx->m[i].b1, sizeof(fx->m[i].b1),
					     &zero),
			      FUSEKEY_ERR_MAC_MISMATCH);
		assert_true(zero);
	}
}

static void run_flip_case(void **state, int which)
{
	struct fixture *fx = *state;
	size_t cells = 0, bad = 0;
	for (int i = 0; i < 2; i++) {
		struct blobs *m = &fx->m[i];
		if (which == 1)
			cells += flip_matrix(fx, m->p, m->mode, "blob1", m->b1, sizeof(m->b1),
					     false, &bad);
		else
			cells += flip_matrix(fx, m->p, m->mode, "blob2", m->b2, sizeof(m->b2),
					     false, &bad);
	}
	print_message("# bit-flip matrix blob%d: %zu cells, %zu failures\n", which, cells, bad);
	assert_int_equal(bad, 0);
}

static void test_flip_blob1(void **state)
{
	run_flip_case(state, 1);
}

static void test_flip_blob2(void **state)
{
	run_flip_case(state, 2);
}

static void test_payload_size_beyond_capacity(void **state)
{
	struct fixture *fx = *state;
	size_t cells = 0, bad = 0;
	for (int i = 0; i < 2; i++) {
		struct blobs *m = &fx->m[i];
		cells += flip_matrix(fx, m->p, m->mode, "blob1", m->b1, sizeof(m->b1), true, &bad);
		cells += flip_matrix(fx, m->p, m->mode, "blob2", m->b2, sizeof(m->b2), true, &bad);
	}
	print_message("# payload_size flips beyond the capacity: %zu cells, %zu failures\n", cells,
		      bad);
	assert_true(cells > 0);
	assert_int_equal(bad, 0);
}

static void test_truncate_extend(void **state)
{
	struct fixture *fx = *state;
	size_t cells = 0, bad = 0;
	for (int i = 0; i < 2; i++) {
		const uint8_t *origs[2] = {fx->m[i].b1, fx->m[i].b2};
		const size_t lens[2] = {sizeof(fx->m[i].b1), sizeof(fx->m[i].b2)};
		for (int b = 0; b < 2; b++) {
			for (int delta = -16; delta <= 16; delta++) {
				if (delta == 0)
					continue;
				for (int fill = 0; fill < (delta > 0 ? 2 : 1); fill++) {
					size_t len = (size_t)((long)lens[b] + delta);
					uint8_t *copy = malloc(len);
					bool zero;
					assert_non_null(copy);
					memcpy(copy, origs[b], delta < 0 ? len : lens[b]);
					if (delta > 0)
						memset(copy + lens[b], fill ? 0xFF : 0x00,
						       (size_t)delta);
					fusekey_status got =
						unseal_checked(fx, fx->m[i].p, copy, len, &zero);
					free(copy);
					cells++;
					count(got);
					if (got != FUSEKEY_ERR_MAC_MISMATCH || !zero) {
						bad++;
						print_error("# FAIL %s blob%d length %+d fill %s: %s%s\n",
							    fx->m[i].mode, b + 1, delta,
							    fill ? "ff" : "00",
							    fusekey_status_name(got),
							    zero ? "" : ", outputs NOT zeroed");
					}
				}
			}
		}
	}
	print_message("# truncation/extension: %zu cells, %zu failures\n", cells, bad);
	assert_int_equal(cells, 2 * 2 * (16 + 32));
	assert_int_equal(bad, 0);
}

static void test_totals(void **state)
{
	(void)state;
	print_message("# tamper matrix total: %zu cases\n", counts.total);
	for (unsigned s = 0; s < NSTATUS; s++)
		if (counts.by_status[s])
			print_message("#   %-32s %zu\n", fusekey_status_name((fusekey_status)s),
				      counts.by_status[s]);
	assert_int_equal(counts.by_status[FUSEKEY_OK], 0);
	assert_true(counts.total >= 5000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sanity_blobs_unseal),
		cmocka_unit_test(test_flip_blob1),
		cmocka_unit_test(test_flip_blob2),
		cmocka_unit_test(test_payload_size_beyond_capacity),
		cmocka_unit_test(test_truncate_extend),
		cmocka_unit_test(test_totals),
	};
	return cmocka_run_group_tests_name("seal_tamper", tests, setup, teardown);
}
