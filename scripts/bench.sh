#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# ferry benchmarks (`make bench`; scenarios in scripts/bench/README.md).
# Starts a release ferry on a free 127.0.0.1 port with a temp data dir,
# preloads data, drives it with wrk and prints req/s, p50/p99 and the ratio to
# each target. Everything started here is killed on exit; every wait is bounded.
#
# env: FERRY_BIN   ferry binary (default build/release/ferry)
#      BENCH_DURATION   seconds per wrk run (default 10)
#      BENCH_THREADS / BENCH_CONNS        wrk -t / -c for reads (default 1 / 32)
#      BENCH_REG_CONNS                    wrk -c for registrations (default 64)
#      BENCH_BULK_SUBJECTS / BENCH_BULK_VERSIONS   restart data set (default 10000 x 10)
#      BENCH_ONLY="1 2 ... 14"            scenarios to run (7: schema linking, link_bench.py;
#                                         8: topic mirror vs MirrorMaker 2, mirror_bench.py;
#                                         9: hostile schema shapes, schema_shapes.c;
#                                         10: the mirror's offset map, 1M transactional
#                                             records, omap_bench.py;
#                                         11: id reads over TLS and with Basic auth;
#                                         12: JSON Schema registrations and compatibility;
#                                         13: Protobuf registrations, format=serialized reads;
#                                         14: RTO of ferry dr failover, dr_bench.py)
#      BENCH_OMAP_ARGS                    extra omap_bench.py arguments (e.g. --records 100000)
#      BENCH_DR_ARGS                      extra dr_bench.py arguments (scenario 14, e.g. --subjects 1000)
#      BENCH_SHAPES_N                     size of the scenario 9 shapes (default 40000)
#      BENCH_MIRROR_ARGS                  extra mirror_bench.py arguments (e.g. --records 200000)
#      BENCH_KEEP=1                       keep the temp dir (logs, journals)
#      BENCH_PROPS=FILE                   ferry .properties to serve with (default: none)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
export BENCH_DIR="$ROOT/scripts/bench"

FERRY_BIN=${FERRY_BIN:-$ROOT/build/release/ferry}
DUR=${BENCH_DURATION:-10}
THREADS=${BENCH_THREADS:-1}
CONNS=${BENCH_CONNS:-32}
REG_CONNS=${BENCH_REG_CONNS:-64}
BULK_SUBJECTS=${BENCH_BULK_SUBJECTS:-10000}
BULK_VERSIONS=${BENCH_BULK_VERSIONS:-10}
ONLY=${BENCH_ONLY:-1 2 3 4 5 6 7 8 9 10 11 12 13 14}
PRE_SUBJECTS=200   # preload: 200 subjects x 5 versions = 1000 schemas per context
PRE_VERSIONS=5
PRE_IDS=$((PRE_SUBJECTS * PRE_VERSIONS))
PROPS_ARGS=()
if [ -n "${BENCH_PROPS:-}" ]; then PROPS_ARGS=(--config "$BENCH_PROPS"); fi
PY=python3
[ -x "$ROOT/.venv/bin/python" ] && PY="$ROOT/.venv/bin/python"
LOAD="$PY $BENCH_DIR/load.py"

die() { echo "bench: $*" >&2; exit 1; }
[ -x "$FERRY_BIN" ] || die "no ferry binary at $FERRY_BIN (make ferry, or set FERRY_BIN)"
command -v wrk >/dev/null || die "wrk not installed (scripts/deps.sh test)"
command -v curl >/dev/null || die "curl not installed"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/ferry-bench.XXXXXX")
FERRY_PID=""
declare -a EXTRA_PIDS=()  # scenario 10's second server
cleanup() {
    local rc=$?
    for p in "${EXTRA_PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
    if [ -n "$FERRY_PID" ] && kill -0 "$FERRY_PID" 2>/dev/null; then
        kill -TERM "$FERRY_PID" 2>/dev/null || true
        for _ in $(seq 100); do kill -0 "$FERRY_PID" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$FERRY_PID" 2>/dev/null || true
    fi
    if [ "${BENCH_KEEP:-0}" = 1 ] || [ $rc -ne 0 ]; then
        echo "bench: logs and data kept in $WORK" >&2
    else
        rm -rf "$WORK"
    fi
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

PORT=""
URL=""
# start_ferry DATA_DIR LOG: exec ferry, wait (bounded) for GET / -> 200
start_ferry() {
    local dir=$1 log=$2
    PORT=$($LOAD port)
    URL="http://127.0.0.1:$PORT"
    "$FERRY_BIN" serve --listen "127.0.0.1:$PORT" --data-dir "$dir" "${PROPS_ARGS[@]}" \
        >>"$log" 2>&1 &
    FERRY_PID=$!
    $LOAD wait200 "$URL" / --timeout 30 >/dev/null \
        || { tail -20 "$log" >&2; die "ferry did not serve within 30s"; }
}
# stop_ferry: SIGTERM, wait at most 30 s, fail if it needs SIGKILL
stop_ferry() {
    [ -n "$FERRY_PID" ] || return 0
    kill -TERM "$FERRY_PID" 2>/dev/null || true
    local i
    for i in $(seq 300); do kill -0 "$FERRY_PID" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$FERRY_PID" 2>/dev/null; then
        kill -KILL "$FERRY_PID" 2>/dev/null || true
        die "ferry did not exit within 30s of SIGTERM"
    fi
    wait "$FERRY_PID" 2>/dev/null || true
    FERRY_PID=""
}

# run_wrk NAME THREADS CONNS SCRIPT ARGS... -> fills R_RPS R_P50 R_P99 R_LINE
run_wrk() {
    local name=$1 t=$2 c=$3 script=$4
    shift 4
    local out="$WORK/wrk-$name.txt"
    timeout $((DUR + 60)) wrk -t"$t" -c"$c" -d"${DUR}s" --timeout 5s --latency \
        -s "$BENCH_DIR/$script" "$URL" -- "$@" >"$out" 2>&1 \
        || { cat "$out" >&2; die "wrk failed for $name"; }
    R_LINE=$(grep '^BENCH_RESULT' "$out" | tail -1)
    [ -n "$R_LINE" ] || { cat "$out" >&2; die "no result from wrk for $name"; }
    R_RPS=$(kv rps "$R_LINE")
    R_P50=$(kv p50_ms "$R_LINE")
    R_P99=$(kv p99_ms "$R_LINE")
    local non2xx sockerr
    non2xx=$(kv non2xx "$R_LINE")
    sockerr=$(kv sockerr "$R_LINE")
    if [ "$non2xx" != 0 ] || [ "$sockerr" != 0 ]; then
        echo "bench: WARNING $name: $non2xx non-2xx answers, $sockerr socket errors" >&2
        WARNINGS+=("$name: $non2xx non-2xx answers, $sockerr socket errors (see $out)")
    fi
}
kv() { sed -n "s/.*\\b$1=\\([^ ]*\\).*/\\1/p" <<<"$2"; }
# ratio A B -> A/B with 2 decimals
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print "-"; else printf "%.2f", a / b }'; }
# verdict VALUE OP TARGET  (OP is >= or <)
verdict() {
    awk -v v="$1" -v op="$2" -v t="$3" \
        'BEGIN { ok = (op == ">=") ? (v >= t) : (v < t); print ok ? "ok" : "MISS" }'
}

declare -a ROWS=() SUMMARY=() WARNINGS=() FAILS=() ERRORS=()
row() { ROWS+=("$(printf '%-42s %10s %9s %9s' "$1" "$2" "$3" "$4")"); }
# summ FIGURE VALUE UNIT OP TARGET
summ() {
    local r v
    r=$(ratio "$2" "$5")
    v=$(verdict "$2" "$4" "$5")
    [ "$v" = ok ] || FAILS+=("$1")
    SUMMARY+=("$(printf '%-40s %12s %-5s %4s %-10s %7s  %s' "$1" "$2" "$3" "$4" "$5" "$r" "$v")")
}
want() { [[ " $ONLY " == *" $1 "* ]]; }

echo "ferry benchmark: $FERRY_BIN ($("$FERRY_BIN" --version 2>/dev/null | head -1 || true))"
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo);" \
     "wrk runs beside the server on the same cores;" \
     "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
[ -n "${BENCH_PROPS:-}" ] && echo "ferry settings: $(tr '\n' ' ' <"$BENCH_PROPS")"
echo "reads: wrk -t$THREADS -c$CONNS -d${DUR}s --latency (keep-alive);" \
     "registrations: wrk -t1 -c$REG_CONNS -d${DUR}s"
echo "work dir: $WORK"
echo

# ---------------------------------------------------------------------------
# 1-5: one server, preloaded with 1000 schemas in the default context and the
# same 1000 in context .bench
if want 1 || want 2 || want 3 || want 4 || want 5; then
    start_ferry "$WORK/data-main" "$WORK/ferry-main.log"
    echo "ferry pid $FERRY_PID on $URL"
    $LOAD preload "$URL" --subjects $PRE_SUBJECTS --versions $PRE_VERSIONS \
        || die "preload (default context) failed"
    $LOAD preload "$URL" --subjects $PRE_SUBJECTS --versions $PRE_VERSIONS --context .bench \
        || die "preload (context .bench) failed"
    echo

    CTX_Q='?subject=%3A.bench%3A'
    CTX_S='%3A.bench%3Abench-s'
    # each read scenario runs right before its context twin, so that both see
    # the same machine (the ratio is what scenario 5 is about)
    if want 1 || want 5; then
        run_wrk ids "$THREADS" "$CONNS" get_ids.lua $PRE_IDS
        ID_RPS=$R_RPS
        row "1 GET /schemas/ids/{id}" "$R_RPS" "$R_P50" "$R_P99"
        summ "1 GET /schemas/ids/{id} req/s" "$R_RPS" "req/s" ">=" 50000
        summ "1 GET /schemas/ids/{id} p99" "$R_P99" "ms" "<" 5
    fi
    if want 5; then
        run_wrk ids-ctx "$THREADS" "$CONNS" get_ids.lua $PRE_IDS "$CTX_Q"
        row "5 GET /schemas/ids/{id}?subject=:.bench:" "$R_RPS" "$R_P50" "$R_P99"
        summ "5 ctx/default GET ids req/s" "$(ratio "$R_RPS" "$ID_RPS")" "x" ">=" 0.9
    fi
    if want 2 || want 5; then
        run_wrk latest "$THREADS" "$CONNS" get_latest.lua $PRE_SUBJECTS bench-s
        LATEST_RPS=$R_RPS
        row "2 GET /subjects/{s}/versions/latest" "$R_RPS" "$R_P50" "$R_P99"
        SUMMARY+=("$(printf '%-40s %12s %-5s' "2 GET .../versions/latest req/s" "$R_RPS" "req/s")")
    fi
    if want 5; then
        run_wrk latest-ctx "$THREADS" "$CONNS" get_latest.lua $PRE_SUBJECTS "$CTX_S"
        row "5 GET /subjects/:.bench:s/versions/latest" "$R_RPS" "$R_P50" "$R_P99"
        summ "5 ctx/default GET latest req/s" "$(ratio "$R_RPS" "$LATEST_RPS")" "x" ">=" 0.9
    fi
    if want 3 || want 5; then
        run_wrk lookup "$THREADS" "$CONNS" lookup.lua $PRE_SUBJECTS $PRE_VERSIONS bench-s
        LOOKUP_RPS=$R_RPS
        row "3 POST /subjects/{s} (lookup)" "$R_RPS" "$R_P50" "$R_P99"
        SUMMARY+=("$(printf '%-40s %12s %-5s' "3 POST /subjects/{s} lookup req/s" "$R_RPS" "req/s")")
    fi
    if want 5; then
        run_wrk lookup-ctx "$THREADS" "$CONNS" lookup.lua $PRE_SUBJECTS $PRE_VERSIONS "$CTX_S"
        row "5 POST /subjects/:.bench:s (lookup)" "$R_RPS" "$R_P50" "$R_P99"
        summ "5 ctx/default lookup req/s" "$(ratio "$R_RPS" "$LOOKUP_RPS")" "x" ">=" 0.9
    fi
    if want 4; then
        # registrations stop 2 s before wrk does, so nothing is in flight at the end
        run_wrk register 1 "$REG_CONNS" register.lua new new- $((DUR - 2))
        ACKED=$(kv acked "$R_LINE"); SENT=$(kv sent "$R_LINE"); FAILED=$(kv failed "$R_LINE")
        row "4 POST /subjects/{s}/versions (new)" "$(kv reg_rps "$R_LINE")" "$R_P50" "$R_P99"
        summ "4 durable registrations req/s" "$(kv reg_rps "$R_LINE")" "req/s" ">=" 2000
        [ "$FAILED" = 0 ] || WARNINGS+=("4: $FAILED registrations not answered 200 ($(kv bad_sample "$R_LINE"))")
        # 4b: new versions of the 200 preloaded subjects (versions accumulate)
        run_wrk register-evolve 1 "$REG_CONNS" register.lua evolve bench-s $((DUR - 2)) \
            $PRE_SUBJECTS $PRE_VERSIONS
        ACKED_B=$(kv acked "$R_LINE"); SENT_B=$(kv sent "$R_LINE"); FAILED_B=$(kv failed "$R_LINE")
        row "4b POST .../versions (200 subjects grow)" "$(kv reg_rps "$R_LINE")" "$R_P50" "$R_P99"
        SUMMARY+=("$(printf '%-40s %12s %-5s' "4b registrations, versions accumulate" \
            "$(kv reg_rps "$R_LINE")" "req/s")")
        [ "$FAILED_B" = 0 ] || WARNINGS+=("4b: $FAILED_B registrations not answered 200 ($(kv bad_sample "$R_LINE"))")
        # acknowledged == stored, before and after a restart (acknowledged means durable)
        check_stored() {
            local when=$1 c1 c2
            c1=$($LOAD count "$URL" --prefix new-)
            c2=$($LOAD count "$URL" --prefix bench-s)
            echo "4: $when: sent=$SENT acked=$ACKED failed=$FAILED stored subjects=$(kv subjects "$c1")" \
                 "versions=$(kv versions "$c1");" \
                 "4b: sent=$SENT_B acked=$ACKED_B failed=$FAILED_B stored versions=$(kv versions "$c2")" \
                 "(= $PRE_IDS preloaded + new)"
            if [ "$SENT" != "$ACKED" ] || [ "$(kv versions "$c1")" != "$ACKED" ] \
               || [ "$(kv subjects "$c1")" != "$ACKED" ]; then
                ERRORS+=("4 ($when): sent $SENT, acknowledged $ACKED, stored $(kv subjects "$c1") subjects / $(kv versions "$c1") versions")
            fi
            if [ "$SENT_B" != "$ACKED_B" ] || [ "$(kv versions "$c2")" != $((PRE_IDS + ACKED_B)) ]; then
                ERRORS+=("4b ($when): sent $SENT_B, acknowledged $ACKED_B, stored $(kv versions "$c2") versions (expected $((PRE_IDS + ACKED_B)))")
            fi
        }
        check_stored "before restart"
        stop_ferry
        start_ferry "$WORK/data-main" "$WORK/ferry-main.log"
        check_stored "after restart"
        local_errors=0
        for e in "${ERRORS[@]}"; do case $e in 4*) local_errors=1 ;; esac; done
        if [ $local_errors = 0 ]; then
            SUMMARY+=("$(printf '%-40s %12s %-5s %4s %-10s %7s  %s' "4 sent == acked == stored (+restart)" \
                "$ACKED" "" "==" "$ACKED" "1.00" ok)")
        else
            SUMMARY+=("$(printf '%-40s %12s %-5s %4s %-10s %7s  %s' "4 sent == acked == stored (+restart)" \
                "$ACKED" "" "==" "-" "-" MISS)")
        fi
    fi
    stop_ferry
fi

# ---------------------------------------------------------------------------
# 6: restart with 100,000 schemas
if want 6; then
    NB=$((BULK_SUBJECTS * BULK_VERSIONS))
    echo
    echo "6: registering $NB schemas ($BULK_SUBJECTS subjects x $BULK_VERSIONS versions," \
         "64 connections)"
    start_ferry "$WORK/data-100k" "$WORK/ferry-100k.log"
    BULK=$($LOAD bulk "$URL" --subjects "$BULK_SUBJECTS" --versions "$BULK_VERSIONS" \
        --conns 64 --timeout 600) || { echo "$BULK"; die "bulk load failed"; }
    echo "$BULK"
    curl -sf "$URL/schemas/ids/$NB" >/dev/null || die "GET /schemas/ids/$NB is not 200 after the load"
    stop_ferry
    JOURNAL_MB=$(du -sm "$WORK/data-100k" | cut -f1)
    # three restarts (the machine is shared with wrk and whatever else runs):
    # wall time from exec to the first 200, the CPU time ferry used until
    # then (less sensitive to noise), and VmRSS at that moment; median reported
    declare -a R6=()
    for i in 1 2 3; do
        PORT=$($LOAD port)
        URL="http://127.0.0.1:$PORT"
        T0=$(date +%s%N)
        "$FERRY_BIN" serve --listen "127.0.0.1:$PORT" --data-dir "$WORK/data-100k" \
            "${PROPS_ARGS[@]}" >>"$WORK/ferry-100k.log" 2>&1 &
        FERRY_PID=$!
        T1=$($LOAD wait200 "$URL" "/schemas/ids/$NB" --timeout 60) \
            || { tail -20 "$WORK/ferry-100k.log" >&2; die "restart: no 200 on /schemas/ids/$NB within 60s"; }
        RSS_KB=$(awk '/^VmRSS:/ {print $2}' "/proc/$FERRY_PID/status")
        CPU_S=$(awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / hz }' "/proc/$FERRY_PID/stat")
        WALL_S=$(awk -v a="$T0" -v b="$T1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')
        echo "6: restart $i: to first 200 ${WALL_S} s (ferry CPU ${CPU_S} s), VmRSS $((RSS_KB / 1024)) MB," \
             "load average $(cut -d' ' -f1 /proc/loadavg)"
        R6+=("$WALL_S $CPU_S $RSS_KB")
        stop_ferry
    done
    read -r RESTART_S RESTART_CPU RSS_KB < <(printf '%s\n' "${R6[@]}" | sort -n | sed -n 2p)
    RSS_MB=$(awk -v k="$RSS_KB" 'BEGIN { printf "%.1f", k / 1024 }')
    echo "6: data dir ${JOURNAL_MB} MB; median restart-to-serving ${RESTART_S} s" \
         "(CPU ${RESTART_CPU} s); VmRSS ${RSS_MB} MB"
    row "6 bulk registration ($NB, 64 conns)" "$(kv rate "$BULK")" "-" "-"
    summ "6 restart to first 200 ($NB schemas)" "$RESTART_S" "s" "<" 2
    SUMMARY+=("$(printf '%-40s %12s %-5s' "6 ferry CPU until serving" "$RESTART_CPU" "s")")
    summ "6 RSS after restart ($NB schemas)" "$RSS_MB" "MB" "<" 300
fi

# ---------------------------------------------------------------------------
# 7: schema linking between two servers (scripts/bench/link_bench.py starts and
# kills its own pair): initial sync schemas/s, replication latency p50/p99
if want 7; then
    echo
    LINK_OUT=$(timeout 600 $PY "$BENCH_DIR/link_bench.py" --ferry "$FERRY_BIN") \
        || { echo "$LINK_OUT"; die "link benchmark failed"; }
    echo "$LINK_OUT"
    R_LINE=$(grep '^LINK_RESULT' <<<"$LINK_OUT" | tail -1)
    row "7 link initial sync (schemas/s)" "$(kv sync_rps "$R_LINE")" "-" "-"
    row "7 link replication (200 single writes)" "-" "$(kv p50_ms "$R_LINE")" "$(kv p99_ms "$R_LINE")"
    summ "7 link initial sync schemas/s" "$(kv sync_rps "$R_LINE")" "sch/s" ">=" 2000
    summ "7 link replication latency p99" "$(kv p99_ms "$R_LINE")" "ms" "<" 200
fi

# ---------------------------------------------------------------------------
# 8: topic mirroring (scripts/bench/mirror_bench.py starts and stops its own
# two KRaft clusters): 1M x 1 KiB copied by ferry mirror, MirrorMaker 2 and a
# bare librdkafka loop (build/release/rdk_copy); ferry's end-to-end lag
if want 8; then
    echo
    # JDK, Maven and the Kafka jars (MM2 included); a no-op once cached
    scripts/deps.sh kafka || die "scripts/deps.sh kafka failed (needed by scenario 8)"
    RDK_COPY_BIN=${RDK_COPY_BIN:-$(dirname "$FERRY_BIN")/rdk_copy}
    [ -x "$RDK_COPY_BIN" ] || die "no $RDK_COPY_BIN (make bench builds it)"
    # --foreground: Ctrl-C reaches the script, which then stops its clusters
    # shellcheck disable=SC2086
    MIRROR_OUT=$(timeout --foreground 900 $PY "$BENCH_DIR/mirror_bench.py" --ferry "$FERRY_BIN" \
        --rdk-copy "$RDK_COPY_BIN" ${BENCH_MIRROR_ARGS:-}) \
        || { echo "$MIRROR_OUT"; die "mirror benchmark failed"; }
    echo "$MIRROR_OUT"
    R_LINE=$(grep '^MIRROR_RESULT' <<<"$MIRROR_OUT" | tail -1)
    row "8 ferry mirror 1M x 1 KiB (MB/s)" "$(kv ferry_mb_s "$R_LINE")" "-" "-"
    row "8 MirrorMaker 2 (MB/s)" "$(kv mm2_mb_s "$R_LINE")" "-" "-"
    row "8 bare librdkafka loop (MB/s)" "$(kv bare_mb_s "$R_LINE")" "-" "-"
    row "8 ferry mirror end-to-end lag" "-" "$(kv lag_p50_ms "$R_LINE")" "$(kv lag_p99_ms "$R_LINE")"
    SUMMARY+=("$(printf '%-40s %12s %-5s' "8 ferry mirror MB/s" "$(kv ferry_mb_s "$R_LINE")" "MB/s")")
    SUMMARY+=("$(printf '%-40s %12s %-5s' "8 MirrorMaker 2 MB/s" "$(kv mm2_mb_s "$R_LINE")" "MB/s")")
    summ "8 ferry / MM2 throughput" "$(kv ferry_mm2 "$R_LINE")" "x" ">=" 2
    summ "8 ferry / bare loop throughput" "$(kv ferry_bare "$R_LINE")" "x" ">=" 0.70
    SUMMARY+=("$(printf '%-40s %12s %-5s' "8 ferry mirror lag p99" "$(kv lag_p99_ms "$R_LINE")" "ms")")
fi

# ---------------------------------------------------------------------------
# 9: the worst schema shapes of issue 11, parsed and checked (FULL) in-process
# by build/release/schema_shapes, one child process per shape
declare -a SHAPES=()
if want 9; then
    SHAPES_BIN=${SHAPES_BIN:-$(dirname "$FERRY_BIN")/schema_shapes}
    [ -x "$SHAPES_BIN" ] || die "no $SHAPES_BIN (make bench builds it)"
    SHAPES_OUT=$(timeout 600 "$SHAPES_BIN" "${BENCH_SHAPES_N:-40000}") \
        || { echo "$SHAPES_OUT"; die "schema_shapes failed"; }
    while IFS= read -r R_LINE; do
        name=$(kv name "$R_LINE")
        SHAPES+=("$(printf '%-34s %10s %9s %9s %10s  %s' "$name" "$(kv bytes "$R_LINE")" \
            "$(kv ms "$R_LINE")" "$(kv cpu_ms "$R_LINE")" "$(kv peak_mib "$R_LINE")" \
            "$(kv answer "$R_LINE")")")
        summ "9 $name cpu" "$(kv cpu_ms "$R_LINE")" "ms" "<" 1000
        summ "9 $name peak" "$(kv peak_mib "$R_LINE")" "MiB" "<" 256
        case "$(kv answer "$R_LINE")" in CRASHED*) ERRORS+=("9 $name: $R_LINE") ;; esac
    done < <(grep '^SHAPE_RESULT' <<<"$SHAPES_OUT")
fi

# ---------------------------------------------------------------------------
# 10: the mirror's offset map under a transactional source (every commit
# marker is a source gap): scripts/bench/omap_bench.py starts its own clusters
if want 10; then
    echo
    scripts/deps.sh kafka || die "scripts/deps.sh kafka failed (needed by scenario 10)"
    # shellcheck disable=SC2086
    OMAP_OUT=$(timeout --foreground 1200 $PY "$BENCH_DIR/omap_bench.py" --ferry "$FERRY_BIN" \
        ${BENCH_OMAP_ARGS:-}) || { echo "$OMAP_OUT"; die "offset-map benchmark failed"; }
    echo "$OMAP_OUT"
    R_LINE=$(grep '^OMAP_RESULT' <<<"$OMAP_OUT" | tail -1)
    row "10 mirror 1M transactional (records/s)" "$(kv rec_s "$R_LINE")" "-" "-"
    SUMMARY+=("$(printf '%-40s %12s %-5s' "10 copy of $(kv records "$R_LINE") txn records" \
        "$(kv copy_s "$R_LINE")" "s")")
    SUMMARY+=("$(printf '%-40s %12s %-5s' "10 offset-map entries left / expired" \
        "$(kv map_entries "$R_LINE")/$(kv map_expired "$R_LINE")" "")")
    SUMMARY+=("$(printf '%-40s %12s %-5s' "10 state topic on the broker" \
        "$(kv state_bytes "$R_LINE")" "B")")
    summ "10 restart: state replay" "$(kv replay_ms "$R_LINE")" "ms" "<" 5000
    summ "10 restart: exec to admin answering" "$(kv start_s "$R_LINE")" "s" "<" 10
fi

# 11: the price of TLS and of Basic authentication on id reads (issue 15), in one
# run: the same 1000 schemas served by server A over http and https (one
# process, two listeners) and by server B (a copy of A's journal) over http
# with authentication.method=BASIC and a bcrypt user; the three wrk runs
# alternate, twice, so all see the same machine.
if want 11; then
    echo
    command -v openssl >/dev/null || die "openssl not installed (scripts/deps.sh test)"
    T10="$WORK/tls"
    mkdir -p "$T10"
    ( cd "$T10" &&
      openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key \
          -out ca.pem -days 2 -subj /CN=bench-ca -addext basicConstraints=critical,CA:TRUE &&
      openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout srv.key \
          -out srv.csr -subj /CN=localhost -addext subjectAltName=IP:127.0.0.1 &&
      openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -set_serial 1 -days 2 \
          -copy_extensions copy -out srv.pem ) >/dev/null 2>&1 || die "openssl failed"
    HTTP_PORT=$($LOAD port); HTTPS_PORT=$($LOAD port); AUTH_PORT=$($LOAD port)
    printf 'listeners=http://127.0.0.1:%s,https://127.0.0.1:%s\nssl.keystore.location=%s\n%s=%s\n' \
        "$HTTP_PORT" "$HTTPS_PORT" "$T10/srv.pem" ferry.ssl.key.location "$T10/srv.key" \
        >"$T10/a.properties"
    echo bench-pw-10 | "$FERRY_BIN" passwd --user bench --roles admin >"$T10/users"
    printf 'listeners=http://127.0.0.1:%s\nauthentication.method=BASIC\n%s=%s\n' \
        "$AUTH_PORT" ferry.auth.user.file "$T10/users" >"$T10/b.properties"
    # A preloads (plain http), then its journal is copied for B
    "$FERRY_BIN" serve --config "$T10/a.properties" --data-dir "$WORK/data-tls" \
        >>"$WORK/ferry-tls.log" 2>&1 &
    FERRY_PID=$!
    $LOAD wait200 "http://127.0.0.1:$HTTP_PORT" / --timeout 30 >/dev/null \
        || { tail -20 "$WORK/ferry-tls.log" >&2; die "ferry (tls) did not serve"; }
    $LOAD preload "http://127.0.0.1:$HTTP_PORT" --subjects $PRE_SUBJECTS --versions $PRE_VERSIONS \
        || die "preload (tls) failed"
    stop_ferry
    cp -r "$WORK/data-tls" "$WORK/data-auth"
    "$FERRY_BIN" serve --config "$T10/a.properties" --data-dir "$WORK/data-tls" \
        >>"$WORK/ferry-tls.log" 2>&1 &
    FERRY_PID=$!
    "$FERRY_BIN" serve --config "$T10/b.properties" --data-dir "$WORK/data-auth" \
        >>"$WORK/ferry-auth.log" 2>&1 &
    EXTRA_PIDS+=($!)
    $LOAD wait200 "http://127.0.0.1:$HTTP_PORT" / --timeout 30 >/dev/null || die "ferry (tls) down"
    for _ in $(seq 300); do
        curl -sf -u bench:bench-pw-10 "http://127.0.0.1:$AUTH_PORT/" >/dev/null && break
        sleep 0.1
    done
    AUTHZ="Basic $(printf 'bench:bench-pw-10' | base64)"
    declare -a P10=() S10=() A10=() RT10=() RA10=()
    for round in 1 2 3; do
        URL="http://127.0.0.1:$HTTP_PORT"; run_wrk "plain-$round" "$THREADS" "$CONNS" get_ids.lua $PRE_IDS
        P10+=("$R_RPS"); PLAIN_LINE=("$R_RPS" "$R_P50" "$R_P99")
        URL="https://127.0.0.1:$HTTPS_PORT"; run_wrk "tls-$round" "$THREADS" "$CONNS" get_ids.lua $PRE_IDS
        S10+=("$R_RPS"); TLS_LINE=("$R_RPS" "$R_P50" "$R_P99")
        URL="http://127.0.0.1:$AUTH_PORT"
        export BENCH_AUTHORIZATION="$AUTHZ"
        run_wrk "auth-$round" "$THREADS" "$CONNS" get_ids.lua $PRE_IDS
        unset BENCH_AUTHORIZATION
        A10+=("$R_RPS"); AUTH_LINE=("$R_RPS" "$R_P50" "$R_P99")
        # each round's ratios pair runs made seconds apart (the machine is shared)
        RT10+=("$(ratio "${S10[-1]}" "${P10[-1]}")"); RA10+=("$(ratio "${A10[-1]}" "${P10[-1]}")")
        echo "11: round $round: http ${P10[-1]}, https ${S10[-1]} (${RT10[-1]}x)," \
             "basic auth ${A10[-1]} (${RA10[-1]}x) req/s"
    done
    median() { printf '%s\n' "$@" | sort -n | sed -n "$(( ($# + 1) / 2 ))p"; }
    row "11 GET /schemas/ids/{id} http" "${PLAIN_LINE[@]}"
    row "11 GET /schemas/ids/{id} https (TLS 1.3)" "${TLS_LINE[@]}"
    row "11 GET /schemas/ids/{id} http + Basic auth" "${AUTH_LINE[@]}"
    summ "11 https / http id reads (median round)" "$(median "${RT10[@]}")" "x" ">=" 0.60
    summ "11 basic auth / http id reads (median)" "$(median "${RA10[@]}")" "x" ">=" 0.90
    stop_ferry
    for p in "${EXTRA_PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
    EXTRA_PIDS=()
fi

# ---------------------------------------------------------------------------
# 12: JSON Schema (issue 13): durable registrations of new JSON schemas, and the
# compatibility check of a 200-property object schema against its 50 versions
# (BACKWARD_TRANSITIVE) over HTTP, plus the same check in-process
# (build/release/jsonschema_compat: the checker alone, parsed versions cached / cold)
if want 12; then
    start_ferry "$WORK/data-json" "$WORK/ferry-json.log"
    echo "ferry pid $FERRY_PID on $URL (scenario 12)"
    run_wrk register-json 1 "$REG_CONNS" register.lua json jnew- $((DUR - 2))
    ACKED=$(kv acked "$R_LINE"); SENT=$(kv sent "$R_LINE"); FAILED=$(kv failed "$R_LINE")
    row "12 POST /subjects/{s}/versions (JSON, new)" "$(kv reg_rps "$R_LINE")" "$R_P50" "$R_P99"
    summ "12 durable JSON registrations req/s" "$(kv reg_rps "$R_LINE")" "req/s" ">=" 5000
    [ "$FAILED" = 0 ] || WARNINGS+=("12: $FAILED registrations not answered 200 ($(kv bad_sample "$R_LINE"))")
    C1=$($LOAD count "$URL" --prefix jnew-)
    echo "12: sent=$SENT acked=$ACKED failed=$FAILED stored versions=$(kv versions "$C1")"
    [ "$(kv versions "$C1")" = "$ACKED" ] || ERRORS+=("12: acknowledged $ACKED, stored $(kv versions "$C1")")
    $PY "$BENCH_DIR/jsonschema_load.py" "$URL" jcompat "$WORK/jcompat.json" \
        || die "scenario 12 preload failed"
    ANSWER=$(curl -s -X POST -H 'Content-Type: application/vnd.schemaregistry.v1+json' \
        --data-binary @"$WORK/jcompat.json" "$URL/compatibility/subjects/jcompat/versions")
    [ "$ANSWER" = '{"is_compatible":true}' ] || ERRORS+=("12: compatibility answer $ANSWER")
    # one connection: the latency of one check, not of checks queued behind each other
    run_wrk compat-json 1 1 compat_json.lua jcompat "$WORK/jcompat.json"
    row "12 POST /compatibility (200 props x 50)" "$R_RPS" "$R_P50" "$R_P99"
    summ "12 JSON compat 200 props x 50 p99" "$R_P99" "ms" "<" 20
    stop_ferry
    JC_BIN=${JC_BIN:-$(dirname "$FERRY_BIN")/jsonschema_compat}
    if [ -x "$JC_BIN" ]; then
        while IFS= read -r R_LINE; do
            row "12 in-process $(kv name "$R_LINE")" "-" "$(kv p50_ms "$R_LINE")" \
                "$(kv p99_ms "$R_LINE")"
        done < <(timeout 600 "$JC_BIN" 200 | grep '^JSONSCHEMA_RESULT')
    else
        WARNINGS+=("12: no $JC_BIN (make bench builds it)")
    fi
fi

# ---------------------------------------------------------------------------
# 13: Protobuf (issue 14): durable registrations of new Protobuf schemas, each
# under its own subject, then id reads of those schemas as stored text and as
# format=serialized (a FileDescriptorProto built and base64-encoded per read),
# alternating twice so both see the same machine.
if want 13; then
    echo
    start_ferry "$WORK/data-pb" "$WORK/ferry-pb.log"
    run_wrk register-proto 1 "$REG_CONNS" register.lua proto pb- $((DUR - 2))
    ACKED_P=$(kv acked "$R_LINE"); FAILED_P=$(kv failed "$R_LINE")
    row "13 POST .../versions (new PROTOBUF)" "$(kv reg_rps "$R_LINE")" "$R_P50" "$R_P99"
    summ "13 durable Protobuf registrations req/s" "$(kv reg_rps "$R_LINE")" "req/s" ">=" 5000
    [ "$FAILED_P" = 0 ] || WARNINGS+=("13: $FAILED_P registrations not answered 200 ($(kv bad_sample "$R_LINE"))")
    STORED_P=$($LOAD count "$URL" --prefix pb-)
    [ "$(kv versions "$STORED_P")" = "$ACKED_P" ] \
        || ERRORS+=("13: acknowledged $ACKED_P, stored $(kv versions "$STORED_P") versions")
    N13=$(( ACKED_P < 1000 ? ACKED_P : 1000 ))
    [ "$N13" -gt 0 ] || die "13: no Protobuf schema registered"
    declare -a R13=()
    for round in 1 2; do
        run_wrk "pb-ids-$round" "$THREADS" "$CONNS" get_ids.lua "$N13"
        PB_PLAIN=("$R_RPS" "$R_P50" "$R_P99")
        run_wrk "pb-ser-$round" "$THREADS" "$CONNS" get_ids.lua "$N13" "?format=serialized"
        PB_SER=("$R_RPS" "$R_P50" "$R_P99")
        R13+=("$(ratio "${PB_SER[0]}" "${PB_PLAIN[0]}")")
        echo "13: round $round: plain ${PB_PLAIN[0]}, serialized ${PB_SER[0]} (${R13[-1]}x) req/s"
    done
    row "13 GET /schemas/ids/{id} (PROTOBUF)" "${PB_PLAIN[@]}"
    row "13 GET /schemas/ids/{id}?format=serialized" "${PB_SER[@]}"
    summ "13 serialized / plain id reads (best)" \
        "$(printf '%s\n' "${R13[@]}" | sort -n | tail -1)" "x" ">=" 0.80
    stop_ferry
fi

# ---------------------------------------------------------------------------
# 14: RTO of `ferry dr failover` (issue 16): 100 mirrored topics and 10,000
# linked subjects, scripts/bench/dr_bench.py (its own two KRaft clusters)
if want 14; then
    echo
    scripts/deps.sh kafka || die "scripts/deps.sh kafka failed (needed by scenario 14)"
    # shellcheck disable=SC2086
    DR_OUT=$(timeout --foreground 1200 $PY "$BENCH_DIR/dr_bench.py" --ferry "$FERRY_BIN" \
        ${BENCH_DR_ARGS:-}) || { echo "$DR_OUT"; die "dr failover benchmark failed"; }
    echo "$DR_OUT"
    R_LINE=$(grep '^DR_RESULT' <<<"$DR_OUT" | tail -1)
    summ "14 ferry dr failover RTO ($(kv topics "$R_LINE") topics)" "$(kv rto_ms "$R_LINE")" \
        "ms" "<" 5000
    SUMMARY+=("$(printf '%-40s %12s %-5s' "14 ferry dr failover wall time" \
        "$(kv wall_ms "$R_LINE")" "ms")")
fi

if [ ${#SHAPES[@]} -gt 0 ]; then
    echo
    echo "== hostile schema shapes (parse both + FULL check, n=${BENCH_SHAPES_N:-40000}) =="
    printf '%-34s %10s %9s %9s %10s  %s\n' "shape" "bytes" "wall ms" "cpu ms" "peak MiB" \
        "answer"
    for r in "${SHAPES[@]}"; do echo "$r"; done
fi
if [ ${#ROWS[@]} -gt 0 ]; then
    echo
    echo "== throughput and latency =="
    printf '%-42s %10s %9s %9s\n' "scenario" "req/s" "p50 ms" "p99 ms"
    for r in "${ROWS[@]}"; do echo "$r"; done
fi
echo
echo "== summary (ratio = figure / target) =="
printf '%-40s %12s %-5s %4s %-10s %7s  %s\n' "figure" "value" "unit" "" "target" "ratio" "verdict"
for r in "${SUMMARY[@]}"; do echo "$r"; done
if [ ${#WARNINGS[@]} -gt 0 ]; then
    echo
    for w in "${WARNINGS[@]}"; do echo "warning: $w"; done
fi
if [ ${#FAILS[@]} -gt 0 ]; then
    echo
    echo "targets missed: ${FAILS[*]}"
fi
# a missed target is a figure to look at; a lost or phantom write is an error
if [ ${#ERRORS[@]} -gt 0 ]; then
    echo
    for e in "${ERRORS[@]}"; do echo "ERROR: $e"; done
    exit 1
fi
exit 0
