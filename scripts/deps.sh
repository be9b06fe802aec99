#!/usr/bin/env bash
# Install the Debian packages given as arguments if any is missing.
# As root: apt-get install. Otherwise: print the exact command and fail.
set -euo pipefail
missing=()
for p in "$@"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing+=("$p")
	fi
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -eq 0 ]; then
	echo "fusekey: installing missing Debian packages: ${missing[*]}" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
	echo "fusekey: missing Debian packages: ${missing[*]}" >&2
	echo "fusekey: install them with:" >&2
	echo "    sudo apt-get install -y ${missing[*]}" >&2
	exit 1
fi
