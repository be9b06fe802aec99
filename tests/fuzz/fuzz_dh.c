/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The sgx_dh engine (src/la/fk_dh.h) on attacker-controlled messages.
 *
 * The first input byte selects what the rest is: bits 0-1 the path, bit 2
 * the protocol version (0 LAv1, 1 LAv2) of the initiator involved; the
 * other bits are ignored.
 *   path 0: a responder after gen_msg1 processes the rest as msg2 (cut or
 *           zero-padded to 512 bytes); the version bit plays no part (the
 *           responder accepts both);
 *   path 1: an initiator after a real proc_msg1 processes the rest as msg3
 *           (any length: the framing is the engine's to check);
 *   path 2: a fresh initiator processes the rest as msg1 (cut or
 *           zero-padded to 576 bytes);
 *   path 3: after an honest handshake and check_peer on both sides, the
 *           responder opens the rest as a channel record.
 *
 * One emulated machine in sdk-compat state (public constants, so reports
 * are deterministic) runs the two enclaves; both ephemeral keys are fixed
 * with fk_dh_set_kat_private_key. Everything honest is computed once, and
 * every input starts from a copy of the session snapshot of its path.
 *
 * Properties (abort() on violation, so libFuzzer reports it): no crash; any
 * non-OK status leaves the session all zero and is the documented status of
 * that step (HANDSHAKE, or KDF_MISMATCH for msg2; MAC_MISMATCH for a record);
 * a msg2, msg3 or record is accepted only if it equals the honest one: the
 * initiator's msg2 of either version, the msg3 the honest responder sends
 * with the same additional_prop, the record the honest initiator seals with
 * the same plaintext. A msg1 is accepted exactly when g_a is a P-256 point
 * (an initiator cannot check more), and then msg2 carries the initiator's
 * own g_b.
 */
#include <stdlib.h>
#include <string.h>

#include "crypto/fk_crypto.h"
#include "fuzz.h"
#include "la/fk_dh.h"
#include "platform/fk_sim.h"

enum { V1 = 0, V2 = 1 };

static const char record_text[] = "the FUSE key would travel here";

struct honest {
	struct fk_platform *rp, *ip; /* responder and initiator enclaves, one machine */
	struct fk_dh_session r_wait_m2;    /* responder after gen_msg1 */
	struct fk_dh_session i_wait_m1;    /* initiator after init + KAT key */
	struct fk_dh_session i_wait_m3[2]; /* initiator after proc_msg1, per version */
	struct fk_dh_session r_checked[2], i_checked[2]; /* PEER_CHECKED, per version */
	struct fk_dh_msg1 msg1;
	struct fk_dh_msg2 msg2[2];
	uint8_t msg3[2][FK_DH_MSG3_FIXED_SIZE]; /* no additional_prop */
	uint8_t record[2][sizeof(record_text) - 1 + FK_DH_RECORD_OVERHEAD];
};

/* A failed step must leave nothing behind: the session is the all-zero ERROR state. */
static void wiped(const struct fk_dh_session *s)
{
	if (!all_zero(s, sizeof(*s)) || fk_dh_state(s) != FK_DH_STATE_ERROR)
		abort();
}

static void identity(struct fk_sgx_identity *id, uint8_t tag)
{
	memset(id, 0, sizeof(*id));
	id->flags = FK_SGX_FLAGS_INITTED | 0x4; /* INITTED | MODE64BIT: production */
	id->xfrm = 0x3;
	memset(id->mr_enclave, tag, sizeof(id->mr_enclave));
	memset(id->mr_signer, 0x51, sizeof(id->mr_signer));
	id->isv_prod_id = 7;
	id->isv_svn = 3;
}

static void expect_enclave(struct fk_dh_expect *e, uint8_t tag)
{
	memset(e, 0, sizeof(*e));
	e->fields = FK_DH_EXPECT_MRENCLAVE | FK_DH_EXPECT_MRSIGNER;
	memset(e->mr_enclave, tag, sizeof(e->mr_enclave));
	memset(e->mr_signer, 0x51, sizeof(e->mr_signer));
}

static void kat_init(struct fk_dh_session *s, enum fk_dh_role role, uint8_t scalar_byte)
{
	uint8_t priv[FK_DH_PRIV_SIZE];
	memset(priv, scalar_byte, sizeof(priv)); /* 0x1111...11 < n: a valid scalar */
	need_ok(fk_dh_init(s, role));
	need_ok(fk_dh_set_kat_private_key(s, priv));
}

static const struct honest *honest(void)
{
	static struct honest h;
	static bool ready;
	struct fk_sim_state st;
	struct fk_sgx_identity rid, iid;
	struct fk_dh_expect er, ei;
	size_t len;

	if (ready)
		return &h;
	fk_sim_state_sdk_compat(&st, FK_SIM_CPUSVN_DEFAULT);
	identity(&rid, 0xa1);
	identity(&iid, 0xb2);
	need_ok(fk_sim_platform_new(&st, &rid, &h.rp));
	need_ok(fk_sim_platform_new(&st, &iid, &h.ip));
	expect_enclave(&er, 0xa1);
	expect_enclave(&ei, 0xb2);

	kat_init(&h.r_wait_m2, FK_DH_ROLE_RESPONDER, 0x11);
	need_ok(fk_dh_responder_gen_msg1(&h.r_wait_m2, h.rp, &h.msg1));
	kat_init(&h.i_wait_m1, FK_DH_ROLE_INITIATOR, 0x22);
	for (int v = V1; v <= V2; v++) {
		struct fk_dh_session r = h.r_wait_m2, i;
		enum fk_dh_version ver = v == V1 ? FK_DH_LAV1 : FK_DH_LAV2;
		h.i_wait_m3[v] = h.i_wait_m1;
		need_ok(fk_dh_initiator_proc_msg1(&h.i_wait_m3[v], h.ip, ver, &h.msg1, &h.msg2[v]));
		i = h.i_wait_m3[v];
		need_ok(fk_dh_responder_proc_msg2(&r, h.rp, &h.msg2[v], NULL, 0, h.msg3[v],
					       sizeof(h.msg3[v]), &len));
		if (len != FK_DH_MSG3_FIXED_SIZE)
			abort();
		need_ok(fk_dh_initiator_proc_msg3(&i, h.ip, h.msg3[v], len));
		need_ok(fk_dh_check_peer(&r, &ei, 1, NULL, NULL));
		need_ok(fk_dh_check_peer(&i, &er, 1, NULL, NULL));
		h.r_checked[v] = r;
		h.i_checked[v] = i;
		need_ok(fk_dh_seal(&i, (const uint8_t *)record_text, sizeof(record_text) - 1,
				h.record[v], sizeof(h.record[v]), &len));
		if (len != sizeof(h.record[v]))
			abort();
	}
	fk_sim_state_clear(&st);
	ready = true;
	return &h;
}

/* path 0: msg2 into the responder. */
static void path_msg2(const struct honest *h, const uint8_t *in, size_t n)
{
	static uint8_t msg3[FK_DH_MSG3_FIXED_SIZE];
	struct fk_dh_session s = h->r_wait_m2;
	struct fk_dh_msg2 m2;
	size_t len = 1;
	fusekey_status st;

	memset(&m2, 0, sizeof(m2));
	memcpy(&m2, in, n < sizeof(m2) ? n : sizeof(m2));
	st = fk_dh_responder_proc_msg2(&s, h->rp, &m2, NULL, 0, msg3, sizeof(msg3), &len);
	if (st != FUSEKEY_OK) {
		if (st != FUSEKEY_ERR_HANDSHAKE && st != FUSEKEY_ERR_KDF_MISMATCH)
			abort();
		wiped(&s);
		return;
	}
	/* Accepted: it must be the initiator's own msg2 (of either version). */
	if (memcmp(&m2, &h->msg2[V1], sizeof(m2)) != 0 &&
	    memcmp(&m2, &h->msg2[V2], sizeof(m2)) != 0)
		abort();
	if (fk_dh_state(&s) != FK_DH_STATE_ACTIVE || len != FK_DH_MSG3_FIXED_SIZE)
		abort();
}

/* path 1: msg3 into the initiator. */
static void path_msg3(const struct honest *h, int v, const uint8_t *in, size_t n)
{
	static uint8_t want[FK_DH_MSG3_FIXED_SIZE + FK_DH_PROPS_MAX];
	struct fk_dh_session s = h->i_wait_m3[v], r = h->r_wait_m2;
	size_t props_len, len = 0;
	fusekey_status st;

	st = fk_dh_initiator_proc_msg3(&s, h->ip, in, n);
	if (st != FUSEKEY_OK) {
		if (st != FUSEKEY_ERR_HANDSHAKE)
			abort();
		wiped(&s);
		return;
	}
	/*
	 * Accepted: exactly the msg3 the honest responder sends for the honest
	 * msg2 with the same additional_prop (which the engine framed: n >= 452).
	 */
	if (n < FK_DH_MSG3_FIXED_SIZE || n > sizeof(want))
		abort();
	props_len = n - FK_DH_MSG3_FIXED_SIZE;
	need_ok(fk_dh_responder_proc_msg2(&r, h->rp, &h->msg2[v], in + FK_DH_MSG3_FIXED_SIZE,
				       props_len, want, sizeof(want), &len));
	if (len != n || memcmp(want, in, n) != 0 || fk_dh_state(&s) != FK_DH_STATE_ACTIVE)
		abort();
}

/* path 2: msg1 into a fresh initiator. */
static void path_msg1(const struct honest *h, int v, const uint8_t *in, size_t n)
{
	static const uint8_t one[FK_P256_PRIV_SIZE] = {1};
	struct fk_dh_session s = h->i_wait_m1;
	struct fk_dh_msg1 m1;
	struct fk_dh_msg2 m2;
	uint8_t x[FK_P256_SHARED_SIZE];
	bool point_ok;
	fusekey_status st;

	memset(&m1, 0, sizeof(m1));
	memcpy(&m1, in, n < sizeof(m1) ? n : sizeof(m1));
	point_ok = fk_p256_ecdh(one, m1.g_a, x) == FUSEKEY_OK;
	st = fk_dh_initiator_proc_msg1(&s, h->ip, v == V1 ? FK_DH_LAV1 : FK_DH_LAV2, &m1, &m2);
	if (st != FUSEKEY_OK) {
		if (st != FUSEKEY_ERR_HANDSHAKE || point_ok)
			abort();
		wiped(&s);
		return;
	}
	if (!point_ok || fk_dh_state(&s) != FK_DH_STATE_INITIATOR_WAIT_M3 ||
	    memcmp(m2.g_b, h->msg2[v].g_b, sizeof(m2.g_b)) != 0)
		abort();
	/* Deterministic: the honest msg1 gives the honest msg2. */
	if (memcmp(&m1, &h->msg1, sizeof(m1)) == 0 && memcmp(&m2, &h->msg2[v], sizeof(m2)) != 0)
		abort();
}

/* path 3: a record into the responder's channel. */
static void path_record(const struct honest *h, int v, const uint8_t *in, size_t n)
{
	struct fk_dh_session s = h->r_checked[v], i = h->i_checked[v];
	size_t cap = n, pt_len = 1, len = 0;
	uint8_t *pt = malloc(cap + 1), *want = NULL;
	fusekey_status st;

	if (pt == NULL)
		abort();
	st = fk_dh_open(&s, in, n, pt, cap, &pt_len);
	if (st != FUSEKEY_OK) {
		if (st != FUSEKEY_ERR_MAC_MISMATCH || pt_len != 0 || !all_zero(pt, cap))
			abort();
		wiped(&s);
		free(pt);
		return;
	}
	/* Accepted: what the honest initiator seals, as its first record, with this plaintext. */
	want = malloc(fk_dh_record_size(pt_len));
	if (want == NULL)
		abort();
	need_ok(fk_dh_seal(&i, pt, pt_len, want, fk_dh_record_size(pt_len), &len));
	if (len != n || memcmp(want, in, n) != 0 || fk_dh_state(&s) != FK_DH_STATE_PEER_CHECKED)
		abort();
	free(want);
	free(pt);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct honest *h = honest();
	int v;

	if (size == 0)
		return 0;
	v = (data[0] >> 2) & 1 ? V2 : V1;
	switch (data[0] & 3) {
	case 0:
		path_msg2(h, data + 1, size - 1);
		break;
	case 1:
		path_msg3(h, v, data + 1, size - 1);
		break;
	case 2:
		path_msg1(h, v, data + 1, size - 1);
		break;
	default:
		path_record(h, v, data + 1, size - 1);
		break;
	}
	return 0;
}
