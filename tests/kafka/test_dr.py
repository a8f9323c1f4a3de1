# SPDX-License-Identifier: Apache-2.0
"""`ferry dr status|failover` (issue 16): one control plane for topics
(ferry mirror between two real Kafka clusters) and schemas (a primary ferry
registry exporting into a DR ferry registry's context `.primary`).

Reference for the schema side: Confluent's Schema Linking failover — the DR
exporter's destination context goes IMPORT -> READWRITE through
io.confluent.kafka.schemaregistry.rest.resources.ModeResource.updateMode
(PUT /mode/{subject}, read back with getMode(defaultToGlobal)); the planned
variant puts the primary READONLY through ModeResource.updateTopLevelMode.
For the topic side the mirror's own failover report (mir_report.c)."""
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


def values_by_partition(recs):
    return {p: [r[2] for r in v] for p, v in recs.items()}


def test_unplanned_failover_with_producers_running_reports_what_is_really_missing(
        kafka_src, kafka_dst, mirrors, site):
    """Unplanned: while producers write, `ferry dr failover` syncs the groups
    once more (the source answers), stops every mirror topic, switches the
    DR scope; the records it reports lost are exactly those the source holds
    below the end offsets it saw and the destination does not."""
    t = unique("unpl")
    create_topic(kafka_src, t, 2)
    subj = unique("pay-value")
    site.primary.register(subj, avro_record("Pay", "a"))
    site.wait_replicated(subj, 1)
    # a slow destination path keeps the mirror behind; groups sync only when asked
    m = mirrors(kafka_src, kafka_dst, topics=t, groups_prefix="app",
                groups_sync_interval_ms=600000, destination_linger_ms=100,
                destination_batch_size=16384,
                destination_max_in_flight_requests_per_connection=1,
                destination_batch_num_messages=10).start()
    cfg = site.write_conf(mirror=m)
    grp = unique("app-grp")
    with Producing(kafka_src, t, 2):
        wait_until(lambda: (m.topic_status(t) or {}).get("partitions") and
                   all(p["mirrored"] > 150 for p in m.topic_status(t)["partitions"]),
                   60, msg="copy under way")
        # committed after the mirror's first sync: only the final sync can carry it
        commit(kafka_src, grp, t, [100, 100])
        code, rep, out, err = ferry_dr("failover", "--config", cfg, "--json")
    assert code == 0, out + err
    steps = {s["step"]: s for s in rep["steps"]}
    assert list(steps) == ["before", "group_sync", "mirror_failover", "registry"]
    assert all(s["ok"] and s["earlier_run"] is False for s in steps.values()), steps
    assert steps["group_sync"]["synced"] is True, steps["group_sync"]
    translated = committed(kafka_dst, grp, t, 2)
    assert all(0 < o <= 100 for o in translated), translated

    [tr] = rep["topics"]
    assert tr["topic"] == t and tr["operation"] == "failover"
    assert rep["topic_records_lost"] == tr["lost_records"]
    assert tr["lost_records"] > 0, "the mirror had caught up: nothing was in doubt"
    assert m.topic_status(t)["state"] == "STOPPED"
    src = read_all(kafka_src, t)
    dst = values_by_partition(read_all(kafka_dst, t))
    really_missing = 0
    for p in tr["partitions"]:
        n, end = p["mirrored"], p["source_end"]
        srcv = [r[2] for r in src[p["partition"]]]
        assert dst[p["partition"]] == srcv[:n]  # nothing skipped, nothing after the answer
        gone = [v for v in srcv[:end] if v not in set(dst[p["partition"]])]
        assert p["lost_records"] == len(gone) == end - n
        really_missing += len(gone)
    assert really_missing == tr["lost_records"]

    # the schema side: DR accepts writes, the exporter is paused, nothing was behind
    assert rep["scopes"] == [{"scope": ".primary", "before": "IMPORT", "after": "READWRITE",
                              "switched": True}]
    assert rep["schema_changes_lost"] == 0
    assert site.dr.register(f":.primary:{subj}", avro_record("Pay", "a", "b")) > 0
    assert site.primary.req("GET", "/exporters/to-dr/status")[1]["state"] == "PAUSED"
    assert isinstance(rep["rto_ms"], int) and rep["rto_ms"] >= 0
    assert site.journal()["state"] == "done"

    # idempotent: a second run reports the finished failover and changes nothing
    code, rep2, _, err = ferry_dr("failover", "--config", cfg, "--json")
    assert code == 0, err
    assert rep2["already_done"] is True and rep2["rto_ms"] == rep["rto_ms"]
    assert all(s["earlier_run"] for s in rep2["steps"])
    code, _, out, _ = ferry_dr("failover", "--config", cfg)
    assert code == 0 and "completed by an earlier run" in out and "RTO" in out
    assert f"{tr['lost_records']} records" in out


def test_planned_failover_refused_names_the_lagging_topic_and_restores_primary(
        kafka_src, kafka_dst, mirrors, site):
    """--planned never fails over with a topic behind: after the timeout it
    refuses, names the topic, and gives the primary its mode back."""
    a, b = unique("pl-ok"), unique("pl-lag")
    subj = unique("ref-value")
    site.primary.register(subj, avro_record("Ref", "a"))
    site.wait_replicated(subj, 1)
    create_topic(kafka_src, a, 1)
    create_topic(kafka_src, b, 1)
    produce(kafka_src, a, [{"value": b"a%d" % i} for i in range(20)])
    produce(kafka_src, b, [{"value": b"b%d" % i} for i in range(20)])
    m = mirrors(kafka_src, kafka_dst, topics=f"{a},{b}").start()
    m.wait_caught_up(a, [20])
    m.wait_caught_up(b, [20])
    assert m.request("POST", "pause", topic=b)[0] == 200
    produce(kafka_src, b, [{"value": b"late%d" % i} for i in range(7)])
    wait_until(lambda: m.topic_status(b)["partitions"][0]["source_end"] == 27, 15,
               msg="mirror sees b's end")
    cfg = site.write_conf(mirror=m)
    code, rep, out, err = ferry_dr("failover", "--config", cfg, "--planned", "--timeout-ms",
                                   "2500", "--json")
    assert code == 1, out + err
    assert "refused" in rep["refused"] and "drain" in rep["refused"]
    assert any(b in x and "7 records" in x for x in rep["behind"]), rep["behind"]
    assert not any(a in x for x in rep["behind"]), rep["behind"]
    assert rep["restored"] == [{"scope": ".", "mode": "READWRITE"}]
    assert site.primary.mode("") == "READWRITE"
    assert site.dr.mode(":.primary:") == "IMPORT"
    assert {t["topic"]: t["state"] for t in m.status()["topics"]} == {a: "ACTIVE", b: "PAUSED"}
    assert site.journal()["state"] == "refused"
    # refused is final: the next run starts anew, and says it in words
    code, _, out, _ = ferry_dr("failover", "--config", cfg, "--planned", "--timeout-ms", "1500")
    assert code == 1
    assert f"behind: topic {b}: PAUSED, 7 records behind" in out, out
    assert "primary scope . back to READWRITE" in out


def test_planned_failover_loses_nothing_and_resumes_after_kill9(kafka_src, kafka_dst, mirrors,
                                                               site, kafka_run_dir):
    """--planned with the producers still running waits (primary READONLY);
    kill -9 of the command there, stop the producers, run it again: it
    resumes from its journal, keeps the primary's original mode, and the
    destination holds every record the source acknowledged."""
    t = unique("plan")
    create_topic(kafka_src, t, 2)
    subj = unique("plan-value")
    site.primary.register(subj, avro_record("Plan", "a"))
    site.wait_replicated(subj, 1)
    m = mirrors(kafka_src, kafka_dst, topics=t, groups_prefix="app").start()
    cfg = site.write_conf(mirror=m)
    log = open(f"{kafka_run_dir}/{t}-dr.log", "wb")
    with Producing(kafka_src, t, 2) as prod:
        wait_until(lambda: (m.topic_status(t) or {}).get("partitions") and
                   all(p["mirrored"] > 100 for p in m.topic_status(t)["partitions"]),
                   60, msg="copy under way")
        proc = ferry_dr_popen("failover", "--config", cfg, "--planned", "--timeout-ms",
                              "300000", log=log)
        wait_until(lambda: ((site.journal() or {}).get("steps", {})
                            .get("primary_readonly", {}).get("ok")), 30,
                   msg="primary READONLY journaled")
        code, body = site.primary.req("POST", f"/subjects/{subj}/versions",
                                      {"schema": avro_record("Plan", "a", "b")})
        assert code == 422 and body["error_code"] == 42205, (code, body)
        time.sleep(1.5)  # let the drain loop poll a few times: the crash lands inside it
        assert proc.poll() is None, "planned failover finished while producers ran"
        proc.kill()
        proc.wait(10)
    log.close()
    j = site.journal()
    assert j["state"] == "running" and "drain" not in j["steps"], j
    assert m.topic_status(t)["state"] == "ACTIVE"

    code, rep, out, err = ferry_dr("failover", "--config", cfg, "--planned", "--json")
    assert code == 0, out + err
    assert rep["resumed"] is True
    steps = {s["step"]: s for s in rep["steps"]}
    assert steps["primary_readonly"]["earlier_run"] is True
    assert steps["primary_readonly"]["scopes"] == [{"scope": ".", "before": "READWRITE",
                                                    "after": "READONLY"}]
    assert steps["drain"]["earlier_run"] is False and steps["drain"]["ok"] is True
    assert steps["group_sync"]["synced"] is True
    assert rep["topic_records_lost"] == 0 and rep["schema_changes_lost"] == 0
    assert all(tr["lost_records"] == 0 for tr in rep["topics"])
    assert rep["rto_ms"] >= rep["run_ms"]  # measured from the first run's start
    src = values_by_partition(read_all(kafka_src, t))
    dst = values_by_partition(read_all(kafka_dst, t))
    assert dst == src
    assert prod.acked <= {v for vs in dst.values() for v in vs}
    assert site.dr.mode(":.primary:") == "READWRITE"
    assert site.primary.mode("") == "READONLY"
