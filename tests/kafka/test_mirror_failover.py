# SPDX-License-Identifier: Apache-2.0
"""Failover in the situations DR is for (issue 10): the source cluster dead
(kill -9 of its broker), and records still in flight to the destination when
failover answers. Failover must answer fast without asking the source, stop
every topic, report per partition what is known lost, and the mirror must
write nothing more to a stopped topic."""
import json
import subprocess
import time

from harness import (FERRY_BIN, create_topic, end_offsets, produce, producer, read_all,
                     set_topic_config, unique, wait_until)


def timed(fn):
    t0 = time.monotonic()
    out = fn()
    return out, time.monotonic() - t0


def by_topic(body):
    return {r["topic"]: r for r in body["topics"]}


def test_failover_with_dead_source(kafka_victim, kafka_dst, mirrors):
    src = kafka_victim
    a, b = unique("dead"), unique("deadlag")
    create_topic(src, a, 2)
    create_topic(src, b, 2)
    produce(src, a, [{"partition": i % 2, "value": b"a%d" % i} for i in range(400)])
    produce(src, b, [{"partition": i % 2, "value": b"b%d" % i} for i in range(200)])
    m = mirrors(src, kafka_dst, topics=f"{a},{b}", groups_prefix="app").start()
    m.wait_caught_up(a, [200, 200])
    m.wait_caught_up(b, [100, 100])
    # b lags: paused, the mirror still sees the source end move (120 records) but copies nothing
    code, body = m.request("POST", "pause", topic=b)
    assert code == 200, body
    produce(src, b, [{"partition": i % 2, "value": b"late%d" % i} for i in range(120)])
    wait_until(lambda: [p["source_end"] for p in m.topic_status(b)["partitions"]] == [160, 160],
               15, msg="mirror sees the paused topic's source end")
    src.kill9()
    try:
        # status answers at once whatever the source does, and soon says it is gone
        def unreachable():
            st, dt = timed(lambda: m.request("GET", "status", timeout=5))
            assert st[0] == 200 and dt < 1.0, (st, dt)
            return st[1]["source"]["reachable"] is False
        wait_until(unreachable, 15, msg="status: source unreachable")
        out, dt = timed(lambda: subprocess.run(
            [FERRY_BIN, "mirror", "failover", "--admin", f"127.0.0.1:{m.admin_port}"],
            capture_output=True, text=True, timeout=30))
        assert out.returncode == 0, out.stdout + out.stderr
        assert dt < 2.0, f"failover took {dt:.2f}s"
        rep = by_topic(json.loads(out.stdout))
        assert set(rep) == {a, b}
        assert rep[a]["lost_records"] == 0 and rep[b]["lost_records"] == 120, rep
        for r in rep.values():
            assert r["operation"] == "failover"
            assert r["source_reachable"] is False and "unreachable" in r["note"], r
            for p in r["partitions"]:
                assert p["source_end"] is not None and p["lost_records"] is not None
        st, dt = timed(lambda: m.status())
        assert dt < 1.0
        assert {t["topic"]: t["state"] for t in st["topics"]} == {a: "STOPPED", b: "STOPPED"}
        # the destination topics are plain writable topics now, and hold what the report says
        dst_ends = {t: end_offsets(kafka_dst, t) for t in (a, b)}
        for t in (a, b):
            assert [p["destination_end"] for p in rep[t]["partitions"]] == dst_ends[t]
        p = producer(kafka_dst)
        p.produce(a, b"after-failover", partition=0)
        assert p.flush(10) == 0
        # SIGTERM stops the mirror although the source is still down
        m.proc.send_signal(15)
        _, dt = timed(lambda: m.proc.wait(20))
        assert m.proc.returncode == 0 and dt < 15, (m.proc.returncode, dt, m.log_tail())
    finally:
        src.restart()
    # with the source back: the report's arithmetic is what is really missing
    for t in (a, b):
        ends = end_offsets(src, t)
        for p in rep[t]["partitions"]:
            assert p["source_end"] == ends[p["partition"]]
            assert p["lost_records"] == ends[p["partition"]] - p["mirrored"]


def test_failover_in_flight_nothing_lands_after(kafka_src, kafka_dst, mirrors):
    t = unique("inflight")
    create_topic(kafka_src, t, 2)
    total = 30000
    produce(kafka_src, t, [{"partition": i % 2, "value": b"%08d" % i + b"." * 300}
                           for i in range(total)])
    # a slow-ish destination path keeps many records queued in the producer
    m = mirrors(kafka_src, kafka_dst, topics=t, destination_linger_ms=100,
                destination_batch_size=16384,
                destination_max_in_flight_requests_per_connection=1,
                destination_batch_num_messages=10).start()
    wait_until(lambda: (m.topic_status(t) or {}).get("partitions") and
               sum(p["mirrored"] for p in m.topic_status(t)["partitions"]) > 1000,
               60, interval=0.02, msg="copy under way")
    code, rep = m.request("POST", "failover", topic=t)
    assert code == 200, rep
    src_ends = end_offsets(kafka_src, t)
    # for two seconds after the answer the destination does not move
    deadline = time.monotonic() + 2.0
    while time.monotonic() < deadline:
        assert end_offsets(kafka_dst, t) == [p["destination_end"] for p in rep["partitions"]], rep
    assert rep["lost_records"] == sum(src_ends) - sum(p["mirrored"] for p in rep["partitions"])
    assert rep["lost_records"] > 0, "the failover landed after the copy ended: no records in flight"
    dst = read_all(kafka_dst, t)
    srcr = read_all(kafka_src, t)
    for p in rep["partitions"]:
        n = p["mirrored"]
        assert [r[2] for r in dst[p["partition"]]] == [r[2] for r in srcr[p["partition"]][:n]]


def test_time_lag_ignores_producer_timestamps(kafka_src, kafka_dst, mirrors):
    """Item 8: one mirrored record stamped an hour ahead must not hide the
    time lag of the records behind it: lost_ms comes from what the mirror saw."""
    t = unique("clock")
    create_topic(kafka_src, t, 1)
    produce(kafka_src, t, [{"value": b"future", "timestamp": int(time.time() * 1000) + 3600_000}])
    m = mirrors(kafka_src, kafka_dst, topics=t).start()
    m.wait_caught_up(t, [1])
    assert m.request("POST", "pause", topic=t)[0] == 200
    produce(kafka_src, t, [{"value": b"n%d" % i} for i in range(10)])
    wait_until(lambda: m.topic_status(t)["partitions"][0]["source_end"] == 11, 15,
               msg="mirror sees the 10 records")
    seen = time.monotonic()
    wait_until(lambda: m.topic_status(t)["lag_ms"] >= 500, 10, msg="lag_ms grows")
    code, rep = m.request("POST", "failover", topic=t)
    assert code == 200 and rep["lost_records"] == 10, rep
    assert 500 <= rep["lost_ms"] <= (time.monotonic() - seen) * 1000 + 2000, rep


def test_failover_counts_the_hole_after_a_delivery_failure(kafka_src, kafka_dst, mirrors):
    """Issue 10, suspected: after a delivery failure, acknowledgements of later
    records must not move the mirrored position past the refused record, and
    failover's lost_records counts the hole (source_end - mirrored, the
    refused record included). The destination may hold later records that
    landed after the hole; the report's destination_end is what it holds."""
    t = unique("hole")
    create_topic(kafka_src, t, 1, {"max.message.bytes": "2000000"})
    produce(kafka_src, t, [{"value": b"s%d" % i} for i in range(20)])
    m = mirrors(kafka_src, kafka_dst, topics=t, topic_config_sync_interval_ms=86400000).start()
    m.wait_caught_up(t, [20])
    # the destination now refuses what the source accepts; the mirror has not re-read it
    set_topic_config(kafka_dst, t, {"max.message.bytes": "1000"})
    produce(kafka_src, t, [{"value": b"x" * 5000}] + [{"value": b"t%d" % i} for i in range(5)])
    wait_until(lambda: m.topic_status(t)["state"] == "FAILED", 30, msg="topic FAILED")
    code, rep = m.request("POST", "failover", topic=t)
    assert code == 200, rep
    p = rep["partitions"][0]
    assert p["mirrored"] == 20 and p["source_end"] == 26, rep
    assert p["lost_records"] == 6 and rep["lost_records"] == 6, rep
    held = [r[2] for r in read_all(kafka_dst, t)[0]]
    assert held[:20] == [b"s%d" % i for i in range(20)] and b"x" * 5000 not in held
    assert p["destination_end"] in (None, end_offsets(kafka_dst, t)[0]), (rep, held[20:])
