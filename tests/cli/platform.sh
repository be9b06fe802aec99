#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Platform selection (issue 6): `fusekey platform` says what auto-detection
# finds and why, with fake Gramine pseudo-files and a fake Occlum device;
# auto never falls to the emulated platform; explicit names; --json.
source "$(dirname "$0")/lib.sh" "$@"

# skip NAME REASON: a TAP skip.
skip() {
	N=$((N + 1))
	echo "ok $N - $1 # SKIP $2"
}

NOG=$T/no-gramine
NOS=$T/no-sgx
G=$T/gramine # fake /dev/attestation: my_target_info of 512 bytes
mkdir -p "$G" && head -c 512 /dev/urandom >"$G/my_target_info"
mkdir -p "$T/short" && head -c 100 /dev/zero >"$T/short/my_target_info"
: >"$T/sgx-file" # a regular file where /dev/sgx should be: no ioctl answers

# ---- this machine, default paths ----
if [ -e /dev/attestation ] || [ -e /dev/sgx ]; then
	skip "no SGX platform on this machine: exit 3" "this machine has /dev/attestation or /dev/sgx"
	skip "... the error names --platform sim and both defaults" "as above"
else
	(unset FUSEKEY_GRAMINE_DIR FUSEKEY_OCCLUM_DEVICE && "$FUSEKEY" platform >"$OUT" 2>"$ERR")
	RC=$?
	check "no SGX platform on this machine: exit 3" [ "$RC" -eq 3 ]
	check "... the error names --platform sim and both defaults" sh -c 'grep -q "^fusekey: error: no SGX platform detected" "$1" && grep -q -- "--platform sim" "$1" && grep -q "gramine: /dev/attestation/my_target_info" "$1" && grep -q "occlum: /dev/sgx" "$1" && [ ! -s "$2" ]' _ "$ERR" "$OUT"
fi

# ---- nothing there ----
expect_err 3 "auto, nothing there: exit 3, no SGX platform" 'no SGX platform' -- platform --gramine-dir "$NOG" --occlum-device "$NOS"
check "... names --platform sim" grep -q -- '--platform sim' "$ERR"
check "... one line per candidate, in order: gramine, then occlum" sh -c 'sed -n "s/^fusekey:   \([a-z]*\): .*/\1/p" "$1" | tr "\n" " " | grep -qx "gramine occlum "' _ "$ERR"
check "... never the emulated platform (no banner)" sh -c '! grep -q "^fusekey: EMULATED SGX platform" "$1"' _ "$ERR"
expect 3 "auto, nothing there, --json: exit 3" -- platform --gramine-dir "$NOG" --occlum-device "$NOS" --json
cp "$OUT" "$T/none.json"
check "... the JSON parses" json_ok "$T/none.json"
check "... platform null, both candidates with their reasons" sh -c 'python3 -c "
import json,sys; d=json.load(open(sys.argv[1]))
assert d[\"platform\"] is None and d[\"chosen\"] is None and d[\"exit_code\"] == 3 and d[\"emulated\"] is False
assert d[\"requested\"] == \"auto\" and d[\"requested_by\"] == \"default\"
assert [w.split(\":\")[0] for w in d[\"why\"]] == [\"gramine\", \"occlum\"]
assert sys.argv[2] in d[\"why\"][0] and sys.argv[3] in d[\"why\"][1]" "$1" "$2" "$3"' _ "$T/none.json" "$NOG" "$NOS"

# ---- Gramine ----
expect 0 "auto, Gramine's my_target_info answers: gramine (exit 0)" -- platform --gramine-dir "$G" --occlum-device "$NOS"
check "... platform: gramine (auto-detected)" grep -qx 'platform: gramine (auto-detected)' "$OUT"
check "... why: the file it read" grep -q "^  gramine: $G/my_target_info" "$OUT"
check "... Occlum was not tried after Gramine answered" sh -c '! grep -q "occlum" "$1"' _ "$OUT"
expect 0 "--json" -- platform --gramine-dir "$G" --json
cp "$OUT" "$T/g.json"
check "... the JSON parses" json_ok "$T/g.json"
check "... gramine, not emulated, one reason, the directory" sh -c 'python3 -c "
import json,sys; d=json.load(open(sys.argv[1]))
assert d[\"platform\"] == \"gramine\" and d[\"chosen\"] == \"gramine\" and d[\"emulated\"] is False
assert d[\"exit_code\"] == 0 and d[\"gramine_dir\"] == sys.argv[2] and len(d[\"why\"]) == 1
assert d[\"why\"][0].startswith(\"gramine: \")" "$1" "$2"' _ "$T/g.json" "$G"
FUSEKEY_GRAMINE_DIR=$G fk platform
check "FUSEKEY_GRAMINE_DIR selects the directory too" sh -c '[ "$1" -eq 0 ] && grep -qx "platform: gramine (auto-detected)" "$2"' _ "$RC" "$OUT"
expect 3 "a my_target_info of 100 bytes is not Gramine (exit 3)" -- platform --gramine-dir "$T/short" --occlum-device "$NOS"
check "... its line names the file" grep -q "gramine: $T/short/my_target_info" "$ERR"
expect 0 "--platform gramine, Gramine there (exit 0)" -- platform --platform gramine --gramine-dir "$G"
check "... explicitly selected" grep -qx 'platform: gramine (explicitly selected, found)' "$OUT"
check "... requested: gramine (--platform)" grep -qx 'requested: gramine (--platform)' "$OUT"
expect_err 3 "--platform gramine, not there (exit 3)" 'Gramine \(--platform gramine\) is not available' -- platform --platform gramine --gramine-dir "$NOG"
check "... names --platform sim" grep -q -- '--platform sim' "$ERR"

# ---- Occlum ----
expect_err 3 "a regular file as the Occlum device: SELF_TARGET fails (exit 3)" 'no SGX platform' -- platform --gramine-dir "$NOG" --occlum-device "$T/sgx-file"
check "... the occlum line names the device and why" grep -Eq "^fusekey:   occlum: $T/sgx-file: .+" "$ERR"
FUSEKEY_OCCLUM_DEVICE=$T/sgx-file fk platform --gramine-dir "$NOG"
check "FUSEKEY_OCCLUM_DEVICE selects the device too" sh -c '[ "$1" -eq 3 ] && grep -q "occlum: $2" "$3"' _ "$RC" "$T/sgx-file" "$ERR"
expect_err 3 "--platform occlum probes only Occlum, even with Gramine there (exit 3)" 'Occlum \(--platform occlum\) is not available' -- platform --platform occlum --gramine-dir "$G" --occlum-device "$NOS"
check "... no gramine line" sh -c '! grep -q "gramine: " "$1"' _ "$ERR"

# ---- sim: only by name ----
expect 0 "--platform sim (exit 0)" -- platform --platform sim
check "... the EMULATED banner" grep -q '^fusekey: EMULATED SGX platform' "$ERR"
check "... platform: sim, selected explicitly" sh -c 'grep -q "^platform: sim (EMULATED" "$1" && grep -q "^  sim: selected explicitly" "$1"' _ "$OUT"
FUSEKEY_PLATFORM=sim fk platform --json
cp "$OUT" "$T/sim.json"
check "FUSEKEY_PLATFORM=sim --json: sim, emulated, requested by the environment" sh -c '[ "$1" -eq 0 ] && python3 -c "
import json,sys; d=json.load(open(sys.argv[1]))
assert d[\"platform\"] == \"sim\" and d[\"emulated\"] is True and d[\"requested_by\"] == \"FUSEKEY_PLATFORM\"" "$2"' _ "$RC" "$T/sim.json"
FUSEKEY_PLATFORM=sim fk platform --platform auto --gramine-dir "$NOG" --occlum-device "$NOS"
check "--platform auto wins over FUSEKEY_PLATFORM=sim: exit 3, no emulation" sh -c '[ "$1" -eq 3 ] && ! grep -q "^fusekey: EMULATED" "$2"' _ "$RC" "$ERR"
expect_err 2 "an unknown platform name: exit 2" "unknown platform 'sgx'" -- platform --platform sgx
expect_err 2 "platform takes no --enclave" "unknown option '--enclave'" -- platform --enclave x.sig

# ---- enclave commands follow the same selection ----
head -c 16 /dev/urandom >"$T/in"
expect_err 3 "seal, auto, nothing there: exit 3 naming --platform sim" '--platform sim' -- seal --in "$T/in" --out "$T/blob"
check "... no blob, no emulation" sh -c '[ ! -e "$1" ] && ! grep -q "^fusekey: EMULATED" "$2"' _ "$T/blob" "$ERR"
expect_err 3 "seal, auto finds a Gramine it cannot open (fake files): exit 3, never emulation" 'Gramine is there, but opening it as the enclave failed' -- seal --gramine-dir "$G" --in "$T/in" --out "$T/blob"
check "... no blob, no emulation" sh -c '[ ! -e "$1" ] && ! grep -q "^fusekey: EMULATED" "$2"' _ "$T/blob" "$ERR"
expect_err 3 "generate --platform occlum without Occlum: exit 3" 'Occlum \(--platform occlum\) is not available' -- generate --platform occlum --bundle "$T" --container web
expect_err 2 "seal --platform sim still needs --enclave (exit 2)" '--enclave' -- seal --platform sim --in "$T/in" --out "$T/blob"

finish
