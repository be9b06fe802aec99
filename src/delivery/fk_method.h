/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The delivery methods behind fusekey_generate / fusekey_get. Each method is one
 * module with these two operations; `la` plugs in beside them later without
 * touching callers.
 */
#ifndef FK_METHOD_H
#define FK_METHOD_H

#include <stdbool.h>

#include "platform/fk_platform.h"

struct fk_delivery_req {
	struct fk_platform *p;
	const char *bundle;
	const char *cid;   /* validated */
	uint16_t policy;   /* generate: the policy; get: expected policy or 0 */
	size_t key_len;    /* generate: 16 or 32 */
	bool force;
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
