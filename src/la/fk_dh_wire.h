/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Local attestation wire formats, byte-exact and in one place:
 *  - the Intel SGX SDK's sgx_dh messages (intel/linux-sgx common/inc/sgx_dh.h,
 *    sdk/ec_dh_lib/ec_dh.cpp; shared/docs/reference/sgx.md §8.2), so an SDK
 *    enclave (or Occlum's LA demo, which runs sgx_dh) talks to us unchanged;
 *  - the LAv2 protocol specification (sgx.md §8.4);
 *  - fusekey's own record format for the channel under the AEK (docs/la.md).
 *
 * Like fk_sgx.h, every structure is uint8_t arrays only (alignment 1, no
 * padding); integers go through fk_le16/fk_le32/fk_le64.
 */
#ifndef FK_DH_WIRE_H
#define FK_DH_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "sgx/fk_sgx.h"

enum {
	FK_DH_PUB_SIZE = 64,      /* sgx_ec256_public_t: gx || gy, each little-endian */
	FK_DH_PRIV_SIZE = 32,     /* sgx_ec256_private_t, little-endian */
	FK_DH_SHARED_SIZE = 32,   /* sgx_ec256_dh_shared_t: x of d*Q, little-endian */
	FK_DH_MAC_SIZE = 16,      /* sgx_cmac_128bit_tag_t */
	FK_DH_MSG1_SIZE = 576,
	FK_DH_MSG2_SIZE = 512,
	FK_DH_MSG3_FIXED_SIZE = 452, /* msg3 without additional_prop */
	FK_DH_IDENTITY_SIZE = 260,   /* sgx_dh_session_enclave_identity_t */
	FK_DH_PROTO_SPEC_SIZE = 64,  /* la_proto_spec_t */
	FK_DH_KDF_ID = 0x0001,       /* AES_CMAC_KDF_ID, report_data[32..34) of LAv1 msg2 */
	/*
	 * The SDK accepts additional_prop up to UINT32_MAX - sizeof(msg3); we bound
	 * it to 64 KiB, far above any use (fusekey sends none), so a length field
	 * from outside never drives a large allocation or read.
	 */
	FK_DH_PROPS_MAX = 64 * 1024,
};

/* sgx_dh_msg1_t, 576 B: responder -> initiator. */
struct fk_dh_msg1 {
	uint8_t g_a[FK_DH_PUB_SIZE];
	struct fk_sgx_target_info target;
};

/* sgx_dh_msg2_t, 512 B: initiator -> responder. */
struct fk_dh_msg2 {
	uint8_t g_b[FK_DH_PUB_SIZE];
	struct fk_sgx_report report;
	uint8_t cmac[FK_DH_MAC_SIZE];
};

/*
 * sgx_dh_msg3_t, 452 + n B: responder -> initiator. The n additional_prop
 * bytes follow the fixed part directly; the SDK's CMAC covers the body
 * (report || length || props) in LAv1, props || g_a in LAv2.
 */
struct fk_dh_msg3 {
	uint8_t cmac[FK_DH_MAC_SIZE];
	struct fk_sgx_report report;           /* msg3_body.report */
	uint8_t additional_prop_length[4];     /* msg3_body.additional_prop_length, LE */
	/* uint8_t additional_prop[n]; */
};
enum { FK_DH_MSG3_BODY_OFF = 16 }; /* the LAv1 CMAC covers [16, 452 + n) */

/*
 * sgx_dh_session_enclave_identity_t, 260 B: the prefix of a report body
 * (sgx.md §8.2). fusekey keeps the peer's whole report body; this is only the
 * SDK's output shape, see fk_dh_sdk_identity().
 */
struct fk_dh_sdk_identity {
	uint8_t cpu_svn[FK_SGX_CPUSVN_SIZE];
	uint8_t misc_select[4];
	uint8_t reserved_1[28];
	struct fk_sgx_attributes attributes;
	uint8_t mr_enclave[FK_SGX_HASH_SIZE];
	uint8_t reserved_2[32];
	uint8_t mr_signer[FK_SGX_HASH_SIZE];
	uint8_t reserved_3[96];
	uint8_t isv_prod_id[2];
	uint8_t isv_svn[2];
};

/*
 * la_proto_spec_t, 64 B (sgx.md §8.4): "SGX LA", version, revision, then
 * 28 little-endian u16: target_spec[0] = (entries << 8) | revision-of-spec
 * (low byte must be 0), then one entry per copied field:
 * size = 1 << (e & 0xF), source offset in sgx_report_t = (int16_t)e >> 4
 * (-1: leave zero; other negative offsets are refused), destination =
 * running offset aligned to size.
 */
struct fk_dh_proto_spec {
	uint8_t signature[6]; /* "SGX LA" */
	uint8_t ver;          /* 2 */
	uint8_t rev;          /* 0 */
	uint8_t target_spec[28][2];
};
enum { FK_DH_PROTO_SPEC_ENTRIES_MAX = 27 }; /* target_spec[1..27] */

/* The LAv2 spec the SDK sends (platform.json lav2_proto_spec). */
extern const struct fk_dh_proto_spec fk_dh_lav2_proto_spec;

/*
 * fusekey channel record (docs/la.md, "Channel"): one AES-128-GCM message
 * under the AEK.
 *
 *   header (16 B, all of it the GCM AAD)
 *     magic "FK"   2
 *     version 1    1
 *     direction    1   1 = initiator -> responder, 2 = responder -> initiator
 *     length       4   LE, ciphertext bytes (= plaintext bytes)
 *     seq          8   LE, per-direction message counter from 0
 *   ciphertext     length
 *   tag            16
 *
 * IV (12 B) = direction as u32 LE || seq as u64 LE: unique per key because
 * each direction has its own counter and the two directions differ in the
 * first word. A record is accepted only with the receiver's expected
 * direction and exactly the next seq, so replays, reordering and reflection
 * (a record sent back to its sender) are refused.
 */
struct fk_dh_record_hdr {
	uint8_t magic[2];
	uint8_t version;
	uint8_t direction;
	uint8_t length[4];
	uint8_t seq[8];
};
enum {
	FK_DH_RECORD_HDR_SIZE = 16,
	FK_DH_RECORD_TAG_SIZE = 16,
	FK_DH_RECORD_OVERHEAD = FK_DH_RECORD_HDR_SIZE + FK_DH_RECORD_TAG_SIZE,
	FK_DH_RECORD_VERSION = 1,
	FK_DH_DIR_I2R = 1,
	FK_DH_DIR_R2I = 2,
	/* Largest plaintext in one record: 1 MiB (a ttrpc frame is at most 4 MiB). */
	FK_DH_RECORD_MAX_PAYLOAD = 1024 * 1024,
};
#define FK_DH_RECORD_MAGIC0 'F'
#define FK_DH_RECORD_MAGIC1 'K'

/* ---- layout pins (sgx.md §8.2, §8.4) ---- */
_Static_assert(sizeof(struct fk_dh_msg1) == FK_DH_MSG1_SIZE, "sgx_dh_msg1_t");
FK_PIN(struct fk_dh_msg1, target, 64);
_Static_assert(sizeof(struct fk_dh_msg2) == FK_DH_MSG2_SIZE, "sgx_dh_msg2_t");
FK_PIN(struct fk_dh_msg2, report, 64);
FK_PIN(struct fk_dh_msg2, cmac, 496);
_Static_assert(sizeof(struct fk_dh_msg3) == FK_DH_MSG3_FIXED_SIZE, "sgx_dh_msg3_t");
FK_PIN(struct fk_dh_msg3, report, FK_DH_MSG3_BODY_OFF);
FK_PIN(struct fk_dh_msg3, additional_prop_length, 448);
_Static_assert(sizeof(struct fk_dh_sdk_identity) == FK_DH_IDENTITY_SIZE, "identity");
FK_PIN(struct fk_dh_sdk_identity, misc_select, 16);
FK_PIN(struct fk_dh_sdk_identity, reserved_1, 20);
FK_PIN(struct fk_dh_sdk_identity, attributes, 48);
FK_PIN(struct fk_dh_sdk_identity, mr_enclave, 64);
FK_PIN(struct fk_dh_sdk_identity, reserved_2, 96);
FK_PIN(struct fk_dh_sdk_identity, mr_signer, 128);
FK_PIN(struct fk_dh_sdk_identity, reserved_3, 160);
FK_PIN(struct fk_dh_sdk_identity, isv_prod_id, 256);
FK_PIN(struct fk_dh_sdk_identity, isv_svn, 258);
_Static_assert(sizeof(struct fk_dh_proto_spec) == FK_DH_PROTO_SPEC_SIZE, "la_proto_spec_t");
FK_PIN(struct fk_dh_proto_spec, ver, 6);
FK_PIN(struct fk_dh_proto_spec, rev, 7);
FK_PIN(struct fk_dh_proto_spec, target_spec, 8);
_Static_assert(sizeof(struct fk_dh_record_hdr) == FK_DH_RECORD_HDR_SIZE, "record header");
FK_PIN(struct fk_dh_record_hdr, version, 2);
FK_PIN(struct fk_dh_record_hdr, direction, 3);
FK_PIN(struct fk_dh_record_hdr, length, 4);
FK_PIN(struct fk_dh_record_hdr, seq, 8);

#endif
