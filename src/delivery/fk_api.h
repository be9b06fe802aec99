/* SPDX-License-Identifier: Apache-2.0 */
/* Internal side of the public API: contexts over an already opened platform. */
#ifndef FK_API_H
#define FK_API_H

#include "fusekey/fusekey.h"
#include "platform/fk_platform.h"

/* A context that borrows p: fusekey_ctx_free does not destroy it. */
fusekey_status fk_ctx_wrap(struct fk_platform *p, fusekey_ctx **out)
	__attribute__((warn_unused_result));

/*
 * The emulated platform running the enclave whose SIGSTRUCT is at `enclave`
 * (emulated EINIT checks; config_id/config_svn for KSS enclaves), from the
 * state in sim_dir (NULL: the default directory). What fusekey_ctx_open_sim
 * opens, for internal callers that need the platform itself. Prints nothing.
 */
fusekey_status fk_sim_open_enclave(const char *sim_dir, const char *enclave,
				   const uint8_t *config_id, uint16_t config_svn,
				   struct fk_platform **out) __attribute__((warn_unused_result));

#endif
