# SPDX-License-Identifier: Apache-2.0
"""POST /subjects/{s}/versions (sr-api §2.4, §5, §5.1, §5.3, §6.1 messages, §13a)."""
import json

import pytest

from conftest import (aname, avro, check_schema_obj, describe, expect_error, expect_ok, q,
                      record)

REG_OPTIONAL = {"version", "schemaType", "references", "metadata", "ruleSet", "schema", "guid",
                "ts", "subject", "deleted"}


def test_register_answers_id_and_creates_version_1(mod_registry, uniq):
    s = uniq()
    schema = record("R1", ("a", "int"))
    r = mod_registry.register(s, schema)
    b = expect_ok(r)
    assert isinstance(b["id"], int) and b["id"] >= 1, b
    assert not set(b) - {"id"} - REG_OPTIONAL, b
    if "version" in b:
        assert b["version"] == 1, b
    if "schema" in b:
        assert b["schema"] == schema, b
    assert expect_ok(mod_registry.versions(s)) == [1]
    check_schema_obj(expect_ok(mod_registry.version(s, 1)), subject=s, version=1,
                     schema_id=b["id"], schema=schema)


def test_register_answers_8x_register_schema_response(mod_registry, uniq):
    """Confluent 7.4+/8.x SubjectVersionsResource.register answers
    new RegisterSchemaResponse(result) (@JsonInclude NON_EMPTY): id, version, schemaType
    (Schema(subject, request) defaults it to AVRO), the references/metadata/ruleSet the
    version carries (merged with the config's defaults) and the schema text as stored
    (maybeValidateAndNormalizeSchema sets canonicalString()); no subject. The same answer
    when the schema is already registered (the lookUpSchemaUnderSubject shortcut of
    registerOrForward). ferry answered {"id": N} only."""
    s = uniq()
    n = aname()
    v1 = record(n, ("a", "int"))
    b = expect_ok(mod_registry.register(s, v1))
    assert b == {"id": b["id"], "version": 1, "schemaType": "AVRO", "schema": v1}, b
    assert expect_ok(mod_registry.register(s, v1)) == b
    # a text that is not canonical: the answer carries the stored form
    spaced = json.dumps(json.loads(record(n, ("a", "int"), ("b", "int", 0))), indent=2)
    b2 = expect_ok(mod_registry.register(s, spaced))
    assert b2["version"] == 2 and b2["schema"] == expect_ok(mod_registry.version(s, 2))["schema"]
    md = {"properties": {"owner": "x"}}
    b3 = expect_ok(mod_registry.register(uniq("md"), v1, metadata=md))
    assert b3["metadata"] == md and b3["version"] == 1 and "subject" not in b3, b3
    ref_s = uniq("ref")
    mod_registry.register_ok(ref_s, record("Ref" + n, ("x", "int")))
    refs = [{"name": "Ref" + n, "subject": ref_s, "version": 1}]
    b4 = expect_ok(mod_registry.register(uniq("user"), record(n, ("r", "Ref" + n)),
                                         references=refs))
    assert b4["references"] == refs, b4


def test_register_same_schema_twice_is_idempotent(mod_registry, uniq):
    s = uniq()
    schema = record("R2", ("a", "int"))
    id1 = mod_registry.register_ok(s, schema)
    id2 = mod_registry.register_ok(s, schema)
    assert id1 == id2
    assert expect_ok(mod_registry.versions(s)) == [1]


def test_same_schema_in_two_subjects_gets_the_same_id(mod_registry, uniq):
    s1, s2 = uniq("a"), uniq("b")
    schema = record("R3", ("a", "int"))
    id1 = mod_registry.register_ok(s1, schema)
    id2 = mod_registry.register_ok(s2, schema)
    assert id1 == id2
    assert expect_ok(mod_registry.versions(s2)) == [1]
    got = expect_ok(mod_registry.get(f"/schemas/ids/{id1}/versions"))
    assert sorted(got, key=lambda x: x["subject"]) == sorted(
        [{"subject": s1, "version": 1}, {"subject": s2, "version": 1}],
        key=lambda x: x["subject"])


def test_distinct_schemas_get_distinct_increasing_ids(mod_registry, uniq):
    s = uniq()
    ids = []
    for i in range(4):
        fields = [("a", "int")] + [(f"f{j}", "int", j) for j in range(i)]
        ids.append(mod_registry.register_ok(s, record("R4", *fields)))
    assert ids == sorted(ids) and len(set(ids)) == 4
    assert expect_ok(mod_registry.versions(s)) == [1, 2, 3, 4]


def test_whitespace_and_key_order_are_canonicalised(mod_registry, uniq):
    s, s2 = uniq("a"), uniq("b")
    messy = ('{ "fields" : [ { "default" : 1, "type" : "int", "name" : "a" } ],\n'
             '  "namespace" : "com.x", "name" : "R5", "type" : "record" }')
    canonical = ('{"type":"record","name":"R5","namespace":"com.x","fields":'
                 '[{"name":"a","type":"int","default":1}]}')
    sid = mod_registry.register_ok(s, messy)
    check_schema_obj(expect_ok(mod_registry.version(s, 1)), subject=s, version=1, schema_id=sid,
                     schema=canonical)
    assert expect_ok(mod_registry.get(f"/schemas/ids/{sid}"))["schema"] == canonical
    # the canonical text is what the dedupe hash is taken over
    assert mod_registry.register_ok(s2, canonical) == sid


@pytest.mark.parametrize("text", ['"string"', '{"type":"string"}', ' { "type" : "string" } '])
def test_primitive_schema_canonical_form_is_the_bare_name(mod_registry, uniq, text):
    s = uniq()
    sid = mod_registry.register_ok(s, text)
    assert expect_ok(mod_registry.version(s, 1))["schema"] == '"string"'
    r = mod_registry.get(f"/schemas/ids/{sid}/schema")
    assert r.status_code == 200 and r.text == '"string"'


def test_canonical_form_keeps_custom_and_logical_type_props(mod_registry, uniq):
    s = uniq()
    schema = avro({"type": "record", "name": "R6", "fields": [
        {"name": "ts", "type": {"type": "long", "logicalType": "timestamp-millis"}},
        {"name": "d", "type": {"type": "bytes", "logicalType": "decimal", "precision": 9,
                               "scale": 2}},
        {"name": "s", "type": {"type": "string", "avro.java.string": "String"}},
    ], "connect.name": "x.R6"})
    sid = mod_registry.register_ok(s, schema)
    assert expect_ok(mod_registry.get(f"/schemas/ids/{sid}"))["schema"] == schema


def test_non_ascii_text_is_kept_verbatim(mod_registry, uniq):
    s = uniq()
    schema = record("R7", {"name": "a", "type": "string", "doc": "ünïcödé ✓ 😀"})
    sid = mod_registry.register_ok(s, schema)
    assert expect_ok(mod_registry.get(f"/schemas/ids/{sid}"))["schema"] == schema


def test_namespace_of_nested_type_is_written_only_when_different(mod_registry, uniq):
    s = uniq()
    messy = avro({"type": "record", "name": "Outer", "namespace": "a.b", "fields": [
        {"name": "i", "type": {"type": "record", "name": "Inner", "namespace": "a.b",
                               "fields": [{"name": "x", "type": "int"}]}},
        {"name": "j", "type": "a.b.Inner"},
    ]})
    canonical = avro({"type": "record", "name": "Outer", "namespace": "a.b", "fields": [
        {"name": "i", "type": {"type": "record", "name": "Inner",
                               "fields": [{"name": "x", "type": "int"}]}},
        {"name": "j", "type": "Inner"},
    ]})
    sid = mod_registry.register_ok(s, messy)
    assert expect_ok(mod_registry.get(f"/schemas/ids/{sid}"))["schema"] == canonical


def test_new_version_after_soft_deleting_all_is_max_plus_one_with_same_id(mod_registry, uniq):
    """[T] soft-delete v1, v2 then re-register -> v3, same id (sr-api §2.4)."""
    s = uniq()
    a = record("R8", ("a", "int"))
    b = record("R8", ("a", "int"), ("b", "int", 0))
    ida = mod_registry.register_ok(s, a)
    mod_registry.register_ok(s, b)
    assert expect_ok(mod_registry.delete_subject(s)) == [1, 2]
    assert mod_registry.register_ok(s, a) == ida
    assert expect_ok(mod_registry.versions(s)) == [3]
    check_schema_obj(expect_ok(mod_registry.version(s, "latest")), subject=s, version=3,
                     schema_id=ida, schema=a)


def test_new_version_after_soft_deleting_latest_skips_its_number(mod_registry, uniq):
    s = uniq()
    mod_registry.register_ok(s, record("R9", ("a", "int")))
    mod_registry.register_ok(s, record("R9", ("a", "int"), ("b", "int", 0)))
    assert expect_ok(mod_registry.delete_version(s, 2)) == 2
    c = record("R9", ("a", "int"), ("c", "int", 0))
    mod_registry.register_ok(s, c)
    assert expect_ok(mod_registry.versions(s)) == [1, 3]
    assert expect_ok(mod_registry.versions(s, {"deleted": "true"})) == [1, 2, 3]


def test_reregistering_soft_deleted_schema_gets_new_version_same_id(mod_registry, uniq):
    s = uniq()
    a = record("R10", ("a", "int"))
    b = record("R10", ("a", "int"), ("b", "int", 0))
    mod_registry.register_ok(s, a)
    idb = mod_registry.register_ok(s, b)
    assert expect_ok(mod_registry.delete_version(s, 2)) == 2
    assert mod_registry.register_ok(s, b) == idb
    assert expect_ok(mod_registry.versions(s)) == [1, 3]


def test_reregistering_after_hard_delete_gets_a_new_id(mod_registry, uniq):
    """sr-api §5.1: the hash index no longer has a live subject for it."""
    s = uniq()
    a = record("R11", ("a", "int"))
    ida = mod_registry.register_ok(s, a)
    expect_ok(mod_registry.delete_subject(s))
    expect_ok(mod_registry.delete_subject(s, permanent=True))
    idn = mod_registry.register_ok(s, a)
    assert idn != ida and idn > ida
    assert expect_ok(mod_registry.versions(s)) == [1]


def _incompatible_msg(subject, old_schema, field, index, old_version=1, level="BACKWARD"):
    return (f"Schema being registered is incompatible with an earlier schema for subject "
            f"\"{subject}\", details: [{{errorType:'READER_FIELD_MISSING_DEFAULT_VALUE', "
            f"description:'The field '{field}' at path '/fields/{index}' in the new schema has "
            f"no default value and is missing in the old schema', additionalInfo:'{field}'}}, "
            f"{{oldSchemaVersion: {old_version}}}, {{oldSchema: '{old_schema}'}}, "
            f"{{validateFields: 'false', compatibility: '{level}'}}]")


def test_incompatible_schema_is_409_with_confluent_message(mod_registry, uniq):
    """sr-api §13a / §6.1: BACKWARD (default), new field without default."""
    s = uniq()
    old = record("O", ("a", "int"))
    mod_registry.register_ok(s, old)
    new = record("O", ("a", "int"), ("b", "int"))
    r = mod_registry.register(s, new)
    # error_code 409 up to CP 8.0.3/8.1.x, 40901 from 8.0.4/8.2.0 (sr-api §4)
    expect_error(r, 409, (409, 40901), _incompatible_msg(s, old, "b", 1))
    assert expect_ok(mod_registry.versions(s)) == [1]


def test_incompatible_against_latest_reports_its_version(mod_registry, uniq):
    s = uniq()
    mod_registry.register_ok(s, record("O2", ("a", "int")))
    v2 = record("O2", ("a", "int"), ("b", "int", 0))
    mod_registry.register_ok(s, v2)
    new = record("O2", ("a", "int"), ("b", "int", 0), ("c", "string"))
    r = mod_registry.register(s, new)
    expect_error(r, 409, (409, 40901), _incompatible_msg(s, v2, "c", 2, old_version=2))


def test_soft_deleted_versions_are_not_used_for_compatibility(mod_registry, uniq):
    s = uniq()
    mod_registry.register_ok(s, record("O3", ("a", "int")))
    expect_ok(mod_registry.delete_version(s, 1))
    # incompatible with the deleted v1 only
    mod_registry.register_ok(s, record("O3", ("z", "string")))
    assert expect_ok(mod_registry.versions(s)) == [2]


def test_register_with_subject_level_none_accepts_incompatible(mod_registry, uniq):
    s = uniq()
    mod_registry.register_ok(s, record("O4", ("a", "int")))
    mod_registry.set_config(s, "NONE")
    mod_registry.register_ok(s, record("O4", ("a", "string")))
    assert expect_ok(mod_registry.versions(s)) == [1, 2]


INVALID_SCHEMAS = {
    "not_json": '{"type":"record",',
    "bare_word": "nonsense",
    "unknown_type": '{"type":"strang"}',
    "unknown_type_name": '"Nope"',
    "record_without_name": '{"type":"record","fields":[{"name":"a","type":"int"}]}',
    "record_without_fields": '{"type":"record","name":"X"}',
    "field_without_type": '{"type":"record","name":"X","fields":[{"name":"a"}]}',
    "bad_default_int": ('{"type":"record","name":"X","fields":'
                        '[{"name":"a","type":"int","default":"zzz"}]}'),
    "bad_default_null_union_order": ('{"type":"record","name":"X","fields":'
                                     '[{"name":"a","type":["null","int"],"default":5}]}'),
    "duplicate_field_names": ('{"type":"record","name":"X","fields":'
                              '[{"name":"a","type":"int"},{"name":"a","type":"long"}]}'),
    "duplicate_enum_symbols": '{"type":"enum","name":"E","symbols":["A","B","A"]}',
    "enum_default_not_a_symbol": '{"type":"enum","name":"E","symbols":["A"],"default":"Z"}',
    "unresolved_name": ('{"type":"record","name":"X","fields":'
                        '[{"name":"a","type":"com.nowhere.Missing"}]}'),
    "bad_record_name": '{"type":"record","name":"9bad","fields":[]}',
    "bad_field_name": '{"type":"record","name":"X","fields":[{"name":"a-b","type":"int"}]}',
    "fixed_without_size": '{"type":"fixed","name":"F"}',
    "array_without_items": '{"type":"array"}',
    "map_without_values": '{"type":"map"}',
    "duplicate_union_branch": '["int","int"]',
    "nested_union": '[["int"],"string"]',
    "redefined_name": ('{"type":"record","name":"X","fields":[{"name":"a","type":'
                       '{"type":"record","name":"X","fields":[]}}]}'),
    "json_number": "5",
    "json_object_empty": "{}",
}


@pytest.mark.parametrize("name", sorted(INVALID_SCHEMAS))
def test_invalid_schema_is_42201_and_stores_nothing(mod_registry, uniq, name):
    s = uniq()
    r = mod_registry.register(s, INVALID_SCHEMAS[name])
    expect_error(r, 422, 42201)
    expect_error(mod_registry.versions(s), 404, 40401, f"Subject '{s}' not found.")


@pytest.mark.parametrize("text", ["", "   "])
def test_empty_schema_on_new_subject_is_42201_empty_schema(mod_registry, uniq, text):
    s = uniq()
    expect_error(mod_registry.register(s, text), 422, 42201, "Empty schema")
    expect_error(mod_registry.versions(s), 404, 40401)


def test_missing_schema_member_on_new_subject_is_42201(mod_registry, uniq):
    s = uniq()
    expect_error(mod_registry.post(f"/subjects/{q(s)}/versions", {}), 422, 42201, "Empty schema")


def test_empty_schema_with_metadata_reuses_previous_schema(mod_registry, uniq):
    """sr-api §5 step 3: metadata-only update copies the latest live schema."""
    s = uniq()
    schema = record("R12", ("a", "int"))
    sid = mod_registry.register_ok(s, schema)
    md = {"properties": {"owner": "team-a"}}
    sid2 = mod_registry.register_ok(s, "", metadata=md)
    assert sid2 != sid  # metadata is part of the identity
    check_schema_obj(expect_ok(mod_registry.version(s, 2)), subject=s, version=2,
                     schema_id=sid2, schema=schema, metadata=md)


def test_unknown_schema_type_is_42201(mod_registry, uniq):
    s = uniq()
    r = mod_registry.register(s, record("R13", ("a", "int")), schemaType="FOO")
    served = ", ".join(expect_ok(mod_registry.get("/schemas/types")))
    expect_error(r, 422, 42201, f"Invalid schema type FOO; this registry supports {served}")


def test_explicit_avro_schema_type_is_accepted(mod_registry, uniq):
    s = uniq()
    schema = record("R14", ("a", "int"))
    sid = mod_registry.register_ok(s, schema, schemaType="AVRO")
    # same identity as without schemaType (not part of the hash, sr-api §5 step 6)
    assert mod_registry.register_ok(uniq("b"), schema) == sid


def test_id_in_body_outside_import_mode_is_42205(mod_registry, uniq):
    s = uniq()
    r = mod_registry.register(s, record("R15", ("a", "int")), id=4242)
    expect_error(r, 422, 42205)
    expect_error(mod_registry.versions(s), 404, 40401)


@pytest.mark.parametrize("bad", ["__GLOBAL", "__EMPTY", "a\u0001b", "tab\there",
                                 "del\u007f", "c1\u0085"])
def test_invalid_subject_name_is_42208(mod_registry, bad):
    r = mod_registry.register(bad, record("R16", ("a", "int")))
    expect_error(r, 422, 42208, f"The specified subject '{bad}' is not a valid.")
    expect_error(mod_registry.lookup(bad, record("R16", ("a", "int"))), (404, 422),
                 (40401, 42208))


def test_normalize_true_dedupes_schemas_differing_in_prop_order(mod_registry, uniq):
    s1, s2 = uniq("a"), uniq("b")
    x = '{"type":"record","name":"N1","fields":[{"name":"a","type":"int"}],"p":"1","q":"2"}'
    y = '{"type":"record","name":"N1","fields":[{"name":"a","type":"int"}],"q":"2","p":"1"}'
    idx = mod_registry.register_ok(s1, x, params={"normalize": "true"})
    idy = mod_registry.register_ok(s2, y, params={"normalize": "true"})
    assert idx == idy


def test_normalize_param_is_case_insensitive_boolean(mod_registry, uniq):
    """The Python client sends ?normalize=False / True (Java Boolean.valueOf semantics)."""
    s = uniq()
    schema = record("N2", ("a", "int"))
    for v in ("False", "True", "false", "TRUE"):
        r = mod_registry.register(s, schema, params={"normalize": v})
        assert r.status_code == 200, describe(r)


def test_register_on_subject_with_slash_and_unicode(mod_registry, uniq):
    for s in (uniq("a/b"), uniq("ünï-😀"), uniq("x:y.z*")):
        schema = record("U1", ("a", "int"))
        sid = mod_registry.register_ok(s, schema)
        b = expect_ok(mod_registry.version(s, 1))
        check_schema_obj(b, subject=s, version=1, schema_id=sid, schema=schema)
        assert s in expect_ok(mod_registry.get("/subjects"))


def test_unknown_request_fields_are_ignored(mod_registry, uniq):
    s = uniq()
    schema = record("U2", ("a", "int"))
    r = mod_registry.post(f"/subjects/{q(s)}/versions",
                          {"schema": schema, "whatever": {"x": [1]}, "schemaTagsToAdd": None},
                          headers={"Confluent-Accept-Unknown-Properties": "true"})
    expect_ok(r)
    assert expect_ok(mod_registry.versions(s)) == [1]


def test_schema_with_many_fields_round_trips(mod_registry, uniq):
    s = uniq()
    schema = record("Big", *[(f"f{i}", "string", "") for i in range(300)])
    sid = mod_registry.register_ok(s, schema)
    assert json.loads(expect_ok(mod_registry.get(f"/schemas/ids/{sid}"))["schema"]) == \
        json.loads(schema)


def test_normalize_true_stores_canonical_text_of_the_normalized_schema(mod_registry, uniq):
    """Confluent: parsedSchema.normalize() (AvroSchemaUtils.toNormalizedString, sr-api §5.3:
    custom props sorted) and then canonicalString() = Avro Schema.toString() of that, so the
    stored text has the usual type/name/namespace key order with the props sorted."""
    s = uniq()
    n = aname("Norm")
    text = ('{"type":"record","name":"%s","namespace":"com.acme","fields":[{"name":"a",'
            '"type":"int"}],"zeta":"1","alpha":"2"}' % n)
    sid = mod_registry.register_ok(s, text, params={"normalize": "true"})
    want = ('{"type":"record","name":"%s","namespace":"com.acme","fields":[{"name":"a",'
            '"type":"int"}],"alpha":"2","zeta":"1"}' % n)
    assert expect_ok(mod_registry.get(f"/schemas/ids/{sid}"))["schema"] == want
    # without normalize the props keep their order: another identity
    plain = mod_registry.register_ok(uniq("plain"), text)
    assert plain != sid
    assert expect_ok(mod_registry.get(f"/schemas/ids/{plain}"))["schema"] == text


def test_schema_types_not_served_are_rejected_with_42201(mod_registry, uniq):
    served = expect_ok(mod_registry.get("/schemas/types"))
    for t in ("JSON", "PROTOBUF"):
        if t in served:
            continue
        r = mod_registry.register(uniq(t), '{"type":"object"}', schemaType=t)
        expect_error(r, 422, 42201,
                     f"Invalid schema type {t}; this registry supports {', '.join(served)}")
