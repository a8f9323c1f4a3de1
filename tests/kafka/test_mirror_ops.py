# SPDX-License-Identifier: Apache-2.0
"""Mirror operations and consumer-group failover against two real clusters:
group offsets translated while the group is inactive on the destination,
failover (immediate, reports lost lag) vs promote (lag 0 first), pause/resume,
compacted topics with offset gaps, two-way mirroring without a loop."""
import subprocess

from confluent_kafka import Consumer, TopicPartition

from harness import (FERRY_BIN, create_topic, end_offsets, produce, read_all, set_topic_config,
                     unique, wait_until)


def consume_and_commit(cluster, group, topic, n_parts, count):
    """Read `count` records with group `group` (subscribe) and commit them synchronously."""
    c = Consumer({"bootstrap.servers": cluster.bootstrap, "group.id": group,
                  "auto.offset.reset": "earliest", "enable.auto.commit": False})
    c.subscribe([topic])
    got = []
    wait_until(lambda: got.extend(m for m in c.consume(500, 0.2) if not m.error())
               or len(got) >= count, 60, interval=0, msg="group consumption")
    # commit exactly after the first `count` records (per partition: last offset + 1)
    pos = {}
    for m in got[:count]:
        pos[m.partition()] = max(pos.get(m.partition(), 0), m.offset() + 1)
    c.commit(offsets=[TopicPartition(topic, p, o) for p, o in pos.items()], asynchronous=False)
    c.close()
    return pos


def committed(cluster, group, topic, n_parts):
    c = Consumer({"bootstrap.servers": cluster.bootstrap, "group.id": group})
    try:
        tps = c.committed([TopicPartition(topic, p) for p in range(n_parts)], timeout=10)
        return {tp.partition: tp.offset for tp in tps if tp.offset >= 0}
    finally:
        c.close()


def test_group_resumes_on_destination_after_failover(kafka_src, kafka_dst, mirrors):
    topic, group = unique("grp"), unique("app")
    create_topic(kafka_src, topic, 3)
    produce(kafka_src, topic, [{"partition": i % 3, "value": b"v%d" % i} for i in range(3000)])
    m = mirrors(kafka_src, kafka_dst, topics=topic, groups=group).start()
    pos = consume_and_commit(kafka_src, group, topic, 3, 1234)
    m.wait_caught_up(topic, end_offsets(kafka_src, topic))
    wait_until(lambda: committed(kafka_dst, group, topic, 3) == pos, 30,
               msg="group offsets translated on the destination")
    code, body = m.request("POST", "failover", topic=topic)
    assert code == 200 and body["lost_records"] == 0, body
    assert m.topic_status(topic)["state"] == "STOPPED"
    # the application moves to the destination and reads on without skipping
    src = read_all(kafka_src, topic)
    # (a partition the group never committed is read from the start, as on the source)
    c = Consumer({"bootstrap.servers": kafka_dst.bootstrap, "group.id": group,
                  "auto.offset.reset": "earliest", "enable.auto.commit": False})
    c.subscribe([topic])
    want = sum(len(src[p]) - pos.get(p, 0) for p in range(3))
    got = []
    try:
        wait_until(lambda: got.extend(x for x in c.consume(500, 0.2) if not x.error())
                   or len(got) >= want, 60, interval=0, msg="destination consumer")
    finally:
        c.close()
    for p in range(3):
        expected = [r[2] for r in src[p][pos.get(p, 0):]]
        assert [x.value() for x in got if x.partition() == p] == expected


def test_promote_reaches_lag_zero_failover_reports_lost(kafka_src, kafka_dst, mirrors):
    a, b = unique("prom"), unique("fail")
    create_topic(kafka_src, a, 2)
    create_topic(kafka_src, b, 2)
    m = mirrors(kafka_src, kafka_dst, topics=f"{a},{b}").start()
    produce(kafka_src, a, [{"partition": i % 2, "value": b"a%d" % i} for i in range(500)])
    produce(kafka_src, b, [{"partition": i % 2, "value": b"b%d" % i} for i in range(500)])
    m.wait_caught_up(b, [250, 250])
    # pause b so that it lags, then fail it over: the lag is reported as lost (RPO)
    code, body = m.request("POST", "pause", topic=b)
    assert code == 200 and body["state"] == "PAUSED", body
    produce(kafka_src, b, [{"partition": i % 2, "value": b"late%d" % i} for i in range(120)])
    # failover asks no cluster: it reports against the end offsets the mirror
    # has seen, which a paused topic keeps fetching
    wait_until(lambda: sum(p["source_end"] for p in m.topic_status(b)["partitions"]) == 620, 15,
               msg="paused topic's source end seen")
    out = subprocess.run([FERRY_BIN, "mirror", "failover", "--admin",
                          f"127.0.0.1:{m.admin_port}", "--topic", b],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    import json
    rep = json.loads(out.stdout)
    assert rep["operation"] == "failover" and rep["lost_records"] == 120, rep
    assert rep["lost_ms"] >= 0
    # promote a: mirrored to lag 0 first, then stopped; nothing lost
    produce(kafka_src, a, [{"partition": i % 2, "value": b"more%d" % i} for i in range(300)])
    code, body = m.request("POST", "promote", topic=a, timeout_ms=60000)
    assert code == 200 and body["operation"] == "promote" and body["lost_records"] == 0, body
    assert read_all(kafka_dst, a, expect={0: 400, 1: 400}) and \
        [len(v) for v in read_all(kafka_dst, a).values()] == [400, 400]
    st = {t["topic"]: t["state"] for t in m.status()["topics"]}
    assert st[a] == "STOPPED" and st[b] == "STOPPED"
    # a stopped mirror is a normal topic: later source writes no longer arrive
    produce(kafka_src, a, [{"partition": 0, "value": b"after"}])
    assert [len(v) for v in read_all(kafka_dst, a).values()] == [400, 400]
    code, body = m.request("POST", "resume", topic=a)
    assert code == 409, body


def test_pause_resume(kafka_src, kafka_dst, mirrors):
    t = unique("pause")
    create_topic(kafka_src, t, 1)
    m = mirrors(kafka_src, kafka_dst, topics=t).start()
    produce(kafka_src, t, [{"value": b"%d" % i} for i in range(100)])
    m.wait_caught_up(t, [100])
    assert m.request("POST", "pause", topic=t)[0] == 200
    produce(kafka_src, t, [{"value": b"p%d" % i} for i in range(50)])
    wait_until(lambda: m.topic_status(t)["partitions"][0]["source_end"] == 150 or
               m.topic_status(t)["state"] == "PAUSED", 10, msg="paused")
    assert m.topic_status(t)["partitions"][0]["mirrored"] == 100
    assert m.request("POST", "resume", topic=t)[0] == 200
    m.wait_caught_up(t, [150])


def test_two_way_without_loop(kafka_src, kafka_dst, mirrors):
    t = unique("both")
    create_topic(kafka_src, t, 2)
    create_topic(kafka_dst, t, 2)
    ab = mirrors(kafka_src, kafka_dst, topics=t).start()
    ba = mirrors(kafka_dst, kafka_src, topics=t).start()
    produce(kafka_src, t, [{"partition": i % 2, "value": b"A%d" % i} for i in range(300)])
    produce(kafka_dst, t, [{"partition": i % 2, "value": b"B%d" % i} for i in range(200)])
    # both sides converge to the union, and stay there once both mirrors are idle
    wait_until(lambda: sum(end_offsets(kafka_src, t)) == 500 and sum(end_offsets(kafka_dst, t)) == 500,
               60, msg="both sides hold 500 records")
    ab.wait_caught_up(t, end_offsets(kafka_src, t))
    ba.wait_caught_up(t, end_offsets(kafka_dst, t))
    assert sum(end_offsets(kafka_src, t)) == 500 and sum(end_offsets(kafka_dst, t)) == 500
    for side in (kafka_src, kafka_dst):
        vals = sorted(r[2] for recs in read_all(side, t).values() for r in recs)
        assert vals == sorted([b"A%d" % i for i in range(300)] + [b"B%d" % i for i in range(200)])


def freeze_topic(cluster, t):
    """Stop log cleaning of `t` (delete policy, infinite retention) and wait
    until what is readable no longer changes (a cleaning pass may be in flight)."""
    set_topic_config(cluster, t, {"cleanup.policy": "delete", "retention.ms": "-1",
                                  "retention.bytes": "-1"})
    last = [None]

    def stable():
        now = [r[0] for r in read_all(cluster, t)[0]]
        same = now == last[0]
        last[0] = now
        return same

    wait_until(stable, 30, interval=1.0, msg="source stops changing")


def test_compacted_topic_translated_offsets_never_skip(kafka_src, kafka_dst, mirrors):
    t = unique("compact")
    create_topic(kafka_src, t, 1, {"cleanup.policy": "compact", "segment.ms": "100",
                                   "min.cleanable.dirty.ratio": "0.01",
                                   "min.compaction.lag.ms": "0", "delete.retention.ms": "100"})
    # overwrite keys until the cleaner has left gaps in the source offsets
    rnd = [0]

    def compacted():
        produce(kafka_src, t, [{"key": b"k%d" % (i % 40), "value": b"r%d-%d" % (rnd[0], i)}
                               for i in range(200)])
        rnd[0] += 1
        offs = [r[0] for r in read_all(kafka_src, t)[0]]
        return len(offs) < offs[-1] + 1 - 100  # at least 100 offsets compacted away

    wait_until(compacted, 90, interval=0.3, msg="source compaction")
    # freeze the source: the cleaner must not compact further while the mirror
    # copies it, or the copy (correctly) differs from this snapshot
    freeze_topic(kafka_src, t)
    src = read_all(kafka_src, t)[0]
    offs = [r[0] for r in src]
    # commit groups at gap positions and at record positions
    gaps = [o + 1 for a, o in zip(offs[1:], offs) if a != o + 1][:4]
    points = sorted(set(gaps + [offs[0], offs[len(offs) // 2], offs[-1] + 1]))
    groups = {unique("cg"): p for p in points}
    for g, p in groups.items():
        c = Consumer({"bootstrap.servers": kafka_src.bootstrap, "group.id": g})
        c.commit(offsets=[TopicPartition(t, 0, p)], asynchronous=False)
        c.close()
    m = mirrors(kafka_src, kafka_dst, topics=t, groups=",".join(groups)).start()
    m.wait_caught_up(t, end_offsets(kafka_src, t))
    dst = read_all(kafka_dst, t)[0]
    assert [r[2] for r in dst[:len(src)]] == [r[2] for r in src]
    dst_off_of = {s[0]: d[0] for s, d in zip(src, dst)}
    for g, p in groups.items():
        got = wait_until(lambda: committed(kafka_dst, g, t, 1).get(0, -1) >= 0, 30,
                         msg=f"group {g} translated") and committed(kafka_dst, g, t, 1)[0]
        # the first source record at or after p must be at or after the translated offset
        nxt = [o for o in offs if o >= p]
        true_pos = dst_off_of[nxt[0]] if nxt else dst[len(src) - 1][0] + 1
        assert got <= true_pos, (g, p, got, true_pos)
        # exact where the map knows the run: a gap maps to the next record's copy
        assert got == true_pos, (g, p, got, true_pos)


def test_failed_topic_says_why_and_resumes_once_fixed(kafka_src, kafka_dst, mirrors):
    """Issue 10, item 7: a delivery failure makes the topic FAILED with the
    reason in status; resume retries once the cause is fixed, from the failed
    record on (nothing skipped), and transient failures retry by themselves."""
    t = unique("failed")
    create_topic(kafka_src, t, 1, {"max.message.bytes": "2000000"})
    produce(kafka_src, t, [{"value": b"s%d" % i} for i in range(20)])
    m = mirrors(kafka_src, kafka_dst, topics=t, topic_config_sync_interval_ms=86400000).start()
    m.wait_caught_up(t, [20])

    def dst_limit(v):
        set_topic_config(kafka_dst, t, {"max.message.bytes": v})

    dst_limit("1000")  # the destination now refuses what the source accepts
    produce(kafka_src, t, [{"value": b"x" * 5000}] + [{"value": b"t%d" % i} for i in range(5)])
    st = wait_until(lambda: (lambda s: s if s["state"] == "FAILED" else None)(m.topic_status(t)),
                    30, msg="topic FAILED")
    assert "too large" in st["reason"].lower(), st
    assert st["retry_in_ms"] is not None
    # later acknowledgements never move the position past the failed record
    assert st["partitions"][0]["mirrored"] == 20, st
    dst_limit("2000000")  # the cause is fixed
    code, body = m.request("POST", "resume", topic=t)
    assert code == 200 and body["state"] == "ACTIVE", body
    m.wait_caught_up(t, [26])
    vals = [r[2] for r in read_all(kafka_dst, t)[0]]
    dedup = list(dict.fromkeys(vals))  # re-copied acknowledgements after the failure only
    assert dedup == [b"s%d" % i for i in range(20)] + [b"x" * 5000] + [b"t%d" % i for i in range(5)]


def test_failed_topic_retries_by_itself_after_restart(kafka_src, kafka_dst, mirrors):
    """Issue 10, item 7: the automatic retry of a transient failure survives a
    restart: status still says why and when, and once the cause is fixed the
    topic copies again without an operator's resume."""
    t = unique("failrestart")
    create_topic(kafka_src, t, 1, {"max.message.bytes": "2000000"})
    produce(kafka_src, t, [{"value": b"s%d" % i} for i in range(10)])
    m = mirrors(kafka_src, kafka_dst, topics=t, topic_config_sync_interval_ms=86400000).start()
    m.wait_caught_up(t, [10])

    def dst_limit(v):
        set_topic_config(kafka_dst, t, {"max.message.bytes": v})

    dst_limit("1000")
    produce(kafka_src, t, [{"value": b"x" * 5000}, {"value": b"tail"}])
    wait_until(lambda: m.topic_status(t)["state"] == "FAILED", 30, msg="topic FAILED")
    m.stop()
    m.start()
    st = m.topic_status(t)
    assert st["state"] == "FAILED" and "too large" in st["reason"], st
    assert st["retry_in_ms"] is not None and st["retry_in_ms"] <= 60000, st
    dst_limit("2000000")
    # no resume: the restored backoff (5 s, or 10 s after one retry) brings it back
    wait_until(lambda: m.topic_status(t)["state"] == "ACTIVE", 40, msg="retried by itself")
    m.wait_caught_up(t, [12])
    vals = list(dict.fromkeys(r[2] for r in read_all(kafka_dst, t)[0]))
    assert vals == [b"s%d" % i for i in range(10)] + [b"x" * 5000, b"tail"]
