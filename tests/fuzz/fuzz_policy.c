/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The release policy loader and evaluator (src/policy/fk_policy.h) and the
 * launch-spec digest (src/policy/fk_launch.h) on attacker-controlled JSON.
 * Every input is read both ways: as a policy file and as an OCI config.json.
 *
 * Properties (abort() on violation):
 *
 * fk_policy_parse: no crash; OK, FORMAT or NO_MEMORY only. A refusal leaves
 * no policy, and its message starts with the name given and, when it names a
 * line, that line exists in the input (1 + the number of '\n'). An accepted
 * policy is well formed (ids, rule forms, bounds), and:
 *   - a fixed peer body, with and without a launch digest, against each
 *     entry's id and a few others: evaluation says OK exactly when the
 *     decision says allowed; fk_policy_decision_expect agrees with allowed,
 *     and its expectation accepts the peer (fk_dh_identity_check); an id that
 *     is not a container id ("*", "", "../x", 129 characters) is refused;
 *   - for each rule (the first 16), a peer built to meet exactly that rule's
 *     expectation, sending the rule's launch digest, is allowed for that
 *     entry's container (by that rule or an earlier one of the entry): what
 *     the loader accepts can be satisfied, and evaluation finds it.
 *
 * fk_launch_digest_from_config: no crash; OK, FORMAT or NO_MEMORY only; err
 * always NUL-terminated, empty on success and not empty on refusal; digest
 * zero on refusal; the same digest twice. And against an independent
 * reading of the documented rules (docs/policy.md, "Canonical form"): it
 * accepts exactly when the rules do, and then gives the digest
 * fk_launch_digest_parts gives for the values read.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "delivery/fk_bundle.h"
#include "fuzz.h"
#include "policy/fk_launch.h"
#include "policy/fk_policy.h"
#include "sgx/fk_sgx.h"

#define NAME "fuzz.json"
enum { CONSTRUCT_MAX = 16, ENTRY_EVAL_MAX = 8 };

/* ---- policy ---- */

static void check_decision(const struct fk_policy *p, const char *cid,
			   const struct fk_sgx_report_body *peer, const uint8_t *launch,
			   fusekey_status st, const struct fk_policy_decision *d)
{
	struct fk_dh_expect e;
	const struct fk_policy_rule *r;

	need(st == FUSEKEY_OK || st == FUSEKEY_ERR_REFUSED);
	need((st == FUSEKEY_OK) == d->allowed);
	need(d->reason != NULL);
	need(strnlen(d->detail, sizeof(d->detail)) < sizeof(d->detail));
	need(strnlen(d->entry, sizeof(d->entry)) < sizeof(d->entry));
	need(fk_policy_decision_expect(p, d, &e) == d->allowed);
	if (!d->allowed) {
		need(all_zero(&e, sizeof(e)));
		return;
	}
	need(strcmp(d->reason, FK_POLICY_REASON_ALLOWED) == 0);
	need(d->have_rule && d->mismatch == FK_DH_MISMATCH_NONE);
	need(strcmp(d->entry, cid) == 0 || strcmp(d->entry, FK_POLICY_WILDCARD) == 0);
	need(fk_dh_identity_check(peer, &e) == FK_DH_MISMATCH_NONE);
	r = fk_policy_rule_at(p, d->entry_index, d->rule);
	need(r != NULL);
	if (r->has_launch_digest)
		need(launch != NULL && memcmp(launch, r->launch_digest, FK_LAUNCH_DIGEST_SIZE) == 0);
}

static void evaluate(const struct fk_policy *p, const char *cid,
		     const struct fk_sgx_report_body *peer, const uint8_t *launch,
		     struct fk_policy_decision *d)
{
	fusekey_status st;

	memset(d, 0x5A, sizeof(*d));
	st = fk_policy_evaluate(p, cid, peer, launch, d);
	check_decision(p, cid, peer, launch, st, d);
}

/* The body of an enclave that meets exactly what rule r pins, at its minimums. */
static void peer_for_rule(const struct fk_policy_rule *r, struct fk_sgx_report_body *b)
{
	const struct fk_dh_expect *e = &r->expect;

	memset(b, 0, sizeof(*b));
	if (r->by_mr_enclave)
		memcpy(b->mr_enclave, r->mr_enclave[r->n_mr_enclave - 1], FK_SGX_HASH_SIZE);
	else
		memcpy(b->mr_enclave, e->mr_enclave, FK_SGX_HASH_SIZE);
	memcpy(b->mr_signer, e->mr_signer, FK_SGX_HASH_SIZE);
	fk_put_le16(b->isv_prod_id, e->isv_prod_id);
	memcpy(b->isv_family_id, e->isv_family_id, sizeof(b->isv_family_id));
	memcpy(b->isv_ext_prod_id, e->isv_ext_prod_id, sizeof(b->isv_ext_prod_id));
	memcpy(b->config_id, e->config_id, sizeof(b->config_id));
	fk_put_le64(b->attributes.flags, e->attr_flags_value);
	fk_put_le64(b->attributes.xfrm, e->attr_xfrm_value);
	fk_put_le16(b->isv_svn, e->min_isv_svn);
	fk_put_le16(b->config_svn, e->min_config_svn);
}

/* A valid container id that has no entry of its own (so "*" applies). */
static void unlisted_id(const struct fk_policy *p, char *out, size_t cap)
{
	size_t n = fk_policy_entry_count(p);

	for (size_t k = 0;; k++) {
		bool taken = false;
		snprintf(out, cap, "fz-unlisted-%zu", k);
		for (size_t i = 0; i < n && !taken; i++)
			taken = strcmp(fk_policy_entry_id(p, i), out) == 0;
		if (!taken)
			return;
		need(k <= n);
	}
}

static void check_shape(const struct fk_policy *p)
{
	size_t n = fk_policy_entry_count(p), total = 0;

	need(n >= 1 && n <= FK_POLICY_MAX_CONTAINERS);
	need(fk_policy_entry_id(p, n) == NULL && fk_policy_rule_at(p, n, 0) == NULL);
	for (size_t i = 0; i < n; i++) {
		const char *id = fk_policy_entry_id(p, i);
		size_t nr = fk_policy_entry_rule_count(p, i);
		need(id != NULL);
		need(strcmp(id, FK_POLICY_WILDCARD) == 0 || fk_container_id_valid(id));
		for (size_t j = 0; j < i; j++)
			need(strcmp(fk_policy_entry_id(p, j), id) != 0);
		need(fk_policy_rule_at(p, i, nr) == NULL);
		for (size_t k = 0; k < nr; k++) {
			const struct fk_policy_rule *r = fk_policy_rule_at(p, i, k);
			need(r != NULL);
			if (r->by_mr_enclave)
				need(r->n_mr_enclave >= 1 &&
				     r->n_mr_enclave <= FK_POLICY_MAX_MRENCLAVES &&
				     r->mr_enclave != NULL);
			else
				need(r->n_mr_enclave == 0 &&
				     (r->expect.fields &
				      (FK_DH_EXPECT_MRSIGNER | FK_DH_EXPECT_ISVPRODID)) ==
					     (FK_DH_EXPECT_MRSIGNER | FK_DH_EXPECT_ISVPRODID));
			/* Every rule requires INITTED (docs/policy.md). */
			need((r->expect.attr_flags_mask & FK_SGX_FLAGS_INITTED) &&
			     (r->expect.attr_flags_value & FK_SGX_FLAGS_INITTED));
		}
		total += nr;
	}
	need(total == fk_policy_rule_total(p) && total <= FK_POLICY_MAX_RULES);
}

static void fixed_peer(struct fk_sgx_report_body *b)
{
	memset(b, 0, sizeof(*b));
	memset(b->mr_enclave, 0xB0, sizeof(b->mr_enclave));
	memset(b->mr_signer, 0x55, sizeof(b->mr_signer));
	fk_put_le16(b->isv_prod_id, 1);
	fk_put_le16(b->isv_svn, 5);
	fk_put_le64(b->attributes.flags, FK_SGX_FLAGS_INITTED | FK_SGX_FLAGS_MODE64BIT);
	fk_put_le64(b->attributes.xfrm, 0x3);
}

static void fuzz_policy_accepted(const struct fk_policy *p)
{
	static const uint8_t launch[FK_LAUNCH_DIGEST_SIZE] = {0xc6, 0x4b, 0xe7, 0xa3};
	char unlisted[48], too_long[FUSEKEY_CONTAINER_ID_MAX + 2];
	const char *invalid[] = {FK_POLICY_WILDCARD, "", "../x", ".hidden", too_long};
	struct fk_sgx_report_body peer;
	struct fk_policy_decision d;
	size_t n = fk_policy_entry_count(p), done = 0;

	check_shape(p);
	memset(too_long, 'a', sizeof(too_long) - 1);
	too_long[sizeof(too_long) - 1] = '\0';
	unlisted_id(p, unlisted, sizeof(unlisted));

	/* A fixed peer, everywhere. */
	fixed_peer(&peer);
	for (int l = 0; l < 2; l++) {
		const uint8_t *ld = l ? launch : NULL;
		for (size_t i = 0; i < n && i < ENTRY_EVAL_MAX; i++) {
			const char *id = fk_policy_entry_id(p, i);
			if (strcmp(id, FK_POLICY_WILDCARD) != 0)
				evaluate(p, id, &peer, ld, &d);
		}
		evaluate(p, unlisted, &peer, ld, &d);
		evaluate(p, "web", &peer, ld, &d);
		for (size_t k = 0; k < sizeof(invalid) / sizeof(invalid[0]); k++) {
			evaluate(p, invalid[k], &peer, ld, &d);
			need(!d.allowed && strcmp(d.reason, FK_POLICY_REASON_CONTAINER_ID) == 0);
		}
	}

	/* Each rule is met by the enclave it describes. */
	for (size_t i = 0; i < n && done < CONSTRUCT_MAX; i++) {
		const char *id = fk_policy_entry_id(p, i);
		const char *cid = strcmp(id, FK_POLICY_WILDCARD) == 0 ? unlisted : id;
		size_t nr = fk_policy_entry_rule_count(p, i);
		for (size_t k = 0; k < nr && done < CONSTRUCT_MAX; k++, done++) {
			const struct fk_policy_rule *r = fk_policy_rule_at(p, i, k);
			peer_for_rule(r, &peer);
			evaluate(p, cid, &peer, r->has_launch_digest ? r->launch_digest : NULL, &d);
			need(d.allowed && d.entry_index == i && d.rule <= k);
		}
	}
}

static void fuzz_policy(const uint8_t *data, size_t size)
{
	struct fk_policy *p = (struct fk_policy *)(uintptr_t)1;
	struct fk_policy_error err;
	unsigned lines = 1;
	fusekey_status st;

	for (size_t i = 0; i < size; i++)
		lines += data[i] == '\n';
	memset(&err, 0x5A, sizeof(err));
	st = fk_policy_parse(data, size, NAME, &p, &err);
	if (st != FUSEKEY_OK) {
		need(st == FUSEKEY_ERR_FORMAT || st == FUSEKEY_ERR_NO_MEMORY);
		need(p == NULL);
		need(strnlen(err.message, sizeof(err.message)) < sizeof(err.message));
		need(strnlen(err.reason, sizeof(err.reason)) < sizeof(err.reason));
		need(strnlen(err.path, sizeof(err.path)) < sizeof(err.path));
		need(strncmp(err.message, NAME, strlen(NAME)) == 0);
		need(err.reason[0] != '\0');
		need(err.line <= lines);
		return;
	}
	need(p != NULL);
	fuzz_policy_accepted(p);
	fk_policy_free(p);
}

/* ---- launch digest ---- */

/* A list as the docs define it: absent or null = none; else strings, bounded, no NUL. */
static bool read_list(const json_t *process, const char *name, const char ***out, size_t *n)
{
	const json_t *arr = json_object_get(process, name), *v;
	size_t i;

	*out = NULL;
	*n = 0;
	if (arr == NULL || json_is_null(arr))
		return true;
	if (!json_is_array(arr) || json_array_size(arr) > FK_LAUNCH_MAX_ENTRIES)
		return false;
	*out = calloc(json_array_size(arr) + 1, sizeof(**out));
	need(*out != NULL);
	json_array_foreach(arr, i, v) {
		if (!json_is_string(v) || json_string_length(v) > FK_LAUNCH_MAX_STRING ||
		    strlen(json_string_value(v)) != json_string_length(v))
			return false;
		(*out)[i] = json_string_value(v);
	}
	*n = json_array_size(arr);
	return true;
}

/*
 * The documented rules, read independently: true and the digest of the
 * values (through fk_launch_digest_parts) when config.json is a usable
 * launch spec.
 */
static bool launch_oracle(const uint8_t *data, size_t size, uint8_t digest[FK_LAUNCH_DIGEST_SIZE])
{
	const char **args = NULL, **env = NULL;
	size_t nargs = 0, nenv = 0;
	const json_t *process, *cwd;
	json_t *root = NULL;
	bool ok = false;

	if (size > FK_LAUNCH_MAX_CONFIG || (size != 0 && memchr(data, 0, size) != NULL))
		return false;
	root = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, NULL);
	process = json_is_object(root) ? json_object_get(root, "process") : NULL;
	cwd = json_is_object(process) ? json_object_get(process, "cwd") : NULL;
	if (json_is_string(cwd) && json_string_length(cwd) <= FK_LAUNCH_MAX_STRING &&
	    strlen(json_string_value(cwd)) == json_string_length(cwd) &&
	    read_list(process, "args", &args, &nargs) && read_list(process, "env", &env, &nenv)) {
		need(fk_launch_digest_parts(args, nargs, env, nenv, json_string_value(cwd),
					    digest) == FUSEKEY_OK);
		ok = true;
	}
	free(args);
	free(env);
	json_decref(root);
	return ok;
}

static void fuzz_launch(const uint8_t *data, size_t size)
{
	uint8_t d1[FK_LAUNCH_DIGEST_SIZE], d2[FK_LAUNCH_DIGEST_SIZE], want[FK_LAUNCH_DIGEST_SIZE];
	char err[256];
	fusekey_status st;
	bool usable;

	memset(d1, 0xAA, sizeof(d1));
	memset(err, 0x5A, sizeof(err));
	st = fk_launch_digest_from_config(data, size, d1, err, sizeof(err));
	need(st == FUSEKEY_OK || st == FUSEKEY_ERR_FORMAT || st == FUSEKEY_ERR_NO_MEMORY);
	need(strnlen(err, sizeof(err)) < sizeof(err));
	usable = launch_oracle(data, size, want);
	if (st != FUSEKEY_OK) {
		need(all_zero(d1, sizeof(d1)) && err[0] != '\0');
		need(st == FUSEKEY_ERR_NO_MEMORY || !usable);
		return;
	}
	need(err[0] == '\0');
	need(usable && memcmp(d1, want, sizeof(want)) == 0);
	need(fk_launch_digest_from_config(data, size, d2, NULL, 0) == FUSEKEY_OK);
	need(memcmp(d1, d2, sizeof(d1)) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t empty[1];

	if (data == NULL)
		data = empty; /* a replayed empty file */
	fuzz_policy(data, size);
	fuzz_launch(data, size);
	return 0;
}
