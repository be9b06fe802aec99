/* SPDX-License-Identifier: Apache-2.0 */
/* Internal side of the public API: contexts over an already opened platform. */
#ifndef FK_API_H
#define FK_API_H

#include "fusekey/fusekey.h"
#include "platform/fk_platform.h"

/* A context that borrows p: fusekey_ctx_free does not destroy it. */
fusekey_status fk_ctx_wrap(struct fk_platform *p, fusekey_ctx **out)
	__attribute__((warn_unused_result));

#endif
