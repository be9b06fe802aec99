/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The delivery methods behind fusekey_generate / fusekey_get. Each method is one
 * module with these two operations; `la` plugs in beside them later without
 * touching callers.
 */
#ifndef FK_METHOD_H
#define FK_METHOD_H

#include <stdbool.h>

#include "delivery/fk_wire.h"
#include "la/fk_dh_wire.h"
#include "platform/fk_platform.h"

struct fk_delivery_req {
	struct fk_platform *p;
	const char *bundle;
	const char *cid;   /* validated */
	uint16_t policy;   /* generate: the policy; get: expected policy or 0 */
	size_t key_len;    /* generate: 16 or 32 */
	bool force;
	/* la get (fusekey_key_opts): the service, the agent we accept, our launch digest */
	const char *socket_path;
	const struct fusekey_agent_expect *agent;
	const uint8_t *launch_digest; /* 32 bytes or NULL */
	uint32_t timeout_ms;
	char *why;        /* optional: a reason for the refusal, for messages */
	size_t why_len;
};

struct fk_method_ops {
	const char *name;       /* "seal", "derive" */
	fusekey_method id;
	const char *file_name;  /* what it leaves in the bundle */
	/* key: key_len bytes out. */
	fusekey_status (*generate)(const struct fk_delivery_req *r, uint8_t *key);
	/* key: capacity *key_len in, length out. */
	fusekey_status (*get)(const struct fk_delivery_req *r, uint8_t *key, size_t *key_len);
};

extern const struct fk_method_ops fk_method_seal;
extern const struct fk_method_ops fk_method_derive;
extern const struct fk_method_ops fk_method_la;

/*
 * la, app side: how long to wait awake for each key service reply before
 * sleeping (fk_ttrpc_client_set_spin); the service answers an Exchange in
 * ~80 us of its CPU (docs/bench.md).
 */
#define FK_LA_CLIENT_SPIN_US 300u

/*
 * la, app side, the two calls of a delivery (src/delivery/fk_method_la.c;
 * the bench drives them on a kept connection). fk_la_open sends Open, gives
 * the initiator session s (just fk_dh_init'ed) its key pair while the request
 * is in flight, and returns the session id and msg1; timeout_ns bounds the
 * whole call. fk_la_exchange sends msg2 and the request (container id,
 * launch digest or NULL) and returns msg3 and the key record (malloc'd).
 * A refusal by the service: its status mapped, its message in why.
 */
struct fk_ttrpc_client;
struct fk_dh_session;
struct fk_dh_msg1;
struct fk_dh_msg2;
fusekey_status fk_la_open(struct fk_ttrpc_client *c, int64_t timeout_ns, struct fk_dh_session *s,
			  uint8_t sid[FK_KEYSERVICE_SESSION_ID_SIZE], struct fk_dh_msg1 *msg1,
			  char *why, size_t why_len) __attribute__((warn_unused_result));
fusekey_status fk_la_exchange(struct fk_ttrpc_client *c, int64_t timeout_ns,
			      const uint8_t sid[FK_KEYSERVICE_SESSION_ID_SIZE],
			      const struct fk_dh_msg2 *msg2, const char *cid,
			      const uint8_t *launch_digest, uint8_t msg3[FK_DH_MSG3_FIXED_SIZE],
			      uint8_t **record, size_t *record_len, char *why, size_t why_len)
	__attribute__((warn_unused_result));

/* The app's expectation of the agent (la) as the LA engine's expectation. */
struct fk_dh_expect;
fusekey_status fk_la_expect_from_agent(const struct fusekey_agent_expect *a,
				       struct fk_dh_expect *e) __attribute__((warn_unused_result));

/*
 * A sealed FUSE key file `name` in the container's directory: key_len bytes
 * sealed under `policy` with the seal binding (wire method `method`) as AAD.
 * The seal method writes key.sealed for the app; the la method also writes
 * key.la, sealed to the agent itself, which fusekeyd reads back.
 * read: every check of the seal method's get (docs/delivery.md), for `method`.
 */
fusekey_status fk_sealed_key_write(const struct fk_delivery_req *r, const char *name,
				   uint8_t method, uint16_t policy, const uint8_t *key)
	__attribute__((warn_unused_result));
fusekey_status fk_sealed_key_read(const struct fk_delivery_req *r, const char *name,
				  uint8_t method, uint8_t *key, size_t *key_len)
	__attribute__((warn_unused_result));

/*
 * After an authentication failure: compare the public identity recorded by the
 * maker with our own, on the fields the policy binds (MRENCLAVE, MRSIGNER,
 * ISVPRODID unless NOISVPRODID, DEBUG always, the KSS ids through their
 * digest). A difference gives
 * FUSEKEY_ERR_WRONG_IDENTITY, else FUSEKEY_ERR_MAC_MISMATCH (modified, or made
 * on another platform). The recorded identity is only a hint for the message:
 * the refusal itself never depends on it.
 */
struct fk_wire_identity;
fusekey_status fk_method_diagnose(uint16_t policy, const struct fk_wire_identity *maker,
				  const uint8_t maker_kss_digest[16],
				  const struct fk_sgx_identity *self);

#endif
