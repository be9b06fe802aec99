/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Crash test of fusekey_generate (TAP).
 *
 * The agent is killed with SIGKILL at a random point while it writes the key:
 * afterwards the bundle holds no key or a complete one (fusekey_get succeeds),
 * never a partial file at the key path.
 *
 *   crash_test [TRIALS [SEED]]      TRIALS default 250, SEED default from time and pid
 *
 * Every trial forks a child (the agent) that runs fusekey_generate for one
 * container in a fresh bundle directory, without force, cycling through
 * seal/16, derive/16, seal/32, derive/32. The child says "ready" through a pipe
 * right before the call; the parent then waits a delay drawn uniformly from
 * [0, 1.2 x D] (D: the duration of an unkilled generate of that variant, from
 * "ready" to the child's report; measured first, then once more per variant
 * every 20 trials, D being the median of the last 5, so that it follows the
 * machine's load) and sends SIGKILL. A child that finishes first reports its status and the SHA-256
 * of its key (never the key) through the same pipe.
 *
 * After each kill the parent, in a context of the same enclave on the same
 * emulated platform (one fk_sim_state made before fork), checks:
 *   - the key path (key.sealed or derive.json) is absent, or a regular 0600 file
 *     from which fusekey_get (the method, and AUTO) returns a key of the right
 *     length (equal to the child's when it reported);
 *   - the other method's file is absent; besides the key only "*.tmp.*" files
 *     left by the killed writer (counted and reported);
 *   - a following generate without force gives EXISTS when a key is there (and
 *     the key is unchanged) or OK when none is (and get returns that new key).
 * Outcomes are counted (no key / complete key, killed while generating /
 * generate completed before the kill); "no key" and "complete key" must each
 * occur at least 10 times (for >= 200 trials), or the delays were not spread
 * over the whole generate. Every key seen must be distinct.
 *
 * Bundles live under a mkdtemp directory in $TMPDIR or /tmp (a real disk, so
 * fsync costs what it costs), removed at the end unless FUSEKEY_REL_KEEP=1.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "delivery/fk_bundle.h"
#include "rel_util.h"

enum {
	DEFAULT_TRIALS = 250,
	MAX_TRIALS = 100000,
	CAL_RUNS = 5,
	NVAR = 4,
	NSUMMARY = 7,
	RECAL_EVERY = 20, /* trials between re-calibrations */
	NBUCKETS = 6, /* delay histogram: sixths of [0, 1.2 D] */
	MIN_EACH = 10,
};

static const char CID[] = "crash-ctr";

struct variant {
	const char *name;
	fusekey_method method;
	size_t key_len;
	const char *file;
	const char *other;
};

static const struct variant variants[NVAR] = {
	{"seal/16", FUSEKEY_METHOD_SEAL, 16, FK_BUNDLE_SEALED_NAME, FK_BUNDLE_DERIVE_NAME},
	{"derive/16", FUSEKEY_METHOD_DERIVE, 16, FK_BUNDLE_DERIVE_NAME, FK_BUNDLE_SEALED_NAME},
	{"seal/32", FUSEKEY_METHOD_SEAL, 32, FK_BUNDLE_SEALED_NAME, FK_BUNDLE_DERIVE_NAME},
	{"derive/32", FUSEKEY_METHOD_DERIVE, 32, FK_BUNDLE_DERIVE_NAME, FK_BUNDLE_SEALED_NAME},
};

/* What the child tells the parent when its generate returned. */
struct report {
	int32_t status;
	uint32_t key_len;
	uint8_t digest[FK_SHA256_SIZE];
};

/* One platform state for every process: made by the parent before any fork. */
static struct fk_sim_state g_state;
static struct fk_sgx_identity g_id;

/* ---- the agent (child) ---- */

static void agent_child(const char *bundle, const struct variant *v, int fd)
	__attribute__((noreturn));

static void agent_child(const char *bundle, const struct variant *v, int fd)
{
	struct fusekey_key_opts opts = {
		.method = v->method, .bundle_dir = bundle, .key_len = v->key_len};
	struct fk_platform *p = NULL;
	fusekey_ctx *ctx = NULL;
	uint8_t key[FUSEKEY_KEY_MAX];
	struct report r;

	if (rel_ctx_new(&g_state, &g_id, &p, &ctx) != FUSEKEY_OK)
		_exit(3);
	if (!rel_write_full(fd, "r", 1))
		_exit(4);
	fusekey_status st = fusekey_generate(ctx, CID, &opts, key, sizeof(key));
	memset(&r, 0, sizeof(r));
	r.status = (int32_t)st;
	r.key_len = (uint32_t)v->key_len;
	if (st == FUSEKEY_OK)
		rel_digest(key, v->key_len, r.digest);
	fusekey_wipe(key, sizeof(key));
	if (!rel_write_full(fd, &r, sizeof(r)))
		_exit(5);
	_exit(0);
}

struct run {
	bool ready;          /* the child got as far as "ready" */
	bool signaled;       /* ended by a signal (ours) */
	int code;            /* exit code or signal number */
	bool reported;       /* generate returned and the child said so */
	struct report rep;
	uint64_t elapsed_ns; /* unkilled: "ready" -> report */
};

/* Fork an agent; kill it delay_ns after "ready" if kill_it, else let it finish. */
static bool run_agent(const char *bundle, const struct variant *v, bool kill_it,
		      uint64_t delay_ns, struct run *out)
{
	int fds[2], ws = 0;
	pid_t pid;
	char c;

	memset(out, 0, sizeof(*out));
	if (pipe2(fds, O_CLOEXEC) != 0)
		return false;
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return false;
	}
	if (pid == 0) {
		close(fds[0]);
		agent_child(bundle, v, fds[1]);
	}
	close(fds[1]);
	out->ready = rel_read_full(fds[0], &c, 1) == 1;
	uint64_t t0 = rel_now_ns();
	if (out->ready && kill_it) {
		rel_sleep_until(t0 + delay_ns);
		kill(pid, SIGKILL);
	}
	out->reported = rel_read_full(fds[0], &out->rep, sizeof(out->rep)) == sizeof(out->rep);
	out->elapsed_ns = rel_now_ns() - t0;
	close(fds[0]);
	while (waitpid(pid, &ws, 0) < 0) {
		if (errno != EINTR)
			return false;
	}
	out->signaled = WIFSIGNALED(ws);
	out->code = out->signaled ? WTERMSIG(ws) : WEXITSTATUS(ws);
	return true;
}

/* ---- checks in the parent ---- */

static fusekey_ctx *g_ctx; /* the app's view: same enclave, same platform */

/* get with method m: OK with a key of key_len bytes, its digest in d. */
static fusekey_status get_digest(const char *bundle, fusekey_method m, size_t key_len,
				 uint8_t d[FK_SHA256_SIZE], char *why, size_t whylen)
{
	struct fusekey_key_opts opts = {.method = m, .bundle_dir = bundle};
	uint8_t key[FUSEKEY_KEY_MAX];
	size_t len = sizeof(key);
	fusekey_status st = fusekey_get(g_ctx, CID, &opts, key, &len);

	if (st == FUSEKEY_OK && len != key_len) {
		snprintf(why, whylen, "get returned a %zu-byte key, want %zu", len, key_len);
		st = FUSEKEY_ERR_UNEXPECTED;
	} else if (st != FUSEKEY_OK) {
		snprintf(why, whylen, "get(%s) = %s", m == FUSEKEY_METHOD_AUTO ? "auto" : "method",
			 fusekey_status_name(st));
	} else {
		rel_digest(key, len, d);
	}
	fusekey_wipe(key, sizeof(key));
	return st;
}

/*
 * The key file at the key path is complete: a regular 0600 file that get
 * (method and AUTO) opens to a key of the right length. Its digest in d.
 */
static bool key_complete(const char *bundle, const struct variant *v, uint8_t d[FK_SHA256_SIZE],
			 char *why, size_t whylen)
{
	char path[PATH_MAX];
	uint8_t d2[FK_SHA256_SIZE];
	struct stat sb;

	rel_key_path(bundle, CID, v->file, path, sizeof(path));
	if (lstat(path, &sb) != 0) {
		snprintf(why, whylen, "lstat(%s): %s", v->file, strerror(errno));
		return false;
	}
	if (!S_ISREG(sb.st_mode) || (sb.st_mode & 07777) != 0600) {
		snprintf(why, whylen, "%s: mode %o, want a regular 0600 file", v->file,
			 (unsigned)sb.st_mode);
		return false;
	}
	if (get_digest(bundle, v->method, v->key_len, d, why, whylen) != FUSEKEY_OK) {
		size_t n = strlen(why);
		snprintf(why + n, whylen - n, " on a %lld-byte %s (partial or invalid file)",
			 (long long)sb.st_size, v->file);
		return false;
	}
	if (get_digest(bundle, FUSEKEY_METHOD_AUTO, v->key_len, d2, why, whylen) != FUSEKEY_OK)
		return false;
	if (memcmp(d, d2, sizeof(d2)) != 0) {
		snprintf(why, whylen, "get(auto) and get(method) returned different keys");
		return false;
	}
	return true;
}

/* ---- distinct keys ---- */

static uint8_t (*g_seen)[FK_SHA256_SIZE];
static size_t g_nseen;

static void seen_add(const uint8_t d[FK_SHA256_SIZE])
{
	memcpy(g_seen[g_nseen++], d, FK_SHA256_SIZE);
}

static size_t seen_duplicates(void)
{
	size_t dup = 0;

	for (size_t i = 0; i < g_nseen; i++)
		for (size_t j = i + 1; j < g_nseen; j++)
			if (memcmp(g_seen[i], g_seen[j], FK_SHA256_SIZE) == 0)
				dup++;
	return dup;
}

/* ---- calibration: D per variant, the median of the last CAL_RUNS unkilled runs ---- */

static double g_cal[NVAR][CAL_RUNS];
static unsigned g_ncal[NVAR];

static double cal_median(size_t vi)
{
	double v[CAL_RUNS];
	unsigned n = g_ncal[vi] < CAL_RUNS ? g_ncal[vi] : CAL_RUNS;

	if (n == 0)
		return 1e6;
	memcpy(v, g_cal[vi], sizeof(v));
	for (unsigned a = 0; a < n; a++)
		for (unsigned b = a + 1; b < n; b++)
			if (v[b] < v[a]) {
				double x = v[a];
				v[a] = v[b];
				v[b] = x;
			}
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* One unkilled generate of variant vi in a fresh bundle: checked, and timed into g_cal. */
static bool calibrate_once(const char *root, size_t vi, char *why, size_t whylen)
{
	const struct variant *v = &variants[vi];
	char bundle[PATH_MAX + 32];
	uint8_t d[FK_SHA256_SIZE];
	struct run r;

	snprintf(bundle, sizeof(bundle), "%s/cal-%zu-%u", root, vi, g_ncal[vi]);
	if (mkdir(bundle, 0700) != 0 || !run_agent(bundle, v, false, 0, &r)) {
		snprintf(why, whylen, "mkdir/fork: %s", strerror(errno));
		return false;
	}
	if (!r.reported || r.rep.status != FUSEKEY_OK) {
		snprintf(why, whylen, "agent: %s (exit %s %d)",
			 r.reported ? fusekey_status_name((fusekey_status)r.rep.status) : "no report",
			 r.signaled ? "signal" : "code", r.code);
		return false;
	}
	if (!key_complete(bundle, v, d, why, whylen))
		return false;
	if (memcmp(d, r.rep.digest, sizeof(d)) != 0) {
		snprintf(why, whylen, "get returned another key than generate");
		return false;
	}
	seen_add(d);
	g_cal[vi][g_ncal[vi] % CAL_RUNS] = (double)r.elapsed_ns;
	g_ncal[vi]++;
	return true;
}

/* ---- main ---- */

static bool parse_u64(const char *s, unsigned long long max, unsigned long long *out)
{
	char *end = NULL;

	errno = 0;
	*out = strtoull(s, &end, 0);
	return errno == 0 && end != s && *end == '\0' && *out <= max && s[0] != '-';
}

enum outcome { NO_KEY, COMPLETE_KILLED, COMPLETED, BAD, NOUTCOMES };

int main(int argc, char **argv)
{
	static const char *const outcome_name[NOUTCOMES] = {
		"killed, no key", "killed while generating, complete key",
		"generate completed before the kill", "partial/invalid"};
	unsigned long long trials = DEFAULT_TRIALS, seed;
	unsigned counts[NOUTCOMES] = {0}, hist[NBUCKETS][NOUTCOMES];
	unsigned tmp_total = 0, tmp_trials = 0, other_entries = 0, followup_bad = 0;
	unsigned min_each;
	double dur_min = 1e18, dur_max = 0;
	unsigned recal_runs = 0, recal_bad = 0;
	struct fk_platform *p = NULL;
	char root[PATH_MAX], bundle[PATH_MAX + 32], why[512];
	uint64_t rng, t_start = rel_now_ns();

	memset(hist, 0, sizeof(hist));
	seed = (unsigned long long)time(NULL) * 1000003ull ^ (unsigned long long)getpid();
	if (argc > 3 || (argc > 1 && !parse_u64(argv[1], MAX_TRIALS, &trials)) || trials == 0 ||
	    (argc > 2 && !parse_u64(argv[2], ~0ull, &seed))) {
		fprintf(stderr, "usage: crash_test [TRIALS (1..%d, default %d) [SEED]]\n",
			MAX_TRIALS, DEFAULT_TRIALS);
		return 2;
	}
	rng = seed;
	min_each = trials >= 200 ? MIN_EACH : (unsigned)(trials / 20 > 0 ? trials / 20 : 1);

	rel_plan((unsigned)(NVAR + trials + NSUMMARY));
	rel_diag("seed %llu (rerun: crash_test %llu %llu)", seed, trials, seed);
	(void)prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL); /* precise kill times */
	rel_identity(&g_id);
	if (fk_sim_state_random(&g_state, FK_SIM_CPUSVN_DEFAULT) != FUSEKEY_OK ||
	    rel_ctx_new(&g_state, &g_id, &p, &g_ctx) != FUSEKEY_OK ||
	    !rel_tmpdir("crash", root, sizeof(root))) {
		printf("Bail out! setting up the platform or the temporary directory failed\n");
		return 1;
	}
	g_seen = calloc(2 * trials + NVAR * (CAL_RUNS + trials / RECAL_EVERY + 1), FK_SHA256_SIZE);
	if (g_seen == NULL) {
		printf("Bail out! out of memory\n");
		return 1;
	}
	rel_diag("bundles under %s", root);

	/* Calibration: D for each variant, from unkilled runs. */
	for (size_t vi = 0; vi < NVAR; vi++) {
		const struct variant *v = &variants[vi];
		bool ok = true;

		why[0] = '\0';
		for (unsigned k = 0; k < CAL_RUNS && ok; k++)
			ok = calibrate_once(root, vi, why, sizeof(why));
		rel_ok(ok, "calibration %s: %d unkilled generates OK, get returns their key%s%s",
		       v->name, CAL_RUNS, ok ? "" : ": ", ok ? "" : why);
		double lo = g_cal[vi][0], hi = g_cal[vi][0];
		for (unsigned k = 1; k < CAL_RUNS; k++) {
			lo = g_cal[vi][k] < lo ? g_cal[vi][k] : lo;
			hi = g_cal[vi][k] > hi ? g_cal[vi][k] : hi;
		}
		rel_diag("  %s generate takes %.3f ms (median of %d; min %.3f, max %.3f): kill "
			 "delays drawn from [0, %.3f ms]",
			 v->name, cal_median(vi) / 1e6, CAL_RUNS, lo / 1e6, hi / 1e6,
			 1.2 * cal_median(vi) / 1e6);
	}

	for (unsigned long long t = 0; t < trials; t++) {
		const struct variant *v = &variants[t % NVAR];
		/* Follow the machine's load: one more unkilled run per variant now and then. */
		if (t > 0 && t % RECAL_EVERY == 0)
			for (size_t vi = 0; vi < NVAR; vi++) {
				char w[512] = "";
				recal_runs++;
				if (!calibrate_once(root, vi, w, sizeof(w))) {
					recal_bad++;
					rel_diag("re-calibration %s failed: %s", variants[vi].name, w);
				}
			}
		double dur = cal_median(t % NVAR);
		double delay = rel_rand_unit(&rng) * 1.2 * dur;
		unsigned bucket = (unsigned)(delay / (0.2 * dur));

		dur_min = dur < dur_min ? dur : dur_min;
		dur_max = dur > dur_max ? dur : dur_max;
		uint8_t d[FK_SHA256_SIZE];
		struct rel_dir_scan sc;
		struct run r;
		enum outcome oc = BAD;
		bool present = false, ok = true;
		char path[PATH_MAX];
		struct stat sb;

		why[0] = '\0';
		memset(&sc, 0, sizeof(sc));
		if (bucket >= NBUCKETS)
			bucket = NBUCKETS - 1;
		snprintf(bundle, sizeof(bundle), "%s/t%04llu", root, t);
		if (mkdir(bundle, 0700) != 0 || !run_agent(bundle, v, true, (uint64_t)delay, &r)) {
			snprintf(why, sizeof(why), "mkdir/fork: %s", strerror(errno));
			ok = false;
		} else if (!r.ready) {
			snprintf(why, sizeof(why), "agent died before generate (exit %d)", r.code);
			ok = false;
		} else if (r.reported && r.rep.status != FUSEKEY_OK) {
			snprintf(why, sizeof(why), "agent's generate returned %s",
				 fusekey_status_name((fusekey_status)r.rep.status));
			ok = false;
		} else if (!r.reported && !(r.signaled && r.code == SIGKILL)) {
			snprintf(why, sizeof(why), "agent ended without a report (%s %d)",
				 r.signaled ? "signal" : "exit code", r.code);
			ok = false;
		}

		/* The key path: absent or complete. */
		if (ok) {
			rel_key_path(bundle, CID, v->file, path, sizeof(path));
			if (lstat(path, &sb) == 0) {
				present = true;
			} else if (errno != ENOENT) {
				snprintf(why, sizeof(why), "lstat: %s", strerror(errno));
				ok = false;
			}
		}
		if (ok && r.reported && !present) {
			snprintf(why, sizeof(why), "generate returned OK but left no %s", v->file);
			ok = false;
		}
		if (ok && present) {
			if (!key_complete(bundle, v, d, why, sizeof(why))) {
				ok = false;
			} else if (r.reported && memcmp(d, r.rep.digest, sizeof(d)) != 0) {
				snprintf(why, sizeof(why), "get returned another key than generate");
				ok = false;
			} else {
				seen_add(d);
				oc = r.reported ? COMPLETED : COMPLETE_KILLED;
			}
		} else if (ok) {
			oc = NO_KEY;
		}

		/* The rest of the directory: no other key, only temp files. */
		if (ok && !rel_scan(bundle, CID, &sc)) {
			snprintf(why, sizeof(why), "scanning the directory: %s", strerror(errno));
			ok = false;
		}
		if (ok) {
			unsigned others = v->method == FUSEKEY_METHOD_SEAL ? sc.derive : sc.sealed;
			tmp_total += sc.tmp;
			tmp_trials += sc.tmp > 0;
			other_entries += sc.other;
			if (others != 0 || sc.other != 0) {
				snprintf(why, sizeof(why), "unexpected entry in the directory: %s",
					 others ? v->other : sc.other_name);
				ok = false;
			}
		}

		/* A following generate, no force: EXISTS if a key is there, else OK. */
		if (ok) {
			struct fusekey_key_opts opts = {
				.method = v->method, .bundle_dir = bundle, .key_len = v->key_len};
			uint8_t key[FUSEKEY_KEY_MAX], dn[FK_SHA256_SIZE], dg[FK_SHA256_SIZE];
			fusekey_status st = fusekey_generate(g_ctx, CID, &opts, key, sizeof(key));
			fusekey_status want = present ? FUSEKEY_ERR_EXISTS : FUSEKEY_OK;

			rel_digest(key, v->key_len, dn);
			fusekey_wipe(key, sizeof(key));
			if (st != want) {
				snprintf(why, sizeof(why), "following generate: %s, want %s",
					 fusekey_status_name(st), fusekey_status_name(want));
				ok = false;
			} else if (get_digest(bundle, v->method, v->key_len, dg, why,
					      sizeof(why)) != FUSEKEY_OK) {
				ok = false;
			} else if (memcmp(dg, present ? d : dn, sizeof(dg)) != 0) {
				snprintf(why, sizeof(why),
					 present ? "the key changed under a refused generate"
						 : "get after the following generate returned "
						   "another key");
				ok = false;
			} else if (!present) {
				seen_add(dn);
			}
			if (!ok)
				followup_bad++;
		}

		if (!ok)
			oc = BAD;
		counts[oc]++;
		hist[bucket][oc]++;
		rel_ok(ok, "trial %llu %s, killed %.3f ms after ready (%.2f D): %s%s%s", t + 1,
		       v->name, delay / 1e6, delay / dur,
		       ok ? outcome_name[oc] : "FAILED", ok ? (sc.tmp ? ", temp file left" : "") : ": ",
		       ok ? "" : why);
	}

	/* Summary. */
	unsigned complete = counts[COMPLETE_KILLED] + counts[COMPLETED];
	size_t dups = seen_duplicates();

	rel_diag("outcomes over %llu trials: no key %u, complete key %u (killed while "
		 "generating %u, generate completed before the kill %u), partial/invalid or "
		 "failed %u",
		 trials, counts[NO_KEY], complete, counts[COMPLETE_KILLED], counts[COMPLETED],
		 counts[BAD]);
	rel_diag("temp files (*.tmp.*) left by killed writers: %u, in %u trials", tmp_total,
		 tmp_trials);
	rel_diag("by kill delay (D = unkilled generate): no key / complete-killed / "
		 "completed / bad");
	for (unsigned b = 0; b < NBUCKETS; b++)
		rel_diag("  [%.1f D, %.1f D)%s: %3u / %3u / %3u / %u", 0.2 * b, 0.2 * (b + 1),
			 b == NBUCKETS - 1 ? "" : " ", hist[b][NO_KEY], hist[b][COMPLETE_KILLED],
			 hist[b][COMPLETED], hist[b][BAD]);
	rel_diag("D (median of the last %d unkilled runs) ranged %.3f .. %.3f ms over the trials; "
		 "%u re-calibration runs", CAL_RUNS, dur_min / 1e6, dur_max / 1e6, recal_runs);
	rel_ok(counts[NO_KEY] >= min_each, "'no key' happened %u times (need >= %u)",
	       counts[NO_KEY], min_each);
	rel_ok(complete >= min_each, "'complete key' happened %u times (need >= %u)", complete,
	       min_each);
	rel_ok(counts[BAD] == 0, "no partial or invalid key file, no failed trial (%u)",
	       counts[BAD]);
	rel_ok(followup_bad == 0,
	       "a following generate without force gave OK where no key was left and EXISTS "
	       "where one was, in every trial (%u inconsistent)",
	       followup_bad);
	rel_ok(other_entries == 0,
	       "nothing but the key and *.tmp.* temp files in the container directory (%u other)",
	       other_entries);
	rel_ok(recal_bad == 0, "all %u re-calibration generates OK, get returns their key",
	       recal_runs);
	rel_ok(dups == 0, "all %zu keys seen are distinct (fork-safe randomness; %zu duplicates)",
	       g_nseen, dups);

	rel_ctx_free(p, g_ctx);
	fk_sim_state_clear(&g_state);
	free(g_seen);
	rel_cleanup(root);
	rel_diag("%u checks, %u failed, %.1f s", rel_count(), rel_failures(),
		 (double)(rel_now_ns() - t_start) / 1e9);
	return rel_failures() == 0 ? 0 : 1;
}
