/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fusekeyd: the agent enclave's key service (docs/service.md). It serves
 * fusekey.v1.KeyService over ttrpc on a Unix socket: an app enclave proves
 * who it is by local attestation and receives its container's key when the
 * release policy allows it. One thread, one epoll loop.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "cli_common.h"
#include "policy/fk_policy.h"
#include "service/fk_keyservice.h"
#include "ttrpc/fk_ttrpc.h"
#include "ttrpc/fk_ttrpc_addr.h"

static const char help_text[] =
	"usage: fusekeyd --socket PATH --policy FILE --bundle DIR [--platform P]\n"
	"                [--enclave AGENT.sig] [--sim-dir DIR] [--gramine-dir DIR]\n"
	"                [--occlum-device FILE] [--allow-uid UID] [--allow-gid GID]\n"
	"                [--session-ttl-ms N] [--max-sessions N] [--max-connections N]\n"
	"                [--conn-timeout-ms N] [--log FILE]\n"
	"\n"
	"The agent enclave's key service: app enclaves connect to the Unix socket,\n"
	"prove who they are by SGX local attestation, and receive their container's\n"
	"key when the release policy allows it (docs/service.md, docs/policy.md).\n"
	"Keys are the ones `fusekey generate --method la` left in the bundle\n"
	"(<bundle>/fusekey/<cid>/key.la, sealed to this agent enclave).\n"
	"\n"
	"  --socket PATH         the socket (created 0660; its directory is created\n"
	"                        0750 if missing, and must not be writable by others)\n"
	"  --socket tcp:127.0.0.1:PORT, --socket tcp:[::1]:PORT\n"
	"                        loopback TCP instead, for apps inside a libOS whose\n"
	"                        Unix sockets never reach the host (Gramine; Occlum\n"
	"                        without untrusted_unix_socks); loopback only; port 0:\n"
	"                        one the kernel picks, named in the start line. No\n"
	"                        peer credentials on TCP: --allow-uid/gid refused\n"
	"  --policy FILE         the release policy (JSON); a bad file stops the start\n"
	"                        with its line and reason (exit 6)\n"
	"  --bundle DIR          the agent's bundle directory holding the keys\n"
	"  --platform P          auto (default: Gramine, then Occlum; never sim),\n"
	"                        gramine, occlum, or sim: the EMULATED platform, only\n"
	"                        when named (env FUSEKEY_PLATFORM; 'fusekey platform'\n"
	"                        says what auto finds and why)\n"
	"  --gramine-dir DIR     Gramine's /dev/attestation (env FUSEKEY_GRAMINE_DIR)\n"
	"  --occlum-device FILE  Occlum's /dev/sgx (env FUSEKEY_OCCLUM_DEVICE)\n"
	"  --enclave FILE        sim only, required there: the agent enclave's\n"
	"                        SIGSTRUCT (on Gramine and Occlum the agent is the\n"
	"                        enclave fusekeyd runs in)\n"
	"  --sim-dir DIR         the emulated platform's state (as for fusekey)\n"
	"  --allow-uid UID       accept connections only from this user (SO_PEERCRED)\n"
	"  --allow-gid GID       ... or from this group (either matches when both given)\n"
	"  --session-ttl-ms N    an opened session expires after N ms (default 5000)\n"
	"  --max-sessions N      open sessions at once (default 1024, at most 65536)\n"
	"  --max-connections N   connections at once (default 4096)\n"
	"  --conn-timeout-ms N   drop a connection idle or slow for N ms (default 10000)\n"
	"  --log FILE            append the JSON decision log here (default stderr)\n"
	"\n"
	"One JSON line per decision: who (uid, pid, MRENCLAVE, MRSIGNER, ISVPRODID,\n"
	"ISVSVN, DEBUG), which container, released or refused and why. Never a key.\n"
	"SIGTERM or SIGINT: stop, wipe every key and session, remove the socket.\n"
	"Exit codes as fusekey's (fusekey help): 0 stopped cleanly, 2 usage, 3 no\n"
	"platform, 6 bad policy file, 9 unsafe socket directory, 11 I/O.\n";

static struct fk_ttrpc_server *g_server;

static void on_signal(int sig)
{
	(void)sig;
	if (g_server != NULL)
		fk_ttrpc_server_stop(g_server); /* async-signal-safe */
}

struct logger {
	FILE *f;
};

static void log_line(void *arg, const char *line)
{
	struct logger *l = arg;
	fprintf(l->f, "%s\n", line);
	fflush(l->f);
}

static bool ends_with(const char *s, const char *tail)
{
	size_t n = strlen(s), t = strlen(tail);
	return n >= t && strcmp(s + n - t, tail) == 0;
}

static void log_event(struct logger *lg, const char *event, json_t *extra);

/*
 * Connection events from the server, as JSON lines too: only the ones worth
 * an operator's attention (refused, dropped, failed), not every accept and
 * orderly close, which would double the log of a busy daemon.
 */
static void log_conn(void *arg, const char *text)
{
	if (ends_with(text, " accepted") || ends_with(text, "closed: peer closed") ||
	    ends_with(text, "closed: peer hung up"))
		return;
	log_event(arg, "connection", json_pack("{s:s}", "detail", text));
}

struct peer_filter {
	bool uid_set, gid_set;
	uid_t uid;
	gid_t gid;
};

/*
 * After a reply, stay awake this long for the client's next request (the
 * Exchange follows its Open by the app's ~80 us of crypto): a sleeping vCPU
 * costs 20-40 us to wake on a VM (docs/bench.md). Only after activity, so an
 * idle daemon still uses no CPU.
 */
#define FUSEKEYD_SPIN_US 250u

static uint64_t prepare_next(void *arg)
{
	return fk_keyservice_prepare(arg);
}

static bool accept_peer(void *arg, const struct fk_ttrpc_peer *peer)
{
	const struct peer_filter *f = arg;
	if (!f->uid_set && !f->gid_set)
		return true;
	return (f->uid_set && peer->uid == f->uid) || (f->gid_set && peer->gid == f->gid);
}

/*
 * The socket's directory: created 0750 when missing; an existing one must be
 * a real directory (not a symlink) that others cannot write, or anyone could
 * replace the socket with their own.
 */
static int socket_dir(const char *socket_path)
{
	char buf[PATH_MAX];
	struct stat sb;

	if (strlen(socket_path) >= sizeof(buf)) {
		cli_err("--socket: path too long");
		return CLI_EXIT_USAGE;
	}
	memcpy(buf, socket_path, strlen(socket_path) + 1);
	const char *dir = dirname(buf);
	if (lstat(dir, &sb) != 0) {
		if (errno != ENOENT || mkdir(dir, 0750) != 0) {
			cli_err("cannot create the socket directory '%s': %s", dir, strerror(errno));
			return CLI_EXIT_IO;
		}
		return CLI_EXIT_OK;
	}
	if (!S_ISDIR(sb.st_mode)) {
		cli_err("the socket directory '%s' is not a directory", dir);
		return CLI_EXIT_PERMISSION;
	}
	if (sb.st_mode & S_IWOTH) {
		cli_err("the socket directory '%s' is writable by others (mode %03o): use a "
			"directory like 0750",
			dir, (unsigned)(sb.st_mode & 0777));
		return CLI_EXIT_PERMISSION;
	}
	return CLI_EXIT_OK;
}

static bool parse_u32(const char *name, const char *s, uint32_t min, uint32_t max, uint32_t *out)
{
	uint64_t v;
	if (!cli_parse_uint(s, max, &v) || v < min) {
		cli_usage_err("fusekeyd", "--%s must be a number in %u..%u", name, min, max);
		return false;
	}
	*out = (uint32_t)v;
	return true;
}

static void log_event(struct logger *lg, const char *event, json_t *extra)
{
	json_t *o = json_object();
	char ts[32];
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
	json_object_set_new(o, "time", json_string(ts));
	json_object_set_new(o, "event", json_string(event));
	if (extra != NULL)
		json_object_update(o, extra);
	char *line = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (line != NULL)
		log_line(lg, line);
	free(line);
	json_decref(o);
	json_decref(extra);
}

int main(int argc, char **argv)
{
	static const struct cli_opt opts[] = {
		CLI_PLATFORM_OPTS,
		{"socket", true, false, OPT_SOCKET},
		{"policy", true, false, OPT_RELEASE_POLICY},
		{"bundle", true, false, OPT_BUNDLE},
		{"allow-uid", true, false, OPT_ALLOW_UID},
		{"allow-gid", true, false, OPT_ALLOW_GID},
		{"session-ttl-ms", true, false, OPT_SESSION_TTL_MS},
		{"max-sessions", true, false, OPT_MAX_SESSIONS},
		{"max-connections", true, false, OPT_MAX_CONNECTIONS},
		{"conn-timeout-ms", true, false, OPT_CONN_TIMEOUT_MS},
		{"log", true, false, OPT_LOG_FILE},
	};
	struct cli_args a;
	struct cli_platform pl;
	struct logger lg = {stderr};
	struct peer_filter pf;
	struct fk_policy *policy = NULL;
	struct fk_keyservice *ks = NULL;
	struct fk_keyservice_config kcfg;
	struct fk_ttrpc_server_config scfg;
	struct fk_keyservice_stats stats;
	uint32_t ttl = 0, max_sessions = 0, max_conn = 0, conn_timeout = 0, id;
	struct fk_policy_error perr;
	struct fk_ttrpc_server *srv;
	bool platform_open = false, listening = false, tcp = false;
	char where[128];
	int rc, fd = -1;
	fusekey_status st;

	memset(&pl, 0, sizeof(pl));
	memset(&pf, 0, sizeof(pf));
	rc = cli_parse("fusekeyd", argc - 1, argv + 1, opts, sizeof(opts) / sizeof(opts[0]), 0,
		       &a);
	if (rc == CLI_PARSE_HELP) {
		fputs(help_text, stdout);
		return CLI_EXIT_OK;
	}
	if (rc != CLI_PARSE_OK)
		return rc;
	if (!a.has[OPT_SOCKET] || !a.has[OPT_RELEASE_POLICY] || !a.has[OPT_BUNDLE])
		return cli_usage_err("fusekeyd", "--socket, --policy and --bundle are required");
	if ((a.has[OPT_SESSION_TTL_MS] &&
	     !parse_u32("session-ttl-ms", a.val[OPT_SESSION_TTL_MS], 1, 3600000, &ttl)) ||
	    (a.has[OPT_MAX_SESSIONS] &&
	     !parse_u32("max-sessions", a.val[OPT_MAX_SESSIONS], 1, FK_KEYSERVICE_MAX_SESSIONS,
			&max_sessions)) ||
	    (a.has[OPT_MAX_CONNECTIONS] &&
	     !parse_u32("max-connections", a.val[OPT_MAX_CONNECTIONS], 1, 1000000, &max_conn)) ||
	    (a.has[OPT_CONN_TIMEOUT_MS] &&
	     !parse_u32("conn-timeout-ms", a.val[OPT_CONN_TIMEOUT_MS], 10, 3600000,
			&conn_timeout)))
		return CLI_EXIT_USAGE;
	tcp = fk_ttrpc_addr_is_tcp(a.val[OPT_SOCKET]);
	if (tcp) {
		struct sockaddr_storage ss;
		socklen_t sl;
		if (fk_ttrpc_addr_parse_tcp(a.val[OPT_SOCKET], true, &ss, &sl) != FUSEKEY_OK)
			return cli_usage_err("fusekeyd",
					     "--socket %s: a TCP address must be tcp:127.0.0.1:PORT or "
					     "tcp:[::1]:PORT (loopback only)",
					     a.val[OPT_SOCKET]);
	}
	if (tcp && (a.has[OPT_ALLOW_UID] || a.has[OPT_ALLOW_GID]))
		return cli_usage_err("fusekeyd", "--allow-uid and --allow-gid need a Unix socket: a TCP "
						 "connection carries no peer credentials");
	if (a.has[OPT_ALLOW_UID]) {
		if (!parse_u32("allow-uid", a.val[OPT_ALLOW_UID], 0, UINT32_MAX - 1, &id))
			return CLI_EXIT_USAGE;
		pf.uid_set = true;
		pf.uid = (uid_t)id;
	}
	if (a.has[OPT_ALLOW_GID]) {
		if (!parse_u32("allow-gid", a.val[OPT_ALLOW_GID], 0, UINT32_MAX - 1, &id))
			return CLI_EXIT_USAGE;
		pf.gid_set = true;
		pf.gid = (gid_t)id;
	}

	/* Keys live in this process: no core dumps, no ptrace by other users. */
	cli_disable_core_dumps();
	signal(SIGPIPE, SIG_IGN);

	if (a.has[OPT_LOG_FILE]) {
		int lfd = open(a.val[OPT_LOG_FILE], O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC |
							    O_NOFOLLOW,
			       0600);
		lg.f = lfd >= 0 ? fdopen(lfd, "a") : NULL;
		if (lg.f == NULL) {
			cli_err("cannot open the log '%s': %s", a.val[OPT_LOG_FILE], strerror(errno));
			if (lfd >= 0)
				close(lfd);
			return CLI_EXIT_IO;
		}
	}
	st = fk_policy_load_file(a.val[OPT_RELEASE_POLICY], &policy, &perr);
	if (st != FUSEKEY_OK) {
		cli_err("release policy refused: %s", perr.message);
		rc = cli_exit_for_status(st);
		goto out;
	}
	rc = cli_platform_open("fusekeyd", &a, CLI_ENCLAVE_REQUIRED, &pl);
	if (rc != CLI_EXIT_OK)
		goto out;
	platform_open = true;
	rc = tcp ? CLI_EXIT_OK : socket_dir(a.val[OPT_SOCKET]);
	if (rc != CLI_EXIT_OK)
		goto out;

	memset(&kcfg, 0, sizeof(kcfg));
	kcfg.platform = pl.p;
	kcfg.policy = policy;
	kcfg.bundle_dir = a.val[OPT_BUNDLE];
	kcfg.session_ttl_ms = ttl;
	kcfg.max_sessions = max_sessions;
	kcfg.log = log_line;
	kcfg.log_arg = &lg;
	st = fk_keyservice_new(&kcfg, &ks);
	if (st != FUSEKEY_OK) {
		rc = cli_fail(st, "cannot start the key service");
		goto out;
	}
	st = tcp ? fk_ttrpc_listen_tcp(a.val[OPT_SOCKET], &fd)
		 : fk_ttrpc_listen_unix(a.val[OPT_SOCKET], 0660, &fd);
	if (st != FUSEKEY_OK) {
		rc = cli_fail(st, "cannot listen on the socket");
		goto out;
	}
	listening = !tcp; /* a Unix socket file to remove at the end */
	/* The address as bound (port 0 becomes the port the kernel picked). */
	if (!tcp || fk_ttrpc_addr_of_socket(fd, where, sizeof(where)) != FUSEKEY_OK)
		snprintf(where, sizeof(where), "%s", a.val[OPT_SOCKET]);
	memset(&scfg, 0, sizeof(scfg));
	scfg.methods = fk_keyservice_methods(ks, &scfg.n_methods);
	scfg.max_connections = max_conn;
	scfg.max_request = 64 * 1024; /* our messages are < 1 KiB */
	scfg.conn_timeout_ms = conn_timeout;
	scfg.accept_peer = accept_peer;
	scfg.accept_arg = &pf;
	scfg.log = log_conn;
	scfg.log_arg = &lg;
	/* The next Open's key pair is made while the loop has nothing to do. */
	scfg.after_events = prepare_next;
	scfg.after_arg = ks;
	scfg.spin_us = FUSEKEYD_SPIN_US;
	st = fk_ttrpc_server_new(&scfg, fd, &g_server);
	fd = -1; /* the server owns it, even on failure */
	if (st != FUSEKEY_OK) {
		rc = cli_fail(st, "cannot start the ttrpc server");
		goto out;
	}
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	fk_keyservice_stats(ks, &stats);
	log_event(&lg, "start",
		  json_pack("{s:s,s:s,s:b,s:b,s:i}", "socket", where, "policy",
			    a.val[OPT_RELEASE_POLICY], "emulated", pl.p->emulated, "memory_locked",
			    stats.memory_locked, "pid", (int)getpid()));
	if (!stats.memory_locked)
		cli_warn("could not lock key memory or exclude it from core dumps (RLIMIT_MEMLOCK, "
			 "or a libOS without MADV_DONTDUMP): keys may reach swap; core dumps stay "
			 "disabled for the whole process");
	st = fk_ttrpc_server_run(g_server);
	fk_keyservice_stats(ks, &stats);
	log_event(&lg, "stop",
		  json_pack("{s:s,s:I,s:I,s:I}", "status", fusekey_status_name(st), "opened",
			    (json_int_t)stats.opened, "released", (json_int_t)stats.released,
			    "refused", (json_int_t)stats.refused));
	rc = st == FUSEKEY_OK ? CLI_EXIT_OK : cli_exit_for_status(st);
out:
	/* Unpublish before freeing: a late SIGTERM must not reach a freed server. */
	srv = g_server;
	g_server = NULL;
	fk_ttrpc_server_free(srv); /* closes every connection */
	if (fd >= 0)
		close(fd);
	if (listening)
		unlink(a.val[OPT_SOCKET]);
	fk_keyservice_free(ks); /* wipes keys and sessions */
	if (platform_open)
		cli_platform_close(&pl);
	fk_policy_free(policy);
	if (lg.f != stderr)
		fclose(lg.f);
	return rc;
}
