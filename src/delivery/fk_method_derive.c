/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Method "derive": nothing secret travels. Both enclaves run EGETKEY(SEAL) with
 * one agreed key request; the agent leaves the request's public fields in
 * derive.json (format in fk_wire.h, docs/delivery.md). The request carries the
 * agent's ISVSVN, CPUSVN and CONFIGSVN, so an app with a higher SVN derives the
 * same key (EGETKEY serves lower SVNs: SDM, sgx.md §3) and an older one cannot.
 *
 * KEYID_i = SHA-256(label || salt || i || u16le cid_len || cid): per container
 * and per bundle (the salt is random per generate), so no two containers and no
 * two generations share a key. key_check lets the app tell a wrong identity from
 * success without revealing anything about the key.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "delivery/fk_bundle.h"
#include "delivery/fk_method.h"
#include "delivery/fk_wire.h"
#include "util/fk_hex.h"
#include "seal/fk_seal.h"
#include "util/fk_file.h"

struct derive_desc {
	char cid[FUSEKEY_CONTAINER_ID_MAX + 1];
	size_t key_len;
	struct fk_sgx_key_request_fields req; /* key_id unused: per part */
	uint8_t salt[FK_DERIVE_SALT_SIZE];
	uint8_t key_check[FK_CMAC_SIZE];
	struct fk_wire_identity agent;
	uint8_t kss_digest[16];
};

/* derive.json holds lowercase hex only: one spelling per value. */
static bool lhex(const char *s, uint8_t *out, size_t n)
{
	return fk_hex_decode(s, out, n, FK_HEX_LOWER_ONLY);
}

static bool u64_decode(const char *s, uint64_t *out)
{
	uint8_t be[8];
	if (s == NULL || strncmp(s, "0x", 2) != 0 || !fk_hex_decode(s + 2, be, sizeof(be), FK_HEX_LOWER_ONLY))
		return false;
	*out = 0;
	for (size_t i = 0; i < sizeof(be); i++)
		*out = *out << 8 | be[i];
	return true;
}

static void u64_encode(uint64_t v, char out[19])
{
	snprintf(out, 19, "0x%016llx", (unsigned long long)v);
}

/* ---- the key ---- */

static fusekey_status key_id(const struct derive_desc *d, uint8_t part, uint8_t out[32])
{
	size_t cid_len = strlen(d->cid);
	uint8_t len_le[2], key_len = (uint8_t)d->key_len;
	fk_put_le16(len_le, (uint16_t)cid_len);
	/* key_len is in every KEYID: a descriptor edited from 32 to 16 bytes derives
	 * another first half, so key_check refuses it (no silent truncation). */
	struct fk_buf parts[] = {
		{FK_DERIVE_KEYID_LABEL, sizeof(FK_DERIVE_KEYID_LABEL) - 1},
		{d->salt, sizeof(d->salt)},
		{&key_len, 1},
		{&part, 1},
		{len_le, sizeof(len_le)},
		{d->cid, cid_len},
	};
	return fk_sha256_parts(parts, sizeof(parts) / sizeof(parts[0]), out);
}

/* EGETKEY for each 16-byte part, then the public check value. */
static fusekey_status derive(struct fk_platform *p, const struct derive_desc *d, uint8_t *key,
			     uint8_t check[FK_CMAC_SIZE])
{
	struct fk_sgx_key_request_fields f = d->req;
	struct fk_sgx_key_request req;
	uint8_t msg[sizeof(FK_DERIVE_CHECK_LABEL) - 1 + FUSEKEY_CONTAINER_ID_MAX];
	size_t cid_len = strlen(d->cid), label_len = sizeof(FK_DERIVE_CHECK_LABEL) - 1;
	fusekey_status st = FUSEKEY_OK;

	for (size_t i = 0; i * FK_SGX_KEY_SIZE < d->key_len && st == FUSEKEY_OK; i++) {
		st = key_id(d, (uint8_t)i, f.key_id);
		if (st != FUSEKEY_OK)
			break;
		fk_sgx_key_request_encode(&f, &req);
		st = fk_platform_get_key(p, &req, key + i * FK_SGX_KEY_SIZE);
	}
	if (st == FUSEKEY_OK) {
		memcpy(msg, FK_DERIVE_CHECK_LABEL, label_len);
		memcpy(msg + label_len, d->cid, cid_len);
		st = fk_cmac128(key, msg, label_len + cid_len, check);
	}
	if (st != FUSEKEY_OK)
		fk_wipe(key, d->key_len);
	return st;
}

/* ---- descriptor <-> JSON ---- */

static fusekey_status desc_to_json(const struct derive_desc *d, char **out)
{
	char cpu[33], salt[65], check[33], mre[65], mrs[65], fl[19], xf[19], af[19], kss[33];
	json_t *root;

	fk_hex_encode(d->req.cpu_svn, sizeof(d->req.cpu_svn), cpu);
	fk_hex_encode(d->salt, sizeof(d->salt), salt);
	fk_hex_encode(d->key_check, sizeof(d->key_check), check);
	fk_hex_encode(d->agent.mr_enclave, 32, mre);
	fk_hex_encode(d->agent.mr_signer, 32, mrs);
	fk_hex_encode(d->kss_digest, sizeof(d->kss_digest), kss);
	u64_encode(d->req.attr_mask_flags, fl);
	u64_encode(d->req.attr_mask_xfrm, xf);
	u64_encode(fk_le64(d->agent.flags), af);
	root = json_pack("{s:s, s:i, s:s, s:i, s:i, s:{s:s, s:s}, s:I, s:i, s:i, s:s, s:s, s:s,"
			 " s:{s:s, s:s, s:s, s:i, s:i, s:s}}",
			 "format", FK_DERIVE_FORMAT, "version", FK_WIRE_VERSION, "container_id",
			 d->cid, "key_len", (int)d->key_len, "key_policy", (int)d->req.key_policy,
			 "attribute_mask", "flags", fl, "xfrm", xf, "misc_mask",
			 (json_int_t)d->req.misc_mask, "isv_svn", (int)d->req.isv_svn,
			 "config_svn", (int)d->req.config_svn, "cpu_svn", cpu, "salt", salt,
			 "key_check", check, "agent", "mr_enclave", mre, "mr_signer", mrs, "flags",
			 af, "isv_prod_id", (int)fk_le16(d->agent.isv_prod_id), "isv_svn",
			 (int)fk_le16(d->agent.isv_svn), "kss_digest", kss);
	if (root == NULL)
		return FUSEKEY_ERR_NO_MEMORY;
	*out = json_dumps(root, JSON_INDENT(2) | JSON_SORT_KEYS);
	json_decref(root);
	return *out ? FUSEKEY_OK : FUSEKEY_ERR_NO_MEMORY;
}

static bool in_range(json_int_t v, json_int_t max)
{
	return v >= 0 && v <= max;
}

/*
 * Strict parse: every field present with its type, lengths exact, values in
 * range, nothing unknown. Truncated JSON -> TRUNCATED, anything else -> FORMAT.
 */
static fusekey_status desc_from_json(const uint8_t *text, size_t len, struct derive_desc *d)
{
	const char *format, *cid, *fl, *xf, *cpu, *salt, *check, *mre, *mrs, *af, *kss;
	json_int_t version, key_len, policy, misc, isv_svn, config_svn, a_prod, a_svn;
	json_error_t err;
	json_t *root;
	uint64_t aflags = 0;
	fusekey_status st = FUSEKEY_ERR_FORMAT;

	memset(d, 0, sizeof(*d));
	/* No NUL in a JSON text (jansson would call it the end of input). */
	if (memchr(text, 0, len) != NULL)
		return FUSEKEY_ERR_FORMAT;
	root = json_loadb((const char *)text, len, JSON_REJECT_DUPLICATES, &err);
	if (root == NULL)
		return (json_error_code(&err) == json_error_premature_end_of_input &&
			(size_t)err.position >= len)
			       ? FUSEKEY_ERR_TRUNCATED
			       : FUSEKEY_ERR_FORMAT;
	if (json_unpack_ex(root, &err, JSON_STRICT,
			   "{s:s, s:I, s:s, s:I, s:I, s:{s:s, s:s}, s:I, s:I, s:I, s:s, s:s, s:s,"
			   " s:{s:s, s:s, s:s, s:I, s:I, s:s}}",
			   "format", &format, "version", &version, "container_id", &cid, "key_len",
			   &key_len, "key_policy", &policy, "attribute_mask", "flags", &fl, "xfrm",
			   &xf, "misc_mask", &misc, "isv_svn", &isv_svn, "config_svn", &config_svn,
			   "cpu_svn", &cpu, "salt", &salt, "key_check", &check, "agent",
			   "mr_enclave", &mre, "mr_signer", &mrs, "flags", &af, "isv_prod_id",
			   &a_prod, "isv_svn", &a_svn, "kss_digest", &kss) != 0)
		goto out;
	if (strcmp(format, FK_DERIVE_FORMAT) != 0 || version != FK_WIRE_VERSION ||
	    !fk_container_id_valid(cid) || (key_len != 16 && key_len != 32) ||
	    !in_range(policy, 0xFFFF) || !in_range(misc, 0xFFFFFFFF) ||
	    !in_range(isv_svn, 0xFFFF) || !in_range(config_svn, 0xFFFF) ||
	    !in_range(a_prod, 0xFFFF) || !in_range(a_svn, 0xFFFF) ||
	    !u64_decode(fl, &d->req.attr_mask_flags) || !u64_decode(xf, &d->req.attr_mask_xfrm) ||
	    !u64_decode(af, &aflags) || !lhex(cpu, d->req.cpu_svn, sizeof(d->req.cpu_svn)) ||
	    !lhex(salt, d->salt, sizeof(d->salt)) || !lhex(check, d->key_check, sizeof(d->key_check)) ||
	    !lhex(mre, d->agent.mr_enclave, 32) || !lhex(mrs, d->agent.mr_signer, 32) ||
	    !lhex(kss, d->kss_digest, sizeof(d->kss_digest)))
		goto out;
	memcpy(d->cid, cid, strlen(cid) + 1);
	d->key_len = (size_t)key_len;
	d->req.key_name = FK_SGX_KEYNAME_SEAL;
	d->req.key_policy = (uint16_t)policy;
	d->req.misc_mask = (uint32_t)misc;
	d->req.isv_svn = (uint16_t)isv_svn;
	d->req.config_svn = (uint16_t)config_svn;
	fk_put_le64(d->agent.flags, aflags);
	fk_put_le16(d->agent.isv_prod_id, (uint16_t)a_prod);
	fk_put_le16(d->agent.isv_svn, (uint16_t)a_svn);
	st = FUSEKEY_OK;
out:
	json_decref(root);
	return st;
}

/* The policy and masks must pass the same checks as sealing (fk_seal_policy_check):
 * a descriptor that drops DEBUG from the mask would let a debug enclave derive it. */
static fusekey_status desc_policy_check(const struct derive_desc *d)
{
	struct fk_seal_policy pol = {
		.key_policy = d->req.key_policy,
		.attr_mask_flags = d->req.attr_mask_flags,
		.attr_mask_xfrm = d->req.attr_mask_xfrm,
		.misc_mask = d->req.misc_mask,
	};
	return fk_seal_policy_check(&pol);
}

/* ---- the method ---- */

static const char *const keep_derive[] = {FK_BUNDLE_DERIVE_NAME, NULL};

static fusekey_status derive_generate(const struct fk_delivery_req *r, uint8_t *key)
{
	struct derive_desc d;
	struct fk_seal_policy pol;
	struct fk_sgx_identity self;
	char *json = NULL;
	fusekey_status st;

	memset(&d, 0, sizeof(d));
	fk_seal_policy_default(&pol);
	pol.key_policy = r->policy;
	memcpy(d.cid, r->cid, strlen(r->cid) + 1);
	d.key_len = r->key_len;
	d.req.key_name = FK_SGX_KEYNAME_SEAL;
	d.req.key_policy = pol.key_policy;
	d.req.attr_mask_flags = pol.attr_mask_flags;
	d.req.attr_mask_xfrm = pol.attr_mask_xfrm;
	d.req.misc_mask = pol.misc_mask;
	if ((st = fk_seal_policy_check(&pol)) != FUSEKEY_OK ||
	    (st = fk_platform_identity(r->p, &self)) != FUSEKEY_OK ||
	    (st = fk_platform_cpu_svn(r->p, d.req.cpu_svn)) != FUSEKEY_OK ||
	    (st = fk_random(d.salt, sizeof(d.salt))) != FUSEKEY_OK)
		goto out;
	d.req.isv_svn = self.isv_svn;
	d.req.config_svn = self.config_svn;
	fk_wire_identity_from(&self, &d.agent);
	if ((st = fk_wire_kss_digest(d.req.key_policy, &self, d.kss_digest)) != FUSEKEY_OK)
		goto out;
	st = derive(r->p, &d, key, d.key_check);
	if (st != FUSEKEY_OK)
		goto out;
	st = desc_to_json(&d, &json);
	if (st != FUSEKEY_OK)
		goto out;
	/* As in seal_generate: the other method's key goes first (caller holds the lock). */
	if (r->force && (st = fk_bundle_remove_others(r->bundle, r->cid, keep_derive)) != FUSEKEY_OK)
		goto out;
	st = fk_bundle_write(r->bundle, r->cid, FK_BUNDLE_DERIVE_NAME, json, strlen(json),
			     r->force);
out:
	free(json);
	if (st != FUSEKEY_OK)
		fk_wipe(key, r->key_len);
	FK_WIPE(d);
	return st;
}

static fusekey_status derive_get(const struct fk_delivery_req *r, uint8_t *key, size_t *key_len)
{
	struct derive_desc d;
	struct fk_sgx_identity self;
	uint8_t out[FUSEKEY_KEY_MAX], check[FK_CMAC_SIZE];
	uint8_t *text = NULL;
	size_t text_len = 0;
	fusekey_status st;

	memset(out, 0, sizeof(out));
	memset(&d, 0, sizeof(d));
	st = fk_bundle_read(r->bundle, r->cid, FK_BUNDLE_DERIVE_NAME, FK_DERIVE_DESC_MAX, &text,
			    &text_len);
	if (st != FUSEKEY_OK)
		goto out;
	st = desc_from_json(text, text_len, &d);
	if (st != FUSEKEY_OK)
		goto out;
	if (strcmp(d.cid, r->cid) != 0) {
		st = FUSEKEY_ERR_WRONG_CONTAINER;
		goto out;
	}
	if ((st = desc_policy_check(&d)) != FUSEKEY_OK) {
		st = FUSEKEY_ERR_FORMAT;
		goto out;
	}
	if (r->policy != 0 && r->policy != d.req.key_policy) {
		st = FUSEKEY_ERR_POLICY_MISMATCH;
		goto out;
	}
	if ((st = fk_platform_identity(r->p, &self)) != FUSEKEY_OK)
		goto out;
	st = derive(r->p, &d, out, check);
	/* A request our enclave may not make (KSS policy bits without KSS): not us. */
	if (st == FUSEKEY_ERR_INVALID_PARAMETER)
		st = FUSEKEY_ERR_WRONG_IDENTITY;
	if (st != FUSEKEY_OK)
		goto out;
	if (!fk_ct_equal(check, d.key_check, sizeof(check))) {
		st = fk_method_diagnose(d.req.key_policy, &d.agent, d.kss_digest, &self);
		goto out;
	}
	if (*key_len < d.key_len) {
		st = FUSEKEY_ERR_INVALID_PARAMETER;
		goto out;
	}
	memcpy(key, out, d.key_len);
	*key_len = d.key_len;
out:
	FK_WIPE(out);
	FK_WIPE(check);
	FK_WIPE(d);
	fk_file_free(text, text_len);
	return st;
}

const struct fk_method_ops fk_method_derive = {
	.name = "derive",
	.id = FUSEKEY_METHOD_DERIVE,
	.file_name = FK_BUNDLE_DERIVE_NAME,
	.generate = derive_generate,
	.get = derive_get,
};
