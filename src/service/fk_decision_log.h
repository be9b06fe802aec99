/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The key service's decision line (docs/service.md "Decision log"): one JSON
 * object per release or refusal, never the key. Built by hand into a fixed
 * buffer rather than through a JSON tree: it is on the latency path of every
 * delivery (it is written before the reply leaves, so no key is released
 * unlogged), and this is ~6 us cheaper than jansson (docs/bench.md).
 */
#ifndef FK_DECISION_LOG_H
#define FK_DECISION_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "fusekey/fusekey.h"
#include "sgx/fk_sgx.h"
#include "ttrpc/fk_ttrpc_server.h"

/*
 * Longest line: the fixed text and numbers (< 600 bytes), and the three
 * strings from outside at their bounds — container id, rule
 * (containers."<id>"[n]), detail (struct fk_policy_decision) — each byte
 * escaped to at most 6. Asserted in fk_decision_log.c.
 */
#define FK_DECISION_LINE_MAX 8192u

/* A rule's name, containers."<container id>"[n]: the buffer callers build it in. */
#define FK_DECISION_RULE_MAX (FUSEKEY_CONTAINER_ID_MAX + 48u)

struct fk_decision {
	const char *cid; /* validated, or NULL */
	const struct fk_ttrpc_peer *peer;
	const struct fk_sgx_report_body *enclave; /* after the handshake, else NULL */
	bool released;
	const char *reason; /* a short stable token */
	const char *detail; /* one human line, no secrets; may be NULL */
	const char *rule;   /* the policy rule that decided, or NULL */
};

/* The time stamp, formatted once per second (gmtime + strftime cost ~1 us). */
struct fk_decision_clock {
	int64_t sec;
	char text[24]; /* "YYYY-MM-DDTHH:MM:SSZ"; empty until first use */
};

/*
 * Format d as one JSON line (no newline) into buf. Fields, in order: time,
 * event "key_release", decision_id, decision, reason, detail?, container
 * (string or null), rule?, peer {uid, gid, pid, conn — or transport "tcp",
 * conn for a TCP peer — mr_enclave, mr_signer, isv_prod_id, isv_svn, debug}. Strings from outside (container
 * id, rule, detail) are escaped; bytes >= 0x80 become \u00XX, so the line
 * is always ASCII and valid JSON. false (buf empty) when it does not fit:
 * a line is never written cut.
 */
bool fk_decision_format(const struct fk_decision *d, uint64_t decision_id,
			const struct timespec *now, struct fk_decision_clock *clock, char *buf,
			size_t cap);

#endif
