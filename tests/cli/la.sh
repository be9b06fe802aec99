#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The la method at the command line (docs/cli.md, docs/service.md): get's usage
# errors, generate --method la and what it leaves in the bundle, get against a
# missing key service (exit 16) and the fallback to the sealed key, then a real
# fusekeyd: the right app gets the key, a refused app gets exit 17 (and no
# fallback), an app expecting another agent exits 12, a launch digest taken
# from the app's config.json. The daemon is stopped with SIGTERM at the end,
# and on every exit path.
#
#   la.sh FUSEKEY [FUSEKEYD]     (FUSEKEYD defaults to fusekeyd beside FUSEKEY)
source "$(dirname "$0")/lib.sh" "$@"

FUSEKEYD=${2:-$(dirname "$FUSEKEY")/fusekeyd}
case $FUSEKEYD in /*) ;; *) FUSEKEYD=$OLDPWD/$FUSEKEYD ;; esac
if [ ! -x "$FUSEKEYD" ]; then
	echo "Bail out! fusekeyd binary not found (pass its path as \$2): $FUSEKEYD"
	exit 1
fi

# The daemon is ours: stop it (by its pid) before the scratch directory goes.
DPID=
TPID=
stop_daemon() {
	local p
	for p in "$DPID" "$TPID"; do
		if [ -n "$p" ]; then
			kill -TERM "$p" 2>/dev/null
			wait "$p" 2>/dev/null
		fi
	done
	DPID=
	TPID=
}
trap 'stop_daemon; rm -rf "$T"' EXIT
# wait_started LOG PID: until the daemon's start line (at most 10 s, or until it died).
# Ready = the start line: a socket file exists from bind(), before chmod and listen.
wait_started() {
	local i
	for ((i = 0; i < 200; i++)); do
		grep -q '"event":"start"' "$1" 2>/dev/null && return 0
		kill -0 "$2" 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}
trap 'exit 143' TERM INT

S=$T/sim
B=$T/bundle
MRE_AGENT=$(repeat_hex a1 32)
MRE_APP=$(repeat_hex b2 32)
MRE_OTHER=$(repeat_hex c3 32)

setup_ok=true
"$FUSEKEY" sim init --sim-dir "$S" >/dev/null 2>&1 || setup_ok=false
"$FUSEKEY" sim keygen --out "$T/a.pem" >"$T/keygen.a" 2>&1 || setup_ok=false
MRSIGNER=$(sed -n 's/^mr_signer: //p' "$T/keygen.a")
sign() { # sign OUT MRENCLAVE
	"$FUSEKEY" sim sign --key "$T/a.pem" --out "$T/$1.sig" --mrenclave "$2" --prodid 1 --svn 2 \
		>/dev/null 2>&1 || setup_ok=false
}
sign agent "$MRE_AGENT"
sign app "$MRE_APP"
sign other "$MRE_OTHER" # same signer: it could unseal the MRSIGNER fallback, never get it by la
mkdir -p "$B" || setup_ok=false
[ ${#MRSIGNER} -eq 64 ] || setup_ok=false
check "setup: platform, agent/app/other enclaves (one signer), a bundle" $setup_ok

P=(--platform sim --sim-dir "$S")
AGENT=(generate "${P[@]}" --enclave "$T/agent.sig" --bundle "$B")
SOCK=$T/run/fusekeyd.sock
MISSING=$T/nowhere/fusekeyd.sock
as() { # as ENCLAVE: get's command line for that enclave, in GET (key as hex on stdout)
	GET=(get "${P[@]}" --enclave "$T/$1.sig" --bundle "$B" --format hex --stdout)
}
hexof() { od -An -tx1 -v "$1" | tr -d ' \n'; }
bundle_file() { echo "$B/fusekey/$1/$2"; }
no_fallback_said() { ! grep -q 'falling back' "$ERR"; }

# ---- usage errors (exit 2), before anything is opened ----
as app
expect_err 2 "get --method la without --socket (exit 2, names --socket)" '--socket' -- \
	"${GET[@]}" --container web --method la --agent-mrenclave "$MRE_AGENT"
expect_err 2 "--socket with --method seal (exit 2)" '--socket goes with --method la or auto' -- \
	"${GET[@]}" --container web --method seal --socket "$SOCK" --agent-mrenclave "$MRE_AGENT"
expect_err 2 "--socket with --method derive (exit 2)" '--socket goes with' -- \
	"${GET[@]}" --container web --method derive --socket "$SOCK" --agent-mrenclave "$MRE_AGENT"
expect_err 2 "--agent-mrenclave without --socket (exit 2)" 'go with --socket' -- \
	"${GET[@]}" --container web --agent-mrenclave "$MRE_AGENT"
expect_err 2 "--agent-mrsigner without --socket (exit 2)" 'go with --socket' -- \
	"${GET[@]}" --container web --method seal --agent-mrsigner "$MRE_AGENT"
expect_err 2 "--agent-allow-debug without --socket (exit 2)" 'go with --socket' -- \
	"${GET[@]}" --container web --agent-allow-debug
expect_err 2 "--no-fallback without --socket (exit 2)" 'go with --socket' -- \
	"${GET[@]}" --container web --no-fallback
expect_err 2 "--launch-digest without --socket (exit 2)" 'go with --socket' -- \
	"${GET[@]}" --container web --launch-digest "$(repeat_hex 00 32)"
expect_err 2 "--socket without --agent-mrenclave/--agent-mrsigner (exit 2)" '--agent-mrenclave' -- \
	"${GET[@]}" --container web --method la --socket "$SOCK"
expect_err 2 "--agent-mrenclave of 2 hex digits (exit 2)" '--agent-mrenclave must be 64 hex digits' -- \
	"${GET[@]}" --container web --method la --socket "$SOCK" --agent-mrenclave zz
expect_err 2 "--agent-mrsigner of 63 hex digits (exit 2)" '--agent-mrsigner must be 64 hex digits' -- \
	"${GET[@]}" --container web --method la --socket "$SOCK" --agent-mrsigner "${MRE_AGENT:1}"
expect_err 2 "--launch-digest not hex (exit 2)" '--launch-digest must be 64 hex digits' -- \
	"${GET[@]}" --container web --method la --socket "$SOCK" --agent-mrenclave "$MRE_AGENT" \
	--launch-digest "$(repeat_hex zz 32)"
expect_err 2 "--timeout-ms 0 (exit 2)" '--timeout-ms must be 1\.\.600000' -- \
	"${GET[@]}" --container web --method la --socket "$SOCK" --agent-mrenclave "$MRE_AGENT" --timeout-ms 0
expect_err 2 "--timeout-ms 600001 (exit 2)" '--timeout-ms' -- \
	"${GET[@]}" --container web --method la --socket "$SOCK" --agent-mrenclave "$MRE_AGENT" --timeout-ms 600001
expect_err 2 "--agent-isvprodid 65536 (exit 2)" '--agent-isvprodid must be 0\.\.65535' -- \
	"${GET[@]}" --container web --method la --socket "$SOCK" --agent-mrenclave "$MRE_AGENT" --agent-isvprodid 65536
expect_err 2 "--socket '' (exit 2)" '--socket needs a path' -- \
	"${GET[@]}" --container web --method la --socket= --agent-mrenclave "$MRE_AGENT"
expect_err 2 "generate --method auto (exit 2)" 'seal, derive or la' -- \
	"${AGENT[@]}" --container web --method auto

# ---- generate --method la ----
expect 0 "agent: generate 'web' by la, key to --out" -- "${AGENT[@]}" --container web --method la --out "$T/agent.web"
check "generate la: says it wrote key.la" grep -q "container 'web' (method la, .*/fusekey/web/key.la (mode 0600)" "$OUT"
KEY_HEX=$(hexof "$T/agent.web")
# no_key_in_files FILE...: none of the keys handed out so far (web, job, web2;
# hex, either case) appears in any FILE.
no_key_in_files() {
	local k args=()
	for k in "$KEY_HEX" "${JOB_HEX:-}" "${WEB2_HEX:-}"; do
		[ -n "$k" ] && args+=(-e "$k")
	done
	! grep -qi "${args[@]}" "$@"
}
check "generate la: the key is not in the messages" no_key_in_files "$OUT" "$ERR"
check "key.la is there, mode 0600" [ "$(mode_of "$(bundle_file web key.la)")" = 600 ]
check "key.sealed (the fallback) is there, mode 0600" [ "$(mode_of "$(bundle_file web key.sealed)")" = 600 ]
check "no derive.json for an la key" [ ! -e "$(bundle_file web derive.json)" ]
LA_SUM=$(sha256sum <"$(bundle_file web key.la)")
expect_err 8 "generate 'web' again without --force (exit 8)" 'already has a key' -- \
	"${AGENT[@]}" --container web --method la
check "... key.la untouched" [ "$(sha256sum <"$(bundle_file web key.la)")" = "$LA_SUM" ]
expect_err 8 "generate 'web' by seal without --force (exit 8)" 'already has a key' -- \
	"${AGENT[@]}" --container web --method seal

expect 0 "inspect key.la" -- inspect "$(bundle_file web key.la)"
check "inspect key.la: a sealed key of method la" sh -c 'grep -q "^type: sealed-key$" "$1" && grep -q "^method: la$" "$1"' _ "$OUT"
check "inspect key.la: sealed to the agent itself (MRENCLAVE, the agent's measurement)" \
	sh -c 'grep -q "^key_policy_names: MRENCLAVE$" "$1" && grep -q "^sealer.mr_enclave: $2$" "$1"' _ "$OUT" "$MRE_AGENT"
expect 0 "inspect key.la --json" -- inspect "$(bundle_file web key.la)" --json
check "inspect key.la --json: method la" json_is "$OUT" method la
expect 0 "inspect the fallback key.sealed" -- inspect "$(bundle_file web key.sealed)"
check "inspect key.sealed: method seal (what get --method seal reads)" grep -q '^method: seal$' "$OUT"

# ---- no key service ----
expect_err 16 "get --method la, nothing at the socket (exit 16, names the socket)" "$MISSING" -- \
	"${GET[@]}" --container web --method la --socket "$MISSING" --agent-mrenclave "$MRE_AGENT"
check "... cannot be reached" grep -q 'cannot be reached' "$ERR"
check "... no key on stdout" [ ! -s "$OUT" ]
check "... no fallback with --method la" no_fallback_said
expect 0 "get --method auto, nothing at the socket: falls back to the sealed key" -- \
	"${GET[@]}" --container web --method auto --socket "$MISSING" --agent-mrenclave "$MRE_AGENT"
check "... the fallback is said on stderr" \
	grep -q "^fusekey: warning: the key service at '$MISSING' cannot be reached: falling back" "$ERR"
check "... the agent's key" [ "$(tr -d '\n' <"$OUT")" = "$KEY_HEX" ]
check "... got by method seal" grep -q "key of container 'web' (method seal" "$ERR"
expect 16 "get --method auto --no-fallback, nothing at the socket (exit 16)" -- \
	"${GET[@]}" --container web --method auto --socket "$MISSING" --agent-mrenclave "$MRE_AGENT" --no-fallback
check "... no key on stdout, no fallback" sh -c '[ ! -s "$1" ] && ! grep -q "falling back" "$2"' _ "$OUT" "$ERR"
expect 16 "get --method la --out, nothing at the socket: no file written" -- \
	get "${P[@]}" --enclave "$T/app.sig" --bundle "$B" --container web --method la --socket "$MISSING" \
	--agent-mrenclave "$MRE_AGENT" --out "$T/none.key"
check "... no --out file" [ ! -e "$T/none.key" ]
expect 0 "get without --socket on an la key: the sealed key" -- "${GET[@]}" --container web
check "... the agent's key" [ "$(tr -d '\n' <"$OUT")" = "$KEY_HEX" ]

# ---- fusekeyd ----
expect 0 "agent: generate 'job' by la" -- "${AGENT[@]}" --container job --method la --out "$T/agent.job"
JOB_HEX=$(hexof "$T/agent.job")
expect 0 "agent: generate 'web2' by la" -- "${AGENT[@]}" --container web2 --method la --out "$T/agent.web2.la"
expect 0 "--force --method seal replaces web2's la key" -- "${AGENT[@]}" --container web2 --method seal --force
check "... key.la removed (one container, one key), key.sealed there" \
	sh -c '[ ! -e "$1" ] && [ -e "$2" ]' _ "$(bundle_file web2 key.la)" "$(bundle_file web2 key.sealed)"
expect 0 "--force --method derive replaces web2's key again" -- "${AGENT[@]}" --container web2 --method derive --force
check "... only derive.json left" \
	sh -c '[ ! -e "$1" ] && [ ! -e "$2" ] && [ -e "$3" ]' _ "$(bundle_file web2 key.la)" \
	"$(bundle_file web2 key.sealed)" "$(bundle_file web2 derive.json)"

# The app's own bundle for 'job', with the config.json it was launched from.
AB=$T/appbundle
mkdir -p "$AB"
cat >"$AB/config.json" <<'EOF'
{"ociVersion": "1.0.2",
 "process": {"args": ["/bin/job", "--once"], "env": ["PATH=/usr/bin:/bin"], "cwd": "/srv/job"},
 "root": {"path": "rootfs"}}
EOF
expect 0 "launch-digest of the app's bundle" -- launch-digest --bundle "$AB"
LAUNCH=$(tr -d '\n' <"$OUT")
check "... 64 hex digits" grep -Eq '^[0-9a-f]{64}$' "$OUT"

printf '{"version": 1, "containers": {\n  "web": [{"mr_enclave": ["%s"]}],\n  "web2": [{"mr_enclave": ["%s"]}],\n  "nokey": [{"mr_enclave": ["%s"]}],\n  "job": [{"mr_enclave": ["%s"], "launch_digest": "%s"}]}}\n' \
	"$MRE_APP" "$MRE_APP" "$MRE_APP" "$MRE_APP" "$LAUNCH" >"$T/policy.json"
printf '{"version": 1, "containers": {\n  "web": [{"mr_enclave": ["%s"], "colour": "blue"}]}}\n' \
	"$MRE_APP" >"$T/bad-policy.json"
expect 0 "policy check of the service's policy" -- policy check "$T/policy.json"

"$FUSEKEYD" "${P[@]}" --enclave "$T/agent.sig" --socket "$SOCK" --policy "$T/bad-policy.json" \
	--bundle "$B" >"$OUT" 2>"$ERR"
RC=$?
check "fusekeyd with a bad policy does not start (exit 6, file:line: path: reason)" \
	sh -c '[ "$1" -eq 6 ] && grep -q "bad-policy.json:2: containers.\"web\"\[0\].colour: unknown key" "$2" && [ ! -e "$3" ]' \
	_ "$RC" "$ERR" "$SOCK"

LOG=$T/fusekeyd.log
"$FUSEKEYD" "${P[@]}" --enclave "$T/agent.sig" --socket "$SOCK" --policy "$T/policy.json" \
	--bundle "$B" --log "$LOG" 2>"$T/fusekeyd.stderr" &
DPID=$!
wait_started "$LOG" "$DPID"
if [ -S "$SOCK" ]; then pass "fusekeyd listens on its socket"; else
	fail "fusekeyd listens on its socket" "$(sed -n 1,10p "$T/fusekeyd.stderr")"
fi
check "fusekeyd ran on ${LIBOS:-the emulated platform itself} (test seam line)" seam_said "$T/fusekeyd.stderr"
check "the socket is 0660 in a 0750 directory" \
	sh -c '[ "$(stat -c %a "$1")" = 660 ] && [ "$(stat -c %a "$(dirname "$1")")" = 750 ]' _ "$SOCK"

LA=(--socket "$SOCK" --agent-mrenclave "$MRE_AGENT")
as app
expect 0 "app: get --method la from fusekeyd (exit 0)" -- "${GET[@]}" --container web --method la "${LA[@]}"
check "... the app ran on ${LIBOS:-the emulated platform itself} (test seam line)" seam_said "$ERR"
check "... the agent's key" [ "$(tr -d '\n' <"$OUT")" = "$KEY_HEX" ]
check "... by la, said on stderr" grep -q "key of container 'web' (method la, from the key service at $SOCK after local attestation)" "$ERR"
expect 0 "app: get --method auto with fusekeyd up: la, no fallback" -- "${GET[@]}" --container web "${LA[@]}"
check "... the agent's key, by la" sh -c '[ "$(tr -d "\n" <"$1")" = "$2" ] && grep -q "(method la," "$3"' _ "$OUT" "$KEY_HEX" "$ERR"
expect 0 "app: the agent named by MRSIGNER, product id and minimum SVN" -- "${GET[@]}" --container web --method la \
	--socket "$SOCK" --agent-mrsigner "$MRSIGNER" --agent-isvprodid 1 --agent-min-svn 2
check "... the agent's key" [ "$(tr -d '\n' <"$OUT")" = "$KEY_HEX" ]

as other
expect 17 "another enclave of the signer: refused by the release policy (exit 17)" -- \
	"${GET[@]}" --container web --method la "${LA[@]}"
check "... says refused, no key on stdout" sh -c 'grep -q "refused" "$1" && [ ! -s "$2" ]' _ "$ERR" "$OUT"
expect 17 "... and with --method auto: still 17, never the fallback it could unseal" -- \
	"${GET[@]}" --container web --method auto "${LA[@]}"
check "... no fallback after a refusal, no key on stdout" sh -c '[ ! -s "$1" ]' _ "$OUT"
check "... no fallback said" no_fallback_said
as app
expect 17 "a container the policy does not name (exit 17)" -- "${GET[@]}" --container db --method la "${LA[@]}"

expect 12 "app expecting another agent MRENCLAVE (exit 12)" -- \
	"${GET[@]}" --container web --method la --socket "$SOCK" --agent-mrenclave "$MRE_OTHER"
check "... names --agent-*, no key on stdout" sh -c 'grep -q -- "--agent-\*" "$1" && [ ! -s "$2" ]' _ "$ERR" "$OUT"
expect 12 "app expecting a higher agent SVN (exit 12)" -- "${GET[@]}" --container web --method la "${LA[@]}" --agent-min-svn 3
expect 12 "app expecting another agent product id (exit 12)" -- "${GET[@]}" --container web --method la "${LA[@]}" --agent-isvprodid 2

expect_err 7 "an allowed container without any key (exit 7)" "has no key for container 'nokey'" -- \
	"${GET[@]}" --container nokey --method la "${LA[@]}"
# web2's key.la is gone: what the service hands out now is the derive key the
# agent can derive itself (docs/service.md, "Which keys"), the bundle's one key.
expect 0 "web2 (la key replaced by derive): get --method derive from the bundle" -- "${GET[@]}" --container web2 --method derive
WEB2_HEX=$(tr -d '\n' <"$OUT")
expect 0 "web2: get --method la serves the same key, not the replaced one" -- "${GET[@]}" --container web2 --method la "${LA[@]}"
check "... equal to the bundle's derive key, not the replaced la key" \
	sh -c '[ -n "$2" ] && [ "$(tr -d "\n" <"$1")" = "$2" ] && [ "$2" != "$3" ]' _ "$OUT" "$WEB2_HEX" "$(hexof "$T/agent.web2.la")"

# 'job' needs the launch digest: get computes it from the app's bundle (config.json).
JOBGET=(get "${P[@]}" --enclave "$T/app.sig" --bundle "$AB" --container job --format hex --stdout --method la "${LA[@]}")
expect 0 "job: the launch digest from the app's config.json is the policy's (exit 0)" -- "${JOBGET[@]}"
check "... job's key" [ "$(tr -d '\n' <"$OUT")" = "$JOB_HEX" ]
expect 0 "job: the same digest given with --launch-digest" -- "${JOBGET[@]}" --launch-digest "$LAUNCH"
check "... job's key" [ "$(tr -d '\n' <"$OUT")" = "$JOB_HEX" ]
expect 17 "job: another launch digest (exit 17)" -- "${JOBGET[@]}" --launch-digest "$(repeat_hex 00 32)"
expect 17 "job: no launch digest (a bundle without config.json; exit 17)" -- \
	get "${P[@]}" --enclave "$T/app.sig" --bundle "$B" --container job --format hex --stdout --method la "${LA[@]}"

# The decision log.
check "decision log: the release of 'web' to the app" \
	grep -q '"decision":"released","reason":"allowed","container":"web"' "$LOG"
check "decision log: the other enclave refused with reason mr_enclave" \
	grep -q '"decision":"refused","reason":"mr_enclave".*"container":"web"' "$LOG"
check "decision log: the wrong launch digest refused with reason launch_digest" \
	grep -q '"decision":"refused","reason":"launch_digest".*"container":"job"' "$LOG"
check "decision log: the missing one with launch_digest_missing" \
	grep -q '"reason":"launch_digest_missing"' "$LOG"
check "decision log, daemon stderr: never a key" no_key_in_files "$LOG" "$T/fusekeyd.stderr"

# ---- loopback TCP (for apps inside a libOS whose Unix sockets stay in it) ----
TLOG=$T/fusekeyd-tcp.log
"$FUSEKEYD" "${P[@]}" --enclave "$T/agent.sig" --socket tcp:127.0.0.1:0 --policy "$T/policy.json" \
	--bundle "$B" --log "$TLOG" 2>"$T/fusekeyd-tcp.stderr" &
TPID=$!
wait_started "$TLOG" "$TPID"
TADDR=$(sed -n 's/.*"event":"start","socket":"\(tcp:127\.0\.0\.1:[0-9]*\)".*/\1/p' "$TLOG")
check "tcp: fusekeyd on tcp:127.0.0.1:0 names the port it got in its start line" \
	sh -c '[ -n "$1" ] && [ "${1##*:}" != 0 ]' _ "$TADDR"
TLA=(--socket "$TADDR" --agent-mrenclave "$MRE_AGENT")
as app
expect 0 "tcp: the app gets its key over loopback TCP (exit 0)" -- "${GET[@]}" --container web --method la "${TLA[@]}"
check "... the agent's key, by la" sh -c '[ "$(tr -d "\n" <"$1")" = "$2" ] && grep -q "(method la, from the key service at tcp:127.0.0.1:" "$3"' _ "$OUT" "$KEY_HEX" "$ERR"
check "... logged with transport tcp and no credentials" \
	sh -c 'grep "\"decision\":\"released\"" "$1" | grep -q "\"peer\":{\"transport\":\"tcp\",\"conn\":"' _ "$TLOG"
as other
expect 17 "tcp: another enclave is refused by the release policy (exit 17)" -- "${GET[@]}" --container web --method la "${TLA[@]}"
check "... logged with reason mr_enclave" grep -q '"decision":"refused","reason":"mr_enclave"' "$TLOG"
as app
expect_err 2 "tcp: a non-loopback address is refused before connecting (exit 2)" 'loopback only' -- "${GET[@]}" --container web --method la --socket tcp:10.1.2.3:7070 --agent-mrenclave "$MRE_AGENT"
expect_err 2 "tcp: a host name is refused (nothing is resolved) (exit 2)" 'loopback only' -- "${GET[@]}" --container web --method la --socket tcp:localhost:7070 --agent-mrenclave "$MRE_AGENT"
"$FUSEKEYD" "${P[@]}" --enclave "$T/agent.sig" --socket tcp:0.0.0.0:0 --policy "$T/policy.json" --bundle "$B" >"$T/d.out" 2>"$T/d.err"
RC=$?
check "tcp: fusekeyd refuses to listen beyond loopback (exit 2)" sh -c '[ "$1" -eq 2 ] && grep -q "loopback only" "$2"' _ "$RC" "$T/d.err"
"$FUSEKEYD" "${P[@]}" --enclave "$T/agent.sig" --socket tcp:127.0.0.1:0 --allow-uid 0 --policy "$T/policy.json" --bundle "$B" >"$T/d.out" 2>"$T/d.err"
RC=$?
check "tcp: --allow-uid with TCP is refused: no peer credentials (exit 2)" sh -c '[ "$1" -eq 2 ] && grep -q "no peer credentials" "$2"' _ "$RC" "$T/d.err"
kill -TERM "$TPID"
wait "$TPID"
RC=$?
TPID=
check "tcp: fusekeyd stops on SIGTERM with exit 0" [ "$RC" -eq 0 ]
expect 16 "tcp: nothing listens on the port any more: get --method la (exit 16)" -- "${GET[@]}" --container web --method la "${TLA[@]}"
expect 0 "tcp: ... and auto falls back to the sealed key" -- "${GET[@]}" --container web "${TLA[@]}"
check "... the agent's key, fallback said" \
	sh -c '[ "$(tr -d "\n" <"$1")" = "$2" ] && grep -q "falling back" "$3"' _ "$OUT" "$KEY_HEX" "$ERR"
check "tcp: never a key in the log or on stderr" no_key_in_files "$TLOG" "$T/fusekeyd-tcp.stderr"

# SIGTERM: a clean stop, the socket removed; then auto falls back again.
if [ -n "$DPID" ]; then
	kill -TERM "$DPID"
	wait "$DPID"
	RC=$?
	DPID=
	check "fusekeyd stops on SIGTERM with exit 0" [ "$RC" -eq 0 ]
	check "... and removes its socket" [ ! -e "$SOCK" ]
	check "... the stop is logged" grep -q '"event":"stop"' "$LOG"
fi
expect 16 "daemon stopped: get --method la (exit 16)" -- "${GET[@]}" --container web --method la "${LA[@]}"
expect 0 "daemon stopped: get --method auto falls back to the sealed key" -- "${GET[@]}" --container web "${LA[@]}"
check "... the agent's key, fallback said" \
	sh -c '[ "$(tr -d "\n" <"$1")" = "$2" ] && grep -q "falling back" "$3"' _ "$OUT" "$KEY_HEX" "$ERR"

finish
