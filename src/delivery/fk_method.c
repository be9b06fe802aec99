/* SPDX-License-Identifier: Apache-2.0 */
/* Shared by the delivery methods: the public maker identity and the diagnosis
 * of an authentication failure (fk_method.h). */
#include "delivery/fk_method.h"

#include <string.h>

#include "delivery/fk_wire.h"

void fk_wire_identity_from(const struct fk_sgx_identity *id, struct fk_wire_identity *out)
{
	memset(out, 0, sizeof(*out));
	memcpy(out->mr_enclave, id->mr_enclave, sizeof(out->mr_enclave));
	memcpy(out->mr_signer, id->mr_signer, sizeof(out->mr_signer));
	fk_put_le64(out->flags, id->flags);
	fk_put_le16(out->isv_prod_id, id->isv_prod_id);
	fk_put_le16(out->isv_svn, id->isv_svn);
}

fusekey_status fk_wire_kss_digest(uint16_t policy, const struct fk_sgx_identity *id,
				  uint8_t out[16])
{
	static const uint8_t zeros[FK_SGX_CONFIGID_SIZE];
	uint8_t h[FK_SHA256_SIZE];
	fusekey_status st;

	memset(out, 0, 16);
	if (!(policy & FK_SGX_KEYPOLICY_KSS))
		return FUSEKEY_OK;
	struct fk_buf parts[] = {
		{FK_WIRE_KSS_LABEL, sizeof(FK_WIRE_KSS_LABEL) - 1},
		{(policy & FK_SGX_KEYPOLICY_ISVFAMILYID) ? id->isv_family_id : zeros, 16},
		{(policy & FK_SGX_KEYPOLICY_ISVEXTPRODID) ? id->isv_ext_prod_id : zeros, 16},
		{(policy & FK_SGX_KEYPOLICY_CONFIGID) ? id->config_id : zeros, FK_SGX_CONFIGID_SIZE},
	};
	st = fk_sha256_parts(parts, sizeof(parts) / sizeof(parts[0]), h);
	if (st == FUSEKEY_OK)
		memcpy(out, h, 16);
	return st;
}

fusekey_status fk_method_diagnose(uint16_t policy, const struct fk_wire_identity *maker,
				  const uint8_t maker_kss_digest[16],
				  const struct fk_sgx_identity *self)
{
	uint8_t mine[16];

	/* A non-KSS enclave cannot make a request with KSS policy bits at all. */
	if ((policy & FK_SGX_KEYPOLICY_NEEDS_KSS) && !(self->flags & FK_SGX_FLAGS_KSS))
		return FUSEKEY_ERR_WRONG_IDENTITY;
	/* Public measurements: plain comparisons are fine here. */
	if ((policy & FK_SGX_KEYPOLICY_MRENCLAVE) &&
	    memcmp(maker->mr_enclave, self->mr_enclave, sizeof(maker->mr_enclave)) != 0)
		return FUSEKEY_ERR_WRONG_IDENTITY;
	if ((policy & FK_SGX_KEYPOLICY_MRSIGNER) &&
	    memcmp(maker->mr_signer, self->mr_signer, sizeof(maker->mr_signer)) != 0)
		return FUSEKEY_ERR_WRONG_IDENTITY;
	if (!(policy & FK_SGX_KEYPOLICY_NOISVPRODID) &&
	    fk_le16(maker->isv_prod_id) != self->isv_prod_id)
		return FUSEKEY_ERR_WRONG_IDENTITY;
	/* DEBUG and INITTED are bound by every seal key (SDM EGETKEY). */
	if ((fk_le64(maker->flags) ^ self->flags) & (FK_SGX_FLAGS_DEBUG | FK_SGX_FLAGS_INITTED))
		return FUSEKEY_ERR_WRONG_IDENTITY;
	if ((policy & FK_SGX_KEYPOLICY_KSS) && fk_wire_kss_digest(policy, self, mine) == FUSEKEY_OK &&
	    memcmp(mine, maker_kss_digest, sizeof(mine)) != 0)
		return FUSEKEY_ERR_WRONG_IDENTITY;
	return FUSEKEY_ERR_MAC_MISMATCH;
}
