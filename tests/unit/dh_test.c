/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for the local-attestation engine, src/la/fk_dh.{h,c}, against its
 * contract (fk_dh.h, fk_dh_wire.h) and shared/docs/reference/sgx.md §8:
 *  - happy paths: LAv1 and LAv2 between two emulated enclaves on one
 *    platform, the peer identities each side learns, additional props;
 *  - the whole state x operation table (data below, one row per state);
 *  - the channel under the AEK: record format, replay, reorder, reflection,
 *    truncation, bit flips, counter exhaustion;
 *  - the peer check: every mismatch reason, order, several expectations;
 *  - building blocks: KDF KAT, make_target_info, the LAv2 proto spec, KAT keys.
 *  - key pairs made ahead (fk_dh_ephemeral): used, single use, wiped, refused late.
 * Tampering with handshake messages is in dh_tamper_test.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/fk_crypto.h"
#include "la/fk_dh.h"
#include "platform/fk_sim.h"
#include "test_util.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static const enum fk_dh_version versions[2] = {FK_DH_LAV1, FK_DH_LAV2};

static const char *vname(enum fk_dh_version v)
{
	return v == FK_DH_LAV1 ? "LAv1" : "LAv2";
}

/* ---- enclaves ---- */

enum { ID_DEBUG = 1u, ID_KSS = 2u };

/*
 * A reproducible identity (th_identity as base): production (not DEBUG)
 * unless ID_DEBUG; ID_KSS adds the KSS flag, CONFIGID, CONFIGSVN, family and
 * extended product ids and CET attributes, all derived from the fills so two
 * enclaves differ in every field.
 */
static void ident(struct fk_sgx_identity *id, uint8_t enc, uint8_t sig, unsigned opts)
{
	th_identity(id, enc, sig);
	id->flags = FK_SGX_FLAGS_INITTED | FK_SGX_FLAGS_MODE64BIT;
	if (opts & ID_DEBUG)
		id->flags |= FK_SGX_FLAGS_DEBUG;
	id->isv_prod_id = (uint16_t)(0x0100u | enc);
	id->isv_svn = (uint16_t)(0x0300u | sig);
	id->misc_select = 0x00000001u;
	if (opts & ID_KSS) {
		id->flags |= FK_SGX_FLAGS_KSS;
		id->cet_attributes = 0x01;
		id->config_svn = (uint16_t)(0x0500u | enc);
		for (size_t k = 0; k < FK_SGX_CONFIGID_SIZE; k++)
			id->config_id[k] = (uint8_t)(enc ^ (0x40u + k));
		for (size_t k = 0; k < FK_SGX_ISV_FAMILY_ID_SIZE; k++)
			id->isv_family_id[k] = (uint8_t)(sig ^ (0x80u + k));
		for (size_t k = 0; k < FK_SGX_ISVEXT_PROD_ID_SIZE; k++)
			id->isv_ext_prod_id[k] = (uint8_t)(enc ^ (0xC0u + k));
	}
}

/* Two enclaves (responder R, initiator I) on one emulated platform. */
struct pair {
	struct fk_sgx_identity rid, iid;
	struct fk_platform *pr, *pi;
	uint8_t cpu_svn[FK_SGX_CPUSVN_SIZE];
};

static void pair_make(struct pair *pp, bool sdk_compat, unsigned ropts, unsigned iopts)
{
	struct fk_sim_state st;
	memset(pp, 0, sizeof(*pp));
	if (sdk_compat)
		fk_sim_state_sdk_compat(&st, FK_SIM_CPUSVN_DEFAULT);
	else
		EXPECT_OK(fk_sim_state_random(&st, FK_SIM_CPUSVN_DEFAULT));
	ident(&pp->rid, 0xa1, 0x51, ropts);
	ident(&pp->iid, 0xb2, 0x62, iopts);
	EXPECT_OK(fk_sim_platform_new(&st, &pp->rid, &pp->pr));
	EXPECT_OK(fk_sim_platform_new(&st, &pp->iid, &pp->pi));
	fk_sim_state_clear(&st);
	EXPECT_OK(fk_platform_cpu_svn(pp->pr, pp->cpu_svn));
}

static void pair_new(struct pair *pp)
{
	pair_make(pp, false, 0, 0);
}

static void pair_free(struct pair *pp)
{
	fk_platform_destroy(pp->pr);
	fk_platform_destroy(pp->pi);
	pp->pr = pp->pi = NULL;
}

/* ---- sessions ---- */

static enum fk_dh_state start_state(enum fk_dh_role role)
{
	return role == FK_DH_ROLE_RESPONDER ? FK_DH_STATE_RESET : FK_DH_STATE_INITIATOR_WAIT_M1;
}

static void sess_init(struct fk_dh_session *s, enum fk_dh_role role)
{
	memset(s, 0x5A, sizeof(*s)); /* whatever was there: fk_dh_init must clear it */
	EXPECT_OK(fk_dh_init(s, role));
	assert_int_equal(fk_dh_state(s), start_state(role));
}

/* Every failure wipes the whole session: every byte zero, state ERROR. */
static void assert_wiped(const struct fk_dh_session *s)
{
	if (!th_all_zero(s, sizeof(*s))) {
		const uint8_t *b = (const uint8_t *)s;
		size_t k = 0;
		while (b[k] == 0)
			k++;
		fail_msg("session not wiped: byte %zu of %zu is 0x%02x", k, sizeof(*s), b[k]);
	}
	assert_int_equal(fk_dh_state(s), FK_DH_STATE_ERROR);
}

struct transcript {
	struct fk_dh_msg1 m1;
	struct fk_dh_msg2 m2;
	uint8_t *m3; /* 452 + props_len bytes */
	size_t m3_len;
};

static void transcript_free(struct transcript *t)
{
	free(t->m3);
	t->m3 = NULL;
}

/* The handshake on two sessions fresh from fk_dh_init, to ACTIVE on both sides. */
static void run_handshake(enum fk_dh_version v, struct pair *pp, struct fk_dh_session *r,
			  struct fk_dh_session *i, const uint8_t *props, size_t props_len,
			  struct transcript *t)
{
	struct transcript local;
	size_t cap = FK_DH_MSG3_FIXED_SIZE + props_len;
	if (t == NULL)
		t = &local;
	memset(t, 0, sizeof(*t));
	t->m3 = malloc(cap);
	assert_non_null(t->m3);
	EXPECT_OK(fk_dh_responder_gen_msg1(r, pp->pr, &t->m1));
	assert_int_equal(fk_dh_state(r), FK_DH_STATE_RESPONDER_WAIT_M2);
	EXPECT_OK(fk_dh_initiator_proc_msg1(i, pp->pi, v, &t->m1, &t->m2));
	assert_int_equal(fk_dh_state(i), FK_DH_STATE_INITIATOR_WAIT_M3);
	EXPECT_OK(fk_dh_responder_proc_msg2(r, pp->pr, &t->m2, props, props_len, t->m3, cap,
					    &t->m3_len));
	assert_int_equal(t->m3_len, cap);
	assert_int_equal(fk_dh_state(r), FK_DH_STATE_ACTIVE);
	EXPECT_OK(fk_dh_initiator_proc_msg3(i, pp->pi, t->m3, t->m3_len));
	assert_int_equal(fk_dh_state(i), FK_DH_STATE_ACTIVE);
	if (t == &local)
		transcript_free(&local);
}

/* Both sides from scratch to ACTIVE. */
static void handshake(enum fk_dh_version v, struct pair *pp, struct fk_dh_session *r,
		      struct fk_dh_session *i)
{
	sess_init(r, FK_DH_ROLE_RESPONDER);
	sess_init(i, FK_DH_ROLE_INITIATOR);
	run_handshake(v, pp, r, i, NULL, 0, NULL);
}

/* An expectation that pins everything about id, exactly. */
static void expect_exact(struct fk_dh_expect *e, const struct fk_sgx_identity *id)
{
	memset(e, 0, sizeof(*e));
	e->fields = FK_DH_EXPECT_ALL;
	memcpy(e->mr_enclave, id->mr_enclave, sizeof(e->mr_enclave));
	memcpy(e->mr_signer, id->mr_signer, sizeof(e->mr_signer));
	e->isv_prod_id = id->isv_prod_id;
	e->min_isv_svn = id->isv_svn;
	e->allow_debug = (id->flags & FK_SGX_FLAGS_DEBUG) != 0;
	memcpy(e->isv_family_id, id->isv_family_id, sizeof(e->isv_family_id));
	memcpy(e->isv_ext_prod_id, id->isv_ext_prod_id, sizeof(e->isv_ext_prod_id));
	memcpy(e->config_id, id->config_id, sizeof(e->config_id));
	e->min_config_svn = id->config_svn;
}

/* ACTIVE -> PEER_CHECKED on both sides, each expecting exactly the other enclave. */
static void check_both(const struct pair *pp, struct fk_dh_session *r, struct fk_dh_session *i)
{
	struct fk_dh_expect er, ei;
	size_t m = 99;
	enum fk_dh_mismatch why = FK_DH_MISMATCH_CONFIGSVN;
	expect_exact(&er, &pp->rid);
	expect_exact(&ei, &pp->iid);
	EXPECT_OK(fk_dh_check_peer(r, &ei, 1, &m, &why));
	assert_int_equal(m, 0);
	assert_int_equal(fk_dh_state(r), FK_DH_STATE_PEER_CHECKED);
	m = 99;
	EXPECT_OK(fk_dh_check_peer(i, &er, 1, &m, &why));
	assert_int_equal(m, 0);
	assert_int_equal(fk_dh_state(i), FK_DH_STATE_PEER_CHECKED);
}

/* A channel ready to carry data (PEER_CHECKED on both sides). */
static void channel_up(enum fk_dh_version v, struct pair *pp, struct fk_dh_session *r,
		       struct fk_dh_session *i)
{
	handshake(v, pp, r, i);
	check_both(pp, r, i);
}

/* ---- records ---- */

enum { REC_CAP = 256 };

static void fill_pattern(uint8_t *p, size_t n, uint8_t seed)
{
	for (size_t k = 0; k < n; k++)
		p[k] = (uint8_t)(seed + k * 13u + (k >> 8));
}

static size_t seal_ok(struct fk_dh_session *s, const uint8_t *pt, size_t len, uint8_t *out,
		      size_t cap)
{
	size_t n = 0;
	EXPECT_OK(fk_dh_seal(s, pt, len, out, cap, &n));
	assert_int_equal(n, fk_dh_record_size(len));
	assert_int_equal(n, len + 32);
	return n;
}

/* Open one record into a buffer of exactly the plaintext size; it must equal want. */
static void open_ok(struct fk_dh_session *s, const uint8_t *rec, size_t rec_len,
		    const uint8_t *want, size_t len)
{
	uint8_t *pt = malloc(len + 1);
	size_t n = 12345;
	assert_non_null(pt);
	assert_int_equal(rec_len, len + 32);
	EXPECT_OK(fk_dh_open(s, rec, rec_len, pt, len, &n));
	assert_int_equal(n, len);
	if (len > 0)
		assert_memory_equal(pt, want, len);
	assert_int_equal(fk_dh_state(s), FK_DH_STATE_PEER_CHECKED);
	free(pt);
}

/*
 * The record must be refused with `want`: the plaintext buffer (exactly the
 * size the record claims to carry, pre-filled) zeroed and the session wiped.
 */
static void open_refused(struct fk_dh_session *s, const uint8_t *rec, size_t rec_len,
			 fusekey_status want)
{
	size_t cap = rec_len >= 32 ? rec_len - 32 : 16;
	uint8_t *pt = malloc(cap + 1);
	size_t n = 12345;
	assert_non_null(pt);
	memset(pt, 0xAA, cap + 1);
	EXPECT_STATUS(fk_dh_open(s, rec, rec_len, pt, cap, &n), want);
	if (rec_len >= 32)
		assert_true(th_all_zero(pt, cap));
	assert_int_equal(pt[cap], 0xAA); /* nothing written past pt_cap */
	assert_wiped(s);
	free(pt);
}

/*
 * A record built here, independently of the engine, from the format of
 * fk_dh_wire.h: header (magic, version, direction, length LE, seq LE) as the
 * GCM AAD, IV = direction u32 LE || seq u64 LE, key = the AEK.
 */
static void forge_record_hdr(const uint8_t aek[FK_SGX_KEY_SIZE], const uint8_t hdr[16],
			     uint8_t dir, uint64_t seq, const uint8_t *pt, size_t len, uint8_t *rec)
{
	uint8_t iv[FK_GCM_IV_SIZE];
	memcpy(rec, hdr, 16);
	fk_put_le32(iv, dir);
	fk_put_le64(iv + 4, seq);
	EXPECT_OK(fk_gcm128_encrypt(aek, iv, rec, 16, pt, len, rec + 16, rec + 16 + len));
}

static void make_hdr(uint8_t hdr[16], uint8_t dir, uint32_t len, uint64_t seq)
{
	hdr[0] = FK_DH_RECORD_MAGIC0;
	hdr[1] = FK_DH_RECORD_MAGIC1;
	hdr[2] = FK_DH_RECORD_VERSION;
	hdr[3] = dir;
	fk_put_le32(hdr + 4, len);
	fk_put_le64(hdr + 8, seq);
}

static void forge_record(const uint8_t aek[FK_SGX_KEY_SIZE], uint8_t dir, uint64_t seq,
			 const uint8_t *pt, size_t len, uint8_t *rec)
{
	uint8_t hdr[16];
	make_hdr(hdr, dir, (uint32_t)len, seq);
	forge_record_hdr(aek, hdr, dir, seq, pt, len, rec);
}

/* ---- independent references (sgx.md §8.3) ---- */

static void kdf_ref(const uint8_t shared[32], const char *label, uint8_t key[16])
{
	static const uint8_t zero[16];
	uint8_t kdk[16], buf[7];
	EXPECT_OK(fk_cmac128(zero, shared, 32, kdk));
	buf[0] = 0x01;
	memcpy(buf + 1, label, 3);
	buf[4] = 0x00;
	buf[5] = 0x80;
	buf[6] = 0x00;
	EXPECT_OK(fk_cmac128(kdk, buf, sizeof(buf), key));
	fk_wipe(kdk, sizeof(kdk));
}

static void sha256_2(const void *a, size_t na, const void *b, size_t nb, uint8_t out[32])
{
	struct fk_buf parts[2] = {{a, na}, {b, nb}};
	EXPECT_OK(fk_sha256_parts(parts, 2, out));
}

/* Valid P-256 scalars (little-endian) for the KAT-key tests. */
static void kat_scalar(uint8_t d[32], uint8_t seed)
{
	for (size_t k = 0; k < 32; k++)
		d[k] = (uint8_t)(seed + k);
	d[31] = 0x1F; /* well below n */
}

/* ================================================================== */
/* 1. Happy paths                                                     */
/* ================================================================== */

static void happy(enum fk_dh_version v)
{
	struct pair pp;
	struct fk_dh_session r, i;
	uint8_t ar[16], ai[16];

	pair_new(&pp);
	handshake(v, &pp, &r, &i);
	assert_int_equal(r.role, FK_DH_ROLE_RESPONDER);
	assert_int_equal(i.role, FK_DH_ROLE_INITIATOR);
	assert_int_equal(r.version, v); /* what msg2 was */
	assert_int_equal(i.version, v); /* the initiator's choice */
	/* own ephemeral keys are wiped once used */
	assert_true(th_all_zero(r.priv, sizeof(r.priv)));
	assert_true(th_all_zero(i.priv, sizeof(i.priv)));
	/* the AEK only leaves once the peer is accepted (read-only: no wipe) */
	memset(ar, 0xAA, sizeof(ar));
	EXPECT_STATUS(fk_dh_export_aek(&r, ar), FUSEKEY_ERR_INVALID_STATE);
	assert_int_equal(fk_dh_state(&r), FK_DH_STATE_ACTIVE);

	check_both(&pp, &r, &i);
	EXPECT_OK(fk_dh_export_aek(&r, ar));
	EXPECT_OK(fk_dh_export_aek(&i, ai));
	assert_memory_equal(ar, ai, sizeof(ar));
	assert_false(th_all_zero(ar, sizeof(ar)));

	fk_dh_wipe(&r);
	fk_dh_wipe(&i);
	assert_wiped(&r);
	assert_wiped(&i);
	fk_dh_wipe(NULL);
	pair_free(&pp);
}

static void test_lav1_handshake(void **state)
{
	(void)state;
	happy(FK_DH_LAV1);
}

static void test_lav2_handshake(void **state)
{
	(void)state;
	happy(FK_DH_LAV2);
}

static void test_sdk_compat_platform_handshake(void **state)
{
	(void)state;
	for (size_t vi = 0; vi < 2; vi++) {
		struct pair pp;
		struct fk_dh_session r, i;
		uint8_t ar[16], ai[16];
		pair_make(&pp, true, ID_KSS, ID_DEBUG);
		channel_up(versions[vi], &pp, &r, &i);
		EXPECT_OK(fk_dh_export_aek(&r, ar));
		EXPECT_OK(fk_dh_export_aek(&i, ai));
		assert_memory_equal(ar, ai, sizeof(ar));
		pair_free(&pp);
	}
}

static void test_fresh_aek_per_session(void **state)
{
	(void)state;
	struct pair pp;
	struct fk_dh_session r, i;
	uint8_t a1[16], a2[16];
	pair_new(&pp);
	channel_up(FK_DH_LAV2, &pp, &r, &i);
	EXPECT_OK(fk_dh_export_aek(&r, a1));
	channel_up(FK_DH_LAV2, &pp, &r, &i);
	EXPECT_OK(fk_dh_export_aek(&r, a2));
	assert_memory_not_equal(a1, a2, sizeof(a1));
	pair_free(&pp);
}

/* The peer body must be the other enclave's report body, report_data zero. */
static void assert_body_is(const struct fk_sgx_report_body *b, const struct fk_sgx_identity *id,
			   const uint8_t cpu_svn[FK_SGX_CPUSVN_SIZE])
{
	struct fk_sgx_report_body want;
	assert_memory_equal(b->mr_enclave, id->mr_enclave, FK_SGX_HASH_SIZE);
	assert_memory_equal(b->mr_signer, id->mr_signer, FK_SGX_HASH_SIZE);
	assert_int_equal(fk_le16(b->isv_prod_id), id->isv_prod_id);
	assert_int_equal(fk_le16(b->isv_svn), id->isv_svn);
	assert_int_equal(fk_le16(b->config_svn), id->config_svn);
	assert_int_equal(fk_le64(b->attributes.flags), id->flags);
	assert_int_equal(fk_le64(b->attributes.xfrm), id->xfrm);
	assert_int_equal(fk_le32(b->misc_select), id->misc_select);
	assert_int_equal(b->reserved1[0], id->cet_attributes);
	assert_memory_equal(b->config_id, id->config_id, FK_SGX_CONFIGID_SIZE);
	assert_memory_equal(b->isv_family_id, id->isv_family_id, FK_SGX_ISV_FAMILY_ID_SIZE);
	assert_memory_equal(b->isv_ext_prod_id, id->isv_ext_prod_id, FK_SGX_ISVEXT_PROD_ID_SIZE);
	assert_memory_equal(b->cpu_svn, cpu_svn, FK_SGX_CPUSVN_SIZE);
	assert_true(th_all_zero(b->report_data, sizeof(b->report_data)));
	/* and nothing else differs */
	fk_sgx_report_body_from_identity(id, cpu_svn, NULL, &want);
	assert_memory_equal(b, &want, sizeof(want));
}

static void peer_bodies(unsigned ropts, unsigned iopts)
{
	for (size_t vi = 0; vi < 2; vi++) {
		struct pair pp;
		struct fk_dh_session r, i;
		struct fk_sgx_report_body b;
		pair_make(&pp, false, ropts, iopts);
		handshake(versions[vi], &pp, &r, &i);
		/* ACTIVE */
		memset(&b, 0xAA, sizeof(b));
		EXPECT_OK(fk_dh_peer_body(&r, &b));
		assert_body_is(&b, &pp.iid, pp.cpu_svn);
		memset(&b, 0xAA, sizeof(b));
		EXPECT_OK(fk_dh_peer_body(&i, &b));
		assert_body_is(&b, &pp.rid, pp.cpu_svn);
		/* PEER_CHECKED */
		check_both(&pp, &r, &i);
		memset(&b, 0xAA, sizeof(b));
		EXPECT_OK(fk_dh_peer_body(&r, &b));
		assert_body_is(&b, &pp.iid, pp.cpu_svn);
		memset(&b, 0xAA, sizeof(b));
		EXPECT_OK(fk_dh_peer_body(&i, &b));
		assert_body_is(&b, &pp.rid, pp.cpu_svn);
		pair_free(&pp);
	}
}

static void test_peer_body_plain(void **state)
{
	(void)state;
	peer_bodies(0, 0);
}

static void test_peer_body_kss(void **state)
{
	(void)state;
	peer_bodies(ID_KSS, ID_KSS | ID_DEBUG);
}

static void test_sdk_identity_responder_writes_five_fields(void **state)
{
	(void)state;
	for (size_t vi = 0; vi < 2; vi++) {
		struct pair pp;
		struct fk_dh_session r, i;
		struct fk_dh_sdk_identity id, want;
		pair_make(&pp, false, 0, ID_KSS | ID_DEBUG);
		handshake(versions[vi], &pp, &r, &i);
		memset(&id, 0xAA, sizeof(id));
		EXPECT_OK(fk_dh_sdk_identity(&r, &id));
		/* independently: 0xAA everywhere but the five fields of the initiator */
		memset(&want, 0xAA, sizeof(want));
		fk_put_le64(want.attributes.flags, pp.iid.flags);
		fk_put_le64(want.attributes.xfrm, pp.iid.xfrm);
		memcpy(want.mr_enclave, pp.iid.mr_enclave, sizeof(want.mr_enclave));
		memcpy(want.mr_signer, pp.iid.mr_signer, sizeof(want.mr_signer));
		fk_put_le16(want.isv_prod_id, pp.iid.isv_prod_id);
		fk_put_le16(want.isv_svn, pp.iid.isv_svn);
		assert_memory_equal(&id, &want, sizeof(want));
		/* the same after the peer check */
		check_both(&pp, &r, &i);
		memset(&id, 0xAA, sizeof(id));
		EXPECT_OK(fk_dh_sdk_identity(&r, &id));
		assert_memory_equal(&id, &want, sizeof(want));
		pair_free(&pp);
	}
}

static void test_sdk_identity_initiator_copies_prefix(void **state)
{
	(void)state;
	for (size_t vi = 0; vi < 2; vi++) {
		struct pair pp;
		struct fk_dh_session r, i;
		struct fk_dh_sdk_identity id;
		struct fk_sgx_report_body rb;
		pair_make(&pp, false, ID_KSS, 0);
		handshake(versions[vi], &pp, &r, &i);
		memset(&id, 0xAA, sizeof(id));
		EXPECT_OK(fk_dh_sdk_identity(&i, &id));
		fk_sgx_report_body_from_identity(&pp.rid, pp.cpu_svn, NULL, &rb);
		assert_memory_equal(&id, &rb, FK_DH_IDENTITY_SIZE);
		/* what the SDK's layout implies for a KSS responder (sgxsdk-sim README §6) */
		assert_memory_equal(id.cpu_svn, pp.cpu_svn, FK_SGX_CPUSVN_SIZE);
		assert_int_equal(fk_le32(id.misc_select), pp.rid.misc_select);
		assert_int_equal(id.reserved_1[0], pp.rid.cet_attributes);
		assert_true(th_all_zero(id.reserved_1 + 1, 11));
		assert_memory_equal(id.reserved_1 + 12, pp.rid.isv_ext_prod_id, 16);
		assert_true(th_all_zero(id.reserved_2, sizeof(id.reserved_2)));
		assert_true(th_all_zero(id.reserved_3, 32));
		assert_memory_equal(id.reserved_3 + 32, pp.rid.config_id, 64);
		assert_int_equal(fk_le16(id.isv_prod_id), pp.rid.isv_prod_id);
		assert_int_equal(fk_le16(id.isv_svn), pp.rid.isv_svn);
		pair_free(&pp);
	}
}

/* additional_prop of n bytes, both versions: carried in msg3, covered by its CMAC. */
static void props_ok(size_t n)
{
	uint8_t *props = NULL;
	if (n > 0) {
		props = malloc(n);
		assert_non_null(props);
		fill_pattern(props, n, 0x37);
	}
	for (size_t vi = 0; vi < 2; vi++) {
		struct pair pp;
		struct fk_dh_session r, i;
		struct transcript t;
		uint8_t ar[16], ai[16];
		pair_new(&pp);
		sess_init(&r, FK_DH_ROLE_RESPONDER);
		sess_init(&i, FK_DH_ROLE_INITIATOR);
		run_handshake(versions[vi], &pp, &r, &i, props, n, &t);
		assert_int_equal(t.m3_len, FK_DH_MSG3_FIXED_SIZE + n);
		assert_int_equal(fk_le32(t.m3 + 448), n);
		if (n > 0)
			assert_memory_equal(t.m3 + FK_DH_MSG3_FIXED_SIZE, props, n);
		check_both(&pp, &r, &i);
		EXPECT_OK(fk_dh_export_aek(&r, ar));
		EXPECT_OK(fk_dh_export_aek(&i, ai));
		assert_memory_equal(ar, ai, 16);
		transcript_free(&t);
		pair_free(&pp);
	}
	free(props);
}

static void test_props_0(void **state)
{
	(void)state;
	props_ok(0);
}

static void test_props_1(void **state)
{
	(void)state;
	props_ok(1);
}

static void test_props_5(void **state)
{
	(void)state;
	props_ok(5);
}

static void test_props_max(void **state)
{
	(void)state;
	props_ok(FK_DH_PROPS_MAX);
}

/* Run R and I up to the point where R processes msg2. */
static void to_wait_m2(enum fk_dh_version v, struct pair *pp, struct fk_dh_session *r,
		       struct fk_dh_session *i, struct fk_dh_msg2 *m2)
{
	struct fk_dh_msg1 m1;
	sess_init(r, FK_DH_ROLE_RESPONDER);
	sess_init(i, FK_DH_ROLE_INITIATOR);
	EXPECT_OK(fk_dh_responder_gen_msg1(r, pp->pr, &m1));
	EXPECT_OK(fk_dh_initiator_proc_msg1(i, pp->pi, v, &m1, m2));
}

static void test_props_max_plus_one_refused(void **state)
{
	(void)state;
	size_t n = (size_t)FK_DH_PROPS_MAX + 1, cap = FK_DH_MSG3_FIXED_SIZE + n, len = 7;
	uint8_t *props = calloc(1, n), *m3 = malloc(cap);
	assert_non_null(props);
	assert_non_null(m3);
	for (size_t vi = 0; vi < 2; vi++) {
		struct pair pp;
		struct fk_dh_session r, i;
		struct fk_dh_msg2 m2;
		pair_new(&pp);
		to_wait_m2(versions[vi], &pp, &r, &i, &m2);
		EXPECT_STATUS(fk_dh_responder_proc_msg2(&r, pp.pr, &m2, props, n, m3, cap, &len),
			      FUSEKEY_ERR_INVALID_PARAMETER);
		assert_wiped(&r);
		pair_free(&pp);
	}
	free(props);
	free(m3);
}

static void test_msg3_buffer_too_small_refused(void **state)
{
	(void)state;
	uint8_t props[5] = {1, 2, 3, 4, 5}, m3[FK_DH_MSG3_FIXED_SIZE + 5];
	for (size_t vi = 0; vi < 2; vi++) {
		struct pair pp;
		struct fk_dh_session r, i;
		struct fk_dh_msg2 m2;
		size_t len = 7;
		pair_new(&pp);
		to_wait_m2(versions[vi], &pp, &r, &i, &m2);
		EXPECT_STATUS(fk_dh_responder_proc_msg2(&r, pp.pr, &m2, props, sizeof(props), m3,
							sizeof(m3) - 1, &len),
			      FUSEKEY_ERR_INVALID_PARAMETER);
		assert_wiped(&r);
		pair_free(&pp);
	}
}

static void test_default_version_is_lav2(void **state)
{
	(void)state;
	struct pair pp;
	struct fk_dh_session r, i;
	struct fk_dh_msg1 m1;
	struct fk_dh_msg2 m2;
	uint8_t m3[FK_DH_MSG3_FIXED_SIZE];
	size_t len = 0;
	assert_int_equal(FK_DH_VERSION_DEFAULT, FK_DH_LAV2);
	pair_new(&pp);
	sess_init(&r, FK_DH_ROLE_RESPONDER);
	sess_init(&i, FK_DH_ROLE_INITIATOR);
	EXPECT_OK(fk_dh_responder_gen_msg1(&r, pp.pr, &m1));
	EXPECT_OK(fk_dh_initiator_proc_msg1(&i, pp.pi, FK_DH_VERSION_DEFAULT, &m1, &m2));
	/* an LAv2 msg2 carries the proto spec in place of its report_data */
	assert_memory_equal(m2.report.body.report_data, &fk_dh_lav2_proto_spec, 64);
	EXPECT_OK(fk_dh_responder_proc_msg2(&r, pp.pr, &m2, NULL, 0, m3, sizeof(m3), &len));
	assert_int_equal(r.version, FK_DH_LAV2);
	EXPECT_OK(fk_dh_initiator_proc_msg3(&i, pp.pi, m3, len));
	pair_free(&pp);
}

/*
 * With both ephemeral keys fixed, every message is checked against sgx.md
 * §8.5 computed here (ECDH, KDF by hand, CMAC, SHA-256, report verification
 * on the platform), and the exported AEK against the hand-made KDF.
 */
static void kat_transcript(enum fk_dh_version v)
{
	struct pair pp;
	struct fk_dh_session r, i;
	struct transcript t;
	uint8_t a[32], b[32], ga[64], gb[64], sh[32], sh2[32], smk[16], aek[16], out[16];
	uint8_t h[32], mac[16], props[3] = {0xde, 0xad, 0x01};
	struct fk_sgx_target_info self;
	struct fk_sgx_report rep;

	kat_scalar(a, 0x11);
	kat_scalar(b, 0x42);
	EXPECT_OK(fk_p256_public(a, ga));
	EXPECT_OK(fk_p256_public(b, gb));
	EXPECT_OK(fk_p256_ecdh(a, gb, sh));
	EXPECT_OK(fk_p256_ecdh(b, ga, sh2));
	assert_memory_equal(sh, sh2, 32);
	kdf_ref(sh, "SMK", smk);
	kdf_ref(sh, "AEK", aek);

	pair_new(&pp);
	sess_init(&r, FK_DH_ROLE_RESPONDER);
	sess_init(&i, FK_DH_ROLE_INITIATOR);
	EXPECT_OK(fk_dh_set_kat_private_key(&r, a));
	EXPECT_OK(fk_dh_set_kat_private_key(&i, b));
	assert_int_equal(r.kat_key, 1);
	assert_int_equal(i.kat_key, 1);
	run_handshake(v, &pp, &r, &i, props, sizeof(props), &t);

	/* msg1: g_a, target = R's own target info */
	assert_memory_equal(t.m1.g_a, ga, 64);
	EXPECT_OK(fk_platform_self_target(pp.pr, &self));
	assert_memory_equal(&t.m1.target, &self, sizeof(self));

	/* msg2 */
	assert_memory_equal(t.m2.g_b, gb, 64);
	rep = t.m2.report;
	if (v == FK_DH_LAV1) {
		sha256_2(ga, 64, gb, 64, h);
		assert_memory_equal(rep.body.report_data, h, 32);
		assert_int_equal(rep.body.report_data[32], 0x01);
		assert_int_equal(rep.body.report_data[33], 0x00);
		assert_true(th_all_zero(rep.body.report_data + 34, 30));
		EXPECT_OK(fk_cmac128(smk, &t.m2.report, sizeof(t.m2.report), mac));
	} else {
		assert_memory_equal(rep.body.report_data, &fk_dh_lav2_proto_spec, 64);
		sha256_2(&fk_dh_lav2_proto_spec, 64, gb, 64, h);
		memset(rep.body.report_data, 0, 64);
		memcpy(rep.body.report_data, h, 32);
		EXPECT_OK(fk_cmac128(smk, gb, 64, mac));
	}
	assert_memory_equal(t.m2.cmac, mac, 16);
	EXPECT_OK(fk_platform_verify_report(pp.pr, &rep)); /* made for R */
	memset(rep.body.report_data, 0, 64);
	assert_body_is(&rep.body, &pp.iid, pp.cpu_svn);

	/* msg3 */
	memcpy(&rep, t.m3 + FK_DH_MSG3_BODY_OFF, sizeof(rep));
	EXPECT_OK(fk_platform_verify_report(pp.pi, &rep)); /* made for I */
	if (v == FK_DH_LAV1) {
		sha256_2(gb, 64, ga, 64, h);
		EXPECT_OK(fk_cmac128(smk, t.m3 + 16, t.m3_len - 16, mac));
	} else {
		uint8_t buf[sizeof(props) + 64];
		sha256_2(ga, 64, &fk_dh_lav2_proto_spec, 64, h);
		memcpy(buf, props, sizeof(props));
		memcpy(buf + sizeof(props), ga, 64);
		EXPECT_OK(fk_cmac128(smk, buf, sizeof(buf), mac));
	}
	assert_memory_equal(rep.body.report_data, h, 32);
	assert_true(th_all_zero(rep.body.report_data + 32, 32));
	assert_memory_equal(t.m3, mac, 16);
	memset(rep.body.report_data, 0, 64);
	assert_body_is(&rep.body, &pp.rid, pp.cpu_svn);

	/* AEK */
	check_both(&pp, &r, &i);
	EXPECT_OK(fk_dh_export_aek(&r, out));
	assert_memory_equal(out, aek, 16);
	EXPECT_OK(fk_dh_export_aek(&i, out));
	assert_memory_equal(out, aek, 16);
	transcript_free(&t);
	pair_free(&pp);
}

static void test_kat_keys_lav1_transcript(void **state)
{
	(void)state;
	kat_transcript(FK_DH_LAV1);
}

static void test_kat_keys_lav2_transcript(void **state)
{
	(void)state;
	kat_transcript(FK_DH_LAV2);
}

/* msg3 processed with the other version's rules than msg2 was made with fails. */
static void version_mismatch(enum fk_dh_version made, enum fk_dh_version as)
{
	struct pair pp;
	struct fk_dh_session r, i, i2;
	struct fk_dh_msg1 m1;
	struct fk_dh_msg2 m2;
	uint8_t m3[FK_DH_MSG3_FIXED_SIZE];
	size_t len = 0;
	pair_new(&pp);
	sess_init(&r, FK_DH_ROLE_RESPONDER);
	sess_init(&i, FK_DH_ROLE_INITIATOR);
	EXPECT_OK(fk_dh_responder_gen_msg1(&r, pp.pr, &m1));
	EXPECT_OK(fk_dh_initiator_proc_msg1(&i, pp.pi, made, &m1, &m2));
	EXPECT_OK(fk_dh_responder_proc_msg2(&r, pp.pr, &m2, NULL, 0, m3, sizeof(m3), &len));
	i2 = i; /* the same WAIT_M3 session, kept for the control */
	EXPECT_STATUS(fk_dh_initiator_proc_msg3_as(&i, pp.pi, as, m3, len), FUSEKEY_ERR_HANDSHAKE);
	assert_wiped(&i);
	EXPECT_OK(fk_dh_initiator_proc_msg3_as(&i2, pp.pi, made, m3, len));
	assert_int_equal(fk_dh_state(&i2), FK_DH_STATE_ACTIVE);
	pair_free(&pp);
}

static void test_version_mismatch_lav1_msg3_as_lav2(void **state)
{
	(void)state;
	version_mismatch(FK_DH_LAV1, FK_DH_LAV2);
}

static void test_version_mismatch_lav2_msg3_as_lav1(void **state)
{
	(void)state;
	version_mismatch(FK_DH_LAV2, FK_DH_LAV1);
}

static void test_proc_msg1_bad_version_refused(void **state)
{
	(void)state;
	static const int bad[] = {0, 3, 0xFF};
	struct pair pp;
	pair_new(&pp);
	for (size_t k = 0; k < ARRAY_LEN(bad); k++) {
		struct fk_dh_session r, i;
		struct fk_dh_msg1 m1;
		struct fk_dh_msg2 m2;
		sess_init(&r, FK_DH_ROLE_RESPONDER);
		sess_init(&i, FK_DH_ROLE_INITIATOR);
		EXPECT_OK(fk_dh_responder_gen_msg1(&r, pp.pr, &m1));
		EXPECT_STATUS(fk_dh_initiator_proc_msg1(&i, pp.pi, (enum fk_dh_version)bad[k], &m1,
							&m2),
			      FUSEKEY_ERR_INVALID_PARAMETER);
		assert_wiped(&i);
	}
	pair_free(&pp);
}

/* "Allowed only right after fk_dh_init": not a second time. */
static void test_kat_key_twice_refused(void **state)
{
	(void)state;
	uint8_t d[32];
	struct fk_dh_session s;
	kat_scalar(d, 0x05);
	sess_init(&s, FK_DH_ROLE_RESPONDER);
	EXPECT_OK(fk_dh_set_kat_private_key(&s, d));
	EXPECT_STATUS(fk_dh_set_kat_private_key(&s, d), FUSEKEY_ERR_INVALID_STATE);
	assert_wiped(&s);
	sess_init(&s, FK_DH_ROLE_INITIATOR);
	EXPECT_OK(fk_dh_set_kat_private_key(&s, d));
	EXPECT_STATUS(fk_dh_set_kat_private_key(&s, d), FUSEKEY_ERR_INVALID_STATE);
	assert_wiped(&s);
}

/*
 * msg3_len must be exactly 452 + the message's own length field: one byte
 * more or less, or a length field beyond FK_DH_PROPS_MAX (with a buffer that
 * long), is a malformed handshake message.
 */
static void test_msg3_length_must_be_exact(void **state)
{
	(void)state;
	size_t big = FK_DH_MSG3_FIXED_SIZE + (size_t)FK_DH_PROPS_MAX + 1;
	uint8_t *buf = calloc(1, big);
	uint8_t props[3] = {9, 8, 7};
	assert_non_null(buf);
	for (size_t vi = 0; vi < 2; vi++) {
		struct pair pp;
		struct fk_dh_session r, i, saved;
		struct fk_dh_msg1 m1;
		struct fk_dh_msg2 m2;
		size_t len = 0, n = FK_DH_MSG3_FIXED_SIZE + sizeof(props);
		pair_new(&pp);
		sess_init(&r, FK_DH_ROLE_RESPONDER);
		sess_init(&i, FK_DH_ROLE_INITIATOR);
		EXPECT_OK(fk_dh_responder_gen_msg1(&r, pp.pr, &m1));
		EXPECT_OK(fk_dh_initiator_proc_msg1(&i, pp.pi, versions[vi], &m1, &m2));
		memset(buf, 0, big);
		EXPECT_OK(fk_dh_responder_proc_msg2(&r, pp.pr, &m2, props, sizeof(props), buf, big,
						    &len));
		assert_int_equal(len, n);
		saved = i;
		const size_t lens[] = {n + 1, n - 1, FK_DH_MSG3_FIXED_SIZE, 451, 0};
		for (size_t k = 0; k < ARRAY_LEN(lens); k++) {
			i = saved;
			EXPECT_STATUS(fk_dh_initiator_proc_msg3(&i, pp.pi, buf, lens[k]),
				      FUSEKEY_ERR_HANDSHAKE);
			assert_wiped(&i);
		}
		/* a length field past the bound, framed consistently */
		uint8_t keep[4];
		memcpy(keep, buf + 448, 4);
		fk_put_le32(buf + 448, (uint32_t)FK_DH_PROPS_MAX + 1);
		i = saved;
		EXPECT_STATUS(fk_dh_initiator_proc_msg3(&i, pp.pi, buf, big), FUSEKEY_ERR_HANDSHAKE);
		assert_wiped(&i);
		/* control */
		memcpy(buf + 448, keep, 4);
		i = saved;
		EXPECT_OK(fk_dh_initiator_proc_msg3(&i, pp.pi, buf, n));
		pair_free(&pp);
	}
	free(buf);
}

static void test_init_bad_role_refused(void **state)
{
	(void)state;
	static const int bad[] = {0, 3, 0xFF};
	for (size_t k = 0; k < ARRAY_LEN(bad); k++) {
		struct fk_dh_session s;
		memset(&s, 0x5A, sizeof(s));
		EXPECT_STATUS(fk_dh_init(&s, (enum fk_dh_role)bad[k]), FUSEKEY_ERR_INVALID_PARAMETER);
		assert_wiped(&s);
	}
}

/*
 * R and I on two different platforms (other root keys): I's report cannot
 * verify in R. An LAv1 msg2 then fails both attempts with a correct KDF id:
 * HANDSHAKE; an LAv2 msg2 has no KDF id 0x0001 at report_data[32..34) (it is
 * proto_spec bytes 32..33, zero), so the LAv1 attempt failed on the KDF id
 * and the status is KDF_MISMATCH (fk_dh.h, sgx.md §8.5).
 */
static void other_platform(enum fk_dh_version v, fusekey_status want)
{
	struct fk_sim_state s1, s2;
	struct fk_sgx_identity rid, iid;
	struct fk_platform *pr = NULL, *pi = NULL;
	struct fk_dh_session r, i;
	struct fk_dh_msg1 m1;
	struct fk_dh_msg2 m2;
	uint8_t m3[FK_DH_MSG3_FIXED_SIZE];
	size_t len = 0;
	EXPECT_OK(fk_sim_state_random(&s1, FK_SIM_CPUSVN_DEFAULT));
	EXPECT_OK(fk_sim_state_random(&s2, FK_SIM_CPUSVN_DEFAULT));
	ident(&rid, 0xa1, 0x51, 0);
	ident(&iid, 0xb2, 0x62, 0);
	EXPECT_OK(fk_sim_platform_new(&s1, &rid, &pr));
	EXPECT_OK(fk_sim_platform_new(&s2, &iid, &pi));
	sess_init(&r, FK_DH_ROLE_RESPONDER);
	sess_init(&i, FK_DH_ROLE_INITIATOR);
	EXPECT_OK(fk_dh_responder_gen_msg1(&r, pr, &m1));
	EXPECT_OK(fk_dh_initiator_proc_msg1(&i, pi, v, &m1, &m2));
	EXPECT_STATUS(fk_dh_responder_proc_msg2(&r, pr, &m2, NULL, 0, m3, sizeof(m3), &len), want);
	assert_wiped(&r);
	fk_platform_destroy(pr);
	fk_platform_destroy(pi);
	fk_sim_state_clear(&s1);
	fk_sim_state_clear(&s2);
}

static void test_other_platform_lav1_handshake_error(void **state)
{
	(void)state;
	other_platform(FK_DH_LAV1, FUSEKEY_ERR_HANDSHAKE);
}

static void test_other_platform_lav2_kdf_mismatch(void **state)
{
	(void)state;
	other_platform(FK_DH_LAV2, FUSEKEY_ERR_KDF_MISMATCH);
}

/* ================================================================== */
/* 2. The state x operation table                                     */
/* ================================================================== */

enum op {
	OP_SET_KAT,
	OP_GEN_MSG1,
	OP_PROC_MSG1,
	OP_PROC_MSG2,
	OP_PROC_MSG3,
	OP_PROC_MSG3_AS,
	OP_CHECK_PEER,
	OP_EXPORT_AEK,
	OP_SEAL,
	OP_OPEN,
	OP_PEER_BODY,
	OP_SDK_IDENTITY,
	OP_COUNT
};

static const char *const op_names[OP_COUNT] = {
	"set_kat_private_key", "responder_gen_msg1", "initiator_proc_msg1",
	"responder_proc_msg2", "initiator_proc_msg3", "initiator_proc_msg3_as",
	"check_peer", "export_aek", "seal", "open", "peer_body", "sdk_identity",
};

/* The read-only operations (const session): refused without wiping. */
static const bool op_readonly[OP_COUNT] = {
	[OP_EXPORT_AEK] = true,
	[OP_PEER_BODY] = true,
	[OP_SDK_IDENTITY] = true,
};

enum row {
	ROW_ERROR_R,
	ROW_ERROR_I,
	ROW_R_RESET,
	ROW_R_WAIT_M2,
	ROW_R_ACTIVE,
	ROW_R_CHECKED,
	ROW_I_WAIT_M1,
	ROW_I_WAIT_M3,
	ROW_I_ACTIVE,
	ROW_I_CHECKED,
	ROW_COUNT
};

/*
 * How each row's state is reached with a real session: run `steps` of the
 * handshake (see world_step: 0 init both, 1 R gen_msg1, 2 I proc_msg1, 3 R
 * proc_msg2, 4 I proc_msg3, 5 both check_peer, 6 both seal one record); the
 * ERROR rows then feed a tampered message that must fail verification.
 */
static const struct row_def {
	const char *name;
	enum fk_dh_role role;
	int steps;
	enum fk_dh_state state;
} rows[ROW_COUNT] = {
	[ROW_ERROR_R] = {"ERROR (responder, after a forged msg2)", FK_DH_ROLE_RESPONDER, 2,
			 FK_DH_STATE_ERROR},
	[ROW_ERROR_I] = {"ERROR (initiator, after a forged msg3)", FK_DH_ROLE_INITIATOR, 3,
			 FK_DH_STATE_ERROR},
	[ROW_R_RESET] = {"responder RESET", FK_DH_ROLE_RESPONDER, 0, FK_DH_STATE_RESET},
	[ROW_R_WAIT_M2] = {"responder RESPONDER_WAIT_M2", FK_DH_ROLE_RESPONDER, 2,
			   FK_DH_STATE_RESPONDER_WAIT_M2},
	[ROW_R_ACTIVE] = {"responder ACTIVE", FK_DH_ROLE_RESPONDER, 4, FK_DH_STATE_ACTIVE},
	[ROW_R_CHECKED] = {"responder PEER_CHECKED", FK_DH_ROLE_RESPONDER, 6,
			   FK_DH_STATE_PEER_CHECKED},
	[ROW_I_WAIT_M1] = {"initiator INITIATOR_WAIT_M1", FK_DH_ROLE_INITIATOR, 1,
			   FK_DH_STATE_INITIATOR_WAIT_M1},
	[ROW_I_WAIT_M3] = {"initiator INITIATOR_WAIT_M3", FK_DH_ROLE_INITIATOR, 3,
			   FK_DH_STATE_INITIATOR_WAIT_M3},
	[ROW_I_ACTIVE] = {"initiator ACTIVE", FK_DH_ROLE_INITIATOR, 4, FK_DH_STATE_ACTIVE},
	[ROW_I_CHECKED] = {"initiator PEER_CHECKED", FK_DH_ROLE_INITIATOR, 6,
			   FK_DH_STATE_PEER_CHECKED},
};

#define OK_ FUSEKEY_OK
#define IS_ FUSEKEY_ERR_INVALID_STATE

/*
 * Expected status of every operation in every state (fk_dh.h). OK_ cells are
 * run with valid inputs and must succeed; IS_ cells must return
 * INVALID_STATE and wipe the session, except the read-only export_aek,
 * peer_body and sdk_identity, which leave it as it was.
 */
static const fusekey_status table[ROW_COUNT][OP_COUNT] = {
	/*                kat  gen1 pm1  pm2  pm3  pm3as check aek seal open body sdkid */
	/* ERROR: nothing but fk_dh_init leaves it */
	[ROW_ERROR_R] = {IS_, IS_, IS_, IS_, IS_, IS_, IS_, IS_, IS_, IS_, IS_, IS_},
	[ROW_ERROR_I] = {IS_, IS_, IS_, IS_, IS_, IS_, IS_, IS_, IS_, IS_, IS_, IS_},
	/* RESET: right after init, the responder may fix its KAT key and send msg1 */
	[ROW_R_RESET] = {OK_, OK_, IS_, IS_, IS_, IS_, IS_, IS_, IS_, IS_, IS_, IS_},
	/* RESPONDER_WAIT_M2: only msg2 */
	[ROW_R_WAIT_M2] = {IS_, IS_, IS_, OK_, IS_, IS_, IS_, IS_, IS_, IS_, IS_, IS_},
	/* ACTIVE: the peer is authentic and readable, the channel waits for check_peer */
	[ROW_R_ACTIVE] = {IS_, IS_, IS_, IS_, IS_, IS_, OK_, IS_, IS_, IS_, OK_, OK_},
	/* PEER_CHECKED: the channel and the AEK; check_peer is ACTIVE-only */
	[ROW_R_CHECKED] = {IS_, IS_, IS_, IS_, IS_, IS_, IS_, OK_, OK_, OK_, OK_, OK_},
	/* INITIATOR_WAIT_M1: right after init, the initiator may fix its KAT key, takes msg1 */
	[ROW_I_WAIT_M1] = {OK_, IS_, OK_, IS_, IS_, IS_, IS_, IS_, IS_, IS_, IS_, IS_},
	/* INITIATOR_WAIT_M3: only msg3 (either entry point, with the version of msg2) */
	[ROW_I_WAIT_M3] = {IS_, IS_, IS_, IS_, OK_, OK_, IS_, IS_, IS_, IS_, IS_, IS_},
	/* ACTIVE, initiator side: as for the responder */
	[ROW_I_ACTIVE] = {IS_, IS_, IS_, IS_, IS_, IS_, OK_, IS_, IS_, IS_, OK_, OK_},
	/* PEER_CHECKED, initiator side: as for the responder */
	[ROW_I_CHECKED] = {IS_, IS_, IS_, IS_, IS_, IS_, IS_, OK_, OK_, OK_, OK_, OK_},
};

/* State after a successful operation; -1: unchanged. */
static const int state_after_ok[OP_COUNT] = {
	[OP_SET_KAT] = -1,
	[OP_GEN_MSG1] = FK_DH_STATE_RESPONDER_WAIT_M2,
	[OP_PROC_MSG1] = FK_DH_STATE_INITIATOR_WAIT_M3,
	[OP_PROC_MSG2] = FK_DH_STATE_ACTIVE,
	[OP_PROC_MSG3] = FK_DH_STATE_ACTIVE,
	[OP_PROC_MSG3_AS] = FK_DH_STATE_ACTIVE,
	[OP_CHECK_PEER] = FK_DH_STATE_PEER_CHECKED,
	[OP_EXPORT_AEK] = -1,
	[OP_SEAL] = -1,
	[OP_OPEN] = -1,
	[OP_PEER_BODY] = -1,
	[OP_SDK_IDENTITY] = -1,
};

static const uint8_t pl_r2i[4] = {'r', '2', 'i', '!'};
static const uint8_t pl_i2r[4] = {'i', '2', 'r', '?'};

struct msgs {
	struct fk_dh_msg1 m1;
	struct fk_dh_msg2 m2;
	uint8_t m3[FK_DH_MSG3_FIXED_SIZE];
	size_t m3_len;
	uint8_t rec_i2r[REC_CAP], rec_r2i[REC_CAP];
	size_t rec_i2r_len, rec_r2i_len;
};

struct world {
	struct pair pp;
	enum fk_dh_version v;
	enum row rw;
	int steps;
	struct fk_dh_session r, i;   /* the subject pair */
	struct fk_dh_session sr, si; /* a spare complete session on the same platform */
	struct msgs cur, spare;
	struct fk_dh_expect exp_r, exp_i; /* exactly R, exactly I */
};

static void world_step(struct world *w, struct fk_dh_session *r, struct fk_dh_session *i,
		       struct msgs *m, int step)
{
	size_t matched = 99;
	switch (step) {
	case 0:
		sess_init(r, FK_DH_ROLE_RESPONDER);
		sess_init(i, FK_DH_ROLE_INITIATOR);
		break;
	case 1:
		EXPECT_OK(fk_dh_responder_gen_msg1(r, w->pp.pr, &m->m1));
		break;
	case 2:
		EXPECT_OK(fk_dh_initiator_proc_msg1(i, w->pp.pi, w->v, &m->m1, &m->m2));
		break;
	case 3:
		EXPECT_OK(fk_dh_responder_proc_msg2(r, w->pp.pr, &m->m2, NULL, 0, m->m3,
						    sizeof(m->m3), &m->m3_len));
		break;
	case 4:
		EXPECT_OK(fk_dh_initiator_proc_msg3(i, w->pp.pi, m->m3, m->m3_len));
		break;
	case 5:
		EXPECT_OK(fk_dh_check_peer(r, &w->exp_i, 1, &matched, NULL));
		EXPECT_OK(fk_dh_check_peer(i, &w->exp_r, 1, &matched, NULL));
		break;
	case 6:
		m->rec_r2i_len = seal_ok(r, pl_r2i, sizeof(pl_r2i), m->rec_r2i, REC_CAP);
		m->rec_i2r_len = seal_ok(i, pl_i2r, sizeof(pl_i2r), m->rec_i2r, REC_CAP);
		break;
	default:
		fail();
	}
}

static struct fk_dh_session *subject(struct world *w)
{
	return rows[w->rw].role == FK_DH_ROLE_RESPONDER ? &w->r : &w->i;
}

static struct world *world_new(enum fk_dh_version v, enum row rw)
{
	struct world *w = calloc(1, sizeof(*w));
	assert_non_null(w);
	pair_new(&w->pp);
	w->v = v;
	w->rw = rw;
	expect_exact(&w->exp_r, &w->pp.rid);
	expect_exact(&w->exp_i, &w->pp.iid);
	for (int k = 0; k <= 6; k++)
		world_step(w, &w->sr, &w->si, &w->spare, k);
	w->steps = rows[rw].steps;
	for (int k = 0; k <= w->steps; k++)
		world_step(w, &w->r, &w->i, &w->cur, k);
	if (rw == ROW_ERROR_R) {
		struct fk_dh_msg2 bad = w->cur.m2;
		uint8_t m3[FK_DH_MSG3_FIXED_SIZE];
		size_t len = 0;
		bad.cmac[0] ^= 0x01;
		/* an LAv2 msg2 also fails the LAv1 KDF id check: KDF_MISMATCH */
		EXPECT_STATUS(fk_dh_responder_proc_msg2(&w->r, w->pp.pr, &bad, NULL, 0, m3,
							sizeof(m3), &len),
			      v == FK_DH_LAV1 ? FUSEKEY_ERR_HANDSHAKE : FUSEKEY_ERR_KDF_MISMATCH);
	} else if (rw == ROW_ERROR_I) {
		uint8_t bad[FK_DH_MSG3_FIXED_SIZE];
		memcpy(bad, w->cur.m3, sizeof(bad));
		bad[0] ^= 0x01; /* cmac */
		EXPECT_STATUS(fk_dh_initiator_proc_msg3(&w->i, w->pp.pi, bad, sizeof(bad)),
			      FUSEKEY_ERR_HANDSHAKE);
	}
	assert_int_equal(fk_dh_state(subject(w)), rows[rw].state);
	if (rows[rw].state == FK_DH_STATE_ERROR)
		assert_wiped(subject(w));
	return w;
}

static void world_free(struct world *w)
{
	pair_free(&w->pp);
	fk_wipe(w, sizeof(*w));
	free(w);
}

/* Run op on the subject with well-formed inputs (valid ones where the state allows). */
static fusekey_status run_op(struct world *w, enum op op)
{
	bool is_r = rows[w->rw].role == FK_DH_ROLE_RESPONDER;
	struct fk_dh_session *s = subject(w);
	struct fk_platform *p = is_r ? w->pp.pr : w->pp.pi;
	const struct msgs *in1 = w->steps >= 1 ? &w->cur : &w->spare;
	const struct msgs *in2 = w->steps >= 2 ? &w->cur : &w->spare;
	const struct msgs *in3 = w->steps >= 3 ? &w->cur : &w->spare;
	const struct msgs *inr = w->steps >= 6 ? &w->cur : &w->spare;
	const struct fk_sgx_identity *peer = is_r ? &w->pp.iid : &w->pp.rid;
	uint8_t buf[REC_CAP];
	size_t n = 0;
	fusekey_status st;

	switch (op) {
	case OP_SET_KAT: {
		uint8_t d[32];
		kat_scalar(d, 0x21);
		st = fk_dh_set_kat_private_key(s, d);
		if (st == FUSEKEY_OK)
			assert_int_equal(s->kat_key, 1);
		return st;
	}
	case OP_GEN_MSG1: {
		struct fk_dh_msg1 m1;
		return fk_dh_responder_gen_msg1(s, p, &m1);
	}
	case OP_PROC_MSG1: {
		struct fk_dh_msg2 m2;
		return fk_dh_initiator_proc_msg1(s, p, w->v, &in1->m1, &m2);
	}
	case OP_PROC_MSG2: {
		uint8_t m3[FK_DH_MSG3_FIXED_SIZE];
		return fk_dh_responder_proc_msg2(s, p, &in2->m2, NULL, 0, m3, sizeof(m3), &n);
	}
	case OP_PROC_MSG3:
		return fk_dh_initiator_proc_msg3(s, p, in3->m3, in3->m3_len);
	case OP_PROC_MSG3_AS:
		return fk_dh_initiator_proc_msg3_as(s, p, w->v, in3->m3, in3->m3_len);
	case OP_CHECK_PEER: {
		size_t matched = 99;
		enum fk_dh_mismatch why = FK_DH_MISMATCH_NONE;
		st = fk_dh_check_peer(s, is_r ? &w->exp_i : &w->exp_r, 1, &matched, &why);
		if (st == FUSEKEY_OK)
			assert_int_equal(matched, 0);
		return st;
	}
	case OP_EXPORT_AEK: {
		uint8_t aek[16];
		memset(aek, 0xAA, sizeof(aek));
		st = fk_dh_export_aek(s, aek);
		if (st == FUSEKEY_OK)
			assert_false(th_all_zero(aek, sizeof(aek)));
		else
			assert_true(th_all_zero(aek, sizeof(aek))); /* refused: wiped, no AEK */
		return st;
	}
	case OP_SEAL:
		st = fk_dh_seal(s, pl_i2r, sizeof(pl_i2r), buf, sizeof(buf), &n);
		if (st == FUSEKEY_OK)
			assert_int_equal(n, sizeof(pl_i2r) + 32);
		return st;
	case OP_OPEN: {
		const uint8_t *rec = is_r ? inr->rec_i2r : inr->rec_r2i;
		size_t rec_len = is_r ? inr->rec_i2r_len : inr->rec_r2i_len;
		st = fk_dh_open(s, rec, rec_len, buf, sizeof(buf), &n);
		if (st == FUSEKEY_OK) {
			assert_int_equal(n, 4);
			assert_memory_equal(buf, is_r ? pl_i2r : pl_r2i, 4);
		}
		return st;
	}
	case OP_PEER_BODY: {
		struct fk_sgx_report_body b;
		st = fk_dh_peer_body(s, &b);
		if (st == FUSEKEY_OK)
			assert_body_is(&b, peer, w->pp.cpu_svn);
		return st;
	}
	case OP_SDK_IDENTITY: {
		struct fk_dh_sdk_identity id;
		memset(&id, 0, sizeof(id));
		st = fk_dh_sdk_identity(s, &id);
		if (st == FUSEKEY_OK) {
			assert_memory_equal(id.mr_enclave, peer->mr_enclave, 32);
			assert_memory_equal(id.mr_signer, peer->mr_signer, 32);
		}
		return st;
	}
	default:
		fail();
	}
	return FUSEKEY_ERR_UNEXPECTED;
}

static void table_row(enum row rw)
{
	for (size_t vi = 0; vi < 2; vi++) {
		for (int op = 0; op < OP_COUNT; op++) {
			struct world *w = world_new(versions[vi], rw);
			struct fk_dh_session *s = subject(w);
			struct fk_dh_session before = *s;
			fusekey_status want = table[rw][op], got = run_op(w, (enum op)op);
			if (got != want)
				fail_msg("%s, %s, %s: got %s, want %s", rows[rw].name,
					 vname(versions[vi]), op_names[op], fusekey_status_name(got),
					 fusekey_status_name(want));
			if (want != FUSEKEY_OK && op_readonly[op]) {
				if (memcmp(s, &before, sizeof(before)) != 0)
					fail_msg("%s, %s, %s: read-only refusal changed the session",
						 rows[rw].name, vname(versions[vi]), op_names[op]);
			} else if (want != FUSEKEY_OK) {
				if (!th_all_zero(s, sizeof(*s)))
					fail_msg("%s, %s, %s: refused but session not wiped",
						 rows[rw].name, vname(versions[vi]), op_names[op]);
				assert_int_equal(fk_dh_state(s), FK_DH_STATE_ERROR);
			} else if (op_readonly[op]) {
				if (memcmp(s, &before, sizeof(before)) != 0)
					fail_msg("%s, %s, %s: read-only call changed the session",
						 rows[rw].name, vname(versions[vi]), op_names[op]);
			} else {
				int after = state_after_ok[op] < 0 ? (int)rows[rw].state
								   : state_after_ok[op];
				if ((int)fk_dh_state(s) != after)
					fail_msg("%s, %s, %s: state %s after success, want %s",
						 rows[rw].name, vname(versions[vi]), op_names[op],
						 fk_dh_state_name(fk_dh_state(s)),
						 fk_dh_state_name((enum fk_dh_state)after));
			}
			world_free(w);
		}
	}
}

static void test_table_error_from_responder(void **state)
{
	(void)state;
	table_row(ROW_ERROR_R);
}

static void test_table_error_from_initiator(void **state)
{
	(void)state;
	table_row(ROW_ERROR_I);
}

static void test_table_responder_reset(void **state)
{
	(void)state;
	table_row(ROW_R_RESET);
}

static void test_table_responder_wait_m2(void **state)
{
	(void)state;
	table_row(ROW_R_WAIT_M2);
}

static void test_table_responder_active(void **state)
{
	(void)state;
	table_row(ROW_R_ACTIVE);
}

static void test_table_responder_peer_checked(void **state)
{
	(void)state;
	table_row(ROW_R_CHECKED);
}

static void test_table_initiator_wait_m1(void **state)
{
	(void)state;
	table_row(ROW_I_WAIT_M1);
}

static void test_table_initiator_wait_m3(void **state)
{
	(void)state;
	table_row(ROW_I_WAIT_M3);
}

static void test_table_initiator_active(void **state)
{
	(void)state;
	table_row(ROW_I_ACTIVE);
}

static void test_table_initiator_peer_checked(void **state)
{
	(void)state;
	table_row(ROW_I_CHECKED);
}

/*
 * fk_dh_init from every state gives a fresh session: only state and role set,
 * nothing of the old session (keys, peer, counters) left, and it completes a
 * whole new handshake and channel.
 */
static void init_from_every_state(enum fk_dh_role role)
{
	for (int rw = 0; rw < ROW_COUNT; rw++) {
		struct world *w = world_new(FK_DH_LAV2, (enum row)rw);
		struct fk_dh_session *s = subject(w), other;
		uint8_t rec[REC_CAP];
		size_t n;
		EXPECT_OK(fk_dh_init(s, role));
		assert_int_equal(fk_dh_state(s), start_state(role));
		assert_int_equal(s->state, start_state(role));
		assert_int_equal(s->role, role);
		if (!th_all_zero((const uint8_t *)s + 2, sizeof(*s) - 2))
			fail_msg("init from %s left old bytes", rows[rw].name);
		if (role == FK_DH_ROLE_RESPONDER) {
			sess_init(&other, FK_DH_ROLE_INITIATOR);
			run_handshake(FK_DH_LAV2, &w->pp, s, &other, NULL, 0, NULL);
			check_both(&w->pp, s, &other);
			n = seal_ok(s, pl_r2i, 4, rec, sizeof(rec));
			open_ok(&other, rec, n, pl_r2i, 4);
		} else {
			sess_init(&other, FK_DH_ROLE_RESPONDER);
			run_handshake(FK_DH_LAV2, &w->pp, &other, s, NULL, 0, NULL);
			check_both(&w->pp, &other, s);
			n = seal_ok(s, pl_i2r, 4, rec, sizeof(rec));
			open_ok(&other, rec, n, pl_i2r, 4);
		}
		world_free(w);
	}
}

static void test_init_from_every_state_as_responder(void **state)
{
	(void)state;
	init_from_every_state(FK_DH_ROLE_RESPONDER);
}

static void test_init_from_every_state_as_initiator(void **state)
{
	(void)state;
	init_from_every_state(FK_DH_ROLE_INITIATOR);
}

/* ================================================================== */
/* 3. Channel                                                         */
/* ================================================================== */

/* A channel up on a fresh pair; the caller frees pp. */
struct chan {
	struct pair pp;
	struct fk_dh_session r, i;
	uint8_t aek[16];
};

static void chan_up(struct chan *c, enum fk_dh_version v)
{
	pair_new(&c->pp);
	channel_up(v, &c->pp, &c->r, &c->i);
	EXPECT_OK(fk_dh_export_aek(&c->r, c->aek));
}

static void chan_free(struct chan *c)
{
	pair_free(&c->pp);
}

static void test_channel_round_trip_both_directions(void **state)
{
	(void)state;
	for (size_t vi = 0; vi < 2; vi++) {
		struct chan c;
		uint8_t pt[40], rec[REC_CAP];
		size_t n;
		chan_up(&c, versions[vi]);
		for (uint8_t k = 0; k < 3; k++) {
			fill_pattern(pt, sizeof(pt), (uint8_t)(0x10 + k));
			n = seal_ok(&c.r, pt, sizeof(pt), rec, sizeof(rec));
			open_ok(&c.i, rec, n, pt, sizeof(pt));
			fill_pattern(pt, sizeof(pt), (uint8_t)(0x90 + k));
			n = seal_ok(&c.i, pt, sizeof(pt), rec, sizeof(rec));
			open_ok(&c.r, rec, n, pt, sizeof(pt));
		}
		/* several in a row the same way, then the other way */
		uint8_t recs[3][REC_CAP];
		for (uint8_t k = 0; k < 3; k++) {
			fill_pattern(pt, sizeof(pt), k);
			seal_ok(&c.i, pt, sizeof(pt), recs[k], REC_CAP);
		}
		for (uint8_t k = 0; k < 3; k++) {
			fill_pattern(pt, sizeof(pt), k);
			open_ok(&c.r, recs[k], sizeof(pt) + 32, pt, sizeof(pt));
		}
		chan_free(&c);
	}
}

static void test_channel_empty_payload(void **state)
{
	(void)state;
	struct chan c;
	uint8_t rec[REC_CAP], dummy[1] = {0};
	size_t n;
	chan_up(&c, FK_DH_LAV2);
	n = seal_ok(&c.r, dummy, 0, rec, sizeof(rec));
	assert_int_equal(n, 32);
	assert_int_equal(fk_le32(rec + 4), 0);
	open_ok(&c.i, rec, n, dummy, 0);
	n = seal_ok(&c.i, dummy, 0, rec, sizeof(rec));
	open_ok(&c.r, rec, n, dummy, 0);
	chan_free(&c);
}

static void test_channel_one_byte(void **state)
{
	(void)state;
	struct chan c;
	uint8_t rec[REC_CAP], pt[1] = {0x5c};
	size_t n;
	chan_up(&c, FK_DH_LAV2);
	n = seal_ok(&c.r, pt, 1, rec, sizeof(rec));
	assert_int_equal(n, 33);
	open_ok(&c.i, rec, n, pt, 1);
	n = seal_ok(&c.i, pt, 1, rec, sizeof(rec));
	open_ok(&c.r, rec, n, pt, 1);
	chan_free(&c);
}

static void test_channel_max_payload(void **state)
{
	(void)state;
	struct chan c;
	size_t len = FK_DH_RECORD_MAX_PAYLOAD, n;
	uint8_t *pt = malloc(len), *rec = malloc(len + 32);
	assert_non_null(pt);
	assert_non_null(rec);
	fill_pattern(pt, len, 0x01);
	chan_up(&c, FK_DH_LAV2);
	n = seal_ok(&c.r, pt, len, rec, len + 32);
	assert_int_equal(fk_le32(rec + 4), len);
	open_ok(&c.i, rec, n, pt, len);
	n = seal_ok(&c.i, pt, len, rec, len + 32);
	open_ok(&c.r, rec, n, pt, len);
	chan_free(&c);
	free(pt);
	free(rec);
}

static void test_channel_max_payload_plus_one_refused(void **state)
{
	(void)state;
	struct chan c;
	size_t len = (size_t)FK_DH_RECORD_MAX_PAYLOAD + 1, n = 0;
	uint8_t *pt = calloc(1, len), *rec = malloc(len + 32);
	assert_non_null(pt);
	assert_non_null(rec);
	chan_up(&c, FK_DH_LAV2);
	EXPECT_STATUS(fk_dh_seal(&c.r, pt, len, rec, len + 32, &n), FUSEKEY_ERR_INVALID_PARAMETER);
	assert_wiped(&c.r);
	/* and an authentic record that long (made with the AEK here) is not opened */
	forge_record(c.aek, FK_DH_DIR_R2I, 0, pt, len, rec);
	open_refused(&c.i, rec, len + 32, FUSEKEY_ERR_MAC_MISMATCH);
	chan_free(&c);
	free(pt);
	free(rec);
}

static void test_channel_record_size_and_header(void **state)
{
	(void)state;
	struct chan c;
	uint8_t pt[5] = {1, 2, 3, 4, 5}, rec[REC_CAP];
	chan_up(&c, FK_DH_LAV1);
	for (uint64_t seq = 0; seq < 2; seq++) {
		size_t n = seal_ok(&c.r, pt, sizeof(pt), rec, sizeof(rec));
		assert_int_equal(n, 37);
		assert_int_equal(rec[0], 'F');
		assert_int_equal(rec[1], 'K');
		assert_int_equal(rec[2], 1);
		assert_int_equal(rec[3], FK_DH_DIR_R2I);
		assert_int_equal(rec[3], 2);
		assert_int_equal(fk_le32(rec + 4), 5);
		assert_int_equal(fk_le64(rec + 8), seq);
		open_ok(&c.i, rec, n, pt, sizeof(pt));
		n = seal_ok(&c.i, pt, sizeof(pt), rec, sizeof(rec));
		assert_int_equal(rec[0], 'F');
		assert_int_equal(rec[1], 'K');
		assert_int_equal(rec[2], 1);
		assert_int_equal(rec[3], FK_DH_DIR_I2R);
		assert_int_equal(rec[3], 1);
		assert_int_equal(fk_le32(rec + 4), 5);
		assert_int_equal(fk_le64(rec + 8), seq);
		open_ok(&c.r, rec, n, pt, sizeof(pt));
	}
	chan_free(&c);
}

/* Decrypt an engine record here, with the documented IV, AAD and the AEK. */
static void decrypt_here(const uint8_t aek[16], const uint8_t *rec, size_t rec_len,
			 const uint8_t *want, size_t len)
{
	uint8_t iv[12], out[REC_CAP];
	assert_int_equal(rec_len, len + 32);
	fk_put_le32(iv, rec[3]);
	memcpy(iv + 4, rec + 8, 8);
	EXPECT_OK(fk_gcm128_decrypt(aek, iv, rec, 16, rec + 16, len, rec + 16 + len, out));
	assert_memory_equal(out, want, len);
	/* ciphertext is not the plaintext */
	assert_memory_not_equal(rec + 16, want, len);
}

static void test_channel_record_is_documented_gcm(void **state)
{
	(void)state;
	struct chan c;
	uint8_t pt[21], rec[REC_CAP];
	size_t n;
	fill_pattern(pt, sizeof(pt), 0x33);
	chan_up(&c, FK_DH_LAV2);
	for (int k = 0; k < 3; k++) {
		n = seal_ok(&c.r, pt, sizeof(pt), rec, sizeof(rec));
		decrypt_here(c.aek, rec, n, pt, sizeof(pt));
		n = seal_ok(&c.i, pt, sizeof(pt), rec, sizeof(rec));
		decrypt_here(c.aek, rec, n, pt, sizeof(pt));
	}
	chan_free(&c);
}

static void test_channel_record_made_here_is_opened(void **state)
{
	(void)state;
	struct chan c;
	uint8_t pt[9], rec[REC_CAP];
	fill_pattern(pt, sizeof(pt), 0x71);
	chan_up(&c, FK_DH_LAV2);
	for (uint64_t seq = 0; seq < 3; seq++) {
		forge_record(c.aek, FK_DH_DIR_R2I, seq, pt, sizeof(pt), rec);
		open_ok(&c.i, rec, sizeof(pt) + 32, pt, sizeof(pt));
		forge_record(c.aek, FK_DH_DIR_I2R, seq, pt, sizeof(pt), rec);
		open_ok(&c.r, rec, sizeof(pt) + 32, pt, sizeof(pt));
	}
	chan_free(&c);
}

static void test_channel_sequence_increments(void **state)
{
	(void)state;
	struct chan c;
	uint8_t pt[3] = {7, 8, 9}, rec[4][REC_CAP];
	chan_up(&c, FK_DH_LAV2);
	assert_int_equal(c.r.send_seq, 0);
	assert_int_equal(c.i.recv_seq, 0);
	for (uint64_t k = 0; k < 4; k++) {
		seal_ok(&c.r, pt, sizeof(pt), rec[k], REC_CAP);
		assert_int_equal(fk_le64(rec[k] + 8), k);
		assert_int_equal(c.r.send_seq, k + 1);
	}
	for (uint64_t k = 0; k < 4; k++) {
		open_ok(&c.i, rec[k], sizeof(pt) + 32, pt, sizeof(pt));
		assert_int_equal(c.i.recv_seq, k + 1);
	}
	/* the other direction counts on its own */
	assert_int_equal(c.i.send_seq, 0);
	assert_int_equal(c.r.recv_seq, 0);
	seal_ok(&c.i, pt, sizeof(pt), rec[0], REC_CAP);
	assert_int_equal(fk_le64(rec[0] + 8), 0);
	chan_free(&c);
}

static void test_channel_replay_refused(void **state)
{
	(void)state;
	struct chan c;
	uint8_t pt[8], rec[REC_CAP], rec2[REC_CAP];
	size_t n;
	fill_pattern(pt, sizeof(pt), 0x44);
	chan_up(&c, FK_DH_LAV2);
	n = seal_ok(&c.r, pt, sizeof(pt), rec, sizeof(rec));
	seal_ok(&c.i, pt, sizeof(pt), rec2, sizeof(rec2));
	open_ok(&c.i, rec, n, pt, sizeof(pt));
	open_ok(&c.r, rec2, n, pt, sizeof(pt));
	open_refused(&c.i, rec, n, FUSEKEY_ERR_MAC_MISMATCH);
	open_refused(&c.r, rec2, n, FUSEKEY_ERR_MAC_MISMATCH); /* the other direction */
	chan_free(&c);
}

static void test_channel_reorder_refused(void **state)
{
	(void)state;
	struct chan c;
	struct fk_dh_session saved;
	uint8_t pt[8], r0[REC_CAP], r1[REC_CAP];
	size_t n;
	fill_pattern(pt, sizeof(pt), 0x45);
	chan_up(&c, FK_DH_LAV2);
	n = seal_ok(&c.r, pt, sizeof(pt), r0, sizeof(r0));
	seal_ok(&c.r, pt, sizeof(pt), r1, sizeof(r1));
	saved = c.i;
	open_refused(&c.i, r1, n, FUSEKEY_ERR_MAC_MISMATCH);
	/* control: in order both open */
	c.i = saved;
	open_ok(&c.i, r0, n, pt, sizeof(pt));
	open_ok(&c.i, r1, n, pt, sizeof(pt));
	chan_free(&c);
}

static void reflection(bool responder)
{
	struct chan c;
	uint8_t pt[8], rec[REC_CAP];
	size_t n;
	struct fk_dh_session *self, *peer;
	fill_pattern(pt, sizeof(pt), 0x46);
	chan_up(&c, FK_DH_LAV2);
	self = responder ? &c.r : &c.i;
	peer = responder ? &c.i : &c.r;
	n = seal_ok(self, pt, sizeof(pt), rec, sizeof(rec));
	/* same key, seq 0 expected by both: only the direction tells it apart */
	open_refused(self, rec, n, FUSEKEY_ERR_MAC_MISMATCH);
	open_ok(peer, rec, n, pt, sizeof(pt));
	chan_free(&c);
}

static void test_channel_reflection_to_responder_refused(void **state)
{
	(void)state;
	reflection(true);
}

static void test_channel_reflection_to_initiator_refused(void **state)
{
	(void)state;
	reflection(false);
}

static void test_channel_truncated_refused(void **state)
{
	(void)state;
	struct chan c;
	struct fk_dh_session saved;
	uint8_t pt[24], rec[REC_CAP];
	size_t n;
	fill_pattern(pt, sizeof(pt), 0x47);
	chan_up(&c, FK_DH_LAV2);
	n = seal_ok(&c.r, pt, sizeof(pt), rec, sizeof(rec));
	saved = c.i;
	const size_t lens[] = {n - 1, n - 16, n - 17, 33, 32, 31, 16, 1, 0};
	for (size_t k = 0; k < ARRAY_LEN(lens); k++) {
		c.i = saved;
		open_refused(&c.i, rec, lens[k], FUSEKEY_ERR_MAC_MISMATCH);
	}
	c.i = saved;
	open_ok(&c.i, rec, n, pt, sizeof(pt));
	chan_free(&c);
}

static void test_channel_extended_refused(void **state)
{
	(void)state;
	struct chan c;
	struct fk_dh_session saved;
	uint8_t pt[24], rec[REC_CAP];
	size_t n;
	fill_pattern(pt, sizeof(pt), 0x48);
	chan_up(&c, FK_DH_LAV2);
	n = seal_ok(&c.r, pt, sizeof(pt), rec, sizeof(rec));
	saved = c.i;
	for (size_t extra = 1; extra <= 17; extra += 16) {
		memset(rec + n, 0, extra);
		c.i = saved;
		open_refused(&c.i, rec, n + extra, FUSEKEY_ERR_MAC_MISMATCH);
	}
	c.i = saved;
	open_ok(&c.i, rec, n, pt, sizeof(pt));
	chan_free(&c);
}

static size_t hdr_byte_idx[FK_DH_RECORD_HDR_SIZE] = {0, 1, 2,  3,  4,  5,  6,  7,
						     8, 9, 10, 11, 12, 13, 14, 15};

/* One header byte flipped (in a record from each side): refused; the original still opens. */
static void test_record_header_byte_flipped(void **state)
{
	size_t k = *(size_t *)*state;
	struct chan c;
	struct fk_dh_session saved;
	uint8_t pt[12], rec[REC_CAP];
	size_t n;
	fill_pattern(pt, sizeof(pt), 0x50);
	chan_up(&c, FK_DH_LAV2);

	n = seal_ok(&c.r, pt, sizeof(pt), rec, sizeof(rec));
	saved = c.i;
	rec[k] ^= 0x01;
	open_refused(&c.i, rec, n, FUSEKEY_ERR_MAC_MISMATCH);
	rec[k] ^= 0x01;
	c.i = saved;
	open_ok(&c.i, rec, n, pt, sizeof(pt));

	n = seal_ok(&c.i, pt, sizeof(pt), rec, sizeof(rec));
	saved = c.r;
	rec[k] ^= 0x80;
	open_refused(&c.r, rec, n, FUSEKEY_ERR_MAC_MISMATCH);
	rec[k] ^= 0x80;
	c.r = saved;
	open_ok(&c.r, rec, n, pt, sizeof(pt));
	chan_free(&c);
}

static void test_channel_every_header_bit_flipped(void **state)
{
	(void)state;
	struct chan c;
	struct fk_dh_session saved;
	uint8_t pt[12], rec[REC_CAP];
	size_t n;
	fill_pattern(pt, sizeof(pt), 0x51);
	chan_up(&c, FK_DH_LAV1);
	n = seal_ok(&c.i, pt, sizeof(pt), rec, sizeof(rec));
	saved = c.r;
	for (size_t bit = 0; bit < 8 * FK_DH_RECORD_HDR_SIZE; bit++) {
		rec[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		c.r = saved;
		open_refused(&c.r, rec, n, FUSEKEY_ERR_MAC_MISMATCH);
		rec[bit / 8] ^= (uint8_t)(1u << (bit % 8));
	}
	c.r = saved;
	open_ok(&c.r, rec, n, pt, sizeof(pt));
	chan_free(&c);
}

static void body_flips(size_t from, size_t to_from_end)
{
	struct chan c;
	struct fk_dh_session saved;
	uint8_t pt[20], rec[REC_CAP];
	size_t n;
	fill_pattern(pt, sizeof(pt), 0x52);
	chan_up(&c, FK_DH_LAV2);
	n = seal_ok(&c.r, pt, sizeof(pt), rec, sizeof(rec));
	saved = c.i;
	for (size_t k = from; k < n - to_from_end; k++) {
		rec[k] ^= 0x01;
		c.i = saved;
		open_refused(&c.i, rec, n, FUSEKEY_ERR_MAC_MISMATCH);
		rec[k] ^= 0x01;
	}
	c.i = saved;
	open_ok(&c.i, rec, n, pt, sizeof(pt));
	chan_free(&c);
}

static void test_channel_tag_flipped(void **state)
{
	(void)state;
	body_flips(16 + 20, 0); /* the 16 tag bytes */
}

static void test_channel_ciphertext_flipped(void **state)
{
	(void)state;
	body_flips(16, 16); /* the 20 ciphertext bytes */
}

static void test_channel_record_of_other_session_refused(void **state)
{
	(void)state;
	struct pair pp;
	struct fk_dh_session r1, i1, r2, i2;
	uint8_t pt[8], rec[REC_CAP], a1[16], a2[16];
	size_t n;
	fill_pattern(pt, sizeof(pt), 0x53);
	pair_new(&pp);
	channel_up(FK_DH_LAV2, &pp, &r1, &i1);
	channel_up(FK_DH_LAV2, &pp, &r2, &i2);
	EXPECT_OK(fk_dh_export_aek(&r1, a1));
	EXPECT_OK(fk_dh_export_aek(&r2, a2));
	assert_memory_not_equal(a1, a2, 16);
	/* same enclaves, same direction, same seq: another AEK */
	n = seal_ok(&r1, pt, sizeof(pt), rec, sizeof(rec));
	open_refused(&i2, rec, n, FUSEKEY_ERR_MAC_MISMATCH);
	open_ok(&i1, rec, n, pt, sizeof(pt));
	n = seal_ok(&i1, pt, sizeof(pt), rec, sizeof(rec));
	open_refused(&r2, rec, n, FUSEKEY_ERR_MAC_MISMATCH);
	pair_free(&pp);
}

/*
 * Authentic records (made here under the AEK, so the GCM tag verifies) whose
 * header the receiver must still refuse.
 */
static void authentic_but_refused(const uint8_t hdr[16], uint8_t iv_dir, uint64_t iv_seq,
				  size_t len, size_t rec_len)
{
	struct chan c;
	struct fk_dh_session saved;
	uint8_t pt[16], rec[REC_CAP];
	fill_pattern(pt, sizeof(pt), 0x54);
	assert_true(len <= sizeof(pt));
	chan_up(&c, FK_DH_LAV2);
	saved = c.i;
	forge_record_hdr(c.aek, hdr, iv_dir, iv_seq, pt, len, rec);
	open_refused(&c.i, rec, rec_len, FUSEKEY_ERR_MAC_MISMATCH);
	/* control: the well-formed record opens */
	c.i = saved;
	forge_record(c.aek, FK_DH_DIR_R2I, 0, pt, len, rec);
	open_ok(&c.i, rec, len + 32, pt, len);
	chan_free(&c);
}

static void test_channel_authentic_bad_magic_refused(void **state)
{
	(void)state;
	uint8_t hdr[16];
	make_hdr(hdr, FK_DH_DIR_R2I, 8, 0);
	hdr[1] = 'J';
	authentic_but_refused(hdr, FK_DH_DIR_R2I, 0, 8, 8 + 32);
}

static void test_channel_authentic_bad_version_refused(void **state)
{
	(void)state;
	uint8_t hdr[16];
	make_hdr(hdr, FK_DH_DIR_R2I, 8, 0);
	hdr[2] = 2;
	authentic_but_refused(hdr, FK_DH_DIR_R2I, 0, 8, 8 + 32);
}

static void test_channel_authentic_wrong_direction_refused(void **state)
{
	(void)state;
	static const uint8_t dirs[] = {0, FK_DH_DIR_I2R, 3, 0xFF};
	for (size_t k = 0; k < ARRAY_LEN(dirs); k++) {
		uint8_t hdr[16];
		make_hdr(hdr, dirs[k], 8, 0);
		authentic_but_refused(hdr, dirs[k], 0, 8, 8 + 32);
	}
}

static void test_channel_authentic_skipped_seq_refused(void **state)
{
	(void)state;
	uint8_t hdr[16];
	make_hdr(hdr, FK_DH_DIR_R2I, 8, 1);
	authentic_but_refused(hdr, FK_DH_DIR_R2I, 1, 8, 8 + 32);
}

static void test_channel_authentic_length_field_mismatch_refused(void **state)
{
	(void)state;
	uint8_t hdr[16];
	make_hdr(hdr, FK_DH_DIR_R2I, 7, 0); /* says 7, carries 8 */
	authentic_but_refused(hdr, FK_DH_DIR_R2I, 0, 8, 8 + 32);
	make_hdr(hdr, FK_DH_DIR_R2I, 9, 0); /* says 9, carries 8 */
	authentic_but_refused(hdr, FK_DH_DIR_R2I, 0, 8, 8 + 32);
}

static void test_channel_pt_buffer_too_small_refused(void **state)
{
	(void)state;
	struct chan c;
	uint8_t pt[10], rec[REC_CAP], out[16];
	size_t n, m = 99;
	fill_pattern(pt, sizeof(pt), 0x55);
	chan_up(&c, FK_DH_LAV2);
	n = seal_ok(&c.r, pt, sizeof(pt), rec, sizeof(rec));
	memset(out, 0xAA, sizeof(out));
	EXPECT_STATUS(fk_dh_open(&c.i, rec, n, out, sizeof(pt) - 1, &m),
		      FUSEKEY_ERR_INVALID_PARAMETER);
	assert_wiped(&c.i);
	/* no plaintext released, nothing written past pt_cap */
	for (size_t k = 0; k + 1 < sizeof(pt); k++)
		assert_true(out[k] == 0 || out[k] == 0xAA);
	for (size_t k = sizeof(pt) - 1; k < sizeof(out); k++)
		assert_int_equal(out[k], 0xAA);
	chan_free(&c);
}

static void test_channel_out_buffer_too_small_refused(void **state)
{
	(void)state;
	struct chan c;
	uint8_t pt[10], rec[REC_CAP];
	size_t n = 99;
	fill_pattern(pt, sizeof(pt), 0x56);
	chan_up(&c, FK_DH_LAV2);
	memset(rec, 0xAA, sizeof(rec));
	EXPECT_STATUS(fk_dh_seal(&c.r, pt, sizeof(pt), rec, sizeof(pt) + 31, &n),
		      FUSEKEY_ERR_INVALID_PARAMETER);
	assert_wiped(&c.r);
	for (size_t k = sizeof(pt) + 31; k < sizeof(rec); k++)
		assert_int_equal(rec[k], 0xAA);
	chan_free(&c);
}

static void test_channel_send_counter_exhausted(void **state)
{
	(void)state;
	struct chan c;
	uint8_t pt[4] = {1, 2, 3, 4}, rec[REC_CAP];
	size_t n = 0;
	chan_up(&c, FK_DH_LAV2);
	/*
	 * send_seq = UINT64_MAX simulates a session that has already sent
	 * 2^64 - 1 records (seq 0 .. 2^64 - 2): sending another would wrap the
	 * counter and reuse an IV under the same AEK, so it must be refused.
	 */
	c.r.send_seq = UINT64_MAX;
	EXPECT_STATUS(fk_dh_seal(&c.r, pt, sizeof(pt), rec, sizeof(rec), &n), FUSEKEY_ERR_EXHAUSTED);
	assert_wiped(&c.r);
	c.i.send_seq = UINT64_MAX; /* the same on the initiator's side */
	EXPECT_STATUS(fk_dh_seal(&c.i, pt, sizeof(pt), rec, sizeof(rec), &n), FUSEKEY_ERR_EXHAUSTED);
	assert_wiped(&c.i);
	chan_free(&c);
}

static void test_channel_last_counter_value(void **state)
{
	(void)state;
	struct chan c;
	uint8_t pt[4] = {1, 2, 3, 4}, rec[REC_CAP];
	size_t n = 0;
	chan_up(&c, FK_DH_LAV2);
	/* 2^64 - 2 records sent and received: one value (2^64 - 2) is left */
	c.r.send_seq = UINT64_MAX - 1;
	c.i.recv_seq = UINT64_MAX - 1;
	n = seal_ok(&c.r, pt, sizeof(pt), rec, sizeof(rec));
	assert_int_equal(fk_le64(rec + 8), UINT64_MAX - 1);
	open_ok(&c.i, rec, n, pt, sizeof(pt));
	assert_int_equal(c.r.send_seq, UINT64_MAX);
	assert_int_equal(c.i.recv_seq, UINT64_MAX);
	EXPECT_STATUS(fk_dh_seal(&c.r, pt, sizeof(pt), rec, sizeof(rec), &n), FUSEKEY_ERR_EXHAUSTED);
	assert_wiped(&c.r);
	chan_free(&c);
}

static void test_channel_recv_counter_exhausted(void **state)
{
	(void)state;
	struct chan c;
	uint8_t pt[4] = {0x31, 0x32, 0x33, 0x34}, rec[REC_CAP], out[8];
	size_t n = 0;
	chan_up(&c, FK_DH_LAV2);
	/*
	 * recv_seq = UINT64_MAX simulates 2^64 - 1 records received. Even an
	 * authentic record with seq 2^64 - 1 (made here under the AEK: the
	 * engine never sends one) must be refused, or the counter would wrap
	 * and record 0 could be replayed.
	 */
	c.i.recv_seq = UINT64_MAX;
	forge_record(c.aek, FK_DH_DIR_R2I, UINT64_MAX, pt, sizeof(pt), rec);
	memset(out, 0xAA, sizeof(out));
	EXPECT_STATUS(fk_dh_open(&c.i, rec, sizeof(pt) + 32, out, sizeof(out), &n),
		      FUSEKEY_ERR_EXHAUSTED);
	assert_wiped(&c.i);
	assert_memory_not_equal(out, pt, sizeof(pt));
	/* the same on the responder's side */
	c.r.recv_seq = UINT64_MAX;
	forge_record(c.aek, FK_DH_DIR_I2R, UINT64_MAX, pt, sizeof(pt), rec);
	memset(out, 0xAA, sizeof(out));
	EXPECT_STATUS(fk_dh_open(&c.r, rec, sizeof(pt) + 32, out, sizeof(out), &n),
		      FUSEKEY_ERR_EXHAUSTED);
	assert_wiped(&c.r);
	assert_memory_not_equal(out, pt, sizeof(pt));
	chan_free(&c);
}

static void test_channel_before_check_peer_refused(void **state)
{
	(void)state;
	for (size_t vi = 0; vi < 2; vi++) {
		struct pair pp;
		struct fk_dh_session r, i;
		uint8_t pt[4] = {1, 2, 3, 4}, rec[REC_CAP], aek[16], out[8];
		size_t n = 0;
		pair_new(&pp);
		handshake(versions[vi], &pp, &r, &i);
		EXPECT_STATUS(fk_dh_seal(&r, pt, sizeof(pt), rec, sizeof(rec), &n),
			      FUSEKEY_ERR_INVALID_STATE);
		assert_wiped(&r);
		/* a record the initiator could not have sent yet, made with its AEK */
		memcpy(aek, i.aek, sizeof(aek));
		forge_record(aek, FK_DH_DIR_R2I, 0, pt, sizeof(pt), rec);
		EXPECT_STATUS(fk_dh_open(&i, rec, sizeof(pt) + 32, out, sizeof(out), &n),
			      FUSEKEY_ERR_INVALID_STATE);
		assert_wiped(&i);
		pair_free(&pp);
	}
}

/* ================================================================== */
/* 4. Peer check                                                      */
/* ================================================================== */

/* A KSS production enclave's report body and the expectation that fits it exactly. */
static void fitting(struct fk_sgx_report_body *b, struct fk_dh_expect *e, unsigned opts)
{
	struct fk_sgx_identity id;
	uint8_t cpu_svn[FK_SGX_CPUSVN_SIZE];
	memset(cpu_svn, 0x11, sizeof(cpu_svn));
	ident(&id, 0xc3, 0x73, ID_KSS | opts);
	fk_sgx_report_body_from_identity(&id, cpu_svn, NULL, b);
	expect_exact(e, &id);
	assert_int_equal(fk_dh_identity_check(b, e), FK_DH_MISMATCH_NONE);
}

static void test_identity_exact_accepted(void **state)
{
	(void)state;
	struct fk_sgx_report_body b;
	struct fk_dh_expect e;
	fitting(&b, &e, 0);
	e.fields = FK_DH_EXPECT_MRENCLAVE;
	assert_int_equal(fk_dh_identity_check(&b, &e), FK_DH_MISMATCH_NONE);
	e.fields = FK_DH_EXPECT_MRSIGNER;
	assert_int_equal(fk_dh_identity_check(&b, &e), FK_DH_MISMATCH_NONE);
	e.fields = FK_DH_EXPECT_MRSIGNER | FK_DH_EXPECT_ISVPRODID;
	assert_int_equal(fk_dh_identity_check(&b, &e), FK_DH_MISMATCH_NONE);
	fitting(&b, &e, ID_DEBUG); /* DEBUG with allow_debug */
}

/* Flip one byte of a pinned field: that reason; unpinned: accepted. */
static void field_mismatch(unsigned bit, enum fk_dh_mismatch want)
{
	struct fk_sgx_report_body b;
	struct fk_dh_expect e;
	fitting(&b, &e, 0);
	switch (bit) {
	case FK_DH_EXPECT_MRENCLAVE:
		e.mr_enclave[31] ^= 0x01;
		break;
	case FK_DH_EXPECT_MRSIGNER:
		e.mr_signer[0] ^= 0x80;
		break;
	case FK_DH_EXPECT_ISVPRODID:
		e.isv_prod_id ^= 0x0100;
		break;
	case FK_DH_EXPECT_ISVFAMILYID:
		e.isv_family_id[15] ^= 0x01;
		break;
	case FK_DH_EXPECT_ISVEXTPRODID:
		e.isv_ext_prod_id[7] ^= 0x01;
		break;
	case FK_DH_EXPECT_CONFIGID:
		e.config_id[63] ^= 0x01;
		break;
	default:
		fail();
	}
	assert_int_equal(fk_dh_identity_check(&b, &e), want);
	e.fields &= ~bit;
	if (bit == FK_DH_EXPECT_MRENCLAVE || bit == FK_DH_EXPECT_MRSIGNER)
		assert_true(e.fields & (FK_DH_EXPECT_MRENCLAVE | FK_DH_EXPECT_MRSIGNER));
	assert_int_equal(fk_dh_identity_check(&b, &e), FK_DH_MISMATCH_NONE);
}

static void test_identity_mismatch_mrenclave(void **state)
{
	(void)state;
	field_mismatch(FK_DH_EXPECT_MRENCLAVE, FK_DH_MISMATCH_MRENCLAVE);
}

static void test_identity_mismatch_mrsigner(void **state)
{
	(void)state;
	field_mismatch(FK_DH_EXPECT_MRSIGNER, FK_DH_MISMATCH_MRSIGNER);
}

static void test_identity_mismatch_isvprodid(void **state)
{
	(void)state;
	field_mismatch(FK_DH_EXPECT_ISVPRODID, FK_DH_MISMATCH_ISVPRODID);
}

static void test_identity_mismatch_isvfamilyid(void **state)
{
	(void)state;
	field_mismatch(FK_DH_EXPECT_ISVFAMILYID, FK_DH_MISMATCH_ISVFAMILYID);
}

static void test_identity_mismatch_isvextprodid(void **state)
{
	(void)state;
	field_mismatch(FK_DH_EXPECT_ISVEXTPRODID, FK_DH_MISMATCH_ISVEXTPRODID);
}

static void test_identity_mismatch_configid(void **state)
{
	(void)state;
	field_mismatch(FK_DH_EXPECT_CONFIGID, FK_DH_MISMATCH_CONFIGID);
}

static void test_identity_mismatch_debug(void **state)
{
	(void)state;
	struct fk_sgx_report_body b;
	struct fk_dh_expect e;
	fitting(&b, &e, ID_DEBUG);
	assert_true(e.allow_debug);
	e.allow_debug = false;
	assert_int_equal(fk_dh_identity_check(&b, &e), FK_DH_MISMATCH_DEBUG);
	e.allow_debug = true;
	assert_int_equal(fk_dh_identity_check(&b, &e), FK_DH_MISMATCH_NONE);
	/* a production peer passes either way */
	fitting(&b, &e, 0);
	e.allow_debug = true;
	assert_int_equal(fk_dh_identity_check(&b, &e), FK_DH_MISMATCH_NONE);
}

static void test_identity_mismatch_attribute_flags(void **state)
{
	(void)state;
	struct fk_sgx_report_body b;
	struct fk_dh_expect e;
	fitting(&b, &e, 0); /* flags INITTED | MODE64BIT | KSS */
	e.attr_flags_mask = FK_SGX_FLAGS_KSS;
	e.attr_flags_value = 0;
	assert_int_equal(fk_dh_identity_check(&b, &e), FK_DH_MISMATCH_ATTRIBUTES);
	e.attr_flags_value = FK_SGX_FLAGS_KSS;
	assert_int_equal(fk_dh_identity_check(&b, &e), FK_DH_MISMATCH_NONE);
	e.attr_flags_mask = FK_SGX_FLAGS_PROVISION_KEY | FK_SGX_FLAGS_INITTED;
	e.attr_flags_value = FK_SGX_FLAGS_INITTED;
	assert_int_equal(fk_dh_identity_check(&b, &e), FK_DH_MISMATCH_NONE);
	e.attr_flags_value = FK_SGX_FLAGS_INITTED | FK_SGX_FLAGS_PROVISION_KEY;
	assert_int_equal(fk_dh_identity_check(&b, &e), FK_DH_MISMATCH_ATTRIBUTES);
	/* a high bit */
	e.attr_flags_mask = 1ULL << 63;
	e.attr_flags_value = 1ULL << 63;
	assert_int_equal(fk_dh_identity_check(&b, &e), FK_DH_MISMATCH_ATTRIBUTES);
}

static void test_identity_mismatch_attribute_xfrm(void **state)
{
	(void)state;
	struct fk_sgx_report_body b;
	struct fk_dh_expect e;
	fitting(&b, &e, 0); /* xfrm 0x3 */
	e.attr_xfrm_mask = 0x3;
	e.attr_xfrm_value = 0x3;
	assert_int_equal(fk_dh_identity_check(&b, &e), FK_DH_MISMATCH_NONE);
	e.attr_xfrm_mask = 0x4;
	e.attr_xfrm_value = 0x4;
	assert_int_equal(fk_dh_identity_check(&b, &e), FK_DH_MISMATCH_ATTRIBUTES);
	e.attr_xfrm_mask = 0x7;
	e.attr_xfrm_value = 0x3;
	assert_int_equal(fk_dh_identity_check(&b, &e), FK_DH_MISMATCH_NONE);
	e.attr_xfrm_mask = 0x2;
	e.attr_xfrm_value = 0x0;
	assert_int_equal(fk_dh_identity_check(&b, &e), FK_DH_MISMATCH_ATTRIBUTES);
}

/*
 * fk_dh.h defines the rule as (flags & attr_flags_mask) == attr_flags_value:
 * a value with bits outside the mask can never be met, so such a
 * (contradictory) expectation accepts no peer. Failing closed matters: a
 * caller who writes value = INITTED | MODE64BIT with mask = DEBUG expects
 * something, not nothing.
 */
static void test_identity_attribute_value_outside_mask(void **state)
{
	(void)state;
	struct fk_sgx_report_body b;
	struct fk_dh_expect e;
	fitting(&b, &e, 0); /* flags INITTED | MODE64BIT | KSS, xfrm 0x3 */
	e.attr_flags_mask = FK_SGX_FLAGS_KSS;
	e.attr_flags_value = FK_SGX_FLAGS_KSS | FK_SGX_FLAGS_DEBUG;
	assert_int_equal(fk_dh_identity_check(&b, &e), FK_DH_MISMATCH_ATTRIBUTES);
	e.attr_flags_mask = FK_SGX_FLAGS_DEBUG;
	e.attr_flags_value = FK_SGX_FLAGS_INITTED | FK_SGX_FLAGS_MODE64BIT;
	assert_int_equal(fk_dh_identity_check(&b, &e), FK_DH_MISMATCH_ATTRIBUTES);
	e.attr_flags_mask = 0;
	e.attr_flags_value = 0;
	e.attr_xfrm_mask = 0x1;
	e.attr_xfrm_value = 0x3;
	assert_int_equal(fk_dh_identity_check(&b, &e), FK_DH_MISMATCH_ATTRIBUTES);
}

static void test_identity_isvsvn_minimum(void **state)
{
	(void)state;
	struct fk_sgx_report_body b;
	struct fk_dh_expect e;
	fitting(&b, &e, 0);
	uint16_t svn = fk_le16(b.isv_svn);
	assert_int_equal(e.min_isv_svn, svn); /* equal to min passes */
	e.min_isv_svn = (uint16_t)(svn + 1);
	assert_int_equal(fk_dh_identity_check(&b, &e), FK_DH_MISMATCH_ISVSVN);
	e.min_isv_svn = 0xFFFF;
	assert_int_equal(fk_dh_identity_check(&b, &e), FK_DH_MISMATCH_ISVSVN);
	e.min_isv_svn = (uint16_t)(svn - 1);
	assert_int_equal(fk_dh_identity_check(&b, &e), FK_DH_MISMATCH_NONE);
	e.min_isv_svn = 0;
	assert_int_equal(fk_dh_identity_check(&b, &e), FK_DH_MISMATCH_NONE);
}

static void test_identity_configsvn_minimum(void **state)
{
	(void)state;
	struct fk_sgx_report_body b;
	struct fk_dh_expect e;
	fitting(&b, &e, 0);
	uint16_t svn = fk_le16(b.config_svn);
	assert_true(svn > 1);
	assert_int_equal(e.min_config_svn, svn);
	e.min_config_svn = (uint16_t)(svn + 1);
	assert_int_equal(fk_dh_identity_check(&b, &e), FK_DH_MISMATCH_CONFIGSVN);
	e.min_config_svn = (uint16_t)(svn - 1);
	assert_int_equal(fk_dh_identity_check(&b, &e), FK_DH_MISMATCH_NONE);
	/* checked even when CONFIGID is not pinned */
	e.fields &= ~FK_DH_EXPECT_CONFIGID;
	e.min_config_svn = (uint16_t)(svn + 1);
	assert_int_equal(fk_dh_identity_check(&b, &e), FK_DH_MISMATCH_CONFIGSVN);
}

static void test_identity_no_expectation(void **state)
{
	(void)state;
	struct fk_sgx_report_body b;
	struct fk_dh_expect e;
	fitting(&b, &e, 0);
	e.fields = 0;
	assert_int_equal(fk_dh_identity_check(&b, &e), FK_DH_MISMATCH_NO_EXPECTATION);
	/* every other field pinned and matching: still names no enclave */
	e.fields = FK_DH_EXPECT_ALL & ~(FK_DH_EXPECT_MRENCLAVE | FK_DH_EXPECT_MRSIGNER);
	assert_int_equal(fk_dh_identity_check(&b, &e), FK_DH_MISMATCH_NO_EXPECTATION);
	e.fields = 0x40u; /* an unknown bit only */
	assert_int_equal(fk_dh_identity_check(&b, &e), FK_DH_MISMATCH_NO_EXPECTATION);
}

/* Everything wrong, then fixed one rule at a time: the reasons come in header order. */
static void test_identity_check_order(void **state)
{
	(void)state;
	struct fk_sgx_report_body b;
	struct fk_dh_expect e, good;
	fitting(&b, &good, ID_DEBUG);
	e = good;
	e.fields = 0;
	e.mr_enclave[0] ^= 1;
	e.mr_signer[0] ^= 1;
	e.isv_prod_id ^= 1;
	e.isv_family_id[0] ^= 1;
	e.isv_ext_prod_id[0] ^= 1;
	e.config_id[0] ^= 1;
	e.allow_debug = false;
	e.attr_flags_mask = FK_SGX_FLAGS_KSS;
	e.attr_flags_value = 0;
	e.min_isv_svn = (uint16_t)(good.min_isv_svn + 1);
	e.min_config_svn = (uint16_t)(good.min_config_svn + 1);

	assert_int_equal(fk_dh_identity_check(&b, &e), FK_DH_MISMATCH_NO_EXPECTATION);
	e.fields = FK_DH_EXPECT_ALL;
	assert_int_equal(fk_dh_identity_check(&b, &e), FK_DH_MISMATCH_MRENCLAVE);
	memcpy(e.mr_enclave, good.mr_enclave, 32);
	assert_int_equal(fk_dh_identity_check(&b, &e), FK_DH_MISMATCH_MRSIGNER);
	memcpy(e.mr_signer, good.mr_signer, 32);
	assert_int_equal(fk_dh_identity_check(&b, &e), FK_DH_MISMATCH_ISVPRODID);
	e.isv_prod_id = good.isv_prod_id;
	assert_int_equal(fk_dh_identity_check(&b, &e), FK_DH_MISMATCH_ISVFAMILYID);
	memcpy(e.isv_family_id, good.isv_family_id, 16);
	assert_int_equal(fk_dh_identity_check(&b, &e), FK_DH_MISMATCH_ISVEXTPRODID);
	memcpy(e.isv_ext_prod_id, good.isv_ext_prod_id, 16);
	assert_int_equal(fk_dh_identity_check(&b, &e), FK_DH_MISMATCH_CONFIGID);
	memcpy(e.config_id, good.config_id, 64);
	assert_int_equal(fk_dh_identity_check(&b, &e), FK_DH_MISMATCH_DEBUG);
	e.allow_debug = true;
	assert_int_equal(fk_dh_identity_check(&b, &e), FK_DH_MISMATCH_ATTRIBUTES);
	e.attr_flags_mask = 0;
	assert_int_equal(fk_dh_identity_check(&b, &e), FK_DH_MISMATCH_ISVSVN);
	e.min_isv_svn = good.min_isv_svn;
	assert_int_equal(fk_dh_identity_check(&b, &e), FK_DH_MISMATCH_CONFIGSVN);
	e.min_config_svn = good.min_config_svn;
	assert_int_equal(fk_dh_identity_check(&b, &e), FK_DH_MISMATCH_NONE);
}

/* An ACTIVE pair of KSS enclaves; the refusal tests restore `saved` per attempt. */
struct checkpair {
	struct pair pp;
	struct fk_dh_session r, i;
	struct fk_dh_expect ei; /* exactly the initiator */
};

static void checkpair_up(struct checkpair *cp, unsigned iopts)
{
	pair_make(&cp->pp, false, ID_KSS, ID_KSS | iopts);
	handshake(FK_DH_LAV2, &cp->pp, &cp->r, &cp->i);
	expect_exact(&cp->ei, &cp->pp.iid);
}

static void check_refused(struct fk_dh_session *s, const struct fk_dh_expect *e, size_t n,
			  enum fk_dh_mismatch want)
{
	size_t m = 77;
	enum fk_dh_mismatch why = FK_DH_MISMATCH_NONE;
	EXPECT_STATUS(fk_dh_check_peer(s, e, n, &m, &why), FUSEKEY_ERR_PEER_IDENTITY);
	if (why != want)
		fail_msg("why = %s, want %s", fk_dh_mismatch_name(why), fk_dh_mismatch_name(want));
	assert_wiped(s);
}

static void test_check_peer_empty_list_refused(void **state)
{
	(void)state;
	struct checkpair cp;
	checkpair_up(&cp, 0);
	check_refused(&cp.r, &cp.ei, 0, FK_DH_MISMATCH_NO_EXPECTATION);
	pair_free(&cp.pp);
}

static void test_check_peer_pins_no_enclave_refused(void **state)
{
	(void)state;
	struct checkpair cp;
	checkpair_up(&cp, 0);
	cp.ei.fields = FK_DH_EXPECT_ISVPRODID | FK_DH_EXPECT_CONFIGID;
	check_refused(&cp.r, &cp.ei, 1, FK_DH_MISMATCH_NO_EXPECTATION);
	pair_free(&cp.pp);
}

static void test_check_peer_matched_index(void **state)
{
	(void)state;
	struct checkpair cp;
	struct fk_dh_session saved;
	struct fk_dh_expect e[4];
	checkpair_up(&cp, 0);
	saved = cp.r;
	for (size_t at = 0; at < 4; at++) {
		size_t m = 99;
		enum fk_dh_mismatch why = FK_DH_MISMATCH_CONFIGSVN;
		for (size_t k = 0; k < 4; k++) {
			e[k] = cp.ei;
			if (k != at)
				e[k].mr_signer[k] ^= 0x01; /* another signer */
		}
		cp.r = saved;
		EXPECT_OK(fk_dh_check_peer(&cp.r, e, 4, &m, &why));
		assert_int_equal(m, at);
		assert_int_equal(fk_dh_state(&cp.r), FK_DH_STATE_PEER_CHECKED);
	}
	/* the matching one may also be looser than the others */
	for (size_t k = 0; k < 3; k++) {
		e[k] = cp.ei;
		e[k].mr_enclave[0] ^= 0x01;
	}
	e[3] = cp.ei;
	e[3].fields = FK_DH_EXPECT_MRSIGNER;
	cp.r = saved;
	size_t m = 99;
	EXPECT_OK(fk_dh_check_peer(&cp.r, e, 4, &m, NULL));
	assert_int_equal(m, 3);
	pair_free(&cp.pp);
}

static void test_check_peer_closest_reason(void **state)
{
	(void)state;
	struct checkpair cp;
	struct fk_dh_session saved;
	struct fk_dh_expect base[3], e[3];
	static const size_t perms[6][3] = {{0, 1, 2}, {0, 2, 1}, {1, 0, 2},
					   {1, 2, 0}, {2, 0, 1}, {2, 1, 0}};
	checkpair_up(&cp, 0);
	saved = cp.r;
	/* MRENCLAVE wrong; ISVSVN too low (reached the latest check); MRSIGNER wrong */
	base[0] = base[1] = base[2] = cp.ei;
	base[0].mr_enclave[3] ^= 0x01;
	base[1].min_isv_svn = (uint16_t)(cp.pp.iid.isv_svn + 1);
	base[2].mr_signer[3] ^= 0x01;
	for (size_t p = 0; p < 6; p++) {
		for (size_t k = 0; k < 3; k++)
			e[k] = base[perms[p][k]];
		cp.r = saved;
		check_refused(&cp.r, e, 3, FK_DH_MISMATCH_ISVSVN);
	}
	/* NO_EXPECTATION is the earliest: it never wins over a real reason */
	base[0].fields = 0;
	base[1] = cp.ei;
	base[1].config_id[9] ^= 0x01; /* CONFIGID */
	base[2] = cp.ei;
	base[2].isv_family_id[0] ^= 0x01; /* ISVFAMILYID */
	for (size_t p = 0; p < 6; p++) {
		for (size_t k = 0; k < 3; k++)
			e[k] = base[perms[p][k]];
		cp.r = saved;
		check_refused(&cp.r, e, 3, FK_DH_MISMATCH_CONFIGID);
	}
	pair_free(&cp.pp);
}

static void test_check_peer_refusal_wipes(void **state)
{
	(void)state;
	struct checkpair cp;
	size_t m = 5;
	checkpair_up(&cp, 0);
	cp.ei.isv_prod_id ^= 1;
	/* why may be NULL */
	EXPECT_STATUS(fk_dh_check_peer(&cp.r, &cp.ei, 1, &m, NULL), FUSEKEY_ERR_PEER_IDENTITY);
	assert_wiped(&cp.r);
	/* and the initiator side */
	struct fk_dh_expect er;
	expect_exact(&er, &cp.pp.rid);
	er.min_config_svn = (uint16_t)(cp.pp.rid.config_svn + 1);
	check_refused(&cp.i, &er, 1, FK_DH_MISMATCH_CONFIGSVN);
	pair_free(&cp.pp);
}

static void test_check_peer_debug_peer(void **state)
{
	(void)state;
	struct checkpair cp;
	struct fk_dh_session saved;
	size_t m = 9;
	checkpair_up(&cp, ID_DEBUG);
	saved = cp.r;
	assert_true(cp.ei.allow_debug);
	cp.ei.allow_debug = false;
	check_refused(&cp.r, &cp.ei, 1, FK_DH_MISMATCH_DEBUG);
	cp.r = saved;
	cp.ei.allow_debug = true;
	EXPECT_OK(fk_dh_check_peer(&cp.r, &cp.ei, 1, &m, NULL));
	assert_int_equal(m, 0);
	pair_free(&cp.pp);
}

static void test_check_peer_kss_fields(void **state)
{
	(void)state;
	struct checkpair cp;
	struct fk_dh_session saved;
	struct fk_dh_expect er;
	size_t m = 9;
	checkpair_up(&cp, 0);
	saved = cp.r;
	cp.ei.config_id[0] ^= 0x01;
	check_refused(&cp.r, &cp.ei, 1, FK_DH_MISMATCH_CONFIGID);
	cp.r = saved;
	cp.ei.config_id[0] ^= 0x01;
	cp.ei.isv_ext_prod_id[0] ^= 0x01;
	check_refused(&cp.r, &cp.ei, 1, FK_DH_MISMATCH_ISVEXTPRODID);
	cp.r = saved;
	cp.ei.isv_ext_prod_id[0] ^= 0x01;
	EXPECT_OK(fk_dh_check_peer(&cp.r, &cp.ei, 1, &m, NULL));
	expect_exact(&er, &cp.pp.rid);
	EXPECT_OK(fk_dh_check_peer(&cp.i, &er, 1, &m, NULL));
	pair_free(&cp.pp);
}

static void test_mismatch_names_distinct(void **state)
{
	(void)state;
	const char *names[FK_DH_MISMATCH_CONFIGSVN + 1];
	for (int k = 0; k <= FK_DH_MISMATCH_CONFIGSVN; k++) {
		names[k] = fk_dh_mismatch_name((enum fk_dh_mismatch)k);
		assert_non_null(names[k]);
		assert_true(names[k][0] != '\0');
		for (int j = 0; j < k; j++)
			assert_string_not_equal(names[j], names[k]);
	}
	assert_non_null(fk_dh_mismatch_name((enum fk_dh_mismatch)200));
}

static void test_state_names_distinct(void **state)
{
	(void)state;
	const char *names[FK_DH_STATE_PEER_CHECKED + 1];
	for (int k = 0; k <= FK_DH_STATE_PEER_CHECKED; k++) {
		names[k] = fk_dh_state_name((enum fk_dh_state)k);
		assert_non_null(names[k]);
		assert_true(names[k][0] != '\0');
		for (int j = 0; j < k; j++)
			assert_string_not_equal(names[j], names[k]);
	}
	assert_non_null(fk_dh_state_name((enum fk_dh_state)99));
}

/* ================================================================== */
/* 5. Building blocks                                                 */
/* ================================================================== */

static void test_kdf_kat(void **state)
{
	(void)state;
	uint8_t shared[32], smk[16], aek[16], key[16], ref[16];
	for (size_t k = 0; k < 32; k++)
		shared[k] = (uint8_t)k;
	th_hex("3999a176f61679104b0b226187125f95", smk, 16);
	th_hex("bf3a4644a124d6435d317393e0dc0411", aek, 16);
	EXPECT_OK(fk_dh_kdf(shared, "SMK", key));
	assert_memory_equal(key, smk, 16);
	EXPECT_OK(fk_dh_kdf(shared, "AEK", key));
	assert_memory_equal(key, aek, 16);
	/* the hand-made KDF used elsewhere in this file agrees */
	kdf_ref(shared, "SMK", ref);
	assert_memory_equal(ref, smk, 16);
	kdf_ref(shared, "AEK", ref);
	assert_memory_equal(ref, aek, 16);
	/* one bit of the secret changes the key */
	shared[31] ^= 0x80;
	EXPECT_OK(fk_dh_kdf(shared, "AEK", key));
	assert_memory_not_equal(key, aek, 16);
}

static void test_lav2_proto_spec_bytes(void **state)
{
	(void)state;
	uint8_t want[64] = {0};
	/* sgx.md §8.4: "SGX LA", 2, 0, then target_spec[0..6], 42 zero bytes */
	th_hex("534758204c410200"
	       "000605040403400141100201060c",
	       want, 22);
	assert_int_equal(sizeof(fk_dh_lav2_proto_spec), 64);
	assert_memory_equal(&fk_dh_lav2_proto_spec, want, 64);
	/* decoded: 6 entries, revision 0 */
	assert_int_equal(fk_le16(fk_dh_lav2_proto_spec.target_spec[0]), 0x0600);
	assert_int_equal(fk_le16(fk_dh_lav2_proto_spec.target_spec[1]), 0x0405);
	assert_int_equal(fk_le16(fk_dh_lav2_proto_spec.target_spec[6]), 0x0C06);
}

/* A report with nonzero, position-dependent bytes everywhere. */
static void busy_report(struct fk_sgx_report *rep)
{
	uint8_t *p = (uint8_t *)rep;
	for (size_t k = 0; k < sizeof(*rep); k++)
		p[k] = (uint8_t)(k % 251 + 1);
}

static void test_target_info_lav2_mapping(void **state)
{
	(void)state;
	struct fk_sgx_report rep;
	struct fk_sgx_target_info ti;
	uint8_t want[512] = {0};
	const uint8_t *r = (const uint8_t *)&rep;
	busy_report(&rep);
	memcpy(want + 0, r + 64, 32);   /* mr_enclave */
	memcpy(want + 32, r + 48, 16);  /* attributes */
	want[48] = r[20];               /* CET attributes */
	memcpy(want + 50, r + 260, 2);  /* config_svn */
	memcpy(want + 52, r + 16, 4);   /* misc_select */
	memcpy(want + 64, r + 192, 64); /* config_id */
	memset(&ti, 0xAA, sizeof(ti));
	assert_true(fk_dh_make_target_info(&fk_dh_lav2_proto_spec, &rep, &ti));
	assert_memory_equal(&ti, want, sizeof(want));
	/* every other byte zero (spelled out) */
	const uint8_t *t = (const uint8_t *)&ti;
	for (size_t k = 0; k < 512; k++) {
		bool copied = k < 48 || k == 48 || (k >= 50 && k < 56) || (k >= 64 && k < 128);
		if (!copied)
			assert_int_equal(t[k], 0);
		else
			assert_int_not_equal(t[k], 0);
	}
}

/* A spec of the given entries (count in target_spec[0]'s high byte). */
static void make_spec(struct fk_dh_proto_spec *sp, const uint16_t *entries, size_t n)
{
	memset(sp, 0, sizeof(*sp));
	memcpy(sp->signature, "SGX LA", 6);
	sp->ver = 2;
	sp->rev = 0;
	fk_put_le16(sp->target_spec[0], (uint16_t)(n << 8));
	for (size_t k = 0; k < n; k++)
		fk_put_le16(sp->target_spec[1 + k], entries[k]);
}

static void spec_refused(const struct fk_dh_proto_spec *sp)
{
	struct fk_sgx_report rep;
	struct fk_sgx_target_info ti;
	busy_report(&rep);
	memset(&ti, 0xAA, sizeof(ti));
	assert_false(fk_dh_make_target_info(sp, &rep, &ti));
	assert_true(th_all_zero(&ti, sizeof(ti)));
}

static void test_target_info_bad_signature_refused(void **state)
{
	(void)state;
	for (size_t k = 0; k < 6; k++) {
		struct fk_dh_proto_spec sp = fk_dh_lav2_proto_spec;
		sp.signature[k] ^= 0x20;
		spec_refused(&sp);
	}
}

static void test_target_info_bad_version_refused(void **state)
{
	(void)state;
	static const uint8_t bad[] = {0, 1, 3, 0xFF};
	for (size_t k = 0; k < ARRAY_LEN(bad); k++) {
		struct fk_dh_proto_spec sp = fk_dh_lav2_proto_spec;
		sp.ver = bad[k];
		spec_refused(&sp);
	}
}

static void test_target_info_bad_revision_refused(void **state)
{
	(void)state;
	struct fk_dh_proto_spec sp = fk_dh_lav2_proto_spec;
	sp.rev = 1;
	spec_refused(&sp);
	sp.rev = 0xFF;
	spec_refused(&sp);
}

static void test_target_info_spec_revision_byte_refused(void **state)
{
	(void)state;
	struct fk_dh_proto_spec sp = fk_dh_lav2_proto_spec;
	sp.target_spec[0][0] = 0x01; /* low byte of target_spec[0] */
	spec_refused(&sp);
	sp.target_spec[0][0] = 0x80;
	spec_refused(&sp);
}

static void test_target_info_28_entries_refused(void **state)
{
	(void)state;
	/*
	 * A 28th entry would lie past the spec; here the two bytes after it
	 * hold a valid entry (0x0000: one byte from offset 0), so only the
	 * count check can refuse it.
	 */
	struct {
		struct fk_dh_proto_spec sp;
		uint8_t after[2];
	} buf;
	_Static_assert(sizeof(buf) == FK_DH_PROTO_SPEC_SIZE + 2, "no padding");
	buf.sp = fk_dh_lav2_proto_spec;
	buf.after[0] = buf.after[1] = 0;
	buf.sp.target_spec[0][1] = 28;
	spec_refused(&buf.sp);
	buf.sp.target_spec[0][1] = 0xFF;
	spec_refused(&buf.sp);
}

static void test_target_info_27_entries_accepted(void **state)
{
	(void)state;
	struct fk_dh_proto_spec sp;
	struct fk_sgx_report rep;
	struct fk_sgx_target_info ti;
	uint16_t e[27];
	uint8_t want[512] = {0};
	busy_report(&rep);
	/* 27 one-byte entries: report byte 5k -> ti byte k */
	for (size_t k = 0; k < 27; k++) {
		e[k] = (uint16_t)((5 * k) << 4);
		want[k] = ((const uint8_t *)&rep)[5 * k];
	}
	make_spec(&sp, e, 27);
	assert_int_equal(sp.target_spec[0][1], 27);
	memset(&ti, 0xAA, sizeof(ti));
	assert_true(fk_dh_make_target_info(&sp, &rep, &ti));
	assert_memory_equal(&ti, want, 512);
}

static void test_target_info_source_past_report_refused(void **state)
{
	(void)state;
	struct fk_dh_proto_spec sp;
	struct fk_sgx_report rep;
	struct fk_sgx_target_info ti;
	uint8_t want[512] = {0};
	/* 32 bytes from offset 400 end exactly at 432: accepted */
	uint16_t ok = (uint16_t)(400 << 4 | 5);
	make_spec(&sp, &ok, 1);
	busy_report(&rep);
	memcpy(want, (const uint8_t *)&rep + 400, 32);
	memset(&ti, 0xAA, sizeof(ti));
	assert_true(fk_dh_make_target_info(&sp, &rep, &ti));
	assert_memory_equal(&ti, want, 512);
	/* from 401: one byte past the report */
	uint16_t bad = (uint16_t)(401 << 4 | 5);
	make_spec(&sp, &bad, 1);
	spec_refused(&sp);
	/* one byte at 432 */
	bad = (uint16_t)(432 << 4 | 0);
	make_spec(&sp, &bad, 1);
	spec_refused(&sp);
	/* 1 KiB from 0, and the largest size */
	bad = 10;
	make_spec(&sp, &bad, 1);
	spec_refused(&sp);
	bad = 15;
	make_spec(&sp, &bad, 1);
	spec_refused(&sp);
	/* a valid entry after the bad one does not rescue it */
	uint16_t two[2] = {(uint16_t)(401 << 4 | 5), 0x0405};
	make_spec(&sp, two, 2);
	spec_refused(&sp);
}

static void test_target_info_destination_past_512_refused(void **state)
{
	(void)state;
	struct fk_dh_proto_spec sp;
	struct fk_sgx_report rep;
	struct fk_sgx_target_info ti;
	uint16_t e[9];
	uint8_t want[512];
	busy_report(&rep);
	/* 8 x 64 bytes from report offset 0 fill ti exactly: accepted */
	for (size_t k = 0; k < 9; k++)
		e[k] = 6;
	for (size_t k = 0; k < 8; k++)
		memcpy(want + 64 * k, &rep, 64);
	make_spec(&sp, e, 8);
	memset(&ti, 0xAA, sizeof(ti));
	assert_true(fk_dh_make_target_info(&sp, &rep, &ti));
	assert_memory_equal(&ti, want, 512);
	/* one more byte would land at 512 */
	e[8] = 0;
	make_spec(&sp, e, 9);
	spec_refused(&sp);
	/* a 256-byte entry at destination 384 (after 6 x 64) passes 512 */
	e[6] = 8;
	make_spec(&sp, e, 7);
	spec_refused(&sp);
}

static void test_target_info_negative_source_left_zero(void **state)
{
	(void)state;
	struct fk_dh_proto_spec sp;
	struct fk_sgx_report rep;
	struct fk_sgx_target_info ti;
	uint8_t want[512] = {0};
	/* 32 bytes "from -1" (left zero), then mr_enclave after them */
	uint16_t e[2] = {0xFFF5, 0x0405};
	busy_report(&rep);
	memcpy(want + 32, (const uint8_t *)&rep + 64, 32);
	make_spec(&sp, e, 2);
	memset(&ti, 0xAA, sizeof(ti));
	assert_true(fk_dh_make_target_info(&sp, &rep, &ti));
	assert_memory_equal(&ti, want, 512);
	/* any other negative offset lies before the report: refused */
	e[0] = 0xFFE5; /* -2 */
	make_spec(&sp, e, 2);
	spec_refused(&sp);
	e[0] = 0x8005; /* -2048 */
	make_spec(&sp, e, 2);
	spec_refused(&sp);
}

static void test_kat_key_zero_refused(void **state)
{
	(void)state;
	uint8_t zero[32] = {0};
	struct fk_dh_session s;
	sess_init(&s, FK_DH_ROLE_RESPONDER);
	EXPECT_STATUS(fk_dh_set_kat_private_key(&s, zero), FUSEKEY_ERR_INVALID_PARAMETER);
	assert_wiped(&s);
	sess_init(&s, FK_DH_ROLE_INITIATOR);
	EXPECT_STATUS(fk_dh_set_kat_private_key(&s, zero), FUSEKEY_ERR_INVALID_PARAMETER);
	assert_wiped(&s);
}

/* The P-256 group order n, little-endian. */
static void order_le(uint8_t n[32])
{
	th_hex("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551", n, 32);
	fk_reverse(n, 32);
}

static void test_kat_key_order_or_above_refused(void **state)
{
	(void)state;
	uint8_t d[32];
	struct fk_dh_session s;
	order_le(d); /* n */
	sess_init(&s, FK_DH_ROLE_RESPONDER);
	EXPECT_STATUS(fk_dh_set_kat_private_key(&s, d), FUSEKEY_ERR_INVALID_PARAMETER);
	assert_wiped(&s);
	d[0]++; /* n + 1 */
	sess_init(&s, FK_DH_ROLE_INITIATOR);
	EXPECT_STATUS(fk_dh_set_kat_private_key(&s, d), FUSEKEY_ERR_INVALID_PARAMETER);
	assert_wiped(&s);
	memset(d, 0xFF, sizeof(d)); /* 2^256 - 1 */
	sess_init(&s, FK_DH_ROLE_RESPONDER);
	EXPECT_STATUS(fk_dh_set_kat_private_key(&s, d), FUSEKEY_ERR_INVALID_PARAMETER);
	assert_wiped(&s);
}

static void test_kat_key_order_minus_one_used(void **state)
{
	(void)state;
	uint8_t d[32], pub[64];
	struct pair pp;
	struct fk_dh_session r, i;
	struct fk_dh_msg1 m1;
	struct fk_dh_msg2 m2;
	order_le(d);
	d[0]--; /* n - 1 */
	EXPECT_OK(fk_p256_public(d, pub));
	pair_new(&pp);
	sess_init(&r, FK_DH_ROLE_RESPONDER);
	sess_init(&i, FK_DH_ROLE_INITIATOR);
	EXPECT_OK(fk_dh_set_kat_private_key(&r, d));
	EXPECT_OK(fk_dh_set_kat_private_key(&i, d));
	EXPECT_OK(fk_dh_responder_gen_msg1(&r, pp.pr, &m1));
	assert_memory_equal(m1.g_a, pub, 64);
	EXPECT_OK(fk_dh_initiator_proc_msg1(&i, pp.pi, FK_DH_LAV2, &m1, &m2));
	assert_memory_equal(m2.g_b, pub, 64);
	pair_free(&pp);
}

/* Private key 1: the public key is the generator G (FIPS 186-4 D.1.2.3), little-endian. */
static void test_kat_key_one_gives_generator(void **state)
{
	(void)state;
	uint8_t d[32] = {1}, g[64];
	struct pair pp;
	struct fk_dh_session r;
	struct fk_dh_msg1 m1;
	th_hex("6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296", g, 32);
	th_hex("4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5", g + 32, 32);
	fk_reverse(g, 32);
	fk_reverse(g + 32, 32);
	pair_new(&pp);
	sess_init(&r, FK_DH_ROLE_RESPONDER);
	EXPECT_OK(fk_dh_set_kat_private_key(&r, d));
	EXPECT_OK(fk_dh_responder_gen_msg1(&r, pp.pr, &m1));
	assert_memory_equal(m1.g_a, g, 64);
	pair_free(&pp);
}

/* ================================================================== */
/* 6. Key pairs made ahead (fk_dh_ephemeral)                          */
/* ================================================================== */

static void eph_make(struct fk_dh_ephemeral *e)
{
	memset(e, 0x5A, sizeof(*e));
	EXPECT_OK(fk_dh_ephemeral_make(e));
	assert_int_equal(e->ready, 1);
}

/*
 * Both sides take a key pair made ahead: the handshake completes, msg1.g_a
 * and msg2.g_b are those public keys, the key pairs are wiped once moved,
 * and the AEK is the one their private keys give (computed here), so the
 * sessions really used them.
 */
static void ephemeral_handshake(enum fk_dh_version v)
{
	struct pair pp;
	struct fk_dh_session r, i;
	struct fk_dh_ephemeral er, ei, er_copy, ei_copy;
	struct transcript t;
	uint8_t sh[32], aek[16], out[16];

	pair_new(&pp);
	eph_make(&er);
	eph_make(&ei);
	er_copy = er;
	ei_copy = ei;
	sess_init(&r, FK_DH_ROLE_RESPONDER);
	sess_init(&i, FK_DH_ROLE_INITIATOR);
	EXPECT_OK(fk_dh_use_ephemeral(&r, &er));
	EXPECT_OK(fk_dh_use_ephemeral(&i, &ei));
	assert_true(th_all_zero(&er, sizeof(er)));
	assert_true(th_all_zero(&ei, sizeof(ei)));
	/* the session is still fresh: only its key pair is set */
	assert_int_equal(fk_dh_state(&r), FK_DH_STATE_RESET);
	assert_int_equal(fk_dh_state(&i), FK_DH_STATE_INITIATOR_WAIT_M1);
	run_handshake(v, &pp, &r, &i, NULL, 0, &t);
	assert_memory_equal(t.m1.g_a, er_copy.pub, 64);
	assert_memory_equal(t.m2.g_b, ei_copy.pub, 64);
	/* private keys are wiped once used, as with generated ones */
	assert_true(th_all_zero(r.priv, sizeof(r.priv)));
	assert_true(th_all_zero(i.priv, sizeof(i.priv)));
	EXPECT_OK(fk_p256_ecdh(er_copy.priv, ei_copy.pub, sh));
	kdf_ref(sh, "AEK", aek);
	check_both(&pp, &r, &i);
	EXPECT_OK(fk_dh_export_aek(&r, out));
	assert_memory_equal(out, aek, 16);
	EXPECT_OK(fk_dh_export_aek(&i, out));
	assert_memory_equal(out, aek, 16);
	transcript_free(&t);
	fk_wipe(&er_copy, sizeof(er_copy));
	fk_wipe(&ei_copy, sizeof(ei_copy));
	pair_free(&pp);
}

static void test_ephemeral_lav1_handshake(void **state)
{
	(void)state;
	ephemeral_handshake(FK_DH_LAV1);
}

static void test_ephemeral_lav2_handshake(void **state)
{
	(void)state;
	ephemeral_handshake(FK_DH_LAV2);
}

/* One side prepared, the other generating its own: still a handshake. */
static void test_ephemeral_one_side_only(void **state)
{
	(void)state;
	for (int side = 0; side < 2; side++) {
		struct pair pp;
		struct fk_dh_session r, i;
		struct fk_dh_ephemeral e;
		struct transcript t;
		uint8_t pub[64];

		pair_new(&pp);
		eph_make(&e);
		memcpy(pub, e.pub, 64);
		sess_init(&r, FK_DH_ROLE_RESPONDER);
		sess_init(&i, FK_DH_ROLE_INITIATOR);
		EXPECT_OK(fk_dh_use_ephemeral(side == 0 ? &r : &i, &e));
		run_handshake(FK_DH_VERSION_DEFAULT, &pp, &r, &i, NULL, 0, &t);
		if (side == 0) {
			assert_memory_equal(t.m1.g_a, pub, 64);
			assert_memory_not_equal(t.m2.g_b, pub, 64);
		} else {
			assert_memory_equal(t.m2.g_b, pub, 64);
			assert_memory_not_equal(t.m1.g_a, pub, 64);
		}
		check_both(&pp, &r, &i);
		transcript_free(&t);
		pair_free(&pp);
	}
}

static void test_ephemeral_make_twice_differs(void **state)
{
	(void)state;
	struct fk_dh_ephemeral a, b;
	uint8_t pub[64];

	eph_make(&a);
	eph_make(&b);
	assert_memory_not_equal(a.priv, b.priv, sizeof(a.priv));
	assert_memory_not_equal(a.pub, b.pub, sizeof(a.pub));
	/* each pub is its priv's public key */
	EXPECT_OK(fk_p256_public(a.priv, pub));
	assert_memory_equal(pub, a.pub, 64);
	EXPECT_OK(fk_p256_public(b.priv, pub));
	assert_memory_equal(pub, b.pub, 64);
	EXPECT_STATUS(fk_dh_ephemeral_make(NULL), FUSEKEY_ERR_INVALID_PARAMETER);
	fk_wipe(&a, sizeof(a));
	fk_wipe(&b, sizeof(b));
}

/* A refused use: the status, the session wiped, and e all zero. */
static void use_refused(struct fk_dh_session *s, struct fk_dh_ephemeral *e, fusekey_status want)
{
	EXPECT_STATUS(fk_dh_use_ephemeral(s, e), want);
	assert_wiped(s);
	if (e != NULL)
		assert_true(th_all_zero(e, sizeof(*e)));
}

/* Only right after fk_dh_init, in either role: every later state refuses. */
static void test_ephemeral_wrong_state_refused(void **state)
{
	(void)state;
	struct pair pp;
	struct fk_dh_session r, i, s;
	struct fk_dh_ephemeral e;
	struct fk_dh_msg1 m1;
	struct fk_dh_msg2 m2;
	uint8_t d[32];

	pair_new(&pp);
	/* responder after gen_msg1 (WAIT_M2) */
	sess_init(&r, FK_DH_ROLE_RESPONDER);
	EXPECT_OK(fk_dh_responder_gen_msg1(&r, pp.pr, &m1));
	eph_make(&e);
	use_refused(&r, &e, FUSEKEY_ERR_INVALID_STATE);
	/* initiator after proc_msg1 (WAIT_M3) */
	sess_init(&r, FK_DH_ROLE_RESPONDER);
	sess_init(&i, FK_DH_ROLE_INITIATOR);
	EXPECT_OK(fk_dh_responder_gen_msg1(&r, pp.pr, &m1));
	EXPECT_OK(fk_dh_initiator_proc_msg1(&i, pp.pi, FK_DH_VERSION_DEFAULT, &m1, &m2));
	eph_make(&e);
	use_refused(&i, &e, FUSEKEY_ERR_INVALID_STATE);
	/* ACTIVE and PEER_CHECKED, both roles */
	handshake(FK_DH_VERSION_DEFAULT, &pp, &r, &i);
	eph_make(&e);
	use_refused(&r, &e, FUSEKEY_ERR_INVALID_STATE);
	eph_make(&e);
	use_refused(&i, &e, FUSEKEY_ERR_INVALID_STATE);
	channel_up(FK_DH_VERSION_DEFAULT, &pp, &r, &i);
	eph_make(&e);
	use_refused(&r, &e, FUSEKEY_ERR_INVALID_STATE);
	eph_make(&e);
	use_refused(&i, &e, FUSEKEY_ERR_INVALID_STATE);
	/* ERROR (a wiped session) */
	fk_dh_wipe(&s);
	eph_make(&e);
	use_refused(&s, &e, FUSEKEY_ERR_INVALID_STATE);
	/* after a KAT key, both roles */
	kat_scalar(d, 0x21);
	for (int role = 0; role < 2; role++) {
		sess_init(&s, role == 0 ? FK_DH_ROLE_RESPONDER : FK_DH_ROLE_INITIATOR);
		EXPECT_OK(fk_dh_set_kat_private_key(&s, d));
		eph_make(&e);
		use_refused(&s, &e, FUSEKEY_ERR_INVALID_STATE);
	}
	/* twice, both roles; and a KAT key after a prepared pair */
	for (int role = 0; role < 2; role++) {
		enum fk_dh_role ro = role == 0 ? FK_DH_ROLE_RESPONDER : FK_DH_ROLE_INITIATOR;
		sess_init(&s, ro);
		eph_make(&e);
		EXPECT_OK(fk_dh_use_ephemeral(&s, &e));
		eph_make(&e);
		use_refused(&s, &e, FUSEKEY_ERR_INVALID_STATE);
		sess_init(&s, ro);
		eph_make(&e);
		EXPECT_OK(fk_dh_use_ephemeral(&s, &e));
		EXPECT_STATUS(fk_dh_set_kat_private_key(&s, d), FUSEKEY_ERR_INVALID_STATE);
		assert_wiped(&s);
	}
	/* the state is checked first: a wrong state with a bad e is INVALID_STATE */
	sess_init(&r, FK_DH_ROLE_RESPONDER);
	EXPECT_OK(fk_dh_responder_gen_msg1(&r, pp.pr, &m1));
	memset(&e, 0, sizeof(e));
	use_refused(&r, &e, FUSEKEY_ERR_INVALID_STATE);
	pair_free(&pp);
}

/* Only a ready e: not made, already used (single use), or NULL. */
static void test_ephemeral_not_ready_refused(void **state)
{
	(void)state;
	struct fk_dh_session s, s2;
	struct fk_dh_ephemeral e;

	for (int role = 0; role < 2; role++) {
		enum fk_dh_role ro = role == 0 ? FK_DH_ROLE_RESPONDER : FK_DH_ROLE_INITIATOR;
		/* never made */
		sess_init(&s, ro);
		memset(&e, 0, sizeof(e));
		use_refused(&s, &e, FUSEKEY_ERR_INVALID_PARAMETER);
		/* key bytes present but not marked ready (0, or anything but 1) */
		eph_make(&e);
		e.ready = 0;
		sess_init(&s, ro);
		use_refused(&s, &e, FUSEKEY_ERR_INVALID_PARAMETER);
		eph_make(&e);
		e.ready = 2;
		sess_init(&s, ro);
		use_refused(&s, &e, FUSEKEY_ERR_INVALID_PARAMETER);
		/* NULL */
		sess_init(&s, ro);
		use_refused(&s, NULL, FUSEKEY_ERR_INVALID_PARAMETER);
		/* already moved into another session */
		eph_make(&e);
		sess_init(&s, ro);
		sess_init(&s2, ro);
		EXPECT_OK(fk_dh_use_ephemeral(&s, &e));
		use_refused(&s2, &e, FUSEKEY_ERR_INVALID_PARAMETER);
		assert_int_equal(fk_dh_state(&s), start_state(ro)); /* the first one is unharmed */
		fk_dh_wipe(&s);
	}
	/* no session: refused, and e is still wiped */
	eph_make(&e);
	EXPECT_STATUS(fk_dh_use_ephemeral(NULL, &e), FUSEKEY_ERR_INVALID_PARAMETER);
	assert_true(th_all_zero(&e, sizeof(e)));
	EXPECT_STATUS(fk_dh_use_ephemeral(NULL, NULL), FUSEKEY_ERR_INVALID_PARAMETER);
}

/* ================================================================== */

#define HDR_FLIP(n)                                                                        \
	{                                                                                  \
		"test_record_header_byte_" #n "_flipped", test_record_header_byte_flipped, \
			NULL, NULL, &hdr_byte_idx[n]                                       \
	}

int main(void)
{
	const struct CMUnitTest tests[] = {
		/* 1. happy paths */
		cmocka_unit_test(test_lav1_handshake),
		cmocka_unit_test(test_lav2_handshake),
		cmocka_unit_test(test_sdk_compat_platform_handshake),
		cmocka_unit_test(test_fresh_aek_per_session),
		cmocka_unit_test(test_peer_body_plain),
		cmocka_unit_test(test_peer_body_kss),
		cmocka_unit_test(test_sdk_identity_responder_writes_five_fields),
		cmocka_unit_test(test_sdk_identity_initiator_copies_prefix),
		cmocka_unit_test(test_props_0),
		cmocka_unit_test(test_props_1),
		cmocka_unit_test(test_props_5),
		cmocka_unit_test(test_props_max),
		cmocka_unit_test(test_props_max_plus_one_refused),
		cmocka_unit_test(test_msg3_buffer_too_small_refused),
		cmocka_unit_test(test_default_version_is_lav2),
		cmocka_unit_test(test_kat_keys_lav1_transcript),
		cmocka_unit_test(test_kat_keys_lav2_transcript),
		cmocka_unit_test(test_version_mismatch_lav1_msg3_as_lav2),
		cmocka_unit_test(test_version_mismatch_lav2_msg3_as_lav1),
		cmocka_unit_test(test_proc_msg1_bad_version_refused),
		cmocka_unit_test(test_init_bad_role_refused),
		cmocka_unit_test(test_kat_key_twice_refused),
		cmocka_unit_test(test_msg3_length_must_be_exact),
		cmocka_unit_test(test_other_platform_lav1_handshake_error),
		cmocka_unit_test(test_other_platform_lav2_kdf_mismatch),
		/* 2. state x operation */
		cmocka_unit_test(test_table_error_from_responder),
		cmocka_unit_test(test_table_error_from_initiator),
		cmocka_unit_test(test_table_responder_reset),
		cmocka_unit_test(test_table_responder_wait_m2),
		cmocka_unit_test(test_table_responder_active),
		cmocka_unit_test(test_table_responder_peer_checked),
		cmocka_unit_test(test_table_initiator_wait_m1),
		cmocka_unit_test(test_table_initiator_wait_m3),
		cmocka_unit_test(test_table_initiator_active),
		cmocka_unit_test(test_table_initiator_peer_checked),
		cmocka_unit_test(test_init_from_every_state_as_responder),
		cmocka_unit_test(test_init_from_every_state_as_initiator),
		/* 3. channel */
		cmocka_unit_test(test_channel_round_trip_both_directions),
		cmocka_unit_test(test_channel_empty_payload),
		cmocka_unit_test(test_channel_one_byte),
		cmocka_unit_test(test_channel_max_payload),
		cmocka_unit_test(test_channel_max_payload_plus_one_refused),
		cmocka_unit_test(test_channel_record_size_and_header),
		cmocka_unit_test(test_channel_record_is_documented_gcm),
		cmocka_unit_test(test_channel_record_made_here_is_opened),
		cmocka_unit_test(test_channel_sequence_increments),
		cmocka_unit_test(test_channel_replay_refused),
		cmocka_unit_test(test_channel_reorder_refused),
		cmocka_unit_test(test_channel_reflection_to_responder_refused),
		cmocka_unit_test(test_channel_reflection_to_initiator_refused),
		cmocka_unit_test(test_channel_truncated_refused),
		cmocka_unit_test(test_channel_extended_refused),
		HDR_FLIP(0),
		HDR_FLIP(1),
		HDR_FLIP(2),
		HDR_FLIP(3),
		HDR_FLIP(4),
		HDR_FLIP(5),
		HDR_FLIP(6),
		HDR_FLIP(7),
		HDR_FLIP(8),
		HDR_FLIP(9),
		HDR_FLIP(10),
		HDR_FLIP(11),
		HDR_FLIP(12),
		HDR_FLIP(13),
		HDR_FLIP(14),
		HDR_FLIP(15),
		cmocka_unit_test(test_channel_every_header_bit_flipped),
		cmocka_unit_test(test_channel_tag_flipped),
		cmocka_unit_test(test_channel_ciphertext_flipped),
		cmocka_unit_test(test_channel_record_of_other_session_refused),
		cmocka_unit_test(test_channel_authentic_bad_magic_refused),
		cmocka_unit_test(test_channel_authentic_bad_version_refused),
		cmocka_unit_test(test_channel_authentic_wrong_direction_refused),
		cmocka_unit_test(test_channel_authentic_skipped_seq_refused),
		cmocka_unit_test(test_channel_authentic_length_field_mismatch_refused),
		cmocka_unit_test(test_channel_pt_buffer_too_small_refused),
		cmocka_unit_test(test_channel_out_buffer_too_small_refused),
		cmocka_unit_test(test_channel_send_counter_exhausted),
		cmocka_unit_test(test_channel_last_counter_value),
		cmocka_unit_test(test_channel_recv_counter_exhausted),
		cmocka_unit_test(test_channel_before_check_peer_refused),
		/* 4. peer check */
		cmocka_unit_test(test_identity_exact_accepted),
		cmocka_unit_test(test_identity_mismatch_mrenclave),
		cmocka_unit_test(test_identity_mismatch_mrsigner),
		cmocka_unit_test(test_identity_mismatch_isvprodid),
		cmocka_unit_test(test_identity_mismatch_isvfamilyid),
		cmocka_unit_test(test_identity_mismatch_isvextprodid),
		cmocka_unit_test(test_identity_mismatch_configid),
		cmocka_unit_test(test_identity_mismatch_debug),
		cmocka_unit_test(test_identity_mismatch_attribute_flags),
		cmocka_unit_test(test_identity_mismatch_attribute_xfrm),
		cmocka_unit_test(test_identity_attribute_value_outside_mask),
		cmocka_unit_test(test_identity_isvsvn_minimum),
		cmocka_unit_test(test_identity_configsvn_minimum),
		cmocka_unit_test(test_identity_no_expectation),
		cmocka_unit_test(test_identity_check_order),
		cmocka_unit_test(test_check_peer_empty_list_refused),
		cmocka_unit_test(test_check_peer_pins_no_enclave_refused),
		cmocka_unit_test(test_check_peer_matched_index),
		cmocka_unit_test(test_check_peer_closest_reason),
		cmocka_unit_test(test_check_peer_refusal_wipes),
		cmocka_unit_test(test_check_peer_debug_peer),
		cmocka_unit_test(test_check_peer_kss_fields),
		cmocka_unit_test(test_mismatch_names_distinct),
		cmocka_unit_test(test_state_names_distinct),
		/* 5. building blocks */
		cmocka_unit_test(test_kdf_kat),
		cmocka_unit_test(test_lav2_proto_spec_bytes),
		cmocka_unit_test(test_target_info_lav2_mapping),
		cmocka_unit_test(test_target_info_bad_signature_refused),
		cmocka_unit_test(test_target_info_bad_version_refused),
		cmocka_unit_test(test_target_info_bad_revision_refused),
		cmocka_unit_test(test_target_info_spec_revision_byte_refused),
		cmocka_unit_test(test_target_info_28_entries_refused),
		cmocka_unit_test(test_target_info_27_entries_accepted),
		cmocka_unit_test(test_target_info_source_past_report_refused),
		cmocka_unit_test(test_target_info_destination_past_512_refused),
		cmocka_unit_test(test_target_info_negative_source_left_zero),
		cmocka_unit_test(test_kat_key_zero_refused),
		cmocka_unit_test(test_kat_key_order_or_above_refused),
		cmocka_unit_test(test_kat_key_order_minus_one_used),
		cmocka_unit_test(test_kat_key_one_gives_generator),
		/* 6. key pairs made ahead */
		cmocka_unit_test(test_ephemeral_lav1_handshake),
		cmocka_unit_test(test_ephemeral_lav2_handshake),
		cmocka_unit_test(test_ephemeral_one_side_only),
		cmocka_unit_test(test_ephemeral_make_twice_differs),
		cmocka_unit_test(test_ephemeral_wrong_state_refused),
		cmocka_unit_test(test_ephemeral_not_ready_refused),
	};
	return cmocka_run_group_tests_name("dh", tests, NULL, NULL);
}
