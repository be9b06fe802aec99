/* SPDX-License-Identifier: Apache-2.0 */
/*
 * loadclient: many app enclaves at one running fusekeyd at once, for the
 * service tests (tests/service/load.sh, fds.sh).
 *
 *   loadclient --socket S --sim-dir D --enclave APP.sig --agent-mrenclave HEX
 *              --container CID --key HEX --clients N [--threads T]
 *              [--expect released|refused] [--daemon-pid PID]
 *
 * 1. opens N connections (raising RLIMIT_NOFILE up to the hard limit);
 * 2. sends Open on every one of them before reading any reply;
 * 3. reads the N replies (N sessions are now open in the daemon: with
 *    --daemon-pid its VmRSS and open descriptors are sampled here);
 * 4. T threads run each session to its end as fusekey get does
 *    (src/delivery/fk_method_la.c): msg2 from our initiator, Exchange, msg3,
 *    the agent's MRENCLAVE checked, the record opened; with --expect released
 *    (the default) every grant must be for CID and hold exactly the key
 *    given; with --expect refused every Exchange must be answered
 *    7 PERMISSION_DENIED (the policy's refusal) and nothing else.
 * Prints two lines of figures and exits 0 when all N went as expected.
 * It prints the key only in error text as "differs", never its bytes.
 */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "delivery/fk_forms.h"
#include "delivery/fk_wire.h"
#include "keyservice.pb-c.h"
#include "la/fk_dh.h"
#include "platform/fk_sigstruct.h"
#include "platform/fk_sim.h"
#include "ttrpc/fk_ttrpc.h"
#include "util/fk_file.h"
#include "util/fk_hex.h"

enum {
	MAX_CLIENTS = 100000,
	MAX_THREADS = 64,
};
static const int64_t CALL_TIMEOUT_NS = 60LL * 1000000000; /* only a hang gets near this */

struct args {
	const char *sock, *sim_dir, *enclave, *agent_hex, *cid, *key_hex;
	unsigned long clients, threads;
	long daemon_pid;
	bool expect_refused;
};

struct client {
	struct fk_ttrpc_client *c;
	uint32_t open_sid;
	uint8_t sid[FK_KEYSERVICE_SESSION_ID_SIZE];
	struct fk_dh_msg1 msg1;
};

struct shared {
	const struct args *a;
	struct fk_sim_state st;
	struct fk_sgx_identity app;
	uint8_t agent_mre[FK_SGX_HASH_SIZE];
	size_t key_hex_len; /* the expected key, compared in its hex form (lowercase) */
	struct client *cl;
};

struct worker {
	pthread_t th;
	struct shared *sh;
	unsigned long first, step;
	unsigned long ok, failed;
	char first_error[320];
};

static long long now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static bool parse_ul(const char *s, unsigned long max, unsigned long *out)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v > max)
		return false;
	*out = v;
	return true;
}

static bool parse_args(int argc, char **argv, struct args *a)
{
	unsigned long pid = 0;
	memset(a, 0, sizeof(*a));
	a->threads = 4;
	a->daemon_pid = -1;
	for (int i = 1; i + 1 < argc; i += 2) {
		const char *k = argv[i], *v = argv[i + 1];
		if (strcmp(k, "--socket") == 0)
			a->sock = v;
		else if (strcmp(k, "--sim-dir") == 0)
			a->sim_dir = v;
		else if (strcmp(k, "--enclave") == 0)
			a->enclave = v;
		else if (strcmp(k, "--agent-mrenclave") == 0)
			a->agent_hex = v;
		else if (strcmp(k, "--container") == 0)
			a->cid = v;
		else if (strcmp(k, "--key") == 0)
			a->key_hex = v;
		else if (strcmp(k, "--clients") == 0) {
			if (!parse_ul(v, MAX_CLIENTS, &a->clients) || a->clients == 0)
				return false;
		} else if (strcmp(k, "--threads") == 0) {
			if (!parse_ul(v, MAX_THREADS, &a->threads) || a->threads == 0)
				return false;
		} else if (strcmp(k, "--daemon-pid") == 0) {
			if (!parse_ul(v, 1UL << 30, &pid) || pid == 0)
				return false;
			a->daemon_pid = (long)pid;
		} else if (strcmp(k, "--expect") == 0) {
			if (strcmp(v, "refused") == 0)
				a->expect_refused = true;
			else if (strcmp(v, "released") != 0)
				return false;
		} else
			return false;
	}
	return (argc % 2) == 1 && a->sock && a->sim_dir && a->enclave && a->agent_hex && a->cid &&
	       a->key_hex && a->clients > 0;
}

/* The app enclave's identity from its SIGSTRUCT, as fusekey_ctx_open_sim does. */
static fusekey_status load_app(struct shared *sh)
{
	char dir[4096];
	struct fk_sgx_sigstruct ss;
	uint8_t *buf = NULL;
	size_t len = 0;
	fusekey_status s;

	if ((s = fk_sim_dir_resolve(sh->a->sim_dir, dir, sizeof(dir))) != FUSEKEY_OK ||
	    (s = fk_sim_dir_load(dir, &sh->st)) != FUSEKEY_OK ||
	    (s = fk_file_read(sh->a->enclave, sizeof(ss), &buf, &len)) != FUSEKEY_OK)
		goto out;
	if (len != sizeof(ss)) {
		s = FUSEKEY_ERR_FORMAT;
		goto out;
	}
	memcpy(&ss, buf, sizeof(ss));
	s = fk_sigstruct_to_identity(&ss, NULL, 0, &sh->app);
out:
	fk_file_free(buf, len);
	return s;
}

/* "Open"'s reply: the session id and msg1. */
static bool take_open(struct client *cl, char *err, size_t err_len)
{
	struct fk_ttrpc_result r;
	Fusekey__V1__OpenResponse *o = NULL;
	fusekey_status st;
	bool ok = false;

	memset(&r, 0, sizeof(r));
	st = fk_ttrpc_client_wait(cl->c, cl->open_sid, CALL_TIMEOUT_NS, &r);
	if (st != FUSEKEY_OK) {
		snprintf(err, err_len, "Open: %s", fusekey_status_name(st));
		goto out;
	}
	if (r.code != FK_TTRPC_OK) {
		snprintf(err, err_len, "Open answered %u '%s'", r.code, r.message);
		goto out;
	}
	o = fusekey__v1__open_response__unpack(NULL, r.payload_len, r.payload);
	if (o == NULL || o->session_id.len != sizeof(cl->sid) || o->msg1.len != sizeof(cl->msg1)) {
		snprintf(err, err_len, "Open: malformed OpenResponse");
		goto out;
	}
	memcpy(cl->sid, o->session_id.data, sizeof(cl->sid));
	memcpy(&cl->msg1, o->msg1.data, sizeof(cl->msg1));
	ok = true;
out:
	if (o != NULL)
		fusekey__v1__open_response__free_unpacked(o, NULL);
	fk_ttrpc_result_free(&r);
	return ok;
}

/* One session from msg1 to the key (or to the refusal), on this thread's platform. */
static bool run_session(struct shared *sh, struct fk_platform *p, struct client *cl, char *err,
			size_t err_len)
{
	Fusekey__V1__ExchangeRequest req = FUSEKEY__V1__EXCHANGE_REQUEST__INIT;
	Fusekey__V1__ExchangeResponse *resp = NULL;
	struct fk_ttrpc_result r;
	struct fk_dh_session s;
	struct fk_dh_msg2 msg2;
	struct fk_dh_expect e;
	struct fk_key_grant g;
	enum fk_dh_mismatch why = FK_DH_MISMATCH_NONE;
	uint8_t body[1024];
	char key_hex[2 * FUSEKEY_KEY_MAX + 1];
	size_t body_len, pt_len = 0, cid_len = strlen(sh->a->cid);
	fusekey_status st;
	bool ok = false;

	memset(&r, 0, sizeof(r));
	memset(&s, 0, sizeof(s));
	memset(&g, 0, sizeof(g));
	memset(&e, 0, sizeof(e));
	e.fields = FK_DH_EXPECT_MRENCLAVE;
	memcpy(e.mr_enclave, sh->agent_mre, sizeof(e.mr_enclave));
	if ((st = fk_dh_init(&s, FK_DH_ROLE_INITIATOR)) != FUSEKEY_OK ||
	    (st = fk_dh_initiator_proc_msg1(&s, p, FK_DH_VERSION_DEFAULT, &cl->msg1, &msg2)) !=
		    FUSEKEY_OK) {
		snprintf(err, err_len, "msg1: %s", fusekey_status_name(st));
		goto out;
	}
	req.session_id.data = cl->sid;
	req.session_id.len = sizeof(cl->sid);
	req.msg2.data = (uint8_t *)&msg2;
	req.msg2.len = sizeof(msg2);
	req.container_id = (char *)(uintptr_t)sh->a->cid;
	if (fusekey__v1__exchange_request__get_packed_size(&req) > sizeof(body)) {
		snprintf(err, err_len, "ExchangeRequest too large");
		goto out;
	}
	body_len = fusekey__v1__exchange_request__pack(&req, body);
	st = fk_ttrpc_client_call(cl->c, FK_KEYSERVICE_NAME, "Exchange", body, body_len, NULL, 0,
				  CALL_TIMEOUT_NS, &r);
	if (st != FUSEKEY_OK) {
		snprintf(err, err_len, "Exchange: %s", fusekey_status_name(st));
		goto out;
	}
	if (sh->a->expect_refused) {
		ok = r.code == FK_TTRPC_PERMISSION_DENIED && r.payload_len == 0;
		if (!ok)
			snprintf(err, err_len, "Exchange answered %u '%s', want 7", r.code,
				 r.message);
		goto out;
	}
	if (r.code != FK_TTRPC_OK) {
		snprintf(err, err_len, "Exchange answered %u '%s'", r.code, r.message);
		goto out;
	}
	resp = fusekey__v1__exchange_response__unpack(NULL, r.payload_len, r.payload);
	if (resp == NULL || resp->msg3.len != FK_DH_MSG3_FIXED_SIZE ||
	    resp->key_record.len != fk_dh_record_size(sizeof(g))) {
		snprintf(err, err_len, "malformed ExchangeResponse");
		goto out;
	}
	if ((st = fk_dh_initiator_proc_msg3(&s, p, resp->msg3.data, resp->msg3.len)) !=
	    FUSEKEY_OK) {
		snprintf(err, err_len, "msg3: %s", fusekey_status_name(st));
		goto out;
	}
	if (fk_dh_check_peer(&s, &e, 1, NULL, &why) != FUSEKEY_OK) {
		snprintf(err, err_len, "the service is not the expected agent (%s)",
			 fk_dh_mismatch_name(why));
		goto out;
	}
	if ((st = fk_dh_open(&s, resp->key_record.data, resp->key_record.len, (uint8_t *)&g,
			     sizeof(g), &pt_len)) != FUSEKEY_OK ||
	    pt_len != sizeof(g)) {
		snprintf(err, err_len, "record: %s", fusekey_status_name(st));
		goto out;
	}
	if (memcmp(g.magic, FK_GRANT_MAGIC, sizeof(g.magic)) != 0 ||
	    fk_le16(g.cid_len) != cid_len || memcmp(g.container_id, sh->a->cid, cid_len) != 0 ||
	    g.has_launch != 0) {
		snprintf(err, err_len, "the grant is not for container %s", sh->a->cid);
		goto out;
	}
	/* In hex, as --key came: the key never goes through a decoder that branches. */
	if ((size_t)g.key_len * 2 != sh->key_hex_len ||
	    fk_form_hex(g.key, g.key_len, key_hex, sizeof(key_hex)) != FUSEKEY_OK ||
	    !fk_ct_equal(key_hex, sh->a->key_hex, sh->key_hex_len)) {
		snprintf(err, err_len, "the key released differs from the expected key");
		goto out;
	}
	ok = true;
out:
	if (resp != NULL)
		fusekey__v1__exchange_response__free_unpacked(resp, NULL);
	fk_ttrpc_result_free(&r);
	fk_dh_wipe(&s);
	FK_WIPE(g);
	FK_WIPE(key_hex);
	return ok;
}

static void *work(void *arg)
{
	struct worker *w = arg;
	struct fk_platform *p = NULL;
	char err[256];

	/* A platform per thread: one object is not meant for several threads. */
	if (fk_sim_platform_new(&w->sh->st, &w->sh->app, &p) != FUSEKEY_OK) {
		snprintf(w->first_error, sizeof(w->first_error), "platform");
		w->failed = w->sh->a->clients; /* counted as all failed */
		return NULL;
	}
	for (unsigned long i = w->first; i < w->sh->a->clients; i += w->step) {
		if (run_session(w->sh, p, &w->sh->cl[i], err, sizeof(err))) {
			w->ok++;
		} else {
			if (w->failed++ == 0)
				snprintf(w->first_error, sizeof(w->first_error), "client %lu: %s", i,
					 err);
		}
	}
	fk_platform_destroy(p);
	return NULL;
}

/* VmRSS / VmHWM (kB) of a process; -1 when not readable. */
static void proc_mem(long pid, long *rss_kb, long *hwm_kb)
{
	char path[64], line[256];
	FILE *f;

	*rss_kb = *hwm_kb = -1;
	snprintf(path, sizeof(path), "/proc/%ld/status", pid);
	f = fopen(path, "r");
	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, "VmRSS:", 6) == 0)
			*rss_kb = strtol(line + 6, NULL, 10);
		else if (strncmp(line, "VmHWM:", 6) == 0)
			*hwm_kb = strtol(line + 6, NULL, 10);
	}
	fclose(f);
}

/* Open descriptors of a process; -1 when not readable. */
static long proc_fds(long pid)
{
	char path[64];
	DIR *d;
	struct dirent *e;
	long n = 0;

	snprintf(path, sizeof(path), "/proc/%ld/fd", pid);
	d = opendir(path);
	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

/* Enough descriptors for N connections and a few more. */
static bool raise_nofile(unsigned long n)
{
	struct rlimit rl;
	rlim_t want = (rlim_t)n + 64;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return false;
	if (rl.rlim_cur >= want)
		return true;
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < want) {
		fprintf(stderr,
			"loadclient: error: %lu connections need %lu descriptors; the hard "
			"limit is %lu\n",
			n, (unsigned long)want, (unsigned long)rl.rlim_max);
		return false;
	}
	rl.rlim_cur = want;
	return setrlimit(RLIMIT_NOFILE, &rl) == 0;
}

static double ms(long long us)
{
	return (double)us / 1000.0;
}

int main(int argc, char **argv)
{
	struct args a;
	struct shared sh;
	struct worker w[MAX_THREADS];
	long long t0, t_conn, t_open, t_end;
	long rss_open = -1, hwm_open = -1, fds_open = -1, rss_end = -1, hwm_end = -1;
	unsigned long ok = 0, failed = 0, started = 0;
	int rc = 1;

	memset(&sh, 0, sizeof(sh));
	memset(w, 0, sizeof(w));
	if (!parse_args(argc, argv, &a)) {
		fprintf(stderr, "usage: loadclient --socket S --sim-dir D --enclave APP.sig "
				"--agent-mrenclave HEX --container CID --key HEX --clients N "
				"[--threads T] [--expect released|refused] [--daemon-pid PID]\n");
		return 2;
	}
	sh.a = &a;
	sh.key_hex_len = strlen(a.key_hex);
	if (!fk_hex_decode(a.agent_hex, sh.agent_mre, sizeof(sh.agent_mre), FK_HEX_ANY_CASE) ||
	    (sh.key_hex_len != 32 && sh.key_hex_len != 64)) {
		fprintf(stderr, "loadclient: error: --agent-mrenclave must be 64 hex digits, --key "
				"32 or 64 lowercase hex digits\n");
		return 2;
	}
	if (!raise_nofile(a.clients))
		return 1;
	if (load_app(&sh) != FUSEKEY_OK) {
		fprintf(stderr, "loadclient: error: cannot load the app enclave (%s, %s)\n",
			a.sim_dir, a.enclave);
		goto out;
	}
	sh.cl = calloc(a.clients, sizeof(*sh.cl));
	if (sh.cl == NULL)
		goto out;

	t0 = now_us();
	for (unsigned long i = 0; i < a.clients; i++) {
		fusekey_status st = fk_ttrpc_client_connect(a.sock, &sh.cl[i].c);
		if (st != FUSEKEY_OK) {
			fprintf(stderr, "loadclient: error: connection %lu: %s\n", i,
				fusekey_status_name(st));
			goto out;
		}
	}
	t_conn = now_us();
	/* Every Open goes out before any reply is read. */
	for (unsigned long i = 0; i < a.clients; i++) {
		fusekey_status st = fk_ttrpc_client_send(sh.cl[i].c, FK_KEYSERVICE_NAME, "Open",
							 NULL, 0, NULL, 0, CALL_TIMEOUT_NS,
							 &sh.cl[i].open_sid);
		if (st != FUSEKEY_OK) {
			fprintf(stderr, "loadclient: error: Open on connection %lu: %s\n", i,
				fusekey_status_name(st));
			goto out;
		}
	}
	for (unsigned long i = 0; i < a.clients; i++) {
		char err[256];
		if (!take_open(&sh.cl[i], err, sizeof(err))) {
			fprintf(stderr, "loadclient: error: client %lu: %s\n", i, err);
			goto out;
		}
	}
	t_open = now_us();
	if (a.daemon_pid > 0) { /* N connections and N sessions open in the daemon */
		proc_mem(a.daemon_pid, &rss_open, &hwm_open);
		fds_open = proc_fds(a.daemon_pid);
	}
	for (unsigned long t = 0; t < a.threads; t++) {
		w[t].sh = &sh;
		w[t].first = t;
		w[t].step = a.threads;
		if (pthread_create(&w[t].th, NULL, work, &w[t]) != 0) {
			fprintf(stderr, "loadclient: error: pthread_create\n");
			break;
		}
		started++;
	}
	for (unsigned long t = 0; t < started; t++) {
		pthread_join(w[t].th, NULL);
		ok += w[t].ok;
		failed += w[t].failed;
		if (w[t].failed > 0)
			fprintf(stderr, "loadclient: error: thread %lu: %lu failed, first: %s\n", t,
				w[t].failed, w[t].first_error);
	}
	t_end = now_us();
	if (a.daemon_pid > 0)
		proc_mem(a.daemon_pid, &rss_end, &hwm_end);
	printf("clients=%lu %s=%lu failed=%lu connect_ms=%.1f open_ms=%.1f exchange_ms=%.1f "
	       "total_ms=%.1f\n",
	       a.clients, a.expect_refused ? "refused" : "released", ok, failed, ms(t_conn - t0),
	       ms(t_open - t_conn), ms(t_end - t_open), ms(t_end - t0));
	if (a.daemon_pid > 0)
		printf("daemon_fds_with_all_open=%ld daemon_rss_kb_with_all_open=%ld "
		       "daemon_rss_kb_end=%ld daemon_hwm_kb=%ld\n",
		       fds_open, rss_open, rss_end, hwm_end > hwm_open ? hwm_end : hwm_open);
	rc = ok == a.clients && failed == 0 ? 0 : 1;
out:
	if (sh.cl != NULL)
		for (unsigned long i = 0; i < a.clients; i++)
			fk_ttrpc_client_free(sh.cl[i].c);
	free(sh.cl);
	fk_sim_state_clear(&sh.st);
	fflush(stdout);
	return rc;
}
