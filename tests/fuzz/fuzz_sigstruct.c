/* SPDX-License-Identifier: Apache-2.0 */
/* SIGSTRUCT verification and emulated EINIT on arbitrary 1808-byte inputs:
 * no crash, and an identity only for a SIGSTRUCT that verifies. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "platform/fk_sigstruct.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fk_sgx_sigstruct ss;
	struct fk_sgx_identity id;
	uint8_t config_id[FK_SGX_CONFIGID_SIZE] = {0};

	if (size < sizeof(ss))
		return 0;
	memcpy(&ss, data, sizeof(ss));
	if (size > sizeof(ss))
		config_id[0] = data[sizeof(ss)];
	fusekey_status v = fk_sigstruct_verify(&ss);
	fusekey_status e = fk_sigstruct_to_identity(&ss, config_id, 0, &id);
	if (v != FUSEKEY_OK && e == FUSEKEY_OK)
		abort();
	return 0;
}
