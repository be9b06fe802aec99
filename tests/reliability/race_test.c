/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Concurrency test of fusekey_generate (TAP): two agents generating the key of
 * the same container at the same moment.
 *
 *   race_test [ROUNDS]     ROUNDS: same-method rounds without force (default 60,
 *                          at least 4); the other kinds scale with it
 *   (the cross-method rounds found two races in fusekey_generate - both agents
 *   "won", or a forced switch left no key; fixed by the bundle lock,
 *   fk_bundle_lock - and stay here as regression checks)
 *   FUSEKEY_REL_KEEP=1     keep the bundles (under a mkdtemp directory in $TMPDIR or /tmp)
 *
 * Each round forks two children on one emulated platform (one fk_sim_state made
 * by the parent before fork, one enclave identity). Both build their context,
 * say "ready" and block on a shared pipe; the parent closes it once both are
 * ready, which wakes them together, and each runs fusekey_generate at once. A
 * child reports its status, the SHA-256 of its key (never the key), whether its
 * key buffer was zeroed on failure and when its generate started and ended
 * (CLOCK_MONOTONIC, comparable across processes).
 *
 * Kinds of rounds (fresh bundle directory each):
 *   same method, no force   exactly one OK, the other EXISTS (its buffer zeroed);
 *                           one key file, no temp file left; get (method and
 *                           AUTO) returns the winner's key
 *   mixed, no force         one seal, one derive: in the end exactly one key,
 *                           get AUTO returns it. Both OK with both files present
 *                           (get AUTO = FORMAT) is the cross-method race of the
 *                           existence check in fusekey_generate: a library bug
 *   same method, force      both OK; one complete key file equal to one of the
 *                           two keys (half the rounds replace an existing key)
 *   mixed, force            both OK; exactly one key equal to one of the two
 *                           (no key left at all: forced generate removes the
 *                           other method's file after writing its own; a bug)
 * Finally: the generates really raced (their time intervals overlapped in most
 * rounds) and every same-method round had exactly one winner.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "delivery/fk_bundle.h"
#include "rel_util.h"

enum {
	DEFAULT_ROUNDS = 60,
	MAX_ROUNDS = 10000,
	NSUMMARY = 2,
};

static const char CID[] = "race-ctr";
/* The two regressions the mixed-method rounds guard against (fk_bundle_lock). */
static const char BUG_NOFORCE[] = "regression: the existence check raced across methods";
static const char BUG_FORCE[] =
	"regression: a forced switch of method was not atomic across agents";

struct report {
	int32_t status;
	uint32_t key_len;
	uint8_t digest[FK_SHA256_SIZE];
	uint8_t zeroed;    /* failure: the key buffer came back all zero */
	uint8_t pad[7];
	uint64_t start_ns; /* CLOCK_MONOTONIC around the generate call */
	uint64_t end_ns;
};

struct spec {
	const char *kind;
	fusekey_method m[2];
	size_t key_len;
	bool force;
	bool preexisting; /* a key is there before the race (force rounds) */
};

static struct fk_sim_state g_state;
static struct fk_sgx_identity g_id;
static fusekey_ctx *g_ctx;

static const char *mname(fusekey_method m)
{
	return m == FUSEKEY_METHOD_SEAL ? "seal" : m == FUSEKEY_METHOD_DERIVE ? "derive" : "auto";
}

/* ---- the racers ---- */

static void racer(const char *bundle, const struct spec *s, int i, int ready_fd, int go_fd)
	__attribute__((noreturn));

static void racer(const char *bundle, const struct spec *s, int i, int ready_fd, int go_fd)
{
	struct fusekey_key_opts opts = {.method = s->m[i],
					.bundle_dir = bundle,
					.key_len = s->key_len,
					.force = s->force};
	struct fk_platform *p = NULL;
	fusekey_ctx *ctx = NULL;
	uint8_t key[FUSEKEY_KEY_MAX], zero[FUSEKEY_KEY_MAX];
	struct report r;
	char c;

	if (rel_ctx_new(&g_state, &g_id, &p, &ctx) != FUSEKEY_OK)
		_exit(3);
	memset(key, 0xAA, sizeof(key));
	memset(zero, 0, sizeof(zero));
	if (!rel_write_full(ready_fd, "r", 1))
		_exit(4);
	if (rel_read_full(go_fd, &c, 1) != 0) /* the barrier: EOF when the parent closes it */
		_exit(5);
	memset(&r, 0, sizeof(r));
	r.start_ns = rel_now_ns();
	fusekey_status st = fusekey_generate(ctx, CID, &opts, key, sizeof(key));
	r.end_ns = rel_now_ns();
	r.status = (int32_t)st;
	r.key_len = (uint32_t)s->key_len;
	if (st == FUSEKEY_OK)
		rel_digest(key, s->key_len, r.digest);
	else
		r.zeroed = memcmp(key, zero, sizeof(key)) == 0;
	fusekey_wipe(key, sizeof(key));
	if (!rel_write_full(ready_fd, &r, sizeof(r)))
		_exit(6);
	rel_ctx_free(p, ctx);
	_exit(0);
}

/* Run the two racers; false (with why) if a process failed. */
static bool race(const char *bundle, const struct spec *s, struct report rep[2], char *why,
		 size_t whylen)
{
	int go[2], res[2][2], ws;
	pid_t pid[2] = {-1, -1};
	bool ok = true;
	char c;

	if (pipe2(go, O_CLOEXEC) != 0)
		return snprintf(why, whylen, "pipe: %s", strerror(errno)), false;
	if (pipe2(res[0], O_CLOEXEC) != 0 || pipe2(res[1], O_CLOEXEC) != 0)
		return snprintf(why, whylen, "pipe: %s", strerror(errno)), false;
	fflush(stdout);
	fflush(stderr);
	for (int i = 0; i < 2; i++) {
		pid[i] = fork();
		if (pid[i] < 0) {
			snprintf(why, whylen, "fork: %s", strerror(errno));
			ok = false;
			break;
		}
		if (pid[i] == 0) {
			close(go[1]);
			close(res[i][0]);
			close(res[1 - i][0]);
			close(res[1 - i][1]);
			racer(bundle, s, i, res[i][1], go[0]);
		}
	}
	close(go[0]);
	close(res[0][1]);
	close(res[1][1]);
	for (int i = 0; i < 2 && ok; i++) {
		if (rel_read_full(res[i][0], &c, 1) != 1) {
			snprintf(why, whylen, "racer %d died before the barrier", i);
			ok = false;
		}
	}
	close(go[1]); /* both are blocked on go[0]: this releases them together */
	for (int i = 0; i < 2; i++) {
		memset(&rep[i], 0, sizeof(rep[i]));
		if (ok && rel_read_full(res[i][0], &rep[i], sizeof(rep[i])) != sizeof(rep[i])) {
			snprintf(why, whylen, "racer %d gave no report", i);
			ok = false;
		}
		close(res[i][0]);
	}
	for (int i = 0; i < 2; i++) {
		if (pid[i] <= 0)
			continue;
		if (!ok)
			kill(pid[i], SIGKILL);
		while (waitpid(pid[i], &ws, 0) < 0 && errno == EINTR)
			;
		if (ok && (!WIFEXITED(ws) || WEXITSTATUS(ws) != 0)) {
			snprintf(why, whylen, "racer %d ended badly (status 0x%x)", i, ws);
			ok = false;
		}
	}
	return ok;
}

/* ---- checks ---- */

/* get with method m: status, and the key's digest on success. */
static fusekey_status get_digest(const char *bundle, fusekey_method m, uint8_t d[FK_SHA256_SIZE])
{
	struct fusekey_key_opts opts = {.method = m, .bundle_dir = bundle};
	uint8_t key[FUSEKEY_KEY_MAX];
	size_t len = sizeof(key);
	fusekey_status st = fusekey_get(g_ctx, CID, &opts, key, &len);

	memset(d, 0, FK_SHA256_SIZE);
	if (st == FUSEKEY_OK)
		rel_digest(key, len, d);
	fusekey_wipe(key, sizeof(key));
	return st;
}

static bool same(const uint8_t a[FK_SHA256_SIZE], const uint8_t b[FK_SHA256_SIZE])
{
	return memcmp(a, b, FK_SHA256_SIZE) == 0;
}

static bool overlapped(const struct report rep[2])
{
	return rep[0].start_ns < rep[1].end_ns && rep[1].start_ns < rep[0].end_ns;
}

static int64_t skew_us(const struct report rep[2])
{
	int64_t d = (int64_t)(rep[1].start_ns - rep[0].start_ns);
	return (d < 0 ? -d : d) / 1000;
}

struct tally {
	unsigned rounds, overlapped;
	unsigned one_winner_same, same_rounds, won[2];
	unsigned mixed_both_ok, mixed_both_files, mixed_one_winner;
	unsigned force_rounds, force_final[2];
	unsigned mixed_force_none, mixed_force_two;
	int64_t max_skew_us;
};

/* One round: race, then check the end state. Prints one TAP line. */
static void round_run(const char *root, unsigned n, const struct spec *s, struct tally *t)
{
	char bundle[PATH_MAX + 32], why[512] = "", h0[17], h1[17], hg[17];
	bool mixed = s->m[0] != s->m[1], ok = true, regressed = false;
	uint8_t pre[FK_SHA256_SIZE], dg[FK_SHA256_SIZE], ds[FK_SHA256_SIZE], dd[FK_SHA256_SIZE];
	struct report rep[2];
	struct rel_dir_scan sc;
	fusekey_status g, gs, gd;
	char label[128];

	snprintf(label, sizeof(label), "round %u %s (%s vs %s, %zu B)", n, s->kind, mname(s->m[0]),
		 mname(s->m[1]), s->key_len);
	snprintf(bundle, sizeof(bundle), "%s/r%04u", root, n);
	memset(pre, 0, sizeof(pre));
	if (mkdir(bundle, 0700) != 0) {
		rel_ok(false, "%s: mkdir: %s", label, strerror(errno));
		return;
	}
	if (s->preexisting) {
		struct fusekey_key_opts opts = {
			.method = s->m[1], .bundle_dir = bundle, .key_len = s->key_len};
		uint8_t key[FUSEKEY_KEY_MAX];
		fusekey_status st = fusekey_generate(g_ctx, CID, &opts, key, sizeof(key));
		rel_digest(key, s->key_len, pre);
		fusekey_wipe(key, sizeof(key));
		if (st != FUSEKEY_OK) {
			rel_ok(false, "%s: generating the existing key: %s", label,
			       fusekey_status_name(st));
			return;
		}
	}
	if (!race(bundle, s, rep, why, sizeof(why))) {
		rel_ok(false, "%s: %s", label, why);
		return;
	}
	t->rounds++;
	t->overlapped += overlapped(rep);
	if (skew_us(rep) > t->max_skew_us)
		t->max_skew_us = skew_us(rep);
	if (!rel_scan(bundle, CID, &sc)) {
		rel_ok(false, "%s: scanning the directory: %s", label, strerror(errno));
		return;
	}
	g = get_digest(bundle, FUSEKEY_METHOD_AUTO, dg);
	gs = get_digest(bundle, FUSEKEY_METHOD_SEAL, ds);
	gd = get_digest(bundle, FUSEKEY_METHOD_DERIVE, dd);
	rel_short_hex(rep[0].digest, h0);
	rel_short_hex(rep[1].digest, h1);
	rel_short_hex(dg, hg);

	fusekey_status s0 = (fusekey_status)rep[0].status, s1 = (fusekey_status)rep[1].status;
	unsigned files = sc.sealed + sc.derive;

	if (sc.tmp != 0 || sc.other != 0) {
		snprintf(why, sizeof(why), "%u temp file(s), %u other entries left", sc.tmp,
			 sc.other);
		ok = false;
	} else if (!s->force) {
		int w = s0 == FUSEKEY_OK ? 0 : 1;
		bool one = (s0 == FUSEKEY_OK && s1 == FUSEKEY_ERR_EXISTS) ||
			   (s1 == FUSEKEY_OK && s0 == FUSEKEY_ERR_EXISTS);
		if (!mixed)
			t->same_rounds++;
		if (one) {
			if (!mixed)
				t->one_winner_same++;
			else
				t->mixed_one_winner++;
			t->won[w]++;
			if (!rep[1 - w].zeroed) {
				snprintf(why, sizeof(why), "loser's key buffer not zeroed");
				ok = false;
			} else if (files != 1 ||
				   (s->m[w] == FUSEKEY_METHOD_SEAL ? sc.sealed : sc.derive) != 1) {
				snprintf(why, sizeof(why), "%u key files (sealed %u, derive %u), "
					 "want the winner's only", files, sc.sealed, sc.derive);
				ok = false;
			} else if (g != FUSEKEY_OK || !same(dg, rep[w].digest)) {
				snprintf(why, sizeof(why), "get(auto) = %s, key %s; winner's %s",
					 fusekey_status_name(g), hg, w ? h1 : h0);
				ok = false;
			} else if (!same(s->m[w] == FUSEKEY_METHOD_SEAL ? ds : dd, dg)) {
				snprintf(why, sizeof(why), "get(%s) differs from get(auto)",
					 mname(s->m[w]));
				ok = false;
			} else {
				snprintf(why, sizeof(why), "racer %d won (OK), racer %d EXISTS, get = "
					 "winner's key %s, start skew %lld us", w, 1 - w,
					 w ? h1 : h0, (long long)skew_us(rep));
			}
		} else if (mixed && s0 == FUSEKEY_OK && s1 == FUSEKEY_OK) {
			t->mixed_both_ok++;
			if (sc.sealed == 1 && sc.derive == 1 && g == FUSEKEY_ERR_FORMAT) {
				int is = s->m[0] == FUSEKEY_METHOD_SEAL ? 0 : 1;
				t->mixed_both_files++;
				regressed = true;
				snprintf(why, sizeof(why),
					 "BOTH generates returned OK with different keys; key.sealed "
					 "AND derive.json exist; get(auto) = FORMAT; get(seal) = %s "
					 "(%s seal racer's key), get(derive) = %s (%s derive racer's); "
					 "generates overlapped: %s",
					 fusekey_status_name(gs),
					 same(ds, rep[is].digest) ? "=" : "!=",
					 fusekey_status_name(gd),
					 same(dd, rep[1 - is].digest) ? "=" : "!=",
					 overlapped(rep) ? "yes" : "no");
			} else {
				snprintf(why, sizeof(why), "both OK, sealed %u derive %u, get(auto) "
					 "= %s", sc.sealed, sc.derive, fusekey_status_name(g));
				ok = false;
			}
		} else {
			snprintf(why, sizeof(why), "statuses %s and %s, want one OK and one EXISTS",
				 fusekey_status_name(s0), fusekey_status_name(s1));
			ok = false;
		}
	} else {
		t->force_rounds++;
		if (s0 != FUSEKEY_OK || s1 != FUSEKEY_OK) {
			snprintf(why, sizeof(why), "statuses %s and %s, want both OK",
				 fusekey_status_name(s0), fusekey_status_name(s1));
			ok = false;
		} else if (same(rep[0].digest, rep[1].digest)) {
			snprintf(why, sizeof(why), "both racers made the same key %s", h0);
			ok = false;
		} else if (mixed && files != 1) {
			if (files == 0)
				t->mixed_force_none++;
			else
				t->mixed_force_two++;
			regressed = true;
			snprintf(why, sizeof(why),
				 "both OK but %u key files are left (sealed %u, derive %u); get(auto) "
				 "= %s: each racer removed the other method's file",
				 files, sc.sealed, sc.derive, fusekey_status_name(g));
		} else if (files != 1) {
			snprintf(why, sizeof(why), "%u key files (sealed %u, derive %u)", files,
				 sc.sealed, sc.derive);
			ok = false;
		} else if (g != FUSEKEY_OK ||
			   (!same(dg, rep[0].digest) && !same(dg, rep[1].digest))) {
			snprintf(why, sizeof(why), "get(auto) = %s, key %s, racers %s / %s",
				 fusekey_status_name(g), hg, h0, h1);
			ok = false;
		} else if (s->preexisting && same(dg, pre)) {
			snprintf(why, sizeof(why), "the old key survived");
			ok = false;
		} else {
			int w = same(dg, rep[0].digest) ? 0 : 1;
			t->force_final[w]++;
			snprintf(why, sizeof(why), "both OK, final key = racer %d's %s (%s file)%s",
				 w, hg, sc.sealed ? "key.sealed" : "derive.json",
				 s->preexisting ? ", replaced the existing key" : "");
		}
	}

	if (regressed) {
		rel_ok(false, "%s: %s [%s]", label, why, s->force ? BUG_FORCE : BUG_NOFORCE);
	} else {
		rel_ok(ok, "%s: %s", label, why);
	}
}

int main(int argc, char **argv)
{
	unsigned long rounds = DEFAULT_ROUNDS;
	struct fk_platform *p = NULL;
	struct tally t;
	char root[PATH_MAX];
	uint64_t t_start = rel_now_ns();

	memset(&t, 0, sizeof(t));
	if (argc > 2 || argc == 2) {
		char *end = NULL;
		errno = 0;
		rounds = argc == 2 ? strtoul(argv[1], &end, 10) : 0;
		if (argc > 2 || errno != 0 || end == argv[1] || *end != '\0' || rounds < 4 ||
		    rounds > MAX_ROUNDS || argv[1][0] == '-') {
			fprintf(stderr, "usage: race_test [ROUNDS (4..%d, default %d)]\n",
				MAX_ROUNDS, DEFAULT_ROUNDS);
			return 2;
		}
	}
	/* Kinds: same/no force (rounds), mixed/no force, same/force, mixed/force. */
	unsigned n_same = (unsigned)rounds, n_mixed = (unsigned)(rounds + 3) / 4;
	unsigned n_force = (unsigned)(rounds + 2) / 3, n_mixed_force = (unsigned)(rounds + 3) / 4;
	unsigned total = n_same + n_mixed + n_force + n_mixed_force;

	rel_plan(total + NSUMMARY);
	rel_identity(&g_id);
	if (fk_sim_state_random(&g_state, FK_SIM_CPUSVN_DEFAULT) != FUSEKEY_OK ||
	    rel_ctx_new(&g_state, &g_id, &p, &g_ctx) != FUSEKEY_OK ||
	    !rel_tmpdir("race", root, sizeof(root))) {
		printf("Bail out! setting up the platform or the temporary directory failed\n");
		return 1;
	}
	rel_diag("bundles under %s; %u rounds same method, %u mixed, %u force, %u mixed force",
		 root, n_same, n_mixed, n_force, n_mixed_force);

	unsigned n = 0;
	static const fusekey_method SE = FUSEKEY_METHOD_SEAL, DE = FUSEKEY_METHOD_DERIVE;
	for (unsigned i = 0; i < n_same; i++) {
		fusekey_method m = i % 2 ? DE : SE;
		struct spec s = {"same method, no force", {m, m}, (i / 2) % 2 ? 32u : 16u, false,
				 false};
		round_run(root, ++n, &s, &t);
	}
	for (unsigned i = 0; i < n_mixed; i++) {
		struct spec s = {"mixed, no force", {i % 2 ? DE : SE, i % 2 ? SE : DE}, 16, false,
				 false};
		round_run(root, ++n, &s, &t);
	}
	for (unsigned i = 0; i < n_force; i++) {
		fusekey_method m = i % 2 ? DE : SE;
		struct spec s = {"same method, force", {m, m}, (i / 2) % 2 ? 32u : 16u, true,
				 (i / 4) % 2 == 0};
		round_run(root, ++n, &s, &t);
	}
	for (unsigned i = 0; i < n_mixed_force; i++) {
		struct spec s = {"mixed, force", {i % 2 ? DE : SE, i % 2 ? SE : DE}, 16, true,
				 (i / 2) % 2 == 0};
		round_run(root, ++n, &s, &t);
	}

	rel_diag("same method, no force: %u of %u rounds with exactly one winner (racer 0 won "
		 "%u, racer 1 won %u over all no-force rounds)",
		 t.one_winner_same, t.same_rounds, t.won[0], t.won[1]);
	rel_diag("mixed, no force: %u rounds one winner, %u both OK (%u with both files: "
		 "get(auto) = FORMAT)",
		 t.mixed_one_winner, t.mixed_both_ok, t.mixed_both_files);
	rel_diag("force: %u rounds, final key racer 0's %u, racer 1's %u; mixed force with no "
		 "key left %u, with two %u",
		 t.force_rounds, t.force_final[0], t.force_final[1], t.mixed_force_none,
		 t.mixed_force_two);
	rel_diag("generates overlapped in time in %u of %u rounds; max start skew %lld us",
		 t.overlapped, t.rounds, (long long)t.max_skew_us);
	rel_ok(t.same_rounds == n_same && t.one_winner_same == n_same,
	       "same method without force: exactly one OK and one EXISTS in all %u rounds",
	       n_same);
	rel_ok(t.rounds == total && t.overlapped * 4 >= t.rounds * 3,
	       "the two generates really raced: overlapped in %u of %u rounds (need >= 75%%)",
	       t.overlapped, t.rounds);

	rel_ctx_free(p, g_ctx);
	fk_sim_state_clear(&g_state);
	rel_cleanup(root);
	rel_diag("%u checks, %u failed, %.1f s", rel_count(), rel_failures(),
		 (double)(rel_now_ns() - t_start) / 1e9);
	return rel_failures() == 0 ? 0 : 1;
}
