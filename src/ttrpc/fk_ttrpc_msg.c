/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ttrpc Request / Response codec over protobuf-c, and UTF-8 (docs/ttrpc.md).
 * protobuf-c 1.4.1 validates no UTF-8 and bounds no memory (ttrpc.md §6):
 * both are done here, before and during unpack.
 */
#include "ttrpc/fk_ttrpc_msg.h"

#include <stdlib.h>
#include <string.h>

#include "ttrpc.pb-c.h"

/* ---- UTF-8 ---- */

/*
 * Length of the valid UTF-8 sequence at s (n > 0 bytes available), or 0.
 * RFC 3629 table: the second byte's range excludes overlongs (E0, F0),
 * surrogates (ED) and code points above U+10FFFF (F4).
 */
static size_t utf8_seq(const uint8_t *s, size_t n)
{
	uint8_t c = s[0];
	uint8_t lo = 0x80, hi = 0xBF;
	size_t need;

	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF) {
		need = 1;
	} else if (c >= 0xE0 && c <= 0xEF) {
		need = 2;
		if (c == 0xE0)
			lo = 0xA0;
		else if (c == 0xED)
			hi = 0x9F;
	} else if (c >= 0xF0 && c <= 0xF4) {
		need = 3;
		if (c == 0xF0)
			lo = 0x90;
		else if (c == 0xF4)
			hi = 0x8F;
	} else {
		return 0; /* 80..C1 (continuation or overlong lead), F5..FF */
	}
	if (n <= need || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i <= need; i++)
		if ((s[i] & 0xC0) != 0x80)
			return 0;
	return need + 1;
}

bool fk_ttrpc_utf8_valid(const char *s, size_t n)
{
	const uint8_t *p = (const uint8_t *)s;
	size_t i = 0;

	if (s == NULL)
		return n == 0;
	while (i < n) {
		size_t k = utf8_seq(p + i, n - i);
		if (k == 0)
			return false;
		i += k;
	}
	return true;
}

void fk_ttrpc_utf8_sanitize(char *dst, size_t cap, const char *src)
{
	size_t o = 0;

	if (dst == NULL || cap == 0)
		return;
	if (src != NULL) {
		const uint8_t *s = (const uint8_t *)src;
		size_t n = strlen(src), i = 0;
		while (i < n) {
			size_t k = utf8_seq(s + i, n - i);
			const void *from = s + i;
			size_t w = k;
			if (k == 0) {
				from = "?";
				w = k = 1;
			}
			if (w > cap - 1 - o)
				break; /* cut on a character boundary */
			memcpy(dst + o, from, w);
			o += w;
			i += k;
		}
	}
	dst[o] = '\0';
}

/* ---- checks on the wire, before protobuf-c ---- */

/*
 * Which fields of a message are strings, and which one holds a sub-message
 * with strings of its own. protobuf-c copies strings with their NUL
 * terminator added and no check: here each one is validated where its
 * length is known, so invalid UTF-8 and embedded NULs never reach C.
 */
struct pb_rule {
	uint32_t string_fields; /* bit n: field n is a string */
	uint32_t msg_field;     /* 0: none */
	const struct pb_rule *msg_rule;
};

static const struct pb_rule kv_rule = {(1u << 1) | (1u << 2), 0, NULL};
static const struct pb_rule request_rule = {(1u << 1) | (1u << 2), 5, &kv_rule};
static const struct pb_rule status_rule = {1u << 2, 0, NULL};
static const struct pb_rule response_rule = {0, 1, &status_rule};

static bool pb_varint(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
	uint64_t r = 0;

	for (unsigned i = 0; i < 10; i++) {
		uint8_t b;
		if (*p == end)
			return false;
		b = *(*p)++;
		r |= (uint64_t)(b & 0x7f) << (7 * i);
		if ((b & 0x80) == 0) {
			*v = r;
			return true;
		}
	}
	return false;
}

/*
 * Fields one body may hold, nested ones included. protobuf-c allocates per
 * field (a struct per metadata pair, a record per unknown field): 4 MiB of
 * two-byte fields would cost hundreds of MiB. A legitimate Request has at
 * most 5 + 3 * FK_TTRPC_MAX_METADATA.
 */
enum { MAX_FIELDS = 4 * FK_TTRPC_MAX_METADATA };

/*
 * Walk a body as protobuf: every string field valid UTF-8 without NUL, at
 * most *fields_left fields. Depth is bounded by the rules (two levels).
 */
static bool strings_ok(const uint8_t *p, size_t n, const struct pb_rule *rule,
		       size_t *fields_left)
{
	const uint8_t *end;

	if (n == 0)
		return true;
	end = p + n;
	while (p < end) {
		uint64_t key, v;
		uint64_t field;
		if (!pb_varint(&p, end, &key) || *fields_left == 0)
			return false;
		--*fields_left;
		field = key >> 3;
		switch (key & 7) {
		case 0:
			if (!pb_varint(&p, end, &v))
				return false;
			break;
		case 1:
			if (end - p < 8)
				return false;
			p += 8;
			break;
		case 5:
			if (end - p < 4)
				return false;
			p += 4;
			break;
		case 2:
			if (!pb_varint(&p, end, &v) || v > (uint64_t)(end - p))
				return false;
			if (field < 32 && ((rule->string_fields >> field) & 1u)) {
				if (memchr(p, 0, (size_t)v) != NULL ||
				    !fk_ttrpc_utf8_valid((const char *)p, (size_t)v))
					return false;
			} else if (rule->msg_rule != NULL && field == rule->msg_field) {
				if (!strings_ok(p, (size_t)v, rule->msg_rule, fields_left))
					return false;
			}
			p += v;
			break;
		default:
			return false; /* groups (3, 4) and 6, 7: not proto3 */
		}
	}
	return true;
}

/*
 * protobuf-c allocates through this: a backstop behind MAX_FIELDS (everything
 * one unpack allocates is capped at twice the body plus 1 MiB, counting the
 * 16-byte header of each allocation; frees are not credited; used only once
 * len <= FK_TTRPC_MAX_DATA), and every block is wiped when protobuf-c frees
 * it: payloads carry key records, and protobuf-c also frees on its own paths
 * (a field sent twice, an unpack that fails half-way).
 */
struct pb_budget {
	size_t left;
};

enum { BLOCK_HDR = 16 }; /* keeps the block's size; malloc's alignment is kept */

static void *budget_alloc(void *data, size_t size)
{
	struct pb_budget *b = data;
	size_t cost = size + BLOCK_HDR;
	unsigned char *base;

	if (cost < size || cost > b->left)
		return NULL;
	b->left -= cost;
	base = malloc(cost);
	if (base == NULL)
		return NULL;
	memcpy(base, &size, sizeof(size));
	return base + BLOCK_HDR;
}

static void budget_free(void *data, void *p)
{
	unsigned char *base;
	size_t size;

	(void)data;
	if (p == NULL)
		return;
	base = (unsigned char *)p - BLOCK_HDR;
	memcpy(&size, base, sizeof(size));
	fk_wipe(base, size + BLOCK_HDR);
	free(base);
}

static ProtobufCAllocator budget_allocator(struct pb_budget *b, size_t len)
{
	ProtobufCAllocator a = {budget_alloc, budget_free, b};
	b->left = 2 * len + 1024 * 1024;
	return a;
}

/* A copy of a decoded payload that outlives the message (the original is wiped with it). */
static bool copy_payload(const ProtobufCBinaryData *src, uint8_t **out, size_t *out_len)
{
	if (src->len == 0)
		return true;
	*out = malloc(src->len);
	if (*out == NULL)
		return false;
	memcpy(*out, src->data, src->len);
	*out_len = src->len;
	return true;
}

/* ---- Request ---- */

fusekey_status fk_ttrpc_request_encode(const char *service, const char *method,
				       const uint8_t *payload, size_t payload_len,
				       int64_t timeout_nano, const struct fk_ttrpc_kv *md,
				       size_t n_md, uint8_t **out, size_t *out_len)
{
	Ttrpc__Request r = TTRPC__REQUEST__INIT;
	Ttrpc__KeyValue *kvs = NULL;
	Ttrpc__KeyValue **kvp = NULL;
	uint8_t *buf = NULL;
	size_t size = 0;
	fusekey_status st = FUSEKEY_ERR_INVALID_PARAMETER;

	if (out != NULL)
		*out = NULL;
	if (out_len != NULL)
		*out_len = 0;
	if (service == NULL || method == NULL || out == NULL || out_len == NULL ||
	    (payload == NULL && payload_len != 0) || payload_len > FK_TTRPC_MAX_DATA ||
	    (md == NULL && n_md != 0) || n_md > FK_TTRPC_MAX_METADATA)
		goto out;
	if (!fk_ttrpc_utf8_valid(service, strlen(service)) ||
	    !fk_ttrpc_utf8_valid(method, strlen(method)))
		goto out;
	for (size_t i = 0; i < n_md; i++)
		if (md[i].key == NULL || md[i].value == NULL ||
		    !fk_ttrpc_utf8_valid(md[i].key, strlen(md[i].key)) ||
		    !fk_ttrpc_utf8_valid(md[i].value, strlen(md[i].value)))
			goto out;

	if (n_md != 0) {
		st = FUSEKEY_ERR_NO_MEMORY;
		kvs = calloc(n_md, sizeof(*kvs));
		kvp = calloc(n_md, sizeof(*kvp));
		if (kvs == NULL || kvp == NULL)
			goto out;
		for (size_t i = 0; i < n_md; i++) {
			ttrpc__key_value__init(&kvs[i]);
			kvs[i].key = (char *)md[i].key;
			kvs[i].value = (char *)md[i].value;
			kvp[i] = &kvs[i];
		}
	}
	/* protobuf-c takes non-const pointers; it only reads them when packing. */
	r.service = (char *)service;
	r.method = (char *)method;
	r.payload.data = (uint8_t *)payload;
	r.payload.len = payload_len;
	r.timeout_nano = timeout_nano;
	r.n_metadata = n_md;
	r.metadata = kvp;

	st = FUSEKEY_ERR_INVALID_PARAMETER;
	size = ttrpc__request__get_packed_size(&r);
	if (size > FK_TTRPC_MAX_DATA)
		goto out;
	if (size != 0) {
		st = FUSEKEY_ERR_NO_MEMORY;
		buf = malloc(size);
		if (buf == NULL)
			goto out;
		if (ttrpc__request__pack(&r, buf) != size) {
			st = FUSEKEY_ERR_UNEXPECTED;
			goto out;
		}
	}
	*out = buf;
	*out_len = size;
	buf = NULL;
	st = FUSEKEY_OK;
out:
	fk_wipe_free(buf, size);
	free(kvs);
	free(kvp);
	return st;
}

static char *dup_str(const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = malloc(n);
	if (d != NULL)
		memcpy(d, s, n);
	return d;
}

/* One block: the pairs, then every key and value string. */
static struct fk_ttrpc_kv *copy_metadata(Ttrpc__KeyValue *const *kv, size_t n)
{
	size_t total = n * sizeof(struct fk_ttrpc_kv);
	struct fk_ttrpc_kv *m;
	char *s;

	/* Sizes are bounded by the unpack budget: no overflow possible. */
	for (size_t i = 0; i < n; i++)
		total += strlen(kv[i]->key) + strlen(kv[i]->value) + 2;
	m = malloc(total);
	if (m == NULL)
		return NULL;
	s = (char *)(m + n);
	for (size_t i = 0; i < n; i++) {
		size_t kl = strlen(kv[i]->key) + 1, vl = strlen(kv[i]->value) + 1;
		memcpy(s, kv[i]->key, kl);
		m[i].key = s;
		s += kl;
		memcpy(s, kv[i]->value, vl);
		m[i].value = s;
		s += vl;
	}
	return m;
}

/* Before unpacking: a body within the frame limit whose strings are valid UTF-8. */
static fusekey_status check_body(const uint8_t *body, size_t len, const struct pb_rule *rule)
{
	size_t fields = MAX_FIELDS;

	if (body == NULL && len != 0)
		return FUSEKEY_ERR_INVALID_PARAMETER;
	if (len > FK_TTRPC_MAX_DATA || !strings_ok(body, len, rule, &fields))
		return FUSEKEY_ERR_FORMAT;
	return FUSEKEY_OK;
}

fusekey_status fk_ttrpc_request_decode(const uint8_t *body, size_t len,
				       struct fk_ttrpc_request_msg *out)
{
	struct pb_budget budget = {0};
	ProtobufCAllocator alloc = budget_allocator(&budget, len);
	Ttrpc__Request *r = NULL;
	fusekey_status st;

	if (out == NULL)
		return FUSEKEY_ERR_INVALID_PARAMETER;
	memset(out, 0, sizeof(*out));
	st = check_body(body, len, &request_rule);
	if (st != FUSEKEY_OK)
		goto out;
	st = FUSEKEY_ERR_FORMAT;
	r = ttrpc__request__unpack(&alloc, len, body);
	if (r == NULL || r->n_metadata > FK_TTRPC_MAX_METADATA)
		goto out;

	st = FUSEKEY_ERR_NO_MEMORY;
	out->service = dup_str(r->service);
	out->method = dup_str(r->method);
	if (out->service == NULL || out->method == NULL)
		goto out;
	if (r->n_metadata != 0) {
		out->metadata = copy_metadata(r->metadata, r->n_metadata);
		if (out->metadata == NULL)
			goto out;
		out->n_metadata = r->n_metadata;
	}
	out->timeout_nano = r->timeout_nano;
	if (!copy_payload(&r->payload, &out->payload, &out->payload_len))
		goto out;
	st = FUSEKEY_OK;
out:
	if (r != NULL)
		ttrpc__request__free_unpacked(r, &alloc);
	if (st != FUSEKEY_OK)
		fk_ttrpc_request_msg_free(out);
	return st;
}

void fk_ttrpc_request_msg_free(struct fk_ttrpc_request_msg *m)
{
	if (m == NULL)
		return;
	free(m->service);
	free(m->method);
	fk_wipe_free(m->payload, m->payload_len);
	free(m->metadata);
	memset(m, 0, sizeof(*m));
}

/* ---- Response ---- */

fusekey_status fk_ttrpc_response_encode(uint32_t code, const char *message,
					const uint8_t *payload, size_t payload_len, uint8_t **out,
					size_t *out_len)
{
	Ttrpc__Response r = TTRPC__RESPONSE__INIT;
	Ttrpc__Status status = TTRPC__STATUS__INIT;
	uint8_t *buf;
	size_t size;

	if (out != NULL)
		*out = NULL;
	if (out_len != NULL)
		*out_len = 0;
	if (out == NULL || out_len == NULL || (payload == NULL && payload_len != 0) ||
	    payload_len > FK_TTRPC_MAX_DATA || code > INT32_MAX)
		return FUSEKEY_ERR_INVALID_PARAMETER;
	if (code != FK_TTRPC_OK) {
		if (message == NULL)
			message = "";
		if (!fk_ttrpc_utf8_valid(message, strlen(message)))
			return FUSEKEY_ERR_INVALID_PARAMETER;
		status.code = (int32_t)code;
		status.message = (char *)message;
		r.status = &status;
	}
	r.payload.data = (uint8_t *)payload;
	r.payload.len = payload_len;

	size = ttrpc__response__get_packed_size(&r);
	if (size > FK_TTRPC_MAX_DATA)
		return FUSEKEY_ERR_INVALID_PARAMETER;
	if (size == 0)
		return FUSEKEY_OK; /* OK, empty payload: a 0-length body */
	buf = malloc(size);
	if (buf == NULL)
		return FUSEKEY_ERR_NO_MEMORY;
	if (ttrpc__response__pack(&r, buf) != size) {
		fk_wipe_free(buf, size);
		return FUSEKEY_ERR_UNEXPECTED;
	}
	*out = buf;
	*out_len = size;
	return FUSEKEY_OK;
}

fusekey_status fk_ttrpc_response_decode(const uint8_t *body, size_t len,
					struct fk_ttrpc_result *out)
{
	struct pb_budget budget = {0};
	ProtobufCAllocator alloc = budget_allocator(&budget, len);
	Ttrpc__Response *r = NULL;
	fusekey_status st;

	if (out == NULL)
		return FUSEKEY_ERR_INVALID_PARAMETER;
	memset(out, 0, sizeof(*out));
	st = check_body(body, len, &response_rule);
	if (st != FUSEKEY_OK)
		goto out;
	st = FUSEKEY_ERR_FORMAT;
	r = ttrpc__response__unpack(&alloc, len, body);
	if (r == NULL || (r->status != NULL && r->status->code < 0))
		goto out;

	st = FUSEKEY_ERR_NO_MEMORY;
	out->code = r->status != NULL ? (uint32_t)r->status->code : FK_TTRPC_OK;
	out->message = dup_str(r->status != NULL ? r->status->message : "");
	if (out->message == NULL || !copy_payload(&r->payload, &out->payload, &out->payload_len))
		goto out;
	st = FUSEKEY_OK;
out:
	if (r != NULL)
		ttrpc__response__free_unpacked(r, &alloc);
	if (st != FUSEKEY_OK)
		fk_ttrpc_result_free(out);
	return st;
}

void fk_ttrpc_result_free(struct fk_ttrpc_result *r)
{
	if (r == NULL)
		return;
	free(r->message);
	fk_wipe_free(r->payload, r->payload_len);
	memset(r, 0, sizeof(*r));
}
