/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The sgx_dh local-attestation engine (sgx.md §8, docs/la.md). Each protocol
 * step has one exit: on any failure it wipes the whole session (which is the
 * ERROR state) and every temporary that held key material.
 */
#include "la/fk_dh.h"

#include <string.h>

/* platform.json lav2_proto_spec; sgx.md §8.4. */
const struct fk_dh_proto_spec fk_dh_lav2_proto_spec = {
	.signature = {'S', 'G', 'X', ' ', 'L', 'A'},
	.ver = 2,
	.rev = 0,
	.target_spec = {{0x00, 0x06}, /* revision 0, 6 entries */
			{0x05, 0x04}, /* 32 B from @64:  mr_enclave */
			{0x04, 0x03}, /* 16 B from @48:  attributes */
			{0x40, 0x01}, /*  1 B from @20:  CET attributes */
			{0x41, 0x10}, /*  2 B from @260: config_svn */
			{0x02, 0x01}, /*  4 B from @16:  misc_select */
			{0x06, 0x0C}}, /* 64 B from @192: config_id */
};

const uint8_t fk_dh_lav2_prefix[FK_DH_LAV2_PREFIX_SIZE] = {'S', 'G', 'X', ' ', 'L', 'A', 2};

void fk_dh_wipe(struct fk_dh_session *s)
{
	if (s != NULL)
		fk_wipe(s, sizeof(*s)); /* all zero = FK_DH_STATE_ERROR */
}

enum fk_dh_state fk_dh_state(const struct fk_dh_session *s)
{
	return s == NULL ? FK_DH_STATE_ERROR : (enum fk_dh_state)s->state;
}

const char *fk_dh_state_name(enum fk_dh_state st)
{
	static const char *const names[] = {
		"ERROR", "RESET", "RESPONDER_WAIT_M2", "INITIATOR_WAIT_M1",
		"INITIATOR_WAIT_M3", "ACTIVE", "PEER_CHECKED",
	};
	unsigned i = (unsigned)st;
	return i < sizeof(names) / sizeof(names[0]) ? names[i] : "UNKNOWN";
}

/* Every error path of a step ends here: the session is gone. */
static fusekey_status fail(struct fk_dh_session *s, fusekey_status st)
{
	fk_dh_wipe(s);
	return st;
}

fusekey_status fk_dh_init(struct fk_dh_session *s, enum fk_dh_role role)
{
	if (s == NULL)
		return FUSEKEY_ERR_INVALID_PARAMETER;
	fk_dh_wipe(s);
	switch (role) {
	case FK_DH_ROLE_RESPONDER:
		s->state = FK_DH_STATE_RESET;
		break;
	case FK_DH_ROLE_INITIATOR:
		s->state = FK_DH_STATE_INITIATOR_WAIT_M1;
		break;
	default:
		return FUSEKEY_ERR_INVALID_PARAMETER;
	}
	s->role = (uint8_t)role;
	return FUSEKEY_OK;
}

/* The state a step needs; anything else wipes the session (fail closed). */
static bool in_state(const struct fk_dh_session *s, enum fk_dh_role role, enum fk_dh_state st)
{
	return s->state == (uint8_t)st && s->role == (uint8_t)role;
}

/* An ephemeral key may be set only right after init, and only once. */
static bool key_settable(const struct fk_dh_session *s)
{
	return (in_state(s, FK_DH_ROLE_RESPONDER, FK_DH_STATE_RESET) ||
		in_state(s, FK_DH_ROLE_INITIATOR, FK_DH_STATE_INITIATOR_WAIT_M1)) &&
	       s->kat_key == 0;
}

fusekey_status fk_dh_set_kat_private_key(struct fk_dh_session *s,
					 const uint8_t priv[FK_DH_PRIV_SIZE])
{
	if (s == NULL)
		return FUSEKEY_ERR_INVALID_PARAMETER;
	if (!key_settable(s))
		return fail(s, FUSEKEY_ERR_INVALID_STATE);
	if (priv == NULL)
		return fail(s, FUSEKEY_ERR_INVALID_PARAMETER);
	fusekey_status st = fk_p256_public(priv, s->g_own);
	if (st != FUSEKEY_OK)
		return fail(s, st);
	memcpy(s->priv, priv, FK_DH_PRIV_SIZE);
	s->kat_key = 1;
	return FUSEKEY_OK;
}

fusekey_status fk_dh_ephemeral_make(struct fk_dh_ephemeral *e)
{
	fusekey_status st;

	if (e == NULL)
		return FUSEKEY_ERR_INVALID_PARAMETER;
	st = fk_p256_keygen(e->priv, e->pub);
	if (st != FUSEKEY_OK) {
		FK_WIPE(*e);
		return st;
	}
	e->ready = 1;
	return FUSEKEY_OK;
}

fusekey_status fk_dh_use_ephemeral(struct fk_dh_session *s, struct fk_dh_ephemeral *e)
{
	fusekey_status st = FUSEKEY_OK;

	if (s == NULL) {
		st = FUSEKEY_ERR_INVALID_PARAMETER;
		goto out;
	}
	if (!key_settable(s)) {
		st = fail(s, FUSEKEY_ERR_INVALID_STATE);
		goto out;
	}
	if (e == NULL || e->ready != 1) {
		st = fail(s, FUSEKEY_ERR_INVALID_PARAMETER);
		goto out;
	}
	memcpy(s->priv, e->priv, FK_DH_PRIV_SIZE);
	memcpy(s->g_own, e->pub, FK_DH_PUB_SIZE);
	s->kat_key = 1;
out:
	if (e != NULL)
		FK_WIPE(*e);
	return st;
}

/* The session's ephemeral key pair: one set before the handshake, or a fresh one. */
static fusekey_status ephemeral(struct fk_dh_session *s)
{
	if (s->kat_key)
		return FUSEKEY_OK;
	return fk_p256_keygen(s->priv, s->g_own);
}

/* ---- KDF (sgx.md §8.3) ---- */

fusekey_status fk_dh_kdf(const uint8_t shared[FK_DH_SHARED_SIZE], const char label[3],
			 uint8_t key[FK_SGX_KEY_SIZE])
{
	static const uint8_t zero_key[FK_AES128_KEY_SIZE];
	uint8_t kdk[FK_CMAC_SIZE];
	/* 0x01 || label || 0x00 || u16 LE key length in bits (128) */
	uint8_t buf[7] = {0x01, (uint8_t)label[0], (uint8_t)label[1], (uint8_t)label[2],
			  0x00, 0x80, 0x00};
	fusekey_status st = fk_cmac128(zero_key, shared, FK_DH_SHARED_SIZE, kdk);
	if (st == FUSEKEY_OK)
		st = fk_cmac128(kdk, buf, sizeof(buf), key);
	FK_WIPE(kdk);
	if (st != FUSEKEY_OK)
		fk_wipe(key, FK_SGX_KEY_SIZE);
	return st;
}

/* shared = priv * peer; SMK and AEK from it; priv wiped (it is single use). */
static fusekey_status derive_keys(struct fk_dh_session *s)
{
	uint8_t shared[FK_DH_SHARED_SIZE];
	fusekey_status st = fk_p256_ecdh(s->priv, s->g_peer, shared);
	FK_WIPE(s->priv);
	if (st == FUSEKEY_ERR_INVALID_PARAMETER)
		st = FUSEKEY_ERR_HANDSHAKE; /* the peer's point is not on the curve */
	if (st == FUSEKEY_OK)
		st = fk_dh_kdf(shared, "SMK", s->smk);
	if (st == FUSEKEY_OK)
		st = fk_dh_kdf(shared, "AEK", s->aek);
	FK_WIPE(shared);
	return st;
}

/*
 * The handshake is done: keep the peer's verified report body (report_data
 * cleared: it is protocol data, not identity); the SMK has no further use.
 */
static void become_active(struct fk_dh_session *s, const struct fk_sgx_report_body *peer)
{
	memcpy(&s->peer, peer, sizeof(s->peer));
	memset(s->peer.report_data, 0, sizeof(s->peer.report_data));
	FK_WIPE(s->smk);
	s->state = FK_DH_STATE_ACTIVE;
}

/* ---- make_target_info (sgx.md §8.4) ---- */

size_t fk_dh_spec_entry(uint16_t entry, size_t dst, size_t *size, int *src)
{
	*size = (size_t)1 << (entry & 0xF);
	*src = (int16_t)entry >> 4; /* arithmetic: -1 means "leave zero" */
	return (dst + *size - 1) & ~(*size - 1);
}

bool fk_dh_make_target_info(const struct fk_dh_proto_spec *spec, const struct fk_sgx_report *report,
			    struct fk_sgx_target_info *ti)
{
	uint8_t *dst = (uint8_t *)ti;
	const uint8_t *src = (const uint8_t *)report;
	memset(ti, 0, sizeof(*ti));
	uint16_t head = fk_le16(spec->target_spec[0]);
	size_t n = head >> 8;
	if (memcmp(spec->signature, fk_dh_lav2_prefix, sizeof(spec->signature)) != 0 || spec->ver != 2 ||
	    spec->rev != 0 || (head & 0xFF) != 0 || n > FK_DH_PROTO_SPEC_ENTRIES_MAX)
		goto refuse;
	size_t d = 0;
	for (size_t i = 1; i <= n; i++) {
		size_t size;
		int src_off;
		d = fk_dh_spec_entry(fk_le16(spec->target_spec[i]), d, &size, &src_off);
		if (size > sizeof(*ti) || d > sizeof(*ti) - size)
			goto refuse;
		if (src_off >= 0) {
			if (size > sizeof(*report) || (size_t)src_off > sizeof(*report) - size)
				goto refuse;
			memcpy(dst + d, src + src_off, size);
		} else if (src_off != -1) {
			goto refuse;
		}
		d += size;
	}
	return true;
refuse:
	memset(ti, 0, sizeof(*ti));
	return false;
}

/* ---- responder: msg1 ---- */

fusekey_status fk_dh_responder_gen_msg1(struct fk_dh_session *s, struct fk_platform *p,
					struct fk_dh_msg1 *msg1)
{
	struct fk_sgx_report self;
	fusekey_status st;

	if (msg1 != NULL)
		memset(msg1, 0, sizeof(*msg1));
	if (s == NULL)
		return FUSEKEY_ERR_INVALID_PARAMETER;
	if (!in_state(s, FK_DH_ROLE_RESPONDER, FK_DH_STATE_RESET))
		return fail(s, FUSEKEY_ERR_INVALID_STATE);
	if (p == NULL || msg1 == NULL)
		return fail(s, FUSEKEY_ERR_INVALID_PARAMETER);
	/* The SDK builds msg1's target from its own report, through the LAv2 spec. */
	st = fk_platform_create_report(p, NULL, NULL, &self);
	if (st != FUSEKEY_OK)
		goto out;
	if (!fk_dh_make_target_info(&fk_dh_lav2_proto_spec, &self, &msg1->target)) {
		st = FUSEKEY_ERR_UNEXPECTED;
		goto out;
	}
	st = ephemeral(s);
	if (st != FUSEKEY_OK)
		goto out;
	memcpy(msg1->g_a, s->g_own, FK_DH_PUB_SIZE);
	s->state = FK_DH_STATE_RESPONDER_WAIT_M2;
out:
	if (st != FUSEKEY_OK) {
		memset(msg1, 0, sizeof(*msg1));
		fk_dh_wipe(s);
	}
	return st;
}

/* ---- initiator: msg1 -> msg2 ---- */

fusekey_status fk_dh_initiator_proc_msg1(struct fk_dh_session *s, struct fk_platform *p,
					 enum fk_dh_version version,
					 const struct fk_dh_msg1 *msg1, struct fk_dh_msg2 *msg2)
{
	uint8_t rd[FK_SGX_REPORT_DATA_SIZE] = {0};
	fusekey_status st;

	if (msg2 != NULL)
		memset(msg2, 0, sizeof(*msg2));
	if (s == NULL)
		return FUSEKEY_ERR_INVALID_PARAMETER;
	if (!in_state(s, FK_DH_ROLE_INITIATOR, FK_DH_STATE_INITIATOR_WAIT_M1))
		return fail(s, FUSEKEY_ERR_INVALID_STATE);
	if (p == NULL || msg1 == NULL || msg2 == NULL ||
	    (version != FK_DH_LAV1 && version != FK_DH_LAV2))
		return fail(s, FUSEKEY_ERR_INVALID_PARAMETER);
	s->version = (uint8_t)version;
	memcpy(s->g_peer, msg1->g_a, FK_DH_PUB_SIZE);
	st = ephemeral(s);
	if (st != FUSEKEY_OK)
		goto out;
	st = derive_keys(s);
	if (st != FUSEKEY_OK)
		goto out;
	memcpy(msg2->g_b, s->g_own, FK_DH_PUB_SIZE);

	if (version == FK_DH_LAV1) {
		/* report_data = SHA-256(g_a || g_b) || kdf id 0x0001 || zeros */
		struct fk_buf parts[2] = {{s->g_peer, FK_DH_PUB_SIZE}, {s->g_own, FK_DH_PUB_SIZE}};
		st = fk_sha256_parts(parts, 2, rd);
		if (st != FUSEKEY_OK)
			goto out;
		fk_put_le16(rd + 32, FK_DH_KDF_ID);
		st = fk_platform_create_report(p, &msg1->target, rd, &msg2->report);
		if (st != FUSEKEY_OK)
			goto out;
		st = fk_cmac128(s->smk, &msg2->report, sizeof(msg2->report), msg2->cmac);
	} else {
		/*
		 * The report binds SHA-256(proto_spec || g_b); what travels in its
		 * report_data is the spec itself, which the responder hashes back.
		 */
		struct fk_buf parts[2] = {{&fk_dh_lav2_proto_spec, FK_DH_PROTO_SPEC_SIZE},
					  {s->g_own, FK_DH_PUB_SIZE}};
		st = fk_sha256_parts(parts, 2, rd);
		if (st != FUSEKEY_OK)
			goto out;
		st = fk_platform_create_report(p, &msg1->target, rd, &msg2->report);
		if (st != FUSEKEY_OK)
			goto out;
		memcpy(msg2->report.body.report_data, &fk_dh_lav2_proto_spec,
		       FK_DH_PROTO_SPEC_SIZE);
		st = fk_cmac128(s->smk, s->g_own, FK_DH_PUB_SIZE, msg2->cmac);
	}
	if (st == FUSEKEY_OK)
		s->state = FK_DH_STATE_INITIATOR_WAIT_M3;
out:
	if (st != FUSEKEY_OK) {
		memset(msg2, 0, sizeof(*msg2));
		fk_dh_wipe(s);
	}
	return st;
}

/* ---- responder: msg2 -> msg3 ---- */

/*
 * LAv1: the peer's report_data begins with SHA-256(own g || peer g), the
 * transcript as the peer saw it (g_a || g_b in msg2, g_b || g_a in msg3).
 */
static fusekey_status lav1_transcript_check(const struct fk_dh_session *s, const uint8_t *rd)
{
	uint8_t h[FK_SHA256_SIZE];
	struct fk_buf parts[2] = {{s->g_own, FK_DH_PUB_SIZE}, {s->g_peer, FK_DH_PUB_SIZE}};
	fusekey_status st = fk_sha256_parts(parts, 2, h);

	if (st == FUSEKEY_OK && !fk_ct_equal(h, rd, sizeof(h)))
		st = FUSEKEY_ERR_HANDSHAKE;
	return st;
}

/*
 * LAv1 msg2 (sgx.md §8.5 step 4): KDF id, CMAC(SMK, report), the report
 * targets us, report_data = SHA-256(g_a || g_b). *kdf_wrong tells the caller
 * the KDF id was not ours (the SDK then reports KDF_MISMATCH).
 */
static fusekey_status check_msg2_lav1(struct fk_dh_session *s, struct fk_platform *p,
				      const struct fk_dh_msg2 *msg2, bool *kdf_wrong)
{
	uint8_t mac[FK_CMAC_SIZE];
	const uint8_t *rd = msg2->report.body.report_data;
	fusekey_status st;

	*kdf_wrong = fk_le16(rd + 32) != FK_DH_KDF_ID;
	if (*kdf_wrong)
		return FUSEKEY_ERR_KDF_MISMATCH;
	/* The expected tag of a forged message is a valid tag for it: wipe it too. */
	st = fk_cmac128(s->smk, &msg2->report, sizeof(msg2->report), mac);
	bool mac_ok = st == FUSEKEY_OK && fk_ct_equal(mac, msg2->cmac, sizeof(mac));
	FK_WIPE(mac);
	if (st != FUSEKEY_OK)
		return st;
	if (!mac_ok)
		return FUSEKEY_ERR_HANDSHAKE;
	if (fk_platform_verify_report(p, &msg2->report) != FUSEKEY_OK)
		return FUSEKEY_ERR_HANDSHAKE;
	return lav1_transcript_check(s, rd);
}

/*
 * LAv2 msg2: report_data carries the initiator's proto_spec; the report must
 * verify with report_data = SHA-256(proto_spec || g_b) || zeros, and
 * cmac = CMAC(SMK, g_b).
 */
static fusekey_status check_msg2_lav2(struct fk_dh_session *s, struct fk_platform *p,
				      const struct fk_dh_msg2 *msg2)
{
	struct fk_sgx_report restored;
	uint8_t mac[FK_CMAC_SIZE];
	fusekey_status st;

	if (memcmp(msg2->report.body.report_data, fk_dh_lav2_prefix, FK_DH_LAV2_PREFIX_SIZE) != 0)
		return FUSEKEY_ERR_HANDSHAKE;
	memcpy(&restored, &msg2->report, sizeof(restored));
	memset(restored.body.report_data, 0, sizeof(restored.body.report_data));
	struct fk_buf parts[2] = {{msg2->report.body.report_data, FK_DH_PROTO_SPEC_SIZE},
				  {s->g_peer, FK_DH_PUB_SIZE}};
	st = fk_sha256_parts(parts, 2, restored.body.report_data);
	if (st != FUSEKEY_OK)
		return st;
	if (fk_platform_verify_report(p, &restored) != FUSEKEY_OK)
		return FUSEKEY_ERR_HANDSHAKE;
	st = fk_cmac128(s->smk, s->g_peer, FK_DH_PUB_SIZE, mac);
	bool mac_ok = st == FUSEKEY_OK && fk_ct_equal(mac, msg2->cmac, sizeof(mac));
	FK_WIPE(mac);
	if (st != FUSEKEY_OK)
		return st;
	return mac_ok ? FUSEKEY_OK : FUSEKEY_ERR_HANDSHAKE;
}

fusekey_status fk_dh_responder_proc_msg2(struct fk_dh_session *s, struct fk_platform *p,
					 const struct fk_dh_msg2 *msg2, const uint8_t *props,
					 size_t props_len, uint8_t *msg3, size_t msg3_cap,
					 size_t *msg3_len)
{
	struct fk_sgx_target_info ti;
	uint8_t rd[FK_SGX_REPORT_DATA_SIZE] = {0};
	struct fk_dh_msg3 *m3 = (struct fk_dh_msg3 *)(void *)msg3;
	bool kdf_wrong = false;
	fusekey_status st;

	if (msg3_len != NULL)
		*msg3_len = 0;
	if (msg3 != NULL)
		memset(msg3, 0, msg3_cap);
	if (s == NULL)
		return FUSEKEY_ERR_INVALID_PARAMETER;
	if (!in_state(s, FK_DH_ROLE_RESPONDER, FK_DH_STATE_RESPONDER_WAIT_M2))
		return fail(s, FUSEKEY_ERR_INVALID_STATE);
	if (p == NULL || msg2 == NULL || msg3 == NULL || msg3_len == NULL ||
	    props_len > FK_DH_PROPS_MAX || (props == NULL && props_len != 0) ||
	    msg3_cap < FK_DH_MSG3_FIXED_SIZE + props_len)
		return fail(s, FUSEKEY_ERR_INVALID_PARAMETER);
	size_t total = FK_DH_MSG3_FIXED_SIZE + props_len;

	memcpy(s->g_peer, msg2->g_b, FK_DH_PUB_SIZE);
	st = derive_keys(s);
	if (st != FUSEKEY_OK)
		goto out;

	/* The SDK tries LAv1 first, then LAv2 (sgx.md §8.5 step 4). */
	st = check_msg2_lav1(s, p, msg2, &kdf_wrong);
	if (st == FUSEKEY_OK) {
		s->version = FK_DH_LAV1;
		if (!fk_dh_make_target_info(&fk_dh_lav2_proto_spec, &msg2->report, &ti)) {
			st = FUSEKEY_ERR_UNEXPECTED;
			goto out;
		}
		struct fk_buf parts[2] = {{s->g_peer, FK_DH_PUB_SIZE}, {s->g_own, FK_DH_PUB_SIZE}};
		st = fk_sha256_parts(parts, 2, rd); /* SHA-256(g_b || g_a) || zeros */
	} else if (st == FUSEKEY_ERR_HANDSHAKE || st == FUSEKEY_ERR_KDF_MISMATCH) {
		st = check_msg2_lav2(s, p, msg2);
		if (st == FUSEKEY_ERR_HANDSHAKE && kdf_wrong)
			st = FUSEKEY_ERR_KDF_MISMATCH;
		if (st != FUSEKEY_OK)
			goto out;
		/*
		 * An authentic msg2 whose spec we cannot build a target from: the
		 * SDK fails later, in generate_message3, with UNEXPECTED.
		 */
		const struct fk_dh_proto_spec *ps =
			(const struct fk_dh_proto_spec *)(const void *)msg2->report.body.report_data;
		if (!fk_dh_make_target_info(ps, &msg2->report, &ti)) {
			st = FUSEKEY_ERR_HANDSHAKE;
			goto out;
		}
		s->version = FK_DH_LAV2;
		/* SHA-256(g_a || ps) || zeros, ps the spec as received */
		struct fk_buf parts[2] = {{s->g_own, FK_DH_PUB_SIZE},
					  {msg2->report.body.report_data, FK_DH_PROTO_SPEC_SIZE}};
		st = fk_sha256_parts(parts, 2, rd);
	}
	if (st != FUSEKEY_OK)
		goto out;

	st = fk_platform_create_report(p, &ti, rd, &m3->report);
	if (st != FUSEKEY_OK)
		goto out;
	fk_put_le32(m3->additional_prop_length, (uint32_t)props_len);
	if (props_len != 0)
		memcpy(msg3 + FK_DH_MSG3_FIXED_SIZE, props, props_len);
	if (s->version == FK_DH_LAV1) {
		st = fk_cmac128(s->smk, msg3 + FK_DH_MSG3_BODY_OFF, total - FK_DH_MSG3_BODY_OFF,
				m3->cmac);
	} else {
		struct fk_buf parts[2] = {{props, props_len}, {s->g_own, FK_DH_PUB_SIZE}};
		st = fk_cmac128_parts(s->smk, parts, 2, m3->cmac); /* CMAC(SMK, props || g_a) */
	}
	if (st != FUSEKEY_OK)
		goto out;

	become_active(s, &msg2->report.body);
	*msg3_len = total;
out:
	if (st != FUSEKEY_OK) {
		memset(msg3, 0, total);
		fk_dh_wipe(s);
	}
	return st;
}

/* ---- initiator: msg3 ---- */

fusekey_status fk_dh_initiator_proc_msg3_as(struct fk_dh_session *s, struct fk_platform *p,
					    enum fk_dh_version version, const uint8_t *msg3,
					    size_t msg3_len)
{
	const struct fk_dh_msg3 *m3 = (const struct fk_dh_msg3 *)(const void *)msg3;
	uint8_t mac[FK_CMAC_SIZE];
	fusekey_status st = FUSEKEY_ERR_HANDSHAKE;

	if (s == NULL)
		return FUSEKEY_ERR_INVALID_PARAMETER;
	if (!in_state(s, FK_DH_ROLE_INITIATOR, FK_DH_STATE_INITIATOR_WAIT_M3))
		return fail(s, FUSEKEY_ERR_INVALID_STATE);
	if (p == NULL || msg3 == NULL || (version != FK_DH_LAV1 && version != FK_DH_LAV2))
		return fail(s, FUSEKEY_ERR_INVALID_PARAMETER);
	/* The length field comes from outside: bound it, then demand exact framing. */
	if (msg3_len < FK_DH_MSG3_FIXED_SIZE)
		goto out;
	uint32_t n = fk_le32(m3->additional_prop_length);
	if (n > FK_DH_PROPS_MAX || msg3_len != FK_DH_MSG3_FIXED_SIZE + (size_t)n)
		goto out;
	const uint8_t *props = msg3 + FK_DH_MSG3_FIXED_SIZE;
	const uint8_t *rd = m3->report.body.report_data;

	if (version == FK_DH_LAV1) {
		/* CMAC over the body, then the report, then SHA-256(g_b || g_a). */
		st = fk_cmac128(s->smk, msg3 + FK_DH_MSG3_BODY_OFF, msg3_len - FK_DH_MSG3_BODY_OFF,
				mac);
		if (st != FUSEKEY_OK)
			goto out;
		st = FUSEKEY_ERR_HANDSHAKE;
		if (!fk_ct_equal(mac, m3->cmac, sizeof(mac)) ||
		    fk_platform_verify_report(p, &m3->report) != FUSEKEY_OK)
			goto out;
		st = lav1_transcript_check(s, rd);
	} else {
		/* report_data = SHA-256(g_a || proto_spec) || zeros, the report, CMAC(props || g_a). */
		uint8_t want[FK_SGX_REPORT_DATA_SIZE] = {0};
		struct fk_buf parts[2] = {{s->g_peer, FK_DH_PUB_SIZE},
					  {&fk_dh_lav2_proto_spec, FK_DH_PROTO_SPEC_SIZE}};
		st = fk_sha256_parts(parts, 2, want);
		if (st != FUSEKEY_OK)
			goto out;
		st = FUSEKEY_ERR_HANDSHAKE;
		if (!fk_ct_equal(want, rd, sizeof(want)) ||
		    fk_platform_verify_report(p, &m3->report) != FUSEKEY_OK)
			goto out;
		struct fk_buf mparts[2] = {{props, n}, {s->g_peer, FK_DH_PUB_SIZE}};
		st = fk_cmac128_parts(s->smk, mparts, 2, mac);
		if (st != FUSEKEY_OK)
			goto out;
		st = fk_ct_equal(mac, m3->cmac, sizeof(mac)) ? FUSEKEY_OK : FUSEKEY_ERR_HANDSHAKE;
	}
	if (st != FUSEKEY_OK)
		goto out;
	become_active(s, &m3->report.body);
out:
	FK_WIPE(mac);
	if (st != FUSEKEY_OK)
		fk_dh_wipe(s);
	return st;
}

fusekey_status fk_dh_initiator_proc_msg3(struct fk_dh_session *s, struct fk_platform *p,
					 const uint8_t *msg3, size_t msg3_len)
{
	if (s == NULL)
		return FUSEKEY_ERR_INVALID_PARAMETER;
	/* A session not waiting for msg3 has no version: _as refuses the state. */
	enum fk_dh_version v = s->version == FK_DH_LAV2 ? FK_DH_LAV2 : FK_DH_LAV1;
	return fk_dh_initiator_proc_msg3_as(s, p, v, msg3, msg3_len);
}

/* ---- the peer ---- */

static bool handshake_done(const struct fk_dh_session *s)
{
	return s->state == FK_DH_STATE_ACTIVE || s->state == FK_DH_STATE_PEER_CHECKED;
}

fusekey_status fk_dh_peer_body(const struct fk_dh_session *s, struct fk_sgx_report_body *body)
{
	if (s == NULL || body == NULL)
		return FUSEKEY_ERR_INVALID_PARAMETER;
	if (!handshake_done(s)) {
		memset(body, 0, sizeof(*body));
		return FUSEKEY_ERR_INVALID_STATE;
	}
	memcpy(body, &s->peer, sizeof(*body));
	return FUSEKEY_OK;
}

fusekey_status fk_dh_sdk_identity(const struct fk_dh_session *s, struct fk_dh_sdk_identity *id)
{
	if (s == NULL || id == NULL)
		return FUSEKEY_ERR_INVALID_PARAMETER;
	if (!handshake_done(s))
		return FUSEKEY_ERR_INVALID_STATE;
	if (s->role == FK_DH_ROLE_INITIATOR) {
		/* sgx_LAv*_initiator_proc_msg3 copies the 260-byte prefix whole. */
		memcpy(id, &s->peer, sizeof(*id));
		return FUSEKEY_OK;
	}
	/* sgx_dh_responder_proc_msg2 writes these five fields only. */
	memcpy(&id->attributes, &s->peer.attributes, sizeof(id->attributes));
	memcpy(id->mr_enclave, s->peer.mr_enclave, sizeof(id->mr_enclave));
	memcpy(id->mr_signer, s->peer.mr_signer, sizeof(id->mr_signer));
	memcpy(id->isv_prod_id, s->peer.isv_prod_id, sizeof(id->isv_prod_id));
	memcpy(id->isv_svn, s->peer.isv_svn, sizeof(id->isv_svn));
	return FUSEKEY_OK;
}

const char *fk_dh_mismatch_name(enum fk_dh_mismatch m)
{
	static const char *const names[] = {
		[FK_DH_MISMATCH_NONE] = "none",
		[FK_DH_MISMATCH_NO_EXPECTATION] = "no_expectation",
		[FK_DH_MISMATCH_MRENCLAVE] = "mr_enclave",
		[FK_DH_MISMATCH_MRSIGNER] = "mr_signer",
		[FK_DH_MISMATCH_ISVPRODID] = "isv_prod_id",
		[FK_DH_MISMATCH_ISVFAMILYID] = "isv_family_id",
		[FK_DH_MISMATCH_ISVEXTPRODID] = "isv_ext_prod_id",
		[FK_DH_MISMATCH_CONFIGID] = "config_id",
		[FK_DH_MISMATCH_DEBUG] = "debug",
		[FK_DH_MISMATCH_ATTRIBUTES] = "attributes",
		[FK_DH_MISMATCH_ISVSVN] = "isv_svn",
		[FK_DH_MISMATCH_CONFIGSVN] = "config_svn",
	};
	unsigned i = (unsigned)m;
	return i < sizeof(names) / sizeof(names[0]) && names[i] != NULL ? names[i] : "unknown";
}

/* Identities are public: plain comparisons are fine here. */
enum fk_dh_mismatch fk_dh_identity_check(const struct fk_sgx_report_body *b,
					 const struct fk_dh_expect *e)
{
	if (b == NULL || e == NULL ||
	    (e->fields & (FK_DH_EXPECT_MRENCLAVE | FK_DH_EXPECT_MRSIGNER)) == 0)
		return FK_DH_MISMATCH_NO_EXPECTATION;
	if ((e->fields & FK_DH_EXPECT_MRENCLAVE) &&
	    memcmp(b->mr_enclave, e->mr_enclave, sizeof(e->mr_enclave)) != 0)
		return FK_DH_MISMATCH_MRENCLAVE;
	if ((e->fields & FK_DH_EXPECT_MRSIGNER) &&
	    memcmp(b->mr_signer, e->mr_signer, sizeof(e->mr_signer)) != 0)
		return FK_DH_MISMATCH_MRSIGNER;
	if ((e->fields & FK_DH_EXPECT_ISVPRODID) && fk_le16(b->isv_prod_id) != e->isv_prod_id)
		return FK_DH_MISMATCH_ISVPRODID;
	if ((e->fields & FK_DH_EXPECT_ISVFAMILYID) &&
	    memcmp(b->isv_family_id, e->isv_family_id, sizeof(e->isv_family_id)) != 0)
		return FK_DH_MISMATCH_ISVFAMILYID;
	if ((e->fields & FK_DH_EXPECT_ISVEXTPRODID) &&
	    memcmp(b->isv_ext_prod_id, e->isv_ext_prod_id, sizeof(e->isv_ext_prod_id)) != 0)
		return FK_DH_MISMATCH_ISVEXTPRODID;
	if ((e->fields & FK_DH_EXPECT_CONFIGID) &&
	    memcmp(b->config_id, e->config_id, sizeof(e->config_id)) != 0)
		return FK_DH_MISMATCH_CONFIGID;
	uint64_t flags = fk_le64(b->attributes.flags), xfrm = fk_le64(b->attributes.xfrm);
	if ((flags & FK_SGX_FLAGS_DEBUG) && !e->allow_debug)
		return FK_DH_MISMATCH_DEBUG;
	/* A value with bits outside its mask matches nothing: fail closed. */
	if ((flags & e->attr_flags_mask) != e->attr_flags_value ||
	    (xfrm & e->attr_xfrm_mask) != e->attr_xfrm_value)
		return FK_DH_MISMATCH_ATTRIBUTES;
	if (fk_le16(b->isv_svn) < e->min_isv_svn)
		return FK_DH_MISMATCH_ISVSVN;
	if (fk_le16(b->config_svn) < e->min_config_svn)
		return FK_DH_MISMATCH_CONFIGSVN;
	return FK_DH_MISMATCH_NONE;
}

fusekey_status fk_dh_check_peer(struct fk_dh_session *s, const struct fk_dh_expect *e, size_t n,
				size_t *matched, enum fk_dh_mismatch *why)
{
	enum fk_dh_mismatch closest = FK_DH_MISMATCH_NO_EXPECTATION;

	if (matched != NULL)
		*matched = 0;
	if (why != NULL)
		*why = FK_DH_MISMATCH_NO_EXPECTATION;
	if (s == NULL)
		return FUSEKEY_ERR_INVALID_PARAMETER;
	if (s->state != FK_DH_STATE_ACTIVE)
		return fail(s, FUSEKEY_ERR_INVALID_STATE);
	if (e == NULL && n != 0)
		return fail(s, FUSEKEY_ERR_INVALID_PARAMETER);
	for (size_t i = 0; i < n; i++) {
		enum fk_dh_mismatch m = fk_dh_identity_check(&s->peer, &e[i]);
		if (m == FK_DH_MISMATCH_NONE) {
			if (matched != NULL)
				*matched = i;
			if (why != NULL)
				*why = FK_DH_MISMATCH_NONE;
			s->state = FK_DH_STATE_PEER_CHECKED;
			return FUSEKEY_OK;
		}
		if (m > closest)
			closest = m;
	}
	if (why != NULL)
		*why = closest;
	return fail(s, FUSEKEY_ERR_PEER_IDENTITY);
}

fusekey_status fk_dh_export_aek(const struct fk_dh_session *s, uint8_t aek[FK_SGX_KEY_SIZE])
{
	if (s == NULL || aek == NULL)
		return FUSEKEY_ERR_INVALID_PARAMETER;
	if (s->state != FK_DH_STATE_PEER_CHECKED) {
		fk_wipe(aek, FK_SGX_KEY_SIZE);
		return FUSEKEY_ERR_INVALID_STATE;
	}
	memcpy(aek, s->aek, FK_SGX_KEY_SIZE);
	return FUSEKEY_OK;
}

/* ---- channel ---- */

static uint8_t send_direction(const struct fk_dh_session *s)
{
	return s->role == FK_DH_ROLE_INITIATOR ? FK_DH_DIR_I2R : FK_DH_DIR_R2I;
}

static uint8_t recv_direction(const struct fk_dh_session *s)
{
	return s->role == FK_DH_ROLE_INITIATOR ? FK_DH_DIR_R2I : FK_DH_DIR_I2R;
}

/* IV = direction (u32 LE) || seq (u64 LE): never repeats under one AEK. */
static void record_iv(uint8_t direction, uint64_t seq, uint8_t iv[FK_GCM_IV_SIZE])
{
	fk_put_le32(iv, direction);
	fk_put_le64(iv + 4, seq);
}

fusekey_status fk_dh_seal(struct fk_dh_session *s, const uint8_t *pt, size_t len, uint8_t *out,
			  size_t out_cap, size_t *out_len)
{
	struct fk_dh_record_hdr *h = (struct fk_dh_record_hdr *)(void *)out;
	uint8_t iv[FK_GCM_IV_SIZE];
	fusekey_status st;

	if (out_len != NULL)
		*out_len = 0;
	if (s == NULL)
		return FUSEKEY_ERR_INVALID_PARAMETER;
	if (s->state != FK_DH_STATE_PEER_CHECKED)
		return fail(s, FUSEKEY_ERR_INVALID_STATE);
	if ((pt == NULL && len != 0) || out == NULL || out_len == NULL ||
	    len > FK_DH_RECORD_MAX_PAYLOAD || out_cap < fk_dh_record_size(len))
		return fail(s, FUSEKEY_ERR_INVALID_PARAMETER);
	/* The last counter value is never used, so "exhausted" needs no wrap check. */
	if (s->send_seq == UINT64_MAX)
		return fail(s, FUSEKEY_ERR_EXHAUSTED);
	h->magic[0] = FK_DH_RECORD_MAGIC0;
	h->magic[1] = FK_DH_RECORD_MAGIC1;
	h->version = FK_DH_RECORD_VERSION;
	h->direction = send_direction(s);
	fk_put_le32(h->length, (uint32_t)len);
	fk_put_le64(h->seq, s->send_seq);
	record_iv(h->direction, s->send_seq, iv);
	st = fk_gcm128_encrypt(s->aek, iv, out, FK_DH_RECORD_HDR_SIZE, pt, len,
			       out + FK_DH_RECORD_HDR_SIZE, out + FK_DH_RECORD_HDR_SIZE + len);
	if (st != FUSEKEY_OK) {
		memset(out, 0, fk_dh_record_size(len));
		return fail(s, st);
	}
	s->send_seq++;
	*out_len = fk_dh_record_size(len);
	return FUSEKEY_OK;
}

fusekey_status fk_dh_open(struct fk_dh_session *s, const uint8_t *rec, size_t rec_len,
			  uint8_t *pt, size_t pt_cap, size_t *pt_len)
{
	const struct fk_dh_record_hdr *h = (const struct fk_dh_record_hdr *)(const void *)rec;
	uint8_t iv[FK_GCM_IV_SIZE];
	fusekey_status st;

	if (pt_len != NULL)
		*pt_len = 0;
	if (pt != NULL)
		memset(pt, 0, pt_cap);
	if (s == NULL)
		return FUSEKEY_ERR_INVALID_PARAMETER;
	if (s->state != FK_DH_STATE_PEER_CHECKED)
		return fail(s, FUSEKEY_ERR_INVALID_STATE);
	if (rec == NULL || pt_len == NULL || (pt == NULL && pt_cap != 0))
		return fail(s, FUSEKEY_ERR_INVALID_PARAMETER);
	if (rec_len < FK_DH_RECORD_OVERHEAD ||
	    rec_len - FK_DH_RECORD_OVERHEAD > FK_DH_RECORD_MAX_PAYLOAD)
		return fail(s, FUSEKEY_ERR_MAC_MISMATCH);
	size_t len = rec_len - FK_DH_RECORD_OVERHEAD;
	if (pt_cap < len)
		return fail(s, FUSEKEY_ERR_INVALID_PARAMETER);
	if (s->recv_seq == UINT64_MAX)
		return fail(s, FUSEKEY_ERR_EXHAUSTED);
	/*
	 * The header is the AAD, so these checks only turn a forgery the tag
	 * would refuse anyway into an early refusal: one status for all of them.
	 */
	if (h->magic[0] != FK_DH_RECORD_MAGIC0 || h->magic[1] != FK_DH_RECORD_MAGIC1 ||
	    h->version != FK_DH_RECORD_VERSION || h->direction != recv_direction(s) ||
	    fk_le32(h->length) != len || fk_le64(h->seq) != s->recv_seq)
		return fail(s, FUSEKEY_ERR_MAC_MISMATCH);
	record_iv(h->direction, s->recv_seq, iv);
	st = fk_gcm128_decrypt(s->aek, iv, rec, FK_DH_RECORD_HDR_SIZE,
			       rec + FK_DH_RECORD_HDR_SIZE, len, rec + FK_DH_RECORD_HDR_SIZE + len,
			       pt);
	if (st != FUSEKEY_OK) {
		if (pt != NULL)
			memset(pt, 0, pt_cap);
		return fail(s, st);
	}
	s->recv_seq++;
	*pt_len = len;
	return FUSEKEY_OK;
}
