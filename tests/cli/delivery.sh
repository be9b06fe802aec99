#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# fusekey generate / get end to end on the emulated platform: the FUSE key of a
# container handed from the agent enclave to the app enclave by seal and by
# derive; every form of the key; every refusal and its exit code; file safety;
# inspect of the files the agent leaves in the bundle.
source "$(dirname "$0")/lib.sh" "$@"

S=$T/sim
B=$T/bundle
MRE_AGENT=$(repeat_hex a1 32)
MRE_APP=$(repeat_hex b2 32)
DEFAULT_CPUSVN=4820f3376ae6b2f2034d3b7a4b48a778

setup_ok=true
"$FUSEKEY" sim init --sim-dir "$S" >/dev/null 2>&1 || setup_ok=false
"$FUSEKEY" sim keygen --out "$T/a.pem" >"$T/keygen.a" 2>&1 || setup_ok=false
"$FUSEKEY" sim keygen --out "$T/b.pem" >/dev/null 2>&1 || setup_ok=false
MRSIGNER_A=$(sed -n 's/^mr_signer: //p' "$T/keygen.a")
sign() { # sign KEY OUT ARGS...
	local key=$1 out=$2
	shift 2
	"$FUSEKEY" sim sign --key "$T/$key.pem" --out "$T/$out.sig" "$@" >/dev/null 2>&1 || setup_ok=false
}
sign a agent --mrenclave "$MRE_AGENT" --prodid 1 --svn 2
sign a app --mrenclave "$MRE_APP" --prodid 1 --svn 2     # same signer, other MRENCLAVE
sign a app_hi --mrenclave "$MRE_APP" --prodid 1 --svn 3  # a newer app
sign a app_lo --mrenclave "$MRE_APP" --prodid 1 --svn 1  # an older app
sign a prod2 --mrenclave "$MRE_APP" --prodid 2 --svn 2   # another product of the signer
sign a dbg --mrenclave "$MRE_APP" --prodid 1 --svn 2 --debug
sign b other --mrenclave "$MRE_APP" --prodid 1 --svn 2   # another signer
sign a kss_agent --mrenclave "$MRE_AGENT" --prodid 1 --svn 2 --kss
sign a kss_app --mrenclave "$MRE_APP" --prodid 1 --svn 2 --kss
mkdir -p "$B" || setup_ok=false
check "setup: platform, two signers, nine enclaves, a bundle" $setup_ok

P=(--platform sim --sim-dir "$S")
AGENT=(generate "${P[@]}" --enclave "$T/agent.sig" --bundle "$B")
as() { # as ENCLAVE: the get command line of that enclave, in GET
	GET=(get "${P[@]}" --enclave "$T/$1.sig" --bundle "$B")
}
hexof() { od -An -tx1 -v "$1" | tr -d ' \n'; }
occlum_of() { hexof "$1" | sed 's/../&-/g; s/-$//'; }
# no_key_in KEYFILE FILE...: neither the key's hex nor its Occlum string appear.
no_key_in() {
	local k=$1 h o
	shift
	h=$(hexof "$k")
	o=$(occlum_of "$k")
	[ -n "$h" ] && ! grep -qi -e "$h" -e "$o" "$@"
}
edit_json() { # edit_json FILE PYTHON: run PYTHON on d (the parsed file), write it back
	python3 - "$1" "$2" <<'PY'
import json, sys
p = sys.argv[1]
d = json.load(open(p))
exec(sys.argv[2])
open(p, "w").write(json.dumps(d))
PY
}
bundle_file() { echo "$B/fusekey/$1/$2"; }

# ---- the hand-over: seal and derive, 16 and 32 bytes ----
expect 0 "agent: generate 'web' by seal, key to --out" -- "${AGENT[@]}" --container web --out "$T/agent.web"
check "generate: EMULATED banner on stderr" grep -q 'EMULATED SGX platform' "$ERR"
check "generate: ran on ${LIBOS:-the emulated platform itself} (test seam line)" seam_said "$ERR"
check "generate: says what it wrote" grep -q "container 'web' (method seal, policy MRSIGNER): .*/fusekey/web/key.sealed (mode 0600)" "$OUT"
check "generate: the key is not on stdout or stderr" no_key_in "$T/agent.web" "$OUT" "$ERR"
check "agent's key file is 16 bytes, mode 0600" sh -c '[ "$(stat -c %s "$1")" = 16 ] && [ "$(stat -c %a "$1")" = 600 ]' _ "$T/agent.web"
check "key.sealed is 816 bytes (560 + 240 + 16)" [ "$(size_of "$(bundle_file web key.sealed)")" = 816 ]
check "key.sealed is mode 0600" [ "$(mode_of "$(bundle_file web key.sealed)")" = 600 ]
check "bundle directories are 0700" sh -c '[ "$(stat -c %a "$1/fusekey")" = 700 ] && [ "$(stat -c %a "$1/fusekey/web")" = 700 ]' _ "$B"
as app
expect 0 "app (same signer, other MRENCLAVE) gets 'web'" -- "${GET[@]}" --container web --format raw --out "$T/app.web"
check "seal: the app's key equals the agent's (sha256)" [ "$(sha256sum <"$T/app.web")" = "$(sha256sum <"$T/agent.web")" ]
check "get --out: mode 0600" [ "$(mode_of "$T/app.web")" = 600 ]
check "get --out: nothing on stdout" [ ! -s "$OUT" ]
check "get: auto picked seal, said on stderr" grep -q "key of container 'web' (method seal, policy MRSIGNER)" "$ERR"
check "get: the key is not in the messages" no_key_in "$T/agent.web" "$ERR"

expect 0 "agent: generate 'db' by derive" -- "${AGENT[@]}" --container db --method derive --out "$T/agent.db"
check "derive.json is mode 0600" [ "$(mode_of "$(bundle_file db derive.json)")" = 600 ]
check "derive leaves no key.sealed" [ ! -e "$(bundle_file db key.sealed)" ]
check "derive.json holds no key" no_key_in "$T/agent.db" "$(bundle_file db derive.json)"
expect 0 "app gets 'db' (auto)" -- "${GET[@]}" --container db --out "$T/app.db"
check "derive: the app's key equals the agent's (sha256)" [ "$(sha256sum <"$T/app.db")" = "$(sha256sum <"$T/agent.db")" ]
check "get: auto picked derive" grep -q "method derive" "$ERR"
check "two containers get different keys" sh -c '! cmp -s "$1" "$2"' _ "$T/agent.web" "$T/agent.db"
expect 0 "get --method seal on a sealed key" -- "${GET[@]}" --container web --method seal --stdout
check "--method seal: same key" cmp -s "$OUT" "$T/agent.web"
expect 0 "get --method derive on a descriptor" -- "${GET[@]}" --container db --method derive --stdout
check "--method derive: same key" cmp -s "$OUT" "$T/agent.db"

expect 0 "generate a 32-byte key by seal" -- "${AGENT[@]}" --container web32 --key-len 32 --out "$T/agent.web32"
check "32-byte seal: key.sealed is 832 bytes" [ "$(size_of "$(bundle_file web32 key.sealed)")" = 832 ]
expect 0 "app gets the 32-byte sealed key" -- "${GET[@]}" --container web32 --out "$T/app.web32"
check "32-byte seal: 32 bytes, equal to the agent's" sh -c '[ "$(stat -c %s "$1")" = 32 ] && cmp -s "$1" "$2"' _ "$T/app.web32" "$T/agent.web32"
expect 0 "generate a 32-byte key by derive" -- "${AGENT[@]}" --container db32 --method derive --key-len 32 --out "$T/agent.db32"
expect 0 "app gets the 32-byte derived key" -- "${GET[@]}" --container db32 --out "$T/app.db32"
check "32-byte derive: 32 bytes, equal to the agent's" sh -c '[ "$(stat -c %s "$1")" = 32 ] && cmp -s "$1" "$2"' _ "$T/app.db32" "$T/agent.db32"
check "32-byte derive: its halves differ" sh -c '[ "$(head -c 16 "$1" | od -An -tx1)" != "$(tail -c 16 "$1" | od -An -tx1)" ]' _ "$T/agent.db32"

# ---- forms of the key ----
expect 0 "--format hex --stdout" -- "${GET[@]}" --container web --format hex --stdout
check "hex: 32 lowercase digits and a newline, the agent's key" sh -c '[ "$(cat "$1")" = "$2" ] && [ "$(wc -l <"$1")" = 1 ] && grep -Eqx "[0-9a-f]{32}" "$1"' _ "$OUT" "$(hexof "$T/agent.web")"
expect 0 "--format hex of a 32-byte key" -- "${GET[@]}" --container db32 --format hex --stdout
check "hex of 32 bytes: 64 digits" grep -Eqx "$(hexof "$T/agent.db32")" "$OUT"
expect 0 "--format occlum --stdout" -- "${GET[@]}" --container web --format occlum --stdout
check "occlum: xx-xx-...-xx (16 parts), the agent's key" sh -c 'grep -Eqx "([0-9a-f]{2}-){15}[0-9a-f]{2}" "$1" && [ "$(cat "$1")" = "$2" ]' _ "$OUT" "$(occlum_of "$T/agent.web")"
OCC=$(occlum_of "$T/agent.db")
expect 0 "--format occlum-mount --mount-type sefs" -- "${GET[@]}" --container db --format occlum-mount --mount-type sefs --dir /data/secure --stdout
check "sefs mount options: dir=/data/secure,key=<key string>" [ "$(cat "$OUT")" = "dir=/data/secure,key=$OCC" ]
expect 0 "--format occlum-mount --mount-type unionfs" -- "${GET[@]}" --container db --format occlum-mount --mount-type unionfs --lowerdir /sefs/lower --upperdir /sefs/upper --stdout
check "unionfs mount options: lowerdir=,upperdir=,key=" [ "$(cat "$OUT")" = "lowerdir=/sefs/lower,upperdir=/sefs/upper,key=$OCC" ]
expect_err 10 "occlum form of a 32-byte key is refused (exit 10)" 'takes exactly 16' -- "${GET[@]}" --container web32 --format occlum --stdout
check "refused form: nothing on stdout" [ ! -s "$OUT" ]
expect_err 10 "occlum-mount of a 32-byte key is refused (exit 10)" '16' -- "${GET[@]}" --container db32 --format occlum-mount --mount-type sefs --dir /d --stdout
expect_err 2 "generate --key-len 32 --format occlum: usage error (exit 2)" 'key-len 16' -- "${AGENT[@]}" --container x32 --key-len 32 --format occlum --stdout
check "that refused generate wrote nothing" [ ! -e "$B/fusekey/x32" ]
expect_err 2 "occlum-mount without --mount-type (exit 2)" 'mount-type' -- "${GET[@]}" --container db --format occlum-mount --dir /d --stdout
expect_err 2 "sefs without --dir (exit 2)" '--dir' -- "${GET[@]}" --container db --format occlum-mount --mount-type sefs --stdout
expect_err 2 "unionfs without --upperdir (exit 2)" 'upperdir' -- "${GET[@]}" --container db --format occlum-mount --mount-type unionfs --lowerdir /l --stdout
expect_err 2 "a mount directory with ',' (exit 2)" "','" -- "${GET[@]}" --container db --format occlum-mount --mount-type sefs --dir /a,key=x --stdout
expect_err 2 "--dir without --format occlum-mount (exit 2)" 'occlum-mount' -- "${GET[@]}" --container db --format hex --dir /d --stdout
expect_err 2 "unknown --format (exit 2)" 'format' -- "${GET[@]}" --container db --format base64 --stdout

mkdir -p "$T/att/keys" && : >"$T/att/keys/default" && : >"$T/att/keys/fs_key"
expect 0 "--format gramine installs into <dir>/keys/<name>" -- "${GET[@]}" --container web --format gramine --gramine-dir "$T/att" --key-name fs_key
check "gramine: keys/fs_key holds the 16 raw key bytes" cmp -s "$T/att/keys/fs_key" "$T/agent.web"
check "gramine: nothing on stdout" [ ! -s "$OUT" ]
check "gramine: stderr names the key store" grep -q "Gramine's key store as 'fs_key'" "$ERR"
expect 0 "gramine with the derive method" -- "${GET[@]}" --container db --format gramine --gramine-dir "$T/att" --key-name default
check "gramine: keys/default holds the derived key" cmp -s "$T/att/keys/default" "$T/agent.db"
expect_err 7 "gramine: a name the manifest did not declare (exit 7)" 'manifest' -- "${GET[@]}" --container web --format gramine --gramine-dir "$T/att" --key-name undeclared
check "gramine: no file is created for an undeclared name" [ ! -e "$T/att/keys/undeclared" ]
expect_err 2 "gramine needs --key-name (exit 2)" 'key-name' -- "${GET[@]}" --container web --format gramine --gramine-dir "$T/att"
expect_err 2 "gramine: '_' names are Gramine's own (exit 2)" 'key name' -- "${GET[@]}" --container web --format gramine --gramine-dir "$T/att" --key-name _sgx_mrsigner
expect_err 2 "gramine with --out (exit 2)" 'do not apply' -- "${GET[@]}" --container web --format gramine --gramine-dir "$T/att" --key-name fs_key --out "$T/x"
expect_err 10 "gramine with a 32-byte key (exit 10)" '16' -- "${GET[@]}" --container web32 --format gramine --gramine-dir "$T/att" --key-name fs_key
check "gramine: a refused install leaves the old key" cmp -s "$T/att/keys/fs_key" "$T/agent.web"
expect_err 2 "--key-name without --format gramine (exit 2)" 'gramine' -- "${GET[@]}" --container web --key-name fs_key --stdout
# A file under --gramine-dir that the manifest does not declare: inside Gramine
# the platform itself refuses the key (tests/cli/meson.build declares only
# default and fs_key); elsewhere --format gramine is a plain file write.
: >"$T/att/keys/fs_only"
if [ "$LIBOS" = gramine ]; then
	expect_err 7 "gramine platform: Gramine refuses a key name its manifest does not declare (exit 7)" 'key_name = "fs_only" on an encrypted fs.mounts entry' -- "${GET[@]}" --container web --format gramine --gramine-dir "$T/att" --key-name fs_only
	check "... nothing was installed" [ ! -s "$T/att/keys/fs_only" ]
else
	expect 0 "outside Gramine, --format gramine writes DIR/keys/NAME" -- "${GET[@]}" --container web --format gramine --gramine-dir "$T/att" --key-name fs_only
	check "... with the key" cmp -s "$T/att/keys/fs_only" "$T/agent.web"
fi

# ---- get --exec: the app runs in this process once its key is delivered ----
# (a libOS entrypoint: Gramine keeps encrypted-FS keys per process)
cat >"$T/app.sh" <<'SH'
#!/bin/sh
# The "app": records its arguments, checks the key it was given is there.
printf '%s\n' "$@" >"$APP_MARK"
cmp -s "$1" "$2" || exit 3
exit 42
SH
chmod +x "$T/app.sh"
export APP_MARK="$T/app.mark"
rm -f "$T/app.mark"
expect 42 "--exec: the app runs after the key is written; its exit code is the command's" -- "${GET[@]}" --container web --out "$T/exec.web" --exec "$T/app.sh" "$T/exec.web" "$T/agent.web"
check "--exec: the app got its own arguments, in order" sh -c '[ "$(cat "$1")" = "$(printf "%s\n%s\n" "$2" "$3")" ]' _ "$T/app.mark" "$T/exec.web" "$T/agent.web"
check "--exec: the key is not on stdout or stderr" no_key_in "$T/agent.web" "$OUT" "$ERR"
rm -f "$T/app.mark"
expect_err 7 "--exec: a failed get never runs the app (exit 7)" 'fusekey generate --container nokey' -- "${GET[@]}" --container nokey --out "$T/exec.none" --exec "$T/app.sh" a b
check "--exec: ... the app did not run" [ ! -e "$T/app.mark" ]
expect_err 127 "--exec: a program that does not exist (exit 127, as env(1))" "cannot run '.*no-such-app' \(--exec\)" -- "${GET[@]}" --container web --out "$T/exec.web2" --exec "$T/no-such-app"
check "--exec: ... the key was delivered before" cmp -s "$T/exec.web2" "$T/agent.web"
printf 'not a program\n' >"$T/not-exec"
chmod 0644 "$T/not-exec"
expect_err 126 "--exec: a file that cannot be run (exit 126)" "cannot run '.*not-exec'" -- "${GET[@]}" --container web --out "$T/exec.web4" --exec "$T/not-exec"
# (ASan lowers the core limit itself at start unless told not to: disable_coredump=0)
check "--exec: the app gets the caller's core-dump limit back, not fusekey's 0" bash -c 'ulimit -S -c "$(ulimit -H -c)" 2>/dev/null; want=$(ulimit -S -c); got=$(ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}disable_coredump=0" "$1" get "${@:2}" --exec sh -c "ulimit -S -c" 2>/dev/null); [ -n "$got" ] && [ "$want" = "$got" ]' _ "$FUSEKEY" "${GET[@]:1}" --container web --out "$T/exec.web5"
expect_err 2 "--exec without a program (exit 2)" 'exec PROG' -- "${GET[@]}" --container web --stdout --exec
expect_err 2 "--exec=PROG is refused: the program comes after it (exit 2)" 'exec PROG' -- "${GET[@]}" --container web --stdout --exec=/bin/true
expect 0 "--exec: options after --exec belong to the app, not to get" -- "${GET[@]}" --container web --out "$T/exec.web3" --exec sh -c '[ "$1" = --stdout ]' sh --stdout
check "--exec: ... get still wrote --out" cmp -s "$T/exec.web3" "$T/agent.web"
expect 0 "--exec after --format gramine: the app finds its key installed" -- "${GET[@]}" --container web --format gramine --gramine-dir "$T/att" --key-name fs_key --exec sh -c 'cmp -s "$1" "$2"' sh "$T/att/keys/fs_key" "$T/agent.web"

"$FUSEKEY" "${GET[@]}" --container web --format hex --fd 3 3>"$T/fd.out" >"$OUT" 2>"$ERR"
RC=$?
check "--fd 3: exit 0, the hex key on fd 3, nothing on stdout" sh -c '[ "$1" = 0 ] && [ "$(cat "$2")" = "$3" ] && [ ! -s "$4" ]' _ "$RC" "$T/fd.out" "$(hexof "$T/agent.web")" "$OUT"
expect_err 2 "--fd of a closed descriptor (exit 2)" 'not a file descriptor open for writing' -- "${GET[@]}" --container web --fd 9
expect_err 2 "--fd not a number (exit 2)" '--fd' -- "${GET[@]}" --container web --fd three
expect 0 "get --stdout (raw)" -- "${GET[@]}" --container web --stdout
check "--stdout: exactly the 16 key bytes" cmp -s "$OUT" "$T/agent.web"
check "--stdout: the summary stays on stderr" grep -q 'to standard output' "$ERR"
expect_err 2 "get without a destination: usage error (exit 2)" 'never printed otherwise' -- "${GET[@]}" --container web
check "no destination: nothing on stdout" [ ! -s "$OUT" ]
expect_err 2 "get with --out and --stdout (exit 2)" 'one place' -- "${GET[@]}" --container web --out "$T/x" --stdout
expect_err 8 "get --out over an existing file (exit 8)" 'use --force' -- "${GET[@]}" --container web --out "$T/app.web"
expect 0 "get --out --force replaces it" -- "${GET[@]}" --container web --format hex --out "$T/app.web" --force
check "--force: the file now holds the hex form, mode 0600" sh -c '[ "$(cat "$1")" = "$2" ] && [ "$(stat -c %a "$1")" = 600 ]' _ "$T/app.web" "$(hexof "$T/agent.web")"
ln -s "$T/agent.web" "$T/out.link"
expect 6 "get never writes --out through a symlink" -- "${GET[@]}" --container web --out "$T/out.link" --force
check "the symlink's target is untouched" [ "$(size_of "$T/agent.web")" = 16 ]
expect 0 "generate --stdout: the key on stdout" -- "${AGENT[@]}" --container gen-stdout --stdout
cp "$OUT" "$T/gen-stdout.key"
check "generate --stdout: only the 16 key bytes on stdout, summary on stderr" sh -c '[ "$(stat -c %s "$1")" = 16 ] && grep -q "generated a 16-byte key" "$2"' _ "$T/gen-stdout.key" "$ERR"
expect 0 "the app gets the same key" -- "${GET[@]}" --container gen-stdout --stdout
check "generate --stdout and get agree" cmp -s "$OUT" "$T/gen-stdout.key"
expect 0 "generate without an output delivers no key" -- "${AGENT[@]}" --container quiet
check "no output asked: stdout has the summary, no key bytes" sh -c '[ "$(wc -l <"$1")" = 1 ] && grep -q "container .quiet." "$1"' _ "$OUT"
expect_err 2 "generate --format hex without a destination (exit 2)" 'needs --out' -- "${AGENT[@]}" --container quiet2 --format hex
expect 0 "generate --format occlum-mount to a file" -- "${AGENT[@]}" --container occ --format occlum-mount --mount-type sefs --dir /data --out "$T/occ.opts"
check "generate: mount options file, 0600, key string inside" sh -c 'grep -Eqx "dir=/data,key=([0-9a-f]{2}-){15}[0-9a-f]{2}" "$1" && [ "$(stat -c %a "$1")" = 600 ]' _ "$T/occ.opts"
expect 0 "the app gets that key as an Occlum key string" -- "${GET[@]}" --container occ --format occlum --stdout
check "agent's mount options carry the app's key string" grep -q "key=$(cat "$OUT")\$" "$T/occ.opts"
expect_err 10 "get refuses --out inside the bundle's key store (exit 10)" 'key store' -- "${GET[@]}" --container web --out "$B/fusekey/web/plain.key"
expect_err 10 "generate refuses --out inside the key store, even with --force (exit 10)" 'key store' -- "${AGENT[@]}" --container instore --out "$B/fusekey/web/key.sealed" --force
check "no plaintext key was written into the store" sh -c '[ ! -e "$1/fusekey/web/plain.key" ] && [ ! -e "$1/fusekey/instore" ] && [ "$(stat -c %s "$1/fusekey/web/key.sealed")" = 816 ]' _ "$B"
mkdir -p "$T/b3"
expect_err 10 "generate into a new bundle, --out inside the store it creates (exit 10)" 'key store' -- generate "${P[@]}" --enclave "$T/agent.sig" --bundle "$T/b3" --container web --out "$T/b3/fusekey/web/plain.key"
check "...the key is stored, not written in the clear" sh -c '[ -e "$1/fusekey/web/key.sealed" ] && [ ! -e "$1/fusekey/web/plain.key" ] && grep -q "was not delivered" "$2"' _ "$T/b3" "$ERR"
: >"$T/exists.out"
expect_err 8 "generate refuses an existing --out before making a key (exit 8)" 'use --force' -- "${AGENT[@]}" --container early --out "$T/exists.out"
check "...and left nothing in the bundle" [ ! -e "$B/fusekey/early" ]

# ---- who gets the key: identity ----
as other
expect_err 12 "another signer is refused, seal (exit 12)" 'signer' -- "${GET[@]}" --container web --out "$T/x"
expect_err 12 "another signer is refused, derive (exit 12)" 'signer' -- "${GET[@]}" --container db --out "$T/x"
as dbg
expect_err 12 "a DEBUG app is refused, seal (exit 12)" 'DEBUG' -- "${GET[@]}" --container web --out "$T/x"
expect_err 12 "a DEBUG app is refused, derive (exit 12)" 'DEBUG' -- "${GET[@]}" --container db --out "$T/x"
as prod2
expect_err 12 "another ISVPRODID is refused, seal (exit 12)" 'ISVPRODID' -- "${GET[@]}" --container web --out "$T/x"
expect_err 12 "another ISVPRODID is refused, derive (exit 12)" 'ISVPRODID' -- "${GET[@]}" --container db --out "$T/x"
check "no output file after the refusals" [ ! -e "$T/x" ]

expect 0 "generate under --policy mrenclave, seal" -- "${AGENT[@]}" --container web-mre --policy mrenclave --out "$T/agent.web-mre"
expect 0 "generate under --policy mrenclave, derive" -- "${AGENT[@]}" --container db-mre --method derive --policy mrenclave --out "$T/agent.db-mre"
as app
expect_err 12 "MRENCLAVE policy: other MRENCLAVE refused, seal (exit 12)" 'MRENCLAVE' -- "${GET[@]}" --container web-mre --out "$T/x"
expect_err 12 "MRENCLAVE policy: other MRENCLAVE refused, derive (exit 12)" 'MRENCLAVE' -- "${GET[@]}" --container db-mre --out "$T/x"
as agent
expect 0 "MRENCLAVE policy: the agent's own MRENCLAVE gets it, seal" -- "${GET[@]}" --container web-mre --policy mrenclave --stdout
check "MRENCLAVE policy, seal: same key" cmp -s "$OUT" "$T/agent.web-mre"
expect 0 "MRENCLAVE policy: the agent's own MRENCLAVE gets it, derive" -- "${GET[@]}" --container db-mre --stdout
check "MRENCLAVE policy, derive: same key" cmp -s "$OUT" "$T/agent.db-mre"

# ---- --policy at get: the policy the key must have ----
as app
expect_err 15 "--policy mrenclave on an MRSIGNER sealed key: POLICY_MISMATCH (exit 15)" 'made under policy MRSIGNER, and --policy requires MRENCLAVE' -- "${GET[@]}" --container web --policy mrenclave --out "$T/x"
expect_err 15 "--policy mrenclave on an MRSIGNER descriptor (exit 15)" 'requires MRENCLAVE' -- "${GET[@]}" --container db --policy mrenclave --out "$T/x"
expect 0 "--policy mrsigner on an MRSIGNER key is accepted" -- "${GET[@]}" --container web --policy mrsigner --stdout
expect_err 10 "--policy without mrenclave/mrsigner (exit 10)" 'mrenclave or mrsigner' -- "${GET[@]}" --container web --policy noisvprodid --stdout
expect_err 2 "--policy with an unknown word (exit 2)" "unknown word 'mrsingner'" -- "${GET[@]}" --container web --policy mrsingner --stdout
expect_err 10 "generate: a KSS policy for a non-KSS agent (exit 10)" 'needs a KSS enclave' -- "${AGENT[@]}" --container kss --policy mrsigner,kss
# What to do about it depends on the platform: Occlum enables KSS in Occlum.json.
case $LIBOS in
occlum) check "... says to set metadata.enable_kss in Occlum.json" sh -c 'grep -q "Occlum.json" "$1" && grep -q "enable_kss" "$1"' _ "$ERR" ;;
gramine) check "... says the Gramine enclave has no KSS" grep -q 'Gramine enclave was not launched with the KSS attribute' "$ERR" ;;
*) check "... says to sign the enclave with --kss" grep -q "fusekey sim sign --kss" "$ERR" ;;
esac
expect_err 10 "generate: a policy without mrenclave/mrsigner (exit 10)" 'mrenclave or mrsigner' -- "${AGENT[@]}" --container kss --policy noisvprodid
check "refused generates wrote nothing" [ ! -e "$B/fusekey/kss" ]

# ---- KSS: the CONFIGID policy ----
CID1=$(repeat_hex 11 64)
CID2=$(repeat_hex 22 64)
KAGENT=(generate "${P[@]}" --enclave "$T/kss_agent.sig" --config-id "$CID1" --bundle "$B" --policy "mrsigner,configid")
KAPP=(get "${P[@]}" --enclave "$T/kss_app.sig" --bundle "$B")
expect 0 "KSS agent: generate under mrsigner,configid, seal" -- "${KAGENT[@]}" --container kss-s --out "$T/agent.kss-s"
expect 0 "KSS agent: generate under mrsigner,configid, derive" -- "${KAGENT[@]}" --container kss-d --method derive --out "$T/agent.kss-d"
for m in s d; do
	expect 0 "KSS app with the same CONFIGID gets it ($m)" -- "${KAPP[@]}" --config-id "$CID1" --container "kss-$m" --stdout
	check "KSS ($m): same key" cmp -s "$OUT" "$T/agent.kss-$m"
	# The key file records a digest of the KSS ids its policy binds: another
	# CONFIGID is told apart from a modified file (exit 12, not 4).
	expect_err 12 "KSS app with another CONFIGID is refused ($m, exit 12)" 'CONFIGID' -- "${KAPP[@]}" --config-id "$CID2" --container "kss-$m" --stdout
	as app
	expect 12 "a non-KSS app is refused a CONFIGID-policy key ($m, exit 12)" -- "${GET[@]}" --container "kss-$m" --stdout
done

# ---- enclave versions (ISVSVN) and TCB (CPUSVN) ----
as app_hi
expect 0 "a newer app (ISVSVN 3 > 2) gets the sealed key" -- "${GET[@]}" --container web --stdout
check "newer app, seal: same key" cmp -s "$OUT" "$T/agent.web"
expect 0 "a newer app gets the derived key" -- "${GET[@]}" --container db --stdout
check "newer app, derive: same key" cmp -s "$OUT" "$T/agent.db"
as app_lo
expect_err 5 "an older app (ISVSVN 1 < 2) is refused, seal (exit 5)" 'ISVSVN 2' -- "${GET[@]}" --container web --out "$T/x"
expect_err 5 "an older app is refused, derive (exit 5)" 'ISVSVN 2' -- "${GET[@]}" --container db --out "$T/x"
"$FUSEKEY" sim cpusvn UPGRADED --sim-dir "$S" >/dev/null 2>&1
expect 0 "generate at CPUSVN UPGRADED, seal" -- "${AGENT[@]}" --container tcb-s
expect 0 "generate at CPUSVN UPGRADED, derive" -- "${AGENT[@]}" --container tcb-d --method derive
"$FUSEKEY" sim cpusvn DEFAULT --sim-dir "$S" >/dev/null 2>&1
as app
expect_err 5 "platform back at DEFAULT: the UPGRADED sealed key is refused (exit 5)" 'newer platform TCB' -- "${GET[@]}" --container tcb-s --stdout
expect_err 5 "platform back at DEFAULT: the UPGRADED descriptor is refused (exit 5)" 'CPUSVN' -- "${GET[@]}" --container tcb-d --stdout
"$FUSEKEY" sim init --sim-dir "$T/sim2" >/dev/null 2>&1
expect_err 4 "another platform (other roots) cannot open the sealed key (exit 4)" 'another platform' -- get --platform sim --sim-dir "$T/sim2" --enclave "$T/app.sig" --bundle "$B" --container web --stdout
expect_err 4 "another platform derives another key (exit 4)" 'another platform' -- get --platform sim --sim-dir "$T/sim2" --enclave "$T/app.sig" --bundle "$B" --container db --stdout

# ---- the host moves files: another container ----
mkdir -p "$B/fusekey/moved-s" "$B/fusekey/moved-d"
cp "$(bundle_file web key.sealed)" "$B/fusekey/moved-s/"
cp "$(bundle_file db derive.json)" "$B/fusekey/moved-d/"
expect_err 13 "web's sealed key under another container is refused (exit 13)" "belongs to container 'web', not 'moved-s': the host moved or copied it" -- "${GET[@]}" --container moved-s --out "$T/x"
expect_err 13 "db's descriptor under another container is refused (exit 13)" "belongs to container 'db', not 'moved-d'" -- "${GET[@]}" --container moved-d --out "$T/x"
mkdir -p "$B/fusekey/renamed"
mv "$B/fusekey/moved-s/key.sealed" "$B/fusekey/renamed/key.sealed"
expect 13 "a renamed sealed key is refused (exit 13)" -- "${GET[@]}" --container renamed --out "$T/x"
check "no output file after the refusals" [ ! -e "$T/x" ]

# ---- tampering, truncation, missing files ----
expect 0 "generate 'tam' (seal) for the tampering tests" -- "${AGENT[@]}" --container tam
expect 0 "generate 'tamd' (derive) for the tampering tests" -- "${AGENT[@]}" --container tamd --method derive
TS=$(bundle_file tam key.sealed)
TD=$(bundle_file tamd derive.json)
cp -p "$TS" "$T/tam.orig" && cp -p "$TD" "$T/tamd.orig"
restore() { cp -p "$T/tam.orig" "$TS" && cp -p "$T/tamd.orig" "$TD"; }
tamper_s() { # tamper_s NAME OFFSET WANT: flip one byte of key.sealed
	restore
	flip_byte "$TS" "$2"
	expect "$3" "sealed key, tampered $1 (byte $2): exit $3" -- "${GET[@]}" --container tam --stdout
}
# The library explains a failed unseal with the (unauthenticated) request policy:
# MRSIGNER -> MRENCLAVE|MRSIGNER makes the agent's MRENCLAVE "required": exit 12.
tamper_s "key request policy (MRSIGNER -> +MRENCLAVE)" 2 12
tamper_s "KEYID" 40 4
tamper_s "tag" 544 4
tamper_s "ciphertext" 560 4
tamper_s "binding key length" 587 4
tamper_s "binding container id" 672 4
# The sealer identity in the binding is only a hint for the message (docs/delivery.md):
# editing it changes which refusal is reported, never whether the key is released.
tamper_s "binding sealer MRSIGNER" 624 12
restore
flip_byte "$TS" 561
expect_err 4 "a tampered sealed key: says modified or another platform" 'failed authentication: it was modified' -- "${GET[@]}" --container tam --out "$T/x"
restore
{ cat "$T/tam.orig"; printf x; } >"$TS"
expect 4 "a sealed key with a byte appended (exit 4)" -- "${GET[@]}" --container tam --out "$T/x"
restore
head -c 700 "$T/tam.orig" >"$TS"
expect_err 14 "a truncated sealed key (700 of 816 bytes): exit 14" 'truncated' -- "${GET[@]}" --container tam --out "$T/x"
head -c 100 "$T/tam.orig" >"$TS"
expect 14 "a sealed key cut inside its header (100 bytes): exit 14" -- "${GET[@]}" --container tam --out "$T/x"
: >"$TS"
expect 14 "an empty key.sealed: exit 14" -- "${GET[@]}" --container tam --out "$T/x"
restore
expect 0 "the restored sealed key opens again" -- "${GET[@]}" --container tam --stdout

tamper_d() { # tamper_d NAME PYTHON WANT: edit derive.json
	restore
	edit_json "$TD" "$2"
	expect "$3" "descriptor, tampered $1: exit $3" -- "${GET[@]}" --container tamd --stdout
}
tamper_d "salt" 'd["salt"] = ("0" if d["salt"][0] != "0" else "1") + d["salt"][1:]' 4
tamper_d "key_check" 'd["key_check"] = ("0" if d["key_check"][0] != "0" else "1") + d["key_check"][1:]' 4
tamper_d "cpu_svn (another emulator value, lower)" 'd["cpu_svn"] = "64ea4f3fa0030c36383c322d4f3a8d4f"' 4
# key_len does not change KEYID_0, so only key_check can catch an edit of it: a
# host must not turn a 16-byte key into 32 bytes (or hand out half of a 32-byte
# key). The library must refuse both as modified (MAC_MISMATCH, exit 4).
tamper_d "key_len 16 -> 32" 'd["key_len"] = 32' 4
expect 0 "a 32-byte descriptor for the key_len test" -- "${AGENT[@]}" --container tamd32 --method derive --key-len 32
edit_json "$(bundle_file tamd32 derive.json)" 'd["key_len"] = 16'
expect 4 "descriptor, tampered key_len 32 -> 16: exit 4" -- "${GET[@]}" --container tamd32 --stdout
# The library derives under the edited MRENCLAVE policy, fails the check, then
# reports the recorded agent MRENCLAVE (not the app's): WRONG_IDENTITY.
tamper_d "key_policy MRSIGNER -> MRENCLAVE" 'd["key_policy"] = 1' 12
tamper_d "isv_svn raised above the app's" 'd["isv_svn"] = 9' 5
tamper_d "container_id (edited to 'other')" 'd["container_id"] = "other"' 13
tamper_d "attribute mask dropping DEBUG" 'd["attribute_mask"]["flags"] = "0xff00000000000009"' 6
tamper_d "an unknown field" 'd["extra"] = 1' 6
tamper_d "a field removed" 'del d["salt"]' 6
# The recorded agent identity is a hint only: editing it does not stop the key.
tamper_d "agent.mr_signer (hint only: key still released)" 'd["agent"]["mr_signer"] = "00" * 32' 0
restore
head -c 200 "$T/tamd.orig" >"$TD"
expect_err 14 "a truncated descriptor: exit 14" 'truncated' -- "${GET[@]}" --container tamd --out "$T/x"
printf 'not json' >"$TD"
expect_err 6 "a descriptor that is not JSON: exit 6" 'not a valid fusekey derive descriptor' -- "${GET[@]}" --container tamd --out "$T/x"
restore
expect 0 "the restored descriptor works again" -- "${GET[@]}" --container tamd --stdout
rm -f "$T/x"

expect_err 7 "no key for the container: exit 7, says generate first" 'fusekey generate --container nokey' -- "${GET[@]}" --container nokey --out "$T/x"
expect_err 7 "get --method seal when only derive.json exists: exit 7" 'use --method derive' -- "${GET[@]}" --container db --method seal --out "$T/x"
expect_err 7 "get --method derive when only key.sealed exists: exit 7" 'use --method seal' -- "${GET[@]}" --container web --method derive --out "$T/x"
expect_err 7 "a missing bundle directory: exit 7" 'does not exist' -- get "${P[@]}" --enclave "$T/app.sig" --bundle "$T/nobundle" --container web --out "$T/x"
expect_err 7 "generate into a missing bundle directory: exit 7" 'does not exist' -- generate "${P[@]}" --enclave "$T/agent.sig" --bundle "$T/nobundle" --container web
check "generate does not create the bundle itself" [ ! -e "$T/nobundle" ]
# A FIFO in place of a key file: refused as not a regular file, without blocking.
mkdir -p "$B/fusekey/fifo-s" "$B/fusekey/fifo-d"
mkfifo "$B/fusekey/fifo-s/key.sealed" "$B/fusekey/fifo-d/derive.json"
for m in s d; do
	timeout 5 "$FUSEKEY" "${GET[@]}" --container "fifo-$m" --stdout >"$OUT" 2>"$ERR"
	RC=$?
	check "a FIFO as the key file ($m) is refused (exit 6), not waited on" [ "$RC" = 6 ]
done
expect 8 "generate: a FIFO at the key path counts as a key (exit 8)" -- "${AGENT[@]}" --container fifo-s
expect 6 "generate --force does not write into the FIFO (exit 6)" -- "${AGENT[@]}" --container fifo-s --force
check "the FIFO is still a FIFO" [ -p "$B/fusekey/fifo-s/key.sealed" ]
cp -p "$(bundle_file db derive.json)" "$B/fusekey/web/derive.json"
expect_err 6 "both key.sealed and derive.json: auto refuses (exit 6)" 'both a sealed key and a derive descriptor' -- "${GET[@]}" --container web --out "$T/x"
expect 0 "...an explicit --method still works" -- "${GET[@]}" --container web --method seal --stdout
rm -f "$B/fusekey/web/derive.json"
check "no output file after the refusals" [ ! -e "$T/x" ]

# ---- one key per container; --force ----
cp -p "$(bundle_file web key.sealed)" "$T/web.sealed.orig"
expect_err 8 "generate twice: exit 8, use --force" 'already has a key.*--force' -- "${AGENT[@]}" --container web
check "the refused generate left the key file untouched" cmp -s "$(bundle_file web key.sealed)" "$T/web.sealed.orig"
expect_err 8 "generate by derive over a sealed key: exit 8 too" 'already has a key' -- "${AGENT[@]}" --container web --method derive
check "...and wrote no descriptor" [ ! -e "$(bundle_file web derive.json)" ]
expect 0 "generate --force replaces the key" -- "${AGENT[@]}" --container web --force --out "$T/agent.web.new"
check "--force: a new key, a new file" sh -c '! cmp -s "$1" "$2" && ! cmp -s "$3" "$4"' _ "$T/agent.web" "$T/agent.web.new" "$(bundle_file web key.sealed)" "$T/web.sealed.orig"
expect 0 "the app gets the new key" -- "${GET[@]}" --container web --stdout
check "after --force the app's key is the new one" cmp -s "$OUT" "$T/agent.web.new"
expect 0 "generate --force --method derive switches the method" -- "${AGENT[@]}" --container web --force --method derive --out "$T/agent.web.d"
check "switching method removes the old key.sealed" sh -c '[ ! -e "$1" ] && [ -e "$2" ]' _ "$(bundle_file web key.sealed)" "$(bundle_file web derive.json)"
expect 0 "the app gets the switched key (auto)" -- "${GET[@]}" --container web --stdout
check "switched key: the agent's" cmp -s "$OUT" "$T/agent.web.d"

# ---- container ids (exit 2: a syntactically bad id is a usage error) ----
bad_id() { # bad_id NAME ID
	expect_err 2 "generate: container id $1 refused (exit 2)" 'container id' -- "${AGENT[@]}" "--container=$2"
	as app
	expect_err 2 "get: container id $1 refused (exit 2)" 'container id' -- "${GET[@]}" "--container=$2" --stdout
}
bad_id "empty" ""
bad_id "'../x'" "../x"
bad_id "'a/b'" "a/b"
bad_id "'.hidden'" ".hidden"
bad_id "'-x'" "-x"
bad_id "with a space" "a b"
bad_id "of 129 characters" "$(printf 'c%.0s' {1..129})"
check "bad ids created nothing" sh -c '[ ! -e "$1/x" ] && [ ! -e "$1/fusekey/a" ] && [ ! -e "$1/fusekey/.hidden" ] && [ ! -e "$1/fusekey/../x" ]' _ "$B"
ID128=$(printf 'c%.0s' {1..128})
expect 0 "a container id of 128 characters is accepted" -- "${AGENT[@]}" --container "$ID128"
expect 0 "...and its key is got" -- "${GET[@]}" --container "$ID128" --stdout
KATA_ID=$(rand_hex32)
expect 0 "a 64-hex-digit (Kata/containerd) id is accepted" -- "${AGENT[@]}" --container "$KATA_ID" --method derive
expect_err 2 "generate without --container (exit 2)" '--container' -- "${AGENT[@]}"
expect_err 2 "generate without --bundle (exit 2)" '--bundle' -- generate "${P[@]}" --enclave "$T/agent.sig" --container web
expect_err 2 "generate --method auto (exit 2)" 'seal, derive or la' -- "${AGENT[@]}" --container m --method auto
expect_err 2 "get --method bogus (exit 2)" 'auto, seal, derive or la' -- "${GET[@]}" --container web --method ldap --stdout
expect_err 2 "--key-len 24 (exit 2)" '16 or 32' -- "${AGENT[@]}" --container m --key-len 24
expect_err 2 "--key-len on get (exit 2)" "unknown option '--key-len'" -- "${GET[@]}" --container web --key-len 16 --stdout
expect_err 3 "generate without --platform (exit 3)" 'no SGX platform' -- generate --sim-dir "$S" --enclave "$T/agent.sig" --bundle "$B" --container m
expect_err 3 "get without --platform (exit 3)" '--platform sim' -- get --sim-dir "$S" --enclave "$T/app.sig" --bundle "$B" --container web --stdout
expect_err 2 "get without --enclave (exit 2)" '--enclave' -- get "${P[@]}" --bundle "$B" --container web --stdout
expect_err 7 "generate on an uninitialised platform (exit 7)" 'sim init' -- generate --platform sim --sim-dir "$T/nosim" --enclave "$T/agent.sig" --bundle "$B" --container m
check "usage errors created nothing" [ ! -e "$B/fusekey/m" ]

# ---- symlinks: never followed, the target never touched ----
printf 'ORIGINAL' >"$T/target.file"
mkdir -p "$B/fusekey/sl"
ln -s "$T/target.file" "$B/fusekey/sl/key.sealed"
expect_err 8 "a symlink at the key path counts as a key: exit 8" 'already has a key' -- "${AGENT[@]}" --container sl
expect_err 6 "generate --force refuses to write through the symlink (exit 6)" 'symlink' -- "${AGENT[@]}" --container sl --force
check "the symlink's target is untouched" [ "$(cat "$T/target.file")" = ORIGINAL ]
check "the symlink is still a symlink" [ -L "$B/fusekey/sl/key.sealed" ]
expect_err 6 "get refuses to follow a symlinked key file (exit 6)" 'follow the symlink' -- "${GET[@]}" --container sl --stdout
mkdir -p "$T/elsewhere"
ln -s "$T/elsewhere" "$B/fusekey/sd"
expect_err 6 "generate refuses a symlinked container directory (exit 6)" 'symlink' -- "${AGENT[@]}" --container sd
check "nothing was written where the symlink points" [ -z "$(ls -A "$T/elsewhere")" ]
cp -p "$(bundle_file db derive.json)" "$T/elsewhere/derive.json"
expect_err 6 "get refuses a symlinked container directory (exit 6)" 'symlink' -- "${GET[@]}" --container sd --stdout
expect_err 6 "generate with a key behind the symlinked directory: refused, the link is not followed (exit 6)" 'symlink' -- "${AGENT[@]}" --container sd
expect_err 6 "...and with --force: refused (exit 6)" 'symlink' -- "${AGENT[@]}" --container sd --force
check "the file behind the symlinked directory is untouched" cmp -s "$T/elsewhere/derive.json" "$(bundle_file db derive.json)"
mkdir -p "$T/b2" "$T/elsewhere2"
ln -s "$T/elsewhere2" "$T/b2/fusekey"
expect_err 6 "a symlinked fusekey/ directory is refused (exit 6)" 'symlink' -- generate "${P[@]}" --enclave "$T/agent.sig" --bundle "$T/b2" --container web
check "nothing was written behind the symlinked fusekey/" [ -z "$(ls -A "$T/elsewhere2")" ]

# ---- inspect the files in the bundle ----
expect 0 "inspect key.sealed" -- inspect "$(bundle_file tam key.sealed)"
check "sealed key: type detected" grep -q '^type: sealed-key$' "$OUT"
check "sealed key: emulation line" grep -q "^platform: EMULATED SGX (CPUSVN is the emulator's DEFAULT value)$" "$OUT"
check "sealed key: container id, method, key length" sh -c 'grep -q "^container_id: tam$" "$1" && grep -q "^method: seal$" "$1" && grep -q "^key_len: 16$" "$1"' _ "$OUT"
check "sealed key: policy" grep -q '^key_policy_names: MRSIGNER$' "$OUT"
check "sealed key: the sealer's identity" sh -c 'grep -q "^sealer.mr_enclave: $2$" "$1" && grep -q "^sealer.mr_signer: $3$" "$1" && grep -q "^sealer.isv_svn: 2$" "$1" && grep -q "^sealer.isv_prod_id: 1$" "$1" && grep -q "^sealer.debug: no$" "$1"' _ "$OUT" "$MRE_AGENT" "$MRSIGNER_A"
check "sealed key: the binding is consistent" grep -q '^binding.consistent: yes$' "$OUT"
expect 0 "inspect key.sealed --json" -- inspect "$(bundle_file web-mre key.sealed)" --json
cp "$OUT" "$T/sk.json"
check "sealed key --json parses" json_ok "$T/sk.json"
check "sealed key --json: type, container, policy" sh -c 'python3 -c "
import json,sys; d=json.load(open(sys.argv[1]))
assert d[\"type\"]==\"sealed-key\" and d[\"container_id\"]==\"web-mre\" and d[\"key_policy_names\"]==[\"MRENCLAVE\"]
assert d[\"sealer\"][\"mr_signer\"]==sys.argv[2] and d[\"emulated\"] is True and d[\"key_request\"][\"key_policy\"]==\"0x0001\"
" "$1" "$2"' _ "$T/sk.json" "$MRSIGNER_A"
check "inspect shows no key" no_key_in "$T/agent.web-mre" "$T/sk.json"
expect 0 "inspect derive.json" -- inspect "$(bundle_file db derive.json)"
check "descriptor: type detected" grep -q '^type: derive$' "$OUT"
check "descriptor: emulation line (CPUSVN)" grep -q "^platform: EMULATED SGX (CPUSVN is the emulator's DEFAULT value)$" "$OUT"
check "descriptor: fields" sh -c 'grep -q "^container_id: db$" "$1" && grep -q "^key_len: 16$" "$1" && grep -q "^key_policy_names: MRSIGNER$" "$1" && grep -q "^isv_svn: 2$" "$1" && grep -q "^cpu_svn.emulator_name: DEFAULT$" "$1"' _ "$OUT"
check "descriptor: the agent's identity" sh -c 'grep -q "^agent.mr_enclave: $2$" "$1" && grep -q "^agent.mr_signer: $3$" "$1"' _ "$OUT" "$MRE_AGENT" "$MRSIGNER_A"
check "descriptor: well formed" sh -c 'grep -q "^well_formed: yes$" "$1" && grep -q "^problems: none$" "$1"' _ "$OUT"
check "descriptor: no key in the output" no_key_in "$T/agent.db" "$OUT"
expect 0 "inspect derive.json --json" -- inspect "$(bundle_file db derive.json)" --json
cp "$OUT" "$T/dd.json"
check "descriptor --json: parses, fields" sh -c 'python3 -c "
import json,sys; d=json.load(open(sys.argv[1]))
assert d[\"type\"]==\"derive\" and d[\"container_id\"]==\"db\" and d[\"well_formed\"] is True and d[\"problems\"]==[]
assert d[\"cpu_svn\"][\"hex\"]==sys.argv[2] and d[\"emulated\"] is True and len(d[\"salt\"])==64
" "$1" "$2"' _ "$T/dd.json" "$DEFAULT_CPUSVN"
cp "$T/tamd.orig" "$T/bad.json"
edit_json "$T/bad.json" 'd["attribute_mask"]["flags"] = "0xff00000000000009"; d["extra"] = 1'
expect 0 "inspect a damaged descriptor: described, not fatal" -- inspect "$T/bad.json"
check "damaged descriptor: not well formed, problems named" sh -c 'grep -q "^well_formed: no$" "$1" && grep -q "DEBUG" "$1" && grep -q "unknown field .extra." "$1"' _ "$OUT"
expect_err 6 "--type derive on a sealed blob (exit 6)" 'not a fusekey derive descriptor' -- inspect "$(bundle_file tam key.sealed)" --type derive
printf 'plain' >"$T/pt"
"$FUSEKEY" seal "${P[@]}" --enclave "$T/agent.sig" --in "$T/pt" --out "$T/plain.blob" >/dev/null 2>&1
expect 0 "a plain sealed blob is still type sealed" -- inspect "$T/plain.blob"
check "plain blob: type sealed" grep -q '^type: sealed$' "$OUT"
expect_err 6 "--type sealed-key on a plain sealed blob (exit 6)" 'not a sealed FUSE key' -- inspect "$T/plain.blob" --type sealed-key

finish
