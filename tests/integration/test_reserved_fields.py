# SPDX-License-Identifier: Apache-2.0
"""Reserved fields: metadata.properties["confluent:reserved"] with validateFields.

Confluent: AbstractSchemaRegistry.isCompatibleWithPrevious calls
validateReservedFields(currentSchema, previousSchemaHolder) when
isSchemaFieldValidationEnabled(config) (config `validateFields`, server default
schema.validate.fields=false). It refuses, with the level's compatibility
messages, (a) a reserved field of the latest live version that the new one's
metadata no longer reserves (SchemaRegistry.RESERVED_FIELD_REMOVED) and (b) a
reserved name that is a top-level field of the new record
(FIELD_CONFLICTS_WITH_RESERVED_FIELD, AvroSchema.hasTopLevelField). It runs at
every level, NONE included, and the trailer says {validateFields: 'true', ...}.
KafkaSchemaRegistry.register turns it into IncompatibleSchemaException: 409 with
error_code 409 (RestIncompatibleSchemaException). Cases follow
RestApiTest.testRegisterSchemaWithReservedFields.
"""
from conftest import aname, expect_error, expect_ok, record

RESERVED = "confluent:reserved"


def _md(fields):
    return {"properties": {RESERVED: fields}}


def _conflict(f):
    return f"The new schema has field that conflicts with the reserved field {f}."


def _removed(f):
    return (f"The new schema has reserved field {f} removed from its metadata which is "
            "present in the old schema's metadata.")


def _incompatible(subject, *details):
    return (f'Schema being registered is incompatible with an earlier schema for subject '
            f'"{subject}", details: [{", ".join(details)}]')


def test_reserved_fields_as_restapitest(registry, uniq):
    """RestApiTest.testRegisterSchemaWithReservedFields, step by step."""
    n = aname()
    fg = record(n, ("f", "string"), ("g", "string", "d"))
    expect_ok(registry.put("/config", {"compatibility": "BACKWARD", "validateFields": True}))
    s0, s1, s2, s3 = uniq("s0"), uniq("s1"), uniq("s2"), uniq("s3")
    # global validateFields: the first version already conflicts
    expect_error(registry.register(s0, fg, metadata=_md("f")), 409, 409,
                 _incompatible(s0, _conflict("f"),
                               "{validateFields: 'true', compatibility: 'BACKWARD'}"))
    assert registry.get(f"/subjects/{s0}/versions").status_code == 404  # nothing written
    expect_ok(registry.put("/config", {"compatibility": "BACKWARD", "validateFields": False}))
    id1 = registry.register_ok(s0, fg, metadata=_md("f"))
    # subject-level validateFields wins over the global false
    expect_ok(registry.put(f"/config/{s1}", {"compatibility": "BACKWARD",
                                             "validateFields": True}))
    expect_error(registry.register(s1, fg, metadata=_md("f")), 409, 409)
    assert registry.register_ok(s2, fg, metadata=_md("f")) == id1
    # global true, subject false
    expect_ok(registry.put("/config", {"compatibility": "BACKWARD", "validateFields": True}))
    expect_ok(registry.put(f"/config/{s1}", {"compatibility": "BACKWARD",
                                             "validateFields": False}))
    assert registry.register_ok(s1, fg, metadata=_md("f")) == id1
    expect_error(registry.register(s3, fg, metadata=_md("f")), 409, 409)
    # s1 does not validate: dropping "f" from the reserved list is fine there
    assert registry.register_ok(s1, fg, metadata=_md("g")) != id1
    # s0 validates now (global): removing reserved f and reserving the field g both refused
    g = record(n, ("g", "string", "d"))
    b = expect_error(registry.register(s0, g, metadata=_md("g")), 409, 409)
    assert _removed("f") in b["message"] and _conflict("g") in b["message"], b
    assert b["message"].endswith("{validateFields: 'true', compatibility: 'BACKWARD'}]"), b
    assert expect_ok(registry.versions(s0)) == [1]


def test_reserved_fields_at_none_and_in_compat_endpoints(registry, uniq):
    """isCompatibleWithPrevious runs validateReservedFields before (and whatever) the level
    says; CompatibilityResource answers through the same isCompatible: is_compatible false."""
    s = uniq()
    n = aname()
    v1 = record(n, ("a", "int"))
    expect_ok(registry.put(f"/config/{s}", {"compatibility": "NONE", "validateFields": True}))
    registry.register_ok(s, v1, metadata=_md("x, y"))
    # removing a reserved name, at NONE
    expect_error(registry.register(s, v1, metadata=_md("x")), 409, 409,
                 _incompatible(s, _removed("y"),
                               "{validateFields: 'true', compatibility: 'NONE'}"))
    # adding a field that is reserved
    v2 = record(n, ("a", "int"), ("x", "int", 0))
    expect_error(registry.register(s, v2, metadata=_md("x,y")), 409, 409,
                 _incompatible(s, _conflict("x"),
                               "{validateFields: 'true', compatibility: 'NONE'}"))
    # a new version that keeps the reservation and no such field is fine
    v3 = record(n, ("a", "int"), ("b", "int", 0))
    registry.register_ok(s, v3, metadata=_md("x,y,z"))
    for path in (f"/compatibility/subjects/{s}/versions/latest",
                 f"/compatibility/subjects/{s}/versions"):
        b = expect_ok(registry.post(path + "?verbose=true",
                                    {"schema": v2, "metadata": _md("x,y,z")}))
        assert b == {"is_compatible": False,
                     "messages": [_conflict("x"),
                                  "{validateFields: 'true', compatibility: 'NONE'}"]}, b
        assert expect_ok(registry.post(path, {"schema": v3, "metadata": _md("x,y,z")})) == \
            {"is_compatible": True}
    # against version 1 the removal of z is not a removal
    assert expect_ok(registry.post(f"/compatibility/subjects/{s}/versions/1",
                                   {"schema": v3, "metadata": _md("x,y")})) == \
        {"is_compatible": True}
    assert expect_ok(registry.post(f"/compatibility/subjects/{s}/versions/2",
                                   {"schema": v3, "metadata": _md("x,y")})) == \
        {"is_compatible": False}
    assert expect_ok(registry.post(f"/compatibility/subjects/{s}/versions/latest",
                                   {"schema": v3, "metadata": _md("x,y")})) == \
        {"is_compatible": False}


def test_reserved_fields_unchecked_without_validate_fields(registry, uniq):
    """Server default schema.validate.fields=false: confluent:reserved is just metadata."""
    s = uniq()
    n = aname()
    registry.register_ok(s, record(n, ("a", "int")), metadata=_md("a"))
    registry.register_ok(s, record(n, ("a", "int"), ("b", "int", 0)), metadata=_md("b"))
    assert expect_ok(registry.versions(s)) == [1, 2]


def test_reserved_fields_for_protobuf(registry, uniq):
    """ProtobufSchema.hasTopLevelField (the fields of the top-level messages) behind the
    same validateReservedFields: a reserved name that is such a field is refused; one
    only inside a nested message is not."""
    expect_ok(registry.put("/config", {"compatibility": "NONE", "validateFields": True}))
    s = uniq("pb")
    text = ('syntax = "proto3";\npackage rf;\n\nmessage M {\n  string f = 1;\n\n'
            '  message Inner {\n    string g = 1;\n  }\n}\n')
    expect_error(registry.register(s, text, schemaType="PROTOBUF", metadata=_md("f")),
                 409, 409,
                 _incompatible(s, _conflict("f"),
                               "{validateFields: 'true', compatibility: 'NONE'}"))
    registry.register_ok(s, text, schemaType="PROTOBUF", metadata=_md("g"))
