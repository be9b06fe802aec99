/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SGX data formats, byte-exact (Intel SDM Vol. 3D ch. 38 "SGX data structures";
 * intel/linux-sgx common/inc/sgx_*.h; shared/docs/reference/sgx.md §1-§2, §6).
 *
 * Every structure is made of uint8_t arrays only, so it has alignment 1, no
 * padding and the same bytes on every host. Multi-byte integers are read and
 * written with the explicit little-endian helpers below, never by casting.
 * Sizes and offsets are pinned with _Static_assert at the end of this file.
 */
#ifndef FK_SGX_H
#define FK_SGX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- constants (sgx.md §1) ---- */

enum {
	FK_SGX_CPUSVN_SIZE = 16,
	FK_SGX_KEYID_SIZE = 32,
	FK_SGX_HASH_SIZE = 32,
	FK_SGX_CONFIGID_SIZE = 64,
	FK_SGX_ISVEXT_PROD_ID_SIZE = 16,
	FK_SGX_ISV_FAMILY_ID_SIZE = 16,
	FK_SGX_REPORT_DATA_SIZE = 64,
	FK_SGX_MAC_SIZE = 16,
	FK_SGX_KEY_SIZE = 16,
	FK_SGX_KEY_REQUEST_SIZE = 512,
	FK_SGX_REPORT_BODY_SIZE = 384,
	FK_SGX_REPORT_SIZE = 432,
	FK_SGX_TARGET_INFO_SIZE = 512,
	FK_SGX_SIGSTRUCT_SIZE = 1808,
	FK_SGX_RSA3072_SIZE = 384,
	FK_SGX_SEALED_HDR_SIZE = 560,
	FK_SGX_GCM_IV_SIZE = 12,
};

/* Attribute flags. */
#define FK_SGX_FLAGS_INITTED 0x0000000000000001ULL
#define FK_SGX_FLAGS_DEBUG 0x0000000000000002ULL
#define FK_SGX_FLAGS_MODE64BIT 0x0000000000000004ULL
#define FK_SGX_FLAGS_PROVISION_KEY 0x0000000000000010ULL
#define FK_SGX_FLAGS_EINITTOKEN_KEY 0x0000000000000020ULL
#define FK_SGX_FLAGS_KSS 0x0000000000000080ULL
#define FK_SGX_FLAGS_AEX_NOTIFY 0x0000000000000400ULL
#define FK_SGX_XFRM_LEGACY 0x0000000000000003ULL

/* Key names. */
enum fk_sgx_key_name {
	FK_SGX_KEYNAME_EINITTOKEN = 0,
	FK_SGX_KEYNAME_PROVISION = 1,
	FK_SGX_KEYNAME_PROVISION_SEAL = 2,
	FK_SGX_KEYNAME_REPORT = 3,
	FK_SGX_KEYNAME_SEAL = 4,
};

/* Key policy bits. */
#define FK_SGX_KEYPOLICY_MRENCLAVE 0x0001u
#define FK_SGX_KEYPOLICY_MRSIGNER 0x0002u
#define FK_SGX_KEYPOLICY_NOISVPRODID 0x0004u
#define FK_SGX_KEYPOLICY_CONFIGID 0x0008u
#define FK_SGX_KEYPOLICY_ISVFAMILYID 0x0010u
#define FK_SGX_KEYPOLICY_ISVEXTPRODID 0x0020u
#define FK_SGX_KEYPOLICY_KSS 0x0038u /* CONFIGID | ISVFAMILYID | ISVEXTPRODID */
#define FK_SGX_KEYPOLICY_VALID 0x003Fu
/* Policy bits a non-KSS enclave may not use (SDM EGETKEY; NOISVPRODID included). */
#define FK_SGX_KEYPOLICY_NEEDS_KSS 0x003Cu

/* Sealing defaults (intel/linux-sgx tseal_migration_attr.h, sgx.md §7). */
#define FK_SGX_TSEAL_DEFAULT_FLAGSMASK 0xFF0000000000000BULL
#define FK_SGX_TSEAL_DEFAULT_XFRMMASK 0x0000000000000000ULL
#define FK_SGX_TSEAL_DEFAULT_MISCMASK 0xF0000000u

/* ---- little-endian loads and stores ---- */

static inline uint16_t fk_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (uint16_t)(p[1] << 8));
}
static inline uint32_t fk_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint64_t fk_le64(const uint8_t *p)
{
	return (uint64_t)fk_le32(p) | (uint64_t)fk_le32(p + 4) << 32;
}
static inline void fk_put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}
static inline void fk_put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}
static inline void fk_put_le64(uint8_t *p, uint64_t v)
{
	fk_put_le32(p, (uint32_t)v);
	fk_put_le32(p + 4, (uint32_t)(v >> 32));
}

/* ---- structures (sgx.md §2) ---- */

/* sgx_attributes_t, 16 B */
struct fk_sgx_attributes {
	uint8_t flags[8];
	uint8_t xfrm[8];
};

/* sgx_key_request_t, 512 B */
struct fk_sgx_key_request {
	uint8_t key_name[2];
	uint8_t key_policy[2];
	uint8_t isv_svn[2];
	uint8_t reserved1[2];
	uint8_t cpu_svn[FK_SGX_CPUSVN_SIZE];
	struct fk_sgx_attributes attribute_mask;
	uint8_t key_id[FK_SGX_KEYID_SIZE];
	uint8_t misc_mask[4];
	uint8_t config_svn[2];
	uint8_t reserved2[434];
};

/* sgx_report_body_t, 384 B */
struct fk_sgx_report_body {
	uint8_t cpu_svn[FK_SGX_CPUSVN_SIZE];
	uint8_t misc_select[4];
	uint8_t reserved1[12]; /* byte 0 = CET attributes */
	uint8_t isv_ext_prod_id[FK_SGX_ISVEXT_PROD_ID_SIZE];
	struct fk_sgx_attributes attributes;
	uint8_t mr_enclave[FK_SGX_HASH_SIZE];
	uint8_t reserved2[32];
	uint8_t mr_signer[FK_SGX_HASH_SIZE];
	uint8_t reserved3[32];
	uint8_t config_id[FK_SGX_CONFIGID_SIZE];
	uint8_t isv_prod_id[2];
	uint8_t isv_svn[2];
	uint8_t config_svn[2];
	uint8_t reserved4[42];
	uint8_t isv_family_id[FK_SGX_ISV_FAMILY_ID_SIZE];
	uint8_t report_data[FK_SGX_REPORT_DATA_SIZE];
};

/* sgx_report_t, 432 B; the MAC covers body only. */
struct fk_sgx_report {
	struct fk_sgx_report_body body;
	uint8_t key_id[FK_SGX_KEYID_SIZE];
	uint8_t mac[FK_SGX_MAC_SIZE];
};

/* sgx_target_info_t, 512 B */
struct fk_sgx_target_info {
	uint8_t mr_enclave[FK_SGX_HASH_SIZE];
	struct fk_sgx_attributes attributes;
	uint8_t reserved1[2]; /* byte 0 = CET attributes */
	uint8_t config_svn[2];
	uint8_t misc_select[4];
	uint8_t reserved2[8];
	uint8_t config_id[FK_SGX_CONFIGID_SIZE];
	uint8_t reserved3[384];
};

/* SIGSTRUCT, 1808 B (SDM 38.13). */
struct fk_sgx_sigstruct {
	uint8_t header[16];
	uint8_t vendor[4];
	uint8_t date[4];
	uint8_t header2[16];
	uint8_t swdefined[4];
	uint8_t reserved1[84];
	uint8_t modulus[FK_SGX_RSA3072_SIZE]; /* little-endian */
	uint8_t exponent[4];
	uint8_t signature[FK_SGX_RSA3072_SIZE]; /* little-endian */
	uint8_t misc_select[4];
	uint8_t misc_mask[4];
	uint8_t cet_attributes;
	uint8_t cet_attributes_mask;
	uint8_t reserved2[2];
	uint8_t isv_family_id[FK_SGX_ISV_FAMILY_ID_SIZE];
	struct fk_sgx_attributes attributes;
	struct fk_sgx_attributes attribute_mask;
	uint8_t enclave_hash[FK_SGX_HASH_SIZE];
	uint8_t reserved3[16];
	uint8_t isv_ext_prod_id[FK_SGX_ISVEXT_PROD_ID_SIZE];
	uint8_t isv_prod_id[2];
	uint8_t isv_svn[2];
	uint8_t reserved4[12];
	uint8_t q1[FK_SGX_RSA3072_SIZE];
	uint8_t q2[FK_SGX_RSA3072_SIZE];
};

/* The two signed ranges of a SIGSTRUCT: [0,128) and [900,1028). */
enum {
	FK_SGX_SIGSTRUCT_SIGNED1_OFF = 0,
	FK_SGX_SIGSTRUCT_SIGNED1_LEN = 128,
	FK_SGX_SIGSTRUCT_SIGNED2_OFF = 900,
	FK_SGX_SIGSTRUCT_SIGNED2_LEN = 128,
};
extern const uint8_t fk_sgx_sigstruct_header[12];
extern const uint8_t fk_sgx_sigstruct_header2[16];
#define FK_SGX_SIGSTRUCT_TYPE_DEBUG 0x80000000u

/* sgx_sealed_data_t fixed part, 560 B (sgx.md §6: the SDK header comments are stale). */
struct fk_sgx_sealed_hdr {
	struct fk_sgx_key_request key_request;
	uint8_t plain_text_offset[4]; /* = ciphertext length */
	uint8_t reserved1[12];        /* not authenticated by the SDK: must be zero here */
	uint8_t payload_size[4];      /* = ciphertext length + AAD length */
	uint8_t reserved2[12];        /* not authenticated by the SDK: must be zero here */
	uint8_t payload_tag[16];      /* AES-GCM tag */
	/* payload follows: ciphertext, then AAD in clear */
};

/*
 * The SECS identity fields an enclave runs with, decoded to host integers.
 * This is what the platform layer knows about "the current enclave".
 */
struct fk_sgx_identity {
	uint64_t flags;
	uint64_t xfrm;
	uint32_t misc_select;
	uint8_t cet_attributes;
	uint8_t mr_enclave[FK_SGX_HASH_SIZE];
	uint8_t mr_signer[FK_SGX_HASH_SIZE];
	uint16_t isv_prod_id;
	uint16_t isv_svn;
	uint16_t config_svn;
	uint8_t config_id[FK_SGX_CONFIGID_SIZE];
	uint8_t isv_family_id[FK_SGX_ISV_FAMILY_ID_SIZE];
	uint8_t isv_ext_prod_id[FK_SGX_ISVEXT_PROD_ID_SIZE];
};

/* Decoded key request (host integers); reserved fields reported as a flag. */
struct fk_sgx_key_request_fields {
	uint16_t key_name;
	uint16_t key_policy;
	uint16_t isv_svn;
	uint16_t config_svn;
	uint8_t cpu_svn[FK_SGX_CPUSVN_SIZE];
	uint64_t attr_mask_flags;
	uint64_t attr_mask_xfrm;
	uint8_t key_id[FK_SGX_KEYID_SIZE];
	uint32_t misc_mask;
	bool reserved_zero; /* reserved1 and reserved2 all zero */
};

void fk_sgx_key_request_decode(const struct fk_sgx_key_request *req,
			       struct fk_sgx_key_request_fields *out);
void fk_sgx_key_request_encode(const struct fk_sgx_key_request_fields *in,
			       struct fk_sgx_key_request *req);

/* Report body <-> identity (report_data is separate). */
void fk_sgx_report_body_from_identity(const struct fk_sgx_identity *id,
				      const uint8_t cpu_svn[FK_SGX_CPUSVN_SIZE],
				      const uint8_t report_data[FK_SGX_REPORT_DATA_SIZE],
				      struct fk_sgx_report_body *body);
void fk_sgx_identity_from_report_body(const struct fk_sgx_report_body *body,
				      struct fk_sgx_identity *id);

/* The target info an enclave gives others so they can report to it. */
void fk_sgx_target_info_from_identity(const struct fk_sgx_identity *id,
				      struct fk_sgx_target_info *ti);

/* True when all n bytes are zero (public data only: not constant time). */
bool fk_sgx_all_zero(const uint8_t *p, size_t n);

/* Sealed blob size with overflow check (sgx_calc_sealed_data_size):
 * false on overflow of uint32_t. */
bool fk_sgx_sealed_size(uint32_t aad_len, uint32_t txt_len, uint32_t *out);

/* ---- layout pins (sgx.md §2, §6) ---- */
#define FK_PIN(type, field, off) \
	_Static_assert(offsetof(type, field) == (off), #type "." #field " at " #off)

_Static_assert(sizeof(struct fk_sgx_attributes) == 16, "attributes");
_Static_assert(sizeof(struct fk_sgx_key_request) == 512, "key request");
FK_PIN(struct fk_sgx_key_request, key_policy, 2);
FK_PIN(struct fk_sgx_key_request, isv_svn, 4);
FK_PIN(struct fk_sgx_key_request, reserved1, 6);
FK_PIN(struct fk_sgx_key_request, cpu_svn, 8);
FK_PIN(struct fk_sgx_key_request, attribute_mask, 24);
FK_PIN(struct fk_sgx_key_request, key_id, 40);
FK_PIN(struct fk_sgx_key_request, misc_mask, 72);
FK_PIN(struct fk_sgx_key_request, config_svn, 76);
FK_PIN(struct fk_sgx_key_request, reserved2, 78);

_Static_assert(sizeof(struct fk_sgx_report_body) == 384, "report body");
FK_PIN(struct fk_sgx_report_body, misc_select, 16);
FK_PIN(struct fk_sgx_report_body, reserved1, 20);
FK_PIN(struct fk_sgx_report_body, isv_ext_prod_id, 32);
FK_PIN(struct fk_sgx_report_body, attributes, 48);
FK_PIN(struct fk_sgx_report_body, mr_enclave, 64);
FK_PIN(struct fk_sgx_report_body, reserved2, 96);
FK_PIN(struct fk_sgx_report_body, mr_signer, 128);
FK_PIN(struct fk_sgx_report_body, reserved3, 160);
FK_PIN(struct fk_sgx_report_body, config_id, 192);
FK_PIN(struct fk_sgx_report_body, isv_prod_id, 256);
FK_PIN(struct fk_sgx_report_body, isv_svn, 258);
FK_PIN(struct fk_sgx_report_body, config_svn, 260);
FK_PIN(struct fk_sgx_report_body, reserved4, 262);
FK_PIN(struct fk_sgx_report_body, isv_family_id, 304);
FK_PIN(struct fk_sgx_report_body, report_data, 320);

_Static_assert(sizeof(struct fk_sgx_report) == 432, "report");
FK_PIN(struct fk_sgx_report, key_id, 384);
FK_PIN(struct fk_sgx_report, mac, 416);

_Static_assert(sizeof(struct fk_sgx_target_info) == 512, "target info");
FK_PIN(struct fk_sgx_target_info, attributes, 32);
FK_PIN(struct fk_sgx_target_info, reserved1, 48);
FK_PIN(struct fk_sgx_target_info, config_svn, 50);
FK_PIN(struct fk_sgx_target_info, misc_select, 52);
FK_PIN(struct fk_sgx_target_info, reserved2, 56);
FK_PIN(struct fk_sgx_target_info, config_id, 64);
FK_PIN(struct fk_sgx_target_info, reserved3, 128);

_Static_assert(sizeof(struct fk_sgx_sigstruct) == 1808, "sigstruct");
FK_PIN(struct fk_sgx_sigstruct, vendor, 16);
FK_PIN(struct fk_sgx_sigstruct, date, 20);
FK_PIN(struct fk_sgx_sigstruct, header2, 24);
FK_PIN(struct fk_sgx_sigstruct, swdefined, 40);
FK_PIN(struct fk_sgx_sigstruct, reserved1, 44);
FK_PIN(struct fk_sgx_sigstruct, modulus, 128);
FK_PIN(struct fk_sgx_sigstruct, exponent, 512);
FK_PIN(struct fk_sgx_sigstruct, signature, 516);
FK_PIN(struct fk_sgx_sigstruct, misc_select, 900);
FK_PIN(struct fk_sgx_sigstruct, misc_mask, 904);
FK_PIN(struct fk_sgx_sigstruct, cet_attributes, 908);
FK_PIN(struct fk_sgx_sigstruct, cet_attributes_mask, 909);
FK_PIN(struct fk_sgx_sigstruct, reserved2, 910);
FK_PIN(struct fk_sgx_sigstruct, isv_family_id, 912);
FK_PIN(struct fk_sgx_sigstruct, attributes, 928);
FK_PIN(struct fk_sgx_sigstruct, attribute_mask, 944);
FK_PIN(struct fk_sgx_sigstruct, enclave_hash, 960);
FK_PIN(struct fk_sgx_sigstruct, reserved3, 992);
FK_PIN(struct fk_sgx_sigstruct, isv_ext_prod_id, 1008);
FK_PIN(struct fk_sgx_sigstruct, isv_prod_id, 1024);
FK_PIN(struct fk_sgx_sigstruct, isv_svn, 1026);
FK_PIN(struct fk_sgx_sigstruct, reserved4, 1028);
FK_PIN(struct fk_sgx_sigstruct, q1, 1040);
FK_PIN(struct fk_sgx_sigstruct, q2, 1424);

_Static_assert(sizeof(struct fk_sgx_sealed_hdr) == 560, "sealed header");
FK_PIN(struct fk_sgx_sealed_hdr, plain_text_offset, 512);
FK_PIN(struct fk_sgx_sealed_hdr, reserved1, 516);
FK_PIN(struct fk_sgx_sealed_hdr, payload_size, 528);
FK_PIN(struct fk_sgx_sealed_hdr, reserved2, 532);
FK_PIN(struct fk_sgx_sealed_hdr, payload_tag, 544);

#endif
