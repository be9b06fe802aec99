/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ttrpc server and client end to end, over real Unix sockets (docs/ttrpc.md):
 * the Go server's behaviours (shared/docs/reference/ttrpc.md §4) checked on
 * raw frames, the client's pipelining, timeouts and errors, and the limits
 * (frame size, connections, slow and idle clients, unread responses).
 *
 * Most tests run the server on a thread of this process; those about the
 * process itself (RSS with 1,000 connections, no wake-ups while idle,
 * SIGTERM) run ttrpc_echo_server, whose path is argv[1].
 * Every test checks that it leaves no file descriptor open.
 *
 * No assertion is about speed: waits are for events, with generous limits
 * (10 s) that only a hang would hit.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "echo_service.h"
#include "test_util.h"
#include "ttrpc/fk_ttrpc_addr.h"

#define WAIT_MS 10000 /* only a hang reaches this */
#define SEC 1000000000LL

static const char *server_exe; /* argv[1] */

/* ---- small helpers ---- */

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;
	struct dirent *e;
	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1; /* the DIR's own */
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* ---- fixture: a server on a thread ---- */

struct fx {
	char dir[200];
	char path[256];
	int fds_before;
	struct fk_ttrpc_method methods[8];
	struct echo_counters cnt;
	struct fk_ttrpc_server *srv;
	pthread_t th;
	bool running;
	fusekey_status run_st;
	/* accept_peer: refuse this uid (-1: allow all); the last peer seen */
	long refuse_uid;
	struct fk_ttrpc_peer last_peer;
	pid_t child; /* ttrpc_echo_server, killed on teardown if still there */
	pthread_mutex_t mu;
	char log[16384];
	size_t log_len;
	/* the loop's spin and after_events hook (fx_after), for fx_start */
	uint32_t spin_us;
	bool use_after;
	atomic_uint after_calls;     /* hook runs */
	atomic_uint after_saw_calls; /* the handler count the last run saw */
	atomic_bool after_wrong_thread;
	atomic_uint after_rearm; /* the hook asks to run again 30 ms later this many times */
	bool tcp; /* fx_start listens on tcp:127.0.0.1:0; path becomes its address */
	long allow_only_uid; /* accept_peer: >= 0 allows only this uid */
};

static uint64_t fx_after(void *arg);

static void fx_log(void *arg, const char *line)
{
	struct fx *f = arg;
	size_t n = strlen(line);
	pthread_mutex_lock(&f->mu);
	if (f->log_len + n + 2 < sizeof(f->log)) {
		memcpy(f->log + f->log_len, line, n);
		f->log_len += n;
		f->log[f->log_len++] = '\n';
		f->log[f->log_len] = '\0';
	}
	pthread_mutex_unlock(&f->mu);
}

static bool fx_log_has(struct fx *f, const char *needle)
{
	bool r;
	pthread_mutex_lock(&f->mu);
	r = strstr(f->log, needle) != NULL;
	pthread_mutex_unlock(&f->mu);
	return r;
}

static bool fx_accept_peer(void *arg, const struct fk_ttrpc_peer *peer)
{
	struct fx *f = arg;
	pthread_mutex_lock(&f->mu);
	f->last_peer = *peer;
	pthread_mutex_unlock(&f->mu);
	if (f->allow_only_uid >= 0 && (long)peer->uid != f->allow_only_uid)
		return false;
	return f->refuse_uid < 0 || (long)peer->uid != f->refuse_uid;
}

static void *fx_thread(void *arg)
{
	struct fx *f = arg;
	f->run_st = fk_ttrpc_server_run(f->srv);
	return NULL;
}

static void fx_start(struct fx *f, uint32_t max_request, uint32_t conn_timeout_ms,
		     size_t max_connections)
{
	struct fk_ttrpc_server_config cfg;
	int fd;

	memset(&cfg, 0, sizeof(cfg));
	cfg.methods = f->methods;
	cfg.n_methods = echo_methods(f->methods, 8, &f->cnt);
	cfg.max_request = max_request;
	cfg.conn_timeout_ms = conn_timeout_ms;
	cfg.max_connections = max_connections;
	cfg.accept_peer = fx_accept_peer;
	cfg.accept_arg = f;
	cfg.log = fx_log;
	cfg.log_arg = f;
	cfg.spin_us = f->spin_us;
	if (f->use_after) {
		cfg.after_events = fx_after;
		cfg.after_arg = f;
	}
	if (f->tcp) {
		EXPECT_OK(fk_ttrpc_listen_tcp("tcp:127.0.0.1:0", &fd));
		EXPECT_OK(fk_ttrpc_addr_of_socket(fd, f->path, sizeof(f->path)));
	} else {
		EXPECT_OK(fk_ttrpc_listen_unix(f->path, 0600, &fd));
	}
	EXPECT_OK(fk_ttrpc_server_new(&cfg, fd, &f->srv));
	assert_int_equal(pthread_create(&f->th, NULL, fx_thread, f), 0);
	f->running = true;
}

static void fx_stop(struct fx *f)
{
	if (!f->running)
		return;
	fk_ttrpc_server_stop(f->srv);
	assert_int_equal(pthread_join(f->th, NULL), 0);
	f->running = false;
	EXPECT_OK(f->run_st);
	fk_ttrpc_server_free(f->srv);
	f->srv = NULL;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	if (f == NULL)
		return -1;
	f->fds_before = count_fds();
	th_tmpdir(f->dir, sizeof(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/ttrpc.sock", f->dir);
	f->refuse_uid = -1;
	f->allow_only_uid = -1;
	pthread_mutex_init(&f->mu, NULL);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	int fds;
	fx_stop(f);
	if (f->child > 0) {
		kill(f->child, SIGKILL);
		waitpid(f->child, NULL, 0);
	}
	th_rmtree(f->dir);
	pthread_mutex_destroy(&f->mu);
	fds = count_fds();
	if (fds != f->fds_before) {
		fprintf(stderr, "# fd leak: %d open before, %d after\n", f->fds_before, fds);
		free(f);
		return -1;
	}
	free(f);
	return 0;
}

/* Wait until the server has logged this (it acts on its own thread). */
static void wait_log(struct fx *f, const char *needle)
{
	uint64_t end = now_ms() + WAIT_MS;
	while (!fx_log_has(f, needle)) {
		if (now_ms() > end)
			fail_msg("the server did not log \"%s\"", needle);
		sleep_ms(5);
	}
}

/* Wait until the server holds n connections (it drops them on its own time). */
static void wait_connections(struct fx *f, size_t n)
{
	uint64_t end = now_ms() + WAIT_MS;
	while (fk_ttrpc_server_connections(f->srv) != n) {
		if (now_ms() > end)
			fail_msg("server holds %zu connections, expected %zu",
				 fk_ttrpc_server_connections(f->srv), n);
		sleep_ms(5);
	}
}

/* ---- raw frames ---- */

static int raw_connect(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

static void raw_write(int fd, const void *p, size_t n)
{
	const uint8_t *b = p;
	while (n > 0) {
		ssize_t w = send(fd, b, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		assert_true(w > 0);
		b += w;
		n -= (size_t)w;
	}
}

/* A header declaring len, then body_len bytes of body. */
static void raw_frame(int fd, uint32_t len, uint32_t id, uint8_t type, const void *body,
		      size_t body_len)
{
	struct fk_ttrpc_hdr h;
	fk_ttrpc_hdr_put(&h, len, id, type);
	raw_write(fd, &h, sizeof(h));
	if (body_len != 0)
		raw_write(fd, body, body_len);
}

/* A whole Request frame in a malloc'd buffer. */
static uint8_t *request_frame(uint32_t id, const char *method, const void *pl, size_t n,
			      int64_t timeout, size_t *frame_len)
{
	uint8_t *body, *frame;
	size_t len;
	EXPECT_OK(fk_ttrpc_request_encode(ECHO_SERVICE, method, pl, n, timeout, NULL, 0, &body,
					  &len));
	frame = malloc(FK_TTRPC_HDR_SIZE + len);
	assert_non_null(frame);
	fk_ttrpc_hdr_put((struct fk_ttrpc_hdr *)frame, (uint32_t)len, id, FK_TTRPC_TYPE_REQUEST);
	if (len != 0)
		memcpy(frame + FK_TTRPC_HDR_SIZE, body, len);
	free(body);
	*frame_len = FK_TTRPC_HDR_SIZE + len;
	return frame;
}

static void raw_request(int fd, uint32_t id, const char *method, const void *pl, size_t n)
{
	size_t len;
	uint8_t *frame = request_frame(id, method, pl, n, 0, &len);
	raw_write(fd, frame, len);
	free(frame);
}

/* Read exactly n bytes; false on EOF. Fails the test after WAIT_MS. */
static bool raw_read(int fd, void *p, size_t n)
{
	uint8_t *b = p;
	uint64_t end = now_ms() + WAIT_MS;
	while (n > 0) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		ssize_t r;
		if (now_ms() > end)
			fail_msg("no data from the server within %d ms", WAIT_MS);
		if (poll(&pfd, 1, 100) <= 0)
			continue;
		r = read(fd, b, n);
		if (r == 0)
			return false;
		if (r < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r < 0 && errno == ECONNRESET)
			return false;
		assert_true(r > 0);
		b += r;
		n -= (size_t)r;
	}
	return true;
}

/* The next frame must be a Response; its raw length is returned too. */
static void raw_response(int fd, uint32_t *id, struct fk_ttrpc_result *res, uint32_t *raw_len)
{
	struct fk_ttrpc_hdr h;
	uint8_t *body = NULL;
	uint32_t len;

	assert_true(raw_read(fd, &h, sizeof(h)));
	len = fk_be32(h.length);
	assert_int_equal(h.type, FK_TTRPC_TYPE_RESPONSE);
	assert_int_equal(h.flags, 0);
	assert_true(len <= FK_TTRPC_MAX_DATA);
	if (len != 0) {
		body = malloc(len);
		assert_non_null(body);
		assert_true(raw_read(fd, body, len));
	}
	*id = fk_be32(h.stream_id);
	if (raw_len != NULL)
		*raw_len = len;
	EXPECT_OK(fk_ttrpc_response_decode(body, len, res)); /* also: every string is UTF-8 */
	free(body);
}

/* Expect a response with this id and code (and message, if not NULL). */
static void expect_status(int fd, uint32_t want_id, uint32_t code, const char *message)
{
	struct fk_ttrpc_result r;
	uint32_t id;
	raw_response(fd, &id, &r, NULL);
	assert_int_equal(id, want_id);
	assert_int_equal(r.code, code);
	if (message != NULL)
		assert_string_equal(r.message, message);
	assert_int_equal(r.payload_len, 0);
	fk_ttrpc_result_free(&r);
}

/* An Echo round trip on a raw connection: proves it is still in sync. */
static void expect_echo(int fd, uint32_t id)
{
	struct fk_ttrpc_result r;
	uint32_t got;
	char pl[32];
	int n = snprintf(pl, sizeof(pl), "still usable %u", id);
	raw_request(fd, id, "Echo", pl, (size_t)n);
	raw_response(fd, &got, &r, NULL);
	assert_int_equal(got, id);
	assert_int_equal(r.code, FK_TTRPC_OK);
	assert_int_equal(r.payload_len, (size_t)n);
	assert_memory_equal(r.payload, pl, (size_t)n);
	fk_ttrpc_result_free(&r);
}

/* Wait for the server to close: EOF (responses read and dropped meanwhile). */
static bool raw_wait_eof(int fd)
{
	uint8_t buf[4096];
	uint64_t end = now_ms() + WAIT_MS;
	while (now_ms() < end) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		ssize_t r;
		if (poll(&pfd, 1, 100) <= 0)
			continue;
		r = read(fd, buf, sizeof(buf));
		if (r == 0 || (r < 0 && errno == ECONNRESET))
			return true;
	}
	return false;
}

static fusekey_status echo_call(struct fk_ttrpc_client *c, const char *pl, int64_t timeout)
{
	struct fk_ttrpc_result r;
	fusekey_status st = fk_ttrpc_client_call(c, ECHO_SERVICE, "Echo", (const uint8_t *)pl,
						 strlen(pl), NULL, 0, timeout, &r);
	if (st == FUSEKEY_OK) {
		assert_int_equal(r.code, FK_TTRPC_OK);
		assert_int_equal(r.payload_len, strlen(pl));
		assert_memory_equal(r.payload, pl, strlen(pl));
	}
	fk_ttrpc_result_free(&r);
	return st;
}

/* ---- calls through the client ---- */

static void test_unary_call(void **state)
{
	struct fx *f = *state;
	struct fk_ttrpc_client *c;
	struct fk_ttrpc_result r;
	struct stat sb;

	fx_start(f, 0, 0, 0);
	assert_int_equal(lstat(f->path, &sb), 0);
	assert_true(S_ISSOCK(sb.st_mode));
	assert_int_equal(sb.st_mode & 0777, 0600);

	EXPECT_OK(fk_ttrpc_client_connect(f->path, &c));
	EXPECT_OK(echo_call(c, "hello", 0));
	EXPECT_OK(echo_call(c, "with a deadline", 5 * SEC));

	/* The handler sees the peer and the deadline. */
	EXPECT_OK(fk_ttrpc_client_call(c, ECHO_SERVICE, "Info", NULL, 0, NULL, 0, 5 * SEC, &r));
	assert_int_equal(r.code, FK_TTRPC_OK);
	assert_int_equal(r.payload_len, 17);
	assert_int_equal(fk_be32(r.payload), (uint32_t)getuid());
	assert_int_equal(fk_be32(r.payload + 4), (uint32_t)getpid());
	assert_int_equal(r.payload[8], 'D');
	{
		uint64_t left = (uint64_t)fk_be32(r.payload + 9) << 32 | fk_be32(r.payload + 13);
		assert_true(left > 0 && left <= 5 * (uint64_t)SEC);
	}
	fk_ttrpc_result_free(&r);
	EXPECT_OK(fk_ttrpc_client_call(c, ECHO_SERVICE, "Info", NULL, 0, NULL, 0, 0, &r));
	assert_int_equal(r.payload_len, 8); /* no deadline */
	fk_ttrpc_result_free(&r);
	assert_int_equal(atomic_load(&f->cnt.calls), 4);
	fk_ttrpc_client_free(c);
}

static void test_metadata(void **state)
{
	struct fx *f = *state;
	const struct fk_ttrpc_kv md[] = {{"containerd-namespace-ttrpc", "k8s.io"},
					 {"x", "1"},
					 {"x", "2"},
					 {"caf\xc3\xa9", "\xe2\x82\xac"}};
	const char *want = "containerd-namespace-ttrpc=k8s.io;x=1;x=2;caf\xc3\xa9=\xe2\x82\xac;";
	struct fk_ttrpc_client *c;
	struct fk_ttrpc_result r;

	fx_start(f, 0, 0, 0);
	EXPECT_OK(fk_ttrpc_client_connect(f->path, &c));
	EXPECT_OK(fk_ttrpc_client_call(c, ECHO_SERVICE, "Meta", NULL, 0, md, 4, 0, &r));
	assert_int_equal(r.payload_len, strlen(want));
	assert_memory_equal(r.payload, want, strlen(want));
	fk_ttrpc_result_free(&r);
	fk_ttrpc_client_free(c);
}

static void test_empty_payload_zero_length_frames(void **state)
{
	struct fx *f = *state;
	struct fk_ttrpc_client *c;
	struct fk_ttrpc_result r;
	uint32_t id, raw_len = 99;
	int fd;

	fx_start(f, 0, 0, 0);
	/* Echo of nothing: the OK Response with an empty payload is a 0-length frame. */
	fd = raw_connect(f->path);
	raw_request(fd, 1, "Echo", NULL, 0);
	raw_response(fd, &id, &r, &raw_len);
	assert_int_equal(id, 1);
	assert_int_equal(raw_len, 0);
	assert_int_equal(r.code, FK_TTRPC_OK);
	fk_ttrpc_result_free(&r);
	/* A 0-length Request (all fields empty) is the empty Request: "service ". */
	raw_frame(fd, 0, 3, FK_TTRPC_TYPE_REQUEST, NULL, 0);
	expect_status(fd, 3, FK_TTRPC_UNIMPLEMENTED, "service ");
	close(fd);

	/* The client takes a 0-length Response too. */
	EXPECT_OK(fk_ttrpc_client_connect(f->path, &c));
	EXPECT_OK(fk_ttrpc_client_call(c, ECHO_SERVICE, "Echo", NULL, 0, NULL, 0, 0, &r));
	assert_int_equal(r.code, FK_TTRPC_OK);
	assert_int_equal(r.payload_len, 0);
	assert_null(r.payload);
	assert_string_equal(r.message, "");
	fk_ttrpc_result_free(&r);
	fk_ttrpc_client_free(c);
}

static void test_pipelining(void **state)
{
	struct fx *f = *state;
	struct fk_ttrpc_client *c;
	uint32_t ids[50];

	fx_start(f, 0, 0, 0);
	EXPECT_OK(fk_ttrpc_client_connect(f->path, &c));
	for (uint32_t i = 0; i < 50; i++) {
		char pl[32];
		int n = snprintf(pl, sizeof(pl), "request %u", i);
		EXPECT_OK(fk_ttrpc_client_send(c, ECHO_SERVICE, "Echo", (const uint8_t *)pl,
					       (size_t)n, NULL, 0, 0, &ids[i]));
		assert_int_equal(ids[i], 1 + 2 * i); /* odd, from 1, +2 */
	}
	for (uint32_t i = 50; i-- > 0;) { /* the last first: the others wait for their callers */
		struct fk_ttrpc_result r;
		char pl[32];
		int n = snprintf(pl, sizeof(pl), "request %u", i);
		EXPECT_OK(fk_ttrpc_client_wait(c, ids[i], 10 * SEC, &r));
		assert_int_equal(r.code, FK_TTRPC_OK);
		assert_int_equal(r.payload_len, (size_t)n);
		assert_memory_equal(r.payload, pl, (size_t)n);
		fk_ttrpc_result_free(&r);
	}
	/* Waited for already, or never sent: */
	{
		struct fk_ttrpc_result r;
		EXPECT_STATUS(fk_ttrpc_client_wait(c, ids[3], 0, &r), FUSEKEY_ERR_INVALID_PARAMETER);
		EXPECT_STATUS(fk_ttrpc_client_wait(c, 2, 0, &r), FUSEKEY_ERR_INVALID_PARAMETER);
	}
	fk_ttrpc_client_free(c);
}

/* Many requests in one write: all answered, in order, on their ids. */
static void test_pipelined_raw_burst(void **state)
{
	struct fx *f = *state;
	uint8_t *all = NULL;
	size_t total = 0;
	int fd;

	fx_start(f, 0, 0, 0);
	fd = raw_connect(f->path);
	for (uint32_t i = 0; i < 500; i++) {
		size_t len;
		char pl[16];
		int n = snprintf(pl, sizeof(pl), "%u", i);
		uint8_t *frame = request_frame(2 * i + 1, "Echo", pl, (size_t)n, 0, &len);
		all = realloc(all, total + len);
		assert_non_null(all);
		memcpy(all + total, frame, len);
		total += len;
		free(frame);
	}
	raw_write(fd, all, total);
	free(all);
	for (uint32_t i = 0; i < 500; i++) {
		struct fk_ttrpc_result r;
		uint32_t id;
		char pl[16];
		int n = snprintf(pl, sizeof(pl), "%u", i);
		raw_response(fd, &id, &r, NULL);
		assert_int_equal(id, 2 * i + 1);
		assert_int_equal(r.payload_len, (size_t)n);
		assert_memory_equal(r.payload, pl, (size_t)n);
		fk_ttrpc_result_free(&r);
	}
	close(fd);
}

/* ---- the Go server's error behaviours ---- */

static void test_unknown_service_and_method(void **state)
{
	struct fx *f = *state;
	struct fk_ttrpc_client *c;
	struct fk_ttrpc_result r;
	char *longname;

	fx_start(f, 0, 0, 0);
	EXPECT_OK(fk_ttrpc_client_connect(f->path, &c));
	EXPECT_OK(fk_ttrpc_client_call(c, "nope.v1.Svc", "Echo", NULL, 0, NULL, 0, 0, &r));
	assert_int_equal(r.code, FK_TTRPC_UNIMPLEMENTED);
	assert_string_equal(r.message, "service nope.v1.Svc");
	fk_ttrpc_result_free(&r);
	EXPECT_OK(fk_ttrpc_client_call(c, ECHO_SERVICE, "Nope", NULL, 0, NULL, 0, 0, &r));
	assert_int_equal(r.code, FK_TTRPC_UNIMPLEMENTED);
	assert_string_equal(r.message, "method Nope");
	fk_ttrpc_result_free(&r);
	/* Names are case-sensitive, as in Go. */
	EXPECT_OK(fk_ttrpc_client_call(c, ECHO_SERVICE, "echo", NULL, 0, NULL, 0, 0, &r));
	assert_int_equal(r.code, FK_TTRPC_UNIMPLEMENTED);
	assert_string_equal(r.message, "method echo");
	fk_ttrpc_result_free(&r);
	/* A huge unknown name is cut in the message: the reply stays small and UTF-8. */
	longname = malloc(100001);
	assert_non_null(longname);
	for (size_t i = 0; i < 100000; i += 2) {
		longname[i] = (char)0xc3;
		longname[i + 1] = (char)0xa9;
	}
	longname[100000] = '\0';
	EXPECT_OK(fk_ttrpc_client_call(c, longname, "M", NULL, 0, NULL, 0, 0, &r));
	assert_int_equal(r.code, FK_TTRPC_UNIMPLEMENTED);
	assert_true(strlen(r.message) < FK_TTRPC_MAX_STATUS_MESSAGE);
	assert_true(strncmp(r.message, "service \xc3\xa9\xc3\xa9", 12) == 0);
	fk_ttrpc_result_free(&r);
	free(longname);
	assert_int_equal(atomic_load(&f->cnt.calls), 0); /* no handler ran */
	EXPECT_OK(echo_call(c, "after", 0));
	fk_ttrpc_client_free(c);
}

static void test_handler_status_sanitised(void **state)
{
	struct fx *f = *state;
	struct fk_ttrpc_client *c;
	struct fk_ttrpc_result r;
	const uint8_t code = FK_TTRPC_PERMISSION_DENIED;

	fx_start(f, 0, 0, 0);
	EXPECT_OK(fk_ttrpc_client_connect(f->path, &c));
	/* The raw message is not UTF-8: a Go client would fail to decode it. */
	EXPECT_OK(fk_ttrpc_client_call(c, ECHO_SERVICE, "Fail", &code, 1, NULL, 0, 0, &r));
	assert_int_equal(r.code, FK_TTRPC_PERMISSION_DENIED);
	assert_string_equal(r.message, ECHO_FAIL_SANITISED);
	assert_int_equal(r.payload_len, 0); /* the handler's payload is not sent with an error */
	fk_ttrpc_result_free(&r);
	EXPECT_OK(fk_ttrpc_client_call(c, ECHO_SERVICE, "Fail", NULL, 0, NULL, 0, 0, &r));
	assert_int_equal(r.code, FK_TTRPC_INTERNAL);
	fk_ttrpc_result_free(&r);
	fk_ttrpc_client_free(c);
}

static void test_garbage_body(void **state)
{
	struct fx *f = *state;
	static const uint8_t garbage[] = {0xff, 0xff, 0xff, 0xff, 0x0f};
	static const uint8_t bad_utf8[] = {0x0a, 0x02, 0xc0, 0x80}; /* service: overlong NUL */
	struct fk_ttrpc_result r;
	uint32_t id;
	int fd;

	fx_start(f, 0, 0, 0);
	fd = raw_connect(f->path);
	raw_frame(fd, sizeof(garbage), 1, FK_TTRPC_TYPE_REQUEST, garbage, sizeof(garbage));
	raw_response(fd, &id, &r, NULL);
	assert_int_equal(id, 1);
	assert_int_equal(r.code, FK_TTRPC_INVALID_ARGUMENT);
	assert_true(strncmp(r.message, "unmarshal request error: ", 25) == 0);
	fk_ttrpc_result_free(&r);
	expect_echo(fd, 3);
	raw_frame(fd, sizeof(bad_utf8), 5, FK_TTRPC_TYPE_REQUEST, bad_utf8, sizeof(bad_utf8));
	raw_response(fd, &id, &r, NULL);
	assert_int_equal(id, 5);
	assert_int_equal(r.code, FK_TTRPC_INVALID_ARGUMENT);
	fk_ttrpc_result_free(&r);
	expect_echo(fd, 7);
	close(fd);
}

static void test_even_stream_id(void **state)
{
	struct fx *f = *state;
	int fd;

	fx_start(f, 0, 0, 0);
	fd = raw_connect(f->path);
	raw_request(fd, 2, "Echo", "x", 1);
	expect_status(fd, 2, FK_TTRPC_INVALID_ARGUMENT,
		      "StreamID must be odd for client initiated streams");
	raw_request(fd, 0, "Echo", "x", 1);
	expect_status(fd, 0, FK_TTRPC_INVALID_ARGUMENT,
		      "StreamID must be odd for client initiated streams");
	/* Go 1.1.1 decodes first: an undecodable body on an even id is InvalidArgument too. */
	raw_frame(fd, 1, 4, FK_TTRPC_TYPE_REQUEST, "\xff", 1);
	{
		struct fk_ttrpc_result r;
		uint32_t id;
		raw_response(fd, &id, &r, NULL);
		assert_int_equal(id, 4);
		assert_int_equal(r.code, FK_TTRPC_INVALID_ARGUMENT);
		assert_true(strncmp(r.message, "unmarshal request error: ", 25) == 0);
		fk_ttrpc_result_free(&r);
	}
	expect_echo(fd, 1);
	assert_int_equal(atomic_load(&f->cnt.calls), 1);
	close(fd);
}

static void test_other_frame_types_ignored(void **state)
{
	struct fx *f = *state;
	size_t len;
	uint8_t *frame;
	int fd;

	fx_start(f, 0, 0, 0);
	fd = raw_connect(f->path);
	/* A Data frame (protocol 1.2), a Response and an unknown type, each carrying a valid Request body. */
	frame = request_frame(1, "Echo", "ignored", 7, 0, &len);
	for (uint8_t type = FK_TTRPC_TYPE_RESPONSE; type <= 9; type++) {
		((struct fk_ttrpc_hdr *)frame)->type = type;
		raw_write(fd, frame, len);
	}
	free(frame);
	raw_frame(fd, 0, 11, FK_TTRPC_TYPE_DATA, NULL, 0);
	/* Flags are ignored on a Request (treated as unary). */
	frame = request_frame(13, "Echo", "flags", 5, 0, &len);
	((struct fk_ttrpc_hdr *)frame)->flags = 0x02;
	raw_write(fd, frame, len);
	free(frame);
	{
		struct fk_ttrpc_result r;
		uint32_t id;
		raw_response(fd, &id, &r, NULL); /* the first response is for the Request */
		assert_int_equal(id, 13);
		assert_int_equal(r.payload_len, 5);
		fk_ttrpc_result_free(&r);
	}
	expect_echo(fd, 15);
	assert_int_equal(atomic_load(&f->cnt.calls), 2);
	close(fd);
}

static void test_deadline_exceeded(void **state)
{
	struct fx *f = *state;
	struct fk_ttrpc_client *c;
	struct fk_ttrpc_result r;
	uint32_t id;

	fx_start(f, 0, 0, 0);
	EXPECT_OK(fk_ttrpc_client_connect(f->path, &c));
	/* timeout_nano < 0: already expired; the handler does not run. */
	EXPECT_OK(fk_ttrpc_client_call(c, ECHO_SERVICE, "Echo", (const uint8_t *)"x", 1, NULL, 0,
				       -1, &r));
	assert_int_equal(r.code, FK_TTRPC_DEADLINE_EXCEEDED);
	assert_string_equal(r.message, "context deadline exceeded");
	assert_int_equal(r.payload_len, 0);
	fk_ttrpc_result_free(&r);
	EXPECT_OK(fk_ttrpc_client_send(c, ECHO_SERVICE, "Echo", NULL, 0, NULL, 0, INT64_MIN, &id));
	EXPECT_OK(fk_ttrpc_client_wait(c, id, 0, &r));
	assert_int_equal(r.code, FK_TTRPC_DEADLINE_EXCEEDED);
	fk_ttrpc_result_free(&r);
	/* ... but an unknown method is still Unimplemented (resolved first, as in Go). */
	EXPECT_OK(fk_ttrpc_client_call(c, ECHO_SERVICE, "Nope", NULL, 0, NULL, 0, -1, &r));
	assert_int_equal(r.code, FK_TTRPC_UNIMPLEMENTED);
	fk_ttrpc_result_free(&r);
	assert_int_equal(atomic_load(&f->cnt.calls), 0);
	EXPECT_OK(echo_call(c, "fine", 0));
	fk_ttrpc_client_free(c);
}

/* ---- sizes ---- */

static void discard_body(int fd, size_t n)
{
	uint8_t *zero = calloc(1, 65536);
	assert_non_null(zero);
	while (n > 0) {
		size_t k = n < 65536 ? n : 65536;
		raw_write(fd, zero, k);
		n -= k;
	}
	free(zero);
}

static void test_oversize_frame(void **state)
{
	struct fx *f = *state;
	int fd;

	fx_start(f, 0, 0, 0);
	fd = raw_connect(f->path);
	raw_frame(fd, FK_TTRPC_MAX_DATA + 1, 1, FK_TTRPC_TYPE_REQUEST, NULL, 0);
	discard_body(fd, FK_TTRPC_MAX_DATA + 1);
	expect_status(fd, 1, FK_TTRPC_RESOURCE_EXHAUSTED,
		      "message length 4194305 exceed maximum message size of 4194304");
	expect_echo(fd, 3);
	/* A 4 GiB frame is discarded as it comes, never buffered; give up after 5 MiB. */
	raw_frame(fd, 0xffffffffu, 5, FK_TTRPC_TYPE_REQUEST, NULL, 0);
	discard_body(fd, 5u << 20);
	close(fd);
	wait_connections(f, 0);

	/* The length check comes before the type check (Go 1.1.1's order). */
	fd = raw_connect(f->path);
	raw_frame(fd, FK_TTRPC_MAX_DATA + 1000, 7, FK_TTRPC_TYPE_DATA, NULL, 0);
	discard_body(fd, FK_TTRPC_MAX_DATA + 1000);
	expect_status(fd, 7, FK_TTRPC_RESOURCE_EXHAUSTED,
		      "message length 4195304 exceed maximum message size of 4194304");
	expect_echo(fd, 9);
	close(fd);
}

static void test_max_request_smaller(void **state)
{
	struct fx *f = *state;
	uint8_t pl[1024];
	size_t len, plen;
	uint8_t *frame;
	int fd;

	fx_start(f, 1024, 0, 0);
	fd = raw_connect(f->path);
	raw_frame(fd, 1025, 1, FK_TTRPC_TYPE_REQUEST, NULL, 0);
	discard_body(fd, 1025);
	expect_status(fd, 1, FK_TTRPC_RESOURCE_EXHAUSTED,
		      "message length 1025 exceed maximum message size of 1024");
	expect_echo(fd, 3);

	/* A body of exactly max_request is served: find the payload size that makes it 1024. */
	memset(pl, 'p', sizeof(pl));
	for (plen = 900;; plen++) {
		frame = request_frame(5, "Echo", pl, plen, 0, &len);
		if (len - FK_TTRPC_HDR_SIZE == 1024)
			break;
		free(frame);
		assert_true(plen < 1024);
	}
	raw_write(fd, frame, len);
	free(frame);
	{
		struct fk_ttrpc_result r;
		uint32_t id;
		raw_response(fd, &id, &r, NULL);
		assert_int_equal(id, 5);
		assert_int_equal(r.code, FK_TTRPC_OK);
		assert_int_equal(r.payload_len, plen);
		fk_ttrpc_result_free(&r);
	}
	/* One byte more is refused. */
	frame = request_frame(7, "Echo", pl, plen + 1, 0, &len);
	raw_write(fd, frame, len);
	free(frame);
	expect_status(fd, 7, FK_TTRPC_RESOURCE_EXHAUSTED,
		      "message length 1025 exceed maximum message size of 1024");
	expect_echo(fd, 9);
	close(fd);
}

static void test_exactly_4mib(void **state)
{
	struct fx *f = *state;
	struct fk_ttrpc_client *c;
	struct fk_ttrpc_result r;
	uint8_t *pl, *body, be[4];
	size_t len, plen;

	fx_start(f, 0, 0, 0);
	pl = malloc(FK_TTRPC_MAX_DATA);
	assert_non_null(pl);
	for (size_t i = 0; i < FK_TTRPC_MAX_DATA; i++)
		pl[i] = (uint8_t)(i * 7);
	/* Request body = service (2+17) + method (2+4) + payload (1+4+n) = 4 MiB. */
	plen = FK_TTRPC_MAX_DATA - 30;
	EXPECT_OK(fk_ttrpc_request_encode(ECHO_SERVICE, "Echo", pl, plen, 0, NULL, 0, &body, &len));
	assert_int_equal(len, FK_TTRPC_MAX_DATA);
	free(body);

	EXPECT_OK(fk_ttrpc_client_connect(f->path, &c));
	EXPECT_OK(fk_ttrpc_client_call(c, ECHO_SERVICE, "Echo", pl, plen, NULL, 0, 0, &r));
	assert_int_equal(r.code, FK_TTRPC_OK);
	assert_int_equal(r.payload_len, plen);
	assert_memory_equal(r.payload, pl, plen);
	fk_ttrpc_result_free(&r);
	/* The client refuses to send one byte more (a newer peer's behaviour). */
	EXPECT_STATUS(fk_ttrpc_client_call(c, ECHO_SERVICE, "Echo", pl, plen + 1, NULL, 0, 0, &r),
		      FUSEKEY_ERR_INVALID_PARAMETER);

	/* A reply that would not fit in 4 MiB becomes RESOURCE_EXHAUSTED... */
	fk_put_be32(be, FK_TTRPC_MAX_DATA);
	EXPECT_OK(fk_ttrpc_client_call(c, ECHO_SERVICE, "Big", be, 4, NULL, 0, 0, &r));
	assert_int_equal(r.code, FK_TTRPC_RESOURCE_EXHAUSTED);
	assert_string_equal(r.message, "response exceeds maximum message size of 4194304");
	fk_ttrpc_result_free(&r);
	/* ... and one that exactly fits goes out. */
	fk_put_be32(be, FK_TTRPC_MAX_DATA - 5);
	EXPECT_OK(fk_ttrpc_client_call(c, ECHO_SERVICE, "Big", be, 4, NULL, 0, 0, &r));
	assert_int_equal(r.code, FK_TTRPC_OK);
	assert_int_equal(r.payload_len, FK_TTRPC_MAX_DATA - 5);
	fk_ttrpc_result_free(&r);
	fk_ttrpc_client_free(c);
	free(pl);
}

static void test_split_byte_by_byte(void **state)
{
	struct fx *f = *state;
	uint8_t *a, *b, *both;
	size_t la, lb;
	int fd;

	fx_start(f, 0, 0, 0);
	fd = raw_connect(f->path);
	a = request_frame(1, "Echo", "first", 5, 0, &la);
	b = request_frame(3, "Echo", "", 0, 0, &lb); /* 0-length payload */
	both = malloc(la + lb);
	assert_non_null(both);
	memcpy(both, a, la);
	memcpy(both + la, b, lb);
	for (size_t i = 0; i < la + lb; i++) {
		raw_write(fd, both + i, 1);
		sleep_ms(1); /* separate segments, each its own read on the server */
	}
	free(a);
	free(b);
	free(both);
	{
		struct fk_ttrpc_result r;
		uint32_t id;
		raw_response(fd, &id, &r, NULL);
		assert_int_equal(id, 1);
		assert_int_equal(r.payload_len, 5);
		assert_memory_equal(r.payload, "first", 5);
		fk_ttrpc_result_free(&r);
		raw_response(fd, &id, &r, NULL);
		assert_int_equal(id, 3);
		assert_int_equal(r.payload_len, 0);
		fk_ttrpc_result_free(&r);
	}
	close(fd);
}

/* ---- slow, idle and greedy clients ---- */

static void test_slow_client_dropped(void **state)
{
	struct fx *f = *state;
	size_t len;
	uint8_t *frame;
	int fd, fd2;

	fx_start(f, 0, 200, 0);
	/* Half a header, then nothing. */
	fd = raw_connect(f->path);
	frame = request_frame(1, "Echo", "slow", 4, 0, &len);
	raw_write(fd, frame, 5);
	/* Half a body, then nothing. */
	fd2 = raw_connect(f->path);
	raw_write(fd2, frame, len - 2);
	free(frame);
	assert_true(raw_wait_eof(fd));
	assert_true(raw_wait_eof(fd2));
	close(fd);
	close(fd2);
	wait_connections(f, 0);
	assert_true(fx_log_has(f, "frame not complete in time"));
	assert_int_equal(atomic_load(&f->cnt.calls), 0);
}

static void test_idle_client_dropped(void **state)
{
	struct fx *f = *state;
	struct fk_ttrpc_client *c;
	struct fk_ttrpc_result r;
	int fd;

	fx_start(f, 0, 200, 0);
	fd = raw_connect(f->path);
	expect_echo(fd, 1);
	assert_true(raw_wait_eof(fd)); /* silent after one call */
	close(fd);
	assert_true(fx_log_has(f, "idle timeout"));

	/* The client sees the closed connection as IO (it had a reply on it). */
	EXPECT_OK(fk_ttrpc_client_connect(f->path, &c));
	EXPECT_OK(echo_call(c, "one", 0));
	wait_connections(f, 0);
	EXPECT_STATUS(fk_ttrpc_client_call(c, ECHO_SERVICE, "Echo", NULL, 0, NULL, 0, 0, &r),
		      FUSEKEY_ERR_IO);
	fk_ttrpc_client_free(c);
}

/* A connection that keeps sending complete requests is not idle. */
static void test_active_client_kept(void **state)
{
	struct fx *f = *state;
	struct fk_ttrpc_client *c;

	fx_start(f, 0, 1000, 0);
	EXPECT_OK(fk_ttrpc_client_connect(f->path, &c));
	for (int i = 0; i < 15; i++) { /* 1.5 s in all, each gap a tenth of the timeout */
		EXPECT_OK(echo_call(c, "tick", 0));
		sleep_ms(100);
	}
	fk_ttrpc_client_free(c);
}

/* A client that writes requests and never reads: not read either, then dropped; others are served. */
static void test_unread_responses(void **state)
{
	struct fx *f = *state;
	uint8_t *pl, *frame;
	size_t len, sent = 0;
	struct fk_ttrpc_client *c;
	int fd, fl;
	uint64_t end;

	fx_start(f, 0, 300, 0);
	fd = raw_connect(f->path);
	fl = fcntl(fd, F_GETFL);
	assert_int_equal(fcntl(fd, F_SETFL, fl | O_NONBLOCK), 0);
	pl = calloc(1, 65536);
	assert_non_null(pl);
	frame = request_frame(1, "Echo", pl, 65536, 0, &len);
	/* Write until the socket is full for half a second: the server stopped reading. */
	end = now_ms() + 500;
	while (now_ms() < end) {
		ssize_t w = send(fd, frame + sent % len, len - sent % len, MSG_NOSIGNAL);
		if (w > 0) {
			sent += (size_t)w;
			end = now_ms() + 500;
		} else if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			sleep_ms(20);
		} else {
			break; /* dropped already */
		}
	}
	free(frame);
	free(pl);
	/* Far less than all: the server applied back-pressure instead of buffering. */
	assert_true(sent < 64u << 20);
	/* Meanwhile another client is served. */
	EXPECT_OK(fk_ttrpc_client_connect(f->path, &c));
	EXPECT_OK(echo_call(c, "not blocked", 0));
	fk_ttrpc_client_free(c);
	wait_connections(f, 0);
	assert_true(fx_log_has(f, "responses not read in time"));
	close(fd);
}

static void test_write_queue_cap(void **state)
{
	struct fx *f = *state;
	uint8_t *all = NULL;
	size_t total = 0;
	int fd;

	fx_start(f, 0, 0, 0);
	fd = raw_connect(f->path);
	/* Four requests in one write, each answered with 3 MiB: 12 MiB queued > 8 MiB. */
	for (uint32_t i = 0; i < 4; i++) {
		size_t len;
		uint8_t *frame = request_frame(2 * i + 1, "Amplify", NULL, 0, 0, &len);
		all = realloc(all, total + len);
		assert_non_null(all);
		memcpy(all + total, frame, len);
		total += len;
		free(frame);
	}
	raw_write(fd, all, total);
	free(all);
	wait_log(f, "write queue over 8 MiB");
	wait_connections(f, 0);
	assert_true(raw_wait_eof(fd));
	close(fd);
}

/* ---- connections ---- */

static void test_max_connections(void **state)
{
	struct fx *f = *state;
	struct fk_ttrpc_client *c[4];
	struct fk_ttrpc_result r;

	fx_start(f, 0, 0, 3);
	for (int i = 0; i < 3; i++) {
		EXPECT_OK(fk_ttrpc_client_connect(f->path, &c[i]));
		EXPECT_OK(echo_call(c[i], "in", 0));
	}
	/* The fourth is accepted and closed at once: EOF before any reply. */
	EXPECT_OK(fk_ttrpc_client_connect(f->path, &c[3]));
	EXPECT_STATUS(fk_ttrpc_client_call(c[3], ECHO_SERVICE, "Echo", NULL, 0, NULL, 0, 10 * SEC,
					   &r),
		      FUSEKEY_ERR_UNAVAILABLE);
	/* ... and stays failed. */
	EXPECT_STATUS(fk_ttrpc_client_call(c[3], ECHO_SERVICE, "Echo", NULL, 0, NULL, 0, 0, &r),
		      FUSEKEY_ERR_UNAVAILABLE);
	fk_ttrpc_client_free(c[3]);
	assert_true(fx_log_has(f, "refused: 3 connections open"));
	assert_int_equal(fk_ttrpc_server_connections(f->srv), 3);
	fk_ttrpc_client_free(c[0]);
	wait_connections(f, 2);
	EXPECT_OK(fk_ttrpc_client_connect(f->path, &c[0]));
	EXPECT_OK(echo_call(c[0], "room again", 0));
	for (int i = 0; i < 3; i++)
		fk_ttrpc_client_free(c[i]);
}

static void test_accept_peer(void **state)
{
	struct fx *f = *state;
	struct fk_ttrpc_client *c;
	struct fk_ttrpc_result r;

	f->refuse_uid = (long)getuid();
	fx_start(f, 0, 0, 0);
	EXPECT_OK(fk_ttrpc_client_connect(f->path, &c));
	EXPECT_STATUS(fk_ttrpc_client_call(c, ECHO_SERVICE, "Echo", NULL, 0, NULL, 0, 10 * SEC, &r),
		      FUSEKEY_ERR_UNAVAILABLE);
	fk_ttrpc_client_free(c);
	assert_true(fx_log_has(f, "refused: peer not allowed"));
	pthread_mutex_lock(&f->mu);
	assert_int_equal(f->last_peer.uid, getuid());
	assert_int_equal(f->last_peer.gid, getgid());
	assert_int_equal(f->last_peer.pid, getpid());
	assert_true(f->last_peer.conn_id >= 1);
	pthread_mutex_unlock(&f->mu);
	assert_int_equal(atomic_load(&f->cnt.calls), 0);
}

/*
 * Loopback TCP: calls work as on a Unix socket; the peer is marked tcp with
 * unknown credentials, so a uid filter refuses it (fail closed).
 */
static void test_tcp_loopback(void **state)
{
	struct fx *f = *state;
	struct fk_ttrpc_client *c;

	f->tcp = true;
	fx_start(f, 0, 0, 0);
	assert_int_equal(strncmp(f->path, "tcp:127.0.0.1:", 14), 0);
	EXPECT_OK(fk_ttrpc_client_connect(f->path, &c));
	EXPECT_OK(echo_call(c, "over tcp", 10 * SEC));
	EXPECT_OK(echo_call(c, "twice", 10 * SEC));
	fk_ttrpc_client_free(c);
	pthread_mutex_lock(&f->mu);
	assert_true(f->last_peer.tcp);
	assert_int_equal(f->last_peer.uid, (uid_t)-1);
	assert_int_equal(f->last_peer.gid, (gid_t)-1);
	assert_int_equal(f->last_peer.pid, 0);
	pthread_mutex_unlock(&f->mu);
	fx_stop(f);

	/* a filter that allows only the caller's uid cannot match an unknown one */
	f->allow_only_uid = (long)getuid();
	fx_start(f, 0, 0, 0);
	EXPECT_OK(fk_ttrpc_client_connect(f->path, &c));
	EXPECT_STATUS(echo_call(c, "refused", 10 * SEC), FUSEKEY_ERR_UNAVAILABLE);
	fk_ttrpc_client_free(c);
	assert_true(fx_log_has(f, "refused: peer not allowed"));
}

/* Only loopback, only literals; port 0 only to listen. */
static void test_tcp_addresses(void **state)
{
	static const char *const good[] = {"tcp:127.0.0.1:7070", "tcp:127.1.2.3:1",
					   "tcp:[::1]:65535", "TCP:127.0.0.1:7070"};
	static const char *const bad[] = {
		"tcp:10.0.0.1:7070", "tcp:0.0.0.0:7070", "tcp:localhost:7070", "tcp:[::]:7070",
		"tcp:[fe80::1]:7070", "tcp:127.0.0.1", "tcp:127.0.0.1:", "tcp:127.0.0.1:65536",
		"tcp:127.0.0.1:07070", "tcp:127.0.0.1:-1", "tcp:127.0.0.1:80x", "tcp::7070",
		"tcp:[::1:7070", "udp:127.0.0.1:7070", "/run/x.sock"};
	struct sockaddr_storage ss;
	socklen_t sl;
	int fd = -1;
	char buf[64];

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		EXPECT_OK(fk_ttrpc_addr_parse_tcp(good[i], false, &ss, &sl));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		EXPECT_STATUS(fk_ttrpc_addr_parse_tcp(bad[i], true, &ss, &sl),
			      FUSEKEY_ERR_INVALID_PARAMETER);
	EXPECT_STATUS(fk_ttrpc_addr_parse_tcp("tcp:127.0.0.1:0", false, &ss, &sl),
		      FUSEKEY_ERR_INVALID_PARAMETER);
	EXPECT_OK(fk_ttrpc_addr_parse_tcp("tcp:127.0.0.1:0", true, &ss, &sl));
	EXPECT_STATUS(fk_ttrpc_listen_tcp("tcp:0.0.0.0:0", &fd), FUSEKEY_ERR_INVALID_PARAMETER);
	assert_int_equal(fd, -1);
	/* a listening socket bound beyond loopback, handed in by a caller: refused */
	{
		struct fk_ttrpc_server_config cfg;
		struct fk_ttrpc_server *srv = NULL;
		struct sockaddr_in any;
		int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

		assert_true(lfd >= 0);
		memset(&any, 0, sizeof(any));
		any.sin_family = AF_INET;
		any.sin_addr.s_addr = htonl(INADDR_ANY);
		assert_int_equal(bind(lfd, (struct sockaddr *)&any, sizeof(any)), 0);
		assert_int_equal(listen(lfd, 4), 0);
		memset(&cfg, 0, sizeof(cfg));
		EXPECT_STATUS(fk_ttrpc_server_new(&cfg, lfd, &srv), FUSEKEY_ERR_INVALID_PARAMETER);
		assert_null(srv);
		/* the server owned lfd (closed on failure): nothing is listening on it now */
		assert_int_equal(fcntl(lfd, F_GETFD), -1);
	}
	/* nothing listens there: UNAVAILABLE, the condition that allows the fallback */
	EXPECT_OK(fk_ttrpc_listen_tcp("tcp:127.0.0.1:0", &fd));
	EXPECT_OK(fk_ttrpc_addr_of_socket(fd, buf, sizeof(buf)));
	close(fd);
	{
		struct fk_ttrpc_client *c = NULL;
		EXPECT_STATUS(fk_ttrpc_client_connect(buf, &c), FUSEKEY_ERR_UNAVAILABLE);
		assert_null(c);
		EXPECT_STATUS(fk_ttrpc_client_connect("tcp:10.0.0.1:7070", &c),
			      FUSEKEY_ERR_INVALID_PARAMETER);
	}
}

static bool raise_fd_limit(rlim_t want)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return false;
	if (rl.rlim_cur >= want)
		return true;
	if (rl.rlim_max < want)
		return false;
	rl.rlim_cur = want;
	return setrlimit(RLIMIT_NOFILE, &rl) == 0;
}

static void test_1000_connections(void **state)
{
	struct fx *f = *state;
	enum { N = 1000 };
	struct fk_ttrpc_client **c;
	uint32_t *ids;

	if (!raise_fd_limit(2 * N + 64)) {
		skip();
		return;
	}
	fx_start(f, 0, 0, 0);
	c = calloc(N, sizeof(*c));
	ids = calloc(N, sizeof(*ids));
	assert_non_null(c);
	assert_non_null(ids);
	for (size_t i = 0; i < N; i++) {
		char pl[16];
		int n = snprintf(pl, sizeof(pl), "c%zu", i);
		EXPECT_OK(fk_ttrpc_client_connect(f->path, &c[i]));
		EXPECT_OK(fk_ttrpc_client_send(c[i], ECHO_SERVICE, "Echo", (const uint8_t *)pl,
					       (size_t)n, NULL, 0, 10 * SEC, &ids[i]));
	}
	for (size_t i = 0; i < N; i++) {
		struct fk_ttrpc_result r;
		char pl[16];
		int n = snprintf(pl, sizeof(pl), "c%zu", i);
		EXPECT_OK(fk_ttrpc_client_wait(c[i], ids[i], 10 * SEC, &r));
		assert_int_equal(r.payload_len, (size_t)n);
		assert_memory_equal(r.payload, pl, (size_t)n);
		fk_ttrpc_result_free(&r);
	}
	assert_int_equal(fk_ttrpc_server_connections(f->srv), N);
	for (size_t i = 0; i < N; i++)
		fk_ttrpc_client_free(c[i]);
	wait_connections(f, 0);
	free(c);
	free(ids);
}

/* ---- the client alone ---- */

static void test_client_unavailable(void **state)
{
	struct fx *f = *state;
	struct fk_ttrpc_client *c = (struct fk_ttrpc_client *)1;
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char p[300];
	int fd;

	/* No such file. */
	snprintf(p, sizeof(p), "%s/missing.sock", f->dir);
	EXPECT_STATUS(fk_ttrpc_client_connect(p, &c), FUSEKEY_ERR_UNAVAILABLE);
	assert_null(c);
	snprintf(p, sizeof(p), "%s/no/such/dir.sock", f->dir);
	EXPECT_STATUS(fk_ttrpc_client_connect(p, &c), FUSEKEY_ERR_UNAVAILABLE);
	/* A socket file nobody listens on (a daemon that died). */
	snprintf(p, sizeof(p), "%s/stale.sock", f->dir);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(strlen(p) < sizeof(sa.sun_path));
	memcpy(sa.sun_path, p, strlen(p) + 1);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);
	EXPECT_STATUS(fk_ttrpc_client_connect(p, &c), FUSEKEY_ERR_UNAVAILABLE);
	/* A regular file. */
	snprintf(p, sizeof(p), "%s/file", f->dir);
	fd = open(p, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	close(fd);
	EXPECT_STATUS(fk_ttrpc_client_connect(p, &c), FUSEKEY_ERR_UNAVAILABLE);
	/* Bad arguments. */
	EXPECT_STATUS(fk_ttrpc_client_connect("", &c), FUSEKEY_ERR_INVALID_PARAMETER);
	memset(p, 'a', sizeof(p) - 1);
	p[sizeof(p) - 1] = '\0';
	EXPECT_STATUS(fk_ttrpc_client_connect(p, &c), FUSEKEY_ERR_INVALID_PARAMETER);
}

/* Read one request frame as a hand-made server; returns its stream id. */
static uint32_t srv_read_request(int sfd, struct fk_ttrpc_request_msg *m)
{
	struct fk_ttrpc_hdr h;
	uint8_t buf[1024];
	uint32_t len;
	assert_true(raw_read(sfd, &h, sizeof(h)));
	assert_int_equal(h.type, FK_TTRPC_TYPE_REQUEST);
	assert_int_equal(h.flags, 0);
	len = fk_be32(h.length);
	assert_true(len <= sizeof(buf));
	assert_true(raw_read(sfd, buf, len));
	EXPECT_OK(fk_ttrpc_request_decode(len != 0 ? buf : NULL, len, m));
	return fk_be32(h.stream_id);
}

/* A server that accepts and never answers: the client's deadline; then its late reply is dropped. */
static void test_client_timeout_and_late_reply(void **state)
{
	struct fx *f = *state;
	struct fk_ttrpc_client *c;
	struct fk_ttrpc_result r;
	struct fk_ttrpc_request_msg m;
	uint8_t *body;
	size_t len;
	uint32_t id;
	int lfd, sfd;

	EXPECT_OK(fk_ttrpc_listen_unix(f->path, 0600, &lfd));
	EXPECT_OK(fk_ttrpc_client_connect(f->path, &c));
	EXPECT_STATUS(fk_ttrpc_client_call(c, ECHO_SERVICE, "Echo", (const uint8_t *)"a", 1, NULL, 0,
					   50000000, &r),
		      FUSEKEY_ERR_TIMEOUT);
	/* The "server" now reads request 1 and answers it late. */
	sfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	assert_true(sfd >= 0);
	assert_int_equal(srv_read_request(sfd, &m), 1);
	assert_int_equal(m.timeout_nano, 50000000); /* sent as timeout_nano */
	assert_string_equal(m.method, "Echo");
	fk_ttrpc_request_msg_free(&m);
	EXPECT_OK(fk_ttrpc_response_encode(FK_TTRPC_OK, NULL, (const uint8_t *)"late", 4, &body,
					   &len));
	raw_frame(sfd, (uint32_t)len, 1, FK_TTRPC_TYPE_RESPONSE, body, len);
	free(body);
	/* A stray frame of another type and a reply to a call never made: ignored too. */
	raw_frame(sfd, 0, 3, FK_TTRPC_TYPE_REQUEST, NULL, 0);
	raw_frame(sfd, 0, 99, FK_TTRPC_TYPE_RESPONSE, NULL, 0);
	/* Call 3 gets its own answer, not the late one. */
	EXPECT_OK(fk_ttrpc_client_send(c, ECHO_SERVICE, "Echo", (const uint8_t *)"b", 1, NULL, 0,
				       0, &id));
	assert_int_equal(id, 3);
	assert_int_equal(srv_read_request(sfd, &m), 3);
	assert_int_equal(m.payload_len, 1);
	fk_ttrpc_request_msg_free(&m);
	EXPECT_OK(fk_ttrpc_response_encode(FK_TTRPC_OK, NULL, (const uint8_t *)"fresh", 5, &body,
					   &len));
	raw_frame(sfd, (uint32_t)len, 3, FK_TTRPC_TYPE_RESPONSE, body, len);
	free(body);
	EXPECT_OK(fk_ttrpc_client_wait(c, 3, 10 * SEC, &r));
	assert_int_equal(r.payload_len, 5);
	assert_memory_equal(r.payload, "fresh", 5);
	fk_ttrpc_result_free(&r);

	/* A malformed body fails that call only. */
	EXPECT_OK(fk_ttrpc_client_send(c, ECHO_SERVICE, "Echo", NULL, 0, NULL, 0, 0, &id));
	assert_int_equal(srv_read_request(sfd, &m), id);
	fk_ttrpc_request_msg_free(&m);
	raw_frame(sfd, 3, id, FK_TTRPC_TYPE_RESPONSE, "\x0a\x05\x08", 3);
	EXPECT_STATUS(fk_ttrpc_client_wait(c, id, 10 * SEC, &r), FUSEKEY_ERR_FORMAT);
	/* A Status message that is not UTF-8 is malformed too. */
	EXPECT_OK(fk_ttrpc_client_send(c, ECHO_SERVICE, "Echo", NULL, 0, NULL, 0, 0, &id));
	assert_int_equal(srv_read_request(sfd, &m), id);
	fk_ttrpc_request_msg_free(&m);
	raw_frame(sfd, 7, id, FK_TTRPC_TYPE_RESPONSE, "\x0a\x05\x08\x02\x12\x01\xff", 7);
	EXPECT_STATUS(fk_ttrpc_client_wait(c, id, 10 * SEC, &r), FUSEKEY_ERR_FORMAT);
	/* The connection is still in sync. */
	EXPECT_OK(fk_ttrpc_client_send(c, ECHO_SERVICE, "Echo", NULL, 0, NULL, 0, 0, &id));
	assert_int_equal(srv_read_request(sfd, &m), id);
	fk_ttrpc_request_msg_free(&m);
	raw_frame(sfd, 0, id, FK_TTRPC_TYPE_RESPONSE, NULL, 0);
	EXPECT_OK(fk_ttrpc_client_wait(c, id, 10 * SEC, &r));
	assert_int_equal(r.code, FK_TTRPC_OK);
	fk_ttrpc_result_free(&r);

	/* An oversize frame closes the connection: FORMAT now and for every later call. */
	EXPECT_OK(fk_ttrpc_client_send(c, ECHO_SERVICE, "Echo", NULL, 0, NULL, 0, 0, &id));
	assert_int_equal(srv_read_request(sfd, &m), id);
	fk_ttrpc_request_msg_free(&m);
	raw_frame(sfd, FK_TTRPC_MAX_DATA + 1, id, FK_TTRPC_TYPE_RESPONSE, NULL, 0);
	EXPECT_STATUS(fk_ttrpc_client_wait(c, id, 10 * SEC, &r), FUSEKEY_ERR_FORMAT);
	assert_int_equal(fk_ttrpc_client_fd(c), -1);
	EXPECT_STATUS(fk_ttrpc_client_call(c, ECHO_SERVICE, "Echo", NULL, 0, NULL, 0, 0, &r),
		      FUSEKEY_ERR_FORMAT);
	fk_ttrpc_client_free(c);
	close(sfd);
	close(lfd);
}

/* The server closes after a reply, with calls in flight: IO for them (not UNAVAILABLE). */
static void test_client_eof_after_reply(void **state)
{
	struct fx *f = *state;
	struct fk_ttrpc_client *c;
	struct fk_ttrpc_result r;
	struct fk_ttrpc_request_msg m;
	uint32_t a, b;
	int lfd, sfd;

	EXPECT_OK(fk_ttrpc_listen_unix(f->path, 0600, &lfd));
	EXPECT_OK(fk_ttrpc_client_connect(f->path, &c));
	EXPECT_OK(fk_ttrpc_client_send(c, ECHO_SERVICE, "Echo", NULL, 0, NULL, 0, 0, &a));
	EXPECT_OK(fk_ttrpc_client_send(c, ECHO_SERVICE, "Echo", NULL, 0, NULL, 0, 0, &b));
	sfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	assert_true(sfd >= 0);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(srv_read_request(sfd, &m), i == 0 ? a : b);
		fk_ttrpc_request_msg_free(&m);
	}
	raw_frame(sfd, 0, a, FK_TTRPC_TYPE_RESPONSE, NULL, 0);
	close(sfd);
	EXPECT_OK(fk_ttrpc_client_wait(c, a, 10 * SEC, &r));
	assert_int_equal(r.code, FK_TTRPC_OK);
	fk_ttrpc_result_free(&r);
	EXPECT_STATUS(fk_ttrpc_client_wait(c, b, 10 * SEC, &r), FUSEKEY_ERR_IO);
	fk_ttrpc_client_free(c);
	close(lfd);
}

/* ---- spinning and the after_events hook ---- */

/* CPU time (ns) of a thread of this process. */
static uint64_t thread_cpu_ns(pthread_t th)
{
	clockid_t cid;
	struct timespec ts;
	assert_int_equal(pthread_getcpuclockid(th, &cid), 0);
	assert_int_equal(clock_gettime(cid, &ts), 0);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t fx_after(void *arg)
{
	struct fx *f = arg;
	if (!pthread_equal(pthread_self(), f->th))
		atomic_store(&f->after_wrong_thread, true);
	atomic_store(&f->after_saw_calls, atomic_load(&f->cnt.calls));
	atomic_fetch_add(&f->after_calls, 1);
	if (atomic_load(&f->after_rearm) > 0) {
		struct timespec ts;
		atomic_fetch_sub(&f->after_rearm, 1);
		clock_gettime(CLOCK_MONOTONIC, &ts);
		return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec + 30000000u;
	}
	return 0;
}

/* Wait until the hook has run after the handler's nth call. */
static void wait_after_saw(struct fx *f, unsigned n)
{
	uint64_t end = now_ms() + WAIT_MS;
	while (atomic_load(&f->after_saw_calls) < n) {
		if (now_ms() > end)
			fail_msg("after_events did not run after call %u", n);
		sleep_ms(1);
	}
}

static void test_server_spin_bound(void **state)
{
	struct fx *f = *state;
	struct fk_ttrpc_server_config cfg;
	struct fk_ttrpc_server *s = (struct fk_ttrpc_server *)1;
	const uint32_t bad[] = {FK_TTRPC_MAX_SPIN_US + 1, 1000000, UINT32_MAX};
	int fd;

	memset(&cfg, 0, sizeof(cfg));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cfg.spin_us = bad[i];
		EXPECT_OK(fk_ttrpc_listen_unix(f->path, 0600, &fd));
		EXPECT_STATUS(fk_ttrpc_server_new(&cfg, fd, &s), FUSEKEY_ERR_INVALID_PARAMETER);
		assert_null(s);
		unlink(f->path);
	}
	/* the bound itself is allowed, and the server serves */
	f->spin_us = FK_TTRPC_MAX_SPIN_US;
	fx_start(f, 0, 0, 0);
	{
		struct fk_ttrpc_client *c;
		EXPECT_OK(fk_ttrpc_client_connect(f->path, &c));
		EXPECT_OK(echo_call(c, "at the bound", 10 * SEC));
		fk_ttrpc_client_free(c);
	}
}

/*
 * after_events runs on the loop thread after the events it follows were
 * handled (the handler's count is already up), and not while nothing
 * happens.
 */
static void test_after_events_hook(void **state)
{
	struct fx *f = *state;
	struct fk_ttrpc_client *c;
	unsigned n;

	f->use_after = true;
	fx_start(f, 0, 0, 0);
	sleep_ms(100);
	assert_int_equal(atomic_load(&f->after_calls), 0); /* idle: no events, no calls */
	EXPECT_OK(fk_ttrpc_client_connect(f->path, &c));
	EXPECT_OK(echo_call(c, "one", 10 * SEC));
	wait_after_saw(f, 1);
	assert_true(atomic_load(&f->after_calls) > 0);
	EXPECT_OK(echo_call(c, "two", 10 * SEC));
	EXPECT_OK(echo_call(c, "three", 10 * SEC));
	wait_after_saw(f, 3);
	assert_false(atomic_load(&f->after_wrong_thread));
	/* quiet again: no more calls */
	sleep_ms(50);
	n = atomic_load(&f->after_calls);
	sleep_ms(200);
	assert_int_equal(atomic_load(&f->after_calls), n);
	fk_ttrpc_client_free(c);
}

/*
 * Refused connections are not work: no hook, no spin (a flood of them must
 * not buy the flooder the loop's CPU).
 */
static void test_after_events_not_for_refused(void **state)
{
	struct fx *f = *state;

	f->refuse_uid = (long)getuid();
	f->use_after = true;
	f->spin_us = 10000;
	fx_start(f, 0, 0, 0);
	for (int i = 0; i < 20; i++) {
		struct fk_ttrpc_client *c;
		struct fk_ttrpc_result r;
		EXPECT_OK(fk_ttrpc_client_connect(f->path, &c));
		EXPECT_STATUS(fk_ttrpc_client_call(c, ECHO_SERVICE, "Echo", NULL, 0, NULL, 0,
						   10 * SEC, &r),
			      FUSEKEY_ERR_UNAVAILABLE);
		fk_ttrpc_client_free(c);
	}
	assert_true(fx_log_has(f, "refused: peer not allowed"));
	sleep_ms(50);
	assert_int_equal(atomic_load(&f->after_calls), 0);
}

/* The hook's returned deadline wakes the loop without any request. */
static void test_after_events_deadline(void **state)
{
	struct fx *f = *state;
	struct fk_ttrpc_client *c;

	f->use_after = true;
	atomic_store(&f->after_rearm, 2);
	fx_start(f, 0, 0, 0);
	EXPECT_OK(fk_ttrpc_client_connect(f->path, &c));
	EXPECT_OK(echo_call(c, "one", 10 * SEC));
	wait_after_saw(f, 1);
	/* after the request: 1 run, then 2 more at 30 ms intervals, then none */
	sleep_ms(300);
	assert_int_equal(atomic_load(&f->after_calls), 3);
	assert_int_equal(atomic_load(&f->after_rearm), 0);
	assert_false(atomic_load(&f->after_wrong_thread));
	fk_ttrpc_client_free(c);
}

/*
 * A server that spins 10 ms after activity: calls work, and once the window
 * has passed its loop thread sleeps again (CPU time flat: a behaviour
 * check, not a speed target). Before any activity it does not spin at all.
 */
static void test_server_spin_then_sleeps(void **state)
{
	struct fx *f = *state;
	struct fk_ttrpc_client *c;
	uint64_t a, b;

	f->spin_us = 10000;
	f->use_after = true;
	fx_start(f, 0, 0, 0);
	sleep_ms(50);
	a = thread_cpu_ns(f->th);
	sleep_ms(200);
	b = thread_cpu_ns(f->th);
	printf("# loop thread before any call: %.3f ms of CPU in 200 ms\n", (double)(b - a) / 1e6);
	assert_true(b - a < 5000000u);

	EXPECT_OK(fk_ttrpc_client_connect(f->path, &c));
	for (int i = 0; i < 20; i++)
		EXPECT_OK(echo_call(c, "spun", 10 * SEC)); /* each reply finds the loop awake */
	a = thread_cpu_ns(f->th);
	sleep_ms(100);
	b = thread_cpu_ns(f->th);
	printf("# loop thread in the 100 ms after the calls: %.3f ms of CPU\n",
	       (double)(b - a) / 1e6);
	a = b;
	sleep_ms(300);
	b = thread_cpu_ns(f->th);
	printf("# loop thread in the 300 ms after that: %.3f ms of CPU\n", (double)(b - a) / 1e6);
	assert_true(b - a < 5000000u);
	/* still serving, and still a sleeper afterwards (a second round) */
	EXPECT_OK(echo_call(c, "again", 10 * SEC));
	sleep_ms(100);
	a = thread_cpu_ns(f->th);
	sleep_ms(300);
	b = thread_cpu_ns(f->th);
	assert_true(b - a < 5000000u);
	assert_false(atomic_load(&f->after_wrong_thread));
	fk_ttrpc_client_free(c);
}

/* Connection deadlines still fire while the server spins (and after). */
static void test_server_spin_keeps_deadlines(void **state)
{
	struct fx *f = *state;
	int fd;

	f->spin_us = FK_TTRPC_MAX_SPIN_US;
	fx_start(f, 0, 150, 0); /* idle connections dropped after 150 ms */
	fd = raw_connect(f->path);
	expect_echo(fd, 1);
	assert_true(raw_wait_eof(fd)); /* dropped for idleness */
	wait_log(f, "idle timeout");
	close(fd);
	wait_connections(f, 0);
}

/* The client: spin clamped, calls fine with it on, pipelined ones too. */
static void test_client_spin_calls(void **state)
{
	struct fx *f = *state;
	struct fk_ttrpc_client *c;
	const uint32_t spins[] = {1, 300, FK_TTRPC_MAX_SPIN_US, FK_TTRPC_MAX_SPIN_US + 1, UINT32_MAX,
				  0};
	uint32_t ids[20];

	fx_start(f, 0, 0, 0);
	EXPECT_OK(fk_ttrpc_client_connect(f->path, &c));
	fk_ttrpc_client_set_spin(NULL, 300); /* allowed, nothing happens */
	for (size_t i = 0; i < sizeof(spins) / sizeof(spins[0]); i++) {
		fk_ttrpc_client_set_spin(c, spins[i]);
		EXPECT_OK(echo_call(c, "spinning", 10 * SEC));
		EXPECT_OK(echo_call(c, "no deadline", 0));
	}
	/* waiting for the last of 20: the others' replies arrive during its spin */
	fk_ttrpc_client_set_spin(c, FK_TTRPC_MAX_SPIN_US);
	for (uint32_t i = 0; i < 20; i++) {
		char pl[16];
		int n = snprintf(pl, sizeof(pl), "p%u", i);
		EXPECT_OK(fk_ttrpc_client_send(c, ECHO_SERVICE, "Echo", (const uint8_t *)pl,
					       (size_t)n, NULL, 0, 0, &ids[i]));
	}
	for (uint32_t i = 20; i-- > 0;) {
		struct fk_ttrpc_result r;
		char pl[16];
		int n = snprintf(pl, sizeof(pl), "p%u", i);
		EXPECT_OK(fk_ttrpc_client_wait(c, ids[i], 10 * SEC, &r));
		assert_int_equal(r.payload_len, (size_t)n);
		assert_memory_equal(r.payload, pl, (size_t)n);
		fk_ttrpc_result_free(&r);
	}
	fk_ttrpc_client_free(c);
}

/* A hand-made server on a thread: accept, read one request, wait, then act. */
struct late_srv {
	int lfd;
	long delay_ms;
	bool answer; /* else close without answering */
	pthread_t th;
};

static void *late_srv_main(void *arg)
{
	struct late_srv *l = arg;
	struct fk_ttrpc_request_msg m;
	uint8_t *body;
	size_t len;
	uint32_t id;
	int sfd = accept4(l->lfd, NULL, NULL, SOCK_CLOEXEC);

	if (sfd < 0)
		return NULL;
	id = srv_read_request(sfd, &m);
	sleep_ms(l->delay_ms);
	if (l->answer) {
		EXPECT_OK(fk_ttrpc_response_encode(FK_TTRPC_OK, NULL, m.payload, m.payload_len,
						   &body, &len));
		raw_frame(sfd, (uint32_t)len, id, FK_TTRPC_TYPE_RESPONSE, body, len);
		free(body);
	}
	fk_ttrpc_request_msg_free(&m);
	close(sfd);
	return NULL;
}

/* A reply that comes well after the spin window: the client has gone to poll() and gets it. */
static void test_client_spin_reply_after_window(void **state)
{
	struct fx *f = *state;
	struct late_srv l = {.delay_ms = 60, .answer = true};
	struct fk_ttrpc_client *c;
	uint64_t t0;

	EXPECT_OK(fk_ttrpc_listen_unix(f->path, 0600, &l.lfd));
	assert_int_equal(pthread_create(&l.th, NULL, late_srv_main, &l), 0);
	EXPECT_OK(fk_ttrpc_client_connect(f->path, &c));
	fk_ttrpc_client_set_spin(c, 1000); /* 1 ms of spin, the reply in 60 ms */
	t0 = now_ms();
	EXPECT_OK(echo_call(c, "late but fine", 10 * SEC));
	assert_true(now_ms() - t0 >= 50);
	assert_int_equal(pthread_join(l.th, NULL), 0);
	fk_ttrpc_client_free(c);
	close(l.lfd);
}

/* The peer closes with the call in flight, during the spin: an error at once, not a timeout. */
static void test_client_spin_peer_closes(void **state)
{
	struct fx *f = *state;
	struct late_srv l = {.delay_ms = 0, .answer = false};
	struct fk_ttrpc_client *c;
	fusekey_status st;
	uint64_t t0;

	EXPECT_OK(fk_ttrpc_listen_unix(f->path, 0600, &l.lfd));
	assert_int_equal(pthread_create(&l.th, NULL, late_srv_main, &l), 0);
	EXPECT_OK(fk_ttrpc_client_connect(f->path, &c));
	fk_ttrpc_client_set_spin(c, FK_TTRPC_MAX_SPIN_US);
	t0 = now_ms();
	st = echo_call(c, "x", 10 * SEC);
	assert_int_equal(pthread_join(l.th, NULL), 0);
	EXPECT_STATUS(st, FUSEKEY_ERR_UNAVAILABLE); /* no reply had come on it */
	assert_true(now_ms() - t0 < 5000);
	fk_ttrpc_client_free(c);
	close(l.lfd);
}

/* A call with the spin at any setting, on a server that never answers. */
struct silent_call {
	struct fk_ttrpc_client *c;
	int64_t timeout;
	fusekey_status st;
	uint64_t ms;
	uint64_t cpu_ns; /* the calling thread's CPU time for the call */
	atomic_bool done;
};

static void *silent_call_main(void *arg)
{
	struct silent_call *s = arg;
	uint64_t t0 = now_ms(), c0 = thread_cpu_ns(pthread_self());
	s->st = echo_call(s->c, "anyone?", s->timeout);
	s->ms = now_ms() - t0;
	s->cpu_ns = thread_cpu_ns(pthread_self()) - c0;
	atomic_store(&s->done, true);
	return NULL;
}

/*
 * A server that accepts and never answers: TIMEOUT, with the spin on, at
 * the deadline; a spin asked far past the bound is clamped (a call whose
 * spin were 4,295 s would not come back for an hour, nor sleep). The spin
 * also stops at the first sched_yield() that took > 20 us, so on a busy
 * machine the clamp may not be what ends it: these bounds hold either way.
 */
static void test_client_spin_timeout(void **state)
{
	struct fx *f = *state;
	const uint32_t spins[] = {300, FK_TTRPC_MAX_SPIN_US, UINT32_MAX};
	int lfd;

	EXPECT_OK(fk_ttrpc_listen_unix(f->path, 0600, &lfd));
	for (size_t i = 0; i < sizeof(spins) / sizeof(spins[0]); i++) {
		struct silent_call s = {.timeout = 50 * 1000000LL};
		pthread_t th;
		uint64_t end;
		int sfd;

		EXPECT_OK(fk_ttrpc_client_connect(f->path, &s.c));
		sfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		assert_true(sfd >= 0);
		fk_ttrpc_client_set_spin(s.c, spins[i]);
		atomic_init(&s.done, false);
		assert_int_equal(pthread_create(&th, NULL, silent_call_main, &s), 0);
		end = now_ms() + WAIT_MS;
		while (!atomic_load(&s.done)) {
			if (now_ms() > end)
				fail_msg("a call with spin %u did not time out in %d ms", spins[i],
					 WAIT_MS);
			sleep_ms(5);
		}
		assert_int_equal(pthread_join(th, NULL), 0);
		EXPECT_STATUS(s.st, FUSEKEY_ERR_TIMEOUT);
		assert_true(s.ms >= 49);
		printf("# spin %u us: TIMEOUT (50 ms) after %llu ms, %.3f ms of CPU\n", spins[i],
		       (unsigned long long)s.ms, (double)s.cpu_ns / 1e6);
		assert_true(s.ms < 2000);
		/* at most the clamped spin (10 ms) of busy waiting, then asleep in poll() */
		assert_true(s.cpu_ns < 40000000u);
		fk_ttrpc_client_free(s.c);
		close(sfd);
	}
	close(lfd);
}

/* ---- the listening socket ---- */

static void test_listen_unix(void **state)
{
	struct fx *f = *state;
	char p[300];
	struct stat sb;
	int fd, fd2;

	/* A fresh socket, mode as asked whatever the umask. */
	EXPECT_OK(fk_ttrpc_listen_unix(f->path, 0660, &fd));
	assert_int_equal(lstat(f->path, &sb), 0);
	assert_true(S_ISSOCK(sb.st_mode));
	assert_int_equal(sb.st_mode & 0777, 0660);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	/* A live socket is not taken over. */
	EXPECT_STATUS(fk_ttrpc_listen_unix(f->path, 0660, &fd2), FUSEKEY_ERR_EXISTS);
	assert_int_equal(fd2, -1);
	close(fd);
	/* A stale one is replaced. */
	EXPECT_OK(fk_ttrpc_listen_unix(f->path, 0600, &fd));
	assert_int_equal(lstat(f->path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	close(fd);
	/* Anything else is refused and left alone. */
	snprintf(p, sizeof(p), "%s/file", f->dir);
	fd = open(p, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
	close(fd);
	EXPECT_STATUS(fk_ttrpc_listen_unix(p, 0600, &fd), FUSEKEY_ERR_EXISTS);
	assert_int_equal(lstat(p, &sb), 0);
	assert_true(S_ISREG(sb.st_mode));
	snprintf(p, sizeof(p), "%s/link", f->dir);
	assert_int_equal(symlink(f->path, p), 0);
	EXPECT_STATUS(fk_ttrpc_listen_unix(p, 0600, &fd), FUSEKEY_ERR_EXISTS);
	assert_int_equal(lstat(p, &sb), 0);
	assert_true(S_ISLNK(sb.st_mode));
	snprintf(p, sizeof(p), "%s/dir", f->dir);
	assert_int_equal(mkdir(p, 0700), 0);
	EXPECT_STATUS(fk_ttrpc_listen_unix(p, 0600, &fd), FUSEKEY_ERR_EXISTS);
	/* Bad arguments. */
	EXPECT_STATUS(fk_ttrpc_listen_unix("", 0600, &fd), FUSEKEY_ERR_INVALID_PARAMETER);
	EXPECT_STATUS(fk_ttrpc_listen_unix(f->path, 04600, &fd), FUSEKEY_ERR_INVALID_PARAMETER);
	snprintf(p, sizeof(p), "%s/no/dir.sock", f->dir);
	EXPECT_STATUS(fk_ttrpc_listen_unix(p, 0600, &fd), FUSEKEY_ERR_IO);
}

static void test_server_new_checks(void **state)
{
	struct fx *f = *state;
	struct fk_ttrpc_server_config cfg;
	struct fk_ttrpc_server *s = (struct fk_ttrpc_server *)1;
	struct fk_ttrpc_method m = {ECHO_SERVICE, "Echo", NULL, NULL};
	int fd;

	memset(&cfg, 0, sizeof(cfg));
	/* Not a listening socket (ownership passes: it is closed). */
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	EXPECT_STATUS(fk_ttrpc_server_new(&cfg, fd, &s), FUSEKEY_ERR_INVALID_PARAMETER);
	assert_null(s);
	EXPECT_OK(fk_ttrpc_listen_unix(f->path, 0600, &fd));
	cfg.methods = &m;
	cfg.n_methods = 1; /* no handler */
	EXPECT_STATUS(fk_ttrpc_server_new(&cfg, fd, &s), FUSEKEY_ERR_INVALID_PARAMETER);
	unlink(f->path);
	EXPECT_OK(fk_ttrpc_listen_unix(f->path, 0600, &fd));
	cfg.n_methods = 0;
	cfg.max_request = FK_TTRPC_MAX_DATA + 1;
	EXPECT_STATUS(fk_ttrpc_server_new(&cfg, fd, &s), FUSEKEY_ERR_INVALID_PARAMETER);
	/* A stop before run makes run return at once; run again after another stop. */
	unlink(f->path);
	EXPECT_OK(fk_ttrpc_listen_unix(f->path, 0600, &fd));
	cfg.max_request = 0;
	EXPECT_OK(fk_ttrpc_server_new(&cfg, fd, &s));
	fk_ttrpc_server_stop(s);
	EXPECT_OK(fk_ttrpc_server_run(s));
	fk_ttrpc_server_stop(s);
	EXPECT_OK(fk_ttrpc_server_run(s));
	assert_int_equal(fk_ttrpc_server_connections(s), 0);
	fk_ttrpc_server_free(s);
	fk_ttrpc_server_free(NULL);
}

/* ---- the server in its own process ---- */

struct child {
	pid_t pid;
	int out; /* its stdout */
};

static void child_start(struct child *ch, const char *path, const char *timeout_ms)
{
	int p[2];
	char line[16] = {0};
	assert_non_null(server_exe);
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	ch->pid = fork();
	assert_true(ch->pid >= 0);
	if (ch->pid == 0) {
		dup2(p[1], 1);
		execl(server_exe, server_exe, path, timeout_ms, (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	ch->out = p[0];
	assert_true(raw_read(ch->out, line, 6));
	assert_string_equal(line, "ready\n");
}

static int child_stop(struct child *ch, int sig)
{
	int status = 0;
	uint64_t end = now_ms() + WAIT_MS;
	kill(ch->pid, sig);
	while (waitpid(ch->pid, &status, WNOHANG) == 0) {
		if (now_ms() > end) {
			kill(ch->pid, SIGKILL);
			waitpid(ch->pid, &status, 0);
			fail_msg("the server did not stop on signal %d", sig);
		}
		sleep_ms(5);
	}
	close(ch->out);
	return status;
}

/* "key: value kB" from /proc/<pid>/status */
static long proc_status(pid_t pid, const char *key)
{
	char p[64], line[256];
	long v = -1;
	FILE *fp;
	snprintf(p, sizeof(p), "/proc/%d/status", (int)pid);
	fp = fopen(p, "re");
	assert_non_null(fp);
	while (fgets(line, sizeof(line), fp) != NULL)
		if (strncmp(line, key, strlen(key)) == 0 && line[strlen(key)] == ':')
			v = strtol(line + strlen(key) + 1, NULL, 10);
	fclose(fp);
	return v;
}

static void test_process_sigterm_rss_idle(void **state)
{
	struct fx *f = *state;
	enum { N = 1000 };
	struct child ch;
	struct fk_ttrpc_client **c;
	long rss0, rss1, sw0, sw1;
	int status;

	if (!raise_fd_limit(N + 64)) {
		skip();
		return;
	}
	child_start(&ch, f->path, "60000");
	f->child = ch.pid;

	/* No connection: the server sleeps in epoll_wait, woken by nothing. */
	sleep_ms(50);
	sw0 = proc_status(ch.pid, "voluntary_ctxt_switches") +
	      proc_status(ch.pid, "nonvoluntary_ctxt_switches");
	sleep_ms(300);
	sw1 = proc_status(ch.pid, "voluntary_ctxt_switches") +
	      proc_status(ch.pid, "nonvoluntary_ctxt_switches");
	assert_int_equal(sw0, sw1);
	rss0 = proc_status(ch.pid, "VmRSS");

	c = calloc(N, sizeof(*c));
	assert_non_null(c);
	for (size_t i = 0; i < N; i++) {
		EXPECT_OK(fk_ttrpc_client_connect(f->path, &c[i]));
		EXPECT_OK(echo_call(c[i], "x", 10 * SEC)); /* each one accepted and served */
	}
	rss1 = proc_status(ch.pid, "VmRSS");
	printf("# echo server VmRSS: %ld kB idle, %ld kB with %d connections (%+ld kB)\n", rss0,
	       rss1, N, rss1 - rss0);
	/* A connection costs a small struct: 1,000 of them well under 2 MiB. */
	assert_true(rss1 - rss0 < 2048);

	/* SIGTERM with 1,000 connections open: stop() from the handler, exit 0. */
	status = child_stop(&ch, SIGTERM);
	f->child = 0;
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	for (size_t i = 0; i < N; i++)
		fk_ttrpc_client_free(c[i]);
	free(c);
	/* It removed its socket. */
	assert_int_equal(access(f->path, F_OK), -1);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_unary_call),
		T(test_metadata),
		T(test_empty_payload_zero_length_frames),
		T(test_pipelining),
		T(test_pipelined_raw_burst),
		T(test_unknown_service_and_method),
		T(test_handler_status_sanitised),
		T(test_garbage_body),
		T(test_even_stream_id),
		T(test_other_frame_types_ignored),
		T(test_deadline_exceeded),
		T(test_oversize_frame),
		T(test_max_request_smaller),
		T(test_exactly_4mib),
		T(test_split_byte_by_byte),
		T(test_slow_client_dropped),
		T(test_idle_client_dropped),
		T(test_active_client_kept),
		T(test_unread_responses),
		T(test_write_queue_cap),
		T(test_max_connections),
		T(test_accept_peer),
		T(test_tcp_loopback),
		cmocka_unit_test(test_tcp_addresses),
		T(test_after_events_not_for_refused),
		T(test_after_events_deadline),
		T(test_1000_connections),
		T(test_client_unavailable),
		T(test_client_timeout_and_late_reply),
		T(test_client_eof_after_reply),
		T(test_listen_unix),
		T(test_server_new_checks),
		T(test_server_spin_bound),
		T(test_after_events_hook),
		T(test_server_spin_then_sleeps),
		T(test_server_spin_keeps_deadlines),
		T(test_client_spin_calls),
		T(test_client_spin_reply_after_window),
		T(test_client_spin_peer_closes),
		T(test_client_spin_timeout),
		T(test_process_sigterm_rss_idle),
#undef T
	};
	signal(SIGPIPE, SIG_DFL); /* MSG_NOSIGNAL everywhere: a SIGPIPE would kill this test */
	server_exe = argc > 1 ? argv[1] : NULL;
	return cmocka_run_group_tests_name("ttrpc_server", tests, NULL, NULL);
}
