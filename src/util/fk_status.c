/* SPDX-License-Identifier: Apache-2.0 */
/* Status names, descriptions and the SGX SDK status each maps to (sgx.md §9). */
#include "fusekey/fusekey.h"

struct status_row {
	const char *name;
	const char *text;
	uint32_t sgx;
};

static const struct status_row rows[] = {
	[FUSEKEY_OK] = {"FUSEKEY_OK", "success", 0x0000},
	[FUSEKEY_ERR_INVALID_PARAMETER] = {"FUSEKEY_ERR_INVALID_PARAMETER",
					   "invalid parameter", 0x0002},
	[FUSEKEY_ERR_MAC_MISMATCH] = {"FUSEKEY_ERR_MAC_MISMATCH",
				      "authentication failed (wrong enclave, key or tampered data)",
				      0x3001},
	[FUSEKEY_ERR_INVALID_ATTRIBUTE] = {"FUSEKEY_ERR_INVALID_ATTRIBUTE",
					   "enclave attributes do not allow this key", 0x3002},
	[FUSEKEY_ERR_INVALID_CPUSVN] = {"FUSEKEY_ERR_INVALID_CPUSVN",
					"CPUSVN is beyond the platform's current TCB", 0x3003},
	[FUSEKEY_ERR_INVALID_ISVSVN] = {"FUSEKEY_ERR_INVALID_ISVSVN",
					"ISVSVN or CONFIGSVN is beyond the enclave's own", 0x3004},
	[FUSEKEY_ERR_INVALID_KEYNAME] = {"FUSEKEY_ERR_INVALID_KEYNAME",
					 "key name not supported", 0x3005},
	[FUSEKEY_ERR_UNEXPECTED] = {"FUSEKEY_ERR_UNEXPECTED", "unexpected internal error",
				    0x0001},
	[FUSEKEY_ERR_NO_MEMORY] = {"FUSEKEY_ERR_NO_MEMORY", "out of memory", 0x0003},
	[FUSEKEY_ERR_CRYPTO] = {"FUSEKEY_ERR_CRYPTO", "cryptographic library failure", 0x0001},
	[FUSEKEY_ERR_IO] = {"FUSEKEY_ERR_IO", "input/output error", 0x0001},
	[FUSEKEY_ERR_NOT_FOUND] = {"FUSEKEY_ERR_NOT_FOUND", "not found", 0x0001},
	[FUSEKEY_ERR_EXISTS] = {"FUSEKEY_ERR_EXISTS", "already exists", 0x0001},
	[FUSEKEY_ERR_FORMAT] = {"FUSEKEY_ERR_FORMAT", "input is not in the expected format",
				0x0002},
	[FUSEKEY_ERR_INVALID_SIGSTRUCT] = {"FUSEKEY_ERR_INVALID_SIGSTRUCT",
					   "SIGSTRUCT is malformed", 0x0002},
	[FUSEKEY_ERR_INVALID_SIGNATURE] = {"FUSEKEY_ERR_INVALID_SIGNATURE",
					   "SIGSTRUCT signature does not verify", 0x0002},
	[FUSEKEY_ERR_NO_PLATFORM] = {"FUSEKEY_ERR_NO_PLATFORM",
				     "no SGX platform selected or available", 0x0001},
	[FUSEKEY_ERR_PERMISSION] = {"FUSEKEY_ERR_PERMISSION",
				    "unsafe permissions or ownership", 0x0001},
	[FUSEKEY_ERR_INVALID_STATE] = {"FUSEKEY_ERR_INVALID_STATE", "invalid state", 0x0005},
	[FUSEKEY_ERR_KDF_MISMATCH] = {"FUSEKEY_ERR_KDF_MISMATCH", "peer uses another KDF",
				      0x4011},
	[FUSEKEY_ERR_WRONG_IDENTITY] = {"FUSEKEY_ERR_WRONG_IDENTITY",
					"the key was made for another enclave identity", 0x3001},
	[FUSEKEY_ERR_WRONG_CONTAINER] = {"FUSEKEY_ERR_WRONG_CONTAINER",
					 "the key belongs to another container", 0x3001},
	[FUSEKEY_ERR_TRUNCATED] = {"FUSEKEY_ERR_TRUNCATED", "the key file is truncated",
				   0x3001},
	[FUSEKEY_ERR_POLICY_MISMATCH] = {"FUSEKEY_ERR_POLICY_MISMATCH",
					 "the key was made under another policy than required",
					 0x3001},
	/* The SDK's sgx_dh collapses every handshake failure to UNEXPECTED (sgx.md §8.5). */
	[FUSEKEY_ERR_HANDSHAKE] = {"FUSEKEY_ERR_HANDSHAKE",
				   "local attestation failed: a message is not authentic", 0x0001},
	[FUSEKEY_ERR_PEER_IDENTITY] = {"FUSEKEY_ERR_PEER_IDENTITY",
				       "the peer enclave's identity is not an allowed one", 0x0001},
	[FUSEKEY_ERR_EXHAUSTED] = {"FUSEKEY_ERR_EXHAUSTED",
				   "the channel's message counter is used up: start a new session",
				   0x0001},
	[FUSEKEY_ERR_UNAVAILABLE] = {"FUSEKEY_ERR_UNAVAILABLE",
				     "the key service cannot be reached", 0x0001},
	[FUSEKEY_ERR_TIMEOUT] = {"FUSEKEY_ERR_TIMEOUT", "the operation timed out", 0x0001},
	[FUSEKEY_ERR_REFUSED] = {"FUSEKEY_ERR_REFUSED",
				 "the key service refused to release the key", 0x0001},
};

static const struct status_row *row(fusekey_status status)
{
	unsigned i = (unsigned)status;
	if (i >= sizeof(rows) / sizeof(rows[0]) || rows[i].name == NULL)
		return NULL;
	return &rows[i];
}

const char *fusekey_status_str(fusekey_status status)
{
	const struct status_row *r = row(status);
	return r ? r->text : "unknown status";
}

const char *fusekey_status_name(fusekey_status status)
{
	const struct status_row *r = row(status);
	return r ? r->name : "FUSEKEY_ERR_UNKNOWN";
}

uint32_t fusekey_status_to_sgx(fusekey_status status)
{
	const struct status_row *r = row(status);
	return r ? r->sgx : 0x0001;
}
