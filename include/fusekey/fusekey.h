/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fusekey public API: status codes and sizes.
 *
 * fusekey hands the encrypted-filesystem ("FUSE") key from the agent enclave to
 * the app enclave of a confidential container (seal, derive or local
 * attestation). This header is the stable surface; everything under src/ is
 * internal. The generate/get API lands with the delivery work; today the
 * header carries the status codes every layer returns.
 *
 * Contract for every function returning fusekey_status: FUSEKEY_OK (0) on
 * success; on failure no output buffer holds secret or unauthenticated data
 * (outputs are zeroed).
 */
#ifndef FUSEKEY_FUSEKEY_H
#define FUSEKEY_FUSEKEY_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define FUSEKEY_VERSION_STRING "0.1.0"

/*
 * One status enum for the whole library. Every authentication failure
 * (tag mismatch, forged blob, wrong key, tampered reserved bytes) is
 * FUSEKEY_ERR_MAC_MISMATCH, so an attacker learns nothing from which check
 * failed. The SGX_ERROR_* value each status corresponds to is given by
 * fusekey_status_to_sgx().
 */
typedef enum fusekey_status {
	FUSEKEY_OK = 0,
	FUSEKEY_ERR_INVALID_PARAMETER = 1, /* caller error: bad argument or size */
	FUSEKEY_ERR_MAC_MISMATCH = 2,      /* any authentication failure */
	FUSEKEY_ERR_INVALID_ATTRIBUTE = 3, /* EGETKEY: attribute not allowed */
	FUSEKEY_ERR_INVALID_CPUSVN = 4,    /* request CPUSVN beyond the platform's */
	FUSEKEY_ERR_INVALID_ISVSVN = 5,    /* request ISVSVN/CONFIGSVN beyond the enclave's */
	FUSEKEY_ERR_INVALID_KEYNAME = 6,   /* key name not supported */
	FUSEKEY_ERR_UNEXPECTED = 7,        /* internal failure (SDK's UNEXPECTED) */
	FUSEKEY_ERR_NO_MEMORY = 8,
	FUSEKEY_ERR_CRYPTO = 9,            /* the crypto library failed */
	FUSEKEY_ERR_IO = 10,               /* reading or writing a file failed */
	FUSEKEY_ERR_NOT_FOUND = 11,        /* a file or state directory is missing */
	FUSEKEY_ERR_EXISTS = 12,           /* refusing to overwrite */
	FUSEKEY_ERR_FORMAT = 13,           /* input is not the expected format */
	FUSEKEY_ERR_INVALID_SIGSTRUCT = 14,/* SIGSTRUCT header/exponent/layout wrong */
	FUSEKEY_ERR_INVALID_SIGNATURE = 15,/* SIGSTRUCT signature does not verify */
	FUSEKEY_ERR_NO_PLATFORM = 16,      /* no SGX platform selected or detected */
	FUSEKEY_ERR_PERMISSION = 17,       /* unsafe file mode or ownership */
	FUSEKEY_ERR_INVALID_STATE = 18,    /* call made in the wrong state */
	FUSEKEY_ERR_KDF_MISMATCH = 19,     /* LA: peer uses another KDF */
} fusekey_status;

/* A stable, short English description; never NULL. */
const char *fusekey_status_str(fusekey_status status);

/* The stable identifier, e.g. "FUSEKEY_ERR_MAC_MISMATCH"; never NULL. */
const char *fusekey_status_name(fusekey_status status);

/* The Intel SGX SDK sgx_status_t value with the same meaning (0 for OK). */
uint32_t fusekey_status_to_sgx(fusekey_status status);

/* Sizes of the SGX structures fusekey reads and writes (SDM Vol. 3D). */
#define FUSEKEY_KEY_REQUEST_SIZE 512u
#define FUSEKEY_REPORT_SIZE 432u
#define FUSEKEY_TARGET_INFO_SIZE 512u
#define FUSEKEY_REPORT_DATA_SIZE 64u
#define FUSEKEY_SIGSTRUCT_SIZE 1808u
#define FUSEKEY_SEALED_HEADER_SIZE 560u
#define FUSEKEY_KEY_SIZE 16u

#ifdef __cplusplus
}
#endif
#endif
