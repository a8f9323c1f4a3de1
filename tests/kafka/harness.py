# SPDX-License-Identifier: Apache-2.0
"""Kafka test harness: real single-node KRaft clusters started by
scripts/kafka/kafka.sh, a `ferry mirror` process wrapper, and deadline-bounded
helpers (no fixed sleeps: everything polls a condition until a deadline).
Used by tests/kafka/conftest.py (session fixtures kafka_src / kafka_dst)."""
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor

from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, ConfigResource, NewTopic

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
KAFKA_SH = os.path.join(ROOT, "scripts", "kafka", "kafka.sh")
FERRY_BIN = os.environ.get("FERRY_BIN", os.path.join(ROOT, "ferry"))


def wait_until(pred, timeout=30.0, interval=0.1, msg="condition"):
    """Poll pred() until it returns a truthy value (returned) or the deadline passes."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        last = pred()
        if last:
            return last
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {msg} (last: {last!r})")
        time.sleep(interval)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def unique(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


class KafkaCluster:
    """One KRaft cluster started by kafka.sh in `run_dir`/`name`."""

    def __init__(self, name, run_dir, auto_create=False):
        self.name = name
        self.run_dir = run_dir
        self.bootstrap = None
        self.auto_create = auto_create

    def _env(self):
        env = dict(os.environ, FERRY_KAFKA_RUN=self.run_dir,
                   FERRY_KAFKA_AUTO_CREATE="true" if self.auto_create else "false")
        # a shared 2-core machine can take more than a minute to start a JVM
        env.setdefault("FERRY_KAFKA_START_TIMEOUT", "150")
        return env

    def start(self):
        out = subprocess.run([KAFKA_SH, "start", self.name], env=self._env(),
                             capture_output=True, text=True, timeout=480)
        if out.returncode != 0:
            raise RuntimeError(f"kafka.sh start {self.name} failed:\n{out.stderr[-3000:]}")
        self.bootstrap = out.stdout.strip().splitlines()[-1]
        return self

    def stop(self):
        subprocess.run([KAFKA_SH, "stop", self.name], env=self._env(), check=False,
                       capture_output=True, timeout=60)

    def kill9(self):
        """Crash the broker (SIGKILL): data and ports stay for restart()."""
        subprocess.run([KAFKA_SH, "kill", self.name], env=self._env(), check=True,
                       capture_output=True, timeout=60)

    def restart(self):
        out = subprocess.run([KAFKA_SH, "restart", self.name], env=self._env(),
                             capture_output=True, text=True, timeout=200)
        if out.returncode != 0:
            raise RuntimeError(f"kafka.sh restart {self.name} failed:\n{out.stderr[-3000:]}")
        return self

    def log_path(self):
        return os.path.join(self.run_dir, self.name, "logs", "server.log")

    def log_tail(self, n=60):
        try:
            with open(self.log_path(), errors="replace") as f:
                return "".join(f.readlines()[-n:])
        except OSError as e:
            return f"(no log: {e})"

    def admin(self):
        # an admin client is a producer handle: librdkafka would let its
        # metadata requests auto-create topics on a stock broker
        return AdminClient({"bootstrap.servers": self.bootstrap,
                            "allow.auto.create.topics": False})


def start_clusters(names, run_dir, auto_create=False):
    """Start several clusters in parallel (each JVM takes ~10 s to be ready)."""
    clusters = [KafkaCluster(n, run_dir, auto_create) for n in names]
    with ThreadPoolExecutor(len(clusters)) as ex:
        futs = [ex.submit(c.start) for c in clusters]
        errors = []
        for f in futs:
            try:
                f.result()
            except Exception as e:  # noqa: BLE001 - reported after cleanup
                errors.append(e)
    if errors:
        for c in clusters:
            c.stop()
        raise errors[0]
    return clusters


# ---------------------------------------------------------------- Kafka helpers

def create_topic(cluster, name, partitions=1, config=None):
    admin = cluster.admin()  # keep it alive until the futures resolve
    fs = admin.create_topics([NewTopic(name, partitions, 1, config=config or {})])
    for f in fs.values():
        f.result(30)
    # wait until the topic is visible with all partitions
    wait_until(lambda: len(cluster.admin().list_topics(name, timeout=5).topics[name].partitions)
               == partitions and not cluster.admin().list_topics(name, timeout=5).topics[name].error,
               timeout=30, msg=f"topic {name} visible")


def add_partitions(cluster, name, total):
    from confluent_kafka.admin import NewPartitions
    admin = cluster.admin()
    admin.create_partitions([NewPartitions(name, total)])[name].result(30)


def topic_partitions(cluster, name):
    md = cluster.admin().list_topics(name, timeout=5)
    t = md.topics.get(name)
    if t is None or t.error:
        return 0
    return len(t.partitions)


def topic_config(cluster, name):
    res = ConfigResource(ConfigResource.Type.TOPIC, name)
    admin = cluster.admin()
    cfg = admin.describe_configs([res])[res].result(30)
    return {k: v.value for k, v in cfg.items()}


def set_topic_config(cluster, name, config):
    """Set topic configs (a dict) on `cluster` (AlterConfigs: the whole set)."""
    res = ConfigResource("topic", name, set_config=config)
    admin = cluster.admin()  # alive until the futures resolve
    for f in admin.alter_configs([res]).values():
        f.result(30)


def producer(cluster, **extra):
    conf = {"bootstrap.servers": cluster.bootstrap, "linger.ms": 5, "enable.idempotence": True,
            "allow.auto.create.topics": False}
    conf.update(extra)
    return Producer(conf)


def produce(cluster, topic, records, **extra):
    """records: iterable of dicts(partition, key, value, headers, timestamp)."""
    p = producer(cluster, **extra)
    errors = []

    def cb(err, _msg):
        if err:
            errors.append(err)

    n = 0
    for r in records:
        kw = {k: v for k, v in r.items() if v is not None}
        while True:
            try:
                p.produce(topic, on_delivery=cb, **kw)
                break
            except BufferError:
                p.poll(0.05)
        n += 1
        if n % 1000 == 0:
            p.poll(0)
    left = p.flush(60)
    assert left == 0 and not errors, f"produce failed: left={left} errors={errors[:3]}"
    return n


def end_offsets(cluster, topic, committed=True):
    """End offsets per partition: the last stable offset (read_committed), or
    with committed=False the high watermark, open transactions included."""
    c = Consumer({"bootstrap.servers": cluster.bootstrap, "group.id": "ferry-test-watermarks",
                  "isolation.level": "read_committed" if committed else "read_uncommitted"})
    try:
        n = topic_partitions(cluster, topic)
        return [c.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1] for p in range(n)]
    finally:
        c.close()


# a topic just created has partitions before it has leaders: a watermark query
# then fails with one of these, which means "not yet", not an error
NOT_YET = (KafkaError.NOT_LEADER_FOR_PARTITION, KafkaError.LEADER_NOT_AVAILABLE,
           KafkaError.UNKNOWN_TOPIC_OR_PART, KafkaError._TIMED_OUT)


def end_offsets_or_none(cluster, topic):
    """end_offsets(), or None while a partition has no leader yet (a new topic)."""
    try:
        return end_offsets(cluster, topic)
    except KafkaException as e:
        if e.args and e.args[0].code() in NOT_YET:
            return None
        raise


def read_all(cluster, topic, timeout=60.0, expect=None):
    """Every record of every partition from the beginning up to the end offsets
    (or until `expect` records per partition, a dict, are read). Returns
    {partition: [msg...]} with msg = (offset, key, value, headers, timestamp)."""
    c = Consumer({"bootstrap.servers": cluster.bootstrap, "group.id": unique("ferry-test-read"),
                  "enable.auto.commit": False, "auto.offset.reset": "earliest",
                  "enable.partition.eof": False})
    try:
        n = topic_partitions(cluster, topic)
        ends = {}
        for p in range(n):
            lo, hi = c.get_watermark_offsets(TopicPartition(topic, p), timeout=10)
            ends[p] = hi
        out = {p: [] for p in range(n)}
        pos = {p: 0 for p in range(n)}
        c.assign([TopicPartition(topic, p, 0) for p in range(n)])
        deadline = time.monotonic() + timeout

        def done():
            if expect is not None:
                return all(len(out[p]) >= expect.get(p, 0) for p in range(n))
            return all(pos[p] >= ends[p] for p in range(n))

        while not done():
            if time.monotonic() > deadline:
                raise AssertionError(f"read_all {topic}: timed out, have "
                                     f"{ {p: len(v) for p, v in out.items()} } ends {ends}")
            for m in c.consume(1000, 0.2):
                if m.error():
                    continue
                ts = m.timestamp()[1]
                out[m.partition()].append((m.offset(), m.key(), m.value(),
                                           tuple(m.headers() or ()), ts))
                pos[m.partition()] = m.offset() + 1
            # a partition whose tail is a gap (markers, compaction) never delivers `hi - 1`
            for p in range(n):
                tp = c.position([TopicPartition(topic, p)])[0]
                if tp.offset >= 0:
                    pos[p] = max(pos[p], tp.offset)
        return out
    finally:
        c.close()


def strip_origin(headers):
    return tuple(h for h in headers if h[0] != "ferry.origin")


# ------------------------------------------------------------------- the mirror

class Mirror:
    """A `ferry mirror --config` process with its own config file and admin port."""

    def __init__(self, src, dst, workdir, name=None, **props):
        self.name = name or unique("m")
        self.admin_port = free_port()
        self.workdir = workdir
        self.conf_path = os.path.join(workdir, f"{self.name}.properties")
        self.log_path = os.path.join(workdir, f"{self.name}.log")
        base = {
            "source.bootstrap.servers": src.bootstrap,
            "destination.bootstrap.servers": dst.bootstrap,
            "mirror.name": self.name,
            "admin.listen": f"127.0.0.1:{self.admin_port}",
            "topics.refresh.interval.ms": 500,
            "groups.sync.interval.ms": 500,
            "offset.commit.interval.ms": 200,
            "topic.config.sync.interval.ms": 1000,
        }
        base.update({k.replace("_", "."): v for k, v in props.items()})
        with open(self.conf_path, "w") as f:
            for k, v in base.items():
                if v is not None:  # None: the mirror's own default
                    f.write(f"{k}={v}\n")
        self.proc = None
        self.log_file = None

    def start(self, wait=True):
        self.log_file = open(self.log_path, "ab")
        self.proc = subprocess.Popen([FERRY_BIN, "mirror", "--config", self.conf_path],
                                     stdout=self.log_file, stderr=subprocess.STDOUT)
        if wait:
            wait_until(self._ready, timeout=60, msg=f"mirror {self.name} admin endpoint")
        return self

    def _ready(self):
        if self.proc.poll() is not None:
            raise AssertionError(f"mirror exited with {self.proc.returncode}:\n{self.log_tail()}")
        try:
            return self.status() is not None
        except OSError:
            return False

    def request(self, method, path, timeout=90, **params):
        q = "&".join(f"{k}={v}" for k, v in params.items() if v is not None)
        url = f"http://127.0.0.1:{self.admin_port}/{path}" + (f"?{q}" if q else "")
        req = urllib.request.Request(url, method=method, data=b"" if method == "POST" else None)
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                return r.status, json.loads(r.read())
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"{}")

    def status(self, topic=None):
        code, body = self.request("GET", "status", topic=topic)
        assert code == 200, body
        return body

    def topic_status(self, topic):
        for t in self.status()["topics"]:
            if t["topic"] == topic:
                return t
        return None

    def wait_caught_up(self, topic, ends, timeout=60):
        """Wait until every partition of `topic` mirrored up to `ends` (list of end offsets)."""
        def ok():
            t = self.topic_status(topic)
            if not t or len(t["partitions"]) < len(ends):
                return False
            return all(p["mirrored"] >= ends[p["partition"]] for p in t["partitions"]
                       if p["partition"] < len(ends))
        return wait_until(ok, timeout=timeout, msg=f"{topic} mirrored up to {ends}")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        if self.log_file:
            self.log_file.close()
            self.log_file = None

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)
        if self.log_file:
            self.log_file.close()
            self.log_file = None

    def log_tail(self, n=80):
        try:
            with open(self.log_path, errors="replace") as f:
                return "".join(f.readlines()[-n:])
        except OSError:
            return ""


def new_workdir():
    return tempfile.mkdtemp(prefix="ferry-kafka-test-")


def remove_tree(path):
    shutil.rmtree(path, ignore_errors=True)
