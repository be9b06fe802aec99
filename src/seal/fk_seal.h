/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Sealing, sgx_sealed_data_t-compatible (sgx.md §6-§7; intel/linux-sgx
 * sdk/tseal): a blob sealed here unseals in an SDK enclave with the same
 * identity and vice versa.
 *
 * Stricter than the SDK, without breaking compatibility:
 *  - blobs whose reserved bytes 516..527 or 532..543 are not zero are refused
 *    (the SDK does not authenticate them; SDK blobs always hold zeros);
 *  - the blob length must be exactly 560 + payload_size;
 *  - plaintext is never left in the caller's buffer after a failed tag check:
 *    outputs are zeroed on every failure;
 *  - every authentication failure is FUSEKEY_ERR_MAC_MISMATCH. As in the SDK,
 *    FUSEKEY_ERR_INVALID_CPUSVN / _INVALID_ISVSVN pass through: they say the
 *    blob was sealed by a newer TCB or enclave version, which the caller needs.
 *
 * GCM runs with a zero IV; that is safe only because every blob draws a fresh
 * random 32-byte KEYID and so a fresh key. fk_seal_with_key_id exists for
 * known-answer tests: reusing a KEYID with different data breaks GCM.
 */
#ifndef FK_SEAL_H
#define FK_SEAL_H

#include "platform/fk_platform.h"

struct fk_seal_policy {
	uint16_t key_policy;      /* FK_SGX_KEYPOLICY_*; MRSIGNER by default */
	uint64_t attr_mask_flags; /* must contain INITTED and DEBUG */
	uint64_t attr_mask_xfrm;
	uint32_t misc_mask;
};

/* MRSIGNER, the SDK default masks (0xFF0000000000000B / 0 / 0xF0000000). */
void fk_seal_policy_default(struct fk_seal_policy *pol);

/*
 * sgx_seal_data_ex's parameter checks: policy within 0x3F with MRENCLAVE or
 * MRSIGNER; masks keep INITTED and DEBUG. FUSEKEY_ERR_INVALID_PARAMETER otherwise.
 */
fusekey_status fk_seal_policy_check(const struct fk_seal_policy *pol) FK_WARN_UNUSED;

/* 560 + aad_len + txt_len, or false when that overflows uint32_t. */
bool fk_seal_size(uint32_t aad_len, uint32_t txt_len, uint32_t *out);

/*
 * Seal txt (txt_len >= 1) with optional AAD into blob, whose size must be
 * exactly fk_seal_size(aad_len, txt_len). A fresh random KEYID is drawn.
 * A key the platform refuses (e.g. KSS bits in a non-KSS enclave) gives
 * FUSEKEY_ERR_UNEXPECTED, as sgx_seal_data_ex does. blob_size is also taken as
 * the size of the caller's buffer: all blob_size bytes are zeroed on failure.
 */
fusekey_status fk_seal(struct fk_platform *p, const struct fk_seal_policy *pol,
		       const uint8_t *aad, uint32_t aad_len, const uint8_t *txt,
		       uint32_t txt_len, uint8_t *blob, uint32_t blob_size) FK_WARN_UNUSED;

/* Same with a caller-chosen KEYID: known-answer tests only (see above). */
fusekey_status fk_seal_with_key_id(struct fk_platform *p, const struct fk_seal_policy *pol,
				   const uint8_t key_id[FK_SGX_KEYID_SIZE], const uint8_t *aad,
				   uint32_t aad_len, const uint8_t *txt, uint32_t txt_len,
				   uint8_t *blob, uint32_t blob_size) FK_WARN_UNUSED;

/* sgx_mac_aadata: authenticate aad (>= 1 byte) only, no plaintext. */
fusekey_status fk_mac_aad(struct fk_platform *p, const struct fk_seal_policy *pol,
			  const uint8_t key_id[FK_SGX_KEYID_SIZE] /* NULL = random */,
			  const uint8_t *aad, uint32_t aad_len, uint8_t *blob,
			  uint32_t blob_size) FK_WARN_UNUSED;

/*
 * Unseal. *txt_len and *aad_len are the capacities on entry and the lengths on
 * success (too small -> FUSEKEY_ERR_INVALID_PARAMETER). aad may be NULL when
 * the capacity is 0. On any failure txt and aad are zeroed to their capacity.
 */
fusekey_status fk_unseal(struct fk_platform *p, const uint8_t *blob, size_t blob_len,
			 uint8_t *txt, uint32_t *txt_len, uint8_t *aad,
			 uint32_t *aad_len) FK_WARN_UNUSED;

/* sgx_unmac_aadata: verify a blob made by fk_mac_aad and return its AAD. */
fusekey_status fk_unmac_aad(struct fk_platform *p, const uint8_t *blob, size_t blob_len,
			    uint8_t *aad, uint32_t *aad_len) FK_WARN_UNUSED;

/* Public facts of a blob, no key needed (for `fusekey inspect`). */
struct fk_sealed_info {
	struct fk_sgx_key_request_fields request;
	uint32_t txt_len;       /* plain_text_offset */
	uint32_t payload_size;  /* ciphertext + AAD */
	uint32_t aad_len;       /* payload_size - txt_len */
	bool reserved_zero;     /* reserved bytes 516..527, 532..543 all zero */
	bool length_matches;    /* blob_len == 560 + payload_size */
	uint8_t tag[16];
};
/* FUSEKEY_ERR_FORMAT when blob_len < 560 or the lengths are inconsistent. */
fusekey_status fk_sealed_parse(const uint8_t *blob, size_t blob_len, struct fk_sealed_info *out)
	FK_WARN_UNUSED;

#endif
