/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SIGSTRUCT (SDM Vol. 3D 38.13): build and sign one, verify one, and the EINIT
 * emulation that turns a verified SIGSTRUCT into the SECS identity the
 * emulated platform runs with (sgx.md §2 "SIGSTRUCT").
 *
 * The layout is the one Gramine's gramine-sgx-sign and the SGX SDK's
 * sgx_sign write; RSA-3072, e = 3, PKCS#1 v1.5 SHA-256 over bytes
 * [0,128) || [900,1028), modulus and signature stored little-endian.
 */
#ifndef FK_SIGSTRUCT_H
#define FK_SIGSTRUCT_H

#include "crypto/fk_crypto.h"
#include "sgx/fk_sgx.h"

struct fk_sigstruct_params {
	uint8_t enclave_hash[FK_SGX_HASH_SIZE]; /* expected MRENCLAVE */
	uint16_t isv_prod_id;
	uint16_t isv_svn;
	bool debug;    /* ATTRIBUTES.DEBUG and header type bit 31 */
	bool kss;      /* ATTRIBUTES.KSS */
	uint32_t misc_select;
	uint8_t isv_family_id[FK_SGX_ISV_FAMILY_ID_SIZE];
	uint8_t isv_ext_prod_id[FK_SGX_ISVEXT_PROD_ID_SIZE];
	uint32_t date; /* yyyymmdd as BCD-like hex digits, e.g. 0x20261129; 0 = today */
};

/*
 * The signing key's file: unencrypted PKCS#8 PEM (fk_rsa_to_pem).
 * fk_sigstruct_key_write creates `path` atomically with mode 0600
 * (fk_file_write_atomic): never overwrites (FUSEKEY_ERR_EXISTS), never writes
 * through a symlink (FUSEKEY_ERR_FORMAT), never leaves half a key; the PEM
 * copy in memory is wiped. fk_sigstruct_key_read reads at most FK_PEM_MAX
 * bytes (FUSEKEY_ERR_NOT_FOUND if missing, FUSEKEY_ERR_FORMAT if not an
 * RSA-3072, e=3 key).
 */
fusekey_status fk_sigstruct_key_write(const struct fk_rsa_key *key,
				      const char *path) FK_WARN_UNUSED;
fusekey_status fk_sigstruct_key_read(const char *path, struct fk_rsa_key **out) FK_WARN_UNUSED;

/* Build and sign. */
fusekey_status fk_sigstruct_sign(const struct fk_rsa_key *key,
				 const struct fk_sigstruct_params *params,
				 struct fk_sgx_sigstruct *out) FK_WARN_UNUSED;

/*
 * EINIT's SIGSTRUCT checks: header, header2 and exponent 3
 * (FUSEKEY_ERR_INVALID_SIGSTRUCT), non-zero reserved fields
 * (FUSEKEY_ERR_INVALID_SIGSTRUCT), the signature (FUSEKEY_ERR_INVALID_SIGNATURE)
 * and the Q1/Q2 values (FUSEKEY_ERR_INVALID_SIGNATURE).
 */
fusekey_status fk_sigstruct_verify(const struct fk_sgx_sigstruct *ss) FK_WARN_UNUSED;

/*
 * Emulated EINIT: verify, then SECS = MRENCLAVE := ENCLAVEHASH,
 * MRSIGNER := SHA-256(MODULUS as stored), ISVPRODID, ISVSVN, ISVFAMILYID,
 * ISVEXTPRODID, MISCSELECT, ATTRIBUTES | INITTED from the SIGSTRUCT.
 * config_id (64 B, may be NULL = zeros) and config_svn are launch parameters
 * and only allowed for a KSS enclave (else FUSEKEY_ERR_INVALID_PARAMETER).
 */
fusekey_status fk_sigstruct_to_identity(const struct fk_sgx_sigstruct *ss,
					const uint8_t *config_id, uint16_t config_svn,
					struct fk_sgx_identity *out) FK_WARN_UNUSED;

#endif
