/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The emulated EGETKEY policy matrix (docs/testing.md §3 row 4).
 *
 * For a base (platform state, enclave SECS, key request) and one input changed
 * at a time, assert that the derived key changes iff the key policy / masks
 * select that input, per shared/docs/reference/sgx.md §3 (key dependency
 * table) and §5 (dd_seal_key_t / dd_report_key_t):
 *   SEAL:   MRENCLAVE/MRSIGNER per policy bits 0x01/0x02; ISVPRODID unless
 *           NOISVPRODID; CONFIGID (SECS) and CONFIGSVN (request) only with
 *           CONFIGID; ISVFAMILYID / ISVEXTPRODID per bits 0x10 / 0x20;
 *           attributes = (mask | INITTED | DEBUG) & SECS, plus the mask value;
 *           misc = mask & SECS, plus ~mask; request ISVSVN, CPUSVN, KEYID,
 *           KEYPOLICY; owner epoch and the SEAL root.
 *   REPORT: SECS attributes (unmasked), MRENCLAVE, MISCSELECT, CONFIGID,
 *           CONFIGSVN, platform CPUSVN, KEYID, owner epoch; nothing else from
 *           the request.
 * Enclave-side changes are compared under the SAME request, so the request's
 * own fields (which also enter the key) cannot mask a missing dependency.
 * Then the refusals: SVN above current, CPUSVN beyond the platform, reserved
 * bytes, policy bits 6..15, KSS-only bits / CONFIGSVN without KSS.
 * Runs on sdk-compat and secure (random root) states.
 */
#include <stdio.h>
#include <string.h>

#include "platform/fk_sim.h"
#include "test_util.h"

struct variant {
	struct fk_sim_state st;
	struct fk_sgx_identity id;
	struct fk_sgx_key_request_fields f;
};

struct tally {
	size_t cells, changed, same, status, failures;
};

static void report_failure(struct tally *t, const char *label, const char *what)
{
	t->failures++;
	if (t->failures <= 60)
		print_error("# FAIL %s: %s\n", label, what);
}

/* Derive; on failure the key must be all zero (pre-filled with 0xAA). */
static fusekey_status derive(const struct variant *v, uint8_t key[16], struct tally *t,
			     const char *label)
{
	struct fk_sgx_key_request req;
	struct fk_platform *p = NULL;
	fusekey_status st;

	fk_sgx_key_request_encode(&v->f, &req);
	assert_int_equal(fk_sim_platform_new(&v->st, &v->id, &p), FUSEKEY_OK);
	memset(key, 0xAA, 16);
	st = fk_platform_get_key(p, &req, key);
	fk_platform_destroy(p);
	if (st != FUSEKEY_OK && !th_all_zero(key, 16))
		report_failure(t, label, "key not zeroed on failure");
	return st;
}

static fusekey_status derive_raw(const struct variant *v, const struct fk_sgx_key_request *req,
				 uint8_t key[16], struct tally *t, const char *label)
{
	struct fk_platform *p = NULL;
	fusekey_status st;

	assert_int_equal(fk_sim_platform_new(&v->st, &v->id, &p), FUSEKEY_OK);
	memset(key, 0xAA, 16);
	st = fk_platform_get_key(p, req, key);
	fk_platform_destroy(p);
	if (st != FUSEKEY_OK && !th_all_zero(key, 16))
		report_failure(t, label, "key not zeroed on failure");
	return st;
}

/* One "changes iff selected" cell. */
static void cell_change(struct tally *t, const char *label, const uint8_t base_key[16],
			const struct variant *v, bool expect_change)
{
	uint8_t k[16];
	fusekey_status st = derive(v, k, t, label);
	t->cells++;
	if (st != FUSEKEY_OK) {
		report_failure(t, label, fusekey_status_name(st));
		return;
	}
	bool changed = memcmp(k, base_key, 16) != 0;
	if (expect_change)
		t->changed++;
	else
		t->same++;
	if (changed != expect_change)
		report_failure(t, label,
			       expect_change ? "key did not change (input not bound)"
					     : "key changed (input must not be bound)");
}

static void cell_status(struct tally *t, const char *label, const struct variant *v,
			fusekey_status want)
{
	uint8_t k[16];
	fusekey_status got = derive(v, k, t, label);
	t->cells++;
	t->status++;
	if (got != want) {
		char buf[160];
		snprintf(buf, sizeof(buf), "got %s want %s", fusekey_status_name(got),
			 fusekey_status_name(want));
		report_failure(t, label, buf);
	}
}

/* ---- the base enclaves ---- */

static void enclave_plain(struct fk_sgx_identity *id)
{
	th_identity(id, 0xa1, 0x51); /* flags 0x7, xfrm 0x3, prod 0x0102, svn 0x0304 */
	id->misc_select = 0x1;
	id->cet_attributes = 0x1;
	/* non-KSS enclaves still carry these from their SIGSTRUCT */
	memset(id->isv_family_id, 0x3c, 16);
	memset(id->isv_ext_prod_id, 0x4d, 16);
}

static void enclave_kss(struct fk_sgx_identity *id)
{
	enclave_plain(id);
	id->flags |= FK_SGX_FLAGS_KSS;
	id->config_svn = 5;
	for (int i = 0; i < 64; i++)
		id->config_id[i] = (uint8_t)(0x90 + i);
}

/* ---- SEAL inputs ---- */

struct mask {
	const char *name;
	uint64_t flags, xfrm;
	uint32_t misc;
};

static const struct mask masks[] = {
	{"default", 0xFF0000000000000BULL, 0, 0xF0000000u},
	{"all-ones", ~0ULL, ~0ULL, 0xFFFFFFFFu},
	{"INITTED|DEBUG", 0x3, 0, 0},
	{"zero", 0, 0, 0},
	{"MODE64|xfrm4|misc1", 0x4, 0x4, 0x1},
};

struct input {
	const char *name;
	bool kss_only;    /* only meaningful for a KSS enclave */
	bool secure_only; /* changes a secret root: only in secure mode */
	void (*mutate)(struct variant *v);
	bool (*bound)(const struct variant *base); /* spec: does the SEAL key depend on it? */
};

static bool always(const struct variant *b)
{
	(void)b;
	return true;
}
static bool never(const struct variant *b)
{
	(void)b;
	return false;
}
static bool pol(const struct variant *b, uint16_t bit)
{
	return (b->f.key_policy & bit) != 0;
}

static void m_mrenclave(struct variant *v)
{
	v->id.mr_enclave[7] ^= 0x01;
}
static bool b_mrenclave(const struct variant *b)
{
	return pol(b, FK_SGX_KEYPOLICY_MRENCLAVE);
}
static void m_mrsigner(struct variant *v)
{
	v->id.mr_signer[31] ^= 0x80;
}
static bool b_mrsigner(const struct variant *b)
{
	return pol(b, FK_SGX_KEYPOLICY_MRSIGNER);
}
static void m_prodid(struct variant *v)
{
	v->id.isv_prod_id ^= 0x0100;
}
static bool b_prodid(const struct variant *b)
{
	return !pol(b, FK_SGX_KEYPOLICY_NOISVPRODID);
}
static void m_req_isvsvn_lower(struct variant *v)
{
	v->f.isv_svn = (uint16_t)(v->f.isv_svn - 1);
}
static void m_req_isvsvn_zero(struct variant *v)
{
	v->f.isv_svn = 0;
}
static void m_enclave_isvsvn_up(struct variant *v)
{
	v->id.isv_svn = (uint16_t)(v->id.isv_svn + 1);
}
static void m_req_cpusvn_down(struct variant *v)
{
	memcpy(v->f.cpu_svn, fk_sim_cpusvn_values[FK_SIM_CPUSVN_DOWNGRADED], 16);
}
static void m_req_cpusvn_zero(struct variant *v)
{
	memset(v->f.cpu_svn, 0, 16); /* zero means DEFAULT (sgx.md §5): same key */
}
static void m_platform_cpusvn_up(struct variant *v)
{
	v->st.cpusvn = FK_SIM_CPUSVN_UPGRADED; /* request CPUSVN unchanged */
}
static void m_configid(struct variant *v)
{
	v->id.config_id[63] ^= 0x01;
}
static bool b_configid(const struct variant *b)
{
	return pol(b, FK_SGX_KEYPOLICY_CONFIGID);
}
static void m_req_configsvn_lower(struct variant *v)
{
	v->f.config_svn = (uint16_t)(v->f.config_svn - 1);
}
static void m_enclave_configsvn_up(struct variant *v)
{
	v->id.config_svn = (uint16_t)(v->id.config_svn + 1);
}
static void m_family(struct variant *v)
{
	v->id.isv_family_id[0] ^= 0x01;
}
static bool b_family(const struct variant *b)
{
	return pol(b, FK_SGX_KEYPOLICY_ISVFAMILYID);
}
static void m_extprod(struct variant *v)
{
	v->id.isv_ext_prod_id[15] ^= 0x01;
}
static bool b_extprod(const struct variant *b)
{
	return pol(b, FK_SGX_KEYPOLICY_ISVEXTPRODID);
}
static void m_debug(struct variant *v)
{
	v->id.flags ^= FK_SGX_FLAGS_DEBUG;
}
static void m_initted(struct variant *v)
{
	v->id.flags ^= FK_SGX_FLAGS_INITTED;
}
static void m_mode64(struct variant *v)
{
	v->id.flags ^= FK_SGX_FLAGS_MODE64BIT;
}
static bool b_mode64(const struct variant *b)
{
	return (b->f.attr_mask_flags & FK_SGX_FLAGS_MODE64BIT) != 0;
}
static void m_flag8(struct variant *v)
{
	v->id.flags ^= 0x8; /* in the SDK default mask 0xFF0000000000000B */
}
static bool b_flag8(const struct variant *b)
{
	return (b->f.attr_mask_flags & 0x8) != 0;
}
static void m_provision_attr(struct variant *v)
{
	v->id.flags ^= FK_SGX_FLAGS_PROVISION_KEY;
}
static bool b_provision_attr(const struct variant *b)
{
	return (b->f.attr_mask_flags & FK_SGX_FLAGS_PROVISION_KEY) != 0;
}
static void m_flag_high(struct variant *v)
{
	v->id.flags ^= 0x0100000000000000ULL;
}
static bool b_flag_high(const struct variant *b)
{
	return (b->f.attr_mask_flags & 0x0100000000000000ULL) != 0;
}
static void m_xfrm(struct variant *v)
{
	v->id.xfrm ^= 0x4;
}
static bool b_xfrm(const struct variant *b)
{
	return (b->f.attr_mask_xfrm & 0x4) != 0;
}
static void m_misc1(struct variant *v)
{
	v->id.misc_select ^= 0x1;
}
static bool b_misc1(const struct variant *b)
{
	return (b->f.misc_mask & 0x1) != 0;
}
static void m_misc_hi(struct variant *v)
{
	v->id.misc_select ^= 0x10000000u;
}
static bool b_misc_hi(const struct variant *b)
{
	return (b->f.misc_mask & 0x10000000u) != 0;
}
static void m_cet(struct variant *v)
{
	v->id.cet_attributes ^= 0x1;
}
static void m_keyid(struct variant *v)
{
	v->f.key_id[13] ^= 0x20;
}
static void m_mask_flag_unset_bit(struct variant *v)
{
	v->f.attr_mask_flags ^= 0x40; /* a bit the SECS does not have */
}
static void m_mask_initted(struct variant *v)
{
	v->f.attr_mask_flags ^= FK_SGX_FLAGS_INITTED; /* forced anyway; the mask value enters */
}
static void m_mask_xfrm(struct variant *v)
{
	v->f.attr_mask_xfrm ^= 0x8;
}
static void m_misc_mask(struct variant *v)
{
	v->f.misc_mask ^= 0x8; /* not in misc_select: only ~misc_mask changes */
}
static void m_owner_epoch(struct variant *v)
{
	v->st.owner_epoch[5] ^= 0x01;
}
static void m_seal_root(struct variant *v)
{
	v->st.root_keys[FK_SGX_KEYNAME_SEAL][0] ^= 0x01;
}
static void m_report_root(struct variant *v)
{
	v->st.root_keys[FK_SGX_KEYNAME_REPORT][0] ^= 0x01;
	v->st.root_keys[FK_SGX_KEYNAME_PROVISION][0] ^= 0x01;
	v->st.report_key_id[0] ^= 0x01;
}

static const struct input seal_inputs[] = {
	{"MRENCLAVE", false, false, m_mrenclave, b_mrenclave},
	{"MRSIGNER", false, false, m_mrsigner, b_mrsigner},
	{"ISVPRODID", false, false, m_prodid, b_prodid},
	{"request ISVSVN lower", false, false, m_req_isvsvn_lower, always},
	{"request ISVSVN zero", false, false, m_req_isvsvn_zero, always},
	{"enclave ISVSVN higher (request same)", false, false, m_enclave_isvsvn_up, never},
	{"request CPUSVN DOWNGRADED", false, false, m_req_cpusvn_down, always},
	{"request CPUSVN zero (= DEFAULT)", false, false, m_req_cpusvn_zero, never},
	{"platform CPUSVN UPGRADED (request same)", false, false, m_platform_cpusvn_up, never},
	{"CONFIGID", true, false, m_configid, b_configid},
	{"request CONFIGSVN lower", true, false, m_req_configsvn_lower, b_configid},
	{"enclave CONFIGSVN higher (request same)", true, false, m_enclave_configsvn_up, never},
	{"ISVFAMILYID", false, false, m_family, b_family},
	{"ISVEXTPRODID", false, false, m_extprod, b_extprod},
	{"DEBUG", false, false, m_debug, always},
	{"INITTED", false, false, m_initted, always},
	{"MODE64BIT", false, false, m_mode64, b_mode64},
	{"flag 0x8", false, false, m_flag8, b_flag8},
	{"PROVISION_KEY attribute", false, false, m_provision_attr, b_provision_attr},
	{"flag 1<<56", false, false, m_flag_high, b_flag_high},
	{"XFRM bit 2", false, false, m_xfrm, b_xfrm},
	{"MISCSELECT bit 0", false, false, m_misc1, b_misc1},
	{"MISCSELECT bit 28", false, false, m_misc_hi, b_misc_hi},
	{"CET attributes", false, false, m_cet, never},
	{"KEYID", false, false, m_keyid, always},
	{"attribute mask bit 0x40 (not in SECS)", false, false, m_mask_flag_unset_bit, always},
	{"attribute mask INITTED bit", false, false, m_mask_initted, always},
	{"xfrm mask bit 3", false, false, m_mask_xfrm, always},
	{"misc mask bit 3", false, false, m_misc_mask, always},
	{"owner epoch", false, true, m_owner_epoch, always},
	{"SEAL root key", false, true, m_seal_root, always},
	{"REPORT/PROVISION roots, report KEYID", false, true, m_report_root, never},
};

static const uint16_t plain_policies[] = {0x00, 0x01, 0x02, 0x03};
static const uint16_t kss_policies[] = {0x01, 0x02, 0x03, 0x05, 0x06, 0x0A,
					0x12, 0x22, 0x3A, 0x3F};

static void base_variant(struct variant *v, const struct fk_sim_state *st, bool kss,
			 uint16_t policy, const struct mask *m)
{
	memset(v, 0, sizeof(*v));
	v->st = *st;
	if (kss)
		enclave_kss(&v->id);
	else
		enclave_plain(&v->id);
	v->f.key_name = FK_SGX_KEYNAME_SEAL;
	v->f.key_policy = policy;
	v->f.isv_svn = v->id.isv_svn;
	v->f.config_svn = v->id.config_svn;
	memcpy(v->f.cpu_svn, fk_sim_cpusvn_values[FK_SIM_CPUSVN_DEFAULT], 16);
	v->f.attr_mask_flags = m->flags;
	v->f.attr_mask_xfrm = m->xfrm;
	v->f.misc_mask = m->misc;
	for (int i = 0; i < 32; i++)
		v->f.key_id[i] = (uint8_t)(i * 37 + 1);
}

static void seal_matrix_for(struct tally *t, const struct fk_sim_state *st, bool kss,
			    uint16_t policy, const struct mask *m)
{
	struct variant base, v;
	uint8_t base_key[16];
	char label[256];
	const char *mode = st->mode == FK_SIM_MODE_SECURE ? "secure" : "sdk-compat";

	base_variant(&base, st, kss, policy, m);
	snprintf(label, sizeof(label), "SEAL %s %s policy 0x%02x mask %s base", mode,
		 kss ? "KSS" : "plain", policy, m->name);
	fusekey_status s = derive(&base, base_key, t, label);
	if (s != FUSEKEY_OK) {
		report_failure(t, label, fusekey_status_name(s));
		return;
	}

	for (size_t i = 0; i < sizeof(seal_inputs) / sizeof(seal_inputs[0]); i++) {
		const struct input *in = &seal_inputs[i];
		if (in->kss_only && !kss)
			continue;
		if (in->secure_only && st->mode != FK_SIM_MODE_SECURE)
			continue;
		v = base;
		in->mutate(&v);
		snprintf(label, sizeof(label), "SEAL %s %s policy 0x%02x mask %s: %s", mode,
			 kss ? "KSS" : "plain", policy, m->name, in->name);
		cell_change(t, label, base_key, &v, in->bound(&base));
	}
	/* each policy bit itself (the policy enters the key), where legal for the enclave */
	for (int bit = 0; bit < 6; bit++) {
		uint16_t b = (uint16_t)(1u << bit);
		if (!kss && (b & FK_SGX_KEYPOLICY_NEEDS_KSS))
			continue;
		v = base;
		v.f.key_policy ^= b;
		snprintf(label, sizeof(label), "SEAL %s %s policy 0x%02x mask %s: policy ^ 0x%02x",
			 mode, kss ? "KSS" : "plain", policy, m->name, b);
		cell_change(t, label, base_key, &v, true);
	}
}

static void run_seal_matrix(struct tally *t, const struct fk_sim_state *st)
{
	for (size_t mi = 0; mi < sizeof(masks) / sizeof(masks[0]); mi++) {
		for (size_t i = 0; i < sizeof(plain_policies) / sizeof(plain_policies[0]); i++)
			seal_matrix_for(t, st, false, plain_policies[i], &masks[mi]);
		for (size_t i = 0; i < sizeof(kss_policies) / sizeof(kss_policies[0]); i++)
			seal_matrix_for(t, st, true, kss_policies[i], &masks[mi]);
	}
}

/* ---- REPORT inputs ---- */

static void m_req_policy(struct variant *v)
{
	v->f.key_policy ^= FK_SGX_KEYPOLICY_MRENCLAVE | FK_SGX_KEYPOLICY_MRSIGNER;
}
static void m_req_isvsvn_any(struct variant *v)
{
	v->f.isv_svn = 0xFFFF; /* not checked for REPORT */
}
static void m_req_cpusvn_any(struct variant *v)
{
	memset(v->f.cpu_svn, 0x5A, 16); /* not checked for REPORT */
}
static void m_req_masks(struct variant *v)
{
	v->f.attr_mask_flags = ~0ULL;
	v->f.attr_mask_xfrm = ~0ULL;
	v->f.misc_mask = 0xFFFFFFFFu;
}

static const struct input report_inputs[] = {
	{"MRENCLAVE", false, false, m_mrenclave, always},
	{"MRSIGNER", false, false, m_mrsigner, never},
	{"ISVPRODID", false, false, m_prodid, never},
	{"enclave ISVSVN", false, false, m_enclave_isvsvn_up, never},
	{"ISVFAMILYID", false, false, m_family, never},
	{"ISVEXTPRODID", false, false, m_extprod, never},
	{"DEBUG", false, false, m_debug, always},
	{"INITTED", false, false, m_initted, always},
	{"MODE64BIT", false, false, m_mode64, always},
	{"flag 1<<56", false, false, m_flag_high, always},
	{"XFRM bit 2", false, false, m_xfrm, always},
	{"MISCSELECT bit 0", false, false, m_misc1, always},
	{"CET attributes", false, false, m_cet, never},
	{"CONFIGID", true, false, m_configid, always},
	{"enclave CONFIGSVN", true, false, m_enclave_configsvn_up, always},
	{"platform CPUSVN", false, false, m_platform_cpusvn_up, always},
	{"KEYID", false, false, m_keyid, always},
	{"request policy", false, false, m_req_policy, never},
	{"request ISVSVN (even above SECS)", false, false, m_req_isvsvn_any, never},
	{"request CPUSVN (even unknown)", false, false, m_req_cpusvn_any, never},
	{"request masks", false, false, m_req_masks, never},
	{"owner epoch", false, true, m_owner_epoch, always},
	{"SEAL root key", false, true, m_seal_root, never},
};

static void m_report_root_only(struct variant *v)
{
	v->st.root_keys[FK_SGX_KEYNAME_REPORT][3] ^= 0x10;
}

static void run_report_matrix(struct tally *t, const struct fk_sim_state *st)
{
	const char *mode = st->mode == FK_SIM_MODE_SECURE ? "secure" : "sdk-compat";
	for (int kss = 0; kss < 2; kss++) {
		struct variant base, v;
		uint8_t base_key[16];
		char label[256];

		memset(&base, 0, sizeof(base));
		base.st = *st;
		if (kss)
			enclave_kss(&base.id);
		else
			enclave_plain(&base.id);
		base.f.key_name = FK_SGX_KEYNAME_REPORT;
		memset(base.f.key_id, 0x42, 32);
		snprintf(label, sizeof(label), "REPORT %s %s base", mode, kss ? "KSS" : "plain");
		assert_int_equal(derive(&base, base_key, t, label), FUSEKEY_OK);
		for (size_t i = 0; i < sizeof(report_inputs) / sizeof(report_inputs[0]); i++) {
			const struct input *in = &report_inputs[i];
			if ((in->kss_only && !kss) ||
			    (in->secure_only && st->mode != FK_SIM_MODE_SECURE))
				continue;
			v = base;
			in->mutate(&v);
			snprintf(label, sizeof(label), "REPORT %s %s: %s", mode,
				 kss ? "KSS" : "plain", in->name);
			cell_change(t, label, base_key, &v, in->bound(&base));
		}
		if (st->mode == FK_SIM_MODE_SECURE) {
			v = base;
			m_report_root_only(&v);
			snprintf(label, sizeof(label), "REPORT %s %s: REPORT root", mode,
				 kss ? "KSS" : "plain");
			cell_change(t, label, base_key, &v, true);
		}
	}
}

/* ---- refusals ---- */

static void run_refusals(struct tally *t, const struct fk_sim_state *st)
{
	const char *mode = st->mode == FK_SIM_MODE_SECURE ? "secure" : "sdk-compat";
	struct variant base, v;
	char label[256];

	for (int kss = 0; kss < 2; kss++) {
		const char *kn = kss ? "KSS" : "plain";
		uint16_t p0 = FK_SGX_KEYPOLICY_MRSIGNER;
		base_variant(&base, st, kss, p0, &masks[0]);

		/* ISVSVN above the enclave's */
		static const uint16_t svn_up[] = {0x0305, 0x0400, 0xFFFF};
		for (size_t i = 0; i < 3; i++) {
			v = base;
			v.f.isv_svn = svn_up[i];
			snprintf(label, sizeof(label), "%s %s: request ISVSVN 0x%04x > 0x0304", mode,
				 kn, svn_up[i]);
			cell_status(t, label, &v, FUSEKEY_ERR_INVALID_ISVSVN);
		}
		/* ISVSVN equal and below are fine */
		v = base;
		snprintf(label, sizeof(label), "%s %s: request ISVSVN equal", mode, kn);
		cell_status(t, label, &v, FUSEKEY_OK);

		/* ISVSVN is checked before CPUSVN (egetkey-138) */
		v = base;
		v.f.isv_svn = 0xFFFF;
		v.f.cpu_svn[0] ^= 1;
		snprintf(label, sizeof(label), "%s %s: ISVSVN above and CPUSVN unknown", mode, kn);
		cell_status(t, label, &v, FUSEKEY_ERR_INVALID_ISVSVN);

		if (kss) {
			/* CONFIGSVN above the enclave's -> INVALID_ISVSVN, with or without CONFIGID */
			static const uint16_t pols[] = {0x02, 0x0A};
			for (size_t i = 0; i < 2; i++) {
				v = base;
				v.f.key_policy = pols[i];
				v.f.config_svn = 6;
				snprintf(label, sizeof(label),
					 "%s KSS policy 0x%02x: request CONFIGSVN 6 > 5", mode,
					 pols[i]);
				cell_status(t, label, &v, FUSEKEY_ERR_INVALID_ISVSVN);
			}
		}

		/* CPUSVN acceptance: (platform, request) */
		static const struct {
			enum fk_sim_cpusvn platform;
			int request; /* index, 3 = zero, 4 = unknown */
			fusekey_status want;
		} cpus[] = {
			{FK_SIM_CPUSVN_DEFAULT, 0, FUSEKEY_OK},
			{FK_SIM_CPUSVN_DEFAULT, 1, FUSEKEY_ERR_INVALID_CPUSVN},
			{FK_SIM_CPUSVN_DEFAULT, 2, FUSEKEY_OK},
			{FK_SIM_CPUSVN_DEFAULT, 3, FUSEKEY_OK},
			{FK_SIM_CPUSVN_DEFAULT, 4, FUSEKEY_ERR_INVALID_CPUSVN},
			{FK_SIM_CPUSVN_UPGRADED, 0, FUSEKEY_OK},
			{FK_SIM_CPUSVN_UPGRADED, 1, FUSEKEY_OK},
			{FK_SIM_CPUSVN_UPGRADED, 2, FUSEKEY_OK},
			{FK_SIM_CPUSVN_UPGRADED, 3, FUSEKEY_OK},
			{FK_SIM_CPUSVN_UPGRADED, 4, FUSEKEY_ERR_INVALID_CPUSVN},
			{FK_SIM_CPUSVN_DOWNGRADED, 0, FUSEKEY_ERR_INVALID_CPUSVN},
			{FK_SIM_CPUSVN_DOWNGRADED, 1, FUSEKEY_ERR_INVALID_CPUSVN},
			{FK_SIM_CPUSVN_DOWNGRADED, 2, FUSEKEY_OK},
			{FK_SIM_CPUSVN_DOWNGRADED, 3, FUSEKEY_ERR_INVALID_CPUSVN},
			{FK_SIM_CPUSVN_DOWNGRADED, 4, FUSEKEY_ERR_INVALID_CPUSVN},
		};
		static const char *const rname[] = {"DEFAULT", "UPGRADED", "DOWNGRADED", "zero",
						    "unknown"};
		for (size_t i = 0; i < sizeof(cpus) / sizeof(cpus[0]); i++) {
			v = base;
			v.st.cpusvn = cpus[i].platform;
			if (cpus[i].request < 3)
				memcpy(v.f.cpu_svn, fk_sim_cpusvn_values[cpus[i].request], 16);
			else if (cpus[i].request == 3)
				memset(v.f.cpu_svn, 0, 16);
			else
				v.f.cpu_svn[15] ^= 0x01; /* DEFAULT with one bit changed */
			snprintf(label, sizeof(label), "%s %s: platform %s, request CPUSVN %s", mode,
				 kn, fk_sim_cpusvn_name(cpus[i].platform),
				 rname[cpus[i].request]);
			cell_status(t, label, &v, cpus[i].want);
		}

		/* reserved bytes of the request: every one of reserved1 and reserved2 */
		for (size_t off = 6; off < 512; off++) {
			struct fk_sgx_key_request req;
			uint8_t k[16];
			if (off == 8)
				off = 78;
			fk_sgx_key_request_encode(&base.f, &req);
			((uint8_t *)&req)[off] = (uint8_t)(off & 1 ? 0x80 : 0x01);
			snprintf(label, sizeof(label), "%s %s: reserved byte %zu", mode, kn, off);
			fusekey_status got = derive_raw(&base, &req, k, t, label);
			t->cells++;
			t->status++;
			if (got != FUSEKEY_ERR_INVALID_PARAMETER)
				report_failure(t, label, fusekey_status_name(got));
		}
		/* ...also for the REPORT key name */
		{
			struct fk_sgx_key_request req;
			uint8_t k[16];
			memset(&req, 0, sizeof(req));
			fk_put_le16(req.key_name, FK_SGX_KEYNAME_REPORT);
			req.reserved2[200] = 1;
			snprintf(label, sizeof(label), "%s %s: REPORT with reserved byte", mode, kn);
			fusekey_status got = derive_raw(&base, &req, k, t, label);
			t->cells++;
			t->status++;
			if (got != FUSEKEY_ERR_INVALID_PARAMETER)
				report_failure(t, label, fusekey_status_name(got));
		}

		/* policy bits 6..15 */
		for (int bit = 6; bit < 16; bit++) {
			v = base;
			v.f.key_policy = (uint16_t)(p0 | (1u << bit));
			snprintf(label, sizeof(label), "%s %s: policy bit %d", mode, kn, bit);
			cell_status(t, label, &v, FUSEKEY_ERR_INVALID_PARAMETER);
		}

		/* KSS-only policy bits and CONFIGSVN: refused without KSS, fine with it */
		static const uint16_t kss_bits[] = {FK_SGX_KEYPOLICY_NOISVPRODID,
						    FK_SGX_KEYPOLICY_CONFIGID,
						    FK_SGX_KEYPOLICY_ISVFAMILYID,
						    FK_SGX_KEYPOLICY_ISVEXTPRODID, 0x3C};
		for (size_t i = 0; i < sizeof(kss_bits) / sizeof(kss_bits[0]); i++) {
			v = base;
			v.f.key_policy = (uint16_t)(p0 | kss_bits[i]);
			snprintf(label, sizeof(label), "%s %s: policy 0x%02x", mode, kn,
				 v.f.key_policy);
			cell_status(t, label, &v, kss ? FUSEKEY_OK : FUSEKEY_ERR_INVALID_PARAMETER);
		}
		if (!kss) {
			v = base;
			v.f.config_svn = 1;
			snprintf(label, sizeof(label), "%s plain: request CONFIGSVN 1", mode);
			cell_status(t, label, &v, FUSEKEY_ERR_INVALID_PARAMETER);
			v.f.key_name = FK_SGX_KEYNAME_REPORT;
			snprintf(label, sizeof(label), "%s plain: REPORT with CONFIGSVN 1", mode);
			cell_status(t, label, &v, FUSEKEY_ERR_INVALID_PARAMETER);
		}
	}
}

/* ---- the cmocka cases ---- */

static void check_tally(const struct tally *t, const char *what, size_t min_cells)
{
	print_message("# %s: %zu cells (%zu key changes, %zu unchanged keys, %zu statuses), "
		      "%zu failures\n",
		      what, t->cells, t->changed, t->same, t->status, t->failures);
	assert_true(t->cells >= min_cells);
	assert_int_equal(t->failures, 0);
}

static struct tally grand;

static void test_seal_matrix_sdk_compat(void **state)
{
	(void)state;
	struct fk_sim_state st;
	struct tally t = {0};
	fk_sim_state_sdk_compat(&st, FK_SIM_CPUSVN_DEFAULT);
	run_seal_matrix(&t, &st);
	check_tally(&t, "SEAL matrix, sdk-compat", 200);
	grand.cells += t.cells;
}

static void test_seal_matrix_secure(void **state)
{
	(void)state;
	struct fk_sim_state st;
	struct tally t = {0};
	EXPECT_OK(fk_sim_state_random(&st, FK_SIM_CPUSVN_DEFAULT));
	run_seal_matrix(&t, &st);
	fk_sim_state_clear(&st);
	check_tally(&t, "SEAL matrix, secure", 200);
	grand.cells += t.cells;
}

static void test_report_matrix(void **state)
{
	(void)state;
	struct fk_sim_state st;
	struct tally t = {0};
	fk_sim_state_sdk_compat(&st, FK_SIM_CPUSVN_DEFAULT);
	run_report_matrix(&t, &st);
	EXPECT_OK(fk_sim_state_random(&st, FK_SIM_CPUSVN_DEFAULT));
	run_report_matrix(&t, &st);
	fk_sim_state_clear(&st);
	check_tally(&t, "REPORT matrix", 40);
	grand.cells += t.cells;
}

static void test_refusals(void **state)
{
	(void)state;
	struct fk_sim_state st;
	struct tally t = {0};
	fk_sim_state_sdk_compat(&st, FK_SIM_CPUSVN_DEFAULT);
	run_refusals(&t, &st);
	EXPECT_OK(fk_sim_state_random(&st, FK_SIM_CPUSVN_DEFAULT));
	run_refusals(&t, &st);
	fk_sim_state_clear(&st);
	check_tally(&t, "EGETKEY refusals", 200);
	grand.cells += t.cells;
}

/* Known answers anchor the matrix: with the SDK constants, the base of the
 * "plain, MRSIGNER, default mask" cell is the sgx.md §10 seal key when the
 * enclave is A exactly. */
static void test_matrix_anchor_kat(void **state)
{
	(void)state;
	struct fk_sim_state st;
	struct variant v;
	struct tally t = {0};
	uint8_t key[16], want[16];

	fk_sim_state_sdk_compat(&st, FK_SIM_CPUSVN_DEFAULT);
	base_variant(&v, &st, false, FK_SGX_KEYPOLICY_MRSIGNER, &masks[0]);
	th_identity(&v.id, 0xa1, 0x51); /* enclave A exactly: misc 0, no family ids */
	for (int i = 0; i < 32; i++)
		v.f.key_id[i] = (uint8_t)i;
	EXPECT_OK(derive(&v, key, &t, "anchor"));
	th_hex("b3ebedcc5761ffc077832297b79f9d0e", want, 16);
	assert_memory_equal(key, want, 16);
	/* A's family id is not selected by MRSIGNER: same key with a non-zero one */
	memset(v.id.isv_family_id, 0x3c, 16);
	EXPECT_OK(derive(&v, key, &t, "anchor"));
	assert_memory_equal(key, want, 16);
	assert_int_equal(t.failures, 0);
}

static void test_total(void **state)
{
	(void)state;
	print_message("# EGETKEY matrix total: %zu asserted cells\n", grand.cells);
	assert_true(grand.cells >= 200);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_matrix_anchor_kat),
		cmocka_unit_test(test_seal_matrix_sdk_compat),
		cmocka_unit_test(test_seal_matrix_secure),
		cmocka_unit_test(test_report_matrix),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_total),
	};
	return cmocka_run_group_tests_name("sim_matrix", tests, NULL, NULL);
}
