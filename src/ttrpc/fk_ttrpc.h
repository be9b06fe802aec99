/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ttrpc in C: message codec, server and client (docs/ttrpc.md;
 * shared/docs/reference/ttrpc.md). No C implementation existed; this one is
 * wire-compatible with containerd/ttrpc (Go, Debian 1.1.1 and newer) and
 * ttrpc-rust for unary calls.
 *
 * Messages are the protobuf `ttrpc.Request` / `ttrpc.Response` of
 * proto/ttrpc.proto, coded with protobuf-c. Method payloads are opaque bytes
 * here: each service decodes its own (two-stage decode, ttrpc.md §6).
 *
 * Rules kept everywhere (ttrpc.md §5): never send a frame over 4 MiB (a Go
 * 1.1 client panics); never send a string that is not valid UTF-8 (Go
 * clients fail to decode the whole response); every length from the peer is
 * bounded before anything is allocated.
 */
#ifndef FK_TTRPC_H
#define FK_TTRPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "crypto/fk_crypto.h"
#include "fusekey/fusekey.h"
#include "ttrpc/fk_ttrpc_wire.h"

/* ---- strings ---- */

/* True when s[0..n) is valid UTF-8 (no overlongs, no surrogates, <= U+10FFFF). */
bool fk_ttrpc_utf8_valid(const char *s, size_t n);

/*
 * Copy src into dst (cap bytes incl. NUL) replacing every byte that is not
 * part of valid UTF-8 by '?', and truncating on a character boundary: what
 * the server does to every status message and metadata string it sends.
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
	uint8_t *payload;
	size_t payload_len;
	int64_t timeout_nano;
	struct fk_ttrpc_kv *metadata; /* key/value strings owned by this struct */
	size_t n_metadata;
};

/*
 * Request / Response bodies (without the frame header). Encoders return a
 * malloc'd buffer in *out (NULL when *out_len is 0: an OK response with an
 * empty payload is 0 bytes) and refuse (INVALID_PARAMETER) strings that are
 * not valid UTF-8 and bodies over FK_TTRPC_MAX_DATA.
 * Decoders give FUSEKEY_ERR_FORMAT for anything protobuf-c cannot decode or
 * whose strings are not valid UTF-8.
 */
fusekey_status fk_ttrpc_request_encode(const char *service, const char *method,
				       const uint8_t *payload, size_t payload_len,
				       int64_t timeout_nano, const struct fk_ttrpc_kv *md,
				       size_t n_md, uint8_t **out, size_t *out_len) FK_WARN_UNUSED;
fusekey_status fk_ttrpc_request_decode(const uint8_t *body, size_t len,
				       struct fk_ttrpc_request_msg *out) FK_WARN_UNUSED;
void fk_ttrpc_request_msg_free(struct fk_ttrpc_request_msg *m);

/* code FK_TTRPC_OK: status omitted (as the Go server); message may be NULL. */
fusekey_status fk_ttrpc_response_encode(uint32_t code, const char *message,
					const uint8_t *payload, size_t payload_len, uint8_t **out,
					size_t *out_len) FK_WARN_UNUSED;

/* A decoded ttrpc.Response (also what the client returns). */
struct fk_ttrpc_result {
	uint32_t code;   /* FK_TTRPC_OK when the status is absent */
	char *message;   /* NUL-terminated, never NULL after a successful decode */
	uint8_t *payload;
	size_t payload_len;
};
fusekey_status fk_ttrpc_response_decode(const uint8_t *body, size_t len,
					struct fk_ttrpc_result *out) FK_WARN_UNUSED;
/* Frees and wipes the payload (it may hold key material). */
void fk_ttrpc_result_free(struct fk_ttrpc_result *r);

/* ---- server ---- */

/* Who is on the other end of a connection (SO_PEERCRED). */
struct fk_ttrpc_peer {
	uid_t uid;
	gid_t gid;
	pid_t pid;
	uint64_t conn_id; /* unique per connection for this server's lifetime */
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
 * empty. message is copied (sanitised to UTF-8) and may be NULL; payload, if
 * set, must be malloc'd: the server wipes and frees it after sending.
 * A reply whose frame would exceed 4 MiB is replaced by RESOURCE_EXHAUSTED.
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
	const struct fk_ttrpc_method *methods;
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
	 * frame received and nothing pending), or when a started frame is not
	 * complete within it (slow or silent clients). Default (0): 10000 ms.
	 */
	uint32_t conn_timeout_ms;
	/* Optional: decide on a new connection from its SO_PEERCRED; false closes it. */
	bool (*accept_peer)(void *arg, const struct fk_ttrpc_peer *peer);
	void *accept_arg;
	/* Optional: one line per connection event (accepted, refused, dropped and why). */
	void (*log)(void *arg, const char *line);
	void *log_arg;
};

struct fk_ttrpc_server;

/*
 * A server on an already listening socket (ownership of listen_fd passes to
 * the server). Single-threaded: one epoll loop, non-blocking sockets, no
 * thread per client; handlers run on the loop thread and must not block.
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
 */
fusekey_status fk_ttrpc_server_run(struct fk_ttrpc_server *s) FK_WARN_UNUSED;

/* Ask run() to return. Async-signal-safe (writes an eventfd). */
void fk_ttrpc_server_stop(struct fk_ttrpc_server *s);

/* Close every connection and the listening socket; NULL allowed. */
void fk_ttrpc_server_free(struct fk_ttrpc_server *s);

/* Connections open now (for tests and the daemon's own bounds). */
size_t fk_ttrpc_server_connections(const struct fk_ttrpc_server *s);

/*
 * A listening Unix stream socket at path (an existing socket file there is
 * replaced; any other file is refused with FUSEKEY_ERR_EXISTS), chmod'ed to
 * mode (e.g. 0660) before listen(). The directory is the caller's business.
 */
fusekey_status fk_ttrpc_listen_unix(const char *path, mode_t mode, int *fd) FK_WARN_UNUSED;

/* ---- client ---- */

struct fk_ttrpc_client;

/*
 * Connect to a Unix socket path. FUSEKEY_ERR_UNAVAILABLE when nothing
 * listens there (no such file, connection refused, not a socket): the one
 * condition on which the `la` method may fall back to seal.
 */
fusekey_status fk_ttrpc_client_connect(const char *path, struct fk_ttrpc_client **out)
	FK_WARN_UNUSED;
void fk_ttrpc_client_free(struct fk_ttrpc_client *c);

/*
 * One unary call: send a Request on the next odd stream id and wait for its
 * Response (responses to other in-flight calls are kept for their callers).
 * timeout_ns > 0 is sent as timeout_nano and also bounds the wait
 * (FUSEKEY_ERR_TIMEOUT); 0 waits without limit. A status from the server is
 * not an error here: look at res->code. Errors: transport failures
 * (FUSEKEY_ERR_IO), a malformed or oversize response (FUSEKEY_ERR_FORMAT),
 * the server closing the connection (FUSEKEY_ERR_UNAVAILABLE).
 */
fusekey_status fk_ttrpc_client_call(struct fk_ttrpc_client *c, const char *service,
				    const char *method, const uint8_t *payload, size_t len,
				    const struct fk_ttrpc_kv *md, size_t n_md, int64_t timeout_ns,
				    struct fk_ttrpc_result *res) FK_WARN_UNUSED;

/* Pipelining: send without waiting (the stream id is returned), then wait for that id. */
fusekey_status fk_ttrpc_client_send(struct fk_ttrpc_client *c, const char *service,
				    const char *method, const uint8_t *payload, size_t len,
				    const struct fk_ttrpc_kv *md, size_t n_md, int64_t timeout_ns,
				    uint32_t *stream_id) FK_WARN_UNUSED;
fusekey_status fk_ttrpc_client_wait(struct fk_ttrpc_client *c, uint32_t stream_id,
				    int64_t timeout_ns, struct fk_ttrpc_result *res) FK_WARN_UNUSED;

/* The connected socket (tests use it to send raw bytes). */
int fk_ttrpc_client_fd(const struct fk_ttrpc_client *c);

#endif
