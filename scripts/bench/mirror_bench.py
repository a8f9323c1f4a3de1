#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Topic-mirror benchmark (scripts/bench.sh scenario 8; issue 5).

Starts two single-node KRaft clusters with scripts/kafka/kafka.sh (source and
destination, in a temporary run dir), creates topic `bench` (8 partitions) on
the source and preloads it with --records records of --value-bytes bytes
(key = record number, value = key + filler, no headers, CreateTime
timestamps). Both brokers are warmed up first (records/10 records from an
idempotent producer into the destination, then an untimed rdk_copy of
records/10 source records), so the first copier does not pay for their JIT
and producer-id start-up, and dirty pages are synced before every timed copy.
Then the same records are copied by:

  bare   build/release/rdk_copy: librdkafka consume -> produce, no bookkeeping,
         ferry's default client settings                   -> `bare.bench`
  ferry  `ferry mirror` with its defaults (mirror.name, topics=bench[,bench-lag],
         topic.prefix=ferry., admin.listen set)             -> `ferry.bench`
  mm2    MirrorMaker 2, dedicated mode, IdentityReplicationPolicy, src->dst
         only, heartbeats and checkpoints off (MM2_PROPS)    -> `bench`

one copier at a time, each into its own pre-created destination topic (same
partition count), in the order --runs gives: by default bare, ferry, ferry,
bare, mm2 — the ABBA order cancels drift of the shared machine between the
two figures whose ratio is a target; a repeated copier writes to
`ferry2.bench`, `bare2.bench`, and its figure is the mean of its runs.

Throughput = value bytes (records x value size; keys, headers and batch
overhead not counted) / seconds from launching the copier until the
destination topic's high watermarks add up to --records (polled every 50 ms).
MB = 10^6 bytes. The same figure from the first record seen on the destination
("steady", start-up excluded) and the copier's CPU seconds are printed too.
After each copy the destination must hold exactly --records records, and the
last record of every partition must equal the source's (key, value, timestamp).

Lag: after its first copy, with the ferry mirror still running and caught
up, one warm-up record per partition goes through `bench-lag`, then
--lag-rate records/s of --value-bytes for --lag-seconds; a separate consumer
process reads `ferry.bench-lag` on the destination and records (receive wall
time - record timestamp); the mirror copies timestamps byte for byte. p50 /
p99 / max are printed. --lag-floor adds a consumer of the source topic: the
part of the figure that is not the mirror's.

Prints a table and `MIRROR_RESULT key=value ...`. Everything it starts (JVMs,
ferry, rdk_copy, the consumers) is stopped on exit; every wait is bounded.
Exit 1 when a step fails (a missed target only shows in the ratios).
Profiling: MIRROR_BENCH_WRAP_FERRY / MIRROR_BENCH_WRAP_BARE prefix a copier's
command (e.g. "perf record -g -o /tmp/ferry.data --").
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
KAFKA_SH = os.path.join(ROOT, "scripts", "kafka", "kafka.sh")
TOPIC = "bench"
LAG_TOPIC = "bench-lag"
WARMUP_TOPIC = "bench-warmup"
RATIO_MM2_TARGET = 2.0
RATIO_BARE_TARGET = 0.70

# MirrorMaker 2 settings, recorded here and in scripts/bench/README.md.
# Identity names, one direction, no heartbeats / checkpoints / group or ACL
# sync (ferry syncs no groups here either: none is selected). Offset syncs stay
# on: they are MM2's counterpart of ferry's offset map. The producer and
# consumer get the batching ferry's clients use (linger 20 ms, 1 MB batches,
# no compression, 4 MiB partition fetches); the rest of Connect's producer
# setup stays, as in any MM2 deployment (its log shows the task producers
# with acks=all, max.in.flight.requests.per.connection=1, idempotence off).
# --mm2-stock leaves out MM2_TUNED. tasks.max: --mm2-tasks (4: 2 partitions
# per task; 2 and 4 measured alike on the 2-core machine, 1 and 8 slower).
MM2_PROPS = """\
clusters = src, dst
src.bootstrap.servers = {src}
dst.bootstrap.servers = {dst}
src->dst.enabled = true
dst->src.enabled = false
src->dst.topics = {topic}
replication.policy.class = org.apache.kafka.connect.mirror.IdentityReplicationPolicy
tasks.max = {tasks}
emit.heartbeats.enabled = false
emit.checkpoints.enabled = false
sync.group.offsets.enabled = false
sync.topic.acls.enabled = false
refresh.groups.enabled = false
replication.factor = 1
checkpoints.topic.replication.factor = 1
heartbeats.topic.replication.factor = 1
offset-syncs.topic.replication.factor = 1
offset.storage.replication.factor = 1
status.storage.replication.factor = 1
config.storage.replication.factor = 1
"""
MM2_TUNED = """\
dst.producer.linger.ms = 20
dst.producer.batch.size = 1000000
dst.producer.max.request.size = 10485760
dst.producer.buffer.memory = 268435456
dst.producer.compression.type = none
src.consumer.max.partition.fetch.bytes = 4194304
src.consumer.fetch.max.bytes = 52428800
src.consumer.fetch.max.wait.ms = 100
src.consumer.max.poll.records = 2000
"""


def log(msg: str) -> None:
    print(f"mirror_bench: {msg}", flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(pred, timeout: float, what: str, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > deadline:
            raise SystemExit(f"mirror_bench: timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


def pct(sorted_vals: list[float], p: float) -> float:
    i = min(len(sorted_vals) - 1, max(0, int(round(p / 100.0 * len(sorted_vals) + 0.5)) - 1))
    return sorted_vals[i]


# ------------------------------------------------------------------ clusters

class Cluster:
    """One KRaft cluster run by kafka.sh inside this benchmark's run dir."""

    def __init__(self, name: str, run_dir: str):
        self.name = name
        self.env = dict(os.environ, FERRY_KAFKA_RUN=run_dir)
        self.bootstrap = ""

    def start(self) -> None:
        out = subprocess.run([KAFKA_SH, "start", self.name], env=self.env, capture_output=True,
                             text=True, timeout=240)
        if out.returncode != 0:
            raise RuntimeError(f"kafka.sh start {self.name} failed:\n{out.stderr[-2000:]}")
        self.bootstrap = out.stdout.strip().splitlines()[-1]

    def stop(self) -> None:
        subprocess.run([KAFKA_SH, "stop", self.name], env=self.env, capture_output=True,
                       timeout=90, check=False)


def start_clusters(run_dir: str) -> list[Cluster]:
    """Source and destination in parallel (a JVM takes ~10 s to answer)."""
    cs = [Cluster("src", run_dir), Cluster("dst", run_dir)]
    errors: list[BaseException] = []

    def go(c: Cluster) -> None:
        try:
            c.start()
        except BaseException as e:  # noqa: BLE001 - reported after both returned
            errors.append(e)

    ts = [threading.Thread(target=go, args=(c,)) for c in cs]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    if errors:
        for c in cs:
            c.stop()
        raise SystemExit(f"mirror_bench: {errors[0]}")
    return cs


def create_topics(bootstrap: str, names: list[str], partitions: int) -> None:
    admin = AdminClient({"bootstrap.servers": bootstrap})
    fs = admin.create_topics([NewTopic(n, partitions, 1) for n in names])
    for f in fs.values():
        f.result(30)

    def visible() -> bool:
        md = admin.list_topics(timeout=5)
        return all(n in md.topics and not md.topics[n].error
                   and len(md.topics[n].partitions) == partitions for n in names)
    wait_for(visible, 30, f"topics {names} on {bootstrap}")


class Watermarks:
    """High watermarks of one topic, asked of the leader (no cache)."""

    def __init__(self, bootstrap: str, topic: str, partitions: int):
        self.c = Consumer({"bootstrap.servers": bootstrap, "group.id": "mirror-bench-wm",
                           "enable.auto.commit": False})
        self.tps = [TopicPartition(topic, p) for p in range(partitions)]

    def ends(self) -> list[int] | None:
        """None while a leader does not answer (a topic just created, a leader
        moving): the caller polls again until its own deadline."""
        try:
            return [self.c.get_watermark_offsets(tp, timeout=5, cached=False)[1]
                    for tp in self.tps]
        except KafkaException:
            return None

    def total(self) -> int:
        ends = self.ends()
        return sum(ends) if ends is not None else -1

    def close(self) -> None:
        self.c.close()


# ------------------------------------------------------------------- preload

def preload(bootstrap: str, topic: str, n: int, size: int, partitions: int) -> float:
    """n records round-robin over the partitions; returns seconds taken."""
    p = Producer({"bootstrap.servers": bootstrap, "linger.ms": 50, "batch.size": 1000000,
                  "queue.buffering.max.kbytes": 1048576, "queue.buffering.max.messages": 500000,
                  "enable.idempotence": True, "compression.type": "none"})
    errors: list[str] = []

    def cb(err, _msg):
        if err:
            errors.append(str(err))

    # distinct bytes per record (the record number up front), so a copy that
    # mixed records up would be caught by the final comparison
    filler = bytes((i * 7 + 13) % 251 for i in range(size))
    t0 = time.monotonic()
    for i in range(n):
        key = b"%010d" % i
        value = key + filler[len(key):]
        while True:
            try:
                p.produce(topic, value, key, partition=i % partitions, on_delivery=cb)
                break
            except BufferError:
                p.poll(0.01)
        if i % 10000 == 0:
            p.poll(0)
    left = p.flush(120)
    if left or errors:
        raise SystemExit(f"mirror_bench: preload failed: {left} left, errors {errors[:3]}")
    return time.monotonic() - t0


# ------------------------------------------------------------------- copiers

class Proc:
    """A copier process with its log file; stopped by its own pid."""

    def __init__(self, name: str, argv: list[str], work: str, env=None):
        self.name = name
        self.log_path = os.path.join(work, f"{name}.log")
        self.log = open(self.log_path, "wb")
        self.p = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT, env=env,
                                  start_new_session=True)

    def alive(self) -> bool:
        return self.p.poll() is None

    def stop(self, grace: float = 30.0) -> None:
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
            try:
                self.p.wait(grace)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait(10)
        if not self.log.closed:
            self.log.close()

    def cpu_s(self) -> float:
        """CPU seconds the copier used so far: from /proc while it runs, else
        from the cpu_s= it printed (rdk_copy exits when done); -1 if unknown."""
        try:
            with open(f"/proc/{self.p.pid}/stat") as f:
                st = f.read().rsplit(")", 1)[1].split()
            if self.alive():
                return (int(st[11]) + int(st[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, IndexError, ValueError):
            pass
        self.p.wait(30)
        for line in self.tail(5).splitlines():
            for kv in line.split():
                if kv.startswith("cpu_s="):
                    return float(kv[6:])
        return -1.0

    def tail(self, n: int = 30) -> str:
        try:
            with open(self.log_path, errors="replace") as f:
                return "".join(f.readlines()[-n:])
        except OSError:
            return ""


def timed_copy(proc: Proc, wm: Watermarks, want: int, timeout: float, t0: float) -> dict:
    """Poll the destination until it holds `want` records; t0 is the launch time."""
    first = None
    deadline = t0 + timeout
    while True:
        have = wm.total()
        now = time.monotonic()
        if have > 0 and first is None:
            first = now
        if have >= want:
            break
        if now > deadline:
            proc.stop()
            raise SystemExit(f"mirror_bench: {proc.name}: destination holds {have} of {want} "
                             f"after {timeout:.0f} s\n{proc.tail()}")
        if not proc.alive() and proc.p.returncode != 0:
            raise SystemExit(f"mirror_bench: {proc.name} exited with {proc.p.returncode}\n"
                             f"{proc.tail()}")
        time.sleep(0.05)
    return {"total_s": now - t0, "steady_s": now - (first or t0), "records": have,
            "cpu_s": proc.cpu_s()}


def verify_tail(src_bs: str, dst_bs: str, src_topic: str, dst_topic: str, partitions: int,
                src_ends: list[int], dst_ends: list[int]) -> str | None:
    """The last record of every partition matches (key, value, timestamp); None when all do."""
    def last(bs: str, topic: str, ends: list[int]) -> dict:
        c = Consumer({"bootstrap.servers": bs, "group.id": "mirror-bench-verify",
                      "enable.auto.commit": False})
        try:
            c.assign([TopicPartition(topic, p, ends[p] - 1) for p in range(partitions)])
            got: dict = {}
            deadline = time.monotonic() + 30
            while len(got) < partitions and time.monotonic() < deadline:
                m = c.poll(0.5)
                if m is None or m.error():
                    continue
                got.setdefault(m.partition(), (m.key(), m.value(), m.timestamp()[1]))
            return got
        finally:
            c.close()
    a = last(src_bs, src_topic, src_ends)
    b = last(dst_bs, dst_topic, dst_ends)
    for p in range(partitions):
        if p not in a or p not in b:
            return f"partition {p}: last record not read"
        if a[p] != b[p]:
            return f"partition {p}: last records differ (key {a[p][0]!r} vs {b[p][0]!r})"
    return None


def run_copy(name: str, argv: list[str], a, work: str, src: Cluster, dst: Cluster,
             dst_topic: str, src_ends: list[int], env=None, keep=False):
    """Launch a copier, time it, check the copy; returns (result, proc) — proc
    still running when `keep`, else stopped."""
    wm = Watermarks(dst.bootstrap, dst_topic, a.partitions)
    try:
        log(f"{name}: copying {a.records} records into {dst_topic}")
        t0 = time.monotonic()
        proc = Proc(name, argv, work, env)
        try:
            r = timed_copy(proc, wm, a.records, a.copy_timeout, t0)
            dst_ends = wait_for(wm.ends, 30, f"{dst_topic} end offsets")
        except BaseException:
            proc.stop()
            raise
    finally:
        wm.close()
    if not keep:
        proc.stop()
    r["mb_s"] = a.records * a.value_bytes / 1e6 / r["total_s"]
    r["steady_mb_s"] = a.records * a.value_bytes / 1e6 / max(r["steady_s"], 1e-3)
    if r["records"] != a.records:
        r["error"] = f"{name}: destination holds {r['records']} records, expected {a.records}"
    else:
        r["error"] = verify_tail(src.bootstrap, dst.bootstrap, TOPIC, dst_topic, a.partitions,
                                 src_ends, dst_ends)
    log(f"{name}: {r['records']} records in {r['total_s']:.2f} s = {r['mb_s']:.1f} MB/s "
        f"(from the first record on: {r['steady_s']:.2f} s = {r['steady_mb_s']:.1f} MB/s), "
        f"CPU {r['cpu_s']:.1f} s, load average {os.getloadavg()[0]:.1f}"
        + (f"; ERROR {r['error']}" if r["error"] else "; last records identical"))
    return r, proc


def ferry_conf(path: str, src: Cluster, dst: Cluster, admin_port: int, k: int, prefix: str,
               with_lag: bool) -> None:
    """ferry's defaults but for what names the run: its own mirror.name (a
    second run must not resume from the first one's positions) and prefix."""
    topics = f"{TOPIC},{LAG_TOPIC}" if with_lag else TOPIC
    with open(path, "w") as f:
        f.write(f"source.bootstrap.servers={src.bootstrap}\n"
                f"destination.bootstrap.servers={dst.bootstrap}\n"
                f"mirror.name=bench{k}\n"
                f"topics={topics}\n"
                f"topic.prefix={prefix}\n"
                f"admin.listen=127.0.0.1:{admin_port}\n")


def mm2_files(work: str, src: Cluster, dst: Cluster, tasks: int, tuned: bool) -> tuple[str, str]:
    props = os.path.join(work, "mm2.properties")
    with open(props, "w") as f:
        f.write(MM2_PROPS.format(src=src.bootstrap, dst=dst.bootstrap, topic=TOPIC, tasks=tasks))
        if tuned:
            f.write(MM2_TUNED)
    l4j = os.path.join(work, "mm2-log4j.properties")
    with open(l4j, "w") as f:
        f.write("log4j.rootLogger=INFO, file\n"
                "log4j.appender.file=org.apache.log4j.FileAppender\n"
                f"log4j.appender.file.File={work}/mm2-connect.log\n"
                "log4j.appender.file.layout=org.apache.log4j.PatternLayout\n"
                "log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n\n")
    return props, l4j


# ----------------------------------------------------------------------- lag

WARM_KEY = b"warm-up"


def lag_consume(a) -> int:
    """Child process: read the lag topic from offset 0. Prints "ready" once a
    warm-up record (key WARM_KEY) arrived from every partition — the fetch
    path is then live end to end, so a slow first fetch is not counted as lag
    — then one JSON line with the lag (receive time - record timestamp) of
    the next --count records."""
    c = Consumer({"bootstrap.servers": a.bootstrap, "group.id": "mirror-bench-lag",
                  "enable.auto.commit": False, "fetch.wait.max.ms": 10,
                  "enable.partition.eof": False})
    c.assign([TopicPartition(a.topic, p, 0) for p in range(a.partitions)])
    warm: set[int] = set()
    lags: list[int] = []
    stamps: list[int] = []
    deadline = time.monotonic() + a.timeout
    while len(lags) < a.count and time.monotonic() < deadline:
        m = c.poll(0.2)  # returns at once when a record is queued
        if m is None or m.error():
            continue
        now_ms = time.time_ns() // 1_000_000
        if m.key() == WARM_KEY:
            warm.add(m.partition())
            if len(warm) == a.partitions:
                print("ready", flush=True)
            continue
        lags.append(now_ms - m.timestamp()[1])
        stamps.append(m.timestamp()[1])
    c.close()
    if a.dump:
        with open(a.dump, "w") as f:
            f.writelines(f"{t} {lag}\n" for t, lag in zip(stamps, lags))
    lags.sort()
    out = {"received": len(lags)}
    if lags:
        out.update(p50=pct(lags, 50), p99=pct(lags, 99), max=lags[-1],
                   mean=sum(lags) / len(lags))
    print(json.dumps(out), flush=True)
    return 0 if len(lags) == a.count else 1


def lag_consumer(a, bootstrap: str, topic: str, n: int) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, os.path.abspath(__file__), "lag-consume", "--bootstrap", bootstrap,
         "--topic", topic, "--partitions", str(a.partitions), "--count", str(n),
         "--timeout", str(a.lag_seconds + 90)]
        + (["--dump", f"{os.environ['MIRROR_BENCH_LAG_DUMP']}.{topic}"]
           if os.environ.get("MIRROR_BENCH_LAG_DUMP") else []),
        stdout=subprocess.PIPE, text=True, start_new_session=True)


def wait_ready(children: list[subprocess.Popen], timeout: float) -> None:
    """Each child prints "ready" after the warm-up records reached it."""
    for child in children:
        box: list[str] = []
        t = threading.Thread(target=lambda c=child: box.append(c.stdout.readline()), daemon=True)
        t.start()
        t.join(timeout)
        if not box or box[0].strip() != "ready":
            raise SystemExit("mirror_bench: lag consumer got no warm-up record "
                             f"within {timeout:.0f} s")


def lag_result(child: subprocess.Popen, a) -> dict:
    out, _ = child.communicate(timeout=a.lag_seconds + 90)
    return json.loads(out.strip().splitlines()[-1])


def lag_run(a, src: Cluster, dst: Cluster) -> dict:
    """Steady stream on the source's lag topic, measured on the mirror's copy
    (and, with --lag-floor, on the source topic itself: the part of the figure
    that is the producer's and the measuring consumer's, not the mirror's)."""
    n = int(a.lag_rate * a.lag_seconds)
    children = []
    try:
        children.append(lag_consumer(a, dst.bootstrap, "ferry." + LAG_TOPIC, n))
        if a.lag_floor:
            children.append(lag_consumer(a, src.bootstrap, LAG_TOPIC, n))
        # librdkafka's default linger (5 ms): a shorter one floods the source
        # broker with tiny requests, and that, not the mirror, becomes the figure
        p = Producer({"bootstrap.servers": src.bootstrap, "linger.ms": 5,
                      "enable.idempotence": True})
        # one warm-up record per partition, through the mirror to the consumers:
        # producer id, connections, fetchers and the mirror's partitions are all
        # live before the first timed record
        for part in range(a.partitions):
            p.produce(LAG_TOPIC, b"", WARM_KEY, partition=part)
        if p.flush(30):
            raise SystemExit("mirror_bench: lag producer could not start")
        wait_ready(children, 60)
        value = bytes(a.value_bytes)
        log(f"lag: {a.lag_rate:.0f} records/s of {a.value_bytes} B for {a.lag_seconds:.0f} s "
            f"into {LAG_TOPIC}")
        t0 = time.monotonic()
        sent = 0
        while sent < n:
            due = min(n, int((time.monotonic() - t0) * a.lag_rate))
            while sent < due:
                try:
                    p.produce(LAG_TOPIC, value, partition=sent % a.partitions)
                    sent += 1
                except BufferError:
                    p.poll(0.001)
            p.poll(0)
            time.sleep(0.001)
        produce_s = time.monotonic() - t0
        if p.flush(30):
            raise SystemExit("mirror_bench: lag producer could not flush")
        res = lag_result(children[0], a)
        floor = lag_result(children[1], a) if a.lag_floor else None
    finally:
        for child in children:
            if child.poll() is None:
                child.kill()
                child.wait(10)
    res["rate"] = n / produce_s
    if res["received"] != n:
        raise SystemExit(f"mirror_bench: lag consumer received {res['received']} of {n}")
    log(f"lag: {n} records at {res['rate']:.0f}/s: p50 {res['p50']} ms, p99 {res['p99']} ms, "
        f"max {res['max']} ms")
    if floor and floor.get("received"):
        res["floor"] = floor
        log(f"lag floor (source topic read directly): p50 {floor['p50']} ms, "
            f"p99 {floor['p99']} ms, max {floor['max']} ms")
    return res


# ---------------------------------------------------------------------- main

def args():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd")
    lc = sub.add_parser("lag-consume")
    lc.add_argument("--bootstrap", required=True)
    lc.add_argument("--topic", required=True)
    lc.add_argument("--partitions", type=int, required=True)
    lc.add_argument("--count", type=int, required=True)
    lc.add_argument("--timeout", type=float, required=True)
    lc.add_argument("--dump", help="write 'timestamp_ms lag_ms' per record to this file")
    bin_dir = os.path.join(ROOT, "build", "release")
    ap.add_argument("--ferry", default=os.environ.get("FERRY_BIN",
                                                      os.path.join(bin_dir, "ferry")))
    ap.add_argument("--rdk-copy", default=os.environ.get("RDK_COPY_BIN", ""))
    ap.add_argument("--records", type=int, default=1_000_000)
    ap.add_argument("--value-bytes", type=int, default=1024)
    ap.add_argument("--partitions", type=int, default=8)
    ap.add_argument("--mm2-tasks", type=int, default=int(os.environ.get("MM2_TASKS", "4")))
    ap.add_argument("--mm2-stock", action="store_true",
                    help="MM2 with Connect's stock producer/consumer settings")
    ap.add_argument("--runs", default=os.environ.get("MIRROR_BENCH_RUNS",
                                                     "bare,ferry,ferry,bare,mm2"),
                    help="copies, in order: bare, ferry (repeatable), mm2 (once)")
    ap.add_argument("--lag-rate", type=float, default=20000.0)
    ap.add_argument("--lag-seconds", type=float, default=10.0)
    ap.add_argument("--lag-floor", action="store_true",
                    help="also read the source lag topic directly (one more process)")
    ap.add_argument("--copy-timeout", type=float, default=240.0)
    ap.add_argument("--keep", action="store_true", help="keep the work dir (logs, data)")
    return ap.parse_args()


def check_tools(a) -> None:
    if not a.rdk_copy:
        a.rdk_copy = os.path.join(os.path.dirname(os.path.abspath(a.ferry)), "rdk_copy")
    for b in (a.ferry, a.rdk_copy):
        if not os.access(b, os.X_OK):
            raise SystemExit(f"mirror_bench: no executable {b} (make bench builds it)")
    if not shutil.which("java"):
        raise SystemExit("mirror_bench: java not found (scripts/deps.sh kafka)")


def warm_copy(a, work: str, src: Cluster, dst: Cluster, n: int) -> None:
    """An untimed copy of the first n records (into the warm-up topic): the
    source broker's fetch path gets its JIT and the first timed copier no
    longer pays for it — it would otherwise always be the bare loop."""
    t = time.monotonic()
    out = subprocess.run([a.rdk_copy, "--source", src.bootstrap, "--destination", dst.bootstrap,
                          "--topic", TOPIC, "--to-topic", WARMUP_TOPIC, "--partitions",
                          str(a.partitions), "--count", str(n), "--timeout-s", "120"],
                         capture_output=True, text=True, timeout=180)
    if out.returncode != 0:
        raise SystemExit(f"mirror_bench: warm-up copy failed:\n{out.stderr[-2000:]}")
    log(f"warm-up copy of {n} records in {time.monotonic() - t:.1f} s")


def settle() -> None:
    """Flush the previous step's dirty pages (1 GB per copy) before the next
    timed copy, so that no copier runs while the kernel writes back another's."""
    t = time.monotonic()
    os.sync()
    if time.monotonic() - t > 1:
        log(f"sync took {time.monotonic() - t:.1f} s")


def plan(runs: list[str]) -> list[tuple[str, int, str]]:
    """(copier, round, destination topic) per run; a copier run twice writes
    to a second topic (`ferry2.bench`), so every run copies the same records."""
    out, seen = [], {}
    for name in runs:
        if name not in ("bare", "ferry", "mm2"):
            raise SystemExit(f"mirror_bench: unknown copier {name}")
        k = seen[name] = seen.get(name, 0) + 1
        if name == "mm2" and k > 1:
            raise SystemExit("mirror_bench: mm2 runs once (identity names: one `bench`)")
        topic = TOPIC if name == "mm2" else f"{name}{k if k > 1 else ''}.{TOPIC}"
        out.append((name, k, topic))
    return out


def wrap(name: str) -> list[str]:
    """MIRROR_BENCH_WRAP_FERRY="perf record -g -o /tmp/ferry.data --" (or _BARE)
    runs that copier under a profiler; its CPU figure is then the wrapper's."""
    return os.environ.get(f"MIRROR_BENCH_WRAP_{name.upper()}", "").split()


def copy_run(a, work: str, src: Cluster, dst: Cluster, name: str, k: int, topic: str,
             src_ends: list[int]):
    """One timed copy; the first ferry run also measures the lag."""
    if name == "bare":
        argv = [a.rdk_copy, "--source", src.bootstrap, "--destination", dst.bootstrap,
                "--topic", TOPIC, "--to-topic", topic, "--partitions", str(a.partitions),
                "--count", str(a.records)]
        return run_copy(f"bare#{k}", wrap("bare") + argv, a, work, src, dst, topic,
                        src_ends)[0], None
    if name == "mm2":
        props, l4j = mm2_files(work, src, dst, a.mm2_tasks, not a.mm2_stock)
        cp = subprocess.run([KAFKA_SH, "classpath"], capture_output=True, text=True,
                            check=True, timeout=600).stdout.strip()
        argv = ["java", "-Xms256m", "-Xmx1g", "-XX:+UseParallelGC", "-Djava.awt.headless=true",
                f"-Dlog4j.configuration=file:{l4j}", "-cp", cp,
                "org.apache.kafka.connect.mirror.MirrorMaker", props, "--clusters", "dst"]
        return run_copy("mm2", argv, a, work, src, dst, topic, src_ends)[0], None
    with_lag = k == 1 and a.lag_seconds > 0
    conf = os.path.join(work, f"ferry{k}-mirror.properties")
    ferry_conf(conf, src, dst, free_port(), k, topic[:-len(TOPIC)], with_lag)
    r, proc = run_copy(f"ferry#{k}", wrap("ferry") + [a.ferry, "mirror", "--config", conf], a,
                       work, src, dst, topic, src_ends, keep=True)
    try:
        lag = lag_run(a, src, dst) if with_lag else None
    finally:
        proc.stop()
    return r, lag


def main() -> int:
    a = args()
    if a.cmd == "lag-consume":
        return lag_consume(a)
    check_tools(a)
    # SIGTERM (bench.sh's timeout, a kill) unwinds like Ctrl-C: the finally
    # blocks stop the JVMs and copiers this run started
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    runs = plan([r.strip() for r in a.runs.split(",") if r.strip()])
    work = tempfile.mkdtemp(prefix="ferry-mirror-bench.")
    clusters: list[Cluster] = []
    ok = False
    try:
        t = time.monotonic()
        clusters = start_clusters(os.path.join(work, "kafka-run"))
        src, dst = clusters
        log(f"source {src.bootstrap}, destination {dst.bootstrap} "
            f"(started in {time.monotonic() - t:.1f} s), work dir {work}")
        create_topics(src.bootstrap, [TOPIC, LAG_TOPIC, WARMUP_TOPIC], a.partitions)
        create_topics(dst.bootstrap, [t for _, _, t in runs]
                      + ["ferry." + LAG_TOPIC, WARMUP_TOPIC], a.partitions)
        warm = max(1, a.records // 10)
        took = preload(dst.bootstrap, WARMUP_TOPIC, warm, a.value_bytes, a.partitions)
        log(f"destination warmed up with {warm} records in {took:.1f} s")
        took = preload(src.bootstrap, TOPIC, a.records, a.value_bytes, a.partitions)
        wm = Watermarks(src.bootstrap, TOPIC, a.partitions)
        src_ends = wait_for(wm.ends, 30, "source end offsets")
        wm.close()
        if sum(src_ends) != a.records:
            raise SystemExit(f"mirror_bench: source holds {sum(src_ends)} records")
        log(f"preloaded {a.records} x {a.value_bytes} B in {took:.1f} s "
            f"({a.records * a.value_bytes / 1e6 / took:.0f} MB/s)")
        warm_copy(a, work, src, dst, warm)
        res: dict[str, list[dict]] = {}
        lag = None
        for name, k, topic in runs:
            settle()
            r, run_lag = copy_run(a, work, src, dst, name, k, topic, src_ends)
            res.setdefault(name, []).append(r)
            lag = lag or run_lag
        report(a, res, lag)
        ok = not any(r.get("error") for rs in res.values() for r in rs)
    finally:
        for c in clusters:
            c.stop()
        if a.keep or not ok:
            print(f"mirror_bench: logs and data kept in {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 0 if ok else 1


def mean(rs: list[dict], key: str) -> float:
    return sum(r[key] for r in rs) / len(rs)


def report(a, res: dict, lag) -> None:
    print()
    print(f"{a.records} records x {a.value_bytes} B values, {a.partitions} partitions; "
          "MB/s = 10^6 value bytes/s, from launch until the destination holds them all "
          "(mean over the runs)")
    print(f"{'copier':<10} {'MB/s':>8} {'runs MB/s':>20} {'steady MB/s':>12} {'CPU s':>7}")
    kv = {}
    for name, rs in res.items():
        each = " ".join(f"{r['mb_s']:.1f}" for r in rs)
        print(f"{name:<10} {mean(rs, 'mb_s'):>8.1f} {each:>20} {mean(rs, 'steady_mb_s'):>12.1f} "
              f"{mean(rs, 'cpu_s'):>7.1f}")
        kv[f"{name}_cpu_s"] = f"{mean(rs, 'cpu_s'):.2f}"
        kv[f"{name}_mb_s"] = f"{mean(rs, 'mb_s'):.1f}"
        kv[f"{name}_steady_mb_s"] = f"{mean(rs, 'steady_mb_s'):.1f}"
        kv[f"{name}_s"] = f"{mean(rs, 'total_s'):.2f}"
    if "ferry" in res and "mm2" in res:
        kv["ferry_mm2"] = f"{mean(res['ferry'], 'mb_s') / mean(res['mm2'], 'mb_s'):.2f}"
        print(f"ferry / MM2        {kv['ferry_mm2']:>6}  (target >= {RATIO_MM2_TARGET})")
    if "ferry" in res and "bare" in res:
        kv["ferry_bare"] = f"{mean(res['ferry'], 'mb_s') / mean(res['bare'], 'mb_s'):.2f}"
        print(f"ferry / bare loop  {kv['ferry_bare']:>6}  (target >= {RATIO_BARE_TARGET})")
    if lag:
        kv.update(lag_p50_ms=lag["p50"], lag_p99_ms=lag["p99"], lag_max_ms=lag["max"],
                  lag_rate=f"{lag['rate']:.0f}")
        print(f"ferry end-to-end lag at {lag['rate']:.0f} records/s: p50 {lag['p50']} ms, "
              f"p99 {lag['p99']} ms, max {lag['max']} ms")
        if lag.get("floor"):
            kv.update(floor_p50_ms=lag["floor"]["p50"], floor_p99_ms=lag["floor"]["p99"])
    for rs in res.values():
        for r in rs:
            if r.get("error"):
                print(f"ERROR: {r['error']}")
    print("MIRROR_RESULT " + " ".join(f"{k}={v}" for k, v in kv.items()))


if __name__ == "__main__":
    sys.exit(main())
