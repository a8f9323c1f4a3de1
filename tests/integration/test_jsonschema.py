# SPDX-License-Identifier: Apache-2.0
"""JSON Schema (schemaType JSON, issue 13) through the REST API: registration, the stored
text (JsonSchema.canonicalString), identity and dedupe, lookup, normalize, the 42201 refusals,
compatibility with Confluent's messages (JsonSchema.isBackwardCompatible, SchemaDiff,
Difference.toString), references, referencedby, 42206, IMPORT, metadata."""

import json

from conftest import expect_error, expect_ok, q


def _j(obj) -> str:
    return json.dumps(obj)


def _obj(props: dict, required=(), closed=False) -> dict:
    o = {"type": "object", "properties": props}
    if required:
        o["required"] = list(required)
    if closed:
        o["additionalProperties"] = False
    return o


def _check(api, s, schema, version="latest", verbose=True, **fields):
    body = {"schema": schema, "schemaType": "JSON"}
    body.update(fields)
    return api.post(f"/compatibility/subjects/{q(s)}/versions/{version}", body,
                    params={"verbose": "true"} if verbose else None)


def test_schema_types_lists_json(mod_registry):
    """SchemaRegistryResource /schemas/types: the providers' types."""
    assert "JSON" in expect_ok(mod_registry.get("/schemas/types"))


def test_register_stores_canonical_text_and_schema_type(mod_registry, uniq):
    """JsonSchema.canonicalString(): Jackson's compact form, key order kept, reals as
    BigDecimal.toString(); the version and the id answer schemaType JSON."""
    s = uniq()
    text = '{ "type": "object",\n "properties": { "b": {"type":"number","maximum": 1e3},' \
           ' "a": {"type": "string", "title": "caf\\u00e9"} } }'
    sid = mod_registry.register_ok(s, text, schemaType="JSON")
    want = ('{"type":"object","properties":{"b":{"type":"number","maximum":1E+3},'
            '"a":{"type":"string","title":"caf\u00e9"}}}')
    b = expect_ok(mod_registry.get(f"/schemas/ids/{sid}"))
    assert b["schema"] == want and b["schemaType"] == "JSON", b
    v = expect_ok(mod_registry.version(s, 1))
    assert v["schemaType"] == "JSON" and v["schema"] == want and v["id"] == sid, v
    listed = expect_ok(mod_registry.get("/schemas", params={"subjectPrefix": s}))
    assert [x["schemaType"] for x in listed] == ["JSON"], listed


def test_same_schema_dedupes_and_type_is_part_of_identity(mod_registry, uniq):
    """Whitespace does not matter (canonical text); the same text as AVRO is another schema
    (Schema.equals compares schemaType)."""
    a, b, c = uniq("a"), uniq("b"), uniq("c")
    id1 = mod_registry.register_ok(a, '{"type": "string"}', schemaType="JSON")
    id2 = mod_registry.register_ok(b, '{"type":"string"}', schemaType="JSON")
    assert id1 == id2
    id3 = mod_registry.register_ok(c, '{"type":"string"}')
    assert id3 != id1
    # lookup finds the JSON version only with schemaType JSON
    r = mod_registry.lookup(a, '{ "type" : "string" }', schemaType="JSON")
    assert expect_ok(r)["id"] == id1
    expect_error(mod_registry.lookup(a, '{"type":"string"}'), 404, 40403)


def test_normalize_sorts_keys(mod_registry, uniq):
    """normalize=true: JsonSchema.normalize() reads through the sorted node factory."""
    s = uniq()
    sid = mod_registry.register_ok(s, '{"type":"object","properties":{"z":{},"a":{}}}',
                                   params={"normalize": "true"}, schemaType="JSON")
    b = expect_ok(mod_registry.get(f"/schemas/ids/{sid}"))
    assert b["schema"] == '{"properties":{"a":{},"z":{}},"type":"object"}', b
    again = mod_registry.register_ok(uniq("other"), '{"properties":{"a":{},"z":{}},'
                                     '"type":"object"}', schemaType="JSON")
    assert again == sid


def test_invalid_schemas_are_42201_naming_the_problem(mod_registry, uniq):
    """JsonSchemaProvider refuses what everit's SchemaLoader throws on (SchemaException),
    texts that are not JSON, and unresolvable $refs."""
    cases = [
        ('{"type":', "Invalid schema"),
        ('[1]', "expected an object or boolean at the root"),
        ('{"type":"strng"}', "unknown type: [strng]"),
        ('{"type":"string","minLength":"1"}', "minLength: expected type: Integer"),
        ('{"properties":{"a":{"$ref":"#/definitions/nope"}}}', "cannot be resolved"),
    ]
    for text, words in cases:
        r = mod_registry.register(uniq(), text, schemaType="JSON")
        b = expect_error(r, 422, 42201)
        assert words in b["message"], (text, b)


def test_backward_incompatible_change_is_409_with_confluent_messages(mod_registry, uniq):
    """JsonSchema.isBackwardCompatible: a closed model that loses a property (strict policy),
    and a type change; the verbose check lists Difference.toString() filled with new/old."""
    s = uniq()
    old = _j(_obj({"a": {"type": "string"}, "b": {"type": "integer"}}, closed=True))
    mod_registry.register_ok(s, old, schemaType="JSON")
    new = _j(_obj({"a": {"type": "integer"}}, closed=True))
    r = mod_registry.register(s, new, schemaType="JSON")
    assert r.status_code == 409, r.text
    b = expect_ok(_check(mod_registry, s, new))
    assert b["is_compatible"] is False
    msgs = b["messages"]
    assert ('{errorType:"TYPE_CHANGED", description:"A type at path \'#/properties/a\' is '
            'different between the new schema and the old schema\'}') in msgs, msgs
    assert ('{errorType:"PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL", description:"The new has '
            'a closed content model and is missing a property or item present at path '
            '\'#/properties/b\' in the old schema\'}') in msgs, msgs
    stored = json.dumps(json.loads(old), separators=(",", ":"))
    assert "{oldSchemaVersion: 1}" in msgs and f"{{oldSchema: '{stored}'}}" in msgs, msgs


def test_compatible_evolution_registers_new_versions(mod_registry, uniq):
    """Adding an optional property to a closed content model is compatible
    (OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL), to an open one it is not under
    Confluent's strict policy (OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL)."""
    s, o = uniq("closed"), uniq("open")
    mod_registry.register_ok(s, _j(_obj({"a": {"type": "string"}}, closed=True)),
                             schemaType="JSON")
    mod_registry.register_ok(s, _j(_obj({"a": {"type": "string"}, "b": {"type": "string"}},
                                        closed=True)), schemaType="JSON")
    assert expect_ok(mod_registry.versions(s)) == [1, 2]
    mod_registry.register_ok(o, _j(_obj({"a": {"type": "string"}})), schemaType="JSON")
    r = mod_registry.register(o, _j(_obj({"a": {"type": "string"}, "b": {"type": "string"}})),
                              schemaType="JSON")
    assert r.status_code == 409, r.text
    mod_registry.set_config(o, "NONE")
    mod_registry.register_ok(o, _j(_obj({"a": {"type": "string"}, "b": {"type": "string"}})),
                             schemaType="JSON")


def test_json_against_avro_version_is_incompatible(mod_registry, uniq):
    """AbstractSchemaProvider: a different schema type is never compatible."""
    s = uniq()
    mod_registry.register_ok(s, '{"type":"string"}')
    b = expect_ok(_check(mod_registry, s, '{"type":"string"}'))
    assert b["is_compatible"] is False
    assert "Incompatible because of different schema type" in b["messages"], b


def test_references_resolve_ref_to_other_subjects(mod_registry, uniq):
    """JsonSchema resolvedReferences: a $ref names a reference (SchemaReference.name);
    referencedby lists the referrer; deleting the referenced version is 42206."""
    addr, cust = uniq("addr"), uniq("cust")
    addr_text = _j({"type": "object", "properties": {"street": {"type": "string"}}})
    mod_registry.register_ok(addr, addr_text, schemaType="JSON")
    refs = [{"name": "address.json", "subject": addr, "version": 1}]
    cust_text = _j(_obj({"home": {"$ref": "address.json"}}))
    cid = mod_registry.register_ok(cust, cust_text, schemaType="JSON", references=refs)
    b = expect_ok(mod_registry.get(f"/schemas/ids/{cid}"))
    assert b["references"] == refs and b["schemaType"] == "JSON", b
    assert expect_ok(mod_registry.get(f"/subjects/{q(addr)}/versions/1/referencedby")) == [cid]
    expect_error(mod_registry.delete_version(addr, 1), 422, 42206)
    # without the reference the $ref does not resolve
    r = mod_registry.register(uniq("noref"), cust_text, schemaType="JSON")
    assert "address.json" in expect_error(r, 422, 42201)["message"]
    # a change inside the referenced schema reaches the referrer's check
    mod_registry.set_config(addr, "NONE")
    addr2 = _j({"type": "object", "properties": {"street": {"type": "integer"}}})
    mod_registry.register_ok(addr, addr2, schemaType="JSON")
    refs2 = [{"name": "address.json", "subject": addr, "version": 2}]
    b = expect_ok(_check(mod_registry, cust, cust_text, references=refs2))
    assert b["is_compatible"] is False
    assert any("TYPE_CHANGED" in m and "#/properties/home/properties/street" in m
               for m in b["messages"]), b


def test_import_mode_keeps_ids_and_metadata(mod_registry, uniq):
    """IMPORT: an explicit id and version, kept as given; metadata and ruleSet stored."""
    s = uniq()
    mod_registry.set_mode(s, "IMPORT", params={"force": "true"})
    meta = {"properties": {"owner": "team-a"}}
    r = mod_registry.register(s, '{"type":"integer"}', schemaType="JSON", id=48123, version=3,
                              metadata=meta)
    assert expect_ok(r)["id"] == 48123
    v = expect_ok(mod_registry.version(s, 3))
    assert v["id"] == 48123 and v["schemaType"] == "JSON" and v["metadata"] == meta, v
    mod_registry.set_mode(s, "READWRITE")
