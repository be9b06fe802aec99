/* SPDX-License-Identifier: Apache-2.0 */
/* The fusekey.test.Echo service (echo_service.h). */
#include "echo_service.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static void count(void *arg)
{
	struct echo_counters *c = arg;
	if (c != NULL)
		atomic_fetch_add(&c->calls, 1);
}

static uint8_t *dup_bytes(const uint8_t *p, size_t n)
{
	uint8_t *d = malloc(n != 0 ? n : 1);
	if (d != NULL && n != 0)
		memcpy(d, p, n);
	return d;
}

static void h_echo(void *arg, const struct fk_ttrpc_call *call, struct fk_ttrpc_reply *rep)
{
	count(arg);
	if (call->req->payload_len == 0)
		return;
	rep->payload = dup_bytes(call->req->payload, call->req->payload_len);
	if (rep->payload == NULL) {
		rep->code = FK_TTRPC_RESOURCE_EXHAUSTED;
		return;
	}
	rep->payload_len = call->req->payload_len;
}

static void h_fail(void *arg, const struct fk_ttrpc_call *call, struct fk_ttrpc_reply *rep)
{
	count(arg);
	rep->code = call->req->payload_len != 0 ? call->req->payload[0] : FK_TTRPC_INTERNAL;
	rep->message = ECHO_FAIL_MESSAGE;
	/* A payload beside an error status: the server must drop it. */
	rep->payload = dup_bytes((const uint8_t *)"secret", 6);
	rep->payload_len = rep->payload != NULL ? 6 : 0;
}

static void h_big(void *arg, const struct fk_ttrpc_call *call, struct fk_ttrpc_reply *rep)
{
	size_t n;
	count(arg);
	if (call->req->payload_len != 4) {
		rep->code = FK_TTRPC_INVALID_ARGUMENT;
		return;
	}
	n = fk_be32(call->req->payload);
	rep->payload = calloc(1, n != 0 ? n : 1);
	if (rep->payload == NULL) {
		rep->code = FK_TTRPC_RESOURCE_EXHAUSTED;
		return;
	}
	rep->payload_len = n;
}

static void h_amplify(void *arg, const struct fk_ttrpc_call *call, struct fk_ttrpc_reply *rep)
{
	(void)call;
	count(arg);
	rep->payload = calloc(1, 3u << 20);
	if (rep->payload == NULL) {
		rep->code = FK_TTRPC_RESOURCE_EXHAUSTED;
		return;
	}
	rep->payload_len = 3u << 20;
}

static void h_meta(void *arg, const struct fk_ttrpc_call *call, struct fk_ttrpc_reply *rep)
{
	size_t n = 1, o = 0;
	char *s;
	count(arg);
	for (size_t i = 0; i < call->req->n_metadata; i++)
		n += strlen(call->req->metadata[i].key) + strlen(call->req->metadata[i].value) + 2;
	s = malloc(n);
	if (s == NULL) {
		rep->code = FK_TTRPC_RESOURCE_EXHAUSTED;
		return;
	}
	s[0] = '\0';
	for (size_t i = 0; i < call->req->n_metadata; i++) {
		size_t kl = strlen(call->req->metadata[i].key);
		size_t vl = strlen(call->req->metadata[i].value);
		memcpy(s + o, call->req->metadata[i].key, kl);
		o += kl;
		s[o++] = '=';
		memcpy(s + o, call->req->metadata[i].value, vl);
		o += vl;
		s[o++] = ';';
	}
	rep->payload = (uint8_t *)s;
	rep->payload_len = o;
	if (o == 0) {
		free(s);
		rep->payload = NULL;
	}
}

static void put_be64(uint8_t *p, uint64_t v)
{
	fk_put_be32(p, (uint32_t)(v >> 32));
	fk_put_be32(p + 4, (uint32_t)v);
}

static void h_info(void *arg, const struct fk_ttrpc_call *call, struct fk_ttrpc_reply *rep)
{
	uint8_t *p = calloc(1, 17);
	count(arg);
	if (p == NULL) {
		rep->code = FK_TTRPC_RESOURCE_EXHAUSTED;
		return;
	}
	fk_put_be32(p, (uint32_t)call->peer->uid);
	fk_put_be32(p + 4, (uint32_t)call->peer->pid);
	rep->payload = p;
	rep->payload_len = 8;
	if (call->deadline_ns != 0) {
		struct timespec ts;
		uint64_t now;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		now = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
		p[8] = 'D';
		put_be64(p + 9, call->deadline_ns > now ? call->deadline_ns - now : 0);
		rep->payload_len = 17;
	}
}

size_t echo_methods(struct fk_ttrpc_method *out, size_t cap, struct echo_counters *arg)
{
	const struct fk_ttrpc_method m[] = {
		{ECHO_SERVICE, "Echo", h_echo, arg},	   {ECHO_SERVICE, "Fail", h_fail, arg},
		{ECHO_SERVICE, "Big", h_big, arg},	   {ECHO_SERVICE, "Amplify", h_amplify, arg},
		{ECHO_SERVICE, "Meta", h_meta, arg},	   {ECHO_SERVICE, "Info", h_info, arg},
	};
	size_t n = sizeof(m) / sizeof(m[0]);
	if (n > cap)
		return 0;
	memcpy(out, m, sizeof(m));
	return n;
}
