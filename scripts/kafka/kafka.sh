#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Real single-node Kafka (KRaft, broker+controller in one JVM) on 127.0.0.1,
# without Docker: the jars come from Maven Central (scripts/kafka/pom.xml,
# pinned version) into .cache/kafka-<version>/libs, and each cluster lives in
# its own run directory (config, data, logs, pid). Used by `make check-kafka`,
# tests/kafka/harness.py and the mirror benchmark.
#
#   kafka.sh fetch            gather the jars (idempotent; offline when cached)
#   kafka.sh start NAME       format + start cluster NAME on free ports, wait for a
#                             metadata answer, print its bootstrap address
#   kafka.sh stop NAME        stop the JVM this script started for NAME (by pid)
#   kafka.sh status NAME      "running BOOTSTRAP" or "stopped" (exit 1)
#   kafka.sh bootstrap NAME   print the bootstrap address
#   kafka.sh logs NAME        print the path of NAME's broker log
#   kafka.sh clean NAME       stop, then remove NAME's run directory
#   kafka.sh kill NAME        SIGKILL NAME's JVM (a crash: data and ports are kept)
#   kafka.sh restart NAME     start NAME again on its old ports and data (after kill/stop)
#   kafka.sh classpath        print the classpath (for MirrorMaker 2 / perf tools)
#
# Environment: FERRY_KAFKA_RUN (run directories; default .cache/kafka-run),
# FERRY_KAFKA_AUTO_CREATE (the broker's auto.create.topics.enable; default false,
# true = Kafka's stock default),
# FERRY_KAFKA_HEAP (default -Xmx384m -Xms128m), FERRY_KAFKA_START_TIMEOUT
# (seconds, default 60).
set -euo pipefail

KAFKA_VERSION=3.9.1 # keep in sync with <kafka.version> in pom.xml
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cache="$root/.cache/kafka-$KAFKA_VERSION"
libs="$cache/libs"
run_base="${FERRY_KAFKA_RUN:-$root/.cache/kafka-run}"
heap="${FERRY_KAFKA_HEAP:--Xmx384m -Xms128m}"
start_timeout="${FERRY_KAFKA_START_TIMEOUT:-60}"

die() { echo "kafka.sh: $*" >&2; exit 1; }

# The stamp holds the pom's checksum: a changed pom (new version or artifact)
# invalidates the cache, an unchanged one makes fetch a no-op without network.
fetch() {
    local sum
    sum=$(sha256sum "$here/pom.xml" | cut -d' ' -f1)
    if [ -f "$cache/.stamp" ] && [ "$(cat "$cache/.stamp")" = "$sum" ] \
        && compgen -G "$libs/kafka_2.13-$KAFKA_VERSION.jar" >/dev/null; then
        return 0
    fi
    command -v mvn >/dev/null || die "mvn not found (Debian: apt-get install maven)"
    command -v java >/dev/null || die "java not found (Debian: apt-get install openjdk-17-jre-headless)"
    echo "kafka.sh: fetching Apache Kafka $KAFKA_VERSION jars into $libs" >&2
    mkdir -p "$cache"
    local tmp="$cache/libs.tmp.$$"
    rm -rf "$tmp"
    # copy into a temporary dir and rename, so an interrupted fetch never
    # leaves a half-filled libs dir that a later run would trust
    mvn -q -B -f "$here/pom.xml" dependency:copy-dependencies \
        -DincludeScope=runtime -DoutputDirectory="$tmp" >&2 \
        || { rm -rf "$tmp"; die "mvn dependency:copy-dependencies failed"; }
    rm -rf "$libs"
    mv "$tmp" "$libs"
    echo "$sum" >"$cache/.stamp"
}

free_port() {
    # bind port 0 and report what the kernel chose; the window before Kafka
    # binds it is covered by the retry in start()
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

cluster_id() {
    # Kafka's Uuid.randomUuid: base64url of 16 random bytes, never starting with '-'
    python3 -c '
import base64, uuid
while True:
    s = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
    if not s.startswith("-"):
        print(s); break'
}

# True when PID is alive and is the broker JVM started for run dir $2: a
# recycled pid that belongs to someone else is never signalled.
is_ours() {
    local pid="$1" dir="$2"
    [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$dir/server.properties"
}

write_config() {
    local dir="$1" port="$2" cport="$3"
    cat >"$dir/server.properties" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$cport
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport
advertised.listeners=PLAINTEXT://127.0.0.1:$port
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$dir/data
num.partitions=1
auto.create.topics.enable=${FERRY_KAFKA_AUTO_CREATE:-false}
offsets.topic.replication.factor=1
offsets.topic.num.partitions=4
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=2
group.initial.rebalance.delay.ms=0
num.network.threads=2
num.io.threads=2
background.threads=2
log.cleaner.threads=1
log.cleaner.backoff.ms=500
log.cleaner.dedupe.buffer.size=8388608
log.retention.check.interval.ms=5000
log.segment.delete.delay.ms=1000
EOF
    cat >"$dir/log4j.properties" <<EOF
log4j.rootLogger=INFO, file
log4j.appender.file=org.apache.log4j.FileAppender
log4j.appender.file.File=$dir/logs/server.log
log4j.appender.file.layout=org.apache.log4j.PatternLayout
log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.request.logger=WARN
log4j.logger.org.apache.kafka.controller=INFO
log4j.logger.state.change.logger=WARN
EOF
}

# Ready = the broker logged that it started (KRaft: after it was unfenced)
# and accepts connections on its port, checked without Python: a shared
# venv being reinstalled must not make a healthy broker look dead. Fails
# early when the JVM dies (bad config, port taken). A restart appends to the
# same log, so only lines after `skip` count.
wait_ready() {
    local dir="$1" bootstrap="$2" pid="$3" skip="${4:-0}" deadline=$((SECONDS + start_timeout))
    local host="${bootstrap%:*}" port="${bootstrap##*:}"
    while [ $SECONDS -lt $deadline ]; do
        is_ours "$pid" "$dir" || return 2
        if tail -n +"$((skip + 1))" "$dir/logs/server.log" 2>/dev/null \
            | grep -q "Kafka Server started" \
            && (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null; then
            return 0
        fi
        sleep 0.2
    done
    return 1
}

start() {
    local name="$1" dir="$run_base/$1"
    [ -f "$libs/kafka_2.13-$KAFKA_VERSION.jar" ] || fetch
    if [ -f "$dir/pid" ] && is_ours "$(cat "$dir/pid")" "$dir"; then
        die "cluster '$name' already running (pid $(cat "$dir/pid"), $(cat "$dir/bootstrap"))"
    fi
    local attempt
    for attempt in 1 2 3; do
        rm -rf "$dir/data" "$dir/pid"
        mkdir -p "$dir/data" "$dir/logs"
        local port cport
        port=$(free_port); cport=$(free_port)
        [ "$port" != "$cport" ] || cport=$(free_port)
        write_config "$dir" "$port" "$cport"
        java -Xmx128m -cp "$libs/*" -Dlog4j.configuration="file:$dir/log4j.properties" \
            kafka.tools.StorageTool format -t "$(cluster_id)" -c "$dir/server.properties" \
            >"$dir/logs/format.log" 2>&1 || { cat "$dir/logs/format.log" >&2; die "format failed"; }
        # shellcheck disable=SC2086
        java $heap -XX:+UseSerialGC -Djava.awt.headless=true \
            -Dkafka.logs.dir="$dir/logs" -Dlog4j.configuration="file:$dir/log4j.properties" \
            -cp "$libs/*" kafka.Kafka "$dir/server.properties" \
            >"$dir/logs/stdout.log" 2>&1 </dev/null &
        local pid=$!
        echo "$pid" >"$dir/pid"
        echo "127.0.0.1:$port" >"$dir/bootstrap"
        local rc=0
        wait_ready "$dir" "127.0.0.1:$port" "$pid" || rc=$?
        if [ $rc -eq 0 ]; then
            echo "127.0.0.1:$port"
            return 0
        fi
        if [ $rc -eq 2 ] && [ "$attempt" -lt 3 ]; then
            # a port race ("Address already in use"), or the JVM died early on
            # a loaded machine: a fresh data dir and fresh ports, once more
            echo "kafka.sh: broker exited during start (attempt $attempt), retrying" >&2
            continue
        fi
        stop "$name" >/dev/null 2>&1 || true
        tail -n 40 "$dir/logs/server.log" "$dir/logs/stdout.log" >&2 2>/dev/null || true
        die "cluster '$name' not ready within ${start_timeout}s (logs in $dir/logs)"
    done
    die "cluster '$name': no free port pair after 3 attempts"
}

# A crash, as kill -9 of the broker: nothing is flushed or deregistered.
kill9() { end_broker "$1" 0; }

# The same config (ports) and data dir as before: clients that knew the
# cluster reconnect to it, and the log is what it was at the crash.
restart() {
    local name="$1" dir="$run_base/$1"
    [ -f "$dir/server.properties" ] || die "cluster '$name' was never started"
    if [ -f "$dir/pid" ] && is_ours "$(cat "$dir/pid")" "$dir"; then
        die "cluster '$name' already running"
    fi
    local skip
    skip=$(wc -l <"$dir/logs/server.log" 2>/dev/null || echo 0)
    # shellcheck disable=SC2086
    java $heap -XX:+UseSerialGC -Djava.awt.headless=true \
        -Dkafka.logs.dir="$dir/logs" -Dlog4j.configuration="file:$dir/log4j.properties" \
        -cp "$libs/*" kafka.Kafka "$dir/server.properties" \
        >>"$dir/logs/stdout.log" 2>&1 </dev/null &
    local pid=$!
    echo "$pid" >"$dir/pid"
    wait_ready "$dir" "$(cat "$dir/bootstrap")" "$pid" "$skip" \
        || die "cluster '$name' not ready after restart (logs in $dir/logs)"
    cat "$dir/bootstrap"
}

# a single-node KRaft shutdown takes a few seconds; past the deadline the
# data is throwaway, so SIGKILL is acceptable
stop() { end_broker "$1" 20; }

# End NAME's JVM: SIGTERM and up to GRACE seconds, then SIGKILL (GRACE 0: at once).
end_broker() {
    local name="$1" grace="$2" dir="$run_base/$1" pid
    [ -f "$dir/pid" ] || return 0
    pid=$(cat "$dir/pid")
    if is_ours "$pid" "$dir"; then
        [ "$grace" -gt 0 ] && { kill -TERM "$pid" 2>/dev/null || true; }
        local deadline=$((SECONDS + grace))
        while is_ours "$pid" "$dir" && [ $SECONDS -lt $deadline ]; do sleep 0.2; done
        if is_ours "$pid" "$dir"; then kill -KILL "$pid" 2>/dev/null || true; fi
        while is_ours "$pid" "$dir"; do sleep 0.1; done
    fi
    rm -f "$dir/pid"
}

cmd="${1:-}"
case "$cmd" in
fetch) fetch ;;
start) [ $# -eq 2 ] || die "usage: kafka.sh start NAME"; start "$2" ;;
stop) [ $# -eq 2 ] || die "usage: kafka.sh stop NAME"; stop "$2" ;;
status)
    [ $# -eq 2 ] || die "usage: kafka.sh status NAME"
    d="$run_base/$2"
    if [ -f "$d/pid" ] && is_ours "$(cat "$d/pid")" "$d"; then
        echo "running $(cat "$d/bootstrap")"
    else
        echo stopped; exit 1
    fi ;;
bootstrap) [ $# -eq 2 ] || die "usage: kafka.sh bootstrap NAME"; cat "$run_base/$2/bootstrap" ;;
logs) [ $# -eq 2 ] || die "usage: kafka.sh logs NAME"; echo "$run_base/$2/logs/server.log" ;;
kill) [ $# -eq 2 ] || die "usage: kafka.sh kill NAME"; kill9 "$2" ;;
restart) [ $# -eq 2 ] || die "usage: kafka.sh restart NAME"; restart "$2" ;;
clean) [ $# -eq 2 ] || die "usage: kafka.sh clean NAME"; stop "$2"; rm -rf "${run_base:?}/$2" ;;
classpath) [ -f "$libs/kafka_2.13-$KAFKA_VERSION.jar" ] || fetch; echo "$libs/*" ;;
version) echo "$KAFKA_VERSION" ;;
*) sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//'; [ -n "$cmd" ] && exit 2; exit 0 ;;
esac
