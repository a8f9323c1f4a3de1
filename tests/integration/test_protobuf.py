# SPDX-License-Identifier: Apache-2.0
"""schemaType PROTOBUF through the schema-type seam (issue 14): registration with
Confluent's stored text and identity, normalize, references as imports, the known
files, referencedby/42206, format=serialized / ignore_extensions, base64 descriptor
input, compatibility with Confluent's Difference messages, IMPORT with ids.

References to Confluent: ProtobufSchema.canonicalString / normalize / formattedString /
validate / isBackwardCompatible (protobuf-provider), diff/SchemaDiff, Difference,
core rest/protobuf/RestApiTest, AbstractSchemaRegistry.lookUpSchemaUnderSubject."""
import base64
import json
import pathlib
import subprocess

from conftest import expect_error, expect_ok, q, record

ROOT = pathlib.Path(__file__).resolve().parents[2]
VECTORS = ROOT / "tests/unit/registry/data/proto_vectors.jsonl"

P = "PROTOBUF"
SIMPLE = 'syntax = "proto3";\npackage t;\n\nmessage M {\n  string a = 1;\n  int32 b = 2;\n}\n'


def vectors(test_name):
    """The canonical / normalized vectors of ProtobufSchemaTest.<test_name>."""
    out = {}
    for line in VECTORS.read_text().splitlines():
        v = json.loads(line)
        if v["source"].endswith(" " + test_name):
            for k in ("canonical", "normalized"):
                if k in v:
                    out[k] = (v["in"], v[k])
    assert out, test_name
    return out


def stored(api, sid):
    b = expect_ok(api.get(f"/schemas/ids/{sid}"))
    assert b["schemaType"] == P, b
    return b["schema"]


def test_schema_types_lists_protobuf(mod_registry):
    """SchemasResource.getSchemaTypes: the providers served."""
    b = expect_ok(mod_registry.get("/schemas/types"))
    assert "PROTOBUF" in b and "AVRO" in b, b


def test_stored_text_is_confluents_canonical_string(mod_registry, uniq):
    """ProtobufSchemaTest.testEnumReserved / testRanges / testEnumAfterMessage:
    the text a registration stores is canonicalString(), and the same content
    registered again (as sent or as stored) gets the same id."""
    for name in ("testEnumReserved", "testRanges", "testEnumAfterMessage"):
        text, want = vectors(name)["canonical"]
        s = uniq(name)
        sid = mod_registry.register_ok(s, text, schemaType=P)
        assert stored(mod_registry, sid) == want, name
        assert mod_registry.register_ok(s, text, schemaType=P) == sid
        assert mod_registry.register_ok(uniq(name), want, schemaType=P) == sid
        v = expect_ok(mod_registry.version(s, 1))
        assert v["schemaType"] == P and v["schema"] == want and v["id"] == sid
        found = expect_ok(mod_registry.lookup(s, text, schemaType=P))
        assert found["id"] == sid and found["version"] == 1


def test_normalize_true_stores_confluents_normalized_text(mod_registry, uniq):
    """ProtobufSchemaTest.testEnumReserved / testRanges: normalize().canonicalString()."""
    for name in ("testEnumReserved", "testRanges"):
        text, want = vectors(name)["normalized"]
        sid = mod_registry.register_ok(uniq(name), text, params={"normalize": "true"},
                                       schemaType=P)
        assert stored(mod_registry, sid) == want, name


def test_same_text_as_avro_and_protobuf_are_different_schemas(mod_registry, uniq):
    """Schema.equals compares schemaType: a lookup of a PROTOBUF text under an AVRO
    subject finds nothing, and the identity differs by type."""
    s = uniq("avro")
    mod_registry.register_ok(s, record("RA", ("a", "int")))
    expect_error(mod_registry.lookup(s, SIMPLE, schemaType=P), 404, 40403)


def test_invalid_protobuf_is_42201_naming_the_line(mod_registry, uniq):
    """ProtobufSchemaProvider: unparsable text (nor base64 descriptor) is 42201."""
    r = mod_registry.register(uniq(), 'syntax = "proto3";\nmessage M {\n  string a = ;\n}\n',
                              schemaType=P)
    b = expect_error(r, 422, 42201)
    assert "3:" in b["message"], b


def test_unresolvable_type_is_42201(mod_registry, uniq):
    """ProtobufSchema.validate runs normalize(), which resolves every type."""
    r = mod_registry.register(uniq(), 'syntax = "proto3";\nmessage M {\n  Missing a = 1;\n}\n',
                              schemaType=P)
    b = expect_error(r, 422, 42201)
    assert "Could not resolve type" in b["message"], b


def test_known_files_resolve_without_references(mod_registry, uniq):
    """ProtobufSchema.KNOWN_DEPENDENCIES: google/protobuf/*.proto need no reference."""
    text = ('syntax = "proto3";\nimport "google/protobuf/timestamp.proto";\n\n'
            'message E {\n  google.protobuf.Timestamp at = 1;\n}\n')
    sid = mod_registry.register_ok(uniq(), text, schemaType=P)
    assert "google.protobuf.Timestamp at = 1;" in stored(mod_registry, sid)


def test_references_are_imports_with_referencedby_and_42206(mod_registry, uniq):
    """An import resolved through `references` (name = import path); the
    referenced version lists its referrer and cannot be deleted (42206)."""
    dep, top = uniq("dep"), uniq("top")
    dep_text = 'syntax = "proto3";\npackage d;\n\nmessage Address {\n  string street = 1;\n}\n'
    did = mod_registry.register_ok(dep, dep_text, schemaType=P)
    top_text = ('syntax = "proto3";\npackage p;\n\nimport "d/address.proto";\n\n'
                'message Person {\n  d.Address home = 1;\n}\n')
    refs = [{"name": "d/address.proto", "subject": dep, "version": 1}]
    tid = mod_registry.register_ok(top, top_text, schemaType=P, references=refs)
    b = expect_ok(mod_registry.get(f"/schemas/ids/{tid}"))
    assert b["references"] == refs and b["schemaType"] == P
    assert expect_ok(mod_registry.get(f"/subjects/{q(dep)}/versions/1/referencedby")) == [tid]
    expect_error(mod_registry.delete_version(dep, 1), 422, 42206)
    # without the reference the type does not resolve
    expect_error(mod_registry.register(uniq(), top_text, schemaType=P), 422, 42201)
    # transitively: a third schema importing top sees Address through it
    third = ('syntax = "proto3";\npackage q;\n\nimport "p/person.proto";\n\n'
             'message Team {\n  p.Person lead = 1;\n}\n')
    r3 = [{"name": "p/person.proto", "subject": top, "version": 1}]
    mod_registry.register_ok(uniq("third"), third, schemaType=P, references=r3)
    assert did != tid


def _decode_descriptor(b64):
    """protoc decodes the bytes as a google.protobuf.FileDescriptorProto (text format)."""
    r = subprocess.run(["protoc", "--decode=google.protobuf.FileDescriptorProto",
                        "-I/usr/include", "/usr/include/google/protobuf/descriptor.proto"],
                       input=base64.b64decode(b64), capture_output=True, check=True)
    return r.stdout.decode()


def test_format_serialized_is_a_base64_file_descriptor(mod_registry, uniq):
    """formattedString("serialized"): base64 FileDescriptorProto named "default", which
    the Python ProtobufDeserializer asks for; registering it gives the same schema."""
    s = uniq()
    sid = mod_registry.register_ok(s, SIMPLE, schemaType=P)
    b = expect_ok(mod_registry.get(f"/schemas/ids/{sid}", params={"format": "serialized"}))
    assert b["schemaType"] == P
    text = _decode_descriptor(b["schema"])
    assert 'name: "default"' in text and 'package: "t"' in text, text
    assert 'name: "M"' in text and 'name: "b"' in text and "TYPE_INT32" in text, text
    # the same on the subject-version (SubjectVersionsResource.getSchemaByVersion)
    v = expect_ok(mod_registry.version(s, 1, params={"format": "serialized"}))
    assert v["schema"] == b["schema"] and v["id"] == sid
    # a schema given as a base64 descriptor is stored as its canonical text
    assert mod_registry.register_ok(s, b["schema"], schemaType=P) == sid
    # unknown formats answer the stored text, as Confluent
    plain = expect_ok(mod_registry.get(f"/schemas/ids/{sid}", params={"format": "nope"}))
    assert plain["schema"] == stored(mod_registry, sid)


def test_format_ignore_extensions(mod_registry, uniq):
    """formattedString("ignore_extensions"): the extension ranges and extend blocks
    are left out."""
    text = ('syntax = "proto2";\npackage x;\n\nmessage M {\n  optional string a = 1;\n\n'
            '  extensions 100 to 200;\n}\n')
    sid = mod_registry.register_ok(uniq(), text, schemaType=P)
    full = stored(mod_registry, sid)
    assert "extensions 100 to 200;" in full
    b = expect_ok(mod_registry.get(f"/schemas/ids/{sid}",
                                   params={"format": "ignore_extensions"}))
    assert "extensions" not in b["schema"] and "optional string a = 1;" in b["schema"]


def test_backward_compatibility_with_confluents_messages(mod_registry, uniq):
    """isBackwardCompatible = SchemaDiff.compare(previous, new): a changed scalar kind
    is FIELD_SCALAR_KIND_CHANGED (409, Difference.toString() formatted new/old);
    added and renamed fields are compatible."""
    s = uniq()
    mod_registry.set_config(s, "BACKWARD")
    mod_registry.register_ok(s, SIMPLE, schemaType=P)
    added = SIMPLE.replace("  int32 b = 2;\n", "  int32 b = 2;\n  string c = 3;\n")
    mod_registry.register_ok(s, added, schemaType=P)
    renamed = added.replace("string c = 3", "string see = 3")
    mod_registry.register_ok(s, renamed, schemaType=P)
    bad = renamed.replace("int32 b = 2", "string b = 2")
    r = mod_registry.register(s, bad, schemaType=P)
    b = expect_error(r, 409, 409)
    want = ("{errorType:\"FIELD_SCALAR_KIND_CHANGED\", description:\"The kind of a SCALAR "
            "field at path '#/M/2' in the new schema does not match its kind in the old "
            "schema\"}")
    assert want in b["message"], b["message"]
    assert "{oldSchemaVersion: 3}" in b["message"], b
    c = expect_ok(mod_registry.post(f"/compatibility/subjects/{q(s)}/versions/latest",
                                    {"schema": bad, "schemaType": P},
                                    params={"verbose": "true"}))
    assert c["is_compatible"] is False and c["messages"][0] == want, c
    # FORWARD words the old schema as the reader
    mod_registry.set_config(s, "FORWARD")
    c = expect_ok(mod_registry.post(f"/compatibility/subjects/{q(s)}/versions/latest",
                                    {"schema": bad, "schemaType": P},
                                    params={"verbose": "true"}))
    assert c["is_compatible"] is False
    assert "in the old schema does not match its kind in the new schema" in c["messages"][0]


def test_removed_message_and_full_transitive(mod_registry, uniq):
    """MESSAGE_REMOVED breaks BACKWARD; FULL_TRANSITIVE checks every version."""
    s = uniq()
    mod_registry.set_config(s, "FULL_TRANSITIVE")
    two = SIMPLE + "\nmessage N {\n  string x = 1;\n}\n"
    mod_registry.register_ok(s, two, schemaType=P)
    r = mod_registry.register(s, SIMPLE, schemaType=P)
    b = expect_error(r, 409, 409)
    assert "MESSAGE_REMOVED" in b["message"] and "'#/N'" in b["message"], b


def test_other_type_in_the_subject_is_incompatible(mod_registry, uniq):
    """SchemaValidatorBuilder: "Incompatible because of different schema type"."""
    s = uniq()
    mod_registry.set_config(s, "BACKWARD")
    mod_registry.register_ok(s, record("RB", ("a", "int")))
    b = expect_error(mod_registry.register(s, SIMPLE, schemaType=P), 409, 409)
    assert "Incompatible because of different schema type" in b["message"], b


def test_import_mode_keeps_ids(mod_registry, uniq):
    """IMPORT: a PROTOBUF schema with its id, as the exporter and the link write it."""
    s = uniq()
    mod_registry.set_mode(s, "IMPORT")
    r = mod_registry.register(s, SIMPLE.replace("package t", "package imp"), schemaType=P,
                              id=91234, version=1)
    assert expect_ok(r)["id"] == 91234
    v = expect_ok(mod_registry.version(s, 1))
    assert v["id"] == 91234 and v["schemaType"] == P


def test_full_incompatible_schema_as_confluents_rest_api_test(mod_registry, uniq):
    """core rest/protobuf/RestApiTest.testIncompatibleSchema: under FULL a changed field
    type is refused (409, with oldSchemaVersion, oldSchema and compatibility), and the
    verbose check of version 1 lists both directions, then the three trailers."""
    s = uniq()
    v1 = ('syntax = "proto3";\npackage pkg3;\n\n'
          'message Schema1 {\n  string f1 = 1;\n  string f2 = 2;\n}\n')
    v2 = v1.replace("string f2 = 2", "int32 f2 = 2")
    mod_registry.set_config(s, "FULL")
    mod_registry.register_ok(s, v1, schemaType=P)
    b = expect_error(mod_registry.register(s, v2, schemaType=P), 409, 409)
    for part in ("oldSchemaVersion:", "oldSchema:", "compatibility:"):
        assert part in b["message"], b
    c = expect_ok(mod_registry.post(f"/compatibility/subjects/{q(s)}/versions/1",
                                    {"schema": v2, "schemaType": P},
                                    params={"verbose": "true"}))
    m = c["messages"]
    assert c["is_compatible"] is False and len(m) == 5, m
    assert "in the old schema does not match its kind in the new schema" in m[0], m
    assert "in the new schema does not match its kind in the old schema" in m[1], m
    assert m[2] == "{oldSchemaVersion: 1}" and m[3].startswith("{oldSchema: 'syntax"), m
    assert m[4] == "{validateFields: 'false', compatibility: 'FULL'}", m
