/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Randomized interleaving of the local-attestation engine against a small
 * reference model (src/la/fk_dh.h).
 *
 * Three enclaves (A, B, C: distinct MRENCLAVE and MRSIGNER, DEBUG set) on one
 * emulated platform state; NSESS session slots, each bound to one enclave and
 * taking either role at every fk_dh_init. A seeded PRNG (splitmix64; seed
 * printed; default DEFAULT_SEED, or $FK_DH_MODEL_SEED; step count
 * $FK_DH_MODEL_STEPS, default 20000) picks at every step a slot, an operation
 * (init, gen_msg1, proc_msg1, proc_msg2, proc_msg3, proc_msg3_as, check_peer,
 * seal, open, export_aek, peer_body, wipe) and its inputs from the messages
 * produced so far (rings of recent msg1/msg2/msg3/records), sometimes with a
 * MAC byte flipped, so right and wrong pairings both occur.
 *
 * The model (a few lines per operation) knows the state machine of fk_dh.h,
 * which session incarnation produced each message for which incarnation, the
 * version of each msg2/msg3, every channel's send/receive counters and which
 * enclave is whose peer. It predicts OK or the exact refusal status (and the
 * fk_dh_mismatch reason) and the next state; every step asserts that the
 * engine agrees, that a refusal by a protocol step left the session all zero,
 * and that a refused read (export_aek, peer_body) left it untouched. AEKs
 * exported by both ends of a channel must be equal.
 *
 * Prediction rules (sgx.md §8.5, fk_dh.h):
 *   any step in the wrong state (or role)      -> INVALID_STATE, wiped
 *   proc_msg1: msg1 g_a not on the curve       -> HANDSHAKE; else OK (msg1 is not authenticated)
 *   proc_msg2: msg2 made for this incarnation's msg1, unmodified -> OK;
 *              otherwise LAv1 msg2 -> HANDSHAKE, LAv2 msg2 -> KDF_MISMATCH
 *              (its report_data[32..34) is not 01 00)
 *   proc_msg3: msg3 made for this incarnation's msg2, unmodified, processed
 *              with the session's version -> OK; otherwise HANDSHAKE
 *   check_peer: OK iff one expectation names the peer's enclave, else
 *              PEER_IDENTITY (why: MRENCLAVE, or NO_EXPECTATION for n = 0)
 *   open: OK iff the record is the channel partner's, unmodified, with the
 *         next expected seq; otherwise MAC_MISMATCH
 *   export_aek / peer_body: OK in PEER_CHECKED (peer_body: also ACTIVE),
 *         else INVALID_STATE without touching the session
 * The run ends by asserting that handshakes, channel messages, refusals and
 * every refusal status above actually occurred.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "la/fk_dh.h"
#include "platform/fk_sim.h"
#include "test_util.h"

#define DEFAULT_SEED UINT64_C(0x6b5f2d1e9a3c4870)

enum {
	NENCL = 3,
	NSESS = 6,
	RING = 24,
	DEFAULT_STEPS = 20000,
	MAX_PROPS = 24,
	MAX_PAYLOAD = 48,
	M3_MAX = FK_DH_MSG3_FIXED_SIZE + MAX_PROPS,
	REC_MAX = MAX_PAYLOAD + FK_DH_RECORD_OVERHEAD,
};

enum op {
	OP_INIT,
	OP_GEN_MSG1,
	OP_PROC_MSG1,
	OP_PROC_MSG2,
	OP_PROC_MSG3,
	OP_PROC_MSG3_AS,
	OP_CHECK_PEER,
	OP_SEAL,
	OP_OPEN,
	OP_EXPORT_AEK,
	OP_PEER_BODY,
	OP_WIPE,
	OP_COUNT
};
static const char *const op_names[OP_COUNT] = {
	"init",  "gen_msg1", "proc_msg1",  "proc_msg2", "proc_msg3", "proc_msg3_as",
	"check_peer", "seal", "open", "export_aek", "peer_body", "wipe",
};

/* Who made a message, for whom. An incarnation is one fk_dh_init of a slot. */
struct origin {
	int slot;
	uint32_t inc;
};

struct msg1_entry {
	struct fk_dh_msg1 m;
	struct origin from;
};
struct msg2_entry {
	struct fk_dh_msg2 m;
	struct origin from, to; /* to: the responder incarnation whose msg1 it answers */
	enum fk_dh_version v;
};
struct msg3_entry {
	uint8_t m[M3_MAX];
	size_t len;
	struct origin from, to; /* to: the initiator incarnation whose msg2 it answers */
	enum fk_dh_version v;
};
struct rec_entry {
	uint8_t r[REC_MAX];
	size_t len;
	struct origin from;
	uint64_t seq;
	uint8_t pt[MAX_PAYLOAD];
	size_t pt_len;
};

/* The model's view of one slot, plus the engine's session. */
struct slot {
	int enclave; /* fixed */
	uint32_t inc;
	enum fk_dh_state state;
	enum fk_dh_role role;
	enum fk_dh_version v;
	struct origin peer;
	int peer_enclave;
	uint64_t send_seq, recv_seq;
	bool have_aek;
	uint8_t aek[16];
	struct fk_dh_session s;
};

static struct {
	uint64_t rng;
	struct fk_platform *p[NENCL];
	struct fk_sgx_identity id[NENCL];
	struct slot sl[NSESS];
	uint32_t next_inc;
	struct msg1_entry m1[RING];
	struct msg2_entry m2[RING];
	struct msg3_entry m3[RING];
	struct rec_entry rec[RING];
	size_t n1, n2, n3, nrec; /* total produced (ring index = n % RING) */
	uint8_t probe_priv[FK_DH_PRIV_SIZE];
	/* counts */
	size_t ok_by_op[OP_COUNT];
	size_t refused_by_status[32];
	size_t handshakes, channel_msgs, refusals, flips, aek_pairs;
	size_t step;
	int op;
} M;

/* ---- PRNG ---- */

static uint64_t rnd64(void)
{
	uint64_t z = (M.rng += UINT64_C(0x9e3779b97f4a7c15));
	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static size_t rnd(size_t n)
{
	return (size_t)(rnd64() % n);
}

static bool chance(unsigned pct)
{
	return rnd(100) < pct;
}

/* ---- checks ---- */

#define STEP_FAIL(...)                                                                       \
	do {                                                                                 \
		fprintf(stderr, "step %zu (%s): ", M.step, op_names[M.op]);                  \
		fail_msg(__VA_ARGS__);                                                       \
	} while (0)

static void assert_zero_session(const struct fk_dh_session *s)
{
	const uint8_t *b = (const uint8_t *)s;
	for (size_t k = 0; k < sizeof(*s); k++)
		if (b[k] != 0)
			STEP_FAIL("session byte %zu is 0x%02x after a refusal", k, b[k]);
}

static bool same_origin(struct origin a, struct origin b)
{
	return a.slot == b.slot && a.inc == b.inc;
}

static struct origin me(int k)
{
	struct origin o = {k, M.sl[k].inc};
	return o;
}

static void model_kill(struct slot *x)
{
	x->state = FK_DH_STATE_ERROR;
	x->have_aek = false;
}

/*
 * Compare the engine's answer with the model's. `wipes`: a refusal by this
 * call destroys the session (every protocol step); otherwise (reads) the
 * session must be exactly as before (`before`).
 */
static void agree(struct slot *x, fusekey_status got, fusekey_status want, bool wipes,
		  const struct fk_dh_session *before)
{
	if (got != want)
		STEP_FAIL("engine %s, model %s (model state %s)", fusekey_status_name(got),
			  fusekey_status_name(want), fk_dh_state_name(x->state));
	if (want == FUSEKEY_OK) {
		M.ok_by_op[M.op]++;
		return;
	}
	M.refusals++;
	if ((size_t)want < sizeof(M.refused_by_status) / sizeof(M.refused_by_status[0]))
		M.refused_by_status[want]++;
	if (wipes) {
		model_kill(x);
		if (fk_dh_state(&x->s) != FK_DH_STATE_ERROR)
			STEP_FAIL("state %s after a refusal", fk_dh_state_name(fk_dh_state(&x->s)));
		assert_zero_session(&x->s);
	} else if (memcmp(before, &x->s, sizeof(x->s)) != 0) {
		STEP_FAIL("a refused read changed the session");
	}
}

/* ---- message pools ---- */

static size_t ring_count(size_t n)
{
	return n < RING ? n : RING;
}

/*
 * A random recent entry index (ring slot), or, with probability pct, the first
 * one from a random start that `want` accepts. SIZE_MAX when the ring is empty.
 */
static size_t pick(size_t n, unsigned pct, bool (*want)(size_t i, const void *ctx),
		   const void *ctx)
{
	size_t cnt = ring_count(n);
	if (cnt == 0)
		return SIZE_MAX;
	if (chance(pct)) {
		size_t start = rnd(cnt);
		for (size_t j = 0; j < cnt; j++) {
			size_t i = (start + j) % cnt;
			if (want(i, ctx))
				return i;
		}
	}
	return rnd(cnt);
}

/* A msg1 whose responder incarnation is alive and waiting for msg2. */
static bool want_live_msg1(size_t i, const void *ctx)
{
	const struct msg1_entry *e = &M.m1[i];
	(void)ctx;
	return M.sl[e->from.slot].inc == e->from.inc &&
	       M.sl[e->from.slot].state == FK_DH_STATE_RESPONDER_WAIT_M2;
}

static bool want_msg2_for(size_t i, const void *ctx)
{
	return same_origin(M.m2[i].to, *(const struct origin *)ctx);
}

static bool want_msg3_for(size_t i, const void *ctx)
{
	return same_origin(M.m3[i].to, *(const struct origin *)ctx);
}

/* The next record of this slot's channel partner. */
static bool want_next_record(size_t i, const void *ctx)
{
	const struct slot *x = ctx;
	return same_origin(M.rec[i].from, x->peer) && M.rec[i].seq == x->recv_seq;
}

static void flip(uint8_t *b)
{
	*b = (uint8_t)(*b ^ (1u << rnd(8)));
	M.flips++;
}

static bool point_valid(const uint8_t pub[FK_DH_PUB_SIZE])
{
	uint8_t sh[FK_DH_SHARED_SIZE];
	return fk_p256_ecdh(M.probe_priv, pub, sh) == FUSEKEY_OK;
}

static void expect_of(int enclave, struct fk_dh_expect *e)
{
	const struct fk_sgx_identity *id = &M.id[enclave];
	memset(e, 0, sizeof(*e));
	e->fields = FK_DH_EXPECT_MRENCLAVE | FK_DH_EXPECT_MRSIGNER | FK_DH_EXPECT_ISVPRODID;
	memcpy(e->mr_enclave, id->mr_enclave, sizeof(e->mr_enclave));
	memcpy(e->mr_signer, id->mr_signer, sizeof(e->mr_signer));
	e->isv_prod_id = id->isv_prod_id;
	e->min_isv_svn = id->isv_svn;
	e->allow_debug = true;
}

/* ---- operations ---- */

static bool step_state(const struct slot *x, enum fk_dh_role role, enum fk_dh_state st)
{
	return x->state == st && x->role == role;
}

static void op_init(int k)
{
	struct slot *x = &M.sl[k];
	enum fk_dh_role role = chance(50) ? FK_DH_ROLE_RESPONDER : FK_DH_ROLE_INITIATOR;
	agree(x, fk_dh_init(&x->s, role), FUSEKEY_OK, true, NULL);
	x->inc = ++M.next_inc;
	x->role = role;
	x->state = role == FK_DH_ROLE_RESPONDER ? FK_DH_STATE_RESET : FK_DH_STATE_INITIATOR_WAIT_M1;
	x->send_seq = x->recv_seq = 0;
	x->have_aek = false;
	x->peer.slot = -1;
	x->peer_enclave = -1;
	if (fk_dh_state(&x->s) != x->state)
		STEP_FAIL("state %s after init", fk_dh_state_name(fk_dh_state(&x->s)));
}

static void op_gen_msg1(int k)
{
	struct slot *x = &M.sl[k];
	struct msg1_entry *e = &M.m1[M.n1 % RING];
	struct fk_dh_msg1 out;
	bool ok = step_state(x, FK_DH_ROLE_RESPONDER, FK_DH_STATE_RESET);
	fusekey_status st = fk_dh_responder_gen_msg1(&x->s, M.p[x->enclave], &out);
	agree(x, st, ok ? FUSEKEY_OK : FUSEKEY_ERR_INVALID_STATE, true, NULL);
	if (!ok)
		return;
	x->state = FK_DH_STATE_RESPONDER_WAIT_M2;
	e->m = out;
	e->from = me(k);
	M.n1++;
}

static void op_proc_msg1(int k, bool sensible)
{
	struct slot *x = &M.sl[k];
	enum fk_dh_version v = chance(50) ? FK_DH_LAV1 : FK_DH_LAV2;
	struct fk_dh_msg1 in;
	struct fk_dh_msg2 out;
	fusekey_status want;
	struct origin to = {-1, 0};
	size_t i = pick(M.n1, sensible ? 90 : 20, want_live_msg1, NULL);

	if (i == SIZE_MAX) {
		/* no msg1 yet: a zero one (not a point) */
		memset(&in, 0, sizeof(in));
	} else {
		in = M.m1[i].m;
		to = M.m1[i].from;
		if (chance(6)) {
			flip(&in.g_a[rnd(64)]);
			to.slot = -1; /* if still a point, another key: it answers nobody */
		}
	}
	if (!step_state(x, FK_DH_ROLE_INITIATOR, FK_DH_STATE_INITIATOR_WAIT_M1))
		want = FUSEKEY_ERR_INVALID_STATE;
	else if (!point_valid(in.g_a))
		want = FUSEKEY_ERR_HANDSHAKE;
	else
		want = FUSEKEY_OK; /* nothing in msg1 is authenticated */
	agree(x, fk_dh_initiator_proc_msg1(&x->s, M.p[x->enclave], v, &in, &out), want, true,
	      NULL);
	if (want != FUSEKEY_OK)
		return;
	x->state = FK_DH_STATE_INITIATOR_WAIT_M3;
	x->v = v;
	struct msg2_entry *e = &M.m2[M.n2 % RING];
	e->m = out;
	e->from = me(k);
	e->to = to;
	e->v = v;
	M.n2++;
}

static void op_proc_msg2(int k, bool sensible)
{
	struct slot *x = &M.sl[k];
	struct fk_dh_msg2 in;
	uint8_t props[MAX_PROPS], out[M3_MAX];
	size_t np = rnd(MAX_PROPS + 1), out_len = 99;
	fusekey_status want;
	bool genuine = false;
	enum fk_dh_version v = FK_DH_LAV1;
	struct origin from = {-1, 0};
	struct origin self = me(k);

	for (size_t j = 0; j < np; j++)
		props[j] = (uint8_t)rnd64();
	size_t i = pick(M.n2, sensible ? 95 : 15, want_msg2_for, &self);
	if (i == SIZE_MAX) {
		memset(&in, 0, sizeof(in));
	} else {
		in = M.m2[i].m;
		genuine = same_origin(M.m2[i].to, self);
		v = M.m2[i].v;
		from = M.m2[i].from;
		if (chance(6)) {
			flip(&in.cmac[rnd(16)]);
			genuine = false;
		}
	}
	if (!step_state(x, FK_DH_ROLE_RESPONDER, FK_DH_STATE_RESPONDER_WAIT_M2))
		want = FUSEKEY_ERR_INVALID_STATE;
	else if (from.slot < 0)
		want = FUSEKEY_ERR_HANDSHAKE; /* the all-zero msg2: g_b not a point */
	else if (genuine)
		want = FUSEKEY_OK;
	else
		want = v == FK_DH_LAV1 ? FUSEKEY_ERR_HANDSHAKE : FUSEKEY_ERR_KDF_MISMATCH;
	agree(x,
	      fk_dh_responder_proc_msg2(&x->s, M.p[x->enclave], &in, np ? props : NULL, np, out,
					sizeof(out), &out_len),
	      want, true, NULL);
	if (want != FUSEKEY_OK)
		return;
	assert_int_equal(out_len, FK_DH_MSG3_FIXED_SIZE + np);
	x->state = FK_DH_STATE_ACTIVE;
	x->v = v;
	x->peer = from;
	x->peer_enclave = M.sl[from.slot].enclave;
	struct msg3_entry *e = &M.m3[M.n3 % RING];
	memcpy(e->m, out, out_len);
	e->len = out_len;
	e->from = self;
	e->to = from;
	e->v = v;
	M.n3++;
}

static void op_proc_msg3(int k, bool sensible, bool as)
{
	struct slot *x = &M.sl[k];
	uint8_t in[M3_MAX + 1];
	size_t len = 0;
	fusekey_status want, st;
	bool genuine = false;
	struct origin from = {-1, 0};
	struct origin self = me(k);
	enum fk_dh_version use = x->v;

	size_t i = pick(M.n3, sensible ? 95 : 15, want_msg3_for, &self);
	memset(in, 0, sizeof(in));
	if (i != SIZE_MAX) {
		memcpy(in, M.m3[i].m, M.m3[i].len);
		len = M.m3[i].len;
		genuine = same_origin(M.m3[i].to, self);
		from = M.m3[i].from;
		if (chance(6)) {
			if (chance(50)) {
				flip(&in[rnd(16)]); /* cmac */
			} else {
				len++; /* one byte more than its length field */
				M.flips++;
			}
			genuine = false;
		}
	}
	if (as) {
		use = chance(50) ? FK_DH_LAV1 : FK_DH_LAV2;
		if (use != x->v)
			genuine = false;
	}
	if (!step_state(x, FK_DH_ROLE_INITIATOR, FK_DH_STATE_INITIATOR_WAIT_M3))
		want = FUSEKEY_ERR_INVALID_STATE;
	else
		want = genuine ? FUSEKEY_OK : FUSEKEY_ERR_HANDSHAKE;
	if (as)
		st = fk_dh_initiator_proc_msg3_as(&x->s, M.p[x->enclave], use, in, len);
	else
		st = fk_dh_initiator_proc_msg3(&x->s, M.p[x->enclave], in, len);
	agree(x, st, want, true, NULL);
	if (want != FUSEKEY_OK)
		return;
	x->state = FK_DH_STATE_ACTIVE;
	x->peer = from;
	x->peer_enclave = M.sl[from.slot].enclave;
	M.handshakes++;
}

static void op_check_peer(int k, bool sensible)
{
	struct slot *x = &M.sl[k];
	struct fk_dh_expect e[2];
	int names[2];
	size_t n = rnd(3), matched = 99, want_matched = 0;
	enum fk_dh_mismatch why = FK_DH_MISMATCH_NONE, want_why;
	fusekey_status want;
	bool ok = false;

	if (sensible && n == 0)
		n = 1;
	for (size_t j = 0; j < n; j++) {
		names[j] = (sensible && x->peer_enclave >= 0 && chance(75)) ? x->peer_enclave
									     : (int)rnd(NENCL);
		expect_of(names[j], &e[j]);
	}
	for (size_t j = 0; j < n && !ok; j++)
		if (names[j] == x->peer_enclave) {
			ok = true;
			want_matched = j;
		}
	want_why = n == 0 ? FK_DH_MISMATCH_NO_EXPECTATION : FK_DH_MISMATCH_MRENCLAVE;
	if (x->state != FK_DH_STATE_ACTIVE)
		want = FUSEKEY_ERR_INVALID_STATE;
	else
		want = ok ? FUSEKEY_OK : FUSEKEY_ERR_PEER_IDENTITY;
	agree(x, fk_dh_check_peer(&x->s, n ? e : NULL, n, &matched, &why), want, true, NULL);
	if (want == FUSEKEY_ERR_PEER_IDENTITY && why != want_why)
		STEP_FAIL("why %s, model %s", fk_dh_mismatch_name(why), fk_dh_mismatch_name(want_why));
	if (want != FUSEKEY_OK)
		return;
	assert_int_equal(matched, want_matched);
	x->state = FK_DH_STATE_PEER_CHECKED;
}

static void op_seal(int k)
{
	struct slot *x = &M.sl[k];
	struct rec_entry *e = &M.rec[M.nrec % RING];
	uint8_t pt[MAX_PAYLOAD], out[REC_MAX];
	size_t len = rnd(MAX_PAYLOAD + 1), out_len = 99;
	bool ok = x->state == FK_DH_STATE_PEER_CHECKED;

	for (size_t j = 0; j < len; j++)
		pt[j] = (uint8_t)rnd64();
	agree(x, fk_dh_seal(&x->s, len ? pt : NULL, len, out, sizeof(out), &out_len),
	      ok ? FUSEKEY_OK : FUSEKEY_ERR_INVALID_STATE, true, NULL);
	if (!ok)
		return;
	assert_int_equal(out_len, fk_dh_record_size(len));
	memcpy(e->r, out, out_len);
	e->len = out_len;
	e->from = me(k);
	e->seq = x->send_seq++;
	memcpy(e->pt, pt, len);
	e->pt_len = len;
	M.nrec++;
}

static void op_open(int k, bool sensible)
{
	struct slot *x = &M.sl[k];
	uint8_t in[REC_MAX], pt[REC_MAX];
	size_t len = 0, pt_len = 99;
	bool genuine = false;
	const struct rec_entry *src = NULL;
	fusekey_status want;

	size_t i = pick(M.nrec, sensible ? 95 : 15, want_next_record, x);
	memset(in, 0, sizeof(in));
	if (i != SIZE_MAX) {
		src = &M.rec[i];
		memcpy(in, src->r, src->len);
		len = src->len;
		genuine = want_next_record(i, x);
		if (chance(6)) {
			if (chance(50)) {
				flip(&in[len - 1 - rnd(16)]); /* tag */
			} else {
				len--;
				M.flips++;
			}
			genuine = false;
		}
	}
	if (x->state != FK_DH_STATE_PEER_CHECKED)
		want = FUSEKEY_ERR_INVALID_STATE;
	else
		want = genuine ? FUSEKEY_OK : FUSEKEY_ERR_MAC_MISMATCH;
	memset(pt, 0xAA, sizeof(pt));
	agree(x, fk_dh_open(&x->s, in, len, pt, sizeof(pt), &pt_len), want, true, NULL);
	if (want != FUSEKEY_OK && !th_all_zero(pt, sizeof(pt)))
		STEP_FAIL("refused open left plaintext bytes");
	if (want != FUSEKEY_OK)
		return;
	assert_int_equal(pt_len, src->pt_len);
	assert_memory_equal(pt, src->pt, src->pt_len);
	x->recv_seq++;
	M.channel_msgs++;
}

static void op_export(int k)
{
	struct slot *x = &M.sl[k];
	struct fk_dh_session before = x->s;
	uint8_t aek[16];
	bool ok = x->state == FK_DH_STATE_PEER_CHECKED;
	memset(aek, 0xAA, sizeof(aek));
	agree(x, fk_dh_export_aek(&x->s, aek), ok ? FUSEKEY_OK : FUSEKEY_ERR_INVALID_STATE, false,
	      &before);
	if (!ok) {
		if (!th_all_zero(aek, sizeof(aek)))
			STEP_FAIL("a refused export left bytes in the output");
		return;
	}
	if (x->have_aek && memcmp(aek, x->aek, 16) != 0)
		STEP_FAIL("the AEK changed");
	memcpy(x->aek, aek, 16);
	x->have_aek = true;
	const struct slot *p = &M.sl[x->peer.slot];
	if (p->inc == x->peer.inc && p->have_aek && same_origin(p->peer, me(k))) {
		if (memcmp(p->aek, aek, 16) != 0)
			STEP_FAIL("the two ends of a channel hold different AEKs");
		M.aek_pairs++;
	}
}

static void op_peer_body(int k)
{
	struct slot *x = &M.sl[k];
	struct fk_dh_session before = x->s;
	struct fk_sgx_report_body b;
	bool ok = x->state == FK_DH_STATE_ACTIVE || x->state == FK_DH_STATE_PEER_CHECKED;
	agree(x, fk_dh_peer_body(&x->s, &b), ok ? FUSEKEY_OK : FUSEKEY_ERR_INVALID_STATE, false,
	      &before);
	if (ok && memcmp(b.mr_enclave, M.id[x->peer_enclave].mr_enclave, 32) != 0)
		STEP_FAIL("peer_body names another enclave than the model's peer");
}

static void op_wipe(int k)
{
	struct slot *x = &M.sl[k];
	fk_dh_wipe(&x->s);
	model_kill(x);
	assert_zero_session(&x->s);
	M.ok_by_op[OP_WIPE]++;
}

static bool exists(size_t n, bool (*want)(size_t i, const void *ctx), const void *ctx)
{
	for (size_t i = 0; i < ring_count(n); i++)
		if (want(i, ctx))
			return true;
	return false;
}

/*
 * The operation that moves slot k forward. A slot waiting for a message that
 * nobody has sent yet reads its peer instead (a refused read destroys nothing),
 * so that handshakes and channels live long enough to be used.
 */
static enum op sensible_op(int k)
{
	const struct slot *x = &M.sl[k];
	struct origin self = me(k);
	switch (x->state) {
	case FK_DH_STATE_RESET:
		return OP_GEN_MSG1;
	case FK_DH_STATE_INITIATOR_WAIT_M1:
		return OP_PROC_MSG1;
	case FK_DH_STATE_RESPONDER_WAIT_M2:
		return exists(M.n2, want_msg2_for, &self) ? OP_PROC_MSG2 : OP_PEER_BODY;
	case FK_DH_STATE_INITIATOR_WAIT_M3:
		if (!exists(M.n3, want_msg3_for, &self))
			return OP_PEER_BODY;
		return chance(85) ? OP_PROC_MSG3 : OP_PROC_MSG3_AS;
	case FK_DH_STATE_ACTIVE:
		return chance(85) ? OP_CHECK_PEER : OP_PEER_BODY;
	case FK_DH_STATE_PEER_CHECKED: {
		size_t r = rnd(100);
		if (r < 3)
			return OP_INIT; /* close the channel now and then */
		if (r < 10)
			return OP_EXPORT_AEK;
		if (r < 55 && exists(M.nrec, want_next_record, x))
			return OP_OPEN;
		return OP_SEAL;
	}
	default:
		return OP_INIT;
	}
}

static void run(uint64_t seed, size_t steps)
{
	M.rng = seed;
	for (int k = 0; k < NSESS; k++) {
		M.sl[k].enclave = k % NENCL;
		model_kill(&M.sl[k]);
		M.sl[k].peer.slot = -1;
		M.sl[k].peer_enclave = -1;
	}
	for (M.step = 0; M.step < steps; M.step++) {
		int k = (int)rnd(NSESS);
		bool sensible = chance(85);
		enum op o = sensible ? sensible_op(k) : (enum op)rnd(OP_COUNT);
		if (!sensible && o == OP_INIT && chance(50))
			o = OP_PEER_BODY; /* fewer random restarts */
		M.op = (int)o;
		switch (o) {
		case OP_INIT:
			op_init(k);
			break;
		case OP_GEN_MSG1:
			op_gen_msg1(k);
			break;
		case OP_PROC_MSG1:
			op_proc_msg1(k, sensible);
			break;
		case OP_PROC_MSG2:
			op_proc_msg2(k, sensible);
			break;
		case OP_PROC_MSG3:
			op_proc_msg3(k, sensible, false);
			break;
		case OP_PROC_MSG3_AS:
			op_proc_msg3(k, sensible, true);
			break;
		case OP_CHECK_PEER:
			op_check_peer(k, sensible);
			break;
		case OP_SEAL:
			op_seal(k);
			break;
		case OP_OPEN:
			op_open(k, sensible);
			break;
		case OP_EXPORT_AEK:
			op_export(k);
			break;
		case OP_PEER_BODY:
			op_peer_body(k);
			break;
		case OP_WIPE:
			op_wipe(k);
			break;
		default:
			fail_msg("bad op");
		}
		/* the engine's state is the model's after every step */
		if (fk_dh_state(&M.sl[k].s) != M.sl[k].state)
			STEP_FAIL("engine state %s, model %s",
				  fk_dh_state_name(fk_dh_state(&M.sl[k].s)),
				  fk_dh_state_name(M.sl[k].state));
	}
}

static uint64_t env_u64(const char *name, uint64_t dflt)
{
	const char *s = getenv(name);
	char *end = NULL;
	if (s == NULL || *s == '\0')
		return dflt;
	uint64_t v = strtoull(s, &end, 0);
	if (end == s || *end != '\0') {
		fprintf(stderr, "%s: not a number: %s\n", name, s);
		exit(1);
	}
	return v;
}

static void test_model(void **state)
{
	(void)state;
	uint64_t seed = env_u64("FK_DH_MODEL_SEED", DEFAULT_SEED);
	size_t steps = (size_t)env_u64("FK_DH_MODEL_STEPS", DEFAULT_STEPS);

	printf("# dh_model: seed 0x%016" PRIx64 " (FK_DH_MODEL_SEED), %zu steps, %d sessions, "
	       "%d enclaves\n",
	       seed, steps, NSESS, NENCL);
	run(seed, steps);

	printf("# dh_model: %zu handshakes completed, %zu channel messages opened, %zu AEK pairs "
	       "compared, %zu refusals (%zu with a flipped byte fed)\n",
	       M.handshakes, M.channel_msgs, M.aek_pairs, M.refusals, M.flips);
	printf("# dh_model: OK by op:");
	for (int o = 0; o < OP_COUNT; o++)
		printf(" %s=%zu", op_names[o], M.ok_by_op[o]);
	printf("\n# dh_model: refusals by status:");
	for (size_t j = 0; j < sizeof(M.refused_by_status) / sizeof(M.refused_by_status[0]); j++)
		if (M.refused_by_status[j])
			printf(" %s=%zu", fusekey_status_name((fusekey_status)j),
			       M.refused_by_status[j]);
	printf("\n");
	if (steps >= DEFAULT_STEPS / 4) {
		/* the run exercised what it claims to */
		assert_true(M.handshakes > 0);
		assert_true(M.channel_msgs > 0);
		assert_true(M.aek_pairs > 0);
		assert_true(M.refusals > 0);
		assert_true(M.ok_by_op[OP_CHECK_PEER] > 0);
		static const fusekey_status seen[] = {
			FUSEKEY_ERR_INVALID_STATE, FUSEKEY_ERR_HANDSHAKE, FUSEKEY_ERR_KDF_MISMATCH,
			FUSEKEY_ERR_PEER_IDENTITY, FUSEKEY_ERR_MAC_MISMATCH};
		for (size_t j = 0; j < sizeof(seen) / sizeof(seen[0]); j++)
			if (M.refused_by_status[seen[j]] == 0)
				fail_msg("no refusal with %s occurred", fusekey_status_name(seen[j]));
	}
}

static int setup(void **state)
{
	struct fk_sim_state st;
	uint8_t pub[FK_DH_PUB_SIZE];
	static const uint8_t fills[NENCL][2] = {{0xa1, 0x51}, {0xb2, 0x62}, {0xc3, 0x73}};
	(void)state;
	memset(&M, 0, sizeof(M));
	if (fk_sim_state_random(&st, FK_SIM_CPUSVN_DEFAULT) != FUSEKEY_OK)
		return -1;
	for (int k = 0; k < NENCL; k++) {
		th_identity(&M.id[k], fills[k][0], fills[k][1]);
		if (fk_sim_platform_new(&st, &M.id[k], &M.p[k]) != FUSEKEY_OK)
			return -1;
	}
	fk_sim_state_clear(&st);
	return fk_p256_keygen(M.probe_priv, pub) == FUSEKEY_OK ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	for (int k = 0; k < NENCL; k++)
		fk_platform_destroy(M.p[k]);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_model),
	};
	return cmocka_run_group_tests_name("dh_model", tests, setup, teardown);
}
