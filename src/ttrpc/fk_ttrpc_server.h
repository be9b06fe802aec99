/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ttrpc server (docs/ttrpc.md): one thread, one epoll loop, non-blocking
 * sockets, behaviours of the Go reference server (shared/docs/reference/
 * ttrpc.md §4). Handlers are short CPU work (a whole LA responder step is
 * ~70 us), so a thread per client would only add stacks and context
 * switches; memory is bounded per connection instead (a small struct, one
 * request body at most, a capped write queue).
 */
#ifndef FK_TTRPC_SERVER_H
#define FK_TTRPC_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "ttrpc/fk_ttrpc_msg.h"

enum {
	/* Responses queued for a connection that does not read them: over this, it is dropped. */
	FK_TTRPC_MAX_QUEUE = 8 * 1024 * 1024,
	/* Above this much queued output, the server stops reading that connection's requests. */
	FK_TTRPC_QUEUE_HIGH = 1024 * 1024,
	FK_TTRPC_DEFAULT_MAX_CONNECTIONS = 4096,
	FK_TTRPC_DEFAULT_CONN_TIMEOUT_MS = 10000,
};

/* Who is on the other end of a connection (SO_PEERCRED). */
struct fk_ttrpc_peer {
	uid_t uid; /* SO_PEERCRED; on TCP unknown: (uid_t)-1 */
	gid_t gid; /* on TCP (gid_t)-1 */
	pid_t pid; /* on TCP 0 */
	uint64_t conn_id; /* unique per connection for this server's lifetime */
	bool tcp;         /* a loopback TCP connection: no credentials */
};

/* A request as a handler sees it; valid only during the call. */
struct fk_ttrpc_call {
	uint32_t stream_id;
	const struct fk_ttrpc_request_msg *req;
	const struct fk_ttrpc_peer *peer;
	uint64_t deadline_ns; /* CLOCK_MONOTONIC; 0 = none (timeout_nano 0) */
};

/*
 * What a handler answers. The server has set code = FK_TTRPC_OK and the rest
 * empty. message is copied (sanitised to UTF-8, cut to
 * FK_TTRPC_MAX_STATUS_MESSAGE) and may be NULL; payload, if set, must be
 * malloc'd: the server wipes and frees it after sending. With a code other
 * than OK the payload is not sent (as the Go server). A reply whose frame
 * would exceed 4 MiB is replaced by RESOURCE_EXHAUSTED.
 */
struct fk_ttrpc_reply {
	uint32_t code;
	const char *message;
	uint8_t *payload;
	size_t payload_len;
};

typedef void (*fk_ttrpc_handler)(void *arg, const struct fk_ttrpc_call *call,
				 struct fk_ttrpc_reply *reply);

struct fk_ttrpc_method {
	const char *service; /* fully qualified, e.g. "fusekey.v1.KeyService" */
	const char *method;  /* bare name, e.g. "Open" */
	fk_ttrpc_handler handler;
	void *arg;
};

struct fk_ttrpc_server_config {
	const struct fk_ttrpc_method *methods; /* kept by reference: must outlive the server */
	size_t n_methods;
	/*
	 * Connections held at once; a connection beyond it is accepted and
	 * closed at once (so it sees EOF, not a hang). Default (0): 4096.
	 */
	size_t max_connections;
	/*
	 * Largest request body read into memory (<= 4 MiB). A larger frame is
	 * read and discarded in bounded chunks and answered RESOURCE_EXHAUSTED
	 * "message length N exceed maximum message size of M"; the connection
	 * stays usable. Default (0): 4 MiB. Bounds memory: at most one body per
	 * connection is buffered.
	 */
	uint32_t max_request;
	/*
	 * A connection is dropped when it has been idle this long (no complete
	 * frame received and nothing pending), when a started frame is not
	 * complete within it (slow or silent clients), or when its queued
	 * responses make no progress within it (a client that does not read).
	 * Default (0): 10000 ms.
	 */
	uint32_t conn_timeout_ms;
	/*
	 * Optional: decide on a new connection from its SO_PEERCRED; false closes
	 * it. A TCP peer has no credentials (peer->tcp, uid/gid (uid_t)-1): a
	 * filter must check peer->tcp rather than trust a uid it cannot have.
	 */
	bool (*accept_peer)(void *arg, const struct fk_ttrpc_peer *peer);
	void *accept_arg;
	/* Optional: one line per connection event (accepted, refused, dropped and why). */
	void (*log)(void *arg, const char *line);
	void *log_arg;
	/*
	 * Optional: called after a batch of events in which a method handler
	 * ran or an allowed client connected, before the loop waits again — work made ahead here (the key
	 * service's next key pair) is off the latency path of the next request.
	 * It returns when it wants to run again even if no request comes
	 * (CLOCK_MONOTONIC ns; 0 = not before the next request): the loop wakes
	 * for it then (the key service wipes expired sessions on time).
	 */
	uint64_t (*after_events)(void *arg);
	void *after_arg;
	/*
	 * After a batch in which a handler ran or an allowed client connected
	 * (its first request follows at once), keep polling (epoll_wait with no timeout,
	 * yielding the CPU between polls) this long before sleeping. A reply's
	 * follow-up request (the Exchange after an Open) then finds the loop
	 * awake instead of paying a sleeping CPU's wake-up, 20-40 us on a VM
	 * that halts idle vCPUs. Bounded, and only after that work (not after
	 * refused or closing connections): an idle server uses no CPU. 0 (default) = sleep at once; at most
	 * FK_TTRPC_MAX_SPIN_US.
	 */
	uint32_t spin_us;
};

struct fk_ttrpc_server;

/*
 * A server on an already listening socket (ownership of listen_fd passes to
 * the server, also on failure). Single-threaded: one epoll loop,
 * non-blocking sockets, no thread per client; handlers run on the loop
 * thread and must not block.
 */
fusekey_status fk_ttrpc_server_new(const struct fk_ttrpc_server_config *cfg, int listen_fd,
				   struct fk_ttrpc_server **out) FK_WARN_UNUSED;

/*
 * Serve until fk_ttrpc_server_stop(). Sleeps in epoll_wait without a timeout
 * when no connection is open (no CPU while idle). Requests on one connection
 * may be pipelined: each gets its Response on its own stream id.
 * Per frame: type != Request is ignored (as Go 1.1.1); an undecodable body ->
 * INVALID_ARGUMENT "unmarshal request error: ..."; an even stream id ->
 * INVALID_ARGUMENT "StreamID must be odd for client initiated streams";
 * unknown service -> UNIMPLEMENTED "service <s>"; unknown method ->
 * UNIMPLEMENTED "method <m>"; a request whose timeout_nano has already
 * passed (< 0, or elapsed before the handler runs) -> DEADLINE_EXCEEDED
 * "context deadline exceeded".
 * Returns FUSEKEY_OK when stopped (a stop before run() makes it return at
 * once; run() may be called again afterwards), FUSEKEY_ERR_IO if epoll fails.
 */
fusekey_status fk_ttrpc_server_run(struct fk_ttrpc_server *s) FK_WARN_UNUSED;

/* Ask run() to return. Async-signal-safe (writes an eventfd), any thread. */
void fk_ttrpc_server_stop(struct fk_ttrpc_server *s);

/* Close every connection and the listening socket; NULL allowed. Not while run() runs. */
void fk_ttrpc_server_free(struct fk_ttrpc_server *s);

/* Connections open now (for tests and the daemon's own bounds); any thread. */
size_t fk_ttrpc_server_connections(const struct fk_ttrpc_server *s);

/*
 * A listening Unix stream socket at path, close-on-exec, chmod'ed to mode
 * (e.g. 0660) before listen(). A stale socket file there (nothing accepts
 * on it) is replaced; a live one, or any other file, is refused with
 * FUSEKEY_ERR_EXISTS. The directory is the caller's business.
 */
/*
 * Listen on a loopback TCP address, "tcp:127.0.0.1:PORT" or "tcp:[::1]:PORT"
 * (fk_ttrpc_addr.h; port 0: one the kernel picks, see fk_ttrpc_addr_of_socket).
 * For clients whose Unix sockets cannot reach the host (a library OS).
 * Connections carry no SO_PEERCRED: peers are marked tcp, with unknown
 * uid/gid, so an accept_peer filter on uid/gid refuses them (fail closed).
 * A non-loopback address: FUSEKEY_ERR_INVALID_PARAMETER; in use: EXISTS.
 */
fusekey_status fk_ttrpc_listen_tcp(const char *spec, int *fd) FK_WARN_UNUSED;

fusekey_status fk_ttrpc_listen_unix(const char *path, mode_t mode, int *fd) FK_WARN_UNUSED;

#endif
