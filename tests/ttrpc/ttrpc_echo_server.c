/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The echo service in a process of its own, for the integration test (RSS
 * with 1,000 connections, no wake-ups while idle, SIGTERM) and benchmarks.
 *   ttrpc_echo_server SOCKET [CONN_TIMEOUT_MS [MAX_CONNECTIONS]]
 * Prints "ready" on stdout once listening; SIGTERM/SIGINT stop it, exit 0.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "echo_service.h"

static struct fk_ttrpc_server *server;

static void on_signal(int sig)
{
	(void)sig;
	fk_ttrpc_server_stop(server); /* async-signal-safe */
}

int main(int argc, char **argv)
{
	struct fk_ttrpc_method methods[8];
	struct fk_ttrpc_server_config cfg;
	struct sigaction sa;
	fusekey_status st;
	int fd;

	if (argc < 2 || argc > 4) {
		fprintf(stderr, "usage: %s SOCKET [CONN_TIMEOUT_MS [MAX_CONNECTIONS]]\n", argv[0]);
		return 2;
	}
	memset(&cfg, 0, sizeof(cfg));
	cfg.methods = methods;
	cfg.n_methods = echo_methods(methods, 8, NULL);
	if (argc > 2)
		cfg.conn_timeout_ms = (uint32_t)strtoul(argv[2], NULL, 10);
	if (argc > 3)
		cfg.max_connections = (size_t)strtoul(argv[3], NULL, 10);
	st = fk_ttrpc_listen_unix(argv[1], 0600, &fd);
	if (st != FUSEKEY_OK) {
		fprintf(stderr, "listen %s: %s\n", argv[1], fusekey_status_str(st));
		return 1;
	}
	st = fk_ttrpc_server_new(&cfg, fd, &server);
	if (st != FUSEKEY_OK) {
		fprintf(stderr, "server: %s\n", fusekey_status_str(st));
		return 1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	printf("ready\n");
	fflush(stdout);
	st = fk_ttrpc_server_run(server);
	fk_ttrpc_server_free(server);
	unlink(argv[1]);
	return st == FUSEKEY_OK ? 0 : 1;
}
