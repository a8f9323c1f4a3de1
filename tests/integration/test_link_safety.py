# SPDX-License-Identifier: Apache-2.0
"""A link never overwrites or loses a version (issue 9, link side): a destination refusal
is ERROR with its reason at the refused record, never RUNNING over a different version;
any journal the store can produce — compacted, with referenced versions after their
referrers — is delivered; a `reset` survives a crash; records written before their scope
was switched to IMPORT are still exported."""
from __future__ import annotations

import json
import time

import pytest

from conftest import Api, expect_ok, q, record, wait_until
from test_link_exporters import converged, create_exporter, status

FAST = {"ferry.fsync": "false"}
COMPACT = {"ferry.fsync": "false", "ferry.store.compact.min.bytes": "4096"}


def churn_until_compacted(api: Api, srv, limit: int = 3000) -> None:
    """Config rewrites on one key until the journal shrinks (a compaction ran)."""
    journal = srv.data_dir / "journal"
    top = 0
    for i in range(limit):
        expect_ok(api.put("/config/churn", {"compatibility": "FULL" if i % 2 else "NONE"}))
        size = journal.stat().st_size
        if size < top:
            return
        top = max(top, size)
    raise AssertionError("no compaction happened")


def drill_start(ferry_factory, need_overwrite_refusal: bool = False) -> tuple[Api, Api]:
    """A primary exporting into DR's context `.primary` with x v1 replicated, then the
    start of a DR drill: the exporter paused, DR's context READWRITE."""
    primary = Api(ferry_factory.start(config=FAST))
    dr = Api(ferry_factory.start(config=FAST))
    if need_overwrite_refusal:  # the registry refuses an IMPORT over an occupied version
        assert registry_refuses_version_overwrite(dr)
    create_exporter(primary, "to-dr", dr, contextType="CUSTOM", context="primary")
    primary.register_ok("x", record("X", ("a", "int")))
    wait_until(lambda: dr.version(":.primary:x", 1).status_code == 200, 30, what="x v1")
    expect_ok(primary.put("/exporters/to-dr/pause"))
    dr.set_mode(":.primary:", "READWRITE")
    return primary, dr


def registry_refuses_version_overwrite(api: Api) -> bool:
    """Does this build's IMPORT refuse an occupied version with other content (issue 9
    item 1, the registry side)? Probed in a scratch context."""
    api.set_mode(":.probe:", "IMPORT")
    expect_ok(api.register(":.probe:p", record("P", ("a", "int")), id=90001, version=1))
    r = api.register(":.probe:p", record("P", ("b", "int")), id=90002, version=1)
    return r.status_code != 200


def test_resumed_exporter_reports_refusal_and_never_overwrites_dr(ferry_factory):
    """A DR drill registers x v2 on DR, the primary registers its own x v2 (the same id:
    both sides hand out the next one), the drill ends with IMPORT?force=true and the
    exporter resumes. DR's v2 stays; the exporter is ERROR with the destination's reason,
    stays at that record through retries and resumes, and runs again once DR gives way."""
    primary, dr = drill_start(ferry_factory)
    dr_schema = record("X", ("a", "int"), ("dr", "string", "d"))
    dr_id = dr.register_ok(":.primary:x", dr_schema)
    p_schema = record("X", ("a", "int"), ("p", "string", "p"))
    p_id = primary.register_ok("x", p_schema)
    assert p_id == dr_id == 2
    dr.set_mode(":.primary:", "IMPORT", params={"force": "true"})
    dr_v2 = expect_ok(dr.version(":.primary:x", 2))

    expect_ok(primary.put("/exporters/to-dr/resume"))
    st = wait_until(lambda: (s := status(primary, "to-dr"))["state"] == "ERROR" and s, 30,
                    what="ERROR after the refusal")
    assert "42205" in st["trace"] and "/subjects/:.primary:x/versions" in st["trace"], st
    offset = st["offset"]
    time.sleep(1.5)  # retries (backoff) and an explicit resume keep it there
    expect_ok(primary.put("/exporters/to-dr/resume"))
    time.sleep(0.5)
    st = status(primary, "to-dr")
    assert st["state"] == "ERROR" and st["offset"] == offset, st
    assert expect_ok(dr.version(":.primary:x", 2)) == dr_v2

    # the operator lets DR give way: the refused record is delivered, the link runs
    expect_ok(dr.delete_version(":.primary:x", 2))
    expect_ok(dr.delete_version(":.primary:x", 2, permanent=True))
    expect_ok(primary.put("/exporters/to-dr/resume"))
    wait_until(lambda: status(primary, "to-dr")["state"] == "RUNNING", 30, what="RUNNING")
    wait_until(lambda: converged(primary, ".", dr, ".primary"), 30, what="converged")
    assert expect_ok(dr.version(":.primary:x", 2))["schema"] == p_schema


def test_resumed_exporter_never_overwrites_a_dr_version_with_another_id(ferry_factory):
    """The same drill, the primary's x v2 with another id than DR's (the primary took an id
    elsewhere meanwhile): the destination refuses the overwrite and the exporter is ERROR
    with that reason, DR's v2 intact."""
    primary, dr = drill_start(ferry_factory, need_overwrite_refusal=True)
    d_schema = record("X", ("a", "int"), ("dr", "string", "d"))
    dr_id = dr.register_ok(":.primary:x", d_schema)
    # the primary hands out that id too, for the same schema in another subject (so the
    # id is no conflict), and the next one for its own x v2
    assert primary.register_ok("elsewhere", d_schema) == dr_id
    p_id = primary.register_ok("x", record("X", ("a", "int"), ("p", "string", "p")))
    assert p_id != dr_id
    dr.set_mode(":.primary:", "IMPORT", params={"force": "true"})
    dr_v2 = expect_ok(dr.version(":.primary:x", 2))
    expect_ok(primary.put("/exporters/to-dr/resume"))
    st = wait_until(lambda: (s := status(primary, "to-dr"))["state"] == "ERROR" and s, 30,
                    what="ERROR after the refusal")
    assert "/subjects/:.primary:x/versions" in st["trace"], st
    time.sleep(1)
    assert status(primary, "to-dr")["state"] == "ERROR"
    assert expect_ok(dr.version(":.primary:x", 2)) == dr_v2


def compacting_source_and_destination(ferry_factory):
    """A source whose journal compacts early (4 KiB) and a destination."""
    srv = ferry_factory.start(config=COMPACT)
    return srv, Api(srv), Api(ferry_factory.start(config=FAST))


def resume_and_converge(src: Api, dst: Api) -> None:
    """Resume exporter `dr` (.copy): the destination converges and the exporter RUNNING."""
    expect_ok(src.put("/exporters/dr/resume"))
    wait_until(lambda: converged(src, ".", dst, ".copy"), 30, what="converged after resume")
    wait_until(lambda: status(src, "dr")["state"] == "RUNNING", 10, what="RUNNING")


def reset_and_converge(src: Api, dst: Api) -> None:
    """Reset exporter `dr` (a replay of the whole journal): RUNNING again, converged."""
    expect_ok(src.put("/exporters/dr/pause"))
    expect_ok(src.put("/exporters/dr/reset"))
    expect_ok(src.put("/exporters/dr/resume"))
    time.sleep(0.5)
    wait_until(lambda: status(src, "dr")["state"] == "RUNNING", 30, what="RUNNING after reset")
    assert converged(src, ".", dst, ".copy")


def test_new_exporter_delivers_compacted_journal_referenced_after_referrer(ferry_factory):
    """Compaction keeps each key's latest record: r v1 soft-deleted after its referrer s v1
    (itself soft-deleted first) now comes after s in the feed, and q v1 (referenced by r)
    after both. A new exporter, and a reset, still deliver everything and end RUNNING."""
    srv, src, dst = compacting_source_and_destination(ferry_factory)
    src.register_ok("q", record("Q", ("a", "int")))
    src.register_ok("r", record("R", ("q", "Q")),
                    references=[{"name": "Q", "subject": "q", "version": 1}])
    src.register_ok("s", record("S", ("r", "R")),
                    references=[{"name": "R", "subject": "r", "version": 1}])
    src.register_ok("live", record("L", ("r", "R")),
                    references=[{"name": "R", "subject": "r", "version": 1}])
    expect_ok(src.delete_version("s", 1))
    expect_ok(src.delete_version("live", 1))
    expect_ok(src.delete_version("r", 1))
    expect_ok(src.delete_version("q", 1))
    src.register_ok("live", record("L2", ("b", "int")))
    churn_until_compacted(src, srv)

    create_exporter(src, "dr", dst, contextType="CUSTOM", context="copy")
    wait_until(lambda: converged(src, ".", dst, ".copy"), 30, what="converged")
    wait_until(lambda: status(src, "dr")["state"] == "RUNNING", 10, what="RUNNING")
    # a reset replays the same compacted journal
    reset_and_converge(src, dst)


def test_records_written_before_scope_switched_to_import_are_exported(ferry_factory):
    """The loop rule skips what a link wrote (the scope was IMPORT when it was written),
    not what local clients wrote before the scope was switched to IMPORT and the exporter
    got to it. Records imported while the scope is IMPORT still stay home."""
    src = Api(ferry_factory.start(config=FAST))
    dst = Api(ferry_factory.start(config=FAST))
    create_exporter(src, "dr", dst, contextType="CUSTOM", context="copy")
    src.register_ok("first", record("F", ("a", "int")))
    wait_until(lambda: dst.version(":.copy:first", 1).status_code == 200, 30, what="first")
    expect_ok(src.put("/exporters/dr/pause"))
    before = record("B", ("a", "int"))
    src.register_ok("late", before)
    src.set_mode("late", "IMPORT", params={"force": "true"})
    imported = record("I", ("a", "int"))
    expect_ok(src.register("late", imported, id=100, version=2))
    expect_ok(src.put("/exporters/dr/resume"))
    wait_until(lambda: dst.version(":.copy:late", 1).status_code == 200, 30,
               what="the version written before the switch")
    assert expect_ok(dst.version(":.copy:late", 1))["schema"] == before
    # after a restart of the source (the reader rebuilds what it knows of modes)
    src.server.stop_and_check()
    src = Api(ferry_factory.start(config=FAST, data_dir=src.server.data_dir))
    expect_ok(src.put("/exporters/dr/reset"))
    wait_until(lambda: status(src, "dr")["state"] == "RUNNING", 30, what="RUNNING")
    time.sleep(1)
    assert dst.version(":.copy:late", 2).status_code == 404  # written by a link: stays
    assert expect_ok(dst.version(":.copy:late", 1))["schema"] == before


class ShiftingProxy:
    """127.0.0.1 HTTP proxy in front of a registry. While `hide` is set, the next paged
    `GET /schemas?deleted=true` answers without that subject's entries — what a client sees
    when a hard delete elsewhere shifts the offset pages between two requests."""

    def __init__(self, target: str):
        import http.server
        import threading
        import requests as rq

        proxy = self
        self.hide: str | None = None
        self.hidden = 0

        class H(http.server.BaseHTTPRequestHandler):
            def log_message(self, *a):  # noqa: D401 - quiet
                pass

            def _fwd(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n) if n else None
                hdrs = {k: v for k, v in self.headers.items()
                        if k.lower() in ("content-type", "accept")}
                r = rq.request(self.command, target + self.path, data=body, headers=hdrs,
                               timeout=30)
                data = r.content
                if (proxy.hide and self.command == "GET" and self.path.startswith("/schemas?")
                        and "deleted=true" in self.path and r.status_code == 200):
                    lst = [s for s in r.json() if s.get("subject") != proxy.hide]
                    if len(lst) != len(r.json()):
                        proxy.hide = None
                        proxy.hidden += 1
                        data = json.dumps(lst).encode()
                self.send_response(r.status_code)
                self.send_header("Content-Type", r.headers.get("Content-Type", "application/json"))
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = _fwd

        self.srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.base = f"http://127.0.0.1:{self.srv.server_address[1]}"
        self.thread = threading.Thread(target=self.srv.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.srv.shutdown()
        self.srv.server_close()


def test_standalone_link_never_plans_from_a_shifted_listing(ferry_factory, tmp_path):
    """`ferry link` reads the source's versions page by page. A listing that misses a
    version (pages shifted by a concurrent hard delete) must not be taken as the truth:
    the link would purge that version on the destination."""
    from test_link_standalone import link_props, once

    src = Api(ferry_factory.start(config=FAST))
    dst = Api(ferry_factory.start(config=FAST))
    src.register_ok("keep", record("K", ("a", "int")))
    src.register_ok("other", record("O", ("a", "int")))
    proxy = ShiftingProxy(src.base)
    try:
        cfg = link_props(tmp_path, Api(proxy.base), dst)
        once(cfg)
        assert expect_ok(dst.version(":.lnk:keep", 1))["schema"] == record("K", ("a", "int"))
        src.register_ok("other", record("O", ("a", "int"), ("b", "int", 0)))
        proxy.hide = "keep"
        once(cfg)
        assert proxy.hidden == 1
        assert dst.version(":.lnk:keep", 1, {"deleted": "true"}).status_code == 200
        assert converged(src, ".", dst, ".lnk")
    finally:
        proxy.close()


def test_new_exporter_delivers_subject_delete_whose_referrer_delete_was_compacted(ferry_factory):
    """s v1 references r v1; s is deleted (soft), then r; s takes a v2 and is deleted
    again. Compaction keeps only the second DELETE_SUBJECT of s (after r's), so a new
    exporter meets r's delete while s v1 is still live on the destination (42206). The
    referrer the source no longer has live gives way first; the link converges."""
    srv, src, dst = compacting_source_and_destination(ferry_factory)
    src.register_ok("r", record("R", ("a", "int")))
    src.register_ok("s", record("S", ("r", "R")),
                    references=[{"name": "R", "subject": "r", "version": 1}])
    expect_ok(src.delete_subject("s"))
    expect_ok(src.delete_subject("r"))
    src.register_ok("s", record("S2", ("b", "int")))
    expect_ok(src.delete_subject("s"))
    churn_until_compacted(src, srv)

    create_exporter(src, "dr", dst, contextType="CUSTOM", context="copy")
    wait_until(lambda: converged(src, ".", dst, ".copy"), 30, what="converged")
    wait_until(lambda: status(src, "dr")["state"] == "RUNNING", 10, what="RUNNING")


def test_soft_delete_behind_a_readonly_subject_clears_stale_referrers(ferry_factory):
    """t v1 is referenced by s v1 and t is READONLY on both sides. With the exporter
    paused, the source lifts t's mode, soft-deletes s v1 and t v1, hard-deletes s v1 and
    makes t READONLY again; compaction drops the lifting record and s's soft delete. The
    resumed exporter meets t's delete with t READONLY on the destination (the mode is
    lifted for that write) and s v1 still live there (the stale referrer must give way
    on that lifted write too, found by test_model_link seed 492679644); it converges."""
    srv, src, dst = compacting_source_and_destination(ferry_factory)
    src.register_ok("t", record("T", ("a", "int")))
    src.register_ok("s", record("S", ("t", "T")),
                    references=[{"name": "T", "subject": "t", "version": 1}])
    src.set_mode("t", "READONLY")
    create_exporter(src, "dr", dst, contextType="CUSTOM", context="copy")
    wait_until(lambda: converged(src, ".", dst, ".copy"), 30, what="converged")
    expect_ok(src.put("/exporters/dr/pause"))
    expect_ok(src.delete("/mode/t"))
    expect_ok(src.delete_version("s", 1))
    expect_ok(src.delete_version("t", 1))
    expect_ok(src.delete_version("s", 1, permanent=True))
    src.set_mode("t", "READONLY")
    churn_until_compacted(src, srv)
    resume_and_converge(src, dst)


@pytest.mark.parametrize("how", ["version", "subject"])
def test_exporter_behind_a_hard_delete_whose_version_number_came_back(ferry_factory, how):
    """A hard-deleted highest version's number is handed out again (as Confluent does), and
    so is version 1 of a permanently deleted subject. Compaction keeps the key's latest
    record, the new version's: the hard delete survives only as ferry's PURGED_VERSION
    record. A paused exporter (and a reset) behind it still purges the old version on the
    destination before it imports the new one: converged, RUNNING, nothing refused."""
    srv, src, dst = compacting_source_and_destination(ferry_factory)
    src.set_config("x", "NONE")
    src.register_ok("x", record("X1", ("a", "int")))
    src.register_ok("x", record("X2", ("b", "int")))
    create_exporter(src, "dr", dst, contextType="CUSTOM", context="copy")
    wait_until(lambda: converged(src, ".", dst, ".copy"), 30, what="converged")
    expect_ok(src.put("/exporters/dr/pause"))
    if how == "version":
        expect_ok(src.delete_version("x", 2))
        expect_ok(src.delete_version("x", 2, permanent=True))
    else:
        expect_ok(src.delete_subject("x"))
        expect_ok(src.delete_subject("x", permanent=True))
    if how == "subject":  # the subject's config went with it
        src.set_config("x", "NONE")
    assert src.register_ok("x", record("X3", ("c", "int"))) > 2
    churn_until_compacted(src, srv)
    resume_and_converge(src, dst)
    reset_and_converge(src, dst)


def test_hard_delete_of_a_target_whose_soft_deleted_referrer_the_feed_brings_later(
        ferry_factory):
    """a v2 references b v1. With the exporter paused the source hard-deletes a v2, then
    b v1, hands a's number 2 out again and hard-deletes that too: a's PURGED_VERSION
    record now comes after b's hard delete. On the destination a v2 (soft-deleted by the
    stale-referrer rule) still refers to b v1 and refuses its permanent delete (42206):
    a referrer the source no longer holds at all gives way to a permanent delete too."""
    srv, src, dst = compacting_source_and_destination(ferry_factory)
    src.set_config("a", "NONE")
    src.register_ok("b", record("B", ("x", "int")))
    src.register_ok("a", record("A1", ("y", "int")))
    src.register_ok("a", record("A2", ("b", "B")),
                    references=[{"name": "B", "subject": "b", "version": 1}])
    create_exporter(src, "dr", dst, contextType="CUSTOM", context="copy")
    wait_until(lambda: converged(src, ".", dst, ".copy"), 30, what="converged")
    expect_ok(src.put("/exporters/dr/pause"))
    for subject in ("a", "b"):
        v = 2 if subject == "a" else 1
        expect_ok(src.delete_version(subject, v))
        expect_ok(src.delete_version(subject, v, permanent=True))
    src.register_ok("a", record("A3", ("z", "int")))
    expect_ok(src.delete_version("a", 2))
    expect_ok(src.delete_version("a", 2, permanent=True))
    churn_until_compacted(src, srv)
    resume_and_converge(src, dst)


def test_reset_resends_a_subject_delete_older_than_the_subjects_new_life(ferry_factory):
    """x is deleted (soft, then permanently) and registered again: its version 1 is a new
    version, referenced by y. After a reset the exporter re-sends x's old DELETE_SUBJECT
    (up to version 1): the destination's x v1 is the version the source holds live now,
    not one that record deleted, and stays (found by test_model_link seed 269230383)."""
    src = Api(ferry_factory.start(config=FAST))
    dst = Api(ferry_factory.start(config=FAST))
    src.set_config("x", "NONE")
    src.register_ok("x", record("X1", ("a", "int")))
    expect_ok(src.delete_subject("x"))
    expect_ok(src.delete_subject("x", permanent=True))
    src.register_ok("x", record("X2", ("b", "int")))
    src.register_ok("y", record("Y", ("x", "X2")),
                    references=[{"name": "X2", "subject": "x", "version": 1}])
    create_exporter(src, "dr", dst, contextType="CUSTOM", context="copy")
    wait_until(lambda: converged(src, ".", dst, ".copy"), 30, what="converged")
    reset_and_converge(src, dst)
