/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The key service's handlers (src/service/fk_keyservice.h) on
 * attacker-controlled payloads, without a socket: the handlers are called
 * through fk_keyservice_methods() with a hand-made struct fk_ttrpc_call, as
 * the ttrpc server would call them.
 *
 * One emulated machine in sdk-compat state runs the agent (MRENCLAVE A0..,
 * MRSIGNER 55..) and an app (MRENCLAVE B0.., MRSIGNER 55..). Once, in a
 * scratch directory (removed at exit), the agent generates by method la the
 * keys of "web" and "job". The policy:
 *   web   -> the app's MRENCLAVE
 *   job   -> signer 55.., ISVPRODID 1, ISVSVN >= 2, launch digest L
 *   db    -> MRENCLAVE C0.. (not the app)
 *   nokey -> the app's MRENCLAVE, but no key was generated
 *
 * The first input byte selects the path (bits 0-1); the rest is a payload:
 *   path 0: Open(rest);
 *   path 1: Exchange(rest), while no session is open;
 *   path 2: Open, then Exchange(rest as an ExchangeRequest, its session_id
 *           replaced by the live one; undecodable: an empty request);
 *   path 3: Open, an honest msg2 from the app, then Exchange(rest as an
 *           ExchangeRequest, session_id and msg2 replaced by the honest
 *           ones): the fuzzer picks container id and launch digest.
 *
 * Properties (abort() on violation):
 *   - no crash, no leak (the harness frees the reply payload as the server
 *     does); a reply other than OK carries no payload and a valid UTF-8
 *     message;
 *   - Open: OK or INVALID_ARGUMENT; OK gives a 16-byte session id and a
 *     576-byte msg1;
 *   - Exchange with no live session: INVALID_ARGUMENT or NOT_FOUND, never OK;
 *   - Exchange on a live session with the fuzzer's msg2: never OK (an honest
 *     msg2 needs the session's ephemeral key); INVALID_ARGUMENT leaves the
 *     session open, anything else consumes it (single use: the next Exchange
 *     on it is NOT_FOUND);
 *   - the honest path: the code is exactly what the policy table above
 *     predicts (INVALID_ARGUMENT for a bad container id or launch digest
 *     length, PERMISSION_DENIED for a refusal, NOT_FOUND for nokey, OK for
 *     web, and for job with L); on OK the app's side accepts msg3, the agent
 *     passes the app's check, and the record opens to a grant for exactly
 *     the container and launch digest asked, holding the key generated;
 *   - every decision log line is JSON and never holds a key; after each
 *     input no session is left open.
 */
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "delivery/fk_api.h"
#include "delivery/fk_bundle.h"
#include "delivery/fk_wire.h"
#include "fuzz.h"
#include "util/fk_hex.h"
#include "keyservice.pb-c.h"
#include "la/fk_dh.h"
#include "platform/fk_sim.h"
#include "policy/fk_policy.h"
#include "service/fk_keyservice.h"

enum { MRE_AGENT = 0xA0, MRE_APP = 0xB0, MRE_DB = 0xC0, SIGNER = 0x55 };
static const uint8_t launch_job[FK_LAUNCH_DIGEST_SIZE] = {0x4c, 0x61, 0x75, 0x6e, 0x63, 0x68};

struct world {
	char dir[256], bundle[300];
	struct fk_platform *agent, *app;
	struct fk_policy *policy;
	struct fk_keyservice *ks;
	const struct fk_ttrpc_method *open, *exchange;
	uint8_t web_key[16], job_key[16];
	char web_hex[33], job_hex[33];
};

static struct world W;

/*
 * Decision log: one JSON object per line, never a key. The line names the
 * container id the request gave: a fuzzer that learns a key's hex from the
 * comparison below can make it the id, and the log then quotes the
 * attacker's own text, which is no leak.
 */
static void check_log(void *arg, const char *line)
{
	json_t *o = json_loads(line, 0, NULL);
	const char *cid;
	(void)arg;
	need(json_is_object(o));
	cid = json_string_value(json_object_get(o, "container"));
	if (cid == NULL || strstr(cid, W.web_hex) == NULL)
		need(strstr(line, W.web_hex) == NULL);
	if (cid == NULL || strstr(cid, W.job_hex) == NULL)
		need(strstr(line, W.job_hex) == NULL);
	json_decref(o);
}

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void world_cleanup(void)
{
	fk_keyservice_free(W.ks);
	fk_policy_free(W.policy);
	fk_platform_destroy(W.agent);
	fk_platform_destroy(W.app);
	if (W.dir[0] != '\0')
		(void)nftw(W.dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void identity(struct fk_sgx_identity *id, uint8_t mre)
{
	memset(id, 0, sizeof(*id));
	id->flags = FK_SGX_FLAGS_INITTED | FK_SGX_FLAGS_MODE64BIT; /* production */
	id->xfrm = 0x3;
	memset(id->mr_enclave, mre, sizeof(id->mr_enclave));
	memset(id->mr_signer, SIGNER, sizeof(id->mr_signer));
	id->isv_prod_id = 1;
	id->isv_svn = 2;
}

static void make_policy(void)
{
	char app[65], db[65], signer[65], launch[65], text[1024];
	uint8_t b[32];
	struct fk_policy_error err;

	memset(b, MRE_APP, sizeof(b));
	fk_hex_encode(b, 32, app);
	memset(b, MRE_DB, sizeof(b));
	fk_hex_encode(b, 32, db);
	memset(b, SIGNER, sizeof(b));
	fk_hex_encode(b, 32, signer);
	fk_hex_encode(launch_job, 32, launch);
	snprintf(text, sizeof(text),
		 "{\"version\": 1, \"containers\": {\n"
		 "  \"web\": [{\"mr_enclave\": [\"%s\"]}],\n"
		 "  \"job\": [{\"mr_signer\": \"%s\", \"isv_prod_id\": 1, \"min_isv_svn\": 2,\n"
		 "            \"launch_digest\": \"%s\"}],\n"
		 "  \"db\": [{\"mr_enclave\": [\"%s\"]}],\n"
		 "  \"nokey\": [{\"mr_enclave\": [\"%s\"]}]}}\n",
		 app, signer, launch, db, app);
	need_ok(fk_policy_parse((const uint8_t *)text, strlen(text), "fuzz-policy", &W.policy,
				&err));
}

static void world_init(void)
{
	struct fk_sim_state st;
	struct fk_sgx_identity id;
	struct fusekey_key_opts o;
	struct fk_keyservice_config kc;
	fusekey_ctx *ctx = NULL;
	const char *tmp = getenv("TMPDIR");
	const struct fk_ttrpc_method *m;
	size_t n = 0;

	snprintf(W.dir, sizeof(W.dir), "%s/fusekey-fuzz-ks.XXXXXX",
		 tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
	need(mkdtemp(W.dir) != NULL);
	atexit(world_cleanup);
	snprintf(W.bundle, sizeof(W.bundle), "%s/bundle", W.dir);
	need(mkdir(W.bundle, 0700) == 0);

	fk_sim_state_sdk_compat(&st, FK_SIM_CPUSVN_DEFAULT);
	identity(&id, MRE_AGENT);
	need_ok(fk_sim_platform_new(&st, &id, &W.agent));
	identity(&id, MRE_APP);
	need_ok(fk_sim_platform_new(&st, &id, &W.app));
	fk_sim_state_clear(&st);

	/* The agent makes the keys, as `fusekey generate --method la` does. */
	need_ok(fk_ctx_wrap(W.agent, &ctx));
	memset(&o, 0, sizeof(o));
	o.method = FUSEKEY_METHOD_LA;
	o.bundle_dir = W.bundle;
	need_ok(fusekey_generate(ctx, "web", &o, W.web_key, sizeof(W.web_key)));
	need_ok(fusekey_generate(ctx, "job", &o, W.job_key, sizeof(W.job_key)));
	fusekey_ctx_free(ctx);
	/* test harness: the keys in hex, to prove they never reach a log line */
	fk_hex_encode(W.web_key, 16, W.web_hex);
	fk_hex_encode(W.job_key, 16, W.job_hex);
	make_policy();

	memset(&kc, 0, sizeof(kc));
	kc.platform = W.agent;
	kc.policy = W.policy;
	kc.bundle_dir = W.bundle;
	kc.max_sessions = 4; /* every path closes what it opens */
	kc.log = check_log;
	need_ok(fk_keyservice_new(&kc, &W.ks));
	m = fk_keyservice_methods(W.ks, &n);
	for (size_t i = 0; i < n; i++) {
		need(strcmp(m[i].service, FK_KEYSERVICE_NAME) == 0);
		if (strcmp(m[i].method, "Open") == 0)
			W.open = &m[i];
		else if (strcmp(m[i].method, "Exchange") == 0)
			W.exchange = &m[i];
	}
	need(W.open != NULL && W.exchange != NULL);
}

/* ---- calling a handler as the server does ---- */

struct reply {
	uint32_t code;
	uint8_t *payload;
	size_t payload_len;
};

static void call(const struct fk_ttrpc_method *m, const uint8_t *payload, size_t len,
		 struct reply *out)
{
	struct fk_ttrpc_request_msg req;
	struct fk_ttrpc_peer peer;
	struct fk_ttrpc_call c;
	struct fk_ttrpc_reply rep;

	memset(&req, 0, sizeof(req));
	req.service = (char *)(uintptr_t)m->service;
	req.method = (char *)(uintptr_t)m->method;
	req.payload = len != 0 ? (uint8_t *)(uintptr_t)payload : NULL;
	req.payload_len = len;
	memset(&peer, 0, sizeof(peer));
	memset(&c, 0, sizeof(c));
	c.stream_id = 1;
	c.req = &req;
	c.peer = &peer;
	memset(&rep, 0, sizeof(rep)); /* what the server sets: OK, nothing else */
	m->handler(m->arg, &c, &rep);
	if (rep.code != FK_TTRPC_OK) {
		need(rep.payload == NULL && rep.payload_len == 0);
		need(rep.message != NULL && fk_ttrpc_utf8_valid(rep.message, strlen(rep.message)));
	} else {
		need((rep.payload == NULL) == (rep.payload_len == 0));
	}
	out->code = rep.code;
	out->payload = rep.payload;
	out->payload_len = rep.payload_len;
}

static void reply_free(struct reply *r)
{
	if (r->payload != NULL) {
		fk_wipe(r->payload, r->payload_len);
		free(r->payload);
	}
	memset(r, 0, sizeof(*r));
}

static void open_session(uint8_t sid[FK_KEYSERVICE_SESSION_ID_SIZE], struct fk_dh_msg1 *msg1)
{
	struct reply r;
	Fusekey__V1__OpenResponse *resp;

	call(W.open, NULL, 0, &r);
	need(r.code == FK_TTRPC_OK);
	resp = fusekey__v1__open_response__unpack(NULL, r.payload_len, r.payload);
	need(resp != NULL && resp->session_id.len == FK_KEYSERVICE_SESSION_ID_SIZE &&
	     resp->msg1.len == sizeof(*msg1));
	memcpy(sid, resp->session_id.data, FK_KEYSERVICE_SESSION_ID_SIZE);
	if (msg1 != NULL)
		memcpy(msg1, resp->msg1.data, sizeof(*msg1));
	fusekey__v1__open_response__free_unpacked(resp, NULL);
	reply_free(&r);
}

/* Exchange on session sid with a well-formed request whose msg2 is zero. */
static uint32_t exchange_zero(const uint8_t sid[FK_KEYSERVICE_SESSION_ID_SIZE])
{
	static const uint8_t zero_msg2[sizeof(struct fk_dh_msg2)];
	Fusekey__V1__ExchangeRequest req = FUSEKEY__V1__EXCHANGE_REQUEST__INIT;
	uint8_t body[1024];
	struct reply r;
	size_t n;
	uint32_t code;

	req.session_id.data = (uint8_t *)(uintptr_t)sid;
	req.session_id.len = FK_KEYSERVICE_SESSION_ID_SIZE;
	req.msg2.data = (uint8_t *)(uintptr_t)zero_msg2;
	req.msg2.len = sizeof(zero_msg2);
	req.container_id = (char *)(uintptr_t) "web";
	n = fusekey__v1__exchange_request__get_packed_size(&req);
	need(n <= sizeof(body));
	fusekey__v1__exchange_request__pack(&req, body);
	call(W.exchange, body, n, &r);
	code = r.code;
	reply_free(&r);
	return code;
}

/*
 * After an Exchange on a live session answered `code`: INVALID_ARGUMENT is
 * refused before the session is looked up, so it is still open (a zero msg2
 * then fails the handshake and closes it); anything else consumed it.
 */
static void closed_after(const uint8_t sid[FK_KEYSERVICE_SESSION_ID_SIZE], uint32_t code)
{
	if (code == FK_TTRPC_INVALID_ARGUMENT)
		need(exchange_zero(sid) == FK_TTRPC_UNAUTHENTICATED);
	need(exchange_zero(sid) == FK_TTRPC_NOT_FOUND);
}

/* A session just opened: a zero msg2 fails its handshake and closes it. */
static void close_open(const uint8_t sid[FK_KEYSERVICE_SESSION_ID_SIZE])
{
	closed_after(sid, FK_TTRPC_INVALID_ARGUMENT);
}

/* The fuzzer's ExchangeRequest, or an empty one; repacked with our replacements. */
static uint8_t *repack(const uint8_t *in, size_t n, const uint8_t *sid,
		       const struct fk_dh_msg2 *msg2, size_t *out_len,
		       Fusekey__V1__ExchangeRequest **decoded)
{
	Fusekey__V1__ExchangeRequest empty = FUSEKEY__V1__EXCHANGE_REQUEST__INIT;
	Fusekey__V1__ExchangeRequest *req = fusekey__v1__exchange_request__unpack(NULL, n, in);
	Fusekey__V1__ExchangeRequest copy = req != NULL ? *req : empty;
	uint8_t *out;

	/*
	 * Unknown fields are dropped: protobuf-c keeps some it cannot write back
	 * (a field number 0 parses, and its re-encoding does not).
	 */
	copy.base.n_unknown_fields = 0;
	copy.base.unknown_fields = NULL;
	copy.session_id.data = (uint8_t *)(uintptr_t)sid;
	copy.session_id.len = FK_KEYSERVICE_SESSION_ID_SIZE;
	if (msg2 != NULL) {
		copy.msg2.data = (uint8_t *)(uintptr_t)msg2;
		copy.msg2.len = sizeof(*msg2);
	}
	*out_len = fusekey__v1__exchange_request__get_packed_size(&copy);
	out = malloc(*out_len + 1);
	need(out != NULL);
	need(fusekey__v1__exchange_request__pack(&copy, out) == *out_len);
	*decoded = req;
	return out;
}

/* ---- paths ---- */

static void path_open(const uint8_t *in, size_t n)
{
	Fusekey__V1__OpenResponse *resp;
	struct reply r;

	call(W.open, in, n, &r);
	if (r.code != FK_TTRPC_OK) {
		need(r.code == FK_TTRPC_INVALID_ARGUMENT);
		return;
	}
	resp = fusekey__v1__open_response__unpack(NULL, r.payload_len, r.payload);
	need(resp != NULL && resp->session_id.len == FK_KEYSERVICE_SESSION_ID_SIZE &&
	     resp->msg1.len == sizeof(struct fk_dh_msg1));
	close_open(resp->session_id.data);
	fusekey__v1__open_response__free_unpacked(resp, NULL);
	reply_free(&r);
}

static void path_no_session(const uint8_t *in, size_t n)
{
	struct reply r;

	call(W.exchange, in, n, &r);
	need(r.code == FK_TTRPC_INVALID_ARGUMENT || r.code == FK_TTRPC_NOT_FOUND);
	reply_free(&r);
}

static void path_fuzzed_msg2(const uint8_t *in, size_t n)
{
	uint8_t sid[FK_KEYSERVICE_SESSION_ID_SIZE], *body;
	Fusekey__V1__ExchangeRequest *req;
	struct reply r;
	size_t len;

	open_session(sid, NULL);
	body = repack(in, n, sid, NULL, &len, &req);
	call(W.exchange, body, len, &r);
	need(r.code == FK_TTRPC_INVALID_ARGUMENT || r.code == FK_TTRPC_UNAUTHENTICATED);
	closed_after(sid, r.code);
	reply_free(&r);
	free(body);
	fusekey__v1__exchange_request__free_unpacked(req, NULL);
}

/* What the service must answer an honest app asking for cid with launch (len bytes). */
static uint32_t predicted(const char *cid, size_t launch_len, const uint8_t *launch)
{
	if ((launch_len != 0 && launch_len != FK_LAUNCH_DIGEST_SIZE) || !fk_container_id_valid(cid))
		return FK_TTRPC_INVALID_ARGUMENT;
	if (strcmp(cid, "web") == 0)
		return FK_TTRPC_OK;
	if (strcmp(cid, "job") == 0)
		return launch_len == FK_LAUNCH_DIGEST_SIZE &&
				       memcmp(launch, launch_job, FK_LAUNCH_DIGEST_SIZE) == 0
			       ? FK_TTRPC_OK
			       : FK_TTRPC_PERMISSION_DENIED;
	if (strcmp(cid, "nokey") == 0)
		return FK_TTRPC_NOT_FOUND;
	return FK_TTRPC_PERMISSION_DENIED; /* db names another enclave; the rest no entry */
}

/* The app's side of an OK: msg3, the agent's identity, then the grant. */
static void app_accepts(struct fk_dh_session *s, const struct reply *r, const char *cid,
			const ProtobufCBinaryData *launch)
{
	Fusekey__V1__ExchangeResponse *resp;
	struct fk_dh_expect agent;
	struct fk_key_grant g;
	size_t glen = 0, cid_len = strlen(cid);
	const uint8_t *key = strcmp(cid, "web") == 0 ? W.web_key : W.job_key;

	resp = fusekey__v1__exchange_response__unpack(NULL, r->payload_len, r->payload);
	need(resp != NULL);
	need_ok(fk_dh_initiator_proc_msg3(s, W.app, resp->msg3.data, resp->msg3.len));
	memset(&agent, 0, sizeof(agent));
	agent.fields = FK_DH_EXPECT_MRENCLAVE;
	memset(agent.mr_enclave, MRE_AGENT, sizeof(agent.mr_enclave));
	need_ok(fk_dh_check_peer(s, &agent, 1, NULL, NULL));
	need(resp->key_record.len == fk_dh_record_size(sizeof(g)));
	need_ok(fk_dh_open(s, resp->key_record.data, resp->key_record.len, (uint8_t *)&g,
			   sizeof(g), &glen));
	need(glen == sizeof(g) && memcmp(g.magic, FK_GRANT_MAGIC, sizeof(g.magic)) == 0);
	need(fk_le16(g.version) == FK_GRANT_VERSION && g.key_len == 16);
	need(fk_le16(g.cid_len) == cid_len && memcmp(g.container_id, cid, cid_len) == 0);
	need(g.has_launch == (launch->len == FK_LAUNCH_DIGEST_SIZE));
	if (g.has_launch)
		need(memcmp(g.launch_digest, launch->data, FK_LAUNCH_DIGEST_SIZE) == 0);
	need(memcmp(g.key, key, 16) == 0);
	FK_WIPE(g);
	fusekey__v1__exchange_response__free_unpacked(resp, NULL);
}

static void path_honest(const uint8_t *in, size_t n)
{
	uint8_t sid[FK_KEYSERVICE_SESSION_ID_SIZE], *body;
	Fusekey__V1__ExchangeRequest *req;
	struct fk_dh_session s;
	struct fk_dh_msg1 msg1;
	struct fk_dh_msg2 msg2;
	struct reply r;
	size_t len;
	uint32_t want;
	const char *cid;
	ProtobufCBinaryData launch = {0, NULL};

	open_session(sid, &msg1);
	need_ok(fk_dh_init(&s, FK_DH_ROLE_INITIATOR));
	need_ok(fk_dh_initiator_proc_msg1(&s, W.app, FK_DH_VERSION_DEFAULT, &msg1, &msg2));
	body = repack(in, n, sid, &msg2, &len, &req);
	/* protobuf-c's string: what the service reads, cut at a NUL like any C string. */
	cid = req != NULL ? req->container_id : "";
	if (req != NULL)
		launch = req->launch_digest;
	want = predicted(cid, launch.len, launch.data);
	call(W.exchange, body, len, &r);
	need(r.code == want);
	if (r.code == FK_TTRPC_OK)
		app_accepts(&s, &r, cid, &launch);
	closed_after(sid, r.code);
	reply_free(&r);
	fk_dh_wipe(&s);
	free(body);
	fusekey__v1__exchange_request__free_unpacked(req, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fk_keyservice_stats st;

	if (W.ks == NULL)
		world_init();
	if (size == 0)
		return 0;
	switch (data[0] & 3) {
	case 0:
		path_open(data + 1, size - 1);
		break;
	case 1:
		path_no_session(data + 1, size - 1);
		break;
	case 2:
		path_fuzzed_msg2(data + 1, size - 1);
		break;
	default:
		path_honest(data + 1, size - 1);
		break;
	}
	fk_keyservice_stats(W.ks, &st);
	need(st.sessions == 0);
	return 0;
}
