#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# fusekey demo (what `make demo` runs): hand a FUSE key from an "agent"
# enclave to an "app" enclave by sealing, on the EMULATED SGX platform.
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
cleanup() {
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
# run ARGS...: show the command, then run it (its messages go to the terminal).
run() {
	echo "  \$ fusekey $*"
	"$FK" "$@"
}
die() {
	echo
	echo "DEMO FAILED: $*" >&2
	exit 1
}
sha() { sha256sum "$1" | cut -c1-64; }

echo "fusekey demo: the agent enclave seals the FUSE key, the app enclave unseals it."
echo "Everything runs on the EMULATED SGX platform: it behaves like SGX but protects nothing."

say "Create an emulated SGX platform (secure mode: random root keys in a private directory)."
run sim init --mode secure --sim-dir platform || die "sim init failed"

say "Create one enclave signing key (RSA-3072, e=3). Its hash is the enclaves' MRSIGNER."
run sim keygen --out signer.pem || die "sim keygen failed"

say "Sign two enclaves with it: same signer (MRSIGNER), different code (MRENCLAVE)."
MRE_AGENT=$(printf 'agent enclave code v1' | sha256sum | cut -c1-64)
MRE_APP=$(printf 'app enclave code v1' | sha256sum | cut -c1-64)
run sim sign --key signer.pem --mrenclave "$MRE_AGENT" --prodid 1 --svn 1 --out agent.sig >/dev/null ||
	die "signing the agent failed"
run sim sign --key signer.pem --mrenclave "$MRE_APP" --prodid 1 --svn 1 --out app.sig >/dev/null ||
	die "signing the app failed"
echo "  agent MRENCLAVE: $MRE_AGENT"
echo "  app   MRENCLAVE: $MRE_APP"

echo
echo "From here on, FUSEKEY_PLATFORM=sim and FUSEKEY_SIM_DIR=platform select the emulated"
echo "platform (the same as --platform sim --sim-dir platform)."
export FUSEKEY_PLATFORM=sim FUSEKEY_SIM_DIR=$WORK/platform

say "Make a random 16-byte FUSE key. We only ever print its SHA-256, never the key."
head -c 16 /dev/urandom >fuse.key || die "no random bytes"
chmod 600 fuse.key
echo "  SHA-256 of the key: $(sha fuse.key)"

say "The agent seals the key under the MRSIGNER policy (the default)."
run seal --enclave agent.sig --in fuse.key --out fuse.key.sealed || die "sealing failed"

say "Inspect the sealed blob: who may open it, lengths, tag. No secret in it is shown."
run inspect fuse.key.sealed || die "inspect failed"

say "The app unseals it: same signer, so the MRSIGNER policy lets it."
run unseal --enclave app.sig --in fuse.key.sealed --out app.key || die "the app could not unseal"
AGENT_SUM=$(sha fuse.key)
APP_SUM=$(sha app.key)
echo "  agent's key SHA-256: $AGENT_SUM"
echo "  app's   key SHA-256: $APP_SUM"
[ "$AGENT_SUM" = "$APP_SUM" ] || die "the app's key differs from the agent's"
echo "  The digests match: the app holds the agent's key."

say "The agent seals again, now under the MRENCLAVE policy: only the agent's exact code may unseal."
run seal --enclave agent.sig --in fuse.key --out agent-only.sealed --policy mrenclave ||
	die "sealing under MRENCLAVE failed"
echo "  The app tries to unseal it (this must fail with exit code 4):"
run unseal --enclave app.sig --in agent-only.sealed --out app2.key
rc=$?
[ "$rc" = 4 ] || die "the app's unseal under MRENCLAVE policy gave exit $rc, expected 4"
[ ! -e app2.key ] || die "a refused unseal left an output file"
echo "  Refused with exit code 4 (authentication failure), as expected."

say "Someone flips one byte of the first blob; the agent tries to unseal it (must fail, exit 4)."
cp fuse.key.sealed tampered.sealed
byte=$(od -An -tu1 -j 570 -N1 tampered.sealed | tr -d ' ')
printf "$(printf '\\x%02x' $((byte ^ 1)))" | dd of=tampered.sealed bs=1 seek=570 conv=notrunc status=none
cmp -s fuse.key.sealed tampered.sealed && die "could not modify the blob"
run unseal --enclave agent.sig --in tampered.sealed --out tampered.key
rc=$?
[ "$rc" = 4 ] || die "unsealing a tampered blob gave exit $rc, expected 4"
[ ! -e tampered.key ] || die "a refused unseal left an output file"
echo "  Refused with exit code 4, as expected."

echo
echo "Demo OK: the app unsealed the agent's key under MRSIGNER, was refused under MRENCLAVE, and a tampered blob was refused."
