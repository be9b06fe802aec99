/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Emulated EGETKEY / EREPORT / verify on arbitrary key requests, target infos
 * and reports, in a KSS and a non-KSS enclave. Properties: no crash; a failed
 * EGETKEY leaves the key zeroed; a report we create verifies only in its target.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "platform/fk_sim.h"

static struct fk_platform *make(bool kss)
{
	struct fk_sim_state st;
	struct fk_sgx_identity id;
	struct fk_platform *p = NULL;
	memset(&id, 0, sizeof(id));
	id.flags = 0x7 | (kss ? FK_SGX_FLAGS_KSS : 0);
	id.xfrm = 0x3;
	memset(id.mr_enclave, 0xa1, sizeof(id.mr_enclave));
	memset(id.mr_signer, 0x51, sizeof(id.mr_signer));
	id.isv_svn = 7;
	id.config_svn = kss ? 3 : 0;
	fk_sim_state_sdk_compat(&st, FK_SIM_CPUSVN_DEFAULT);
	if (fk_sim_platform_new(&st, &id, &p) != FUSEKEY_OK)
		abort();
	return p;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fk_platform *plain, *kss;
	struct fk_sgx_key_request req;
	struct fk_sgx_target_info ti;
	struct fk_sgx_report rep;
	uint8_t key[FK_SGX_KEY_SIZE];

	if (plain == NULL) {
		plain = make(false);
		kss = make(true);
	}
	memset(&req, 0, sizeof(req));
	memcpy(&req, data, size < sizeof(req) ? size : sizeof(req));
	for (int i = 0; i < 2; i++) {
		struct fk_platform *p = i ? kss : plain;
		memset(key, 0xAA, sizeof(key));
		if (fk_platform_get_key(p, &req, key) != FUSEKEY_OK)
			for (size_t j = 0; j < sizeof(key); j++)
				if (key[j] != 0)
					abort();
	}
	/* The same bytes as a target info: the report must not verify in `plain`
	 * unless the target info describes `plain` itself. */
	memset(&ti, 0, sizeof(ti));
	memcpy(&ti, data, size < sizeof(ti) ? size : sizeof(ti));
	if (fk_platform_create_report(kss, &ti, NULL, &rep) != FUSEKEY_OK)
		abort();
	if (fk_platform_verify_report(plain, &rep) == FUSEKEY_OK) {
		struct fk_sgx_target_info self;
		if (fk_platform_self_target(plain, &self) != FUSEKEY_OK ||
		    memcmp(self.mr_enclave, ti.mr_enclave, 32) != 0)
			abort();
	}
	/* The bytes as a report: verify must not crash. */
	memset(&rep, 0, sizeof(rep));
	memcpy(&rep, data, size < sizeof(rep) ? size : sizeof(rep));
	if (fk_platform_verify_report(plain, &rep) == FUSEKEY_OK && size >= sizeof(rep))
		abort(); /* a forged MAC verified: only possible by a 2^-128 guess */
	return 0;
}
