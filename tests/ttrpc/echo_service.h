/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The test service "fusekey.test.Echo" shared by the ttrpc integration test
 * (server in a thread) and ttrpc_echo_server (server in its own process).
 *   Echo      answers the payload
 *   Fail      answers code payload[0] (13 if empty) with a message that is
 *             not UTF-8, and a payload that must not be sent
 *   Big       answers a payload of BE32(payload) bytes (to cross 4 MiB)
 *   Amplify   answers 3 MiB for any request (to overflow a write queue)
 *   Meta      answers "k=v;" for every metadata pair, in order
 *   Info      answers uid, pid (BE32 each), then "D" + remaining ns (BE64) if a deadline is set
 * Handlers never block: the server runs them on its loop thread.
 */
#ifndef FK_TEST_ECHO_SERVICE_H
#define FK_TEST_ECHO_SERVICE_H

#include <stdatomic.h>

#include "ttrpc/fk_ttrpc.h"

#define ECHO_SERVICE "fusekey.test.Echo"
#define ECHO_FAIL_MESSAGE "bad \xff\xfe bytes \xc3\xa9"
#define ECHO_FAIL_SANITISED "bad ?? bytes \xc3\xa9"

struct echo_counters {
	atomic_uint calls; /* handler invocations, all methods */
};

/* The method table; arg is passed to every handler (may be NULL). */
size_t echo_methods(struct fk_ttrpc_method *out, size_t cap, struct echo_counters *arg);

#endif
