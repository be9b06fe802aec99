/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The key service's handlers (fk_keyservice.h). They run on the ttrpc
 * server's loop thread: no locking, no blocking beyond reading a key.la file
 * on a container's first request.
 */
#include "service/fk_keyservice.h"
#include "service/fk_decision_log.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "delivery/fk_bundle.h"
#include "delivery/fk_method.h"
#include "delivery/fk_wire.h"
#include "keyservice.pb-c.h"
#include "la/fk_dh.h"
#include "policy/fk_policy.h"
#include "util/fk_hex.h"
#include "util/fk_secmem.h"
#include "util/fk_time.h"

struct session {
	bool used;
	uint64_t expires_ns;
	uint8_t id[FK_KEYSERVICE_SESSION_ID_SIZE];
	struct fk_dh_session dh;
};

struct key_entry {
	bool used;
	uint8_t key_len;
	char cid[FUSEKEY_CONTAINER_ID_MAX + 1];
	uint8_t key[FUSEKEY_KEY_MAX];
};

struct fk_keyservice {
	struct fk_keyservice_config cfg;
	struct fk_ttrpc_method methods[2];
	struct session *sessions; /* fk_secmem: cfg.max_sessions */
	size_t sessions_bytes;
	struct key_entry *keys;   /* fk_secmem: cfg.max_keys */
	size_t keys_bytes;
	struct fk_dh_ephemeral *ready;   /* fk_secmem: the next Open's key pair */
	size_t next_free;                /* where the search for a free slot starts */
	uint64_t next_expiry_ns;         /* no session expires before this (0: none open) */
	uint64_t decision_seq;
	struct fk_decision_clock clock;  /* the log's time stamp, formatted once a second */
	struct fk_keyservice_stats stats;
};

/* ---- the decision log ---- */

/* false only when the line could not be built: the caller must not release then. */
static bool log_decision(struct fk_keyservice *ks, const struct fk_decision *d)
{
	struct timespec rt;
	char line[FK_DECISION_LINE_MAX];
	bool ok = true;

	ks->decision_seq++;
	if (ks->cfg.log != NULL) {
		clock_gettime(CLOCK_REALTIME, &rt);
		ok = fk_decision_format(d, ks->decision_seq, &rt, &ks->clock, line, sizeof(line));
		if (ok)
			ks->cfg.log(ks->cfg.log_arg, line);
		fk_wipe(line, sizeof(line)); /* no secret in it, but peer data need not linger */
	}
	/* Counted as what the app gets: a release that could not be logged is withdrawn. */
	if (d->released && ok)
		ks->stats.released++;
	else
		ks->stats.refused++;
	return ok;
}

/* ---- sessions ---- */

/* Wipe expired sessions: an abandoned Open's ephemeral key lives no longer than its TTL. */
static void sessions_sweep(struct fk_keyservice *ks, uint64_t now)
{
	uint64_t next = 0;

	/* Nothing open, or nothing due yet: no scan (the common case, O(1)). */
	if (ks->stats.sessions == 0 || now < ks->next_expiry_ns)
		return;
	for (size_t i = 0; i < ks->cfg.max_sessions; i++) {
		struct session *s = &ks->sessions[i];
		if (!s->used)
			continue;
		if (s->expires_ns <= now) {
			fk_wipe(s, sizeof(*s));
			ks->stats.sessions--;
		} else if (next == 0 || s->expires_ns < next) {
			next = s->expires_ns;
		}
	}
	ks->next_expiry_ns = next;
}

static struct session *session_slot(struct fk_keyservice *ks, size_t *index, uint64_t now)
{
	sessions_sweep(ks, now);
	for (size_t k = 0; k < ks->cfg.max_sessions; k++) {
		size_t i = (ks->next_free + k) % ks->cfg.max_sessions;
		if (!ks->sessions[i].used) {
			ks->next_free = (i + 1) % ks->cfg.max_sessions;
			*index = i;
			return &ks->sessions[i];
		}
	}
	return NULL;
}

/*
 * A session id is the slot index (2 bytes, little-endian: not secret) and
 * 14 random bytes (112 bits: the bearer secret). The whole id is compared
 * in constant time with the slot's, so a guess learns nothing but "no".
 */
static bool session_take(struct fk_keyservice *ks, const uint8_t *id, uint64_t now,
			 struct fk_dh_session *out, bool *expired)
{
	size_t i = (size_t)id[0] | (size_t)id[1] << 8;
	struct session *hit;
	bool ok;

	*expired = false;
	if (i >= ks->cfg.max_sessions || !ks->sessions[i].used ||
	    !fk_ct_equal(ks->sessions[i].id, id, FK_KEYSERVICE_SESSION_ID_SIZE)) {
		sessions_sweep(ks, now);
		return false;
	}
	hit = &ks->sessions[i];
	*expired = hit->expires_ns <= now;
	ok = !*expired;
	if (ok)
		memcpy(out, &hit->dh, sizeof(*out));
	fk_wipe(hit, sizeof(*hit));
	ks->stats.sessions--;
	sessions_sweep(ks, now);
	return ok;
}

/* ---- keys ---- */

/* The container's key: from memory, or key.la on first use. */
static fusekey_status key_lookup(struct fk_keyservice *ks, const char *cid, uint8_t *key,
				 size_t *key_len)
{
	struct key_entry *slot = NULL;
	struct fk_delivery_req r;
	size_t len = FUSEKEY_KEY_MAX;
	fusekey_status st;

	/*
	 * Entries are filled in order and never removed, so the used ones are
	 * 0..n-1: stop at the first free one (it is the slot) instead of walking
	 * the whole table (~170 kB at 1,024 entries) on every Exchange.
	 */
	for (size_t i = 0; i < ks->cfg.max_keys; i++) {
		struct key_entry *e = &ks->keys[i];
		if (!e->used) {
			slot = e;
			break;
		}
		if (strcmp(e->cid, cid) == 0) {
			memcpy(key, e->key, e->key_len);
			*key_len = e->key_len;
			return FUSEKEY_OK;
		}
	}
	memset(&r, 0, sizeof(r));
	r.p = ks->cfg.platform;
	r.bundle = ks->cfg.bundle_dir;
	r.cid = cid;
	/*
	 * key.la first (generate --method la). A container whose key was made by
	 * seal or derive is served too when this agent can open it itself (its
	 * identity meets the key's policy, as with MRSIGNER and one signer).
	 */
	/*
	 * Never read a method switch half-done, and never wait for a writer on the
	 * only thread: a held lock is "busy, retry" (TIMEOUT).
	 */
	int lock = -1;
	st = fk_bundle_try_lock_shared(r.bundle, cid, &lock);
	if (st != FUSEKEY_OK)
		return st;
	r.policy = FK_SGX_KEYPOLICY_MRENCLAVE; /* key.la is sealed to this agent, nothing wider */
	st = fk_sealed_key_read(&r, FK_BUNDLE_LA_NAME, FK_WIRE_METHOD_LA, key, &len);
	r.policy = 0; /* seal / derive keys: whatever policy they were made under */
	if (st == FUSEKEY_ERR_NOT_FOUND) {
		len = FUSEKEY_KEY_MAX;
		st = fk_method_derive.get(&r, key, &len);
	}
	if (st == FUSEKEY_ERR_NOT_FOUND) {
		len = FUSEKEY_KEY_MAX;
		st = fk_method_seal.get(&r, key, &len);
	}
	fk_bundle_unlock(lock);
	if (st != FUSEKEY_OK)
		return st;
	*key_len = len;
	if (slot != NULL) { /* full: serve it anyway, read again next time */
		slot->used = true;
		slot->key_len = (uint8_t)len;
		memcpy(slot->cid, cid, strlen(cid) + 1);
		memcpy(slot->key, key, len);
		ks->stats.keys++;
	}
	return FUSEKEY_OK;
}

/* ---- handlers ---- */

static void reply_status(struct fk_ttrpc_reply *rep, uint32_t code, const char *msg)
{
	rep->code = code;
	rep->message = msg;
}

static void handle_open(void *arg, const struct fk_ttrpc_call *call, struct fk_ttrpc_reply *rep)
{
	struct fk_keyservice *ks = arg;
	Fusekey__V1__OpenRequest *req;
	Fusekey__V1__OpenResponse resp = FUSEKEY__V1__OPEN_RESPONSE__INIT;
	struct fk_dh_msg1 msg1;
	struct session *s;
	size_t index = 0;
	uint64_t now = fk_mono_ns();

	req = fusekey__v1__open_request__unpack(NULL, call->req->payload_len, call->req->payload);
	if (req == NULL) {
		reply_status(rep, FK_TTRPC_INVALID_ARGUMENT, "malformed OpenRequest");
		return;
	}
	fusekey__v1__open_request__free_unpacked(req, NULL);
	s = session_slot(ks, &index, now);
	if (s == NULL) {
		reply_status(rep, FK_TTRPC_RESOURCE_EXHAUSTED, "too many open sessions, retry");
		return;
	}
	s->id[0] = (uint8_t)index;
	s->id[1] = (uint8_t)(index >> 8);
	/* The key pair made ahead (fk_keyservice_prepare), else a fresh one now. */
	if (fk_random(s->id + 2, sizeof(s->id) - 2) != FUSEKEY_OK ||
	    fk_dh_init(&s->dh, FK_DH_ROLE_RESPONDER) != FUSEKEY_OK ||
	    (ks->ready->ready && fk_dh_use_ephemeral(&s->dh, ks->ready) != FUSEKEY_OK) ||
	    fk_dh_responder_gen_msg1(&s->dh, ks->cfg.platform, &msg1) != FUSEKEY_OK) {
		fk_wipe(s, sizeof(*s));
		reply_status(rep, FK_TTRPC_INTERNAL, "cannot start a session");
		return;
	}
	resp.session_id.data = s->id;
	resp.session_id.len = sizeof(s->id);
	resp.msg1.data = (uint8_t *)&msg1;
	resp.msg1.len = sizeof(msg1);
	rep->payload_len = fusekey__v1__open_response__get_packed_size(&resp);
	rep->payload = malloc(rep->payload_len);
	if (rep->payload == NULL) {
		fk_wipe(s, sizeof(*s));
		rep->payload_len = 0;
		reply_status(rep, FK_TTRPC_RESOURCE_EXHAUSTED, "out of memory");
		return;
	}
	fusekey__v1__open_response__pack(&resp, rep->payload);
	s->used = true;
	s->expires_ns = now + (uint64_t)ks->cfg.session_ttl_ms * 1000000u;
	if (ks->stats.sessions == 0 || s->expires_ns < ks->next_expiry_ns)
		ks->next_expiry_ns = s->expires_ns;
	ks->stats.sessions++;
	ks->stats.opened++;
}

/* The grant record: the key, for exactly what was asked, under the AEK. */
static fusekey_status make_record(struct fk_dh_session *dh, const char *cid,
				  const ProtobufCBinaryData *launch, const uint8_t *key,
				  size_t key_len, uint8_t **rec, size_t *rec_len)
{
	struct fk_key_grant g;
	size_t cid_len = strlen(cid), cap = fk_dh_record_size(sizeof(g));
	fusekey_status st;

	memset(&g, 0, sizeof(g));
	memcpy(g.magic, FK_GRANT_MAGIC, sizeof(g.magic));
	fk_put_le16(g.version, FK_GRANT_VERSION);
	g.key_len = (uint8_t)key_len;
	g.has_launch = launch->len == FK_GRANT_LAUNCH_SIZE ? 1 : 0;
	fk_put_le16(g.cid_len, (uint16_t)cid_len);
	memcpy(g.container_id, cid, cid_len);
	if (g.has_launch)
		memcpy(g.launch_digest, launch->data, FK_GRANT_LAUNCH_SIZE);
	memcpy(g.key, key, key_len);
	*rec = malloc(cap);
	st = *rec == NULL ? FUSEKEY_ERR_NO_MEMORY
			  : fk_dh_seal(dh, (const uint8_t *)&g, sizeof(g), *rec, cap, rec_len);
	FK_WIPE(g);
	if (st != FUSEKEY_OK) {
		free(*rec);
		*rec = NULL;
	}
	return st;
}

static void handle_exchange(void *arg, const struct fk_ttrpc_call *call,
			    struct fk_ttrpc_reply *rep)
{
	struct fk_keyservice *ks = arg;
	Fusekey__V1__ExchangeRequest *req;
	Fusekey__V1__ExchangeResponse resp = FUSEKEY__V1__EXCHANGE_RESPONSE__INIT;
	struct fk_dh_session dh;
	struct fk_sgx_report_body peer;
	struct fk_policy_decision pd;
	struct fk_dh_expect expect;
	struct fk_decision d = {.peer = call->peer};
	uint8_t msg3[FK_DH_MSG3_FIXED_SIZE], key[FUSEKEY_KEY_MAX];
	uint8_t *record = NULL;
	size_t msg3_len = 0, key_len = 0, record_len = 0;
	bool expired = false;
	fusekey_status st;
	char rule[FK_DECISION_RULE_MAX];

	memset(&dh, 0, sizeof(dh));
	memset(&pd, 0, sizeof(pd));
	memset(key, 0, sizeof(key));
	req = fusekey__v1__exchange_request__unpack(NULL, call->req->payload_len,
						    call->req->payload);
	if (req == NULL) {
		reply_status(rep, FK_TTRPC_INVALID_ARGUMENT, "malformed ExchangeRequest");
		d.reason = "malformed";
		goto log;
	}
	/*
	 * protobuf-c cuts a string at an embedded NUL ("web\0x" reads as "web")
	 * and skips unknown fields: accept only a request that re-encodes to
	 * exactly the bytes received.
	 */
	if (fusekey__v1__exchange_request__get_packed_size(req) != call->req->payload_len) {
		reply_status(rep, FK_TTRPC_INVALID_ARGUMENT, "malformed ExchangeRequest");
		d.reason = "malformed";
		goto log;
	}
	/* Every outside length bounded before use. */
	if (req->session_id.len != FK_KEYSERVICE_SESSION_ID_SIZE ||
	    req->msg2.len != sizeof(struct fk_dh_msg2) ||
	    (req->launch_digest.len != 0 && req->launch_digest.len != FK_GRANT_LAUNCH_SIZE)) {
		reply_status(rep, FK_TTRPC_INVALID_ARGUMENT,
			     "session_id must be 16 bytes, msg2 512, launch_digest 0 or 32");
		d.reason = "malformed";
		goto log;
	}
	if (!fk_container_id_valid(req->container_id)) {
		reply_status(rep, FK_TTRPC_INVALID_ARGUMENT, "invalid container id");
		d.reason = "invalid_container_id";
		goto log;
	}
	d.cid = req->container_id;
	if (!session_take(ks, req->session_id.data, fk_mono_ns(), &dh, &expired)) {
		reply_status(rep, FK_TTRPC_NOT_FOUND, "unknown, used or expired session");
		d.reason = expired ? "session_expired" : "unknown_session";
		goto log;
	}
	st = fk_dh_responder_proc_msg2(&dh, ks->cfg.platform,
				       (const struct fk_dh_msg2 *)(const void *)req->msg2.data,
				       NULL, 0, msg3, sizeof(msg3), &msg3_len);
	if (st != FUSEKEY_OK) {
		reply_status(rep, FK_TTRPC_UNAUTHENTICATED, "local attestation failed");
		d.reason = st == FUSEKEY_ERR_KDF_MISMATCH ? "kdf_mismatch" : "handshake";
		goto log;
	}
	if (fk_dh_peer_body(&dh, &peer) != FUSEKEY_OK) {
		reply_status(rep, FK_TTRPC_INTERNAL, "internal error");
		d.reason = "internal";
		goto log;
	}
	d.enclave = &peer;
	st = fk_policy_evaluate(ks->cfg.policy, d.cid, &peer,
				req->launch_digest.len ? req->launch_digest.data : NULL, &pd);
	if (pd.have_rule) {
		snprintf(rule, sizeof(rule), "containers.\"%s\"[%zu]", pd.entry, pd.rule);
		d.rule = rule;
	}
	if (st != FUSEKEY_OK || !pd.allowed) {
		reply_status(rep, FK_TTRPC_PERMISSION_DENIED, "release refused by the agent's policy");
		d.reason = pd.reason;
		d.detail = pd.detail;
		goto log;
	}
	/* The session's own check, with the rule that allowed it: the two must agree. */
	if (!fk_policy_decision_expect(ks->cfg.policy, &pd, &expect) ||
	    fk_dh_check_peer(&dh, &expect, 1, NULL, NULL) != FUSEKEY_OK) {
		reply_status(rep, FK_TTRPC_INTERNAL, "internal error");
		d.reason = "internal";
		goto log;
	}
	st = key_lookup(ks, d.cid, key, &key_len);
	if (st != FUSEKEY_OK) {
		if (st == FUSEKEY_ERR_NOT_FOUND) {
			reply_status(rep, FK_TTRPC_NOT_FOUND, "no key for this container");
			d.reason = "no_key";
		} else if (st == FUSEKEY_ERR_TIMEOUT) {
			reply_status(rep, FK_TTRPC_UNAVAILABLE, "the container's key is being replaced, retry");
			d.reason = "key_busy";
		} else {
			reply_status(rep, FK_TTRPC_INTERNAL, "the container's key is unusable");
			d.reason = "key_unusable";
			d.detail = fusekey_status_str(st);
		}
		goto log;
	}
	st = make_record(&dh, d.cid, &req->launch_digest, key, key_len, &record, &record_len);
	if (st != FUSEKEY_OK) {
		reply_status(rep, FK_TTRPC_INTERNAL, "internal error");
		d.reason = "internal";
		goto log;
	}
	resp.msg3.data = msg3;
	resp.msg3.len = msg3_len;
	resp.key_record.data = record;
	resp.key_record.len = record_len;
	rep->payload_len = fusekey__v1__exchange_response__get_packed_size(&resp);
	rep->payload = malloc(rep->payload_len);
	if (rep->payload == NULL) {
		rep->payload_len = 0;
		reply_status(rep, FK_TTRPC_RESOURCE_EXHAUSTED, "out of memory");
		d.reason = "internal";
		goto log;
	}
	fusekey__v1__exchange_response__pack(&resp, rep->payload);
	d.released = true;
	d.reason = "allowed";
log:
	/* No key leaves unlogged: a release whose line cannot be built is withdrawn. */
	if (!log_decision(ks, &d) && d.released) {
		if (rep->payload != NULL)
			fk_wipe(rep->payload, rep->payload_len);
		free(rep->payload);
		rep->payload = NULL;
		rep->payload_len = 0;
		reply_status(rep, FK_TTRPC_INTERNAL, "internal error");
	}
	if (record != NULL) {
		fk_wipe(record, record_len);
		free(record);
	}
	if (req != NULL)
		fusekey__v1__exchange_request__free_unpacked(req, NULL);
	fk_dh_wipe(&dh);
	FK_WIPE(key);
	FK_WIPE(pd);
}

/* ---- life cycle ---- */

fusekey_status fk_keyservice_new(const struct fk_keyservice_config *cfg,
				 struct fk_keyservice **out)
{
	struct fk_keyservice *ks;
	bool l1 = false, l2 = false, l3 = false;

	if (out == NULL)
		return FUSEKEY_ERR_INVALID_PARAMETER;
	*out = NULL;
	if (cfg == NULL || cfg->platform == NULL || cfg->policy == NULL || cfg->bundle_dir == NULL)
		return FUSEKEY_ERR_INVALID_PARAMETER;
	ks = calloc(1, sizeof(*ks));
	if (ks == NULL)
		return FUSEKEY_ERR_NO_MEMORY;
	ks->cfg = *cfg;
	if (ks->cfg.session_ttl_ms == 0)
		ks->cfg.session_ttl_ms = 5000;
	if (ks->cfg.max_sessions == 0)
		ks->cfg.max_sessions = 1024;
	if (ks->cfg.max_sessions > FK_KEYSERVICE_MAX_SESSIONS) {
		free(ks);
		return FUSEKEY_ERR_INVALID_PARAMETER;
	}
	if (ks->cfg.max_keys == 0)
		ks->cfg.max_keys = 1024;
	ks->sessions_bytes = ks->cfg.max_sessions * sizeof(struct session);
	ks->keys_bytes = ks->cfg.max_keys * sizeof(struct key_entry);
	ks->sessions = fk_secmem_alloc(ks->sessions_bytes, &l1);
	ks->keys = fk_secmem_alloc(ks->keys_bytes, &l2);
	ks->ready = fk_secmem_alloc(sizeof(*ks->ready), &l3);
	if (ks->sessions == NULL || ks->keys == NULL || ks->ready == NULL) {
		fk_keyservice_free(ks);
		return FUSEKEY_ERR_NO_MEMORY;
	}
	ks->stats.memory_locked = l1 && l2 && l3;
	ks->methods[0] = (struct fk_ttrpc_method){FK_KEYSERVICE_NAME, "Open", handle_open, ks};
	ks->methods[1] =
		(struct fk_ttrpc_method){FK_KEYSERVICE_NAME, "Exchange", handle_exchange, ks};
	*out = ks;
	return FUSEKEY_OK;
}

void fk_keyservice_free(struct fk_keyservice *ks)
{
	if (ks == NULL)
		return;
	fk_secmem_free(ks->sessions, ks->sessions_bytes);
	fk_secmem_free(ks->keys, ks->keys_bytes);
	fk_secmem_free(ks->ready, sizeof(*ks->ready));
	fk_wipe(ks, sizeof(*ks));
	free(ks);
}

const struct fk_ttrpc_method *fk_keyservice_methods(struct fk_keyservice *ks, size_t *n)
{
	*n = 2;
	return ks->methods;
}

void fk_keyservice_stats(const struct fk_keyservice *ks, struct fk_keyservice_stats *st)
{
	*st = ks->stats;
}

uint64_t fk_keyservice_prepare(struct fk_keyservice *ks)
{
	if (ks == NULL)
		return 0;
	sessions_sweep(ks, fk_mono_ns());
	/* On failure e is wiped and not ready: Open then makes its own. */
	if (!ks->ready->ready && fk_dh_ephemeral_make(ks->ready) != FUSEKEY_OK)
		ks->ready->ready = 0;
	return ks->stats.sessions != 0 ? ks->next_expiry_ns : 0;
}
