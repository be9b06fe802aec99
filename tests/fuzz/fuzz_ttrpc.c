/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The ttrpc message codec (src/ttrpc/fk_ttrpc_msg.h) on attacker-controlled
 * bodies. Every input is used three ways:
 *
 *   1. as a ttrpc.Request body: fk_ttrpc_request_decode;
 *   2. as a ttrpc.Response body: fk_ttrpc_response_decode;
 *   3. as a C string (cut at its first NUL) for fk_ttrpc_utf8_sanitize, at
 *      several capacities.
 *
 * Properties (abort() on violation, so libFuzzer reports it): no crash; a
 * refusal is FORMAT (or NO_MEMORY) and leaves the output struct all zero; on
 * OK every string is valid UTF-8 per fk_ttrpc_utf8_valid, NUL-terminated
 * within the input's size (a string cannot be longer than the body that
 * carried it), and the payload is NULL exactly when it is empty. A decoded
 * Request re-encodes (fk_ttrpc_request_encode), and that body decodes to the
 * same fields and re-encodes to the same bytes (the canonical form is a fixed
 * point). The same for a Response, whose message only exists when the code
 * is not OK. The sanitiser's output is valid UTF-8, fits the capacity, never
 * writes past it, and equals its input when that is valid and fits.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "ttrpc/fk_ttrpc_msg.h"

/* A decoded string: present, NUL-terminated within `bound` bytes, valid UTF-8. */
static void good_string(const char *s, size_t bound)
{
	size_t n;

	need(s != NULL);
	n = strnlen(s, bound + 1);
	need(n <= bound);
	need(fk_ttrpc_utf8_valid(s, n));
}

static bool same_bytes(const uint8_t *a, size_t an, const uint8_t *b, size_t bn)
{
	return an == bn && (an == 0 || memcmp(a, b, an) == 0);
}

static void same_request(const struct fk_ttrpc_request_msg *a,
			 const struct fk_ttrpc_request_msg *b)
{
	need(strcmp(a->service, b->service) == 0 && strcmp(a->method, b->method) == 0);
	need(same_bytes(a->payload, a->payload_len, b->payload, b->payload_len));
	need(a->timeout_nano == b->timeout_nano && a->n_metadata == b->n_metadata);
	for (size_t i = 0; i < a->n_metadata; i++)
		need(strcmp(a->metadata[i].key, b->metadata[i].key) == 0 &&
		     strcmp(a->metadata[i].value, b->metadata[i].value) == 0);
}

static void check_request_shape(const struct fk_ttrpc_request_msg *m, size_t size)
{
	good_string(m->service, size);
	good_string(m->method, size);
	need((m->payload == NULL) == (m->payload_len == 0) && m->payload_len <= size);
	need(m->n_metadata <= FK_TTRPC_MAX_METADATA);
	need((m->metadata == NULL) == (m->n_metadata == 0));
	for (size_t i = 0; i < m->n_metadata; i++) {
		good_string(m->metadata[i].key, size);
		good_string(m->metadata[i].value, size);
	}
}

static void fuzz_request(const uint8_t *data, size_t size)
{
	struct fk_ttrpc_request_msg m, m2;
	uint8_t *enc = NULL, *enc2 = NULL;
	size_t enc_len = 0, enc2_len = 0;
	fusekey_status st;

	memset(&m, 0xA5, sizeof(m)); /* the decoder must set every field */
	st = fk_ttrpc_request_decode(data, size, &m);
	if (st != FUSEKEY_OK) {
		need(st == FUSEKEY_ERR_FORMAT || st == FUSEKEY_ERR_NO_MEMORY);
		need(all_zero(&m, sizeof(m)));
		return;
	}
	check_request_shape(&m, size);

	/* Re-encode: what we decoded we can send, and it means the same thing. */
	need(fk_ttrpc_request_encode(m.service, m.method, m.payload, m.payload_len, m.timeout_nano,
				     m.metadata, m.n_metadata, &enc, &enc_len) == FUSEKEY_OK);
	need((enc == NULL) == (enc_len == 0) && enc_len <= FK_TTRPC_MAX_DATA);
	need(fk_ttrpc_request_decode(enc, enc_len, &m2) == FUSEKEY_OK);
	check_request_shape(&m2, enc_len);
	same_request(&m, &m2);
	need(fk_ttrpc_request_encode(m2.service, m2.method, m2.payload, m2.payload_len,
				     m2.timeout_nano, m2.metadata, m2.n_metadata, &enc2,
				     &enc2_len) == FUSEKEY_OK);
	need(same_bytes(enc, enc_len, enc2, enc2_len));

	free(enc);
	free(enc2);
	fk_ttrpc_request_msg_free(&m2);
	fk_ttrpc_request_msg_free(&m);
	need(all_zero(&m, sizeof(m)));
}

static void check_result_shape(const struct fk_ttrpc_result *r, size_t size)
{
	good_string(r->message, size);
	need(r->code <= INT32_MAX); /* a negative code on the wire is refused */
	need((r->payload == NULL) == (r->payload_len == 0) && r->payload_len <= size);
}

static void fuzz_response(const uint8_t *data, size_t size)
{
	struct fk_ttrpc_result r, r2;
	uint8_t *enc = NULL;
	size_t enc_len = 0;
	fusekey_status st;

	memset(&r, 0xA5, sizeof(r));
	st = fk_ttrpc_response_decode(data, size, &r);
	if (st != FUSEKEY_OK) {
		need(st == FUSEKEY_ERR_FORMAT || st == FUSEKEY_ERR_NO_MEMORY);
		need(all_zero(&r, sizeof(r)));
		return;
	}
	check_result_shape(&r, size);

	need(fk_ttrpc_response_encode(r.code, r.message, r.payload, r.payload_len, &enc,
				      &enc_len) == FUSEKEY_OK);
	need(fk_ttrpc_response_decode(enc, enc_len, &r2) == FUSEKEY_OK);
	check_result_shape(&r2, enc_len);
	need(r2.code == r.code);
	need(same_bytes(r.payload, r.payload_len, r2.payload, r2.payload_len));
	/* OK omits the status (as the Go server): its message does not travel. */
	need(strcmp(r2.message, r.code == FK_TTRPC_OK ? "" : r.message) == 0);

	free(enc);
	fk_ttrpc_result_free(&r2);
	fk_ttrpc_result_free(&r);
	need(all_zero(&r, sizeof(r)));
}

static void sanitize_at(const char *src, size_t src_len, bool src_valid, size_t cap)
{
	enum { GUARD = 16 };
	char *dst = malloc(cap + GUARD);
	size_t n;

	need(dst != NULL);
	memset(dst, 0x5A, cap + GUARD);
	fk_ttrpc_utf8_sanitize(dst, cap, src);
	for (size_t i = cap; i < cap + GUARD; i++)
		need(dst[i] == 0x5A); /* nothing written past cap */
	if (cap == 0) {
		free(dst);
		return;
	}
	n = strnlen(dst, cap);
	need(n < cap);
	need(fk_ttrpc_utf8_valid(dst, n));
	if (src_valid && src_len < cap)
		need(n == src_len && memcmp(dst, src, n) == 0);
	free(dst);
}

static void fuzz_sanitize(const uint8_t *data, size_t size)
{
	char *src = malloc(size + 1);
	size_t len;
	bool valid;

	need(src != NULL);
	if (size != 0)
		memcpy(src, data, size);
	src[size] = '\0';
	len = strlen(src);
	valid = fk_ttrpc_utf8_valid(src, len);
	{
		const size_t caps[] = {0, 1, 2, 3, 4, 5, len / 2 + 1, len, len + 1, len + 2};
		for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++)
			sanitize_at(src, len, valid, caps[i]);
	}
	free(src);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t empty[1];

	if (data == NULL)
		data = empty; /* a replayed empty file */
	fuzz_request(data, size);
	fuzz_response(data, size);
	fuzz_sanitize(data, size);
	return 0;
}
