# SPDX-License-Identifier: Apache-2.0
"""`ferry failover --config dr.properties` (issue 4): a primary exports into a DR registry's
context; the command pauses the exporter, switches the DR scope IMPORT -> READWRITE and
reports the scope, the link's last position and the RPO; a second run is a no-op success;
with the primary down it still switches and says the position is unknown. Exit codes:
0 switched/already, 1 not switched, 2 usage/config."""
from __future__ import annotations

import json
import pathlib
import subprocess

import conftest
from conftest import Api, expect_ok, q, record, wait_until

FAST = {"ferry.fsync": "false"}


def run_cmd(cmd: str, cfg: pathlib.Path, *extra: str) -> subprocess.CompletedProcess:
    """`ferry CMD --config CFG EXTRA...` under the sanitizers, which must stay silent."""
    env = {"ASAN_OPTIONS": "detect_leaks=1:halt_on_error=1",
           "UBSAN_OPTIONS": "halt_on_error=1:print_stacktrace=1", "PATH": "/usr/bin:/bin"}
    p = subprocess.run([str(conftest._ferry_bin()), cmd, "--config", str(cfg), *extra],
                       capture_output=True, text=True, timeout=120, env=env)
    for m in conftest.SANITIZER_MARKERS:
        assert m not in p.stderr, p.stderr
    return p


def run_failover(cfg: pathlib.Path, *extra: str) -> subprocess.CompletedProcess:
    return run_cmd("failover", cfg, *extra)


def write_props(path: pathlib.Path, props: dict[str, str]) -> pathlib.Path:
    path.write_text("".join(f"{k}={v}\n" for k, v in props.items()), encoding="utf-8")
    return path


def linked_pair(ferry_factory, tmp_path, uniq):
    """Primary exporting `uniq("s")` into DR context .primary, two versions replicated."""
    src = Api(ferry_factory.start(config=FAST))
    dst = Api(ferry_factory.start(config=FAST))
    expect_ok(src.post("/exporters", {
        "name": "to-dr", "contextType": "CUSTOM", "context": "primary",
        "config": {"schema.registry.url": dst.base, "max.retries": "1",
                   "retries.wait.ms": "20"}}))
    subj = uniq("s")
    name = conftest.aname()
    src.register_ok(subj, record(name, ("a", "int")))
    id2 = src.register_ok(subj, record(name, ("a", "int"), ("b", "int", 0)))
    wait_until(lambda: dst.version(f":.primary:{subj}", 2).status_code == 200, 30,
               what="replication to DR")
    assert expect_ok(dst.version(f":.primary:{subj}", 2))["id"] == id2
    assert expect_ok(dst.get(f"/mode/{q(':.primary:')}"))["mode"] == "IMPORT"
    cfg = write_props(tmp_path / "dr.properties", {
        "dr.schema.registry.url": dst.base,
        "dr.context": ".primary",
        "primary.schema.registry.url": src.base,
        "primary.max.retries": "1",
        "primary.retries.wait.ms": "20",
        "primary.connect.timeout.ms": "2000",
        "exporter.name": "to-dr",
    })
    return src, dst, subj, name, cfg


def test_failover_switches_pauses_and_reports(ferry_factory, tmp_path, uniq):
    src, dst, subj, name, cfg = linked_pair(ferry_factory, tmp_path, uniq)
    # a Protobuf subject replicated before the outage (issue 14)
    pb = uniq("pb")
    pb_text = 'syntax = "proto3";\npackage fo;\n\nmessage Ev {\n  string a = 1;\n}\n'
    pb_id = src.register_ok(pb, pb_text, schemaType="PROTOBUF")
    wait_until(lambda: dst.version(f":.primary:{pb}", 1).status_code == 200, 30,
               what="Protobuf replication to DR")

    p = run_failover(cfg, "--json")
    assert p.returncode == 0, p.stdout + p.stderr
    rep = json.loads(p.stdout)
    assert rep["scopes"] == [{"scope": ".primary", "before": "IMPORT", "after": "READWRITE",
                              "switched": True}]
    assert rep["primary"]["reachable"] is True and rep["primary"]["paused"] is True
    assert rep["primary"]["state"] == "PAUSED"
    assert isinstance(rep["primary"]["offset"], int) and rep["primary"]["offset"] >= 0
    assert rep["position_known"] is True
    assert isinstance(rep["rpo_ms"], int) and 0 <= rep["rpo_ms"] < 600_000
    assert rep["status"] == 0

    # DR scope is READWRITE and writable; the exporter on the primary is paused
    assert expect_ok(dst.get(f"/mode/{q(':.primary:')}"))["mode"] == "READWRITE"
    dst.register_ok(f":.primary:{subj}", record(name, ("a", "int"), ("b", "int", 0),
                                                ("c", "int", 0)))
    assert expect_ok(src.get("/exporters/to-dr/status"))["state"] == "PAUSED"
    got = expect_ok(dst.version(f":.primary:{pb}", 1))
    assert (got["id"], got["schemaType"], got["schema"]) == (pb_id, "PROTOBUF", pb_text)
    # DR clients evolve it there, checked against the replicated version
    dst.register_ok(f":.primary:{pb}", pb_text.replace("a = 1;", "a = 1;\n  int32 b = 2;"),
                    schemaType="PROTOBUF")

    # again: idempotent success, readable report naming the scope and the position
    p = run_failover(cfg)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "scope .primary: already READWRITE" in p.stdout, p.stdout
    assert "last replicated position: offset" in p.stdout, p.stdout
    assert "schema RPO" in p.stdout, p.stdout


def test_failover_primary_down_still_switches(ferry_factory, tmp_path, uniq):
    src, dst, subj, _name, cfg = linked_pair(ferry_factory, tmp_path, uniq)
    assert src.server.stop() == 0

    p = run_failover(cfg)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "scope .primary: IMPORT -> READWRITE (switched)" in p.stdout, p.stdout
    assert "primary unreachable: last position unknown" in p.stdout, p.stdout
    assert expect_ok(dst.get(f"/mode/{q(':.primary:')}"))["mode"] == "READWRITE"

    p = run_failover(cfg, "--json")
    assert p.returncode == 0, p.stdout + p.stderr
    rep = json.loads(p.stdout)
    assert rep["position_known"] is False and rep["rpo_ms"] is None
    assert rep["primary"]["reachable"] is False
    assert rep["scopes"][0]["switched"] is False and rep["scopes"][0]["before"] == "READWRITE"


def test_failover_refuses_scope_not_imported(ferry_factory, tmp_path, uniq):
    dst = Api(ferry_factory.start(config=FAST))
    subj = uniq("ro")
    dst.register_ok(subj, record(conftest.aname(), ("a", "int")))
    dst.set_mode(subj, "READONLY")
    cfg = write_props(tmp_path / "dr.properties", {"dr.schema.registry.url": dst.base,
                                                   "dr.context": subj})
    p = run_failover(cfg, "--json")
    assert p.returncode == 1, p.stdout + p.stderr
    rep = json.loads(p.stdout)
    assert rep["scopes"][0]["before"] == "READONLY" and "not IMPORT" in rep["scopes"][0]["error"]
    assert rep["primary"] is None and rep["position_known"] is False
    assert expect_ok(dst.get(f"/mode/{q(subj)}"))["mode"] == "READONLY"


def test_failover_config_errors_exit_2(tmp_path):
    p = run_failover(write_props(tmp_path / "a.properties", {"dr.context": ".x"}))
    assert p.returncode == 2 and "dr.schema.registry.url" in p.stderr, p.stderr
    p = run_failover(write_props(tmp_path / "b.properties",
                                 {"dr.schema.registry.url": "http://127.0.0.1:1"}))
    assert p.returncode == 2 and "dr.context" in p.stderr, p.stderr
    p = run_failover(write_props(tmp_path / "c.properties",
                                 {"dr.schema.registry.url": "http://127.0.0.1:1",
                                  "dr.context": ".x", "bogus.key": "1"}))
    assert p.returncode == 2 and "bogus.key" in p.stderr, p.stderr
