/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What fusekey's bundle files record in clear (docs/delivery.md): the seal
 * binding (the AAD of a sealed FUSE key, struct fk_seal_binding) and the
 * derive descriptor (derive.json). Public data only: container id, method,
 * policy, key length, the maker's measurements, the key request's SVNs.
 *
 * `inspect` shows these; `get` uses them after the library has refused a key,
 * to say *why* in the message. Nothing here decides whether a key is released.
 */
#include <string.h>

#include "cli_common.h"
#include "delivery/fk_bundle.h"
#include "delivery/fk_wire.h"
#include "seal/fk_seal.h"
#include "util/fk_file.h"
#include "util/fk_hex.h"

static void wire_identity(const struct fk_wire_identity *w, struct fk_sgx_identity *id)
{
	memset(id, 0, sizeof(*id));
	memcpy(id->mr_enclave, w->mr_enclave, sizeof(id->mr_enclave));
	memcpy(id->mr_signer, w->mr_signer, sizeof(id->mr_signer));
	id->flags = fk_le64(w->flags);
	id->isv_prod_id = fk_le16(w->isv_prod_id);
	id->isv_svn = fk_le16(w->isv_svn);
}

bool cli_binding_decode(const uint8_t *aad, size_t len, struct cli_binding *b)
{
	struct fk_seal_binding w;
	size_t n;

	memset(b, 0, sizeof(*b));
	if (aad == NULL || len != sizeof(w))
		return false;
	memcpy(&w, aad, sizeof(w));
	/* Public constant: plain memcmp. */
	if (memcmp(w.magic, FK_WIRE_MAGIC, sizeof(w.magic)) != 0)
		return false;
	b->version = fk_le16(w.version);
	b->method = w.method;
	b->key_len = w.key_len;
	b->key_policy = fk_le16(w.key_policy);
	b->cid_len = fk_le16(w.cid_len);
	wire_identity(&w.sealer, &b->maker);
	b->reserved_zero = fk_sgx_all_zero(w.sealer.reserved, sizeof(w.sealer.reserved));
	n = b->cid_len;
	if (n >= 1 && n <= FK_WIRE_CID_MAX &&
	    fk_sgx_all_zero(w.container_id + n, FK_WIRE_CID_MAX - n)) {
		memcpy(b->cid, w.container_id, n);
		b->cid[n] = '\0';
		b->cid_valid = strlen(b->cid) == n && fk_container_id_valid(b->cid);
	}
	if (!b->cid_valid)
		b->cid[0] = '\0'; /* never print what is not a valid id */
	return true;
}

bool cli_sealed_key_decode(const uint8_t *blob, size_t len, struct fk_sealed_info *info,
			   struct cli_binding *b)
{
	memset(b, 0, sizeof(*b));
	if (fk_sealed_parse(blob, len, info) != FUSEKEY_OK || !info->length_matches ||
	    info->aad_len != sizeof(struct fk_seal_binding))
		return false;
	return cli_binding_decode(blob + FK_SGX_SEALED_HDR_SIZE + info->txt_len, info->aad_len, b);
}

/* ---- derive.json, leniently (for messages only) ---- */

bool cli_hex_lower_exact(const char *s, uint8_t *out, size_t n)
{
	return fk_hex_decode(s, out, n, FK_HEX_LOWER_ONLY);
}

bool cli_hex_u64_field(const char *s, uint64_t *out)
{
	uint8_t be[8];

	if (s == NULL || strncmp(s, "0x", 2) != 0 || !cli_hex_lower_exact(s + 2, be, sizeof(be)))
		return false;
	*out = 0;
	for (size_t i = 0; i < sizeof(be); i++)
		*out = *out << 8 | be[i];
	return true;
}

static bool jint(json_t *o, const char *key, json_int_t max, json_int_t *v)
{
	json_t *x = json_object_get(o, key);
	if (!json_is_integer(x) || json_integer_value(x) < 0 || json_integer_value(x) > max)
		return false;
	*v = json_integer_value(x);
	return true;
}

static void recorded_derive(const uint8_t *text, size_t len, struct cli_recorded *r)
{
	json_t *root = json_loadb((const char *)text, len, 0, NULL);
	json_t *agent;
	const char *s;
	json_int_t v;
	uint64_t flags;

	if (!json_is_object(root) || (s = json_string_value(json_object_get(root, "format"))) ==
					     NULL ||
	    strcmp(s, FK_DERIVE_FORMAT) != 0)
		goto out;
	r->decoded = true;
	s = json_string_value(json_object_get(root, "container_id"));
	if (s != NULL && fk_container_id_valid(s)) {
		memcpy(r->cid, s, strlen(s) + 1);
		r->cid_valid = true;
	}
	if (jint(root, "key_policy", 0xFFFF, &v)) {
		r->policy = (uint16_t)v;
		r->have_policy = true;
	}
	if (jint(root, "key_len", 64, &v))
		r->key_len = (size_t)v;
	if (jint(root, "isv_svn", 0xFFFF, &v)) {
		r->req_isv_svn = (uint16_t)v;
		r->have_req_svn = true;
	}
	if (jint(root, "config_svn", 0xFFFF, &v))
		r->req_config_svn = (uint16_t)v;
	r->have_cpu_svn = cli_hex_lower_exact(json_string_value(json_object_get(root, "cpu_svn")),
					      r->cpu_svn, sizeof(r->cpu_svn));
	agent = json_object_get(root, "agent");
	if (json_is_object(agent) &&
	    cli_hex_lower_exact(json_string_value(json_object_get(agent, "mr_enclave")),
				r->maker.mr_enclave, sizeof(r->maker.mr_enclave)) &&
	    cli_hex_lower_exact(json_string_value(json_object_get(agent, "mr_signer")),
				r->maker.mr_signer, sizeof(r->maker.mr_signer)) &&
	    cli_hex_u64_field(json_string_value(json_object_get(agent, "flags")), &flags) &&
	    jint(agent, "isv_prod_id", 0xFFFF, &v)) {
		r->maker.flags = flags;
		r->maker.isv_prod_id = (uint16_t)v;
		if (jint(agent, "isv_svn", 0xFFFF, &v))
			r->maker.isv_svn = (uint16_t)v;
		r->have_maker = true;
	}
out:
	json_decref(root);
}

static void recorded_sealed(const uint8_t *blob, size_t len, struct cli_recorded *r)
{
	struct fk_sealed_info info;
	struct cli_binding b;

	if (fk_sealed_parse(blob, len, &info) != FUSEKEY_OK)
		return;
	r->req_isv_svn = info.request.isv_svn;
	r->req_config_svn = info.request.config_svn;
	r->have_req_svn = true;
	memcpy(r->cpu_svn, info.request.cpu_svn, sizeof(r->cpu_svn));
	r->have_cpu_svn = true;
	r->policy = info.request.key_policy;
	r->have_policy = true;
	if (!cli_sealed_key_decode(blob, len, &info, &b))
		return;
	r->decoded = true;
	r->key_len = b.key_len;
	r->cid_valid = b.cid_valid;
	memcpy(r->cid, b.cid, sizeof(r->cid));
	r->maker = b.maker;
	r->have_maker = true;
}

void cli_recorded_read(const char *bundle, const char *cid, fusekey_method m,
		       struct cli_recorded *r)
{
	const char *name =
		m == FUSEKEY_METHOD_DERIVE ? FK_BUNDLE_DERIVE_NAME : FK_BUNDLE_SEALED_NAME;
	uint8_t *buf = NULL;
	size_t len = 0;

	memset(r, 0, sizeof(*r));
	r->method = m;
	if (fk_bundle_path(bundle, cid, name, r->path, sizeof(r->path)) != FUSEKEY_OK)
		r->path[0] = '\0';
	/* The same safe read as the library's (no symlinks, bounded). */
	if (fk_bundle_read(bundle, cid, name, FK_DERIVE_DESC_MAX, &buf, &len) != FUSEKEY_OK)
		return;
	r->read = true;
	if (m == FUSEKEY_METHOD_DERIVE)
		recorded_derive(buf, len, r);
	else
		recorded_sealed(buf, len, r);
	fk_file_free(buf, len);
}
