/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SGX local attestation, byte-compatible with the Intel SGX SDK's sgx_dh
 * (LAv1 and LAv2; shared/docs/reference/sgx.md §8, docs/la.md), then a
 * channel under the AEK that carries data only after the peer's identity
 * passed an explicit check.
 *
 *   responder                                  initiator
 *   fk_dh_init(RESPONDER)                      fk_dh_init(INITIATOR)
 *   fk_dh_responder_gen_msg1   -- msg1 -->     fk_dh_initiator_proc_msg1
 *   fk_dh_responder_proc_msg2  <-- msg2 --
 *                              -- msg3 -->     fk_dh_initiator_proc_msg3
 *   (ACTIVE: peer authenticated, not yet accepted)
 *   fk_dh_check_peer(expectations)             fk_dh_check_peer(expectations)
 *   (PEER_CHECKED: fk_dh_seal / fk_dh_open carry data)
 *
 * Built only on the platform interface (EREPORT, report verification), so it
 * runs unchanged on the emulated platform and on real SGX.
 *
 * Failure: every error -- wrong state, forged or malformed message, refused
 * peer, bad record, exhausted counter, bad argument -- wipes the whole
 * session to zero, which is the ERROR state (0). Only fk_dh_init leaves it.
 * Statuses follow the SDK (sgx.md §8.5): a call in the wrong state is
 * FUSEKEY_ERR_INVALID_STATE; every handshake verification failure is the one
 * status FUSEKEY_ERR_HANDSHAKE (SGX_ERROR_UNEXPECTED), except the responder's
 * FUSEKEY_ERR_KDF_MISMATCH when msg2 fails both versions and its LAv1 KDF id
 * was wrong; platform and crypto-library failures keep their own status
 * (all map to SGX_ERROR_UNEXPECTED, NO_MEMORY to OUT_OF_MEMORY).
 * A step that fails leaves its output message (msg1, msg2, msg3) all zero,
 * and fk_dh_open leaves pt all zero, whatever the failure.
 */
#ifndef FK_DH_H
#define FK_DH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "la/fk_dh_wire.h"
#include "platform/fk_platform.h"

enum fk_dh_role {
	FK_DH_ROLE_RESPONDER = 1, /* sends msg1 and msg3 (fusekeyd, the agent) */
	FK_DH_ROLE_INITIATOR = 2, /* sends msg2 (the app enclave asking for its key) */
};

enum fk_dh_version {
	FK_DH_LAV1 = 1,
	FK_DH_LAV2 = 2,
	/*
	 * fusekey's initiator default: LAv2. Its msg2 commits to a versioned
	 * protocol spec, from which the responder builds the target of msg3
	 * (CET, CONFIGSVN, CONFIGID included), and every SDK responder since LAv2
	 * accepts it. LAv1 stays selectable for older SDK responders. The
	 * responder accepts both whatever this says.
	 */
	FK_DH_VERSION_DEFAULT = FK_DH_LAV2,
};

/* sgx_dh session states (sgx.md §8.5), plus PEER_CHECKED. */
enum fk_dh_state {
	FK_DH_STATE_ERROR = 0,
	FK_DH_STATE_RESET = 1,
	FK_DH_STATE_RESPONDER_WAIT_M2 = 2,
	FK_DH_STATE_INITIATOR_WAIT_M1 = 3,
	FK_DH_STATE_INITIATOR_WAIT_M3 = 4,
	FK_DH_STATE_ACTIVE = 5,       /* handshake done: peer authentic, not yet accepted */
	FK_DH_STATE_PEER_CHECKED = 6, /* peer accepted: the channel carries data */
};

/*
 * One session. Caller-allocated (it can live in enclave memory, and tests
 * scan it); treat every field as private and use the functions. It holds the
 * ephemeral private key, SMK and AEK: keep it out of swap and logs, and
 * fk_dh_wipe() it when done (every failure already wipes it).
 */
struct fk_dh_session {
	uint8_t state;   /* enum fk_dh_state */
	uint8_t role;    /* enum fk_dh_role */
	uint8_t version; /* enum fk_dh_version: the initiator's choice, or what msg2 was */
	uint8_t kat_key; /* 1: priv set before the handshake (KAT or fk_dh_use_ephemeral) */
	uint8_t priv[FK_DH_PRIV_SIZE];     /* own ephemeral key, wiped once used */
	uint8_t g_own[FK_DH_PUB_SIZE];
	uint8_t g_peer[FK_DH_PUB_SIZE];
	uint8_t smk[FK_SGX_KEY_SIZE];
	uint8_t aek[FK_SGX_KEY_SIZE];
	struct fk_sgx_report_body peer;    /* verified body of the peer's report */
	uint64_t send_seq;                 /* next record to send */
	uint64_t recv_seq;                 /* next record expected */
};

/* Start (or restart) a session in role; RESET (responder) or INITIATOR_WAIT_M1. */
fusekey_status fk_dh_init(struct fk_dh_session *s, enum fk_dh_role role) FK_WARN_UNUSED;

/* Wipe a session to zero (the ERROR state). NULL is allowed. */
void fk_dh_wipe(struct fk_dh_session *s);

enum fk_dh_state fk_dh_state(const struct fk_dh_session *s);

/*
 * Known-answer tests only (the SDK transcripts in tests/vectors): use `priv`
 * (little-endian scalar, 1 <= d < n) as this session's ephemeral key instead
 * of a fresh random one. Allowed only right after fk_dh_init. A session whose
 * ephemeral key is known to anyone but itself protects nothing: production
 * code never calls this.
 */
fusekey_status fk_dh_set_kat_private_key(struct fk_dh_session *s,
					 const uint8_t priv[FK_DH_PRIV_SIZE]) FK_WARN_UNUSED;

/*
 * An ephemeral P-256 key pair made ahead of its handshake, so that the key
 * generation (~13 us) happens while the process would otherwise wait (the
 * key service makes the next one after each reply; the app while its Open
 * request is in flight). Single use: fk_dh_use_ephemeral moves it into one
 * session and wipes it. Holds a private key: keep it where sessions live.
 */
struct fk_dh_ephemeral {
	uint8_t ready; /* 1: priv/pub hold an unused key pair */
	uint8_t priv[FK_DH_PRIV_SIZE];
	uint8_t pub[FK_DH_PUB_SIZE];
};

/* A fresh random key pair into e (wiped on failure). */
fusekey_status fk_dh_ephemeral_make(struct fk_dh_ephemeral *e) FK_WARN_UNUSED;

/*
 * Use e as this session's ephemeral key pair. Allowed only right after
 * fk_dh_init (as fk_dh_set_kat_private_key) and only with a ready e; e is
 * wiped either way, so a key pair never serves two sessions.
 */
fusekey_status fk_dh_use_ephemeral(struct fk_dh_session *s, struct fk_dh_ephemeral *e)
	FK_WARN_UNUSED;

/* ---- handshake (SDK-equivalent calls) ---- */

/* sgx_dh_responder_gen_msg1: RESET -> RESPONDER_WAIT_M2. */
fusekey_status fk_dh_responder_gen_msg1(struct fk_dh_session *s, struct fk_platform *p,
					struct fk_dh_msg1 *msg1) FK_WARN_UNUSED;

/*
 * sgx_LAv1_/sgx_LAv2_initiator_proc_msg1: INITIATOR_WAIT_M1 -> INITIATOR_WAIT_M3.
 * `version` is FK_DH_LAV1 or FK_DH_LAV2 (FK_DH_VERSION_DEFAULT normally).
 */
fusekey_status fk_dh_initiator_proc_msg1(struct fk_dh_session *s, struct fk_platform *p,
					 enum fk_dh_version version,
					 const struct fk_dh_msg1 *msg1,
					 struct fk_dh_msg2 *msg2) FK_WARN_UNUSED;

/*
 * sgx_dh_responder_proc_msg2: RESPONDER_WAIT_M2 -> ACTIVE. Accepts LAv1 and
 * LAv2 msg2. Writes msg3 (452 + props_len bytes) to msg3/msg3_cap, its length
 * to *msg3_len. props (the SDK's additional_prop, sent in msg3 and covered by
 * its CMAC) may be NULL when props_len is 0; props_len <= FK_DH_PROPS_MAX.
 */
fusekey_status fk_dh_responder_proc_msg2(struct fk_dh_session *s, struct fk_platform *p,
					 const struct fk_dh_msg2 *msg2, const uint8_t *props,
					 size_t props_len, uint8_t *msg3, size_t msg3_cap,
					 size_t *msg3_len) FK_WARN_UNUSED;

/*
 * sgx_LAv1_/sgx_LAv2_initiator_proc_msg3: INITIATOR_WAIT_M3 -> ACTIVE, for the
 * version chosen in proc_msg1. msg3_len must be exactly 452 + the message's
 * own additional_prop_length (<= FK_DH_PROPS_MAX).
 */
fusekey_status fk_dh_initiator_proc_msg3(struct fk_dh_session *s, struct fk_platform *p,
					 const uint8_t *msg3, size_t msg3_len) FK_WARN_UNUSED;

/*
 * The same with the version given explicitly, as the SDK's two functions
 * are: processing msg3 with the other version's rules than msg2 was made
 * with fails (SDK vectors "version mismatch").
 */
fusekey_status fk_dh_initiator_proc_msg3_as(struct fk_dh_session *s, struct fk_platform *p,
					    enum fk_dh_version version, const uint8_t *msg3,
					    size_t msg3_len) FK_WARN_UNUSED;

/* ---- the peer ---- */

/*
 * The peer's verified report body (ACTIVE or PEER_CHECKED; else
 * INVALID_STATE, without wiping: reading is not a protocol step).
 * report_data is zero.
 */
fusekey_status fk_dh_peer_body(const struct fk_dh_session *s,
			       struct fk_sgx_report_body *body) FK_WARN_UNUSED;

/*
 * The peer identity exactly as the SDK writes it (ACTIVE or PEER_CHECKED):
 * a responder writes only attributes, mr_enclave, mr_signer, isv_prod_id and
 * isv_svn into *id, leaving every other byte as the caller had it; an
 * initiator copies the first 260 bytes of the responder's report body.
 */
fusekey_status fk_dh_sdk_identity(const struct fk_dh_session *s,
				  struct fk_dh_sdk_identity *id) FK_WARN_UNUSED;

/* Which fields an expectation pins (bit set = must match). */
#define FK_DH_EXPECT_MRENCLAVE 0x01u
#define FK_DH_EXPECT_MRSIGNER 0x02u
#define FK_DH_EXPECT_ISVPRODID 0x04u
#define FK_DH_EXPECT_ISVFAMILYID 0x08u
#define FK_DH_EXPECT_ISVEXTPRODID 0x10u
#define FK_DH_EXPECT_CONFIGID 0x20u
#define FK_DH_EXPECT_ALL 0x3Fu

/*
 * What an acceptable peer looks like. At least one of MRENCLAVE and MRSIGNER
 * must be pinned (an expectation that names no enclave accepts nothing).
 * Always checked: isv_svn >= min_isv_svn, config_svn >= min_config_svn,
 * (attributes.flags & attr_flags_mask) == attr_flags_value and the same for
 * xfrm, and DEBUG refused unless allow_debug.
 */
struct fk_dh_expect {
	unsigned fields; /* FK_DH_EXPECT_* */
	uint8_t mr_enclave[FK_SGX_HASH_SIZE];
	uint8_t mr_signer[FK_SGX_HASH_SIZE];
	uint16_t isv_prod_id;
	uint16_t min_isv_svn;
	bool allow_debug;
	uint64_t attr_flags_mask, attr_flags_value;
	uint64_t attr_xfrm_mask, attr_xfrm_value;
	uint8_t isv_family_id[FK_SGX_ISV_FAMILY_ID_SIZE];
	uint8_t isv_ext_prod_id[FK_SGX_ISVEXT_PROD_ID_SIZE];
	uint8_t config_id[FK_SGX_CONFIGID_SIZE];
	uint16_t min_config_svn;
};

/* Why a peer was refused (for the audit log); checked in this order. */
enum fk_dh_mismatch {
	FK_DH_MISMATCH_NONE = 0,
	FK_DH_MISMATCH_NO_EXPECTATION, /* empty list, or one that pins no enclave */
	FK_DH_MISMATCH_MRENCLAVE,
	FK_DH_MISMATCH_MRSIGNER,
	FK_DH_MISMATCH_ISVPRODID,
	FK_DH_MISMATCH_ISVFAMILYID,
	FK_DH_MISMATCH_ISVEXTPRODID,
	FK_DH_MISMATCH_CONFIGID,
	FK_DH_MISMATCH_DEBUG,
	FK_DH_MISMATCH_ATTRIBUTES,
	FK_DH_MISMATCH_ISVSVN,
	FK_DH_MISMATCH_CONFIGSVN,
};
const char *fk_dh_mismatch_name(enum fk_dh_mismatch m); /* "mr_enclave", ...; never NULL */

/*
 * Does `body` meet `e`? A pure function (no session), for policies that
 * want to explain every rule; FK_DH_MISMATCH_NONE when it does.
 */
enum fk_dh_mismatch fk_dh_identity_check(const struct fk_sgx_report_body *body,
					 const struct fk_dh_expect *e);

/*
 * The step that cannot be skipped: ACTIVE -> PEER_CHECKED when the peer
 * meets at least one of the n expectations (*matched = its index). Otherwise
 * FUSEKEY_ERR_PEER_IDENTITY, the session wiped, and *why (if not NULL) the
 * reason from the expectation the peer came closest to (the latest check in
 * the order above that it reached).
 */
fusekey_status fk_dh_check_peer(struct fk_dh_session *s, const struct fk_dh_expect *e, size_t n,
				size_t *matched, enum fk_dh_mismatch *why) FK_WARN_UNUSED;

/*
 * The AEK, for SDK-style callers that run their own channel (PEER_CHECKED
 * only). fusekey's own code uses fk_dh_seal / fk_dh_open instead.
 */
fusekey_status fk_dh_export_aek(const struct fk_dh_session *s,
				uint8_t aek[FK_SGX_KEY_SIZE]) FK_WARN_UNUSED;

/* ---- channel (PEER_CHECKED only; record format in fk_dh_wire.h) ---- */

/* Record size for a payload of len bytes (len + 32). */
static inline size_t fk_dh_record_size(size_t len)
{
	return len + FK_DH_RECORD_OVERHEAD;
}

/*
 * Encrypt len bytes (<= FK_DH_RECORD_MAX_PAYLOAD) into one record of
 * fk_dh_record_size(len) bytes at out (out_cap at least that).
 * FUSEKEY_ERR_EXHAUSTED once the send counter has no value left.
 */
fusekey_status fk_dh_seal(struct fk_dh_session *s, const uint8_t *pt, size_t len, uint8_t *out,
			  size_t out_cap, size_t *out_len) FK_WARN_UNUSED;

/*
 * Verify and decrypt one record (exactly rec_len bytes) into pt (pt_cap at
 * least rec_len - 32). Only the peer's direction with exactly the next
 * sequence number is accepted; any other record (forged, replayed,
 * reordered, reflected, truncated) is FUSEKEY_ERR_MAC_MISMATCH, pt zeroed and
 * the session wiped.
 */
fusekey_status fk_dh_open(struct fk_dh_session *s, const uint8_t *rec, size_t rec_len,
			  uint8_t *pt, size_t pt_cap, size_t *pt_len) FK_WARN_UNUSED;

/* ---- building blocks (exposed for tests and `fusekey inspect`) ---- */

/* KDF of sgx.md §8.3: CMAC(CMAC(0^16, shared), 01 || label || 00 || 80 00). */
fusekey_status fk_dh_kdf(const uint8_t shared[FK_DH_SHARED_SIZE], const char label[3],
			 uint8_t key[FK_SGX_KEY_SIZE]) FK_WARN_UNUSED;

/* "SGX LA" and version 2: how an LAv2 proto spec (and msg2's report_data) begins. */
#define FK_DH_LAV2_PREFIX_SIZE 7
extern const uint8_t fk_dh_lav2_prefix[FK_DH_LAV2_PREFIX_SIZE];

/*
 * One target_spec entry as make_target_info reads it (sgx.md §8.4): *size =
 * 2^(bits 0-3), *src = the signed 12-bit source offset in the report (-1:
 * leave zero; other negatives are invalid); returns the destination offset,
 * dst rounded up to a multiple of *size. For make_target_info and inspect.
 */
size_t fk_dh_spec_entry(uint16_t entry, size_t dst, size_t *size, int *src);

/*
 * make_target_info (sgx.md §8.4): the target info `spec` describes, filled
 * from `report`. False (ti zeroed) for a spec the SDK would refuse: signature
 * not "SGX LA", ver != 2, rev != 0, low byte of target_spec[0] != 0, more
 * than 27 entries, or an entry reaching outside the report or target info.
 */
bool fk_dh_make_target_info(const struct fk_dh_proto_spec *spec, const struct fk_sgx_report *report,
			    struct fk_sgx_target_info *ti);

const char *fk_dh_state_name(enum fk_dh_state st);

#endif
