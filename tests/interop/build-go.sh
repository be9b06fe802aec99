#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Build the Go interop peers (gosrv, gocli) offline against Debian's Go
# packages, in GOPATH mode (docs/interop.md):
#
#   tests/interop/build-go.sh WORKDIR     -> WORKDIR/bin/gosrv, WORKDIR/bin/gocli
#
# Needs golang-go and golang-github-containerd-ttrpc-dev (sources under
# /usr/share/gocode). Module mode cannot work offline (no go.mod, no proxy);
# GOPATH mode finds the Debian sources. Our own packages must live inside a
# GOPATH, so WORKDIR/gopath/src/fusekey.test/interop is a symlink to go/ here.
set -euo pipefail
work=${1:?usage: build-go.sh WORKDIR}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$work/gopath/src/fusekey.test" "$work/bin"
work=$(cd "$work" && pwd)
ln -sfn "$here/go" "$work/gopath/src/fusekey.test/interop"

export GO111MODULE=off GOPROXY=off GOFLAGS=
export GOPATH="$work/gopath:/usr/share/gocode"
# The build cache stays in the work directory (never $HOME): rebuilds are quick.
export GOCACHE="$work/gocache"
export GOTMPDIR= GOENV=off
# Pure Go (no cgo): no C toolchain or CFLAGS from the environment involved.
export CGO_ENABLED=0
for p in gosrv gocli; do
	go build -o "$work/bin/$p" "fusekey.test/interop/$p"
done
