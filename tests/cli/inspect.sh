#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# fusekey inspect: every artifact type, readable and JSON, with the emulation line.
source "$(dirname "$0")/lib.sh" "$@"

S=$T/sim
MRE=$(repeat_hex a1 32)
DEFAULT_CPUSVN=4820f3376ae6b2f2034d3b7a4b48a778
setup_ok=true
"$FUSEKEY" sim init --sim-dir "$S" >/dev/null 2>&1 || setup_ok=false
"$FUSEKEY" sim keygen --out "$T/k.pem" >"$T/keygen.out" 2>&1 || setup_ok=false
MRSIGNER=$(sed -n 's/^mr_signer: //p' "$T/keygen.out")
"$FUSEKEY" sim sign --key "$T/k.pem" --mrenclave "$MRE" --prodid 4 --svn 5 --debug --out "$T/e.sig" >/dev/null 2>&1 || setup_ok=false
printf 'SECRETSECRETSECRET' >"$T/pt"
"$FUSEKEY" seal --platform sim --sim-dir "$S" --enclave "$T/e.sig" --in "$T/pt" --aad-hex 41414141 --out "$T/blob" >/dev/null 2>&1 || setup_ok=false
check "setup: platform, key, enclave, blob" $setup_ok

# ---- sealed blob ----
expect 0 "inspect a sealed blob" -- inspect "$T/blob"
check "sealed: type detected" grep -q '^type: sealed$' "$OUT"
check "sealed: emulation line (CPUSVN marker)" grep -q "^platform: EMULATED SGX (CPUSVN is the emulator's DEFAULT value)$" "$OUT"
check "sealed: key name" grep -q '^key_request.key_name_str: SEAL$' "$OUT"
check "sealed: policy name" grep -q '^key_request.key_policy_names: MRSIGNER$' "$OUT"
check "sealed: ISVSVN of the sealer" grep -q '^key_request.isv_svn: 5$' "$OUT"
check "sealed: attribute mask names" grep -q '^key_request.attribute_mask.flag_names: INITTED|DEBUG|' "$OUT"
check "sealed: lengths" sh -c 'grep -q "^encrypted_length: 18$" "$1" && grep -q "^aad_length: 4$" "$1" && grep -q "^payload_size: 22$" "$1"' _ "$OUT"
check "sealed: reserved bytes zero" grep -q '^reserved_zero: yes$' "$OUT"
check "sealed: length consistent" grep -q '^length_consistent: yes$' "$OUT"
check "sealed: tag shown" grep -Eq '^tag: [0-9a-f]{32}$' "$OUT"
check "sealed: AAD (public) shown" grep -q '^aad: 41414141$' "$OUT"
PT_HEX=$(od -An -tx1 "$T/pt" | tr -d ' \n')
check "sealed: no plaintext in the output" sh -c '! grep -q -e SECRET -e "$1" "$2"' _ "$PT_HEX" "$OUT"
expect 0 "inspect a sealed blob --json" -- inspect "$T/blob" --json
cp "$OUT" "$T/sealed.json"
check "sealed --json parses" json_ok "$T/sealed.json"
check "sealed --json: emulated true" json_is "$T/sealed.json" emulated true
check "sealed --json: emulation_note" json_is "$T/sealed.json" emulation_note "EMULATED SGX (CPUSVN is the emulator's DEFAULT value)"
check "sealed --json: type" json_is "$T/sealed.json" type sealed
check "sealed --json: policy" json_is "$T/sealed.json" key_request.key_policy 0x0002
check "sealed --json: cpusvn" json_is "$T/sealed.json" key_request.cpu_svn.hex "$DEFAULT_CPUSVN"
check "sealed --json: length consistent" json_is "$T/sealed.json" length_consistent true
cp "$T/blob" "$T/blob.r" && set_byte "$T/blob.r" 520 7
expect 0 "inspect a blob with a reserved byte set" -- inspect "$T/blob.r"
check "reserved byte set: reserved_zero: no" grep -q '^reserved_zero: no$' "$OUT"
head -c 580 "$T/blob" >"$T/blob.short"
expect_err 6 "a truncated blob is not auto-detected (exit 6)" '--type' -- inspect "$T/blob.short"
expect 0 "--type sealed on a truncated blob" -- inspect "$T/blob.short" --type sealed
check "truncated: length consistent: no" grep -q '^length_consistent: no$' "$OUT"
check "truncated: AAD not shown" sh -c '! grep -q "^aad: 41414141" "$1"' _ "$OUT"

# ---- key request (the first 512 bytes of a blob) ----
head -c 512 "$T/blob" >"$T/keyreq"
expect 0 "inspect a key request" -- inspect "$T/keyreq"
check "keyrequest: type detected" grep -q '^type: keyrequest$' "$OUT"
check "keyrequest: emulation line" grep -q '^platform: EMULATED SGX (CPUSVN' "$OUT"
check "keyrequest: key name and policy" sh -c 'grep -q "^key_name_str: SEAL$" "$1" && grep -q "^key_policy_names: MRSIGNER$" "$1"' _ "$OUT"
expect 0 "inspect a key request --json" -- inspect "$T/keyreq" --json
cp "$OUT" "$T/kr.json"
check "keyrequest --json parses, emulated" sh -c 'python3 -c "
import json,sys; d=json.load(open(sys.argv[1]))
assert d[\"type\"]==\"keyrequest\" and d[\"emulated\"] is True and d[\"key_name\"]==4" "$1"' _ "$T/kr.json"

# ---- target info (hand-made: no emulation marker possible) ----
{
	hexbytes "$(repeat_hex b2 32)"
	hexbytes 07000000000000000300000000000000
	zeros $((512 - 48))
} >"$T/ti"
expect 0 "inspect a target info" -- inspect "$T/ti"
check "targetinfo: type detected" grep -q '^type: targetinfo$' "$OUT"
check "targetinfo: no emulation marker" grep -q '^platform: no emulation marker' "$OUT"
check "targetinfo: MRENCLAVE" grep -q "^mr_enclave: $(repeat_hex b2 32)$" "$OUT"
check "targetinfo: attribute names" grep -q '^attributes.flag_names: INITTED|DEBUG|MODE64BIT$' "$OUT"
expect 0 "inspect a target info --json --platform sim" -- inspect "$T/ti" --json --platform sim
cp "$OUT" "$T/ti.json"
check "targetinfo --json parses" json_ok "$T/ti.json"
check "targetinfo --platform sim: emulated" json_is "$T/ti.json" emulated true
check "targetinfo --platform sim: note" json_is "$T/ti.json" emulation_note "EMULATED SGX (--platform sim given)"
expect 0 "inspect a target info --json" -- inspect "$T/ti" --json
cp "$OUT" "$T/ti2.json"
check "targetinfo --json: emulated false" json_is "$T/ti2.json" emulated false
expect 0 "--type keyrequest forces the other 512-byte reading" -- inspect "$T/ti" --type keyrequest
check "forced keyrequest: reserved bytes not zero" grep -q '^reserved_zero: no$' "$OUT"

# ---- reports (hand-made) ----
make_report() { # make_report CPUSVN_HEX KEYID_HEX > file
	hexbytes "$1"                                  # cpu_svn @0
	zeros 32                                       # misc_select, reserved1, ext prod id
	hexbytes 07000000000000000300000000000000      # attributes @48
	hexbytes "$(repeat_hex c3 32)"                 # mr_enclave @64
	zeros 32                                       # reserved2
	hexbytes "$(repeat_hex 51 32)"                 # mr_signer @128
	zeros 96                                       # reserved3, config_id
	hexbytes 02010403                              # isv_prod_id 0x0102 @256, isv_svn 0x0304
	zeros 60                                       # config_svn, reserved4, family id
	hexbytes "$(repeat_hex 99 64)"                 # report_data @320
	hexbytes "$2"                                  # key_id @384
	hexbytes "$(repeat_hex 77 16)"                 # mac @416
}
SIMKEYID=$(repeat_hex ff00 8)$(repeat_hex 00 16)
make_report "$DEFAULT_CPUSVN" "$(repeat_hex 12 32)" >"$T/rep.cpusvn"
make_report "$(repeat_hex 00 16)" "$SIMKEYID" >"$T/rep.keyid"
make_report "$(repeat_hex 00 16)" "$(repeat_hex 12 32)" >"$T/rep.plain"
check "hand-made reports are 432 bytes" [ "$(size_of "$T/rep.cpusvn")" = 432 ]
expect 0 "inspect a report" -- inspect "$T/rep.cpusvn"
check "report: type detected" grep -q '^type: report$' "$OUT"
check "report: emulation line (CPUSVN)" grep -q "^platform: EMULATED SGX (CPUSVN is the emulator's DEFAULT value)$" "$OUT"
check "report: identity fields" sh -c 'grep -q "^isv_prod_id: 258$" "$1" && grep -q "^isv_svn: 772$" "$1" && grep -q "^mr_signer: $2$" "$1"' _ "$OUT" "$(repeat_hex 51 32)"
check "report: report data, key id, mac" sh -c 'grep -q "^report_data: $2" "$1" && grep -q "^key_id: " "$1" && grep -q "^mac: $3$" "$1"' _ "$OUT" "$(repeat_hex 99 64)" "$(repeat_hex 77 16)"
expect 0 "inspect a report with the SDK simulation KEYID" -- inspect "$T/rep.keyid"
check "report: emulation line (KEYID)" grep -q '^platform: EMULATED SGX (KEYID is the SDK simulation report KEYID)$' "$OUT"
expect 0 "inspect a report without markers --json" -- inspect "$T/rep.plain" --json
cp "$OUT" "$T/rep.json"
check "report --json parses" json_ok "$T/rep.json"
check "report --json: not emulated" json_is "$T/rep.json" emulated false
check "report --json: note" sh -c 'python3 -c "
import json,sys; d=json.load(open(sys.argv[1])); assert d[\"emulation_note\"].startswith(\"no emulation marker\")" "$1"' _ "$T/rep.json"
check "report --json: isv_svn" json_is "$T/rep.json" isv_svn 772
expect 0 "inspect a report without markers (readable)" -- inspect "$T/rep.plain"
check "report: 'platform: no emulation marker'" grep -q '^platform: no emulation marker' "$OUT"

# ---- SIGSTRUCT ----
expect 0 "inspect a SIGSTRUCT" -- inspect "$T/e.sig"
check "sigstruct: type detected" grep -q '^type: sigstruct$' "$OUT"
check "sigstruct: no emulation marker" grep -q '^platform: no emulation marker' "$OUT"
check "sigstruct: signature valid: yes" grep -q '^signature_valid: yes$' "$OUT"
check "sigstruct: MRSIGNER = keygen's" grep -q "^mr_signer: $MRSIGNER$" "$OUT"
check "sigstruct: MRENCLAVE" grep -q "^mr_enclave: $MRE$" "$OUT"
check "sigstruct: debug-signed, DEBUG attribute" sh -c 'grep -q "^signing_type: debug-signed$" "$1" && grep -q "^attributes.flag_names: DEBUG|MODE64BIT$" "$1"' _ "$OUT"
check "sigstruct: prod id and svn" sh -c 'grep -q "^isv_prod_id: 4$" "$1" && grep -q "^isv_svn: 5$" "$1"' _ "$OUT"
expect 0 "inspect a SIGSTRUCT --json" -- inspect "$T/e.sig" --json
cp "$OUT" "$T/ss.json"
check "sigstruct --json parses" json_ok "$T/ss.json"
check "sigstruct --json: signature_valid" json_is "$T/ss.json" signature_valid true
check "sigstruct --json: emulated false" json_is "$T/ss.json" emulated false
check "sigstruct --json: mr_signer" json_is "$T/ss.json" mr_signer "$MRSIGNER"
cp "$T/e.sig" "$T/forged.sig" && set_byte "$T/forged.sig" 1024 9
expect 0 "inspect a forged SIGSTRUCT" -- inspect "$T/forged.sig" --platform sim
check "forged: signature valid: no" grep -q '^signature_valid: no$' "$OUT"
check "forged, --platform sim: emulation line" grep -q '^platform: EMULATED SGX (--platform sim given)$' "$OUT"

# ---- types, sizes, errors ----
expect 0 "inspect reads standard input ('-')" -- inspect - <"$T/e.sig"
check "stdin: sigstruct detected" grep -q '^type: sigstruct$' "$OUT"
expect_err 6 "--type report on a 512-byte file (exit 6)" 'exactly 432' -- inspect "$T/ti" --type report
expect_err 2 "unknown --type (exit 2)" 'type' -- inspect "$T/ti" --type quote
head -c 100 /dev/urandom >"$T/junk"
expect_err 6 "an unknown 100-byte file (exit 6)" 'cannot tell' -- inspect "$T/junk"
expect_err 7 "a missing file (exit 7)" 'not found' -- inspect "$T/none"
expect_err 2 "inspect without a file (exit 2)" 'FILE' -- inspect
expect_err 3 "inspect --platform other (exit 3)" 'not available' -- inspect "$T/ti" --platform occlum

finish
