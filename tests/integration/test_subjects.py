# SPDX-License-Identifier: Apache-2.0
"""GET /subjects, POST /subjects/{s} (lookup), DELETE /subjects/{s} (sr-api §2.3)."""
import pytest

from conftest import (aname, check_schema_obj, expect_error, expect_ok, msg_subject_not_found,
                      msg_subject_not_soft_deleted, msg_subject_soft_deleted, q, record)


def _subjects(api, **params):
    return expect_ok(api.get("/subjects", params=params or None))


# ---- GET /subjects


def test_subjects_list_is_sorted_and_contains_registered(mod_registry, uniq):
    names = [uniq("b"), uniq("a"), uniq("c")]
    for n in names:
        mod_registry.register_ok(n, record(aname(), ("a", "int")))
    got = _subjects(mod_registry)
    assert got == sorted(got)
    assert set(names) <= set(got)


def test_subjects_prefix_filter(mod_registry, uniq):
    p = uniq("pfx")
    names = [p + "-1", p + "-2", p + "-3"]
    for n in names:
        mod_registry.register_ok(n, record(aname(), ("a", "int")))
    assert _subjects(mod_registry, subjectPrefix=p) == names
    assert _subjects(mod_registry, subjectPrefix=p + "-2") == [p + "-2"]
    assert _subjects(mod_registry, subjectPrefix=p + "-nothing") == []


def test_subjects_pagination(mod_registry, uniq):
    p = uniq("pg")
    names = [f"{p}-{i}" for i in range(5)]
    for n in names:
        mod_registry.register_ok(n, record(aname(), ("a", "int")))
    assert _subjects(mod_registry, subjectPrefix=p, offset="2") == names[2:]
    assert _subjects(mod_registry, subjectPrefix=p, limit="2") == names[:2]
    assert _subjects(mod_registry, subjectPrefix=p, offset="1", limit="3") == names[1:4]
    assert _subjects(mod_registry, subjectPrefix=p, offset="10") == []
    assert _subjects(mod_registry, subjectPrefix=p, limit="0") == names  # <=0 -> default
    assert _subjects(mod_registry, subjectPrefix=p, limit="-1") == names


def test_subjects_deleted_and_deleted_only(mod_registry, uniq):
    p = uniq("del")
    live, gone, partial = p + "-live", p + "-gone", p + "-partial"
    mod_registry.register_ok(live, record(aname(), ("a", "int")))
    mod_registry.register_ok(gone, record(aname(), ("a", "int")))
    mod_registry.register_ok(partial, record(aname(), ("a", "int")))
    expect_ok(mod_registry.delete_subject(gone))
    assert _subjects(mod_registry, subjectPrefix=p) == [live, partial]
    assert _subjects(mod_registry, subjectPrefix=p, deleted="true") == [gone, live, partial]
    assert _subjects(mod_registry, subjectPrefix=p, deletedOnly="true") == [gone]
    # deletedOnly wins over deleted
    assert _subjects(mod_registry, subjectPrefix=p, deleted="true",
                     deletedOnly="true") == [gone]


def test_subject_with_one_live_version_is_not_deleted(mod_registry, uniq):
    p = uniq("half")
    s = p + "-s"
    n = aname()
    mod_registry.register_ok(s, record(n, ("a", "int")))
    mod_registry.register_ok(s, record(n, ("a", "int"), ("b", "int", 0)))
    expect_ok(mod_registry.delete_version(s, 1))
    assert _subjects(mod_registry, subjectPrefix=p) == [s]
    assert _subjects(mod_registry, subjectPrefix=p, deletedOnly="true") == []


def test_hard_deleted_subject_disappears_everywhere(mod_registry, uniq):
    p = uniq("hard")
    s = p + "-s"
    mod_registry.register_ok(s, record(aname(), ("a", "int")))
    expect_ok(mod_registry.delete_subject(s))
    expect_ok(mod_registry.delete_subject(s, permanent=True))
    assert _subjects(mod_registry, subjectPrefix=p, deleted="true") == []
    assert _subjects(mod_registry, subjectPrefix=p, deletedOnly="true") == []


# ---- POST /subjects/{s} (lookup)


def test_lookup_returns_schema_obj(mod_registry, uniq):
    s = uniq()
    n = aname()
    v1 = record(n, ("a", "int"))
    v2 = record(n, ("a", "int"), ("b", "int", 0))
    id1 = mod_registry.register_ok(s, v1)
    id2 = mod_registry.register_ok(s, v2)
    check_schema_obj(expect_ok(mod_registry.lookup(s, v1)), subject=s, version=1,
                     schema_id=id1, schema=v1)
    check_schema_obj(expect_ok(mod_registry.lookup(s, v2)), subject=s, version=2,
                     schema_id=id2, schema=v2)


def test_lookup_matches_non_canonical_text(mod_registry, uniq):
    s = uniq()
    n = aname()
    canonical = record(n, ("a", "int"))
    sid = mod_registry.register_ok(s, canonical)
    messy = '{ "fields": [ {"type": "int", "name": "a"} ], "name": "%s", "type": "record" }' % n
    check_schema_obj(expect_ok(mod_registry.lookup(s, messy)), subject=s, version=1,
                     schema_id=sid, schema=canonical)


def test_lookup_unknown_subject_is_40401(mod_registry, uniq):
    s = uniq()
    expect_error(mod_registry.lookup(s, record(aname(), ("a", "int"))), 404, 40401,
                 msg_subject_not_found(s))


def test_lookup_unregistered_schema_is_40403(mod_registry, uniq):
    s, other = uniq("a"), uniq("b")
    n = aname()
    mod_registry.register_ok(s, record(n, ("a", "int")))
    elsewhere = record(aname(), ("x", "string"))
    mod_registry.register_ok(other, elsewhere)  # registered, but under another subject
    expect_error(mod_registry.lookup(s, elsewhere), 404, 40403, "Schema not found")
    expect_error(mod_registry.lookup(s, record(n, ("zz", "int"))), 404, 40403,
                 "Schema not found")


@pytest.mark.parametrize("text", ["", "  "])
def test_lookup_with_empty_schema_is_40403(mod_registry, uniq, text):
    """SubjectsResource.lookUpSchemaUnderSubject: nothing matches an empty schema,
    so an existing subject answers 40403 (and an unknown one 40401), not 42201."""
    s = uniq()
    mod_registry.register_ok(s, record(aname(), ("a", "int")))
    expect_error(mod_registry.lookup(s, text), 404, 40403, "Schema not found")
    expect_error(mod_registry.lookup(uniq("none"), text), 404, 40401)


def test_lookup_does_not_register(mod_registry, uniq):
    s = uniq()
    mod_registry.register_ok(s, record(aname(), ("a", "int")))
    expect_error(mod_registry.lookup(s, record(aname(), ("a", "int"))), 404, 40403)
    assert expect_ok(mod_registry.versions(s)) == [1]


def test_lookup_soft_deleted_version_needs_deleted_true(mod_registry, uniq):
    s = uniq()
    n = aname()
    v1 = record(n, ("a", "int"))
    id1 = mod_registry.register_ok(s, v1)
    mod_registry.register_ok(s, record(n, ("a", "int"), ("b", "int", 0)))
    expect_ok(mod_registry.delete_version(s, 1))
    expect_error(mod_registry.lookup(s, v1), 404, 40403, "Schema not found")
    b = expect_ok(mod_registry.lookup(s, v1, params={"deleted": "true"}))
    assert (b["subject"], b["version"], b["id"], b["schema"]) == (s, 1, id1, v1)


def test_lookup_in_fully_soft_deleted_subject(mod_registry, uniq):
    s = uniq()
    v1 = record(aname(), ("a", "int"))
    id1 = mod_registry.register_ok(s, v1)
    expect_ok(mod_registry.delete_subject(s))
    expect_error(mod_registry.lookup(s, v1), 404, 40401, msg_subject_not_found(s))
    b = expect_ok(mod_registry.lookup(s, v1, params={"deleted": "true"}))
    assert (b["version"], b["id"]) == (1, id1)


def test_lookup_with_normalize(mod_registry, uniq):
    s = uniq()
    n = aname("N")
    x = '{"type":"record","name":"%s","fields":[{"name":"a","type":"int"}],"p":"1","q":"2"}' % n
    y = '{"type":"record","name":"%s","fields":[{"name":"a","type":"int"}],"q":"2","p":"1"}' % n
    sid = mod_registry.register_ok(s, x, params={"normalize": "true"})
    b = expect_ok(mod_registry.lookup(s, y, params={"normalize": "true"}))
    assert (b["subject"], b["version"], b["id"]) == (s, 1, sid)


@pytest.mark.parametrize("bad", ['{"type":"record",', '{"type":"nope"}'])
def test_lookup_invalid_schema_is_42201(mod_registry, uniq, bad):
    s = uniq()
    mod_registry.register_ok(s, record(aname(), ("a", "int")))
    expect_error(mod_registry.lookup(s, bad), 422, 42201)


# ---- DELETE /subjects/{s}


def test_soft_delete_subject_returns_live_versions(mod_registry, uniq):
    s = uniq()
    n = aname()
    for i in range(3):
        mod_registry.register_ok(s, record(n, ("a", "int"), *[(f"f{j}", "int", 0)
                                                              for j in range(i)]))
    expect_ok(mod_registry.delete_version(s, 2))
    assert expect_ok(mod_registry.delete_subject(s)) == [1, 3]
    expect_error(mod_registry.versions(s), 404, 40401, msg_subject_not_found(s))


def test_soft_delete_twice_is_40404(mod_registry, uniq):
    s = uniq()
    mod_registry.register_ok(s, record(aname(), ("a", "int")))
    expect_ok(mod_registry.delete_subject(s))
    expect_error(mod_registry.delete_subject(s), 404, 40404, msg_subject_soft_deleted(s))


def test_permanent_delete_without_soft_delete_is_40405(mod_registry, uniq):
    s = uniq()
    mod_registry.register_ok(s, record(aname(), ("a", "int")))
    expect_error(mod_registry.delete_subject(s, permanent=True), 404, 40405,
                 msg_subject_not_soft_deleted(s))
    assert expect_ok(mod_registry.versions(s)) == [1]


def test_permanent_delete_with_one_live_version_is_40405(mod_registry, uniq):
    s = uniq()
    n = aname()
    mod_registry.register_ok(s, record(n, ("a", "int")))
    mod_registry.register_ok(s, record(n, ("a", "int"), ("b", "int", 0)))
    expect_ok(mod_registry.delete_version(s, 1))
    expect_error(mod_registry.delete_subject(s, permanent=True), 404, 40405,
                 msg_subject_not_soft_deleted(s))


def test_permanent_delete_lists_all_versions_then_subject_is_gone(mod_registry, uniq):
    s = uniq()
    n = aname()
    ids = [mod_registry.register_ok(s, record(n, ("a", "int"))),
           mod_registry.register_ok(s, record(n, ("a", "int"), ("b", "int", 0)))]
    expect_ok(mod_registry.delete_version(s, 1))
    assert expect_ok(mod_registry.delete_subject(s)) == [2]
    assert expect_ok(mod_registry.delete_subject(s, permanent=True)) == [1, 2]
    expect_error(mod_registry.delete_subject(s), 404, 40401, msg_subject_not_found(s))
    expect_error(mod_registry.delete_subject(s, permanent=True), 404, 40401,
                 msg_subject_not_found(s))
    expect_error(mod_registry.versions(s, {"deleted": "true"}), 404, 40401)
    for sid in ids:
        expect_error(mod_registry.get(f"/schemas/ids/{sid}"), 404, 40403,
                     f"Schema {sid} not found")


def test_delete_unknown_subject_is_40401(mod_registry, uniq):
    s = uniq()
    expect_error(mod_registry.delete_subject(s), 404, 40401, msg_subject_not_found(s))
    expect_error(mod_registry.delete_subject(s, permanent=True), 404, 40401,
                 msg_subject_not_found(s))


def test_permanent_delete_removes_subject_config_and_mode(mod_registry, uniq):
    """sr-api §2.3: permanent delete also deletes the subject's MODE and CONFIG records."""
    s = uniq()
    mod_registry.register_ok(s, record(aname(), ("a", "int")))
    mod_registry.set_config(s, "FULL")
    mod_registry.set_mode(s, "READWRITE")
    expect_ok(mod_registry.delete_subject(s))
    expect_ok(mod_registry.delete_subject(s, permanent=True))
    expect_error(mod_registry.get(f"/config/{q(s)}"), 404, 40408)
    expect_error(mod_registry.get(f"/mode/{q(s)}"), 404, 40409)


def test_subject_with_percent_encoded_slash(mod_registry, uniq):
    s = uniq("a") + "/b"
    v = record(aname(), ("a", "int"))
    sid = mod_registry.register_ok(s, v)
    assert "%2F" in q(s)
    check_schema_obj(expect_ok(mod_registry.get(f"/subjects/{q(s)}/versions/1")), subject=s,
                     version=1, schema_id=sid, schema=v)
    assert s in _subjects(mod_registry)
    assert expect_ok(mod_registry.get(f"/schemas/ids/{sid}/subjects")) == [s]
    assert expect_ok(mod_registry.delete_subject(s)) == [1]


def test_subject_with_unicode_name(mod_registry, uniq):
    s = uniq("ünïcödé-✓-😀")
    v = record(aname(), ("a", "int"))
    sid = mod_registry.register_ok(s, v)
    assert s in _subjects(mod_registry)
    check_schema_obj(expect_ok(mod_registry.lookup(s, v)), subject=s, version=1,
                     schema_id=sid, schema=v)
    assert expect_ok(mod_registry.get(f"/schemas/ids/{sid}/versions")) == \
        [{"subject": s, "version": 1}]


def test_subject_prefix_query_param_is_percent_decoded(mod_registry, uniq):
    p = uniq("enc") + "/ü "
    names = [p + "a", p + "b"]
    for n in names:
        mod_registry.register_ok(n, record(aname(), ("a", "int")))
    assert _subjects(mod_registry, subjectPrefix=p) == names  # requests sends %2F, %C3%BC, +
    r = mod_registry.get("/subjects?subjectPrefix=" + q(p))   # and %20
    assert expect_ok(r) == names
