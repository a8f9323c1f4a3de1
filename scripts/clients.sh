#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds the real-client checks of tests/integration/test_clients_go_node.py,
# idempotently (nothing to do when the inputs have not changed):
#   .cache/clients/go/srclient       confluent-kafka-go's schemaregistry + avrov2
#                                    (tests/clients/go; modules in .cache/go)
#   .cache/clients/node/node_modules @confluentinc/schemaregistry (npm ci of
#                                    tests/clients/node's lockfile)
# Needs Go >= 1.22 with cgo (gcc; the serde package links confluent-kafka-go's
# bundled librdkafka) and Node >= 18 with npm; installs nodejs/npm or golang-go
# from apt when missing. Called by scripts/deps.sh test.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
out=.cache/clients
mkdir -p "$out/go" "$out/node"

apt_get() {
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq || true
    $SUDO apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}
command -v go >/dev/null || apt_get golang-go
command -v npm >/dev/null || apt_get nodejs npm

# Go: rebuild when main.go, go.mod or go.sum is newer than the binary
gobin="$out/go/srclient"
if [ ! -x "$gobin" ] || [ -n "$(find tests/clients/go -newer "$gobin" -type f | head -1)" ]; then
    echo "deps: building the Go client check ($gobin)"
    (cd tests/clients/go &&
     GOMODCACHE="$root/.cache/go/mod" GOCACHE="$root/.cache/go/build" GOFLAGS=-modcacherw \
     CGO_ENABLED=1 go build -o "$root/$gobin" .)
fi

# Node: npm ci when the lockfile changed
stamp="$out/node/.lock.stamp"
if [ ! -f "$stamp" ] || ! cmp -s tests/clients/node/package-lock.json "$stamp"; then
    echo "deps: installing the Node client check into $out/node"
    cp tests/clients/node/package.json tests/clients/node/package-lock.json "$out/node/"
    (cd "$out/node" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error >/dev/null)
    cp tests/clients/node/package-lock.json "$stamp"
fi
