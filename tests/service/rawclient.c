/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rawclient: raw ttrpc frames at a running fusekeyd, for the service tests
 * (the scripts in tests/service). One case per run; it prints one line saying what the
 * daemon did and exits 0 when that is what docs/ttrpc.md and
 * docs/service.md say, 1 otherwise (with the reason on stderr), 2 on usage.
 *
 *   rawclient SOCKET garbage N        N random bytes, half-close: any reply is
 *                                     well-formed Response frames, then EOF
 *   rawclient SOCKET garbage-body N   a Request header and N random bytes of
 *                                     body: 3 INVALID_ARGUMENT, then a normal
 *                                     Open on the same connection works
 *   rawclient SOCKET truncated        header says 100 bytes, 50 sent, half-
 *                                     close: no reply, the daemon closes
 *   rawclient SOCKET oversize         a 4 MiB + 1 Request (body sent): 8
 *                                     RESOURCE_EXHAUSTED, connection kept
 *   rawclient SOCKET unknown          unknown service, unknown method: 12
 *                                     UNIMPLEMENTED each, connection kept
 *   rawclient SOCKET open CODE        one Open: the reply's code is CODE
 *   rawclient SOCKET silent BYTES     send BYTES (0..9) of a header, then
 *                                     nothing: the daemon closes; prints ms
 *   rawclient SOCKET refused          the daemon closes at once, no reply
 *   rawclient SOCKET open-hold        Open, print "opened", wait to be killed
 *   rawclient SOCKET midframe-hold    half a frame, print "sent", wait to be
 *                                     killed
 *
 * Waits are bounded (WAIT_MS) so that a daemon that never answers fails the
 * case instead of hanging the suite; no case asserts a speed.
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "delivery/fk_wire.h"
#include "keyservice.pb-c.h"
#include "la/fk_dh_wire.h"
#include "ttrpc/fk_ttrpc.h"

enum {
	WAIT_MS = 20000, /* only a hang (or valgrind on a busy machine) gets near this */
	OVERSIZE = FK_TTRPC_MAX_DATA + 1,
	DAEMON_MAX_REQUEST = 64 * 1024, /* fusekeyd's max_request */
};

static int failf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int failf(const char *fmt, ...)
{
	va_list ap;
	fputs("rawclient: FAIL: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int connect_unix(const char *path)
{
	struct sockaddr_un sa;
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -1;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* 0, or -1 with errno (EPIPE / ECONNRESET when the daemon closed). */
static int write_all(int fd, const void *buf, size_t n)
{
	const uint8_t *p = buf;
	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/*
 * Read exactly n bytes before the deadline. 1: done; 0: EOF (or reset)
 * first, *got says how many came; -1: timeout or another error.
 */
static int read_exact(int fd, uint8_t *buf, size_t n, long long deadline, size_t *got)
{
	size_t have = 0;
	while (have < n) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		long long left = deadline - now_ms();
		if (left <= 0)
			break;
		int pr = poll(&pfd, 1, (int)left);
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr <= 0)
			break;
		ssize_t r = recv(fd, buf + have, n - have, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r == 0 || (r < 0 && errno == ECONNRESET)) {
			if (got != NULL)
				*got = have;
			return 0;
		}
		if (r < 0)
			return -1;
		have += (size_t)r;
	}
	if (got != NULL)
		*got = have;
	return have == n ? 1 : -1;
}

static int send_header(int fd, uint32_t len, uint32_t sid, uint8_t type)
{
	struct fk_ttrpc_hdr h;
	fk_ttrpc_hdr_put(&h, len, sid, type);
	return write_all(fd, &h, sizeof(h));
}

/* A Request frame: header and encoded ttrpc.Request. */
static int send_request(int fd, uint32_t sid, const char *service, const char *method,
			const uint8_t *payload, size_t payload_len)
{
	uint8_t *body = NULL;
	size_t len = 0;
	int rc;

	if (fk_ttrpc_request_encode(service, method, payload, payload_len, 0, NULL, 0, &body,
				    &len) != FUSEKEY_OK)
		return -1;
	rc = send_header(fd, (uint32_t)len, sid, FK_TTRPC_TYPE_REQUEST);
	if (rc == 0 && len > 0)
		rc = write_all(fd, body, len);
	free(body);
	return rc;
}

/*
 * Read one frame; it must be a Response (type 2, flags 0, length <= 4 MiB)
 * that decodes. 1: *res filled, *sid set; 0: EOF before a header byte;
 * -1: anything else (reason on stderr).
 */
static int read_response(int fd, long long deadline, uint32_t *sid, struct fk_ttrpc_result *res)
{
	struct fk_ttrpc_hdr h;
	uint8_t *body = NULL;
	size_t got = 0;
	uint32_t len;
	int r = read_exact(fd, (uint8_t *)&h, sizeof(h), deadline, &got);

	if (r == 0 && got == 0)
		return 0;
	if (r != 1) {
		failf("no complete response header (%zu bytes, %s)", got,
		      r == 0 ? "then EOF" : "then nothing");
		return -1;
	}
	len = fk_be32(h.length);
	*sid = fk_be32(h.stream_id);
	if (h.type != FK_TTRPC_TYPE_RESPONSE || h.flags != 0 || len > FK_TTRPC_MAX_DATA) {
		failf("not a Response frame: type %u flags %u length %u", h.type, h.flags, len);
		return -1;
	}
	if (len > 0) {
		body = malloc(len);
		if (body == NULL || read_exact(fd, body, len, deadline, NULL) != 1) {
			free(body);
			failf("response body of %u bytes not received", len);
			return -1;
		}
	}
	memset(res, 0, sizeof(*res));
	fusekey_status st = fk_ttrpc_response_decode(body, len, res);
	free(body);
	if (st != FUSEKEY_OK) {
		failf("a response body that does not decode (%s)", fusekey_status_name(st));
		return -1;
	}
	return 1;
}

/* Read one response for stream `want`: its code and (copied, cut) message. */
static int expect_response(int fd, uint32_t want, uint32_t *code, char *msg, size_t msg_cap,
			   struct fk_ttrpc_result *keep)
{
	struct fk_ttrpc_result res;
	uint32_t sid = 0;
	int r = read_response(fd, now_ms() + WAIT_MS, &sid, &res);

	if (r == 0)
		return failf("the daemon closed the connection instead of answering stream %u",
			     want);
	if (r < 0)
		return 1;
	if (sid != want) {
		fk_ttrpc_result_free(&res);
		return failf("a response on stream %u, want %u", sid, want);
	}
	*code = res.code;
	snprintf(msg, msg_cap, "%s", res.message);
	if (keep != NULL)
		*keep = res;
	else
		fk_ttrpc_result_free(&res);
	return 0;
}

/* A well-formed Open on stream sid must succeed: a session id and msg1. */
static int open_ok(int fd, uint32_t sid)
{
	struct fk_ttrpc_result res;
	Fusekey__V1__OpenResponse *o;
	uint32_t code = 0;
	char msg[256];
	int rc = 0;

	if (send_request(fd, sid, FK_KEYSERVICE_NAME, "Open", NULL, 0) != 0)
		return failf("sending Open: %s", strerror(errno));
	if (expect_response(fd, sid, &code, msg, sizeof(msg), &res) != 0)
		return 1;
	if (code != FK_TTRPC_OK) {
		fk_ttrpc_result_free(&res);
		return failf("Open answered %u '%s', want 0", code, msg);
	}
	o = fusekey__v1__open_response__unpack(NULL, res.payload_len, res.payload);
	if (o == NULL || o->session_id.len != FK_KEYSERVICE_SESSION_ID_SIZE ||
	    o->msg1.len != sizeof(struct fk_dh_msg1))
		rc = failf("Open answered OK but not with a 16-byte session id and a %zu-byte msg1",
			   sizeof(struct fk_dh_msg1));
	if (o != NULL)
		fusekey__v1__open_response__free_unpacked(o, NULL);
	fk_ttrpc_result_free(&res);
	return rc;
}

/* After a half-close the daemon must close too, sending nothing (or only well-formed replies). */
static int expect_eof(int fd, unsigned *frames, char *codes, size_t codes_cap)
{
	long long deadline = now_ms() + WAIT_MS;
	size_t off = 0;

	*frames = 0;
	codes[0] = '\0';
	for (;;) {
		struct fk_ttrpc_result res;
		uint32_t sid = 0;
		int r = read_response(fd, deadline, &sid, &res);
		if (r == 0)
			return 0;
		if (r < 0)
			return 1;
		(*frames)++;
		if (off < codes_cap)
			off += (size_t)snprintf(codes + off, codes_cap - off, "%s%u", off ? "," : "",
						res.code);
		fk_ttrpc_result_free(&res);
	}
}

static int random_bytes(uint8_t *p, size_t n)
{
	return fk_random(p, n) == FUSEKEY_OK ? 0 : -1;
}

static int case_garbage(int fd, size_t n)
{
	uint8_t *buf = malloc(n);
	unsigned frames = 0;
	char codes[128];

	if (buf == NULL || random_bytes(buf, n) != 0) {
		free(buf);
		return failf("no random bytes");
	}
	if (write_all(fd, buf, n) != 0 && errno != EPIPE && errno != ECONNRESET) {
		free(buf);
		return failf("send: %s", strerror(errno));
	}
	free(buf);
	shutdown(fd, SHUT_WR);
	if (expect_eof(fd, &frames, codes, sizeof(codes)) != 0)
		return 1;
	printf("garbage: %zu random bytes; %u well-formed replies%s%s, then the daemon closed\n",
	       n, frames, frames ? " codes " : "", codes);
	return 0;
}

static int case_garbage_body(int fd, size_t n)
{
	uint8_t *buf = malloc(n);
	uint32_t code = 0;
	char msg[256];

	if (buf == NULL || random_bytes(buf, n) != 0) {
		free(buf);
		return failf("no random bytes");
	}
	if (send_header(fd, (uint32_t)n, 1, FK_TTRPC_TYPE_REQUEST) != 0 ||
	    write_all(fd, buf, n) != 0) {
		free(buf);
		return failf("send: %s", strerror(errno));
	}
	free(buf);
	if (expect_response(fd, 1, &code, msg, sizeof(msg), NULL) != 0)
		return 1;
	/*
	 * 3 is what random bytes give (they do not decode). In the unlikely
	 * case that they decode, the Request names no service of ours (12) or
	 * carries a negative timeout (4): the daemon still answers by the table.
	 */
	if (code != FK_TTRPC_INVALID_ARGUMENT && code != FK_TTRPC_UNIMPLEMENTED &&
	    code != FK_TTRPC_DEADLINE_EXCEEDED)
		return failf("a random body answered %u '%s', want 3", code, msg);
	if (open_ok(fd, 3) != 0)
		return 1;
	printf("garbage-body: %zu random bytes in a Request -> %u '%s'; then Open on the same "
	       "connection OK\n",
	       n, code, msg);
	return 0;
}

static int case_truncated(int fd)
{
	uint8_t half[50];
	unsigned frames = 0;
	char codes[64];

	memset(half, 0x0a, sizeof(half));
	if (send_header(fd, 100, 1, FK_TTRPC_TYPE_REQUEST) != 0 ||
	    write_all(fd, half, sizeof(half)) != 0)
		return failf("send: %s", strerror(errno));
	shutdown(fd, SHUT_WR);
	if (expect_eof(fd, &frames, codes, sizeof(codes)) != 0)
		return 1;
	if (frames != 0)
		return failf("a truncated frame was answered (%u replies, codes %s)", frames, codes);
	printf("truncated: header says 100 bytes, 50 sent, half-closed: no reply, the daemon "
	       "closed\n");
	return 0;
}

static int case_oversize(int fd)
{
	static const uint8_t chunk[65536];
	char msg[256], want[128];
	uint32_t code = 0;
	size_t left = OVERSIZE;

	if (send_header(fd, OVERSIZE, 1, FK_TTRPC_TYPE_REQUEST) != 0)
		return failf("send: %s", strerror(errno));
	/* The daemon reads and discards the body as it comes (docs/ttrpc.md). */
	while (left > 0) {
		size_t n = left < sizeof(chunk) ? left : sizeof(chunk);
		if (write_all(fd, chunk, n) != 0)
			return failf("the daemon stopped reading the body after %zu of %d bytes: %s",
				     (size_t)OVERSIZE - left, OVERSIZE, strerror(errno));
		left -= n;
	}
	if (expect_response(fd, 1, &code, msg, sizeof(msg), NULL) != 0)
		return 1;
	snprintf(want, sizeof(want), "message length %d exceed maximum message size of %d",
		 OVERSIZE, DAEMON_MAX_REQUEST);
	if (code != FK_TTRPC_RESOURCE_EXHAUSTED || strcmp(msg, want) != 0)
		return failf("a %d-byte request answered %u '%s', want 8 '%s'", OVERSIZE, code, msg,
			     want);
	if (open_ok(fd, 3) != 0)
		return 1;
	printf("oversize: %d-byte Request -> 8 '%s'; the connection stays: Open OK\n", OVERSIZE,
	       msg);
	return 0;
}

static int case_unknown(int fd)
{
	static const struct {
		const char *service, *method, *want;
	} calls[] = {
		{"fusekey.v1.Nope", "Open", "service fusekey.v1.Nope"},
		{FK_KEYSERVICE_NAME, "Nope", "method Nope"},
		{"", "", "service "},
	};
	uint32_t sid = 1, code = 0;
	char msg[256];

	for (size_t i = 0; i < sizeof(calls) / sizeof(calls[0]); i++, sid += 2) {
		if (send_request(fd, sid, calls[i].service, calls[i].method, NULL, 0) != 0)
			return failf("send: %s", strerror(errno));
		if (expect_response(fd, sid, &code, msg, sizeof(msg), NULL) != 0)
			return 1;
		if (code != FK_TTRPC_UNIMPLEMENTED || strcmp(msg, calls[i].want) != 0)
			return failf("%s/%s answered %u '%s', want 12 '%s'", calls[i].service,
				     calls[i].method, code, msg, calls[i].want);
	}
	if (open_ok(fd, sid) != 0)
		return 1;
	printf("unknown: service and method -> 12 UNIMPLEMENTED each; the connection stays: "
	       "Open OK\n");
	return 0;
}

static int case_open(int fd, uint32_t want)
{
	uint32_t code = 0;
	char msg[256];

	if (send_request(fd, 1, FK_KEYSERVICE_NAME, "Open", NULL, 0) != 0)
		return failf("send: %s", strerror(errno));
	if (expect_response(fd, 1, &code, msg, sizeof(msg), NULL) != 0)
		return 1;
	if (code != want)
		return failf("Open answered %u '%s', want %u", code, msg, want);
	printf("open: %u '%s'\n", code, msg);
	return 0;
}

/* Send part of a header (or nothing), then stay silent: the daemon must hang up. */
static int case_silent(int fd, long long t0, size_t n)
{
	struct fk_ttrpc_hdr h;
	unsigned frames = 0;
	char codes[64];

	fk_ttrpc_hdr_put(&h, 16, 1, FK_TTRPC_TYPE_REQUEST);
	if (n > 0 && write_all(fd, &h, n) != 0)
		return failf("send: %s", strerror(errno));
	if (expect_eof(fd, &frames, codes, sizeof(codes)) != 0)
		return failf("the daemon did not close a silent connection within %d ms", WAIT_MS);
	if (frames != 0)
		return failf("a silent connection was answered (codes %s)", codes);
	printf("silent: %zu header bytes then nothing; closed by the daemon after %lld ms\n", n,
	       now_ms() - t0);
	return 0;
}

/* A refused peer: the connection is closed at once, before any reply. */
static int case_refused(int fd, long long t0)
{
	unsigned frames = 0;
	char codes[64];

	/* The send may already fail (EPIPE / ECONNRESET): the daemon closed first. */
	(void)send_request(fd, 1, FK_KEYSERVICE_NAME, "Open", NULL, 0);
	if (expect_eof(fd, &frames, codes, sizeof(codes)) != 0)
		return 1;
	if (frames != 0)
		return failf("a refused peer got %u replies (codes %s)", frames, codes);
	printf("refused: closed by the daemon without a reply after %lld ms\n", now_ms() - t0);
	return 0;
}

_Noreturn static void hold(void)
{
	fflush(stdout);
	for (;;)
		pause(); /* until the test kills us */
}

static int case_open_hold(int fd)
{
	if (case_open(fd, FK_TTRPC_OK) != 0)
		return 1;
	printf("opened\n");
	hold();
}

static int case_midframe_hold(int fd)
{
	uint8_t half[50];

	memset(half, 0x0a, sizeof(half));
	if (send_header(fd, 100, 1, FK_TTRPC_TYPE_REQUEST) != 0 ||
	    write_all(fd, half, sizeof(half)) != 0)
		return failf("send: %s", strerror(errno));
	printf("sent\n");
	hold();
}

static int usage(void)
{
	fprintf(stderr, "usage: rawclient SOCKET garbage N | garbage-body N | truncated | oversize |"
			" unknown | open CODE | silent BYTES | refused | open-hold | "
			"midframe-hold\n");
	return 2;
}

static bool parse_size(const char *s, size_t max, size_t *out)
{
	char *end;
	unsigned long v;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || end == s || v > max)
		return false;
	*out = v;
	return true;
}

int main(int argc, char **argv)
{
	const char *mode;
	size_t n = 0;
	long long t0;
	int fd, rc;

	if (argc < 3)
		return usage();
	mode = argv[2];
	if ((strcmp(mode, "garbage") == 0 || strcmp(mode, "garbage-body") == 0) &&
	    (argc != 4 || !parse_size(argv[3], 1u << 20, &n) || n == 0))
		return usage();
	if (strcmp(mode, "silent") == 0 &&
	    (argc != 4 || !parse_size(argv[3], FK_TTRPC_HDR_SIZE - 1, &n)))
		return usage();
	if (strcmp(mode, "open") == 0 && (argc != 4 || !parse_size(argv[3], 16, &n)))
		return usage();
	t0 = now_ms();
	fd = connect_unix(argv[1]);
	if (fd < 0)
		return failf("cannot connect to %s: %s", argv[1], strerror(errno));
	if (strcmp(mode, "garbage") == 0)
		rc = case_garbage(fd, n);
	else if (strcmp(mode, "garbage-body") == 0)
		rc = case_garbage_body(fd, n);
	else if (strcmp(mode, "truncated") == 0)
		rc = case_truncated(fd);
	else if (strcmp(mode, "oversize") == 0)
		rc = case_oversize(fd);
	else if (strcmp(mode, "unknown") == 0)
		rc = case_unknown(fd);
	else if (strcmp(mode, "open") == 0)
		rc = case_open(fd, (uint32_t)n);
	else if (strcmp(mode, "silent") == 0)
		rc = case_silent(fd, t0, n);
	else if (strcmp(mode, "refused") == 0)
		rc = case_refused(fd, t0);
	else if (strcmp(mode, "open-hold") == 0)
		rc = case_open_hold(fd);
	else if (strcmp(mode, "midframe-hold") == 0)
		rc = case_midframe_hold(fd);
	else
		rc = usage();
	close(fd);
	return rc;
}
