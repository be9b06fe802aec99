/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for src/ttrpc/fk_ttrpc_msg.{h,c}: the Request / Response codec
 * (byte layouts from shared/docs/reference/ttrpc.md §3), UTF-8 validation
 * and sanitising, and the decoders' refusals (truncated, garbage, invalid
 * UTF-8, embedded NUL, oversize, field floods); the server's spin bound.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "test_util.h"
#include "ttrpc/fk_ttrpc.h"

/* ---- helpers ---- */

static bool valid(const char *s, size_t n)
{
	return fk_ttrpc_utf8_valid(s, n);
}

static void expect_bytes(const uint8_t *got, size_t got_len, const uint8_t *want, size_t want_len)
{
	assert_int_equal(got_len, want_len);
	if (want_len != 0)
		assert_memory_equal(got, want, want_len);
}

static fusekey_status decode_req(const uint8_t *b, size_t n)
{
	struct fk_ttrpc_request_msg m;
	fusekey_status st = fk_ttrpc_request_decode(b, n, &m);
	fk_ttrpc_request_msg_free(&m);
	return st;
}

static fusekey_status decode_resp(const uint8_t *b, size_t n)
{
	struct fk_ttrpc_result r;
	fusekey_status st = fk_ttrpc_response_decode(b, n, &r);
	fk_ttrpc_result_free(&r);
	return st;
}

/* ---- UTF-8 ---- */

static void test_utf8_valid_sequences(void **state)
{
	(void)state;
	assert_true(valid("", 0));
	assert_true(valid(NULL, 0));
	assert_false(valid(NULL, 1));
	assert_true(valid("plain ascii", 11));
	assert_true(valid("a\0b", 3)); /* U+0000 is valid UTF-8 (the decoders refuse it separately) */
	assert_true(valid("\x7f", 1));
	assert_true(valid("\xc2\x80", 2));         /* U+0080, smallest 2-byte */
	assert_true(valid("\xc3\xa9", 2));         /* é */
	assert_true(valid("\xdf\xbf", 2));         /* U+07FF */
	assert_true(valid("\xe0\xa0\x80", 3));     /* U+0800, smallest 3-byte */
	assert_true(valid("\xe2\x82\xac", 3));     /* € */
	assert_true(valid("\xed\x9f\xbf", 3));     /* U+D7FF, just below the surrogates */
	assert_true(valid("\xee\x80\x80", 3));     /* U+E000, just above */
	assert_true(valid("\xef\xbf\xbf", 3));     /* U+FFFF */
	assert_true(valid("\xf0\x90\x80\x80", 4)); /* U+10000, smallest 4-byte */
	assert_true(valid("\xf0\x9f\x98\x80", 4)); /* 😀 */
	assert_true(valid("\xf4\x8f\xbf\xbf", 4)); /* U+10FFFF, the last code point */
	assert_true(valid("x\xc3\xa9y\xe2\x82\xacz", 8));
}

static void test_utf8_invalid_sequences(void **state)
{
	static const struct {
		const char *s;
		size_t n;
	} bad[] = {
		{"\x80", 1},                 /* lone continuation */
		{"\xbf", 1},
		{"a\x80z", 3},
		{"\xc0\x80", 2},             /* overlong NUL */
		{"\xc1\xbf", 2},             /* overlong U+007F */
		{"\xe0\x80\x80", 3},         /* overlong 3-byte */
		{"\xe0\x9f\xbf", 3},         /* overlong U+07FF */
		{"\xf0\x80\x80\x80", 4},     /* overlong 4-byte */
		{"\xf0\x8f\xbf\xbf", 4},     /* overlong U+FFFF */
		{"\xed\xa0\x80", 3},         /* U+D800, high surrogate */
		{"\xed\xbf\xbf", 3},         /* U+DFFF, low surrogate */
		{"\xed\xa0\xbd\xed\xb8\x80", 6}, /* CESU-8 surrogate pair */
		{"\xf4\x90\x80\x80", 4},     /* U+110000 */
		{"\xf5\x80\x80\x80", 4},     /* lead byte beyond F4 */
		{"\xf8\x88\x80\x80\x80", 5}, /* old 5-byte form */
		{"\xfe", 1},
		{"\xff", 1},
		{"\xc3", 1},                 /* truncated 2-byte */
		{"\xe2\x82", 2},             /* truncated 3-byte */
		{"\xf0\x9f\x98", 3},         /* truncated 4-byte */
		{"\xc3\x28", 2},             /* bad continuation */
		{"\xe2\x28\xa1", 3},
		{"\xe2\x82\x28", 3},
		{"\xf0\x9f\x28\x80", 4},
		{"\xf0\x9f\x98\x28", 4},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (valid(bad[i].s, bad[i].n))
			fail_msg("accepted invalid sequence #%zu", i);
	}
	/* Valid prefix, invalid end: the length given is what counts. */
	assert_true(valid("\xe2\x82\xac\xe2", 3));
	assert_false(valid("\xe2\x82\xac\xe2", 4));
}

static void test_utf8_sanitize(void **state)
{
	char out[64];
	(void)state;

	fk_ttrpc_utf8_sanitize(out, sizeof(out), "no change \xc3\xa9");
	assert_string_equal(out, "no change \xc3\xa9");
	fk_ttrpc_utf8_sanitize(out, sizeof(out), "a\xff" "b");
	assert_string_equal(out, "a?b");
	fk_ttrpc_utf8_sanitize(out, sizeof(out), "open /tmp/\xe9t\xe9: No such file");
	assert_string_equal(out, "open /tmp/?t?: No such file");
	fk_ttrpc_utf8_sanitize(out, sizeof(out), "\xe2\x82"); /* truncated: each byte replaced */
	assert_string_equal(out, "??");
	fk_ttrpc_utf8_sanitize(out, sizeof(out), "\xed\xa0\x80"); /* surrogate */
	assert_string_equal(out, "???");
	fk_ttrpc_utf8_sanitize(out, sizeof(out), "\xc0\x80x"); /* overlong */
	assert_string_equal(out, "??x");
	fk_ttrpc_utf8_sanitize(out, sizeof(out), NULL);
	assert_string_equal(out, "");

	/* Cut on a character boundary: "é€" needs 5 bytes; 4 bytes of room hold "é" only. */
	fk_ttrpc_utf8_sanitize(out, 5, "\xc3\xa9\xe2\x82\xac");
	assert_string_equal(out, "\xc3\xa9");
	fk_ttrpc_utf8_sanitize(out, 6, "\xc3\xa9\xe2\x82\xac");
	assert_string_equal(out, "\xc3\xa9\xe2\x82\xac");
	fk_ttrpc_utf8_sanitize(out, 2, "\xc3\xa9");
	assert_string_equal(out, "");
	fk_ttrpc_utf8_sanitize(out, 1, "abc");
	assert_string_equal(out, "");
	fk_ttrpc_utf8_sanitize(out, 3, "abc");
	assert_string_equal(out, "ab");
	/* cap 0 writes nothing */
	out[0] = 'Z';
	fk_ttrpc_utf8_sanitize(out, 0, "abc");
	assert_int_equal(out[0], 'Z');
}

/* Whatever goes in, what comes out is valid UTF-8 and fits. */
static void test_utf8_sanitize_random(void **state)
{
	char in[48], out[32];
	uint32_t x = 12345;
	(void)state;
	for (int round = 0; round < 20000; round++) {
		size_t n = (size_t)(round % 47);
		for (size_t i = 0; i < n; i++) {
			x = x * 1103515245u + 12345u;
			in[i] = (char)((x >> 16) | 1u); /* never NUL */
		}
		in[n] = '\0';
		fk_ttrpc_utf8_sanitize(out, 1 + (size_t)round % sizeof(out), in);
		assert_true(strlen(out) < 1 + (size_t)round % sizeof(out));
		assert_true(valid(out, strlen(out)));
		if (valid(in, n) && n < 1 + (size_t)round % sizeof(out))
			assert_string_equal(out, in);
	}
}

/* ---- Request ---- */

static void test_request_round_trip(void **state)
{
	static const uint8_t payload[] = {0x0a, 0x03, 'a', 'b', 'c', 0x00, 0xff};
	const struct fk_ttrpc_kv md[] = {
		{"containerd-namespace-ttrpc", "k8s.io"},
		{"x-trace", "1"},
		{"x-trace", "2"},
		{"caf\xc3\xa9", "\xf0\x9f\x98\x80"},
	};
	struct fk_ttrpc_request_msg m;
	uint8_t *body;
	size_t len;
	(void)state;

	EXPECT_OK(fk_ttrpc_request_encode("fusekey.v1.KeyService", "Exchange", payload,
					  sizeof(payload), 5000000000, md, 4, &body, &len));
	assert_non_null(body);
	EXPECT_OK(fk_ttrpc_request_decode(body, len, &m));
	assert_string_equal(m.service, "fusekey.v1.KeyService");
	assert_string_equal(m.method, "Exchange");
	expect_bytes(m.payload, m.payload_len, payload, sizeof(payload));
	assert_int_equal(m.timeout_nano, 5000000000);
	assert_int_equal(m.n_metadata, 4);
	for (size_t i = 0; i < 4; i++) { /* order kept, repeated keys kept */
		assert_string_equal(m.metadata[i].key, md[i].key);
		assert_string_equal(m.metadata[i].value, md[i].value);
	}
	fk_ttrpc_request_msg_free(&m);
	assert_null(m.service);
	assert_null(m.payload);
	free(body);
}

static void test_request_bytes(void **state)
{
	/* service "s", method "m", payload {1,2}, timeout 1, one pair {k: v} */
	static const uint8_t want[] = {0x0a, 0x01, 's',  0x12, 0x01, 'm',  0x1a, 0x02, 0x01,
				       0x02, 0x20, 0x01, 0x2a, 0x06, 0x0a, 0x01, 'k',  0x12,
				       0x01, 'v'};
	static const uint8_t pl[] = {1, 2};
	const struct fk_ttrpc_kv md[] = {{"k", "v"}};
	uint8_t *body;
	size_t len;
	(void)state;

	EXPECT_OK(fk_ttrpc_request_encode("s", "m", pl, 2, 1, md, 1, &body, &len));
	expect_bytes(body, len, want, sizeof(want));
	free(body);
	EXPECT_OK(decode_req(want, sizeof(want)));
}

static void test_request_empty_and_negative_timeout(void **state)
{
	/* Empty strings and payload are omitted (proto3); -1 is a 10-byte varint. */
	static const uint8_t minus_one[] = {0x20, 0xff, 0xff, 0xff, 0xff, 0xff,
					    0xff, 0xff, 0xff, 0xff, 0x01};
	static const uint8_t int64_min[] = {0x20, 0x80, 0x80, 0x80, 0x80, 0x80,
					    0x80, 0x80, 0x80, 0x80, 0x01};
	struct fk_ttrpc_request_msg m;
	uint8_t *body;
	size_t len;
	(void)state;

	EXPECT_OK(fk_ttrpc_request_encode("", "", NULL, 0, 0, NULL, 0, &body, &len));
	assert_null(body);
	assert_int_equal(len, 0);
	EXPECT_OK(fk_ttrpc_request_decode(NULL, 0, &m)); /* the empty Request */
	assert_string_equal(m.service, "");
	assert_string_equal(m.method, "");
	assert_null(m.payload);
	assert_int_equal(m.payload_len, 0);
	assert_int_equal(m.timeout_nano, 0);
	assert_int_equal(m.n_metadata, 0);
	fk_ttrpc_request_msg_free(&m);

	EXPECT_OK(fk_ttrpc_request_encode("", "", NULL, 0, -1, NULL, 0, &body, &len));
	expect_bytes(body, len, minus_one, sizeof(minus_one));
	free(body);
	EXPECT_OK(fk_ttrpc_request_decode(minus_one, sizeof(minus_one), &m));
	assert_int_equal(m.timeout_nano, -1);
	fk_ttrpc_request_msg_free(&m);

	EXPECT_OK(fk_ttrpc_request_encode("", "", NULL, 0, INT64_MIN, NULL, 0, &body, &len));
	expect_bytes(body, len, int64_min, sizeof(int64_min));
	free(body);
	EXPECT_OK(fk_ttrpc_request_decode(int64_min, sizeof(int64_min), &m));
	assert_true(m.timeout_nano == INT64_MIN);
	fk_ttrpc_request_msg_free(&m);
}

static void test_request_encode_refusals(void **state)
{
	const struct fk_ttrpc_kv bad_key[] = {{"\xff", "v"}};
	const struct fk_ttrpc_kv bad_val[] = {{"k", "\xed\xa0\x80"}};
	const struct fk_ttrpc_kv null_val[] = {{"k", NULL}};
	uint8_t *body = (uint8_t *)1;
	size_t len = 7;
	uint8_t *big;
	struct fk_ttrpc_kv *many;
	(void)state;

	EXPECT_STATUS(fk_ttrpc_request_encode("s\xff", "m", NULL, 0, 0, NULL, 0, &body, &len),
		      FUSEKEY_ERR_INVALID_PARAMETER);
	assert_null(body);
	assert_int_equal(len, 0);
	EXPECT_STATUS(fk_ttrpc_request_encode("s", "\xc0\x80", NULL, 0, 0, NULL, 0, &body, &len),
		      FUSEKEY_ERR_INVALID_PARAMETER);
	EXPECT_STATUS(fk_ttrpc_request_encode("s", "m", NULL, 0, 0, bad_key, 1, &body, &len),
		      FUSEKEY_ERR_INVALID_PARAMETER);
	EXPECT_STATUS(fk_ttrpc_request_encode("s", "m", NULL, 0, 0, bad_val, 1, &body, &len),
		      FUSEKEY_ERR_INVALID_PARAMETER);
	EXPECT_STATUS(fk_ttrpc_request_encode("s", "m", NULL, 0, 0, null_val, 1, &body, &len),
		      FUSEKEY_ERR_INVALID_PARAMETER);
	EXPECT_STATUS(fk_ttrpc_request_encode(NULL, "m", NULL, 0, 0, NULL, 0, &body, &len),
		      FUSEKEY_ERR_INVALID_PARAMETER);
	EXPECT_STATUS(fk_ttrpc_request_encode("s", "m", NULL, 3, 0, NULL, 0, &body, &len),
		      FUSEKEY_ERR_INVALID_PARAMETER);
	EXPECT_STATUS(fk_ttrpc_request_encode("s", "m", NULL, 0, 0, NULL, 1, &body, &len),
		      FUSEKEY_ERR_INVALID_PARAMETER);

	/* Size: the body, not only the payload, must fit in 4 MiB. */
	big = calloc(1, FK_TTRPC_MAX_DATA + 1);
	assert_non_null(big);
	EXPECT_STATUS(fk_ttrpc_request_encode("s", "m", big, FK_TTRPC_MAX_DATA + 1, 0, NULL, 0,
					      &body, &len),
		      FUSEKEY_ERR_INVALID_PARAMETER);
	EXPECT_STATUS(fk_ttrpc_request_encode("s", "m", big, FK_TTRPC_MAX_DATA, 0, NULL, 0, &body,
					      &len),
		      FUSEKEY_ERR_INVALID_PARAMETER);
	/* 1 (tag) + 4 (length varint) + payload == 4 MiB exactly: legal. */
	EXPECT_OK(fk_ttrpc_request_encode("", "", big, FK_TTRPC_MAX_DATA - 5, 0, NULL, 0, &body,
					  &len));
	assert_int_equal(len, FK_TTRPC_MAX_DATA);
	free(body);
	free(big);

	many = calloc(FK_TTRPC_MAX_METADATA + 1, sizeof(*many));
	assert_non_null(many);
	for (size_t i = 0; i <= FK_TTRPC_MAX_METADATA; i++)
		many[i] = (struct fk_ttrpc_kv){"k", "v"};
	EXPECT_STATUS(fk_ttrpc_request_encode("s", "m", NULL, 0, 0, many,
					      FK_TTRPC_MAX_METADATA + 1, &body, &len),
		      FUSEKEY_ERR_INVALID_PARAMETER);
	EXPECT_OK(fk_ttrpc_request_encode("s", "m", NULL, 0, 0, many, FK_TTRPC_MAX_METADATA,
					  &body, &len));
	{
		struct fk_ttrpc_request_msg m;
		EXPECT_OK(fk_ttrpc_request_decode(body, len, &m));
		assert_int_equal(m.n_metadata, FK_TTRPC_MAX_METADATA);
		assert_string_equal(m.metadata[FK_TTRPC_MAX_METADATA - 1].value, "v");
		fk_ttrpc_request_msg_free(&m);
	}
	free(body);
	free(many);
}

static void test_request_decode_refusals(void **state)
{
	/* Invalid UTF-8 in each string field, nested too, and an embedded NUL. */
	static const uint8_t bad_service[] = {0x0a, 0x01, 0xff};
	static const uint8_t bad_method[] = {0x0a, 0x01, 's', 0x12, 0x02, 0xc0, 0x80};
	static const uint8_t bad_md_key[] = {0x2a, 0x03, 0x0a, 0x01, 0x80};
	static const uint8_t bad_md_val[] = {0x2a, 0x05, 0x12, 0x03, 0xed, 0xa0, 0x80};
	static const uint8_t nul_service[] = {0x0a, 0x03, 'a', 0x00, 'b'};
	static const uint8_t nul_md[] = {0x2a, 0x04, 0x0a, 0x02, 'k', 0x00};
	/* Structure */
	static const uint8_t truncated_len[] = {0x0a, 0x05, 'a', 'b'};
	static const uint8_t truncated_varint[] = {0x20, 0xff, 0xff};
	static const uint8_t tag_only[] = {0x0a};
	static const uint8_t wrong_wire_type[] = {0x08, 0x01}; /* field 1 as varint */
	static const uint8_t group[] = {0x0b, 0x0c};
	static const uint8_t field_zero[] = {0x02, 0x00};
	static const uint8_t garbage[] = {0xff, 0xff, 0xff, 0xff};
	static const uint8_t long_varint[] = {0x20, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
					      0xff, 0xff, 0xff, 0xff, 0x01};
	static const uint8_t md_truncated[] = {0x2a, 0x04, 0x0a, 0x05, 'k', 'k'};
	/* Accepted: an unknown field is skipped, as by every protobuf decoder. */
	static const uint8_t unknown_field[] = {0x0a, 0x01, 's', 0x30, 0x07};
	uint8_t *big;
	(void)state;

	EXPECT_STATUS(decode_req(bad_service, sizeof(bad_service)), FUSEKEY_ERR_FORMAT);
	EXPECT_STATUS(decode_req(bad_method, sizeof(bad_method)), FUSEKEY_ERR_FORMAT);
	EXPECT_STATUS(decode_req(bad_md_key, sizeof(bad_md_key)), FUSEKEY_ERR_FORMAT);
	EXPECT_STATUS(decode_req(bad_md_val, sizeof(bad_md_val)), FUSEKEY_ERR_FORMAT);
	EXPECT_STATUS(decode_req(nul_service, sizeof(nul_service)), FUSEKEY_ERR_FORMAT);
	EXPECT_STATUS(decode_req(nul_md, sizeof(nul_md)), FUSEKEY_ERR_FORMAT);
	EXPECT_STATUS(decode_req(truncated_len, sizeof(truncated_len)), FUSEKEY_ERR_FORMAT);
	EXPECT_STATUS(decode_req(truncated_varint, sizeof(truncated_varint)), FUSEKEY_ERR_FORMAT);
	EXPECT_STATUS(decode_req(tag_only, sizeof(tag_only)), FUSEKEY_ERR_FORMAT);
	EXPECT_STATUS(decode_req(wrong_wire_type, sizeof(wrong_wire_type)), FUSEKEY_ERR_FORMAT);
	EXPECT_STATUS(decode_req(group, sizeof(group)), FUSEKEY_ERR_FORMAT);
	EXPECT_STATUS(decode_req(field_zero, sizeof(field_zero)), FUSEKEY_ERR_FORMAT);
	EXPECT_STATUS(decode_req(garbage, sizeof(garbage)), FUSEKEY_ERR_FORMAT);
	EXPECT_STATUS(decode_req(long_varint, sizeof(long_varint)), FUSEKEY_ERR_FORMAT);
	EXPECT_STATUS(decode_req(md_truncated, sizeof(md_truncated)), FUSEKEY_ERR_FORMAT);
	EXPECT_OK(decode_req(unknown_field, sizeof(unknown_field)));
	EXPECT_STATUS(decode_req(NULL, 3), FUSEKEY_ERR_INVALID_PARAMETER);
	EXPECT_STATUS(fk_ttrpc_request_decode(bad_service, 3, NULL), FUSEKEY_ERR_INVALID_PARAMETER);

	/* Over 4 MiB: refused before it is looked at. */
	big = calloc(1, FK_TTRPC_MAX_DATA + 1);
	assert_non_null(big);
	EXPECT_STATUS(decode_req(big, FK_TTRPC_MAX_DATA + 1), FUSEKEY_ERR_FORMAT);

	/* A flood of tiny unknown fields (each would cost protobuf-c ~100 bytes). */
	for (size_t i = 0; i + 1 < 40000; i += 2) {
		big[i] = 0x30;
		big[i + 1] = 0x00;
	}
	EXPECT_STATUS(decode_req(big, 40000), FUSEKEY_ERR_FORMAT);
	/* ... and of empty metadata pairs */
	for (size_t i = 0; i + 1 < 40000; i += 2) {
		big[i] = 0x2a;
		big[i + 1] = 0x00;
	}
	EXPECT_STATUS(decode_req(big, 40000), FUSEKEY_ERR_FORMAT);
	/* 1025 pairs are too many even when the field count allows them. */
	EXPECT_STATUS(decode_req(big, 2 * (FK_TTRPC_MAX_METADATA + 1)), FUSEKEY_ERR_FORMAT);
	EXPECT_OK(decode_req(big, 2 * FK_TTRPC_MAX_METADATA));
	free(big);
}

/* Every proper prefix of a valid body is either a valid message or refused; never a crash. */
static void test_request_every_prefix(void **state)
{
	const struct fk_ttrpc_kv md[] = {{"key", "value"}};
	static const uint8_t pl[] = {9, 8, 7, 6, 5};
	uint8_t *body;
	size_t len, ok = 0;
	(void)state;

	EXPECT_OK(fk_ttrpc_request_encode("svc", "meth", pl, sizeof(pl), -7, md, 1, &body, &len));
	for (size_t n = 0; n < len; n++) {
		fusekey_status st = decode_req(body, n);
		assert_true(st == FUSEKEY_OK || st == FUSEKEY_ERR_FORMAT);
		ok += st == FUSEKEY_OK;
	}
	/* Field boundaries only: "", after service, after method, after payload, after timeout. */
	assert_int_equal(ok, 5);
	free(body);
}

/* Random bytes: every decoder outcome is OK or FORMAT, and OK results are sane. */
static void test_decode_random(void **state)
{
	uint8_t buf[64];
	uint32_t x = 99;
	(void)state;
	for (int round = 0; round < 50000; round++) {
		size_t n = (size_t)round % sizeof(buf);
		struct fk_ttrpc_request_msg m;
		struct fk_ttrpc_result r;
		fusekey_status st;
		for (size_t i = 0; i < n; i++) {
			x = x * 1664525u + 1013904223u;
			buf[i] = (uint8_t)(x >> 24);
		}
		st = fk_ttrpc_request_decode(buf, n, &m);
		assert_true(st == FUSEKEY_OK || st == FUSEKEY_ERR_FORMAT);
		if (st == FUSEKEY_OK) {
			assert_true(valid(m.service, strlen(m.service)));
			assert_true(valid(m.method, strlen(m.method)));
		}
		fk_ttrpc_request_msg_free(&m);
		st = fk_ttrpc_response_decode(buf, n, &r);
		assert_true(st == FUSEKEY_OK || st == FUSEKEY_ERR_FORMAT);
		if (st == FUSEKEY_OK)
			assert_true(valid(r.message, strlen(r.message)));
		fk_ttrpc_result_free(&r);
	}
}

/* ---- Response ---- */

static void test_response_ok_omits_status(void **state)
{
	/* ttrpc.md §3: "Example OK body: 12 0b <11-byte payload>" */
	static const uint8_t pl[11] = "hello world";
	uint8_t want[13] = {0x12, 0x0b};
	struct fk_ttrpc_result r;
	uint8_t *body;
	size_t len;
	(void)state;

	memcpy(want + 2, pl, 11);
	EXPECT_OK(fk_ttrpc_response_encode(FK_TTRPC_OK, "ignored on OK", pl, 11, &body, &len));
	expect_bytes(body, len, want, sizeof(want));
	free(body);

	EXPECT_OK(fk_ttrpc_response_decode(want, sizeof(want), &r));
	assert_int_equal(r.code, FK_TTRPC_OK);
	assert_non_null(r.message);
	assert_string_equal(r.message, "");
	expect_bytes(r.payload, r.payload_len, pl, 11);
	fk_ttrpc_result_free(&r);
	assert_null(r.payload);
	assert_null(r.message);
}

static void test_response_empty_ok_is_zero_bytes(void **state)
{
	struct fk_ttrpc_result r;
	uint8_t *body = (uint8_t *)1;
	size_t len = 99;
	(void)state;

	EXPECT_OK(fk_ttrpc_response_encode(FK_TTRPC_OK, NULL, NULL, 0, &body, &len));
	assert_null(body);
	assert_int_equal(len, 0);
	/* A 0-length Response frame decodes as OK with nothing in it. */
	EXPECT_OK(fk_ttrpc_response_decode(NULL, 0, &r));
	assert_int_equal(r.code, FK_TTRPC_OK);
	assert_string_equal(r.message, "");
	assert_null(r.payload);
	assert_int_equal(r.payload_len, 0);
	fk_ttrpc_result_free(&r);
	/* A present status with code 0 is OK too (clients treat it so). */
	{
		static const uint8_t st0[] = {0x0a, 0x04, 0x12, 0x02, 'o', 'k'};
		EXPECT_OK(fk_ttrpc_response_decode(st0, sizeof(st0), &r));
		assert_int_equal(r.code, FK_TTRPC_OK);
		assert_string_equal(r.message, "ok");
		fk_ttrpc_result_free(&r);
	}
}

static void test_response_error_layout(void **state)
{
	/* ttrpc.md §3: "0a <len> 08 <code> 12 <len> <message>", payload empty. */
	static const uint8_t want[] = {0x0a, 0x0d, 0x08, 0x0c, 0x12, 0x09, 's', 'e',
				       'r',  'v',  'i',  'c',  'e',  ' ',  'x'};
	static const uint8_t empty_msg[] = {0x0a, 0x02, 0x08, 0x03};
	static const uint8_t pl[] = {1, 2, 3};
	struct fk_ttrpc_result r;
	uint8_t *body;
	size_t len;
	(void)state;

	EXPECT_OK(fk_ttrpc_response_encode(FK_TTRPC_UNIMPLEMENTED, "service x", NULL, 0, &body,
					   &len));
	expect_bytes(body, len, want, sizeof(want));
	free(body);
	EXPECT_OK(fk_ttrpc_response_decode(want, sizeof(want), &r));
	assert_int_equal(r.code, FK_TTRPC_UNIMPLEMENTED);
	assert_string_equal(r.message, "service x");
	assert_int_equal(r.payload_len, 0);
	fk_ttrpc_result_free(&r);

	EXPECT_OK(fk_ttrpc_response_encode(FK_TTRPC_INVALID_ARGUMENT, NULL, NULL, 0, &body, &len));
	expect_bytes(body, len, empty_msg, sizeof(empty_msg));
	free(body);

	/* Status and payload together round-trip (the encoder does not judge). */
	EXPECT_OK(fk_ttrpc_response_encode(FK_TTRPC_NOT_FOUND, "nf", pl, 3, &body, &len));
	EXPECT_OK(fk_ttrpc_response_decode(body, len, &r));
	assert_int_equal(r.code, FK_TTRPC_NOT_FOUND);
	assert_string_equal(r.message, "nf");
	expect_bytes(r.payload, r.payload_len, pl, 3);
	fk_ttrpc_result_free(&r);
	free(body);
}

static void test_response_refusals(void **state)
{
	static const uint8_t bad_msg[] = {0x0a, 0x03, 0x12, 0x01, 0xff};
	static const uint8_t nul_msg[] = {0x0a, 0x03, 0x12, 0x01, 0x00};
	/* code -1: negative int32 is a 10-byte varint */
	static const uint8_t neg_code[] = {0x0a, 0x0b, 0x08, 0xff, 0xff, 0xff, 0xff, 0xff,
					   0xff, 0xff, 0xff, 0xff, 0x01};
	static const uint8_t truncated[] = {0x0a, 0x05, 0x08, 0x0c};
	static const uint8_t details[] = {0x0a, 0x06, 0x08, 0x02, 0x1a, 0x02, 0xff, 0xfe};
	struct fk_ttrpc_result r;
	uint8_t *body;
	size_t len;
	uint8_t *big;
	(void)state;

	EXPECT_STATUS(fk_ttrpc_response_encode(FK_TTRPC_INTERNAL, "bad \xff", NULL, 0, &body, &len),
		      FUSEKEY_ERR_INVALID_PARAMETER);
	EXPECT_STATUS(fk_ttrpc_response_encode(0x80000000u, "x", NULL, 0, &body, &len),
		      FUSEKEY_ERR_INVALID_PARAMETER);
	EXPECT_STATUS(decode_resp(bad_msg, sizeof(bad_msg)), FUSEKEY_ERR_FORMAT);
	EXPECT_STATUS(decode_resp(nul_msg, sizeof(nul_msg)), FUSEKEY_ERR_FORMAT);
	EXPECT_STATUS(decode_resp(neg_code, sizeof(neg_code)), FUSEKEY_ERR_FORMAT);
	EXPECT_STATUS(decode_resp(truncated, sizeof(truncated)), FUSEKEY_ERR_FORMAT);
	/* details are bytes (google.protobuf.Any): not text, not checked, ignored */
	EXPECT_OK(fk_ttrpc_response_decode(details, sizeof(details), &r));
	assert_int_equal(r.code, FK_TTRPC_UNKNOWN);
	fk_ttrpc_result_free(&r);

	/* 4 MiB exactly is the largest body: payload + tag + 4-byte length */
	big = calloc(1, FK_TTRPC_MAX_DATA);
	assert_non_null(big);
	EXPECT_OK(fk_ttrpc_response_encode(FK_TTRPC_OK, NULL, big, FK_TTRPC_MAX_DATA - 5, &body,
					   &len));
	assert_int_equal(len, FK_TTRPC_MAX_DATA);
	EXPECT_OK(fk_ttrpc_response_decode(body, len, &r));
	assert_int_equal(r.payload_len, FK_TTRPC_MAX_DATA - 5);
	fk_ttrpc_result_free(&r);
	free(body);
	EXPECT_STATUS(fk_ttrpc_response_encode(FK_TTRPC_OK, NULL, big, FK_TTRPC_MAX_DATA - 4, &body,
					       &len),
		      FUSEKEY_ERR_INVALID_PARAMETER);
	free(big);
}

/* The frame header helpers: big-endian, flags 0. */
static void test_frame_header(void **state)
{
	static const uint8_t want[10] = {0x00, 0x00, 0x01, 0x02, 0x80, 0x00, 0x00, 0x03, 0x02, 0x00};
	struct fk_ttrpc_hdr h;
	(void)state;
	memset(&h, 0xaa, sizeof(h));
	fk_ttrpc_hdr_put(&h, 0x102, 0x80000003u, FK_TTRPC_TYPE_RESPONSE);
	assert_memory_equal(&h, want, sizeof(want));
	assert_int_equal(fk_be32(h.length), 0x102);
	assert_int_equal(fk_be32(h.stream_id), 0x80000003u);
}

/* ---- configuration bounds (no traffic: the loop is tested in tests/ttrpc) ---- */

/* A listening Unix socket with no name in the file system (autobind). */
static int listening_fd(void)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa_family_t)), 0);
	assert_int_equal(listen(fd, 4), 0);
	return fd;
}

static uint64_t noop_after(void *arg)
{
	(void)arg;
	return 0;
}

/* spin_us up to FK_TTRPC_MAX_SPIN_US (10 ms); above it the server is refused and the fd closed. */
static void test_server_spin_bound_config(void **state)
{
	(void)state;
	struct fk_ttrpc_server_config cfg;
	struct fk_ttrpc_server *s;
	const uint32_t ok[] = {0, 1, 250, FK_TTRPC_MAX_SPIN_US};
	const uint32_t bad[] = {FK_TTRPC_MAX_SPIN_US + 1, 2 * FK_TTRPC_MAX_SPIN_US, UINT32_MAX};

	assert_int_equal(FK_TTRPC_MAX_SPIN_US, 10000);
	memset(&cfg, 0, sizeof(cfg));
	cfg.after_events = noop_after;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		cfg.spin_us = ok[i];
		s = NULL;
		EXPECT_OK(fk_ttrpc_server_new(&cfg, listening_fd(), &s));
		assert_non_null(s);
		fk_ttrpc_server_free(s);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int fd = listening_fd();
		cfg.spin_us = bad[i];
		s = (struct fk_ttrpc_server *)1;
		EXPECT_STATUS(fk_ttrpc_server_new(&cfg, fd, &s), FUSEKEY_ERR_INVALID_PARAMETER);
		assert_null(s);
		/* ownership passed: closed */
		assert_int_equal(fcntl(fd, F_GETFD), -1);
		assert_int_equal(errno, EBADF);
	}
	/* the client's setter takes NULL */
	fk_ttrpc_client_set_spin(NULL, FK_TTRPC_MAX_SPIN_US);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_utf8_valid_sequences),
		cmocka_unit_test(test_utf8_invalid_sequences),
		cmocka_unit_test(test_utf8_sanitize),
		cmocka_unit_test(test_utf8_sanitize_random),
		cmocka_unit_test(test_request_round_trip),
		cmocka_unit_test(test_request_bytes),
		cmocka_unit_test(test_request_empty_and_negative_timeout),
		cmocka_unit_test(test_request_encode_refusals),
		cmocka_unit_test(test_request_decode_refusals),
		cmocka_unit_test(test_request_every_prefix),
		cmocka_unit_test(test_decode_random),
		cmocka_unit_test(test_response_ok_omits_status),
		cmocka_unit_test(test_response_empty_ok_is_zero_bytes),
		cmocka_unit_test(test_response_error_layout),
		cmocka_unit_test(test_response_refusals),
		cmocka_unit_test(test_frame_header),
		cmocka_unit_test(test_server_spin_bound_config),
	};
	return cmocka_run_group_tests_name("ttrpc", tests, NULL, NULL);
}
