# SPDX-License-Identifier: Apache-2.0
"""`ferry link --config link.properties` (issue 4): a standalone link that reads the source
through its REST API with a persisted cursor and applies the differences to the destination
like an exporter. Converges (ids, versions, schema text, references, soft/hard deletes,
subject config and mode), a second pass applies nothing (the cursor), a restart resumes from
the cursor, and the long-running form follows new writes and stops cleanly on SIGTERM."""
from __future__ import annotations

import pathlib
import signal
import subprocess

import conftest
from conftest import Api, expect_ok, record, wait_until
from test_link_exporters import converged, dump, expected_dest, populate

FAST = {"ferry.fsync": "false"}
ENV = {"ASAN_OPTIONS": "detect_leaks=1:halt_on_error=1",
       "UBSAN_OPTIONS": "halt_on_error=1:print_stacktrace=1", "PATH": "/usr/bin:/bin"}


def link_props(tmp_path: pathlib.Path, src: Api, dst: Api, **extra: str) -> pathlib.Path:
    props = {"name": "standalone", "source.schema.registry.url": src.base,
             "destination.schema.registry.url": dst.base, "context.type": "CUSTOM",
             "context.name": "lnk", "source.max.retries": "1", "destination.max.retries": "1",
             "source.retries.wait.ms": "20", "destination.retries.wait.ms": "20"}
    props.update(extra)
    p = tmp_path / "link.properties"
    p.write_text("".join(f"{k}={v}\n" for k, v in props.items()), encoding="utf-8")
    return p


def once(cfg: pathlib.Path) -> int:
    p = subprocess.run([str(conftest._ferry_bin()), "link", "--config", str(cfg), "--once"],
                       capture_output=True, text=True, timeout=120, env=ENV)
    for m in conftest.SANITIZER_MARKERS:
        assert m not in p.stderr, p.stderr
    assert p.returncode == 0, p.stdout + p.stderr
    assert p.stdout.startswith("applied "), p.stdout
    return int(p.stdout.split()[1])


def test_standalone_link_converges_and_resumes_from_cursor(ferry_factory, tmp_path):
    src = Api(ferry_factory.start(config=FAST))
    dst = Api(ferry_factory.start(config=FAST))
    n = populate(src, 4, 3, "sl")
    # a Protobuf subject with a reference (issue 14): copied with its type and id
    src.register_ok("sl-pdep",
                    'syntax = "proto3";\npackage sl;\n\nmessage D {\n  int32 a = 1;\n}\n',
                    schemaType="PROTOBUF")
    src.register_ok("sl-ptop", 'syntax = "proto3";\npackage slt;\n\nimport "sl/d.proto";\n\n'
                    'message T {\n  sl.D d = 1;\n}\n', schemaType="PROTOBUF",
                    references=[{"name": "sl/d.proto", "subject": "sl-pdep", "version": 1}])
    n += 2
    src.set_config("sl-s0", "NONE")
    src.set_mode("sl-s1", "READONLY")
    expect_ok(src.delete_version("sl-s2", 3))                    # soft
    expect_ok(src.delete_version("sl-s3", 3))
    expect_ok(src.delete_version("sl-s3", 3, permanent=True))    # hard
    cfg = link_props(tmp_path, src, dst)

    applied = once(cfg)
    assert applied >= n, applied
    assert (tmp_path / "link.properties.state").exists()
    assert dump(dst, ".lnk") == expected_dest(dump(src, "."))
    assert expect_ok(dst.get("/mode/:.lnk:"))["mode"] == "IMPORT"

    # the cursor: nothing is re-sent
    assert once(cfg) == 0

    # new changes only
    src.register_ok("sl-new", record(conftest.aname(), ("x", "int")))
    expect_ok(src.delete_version("sl-s0", 1))
    src.set_config("sl-s2", "FULL")
    assert once(cfg) == 3
    assert converged(src, ".", dst, ".lnk")

    # a hard delete travels too
    expect_ok(src.delete_version("sl-s0", 1, permanent=True))
    assert once(cfg) == 1
    assert converged(src, ".", dst, ".lnk")


def test_standalone_link_follows_and_stops_on_sigterm(ferry_factory, tmp_path):
    src = Api(ferry_factory.start(config=FAST))
    dst = Api(ferry_factory.start(config=FAST))
    populate(src, 2, 2, "sf")
    cfg = link_props(tmp_path, src, dst, **{"link.poll.interval.ms": "50",
                                            "link.state.file": str(tmp_path / "cur.json")})
    err = open(tmp_path / "link.stderr", "w")
    p = subprocess.Popen([str(conftest._ferry_bin()), "link", "--config", str(cfg)],
                         stdout=subprocess.DEVNULL, stderr=err, env=ENV)
    try:
        wait_until(lambda: converged(src, ".", dst, ".lnk"), 60, what="initial sync")
        name = conftest.aname()
        src.register_ok("sf-live", record(name, ("a", "int")))
        src.register_ok("sf-live", record(name, ("a", "int"), ("b", "int", 1)))
        wait_until(lambda: converged(src, ".", dst, ".lnk"), 60, what="follow new writes")
        assert (tmp_path / "cur.json").exists()
    finally:
        p.send_signal(signal.SIGTERM)
        code = p.wait(timeout=30)
        err.close()
    text = (tmp_path / "link.stderr").read_text()
    for m in conftest.SANITIZER_MARKERS:
        assert m not in text, text
    assert code == 0, text
    assert "stopping" in text, text


def test_standalone_link_config_errors_exit_2(tmp_path):
    cfg = tmp_path / "bad.properties"
    cfg.write_text("source.schema.registry.url=http://127.0.0.1:1\n", encoding="utf-8")
    p = subprocess.run([str(conftest._ferry_bin()), "link", "--config", str(cfg), "--once"],
                       capture_output=True, text=True, timeout=60, env=ENV)
    assert p.returncode == 2 and "destination.schema.registry.url" in p.stderr, p.stderr
    cfg.write_text("source.schema.registry.url=http://127.0.0.1:1\n"
                   "destination.schema.registry.url=http://127.0.0.1:1\n"
                   "context.type=CUSTOM\n", encoding="utf-8")
    p = subprocess.run([str(conftest._ferry_bin()), "link", "--config", str(cfg), "--once"],
                       capture_output=True, text=True, timeout=60, env=ENV)
    assert p.returncode == 2, p.stderr


def test_standalone_link_reads_past_the_first_listing_page(ferry_factory, tmp_path):
    """GET /schemas answers at most 1,000 entries a page (Confluent's
    schema.search.max.limit): a source with more must still be copied whole."""
    src = Api(ferry_factory.start(config=FAST))
    dst = Api(ferry_factory.start(config=FAST))
    src.set_config(None, "NONE")
    n = 1_050
    for i in range(n):
        src.register_ok(f"pg-{i % 30}", record(f"P{i}", ("x", "int")))
    assert once(link_props(tmp_path, src, dst)) >= n

    def listed(api: Api, prefix: str) -> set:
        out = set()
        for offset in (0, 1000):
            page = expect_ok(api.get("/schemas", params={"subjectPrefix": prefix,
                                                         "offset": offset, "limit": 1000}))
            out |= {(s["subject"].removeprefix(":.lnk:"), s["version"], s["id"]) for s in page}
        return out

    copied = listed(dst, ":.lnk:")
    assert len(copied) == n
    assert copied == listed(src, "")


def test_standalone_link_carries_json_schemas_with_references(ferry_factory, tmp_path):
    """JSON Schema (issue 13) through `ferry link`: schemaType, the stored text, ids,
    versions and references arrive unchanged, and the destination answers the same
    compatibility verdict for a JSON change (its copy parses and checks as the source)."""
    import json
    src = Api(ferry_factory.start(config=FAST))
    dst = Api(ferry_factory.start(config=FAST))
    addr = json.dumps({"type": "object", "properties": {"street": {"type": "string"}}},
                      separators=(",", ":"))
    src.register_ok("jl-addr", addr, schemaType="JSON")
    refs = [{"name": "addr.json", "subject": "jl-addr", "version": 1}]
    person = json.dumps({"type": "object", "properties": {"home": {"$ref": "addr.json"}},
                         "additionalProperties": False}, separators=(",", ":"))
    pid = src.register_ok("jl-person", person, schemaType="JSON", references=refs)
    src.register_ok("jl-avro", record(conftest.aname(), ("a", "int")))
    cfg = link_props(tmp_path, src, dst)
    assert once(cfg) >= 3
    want, got = expected_dest(dump(src, ".")), dump(dst, ".lnk")
    assert want == got
    assert {v[2] for v in got["versions"].values()} == {"JSON", "AVRO"}, got
    b = expect_ok(dst.get(f"/schemas/ids/{pid}", params={"subject": ":.lnk:jl-person"}))
    assert b["schemaType"] == "JSON" and b["schema"] == person, b
    # the copy's model works: a change that drops the property is refused the same way
    closed = json.dumps({"type": "object", "properties": {}, "additionalProperties": False},
                        separators=(",", ":"))
    for api, subject in ((src, "jl-person"), (dst, ":.lnk:jl-person")):
        r = api.post(f"/compatibility/subjects/{conftest.q(subject)}/versions/latest",
                     {"schema": closed, "schemaType": "JSON"})
        assert expect_ok(r) == {"is_compatible": False}, (subject, r.text)
