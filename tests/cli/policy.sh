#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# fusekey policy check and fusekey launch-digest (docs/policy.md): the documented example loads,
# errors carry file, line, path and reason, and the launch digest matches an independent
# implementation (python, below) and the documented value.
DOCS=$(cd "$(dirname "$0")/../../docs" 2>/dev/null && pwd)
source "$(dirname "$0")/lib.sh" "$@"

H() { repeat_hex "$1" 32; } # 64 hex digits of one repeated byte

# ---- help ----
for topic in "policy" "policy check" "launch-digest"; do
	# shellcheck disable=SC2086 # one or two words on purpose
	expect 0 "fusekey help $topic" -- help $topic
	check "help $topic shows its usage" grep -q "^usage: fusekey ${topic%% *}" "$OUT"
done
expect 0 "policy check --help" -- policy check --help
check "policy check --help: usage" grep -q '^usage: fusekey policy check FILE' "$OUT"
expect 0 "launch-digest --help" -- launch-digest --help
check "launch-digest --help names both sources" sh -c 'grep -q -- "--bundle DIR" "$1" && grep -q -- "--config FILE" "$1"' _ "$OUT"
expect 0 "fusekey --help lists policy check and launch-digest" -- --help
check "overview: policy check" grep -q '^  policy check  ' "$OUT"
check "overview: launch-digest" grep -q '^  launch-digest ' "$OUT"
expect 2 "policy without a subcommand (exit 2)" -- policy
check "policy without a subcommand: usage on stderr" grep -q '^usage: fusekey policy check' "$ERR"
expect_err 2 "policy with an unknown subcommand (exit 2)" "unknown subcommand 'policy lint'" -- policy lint x
expect_err 2 "policy check without a file (exit 2)" 'give the policy file' -- policy check
expect_err 2 "policy check with two files (exit 2)" 'unexpected argument' -- policy check a b
expect_err 2 "policy check with an unknown option (exit 2)" "unknown option '--json'" -- policy check --json x

# ---- the documented example ----
awk '/^```json$/ {on = 1; next} on && /^```$/ {exit} on {print}' "$DOCS/policy.md" >"$T/doc.json"
check "docs/policy.md has a JSON example" test -s "$T/doc.json"
expect 0 "the example of docs/policy.md loads" -- policy check "$T/doc.json"
check "example: summary line" grep -q "^$T/doc.json: ok (version 1, 5 container entries, 4 rules)$" "$OUT"
check "example: web is an allow-list of 2 with a launch digest" \
	grep -q '^  \[0\] allow-list of 2 MRENCLAVEs; DEBUG refused; launch digest required$' "$OUT"
check "example: the documented launch digest" \
	grep -q '^      launch_digest: c64be7a37aeb9f859aca47f44bd47148fd173be8a391bd97d9275a93889e0fd8$' "$OUT"
check "example: staging allows DEBUG" grep -q '^  \[0\] allow-list of 1 MRENCLAVE; DEBUG allowed$' "$OUT"
check "example: the KSS fields of db" sh -c 'grep -q "^      isv_family_id: 091a219b0cd2b744fc02157b67e43081$" "$1" &&
	grep -q "^      min_config_svn: 1$" "$1" && grep -q "^      isv_prod_id: 2$" "$1"' _ "$OUT"
check "example: retired is refused" grep -q '^containers."retired": no rules: the container is refused$' "$OUT"
check "example: the wildcard entry" grep -q '^containers."\*": 1 rule (every container without its own entry)$' "$OUT"

# ---- errors: file, line, path, reason ----
cat >"$T/bad-hex.json" <<EOF
{"version": 1, "containers": {
 "web": [ { "mr_enclave": [
   "$(H a1)",
   "$(H a2 | cut -c2-)" ] } ] } }
EOF
expect_err 6 "bad MRENCLAVE: exit 6 with line and path" \
	"^fusekey: error: $T/bad-hex.json:4: containers.\"web\"\\[0\\].mr_enclave\\[1\\]: not 64 hex digits$" \
	-- policy check "$T/bad-hex.json"
check "bad MRENCLAVE: nothing on stdout" test ! -s "$OUT"

printf '{"version": 1,\n "containers": {\n  "web": []\n  "db": []}}\n' >"$T/syntax.json"
expect_err 6 "syntax error: exit 6 with its line" "^fusekey: error: $T/syntax.json:4: invalid JSON: " \
	-- policy check "$T/syntax.json"
printf '{"version": 1, "containers": {\n "web": [],\n "web": []}}\n' >"$T/dup.json"
expect_err 6 "duplicate container: refused with its line" "$T/dup.json:3: invalid JSON: duplicate object key" \
	-- policy check "$T/dup.json"
printf '{"version": 1, "containers": {\n "web": [\n  {"mr_signer": "%s",\n   "isv_prod_id": 2}]}}\n' "$(H 55)" >"$T/partial.json"
expect_err 6 "signer rule without min_isv_svn: the rule's line" \
	"$T/partial.json:3: containers.\"web\"\\[0\\]: signer rule without min_isv_svn" -- policy check "$T/partial.json"
printf '{"version": 1, "containers": {\n "web": [{"mr_enclave": ["%s"],\n  "allow_debug": "no"}]}}\n' "$(H a1)" >"$T/debug.json"
expect_err 6 "allow_debug not a boolean" "$T/debug.json:3: containers.\"web\"\\[0\\].allow_debug: not true or false" \
	-- policy check "$T/debug.json"
printf '{"version": 1, "containers": {\n "web": [{"mr_enclave": ["%s"],\n  "mrenclave": []}]}}\n' "$(H a1)" >"$T/unknown.json"
expect_err 6 "unknown key" "$T/unknown.json:3: containers.\"web\"\\[0\\].mrenclave: unknown key" \
	-- policy check "$T/unknown.json"
printf '{"version": 1, "containers": {\n "../web": []}}\n' >"$T/cid.json"
expect_err 6 "invalid container id" "$T/cid.json:2: containers.\"../web\": not a container id" \
	-- policy check "$T/cid.json"
: >"$T/empty.json"
expect_err 6 "empty file" "$T/empty.json:1: empty file" -- policy check "$T/empty.json"
expect_err 7 "missing file (exit 7)" "$T/nope.json: cannot open" -- policy check "$T/nope.json"
expect_err 6 "a directory (exit 6)" "$T: not a regular file" -- policy check "$T"
cp "$T/doc.json" "$T/open.json" && chmod 0666 "$T/open.json"
expect_err 9 "a policy others can write (exit 9)" 'writable by others' -- policy check "$T/open.json"
ln -s doc.json "$T/link.json"
expect 0 "a symlinked policy is followed (ConfigMap mounts)" -- policy check "$T/link.json"

# ---- launch-digest ----
mkdir -p "$T/bundle"
cat >"$T/bundle/config.json" <<'EOF'
{ "ociVersion": "1.0.2",
  "process": { "terminal": false, "user": { "uid": 0, "gid": 0 },
               "args": ["/bin/server", "--port", "8080"],
               "env": ["PATH=/usr/local/bin:/usr/bin:/bin", "MODE=production"],
               "cwd": "/srv/app" },
  "root": { "path": "rootfs", "readonly": true },
  "hostname": "web" }
EOF
DOC_DIGEST=c64be7a37aeb9f859aca47f44bd47148fd173be8a391bd97d9275a93889e0fd8

# An independent implementation of the canonical form (docs/policy.md).
py_digest() {
	python3 - "$1" <<'PY'
import hashlib, json, struct, sys
def dup_check(pairs):
    keys = [k for k, _ in pairs]
    if len(keys) != len(set(keys)):
        raise SystemExit("duplicate key")
    return dict(pairs)
p = json.load(open(sys.argv[1], encoding="utf-8"), object_pairs_hook=dup_check)["process"]
out = b"FKLAUNCH1"
for name in ("args", "env"):
    items = p.get(name) or []
    out += struct.pack("<I", len(items))
    for s in items:
        b = s.encode("utf-8")
        out += struct.pack("<I", len(b)) + b
cwd = p["cwd"].encode("utf-8")
out += struct.pack("<I", len(cwd)) + cwd
print(hashlib.sha256(out).hexdigest())
PY
}

expect 0 "launch-digest --bundle" -- launch-digest --bundle "$T/bundle"
check "launch-digest --bundle: the documented digest" test "$(cat "$OUT")" = "$DOC_DIGEST"
check "the python implementation agrees" test "$(py_digest "$T/bundle/config.json")" = "$DOC_DIGEST"
expect 0 "launch-digest --config FILE" -- launch-digest --config "$T/bundle/config.json"
check "--config gives the same digest" test "$(cat "$OUT")" = "$DOC_DIGEST"
"$FUSEKEY" launch-digest --config - <"$T/bundle/config.json" >"$T/stdin.out" 2>"$ERR"
check "--config - reads standard input" test "$(cat "$T/stdin.out")" = "$DOC_DIGEST"

# Escapes, unicode, duplicates in env, absent args: the same as python's reading.
cat >"$T/tricky.json" <<'EOF'
{"process": {"env": ["A=1", "A=2", "Z=caf\u00e9 \ud83d\udd11", "Q=\"q\"\\"], "cwd": "/\u00e9"},
 "annotations": {"x": "y"}}
EOF
expect 0 "launch-digest of escapes and unicode" -- launch-digest --config "$T/tricky.json"
check "escapes and unicode: python agrees" test "$(cat "$OUT")" = "$(py_digest "$T/tricky.json")"
sed 's/"A=1", "A=2"/"A=2", "A=1"/' "$T/tricky.json" >"$T/tricky2.json"
expect 0 "launch-digest with the env order swapped" -- launch-digest --config "$T/tricky2.json"
check "env order changes the digest" test "$(cat "$OUT")" != "$(py_digest "$T/tricky.json")"
check "env order: python agrees" test "$(cat "$OUT")" = "$(py_digest "$T/tricky2.json")"

expect_err 2 "launch-digest without a source (exit 2)" 'one of --bundle DIR and --config FILE' -- launch-digest
expect_err 2 "launch-digest with both sources (exit 2)" 'one of --bundle' -- launch-digest --bundle "$T/bundle" --config x
expect_err 7 "launch-digest: bundle without config.json (exit 7)" 'config.json: not found' -- launch-digest --bundle "$T"
expect_err 7 "launch-digest: missing --config file (exit 7)" 'not found' -- launch-digest --config "$T/nope.json"
printf '{"process": {"args": ["sh"]}}' >"$T/nocwd.json"
expect_err 6 "launch-digest: no process.cwd (exit 6)" 'process.cwd: missing' -- launch-digest --config "$T/nocwd.json"
printf '{"process": {"env": ["PASSWORD=hunter2", 5], "cwd": "/"}}' >"$T/secret.json"
expect_err 6 "launch-digest: a non-string env entry (exit 6)" 'process.env\[1\]: not a string' -- launch-digest --config "$T/secret.json"
check "the error does not quote the environment" sh -c '! grep -q hunter2 "$1"' _ "$ERR"
printf '{"process": {"cwd": "/", "cwd": "/tmp"}}' >"$T/dupcwd.json"
expect_err 6 "launch-digest: duplicate keys (exit 6)" 'not valid JSON' -- launch-digest --config "$T/dupcwd.json"
mkdir -p "$T/bundle2" && ln -s ../bundle/config.json "$T/bundle2/config.json"
expect_err 6 "launch-digest: a symlinked config.json in the bundle (exit 6)" 'symlink' -- launch-digest --bundle "$T/bundle2"

# ---- round trip: the digest into a policy ----
D=$("$FUSEKEY" launch-digest --bundle "$T/bundle")
printf '{"version": 1, "containers": {"web": [{"mr_enclave": ["%s"], "launch_digest": "%s"}]}}\n' "$(H a1)" "$D" >"$T/rt.json"
expect 0 "a policy with the printed digest loads" -- policy check "$T/rt.json"
check "round trip: the digest is shown" grep -q "^      launch_digest: $D$" "$OUT"

finish
