# SPDX-License-Identifier: Apache-2.0
"""`ferry dr status|failover` (issue 16): one control plane for topics
(ferry mirror between two real Kafka clusters) and schemas (a primary ferry
registry exporting into a DR ferry registry's context `.primary`).

Reference for the schema side: Confluent's Schema Linking failover — the DR
exporter's destination context goes IMPORT -> READWRITE
(io.confluent.schema.exporter... ModeResource PUT /mode/{subject}); for the
topic side the mirror's own failover report (mir_report.c)."""
import json
import threading
import time

import pytest
from confluent_kafka import Consumer, TopicPartition

from drkit import DrSite, avro_record, ferry_dr, ferry_dr_popen
from harness import (create_topic, end_offsets, produce, producer, read_all, strip_origin,
                     unique, wait_until)


@pytest.fixture
def site(kafka_run_dir):
    s = DrSite(kafka_run_dir)
    yield s
    s.stop()


class Producing:
    """A producer thread writing numbered records to `topic` until stopped;
    `acked` holds the values the source acknowledged."""

    def __init__(self, cluster, topic, partitions):
        self.p = producer(cluster, **{"linger.ms": 2})
        self.topic, self.partitions = topic, partitions
        self.acked, self.errors = set(), []
        self.stop_flag = threading.Event()
        self.t = threading.Thread(target=self.run, daemon=True)

    def run(self):
        i = 0
        while not self.stop_flag.is_set():
            v = b"r%09d" % i
            try:
                self.p.produce(self.topic, v, partition=i % self.partitions,
                               on_delivery=self.cb)
                i += 1
            except BufferError:
                pass
            self.p.poll(0.0005 if i % 50 else 0.002)
        self.p.flush(30)

    def cb(self, err, msg):
        if err:
            self.errors.append(err)
        else:
            self.acked.add(msg.value())

    def __enter__(self):
        self.t.start()
        wait_until(lambda: len(self.acked) > 200, 30, msg="producer running")
        return self

    def __exit__(self, *exc):
        self.stop_flag.set()
        self.t.join(60)
        assert not self.errors, self.errors[:3]


def commit(cluster, group, topic, offsets):
    c = Consumer({"bootstrap.servers": cluster.bootstrap, "group.id": group,
                  "enable.auto.commit": False})
    try:
        c.commit(offsets=[TopicPartition(topic, p, o) for p, o in enumerate(offsets)],
                 asynchronous=False)
    finally:
        c.close()


def committed(cluster, group, topic, n):
    c = Consumer({"bootstrap.servers": cluster.bootstrap, "group.id": group})
    try:
        return [tp.offset for tp in c.committed([TopicPartition(topic, p) for p in range(n)],
                                                timeout=10)]
    finally:
        c.close()


def column_starts(header, row, names):
    return [header.index(n) for n in names], [row.index(n) for n in names]


def test_status_one_screen_lagging_topic_and_scopes(kafka_src, kafka_dst, mirrors, site):
    """Every scope and topic on one screen; a paused, lagging topic is named
    as wrong with its lag in records and time; the RPO sums it."""
    a, b = unique("st-ok"), unique("st-lag")
    create_topic(kafka_src, a, 2)
    create_topic(kafka_src, b, 1)
    produce(kafka_src, a, [{"partition": i % 2, "value": b"a%d" % i} for i in range(100)])
    produce(kafka_src, b, [{"value": b"b%d" % i} for i in range(10)])
    subj = unique("orders-value")
    site.primary.register(subj, avro_record("Order", "a"))
    site.wait_replicated(subj, 1)
    m = mirrors(kafka_src, kafka_dst, topics=f"{a},{b}", groups_prefix="app").start()
    m.wait_caught_up(a, [50, 50])
    m.wait_caught_up(b, [10])
    cfg = site.write_conf(mirror=m)

    wait_until(lambda: ferry_dr("status", "--config", cfg, "--json")[0] == 0, 30,
               msg="status clean once caught up")
    assert m.request("POST", "pause", topic=b)[0] == 200
    produce(kafka_src, b, [{"value": b"late%d" % i} for i in range(25)])
    wait_until(lambda: m.topic_status(b)["partitions"][0]["source_end"] == 35, 15,
               msg="mirror sees the paused topic's end")

    code, st, _, err = ferry_dr("status", "--config", cfg, "--json")
    assert code == 1, err
    topics = {t["topic"]: t for t in st["topics"]}
    assert set(topics) == {a, b}
    assert topics[a]["state"] == "ACTIVE" and topics[a]["lag"] == 0
    assert "problem" not in topics[a]
    assert topics[b]["state"] == "PAUSED" and topics[b]["lag"] == 25
    assert topics[b]["rpo_records"] == 25 and "paused" in topics[b]["problem"]
    assert st["rpo"]["topic_records"] == 25
    assert [s["scope"] for s in st["scopes"]] == [".primary"]
    assert st["scopes"][0]["mode"] == "IMPORT" and "problem" not in st["scopes"][0]
    assert st["exporter"]["state"] == "RUNNING" and st["exporter"]["lag_records"] == 0
    assert st["rpo"]["schema_changes"] == 0
    assert st["mirror"]["source_reachable"] is True
    assert isinstance(st["mirror"]["group_sync_age_ms"], int)
    assert any(b in p and "paused" in p for p in st["problems"]), st["problems"]

    # the readable screen: aligned columns with units, and what is wrong in words
    code, _, out, _ = ferry_dr("status", "--config", cfg)
    assert code == 1
    lines = out.splitlines()
    hdr = next(i for i, ln in enumerate(lines) if ln.strip().startswith("TOPIC"))
    rows = [ln for ln in lines[hdr + 1:hdr + 3]]
    for row in rows:
        name = a if a in row else b
        assert row.index(name) == lines[hdr].index("TOPIC")
        assert row[lines[hdr].index("LAG TIME"):].split()[1] == "s", row
    brow = next(r for r in rows if b in r)
    assert "25 records" in brow and "paused" in brow
    assert "RPO if the primary died now: topics 25 records" in out
    assert "thing(s) wrong" in out

    # a primary that does not answer: said, and the schema lag is unknown
    site.primary.stop()
    code, st, _, _ = ferry_dr("status", "--config", cfg, "--json")
    assert code == 1
    assert st["primary"]["reachable"] is False and st["rpo"]["schema_changes"] is None
    assert any("primary registry unreachable" in p for p in st["problems"])
