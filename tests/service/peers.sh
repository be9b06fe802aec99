#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# fusekeyd end to end (6): --allow-uid / --allow-gid (SO_PEERCRED). A daemon
# that allows another uid closes our connection at once, without a reply, and
# logs it; allowing our uid (or our gid next to another uid) it serves.
#   peers.sh FUSEKEY FUSEKEYD RAWCLIENT LOADCLIENT
source "$(dirname "$0")/lib.sh" "$@"

world
SOCK=$T/run/fusekeyd.sock
ME=$(id -u)
MYGID=$(id -g)
OTHER=$((ME + 1))
OTHERGID=$((MYGID + 1))

# refused_run NAME ARGS...: our connections are refused by a daemon run with ARGS.
refused_run() {
	local name=$1 log=$T/$1.log
	shift
	if ! start_daemon "$name" "$SOCK" "$log" "$@"; then
		fail "$name: fusekeyd $* starts"
		return
	fi
	pass "$name: fusekeyd $* starts"
	raw "$name: our connection (uid $ME gid $MYGID) is closed at once, no reply" "$SOCK" refused
	get_la "$SOCK"
	# Reached, then closed without an answer: a refusal (17), never "unreachable"
	# (16), so --method auto does not fall back to seal because of it.
	check "$name: fusekey get --method la -> exit 17 (closed without answering: refused)" \
		[ "$RC" -eq 17 ]
	check "$name: the refusal is logged with our uid" \
		logged "\"event\":\"connection\".*uid=$ME gid=$MYGID pid=[0-9]+ refused: peer not allowed" "$log"
	check "$name: no key decision was made (nothing reached the service)" \
		eval '! grep -q "\"event\":\"key_release\"" "$log"'
	stop_daemon "$name" "$DPID" "$SOCK"
	check_logs "$log"
}
# served_run NAME ARGS...: the app gets web's key from a daemon run with ARGS.
served_run() {
	local name=$1 log=$T/$1.log
	shift
	if ! start_daemon "$name" "$SOCK" "$log" "$@"; then
		fail "$name: fusekeyd $* starts"
		return
	fi
	pass "$name: fusekeyd $* starts"
	check_get "$name: fusekey get --method la gets web's key" "$SOCK"
	check "$name: the release is logged with our uid" \
		logged "\"decision\":\"released\".*\"peer\":\\{\"uid\":$ME,\"gid\":$MYGID," "$log"
	stop_daemon "$name" "$DPID" "$SOCK"
	check_logs "$log"
}

refused_run other-uid --allow-uid "$OTHER"
refused_run other-gid --allow-gid "$OTHERGID"
served_run our-uid --allow-uid "$ME"
served_run our-gid --allow-uid "$OTHER" --allow-gid "$MYGID"
finish
