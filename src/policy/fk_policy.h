/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The release policy of fusekeyd (docs/policy.md): which app enclaves may
 * receive the key of which container. A JSON file maps container ids (exact,
 * or "*" for any other) to a list of rules; a rule is either
 *   - an MRENCLAVE allow-list ("mr_enclave": [hex, ...]), or
 *   - "mr_signer" + "isv_prod_id" + "min_isv_svn" (all three),
 * plus, optionally, "allow_debug" (default false), the KSS ids
 * "isv_family_id", "isv_ext_prod_id", "config_id", "min_config_svn", and the
 * expected "launch_digest" (fk_launch.h).
 *
 * Loading is strict: unknown keys, wrong types, bad hex, out-of-range
 * numbers, duplicate keys, invalid container ids, a rule of neither or both
 * forms, or any bound exceeded refuse the whole file with one message
 * "<file>:<line>: <path>: <reason>", e.g.
 *   policy.json:7: containers."web"[0].mr_enclave[1]: not 64 hex digits
 * The line is the one of the offending key (unknown key, bad container id),
 * value (wrong value), or object (something missing).
 *
 * Evaluation fails closed: the exact entry of the container wins if present
 * (even when it refuses), else "*", else refused. A request is allowed when
 * one rule of that entry matches: the identity by fk_dh_identity_check with
 * the rule's expectation (one per MRENCLAVE of an allow-list), and the launch
 * digest when the rule names one (a request without a digest is then refused).
 */
#ifndef FK_POLICY_H
#define FK_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fusekey/fusekey.h"
#include "la/fk_dh.h"
#include "policy/fk_launch.h"
#include "sgx/fk_sgx.h"

#define FK_POLICY_VERSION 1
#define FK_POLICY_WILDCARD "*"
#define FK_POLICY_MAX_FILE (1024u * 1024u) /* bytes */
#define FK_POLICY_MAX_RULES 4096u          /* in the whole file */
#define FK_POLICY_MAX_CONTAINERS 4096u     /* entries, "*" included */
#define FK_POLICY_MAX_MRENCLAVES 4096u     /* per allow-list rule */

/* One rule, as loaded (read-only for callers). */
struct fk_policy_rule {
	bool by_mr_enclave;     /* true: allow-list; false: signer rule */
	size_t n_mr_enclave;    /* allow-list length (>= 1), 0 for a signer rule */
	const uint8_t (*mr_enclave)[FK_SGX_HASH_SIZE];
	/*
	 * Everything else, as the expectation handed to fk_dh_identity_check:
	 * MRSIGNER + ISVPRODID + min ISVSVN (signer rule), KSS fields, allow_debug,
	 * min CONFIGSVN, INITTED required. For an allow-list rule mr_enclave is
	 * filled per entry (fk_policy_decision_expect).
	 */
	struct fk_dh_expect expect;
	bool has_launch_digest;
	uint8_t launch_digest[FK_LAUNCH_DIGEST_SIZE];
};

/* Opaque. Immutable once loaded: evaluate from any number of threads. */
struct fk_policy;

/* Why a load failed. */
struct fk_policy_error {
	unsigned line;      /* 1-based; 0 when the error is about the whole file */
	char path[256];     /* e.g. containers."web"[0].mr_enclave[1]; "" if none */
	char reason[192];   /* e.g. not 64 hex digits */
	char message[768];  /* "<file>:<line>: <path>: <reason>" (parts left out when empty) */
};

/*
 * Parse a policy held in memory; `name` (e.g. the file name) starts the
 * message. FUSEKEY_ERR_FORMAT for every refusal, with *err filled (err may
 * be NULL); FUSEKEY_ERR_NO_MEMORY. *out (free with fk_policy_free) only on
 * success, else NULL.
 */
fusekey_status fk_policy_parse(const uint8_t *text, size_t len, const char *name,
			       struct fk_policy **out, struct fk_policy_error *err)
	__attribute__((warn_unused_result));

/*
 * Read and parse a policy file. The file is the administrator's: a symlink
 * is followed (Kubernetes mounts ConfigMaps through symlinks), but it must be
 * a regular file of at most FK_POLICY_MAX_FILE bytes that others cannot write
 * (FUSEKEY_ERR_PERMISSION). FUSEKEY_ERR_NOT_FOUND, FUSEKEY_ERR_IO otherwise;
 * *err always says which.
 */
fusekey_status fk_policy_load_file(const char *path, struct fk_policy **out,
				   struct fk_policy_error *err) __attribute__((warn_unused_result));

void fk_policy_free(struct fk_policy *p); /* NULL allowed */

/* ---- what was loaded (entries in file order) ---- */
size_t fk_policy_entry_count(const struct fk_policy *p);
size_t fk_policy_rule_total(const struct fk_policy *p);
const char *fk_policy_entry_id(const struct fk_policy *p, size_t entry); /* NULL if out of range */
size_t fk_policy_entry_rule_count(const struct fk_policy *p, size_t entry);
const struct fk_policy_rule *fk_policy_rule_at(const struct fk_policy *p, size_t entry,
					       size_t rule); /* NULL if out of range */

/* ---- evaluation ---- */

/* Stable reason tokens (for logs and tests) besides fk_dh_mismatch_name()'s. */
#define FK_POLICY_REASON_ALLOWED "allowed"
#define FK_POLICY_REASON_NO_RULE "no_rule"              /* no entry, or an empty one */
#define FK_POLICY_REASON_CONTAINER_ID "container_id"    /* not a valid container id */
#define FK_POLICY_REASON_LAUNCH_DIGEST "launch_digest"  /* sent one differs from the rule's */
#define FK_POLICY_REASON_LAUNCH_DIGEST_MISSING "launch_digest_missing"
#define FK_POLICY_REASON_INVALID "invalid_argument"     /* NULL policy or peer */

struct fk_policy_decision {
	bool allowed;
	/* The entry used: the container id, "*", or "" when none. */
	char entry[FUSEKEY_CONTAINER_ID_MAX + 1];
	bool have_rule;         /* rule (and entry_index) name the matched or closest rule */
	size_t entry_index;     /* in file order */
	size_t rule;            /* index in the entry's list */
	size_t mr_enclave_index;/* allow-list: the MRENCLAVE that matched (0 otherwise) */
	/* Identity result of that rule (NONE when the identity matched). */
	enum fk_dh_mismatch mismatch;
	/* FK_POLICY_REASON_* or fk_dh_mismatch_name(mismatch); never NULL. */
	const char *reason;
	/* One line for people: which rule, what differed. No secrets. */
	char detail[384];
};

/*
 * Decide whether the enclave whose verified report body is `peer` may get
 * the key of container_id. launch_digest is the digest the app sent (NULL =
 * none). FUSEKEY_OK when allowed; FUSEKEY_ERR_REFUSED otherwise;
 * FUSEKEY_ERR_INVALID_PARAMETER for a NULL policy, container id, peer or d
 * (d, when not NULL, then says refused). The closest rule is the one whose
 * failing check comes latest (fk_dh_mismatch order, then the launch digest,
 * checked after the identity); the first such rule on a tie.
 */
fusekey_status fk_policy_evaluate(const struct fk_policy *p, const char *container_id,
				  const struct fk_sgx_report_body *peer,
				  const uint8_t *launch_digest, struct fk_policy_decision *d)
	__attribute__((warn_unused_result));

/*
 * The expectation that allowed `d` (d->allowed, from this policy), to pass
 * to fk_dh_check_peer so the session's own check and the policy agree.
 * False (out zeroed) otherwise.
 */
bool fk_policy_decision_expect(const struct fk_policy *p, const struct fk_policy_decision *d,
			       struct fk_dh_expect *out);

#endif
