# SPDX-License-Identifier: Apache-2.0
"""Where the mirror starts and goes on (issue 10): after the source deleted
records it had not copied yet it continues at the log start and says how many
were taken (item 5); a mirror.start.offset=latest start position is durable
before anything was copied (item 6)."""
from confluent_kafka import TopicPartition

from harness import create_topic, end_offsets, produce, read_all, unique, wait_until


def test_deleted_records_continue_at_log_start_and_are_counted(kafka_src, kafka_dst, mirrors):
    t = unique("retained")
    create_topic(kafka_src, t, 1)
    produce(kafka_src, t, [{"value": b"a%d" % i} for i in range(300)])
    m = mirrors(kafka_src, kafka_dst, topics=t)
    m.start()
    m.wait_caught_up(t, [300])
    wait_until(lambda: m.topic_status(t)["partitions"][0]["committed"] == 300, 15,
               msg="position committed")
    m.stop()
    # while the mirror is down: 700 more, then DeleteRecords below 500
    produce(kafka_src, t, [{"value": b"b%d" % i} for i in range(700)])
    admin = kafka_src.admin()
    fs = admin.delete_records([TopicPartition(t, 0, 500)])
    for f in fs.values():
        f.result(30)
    m.start()
    m.wait_caught_up(t, [1000])
    st = m.topic_status(t)["partitions"][0]
    assert st["retention_skipped"] == 200, st
    dst = [r[2] for r in read_all(kafka_dst, t)[0]]
    # nothing the source still held was skipped: 0..299, then 500..999
    assert dst == [b"a%d" % i for i in range(300)] + [b"b%d" % i for i in range(200, 700)]


def test_records_deleted_before_the_first_copy_are_counted(kafka_src, kafka_dst, mirrors):
    """Issue 10, item 5 and "Prove it": a partition the mirror starts from the
    beginning (nothing copied yet) whose log start the source already moved
    (DeleteRecords; Kafka's Log.deleteRecordsOnOldSegments / logStartOffset)
    was to be copied from offset 0: what lies below the log start is counted
    in retention_skipped, so the report says why the destination lacks it.
    (Found by test_seeded_disasters seed 1: a DeleteRecords while the
    destination was down and the mirror topic not created yet.)"""
    t = unique("deletedfirst")
    create_topic(kafka_src, t, 2)
    produce(kafka_src, t, [{"partition": i % 2, "value": b"v%d" % i} for i in range(400)])
    admin = kafka_src.admin()
    for f in admin.delete_records([TopicPartition(t, 0, 120)]).values():
        f.result(30)
    m = mirrors(kafka_src, kafka_dst, topics=t)
    m.start()
    m.wait_caught_up(t, [200, 200])
    st = {p["partition"]: p for p in m.topic_status(t)["partitions"]}
    assert st[0]["retention_skipped"] == 120 and st[1]["retention_skipped"] == 0, st
    code, rep = m.request("POST", "failover", topic=t)
    assert code == 200, rep
    rp = {p["partition"]: p for p in rep["partitions"]}
    assert rp[0]["retention_skipped"] == 120 and "retention_skipped" not in rp[1], rep
    dst = read_all(kafka_dst, t)
    assert [r[2] for r in dst[0]] == [b"v%d" % i for i in range(240, 400, 2)]
    assert [r[2] for r in dst[1]] == [b"v%d" % i for i in range(1, 400, 2)]


def test_latest_start_position_is_durable(kafka_src, kafka_dst, mirrors):
    t = unique("latest")
    create_topic(kafka_src, t, 2)
    produce(kafka_src, t, [{"partition": i % 2, "value": b"old%d" % i} for i in range(100)])
    m = mirrors(kafka_src, kafka_dst, topics=t, mirror_start_offset="latest")
    m.start()
    # nothing copied yet, but where it starts is stored
    wait_until(lambda: [p["committed"] for p in (m.topic_status(t) or {}).get("partitions", [])]
               == [50, 50], 30, msg="start positions stored")
    m.stop()
    produce(kafka_src, t, [{"partition": i % 2, "value": b"new%d" % i} for i in range(40)])
    m.start()
    m.wait_caught_up(t, end_offsets(kafka_src, t))
    dst = read_all(kafka_dst, t)
    for p in (0, 1):
        assert [r[2] for r in dst[p]] == [b"new%d" % i for i in range(p, 40, 2)]
