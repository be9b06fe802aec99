/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fusekey.v1.KeyService (proto/fusekey/v1/keyservice.proto, docs/service.md):
 * the agent side of the `la` method, as ttrpc handlers.
 *
 *   Open      -> a new single-use session (16-byte random id) and sgx_dh msg1
 *   Exchange  <- session id, msg2, container id, launch digest
 *             -> msg3 and the key grant in one AEK record, when the release
 *                policy allows this app enclave this container's key
 *
 * Sessions expire (session_ttl_ms), are single-use (an Exchange consumes its
 * session whatever the outcome: a replay finds nothing) and bounded in number;
 * they and the keys live in locked memory excluded from core dumps
 * (fk_secmem). Keys are read on first use from <bundle>/fusekey/<cid>/key.la,
 * which `fusekey generate --method la` sealed to this agent enclave, or else
 * from the container's derive.json or key.sealed when this agent can open them
 * (seal and derive keys made by this agent under MRSIGNER policy, say).
 *
 * Every decision is one JSON log line: who (peer uid/pid and enclave
 * identity), which container, released or refused and why. Never the key.
 */
#ifndef FK_KEYSERVICE_H
#define FK_KEYSERVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "platform/fk_platform.h"
#include "ttrpc/fk_ttrpc.h"

struct fk_policy;

/* The slot index travels in the session id's first two bytes. */
#define FK_KEYSERVICE_MAX_SESSIONS 65536u

struct fk_keyservice_config {
	struct fk_platform *platform;    /* the agent enclave (borrowed) */
	const struct fk_policy *policy;  /* the release policy (borrowed) */
	const char *bundle_dir;          /* where key.la files are */
	uint32_t session_ttl_ms;         /* 0 = 5000 */
	size_t max_sessions;             /* 0 = 1024; at most FK_KEYSERVICE_MAX_SESSIONS */
	size_t max_keys;                 /* 0 = 1024 containers held in memory (more are
					    read from the bundle on each request) */
	void (*log)(void *arg, const char *json_line);
	void *log_arg;
};

struct fk_keyservice_stats {
	uint64_t opened, released, refused;
	size_t sessions, keys;
	bool memory_locked; /* mlock succeeded for sessions and keys */
};

struct fk_keyservice;

fusekey_status fk_keyservice_new(const struct fk_keyservice_config *cfg,
				 struct fk_keyservice **out) FK_WARN_UNUSED;
/* Wipes every session and key. NULL allowed. */
void fk_keyservice_free(struct fk_keyservice *ks);

/* The two methods, for fk_ttrpc_server_config (valid while ks lives). */
const struct fk_ttrpc_method *fk_keyservice_methods(struct fk_keyservice *ks, size_t *n);

void fk_keyservice_stats(const struct fk_keyservice *ks, struct fk_keyservice_stats *st);

/*
 * Make ahead what the next Open needs (its ephemeral key pair, ~13 us), and
 * wipe expired sessions. For the server loop's quiet moments
 * (fk_ttrpc_server_config.after_events), so that the work is off the
 * latency path; Open still works without it. Returns when it should run
 * again to wipe the next session that expires (CLOCK_MONOTONIC ns; 0 = none
 * open): an abandoned session's key lives no longer than its TTL, requests
 * or not. NULL allowed (returns 0).
 */
uint64_t fk_keyservice_prepare(struct fk_keyservice *ks);

#endif
