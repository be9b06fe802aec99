/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ttrpc client (docs/ttrpc.md): blocking calls over a Unix socket, odd
 * stream ids from 1, pipelining (several requests in flight; responses that
 * arrive for another caller are kept for it). Never raises SIGPIPE.
 * A client is not thread-safe: one thread at a time.
 */
#ifndef FK_TTRPC_CLIENT_H
#define FK_TTRPC_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "ttrpc/fk_ttrpc_msg.h"

struct fk_ttrpc_client;

/*
 * Connect to a Unix socket path. FUSEKEY_ERR_UNAVAILABLE when nothing
 * listens there (no such file, connection refused, not a socket): the one
 * condition on which the `la` method may fall back to seal.
 * FUSEKEY_ERR_PERMISSION when the socket may not be opened.
 */
fusekey_status fk_ttrpc_client_connect(const char *path, struct fk_ttrpc_client **out)
	FK_WARN_UNUSED;
void fk_ttrpc_client_free(struct fk_ttrpc_client *c);

/*
 * One unary call: send a Request on the next odd stream id and wait for its
 * Response (responses to other in-flight calls are kept for their callers).
 * timeout_ns > 0 is sent as timeout_nano and also bounds the send and the
 * wait (FUSEKEY_ERR_TIMEOUT; a late reply is dropped); 0 waits without
 * limit; < 0 is sent as is (already expired: the server answers
 * DEADLINE_EXCEEDED) and the wait is not bounded. A status from the server
 * is not an error here: look at res->code.
 * Errors: FUSEKEY_ERR_UNAVAILABLE when the server closes the connection
 * (or resets it) before any response came on it; after one, FUSEKEY_ERR_IO,
 * as for any other transport failure; FUSEKEY_ERR_FORMAT for a response
 * body that does not decode (that call only) or a frame over 4 MiB (the
 * connection is closed). After a transport error or an oversize frame
 * every later call fails the same way.
 */
fusekey_status fk_ttrpc_client_call(struct fk_ttrpc_client *c, const char *service,
				    const char *method, const uint8_t *payload, size_t len,
				    const struct fk_ttrpc_kv *md, size_t n_md, int64_t timeout_ns,
				    struct fk_ttrpc_result *res) FK_WARN_UNUSED;

/*
 * Pipelining: send without waiting (the stream id is returned), then wait
 * for that id. wait's timeout_ns > 0 bounds the wait, 0 waits without
 * limit; on FUSEKEY_ERR_TIMEOUT the call is abandoned (its late reply is
 * dropped). Waiting for an id that is not in flight: INVALID_PARAMETER.
 */
fusekey_status fk_ttrpc_client_send(struct fk_ttrpc_client *c, const char *service,
				    const char *method, const uint8_t *payload, size_t len,
				    const struct fk_ttrpc_kv *md, size_t n_md, int64_t timeout_ns,
				    uint32_t *stream_id) FK_WARN_UNUSED;
fusekey_status fk_ttrpc_client_wait(struct fk_ttrpc_client *c, uint32_t stream_id,
				    int64_t timeout_ns, struct fk_ttrpc_result *res) FK_WARN_UNUSED;

/*
 * Before sleeping in poll() for a response, try reading for up to spin_us,
 * yielding the CPU between tries (0, the default: sleep at once; at most
 * FK_TTRPC_MAX_SPIN_US). For a caller whose replies come in well under a
 * millisecond (the key service's ~100 us), this saves the wake-up of a
 * sleeping CPU, 20-40 us on a VM that halts idle vCPUs. Spinning stops as
 * soon as the thread has been made to wait behind others (the CPUs are
 * busy: sleeping costs less there).
 */
void fk_ttrpc_client_set_spin(struct fk_ttrpc_client *c, uint32_t spin_us);

/* The connected socket (tests use it to send raw bytes); -1 once closed. */
int fk_ttrpc_client_fd(const struct fk_ttrpc_client *c);

#endif
