/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ENCLU[EGETKEY] executed in the enclave (SDM Vol. 3D, EGETKEY; leaf 1).
 * The only inline assembly in fusekey, isolated here. Used by the Gramine
 * platform, where no pseudo-file offers report verification or custom key
 * requests. Outside an enclave the instruction faults (#UD -> SIGILL): the
 * Gramine platform's real io runs it only after the real /dev/attestation
 * answered (fk_gramine.h), and never on a build where fk_enclu_available() is 0.
 */
#ifndef FK_ENCLU_H
#define FK_ENCLU_H

#include <stdint.h>

#include "sgx/fk_sgx.h"

/* 1 when this build can execute ENCLU (x86-64); 0 elsewhere (then egetkey returns UNEXPECTED-ish 0xFFFFFFFF). */
int fk_enclu_available(void);

/*
 * EGETKEY: req must be 512-byte aligned and key 16-byte aligned (the caller
 * copies into aligned buffers). Returns the instruction's status in EAX
 * (0 success; 2 INVALID_ATTRIBUTE, 0x20 INVALID_CPUSVN, 0x40 INVALID_ISVSVN,
 * 0x100 INVALID_KEYNAME).
 */
uint32_t fk_enclu_egetkey(const struct fk_sgx_key_request *req, uint8_t key[16]);

#endif
