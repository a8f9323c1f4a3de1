# SPDX-License-Identifier: Apache-2.0
"""The bounded offset map (issue 10): entries below every selected group's
committed position (and the mirror's own) expire, in memory and as
tombstones in the state topic, and group translation stays exact at and
above the floor — before and after a restart that replays what is left.
A group that turns up below the floor is translated early, never late."""
from confluent_kafka import Consumer, Producer, TopicPartition

from harness import create_topic, end_offsets, read_all, unique, wait_until


def committed(cluster, group, topic):
    c = Consumer({"bootstrap.servers": cluster.bootstrap, "group.id": group})
    try:
        tp = c.committed([TopicPartition(topic, 0)], timeout=10)[0]
        return tp.offset
    finally:
        c.close()


def commit(cluster, group, topic, pos):
    c = Consumer({"bootstrap.servers": cluster.bootstrap, "group.id": group})
    try:
        c.commit(offsets=[TopicPartition(topic, 0, pos)], asynchronous=False)
    finally:
        c.close()


def transactions(cluster, topic, n_txn, size):
    """n_txn transactions of `size` records, every fifth aborted: a gap (a
    commit marker, or an aborted run and its marker) after each."""
    p = Producer({"bootstrap.servers": cluster.bootstrap, "transactional.id": unique("tx"),
                  "allow.auto.create.topics": False, "linger.ms": 5})
    p.init_transactions(30)
    for t in range(n_txn):
        p.begin_transaction()
        for i in range(size):
            p.produce(topic, b"t%d-%d" % (t, i), partition=0)
        if t % 5 == 4:
            # every record on the broker first: aborting with produce requests in
            # flight ends in INVALID_TXN_STATE (librdkafka 2.x, Kafka 3.9; omap_bench.py)
            p.flush(30)
            p.abort_transaction(30)
        else:
            p.commit_transaction(30)
    p.flush(30)


def test_offset_map_expires_translation_stays_exact(kafka_src, kafka_dst, mirrors):
    t, g, late = unique("omap"), unique("omapgrp"), unique("omaplate")
    create_topic(kafka_src, t, 1)
    transactions(kafka_src, t, 100, 6)
    src = read_all(kafka_src, t)[0]
    offs = [r[0] for r in src]
    gaps = [o + 1 for a, o in zip(offs[1:], offs) if a != o + 1]
    assert len(gaps) > 60

    # the group sits at a gap a third of the way before the mirror starts:
    # everything below it may expire, nothing above
    commit(kafka_src, g, t, gaps[30])
    m = mirrors(kafka_src, kafka_dst, topics=t, groups=f"{g},{late}")
    m.start()
    m.wait_caught_up(t, end_offsets(kafka_src, t))
    dst = read_all(kafka_dst, t)[0]
    assert [r[2] for r in dst] == [r[2] for r in src]
    dst_of = {s[0]: d[0] for s, d in zip(src, dst)}

    def true_pos(pos):
        nxt = [o for o in offs if o >= pos]
        return dst_of[nxt[0]] if nxt else dst[-1][0] + 1

    def part():
        st = m.topic_status(t)  # None until a restarted mirror's first refresh
        if not st or not st["partitions"]:
            return {"committed": -1, "map_entries": 1 << 30, "map_expired": 0}
        return st["partitions"][0]

    def translated_exactly(group, pos):
        got = committed(kafka_dst, group, t)
        return got == true_pos(pos) or (got > true_pos(pos) and
                                        AssertionError(f"{group}: {got} past {true_pos(pos)}"))

    # one entry per run: the first record, then one after every gap
    for i in (30, 50):
        pos = gaps[i]
        commit(kafka_src, g, t, pos)
        wait_until(lambda: translated_exactly(g, pos) is True, 30, msg=f"{g} at {pos} exact")
        wait_until(lambda: part()["map_entries"] <= len(gaps) + 1 - i, 30,
                   msg="entries below the group expired")
    left = part()["map_entries"]
    assert part()["map_expired"] >= 50 and left < len(gaps) - 40, part()
    # a restart replays the entries, the base and the tombstones: the same map
    m.stop()
    m.start()
    wait_until(lambda: part()["committed"] >= offs[-1] + 1, 30, msg="positions restored")
    assert part()["map_entries"] <= left, (part(), left)
    inside = next(o for o in offs if o > gaps[61] + 1)  # a record inside a run
    for pos in (gaps[60], inside, gaps[-1]):
        commit(kafka_src, g, t, pos)
        wait_until(lambda: translated_exactly(g, pos) is True, 30, msg=f"{g} at {pos} exact")
    # a group that turns up below the floor: early (re-reads), never past the true position
    commit(kafka_src, late, t, gaps[10])
    got = wait_until(lambda: (lambda o: [o] if o >= 0 else None)(committed(kafka_dst, late, t)),
                     30, msg="late group translated")[0]
    assert 0 <= got <= true_pos(gaps[10]), (got, true_pos(gaps[10]))
