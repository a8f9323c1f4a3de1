# SPDX-License-Identifier: Apache-2.0
"""`ferry failback --config dr.properties --plan|--apply` (issue 4): the full drill.

A primary exports its default context into the DR registry's context `.primary`. The
primary takes a write that never reaches DR, then its site goes down (kill -9). `ferry
failover` switches DR to READWRITE; DR clients register during the outage, one of them on
the same subject/version and id the primary used for its lost write. The primary comes back.
`--plan` shows what goes back and the conflict; `--apply` under the default policy refuses and
writes nothing; `--apply --on-conflict=renumber` writes everything back (the conflicting DR
schema under a fresh id and the next version), DR gives way where the primary wins, the link
runs primary -> DR again and both sides converge; a second `--apply` is a no-op."""
from __future__ import annotations

import json
import pathlib

import conftest
from conftest import Api, expect_ok, q, record, wait_until
from test_failover_cmd import run_cmd, write_props
from test_link_exporters import converged, restart_same_port

FAST = {"ferry.fsync": "false"}


def failback(cfg: pathlib.Path, *extra: str) -> tuple[int, dict]:
    p = run_cmd("failback", cfg, "--json", *extra)
    assert p.returncode in (0, 1), p.stdout + p.stderr
    return p.returncode, json.loads(p.stdout)


def exporting_pair(ferry_factory) -> tuple[Api, Api]:
    """A primary and a DR registry; exporter `to-dr` copies the primary's default context
    into DR's context `.primary`."""
    primary = Api(ferry_factory.start(config=FAST))
    dr = Api(ferry_factory.start(config=FAST))
    expect_ok(primary.post("/exporters", {
        "name": "to-dr", "contextType": "CUSTOM", "context": "primary",
        "config": {"schema.registry.url": dr.base, "max.retries": "1",
                   "retries.wait.ms": "20"}}))
    return primary, dr


def drill_props(tmp_path: pathlib.Path, dr: Api, primary: Api) -> pathlib.Path:
    """dr.properties of the drills: DR's context `.primary`, exporter `to-dr`."""
    return write_props(tmp_path / "dr.properties", {
        "dr.schema.registry.url": dr.base,
        "dr.context": ".primary",
        "primary.schema.registry.url": primary.base,
        "primary.max.retries": "1",
        "primary.retries.wait.ms": "20",
        "primary.connect.timeout.ms": "2000",
        "exporter.name": "to-dr",
    })


def primary_lost(tmp_path: pathlib.Path, primary: Api, dr: Api) -> pathlib.Path:
    """The primary's site dies (kill -9) and `ferry failover` switches DR to READWRITE.
    Returns the drill's dr.properties."""
    primary.server.kill9()
    cfg = drill_props(tmp_path, dr, primary)
    p = run_cmd("failover", cfg)
    assert p.returncode == 0, p.stdout + p.stderr
    return cfg


def versions_of(api: Api, prefix: str = "") -> dict:
    every = expect_ok(api.get("/schemas", params={"subjectPrefix": prefix, "deleted": "true"}))
    return {(s["subject"], s["version"]): s for s in every}


def test_failback_drill_plan_conflicts_apply_renumber_converges(ferry_factory, tmp_path,
                                                                 monkeypatch):
    primary, dr = exporting_pair(ferry_factory)

    # replicated before the disaster: two subjects, one of them with a reference
    base = record("Base", ("b", "int"))
    primary.register_ok("base", base)
    ref = [{"name": "Base", "subject": "base", "version": 1}]
    primary.register_ok("orders", record("Order", ("id", "int")))
    primary.register_ok("orders", record("Order", ("id", "int"), ("qty", "int", 0)))
    primary.register_ok("users", record("User", ("home", "Base")), references=ref)
    wait_until(lambda: dr.version(":.primary:users", 1).status_code == 200, 30,
               what="initial replication")

    # the primary's last write never reaches DR (the link is behind), then the site dies
    expect_ok(primary.put("/exporters/to-dr/pause"))
    lost_schema = record("Order", ("id", "int"), ("qty", "int", 0), ("note", "string", ""))
    lost_id = primary.register_ok("orders", lost_schema)
    primary.server.kill9()

    cfg = drill_props(tmp_path, dr, primary)
    p = run_cmd("failover", cfg)
    assert p.returncode == 0, p.stdout + p.stderr

    # the outage: DR clients register in the failed-over context
    dr_orders = record("Order", ("id", "int"), ("qty", "int", 0), ("channel", "string", "web"))
    dr_orders_id = dr.register_ok(":.primary:orders", dr_orders)
    assert dr_orders_id == lost_id  # the same id (and version 3) as the lost write
    pay = record("Payment", ("amount", "long"))
    pay_id = dr.register_ok(":.primary:payments", pay)
    audit = record("Audit", ("who", "Base"))
    audit_id = dr.register_ok(":.primary:audit", audit, references=ref)
    gone = record("Gone", ("x", "int"))
    dr.register_ok(":.primary:gone", gone)
    expect_ok(dr.delete_version(":.primary:gone", 1))
    # a Protobuf schema (issue 14) goes back with its type, text and id
    events = 'syntax = "proto3";\npackage ev;\n\nmessage Event {\n  string what = 1;\n}\n'
    events_id = dr.register_ok(":.primary:events", events, schemaType="PROTOBUF")

    # the old primary comes back with its own unreplicated write
    primary = restart_same_port(ferry_factory, primary.server, monkeypatch)
    before_primary = versions_of(primary)
    assert before_primary[("orders", 3)]["id"] == lost_id

    # --plan: read-only, lists what goes back and the conflict, exit 1 under fail
    rc, rep = failback(cfg, "--plan")
    assert rc == 1 and rep["status"] == 1, rep
    plan = rep["plan"]
    assert plan["ok"] is False and plan["policy"] == "fail"
    assert plan["counts"]["in_sync"] == 4  # base, orders v1-2, users
    by_dr = {(i["dr"]["subject"], i["dr"]["version"]): i for i in plan["items"]}
    assert set(by_dr) == {(":.primary:orders", 3), (":.primary:payments", 1),
                          (":.primary:audit", 1), (":.primary:gone", 1),
                          (":.primary:events", 1)}
    assert by_dr[(":.primary:events", 1)]["action"] == "copy"
    c = by_dr[(":.primary:orders", 3)]
    assert c["action"] == "conflict"
    kinds = {x["kind"]: x for x in c["conflicts"]}
    assert kinds["version"]["subject"] == "orders" and kinds["version"]["id"] == lost_id
    assert kinds["id"]["id"] == lost_id
    assert by_dr[(":.primary:payments", 1)]["action"] == "copy"
    assert by_dr[(":.primary:payments", 1)]["primary"] == {"subject": "payments", "version": 1,
                                                           "id": pay_id}
    assert by_dr[(":.primary:audit", 1)]["primary"]["id"] == audit_id
    assert by_dr[(":.primary:gone", 1)]["deleted"] is True
    assert "body" not in c  # request bodies are not part of the printed report
    assert versions_of(primary) == before_primary
    assert expect_ok(dr.get(f"/mode/{q(':.primary:')}"))["mode"] == "READWRITE"

    text = run_cmd("failback", cfg, "--plan")
    assert text.returncode == 1
    assert f"conflict  :.primary:orders v3 (id {lost_id})" in text.stdout, text.stdout
    assert f"the primary's id {lost_id} is a different schema (orders v3)" in text.stdout
    assert "--apply would refuse" in text.stdout, text.stdout

    # --apply under fail: refuses before writing anything; DR keeps taking writes
    rc, rep = failback(cfg, "--apply")
    assert rc == 1, rep
    assert versions_of(primary) == before_primary
    assert expect_ok(dr.get(f"/mode/{q(':.primary:')}"))["mode"] == "READWRITE"
    assert expect_ok(primary.get("/mode"))["mode"] == "READWRITE"
    assert primary.get(f"/mode/{q('payments')}").status_code == 404  # no IMPORT left behind

    # --apply --on-conflict=renumber: everything goes back, nothing is lost
    rc, rep = failback(cfg, "--apply", "--on-conflict=renumber")
    assert rc == 0, json.dumps(rep, indent=1)
    plan = rep["plan"]
    moved = {(i["dr"]["subject"], i["dr"]["version"]): i for i in plan["items"]}
    r = moved[(":.primary:orders", 3)]
    assert r["action"] == "renumber" and r["primary"]["subject"] == "orders"
    assert r["primary"]["version"] == 4 and r["primary"]["id"] > max(lost_id, audit_id, pay_id)
    new_id = r["primary"]["id"]
    assert plan["id_changes"] == [{"dr_id": dr_orders_id, "primary_id": new_id, "context": "."}]
    assert [(x["subject"], x["version"]) for x in plan["dr_repairs"]] == [(":.primary:orders", 3)]

    after = versions_of(primary)
    assert after[("orders", 3)]["id"] == lost_id and after[("orders", 3)]["schema"] == \
        before_primary[("orders", 3)]["schema"]
    assert after[("orders", 4)]["id"] == new_id
    assert json.loads(after[("orders", 4)]["schema"]) == json.loads(dr_orders)
    assert after[("payments", 1)]["id"] == pay_id
    assert after[("audit", 1)]["id"] == audit_id
    assert after[("audit", 1)]["references"] == ref
    ev = expect_ok(primary.version("events", 1))
    assert (ev["id"], ev["schemaType"], ev["schema"]) == (events_id, "PROTOBUF", events), ev
    assert primary.version("gone", 1).status_code == 404  # soft-deleted, as on DR
    assert expect_ok(primary.version("gone", 1, {"deleted": "true"}))["id"] > 0

    # the original direction: primary READWRITE (no subject left in IMPORT), DR IMPORT,
    # the link running and converging (DR's orders v3 is the primary's again)
    assert expect_ok(primary.get("/mode"))["mode"] == "READWRITE"
    for s in ("orders", "payments", "audit", "gone", "events"):
        assert primary.get(f"/mode/{q(s)}").status_code == 404, s
    assert expect_ok(dr.get(f"/mode/{q(':.primary:')}"))["mode"] == "IMPORT"
    wait_until(lambda: converged(primary, ".", dr, ".primary"), 30, what="link converges")
    st = expect_ok(primary.get("/exporters/to-dr/status"))
    assert st["state"] == "RUNNING", st
    assert expect_ok(dr.version(":.primary:orders", 3))["id"] == lost_id
    assert expect_ok(dr.version(":.primary:orders", 4))["id"] == new_id

    # DR clients can no longer register there; the primary takes writes again
    r = dr.register(":.primary:payments", record("Payment", ("amount", "long"),
                                                 ("cur", "string", "EUR")))
    assert r.status_code == 422, r.text
    primary.register_ok("payments", record("Payment", ("amount", "long"), ("cur", "string", "EUR")))
    wait_until(lambda: dr.version(":.primary:payments", 2).status_code == 200, 30,
               what="replication after failback")

    # twice is harmless: nothing left to write
    again = run_cmd("failback", cfg, "--apply", "--on-conflict", "renumber")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "result: failed back" in again.stdout, again.stdout
    rc, rep = failback(cfg, "--apply", "--on-conflict=renumber")
    assert rc == 0, json.dumps(rep, indent=1)
    counts = rep["plan"]["counts"]
    assert counts["copy"] == counts["renumber"] == counts["conflict"] == 0, counts
    wait_until(lambda: converged(primary, ".", dr, ".primary"), 30, what="still converged")


def test_failback_keeps_dr_version_order_with_an_older_id(ferry_factory, tmp_path, monkeypatch):
    """Issue 9 item 4: during the outage DR registers x v3 = N (a new id) and then x v4 = C,
    a schema DR already had (an older id, from y). The primary came back with its own x v3.
    Renumbered, N and C keep DR's order on the primary (N v4, C v5): the latest x is C on
    both sides once the link has run."""
    primary, dr = exporting_pair(ferry_factory)
    primary.register_ok("x", record("X", ("a", "int")))
    primary.register_ok("x", record("X", ("a", "int"), ("b", "int", 0)))
    c_schema = record("X", ("a", "int"), ("c", "int", 0))
    c_id = primary.register_ok("y", c_schema)
    wait_until(lambda: dr.version(":.primary:y", 1).status_code == 200, 30, what="replicated")
    expect_ok(primary.put("/exporters/to-dr/pause"))
    p_schema = record("X", ("a", "int"), ("p", "int", 0))
    primary.register_ok("x", p_schema)
    cfg = primary_lost(tmp_path, primary, dr)
    n_schema = record("X", ("a", "int"), ("n", "int", 0))
    n_id = dr.register_ok(":.primary:x", n_schema)
    assert dr.register_ok(":.primary:x", c_schema) == c_id < n_id
    assert expect_ok(dr.version(":.primary:x", 4))["id"] == c_id

    primary = restart_same_port(ferry_factory, primary.server, monkeypatch)
    rc, rep = failback(cfg, "--apply", "--on-conflict=renumber")
    assert rc == 0, json.dumps(rep, indent=1)
    after = versions_of(primary)
    assert json.loads(after[("x", 3)]["schema"]) == json.loads(p_schema)
    assert json.loads(after[("x", 4)]["schema"]) == json.loads(n_schema)
    assert json.loads(after[("x", 5)]["schema"]) == json.loads(c_schema)
    assert after[("x", 5)]["id"] == c_id
    assert expect_ok(primary.version("x", "latest"))["schema"] == after[("x", 5)]["schema"]
    wait_until(lambda: converged(primary, ".", dr, ".primary"), 30, what="link converges")
    assert expect_ok(dr.version(":.primary:x", "latest"))["id"] == c_id


def test_failback_reports_the_id_change_of_a_kept_version(ferry_factory, tmp_path,
                                                           monkeypatch):
    """Issue 9 item 6: during the outage DR registers x v2 = N under the next id; the
    primary, back, gave that id to another schema P and holds N itself in x under a later
    id. N is `kept` (no write) and id_changes still says DR's id is the primary's other one:
    data DR produced with it would otherwise decode as P with no warning."""
    primary, dr = exporting_pair(ferry_factory)
    primary.register_ok("x", record("X", ("a", "int")))
    wait_until(lambda: dr.version(":.primary:x", 1).status_code == 200, 30, what="replicated")
    expect_ok(primary.put("/exporters/to-dr/pause"))
    cfg = primary_lost(tmp_path, primary, dr)
    n_schema = record("X", ("a", "int"), ("n", "int", 0))
    dr_id = dr.register_ok(":.primary:x", n_schema)

    primary = restart_same_port(ferry_factory, primary.server, monkeypatch)
    assert primary.register_ok("p", record("P", ("p", "int"))) == dr_id
    primary_id = primary.register_ok("x", n_schema)
    assert primary_id != dr_id
    rc, rep = failback(cfg, "--plan")
    assert rc == 0, json.dumps(rep, indent=1)
    item = [i for i in rep["plan"]["items"] if i["dr"]["subject"] == ":.primary:x"]
    assert len(item) == 1 and item[0].get("kept") is True, json.dumps(rep, indent=1)
    assert {"dr_id": dr_id, "primary_id": primary_id, "context": "."} in \
        rep["plan"]["id_changes"], json.dumps(rep, indent=1)


def test_failback_config_and_usage_errors_exit_2(tmp_path):
    base = {"dr.schema.registry.url": "http://127.0.0.1:1", "dr.context": ".primary"}
    p = run_cmd("failback", write_props(tmp_path / "a.properties", base), "--plan")
    assert p.returncode == 2 and "exporter.name" in p.stderr, p.stderr
    full = dict(base, **{"primary.schema.registry.url": "http://127.0.0.1:1",
                         "exporter.name": "to-dr"})
    cfg = write_props(tmp_path / "b.properties", full)
    p = run_cmd("failback", cfg)
    assert p.returncode == 2 and "--plan" in p.stderr, p.stderr
    p = run_cmd("failback", cfg, "--plan", "--on-conflict=maybe")
    assert p.returncode == 2 and "renumber" in p.stderr, p.stderr


def test_failback_unreachable_primary_fails_clearly(tmp_path):
    cfg = write_props(tmp_path / "c.properties", {
        "dr.schema.registry.url": "http://127.0.0.1:1", "dr.context": ".primary",
        "primary.schema.registry.url": "http://127.0.0.1:1", "exporter.name": "to-dr",
        "primary.max.retries": "0", "primary.connect.timeout.ms": "500"})
    p = run_cmd("failback", cfg, "--plan")
    assert p.returncode == 1, p.stdout + p.stderr
    assert "[FAILED] read the link's mapping" in p.stdout, p.stdout


def test_failover_and_failback_carry_json_schemas(ferry_factory, tmp_path, monkeypatch):
    """JSON Schema (issue 13) through the drill: the exporter copies a JSON subject (with a
    reference) to DR with its ids; after failover DR registers a new JSON version; failback
    writes it back to the primary as JSON with the same text and id, and the link converges."""
    primary, dr = exporting_pair(ferry_factory)

    def compact(obj):
        return json.dumps(obj, separators=(",", ":"))
    addr = compact({"type": "object", "properties": {"street": {"type": "string"}}})
    primary.register_ok("jaddr", addr, schemaType="JSON")
    refs = [{"name": "addr.json", "subject": "jaddr", "version": 1}]
    v1 = compact({"type": "object", "properties": {"home": {"$ref": "addr.json"}},
                  "additionalProperties": False})
    primary.register_ok("jp", v1, schemaType="JSON", references=refs)
    wait_until(lambda: dr.version(":.primary:jp", 1).status_code == 200, 30, what="replicated")
    got = expect_ok(dr.version(":.primary:jp", 1))
    assert got["schemaType"] == "JSON" and got["schema"] == v1, got
    assert got["references"] == [dict(refs[0], subject=":.primary:jaddr")], got
    cfg = primary_lost(tmp_path, primary, dr)
    # an optional property added to a closed content model: BACKWARD compatible
    v2 = compact({"type": "object", "properties": {"home": {"$ref": "addr.json"},
                                                   "name": {"type": "string"}},
                  "additionalProperties": False})
    dr_refs = [{"name": "addr.json", "subject": ":.primary:jaddr", "version": 1}]
    v2_id = dr.register_ok(":.primary:jp", v2, schemaType="JSON", references=dr_refs)

    primary = restart_same_port(ferry_factory, primary.server, monkeypatch)
    rc, rep = failback(cfg, "--apply")
    assert rc == 0, json.dumps(rep, indent=1)
    back = expect_ok(primary.version("jp", 2))
    assert (back["schemaType"], back["schema"], back["id"]) == ("JSON", v2, v2_id), back
    assert [r["subject"] for r in back["references"]] == ["jaddr"], back
    wait_until(lambda: converged(primary, ".", dr, ".primary"), 30, what="link converges")
