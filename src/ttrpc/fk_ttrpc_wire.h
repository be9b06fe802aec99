/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ttrpc framing (containerd/ttrpc PROTOCOL.md, protocol 1.0 unary;
 * shared/docs/reference/ttrpc.md §2). Every frame is a 10-byte header and
 * `length` bytes of protobuf: a ttrpc.Request (type 1) or ttrpc.Response
 * (type 2). Integers in the header are BIG-endian, unlike SGX's.
 *
 *   off size field
 *   0   4    length     data bytes after the header (header excluded)
 *   4   4    stream id  odd for client-initiated streams; the response reuses it
 *   8   1    type       1 Request, 2 Response, 3 Data (protocol 1.2, not served)
 *   9   1    flags      0 for unary
 */
#ifndef FK_TTRPC_WIRE_H
#define FK_TTRPC_WIRE_H

#include <stddef.h>
#include <stdint.h>

enum {
	FK_TTRPC_HDR_SIZE = 10,
	/* The reference checks `length > 4194304`: exactly 4 MiB is legal. */
	FK_TTRPC_MAX_DATA = 4 * 1024 * 1024,
	FK_TTRPC_TYPE_REQUEST = 1,
	FK_TTRPC_TYPE_RESPONSE = 2,
	FK_TTRPC_TYPE_DATA = 3,
};

struct fk_ttrpc_hdr {
	uint8_t length[4];
	uint8_t stream_id[4];
	uint8_t type;
	uint8_t flags;
};

/* gRPC status codes ttrpc carries in Response.status.code (ttrpc.md §3). */
enum fk_ttrpc_code {
	FK_TTRPC_OK = 0,
	FK_TTRPC_CANCELED = 1,
	FK_TTRPC_UNKNOWN = 2,
	FK_TTRPC_INVALID_ARGUMENT = 3,
	FK_TTRPC_DEADLINE_EXCEEDED = 4,
	FK_TTRPC_NOT_FOUND = 5,
	FK_TTRPC_ALREADY_EXISTS = 6,
	FK_TTRPC_PERMISSION_DENIED = 7,
	FK_TTRPC_RESOURCE_EXHAUSTED = 8,
	FK_TTRPC_FAILED_PRECONDITION = 9,
	FK_TTRPC_UNIMPLEMENTED = 12,
	FK_TTRPC_INTERNAL = 13,
	FK_TTRPC_UNAVAILABLE = 14,
	FK_TTRPC_UNAUTHENTICATED = 16,
};

static inline uint32_t fk_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}
static inline void fk_put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static inline void fk_ttrpc_hdr_put(struct fk_ttrpc_hdr *h, uint32_t length, uint32_t stream_id,
				    uint8_t type)
{
	fk_put_be32(h->length, length);
	fk_put_be32(h->stream_id, stream_id);
	h->type = type;
	h->flags = 0;
}

_Static_assert(sizeof(struct fk_ttrpc_hdr) == FK_TTRPC_HDR_SIZE, "ttrpc frame header");
_Static_assert(offsetof(struct fk_ttrpc_hdr, stream_id) == 4, "stream id at 4");
_Static_assert(offsetof(struct fk_ttrpc_hdr, type) == 8, "type at 8");
_Static_assert(offsetof(struct fk_ttrpc_hdr, flags) == 9, "flags at 9");

#endif
