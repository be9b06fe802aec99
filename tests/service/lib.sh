# SPDX-License-Identifier: Apache-2.0
# Shared set-up of the fusekeyd end-to-end tests (sourced, not run):
#
#   source lib.sh FUSEKEY FUSEKEYD RAWCLIENT LOADCLIENT
#
# On top of tests/cli/lib.sh (TAP: pass/fail/check/finish; $T a fresh scratch
# directory under $TMPDIR, the cwd, removed on exit): daemons started here are
# tracked and SIGKILLed on every exit path (normal end, failure, SIGTERM from
# meson's timeout, SIGINT), as are the clients we hold open.
#
# world: an emulated platform in $T/sim, one signer, three enclaves
#   agent  MRENCLAVE a1..  (fusekeyd)
#   app    MRENCLAVE b2..  (the policy gives it container "web")
#   other  MRENCLAVE c3..  (same signer, not in the policy: refused)
# and web's key made with --method la; $KEY_HEX is the agent's copy.

set -u
abs_() { case $1 in /*) printf '%s' "$1" ;; *) printf '%s/%s' "$PWD" "$1" ;; esac; }
if [ $# -lt 4 ]; then
	echo "Bail out! usage: $0 FUSEKEY FUSEKEYD RAWCLIENT LOADCLIENT"
	exit 1
fi
FUSEKEYD=$(abs_ "$2") RAWCLIENT=$(abs_ "$3") LOADCLIENT=$(abs_ "$4")
SVC_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
for b in "$FUSEKEYD" "$RAWCLIENT" "$LOADCLIENT"; do
	if [ ! -x "$b" ]; then
		echo "Bail out! not an executable: $b"
		exit 1
	fi
done
source "$SVC_HERE/../cli/lib.sh" "$1"

PIDS=()
svc_cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
	cd / && rm -rf "$T"
}
trap svc_cleanup EXIT
trap 'exit 143' TERM
trap 'exit 130' INT
trap 'exit 129' HUP
track() { PIDS+=("$1"); }
# forget PID: it was waited for (never signal a pid that may be reused).
forget() {
	local keep=() p
	for p in "${PIDS[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
	PIDS=("${keep[@]}")
}

S=$T/sim
B=$T/bundle
MRE_AGENT=$(repeat_hex a1 32)
MRE_APP=$(repeat_hex b2 32)
MRE_OTHER=$(repeat_hex c3 32)
KEY_HEX=
PLAT=(--platform sim --sim-dir "$S")

world() {
	local ok=true e
	"$FUSEKEY" sim init --sim-dir "$S" >/dev/null 2>&1 || ok=false
	"$FUSEKEY" sim keygen --out "$T/signer.pem" >/dev/null 2>&1 || ok=false
	for e in "agent $MRE_AGENT" "app $MRE_APP" "other $MRE_OTHER"; do
		set -- $e
		"$FUSEKEY" sim sign --key "$T/signer.pem" --out "$T/$1.sig" --mrenclave "$2" \
			--prodid 1 --svn 2 >/dev/null 2>&1 || ok=false
	done
	mkdir -p "$B" || ok=false
	fk generate "${PLAT[@]}" --enclave "$T/agent.sig" --bundle "$B" --container web \
		--method la --stdout --format hex
	[ "$RC" -eq 0 ] || ok=false
	KEY_HEX=$(tr -d '\n' <"$OUT")
	[ ${#KEY_HEX} -eq 32 ] || ok=false
	printf '{"version": 1, "containers": {"web": [{"mr_enclave": ["%s"]}]}}\n' "$MRE_APP" \
		>"$T/policy.json"
	check "setup: emulated platform, agent/app/other enclaves, web's key made with --method la" $ok
	if [ "$ok" != true ]; then
		_diag
		echo "Bail out! set-up failed"
		exit 1
	fi
}

# Commands that run fusekeyd: DAEMON_WRAP=(valgrind ...) puts a tool in front.
DAEMON_WRAP=()
DPID=
# start_daemon NAME SOCKET LOG [EXTRA FUSEKEYD ARGS...]: $DPID. It is up when
# its "start" line is in LOG (written after listen(): a socket file alone may
# still refuse connections). Fails when it exits first or takes over 60 s.
start_daemon() {
	local name=$1 sock=$2 log=$3 before i
	shift 3
	before=$(grep -c '"event":"start"' "$log" 2>/dev/null)
	before=${before:-0}
	"${DAEMON_WRAP[@]}" "$FUSEKEYD" --socket "$sock" --policy "$T/policy.json" --bundle "$B" \
		--enclave "$T/agent.sig" "${PLAT[@]}" --log "$log" "$@" \
		</dev/null >"$T/$name.stdout" 2>>"$T/$name.stderr" &
	DPID=$!
	track "$DPID"
	for ((i = 0; i < 1200; i++)); do
		if [ "$(grep -c '"event":"start"' "$log" 2>/dev/null)" -gt "$before" ] 2>/dev/null; then
			return 0
		fi
		alive "$DPID" || break
		sleep 0.05
	done
	sed -n '1,20s/^/#   fusekeyd stderr: /p' "$T/$name.stderr"
	return 1
}
# alive PID: running (a zombie is not: kill -0 would still succeed on it).
alive() {
	local st
	st=$(sed -n 's/^[0-9]* (.*) \([A-Za-z]\).*/\1/p' "/proc/$1/stat" 2>/dev/null)
	[ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}
# stop_daemon NAME PID SOCKET: SIGTERM; exits 0; its socket is gone. Sets $STOP_RC.
STOP_RC=
stop_daemon() {
	local name=$1 pid=$2 sock=$3
	kill -TERM "$pid"
	wait "$pid"
	STOP_RC=$?
	forget "$pid"
	check "$name: SIGTERM -> exit 0 (got $STOP_RC)" [ "$STOP_RC" -eq 0 ]
	check "$name: the socket is removed" [ ! -e "$sock" ]
	[ "$STOP_RC" -eq 0 ] || sed -n '1,30s/^/#   stderr: /p' "$T/$name.stderr"
}

# get_la SOCKET [ENCLAVE]: fusekey get --method la as the app (default) -> $RC, $OUT.
get_la() {
	fk get "${PLAT[@]}" --enclave "${2:-$T/app.sig}" --bundle "$B" --container web \
		--method la --socket "$1" --agent-mrenclave "$MRE_AGENT" --format hex --stdout
}
# got_key: the last get_la printed exactly web's key.
got_key() { [ "$RC" -eq 0 ] && [ "$(tr -d '\n' <"$OUT")" = "$KEY_HEX" ]; }
# check_get NAME SOCKET: the app gets web's key over la.
check_get() {
	get_la "$2"
	check "$1" got_key
}

# raw NAME SOCKET CASE [ARG]: rawclient passes the case; its line as a diagnostic.
raw() {
	local name=$1
	shift
	if timeout 60 "$RAWCLIENT" "$@" >"$OUT" 2>"$ERR"; then
		pass "$name"
		sed 's/^/# /' "$OUT"
	else
		RC=$?
		fail "$name" "rawclient $*"
		_diag
	fi
}

# load NAME ARGS...: loadclient as the app, for web, with the expected key.
load() {
	local name=$1
	shift
	timeout 300 "$LOADCLIENT" --sim-dir "$S" --enclave "$T/app.sig" --agent-mrenclave \
		"$MRE_AGENT" --container web --key "$KEY_HEX" "$@" >"$OUT" 2>"$ERR"
	RC=$?
	if [ "$RC" -eq 0 ]; then
		pass "$name"
		sed 's/^/# /' "$OUT"
	else
		fail "$name" "loadclient $*"
		_diag
	fi
}

# hold NAME CASE SOCKET: a rawclient that waits to be killed (open-hold,
# midframe-hold) in the background, once it reported its step: $HOLD_PID.
HOLD_PID=
hold() {
	local name=$1 mode=$2 sock=$3 i
	"$RAWCLIENT" "$sock" "$mode" >"$T/$name.hold" 2>&1 &
	HOLD_PID=$!
	track "$HOLD_PID"
	for ((i = 0; i < 400; i++)); do
		[ -s "$T/$name.hold" ] && grep -qE '^(opened|sent)$' "$T/$name.hold" && return 0
		alive "$HOLD_PID" || break
		sleep 0.05
	done
	sed 's/^/#   /' "$T/$name.hold"
	return 1
}
# kill_hold PID: SIGKILL it and reap it.
kill_hold() {
	kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	forget "$1"
}

# fd_count PID: open descriptors (needs /proc/PID/fd readable: fusekeyd is not
# dumpable, so only root, or CAP_SYS_PTRACE, may list them). Empty if not.
fd_count() {
	ls "/proc/$1/fd" 2>/dev/null | wc -l | { read -r n; [ "$n" -gt 0 ] && echo "$n"; }
}
# fd_settle PID WANT: wait (up to 10 s) for the daemon to close what clients
# closed; prints the last count. The daemon notices a closed peer on its
# next loop turn, so "not yet" is normal for a moment.
fd_settle() {
	local i n
	for ((i = 0; i < 200; i++)); do
		n=$(fd_count "$1")
		[ "$n" = "$2" ] && break
		sleep 0.05
	done
	echo "$n"
}
# mem_kb PID FIELD: VmRSS / VmHWM in kB.
mem_kb() { sed -n "s/^$2:[[:space:]]*\([0-9]*\) kB/\1/p" "/proc/$1/status" 2>/dev/null; }

# check_logs LOG...: every line valid JSON with the documented fields, never the key.
check_logs() {
	if python3 "$SVC_HERE/check_log.py" --key "$KEY_HEX" "$@" >"$OUT" 2>"$ERR"; then
		pass "decision log: every line is JSON with the documented fields; never the key"
		sed 's/^/# /' "$OUT"
	else
		RC=$?
		fail "decision log: every line is JSON with the documented fields; never the key"
		_diag
	fi
}
# logged PATTERN LOG: LOG has a line matching the extended regex.
logged() { grep -Eq -e "$1" "$2"; }
