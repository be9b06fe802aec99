/* SPDX-License-Identifier: Apache-2.0 */
/* Dispatch through the platform operations table, and checks shared by all platforms. */
#include "platform/fk_platform.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define OPS_OK(p, op) ((p) != NULL && (p)->ops != NULL && (p)->ops->op != NULL)

fusekey_status fk_platform_self_target(struct fk_platform *p, struct fk_sgx_target_info *ti)
{
	if (!OPS_OK(p, self_target) || ti == NULL)
		return FUSEKEY_ERR_INVALID_PARAMETER;
	return p->ops->self_target(p, ti);
}

fusekey_status fk_platform_create_report(struct fk_platform *p,
					 const struct fk_sgx_target_info *target_info,
					 const uint8_t *report_data, struct fk_sgx_report *report)
{
	if (!OPS_OK(p, create_report) || report == NULL)
		return FUSEKEY_ERR_INVALID_PARAMETER;
	return p->ops->create_report(p, target_info, report_data, report);
}

fusekey_status fk_platform_verify_report(struct fk_platform *p, const struct fk_sgx_report *report)
{
	if (!OPS_OK(p, verify_report) || report == NULL)
		return FUSEKEY_ERR_INVALID_PARAMETER;
	return p->ops->verify_report(p, report);
}

fusekey_status fk_platform_get_key(struct fk_platform *p, const struct fk_sgx_key_request *req,
				   uint8_t key[FK_SGX_KEY_SIZE])
{
	if (key == NULL)
		return FUSEKEY_ERR_INVALID_PARAMETER;
	if (!OPS_OK(p, get_key) || req == NULL) {
		fk_wipe(key, FK_SGX_KEY_SIZE);
		return FUSEKEY_ERR_INVALID_PARAMETER;
	}
	return p->ops->get_key(p, req, key);
}

fusekey_status fk_platform_identity(struct fk_platform *p, struct fk_sgx_identity *id)
{
	if (!OPS_OK(p, identity) || id == NULL)
		return FUSEKEY_ERR_INVALID_PARAMETER;
	return p->ops->identity(p, id);
}

fusekey_status fk_platform_cpu_svn(struct fk_platform *p, uint8_t cpu_svn[FK_SGX_CPUSVN_SIZE])
{
	if (!OPS_OK(p, cpu_svn) || cpu_svn == NULL)
		return FUSEKEY_ERR_INVALID_PARAMETER;
	return p->ops->cpu_svn(p, cpu_svn);
}

void fk_platform_destroy(struct fk_platform *p)
{
	if (OPS_OK(p, destroy))
		p->ops->destroy(p);
}

fusekey_status fk_platform_check_key_request(const struct fk_sgx_key_request *req,
					     const struct fk_sgx_identity *id)
{
	uint16_t policy = fk_le16(req->key_policy);

	/* SDM EGETKEY: reserved fields must be zero and policy bits 6..15 clear (#GP). */
	if (!fk_sgx_all_zero(req->reserved1, sizeof(req->reserved1)) ||
	    !fk_sgx_all_zero(req->reserved2, sizeof(req->reserved2)))
		return FUSEKEY_ERR_INVALID_PARAMETER;
	if (policy & ~FK_SGX_KEYPOLICY_VALID)
		return FUSEKEY_ERR_INVALID_PARAMETER;
	/* KSS-only policy bits and CONFIGSVN need SECS.ATTRIBUTES.KSS, for every key name. */
	if (!(id->flags & FK_SGX_FLAGS_KSS) &&
	    ((policy & FK_SGX_KEYPOLICY_NEEDS_KSS) || fk_le16(req->config_svn) > 0))
		return FUSEKEY_ERR_INVALID_PARAMETER;
	return FUSEKEY_OK;
}

/*
 * A self target info and a self report describe one enclave: every field a
 * target info carries (fk_sgx_target_info_from_identity, sgx_self_target:
 * MRENCLAVE, ATTRIBUTES, CONFIGSVN, MISCSELECT, CONFIGID) equals the report's,
 * and the enclave is initialised. The CET byte is not compared: the SDK's
 * sgx_self_target leaves it 0 whatever the enclave's CET attributes. NULL, or
 * the first field that differs.
 */
const char *fk_platform_self_target_mismatch(const struct fk_sgx_target_info *ti,
					     const struct fk_sgx_identity *id)
{
	struct fk_sgx_target_info want;
	const char *what = NULL;

	fk_sgx_target_info_from_identity(id, &want);
	if (memcmp(ti->mr_enclave, want.mr_enclave, sizeof(want.mr_enclave)) != 0)
		what = "MRENCLAVE";
	else if (memcmp(&ti->attributes, &want.attributes, sizeof(want.attributes)) != 0)
		what = "ATTRIBUTES";
	else if (memcmp(ti->config_svn, want.config_svn, sizeof(want.config_svn)) != 0)
		what = "CONFIGSVN";
	else if (memcmp(ti->misc_select, want.misc_select, sizeof(want.misc_select)) != 0)
		what = "MISCSELECT";
	else if (memcmp(ti->config_id, want.config_id, sizeof(want.config_id)) != 0)
		what = "CONFIGID";
	else if (!(id->flags & FK_SGX_FLAGS_INITTED))
		what = "INIT flag";
	FK_WIPE(want);
	return what;
}

void fk_platform_say(char *why, size_t why_len, const char *fmt, ...)
{
	va_list ap;

	if (why == NULL || why_len == 0)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(why, why_len, fmt, ap);
	va_end(ap);
}
