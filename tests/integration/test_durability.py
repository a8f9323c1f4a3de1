# SPDX-License-Identifier: Apache-2.0
"""Durability: every acknowledged (200) write survives kill -9 with the same id and version;
an unacknowledged in-flight write is either wholly there or absent; clean restarts keep
everything; a torn tail of the log is discarded (sr-api §5.1 ids derived from the log, §12)."""
import json
import threading
import time

import pytest
import requests

from conftest import CT_V1, Api, aname, describe, expect_ok, q, record, wait_until

THREADS = 32
PER_THREAD = 60
SUBJECTS = 8
KILL_AFTER_ACKS = 300


def _burst_schema(t: int, i: int) -> str:
    return record(f"Dur_t{t}_i{i}", ("a", "int"), ("t", "int", t), ("i", "int", i))


class Burst:
    def __init__(self, url: str):
        self.url = url
        self.lock = threading.Lock()
        self.acks: list[tuple[str, str, int, int | None]] = []
        self.bad: list[str] = []
        self.sent: set[tuple[str, str]] = set()
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self._worker, args=(t,), daemon=True)
                        for t in range(THREADS)]

    def _worker(self, t: int) -> None:
        sess = requests.Session()
        for i in range(PER_THREAD):
            if self.stop.is_set():
                return
            subject = f"dur-{(t + i) % SUBJECTS}"
            schema = _burst_schema(t, i)
            with self.lock:
                self.sent.add((subject, schema))
            try:
                r = sess.post(f"{self.url}/subjects/{q(subject)}/versions",
                              data=json.dumps({"schema": schema}),
                              headers={"Content-Type": CT_V1}, timeout=60)
            except requests.RequestException:
                return  # the server is gone (killed): this write is unacknowledged
            if r.status_code == 200:
                b = r.json()
                version = b.get("version")
                if version is None:  # a 7.x-style {"id":N}: learn the version by a lookup
                    try:
                        lr = sess.post(f"{self.url}/subjects/{q(subject)}",
                                       data=json.dumps({"schema": schema}),
                                       headers={"Content-Type": CT_V1}, timeout=60)
                        if lr.status_code == 200:
                            version = lr.json()["version"]
                    except requests.RequestException:
                        pass  # killed between the two calls: the id is still checked
                with self.lock:
                    self.acks.append((subject, schema, b["id"], version))
            else:
                with self.lock:
                    self.bad.append(describe(r))
                return

    def start(self) -> None:
        for th in self.threads:
            th.start()

    def done(self) -> bool:
        return not any(th.is_alive() for th in self.threads)

    def join(self) -> None:
        self.stop.set()
        for th in self.threads:
            th.join(timeout=90)
        assert self.done(), "burst threads did not finish"


def _verify_store_consistent(api: Api, generated: set[tuple[str, str]] | None = None) -> dict:
    """Nothing half-there: every listed version is fully readable and its id resolves to the
    same text; every (subject, schema) appears once. Returns {(subject, schema): (id, v)}."""
    found: dict[tuple[str, str], tuple[int, int]] = {}
    ids_text: dict[int, str] = {}
    for s in expect_ok(api.get("/subjects", params={"deleted": "true"})):
        versions = expect_ok(api.versions(s, {"deleted": "true"}))
        assert versions == sorted(set(versions)), (s, versions)
        for v in versions:
            b = expect_ok(api.version(s, v, {"deleted": "true"}))
            assert (b["subject"], b["version"]) == (s, v), b
            key = (s, b["schema"])
            assert key not in found, f"schema registered twice in {s}: {found[key]} and {v}"
            found[key] = (b["id"], v)
            if generated is not None:
                assert key in generated, f"unknown content in the store: {key}"
            txt = ids_text.get(b["id"])
            if txt is None:
                sb = expect_ok(api.get(f"/schemas/ids/{b['id']}"))
                ids_text[b["id"]] = txt = sb["schema"]
            assert txt == b["schema"], (s, v, b["id"])
    return found


def test_acknowledged_writes_survive_kill_9_mid_burst(ferry_factory):
    srv = ferry_factory.start()
    api = Api(srv)
    api.set_config(None, "NONE")
    burst = Burst(srv.url)
    burst.start()
    wait_until(lambda: len(burst.acks) >= KILL_AFTER_ACKS or burst.done(), timeout=120,
               interval=0.005, what=f"{KILL_AFTER_ACKS} acknowledged registrations")
    srv.kill9()
    burst.join()
    assert not burst.bad, "non-200 answers before the kill:\n" + "\n".join(burst.bad[:10])
    acks = list(burst.acks)
    assert len(acks) >= 50, f"only {len(acks)} acks before the kill"

    srv2 = ferry_factory.start(data_dir=srv.data_dir)
    api2 = Api(srv2)
    found = _verify_store_consistent(api2, burst.sent)
    for subject, schema, sid, version in acks:
        assert (subject, schema) in found, f"acknowledged write lost: {subject} id={sid}"
        got_id, got_v = found[(subject, schema)]
        assert got_id == sid, (subject, schema, sid, got_id)
        if version is not None:
            assert got_v == version, (subject, sid, version, got_v)
        b = expect_ok(api2.version(subject, got_v))
        assert (b["id"], b["schema"]) == (sid, schema)
        assert expect_ok(api2.get(f"/schemas/ids/{sid}"))["schema"] == schema
    # re-registering answers the same ids and adds no versions
    before = {s: expect_ok(api2.versions(s)) for s in {a[0] for a in acks}}
    for subject, schema, sid, _ in acks:
        assert api2.register_ok(subject, schema) == sid
    assert {s: expect_ok(api2.versions(s)) for s in before} == before
    # the id counter continues after everything in the log (acked or not)
    max_id = max(x[0] for x in found.values())
    assert api2.register_ok("dur-after", record(aname(), ("a", "int"))) > max_id
    unacked_present = len(found) - len({(a[0], a[1]) for a in acks})
    print(f"acks={len(acks)} present={len(found)} unacked-but-present={unacked_present}")


def _build_state(api: Api) -> None:
    n = aname("S")
    api.register_ok("st-a", record(n, ("a", "int")))
    api.register_ok("st-a", record(n, ("a", "int"), ("b", "int", 0)))
    api.register_ok("st-a", record(n, ("a", "int"), ("b", "int", 0), ("c", "int", 0)))
    expect_ok(api.delete_version("st-a", 2))
    api.register_ok("st-b", '"string"', metadata={"properties": {"owner": "x"}})
    api.register_ok("st-gone", record(aname(), ("x", "int")))
    expect_ok(api.delete_subject("st-gone"))
    api.register_ok("st-hard", record(aname(), ("x", "long")))
    expect_ok(api.delete_subject("st-hard"))
    expect_ok(api.delete_subject("st-hard", permanent=True))
    an = aname("Addr")
    api.register_ok("st-addr", record(an, ("s", "string")))
    api.register_ok("st-ref", record(aname("P"), ("home", an)),
                    references=[{"name": an, "subject": "st-addr", "version": 1}])
    api.register_ok("st-a/slash ü", record(aname(), ("u", "string")))
    api.set_config(None, "FULL")
    api.set_config("st-b", "NONE")
    api.set_mode("st-ref", "READONLY")
    api.set_config("st-cfg-only", "FORWARD")
    api.register_ok(":.dur:ctx-subject", record(aname(), ("c", "int")))


def _deep_snapshot(api: Api) -> dict:
    snap: dict = {"subjects": expect_ok(api.get("/subjects", params={"deleted": "true"})),
                  "live": expect_ok(api.get("/subjects")),
                  "schemas": expect_ok(api.get("/schemas", params={"deleted": "true"})),
                  "config": expect_ok(api.get("/config")), "mode": expect_ok(api.get("/mode")),
                  "max_id": api.max_id(), "per": {},
                  "contexts": expect_ok(api.get("/contexts")),
                  "ctx_version": expect_ok(api.version(":.dur:ctx-subject", 1))}
    for s in snap["subjects"] + ["st-cfg-only", "st-hard"]:
        per: dict = {}
        r = api.versions(s, {"deleted": "true", "deletedAsNegative": "true"})
        per["versions"] = (r.status_code, r.json())
        per["config"] = (api.get(f"/config/{q(s)}").status_code,
                         api.get(f"/config/{q(s)}").json())
        per["mode"] = (api.get(f"/mode/{q(s)}").status_code, api.get(f"/mode/{q(s)}").json())
        if r.status_code == 200:
            for v in r.json():
                v = abs(v)
                per[f"v{v}"] = expect_ok(api.version(s, v, {"deleted": "true"}))
                per[f"rb{v}"] = expect_ok(api.get(f"/subjects/{q(s)}/versions/{v}/referencedby",
                                                  params={"deleted": "true"}))
        snap["per"][s] = per
    ids = sorted({x["id"] for x in snap["schemas"]})
    snap["ids"] = {i: (expect_ok(api.get(f"/schemas/ids/{i}")),
                       sorted(expect_ok(api.get(f"/schemas/ids/{i}/versions",
                                                params={"deleted": "true"})),
                              key=lambda x: (x["subject"], x["version"])))
                   for i in ids}
    return snap


@pytest.mark.parametrize("how", ["sigterm", "sigkill"])
def test_restart_keeps_everything(ferry_factory, how):
    srv = ferry_factory.start()
    api = Api(srv)
    _build_state(api)
    before = _deep_snapshot(api)
    if how == "sigterm":
        srv.stop_and_check()
    else:
        srv.kill9()
    api2 = Api(ferry_factory.start(data_dir=srv.data_dir))
    after = _deep_snapshot(api2)
    assert after == before
    # writes continue where they left off: new ids above every id ever used
    api2.set_mode("st-ref", "READWRITE")
    assert api2.register_ok("st-new", record(aname(), ("a", "int"))) > before["max_id"]
    # and a second restart still agrees
    api2.server.stop_and_check()
    api3 = Api(ferry_factory.start(data_dir=srv.data_dir))
    assert expect_ok(api3.versions("st-new")) == [1]
    assert _deep_snapshot(api3)["per"]["st-a"] == before["per"]["st-a"]


def test_torn_tail_write_is_discarded_on_restart(ferry_factory):
    """Simulate a crash in the middle of appending the last (unacknowledged) write: cut every
    file that grew during it back to the middle of its growth."""
    srv = ferry_factory.start()
    api = Api(srv)
    kept = [(f"torn-{i}", record(aname(), ("a", "int"))) for i in range(5)]
    ids = [api.register_ok(s, v) for s, v in kept]
    srv.stop_and_check()
    srv = ferry_factory.start(data_dir=srv.data_dir)

    def sizes():
        return {p: p.stat().st_size for p in srv.data_dir.rglob("*") if p.is_file()}
    wait_until(lambda: sizes(), timeout=5, what="data files")
    api = Api(srv)
    before = sizes()
    lost = record(aname(), ("z", "int"))
    api.register_ok("torn-last", lost)
    srv.kill9()
    after = sizes()
    # only files appended in place; a file written anew (tmp + rename) cannot be half there
    grown = {p: (before[p], n) for p, n in after.items() if p in before and n > before[p]}
    if not grown:
        pytest.skip("no existing data file grew in place on a write")
    for p, (old, new) in grown.items():
        with open(p, "r+b") as f:
            f.truncate(old + max(1, (new - old) // 2))
    api2 = Api(ferry_factory.start(data_dir=srv.data_dir))
    for (s, v), sid in zip(kept, ids):
        b = expect_ok(api2.version(s, 1))
        assert (b["id"], b["schema"]) == (sid, v)
    r = api2.versions("torn-last")
    assert r.status_code in (200, 404), describe(r)
    if r.status_code == 200:  # if kept at all, then whole
        b = expect_ok(api2.version("torn-last", 1))
        assert b["schema"] == lost
    _verify_store_consistent(api2)
    new_id = api2.register_ok("torn-new", record(aname(), ("n", "int")))
    assert new_id > max(ids)


def test_concurrent_same_schema_registrations_agree(ferry_factory):
    """Racing registrations of one schema into one subject: one version, one id."""
    srv = ferry_factory.start()
    v = record(aname(), ("a", "int"))
    results: list = []
    lock = threading.Lock()
    go = threading.Event()

    def worker():
        sess = requests.Session()
        go.wait(10)
        r = sess.post(f"{srv.url}/subjects/race/versions", data=json.dumps({"schema": v}),
                      headers={"Content-Type": CT_V1}, timeout=60)
        with lock:
            results.append((r.status_code, r.text))
    ths = [threading.Thread(target=worker) for _ in range(16)]  # noqa: B023
    for t in ths:
        t.start()
    go.set()
    for t in ths:
        t.join(60)
    assert all(st == 200 for st, _ in results), results
    assert len({json.loads(t)["id"] for _, t in results}) == 1
    assert expect_ok(Api(srv).versions("race")) == [1]


def test_concurrent_distinct_versions_are_numbered_without_gaps(ferry_factory):
    srv = ferry_factory.start()
    api = Api(srv)
    api.set_config(None, "NONE")
    schemas = [record(f"Gap{i}", ("a", "int")) for i in range(40)]
    out: dict[str, int] = {}
    errors: list[str] = []
    lock = threading.Lock()

    def worker(chunk):
        sess = requests.Session()
        for sch in chunk:
            r = sess.post(f"{srv.url}/subjects/gapless/versions",
                          data=json.dumps({"schema": sch}),
                          headers={"Content-Type": CT_V1}, timeout=60)
            with lock:
                if r.status_code == 200:
                    out[sch] = r.json()["id"]
                else:
                    errors.append(describe(r))
    ths = [threading.Thread(target=worker, args=(schemas[i::8],)) for i in range(8)]
    t0 = time.monotonic()
    for t in ths:
        t.start()
    for t in ths:
        t.join(120)
    assert time.monotonic() - t0 < 120
    assert not errors, errors[:5]
    assert len(out) == 40 and len(set(out.values())) == 40
    assert expect_ok(api.versions("gapless")) == list(range(1, 41))
    for sch, sid in out.items():
        assert expect_ok(api.lookup("gapless", sch))["id"] == sid


def test_journal_is_compacted_while_serving(ferry_factory):
    """The journal must not grow without bound: churn on one key (config
    rewrites) triggers a compaction in the running server; nothing is lost."""
    srv = ferry_factory.start(config={"ferry.store.compact.min.bytes": "65536"})
    api = Api(srv)
    ids = {f"keep-{i}": api.register_ok(f"keep-{i}", record(aname("K"), ("a", "int")))
           for i in range(5)}
    journal = srv.data_dir / "journal"
    for i in range(1500):
        expect_ok(api.put("/config/churn", {"compatibility": "FULL" if i % 2 else "NONE"}))
    # 1,500 records of ~100 bytes were written for one key; compaction keeps one
    wait_until(lambda: journal.stat().st_size < 65536, timeout=20)
    for s, sid in ids.items():
        assert expect_ok(api.version(s, 1))["id"] == sid
    assert expect_ok(api.get("/config/churn"))["compatibilityLevel"] == "FULL"
    srv.stop_and_check()
    api2 = Api(ferry_factory.start(data_dir=srv.data_dir))
    assert expect_ok(api2.get("/config/churn"))["compatibilityLevel"] == "FULL"
    for s, sid in ids.items():
        assert expect_ok(api2.version(s, 1))["id"] == sid
