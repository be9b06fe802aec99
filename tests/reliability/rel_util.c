/* SPDX-License-Identifier: Apache-2.0 */
/* Shared helpers of the reliability tests (see rel_util.h). */
#include "rel_util.h"

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "delivery/fk_bundle.h"

/* ---- TAP ---- */

static unsigned g_count, g_fail;

void rel_plan(unsigned n)
{
	printf("1..%u\n", n);
	fflush(stdout);
}

bool rel_ok(bool ok, const char *fmt, ...)
{
	va_list ap;

	g_count++;
	if (!ok)
		g_fail++;
	printf("%sok %u - ", ok ? "" : "not ", g_count);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	return ok;
}

void rel_diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

unsigned rel_failures(void)
{
	return g_fail;
}

unsigned rel_count(void)
{
	return g_count;
}

/* ---- platform ---- */

void rel_identity(struct fk_sgx_identity *id)
{
	memset(id, 0, sizeof(*id));
	id->flags = FK_SGX_FLAGS_INITTED | FK_SGX_FLAGS_MODE64BIT;
	id->xfrm = FK_SGX_XFRM_LEGACY;
	for (unsigned i = 0; i < FK_SGX_HASH_SIZE; i++) {
		id->mr_enclave[i] = (uint8_t)(0xA0u + i);
		id->mr_signer[i] = (uint8_t)(0x55u + i);
	}
	id->isv_prod_id = 1;
	id->isv_svn = 1;
}

fusekey_status rel_ctx_new(const struct fk_sim_state *st, const struct fk_sgx_identity *id,
			   struct fk_platform **p, fusekey_ctx **ctx)
{
	fusekey_status s;

	*ctx = NULL;
	s = fk_sim_platform_new(st, id, p);
	if (s != FUSEKEY_OK)
		return s;
	s = fk_ctx_wrap(*p, ctx);
	if (s != FUSEKEY_OK) {
		fk_platform_destroy(*p);
		*p = NULL;
	}
	return s;
}

void rel_ctx_free(struct fk_platform *p, fusekey_ctx *ctx)
{
	fusekey_ctx_free(ctx);
	fk_platform_destroy(p);
}

/* ---- files ---- */

bool rel_tmpdir(const char *tag, char *buf, size_t buflen)
{
	const char *base = getenv("TMPDIR");
	int n;

	if (base == NULL || base[0] == '\0')
		base = "/tmp";
	n = snprintf(buf, buflen, "%s/fusekey-%s-XXXXXX", base, tag);
	if (n < 0 || (size_t)n >= buflen)
		return false;
	return mkdtemp(buf) != NULL;
}

static int rm_one(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
	(void)sb;
	(void)ftw;
	if (type == FTW_DP)
		return rmdir(path);
	return unlink(path);
}

int rel_rmtree(const char *path)
{
	return nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

void rel_cleanup(const char *root)
{
	const char *keep = getenv("FUSEKEY_REL_KEEP");

	if (keep != NULL && strcmp(keep, "1") == 0) {
		rel_diag("kept %s (FUSEKEY_REL_KEEP=1)", root);
		return;
	}
	if (rel_rmtree(root) != 0)
		rel_diag("warning: could not remove %s", root);
	else if (rel_failures() > 0)
		rel_diag("removed %s; set FUSEKEY_REL_KEEP=1 to keep the bundles", root);
}

void rel_key_path(const char *bundle, const char *cid, const char *name, char *out,
		  size_t outlen)
{
	if (name != NULL)
		snprintf(out, outlen, "%s/%s/%s/%s", bundle, FK_BUNDLE_SUBDIR, cid, name);
	else
		snprintf(out, outlen, "%s/%s/%s", bundle, FK_BUNDLE_SUBDIR, cid);
}

bool rel_scan(const char *bundle, const char *cid, struct rel_dir_scan *out)
{
	char dir[4096];
	struct dirent *e;
	DIR *d;

	memset(out, 0, sizeof(*out));
	rel_key_path(bundle, cid, NULL, dir, sizeof(dir));
	d = opendir(dir);
	if (d == NULL)
		return errno == ENOENT;
	out->dir_exists = true;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (strcmp(e->d_name, FK_BUNDLE_SEALED_NAME) == 0) {
			out->sealed++;
		} else if (strcmp(e->d_name, FK_BUNDLE_DERIVE_NAME) == 0) {
			out->derive++;
		} else if (strstr(e->d_name, ".tmp.") != NULL) {
			out->tmp++;
		} else {
			out->other++;
			snprintf(out->other_name, sizeof(out->other_name), "%s", e->d_name);
		}
	}
	closedir(d);
	return true;
}

/* ---- misc ---- */

uint64_t rel_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void rel_sleep_until(uint64_t deadline_ns)
{
	const uint64_t spin_ns = 300000; /* the last 0.3 ms: spin, sleeps overshoot */
	uint64_t now = rel_now_ns();

	if (deadline_ns > now + spin_ns) {
		uint64_t wake = deadline_ns - spin_ns;
		struct timespec ts = {.tv_sec = (time_t)(wake / 1000000000u),
				      .tv_nsec = (long)(wake % 1000000000u)};
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
			;
	}
	while (rel_now_ns() < deadline_ns)
		;
}

void rel_digest(const uint8_t *key, size_t len, uint8_t out[FK_SHA256_SIZE])
{
	if (fk_sha256(key, len, out) != FUSEKEY_OK) {
		fprintf(stderr, "fk_sha256 failed\n");
		abort();
	}
}

const char *rel_short_hex(const uint8_t d[FK_SHA256_SIZE], char buf[17])
{
	for (size_t i = 0; i < 8; i++)
		snprintf(buf + 2 * i, 3, "%02x", d[i]);
	return buf;
}

size_t rel_read_full(int fd, void *buf, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = read(fd, (uint8_t *)buf + got, n - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	return got;
}

bool rel_write_full(int fd, const void *buf, size_t n)
{
	size_t done = 0;

	while (done < n) {
		ssize_t w = write(fd, (const uint8_t *)buf + done, n - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		done += (size_t)w;
	}
	return true;
}

uint64_t rel_rand(uint64_t *state)
{
	uint64_t z = (*state += 0x9E3779B97F4A7C15ull);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

double rel_rand_unit(uint64_t *state)
{
	return (double)(rel_rand(state) >> 11) * (1.0 / 9007199254740992.0); /* 2^53 */
}
