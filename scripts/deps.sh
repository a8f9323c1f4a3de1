#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs what building, running and testing ferry needs, idempotently:
# Debian -dev packages (only those missing), and a Python venv in .venv with
# the test clients. Quick (a few dpkg queries) when everything is present.
#   scripts/deps.sh build   -> C toolchain + libraries (make, make run)
#   scripts/deps.sh test    -> build + check + wrk + Python venv (make test)
#   scripts/deps.sh kafka   -> test + JDK + Maven + Kafka jars (make check-kafka)
#   scripts/deps.sh fuzz    -> build + clang (libFuzzer) for make fuzz; `test` needs it too,
#                              because make test runs every fuzz target for a few seconds
set -euo pipefail
cd "$(dirname "$0")/.."

what="${1:-build}"
build_pkgs=(gcc make pkg-config libmicrohttpd-dev libjansson-dev libcurl4-openssl-dev
            librdkafka-dev libavro-dev libprotobuf-c-dev protobuf-c-compiler libprotobuf-dev)
test_pkgs=(check wrk curl protobuf-compiler)
fuzz_pkgs=(clang libclang-rt-dev)

missing=()
need() {
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
            || missing+=("$p")
    done
}
need "${build_pkgs[@]}"
if [ "$what" != build ] && [ "$what" != fuzz ]; then need "${test_pkgs[@]}"; fi
if [ "$what" != build ]; then need "${fuzz_pkgs[@]}"; fi
if [ "$what" = kafka ]; then need openjdk-17-jre-headless maven; fi

if [ ${#missing[@]} -gt 0 ]; then
    echo "deps: installing ${missing[*]}"
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq || true
    $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ "$what" != build ] && [ "$what" != fuzz ]; then
    venv=.venv
    stamp="$venv/.requirements.stamp"
    if [ ! -x "$venv/bin/python" ]; then
        python3 -m venv "$venv"
    fi
    if [ ! -f "$stamp" ] || ! cmp -s tests/requirements.txt "$stamp"; then
        echo "deps: installing Python test packages into $venv"
        "$venv/bin/pip" install -q --disable-pip-version-check -r tests/requirements.txt
        cp tests/requirements.txt "$stamp"
    fi
fi

if [ "$what" = kafka ]; then
    scripts/kafka/kafka.sh fetch
fi
