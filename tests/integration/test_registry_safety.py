# SPDX-License-Identifier: Apache-2.0
"""Registry data safety (issue 9): an id or a version is never lost, overwritten or given a
new meaning — IMPORT never overwrites, ids survive hard delete + compaction + restart,
ids and versions never wrap, dedupe by identity survives freeing one of its ids, and
GET /schemas read page by page never skips a version."""
import pytest

from conftest import Api, aname, expect_error, expect_ok, q, record, wait_until

INT32_MAX = 2**31 - 1


def _import_ctx(api: Api, ctx: str) -> None:
    api.set_mode(f":{ctx}:", "IMPORT")


def test_import_never_overwrites_an_occupied_version_or_a_used_id(registry):
    """Issue 9 item 1. Confluent's checkIfSchemaWithIdExist refuses an id that names other
    content (42205, "Overwrite new schema with id %s in context %s is not permitted.");
    Confluent's register has no occupied-version check (its store would overwrite), so
    ferry refuses that with the same code and message form. An identical import is
    idempotent."""
    api = registry
    _import_ctx(api, ".imp")
    a, b, c = (record(aname(n), ("a", "int")) for n in ("A", "B", "C"))
    subj = ":.imp:x"
    assert expect_ok(api.register(subj, a, id=10, version=1))["id"] == 10
    # same version, other id and content: refused, v1 and id 10 unchanged
    b_err = expect_error(api.register(subj, b, id=11, version=1), 422, 42205)
    assert "Overwrite new schema with id 11 in context :.imp: is not permitted" in \
        b_err["message"]
    assert expect_ok(api.version(subj, 1))["id"] == 10
    assert expect_ok(api.get("/schemas/ids/10", params={"subject": subj}))["schema"] == a
    expect_error(api.get("/schemas/ids/11", params={"subject": subj}), 404, 40403)
    # same version and id, other content: refused
    expect_error(api.register(subj, b, id=10, version=1), 422, 42205)
    # id 10 with other content in another version: Confluent's exact message
    e = expect_error(api.register(subj, c, id=10, version=2), 422, 42205)
    assert e["message"] == "Overwrite new schema with id 10 in context :.imp: is not permitted."
    # identical import: the same answer, nothing written twice
    assert expect_ok(api.register(subj, a, id=10, version=1))["id"] == 10
    assert expect_ok(api.versions(subj)) == [1]
    # a soft-deleted version is occupied too; the same content revives it
    expect_ok(api.delete_version(subj, 1))
    expect_error(api.register(subj, b, id=12, version=1), 422, 42205)
    assert expect_ok(api.register(subj, a, id=10, version=1))["id"] == 10
    assert expect_ok(api.version(subj, 1))["id"] == 10
    # the same id in another subject with the same content is what a link does: fine
    assert expect_ok(api.register(":.imp:y", a, id=10, version=1))["id"] == 10


def test_ids_are_never_reused_after_hard_delete_compaction_and_restart(ferry_factory):
    """Issue 9 item 2: A gets id 1, B and C (2, 3) are hard-deleted, churn compacts the
    journal (their SCHEMA records are gone), restart: a new schema gets id 4, never 2.
    Versions of a hard-deleted subject restart at 1, as Confluent's register computes
    the next version from the versions still kept."""
    cfg = {"ferry.store.compact.min.bytes": "4096"}
    srv = ferry_factory.start(config=cfg)
    api = Api(srv)
    names = {n: aname(n) for n in ("A", "B", "C", "D", "E")}
    sch = {n: record(names[n], ("a", "int")) for n in names}
    assert api.register_ok("a", sch["A"]) == 1
    assert api.register_ok("b", sch["B"]) == 2
    assert api.register_ok("c", sch["C"]) == 3
    for s in ("b", "c"):
        expect_ok(api.delete_subject(s))
        expect_ok(api.delete_subject(s, permanent=True))
    journal = srv.data_dir / "journal"
    for i in range(200):
        expect_ok(api.put("/config/churn", {"compatibility": "FULL" if i % 2 else "NONE"}))
    # compaction dropped the hard-deleted SCHEMA records (only their tombstones remain)
    wait_until(lambda: names["C"].encode() not in journal.read_bytes(), timeout=20)
    srv.stop_and_check()
    api = Api(ferry_factory.start(config=cfg, data_dir=srv.data_dir))
    assert api.register_ok("d", sch["D"]) == 4
    b = expect_ok(api.register("b", sch["E"]))
    assert b["id"] == 5
    assert expect_ok(api.version("b", "latest"))["version"] == 1
    expect_error(api.get("/schemas/ids/2"), 404, 40403)
    # and once more after compacting again and a kill -9
    for i in range(200):
        expect_ok(api.put("/config/churn", {"compatibility": "FULL" if i % 2 else "NONE"}))
    api.server.kill9()
    api = Api(ferry_factory.start(config=cfg, data_dir=srv.data_dir))
    assert api.register_ok("f", record(aname("F"), ("a", "int"))) == 6


def test_a_deleted_context_does_not_restart_its_ids(registry):
    """Issue 9 item 2: the high-water mark outlives DELETE /contexts, so the context
    created again continues above its old ids."""
    api = registry
    s = ":.gone:s"
    g = aname("G")
    assert api.register_ok(s, record(g, ("a", "int"))) == 1
    assert api.register_ok(s, record(g, ("a", "int"), ("b", "int", 0))) == 2
    expect_ok(api.delete_subject(s))
    expect_ok(api.delete_subject(s, permanent=True))
    assert api.delete("/contexts/.gone").status_code == 204
    assert ".gone" not in expect_ok(api.get("/contexts"))
    assert api.register_ok(s, record(aname("H"), ("a", "int"))) == 3


def test_ids_and_versions_never_wrap(ferry_factory):
    """Issue 9 item 3. Past 2^31-1 there is no next id or version, and nothing wraps to a
    negative number, before or after a restart. Codes: Confluent's IncrementalIdGenerator
    has no limit (a Java int would wrap), so ferry picks 422s a client can act on: no id
    left -> 42205 (the code Confluent uses to refuse giving an id a second meaning); no
    version left -> 42201 (the code of Confluent's own version-number refusal in register,
    "Version is not one more than previous version"). Never a 5xx: nothing is broken."""
    srv = ferry_factory.start()
    api = Api(srv)
    _import_ctx(api, ".ovf")
    top = record(aname("Top"), ("a", "int"))
    assert expect_ok(api.register(":.ovf:s", top, id=INT32_MAX,
                                  version=INT32_MAX))["id"] == INT32_MAX
    api.set_mode(":.ovf:", "READWRITE")
    api.set_config(":.ovf:s", "NONE")

    def check(a: Api) -> None:
        e = expect_error(a.register(":.ovf:t", record(aname("N"), ("a", "int"))), 422, 42205)
        assert "No schema id left in context :.ovf:" in e["message"]
        e = expect_error(a.register(":.ovf:s", record(aname("V"), ("b", "int"))), 422, 42201)
        assert "no version number left" in e["message"]
        assert expect_ok(a.versions(":.ovf:s")) == [INT32_MAX]
        assert expect_ok(a.version(":.ovf:s", "latest"))["id"] == INT32_MAX
        # the existing schema still registers idempotently, and the default context is fine
        assert expect_ok(a.register(":.ovf:s", top))["id"] == INT32_MAX
        assert a.register_ok(f"plain-{aname()}", record(aname("P"), ("a", "int"))) >= 1

    check(api)
    srv.stop_and_check()
    check(Api(ferry_factory.start(data_dir=srv.data_dir)))


def test_dedupe_survives_freeing_the_first_id_of_an_identity(registry):
    """Issue 9 item 4: two ids with the same content (imported); hard-deleting the subject
    that held the first must not make the context forget the content, or a registration
    of it would get a third id."""
    api = registry
    _import_ctx(api, ".idn")
    a = record(aname("Same"), ("a", "int"))
    assert expect_ok(api.register(":.idn:s1", a, id=5, version=1))["id"] == 5
    assert expect_ok(api.register(":.idn:s2", a, id=6, version=1))["id"] == 6
    api.set_mode(":.idn:", "READWRITE")
    expect_ok(api.delete_subject(":.idn:s1"))
    expect_ok(api.delete_subject(":.idn:s1", permanent=True))
    expect_error(api.get("/schemas/ids/5", params={"subject": ":.idn:s2"}), 404, 40403)
    assert expect_ok(api.register(":.idn:s3", a))["id"] == 6


@pytest.mark.parametrize("deleted,permanent", [(False, True), (True, True), (False, False)])
def test_schemas_read_page_by_page_never_skips_a_version(registry, deleted, permanent):
    """Issue 9 item 5 (suspected, confirmed): GET /schemas pages by offset over a sorted
    list, so a version removed before the reader's offset shifted the next page and the
    reader skipped a version it never saw. Removed versions keep their place for paging
    (Confluent's offset/limit API unchanged): a page may repeat an entry, never skip."""
    api = registry
    subjects = [f"pg-{c}" for c in "abcdefgh"]
    for s in subjects:
        api.register_ok(s, record(aname("P"), ("a", "int")))
    params = {"subjectPrefix": "pg-", "limit": "2"}
    if deleted:
        params["deleted"] = "true"
    seen: list[str] = []
    offset = 0
    removed = {"pg-a", "pg-c"}  # one on the page already read, one on the next page
    while True:
        page = expect_ok(api.get("/schemas", params={**params, "offset": str(offset)}))
        seen += [x["subject"] for x in page]
        if offset == 0:
            for s in removed:
                expect_ok(api.delete_subject(s))
                if permanent:
                    expect_ok(api.delete_subject(s, permanent=True))
        if len(page) < 2:
            break
        offset += 2
        assert offset < 40, seen
    missing = [s for s in subjects if s not in removed and s not in seen]
    assert not missing, f"skipped {missing}; pages gave {seen}"


def test_schemas_pages_of_a_quiet_registry_are_confluents(registry):
    """Issue 9 item 5: with nothing deleted lately, pages partition the list exactly, as
    Confluent's skip(offset).limit(limit): no version twice, none missing."""
    api = registry
    subjects = [f"qp-{c}" for c in "abcdefg"]
    for s in subjects:
        api.register_ok(s, record(aname("Q"), ("a", "int")))
    whole = expect_ok(api.get("/schemas", params={"subjectPrefix": "qp-"}))
    pages = [expect_ok(api.get("/schemas", params={"subjectPrefix": "qp-", "offset": str(o),
                                                   "limit": "3"})) for o in (0, 3, 6, 9)]
    assert [len(p) for p in pages] == [3, 3, 1, 0]
    assert [x for p in pages for x in p] == whole
