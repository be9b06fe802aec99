#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# fusekeyd end to end (7): no leaked descriptors. The daemon's open
# descriptors (/proc/PID/fd) are counted after a warm-up session, then after
# 200 released sessions (concurrent), 20 refused ones, 10 `fusekey get`s,
# clients killed after Open and in the middle of a frame, garbage, truncated,
# oversize and unknown-method connections and a silent client dropped by the
# deadline: the count must be the same.
#   fds.sh FUSEKEY FUSEKEYD RAWCLIENT LOADCLIENT
source "$(dirname "$0")/lib.sh" "$@"

world
SOCK=$T/run/fusekeyd.sock
LOG=$T/fusekeyd.log
if ! start_daemon fusekeyd "$SOCK" "$LOG" --conn-timeout-ms 500; then
	fail "fusekeyd starts"
	finish
fi
pass "fusekeyd starts"
FDS_COLD=$(fd_count "$DPID")
if [ -z "$FDS_COLD" ]; then
	# fusekeyd is not dumpable (PR_SET_DUMPABLE 0): /proc/PID/fd belongs to root.
	echo "# /proc/$DPID/fd is not readable by uid $(id -u): fusekeyd is not dumpable; run as root (CI does)"
	stop_daemon fusekeyd "$DPID" "$SOCK"
	echo "ok $((N + 1)) # SKIP counting the daemon's descriptors needs root"
	N=$((N + 1))
	finish
fi
# The first session loads web's key and warms the crypto library up: what
# stays open from then on (if anything) is not per client.
check_get "warm-up: fusekey get --method la" "$SOCK"
FDS0=$(fd_settle "$DPID" "$FDS_COLD")
echo "# daemon descriptors: $FDS_COLD at start, $FDS0 after the first session: $(ls -l "/proc/$DPID/fd" | awk 'NR > 1 { printf "%s->%s ", $9, $11 }')"
RSS0=$(mem_kb "$DPID" VmRSS)

load "200 concurrent sessions release web's key" --socket "$SOCK" --clients 200 --threads 2
load "20 concurrent sessions of another enclave are refused (7)" --socket "$SOCK" --clients 20 \
	--threads 2 --enclave "$T/other.sig" --expect refused
ok=true
for i in $(seq 10); do get_la "$SOCK"; got_key || ok=false; done
check "10 sequential fusekey get --method la" $ok
ok=true
for i in 1 2 3; do
	hold "o$i" open-hold "$SOCK" && kill_hold "$HOLD_PID" || ok=false
	hold "m$i" midframe-hold "$SOCK" && kill_hold "$HOLD_PID" || ok=false
done
check "6 clients SIGKILLed: 3 after Open, 3 in the middle of a frame" $ok
raw "garbage" "$SOCK" garbage 1024
raw "a random Request body" "$SOCK" garbage-body 1024
raw "a truncated frame" "$SOCK" truncated
raw "4 MiB + 1" "$SOCK" oversize
raw "unknown service and method" "$SOCK" unknown
raw "a silent client is dropped" "$SOCK" silent 5

after=$(fd_settle "$DPID" "$FDS0")
check "descriptors after all that: $after, as before ($FDS0)" [ "$after" = "$FDS0" ]
echo "# daemon VmRSS ${RSS0:-?} kB before, $(mem_kb "$DPID" VmRSS) kB after; VmHWM $(mem_kb "$DPID" VmHWM) kB"
check "the daemon is the same process" alive "$DPID"
stop_daemon fusekeyd "$DPID" "$SOCK"
check "stop line: 211 released, 20 refused" \
	logged '"event":"stop".*"released":211,"refused":20' "$LOG"
check_logs "$LOG"
finish
