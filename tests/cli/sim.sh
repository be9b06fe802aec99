#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# fusekey sim: init, cpusvn, keygen, sign, show; platform selection errors.
source "$(dirname "$0")/lib.sh" "$@"

MRE=$(repeat_hex a1 32)

# ---- sim init ----
expect 0 "sim init (secure, default)" -- sim init --sim-dir "$T/s1"
check "init prints the EMULATED banner on stderr" grep -q 'EMULATED SGX platform' "$ERR"
check "state dir is 0700" [ "$(mode_of "$T/s1")" = 700 ]
check "platform.conf is 0600" [ "$(mode_of "$T/s1/platform.conf")" = 600 ]
check "roots.bin is 0600" [ "$(mode_of "$T/s1/roots.bin")" = 600 ]
cp "$T/s1/roots.bin" "$T/roots.before"
expect_err 8 "re-init without --force is refused (exit 8)" 'use --force' -- sim init --sim-dir "$T/s1"
check "refused re-init keeps the roots" cmp -s "$T/s1/roots.bin" "$T/roots.before"
expect 0 "re-init with --force" -- sim init --sim-dir "$T/s1" --force
check "--force replaced the roots" sh -c '[ -s "$1/s1/roots.bin" ] && ! cmp -s "$1/s1/roots.bin" "$1/roots.before"' _ "$T"

expect 0 "sim init --mode sdk-compat" -- sim init --mode sdk-compat --sim-dir "$T/s2"
check "sdk-compat warns that the roots are public" grep -q 'public' "$ERR"
check "sdk-compat writes no roots.bin" [ ! -e "$T/s2/roots.bin" ]
check "sdk-compat dir is 0700" [ "$(mode_of "$T/s2")" = 700 ]
expect 0 "sim init --cpusvn UPGRADED" -- sim init --cpusvn UPGRADED --sim-dir "$T/s3"
expect_err 2 "sim init --mode bogus is a usage error" 'mode' -- sim init --mode bogus --sim-dir "$T/s4"
expect_err 2 "sim init --cpusvn bogus is a usage error" 'cpusvn' -- sim init --cpusvn HIGH --sim-dir "$T/s4"
check "a refused init creates nothing" [ ! -e "$T/s4" ]

# ---- sim show / platform selection ----
# No Gramine or Occlum here (the tests point auto-detection at empty paths, so
# that the machine's own /dev cannot change the outcome).
NOLIBOS=(--gramine-dir "$T/no-gramine" --occlum-device "$T/no-sgx")
expect_err 3 "sim show without --platform: auto finds nothing, exit 3" 'platform sim' -- sim show --sim-dir "$T/s1" "${NOLIBOS[@]}"
check "... never the emulated platform implicitly (no banner, nothing on stdout)" sh -c '! grep -q "^fusekey: EMULATED SGX platform" "$1" && [ ! -s "$2" ]' _ "$ERR" "$OUT"
check "... says what auto-detection tried, and why it failed" sh -c 'grep -q "gramine: .*no-gramine/my_target_info" "$1" && grep -q "occlum: .*no-sgx" "$1"' _ "$ERR"
expect_err 2 "an unknown platform name is a usage error (exit 2)" "unknown platform 'sgx'" -- sim show --platform sgx --sim-dir "$T/s1"
check "... naming the choices" grep -q 'auto (the default: Gramine, then Occlum), gramine, occlum, or sim' "$ERR"
expect_err 3 "--platform gramine without Gramine (exit 3)" 'no SGX platform' -- sim show --platform gramine --sim-dir "$T/s1" "${NOLIBOS[@]}"
expect 0 "sim show --platform sim" -- sim show --platform sim --sim-dir "$T/s1"
check "sim show: EMULATED banner on stderr" grep -q 'fusekey: EMULATED SGX platform' "$ERR"
check "sim show: mode named on stderr" grep -q 'mode: secure' "$ERR"
check "sim show: platform line" grep -q '^platform: EMULATED SGX' "$OUT"
check "sim show: what was selected and why" sh -c 'grep -q "^requested: sim (--platform)$" "$1" && grep -q "^  sim: selected explicitly; auto-detection never chooses the emulated platform$" "$1"' _ "$OUT"
check "sim show: CPUSVN name and hex" grep -q '^cpusvn: DEFAULT 4820f3376ae6b2f2034d3b7a4b48a778$' "$OUT"
# roots.bin = 8-byte magic, then five 16-byte root keys, owner epoch, report KEYID.
no_roots_in() { # no_roots_in FILE...: no root key (as hex) appears in the files
	local off hex
	for off in 8 24 40 56 72 88; do
		hex=$(od -An -tx1 -j "$off" -N16 "$T/s1/roots.bin" | tr -d ' \n')
		[ ${#hex} = 32 ] || return 1
		! grep -qi "$hex" "$@" || return 1
	done
}
check "sim show prints no root key material" no_roots_in "$OUT" "$ERR"
mkdir -p "$T/fake-gramine" && head -c 512 /dev/zero >"$T/fake-gramine/my_target_info"
expect 0 "sim show, auto, Gramine's files there: shows the detected platform" -- sim show --sim-dir "$T/s1" --gramine-dir "$T/fake-gramine"
check "... gramine, detected and why, the emulator not in use" sh -c 'grep -q "^platform: gramine (not the emulated platform)$" "$1" && grep -q "^  gramine: .*fake-gramine/my_target_info" "$1" && grep -q "^emulated platform: not in use" "$1"' _ "$OUT"
check "... and no EMULATED banner" sh -c '! grep -q EMULATED "$1"' _ "$ERR"
FUSEKEY_PLATFORM=sim FUSEKEY_SIM_DIR=$T/s3 fk sim show
check "FUSEKEY_PLATFORM/FUSEKEY_SIM_DIR from the environment" grep -q '^cpusvn: UPGRADED' "$OUT"
expect_err 7 "uninitialised state dir: exit 7, says run sim init" 'fusekey sim init' -- sim show --platform sim --sim-dir "$T/nothing"
mkdir -p "$T/empty" && chmod 700 "$T/empty"
expect_err 7 "empty state dir: exit 7" 'sim init' -- sim show --platform sim --sim-dir "$T/empty"
chmod 755 "$T/s3"
expect_err 9 "state dir open to others is refused (exit 9)" '0700' -- sim show --platform sim --sim-dir "$T/s3"
chmod 700 "$T/s3"
chmod 644 "$T/s1/roots.bin"
expect 9 "roots.bin readable by others is refused (exit 9)" -- sim show --platform sim --sim-dir "$T/s1"
chmod 600 "$T/s1/roots.bin"

# ---- sim cpusvn ----
expect 0 "sim cpusvn DOWNGRADED" -- sim cpusvn DOWNGRADED --sim-dir "$T/s1"
check "sim cpusvn reports old -> new" grep -q 'DEFAULT -> DOWNGRADED' "$OUT"
expect 0 "sim show after cpusvn" -- sim show --platform sim --sim-dir "$T/s1"
check "the CPUSVN change is persistent" grep -q '^cpusvn: DOWNGRADED 64ea4f3fa0030c36383c322d4f3a8d4f$' "$OUT"
expect 0 "sim cpusvn back to DEFAULT" -- sim cpusvn DEFAULT --sim-dir "$T/s1"
expect_err 7 "sim cpusvn on an uninitialised dir: exit 7" 'sim init' -- sim cpusvn UPGRADED --sim-dir "$T/nothing"
expect_err 2 "sim cpusvn with a bad name" 'CPUSVN' -- sim cpusvn MAX --sim-dir "$T/s1"
expect_err 2 "sim cpusvn without a name" 'CPUSVN' -- sim cpusvn --sim-dir "$T/s1"

# ---- sim keygen ----
expect 0 "sim keygen" -- sim keygen --out "$T/signer.pem"
check "signing key is 0600" [ "$(mode_of "$T/signer.pem")" = 600 ]
check "signing key is a PEM private key" grep -q 'BEGIN PRIVATE KEY' "$T/signer.pem"
check "keygen prints MRSIGNER" grep -Eq '^mr_signer: [0-9a-f]{64}$' "$OUT"
KEYGEN_MRSIGNER=$(sed -n 's/^mr_signer: //p' "$OUT")
cp "$T/signer.pem" "$T/signer.before"
expect_err 8 "keygen never overwrites (exit 8)" 'already exists' -- sim keygen --out "$T/signer.pem"
check "the existing key is untouched" cmp -s "$T/signer.pem" "$T/signer.before"
expect_err 2 "keygen without --out" '--out' -- sim keygen

# ---- sim sign ----
expect 0 "sim sign --mrenclave" -- sim sign --key "$T/signer.pem" --mrenclave "$MRE" --prodid 7 --svn 3 --out "$T/e1.sig"
check "SIGSTRUCT is 1808 bytes" [ "$(size_of "$T/e1.sig")" = 1808 ]
check "sign prints MRENCLAVE" grep -q "mr_enclave: $MRE" "$OUT"
check "sign's MRSIGNER equals keygen's" grep -q "mr_signer: $KEYGEN_MRSIGNER" "$OUT"
expect_err 8 "sign refuses to overwrite (exit 8)" 'use --force' -- sim sign --key "$T/signer.pem" --mrenclave "$MRE" --out "$T/e1.sig"
expect 0 "sign --force replaces" -- sim sign --key "$T/signer.pem" --mrenclave "$MRE" --prodid 7 --svn 3 --out "$T/e1.sig" --force
printf 'enclave code' >"$T/code.bin"
printf ' and data' >"$T/data.bin"
WANT=$(cat "$T/code.bin" "$T/data.bin" | sha256sum | cut -c1-64)
expect 0 "sim sign --measure two files" -- sim sign --key "$T/signer.pem" --measure "$T/code.bin" --measure "$T/data.bin" --out "$T/e2.sig"
check "--measure: MRENCLAVE = SHA-256 of the files concatenated in order" grep -q "mr_enclave: $WANT" "$OUT"
expect 0 "sim sign --measure in the other order" -- sim sign --key "$T/signer.pem" --measure "$T/data.bin" --measure "$T/code.bin" --out "$T/e3.sig"
check "--measure: order matters" sh -c 'grep -Eq "mr_enclave: [0-9a-f]{64}" "$2" && ! grep -q "mr_enclave: $1" "$2"' _ "$WANT" "$OUT"
expect 0 "sim sign --debug --kss with family and ext prod ids" -- sim sign --key "$T/signer.pem" --mrenclave "$MRE" --debug --kss \
	--family-id "$(repeat_hex 0f 16)" --ext-prodid "$(repeat_hex e0 16)" --misc-select 0x1 --date 20250131 --out "$T/e4.sig"
check "DEBUG and KSS attributes shown" grep -q 'attributes.flags: 0x0000000000000087 (INITTED|DEBUG|MODE64BIT|KSS)' "$OUT"
expect 0 "sim show --enclave" -- sim show --platform sim --sim-dir "$T/s1" --enclave "$T/e4.sig"
check "show: family id" grep -q "isv_family_id: $(repeat_hex 0f 16)" "$OUT"
check "show: ext prod id" grep -q "isv_ext_prod_id: $(repeat_hex e0 16)" "$OUT"
check "show: misc select" grep -q 'misc_select: 0x00000001' "$OUT"
expect 0 "sim show --json --enclave with --config-id/--config-svn (KSS)" -- sim show --platform sim --sim-dir "$T/s1" --enclave "$T/e4.sig" \
	--config-id "$(repeat_hex 5c 64)" --config-svn 9 --json
cp "$OUT" "$T/show.json"
check "show --json parses" json_ok "$T/show.json"
check "show --json: platform emulated" json_is "$T/show.json" platform.emulated true
check "show --json: mode" json_is "$T/show.json" platform.mode secure
check "show --json: cpusvn" json_is "$T/show.json" platform.cpusvn.name DEFAULT
check "show --json: mr_enclave" json_is "$T/show.json" enclave.mr_enclave "$MRE"
check "show --json: mr_signer" json_is "$T/show.json" enclave.mr_signer "$KEYGEN_MRSIGNER"
check "show --json: debug" json_is "$T/show.json" enclave.debug true
check "show --json: config_id" json_is "$T/show.json" enclave.config_id "$(repeat_hex 5c 64)"
check "show --json: config_svn" json_is "$T/show.json" enclave.config_svn 9
check "show --json: attribute names" json_is "$T/show.json" enclave.attributes.flag_names '["INITTED", "DEBUG", "MODE64BIT", "KSS"]'
check "show --json: selection" sh -c 'python3 -c "
import json,sys; s=json.load(open(sys.argv[1]))[\"selection\"]
assert s[\"requested\"]==\"sim\" and s[\"requested_by\"]==\"--platform\" and s[\"chosen\"]==\"sim\"
assert len(s[\"why\"])==1 and s[\"why\"][0].startswith(\"sim: selected explicitly\")" "$1"' _ "$T/show.json"
expect 0 "sim show --json without enclave" -- sim show --platform sim --sim-dir "$T/s2" --json
cp "$OUT" "$T/show2.json"
check "show --json (sdk-compat): parses, mode, no enclave" sh -c 'python3 -c "
import json,sys; d=json.load(open(sys.argv[1]))
assert d[\"platform\"][\"mode\"]==\"sdk-compat\" and d[\"enclave\"] is None" "$1"' _ "$T/show2.json"

# ---- option and value errors ----
expect_err 2 "sign: --mrenclave with 63 hex digits" '64 hex' -- sim sign --key "$T/signer.pem" --mrenclave "${MRE:1}" --out "$T/x.sig"
expect_err 2 "sign: --mrenclave with a non-hex digit" '64 hex' -- sim sign --key "$T/signer.pem" --mrenclave "${MRE:1}g" --out "$T/x.sig"
expect_err 2 "sign: --svn 65536 out of range" '0..65535' -- sim sign --key "$T/signer.pem" --mrenclave "$MRE" --svn 65536 --out "$T/x.sig"
expect_err 2 "sign: --prodid -1 refused" '0..65535' -- sim sign --key "$T/signer.pem" --mrenclave "$MRE" --prodid -1 --out "$T/x.sig"
expect_err 2 "sign: --svn 1x refused" '0..65535' -- sim sign --key "$T/signer.pem" --mrenclave "$MRE" --svn 1x --out "$T/x.sig"
expect_err 2 "sign: --svn ' 1' refused" '0..65535' -- sim sign --key "$T/signer.pem" --mrenclave "$MRE" --svn ' 1' --out "$T/x.sig"
expect_err 2 "sign: both --mrenclave and --measure" 'exactly one' -- sim sign --key "$T/signer.pem" --mrenclave "$MRE" --measure "$T/code.bin" --out "$T/x.sig"
expect_err 2 "sign: --family-id of 15 bytes" '32 hex' -- sim sign --key "$T/signer.pem" --mrenclave "$MRE" --family-id "$(repeat_hex 00 15)" --out "$T/x.sig"
expect_err 2 "sign: --date 20251341" 'date' -- sim sign --key "$T/signer.pem" --mrenclave "$MRE" --date 20251341 --out "$T/x.sig"
expect_err 2 "sign: option given twice" 'twice' -- sim sign --key "$T/signer.pem" --mrenclave "$MRE" --svn 1 --svn 2 --out "$T/x.sig"
expect_err 7 "sign: missing key file (exit 7)" 'not found' -- sim sign --key "$T/nokey.pem" --mrenclave "$MRE" --out "$T/x.sig"
printf 'not a key\n' >"$T/bad.pem"
expect_err 6 "sign: a key file that is not a key (exit 6)" 'RSA-3072' -- sim sign --key "$T/bad.pem" --mrenclave "$MRE" --out "$T/x.sig"
expect_err 7 "sign: missing --measure file (exit 7)" 'not found' -- sim sign --key "$T/signer.pem" --measure "$T/none.bin" --out "$T/x.sig"
check "no SIGSTRUCT was written by the refused signs" [ ! -e "$T/x.sig" ]
expect_err 2 "unknown option" "unknown option '--bogus'" -- sim show --bogus
expect_err 2 "abbreviated options are not accepted" "unknown option '--plat'" -- sim show --plat sim
expect_err 2 "a forgotten option value is not taken from the next option" "needs a value" -- sim keygen --out --force
check "no file named --force was created" [ ! -e "$T/--force" ]
expect_err 2 "an option needing a value at the end" "needs a value" -- sim keygen --out
expect_err 2 "a flag given a value" "takes no value" -- sim show --json=yes
expect_err 2 "short options other than -h are unknown" "unknown option '-j'" -- sim show -j
expect_err 2 "a stray positional argument" "unexpected argument" -- sim show extra
expect_err 2 "unknown sim subcommand" 'unknown subcommand' -- sim frobnicate
expect_err 2 "unknown command" 'unknown command' -- frobnicate
expect 2 "no command at all" --
expect_err 2 "show: --config-id of wrong length" '128 hex' -- sim show --platform sim --sim-dir "$T/s1" --enclave "$T/e4.sig" --config-id abcd
expect_err 2 "show: --config-svn out of range" '0..65535' -- sim show --platform sim --sim-dir "$T/s1" --enclave "$T/e4.sig" --config-svn 70000

finish
