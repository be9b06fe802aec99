/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fusekey_la_bench: the key service (`la`) end to end (docs/bench.md, "Key
 * service (la)"). Informational: the exit status is 0 unless something fails
 * (or 2 for bad options), whatever the speed; the targets of issue 5 are
 * printed beside the figures.
 *
 * It sets up a scratch emulated platform with the fusekey CLI (an agent and an
 * app enclave, container "web" generated --method la, a policy allowing the
 * app), spawns a real fusekeyd on it, and measures:
 *   1. delivery latency, one client at a time: fusekey_get (a new connection
 *      per delivery, as `fusekey get` does), la_get's steps driven from here,
 *      and the same on one kept connection; beside the
 *      in-process handshake and its crypto floor (bench.c's LA floor, LAv2);
 *      and again with client and daemon pinned to one CPU (no hand-over
 *      between CPUs);
 *   2. throughput with N client threads of this process looping deliveries,
 *      with the CPU each side used per delivery (/proc schedstat of the
 *      daemon, getrusage here), and where the daemon's time goes (its LA
 *      work, the policy and the decision line timed in-process; a daemon logging
 *      to /dev/null beside it; the daemon at nice -10 beside nice 0);
 *   3. ttrpc echo: fk_ttrpc_server in a process of its own (this program
 *      re-executed with --serve-echo) beside the Go ttrpc 1.1.1 server
 *      (tests/interop gosrv), both called by the C client and the Go client;
 *   4. the daemon's RSS with 1,000 clients connected and idle;
 *   5. the daemon's CPU ticks over 2 s idle, without and with those clients.
 *
 * The delivery "la_get's steps" runs la_get's own calls (fk_la_open,
 * fk_la_exchange from src/delivery/fk_method_la.c) and its checks
 * (proc_msg1, proc_msg3, check_peer, open the record, check the grant) so
 * that a connection can be kept; every delivery checks that the key is the
 * one the agent generated.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>


#include "crypto/fk_crypto.h"
#include "delivery/fk_api.h"
#include "delivery/fk_method.h"
#include "delivery/fk_wire.h"
#include "la/fk_dh.h"
#include "service/fk_decision_log.h"
#include "platform/fk_platform.h"
#include "platform/fk_sigstruct.h"
#include "platform/fk_sim.h"
#include "policy/fk_policy.h"
#include "ttrpc/fk_ttrpc.h"
#include "util/fk_file.h"

extern char **environ;

#ifndef FK_BENCH_FUSEKEY
#define FK_BENCH_FUSEKEY "fusekey"
#endif
#ifndef FK_BENCH_FUSEKEYD
#define FK_BENCH_FUSEKEYD "fusekeyd"
#endif
#ifndef FK_BENCH_GO_SCRIPT
#define FK_BENCH_GO_SCRIPT "tests/interop/build-go.sh"
#endif
#ifndef FK_BENCH_GO_DIR
#define FK_BENCH_GO_DIR "la-bench-go"
#endif

#define CID "web"
#define ECHO_SERVICE "fusekey.test.Echo" /* tests/interop/go/rawmsg: the Go server's */
#define ECHO_METHOD "Echo"

enum {
	ECHO_PAYLOAD = 16,      /* the size tests/interop/run.sh reports */
	ECHO_WINDOW = 16,       /* calls in flight on one connection */
	ECHO_CONNS = 16,        /* connections of the concurrent echo row */
	IDLE_CONNS = 1000,      /* the "1,000 clients connected" */
	MAX_CLIENTS = 64,
	MAX_CHILDREN = 8,
	MAX_ECHO_ROUNDS = 16,
	NS_PER_US = 1000,
};

static const unsigned g_client_counts[] = {1, 4, 16, 64};
#define N_COUNTS (sizeof(g_client_counts) / sizeof(g_client_counts[0]))
static const int64_t CALL_TIMEOUT_NS = 10LL * 1000000000LL;

/* ---- options ---- */

struct options {
	bool quick, json, no_go, keep;
	unsigned rounds;      /* interleaved rounds of the latency group */
	unsigned echo_rounds; /* ... and of the echo group */
	double round_s;      /* one target's share of a latency round */
	double tp_s;         /* one throughput point */
	const char *fusekey, *fusekeyd, *go_script, *go_dir;
};

static struct options g_opt;

/* ---- failure reporting ---- */

/* Why the last step failed (per thread); the caller prints it with its context. */
static _Thread_local char g_why[512];

__attribute__((format(printf, 1, 2))) static int fail_msg(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(g_why, sizeof(g_why), fmt, ap);
	va_end(ap);
	return -1;
}

static int fail_fk(const char *call, fusekey_status st)
{
	return fail_msg("%s returned %s (%s)", call, fusekey_status_name(st),
			fusekey_status_str(st));
}

/* Children this program started (daemons, servers), killed by pid at exit. */
static pid_t g_children[MAX_CHILDREN];
static char g_scratch[PATH_MAX]; /* the scratch directory, removed at exit */

__attribute__((format(printf, 1, 2), noreturn)) static void die(const char *fmt, ...)
{
	va_list ap;
	fputs("fusekey_la_bench: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static uint64_t g_t0; /* start of the run, for the progress lines */
static uint64_t now_ns(void);

static void progress(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void progress(const char *fmt, ...)
{
	va_list ap;
	if (g_opt.json)
		return;
	fprintf(stderr, "  [%5.1f s] ", (double)(now_ns() - g_t0) / 1e9);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("...\n", stderr);
}

/* ---- time and statistics ---- */

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void sleep_s(double s)
{
	struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static uint64_t secs_ns(double s)
{
	return (uint64_t)(s * 1e9);
}

struct samples {
	uint64_t *v;
	size_t n, cap;
};

static bool samples_add(struct samples *s, uint64_t ns)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 4096;
		uint64_t *v = realloc(s->v, cap * sizeof(*v));
		if (v == NULL)
			return false;
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n++] = ns;
	return true;
}

static void samples_free(struct samples *s)
{
	free(s->v);
	memset(s, 0, sizeof(*s));
}

struct lat_stats {
	size_t n;
	double p50_us, p99_us, mean_us, min_us, max_us;
};

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

static struct lat_stats stats_of(struct samples *s)
{
	struct lat_stats r;
	double sum = 0;

	memset(&r, 0, sizeof(r));
	if (s->n == 0)
		return r;
	qsort(s->v, s->n, sizeof(*s->v), cmp_u64);
	for (size_t i = 0; i < s->n; i++)
		sum += (double)s->v[i];
	r.n = s->n;
	r.p50_us = (double)s->v[s->n / 2] / NS_PER_US;
	size_t i99 = (s->n * 99) / 100 < s->n ? (s->n * 99) / 100 : s->n - 1;
	r.p99_us = (double)s->v[i99] / NS_PER_US;
	r.mean_us = sum / (double)s->n / NS_PER_US;
	r.min_us = (double)s->v[0] / NS_PER_US;
	r.max_us = (double)s->v[s->n - 1] / NS_PER_US;
	return r;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double median(double *v, size_t n)
{
	if (n == 0)
		return 0;
	qsort(v, n, sizeof(*v), cmp_double);
	return (n % 2) ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static double ratio(double a, double b)
{
	return b > 0 ? a / b : 0;
}

/* ---- processes: spawning, /proc ---- */

static void child_track(pid_t pid, bool add)
{
	for (size_t i = 0; i < MAX_CHILDREN; i++) {
		if (add && g_children[i] == 0) {
			g_children[i] = pid;
			return;
		}
		if (!add && g_children[i] == pid) {
			g_children[i] = 0;
			return;
		}
	}
	if (add) { /* a child the exit clean-up would not know of: stop here */
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		die("more than %d child processes at once", MAX_CHILDREN);
	}
}

/* Run argv in the background: stdin /dev/null, stdout and stderr to out_path. */
static pid_t spawn(char *const argv[], const char *out_path)
{
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int rc;

	if (posix_spawn_file_actions_init(&fa) != 0)
		die("posix_spawn_file_actions_init failed");
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	posix_spawn_file_actions_adddup2(&fa, 1, 2);
	rc = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0)
		die("cannot run %s: %s", argv[0], strerror(rc));
	child_track(pid, true);
	return pid;
}

static int wait_child(pid_t pid)
{
	int status = 0;
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			die("waitpid: %s", strerror(errno));
	}
	child_track(pid, false);
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

/* The first lines of a file, indented, on stderr (a failed command's output). */
static void show_file(const char *path)
{
	char line[512];
	FILE *f = fopen(path, "r");
	for (int i = 0; f != NULL && i < 20 && fgets(line, sizeof(line), f) != NULL; i++)
		fprintf(stderr, "    | %s", line);
	if (f != NULL)
		fclose(f);
}

/* Run argv to completion; its output goes to log. Exit status, or dies. */
static int run(char *const argv[], const char *log, bool must_succeed)
{
	int rc = wait_child(spawn(argv, log));
	if (rc != 0 && must_succeed) {
		fprintf(stderr, "fusekey_la_bench: '%s %s' exited %d:\n", argv[0],
			argv[1] != NULL ? argv[1] : "", rc);
		show_file(log);
		exit(1);
	}
	return rc;
}

/* utime + stime of a process, in clock ticks (/proc/PID/stat fields 14, 15). */
static unsigned long long proc_ticks(pid_t pid)
{
	char path[64], buf[2048];
	unsigned long long ut = 0, st = 0;
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (f == NULL)
		die("cannot read %s: %s", path, strerror(errno));
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* After the command name in parentheses: state is field 3, utime 14. */
	const char *p = strrchr(buf, ')');
	if (p == NULL || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
				&ut, &st) != 2)
		die("cannot parse %s", path);
	return ut + st;
}

/* Run time and run-queue wait of every thread of a process, in ns (schedstat). */
struct sched {
	uint64_t run_ns, wait_ns;
	long vcsw, ivcsw; /* context switches (voluntary, not) of the process's threads */
};

static long status_field(pid_t pid, const char *name, bool must)
{
	char path[64], line[256];
	size_t len = strlen(name);
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	if (f == NULL)
		die("cannot read %s: %s", path, strerror(errno));
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, name, len) == 0 && line[len] == ':') {
			v = strtol(line + len + 1, NULL, 10);
			break;
		}
	}
	fclose(f);
	if (v < 0 && must)
		die("no %s in %s", name, path);
	return v;
}

static struct sched proc_sched(pid_t pid)
{
	struct sched s;
	char path[96];
	DIR *d;
	struct dirent *e;

	memset(&s, 0, sizeof(s));
	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	d = opendir(path);
	if (d == NULL)
		die("cannot read %s: %s", path, strerror(errno));
	while ((e = readdir(d)) != NULL) {
		unsigned long long run = 0, wait = 0;
		char p2[96 + sizeof(e->d_name) + 16];
		FILE *f;
		if (e->d_name[0] == '.')
			continue;
		snprintf(p2, sizeof(p2), "%s/%s/schedstat", path, e->d_name);
		f = fopen(p2, "r");
		if (f == NULL)
			continue; /* the thread ended */
		if (fscanf(f, "%llu %llu", &run, &wait) == 2) {
			s.run_ns += run;
			s.wait_ns += wait;
		}
		fclose(f);
	}
	closedir(d);
	s.vcsw = status_field(pid, "voluntary_ctxt_switches", false);
	s.ivcsw = status_field(pid, "nonvoluntary_ctxt_switches", false);
	return s;
}

/* CPU time all CPUs spent busy (not idle nor iowait), in ns, from /proc/stat. */
static uint64_t system_busy_ns(void)
{
	unsigned long long v[8] = {0};
	FILE *f = fopen("/proc/stat", "r");
	long hz = sysconf(_SC_CLK_TCK);

	if (f == NULL || fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1],
				&v[2], &v[3], &v[4], &v[5], &v[6], &v[7]) != 8)
		die("cannot read /proc/stat");
	fclose(f);
	/* user nice system [idle iowait] irq softirq steal */
	unsigned long long busy = v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
	return (uint64_t)((double)busy * 1e9 / (double)(hz > 0 ? hz : 100));
}

static uint64_t self_cpu_ns(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000u +
	       (uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000u;
}

/* Wait until a Unix socket exists at path (the server is listening) or the child dies. */
static void wait_socket(pid_t pid, const char *path, const char *what, const char *out)
{
	for (int i = 0; i < 400; i++) {
		struct stat sb;
		int status;
		if (stat(path, &sb) == 0 && S_ISSOCK(sb.st_mode))
			return;
		if (waitpid(pid, &status, WNOHANG) == pid) {
			child_track(pid, false);
			fprintf(stderr, "fusekey_la_bench: %s exited before listening:\n", what);
			show_file(out);
			exit(1);
		}
		sleep_s(0.025);
	}
	fprintf(stderr, "fusekey_la_bench: %s did not listen on %s within 10 s:\n", what, path);
	show_file(out);
	exit(1);
}

/* SIGTERM, and it must exit 0 (fusekeyd's clean stop). */
static void stop_server(pid_t pid, const char *what, const char *out)
{
	int rc;
	kill(pid, SIGTERM);
	rc = wait_child(pid);
	if (rc != 0) {
		fprintf(stderr, "fusekey_la_bench: %s exited %d on SIGTERM:\n", what, rc);
		show_file(out);
		exit(1);
	}
}

static int rm_one(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
	(void)sb;
	(void)type;
	(void)ftw;
	remove(path);
	return 0;
}

static void cleanup(void)
{
	for (size_t i = 0; i < MAX_CHILDREN; i++) {
		if (g_children[i] > 0) {
			kill(g_children[i], SIGKILL);
			waitpid(g_children[i], NULL, 0);
			g_children[i] = 0;
		}
	}
	if (g_scratch[0] != '\0' && !g_opt.keep)
		nftw(g_scratch, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void on_fatal_signal(int sig)
{
	(void)sig;
	exit(1); /* runs cleanup(): children killed, scratch removed */
}

/* ---- the scratch platform: agent, app, container "web", policy ---- */

struct env {
	char dir[PATH_MAX];
	char sim[PATH_MAX], pem[PATH_MAX], agent_sig[PATH_MAX], app_sig[PATH_MAX];
	char bundle[PATH_MAX], policy[PATH_MAX], key_file[PATH_MAX], cmd_log[PATH_MAX];
	char mre_agent_hex[65], mre_app_hex[65];
	uint8_t mre_agent[32], mre_app[32];
	uint8_t key[FUSEKEY_KEY_MAX];
	size_t key_len;
	struct fk_sim_state st;
	struct fk_sgx_identity agent_id, app_id;
};

static void path_in(char *out, const char *dir, const char *name)
{
	if ((size_t)snprintf(out, PATH_MAX, "%s/%s", dir, name) >= PATH_MAX)
		die("path too long: %s/%s", dir, name);
}

static void identity_of(const char *sig, struct fk_sgx_identity *id)
{
	struct fk_sgx_sigstruct ss;
	uint8_t *buf = NULL;
	size_t len = 0;
	fusekey_status st = fk_file_read(sig, sizeof(ss), &buf, &len);

	if (st != FUSEKEY_OK || len != sizeof(ss))
		die("cannot read the SIGSTRUCT %s", sig);
	memcpy(&ss, buf, sizeof(ss));
	fk_file_free(buf, len);
	st = fk_sigstruct_to_identity(&ss, NULL, 0, id);
	if (st != FUSEKEY_OK)
		die("%s: fk_sigstruct_to_identity: %s", sig, fusekey_status_str(st));
}

static void env_setup(struct env *e)
{
	const char *tmp = getenv("TMPDIR");
	char simdir[PATH_MAX];
	uint8_t *buf = NULL;
	size_t len = 0;
	FILE *f;

	memset(e, 0, sizeof(*e));
	if ((size_t)snprintf(e->dir, sizeof(e->dir), "%s/fusekey-la-bench.XXXXXX",
			     tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp") >= sizeof(e->dir) ||
	    mkdtemp(e->dir) == NULL)
		die("cannot make a scratch directory: %s", strerror(errno));
	memcpy(g_scratch, e->dir, sizeof(g_scratch));
	/* sun_path holds 108 bytes: the sockets go to <dir>/run/<name>.sock. */
	if (strlen(e->dir) + sizeof("/run/fusekeyd-rss.sock") > 100)
		die("the scratch directory %s is too long for a socket path: set TMPDIR", e->dir);
	path_in(e->sim, e->dir, "sim");
	path_in(e->pem, e->dir, "signer.pem");
	path_in(e->agent_sig, e->dir, "agent.sig");
	path_in(e->app_sig, e->dir, "app.sig");
	path_in(e->bundle, e->dir, "bundle");
	path_in(e->policy, e->dir, "policy.json");
	path_in(e->key_file, e->dir, "agent.web.key");
	path_in(e->cmd_log, e->dir, "cmd.log");
	/* Two fixed measurements: the agent and the app enclave. */
	memset(e->mre_agent, 0xa1, 32);
	memset(e->mre_app, 0xb2, 32);
	for (size_t i = 0; i < 32; i++) {
		snprintf(e->mre_agent_hex + 2 * i, 3, "%02x", e->mre_agent[i]);
		snprintf(e->mre_app_hex + 2 * i, 3, "%02x", e->mre_app[i]);
	}
	if (mkdir(e->bundle, 0700) != 0)
		die("mkdir %s: %s", e->bundle, strerror(errno));

	char *fk = (char *)(uintptr_t)g_opt.fusekey;
	char *init[] = {fk, "sim", "init", "--sim-dir", e->sim, NULL};
	char *keygen[] = {fk, "sim", "keygen", "--out", e->pem, NULL};
	char *sign_agent[] = {fk, "sim", "sign", "--key", e->pem, "--out", e->agent_sig,
			      "--mrenclave", e->mre_agent_hex, "--prodid", "1", "--svn", "2", NULL};
	char *sign_app[] = {fk, "sim", "sign", "--key", e->pem, "--out", e->app_sig,
			    "--mrenclave", e->mre_app_hex, "--prodid", "1", "--svn", "2", NULL};
	char *gen[] = {fk, "generate", "--platform", "sim", "--sim-dir", e->sim, "--enclave",
		       e->agent_sig, "--bundle", e->bundle, "--container", CID, "--method", "la",
		       "--out", e->key_file, NULL};
	run(init, e->cmd_log, true);
	run(keygen, e->cmd_log, true);
	run(sign_agent, e->cmd_log, true);
	run(sign_app, e->cmd_log, true);
	run(gen, e->cmd_log, true);

	if (fk_file_read(e->key_file, FUSEKEY_KEY_MAX, &buf, &len) != FUSEKEY_OK ||
	    (len != 16 && len != 32))
		die("cannot read the generated key %s", e->key_file);
	memcpy(e->key, buf, len);
	e->key_len = len;
	fk_file_free(buf, len);

	f = fopen(e->policy, "w");
	if (f == NULL)
		die("cannot write %s: %s", e->policy, strerror(errno));
	fprintf(f,
		"{\"version\": 1, \"containers\": "
		"{\"" CID "\": [{\"mr_enclave\": [\"%s\"]}]}}\n",
		e->mre_app_hex);
	fclose(f);

	if (fk_sim_dir_resolve(e->sim, simdir, sizeof(simdir)) != FUSEKEY_OK ||
	    fk_sim_dir_load(simdir, &e->st) != FUSEKEY_OK)
		die("cannot load the emulated platform %s", e->sim);
	identity_of(e->agent_sig, &e->agent_id);
	identity_of(e->app_sig, &e->app_id);
}

static void env_free(struct env *e)
{
	fk_sim_state_clear(&e->st);
	fk_wipe(e->key, sizeof(e->key));
}

/* ---- fusekeyd ---- */

struct daemon {
	pid_t pid;
	char sock[PATH_MAX], log[PATH_MAX], out[PATH_MAX];
};

/* A fusekeyd on the scratch platform; log_path NULL: <dir>/<name>.log. */
static void daemon_start(const struct env *e, struct daemon *d, const char *name,
			 const char *log_path)
{
	char file[96];

	memset(d, 0, sizeof(d[0]));
	snprintf(file, sizeof(file), "run/%s.sock", name);
	path_in(d->sock, e->dir, file);
	snprintf(file, sizeof(file), "%s.log", name);
	if (log_path != NULL)
		snprintf(d->log, sizeof(d->log), "%s", log_path);
	else
		path_in(d->log, e->dir, file);
	snprintf(file, sizeof(file), "%s.out", name);
	path_in(d->out, e->dir, file);
	char *argv[] = {(char *)(uintptr_t)g_opt.fusekeyd,
			"--socket", d->sock,
			"--policy", (char *)(uintptr_t)e->policy,
			"--bundle", (char *)(uintptr_t)e->bundle,
			"--enclave", (char *)(uintptr_t)e->agent_sig,
			"--platform", "sim",
			"--sim-dir", (char *)(uintptr_t)e->sim,
			"--log", d->log,
			NULL};
	d->pid = spawn(argv, d->out);
	wait_socket(d->pid, d->sock, "fusekeyd", d->out);
}

static void daemon_stop(struct daemon *d)
{
	stop_server(d->pid, "fusekeyd", d->out);
	d->pid = 0;
}

/* ---- the app side of a delivery ---- */

struct client {
	const struct env *e;
	const char *sock;
	struct fk_platform *p; /* the app enclave */
	fusekey_ctx *ctx;      /* over p, for fusekey_get */
	struct fusekey_agent_expect agent;
	struct fusekey_key_opts opts;
	struct fk_dh_expect expect; /* the agent, as la_get derives it */
};

static int client_init(struct client *c, const struct env *e, const char *sock)
{
	fusekey_status st;

	memset(c, 0, sizeof(*c));
	c->e = e;
	c->sock = sock;
	if ((st = fk_sim_platform_new(&e->st, &e->app_id, &c->p)) != FUSEKEY_OK)
		return fail_fk("fk_sim_platform_new", st);
	if ((st = fk_ctx_wrap(c->p, &c->ctx)) != FUSEKEY_OK)
		return fail_fk("fk_ctx_wrap", st);
	c->agent.mr_enclave = e->mre_agent;
	c->agent.isv_prod_id = -1;
	c->opts.method = FUSEKEY_METHOD_LA;
	c->opts.bundle_dir = e->bundle;
	c->opts.socket_path = sock;
	c->opts.agent = &c->agent;
	c->opts.timeout_ms = 10000;
	if ((st = fk_la_expect_from_agent(&c->agent, &c->expect)) != FUSEKEY_OK)
		return fail_fk("fk_la_expect_from_agent", st);
	return 0;
}

static void client_free(struct client *c)
{
	fusekey_ctx_free(c->ctx);
	fk_platform_destroy(c->p);
	memset(c, 0, sizeof(*c));
}

/* What fusekey get --method la does: fusekey_get, a new connection per delivery. */
static int deliver_api(struct client *c)
{
	uint8_t key[FUSEKEY_KEY_MAX];
	size_t len = sizeof(key);
	fusekey_status st = fusekey_get(c->ctx, CID, &c->opts, key, &len);
	int rc = 0;

	if (st != FUSEKEY_OK)
		rc = fail_fk("fusekey_get", st);
	else if (len != c->e->key_len || memcmp(key, c->e->key, len) != 0)
		rc = fail_msg("fusekey_get returned another key than the agent generated");
	fusekey_wipe(key, sizeof(key));
	return rc;
}

/*
 * la_get's steps (src/delivery/fk_method_la.c), on *conn: connected first if
 * NULL; closed afterwards unless keep (and after any failure).
 */
static int deliver(struct client *c, struct fk_ttrpc_client **conn, bool keep)
{
	struct fk_dh_session s;
	struct fk_dh_msg1 msg1;
	struct fk_dh_msg2 msg2;
	struct fk_key_grant g;
	uint8_t sid[FK_KEYSERVICE_SESSION_ID_SIZE], msg3[FK_DH_MSG3_FIXED_SIZE];
	uint8_t *record = NULL;
	size_t record_len = 0, glen = 0;
	char why[256] = "";
	fusekey_status st;
	int rc = -1;

	memset(&s, 0, sizeof(s));
	memset(&g, 0, sizeof(g));
	if (*conn == NULL) {
		if ((st = fk_ttrpc_client_connect(c->sock, conn)) != FUSEKEY_OK) {
			fail_fk("fk_ttrpc_client_connect", st);
			goto out;
		}
		fk_ttrpc_client_set_spin(*conn, FK_LA_CLIENT_SPIN_US);
	}
	/* la_get's own two calls (fk_la_open, fk_la_exchange) and its checks. */
	if ((st = fk_dh_init(&s, FK_DH_ROLE_INITIATOR)) != FUSEKEY_OK ||
	    (st = fk_la_open(*conn, CALL_TIMEOUT_NS, &s, sid, &msg1, why, sizeof(why))) !=
		    FUSEKEY_OK) {
		fail_msg("Open: %s %s", fusekey_status_str(st), why);
		goto out;
	}
	if ((st = fk_dh_initiator_proc_msg1(&s, c->p, FK_DH_VERSION_DEFAULT, &msg1, &msg2)) !=
	    FUSEKEY_OK) {
		fail_fk("fk_dh_initiator_proc_msg1", st);
		goto out;
	}
	if ((st = fk_la_exchange(*conn, CALL_TIMEOUT_NS, sid, &msg2, CID, NULL, msg3, &record,
				 &record_len, why, sizeof(why))) != FUSEKEY_OK) {
		fail_msg("Exchange: %s %s", fusekey_status_str(st), why);
		goto out;
	}
	if ((st = fk_dh_initiator_proc_msg3(&s, c->p, msg3, sizeof(msg3))) != FUSEKEY_OK) {
		fail_fk("fk_dh_initiator_proc_msg3", st);
		goto out;
	}
	if ((st = fk_dh_check_peer(&s, &c->expect, 1, NULL, NULL)) != FUSEKEY_OK) {
		fail_fk("fk_dh_check_peer", st);
		goto out;
	}
	if ((st = fk_dh_open(&s, record, record_len, (uint8_t *)&g, sizeof(g), &glen)) !=
	    FUSEKEY_OK) {
		fail_fk("fk_dh_open", st);
		goto out;
	}
	if (glen != sizeof(g) || memcmp(g.magic, FK_GRANT_MAGIC, sizeof(g.magic)) != 0 ||
	    fk_le16(g.cid_len) != strlen(CID) || memcmp(g.container_id, CID, strlen(CID)) != 0 ||
	    g.has_launch != 0 || g.key_len != c->e->key_len ||
	    memcmp(g.key, c->e->key, c->e->key_len) != 0) {
		fail_msg("the grant is not web's key as the agent generated it");
		goto out;
	}
	rc = 0;
out:
	if (record != NULL) {
		fk_wipe(record, record_len);
		free(record);
	}
	fk_dh_wipe(&s);
	FK_WIPE(g);
	if (!keep || rc != 0) {
		fk_ttrpc_client_free(*conn);
		*conn = NULL;
	}
	return rc;
}

/* ---- in process: the handshake, its floor, and the daemon's parts ---- */

struct inproc {
	const struct env *e;
	struct fk_platform *agent_p, *app_p;
	struct fk_dh_expect want_app, want_agent;
	struct fk_policy *policy;
	struct fk_sgx_report_body app_body; /* the app as the agent verified it */
	FILE *log;                          /* the log line's file (scratch) */
	uint64_t seq;
	struct fk_decision_clock clock;
	char line[FK_DECISION_LINE_MAX];
	/* op_split's sums */
	uint64_t resp_ns, init_ns, splits;
};

static int op_handshake(void *arg)
{
	struct inproc *ip = arg;
	struct fk_dh_session r, i;
	struct fk_dh_msg1 m1;
	struct fk_dh_msg2 m2;
	uint8_t m3[FK_DH_MSG3_FIXED_SIZE];
	size_t m3_len = 0;
	fusekey_status st;
	int rc = -1;

	if ((st = fk_dh_init(&r, FK_DH_ROLE_RESPONDER)) != FUSEKEY_OK ||
	    (st = fk_dh_init(&i, FK_DH_ROLE_INITIATOR)) != FUSEKEY_OK)
		rc = fail_fk("fk_dh_init", st);
	else if ((st = fk_dh_responder_gen_msg1(&r, ip->agent_p, &m1)) != FUSEKEY_OK)
		rc = fail_fk("fk_dh_responder_gen_msg1", st);
	else if ((st = fk_dh_initiator_proc_msg1(&i, ip->app_p, FK_DH_VERSION_DEFAULT, &m1,
						 &m2)) != FUSEKEY_OK)
		rc = fail_fk("fk_dh_initiator_proc_msg1", st);
	else if ((st = fk_dh_responder_proc_msg2(&r, ip->agent_p, &m2, NULL, 0, m3, sizeof(m3),
						 &m3_len)) != FUSEKEY_OK)
		rc = fail_fk("fk_dh_responder_proc_msg2", st);
	else if ((st = fk_dh_initiator_proc_msg3(&i, ip->app_p, m3, m3_len)) != FUSEKEY_OK)
		rc = fail_fk("fk_dh_initiator_proc_msg3", st);
	else if ((st = fk_dh_check_peer(&r, &ip->want_app, 1, NULL, NULL)) != FUSEKEY_OK)
		rc = fail_fk("fk_dh_check_peer(responder)", st);
	else if ((st = fk_dh_check_peer(&i, &ip->want_agent, 1, NULL, NULL)) != FUSEKEY_OK)
		rc = fail_fk("fk_dh_check_peer(initiator)", st);
	else
		rc = 0;
	fk_dh_wipe(&r);
	fk_dh_wipe(&i);
	return rc;
}

/*
 * The handshake's crypto alone (bench.c's LA floor for LAv2, the default):
 * 2 P-256 keygens, 2 ECDHs, 8 KDF CMACs (32 B, then the 7-B label block),
 * 4 CMACs over 64 B (msg2's and msg3's made and checked), 4 SHA-256 of 128 B.
 */
static int op_floor(void *arg)
{
	static const uint8_t zero_key[FK_AES128_KEY_SIZE];
	static const uint8_t label[2][7] = {{0x01, 'S', 'M', 'K', 0x00, 0x80, 0x00},
					    {0x01, 'A', 'E', 'K', 0x00, 0x80, 0x00}};
	uint8_t pa[FK_DH_PRIV_SIZE], ga[FK_DH_PUB_SIZE], pb[FK_DH_PRIV_SIZE], gb[FK_DH_PUB_SIZE];
	uint8_t z[2][FK_DH_SHARED_SIZE], kdk[FK_CMAC_SIZE], key[2][2][FK_SGX_KEY_SIZE];
	uint8_t mac[FK_CMAC_SIZE], h[FK_SHA256_SIZE], in[2 * FK_DH_PUB_SIZE];
	fusekey_status st;

	(void)arg;
	if ((st = fk_p256_keygen(pa, ga)) != FUSEKEY_OK ||
	    (st = fk_p256_keygen(pb, gb)) != FUSEKEY_OK)
		return fail_fk("fk_p256_keygen", st);
	if ((st = fk_p256_ecdh(pb, ga, z[0])) != FUSEKEY_OK ||
	    (st = fk_p256_ecdh(pa, gb, z[1])) != FUSEKEY_OK)
		return fail_fk("fk_p256_ecdh", st);
	for (size_t side = 0; side < 2; side++)
		for (size_t k = 0; k < 2; k++)
			if ((st = fk_cmac128(zero_key, z[side], FK_DH_SHARED_SIZE, kdk)) !=
				    FUSEKEY_OK ||
			    (st = fk_cmac128(kdk, label[k], sizeof(label[k]), key[side][k])) !=
				    FUSEKEY_OK)
				return fail_fk("fk_cmac128 (KDF)", st);
	memcpy(in, ga, sizeof(ga));
	memcpy(in + sizeof(ga), gb, sizeof(gb));
	for (size_t j = 0; j < 4; j++)
		if ((st = fk_cmac128(key[j % 2][0], in, FK_DH_PUB_SIZE, mac)) != FUSEKEY_OK)
			return fail_fk("fk_cmac128", st);
	for (size_t j = 0; j < 4; j++) {
		struct fk_buf parts[2] = {{in, FK_DH_PUB_SIZE},
					  {in + FK_DH_PUB_SIZE, FK_DH_PUB_SIZE}};
		if ((st = fk_sha256_parts(parts, 2, h)) != FUSEKEY_OK)
			return fail_fk("fk_sha256_parts", st);
	}
	if (memcmp(key[0], key[1], sizeof(key[0])) != 0)
		return fail_msg("floor: the two sides derived other keys");
	fk_wipe(pa, sizeof(pa));
	fk_wipe(pb, sizeof(pb));
	fk_wipe(key, sizeof(key));
	return 0;
}

/*
 * One handshake plus the grant record, each side's steps timed apart: the
 * responder's (gen_msg1; proc_msg2, check_peer, seal the 208-B grant) is
 * what fusekeyd's handlers spend in fk_dh, the initiator's (proc_msg1;
 * proc_msg3, check_peer, open) what the app spends.
 */
static int op_split(void *arg)
{
	struct inproc *ip = arg;
	struct fk_dh_session r, i;
	struct fk_dh_msg1 m1;
	struct fk_dh_msg2 m2;
	struct fk_key_grant g, back;
	uint8_t m3[FK_DH_MSG3_FIXED_SIZE], rec[sizeof(struct fk_key_grant) + FK_DH_RECORD_OVERHEAD];
	size_t m3_len = 0, rec_len = 0, back_len = 0;
	uint64_t t0, t1, t2, t3, t4;
	fusekey_status st;
	int rc = -1;

	memset(&g, 0x5a, sizeof(g));
	t0 = now_ns();
	if ((st = fk_dh_init(&r, FK_DH_ROLE_RESPONDER)) != FUSEKEY_OK ||
	    (st = fk_dh_responder_gen_msg1(&r, ip->agent_p, &m1)) != FUSEKEY_OK) {
		rc = fail_fk("responder gen_msg1", st);
		goto out;
	}
	t1 = now_ns();
	if ((st = fk_dh_init(&i, FK_DH_ROLE_INITIATOR)) != FUSEKEY_OK ||
	    (st = fk_dh_initiator_proc_msg1(&i, ip->app_p, FK_DH_VERSION_DEFAULT, &m1, &m2)) !=
		    FUSEKEY_OK) {
		rc = fail_fk("initiator proc_msg1", st);
		goto out;
	}
	t2 = now_ns();
	if ((st = fk_dh_responder_proc_msg2(&r, ip->agent_p, &m2, NULL, 0, m3, sizeof(m3),
					    &m3_len)) != FUSEKEY_OK ||
	    (st = fk_dh_check_peer(&r, &ip->want_app, 1, NULL, NULL)) != FUSEKEY_OK ||
	    (st = fk_dh_seal(&r, (const uint8_t *)&g, sizeof(g), rec, sizeof(rec), &rec_len)) !=
		    FUSEKEY_OK) {
		rc = fail_fk("responder proc_msg2 + check_peer + seal", st);
		goto out;
	}
	t3 = now_ns();
	if ((st = fk_dh_initiator_proc_msg3(&i, ip->app_p, m3, m3_len)) != FUSEKEY_OK ||
	    (st = fk_dh_check_peer(&i, &ip->want_agent, 1, NULL, NULL)) != FUSEKEY_OK ||
	    (st = fk_dh_open(&i, rec, rec_len, (uint8_t *)&back, sizeof(back), &back_len)) !=
		    FUSEKEY_OK) {
		rc = fail_fk("initiator proc_msg3 + check_peer + open", st);
		goto out;
	}
	t4 = now_ns();
	ip->resp_ns += (t1 - t0) + (t3 - t2);
	ip->init_ns += (t2 - t1) + (t4 - t3);
	ip->splits++;
	rc = 0;
out:
	fk_dh_wipe(&r);
	fk_dh_wipe(&i);
	FK_WIPE(back);
	return rc;
}

/* The release policy's part of an Exchange: evaluate, then the rule's expectation. */
static int op_policy(void *arg)
{
	struct inproc *ip = arg;
	struct fk_policy_decision pd;
	struct fk_dh_expect ex;
	fusekey_status st = fk_policy_evaluate(ip->policy, CID, &ip->app_body, NULL, &pd);

	if (st != FUSEKEY_OK || !pd.allowed || !fk_policy_decision_expect(ip->policy, &pd, &ex))
		return fail_msg("the policy does not allow the app (%s)", pd.reason);
	return 0;
}

/*
 * The decision line fusekeyd writes per delivery: fk_keyservice.c's
 * log_decision for a release, through the same formatter. Into ip->line.
 */
static bool decision_line(struct inproc *ip)
{
	static const struct fk_ttrpc_peer peer = {.uid = 0, .gid = 0, .pid = 4242, .conn_id = 1};
	struct fk_decision d = {.cid = CID,
				.peer = &peer,
				.enclave = &ip->app_body,
				.released = true,
				.reason = "allowed",
				.rule = "containers.\"" CID "\"[0]"};
	struct timespec rt;

	clock_gettime(CLOCK_REALTIME, &rt);
	return fk_decision_format(&d, ++ip->seq, &rt, &ip->clock, ip->line, sizeof(ip->line));
}

static int op_log_json(void *arg)
{
	if (!decision_line(arg))
		return fail_msg("fk_decision_format failed");
	return 0;
}

/* ... and written as fusekeyd writes it: fprintf + fflush to its file. */
static int op_log_write(void *arg)
{
	struct inproc *ip = arg;
	if (!decision_line(ip))
		return fail_msg("fk_decision_format failed");
	fprintf(ip->log, "%s\n", ip->line);
	if (fflush(ip->log) != 0)
		return fail_msg("writing the log line: %s", strerror(errno));
	return 0;
}

static void inproc_init(struct inproc *ip, const struct env *e)
{
	struct fk_policy_error perr;
	struct fk_dh_session r, i;
	struct fk_dh_msg1 m1;
	struct fk_dh_msg2 m2;
	uint8_t m3[FK_DH_MSG3_FIXED_SIZE];
	size_t m3_len = 0;
	char path[PATH_MAX];

	memset(ip, 0, sizeof(*ip));
	ip->e = e;
	if (fk_sim_platform_new(&e->st, &e->agent_id, &ip->agent_p) != FUSEKEY_OK ||
	    fk_sim_platform_new(&e->st, &e->app_id, &ip->app_p) != FUSEKEY_OK)
		die("cannot open the in-process enclaves");
	ip->want_app.fields = FK_DH_EXPECT_MRENCLAVE;
	memcpy(ip->want_app.mr_enclave, e->mre_app, 32);
	ip->want_agent.fields = FK_DH_EXPECT_MRENCLAVE;
	memcpy(ip->want_agent.mr_enclave, e->mre_agent, 32);
	if (fk_policy_load_file(e->policy, &ip->policy, &perr) != FUSEKEY_OK)
		die("policy %s: %s", e->policy, perr.message);
	/* The app's verified report body: one handshake up to the responder's ACTIVE. */
	if (fk_dh_init(&r, FK_DH_ROLE_RESPONDER) != FUSEKEY_OK ||
	    fk_dh_init(&i, FK_DH_ROLE_INITIATOR) != FUSEKEY_OK ||
	    fk_dh_responder_gen_msg1(&r, ip->agent_p, &m1) != FUSEKEY_OK ||
	    fk_dh_initiator_proc_msg1(&i, ip->app_p, FK_DH_VERSION_DEFAULT, &m1, &m2) !=
		    FUSEKEY_OK ||
	    fk_dh_responder_proc_msg2(&r, ip->agent_p, &m2, NULL, 0, m3, sizeof(m3), &m3_len) !=
		    FUSEKEY_OK ||
	    fk_dh_peer_body(&r, &ip->app_body) != FUSEKEY_OK)
		die("the in-process handshake failed");
	fk_dh_wipe(&r);
	fk_dh_wipe(&i);
	path_in(path, e->dir, "logline.log");
	/* Close-on-exec: the daemons spawned later do not inherit it. */
	ip->log = fopen(path, "ae");
	if (ip->log == NULL)
		die("cannot open %s: %s", path, strerror(errno));
}

static void inproc_free(struct inproc *ip)
{
	fk_platform_destroy(ip->agent_p);
	fk_platform_destroy(ip->app_p);
	fk_policy_free(ip->policy);
	if (ip->log != NULL)
		fclose(ip->log);
}

/* ---- interleaved timing of one-call operations ---- */

typedef int (*op_fn)(void *arg);

struct op {
	const char *id, *desc;
	op_fn fn;
	void *arg;
	int cpu; /* >= 0: the calling thread runs on this CPU only while the op runs */
	struct samples s;
	struct lat_stats st;
};

/* This thread on one CPU (cpu >= 0), or back on every CPU it may use (*all). */
static void pin_self(int cpu, const cpu_set_t *all)
{
	cpu_set_t one;

	CPU_ZERO(&one);
	if (cpu >= 0)
		CPU_SET((size_t)cpu, &one);
	if (sched_setaffinity(0, sizeof(cpu_set_t), cpu >= 0 ? &one : all) != 0)
		die("sched_setaffinity: %s", strerror(errno));
}

/*
 * Each op runs for round_s, then the next, for `rounds` rounds: a frequency
 * change or a busy neighbour hits all of them alike. Every call is timed.
 */
static void measure_ops(struct op *ops, size_t k, unsigned rounds, double round_s)
{
	cpu_set_t all;

	if (sched_getaffinity(0, sizeof(all), &all) != 0)
		die("sched_getaffinity: %s", strerror(errno));
	for (size_t j = 0; j < k; j++) {
		pin_self(ops[j].cpu, &all);
		for (int w = 0; w < 20; w++) /* warm-up: caches, connections, the CPU */
			if (ops[j].fn(ops[j].arg) != 0)
				die("%s: %s", ops[j].desc, g_why);
	}
	for (unsigned r = 0; r < rounds; r++) {
		for (size_t j = 0; j < k; j++) {
			pin_self(ops[j].cpu, &all);
			uint64_t end = now_ns() + secs_ns(round_s);
			uint64_t t0 = now_ns(), t1;
			do {
				if (ops[j].fn(ops[j].arg) != 0)
					die("%s: %s", ops[j].desc, g_why);
				t1 = now_ns();
				if (!samples_add(&ops[j].s, t1 - t0))
					die("out of memory");
				t0 = t1;
			} while (t1 < end);
		}
	}
	pin_self(-1, &all);
	for (size_t j = 0; j < k; j++)
		ops[j].st = stats_of(&ops[j].s);
}

/* Mean µs per call of fn over about secs (for the in-process breakdown). */
static double mean_us(op_fn fn, void *arg, double secs, const char *what)
{
	uint64_t n = 0, t0 = now_ns(), end = t0 + secs_ns(secs), t;
	do {
		if (fn(arg) != 0)
			die("%s: %s", what, g_why);
		n++;
		t = now_ns();
	} while (t < end);
	return (double)(t - t0) / (double)n / NS_PER_US;
}

/* ---- latency: one client at a time ---- */

struct lat_client {
	struct client c;
	struct fk_ttrpc_client *conn; /* one kept connection */
};

static int op_api(void *arg)
{
	return deliver_api(&((struct lat_client *)arg)->c);
}

static int op_mirror_new(void *arg)
{
	struct lat_client *l = arg;
	struct fk_ttrpc_client *conn = NULL;
	return deliver(&l->c, &conn, false);
}

static int op_mirror_kept(void *arg)
{
	struct lat_client *l = arg;
	return deliver(&l->c, &l->conn, true);
}

enum { LAT_HS, LAT_FLOOR, LAT_API, LAT_PIN_API, LAT_NEW, LAT_KEPT, LAT_PIN_KEPT, N_LAT };

struct lat_report {
	struct op ops[N_LAT];
	int pin_cpu;       /* the CPU of the pinned rows */
	char pin_desc[96]; /* their description */
	double others;     /* CPUs other processes kept busy meanwhile */
	double resp_us, init_us, policy_us, log_json_us, log_write_us;
};

static void bench_latency(const struct env *e, struct inproc *ip, const struct daemon *d,
			  struct lat_report *rep)
{
	static struct lat_client lc, lp;
	struct daemon dp;
	cpu_set_t all;
	int pin = -1;

	/*
	 * The pinned rows: a second fusekeyd started on one CPU (it inherits
	 * this thread's affinity), and the client on that CPU too, so that no
	 * hand-over between them crosses CPUs. The last CPU we may use.
	 */
	if (sched_getaffinity(0, sizeof(all), &all) != 0)
		die("sched_getaffinity: %s", strerror(errno));
	for (int c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET((size_t)c, &all))
			pin = c;
	rep->pin_cpu = pin;
	pin_self(pin, &all);
	daemon_start(e, &dp, "fusekeyd-pinned", NULL);
	pin_self(-1, &all);
	if (client_init(&lc.c, e, d->sock) != 0 || client_init(&lp.c, e, dp.sock) != 0)
		die("client: %s", g_why);
	snprintf(rep->pin_desc, sizeof(rep->pin_desc), "  the same, client and daemon on CPU %d",
		 pin);
	struct op tmpl[N_LAT] = {
		{"handshake_inproc", "in-process handshake (both sides, one thread)", op_handshake, ip,
		 -1, {0}, {0}},
		{"floor", "  floor: its crypto alone", op_floor, ip, -1, {0}, {0}},
		{"api_new_conn", "delivery, new connection (fusekey_get)", op_api, &lc, -1, {0}, {0}},
		{"api_new_conn_one_cpu", rep->pin_desc, op_api, &lp, pin, {0}, {0}},
		{"mirror_new_conn", "delivery, new connection (la_get's steps)", op_mirror_new, &lc,
		 -1, {0}, {0}},
		{"mirror_one_conn", "delivery, one kept connection (la_get's steps)", op_mirror_kept,
		 &lc, -1, {0}, {0}},
		{"mirror_one_conn_one_cpu", rep->pin_desc, op_mirror_kept, &lp, pin, {0}, {0}},
	};
	memcpy(rep->ops, tmpl, sizeof(tmpl));
	progress("delivery latency, one client at a time");
	uint64_t b0 = system_busy_ns(), c0 = self_cpu_ns(), t0 = now_ns();
	struct sched s0 = proc_sched(d->pid), p0 = proc_sched(dp.pid);
	measure_ops(rep->ops, N_LAT, g_opt.rounds, g_opt.round_s);
	struct sched s1 = proc_sched(d->pid), p1 = proc_sched(dp.pid);
	double others = (double)(system_busy_ns() - b0) - (double)(self_cpu_ns() - c0) -
			(double)(s1.run_ns - s0.run_ns) - (double)(p1.run_ns - p0.run_ns);
	rep->others = others > 0 ? others / (double)(now_ns() - t0) : 0;
	fk_ttrpc_client_free(lp.conn);
	lp.conn = NULL;
	client_free(&lp.c);
	daemon_stop(&dp);

	/* The daemon's parts, timed in this process. */
	progress("the daemon's parts in-process (LA responder, policy, log line)");
	double bs = g_opt.quick ? 0.1 : 0.3;
	ip->resp_ns = ip->init_ns = ip->splits = 0;
	mean_us(op_split, ip, bs, "split handshake");
	rep->resp_us = (double)ip->resp_ns / (double)ip->splits / NS_PER_US;
	rep->init_us = (double)ip->init_ns / (double)ip->splits / NS_PER_US;
	rep->policy_us = mean_us(op_policy, ip, bs / 4, "policy");
	rep->log_json_us = mean_us(op_log_json, ip, bs / 4, "log line (JSON)");
	rep->log_write_us = mean_us(op_log_write, ip, bs / 4, "log line (JSON + write)");
	fk_ttrpc_client_free(lc.conn);
	lc.conn = NULL;
	client_free(&lc.c);
}

/* ---- throughput: N client threads looping deliveries ---- */

struct worker {
	pthread_t th;
	struct client c;
	bool api;
	struct fk_ttrpc_client *conn;
	pthread_barrier_t *start;
	uint64_t end_ns, done_ns, count;
	struct samples lat;
	bool failed;
	char why[512];
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	pthread_barrier_wait(w->start);
	for (;;) {
		uint64_t t0 = now_ns(), t1;
		int rc = w->api ? deliver_api(&w->c) : deliver(&w->c, &w->conn, true);
		t1 = now_ns();
		if (rc != 0) {
			w->failed = true;
			memcpy(w->why, g_why, sizeof(w->why));
			break;
		}
		w->count++;
		if (!samples_add(&w->lat, t1 - t0)) {
			w->failed = true;
			snprintf(w->why, sizeof(w->why), "out of memory");
			break;
		}
		if (t1 >= w->end_ns)
			break;
	}
	w->done_ns = now_ns();
	fk_ttrpc_client_free(w->conn);
	w->conn = NULL;
	return NULL;
}

struct tp_row {
	const char *mode; /* "new_conn" (fusekey_get) or "one_conn" */
	unsigned n;
	uint64_t deliveries;
	double secs, per_s;
	struct lat_stats lat;
	double d_cpu_us, d_wait_us, d_vcsw, d_ivcsw; /* the daemon, per delivery */
	double c_cpu_us;                             /* this process (the clients), per delivery */
	double d_util, c_util;                       /* CPUs busy: daemon, clients */
	double o_util; /* CPUs kept busy by everything else on the machine (/proc/stat) */
};

static void throughput(const struct env *e, const struct daemon *d, bool api, unsigned n,
		       double secs, struct tp_row *row)
{
	static struct worker w[MAX_CLIENTS];
	pthread_barrier_t start;
	struct samples all = {0};
	struct sched s0, s1;
	uint64_t c0, c1, b0, b1, t0, done = 0;

	memset(row, 0, sizeof(*row));
	row->mode = api ? "new_conn" : "one_conn";
	row->n = n;
	if (pthread_barrier_init(&start, NULL, n + 1) != 0)
		die("pthread_barrier_init failed");
	for (unsigned i = 0; i < n; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		if (client_init(&w[i].c, e, d->sock) != 0)
			die("client: %s", g_why);
		w[i].api = api;
		w[i].start = &start;
	}
	for (unsigned i = 0; i < n; i++)
		if (pthread_create(&w[i].th, NULL, worker_main, &w[i]) != 0)
			die("pthread_create failed");
	s0 = proc_sched(d->pid);
	c0 = self_cpu_ns();
	b0 = system_busy_ns();
	t0 = now_ns();
	for (unsigned i = 0; i < n; i++)
		w[i].end_ns = t0 + secs_ns(secs);
	pthread_barrier_wait(&start);
	for (unsigned i = 0; i < n; i++)
		pthread_join(w[i].th, NULL);
	s1 = proc_sched(d->pid);
	c1 = self_cpu_ns();
	b1 = system_busy_ns();
	pthread_barrier_destroy(&start);
	for (unsigned i = 0; i < n; i++) {
		if (w[i].failed)
			die("%u clients (%s), client %u: %s", n, row->mode, i, w[i].why);
		row->deliveries += w[i].count;
		done = w[i].done_ns > done ? w[i].done_ns : done;
		for (size_t k = 0; k < w[i].lat.n; k++)
			if (!samples_add(&all, w[i].lat.v[k]))
				die("out of memory");
		samples_free(&w[i].lat);
		client_free(&w[i].c);
	}
	row->secs = (double)(done - t0) / 1e9;
	row->per_s = (double)row->deliveries / row->secs;
	row->lat = stats_of(&all);
	samples_free(&all);
	double dn = (double)row->deliveries;
	row->d_cpu_us = (double)(s1.run_ns - s0.run_ns) / dn / NS_PER_US;
	row->d_wait_us = (double)(s1.wait_ns - s0.wait_ns) / dn / NS_PER_US;
	row->d_vcsw = (double)(s1.vcsw - s0.vcsw) / dn;
	row->d_ivcsw = (double)(s1.ivcsw - s0.ivcsw) / dn;
	row->c_cpu_us = (double)(c1 - c0) / dn / NS_PER_US;
	row->d_util = (double)(s1.run_ns - s0.run_ns) / (double)(done - t0);
	row->c_util = (double)(c1 - c0) / (double)(done - t0);
	/* /proc/stat counts in ticks: the difference is good to a few hundredths of a CPU. */
	double others = (double)(b1 - b0) - (double)(s1.run_ns - s0.run_ns) - (double)(c1 - c0);
	row->o_util = others > 0 ? others / (double)(done - t0) : 0;
}

struct tp_report {
	struct tp_row rows[2][N_COUNTS]; /* [0] new connection (fusekey_get), [1] one connection */
	/* the decision log's cost: 16 clients, log to a file vs /dev/null */
	struct tp_row log_file, log_null;
	/* 16 clients again, [0] at the daemon's own priority, [1] at DAEMON_NICE; [new, one] */
	struct tp_row prio_rows[2][2];
	int nice_base;
	bool nice_ok;
	char nice_skip[96];
};

enum { DAEMON_NICE = -10 };

static void bench_throughput(const struct env *e, const struct daemon *d, struct tp_report *rep)
{
	for (size_t m = 0; m < 2; m++) {
		for (size_t i = 0; i < N_COUNTS; i++) {
			progress("throughput, %u client%s, %s", g_client_counts[i],
				 g_client_counts[i] > 1 ? "s" : "",
				 m == 0 ? "new connection per delivery" : "one connection each");
			throughput(e, d, m == 0, g_client_counts[i], g_opt.tp_s, &rep->rows[m][i]);
		}
	}
}

/* The same 16-client run on a daemon logging to /dev/null, interleaved with the file one. */
static void bench_log_cost(const struct env *e, const struct daemon *d, struct tp_report *rep)
{
	struct daemon dn;
	struct tp_row a[3], b[3];
	double fa[3], fb[3];
	unsigned runs = g_opt.quick ? 1 : 3;

	progress("the decision log's cost: 16 clients, log file vs /dev/null");
	daemon_start(e, &dn, "fusekeyd-nolog", "/dev/null");
	for (unsigned r = 0; r < runs; r++) {
		throughput(e, d, true, 16, g_opt.tp_s, &a[r]);
		throughput(e, &dn, true, 16, g_opt.tp_s, &b[r]);
		fa[r] = a[r].d_cpu_us;
		fb[r] = b[r].d_cpu_us;
	}
	daemon_stop(&dn);
	/* The run whose daemon CPU per delivery is the median of its kind. */
	double ma = median(fa, runs), mb = median(fb, runs);
	for (unsigned r = 0; r < runs; r++) {
		if (a[r].d_cpu_us == ma)
			rep->log_file = a[r];
		if (b[r].d_cpu_us == mb)
			rep->log_null = b[r];
	}
}

/*
 * The same 16 clients with fusekeyd at nice -10, its clients at 0, in turns
 * with nice 0: whether the daemon queueing behind its clients' crypto for a
 * CPU is what limits the rate (needs CAP_SYS_NICE; skipped otherwise).
 */
static void bench_priority(const struct env *e, const struct daemon *d, struct tp_report *rep)
{
	static struct tp_row runs[2][2][3];
	unsigned nruns = g_opt.quick ? 1 : 3;
	double secs = g_opt.quick ? g_opt.tp_s : 1.0;

	errno = 0;
	int old = getpriority(PRIO_PROCESS, (id_t)d->pid);
	if ((old == -1 && errno != 0) || setpriority(PRIO_PROCESS, (id_t)d->pid, DAEMON_NICE) != 0 ||
	    setpriority(PRIO_PROCESS, (id_t)d->pid, old) != 0) {
		snprintf(rep->nice_skip, sizeof(rep->nice_skip), "skipped: cannot renice fusekeyd (%s)",
			 strerror(errno));
		return;
	}
	progress("throughput, 16 clients, fusekeyd at nice %d and %d in turns", old, DAEMON_NICE);
	for (unsigned r = 0; r < nruns; r++)
		for (size_t m = 0; m < 2; m++)
			for (size_t pr = 0; pr < 2; pr++) {
				if (setpriority(PRIO_PROCESS, (id_t)d->pid, pr ? DAEMON_NICE : old) != 0)
					die("renice fusekeyd: %s", strerror(errno));
				throughput(e, d, m == 0, 16, secs, &runs[pr][m][r]);
			}
	if (setpriority(PRIO_PROCESS, (id_t)d->pid, old) != 0)
		die("cannot restore fusekeyd's priority: %s", strerror(errno));
	/* Each figure: the run with the median rate. */
	for (size_t pr = 0; pr < 2; pr++)
		for (size_t m = 0; m < 2; m++) {
			double v[3];
			for (unsigned r = 0; r < nruns; r++)
				v[r] = runs[pr][m][r].per_s;
			double med = median(v, nruns);
			for (unsigned r = 0; r < nruns; r++)
				if (runs[pr][m][r].per_s == med)
					rep->prio_rows[pr][m] = runs[pr][m][r];
		}
	rep->nice_base = old;
	rep->nice_ok = true;
}

/* ---- ttrpc echo: fk_ttrpc_server beside the Go server ---- */

static struct fk_ttrpc_server *g_echo_server;

static void echo_on_signal(int sig)
{
	(void)sig;
	fk_ttrpc_server_stop(g_echo_server); /* async-signal-safe */
}

static void h_echo(void *arg, const struct fk_ttrpc_call *call, struct fk_ttrpc_reply *rep)
{
	(void)arg;
	if (call->req->payload_len == 0)
		return;
	rep->payload = malloc(call->req->payload_len);
	if (rep->payload == NULL) {
		rep->code = FK_TTRPC_RESOURCE_EXHAUSTED;
		return;
	}
	memcpy(rep->payload, call->req->payload, call->req->payload_len);
	rep->payload_len = call->req->payload_len;
}

/* --serve-echo SOCKET: fusekey.test.Echo/Echo with fk_ttrpc_server, until SIGTERM. */
static int serve_echo(const char *sock)
{
	static const struct fk_ttrpc_method methods[] = {{ECHO_SERVICE, ECHO_METHOD, h_echo, NULL}};
	struct fk_ttrpc_server_config cfg;
	struct sigaction sa;
	fusekey_status st;
	int fd;

	memset(&cfg, 0, sizeof(cfg));
	cfg.methods = methods;
	cfg.n_methods = 1;
	if ((st = fk_ttrpc_listen_unix(sock, 0600, &fd)) != FUSEKEY_OK ||
	    (st = fk_ttrpc_server_new(&cfg, fd, &g_echo_server)) != FUSEKEY_OK) {
		fprintf(stderr, "echo server: %s\n", fusekey_status_str(st));
		return 1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = echo_on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	st = fk_ttrpc_server_run(g_echo_server);
	fk_ttrpc_server_free(g_echo_server);
	unlink(sock);
	return st == FUSEKEY_OK ? 0 : 1;
}

static const uint8_t g_echo_payload[ECHO_PAYLOAD] = "fusekey-echo-16";

static int echo_wait(struct fk_ttrpc_client *c, uint32_t id)
{
	struct fk_ttrpc_result r;
	fusekey_status st = fk_ttrpc_client_wait(c, id, CALL_TIMEOUT_NS, &r);
	int rc = 0;

	if (st != FUSEKEY_OK)
		rc = fail_fk("echo", st);
	else if (r.code != FK_TTRPC_OK || r.payload_len != ECHO_PAYLOAD ||
		 memcmp(r.payload, g_echo_payload, ECHO_PAYLOAD) != 0)
		rc = fail_msg("echo: status %u, %zu bytes back", r.code, r.payload_len);
	fk_ttrpc_result_free(&r);
	return rc;
}

static int echo_send(struct fk_ttrpc_client *c, uint32_t *id)
{
	fusekey_status st = fk_ttrpc_client_send(c, ECHO_SERVICE, ECHO_METHOD, g_echo_payload,
						 ECHO_PAYLOAD, NULL, 0, 0, id);
	return st == FUSEKEY_OK ? 0 : fail_fk("fk_ttrpc_client_send", st);
}

/* Sequential calls on one connection for secs: every round trip into s. */
static void echo_rtt(const char *sock, double secs, struct samples *s)
{
	struct fk_ttrpc_client *c = NULL;
	fusekey_status st = fk_ttrpc_client_connect(sock, &c);
	uint32_t id;

	if (st != FUSEKEY_OK)
		die("echo connect %s: %s", sock, fusekey_status_str(st));
	for (int i = 0; i < 50; i++)
		if (echo_send(c, &id) != 0 || echo_wait(c, id) != 0)
			die("%s", g_why);
	uint64_t end = now_ns() + secs_ns(secs), t0 = now_ns(), t1;
	do {
		if (echo_send(c, &id) != 0 || echo_wait(c, id) != 0)
			die("%s", g_why);
		t1 = now_ns();
		if (!samples_add(s, t1 - t0))
			die("out of memory");
		t0 = t1;
	} while (t1 < end);
	fk_ttrpc_client_free(c);
}

/* A new connection per call (connect, call, close): every round trip into s. */
static void echo_newconn(const char *sock, double secs, struct samples *s)
{
	uint64_t end = now_ns() + secs_ns(secs), t0 = now_ns(), t1;
	uint32_t id;

	do {
		struct fk_ttrpc_client *c = NULL;
		fusekey_status st = fk_ttrpc_client_connect(sock, &c);
		if (st != FUSEKEY_OK)
			die("echo connect %s: %s", sock, fusekey_status_str(st));
		if (echo_send(c, &id) != 0 || echo_wait(c, id) != 0)
			die("%s", g_why);
		fk_ttrpc_client_free(c);
		t1 = now_ns();
		if (!samples_add(s, t1 - t0))
			die("out of memory");
		t0 = t1;
	} while (t1 < end);
}

/* One connection, `window` calls in flight (wait for the oldest, send the next): calls/s. */
static double echo_pipelined(const char *sock, unsigned window, double secs)
{
	struct fk_ttrpc_client *c = NULL;
	uint32_t ids[64];
	uint64_t n = 0, t0, t;
	fusekey_status st = fk_ttrpc_client_connect(sock, &c);

	if (st != FUSEKEY_OK)
		die("echo connect %s: %s", sock, fusekey_status_str(st));
	for (unsigned i = 0; i < window; i++)
		if (echo_send(c, &ids[i]) != 0)
			die("%s", g_why);
	t0 = now_ns();
	for (;;) {
		unsigned k = (unsigned)(n % window);
		if (echo_wait(c, ids[k]) != 0)
			die("%s", g_why);
		n++;
		t = now_ns();
		if (t >= t0 + secs_ns(secs))
			break;
		if (echo_send(c, &ids[k]) != 0)
			die("%s", g_why);
	}
	/* Drain what is still in flight (not counted). */
	for (unsigned i = 1; i < window; i++)
		if (echo_wait(c, ids[(n + i - 1) % window]) != 0)
			die("%s", g_why);
	fk_ttrpc_client_free(c);
	return (double)n / ((double)(t - t0) / 1e9);
}

struct echo_worker {
	pthread_t th;
	const char *sock;
	pthread_barrier_t *start;
	uint64_t end_ns, done_ns, count;
	bool failed;
	char why[512];
};

static void *echo_worker_main(void *arg)
{
	struct echo_worker *w = arg;
	struct fk_ttrpc_client *c = NULL;
	fusekey_status st = fk_ttrpc_client_connect(w->sock, &c);
	uint32_t id;

	pthread_barrier_wait(w->start);
	if (st != FUSEKEY_OK) {
		w->failed = true;
		snprintf(w->why, sizeof(w->why), "connect: %s", fusekey_status_str(st));
		return NULL;
	}
	for (;;) {
		if (echo_send(c, &id) != 0 || echo_wait(c, id) != 0) {
			w->failed = true;
			memcpy(w->why, g_why, sizeof(w->why));
			break;
		}
		w->count++;
		if (now_ns() >= w->end_ns)
			break;
	}
	w->done_ns = now_ns();
	fk_ttrpc_client_free(c);
	return NULL;
}

/* nconn threads, one connection each, one call at a time: calls/s. */
static double echo_concurrent(const char *sock, unsigned nconn, double secs)
{
	static struct echo_worker w[ECHO_CONNS];
	pthread_barrier_t start;
	uint64_t t0, done = 0, n = 0;

	if (pthread_barrier_init(&start, NULL, nconn + 1) != 0)
		die("pthread_barrier_init failed");
	for (unsigned i = 0; i < nconn; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		w[i].sock = sock;
		w[i].start = &start;
		if (pthread_create(&w[i].th, NULL, echo_worker_main, &w[i]) != 0)
			die("pthread_create failed");
	}
	t0 = now_ns();
	for (unsigned i = 0; i < nconn; i++)
		w[i].end_ns = t0 + secs_ns(secs);
	pthread_barrier_wait(&start);
	for (unsigned i = 0; i < nconn; i++) {
		pthread_join(w[i].th, NULL);
		if (w[i].failed)
			die("echo client %u: %s", i, w[i].why);
		n += w[i].count;
		done = w[i].done_ns > done ? w[i].done_ns : done;
	}
	pthread_barrier_destroy(&start);
	return (double)n / ((double)(done - t0) / 1e9);
}

/* The Go client's bench (tests/interop gocli): calls/s, 16 goroutines on one connection. */
static double echo_gocli(const struct env *e, const char *gocli, const char *sock,
			 unsigned calls)
{
	char out[PATH_MAX], ncalls[16], size[16], conc[16], line[512];
	double rate = -1;
	FILE *f;

	path_in(out, e->dir, "gocli.out");
	snprintf(ncalls, sizeof(ncalls), "%u", calls);
	snprintf(size, sizeof(size), "%d", ECHO_PAYLOAD);
	snprintf(conc, sizeof(conc), "%d", ECHO_WINDOW);
	char *argv[] = {(char *)(uintptr_t)gocli, "bench", (char *)(uintptr_t)sock, ncalls, size,
			conc, NULL};
	run(argv, out, true);
	f = fopen(out, "r");
	while (f != NULL && fgets(line, sizeof(line), f) != NULL) {
		const char *p = strstr(line, "calls_per_s=");
		if (p != NULL)
			rate = strtod(p + strlen("calls_per_s="), NULL);
	}
	if (f != NULL)
		fclose(f);
	if (rate <= 0)
		die("cannot read the rate from gocli bench (%s)", out);
	return rate;
}

enum { ECHO_C, ECHO_GO, N_SERVERS };
enum {
	E_RTT_P50,
	E_RTT_P99,
	E_RTT_PIN_P50,
	E_NEW_P50,
	E_NEW_PIN_P50,
	E_PIPE,
	E_CONC,
	E_GOCLI,
	E_CPU_PIPE,
	N_EROWS
};

struct echo_report {
	bool go_ok;
	char go_skip[160];  /* why the Go rows are skipped */
	char go_version[64];
	double v[N_SERVERS][N_EROWS];
};

static bool in_path(const char *prog)
{
	const char *path = getenv("PATH");
	char buf[PATH_MAX];

	while (path != NULL && *path != '\0') {
		size_t len = strcspn(path, ":");
		if (len > 0 && (size_t)snprintf(buf, sizeof(buf), "%.*s/%s", (int)len, path, prog) <
				       sizeof(buf) &&
		    access(buf, X_OK) == 0)
			return true;
		path += len + (path[len] == ':');
	}
	return false;
}

/* gosrv and gocli, built offline by tests/interop/build-go.sh (cached in go_dir). */
static bool go_build(const struct env *e, struct echo_report *rep, char *gosrv, char *gocli)
{
	char log[PATH_MAX], bin[PATH_MAX];

	if (g_opt.no_go) {
		snprintf(rep->go_skip, sizeof(rep->go_skip), "skipped: --no-go");
		return false;
	}
	if (!in_path("go")) {
		snprintf(rep->go_skip, sizeof(rep->go_skip), "skipped: go not found");
		return false;
	}
	progress("building the Go ttrpc peers (tests/interop/build-go.sh, offline)");
	path_in(log, e->dir, "gobuild.log");
	char *argv[] = {"/bin/bash", (char *)(uintptr_t)g_opt.go_script,
			(char *)(uintptr_t)g_opt.go_dir, NULL};
	if (run(argv, log, false) != 0) {
		fprintf(stderr, "fusekey_la_bench: building the Go peers failed:\n");
		show_file(log);
		snprintf(rep->go_skip, sizeof(rep->go_skip),
			 "skipped: building the Go peers failed (golang-github-containerd-ttrpc-dev?)");
		return false;
	}
	path_in(bin, g_opt.go_dir, "bin");
	path_in(gosrv, bin, "gosrv");
	path_in(gocli, bin, "gocli");
	/* `go version` for the record. */
	char vout[PATH_MAX], *gov[] = {"/usr/bin/env", "go", "version", NULL};
	path_in(vout, e->dir, "goversion.out");
	if (run(gov, vout, false) == 0) {
		FILE *f = fopen(vout, "r");
		char line[128];
		if (f != NULL && fgets(line, sizeof(line), f) != NULL &&
		    sscanf(line, "go version %63s", rep->go_version) != 1)
			rep->go_version[0] = '\0';
		if (f != NULL)
			fclose(f);
	}
	return true;
}

/* Start the C (this program, re-executed) or the Go echo server on sock. */
static pid_t echo_server_start(size_t which, const char *gosrv, const char *sock, const char *out)
{
	pid_t pid;

	if (which == ECHO_C) {
		/* This very program, even if a rebuild replaced its file meanwhile. */
		char *argv[] = {"/proc/self/exe", "--serve-echo", (char *)(uintptr_t)sock, NULL};
		pid = spawn(argv, out);
	} else {
		char *argv[] = {(char *)(uintptr_t)gosrv, (char *)(uintptr_t)sock, NULL};
		pid = spawn(argv, out);
	}
	wait_socket(pid, sock, which == ECHO_C ? "the C echo server" : "gosrv", out);
	return pid;
}

/*
 * Both servers run at once (an idle one costs nothing) and are measured in
 * turns, round after round. A second pair runs on one CPU (started with this
 * thread pinned there: the Go runtime then also sees one CPU), for the round
 * trip without a hand-over between CPUs.
 */
static void bench_echo(const struct env *e, int pin, struct echo_report *rep)
{
	char sock[2][N_SERVERS][PATH_MAX], out[2][N_SERVERS][PATH_MAX];
	char gosrv[PATH_MAX], gocli[PATH_MAX], name[64];
	pid_t pid[2][N_SERVERS];
	const unsigned rounds = g_opt.echo_rounds;
	static double tmp[N_SERVERS][N_EROWS][MAX_ECHO_ROUNDS];
	cpu_set_t all;
	size_t ns;

	memset(tmp, 0, sizeof(tmp));
	memset(pid, 0, sizeof(pid));
	if (sched_getaffinity(0, sizeof(all), &all) != 0)
		die("sched_getaffinity: %s", strerror(errno));
	rep->go_ok = go_build(e, rep, gosrv, gocli);
	ns = rep->go_ok ? 2 : 1;
	for (size_t p = 0; p < 2; p++) {
		if (p == 1)
			pin_self(pin, &all);
		for (size_t s = 0; s < ns; s++) {
			snprintf(name, sizeof(name), "run/echo-%s%s.sock", s == ECHO_C ? "c" : "go",
				 p ? "-pinned" : "");
			path_in(sock[p][s], e->dir, name);
			snprintf(name, sizeof(name), "echo-%s%s.out", s == ECHO_C ? "c" : "go",
				 p ? "-pinned" : "");
			path_in(out[p][s], e->dir, name);
			pid[p][s] = echo_server_start(s, gosrv, sock[p][s], out[p][s]);
		}
		pin_self(-1, &all);
	}
	progress("ttrpc echo, C server%s", rep->go_ok ? " and Go server, interleaved" : "");
	double secs = g_opt.quick ? 0.15 : 0.4;
	for (unsigned r = 0; r < rounds; r++) {
		for (size_t s = 0; s < ns; s++) {
			struct samples smp = {0};
			struct lat_stats ls;
			struct sched s0, s1;
			echo_rtt(sock[0][s], secs, &smp);
			ls = stats_of(&smp);
			samples_free(&smp);
			tmp[s][E_RTT_P50][r] = ls.p50_us;
			tmp[s][E_RTT_P99][r] = ls.p99_us;
			pin_self(pin, &all);
			echo_rtt(sock[1][s], secs / 2, &smp);
			pin_self(-1, &all);
			ls = stats_of(&smp);
			samples_free(&smp);
			tmp[s][E_RTT_PIN_P50][r] = ls.p50_us;
			echo_newconn(sock[0][s], secs / 2, &smp);
			ls = stats_of(&smp);
			samples_free(&smp);
			tmp[s][E_NEW_P50][r] = ls.p50_us;
			pin_self(pin, &all);
			echo_newconn(sock[1][s], secs / 2, &smp);
			pin_self(-1, &all);
			ls = stats_of(&smp);
			samples_free(&smp);
			tmp[s][E_NEW_PIN_P50][r] = ls.p50_us;
			s0 = proc_sched(pid[0][s]);
			uint64_t t0 = now_ns();
			tmp[s][E_PIPE][r] = echo_pipelined(sock[0][s], ECHO_WINDOW, secs);
			double el = (double)(now_ns() - t0) / 1e9;
			s1 = proc_sched(pid[0][s]);
			/* the server's CPU per call in the pipelined run */
			tmp[s][E_CPU_PIPE][r] = (double)(s1.run_ns - s0.run_ns) / NS_PER_US /
						(tmp[s][E_PIPE][r] * el);
			tmp[s][E_CONC][r] = echo_concurrent(sock[0][s], ECHO_CONNS, secs);
			if (rep->go_ok)
				tmp[s][E_GOCLI][r] = echo_gocli(e, gocli, sock[0][s],
								g_opt.quick ? 20000 : 40000);
		}
	}
	for (size_t s = 0; s < N_SERVERS; s++)
		for (size_t k = 0; k < N_EROWS; k++)
			rep->v[s][k] = median(tmp[s][k], rounds);
	for (size_t p = 0; p < 2; p++)
		for (size_t s = 0; s < ns; s++)
			stop_server(pid[p][s], s == ECHO_C ? "the C echo server" : "gosrv",
				    out[p][s]);
}

/* ---- memory and idle CPU: a fresh daemon, then 1,000 clients connected ---- */

struct mem_report {
	long rss_start_kb, hwm_start_kb;   /* fresh, before any client */
	long rss_kb, hwm_kb, anon_kb, file_kb, lck_kb; /* 1,000 clients connected and idle */
	long rss_after_kb, hwm_after_kb;   /* after the throughput runs (the main daemon) */
	unsigned conns;
	long held; /* the daemon's connected sockets after the window (/proc/net/unix) */
	unsigned long long idle_ticks, idle_conn_ticks;
	double idle_s, idle_conn_s;
	long clk_tck;
};

static unsigned long long idle_ticks(pid_t pid, double secs, double *measured)
{
	uint64_t t0 = now_ns();
	unsigned long long a = proc_ticks(pid), b;
	sleep_s(secs);
	b = proc_ticks(pid);
	*measured = (double)(now_ns() - t0) / 1e9;
	return b - a;
}

/*
 * Connections the daemon holds: its accepted sockets carry the listening
 * socket's path in /proc/net/unix, in state 03 (connected); our ends are
 * unnamed. Works without privileges (fusekeyd's /proc/<pid>/fd is root's).
 */
static long held_connections(const char *sock)
{
	char line[PATH_MAX + 128];
	size_t plen = strlen(sock);
	long n = 0;
	FILE *f = fopen("/proc/net/unix", "r");

	while (f != NULL && fgets(line, sizeof(line), f) != NULL) {
		unsigned st = 0;
		int path_at = 0;
		line[strcspn(line, "\n")] = '\0';
		/* Num RefCount Protocol Flags Type St Inode Path */
		if (sscanf(line, "%*s %*s %*s %*s %*s %x %*s %n", &st, &path_at) == 1 &&
		    path_at > 0 && st == 3 && strlen(line + path_at) == plen &&
		    memcmp(line + path_at, sock, plen) == 0)
			n++;
	}
	if (f != NULL)
		fclose(f);
	return n;
}

static void bench_memory(const struct env *e, struct mem_report *rep)
{
	static struct fk_ttrpc_client *conns[IDLE_CONNS];
	struct daemon d;
	struct client c;
	struct rlimit rl;
	uint64_t first;

	rep->clk_tck = sysconf(_SC_CLK_TCK);
	/* Our end of each connection is a descriptor too: fewer if the limit says so. */
	unsigned nconn = IDLE_CONNS;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    rl.rlim_cur < (rlim_t)IDLE_CONNS + 64)
		nconn = rl.rlim_cur > 128 ? (unsigned)(rl.rlim_cur - 64) : 64;
	progress("memory and idle CPU: a fresh fusekeyd, 2 s idle");
	daemon_start(e, &d, "fusekeyd-rss", NULL);
	sleep_s(0.2); /* let it settle into epoll_wait */
	rep->rss_start_kb = status_field(d.pid, "VmRSS", true);
	rep->hwm_start_kb = status_field(d.pid, "VmHWM", true);
	rep->idle_ticks = idle_ticks(d.pid, 2.0, &rep->idle_s);

	progress("memory and idle CPU: %u clients connected (one delivery each), 2 s idle", nconn);
	if (client_init(&c, e, d.sock) != 0)
		die("client: %s", g_why);
	first = now_ns();
	for (unsigned i = 0; i < nconn; i++) {
		if (deliver(&c, &conns[i], true) != 0)
			die("connection %u of %u: %s", i + 1, nconn, g_why);
	}
	rep->conns = nconn;
	sleep_s(0.2);
	rep->rss_kb = status_field(d.pid, "VmRSS", true);
	rep->hwm_kb = status_field(d.pid, "VmHWM", true);
	rep->anon_kb = status_field(d.pid, "RssAnon", false);
	rep->file_kb = status_field(d.pid, "RssFile", false);
	rep->lck_kb = status_field(d.pid, "VmLck", false);
	rep->idle_conn_ticks = idle_ticks(d.pid, 2.0, &rep->idle_conn_s);
	rep->held = held_connections(d.sock);
	if (rep->held != (long)nconn)
		fprintf(stderr, "fusekey_la_bench: warning: /proc/net/unix shows %ld connections "
				"to fusekeyd, not %u\n", rep->held, nconn);
	/* fusekeyd drops a connection idle for 10 s (--conn-timeout-ms): the window was inside. */
	if ((double)(now_ns() - first) / 1e9 >= 9.5)
		fprintf(stderr, "fusekey_la_bench: warning: the idle window reached the daemon's "
				"10-s connection timeout; the idle figure may include the drops\n");
	for (unsigned i = 0; i < nconn; i++) {
		fk_ttrpc_client_free(conns[i]);
		conns[i] = NULL;
	}
	client_free(&c);
	daemon_stop(&d);
}

/* ---- output ---- */

static void cpu_model(char *buf, size_t len)
{
	char line[256];
	FILE *f = fopen("/proc/cpuinfo", "r");

	snprintf(buf, len, "unknown CPU");
	while (f != NULL && fgets(line, sizeof(line), f) != NULL) {
		char *colon = strchr(line, ':');
		if (strncmp(line, "model name", 10) == 0 && colon != NULL) {
			colon += 2;
			colon[strcspn(colon, "\n")] = '\0';
			snprintf(buf, len, "%s", colon);
			break;
		}
	}
	if (f != NULL)
		fclose(f);
}

struct report {
	char cpu[128], kernel[128], cpuidle[96];
	long ncpu;
	struct lat_report lat;
	struct tp_report tp;
	struct echo_report echo;
	struct mem_report mem;
	double tp_best[2];   /* best deliveries/s: new connection, one connection */
	unsigned tp_best_n[2];
};

/* A one-line sysfs value, or "" (for the record: idle vCPUs and wake-ups). */
static void read_line_of(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	buf[0] = '\0';
	if (f != NULL && fgets(buf, (int)len, f) != NULL)
		buf[strcspn(buf, "\n")] = '\0';
	if (f != NULL)
		fclose(f);
}

/* How an idle CPU waits (a woken vCPU that halted costs a VM exit and entry). */
static void cpuidle_of(char *buf, size_t len)
{
	char drv[32], poll[32];
	read_line_of("/sys/devices/system/cpu/cpuidle/current_driver", drv, sizeof(drv));
	read_line_of("/sys/module/haltpoll/parameters/guest_halt_poll_ns", poll, sizeof(poll));
	snprintf(buf, len, "%s%s%s%s", drv[0] ? drv : "unknown",
		 poll[0] ? " (guest_halt_poll_ns " : "", poll, poll[0] ? ")" : "");
}

/* The targets, each with its measured value. */
struct target {
	const char *id, *what;
	char value[160];
	bool met, skipped;
};

enum {
	T_P50_NEW,
	T_P50_ONE,
	T_TP,
	T_TP_ONE,
	T_ECHO_PIPE,
	T_ECHO_CONC,
	T_ECHO_GO,
	T_RSS,
	T_IDLE,
	T_IDLE_CONN,
	N_T
};

static void targets_of(const struct report *r, struct target *t)
{
	const struct op *o = r->lat.ops;
	double floor = o[LAT_FLOOR].st.p50_us;
	double rn = ratio(o[LAT_API].st.p50_us, floor), ro = ratio(o[LAT_KEPT].st.p50_us, floor);
	const double(*v)[N_EROWS] = r->echo.v;

	memset(t, 0, sizeof(*t) * N_T);
	t[T_P50_NEW] = (struct target){"delivery_p50_new_conn",
				       "delivery p50 <= 1.6x the in-process handshake floor "
				       "(new connection, fusekey_get)",
				       "", rn <= 1.6, false};
	snprintf(t[T_P50_NEW].value, sizeof(t[0].value),
		 "%.1f us vs floor %.1f us = %.2fx (on one CPU: %.2fx)", o[LAT_API].st.p50_us, floor,
		 rn, ratio(o[LAT_PIN_API].st.p50_us, floor));
	t[T_P50_ONE] = (struct target){"delivery_p50_one_conn",
				       "delivery p50 <= 1.6x the floor (one kept connection)", "",
				       ro <= 1.6, false};
	snprintf(t[T_P50_ONE].value, sizeof(t[0].value),
		 "%.1f us vs floor %.1f us = %.2fx (on one CPU: %.2fx)", o[LAT_KEPT].st.p50_us, floor,
		 ro, ratio(o[LAT_PIN_KEPT].st.p50_us, floor));
	char nice_new[64] = "", nice_one[64] = "";
	if (r->tp.nice_ok) {
		snprintf(nice_new, sizeof(nice_new), "; fusekeyd at nice %d: %.0f/s vs %.0f/s",
			 DAEMON_NICE, r->tp.prio_rows[1][0].per_s, r->tp.prio_rows[0][0].per_s);
		snprintf(nice_one, sizeof(nice_one), "; fusekeyd at nice %d: %.0f/s vs %.0f/s",
			 DAEMON_NICE, r->tp.prio_rows[1][1].per_s, r->tp.prio_rows[0][1].per_s);
	}
	t[T_TP] = (struct target){"deliveries_per_s_new_conn",
				  ">= 8,000 deliveries/s, a new connection per delivery (fusekey get)",
				  "", r->tp_best[0] >= 8000, false};
	snprintf(t[T_TP].value, sizeof(t[0].value), "%.0f/s (%u clients)%s", r->tp_best[0],
		 r->tp_best_n[0], nice_new);
	t[T_TP_ONE] = (struct target){"deliveries_per_s_one_conn",
				      ">= 8,000 deliveries/s, one connection per client", "",
				      r->tp_best[1] >= 8000, false};
	snprintf(t[T_TP_ONE].value, sizeof(t[0].value), "%.0f/s (%u clients)%s", r->tp_best[1],
		 r->tp_best_n[1], nice_one);
	static const char *const echo_what[3] = {
		"C echo server >= 2x the Go server (C client, 1 connection, 16 in flight)",
		"C echo server >= 2x the Go server (C client, 16 connections)",
		"C echo server >= 2x the Go server (Go client bench, 16 goroutines)"};
	static const char *const echo_id[3] = {"echo_c_client_pipelined", "echo_c_client_16_conns",
					       "echo_go_client"};
	static const int echo_row[3] = {E_PIPE, E_CONC, E_GOCLI};
	for (int k = 0; k < 3; k++) {
		struct target *x = &t[T_ECHO_PIPE + k];
		double c = v[ECHO_C][echo_row[k]], g = v[ECHO_GO][echo_row[k]];
		x->id = echo_id[k];
		x->what = echo_what[k];
		if (!r->echo.go_ok) {
			x->skipped = true;
			snprintf(x->value, sizeof(x->value), "%s", r->echo.go_skip);
		} else {
			x->met = c >= 2 * g;
			snprintf(x->value, sizeof(x->value), "%.0f vs %.0f calls/s = %.2fx", c, g,
				 ratio(c, g));
		}
	}
	t[T_RSS] = (struct target){"rss_1000_clients",
				   "daemon RSS <= 8 MiB with 1,000 clients connected", "",
				   r->mem.rss_kb <= 8 * 1024 && r->mem.hwm_kb <= 8 * 1024, false};
	snprintf(t[T_RSS].value, sizeof(t[0].value), "VmRSS %.2f MiB, VmHWM %.2f MiB",
		 (double)r->mem.rss_kb / 1024, (double)r->mem.hwm_kb / 1024);

	t[T_IDLE] = (struct target){"idle_ticks", "no CPU while idle (no clients, 2 s)", "",
				    r->mem.idle_ticks == 0, false};
	snprintf(t[T_IDLE].value, sizeof(t[0].value), "%llu ticks in %.2f s", r->mem.idle_ticks,
		 r->mem.idle_s);
	t[T_IDLE_CONN] = (struct target){"idle_ticks_1000_clients",
					 "no CPU while idle (1,000 idle connections, 2 s)", "",
					 r->mem.idle_conn_ticks == 0, false};
	snprintf(t[T_IDLE_CONN].value, sizeof(t[0].value), "%llu ticks in %.2f s",
		 r->mem.idle_conn_ticks, r->mem.idle_conn_s);
	/* Fewer connections than the 1,000 (RLIMIT_NOFILE): say so, judge nothing. */
	if (r->mem.conns < IDLE_CONNS) {
		t[T_RSS].skipped = t[T_IDLE_CONN].skipped = true;
		snprintf(t[T_RSS].value, sizeof(t[0].value),
			 "skipped: RLIMIT_NOFILE allows %u connections (VmRSS %.2f MiB with them)",
			 r->mem.conns, (double)r->mem.rss_kb / 1024);
		snprintf(t[T_IDLE_CONN].value, sizeof(t[0].value),
			 "skipped: %u connections only (%llu ticks with them)", r->mem.conns,
			 r->mem.idle_conn_ticks);
	}
}

/* The most CPUs other processes kept busy during a throughput run. */
static double max_others(const struct report *r)
{
	double m = 0;
	for (size_t k = 0; k < 2; k++)
		for (size_t i = 0; i < N_COUNTS; i++)
			m = r->tp.rows[k][i].o_util > m ? r->tp.rows[k][i].o_util : m;
	return m;
}

static void print_lat_row(const struct op *o, double floor)
{
	printf("%-50s %7zu %9.1f %9.1f %9.1f", o->desc, o->st.n, o->st.p50_us, o->st.p99_us,
	       o->st.mean_us);
	if (o->fn != op_floor)
		printf(" %7.2fx", ratio(o->st.p50_us, floor));
	printf("\n");
}

static void print_tp_row(const struct tp_row *t, const char *label)
{
	printf("%-16s %3u %9.0f %8.1f %8.1f %9.1f %9.1f %9.1f %6.2f %6.2f %6.2f %6.2f\n",
	       label != NULL ? label
	       : strcmp(t->mode, "new_conn") == 0 ? "new connection"
						  : "one connection",
	       t->n,
	       t->per_s, t->lat.p50_us, t->lat.p99_us, t->d_cpu_us, t->d_wait_us, t->c_cpu_us,
	       t->d_util, t->c_util, t->o_util, t->d_vcsw + t->d_ivcsw);
}

static void print_text(const struct report *r)
{
	const struct lat_report *l = &r->lat;
	const struct op *o = l->ops;
	double floor = o[LAT_FLOOR].st.p50_us;
	struct target t[N_T];

	printf("fusekey key service (la): %s, %ld CPUs, Linux %s, cpuidle %s\n", r->cpu, r->ncpu,
	       r->kernel, r->cpuidle);
	printf("emulated platform, a real fusekeyd (one thread, epoll), decision log to a file;\n"
	       "clients are threads of this process, on the same CPUs\n\n");

	printf("latency: one client at a time (us per delivery; %u interleaved rounds)\n",
	       g_opt.rounds);
	printf("%-50s %7s %9s %9s %9s %8s\n", "operation", "n", "p50", "p99", "mean", "p50/floor");
	for (size_t i = 0; i < N_LAT; i++)
		print_lat_row(&o[i], floor);
	printf("other processes kept %.2f CPUs busy meanwhile\n\n", l->others);

	printf("throughput: N client threads, each looping deliveries for %.1f s\n", g_opt.tp_s);
	printf("%-16s %3s %9s %8s %8s %9s %9s %9s %6s %6s %6s %6s\n", "mode", "N", "deliv/s",
	       "p50 us", "p99 us", "d cpu us", "d wait us", "c cpu us", "d CPUs", "c CPUs",
	       "others", "d csw");
	for (size_t m = 0; m < 2; m++)
		for (size_t i = 0; i < N_COUNTS; i++)
			print_tp_row(&r->tp.rows[m][i], NULL);
	if (r->tp.nice_ok) {
		printf("16 clients again, fusekeyd at nice %d and at nice %d in turns (clients at %d):\n",
		       r->tp.nice_base, DAEMON_NICE, r->tp.nice_base);
		for (size_t m = 0; m < 2; m++)
			for (size_t pr = 0; pr < 2; pr++) {
				char label[32];
				snprintf(label, sizeof(label), "%s, nice %d", m == 0 ? "new" : "one",
					 pr ? DAEMON_NICE : r->tp.nice_base);
				print_tp_row(&r->tp.prio_rows[pr][m], label);
			}
	} else {
		printf("fusekeyd at nice %d: %s\n", DAEMON_NICE, r->tp.nice_skip);
	}
	printf("d = the daemon, c = the clients (this process); per delivery: CPU time (schedstat,\n"
	       "getrusage), time the daemon was runnable but waiting for a CPU, daemon context\n"
	       "switches; CPUs kept busy by the daemon, the clients and everything else\n"
	       "(/proc/stat, steal included): with %ld CPUs, others > 0 means the figures are\n"
	       "lower bounds\n\n",
	       r->ncpu);

	const struct tp_row *lf = &r->tp.log_file, *ln = &r->tp.log_null;
	const struct tp_row *t16 = &r->tp.rows[0][2];
	double resp = l->resp_us, pol = l->policy_us, logw = l->log_write_us;
	printf("where the daemon's time goes (16 clients, new connection: %.1f us CPU per delivery)\n",
	       t16->d_cpu_us);
	printf("  LA responder: gen_msg1, proc_msg2, check_peer, seal the grant (in-process) %7.1f us\n",
	       resp);
	printf("  release policy: evaluate + the rule's expectation (in-process)            %7.1f us\n",
	       pol);
	printf("  decision log line: JSON %.1f us + fprintf/fflush to the file %.1f us      %7.1f us\n",
	       l->log_json_us, logw - l->log_json_us, logw);
	printf("  the rest: ttrpc, protobuf, session table, syscalls (difference)           %7.1f us\n",
	       t16->d_cpu_us - resp - pol - logw);
	printf("the clients' side: initiator proc_msg1, proc_msg3, check_peer, open (in-process)"
	       " %.1f us of %.1f us measured\n",
	       l->init_us, t16->c_cpu_us);
	printf("decision log, cross-check: daemon CPU per delivery with the log to a file %.1f us, "
	       "to /dev/null %.1f us\n(the JSON is built either way; %.0f vs %.0f deliveries/s)\n\n",
	       lf->d_cpu_us, ln->d_cpu_us, lf->per_s, ln->per_s);

	const struct echo_report *e = &r->echo;
	printf("ttrpc echo, %d-byte payload: fk_ttrpc_server vs Go ttrpc 1.1.1 (%s)\n", ECHO_PAYLOAD,
	       e->go_ok ? e->go_version : e->go_skip);
	printf("%-52s %12s %12s %8s\n", "client / figure", "C server", "Go server", "C / Go");
	static const char *const names[] = {
		"C client, round trip p50 (us)",
		"C client, round trip p99 (us)",
		"C client, round trip p50, both on one CPU (us)",
		"C client, new connection per call, p50 (us)",
		"  the same, both on one CPU (us)",
		"C client, 1 connection, 16 in flight (calls/s)",
		"C client, 16 connections, 1 call each (calls/s)",
		"Go client bench, 16 goroutines, 1 conn (calls/s)",
		"server CPU per call, pipelined run (us)"};
	_Static_assert(sizeof(names) / sizeof(names[0]) == N_EROWS, "one name per echo row");
	for (size_t k = 0; k < N_EROWS; k++) {
		bool gocli = k == E_GOCLI;
		if (!e->go_ok) {
			if (gocli)
				printf("%-52s %12s   %s\n", names[k], "-", e->go_skip);
			else
				printf("%-52s %12.1f   %s\n", names[k], e->v[ECHO_C][k], e->go_skip);
			continue;
		}
		printf("%-52s %12.1f %12.1f %7.2fx\n", names[k], e->v[ECHO_C][k], e->v[ECHO_GO][k],
		       ratio(e->v[ECHO_C][k], e->v[ECHO_GO][k]));
	}
	printf("\n");

	const struct mem_report *m = &r->mem;
	printf("memory and idle CPU (a fresh fusekeyd; CLK_TCK %ld)\n", m->clk_tck);
	printf("  started, no client:            VmRSS %6.2f MiB, VmHWM %6.2f MiB;"
	       " %llu ticks in %.2f s idle\n",
	       (double)m->rss_start_kb / 1024, (double)m->hwm_start_kb / 1024, m->idle_ticks,
	       m->idle_s);
	printf("  %u clients connected, idle:  VmRSS %6.2f MiB, VmHWM %6.2f MiB;"
	       " %llu ticks in %.2f s idle\n"
	       "  (RSS: anonymous %.2f MiB, of which locked %.2f; files %.2f MiB;"
	       " /proc/net/unix: the daemon holds %ld connections)\n",
	       m->conns, (double)m->rss_kb / 1024, (double)m->hwm_kb / 1024, m->idle_conn_ticks,
	       m->idle_conn_s, (double)m->anon_kb / 1024, (double)m->lck_kb / 1024,
	       (double)m->file_kb / 1024, m->held);
	printf("  the daemon of the throughput runs, at its end: VmRSS %.2f MiB, VmHWM %.2f MiB\n\n",
	       (double)m->rss_after_kb / 1024, (double)m->hwm_after_kb / 1024);

	targets_of(r, t);
	printf("targets:\n");
	for (size_t i = 0; i < N_T; i++) {
		if (t[i].skipped) /* the value says "skipped: why" */
			printf("  %-76s %s\n", t[i].what, t[i].value);
		else
			printf("  %-76s %s: %s\n", t[i].what, t[i].value, t[i].met ? "yes" : "no");
	}
	if (max_others(r) >= 0.1)
		printf("note: other processes kept up to %.2f of the %ld CPUs busy during the "
		       "throughput runs:\nthe throughput figures are lower bounds; run again on an "
		       "idle machine\n",
		       max_others(r), r->ncpu);
}

static void json_lat(const char *key, const struct lat_stats *s)
{
	printf("\"%s\": {\"n\": %zu, \"p50_us\": %.2f, \"p99_us\": %.2f, \"mean_us\": %.2f, "
	       "\"min_us\": %.2f, \"max_us\": %.2f}",
	       key, s->n, s->p50_us, s->p99_us, s->mean_us, s->min_us, s->max_us);
}

static void json_tp(const struct tp_row *t)
{
	printf("{\"mode\": \"%s\", \"clients\": %u, \"deliveries\": %llu, \"seconds\": %.3f, "
	       "\"per_s\": %.1f, ",
	       t->mode, t->n, (unsigned long long)t->deliveries, t->secs, t->per_s);
	json_lat("latency", &t->lat);
	printf(", \"daemon_cpu_us\": %.2f, \"daemon_wait_us\": %.2f, \"daemon_csw\": %.2f, "
	       "\"clients_cpu_us\": %.2f, \"daemon_cpus\": %.3f, \"clients_cpus\": %.3f, "
	       "\"other_cpus\": %.3f}",
	       t->d_cpu_us, t->d_wait_us, t->d_vcsw + t->d_ivcsw, t->c_cpu_us, t->d_util,
	       t->c_util, t->o_util);
}

static void print_json(const struct report *r)
{
	const struct lat_report *l = &r->lat;
	struct target t[N_T];
	static const char *const ekeys[] = {"rtt_p50_us", "rtt_p99_us",
						   "rtt_one_cpu_p50_us", "new_conn_p50_us",
						   "new_conn_one_cpu_p50_us",
						   "c_client_pipelined_per_s",
						   "c_client_16_conns_per_s", "go_client_per_s",
						   "server_cpu_us_per_call"};
	_Static_assert(sizeof(ekeys) / sizeof(ekeys[0]) == N_EROWS, "one key per echo row");

	printf("{\"benchmark\": \"fusekey_la_bench\", \"cpu\": \"%s\", \"cpus\": %ld, "
	       "\"kernel\": \"%s\", \"cpuidle\": \"%s\", \"quick\": %s, \"rounds\": %u, "
	       "\"throughput_seconds\": %.2f, "
	       "\"max_other_cpus\": %.3f,\n",
	       r->cpu, r->ncpu, r->kernel, r->cpuidle, g_opt.quick ? "true" : "false",
	       g_opt.rounds, g_opt.tp_s, max_others(r));
	printf(" \"latency\": {\"pinned_cpu\": %d, \"other_cpus\": %.3f, ", l->pin_cpu,
	       l->others);
	for (size_t i = 0; i < N_LAT; i++) {
		printf("%s", i ? ", " : "");
		json_lat(l->ops[i].id, &l->ops[i].st);
	}
	printf(", \"floor_ratio_p50\": {\"api_new_conn\": %.3f, \"mirror_one_conn\": %.3f, "
	       "\"api_new_conn_one_cpu\": %.3f, \"mirror_one_conn_one_cpu\": %.3f}",
	       ratio(l->ops[LAT_API].st.p50_us, l->ops[LAT_FLOOR].st.p50_us),
	       ratio(l->ops[LAT_KEPT].st.p50_us, l->ops[LAT_FLOOR].st.p50_us),
	       ratio(l->ops[LAT_PIN_API].st.p50_us, l->ops[LAT_FLOOR].st.p50_us),
	       ratio(l->ops[LAT_PIN_KEPT].st.p50_us, l->ops[LAT_FLOOR].st.p50_us));
	printf("},\n \"throughput\": [");
	for (size_t m = 0; m < 2; m++)
		for (size_t i = 0; i < N_COUNTS; i++) {
			printf("%s\n  ", m + i ? "," : "");
			json_tp(&r->tp.rows[m][i]);
		}
	printf("],\n \"daemon_parts_us\": {\"la_responder\": %.2f, \"policy\": %.2f, "
	       "\"log_json\": %.2f, \"log_json_write\": %.2f, \"la_initiator\": %.2f},\n",
	       l->resp_us, l->policy_us, l->log_json_us, l->log_write_us, l->init_us);
	printf(" \"log_cost\": {\"file\": ");
	json_tp(&r->tp.log_file);
	printf(",\n  \"dev_null\": ");
	json_tp(&r->tp.log_null);
	printf("},\n \"daemon_nice\": {\"nice\": %d, \"skipped\": ", DAEMON_NICE);
	if (r->tp.nice_ok) {
		printf("null, \"base\": %d, \"rows_base\": [", r->tp.nice_base);
		json_tp(&r->tp.prio_rows[0][0]);
		printf(", ");
		json_tp(&r->tp.prio_rows[0][1]);
		printf("], \"rows_nice\": [");
		json_tp(&r->tp.prio_rows[1][0]);
		printf(", ");
		json_tp(&r->tp.prio_rows[1][1]);
		printf("]");
	} else {
		printf("\"%s\"", r->tp.nice_skip);
	}
	printf("},\n \"echo\": {\"payload_bytes\": %d, \"go\": %s, \"go_skip\": \"%s\", "
	       "\"go_version\": \"%s\"",
	       ECHO_PAYLOAD, r->echo.go_ok ? "true" : "false", r->echo.go_ok ? "" : r->echo.go_skip,
	       r->echo.go_version);
	for (size_t s = 0; s < N_SERVERS; s++) {
		printf(", \"%s\": {", s == ECHO_C ? "c_server" : "go_server");
		for (size_t k = 0; k < N_EROWS; k++) {
			if (s == ECHO_GO && !r->echo.go_ok)
				printf("%s\"%s\": null", k ? ", " : "", ekeys[k]);
			else if (k == E_GOCLI && !r->echo.go_ok)
				printf("%s\"%s\": null", k ? ", " : "", ekeys[k]);
			else
				printf("%s\"%s\": %.2f", k ? ", " : "", ekeys[k], r->echo.v[s][k]);
		}
		printf("}");
	}
	const struct mem_report *m = &r->mem;
	printf("},\n \"memory\": {\"clients\": %u, \"held\": %ld, \"start_vmrss_kb\": %ld, "
	       "\"start_vmhwm_kb\": %ld, "
	       "\"vmrss_kb\": %ld, \"vmhwm_kb\": %ld, \"rss_anon_kb\": %ld, \"rss_file_kb\": %ld, "
	       "\"vmlck_kb\": %ld, "
	       "\"after_throughput_vmrss_kb\": %ld, \"after_throughput_vmhwm_kb\": %ld},\n",
	       m->conns, m->held, m->rss_start_kb, m->hwm_start_kb, m->rss_kb, m->hwm_kb, m->anon_kb,
	       m->file_kb, m->lck_kb, m->rss_after_kb, m->hwm_after_kb);
	printf(" \"idle\": {\"clk_tck\": %ld, \"ticks\": %llu, \"seconds\": %.3f, "
	       "\"ticks_1000_clients\": %llu, \"seconds_1000_clients\": %.3f},\n",
	       m->clk_tck, m->idle_ticks, m->idle_s, m->idle_conn_ticks, m->idle_conn_s);
	targets_of(r, t);
	printf(" \"targets\": [");
	for (size_t i = 0; i < N_T; i++)
		printf("%s\n  {\"id\": \"%s\", \"target\": \"%s\", \"value\": \"%s\", \"met\": %s}",
		       i ? "," : "", t[i].id, t[i].what, t[i].value,
		       t[i].skipped ? "null" : t[i].met ? "true" : "false");
	printf("]}\n");
}

/* ---- main ---- */

static bool parse_args(int argc, char **argv)
{
	unsigned runs = 0;

	memset(&g_opt, 0, sizeof(g_opt));
	g_opt.fusekey = FK_BENCH_FUSEKEY;
	g_opt.fusekeyd = FK_BENCH_FUSEKEYD;
	g_opt.go_script = FK_BENCH_GO_SCRIPT;
	g_opt.go_dir = FK_BENCH_GO_DIR;
	for (int i = 1; i < argc; i++) {
		const char **dst = NULL;
		if (strcmp(argv[i], "--quick") == 0)
			g_opt.quick = true;
		else if (strcmp(argv[i], "--json") == 0)
			g_opt.json = true;
		else if (strcmp(argv[i], "--no-go") == 0)
			g_opt.no_go = true;
		else if (strcmp(argv[i], "--keep") == 0)
			g_opt.keep = true;
		else if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc) {
			char *end;
			unsigned long v = strtoul(argv[++i], &end, 10);
			if (*end != '\0' || v < 1 || v > 99) {
				fprintf(stderr, "%s: --runs must be 1..99\n", argv[0]);
				return false;
			}
			runs = (unsigned)v;
		} else if (strcmp(argv[i], "--fusekey") == 0)
			dst = &g_opt.fusekey;
		else if (strcmp(argv[i], "--fusekeyd") == 0)
			dst = &g_opt.fusekeyd;
		else if (strcmp(argv[i], "--go-script") == 0)
			dst = &g_opt.go_script;
		else if (strcmp(argv[i], "--go-dir") == 0)
			dst = &g_opt.go_dir;
		else {
			fprintf(stderr,
				"usage: %s [--runs N] [--quick] [--json] [--no-go] [--keep]\n"
				"          [--fusekey PATH] [--fusekeyd PATH] [--go-script PATH]\n"
				"          [--go-dir DIR]\n",
				argv[0]);
			return false;
		}
		if (dst != NULL) {
			if (i + 1 >= argc) {
				fprintf(stderr, "%s: %s needs a value\n", argv[0], argv[i]);
				return false;
			}
			*dst = argv[++i];
		}
	}
	g_opt.rounds = runs != 0 ? runs : g_opt.quick ? 3 : 7;
	g_opt.echo_rounds = runs != 0 ? (runs < MAX_ECHO_ROUNDS ? runs : MAX_ECHO_ROUNDS)
			    : g_opt.quick ? 2 : 5;
	g_opt.round_s = g_opt.quick ? 0.08 : 0.3;
	g_opt.tp_s = g_opt.quick ? 0.3 : 1.5;
	return true;
}

int main(int argc, char **argv)
{
	static struct env e;
	static struct inproc ip;
	static struct report rep;
	struct daemon d;
	struct utsname un;
	struct rlimit rl;

	if (argc == 3 && strcmp(argv[1], "--serve-echo") == 0)
		return serve_echo(argv[2]);
	g_t0 = now_ns();
	if (!parse_args(argc, argv))
		return 2;
	if (access(g_opt.fusekey, X_OK) != 0 || access(g_opt.fusekeyd, X_OK) != 0) {
		fprintf(stderr, "fusekey_la_bench: %s or %s is not built (ninja -C <builddir>, or "
				"--fusekey/--fusekeyd)\n",
			g_opt.fusekey, g_opt.fusekeyd);
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	signal(SIGINT, on_fatal_signal);
	signal(SIGTERM, on_fatal_signal);
	atexit(cleanup);
	/* 1,000 connections on each side: the daemon inherits this limit. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max < 65536 ? rl.rlim_max : 65536;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	fprintf(stderr, "%s\n", FK_SIM_BANNER);
	cpu_model(rep.cpu, sizeof(rep.cpu));
	rep.ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	snprintf(rep.kernel, sizeof(rep.kernel), "%s", uname(&un) == 0 ? un.release : "?");
	cpuidle_of(rep.cpuidle, sizeof(rep.cpuidle));

	progress("setting up a scratch emulated platform (fusekey sim init, keygen, sign, "
		 "generate --method la)");
	env_setup(&e);
	inproc_init(&ip, &e);
	daemon_start(&e, &d, "fusekeyd", NULL);

	bench_latency(&e, &ip, &d, &rep.lat);
	bench_throughput(&e, &d, &rep.tp);
	bench_log_cost(&e, &d, &rep.tp);
	bench_priority(&e, &d, &rep.tp);
	rep.mem.rss_after_kb = status_field(d.pid, "VmRSS", true);
	rep.mem.hwm_after_kb = status_field(d.pid, "VmHWM", true);
	daemon_stop(&d);
	for (size_t m = 0; m < 2; m++)
		for (size_t i = 0; i < N_COUNTS; i++)
			if (rep.tp.rows[m][i].per_s > rep.tp_best[m]) {
				rep.tp_best[m] = rep.tp.rows[m][i].per_s;
				rep.tp_best_n[m] = rep.tp.rows[m][i].n;
			}
	bench_echo(&e, rep.lat.pin_cpu, &rep.echo);
	bench_memory(&e, &rep.mem);

	inproc_free(&ip);
	env_free(&e);
	if (g_opt.json)
		print_json(&rep);
	else
		print_text(&rep);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "fusekey_la_bench: writing the results failed\n");
		return 1;
	}
	return 0;
}
