#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# fusekeyd end to end (1): frames a client should never send. Garbage bytes,
# a random body in a Request frame, a truncated frame, a frame of 4 MiB + 1
# (the daemon runs with max_request 64 KiB: docs/ttrpc.md says the body is
# read and discarded, then 8 RESOURCE_EXHAUSTED, and the connection stays),
# unknown service and method. After each, the same daemon process (same pid,
# one start line) still serves `fusekey get --method la`.
#   frames.sh FUSEKEY FUSEKEYD RAWCLIENT LOADCLIENT
source "$(dirname "$0")/lib.sh" "$@"

world
SOCK=$T/run/fusekeyd.sock
LOG=$T/fusekeyd.log
if ! start_daemon fusekeyd "$SOCK" "$LOG"; then
	fail "fusekeyd starts"
	finish
fi
pass "fusekeyd starts"
PID0=$DPID
check_get "a normal fusekey get --method la is served first" "$SOCK"

# still_serving WHAT: the same process, one start line, and it serves.
still_serving() {
	check "after $1: the daemon is alive with the same pid ($PID0)" alive "$PID0"
	check "after $1: still one start line (no restart)" \
		[ "$(grep -c '"event":"start"' "$LOG")" -eq 1 ]
	check_get "after $1: fusekey get --method la still gets web's key" "$SOCK"
}

raw "garbage: 1 KiB of random bytes, then half-close: only well-formed replies, then EOF" \
	"$SOCK" garbage 1024
still_serving "1 KiB of garbage"
raw "garbage: a Request frame with a 1 KiB random body -> 3 INVALID_ARGUMENT, connection kept" \
	"$SOCK" garbage-body 1024
still_serving "a random Request body"
raw "truncated: header says 100 bytes, 50 sent, half-close -> no reply, the daemon closes" \
	"$SOCK" truncated
check "truncated: logged as closed in the middle of a frame" \
	logged '"event":"connection".*closed: peer closed in the middle of a frame' "$LOG"
still_serving "a truncated frame"
raw "oversize: 4 MiB + 1 (max_request 64 KiB) -> 8 RESOURCE_EXHAUSTED as Go words it; Open OK after it on the same connection" \
	"$SOCK" oversize
still_serving "a 4 MiB + 1 frame"
raw "unknown service, unknown method, empty Request -> 12 UNIMPLEMENTED each; Open OK after" \
	"$SOCK" unknown
still_serving "unknown service and method"
# The same cases again, quickly: nothing accumulates (no state left behind).
for i in 1 2 3 4 5; do
	"$RAWCLIENT" "$SOCK" garbage 1024 >/dev/null 2>&1
	"$RAWCLIENT" "$SOCK" truncated >/dev/null 2>&1
	"$RAWCLIENT" "$SOCK" unknown >/dev/null 2>&1
done
still_serving "15 more bad connections"

stop_daemon fusekeyd "$DPID" "$SOCK"
check "the decision log counts the releases (stop line: released 7)" \
	logged '"event":"stop".*"released":7' "$LOG"
check_logs "$LOG"
finish
