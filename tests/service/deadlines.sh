#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# fusekeyd end to end (5): slow and silent clients are dropped. With
# --conn-timeout-ms 300, a connection that sends half a header and then
# nothing, or nothing at all, is closed by the daemon (the client reads EOF),
# not before 300 ms, and logged with the reason; meanwhile others are served.
#   deadlines.sh FUSEKEY FUSEKEYD RAWCLIENT LOADCLIENT
source "$(dirname "$0")/lib.sh" "$@"
TIMEOUT_MS=300

world
SOCK=$T/run/fusekeyd.sock
LOG=$T/fusekeyd.log
if ! start_daemon fusekeyd "$SOCK" "$LOG" --conn-timeout-ms $TIMEOUT_MS; then
	fail "fusekeyd starts (--conn-timeout-ms $TIMEOUT_MS)"
	finish
fi
pass "fusekeyd starts (--conn-timeout-ms $TIMEOUT_MS)"

# silent NAME BYTES REASON: the daemon hangs up; when, and why (logged).
silent() {
	local name=$1 bytes=$2 reason=$3 ms
	raw "$name: closed by the daemon (read returns 0)" "$SOCK" silent "$bytes"
	ms=$(sed -n 's/.* after \([0-9]*\) ms$/\1/p' "$OUT")
	check "$name: not before --conn-timeout-ms (${ms:-?} ms >= $TIMEOUT_MS)" \
		[ "${ms:-0}" -ge "$TIMEOUT_MS" ]
	# 10x the timeout: only a deadline that did not fire (or a hung loop) misses it.
	check "$name: soon after it (${ms:-?} ms < $((10 * TIMEOUT_MS)))" \
		[ "${ms:-99999}" -lt $((10 * TIMEOUT_MS)) ]
	check "$name: logged as '$reason'" logged "\"event\":\"connection\".*closed: $reason\"" "$LOG"
}
silent "half a header (5 bytes), then nothing" 5 'frame not complete in time \(slow client\)'
silent "connected, nothing sent" 0 'idle timeout'

# While a silent client waits to be dropped, others are served.
"$RAWCLIENT" "$SOCK" silent 5 >"$T/bg.out" 2>&1 &
bg=$!
track "$bg"
check_get "fusekey get --method la is served while a silent client is connected" "$SOCK"
wait "$bg"
bgrc=$?
forget "$bg"
check "... and that silent client was dropped too (rawclient rc $bgrc)" [ "$bgrc" -eq 0 ]
check "the daemon is alive (same pid)" alive "$DPID"
stop_daemon fusekeyd "$DPID" "$SOCK"
check_logs "$LOG"
finish
