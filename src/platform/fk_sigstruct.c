/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SIGSTRUCT build, verification and emulated EINIT (SDM Vol. 3D 38.13 and the
 * EINIT pseudo-code; sgx.md §2). The emulator measures nothing, as the SDK's
 * simulation mode: MRENCLAVE is taken from ENCLAVEHASH.
 */
#include "platform/fk_sigstruct.h"

#include <string.h>
#include <time.h>

#include "util/fk_file.h"

fusekey_status fk_sigstruct_key_write(const struct fk_rsa_key *key, const char *path)
{
	uint8_t *pem = NULL;
	size_t len = 0;
	fusekey_status st;

	if (key == NULL || path == NULL || path[0] == '\0')
		return FUSEKEY_ERR_INVALID_PARAMETER;
	st = fk_rsa_to_pem(key, &pem, &len);
	if (st != FUSEKEY_OK)
		return st;
	st = fk_file_write_atomic(path, pem, len, 0600, false);
	fk_rsa_pem_free(pem, len);
	return st;
}

fusekey_status fk_sigstruct_key_read(const char *path, struct fk_rsa_key **out)
{
	uint8_t *pem = NULL;
	size_t len = 0;
	fusekey_status st;

	if (out == NULL)
		return FUSEKEY_ERR_INVALID_PARAMETER;
	*out = NULL;
	if (path == NULL || path[0] == '\0')
		return FUSEKEY_ERR_INVALID_PARAMETER;
	st = fk_file_read(path, FK_PEM_MAX, &pem, &len);
	if (st != FUSEKEY_OK)
		return st;
	st = fk_rsa_from_pem(pem, len, out);
	fk_file_free(pem, len);
	return st;
}

/* Today's date as the SIGSTRUCT DATE field: yyyymmdd in hex digits. */
static uint32_t today_bcd(void)
{
	time_t now = time(NULL);
	struct tm tm;
	uint32_t v = 0;
	unsigned digits[8];
	unsigned y, m, d;

	if (gmtime_r(&now, &tm) == NULL)
		return 0;
	y = (unsigned)(tm.tm_year + 1900);
	m = (unsigned)(tm.tm_mon + 1);
	d = (unsigned)tm.tm_mday;
	digits[0] = y / 1000 % 10;
	digits[1] = y / 100 % 10;
	digits[2] = y / 10 % 10;
	digits[3] = y % 10;
	digits[4] = m / 10;
	digits[5] = m % 10;
	digits[6] = d / 10;
	digits[7] = d % 10;
	for (int i = 0; i < 8; i++)
		v = v << 4 | digits[i];
	return v;
}

/* The 256-byte signed message: bytes [0,128) || [900,1028). */
static void signed_message(const struct fk_sgx_sigstruct *ss, uint8_t msg[256])
{
	const uint8_t *b = (const uint8_t *)ss;
	memcpy(msg, b + FK_SGX_SIGSTRUCT_SIGNED1_OFF, FK_SGX_SIGSTRUCT_SIGNED1_LEN);
	memcpy(msg + FK_SGX_SIGSTRUCT_SIGNED1_LEN, b + FK_SGX_SIGSTRUCT_SIGNED2_OFF,
	       FK_SGX_SIGSTRUCT_SIGNED2_LEN);
}

fusekey_status fk_sigstruct_sign(const struct fk_rsa_key *key,
				 const struct fk_sigstruct_params *params,
				 struct fk_sgx_sigstruct *out)
{
	uint8_t msg[256];
	uint64_t flags = FK_SGX_FLAGS_MODE64BIT;
	fusekey_status st;

	if (key == NULL || params == NULL || out == NULL)
		return FUSEKEY_ERR_INVALID_PARAMETER;
	memset(out, 0, sizeof(*out));
	memcpy(out->header, fk_sgx_sigstruct_header, sizeof(fk_sgx_sigstruct_header));
	fk_put_le32(out->header + 12, params->debug ? FK_SGX_SIGSTRUCT_TYPE_DEBUG : 0);
	fk_put_le32(out->vendor, 0);
	fk_put_le32(out->date, params->date ? params->date : today_bcd());
	memcpy(out->header2, fk_sgx_sigstruct_header2, sizeof(out->header2));
	fk_put_le32(out->exponent, 3);
	fk_put_le32(out->misc_select, params->misc_select);
	fk_put_le32(out->misc_mask, 0xFFFFFFFFu);
	memcpy(out->isv_family_id, params->isv_family_id, sizeof(out->isv_family_id));
	if (params->debug)
		flags |= FK_SGX_FLAGS_DEBUG;
	if (params->kss)
		flags |= FK_SGX_FLAGS_KSS;
	fk_put_le64(out->attributes.flags, flags);
	fk_put_le64(out->attributes.xfrm, FK_SGX_XFRM_LEGACY);
	/* Every flag bit must match at EINIT; XFRM is left to the platform. */
	fk_put_le64(out->attribute_mask.flags, ~0ULL);
	fk_put_le64(out->attribute_mask.xfrm, 0);
	memcpy(out->enclave_hash, params->enclave_hash, sizeof(out->enclave_hash));
	memcpy(out->isv_ext_prod_id, params->isv_ext_prod_id, sizeof(out->isv_ext_prod_id));
	fk_put_le16(out->isv_prod_id, params->isv_prod_id);
	fk_put_le16(out->isv_svn, params->isv_svn);

	st = fk_rsa_modulus_le(key, out->modulus);
	if (st != FUSEKEY_OK)
		goto out;
	signed_message(out, msg);
	st = fk_rsa_sign(key, msg, sizeof(msg), out->signature);
	if (st != FUSEKEY_OK)
		goto out;
	st = fk_rsa_sigstruct_q1q2(out->modulus, out->signature, out->q1, out->q2);
out:
	if (st != FUSEKEY_OK)
		memset(out, 0, sizeof(*out));
	return st;
}

fusekey_status fk_sigstruct_verify(const struct fk_sgx_sigstruct *ss)
{
	uint8_t msg[256], q1[FK_SGX_RSA3072_SIZE], q2[FK_SGX_RSA3072_SIZE];
	uint32_t type;
	fusekey_status st;

	if (ss == NULL)
		return FUSEKEY_ERR_INVALID_PARAMETER;
	/* EINIT: header, header2 and exponent (status INVALID_SIG_STRUCT). */
	type = fk_le32(ss->header + 12);
	if (memcmp(ss->header, fk_sgx_sigstruct_header, sizeof(fk_sgx_sigstruct_header)) != 0 ||
	    (type != 0 && type != FK_SGX_SIGSTRUCT_TYPE_DEBUG) ||
	    memcmp(ss->header2, fk_sgx_sigstruct_header2, sizeof(ss->header2)) != 0 ||
	    fk_le32(ss->exponent) != 3)
		return FUSEKEY_ERR_INVALID_SIGSTRUCT;
	if (!fk_sgx_all_zero(ss->reserved1, sizeof(ss->reserved1)) ||
	    !fk_sgx_all_zero(ss->reserved2, sizeof(ss->reserved2)) ||
	    !fk_sgx_all_zero(ss->reserved3, sizeof(ss->reserved3)) ||
	    !fk_sgx_all_zero(ss->reserved4, sizeof(ss->reserved4)))
		return FUSEKEY_ERR_INVALID_SIGSTRUCT;
	signed_message(ss, msg);
	st = fk_rsa_verify(ss->modulus, 3, msg, sizeof(msg), ss->signature);
	if (st != FUSEKEY_OK)
		return FUSEKEY_ERR_INVALID_SIGNATURE;
	/* The CPU checks the signature with Q1/Q2; a SIGSTRUCT with wrong ones fails EINIT. */
	st = fk_rsa_sigstruct_q1q2(ss->modulus, ss->signature, q1, q2);
	if (st != FUSEKEY_OK)
		return st;
	if (memcmp(q1, ss->q1, sizeof(q1)) != 0 || memcmp(q2, ss->q2, sizeof(q2)) != 0)
		return FUSEKEY_ERR_INVALID_SIGNATURE;
	return FUSEKEY_OK;
}

fusekey_status fk_sigstruct_to_identity(const struct fk_sgx_sigstruct *ss,
					const uint8_t *config_id, uint16_t config_svn,
					struct fk_sgx_identity *out)
{
	uint64_t flags;
	fusekey_status st;

	if (out == NULL)
		return FUSEKEY_ERR_INVALID_PARAMETER;
	memset(out, 0, sizeof(*out));
	st = fk_sigstruct_verify(ss);
	if (st != FUSEKEY_OK)
		return st;
	flags = fk_le64(ss->attributes.flags);
	/* The enclave is launched exactly as signed: SECS.ATTRIBUTES = ATTRIBUTES, so
	 * EINIT's masked comparison holds by construction (masks as signers write
	 * them, e.g. the SDK's 0xfffffffffffffffb, need no check here). */
	/* CONFIGID/CONFIGSVN are launch parameters that only a KSS enclave takes. */
	if (!(flags & FK_SGX_FLAGS_KSS) &&
	    ((config_id && !fk_sgx_all_zero(config_id, FK_SGX_CONFIGID_SIZE)) || config_svn != 0))
		return FUSEKEY_ERR_INVALID_PARAMETER;

	out->flags = flags | FK_SGX_FLAGS_INITTED;
	out->xfrm = fk_le64(ss->attributes.xfrm);
	out->misc_select = fk_le32(ss->misc_select);
	out->cet_attributes = ss->cet_attributes;
	memcpy(out->mr_enclave, ss->enclave_hash, sizeof(out->mr_enclave));
	st = fk_sha256(ss->modulus, sizeof(ss->modulus), out->mr_signer);
	if (st != FUSEKEY_OK) {
		memset(out, 0, sizeof(*out));
		return st;
	}
	out->isv_prod_id = fk_le16(ss->isv_prod_id);
	out->isv_svn = fk_le16(ss->isv_svn);
	out->config_svn = config_svn;
	if (config_id)
		memcpy(out->config_id, config_id, FK_SGX_CONFIGID_SIZE);
	memcpy(out->isv_family_id, ss->isv_family_id, sizeof(out->isv_family_id));
	memcpy(out->isv_ext_prod_id, ss->isv_ext_prod_id, sizeof(out->isv_ext_prod_id));
	return FUSEKEY_OK;
}
