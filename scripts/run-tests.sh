#!/usr/bin/env bash
# Run the whole meson test suite in build dir $1 and print one closing line
# "N passed, N failed[, N skipped]" counting individual cases: TAP cases of the
# unit and CLI tests, and the vector runner's own count. Exit 1 on any failure.
set -uo pipefail
build=${1:?usage: run-tests.sh BUILD_DIR}
shift
meson test -C "$build" --print-errorlogs --num-processes 2 "$@"
rc=$?
python3 "$(dirname "$0")/test-summary.py" "$build/meson-logs/testlog.json" "$build/summary.txt" || rc=1
exit $rc
