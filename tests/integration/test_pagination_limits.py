# SPDX-License-Identifier: Apache-2.0
"""Server-side list limits (sr-api §1 Pagination): GET /schemas defaults to and is capped at
1000 entries; subjects and versions lists are unlimited."""
import json
import threading

import requests

from conftest import CT_V1, Api, describe, expect_ok, record

N = 1010


def test_schemas_list_is_capped_at_1000_subjects_are_not(ferry_factory):
    srv = ferry_factory.start()
    api = Api(srv)
    errors: list[str] = []
    lock = threading.Lock()

    def worker(k):
        sess = requests.Session()
        for i in range(k, N, 8):
            r = sess.post(f"{srv.url}/subjects/lim-{i:05d}/versions",
                          data=json.dumps({"schema": record(f"L{i}", ("a", "int"))}),
                          headers={"Content-Type": CT_V1}, timeout=60)
            if r.status_code != 200:
                with lock:
                    errors.append(describe(r))
    ths = [threading.Thread(target=worker, args=(k,)) for k in range(8)]
    for t in ths:
        t.start()
    for t in ths:
        t.join(180)
    assert not errors, errors[:5]

    subjects = expect_ok(api.get("/subjects"))
    assert len(subjects) == N and subjects == sorted(subjects)
    first = expect_ok(api.get("/schemas"))
    assert len(first) == 1000
    assert [x["subject"] for x in first] == subjects[:1000]
    assert len(expect_ok(api.get("/schemas", params={"limit": "5000"}))) == 1000
    assert len(expect_ok(api.get("/schemas", params={"limit": "-1"}))) == 1000
    rest = expect_ok(api.get("/schemas", params={"offset": "1000"}))
    assert [x["subject"] for x in rest] == subjects[1000:]
    assert expect_ok(api.get("/schemas", params={"offset": "990", "limit": "5"})) == first[990:995]
    assert expect_ok(api.get("/subjects", params={"limit": "5000"})) == subjects
    assert expect_ok(api.get("/subjects", params={"offset": "1005"})) == subjects[1005:]
