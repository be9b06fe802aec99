/* SPDX-License-Identifier: Apache-2.0 */
/*
 * c_echo_server: fusekey's C ttrpc server (fk_ttrpc_server) serving the echo
 * test service, for the reference Go client to call (tests/interop,
 * docs/interop.md). Same service as gosrv:
 *
 *   fusekey.test.Echo/Echo      the payload back
 *   fusekey.test.Echo/Fail      PERMISSION_DENIED "c says no", or the payload as
 *                               the message when there is one (UTF-8 sanitising)
 *   fusekey.test.Echo/Meta      the values of metadata "fk-test", joined by ","
 *   fusekey.test.Echo/Deadline  "deadline" when timeout_nano was set, else "none"
 *   fusekey.test.Echo/Big       N bytes (N: 4-byte big-endian payload, <= 16 MiB);
 *                               over 4 MiB the server must answer
 *                               RESOURCE_EXHAUSTED instead (a Go 1.1 client
 *                               panics on a larger frame)
 *
 *   c_echo_server SOCKET        stops on SIGTERM / SIGINT, removes the socket
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "ttrpc/fk_ttrpc.h"

#define SERVICE "fusekey.test.Echo"
#define META_KEY "fk-test"
enum { BIG_MAX = 16 * 1024 * 1024 };

static struct fk_ttrpc_server *g_server;

static void on_signal(int sig)
{
	(void)sig;
	if (g_server != NULL)
		fk_ttrpc_server_stop(g_server);
}

/* Reply with a copy of p[0..n) (the server frees the payload after sending). */
static void reply_bytes(struct fk_ttrpc_reply *rep, const void *p, size_t n)
{
	if (n == 0)
		return;
	rep->payload = malloc(n);
	if (rep->payload == NULL) {
		rep->code = FK_TTRPC_RESOURCE_EXHAUSTED;
		rep->message = "out of memory";
		return;
	}
	memcpy(rep->payload, p, n);
	rep->payload_len = n;
}

static void h_echo(void *arg, const struct fk_ttrpc_call *call, struct fk_ttrpc_reply *rep)
{
	(void)arg;
	reply_bytes(rep, call->req->payload, call->req->payload_len);
}

static void h_fail(void *arg, const struct fk_ttrpc_call *call, struct fk_ttrpc_reply *rep)
{
	/* The server copies the message after the handler returns: keep it here. */
	static char msg[FK_TTRPC_MAX_STATUS_MESSAGE + 1];
	size_t n = call->req->payload_len;

	(void)arg;
	rep->code = FK_TTRPC_PERMISSION_DENIED;
	if (n == 0) {
		rep->message = "c says no";
		return;
	}
	if (n > FK_TTRPC_MAX_STATUS_MESSAGE)
		n = FK_TTRPC_MAX_STATUS_MESSAGE;
	memcpy(msg, call->req->payload, n);
	msg[n] = '\0';
	rep->message = msg;
}

static void h_meta(void *arg, const struct fk_ttrpc_call *call, struct fk_ttrpc_reply *rep)
{
	const struct fk_ttrpc_request_msg *r = call->req;
	size_t total = 0, off = 0;

	(void)arg;
	for (size_t i = 0; i < r->n_metadata; i++)
		if (strcasecmp(r->metadata[i].key, META_KEY) == 0)
			total += strlen(r->metadata[i].value) + 1;
	if (total == 0)
		return;
	rep->payload = malloc(total);
	if (rep->payload == NULL) {
		rep->code = FK_TTRPC_RESOURCE_EXHAUSTED;
		rep->message = "out of memory";
		return;
	}
	for (size_t i = 0; i < r->n_metadata; i++) {
		if (strcasecmp(r->metadata[i].key, META_KEY) != 0)
			continue;
		size_t vl = strlen(r->metadata[i].value);
		if (off > 0)
			rep->payload[off++] = ',';
		memcpy(rep->payload + off, r->metadata[i].value, vl);
		off += vl;
	}
	rep->payload_len = off;
}

static void h_deadline(void *arg, const struct fk_ttrpc_call *call, struct fk_ttrpc_reply *rep)
{
	(void)arg;
	if (call->deadline_ns != 0)
		reply_bytes(rep, "deadline", 8);
	else
		reply_bytes(rep, "none", 4);
}

static void h_big(void *arg, const struct fk_ttrpc_call *call, struct fk_ttrpc_reply *rep)
{
	const struct fk_ttrpc_request_msg *r = call->req;
	uint32_t n;

	(void)arg;
	if (r->payload_len != 4) {
		rep->code = FK_TTRPC_INVALID_ARGUMENT;
		rep->message = "Big takes a 4-byte length";
		return;
	}
	n = fk_be32(r->payload);
	if (n > BIG_MAX) {
		rep->code = FK_TTRPC_INVALID_ARGUMENT;
		rep->message = "Big: at most 16 MiB";
		return;
	}
	if (n == 0)
		return;
	rep->payload = malloc(n);
	if (rep->payload == NULL) {
		rep->code = FK_TTRPC_RESOURCE_EXHAUSTED;
		rep->message = "out of memory";
		return;
	}
	for (uint32_t i = 0; i < n; i++)
		rep->payload[i] = (uint8_t)(i * 7u + 3u); /* rawmsg.BigPattern */
	rep->payload_len = n;
}

static void log_stderr(void *arg, const char *line)
{
	(void)arg;
	fprintf(stderr, "c_echo_server: %s\n", line);
}

int main(int argc, char **argv)
{
	static const struct fk_ttrpc_method methods[] = {
		{SERVICE, "Echo", h_echo, NULL},
		{SERVICE, "Fail", h_fail, NULL},
		{SERVICE, "Meta", h_meta, NULL},
		{SERVICE, "Deadline", h_deadline, NULL},
		{SERVICE, "Big", h_big, NULL},
	};
	struct fk_ttrpc_server_config cfg;
	struct sigaction sa;
	sigset_t block, old;
	fusekey_status st;
	int fd = -1;

	if (argc != 2) {
		fprintf(stderr, "usage: c_echo_server SOCKET\n");
		return 2;
	}
	memset(&cfg, 0, sizeof(cfg));
	cfg.methods = methods;
	cfg.n_methods = sizeof(methods) / sizeof(methods[0]);
	if (getenv("C_ECHO_LOG") != NULL)
		cfg.log = log_stderr;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	/* Held until g_server is set: a signal then still stops run() (at once). */
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigprocmask(SIG_BLOCK, &block, &old);

	st = fk_ttrpc_listen_unix(argv[1], 0600, &fd);
	if (st != FUSEKEY_OK) {
		fprintf(stderr, "c_echo_server: listen %s: %s\n", argv[1], fusekey_status_str(st));
		return 1;
	}
	st = fk_ttrpc_server_new(&cfg, fd, &g_server);
	if (st != FUSEKEY_OK) {
		fprintf(stderr, "c_echo_server: %s\n", fusekey_status_str(st));
		unlink(argv[1]);
		return 1;
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	st = fk_ttrpc_server_run(g_server);
	fk_ttrpc_server_free(g_server);
	g_server = NULL;
	unlink(argv[1]);
	if (st != FUSEKEY_OK) {
		fprintf(stderr, "c_echo_server: %s\n", fusekey_status_str(st));
		return 1;
	}
	return 0;
}
