#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""RTO of `ferry dr failover` (scripts/bench.sh scenario 14; issue 16).

Starts two single-node KRaft clusters (tests/kafka/harness.py), --topics
mirrored topics of --partitions partitions with --records records each on the
source, a `ferry mirror` of all of them (consumer groups `bench-app*`
translated: --groups groups with committed offsets), two `ferry serve`
registries (tests/kafka/drkit.py): the primary with --subjects subjects
exported by exporter `to-dr` into the DR registry's context `.primary`.
Once everything is replicated (mirror lag 0 on every topic, every subject on
DR), it runs an unplanned `ferry dr failover` (the primary site still up:
the final group sync runs) and reports its RTO — from the command's start
to the DR side accepting writes (every mirror topic STOPPED and the DR scope
READWRITE), as the command measures it — plus the command's wall time and
each step's duration. Checks that every topic was failed over with nothing
lost and the DR scope is READWRITE.

Prints `DR_RESULT rto_ms=... wall_ms=... topics=... subjects=... <step>_ms=...`.
Everything it starts is stopped on exit; every wait is bounded. Exit 1 when a
step fails.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "kafka"))

import requests  # noqa: E402
from confluent_kafka import Consumer, Producer, TopicPartition  # noqa: E402
from confluent_kafka.admin import NewTopic  # noqa: E402

import harness  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--ferry", default=os.path.join(ROOT, "build", "release", "ferry"))
    ap.add_argument("--topics", type=int, default=100)
    ap.add_argument("--partitions", type=int, default=2)
    ap.add_argument("--records", type=int, default=100)
    ap.add_argument("--subjects", type=int, default=10000)
    ap.add_argument("--groups", type=int, default=10)
    ap.add_argument("--timeout", type=float, default=600)
    a = ap.parse_args()
    harness.FERRY_BIN = a.ferry
    import drkit  # noqa: E402
    drkit.FERRY_BIN = a.ferry
    work = harness.new_workdir()
    clusters, m, site = [], None, None
    ok = False
    try:
        clusters = harness.start_clusters(["drsrc", "drdst"], work)
        src, dst = clusters
        names = [f"dr-bench-{i:03d}" for i in range(a.topics)]
        admin = src.admin()
        for f in admin.create_topics([NewTopic(n, a.partitions, 1) for n in names]).values():
            f.result(60)
        p = Producer({"bootstrap.servers": src.bootstrap, "linger.ms": 20})
        for n in names:
            for i in range(a.records):
                p.produce(n, b"v%d" % i, partition=i % a.partitions)
            p.poll(0)
        assert p.flush(60) == 0
        del p  # no client left reconnecting to the clusters once they stop
        for g in range(a.groups):
            c = Consumer({"bootstrap.servers": src.bootstrap, "group.id": f"bench-app-{g}",
                          "enable.auto.commit": False})
            c.commit(offsets=[TopicPartition(n, q, a.records // a.partitions // 2)
                              for n in names for q in range(a.partitions)], asynchronous=False)
            c.close()
        print(f"source: {a.topics} topics x {a.partitions} partitions x {a.records} records, "
              f"{a.groups} groups", flush=True)

        site = drkit.DrSite(work)
        t0 = time.monotonic()
        s = requests.Session()
        schema = json.dumps({"type": "record", "name": "R", "fields": [{"name": "a",
                                                                       "type": "int"}]})
        for i in range(a.subjects):
            r = s.post(f"{site.primary.url}/subjects/bench-{i:05d}-value/versions",
                       data=json.dumps({"schema": schema}), headers=drkit.CT, timeout=30)
            assert r.status_code == 200, r.text
        print(f"primary: {a.subjects} subjects registered ({time.monotonic() - t0:.1f} s)",
              flush=True)

        def dr_count():
            r = s.get(f"{site.dr.url}/contexts/.primary/subjects", timeout=30)
            return len(r.json()) if r.status_code == 200 else 0
        harness.wait_until(lambda: dr_count() >= a.subjects, a.timeout, interval=0.5,
                           msg=f"{a.subjects} subjects on DR")
        print(f"DR: {a.subjects} subjects replicated ({time.monotonic() - t0:.1f} s)",
              flush=True)

        # production intervals (the mirror's defaults), not the test harness's short ones:
        # a config sync of 100 topics every second keeps the control thread busy, and the
        # final group sync waits for the control call in progress
        m = harness.Mirror(src, dst, work, name="drbench", topics=",".join(names),
                           groups_prefix="bench-app", groups_sync_interval_ms=None,
                           topics_refresh_interval_ms=None, offset_commit_interval_ms=None,
                           topic_config_sync_interval_ms=None)
        m.start()

        def caught_up():
            ts = {t["topic"]: t for t in m.status()["topics"]}
            return len(ts) == a.topics and all(
                len(t["partitions"]) == a.partitions and
                all(q["source_end"] == q["mirrored"] == a.records // a.partitions
                    for q in t["partitions"]) for t in ts.values())
        harness.wait_until(caught_up, a.timeout, interval=0.5, msg="mirror caught up")
        print(f"mirror: {a.topics} topics caught up ({time.monotonic() - t0:.1f} s)",
              flush=True)
        cfg = site.write_conf(mirror=m)
        t1 = time.monotonic()
        out = subprocess.run([a.ferry, "dr", "failover", "--config", cfg, "--json"],
                             capture_output=True, text=True, timeout=120)
        wall_ms = (time.monotonic() - t1) * 1000
        if out.returncode != 0:
            print(out.stdout, out.stderr)
            return 1
        rep = json.loads(out.stdout)
        assert len(rep["topics"]) == a.topics, len(rep["topics"])
        assert rep["topic_records_lost"] == 0, rep["topic_records_lost"]
        assert all(sc["after"] == "READWRITE" for sc in rep["scopes"]), rep["scopes"]
        assert all(t["state"] == "STOPPED" for t in m.status()["topics"])
        steps = {st["step"]: st["ms"] for st in rep["steps"]}
        print()
        print(f"{'ferry dr failover RTO (start -> DR accepts writes)':58s} "
              f"{rep['rto_ms']:8d} ms")
        print(f"{'ferry dr failover wall time (exec -> exit)':58s} {wall_ms:8.0f} ms")
        for k, v in steps.items():
            print(f"  step {k:20s} {v:8d} ms")
        print("DR_RESULT rto_ms=%d wall_ms=%.0f topics=%d partitions=%d subjects=%d %s" % (
            rep["rto_ms"], wall_ms, a.topics, a.topics * a.partitions, a.subjects,
            " ".join(f"{k}_ms={v}" for k, v in steps.items())))
        ok = True
    finally:
        if m:
            m.stop()
        if site:
            site.stop()
        for c in clusters:
            c.stop()
        if ok:
            harness.remove_tree(work)
        else:
            print(f"logs kept in {work}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
