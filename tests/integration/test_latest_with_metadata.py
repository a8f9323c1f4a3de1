# SPDX-License-Identifier: Apache-2.0
"""GET /subjects/{s}/metadata?key=..&value=.. — the latest version whose
metadata.properties contain every given pair (Confluent 7.4+,
SubjectsResource.getLatestWithMetadata and AbstractSchemaRegistry.getLatestWithMetadata:
versions newest first, a version without metadata properties never matches,
key[i] goes with value[i], 40401 when the subject has no (visible) version,
40403 "Schema not found" when none matches). Serializers configured with
use.latest.with.metadata call it."""
from conftest import aname, check_schema_obj, expect_error, expect_ok, q, record


def _subject_with_three(api, s):
    n = aname()
    v1 = record(n, ("a", "int"))
    v2 = record(n, ("a", "int"), ("b", "int", 0))
    v3 = record(n, ("a", "int"), ("b", "int", 0), ("c", "int", 0))
    i1 = api.register_ok(s, v1, metadata={"properties": {"app": "billing", "owner": "a"}})
    i2 = api.register_ok(s, v2, metadata={"properties": {"app": "billing", "owner": "b"}})
    i3 = api.register_ok(s, v3, metadata={"properties": {"owner": "b"}})
    return (v1, i1), (v2, i2), (v3, i3)


def _lookup(api, s, pairs, **params):
    args = []
    for k, v in pairs:
        args += [("key", k), ("value", v)]
    args += list(params.items())
    return api.get(f"/subjects/{q(s)}/metadata", params=args)


def test_latest_version_holding_every_pair_is_returned(mod_registry, uniq):
    s = uniq()
    (v1, i1), (v2, i2), (v3, i3) = _subject_with_three(mod_registry, s)
    b = expect_ok(_lookup(mod_registry, s, [("app", "billing")]))
    check_schema_obj(b, subject=s, version=2, schema_id=i2, schema=v2,
                     metadata={"properties": {"app": "billing", "owner": "b"}})
    b = expect_ok(_lookup(mod_registry, s, [("app", "billing"), ("owner", "a")]))
    assert (b["version"], b["id"]) == (1, i1)
    b = expect_ok(_lookup(mod_registry, s, [("owner", "b")]))
    assert b["version"] == 3


def test_no_pairs_matches_the_latest_version_with_properties(mod_registry, uniq):
    s = uniq()
    _, _, (v3, i3) = _subject_with_three(mod_registry, s)
    b = expect_ok(_lookup(mod_registry, s, []))
    assert (b["version"], b["id"]) == (3, i3)


def test_version_without_metadata_never_matches(mod_registry, uniq):
    s = uniq()
    mod_registry.register_ok(s, record(aname(), ("a", "int")))
    expect_error(_lookup(mod_registry, s, []), 404, 40403, "Schema not found")


def test_no_match_is_40403_and_unknown_subject_is_40401(mod_registry, uniq):
    s = uniq()
    _subject_with_three(mod_registry, s)
    expect_error(_lookup(mod_registry, s, [("app", "nope")]), 404, 40403, "Schema not found")
    expect_error(_lookup(mod_registry, s, [("missing", "x")]), 404, 40403)
    other = uniq("none")
    expect_error(_lookup(mod_registry, other, [("app", "billing")]), 404, 40401)


def test_soft_deleted_versions_only_with_deleted_true(mod_registry, uniq):
    s = uniq()
    (v1, i1), (v2, i2), _ = _subject_with_three(mod_registry, s)
    expect_ok(mod_registry.delete(f"/subjects/{q(s)}/versions/2"))
    b = expect_ok(_lookup(mod_registry, s, [("app", "billing")]))
    assert b["version"] == 1
    b = expect_ok(_lookup(mod_registry, s, [("app", "billing")], deleted="true"))
    assert (b["version"], b["id"]) == (2, i2)
    expect_ok(mod_registry.delete(f"/subjects/{q(s)}"))
    expect_error(_lookup(mod_registry, s, [("app", "billing")]), 404, 40401)
    assert expect_ok(_lookup(mod_registry, s, [("app", "billing")],
                             deleted="true"))["version"] == 2


def test_works_in_a_context(mod_registry, uniq):
    s = ":.mdctx:" + uniq()
    (v1, i1), _, _ = _subject_with_three(mod_registry, s)
    b = expect_ok(_lookup(mod_registry, s, [("owner", "a")]))
    assert (b["version"], b["id"], b["subject"]) == (1, i1, s)
