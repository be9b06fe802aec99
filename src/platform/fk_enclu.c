/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ENCLU[EGETKEY] (Intel SDM Vol. 3D, "EGETKEY - Retrieves a Cryptographic
 * Key", ENCLU leaf 1; sgx.md §3). The only inline assembly in fusekey.
 *
 * Register contract (SDM): EAX = 1 (leaf), RBX = address of KEYREQUEST
 * (512-byte aligned), RCX = address of the 16-byte key output (16-byte
 * aligned). On return EAX holds the status (0 or an SGX error code) and
 * RFLAGS.ZF says whether it failed; RBX and RCX are not modified. Misaligned
 * operands, reserved bytes or bad policy bits raise #GP: the caller runs
 * fk_platform_check_key_request first, and misalignment is refused here.
 */
#include "platform/fk_enclu.h"

#include <stdint.h>

#define FK_ENCLU_EGETKEY 1u
#define FK_ENCLU_FAILED 0xFFFFFFFFu

#if defined(__x86_64__)

int fk_enclu_available(void)
{
	return 1;
}

uint32_t fk_enclu_egetkey(const struct fk_sgx_key_request *req, uint8_t key[16])
{
	uint32_t eax = FK_ENCLU_EGETKEY;

	/* A misaligned operand is a #GP in the enclave: refuse it instead. */
	if (req == NULL || key == NULL || ((uintptr_t)req & 511u) != 0 ||
	    ((uintptr_t)key & 15u) != 0)
		return FK_ENCLU_FAILED;
	/* 0f 01 d7 = ENCLU; the assembler may not know the mnemonic. The key is
	 * written through RCX behind the compiler's back: "memory" clobber. */
	__asm__ volatile(".byte 0x0f, 0x01, 0xd7"
			 : "+a"(eax)
			 : "b"(req), "c"(key)
			 : "cc", "memory");
	return eax;
}

#else

int fk_enclu_available(void)
{
	return 0;
}

uint32_t fk_enclu_egetkey(const struct fk_sgx_key_request *req, uint8_t key[16])
{
	(void)req;
	(void)key;
	return FK_ENCLU_FAILED;
}

#endif
