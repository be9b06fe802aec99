/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Wycheproof vectors (testvectors_v1 layout) against fk_crypto: AES-GCM,
 * AES-CMAC and ECDH on secp256r1 with SEC1 point encodings.
 *
 * Only what fusekey's API can express is run, the rest is counted as
 * skipped (one "SKIP" line per skipped group or case):
 *   - AES-GCM groups with keySize 128, ivSize 96, tagSize 128 (SGX sealing);
 *   - AES-CMAC groups with keySize 128, tagSize 128 (SGX KDFs, report MACs);
 *   - EcdhEcpointTest groups on secp256r1. SGX keys are raw LE(X) || LE(Y),
 *     so only the SEC1 uncompressed form 04 || X || Y maps onto them.
 *
 * Verdicts, for every case that is run:
 *   valid      -> success and exactly the expected output;
 *   invalid    -> refused, with the output buffer zeroed. A case whose
 *                 inputs cannot even be written in fusekey's fixed-size SGX
 *                 formats (a compressed or malformed point, a wrong key or
 *                 tag length) is refused at that boundary: it passes, since
 *                 an invalid input must never be accepted and here it cannot
 *                 be. Such a valid case is skipped instead.
 *   acceptable -> policy: either outcome passes, but an accepted case must
 *                 give exactly the expected output (Wycheproof's expected
 *                 values are the right answer when an implementation does
 *                 accept). Inexpressible acceptable cases are skipped, like
 *                 valid ones.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/fk_crypto.h"
#include "vec.h"

/* Same declaration as vec.h, plus printf format checking. */
__attribute__((format(printf, 5, 6))) void fk_vec_result(struct fk_vec_tally *t, const char *file,
							 const char *id, int ok,
							 const char *why_fmt, ...);

enum expect { EXPECT_VALID, EXPECT_INVALID, EXPECT_ACCEPTABLE };

/* One case's decoded hex fields, freed together. */
enum { MAX_FIELDS = 6 };
struct fields {
	uint8_t *p[MAX_FIELDS];
	size_t n[MAX_FIELDS];
};

static void fields_free(struct fields *f)
{
	for (size_t i = 0; i < MAX_FIELDS; i++) {
		free(f->p[i]);
		f->p[i] = NULL;
		f->n[i] = 0;
	}
}

/* Decode names[i] of test into f->p[i]; false (and a FAIL) if one is missing or bad. */
static bool fields_load(json_t *test, const char *const *names, size_t count, struct fields *f,
			struct fk_vec_tally *t, const char *file, const char *id)
{
	memset(f, 0, sizeof(*f));
	for (size_t i = 0; i < count && i < MAX_FIELDS; i++) {
		json_t *v = json_object_get(test, names[i]);
		f->p[i] = json_is_string(v) ? fk_vec_hex(json_string_value(v), &f->n[i]) : NULL;
		if (f->p[i] == NULL) {
			fk_vec_result(t, file, id, 0, "field \"%s\" missing or not hex", names[i]);
			fields_free(f);
			return false;
		}
	}
	return true;
}

static bool int_member(json_t *obj, const char *key, json_int_t *out)
{
	json_t *v = json_object_get(obj, key);
	if (!json_is_integer(v))
		return false;
	*out = json_integer_value(v);
	return true;
}

static const char *str_member(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* The case id for messages, and its expected result; false (and a FAIL) if unreadable. */
static bool case_header(json_t *test, char *id, size_t id_len, enum expect *exp,
			struct fk_vec_tally *t, const char *file)
{
	json_int_t tc;
	const char *res = str_member(test, "result");

	if (json_is_object(test) && int_member(test, "tcId", &tc))
		snprintf(id, id_len, "tcId %" JSON_INTEGER_FORMAT, tc);
	else
		snprintf(id, id_len, "(case without tcId)");
	if (!json_is_object(test) || res == NULL) {
		fk_vec_result(t, file, id, 0, "malformed test case");
		return false;
	}
	if (strcmp(res, "valid") == 0)
		*exp = EXPECT_VALID;
	else if (strcmp(res, "invalid") == 0)
		*exp = EXPECT_INVALID;
	else if (strcmp(res, "acceptable") == 0)
		*exp = EXPECT_ACCEPTABLE;
	else {
		fk_vec_result(t, file, id, 0, "unknown result \"%s\"", res);
		return false;
	}
	return true;
}

/* A case fusekey's formats cannot carry (see the policy at the top). */
static void inexpressible(struct fk_vec_tally *t, const char *file, const char *id,
			  enum expect exp, const char *what)
{
	if (exp == EXPECT_INVALID) {
		fk_vec_result(t, file, id, 1, NULL);
		return;
	}
	t->skipped++;
	printf("SKIP %s %s: %s\n", file, id, what);
}

static void skip_group(struct fk_vec_tally *t, const char *file, size_t gi, json_t *tests,
		       const char *why)
{
	size_t n = json_array_size(tests);
	t->skipped += (unsigned)n;
	printf("SKIP %s group %zu: %zu cases, %s\n", file, gi, n, why);
}

static bool all_zero(const uint8_t *p, size_t n)
{
	uint8_t acc = 0;
	for (size_t i = 0; i < n; i++)
		acc |= p[i];
	return acc == 0;
}

/* ---- AES-GCM ---- */

static void gcm_case(json_t *test, const char *file, struct fk_vec_tally *t)
{
	static const char *const names[] = {"key", "iv", "aad", "msg", "ct", "tag"};
	enum { KEY, IV, AAD, MSG, CT, TAG };
	struct fields f;
	enum expect exp;
	char id[64];
	uint8_t *out = NULL, tag[FK_GCM_TAG_SIZE];
	fusekey_status st;

	if (!case_header(test, id, sizeof(id), &exp, t, file) ||
	    !fields_load(test, names, 6, &f, t, file, id))
		return;
	if (f.n[KEY] != FK_AES128_KEY_SIZE || f.n[IV] != FK_GCM_IV_SIZE ||
	    f.n[TAG] != FK_GCM_TAG_SIZE) {
		inexpressible(t, file, id, exp, "key, IV or tag size other than 16/12/16 bytes");
		goto out;
	}
	if (f.n[CT] != f.n[MSG]) {
		fk_vec_result(t, file, id, 0, "ct and msg lengths differ");
		goto out;
	}
	out = malloc(f.n[MSG] + 1);
	if (out == NULL) {
		fk_vec_result(t, file, id, 0, "out of memory");
		goto out;
	}

	if (exp == EXPECT_VALID) {
		memset(out, 0xAA, f.n[MSG] + 1);
		st = fk_gcm128_encrypt(f.p[KEY], f.p[IV], f.p[AAD], f.n[AAD], f.p[MSG], f.n[MSG],
				       out, tag);
		if (st != FUSEKEY_OK) {
			fk_vec_result(t, file, id, 0, "encrypt: %s", fusekey_status_name(st));
			goto out;
		}
		if (memcmp(out, f.p[CT], f.n[CT]) != 0 || memcmp(tag, f.p[TAG], sizeof(tag)) != 0) {
			fk_vec_result(t, file, id, 0, "encrypt: wrong ciphertext or tag");
			goto out;
		}
	}

	memset(out, 0xAA, f.n[MSG] + 1);
	st = fk_gcm128_decrypt(f.p[KEY], f.p[IV], f.p[AAD], f.n[AAD], f.p[CT], f.n[CT], f.p[TAG],
			       out);
	if (st == FUSEKEY_OK) {
		bool right = memcmp(out, f.p[MSG], f.n[MSG]) == 0;
		if (exp == EXPECT_INVALID)
			fk_vec_result(t, file, id, 0, "decrypt accepted an invalid case");
		else
			fk_vec_result(t, file, id, right, "decrypt: wrong plaintext");
	} else if (exp == EXPECT_VALID) {
		fk_vec_result(t, file, id, 0, "decrypt: %s", fusekey_status_name(st));
	} else if (st != FUSEKEY_ERR_MAC_MISMATCH) {
		fk_vec_result(t, file, id, 0, "decrypt refused with %s, not MAC_MISMATCH",
			      fusekey_status_name(st));
	} else {
		fk_vec_result(t, file, id, all_zero(out, f.n[MSG]),
			      "decrypt refused but left bytes in the output");
	}
out:
	free(out);
	fields_free(&f);
}

static void gcm_group(json_t *group, size_t gi, const char *file, struct fk_vec_tally *t)
{
	json_t *tests = json_object_get(group, "tests");
	json_int_t key_size, iv_size, tag_size;
	const char *type = str_member(group, "type");

	if (type == NULL || strcmp(type, "AeadTest") != 0 ||
	    !int_member(group, "keySize", &key_size) ||
	    !int_member(group, "ivSize", &iv_size) || !int_member(group, "tagSize", &tag_size)) {
		skip_group(t, file, gi, tests, "not an AeadTest group with key/iv/tag sizes");
		return;
	}
	if (key_size != 128 || iv_size != 96 || tag_size != 128) {
		char why[96];
		snprintf(why, sizeof(why),
			 "keySize %" JSON_INTEGER_FORMAT ", ivSize %" JSON_INTEGER_FORMAT
			 ", tagSize %" JSON_INTEGER_FORMAT " (fusekey: 128/96/128)",
			 key_size, iv_size, tag_size);
		skip_group(t, file, gi, tests, why);
		return;
	}
	for (size_t i = 0; i < json_array_size(tests); i++)
		gcm_case(json_array_get(tests, i), file, t);
}

/* ---- AES-CMAC ---- */

static void cmac_case(json_t *test, const char *file, struct fk_vec_tally *t)
{
	static const char *const names[] = {"key", "msg", "tag"};
	enum { KEY, MSG, TAG };
	struct fields f;
	enum expect exp;
	char id[64];
	uint8_t mac[FK_CMAC_SIZE];
	fusekey_status st;
	bool accepted;

	if (!case_header(test, id, sizeof(id), &exp, t, file) ||
	    !fields_load(test, names, 3, &f, t, file, id))
		return;
	if (f.n[KEY] != FK_AES128_KEY_SIZE) {
		inexpressible(t, file, id, exp, "key size other than 16 bytes");
		goto out;
	}
	st = fk_cmac128(f.p[KEY], f.p[MSG], f.n[MSG], mac);
	if (st != FUSEKEY_OK) {
		fk_vec_result(t, file, id, 0, "cmac: %s", fusekey_status_name(st));
		goto out;
	}
	/* A verifier built on fk_cmac128 accepts exactly a full 16-byte, equal tag. */
	accepted = f.n[TAG] == FK_CMAC_SIZE && fk_ct_equal(mac, f.p[TAG], FK_CMAC_SIZE);
	switch (exp) {
	case EXPECT_VALID:
		fk_vec_result(t, file, id, accepted, "tag mismatch on a valid case");
		break;
	case EXPECT_INVALID:
		fk_vec_result(t, file, id, !accepted, "an invalid tag was accepted");
		break;
	case EXPECT_ACCEPTABLE:
	default:
		fk_vec_result(t, file, id, 1, NULL);
		break;
	}
out:
	fields_free(&f);
}

static void cmac_group(json_t *group, size_t gi, const char *file, struct fk_vec_tally *t)
{
	json_t *tests = json_object_get(group, "tests");
	json_int_t key_size, tag_size;
	const char *type = str_member(group, "type");

	if (type == NULL || strcmp(type, "MacTest") != 0 ||
	    !int_member(group, "keySize", &key_size) ||
	    !int_member(group, "tagSize", &tag_size)) {
		skip_group(t, file, gi, tests, "not a MacTest group with key/tag sizes");
		return;
	}
	if (key_size != 128 || tag_size != 128) {
		char why[96];
		snprintf(why, sizeof(why),
			 "keySize %" JSON_INTEGER_FORMAT ", tagSize %" JSON_INTEGER_FORMAT
			 " (fusekey: 128/128)",
			 key_size, tag_size);
		skip_group(t, file, gi, tests, why);
		return;
	}
	for (size_t i = 0; i < json_array_size(tests); i++)
		cmac_case(json_array_get(tests, i), file, t);
}

/* ---- ECDH secp256r1, SEC1 points ---- */

static void ecdh_case(json_t *test, const char *file, struct fk_vec_tally *t)
{
	static const char *const names[] = {"public", "private", "shared"};
	enum { PUB, PRIV, SHARED };
	struct fields f;
	enum expect exp;
	char id[64];
	uint8_t pub[FK_P256_PUB_SIZE], priv[FK_P256_PRIV_SIZE], shared[FK_P256_SHARED_SIZE];
	uint8_t want[FK_P256_SHARED_SIZE];
	const uint8_t *d;
	size_t dn;
	fusekey_status st;

	if (!case_header(test, id, sizeof(id), &exp, t, file) ||
	    !fields_load(test, names, 3, &f, t, file, id))
		return;
	/* SEC1 uncompressed 04 || X || Y (big-endian) -> SGX LE(X) || LE(Y). */
	if (f.n[PUB] != 1 + FK_P256_PUB_SIZE || f.p[PUB][0] != 0x04) {
		inexpressible(t, file, id, exp, "public key not in SEC1 uncompressed form");
		goto out;
	}
	memcpy(pub, f.p[PUB] + 1, FK_P256_PUB_SIZE);
	fk_reverse(pub, 32);
	fk_reverse(pub + 32, 32);
	/* Private: big-endian, often with a leading 00 (ASN.1 INTEGER style). */
	d = f.p[PRIV];
	dn = f.n[PRIV];
	while (dn > FK_P256_PRIV_SIZE && d[0] == 0) {
		d++;
		dn--;
	}
	if (dn > FK_P256_PRIV_SIZE) {
		inexpressible(t, file, id, exp, "private key longer than 32 bytes");
		goto out;
	}
	memset(priv, 0, sizeof(priv));
	memcpy(priv + sizeof(priv) - dn, d, dn);
	fk_reverse(priv, sizeof(priv));

	memset(shared, 0xAA, sizeof(shared));
	st = fk_p256_ecdh(priv, pub, shared);
	if (st == FUSEKEY_OK) {
		bool right = f.n[SHARED] == sizeof(want);
		if (right) {
			memcpy(want, f.p[SHARED], sizeof(want));
			fk_reverse(want, sizeof(want));
			right = memcmp(shared, want, sizeof(want)) == 0;
		}
		if (exp == EXPECT_INVALID)
			fk_vec_result(t, file, id, 0, "ECDH accepted an invalid case");
		else
			fk_vec_result(t, file, id, right, "wrong shared secret");
	} else if (exp == EXPECT_VALID) {
		fk_vec_result(t, file, id, 0, "ECDH: %s", fusekey_status_name(st));
	} else if (st != FUSEKEY_ERR_INVALID_PARAMETER) {
		fk_vec_result(t, file, id, 0, "ECDH refused with %s, not INVALID_PARAMETER",
			      fusekey_status_name(st));
	} else {
		fk_vec_result(t, file, id, all_zero(shared, sizeof(shared)),
			      "ECDH refused but left bytes in the output");
	}
out:
	fk_wipe(priv, sizeof(priv));
	fields_free(&f);
}

static void ecdh_group(json_t *group, size_t gi, const char *file, struct fk_vec_tally *t)
{
	json_t *tests = json_object_get(group, "tests");
	const char *type = str_member(group, "type");
	const char *curve = str_member(group, "curve");
	const char *encoding = str_member(group, "encoding");

	if (type == NULL || strcmp(type, "EcdhEcpointTest") != 0) {
		skip_group(t, file, gi, tests, "not an EcdhEcpointTest group (key encoding)");
		return;
	}
	if (curve == NULL || strcmp(curve, "secp256r1") != 0) {
		skip_group(t, file, gi, tests, "curve is not secp256r1");
		return;
	}
	if (encoding != NULL && strcmp(encoding, "ecpoint") != 0) {
		skip_group(t, file, gi, tests, "encoding is not ecpoint");
		return;
	}
	for (size_t i = 0; i < json_array_size(tests); i++)
		ecdh_case(json_array_get(tests, i), file, t);
}

/* ---- the schema ---- */

int fk_vec_wycheproof(json_t *root, const char *file, struct fk_vec_tally *t)
{
	void (*run_group)(json_t *, size_t, const char *, struct fk_vec_tally *);
	const char *alg = str_member(root, "algorithm");
	json_t *groups = json_object_get(root, "testGroups");
	json_int_t declared;
	size_t count = 0;

	if (alg == NULL || !json_is_array(groups))
		return -1;
	if (strcmp(alg, "AES-GCM") == 0)
		run_group = gcm_group;
	else if (strcmp(alg, "AES-CMAC") == 0)
		run_group = cmac_group;
	else if (strcmp(alg, "ECDH") == 0)
		run_group = ecdh_group;
	else
		return -1; /* a Wycheproof algorithm fusekey does not implement */

	for (size_t gi = 0; gi < json_array_size(groups); gi++) {
		json_t *group = json_array_get(groups, gi);
		json_t *tests = json_object_get(group, "tests");
		char id[32];

		if (!json_is_object(group) || !json_is_array(tests)) {
			snprintf(id, sizeof(id), "group %zu", gi);
			fk_vec_result(t, file, id, 0, "malformed test group");
			continue;
		}
		count += json_array_size(tests);
		run_group(group, gi, file, t);
	}
	/* Every case is accounted for: a truncated file must not pass quietly. */
	if (int_member(root, "numberOfTests", &declared) && declared >= 0 &&
	    (size_t)declared != count)
		fk_vec_result(t, file, "(file)", 0,
			      "numberOfTests is %" JSON_INTEGER_FORMAT " but %zu cases found",
			      declared, count);
	return 0;
}
