#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# fusekey seal / unseal end to end on the emulated platform: who may unseal,
# tampering, TCB and SVN rules, KSS, outputs and their modes.
source "$(dirname "$0")/lib.sh" "$@"

S=$T/sim
MRE_A=$(repeat_hex a1 32)
MRE_B=$(repeat_hex b2 32)

setup_ok=true
"$FUSEKEY" sim init --sim-dir "$S" >/dev/null 2>&1 || setup_ok=false
"$FUSEKEY" sim keygen --out "$T/a.pem" >/dev/null 2>&1 || setup_ok=false
"$FUSEKEY" sim keygen --out "$T/b.pem" >/dev/null 2>&1 || setup_ok=false
sign() { # sign KEY OUT ARGS...
	local key=$1 out=$2
	shift 2
	"$FUSEKEY" sim sign --key "$T/$key.pem" --out "$T/$out.sig" "$@" >/dev/null 2>&1 || setup_ok=false
}
sign a agent --mrenclave "$MRE_A" --prodid 1 --svn 1
sign a app --mrenclave "$MRE_B" --prodid 1 --svn 1
sign b other --mrenclave "$MRE_A" --prodid 1 --svn 1
sign a dbg --mrenclave "$MRE_A" --prodid 1 --svn 1 --debug
sign a v2 --mrenclave "$MRE_A" --prodid 1 --svn 2
sign a prod2 --mrenclave "$MRE_B" --prodid 2 --svn 1
sign a kss --mrenclave "$MRE_A" --prodid 1 --svn 1 --kss
check "setup: platform, two signers, seven enclaves" $setup_ok

P=(--platform sim --sim-dir "$S")
printf 'TOPSECRET-PLAINTEXT-0123456789' >"$T/secret.txt"
head -c 16 /dev/urandom >"$T/key16"

# ---- the round trip and who may unseal ----
expect 0 "seal as agent (default MRSIGNER policy)" -- seal "${P[@]}" --enclave "$T/agent.sig" --in "$T/key16" --out "$T/b.default"
check "seal: EMULATED banner on stderr" grep -q 'EMULATED SGX platform' "$ERR"
check "seal: ran on ${LIBOS:-the emulated platform itself} (test seam line)" seam_said "$ERR"
check "blob is 576 bytes (560 + 16)" [ "$(size_of "$T/b.default")" = 576 ]
check "blob is mode 0600" [ "$(mode_of "$T/b.default")" = 600 ]
expect 0 "unseal as the same enclave" -- unseal "${P[@]}" --enclave "$T/agent.sig" --in "$T/b.default" --out "$T/k.same"
check "same enclave: plaintext identical" cmp -s "$T/key16" "$T/k.same"
check "unsealed file is mode 0600" [ "$(mode_of "$T/k.same")" = 600 ]
expect 0 "MRSIGNER policy: another MRENCLAVE of the same signer unseals" -- unseal "${P[@]}" --enclave "$T/app.sig" --in "$T/b.default" --out "$T/k.app"
check "other MRENCLAVE, same signer: plaintext identical" cmp -s "$T/key16" "$T/k.app"
expect_err 4 "another signer cannot unseal (exit 4)" 'authentication failed' -- unseal "${P[@]}" --enclave "$T/other.sig" --in "$T/b.default" --out "$T/k.x"
expect_err 4 "another ISVPRODID cannot unseal (exit 4)" 'authentication failed' -- unseal "${P[@]}" --enclave "$T/prod2.sig" --in "$T/b.default" --out "$T/k.x"
expect_err 4 "a DEBUG enclave cannot unseal a non-DEBUG blob (DEBUG always bound)" 'authentication' -- unseal "${P[@]}" --enclave "$T/dbg.sig" --in "$T/b.default" --out "$T/k.x"
expect 0 "seal as the DEBUG enclave" -- seal "${P[@]}" --enclave "$T/dbg.sig" --in "$T/key16" --out "$T/b.dbg"
expect 4 "a non-DEBUG enclave cannot unseal a DEBUG blob" -- unseal "${P[@]}" --enclave "$T/agent.sig" --in "$T/b.dbg" --out "$T/k.x"
expect 0 "the DEBUG enclave unseals its own blob" -- unseal "${P[@]}" --enclave "$T/dbg.sig" --in "$T/b.dbg" --out "$T/k.dbg"
check "no output file is left by refused unseals" [ ! -e "$T/k.x" ]

expect 0 "seal --policy mrenclave" -- seal "${P[@]}" --enclave "$T/agent.sig" --in "$T/key16" --out "$T/b.mre" --policy mrenclave
expect_err 4 "MRENCLAVE policy: same signer, other MRENCLAVE refused (exit 4)" 'authentication failed' -- unseal "${P[@]}" --enclave "$T/app.sig" --in "$T/b.mre" --out "$T/k.x"
expect 0 "MRENCLAVE policy: the same enclave unseals" -- unseal "${P[@]}" --enclave "$T/agent.sig" --in "$T/b.mre" --out "$T/k.mre"
check "MRENCLAVE policy: plaintext identical" cmp -s "$T/key16" "$T/k.mre"
# SGX semantics: an MRENCLAVE-policy key does not depend on MRSIGNER (the
# measurement is the identity), so the same MRENCLAVE under another signer unseals.
expect 0 "MRENCLAVE policy: same MRENCLAVE under another signer unseals" -- unseal "${P[@]}" --enclave "$T/other.sig" --in "$T/b.mre" --out "$T/k.mre.other"
check "MRENCLAVE policy, other signer: plaintext identical" cmp -s "$T/key16" "$T/k.mre.other"

# ---- stdout, stdin, AAD ----
expect 0 "unseal --stdout" -- unseal "${P[@]}" --enclave "$T/agent.sig" --in "$T/b.default" --stdout
check "--stdout prints exactly the plaintext" cmp -s "$T/key16" "$OUT"
check "--stdout: the banner stays on stderr" grep -q 'EMULATED' "$ERR"
expect_err 2 "unseal without --out or --stdout (exit 2)" '--stdout' -- unseal "${P[@]}" --enclave "$T/agent.sig" --in "$T/b.default"
check "usage error: nothing on stdout" [ ! -s "$OUT" ]
expect_err 2 "unseal with both --out and --stdout (exit 2)" 'exactly one' -- unseal "${P[@]}" --enclave "$T/agent.sig" --in "$T/b.default" --stdout --out "$T/k.x"
"$FUSEKEY" seal "${P[@]}" --enclave "$T/agent.sig" --in - --out "$T/b.stdin" <"$T/secret.txt" >"$OUT" 2>"$ERR"
RC=$?
check "seal --in - reads standard input" [ "$RC" = 0 ]
expect 0 "unseal the stdin-sealed blob" -- unseal "${P[@]}" --enclave "$T/app.sig" --in "$T/b.stdin" --stdout
check "stdin round trip" cmp -s "$T/secret.txt" "$OUT"
check "the plaintext is not in the messages" sh -c 'grep -q "unsealed 30 bytes" "$1" && ! grep -q TOPSECRET "$1"' _ "$ERR"
expect 0 "seal --aad-hex" -- seal "${P[@]}" --enclave "$T/agent.sig" --in "$T/secret.txt" --aad-hex 6c6162656c3a76310a --out "$T/b.aad"
check "AAD blob size 560 + 30 + 9" [ "$(size_of "$T/b.aad")" = 599 ]
expect 0 "unseal --aad-out" -- unseal "${P[@]}" --enclave "$T/agent.sig" --in "$T/b.aad" --out "$T/k.aad" --aad-out "$T/aad.out"
check "AAD returned exactly" sh -c '[ "$(cat "$1")" = "label:v1" ]' _ "$T/aad.out"
check "plaintext with AAD identical" cmp -s "$T/secret.txt" "$T/k.aad"
printf 'file aad' >"$T/aad.in"
expect 0 "seal --aad-file" -- seal "${P[@]}" --enclave "$T/agent.sig" --in "$T/secret.txt" --aad-file "$T/aad.in" --out "$T/b.aadf"
expect 0 "unseal the --aad-file blob" -- unseal "${P[@]}" --enclave "$T/agent.sig" --in "$T/b.aadf" --out "$T/k.aadf" --aad-out "$T/aadf.out"
check "--aad-file round trip" cmp -s "$T/aad.in" "$T/aadf.out"
expect_err 2 "--aad-file and --aad-hex together" 'at most one' -- seal "${P[@]}" --enclave "$T/agent.sig" --in "$T/secret.txt" --aad-file "$T/aad.in" --aad-hex 00 --out "$T/b.x"
expect_err 2 "--aad-hex with an odd number of digits" 'hex' -- seal "${P[@]}" --enclave "$T/agent.sig" --in "$T/secret.txt" --aad-hex 123 --out "$T/b.x"

# ---- tampering (every failure is exit 4) ----
tamper() { # tamper NAME OFFSET: flip one byte of a copy of b.aad and unseal it
	cp "$T/b.aad" "$T/b.t"
	flip_byte "$T/b.t" "$2"
	expect_err 4 "tampered $1 (byte $2) refused (exit 4)" 'authentication failed' -- unseal "${P[@]}" --enclave "$T/agent.sig" --in "$T/b.t" --out "$T/k.x"
}
tamper "key policy" 2
tamper "key request ISVSVN" 4
cp "$T/b.aad" "$T/b.t" && flip_byte "$T/b.t" 8
# An unknown CPUSVN is "beyond the platform" for EGETKEY: INVALID_CPUSVN passes through.
expect_err 5 "tampered CPUSVN (byte 8): unknown TCB (exit 5)" 'does not know' -- unseal "${P[@]}" --enclave "$T/agent.sig" --in "$T/b.t" --out "$T/k.x"
tamper "attribute mask" 24
tamper "KEYID" 40
tamper "misc mask" 75
tamper "tag" 544
tamper "ciphertext, first byte" 560
tamper "ciphertext, last byte" 589
tamper "AAD" 595
check "no plaintext left behind by the tampered blobs" [ ! -e "$T/k.x" ]
cp "$T/b.aad" "$T/b.t" && set_byte "$T/b.t" 520 1
expect_err 4 "reserved byte 520 set (exit 4)" 'authentication failed' -- unseal "${P[@]}" --enclave "$T/agent.sig" --in "$T/b.t" --out "$T/k.x"
cp "$T/b.aad" "$T/b.t" && set_byte "$T/b.t" 543 128
expect 4 "reserved byte 543 set (exit 4)" -- unseal "${P[@]}" --enclave "$T/agent.sig" --in "$T/b.t" --out "$T/k.x"
cp "$T/b.aad" "$T/b.t" && set_byte "$T/b.t" 300 1
expect 4 "key request reserved2 byte set (exit 4)" -- unseal "${P[@]}" --enclave "$T/agent.sig" --in "$T/b.t" --out "$T/k.x"
head -c 598 "$T/b.aad" >"$T/b.t"
expect_err 4 "truncated by one byte (exit 4)" 'authentication failed' -- unseal "${P[@]}" --enclave "$T/agent.sig" --in "$T/b.t" --out "$T/k.x"
head -c 100 "$T/b.aad" >"$T/b.t"
expect 4 "truncated to 100 bytes (exit 4)" -- unseal "${P[@]}" --enclave "$T/agent.sig" --in "$T/b.t" --out "$T/k.x"
: >"$T/b.t"
expect 4 "empty blob (exit 4)" -- unseal "${P[@]}" --enclave "$T/agent.sig" --in "$T/b.t" --out "$T/k.x"
{ cat "$T/b.aad"; printf 'x'; } >"$T/b.t"
expect 4 "blob with one byte appended (exit 4)" -- unseal "${P[@]}" --enclave "$T/agent.sig" --in "$T/b.t" --out "$T/k.x"
cp "$T/b.aad" "$T/b.t" && set_byte "$T/b.t" 528 10
expect 4 "payload_size changed (exit 4)" -- unseal "${P[@]}" --enclave "$T/agent.sig" --in "$T/b.t" --out "$T/k.x"
check "no plaintext left behind by the damaged blobs" [ ! -e "$T/k.x" ]

# ---- other platforms ----
"$FUSEKEY" sim init --sim-dir "$T/sim2" >/dev/null 2>&1
expect 4 "another emulated platform (other roots) cannot unseal" -- unseal --platform sim --sim-dir "$T/sim2" --enclave "$T/agent.sig" --in "$T/b.default" --out "$T/k.x"
"$FUSEKEY" sim init --mode sdk-compat --sim-dir "$T/simc" >/dev/null 2>&1
expect 0 "seal in sdk-compat mode" -- seal --platform sim --sim-dir "$T/simc" --enclave "$T/agent.sig" --in "$T/key16" --out "$T/b.compat"
check "sdk-compat: the banner names the mode" grep -q 'sdk-compat' "$ERR"
expect 4 "a secure-mode platform refuses an SDK-constant blob" -- unseal "${P[@]}" --enclave "$T/agent.sig" --in "$T/b.compat" --out "$T/k.x"
expect 0 "sdk-compat unseals its own blob" -- unseal --platform sim --sim-dir "$T/simc" --enclave "$T/agent.sig" --in "$T/b.compat" --stdout
check "sdk-compat round trip" cmp -s "$T/key16" "$OUT"

# ---- TCB (CPUSVN) and enclave version (ISVSVN) ----
"$FUSEKEY" sim cpusvn DOWNGRADED --sim-dir "$S" >/dev/null 2>&1
expect_err 5 "blob sealed at DEFAULT, platform DOWNGRADED: exit 5" 'CPUSVN' -- unseal "${P[@]}" --enclave "$T/agent.sig" --in "$T/b.default" --out "$T/k.x"
expect 0 "seal at DOWNGRADED" -- seal "${P[@]}" --enclave "$T/agent.sig" --in "$T/key16" --out "$T/b.down"
"$FUSEKEY" sim cpusvn UPGRADED --sim-dir "$S" >/dev/null 2>&1
expect 0 "after an upgrade, the DEFAULT blob unseals" -- unseal "${P[@]}" --enclave "$T/agent.sig" --in "$T/b.default" --out "$T/k.up"
expect 0 "after an upgrade, the DOWNGRADED blob unseals" -- unseal "${P[@]}" --enclave "$T/agent.sig" --in "$T/b.down" --out "$T/k.down"
expect 0 "seal at UPGRADED" -- seal "${P[@]}" --enclave "$T/agent.sig" --in "$T/key16" --out "$T/b.upg"
"$FUSEKEY" sim cpusvn DEFAULT --sim-dir "$S" >/dev/null 2>&1
expect_err 5 "blob sealed at UPGRADED, platform back at DEFAULT: exit 5" 'newer platform TCB' -- unseal "${P[@]}" --enclave "$T/agent.sig" --in "$T/b.upg" --out "$T/k.x"
expect 0 "back at DEFAULT, the DEFAULT blob unseals again" -- unseal "${P[@]}" --enclave "$T/agent.sig" --in "$T/b.default" --out "$T/k.default2"
expect 0 "an SVN-upgraded enclave (svn 2) unseals an svn-1 blob" -- unseal "${P[@]}" --enclave "$T/v2.sig" --in "$T/b.default" --out "$T/k.v2"
check "SVN upgrade: plaintext identical" cmp -s "$T/key16" "$T/k.v2"
expect 0 "seal as svn 2" -- seal "${P[@]}" --enclave "$T/v2.sig" --in "$T/key16" --out "$T/b.v2"
expect_err 5 "an older enclave (svn 1) cannot unseal an svn-2 blob: exit 5" 'ISVSVN 2' -- unseal "${P[@]}" --enclave "$T/agent.sig" --in "$T/b.v2" --out "$T/k.x"

# ---- KSS ----
expect_err 10 "KSS policy on a non-KSS enclave (exit 10)" 'needs a KSS enclave' -- seal "${P[@]}" --enclave "$T/agent.sig" --in "$T/key16" --out "$T/b.x" --policy mrsigner,kss
expect 10 "configid policy on a non-KSS enclave (exit 10)" -- seal "${P[@]}" --enclave "$T/agent.sig" --in "$T/key16" --out "$T/b.x" --policy mrsigner,configid
expect 10 "noisvprodid on a non-KSS enclave (exit 10)" -- seal "${P[@]}" --enclave "$T/agent.sig" --in "$T/key16" --out "$T/b.x" --policy mrsigner,noisvprodid
expect_err 10 "--config-id on a non-KSS enclave (exit 10)" 'KSS' -- seal "${P[@]}" --enclave "$T/agent.sig" --config-id "$(repeat_hex 11 64)" --in "$T/key16" --out "$T/b.x"
expect 10 "--config-svn on a non-KSS enclave (exit 10)" -- unseal "${P[@]}" --enclave "$T/agent.sig" --config-svn 1 --in "$T/b.default" --out "$T/k.x"
check "no blob written by the refused seals" [ ! -e "$T/b.x" ]
CID1=$(repeat_hex 11 64)
CID2=$(repeat_hex 22 64)
expect 0 "KSS enclave seals with --policy mrenclave,configid" -- seal "${P[@]}" --enclave "$T/kss.sig" --config-id "$CID1" --in "$T/key16" --out "$T/b.kss" --policy mrenclave,configid
expect 0 "same CONFIGID unseals" -- unseal "${P[@]}" --enclave "$T/kss.sig" --config-id "$CID1" --in "$T/b.kss" --out "$T/k.kss"
check "KSS round trip" cmp -s "$T/key16" "$T/k.kss"
expect 4 "another CONFIGID cannot unseal under the configid policy" -- unseal "${P[@]}" --enclave "$T/kss.sig" --config-id "$CID2" --in "$T/b.kss" --out "$T/k.x"
FUSEKEY_CONFIG_ID=$CID1 FUSEKEY_CONFIG_SVN=3 fk seal "${P[@]}" --enclave "$T/kss.sig" --in "$T/key16" --out "$T/b.kss3" --policy mrenclave,configid
check "CONFIGID/CONFIGSVN from the environment" [ "$RC" = 0 ]
expect_err 5 "a lower CONFIGSVN cannot unseal (exit 5)" 'CONFIGSVN 3' -- unseal "${P[@]}" --enclave "$T/kss.sig" --config-id "$CID1" --config-svn 2 --in "$T/b.kss3" --out "$T/k.x"

# ---- refused parameters and usage ----
expect_err 10 "--attr-mask dropping DEBUG is refused (exit 10)" 'DEBUG' -- seal "${P[@]}" --enclave "$T/agent.sig" --in "$T/key16" --out "$T/b.x" --attr-mask 0xff00000000000009
expect_err 10 "a policy without mrenclave/mrsigner is refused (exit 10)" 'mrenclave or mrsigner' -- seal "${P[@]}" --enclave "$T/agent.sig" --in "$T/key16" --out "$T/b.x" --policy noisvprodid
expect_err 2 "unknown policy word (exit 2)" "unknown word 'mrsingner'" -- seal "${P[@]}" --enclave "$T/agent.sig" --in "$T/key16" --out "$T/b.x" --policy mrsingner
expect_err 2 "--attr-mask with 17 digits (exit 2)" 'attr-mask' -- seal "${P[@]}" --enclave "$T/agent.sig" --in "$T/key16" --out "$T/b.x" --attr-mask 0x1ff0000000000000b
expect_err 2 "--misc-mask above 32 bits (exit 2)" 'misc-mask' -- seal "${P[@]}" --enclave "$T/agent.sig" --in "$T/key16" --out "$T/b.x" --misc-mask 1ffffffff
expect 0 "custom masks that keep INITTED and DEBUG are accepted" -- seal "${P[@]}" --enclave "$T/agent.sig" --in "$T/key16" --out "$T/b.masks" --attr-mask 0x7 --misc-mask 0
expect 0 "custom masks: unseal" -- unseal "${P[@]}" --enclave "$T/agent.sig" --in "$T/b.masks" --stdout
check "custom masks round trip" cmp -s "$T/key16" "$OUT"
expect_err 3 "seal without --platform (exit 3)" 'no SGX platform' -- seal --sim-dir "$S" --enclave "$T/agent.sig" --in "$T/key16" --out "$T/b.x"
expect_err 3 "unseal without --platform (exit 3)" '--platform sim' -- unseal --sim-dir "$S" --enclave "$T/agent.sig" --in "$T/b.default" --stdout
check "exit 3 writes nothing to stdout" [ ! -s "$OUT" ]
expect_err 7 "seal on an uninitialised sim dir (exit 7)" 'sim init' -- seal --platform sim --sim-dir "$T/nosim" --enclave "$T/agent.sig" --in "$T/key16" --out "$T/b.x"
expect_err 2 "seal without --enclave (exit 2)" '--enclave' -- seal "${P[@]}" --in "$T/key16" --out "$T/b.x"
FUSEKEY_ENCLAVE=$T/agent.sig fk unseal "${P[@]}" --in "$T/b.default" --stdout
check "FUSEKEY_ENCLAVE selects the enclave" cmp -s "$T/key16" "$OUT"
expect_err 7 "missing enclave file (exit 7)" 'not found' -- seal "${P[@]}" --enclave "$T/none.sig" --in "$T/key16" --out "$T/b.x"
head -c 1000 "$T/agent.sig" >"$T/short.sig"
expect_err 6 "enclave file of the wrong size (exit 6)" '1808' -- seal "${P[@]}" --enclave "$T/short.sig" --in "$T/key16" --out "$T/b.x"
cp "$T/agent.sig" "$T/forged.sig" && set_byte "$T/forged.sig" 1026 9
expect_err 6 "forged SIGSTRUCT (ISVSVN edited) refused by EINIT (exit 6)" 'EINIT' -- unseal "${P[@]}" --enclave "$T/forged.sig" --in "$T/b.v2" --out "$T/k.x"
expect_err 7 "missing seal input (exit 7)" 'not found' -- seal "${P[@]}" --enclave "$T/agent.sig" --in "$T/none" --out "$T/b.x"
: >"$T/empty.in"
expect_err 6 "empty seal input (exit 6)" 'empty' -- seal "${P[@]}" --enclave "$T/agent.sig" --in "$T/empty.in" --out "$T/b.x"
head -c $((1024 * 1024 + 1)) /dev/zero >"$T/big.in"
expect_err 6 "seal input over 1 MiB (exit 6)" 'limit' -- seal "${P[@]}" --enclave "$T/agent.sig" --in "$T/big.in" --out "$T/b.x"
head -c $((1024 * 1024)) /dev/zero >"$T/max.in"
expect 0 "seal input of exactly 1 MiB" -- seal "${P[@]}" --enclave "$T/agent.sig" --in "$T/max.in" --out "$T/b.max"
expect 0 "unseal the 1 MiB blob" -- unseal "${P[@]}" --enclave "$T/agent.sig" --in "$T/b.max" --out "$T/k.max"
check "1 MiB round trip" cmp -s "$T/max.in" "$T/k.max"
cp "$T/b.default" "$T/b.keep"
expect_err 8 "seal refuses to overwrite (exit 8)" 'use --force' -- seal "${P[@]}" --enclave "$T/agent.sig" --in "$T/key16" --out "$T/b.default"
check "the refused seal left the old blob" cmp -s "$T/b.default" "$T/b.keep"
expect 0 "seal --force replaces" -- seal "${P[@]}" --enclave "$T/agent.sig" --in "$T/key16" --out "$T/b.default" --force
check "--force wrote a new blob (fresh KEYID)" sh -c '[ "$(stat -c %s "$1")" = 576 ] && ! cmp -s "$1" "$2"' _ "$T/b.default" "$T/b.keep"
expect_err 8 "unseal refuses to overwrite --out (exit 8)" 'use --force' -- unseal "${P[@]}" --enclave "$T/agent.sig" --in "$T/b.default" --out "$T/k.same"
expect 0 "unseal --force replaces --out" -- unseal "${P[@]}" --enclave "$T/agent.sig" --in "$T/b.default" --out "$T/k.same" --force
ln -s "$T/k.same" "$T/link.out"
expect 6 "unseal never writes through a symlink" -- unseal "${P[@]}" --enclave "$T/agent.sig" --in "$T/b.default" --out "$T/link.out" --force

finish
