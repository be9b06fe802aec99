/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The local-attestation tamper suite (src/la/fk_dh.h, sgx.md §8): one cmocka
 * test (one TAP line) per case, built at run time from a table; each case
 * names what it tampers and the status it expects.
 *
 * Enclaves: R (responder), I (initiator) and X (a third enclave), three
 * emulated platforms from ONE fresh random sim state, so all three can attest
 * each other. R and I are KSS enclaves with distinct ISVFAMILYID, ISVEXTPRODID,
 * CONFIGID and CONFIGSVN (th_identity otherwise: DEBUG set, ISVSVN 0x0304).
 *
 * Every case runs a real handshake up to the tampered message, feeds the
 * tampered message to the side that receives it and asserts, where refused:
 *   (1) the exact status (per case, derived below from sgx.md §8.5 and the
 *       SDK's ec_dh.cpp: a point that is not on the curve and every
 *       verification failure -> FUSEKEY_ERR_HANDSHAKE; a msg2 that fails both
 *       versions while its LAv1 KDF id, report_data[32..34), is not 01 00 ->
 *       FUSEKEY_ERR_KDF_MISMATCH; calls in the wrong state ->
 *       FUSEKEY_ERR_INVALID_STATE; refused peers -> FUSEKEY_ERR_PEER_IDENTITY;
 *       bad records -> FUSEKEY_ERR_MAC_MISMATCH);
 *   (2) fk_dh_state() == ERROR and (3) every byte of the session is zero;
 *   (4) for fk_dh_open the plaintext buffer is all zero, and after a
 *       failed proc_msg1/proc_msg2 the msg2/msg3 output (filled with 0xAA
 *       before the call) is all zero, as fk_dh.h promises.
 *
 * Cases expected to be ACCEPTED (named "accepted"): the honest controls, the
 * hand-built messages that prove the forging helpers are right, and the msg1
 * target bytes that no protocol step authenticates because EREPORT does not
 * derive the report key from them (CET byte, reserved1[1], reserved2,
 * reserved3 of the target info: sgx.md §4). For those the whole handshake
 * must still complete with both sides holding the same AEK and the right
 * peer, i.e. the tamper is harmless; the run asserts against the platform
 * that exactly these target bytes leave the report key unchanged.
 *
 * The last lines are TAP comments with the counts.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "la/fk_dh.h"
#include "platform/fk_sim.h"
#include "test_util.h"

#define HANDSHAKE FUSEKEY_ERR_HANDSHAKE
#define KDF_MISMATCH FUSEKEY_ERR_KDF_MISMATCH
#define INVALID_STATE FUSEKEY_ERR_INVALID_STATE

enum {
	PROPS_N = 10,
	M3_CAP = FK_DH_MSG3_FIXED_SIZE + 256,
	MAX_CASES = 1200,
	NAME_MAX_LEN = 160,
	REC_PT = 24,
	RD_OFF = offsetof(struct fk_sgx_report_body, report_data), /* 320 */
	M2_REPORT = offsetof(struct fk_dh_msg2, report),           /* 64 */
	M3_REPORT = offsetof(struct fk_dh_msg3, report),           /* 16 */
	M3_LEN_OFF = offsetof(struct fk_dh_msg3, additional_prop_length), /* 448 */
};

static const uint8_t props[PROPS_N] = {'p', 'r', 'o', 'p', 's', 0x00, 0x01, 0x7f, 0x80, 0xff};
static const uint8_t rec_pt[REC_PT] = {'r', 'e', 'c', 'o', 'r', 'd', ' ', 'p', 'a', 'y', 'l', 'o',
				       'a', 'd', ' ', 'f', 'o', 'r', ' ', 't', 'e', 's', 't', 's'};

/* ---- case table ---- */

enum kind {
	K_CONTROL, /* honest handshake, both peer checks, records both ways */
	K_MSG1,    /* msg1 byte flipped, given to the initiator */
	K_MSG2,    /* msg2 byte flipped, given to the responder */
	K_MSG3,    /* msg3 byte flipped, given to the initiator */
	K_FRAME,   /* msg3 length field / length mismatches */
	K_SEQ,     /* replays, reordering, reflection, wrong target, MITM */
	K_SPEC,    /* hand-built LAv2 msg2 with a custom proto_spec */
	K_KDF,     /* hand-built, authentic LAv1 msg2 with a chosen KDF id */
	K_STATE,   /* calls in the wrong state */
	K_PEER,    /* fk_dh_check_peer after an honest handshake */
	K_RECORD,  /* channel records */
	K_ARG,     /* bad arguments */
};

struct tcase {
	char name[NAME_MAX_LEN];
	enum kind kind;
	enum fk_dh_version v; /* 0: version-independent */
	int arg;
	int side; /* K_PEER: 0 = responder checks initiator, 1 = initiator checks responder */
	size_t off;
	uint8_t xor;
	bool accept;
	fusekey_status want;
	enum fk_dh_mismatch why;
};

static struct tcase cases[MAX_CASES];
static size_t ncases;

static struct {
	size_t ran, refused, accepted, harmless;
	size_t by_status[32];
	size_t dirty_msg2, dirty_msg3; /* outputs left non-zero after a refusal */
	size_t out_checks;
} tally;

/* ---- fixture ---- */

static struct {
	struct fk_sgx_identity id_r, id_i, id_x;
	struct fk_platform *pr, *pi, *px;
	uint8_t probe_priv[FK_DH_PRIV_SIZE]; /* for "is this point on the curve" */
	struct fk_dh_proto_spec sdk_spec;
} G;

/* One handshake in flight. */
struct hs {
	enum fk_dh_version v;
	struct fk_dh_session r, i;
	struct fk_dh_msg1 m1;
	struct fk_dh_msg2 m2;
	uint8_t m3[M3_CAP];
	size_t m3_len;
};
static struct hs H, H2;

/* ---- helpers ---- */

static const char *vname(enum fk_dh_version v)
{
	return v == FK_DH_LAV1 ? "LAv1" : v == FK_DH_LAV2 ? "LAv2" : "any";
}

static void assert_wiped(const struct fk_dh_session *s)
{
	const uint8_t *b = (const uint8_t *)s;
	if (fk_dh_state(s) != FK_DH_STATE_ERROR)
		fail_msg("state %s after a refusal, want ERROR", fk_dh_state_name(fk_dh_state(s)));
	for (size_t k = 0; k < sizeof(*s); k++)
		if (b[k] != 0)
			fail_msg("session byte %zu is 0x%02x after a refusal", k, b[k]);
}

/* (1) (2) (3): the status, the ERROR state and an all-zero session. */
static void refused(const struct fk_dh_session *s, fusekey_status got, fusekey_status want)
{
	if (got != want)
		fail_msg("got %s, want %s", fusekey_status_name(got), fusekey_status_name(want));
	assert_wiped(s);
	if ((size_t)want < sizeof(tally.by_status) / sizeof(tally.by_status[0]))
		tally.by_status[want]++;
}

/*
 * fk_dh.h: a step that fails leaves its output message all zero. The
 * buffers are filled with 0xAA before each step (resp_msg3, run_msg1), so a
 * byte left behind — or never cleared — fails the case.
 */
static void note_output(const void *buf, size_t n, size_t *dirty)
{
	tally.out_checks++;
	if (!th_all_zero(buf, n)) {
		(*dirty)++;
		fail_msg("a refused step left bytes in its output message");
	}
}

static bool point_valid(const uint8_t pub[FK_DH_PUB_SIZE])
{
	uint8_t sh[FK_DH_SHARED_SIZE];
	return fk_p256_ecdh(G.probe_priv, pub, sh) == FUSEKEY_OK;
}

/* SMK from a shared secret, written from sgx.md §8.3 (not fk_dh_kdf). */
static void kdf_smk(const uint8_t shared[FK_DH_SHARED_SIZE], uint8_t smk[16])
{
	static const uint8_t zero[16];
	static const uint8_t label[7] = {0x01, 'S', 'M', 'K', 0x00, 0x80, 0x00};
	uint8_t kdk[16];
	EXPECT_OK(fk_cmac128(zero, shared, FK_DH_SHARED_SIZE, kdk));
	EXPECT_OK(fk_cmac128(kdk, label, sizeof(label), smk));
}

/* An initiator key pair made outside the engine, and its SMK with g_a. */
struct forged {
	uint8_t b[FK_DH_PRIV_SIZE];
	uint8_t g_b[FK_DH_PUB_SIZE];
	uint8_t smk[16];
};

static void forge_keys(const uint8_t g_a[FK_DH_PUB_SIZE], struct forged *f)
{
	uint8_t sh[FK_DH_SHARED_SIZE];
	EXPECT_OK(fk_p256_keygen(f->b, f->g_b));
	EXPECT_OK(fk_p256_ecdh(f->b, g_a, sh));
	kdf_smk(sh, f->smk);
}

/* LAv1 msg2 by hand (sgx.md §8.5 step 3), with any KDF id and trailing bytes. */
static void forge_lav1(struct fk_platform *p, const struct fk_dh_msg1 *m1, uint16_t kdf_id,
		       uint8_t tail, struct fk_dh_msg2 *m2)
{
	struct forged f;
	uint8_t rd[FK_SGX_REPORT_DATA_SIZE];
	struct fk_buf parts[2] = {{m1->g_a, FK_DH_PUB_SIZE}, {NULL, FK_DH_PUB_SIZE}};

	forge_keys(m1->g_a, &f);
	parts[1].p = f.g_b;
	memset(rd, tail, sizeof(rd));
	EXPECT_OK(fk_sha256_parts(parts, 2, rd));
	fk_put_le16(rd + 32, kdf_id);
	memset(m2, 0, sizeof(*m2));
	memcpy(m2->g_b, f.g_b, FK_DH_PUB_SIZE);
	EXPECT_OK(fk_platform_create_report(p, &m1->target, rd, &m2->report));
	EXPECT_OK(fk_cmac128(f.smk, &m2->report, sizeof(m2->report), m2->cmac));
}

/* LAv2 msg2 by hand with proto_spec ps. */
static void forge_lav2(struct fk_platform *p, const struct fk_dh_msg1 *m1,
		       const struct fk_dh_proto_spec *ps, struct fk_dh_msg2 *m2)
{
	struct forged f;
	uint8_t rd[FK_SGX_REPORT_DATA_SIZE] = {0};
	struct fk_buf parts[2] = {{ps, FK_DH_PROTO_SPEC_SIZE}, {NULL, FK_DH_PUB_SIZE}};

	forge_keys(m1->g_a, &f);
	parts[1].p = f.g_b;
	EXPECT_OK(fk_sha256_parts(parts, 2, rd));
	memset(m2, 0, sizeof(*m2));
	memcpy(m2->g_b, f.g_b, FK_DH_PUB_SIZE);
	EXPECT_OK(fk_platform_create_report(p, &m1->target, rd, &m2->report));
	memcpy(m2->report.body.report_data, ps, FK_DH_PROTO_SPEC_SIZE);
	EXPECT_OK(fk_cmac128(f.smk, f.g_b, FK_DH_PUB_SIZE, m2->cmac));
}

static void expect_of(const struct fk_sgx_identity *id, struct fk_dh_expect *e)
{
	memset(e, 0, sizeof(*e));
	e->fields = FK_DH_EXPECT_ALL;
	memcpy(e->mr_enclave, id->mr_enclave, sizeof(e->mr_enclave));
	memcpy(e->mr_signer, id->mr_signer, sizeof(e->mr_signer));
	e->isv_prod_id = id->isv_prod_id;
	e->min_isv_svn = id->isv_svn;
	e->allow_debug = true;
	e->attr_flags_mask = FK_SGX_FLAGS_INITTED | FK_SGX_FLAGS_MODE64BIT | FK_SGX_FLAGS_KSS;
	e->attr_flags_value = id->flags & e->attr_flags_mask;
	e->attr_xfrm_mask = FK_SGX_XFRM_LEGACY;
	e->attr_xfrm_value = id->xfrm & e->attr_xfrm_mask;
	memcpy(e->isv_family_id, id->isv_family_id, sizeof(e->isv_family_id));
	memcpy(e->isv_ext_prod_id, id->isv_ext_prod_id, sizeof(e->isv_ext_prod_id));
	memcpy(e->config_id, id->config_id, sizeof(e->config_id));
	e->min_config_svn = id->config_svn;
}

/* Responder session on p: init + gen_msg1. */
static void resp_msg1(struct hs *h, struct fk_platform *p)
{
	EXPECT_OK(fk_dh_init(&h->r, FK_DH_ROLE_RESPONDER));
	EXPECT_OK(fk_dh_responder_gen_msg1(&h->r, p, &h->m1));
	assert_int_equal(fk_dh_state(&h->r), FK_DH_STATE_RESPONDER_WAIT_M2);
}

/* Initiator session on p answering m1 (version h->v). */
static void init_msg2(struct hs *h, struct fk_platform *p, const struct fk_dh_msg1 *m1)
{
	EXPECT_OK(fk_dh_init(&h->i, FK_DH_ROLE_INITIATOR));
	EXPECT_OK(fk_dh_initiator_proc_msg1(&h->i, p, h->v, m1, &h->m2));
	assert_int_equal(fk_dh_state(&h->i), FK_DH_STATE_INITIATOR_WAIT_M3);
}

static fusekey_status resp_msg3(struct hs *h, struct fk_platform *p, const struct fk_dh_msg2 *m2)
{
	memset(h->m3, 0xAA, sizeof(h->m3)); /* a refusal must clear it (note_output) */
	h->m3_len = 0;
	return fk_dh_responder_proc_msg2(&h->r, p, m2, props, PROPS_N, h->m3, sizeof(h->m3),
					 &h->m3_len);
}

/* R on pr, I on pi: up to msg3 made (R ACTIVE, I waiting for msg3). */
static void to_msg3(struct hs *h, enum fk_dh_version v)
{
	h->v = v;
	resp_msg1(h, G.pr);
	init_msg2(h, G.pi, &h->m1);
	EXPECT_OK(resp_msg3(h, G.pr, &h->m2));
	assert_int_equal(h->m3_len, FK_DH_MSG3_FIXED_SIZE + PROPS_N);
	assert_int_equal(fk_dh_state(&h->r), FK_DH_STATE_ACTIVE);
}

static void full(struct hs *h, enum fk_dh_version v)
{
	to_msg3(h, v);
	EXPECT_OK(fk_dh_initiator_proc_msg3(&h->i, G.pi, h->m3, h->m3_len));
	assert_int_equal(fk_dh_state(&h->i), FK_DH_STATE_ACTIVE);
}

static void check_peer_ok(struct fk_dh_session *s, const struct fk_sgx_identity *peer)
{
	struct fk_dh_expect e;
	size_t matched = 99;
	enum fk_dh_mismatch why = FK_DH_MISMATCH_MRENCLAVE;
	expect_of(peer, &e);
	EXPECT_OK(fk_dh_check_peer(s, &e, 1, &matched, &why));
	assert_int_equal(matched, 0);
	assert_int_equal(why, FK_DH_MISMATCH_NONE);
	assert_int_equal(fk_dh_state(s), FK_DH_STATE_PEER_CHECKED);
}

/* One record from `from` opened by `to`: the channel works and both hold one AEK. */
static void record_ok(struct fk_dh_session *from, struct fk_dh_session *to)
{
	uint8_t rec[REC_PT + FK_DH_RECORD_OVERHEAD], pt[REC_PT + 8];
	size_t rl = 0, pl = 0;
	EXPECT_OK(fk_dh_seal(from, rec_pt, REC_PT, rec, sizeof(rec), &rl));
	assert_int_equal(rl, fk_dh_record_size(REC_PT));
	EXPECT_OK(fk_dh_open(to, rec, rl, pt, sizeof(pt), &pl));
	assert_int_equal(pl, REC_PT);
	assert_memory_equal(pt, rec_pt, REC_PT);
}

/* Both peers accepted, records both ways, AEKs equal: the handshake is sound. */
static void finish_and_use(struct hs *h, const struct fk_sgx_identity *r_id,
			   const struct fk_sgx_identity *i_id)
{
	uint8_t a1[16], a2[16];
	check_peer_ok(&h->r, i_id);
	check_peer_ok(&h->i, r_id);
	record_ok(&h->r, &h->i);
	record_ok(&h->i, &h->r);
	record_ok(&h->r, &h->i);
	EXPECT_OK(fk_dh_export_aek(&h->r, a1));
	EXPECT_OK(fk_dh_export_aek(&h->i, a2));
	assert_memory_equal(a1, a2, 16);
	assert_false(th_all_zero(a1, 16));
}

/* Status of a refused msg2 whose g_b is a valid point: both versions fail; KDF id decides. */
static fusekey_status m2_want(enum fk_dh_version v)
{
	return v == FK_DH_LAV1 ? HANDSHAKE : KDF_MISMATCH;
}

/* ---- case builders ---- */

static struct tcase *add(enum kind k, enum fk_dh_version v, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static struct tcase *add(enum kind k, enum fk_dh_version v, const char *fmt, ...)
{
	struct tcase *c;
	va_list ap;
	int n;
	if (ncases >= MAX_CASES) {
		fprintf(stderr, "too many cases\n");
		exit(1);
	}
	c = &cases[ncases++];
	memset(c, 0, sizeof(*c));
	c->kind = k;
	c->v = v;
	n = snprintf(c->name, sizeof(c->name), "%s ", vname(v));
	va_start(ap, fmt);
	vsnprintf(c->name + n, sizeof(c->name) - (size_t)n, fmt, ap);
	va_end(ap);
	return c;
}

static void set_want(struct tcase *c, fusekey_status want)
{
	size_t n = strlen(c->name);
	c->want = want;
	snprintf(c->name + n, sizeof(c->name) - n, " -> %s", fusekey_status_name(want));
}

static void set_accept(struct tcase *c)
{
	size_t n = strlen(c->name);
	c->accept = true;
	snprintf(c->name + n, sizeof(c->name) - n, " -> accepted");
}

struct field {
	const char *name;
	size_t off, size;
	bool in_report_key; /* msg1 target fields only */
};

#define BODY(f) {#f, offsetof(struct fk_sgx_report_body, f), sizeof(((struct fk_sgx_report_body *)0)->f), false}
static const struct field body_fields[] = {
	BODY(cpu_svn),       BODY(misc_select), BODY(reserved1), BODY(isv_ext_prod_id),
	BODY(attributes.flags), BODY(attributes.xfrm), BODY(mr_enclave), BODY(reserved2),
	BODY(mr_signer),     BODY(reserved3),   BODY(config_id),  BODY(isv_prod_id),
	BODY(isv_svn),       BODY(config_svn),  BODY(reserved4),  BODY(isv_family_id),
};
#undef BODY

#define TI(f, k) {#f, offsetof(struct fk_sgx_target_info, f), sizeof(((struct fk_sgx_target_info *)0)->f), k}
static const struct field target_fields[] = {
	TI(mr_enclave, true),  TI(attributes.flags, true), TI(attributes.xfrm, true),
	{"reserved1[0] (CET)", 48, 1, false}, {"reserved1[1]", 49, 1, false},
	TI(config_svn, true),  TI(misc_select, true),      TI(reserved2, false),
	TI(config_id, true),   TI(reserved3, false),
};
#undef TI

/* Byte positions and bit values per field: first ^01, last ^80, middle ^ff (>= 8 bytes). */
static size_t variants(size_t size, size_t rel[3], uint8_t x[3])
{
	size_t n = 0;
	rel[n] = 0;
	x[n++] = 0x01;
	rel[n] = size - 1;
	x[n++] = 0x80;
	if (size >= 8) {
		rel[n] = size / 2;
		x[n++] = 0xFF;
	}
	return n;
}

static void build_msg1_cases(enum fk_dh_version v)
{
	size_t rel[3];
	uint8_t x[3];
	const char *ga[2] = {"g_a.x", "g_a.y"};
	for (int k = 0; k < 2; k++) {
		size_t n = variants(32, rel, x);
		for (size_t j = 0; j < n; j++) {
			struct tcase *c = add(K_MSG1, v, "msg1 %s[%zu]^%02x, initiator", ga[k], rel[j],
					      x[j]);
			c->off = (size_t)k * 32 + rel[j];
			c->xor = x[j];
			set_want(c, HANDSHAKE);
		}
	}
	for (size_t f = 0; f < sizeof(target_fields) / sizeof(target_fields[0]); f++) {
		const struct field *fd = &target_fields[f];
		size_t n = variants(fd->size, rel, x);
		for (size_t j = 0; j < n; j++) {
			struct tcase *c;
			if (fd->in_report_key)
				c = add(K_MSG1, v, "msg1 target.%s[%zu]^%02x, its msg2 at responder",
					fd->name, rel[j], x[j]);
			else
				c = add(K_MSG1, v, "msg1 target.%s[%zu]^%02x (not in report key), harmless",
					fd->name, rel[j], x[j]);
			c->off = offsetof(struct fk_dh_msg1, target) + fd->off + rel[j];
			c->xor = x[j];
			if (fd->in_report_key)
				set_want(c, m2_want(v));
			else
				set_accept(c);
		}
	}
}

/* The status a msg2 flip must give (sgx.md §8.5 step 4; SDK vectors dh-002/dh-005). */
static fusekey_status m2_flip_want(enum fk_dh_version v, size_t off, uint8_t x)
{
	/* report_data[32..34) as sent: LAv1 kdf id 01 00; LAv2 proto_spec bytes 32,33 = 00 00. */
	uint8_t k0 = v == FK_DH_LAV1 ? 0x01 : 0x00, k1 = 0x00;
	if (off < FK_DH_PUB_SIZE)
		return HANDSHAKE; /* g_b no longer on the curve (asserted when run) */
	if (off == M2_REPORT + RD_OFF + 32)
		k0 = (uint8_t)(k0 ^ x);
	if (off == M2_REPORT + RD_OFF + 33)
		k1 = (uint8_t)(k1 ^ x);
	return k0 == 0x01 && k1 == 0x00 ? HANDSHAKE : KDF_MISMATCH;
}

static void add_m2(enum fk_dh_version v, const char *what, size_t off, uint8_t x)
{
	struct tcase *c = add(K_MSG2, v, "msg2 %s^%02x, responder", what, x);
	c->off = off;
	c->xor = x;
	set_want(c, m2_flip_want(v, off, x));
}

static void build_msg2_cases(enum fk_dh_version v)
{
	size_t rel[3];
	uint8_t x[3];
	char what[80];
	static const size_t rd_offs[] = {0, 5, 6, 7, 8, 9, 10, 21, 22, 31, 34, 40, 63};
	static const struct {
		size_t off;
		uint8_t x;
	} kdf_flips[] = {{32, 0x01}, {32, 0x02}, {33, 0x01}, {33, 0x80}};

	for (int k = 0; k < 2; k++) {
		size_t n = variants(32, rel, x);
		for (size_t j = 0; j < n; j++) {
			snprintf(what, sizeof(what), "g_b.%c[%zu]", k == 0 ? 'x' : 'y', rel[j]);
			add_m2(v, what, (size_t)k * 32 + rel[j], x[j]);
		}
	}
	for (size_t f = 0; f < sizeof(body_fields) / sizeof(body_fields[0]); f++) {
		const struct field *fd = &body_fields[f];
		size_t n = variants(fd->size, rel, x);
		for (size_t j = 0; j < n; j++) {
			snprintf(what, sizeof(what), "report.body.%s[%zu]", fd->name, rel[j]);
			add_m2(v, what, M2_REPORT + fd->off + rel[j], x[j]);
		}
	}
	for (size_t j = 0; j < sizeof(rd_offs) / sizeof(rd_offs[0]); j++) {
		snprintf(what, sizeof(what), "report.body.report_data[%zu]", rd_offs[j]);
		add_m2(v, what, M2_REPORT + RD_OFF + rd_offs[j], 0x01);
	}
	for (size_t j = 0; j < sizeof(kdf_flips) / sizeof(kdf_flips[0]); j++) {
		snprintf(what, sizeof(what), "report.body.report_data[%zu] (kdf id)", kdf_flips[j].off);
		add_m2(v, what, M2_REPORT + RD_OFF + kdf_flips[j].off, kdf_flips[j].x);
	}
	static const struct {
		const char *name;
		size_t off, size;
	} tail[] = {{"report.key_id", M2_REPORT + offsetof(struct fk_sgx_report, key_id), 32},
		    {"report.mac", M2_REPORT + offsetof(struct fk_sgx_report, mac), 16},
		    {"cmac", offsetof(struct fk_dh_msg2, cmac), 16}};
	for (size_t f = 0; f < sizeof(tail) / sizeof(tail[0]); f++) {
		size_t n = variants(tail[f].size, rel, x);
		for (size_t j = 0; j < n; j++) {
			snprintf(what, sizeof(what), "%s[%zu]", tail[f].name, rel[j]);
			add_m2(v, what, tail[f].off + rel[j], x[j]);
		}
	}
}

static void add_m3(enum fk_dh_version v, const char *what, size_t off, uint8_t x)
{
	struct tcase *c = add(K_MSG3, v, "msg3 %s^%02x, initiator", what, x);
	c->off = off;
	c->xor = x;
	set_want(c, HANDSHAKE);
}

static void build_msg3_cases(enum fk_dh_version v)
{
	size_t rel[3];
	uint8_t x[3];
	char what[80];
	static const size_t rd_offs[] = {0, 31, 32, 40, 63};
	static const size_t prop_offs[] = {0, 5, PROPS_N - 1};

	size_t n = variants(16, rel, x);
	for (size_t j = 0; j < n; j++) {
		snprintf(what, sizeof(what), "cmac[%zu]", rel[j]);
		add_m3(v, what, rel[j], x[j]);
	}
	for (size_t f = 0; f < sizeof(body_fields) / sizeof(body_fields[0]); f++) {
		const struct field *fd = &body_fields[f];
		n = variants(fd->size, rel, x);
		for (size_t j = 0; j < n; j++) {
			snprintf(what, sizeof(what), "report.body.%s[%zu]", fd->name, rel[j]);
			add_m3(v, what, M3_REPORT + fd->off + rel[j], x[j]);
		}
	}
	for (size_t j = 0; j < sizeof(rd_offs) / sizeof(rd_offs[0]); j++) {
		snprintf(what, sizeof(what), "report.body.report_data[%zu]", rd_offs[j]);
		add_m3(v, what, M3_REPORT + RD_OFF + rd_offs[j], 0x01);
	}
	static const struct {
		const char *name;
		size_t off, size;
	} tail[] = {{"report.key_id", M3_REPORT + offsetof(struct fk_sgx_report, key_id), 32},
		    {"report.mac", M3_REPORT + offsetof(struct fk_sgx_report, mac), 16}};
	for (size_t f = 0; f < sizeof(tail) / sizeof(tail[0]); f++) {
		n = variants(tail[f].size, rel, x);
		for (size_t j = 0; j < n; j++) {
			snprintf(what, sizeof(what), "%s[%zu]", tail[f].name, rel[j]);
			add_m3(v, what, tail[f].off + rel[j], x[j]);
		}
	}
	for (size_t j = 0; j < sizeof(prop_offs) / sizeof(prop_offs[0]); j++) {
		snprintf(what, sizeof(what), "additional_prop[%zu]", prop_offs[j]);
		add_m3(v, what, FK_DH_MSG3_FIXED_SIZE + prop_offs[j], j == 1 ? 0x80 : 0x01);
	}
}

enum frame {
	F_LEN_PLUS1_APPEND, /* length field n+1, one 0x00 byte appended (SDK vector) */
	F_LEN_MINUS1_KEEP,  /* length field n-1, trailing byte kept (SDK vector) */
	F_LEN_MINUS1_DROP,  /* length field n-1, last byte dropped: framing consistent */
	F_LEN_HUGE,         /* 0xFFFFFFFF */
	F_LEN_HIGH_BYTE,    /* n + 2^24 */
	F_LEN_OVER_MAX,     /* FK_DH_PROPS_MAX + 1, with that many bytes present */
	F_LEN_AT_MAX,       /* FK_DH_PROPS_MAX, with that many bytes present */
	F_LEN_ZERO,         /* 0, props dropped: framing consistent */
	F_SHORT1,           /* msg3_len one short of its field */
	F_LONG1,            /* msg3_len one beyond its field */
	F_FIXED_451,        /* shorter than the fixed part */
	F_EMPTY,            /* msg3_len 0 */
	F_COUNT
};
static const char *const frame_names[F_COUNT] = {
	"additional_prop_length+1 with a 0x00 byte appended",
	"additional_prop_length-1 with the trailing byte kept",
	"additional_prop_length-1 with the last byte dropped",
	"additional_prop_length 0xFFFFFFFF",
	"additional_prop_length+2^24",
	"additional_prop_length FK_DH_PROPS_MAX+1 with as many bytes",
	"additional_prop_length FK_DH_PROPS_MAX with as many bytes",
	"additional_prop_length 0 with the props dropped",
	"msg3 length one short of its length field",
	"msg3 length one beyond its length field",
	"msg3 of 451 bytes",
	"msg3 of 0 bytes",
};

enum seq {
	S_REPLAY_MSG2,        /* msg2 of session 1 into session 2's responder */
	S_REPLAY_MSG3,        /* msg3 of session 1 into session 2's initiator */
	S_REPLAY_MSG3_OTHERV, /* msg3 of a session of the other version */
	S_MSG2_AGAIN,         /* the same msg2 again into its responder, now ACTIVE */
	S_MSG3_AGAIN,         /* the same msg3 again into its initiator, now ACTIVE */
	S_MSG3_AS_MSG2,       /* a msg3 given to a fresh responder as msg2 */
	S_MSG1_AS_MSG2,       /* the responder's own msg1 reflected back to it as msg2 */
	S_MSG2_AS_MSG3,       /* the initiator's own msg2 reflected back to it as msg3 */
	S_MSG2_AS_MSG1,       /* another initiator's msg2 given as msg1; the msg2 made from it */
	S_SELF_REFLECT,       /* R's msg1 answered by R itself as initiator: peer check refuses */
	S_WRONG_TARGET,       /* initiator's report targets the third enclave */
	S_MITM_GA,            /* msg1 g_a replaced by another valid public key */
	S_MITM_GB_RECMAC,     /* msg2 g_b replaced by the attacker's, CMAC recomputed with its SMK */
	S_MITM_RELAY_X,       /* X ran msg1 towards I and relays I's msg2 to R */
	S_X_AS_INITIATOR,     /* X completes a handshake with R as itself: R's peer check refuses */
	S_X_AS_RESPONDER,     /* X completes a handshake with I as itself: I's peer check refuses */
	S_VERSION_MISMATCH,   /* msg3 processed with the other version's rules */
	S_MITM_RESP_CONTROL,  /* host answers I with its own g_a, msg3 with a report R made for it */
	S_MITM_RESP_OLD_REPORT, /* the same, msg3 carrying R's genuine report of another session */
	S_COUNT
};
static const char *const seq_names[S_COUNT] = {
	"replay: msg2 of session 1 into session 2's responder",
	"replay: msg3 of session 1 into session 2's initiator",
	"replay: msg3 of an other-version session into this initiator",
	"replay: msg2 again into its responder (ACTIVE)",
	"replay: msg3 again into its initiator (ACTIVE)",
	"reorder: a msg3 given to a fresh responder as msg2",
	"reflect: responder's own msg1 given back to it as msg2",
	"reflect: initiator's own msg2 given back to it as msg3",
	"reorder: another initiator's msg2 given as msg1, its msg2 at responder",
	"reflect: R answers its own msg1 as initiator, R's peer check (expects I)",
	"wrong target: initiator's report targets a third enclave",
	"MITM: msg1 g_a replaced by another valid key",
	"MITM: msg2 g_b replaced, CMAC recomputed with the attacker's SMK",
	"MITM: X relays I's msg2 (made for X's msg1) to R",
	"impersonation: X as initiator, R's peer check (expects I)",
	"impersonation: X as responder, I's peer check (expects R)",
	"version mismatch: msg3 processed with the other version",
	"control: host with its own g_a, msg3 report made by R for this exchange",
	"MITM: host with its own g_a, msg3 with R's report of another session, CMAC recomputed",
};

static fusekey_status seq_want(enum seq s, enum fk_dh_version v)
{
	switch (s) {
	case S_REPLAY_MSG2:
	case S_MSG2_AS_MSG1:
	case S_WRONG_TARGET:
	case S_MITM_GA:
	case S_MITM_GB_RECMAC:
	case S_MITM_RELAY_X:
		return m2_want(v);
	case S_MSG2_AGAIN:
	case S_MSG3_AGAIN:
		return INVALID_STATE;
	case S_MSG1_AS_MSG2:
		/* g_b := the responder's own g_a (a valid point); report_data[32..34) := zeros */
		return KDF_MISMATCH;
	case S_MSG3_AS_MSG2:
		/* g_b := cmac || report[0..48): not a point (asserted when run) */
		return HANDSHAKE;
	case S_SELF_REFLECT:
	case S_X_AS_INITIATOR:
	case S_X_AS_RESPONDER:
		return FUSEKEY_ERR_PEER_IDENTITY;
	case S_MITM_RESP_OLD_REPORT:
		return HANDSHAKE; /* only report_data binds the report to this exchange */
	default:
		return HANDSHAKE;
	}
}

enum spec {
	P_CONTROL_SDK,  /* the SDK's spec: accepted (proves forge_lav2) */
	P_VALID_MIN,    /* ver 2 rev 0, one entry (mr_enclave): accepted like the SDK */
	P_VER1,         /* ver 1: not an LAv2 message */
	P_SIGNATURE,    /* "SGX LB" */
	P_REV1,         /* rev 1: authentic LAv2 msg2, spec refused by make_target_info */
	P_SPEC0_LOW,    /* low byte of target_spec[0] = 1 */
	P_COUNT28,      /* 28 entries */
	P_SRC_OUT,      /* 8 bytes from report offset 430 */
	P_DST_OUT,      /* nine 64-byte entries: beyond the 512-byte target info */
	P_SRC_NEG2,     /* source offset -2 (only -1 is allowed) */
	P_REV1_KDF01,   /* rev 1 and bytes 32,33 = 01 00: KDF id right, so HANDSHAKE */
	P_COUNT
};
static const char *const spec_names[P_COUNT] = {
	"hand-built msg2 with the SDK proto_spec",
	"hand-built msg2 with a valid one-entry proto_spec",
	"hand-built msg2 with proto_spec ver 1",
	"hand-built msg2 with proto_spec signature SGX LB",
	"hand-built msg2 with proto_spec rev 1",
	"hand-built msg2 with proto_spec target_spec[0] low byte 1",
	"hand-built msg2 with proto_spec of 28 entries",
	"hand-built msg2 with proto_spec entry reading report bytes 430..438",
	"hand-built msg2 with proto_spec entries beyond the target info",
	"hand-built msg2 with proto_spec entry source offset -2",
	"hand-built msg2 with proto_spec rev 1 and bytes 32,33 = 01 00",
};
/*
 * rev 1, target_spec[0] low byte, 28 entries and bad entries: the message is
 * authentic and passes the SDK's LAv2_verify_message2 (which checks only
 * "SGX LA" || ver); LAv2_generate_message3 then fails in make_target_info and
 * sgx_dh_responder_proc_msg2 returns SGX_ERROR_UNEXPECTED, not KDF_MISMATCH
 * (ec_dh.cpp: the error path keeps only OUT_OF_MEMORY and KDF_MISMATCH, and
 * se_ret at that point is make_target_info's status). fk_dh.h: statuses
 * follow the SDK, UNEXPECTED = FUSEKEY_ERR_HANDSHAKE.
 */
static fusekey_status spec_want(enum spec p)
{
	switch (p) {
	case P_VER1:
	case P_SIGNATURE:
		return KDF_MISMATCH;
	default:
		return HANDSHAKE;
	}
}

enum state_case {
	T_I_MSG3_BEFORE_MSG1,
	T_R_MSG2_BEFORE_MSG1,
	T_R_MSG1_TWICE,
	T_I_GEN_MSG1,
	T_R_PROC_MSG1,
	T_R_PROC_MSG3,
	T_I_PROC_MSG2,
	T_I_MSG1_TWICE,
	T_R_ACTIVE_PROC_MSG3,
	T_CHECK_RESET,
	T_CHECK_WAIT_M1,
	T_CHECK_WAIT_M2,
	T_CHECK_WAIT_M3,
	T_CHECK_TWICE,
	T_SEAL_ACTIVE,
	T_OPEN_ACTIVE,
	T_SEAL_WAIT_M2,
	T_AFTER_ERROR,
	T_KAT_AFTER_MSG1,
	T_KAT_TWICE,
	T_EXPORT_ACTIVE, /* reads: refused without touching the session */
	T_PEER_BODY_WAIT_M2,
	T_COUNT
};
static const char *const state_names[T_COUNT] = {
	"initiator: proc_msg3 before proc_msg1",
	"responder: proc_msg2 before gen_msg1",
	"responder: gen_msg1 twice",
	"initiator: gen_msg1",
	"responder: proc_msg1",
	"responder (WAIT_M2): proc_msg3",
	"initiator (WAIT_M3): proc_msg2",
	"initiator: proc_msg1 twice",
	"responder (ACTIVE): proc_msg3 with its own msg3",
	"check_peer in RESET",
	"check_peer in INITIATOR_WAIT_M1",
	"check_peer in RESPONDER_WAIT_M2",
	"check_peer in INITIATOR_WAIT_M3",
	"check_peer twice (PEER_CHECKED)",
	"seal in ACTIVE (peer not checked)",
	"open in ACTIVE (peer not checked)",
	"seal in RESPONDER_WAIT_M2",
	"gen_msg1 on a session wiped by an earlier refusal",
	"set_kat_private_key after gen_msg1",
	"set_kat_private_key twice",
	"export_aek in ACTIVE (read: session untouched)",
	"peer_body in RESPONDER_WAIT_M2 (read: session untouched)",
};

enum peer_case {
	PC_CONTROL,
	PC_SECOND_MATCHES,
	PC_DEBUG,
	PC_MRENCLAVE,
	PC_MRSIGNER,
	PC_PRODID,
	PC_SVN,
	PC_FAMILY,
	PC_EXTPROD,
	PC_CONFIGID,
	PC_CONFIGSVN,
	PC_ATTR_FLAGS,
	PC_ATTR_XFRM,
	PC_EMPTY,
	PC_NO_ENCLAVE,
	PC_SIGNER_ONLY_WRONG,
	PC_CLOSEST,
	PC_COUNT
};
static const struct {
	const char *name;
	enum fk_dh_mismatch why;
} peer_cases[PC_COUNT] = {
	{"exact expectation", FK_DH_MISMATCH_NONE},
	{"second of two expectations matches", FK_DH_MISMATCH_NONE},
	{"DEBUG peer with allow_debug=false", FK_DH_MISMATCH_DEBUG},
	{"wrong MRENCLAVE", FK_DH_MISMATCH_MRENCLAVE},
	{"wrong MRSIGNER", FK_DH_MISMATCH_MRSIGNER},
	{"wrong ISVPRODID", FK_DH_MISMATCH_ISVPRODID},
	{"ISVSVN below minimum", FK_DH_MISMATCH_ISVSVN},
	{"wrong KSS ISVFAMILYID", FK_DH_MISMATCH_ISVFAMILYID},
	{"wrong KSS ISVEXTPRODID", FK_DH_MISMATCH_ISVEXTPRODID},
	{"wrong KSS CONFIGID", FK_DH_MISMATCH_CONFIGID},
	{"CONFIGSVN below minimum", FK_DH_MISMATCH_CONFIGSVN},
	{"attribute flags (MODE64BIT required clear)", FK_DH_MISMATCH_ATTRIBUTES},
	{"attribute xfrm (0x1 required, peer 0x3)", FK_DH_MISMATCH_ATTRIBUTES},
	{"empty expectation list", FK_DH_MISMATCH_NO_EXPECTATION},
	{"expectation pinning neither MRENCLAVE nor MRSIGNER", FK_DH_MISMATCH_NO_EXPECTATION},
	{"MRSIGNER-only expectation, wrong MRSIGNER", FK_DH_MISMATCH_MRSIGNER},
	{"two wrong expectations (MRENCLAVE; ISVSVN): closest reported", FK_DH_MISMATCH_ISVSVN},
};

enum record_case {
	RC_MAGIC0, RC_MAGIC1, RC_VERSION, RC_DIRECTION, RC_LEN_LO, RC_LEN_HI, RC_SEQ_LO, RC_SEQ_HI,
	RC_CT_FIRST, RC_CT_LAST, RC_TAG_FIRST, RC_TAG_LAST, RC_TRUNC, RC_EXTEND, RC_REFLECT,
	RC_REPLAY, RC_REORDER, RC_OTHER_SESSION, RC_EMPTY, RC_HDR_ONLY, RC_COUNT
};
static const char *const record_names[RC_COUNT] = {
	"record magic[0]^01", "record magic[1]^80", "record version^01",
	"record direction^03 (claims the other direction)", "record length[0]^01",
	"record length[3]^80", "record seq[0]^01", "record seq[7]^80", "record ciphertext[0]^01",
	"record ciphertext[last]^80", "record tag[0]^01", "record tag[15]^80",
	"record truncated by one byte", "record extended by one byte",
	"reflect: responder opens its own record", "replay: the same record opened twice",
	"reorder: second record opened first", "record of another session (other AEK)",
	"record of 0 bytes", "record of 31 bytes (header + tag minus one)",
};

enum arg_case {
	A_PROPS_TOO_LONG, A_PROPS_NULL, A_MSG3_CAP_SMALL, A_BAD_VERSION_M1, A_BAD_VERSION_M3,
	A_SEAL_TOO_BIG, A_OPEN_CAP_SMALL, A_COUNT
};
static const char *const arg_names[A_COUNT] = {
	"proc_msg2 with props_len FK_DH_PROPS_MAX+1",
	"proc_msg2 with props NULL and props_len 5",
	"proc_msg2 with msg3_cap one short",
	"proc_msg1 with version 3",
	"proc_msg3_as with version 0",
	"seal of FK_DH_RECORD_MAX_PAYLOAD+1 bytes",
	"open with pt_cap one short",
};

static void build_cases(void)
{
	static const enum fk_dh_version vs[2] = {FK_DH_LAV1, FK_DH_LAV2};
	for (int k = 0; k < 2; k++) {
		enum fk_dh_version v = vs[k];
		struct tcase *c = add(K_CONTROL, v, "control: honest handshake, props %d bytes", PROPS_N);
		set_accept(c);
		c = add(K_CONTROL, v, "control: honest handshake, no props");
		c->arg = 1;
		set_accept(c);
		build_msg1_cases(v);
		build_msg2_cases(v);
		build_msg3_cases(v);
		for (int f = 0; f < F_COUNT; f++) {
			c = add(K_FRAME, v, "msg3 %s, initiator", frame_names[f]);
			c->arg = f;
			set_want(c, HANDSHAKE);
		}
		for (int s = 0; s < S_COUNT; s++) {
			c = add(K_SEQ, v, "%s", seq_names[s]);
			c->arg = s;
			if (s == S_MITM_RESP_CONTROL)
				set_accept(c);
			else
				set_want(c, seq_want((enum seq)s, v));
			if (s == S_SELF_REFLECT || s == S_X_AS_INITIATOR)
				c->why = FK_DH_MISMATCH_MRENCLAVE;
			if (s == S_X_AS_RESPONDER)
				c->why = FK_DH_MISMATCH_MRENCLAVE;
		}
		for (int t = 0; t < T_COUNT; t++) {
			c = add(K_STATE, v, "wrong state: %s", state_names[t]);
			c->arg = t;
			set_want(c, INVALID_STATE);
		}
		for (int side = 0; side < 2; side++)
			for (int p = 0; p < PC_COUNT; p++) {
				c = add(K_PEER, v, "%s checks %s: %s",
					side == 0 ? "responder" : "initiator",
					side == 0 ? "initiator" : "responder", peer_cases[p].name);
				c->arg = p;
				c->side = side;
				c->why = peer_cases[p].why;
				if (p == PC_CONTROL || p == PC_SECOND_MATCHES)
					set_accept(c);
				else
					set_want(c, FUSEKEY_ERR_PEER_IDENTITY);
			}
		for (int r = 0; r < RC_COUNT; r++) {
			c = add(K_RECORD, v, "%s", record_names[r]);
			c->arg = r;
			set_want(c, FUSEKEY_ERR_MAC_MISMATCH);
		}
	}
	for (int p = 0; p < P_COUNT; p++) {
		struct tcase *c = add(K_SPEC, FK_DH_LAV2, "%s, responder", spec_names[p]);
		c->arg = p;
		if (p == P_CONTROL_SDK || p == P_VALID_MIN)
			set_accept(c);
		else
			set_want(c, spec_want((enum spec)p));
	}
	static const uint16_t kdf_ids[] = {0x0001, 0x0000, 0x0002, 0x0101, 0x0100, 0xFFFF};
	for (size_t k = 0; k < sizeof(kdf_ids) / sizeof(kdf_ids[0]); k++) {
		struct tcase *c = add(K_KDF, FK_DH_LAV1,
				      "hand-built authentic msg2, report_data[32..34) = %02x %02x, responder",
				      kdf_ids[k] & 0xFF, kdf_ids[k] >> 8);
		c->arg = kdf_ids[k];
		if (kdf_ids[k] == FK_DH_KDF_ID)
			set_accept(c);
		else
			set_want(c, KDF_MISMATCH);
	}
	{
		/* sgx.md §8.5: LAv1 checks report_data[0,32) and the KDF id, nothing after. */
		struct tcase *c = add(K_KDF, FK_DH_LAV1,
				      "hand-built authentic msg2, report_data[34..64) = 5a.., responder");
		c->arg = 0x10000 | FK_DH_KDF_ID;
		set_accept(c);
	}
	for (int a = 0; a < A_COUNT; a++) {
		struct tcase *c = add(K_ARG, FK_DH_LAV2, "bad argument: %s", arg_names[a]);
		c->arg = a;
		set_want(c, FUSEKEY_ERR_INVALID_PARAMETER);
	}
}

/* ---- runners ---- */

static void run_control(const struct tcase *c)
{
	struct fk_sgx_report_body body;
	H.v = c->v;
	resp_msg1(&H, G.pr);
	init_msg2(&H, G.pi, &H.m1);
	if (c->arg == 1) {
		EXPECT_OK(fk_dh_responder_proc_msg2(&H.r, G.pr, &H.m2, NULL, 0, H.m3, sizeof(H.m3),
						    &H.m3_len));
		assert_int_equal(H.m3_len, FK_DH_MSG3_FIXED_SIZE);
	} else {
		EXPECT_OK(resp_msg3(&H, G.pr, &H.m2));
		assert_int_equal(H.m3_len, FK_DH_MSG3_FIXED_SIZE + PROPS_N);
		assert_memory_equal(H.m3 + FK_DH_MSG3_FIXED_SIZE, props, PROPS_N);
	}
	EXPECT_OK(fk_dh_initiator_proc_msg3(&H.i, G.pi, H.m3, H.m3_len));
	/* fk_dh.h: the ephemeral private key is wiped once used */
	assert_true(th_all_zero(H.r.priv, sizeof(H.r.priv)));
	assert_true(th_all_zero(H.i.priv, sizeof(H.i.priv)));
	EXPECT_OK(fk_dh_peer_body(&H.r, &body));
	assert_memory_equal(body.mr_enclave, G.id_i.mr_enclave, 32);
	EXPECT_OK(fk_dh_peer_body(&H.i, &body));
	assert_memory_equal(body.mr_enclave, G.id_r.mr_enclave, 32);
	finish_and_use(&H, &G.id_r, &G.id_i);
}

static void run_msg1(const struct tcase *c)
{
	struct fk_dh_msg1 t;
	fusekey_status st;
	H.v = c->v;
	resp_msg1(&H, G.pr);
	t = H.m1;
	((uint8_t *)&t)[c->off] = (uint8_t)(((uint8_t *)&t)[c->off] ^ c->xor);
	if (c->off >= FK_DH_PUB_SIZE) {
		/* Does this target byte enter the report key? Ask the platform (sgx.md §4). */
		struct fk_sgx_report rep;
		EXPECT_OK(fk_platform_create_report(G.pi, &t.target, NULL, &rep));
		bool same_key = fk_platform_verify_report(G.pr, &rep) == FUSEKEY_OK;
		if (same_key != c->accept)
			fail_msg("platform: report for the tampered target %s in R; case assumes %s",
				 same_key ? "verifies" : "does not verify",
				 c->accept ? "it does" : "it does not");
	}
	EXPECT_OK(fk_dh_init(&H.i, FK_DH_ROLE_INITIATOR));
	memset(&H.m2, 0xAA, sizeof(H.m2)); /* a refusal must clear it (note_output) */
	st = fk_dh_initiator_proc_msg1(&H.i, G.pi, H.v, &t, &H.m2);
	if (c->off < FK_DH_PUB_SIZE) {
		assert_false(point_valid(t.g_a));
		refused(&H.i, st, c->want);
		note_output(&H.m2, sizeof(H.m2), &tally.dirty_msg2);
		return;
	}
	EXPECT_OK(st); /* the initiator cannot see it: msg1 carries no MAC */
	st = resp_msg3(&H, G.pr, &H.m2);
	if (!c->accept) {
		refused(&H.r, st, c->want);
		note_output(H.m3, sizeof(H.m3), &tally.dirty_msg3);
		assert_int_equal(H.m3_len, 0);
		return;
	}
	EXPECT_OK(st);
	EXPECT_OK(fk_dh_initiator_proc_msg3(&H.i, G.pi, H.m3, H.m3_len));
	finish_and_use(&H, &G.id_r, &G.id_i);
}

static void run_msg2(const struct tcase *c)
{
	struct fk_dh_msg2 t;
	const uint8_t *rd;
	H.v = c->v;
	resp_msg1(&H, G.pr);
	init_msg2(&H, G.pi, &H.m1);
	/* the premise of m2_flip_want: report_data[32..34) as each version sends it */
	rd = H.m2.report.body.report_data;
	assert_int_equal(rd[32], c->v == FK_DH_LAV1 ? 0x01 : 0x00);
	assert_int_equal(rd[33], 0x00);
	t = H.m2;
	((uint8_t *)&t)[c->off] = (uint8_t)(((uint8_t *)&t)[c->off] ^ c->xor);
	if (c->off < FK_DH_PUB_SIZE)
		assert_false(point_valid(t.g_b));
	refused(&H.r, resp_msg3(&H, G.pr, &t), c->want);
	note_output(H.m3, sizeof(H.m3), &tally.dirty_msg3);
	assert_int_equal(H.m3_len, 0);
}

static void run_msg3(const struct tcase *c)
{
	uint8_t t[M3_CAP];
	to_msg3(&H, c->v);
	memcpy(t, H.m3, H.m3_len);
	t[c->off] = (uint8_t)(t[c->off] ^ c->xor);
	refused(&H.i, fk_dh_initiator_proc_msg3(&H.i, G.pi, t, H.m3_len), c->want);
}

static void run_frame(const struct tcase *c)
{
	size_t cap = FK_DH_MSG3_FIXED_SIZE + FK_DH_PROPS_MAX + 2, len = 0;
	uint8_t *t = calloc(1, cap);
	uint32_t field = 0;
	fusekey_status st;
	assert_non_null(t);
	to_msg3(&H, c->v);
	memcpy(t, H.m3, H.m3_len);
	len = H.m3_len;
	switch ((enum frame)c->arg) {
	case F_LEN_PLUS1_APPEND:
		field = PROPS_N + 1;
		len++;
		break;
	case F_LEN_MINUS1_KEEP:
		field = PROPS_N - 1;
		break;
	case F_LEN_MINUS1_DROP:
		field = PROPS_N - 1;
		len--;
		break;
	case F_LEN_HUGE:
		field = 0xFFFFFFFFu;
		break;
	case F_LEN_HIGH_BYTE:
		field = PROPS_N + (1u << 24);
		break;
	case F_LEN_OVER_MAX:
		field = FK_DH_PROPS_MAX + 1;
		len = FK_DH_MSG3_FIXED_SIZE + field;
		break;
	case F_LEN_AT_MAX:
		field = FK_DH_PROPS_MAX;
		len = FK_DH_MSG3_FIXED_SIZE + field;
		break;
	case F_LEN_ZERO:
		field = 0;
		len = FK_DH_MSG3_FIXED_SIZE;
		break;
	case F_SHORT1:
		field = PROPS_N;
		len--;
		break;
	case F_LONG1:
		field = PROPS_N;
		len++;
		break;
	case F_FIXED_451:
		field = PROPS_N;
		len = FK_DH_MSG3_FIXED_SIZE - 1;
		break;
	case F_EMPTY:
		field = PROPS_N;
		len = 0;
		break;
	default:
		fail_msg("bad frame case");
	}
	fk_put_le32(t + M3_LEN_OFF, field);
	/* exact-size heap copy so that any read beyond len is caught by ASan */
	uint8_t *exact = malloc(len ? len : 1);
	assert_non_null(exact);
	memcpy(exact, t, len);
	free(t);
	st = fk_dh_initiator_proc_msg3(&H.i, G.pi, exact, len);
	free(exact);
	refused(&H.i, st, c->want);
}

/*
 * The untrusted host answers I's session itself: own key pair (a, g_a), R's
 * target info, and a msg3 whose CMAC it computes with the SMK it shares with
 * I. The report in msg3 must come from R: in the control, R makes it for this
 * exchange (report_data as sgx.md §8.5 step 4 says, as if R's code used the
 * host's key); in the attack it is R's genuine msg3 report of an earlier
 * honest session of the same version, so only report_data can tell.
 */
static void mitm_responder(const struct tcase *c)
{
	enum fk_dh_version v = c->v;
	uint8_t a[FK_DH_PRIV_SIZE], sh[FK_DH_SHARED_SIZE], smk[16];
	uint8_t m3[FK_DH_MSG3_FIXED_SIZE + PROPS_N];
	struct fk_dh_msg3 *hdr = (struct fk_dh_msg3 *)(void *)m3;
	struct fk_dh_msg1 t1;
	struct fk_sgx_report rep;

	H.v = H2.v = v;
	resp_msg1(&H2, G.pr); /* R's genuine msg1: the host copies its target */
	t1 = H2.m1;
	EXPECT_OK(fk_p256_keygen(a, t1.g_a));
	init_msg2(&H, G.pi, &t1);
	EXPECT_OK(fk_p256_ecdh(a, H.m2.g_b, sh));
	kdf_smk(sh, smk);
	if (c->arg == S_MITM_RESP_CONTROL) {
		struct fk_sgx_target_info ti;
		uint8_t rd[FK_SGX_REPORT_DATA_SIZE] = {0};
		struct fk_buf parts[2];
		EXPECT_OK(fk_platform_self_target(G.pi, &ti));
		if (v == FK_DH_LAV1) {
			parts[0] = (struct fk_buf){H.m2.g_b, FK_DH_PUB_SIZE};
			parts[1] = (struct fk_buf){t1.g_a, FK_DH_PUB_SIZE};
		} else {
			parts[0] = (struct fk_buf){t1.g_a, FK_DH_PUB_SIZE};
			parts[1] = (struct fk_buf){&G.sdk_spec, FK_DH_PROTO_SPEC_SIZE};
		}
		EXPECT_OK(fk_sha256_parts(parts, 2, rd));
		EXPECT_OK(fk_platform_create_report(G.pr, &ti, rd, &rep));
	} else {
		init_msg2(&H2, G.pi, &H2.m1); /* an honest session, to its msg3 */
		EXPECT_OK(resp_msg3(&H2, G.pr, &H2.m2));
		rep = ((const struct fk_dh_msg3 *)(const void *)H2.m3)->report;
	}
	memset(m3, 0, sizeof(m3));
	hdr->report = rep;
	fk_put_le32(hdr->additional_prop_length, PROPS_N);
	memcpy(m3 + FK_DH_MSG3_FIXED_SIZE, props, PROPS_N);
	if (v == FK_DH_LAV1) {
		EXPECT_OK(fk_cmac128(smk, m3 + FK_DH_MSG3_BODY_OFF,
				     sizeof(m3) - FK_DH_MSG3_BODY_OFF, hdr->cmac));
	} else {
		struct fk_buf mp[2] = {{props, PROPS_N}, {t1.g_a, FK_DH_PUB_SIZE}};
		EXPECT_OK(fk_cmac128_parts(smk, mp, 2, hdr->cmac));
	}
	if (c->accept) {
		struct fk_sgx_report_body b;
		EXPECT_OK(fk_dh_initiator_proc_msg3(&H.i, G.pi, m3, sizeof(m3)));
		EXPECT_OK(fk_dh_peer_body(&H.i, &b));
		assert_memory_equal(b.mr_enclave, G.id_r.mr_enclave, 32);
		return;
	}
	refused(&H.i, fk_dh_initiator_proc_msg3(&H.i, G.pi, m3, sizeof(m3)), c->want);
}

static void run_seq(const struct tcase *c)
{
	enum fk_dh_version v = c->v, ov = v == FK_DH_LAV1 ? FK_DH_LAV2 : FK_DH_LAV1;
	struct fk_dh_msg1 t1;
	struct fk_dh_msg2 t2;
	struct fk_dh_expect e;
	fusekey_status st;
	enum fk_dh_mismatch why = FK_DH_MISMATCH_NONE;
	size_t matched = 0;

	H.v = H2.v = v;
	switch ((enum seq)c->arg) {
	case S_REPLAY_MSG2:
		full(&H, v);
		resp_msg1(&H2, G.pr);
		refused(&H2.r, resp_msg3(&H2, G.pr, &H.m2), c->want);
		break;
	case S_REPLAY_MSG3:
		full(&H, v);
		to_msg3(&H2, v);
		refused(&H2.i, fk_dh_initiator_proc_msg3(&H2.i, G.pi, H.m3, H.m3_len), c->want);
		break;
	case S_REPLAY_MSG3_OTHERV:
		full(&H, ov);
		to_msg3(&H2, v);
		refused(&H2.i, fk_dh_initiator_proc_msg3(&H2.i, G.pi, H.m3, H.m3_len), c->want);
		break;
	case S_MSG2_AGAIN:
		full(&H, v);
		refused(&H.r, resp_msg3(&H, G.pr, &H.m2), c->want);
		break;
	case S_MSG3_AGAIN:
		full(&H, v);
		refused(&H.i, fk_dh_initiator_proc_msg3(&H.i, G.pi, H.m3, H.m3_len), c->want);
		break;
	case S_MSG3_AS_MSG2:
		to_msg3(&H, v);
		resp_msg1(&H2, G.pr);
		memset(&t2, 0, sizeof(t2));
		memcpy(&t2, H.m3, H.m3_len < sizeof(t2) ? H.m3_len : sizeof(t2));
		assert_false(point_valid(t2.g_b));
		refused(&H2.r, resp_msg3(&H2, G.pr, &t2), c->want);
		break;
	case S_MSG1_AS_MSG2:
		resp_msg1(&H, G.pr);
		memcpy(&t2, &H.m1, sizeof(t2));
		assert_true(point_valid(t2.g_b));
		refused(&H.r, resp_msg3(&H, G.pr, &t2), c->want);
		break;
	case S_MSG2_AS_MSG3:
		resp_msg1(&H, G.pr);
		init_msg2(&H, G.pi, &H.m1);
		refused(&H.i, fk_dh_initiator_proc_msg3(&H.i, G.pi, (const uint8_t *)&H.m2,
							sizeof(H.m2)),
			c->want);
		break;
	case S_MSG2_AS_MSG1:
		/* another initiator's msg2, zero-padded to a msg1 */
		resp_msg1(&H2, G.pr);
		init_msg2(&H2, G.pi, &H2.m1);
		memset(&t1, 0, sizeof(t1));
		memcpy(&t1, &H2.m2, sizeof(H2.m2));
		resp_msg1(&H, G.pr);
		EXPECT_OK(fk_dh_init(&H.i, FK_DH_ROLE_INITIATOR));
		EXPECT_OK(fk_dh_initiator_proc_msg1(&H.i, G.pi, v, &t1, &H.m2));
		refused(&H.r, resp_msg3(&H, G.pr, &H.m2), c->want);
		break;
	case S_SELF_REFLECT:
		resp_msg1(&H, G.pr);
		init_msg2(&H2, G.pr, &H.m1); /* R itself as initiator */
		EXPECT_OK(resp_msg3(&H, G.pr, &H2.m2));
		EXPECT_OK(fk_dh_initiator_proc_msg3(&H2.i, G.pr, H.m3, H.m3_len));
		{
			struct fk_sgx_report_body b;
			EXPECT_OK(fk_dh_peer_body(&H.r, &b));
			assert_memory_equal(b.mr_enclave, G.id_r.mr_enclave, 32);
		}
		expect_of(&G.id_i, &e);
		refused(&H.r, fk_dh_check_peer(&H.r, &e, 1, &matched, &why), c->want);
		assert_int_equal(why, c->why);
		break;
	case S_WRONG_TARGET:
		resp_msg1(&H, G.pr);
		t1 = H.m1;
		EXPECT_OK(fk_platform_self_target(G.px, &t1.target));
		init_msg2(&H, G.pi, &t1);
		{
			/* premise: the report is genuinely made for X */
			struct fk_sgx_report rep = H.m2.report;
			if (v == FK_DH_LAV2) {
				struct fk_buf parts[2] = {{&G.sdk_spec, 64}, {H.m2.g_b, 64}};
				memset(rep.body.report_data, 0, 64);
				EXPECT_OK(fk_sha256_parts(parts, 2, rep.body.report_data));
			}
			EXPECT_OK(fk_platform_verify_report(G.px, &rep));
		}
		refused(&H.r, resp_msg3(&H, G.pr, &H.m2), c->want);
		break;
	case S_MITM_GA:
		resp_msg1(&H, G.pr);
		resp_msg1(&H2, G.pr);
		t1 = H.m1;
		memcpy(t1.g_a, H2.m1.g_a, FK_DH_PUB_SIZE);
		init_msg2(&H, G.pi, &t1);
		refused(&H.r, resp_msg3(&H, G.pr, &H.m2), c->want);
		break;
	case S_MITM_GB_RECMAC: {
		struct forged f;
		resp_msg1(&H, G.pr);
		init_msg2(&H, G.pi, &H.m1);
		forge_keys(H.m1.g_a, &f);
		t2 = H.m2;
		memcpy(t2.g_b, f.g_b, FK_DH_PUB_SIZE);
		if (v == FK_DH_LAV1)
			EXPECT_OK(fk_cmac128(f.smk, &t2.report, sizeof(t2.report), t2.cmac));
		else
			EXPECT_OK(fk_cmac128(f.smk, t2.g_b, FK_DH_PUB_SIZE, t2.cmac));
		refused(&H.r, resp_msg3(&H, G.pr, &t2), c->want);
		break;
	}
	case S_MITM_RELAY_X:
		resp_msg1(&H, G.pr);
		resp_msg1(&H2, G.px);
		init_msg2(&H, G.pi, &H2.m1);
		refused(&H.r, resp_msg3(&H, G.pr, &H.m2), c->want);
		break;
	case S_X_AS_INITIATOR:
		resp_msg1(&H, G.pr);
		init_msg2(&H2, G.px, &H.m1);
		EXPECT_OK(resp_msg3(&H, G.pr, &H2.m2));
		EXPECT_OK(fk_dh_initiator_proc_msg3(&H2.i, G.px, H.m3, H.m3_len));
		expect_of(&G.id_i, &e);
		refused(&H.r, fk_dh_check_peer(&H.r, &e, 1, &matched, &why), c->want);
		assert_int_equal(why, c->why);
		break;
	case S_X_AS_RESPONDER:
		resp_msg1(&H2, G.px);
		init_msg2(&H, G.pi, &H2.m1);
		EXPECT_OK(resp_msg3(&H2, G.px, &H.m2));
		EXPECT_OK(fk_dh_initiator_proc_msg3(&H.i, G.pi, H2.m3, H2.m3_len));
		expect_of(&G.id_r, &e);
		refused(&H.i, fk_dh_check_peer(&H.i, &e, 1, &matched, &why), c->want);
		assert_int_equal(why, c->why);
		break;
	case S_MITM_RESP_CONTROL:
	case S_MITM_RESP_OLD_REPORT:
		mitm_responder(c);
		break;
	case S_VERSION_MISMATCH:
		to_msg3(&H, v);
		st = fk_dh_initiator_proc_msg3_as(&H.i, G.pi, ov, H.m3, H.m3_len);
		refused(&H.i, st, c->want);
		break;
	default:
		fail_msg("bad seq case");
	}
}

static void spec_entries(struct fk_dh_proto_spec *ps, size_t n, const uint16_t *e)
{
	memset(ps->target_spec, 0, sizeof(ps->target_spec));
	fk_put_le16(ps->target_spec[0], (uint16_t)(n << 8));
	for (size_t k = 0; k < n && k < 27; k++)
		fk_put_le16(ps->target_spec[k + 1], e[k]);
}

static void run_spec(const struct tcase *c)
{
	struct fk_dh_proto_spec ps = G.sdk_spec;
	struct fk_dh_msg2 t;
	fusekey_status st;
	H.v = FK_DH_LAV2;
	resp_msg1(&H, G.pr);
	switch ((enum spec)c->arg) {
	case P_CONTROL_SDK:
		break;
	case P_VALID_MIN: {
		uint16_t e[1] = {0x0405};
		spec_entries(&ps, 1, e);
		break;
	}
	case P_VER1:
		ps.ver = 1;
		break;
	case P_SIGNATURE:
		ps.signature[5] = 'B';
		break;
	case P_REV1:
		ps.rev = 1;
		break;
	case P_SPEC0_LOW:
		ps.target_spec[0][0] = 1;
		break;
	case P_COUNT28:
		ps.target_spec[0][1] = 28;
		break;
	case P_SRC_OUT: {
		uint16_t e[1] = {(uint16_t)(430u << 4 | 3u)};
		spec_entries(&ps, 1, e);
		break;
	}
	case P_DST_OUT: {
		uint16_t e[9];
		for (int k = 0; k < 9; k++)
			e[k] = 0x0006; /* 64 bytes from report offset 0 */
		spec_entries(&ps, 9, e);
		break;
	}
	case P_SRC_NEG2: {
		uint16_t e[1] = {0xFFE0}; /* (int16)0xFFE0 >> 4 = -2, size 1 */
		spec_entries(&ps, 1, e);
		break;
	}
	case P_REV1_KDF01:
		ps.rev = 1;
		ps.target_spec[12][0] = 0x01; /* bytes 32,33 of the spec */
		ps.target_spec[12][1] = 0x00;
		break;
	default:
		fail_msg("bad spec case");
	}
	forge_lav2(G.pi, &H.m1, &ps, &t);
	st = resp_msg3(&H, G.pr, &t);
	if (!c->accept) {
		refused(&H.r, st, c->want);
		note_output(H.m3, sizeof(H.m3), &tally.dirty_msg3);
		return;
	}
	EXPECT_OK(st);
	assert_int_equal(fk_dh_state(&H.r), FK_DH_STATE_ACTIVE);
	struct fk_sgx_report_body b;
	EXPECT_OK(fk_dh_peer_body(&H.r, &b));
	assert_memory_equal(b.mr_enclave, G.id_i.mr_enclave, 32);
	if (c->arg == P_CONTROL_SDK) {
		/* msg3's report is made for I: the target came from the spec */
		const struct fk_dh_msg3 *m3 = (const struct fk_dh_msg3 *)(const void *)H.m3;
		EXPECT_OK(fk_platform_verify_report(G.pi, &m3->report));
	}
}

static void run_kdf(const struct tcase *c)
{
	struct fk_dh_msg2 t;
	fusekey_status st;
	bool tail = (c->arg & 0x10000) != 0;
	H.v = FK_DH_LAV1;
	resp_msg1(&H, G.pr);
	forge_lav1(G.pi, &H.m1, (uint16_t)(c->arg & 0xFFFF), tail ? 0x5a : 0x00, &t);
	st = resp_msg3(&H, G.pr, &t);
	if (!c->accept) {
		refused(&H.r, st, c->want);
		note_output(H.m3, sizeof(H.m3), &tally.dirty_msg3);
		return;
	}
	EXPECT_OK(st);
	const struct fk_dh_msg3 *m3 = (const struct fk_dh_msg3 *)(const void *)H.m3;
	EXPECT_OK(fk_platform_verify_report(G.pi, &m3->report));
	struct fk_sgx_report_body b;
	EXPECT_OK(fk_dh_peer_body(&H.r, &b));
	assert_memory_equal(b.mr_enclave, G.id_i.mr_enclave, 32);
}

static void run_state(const struct tcase *c)
{
	enum fk_dh_version v = c->v;
	struct fk_dh_expect e;
	uint8_t buf[FK_DH_RECORD_OVERHEAD + REC_PT], pt[REC_PT];
	size_t n = 0;
	uint8_t priv[FK_DH_PRIV_SIZE] = {0};
	struct fk_dh_session *s = NULL;
	fusekey_status st = FUSEKEY_OK;

	priv[0] = 7; /* d = 7 */
	H.v = H2.v = v;
	expect_of(&G.id_i, &e);
	switch ((enum state_case)c->arg) {
	case T_I_MSG3_BEFORE_MSG1:
		full(&H2, v);
		s = &H.i;
		EXPECT_OK(fk_dh_init(s, FK_DH_ROLE_INITIATOR));
		st = fk_dh_initiator_proc_msg3(s, G.pi, H2.m3, H2.m3_len);
		break;
	case T_R_MSG2_BEFORE_MSG1:
		full(&H2, v);
		s = &H.r;
		EXPECT_OK(fk_dh_init(s, FK_DH_ROLE_RESPONDER));
		st = resp_msg3(&H, G.pr, &H2.m2);
		break;
	case T_R_MSG1_TWICE:
		resp_msg1(&H, G.pr);
		s = &H.r;
		st = fk_dh_responder_gen_msg1(s, G.pr, &H2.m1);
		break;
	case T_I_GEN_MSG1:
		s = &H.i;
		EXPECT_OK(fk_dh_init(s, FK_DH_ROLE_INITIATOR));
		st = fk_dh_responder_gen_msg1(s, G.pi, &H.m1);
		break;
	case T_R_PROC_MSG1:
		resp_msg1(&H2, G.pr);
		s = &H.r;
		EXPECT_OK(fk_dh_init(s, FK_DH_ROLE_RESPONDER));
		st = fk_dh_initiator_proc_msg1(s, G.pr, v, &H2.m1, &H.m2);
		break;
	case T_R_PROC_MSG3:
		full(&H2, v);
		resp_msg1(&H, G.pr);
		s = &H.r;
		st = fk_dh_initiator_proc_msg3(s, G.pr, H2.m3, H2.m3_len);
		break;
	case T_I_PROC_MSG2:
		resp_msg1(&H, G.pr);
		init_msg2(&H, G.pi, &H.m1);
		s = &H.i;
		st = fk_dh_responder_proc_msg2(s, G.pi, &H.m2, NULL, 0, H.m3, sizeof(H.m3),
					       &H.m3_len);
		break;
	case T_I_MSG1_TWICE:
		resp_msg1(&H, G.pr);
		init_msg2(&H, G.pi, &H.m1);
		s = &H.i;
		st = fk_dh_initiator_proc_msg1(s, G.pi, v, &H.m1, &H2.m2);
		break;
	case T_R_ACTIVE_PROC_MSG3:
		to_msg3(&H, v);
		s = &H.r;
		st = fk_dh_initiator_proc_msg3(s, G.pr, H.m3, H.m3_len);
		break;
	case T_CHECK_RESET:
		s = &H.r;
		EXPECT_OK(fk_dh_init(s, FK_DH_ROLE_RESPONDER));
		st = fk_dh_check_peer(s, &e, 1, NULL, NULL);
		break;
	case T_CHECK_WAIT_M1:
		s = &H.i;
		EXPECT_OK(fk_dh_init(s, FK_DH_ROLE_INITIATOR));
		st = fk_dh_check_peer(s, &e, 1, NULL, NULL);
		break;
	case T_CHECK_WAIT_M2:
		resp_msg1(&H, G.pr);
		s = &H.r;
		st = fk_dh_check_peer(s, &e, 1, NULL, NULL);
		break;
	case T_CHECK_WAIT_M3:
		resp_msg1(&H, G.pr);
		init_msg2(&H, G.pi, &H.m1);
		s = &H.i;
		expect_of(&G.id_r, &e);
		st = fk_dh_check_peer(s, &e, 1, NULL, NULL);
		break;
	case T_CHECK_TWICE:
		full(&H, v);
		check_peer_ok(&H.r, &G.id_i);
		s = &H.r;
		st = fk_dh_check_peer(s, &e, 1, NULL, NULL);
		break;
	case T_SEAL_ACTIVE:
		full(&H, v);
		s = &H.r;
		st = fk_dh_seal(s, rec_pt, REC_PT, buf, sizeof(buf), &n);
		break;
	case T_OPEN_ACTIVE:
		full(&H, v);
		check_peer_ok(&H.r, &G.id_i);
		EXPECT_OK(fk_dh_seal(&H.r, rec_pt, REC_PT, buf, sizeof(buf), &n));
		s = &H.i; /* ACTIVE, its peer not checked: must not open a valid record */
		st = fk_dh_open(s, buf, n, pt, sizeof(pt), &n);
		break;
	case T_SEAL_WAIT_M2:
		resp_msg1(&H, G.pr);
		s = &H.r;
		st = fk_dh_seal(s, rec_pt, REC_PT, buf, sizeof(buf), &n);
		break;
	case T_AFTER_ERROR:
		resp_msg1(&H, G.pr);
		EXPECT_ST(fk_dh_responder_gen_msg1(&H.r, G.pr, &H.m1), INVALID_STATE);
		assert_wiped(&H.r);
		s = &H.r;
		st = fk_dh_responder_gen_msg1(s, G.pr, &H.m1);
		break;
	case T_KAT_AFTER_MSG1:
		resp_msg1(&H, G.pr);
		s = &H.r;
		st = fk_dh_set_kat_private_key(s, priv);
		break;
	case T_KAT_TWICE:
		s = &H.i;
		EXPECT_OK(fk_dh_init(s, FK_DH_ROLE_INITIATOR));
		EXPECT_OK(fk_dh_set_kat_private_key(s, priv));
		st = fk_dh_set_kat_private_key(s, priv);
		break;
	case T_EXPORT_ACTIVE:
	case T_PEER_BODY_WAIT_M2: {
		struct fk_dh_session before;
		struct fk_sgx_report_body b;
		uint8_t aek[16];
		if (c->arg == T_EXPORT_ACTIVE)
			full(&H, v);
		else
			resp_msg1(&H, G.pr);
		before = H.r;
		if (c->arg == T_EXPORT_ACTIVE)
			st = fk_dh_export_aek(&H.r, aek);
		else
			st = fk_dh_peer_body(&H.r, &b);
		EXPECT_ST(st, c->want);
		assert_memory_equal(&before, &H.r, sizeof(before));
		tally.by_status[c->want]++;
		return;
	}
	default:
		fail_msg("bad state case");
	}
	refused(s, st, c->want);
}

static void run_peer(const struct tcase *c)
{
	struct fk_dh_expect e[2];
	const struct fk_sgx_identity *peer = c->side == 0 ? &G.id_i : &G.id_r;
	struct fk_dh_session *s;
	size_t n = 1, matched = 99;
	enum fk_dh_mismatch why = FK_DH_MISMATCH_NONE;
	fusekey_status st;

	full(&H, c->v);
	s = c->side == 0 ? &H.r : &H.i;
	expect_of(peer, &e[0]);
	e[1] = e[0];
	switch ((enum peer_case)c->arg) {
	case PC_CONTROL:
		break;
	case PC_SECOND_MATCHES:
		e[0].mr_enclave[3] ^= 0x10;
		n = 2;
		break;
	case PC_DEBUG:
		assert_true((peer->flags & FK_SGX_FLAGS_DEBUG) != 0);
		e[0].allow_debug = false;
		break;
	case PC_MRENCLAVE:
		e[0].mr_enclave[31] ^= 0x01;
		break;
	case PC_MRSIGNER:
		e[0].mr_signer[0] ^= 0x80;
		break;
	case PC_PRODID:
		e[0].isv_prod_id = (uint16_t)(peer->isv_prod_id + 1);
		break;
	case PC_SVN:
		e[0].min_isv_svn = (uint16_t)(peer->isv_svn + 1);
		break;
	case PC_FAMILY:
		e[0].isv_family_id[15] ^= 0x01;
		break;
	case PC_EXTPROD:
		e[0].isv_ext_prod_id[0] ^= 0x01;
		break;
	case PC_CONFIGID:
		e[0].config_id[63] ^= 0x01;
		break;
	case PC_CONFIGSVN:
		e[0].min_config_svn = (uint16_t)(peer->config_svn + 1);
		break;
	case PC_ATTR_FLAGS:
		e[0].attr_flags_mask = FK_SGX_FLAGS_MODE64BIT;
		e[0].attr_flags_value = 0;
		break;
	case PC_ATTR_XFRM:
		e[0].attr_xfrm_mask = 0x3;
		e[0].attr_xfrm_value = 0x1;
		break;
	case PC_EMPTY:
		n = 0;
		break;
	case PC_NO_ENCLAVE:
		e[0].fields = FK_DH_EXPECT_ISVPRODID;
		break;
	case PC_SIGNER_ONLY_WRONG:
		e[0].fields = FK_DH_EXPECT_MRSIGNER;
		e[0].mr_signer[7] ^= 0x04;
		break;
	case PC_CLOSEST:
		e[0].mr_enclave[0] ^= 0x01;
		e[1].min_isv_svn = (uint16_t)(peer->isv_svn + 1);
		n = 2;
		break;
	default:
		fail_msg("bad peer case");
	}
	st = fk_dh_check_peer(s, n ? e : NULL, n, &matched, &why);
	if (c->accept) {
		EXPECT_OK(st);
		assert_int_equal(matched, n - 1);
		assert_int_equal(why, FK_DH_MISMATCH_NONE);
		assert_int_equal(fk_dh_state(s), FK_DH_STATE_PEER_CHECKED);
		return;
	}
	refused(s, st, c->want);
	if (why != c->why)
		fail_msg("why = %s, want %s", fk_dh_mismatch_name(why), fk_dh_mismatch_name(c->why));
	/* the peer's session is untouched: the refusal is local */
	assert_int_equal(fk_dh_state(c->side == 0 ? &H.i : &H.r), FK_DH_STATE_ACTIVE);
}

static void run_record(const struct tcase *c)
{
	enum { RL = REC_PT + FK_DH_RECORD_OVERHEAD, PTCAP = 64 };
	uint8_t rec[RL + 1], rec2[RL], pt[PTCAP];
	size_t rl = 0, rl2 = 0, pl = 77, len;
	struct fk_dh_session *s;
	fusekey_status st;

	full(&H, c->v);
	check_peer_ok(&H.r, &G.id_i);
	check_peer_ok(&H.i, &G.id_r);
	EXPECT_OK(fk_dh_seal(&H.r, rec_pt, REC_PT, rec, RL, &rl));
	memset(rec + RL, 0, 1);
	len = rl;
	s = &H.i;
	memset(pt, 0xAA, sizeof(pt));
	switch ((enum record_case)c->arg) {
	case RC_MAGIC0:
		rec[0] ^= 0x01;
		break;
	case RC_MAGIC1:
		rec[1] ^= 0x80;
		break;
	case RC_VERSION:
		rec[2] ^= 0x01;
		break;
	case RC_DIRECTION:
		rec[3] ^= 0x03;
		break;
	case RC_LEN_LO:
		rec[4] ^= 0x01;
		break;
	case RC_LEN_HI:
		rec[7] ^= 0x80;
		break;
	case RC_SEQ_LO:
		rec[8] ^= 0x01;
		break;
	case RC_SEQ_HI:
		rec[15] ^= 0x80;
		break;
	case RC_CT_FIRST:
		rec[FK_DH_RECORD_HDR_SIZE] ^= 0x01;
		break;
	case RC_CT_LAST:
		rec[FK_DH_RECORD_HDR_SIZE + REC_PT - 1] ^= 0x80;
		break;
	case RC_TAG_FIRST:
		rec[RL - FK_DH_RECORD_TAG_SIZE] ^= 0x01;
		break;
	case RC_TAG_LAST:
		rec[RL - 1] ^= 0x80;
		break;
	case RC_TRUNC:
		len = rl - 1;
		break;
	case RC_EXTEND:
		len = rl + 1;
		break;
	case RC_REFLECT:
		s = &H.r;
		break;
	case RC_REPLAY:
		EXPECT_OK(fk_dh_open(&H.i, rec, rl, pt, sizeof(pt), &pl));
		memset(pt, 0xAA, sizeof(pt));
		break;
	case RC_REORDER:
		EXPECT_OK(fk_dh_seal(&H.r, rec_pt, REC_PT, rec2, RL, &rl2));
		memcpy(rec, rec2, RL);
		break;
	case RC_OTHER_SESSION:
		full(&H2, c->v);
		check_peer_ok(&H2.r, &G.id_i);
		check_peer_ok(&H2.i, &G.id_r);
		EXPECT_OK(fk_dh_seal(&H2.r, rec_pt, REC_PT, rec, RL, &rl));
		break;
	case RC_EMPTY:
		len = 0;
		break;
	case RC_HDR_ONLY:
		len = FK_DH_RECORD_OVERHEAD - 1;
		break;
	default:
		fail_msg("bad record case");
	}
	uint8_t *exact = malloc(len ? len : 1);
	assert_non_null(exact);
	memcpy(exact, rec, len);
	st = fk_dh_open(s, exact, len, pt, sizeof(pt), &pl);
	free(exact);
	refused(s, st, c->want);
	assert_true(th_all_zero(pt, sizeof(pt))); /* promised by fk_dh_open */
	assert_int_equal(pl, 0);
}

static void run_arg(const struct tcase *c)
{
	struct fk_dh_session *s = NULL;
	fusekey_status st = FUSEKEY_OK;
	uint8_t *big = NULL, *big3 = NULL;
	uint8_t rec[FK_DH_RECORD_OVERHEAD + REC_PT], pt[REC_PT];
	size_t n = 0;

	H.v = c->v;
	switch ((enum arg_case)c->arg) {
	case A_PROPS_TOO_LONG:
		resp_msg1(&H, G.pr);
		init_msg2(&H, G.pi, &H.m1);
		big = calloc(1, FK_DH_PROPS_MAX + 1);
		big3 = calloc(1, FK_DH_MSG3_FIXED_SIZE + FK_DH_PROPS_MAX + 1);
		assert_true(big != NULL && big3 != NULL);
		s = &H.r;
		st = fk_dh_responder_proc_msg2(s, G.pr, &H.m2, big, FK_DH_PROPS_MAX + 1, big3,
					       FK_DH_MSG3_FIXED_SIZE + FK_DH_PROPS_MAX + 1, &n);
		break;
	case A_PROPS_NULL:
		resp_msg1(&H, G.pr);
		init_msg2(&H, G.pi, &H.m1);
		s = &H.r;
		st = fk_dh_responder_proc_msg2(s, G.pr, &H.m2, NULL, 5, H.m3, sizeof(H.m3), &n);
		break;
	case A_MSG3_CAP_SMALL:
		resp_msg1(&H, G.pr);
		init_msg2(&H, G.pi, &H.m1);
		s = &H.r;
		st = fk_dh_responder_proc_msg2(s, G.pr, &H.m2, props, PROPS_N, H.m3,
					       FK_DH_MSG3_FIXED_SIZE + PROPS_N - 1, &n);
		break;
	case A_BAD_VERSION_M1:
		resp_msg1(&H, G.pr);
		s = &H.i;
		EXPECT_OK(fk_dh_init(s, FK_DH_ROLE_INITIATOR));
		st = fk_dh_initiator_proc_msg1(s, G.pi, (enum fk_dh_version)3, &H.m1, &H.m2);
		break;
	case A_BAD_VERSION_M3:
		to_msg3(&H, c->v);
		s = &H.i;
		st = fk_dh_initiator_proc_msg3_as(s, G.pi, (enum fk_dh_version)0, H.m3, H.m3_len);
		break;
	case A_SEAL_TOO_BIG:
		full(&H, c->v);
		check_peer_ok(&H.r, &G.id_i);
		big = calloc(1, FK_DH_RECORD_MAX_PAYLOAD + 1);
		big3 = calloc(1, FK_DH_RECORD_MAX_PAYLOAD + 1 + FK_DH_RECORD_OVERHEAD);
		assert_true(big != NULL && big3 != NULL);
		s = &H.r;
		st = fk_dh_seal(s, big, FK_DH_RECORD_MAX_PAYLOAD + 1, big3,
				FK_DH_RECORD_MAX_PAYLOAD + 1 + FK_DH_RECORD_OVERHEAD, &n);
		break;
	case A_OPEN_CAP_SMALL:
		full(&H, c->v);
		check_peer_ok(&H.r, &G.id_i);
		check_peer_ok(&H.i, &G.id_r);
		EXPECT_OK(fk_dh_seal(&H.r, rec_pt, REC_PT, rec, sizeof(rec), &n));
		s = &H.i;
		st = fk_dh_open(s, rec, n, pt, REC_PT - 1, &n);
		break;
	default:
		fail_msg("bad arg case");
	}
	free(big);
	free(big3);
	refused(s, st, c->want);
}

static void run_case(void **state)
{
	const struct tcase *c = *state;
	assert_non_null(c);
	memset(&H, 0, sizeof(H));
	memset(&H2, 0, sizeof(H2));
	switch (c->kind) {
	case K_CONTROL:
		run_control(c);
		break;
	case K_MSG1:
		run_msg1(c);
		break;
	case K_MSG2:
		run_msg2(c);
		break;
	case K_MSG3:
		run_msg3(c);
		break;
	case K_FRAME:
		run_frame(c);
		break;
	case K_SEQ:
		run_seq(c);
		break;
	case K_SPEC:
		run_spec(c);
		break;
	case K_KDF:
		run_kdf(c);
		break;
	case K_STATE:
		run_state(c);
		break;
	case K_PEER:
		run_peer(c);
		break;
	case K_RECORD:
		run_record(c);
		break;
	case K_ARG:
		run_arg(c);
		break;
	}
	tally.ran++;
	if (c->accept) {
		tally.accepted++;
		if (c->kind == K_MSG1)
			tally.harmless++;
	} else {
		tally.refused++;
	}
}

/* ---- fixture ---- */

static int setup(void)
{
	struct fk_sim_state st;
	uint8_t pub[FK_DH_PUB_SIZE];
	/* sgx.md §8.4, written out here rather than taken from the engine */
	static const uint8_t sdk_spec[FK_DH_PROTO_SPEC_SIZE] = {
		0x53, 0x47, 0x58, 0x20, 0x4c, 0x41, 0x02, 0x00, 0x00, 0x06, 0x05,
		0x04, 0x04, 0x03, 0x40, 0x01, 0x41, 0x10, 0x02, 0x01, 0x06, 0x0c};

	memcpy(&G.sdk_spec, sdk_spec, sizeof(sdk_spec));
	if (memcmp(&G.sdk_spec, &fk_dh_lav2_proto_spec, sizeof(G.sdk_spec)) != 0) {
		fprintf(stderr, "fk_dh_lav2_proto_spec differs from sgx.md 8.4\n");
		return -1;
	}
	th_identity(&G.id_r, 0xa1, 0x51);
	G.id_r.flags |= FK_SGX_FLAGS_KSS;
	memset(G.id_r.isv_family_id, 0x11, sizeof(G.id_r.isv_family_id));
	memset(G.id_r.isv_ext_prod_id, 0x12, sizeof(G.id_r.isv_ext_prod_id));
	memset(G.id_r.config_id, 0x13, sizeof(G.id_r.config_id));
	G.id_r.config_svn = 3;
	th_identity(&G.id_i, 0xb2, 0x62);
	G.id_i.flags |= FK_SGX_FLAGS_KSS;
	memset(G.id_i.isv_family_id, 0x21, sizeof(G.id_i.isv_family_id));
	memset(G.id_i.isv_ext_prod_id, 0x22, sizeof(G.id_i.isv_ext_prod_id));
	memset(G.id_i.config_id, 0x23, sizeof(G.id_i.config_id));
	G.id_i.config_svn = 5;
	G.id_i.misc_select = 1;
	th_identity(&G.id_x, 0xc3, 0x73);
	if (fk_sim_state_random(&st, FK_SIM_CPUSVN_DEFAULT) != FUSEKEY_OK ||
	    fk_sim_platform_new(&st, &G.id_r, &G.pr) != FUSEKEY_OK ||
	    fk_sim_platform_new(&st, &G.id_i, &G.pi) != FUSEKEY_OK ||
	    fk_sim_platform_new(&st, &G.id_x, &G.px) != FUSEKEY_OK ||
	    fk_p256_keygen(G.probe_priv, pub) != FUSEKEY_OK) {
		fk_sim_state_clear(&st);
		return -1;
	}
	fk_sim_state_clear(&st);
	return 0;
}

int main(void)
{
	struct CMUnitTest *tests;
	int rc;

	if (setup() != 0) {
		printf("Bail out! dh_tamper fixture setup failed\n");
		return 1;
	}
	build_cases();
	tests = calloc(ncases, sizeof(*tests));
	if (tests == NULL)
		return 1;
	for (size_t k = 0; k < ncases; k++) {
		tests[k].name = cases[k].name;
		tests[k].test_func = run_case;
		tests[k].initial_state = &cases[k];
	}
	rc = _cmocka_run_group_tests("dh_tamper", tests, ncases, NULL, NULL);
	printf("# dh_tamper: %zu of %zu cases ran to completion: %zu refused as expected, "
	       "%zu accepted as expected (%zu of them harmless msg1 target bytes)\n",
	       tally.ran, ncases, tally.refused, tally.accepted, tally.harmless);
	printf("# dh_tamper: refusals by status:");
	for (size_t k = 0; k < sizeof(tally.by_status) / sizeof(tally.by_status[0]); k++)
		if (tally.by_status[k])
			printf(" %s=%zu", fusekey_status_name((fusekey_status)k), tally.by_status[k]);
	printf("\n# dh_tamper: after refused proc_msg1/proc_msg2 (%zu observed), output left "
	       "non-zero: msg2 %zu, msg3 %zu (fk_dh.h promises nothing here)\n",
	       tally.out_checks, tally.dirty_msg2, tally.dirty_msg3);
	free(tests);
	fk_platform_destroy(G.pr);
	fk_platform_destroy(G.pi);
	fk_platform_destroy(G.px);
	return rc;
}
