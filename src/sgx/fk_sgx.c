/* SPDX-License-Identifier: Apache-2.0 */
/* Encoding and decoding of the SGX structures in fk_sgx.h (sgx.md §2). */
#include "sgx/fk_sgx.h"

#include <string.h>

/* SDM 38.13: HEADER bytes 0..11 and HEADER2 (sgx.md §2 SIGSTRUCT). */
const uint8_t fk_sgx_sigstruct_header[12] = {0x06, 0x00, 0x00, 0x00, 0xE1, 0x00,
					     0x00, 0x00, 0x00, 0x00, 0x01, 0x00};
const uint8_t fk_sgx_sigstruct_header2[16] = {0x01, 0x01, 0x00, 0x00, 0x60, 0x00, 0x00, 0x00,
					      0x60, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00};

bool fk_sgx_all_zero(const uint8_t *p, size_t n)
{
	uint8_t acc = 0;
	for (size_t i = 0; i < n; i++)
		acc |= p[i];
	return acc == 0;
}

void fk_sgx_key_request_decode(const struct fk_sgx_key_request *req,
			       struct fk_sgx_key_request_fields *out)
{
	memset(out, 0, sizeof(*out));
	out->key_name = fk_le16(req->key_name);
	out->key_policy = fk_le16(req->key_policy);
	out->isv_svn = fk_le16(req->isv_svn);
	out->config_svn = fk_le16(req->config_svn);
	memcpy(out->cpu_svn, req->cpu_svn, sizeof(out->cpu_svn));
	out->attr_mask_flags = fk_le64(req->attribute_mask.flags);
	out->attr_mask_xfrm = fk_le64(req->attribute_mask.xfrm);
	memcpy(out->key_id, req->key_id, sizeof(out->key_id));
	out->misc_mask = fk_le32(req->misc_mask);
	out->reserved_zero = fk_sgx_all_zero(req->reserved1, sizeof(req->reserved1)) &&
			     fk_sgx_all_zero(req->reserved2, sizeof(req->reserved2));
}

void fk_sgx_key_request_encode(const struct fk_sgx_key_request_fields *in,
			       struct fk_sgx_key_request *req)
{
	memset(req, 0, sizeof(*req));
	fk_put_le16(req->key_name, in->key_name);
	fk_put_le16(req->key_policy, in->key_policy);
	fk_put_le16(req->isv_svn, in->isv_svn);
	memcpy(req->cpu_svn, in->cpu_svn, sizeof(req->cpu_svn));
	fk_put_le64(req->attribute_mask.flags, in->attr_mask_flags);
	fk_put_le64(req->attribute_mask.xfrm, in->attr_mask_xfrm);
	memcpy(req->key_id, in->key_id, sizeof(req->key_id));
	fk_put_le32(req->misc_mask, in->misc_mask);
	fk_put_le16(req->config_svn, in->config_svn);
}

void fk_sgx_report_body_from_identity(const struct fk_sgx_identity *id,
				      const uint8_t cpu_svn[FK_SGX_CPUSVN_SIZE],
				      const uint8_t report_data[FK_SGX_REPORT_DATA_SIZE],
				      struct fk_sgx_report_body *body)
{
	memset(body, 0, sizeof(*body));
	memcpy(body->cpu_svn, cpu_svn, FK_SGX_CPUSVN_SIZE);
	fk_put_le32(body->misc_select, id->misc_select);
	body->reserved1[0] = id->cet_attributes;
	memcpy(body->isv_ext_prod_id, id->isv_ext_prod_id, sizeof(body->isv_ext_prod_id));
	fk_put_le64(body->attributes.flags, id->flags);
	fk_put_le64(body->attributes.xfrm, id->xfrm);
	memcpy(body->mr_enclave, id->mr_enclave, sizeof(body->mr_enclave));
	memcpy(body->mr_signer, id->mr_signer, sizeof(body->mr_signer));
	memcpy(body->config_id, id->config_id, sizeof(body->config_id));
	fk_put_le16(body->isv_prod_id, id->isv_prod_id);
	fk_put_le16(body->isv_svn, id->isv_svn);
	fk_put_le16(body->config_svn, id->config_svn);
	memcpy(body->isv_family_id, id->isv_family_id, sizeof(body->isv_family_id));
	if (report_data)
		memcpy(body->report_data, report_data, FK_SGX_REPORT_DATA_SIZE);
}

void fk_sgx_identity_from_report_body(const struct fk_sgx_report_body *body,
				      struct fk_sgx_identity *id)
{
	memset(id, 0, sizeof(*id));
	id->flags = fk_le64(body->attributes.flags);
	id->xfrm = fk_le64(body->attributes.xfrm);
	id->misc_select = fk_le32(body->misc_select);
	id->cet_attributes = body->reserved1[0];
	memcpy(id->mr_enclave, body->mr_enclave, sizeof(id->mr_enclave));
	memcpy(id->mr_signer, body->mr_signer, sizeof(id->mr_signer));
	id->isv_prod_id = fk_le16(body->isv_prod_id);
	id->isv_svn = fk_le16(body->isv_svn);
	id->config_svn = fk_le16(body->config_svn);
	memcpy(id->config_id, body->config_id, sizeof(id->config_id));
	memcpy(id->isv_family_id, body->isv_family_id, sizeof(id->isv_family_id));
	memcpy(id->isv_ext_prod_id, body->isv_ext_prod_id, sizeof(id->isv_ext_prod_id));
}

void fk_sgx_target_info_from_identity(const struct fk_sgx_identity *id,
				      struct fk_sgx_target_info *ti)
{
	/* The fields EREPORT takes from TARGETINFO for the report key (sgx.md §4),
	 * i.e. what the LAv2 target spec copies from a report (sgx.md §8.4). */
	memset(ti, 0, sizeof(*ti));
	memcpy(ti->mr_enclave, id->mr_enclave, sizeof(ti->mr_enclave));
	fk_put_le64(ti->attributes.flags, id->flags);
	fk_put_le64(ti->attributes.xfrm, id->xfrm);
	ti->reserved1[0] = id->cet_attributes;
	fk_put_le16(ti->config_svn, id->config_svn);
	fk_put_le32(ti->misc_select, id->misc_select);
	memcpy(ti->config_id, id->config_id, sizeof(ti->config_id));
}

bool fk_sgx_sealed_size(uint32_t aad_len, uint32_t txt_len, uint32_t *out)
{
	uint32_t sum;
	if (__builtin_add_overflow(aad_len, txt_len, &sum) ||
	    __builtin_add_overflow(sum, (uint32_t)FK_SGX_SEALED_HDR_SIZE, &sum)) {
		*out = UINT32_MAX;
		return false;
	}
	*out = sum;
	return true;
}
