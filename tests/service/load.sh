#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# fusekeyd end to end (2): 1,000 app enclaves at once. loadclient opens 1,000
# connections, sends Open on all of them before reading any reply, then runs
# every session to the key on 4 threads; every key must be web's. Figures
# (time, the daemon's VmRSS / VmHWM and descriptors) are printed, not judged.
#   load.sh FUSEKEY FUSEKEYD RAWCLIENT LOADCLIENT
source "$(dirname "$0")/lib.sh" "$@"
NCL=1000

# The daemon needs N descriptors more than it has: raise the soft limit
# (inherited by fusekeyd) up to the hard one.
need=$((NCL + 200))
hard=$(ulimit -Hn)
if [ "$(ulimit -Sn)" != unlimited ] && [ "$(ulimit -Sn)" -lt "$need" ]; then
	if [ "$hard" = unlimited ] || [ "$hard" -ge "$need" ]; then
		ulimit -Sn "$need"
	else
		echo "1..0 # SKIP the hard RLIMIT_NOFILE ($hard) is below the $need descriptors $NCL clients need"
		exit 0
	fi
fi

world
SOCK=$T/run/fusekeyd.sock
LOG=$T/fusekeyd.log
# Sessions must outlive the run even on a slow (sanitized) build: the TTL is
# not what this test is about (killed.sh is).
if ! start_daemon fusekeyd "$SOCK" "$LOG" --max-sessions 2048 --session-ttl-ms 120000; then
	fail "fusekeyd starts (--max-sessions 2048)"
	finish
fi
pass "fusekeyd starts (--max-sessions 2048)"
FDS_COLD=$(fd_count "$DPID")
check_get "warm-up: fusekey get --method la gets web's key" "$SOCK"
# Once the warm-up connection is closed (the daemon may take a moment to see it).
FDS0=$(fd_settle "$DPID" "$FDS_COLD")
RSS0=$(mem_kb "$DPID" VmRSS)

t0=$(date +%s%N)
load "$NCL concurrent clients: all Opens sent before any reply is read; every session releases web's key" \
	--socket "$SOCK" --clients $NCL --threads 4 --daemon-pid "$DPID"
t1=$(date +%s%N)
echo "# $NCL clients end to end (connect, Open, LA, Exchange, key check): $(((t1 - t0) / 1000000)) ms wall, loadclient included"
echo "# daemon before: VmRSS ${RSS0:-?} kB, ${FDS0:-?} descriptors"
fds_open=$(sed -n 's/.*daemon_fds_with_all_open=\([0-9-]*\).*/\1/p' "$OUT")
if [ -n "$FDS0" ]; then
	check "with $NCL clients connected the daemon holds $NCL descriptors more ($fds_open vs $FDS0)" \
		[ "$fds_open" = $((FDS0 + NCL)) ]
	after=$(fd_settle "$DPID" "$FDS0")
	check "after the $NCL clients closed: back to $FDS0 descriptors (got $after)" [ "$after" = "$FDS0" ]
else
	echo "# /proc/$DPID/fd not readable (a non-dumpable daemon, and we are not root)"
	for what in "$NCL descriptors more while connected" "back to the descriptors before"; do
		N=$((N + 1))
		echo "ok $N # SKIP $what: counting the daemon's descriptors needs root"
	done
fi
echo "# daemon after: VmRSS $(mem_kb "$DPID" VmRSS) kB, VmHWM $(mem_kb "$DPID" VmHWM) kB"
check "the daemon is the same process after the load" alive "$DPID"
check_get "and still serves fusekey get --method la" "$SOCK"
stop_daemon fusekeyd "$DPID" "$SOCK"
check "stop line: $((NCL + 2)) released, 0 refused" \
	logged "\"event\":\"stop\".*\"opened\":$((NCL + 2)),\"released\":$((NCL + 2)),\"refused\":0" "$LOG"
check_logs "$LOG"
finish
