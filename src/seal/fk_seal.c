/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Sealing (sgx.md §6-§7): the SDK's sgx_seal_data_ex / sgx_unseal_data /
 * sgx_mac_aadata / sgx_unmac_aadata, with the stricter checks of fk_seal.h.
 *
 * Blob = key request (512) | plain_text_offset | 12 zero | payload_size |
 *        12 zero | GCM tag | ciphertext | AAD in clear.
 * AES-128-GCM, key = EGETKEY(stored key request), IV = 12 zero bytes.
 */
#include "seal/fk_seal.h"

#include <string.h>

static const uint8_t zero_iv[FK_GCM_IV_SIZE];

void fk_seal_policy_default(struct fk_seal_policy *pol)
{
	pol->key_policy = FK_SGX_KEYPOLICY_MRSIGNER;
	pol->attr_mask_flags = FK_SGX_TSEAL_DEFAULT_FLAGSMASK;
	pol->attr_mask_xfrm = FK_SGX_TSEAL_DEFAULT_XFRMMASK;
	pol->misc_mask = FK_SGX_TSEAL_DEFAULT_MISCMASK;
}

fusekey_status fk_seal_policy_check(const struct fk_seal_policy *pol)
{
	const uint64_t always = FK_SGX_FLAGS_INITTED | FK_SGX_FLAGS_DEBUG;

	if (pol == NULL || (pol->key_policy & ~FK_SGX_KEYPOLICY_VALID) ||
	    !(pol->key_policy & (FK_SGX_KEYPOLICY_MRENCLAVE | FK_SGX_KEYPOLICY_MRSIGNER)))
		return FUSEKEY_ERR_INVALID_PARAMETER;
	/* A mask without INITTED or DEBUG would let a debug enclave unseal production data. */
	if ((pol->attr_mask_flags & always) != always)
		return FUSEKEY_ERR_INVALID_PARAMETER;
	return FUSEKEY_OK;
}

bool fk_seal_size(uint32_t aad_len, uint32_t txt_len, uint32_t *out)
{
	return fk_sgx_sealed_size(aad_len, txt_len, out);
}

/* sgx_seal_data_ex steps 2-5 (seal README): one body for seal and mac_aadata. */
static fusekey_status seal_core(struct fk_platform *p, const struct fk_seal_policy *pol,
				const uint8_t *key_id, const uint8_t *aad, uint32_t aad_len,
				const uint8_t *txt, uint32_t txt_len, uint8_t *blob,
				uint32_t blob_size)
{
	struct fk_sgx_sealed_hdr *hdr = (struct fk_sgx_sealed_hdr *)blob;
	struct fk_sgx_key_request_fields f;
	struct fk_sgx_identity id;
	uint8_t key[FK_SGX_KEY_SIZE];
	uint8_t *payload;
	uint32_t want;
	fusekey_status st;

	memset(&f, 0, sizeof(f));
	if (blob == NULL)
		return FUSEKEY_ERR_INVALID_PARAMETER;
	memset(blob, 0, blob_size);
	payload = blob + FK_SGX_SEALED_HDR_SIZE;
	st = fk_seal_policy_check(pol);
	if (st != FUSEKEY_OK)
		return st;
	if ((aad_len > 0 && aad == NULL) || (txt_len > 0 && txt == NULL) ||
	    !fk_seal_size(aad_len, txt_len, &want) || blob_size != want)
		return FUSEKEY_ERR_INVALID_PARAMETER;

	if ((st = fk_platform_identity(p, &id)) != FUSEKEY_OK ||
	    (st = fk_platform_cpu_svn(p, f.cpu_svn)) != FUSEKEY_OK)
		goto out;
	f.key_name = FK_SGX_KEYNAME_SEAL;
	f.key_policy = pol->key_policy;
	f.isv_svn = id.isv_svn;
	f.config_svn = id.config_svn;
	f.attr_mask_flags = pol->attr_mask_flags;
	f.attr_mask_xfrm = pol->attr_mask_xfrm;
	f.misc_mask = pol->misc_mask;
	if (key_id != NULL)
		memcpy(f.key_id, key_id, sizeof(f.key_id));
	else if ((st = fk_random(f.key_id, sizeof(f.key_id))) != FUSEKEY_OK)
		goto out;
	fk_sgx_key_request_encode(&f, &hdr->key_request);

	/* A key the platform refuses is the SDK's UNEXPECTED (seal README step 3). */
	if (fk_platform_get_key(p, &hdr->key_request, key) != FUSEKEY_OK) {
		st = FUSEKEY_ERR_UNEXPECTED;
		goto out;
	}
	st = fk_gcm128_encrypt(key, zero_iv, aad, aad_len, txt, txt_len, payload,
			       hdr->payload_tag);
	if (st != FUSEKEY_OK)
		goto out;
	if (aad_len > 0)
		memcpy(payload + txt_len, aad, aad_len);
	fk_put_le32(hdr->plain_text_offset, txt_len);
	fk_put_le32(hdr->payload_size, txt_len + aad_len); /* bounded by fk_seal_size */
out:
	FK_WIPE(key);
	if (st != FUSEKEY_OK)
		fk_wipe(blob, blob_size);
	return st;
}

fusekey_status fk_seal(struct fk_platform *p, const struct fk_seal_policy *pol,
		       const uint8_t *aad, uint32_t aad_len, const uint8_t *txt,
		       uint32_t txt_len, uint8_t *blob, uint32_t blob_size)
{
	return fk_seal_with_key_id(p, pol, NULL, aad, aad_len, txt, txt_len, blob, blob_size);
}

fusekey_status fk_seal_with_key_id(struct fk_platform *p, const struct fk_seal_policy *pol,
				   const uint8_t key_id[FK_SGX_KEYID_SIZE], const uint8_t *aad,
				   uint32_t aad_len, const uint8_t *txt, uint32_t txt_len,
				   uint8_t *blob, uint32_t blob_size)
{
	if (txt_len == 0) {
		if (blob != NULL)
			memset(blob, 0, blob_size);
		return FUSEKEY_ERR_INVALID_PARAMETER;
	}
	return seal_core(p, pol, key_id, aad, aad_len, txt, txt_len, blob, blob_size);
}

fusekey_status fk_mac_aad(struct fk_platform *p, const struct fk_seal_policy *pol,
			  const uint8_t key_id[FK_SGX_KEYID_SIZE], const uint8_t *aad,
			  uint32_t aad_len, uint8_t *blob, uint32_t blob_size)
{
	if (aad_len == 0) {
		if (blob != NULL)
			memset(blob, 0, blob_size);
		return FUSEKEY_ERR_INVALID_PARAMETER;
	}
	return seal_core(p, pol, key_id, aad, aad_len, NULL, 0, blob, blob_size);
}

/*
 * The length fields of a blob: sgx_unseal_data step 1. False when the
 * subtraction wraps or the total overflows 32 bits (-> MAC_MISMATCH).
 */
static bool blob_lengths(const struct fk_sgx_sealed_hdr *hdr, uint32_t *enc_len,
			 uint32_t *add_len)
{
	uint32_t enc = fk_le32(hdr->plain_text_offset);
	uint32_t payload = fk_le32(hdr->payload_size);
	uint32_t add = payload - enc, total;

	*enc_len = enc;
	*add_len = add;
	if (enc > payload || enc == UINT32_MAX)
		return false;
	return fk_sgx_sealed_size(enc, add, &total);
}

/*
 * The framing of an untrusted blob: sgx_unseal_data's length rules, then ours
 * (exact length, reserved bytes zero: they are not authenticated, so a
 * non-zero byte means someone edited the blob). Checked before the caller's
 * buffer sizes, so a forged length field is an authentication failure and
 * never "your buffer is too small".
 */
static bool frame_ok(const uint8_t *blob, size_t blob_len, uint32_t *enc_len, uint32_t *add_len)
{
	const struct fk_sgx_sealed_hdr *hdr = (const struct fk_sgx_sealed_hdr *)blob;

	*enc_len = 0;
	*add_len = 0;
	if (blob == NULL || blob_len < FK_SGX_SEALED_HDR_SIZE ||
	    !blob_lengths(hdr, enc_len, add_len))
		return false;
	return blob_len == (size_t)FK_SGX_SEALED_HDR_SIZE + *enc_len + *add_len &&
	       fk_sgx_all_zero(hdr->reserved1, sizeof(hdr->reserved1)) &&
	       fk_sgx_all_zero(hdr->reserved2, sizeof(hdr->reserved2));
}

/* Shared tail of unseal and unmac: the key, then the tag. */
static fusekey_status open_blob(struct fk_platform *p, const uint8_t *blob, uint32_t enc_len,
				uint32_t add_len, uint8_t *txt)
{
	const struct fk_sgx_sealed_hdr *hdr = (const struct fk_sgx_sealed_hdr *)blob;
	const uint8_t *payload = blob + FK_SGX_SEALED_HDR_SIZE;
	uint8_t key[FK_SGX_KEY_SIZE];
	fusekey_status st;

	/* The stored request, unchanged. CPUSVN/ISVSVN say "sealed by a newer TCB or
	 * enclave" and pass through as in the SDK; every other refusal is a forgery. */
	st = fk_platform_get_key(p, &hdr->key_request, key);
	if (st != FUSEKEY_OK && st != FUSEKEY_ERR_INVALID_CPUSVN &&
	    st != FUSEKEY_ERR_INVALID_ISVSVN)
		st = FUSEKEY_ERR_MAC_MISMATCH;
	if (st != FUSEKEY_OK)
		goto out;
	st = fk_gcm128_decrypt(key, zero_iv, payload + enc_len, add_len, payload, enc_len,
			       hdr->payload_tag, txt);
	if (st != FUSEKEY_OK)
		st = FUSEKEY_ERR_MAC_MISMATCH;
out:
	FK_WIPE(key);
	return st;
}

fusekey_status fk_unseal(struct fk_platform *p, const uint8_t *blob, size_t blob_len,
			 uint8_t *txt, uint32_t *txt_len, uint8_t *aad, uint32_t *aad_len)
{
	uint32_t enc_len = 0, add_len = 0, txt_cap, aad_cap;
	fusekey_status st;

	if (txt_len == NULL || aad_len == NULL)
		return FUSEKEY_ERR_INVALID_PARAMETER;
	txt_cap = *txt_len;
	aad_cap = *aad_len;
	if ((txt_cap > 0 && txt == NULL) || (aad_cap > 0 && aad == NULL))
		return FUSEKEY_ERR_INVALID_PARAMETER;
	if (txt_cap > 0)
		memset(txt, 0, txt_cap);
	if (aad_cap > 0)
		memset(aad, 0, aad_cap);
	if (!frame_ok(blob, blob_len, &enc_len, &add_len)) {
		st = FUSEKEY_ERR_MAC_MISMATCH; /* truncated, extended or edited framing */
		goto out;
	}
	/* sgx_unseal_data step 2: no ciphertext, or the caller's buffers too small
	 * (INVALID_PARAMETER, as the SDK; the framing above is already consistent). */
	if (enc_len < 1 || txt_cap < enc_len || aad_cap < add_len) {
		st = FUSEKEY_ERR_INVALID_PARAMETER;
		goto out;
	}
	st = open_blob(p, blob, enc_len, add_len, txt);
	if (st != FUSEKEY_OK)
		goto out;
	if (add_len > 0)
		memcpy(aad, blob + FK_SGX_SEALED_HDR_SIZE + enc_len, add_len);
	*txt_len = enc_len;
	*aad_len = add_len;
out:
	if (st != FUSEKEY_OK) {
		if (txt_cap > 0)
			fk_wipe(txt, txt_cap);
		if (aad_cap > 0)
			fk_wipe(aad, aad_cap);
	}
	return st;
}

fusekey_status fk_unmac_aad(struct fk_platform *p, const uint8_t *blob, size_t blob_len,
			    uint8_t *aad, uint32_t *aad_len)
{
	uint32_t enc_len = 0, add_len = 0, aad_cap;
	fusekey_status st;

	if (aad_len == NULL)
		return FUSEKEY_ERR_INVALID_PARAMETER;
	aad_cap = *aad_len;
	if (aad_cap > 0 && aad == NULL)
		return FUSEKEY_ERR_INVALID_PARAMETER;
	if (aad_cap > 0)
		memset(aad, 0, aad_cap);
	/* sgx_unmac_aadata: no ciphertext allowed, AAD required. */
	if (!frame_ok(blob, blob_len, &enc_len, &add_len) || enc_len != 0 || add_len == 0) {
		st = FUSEKEY_ERR_MAC_MISMATCH;
		goto out;
	}
	if (aad_cap < add_len) {
		st = FUSEKEY_ERR_INVALID_PARAMETER;
		goto out;
	}
	st = open_blob(p, blob, 0, add_len, NULL);
	if (st != FUSEKEY_OK)
		goto out;
	memcpy(aad, blob + FK_SGX_SEALED_HDR_SIZE, add_len);
	*aad_len = add_len;
out:
	if (st != FUSEKEY_OK && aad_cap > 0)
		fk_wipe(aad, aad_cap);
	return st;
}

fusekey_status fk_sealed_parse(const uint8_t *blob, size_t blob_len, struct fk_sealed_info *out)
{
	const struct fk_sgx_sealed_hdr *hdr = (const struct fk_sgx_sealed_hdr *)blob;
	uint32_t enc_len, add_len;

	if (out == NULL)
		return FUSEKEY_ERR_INVALID_PARAMETER;
	memset(out, 0, sizeof(*out));
	if (blob == NULL || blob_len < FK_SGX_SEALED_HDR_SIZE)
		return FUSEKEY_ERR_FORMAT;
	if (!blob_lengths(hdr, &enc_len, &add_len))
		return FUSEKEY_ERR_FORMAT;
	fk_sgx_key_request_decode(&hdr->key_request, &out->request);
	out->txt_len = enc_len;
	out->payload_size = fk_le32(hdr->payload_size);
	out->aad_len = add_len;
	out->reserved_zero = fk_sgx_all_zero(hdr->reserved1, sizeof(hdr->reserved1)) &&
			     fk_sgx_all_zero(hdr->reserved2, sizeof(hdr->reserved2));
	out->length_matches = blob_len == (size_t)FK_SGX_SEALED_HDR_SIZE + out->payload_size;
	memcpy(out->tag, hdr->payload_tag, sizeof(out->tag));
	return FUSEKEY_OK;
}
