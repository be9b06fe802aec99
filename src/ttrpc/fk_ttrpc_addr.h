/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Where a ttrpc endpoint lives: a Unix socket path (the default), or a
 * loopback TCP address "tcp:127.0.0.1:PORT" / "tcp:[::1]:PORT". TCP exists
 * for apps inside a library OS whose Unix sockets never reach the host
 * (Gramine; Occlum without untrusted_unix_socks): their TCP does. It is
 * loopback only — within a pod, the pod's own network namespace — and
 * carries nothing that local attestation does not authenticate; what TCP
 * lacks is SO_PEERCRED, so a uid/gid filter cannot apply (docs/service.md).
 */
#ifndef FK_TTRPC_ADDR_H
#define FK_TTRPC_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "crypto/fk_crypto.h" /* FK_WARN_UNUSED */
#include "fusekey/fusekey.h"

#define FK_TTRPC_TCP_PREFIX "tcp:"

/* Does spec name a TCP endpoint ("tcp:" prefix, any case: "TCP:..." is never a file name here)? */
bool fk_ttrpc_addr_is_tcp(const char *spec);

/*
 * Parse "tcp:HOST:PORT": HOST an IPv4 literal in 127.0.0.0/8 or "[::1]"
 * (no names: nothing is resolved), PORT 0..65535 in decimal (0 only where
 * allow_port0, to listen on a port the kernel picks). Anything else,
 * including a non-loopback address: FUSEKEY_ERR_INVALID_PARAMETER.
 */
fusekey_status fk_ttrpc_addr_parse_tcp(const char *spec, bool allow_port0,
				       struct sockaddr_storage *sa, socklen_t *len)
	FK_WARN_UNUSED;

/* Is this socket address a loopback one (127.0.0.0/8, ::1)? false for any other family. */
bool fk_ttrpc_addr_is_loopback(const struct sockaddr_storage *sa);

/* "tcp:127.0.0.1:PORT" / "tcp:[::1]:PORT" for a bound socket (its real port). */
fusekey_status fk_ttrpc_addr_of_socket(int fd, char *buf, size_t buflen) FK_WARN_UNUSED;

#endif
