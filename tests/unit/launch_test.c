/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for src/policy/fk_launch.{h,c}: the launch-spec digest.
 * Known answers are built here byte by byte from the canonical form (not
 * through the code under test) and hashed with fk_sha256; one published
 * constant (docs/policy.md's worked example) is checked as well.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crypto/fk_crypto.h"
#include "policy/fk_launch.h"
#include "test_util.h"

/* ---- helpers ---- */

static fusekey_status from_text(const char *json, uint8_t d[32], char *err, size_t errlen)
{
	return fk_launch_digest_from_config((const uint8_t *)json, strlen(json), d, err, errlen);
}

static void expect_text_digest(const char *json, const uint8_t want[32])
{
	uint8_t d[32];
	char err[256];

	EXPECT_OK(from_text(json, d, err, sizeof(err)));
	assert_string_equal(err, "");
	assert_memory_equal(d, want, 32);
}

/* Refused with FORMAT, digest zeroed, and err containing `what`. */
static void expect_refused(const char *json, const char *what)
{
	uint8_t d[32];
	char err[256];

	th_fill(d, 0xAA, sizeof(d));
	EXPECT_STATUS(from_text(json, d, err, sizeof(err)), FUSEKEY_ERR_FORMAT);
	assert_true(th_all_zero(d, sizeof(d)));
	if (strstr(err, what) == NULL)
		fail_msg("error '%s' does not contain '%s'", err, what);
}

/* A growing byte string, to write the canonical form by hand. */
struct bytes {
	uint8_t *p;
	size_t n, cap;
};

static void b_put(struct bytes *b, const void *p, size_t n)
{
	if (b->n + n > b->cap) {
		b->cap = (b->n + n) * 2 + 64;
		b->p = realloc(b->p, b->cap);
		assert_non_null(b->p);
	}
	memcpy(b->p + b->n, p, n);
	b->n += n;
}

static void b_u32(struct bytes *b, uint32_t v)
{
	uint8_t le[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
	b_put(b, le, 4);
}

static void b_str(struct bytes *b, const char *s)
{
	b_u32(b, (uint32_t)strlen(s));
	b_put(b, s, strlen(s));
}

/* SHA-256 of the canonical form, built independently of fk_launch.c. */
static void ref_digest(const char *const *args, size_t na, const char *const *env, size_t ne,
		       const char *cwd, uint8_t out[32])
{
	struct bytes b = {0};

	b_put(&b, "FKLAUNCH1", 9);
	b_u32(&b, (uint32_t)na);
	for (size_t i = 0; i < na; i++)
		b_str(&b, args[i]);
	b_u32(&b, (uint32_t)ne);
	for (size_t i = 0; i < ne; i++)
		b_str(&b, env[i]);
	b_str(&b, cwd);
	EXPECT_OK(fk_sha256(b.p, b.n, out));
	free(b.p);
}

/* ---- known answers ---- */

/* The smallest interesting case, written out literally byte for byte. */
static void test_kat_literal_bytes(void **state)
{
	static const uint8_t canonical[] = {
		'F', 'K', 'L', 'A', 'U', 'N', 'C', 'H', '1',
		0x02, 0x00, 0x00, 0x00,				/* 2 args */
		0x02, 0x00, 0x00, 0x00, 's', 'h',		/* "sh" */
		0x02, 0x00, 0x00, 0x00, '-', 'c',		/* "-c" */
		0x01, 0x00, 0x00, 0x00,				/* 1 env */
		0x03, 0x00, 0x00, 0x00, 'A', '=', '1',		/* "A=1" */
		0x01, 0x00, 0x00, 0x00, '/',			/* cwd "/" */
	};
	const char *args[] = {"sh", "-c"}, *env[] = {"A=1"};
	uint8_t want[32], d[32];

	(void)state;
	EXPECT_OK(fk_sha256(canonical, sizeof(canonical), want));
	expect_text_digest("{\"ociVersion\": \"1.0.2\", \"process\": {\"args\": [\"sh\", \"-c\"], "
			   "\"env\": [\"A=1\"], \"cwd\": \"/\"}}",
			   want);
	EXPECT_OK(fk_launch_digest_parts(args, 2, env, 1, "/", d));
	assert_memory_equal(d, want, 32);
	/* The same bytes through the independent builder. */
	ref_digest(args, 2, env, 1, "/", d);
	assert_memory_equal(d, want, 32);
}

/* docs/policy.md's worked example: the digest printed there. */
static void test_kat_documented_example(void **state)
{
	const char *args[] = {"/bin/server", "--port", "8080"};
	const char *env[] = {"PATH=/usr/local/bin:/usr/bin:/bin", "MODE=production"};
	uint8_t want[32], ref[32], d[32];

	(void)state;
	th_hex("c64be7a37aeb9f859aca47f44bd47148fd173be8a391bd97d9275a93889e0fd8", want, 32);
	ref_digest(args, 3, env, 2, "/srv/app", ref);
	assert_memory_equal(ref, want, 32);
	expect_text_digest("{\n"
			   "  \"ociVersion\": \"1.0.2\",\n"
			   "  \"process\": {\n"
			   "    \"terminal\": false,\n"
			   "    \"user\": {\"uid\": 0, \"gid\": 0},\n"
			   "    \"args\": [\"/bin/server\", \"--port\", \"8080\"],\n"
			   "    \"env\": [\"PATH=/usr/local/bin:/usr/bin:/bin\", \"MODE=production\"],\n"
			   "    \"cwd\": \"/srv/app\"\n"
			   "  },\n"
			   "  \"root\": {\"path\": \"rootfs\", \"readonly\": true},\n"
			   "  \"hostname\": \"web\"\n"
			   "}\n",
			   want);
	EXPECT_OK(fk_launch_digest_parts(args, 3, env, 2, "/srv/app", d));
	assert_memory_equal(d, want, 32);
}

/* Absent, null and [] lists are all "no entries"; cwd "" is hashed as given. */
static void test_empty_lists(void **state)
{
	uint8_t want[32], d[32];

	(void)state;
	ref_digest(NULL, 0, NULL, 0, "/", want);
	expect_text_digest("{\"process\": {\"cwd\": \"/\"}}", want);
	expect_text_digest("{\"process\": {\"args\": null, \"env\": null, \"cwd\": \"/\"}}", want);
	expect_text_digest("{\"process\": {\"args\": [], \"env\": [], \"cwd\": \"/\"}}", want);
	EXPECT_OK(fk_launch_digest_parts(NULL, 0, NULL, 0, "/", d));
	assert_memory_equal(d, want, 32);
	ref_digest(NULL, 0, NULL, 0, "", want);
	expect_text_digest("{\"process\": {\"cwd\": \"\"}}", want);
	/* One empty argument is not zero arguments. */
	ref_digest((const char *[]){""}, 1, NULL, 0, "/", d);
	expect_text_digest("{\"process\": {\"args\": [\"\"], \"cwd\": \"/\"}}", d);
	assert_memory_not_equal(d, want, 32);
}

/* JSON escapes are undone before hashing: the exact UTF-8 bytes count. */
static void test_unescaped_utf8(void **state)
{
	uint8_t want[32];

	(void)state;
	ref_digest((const char *[]){"caf\xc3\xa9", "a/b", "q\"t", "\xf0\x9f\x94\x91"}, 4,
		   (const char *[]){"NL=a\nb"}, 1, "/", want);
	expect_text_digest("{\"process\": {\"args\": [\"caf\\u00e9\", \"a\\/b\", \"q\\\"t\", "
			   "\"\\ud83d\\udd11\"], \"env\": [\"NL=a\\nb\"], \"cwd\": \"/\"}}",
			   want);
	expect_text_digest("{\"process\": {\"args\": [\"caf\xc3\xa9\", \"a/b\", \"q\\\"t\", "
			   "\"\xf0\x9f\x94\x91\"], \"env\": [\"NL=a\\nb\"], \"cwd\": \"/\"}}",
			   want);
}

/* Every change of order or boundary changes the digest. */
static void test_order_sensitivity(void **state)
{
	uint8_t d[6][32];

	(void)state;
	EXPECT_OK(fk_launch_digest_parts((const char *[]){"a", "b"}, 2, NULL, 0, "/", d[0]));
	EXPECT_OK(fk_launch_digest_parts((const char *[]){"b", "a"}, 2, NULL, 0, "/", d[1]));
	EXPECT_OK(fk_launch_digest_parts((const char *[]){"ab", "c"}, 2, NULL, 0, "/", d[2]));
	EXPECT_OK(fk_launch_digest_parts((const char *[]){"a", "bc"}, 2, NULL, 0, "/", d[3]));
	/* Moved from args to env. */
	EXPECT_OK(fk_launch_digest_parts((const char *[]){"a"}, 1, (const char *[]){"b"}, 1, "/",
					 d[4]));
	EXPECT_OK(fk_launch_digest_parts(NULL, 0, (const char *[]){"a", "b"}, 2, "/", d[5]));
	for (int i = 0; i < 6; i++)
		for (int j = i + 1; j < 6; j++)
			assert_memory_not_equal(d[i], d[j], 32);

	/* A duplicate variable: the order decides which one the program sees. */
	uint8_t e1[32], e2[32];
	ref_digest(NULL, 0, (const char *[]){"A=1", "A=2"}, 2, "/", e1);
	ref_digest(NULL, 0, (const char *[]){"A=2", "A=1"}, 2, "/", e2);
	assert_memory_not_equal(e1, e2, 32);
	expect_text_digest("{\"process\": {\"env\": [\"A=1\", \"A=2\"], \"cwd\": \"/\"}}", e1);
	expect_text_digest("{\"process\": {\"env\": [\"A=2\", \"A=1\"], \"cwd\": \"/\"}}", e2);

	/* cwd counts too; JSON key order does not. */
	EXPECT_OK(fk_launch_digest_parts(NULL, 0, NULL, 0, "/a", d[0]));
	EXPECT_OK(fk_launch_digest_parts(NULL, 0, NULL, 0, "/b", d[1]));
	assert_memory_not_equal(d[0], d[1], 32);
	expect_text_digest("{\"process\": {\"cwd\": \"/a\", \"env\": [], \"args\": []}}", d[0]);
}

/* ---- refusals ---- */

static void test_refusals(void **state)
{
	(void)state;
	expect_refused("", "not valid JSON");
	expect_refused("{\"process\": {\"cwd\": \"/\"}", "config.json:1: not valid JSON");
	expect_refused("[]", "not a JSON object");
	expect_refused("{\"oci\": 1}", "process: missing");
	expect_refused("{\"process\": []}", "process: not an object");
	expect_refused("{\"process\": {\"args\": []}}", "process.cwd: missing");
	expect_refused("{\"process\": {\"cwd\": null}}", "process.cwd: not a string");
	expect_refused("{\"process\": {\"cwd\": 7}}", "process.cwd: not a string");
	expect_refused("{\"process\": {\"args\": \"sh\", \"cwd\": \"/\"}}",
		       "process.args: not an array");
	expect_refused("{\"process\": {\"args\": [\"sh\", 1], \"cwd\": \"/\"}}",
		       "process.args[1]: not a string");
	expect_refused("{\"process\": {\"env\": [null], \"cwd\": \"/\"}}",
		       "process.env[0]: not a string");
	expect_refused("{\"process\": {\"env\": {\"A\": \"1\"}, \"cwd\": \"/\"}}",
		       "process.env: not an array");
	expect_refused("{\"process\": {\"args\": [\"a\\u0000b\"], \"cwd\": \"/\"}}",
		       "process.args[0]: contains a NUL");
	expect_refused("{\"process\": {\"env\": [\"A=\\u0000\"], \"cwd\": \"/\"}}",
		       "process.env[0]: contains a NUL");
	expect_refused("{\"process\": {\"cwd\": \"/\\u0000\"}}", "process.cwd: contains a NUL");
	/* Two values for one key would let two readers see two launch specs. */
	expect_refused("{\"process\": {\"cwd\": \"/\", \"cwd\": \"/tmp\"}}", "not valid JSON");
	expect_refused("{\"process\": {\"cwd\": \"/\"}, \"process\": {\"cwd\": \"/\"}}",
		       "not valid JSON");
	/* Invalid UTF-8 is not JSON. */
	expect_refused("{\"process\": {\"args\": [\"\xff\"], \"cwd\": \"/\"}}", "not valid JSON");
}

static void test_nul_byte_in_text(void **state)
{
	static const char text[] = "{\"process\": {\"cwd\": \"/\"}}\0 ";
	uint8_t d[32];
	char err[128];

	(void)state;
	EXPECT_STATUS(fk_launch_digest_from_config((const uint8_t *)text, sizeof(text) - 1, d, err,
						   sizeof(err)),
		      FUSEKEY_ERR_FORMAT);
	assert_non_null(strstr(err, "NUL byte"));
}

/* Errors name fields, never values (environments carry secrets). */
static void test_errors_never_quote_values(void **state)
{
	char *big = malloc(FK_LAUNCH_MAX_STRING + 64);
	char *json = malloc(FK_LAUNCH_MAX_STRING + 256);
	uint8_t d[32];
	char err[256];

	(void)state;
	assert_non_null(big);
	assert_non_null(json);
	memcpy(big, "PASSWORD=", 9);
	memset(big + 9, 'S', FK_LAUNCH_MAX_STRING);
	big[9 + FK_LAUNCH_MAX_STRING - 8] = '\0'; /* 9 + 65528 = 65537 bytes: one too many */
	snprintf(json, FK_LAUNCH_MAX_STRING + 256, "{\"process\": {\"env\": [\"%s\"], \"cwd\": \"/\"}}",
		 big);
	EXPECT_STATUS(from_text(json, d, err, sizeof(err)), FUSEKEY_ERR_FORMAT);
	assert_string_equal(err, "process.env[0]: longer than 65536 bytes");
	/* A syntax error inside a secret: jansson's "near '<token>'" is not repeated. */
	EXPECT_STATUS(from_text("{\"process\": {\"env\": [\"PASSWORD=hunter2\tx\"], \"cwd\": \"/\"}}", d,
				err, sizeof(err)),
		      FUSEKEY_ERR_FORMAT);
	assert_null(strstr(err, "hunter2"));
	assert_null(strstr(err, "PASSWORD"));
	assert_non_null(strstr(err, "config.json:1: not valid JSON"));
	free(big);
	free(json);
}

/* err is always terminated, even when too small; NULL err is fine. */
static void test_err_buffer(void **state)
{
	uint8_t d[32];
	char err[8];

	(void)state;
	memset(err, 'x', sizeof(err));
	EXPECT_STATUS(from_text("[]", d, err, sizeof(err)), FUSEKEY_ERR_FORMAT);
	assert_int_equal(strlen(err), sizeof(err) - 1);
	EXPECT_STATUS(from_text("[]", d, NULL, 0), FUSEKEY_ERR_FORMAT);
	EXPECT_STATUS(from_text("{\"process\": {\"cwd\": \"/\"}}", NULL, err, sizeof(err)),
		      FUSEKEY_ERR_INVALID_PARAMETER);
	EXPECT_STATUS(fk_launch_digest_from_config(NULL, 0, d, err, sizeof(err)),
		      FUSEKEY_ERR_INVALID_PARAMETER);
}

/* ---- bounds ---- */

/* {"process": {"<list>": [n strings of len bytes], "cwd": "/"}, "pad": "<pad>"} */
static char *make_config(const char *list, size_t n, size_t len, size_t pad)
{
	size_t cap = 128 + n * (len + 4) + pad, k = 0;
	char *s = malloc(cap);

	assert_non_null(s);
	k += (size_t)sprintf(s + k, "{\"process\": {\"%s\": [", list);
	for (size_t i = 0; i < n; i++) {
		s[k++] = '"';
		memset(s + k, 'a' + (char)(i % 26), len);
		k += len;
		s[k++] = '"';
		if (i + 1 < n)
			s[k++] = ',';
	}
	k += (size_t)sprintf(s + k, "], \"cwd\": \"/\"}, \"pad\": \"");
	memset(s + k, ' ', pad);
	k += pad;
	s[k++] = '"';
	s[k++] = '}';
	s[k] = '\0';
	assert_true(k < cap);
	return s;
}

static void test_bounds_entries(void **state)
{
	const char *lists[] = {"args", "env"};
	uint8_t d[32];
	char err[256];

	(void)state;
	for (int l = 0; l < 2; l++) {
		char *ok = make_config(lists[l], FK_LAUNCH_MAX_ENTRIES, 1, 0);
		char *over = make_config(lists[l], FK_LAUNCH_MAX_ENTRIES + 1, 1, 0);
		char want[64];
		EXPECT_OK(from_text(ok, d, err, sizeof(err)));
		EXPECT_STATUS(from_text(over, d, err, sizeof(err)), FUSEKEY_ERR_FORMAT);
		snprintf(want, sizeof(want), "process.%s: more than 4096 entries", lists[l]);
		assert_string_equal(err, want);
		free(ok);
		free(over);
	}
	/* The same bounds for callers holding the values. */
	const char **v = calloc(FK_LAUNCH_MAX_ENTRIES + 1, sizeof(*v));
	assert_non_null(v);
	for (size_t i = 0; i <= FK_LAUNCH_MAX_ENTRIES; i++)
		v[i] = "x";
	EXPECT_OK(fk_launch_digest_parts(v, FK_LAUNCH_MAX_ENTRIES, v, FK_LAUNCH_MAX_ENTRIES, "/", d));
	th_fill(d, 0xAA, 32);
	EXPECT_STATUS(fk_launch_digest_parts(v, FK_LAUNCH_MAX_ENTRIES + 1, NULL, 0, "/", d),
		      FUSEKEY_ERR_INVALID_PARAMETER);
	assert_true(th_all_zero(d, 32));
	EXPECT_STATUS(fk_launch_digest_parts(NULL, 0, v, FK_LAUNCH_MAX_ENTRIES + 1, "/", d),
		      FUSEKEY_ERR_INVALID_PARAMETER);
	free(v);
}

static void test_bounds_string(void **state)
{
	char *ok = make_config("args", 1, FK_LAUNCH_MAX_STRING, 0);
	char *over = make_config("args", 1, FK_LAUNCH_MAX_STRING + 1, 0);
	char *s = malloc(FK_LAUNCH_MAX_STRING + 2);
	uint8_t d[32], d2[32];
	char err[256];

	(void)state;
	assert_non_null(s);
	EXPECT_OK(from_text(ok, d, err, sizeof(err)));
	memset(s, 'a', FK_LAUNCH_MAX_STRING);
	s[FK_LAUNCH_MAX_STRING] = '\0';
	EXPECT_OK(fk_launch_digest_parts((const char *[]){s}, 1, NULL, 0, "/", d2));
	assert_memory_equal(d, d2, 32);
	EXPECT_STATUS(from_text(over, d, err, sizeof(err)), FUSEKEY_ERR_FORMAT);
	assert_string_equal(err, "process.args[0]: longer than 65536 bytes");
	s[FK_LAUNCH_MAX_STRING] = 'a';
	s[FK_LAUNCH_MAX_STRING + 1] = '\0';
	EXPECT_STATUS(fk_launch_digest_parts((const char *[]){s}, 1, NULL, 0, "/", d2),
		      FUSEKEY_ERR_INVALID_PARAMETER);
	EXPECT_STATUS(fk_launch_digest_parts(NULL, 0, (const char *[]){s}, 1, "/", d2),
		      FUSEKEY_ERR_INVALID_PARAMETER);
	EXPECT_STATUS(fk_launch_digest_parts(NULL, 0, NULL, 0, s, d2),
		      FUSEKEY_ERR_INVALID_PARAMETER);
	free(ok);
	free(over);
	free(s);
}

/* All strings together <= 1 MiB: 16 x 64 KiB pass, a 17th byte-full string does not. */
static void test_bounds_total(void **state)
{
	char *s = malloc(FK_LAUNCH_MAX_STRING + 1);
	const char *v[17];
	uint8_t d[32];

	(void)state;
	assert_non_null(s);
	memset(s, 'z', FK_LAUNCH_MAX_STRING);
	s[FK_LAUNCH_MAX_STRING] = '\0';
	for (int i = 0; i < 17; i++)
		v[i] = s;
	EXPECT_OK(fk_launch_digest_parts(v, 8, v, 8, "", d));
	EXPECT_STATUS(fk_launch_digest_parts(v, 8, v, 8, "/", d), FUSEKEY_ERR_INVALID_PARAMETER);
	EXPECT_STATUS(fk_launch_digest_parts(v, 9, v, 8, "", d), FUSEKEY_ERR_INVALID_PARAMETER);
	free(s);
}

/* config.json <= 1 MiB exactly. */
static void test_bounds_file(void **state)
{
	char *base = make_config("args", 1, 1, 0);
	size_t base_len = strlen(base);
	char *ok = make_config("args", 1, 1, FK_LAUNCH_MAX_CONFIG - base_len);
	char *over = make_config("args", 1, 1, FK_LAUNCH_MAX_CONFIG - base_len + 1);
	uint8_t d[32], d2[32];
	char err[256];

	(void)state;
	assert_int_equal(strlen(ok), FK_LAUNCH_MAX_CONFIG);
	EXPECT_OK(from_text(ok, d, err, sizeof(err)));
	EXPECT_OK(from_text(base, d2, err, sizeof(err)));
	assert_memory_equal(d, d2, 32); /* other fields do not count */
	EXPECT_STATUS(from_text(over, d, err, sizeof(err)), FUSEKEY_ERR_FORMAT);
	assert_string_equal(err, "config.json: larger than 1048576 bytes");
	free(base);
	free(ok);
	free(over);
}

static void test_parts_arguments(void **state)
{
	uint8_t d[32];

	(void)state;
	EXPECT_STATUS(fk_launch_digest_parts(NULL, 1, NULL, 0, "/", d),
		      FUSEKEY_ERR_INVALID_PARAMETER);
	EXPECT_STATUS(fk_launch_digest_parts(NULL, 0, NULL, 1, "/", d),
		      FUSEKEY_ERR_INVALID_PARAMETER);
	EXPECT_STATUS(fk_launch_digest_parts(NULL, 0, NULL, 0, NULL, d),
		      FUSEKEY_ERR_INVALID_PARAMETER);
	EXPECT_STATUS(fk_launch_digest_parts((const char *[]){"a", NULL}, 2, NULL, 0, "/", d),
		      FUSEKEY_ERR_INVALID_PARAMETER);
	EXPECT_STATUS(fk_launch_digest_parts(NULL, 0, NULL, 0, "/", NULL),
		      FUSEKEY_ERR_INVALID_PARAMETER);
}

/* ---- from a bundle directory ---- */

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

static void test_from_bundle(void **state)
{
	static const char cfg[] = "{\"process\": {\"args\": [\"sh\"], \"cwd\": \"/\"}}";
	char dir[256], path[320], other[320], err[256];
	uint8_t d[32], want[32];

	(void)state;
	th_tmpdir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/config.json", dir);
	EXPECT_STATUS(fk_launch_digest_from_bundle(dir, d, err, sizeof(err)),
		      FUSEKEY_ERR_NOT_FOUND);
	assert_string_equal(err, "config.json: not found in the bundle");
	write_file(path, cfg);
	EXPECT_OK(fk_launch_digest_from_bundle(dir, d, err, sizeof(err)));
	EXPECT_OK(from_text(cfg, want, err, sizeof(err)));
	assert_memory_equal(d, want, 32);
	/* The bundle is the host's: a symlinked config.json is refused. */
	snprintf(other, sizeof(other), "%s/real.json", dir);
	assert_int_equal(rename(path, other), 0);
	assert_int_equal(symlink("real.json", path), 0);
	th_fill(d, 0xAA, 32);
	EXPECT_STATUS(fk_launch_digest_from_bundle(dir, d, err, sizeof(err)), FUSEKEY_ERR_FORMAT);
	assert_true(th_all_zero(d, 32));
	assert_non_null(strstr(err, "symlink"));
	assert_int_equal(unlink(path), 0);
	/* Refusals inside the file come through. */
	write_file(path, "{\"process\": {}}");
	EXPECT_STATUS(fk_launch_digest_from_bundle(dir, d, err, sizeof(err)), FUSEKEY_ERR_FORMAT);
	assert_non_null(strstr(err, "process.cwd: missing"));
	EXPECT_STATUS(fk_launch_digest_from_bundle(NULL, d, err, sizeof(err)),
		      FUSEKEY_ERR_INVALID_PARAMETER);
	EXPECT_STATUS(fk_launch_digest_from_bundle("", d, err, sizeof(err)),
		      FUSEKEY_ERR_INVALID_PARAMETER);
	assert_int_equal(th_rmtree(dir), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kat_literal_bytes),
		cmocka_unit_test(test_kat_documented_example),
		cmocka_unit_test(test_empty_lists),
		cmocka_unit_test(test_unescaped_utf8),
		cmocka_unit_test(test_order_sensitivity),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_nul_byte_in_text),
		cmocka_unit_test(test_errors_never_quote_values),
		cmocka_unit_test(test_err_buffer),
		cmocka_unit_test(test_bounds_entries),
		cmocka_unit_test(test_bounds_string),
		cmocka_unit_test(test_bounds_total),
		cmocka_unit_test(test_bounds_file),
		cmocka_unit_test(test_parts_arguments),
		cmocka_unit_test(test_from_bundle),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
