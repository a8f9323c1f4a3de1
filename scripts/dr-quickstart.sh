#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Two regions on one machine (docs/operators.md "Quick start"): two local
# single-node Kafka clusters (scripts/kafka/kafka.sh), a primary and a DR
# ferry registry linked by exporter `to-dr` (DR context .primary, IMPORT),
# a `ferry mirror` copying topics `orders*` and groups `app*` from the
# primary cluster to the DR cluster, and dr.properties for `ferry dr`
# (also the DR registry's ferry.dr.config: its status page at /dr).
#
#   scripts/dr-quickstart.sh start    set it all up in $DR_QS_DIR, print what to try
#   scripts/dr-quickstart.sh stop     stop everything it started (by pid)
#
# Environment: DR_QS_DIR (default .cache/dr-quickstart), DR_QS_PRIMARY_PORT
# (8081), DR_QS_DR_PORT (8082), DR_QS_MIRROR_PORT (8090), FERRY_BIN (./ferry).
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
dir="${DR_QS_DIR:-$root/.cache/dr-quickstart}"
ferry="${FERRY_BIN:-$root/ferry}"
pport="${DR_QS_PRIMARY_PORT:-8081}"
dport="${DR_QS_DR_PORT:-8082}"
mport="${DR_QS_MIRROR_PORT:-8090}"
kafka() { FERRY_KAFKA_RUN="$dir/kafka" "$root/scripts/kafka/kafka.sh" "$@"; }
die() { echo "dr-quickstart: $*" >&2; exit 1; }

wait_http() {
    for _ in $(seq 300); do
        curl -sf "$1" >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    die "$1 does not answer (logs in $dir)"
}

start() {
    [ -x "$ferry" ] || die "no ferry binary at $ferry (make, or set FERRY_BIN)"
    mkdir -p "$dir"
    local a b
    a=$(kafka start region-a | tail -1)
    b=$(kafka start region-b | tail -1)
    # fresh clusters: a journal of an earlier run's failover no longer applies
    rm -f "$dir/dr.properties.dr-journal"
    # written first: the DR registry serves its status page (GET /dr) from it
    cat >"$dir/dr.properties" <<EOF
# the DR registry and its imported scope
dr.schema.registry.url=http://127.0.0.1:$dport
dr.context=.primary
# the primary registry, its scope and the exporter that feeds DR
primary.schema.registry.url=http://127.0.0.1:$pport
primary.context=.
primary.connect.timeout.ms=2000
exporter.name=to-dr
# the topic mirror's admin endpoint
mirror.admin.url=http://127.0.0.1:$mport
EOF
    for side in primary dr; do
        mkdir -p "$dir/$side"
        printf 'ferry.data.dir=%s\n' "$dir/$side/data" >"$dir/$side/serve.properties"
    done
    printf 'ferry.dr.config=%s\n' "$dir/dr.properties" >>"$dir/dr/serve.properties"
    "$ferry" serve --config "$dir/primary/serve.properties" --listen "127.0.0.1:$pport" \
        >>"$dir/primary/serve.log" 2>&1 &
    echo $! >"$dir/primary/pid"
    "$ferry" serve --config "$dir/dr/serve.properties" --listen "127.0.0.1:$dport" \
        >>"$dir/dr/serve.log" 2>&1 &
    echo $! >"$dir/dr/pid"
    wait_http "http://127.0.0.1:$pport/"
    wait_http "http://127.0.0.1:$dport/"
    curl -sf -X POST -H 'Content-Type: application/json' "http://127.0.0.1:$pport/exporters" \
        --data "{\"name\":\"to-dr\",\"contextType\":\"CUSTOM\",\"context\":\"primary\",
                 \"subjects\":[\"*\"],
                 \"config\":{\"schema.registry.url\":\"http://127.0.0.1:$dport\"}}" >/dev/null \
        || echo "dr-quickstart: exporter to-dr exists already"
    cat >"$dir/mirror.properties" <<EOF
source.bootstrap.servers=$a
destination.bootstrap.servers=$b
mirror.name=quickstart
topics.prefix=orders
groups.prefix=app
admin.listen=127.0.0.1:$mport
EOF
    "$ferry" mirror --config "$dir/mirror.properties" >>"$dir/mirror.log" 2>&1 &
    echo $! >"$dir/mirror.pid"
    wait_http "http://127.0.0.1:$mport/status"
    cat <<EOF
two regions are up:
  region A (primary): Kafka $a, registry http://127.0.0.1:$pport
  region B (DR):      Kafka $b, registry http://127.0.0.1:$dport (context .primary)
  status page:        http://127.0.0.1:$dport/dr (and http://127.0.0.1:$mport/dr)
  mirror:             topics orders*, groups app*, admin http://127.0.0.1:$mport
try:
  $ferry dr status --config $dir/dr.properties
  $ferry dr failover --config $dir/dr.properties --planned   # producers stopped first
  scripts/dr-quickstart.sh stop
EOF
}

stop_pid() {
    local f="$1"
    [ -f "$f" ] || return 0
    local pid
    pid=$(cat "$f")
    if kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
    rm -f "$f"
}

stop() {
    stop_pid "$dir/mirror.pid"
    stop_pid "$dir/primary/pid"
    stop_pid "$dir/dr/pid"
    kafka stop region-a >/dev/null 2>&1 || true
    kafka stop region-b >/dev/null 2>&1 || true
    echo "stopped (data kept in $dir; remove it to start from scratch)"
}

case "${1:-}" in
start) start ;;
stop) stop ;;
*) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
