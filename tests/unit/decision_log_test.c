/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for the key service's decision line, src/service/fk_decision_log.{h,c}
 * (docs/service.md "Decision log"). The line is built by hand, so every line
 * made here is parsed back with jansson, strictly, and checked field by
 * field and in order; then the escaping of outside strings (quotes,
 * backslashes, control bytes, DEL, bytes >= 0x80: always ASCII, always valid
 * JSON, decoding back to what was given), the refusal of a line that does
 * not fit (at every capacity: never true with a cut line, never a byte past
 * the capacity), the once-a-second time stamp, and the shapes without a peer
 * or an enclave.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "fusekey/fusekey.h"
#include "service/fk_decision_log.h"
#include "test_util.h"

/* 2023-11-14T22:13:20Z */
#define T0 1700000000
#define T0_TEXT "2023-11-14T22:13:20Z"

enum { CANARY = 0xA5, SLACK = 32 };

/* ---- fixtures ---- */

static const struct fk_ttrpc_peer peer1 = {
	.uid = 1000, .gid = 100, .pid = 4242, .conn_id = UINT64_C(9223372036854775807)};

/* A report body with distinct, recognisable values. */
static void body_make(struct fk_sgx_report_body *b, bool debug)
{
	memset(b, 0, sizeof(*b));
	for (size_t i = 0; i < FK_SGX_HASH_SIZE; i++) {
		b->mr_enclave[i] = (uint8_t)(0xB0 + i);
		b->mr_signer[i] = (uint8_t)(0x0F * i);
	}
	fk_put_le16(b->isv_prod_id, 0x1234);
	fk_put_le16(b->isv_svn, 0xFFFE);
	fk_put_le64(b->attributes.flags, FK_SGX_FLAGS_INITTED | FK_SGX_FLAGS_MODE64BIT |
						 (debug ? FK_SGX_FLAGS_DEBUG : 0));
}

static void hex_lower(const uint8_t *p, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", p[i]);
}

/* Format into a buffer that must be large enough. */
static void format_ok(const struct fk_decision *d, uint64_t id, time_t sec, char *buf, size_t cap)
{
	struct fk_decision_clock clock;
	struct timespec ts = {sec, 123456789};
	memset(&clock, 0, sizeof(clock));
	assert_true(fk_decision_format(d, id, &ts, &clock, buf, cap));
	assert_true(strlen(buf) < cap);
}

/* The line must be plain printable ASCII (no control byte, nothing >= 0x7f). */
static void assert_printable_ascii(const char *line)
{
	for (const unsigned char *c = (const unsigned char *)line; *c != '\0'; c++)
		if (*c < 0x20 || *c >= 0x7f)
			fail_msg("byte 0x%02x at %zu in %s", *c, (size_t)(c - (const unsigned char *)line),
				 line);
}

/* Strict parse: one object, nothing after it, no duplicate keys. */
static json_t *parse(const char *line)
{
	json_error_t err;
	json_t *o;
	assert_printable_ascii(line);
	o = json_loads(line, JSON_REJECT_DUPLICATES, &err);
	if (o == NULL)
		fail_msg("not JSON (%s at %d): %s", err.text, err.position, line);
	assert_true(json_is_object(o));
	return o;
}

/* The object's keys must be exactly these, in this order. */
static void assert_keys(json_t *o, const char *const *keys, size_t n)
{
	size_t i = 0;
	for (void *it = json_object_iter(o); it != NULL; it = json_object_iter_next(o, it), i++) {
		if (i >= n)
			fail_msg("extra key %s", json_object_iter_key(it));
		if (strcmp(json_object_iter_key(it), keys[i]) != 0)
			fail_msg("key %zu is %s, want %s", i, json_object_iter_key(it), keys[i]);
	}
	assert_int_equal(i, n);
}

/* Also in the text itself: each key appears once, after the one before it. */
static void assert_key_order_in_text(const char *line, const char *const *keys, size_t n)
{
	const char *prev = line;
	for (size_t i = 0; i < n; i++) {
		char needle[48];
		const char *at;
		snprintf(needle, sizeof(needle), "\"%s\":", keys[i]);
		at = strstr(prev, needle);
		if (at == NULL)
			fail_msg("key %s missing or out of order in %s", keys[i], line);
		prev = at + strlen(needle);
	}
}

static const char *str_of(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	if (!json_is_string(v))
		fail_msg("%s is not a string", key);
	return json_string_value(v);
}

static json_int_t int_of(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	if (!json_is_integer(v))
		fail_msg("%s is not an integer", key);
	return json_integer_value(v);
}

static const char *const top_all[] = {"time",      "event", "decision_id", "decision", "reason",
				      "detail",    "container", "rule",     "peer"};
static const char *const top_min[] = {"time",      "event", "decision_id", "decision", "reason",
				      "container", "peer"};
static const char *const peer_all[] = {"uid",       "gid",         "pid",     "conn", "mr_enclave",
				       "mr_signer", "isv_prod_id", "isv_svn", "debug"};
static const char *const peer_conn[] = {"uid", "gid", "pid", "conn"};
static const char *const peer_encl[] = {"mr_enclave", "mr_signer", "isv_prod_id", "isv_svn",
					"debug"};

/* ---- every field, in order ---- */

static void test_released_every_field(void **state)
{
	(void)state;
	struct fk_sgx_report_body b;
	struct fk_decision d = {.cid = "web",
				.peer = &peer1,
				.enclave = &b,
				.released = true,
				.reason = "allowed",
				.detail = "rule 0 matched",
				.rule = "containers.web[0]"};
	char line[FK_DECISION_LINE_MAX], mre[65], mrs[65];
	json_t *o, *p;

	body_make(&b, false);
	hex_lower(b.mr_enclave, 32, mre);
	hex_lower(b.mr_signer, 32, mrs);
	format_ok(&d, UINT64_C(9007199254740993), T0, line, sizeof(line));
	o = parse(line);
	assert_keys(o, top_all, 9);
	assert_key_order_in_text(line, top_all, 9);
	assert_string_equal(str_of(o, "time"), T0_TEXT);
	assert_string_equal(str_of(o, "event"), "key_release");
	/* 2^53 + 1: exact (an integer, not a double) */
	assert_true(int_of(o, "decision_id") == (json_int_t)9007199254740993LL);
	assert_string_equal(str_of(o, "decision"), "released");
	assert_string_equal(str_of(o, "reason"), "allowed");
	assert_string_equal(str_of(o, "detail"), "rule 0 matched");
	assert_string_equal(str_of(o, "container"), "web");
	assert_string_equal(str_of(o, "rule"), "containers.web[0]");
	p = json_object_get(o, "peer");
	assert_true(json_is_object(p));
	assert_keys(p, peer_all, 9);
	assert_int_equal(int_of(p, "uid"), 1000);
	assert_int_equal(int_of(p, "gid"), 100);
	assert_int_equal(int_of(p, "pid"), 4242);
	/* conn is a u64 counter: all of it, exact (INT64_MAX: the most jansson reads) */
	assert_true(int_of(p, "conn") == (json_int_t)INT64_MAX);
	assert_non_null(strstr(line, "\"conn\":9223372036854775807,"));
	assert_string_equal(str_of(p, "mr_enclave"), mre);
	assert_string_equal(str_of(p, "mr_signer"), mrs);
	assert_int_equal(strlen(mre), 64);
	assert_int_equal(int_of(p, "isv_prod_id"), 0x1234);
	assert_int_equal(int_of(p, "isv_svn"), 0xFFFE);
	assert_true(json_is_false(json_object_get(p, "debug")));
	json_decref(o);
}

/* The exact text of one line: no spaces, no newline, the documented order. */
static void test_exact_text(void **state)
{
	(void)state;
	struct fk_ttrpc_peer pr = {.uid = 0, .gid = 0, .pid = 1, .conn_id = 7};
	struct fk_sgx_report_body b;
	struct fk_decision d = {.cid = "db",
				.peer = &pr,
				.enclave = &b,
				.released = false,
				.reason = "mr_enclave",
				.rule = "containers.\"db\"[2]"};
	char line[FK_DECISION_LINE_MAX], want[FK_DECISION_LINE_MAX], mre[65], mrs[65];

	body_make(&b, true);
	hex_lower(b.mr_enclave, 32, mre);
	hex_lower(b.mr_signer, 32, mrs);
	snprintf(want, sizeof(want),
		 "{\"time\":\"" T0_TEXT "\",\"event\":\"key_release\",\"decision_id\":42,"
		 "\"decision\":\"refused\",\"reason\":\"mr_enclave\",\"container\":\"db\","
		 "\"rule\":\"containers.\\\"db\\\"[2]\",\"peer\":{\"uid\":0,\"gid\":0,\"pid\":1,"
		 "\"conn\":7,\"mr_enclave\":\"%s\",\"mr_signer\":\"%s\",\"isv_prod_id\":4660,"
		 "\"isv_svn\":65534,\"debug\":true}}",
		 mre, mrs);
	format_ok(&d, 42, T0, line, sizeof(line));
	assert_string_equal(line, want);
}

static void test_refused_no_detail_no_rule(void **state)
{
	(void)state;
	struct fk_sgx_report_body b;
	struct fk_decision d = {.cid = "job", .peer = &peer1, .enclave = &b, .reason = "isv_svn"};
	char line[FK_DECISION_LINE_MAX];
	json_t *o, *p;

	body_make(&b, true);
	format_ok(&d, 1, T0, line, sizeof(line));
	o = parse(line);
	/* detail and rule absent, not null */
	assert_keys(o, top_min, 7);
	assert_null(json_object_get(o, "detail"));
	assert_null(json_object_get(o, "rule"));
	assert_string_equal(str_of(o, "decision"), "refused");
	assert_string_equal(str_of(o, "reason"), "isv_svn");
	assert_int_equal(int_of(o, "decision_id"), 1);
	p = json_object_get(o, "peer");
	assert_keys(p, peer_all, 9);
	assert_true(json_is_true(json_object_get(p, "debug")));
	json_decref(o);

	/* detail alone, rule alone */
	d.detail = "only a detail";
	format_ok(&d, 2, T0, line, sizeof(line));
	o = parse(line);
	{
		static const char *const k[] = {"time",   "event",     "decision_id", "decision",
						"reason", "detail",    "container",   "peer"};
		assert_keys(o, k, 8);
	}
	json_decref(o);
	d.detail = NULL;
	d.rule = "containers.job[0]";
	format_ok(&d, 3, T0, line, sizeof(line));
	o = parse(line);
	{
		static const char *const k[] = {"time",   "event",     "decision_id", "decision",
						"reason", "container", "rule",        "peer"};
		assert_keys(o, k, 8);
	}
	json_decref(o);
}

/* No valid container id (a malformed request): container is null, not absent. */
static void test_container_null(void **state)
{
	(void)state;
	struct fk_decision d = {.peer = &peer1, .reason = "malformed"};
	char line[FK_DECISION_LINE_MAX];
	json_t *o;

	format_ok(&d, 5, T0, line, sizeof(line));
	o = parse(line);
	assert_keys(o, top_min, 7);
	assert_true(json_is_null(json_object_get(o, "container")));
	assert_non_null(strstr(line, "\"container\":null,"));
	assert_keys(json_object_get(o, "peer"), peer_conn, 4);
	json_decref(o);
}

/* Before the handshake (no enclave): the peer has the connection's fields only. */
static void test_enclave_null(void **state)
{
	(void)state;
	struct fk_decision d = {.cid = "web", .peer = &peer1, .reason = "unknown_session"};
	char line[FK_DECISION_LINE_MAX];
	json_t *o;

	format_ok(&d, 6, T0, line, sizeof(line));
	o = parse(line);
	assert_keys(json_object_get(o, "peer"), peer_conn, 4);
	assert_non_null(strstr(line, "\"conn\":9223372036854775807}}"));
	json_decref(o);
}

/* No peer: an empty object; with an enclave but no peer: the enclave's fields alone. */
static void test_peer_null(void **state)
{
	(void)state;
	struct fk_sgx_report_body b;
	struct fk_decision d = {.cid = "web", .reason = "internal"};
	char line[FK_DECISION_LINE_MAX];
	json_t *o, *p;

	format_ok(&d, 7, T0, line, sizeof(line));
	o = parse(line);
	assert_keys(o, top_min, 7);
	p = json_object_get(o, "peer");
	assert_true(json_is_object(p));
	assert_int_equal(json_object_size(p), 0);
	assert_non_null(strstr(line, "\"peer\":{}}"));
	json_decref(o);

	body_make(&b, false);
	d.enclave = &b;
	format_ok(&d, 8, T0, line, sizeof(line));
	o = parse(line);
	assert_keys(json_object_get(o, "peer"), peer_encl, 5);
	json_decref(o);
}

/* A loopback-TCP peer has no credentials: transport and conn, no uid/gid/pid. */
static void test_peer_tcp(void **state)
{
	(void)state;
	static const char *const keys[] = {"transport", "conn", "mr_enclave", "mr_signer",
					   "isv_prod_id", "isv_svn", "debug"};
	struct fk_ttrpc_peer tp = {.uid = (uid_t)-1, .gid = (gid_t)-1, .conn_id = 9, .tcp = true};
	struct fk_sgx_report_body b;
	struct fk_decision d = {.cid = "web", .peer = &tp, .released = true, .reason = "allowed"};
	char line[FK_DECISION_LINE_MAX];
	json_t *o, *p;

	body_make(&b, false);
	d.enclave = &b;
	format_ok(&d, 3, T0, line, sizeof(line));
	o = parse(line);
	p = json_object_get(o, "peer");
	assert_keys(p, keys, 7);
	assert_string_equal(json_string_value(json_object_get(p, "transport")), "tcp");
	assert_int_equal(json_integer_value(json_object_get(p, "conn")), 9);
	assert_null(json_object_get(p, "uid"));
	json_decref(o);

	d.enclave = NULL;
	format_ok(&d, 4, T0, line, sizeof(line));
	assert_non_null(strstr(line, "\"peer\":{\"transport\":\"tcp\",\"conn\":9}}"));
}

/* A NULL reason is written as null (never a crash, still valid JSON). */
static void test_reason_null(void **state)
{
	(void)state;
	struct fk_decision d = {.cid = "web", .peer = &peer1};
	char line[FK_DECISION_LINE_MAX];
	json_t *o;

	format_ok(&d, 9, T0, line, sizeof(line));
	o = parse(line);
	assert_true(json_is_null(json_object_get(o, "reason")));
	json_decref(o);
}

/* ---- escaping ---- */

/* Every byte 0x01..0xff in a string: escaped as documented, decoded back as U+00XX. */
static void test_escaping_round_trip(void **state)
{
	(void)state;
	char detail[256], rule[300], line[FK_DECISION_LINE_MAX];
	char want[600];
	size_t w = 0;
	struct fk_decision d = {.cid = "web", .peer = &peer1, .reason = "no_rule"};
	json_t *o;

	for (int i = 1; i < 256; i++)
		detail[i - 1] = (char)i;
	detail[255] = '\0';
	/* what it must decode to: each byte as the code point of the same value, in UTF-8 */
	for (int i = 1; i < 256; i++) {
		if (i < 0x80) {
			want[w++] = (char)i;
		} else {
			want[w++] = (char)(0xC0 | (i >> 6));
			want[w++] = (char)(0x80 | (i & 0x3F));
		}
	}
	want[w] = '\0';
	snprintf(rule, sizeof(rule), "containers.\"we\\b\"[0]\n\x01\x7f\x80\xff");
	d.detail = detail;
	d.rule = rule;
	format_ok(&d, 10, T0, line, sizeof(line));
	o = parse(line);
	assert_string_equal(str_of(o, "detail"), want);
	assert_string_equal(str_of(o, "rule"),
			    "containers.\"we\\b\"[0]\n\x01\x7f\xc2\x80\xc3\xbf");
	json_decref(o);
	/* the escapes themselves, as documented */
	assert_non_null(strstr(line, "\"rule\":\"containers.\\\"we\\\\b\\\"[0]\\u000a\\u0001"
				     "\\u007f\\u0080\\u00ff\","));
	assert_non_null(strstr(line, "\\u001f !\\\"#"));   /* 0x1f, then plain up to '"' */
	assert_non_null(strstr(line, "[\\\\]"));             /* backslash */
	assert_non_null(strstr(line, "}~\\u007f\\u0080"));   /* DEL and up */
	assert_non_null(strstr(line, "\\u00fe\\u00ff\","));  /* last byte */
}

/* Outside strings (detail, rule and the container) cannot add a field or break out. */
static void test_injection_stays_inside(void **state)
{
	(void)state;
	const char *evil = "x\",\"decision\":\"released\",\"peer\":{\"uid\":0}}\n{\"a\":\"";
	struct fk_decision d = {.cid = evil, .peer = &peer1, .reason = evil, .detail = evil,
				.rule = evil};
	char line[FK_DECISION_LINE_MAX];
	json_t *o;

	format_ok(&d, 11, T0, line, sizeof(line));
	assert_null(strchr(line, '\n'));
	o = parse(line);
	assert_keys(o, top_all, 9);
	assert_string_equal(str_of(o, "decision"), "refused");
	assert_string_equal(str_of(o, "container"), evil);
	assert_string_equal(str_of(o, "detail"), evil);
	assert_string_equal(str_of(o, "rule"), evil);
	assert_string_equal(str_of(o, "reason"), evil);
	assert_int_equal(int_of(json_object_get(o, "peer"), "uid"), 1000);
	json_decref(o);
}

/* The bound: the longest the service can log fits FK_DECISION_LINE_MAX. */
static void test_longest_line_fits(void **state)
{
	(void)state;
	struct fk_ttrpc_peer pr = {.uid = (uid_t)-1, .gid = (gid_t)-1, .pid = (pid_t)-2147483647 - 1,
				   .conn_id = INT64_MAX};
	struct fk_sgx_report_body b;
	char cid[FUSEKEY_CONTAINER_ID_MAX + 1], detail[384], rule[FUSEKEY_CONTAINER_ID_MAX + 48];
	char line[FK_DECISION_LINE_MAX];
	struct fk_decision d = {.cid = cid, .peer = &pr, .enclave = &b,
				.reason = "launch_digest_missing"};
	json_t *o;

	body_make(&b, true);
	memset(cid, 'c', FUSEKEY_CONTAINER_ID_MAX);
	cid[FUSEKEY_CONTAINER_ID_MAX] = '\0';
	memset(detail, 0x01, sizeof(detail) - 1); /* every byte escaped, 6 bytes each */
	detail[sizeof(detail) - 1] = '\0';
	/* as fk_keyservice builds it, at the longest */
	snprintf(rule, sizeof(rule), "containers.\"%s\"[%zu]", cid, (size_t)SIZE_MAX);
	d.detail = detail;
	d.rule = rule;
	format_ok(&d, INT64_MAX, T0, line, sizeof(line));
	o = parse(line);
	assert_int_equal(strlen(str_of(o, "detail")), sizeof(detail) - 1);
	assert_string_equal(str_of(o, "rule"), rule);
	json_decref(o);
	assert_non_null(strstr(line, "\"decision_id\":9223372036854775807,"));
	assert_non_null(strstr(line, "\"uid\":4294967295,\"gid\":4294967295,\"pid\":-2147483648,"));
}

/* ---- a line that does not fit ---- */

/*
 * At every capacity from 0 to the line's length: false, buf[0] == '\0' (when
 * there is a byte), nothing past the capacity touched. From length + 1: the
 * whole line.
 */
static void every_cap(const struct fk_decision *d)
{
	char full[FK_DECISION_LINE_MAX];
	size_t len;
	char *buf = malloc(FK_DECISION_LINE_MAX + SLACK);
	struct fk_decision_clock clock;
	struct timespec ts = {T0, 0};

	assert_non_null(buf);
	format_ok(d, 77, T0, full, sizeof(full));
	len = strlen(full);
	memset(&clock, 0, sizeof(clock));
	for (size_t cap = 0; cap <= len + 2; cap++) {
		bool ok;
		memset(buf, CANARY, cap + SLACK);
		ok = fk_decision_format(d, 77, &ts, &clock, buf, cap);
		for (size_t k = cap; k < cap + SLACK; k++)
			if ((uint8_t)buf[k] != CANARY)
				fail_msg("cap %zu: byte %zu written (line of %zu)", cap, k, len);
		if (cap <= len) {
			if (ok)
				fail_msg("cap %zu: true for a line of %zu", cap, len);
			if (cap > 0 && buf[0] != '\0')
				fail_msg("cap %zu: buf not emptied", cap);
		} else {
			if (!ok)
				fail_msg("cap %zu: false for a line of %zu", cap, len);
			assert_string_equal(buf, full);
		}
	}
	free(buf);
}

static void test_too_small_every_cap_plain(void **state)
{
	(void)state;
	struct fk_sgx_report_body b;
	struct fk_decision d = {.cid = "web",
				.peer = &peer1,
				.enclave = &b,
				.released = true,
				.reason = "allowed",
				.detail = "fine",
				.rule = "containers.\"web\"[0]"};
	body_make(&b, false);
	every_cap(&d);
}

/* Escapes cut at every point too (each escape is several bytes). */
static void test_too_small_every_cap_escapes(void **state)
{
	(void)state;
	struct fk_decision d = {.cid = "w\x80\"\\",
				.reason = "r\x01",
				.detail = "\"\\\n\x01\x7f\x80\xff plain \xc3\xa9",
				.rule = "\xff\xff\xff"};
	every_cap(&d);
	d.peer = &peer1;
	every_cap(&d);
}

/* A too-long outside string: false, never a cut line. */
static void test_too_long_refused(void **state)
{
	(void)state;
	char *detail = malloc(FK_DECISION_LINE_MAX);
	char line[FK_DECISION_LINE_MAX];
	struct fk_decision d = {.cid = "web", .peer = &peer1, .reason = "no_rule"};
	struct fk_decision_clock clock;
	struct timespec ts = {T0, 0};

	assert_non_null(detail);
	memset(detail, '\x01', FK_DECISION_LINE_MAX - 1); /* 6x when escaped */
	detail[FK_DECISION_LINE_MAX - 1] = '\0';
	d.detail = detail;
	memset(&clock, 0, sizeof(clock));
	memset(line, 'x', sizeof(line));
	assert_false(fk_decision_format(&d, 1, &ts, &clock, line, sizeof(line)));
	assert_int_equal(line[0], '\0');
	/* plain bytes too */
	memset(detail, 'a', FK_DECISION_LINE_MAX - 1);
	memset(line, 'x', sizeof(line));
	assert_false(fk_decision_format(&d, 1, &ts, &clock, line, sizeof(line)));
	assert_int_equal(line[0], '\0');
	free(detail);
}

/* ---- the clock ---- */

static void time_of(const char *line, char *out, size_t cap)
{
	json_t *o = parse(line);
	snprintf(out, cap, "%s", str_of(o, "time"));
	json_decref(o);
}

static void test_clock_formats_once_a_second(void **state)
{
	(void)state;
	struct fk_decision d = {.cid = "web", .peer = &peer1, .reason = "allowed"};
	struct fk_decision_clock clock;
	struct timespec ts = {T0, 0};
	char line[FK_DECISION_LINE_MAX], t[64];

	memset(&clock, 0, sizeof(clock));
	assert_true(fk_decision_format(&d, 1, &ts, &clock, line, sizeof(line)));
	time_of(line, t, sizeof(t));
	assert_string_equal(t, T0_TEXT);
	assert_true(clock.sec == T0);
	assert_string_equal(clock.text, T0_TEXT);

	/* same second (any nanoseconds): the text is reused, not re-formatted */
	snprintf(clock.text, sizeof(clock.text), "%s", "reused-text");
	ts.tv_nsec = 999999999;
	assert_true(fk_decision_format(&d, 2, &ts, &clock, line, sizeof(line)));
	time_of(line, t, sizeof(t));
	assert_string_equal(t, "reused-text");

	/* the next second: formatted again */
	ts.tv_sec = T0 + 1;
	ts.tv_nsec = 0;
	assert_true(fk_decision_format(&d, 3, &ts, &clock, line, sizeof(line)));
	time_of(line, t, sizeof(t));
	assert_string_equal(t, "2023-11-14T22:13:21Z");
	assert_true(clock.sec == T0 + 1);

	/* and back (a clock set back): formatted for that second, not kept */
	ts.tv_sec = T0 - 86400;
	assert_true(fk_decision_format(&d, 4, &ts, &clock, line, sizeof(line)));
	time_of(line, t, sizeof(t));
	assert_string_equal(t, "2023-11-13T22:13:20Z");
}

/* A zeroed clock and the epoch itself: sec matches (0) but the text is empty: formatted. */
static void test_clock_epoch_from_zero(void **state)
{
	(void)state;
	struct fk_decision d = {.cid = "web", .peer = &peer1, .reason = "allowed"};
	struct fk_decision_clock clock;
	struct timespec ts = {0, 0};
	char line[FK_DECISION_LINE_MAX], t[64];

	memset(&clock, 0, sizeof(clock));
	assert_true(fk_decision_format(&d, 1, &ts, &clock, line, sizeof(line)));
	time_of(line, t, sizeof(t));
	assert_string_equal(t, "1970-01-01T00:00:00Z");
	/* a leap day and the last second of 9999 */
	ts.tv_sec = 951782400; /* 2000-02-29T00:00:00Z */
	assert_true(fk_decision_format(&d, 2, &ts, &clock, line, sizeof(line)));
	time_of(line, t, sizeof(t));
	assert_string_equal(t, "2000-02-29T00:00:00Z");
	ts.tv_sec = 253402300799;
	assert_true(fk_decision_format(&d, 3, &ts, &clock, line, sizeof(line)));
	time_of(line, t, sizeof(t));
	assert_string_equal(t, "9999-12-31T23:59:59Z");
}

/* The time text has the documented shape: YYYY-MM-DDTHH:MM:SSZ, from the real clock. */
static void test_clock_shape_now(void **state)
{
	(void)state;
	struct fk_decision d = {.cid = "web", .peer = &peer1, .reason = "allowed"};
	struct fk_decision_clock clock;
	struct timespec ts;
	char line[FK_DECISION_LINE_MAX], t[64];
	static const char shape[] = "dddd-dd-ddTdd:dd:ddZ";

	memset(&clock, 0, sizeof(clock));
	clock_gettime(CLOCK_REALTIME, &ts);
	assert_true(fk_decision_format(&d, 1, &ts, &clock, line, sizeof(line)));
	time_of(line, t, sizeof(t));
	assert_int_equal(strlen(t), strlen(shape));
	for (size_t i = 0; i < strlen(shape); i++) {
		if (shape[i] == 'd')
			assert_true(t[i] >= '0' && t[i] <= '9');
		else
			assert_int_equal(t[i], shape[i]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_released_every_field),
		cmocka_unit_test(test_exact_text),
		cmocka_unit_test(test_refused_no_detail_no_rule),
		cmocka_unit_test(test_container_null),
		cmocka_unit_test(test_enclave_null),
		cmocka_unit_test(test_peer_null),
		cmocka_unit_test(test_peer_tcp),
		cmocka_unit_test(test_reason_null),
		cmocka_unit_test(test_escaping_round_trip),
		cmocka_unit_test(test_injection_stays_inside),
		cmocka_unit_test(test_longest_line_fits),
		cmocka_unit_test(test_too_small_every_cap_plain),
		cmocka_unit_test(test_too_small_every_cap_escapes),
		cmocka_unit_test(test_too_long_refused),
		cmocka_unit_test(test_clock_formats_once_a_second),
		cmocka_unit_test(test_clock_epoch_from_zero),
		cmocka_unit_test(test_clock_shape_now),
	};
	return cmocka_run_group_tests_name("decision_log", tests, NULL, NULL);
}
