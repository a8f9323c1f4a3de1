# SPDX-License-Identifier: Apache-2.0
"""GET /schemas/ids/{id}[/schema|/subjects|/versions] and GET /schemas (sr-api §2.2)."""
import pytest

from conftest import (aname, expect_client_error, expect_error, expect_ok, record)

SCHEMA_STRING_OPTIONAL = {"schemaType", "references", "metadata", "ruleSet", "maxId", "subject",
                          "version", "guid", "ts", "deleted"}


def test_schema_by_id_is_schema_string_obj(mod_registry, uniq):
    s = uniq()
    v = record(aname(), ("a", "int"))
    sid = mod_registry.register_ok(s, v)
    b = expect_ok(mod_registry.get(f"/schemas/ids/{sid}"))
    assert b["schema"] == v
    assert b.get("schemaType") == "AVRO"  # Confluent 8.x writes it always
    assert "references" not in b and "maxId" not in b
    assert not set(b) - {"schema"} - SCHEMA_STRING_OPTIONAL, b
    # 8.x: subject/version only with ?subject= (sr-api §2.2)
    assert "subject" not in b and "version" not in b


def test_schema_by_id_with_subject_param(mod_registry, uniq):
    s = uniq()
    v = record(aname(), ("a", "int"))
    sid = mod_registry.register_ok(s, v)
    b = expect_ok(mod_registry.get(f"/schemas/ids/{sid}", params={"subject": s}))
    assert b["schema"] == v


def test_schema_by_id_fetch_max_id(mod_registry, uniq):
    s = uniq()
    first = mod_registry.register_ok(s, record(aname(), ("a", "int")))
    last = mod_registry.register_ok(uniq("b"), record(aname(), ("a", "int")))
    b = expect_ok(mod_registry.get(f"/schemas/ids/{first}", params={"fetchMaxId": "true"}))
    assert isinstance(b["maxId"], int) and b["maxId"] >= last
    assert b["maxId"] == mod_registry.max_id()


def test_unknown_id_is_40403(mod_registry):
    big = mod_registry.max_id() + 1000
    expect_error(mod_registry.get(f"/schemas/ids/{big}"), 404, 40403, f"Schema {big} not found")
    expect_error(mod_registry.get(f"/schemas/ids/{big}/schema"), 404, 40403)
    expect_error(mod_registry.get(f"/schemas/ids/{big}/subjects"), 404, 40403,
                 "Schema not found")
    expect_error(mod_registry.get(f"/schemas/ids/{big}/versions"), 404, 40403)


@pytest.mark.parametrize("bad", ["-1", "0", "99999999999999", "abc", "1.0", "%20", "1abc"])
@pytest.mark.parametrize("suffix", ["", "/schema", "/subjects", "/versions"])
def test_absurd_ids_are_client_errors(mod_registry, bad, suffix):
    before = mod_registry.snapshot()
    expect_client_error(mod_registry.get(f"/schemas/ids/{bad}{suffix}"))
    assert mod_registry.snapshot() == before


def test_schema_text_by_id_is_the_unescaped_schema(mod_registry, uniq):
    """SchemasResource.getSchemaOnly returns the String schema text, which JAX-RS
    writes as the body itself: `"string"` is the 8 bytes `"string"`, a record is
    the JSON object (Java's getOnlySchemaById reads it as a JsonNode)."""
    s = uniq()
    sid = mod_registry.register_ok(s, '"string"')
    r = mod_registry.get(f"/schemas/ids/{sid}/schema")
    assert r.status_code == 200 and r.text == '"string"'
    rec = record(aname(), ("a", "int"))
    rid = mod_registry.register_ok(uniq(), rec)
    r = mod_registry.get(f"/schemas/ids/{rid}/schema")
    assert r.status_code == 200 and r.text == rec
    assert r.json()["type"] == "record"


def test_subjects_and_versions_by_id(mod_registry, uniq):
    s1, s2, s3 = uniq("a"), uniq("b"), uniq("c")
    n = aname()
    v = record(n, ("a", "int"))
    sid = mod_registry.register_ok(s1, v)
    assert mod_registry.register_ok(s2, v) == sid
    mod_registry.set_config(s3, "NONE")
    mod_registry.register_ok(s3, record(n, ("x", "int")))
    assert mod_registry.register_ok(s3, v) == sid  # s3 version 2
    # order is not pinned down by the spec (sr-api §15.7): compare as sets
    subjects = expect_ok(mod_registry.get(f"/schemas/ids/{sid}/subjects"))
    assert sorted(subjects) == sorted([s1, s2, s3]) and len(subjects) == 3
    versions = expect_ok(mod_registry.get(f"/schemas/ids/{sid}/versions"))
    key = lambda x: (x["subject"], x["version"])  # noqa: E731
    assert sorted(versions, key=key) == [{"subject": s1, "version": 1},
                                         {"subject": s2, "version": 1},
                                         {"subject": s3, "version": 2}]


def test_subjects_by_id_hide_soft_deleted_unless_deleted_true(mod_registry, uniq):
    s1, s2 = uniq("a"), uniq("b")
    v = record(aname(), ("a", "int"))
    sid = mod_registry.register_ok(s1, v)
    mod_registry.register_ok(s2, v)
    expect_ok(mod_registry.delete_subject(s2))
    assert expect_ok(mod_registry.get(f"/schemas/ids/{sid}/subjects")) == [s1]
    assert sorted(expect_ok(mod_registry.get(f"/schemas/ids/{sid}/subjects",
                                             params={"deleted": "true"}))) == sorted([s1, s2])
    assert expect_ok(mod_registry.get(f"/schemas/ids/{sid}/versions")) == \
        [{"subject": s1, "version": 1}]
    assert sorted(expect_ok(mod_registry.get(f"/schemas/ids/{sid}/versions",
                                             params={"deleted": "true"})),
                  key=lambda x: x["subject"]) == \
        sorted([{"subject": s1, "version": 1}, {"subject": s2, "version": 1}],
               key=lambda x: x["subject"])


def test_id_survives_until_every_use_is_hard_deleted(mod_registry, uniq):
    s1, s2 = uniq("a"), uniq("b")
    v = record(aname(), ("a", "int"))
    sid = mod_registry.register_ok(s1, v)
    mod_registry.register_ok(s2, v)
    for s in (s1, s2):
        expect_ok(mod_registry.delete_subject(s))
    assert expect_ok(mod_registry.get(f"/schemas/ids/{sid}"))["schema"] == v
    expect_ok(mod_registry.delete_subject(s1, permanent=True))
    assert expect_ok(mod_registry.get(f"/schemas/ids/{sid}"))["schema"] == v
    expect_ok(mod_registry.delete_subject(s2, permanent=True))
    expect_error(mod_registry.get(f"/schemas/ids/{sid}"), 404, 40403, f"Schema {sid} not found")


def test_schemas_by_id_pagination(mod_registry, uniq):
    v = record(aname(), ("a", "int"))
    subs = sorted(uniq(f"p{i}") for i in range(4))
    sid = 0
    for s in subs:
        sid = mod_registry.register_ok(s, v)
    full = expect_ok(mod_registry.get(f"/schemas/ids/{sid}/subjects"))
    assert sorted(full) == subs
    assert expect_ok(mod_registry.get(f"/schemas/ids/{sid}/subjects",
                                      params={"offset": "1", "limit": "2"})) == full[1:3]
    fullv = expect_ok(mod_registry.get(f"/schemas/ids/{sid}/versions"))
    assert len(fullv) == 4
    assert expect_ok(mod_registry.get(f"/schemas/ids/{sid}/versions",
                                      params={"offset": "3"})) == fullv[3:]


# ---- GET /schemas


def _schemas(api, **params):
    return expect_ok(api.get("/schemas", params=params))


def _shape(lst):
    return [(x["subject"], x["version"], x["id"], x["schema"]) for x in lst]


def test_schemas_list_with_prefix_sorted_by_subject_then_version(mod_registry, uniq):
    p = uniq("L")
    n1, n2 = aname(), aname()
    a1, a2 = record(n1, ("a", "int")), record(n1, ("a", "int"), ("b", "int", 0))
    b1 = record(n2, ("a", "int"))
    ids = {}
    ids["b1"] = mod_registry.register_ok(p + "-b", b1)
    ids["a1"] = mod_registry.register_ok(p + "-a", a1)
    ids["a2"] = mod_registry.register_ok(p + "-a", a2)
    got = _schemas(mod_registry, subjectPrefix=p)
    assert _shape(got) == [(p + "-a", 1, ids["a1"], a1), (p + "-a", 2, ids["a2"], a2),
                           (p + "-b", 1, ids["b1"], b1)]
    for x in got:
        assert x.get("schemaType") == "AVRO"
        assert "references" not in x


def test_schemas_list_latest_only(mod_registry, uniq):
    p = uniq("LO")
    n = aname()
    a1, a2 = record(n, ("a", "int")), record(n, ("a", "int"), ("b", "int", 0))
    mod_registry.register_ok(p + "-a", a1)
    ida2 = mod_registry.register_ok(p + "-a", a2)
    b1 = record(aname(), ("z", "int"))
    idb1 = mod_registry.register_ok(p + "-b", b1)
    got = _schemas(mod_registry, subjectPrefix=p, latestOnly="true")
    assert _shape(got) == [(p + "-a", 2, ida2, a2), (p + "-b", 1, idb1, b1)]


def test_schemas_list_deleted(mod_registry, uniq):
    p = uniq("D")
    n = aname()
    a1, a2 = record(n, ("a", "int")), record(n, ("a", "int"), ("b", "int", 0))
    id1 = mod_registry.register_ok(p + "-a", a1)
    id2 = mod_registry.register_ok(p + "-a", a2)
    expect_ok(mod_registry.delete_version(p + "-a", 1))
    assert _shape(_schemas(mod_registry, subjectPrefix=p)) == [(p + "-a", 2, id2, a2)]
    assert _shape(_schemas(mod_registry, subjectPrefix=p, deleted="true")) == \
        [(p + "-a", 1, id1, a1), (p + "-a", 2, id2, a2)]


def test_schemas_list_pagination(mod_registry, uniq):
    p = uniq("P")
    subs = [f"{p}-{i}" for i in range(5)]
    for s in subs:
        mod_registry.register_ok(s, record(aname(), ("a", "int")))
    full = _schemas(mod_registry, subjectPrefix=p)
    assert [x["subject"] for x in full] == subs
    assert _schemas(mod_registry, subjectPrefix=p, offset="2") == full[2:]
    assert _schemas(mod_registry, subjectPrefix=p, limit="2") == full[:2]
    assert _schemas(mod_registry, subjectPrefix=p, offset="1", limit="2") == full[1:3]
    assert _schemas(mod_registry, subjectPrefix=p, limit="0") == full
    assert _schemas(mod_registry, subjectPrefix=p, limit="5000") == full


def test_schemas_list_without_prefix_includes_everything_in_default_context(mod_registry, uniq):
    s = uniq()
    sid = mod_registry.register_ok(s, record(aname(), ("a", "int")))
    got = _schemas(mod_registry)
    assert any(x["subject"] == s and x["id"] == sid for x in got)
    keys = [(x["subject"], x["version"]) for x in got]
    assert keys == sorted(keys)
