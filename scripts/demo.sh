#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# fusekey demo (what `make demo` runs): an agent enclave hands the FUSE key
# (the key of a container's encrypted filesystem) to the app enclave of that
# container, by seal, by derive and by local attestation with fusekeyd, on
# the EMULATED SGX platform; and the enclaves and files that must not get a
# key are refused.
#
#   scripts/demo.sh path/to/fusekey
#
# Works in a temporary directory, removed at the end unless DEMO_KEEP=1.
# Exits 0 only if every step behaved as narrated.
set -u

FK=${1:-}
if [ -z "$FK" ] || [ ! -x "$FK" ]; then
	echo "usage: $0 path/to/fusekey" >&2
	exit 2
fi
case $FK in /*) ;; *) FK=$PWD/$FK ;; esac

WORK=$(mktemp -d "${TMPDIR:-/tmp}/fusekey-demo.XXXXXX") || exit 1
FKD_PID=
cleanup() {
	[ -z "$FKD_PID" ] || kill -TERM "$FKD_PID" 2>/dev/null
	if [ "${DEMO_KEEP:-0}" = 1 ]; then
		echo "(kept the demo files in $WORK)"
	else
		rm -rf "$WORK"
	fi
}
trap cleanup EXIT
cd "$WORK" || exit 1
# Nothing from the caller's environment may change what the demo shows.
unset FUSEKEY_PLATFORM FUSEKEY_SIM_DIR FUSEKEY_ENCLAVE FUSEKEY_CONFIG_ID FUSEKEY_CONFIG_SVN

step=0
say() {
	step=$((step + 1))
	echo
	echo "[$step] $*"
}
# run ARGS...: show the command, run it, and show its output and messages,
# indented. The EMULATED banner every command prints is shown the first time only.
banner_shown=0
run() {
	local rc
	echo "  \$ fusekey $*"
	"$FK" "$@" 2>"$WORK/.stderr" | sed 's/^/    /'
	rc=${PIPESTATUS[0]}
	if [ "$banner_shown" = 0 ]; then
		banner_shown=1
		sed 's/^/    /' "$WORK/.stderr"
	else
		grep -v -e '^fusekey: EMULATED SGX platform' -e '^fusekey: emulated platform mode' "$WORK/.stderr" | sed 's/^/    /'
	fi
	return "$rc"
}
die() {
	echo
	echo "DEMO FAILED: $*" >&2
	exit 1
}
sha() { sha256sum "$1" | cut -c1-64; }
# refused CODE WHY ARGS...: run fusekey ARGS, which must fail with exit CODE.
refused() {
	local want=$1 why=$2 rc
	shift 2
	run "$@"
	rc=$?
	[ "$rc" = "$want" ] || die "expected exit $want ($why), got $rc"
	[ ! -e refused.key ] || die "a refused get left a key file"
	echo "  Refused with exit $want ($why), as expected."
}

echo "fusekey demo: an agent enclave makes the FUSE key of each container; the app enclave"
echo "of the container gets it. Everything runs on the EMULATED SGX platform: it behaves"
echo "like SGX but protects nothing. We only ever print a key's SHA-256, never the key."

say "Create an emulated SGX platform (random root keys in a private directory)."
run sim init --sim-dir platform || die "sim init failed"

say "Two signing keys: ours, and a stranger's. An enclave's MRSIGNER is the hash of its signer's key."
run sim keygen --out ours.pem || die "keygen failed"
run sim keygen --out stranger.pem || die "keygen failed"

say "Sign four enclaves. MRENCLAVE is the hash of an enclave's code."
MRE_AGENT=$(printf 'agent enclave code v1' | sha256sum | cut -c1-64)
MRE_APP=$(printf 'app enclave code v1' | sha256sum | cut -c1-64)
sign() { # sign NAME KEY MRENCLAVE [--debug]: quietly
	local name=$1 key=$2 mre=$3
	shift 3
	"$FK" sim sign --key "$key" --mrenclave "$mre" --prodid 1 --svn 1 "$@" --out "$name.sig" >/dev/null ||
		die "signing $name failed"
}
sign agent ours.pem "$MRE_AGENT"
sign app ours.pem "$MRE_APP"
sign stranger stranger.pem "$MRE_APP"
sign debug-app ours.pem "$MRE_APP" --debug
echo "  agent.sig      our signer, the agent's code"
echo "  app.sig        our signer, the app's code (another MRENCLAVE)"
echo "  stranger.sig   another signer, the app's code"
echo "  debug-app.sig  our signer, the app's code, but a DEBUG enclave (the host can read its memory)"

echo
echo "From here on, FUSEKEY_PLATFORM=sim and FUSEKEY_SIM_DIR=platform select the emulated"
echo "platform (the same as --platform sim --sim-dir platform)."
export FUSEKEY_PLATFORM=sim FUSEKEY_SIM_DIR=$WORK/platform
mkdir bundle

say "The agent makes the key of container \"web\" by SEAL: a random key, sealed so that any"
echo "    enclave of our signer (policy MRSIGNER) can open it, and bound to the name \"web\"."
echo "    The agent keeps a copy (--out) to create web's encrypted filesystem."
run generate --enclave agent.sig --container web --bundle bundle --method seal --out agent-web.key ||
	die "generate web failed"

say "The agent makes the key of container \"db\" by DERIVE: nothing secret is written, only the"
echo "    public key request from which enclaves of our signer derive the same key (EGETKEY)."
run generate --enclave agent.sig --container db --bundle bundle --method derive --out agent-db.key ||
	die "generate db failed"

say "What the host sees in the bundle: one file per container, mode 0600. A few lines of each:"
stat -c '  %A %s bytes  %n' bundle/fusekey/web/key.sealed bundle/fusekey/db/derive.json
# inspect FILE FIELDS: show the command and the lines of the given fields only.
inspect() {
	run inspect "$1" >"$WORK/.inspect" || die "inspect of $1 failed"
	grep -E "^ *(\\$ fusekey|($2): )" "$WORK/.inspect"
}
inspect bundle/fusekey/web/key.sealed 'type|container_id|method|key_policy_names|sealer.mr_enclave'
inspect bundle/fusekey/db/derive.json 'type|container_id|key_policy_names|salt|well_formed'

say "The app (same signer, other code) gets both keys."
run get --enclave app.sig --container web --bundle bundle --out app-web.key || die "the app could not get web's key"
run get --enclave app.sig --container db --bundle bundle --out app-db.key || die "the app could not get db's key"
for c in web db; do
	echo "  $c: agent's key SHA-256 $(sha agent-$c.key)"
	echo "  $c: app's   key SHA-256 $(sha app-$c.key)"
	[ "$(sha agent-$c.key)" = "$(sha app-$c.key)" ] || die "the app's key of $c differs from the agent's"
done
echo "  The digests match: the app holds the agent's keys."

say "An app of another signer asks for web's key. It must be refused (exit 12)."
refused 12 "made for another enclave identity" get --enclave stranger.sig --container web --bundle bundle --out refused.key

say "A DEBUG build of the app asks for db's key. It must be refused too (exit 12)."
refused 12 "a DEBUG enclave never gets a production key" get --enclave debug-app.sig --container db --bundle bundle --out refused.key

say "The host copies web's sealed key into the place of a container \"db2\"; the app asks for db2's key."
mkdir -p bundle/fusekey/db2
cp bundle/fusekey/web/key.sealed bundle/fusekey/db2/key.sealed
refused 13 "the file belongs to container web" get --enclave app.sig --container db2 --bundle bundle --out refused.key

# ---- la: local attestation with the agent's key service ----
FKD=$(dirname "$FK")/fusekeyd
[ -x "$FKD" ] || die "fusekeyd not found next to fusekey ($FKD)"
say "Third method, LA: the agent runs a key service, fusekeyd. It makes the key of container \"api\""
echo "    with --method la: key.la is sealed to the agent itself (for fusekeyd), key.sealed is the"
echo "    app's fallback for when the service is not there."
run generate --enclave agent.sig --container api --bundle bundle --method la --out agent-api.key ||
	die "generate api failed"

say "The agent's release policy: api's key goes to enclaves of OUR signer, product 1, SVN 1 or"
echo "    newer, never DEBUG. (MRSIGNER read from the SIGSTRUCT: fusekey inspect app.sig.)"
MRS_OURS=$("$FK" inspect app.sig --json 2>/dev/null | sed -n 's/.*"mr_signer": *"\([0-9a-f]*\)".*/\1/p')
[ ${#MRS_OURS} = 64 ] || die "could not read our MRSIGNER"
printf '{"version": 1, "containers": {"api": [{"mr_signer": "%s", "isv_prod_id": 1,\n  "min_isv_svn": 1, "allow_debug": false}]}}\n' "$MRS_OURS" >policy.json
sed 's/^/    /' policy.json
run policy check policy.json || die "the policy was refused"

say "Start fusekeyd on a Unix socket (directory 0750, socket 0660); its decisions go to a JSON log."
echo "  \$ fusekeyd --enclave agent.sig --socket run/fusekeyd.sock --policy policy.json --bundle bundle --log fusekeyd.log &"
"$FKD" --enclave agent.sig --socket "$WORK/run/fusekeyd.sock" --policy policy.json --bundle bundle \
	--log fusekeyd.log >/dev/null 2>fusekeyd.err &
FKD_PID=$!
# Ready = its start line (the socket file exists from bind(), before listen()).
for _ in $(seq 100); do grep -q '"event":"start"' fusekeyd.log 2>/dev/null && break; sleep 0.05; done
[ -S run/fusekeyd.sock ] || { cat fusekeyd.err >&2; die "fusekeyd did not start"; }
stat -c '  %A  %n' run run/fusekeyd.sock

LA=(--socket "$WORK/run/fusekeyd.sock" --agent-mrenclave "$MRE_AGENT")
say "The app asks fusekeyd for api's key: local attestation (sgx_dh), the agent checks the app against"
echo "    its policy, the app checks that the service is the agent enclave (--agent-mrenclave)."
run get --enclave app.sig --container api --bundle bundle --method la "${LA[@]}" --out app-api.key ||
	die "the app could not get api's key over la"
echo "  api: agent's key SHA-256 $(sha agent-api.key)"
echo "  api: app's   key SHA-256 $(sha app-api.key)"
[ "$(sha agent-api.key)" = "$(sha app-api.key)" ] || die "the la key differs from the agent's"

say "An app of another signer, and the DEBUG app, ask for api's key: refused by the policy (exit 17)."
refused 17 "another signer: not in the release policy" get --enclave stranger.sig --container api --bundle bundle --method la "${LA[@]}" --out refused.key
refused 17 "DEBUG is never released" get --enclave debug-app.sig --container api --bundle bundle --method la "${LA[@]}" --out refused.key
echo "  What the agent logged (one JSON line per decision: reason, who, which container; never a key):"
grep '"event":"key_release"' fusekeyd.log | sed 's/^/    /'

say "Stop fusekeyd (SIGTERM): it wipes its keys and sessions and removes its socket."
kill -TERM "$FKD_PID"
wait "$FKD_PID" || die "fusekeyd did not stop cleanly"
[ ! -e run/fusekeyd.sock ] || die "fusekeyd left its socket behind"
echo "  fusekeyd exited 0; run/fusekeyd.sock is gone."

say "With the service gone, --method auto falls back to the sealed key (and says so). It would not"
echo "    after a refusal: stopping the daemon gains a host nothing the seal policy did not allow."
run get --enclave app.sig --container api --bundle bundle --method auto "${LA[@]}" --out app-api-fallback.key ||
	die "the fallback to seal failed"
[ "$(sha agent-api.key)" = "$(sha app-api-fallback.key)" ] || die "the fallback key differs"
echo "  The fallback key is api's key too."

echo
echo "Demo OK: the app got the agent's keys of web (seal), db (derive) and api (la); another signer"
echo "and a DEBUG app were refused (exit 12, and 17 by fusekeyd's policy); web's key moved to db2"
echo "was refused (exit 13); without fusekeyd, the app fell back to the sealed key."
