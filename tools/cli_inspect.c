/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `fusekey inspect`: describe an SGX artifact from its public bytes alone
 * (sealed blob, report, target info, key request, SIGSTRUCT, the sgx_dh
 * local-attestation messages). No key is derived and no secret exists here:
 * a sealed blob's ciphertext is never shown, only its lengths, tag and
 * (public, in-clear) AAD; nothing in msg1, msg2 or msg3 is secret, and their
 * MACs cannot be checked from outside (the output says so).
 *
 * Each type is described once, as an ordered JSON object; the readable output
 * is a flat "field: value" rendering of the same object, so both always agree.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>

#include "cli_common.h"
#include "crypto/fk_crypto.h"
#include "delivery/fk_bundle.h"
#include "delivery/fk_wire.h"
#include "la/fk_dh.h"
#include "platform/fk_sigstruct.h"
#include "seal/fk_seal.h"
#include "util/fk_file.h"

enum itype {
	T_AUTO,
	T_SEALED,
	T_REPORT,
	T_TARGETINFO,
	T_SIGSTRUCT,
	T_KEYREQUEST,
	T_SEALED_KEY,
	T_DERIVE,
	T_DH_MSG1,
	T_DH_MSG2,
	T_DH_MSG3,
};

static const char *const type_names[] = {
	"auto", "sealed", "report", "targetinfo", "sigstruct", "keyrequest", "sealed-key", "derive",
	"dh-msg1", "dh-msg2", "dh-msg3",
};

/* AAD and msg3's additional_prop are public but may be large: shown up to this size. */
enum { AAD_SHOW_MAX = 64 };

/* KEYID of reports made in SDK simulation mode: ff00 x 8 || 16 zero bytes (sgx.md §5). */
static const uint8_t sdk_sim_report_key_id[FK_SGX_KEYID_SIZE] = {
	0xff, 0x00, 0xff, 0x00, 0xff, 0x00, 0xff, 0x00,
	0xff, 0x00, 0xff, 0x00, 0xff, 0x00, 0xff, 0x00,
};

struct emulation {
	bool emulated;
	char note[160];
};

static void jset(json_t *o, const char *key, json_t *v)
{
	json_object_set_new(o, key, v);
}

static void emu_cpusvn(struct emulation *e, const uint8_t cpu_svn[FK_SGX_CPUSVN_SIZE])
{
	enum fk_sim_cpusvn which;
	if (e->emulated || !cli_cpusvn_is_sim(cpu_svn, &which))
		return;
	e->emulated = true;
	snprintf(e->note, sizeof(e->note), "EMULATED SGX (CPUSVN is the emulator's %s value)",
		 fk_sim_cpusvn_name(which));
}

static json_t *cpusvn_json(const uint8_t cpu_svn[FK_SGX_CPUSVN_SIZE])
{
	enum fk_sim_cpusvn which;
	json_t *o = json_object();
	jset(o, "hex", cli_json_hex(cpu_svn, FK_SGX_CPUSVN_SIZE));
	jset(o, "emulator_name",
	     cli_cpusvn_is_sim(cpu_svn, &which) ? json_string(fk_sim_cpusvn_name(which))
						: json_null());
	return o;
}

static json_t *attrs_json(uint64_t flags, uint64_t xfrm)
{
	json_t *o = json_object();
	jset(o, "flags", cli_json_u64hex(flags, 16));
	jset(o, "flag_names", cli_json_names(flags, cli_attr_names_u64));
	jset(o, "xfrm", cli_json_u64hex(xfrm, 16));
	return o;
}

static json_t *key_request_json(const struct fk_sgx_key_request_fields *f)
{
	json_t *o = json_object();
	jset(o, "key_name", json_integer(f->key_name));
	jset(o, "key_name_str", json_string(cli_key_name(f->key_name)));
	jset(o, "key_policy", cli_json_u64hex(f->key_policy, 4));
	jset(o, "key_policy_names", cli_json_names(f->key_policy, cli_policy_names_u64));
	jset(o, "isv_svn", json_integer(f->isv_svn));
	jset(o, "config_svn", json_integer(f->config_svn));
	jset(o, "cpu_svn", cpusvn_json(f->cpu_svn));
	jset(o, "attribute_mask", attrs_json(f->attr_mask_flags, f->attr_mask_xfrm));
	jset(o, "misc_mask", cli_json_u64hex(f->misc_mask, 8));
	jset(o, "key_id", cli_json_hex(f->key_id, sizeof(f->key_id)));
	jset(o, "reserved_zero", json_boolean(f->reserved_zero));
	return o;
}

/* ---- one describer per type ---- */

/* The fields every sealed blob has; the AAD when small and the blob intact. */
static void sealed_fields(const uint8_t *buf, const struct fk_sealed_info *info, json_t *o,
			  bool show_aad)
{
	jset(o, "key_request", key_request_json(&info->request));
	jset(o, "encrypted_length", json_integer(info->txt_len));
	jset(o, "aad_length", json_integer(info->aad_len));
	jset(o, "payload_size", json_integer(info->payload_size));
	jset(o, "reserved_zero", json_boolean(info->reserved_zero));
	jset(o, "length_consistent", json_boolean(info->length_matches));
	jset(o, "tag", cli_json_hex(info->tag, sizeof(info->tag)));
	if (!show_aad)
		return;
	if (info->length_matches && info->aad_len > 0 && info->aad_len <= AAD_SHOW_MAX)
		jset(o, "aad",
		     cli_json_hex(buf + FK_SGX_SEALED_HDR_SIZE + info->txt_len, info->aad_len));
	else if (info->aad_len > 0)
		jset(o, "aad", json_string("(not shown: longer than 64 bytes or blob damaged)"));
}

static int describe_sealed(const uint8_t *buf, size_t len, json_t *o, struct emulation *e)
{
	struct fk_sealed_info info;
	fusekey_status st = fk_sealed_parse(buf, len, &info);

	if (st != FUSEKEY_OK) {
		cli_err("not a sealed blob: shorter than the %d-byte header, or its length fields "
			"are inconsistent",
			FK_SGX_SEALED_HDR_SIZE);
		return CLI_EXIT_FORMAT;
	}
	emu_cpusvn(e, info.request.cpu_svn);
	sealed_fields(buf, &info, o, true);
	return CLI_EXIT_OK;
}

/* A maker's identity as recorded in a binding or a descriptor (public). */
static json_t *maker_json(const struct fk_sgx_identity *id)
{
	json_t *m = json_object();
	jset(m, "mr_enclave", cli_json_hex(id->mr_enclave, sizeof(id->mr_enclave)));
	jset(m, "mr_signer", cli_json_hex(id->mr_signer, sizeof(id->mr_signer)));
	jset(m, "flags", cli_json_u64hex(id->flags, 16));
	jset(m, "flag_names", cli_json_names(id->flags, cli_attr_names_u64));
	jset(m, "debug", json_boolean(id->flags & FK_SGX_FLAGS_DEBUG));
	jset(m, "isv_prod_id", json_integer(id->isv_prod_id));
	jset(m, "isv_svn", json_integer(id->isv_svn));
	return m;
}

/* A sealed FUSE key (fusekey generate --method seal): the binding decoded, then the blob. */
static int describe_sealed_key(const uint8_t *buf, size_t len, json_t *o, struct emulation *e)
{
	struct fk_sealed_info info;
	struct cli_binding b;
	json_t *bo;
	bool consistent;

	if (!cli_sealed_key_decode(buf, len, &info, &b)) {
		cli_err("not a sealed FUSE key: not an intact sealed blob whose AAD is a %zu-byte "
			"fusekey binding (magic %s)",
			sizeof(struct fk_seal_binding), FK_WIRE_MAGIC);
		return CLI_EXIT_FORMAT;
	}
	emu_cpusvn(e, info.request.cpu_svn);
	/* key.sealed (method seal, or la's fallback) or key.la (la: sealed to the agent itself) */
	bool known = b.method == FK_WIRE_METHOD_SEAL || b.method == FK_WIRE_METHOD_LA;
	consistent = b.version == FK_WIRE_VERSION && known &&
		     (b.key_len == 16 || b.key_len == 32) && b.key_len == info.txt_len &&
		     b.key_policy == info.request.key_policy && b.cid_valid && b.reserved_zero;
	jset(o, "container_id", b.cid_valid ? json_string(b.cid) : json_null());
	jset(o, "method", json_string(b.method == FK_WIRE_METHOD_SEAL ? "seal"
				      : b.method == FK_WIRE_METHOD_LA ? "la"
								      : "unknown"));
	if (b.method == FK_WIRE_METHOD_LA)
		jset(o, "la_note", json_string("the agent's own copy for fusekeyd: sealed to the agent "
					       "enclave itself, never opened by an app"));
	jset(o, "key_len", json_integer(b.key_len));
	jset(o, "key_policy", cli_json_u64hex(b.key_policy, 4));
	jset(o, "key_policy_names", cli_json_names(b.key_policy, cli_policy_names_u64));
	jset(o, "sealer", maker_json(&b.maker));
	bo = json_object();
	jset(bo, "version", json_integer(b.version));
	jset(bo, "reserved_zero", json_boolean(b.reserved_zero));
	jset(bo, "consistent", json_boolean(consistent));
	jset(bo, "note", json_string("in clear, authenticated by the tag: fusekey get checks it; "
				     "the key itself is encrypted and never shown"));
	jset(o, "binding", bo);
	sealed_fields(buf, &info, o, false);
	return CLI_EXIT_OK;
}

/* ---- derive.json ---- */

static void problem(json_t *arr, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void problem(json_t *arr, const char *fmt, ...)
{
	char msg[160];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	json_array_append_new(arr, json_string(msg));
}

/* An integer field 0..max: the value, or null and a problem. */
static json_t *d_int(json_t *obj, const char *key, json_int_t max, json_t *probs,
		     json_int_t *out)
{
	json_t *v = json_object_get(obj, key);
	if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > max) {
		problem(probs, "%s: %s", key, v == NULL ? "missing" : "not an integer in range");
		return json_null();
	}
	if (out != NULL)
		*out = json_integer_value(v);
	return json_integer(json_integer_value(v));
}

/* A hex field of n bytes: the value, or null and a problem. */
static json_t *d_hex(json_t *obj, const char *key, uint8_t *buf, size_t n, json_t *probs)
{
	json_t *v = json_object_get(obj, key);
	if (!cli_hex_lower_exact(json_string_value(v), buf, n)) {
		problem(probs, "%s: %s", key,
			v == NULL ? "missing" : "not the right number of lowercase hex digits");
		return json_null();
	}
	return cli_json_hex(buf, n);
}

/* A "0x" + 16 hex digits field: sets *ok. */
static bool d_u64(json_t *obj, const char *key, uint64_t *out, json_t *probs)
{
	json_t *v = json_object_get(obj, key);
	if (!cli_hex_u64_field(json_string_value(v), out)) {
		problem(probs, "%s: %s", key, v == NULL ? "missing" : "not 0x + 16 hex digits");
		return false;
	}
	return true;
}

static void d_unknown(json_t *obj, const char *const *known, size_t n, const char *where,
		      json_t *probs)
{
	const char *k;
	json_t *v;
	char pb[40];

	json_object_foreach(obj, k, v)
	{
		size_t i;
		for (i = 0; i < n && strcmp(k, known[i]) != 0; i++)
			;
		if (i == n) {
			size_t j;
			for (j = 0; k[j] != '\0' && j + 1 < sizeof(pb); j++)
				pb[j] = (k[j] >= 0x20 && k[j] < 0x7f) ? k[j] : '?';
			pb[j] = '\0';
			problem(probs, "unknown field '%s%s'", where, pb);
		}
	}
}

static json_t *d_attribute_mask(json_t *root, json_t *probs)
{
	json_t *am = json_object_get(root, "attribute_mask"), *o = json_object();
	static const char *const known[] = {"flags", "xfrm"};
	uint64_t flags = 0, xfrm = 0;

	if (!json_is_object(am)) {
		problem(probs, "attribute_mask: missing or not an object");
		return o;
	}
	d_unknown(am, known, 2, "attribute_mask.", probs);
	if (d_u64(am, "flags", &flags, probs)) {
		jset(o, "flags", cli_json_u64hex(flags, 16));
		jset(o, "flag_names", cli_json_names(flags, cli_attr_names_u64));
		if ((flags & (FK_SGX_FLAGS_INITTED | FK_SGX_FLAGS_DEBUG)) !=
		    (FK_SGX_FLAGS_INITTED | FK_SGX_FLAGS_DEBUG))
			problem(probs, "attribute_mask.flags drops INITTED or DEBUG (get refuses "
				       "it: a DEBUG enclave could derive the key)");
	}
	if (d_u64(am, "xfrm", &xfrm, probs))
		jset(o, "xfrm", cli_json_u64hex(xfrm, 16));
	return o;
}

static json_t *d_agent(json_t *root, json_t *probs)
{
	static const char *const known[] = {"mr_enclave", "mr_signer", "flags", "isv_prod_id",
					    "isv_svn",    "kss_digest"};
	json_t *ag = json_object_get(root, "agent"), *o = json_object();
	uint8_t h[32], kss[16];
	uint64_t flags = 0;

	if (!json_is_object(ag)) {
		problem(probs, "agent: missing or not an object");
		return o;
	}
	d_unknown(ag, known, sizeof(known) / sizeof(known[0]), "agent.", probs);
	jset(o, "mr_enclave", d_hex(ag, "mr_enclave", h, 32, probs));
	jset(o, "mr_signer", d_hex(ag, "mr_signer", h, 32, probs));
	if (d_u64(ag, "flags", &flags, probs)) {
		jset(o, "flags", cli_json_u64hex(flags, 16));
		jset(o, "flag_names", cli_json_names(flags, cli_attr_names_u64));
		jset(o, "debug", json_boolean(flags & FK_SGX_FLAGS_DEBUG));
	}
	jset(o, "isv_prod_id", d_int(ag, "isv_prod_id", 0xFFFF, probs, NULL));
	jset(o, "isv_svn", d_int(ag, "isv_svn", 0xFFFF, probs, NULL));
	jset(o, "kss_digest", d_hex(ag, "kss_digest", kss, sizeof(kss), probs));
	return o;
}

/* Parse derive.json leniently; NULL unless it is an object with our format tag. */
static json_t *derive_root(const uint8_t *buf, size_t len, json_error_t *err)
{
	json_t *root = json_loadb((const char *)buf, len, JSON_REJECT_DUPLICATES, err);
	const char *f = json_string_value(json_object_get(root, "format"));

	if (json_is_object(root) && f != NULL && strcmp(f, FK_DERIVE_FORMAT) == 0)
		return root;
	json_decref(root);
	return NULL;
}

/* The derive descriptor (fusekey generate --method derive): public fields, checked
 * as strictly as fusekey get parses them; what is wrong is listed, not fatal. */
static int describe_derive(const uint8_t *buf, size_t len, json_t *o, struct emulation *e)
{
	static const char *const known[] = {
		"format", "version", "container_id", "key_len", "key_policy", "attribute_mask",
		"misc_mask", "isv_svn", "config_svn", "cpu_svn", "salt", "key_check", "agent",
	};
	json_error_t err;
	json_t *root = derive_root(buf, len, &err), *probs, *cpu, *tmp;
	json_int_t v = 0;
	const char *cid;
	uint8_t cpu_svn[FK_SGX_CPUSVN_SIZE], salt[FK_DERIVE_SALT_SIZE], check[16];

	memset(&err, 0, sizeof(err));
	if (root == NULL) {
		root = json_loadb((const char *)buf, len, JSON_REJECT_DUPLICATES, &err);
		if (root == NULL)
			cli_err("not a fusekey derive descriptor: not valid JSON (line %d: %s)",
				err.line, err.text);
		else
			cli_err("not a fusekey derive descriptor: no \"format\": \"%s\"",
				FK_DERIVE_FORMAT);
		json_decref(root);
		return CLI_EXIT_FORMAT;
	}
	probs = json_array();
	d_unknown(root, known, sizeof(known) / sizeof(known[0]), "", probs);
	jset(o, "format", json_string(FK_DERIVE_FORMAT));
	jset(o, "version", d_int(root, "version", 0xFFFF, probs, &v));
	if (json_is_integer(json_object_get(root, "version")) && v != FK_WIRE_VERSION)
		problem(probs, "version %lld is not %d", (long long)v, FK_WIRE_VERSION);
	cid = json_string_value(json_object_get(root, "container_id"));
	if (cid != NULL && fk_container_id_valid(cid)) {
		jset(o, "container_id", json_string(cid));
	} else {
		problem(probs, "container_id: missing or not a valid container id");
		jset(o, "container_id", json_null());
	}
	jset(o, "key_len", d_int(root, "key_len", 0xFFFF, probs, &v));
	if (json_is_integer(json_object_get(root, "key_len")) && v != 16 && v != 32)
		problem(probs, "key_len %lld is not 16 or 32", (long long)v);
	tmp = d_int(root, "key_policy", FK_SGX_KEYPOLICY_VALID, probs, &v);
	if (json_is_null(tmp)) {
		jset(o, "key_policy", tmp);
	} else {
		json_decref(tmp);
		jset(o, "key_policy", cli_json_u64hex((uint64_t)v, 4));
		jset(o, "key_policy_names", cli_json_names((uint64_t)v, cli_policy_names_u64));
		if (!(v & (FK_SGX_KEYPOLICY_MRENCLAVE | FK_SGX_KEYPOLICY_MRSIGNER)))
			problem(probs, "key_policy names neither MRENCLAVE nor MRSIGNER");
	}
	jset(o, "attribute_mask", d_attribute_mask(root, probs));
	tmp = d_int(root, "misc_mask", 0xFFFFFFFF, probs, &v);
	if (json_is_null(tmp)) {
		jset(o, "misc_mask", tmp);
	} else {
		json_decref(tmp);
		jset(o, "misc_mask", cli_json_u64hex((uint64_t)v, 8));
	}
	jset(o, "isv_svn", d_int(root, "isv_svn", 0xFFFF, probs, NULL));
	jset(o, "config_svn", d_int(root, "config_svn", 0xFFFF, probs, NULL));
	cpu = d_hex(root, "cpu_svn", cpu_svn, sizeof(cpu_svn), probs);
	if (json_is_null(cpu)) {
		jset(o, "cpu_svn", cpu);
	} else {
		json_decref(cpu);
		emu_cpusvn(e, cpu_svn);
		jset(o, "cpu_svn", cpusvn_json(cpu_svn));
	}
	jset(o, "salt", d_hex(root, "salt", salt, sizeof(salt), probs));
	jset(o, "key_check", d_hex(root, "key_check", check, sizeof(check), probs));
	jset(o, "agent", d_agent(root, probs));
	jset(o, "note", json_string("public: no secret. The app derives the key with EGETKEY from "
				    "these fields; key_check is a MAC under the key and reveals "
				    "nothing about it"));
	jset(o, "well_formed", json_boolean(json_array_size(probs) == 0));
	jset(o, "problems", probs);
	json_decref(root);
	return CLI_EXIT_OK;
}

/* Reserved bytes of a report body (the CET byte excepted): zero in every EREPORT output. */
static bool report_reserved_zero(const struct fk_sgx_report_body *b)
{
	return fk_sgx_all_zero(b->reserved1 + 1, sizeof(b->reserved1) - 1) &&
	       fk_sgx_all_zero(b->reserved2, sizeof(b->reserved2)) &&
	       fk_sgx_all_zero(b->reserved3, sizeof(b->reserved3)) &&
	       fk_sgx_all_zero(b->reserved4, sizeof(b->reserved4));
}

/* Reserved bytes of a target info (the CET byte excepted): zero in every real one. */
static bool targetinfo_reserved_zero(const struct fk_sgx_target_info *t)
{
	return t->reserved1[1] == 0 && fk_sgx_all_zero(t->reserved2, sizeof(t->reserved2)) &&
	       fk_sgx_all_zero(t->reserved3, sizeof(t->reserved3));
}

static int describe_report(const uint8_t *buf, json_t *o, struct emulation *e)
{
	const struct fk_sgx_report *r = (const struct fk_sgx_report *)buf;
	const struct fk_sgx_report_body *b = &r->body;
	struct fk_sgx_identity id;
	json_t *idj;
	const char *k;
	json_t *v;

	fk_sgx_identity_from_report_body(b, &id);
	emu_cpusvn(e, b->cpu_svn);
	/* Public constant: plain memcmp. */
	if (!e->emulated && memcmp(r->key_id, sdk_sim_report_key_id, FK_SGX_KEYID_SIZE) == 0) {
		e->emulated = true;
		snprintf(e->note, sizeof(e->note),
			 "EMULATED SGX (KEYID is the SDK simulation report KEYID)");
	}
	jset(o, "cpu_svn", cpusvn_json(b->cpu_svn));
	idj = cli_identity_json(&id);
	json_object_foreach(idj, k, v)
	{
		json_object_set(o, k, v);
	}
	json_decref(idj);
	jset(o, "report_data", cli_json_hex(b->report_data, sizeof(b->report_data)));
	jset(o, "reserved_zero", json_boolean(report_reserved_zero(b)));
	jset(o, "key_id", cli_json_hex(r->key_id, sizeof(r->key_id)));
	jset(o, "mac", cli_json_hex(r->mac, sizeof(r->mac)));
	jset(o, "mac_note", json_string("only the target enclave can verify the MAC"));
	return CLI_EXIT_OK;
}

static int describe_targetinfo(const uint8_t *buf, json_t *o)
{
	const struct fk_sgx_target_info *t = (const struct fk_sgx_target_info *)buf;

	jset(o, "mr_enclave", cli_json_hex(t->mr_enclave, sizeof(t->mr_enclave)));
	jset(o, "attributes",
	     attrs_json(fk_le64(t->attributes.flags), fk_le64(t->attributes.xfrm)));
	jset(o, "cet_attributes", json_integer(t->reserved1[0]));
	jset(o, "config_svn", json_integer(fk_le16(t->config_svn)));
	jset(o, "misc_select", cli_json_u64hex(fk_le32(t->misc_select), 8));
	jset(o, "config_id", cli_json_hex(t->config_id, sizeof(t->config_id)));
	jset(o, "reserved_zero", json_boolean(targetinfo_reserved_zero(t)));
	return CLI_EXIT_OK;
}

/* ---- local attestation: sgx_dh msg1, msg2, msg3 (la/fk_dh_wire.h) ---- */

static const char dh_public_note[] =
	"public: nothing in a local-attestation message is secret (the ephemeral private keys, "
	"the SMK and the AEK never travel)";

/*
 * Is pub (sgx_ec256_public_t) a P-256 point? fk_p256_ecdh validates its peer
 * point (coordinates < p, on the curve, not infinity) before anything else;
 * with the scalar 1 it computes nothing secret (1 * Q = Q). *valid is set;
 * a status other than OK means the crypto library itself failed.
 */
static fusekey_status p256_point_valid(const uint8_t pub[FK_DH_PUB_SIZE], bool *valid)
{
	static const uint8_t one[FK_P256_PRIV_SIZE] = {1}; /* little-endian scalar 1 */
	uint8_t x[FK_P256_SHARED_SIZE];
	fusekey_status st = fk_p256_ecdh(one, pub, x);

	*valid = st == FUSEKEY_OK;
	return st == FUSEKEY_ERR_INVALID_PARAMETER ? FUSEKEY_OK : st;
}

static int point_json(const uint8_t pub[FK_DH_PUB_SIZE], json_t *o, const char *key)
{
	bool valid = false;
	fusekey_status st = p256_point_valid(pub, &valid);
	json_t *pt;

	if (st != FUSEKEY_OK)
		return cli_fail(st, "checking the P-256 point");
	pt = json_object();
	jset(pt, "x", cli_json_hex(pub, FK_DH_PUB_SIZE / 2));
	jset(pt, "y", cli_json_hex(pub + FK_DH_PUB_SIZE / 2, FK_DH_PUB_SIZE / 2));
	jset(pt, "byte_order",
	     json_string("x and y little-endian, as SGX stores them (sgx_ec256_public_t)"));
	jset(pt, "valid_p256_point", json_boolean(valid));
	jset(o, key, pt);
	return CLI_EXIT_OK;
}

static int nested_report(const uint8_t *buf, json_t *o, const char *key, struct emulation *e)
{
	json_t *r = json_object();
	int rc = describe_report(buf, r, e);
	jset(o, key, r);
	return rc;
}

/* Fields a proto-spec entry may copy: offset and size in sgx_report_t, in the target info. */
struct field_name {
	size_t off, size;
	const char *name;
};
/* Offsets and sizes from the structs themselves (fk_sgx.h), so they cannot drift. */
#define RF(f, name) {offsetof(struct fk_sgx_report, f), sizeof(((struct fk_sgx_report *)0)->f), name}
#define TF(f, name) \
	{offsetof(struct fk_sgx_target_info, f), sizeof(((struct fk_sgx_target_info *)0)->f), name}
static const struct field_name report_fields[] = {
	RF(body.cpu_svn, "cpu_svn"),
	RF(body.misc_select, "misc_select"),
	{offsetof(struct fk_sgx_report, body.reserved1), 1, "cet_attributes"},
	RF(body.isv_ext_prod_id, "isv_ext_prod_id"),
	RF(body.attributes, "attributes"),
	RF(body.mr_enclave, "mr_enclave"),
	RF(body.mr_signer, "mr_signer"),
	RF(body.config_id, "config_id"),
	RF(body.isv_prod_id, "isv_prod_id"),
	RF(body.isv_svn, "isv_svn"),
	RF(body.config_svn, "config_svn"),
	RF(body.isv_family_id, "isv_family_id"),
	RF(body.report_data, "report_data"),
	RF(key_id, "key_id"),
	RF(mac, "mac"),
};
static const struct field_name target_fields[] = {
	TF(mr_enclave, "mr_enclave"),
	TF(attributes, "attributes"),
	{offsetof(struct fk_sgx_target_info, reserved1), 1, "cet_attributes"},
	TF(config_svn, "config_svn"),
	TF(misc_select, "misc_select"),
	TF(config_id, "config_id"),
};
#undef RF
#undef TF

static json_t *field_name_json(const struct field_name *t, size_t n, size_t off, size_t size)
{
	for (size_t i = 0; i < n; i++)
		if (t[i].off == off && t[i].size == size)
			return json_string(t[i].name);
	return json_null();
}

/*
 * The LAv2 protocol spec a msg2 carries in report_data: each target_spec entry
 * decoded as the SDK's make_target_info reads it (fk_dh_wire.h), whether that
 * function accepts it, and whether it is the SDK's own spec.
 */
static json_t *proto_spec_json(const struct fk_dh_proto_spec *ps,
			       const struct fk_sgx_report *report)
{
	json_t *o = json_object(), *copies = json_array();
	uint16_t head = fk_le16(ps->target_spec[0]);
	size_t n = head >> 8, d = 0;
	struct fk_sgx_target_info ti;

	jset(o, "signature", json_string("SGX LA"));
	jset(o, "ver", json_integer(ps->ver));
	jset(o, "rev", json_integer(ps->rev));
	jset(o, "spec_revision", json_integer(head & 0xFF));
	jset(o, "entries", json_integer((json_int_t)n));
	for (size_t i = 1; i <= n && i <= FK_DH_PROTO_SPEC_ENTRIES_MAX; i++) {
		size_t size;
		int src;
		json_t *c = json_object();

		d = fk_dh_spec_entry(fk_le16(ps->target_spec[i]), d, &size, &src);
		jset(c, "size", json_integer((json_int_t)size));
		jset(c, "source_offset", json_integer(src));
		jset(c, "source_field",
		     src == -1 ? json_string("none (left zero)")
		     : src < 0 ? json_null()
			       : field_name_json(report_fields,
						 sizeof(report_fields) / sizeof(report_fields[0]),
						 (size_t)src, size));
		jset(c, "destination", json_integer((json_int_t)d));
		jset(c, "destination_field",
		     field_name_json(target_fields,
				     sizeof(target_fields) / sizeof(target_fields[0]), d, size));
		json_array_append_new(copies, c);
		d += size;
	}
	jset(o, "copies", copies);
	jset(o, "valid", json_boolean(fk_dh_make_target_info(ps, report, &ti)));
	/* Public constant: plain memcmp. */
	jset(o, "equals_sdk_spec",
	     json_boolean(memcmp(ps, &fk_dh_lav2_proto_spec, sizeof(*ps)) == 0));
	return o;
}

static bool rd_is_lav1(const uint8_t rd[FK_SGX_REPORT_DATA_SIZE])
{
	return fk_le16(rd + 32) == FK_DH_KDF_ID;
}

static bool rd_is_lav2(const uint8_t rd[FK_SGX_REPORT_DATA_SIZE])
{
	return memcmp(rd, fk_dh_lav2_prefix, FK_DH_LAV2_PREFIX_SIZE) == 0;
}

/* Which protocol a msg2 follows, read from its report_data (sgx.md §8.5 step 4). */
static json_t *msg2_protocol_json(const struct fk_dh_msg2 *m)
{
	const uint8_t *rd = m->report.body.report_data;
	bool v1 = rd_is_lav1(rd), v2 = rd_is_lav2(rd);
	json_t *o = json_object();

	jset(o, "version", json_string(v1 && v2 ? "ambiguous (LAv1 and LAv2 shapes)"
				       : v1	? "LAv1"
				       : v2	? "LAv2"
						: "unknown"));
	if (v1) {
		jset(o, "kdf_id", cli_json_u64hex(fk_le16(rd + 32), 4));
		jset(o, "report_data_sha256", cli_json_hex(rd, 32));
		jset(o, "report_data_rest_zero", json_boolean(fk_sgx_all_zero(rd + 34, 30)));
	}
	if (v2) {
		const void *ps = rd; /* report_data[0..64) is the la_proto_spec_t */
		jset(o, "proto_spec", proto_spec_json(ps, &m->report));
	}
	if (v1 && v2)
		jset(o, "binding", json_string("report_data has both shapes: an SDK responder "
					       "tries LAv1 first, then LAv2"));
	else if (v1)
		jset(o, "binding", json_string("report_data[0..32) binds SHA-256(g_a||g_b), not "
					       "checkable without msg1"));
	else if (v2)
		jset(o, "binding",
		     json_string("report_data carries the proto spec; the report's MAC was made "
				 "over report_data = SHA-256(proto_spec||g_b) || 32 zero bytes, so "
				 "the report as sent does not verify as is"));
	else
		jset(o, "binding",
		     json_string("report_data is neither LAv1 (KDF id 01 00 at [32..34)) nor "
				 "LAv2 (\"SGX LA\" 02 at [0..7)): an SDK responder refuses it"));
	jset(o, "cmac_covers", json_string(v1 && !v2   ? "the report (432 bytes), under the SMK"
					   : v2 && !v1 ? "g_b, under the SMK"
						       : "the report (LAv1) or g_b (LAv2), under "
							 "the SMK"));
	return o;
}

static int describe_dh_msg1(const uint8_t *buf, json_t *o)
{
	const struct fk_dh_msg1 *m = (const struct fk_dh_msg1 *)(const void *)buf;
	json_t *t;
	int rc = point_json(m->g_a, o, "g_a");

	if (rc != CLI_EXIT_OK)
		return rc;
	t = json_object();
	describe_targetinfo((const uint8_t *)&m->target, t);
	jset(o, "target", t);
	jset(o, "target_note", json_string("the responder's own target info: the initiator "
					   "makes the report of msg2 for this enclave"));
	jset(o, "verification",
	     json_string("nothing verified: msg1 has no MAC; g_a and the target are "
			 "authenticated only inside the session (msg3's report binds g_a)"));
	jset(o, "note", json_string(dh_public_note));
	return CLI_EXIT_OK;
}

static int describe_dh_msg2(const uint8_t *buf, json_t *o, struct emulation *e)
{
	const struct fk_dh_msg2 *m = (const struct fk_dh_msg2 *)(const void *)buf;
	int rc = point_json(m->g_b, o, "g_b");

	if (rc == CLI_EXIT_OK)
		rc = nested_report((const uint8_t *)&m->report, o, "report", e);
	if (rc != CLI_EXIT_OK)
		return rc;
	jset(o, "cmac", cli_json_hex(m->cmac, sizeof(m->cmac)));
	jset(o, "protocol", msg2_protocol_json(m));
	jset(o, "verification",
	     json_string("not verified: the CMAC needs the session's SMK and the report's MAC "
			 "the responder's report key; only the responder enclave can check them"));
	jset(o, "note", json_string(dh_public_note));
	return CLI_EXIT_OK;
}

/*
 * msg3 framing: at least the fixed part, additional_prop_length within
 * FK_DH_PROPS_MAX and exactly the rest of the file. *n is the length field
 * (0 when the file is shorter than the fixed part).
 */
static bool msg3_framed(const uint8_t *buf, size_t len, uint32_t *n)
{
	*n = 0;
	if (len < FK_DH_MSG3_FIXED_SIZE)
		return false;
	*n = fk_le32(((const struct fk_dh_msg3 *)(const void *)buf)->additional_prop_length);
	return *n <= FK_DH_PROPS_MAX && len == FK_DH_MSG3_FIXED_SIZE + (size_t)*n;
}

static int describe_dh_msg3(const uint8_t *buf, size_t len, json_t *o, struct emulation *e)
{
	const struct fk_dh_msg3 *m = (const struct fk_dh_msg3 *)(const void *)buf;
	const uint8_t *rd = m->report.body.report_data;
	size_t shown;
	uint32_t n;
	json_t *pr;
	int rc;

	if (!msg3_framed(buf, len, &n))
		return CLI_EXIT_INTERNAL; /* choose_type checked it */
	jset(o, "cmac", cli_json_hex(m->cmac, sizeof(m->cmac)));
	jset(o, "cmac_covers",
	     json_string("LAv1: report || additional_prop_length || additional_prop; LAv2: "
			 "additional_prop || g_a; under the SMK"));
	rc = nested_report((const uint8_t *)&m->report, o, "report", e);
	if (rc != CLI_EXIT_OK)
		return rc;
	pr = json_object();
	jset(pr, "version", json_string("not visible in msg3 (it follows msg2's)"));
	jset(pr, "report_data_sha256", cli_json_hex(rd, 32));
	jset(pr, "report_data_rest_zero", json_boolean(fk_sgx_all_zero(rd + 32, 32)));
	jset(pr, "binding",
	     json_string("report_data[0..32) binds SHA-256(g_b||g_a) (LAv1) or "
			 "SHA-256(g_a||proto_spec) (LAv2), not checkable without msg1 and msg2"));
	jset(o, "protocol", pr);
	jset(o, "additional_prop_length", json_integer(n));
	shown = n < AAD_SHOW_MAX ? n : AAD_SHOW_MAX;
	jset(o, "additional_prop",
	     n == 0 ? json_null() : cli_json_hex(buf + FK_DH_MSG3_FIXED_SIZE, shown));
	jset(o, "additional_prop_truncated", json_boolean(n > shown));
	jset(o, "verification",
	     json_string("not verified: the CMAC needs the session's SMK and the report's MAC "
			 "the initiator's report key; only the initiator enclave can check them"));
	jset(o, "note", json_string(dh_public_note));
	return CLI_EXIT_OK;
}

/* Shapes for --type auto: only what a real message has and no other type can. */
static bool looks_like_msg1(const uint8_t *buf, size_t len)
{
	const struct fk_dh_msg1 *m = (const struct fk_dh_msg1 *)(const void *)buf;
	bool valid = false;
	return len == FK_DH_MSG1_SIZE && targetinfo_reserved_zero(&m->target) &&
	       p256_point_valid(m->g_a, &valid) == FUSEKEY_OK && valid;
}

static bool looks_like_msg2(const uint8_t *buf, size_t len)
{
	const struct fk_dh_msg2 *m = (const struct fk_dh_msg2 *)(const void *)buf;
	const uint8_t *rd = m->report.body.report_data;
	bool valid = false;
	return len == FK_DH_MSG2_SIZE && report_reserved_zero(&m->report.body) &&
	       ((rd_is_lav1(rd) && fk_sgx_all_zero(rd + 34, 30)) || rd_is_lav2(rd)) &&
	       p256_point_valid(m->g_b, &valid) == FUSEKEY_OK && valid;
}

static bool looks_like_msg3(const uint8_t *buf, size_t len)
{
	const struct fk_dh_msg3 *m = (const struct fk_dh_msg3 *)(const void *)buf;
	uint32_t n;
	return msg3_framed(buf, len, &n) && report_reserved_zero(&m->report.body) &&
	       fk_sgx_all_zero(m->report.body.report_data + 32, 32);
}

static int describe_keyrequest(const uint8_t *buf, json_t *o, struct emulation *e)
{
	struct fk_sgx_key_request_fields f;
	const char *k;
	json_t *kr, *v;

	fk_sgx_key_request_decode((const struct fk_sgx_key_request *)buf, &f);
	emu_cpusvn(e, f.cpu_svn);
	kr = key_request_json(&f);
	json_object_foreach(kr, k, v)
	{
		json_object_set(o, k, v);
	}
	json_decref(kr);
	return CLI_EXIT_OK;
}

static json_t *date_json(uint32_t bcd)
{
	char s[16];
	snprintf(s, sizeof(s), "%04x-%02x-%02x", (unsigned)(bcd >> 16), (unsigned)(bcd >> 8 & 0xFF),
		 (unsigned)(bcd & 0xFF));
	return json_string(s);
}

static int describe_sigstruct(const uint8_t *buf, json_t *o)
{
	struct fk_sgx_sigstruct ss;
	uint8_t mrsigner[FK_SHA256_SIZE];
	uint32_t type;
	fusekey_status st;

	memcpy(&ss, buf, sizeof(ss));
	type = fk_le32(ss.header + 12);
	jset(o, "header_valid",
	     json_boolean(memcmp(ss.header, fk_sgx_sigstruct_header,
				 sizeof(fk_sgx_sigstruct_header)) == 0 &&
			  memcmp(ss.header2, fk_sgx_sigstruct_header2, sizeof(ss.header2)) == 0));
	jset(o, "signing_type",
	     json_string(type == 0			       ? "production"
			 : type == FK_SGX_SIGSTRUCT_TYPE_DEBUG ? "debug-signed"
							       : "invalid"));
	jset(o, "vendor", cli_json_u64hex(fk_le32(ss.vendor), 8));
	jset(o, "date", date_json(fk_le32(ss.date)));
	jset(o, "swdefined", cli_json_u64hex(fk_le32(ss.swdefined), 8));
	jset(o, "exponent", json_integer(fk_le32(ss.exponent)));
	st = fk_sha256(ss.modulus, sizeof(ss.modulus), mrsigner);
	if (st != FUSEKEY_OK)
		return cli_fail(st, "hashing the modulus");
	jset(o, "mr_signer", cli_json_hex(mrsigner, sizeof(mrsigner)));
	jset(o, "mr_enclave", cli_json_hex(ss.enclave_hash, sizeof(ss.enclave_hash)));
	jset(o, "isv_prod_id", json_integer(fk_le16(ss.isv_prod_id)));
	jset(o, "isv_svn", json_integer(fk_le16(ss.isv_svn)));
	jset(o, "attributes",
	     attrs_json(fk_le64(ss.attributes.flags), fk_le64(ss.attributes.xfrm)));
	jset(o, "attribute_mask",
	     attrs_json(fk_le64(ss.attribute_mask.flags), fk_le64(ss.attribute_mask.xfrm)));
	jset(o, "misc_select", cli_json_u64hex(fk_le32(ss.misc_select), 8));
	jset(o, "misc_mask", cli_json_u64hex(fk_le32(ss.misc_mask), 8));
	jset(o, "cet_attributes", json_integer(ss.cet_attributes));
	jset(o, "cet_attributes_mask", json_integer(ss.cet_attributes_mask));
	jset(o, "isv_family_id", cli_json_hex(ss.isv_family_id, sizeof(ss.isv_family_id)));
	jset(o, "isv_ext_prod_id", cli_json_hex(ss.isv_ext_prod_id, sizeof(ss.isv_ext_prod_id)));
	jset(o, "reserved_zero",
	     json_boolean(fk_sgx_all_zero(ss.reserved1, sizeof(ss.reserved1)) &&
			  fk_sgx_all_zero(ss.reserved2, sizeof(ss.reserved2)) &&
			  fk_sgx_all_zero(ss.reserved3, sizeof(ss.reserved3)) &&
			  fk_sgx_all_zero(ss.reserved4, sizeof(ss.reserved4))));
	st = fk_sigstruct_verify(&ss);
	jset(o, "signature_valid", json_boolean(st == FUSEKEY_OK));
	jset(o, "signature_status",
	     json_string(st == FUSEKEY_OK ? "valid" : fusekey_status_str(st)));
	return CLI_EXIT_OK;
}

/* ---- type detection ---- */

static enum itype detect(const uint8_t *buf, size_t len)
{
	struct fk_sealed_info info;

	if (len == FK_SGX_SIGSTRUCT_SIZE &&
	    memcmp(buf, fk_sgx_sigstruct_header, sizeof(fk_sgx_sigstruct_header)) == 0)
		return T_SIGSTRUCT;
	if (len == FK_SGX_REPORT_SIZE)
		return T_REPORT;
	if (len == FK_SGX_KEY_REQUEST_SIZE) {
		const struct fk_sgx_key_request *kr = (const struct fk_sgx_key_request *)buf;
		/*
		 * 512 bytes: a key request, a target info, a msg2 (or a msg3 with 60
		 * bytes of additional_prop). Each only by a shape the others cannot
		 * have: a key request has zero reserved fields, a known key name and
		 * policy bits within 0x3F; a target info zero reserved bytes
		 * (128..512 among them, where a msg2 has its report); a msg2 a P-256
		 * point and an LAv1/LAv2 report_data. Anything else: give --type.
		 */
		if (fk_sgx_all_zero(kr->reserved1, sizeof(kr->reserved1)) &&
		    fk_sgx_all_zero(kr->reserved2, sizeof(kr->reserved2)) &&
		    fk_le16(kr->key_name) <= FK_SGX_KEYNAME_SEAL &&
		    (fk_le16(kr->key_policy) & ~FK_SGX_KEYPOLICY_VALID) == 0)
			return T_KEYREQUEST;
		if (targetinfo_reserved_zero((const struct fk_sgx_target_info *)buf))
			return T_TARGETINFO;
		if (looks_like_msg2(buf, len))
			return T_DH_MSG2;
		return looks_like_msg3(buf, len) ? T_DH_MSG3 : T_AUTO;
	}
	if (len >= FK_SGX_SEALED_HDR_SIZE && fk_sealed_parse(buf, len, &info) == FUSEKEY_OK &&
	    info.length_matches) {
		struct cli_binding b;
		return cli_sealed_key_decode(buf, len, &info, &b) ? T_SEALED_KEY : T_SEALED;
	}
	/* 576 bytes and not a consistent sealed blob (a msg1 never is: its bytes
	 * 512..576, the blob's length fields, are reserved zero). */
	if (looks_like_msg1(buf, len))
		return T_DH_MSG1;
	/* 452 + n with n its own length field (a sealed blob has zero there). */
	if (looks_like_msg3(buf, len))
		return T_DH_MSG3;
	/* derive.json: a JSON object tagged "format": "fusekey-derive". */
	{
		size_t i = 0;
		while (i < len && (buf[i] == ' ' || buf[i] == '\n' || buf[i] == '\t' ||
				   buf[i] == '\r'))
			i++;
		if (i < len && buf[i] == '{' && len <= FK_DERIVE_DESC_MAX) {
			json_error_t err;
			json_t *root = derive_root(buf, len, &err);
			if (root != NULL) {
				json_decref(root);
				return T_DERIVE;
			}
		}
	}
	return T_AUTO;
}

static size_t type_size(enum itype t)
{
	switch (t) {
	case T_REPORT:
		return FK_SGX_REPORT_SIZE;
	case T_TARGETINFO:
		return FK_SGX_TARGET_INFO_SIZE;
	case T_KEYREQUEST:
		return FK_SGX_KEY_REQUEST_SIZE;
	case T_SIGSTRUCT:
		return FK_SGX_SIGSTRUCT_SIZE;
	case T_DH_MSG1:
		return FK_DH_MSG1_SIZE;
	case T_DH_MSG2:
		return FK_DH_MSG2_SIZE;
	default:
		return 0;
	}
}

/* ---- readable rendering of the JSON description ---- */

static void render(FILE *f, const char *prefix, json_t *o)
{
	const char *k;
	json_t *v;

	json_object_foreach(o, k, v)
	{
		char name[128];
		if (strcmp(k, "emulated") == 0 || strcmp(k, "emulation_note") == 0)
			continue; /* shown as the "platform:" line */
		snprintf(name, sizeof(name), "%s%s", prefix, k);
		switch (json_typeof(v)) {
		case JSON_OBJECT: {
			char sub[132];
			snprintf(sub, sizeof(sub), "%s.", name);
			render(f, sub, v);
			break;
		}
		case JSON_ARRAY: {
			size_t i;
			json_t *item;
			if (json_is_object(json_array_get(v, 0))) {
				/* A list of objects: "name.INDEX.field: value" */
				json_array_foreach(v, i, item)
				{
					char sub[160];
					snprintf(sub, sizeof(sub), "%s.%zu.", name, i);
					render(f, sub, item);
				}
				break;
			}
			fprintf(f, "%s: ", name);
			if (json_array_size(v) == 0)
				fputs("none", f);
			json_array_foreach(v, i, item)
			{
				fprintf(f, "%s%s", i ? "|" : "", json_string_value(item));
			}
			fputc('\n', f);
			break;
		}
		case JSON_STRING:
			fprintf(f, "%s: %s\n", name, json_string_value(v));
			break;
		case JSON_INTEGER:
			fprintf(f, "%s: %lld\n", name, (long long)json_integer_value(v));
			break;
		case JSON_TRUE:
			fprintf(f, "%s: yes\n", name);
			break;
		case JSON_FALSE:
			fprintf(f, "%s: no\n", name);
			break;
		case JSON_NULL:
			fprintf(f, "%s: none\n", name);
			break;
		default:
			break;
		}
	}
}

static int parse_type(const char *s, enum itype *t)
{
	for (size_t i = 0; i < sizeof(type_names) / sizeof(type_names[0]); i++) {
		if (strcmp(s, type_names[i]) == 0) {
			*t = (enum itype)i;
			return CLI_EXIT_OK;
		}
	}
	return cli_usage_err("inspect",
			     "--type must be one of auto, sealed, report, targetinfo, "
			     "sigstruct, keyrequest, sealed-key, derive, dh-msg1, dh-msg2, "
			     "dh-msg3; got '%s'",
			     s);
}

static int describe(enum itype t, const uint8_t *buf, size_t len, json_t *o, struct emulation *e)
{
	switch (t) {
	case T_SEALED:
		return describe_sealed(buf, len, o, e);
	case T_REPORT:
		return describe_report(buf, o, e);
	case T_TARGETINFO:
		return describe_targetinfo(buf, o);
	case T_KEYREQUEST:
		return describe_keyrequest(buf, o, e);
	case T_SIGSTRUCT:
		return describe_sigstruct(buf, o);
	case T_SEALED_KEY:
		return describe_sealed_key(buf, len, o, e);
	case T_DERIVE:
		return describe_derive(buf, len, o, e);
	case T_DH_MSG1:
		return describe_dh_msg1(buf, o);
	case T_DH_MSG2:
		return describe_dh_msg2(buf, o, e);
	case T_DH_MSG3:
		return describe_dh_msg3(buf, len, o, e);
	default:
		return CLI_EXIT_INTERNAL;
	}
}

/* --type auto: detect; an explicit type: check the size. */
static int choose_type(const char *path, const uint8_t *buf, size_t len, enum itype *t)
{
	if (*t == T_AUTO) {
		*t = detect(buf, len);
		if (*t != T_AUTO)
			return CLI_EXIT_OK;
		cli_err("cannot tell what '%s' is (%zu bytes): not a 1808-byte SIGSTRUCT, 432-byte "
			"report, 512-byte key request, target info or dh-msg2, 576-byte dh-msg1, "
			"dh-msg3 (452 + its additional_prop_length), consistent sealed blob, or "
			"fusekey derive descriptor; give --type",
			path, len);
		return CLI_EXIT_FORMAT;
	}
	if (*t == T_DH_MSG3) {
		uint32_t n;
		if (msg3_framed(buf, len, &n))
			return CLI_EXIT_OK;
		if (len < FK_DH_MSG3_FIXED_SIZE)
			cli_err("'%s' is %zu bytes: a dh-msg3 is at least %d bytes (%d + its "
				"additional_prop_length)",
				path, len, FK_DH_MSG3_FIXED_SIZE, FK_DH_MSG3_FIXED_SIZE);
		else if (n > FK_DH_PROPS_MAX)
			cli_err("'%s' is not a dh-msg3: its additional_prop_length %" PRIu32
				" is over the limit of %d bytes (the message would be %zu bytes)",
				path, n, FK_DH_PROPS_MAX, FK_DH_MSG3_FIXED_SIZE + (size_t)n);
		else
			cli_err("'%s' is %zu bytes: its additional_prop_length %" PRIu32
				" makes a dh-msg3 of exactly %zu bytes",
				path, len, n, FK_DH_MSG3_FIXED_SIZE + (size_t)n);
		return CLI_EXIT_FORMAT;
	}
	if (type_size(*t) != 0 && len != type_size(*t)) {
		cli_err("'%s' is %zu bytes: a %s is exactly %zu bytes", path, len, type_names[*t],
			type_size(*t));
		return CLI_EXIT_FORMAT;
	}
	return CLI_EXIT_OK;
}

/* Print the description, readable or JSON, with the emulation statement. Consumes o. */
static int print_description(json_t *o, const struct cli_args *a, size_t len, struct emulation *e)
{
	int rc = CLI_EXIT_OK;

	if (!e->emulated && a->has[OPT_PLATFORM]) {
		e->emulated = true;
		snprintf(e->note, sizeof(e->note), "EMULATED SGX (--platform sim given)");
	}
	if (!e->emulated)
		snprintf(e->note, sizeof(e->note),
			 "no emulation marker (which does not prove it comes from SGX hardware)");
	if (a->has[OPT_JSON]) {
		jset(o, "emulated", json_boolean(e->emulated));
		jset(o, "emulation_note", json_string(e->note));
		return cli_json_print(o);
	}
	printf("type: %s\nfile: %s\nsize: %zu bytes\nplatform: %s\n",
	       json_string_value(json_object_get(o, "type")), a->pos[0], len, e->note);
	json_object_del(o, "type");
	json_object_del(o, "file");
	json_object_del(o, "size");
	render(stdout, "", o);
	json_decref(o);
	if (fflush(stdout) != 0) {
		cli_err("writing to standard output failed");
		rc = CLI_EXIT_IO;
	}
	return rc;
}

int cli_cmd_inspect(int argc, char **argv)
{
	static const struct cli_opt opts[] = {
		{"type", true, false, OPT_TYPE},
		{"json", false, false, OPT_JSON},
		{"platform", true, false, OPT_PLATFORM},
	};
	enum itype t = T_AUTO;
	struct emulation e;
	struct cli_args a;
	uint8_t *buf = NULL;
	size_t len = 0;
	json_t *o = NULL;
	int rc;

	memset(&e, 0, sizeof(e));
	rc = cli_parse("inspect", argc, argv, opts, sizeof(opts) / sizeof(opts[0]), 1, &a);
	if (rc == CLI_PARSE_HELP) {
		cli_help("inspect", stdout);
		return CLI_EXIT_OK;
	}
	if (rc != CLI_PARSE_OK)
		return rc;
	if (a.npos != 1)
		return cli_usage_err("inspect", "give the FILE to inspect");
	if (a.has[OPT_TYPE] && (rc = parse_type(a.val[OPT_TYPE], &t)) != CLI_EXIT_OK)
		return rc;
	if (a.has[OPT_PLATFORM] && strcmp(a.val[OPT_PLATFORM], "sim") != 0) {
		cli_err("platform '%s' is not available for inspect: it reads files and opens no "
			"enclave; --platform only marks the file as made on the emulated platform "
			"('sim')",
			a.val[OPT_PLATFORM]);
		return CLI_EXIT_NO_PLATFORM;
	}
	rc = cli_read_input(a.pos[0], CLI_MAX_BLOB, "file", &buf, &len);
	if (rc != CLI_EXIT_OK)
		return rc;
	rc = choose_type(a.pos[0], buf, len, &t);
	if (rc != CLI_EXIT_OK)
		goto out;

	o = json_object();
	if (o == NULL) {
		rc = cli_json_print(NULL);
		goto out;
	}
	jset(o, "type", json_string(type_names[t]));
	jset(o, "file", json_string(a.pos[0]));
	jset(o, "size", json_integer((json_int_t)len));
	rc = describe(t, buf, len, o, &e);
	if (rc != CLI_EXIT_OK)
		goto out;
	rc = print_description(o, &a, len, &e);
	o = NULL;
out:
	json_decref(o);
	fk_file_free(buf, len);
	return rc;
}
