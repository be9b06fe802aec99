/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Method "la" (docs/service.md).
 *
 * generate (agent): a random key, kept twice in the bundle: key.la, sealed to
 * the agent itself (MRENCLAVE policy) so that fusekeyd, running as the agent,
 * can serve it after a restart; and key.sealed under the app's policy, the
 * fallback when the service is not there.
 *
 * get (app): two ttrpc round trips with fusekeyd: Open -> msg1; Exchange
 * (msg2, container id, launch digest) -> msg3 and one AEK record holding the
 * key grant. The app then checks the agent's identity (fk_dh_check_peer) and
 * that the grant is for what it asked, before it takes the key.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "delivery/fk_bundle.h"
#include "delivery/fk_method.h"
#include "delivery/fk_wire.h"
#include "keyservice.pb-c.h"
#include "la/fk_dh.h"
#include "ttrpc/fk_ttrpc.h"
#include "util/fk_time.h"

static const char *const keep_la[] = {FK_BUNDLE_LA_NAME, FK_BUNDLE_SEALED_NAME, NULL};

static fusekey_status la_generate(const struct fk_delivery_req *r, uint8_t *key)
{
	fusekey_status st = fk_random(key, r->key_len);

	if (st == FUSEKEY_OK && r->force)
		st = fk_bundle_remove_others(r->bundle, r->cid, keep_la);
	/* The agent's copy first: a crash between the two leaves no fallback, never
	 * a fallback without the service's key. */
	if (st == FUSEKEY_OK)
		st = fk_sealed_key_write(r, FK_BUNDLE_LA_NAME, FK_WIRE_METHOD_LA,
					 FK_SGX_KEYPOLICY_MRENCLAVE, key);
	if (st == FUSEKEY_OK)
		st = fk_sealed_key_write(r, FK_BUNDLE_SEALED_NAME, FK_WIRE_METHOD_SEAL, r->policy,
					 key);
	if (st != FUSEKEY_OK)
		fk_wipe(key, r->key_len);
	return st;
}

fusekey_status fk_la_expect_from_agent(const struct fusekey_agent_expect *a, struct fk_dh_expect *e)
{
	memset(e, 0, sizeof(*e));
	if (a == NULL || (a->mr_enclave == NULL && a->mr_signer == NULL) ||
	    a->isv_prod_id < -1 || a->isv_prod_id > 0xFFFF)
		return FUSEKEY_ERR_INVALID_PARAMETER;
	if (a->mr_enclave != NULL) {
		e->fields |= FK_DH_EXPECT_MRENCLAVE;
		memcpy(e->mr_enclave, a->mr_enclave, sizeof(e->mr_enclave));
	}
	if (a->mr_signer != NULL) {
		e->fields |= FK_DH_EXPECT_MRSIGNER;
		memcpy(e->mr_signer, a->mr_signer, sizeof(e->mr_signer));
	}
	if (a->isv_prod_id >= 0) {
		e->fields |= FK_DH_EXPECT_ISVPRODID;
		e->isv_prod_id = (uint16_t)a->isv_prod_id;
	}
	e->min_isv_svn = a->min_isv_svn;
	e->allow_debug = a->allow_debug != 0;
	return FUSEKEY_OK;
}

/* A ttrpc status from fusekeyd: a refusal (never a reason to fall back). */
static fusekey_status from_code(uint32_t code)
{
	switch (code) {
	case FK_TTRPC_OK:
		return FUSEKEY_OK;
	case FK_TTRPC_UNAUTHENTICATED:
		return FUSEKEY_ERR_HANDSHAKE;
	case FK_TTRPC_DEADLINE_EXCEEDED:
		return FUSEKEY_ERR_TIMEOUT;
	case FK_TTRPC_NOT_FOUND:
		return FUSEKEY_ERR_NOT_FOUND;
	default:
		return FUSEKEY_ERR_REFUSED;
	}
}

/*
 * Open: a session id and msg1. While the request is in flight, the
 * initiator session s gets its ephemeral key pair (made now rather than in
 * proc_msg1: the key generation overlaps the round trip).
 */
fusekey_status fk_la_open(struct fk_ttrpc_client *c, int64_t timeout_ns, struct fk_dh_session *s,
			  uint8_t sid[FK_KEYSERVICE_SESSION_ID_SIZE], struct fk_dh_msg1 *msg1,
			  char *why, size_t why_len)
{
	Fusekey__V1__OpenResponse *resp = NULL;
	struct fk_ttrpc_result res;
	struct fk_dh_ephemeral eph;
	uint32_t id = 0;
	uint64_t start = fk_mono_ns();
	fusekey_status st;

	memset(&res, 0, sizeof(res));
	memset(&eph, 0, sizeof(eph));
	/* OpenRequest has no fields: its encoding is empty. */
	st = fk_ttrpc_client_send(c, FK_KEYSERVICE_NAME, "Open", NULL, 0, NULL, 0, timeout_ns, &id);
	if (st != FUSEKEY_OK)
		goto out;
	/*
	 * A failure here leaves the service's session to its TTL (harmless: it
	 * is single use and holds nothing of ours).
	 */
	if ((st = fk_dh_ephemeral_make(&eph)) != FUSEKEY_OK ||
	    (st = fk_dh_use_ephemeral(s, &eph)) != FUSEKEY_OK)
		goto out;
	/* One deadline for the whole call: the wait gets what the send left. */
	if (timeout_ns > 0) {
		uint64_t spent = fk_mono_ns() - start;
		timeout_ns = spent >= (uint64_t)timeout_ns ? 1 : timeout_ns - (int64_t)spent;
	}
	st = fk_ttrpc_client_wait(c, id, timeout_ns, &res);
	if (st != FUSEKEY_OK)
		goto out;
	if (res.code != FK_TTRPC_OK) {
		snprintf(why, why_len, "Open: %s", res.message);
		st = from_code(res.code);
		goto out;
	}
	resp = fusekey__v1__open_response__unpack(NULL, res.payload_len, res.payload);
	if (resp == NULL || resp->session_id.len != FK_KEYSERVICE_SESSION_ID_SIZE ||
	    resp->msg1.len != sizeof(*msg1)) {
		st = FUSEKEY_ERR_FORMAT;
		goto out;
	}
	memcpy(sid, resp->session_id.data, FK_KEYSERVICE_SESSION_ID_SIZE);
	memcpy(msg1, resp->msg1.data, sizeof(*msg1));
out:
	if (resp != NULL)
		fusekey__v1__open_response__free_unpacked(resp, NULL);
	fk_ttrpc_result_free(&res);
	FK_WIPE(eph);
	return st;
}

fusekey_status fk_la_exchange(struct fk_ttrpc_client *c, int64_t timeout_ns,
			      const uint8_t sid[FK_KEYSERVICE_SESSION_ID_SIZE],
			      const struct fk_dh_msg2 *msg2, const char *cid,
			      const uint8_t *launch_digest, uint8_t msg3[FK_DH_MSG3_FIXED_SIZE],
			      uint8_t **record, size_t *record_len, char *why, size_t why_len)
{
	Fusekey__V1__ExchangeRequest req = FUSEKEY__V1__EXCHANGE_REQUEST__INIT;
	Fusekey__V1__ExchangeResponse *resp = NULL;
	struct fk_ttrpc_result res;
	uint8_t *body = NULL;
	size_t body_len;
	fusekey_status st = FUSEKEY_ERR_NO_MEMORY;

	memset(&res, 0, sizeof(res));
	*record = NULL;
	*record_len = 0;
	req.session_id.data = (uint8_t *)(uintptr_t)sid;
	req.session_id.len = FK_KEYSERVICE_SESSION_ID_SIZE;
	req.msg2.data = (uint8_t *)(uintptr_t)msg2;
	req.msg2.len = sizeof(*msg2);
	req.container_id = (char *)(uintptr_t)cid;
	if (launch_digest != NULL) {
		req.launch_digest.data = (uint8_t *)(uintptr_t)launch_digest;
		req.launch_digest.len = FK_GRANT_LAUNCH_SIZE;
	}
	body_len = fusekey__v1__exchange_request__get_packed_size(&req);
	body = malloc(body_len);
	if (body == NULL)
		goto out;
	fusekey__v1__exchange_request__pack(&req, body);
	st = fk_ttrpc_client_call(c, FK_KEYSERVICE_NAME, "Exchange", body, body_len, NULL, 0,
				  timeout_ns, &res);
	if (st != FUSEKEY_OK)
		goto out;
	if (res.code != FK_TTRPC_OK) {
		snprintf(why, why_len, "Exchange: %s", res.message);
		st = from_code(res.code);
		goto out;
	}
	resp = fusekey__v1__exchange_response__unpack(NULL, res.payload_len, res.payload);
	/* Bound before copying: msg3 without additional properties, one small record. */
	if (resp == NULL || resp->msg3.len != FK_DH_MSG3_FIXED_SIZE ||
	    resp->key_record.len != fk_dh_record_size(sizeof(struct fk_key_grant))) {
		st = FUSEKEY_ERR_FORMAT;
		goto out;
	}
	*record = malloc(resp->key_record.len);
	if (*record == NULL) {
		st = FUSEKEY_ERR_NO_MEMORY;
		goto out;
	}
	memcpy(msg3, resp->msg3.data, FK_DH_MSG3_FIXED_SIZE);
	memcpy(*record, resp->key_record.data, resp->key_record.len);
	*record_len = resp->key_record.len;
	st = FUSEKEY_OK;
out:
	if (resp != NULL)
		fusekey__v1__exchange_response__free_unpacked(resp, NULL);
	fk_ttrpc_result_free(&res);
	free(body);
	return st;
}

/* The grant must be for what we asked: this container, this launch digest. */
static fusekey_status grant_check(const struct fk_key_grant *g, const char *cid,
				  const uint8_t *launch_digest)
{
	static const uint8_t zero[FK_GRANT_LAUNCH_SIZE];
	size_t cid_len = strlen(cid);

	if (memcmp(g->magic, FK_GRANT_MAGIC, sizeof(g->magic)) != 0 ||
	    fk_le16(g->version) != FK_GRANT_VERSION || (g->key_len != 16 && g->key_len != 32) ||
	    g->reserved[0] != 0 || g->reserved[1] != 0)
		return FUSEKEY_ERR_FORMAT;
	if (fk_le16(g->cid_len) != cid_len || memcmp(g->container_id, cid, cid_len) != 0)
		return FUSEKEY_ERR_WRONG_CONTAINER;
	if (g->has_launch != (launch_digest != NULL ? 1 : 0) ||
	    memcmp(g->launch_digest, launch_digest != NULL ? launch_digest : zero,
		   FK_GRANT_LAUNCH_SIZE) != 0)
		return FUSEKEY_ERR_REFUSED;
	return FUSEKEY_OK;
}

static fusekey_status la_get(const struct fk_delivery_req *q, uint8_t *key, size_t *key_len)
{
	char scratch[8];
	char *why = q->why != NULL ? q->why : scratch;
	size_t why_len = q->why != NULL ? q->why_len : sizeof(scratch);
	struct fk_ttrpc_client *c = NULL;
	struct fk_dh_session s;
	struct fk_dh_msg1 msg1;
	struct fk_dh_msg2 msg2;
	struct fk_dh_expect expect;
	struct fk_key_grant grant;
	uint8_t sid[FK_KEYSERVICE_SESSION_ID_SIZE];
	uint8_t msg3[FK_DH_MSG3_FIXED_SIZE];
	uint8_t *record = NULL;
	size_t record_len = 0, grant_len = 0, cap = *key_len;
	int64_t timeout_ns = (int64_t)(q->timeout_ms ? q->timeout_ms : 5000) * 1000000;
	enum fk_dh_mismatch mismatch = FK_DH_MISMATCH_NONE;
	fusekey_status st;

	memset(&s, 0, sizeof(s));
	memset(&grant, 0, sizeof(grant));
	memset(key, 0, cap);
	if (why_len > 0)
		why[0] = '\0';
	st = fk_la_expect_from_agent(q->agent, &expect);
	if (st != FUSEKEY_OK)
		goto out;
	st = fk_ttrpc_client_connect(q->socket_path, &c);
	if (st != FUSEKEY_OK)
		goto out;
	/* Replies come in ~100 us: wait for them awake (fk_ttrpc_client_set_spin). */
	fk_ttrpc_client_set_spin(c, FK_LA_CLIENT_SPIN_US);
	if ((st = fk_dh_init(&s, FK_DH_ROLE_INITIATOR)) != FUSEKEY_OK)
		goto out;
	st = fk_la_open(c, timeout_ns, &s, sid, &msg1, why, why_len);
	if (st != FUSEKEY_OK)
		goto closed;
	if ((st = fk_dh_initiator_proc_msg1(&s, q->p, FK_DH_VERSION_DEFAULT, &msg1, &msg2)) !=
	    FUSEKEY_OK)
		goto out;
	st = fk_la_exchange(c, timeout_ns, sid, &msg2, q->cid, q->launch_digest, msg3, &record,
			 &record_len, why, why_len);
	if (st != FUSEKEY_OK)
		goto closed;
	if ((st = fk_dh_initiator_proc_msg3(&s, q->p, msg3, sizeof(msg3))) != FUSEKEY_OK)
		goto out;
	/* The agent must be the one we accept before anything it sent is used. */
	st = fk_dh_check_peer(&s, &expect, 1, NULL, &mismatch);
	if (st != FUSEKEY_OK) {
		snprintf(why, why_len, "the key service is not the expected agent enclave (%s)",
			 fk_dh_mismatch_name(mismatch));
		goto out;
	}
	st = fk_dh_open(&s, record, record_len, (uint8_t *)&grant, sizeof(grant), &grant_len);
	if (st != FUSEKEY_OK)
		goto out;
	if (grant_len != sizeof(grant)) {
		st = FUSEKEY_ERR_FORMAT;
		goto out;
	}
	st = grant_check(&grant, q->cid, q->launch_digest);
	if (st != FUSEKEY_OK)
		goto out;
	if (cap < grant.key_len) {
		st = FUSEKEY_ERR_INVALID_PARAMETER;
		goto out;
	}
	memcpy(key, grant.key, grant.key_len);
	*key_len = grant.key_len;
	goto out;
closed:
	/*
	 * The service was reached, then closed the connection without answering:
	 * it refused this client (SO_PEERCRED filter, connection limit) or went
	 * away. Only "nothing listens" may lead to the fallback: fail closed.
	 */
	if (st == FUSEKEY_ERR_UNAVAILABLE) {
		st = FUSEKEY_ERR_REFUSED;
		snprintf(why, why_len, "the key service closed the connection without answering");
	}
out:
	fk_dh_wipe(&s);
	FK_WIPE(grant);
	if (record != NULL) {
		fk_wipe(record, record_len);
		free(record);
	}
	fk_ttrpc_client_free(c);
	if (st != FUSEKEY_OK)
		fk_wipe(key, cap);
	return st;
}

const struct fk_method_ops fk_method_la = {
	.name = "la",
	.id = FUSEKEY_METHOD_LA,
	.file_name = FK_BUNDLE_LA_NAME,
	.generate = la_generate,
	.get = la_get,
};
