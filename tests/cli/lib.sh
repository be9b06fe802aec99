# SPDX-License-Identifier: Apache-2.0
# Shared helpers for the fusekey CLI end-to-end tests (sourced, not run).
#
# Each test script: `source lib.sh "$@"`, then calls the checks below; each
# check prints one TAP line ("ok N - name" / "not ok N - name") and, on
# failure, the command's output as "# " diagnostics. `finish` prints the plan.
#
# Isolation: everything happens in a fresh `mktemp -d` directory, removed on
# exit; HOME and XDG_STATE_HOME point inside it, the FUSEKEY_* environment is
# cleared (FUSEKEY_TEST_LIBOS aside), auto-detection looks at paths inside it,
# and every command is given --sim-dir explicitly: the tests never touch the
# real home directory or /dev.

set -u

FUSEKEY=${1:-${FUSEKEY:-}}
if [ -z "$FUSEKEY" ] || [ ! -x "$FUSEKEY" ]; then
	echo "Bail out! fusekey binary not given (pass its path as \$1 or set FUSEKEY)"
	exit 1
fi
case $FUSEKEY in /*) ;; *) FUSEKEY=$PWD/$FUSEKEY ;; esac

T=$(mktemp -d "${TMPDIR:-/tmp}/fusekey-cli.XXXXXX") || {
	echo "Bail out! mktemp failed"
	exit 1
}
trap 'rm -rf "$T"' EXIT
mkdir -p "$T/home"
export HOME="$T/home" XDG_STATE_HOME="$T/home/state"
unset FUSEKEY_PLATFORM FUSEKEY_SIM_DIR FUSEKEY_ENCLAVE FUSEKEY_CONFIG_ID FUSEKEY_CONFIG_SVN
# Auto-detection (the default platform) must not depend on this machine's
# /dev: it looks at paths that do not exist (platform.sh checks the defaults).
export FUSEKEY_GRAMINE_DIR="$T/no-gramine" FUSEKEY_OCCLUM_DEVICE="$T/no-sgx"
cd "$T" || exit 1

N=0
FAILED=0
OUT=$T/.out
ERR=$T/.err
RC=0

# Run fusekey with the given arguments; stdout -> $OUT, stderr -> $ERR, rc -> $RC.
fk() {
	"$FUSEKEY" "$@" >"$OUT" 2>"$ERR"
	RC=$?
}

_diag() {
	echo "#   command rc=$RC"
	sed -n '1,15s/^/#   stdout: /p' "$OUT" 2>/dev/null
	sed -n '1,15s/^/#   stderr: /p' "$ERR" 2>/dev/null
}

# pass NAME / fail NAME [diagnostic...]
pass() {
	N=$((N + 1))
	echo "ok $N - $1"
}
fail() {
	N=$((N + 1))
	FAILED=$((FAILED + 1))
	echo "not ok $N - $1"
	shift
	for d in "$@"; do echo "#   $d"; done
}

# check NAME CONDITION...: the condition is a command (e.g. test, grep -q).
check() {
	local name=$1
	shift
	if "$@"; then pass "$name"; else
		fail "$name" "condition failed: $*"
		_diag
	fi
}

# expect RC NAME -- ARGS...: run fusekey ARGS, expect exit code RC.
expect() {
	local want=$1 name=$2
	shift 3
	fk "$@"
	if [ "$RC" -eq "$want" ]; then pass "$name"; else
		fail "$name (exit $RC, want $want)" "fusekey $*"
		_diag
	fi
}

# expect_err RC NAME PATTERN -- ARGS...: exit code RC and stderr matching the
# extended regex PATTERN, with the error prefix.
expect_err() {
	local want=$1 name=$2 pat=$3
	shift 4
	fk "$@"
	if [ "$RC" -eq "$want" ] && grep -q '^fusekey: error: ' "$ERR" && grep -Eq -e "$pat" "$ERR"; then
		pass "$name"
	else
		fail "$name (exit $RC, want $want; stderr must match /$pat/)" "fusekey $*"
		_diag
	fi
}

# The libOS backend under test (tests/cli/meson.build): "" for the emulated
# platform itself, or occlum / gramine for the test-only builds of fusekey and
# fusekeyd (tests/seams), which run every enclave operation of --platform sim
# through that backend over an emulated device. FUSEKEY_TEST_LIBOS is kept.
LIBOS=${FUSEKEY_TEST_LIBOS:-}
# seam_said FILE: the stderr of an enclave command says which backend ran it
# (and nothing about a seam when none is under test).
seam_said() {
	case $LIBOS in
	occlum) grep -qx 'fusekey: test seam: Occlum backend over an emulated /dev/sgx' "$1" ;;
	gramine) grep -qx 'fusekey: test seam: Gramine backend over an emulated /dev/attestation' "$1" ;;
	*) ! grep -q 'test seam' "$1" ;;
	esac
}

# JSON: json_ok FILE, json_get FILE KEY.PATH (prints the value; booleans as true/false).
have_python() { command -v python3 >/dev/null 2>&1; }
json_ok() {
	python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$1" 2>/dev/null
}
json_get() {
	python3 - "$1" "$2" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
for k in sys.argv[2].split('.'):
    d = d[k] if isinstance(d, dict) else d[int(k)]
print(json.dumps(d) if isinstance(d, (bool, list, dict)) or d is None else d)
PY
}
# json_is FILE PATH VALUE: check that a JSON field equals VALUE.
json_is() {
	local v
	v=$(json_get "$1" "$2" 2>/dev/null) && [ "$v" = "$3" ]
}

# Bytes: mode of a file, size, hex of a byte string into a file, flip/set one byte.
mode_of() { stat -c %a "$1"; }
size_of() { stat -c %s "$1"; }
# hexbytes HEX > FILE
hexbytes() { printf "$(printf '%s' "$1" | sed 's/../\\x&/g')"; }
# zeros N
zeros() { head -c "$1" /dev/zero; }
# repeat_hex BYTEHEX COUNT -> hex string
repeat_hex() {
	local s="" i
	for ((i = 0; i < $2; i++)); do s="$s$1"; done
	printf '%s' "$s"
}
byte_at() { od -An -tu1 -j "$2" -N1 "$1" | tr -d ' \n'; }
# set_byte FILE OFFSET VALUE(0-255)
set_byte() {
	printf "$(printf '\\x%02x' "$3")" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}
# flip_byte FILE OFFSET: xor the byte with 0x01
flip_byte() {
	local b
	b=$(byte_at "$1" "$2")
	set_byte "$1" "$2" $((b ^ 1))
}

# A random MRENCLAVE (64 hex digits).
rand_hex32() { od -An -tx1 -N32 /dev/urandom | tr -d ' \n'; }

finish() {
	echo "1..$N"
	[ "$FAILED" -eq 0 ]
	exit $?
}

if ! have_python; then
	fail "python3 is available (needed to parse JSON output; install the Debian package python3)"
fi
