/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Method "seal": the agent draws a random key and seals it (sgx_sealed_data_t,
 * src/seal) with the seal binding as AAD (fk_wire.h); the app unseals it.
 *
 * The app's errors, from what it can tell:
 *   file missing                         NOT_FOUND
 *   shorter than its own length fields   TRUNCATED
 *   authentic, but another container's   WRONG_CONTAINER
 *   authentic, another policy required   POLICY_MISMATCH
 *   authentication fails and the maker's recorded identity differs from ours
 *   on a field the policy binds          WRONG_IDENTITY
 *   authentication fails otherwise       MAC_MISMATCH (modified, other platform)
 *   newer enclave / TCB                  INVALID_ISVSVN / INVALID_CPUSVN
 */
#include <string.h>

#include "delivery/fk_bundle.h"
#include "delivery/fk_method.h"
#include "delivery/fk_wire.h"
#include "seal/fk_seal.h"
#include "util/fk_file.h"

enum { SEALED_FILE_MAX = 4096 };

static fusekey_status make_binding(const struct fk_delivery_req *r, uint8_t method,
				   uint16_t policy, const struct fk_sgx_identity *self,
				   struct fk_seal_binding *b)
{
	size_t cid_len = strlen(r->cid); /* validated: <= 128 */

	memset(b, 0, sizeof(*b));
	memcpy(b->magic, FK_WIRE_MAGIC, sizeof(b->magic));
	fk_put_le16(b->version, FK_WIRE_VERSION);
	b->method = method;
	b->key_len = (uint8_t)r->key_len;
	fk_put_le16(b->key_policy, policy);
	fk_put_le16(b->cid_len, (uint16_t)cid_len);
	fk_wire_identity_from(self, &b->sealer);
	memcpy(b->container_id, r->cid, cid_len);
	return fk_wire_kss_digest(policy, self, b->kss_digest);
}

fusekey_status fk_sealed_key_write(const struct fk_delivery_req *r, const char *name,
				   uint8_t method, uint16_t policy, const uint8_t *key)
{
	struct fk_seal_binding binding;
	struct fk_seal_policy pol;
	struct fk_sgx_identity self;
	uint8_t blob[FK_SEALED_KEY_SIZE(FUSEKEY_KEY_MAX)];
	uint32_t blob_len = (uint32_t)FK_SEALED_KEY_SIZE(r->key_len);
	fusekey_status st;

	if (r->key_len != 16 && r->key_len != 32) /* blob is sized for 32 */
		return FUSEKEY_ERR_INVALID_PARAMETER;
	memset(blob, 0, sizeof(blob));
	fk_seal_policy_default(&pol);
	pol.key_policy = policy;
	if ((st = fk_platform_identity(r->p, &self)) != FUSEKEY_OK)
		goto out;
	if ((st = make_binding(r, method, policy, &self, &binding)) != FUSEKEY_OK)
		goto out;
	st = fk_seal(r->p, &pol, (const uint8_t *)&binding, sizeof(binding), key,
		     (uint32_t)r->key_len, blob, blob_len);
	if (st == FUSEKEY_ERR_UNEXPECTED)
		st = FUSEKEY_ERR_INVALID_PARAMETER; /* the platform refused the policy (KSS bits) */
	if (st != FUSEKEY_OK)
		goto out;
	st = fk_bundle_write(r->bundle, r->cid, name, blob, blob_len, r->force);
out:
	FK_WIPE(blob);
	return st;
}

static const char *const keep_sealed[] = {FK_BUNDLE_SEALED_NAME, NULL};

static fusekey_status seal_generate(const struct fk_delivery_req *r, uint8_t *key)
{
	fusekey_status st = fk_random(key, r->key_len);

	/* Replacing a key of another method: remove it first, so a crash leaves the
	 * old key, no key or the new one, never two (the caller holds the bundle lock). */
	if (st == FUSEKEY_OK && r->force)
		st = fk_bundle_remove_others(r->bundle, r->cid, keep_sealed);
	if (st == FUSEKEY_OK)
		st = fk_sealed_key_write(r, FK_BUNDLE_SEALED_NAME, FK_WIRE_METHOD_SEAL, r->policy,
					 key);
	if (st != FUSEKEY_OK)
		fk_wipe(key, r->key_len);
	return st;
}

/* Why did an authentic-looking blob fail to open? (fk_method_diagnose) */
static fusekey_status diagnose(const struct fk_delivery_req *r, const uint8_t *blob,
			       const struct fk_sealed_info *info)
{
	struct fk_seal_binding b;
	struct fk_sgx_identity self;

	if (info->aad_len != sizeof(b) || fk_platform_identity(r->p, &self) != FUSEKEY_OK)
		return FUSEKEY_ERR_MAC_MISMATCH;
	memcpy(&b, blob + FK_SGX_SEALED_HDR_SIZE + info->txt_len, sizeof(b));
	if (memcmp(b.magic, FK_WIRE_MAGIC, sizeof(b.magic)) != 0)
		return FUSEKEY_ERR_MAC_MISMATCH;
	return fk_method_diagnose(info->request.key_policy, &b.sealer, b.kss_digest, &self);
}

fusekey_status fk_sealed_key_read(const struct fk_delivery_req *r, const char *name,
				  uint8_t method, uint8_t *key, size_t *key_len)
{
	struct fk_seal_binding b;
	struct fk_sealed_info info;
	uint8_t txt[FUSEKEY_KEY_MAX];
	uint8_t *blob = NULL;
	size_t blob_len = 0;
	uint32_t txt_len = sizeof(txt), aad_len = sizeof(b);
	size_t cid_len = strlen(r->cid);
	fusekey_status st;

	memset(txt, 0, sizeof(txt));
	st = fk_bundle_read(r->bundle, r->cid, name, SEALED_FILE_MAX, &blob,
			    &blob_len);
	if (st != FUSEKEY_OK)
		goto out;
	/* Public framing first: a file shorter than what it declares was cut. */
	if (blob_len < FK_SGX_SEALED_HDR_SIZE) {
		st = FUSEKEY_ERR_TRUNCATED;
		goto out;
	}
	if (fk_sealed_parse(blob, blob_len, &info) != FUSEKEY_OK) {
		st = FUSEKEY_ERR_MAC_MISMATCH;
		goto out;
	}
	if (blob_len < (size_t)FK_SGX_SEALED_HDR_SIZE + info.payload_size) {
		st = FUSEKEY_ERR_TRUNCATED;
		goto out;
	}
	if (info.aad_len != sizeof(b) || info.txt_len > sizeof(txt)) {
		st = FUSEKEY_ERR_MAC_MISMATCH; /* not what seal_generate writes: edited */
		goto out;
	}
	st = fk_unseal(r->p, blob, blob_len, txt, &txt_len, (uint8_t *)&b, &aad_len);
	if (st == FUSEKEY_ERR_MAC_MISMATCH)
		st = diagnose(r, blob, &info);
	if (st != FUSEKEY_OK)
		goto out;
	/* Authentic from here on. The binding must be ours and for this container. */
	if (memcmp(b.magic, FK_WIRE_MAGIC, sizeof(b.magic)) != 0 ||
	    fk_le16(b.version) != FK_WIRE_VERSION || b.method != method ||
	    b.key_len != txt_len || (txt_len != 16 && txt_len != 32) ||
	    fk_le16(b.key_policy) != info.request.key_policy) {
		st = FUSEKEY_ERR_FORMAT;
		goto out;
	}
	if (fk_le16(b.cid_len) != cid_len || memcmp(b.container_id, r->cid, cid_len) != 0) {
		st = FUSEKEY_ERR_WRONG_CONTAINER;
		goto out;
	}
	if (r->policy != 0 && r->policy != info.request.key_policy) {
		st = FUSEKEY_ERR_POLICY_MISMATCH;
		goto out;
	}
	if (*key_len < txt_len) {
		st = FUSEKEY_ERR_INVALID_PARAMETER;
		goto out;
	}
	memcpy(key, txt, txt_len);
	*key_len = txt_len;
out:
	FK_WIPE(txt);
	fk_file_free(blob, blob_len);
	return st;
}

static fusekey_status seal_get(const struct fk_delivery_req *r, uint8_t *key, size_t *key_len)
{
	return fk_sealed_key_read(r, FK_BUNDLE_SEALED_NAME, FK_WIRE_METHOD_SEAL, key, key_len);
}

const struct fk_method_ops fk_method_seal = {
	.name = "seal",
	.id = FUSEKEY_METHOD_SEAL,
	.file_name = FK_BUNDLE_SEALED_NAME,
	.generate = seal_generate,
	.get = seal_get,
};
