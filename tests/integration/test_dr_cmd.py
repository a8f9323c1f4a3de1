# SPDX-License-Identifier: Apache-2.0
"""`ferry dr status|failover` without a mirror (issue 16): an older dr.properties
(registries and exporter only) still works — status shows the scope and the
exporter's lag, failover switches the scope through the journaled procedure
and a re-run reports it again; bad files and flags exit 2. The topic side
is tested on real Kafka in tests/kafka/test_dr.py. Confluent reference: the scope
switch is ModeResource.updateMode / getMode(defaultToGlobal=true)
(io.confluent.kafka.schemaregistry.rest.resources)."""
from __future__ import annotations

import json
import pathlib

import subprocess

import conftest
from test_failover_cmd import linked_pair, write_props


def run_dr(op: str, cfg: pathlib.Path, *extra: str):
    env = {"ASAN_OPTIONS": "detect_leaks=1:halt_on_error=1",
           "UBSAN_OPTIONS": "halt_on_error=1:print_stacktrace=1", "PATH": "/usr/bin:/bin"}
    p = subprocess.run([str(conftest._ferry_bin()), "dr", op, "--config", str(cfg), *extra],
                       capture_output=True, text=True, timeout=120, env=env)
    for m in conftest.SANITIZER_MARKERS:
        assert m not in p.stderr, p.stderr
    return p


def test_dr_status_and_failover_with_an_old_dr_properties(ferry_factory, tmp_path, uniq):
    src, dst, subj, name, cfg = linked_pair(ferry_factory, tmp_path, uniq)
    p = run_dr("status", cfg, "--json")
    assert p.returncode == 0, p.stdout + p.stderr
    st = json.loads(p.stdout)
    assert st["mirror"] is None and st["topics"] == []
    assert st["scopes"][0]["scope"] == ".primary" and st["scopes"][0]["mode"] == "IMPORT"
    assert st["exporter"]["state"] == "RUNNING" and st["exporter"]["lag_records"] == 0
    assert st["ok"] is True and st["problems"] == []
    p = run_dr("status", cfg)
    assert "not configured (no mirror.admin.url)" in p.stdout and "nothing wrong" in p.stdout

    p = run_dr("failover", cfg, "--json")
    assert p.returncode == 0, p.stdout + p.stderr
    rep = json.loads(p.stdout)
    assert [s["step"] for s in rep["steps"]] == ["before", "group_sync", "mirror_failover",
                                                 "registry"]
    assert rep["scopes"][0]["after"] == "READWRITE" and rep["topics"] == []
    assert rep["schema_changes_lost"] == 0 and isinstance(rep["rto_ms"], int)
    journal = json.loads(pathlib.Path(str(cfg) + ".dr-journal").read_text())
    assert journal["state"] == "done"
    # status now says the scope is failed over, in words, and exits 1
    p = run_dr("status", cfg, "--json")
    assert p.returncode == 1
    assert "failed over" in json.loads(p.stdout)["scopes"][0]["problem"]
    p = run_dr("failover", cfg)
    assert p.returncode == 0 and "completed by an earlier run" in p.stdout


def test_dr_bad_configuration_and_journal_exit_2(tmp_path):
    cfg = write_props(tmp_path / "dr.properties", {
        "dr.schema.registry.url": "http://127.0.0.1:9", "dr.context": ".primary",
        "mirror.basic.auth.user.info": "a:b"})
    p = run_dr("status", cfg)
    assert p.returncode == 2 and "mirror.* settings without mirror.admin.url" in p.stderr
    cfg = write_props(tmp_path / "dr2.properties", {
        "dr.schema.registry.url": "http://127.0.0.1:9", "dr.context": ".primary"})
    (tmp_path / "dr2.properties.dr-journal").write_text("not json")
    p = run_dr("failover", cfg)
    assert p.returncode == 2 and "not a ferry dr journal" in p.stderr
    p = run_dr("failover", cfg, "--timeout-ms", "soon")
    assert p.returncode == 2 and "--timeout-ms" in p.stderr


def test_status_page_behind_the_metrics_guard(ferry_factory, tmp_path):
    """GET /dr and /dr.json of `ferry serve` (ferry.dr.config) answer as /metrics
    does: 401 without credentials under authentication.method=BASIC; with them
    the page, and the sampled document, which says in words that DR is down."""
    import requests
    from conftest import wait_until
    cfg = write_props(tmp_path / "dr.properties", {
        "dr.schema.registry.url": "http://127.0.0.1:9", "dr.context": ".primary",
        "dr.max.retries": "0", "dr.connect.timeout.ms": "500"})
    users = tmp_path / "users.properties"
    users.write_text("ops: ops-pw-1,admin\n")
    srv = ferry_factory.start(config={
        "ferry.fsync": "false", "ferry.dr.config": str(cfg), "authentication.method": "BASIC",
        "authentication.realm": "ferry", "ferry.auth.user.file": str(users),
        "authentication.skip.paths": "/"})  # the harness probes GET / to see it serve
    for path in ("/metrics", "/dr", "/dr.json"):
        assert requests.get(srv.url + path, timeout=10).status_code == 401, path
    r = requests.get(srv.url + "/dr", auth=("ops", "ops-pw-1"), timeout=10)
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/html")
    assert "dr.json" in r.text

    def sampled():
        r = requests.get(srv.url + "/dr.json", auth=("ops", "ops-pw-1"), timeout=10)
        return r.json() if r.status_code == 200 else None
    doc = wait_until(sampled, 20, interval=0.2, what="first sample")
    assert doc["dr"]["reachable"] is False and doc["ok"] is False
    assert any("DR registry unreachable" in p for p in doc["problems"]), doc["problems"]
    assert isinstance(doc["history"], list) and doc["history"]
    # without ferry.dr.config there is no page
    plain = ferry_factory.start(config={"ferry.fsync": "false"})
    assert requests.get(plain.url + "/dr", timeout=10).status_code == 404


def test_dr_failover_with_the_primary_gone(ferry_factory, tmp_path, uniq):
    """Unplanned with the primary registry dead: the DR scope is still switched,
    the schema changes lost are unknown (null) and the step says why."""
    src, dst, subj, name, cfg = linked_pair(ferry_factory, tmp_path, uniq)
    assert src.server.stop() == 0
    p = run_dr("failover", cfg, "--json")
    assert p.returncode == 0, p.stdout + p.stderr
    rep = json.loads(p.stdout)
    assert rep["scopes"] == [{"scope": ".primary", "before": "IMPORT", "after": "READWRITE",
                              "switched": True}]
    assert rep["schema_changes_lost"] is None
    reg = next(s for s in rep["steps"] if s["step"] == "registry")
    assert reg["primary"]["reachable"] is False and reg["position_known"] is False
    p = run_dr("status", cfg, "--json")
    st = json.loads(p.stdout)
    assert st["primary"]["reachable"] is False and st["rpo"]["schema_changes"] is None
