/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for src/sgx/fk_sgx.{h,c}: little-endian helpers, key request
 * encoding, report body / target info layout, sealed-size arithmetic.
 * Offsets are the ones of shared/docs/reference/sgx.md §2 and §6, written
 * here as literal numbers on purpose (not offsetof of the structs under test).
 */
#include <string.h>

#include "test_util.h"

/* ---- little-endian loads and stores ---- */

static void test_le_store_byte_order(void **state)
{
	(void)state;
	uint8_t b[8];

	memset(b, 0xEE, sizeof(b));
	fk_put_le16(b, 0x1234);
	assert_int_equal(b[0], 0x34);
	assert_int_equal(b[1], 0x12);
	assert_int_equal(b[2], 0xEE); /* nothing written past the field */

	memset(b, 0xEE, sizeof(b));
	fk_put_le32(b, 0x89ABCDEFu);
	static const uint8_t want32[4] = {0xEF, 0xCD, 0xAB, 0x89};
	assert_memory_equal(b, want32, 4);
	assert_int_equal(b[4], 0xEE);

	fk_put_le64(b, 0x0102030405060708ULL);
	static const uint8_t want64[8] = {8, 7, 6, 5, 4, 3, 2, 1};
	assert_memory_equal(b, want64, 8);
}

static void test_le_load_byte_order(void **state)
{
	(void)state;
	static const uint8_t b[8] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0xF8};

	assert_int_equal(fk_le16(b), 0x0201);
	assert_int_equal(fk_le32(b), 0x04030201u);
	assert_true(fk_le64(b) == 0xF807060504030201ULL);
	/* high bit set in the top byte: no sign extension anywhere */
	static const uint8_t hi[8] = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};
	assert_int_equal(fk_le16(hi), 0xFFFF);
	assert_true(fk_le32(hi) == 0xFFFFFFFFu);
	assert_true(fk_le64(hi) == UINT64_MAX);
}

static void test_le_round_trips(void **state)
{
	(void)state;
	static const uint64_t v64[] = {0, 1, 0x80, 0xFF, 0x100, 0x8000000000000000ULL,
				       0x00FF00FF00FF00FFULL, 0xDEADBEEFCAFEBABEULL, UINT64_MAX};
	uint8_t b[8];

	for (size_t i = 0; i < sizeof(v64) / sizeof(v64[0]); i++) {
		uint64_t v = v64[i];
		fk_put_le64(b, v);
		assert_true(fk_le64(b) == v);
		fk_put_le32(b, (uint32_t)v);
		assert_true(fk_le32(b) == (uint32_t)v);
		fk_put_le16(b, (uint16_t)v);
		assert_int_equal(fk_le16(b), (uint16_t)v);
	}
	/* every 16-bit value */
	for (uint32_t v = 0; v <= 0xFFFF; v++) {
		fk_put_le16(b, (uint16_t)v);
		assert_int_equal(b[0], v & 0xFF);
		assert_int_equal(b[1], v >> 8);
		assert_int_equal(fk_le16(b), v);
	}
}

/* ---- key request ---- */

static void sample_fields(struct fk_sgx_key_request_fields *f)
{
	memset(f, 0, sizeof(*f));
	f->key_name = 0x0004;
	f->key_policy = 0x0A03;
	f->isv_svn = 0xBEEF;
	f->config_svn = 0x7766;
	for (int i = 0; i < FK_SGX_CPUSVN_SIZE; i++)
		f->cpu_svn[i] = (uint8_t)(0x10 + i);
	f->attr_mask_flags = 0xFF0000000000000BULL;
	f->attr_mask_xfrm = 0x8000000000000003ULL;
	for (int i = 0; i < FK_SGX_KEYID_SIZE; i++)
		f->key_id[i] = (uint8_t)(0xA0 + i);
	f->misc_mask = 0xF0000001u;
	f->reserved_zero = true;
}

static void test_key_request_encode_layout(void **state)
{
	(void)state;
	struct fk_sgx_key_request_fields f;
	struct fk_sgx_key_request req;
	const uint8_t *b = (const uint8_t *)&req;

	assert_int_equal(sizeof(req), 512);
	sample_fields(&f);
	memset(&req, 0xCC, sizeof(req)); /* encode must overwrite everything */
	fk_sgx_key_request_encode(&f, &req);

	/* sgx.md §2 sgx_key_request_t */
	static const uint8_t head[8] = {0x04, 0x00, 0x03, 0x0A, 0xEF, 0xBE, 0x00, 0x00};
	assert_memory_equal(b, head, 8);
	for (int i = 0; i < 16; i++)
		assert_int_equal(b[8 + i], 0x10 + i);
	static const uint8_t mask[16] = {0x0B, 0, 0, 0, 0, 0, 0, 0xFF, 0x03, 0, 0, 0, 0, 0, 0, 0x80};
	assert_memory_equal(b + 24, mask, 16);
	for (int i = 0; i < 32; i++)
		assert_int_equal(b[40 + i], 0xA0 + i);
	static const uint8_t misc[4] = {0x01, 0x00, 0x00, 0xF0};
	assert_memory_equal(b + 72, misc, 4);
	assert_int_equal(b[76], 0x66);
	assert_int_equal(b[77], 0x77);
	assert_true(th_all_zero(b + 78, 434));
}

static void test_key_request_round_trip(void **state)
{
	(void)state;
	struct fk_sgx_key_request_fields f, g;
	struct fk_sgx_key_request req, req2;

	sample_fields(&f);
	fk_sgx_key_request_encode(&f, &req);
	memset(&g, 0x5A, sizeof(g));
	fk_sgx_key_request_decode(&req, &g);
	assert_int_equal(g.key_name, f.key_name);
	assert_int_equal(g.key_policy, f.key_policy);
	assert_int_equal(g.isv_svn, f.isv_svn);
	assert_int_equal(g.config_svn, f.config_svn);
	assert_memory_equal(g.cpu_svn, f.cpu_svn, sizeof(f.cpu_svn));
	assert_true(g.attr_mask_flags == f.attr_mask_flags);
	assert_true(g.attr_mask_xfrm == f.attr_mask_xfrm);
	assert_memory_equal(g.key_id, f.key_id, sizeof(f.key_id));
	assert_true(g.misc_mask == f.misc_mask);
	assert_true(g.reserved_zero);

	/* decode -> encode reproduces the bytes */
	fk_sgx_key_request_encode(&g, &req2);
	assert_memory_equal(&req, &req2, sizeof(req));

	/* decode of the sgx.md §10 seal KAT request */
	static const char *kat = "0400020004030000"
				 "4820f3376ae6b2f2034d3b7a4b48a778"
				 "0b000000000000ff0000000000000000"
				 "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
				 "000000f00000";
	memset(&req, 0, sizeof(req));
	th_hex(kat, (uint8_t *)&req, 78);
	fk_sgx_key_request_decode(&req, &g);
	assert_int_equal(g.key_name, 4);
	assert_int_equal(g.key_policy, 2);
	assert_int_equal(g.isv_svn, 0x0304);
	assert_true(g.attr_mask_flags == 0xFF0000000000000BULL);
	assert_true(g.attr_mask_xfrm == 0);
	assert_true(g.misc_mask == 0xF0000000u);
	assert_int_equal(g.config_svn, 0);
	assert_int_equal(g.key_id[0], 0x00);
	assert_int_equal(g.key_id[31], 0x1f);
	assert_true(g.reserved_zero);
}

static void test_key_request_reserved_detection(void **state)
{
	(void)state;
	struct fk_sgx_key_request_fields f, g;
	struct fk_sgx_key_request req;
	uint8_t *b = (uint8_t *)&req;

	sample_fields(&f);
	/* reserved1 (offsets 6, 7) and every byte of reserved2 (78..511) */
	for (size_t off = 6; off < 512; off++) {
		if (off == 8)
			off = 78;
		fk_sgx_key_request_encode(&f, &req);
		b[off] = 0x01;
		fk_sgx_key_request_decode(&req, &g);
		if (g.reserved_zero)
			fail_msg("reserved byte %zu set but reserved_zero is true", off);
		b[off] = 0x80;
		fk_sgx_key_request_decode(&req, &g);
		assert_false(g.reserved_zero);
	}
	/* a non-reserved byte does not trip it */
	fk_sgx_key_request_encode(&f, &req);
	b[77] ^= 0xFF;
	fk_sgx_key_request_decode(&req, &g);
	assert_true(g.reserved_zero);
}

/* ---- report body, identity, target info ---- */

static void rich_identity(struct fk_sgx_identity *id)
{
	th_identity(id, 0xA1, 0x51);
	id->flags = 0x00000000000000A7ULL; /* INITTED|DEBUG|MODE64BIT|EINITTOKEN|KSS */
	id->xfrm = 0x00000000000000E7ULL;
	id->misc_select = 0x11223344u;
	id->cet_attributes = 0x5C;
	id->config_svn = 0x0A0B;
	for (int i = 0; i < 64; i++)
		id->config_id[i] = (uint8_t)(0xC0 ^ i);
	for (int i = 0; i < 16; i++) {
		id->isv_family_id[i] = (uint8_t)(0xF0 + i);
		id->isv_ext_prod_id[i] = (uint8_t)(0xE0 + i);
	}
}

static void test_report_body_offsets(void **state)
{
	(void)state;
	struct fk_sgx_identity id;
	struct fk_sgx_report_body body;
	const uint8_t *b = (const uint8_t *)&body;
	uint8_t cpusvn[16], rd[64];

	assert_int_equal(sizeof(body), 384);
	rich_identity(&id);
	for (int i = 0; i < 16; i++)
		cpusvn[i] = (uint8_t)(0x30 + i);
	for (int i = 0; i < 64; i++)
		rd[i] = (uint8_t)i;
	memset(&body, 0xCC, sizeof(body));
	fk_sgx_report_body_from_identity(&id, cpusvn, rd, &body);

	assert_memory_equal(b + 0, cpusvn, 16);
	static const uint8_t misc[4] = {0x44, 0x33, 0x22, 0x11};
	assert_memory_equal(b + 16, misc, 4);
	assert_int_equal(b[20], 0x5C); /* CET attributes */
	assert_true(th_all_zero(b + 21, 11));
	for (int i = 0; i < 16; i++)
		assert_int_equal(b[32 + i], 0xE0 + i);
	static const uint8_t attr[16] = {0xA7, 0, 0, 0, 0, 0, 0, 0, 0xE7, 0, 0, 0, 0, 0, 0, 0};
	assert_memory_equal(b + 48, attr, 16);
	for (int i = 0; i < 32; i++)
		assert_int_equal(b[64 + i], 0xA1);
	assert_true(th_all_zero(b + 96, 32));
	for (int i = 0; i < 32; i++)
		assert_int_equal(b[128 + i], 0x51);
	assert_true(th_all_zero(b + 160, 32));
	for (int i = 0; i < 64; i++)
		assert_int_equal(b[192 + i], 0xC0 ^ i);
	assert_int_equal(b[256], 0x02); /* isv_prod_id 0x0102 */
	assert_int_equal(b[257], 0x01);
	assert_int_equal(b[258], 0x04); /* isv_svn 0x0304 */
	assert_int_equal(b[259], 0x03);
	assert_int_equal(b[260], 0x0B); /* config_svn 0x0A0B */
	assert_int_equal(b[261], 0x0A);
	assert_true(th_all_zero(b + 262, 42));
	for (int i = 0; i < 16; i++)
		assert_int_equal(b[304 + i], 0xF0 + i);
	assert_memory_equal(b + 320, rd, 64);

	/* NULL report_data gives zeros */
	memset(&body, 0xCC, sizeof(body));
	fk_sgx_report_body_from_identity(&id, cpusvn, NULL, &body);
	assert_true(th_all_zero(b + 320, 64));
	assert_true(th_all_zero(b + 262, 42));
}

static void test_identity_report_body_round_trip(void **state)
{
	(void)state;
	struct fk_sgx_identity id, back;
	struct fk_sgx_report_body body;
	uint8_t cpusvn[16] = {0};

	rich_identity(&id);
	fk_sgx_report_body_from_identity(&id, cpusvn, NULL, &body);
	memset(&back, 0x77, sizeof(back));
	fk_sgx_identity_from_report_body(&body, &back);
	assert_true(back.flags == id.flags);
	assert_true(back.xfrm == id.xfrm);
	assert_true(back.misc_select == id.misc_select);
	assert_int_equal(back.cet_attributes, id.cet_attributes);
	assert_memory_equal(back.mr_enclave, id.mr_enclave, 32);
	assert_memory_equal(back.mr_signer, id.mr_signer, 32);
	assert_int_equal(back.isv_prod_id, id.isv_prod_id);
	assert_int_equal(back.isv_svn, id.isv_svn);
	assert_int_equal(back.config_svn, id.config_svn);
	assert_memory_equal(back.config_id, id.config_id, 64);
	assert_memory_equal(back.isv_family_id, id.isv_family_id, 16);
	assert_memory_equal(back.isv_ext_prod_id, id.isv_ext_prod_id, 16);
}

static void test_target_info_from_identity(void **state)
{
	(void)state;
	struct fk_sgx_identity id;
	struct fk_sgx_target_info ti;
	const uint8_t *b = (const uint8_t *)&ti;

	assert_int_equal(sizeof(ti), 512);
	rich_identity(&id);
	memset(&ti, 0xCC, sizeof(ti));
	fk_sgx_target_info_from_identity(&id, &ti);
	for (int i = 0; i < 32; i++)
		assert_int_equal(b[i], 0xA1);
	static const uint8_t attr[16] = {0xA7, 0, 0, 0, 0, 0, 0, 0, 0xE7, 0, 0, 0, 0, 0, 0, 0};
	assert_memory_equal(b + 32, attr, 16);
	assert_int_equal(b[48], 0x5C); /* CET attributes */
	assert_int_equal(b[49], 0);
	assert_int_equal(b[50], 0x0B);
	assert_int_equal(b[51], 0x0A);
	static const uint8_t misc[4] = {0x44, 0x33, 0x22, 0x11};
	assert_memory_equal(b + 52, misc, 4);
	assert_true(th_all_zero(b + 56, 8));
	for (int i = 0; i < 64; i++)
		assert_int_equal(b[64 + i], 0xC0 ^ i);
	assert_true(th_all_zero(b + 128, 384));
}

/* Target info from identity equals the LAv2 mapping (sgx.md §8.4) applied to a report. */
static void test_target_info_matches_lav2_mapping(void **state)
{
	(void)state;
	struct fk_sgx_identity id;
	struct fk_sgx_report rep;
	struct fk_sgx_target_info ti;
	uint8_t want[512] = {0};
	const uint8_t *r = (const uint8_t *)&rep;
	uint8_t cpusvn[16];

	rich_identity(&id);
	memset(cpusvn, 0x99, sizeof(cpusvn));
	memset(&rep, 0, sizeof(rep));
	fk_sgx_report_body_from_identity(&id, cpusvn, NULL, &rep.body);
	memcpy(want + 0, r + 64, 32);
	memcpy(want + 32, r + 48, 16);
	memcpy(want + 48, r + 20, 1);
	memcpy(want + 50, r + 260, 2);
	memcpy(want + 52, r + 16, 4);
	memcpy(want + 64, r + 192, 64);
	fk_sgx_target_info_from_identity(&id, &ti);
	assert_memory_equal(&ti, want, 512);
}

static void test_all_zero(void **state)
{
	(void)state;
	uint8_t b[100] = {0};
	assert_true(fk_sgx_all_zero(b, sizeof(b)));
	assert_true(fk_sgx_all_zero(b, 0));
	for (size_t i = 0; i < sizeof(b); i++) {
		b[i] = 0x01;
		assert_false(fk_sgx_all_zero(b, sizeof(b)));
		b[i] = 0;
	}
}

/* ---- sealed size (sgx_calc_sealed_data_size) ---- */

static void test_sealed_size(void **state)
{
	(void)state;
	uint32_t out = 0;

	assert_true(fk_sgx_sealed_size(0, 0, &out));
	assert_int_equal(out, 560);
	assert_true(fk_sgx_sealed_size(0, 16, &out));
	assert_int_equal(out, 576); /* sgx.md §6: 16-byte key, no AAD */
	assert_true(fk_sgx_sealed_size(4, 9, &out));
	assert_int_equal(out, 573); /* sgx.md §10 seal KAT */
	assert_true(fk_sgx_sealed_size(UINT32_MAX - 560, 0, &out));
	assert_true(out == UINT32_MAX);
	assert_true(fk_sgx_sealed_size(0, UINT32_MAX - 560, &out));
	assert_true(out == UINT32_MAX);
	assert_true(fk_sgx_sealed_size(100, UINT32_MAX - 660, &out));
	assert_true(out == UINT32_MAX);

	/* one past the limit, in every operand position */
	out = 0;
	assert_false(fk_sgx_sealed_size(UINT32_MAX - 560 + 1, 0, &out));
	assert_true(out == UINT32_MAX);
	out = 0;
	assert_false(fk_sgx_sealed_size(0, UINT32_MAX - 560 + 1, &out));
	assert_true(out == UINT32_MAX);
	out = 0;
	assert_false(fk_sgx_sealed_size(1, UINT32_MAX - 560, &out));
	assert_true(out == UINT32_MAX);
	/* aad + txt itself wraps to a small number */
	out = 0;
	assert_false(fk_sgx_sealed_size(UINT32_MAX, 1, &out));
	assert_true(out == UINT32_MAX);
	out = 0;
	assert_false(fk_sgx_sealed_size(0x80000000u, 0x80000000u, &out));
	assert_true(out == UINT32_MAX);
	out = 0;
	assert_false(fk_sgx_sealed_size(UINT32_MAX, UINT32_MAX, &out));
	assert_true(out == UINT32_MAX);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_le_store_byte_order),
		cmocka_unit_test(test_le_load_byte_order),
		cmocka_unit_test(test_le_round_trips),
		cmocka_unit_test(test_key_request_encode_layout),
		cmocka_unit_test(test_key_request_round_trip),
		cmocka_unit_test(test_key_request_reserved_detection),
		cmocka_unit_test(test_report_body_offsets),
		cmocka_unit_test(test_identity_report_body_round_trip),
		cmocka_unit_test(test_target_info_from_identity),
		cmocka_unit_test(test_target_info_matches_lav2_mapping),
		cmocka_unit_test(test_all_zero),
		cmocka_unit_test(test_sealed_size),
	};
	return cmocka_run_group_tests_name("sgx", tests, NULL, NULL);
}
