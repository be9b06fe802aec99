/* SPDX-License-Identifier: Apache-2.0 */
/* The launch-spec digest (canonical form in fk_launch.h and docs/policy.md). */
#include "policy/fk_launch.h"

#include "sgx/fk_sgx.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "crypto/fk_crypto.h"
#include "util/fk_file.h"

static void seterr(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* The one bound rule of both entry points: each string, and all of them together. */
static bool within_bounds(const struct fk_buf *args, size_t nargs, const struct fk_buf *env,
			  size_t nenv, struct fk_buf cwd)
{
	/* total <= (2 * 4096 + 1) * (64 KiB + 1): no overflow. */
	size_t total = cwd.n;

	if (nargs > FK_LAUNCH_MAX_ENTRIES || nenv > FK_LAUNCH_MAX_ENTRIES ||
	    cwd.n > FK_LAUNCH_MAX_STRING)
		return false;
	for (size_t i = 0; i < nargs; i++) {
		if (args[i].n > FK_LAUNCH_MAX_STRING)
			return false;
		total += args[i].n;
	}
	for (size_t i = 0; i < nenv; i++) {
		if (env[i].n > FK_LAUNCH_MAX_STRING)
			return false;
		total += env[i].n;
	}
	return total <= FK_LAUNCH_MAX_TOTAL;
}

/*
 * Hash the canonical form of strings given as (pointer, length), within the
 * bounds (else INVALID_PARAMETER). One part per length prefix and per string:
 * nothing is copied, and nparts is bounded by the entry limits (at most
 * 16,389 parts).
 */
static fusekey_status digest_bufs(const struct fk_buf *args, size_t nargs,
				  const struct fk_buf *env, size_t nenv, struct fk_buf cwd,
				  uint8_t digest[FK_LAUNCH_DIGEST_SIZE])
{
	size_t nparts = 1 + 1 + 2 * nargs + 1 + 2 * nenv + 2, k = 0, l = 0;
	struct fk_buf *parts = NULL;
	uint8_t *lens = NULL;
	fusekey_status st = FUSEKEY_ERR_INVALID_PARAMETER;

	if (!within_bounds(args, nargs, env, nenv, cwd))
		goto out;
	st = FUSEKEY_ERR_NO_MEMORY;
	parts = calloc(nparts, sizeof(*parts));
	lens = calloc(nargs + nenv + 3, 4);
	if (parts == NULL || lens == NULL)
		goto out;
	parts[k++] = (struct fk_buf){FK_LAUNCH_MAGIC, FK_LAUNCH_MAGIC_LEN};
	fk_put_le32(&lens[4 * l], (uint32_t)nargs);
	parts[k++] = (struct fk_buf){&lens[4 * l++], 4};
	for (size_t i = 0; i < nargs; i++) {
		fk_put_le32(&lens[4 * l], (uint32_t)args[i].n);
		parts[k++] = (struct fk_buf){&lens[4 * l++], 4};
		parts[k++] = args[i];
	}
	fk_put_le32(&lens[4 * l], (uint32_t)nenv);
	parts[k++] = (struct fk_buf){&lens[4 * l++], 4};
	for (size_t i = 0; i < nenv; i++) {
		fk_put_le32(&lens[4 * l], (uint32_t)env[i].n);
		parts[k++] = (struct fk_buf){&lens[4 * l++], 4};
		parts[k++] = env[i];
	}
	fk_put_le32(&lens[4 * l], (uint32_t)cwd.n);
	parts[k++] = (struct fk_buf){&lens[4 * l++], 4};
	parts[k++] = cwd;
	st = fk_sha256_parts(parts, k, digest);
out:
	free(parts);
	free(lens);
	if (st != FUSEKEY_OK)
		memset(digest, 0, FK_LAUNCH_DIGEST_SIZE);
	return st;
}

fusekey_status fk_launch_digest_parts(const char *const *args, size_t nargs,
				      const char *const *env, size_t nenv, const char *cwd,
				      uint8_t digest[FK_LAUNCH_DIGEST_SIZE])
{
	struct fk_buf *a = NULL, *e = NULL, c;
	fusekey_status st = FUSEKEY_ERR_INVALID_PARAMETER;

	if (digest == NULL)
		return FUSEKEY_ERR_INVALID_PARAMETER;
	if (cwd == NULL || (args == NULL && nargs > 0) || (env == NULL && nenv > 0) ||
	    nargs > FK_LAUNCH_MAX_ENTRIES || nenv > FK_LAUNCH_MAX_ENTRIES)
		goto out;
	/* +1 so that empty lists still get a valid pointer. */
	a = calloc(nargs + 1, sizeof(*a));
	e = calloc(nenv + 1, sizeof(*e));
	if (a == NULL || e == NULL) {
		st = FUSEKEY_ERR_NO_MEMORY;
		goto out;
	}
	/*
	 * strnlen: a string without terminator within the bound is read no
	 * further than one byte past it, and then refused by digest_bufs.
	 */
	for (size_t i = 0; i < nargs; i++) {
		if (args[i] == NULL)
			goto out;
		a[i] = (struct fk_buf){args[i], strnlen(args[i], FK_LAUNCH_MAX_STRING + 1)};
	}
	for (size_t i = 0; i < nenv; i++) {
		if (env[i] == NULL)
			goto out;
		e[i] = (struct fk_buf){env[i], strnlen(env[i], FK_LAUNCH_MAX_STRING + 1)};
	}
	c = (struct fk_buf){cwd, strnlen(cwd, FK_LAUNCH_MAX_STRING + 1)};
	st = digest_bufs(a, nargs, e, nenv, c, digest);
out:
	free(a);
	free(e);
	if (st != FUSEKEY_OK)
		memset(digest, 0, FK_LAUNCH_DIGEST_SIZE);
	return st;
}

/*
 * One string list of "process" (args or env) into bufs (cap entries).
 * Absent or null = no entries. Returns false with err set.
 */
static bool get_list(const json_t *process, const char *name, struct fk_buf *bufs, size_t *n,
		     char *err, size_t errlen)
{
	const json_t *arr = json_object_get(process, name);
	size_t i;
	const json_t *v;

	*n = 0;
	if (arr == NULL || json_is_null(arr))
		return true;
	if (!json_is_array(arr)) {
		seterr(err, errlen, "process.%s: not an array of strings", name);
		return false;
	}
	if (json_array_size(arr) > FK_LAUNCH_MAX_ENTRIES) {
		seterr(err, errlen, "process.%s: more than %u entries", name,
		       FK_LAUNCH_MAX_ENTRIES);
		return false;
	}
	json_array_foreach(arr, i, v) {
		if (!json_is_string(v)) {
			seterr(err, errlen, "process.%s[%zu]: not a string", name, i);
			return false;
		}
		bufs[i] = (struct fk_buf){json_string_value(v), json_string_length(v)};
		if (bufs[i].n > FK_LAUNCH_MAX_STRING) {
			seterr(err, errlen, "process.%s[%zu]: longer than %u bytes", name, i,
			       FK_LAUNCH_MAX_STRING);
			return false;
		}
		if (memchr(bufs[i].p, 0, bufs[i].n) != NULL) {
			seterr(err, errlen, "process.%s[%zu]: contains a NUL character (\\u0000)",
			       name, i);
			return false;
		}
	}
	*n = json_array_size(arr);
	return true;
}

fusekey_status fk_launch_digest_from_config(const uint8_t *json, size_t len,
					    uint8_t digest[FK_LAUNCH_DIGEST_SIZE], char *err,
					    size_t errlen)
{
	struct fk_buf *a = NULL, *e = NULL, c;
	size_t na = 0, ne = 0;
	json_error_t jerr;
	json_t *root = NULL;
	const json_t *process, *cwd;
	fusekey_status st = FUSEKEY_ERR_FORMAT;

	seterr(err, errlen, "%s", "");
	if (digest == NULL)
		return FUSEKEY_ERR_INVALID_PARAMETER;
	if (json == NULL) {
		st = FUSEKEY_ERR_INVALID_PARAMETER;
		goto out;
	}
	if (len > FK_LAUNCH_MAX_CONFIG) {
		seterr(err, errlen, "config.json: larger than %u bytes", FK_LAUNCH_MAX_CONFIG);
		goto out;
	}
	if (len > 0 && memchr(json, 0, len) != NULL) {
		seterr(err, errlen, "config.json: contains a NUL byte");
		goto out;
	}
	/* ALLOW_NUL only so that \u0000 gets its own clear refusal below. */
	root = json_loadb((const char *)json, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
	if (root == NULL) {
		/* Without jansson's "near '<token>'": the token may be part of a secret. */
		char *near = strstr(jerr.text, " near ");
		if (near != NULL)
			*near = '\0';
		if (jerr.line > 0)
			seterr(err, errlen, "config.json:%d: not valid JSON: %s", jerr.line,
			       jerr.text);
		else
			seterr(err, errlen, "config.json: not valid JSON: %s", jerr.text);
		goto out;
	}
	if (!json_is_object(root)) {
		seterr(err, errlen, "config.json: not a JSON object");
		goto out;
	}
	process = json_object_get(root, "process");
	if (!json_is_object(process)) {
		seterr(err, errlen, "process: %s",
		       process == NULL ? "missing (a launch spec needs it)" : "not an object");
		goto out;
	}
	a = calloc(FK_LAUNCH_MAX_ENTRIES, sizeof(*a));
	e = calloc(FK_LAUNCH_MAX_ENTRIES, sizeof(*e));
	if (a == NULL || e == NULL) {
		st = FUSEKEY_ERR_NO_MEMORY;
		goto out;
	}
	if (!get_list(process, "args", a, &na, err, errlen) ||
	    !get_list(process, "env", e, &ne, err, errlen))
		goto out;
	cwd = json_object_get(process, "cwd");
	if (!json_is_string(cwd)) {
		seterr(err, errlen, "process.cwd: %s",
		       cwd == NULL ? "missing (the OCI runtime spec requires it)"
				   : "not a string");
		goto out;
	}
	c = (struct fk_buf){json_string_value(cwd), json_string_length(cwd)};
	if (c.n > FK_LAUNCH_MAX_STRING) {
		seterr(err, errlen, "process.cwd: longer than %u bytes", FK_LAUNCH_MAX_STRING);
		goto out;
	}
	if (memchr(c.p, 0, c.n) != NULL) {
		seterr(err, errlen, "process.cwd: contains a NUL character (\\u0000)");
		goto out;
	}
	st = digest_bufs(a, na, e, ne, c, digest);
	if (st != FUSEKEY_OK)
		seterr(err, errlen, "config.json: hashing failed");
out:
	free(a);
	free(e);
	json_decref(root);
	if (st != FUSEKEY_OK)
		memset(digest, 0, FK_LAUNCH_DIGEST_SIZE);
	return st;
}

fusekey_status fk_launch_digest_from_bundle(const char *bundle_dir,
					    uint8_t digest[FK_LAUNCH_DIGEST_SIZE], char *err,
					    size_t errlen)
{
	char path[PATH_MAX];
	uint8_t *buf = NULL;
	size_t len = 0;
	int k;
	fusekey_status st;

	seterr(err, errlen, "%s", "");
	if (digest == NULL)
		return FUSEKEY_ERR_INVALID_PARAMETER;
	memset(digest, 0, FK_LAUNCH_DIGEST_SIZE);
	if (bundle_dir == NULL || bundle_dir[0] == '\0')
		return FUSEKEY_ERR_INVALID_PARAMETER;
	k = snprintf(path, sizeof(path), "%s/config.json", bundle_dir);
	if (k < 0 || (size_t)k >= sizeof(path)) {
		seterr(err, errlen, "bundle path too long");
		return FUSEKEY_ERR_INVALID_PARAMETER;
	}
	st = fk_file_read(path, FK_LAUNCH_MAX_CONFIG, &buf, &len);
	switch (st) {
	case FUSEKEY_OK:
		break;
	case FUSEKEY_ERR_NOT_FOUND:
		seterr(err, errlen, "config.json: not found in the bundle");
		return st;
	case FUSEKEY_ERR_FORMAT:
		seterr(err, errlen,
		       "config.json: not a regular file, a symlink, or larger than %u bytes",
		       FK_LAUNCH_MAX_CONFIG);
		return st;
	default:
		seterr(err, errlen, "config.json: %s", fusekey_status_str(st));
		return st;
	}
	st = fk_launch_digest_from_config(buf, len, digest, err, errlen);
	fk_file_free(buf, len); /* wipes: environments carry secrets */
	return st;
}
