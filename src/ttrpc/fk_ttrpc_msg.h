/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ttrpc messages: the protobuf `ttrpc.Request` / `ttrpc.Response` bodies of
 * proto/ttrpc.proto, coded with protobuf-c, and the UTF-8 rules every string
 * on the wire obeys (docs/ttrpc.md; shared/docs/reference/ttrpc.md §3, §6).
 *
 * Method payloads are opaque bytes here: each service decodes its own
 * (two-stage decode). protobuf-c neither validates UTF-8 nor bounds memory,
 * so the decoders check every string on the wire themselves (where its
 * length is known: an embedded NUL, which would silently cut the C string,
 * is refused too) and unpack through an allocator with a budget
 * proportional to the body.
 */
#ifndef FK_TTRPC_MSG_H
#define FK_TTRPC_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest busy-poll before sleeping, server and client (fk_ttrpc_*_spin). */
#define FK_TTRPC_MAX_SPIN_US 10000u

#include "crypto/fk_crypto.h"
#include "fusekey/fusekey.h"
#include "ttrpc/fk_ttrpc_wire.h"

enum {
	/* Metadata pairs one request may carry (encode and decode). */
	FK_TTRPC_MAX_METADATA = 1024,
	/* Status messages the server sends are cut (on a character boundary) to this. */
	FK_TTRPC_MAX_STATUS_MESSAGE = 1024,
};

/* ---- strings ---- */

/* True when s[0..n) is valid UTF-8 (no overlongs, no surrogates, <= U+10FFFF). */
bool fk_ttrpc_utf8_valid(const char *s, size_t n);

/*
 * Copy src into dst (cap bytes incl. NUL) replacing every byte that is not
 * part of valid UTF-8 by '?', and truncating on a character boundary: what
 * the server does to every status message and metadata string it sends.
 * src NULL gives "". Nothing is written when cap is 0.
 */
void fk_ttrpc_utf8_sanitize(char *dst, size_t cap, const char *src);

/* ---- messages ---- */

struct fk_ttrpc_kv {
	const char *key;
	const char *value;
};

/* A decoded ttrpc.Request. Strings are NUL-terminated copies. */
struct fk_ttrpc_request_msg {
	char *service;
	char *method;
	uint8_t *payload; /* NULL when payload_len is 0 */
	size_t payload_len;
	int64_t timeout_nano;
	struct fk_ttrpc_kv *metadata; /* key/value strings owned by this struct */
	size_t n_metadata;
};

/*
 * Request / Response bodies (without the frame header). Encoders return a
 * malloc'd buffer in *out (NULL when *out_len is 0: an OK response with an
 * empty payload is 0 bytes) and refuse (INVALID_PARAMETER) strings that are
 * not valid UTF-8, more than FK_TTRPC_MAX_METADATA pairs and bodies over
 * FK_TTRPC_MAX_DATA. service and method must not be NULL (they may be "").
 * Decoders give FUSEKEY_ERR_FORMAT for anything protobuf-c cannot decode,
 * whose strings are not valid UTF-8 or hold a NUL, that is over
 * FK_TTRPC_MAX_DATA, that holds more than 4 * FK_TTRPC_MAX_METADATA fields
 * (nested ones included) or more than FK_TTRPC_MAX_METADATA pairs, or that
 * would need more memory than its size justifies.
 */
fusekey_status fk_ttrpc_request_encode(const char *service, const char *method,
				       const uint8_t *payload, size_t payload_len,
				       int64_t timeout_nano, const struct fk_ttrpc_kv *md,
				       size_t n_md, uint8_t **out, size_t *out_len) FK_WARN_UNUSED;
fusekey_status fk_ttrpc_request_decode(const uint8_t *body, size_t len,
				       struct fk_ttrpc_request_msg *out) FK_WARN_UNUSED;
/* Frees (payload wiped) and zeroes; NULL allowed. */
void fk_ttrpc_request_msg_free(struct fk_ttrpc_request_msg *m);

/*
 * code FK_TTRPC_OK: status omitted (as the Go server), message ignored;
 * otherwise Status{code, message} (message NULL = ""). code must fit int32.
 */
fusekey_status fk_ttrpc_response_encode(uint32_t code, const char *message,
					const uint8_t *payload, size_t payload_len, uint8_t **out,
					size_t *out_len) FK_WARN_UNUSED;

/* A decoded ttrpc.Response (also what the client returns). */
struct fk_ttrpc_result {
	uint32_t code;   /* FK_TTRPC_OK when the status is absent */
	char *message;   /* NUL-terminated, never NULL after a successful decode */
	uint8_t *payload; /* NULL when payload_len is 0 */
	size_t payload_len;
};
/* A negative status code is FUSEKEY_ERR_FORMAT (gRPC codes are >= 0). */
fusekey_status fk_ttrpc_response_decode(const uint8_t *body, size_t len,
					struct fk_ttrpc_result *out) FK_WARN_UNUSED;
/* Frees and wipes the payload (it may hold key material); zeroes; NULL allowed. */
void fk_ttrpc_result_free(struct fk_ttrpc_result *r);

#endif
