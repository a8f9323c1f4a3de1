#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Offset-map benchmark (scripts/bench.sh scenario 10; issue 10).

A transactional source is the offset map's worst case: every commit marker is
a source gap, so an unbounded map holds one entry per transaction and
partition, in memory and as unique keys in the state topic. This starts two
single-node KRaft clusters (tests/kafka/harness.py, scripts/kafka/kafka.sh),
writes --records committed records in transactions of --txn-size records over
--partitions partitions (every --abort-every-th transaction aborted on top),
then runs `ferry mirror` with its default settings and reports:

  copy      seconds from launching the mirror until the destination holds
            every committed record, and records/s
  entries   offset-map entries left (status map_entries) and expired
            (map_expired): their sum is what an unbounded map would hold
  state     records the mirror wrote to its state topic (its end offset)
  replay    after a SIGTERM: state records read at start and how long that
            took (status state.records_loaded / load_ms), and the seconds
            from exec until the admin endpoint answers

Prints a table and `OMAP_RESULT key=value ...`. Everything it starts is
stopped on exit; every wait is bounded. Exit 1 when a step fails.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "kafka"))

from confluent_kafka import Producer  # noqa: E402

import harness  # noqa: E402


ENTRY_BYTES = 16  # struct mir_omap_entry: two int64_t (mirror/mir_offsetmap.h)


def vm_rss_kb(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return -1


def dir_bytes(data_dir, prefix):
    """Bytes of the log segments of every partition directory starting with prefix."""
    total = 0
    for d in os.listdir(data_dir):
        if d.startswith(prefix):
            for root, _, files in os.walk(os.path.join(data_dir, d)):
                total += sum(os.path.getsize(os.path.join(root, f)) for f in files
                             if f.endswith(".log"))
    return total


def produce_transactions(cluster, topic, records, txn_size, parts, abort_every, value_bytes):
    p = Producer({"bootstrap.servers": cluster.bootstrap, "transactional.id": "omap-bench",
                  "linger.ms": 5, "allow.auto.create.topics": False,
                  # a loaded machine must not let the coordinator abort a transaction
                  "transaction.timeout.ms": 300000})
    p.init_transactions(60)
    pad = b"." * max(0, value_bytes - 12)
    committed = aborted = txns = 0
    while committed < records:
        p.begin_transaction()
        abort = abort_every > 0 and txns % abort_every == abort_every - 1
        n = min(txn_size, records - committed) if not abort else txn_size
        for i in range(n):
            while True:
                try:
                    p.produce(topic, b"%012d" % (committed + i) + pad, partition=i % parts)
                    break
                except BufferError:
                    p.poll(0.01)
        if abort:
            # every record on the broker first: aborting with produce requests
            # in flight ends in INVALID_TXN_STATE here (librdkafka 2.x, Kafka 3.9)
            p.flush(60)
            p.abort_transaction(60)
            aborted += n
        else:
            p.commit_transaction(60)
            committed += n
        txns += 1
        if txns % 500 == 0:
            print(f"  {committed} committed in {txns} transactions", flush=True)
    p.flush(60)
    return committed, aborted, txns


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--ferry", default=os.path.join(ROOT, "build", "release", "ferry"))
    ap.add_argument("--records", type=int, default=1_000_000)
    ap.add_argument("--txn-size", type=int, default=200)
    ap.add_argument("--partitions", type=int, default=4)
    ap.add_argument("--abort-every", type=int, default=10)
    ap.add_argument("--value-bytes", type=int, default=100)
    ap.add_argument("--timeout", type=float, default=600)
    a = ap.parse_args()
    harness.FERRY_BIN = a.ferry
    work = harness.new_workdir()
    clusters = []
    m = None
    ok = False
    try:
        clusters = harness.start_clusters(["omsrc", "omdst"], work)
        src, dst = clusters
        topic = "txn"
        harness.create_topic(src, topic, a.partitions)
        t0 = time.monotonic()
        committed, aborted, txns = produce_transactions(src, topic, a.records, a.txn_size,
                                                        a.partitions, a.abort_every,
                                                        a.value_bytes)
        print(f"source: {committed} committed + {aborted} aborted records in {txns} "
              f"transactions over {a.partitions} partitions ({time.monotonic() - t0:.1f} s)",
              flush=True)
        # production settings: drop the test harness's short intervals
        m = harness.Mirror(src, dst, work, name="omap", topics=topic,
                           topics_refresh_interval_ms=None, groups_sync_interval_ms=None,
                           offset_commit_interval_ms=None, topic_config_sync_interval_ms=None)
        t0 = time.monotonic()
        m.start()
        # the mirror creates the destination topic: until its partitions have
        # leaders, their end offsets are "not yet" (NOT_LEADER_FOR_PARTITION)
        peak = [0]

        def copied():
            t = m.topic_status(topic)  # the map's size while it copies: the peak
            if t:
                peak[0] = max(peak[0], sum(p["map_entries"] for p in t["partitions"]))
            ends = harness.end_offsets_or_none(dst, topic)
            return ends is not None and len(ends) == a.partitions and sum(ends) >= committed
        harness.wait_until(copied, a.timeout, interval=0.2,
                           msg="destination holds every committed record")
        copy_s = time.monotonic() - t0
        ends = harness.end_offsets(src, topic)
        m.wait_caught_up(topic, ends, timeout=60)

        def totals():
            ps = m.topic_status(topic)["partitions"]
            return (sum(p["map_entries"] for p in ps), sum(p["map_expired"] for p in ps),
                    min(p["committed"] for p in ps))

        # positions are committed every second and the map expires behind them
        harness.wait_until(lambda: totals()[2] >= min(ends) and totals()[0] <= 2 * a.partitions,
                           60, msg="offset map expired behind the committed positions")
        entries, expired, _ = totals()
        rss_kb = vm_rss_kb(m.proc.pid)
        state_end = sum(harness.end_offsets(dst, "__ferry_mirror"))
        state_bytes = dir_bytes(os.path.join(dst.run_dir, dst.name, "data"), "__ferry_mirror-")
        m.stop()
        t1 = time.monotonic()
        m.start()
        start_s = time.monotonic() - t1
        st = m.status()["state"]
        # the replayed map, once the restarted mirror lists the topic's partitions
        parts_after = harness.wait_until(
            lambda: (lambda t: t["partitions"] if t and len(t["partitions"]) == a.partitions
                     else None)(m.topic_status(topic)), 30, msg="topic listed after the restart")
        after = sum(p["map_entries"] for p in parts_after)
        rate = committed / copy_s
        print()
        print(f"{'copy: launch -> every committed record on the destination':62s} "
              f"{copy_s:8.1f} s  ({rate:,.0f} records/s)")
        print(f"{'offset-map entries left / expired (unbounded: their sum)':62s} "
              f"{entries:8d} / {expired}")
        print(f"{'offset-map entries at most while copying (sampled)':62s} {peak[0]:8d}")
        print(f"{'offset-map memory: unbounded / after expiry (16 B an entry)':62s} "
              f"{(entries + expired) * ENTRY_BYTES:8d} / {entries * ENTRY_BYTES} B")
        print(f"{'mirror VmRSS after the copy':62s} {rss_kb // 1024:8d} MiB")
        print(f"{'state-topic records written (map, tombstones, positions)':62s} {state_end:8d}")
        print(f"{'state-topic log size on the destination broker':62s} "
              f"{state_bytes // 1024:8d} KiB")
        print(f"{'restart: state records replayed, replay ms':62s} "
              f"{st['records_loaded']:8d}   {st['load_ms']} ms")
        print(f"{'restart: exec -> admin endpoint answers':62s} {start_s:8.2f} s")
        print(f"{'offset-map entries after the restart':62s} {after:8d}")
        print(f"OMAP_RESULT records={committed} aborted={aborted} txns={txns} "
              f"partitions={a.partitions} copy_s={copy_s:.1f} rec_s={rate:.0f} "
              f"map_entries={entries} map_expired={expired} map_peak={peak[0]} "
              f"map_bytes_unbounded={(entries + expired) * ENTRY_BYTES} "
              f"map_bytes={entries * ENTRY_BYTES} rss_kb={rss_kb} "
              f"state_records={state_end} state_bytes={state_bytes} "
              f"replay_records={st['records_loaded']} replay_ms={st['load_ms']} "
              f"start_s={start_s:.2f}")
        ok = True
    except Exception as e:  # noqa: BLE001 - reported, then everything is stopped
        print(f"omap_bench: {e}", file=sys.stderr)
        if m:
            print(m.log_tail(40), file=sys.stderr)
    finally:
        if m:
            m.stop()
        for c in clusters:
            c.stop()
        if ok:
            harness.remove_tree(work)
        else:
            print(f"omap_bench: logs kept in {work}", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
