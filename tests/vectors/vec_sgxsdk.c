/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Intel SGX SDK simulation-mode vectors (tests/vectors/sgxsdk-sim/README.md):
 * platform.json, egetkey.json, ereport.json, seal.json, dh.json, derive_key.json.
 *
 * A file is recognised by its top-level keys, never by its name, so new files
 * of the same schemas run without code changes:
 *   cases[] with key_request        egetkey      (sgx_get_key)
 *   cases[] with shared_secret      derive_key   (the LA KDF)
 *   report_cases[] / verify_cases[] ereport      (sgx_create_report / sgx_verify_report)
 *   seal_cases[] / unseal_cases[]   seal         (sgx_seal_data[_ex], sgx_mac_aadata[_ex],
 *                                                 sgx_unseal_data, sgx_unmac_aadata)
 *   transcripts[] / negative_cases[] dh          (sgx_dh_*, through la/fk_dh.h)
 *   base_keys + owner_epoch + cpusvn platform    (simulation constants)
 *
 * Every case runs in a fresh emulated platform in sdk-compat mode whose one
 * enclave has the case's `enclave` identity, on the case's `platform_cpusvn`.
 * Each case gives one result (fk_vec_result) named by its "id"; a case whose
 * fields are missing or malformed fails with a message saying so.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/fk_crypto.h"
#include "fusekey/fusekey.h"
#include "la/fk_dh.h"
#include "platform/fk_platform.h"
#include "platform/fk_sim.h"
#include "seal/fk_seal.h"
#include "sgx/fk_sgx.h"
#include "vec.h"

/* Same declaration as vec.h, plus printf format checking of our calls. */
__attribute__((format(printf, 5, 6))) void fk_vec_result(struct fk_vec_tally *t, const char *file,
							 const char *id, int ok,
							 const char *why_fmt, ...);

/* Largest buffer a case may ask for (output capacities, blob sizes). */
#define MAX_CASE_BUFFER (64u * 1024u * 1024u)

struct ctx {
	const char *file;
	struct fk_vec_tally *t;
};

/* ---- the failure message of one case ---- */

struct why {
	char buf[1536];
	size_t n;
	bool bad;      /* a comparison failed */
	bool malformed; /* the case itself is not well formed */
};

__attribute__((format(printf, 2, 3))) static void why_add(struct why *w, const char *fmt, ...)
{
	w->bad = true;
	if (w->n >= sizeof(w->buf) - 1)
		return;
	if (w->n > 0) {
		int k = snprintf(w->buf + w->n, sizeof(w->buf) - w->n, "; ");
		if (k > 0)
			w->n += (size_t)k;
		if (w->n >= sizeof(w->buf))
			w->n = sizeof(w->buf) - 1;
	}
	va_list ap;
	va_start(ap, fmt);
	int k = vsnprintf(w->buf + w->n, sizeof(w->buf) - w->n, fmt, ap);
	va_end(ap);
	if (k > 0)
		w->n += (size_t)k;
	if (w->n >= sizeof(w->buf))
		w->n = sizeof(w->buf) - 1;
}

#define MALFORMED(w, ...)                   \
	do {                                \
		(w)->malformed = true;      \
		why_add((w), "malformed case: " __VA_ARGS__); \
	} while (0)

static void report_case(const struct ctx *c, const char *id, const struct why *w)
{
	fk_vec_result(c->t, c->file, id, !w->bad, "%s", w->buf);
}

/* The case id: its "id" field, else "<array>[<index>]". */
static const char *case_id(json_t *cs, const char *array, size_t i, char *buf, size_t len)
{
	const char *id = json_string_value(json_object_get(cs, "id"));
	if (id != NULL)
		return id;
	snprintf(buf, len, "%s[%zu]", array, i);
	return buf;
}

/* ---- reading fields ---- */

struct bytes {
	uint8_t *p;
	size_t n;
	bool null; /* JSON null */
};

static void bytes_free(struct bytes *b)
{
	free(b->p);
	b->p = NULL;
	b->n = 0;
}

/* Hex string field; null allowed only if allow_null. want = SIZE_MAX for any length. */
static bool get_bytes(json_t *o, const char *key, size_t want, bool allow_null, struct bytes *out,
		      struct why *w)
{
	out->p = NULL;
	out->n = 0;
	out->null = false;
	json_t *v = json_object_get(o, key);
	if (v == NULL) {
		MALFORMED(w, "field '%s' missing", key);
		return false;
	}
	if (json_is_null(v)) {
		if (!allow_null) {
			MALFORMED(w, "field '%s' is null", key);
			return false;
		}
		out->null = true;
		return true;
	}
	const char *s = json_string_value(v);
	if (s == NULL) {
		MALFORMED(w, "field '%s' is not a hex string", key);
		return false;
	}
	out->p = fk_vec_hex(s, &out->n);
	if (out->p == NULL) {
		MALFORMED(w, "field '%s' is not valid hex", key);
		return false;
	}
	if (want != SIZE_MAX && out->n != want) {
		MALFORMED(w, "field '%s' has %zu bytes, expected %zu", key, out->n, want);
		bytes_free(out);
		return false;
	}
	return true;
}

/* Hex string field of exactly n bytes, into dst. */
static bool get_fixed(json_t *o, const char *key, uint8_t *dst, size_t n, struct why *w)
{
	struct bytes b;
	if (!get_bytes(o, key, n, false, &b, w))
		return false;
	memcpy(dst, b.p, n);
	bytes_free(&b);
	return true;
}

/* Non-negative integer: a JSON number, or a "0x..." hex string. */
static bool get_u64(json_t *o, const char *key, uint64_t max, uint64_t *out, struct why *w)
{
	json_t *v = json_object_get(o, key);
	if (v == NULL) {
		MALFORMED(w, "field '%s' missing", key);
		return false;
	}
	if (json_is_integer(v)) {
		json_int_t x = json_integer_value(v);
		if (x < 0 || (uint64_t)x > max) {
			MALFORMED(w, "field '%s' = %lld out of range", key, (long long)x);
			return false;
		}
		*out = (uint64_t)x;
		return true;
	}
	const char *s = json_string_value(v);
	if (s != NULL && (s[0] == '0') && (s[1] == 'x' || s[1] == 'X') && s[2] != '\0' &&
	    strlen(s) <= 18) {
		uint64_t x = 0;
		for (const char *q = s + 2; *q != '\0'; q++) {
			int d;
			if (*q >= '0' && *q <= '9')
				d = *q - '0';
			else if (*q >= 'a' && *q <= 'f')
				d = *q - 'a' + 10;
			else if (*q >= 'A' && *q <= 'F')
				d = *q - 'A' + 10;
			else
				goto bad;
			x = x << 4 | (uint64_t)d;
		}
		if (x > max) {
			MALFORMED(w, "field '%s' = %s out of range", key, s);
			return false;
		}
		*out = x;
		return true;
	}
bad:
	MALFORMED(w, "field '%s' is not an integer or a \"0x...\" string", key);
	return false;
}

static bool get_u32(json_t *o, const char *key, uint32_t *out, struct why *w)
{
	uint64_t x;
	if (!get_u64(o, key, UINT32_MAX, &x, w))
		return false;
	*out = (uint32_t)x;
	return true;
}

static bool get_u16(json_t *o, const char *key, uint16_t *out, struct why *w)
{
	uint64_t x;
	if (!get_u64(o, key, UINT16_MAX, &x, w))
		return false;
	*out = (uint16_t)x;
	return true;
}

static json_t *get_object(json_t *o, const char *key, struct why *w)
{
	json_t *v = json_object_get(o, key);
	if (!json_is_object(v)) {
		MALFORMED(w, "field '%s' missing or not an object", key);
		return NULL;
	}
	return v;
}

static const char *get_string(json_t *o, const char *key, struct why *w)
{
	const char *s = json_string_value(json_object_get(o, key));
	if (s == NULL)
		MALFORMED(w, "field '%s' missing or not a string", key);
	return s;
}

/* The `enclave` object (README §1.1) as the SECS identity. */
static bool parse_enclave(json_t *e, struct fk_sgx_identity *id, struct why *w)
{
	memset(id, 0, sizeof(*id));
	json_t *attr = get_object(e, "attributes", w);
	if (attr == NULL)
		return false;
	uint64_t misc;
	bool ok = get_u64(attr, "flags", UINT64_MAX, &id->flags, w) &&
		  get_u64(attr, "xfrm", UINT64_MAX, &id->xfrm, w) &&
		  get_u64(e, "misc_select", UINT32_MAX, &misc, w) &&
		  get_fixed(e, "mr_enclave", id->mr_enclave, sizeof(id->mr_enclave), w) &&
		  get_fixed(e, "mr_signer", id->mr_signer, sizeof(id->mr_signer), w) &&
		  get_u16(e, "isv_prod_id", &id->isv_prod_id, w) &&
		  get_u16(e, "isv_svn", &id->isv_svn, w) &&
		  get_fixed(e, "config_id", id->config_id, sizeof(id->config_id), w) &&
		  get_u16(e, "config_svn", &id->config_svn, w) &&
		  get_fixed(e, "isv_family_id", id->isv_family_id, sizeof(id->isv_family_id), w) &&
		  get_fixed(e, "isv_ext_prod_id", id->isv_ext_prod_id, sizeof(id->isv_ext_prod_id),
			    w);
	if (ok)
		id->misc_select = (uint32_t)misc;
	return ok;
}

static const char *const cpusvn_names[3] = {"DEFAULT", "UPGRADED", "DOWNGRADED"};

static bool cpusvn_from_name(const char *s, enum fk_sim_cpusvn *out)
{
	static const enum fk_sim_cpusvn vals[3] = {FK_SIM_CPUSVN_DEFAULT, FK_SIM_CPUSVN_UPGRADED,
						   FK_SIM_CPUSVN_DOWNGRADED};
	for (size_t i = 0; i < 3; i++)
		if (s != NULL && strcmp(s, cpusvn_names[i]) == 0) {
			*out = vals[i];
			return true;
		}
	return false;
}

/* An sdk-compat platform running the enclave in field `enclave_key` of the case. */
static bool case_platform(json_t *cs, const char *enclave_key, struct fk_platform **p,
			  struct why *w)
{
	*p = NULL;
	const char *name = get_string(cs, "platform_cpusvn", w);
	if (name == NULL)
		return false;
	enum fk_sim_cpusvn cpusvn;
	if (!cpusvn_from_name(name, &cpusvn)) {
		MALFORMED(w, "platform_cpusvn '%s' unknown", name);
		return false;
	}
	json_t *e = get_object(cs, enclave_key, w);
	struct fk_sgx_identity id;
	if (e == NULL || !parse_enclave(e, &id, w))
		return false;
	struct fk_sim_state st;
	fk_sim_state_sdk_compat(&st, cpusvn);
	fusekey_status s = fk_sim_platform_new(&st, &id, p);
	fk_sim_state_clear(&st);
	if (s != FUSEKEY_OK) {
		why_add(w, "fk_sim_platform_new failed: %s", fusekey_status_name(s));
		*p = NULL;
		return false;
	}
	return true;
}

/* expected.status_code (and .status for messages). */
static bool get_expected_status(json_t *exp, uint32_t *code, const char **name, struct why *w)
{
	*name = json_string_value(json_object_get(exp, "status"));
	if (*name == NULL)
		*name = "?";
	return get_u32(exp, "status_code", code, w);
}

static bool check_status(struct why *w, const char *what, fusekey_status got, uint32_t want_code,
			 const char *want_name)
{
	uint32_t got_code = fusekey_status_to_sgx(got);
	if (got_code == want_code)
		return true;
	why_add(w, "%s status: got %s (0x%04x), expected %s (0x%04x)", what,
		fusekey_status_name(got), got_code, want_name, want_code);
	return false;
}

/* ---- byte comparisons, with the name of the field that differs ---- */

struct region {
	size_t off;
	const char *name;
};

static const struct region report_regions[] = {
	{0, "body.cpu_svn"},	     {16, "body.misc_select"},	  {20, "body.reserved1"},
	{32, "body.isv_ext_prod_id"}, {48, "body.attributes"},	  {64, "body.mr_enclave"},
	{96, "body.reserved2"},	     {128, "body.mr_signer"},	  {160, "body.reserved3"},
	{192, "body.config_id"},     {256, "body.isv_prod_id"},	  {258, "body.isv_svn"},
	{260, "body.config_svn"},    {262, "body.reserved4"},	  {304, "body.isv_family_id"},
	{320, "body.report_data"},   {384, "key_id"},		  {416, "mac"},
	{SIZE_MAX, NULL},
};

static const struct region sealed_regions[] = {
	{0, "key_request.key_name"},
	{2, "key_request.key_policy"},
	{4, "key_request.isv_svn"},
	{6, "key_request.reserved1"},
	{8, "key_request.cpu_svn"},
	{24, "key_request.attribute_mask"},
	{40, "key_request.key_id"},
	{72, "key_request.misc_mask"},
	{76, "key_request.config_svn"},
	{78, "key_request.reserved2"},
	{512, "plain_text_offset"},
	{516, "reserved@516"},
	{528, "payload_size"},
	{532, "reserved@532"},
	{544, "payload_tag"},
	{560, "payload"},
	{SIZE_MAX, NULL},
};

static const char *region_name(const struct region *r, size_t pos)
{
	const char *name = "?";
	if (r == NULL)
		return NULL;
	for (; r->name != NULL && r->off <= pos; r++)
		name = r->name;
	return name;
}

/* Compare got with want; on mismatch say which bytes/fields differ. */
static bool check_bytes(struct why *w, const char *what, const uint8_t *got, size_t got_len,
			const uint8_t *want, size_t want_len, const struct region *regions)
{
	if (got_len != want_len) {
		why_add(w, "%s length: got %zu, expected %zu", what, got_len, want_len);
		return false;
	}
	if (want_len == 0 || memcmp(got, want, want_len) == 0)
		return true;
	size_t first = SIZE_MAX, ndiff = 0;
	char fields[256] = "";
	size_t fl = 0;
	const char *last = NULL;
	unsigned nfields = 0;
	for (size_t i = 0; i < want_len; i++) {
		if (got[i] == want[i])
			continue;
		if (first == SIZE_MAX)
			first = i;
		ndiff++;
		const char *rn = region_name(regions, i);
		if (rn != NULL && rn != last) {
			last = rn;
			if (nfields < 6 && fl < sizeof(fields)) {
				int k = snprintf(fields + fl, sizeof(fields) - fl, "%s%s",
						 nfields ? "," : "", rn);
				if (k > 0)
					fl += (size_t)k;
				if (fl >= sizeof(fields))
					fl = sizeof(fields) - 1;
			}
			nfields++;
		}
	}
	why_add(w, "%s differs in %zu of %zu bytes, first at %zu (got %02x, expected %02x)%s%s%s",
		what, ndiff, want_len, first, got[first], want[first], fl ? " in fields " : "",
		fields, nfields > 6 ? ",..." : "");
	return false;
}

static bool all_bytes(const uint8_t *p, size_t n, uint8_t v)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != v)
			return false;
	return true;
}

static void *xmalloc_fill(size_t n, uint8_t fill)
{
	void *p = malloc(n > 0 ? n : 1);
	if (p != NULL)
		memset(p, fill, n > 0 ? n : 1);
	return p;
}

/* ====================================================================== */
/* egetkey.json                                                           */
/* ====================================================================== */

static void egetkey_case(const struct ctx *c, json_t *cs, const char *id)
{
	struct why w = {.n = 0};
	struct fk_platform *p = NULL;
	struct fk_sgx_key_request req;
	uint32_t want_code;
	const char *want_name;
	json_t *exp;

	if (!case_platform(cs, "enclave", &p, &w) ||
	    !get_fixed(cs, "key_request", (uint8_t *)&req, sizeof(req), &w) ||
	    (exp = get_object(cs, "expected", &w)) == NULL ||
	    !get_expected_status(exp, &want_code, &want_name, &w))
		goto out;

	uint8_t key[FK_SGX_KEY_SIZE];
	memset(key, 0xAA, sizeof(key));
	fusekey_status s = fk_platform_get_key(p, &req, key);
	check_status(&w, "get_key", s, want_code, want_name);
	if (want_code == 0 && s == FUSEKEY_OK) {
		struct bytes k;
		if (get_bytes(exp, "key", FK_SGX_KEY_SIZE, false, &k, &w)) {
			check_bytes(&w, "key", key, sizeof(key), k.p, k.n, NULL);
			bytes_free(&k);
		}
	} else if (s != FUSEKEY_OK && !all_bytes(key, sizeof(key), 0)) {
		why_add(&w, "key output not zeroed after failure");
	}
out:
	fk_platform_destroy(p);
	report_case(c, id, &w);
}

/* ====================================================================== */
/* ereport.json                                                           */
/* ====================================================================== */

static void report_case_run(const struct ctx *c, json_t *cs, const char *id)
{
	struct why w = {.n = 0};
	struct fk_platform *p = NULL;
	struct bytes ti = {0}, rd = {0}, want = {0};
	uint32_t want_code;
	const char *want_name;
	json_t *exp;

	if (!case_platform(cs, "enclave", &p, &w) ||
	    !get_bytes(cs, "target_info", FK_SGX_TARGET_INFO_SIZE, true, &ti, &w) ||
	    !get_bytes(cs, "report_data", FK_SGX_REPORT_DATA_SIZE, true, &rd, &w) ||
	    (exp = get_object(cs, "expected", &w)) == NULL ||
	    !get_expected_status(exp, &want_code, &want_name, &w))
		goto out;

	struct fk_sgx_target_info tinfo;
	if (!ti.null)
		memcpy(&tinfo, ti.p, sizeof(tinfo));
	struct fk_sgx_report rep;
	memset(&rep, 0xAA, sizeof(rep));
	fusekey_status s =
		fk_platform_create_report(p, ti.null ? NULL : &tinfo, rd.null ? NULL : rd.p, &rep);
	check_status(&w, "create_report", s, want_code, want_name);
	if (want_code == 0 && s == FUSEKEY_OK &&
	    get_bytes(exp, "report", FK_SGX_REPORT_SIZE, false, &want, &w))
		check_bytes(&w, "report", (const uint8_t *)&rep, sizeof(rep), want.p, want.n,
			    report_regions);
out:
	bytes_free(&ti);
	bytes_free(&rd);
	bytes_free(&want);
	fk_platform_destroy(p);
	report_case(c, id, &w);
}

static void verify_case_run(const struct ctx *c, json_t *cs, const char *id)
{
	struct why w = {.n = 0};
	struct fk_platform *p = NULL;
	struct fk_sgx_report rep;
	uint32_t want_code;
	const char *want_name;
	json_t *exp;

	if (!case_platform(cs, "enclave", &p, &w) ||
	    !get_fixed(cs, "report", (uint8_t *)&rep, sizeof(rep), &w) ||
	    (exp = get_object(cs, "expected", &w)) == NULL ||
	    !get_expected_status(exp, &want_code, &want_name, &w))
		goto out;
	fusekey_status s = fk_platform_verify_report(p, &rep);
	check_status(&w, "verify_report", s, want_code, want_name);
out:
	fk_platform_destroy(p);
	report_case(c, id, &w);
}

/* ====================================================================== */
/* seal.json                                                              */
/* ====================================================================== */

static bool is_api(const char *api, const char *name)
{
	return api != NULL && strcmp(api, name) == 0;
}

/* Unseal a blob we just produced, in the same enclave: must give back txt and aad. */
static void seal_round_trip(struct why *w, struct fk_platform *p, bool mac_only,
			    const uint8_t *blob, uint32_t blob_size, const struct bytes *pt,
			    const struct bytes *aad)
{
	uint32_t tl = (uint32_t)pt->n, al = (uint32_t)aad->n;
	uint8_t *txt = xmalloc_fill(tl, 0xAA), *ad = xmalloc_fill(al, 0xAA);
	if (txt == NULL || ad == NULL) {
		why_add(w, "round trip: out of memory");
		goto out;
	}
	fusekey_status s = mac_only ? fk_unmac_aad(p, blob, blob_size, ad, &al)
				    : fk_unseal(p, blob, blob_size, txt, &tl, ad, &al);
	if (s != FUSEKEY_OK) {
		why_add(w, "round trip: %s of our own blob failed: %s",
			mac_only ? "fk_unmac_aad" : "fk_unseal", fusekey_status_name(s));
		goto out;
	}
	if (!mac_only)
		check_bytes(w, "round trip plaintext", txt, tl, pt->p, pt->n, NULL);
	check_bytes(w, "round trip aad", ad, al, aad->p, aad->n, NULL);
out:
	free(txt);
	free(ad);
}

static void seal_case_run(const struct ctx *c, json_t *cs, const char *id)
{
	struct why w = {.n = 0};
	struct fk_platform *p = NULL;
	struct bytes pt = {0}, aad = {0}, want = {0}, want_key = {0};
	uint8_t key_id[FK_SGX_KEYID_SIZE];
	uint8_t *blob = NULL;
	struct fk_seal_policy pol;
	uint32_t size = 0, want_code;
	const char *want_name;
	json_t *exp, *mask;

	const char *api = get_string(cs, "api", &w);
	bool mac_only = is_api(api, "sgx_mac_aadata") || is_api(api, "sgx_mac_aadata_ex");
	if (api != NULL && !mac_only && !is_api(api, "sgx_seal_data") &&
	    !is_api(api, "sgx_seal_data_ex"))
		MALFORMED(&w, "api '%s' unknown", api);
	if (w.bad)
		goto out;

	memset(&pol, 0, sizeof(pol));
	if (!case_platform(cs, "enclave", &p, &w) ||
	    !get_u16(cs, "key_policy", &pol.key_policy, &w) ||
	    (mask = get_object(cs, "attribute_mask", &w)) == NULL ||
	    !get_u64(mask, "flags", UINT64_MAX, &pol.attr_mask_flags, &w) ||
	    !get_u64(mask, "xfrm", UINT64_MAX, &pol.attr_mask_xfrm, &w) ||
	    !get_u32(cs, "misc_mask", &pol.misc_mask, &w) ||
	    !get_fixed(cs, "key_id", key_id, sizeof(key_id), &w) ||
	    !get_bytes(cs, "plaintext", SIZE_MAX, false, &pt, &w) ||
	    !get_bytes(cs, "aad", SIZE_MAX, false, &aad, &w) ||
	    !get_u32(cs, "sealed_data_size", &size, &w) ||
	    (exp = get_object(cs, "expected", &w)) == NULL ||
	    !get_expected_status(exp, &want_code, &want_name, &w))
		goto out;
	if (pt.n > MAX_CASE_BUFFER || aad.n > MAX_CASE_BUFFER || size > MAX_CASE_BUFFER) {
		MALFORMED(&w, "sizes too large");
		goto out;
	}
	if (mac_only && pt.n != 0) {
		MALFORMED(&w, "%s takes no plaintext", api);
		goto out;
	}

	blob = xmalloc_fill(size, 0xAA);
	if (blob == NULL) {
		why_add(&w, "out of memory");
		goto out;
	}
	/* "" means length 0 with a NULL pointer (README §5). */
	const uint8_t *aad_p = aad.n ? aad.p : NULL, *pt_p = pt.n ? pt.p : NULL;
	fusekey_status s;
	if (mac_only)
		s = fk_mac_aad(p, &pol, key_id, aad_p, (uint32_t)aad.n, blob, size);
	else
		s = fk_seal_with_key_id(p, &pol, key_id, aad_p, (uint32_t)aad.n, pt_p,
					(uint32_t)pt.n, blob, size);
	check_status(&w, mac_only ? "fk_mac_aad" : "fk_seal_with_key_id", s, want_code, want_name);

	if (s != FUSEKEY_OK) {
		if (size > 0 && all_bytes(blob, size, 0xAA))
			why_add(&w, "blob left untouched after failure (fk_seal.h: zeroed on "
				    "failure; our 0xAA pre-fill is still there)");
		else if (!all_bytes(blob, size, 0))
			why_add(&w, "blob not zeroed after failure (fk_seal.h: zeroed on failure)");
		goto out;
	}
	if (want_code != 0)
		goto out;
	/* SDK -> fusekey: the same bytes. */
	if (get_bytes(exp, "sealed_blob", SIZE_MAX, false, &want, &w))
		check_bytes(&w, "sealed blob", blob, size, want.p, want.n, sealed_regions);
	/* Intermediate: the seal key is EGETKEY(blob.key_request) in this enclave. */
	json_t *sk = json_object_get(exp, "seal_key");
	if (sk != NULL && !json_is_null(sk) &&
	    get_bytes(exp, "seal_key", FK_SGX_KEY_SIZE, false, &want_key, &w) &&
	    size >= sizeof(struct fk_sgx_key_request)) {
		struct fk_sgx_key_request req;
		uint8_t key[FK_SGX_KEY_SIZE];
		memcpy(&req, blob, sizeof(req));
		fusekey_status ks = fk_platform_get_key(p, &req, key);
		if (ks != FUSEKEY_OK)
			why_add(&w, "get_key(blob.key_request) failed: %s",
				fusekey_status_name(ks));
		else
			check_bytes(&w, "seal key", key, sizeof(key), want_key.p, want_key.n,
				    NULL);
		fk_wipe(key, sizeof(key));
	}
	/* fusekey -> fusekey: what we sealed unseals. */
	seal_round_trip(&w, p, mac_only, blob, size, &pt, &aad);
out:
	free(blob);
	bytes_free(&pt);
	bytes_free(&aad);
	bytes_free(&want);
	bytes_free(&want_key);
	fk_platform_destroy(p);
	report_case(c, id, &w);
}

static void unseal_case_run(const struct ctx *c, json_t *cs, const char *id)
{
	struct why w = {.n = 0};
	struct fk_platform *p = NULL;
	struct bytes blob = {0}, want_pt = {0}, want_aad = {0};
	uint8_t *txt = NULL, *ad = NULL;
	uint32_t tcap = 0, acap = 0, want_code;
	const char *want_name;
	json_t *exp;

	const char *api = get_string(cs, "api", &w);
	bool mac_only = is_api(api, "sgx_unmac_aadata");
	if (api != NULL && !mac_only && !is_api(api, "sgx_unseal_data"))
		MALFORMED(&w, "api '%s' unknown", api);
	if (w.bad)
		goto out;

	/* fusekey deliberately differs from the SDK where the case says so. */
	bool fk_exp = json_is_object(json_object_get(cs, "fusekey_expected"));
	const char *exp_key = fk_exp ? "fusekey_expected" : "expected";
	if (!case_platform(cs, "enclave", &p, &w) ||
	    !get_bytes(cs, "sealed_blob", SIZE_MAX, false, &blob, &w) ||
	    !get_u32(cs, "text_buffer_len", &tcap, &w) ||
	    !get_u32(cs, "aad_buffer_len", &acap, &w) ||
	    (exp = get_object(cs, exp_key, &w)) == NULL ||
	    !get_expected_status(exp, &want_code, &want_name, &w))
		goto out;
	if (tcap > MAX_CASE_BUFFER || acap > MAX_CASE_BUFFER) {
		MALFORMED(&w, "buffer capacities too large");
		goto out;
	}
	if (mac_only && tcap != 0) {
		MALFORMED(&w, "sgx_unmac_aadata has no text buffer (text_buffer_len must be 0)");
		goto out;
	}
	/* plaintext / aad: absent or null = not checked (failure, or unmac's plaintext). */
	if (json_object_get(exp, "plaintext") != NULL &&
	    !get_bytes(exp, "plaintext", SIZE_MAX, true, &want_pt, &w))
		goto out;
	if (json_object_get(exp, "plaintext") == NULL)
		want_pt.null = true;
	if (json_object_get(exp, "aad") != NULL &&
	    !get_bytes(exp, "aad", SIZE_MAX, true, &want_aad, &w))
		goto out;
	if (json_object_get(exp, "aad") == NULL)
		want_aad.null = true;

	txt = xmalloc_fill(tcap, 0xAA);
	ad = xmalloc_fill(acap, 0xAA);
	if (txt == NULL || ad == NULL) {
		why_add(&w, "out of memory");
		goto out;
	}
	uint32_t tl = tcap, al = acap;
	fusekey_status s = mac_only ? fk_unmac_aad(p, blob.p, blob.n, ad, &al)
				    : fk_unseal(p, blob.p, blob.n, txt, &tl, ad, &al);
	char what[64];
	snprintf(what, sizeof(what), "%s%s", mac_only ? "fk_unmac_aad" : "fk_unseal",
		 fk_exp ? " (fusekey_expected)" : "");
	check_status(&w, what, s, want_code, want_name);

	if (s == FUSEKEY_OK) {
		if (want_code != 0)
			goto out;
		if (!mac_only && !want_pt.null)
			check_bytes(&w, "plaintext", txt, tl, want_pt.p, want_pt.n, NULL);
		if (!want_aad.null)
			check_bytes(&w, "aad", ad, al, want_aad.p, want_aad.n, NULL);
	} else {
		/* On failure no output buffer holds anything: all zero to capacity. */
		if (!mac_only && !all_bytes(txt, tcap, 0))
			why_add(&w, "text buffer not zeroed after failure");
		if (!all_bytes(ad, acap, 0))
			why_add(&w, "aad buffer not zeroed after failure");
	}
out:
	free(txt);
	free(ad);
	bytes_free(&blob);
	bytes_free(&want_pt);
	bytes_free(&want_aad);
	fk_platform_destroy(p);
	report_case(c, id, &w);
}

/* ====================================================================== */
/* derive_key.json: the LA KDF (README §7, sgx.md §8.3)                   */
/* ====================================================================== */

static void derive_key_case(const struct ctx *c, json_t *cs, const char *id)
{
	static const uint8_t zero16[16] = {0};
	static const uint8_t smk_label[7] = {0x01, 'S', 'M', 'K', 0x00, 0x80, 0x00};
	static const uint8_t aek_label[7] = {0x01, 'A', 'E', 'K', 0x00, 0x80, 0x00};
	struct why w = {.n = 0};
	struct bytes ss = {0}, smk_in = {0}, aek_in = {0};
	uint8_t kdk_want[16], smk_want[16], aek_want[16];
	uint8_t kdk[16], smk[16], aek[16];

	if (!get_bytes(cs, "shared_secret", FK_P256_SHARED_SIZE, false, &ss, &w) ||
	    !get_fixed(cs, "kdk", kdk_want, sizeof(kdk_want), &w) ||
	    !get_bytes(cs, "smk_cmac_input", SIZE_MAX, false, &smk_in, &w) ||
	    !get_bytes(cs, "aek_cmac_input", SIZE_MAX, false, &aek_in, &w) ||
	    !get_fixed(cs, "smk", smk_want, sizeof(smk_want), &w) ||
	    !get_fixed(cs, "aek", aek_want, sizeof(aek_want), &w))
		goto out;

	/* The KDF's messages are fixed: 0x01 || label || 0x00 || 0x80 0x00. */
	check_bytes(&w, "smk_cmac_input vs the KDF's SMK message", smk_in.p, smk_in.n, smk_label,
		    sizeof(smk_label), NULL);
	check_bytes(&w, "aek_cmac_input vs the KDF's AEK message", aek_in.p, aek_in.n, aek_label,
		    sizeof(aek_label), NULL);

	fusekey_status s = fk_cmac128(zero16, ss.p, ss.n, kdk);
	if (s != FUSEKEY_OK) {
		why_add(&w, "fk_cmac128 (KDK) failed: %s", fusekey_status_name(s));
		goto out;
	}
	check_bytes(&w, "kdk", kdk, sizeof(kdk), kdk_want, sizeof(kdk_want), NULL);
	s = fk_cmac128(kdk, smk_label, sizeof(smk_label), smk);
	if (s != FUSEKEY_OK)
		why_add(&w, "fk_cmac128 (SMK) failed: %s", fusekey_status_name(s));
	else
		check_bytes(&w, "smk", smk, sizeof(smk), smk_want, sizeof(smk_want), NULL);
	s = fk_cmac128(kdk, aek_label, sizeof(aek_label), aek);
	if (s != FUSEKEY_OK)
		why_add(&w, "fk_cmac128 (AEK) failed: %s", fusekey_status_name(s));
	else
		check_bytes(&w, "aek", aek, sizeof(aek), aek_want, sizeof(aek_want), NULL);
out:
	bytes_free(&ss);
	bytes_free(&smk_in);
	bytes_free(&aek_in);
	report_case(c, id, &w);
}

/* ====================================================================== */
/* dh.json: local attestation (README §6, sgx.md §8)                      */
/* ====================================================================== */

/*
 * A transcript is replayed as a live session between two enclaves on one
 * sdk-compat platform, each side with its recorded ephemeral key: every
 * message, status, AEK and identity buffer must be the SDK's, and each side
 * must then accept the other (fk_dh_check_peer) and export the same AEK.
 * A negative case rebuilds the state on its `side` from the transcript it
 * names and feeds `input_message` to `api`; besides the SDK's status, every
 * failing call must leave the session all zero (the ERROR state, fk_dh.h).
 */

#define DH_REPORT_REGIONS(base)                                                            \
	{(base) + 0, "report.body.cpu_svn"}, {(base) + 16, "report.body.misc_select"},     \
		{(base) + 20, "report.body.reserved1"},                                    \
		{(base) + 32, "report.body.isv_ext_prod_id"},                              \
		{(base) + 48, "report.body.attributes"},                                   \
		{(base) + 64, "report.body.mr_enclave"},                                   \
		{(base) + 96, "report.body.reserved2"},                                    \
		{(base) + 128, "report.body.mr_signer"},                                   \
		{(base) + 160, "report.body.reserved3"},                                   \
		{(base) + 192, "report.body.config_id"},                                   \
		{(base) + 256, "report.body.isv_prod_id"},                                 \
		{(base) + 258, "report.body.isv_svn"},                                     \
		{(base) + 260, "report.body.config_svn"},                                  \
		{(base) + 262, "report.body.reserved4"},                                   \
		{(base) + 304, "report.body.isv_family_id"},                               \
		{(base) + 320, "report.body.report_data"}, {(base) + 384, "report.key_id"}, \
		{(base) + 416, "report.mac"}

static const struct region msg1_regions[] = {
	{0, "g_a"},
	{64, "target.mr_enclave"},
	{96, "target.attributes"},
	{112, "target.reserved1"},
	{114, "target.config_svn"},
	{116, "target.misc_select"},
	{120, "target.reserved2"},
	{128, "target.config_id"},
	{192, "target.reserved3"},
	{SIZE_MAX, NULL},
};

static const struct region msg2_regions[] = {
	{0, "g_b"},
	DH_REPORT_REGIONS(64),
	{496, "cmac"},
	{SIZE_MAX, NULL},
};

static const struct region msg3_regions[] = {
	{0, "cmac"},
	DH_REPORT_REGIONS(16),
	{448, "additional_prop_length"},
	{452, "additional_prop"},
	{SIZE_MAX, NULL},
};

static const struct region identity_regions[] = {
	{0, "cpu_svn"},	     {16, "misc_select"}, {20, "reserved_1"}, {48, "attributes"},
	{64, "mr_enclave"},  {96, "reserved_2"},  {128, "mr_signer"}, {160, "reserved_3"},
	{256, "isv_prod_id"}, {258, "isv_svn"},	  {SIZE_MAX, NULL},
};

/* One side of a transcript: its enclave (on its own platform) and its ephemeral key. */
struct dh_party {
	struct fk_platform *p;
	struct fk_sgx_identity id;
	uint8_t priv[FK_DH_PRIV_SIZE];
	uint8_t pub[FK_DH_PUB_SIZE];
};

struct dh_transcript {
	enum fk_dh_version version;
	struct dh_party r, i;
	struct bytes props;
	uint8_t prefill;
	json_t *exp;
	struct bytes msg1, msg2, msg3; /* expected.msg1/2/3 */
};

/* A step's expected {status, status_code}. */
struct dh_want {
	uint32_t code;
	const char *name;
};

static const struct dh_want dh_success = {0, "SGX_SUCCESS"};

static bool dh_version_from_name(const char *s, enum fk_dh_version *v)
{
	if (s != NULL && strcmp(s, "LAv1") == 0)
		*v = FK_DH_LAV1;
	else if (s != NULL && strcmp(s, "LAv2") == 0)
		*v = FK_DH_LAV2;
	else
		return false;
	return true;
}

static bool dh_get_version(json_t *o, enum fk_dh_version *v, struct why *w)
{
	const char *s = get_string(o, "version", w);
	if (s == NULL)
		return false;
	if (!dh_version_from_name(s, v)) {
		MALFORMED(w, "version '%s' unknown (LAv1 or LAv2)", s);
		return false;
	}
	return true;
}

/* tr.<key>: {enclave, private_key, public_key}, on a platform of state st. */
static bool dh_party_load(json_t *tr, const char *key, const struct fk_sim_state *st,
			  struct dh_party *pt, struct why *w)
{
	json_t *o = get_object(tr, key, w), *e = NULL;
	if (o == NULL)
		return false;
	if ((e = get_object(o, "enclave", w)) == NULL || !parse_enclave(e, &pt->id, w) ||
	    !get_fixed(o, "private_key", pt->priv, sizeof(pt->priv), w) ||
	    !get_fixed(o, "public_key", pt->pub, sizeof(pt->pub), w)) {
		why_add(w, "(in '%s')", key);
		return false;
	}
	fusekey_status s = fk_sim_platform_new(st, &pt->id, &pt->p);
	if (s != FUSEKEY_OK) {
		why_add(w, "fk_sim_platform_new(%s) failed: %s", key, fusekey_status_name(s));
		pt->p = NULL;
		return false;
	}
	return true;
}

static void dh_transcript_free(struct dh_transcript *t)
{
	fk_platform_destroy(t->r.p);
	fk_platform_destroy(t->i.p);
	fk_wipe(t, offsetof(struct dh_transcript, props)); /* both private keys */
	bytes_free(&t->props);
	bytes_free(&t->msg1);
	bytes_free(&t->msg2);
	bytes_free(&t->msg3);
	t->exp = NULL;
}

/* Everything a transcript case or a negative case needs from transcript tr. */
static bool dh_transcript_load(json_t *tr, struct dh_transcript *t, struct why *w)
{
	memset(t, 0, sizeof(*t));
	const char *cpu = get_string(tr, "platform_cpusvn", w);
	enum fk_sim_cpusvn cpusvn;
	uint64_t prefill;
	if (cpu == NULL || !dh_get_version(tr, &t->version, w))
		return false;
	if (!cpusvn_from_name(cpu, &cpusvn)) {
		MALFORMED(w, "platform_cpusvn '%s' unknown", cpu);
		return false;
	}
	if (!get_bytes(tr, "additional_prop", SIZE_MAX, false, &t->props, w) ||
	    !get_u64(tr, "identity_prefill", UINT8_MAX, &prefill, w) ||
	    (t->exp = get_object(tr, "expected", w)) == NULL)
		return false;
	if (t->props.n > FK_DH_PROPS_MAX) {
		MALFORMED(w, "additional_prop has %zu bytes (fusekey's bound is %d)", t->props.n,
			  FK_DH_PROPS_MAX);
		return false;
	}
	t->prefill = (uint8_t)prefill;
	if (!get_bytes(t->exp, "msg1", FK_DH_MSG1_SIZE, false, &t->msg1, w) ||
	    !get_bytes(t->exp, "msg2", FK_DH_MSG2_SIZE, false, &t->msg2, w) ||
	    !get_bytes(t->exp, "msg3", FK_DH_MSG3_FIXED_SIZE + t->props.n, false, &t->msg3, w))
		return false;
	/* Two enclaves on one machine: two platforms of the same state (fk_sim.h). */
	struct fk_sim_state st;
	fk_sim_state_sdk_compat(&st, cpusvn);
	bool ok = dh_party_load(tr, "responder", &st, &t->r, w) &&
		  dh_party_load(tr, "initiator", &st, &t->i, w);
	fk_sim_state_clear(&st);
	return ok;
}

/* The transcript's props argument ("" = NULL, 0). */
static const uint8_t *dh_props(const struct dh_transcript *t)
{
	return t->props.n ? t->props.p : NULL;
}

/* expected.<key>: {status, status_code, ...}. */
static json_t *dh_get_step(json_t *exp, const char *key, struct dh_want *want, struct why *w)
{
	json_t *o = get_object(exp, key, w);
	if (o == NULL || !get_expected_status(o, &want->code, &want->name, w))
		return NULL;
	return o;
}

/* After a call that failed, the session must be all zero: the ERROR state. */
static void dh_check_wiped(struct why *w, const char *what, const struct fk_dh_session *s)
{
	const uint8_t *b = (const uint8_t *)s;
	size_t nz = 0;
	for (size_t k = 0; k < sizeof(*s); k++)
		if (b[k] != 0)
			nz++;
	if (nz != 0)
		why_add(w, "%s failed but left %zu of %zu session bytes nonzero", what, nz,
			sizeof(*s));
	if (fk_dh_state(s) != FK_DH_STATE_ERROR)
		why_add(w, "%s failed but the session is in state %s, not ERROR", what,
			fk_dh_state_name(fk_dh_state(s)));
}

/* One protocol call: its status as the SDK's, and a wiped session if it failed. */
static bool dh_step(struct why *w, const char *what, const struct fk_dh_session *s,
		    fusekey_status got, const struct dh_want *want)
{
	bool ok = check_status(w, what, got, want->code, want->name);
	if (got != FUSEKEY_OK)
		dh_check_wiped(w, what, s);
	return ok;
}

static void dh_check_state(struct why *w, const char *what, const struct fk_dh_session *s,
			   enum fk_dh_state want)
{
	if (fk_dh_state(s) != want)
		why_add(w, "after %s the session is in state %s, expected %s", what,
			fk_dh_state_name(fk_dh_state(s)), fk_dh_state_name(want));
}

/*
 * R: init, the recorded key, gen_msg1. True when gen_msg1 succeeded (the
 * session can go on); pfx names the phase in messages.
 */
static bool dh_responder_msg1(struct why *w, const char *pfx, const struct dh_transcript *t,
			      struct fk_dh_session *r, struct fk_dh_msg1 *m1,
			      const struct dh_want *want)
{
	char what[96];
	fusekey_status s = fk_dh_init(r, FK_DH_ROLE_RESPONDER);
	if (s == FUSEKEY_OK)
		s = fk_dh_set_kat_private_key(r, t->r.priv);
	if (s != FUSEKEY_OK) {
		why_add(w, "%sresponder init/set_kat_private_key failed: %s", pfx,
			fusekey_status_name(s));
		return false;
	}
	memset(m1, 0xAA, sizeof(*m1));
	s = fk_dh_responder_gen_msg1(r, t->r.p, m1);
	snprintf(what, sizeof(what), "%sfk_dh_responder_gen_msg1", pfx);
	if (!dh_step(w, what, r, s, want) || s != FUSEKEY_OK)
		return false;
	dh_check_state(w, what, r, FK_DH_STATE_RESPONDER_WAIT_M2);
	snprintf(what, sizeof(what), "%smsg1", pfx);
	check_bytes(w, what, (const uint8_t *)m1, sizeof(*m1), t->msg1.p, t->msg1.n,
		    msg1_regions);
	return true;
}

/* I: init, the recorded key, proc_msg1 of m1 in the transcript's version. */
static bool dh_initiator_msg2(struct why *w, const char *pfx, const struct dh_transcript *t,
			      struct fk_dh_session *in, const struct fk_dh_msg1 *m1,
			      struct fk_dh_msg2 *m2, const struct dh_want *want)
{
	char what[96];
	fusekey_status s = fk_dh_init(in, FK_DH_ROLE_INITIATOR);
	if (s == FUSEKEY_OK)
		s = fk_dh_set_kat_private_key(in, t->i.priv);
	if (s != FUSEKEY_OK) {
		why_add(w, "%sinitiator init/set_kat_private_key failed: %s", pfx,
			fusekey_status_name(s));
		return false;
	}
	memset(m2, 0xAA, sizeof(*m2));
	s = fk_dh_initiator_proc_msg1(in, t->i.p, t->version, m1, m2);
	snprintf(what, sizeof(what), "%sfk_dh_initiator_proc_msg1(LAv%d)", pfx, (int)t->version);
	if (!dh_step(w, what, in, s, want) || s != FUSEKEY_OK)
		return false;
	dh_check_state(w, what, in, FK_DH_STATE_INITIATOR_WAIT_M3);
	snprintf(what, sizeof(what), "%smsg2", pfx);
	check_bytes(w, what, (const uint8_t *)m2, sizeof(*m2), t->msg2.p, t->msg2.n,
		    msg2_regions);
	return true;
}

/* Public keys, shared secret, SMK and AEK from the recorded private keys. */
static void dh_check_keys(struct why *w, const struct dh_transcript *t)
{
	struct bytes want_ss = {0};
	uint8_t want_smk[FK_SGX_KEY_SIZE], want_aek[FK_SGX_KEY_SIZE];
	uint8_t pub[FK_DH_PUB_SIZE], ss_r[FK_DH_SHARED_SIZE], ss_i[FK_DH_SHARED_SIZE];
	uint8_t key[FK_SGX_KEY_SIZE];
	fusekey_status s;

	if (!get_bytes(t->exp, "shared_secret", FK_DH_SHARED_SIZE, false, &want_ss, w) ||
	    !get_fixed(t->exp, "smk", want_smk, sizeof(want_smk), w) ||
	    !get_fixed(t->exp, "aek", want_aek, sizeof(want_aek), w))
		goto out;
	if ((s = fk_p256_public(t->r.priv, pub)) != FUSEKEY_OK)
		why_add(w, "fk_p256_public(responder.private_key) failed: %s",
			fusekey_status_name(s));
	else
		check_bytes(w, "responder.public_key", pub, sizeof(pub), t->r.pub,
			    sizeof(t->r.pub), NULL);
	if ((s = fk_p256_public(t->i.priv, pub)) != FUSEKEY_OK)
		why_add(w, "fk_p256_public(initiator.private_key) failed: %s",
			fusekey_status_name(s));
	else
		check_bytes(w, "initiator.public_key", pub, sizeof(pub), t->i.pub,
			    sizeof(t->i.pub), NULL);
	/* Both sides' view of the shared secret. */
	if ((s = fk_p256_ecdh(t->r.priv, t->i.pub, ss_r)) != FUSEKEY_OK) {
		why_add(w, "fk_p256_ecdh(responder) failed: %s", fusekey_status_name(s));
		goto out;
	}
	check_bytes(w, "shared_secret (responder key, initiator public)", ss_r, sizeof(ss_r),
		    want_ss.p, want_ss.n, NULL);
	if ((s = fk_p256_ecdh(t->i.priv, t->r.pub, ss_i)) != FUSEKEY_OK)
		why_add(w, "fk_p256_ecdh(initiator) failed: %s", fusekey_status_name(s));
	else
		check_bytes(w, "shared_secret (initiator key, responder public)", ss_i,
			    sizeof(ss_i), want_ss.p, want_ss.n, NULL);
	if ((s = fk_dh_kdf(ss_r, "SMK", key)) != FUSEKEY_OK)
		why_add(w, "fk_dh_kdf(SMK) failed: %s", fusekey_status_name(s));
	else
		check_bytes(w, "smk", key, sizeof(key), want_smk, sizeof(want_smk), NULL);
	if ((s = fk_dh_kdf(ss_r, "AEK", key)) != FUSEKEY_OK)
		why_add(w, "fk_dh_kdf(AEK) failed: %s", fusekey_status_name(s));
	else
		check_bytes(w, "aek", key, sizeof(key), want_aek, sizeof(want_aek), NULL);
out:
	FK_WIPE(ss_r);
	FK_WIPE(ss_i);
	FK_WIPE(key);
	FK_WIPE(want_smk);
	FK_WIPE(want_aek);
	bytes_free(&want_ss);
}

/*
 * The identity buffer as the SDK call leaves it: prefilled with the
 * transcript's byte, then fk_dh_sdk_identity on the side's session.
 */
static void dh_check_identity(struct why *w, const char *what, const struct fk_dh_session *s,
			      uint8_t prefill, json_t *step, const char *key)
{
	struct fk_dh_sdk_identity id;
	struct bytes want = {0};
	if (!get_bytes(step, key, FK_DH_IDENTITY_SIZE, false, &want, w))
		return;
	memset(&id, prefill, sizeof(id));
	fusekey_status st = fk_dh_sdk_identity(s, &id);
	if (st != FUSEKEY_OK)
		why_add(w, "fk_dh_sdk_identity (%s) failed: %s", what, fusekey_status_name(st));
	else
		check_bytes(w, what, (const uint8_t *)&id, sizeof(id), want.p, want.n,
			    identity_regions);
	bytes_free(&want);
}

/*
 * The application's step: accept the peer pinned by MRENCLAVE, MRSIGNER and
 * ISVPRODID at its own ISVSVN (DEBUG allowed: most transcripts are debug
 * enclaves), then export the AEK, which must be the transcript's.
 */
static void dh_accept_peer(struct why *w, const char *side, struct fk_dh_session *s,
			   const struct fk_sgx_identity *peer, json_t *exp, json_t *step)
{
	struct fk_dh_expect e;
	uint8_t aek[FK_SGX_KEY_SIZE], want[FK_SGX_KEY_SIZE], want_step[FK_SGX_KEY_SIZE];
	size_t matched = SIZE_MAX;
	enum fk_dh_mismatch why = FK_DH_MISMATCH_NONE;

	memset(&e, 0, sizeof(e));
	e.fields = FK_DH_EXPECT_MRENCLAVE | FK_DH_EXPECT_MRSIGNER | FK_DH_EXPECT_ISVPRODID;
	memcpy(e.mr_enclave, peer->mr_enclave, sizeof(e.mr_enclave));
	memcpy(e.mr_signer, peer->mr_signer, sizeof(e.mr_signer));
	e.isv_prod_id = peer->isv_prod_id;
	e.min_isv_svn = peer->isv_svn;
	e.allow_debug = true;
	fusekey_status st = fk_dh_check_peer(s, &e, 1, &matched, &why);
	if (st != FUSEKEY_OK) {
		why_add(w, "%s: fk_dh_check_peer refused the transcript's peer: %s (%s)", side,
			fusekey_status_name(st), fk_dh_mismatch_name(why));
		return;
	}
	if (matched != 0 || why != FK_DH_MISMATCH_NONE)
		why_add(w, "%s: fk_dh_check_peer passed with matched=%zu why=%s", side, matched,
			fk_dh_mismatch_name(why));
	char what[96];
	snprintf(what, sizeof(what), "%s fk_dh_check_peer", side);
	dh_check_state(w, what, s, FK_DH_STATE_PEER_CHECKED);
	if (!get_fixed(exp, "aek", want, sizeof(want), w) ||
	    !get_fixed(step, "aek", want_step, sizeof(want_step), w))
		goto out;
	st = fk_dh_export_aek(s, aek);
	if (st != FUSEKEY_OK) {
		why_add(w, "%s: fk_dh_export_aek failed: %s", side, fusekey_status_name(st));
		goto out;
	}
	snprintf(what, sizeof(what), "%s's AEK vs expected.aek", side);
	check_bytes(w, what, aek, sizeof(aek), want, sizeof(want), NULL);
	snprintf(what, sizeof(what), "%s's AEK vs its step's aek", side);
	check_bytes(w, what, aek, sizeof(aek), want_step, sizeof(want_step), NULL);
out:
	FK_WIPE(aek);
	FK_WIPE(want);
	FK_WIPE(want_step);
}

static void dh_transcript_case(const struct ctx *c, json_t *root, json_t *cs, const char *id)
{
	struct why w = {.n = 0};
	struct dh_transcript t;
	struct fk_dh_session r, in;
	struct fk_dh_msg1 m1;
	struct fk_dh_msg2 m2;
	struct dh_want want_gen1, want_proc1, want_proc2, want_proc3;
	json_t *step2 = NULL, *step3 = NULL;
	uint8_t *m3 = NULL;
	size_t m3_len = 0;
	fusekey_status s;
	(void)root;

	memset(&r, 0, sizeof(r));
	memset(&in, 0, sizeof(in));
	if (!dh_transcript_load(cs, &t, &w) ||
	    dh_get_step(t.exp, "responder_gen_msg1", &want_gen1, &w) == NULL ||
	    dh_get_step(t.exp, "initiator_proc_msg1", &want_proc1, &w) == NULL ||
	    (step2 = dh_get_step(t.exp, "responder_proc_msg2", &want_proc2, &w)) == NULL ||
	    (step3 = dh_get_step(t.exp, "initiator_proc_msg3", &want_proc3, &w)) == NULL)
		goto out;
	dh_check_keys(&w, &t);

	/* 1. R: msg1. 2. I: msg2, in the transcript's version. */
	if (!dh_responder_msg1(&w, "", &t, &r, &m1, &want_gen1) ||
	    !dh_initiator_msg2(&w, "", &t, &in, &m1, &m2, &want_proc1))
		goto out;

	/* 3. R: msg3 (452 + n bytes, the transcript's additional_prop). */
	size_t m3_cap = FK_DH_MSG3_FIXED_SIZE + t.props.n;
	m3 = xmalloc_fill(m3_cap, 0xAA);
	if (m3 == NULL) {
		why_add(&w, "out of memory");
		goto out;
	}
	s = fk_dh_responder_proc_msg2(&r, t.r.p, &m2, dh_props(&t), t.props.n, m3, m3_cap,
				      &m3_len);
	if (!dh_step(&w, "fk_dh_responder_proc_msg2", &r, s, &want_proc2) || s != FUSEKEY_OK)
		goto out;
	dh_check_state(&w, "fk_dh_responder_proc_msg2", &r, FK_DH_STATE_ACTIVE);
	check_bytes(&w, "msg3", m3, m3_len, t.msg3.p, t.msg3.n, msg3_regions);
	dh_check_identity(&w, "initiator_identity (responder's view)", &r, t.prefill, step2,
			  "initiator_identity");

	/* 4. I: msg3, with the version chosen in proc_msg1. */
	s = fk_dh_initiator_proc_msg3(&in, t.i.p, m3, m3_len);
	if (!dh_step(&w, "fk_dh_initiator_proc_msg3", &in, s, &want_proc3) || s != FUSEKEY_OK)
		goto out;
	dh_check_state(&w, "fk_dh_initiator_proc_msg3", &in, FK_DH_STATE_ACTIVE);
	dh_check_identity(&w, "responder_identity (initiator's view)", &in, t.prefill, step3,
			  "responder_identity");

	/* 5. Each side accepts the other, and both hold the transcript's AEK. */
	dh_accept_peer(&w, "responder", &r, &t.i.id, t.exp, step2);
	dh_accept_peer(&w, "initiator", &in, &t.r.id, t.exp, step3);
out:
	fk_dh_wipe(&r);
	fk_dh_wipe(&in);
	free(m3);
	dh_transcript_free(&t);
	report_case(c, id, &w);
}

/* The transcript with this id, or NULL. */
static json_t *dh_find(json_t *root, const char *tid)
{
	size_t i;
	json_t *tr;
	json_array_foreach(json_object_get(root, "transcripts"), i, tr) {
		const char *s = json_string_value(json_object_get(tr, "id"));
		if (s != NULL && strcmp(s, tid) == 0)
			return tr;
	}
	return NULL;
}

/*
 * tamper {message, offset, xor}: the input must be the transcript's message
 * with that one byte changed (README §6), so the case tests what it says.
 */
static void dh_check_tamper(struct why *w, json_t *cs, const struct dh_transcript *t,
			    const struct bytes *input)
{
	json_t *tp = json_object_get(cs, "tamper");
	if (tp == NULL) {
		MALFORMED(w, "field 'tamper' missing");
		return;
	}
	if (json_is_null(tp))
		return; /* built otherwise (see the case's comment) */
	if (!json_is_object(tp)) {
		MALFORMED(w, "field 'tamper' is neither null nor an object");
		return;
	}
	const char *msg = get_string(tp, "message", w);
	uint32_t off;
	uint64_t x;
	if (msg == NULL || !get_u32(tp, "offset", &off, w) || !get_u64(tp, "xor", UINT8_MAX, &x, w))
		return;
	const struct bytes *orig = strcmp(msg, "msg1") == 0	 ? &t->msg1
				   : strcmp(msg, "msg2") == 0 ? &t->msg2
				   : strcmp(msg, "msg3") == 0 ? &t->msg3
							      : NULL;
	if (orig == NULL || off >= orig->n || x == 0) {
		MALFORMED(w, "tamper {%s, %u, 0x%02x} names no byte of a message", msg, off,
			  (unsigned)x);
		return;
	}
	uint8_t *tampered = xmalloc_fill(orig->n, 0);
	if (tampered == NULL) {
		why_add(w, "out of memory");
		return;
	}
	memcpy(tampered, orig->p, orig->n);
	tampered[off] ^= (uint8_t)x;
	if (input->n != orig->n || memcmp(input->p, tampered, orig->n) != 0)
		MALFORMED(w, "input_message is not the transcript's %s with byte %u ^ 0x%02x", msg,
			  off, (unsigned)x);
	free(tampered);
}

enum dh_side { DH_SIDE_RESPONDER, DH_SIDE_INITIATOR, DH_SIDE_INITIATOR_MSG1 };

/* side + api: which call, in which version. */
static bool dh_parse_side(const char *side, const char *api, enum dh_side *sd,
			  enum fk_dh_version *v, struct why *w)
{
	*v = FK_DH_LAV1;
	if (strcmp(side, "responder") == 0 && strcmp(api, "sgx_dh_responder_proc_msg2") == 0) {
		*sd = DH_SIDE_RESPONDER;
		return true;
	}
	const char *fn = strcmp(side, "initiator") == 0	      ? "initiator_proc_msg3"
			 : strcmp(side, "initiator_msg1") == 0 ? "initiator_proc_msg1"
							       : NULL;
	*sd = strcmp(side, "initiator") == 0 ? DH_SIDE_INITIATOR : DH_SIDE_INITIATOR_MSG1;
	if (fn != NULL && strncmp(api, "sgx_LAv", 7) == 0 && (api[7] == '1' || api[7] == '2') &&
	    api[8] == '_' && strcmp(api + 9, fn) == 0) {
		*v = api[7] == '1' ? FK_DH_LAV1 : FK_DH_LAV2;
		return true;
	}
	MALFORMED(w, "side '%s' with api '%s' unknown", side, api);
	return false;
}

static void dh_negative_case(const struct ctx *c, json_t *root, json_t *cs, const char *id)
{
	struct why w = {.n = 0};
	struct dh_transcript t;
	struct fk_dh_session r, in;
	struct fk_dh_msg1 m1;
	struct fk_dh_msg2 m2;
	struct bytes input = {0};
	struct dh_want want;
	enum dh_side side;
	enum fk_dh_version api_version, version;
	uint8_t *m3 = NULL;
	size_t m3_cap = 0, m3_len = 0;
	fusekey_status s;
	json_t *tr, *exp;

	memset(&t, 0, sizeof(t));
	memset(&r, 0, sizeof(r));
	memset(&in, 0, sizeof(in));
	const char *tid = get_string(cs, "transcript", &w);
	const char *side_name = get_string(cs, "side", &w);
	const char *api = get_string(cs, "api", &w);
	if (w.bad || !dh_parse_side(side_name, api, &side, &api_version, &w) ||
	    !dh_get_version(cs, &version, &w) ||
	    !get_bytes(cs, "input_message", SIZE_MAX, false, &input, &w) ||
	    (exp = get_object(cs, "expected", &w)) == NULL ||
	    !get_expected_status(exp, &want.code, &want.name, &w))
		goto out;
	if ((tr = dh_find(root, tid)) == NULL) {
		MALFORMED(&w, "transcript '%s' not found", tid);
		goto out;
	}
	if (!dh_transcript_load(tr, &t, &w)) {
		why_add(&w, "(loading transcript '%s')", tid);
		goto out;
	}
	if (version != t.version) {
		MALFORMED(&w, "version LAv%d, transcript '%s' is LAv%d", (int)version, tid,
			  (int)t.version);
		goto out;
	}
	dh_check_tamper(&w, cs, &t, &input);
	if (w.bad)
		goto out;

	switch (side) {
	case DH_SIDE_RESPONDER:
		/* R after its gen_msg1; input_message as msg2. */
		if (input.n != FK_DH_MSG2_SIZE) {
			MALFORMED(&w, "input_message has %zu bytes, msg2 has %d", input.n,
				  FK_DH_MSG2_SIZE);
			goto out;
		}
		if (!dh_responder_msg1(&w, "rebuild: ", &t, &r, &m1, &dh_success))
			goto out;
		memcpy(&m2, input.p, sizeof(m2));
		m3_cap = FK_DH_MSG3_FIXED_SIZE + t.props.n;
		if ((m3 = xmalloc_fill(m3_cap, 0xAA)) == NULL) {
			why_add(&w, "out of memory");
			goto out;
		}
		s = fk_dh_responder_proc_msg2(&r, t.r.p, &m2, dh_props(&t), t.props.n, m3, m3_cap,
					      &m3_len);
		dh_step(&w, "fk_dh_responder_proc_msg2", &r, s, &want);
		break;
	case DH_SIDE_INITIATOR:
		/* I after its proc_msg1 of R's msg1 (regenerated); input_message as msg3. */
		if (!dh_responder_msg1(&w, "rebuild: ", &t, &r, &m1, &dh_success) ||
		    !dh_initiator_msg2(&w, "rebuild: ", &t, &in, &m1, &m2, &dh_success))
			goto out;
		s = fk_dh_initiator_proc_msg3_as(&in, t.i.p, api_version, input.p, input.n);
		dh_step(&w,
			api_version == FK_DH_LAV1 ? "fk_dh_initiator_proc_msg3_as(LAv1)"
						  : "fk_dh_initiator_proc_msg3_as(LAv2)",
			&in, s, &want);
		break;
	case DH_SIDE_INITIATOR_MSG1:
		/* A fresh I with the transcript's key; input_message as msg1. */
		if (input.n != FK_DH_MSG1_SIZE) {
			MALFORMED(&w, "input_message has %zu bytes, msg1 has %d", input.n,
				  FK_DH_MSG1_SIZE);
			goto out;
		}
		s = fk_dh_init(&in, FK_DH_ROLE_INITIATOR);
		if (s == FUSEKEY_OK)
			s = fk_dh_set_kat_private_key(&in, t.i.priv);
		if (s != FUSEKEY_OK) {
			why_add(&w, "initiator init/set_kat_private_key failed: %s",
				fusekey_status_name(s));
			goto out;
		}
		memcpy(&m1, input.p, sizeof(m1));
		s = fk_dh_initiator_proc_msg1(&in, t.i.p, api_version, &m1, &m2);
		dh_step(&w,
			api_version == FK_DH_LAV1 ? "fk_dh_initiator_proc_msg1(LAv1)"
						  : "fk_dh_initiator_proc_msg1(LAv2)",
			&in, s, &want);
		break;
	}
out:
	fk_dh_wipe(&r);
	fk_dh_wipe(&in);
	free(m3);
	bytes_free(&input);
	dh_transcript_free(&t);
	report_case(c, id, &w);
}

static void run_dh(const struct ctx *c, json_t *root)
{
	static const struct {
		const char *array;
		void (*fn)(const struct ctx *, json_t *, json_t *, const char *);
	} parts[] = {
		{"transcripts", dh_transcript_case},
		{"negative_cases", dh_negative_case},
	};
	for (size_t k = 0; k < sizeof(parts) / sizeof(parts[0]); k++) {
		json_t *arr = json_object_get(root, parts[k].array);
		if (arr != NULL && !json_is_array(arr)) {
			fk_vec_result(c->t, c->file, parts[k].array, 0,
				      "malformed file: '%s' is not an array", parts[k].array);
			continue;
		}
		size_t i;
		json_t *cs;
		json_array_foreach(arr, i, cs) {
			char buf[64];
			const char *id = case_id(cs, parts[k].array, i, buf, sizeof(buf));
			if (!json_is_object(cs)) {
				fk_vec_result(c->t, c->file, id, 0, "malformed case: not an object");
				continue;
			}
			parts[k].fn(c, root, cs, id);
		}
	}
}

/* ====================================================================== */
/* platform.json: fusekey's sdk-compat constants                          */
/* ====================================================================== */

static void skip_line(const struct ctx *c, const char *id, const char *why)
{
	c->t->skipped++;
	printf("SKIP %s %s: %s\n", c->file, id, why);
}

/* One hex constant {value: ...} compared with ours. */
static void const_bytes(const struct ctx *c, const char *id, json_t *obj, const uint8_t *ours,
			size_t n)
{
	struct why w = {.n = 0};
	struct bytes b = {0};
	if (get_bytes(obj, "value", SIZE_MAX, false, &b, &w))
		check_bytes(&w, "fusekey constant", ours, n, b.p, b.n, NULL);
	bytes_free(&b);
	report_case(c, id, &w);
}

static void platform_base_keys(const struct ctx *c, json_t *bk, const struct fk_sim_state *st)
{
	const char *name;
	json_t *v;
	json_object_foreach(bk, name, v) {
		char id[96];
		snprintf(id, sizeof(id), "base_keys.%s", name);
		struct why w = {.n = 0};
		uint16_t kn;
		if (!json_is_object(v) || !get_u16(v, "key_name", &kn, &w) || kn > 4) {
			if (!w.bad)
				MALFORMED(&w, "key_name missing or beyond 4");
			report_case(c, id, &w);
			continue;
		}
		const_bytes(c, id, v, st->root_keys[kn], sizeof(st->root_keys[kn]));
	}
}

static void platform_cpusvn(const struct ctx *c, json_t *cpusvn)
{
	const char *name;
	json_t *v;
	json_object_foreach(cpusvn, name, v) {
		if (strcmp(name, "rule") == 0 || strcmp(name, "description") == 0)
			continue; /* informative text: the rule is exercised by egetkey.json */
		char id[96];
		snprintf(id, sizeof(id), "cpusvn.%s", name);
		struct why w = {.n = 0};
		enum fk_sim_cpusvn cs;
		struct bytes b = {0};
		if (!cpusvn_from_name(name, &cs)) {
			why_add(&w, "fusekey has no CPUSVN named '%s'", name);
		} else if (get_bytes(v, "value", FK_SGX_CPUSVN_SIZE, false, &b, &w)) {
			check_bytes(&w, "fk_sim_cpusvn_values", fk_sim_cpusvn_values[cs],
				    FK_SGX_CPUSVN_SIZE, b.p, b.n, NULL);
			/* And what a platform in that state reports as its CPUSVN. */
			struct fk_sim_state st;
			struct fk_sgx_identity ident;
			struct fk_platform *p = NULL;
			memset(&ident, 0, sizeof(ident));
			ident.flags = FK_SGX_FLAGS_INITTED | FK_SGX_FLAGS_DEBUG |
				      FK_SGX_FLAGS_MODE64BIT;
			ident.xfrm = FK_SGX_XFRM_LEGACY;
			fk_sim_state_sdk_compat(&st, cs);
			fusekey_status s = fk_sim_platform_new(&st, &ident, &p);
			fk_sim_state_clear(&st);
			uint8_t got[FK_SGX_CPUSVN_SIZE];
			if (s == FUSEKEY_OK)
				s = fk_platform_cpu_svn(p, got);
			if (s != FUSEKEY_OK)
				why_add(&w, "platform cpu_svn failed: %s", fusekey_status_name(s));
			else
				check_bytes(&w, "platform cpu_svn", got, sizeof(got), b.p, b.n,
					    NULL);
			fk_platform_destroy(p);
		}
		bytes_free(&b);
		report_case(c, id, &w);
	}
}

static void platform_tseal(const struct ctx *c, json_t *ts)
{
	struct fk_seal_policy def;
	fk_seal_policy_default(&def);
	const char *name;
	json_t *v;
	json_object_foreach(ts, name, v) {
		if (strcmp(name, "description") == 0)
			continue;
		char id[96];
		snprintf(id, sizeof(id), "tseal_defaults.%s", name);
		struct why w = {.n = 0};
		uint64_t want, ours, ours_default;
		bool has_default = true;
		if (strcmp(name, "TSEAL_DEFAULT_FLAGSMASK") == 0) {
			ours = FK_SGX_TSEAL_DEFAULT_FLAGSMASK;
			ours_default = def.attr_mask_flags;
		} else if (strcmp(name, "TSEAL_DEFAULT_XFRMMASK") == 0) {
			ours = FK_SGX_TSEAL_DEFAULT_XFRMMASK;
			ours_default = def.attr_mask_xfrm;
		} else if (strcmp(name, "TSEAL_DEFAULT_MISCMASK") == 0) {
			ours = FK_SGX_TSEAL_DEFAULT_MISCMASK;
			ours_default = def.misc_mask;
		} else if (strcmp(name, "FLAGS_NON_SECURITY_BITS") == 0) {
			/* The flags mask is exactly the complement of the non-security bits. */
			ours = ~FK_SGX_TSEAL_DEFAULT_FLAGSMASK;
			ours_default = ours;
			has_default = false;
		} else {
			skip_line(c, id, "constant unknown to this runner");
			continue;
		}
		if (get_u64(ts, name, UINT64_MAX, &want, &w)) {
			if (ours != want)
				why_add(&w, "fusekey constant 0x%016llx, file 0x%016llx",
					(unsigned long long)ours, (unsigned long long)want);
			if (has_default && ours_default != want)
				why_add(&w, "fk_seal_policy_default gives 0x%016llx, file 0x%016llx",
					(unsigned long long)ours_default,
					(unsigned long long)want);
		}
		report_case(c, id, &w);
	}
	/* sgx_seal_data's policy (README §5): MRSIGNER. */
	struct why w = {.n = 0};
	if (def.key_policy != FK_SGX_KEYPOLICY_MRSIGNER)
		why_add(&w, "fk_seal_policy_default key_policy 0x%04x, SDK uses MRSIGNER 0x0002",
			def.key_policy);
	report_case(c, "tseal_defaults.key_policy", &w);
}

/*
 * derivation.structures.<name>: build the derivation data from the file's
 * layout for a synthetic KSS enclave whose every field is distinct and nonzero,
 * CMAC it under the file's base key, and compare with fusekey's EGETKEY. This
 * checks each structure's size (280 for SEAL, 192 for REPORT, ...) and every
 * field offset; with policy 0x3B every field enters the key.
 */
struct dd_value {
	const char *field;
	uint8_t v[64];
	size_t n;
};

static void dd_set(struct dd_value *tab, size_t *n, const char *field, const void *v, size_t len)
{
	tab[*n].field = field;
	memcpy(tab[*n].v, v, len);
	tab[*n].n = len;
	(*n)++;
}

static void platform_derivation(const struct ctx *c, json_t *root, json_t *structures)
{
	static const uint16_t policy = FK_SGX_KEYPOLICY_MRENCLAVE | FK_SGX_KEYPOLICY_MRSIGNER |
				       FK_SGX_KEYPOLICY_CONFIGID | FK_SGX_KEYPOLICY_ISVFAMILYID |
				       FK_SGX_KEYPOLICY_ISVEXTPRODID; /* 0x3B */
	struct fk_sgx_identity id;
	memset(&id, 0, sizeof(id));
	id.flags = FK_SGX_FLAGS_INITTED | FK_SGX_FLAGS_DEBUG | FK_SGX_FLAGS_MODE64BIT |
		   FK_SGX_FLAGS_PROVISION_KEY | FK_SGX_FLAGS_EINITTOKEN_KEY | FK_SGX_FLAGS_KSS;
	id.xfrm = 0x7;
	id.misc_select = 0x5;
	for (size_t i = 0; i < 32; i++) {
		id.mr_enclave[i] = (uint8_t)(0x10 + i);
		id.mr_signer[i] = (uint8_t)(0x40 + i);
	}
	for (size_t i = 0; i < 64; i++)
		id.config_id[i] = (uint8_t)(0x80 + i);
	for (size_t i = 0; i < 16; i++) {
		id.isv_family_id[i] = (uint8_t)(0xC0 + i);
		id.isv_ext_prod_id[i] = (uint8_t)(0xD0 + i);
	}
	id.isv_prod_id = 0x0102;
	id.isv_svn = 0x0304;
	id.config_svn = 0x0506;
	const uint64_t mask_flags = 0xF3, mask_xfrm = 0x5;
	const uint32_t misc_mask = 0xF0000001u;

	json_t *cpusvn = json_object_get(json_object_get(root, "cpusvn"), "DEFAULT");
	json_t *epoch = json_object_get(root, "owner_epoch");
	json_t *base_keys = json_object_get(root, "base_keys");

	const char *sname;
	json_t *sv;
	json_object_foreach(structures, sname, sv) {
		char cid[128];
		snprintf(cid, sizeof(cid), "derivation.structures.%s", sname);
		struct why w = {.n = 0};
		struct fk_platform *p = NULL;
		uint8_t *dd = NULL;
		uint8_t cpu[16], oe[16], base[16];
		uint16_t kn = 0;
		uint32_t size = 0;
		json_t *bk;
		const char *kname = get_string(sv, "key_name", &w);
		if (kname == NULL || !get_u32(sv, "size", &size, &w))
			goto done;
		if ((bk = json_object_get(base_keys, kname)) == NULL) {
			MALFORMED(&w, "no base_keys.%s", kname);
			goto done;
		}
		if (!get_u16(bk, "key_name", &kn, &w) || !get_fixed(bk, "value", base, 16, &w) ||
		    !get_fixed(cpusvn, "value", cpu, 16, &w) ||
		    !get_fixed(epoch, "value", oe, 16, &w))
			goto done;
		if (size == 0 || size > 4096) {
			MALFORMED(&w, "size %u", size);
			goto done;
		}

		/* The request (README §1.3 offsets, written here, not by fusekey's encoder). */
		bool report = kn == FK_SGX_KEYNAME_REPORT;
		uint8_t key_id[FK_SGX_KEYID_SIZE];
		for (size_t i = 0; i < sizeof(key_id); i++)
			key_id[i] = (uint8_t)(0xE0 + i);
		struct fk_sgx_key_request req;
		uint8_t *rq = (uint8_t *)&req;
		memset(&req, 0, sizeof(req));
		fk_put_le16(rq + 0, kn);
		memcpy(rq + 40, key_id, sizeof(key_id));
		if (!report) { /* REPORT: only key_name and key_id (as sgx_verify_report) */
			fk_put_le16(rq + 2, policy);
			fk_put_le16(rq + 4, id.isv_svn);
			memcpy(rq + 8, cpu, 16);
			fk_put_le64(rq + 24, mask_flags);
			fk_put_le64(rq + 32, mask_xfrm);
			fk_put_le32(rq + 72, misc_mask);
			fk_put_le16(rq + 76, id.config_svn);
		}

		struct dd_value tab[24];
		size_t nt = 0;
		uint8_t tmp[16];
		fk_put_le16(tmp, kn);
		dd_set(tab, &nt, "key_name", tmp, 2);
		fk_put_le16(tmp, policy);
		dd_set(tab, &nt, "key_policy", tmp, 2);
		fk_put_le64(tmp, (mask_flags | 0x3) & id.flags);
		fk_put_le64(tmp + 8, mask_xfrm & id.xfrm);
		dd_set(tab, &nt, "tmp_attr", tmp, 16);
		fk_put_le64(tmp, mask_flags);
		fk_put_le64(tmp + 8, mask_xfrm);
		dd_set(tab, &nt, "attribute_mask", tmp, 16);
		fk_put_le32(tmp, misc_mask & id.misc_select);
		dd_set(tab, &nt, "tmp_misc", tmp, 4);
		fk_put_le32(tmp, ~misc_mask);
		dd_set(tab, &nt, "misc_mask", tmp, 4);
		dd_set(tab, &nt, "csr_owner_epoch", oe, 16);
		dd_set(tab, &nt, "cpu_svn", cpu, 16); /* request = platform = DEFAULT */
		fk_put_le16(tmp, id.isv_svn);
		dd_set(tab, &nt, "isv_svn", tmp, 2);
		fk_put_le16(tmp, id.isv_prod_id);
		dd_set(tab, &nt, "isv_prod_id", tmp, 2);
		fk_put_le16(tmp, id.config_svn); /* request = SECS */
		dd_set(tab, &nt, "config_svn", tmp, 2);
		dd_set(tab, &nt, "config_id", id.config_id, 64);
		dd_set(tab, &nt, "isv_family_id", id.isv_family_id, 16);
		dd_set(tab, &nt, "isv_ext_prod_id", id.isv_ext_prod_id, 16);
		dd_set(tab, &nt, "mrenclave", id.mr_enclave, 32);
		dd_set(tab, &nt, "mrsigner", id.mr_signer, 32);
		dd_set(tab, &nt, "key_id", key_id, 32);
		fk_put_le64(tmp, id.flags);
		fk_put_le64(tmp + 8, id.xfrm);
		dd_set(tab, &nt, "attributes", tmp, 16);
		fk_put_le32(tmp, id.misc_select);
		dd_set(tab, &nt, "misc_select", tmp, 4);

		dd = calloc(size, 1);
		if (dd == NULL) {
			why_add(&w, "out of memory");
			goto done;
		}
		json_t *fields = json_object_get(sv, "fields");
		size_t i;
		json_t *f;
		if (!json_is_array(fields)) {
			MALFORMED(&w, "fields missing");
			goto done;
		}
		json_array_foreach(fields, i, f) {
			const char *fname = get_string(f, "field", &w);
			uint32_t off, fsz;
			if (fname == NULL || !get_u32(f, "offset", &off, &w) ||
			    !get_u32(f, "size", &fsz, &w))
				goto done;
			if ((uint64_t)off + fsz > size) {
				MALFORMED(&w, "field %s beyond the structure", fname);
				goto done;
			}
			size_t k = 0;
			while (k < nt && strcmp(tab[k].field, fname) != 0)
				k++;
			if (k == nt) {
				why_add(&w, "field '%s' unknown to this runner", fname);
				goto done;
			}
			if (tab[k].n != fsz) {
				why_add(&w, "field '%s' is %u bytes in the file, %zu in SGX", fname,
					fsz, tab[k].n);
				goto done;
			}
			memcpy(dd + off, tab[k].v, fsz);
		}
		uint8_t want[16], got[16];
		fusekey_status s = fk_cmac128(base, dd, size, want);
		if (s != FUSEKEY_OK) {
			why_add(&w, "fk_cmac128 failed: %s", fusekey_status_name(s));
			goto done;
		}
		struct fk_sim_state st;
		fk_sim_state_sdk_compat(&st, FK_SIM_CPUSVN_DEFAULT);
		s = fk_sim_platform_new(&st, &id, &p);
		fk_sim_state_clear(&st);
		if (s == FUSEKEY_OK)
			s = fk_platform_get_key(p, &req, got);
		if (s != FUSEKEY_OK)
			why_add(&w, "get_key(%s) failed: %s", kname, fusekey_status_name(s));
		else if (!fk_ct_equal(got, want, 16))
			why_add(&w,
				"fusekey's %s key differs from CMAC(base_keys.%s, %u-byte %s as laid "
				"out in the file)",
				kname, kname, size, sname);
	done:
		free(dd);
		fk_platform_destroy(p);
		report_case(c, cid, &w);
	}
}

static void run_platform(const struct ctx *c, json_t *root)
{
	struct fk_sim_state st;
	fk_sim_state_sdk_compat(&st, FK_SIM_CPUSVN_DEFAULT);
	const char *key;
	json_t *v;
	json_object_foreach(root, key, v) {
		if (strcmp(key, "description") == 0 || strcmp(key, "provenance") == 0)
			continue;
		if (strcmp(key, "base_keys") == 0 && json_is_object(v)) {
			platform_base_keys(c, v, &st);
		} else if (strcmp(key, "owner_epoch") == 0 && json_is_object(v)) {
			const_bytes(c, "owner_epoch", v, st.owner_epoch, sizeof(st.owner_epoch));
		} else if (strcmp(key, "cpusvn") == 0 && json_is_object(v)) {
			platform_cpusvn(c, v);
		} else if (strcmp(key, "report_key_id") == 0 && json_is_object(v)) {
			const_bytes(c, "report_key_id", v, st.report_key_id,
				    sizeof(st.report_key_id));
		} else if (strcmp(key, "tseal_defaults") == 0 && json_is_object(v)) {
			platform_tseal(c, v);
		} else if (strcmp(key, "derivation") == 0 && json_is_object(v)) {
			json_t *s = json_object_get(v, "structures");
			if (json_is_object(s))
				platform_derivation(c, root, s);
			else
				skip_line(c, "derivation", "no structures to check");
		} else if (strcmp(key, "lav2_proto_spec") == 0) {
			const_bytes(c, key, v, (const uint8_t *)&fk_dh_lav2_proto_spec,
				    sizeof(fk_dh_lav2_proto_spec));
		} else {
			skip_line(c, key, "constant unknown to this runner");
		}
	}
	fk_sim_state_clear(&st);
}

/* ====================================================================== */
/* dispatch                                                               */
/* ====================================================================== */

typedef void (*case_fn)(const struct ctx *c, json_t *cs, const char *id);

static void run_cases(const struct ctx *c, json_t *arr, const char *array, case_fn fn)
{
	size_t i;
	json_t *cs;
	json_array_foreach(arr, i, cs) {
		char buf[64];
		const char *id = case_id(cs, array, i, buf, sizeof(buf));
		if (!json_is_object(cs)) {
			fk_vec_result(c->t, c->file, id, 0, "malformed case: not an object");
			continue;
		}
		fn(c, cs, id);
	}
}

int fk_vec_sgxsdk(json_t *root, const char *file, struct fk_vec_tally *t)
{
	if (!json_is_object(root))
		return -1;
	struct ctx c = {file, t};
	bool known = false;

	json_t *cases = json_object_get(root, "cases");
	json_t *first = json_array_get(cases, 0);
	if (json_is_object(first) && json_object_get(first, "key_request") != NULL) {
		run_cases(&c, cases, "cases", egetkey_case);
		known = true;
	} else if (json_is_object(first) && json_object_get(first, "shared_secret") != NULL) {
		run_cases(&c, cases, "cases", derive_key_case);
		known = true;
	}

	static const struct {
		const char *array;
		case_fn fn;
	} arrays[] = {
		{"report_cases", report_case_run},
		{"verify_cases", verify_case_run},
		{"seal_cases", seal_case_run},
		{"unseal_cases", unseal_case_run},
	};
	for (size_t k = 0; k < sizeof(arrays) / sizeof(arrays[0]); k++) {
		json_t *arr = json_object_get(root, arrays[k].array);
		if (json_is_array(arr)) {
			run_cases(&c, arr, arrays[k].array, arrays[k].fn);
			known = true;
		}
	}

	if (json_is_array(json_object_get(root, "transcripts")) ||
	    json_is_array(json_object_get(root, "negative_cases"))) {
		run_dh(&c, root);
		known = true;
	}

	if (json_is_object(json_object_get(root, "base_keys")) &&
	    json_is_object(json_object_get(root, "owner_epoch")) &&
	    json_is_object(json_object_get(root, "cpusvn"))) {
		run_platform(&c, root);
		known = true;
	}
	return known ? 0 : -1;
}
