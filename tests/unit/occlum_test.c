/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for the Occlum platform, src/platform/fk_occlum.{h,c}, run over
 * the emulated /dev/sgx of tests/seams/occlum_emu.c, itself over the emulated
 * platform (the "backing"). A second sim platform with the same state and
 * identity (the "twin") is the reference every answer is compared with.
 *
 *  - the ABI: ioctl numbers recomputed with <sys/ioctl.h>, argument layouts;
 *  - open: identity, CPUSVN, SELF_TARGET equal the backing's;
 *  - reports: round trips with a peer, tampering, NULL target / report data;
 *  - get_key: equal keys, and errors as precise as the SDK's although Occlum
 *    turns every failure into EINVAL; the key zeroed on every failure;
 *  - sealing and derive across Occlum and sim, and the key request they send
 *    (fully populated, platforms.md §1.1);
 *  - probe and open on missing, wrong and failing devices; ownership of io.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "delivery/fk_api.h"
#include "la/fk_dh.h"
#include "occlum_emu.h"
#include "platform/fk_occlum.h"
#include "platform/fk_sim.h"
#include "seal/fk_seal.h"
#include "test_util.h"

/* ---- fixture: Occlum over the emulator over sim, and the sim twin ---- */

struct fx {
	struct fk_sim_state st;
	struct fk_sgx_identity id;
	struct occlum_emu *emu; /* owned by p (through io) */
	struct fk_platform *p;  /* Occlum */
	struct fk_platform *twin;
};

static void fx_open(struct fx *f, const struct fk_sgx_identity *id, enum fk_sim_mode mode,
		    enum fk_sim_cpusvn cpusvn)
{
	struct fk_platform *backing = NULL;
	struct fk_occlum_io io;

	memset(f, 0, sizeof(*f));
	f->id = *id;
	if (mode == FK_SIM_MODE_SDK_COMPAT)
		fk_sim_state_sdk_compat(&f->st, cpusvn);
	else
		EXPECT_OK(fk_sim_state_random(&f->st, cpusvn));
	EXPECT_OK(fk_sim_platform_new(&f->st, id, &backing));
	EXPECT_OK(occlum_emu_new(backing, &f->emu));
	occlum_emu_io(f->emu, &io);
	EXPECT_OK(fk_occlum_platform_new(NULL, &io, &f->p));
	assert_non_null(f->p);
	EXPECT_OK(fk_sim_platform_new(&f->st, id, &f->twin));
}

static void fx_close(struct fx *f)
{
	fk_platform_destroy(f->p);
	fk_platform_destroy(f->twin);
	fk_sim_state_clear(&f->st);
	memset(f, 0, sizeof(*f));
}

/* Enclave A of sgx.md §10 (flags INITTED|DEBUG|MODE64BIT, ISVSVN 0x0304). */
static void id_plain(struct fk_sgx_identity *id)
{
	th_identity(id, 0xa1, 0x51);
}

/* A KSS enclave with every KSS field set. */
static void id_kss(struct fk_sgx_identity *id)
{
	th_identity(id, 0xa2, 0x51);
	id->flags |= FK_SGX_FLAGS_KSS;
	id->config_svn = 5;
	id->cet_attributes = 0x3;
	id->misc_select = 0x1;
	memset(id->config_id, 0xc1, sizeof(id->config_id));
	memset(id->isv_family_id, 0xf1, sizeof(id->isv_family_id));
	memset(id->isv_ext_prod_id, 0xe1, sizeof(id->isv_ext_prod_id));
}

static void assert_same_identity(const struct fk_sgx_identity *a, const struct fk_sgx_identity *b)
{
	assert_true(a->flags == b->flags);
	assert_true(a->xfrm == b->xfrm);
	assert_int_equal(a->misc_select, b->misc_select);
	assert_int_equal(a->cet_attributes, b->cet_attributes);
	assert_memory_equal(a->mr_enclave, b->mr_enclave, sizeof(a->mr_enclave));
	assert_memory_equal(a->mr_signer, b->mr_signer, sizeof(a->mr_signer));
	assert_int_equal(a->isv_prod_id, b->isv_prod_id);
	assert_int_equal(a->isv_svn, b->isv_svn);
	assert_int_equal(a->config_svn, b->config_svn);
	assert_memory_equal(a->config_id, b->config_id, sizeof(a->config_id));
	assert_memory_equal(a->isv_family_id, b->isv_family_id, sizeof(a->isv_family_id));
	assert_memory_equal(a->isv_ext_prod_id, b->isv_ext_prod_id, sizeof(a->isv_ext_prod_id));
}

/* A fully populated request as fk_seal makes it: own CPUSVN / SVNs, SDK masks. */
static void own_request(struct fk_platform *p, uint16_t name, uint16_t policy,
			struct fk_sgx_key_request *req)
{
	struct fk_sgx_key_request_fields f;
	struct fk_sgx_identity id;

	memset(&f, 0, sizeof(f));
	EXPECT_OK(fk_platform_identity(p, &id));
	EXPECT_OK(fk_platform_cpu_svn(p, f.cpu_svn));
	f.key_name = name;
	f.key_policy = policy;
	f.isv_svn = id.isv_svn;
	f.config_svn = id.config_svn;
	f.attr_mask_flags = FK_SGX_TSEAL_DEFAULT_FLAGSMASK;
	f.attr_mask_xfrm = FK_SGX_TSEAL_DEFAULT_XFRMMASK;
	f.misc_mask = FK_SGX_TSEAL_DEFAULT_MISCMASK;
	for (unsigned i = 0; i < sizeof(f.key_id); i++)
		f.key_id[i] = (uint8_t)(0x40 + i);
	fk_sgx_key_request_encode(&f, req);
}

/* get_key with a pre-filled buffer that must come back zeroed on failure. */
static fusekey_status get_key(struct fk_platform *p, const struct fk_sgx_key_request *req,
			      uint8_t key[16])
{
	memset(key, 0xAA, 16);
	fusekey_status st = fk_platform_get_key(p, req, key);
	if (st != FUSEKEY_OK)
		assert_true(th_all_zero(key, 16));
	return st;
}

static unsigned getkey_calls(const struct fx *f)
{
	return occlum_emu_calls(f->emu, FK_OCCLUM_IOC_GET_KEY);
}

/* The Occlum key equals the twin's for the same request. */
static void expect_same_key(struct fx *f, const struct fk_sgx_key_request *req)
{
	uint8_t k1[16], k2[16];
	unsigned before = getkey_calls(f);

	EXPECT_OK(get_key(f->p, req, k1));
	EXPECT_OK(get_key(f->twin, req, k2));
	assert_memory_equal(k1, k2, 16);
	assert_false(th_all_zero(k1, 16));
	assert_int_equal(getkey_calls(f), before + 1);
}

/* A refusal, and whether the device was asked. */
static void expect_refused(struct fx *f, const struct fk_sgx_key_request *req,
			   fusekey_status want, unsigned ioctls)
{
	uint8_t k[16];
	unsigned before = getkey_calls(f);

	EXPECT_ST(get_key(f->p, req, k), want);
	assert_int_equal(getkey_calls(f), before + ioctls);
}

static void set_u16(uint8_t *p, uint16_t v)
{
	fk_put_le16(p, v);
}

/* ---- the ABI (platforms.md §1.1) ---- */

static void test_ioctl_numbers(void **state)
{
	(void)state;
	/* The whole reference table, recomputed with the kernel's macros. */
	static const struct {
		unsigned long computed, table;
	} rows[] = {
		{_IOR('s', 0, int), 0x80047300UL},
		{_IOR('s', 1, uint32_t), 0x80047301UL}, /* sgx_epid_group_id_t: 4 bytes */
		{_IOWR('s', 2, uint8_t[128]), 0xC0807302UL},
		{_IOR('s', 3, struct fk_sgx_target_info), 0x82007303UL},
		{_IOWR('s', 4, struct fk_occlum_create_report_arg), 0xC0187304UL},
		{_IOW('s', 5, struct fk_sgx_report), 0x41B07305UL},
		{_IOR('s', 6, int), 0x80047306UL},
		{_IOR('s', 7, uint32_t), 0x80047307UL},
		{_IOWR('s', 8, uint8_t[24]), 0xC0187308UL},
		{_IOR('s', 9, uint32_t), 0x80047309UL},
		{_IOWR('s', 10, uint8_t[48]), 0xC030730AUL},
		{_IOWR('s', 11, struct fk_occlum_get_key_arg), 0xC010730BUL},
	};
	for (unsigned i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		if (rows[i].computed != rows[i].table)
			fail_msg("nr %u: computed %#lx, table %#lx", i, rows[i].computed,
				 rows[i].table);
		assert_int_equal(_IOC_NR(rows[i].table), i);
		assert_int_equal(_IOC_TYPE(rows[i].table), 's');
	}
	/* Our constants are those rows. */
	assert_true(FK_OCCLUM_IOC_IS_EDMM_SUPPORTED == rows[0].computed);
	assert_true(FK_OCCLUM_IOC_SELF_TARGET == rows[3].computed);
	assert_true(FK_OCCLUM_IOC_CREATE_REPORT == rows[4].computed);
	assert_true(FK_OCCLUM_IOC_VERIFY_REPORT == rows[5].computed);
	assert_true(FK_OCCLUM_IOC_GET_KEY == rows[11].computed);
	assert_true(FK_OCCLUM_IOC_SELF_TARGET == 0x82007303UL);
	assert_true(FK_OCCLUM_IOC_CREATE_REPORT == 0xC0187304UL);
	assert_true(FK_OCCLUM_IOC_VERIFY_REPORT == 0x41B07305UL);
	assert_true(FK_OCCLUM_IOC_GET_KEY == 0xC010730BUL);
	/* Direction and size as the table says. */
	assert_int_equal(_IOC_DIR(FK_OCCLUM_IOC_SELF_TARGET), _IOC_READ);
	assert_int_equal(_IOC_SIZE(FK_OCCLUM_IOC_SELF_TARGET), 512);
	assert_int_equal(_IOC_DIR(FK_OCCLUM_IOC_CREATE_REPORT), _IOC_READ | _IOC_WRITE);
	assert_int_equal(_IOC_SIZE(FK_OCCLUM_IOC_CREATE_REPORT), 24);
	assert_int_equal(_IOC_DIR(FK_OCCLUM_IOC_VERIFY_REPORT), _IOC_WRITE);
	assert_int_equal(_IOC_SIZE(FK_OCCLUM_IOC_VERIFY_REPORT), 432);
	assert_int_equal(_IOC_DIR(FK_OCCLUM_IOC_GET_KEY), _IOC_READ | _IOC_WRITE);
	assert_int_equal(_IOC_SIZE(FK_OCCLUM_IOC_GET_KEY), 16);
}

static void test_arg_layouts(void **state)
{
	(void)state;
	assert_int_equal(sizeof(struct fk_occlum_create_report_arg), 24);
	assert_int_equal(offsetof(struct fk_occlum_create_report_arg, target_info), 0);
	assert_int_equal(offsetof(struct fk_occlum_create_report_arg, report_data), 8);
	assert_int_equal(offsetof(struct fk_occlum_create_report_arg, report), 16);
	assert_int_equal(sizeof(struct fk_occlum_get_key_arg), 16);
	assert_int_equal(offsetof(struct fk_occlum_get_key_arg, key_request), 0);
	assert_int_equal(offsetof(struct fk_occlum_get_key_arg, key), 8);
	assert_int_equal(sizeof(struct fk_sgx_target_info), 512);
	assert_int_equal(sizeof(struct fk_sgx_report), 432);
	assert_int_equal(sizeof(struct fk_sgx_key_request), 512);
	assert_string_equal(FK_OCCLUM_DEVICE, "/dev/sgx");
}

/* ---- open ---- */

static void check_open(const struct fk_sgx_identity *id, enum fk_sim_cpusvn cpusvn)
{
	struct fx f;
	struct fk_sgx_identity got, want;
	uint8_t c1[16], c2[16];

	fx_open(&f, id, FK_SIM_MODE_SECURE, cpusvn);
	assert_string_equal(f.p->ops->name, "occlum");
	assert_true(f.p->emulated); /* the device is an emulation: say so */
	EXPECT_OK(fk_platform_identity(f.p, &got));
	EXPECT_OK(fk_platform_identity(f.twin, &want));
	assert_same_identity(&got, &want);
	EXPECT_OK(fk_platform_cpu_svn(f.p, c1));
	EXPECT_OK(fk_platform_cpu_svn(f.twin, c2));
	assert_memory_equal(c1, c2, 16);
	/* open: SELF_TARGET and one self report, no key, one descriptor kept */
	assert_int_equal(occlum_emu_calls(f.emu, FK_OCCLUM_IOC_SELF_TARGET), 1);
	assert_int_equal(occlum_emu_calls(f.emu, FK_OCCLUM_IOC_CREATE_REPORT), 1);
	assert_int_equal(getkey_calls(&f), 0);
	assert_int_equal(occlum_emu_open_fds(f.emu), 1);
	fx_close(&f);
}

static void test_open_identity(void **state)
{
	(void)state;
	struct fk_sgx_identity id;

	id_plain(&id);
	check_open(&id, FK_SIM_CPUSVN_DEFAULT);
	id_kss(&id); /* every field of the report body reaches the identity */
	check_open(&id, FK_SIM_CPUSVN_UPGRADED);
}

static void test_self_target(void **state)
{
	(void)state;
	struct fx f;
	struct fk_sgx_target_info t1, t2;
	struct fk_sgx_identity id;

	id_kss(&id);
	fx_open(&f, &id, FK_SIM_MODE_SECURE, FK_SIM_CPUSVN_DEFAULT);
	th_fill(&t1, 0xAA, sizeof(t1));
	EXPECT_OK(fk_platform_self_target(f.p, &t1));
	EXPECT_OK(fk_platform_self_target(f.twin, &t2));
	assert_memory_equal(&t1, &t2, sizeof(t1));
	assert_int_equal(occlum_emu_calls(f.emu, FK_OCCLUM_IOC_SELF_TARGET), 2);
	/* a device failure is an error with the output zeroed */
	occlum_emu_fail_next(f.emu, FK_OCCLUM_IOC_SELF_TARGET, EIO);
	th_fill(&t1, 0xAA, sizeof(t1));
	EXPECT_ST(fk_platform_self_target(f.p, &t1), FUSEKEY_ERR_IO);
	assert_true(th_all_zero(&t1, sizeof(t1)));
	fx_close(&f);
}

/* ---- reports ---- */

static void test_report_round_trip(void **state)
{
	(void)state;
	struct fx f;
	struct fk_sgx_identity id, peer_id;
	struct fk_platform *peer = NULL;
	struct fk_sgx_target_info peer_ti, our_ti;
	struct fk_sgx_report r1, r2;
	uint8_t rd[64];

	id_plain(&id);
	fx_open(&f, &id, FK_SIM_MODE_SECURE, FK_SIM_CPUSVN_DEFAULT);
	th_identity(&peer_id, 0xb0, 0x66);
	EXPECT_OK(fk_sim_platform_new(&f.st, &peer_id, &peer));
	for (unsigned i = 0; i < sizeof(rd); i++)
		rd[i] = (uint8_t)(i * 3 + 1);

	/* Occlum -> peer: verifies there, and is the twin's report byte for byte. */
	EXPECT_OK(fk_platform_self_target(peer, &peer_ti));
	EXPECT_OK(fk_platform_create_report(f.p, &peer_ti, rd, &r1));
	EXPECT_OK(fk_platform_create_report(f.twin, &peer_ti, rd, &r2));
	assert_memory_equal(&r1, &r2, sizeof(r1));
	assert_memory_equal(r1.body.report_data, rd, 64);
	EXPECT_OK(fk_platform_verify_report(peer, &r1));
	/* made for the peer: not for us */
	EXPECT_ST(fk_platform_verify_report(f.p, &r1), FUSEKEY_ERR_MAC_MISMATCH);

	/* peer -> Occlum */
	EXPECT_OK(fk_platform_self_target(f.p, &our_ti));
	EXPECT_OK(fk_platform_create_report(peer, &our_ti, rd, &r1));
	EXPECT_OK(fk_platform_verify_report(f.p, &r1));
	r2 = r1;
	r2.body.isv_svn[0] ^= 1; /* tampered body */
	EXPECT_ST(fk_platform_verify_report(f.p, &r2), FUSEKEY_ERR_MAC_MISMATCH);
	r2 = r1;
	r2.mac[15] ^= 0x80; /* tampered MAC */
	EXPECT_ST(fk_platform_verify_report(f.p, &r2), FUSEKEY_ERR_MAC_MISMATCH);
	/* a device failure other than EINVAL is not a verdict on the report, but still no */
	occlum_emu_fail_next(f.emu, FK_OCCLUM_IOC_VERIFY_REPORT, ENOMEM);
	EXPECT_ST(fk_platform_verify_report(f.p, &r1), FUSEKEY_ERR_NO_MEMORY);
	EXPECT_OK(fk_platform_verify_report(f.p, &r1));

	/* NULL target info and report data pass through as zeros (Occlum's arg allows it). */
	EXPECT_OK(fk_platform_create_report(f.p, NULL, NULL, &r1));
	EXPECT_OK(fk_platform_create_report(f.twin, NULL, NULL, &r2));
	assert_memory_equal(&r1, &r2, sizeof(r1));
	assert_true(th_all_zero(r1.body.report_data, 64));

	/* a failed CREATE_REPORT leaves no half report */
	occlum_emu_fail_next(f.emu, FK_OCCLUM_IOC_CREATE_REPORT, EIO);
	th_fill(&r1, 0xAA, sizeof(r1));
	EXPECT_ST(fk_platform_create_report(f.p, &peer_ti, rd, &r1), FUSEKEY_ERR_IO);
	assert_true(th_all_zero(&r1, sizeof(r1)));

	fk_platform_destroy(peer);
	fx_close(&f);
}

/* ---- get_key ---- */

static void test_get_key_equals_backing(void **state)
{
	(void)state;
	struct fx f;
	struct fk_sgx_identity id;
	struct fk_sgx_key_request req;

	id_plain(&id);
	fx_open(&f, &id, FK_SIM_MODE_SECURE, FK_SIM_CPUSVN_DEFAULT);
	own_request(f.p, FK_SGX_KEYNAME_SEAL, FK_SGX_KEYPOLICY_MRSIGNER, &req);
	expect_same_key(&f, &req);
	own_request(f.p, FK_SGX_KEYNAME_SEAL, FK_SGX_KEYPOLICY_MRENCLAVE, &req);
	expect_same_key(&f, &req);
	/* an older ISVSVN is allowed (migration) */
	set_u16(req.isv_svn, (uint16_t)(id.isv_svn - 1));
	expect_same_key(&f, &req);
	own_request(f.p, FK_SGX_KEYNAME_REPORT, 0, &req);
	expect_same_key(&f, &req);
	/* what went to the device is the request unchanged */
	struct fk_sgx_key_request seen;
	assert_true(occlum_emu_last_key_request(f.emu, &seen));
	assert_memory_equal(&seen, &req, sizeof(req));
	fx_close(&f);

	/* KSS enclave, KSS policy and its own CONFIGSVN */
	id_kss(&id);
	fx_open(&f, &id, FK_SIM_MODE_SECURE, FK_SIM_CPUSVN_DEFAULT);
	own_request(f.p, FK_SGX_KEYNAME_SEAL,
		    FK_SGX_KEYPOLICY_MRSIGNER | FK_SGX_KEYPOLICY_KSS | FK_SGX_KEYPOLICY_NOISVPRODID,
		    &req);
	assert_int_equal(fk_le16(req.config_svn), 5);
	expect_same_key(&f, &req);
	fx_close(&f);
}

static void test_isvsvn_too_high(void **state)
{
	(void)state;
	struct fx f;
	struct fk_sgx_identity id;
	struct fk_sgx_key_request req;

	id_plain(&id);
	fx_open(&f, &id, FK_SIM_MODE_SECURE, FK_SIM_CPUSVN_DEFAULT);
	own_request(f.p, FK_SGX_KEYNAME_SEAL, FK_SGX_KEYPOLICY_MRSIGNER, &req);
	set_u16(req.isv_svn, (uint16_t)(id.isv_svn + 1));
	/* decided here, as precisely as the SDK: no ioctl */
	expect_refused(&f, &req, FUSEKEY_ERR_INVALID_ISVSVN, 0);
	set_u16(req.isv_svn, 0xFFFF);
	expect_refused(&f, &req, FUSEKEY_ERR_INVALID_ISVSVN, 0);
	/* the twin agrees */
	uint8_t k[16];
	EXPECT_ST(get_key(f.twin, &req, k), FUSEKEY_ERR_INVALID_ISVSVN);
	/* the REPORT key ignores ISVSVN (sgx.md §3): served */
	own_request(f.p, FK_SGX_KEYNAME_REPORT, 0, &req);
	set_u16(req.isv_svn, 0xFFFF);
	expect_same_key(&f, &req);
	fx_close(&f);
}

static void test_configsvn_too_high(void **state)
{
	(void)state;
	struct fx f;
	struct fk_sgx_identity id;
	struct fk_sgx_key_request req;

	id_kss(&id);
	fx_open(&f, &id, FK_SIM_MODE_SECURE, FK_SIM_CPUSVN_DEFAULT);
	own_request(f.p, FK_SGX_KEYNAME_SEAL, FK_SGX_KEYPOLICY_MRSIGNER | FK_SGX_KEYPOLICY_CONFIGID,
		    &req);
	set_u16(req.config_svn, 6);
	expect_refused(&f, &req, FUSEKEY_ERR_INVALID_ISVSVN, 0);
	set_u16(req.config_svn, 4); /* older CONFIGSVN: fine */
	expect_same_key(&f, &req);
	fx_close(&f);
}

static void test_cpusvn(void **state)
{
	(void)state;
	struct fx f;
	struct fk_sgx_identity id;
	struct fk_sgx_key_request req, seen;
	const uint8_t *upgraded = fk_sim_cpusvn_values[FK_SIM_CPUSVN_UPGRADED];
	const uint8_t *deflt = fk_sim_cpusvn_values[FK_SIM_CPUSVN_DEFAULT];

	id_plain(&id);
	/* platform DEFAULT: an UPGRADED CPUSVN is beyond it. Only the device can tell. */
	fx_open(&f, &id, FK_SIM_MODE_SECURE, FK_SIM_CPUSVN_DEFAULT);
	own_request(f.p, FK_SGX_KEYNAME_SEAL, FK_SGX_KEYPOLICY_MRSIGNER, &req);
	memcpy(req.cpu_svn, upgraded, 16);
	expect_refused(&f, &req, FUSEKEY_ERR_INVALID_CPUSVN, 1);
	/* CPUSVN beyond and ISVSVN too high: EGETKEY checks CPUSVN first */
	set_u16(req.isv_svn, (uint16_t)(id.isv_svn + 1));
	expect_refused(&f, &req, FUSEKEY_ERR_INVALID_CPUSVN, 1);
	/* the device said EINVAL to an unchanged own request: nothing explains it */
	own_request(f.p, FK_SGX_KEYNAME_SEAL, FK_SGX_KEYPOLICY_MRSIGNER, &req);
	occlum_emu_fail_next(f.emu, FK_OCCLUM_IOC_GET_KEY, EINVAL);
	expect_refused(&f, &req, FUSEKEY_ERR_UNEXPECTED, 1);
	fx_close(&f);

	/* platform UPGRADED: the older DEFAULT CPUSVN is fine (migration) */
	fx_open(&f, &id, FK_SIM_MODE_SECURE, FK_SIM_CPUSVN_UPGRADED);
	own_request(f.p, FK_SGX_KEYNAME_SEAL, FK_SGX_KEYPOLICY_MRSIGNER, &req);
	memcpy(req.cpu_svn, deflt, 16);
	expect_same_key(&f, &req);
	/* older CPUSVN and ISVSVN too high: ISVSVN it is (the device confirms the CPUSVN) */
	set_u16(req.isv_svn, (uint16_t)(id.isv_svn + 1));
	expect_refused(&f, &req, FUSEKEY_ERR_INVALID_ISVSVN, 1);
	/* ... asking with SVNs it surely accepts, never with the refused request */
	assert_true(occlum_emu_last_key_request(f.emu, &seen));
	assert_int_equal(fk_le16(seen.isv_svn), 0);
	assert_memory_equal(seen.cpu_svn, deflt, 16);
	fx_close(&f);
}

static void test_bad_key_name(void **state)
{
	(void)state;
	struct fx f;
	struct fk_sgx_identity id;
	struct fk_sgx_key_request req;

	id_plain(&id);
	fx_open(&f, &id, FK_SIM_MODE_SDK_COMPAT, FK_SIM_CPUSVN_DEFAULT);
	own_request(f.p, 5, FK_SGX_KEYPOLICY_MRSIGNER, &req);
	expect_refused(&f, &req, FUSEKEY_ERR_INVALID_KEYNAME, 0);
	/* an unknown name is refused whatever else is wrong (it is checked first) */
	set_u16(req.key_name, 0xFFFF);
	set_u16(req.isv_svn, 0xFFFF);
	expect_refused(&f, &req, FUSEKEY_ERR_INVALID_KEYNAME, 0);
	fx_close(&f);
}

static void test_attribute(void **state)
{
	(void)state;
	struct fx f;
	struct fk_sgx_identity id;
	struct fk_sgx_key_request req;

	id_plain(&id); /* no PROVISION_KEY / EINITTOKEN_KEY attribute */
	fx_open(&f, &id, FK_SIM_MODE_SDK_COMPAT, FK_SIM_CPUSVN_DEFAULT);
	own_request(f.p, FK_SGX_KEYNAME_PROVISION, FK_SGX_KEYPOLICY_MRSIGNER, &req);
	expect_refused(&f, &req, FUSEKEY_ERR_INVALID_ATTRIBUTE, 0);
	own_request(f.p, FK_SGX_KEYNAME_PROVISION_SEAL, FK_SGX_KEYPOLICY_MRSIGNER, &req);
	expect_refused(&f, &req, FUSEKEY_ERR_INVALID_ATTRIBUTE, 0);
	own_request(f.p, FK_SGX_KEYNAME_EINITTOKEN, 0, &req);
	expect_refused(&f, &req, FUSEKEY_ERR_INVALID_ATTRIBUTE, 0);
	uint8_t k[16];
	EXPECT_ST(get_key(f.twin, &req, k), FUSEKEY_ERR_INVALID_ATTRIBUTE); /* twin agrees */
	fx_close(&f);

	/* with the attribute the device serves it (sdk-compat has provisioning keys) */
	id.flags |= FK_SGX_FLAGS_PROVISION_KEY;
	fx_open(&f, &id, FK_SIM_MODE_SDK_COMPAT, FK_SIM_CPUSVN_DEFAULT);
	own_request(f.p, FK_SGX_KEYNAME_PROVISION, FK_SGX_KEYPOLICY_MRSIGNER, &req);
	expect_same_key(&f, &req);
	fx_close(&f);
}

static void test_kss_without_kss(void **state)
{
	(void)state;
	struct fx f;
	struct fk_sgx_identity id;
	struct fk_sgx_key_request req;
	static const uint16_t kss_bits[] = {FK_SGX_KEYPOLICY_CONFIGID, FK_SGX_KEYPOLICY_ISVFAMILYID,
					    FK_SGX_KEYPOLICY_ISVEXTPRODID,
					    FK_SGX_KEYPOLICY_NOISVPRODID, FK_SGX_KEYPOLICY_KSS};

	id_plain(&id); /* Occlum.json without metadata.enable_kss */
	fx_open(&f, &id, FK_SIM_MODE_SECURE, FK_SIM_CPUSVN_DEFAULT);
	for (unsigned i = 0; i < sizeof(kss_bits) / sizeof(kss_bits[0]); i++) {
		own_request(f.p, FK_SGX_KEYNAME_SEAL,
			    (uint16_t)(FK_SGX_KEYPOLICY_MRSIGNER | kss_bits[i]), &req);
		expect_refused(&f, &req, FUSEKEY_ERR_INVALID_PARAMETER, 0);
	}
	own_request(f.p, FK_SGX_KEYNAME_SEAL, FK_SGX_KEYPOLICY_MRSIGNER, &req);
	set_u16(req.config_svn, 1);
	expect_refused(&f, &req, FUSEKEY_ERR_INVALID_PARAMETER, 0);
	/* also for the REPORT key (the KSS check is for every key name) */
	own_request(f.p, FK_SGX_KEYNAME_REPORT, FK_SGX_KEYPOLICY_ISVFAMILYID, &req);
	expect_refused(&f, &req, FUSEKEY_ERR_INVALID_PARAMETER, 0);
	/* fk_seal with a KSS policy fails as sgx_seal_data_ex does, without an ioctl */
	struct fk_seal_policy pol;
	uint8_t blob[560 + 16], txt[16] = {1};
	fk_seal_policy_default(&pol);
	pol.key_policy |= FK_SGX_KEYPOLICY_ISVFAMILYID;
	EXPECT_ST(fk_seal(f.p, &pol, NULL, 0, txt, 16, blob, sizeof(blob)), FUSEKEY_ERR_UNEXPECTED);
	assert_int_equal(getkey_calls(&f), 0);
	fx_close(&f);
}

static void test_reserved_bytes(void **state)
{
	(void)state;
	struct fx f;
	struct fk_sgx_identity id;
	struct fk_sgx_key_request req;

	id_plain(&id);
	fx_open(&f, &id, FK_SIM_MODE_SECURE, FK_SIM_CPUSVN_DEFAULT);
	own_request(f.p, FK_SGX_KEYNAME_SEAL, FK_SGX_KEYPOLICY_MRSIGNER, &req);
	req.reserved1[1] = 1;
	expect_refused(&f, &req, FUSEKEY_ERR_INVALID_PARAMETER, 0);
	own_request(f.p, FK_SGX_KEYNAME_SEAL, FK_SGX_KEYPOLICY_MRSIGNER, &req);
	req.reserved2[sizeof(req.reserved2) - 1] = 0x80;
	expect_refused(&f, &req, FUSEKEY_ERR_INVALID_PARAMETER, 0);
	own_request(f.p, FK_SGX_KEYNAME_SEAL, (uint16_t)(FK_SGX_KEYPOLICY_MRSIGNER | 0x40), &req);
	expect_refused(&f, &req, FUSEKEY_ERR_INVALID_PARAMETER, 0);
	fx_close(&f);
}

static void test_key_zeroed_on_device_failure(void **state)
{
	(void)state;
	struct fx f;
	struct fk_sgx_identity id;
	struct fk_sgx_key_request req;
	static const struct {
		int err;
		fusekey_status want;
	} cases[] = {
		{EINVAL, FUSEKEY_ERR_UNEXPECTED},
		{EIO, FUSEKEY_ERR_IO},
		{ENOSYS, FUSEKEY_ERR_IO}, /* an Occlum older than 0.29.4 has no GET_KEY */
		{ENOMEM, FUSEKEY_ERR_NO_MEMORY},
	};

	id_plain(&id);
	fx_open(&f, &id, FK_SIM_MODE_SECURE, FK_SIM_CPUSVN_DEFAULT);
	own_request(f.p, FK_SGX_KEYNAME_SEAL, FK_SGX_KEYPOLICY_MRSIGNER, &req);
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		/* the emulator (like Occlum) leaves the key buffer alone on failure:
		 * get_key() checks that the backend zeroed the caller's 0xAA bytes */
		occlum_emu_fail_next(f.emu, FK_OCCLUM_IOC_GET_KEY, cases[i].err);
		expect_refused(&f, &req, cases[i].want, 1);
	}
	expect_same_key(&f, &req); /* and it works again */
	fx_close(&f);
}

/* sgx_dh local attestation, Occlum on one side and sim on the other, both ways. */
static void la_once(enum fk_dh_version v, struct fk_platform *resp, struct fk_platform *init)
{
	struct fk_dh_session r, i;
	struct fk_dh_msg1 m1;
	struct fk_dh_msg2 m2;
	struct fk_sgx_report_body body;
	struct fk_sgx_identity want;
	uint8_t m3[1024];
	size_t m3_len = 0;

	EXPECT_OK(fk_dh_init(&r, FK_DH_ROLE_RESPONDER));
	EXPECT_OK(fk_dh_init(&i, FK_DH_ROLE_INITIATOR));
	EXPECT_OK(fk_dh_responder_gen_msg1(&r, resp, &m1));
	EXPECT_OK(fk_dh_initiator_proc_msg1(&i, init, v, &m1, &m2));
	EXPECT_OK(fk_dh_responder_proc_msg2(&r, resp, &m2, NULL, 0, m3, sizeof(m3), &m3_len));
	EXPECT_OK(fk_dh_initiator_proc_msg3(&i, init, m3, m3_len));
	/* each side learnt the other's real identity */
	EXPECT_OK(fk_dh_peer_body(&r, &body));
	EXPECT_OK(fk_platform_identity(init, &want));
	assert_memory_equal(body.mr_enclave, want.mr_enclave, 32);
	EXPECT_OK(fk_dh_peer_body(&i, &body));
	EXPECT_OK(fk_platform_identity(resp, &want));
	assert_memory_equal(body.mr_enclave, want.mr_enclave, 32);
	fk_dh_wipe(&r);
	fk_dh_wipe(&i);
}

static void test_local_attestation(void **state)
{
	(void)state;
	struct fx f;
	struct fk_sgx_identity id, peer_id;
	struct fk_platform *peer = NULL;

	id_plain(&id);
	fx_open(&f, &id, FK_SIM_MODE_SECURE, FK_SIM_CPUSVN_DEFAULT);
	th_identity(&peer_id, 0xb3, 0x66);
	EXPECT_OK(fk_sim_platform_new(&f.st, &peer_id, &peer));
	la_once(FK_DH_LAV2, f.p, peer);
	la_once(FK_DH_LAV2, peer, f.p);
	la_once(FK_DH_LAV1, f.p, peer);
	la_once(FK_DH_LAV1, peer, f.p);
	assert_true(occlum_emu_calls(f.emu, FK_OCCLUM_IOC_VERIFY_REPORT) >= 4);
	fk_platform_destroy(peer);
	fx_close(&f);
}

/* ---- sealing and derive across Occlum and sim ---- */

static void seal_unseal(struct fk_platform *sealer, struct fk_platform *unsealer,
			fusekey_status want)
{
	struct fk_seal_policy pol;
	uint8_t txt[32], aad[5] = {'f', 'u', 's', 'e', '!'}, blob[560 + 32 + 5];
	uint8_t out[32], out_aad[5];
	uint32_t txt_len = sizeof(out), aad_len = sizeof(out_aad);

	for (unsigned i = 0; i < sizeof(txt); i++)
		txt[i] = (uint8_t)(0x90 + i);
	fk_seal_policy_default(&pol);
	EXPECT_OK(fk_seal(sealer, &pol, aad, sizeof(aad), txt, sizeof(txt), blob, sizeof(blob)));
	EXPECT_ST(fk_unseal(unsealer, blob, sizeof(blob), out, &txt_len, out_aad, &aad_len),
		  want);
	if (want == FUSEKEY_OK) {
		assert_int_equal(txt_len, sizeof(txt));
		assert_memory_equal(out, txt, sizeof(txt));
		assert_memory_equal(out_aad, aad, sizeof(aad));
	} else {
		assert_true(th_all_zero(out, sizeof(out)));
	}
}

static void test_seal_across(void **state)
{
	(void)state;
	struct fx f;
	struct fk_sgx_identity id, app_id, other_id;
	struct fk_platform *app = NULL, *other = NULL;

	id_plain(&id);
	fx_open(&f, &id, FK_SIM_MODE_SECURE, FK_SIM_CPUSVN_DEFAULT);
	seal_unseal(f.p, f.twin, FUSEKEY_OK); /* Occlum seals, sim unseals */
	seal_unseal(f.twin, f.p, FUSEKEY_OK); /* and back */
	seal_unseal(f.p, f.p, FUSEKEY_OK);
	/* MRSIGNER: another enclave of the signer on this platform unseals */
	th_identity(&app_id, 0xb1, 0x51);
	EXPECT_OK(fk_sim_platform_new(&f.st, &app_id, &app));
	seal_unseal(f.p, app, FUSEKEY_OK);
	/* another signer does not */
	th_identity(&other_id, 0xa1, 0x77);
	EXPECT_OK(fk_sim_platform_new(&f.st, &other_id, &other));
	seal_unseal(other, f.p, FUSEKEY_ERR_MAC_MISMATCH);
	fk_platform_destroy(other);
	/* a newer enclave version's blob: INVALID_ISVSVN passes through unseal */
	app_id.isv_svn = (uint16_t)(id.isv_svn + 1);
	fk_platform_destroy(app);
	EXPECT_OK(fk_sim_platform_new(&f.st, &app_id, &app));
	seal_unseal(app, f.p, FUSEKEY_ERR_INVALID_ISVSVN);
	fk_platform_destroy(app);
	fx_close(&f);
}

/* The request as the device saw it: fully populated (platforms.md §1.1). */
static void assert_fully_populated(const struct fx *f, const struct fk_sgx_key_request *seen,
				   uint16_t policy)
{
	struct fk_sgx_key_request_fields r;
	uint8_t own_cpusvn[16];

	fk_sgx_key_request_decode(seen, &r);
	assert_true(r.reserved_zero);
	assert_int_equal(r.key_name, FK_SGX_KEYNAME_SEAL);
	assert_int_equal(r.key_policy, policy);
	assert_true(r.attr_mask_flags == 0xFF0000000000000BULL);
	assert_true(r.attr_mask_xfrm == 0);
	assert_true(r.misc_mask == 0xF0000000u);
	EXPECT_OK(fk_platform_cpu_svn(f->twin, own_cpusvn));
	assert_memory_equal(r.cpu_svn, own_cpusvn, 16);
	assert_int_equal(r.isv_svn, f->id.isv_svn);
	assert_int_equal(r.config_svn, f->id.config_svn);
	assert_false(th_all_zero(r.key_id, sizeof(r.key_id)));
}

static void test_seal_request_fully_populated(void **state)
{
	(void)state;
	struct fx f;
	struct fk_sgx_identity id;
	struct fk_seal_policy pol;
	struct fk_sgx_key_request seen;
	uint8_t txt[16] = {7}, blob[560 + 16];

	id_kss(&id); /* own CONFIGSVN 5 must travel too */
	fx_open(&f, &id, FK_SIM_MODE_SECURE, FK_SIM_CPUSVN_UPGRADED);
	assert_false(occlum_emu_last_key_request(f.emu, &seen));
	fk_seal_policy_default(&pol);
	EXPECT_OK(fk_seal(f.p, &pol, NULL, 0, txt, sizeof(txt), blob, sizeof(blob)));
	assert_true(occlum_emu_last_key_request(f.emu, &seen));
	assert_memory_equal(&seen, blob, sizeof(seen)); /* the blob's request, unchanged */
	assert_fully_populated(&f, &seen, FK_SGX_KEYPOLICY_MRSIGNER);
	fx_close(&f);
}

static void test_derive_request_fully_populated(void **state)
{
	(void)state;
	struct fx f;
	struct fk_sgx_identity id, app_id;
	struct fk_platform *app = NULL;
	fusekey_ctx *agent_ctx = NULL, *app_ctx = NULL;
	struct fusekey_key_opts o;
	struct fk_sgx_key_request seen;
	char dir[PATH_MAX];
	uint8_t k1[16], k2[16];
	size_t k2_len = sizeof(k2);

	th_tmpdir(dir, sizeof(dir));
	id_plain(&id);
	fx_open(&f, &id, FK_SIM_MODE_SECURE, FK_SIM_CPUSVN_DEFAULT);
	th_identity(&app_id, 0xb2, 0x51);
	EXPECT_OK(fk_sim_platform_new(&f.st, &app_id, &app));
	EXPECT_OK(fk_ctx_wrap(f.p, &agent_ctx));
	EXPECT_OK(fk_ctx_wrap(app, &app_ctx));
	memset(&o, 0, sizeof(o));
	o.method = FUSEKEY_METHOD_DERIVE;
	o.bundle_dir = dir;
	o.key_len = 16;
	/* the agent on Occlum, the app on sim: the same key */
	EXPECT_OK(fusekey_generate(agent_ctx, "web", &o, k1, sizeof(k1)));
	assert_true(occlum_emu_last_key_request(f.emu, &seen));
	assert_fully_populated(&f, &seen, FK_SGX_KEYPOLICY_MRSIGNER);
	EXPECT_OK(fusekey_get(app_ctx, "web", &o, k2, &k2_len));
	assert_int_equal(k2_len, 16);
	assert_memory_equal(k1, k2, 16);
	fusekey_ctx_free(agent_ctx);
	fusekey_ctx_free(app_ctx);
	fk_platform_destroy(app);
	fx_close(&f);
	assert_int_equal(th_rmtree(dir), 0);
}

/* ---- probe and open on missing, wrong and failing devices ---- */

/* An io around the emulator's that counts destroy and can corrupt SELF_TARGET. */
struct wrap {
	struct fk_occlum_io inner;
	struct occlum_emu *emu;
	unsigned destroyed;
	unsigned fds_at_destroy;
	bool corrupt_target;
	size_t corrupt_off; /* the byte of SELF_TARGET's answer flipped */
};

static int w_open(void *ctx, const char *path)
{
	struct wrap *w = ctx;
	return w->inner.open(w->inner.ctx, path);
}

static int w_ioctl(void *ctx, int fd, unsigned long request, void *arg)
{
	struct wrap *w = ctx;
	int rc = w->inner.ioctl(w->inner.ctx, fd, request, arg);
	if (rc == 0 && w->corrupt_target && request == FK_OCCLUM_IOC_SELF_TARGET)
		((uint8_t *)arg)[w->corrupt_off] ^= 1;
	return rc;
}

static void w_close(void *ctx, int fd)
{
	struct wrap *w = ctx;
	w->inner.close(w->inner.ctx, fd);
}

static void w_destroy(void *ctx)
{
	struct wrap *w = ctx;
	w->destroyed++;
	w->fds_at_destroy = occlum_emu_open_fds(w->emu);
	w->inner.destroy(w->inner.ctx);
}

static void wrap_init(struct wrap *w, struct fk_occlum_io *io)
{
	struct fk_sgx_identity id;
	struct fk_sim_state st;
	struct fk_platform *backing = NULL;

	memset(w, 0, sizeof(*w));
	id_plain(&id);
	EXPECT_OK(fk_sim_state_random(&st, FK_SIM_CPUSVN_DEFAULT));
	EXPECT_OK(fk_sim_platform_new(&st, &id, &backing));
	fk_sim_state_clear(&st);
	EXPECT_OK(occlum_emu_new(backing, &w->emu));
	occlum_emu_io(w->emu, &w->inner);
	memset(io, 0, sizeof(*io));
	io->open = w_open;
	io->ioctl = w_ioctl;
	io->close = w_close;
	io->destroy = w_destroy;
	io->ctx = w;
	io->emulated = true;
}

static void test_new_failing_device(void **state)
{
	(void)state;
	struct wrap w;
	struct fk_occlum_io io;
	struct fk_platform *p;

	/* no such device */
	wrap_init(&w, &io);
	p = (struct fk_platform *)&w; /* must be reset to NULL */
	EXPECT_ST(fk_occlum_platform_new("/dev/not-sgx", &io, &p), FUSEKEY_ERR_NO_PLATFORM);
	assert_null(p);
	assert_int_equal(w.destroyed, 1);

	/* the device does not answer SELF_TARGET: not Occlum */
	wrap_init(&w, &io);
	occlum_emu_fail_next(w.emu, FK_OCCLUM_IOC_SELF_TARGET, ENOTTY);
	EXPECT_ST(fk_occlum_platform_new(NULL, &io, &p), FUSEKEY_ERR_NO_PLATFORM);
	assert_null(p);
	assert_int_equal(w.destroyed, 1);
	assert_int_equal(w.fds_at_destroy, 0); /* closed before the ctx went */

	/* no self report */
	wrap_init(&w, &io);
	occlum_emu_fail_next(w.emu, FK_OCCLUM_IOC_CREATE_REPORT, EIO);
	EXPECT_ST(fk_occlum_platform_new(FK_OCCLUM_DEVICE, &io, &p), FUSEKEY_ERR_IO);
	assert_null(p);
	assert_int_equal(w.destroyed, 1);
	assert_int_equal(w.fds_at_destroy, 0);

	/* SELF_TARGET and the self report disagree in any field a target info
	 * carries: not what it claims to be */
	{
		static const size_t offs[] = {
			offsetof(struct fk_sgx_target_info, mr_enclave),
			offsetof(struct fk_sgx_target_info, mr_enclave) + 31,
			offsetof(struct fk_sgx_target_info, attributes),
			offsetof(struct fk_sgx_target_info, attributes) + 8, /* xfrm */
			offsetof(struct fk_sgx_target_info, config_svn),
			offsetof(struct fk_sgx_target_info, misc_select),
			offsetof(struct fk_sgx_target_info, config_id),
			offsetof(struct fk_sgx_target_info, config_id) + 63,
		};
		for (size_t i = 0; i < sizeof(offs) / sizeof(offs[0]); i++) {
			wrap_init(&w, &io);
			w.corrupt_target = true;
			w.corrupt_off = offs[i];
			if (fk_occlum_platform_new(NULL, &io, &p) != FUSEKEY_ERR_UNEXPECTED)
				fail_msg("a SELF_TARGET differing at byte %zu was accepted", offs[i]);
			assert_null(p);
			assert_int_equal(w.destroyed, 1);
		}
		/* reserved bytes are not identity: sgx_self_target leaves them 0 */
		wrap_init(&w, &io);
		w.corrupt_target = true;
		w.corrupt_off = offsetof(struct fk_sgx_target_info, reserved3);
		EXPECT_OK(fk_occlum_platform_new(NULL, &io, &p));
		fk_platform_destroy(p);
		p = NULL;
	}

	/* bad arguments: the ctx is still ours to free */
	wrap_init(&w, &io);
	EXPECT_ST(fk_occlum_platform_new(NULL, &io, NULL), FUSEKEY_ERR_INVALID_PARAMETER);
	assert_int_equal(w.destroyed, 1);
	wrap_init(&w, &io);
	io.ioctl = NULL;
	EXPECT_ST(fk_occlum_platform_new(NULL, &io, &p), FUSEKEY_ERR_INVALID_PARAMETER);
	assert_null(p);
	assert_int_equal(w.destroyed, 1);

	/* success: destroy closes the descriptor, then frees the ctx, once */
	wrap_init(&w, &io);
	EXPECT_OK(fk_occlum_platform_new(NULL, &io, &p));
	assert_int_equal(w.destroyed, 0);
	assert_int_equal(occlum_emu_open_fds(w.emu), 1);
	fk_platform_destroy(p);
	assert_int_equal(w.destroyed, 1);
	assert_int_equal(w.fds_at_destroy, 0);
}

static void test_emulated_flag(void **state)
{
	(void)state;
	struct wrap w;
	struct fk_occlum_io io;
	struct fk_platform *p = NULL;

	wrap_init(&w, &io);
	io.emulated = false; /* what production's real device gives */
	EXPECT_OK(fk_occlum_platform_new(NULL, &io, &p));
	assert_false(p->emulated);
	fk_platform_destroy(p);
	wrap_init(&w, &io);
	EXPECT_OK(fk_occlum_platform_new(NULL, &io, &p));
	assert_true(p->emulated);
	fk_platform_destroy(p);
}

/* A self report without INITTED comes from no running enclave: refused. */
static void test_not_initted(void **state)
{
	(void)state;
	struct fk_sgx_identity id;
	struct fk_sim_state st;
	struct fk_platform *backing = NULL, *p = NULL;
	struct occlum_emu *emu = NULL;
	struct fk_occlum_io io;

	id_plain(&id);
	id.flags &= ~FK_SGX_FLAGS_INITTED;
	EXPECT_OK(fk_sim_state_random(&st, FK_SIM_CPUSVN_DEFAULT));
	EXPECT_OK(fk_sim_platform_new(&st, &id, &backing));
	fk_sim_state_clear(&st);
	EXPECT_OK(occlum_emu_new(backing, &emu));
	occlum_emu_io(emu, &io);
	EXPECT_ST(fk_occlum_platform_new(NULL, &io, &p), FUSEKEY_ERR_UNEXPECTED);
	assert_null(p);
}

static void test_probe_missing_device(void **state)
{
	(void)state;
	char dir[PATH_MAX], dev[PATH_MAX + 8], why[256];

	th_tmpdir(dir, sizeof(dir));
	snprintf(dev, sizeof(dev), "%s/sgx", dir);
	th_fill(why, 'x', sizeof(why));
	assert_false(fk_occlum_probe(dev, NULL, why, sizeof(why)));
	assert_non_null(strstr(why, "no such file"));
	assert_true(strncmp(why, dev, strlen(dev)) == 0);
	assert_null(strchr(why, '\n')); /* one line */

	/* open over the real io: the same, and nothing is returned */
	struct fk_platform *p = (struct fk_platform *)dir;
	EXPECT_ST(fk_occlum_platform_new(dev, NULL, &p), FUSEKEY_ERR_NO_PLATFORM);
	assert_null(p);

	/* a directory (like the DCAP driver's /dev/sgx/) cannot be opened */
	assert_false(fk_occlum_probe(dir, NULL, why, sizeof(why)));
	assert_non_null(strstr(why, "cannot open"));

	/* a regular file is not a character device: refused at open, before any ioctl */
	int fd = open(dev, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_false(fk_occlum_probe(dev, NULL, why, sizeof(why)));
	assert_true(strncmp(why, dev, strlen(dev)) == 0);
	assert_non_null(strstr(why, ": not a character device"));
	EXPECT_ST(fk_occlum_platform_new(dev, NULL, &p), FUSEKEY_ERR_NO_PLATFORM);
	assert_null(p);

	/* a FIFO neither, and the probe must not block on it (SIGALRM kills a hang) */
	assert_int_equal(unlink(dev), 0);
	assert_int_equal(mkfifo(dev, 0600), 0);
	alarm(10);
	assert_false(fk_occlum_probe(dev, NULL, why, sizeof(why)));
	assert_non_null(strstr(why, ": not a character device"));
	EXPECT_ST(fk_occlum_platform_new(dev, NULL, &p), FUSEKEY_ERR_NO_PLATFORM);
	alarm(0);
	assert_null(p);

	/* a character device that is not Occlum's opens, but SELF_TARGET fails
	 * (the kernel: ENOTTY) */
	if (access("/dev/null", W_OK) == 0) {
		assert_false(fk_occlum_probe("/dev/null", NULL, why, sizeof(why)));
		assert_non_null(strstr(why, "/dev/null: SELF_TARGET failed"));
		EXPECT_ST(fk_occlum_platform_new("/dev/null", NULL, &p), FUSEKEY_ERR_NO_PLATFORM);
		assert_null(p);
	}
	/* why may be omitted */
	assert_false(fk_occlum_probe(dev, NULL, NULL, 0));
	assert_int_equal(th_rmtree(dir), 0);
}

static void test_probe_emulator(void **state)
{
	(void)state;
	struct fk_sgx_identity id;
	struct fk_sim_state st;
	struct fk_platform *backing = NULL;
	struct occlum_emu *emu = NULL;
	struct fk_occlum_io io;
	char why[256];

	id_plain(&id);
	EXPECT_OK(fk_sim_state_random(&st, FK_SIM_CPUSVN_DEFAULT));
	EXPECT_OK(fk_sim_platform_new(&st, &id, &backing));
	fk_sim_state_clear(&st);
	EXPECT_OK(occlum_emu_new(backing, &emu));
	occlum_emu_io(emu, &io);

	assert_true(fk_occlum_probe(NULL, &io, why, sizeof(why)));
	assert_string_equal(why, "/dev/sgx answered SELF_TARGET");
	assert_int_equal(occlum_emu_calls(emu, FK_OCCLUM_IOC_SELF_TARGET), 1);
	assert_int_equal(occlum_emu_open_fds(emu), 0); /* closed again */

	occlum_emu_fail_next(emu, FK_OCCLUM_IOC_SELF_TARGET, ENOTTY);
	assert_false(fk_occlum_probe(NULL, &io, why, sizeof(why)));
	assert_non_null(strstr(why, "/dev/sgx: SELF_TARGET failed: "));
	assert_int_equal(occlum_emu_open_fds(emu), 0);

	assert_false(fk_occlum_probe("/dev/sgx2", &io, why, sizeof(why)));
	assert_string_equal(why, "/dev/sgx2: no such file");

	/* a tiny why buffer is cut, still a string */
	char small[8];
	assert_true(fk_occlum_probe(NULL, &io, small, sizeof(small)));
	assert_int_equal(strlen(small), sizeof(small) - 1);

	/* the probe never took the ctx: it is still ours (valgrind sees a leak otherwise) */
	occlum_emu_free(emu);
}

/* The emulator behaves as Occlum's handlers (platforms.md §1.1). */
static void test_emulator(void **state)
{
	(void)state;
	struct fk_sgx_identity id;
	struct fk_sim_state st;
	struct fk_platform *backing = NULL, *twin = NULL;
	struct occlum_emu *emu = NULL;
	struct fk_occlum_io io;
	struct fk_sgx_report rep, want;
	struct fk_sgx_key_request req;
	uint8_t key[16];
	int edmm = 7, fd;

	id_plain(&id);
	EXPECT_OK(fk_sim_state_random(&st, FK_SIM_CPUSVN_DEFAULT));
	EXPECT_OK(fk_sim_platform_new(&st, &id, &backing));
	EXPECT_OK(fk_sim_platform_new(&st, &id, &twin));
	fk_sim_state_clear(&st);
	EXPECT_OK(occlum_emu_new(backing, &emu));
	occlum_emu_io(emu, &io);

	assert_int_equal(io.open(io.ctx, "/dev/other"), -ENOENT);
	fd = io.open(io.ctx, FK_OCCLUM_DEVICE);
	assert_true(fd >= 0);
	assert_int_equal(io.ioctl(io.ctx, fd + 1, FK_OCCLUM_IOC_IS_EDMM_SUPPORTED, &edmm), -EBADF);
	assert_int_equal(io.ioctl(io.ctx, fd, FK_OCCLUM_IOC_IS_EDMM_SUPPORTED, &edmm), 0);
	assert_int_equal(edmm, 0);
	/* unknown numbers (EPID is not emulated; another magic) -> ENOSYS, counted */
	assert_int_equal(io.ioctl(io.ctx, fd, _IOR('s', 1, uint32_t), &edmm), -ENOSYS);
	assert_int_equal(io.ioctl(io.ctx, fd, _IOR('x', 3, struct fk_sgx_target_info), &rep),
			 -ENOSYS);
	assert_int_equal(occlum_emu_calls(emu, _IOR('s', 1, uint32_t)), 2);
	/* a known number with another argument size: EINVAL (Occlum's arg type check) */
	assert_int_equal(io.ioctl(io.ctx, fd, _IOWR('s', 11, uint8_t[24]), &req), -EINVAL);
	assert_int_equal(occlum_emu_calls(emu, FK_OCCLUM_IOC_GET_KEY), 1);
	/* CREATE_REPORT: NULL target info and report data are zeros; NULL report EINVAL */
	struct fk_occlum_create_report_arg ca = {NULL, NULL, &rep};
	assert_int_equal(io.ioctl(io.ctx, fd, FK_OCCLUM_IOC_CREATE_REPORT, &ca), 0);
	EXPECT_OK(fk_platform_create_report(twin, NULL, NULL, &want));
	assert_memory_equal(&rep, &want, sizeof(rep));
	ca.report = NULL;
	assert_int_equal(io.ioctl(io.ctx, fd, FK_OCCLUM_IOC_CREATE_REPORT, &ca), -EINVAL);
	/* VERIFY_REPORT: a mismatch is EINVAL */
	want.mac[0] ^= 1;
	assert_int_equal(io.ioctl(io.ctx, fd, FK_OCCLUM_IOC_VERIFY_REPORT, &want), -EINVAL);
	/* GET_KEY: any failure EINVAL, the key left as it was; recorded as received */
	memset(&req, 0, sizeof(req));
	set_u16(req.key_name, 9);
	struct fk_occlum_get_key_arg ga = {&req, key};
	memset(key, 0xAA, sizeof(key));
	assert_int_equal(io.ioctl(io.ctx, fd, FK_OCCLUM_IOC_GET_KEY, &ga), -EINVAL);
	assert_int_equal(key[0], 0xAA);
	struct fk_sgx_key_request seen;
	assert_true(occlum_emu_last_key_request(emu, &seen));
	assert_int_equal(fk_le16(seen.key_name), 9);
	/* fail_next: once, for that number only */
	occlum_emu_fail_next(emu, FK_OCCLUM_IOC_SELF_TARGET, EPERM);
	assert_int_equal(io.ioctl(io.ctx, fd, FK_OCCLUM_IOC_IS_EDMM_SUPPORTED, &edmm), 0);
	struct fk_sgx_target_info ti;
	assert_int_equal(io.ioctl(io.ctx, fd, FK_OCCLUM_IOC_SELF_TARGET, &ti), -EPERM);
	assert_int_equal(io.ioctl(io.ctx, fd, FK_OCCLUM_IOC_SELF_TARGET, &ti), 0);
	io.close(io.ctx, fd);
	assert_int_equal(occlum_emu_open_fds(emu), 0);
	assert_int_equal(io.ioctl(io.ctx, fd, FK_OCCLUM_IOC_SELF_TARGET, &ti), -EBADF);
	io.destroy(io.ctx); /* frees the emulator and its backing */
	fk_platform_destroy(twin);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ioctl_numbers),
		cmocka_unit_test(test_arg_layouts),
		cmocka_unit_test(test_open_identity),
		cmocka_unit_test(test_self_target),
		cmocka_unit_test(test_report_round_trip),
		cmocka_unit_test(test_get_key_equals_backing),
		cmocka_unit_test(test_isvsvn_too_high),
		cmocka_unit_test(test_configsvn_too_high),
		cmocka_unit_test(test_cpusvn),
		cmocka_unit_test(test_bad_key_name),
		cmocka_unit_test(test_attribute),
		cmocka_unit_test(test_kss_without_kss),
		cmocka_unit_test(test_reserved_bytes),
		cmocka_unit_test(test_key_zeroed_on_device_failure),
		cmocka_unit_test(test_local_attestation),
		cmocka_unit_test(test_seal_across),
		cmocka_unit_test(test_seal_request_fully_populated),
		cmocka_unit_test(test_derive_request_fully_populated),
		cmocka_unit_test(test_new_failing_device),
		cmocka_unit_test(test_emulated_flag),
		cmocka_unit_test(test_not_initted),
		cmocka_unit_test(test_probe_missing_device),
		cmocka_unit_test(test_probe_emulator),
		cmocka_unit_test(test_emulator),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
