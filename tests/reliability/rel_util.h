/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Shared helpers of the reliability tests (crash_test.c, race_test.c): plain C
 * programs with TAP output, no cmocka, since they fork and kill processes.
 *
 * Every process of a test (the parent and the children it forks) runs the same
 * emulated platform: one fk_sim_state made by the parent before fork (random
 * roots) and one fixed enclave identity, so a key made in a child is the key
 * the parent's context gets back.
 */
#ifndef FK_REL_UTIL_H
#define FK_REL_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "crypto/fk_crypto.h"
#include "delivery/fk_api.h"
#include "platform/fk_sim.h"

#define REL_PRINTF(f, a) __attribute__((format(printf, f, a)))

/* ---- TAP ---- */

/* Print "1..n". */
void rel_plan(unsigned n);
/* Print "ok N - ..." or "not ok N - ..."; returns ok. Counts failures. */
bool rel_ok(bool ok, const char *fmt, ...) REL_PRINTF(2, 3);
/* "# ..." diagnostic line on stdout. */
void rel_diag(const char *fmt, ...) REL_PRINTF(1, 2);
/* Number of "not ok" lines printed so far; tests printed. */
unsigned rel_failures(void);
unsigned rel_count(void);

/* ---- platform ---- */

/* The production enclave every process of the tests runs (no DEBUG, no KSS). */
void rel_identity(struct fk_sgx_identity *id);
/* A platform over st running id, wrapped in a borrowed context. */
fusekey_status rel_ctx_new(const struct fk_sim_state *st, const struct fk_sgx_identity *id,
			   struct fk_platform **p, fusekey_ctx **ctx);
void rel_ctx_free(struct fk_platform *p, fusekey_ctx *ctx);

/* ---- files ---- */

/* mkdtemp "<TMPDIR or /tmp>/fusekey-<tag>-XXXXXX" into buf; false on error. */
bool rel_tmpdir(const char *tag, char *buf, size_t buflen);
/* rm -r without following symlinks; 0 on success. */
int rel_rmtree(const char *path);
/* Remove the test's directory, unless FUSEKEY_REL_KEEP=1 (then name it). */
void rel_cleanup(const char *root);
/* <bundle>/fusekey/<cid>/<name> (name may be NULL: the directory). */
void rel_key_path(const char *bundle, const char *cid, const char *name, char *out,
		  size_t outlen);

/* What a container directory <bundle>/fusekey/<cid> holds. */
struct rel_dir_scan {
	bool dir_exists;
	unsigned sealed;  /* key.sealed present (0/1) */
	unsigned derive;  /* derive.json present (0/1) */
	unsigned tmp;     /* "*.tmp.*" temp files */
	unsigned other;   /* anything else */
	char other_name[256];
};
bool rel_scan(const char *bundle, const char *cid, struct rel_dir_scan *out);

/* ---- misc ---- */

uint64_t rel_now_ns(void);
/* Busy-wait / sleep until CLOCK_MONOTONIC reaches deadline_ns (precise to ~µs). */
void rel_sleep_until(uint64_t deadline_ns);
/* SHA-256 of a key (what processes tell each other instead of the key). */
void rel_digest(const uint8_t *key, size_t len, uint8_t out[FK_SHA256_SIZE]);
/* Hex of the first 8 bytes of a digest, for messages. */
const char *rel_short_hex(const uint8_t d[FK_SHA256_SIZE], char buf[17]);
/* Read / write exactly n bytes (EINTR retried); returns the count (< n on EOF/error). */
size_t rel_read_full(int fd, void *buf, size_t n);
bool rel_write_full(int fd, const void *buf, size_t n);

/* splitmix64: small, seedable, reproducible. */
uint64_t rel_rand(uint64_t *state);
/* Uniform in [0, 1). */
double rel_rand_unit(uint64_t *state);

#endif
