# SPDX-License-Identifier: Apache-2.0
"""POST /compatibility/subjects/{s}/versions[/{v}] and the Avro rules (sr-api §2.5, §6)."""

import pytest

import conftest
from conftest import (Api, aname, avro, expect_error, expect_ok, msg_bad_version,
                      msg_version_not_found, q, record)


def _check(api, s, schema, version=None, verbose=False, **fields):
    path = f"/compatibility/subjects/{q(s)}/versions"
    if version is not None:
        path += f"/{version}"
    body = {"schema": schema}
    body.update(fields)
    return api.post(path, body, params={"verbose": "true"} if verbose else None)


def _missing_default(field, index):
    return (f"{{errorType:'READER_FIELD_MISSING_DEFAULT_VALUE', description:'The field "
            f"'{field}' at path '/fields/{index}' in the new schema has no default value and is "
            f"missing in the old schema', additionalInfo:'{field}'}}")


def _type_mismatch(path, reader, writer):
    return (f"{{errorType:'TYPE_MISMATCH', description:'The type (path '{path}') of a field in "
            f"the new schema does not match with the old schema', additionalInfo:'reader type: "
            f"{reader} not compatible with writer type: {writer}'}}")


def _tail(version, old, level="BACKWARD"):
    return [f"{{oldSchemaVersion: {version}}}", f"{{oldSchema: '{old}'}}",
            f"{{validateFields: 'false', compatibility: '{level}'}}"]


def test_compatible_answers_is_compatible_true_only(mod_registry, uniq):
    s = uniq()
    n = aname()
    mod_registry.register_ok(s, record(n, ("a", "int")))
    new = record(n, ("a", "int"), ("b", "int", 0))
    assert expect_ok(_check(mod_registry, s, new, "latest")) == {"is_compatible": True}
    assert expect_ok(_check(mod_registry, s, new, 1)) == {"is_compatible": True}
    assert expect_ok(_check(mod_registry, s, new)) == {"is_compatible": True}


def test_incompatible_without_verbose_has_no_messages(mod_registry, uniq):
    s = uniq()
    n = aname()
    mod_registry.register_ok(s, record(n, ("a", "int")))
    new = record(n, ("a", "int"), ("b", "int"))
    assert expect_ok(_check(mod_registry, s, new, "latest")) == {"is_compatible": False}
    assert expect_ok(_check(mod_registry, s, new)) == {"is_compatible": False}


def test_verbose_incompatible_lists_confluent_messages(mod_registry, uniq):
    s = uniq()
    n = aname()
    old = record(n, ("a", "int"))
    mod_registry.register_ok(s, old)
    new = record(n, ("a", "int"), ("b", "int"))
    want = {"is_compatible": False, "messages": [_missing_default("b", 1)] + _tail(1, old)}
    assert expect_ok(_check(mod_registry, s, new, "latest", verbose=True)) == want
    assert expect_ok(_check(mod_registry, s, new, verbose=True)) == want


def test_single_version_check_names_the_configured_transitive_level(mod_registry, uniq):
    """CompatibilityResource.testCompatibilityBySubjectName passes the one version to
    isCompatible, whose trailer names config.getCompatibilityLevel(): a *_TRANSITIVE
    level stays *_TRANSITIVE in it (ferry used to name the non-transitive level)."""
    s = uniq()
    n = aname()
    old = record(n, ("a", "int"))
    mod_registry.register_ok(s, old)
    mod_registry.set_config(s, "BACKWARD_TRANSITIVE")
    new = record(n, ("a", "int"), ("b", "int"))
    want = {"is_compatible": False,
            "messages": [_missing_default("b", 1)] + _tail(1, old, "BACKWARD_TRANSITIVE")}
    assert expect_ok(_check(mod_registry, s, new, 1, verbose=True)) == want
    assert expect_ok(_check(mod_registry, s, new, "latest", verbose=True)) == want


def test_verbose_compatible_has_no_or_empty_messages(mod_registry, uniq):
    s = uniq()
    n = aname()
    mod_registry.register_ok(s, record(n, ("a", "int")))
    b = expect_ok(_check(mod_registry, s, record(n, ("a", "int"), ("b", "int", 0)), "latest",
                         verbose=True))
    assert b["is_compatible"] is True and b.get("messages", []) == [], b
    assert set(b) <= {"is_compatible", "messages"}


def test_verbose_lists_every_incompatibility(mod_registry, uniq):
    s = uniq()
    n = aname()
    old = record(n, ("a", "int"), ("b", "string"))
    mod_registry.register_ok(s, old)
    new = record(n, ("a", "string"), ("b", "string"), ("c", "int"))
    b = expect_ok(_check(mod_registry, s, new, "latest", verbose=True))
    assert b["is_compatible"] is False
    assert b["messages"][-3:] == _tail(1, old)
    assert sorted(b["messages"][:-3]) == sorted([_type_mismatch("/fields/0/type", "STRING",
                                                                "INT"),
                                                 _missing_default("c", 2)])


def test_latest_on_empty_subject_is_compatible(mod_registry, uniq):
    s = uniq()
    v = record(aname(), ("a", "int"))
    assert expect_ok(_check(mod_registry, s, v, "latest")) == {"is_compatible": True}
    assert expect_ok(_check(mod_registry, s, v)) == {"is_compatible": True}
    expect_error(mod_registry.versions(s), 404, 40401)  # nothing was registered


def test_numeric_version_on_missing_subject_or_version_is_40402(mod_registry, uniq):
    s = uniq()
    v = record(aname(), ("a", "int"))
    expect_error(_check(mod_registry, s, v, 1), 404, 40402, msg_version_not_found(1))
    mod_registry.register_ok(s, v)
    expect_error(_check(mod_registry, s, v, 5), 404, 40402, msg_version_not_found(5))


@pytest.mark.parametrize("bad", ["0", "abc", "2147483648", "-3"])
def test_bad_version_is_42202(mod_registry, uniq, bad):
    s = uniq()
    v = record(aname(), ("a", "int"))
    mod_registry.register_ok(s, v)
    expect_error(_check(mod_registry, s, v, bad), 422, 42202, msg_bad_version(bad))


def test_invalid_schema_is_42201_or_verbose_false_with_message(mod_registry, uniq):
    s = uniq()
    mod_registry.register_ok(s, record(aname(), ("a", "int")))
    bad = '{"type":"record","name":"X","fields":[{"name":"a","type":"nope"}]}'
    expect_error(_check(mod_registry, s, bad, "latest"), 422, 42201)
    b = expect_ok(_check(mod_registry, s, bad, "latest", verbose=True))
    assert b["is_compatible"] is False
    assert isinstance(b["messages"], list) and b["messages"], b
    assert all(isinstance(m, str) and m for m in b["messages"]), b


def test_check_against_a_specific_older_version(mod_registry, uniq):
    s = uniq()
    n = aname()
    mod_registry.register_ok(s, record(n, ("a", "int")))
    mod_registry.register_ok(s, record(n, ("a", "int"), ("b", "int", 0)))
    cand = record(n, ("a", "int"), ("b", "string", ""))
    assert expect_ok(_check(mod_registry, s, cand, 1)) == {"is_compatible": True}
    assert expect_ok(_check(mod_registry, s, cand, 2)) == {"is_compatible": False}
    assert expect_ok(_check(mod_registry, s, cand, "latest")) == {"is_compatible": False}


def test_transitive_checks_every_live_version(mod_registry, uniq):
    s = uniq()
    n = aname()
    v1 = record(n, ("f", "int"))
    mod_registry.register_ok(s, v1)
    mod_registry.register_ok(s, record(n))  # drop f: backward compatible
    mod_registry.set_config(s, "BACKWARD_TRANSITIVE")
    cand = record(n, ("f", "string", ""))
    # single-version form: the level's direction only, against latest
    assert expect_ok(_check(mod_registry, s, cand, "latest")) == {"is_compatible": True}
    b = expect_ok(_check(mod_registry, s, cand, verbose=True))
    assert b == {"is_compatible": False,
                 "messages": [_type_mismatch("/fields/0/type", "STRING", "INT")]
                 + _tail(1, v1, "BACKWARD_TRANSITIVE")}
    expect_error(mod_registry.register(s, cand), 409, (409, 40901))
    mod_registry.set_config(s, "BACKWARD")
    mod_registry.register_ok(s, cand)


def test_compatibility_ignores_soft_deleted_versions(mod_registry, uniq):
    s = uniq()
    n = aname()
    mod_registry.register_ok(s, record(n, ("f", "int")))
    mod_registry.register_ok(s, record(n))
    mod_registry.set_config(s, "BACKWARD_TRANSITIVE")
    expect_ok(mod_registry.delete_version(s, 1))
    assert expect_ok(_check(mod_registry, s, record(n, ("f", "string", "")))) == \
        {"is_compatible": True}


# ---- the level x change matrix (sr-api §6.1 directions, §6.2 Avro rules)

N = "M"


def R(*fields, name=N, **extra):  # noqa: N802
    return record(name, *fields, **extra)


ENUM_AB = {"type": "enum", "name": "E", "symbols": ["A", "B"]}
ENUM_ABC = {"type": "enum", "name": "E", "symbols": ["A", "B", "C"]}
ENUM_A_DEF = {"type": "enum", "name": "E", "symbols": ["A"], "default": "A"}

# (id, old, new, {level: expected})
MATRIX = [
    ("add_field_with_default", R(("a", "int")), R(("a", "int"), ("b", "int", 0)),
     dict(BACKWARD=True, FORWARD=True, FULL=True)),
    ("add_field_without_default", R(("a", "int")), R(("a", "int"), ("b", "int")),
     dict(BACKWARD=False, FORWARD=True, FULL=False, NONE=True)),
    ("remove_field_without_default", R(("a", "int"), ("b", "int")), R(("a", "int")),
     dict(BACKWARD=True, FORWARD=False, FULL=False)),
    ("remove_field_with_default", R(("a", "int"), ("b", "int", 0)), R(("a", "int")),
     dict(BACKWARD=True, FORWARD=True, FULL=True)),
    ("int_to_long", R(("a", "int")), R(("a", "long")),
     dict(BACKWARD=True, FORWARD=False, FULL=False)),
    ("long_to_int", R(("a", "long")), R(("a", "int")),
     dict(BACKWARD=False, FORWARD=True)),
    ("int_to_float_and_double", R(("a", "int"), ("b", "long")), R(("a", "float"), ("b", "double")),
     dict(BACKWARD=True, FORWARD=False)),
    ("float_to_double", R(("a", "float")), R(("a", "double")), dict(BACKWARD=True)),
    ("string_bytes", R(("a", "string")), R(("a", "bytes")),
     dict(BACKWARD=True, FORWARD=True, FULL=True)),
    ("int_to_string", R(("a", "int")), R(("a", "string")),
     dict(BACKWARD=False, FORWARD=False, FULL=False, NONE=True)),
    ("add_enum_symbol", R(("e", ENUM_AB)), R(("e", ENUM_ABC)),
     dict(BACKWARD=True, FORWARD=False)),
    ("remove_enum_symbol_with_reader_default", R(("e", ENUM_AB)), R(("e", ENUM_A_DEF)),
     dict(BACKWARD=True)),
    ("rename_record", R(("a", "int")), R(("a", "int"), name="Other"),
     dict(BACKWARD=False, FORWARD=False)),
    ("rename_record_with_alias", R(("a", "int")), R(("a", "int"), name="Other", aliases=[N]),
     dict(BACKWARD=True)),
    ("namespace_change_only", R(("a", "int")), R(("a", "int"), namespace="some.ns"),
     dict(BACKWARD=True, FORWARD=True)),
    ("rename_field_with_alias", R(("a", "int")),
     R({"name": "b", "type": "int", "aliases": ["a"]}), dict(BACKWARD=True)),
    ("widen_to_union", R(("a", "int")), R(("a", ["null", "int"])),
     dict(BACKWARD=True, FORWARD=False)),
    ("add_union_branch", R(("a", ["null", "int"])), R(("a", ["null", "int", "string"])),
     dict(BACKWARD=True, FORWARD=False)),
    ("remove_union_branch", R(("a", ["null", "int", "string"])), R(("a", ["null", "int"])),
     dict(BACKWARD=False, FORWARD=True)),
    ("fixed_size_change", R(("f", {"type": "fixed", "name": "F", "size": 4})),
     R(("f", {"type": "fixed", "name": "F", "size": 8})), dict(BACKWARD=False, FORWARD=False)),
    ("array_items_promote", R(("a", {"type": "array", "items": "int"})),
     R(("a", {"type": "array", "items": "long"})), dict(BACKWARD=True, FORWARD=False)),
    ("map_values_change", R(("m", {"type": "map", "values": "int"})),
     R(("m", {"type": "map", "values": "string"})), dict(BACKWARD=False)),
    ("primitive_to_other_primitive", '"int"', '"boolean"', dict(BACKWARD=False, NONE=True)),
    ("recursive_type_add_optional", R(("next", ["null", N])),
     R(("next", ["null", N]), ("v", "int", 0)), dict(BACKWARD=True, FORWARD=True, FULL=True)),
    ("logical_type_is_not_checked", R(("t", "long")),
     R(("t", {"type": "long", "logicalType": "timestamp-millis"})), dict(FULL=True)),
]


@pytest.mark.parametrize("case_id,old,new,expect",
                         MATRIX, ids=[m[0] for m in MATRIX])
def test_level_matrix(mod_registry, uniq, case_id, old, new, expect):
    for level, want in expect.items():
        s = uniq(level)
        mod_registry.set_config(s, level)
        mod_registry.register_ok(s, old)
        got = expect_ok(_check(mod_registry, s, new, "latest"))
        assert got == {"is_compatible": want}, (case_id, level, got)
        got_all = expect_ok(_check(mod_registry, s, new))
        assert got_all == {"is_compatible": want}, (case_id, level, got_all)
        r = mod_registry.register(s, new)
        if want:
            expect_ok(r)
        else:
            expect_error(r, 409, (409, 40901))


def test_name_mismatch_message(mod_registry, uniq):
    s = uniq()
    old = R(("a", "int"), name="Old1")
    mod_registry.register_ok(s, old)
    b = expect_ok(_check(mod_registry, s, R(("a", "int"), name="New1"), "latest", verbose=True))
    assert b["messages"] == [
        "{errorType:'NAME_MISMATCH', description:'The name of the schema has changed (path "
        "'/name')', additionalInfo:'expected: Old1'}"] + _tail(1, old)


def test_missing_enum_symbols_message(mod_registry, uniq):
    s = uniq()
    old = R(("e", ENUM_ABC))
    mod_registry.register_ok(s, old)
    b = expect_ok(_check(mod_registry, s, R(("e", ENUM_AB)), "latest", verbose=True))
    assert b["messages"] == [
        "{errorType:'MISSING_ENUM_SYMBOLS', description:'The new schema is missing enum symbols "
        "'[C]' at path '/fields/0/type/symbols' in the old schema', additionalInfo:'[C]'}"] \
        + _tail(1, old)


def test_forward_level_message_direction(mod_registry, uniq):
    """FORWARD: old (reader) <- new (writer); a removed field without default."""
    s = uniq()
    n = aname()
    old = record(n, ("a", "int"), ("b", "int"))
    mod_registry.set_config(s, "FORWARD")
    mod_registry.register_ok(s, old)
    b = expect_ok(_check(mod_registry, s, record(n, ("a", "int")), "latest", verbose=True))
    assert b["is_compatible"] is False
    assert b["messages"][-3:] == _tail(1, old, "FORWARD")
    assert any("READER_FIELD_MISSING_DEFAULT_VALUE" in m for m in b["messages"]), b


def test_forward_transitive_and_full_transitive(mod_registry, uniq):
    n = aname()
    v1 = record(n, ("a", "int"), ("b", "int"))
    v2 = record(n, ("a", "int"), ("b", "int", 0))
    cand = record(n, ("a", "int"))  # drops b: fine for v2 readers (default), not for v1 readers
    for level, want in (("FORWARD", True), ("FORWARD_TRANSITIVE", False),
                        ("FULL", True), ("FULL_TRANSITIVE", False)):
        s = uniq(level)
        mod_registry.set_config(s, "NONE")
        mod_registry.register_ok(s, v1)
        mod_registry.register_ok(s, v2)
        mod_registry.set_config(s, level)
        assert expect_ok(_check(mod_registry, s, cand)) == {"is_compatible": want}, level
        assert expect_ok(_check(mod_registry, s, cand, "latest")) == {"is_compatible": True}, \
            level
        r = mod_registry.register(s, cand)
        if want:
            expect_ok(r)
        else:
            expect_error(r, 409, (409, 40901))


def test_compat_body_tolerates_unknown_fields_and_schema_type(mod_registry, uniq):
    s = uniq()
    n = aname()
    mod_registry.register_ok(s, record(n, ("a", "int")))
    r = _check(mod_registry, s, record(n, ("a", "int"), ("b", "int", 0)), "latest",
               schemaType="AVRO", somethingNew=[1, 2])
    assert expect_ok(r) == {"is_compatible": True}


def test_compat_unknown_schema_type_is_42201(mod_registry, uniq):
    s = uniq()
    mod_registry.register_ok(s, record(aname(), ("a", "int")))
    expect_error(_check(mod_registry, s, avro("int"), "latest", schemaType="FOO"), 422, 42201)


def test_small_parsed_schema_cache_keeps_checks_right(ferry_factory, tmp_path):
    """`ferry.schema.cache.bytes` at its minimum evicts parsed schemas all the time:
    compatibility answers must not change; a budget below the minimum is refused."""
    api = Api(ferry_factory.start(config={"ferry.schema.cache.bytes": "1048576",
                                          "ferry.fsync": "false"}))
    wide = [(f"f{i}", "string", "") for i in range(400)]
    for s in range(4):
        for v in range(6):
            api.register_ok(f"cache-{s}", record(f"W{s}", *wide[: 200 + 40 * v]))
        r = api.register(f"cache-{s}", record(f"W{s}", ("f0", "int")))  # f0 changed type
        assert r.status_code == 409, r.text
    p = conftest.serve_config_error(tmp_path, "ferry.schema.cache.bytes=10\n")
    assert p.returncode == 2 and "ferry.schema.cache.bytes" in p.stderr, p.stderr
