# SPDX-License-Identifier: Apache-2.0
"""The mirror's GET /metrics and health probes on its admin endpoint (issue 15), against two
real clusters: records and bytes copied per partition exactly as produced, lag 0 in records
and seconds once caught up, topic state through pause and resume, delivery errors, group-sync age,
the admin requests counted; the exposition validated by the strict parser promtext.py."""
import json
import os
import sys
import urllib.error
import urllib.request

from harness import create_topic, end_offsets, produce, unique, wait_until

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
import promtext  # noqa: E402


def get(m, path):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{m.admin_port}{path}", timeout=10) as r:
            return r.status, r.headers.get("Content-Type"), r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type"), e.read().decode()


def scrape(m):
    code, ctype, text = get(m, "/metrics")
    assert code == 200, text
    assert ctype == "text/plain; version=0.0.4; charset=utf-8"
    return promtext.parse(text)


def v(f, name, **labels):
    return promtext.value(f, name, **labels)


def test_mirror_metrics_match_what_was_copied(kafka_src, kafka_dst, mirrors):
    topic = unique("met")
    create_topic(kafka_src, topic, 2)
    recs = [{"partition": i % 2, "key": b"k%d" % i, "value": b"v" * (10 + i % 7)}
            for i in range(400)]
    produce(kafka_src, topic, recs)
    want_n = [sum(1 for r in recs if r["partition"] == p) for p in range(2)]
    want_bytes = [sum(len(r["key"]) + len(r["value"]) for r in recs if r["partition"] == p)
                  for p in range(2)]
    m = mirrors(kafka_src, kafka_dst, topics=topic).start()
    code, _, body = get(m, "/health/live")
    assert code == 200 and json.loads(body) == {"status": "UP"}
    wait_until(lambda: get(m, "/health/ready")[0] == 200, 30, msg="mirror ready")
    m.wait_caught_up(topic, end_offsets(kafka_src, topic))

    def settled():
        f = scrape(m)
        return all(v(f, "ferry_mirror_records_total", topic=topic, partition=str(p)) == want_n[p]
                   and v(f, "ferry_mirror_lag_records", topic=topic, partition=str(p)) == 0
                   for p in range(2))
    wait_until(settled, 30, msg="records counted and lag 0 in /metrics")
    f = scrape(m)
    for p in range(2):
        lp = dict(topic=topic, partition=str(p))
        assert v(f, "ferry_mirror_bytes_total", **lp) == want_bytes[p]
        assert v(f, "ferry_mirror_lag_seconds", **lp) == 0
        assert v(f, "ferry_mirror_delivery_errors_total", **lp) == 0
    assert v(f, "ferry_mirror_topic_state", topic=topic, state="ACTIVE") == 1
    assert v(f, "ferry_mirror_topic_state", topic=topic, state="FAILED") == 0
    assert v(f, "ferry_mirror_source_reachable") == 1
    assert v(f, "process_threads") >= 3
    # status and metrics agree (one source: the snapshot)
    st = m.topic_status(topic)
    assert sum(p["records"] for p in st["partitions"]) == sum(want_n)
    # group offset sync runs every 500 ms here: its age is small and present
    wait_until(lambda: v(scrape(m), "ferry_mirror_group_sync_age_seconds") is not None, 30,
               msg="a group sync")
    assert 0 <= v(scrape(m), "ferry_mirror_group_sync_age_seconds") < 30
    # the admin requests themselves, by route and status
    f = scrape(m)
    assert v(f, "ferry_http_requests_total", method="GET", route="/status", status="200") >= 1
    assert v(f, "ferry_http_requests_total", method="GET", route="/health/ready",
             status="200") >= 1
    assert get(m, "/nope")[0] == 404
    assert v(scrape(m), "ferry_http_requests_total", method="GET", route="other",
             status="404") == 1

    # paused, then resumed: the late records are counted on top, state follows
    code, body = m.request("POST", "pause", topic=topic)
    assert code == 200, body
    wait_until(lambda: v(scrape(m), "ferry_mirror_topic_state", topic=topic, state="PAUSED") == 1,
               30, msg="PAUSED in /metrics")
    produce(kafka_src, topic, [{"partition": 0, "value": b"late"} for _ in range(25)])
    code, body = m.request("POST", "resume", topic=topic)
    assert code == 200, body
    m.wait_caught_up(topic, end_offsets(kafka_src, topic))
    wait_until(lambda: v(scrape(m), "ferry_mirror_records_total", topic=topic, partition="0")
               == want_n[0] + 25, 30, msg="late records counted")

