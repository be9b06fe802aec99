/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ttrpc in C: message codec, server and client (docs/ttrpc.md;
 * shared/docs/reference/ttrpc.md). No C implementation existed; this one is
 * wire-compatible with containerd/ttrpc (Go, Debian 1.1.1 and newer) and
 * ttrpc-rust for unary calls.
 *
 * Rules kept everywhere (ttrpc.md §5): never send a frame over 4 MiB (a Go
 * 1.1 client panics); never send a string that is not valid UTF-8 (Go
 * clients fail to decode the whole response); every length from the peer is
 * bounded before anything is allocated.
 *
 *   fk_ttrpc_wire.h    the frame header
 *   fk_ttrpc_msg.h     Request / Response codec, UTF-8 validation
 *   fk_ttrpc_server.h  the epoll server, fk_ttrpc_listen_unix
 *   fk_ttrpc_client.h  the blocking, pipelining client
 */
#ifndef FK_TTRPC_H
#define FK_TTRPC_H

#include "ttrpc/fk_ttrpc_wire.h"
#include "ttrpc/fk_ttrpc_msg.h"
#include "ttrpc/fk_ttrpc_server.h"
#include "ttrpc/fk_ttrpc_client.h"

#endif
