#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# fusekey help: every command has --help and `fusekey help <command>`; exit codes documented.
source "$(dirname "$0")/lib.sh" "$@"

expect 0 "fusekey --help" -- --help
check "--help: usage line" grep -q '^usage: fusekey' "$OUT"
for code in 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17; do
	check "--help documents exit code $code" grep -Eq "^ +$code  " "$OUT"
done
check "--help names the environment variables" grep -q 'FUSEKEY_PLATFORM, FUSEKEY_SIM_DIR, FUSEKEY_ENCLAVE' "$OUT"
expect 0 "fusekey -h" -- -h
expect 0 "fusekey help" -- help
check "help: the overview" grep -q '^Commands:' "$OUT"
expect 0 "fusekey --version" -- --version
check "--version prints the version" grep -Eq '^fusekey [0-9]+\.[0-9]+\.[0-9]+' "$OUT"

for cmd in "platform" "sim" "sim init" "sim cpusvn" "sim keygen" "sim sign" "sim show" "seal" "unseal" "inspect" "generate" "get" "help" "policy" "policy check" "launch-digest"; do
	# shellcheck disable=SC2086 # the command is one or two words on purpose
	expect 0 "fusekey $cmd --help exits 0" -- $cmd --help
	check "fusekey $cmd --help shows its usage" grep -q "^usage: fusekey $cmd" "$OUT"
	# shellcheck disable=SC2086
	expect 0 "fusekey help $cmd exits 0" -- help $cmd
	check "fusekey help $cmd shows its usage" grep -q "^usage: fusekey $cmd" "$OUT"
done
expect 0 "--help wins over other options, even bad ones" -- seal --bogus --in x --help
check "seal --help lists the platform options" grep -q -- '--platform sim' "$OUT"
check "seal --help states the input limit" grep -q '1 MiB' "$OUT"
expect 0 "unseal --help" -- unseal --help
check "unseal --help: plaintext only with --out or --stdout" grep -q -- '--stdout' "$OUT"
expect 0 "get --help" -- get --help
check "get --help lists the key forms" sh -c 'for f in raw hex occlum occlum-mount gramine; do grep -q "^  $f " "$1" || exit 1; done' _ "$OUT"
check "get --help names the refusal exit codes" grep -q '12 made for another enclave identity' "$OUT"
check "get --help documents the la options" sh -c 'for o in --socket --agent-mrenclave --agent-mrsigner --agent-isvprodid --agent-min-svn --agent-allow-debug --launch-digest --no-fallback --timeout-ms; do grep -q -e "$o" "$1" || exit 1; done' _ "$OUT"
check "get --help names the la exit codes 16 and 17" sh -c 'grep -q "16 the key service cannot be reached" "$1" && grep -q "17 its release policy refused" "$1"' _ "$OUT"
expect 0 "fusekey help get" -- help get
check "fusekey help get mentions --socket" grep -q -- '--socket PATH' "$OUT"
expect 0 "generate --help" -- generate --help
check "generate --help names the bundle files" sh -c 'grep -q "fusekey/ID/key.sealed" "$1" && grep -q "fusekey/ID/derive.json" "$1" && grep -q "fusekey/ID/key.la" "$1"' _ "$OUT"
check "generate --help offers --method la" grep -q -- '--method seal|derive|la' "$OUT"
expect 0 "--help names the policy check and launch-digest commands" -- --help
check "... policy check and launch-digest in the command list" sh -c 'grep -q "^  policy check " "$1" && grep -q "^  launch-digest " "$1"' _ "$OUT"
check "... and the platform command" grep -q "^  platform  " "$OUT"
check "--help names the platform environment variables" sh -c 'grep -q FUSEKEY_GRAMINE_DIR "$1" && grep -q FUSEKEY_OCCLUM_DEVICE "$1"' _ "$OUT"
expect 0 "seal --help" -- seal --help
check "seal --help: auto is the default, sim only when named" sh -c 'grep -q -- "--platform P      auto (default), gramine, occlum or sim" "$1" && grep -q "never picks sim" "$1"' _ "$OUT"
expect 0 "policy check --help" -- policy check --help
check "policy check --help names the exit codes 6, 7 and 9" sh -c 'grep -q "exit 6" "$1" && grep -q "7 if the file is missing, 9" "$1"' _ "$OUT"
expect 2 "fusekey policy without a subcommand (exit 2)" -- policy
check "policy without a subcommand prints its usage to stderr" grep -q '^usage: fusekey policy check' "$ERR"
expect_err 2 "policy with an unknown subcommand (exit 2)" "unknown subcommand 'policy frob'" -- policy frob
expect_err 2 "help for an unknown topic (exit 2)" 'no help topic' -- help frobnicate
expect 2 "fusekey sim without a subcommand (exit 2)" -- sim
check "sim without a subcommand prints its usage to stderr" grep -q '^usage: fusekey sim' "$ERR"

finish
