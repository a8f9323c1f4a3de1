# SPDX-License-Identifier: Apache-2.0
"""Schema linking inside `ferry serve` (sr-api §11, issue 4): the /exporters REST API and
real links between two and three live servers — initial sync of 1,000 schemas with
references, contexts, configs and modes compared dump to dump; following new writes and
deletes; kill -9 of either side mid-sync; destination down -> ERROR -> convergence;
pause/resume/reset; a bidirectional pair that never loops; fan-out to two destinations
with CUSTOM / NONE contexts and subject renames."""
from __future__ import annotations

from typing import Any

import pytest

import conftest
from conftest import Api, expect_error, expect_ok, q, record, wait_until

FAST = {"ferry.fsync": "false"}  # link tests are about copying, durability has its own suite
SYNC_DEADLINE = 60.0


def cid(api: Api) -> str:
    """The cluster id naming this registry's AUTO context on destinations."""
    return (api.server.data_dir / "cluster.id").read_text().strip()


def create_exporter(src: Api, name: str, dst: Api, **fields: Any) -> None:
    body = {"name": name, "config": {"schema.registry.url": dst.base, "max.retries": "1",
                                     "retries.wait.ms": "20"}}
    body.update(fields)
    assert expect_ok(src.post("/exporters", body)) == {"name": name}


def status(src: Api, name: str) -> dict:
    return expect_ok(src.get(f"/exporters/{name}/status"))


def split(qs: str) -> tuple[str, str]:
    """`:.ctx:name` -> (".ctx", "name"); `name` -> (".", "name")."""
    if qs.startswith(":."):
        ctx, _, name = qs[1:].partition(":")
        return ctx, name
    return ".", qs


def dump(api: Api, ctx: str) -> dict:
    """Everything a link copies out of one context: versions (id, schema, references with
    context-free subjects, soft-deleted flag), subject configs and modes, context config."""
    prefix = "" if ctx == "." else f":{ctx}:"
    every = expect_ok(api.get("/schemas", params={"subjectPrefix": prefix, "deleted": "true"}))
    live = expect_ok(api.get("/schemas", params={"subjectPrefix": prefix}))
    live_keys = {(s["subject"], s["version"]) for s in live}
    out: dict[str, Any] = {"versions": {}, "config": {}, "mode": {}}
    for s in every:
        c, name = split(s["subject"])
        assert c == ctx, s
        refs = [dict(r, subject=split(r["subject"])[1]) for r in s.get("references", [])]
        out["versions"][(name, s["version"])] = (
            s["id"], s["schema"], s.get("schemaType", "AVRO"), refs,
            (s["subject"], s["version"]) in live_keys)
    for name in sorted({k[0] for k in out["versions"]}):
        r = api.get(f"/config/{q(prefix + name)}")
        if r.status_code == 200:
            out["config"][name] = r.json()
        r = api.get(f"/mode/{q(prefix + name)}")
        if r.status_code == 200:
            out["mode"][name] = r.json()["mode"]
    r = api.get(f"/config/{q(prefix)}") if prefix else api.get("/config")
    level = r.json().get("compatibilityLevel") if r.status_code == 200 else None
    # GET /config always answers (the server default BACKWARD when none is stored): tests
    # that set a top-level config use another level, so BACKWARD there means "none"
    out["context_config"] = None if not prefix and level == "BACKWARD" else level
    return out


def expected_dest(src_dump: dict) -> dict:
    """What the destination must hold: the same, except that READWRITE subject modes
    become the destination context's IMPORT (no subject-level mode)."""
    d = dict(src_dump)
    d["mode"] = {k: v for k, v in src_dump["mode"].items() if v != "READWRITE"}
    return d


def converged(src: Api, src_ctx: str, dst: Api, dst_ctx: str) -> bool:
    a, b = expected_dest(dump(src, src_ctx)), dump(dst, dst_ctx)
    return a == b


def restart_same_port(ferry_factory, old, monkeypatch) -> Api:
    """Restart a killed server on its data dir and port (so links reach it unchanged)."""
    monkeypatch.setattr(conftest, "_free_port", lambda: old.port)
    try:
        return Api(ferry_factory.start(config=old.config, data_dir=old.data_dir))
    finally:
        monkeypatch.undo()


def populate(api: Api, n_subjects: int, versions: int, tag: str) -> int:
    """n_subjects x versions schemas in the default context: each subject's versions add
    a field; every subject references the shared base type. Returns schemas written."""
    base = record(f"Base_{tag}", ("b", "int"))
    api.register_ok(f"{tag}-base", base)
    n = 1
    for s in range(n_subjects):
        for v in range(versions):
            fields = [("r", f"Base_{tag}")] + [(f"f{i}", "int", i) for i in range(v)]
            api.register_ok(f"{tag}-s{s}", record(f"T_{tag}_{s}", *fields),
                            references=[{"name": f"Base_{tag}", "subject": f"{tag}-base",
                                         "version": 1}])
            n += 1
    return n


# --------------------------------------------------------------------------------------------
# REST API


def test_exporter_rest_api_errors_and_shapes(ferry_factory):
    src = Api(ferry_factory.start(config=FAST))
    dst = Api(ferry_factory.start(config=FAST))
    create_exporter(src, "e1", dst, subjects=["orders-*"], contextType="CUSTOM", context="dr",
                    subjectRenameFormat="dc_${subject}")
    expect_error(src.post("/exporters", {"name": "e1", "config": {
        "schema.registry.url": dst.base}}), 409, 40950, "Exporter 'e1' already exists.")
    b = expect_error(src.post("/exporters", {"name": "e2", "config": {}}), 422, 42250)
    assert "schema.registry.url" in b["message"]
    b = expect_error(src.post("/exporters", {"name": "e2", "contextType": "WHAT",
                                             "config": {"schema.registry.url": dst.base}}),
                     422, 42250)
    assert "contextType" in b["message"]
    b = expect_error(src.post("/exporters", {"name": "e2", "config": {
        "schema.registry.url": dst.base, "max.in.flight": "0"}}), 422, 42250)
    assert "max.in.flight" in b["message"]
    expect_error(src.get("/exporters/nope"), 404, 40450, "Exporter 'nope' not found.")
    expect_error(src.get("/exporters/nope/status"), 404, 40450)
    expect_error(src.put("/exporters/nope/resume"), 404, 40450)
    info = expect_ok(src.get("/exporters/e1"))
    assert info == {"name": "e1", "subjects": ["orders-*"], "contextType": "CUSTOM",
                    "context": ".dr", "subjectRenameFormat": "dc_${subject}",
                    "config": {"schema.registry.url": dst.base, "max.retries": "1",
                               "retries.wait.ms": "20"}}
    assert expect_ok(src.put("/exporters/e1/config", {"request.timeout.ms": "5000"})) == \
        {"name": "e1"}
    assert expect_ok(src.get("/exporters/e1/config"))["request.timeout.ms"] == "5000"
    assert expect_ok(src.put("/exporters/e1", {"subjects": ["*"]})) == {"name": "e1"}
    st = wait_until(lambda: (s := status(src, "e1"))["state"] == "RUNNING" and s,
                    what="exporter RUNNING")
    assert set(st) >= {"name", "state", "offset", "ts"}
    # the URL-prefix form: same resource, patterns scoped to the context
    create_exporter(Api(src.base + "/contexts/.src"), "e3", dst)
    assert expect_ok(src.get("/exporters/e3"))["subjects"] == [":.src:*"]
    assert expect_ok(src.get("/contexts/.src/exporters")) == ["e1", "e3"]
    expect_ok(src.delete("/exporters/e3"))
    expect_error(src.get("/exporters/e3"), 404, 40450)
    assert expect_ok(src.get("/exporters")) == ["e1"]


# --------------------------------------------------------------------------------------------
# two servers


def test_link_initial_sync_1000_schemas_then_follows_writes(ferry_factory):
    src = Api(ferry_factory.start(config=FAST))
    dst = Api(ferry_factory.start(config=FAST))
    src.set_config(None, "NONE")
    n = populate(src, 100, 10, "init")
    # contexts, subject/context configs and modes
    src.register_ok(":.team:a", record("TeamA", ("x", "int")))
    src.register_ok(":.team:b", record("TeamB", ("y", "int")))
    expect_ok(src.put(f"/config/{q(':.team:')}", {"compatibility": "FULL"}))
    src.set_config("init-s1", "FORWARD")
    src.set_mode("init-s2", "READONLY")
    src.set_mode("init-s3", "READWRITE")
    expect_ok(src.delete_version("init-s4", 10))               # soft delete
    expect_ok(src.delete_version("init-s5", 10))
    expect_ok(src.delete_version("init-s5", 10, permanent=True))  # hard delete
    assert n == 1001

    create_exporter(src, "dr", dst, subjects=[":*:*"])
    auto = "." + cid(src)
    wait_until(lambda: converged(src, ".", dst, auto), timeout=SYNC_DEADLINE,
               what="default context synced")
    wait_until(lambda: converged(src, ".team", dst, auto + ".team"), timeout=SYNC_DEADLINE,
               what="context .team synced")
    assert expect_ok(dst.get(f"/mode/{q(':' + auto + ':')}")) == {"mode": "IMPORT"}
    # the imported ids resolve on the destination exactly as on the source
    sid = expect_ok(src.version("init-s7", 3))["id"]
    assert expect_ok(dst.get(f"/schemas/ids/{sid}", params={"subject": f":{auto}:"}))[
        "schema"] == expect_ok(src.get(f"/schemas/ids/{sid}"))["schema"]

    # live follow: a new version, a subject delete, a config removal
    src.register_ok("init-s8", record("T_init_8", ("r", "Base_init"), ("late", "int", 1)),
                    references=[{"name": "Base_init", "subject": "init-base", "version": 1}])
    expect_ok(src.delete_subject("init-s9"))
    expect_ok(src.delete("/config/init-s1"))
    wait_until(lambda: converged(src, ".", dst, auto), timeout=SYNC_DEADLINE,
               what="live changes followed")
    st = status(src, "dr")
    assert st["state"] == "RUNNING" and "trace" not in st, st


def test_link_kill9_either_side_mid_sync_converges(ferry_factory, monkeypatch):
    src = Api(ferry_factory.start(config=FAST))
    dst = Api(ferry_factory.start(config=FAST))
    src.set_config(None, "NONE")
    populate(src, 30, 10, "k9")
    create_exporter(src, "dr", dst)
    auto = "." + cid(src)
    count = lambda: len(expect_ok(dst.get("/schemas", params={"subjectPrefix": f":{auto}:"})))
    wait_until(lambda: count() >= 40, timeout=SYNC_DEADLINE, interval=0.005,
               what="sync under way")
    dst.server.kill9()
    src.register_ok("k9-while-down", record("Down", ("d", "int")))
    wait_until(lambda: status(src, "dr")["state"] == "ERROR", what="ERROR while down")
    assert status(src, "dr")["trace"]
    dst = restart_same_port(ferry_factory, dst.server, monkeypatch)
    wait_until(lambda: count() >= 150, timeout=SYNC_DEADLINE, interval=0.005,
               what="sync resumed")
    src.server.kill9()
    src = Api(ferry_factory.start(config=FAST, data_dir=src.server.data_dir))
    assert status(src, "dr")["state"] in ("STARTING", "RUNNING", "ERROR")
    wait_until(lambda: converged(src, ".", dst, auto), timeout=SYNC_DEADLINE,
               what="converged after both crashes")
    wait_until(lambda: status(src, "dr")["state"] == "RUNNING", what="RUNNING again")


def test_link_pause_resume_reset(ferry_factory):
    src = Api(ferry_factory.start(config=FAST))
    dst = Api(ferry_factory.start(config=FAST))
    create_exporter(src, "x", dst, contextType="CUSTOM", context=".copy")
    src.register_ok("p1", record("P1", ("a", "int")))
    wait_until(lambda: dst.version(":.copy:p1", 1).status_code == 200, what="p1 copied")

    assert expect_ok(src.put("/exporters/x/pause")) == {"name": "x"}
    assert status(src, "x")["state"] == "PAUSED"
    src.register_ok("p2", record("P2", ("a", "int")))
    assert dst.version(":.copy:p2", 1).status_code == 404
    assert status(src, "x")["state"] == "PAUSED"
    expect_ok(src.put("/exporters/x/resume"))
    wait_until(lambda: dst.version(":.copy:p2", 1).status_code == 200, what="p2 after resume")

    # reset re-exports everything: a copy removed on the destination comes back
    expect_ok(dst.delete_subject(":.copy:p1"))
    expect_ok(dst.delete_subject(":.copy:p1", permanent=True))
    expect_ok(src.put("/exporters/x/reset"))
    wait_until(lambda: dst.version(":.copy:p1", 1).status_code == 200, what="p1 after reset")
    wait_until(lambda: converged(src, ".", dst, ".copy"), what="converged after reset")

    # pause survives a restart (journaled with the definition)
    expect_ok(src.put("/exporters/x/pause"))
    src.server.stop_and_check()
    src = Api(ferry_factory.start(config=FAST, data_dir=src.server.data_dir))
    assert status(src, "x")["state"] == "PAUSED"
    expect_ok(src.delete("/exporters/x"))
    expect_error(src.get("/exporters/x/status"), 404, 40450)


def test_link_destination_refusal_is_error_with_reason_then_recovers(ferry_factory):
    src = Api(ferry_factory.start(config=FAST))
    dst = Api(ferry_factory.start(config=FAST))
    # the destination context already holds a live subject written there by hand
    dst.register_ok(":.dr:mine", record("Mine", ("m", "int")))
    src.register_ok("r1", record("R1", ("a", "int")))
    create_exporter(src, "x", dst, contextType="CUSTOM", context=".dr")
    st = wait_until(lambda: (s := status(src, "x"))["state"] == "ERROR" and s,
                    what="ERROR on a non-empty destination")
    assert "IMPORT" in st["trace"], st
    # the operator clears the way; the link converges by itself
    expect_ok(dst.delete_subject(":.dr:mine"))
    # the link's next retry may win: switching :.dr: to IMPORT purges soft-deleted-only
    # subjects itself (sr-api §7), so the permanent delete may find nothing left
    r = dst.delete_subject(":.dr:mine", permanent=True)
    if r.status_code != 200:
        expect_error(r, 404, 40401)
    wait_until(lambda: dst.version(":.dr:r1", 1).status_code == 200, what="r1 copied")
    wait_until(lambda: status(src, "x")["state"] == "RUNNING", what="RUNNING")


def test_link_bidirectional_pair_never_loops(ferry_factory):
    a = Api(ferry_factory.start(config=FAST))
    b = Api(ferry_factory.start(config=FAST))
    ca, cb = "." + cid(a), "." + cid(b)
    # the widest patterns: everything on each side, imported contexts included
    create_exporter(a, "to-b", b, subjects=[":*:*"])
    create_exporter(b, "to-a", a, subjects=[":*:*"])
    for i in range(5):
        a.register_ok(f"a{i}", record(f"A{i}", ("x", "int")))
        b.register_ok(f"b{i}", record(f"B{i}", ("y", "int")))
    wait_until(lambda: converged(a, ".", b, ca) and converged(b, ".", a, cb),
               timeout=SYNC_DEADLINE, what="both directions synced")
    # a barrier: anything looping would have been exported before these arrive
    a.register_ok("a-last", record("ALast", ("x", "int")))
    b.register_ok("b-last", record("BLast", ("y", "int")))
    wait_until(lambda: b.version(f":{ca}:a-last", 1).status_code == 200, what="a-last on b")
    wait_until(lambda: a.version(f":{cb}:b-last", 1).status_code == 200, what="b-last on a")
    assert sorted(expect_ok(a.get("/contexts"))) == sorted([".", cb])
    assert sorted(expect_ok(b.get("/contexts"))) == sorted([".", ca])
    assert converged(a, ".", b, ca) and converged(b, ".", a, cb)
    # each side's own context stays writable
    a.register_ok("a-after", record("AAfter", ("x", "int")))


# --------------------------------------------------------------------------------------------
# three servers


def test_link_fan_out_to_two_destinations_with_custom_and_none(ferry_factory):
    src = Api(ferry_factory.start(config=FAST))
    d1 = Api(ferry_factory.start(config=FAST))
    d2 = Api(ferry_factory.start(config=FAST))
    src.set_config(None, "NONE")
    populate(src, 5, 3, "fan")
    create_exporter(src, "one", d1, contextType="CUSTOM", context="dr")
    create_exporter(src, "two", d2, contextType="NONE", subjects=["fan-*"],
                    subjectRenameFormat="dc_${subject}")
    wait_until(lambda: converged(src, ".", d1, ".dr"), timeout=SYNC_DEADLINE, what="d1")

    def d2_ok() -> bool:
        s = dump(src, ".")
        got = dump(d2, ".")
        want = {(f"dc_{k[0]}", k[1]): v[:3] + ([dict(r, subject=f"dc_{r['subject']}")
                                                  for r in v[3]],) + v[4:]
                for k, v in s["versions"].items()}
        return got["versions"] == want
    wait_until(d2_ok, timeout=SYNC_DEADLINE, what="d2 renamed copy")
    # NONE into the default context: each copied subject is in IMPORT, the rest is not
    assert expect_ok(d2.get(f"/mode/{q('dc_fan-s1')}")) == {"mode": "IMPORT"}
    assert expect_ok(d2.get("/mode")) == {"mode": "READWRITE"}
    assert expect_ok(src.get("/exporters")) == ["one", "two"]


def test_link_destination_keeps_the_guid(ferry_factory):
    """Confluent 8.x's guid is computed from what a registry stores (Schema.getGuid over
    the stored text, references, metadata and ruleSet; SchemaValue.toSchemaEntity), so a
    linked copy with the same content has the same guid on the destination, metadata and
    rules included. A copied reference names the referenced subject as the destination
    stores it, and the guid follows that stored form."""
    src = Api(ferry_factory.start(config=FAST))
    dst = Api(ferry_factory.start(config=FAST))
    md = {"properties": {"owner": "team-a"}, "tags": {"f": ["PII"]}}
    rules = {"domainRules": [{"name": "r", "type": "CEL", "expr": "true"}]}
    src.register_ok("g-base", record("GBase", ("b", "int")), metadata=md, ruleSet=rules)
    src.register_ok("g-user", record("GUser", ("u", "GBase")),
                    references=[{"name": "GBase", "subject": "g-base", "version": 1}])
    create_exporter(src, "g", dst, contextType="CUSTOM", context="dr")
    wait_until(lambda: converged(src, ".", dst, ".dr"), timeout=SYNC_DEADLINE, what="sync")
    a = expect_ok(src.version("g-base", 1))
    b = expect_ok(dst.version(":.dr:g-base", 1))
    assert (b["guid"], b["metadata"], b["ruleSet"]) == (a["guid"], a["metadata"], a["ruleSet"])
    assert expect_ok(dst.get(f"/schemas/guids/{a['guid']}/ids")) == [
        {"context": ".dr", "id": a["id"]}]
    u_src = expect_ok(src.version("g-user", 1))
    u_dst = expect_ok(dst.version(":.dr:g-user", 1))
    same_refs = u_src["references"] == u_dst["references"]
    assert (u_dst["guid"] == u_src["guid"]) == same_refs, (u_src, u_dst)
