# SPDX-License-Identifier: Apache-2.0
"""Mirror data path against two real clusters: byte equality per partition,
topic discovery and partition growth, crash (kill -9) and restart."""
import os
import threading
import time

from harness import (add_partitions, create_topic, end_offsets, produce, producer, read_all,
                     set_topic_config, strip_origin, topic_config, topic_partitions, unique,
                     wait_until)


def test_byte_equality_across_partitions(kafka_src, kafka_dst, mirrors):
    topic = unique("eq")
    create_topic(kafka_src, topic, 4, {"retention.ms": "987654321", "max.message.bytes": "2000000"})
    recs = []
    # explicit timestamps, but recent ones: the topic's 11-day retention.ms now reaches the
    # mirror topic too, and records stamped in 2020 were deleted by retention on either side
    # between copy and read
    base_ts = int(time.time() * 1000) - 3_600_000
    for i in range(2000):
        p = i % 4
        key = None if i % 97 == 0 else os.urandom(i % 23)
        value = None if i % 101 == 0 else (b"" if i % 103 == 0 else os.urandom(1 + i % 700))
        headers = [("a", os.urandom(3)), ("a", b"dup"), ("empty", b"")] if i % 3 else None
        recs.append({"partition": p, "key": key, "value": value, "headers": headers,
                     "timestamp": base_ts + i * 7})
    produce(kafka_src, topic, recs)
    ends = end_offsets(kafka_src, topic)
    m = mirrors(kafka_src, kafka_dst, topics=topic).start()
    m.wait_caught_up(topic, ends)
    assert topic_partitions(kafka_dst, topic) == 4
    src, dst = read_all(kafka_src, topic), read_all(kafka_dst, topic)
    for p in range(4):
        assert len(dst[p]) == len(src[p]) == ends[p]
        for s, d in zip(src[p], dst[p]):
            assert d[0] == s[0]                       # fresh mirror, no gaps: same offsets
            assert d[1] == s[1] and d[2] == s[2]      # key, value bytes (incl. null vs empty)
            assert d[4] == s[4]                       # timestamp
            assert strip_origin(d[3]) == s[3]         # headers, order and duplicates kept
            assert ("ferry.origin" in dict(d[3]))     # provenance added once
    cfg = topic_config(kafka_dst, topic)
    assert cfg["retention.ms"] == "987654321" and cfg["max.message.bytes"] == "2000000"
    st = m.topic_status(topic)
    assert st["state"] == "ACTIVE" and st["lag"] == 0
    assert all(p["lag"] == 0 and p["lag_ms"] == 0 for p in st["partitions"])


def test_new_topic_picked_up_partitions_follow(kafka_src, kafka_dst, mirrors):
    pfx = unique("disc")
    m = mirrors(kafka_src, kafka_dst, topics_prefix=pfx + ".",
                topics_exclude_regex=f"{pfx}\\.skip.*", topic_prefix="site1.").start()
    a, skip = f"{pfx}.a", f"{pfx}.skip1"
    create_topic(kafka_src, a, 1)
    create_topic(kafka_src, skip, 1)
    produce(kafka_src, a, [{"value": b"x%d" % i} for i in range(100)])
    produce(kafka_src, skip, [{"value": b"s"}])
    wait_until(lambda: topic_partitions(kafka_dst, "site1." + a) == 1, 30, msg="mirror topic")
    m.wait_caught_up(a, [100])
    # partition increase follows, and the new partition is mirrored from its start
    add_partitions(kafka_src, a, 3)
    wait_until(lambda: topic_partitions(kafka_dst, "site1." + a) == 3, 30, msg="partitions follow")
    produce(kafka_src, a, [{"value": b"n%d" % i, "partition": 2} for i in range(50)])
    m.wait_caught_up(a, [100, 0, 50])
    dst = read_all(kafka_dst, "site1." + a)
    assert [r[2] for r in dst[2]] == [b"n%d" % i for i in range(50)]
    assert topic_partitions(kafka_dst, "site1." + skip) == 0
    assert topic_partitions(kafka_dst, skip) == 0
    names = set(kafka_dst.admin().list_topics(timeout=10).topics)
    assert not any(n.startswith("site1.__") for n in names)


def test_kill9_restart_no_loss_bounded_duplicates(kafka_src, kafka_dst, mirrors):
    topic = unique("crash")
    create_topic(kafka_src, topic, 2)
    total = 40000
    m = mirrors(kafka_src, kafka_dst, topics=topic).start()

    def write():
        # chunks with a flush each: a steady stream, so the kill lands mid-stream
        for start in range(0, total, 500):
            produce(kafka_src, topic, [{"partition": i % 2, "value": b"%08d" % i + b"." * 200}
                                       for i in range(start, start + 500)])

    t = threading.Thread(target=write)
    t.start()
    # kill mid-stream, once some records are across
    wait_until(lambda: (m.topic_status(topic) or {}).get("partitions") and
               sum(p["committed"] for p in m.topic_status(topic)["partitions"]) > 8000,
               60, interval=0.05, msg="mirror progress")
    m.kill9()
    m.start()
    t.join(120)
    ends = end_offsets(kafka_src, topic)
    m.wait_caught_up(topic, ends, timeout=120)
    src, dst = read_all(kafka_src, topic), read_all(kafka_dst, topic)
    dups = 0
    for p in (0, 1):
        sv = [r[2] for r in src[p]]
        dv = [r[2] for r in dst[p]]
        # the destination is the source with at most one re-copied range per restart:
        # dropping repeats (first occurrence wins) gives back the source exactly, in order
        seen, dedup = set(), []
        for v in dv:
            if v in seen:
                dups += 1
                continue
            seen.add(v)
            dedup.append(v)
        assert dedup == sv, f"partition {p}: loss or reordering"
    # duplicates are bounded by what was acknowledged but not yet committed
    assert dups <= 10000, dups
    print(f"kill -9: {dups} duplicates of {total} records")


def test_new_topic_created_with_source_partitions_and_configs(kafka_src, kafka_dst, mirrors):
    """Issue 10, item 3: against stock brokers (auto.create.topics.enable=true)
    the mirror topic first appears with the source's partition count and
    synced configs, never as an auto-created 1-partition default topic."""
    pfx = unique("newt")
    m = mirrors(kafka_src, kafka_dst, topics_prefix=pfx + ".").start()
    t = f"{pfx}.c"
    cfg = {"cleanup.policy": "compact", "retention.ms": "123456789",
           "max.message.bytes": "2000000"}
    create_topic(kafka_src, t, 3, cfg)
    produce(kafka_src, t, [{"partition": i % 3, "key": b"k%d" % i, "value": b"v%d" % i}
                           for i in range(30)])
    t0 = time.monotonic()
    first = wait_until(lambda: topic_partitions(kafka_dst, t), 30, interval=0.02,
                       msg="mirror topic appears")
    assert first == 3
    got = topic_config(kafka_dst, t)
    assert {k: got[k] for k in cfg} == cfg
    m.wait_caught_up(t, [10, 10, 10], timeout=30)
    # discovery waits for a refresh (500 ms here); creation and copying add little
    assert time.monotonic() - t0 < 10


def test_record_of_one_mib_is_mirrored(kafka_src, kafka_dst, mirrors):
    """Issue 10, item 4: a record at the source topic's default limit (1 MiB)
    crosses without raising destination.message.max.bytes by hand."""
    t = unique("big")
    create_topic(kafka_src, t, 1)
    big = os.urandom(1024 * 1024 - 200)
    produce(kafka_src, t, [{"value": big}, {"value": b"small"}], **{"message.max.bytes": 2000000})
    m = mirrors(kafka_src, kafka_dst, topics=t).start()
    m.wait_caught_up(t, [2])
    assert m.topic_status(t)["state"] == "ACTIVE"
    assert [r[2] for r in read_all(kafka_dst, t)[0]] == [big, b"small"]


def test_new_topic_copied_within_a_second(kafka_src, kafka_dst, mirrors):
    """Issue 10, item 3: copying starts within about a second of a topic's
    creation with the default topic refresh (one metadata request a second)."""
    pfx = unique("fast")
    m = mirrors(kafka_src, kafka_dst, topics_prefix=pfx + ".", topics_refresh_interval_ms=None)
    m.start()
    wait_until(lambda: m.status()["source"]["reachable"], 30, msg="mirror up")
    times = []
    for i in range(3):
        t = f"{pfx}.t{i}"
        p = producer(kafka_src)
        create_topic(kafka_src, t, 2)
        t0 = time.monotonic()
        p.produce(t, b"first", partition=1)
        assert p.flush(10) == 0
        wait_until(lambda: topic_partitions(kafka_dst, t) == 2 and
                   end_offsets(kafka_dst, t) == [0, 1], 30, interval=0.02,
                   msg=f"{t} copied")
        times.append(time.monotonic() - t0)
    print(f"created -> first record on the destination: {['%.2f' % x for x in times]} s")
    # a 1 s refresh, creation on the destination and the first copy; a shared
    # 2-core machine gets some slack, the old 10 s refresh is well outside it
    assert min(times) < 2.5, times


def test_record_size_limits_follow_the_topics(kafka_src, kafka_dst, mirrors):
    """Issue 10, item 4: the producer's limit is each mirror topic's
    max.message.bytes, not a fixed one: a record at a raised topic limit is
    copied; one above the mirror topic's limit FAILs the topic with both
    limits in the reason, and it copies again once the limit is raised."""
    t = unique("limits")
    create_topic(kafka_src, t, 1, {"max.message.bytes": "3000000"})
    big = os.urandom(2_900_000)
    big_p = {"message.max.bytes": 10_000_000}
    produce(kafka_src, t, [{"value": os.urandom(1024 * 1024 - 200)}, {"value": big}], **big_p)
    m = mirrors(kafka_src, kafka_dst, topics=t, topic_config_sync_interval_ms=86400000).start()
    m.wait_caught_up(t, [2])
    assert [r[2] for r in read_all(kafka_dst, t)[0]][1] == big
    assert topic_config(kafka_dst, t)["max.message.bytes"] == "3000000"

    def limit(cluster, v):
        set_topic_config(cluster, t, {"max.message.bytes": v})

    # the source allows more now; the mirror topic does not (yet)
    limit(kafka_src, "5000000")
    huge = os.urandom(4_000_000)
    produce(kafka_src, t, [{"value": huge}, {"value": b"after"}], **big_p)
    st = wait_until(lambda: (lambda s: s if s["state"] == "FAILED" else None)(m.topic_status(t)),
                    30, msg="topic FAILED")
    assert "too large" in st["reason"] and "max.message.bytes=3000000" in st["reason"], st
    assert "source offset 2" in st["reason"] and st["retry_in_ms"] is not None, st
    assert st["partitions"][0]["mirrored"] == 2
    limit(kafka_dst, "5000000")  # the operator raises the mirror topic's limit
    code, body = m.request("POST", "resume", topic=t)
    assert code == 200, body
    m.wait_caught_up(t, [4])
    assert m.topic_status(t)["state"] == "ACTIVE"
    assert [r[2] for r in read_all(kafka_dst, t)[0]][2:] == [huge, b"after"]


def test_batch_size_above_the_topic_limit(kafka_src, kafka_dst, mirrors):
    """Issue 10, item 4: librdkafka's batch.size is one value per producer and
    it does not split a batch the broker refuses (Kafka's
    RecordBatchTooLargeException, MESSAGE_TOO_LARGE), so a mirror topic whose
    max.message.bytes (copied from the source topic, Kafka's
    LogConfig.MaxMessageBytesProp) is below destination.batch.size can refuse
    a batch of small records. The topic FAILs saying to lower
    destination.batch.size, its position never passes the refused batch, and
    once the batch size fits, a retry copies every record, in order, with
    nothing skipped."""
    t = unique("batch")
    create_topic(kafka_src, t, 1, {"max.message.bytes": "100000"})
    n = 3000
    values = [b"%06d" % i + os.urandom(994) for i in range(n)]
    produce(kafka_src, t, [{"value": v} for v in values], **{"batch.size": 50000})
    # written before the mirror starts: it fetches and produces them in big batches
    m = mirrors(kafka_src, kafka_dst, topics=t, topic_config_sync_interval_ms=86400000,
                destination_batch_size=1000000, destination_linger_ms=200)
    m.start()
    st = wait_until(lambda: (lambda s: s if s and s["state"] == "FAILED" else None)(
        m.topic_status(t)), 60, msg="topic FAILED")
    assert "destination.batch.size" in st["reason"], st
    assert "max.message.bytes=100000" in st["reason"], st
    mirrored = st["partitions"][0]["mirrored"]
    assert mirrored < n, st
    got = [r[2] for r in read_all(kafka_dst, t)[0]]
    assert got[:mirrored] == values[:mirrored]  # below the position: all there, in order
    # the operator follows the reason: a batch size below the topic's limit
    m.stop()
    m2 = mirrors(kafka_src, kafka_dst, name=m.name, topics=t,
                 topic_config_sync_interval_ms=86400000, destination_batch_size=90000,
                 destination_linger_ms=200).start()
    st = m2.topic_status(t)
    if st["state"] == "FAILED":  # restored FAILED: resume retries at once
        code, body = m2.request("POST", "resume", topic=t)
        assert code == 200, body
    m2.wait_caught_up(t, [n], timeout=60)
    assert m2.topic_status(t)["state"] == "ACTIVE"
    got = [r[2] for r in read_all(kafka_dst, t)[0]]
    assert list(dict.fromkeys(got)) == values  # every record, in order (duplicates: a restart)
