/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The emulated SGX platform (see fk_sim.h).
 *
 * EGETKEY follows the SDM's order of checks and the SDK simulation's key
 * derivation (intel/linux-sgx sdk/simulation/tinst/deriv.cpp, sgx.md §3, §5):
 *   1. sgx_get_key pre-checks (fk_platform_check_key_request) -> INVALID_PARAMETER
 *   2. an all-zero request CPUSVN becomes DEFAULT before any other check
 *   3. per key name: attribute, ISVSVN, CONFIGSVN and CPUSVN checks
 *   4. key = AES-128-CMAC(root[key_name], dd_<name>_key_t)
 * The dd structs are built byte by byte at the offsets of the SDK's naturally
 * aligned C structs (platform.json "derivation"), zero padding included.
 */
#include "platform/fk_sim.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/fk_file.h"

/* ---- SDK simulation-mode constants (sgx.md §5) ---- */

const uint8_t fk_sim_cpusvn_values[3][FK_SGX_CPUSVN_SIZE] = {
	{0x48, 0x20, 0xf3, 0x37, 0x6a, 0xe6, 0xb2, 0xf2, 0x03, 0x4d, 0x3b, 0x7a, 0x4b, 0x48, 0xa7,
	 0x78},
	{0x53, 0x39, 0xae, 0x8c, 0x93, 0xae, 0x8f, 0x3c, 0xe4, 0x32, 0xdb, 0x92, 0x4d, 0x0f, 0x07,
	 0x33},
	{0x64, 0xea, 0x4f, 0x3f, 0xa0, 0x03, 0x0c, 0x36, 0x38, 0x3c, 0x32, 0x2d, 0x4f, 0x3a, 0x8d,
	 0x4f},
};

static const uint8_t sdk_root_keys[5][FK_SGX_KEY_SIZE] = {
	/* EINITTOKEN */
	{0xaa, 0x55, 0xaa, 0x55, 0xaa, 0x55, 0xaa, 0x55, 0xaa, 0x55, 0xaa, 0x55, 0xaa, 0x55, 0xaa,
	 0x55},
	/* PROVISION */
	{0xbb, 0xaa, 0xbb, 0xee, 0xff, 0x00, 0x00, 0xdd, 0xbb, 0xaa, 0xbb, 0xee, 0xff, 0x00, 0x00,
	 0xdd},
	/* PROVISION_SEAL: "PROVISIONSEALKEY" */
	{'P', 'R', 'O', 'V', 'I', 'S', 'I', 'O', 'N', 'S', 'E', 'A', 'L', 'K', 'E', 'Y'},
	/* REPORT */
	{0xff, 0x00, 0xff, 0x00, 0xff, 0x00, 0xff, 0x00, 0xff, 0x00, 0xff, 0x00, 0xff, 0x00, 0xff,
	 0x00},
	/* SEAL */
	{0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee,
	 0xff},
};
static const uint8_t sdk_owner_epoch[16] = {'T', 'H', 'I', 'S', 'I', 'S', 'O', 'W',
					    'N', 'E', 'R', 'E', 'P', 'O', 'C', 'H'};

/* ---- derivation-data layouts (platform.json "derivation.structures") ---- */

enum {
	DD_SEAL_SIZE = 280,
	DD_REPORT_SIZE = 192,
	DD_LICENSE_SIZE = 128,
	DD_PROVISION_SIZE = 104,
	DD_PROVISION_SEAL_SIZE = 200,
	DD_MAX_SIZE = DD_SEAL_SIZE,
};

struct sim {
	struct fk_platform base; /* first: fk_platform* <-> struct sim* */
	struct fk_sim_state st;
	struct fk_sgx_identity secs;
};

static struct sim *sim_of(struct fk_platform *p)
{
	return (struct sim *)p;
}

static const uint8_t *platform_cpusvn(const struct sim *s)
{
	return fk_sim_cpusvn_values[s->st.cpusvn];
}

/* The inputs every dd struct draws from, computed once per request. */
struct dd_inputs {
	uint16_t key_name, policy;
	uint64_t tmp_flags, tmp_xfrm; /* (mask | INITTED | DEBUG) & SECS */
	uint64_t mask_flags, mask_xfrm;
	uint32_t tmp_misc, not_misc_mask;
	const uint8_t *cpu_svn;
	uint16_t isv_svn, isv_prod_id, config_svn;
	const uint8_t *config_id, *family_id, *ext_prod_id, *mr_enclave, *mr_signer, *key_id;
};

static void put_attr(uint8_t *dd, size_t off, uint64_t flags, uint64_t xfrm)
{
	fk_put_le64(dd + off, flags);
	fk_put_le64(dd + off + 8, xfrm);
}

/* dd_seal_key_t (280 B) */
static size_t build_dd_seal(const struct dd_inputs *in, const uint8_t epoch[16], uint8_t *dd)
{
	fk_put_le16(dd + 0, in->key_name);
	fk_put_le16(dd + 2, in->policy);
	put_attr(dd, 8, in->tmp_flags, in->tmp_xfrm);
	put_attr(dd, 24, in->mask_flags, in->mask_xfrm);
	fk_put_le32(dd + 40, in->tmp_misc);
	fk_put_le32(dd + 44, in->not_misc_mask);
	memcpy(dd + 48, epoch, 16);
	memcpy(dd + 64, in->cpu_svn, 16);
	fk_put_le16(dd + 80, in->isv_svn);
	fk_put_le16(dd + 82, in->isv_prod_id);
	fk_put_le16(dd + 84, in->config_svn);
	if (in->config_id)
		memcpy(dd + 86, in->config_id, 64);
	if (in->family_id)
		memcpy(dd + 150, in->family_id, 16);
	if (in->ext_prod_id)
		memcpy(dd + 166, in->ext_prod_id, 16);
	if (in->mr_enclave)
		memcpy(dd + 182, in->mr_enclave, 32);
	if (in->mr_signer)
		memcpy(dd + 214, in->mr_signer, 32);
	memcpy(dd + 246, in->key_id, 32);
	return DD_SEAL_SIZE;
}

/* dd_license_key_t (EINITTOKEN, 128 B) */
static size_t build_dd_license(const struct dd_inputs *in, const uint8_t epoch[16], uint8_t *dd)
{
	fk_put_le16(dd + 0, in->key_name);
	put_attr(dd, 8, in->tmp_flags, in->tmp_xfrm);
	fk_put_le32(dd + 24, in->tmp_misc);
	memcpy(dd + 28, epoch, 16);
	memcpy(dd + 44, in->cpu_svn, 16);
	fk_put_le16(dd + 60, in->isv_svn);
	fk_put_le16(dd + 62, in->isv_prod_id);
	memcpy(dd + 64, in->mr_signer, 32);
	memcpy(dd + 96, in->key_id, 32);
	return DD_LICENSE_SIZE;
}

/* dd_provision_key_t (104 B): no owner epoch, no KEYID. */
static size_t build_dd_provision(const struct dd_inputs *in, uint8_t *dd)
{
	fk_put_le16(dd + 0, in->key_name);
	put_attr(dd, 8, in->tmp_flags, in->tmp_xfrm);
	put_attr(dd, 24, in->mask_flags, in->mask_xfrm);
	fk_put_le32(dd + 40, in->tmp_misc);
	fk_put_le32(dd + 44, in->not_misc_mask);
	memcpy(dd + 48, in->cpu_svn, 16);
	fk_put_le16(dd + 64, in->isv_svn);
	fk_put_le16(dd + 66, in->isv_prod_id);
	memcpy(dd + 68, in->mr_signer, 32);
	return DD_PROVISION_SIZE;
}

/* dd_provision_seal_key_t (200 B) */
static size_t build_dd_provision_seal(const struct dd_inputs *in, uint8_t *dd)
{
	fk_put_le16(dd + 0, in->key_name);
	fk_put_le16(dd + 2, in->policy);
	put_attr(dd, 8, in->tmp_flags, in->tmp_xfrm);
	put_attr(dd, 24, in->mask_flags, in->mask_xfrm);
	fk_put_le32(dd + 40, in->tmp_misc);
	fk_put_le32(dd + 44, in->not_misc_mask);
	memcpy(dd + 48, in->cpu_svn, 16);
	fk_put_le16(dd + 64, in->isv_svn);
	fk_put_le16(dd + 66, in->isv_prod_id);
	fk_put_le16(dd + 68, in->config_svn);
	if (in->config_id)
		memcpy(dd + 70, in->config_id, 64);
	if (in->family_id)
		memcpy(dd + 134, in->family_id, 16);
	if (in->ext_prod_id)
		memcpy(dd + 150, in->ext_prod_id, 16);
	memcpy(dd + 166, in->mr_signer, 32);
	return DD_PROVISION_SEAL_SIZE;
}

/* dd_report_key_t (192 B), from the SECS (EGETKEY) or a TARGETINFO (EREPORT). */
static size_t build_dd_report(const struct fk_sgx_attributes *attributes,
			      const uint8_t misc_select[4], const uint8_t epoch[16],
			      const uint8_t mr_enclave[32], const uint8_t cpu_svn[16],
			      const uint8_t config_svn[2], const uint8_t config_id[64],
			      const uint8_t key_id[32], uint8_t *dd)
{
	fk_put_le16(dd + 0, FK_SGX_KEYNAME_REPORT);
	memcpy(dd + 8, attributes, 16); /* all 16 bytes, unmasked (sgx.md §4) */
	memcpy(dd + 24, misc_select, 4);
	memcpy(dd + 28, epoch, 16);
	memcpy(dd + 44, mr_enclave, 32);
	memcpy(dd + 76, cpu_svn, 16);
	memcpy(dd + 92, config_svn, 2);
	memcpy(dd + 94, config_id, 64);
	memcpy(dd + 158, key_id, 32);
	return DD_REPORT_SIZE;
}

/* The REPORT key of the enclave described by ti, for KEYID key_id. */
static fusekey_status report_key_for(const struct sim *s, const struct fk_sgx_target_info *ti,
				     const uint8_t key_id[32], uint8_t key[FK_SGX_KEY_SIZE])
{
	uint8_t dd[DD_REPORT_SIZE] = {0};
	size_t n = build_dd_report(&ti->attributes, ti->misc_select, s->st.owner_epoch,
				   ti->mr_enclave, platform_cpusvn(s), ti->config_svn, ti->config_id,
				   key_id, dd);
	fusekey_status st = fk_cmac128(s->st.root_keys[FK_SGX_KEYNAME_REPORT], dd, n, key);
	FK_WIPE(dd);
	return st;
}

/*
 * SDK simulation CPUSVN rule (platform.json cpusvn.rule): the request CPUSVN
 * must be one of the three values and not "beyond" the platform's.
 */
static bool cpusvn_acceptable(const struct sim *s, const uint8_t req[FK_SGX_CPUSVN_SIZE])
{
	int idx = -1;
	for (int i = 0; i < 3; i++)
		if (memcmp(req, fk_sim_cpusvn_values[i], FK_SGX_CPUSVN_SIZE) == 0)
			idx = i;
	if (idx < 0)
		return false;
	if (s->st.cpusvn == FK_SIM_CPUSVN_DEFAULT && idx == FK_SIM_CPUSVN_UPGRADED)
		return false;
	if (s->st.cpusvn == FK_SIM_CPUSVN_DOWNGRADED && idx != FK_SIM_CPUSVN_DOWNGRADED)
		return false;
	return true;
}

static fusekey_status sim_get_key(struct fk_platform *p, const struct fk_sgx_key_request *req,
				  uint8_t key[FK_SGX_KEY_SIZE])
{
	struct sim *s = sim_of(p);
	const struct fk_sgx_identity *secs = &s->secs;
	struct fk_sgx_key_request_fields f;
	struct dd_inputs in;
	uint8_t dd[DD_MAX_SIZE] = {0};
	uint8_t cpu_svn[FK_SGX_CPUSVN_SIZE];
	fusekey_status st;
	size_t n = 0;
	bool sdk = s->st.mode == FK_SIM_MODE_SDK_COMPAT;

	fk_wipe(key, FK_SGX_KEY_SIZE);
	st = fk_platform_check_key_request(req, secs);
	if (st != FUSEKEY_OK)
		goto out;
	fk_sgx_key_request_decode(req, &f);

	if (f.key_name == FK_SGX_KEYNAME_REPORT) {
		struct fk_sgx_target_info self;
		fk_sgx_target_info_from_identity(secs, &self);
		st = report_key_for(s, &self, f.key_id, key);
		goto out;
	}

	/* Step 2: all-zero CPUSVN means the default one (SDK simulation, sgx.md §5). */
	memcpy(cpu_svn, f.cpu_svn, sizeof(cpu_svn));
	if (fk_sgx_all_zero(cpu_svn, sizeof(cpu_svn)))
		memcpy(cpu_svn, fk_sim_cpusvn_values[FK_SIM_CPUSVN_DEFAULT], sizeof(cpu_svn));

	/* Step 3: per key name. fusekey only needs SEAL (and REPORT above); the
	 * provisioning and launch keys exist only to match the SDK in sdk-compat mode. */
	switch (f.key_name) {
	case FK_SGX_KEYNAME_SEAL:
		break;
	case FK_SGX_KEYNAME_EINITTOKEN:
		if (!sdk) {
			st = FUSEKEY_ERR_INVALID_KEYNAME;
			goto out;
		}
		if (!(secs->flags & FK_SGX_FLAGS_EINITTOKEN_KEY)) {
			st = FUSEKEY_ERR_INVALID_ATTRIBUTE;
			goto out;
		}
		break;
	case FK_SGX_KEYNAME_PROVISION:
	case FK_SGX_KEYNAME_PROVISION_SEAL:
		if (!sdk) {
			st = FUSEKEY_ERR_INVALID_KEYNAME;
			goto out;
		}
		if (!(secs->flags & FK_SGX_FLAGS_PROVISION_KEY)) {
			st = FUSEKEY_ERR_INVALID_ATTRIBUTE;
			goto out;
		}
		break;
	default:
		st = FUSEKEY_ERR_INVALID_KEYNAME;
		goto out;
	}
	if (f.isv_svn > secs->isv_svn) {
		st = FUSEKEY_ERR_INVALID_ISVSVN;
		goto out;
	}
	if ((f.key_name == FK_SGX_KEYNAME_SEAL || f.key_name == FK_SGX_KEYNAME_PROVISION_SEAL) &&
	    f.config_svn > secs->config_svn) {
		st = FUSEKEY_ERR_INVALID_ISVSVN;
		goto out;
	}
	if (!cpusvn_acceptable(s, cpu_svn)) {
		st = FUSEKEY_ERR_INVALID_CPUSVN;
		goto out;
	}

	/* Step 4: the derivation inputs (sgx.md §3 table, §5). */
	memset(&in, 0, sizeof(in));
	in.key_name = f.key_name;
	in.policy = f.key_policy;
	in.tmp_flags = (f.attr_mask_flags | FK_SGX_FLAGS_INITTED | FK_SGX_FLAGS_DEBUG) & secs->flags;
	in.tmp_xfrm = f.attr_mask_xfrm & secs->xfrm;
	in.mask_flags = f.attr_mask_flags;
	in.mask_xfrm = f.attr_mask_xfrm;
	in.tmp_misc = f.misc_mask & secs->misc_select;
	in.not_misc_mask = ~f.misc_mask;
	in.cpu_svn = cpu_svn;
	in.isv_svn = f.isv_svn;
	in.isv_prod_id = (f.key_policy & FK_SGX_KEYPOLICY_NOISVPRODID) ? 0 : secs->isv_prod_id;
	if (f.key_policy & FK_SGX_KEYPOLICY_CONFIGID) {
		in.config_svn = f.config_svn;
		in.config_id = secs->config_id;
	}
	if (f.key_policy & FK_SGX_KEYPOLICY_ISVFAMILYID)
		in.family_id = secs->isv_family_id;
	if (f.key_policy & FK_SGX_KEYPOLICY_ISVEXTPRODID)
		in.ext_prod_id = secs->isv_ext_prod_id;
	if (f.key_policy & FK_SGX_KEYPOLICY_MRENCLAVE)
		in.mr_enclave = secs->mr_enclave;
	if (f.key_policy & FK_SGX_KEYPOLICY_MRSIGNER)
		in.mr_signer = secs->mr_signer;
	in.key_id = f.key_id;

	switch (f.key_name) {
	case FK_SGX_KEYNAME_SEAL:
		n = build_dd_seal(&in, s->st.owner_epoch, dd);
		break;
	case FK_SGX_KEYNAME_EINITTOKEN:
		in.isv_prod_id = secs->isv_prod_id;
		in.mr_signer = secs->mr_signer;
		n = build_dd_license(&in, s->st.owner_epoch, dd);
		break;
	case FK_SGX_KEYNAME_PROVISION:
		in.isv_prod_id = secs->isv_prod_id;
		in.mr_signer = secs->mr_signer;
		n = build_dd_provision(&in, dd);
		break;
	case FK_SGX_KEYNAME_PROVISION_SEAL:
		in.mr_signer = secs->mr_signer;
		n = build_dd_provision_seal(&in, dd);
		break;
	default:
		st = FUSEKEY_ERR_INVALID_KEYNAME;
		goto out;
	}
	st = fk_cmac128(s->st.root_keys[f.key_name], dd, n, key);
out:
	if (st != FUSEKEY_OK)
		fk_wipe(key, FK_SGX_KEY_SIZE);
	FK_WIPE(dd);
	FK_WIPE(f);
	return st;
}

static fusekey_status sim_self_target(struct fk_platform *p, struct fk_sgx_target_info *ti)
{
	fk_sgx_target_info_from_identity(&sim_of(p)->secs, ti);
	return FUSEKEY_OK;
}

static fusekey_status sim_create_report(struct fk_platform *p,
					const struct fk_sgx_target_info *target_info,
					const uint8_t *report_data, struct fk_sgx_report *report)
{
	static const struct fk_sgx_target_info zero_ti;
	static const uint8_t zero_rd[FK_SGX_REPORT_DATA_SIZE];
	struct sim *s = sim_of(p);
	uint8_t key[FK_SGX_KEY_SIZE];
	fusekey_status st;

	if (target_info == NULL)
		target_info = &zero_ti;
	if (report_data == NULL)
		report_data = zero_rd;
	memset(report, 0, sizeof(*report));
	fk_sgx_report_body_from_identity(&s->secs, platform_cpusvn(s), report_data, &report->body);
	memcpy(report->key_id, s->st.report_key_id, sizeof(report->key_id));
	/* MAC key: the REPORT key of the target, with the report's KEYID (sgx.md §4). */
	st = report_key_for(s, target_info, report->key_id, key);
	if (st != FUSEKEY_OK)
		goto out;
	st = fk_cmac128(key, &report->body, sizeof(report->body), report->mac);
out:
	FK_WIPE(key);
	if (st != FUSEKEY_OK)
		memset(report, 0, sizeof(*report));
	return st;
}

static fusekey_status sim_verify_report(struct fk_platform *p, const struct fk_sgx_report *report)
{
	struct sim *s = sim_of(p);
	struct fk_sgx_target_info self;
	uint8_t key[FK_SGX_KEY_SIZE], mac[FK_SGX_MAC_SIZE];
	fusekey_status st;

	/* EGETKEY(REPORT, report.key_id) in the verifying enclave (sgx.md §4). */
	fk_sgx_target_info_from_identity(&s->secs, &self);
	st = report_key_for(s, &self, report->key_id, key);
	if (st != FUSEKEY_OK)
		goto out;
	st = fk_cmac128(key, &report->body, sizeof(report->body), mac);
	if (st != FUSEKEY_OK)
		goto out;
	st = fk_ct_equal(mac, report->mac, sizeof(mac)) ? FUSEKEY_OK : FUSEKEY_ERR_MAC_MISMATCH;
out:
	FK_WIPE(key);
	FK_WIPE(mac);
	return st;
}

static fusekey_status sim_identity(struct fk_platform *p, struct fk_sgx_identity *id)
{
	*id = sim_of(p)->secs;
	return FUSEKEY_OK;
}

static fusekey_status sim_cpu_svn(struct fk_platform *p, uint8_t cpu_svn[FK_SGX_CPUSVN_SIZE])
{
	memcpy(cpu_svn, platform_cpusvn(sim_of(p)), FK_SGX_CPUSVN_SIZE);
	return FUSEKEY_OK;
}

static void sim_destroy(struct fk_platform *p)
{
	struct sim *s = sim_of(p);
	fk_wipe(s, sizeof(*s));
	free(s);
}

static const struct fk_platform_ops sim_ops = {
	.name = "sim",
	.self_target = sim_self_target,
	.create_report = sim_create_report,
	.verify_report = sim_verify_report,
	.get_key = sim_get_key,
	.identity = sim_identity,
	.cpu_svn = sim_cpu_svn,
	.destroy = sim_destroy,
};

fusekey_status fk_sim_platform_new(const struct fk_sim_state *st,
				   const struct fk_sgx_identity *secs, struct fk_platform **out)
{
	struct sim *s;

	if (out == NULL)
		return FUSEKEY_ERR_INVALID_PARAMETER;
	*out = NULL;
	if (st == NULL || secs == NULL || (unsigned)st->cpusvn > FK_SIM_CPUSVN_DOWNGRADED ||
	    (unsigned)st->mode > FK_SIM_MODE_SDK_COMPAT)
		return FUSEKEY_ERR_INVALID_PARAMETER;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return FUSEKEY_ERR_NO_MEMORY;
	s->base.ops = &sim_ops;
	s->base.emulated = true;
	s->base.impl = s;
	s->st = *st;
	s->secs = *secs;
	*out = &s->base;
	return FUSEKEY_OK;
}

/* ---- state ---- */

void fk_sim_state_clear(struct fk_sim_state *st)
{
	fk_wipe(st, sizeof(*st));
}

void fk_sim_state_sdk_compat(struct fk_sim_state *st, enum fk_sim_cpusvn cpusvn)
{
	memset(st, 0, sizeof(*st));
	st->mode = FK_SIM_MODE_SDK_COMPAT;
	st->cpusvn = cpusvn;
	memcpy(st->root_keys, sdk_root_keys, sizeof(st->root_keys));
	memcpy(st->owner_epoch, sdk_owner_epoch, sizeof(st->owner_epoch));
	/* Simulated EREPORT's KEYID: BASE_REPORT_KEY[0,16) || 16 zero bytes. */
	memcpy(st->report_key_id, sdk_root_keys[FK_SGX_KEYNAME_REPORT], FK_SGX_KEY_SIZE);
}

fusekey_status fk_sim_state_random(struct fk_sim_state *st, enum fk_sim_cpusvn cpusvn)
{
	fusekey_status s;

	memset(st, 0, sizeof(*st));
	st->mode = FK_SIM_MODE_SECURE;
	st->cpusvn = cpusvn;
	s = fk_random(st->root_keys, sizeof(st->root_keys));
	if (s == FUSEKEY_OK)
		s = fk_random(st->owner_epoch, sizeof(st->owner_epoch));
	if (s == FUSEKEY_OK)
		s = fk_random(st->report_key_id, sizeof(st->report_key_id));
	if (s != FUSEKEY_OK)
		fk_sim_state_clear(st);
	return s;
}

static const char *const mode_names[] = {"secure", "sdk-compat"};
static const char *const cpusvn_names[] = {"DEFAULT", "UPGRADED", "DOWNGRADED"};

const char *fk_sim_mode_name(enum fk_sim_mode mode)
{
	return (unsigned)mode < 2 ? mode_names[mode] : "unknown";
}

const char *fk_sim_cpusvn_name(enum fk_sim_cpusvn cpusvn)
{
	return (unsigned)cpusvn < 3 ? cpusvn_names[cpusvn] : "unknown";
}

bool fk_sim_mode_parse(const char *s, enum fk_sim_mode *out)
{
	for (unsigned i = 0; i < 2; i++)
		if (strcmp(s, mode_names[i]) == 0) {
			*out = (enum fk_sim_mode)i;
			return true;
		}
	return false;
}

bool fk_sim_cpusvn_parse(const char *s, enum fk_sim_cpusvn *out)
{
	for (unsigned i = 0; i < 3; i++)
		if (strcasecmp(s, cpusvn_names[i]) == 0) {
			*out = (enum fk_sim_cpusvn)i;
			return true;
		}
	return false;
}

/* ---- state directory ---- */

#define CONF_NAME "platform.conf"
#define ROOTS_NAME "roots.bin"
/* roots.bin: magic, 5 root keys, owner epoch, report KEYID. */
static const uint8_t roots_magic[8] = {'F', 'K', 'S', 'I', 'M', 'R', 'T', '1'};
enum { ROOTS_FILE_SIZE = 8 + 5 * FK_SGX_KEY_SIZE + 16 + FK_SGX_KEYID_SIZE };
enum { CONF_MAX = 4096 };

fusekey_status fk_sim_dir_resolve(const char *dir, char *buf, size_t buflen)
{
	const char *env;
	int n;

	if (dir != NULL && dir[0] != '\0')
		n = snprintf(buf, buflen, "%s", dir);
	else if ((env = getenv("FUSEKEY_SIM_DIR")) != NULL && env[0] != '\0')
		n = snprintf(buf, buflen, "%s", env);
	else if ((env = getenv("XDG_STATE_HOME")) != NULL && env[0] == '/')
		n = snprintf(buf, buflen, "%s/fusekey/sim", env);
	else if ((env = getenv("HOME")) != NULL && env[0] == '/')
		n = snprintf(buf, buflen, "%s/.local/state/fusekey/sim", env);
	else
		return FUSEKEY_ERR_NOT_FOUND;
	if (n < 0 || (size_t)n >= buflen)
		return FUSEKEY_ERR_INVALID_PARAMETER;
	return FUSEKEY_OK;
}

static fusekey_status join(char *buf, size_t len, const char *dir, const char *name)
{
	int n = snprintf(buf, len, "%s/%s", dir, name);
	return (n < 0 || (size_t)n >= len) ? FUSEKEY_ERR_INVALID_PARAMETER : FUSEKEY_OK;
}

static fusekey_status write_conf(const char *dir, enum fk_sim_mode mode,
				 enum fk_sim_cpusvn cpusvn, bool overwrite)
{
	char path[PATH_MAX], text[256];
	int n;
	fusekey_status st = join(path, sizeof(path), dir, CONF_NAME);
	if (st != FUSEKEY_OK)
		return st;
	n = snprintf(text, sizeof(text),
		     "# fusekey emulated SGX platform (no hardware protection)\n"
		     "mode=%s\ncpusvn=%s\n",
		     fk_sim_mode_name(mode), fk_sim_cpusvn_name(cpusvn));
	if (n < 0 || (size_t)n >= sizeof(text))
		return FUSEKEY_ERR_UNEXPECTED;
	return fk_file_write_atomic(path, text, (size_t)n, 0600, overwrite);
}

/* The directory and the root file must be ours and closed to others. */
static fusekey_status check_private(const char *path, bool want_dir)
{
	struct stat sb;
	if (lstat(path, &sb) != 0)
		return errno == ENOENT ? FUSEKEY_ERR_NOT_FOUND : FUSEKEY_ERR_IO;
	if (want_dir ? !S_ISDIR(sb.st_mode) : !S_ISREG(sb.st_mode))
		return FUSEKEY_ERR_FORMAT;
	if (sb.st_uid != geteuid() || (sb.st_mode & 077) != 0)
		return FUSEKEY_ERR_PERMISSION;
	return FUSEKEY_OK;
}

fusekey_status fk_sim_dir_init(const char *dir, enum fk_sim_mode mode, enum fk_sim_cpusvn cpusvn,
			       bool force)
{
	char conf[PATH_MAX], roots[PATH_MAX];
	uint8_t buf[ROOTS_FILE_SIZE];
	struct fk_sim_state st;
	struct stat sb;
	fusekey_status s;

	memset(&st, 0, sizeof(st));
	memset(buf, 0, sizeof(buf));
	if (dir == NULL || (unsigned)mode > FK_SIM_MODE_SDK_COMPAT ||
	    (unsigned)cpusvn > FK_SIM_CPUSVN_DOWNGRADED)
		return FUSEKEY_ERR_INVALID_PARAMETER;
	if ((s = join(conf, sizeof(conf), dir, CONF_NAME)) != FUSEKEY_OK ||
	    (s = join(roots, sizeof(roots), dir, ROOTS_NAME)) != FUSEKEY_OK)
		return s;
	if (!force && lstat(conf, &sb) == 0)
		return FUSEKEY_ERR_EXISTS;
	s = fk_file_mkdirs(dir, 0700);
	if (s != FUSEKEY_OK)
		goto out;
	/* An existing directory may have been made by someone else's umask: close it. */
	if (chmod(dir, 0700) != 0) {
		s = FUSEKEY_ERR_PERMISSION;
		goto out;
	}
	s = check_private(dir, true);
	if (s != FUSEKEY_OK)
		goto out;
	if (mode == FK_SIM_MODE_SECURE) {
		s = fk_sim_state_random(&st, cpusvn);
		if (s != FUSEKEY_OK)
			goto out;
		memcpy(buf, roots_magic, 8);
		memcpy(buf + 8, st.root_keys, sizeof(st.root_keys));
		memcpy(buf + 8 + sizeof(st.root_keys), st.owner_epoch, 16);
		memcpy(buf + 8 + sizeof(st.root_keys) + 16, st.report_key_id, FK_SGX_KEYID_SIZE);
		s = fk_file_write_atomic(roots, buf, sizeof(buf), 0600, true);
		if (s != FUSEKEY_OK)
			goto out;
	} else if (unlink(roots) != 0 && errno != ENOENT) {
		s = FUSEKEY_ERR_IO;
		goto out;
	}
	/* The config is written last: its presence marks a complete state. */
	s = write_conf(dir, mode, cpusvn, true);
out:
	FK_WIPE(buf);
	fk_sim_state_clear(&st);
	return s;
}

static fusekey_status read_conf(const char *dir, enum fk_sim_mode *mode,
				enum fk_sim_cpusvn *cpusvn)
{
	char path[PATH_MAX];
	uint8_t *text = NULL;
	size_t len = 0;
	bool have_mode = false, have_cpusvn = false;
	fusekey_status st = join(path, sizeof(path), dir, CONF_NAME);

	if (st != FUSEKEY_OK)
		return st;
	st = fk_file_read(path, CONF_MAX, &text, &len);
	if (st != FUSEKEY_OK)
		return st;
	/* Lines "key=value"; '#' comments; anything else is a format error. */
	char *cur = (char *)text, *end = (char *)text + len;
	st = FUSEKEY_OK;
	while (cur < end && st == FUSEKEY_OK) {
		char *nl = memchr(cur, '\n', (size_t)(end - cur));
		char *line_end = nl ? nl : end;
		*line_end = '\0';
		if (cur[0] != '#' && cur[0] != '\0') {
			char *eq = strchr(cur, '=');
			if (eq == NULL) {
				st = FUSEKEY_ERR_FORMAT;
				break;
			}
			*eq = '\0';
			if (strcmp(cur, "mode") == 0)
				have_mode = fk_sim_mode_parse(eq + 1, mode);
			else if (strcmp(cur, "cpusvn") == 0)
				have_cpusvn = fk_sim_cpusvn_parse(eq + 1, cpusvn);
			else
				st = FUSEKEY_ERR_FORMAT;
		}
		cur = line_end + 1;
	}
	if (st == FUSEKEY_OK && !(have_mode && have_cpusvn))
		st = FUSEKEY_ERR_FORMAT;
	fk_file_free(text, len);
	return st;
}

fusekey_status fk_sim_dir_load(const char *dir, struct fk_sim_state *out)
{
	char roots[PATH_MAX];
	enum fk_sim_mode mode = FK_SIM_MODE_SECURE;
	enum fk_sim_cpusvn cpusvn = FK_SIM_CPUSVN_DEFAULT;
	uint8_t *buf = NULL;
	size_t len = 0;
	fusekey_status st;

	memset(out, 0, sizeof(*out));
	if (dir == NULL)
		return FUSEKEY_ERR_INVALID_PARAMETER;
	st = check_private(dir, true);
	if (st != FUSEKEY_OK)
		return st;
	st = read_conf(dir, &mode, &cpusvn);
	if (st != FUSEKEY_OK)
		return st;
	if (mode == FK_SIM_MODE_SDK_COMPAT) {
		fk_sim_state_sdk_compat(out, cpusvn);
		return FUSEKEY_OK;
	}
	if ((st = join(roots, sizeof(roots), dir, ROOTS_NAME)) != FUSEKEY_OK ||
	    (st = check_private(roots, false)) != FUSEKEY_OK ||
	    (st = fk_file_read(roots, ROOTS_FILE_SIZE, &buf, &len)) != FUSEKEY_OK)
		goto out;
	if (len != ROOTS_FILE_SIZE || memcmp(buf, roots_magic, 8) != 0) {
		st = FUSEKEY_ERR_FORMAT;
		goto out;
	}
	out->mode = FK_SIM_MODE_SECURE;
	out->cpusvn = cpusvn;
	memcpy(out->root_keys, buf + 8, sizeof(out->root_keys));
	memcpy(out->owner_epoch, buf + 8 + sizeof(out->root_keys), 16);
	memcpy(out->report_key_id, buf + 8 + sizeof(out->root_keys) + 16, FK_SGX_KEYID_SIZE);
	st = FUSEKEY_OK;
out:
	fk_file_free(buf, len);
	if (st != FUSEKEY_OK)
		fk_sim_state_clear(out);
	return st;
}

fusekey_status fk_sim_dir_set_cpusvn(const char *dir, enum fk_sim_cpusvn cpusvn)
{
	enum fk_sim_mode mode;
	enum fk_sim_cpusvn old;
	fusekey_status st;

	if (dir == NULL || (unsigned)cpusvn > FK_SIM_CPUSVN_DOWNGRADED)
		return FUSEKEY_ERR_INVALID_PARAMETER;
	st = check_private(dir, true);
	if (st != FUSEKEY_OK)
		return st;
	st = read_conf(dir, &mode, &old);
	if (st != FUSEKEY_OK)
		return st;
	return write_conf(dir, mode, cpusvn, true);
}
