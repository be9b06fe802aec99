#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# fusekeyd end to end (4): restarts. SIGTERM and SIGINT stop it cleanly
# (exit 0, socket removed); started again it serves the same key (key.la in
# the bundle). A SIGKILLed daemon leaves its socket file behind: the next
# start replaces that stale socket. A live daemon's socket is never taken.
#   restart.sh FUSEKEY FUSEKEYD RAWCLIENT LOADCLIENT
source "$(dirname "$0")/lib.sh" "$@"

world
SOCK=$T/run/fusekeyd.sock
LOG=$T/fusekeyd.log

if start_daemon fusekeyd "$SOCK" "$LOG"; then
	pass "first start"
	check_get "first run: fusekey get --method la gets web's key" "$SOCK"
	check "the socket is 0660 in a 0750 directory" \
		eval '[ "$(stat -c %a "$SOCK")" = 660 ] && [ "$(stat -c %a "$T/run")" = 750 ]'
	stop_daemon fusekeyd "$DPID" "$SOCK"
else
	fail "first start"
fi

if start_daemon fusekeyd "$SOCK" "$LOG"; then
	pass "started again after SIGTERM"
	check_get "second run: the same key (read again from key.la)" "$SOCK"
	# A second daemon on the same, live socket must not take it over.
	"$FUSEKEYD" --socket "$SOCK" --policy "$T/policy.json" --bundle "$B" \
		--enclave "$T/agent.sig" "${PLAT[@]}" --log "$T/second.log" \
		</dev/null >/dev/null 2>"$T/second.stderr" &
	p2=$!
	track "$p2"
	wait "$p2"
	rc2=$?
	forget "$p2"
	check "a second daemon on the live socket is refused (exit $rc2)" [ "$rc2" -ne 0 ]
	check_get "... and the first one still serves" "$SOCK"
	kill -INT "$DPID"
	wait "$DPID"
	rc=$?
	forget "$DPID"
	check "SIGINT -> exit 0 too (got $rc)" [ "$rc" -eq 0 ]
	check "... and the socket is removed" [ ! -e "$SOCK" ]
else
	fail "started again after SIGTERM"
fi

if start_daemon fusekeyd "$SOCK" "$LOG"; then
	pass "third start"
	kill -KILL "$DPID"
	wait "$DPID" 2>/dev/null
	forget "$DPID"
	check "SIGKILL leaves a stale socket file behind" [ -S "$SOCK" ]
	get_la "$SOCK"
	check "nothing serves on the stale socket: fusekey get -> exit 16 (unavailable)" [ "$RC" -eq 16 ]
	if start_daemon fusekeyd "$SOCK" "$LOG"; then
		pass "started again over the stale socket"
		check_get "the stale socket was replaced: served again, the same key" "$SOCK"
		stop_daemon fusekeyd "$DPID" "$SOCK"
	else
		fail "started again over the stale socket"
	fi
else
	fail "third start"
fi
check "the log has 4 start lines and 3 stop lines (none for the SIGKILLed run)" \
	eval '[ "$(grep -c "\"event\":\"start\"" "$LOG")" -eq 4 ] && [ "$(grep -c "\"event\":\"stop\"" "$LOG")" -eq 3 ]'
check_logs "$LOG"
finish
