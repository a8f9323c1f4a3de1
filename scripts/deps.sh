#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs what building, running and testing ferry needs, idempotently:
# Debian -dev packages (only those missing), and a Python venv in .venv with
# the test clients. Quick (a few dpkg queries) when everything is present.
#   scripts/deps.sh build   -> C toolchain + libraries (make, make run)
#   scripts/deps.sh test    -> build + check + wrk + Python venv + the Go and Node
#                              client checks in .cache/clients (make test)
#   scripts/deps.sh kafka   -> test + JDK + Maven + Kafka jars (make check-kafka)
#   scripts/deps.sh fuzz    -> build + clang (libFuzzer) for make fuzz; `test` needs it too,
#                              because make test runs every fuzz target for a few seconds
#   scripts/deps.sh mhd     -> only libmicrohttpd (what the Makefile calls when it is missing)
# Every variant builds libmicrohttpd 1.0.10 from Debian's source package with
# scripts/mhd/*.patch into .cache/libmicrohttpd (once; ~2 minutes): Debian 12
# ships 0.9.75, which answers malformed requests with HTML, writes its status
# line twice for a bad Content-Length, and cannot hand those answers to ferry
# (docs/internals/http.md).
set -euo pipefail
cd "$(dirname "$0")/.."

what="${1:-build}"
build_pkgs=(gcc make pkg-config libgnutls28-dev libjansson-dev libcurl4-openssl-dev
            librdkafka-dev libavro-dev libcrypt-dev curl ca-certificates patch
            libprotobuf-c-dev protobuf-c-compiler libprotobuf-dev)
# chromium (+ its driver): the status page is tested in a headless browser (tests/kafka/test_dr_page.py)
test_pkgs=(check wrk curl openssl protobuf-compiler chromium chromium-driver)
fuzz_pkgs=(clang libclang-rt-dev)

missing=()
need() {
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
            || missing+=("$p")
    done
}
need "${build_pkgs[@]}"
if [ "$what" != build ] && [ "$what" != fuzz ] && [ "$what" != mhd ]; then
    need "${test_pkgs[@]}"
fi
if [ "$what" != build ] && [ "$what" != mhd ]; then need "${fuzz_pkgs[@]}"; fi
if [ "$what" = kafka ]; then need openjdk-17-jre-headless maven; fi

if [ ${#missing[@]} -gt 0 ]; then
    echo "deps: installing ${missing[*]}"
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq || true
    $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# libmicrohttpd from Debian's source (sid's 1.0.10: the orig tarball; Debian's
# own patch only disables TLS tests) + ferry's patch, into .cache/libmicrohttpd.
# The stamp names the version and the patches; a changed one rebuilds.
mhd_ver=1.0.10
mhd_sha256=04bfe8ef75db7d629a33de767599765cecadc56274a39822d5d081030d577685
mhd_url=http://deb.debian.org/debian/pool/main/libm/libmicrohttpd/libmicrohttpd_${mhd_ver}.orig.tar.gz
mhd_prefix="$PWD/.cache/libmicrohttpd"
mhd_want="$mhd_ver $(cat scripts/mhd/*.patch | sha256sum | cut -c1-16)"
if [ "$(cat "$mhd_prefix/.stamp" 2>/dev/null)" != "$mhd_want" ]; then
    mkdir -p .cache
    exec 9>.cache/libmicrohttpd.lock
    flock 9
    if [ "$(cat "$mhd_prefix/.stamp" 2>/dev/null)" != "$mhd_want" ]; then
        echo "deps: building libmicrohttpd $mhd_ver (Debian source + scripts/mhd) into .cache"
        tmp=$(mktemp -d)
        trap 'rm -rf "$tmp"' EXIT
        tarball=".cache/libmicrohttpd_${mhd_ver}.orig.tar.gz"
        if ! echo "$mhd_sha256  $tarball" | sha256sum -c --status 2>/dev/null; then
            curl -fsSL --retry 3 -o "$tarball.part" "$mhd_url"
            mv "$tarball.part" "$tarball"
            echo "$mhd_sha256  $tarball" | sha256sum -c --status \
                || { echo "deps: $tarball: checksum mismatch" >&2; exit 1; }
        fi
        tar xzf "$tarball" -C "$tmp"
        src="$tmp/libmicrohttpd-$mhd_ver"
        for p in scripts/mhd/*.patch; do patch -s -d "$src" -p1 < "$p"; done
        rm -rf "$mhd_prefix"
        (cd "$src" && ./configure -q --prefix="$mhd_prefix" --disable-static --disable-doc \
             --disable-examples --disable-tools --enable-https >"$tmp/configure.log" 2>&1 \
             || { tail -30 "$tmp/configure.log"; exit 1; }
         make -s -j2 -C src/microhttpd >"$tmp/make.log" 2>&1 || { tail -30 "$tmp/make.log"; exit 1; }
         make -s -C src/microhttpd install >/dev/null
         make -s -C src/include install >/dev/null
         make -s install-pkgconfigDATA >/dev/null)
        echo "$mhd_want" > "$mhd_prefix/.stamp"
    fi
    exec 9>&-
fi

if [ "$what" != build ] && [ "$what" != fuzz ] && [ "$what" != mhd ]; then
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

if [ "$what" != build ] && [ "$what" != fuzz ]; then
    scripts/clients.sh
fi

if [ "$what" = kafka ]; then
    scripts/kafka/kafka.sh fetch
fi
