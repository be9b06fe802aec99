#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# fusekey inspect: every artifact type, readable and JSON, with the emulation line.
# The SDK vectors (sgx_dh messages) are read before lib.sh moves to the scratch dir.
VEC_DIR=$(cd "$(dirname "$0")/../vectors/sgxsdk-sim" 2>/dev/null && pwd)
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

# ---- local attestation messages (sgx_dh msg1/msg2/msg3 from the SDK vectors) ----
# Messages and the expected values come from tests/vectors/sgxsdk-sim/dh.json
# (dh-002: LAv1, 5-byte additional_prop; dh-006: LAv2, 100 bytes; dh-008: LAv2,
# KSS enclaves); the report_data digests are recomputed here from the public keys.
dh_ok=true
python3 - "$VEC_DIR" "$T" >"$T/dh.env" 2>"$T/dh.err" <<'PY' || dh_ok=false
import hashlib, json, sys
vec, out = sys.argv[1], sys.argv[2]
dh = json.load(open(vec + "/dh.json"))
spec = json.load(open(vec + "/platform.json"))["lav2_proto_spec"]["value"]
tr = {t["id"]: t for t in dh["transcripts"]}
def sh(name, val):
    print("%s='%s'" % (name, val))
for tid, tag in (("dh-002", "V1"), ("dh-006", "V2"), ("dh-008", "KSS")):
    t = tr[tid]
    for m in ("msg1", "msg2", "msg3"):
        open("%s/%s.%s" % (out, tag, m), "wb").write(bytes.fromhex(t["expected"][m]))
    r, i = t["responder"], t["initiator"]
    ga, gb = bytes.fromhex(r["public_key"]), bytes.fromhex(i["public_key"])
    props = t["additional_prop"]
    sh(tag + "_VERSION", t["version"])
    sh(tag + "_R_MRE", r["enclave"]["mr_enclave"])
    sh(tag + "_R_FLAGS", r["enclave"]["attributes"]["flags"])
    sh(tag + "_R_CONFIGSVN", r["enclave"]["config_svn"])
    sh(tag + "_R_CONFIGID", r["enclave"]["config_id"])
    sh(tag + "_I_MRE", i["enclave"]["mr_enclave"])
    sh(tag + "_I_MRSIGNER", i["enclave"]["mr_signer"])
    sh(tag + "_I_PRODID", i["enclave"]["isv_prod_id"])
    sh(tag + "_I_SVN", i["enclave"]["isv_svn"])
    sh(tag + "_I_DEBUG", "true" if int(i["enclave"]["attributes"]["flags"], 16) & 2 else "false")
    sh(tag + "_GA_X", ga[:32].hex())
    sh(tag + "_GA_Y", ga[32:].hex())
    sh(tag + "_GB_X", gb[:32].hex())
    sh(tag + "_PROPLEN", len(props) // 2)
    sh(tag + "_PROPS64", props[:128])
    sh(tag + "_MSG3_SIZE", len(t["expected"]["msg3"]) // 2)
    # what report_data[0..32) binds (sgx.md 8.5): msg2 LAv1 SHA-256(g_a||g_b);
    # msg3 LAv1 SHA-256(g_b||g_a), LAv2 SHA-256(g_a||proto_spec)
    sh(tag + "_M2_RD", hashlib.sha256(ga + gb).hexdigest())
    m3 = ga + bytes.fromhex(spec) if t["version"] == "LAv2" else gb + ga
    sh(tag + "_M3_RD", hashlib.sha256(m3).hexdigest())
    # the spec msg2 carries, compared with platform.json independently of fusekey
    rd = bytes.fromhex(t["expected"]["msg2"])[64 + 320:64 + 384]
    sh(tag + "_M2_SPEC_IS_SDK", "true" if rd.hex() == spec else "false")
PY
check "dh: messages and expected values from the SDK vectors" $dh_ok
# shellcheck disable=SC1091
[ "$dh_ok" = true ] && . "$T/dh.env"
check "dh: vectors are the versions the cases assume" [ "${V1_VERSION:-}/${V2_VERSION:-}/${KSS_VERSION:-}" = LAv1/LAv2/LAv2 ]

for tag in V1 V2 KSS; do
	expect 0 "$tag msg1: auto-detected" -- inspect "$T/$tag.msg1" --json
	cp "$OUT" "$T/$tag.m1.json"
	check "$tag msg1 --json parses (json.tool)" python3 -m json.tool "$T/$tag.m1.json" /dev/null
	check "$tag msg1: type dh-msg1" json_is "$T/$tag.m1.json" type dh-msg1
	r_mre=${tag}_R_MRE r_flags=${tag}_R_FLAGS ga_x=${tag}_GA_X ga_y=${tag}_GA_Y
	check "$tag msg1: target mr_enclave is the responder's" json_is "$T/$tag.m1.json" target.mr_enclave "${!r_mre}"
	check "$tag msg1: target attribute flags are the responder's" json_is "$T/$tag.m1.json" target.attributes.flags "${!r_flags}"
	check "$tag msg1: g_a x and y (little-endian) are the responder's public key" sh -c '
		[ "$(python3 -c "import json,sys; d=json.load(open(sys.argv[1]))[\"g_a\"]; print(d[\"x\"], d[\"y\"])" "$1")" = "$2 $3" ]' _ "$T/$tag.m1.json" "${!ga_x}" "${!ga_y}"
	check "$tag msg1: g_a is a valid P-256 point" json_is "$T/$tag.m1.json" g_a.valid_p256_point true

	expect 0 "$tag msg2: auto-detected" -- inspect "$T/$tag.msg2" --json
	cp "$OUT" "$T/$tag.m2.json"
	check "$tag msg2 --json parses (json.tool)" python3 -m json.tool "$T/$tag.m2.json" /dev/null
	check "$tag msg2: type dh-msg2" json_is "$T/$tag.m2.json" type dh-msg2
	i_mre=${tag}_I_MRE i_mrs=${tag}_I_MRSIGNER i_prod=${tag}_I_PRODID i_svn=${tag}_I_SVN i_dbg=${tag}_I_DEBUG
	gb_x=${tag}_GB_X ver=${tag}_VERSION
	check "$tag msg2: report mr_enclave is the initiator's" json_is "$T/$tag.m2.json" report.mr_enclave "${!i_mre}"
	check "$tag msg2: report mr_signer is the initiator's" json_is "$T/$tag.m2.json" report.mr_signer "${!i_mrs}"
	check "$tag msg2: report isv_prod_id is the initiator's" json_is "$T/$tag.m2.json" report.isv_prod_id "${!i_prod}"
	check "$tag msg2: report isv_svn is the initiator's" json_is "$T/$tag.m2.json" report.isv_svn "${!i_svn}"
	check "$tag msg2: report debug flag is the initiator's" json_is "$T/$tag.m2.json" report.debug "${!i_dbg}"
	check "$tag msg2: g_b x is the initiator's public key" json_is "$T/$tag.m2.json" g_b.x "${!gb_x}"
	check "$tag msg2: g_b is a valid P-256 point" json_is "$T/$tag.m2.json" g_b.valid_p256_point true
	check "$tag msg2: protocol version ${!ver}" json_is "$T/$tag.m2.json" protocol.version "${!ver}"
	check "$tag msg2: emulated (SDK simulation CPUSVN)" json_is "$T/$tag.m2.json" emulated true

	expect 0 "$tag msg3: auto-detected" -- inspect "$T/$tag.msg3" --json
	cp "$OUT" "$T/$tag.m3.json"
	check "$tag msg3 --json parses (json.tool)" python3 -m json.tool "$T/$tag.m3.json" /dev/null
	check "$tag msg3: type dh-msg3" json_is "$T/$tag.m3.json" type dh-msg3
	plen=${tag}_PROPLEN props=${tag}_PROPS64 m3rd=${tag}_M3_RD
	check "$tag msg3: report mr_enclave is the responder's" json_is "$T/$tag.m3.json" report.mr_enclave "${!r_mre}"
	check "$tag msg3: additional_prop_length ${!plen}" json_is "$T/$tag.m3.json" additional_prop_length "${!plen}"
	check "$tag msg3: report_data binds the digest of the public values" json_is "$T/$tag.m3.json" protocol.report_data_sha256 "${!m3rd}"
	check "$tag msg3: report_data[32..64) zero" json_is "$T/$tag.m3.json" protocol.report_data_rest_zero true
done

# LAv1 details
check "LAv1 msg2: report_data[0..32) = SHA-256(g_a||g_b)" json_is "$T/V1.m2.json" protocol.report_data_sha256 "$V1_M2_RD"
check "LAv1 msg2: KDF id 0x0001" json_is "$T/V1.m2.json" protocol.kdf_id 0x0001
check "LAv1 msg2: no proto spec" sh -c '! python3 -c "import json,sys; json.load(open(sys.argv[1]))[\"protocol\"][\"proto_spec\"]" "$1" 2>/dev/null' _ "$T/V1.m2.json"
check "LAv1 msg2: says the binding cannot be checked without msg1" sh -c 'python3 -c "
import json,sys; b=json.load(open(sys.argv[1]))[\"protocol\"][\"binding\"]
assert \"SHA-256(g_a||g_b)\" in b and \"not checkable without msg1\" in b" "$1"' _ "$T/V1.m2.json"
check "LAv1 msg3: additional_prop shown whole" json_is "$T/V1.m3.json" additional_prop "$V1_PROPS64"
check "LAv1 msg3: not truncated" json_is "$T/V1.m3.json" additional_prop_truncated false

# LAv2 details
check "LAv2 msg2: the vector's spec is the SDK's (platform.json)" [ "$V2_M2_SPEC_IS_SDK" = true ]
check "LAv2 msg2: equals_sdk_spec" json_is "$T/V2.m2.json" protocol.proto_spec.equals_sdk_spec true
check "LAv2 msg2: spec valid" json_is "$T/V2.m2.json" protocol.proto_spec.valid true
check "LAv2 msg2: ver 2, rev 0, 6 entries" sh -c 'python3 -c "
import json,sys; p=json.load(open(sys.argv[1]))[\"protocol\"][\"proto_spec\"]
assert (p[\"ver\"], p[\"rev\"], p[\"entries\"], len(p[\"copies\"])) == (2, 0, 6, 6)" "$1"' _ "$T/V2.m2.json"
# sgx.md 8.4 / README 6: the SDK spec copies report 64..95 -> 0, 48..63 -> 32, 20 -> 48,
# 260..261 -> 50, 16..19 -> 52, 192..255 -> 64
check "LAv2 msg2: each copy (size, source, destination) as make_target_info reads it" sh -c 'python3 -c "
import json,sys; p=json.load(open(sys.argv[1]))[\"protocol\"][\"proto_spec\"]
got=[(c[\"size\"], c[\"source_offset\"], c[\"destination\"]) for c in p[\"copies\"]]
assert got == [(32,64,0),(16,48,32),(1,20,48),(2,260,50),(4,16,52),(64,192,64)], got" "$1"' _ "$T/V2.m2.json"
check "LAv2 msg2: source field names" json_is "$T/V2.m2.json" protocol.proto_spec.copies.0.source_field mr_enclave
check "LAv2 msg3: additional_prop truncated to 64 bytes" json_is "$T/V2.m3.json" additional_prop "$V2_PROPS64"
check "LAv2 msg3: truncation stated" json_is "$T/V2.m3.json" additional_prop_truncated true
check "LAv2 msg3: full length stated" json_is "$T/V2.m3.json" additional_prop_length 100

# KSS: the target info of msg1 carries the responder's CONFIGSVN and CONFIGID
check "KSS msg1: target config_svn is the responder's" json_is "$T/KSS.m1.json" target.config_svn "$KSS_R_CONFIGSVN"
check "KSS msg1: target config_id is the responder's" json_is "$T/KSS.m1.json" target.config_id "$KSS_R_CONFIGID"
check "KSS msg2: initiator is a KSS enclave" json_is "$T/KSS.m2.json" report.kss true

# readable output: same fields, and the statement that nothing was verified
expect 0 "LAv1 msg2 readable" -- inspect "$T/V1.msg2"
check "readable msg2: type line" grep -q '^type: dh-msg2$' "$OUT"
check "readable msg2: protocol.version: LAv1" grep -q '^protocol.version: LAv1$' "$OUT"
check "readable msg2: report.isv_prod_id" grep -q "^report.isv_prod_id: $V1_I_PRODID$" "$OUT"
check "readable msg2: exactly one verification line, 'not verified'" sh -c '[ "$(grep -c "^verification: " "$1")" = 1 ] && grep -q "^verification: not verified: " "$1"' _ "$OUT"
check "readable msg2: nothing is secret" grep -q '^note: public: nothing in a local-attestation message is secret' "$OUT"
check "readable msg2: no claim of a verified MAC" sh -c '! grep -Eiq "(mac|cmac)[a-z_.]*: (yes|valid|ok)" "$1"' _ "$OUT"
expect 0 "LAv2 msg2 readable" -- inspect "$T/V2.msg2"
check "readable LAv2 msg2: list of copies rendered flat" grep -q '^protocol.proto_spec.copies.5.source_field: config_id$' "$OUT"
check "readable LAv2 msg2: equals_sdk_spec: yes" grep -q '^protocol.proto_spec.equals_sdk_spec: yes$' "$OUT"
expect 0 "msg1 readable" -- inspect "$T/V1.msg1"
check "readable msg1: byte order stated" grep -q '^g_a.byte_order: x and y little-endian' "$OUT"
check "readable msg1: verification line (no MAC)" grep -q '^verification: nothing verified: msg1 has no MAC' "$OUT"
expect 0 "msg3 readable" -- inspect "$T/V2.msg3"
check "readable msg3: verification line" grep -q '^verification: not verified: ' "$OUT"
check "readable msg3: additional_prop_truncated: yes" grep -q '^additional_prop_truncated: yes$' "$OUT"
check "explicit --type dh-msg2 gives the same type" sh -c '"$1" inspect "$2" --type dh-msg2 | grep -q "^type: dh-msg2$"' _ "$FUSEKEY" "$T/V1.msg2"

# tampered: a proto spec other than the SDK's, an invalid point
cp "$T/V2.msg2" "$T/V2.rev.msg2" && set_byte "$T/V2.rev.msg2" $((64 + 320 + 7)) 1
expect 0 "LAv2 msg2 with rev 1" -- inspect "$T/V2.rev.msg2" --json
cp "$OUT" "$T/rev.json"
check "rev 1: still LAv2, rev shown" sh -c 'python3 -c "
import json,sys; d=json.load(open(sys.argv[1]))[\"protocol\"]
assert d[\"version\"] == \"LAv2\" and d[\"proto_spec\"][\"rev\"] == 1" "$1"' _ "$T/rev.json"
check "rev 1: not the SDK spec" json_is "$T/rev.json" protocol.proto_spec.equals_sdk_spec false
check "rev 1: not valid (make_target_info refuses rev != 0)" json_is "$T/rev.json" protocol.proto_spec.valid false
cp "$T/V1.msg2" "$T/V1.kdf.msg2" && set_byte "$T/V1.kdf.msg2" $((64 + 320 + 32)) 2
expect 0 "LAv1 msg2 with KDF id 2 (--type dh-msg2)" -- inspect "$T/V1.kdf.msg2" --type dh-msg2 --json
check "KDF id 2: version unknown" json_is "$OUT" protocol.version unknown
cp "$T/V1.msg2" "$T/V1.badpt.msg2" && flip_byte "$T/V1.badpt.msg2" 40
expect_err 6 "msg2 with g_b off the curve is not guessed (exit 6)" 'give --type' -- inspect "$T/V1.badpt.msg2"
expect 0 "--type dh-msg2 on it" -- inspect "$T/V1.badpt.msg2" --type dh-msg2
check "g_b off the curve: valid_p256_point: no" grep -q '^g_b.valid_p256_point: no$' "$OUT"
cp "$T/V1.msg1" "$T/V1.badpt.msg1" && flip_byte "$T/V1.badpt.msg1" 3
expect_err 6 "msg1 with g_a off the curve is not guessed (exit 6)" 'give --type' -- inspect "$T/V1.badpt.msg1"
expect 0 "--type dh-msg1 on it" -- inspect "$T/V1.badpt.msg1" --type dh-msg1
check "g_a off the curve: valid_p256_point: no" grep -q '^g_a.valid_p256_point: no$' "$OUT"

# sizes
{ cat "$T/V1.msg2"; zeros 1; } >"$T/m2.long"
expect_err 6 "--type dh-msg2 on 513 bytes (exit 6, size named)" 'exactly 512 bytes' -- inspect "$T/m2.long" --type dh-msg2
head -c 575 "$T/V1.msg1" >"$T/m1.short"
expect_err 6 "--type dh-msg1 on 575 bytes (exit 6, size named)" 'exactly 576 bytes' -- inspect "$T/m1.short" --type dh-msg1
head -c 451 "$T/V1.msg3" >"$T/m3.tiny"
expect_err 6 "--type dh-msg3 on 451 bytes (exit 6)" 'at least 452 bytes' -- inspect "$T/m3.tiny" --type dh-msg3
check "LAv1 msg3 is 452 + its props" [ "$(size_of "$T/V1.msg3")" = $((452 + V1_PROPLEN)) ]
cp "$T/V1.msg3" "$T/m3.inc" && set_byte "$T/m3.inc" 448 $((V1_PROPLEN + 1))
expect_err 6 "msg3 whose length field is one more than the file holds (exit 6)" "is $V1_MSG3_SIZE bytes: its additional_prop_length $((V1_PROPLEN + 1)) makes a dh-msg3 of exactly $((V1_MSG3_SIZE + 1)) bytes" -- inspect "$T/m3.inc" --type dh-msg3
cp "$T/V1.msg3" "$T/m3.dec" && set_byte "$T/m3.dec" 448 $((V1_PROPLEN - 1))
expect_err 6 "msg3 whose length field is one less (exit 6)" "exactly $((V1_MSG3_SIZE - 1)) bytes" -- inspect "$T/m3.dec" --type dh-msg3
expect_err 6 "such a msg3 is not auto-detected (exit 6)" 'cannot tell' -- inspect "$T/m3.dec"
cp "$T/V1.msg3" "$T/m3.huge" && set_byte "$T/m3.huge" 450 1
expect_err 6 "msg3 with additional_prop_length over 64 KiB (exit 6)" 'over the limit of 65536 bytes' -- inspect "$T/m3.huge" --type dh-msg3
# a msg3 of 512 bytes (60 bytes of props) is neither a key request nor a target info
{ head -c 448 "$T/V1.msg3"; hexbytes 3c000000; zeros 60; } >"$T/m3.512"
expect 0 "a 512-byte msg3 is detected as dh-msg3" -- inspect "$T/m3.512"
check "512-byte msg3: type and length" sh -c 'grep -q "^type: dh-msg3$" "$1" && grep -q "^additional_prop_length: 60$" "$1"' _ "$OUT"
# 512 bytes with no shape: no guess
cp "$T/ti" "$T/ti.dirty" && set_byte "$T/ti.dirty" 300 1
expect_err 6 "a 512-byte file that is no key request, clean target info or msg2: not guessed" 'give --type' -- inspect "$T/ti.dirty"
expect 0 "--type targetinfo still reads it" -- inspect "$T/ti.dirty" --type targetinfo
check "dirty target info: reserved_zero: no" grep -q '^reserved_zero: no$' "$OUT"

finish
