/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fusekey's own formats, in one place (docs/delivery.md):
 *
 *  - the seal binding: the AAD of every sealed FUSE key. Authenticated by the
 *    blob's GCM tag and stored in clear after the ciphertext (sgx.md §6), it
 *    binds the key to a format version, the method, the policy, the key length
 *    and the container id, so a blob copied to another container is refused.
 *    It also records the sealer's public identity (MRENCLAVE, MRSIGNER, flags,
 *    ISVPRODID, ISVSVN) so that a refusal can say *why* ("made for another
 *    signer") — these are measurements, not secrets.
 *  - the derive descriptor (derive.json): the public key request both enclaves
 *    run EGETKEY with; field names below.
 *
 * Byte layouts are arrays of uint8_t, little-endian, pinned by _Static_assert.
 */
#ifndef FK_WIRE_H
#define FK_WIRE_H

#include <stddef.h>

#include "fusekey/fusekey.h"
#include "sgx/fk_sgx.h"

#define FK_WIRE_MAGIC "FUSEKEY1" /* 8 bytes, no NUL */
enum {
	FK_WIRE_VERSION = 1,
	FK_WIRE_METHOD_SEAL = 1,
	FK_WIRE_METHOD_DERIVE = 2,
	FK_WIRE_METHOD_LA = 3, /* key.la: the agent's own copy, sealed to itself */
	FK_WIRE_CID_MAX = 128, /* = FUSEKEY_CONTAINER_ID_MAX */
};

/* Identity of the enclave that made the key (public measurements). */
struct fk_wire_identity {
	uint8_t mr_enclave[32];
	uint8_t mr_signer[32];
	uint8_t flags[8];
	uint8_t isv_prod_id[2];
	uint8_t isv_svn[2];
	uint8_t reserved[4];
};

/* The AAD of a sealed FUSE key: 240 bytes. */
struct fk_seal_binding {
	uint8_t magic[8];       /* FK_WIRE_MAGIC */
	uint8_t version[2];     /* FK_WIRE_VERSION */
	uint8_t method;         /* FK_WIRE_METHOD_SEAL */
	uint8_t key_len;        /* 16 or 32 */
	uint8_t key_policy[2];  /* equals the blob's key_request.key_policy */
	uint8_t cid_len[2];     /* 1..128 */
	struct fk_wire_identity sealer;
	uint8_t container_id[FK_WIRE_CID_MAX]; /* zero-padded */
	uint8_t kss_digest[16]; /* fk_wire_kss_digest of the sealer; zero without KSS bits */
};

_Static_assert(sizeof(struct fk_wire_identity) == 80, "wire identity");
_Static_assert(sizeof(struct fk_seal_binding) == 240, "seal binding");
_Static_assert(offsetof(struct fk_seal_binding, version) == 8, "binding.version");
_Static_assert(offsetof(struct fk_seal_binding, method) == 10, "binding.method");
_Static_assert(offsetof(struct fk_seal_binding, key_len) == 11, "binding.key_len");
_Static_assert(offsetof(struct fk_seal_binding, key_policy) == 12, "binding.key_policy");
_Static_assert(offsetof(struct fk_seal_binding, cid_len) == 14, "binding.cid_len");
_Static_assert(offsetof(struct fk_seal_binding, sealer) == 16, "binding.sealer");
_Static_assert(offsetof(struct fk_seal_binding, container_id) == 96, "binding.container_id");
_Static_assert(offsetof(struct fk_seal_binding, kss_digest) == 224, "binding.kss_digest");
_Static_assert(FK_WIRE_CID_MAX == FUSEKEY_CONTAINER_ID_MAX, "container id bound");

/* A sealed FUSE key: sgx_sealed_data_t with key_len bytes of text and the binding. */
#define FK_SEALED_KEY_SIZE(key_len) (FK_SGX_SEALED_HDR_SIZE + sizeof(struct fk_seal_binding) + (key_len))

void fk_wire_identity_from(const struct fk_sgx_identity *id, struct fk_wire_identity *out);

/*
 * The KSS ids a policy binds, as a public digest, so that a refusal can say
 * "another family / extended product / CONFIGID" without recording them:
 * SHA-256("fusekey-kss-v1" || family id or 16 zeros || ext prod id or 16 zeros
 * || config id or 64 zeros)[0,16), each field present only when its policy bit
 * (ISVFAMILYID, ISVEXTPRODID, CONFIGID) is set; all zero when none is.
 */
#define FK_WIRE_KSS_LABEL "fusekey-kss-v1"
fusekey_status fk_wire_kss_digest(uint16_t policy, const struct fk_sgx_identity *id,
				  uint8_t out[16]) __attribute__((warn_unused_result));

/*
 * The la key grant (docs/service.md): the plaintext of the one AEK record
 * fusekeyd sends in ExchangeResponse.key_record. It repeats what the app
 * asked for, so the app refuses a key released for another container or
 * another launch spec (the request itself travels outside the AEK).
 */
#define FK_GRANT_MAGIC "FKGRANT1" /* 8 bytes, no NUL */
enum { FK_GRANT_VERSION = 1, FK_GRANT_LAUNCH_SIZE = 32 };
struct fk_key_grant {
	uint8_t magic[8];        /* FK_GRANT_MAGIC */
	uint8_t version[2];      /* FK_GRANT_VERSION */
	uint8_t key_len;         /* 16 or 32 */
	uint8_t has_launch;      /* 1 if launch_digest was sent and checked, else 0 */
	uint8_t cid_len[2];      /* 1..128 */
	uint8_t reserved[2];     /* zero */
	uint8_t container_id[FK_WIRE_CID_MAX]; /* zero-padded */
	uint8_t launch_digest[FK_GRANT_LAUNCH_SIZE]; /* as sent, or zero */
	uint8_t key[FUSEKEY_KEY_MAX];                 /* key_len bytes, zero-padded */
};
_Static_assert(sizeof(struct fk_key_grant) == 208, "key grant");
_Static_assert(offsetof(struct fk_key_grant, version) == 8, "grant.version");
_Static_assert(offsetof(struct fk_key_grant, key_len) == 10, "grant.key_len");
_Static_assert(offsetof(struct fk_key_grant, has_launch) == 11, "grant.has_launch");
_Static_assert(offsetof(struct fk_key_grant, cid_len) == 12, "grant.cid_len");
_Static_assert(offsetof(struct fk_key_grant, reserved) == 14, "grant.reserved");
_Static_assert(offsetof(struct fk_key_grant, container_id) == 16, "grant.container_id");
_Static_assert(offsetof(struct fk_key_grant, launch_digest) == 144, "grant.launch_digest");
_Static_assert(offsetof(struct fk_key_grant, key) == 176, "grant.key");

/* The key service's names (proto/fusekey/v1/keyservice.proto). */
#define FK_KEYSERVICE_NAME "fusekey.v1.KeyService"
enum { FK_KEYSERVICE_SESSION_ID_SIZE = 16 };

/*
 * The derive descriptor, derive.json (UTF-8 JSON object, at most 4 KiB):
 *   "format": "fusekey-derive", "version": 1, "container_id": "<cid>",
 *   "key_len": 16|32, "key_policy": n, "attribute_mask": {"flags": "0x<16 hex>",
 *   "xfrm": "0x<16 hex>"}, "misc_mask": n, "isv_svn": n, "config_svn": n,
 *   "cpu_svn": "<32 hex>", "salt": "<64 hex>", "key_check": "<32 hex>",
 *   "agent": {"mr_enclave": "<64 hex>", "mr_signer": "<64 hex>", "flags": "0x<16 hex>",
 *             "isv_prod_id": n, "isv_svn": n, "kss_digest": "<32 hex>"}
 * KEYID_i = SHA-256("fusekey-derive-keyid-v1" || salt || u8 key_len || u8 i ||
 *                   u16le cid_len || cid)
 * key = EGETKEY(SEAL, KEYID_0) [|| EGETKEY(SEAL, KEYID_1) for 32 bytes]
 * key_check = AES-128-CMAC(key[0,16), "fusekey-derive-check-v1" || cid): lets the
 * app tell "another identity" from success without revealing the key.
 */
#define FK_DERIVE_FORMAT "fusekey-derive"
#define FK_DERIVE_KEYID_LABEL "fusekey-derive-keyid-v1"
#define FK_DERIVE_CHECK_LABEL "fusekey-derive-check-v1"
enum { FK_DERIVE_SALT_SIZE = 32, FK_DERIVE_DESC_MAX = 4096 };

#endif
