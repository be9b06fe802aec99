#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Interop with the reference Go ttrpc (containerd/ttrpc 1.1.1 as Debian 12
# packages it; docs/interop.md). Prints TAP.
#
#   run.sh FUSEKEY FUSEKEYD LA_APP C_ECHO_SERVER C_ECHO_CLIENT WORKDIR
#
# Builds the Go peers (gosrv, gocli) offline into WORKDIR/go, then:
#   1. Go client -> fusekey's C ttrpc server (c_echo_server)
#   2. fusekey's C ttrpc client (c_echo_client) -> Go server
#   3. Go client -> fusekeyd: errors, and full key sessions whose local
#      attestation messages are made and checked by our C library (la_app)
# Skipped (TAP "1..0 # SKIP") only when `go` or the Debian ttrpc sources are
# missing: install golang-go golang-github-containerd-ttrpc-dev (make deps).
set -u

if [ $# -ne 6 ]; then
	echo "Bail out! usage: run.sh FUSEKEY FUSEKEYD LA_APP C_ECHO_SERVER C_ECHO_CLIENT WORKDIR"
	exit 1
fi
abs() { case $1 in /*) printf '%s' "$1" ;; *) printf '%s/%s' "$PWD" "$1" ;; esac; }
FUSEKEYD=$(abs "$2") LA_APP=$(abs "$3") C_ECHO_SERVER=$(abs "$4") C_ECHO_CLIENT=$(abs "$5")
WORKDIR=$(abs "$6")
GOTTRPC=/usr/share/gocode/src/github.com/containerd/ttrpc

missing=""
command -v go >/dev/null 2>&1 || missing="go (Debian package golang-go)"
[ -d "$GOTTRPC" ] || missing="${missing:+$missing and }$GOTTRPC (Debian package golang-github-containerd-ttrpc-dev)"
if [ -n "$missing" ]; then
	{
		echo "########################################################################"
		echo "# GO TTRPC INTEROP TESTS SKIPPED: $missing not installed."
		echo "# Install: apt-get install golang-go golang-github-containerd-ttrpc-dev"
		echo "########################################################################"
	} >&2
	echo "1..0 # SKIP $missing not installed (apt-get install golang-go golang-github-containerd-ttrpc-dev)"
	exit 0
fi

for b in "$FUSEKEYD" "$LA_APP" "$C_ECHO_SERVER" "$C_ECHO_CLIENT"; do
	if [ ! -x "$b" ]; then
		echo "Bail out! not an executable: $b"
		exit 1
	fi
done
mkdir -p "$WORKDIR" && WORKDIR=$(cd "$WORKDIR" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)

# pass/fail/check/finish, $T (scratch directory, cwd), $OUT/$ERR/$RC.
source "$HERE/../cli/lib.sh" "$1"

PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; done
	rm -rf "$T"
}
trap cleanup EXIT
# forget PID: it was waited for (never signal a reused pid at exit).
forget() {
	local keep=() p
	for p in "${PIDS[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
	PIDS=("${keep[@]}")
}

# ---- the Go peers ----
if ! "$HERE/build-go.sh" "$WORKDIR/go" >"$T/gobuild.log" 2>&1; then
	echo "Bail out! building the Go peers failed (GOPATH mode, offline):"
	sed 's/^/# /' "$T/gobuild.log"
	exit 1
fi
GOSRV=$WORKDIR/go/bin/gosrv
GOCLI=$WORKDIR/go/bin/gocli
pass "build gosrv and gocli offline against Debian's containerd/ttrpc ($(go version | cut -d' ' -f3))"

# gocli ARGS...: stdout -> $OUT, stderr -> $ERR, rc -> $RC (bounded: never hang the suite).
gocli() {
	timeout 120 "$GOCLI" "$@" >"$OUT" 2>"$ERR"
	RC=$?
}
# go_is NAME WANT -- ARGS...: gocli ARGS exits 0 and prints exactly WANT.
go_is() {
	local name=$1 want=$2
	shift 3
	gocli "$@"
	if [ "$RC" -eq 0 ] && [ "$(cat "$OUT")" = "$want" ]; then pass "$name"; else
		fail "$name" "gocli $(printf '%.80s ' "$@")" "want: $want"
		_diag
	fi
}
# go_like NAME REGEX -- ARGS...: gocli ARGS exits 0 and its output matches REGEX.
go_like() {
	local name=$1 re=$2
	shift 3
	gocli "$@"
	if [ "$RC" -eq 0 ] && grep -Eq -e "$re" "$OUT"; then pass "$name"; else
		fail "$name" "gocli $(printf '%.80s ' "$@")" "want /$re/"
		_diag
	fi
}

# start_server NAME SOCKET CMD...: run CMD in the background, wait for SOCKET.
SERVER_PID=
start_server() {
	local name=$1 sock=$2 i
	shift 2
	"$@" 2>"$T/$name.stderr" &
	SERVER_PID=$!
	PIDS+=("$SERVER_PID")
	for ((i = 0; i < 200; i++)); do
		[ -S "$sock" ] && return 0
		kill -0 "$SERVER_PID" 2>/dev/null || break
		sleep 0.05
	done
	return 1
}
# stop_server NAME PID SOCKET: SIGTERM; it must exit 0 and remove its socket.
stop_server() {
	local name=$1 pid=$2 sock=$3 rc
	kill -TERM "$pid"
	wait "$pid"
	rc=$?
	forget "$pid"
	check "$name: exits 0 on SIGTERM (rc $rc)" [ "$rc" -eq 0 ]
	check "$name: its socket is gone" [ ! -e "$sock" ]
	[ "$rc" -eq 0 ] || sed -n '1,20s/^/#   stderr: /p' "$T/$name.stderr"
}
hexs() { printf '%s' "$1" | od -An -tx1 -v | tr -d ' \n'; }
# no_key_hex HEX FILE...: the files exist and none holds HEX.
no_key_hex() {
	local h=$1
	shift
	[ -n "$h" ] && ls "$@" >/dev/null && ! grep -qi -e "$h" "$@"
}
# rc_and_grep WANT_RC PATTERN FILE: $RC is WANT_RC ("!0": not 0) and FILE matches.
rc_and_grep() {
	if [ "$1" = '!0' ]; then [ "$RC" -ne 0 ]; else [ "$RC" -eq "$1" ]; fi && grep -Eq -e "$2" "$3"
}

# ======== 1. Go client -> C server ========
CS=$T/c.sock
if start_server c_echo_server "$CS" "$C_ECHO_SERVER" "$CS"; then
	pass "c_echo_server listens"
	CPID=$SERVER_PID
	E=fusekey.test.Echo
	go_is "Go -> C: Echo 'hello'" 68656c6c6f -- echo "$CS" 68656c6c6f
	go_is "Go -> C: Echo of 0 bytes" "" -- echo "$CS" ""
	go_is "Go -> C: unknown method -> 12 'method Nope'" \
		"code=12 message=method Nope payload=" -- call "$CS" $E Nope ""
	go_is "Go -> C: unknown service -> 12 'service fusekey.test.Nope'" \
		"code=12 message=service fusekey.test.Nope payload=" -- call "$CS" fusekey.test.Nope Echo ""
	go_is "Go -> C: empty Request (no service) -> 12 'service '" \
		"code=12 message=service  payload=" -- call "$CS" "" "" ""
	go_is "Go -> C: Fail -> 7 PermissionDenied 'c says no', no payload" \
		"code=7 message=c says no payload=" -- call "$CS" $E Fail ""
	# A status message that is not UTF-8 would make the Go client fail to
	# decode the whole Response (ttrpc.md gotcha 2): the server sanitises it.
	go_is "Go -> C: a non-UTF-8 status message arrives sanitised, as a status" \
		"code=7 message=bad ? byte payload=" -- call "$CS" $E Fail "$(hexs 'bad ')ff$(hexs ' byte')"
	go_is "Go -> C: metadata (two values of one key) reaches the handler in order" \
		"code=0 message= payload=$(hexs 'a,b')" -- call -md fk-test=a -md fk-test=b -md other=x "$CS" $E Meta ""
	go_is "Go -> C: a Go deadline arrives as timeout_nano" \
		"code=0 message= payload=$(hexs deadline)" -- call -timeout 5s "$CS" $E Deadline ""
	go_is "Go -> C: no deadline, no timeout_nano" \
		"code=0 message= payload=$(hexs none)" -- call "$CS" $E Deadline ""
	go_is "Go -> C: a Response of exactly 4 MiB reaches the Go client" \
		"code=0 message= len=4194299 pattern=ok then=ok" -- big "$CS" 4194299
	# Go 1.1 clients panic on a frame over 4 MiB (ttrpc.md gotcha 1).
	go_like "Go -> C: a reply that would exceed 4 MiB becomes 8 ResourceExhausted; the Go client lives on" \
		'^code=8 message=.+ len=0 pattern=ok then=ok$' -- big "$CS" 4194300
	go_is "Go -> C: a Request over 4 MiB -> 8 as Go words it, connection kept" \
		"code=8 message=message length 4194334 exceed maximum message size of 4194304 then=ok" \
		-- oversize "$CS" 4194304
	go_like "Go -> C: 2000 Echo calls from 8 goroutines on one connection, all answered right" \
		'errors=0$' -- bench "$CS" 2000 64 8
	stop_server c_echo_server "$CPID" "$CS"
else
	fail "c_echo_server listens" "$(sed -n 1,5p "$T/c_echo_server.stderr")"
fi

# ======== 2. C client -> Go server ========
GS=$T/go.sock
if start_server gosrv "$GS" "$GOSRV" "$GS"; then
	pass "gosrv listens"
	# For the record (not a test of ours): why a server must never send more.
	gocli big "$GS" 4194300
	if [ "$RC" -ne 0 ] && grep -q 'panic: runtime error: slice bounds out of range' "$ERR"; then
		echo "# reference: the Go ttrpc 1.1.1 client still panics on a 4 MiB + 1" \
			"Response from the Go server (ttrpc.md gotcha 1)"
	fi
	GPID=$SERVER_PID
	timeout 120 "$C_ECHO_CLIENT" "$GS" >"$T/cclient.tap" 2>"$T/cclient.err"
	crc=$?
	# Its TAP lines, renumbered into ours.
	ncases=0
	while IFS= read -r line; do
		case $line in
		"ok "*) ncases=$((ncases + 1)); pass "C -> Go: ${line#ok * - }" ;;
		"not ok "*) ncases=$((ncases + 1)); fail "C -> Go: ${line#not ok * - }" ;;
		"#"*) echo "$line" ;;
		esac
	done <"$T/cclient.tap"
	check "C -> Go: c_echo_client ran to its end (rc $crc, $ncases cases)" \
		grep -qx "1..$ncases" "$T/cclient.tap"
	[ -s "$T/cclient.err" ] && sed -n '1,10s/^/#   c_echo_client stderr: /p' "$T/cclient.err"
	stop_server gosrv "$GPID" "$GS"
else
	fail "gosrv listens" "$(sed -n 1,5p "$T/gosrv.stderr")"
fi

# ---- one number each for the benchmark: Go client, one connection ----
bench_line() { # bench_line SOCKET CONC -> "calls/s, us/call"
	gocli bench "$1" 20000 16 "$2" &&
		sed -n 's/.*calls_per_s=\([0-9]*\) us_per_call=\([0-9.]*\).*/\1 calls\/s, \2 us per call/p' "$OUT"
}
if start_server gosrv "$GS" "$GOSRV" "$GS"; then
	GPID=$SERVER_PID
	echo "# echo, 16 B, Go client -> Go server, 1 connection: sequential $(bench_line "$GS" 1); 16 in flight $(bench_line "$GS" 16)"
	kill -TERM "$GPID"; wait "$GPID"; forget "$GPID"
fi
if start_server c_echo_server "$CS" "$C_ECHO_SERVER" "$CS"; then
	CPID=$SERVER_PID
	echo "# echo, 16 B, Go client -> C server,  1 connection: sequential $(bench_line "$CS" 1); 16 in flight $(bench_line "$CS" 16)"
	kill -TERM "$CPID"; wait "$CPID"; forget "$CPID"
fi

# ======== 3. Go client -> fusekeyd ========
S=$T/sim
B=$T/bundle
MRE_AGENT=$(repeat_hex a1 32)
MRE_APP=$(repeat_hex b2 32)
MRE_OTHER=$(repeat_hex c3 32)
setup_ok=true
"$FUSEKEY" sim init --sim-dir "$S" >/dev/null 2>&1 || setup_ok=false
"$FUSEKEY" sim keygen --out "$T/a.pem" >/dev/null 2>&1 || setup_ok=false
for e in "agent $MRE_AGENT" "app $MRE_APP" "other $MRE_OTHER"; do
	set -- $e
	"$FUSEKEY" sim sign --key "$T/a.pem" --out "$T/$1.sig" --mrenclave "$2" --prodid 1 --svn 2 \
		>/dev/null 2>&1 || setup_ok=false
done
mkdir -p "$B" || setup_ok=false
fk generate --platform sim --sim-dir "$S" --enclave "$T/agent.sig" --bundle "$B" \
	--container web --method la --out "$T/agent.web"
[ "$RC" -eq 0 ] || setup_ok=false
KEY_HEX=$(od -An -tx1 -v "$T/agent.web" 2>/dev/null | tr -d ' \n')
printf '{"version": 1, "containers": {"web": [{"mr_enclave": ["%s"]}]}}\n' "$MRE_APP" >"$T/policy.json"
check "setup: emulated platform, agent/app/other enclaves, 'web' generated --method la" $setup_ok
[ "$setup_ok" = true ] || _diag

SOCK=$T/run/fusekeyd.sock
LOG=$T/fusekeyd.log
APP=("$LA_APP" --sim-dir "$S" --agent-mrenclave "$MRE_AGENT")
if start_server fusekeyd "$SOCK" "$FUSEKEYD" --socket "$SOCK" --policy "$T/policy.json" \
	--bundle "$B" --enclave "$T/agent.sig" --platform sim --sim-dir "$S" --log "$LOG"; then
	pass "fusekeyd listens"
	DPID=$SERVER_PID
	K=fusekey.v1.KeyService
	go_is "Go -> fusekeyd: unknown method -> 12 Unimplemented" \
		"code=12 message=method Nope payload=" -- call "$SOCK" $K Nope ""
	go_is "Go -> fusekeyd: unknown service -> 12 Unimplemented" \
		"code=12 message=service fusekey.v1.Nope payload=" -- call "$SOCK" fusekey.v1.Nope Open ""
	go_like "Go -> fusekeyd: malformed ExchangeRequest (ff ff) -> 3 InvalidArgument" \
		'^code=3 message=.+ payload=$' -- call "$SOCK" $K Exchange ffff
	go_like "Go -> fusekeyd: malformed OpenRequest (ff) -> 3 InvalidArgument" \
		'^code=3 message=.+ payload=$' -- call "$SOCK" $K Open ff
	go_like "Go -> fusekeyd: ExchangeRequest with a 3-byte session id -> 3 InvalidArgument" \
		'^code=3 message=.+ payload=$' -- call "$SOCK" $K Exchange 0a03010203
	# Well formed, but no such session: 16-byte id, 512-byte msg2, container "web".
	unknown_session="0a10$(repeat_hex 00 16)128004$(repeat_hex 00 512)1a03$(hexs web)"
	go_like "Go -> fusekeyd: Exchange on a session never opened -> 5 NotFound" \
		'^code=5 message=.+ payload=$' -- call "$SOCK" $K Exchange "$unknown_session"

	go_is "Go -> fusekeyd: a full session (Open, Exchange; LA by la_app) releases web's key" \
		"key=$KEY_HEX" -- keysession "$SOCK" web "${APP[@]}" --enclave "$T/app.sig" --container web
	check "... the key is the one the agent generated (16 bytes)" [ ${#KEY_HEX} -eq 32 ]
	go_is "Go -> fusekeyd: the same with an LAv1 initiator (older SDK apps)" \
		"key=$KEY_HEX" -- keysession "$SOCK" web "${APP[@]}" --enclave "$T/app.sig" --container web --lav1
	go_like "Go -> fusekeyd: replaying the Exchange of a finished session -> 5 NotFound" \
		'^replay code=5 message=' -- keysession -replay "$SOCK" web "${APP[@]}" --enclave "$T/app.sig" --container web
	gocli keysession "$SOCK" web "${APP[@]}" --enclave "$T/other.sig" --container web
	check "Go -> fusekeyd: an app whose MRENCLAVE the policy does not list -> 7 PermissionDenied" \
		rc_and_grep 3 '^code=7 message=' "$OUT"
	gocli keysession "$SOCK" db "${APP[@]}" --enclave "$T/app.sig" --container db
	check "Go -> fusekeyd: a container the policy does not name -> 7 PermissionDenied" \
		rc_and_grep 3 '^code=7 message=' "$OUT"
	gocli keysession "$SOCK" web "$LA_APP" --sim-dir "$S" --agent-mrenclave "$MRE_OTHER" \
		--enclave "$T/app.sig" --container web
	check "Go -> fusekeyd: the app side refuses an agent it does not expect (la_app exits 1)" \
		rc_and_grep '!0' 'not the expected enclave' "$ERR"

	# The same key through our own C client (fusekey get --method la).
	fk get --platform sim --sim-dir "$S" --enclave "$T/app.sig" --bundle "$B" --container web \
		--method la --socket "$SOCK" --agent-mrenclave "$MRE_AGENT" --format hex --stdout
	got=$(tr -d '\n' <"$OUT")
	check "fusekey get --method la (C client) gets the same key as the Go session" \
		[ "$RC" -eq 0 -a "$got" = "$KEY_HEX" ]

	check "decision log: the Go session's release is logged" \
		grep -q '"decision":"released".*"container":"web"' "$LOG"
	check "decision log: the refusals are logged with a reason" \
		grep -q '"decision":"refused","reason":"mr_enclave"' "$LOG"
	check "decision log: never the key" no_key_hex "$KEY_HEX" "$LOG" "$T/fusekeyd.stderr"
	stop_server fusekeyd "$DPID" "$SOCK"
else
	fail "fusekeyd listens" "$(sed -n 1,10p "$T/fusekeyd.stderr")"
fi

finish
