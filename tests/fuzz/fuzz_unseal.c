/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Sealed-blob parser and unseal on attacker-controlled bytes. Properties:
 * no crash; success only for authentic blobs; on failure the output buffers
 * are all zero; fk_sealed_parse agrees with unseal on the length fields.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "platform/fk_sim.h"
#include "seal/fk_seal.h"

static struct fk_platform *platform(void)
{
	static struct fk_platform *p;
	if (p == NULL) {
		struct fk_sim_state st;
		struct fk_sgx_identity id;
		memset(&id, 0, sizeof(id));
		id.flags = 0x7;
		id.xfrm = 0x3;
		memset(id.mr_enclave, 0xa1, sizeof(id.mr_enclave));
		memset(id.mr_signer, 0x51, sizeof(id.mr_signer));
		id.isv_prod_id = 0x0102;
		id.isv_svn = 0x0304;
		fk_sim_state_sdk_compat(&st, FK_SIM_CPUSVN_DEFAULT);
		if (fk_sim_platform_new(&st, &id, &p) != FUSEKEY_OK)
			abort();
	}
	return p;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t txt[8192], aad[8192];
	uint32_t tl = sizeof(txt), al = sizeof(aad);
	struct fk_sealed_info info;
	fusekey_status st;

	memset(txt, 0xAA, sizeof(txt));
	memset(aad, 0xAA, sizeof(aad));
	st = fk_unseal(platform(), data, size, txt, &tl, aad, &al);
	if (st != FUSEKEY_OK) {
		for (size_t i = 0; i < sizeof(txt); i++)
			if (txt[i] != 0 || aad[i] != 0)
				abort(); /* unauthenticated bytes left behind */
	} else if (fk_sealed_parse(data, size, &info) != FUSEKEY_OK || info.txt_len != tl ||
		   info.aad_len != al || !info.reserved_zero || !info.length_matches) {
		abort();
	}
	al = sizeof(aad);
	if (fk_unmac_aad(platform(), data, size, aad, &al) != FUSEKEY_OK)
		for (size_t i = 0; i < sizeof(aad); i++)
			if (aad[i] != 0)
				abort();
	return 0;
}
