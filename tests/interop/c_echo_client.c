/* SPDX-License-Identifier: Apache-2.0 */
/*
 * c_echo_client: fusekey's C ttrpc client (fk_ttrpc_client) against the
 * reference Go server (gosrv, containerd/ttrpc 1.1.1 as Debian packages it):
 * payloads, pipelining, statuses, metadata, timeout_nano, the 4 MiB bound
 * (tests/interop, docs/interop.md). Prints TAP.
 *
 *   c_echo_client SOCKET
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ttrpc/fk_ttrpc.h"

#define SVC "fusekey.test.Echo"
enum { PIPELINE = 20, MIB = 1024 * 1024 };

static int n_tests, n_failed;

static void check(bool ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void check(bool ok, const char *fmt, ...)
{
	va_list ap;
	n_tests++;
	if (!ok)
		n_failed++;
	printf("%sok %d - ", ok ? "" : "not ", n_tests);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

static void diag(const char *what, fusekey_status st, const struct fk_ttrpc_result *r)
{
	printf("#   %s: status %s, code %u, message '%s', payload %zu bytes\n", what,
	       fusekey_status_str(st), r->code, r->message ? r->message : "(null)", r->payload_len);
}

static void fill(uint8_t *p, size_t n, uint32_t seed)
{
	uint32_t x = seed * 2654435761u + 1u;
	for (size_t i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		p[i] = (uint8_t)x;
	}
}

/* One call; true when it came back with `code` (and `msg` if not NULL). */
static bool call_expect(struct fk_ttrpc_client *c, const char *svc, const char *method,
			const uint8_t *p, size_t n, const struct fk_ttrpc_kv *md, size_t n_md,
			int64_t timeout_ns, uint32_t code, const char *msg,
			struct fk_ttrpc_result *res)
{
	fusekey_status st = fk_ttrpc_client_call(c, svc, method, p, n, md, n_md, timeout_ns, res);
	bool ok = st == FUSEKEY_OK && res->code == code &&
		  (msg == NULL || (res->message != NULL && strcmp(res->message, msg) == 0));
	if (!ok)
		diag(method, st, res);
	return ok;
}

static bool payload_is(const struct fk_ttrpc_result *r, const void *p, size_t n)
{
	return r->payload_len == n && (n == 0 || memcmp(r->payload, p, n) == 0);
}

static bool big_pattern_ok(const struct fk_ttrpc_result *r, size_t n)
{
	if (r->payload_len != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (r->payload[i] != (uint8_t)(i * 7u + 3u))
			return false;
	return true;
}

static bool echo_ok(struct fk_ttrpc_client *c)
{
	struct fk_ttrpc_result r;
	bool ok = call_expect(c, SVC, "Echo", (const uint8_t *)"again", 5, NULL, 0, 0, FK_TTRPC_OK,
			      NULL, &r) &&
		  payload_is(&r, "again", 5);
	fk_ttrpc_result_free(&r);
	return ok;
}

static void test_pipeline(struct fk_ttrpc_client *c)
{
	uint32_t ids[PIPELINE];
	uint8_t bufs[PIPELINE][64];
	bool sent = true, got = true, odd = true;

	for (int i = 0; i < PIPELINE; i++) {
		size_t n = (size_t)i * 3u + 1u;
		fill(bufs[i], n, (uint32_t)i + 100u);
		if (fk_ttrpc_client_send(c, SVC, "Echo", bufs[i], n, NULL, 0, 0, &ids[i]) != FUSEKEY_OK)
			sent = false;
		if (ids[i] % 2 != 1 || (i > 0 && ids[i] <= ids[i - 1]))
			odd = false;
	}
	check(sent, "pipelining: %d Echo requests sent before any reply is read", PIPELINE);
	check(odd, "pipelining: stream ids are odd and increasing");
	/* Waited for in reverse: the replies for the others are kept meanwhile. */
	for (int i = PIPELINE - 1; i >= 0 && sent; i--) {
		struct fk_ttrpc_result r;
		fusekey_status st = fk_ttrpc_client_wait(c, ids[i], 0, &r);
		if (st != FUSEKEY_OK || r.code != FK_TTRPC_OK ||
		    !payload_is(&r, bufs[i], (size_t)i * 3u + 1u)) {
			diag("pipelined Echo", st, &r);
			got = false;
		}
		fk_ttrpc_result_free(&r);
	}
	check(sent && got, "pipelining: each of the %d replies, waited for in reverse order, "
			   "carries its own payload",
	      PIPELINE);
}

int main(int argc, char **argv)
{
	struct fk_ttrpc_client *c = NULL;
	struct fk_ttrpc_result r;
	uint8_t *mib = NULL, big_req[4];
	fusekey_status st;
	bool ok;

	if (argc != 2) {
		fprintf(stderr, "usage: c_echo_client SOCKET\n");
		return 2;
	}
	memset(&r, 0, sizeof(r));
	st = fk_ttrpc_client_connect(argv[1], &c);
	check(st == FUSEKEY_OK, "connect to the Go server at %s", argv[1]);
	if (st != FUSEKEY_OK) {
		printf("Bail out! cannot connect: %s\n", fusekey_status_str(st));
		return 1;
	}

	ok = call_expect(c, SVC, "Echo", (const uint8_t *)"hello", 5, NULL, 0, 0, FK_TTRPC_OK,
			 NULL, &r) &&
	     payload_is(&r, "hello", 5);
	fk_ttrpc_result_free(&r);
	check(ok, "Echo 'hello' comes back unchanged");

	/* An empty message is a 0-length Response frame from Go. */
	ok = call_expect(c, SVC, "Echo", NULL, 0, NULL, 0, 0, FK_TTRPC_OK, NULL, &r) &&
	     r.payload_len == 0 && r.message != NULL && r.message[0] == '\0';
	fk_ttrpc_result_free(&r);
	check(ok, "Echo of 0 bytes: OK, empty payload (0-length Response frame)");

	mib = malloc(MIB);
	if (mib == NULL)
		return 1;
	fill(mib, MIB, 7);
	ok = call_expect(c, SVC, "Echo", mib, MIB, NULL, 0, 0, FK_TTRPC_OK, NULL, &r) &&
	     payload_is(&r, mib, MIB);
	fk_ttrpc_result_free(&r);
	check(ok, "Echo of 1 MiB comes back byte for byte");

	test_pipeline(c);

	ok = call_expect(c, SVC, "Fail", NULL, 0, NULL, 0, 0, FK_TTRPC_PERMISSION_DENIED,
			 "go says no", &r) &&
	     r.payload_len == 0;
	fk_ttrpc_result_free(&r);
	check(ok, "Fail: code 7 PermissionDenied, message 'go says no', no payload");
	check(echo_ok(c), "the connection stays usable after an error status");

	ok = call_expect(c, SVC, "Nope", NULL, 0, NULL, 0, 0, FK_TTRPC_UNIMPLEMENTED,
			 "method Nope", &r);
	fk_ttrpc_result_free(&r);
	check(ok, "unknown method: code 12 Unimplemented 'method Nope'");
	ok = call_expect(c, "fusekey.test.Nope", "Echo", NULL, 0, NULL, 0, 0,
			 FK_TTRPC_UNIMPLEMENTED, "service fusekey.test.Nope", &r);
	fk_ttrpc_result_free(&r);
	check(ok, "unknown service: code 12 Unimplemented 'service fusekey.test.Nope'");

	{
		/* Go keeps metadata keys as sent and looks them up lowercased: send lowercase. */
		static const struct fk_ttrpc_kv md[] = {
			{"fk-test", "a"}, {"other", "x"}, {"fk-test", "b\xc3\xa9"}};
		ok = call_expect(c, SVC, "Meta", NULL, 0, md, 3, 0, FK_TTRPC_OK, NULL, &r) &&
		     payload_is(&r, "a,b\xc3\xa9", 5);
		fk_ttrpc_result_free(&r);
		check(ok, "metadata: two values of one key reach the Go handler in order (UTF-8 kept)");
	}

	ok = call_expect(c, SVC, "Deadline", NULL, 0, NULL, 0, 5000000000LL, FK_TTRPC_OK, NULL,
			 &r) &&
	     payload_is(&r, "deadline", 8);
	fk_ttrpc_result_free(&r);
	check(ok, "timeout_nano 5 s: the Go handler's context has a deadline");
	ok = call_expect(c, SVC, "Deadline", NULL, 0, NULL, 0, 0, FK_TTRPC_OK, NULL, &r) &&
	     payload_is(&r, "none", 4);
	fk_ttrpc_result_free(&r);
	check(ok, "timeout 0: no deadline on the Go side");
	ok = call_expect(c, SVC, "Deadline", NULL, 0, NULL, 0, -1, FK_TTRPC_DEADLINE_EXCEEDED,
			 "context deadline exceeded", &r);
	fk_ttrpc_result_free(&r);
	check(ok, "negative timeout_nano: code 4 'context deadline exceeded' from Go");

	/*
	 * Response body = 0x12, a 4-byte varint length, the payload: 4194299 bytes
	 * of payload make a body of exactly 4 MiB, the largest legal frame.
	 */
	fk_put_be32(big_req, 4194299);
	ok = call_expect(c, SVC, "Big", big_req, 4, NULL, 0, 0, FK_TTRPC_OK, NULL, &r) &&
	     big_pattern_ok(&r, 4194299);
	fk_ttrpc_result_free(&r);
	check(ok, "a Response of exactly 4 MiB (payload 4194299 bytes) is accepted");

	/* Our client refuses to send a frame over 4 MiB, and nothing is sent. */
	{
		uint8_t *over = calloc(1, FK_TTRPC_MAX_DATA);
		st = over == NULL ? FUSEKEY_ERR_NO_MEMORY
				  : fk_ttrpc_client_call(c, SVC, "Echo", over, FK_TTRPC_MAX_DATA,
							 NULL, 0, 0, &r);
		fk_ttrpc_result_free(&r);
		free(over);
		check(st == FUSEKEY_ERR_INVALID_PARAMETER,
		      "a request over 4 MiB is refused locally (got %s)", fusekey_status_str(st));
		check(echo_ok(c), "... and the connection is still usable");
	}

	/* Go 1.1.1 sends a Response over 4 MiB: the client must refuse it, not read it. */
	fk_put_be32(big_req, 4194300);
	st = fk_ttrpc_client_call(c, SVC, "Big", big_req, 4, NULL, 0, 0, &r);
	fk_ttrpc_result_free(&r);
	check(st == FUSEKEY_ERR_FORMAT, "a Response of 4 MiB + 1 from Go: FUSEKEY_ERR_FORMAT (got %s)",
	      fusekey_status_str(st));
	st = fk_ttrpc_client_call(c, SVC, "Echo", NULL, 0, NULL, 0, 0, &r);
	fk_ttrpc_result_free(&r);
	check(st != FUSEKEY_OK, "... after which the connection is closed (got %s)",
	      fusekey_status_str(st));
	fk_ttrpc_client_free(c);
	c = NULL;

	st = fk_ttrpc_client_connect(argv[1], &c);
	check(st == FUSEKEY_OK && echo_ok(c), "a new connection to the Go server works");

	fk_ttrpc_client_free(c);
	free(mib);
	printf("1..%d\n", n_tests);
	return n_failed == 0 ? 0 : 1;
}
