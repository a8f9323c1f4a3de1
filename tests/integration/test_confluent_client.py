# SPDX-License-Identifier: Apache-2.0
"""The real Confluent Python client (confluent-kafka 2.6.1, PyPI) against ferry, unchanged:
SchemaRegistryClient calls, and AvroSerializer/AvroDeserializer round trips (sr-api §13)."""
import datetime
import decimal
import struct
import uuid

import pytest
from confluent_kafka.schema_registry import Schema, SchemaReference, SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.schema_registry.error import SchemaRegistryError
from confluent_kafka.serialization import MessageField, SerializationContext

from conftest import aname, avro, expect_ok, record


@pytest.fixture
def client(mod_registry):
    return SchemaRegistryClient({"url": mod_registry.base})


def _ctx(topic):
    return SerializationContext(topic, MessageField.VALUE)


def test_register_get_lookup_versions(client, uniq):
    s = uniq()
    n = aname()
    v1 = record(n, ("a", "int"))
    v2 = record(n, ("a", "int"), ("b", "string", "x"))
    id1 = client.register_schema(s, Schema(v1, "AVRO"))
    id2 = client.register_schema(s, Schema(v2, "AVRO"))
    assert isinstance(id1, int) and id2 > id1
    got = client.get_schema(id1)
    assert got.schema_str == v1 and got.schema_type == "AVRO"
    latest = client.get_latest_version(s)
    assert (latest.schema_id, latest.version, latest.subject) == (id2, 2, s)
    assert latest.schema.schema_str == v2
    reg = client.lookup_schema(s, Schema(v1, "AVRO"))
    assert (reg.schema_id, reg.version, reg.subject) == (id1, 1, s)
    assert client.get_version(s, 1).schema_id == id1
    assert client.get_versions(s) == [1, 2]
    assert s in client.get_subjects()


def test_compatibility_calls(client, uniq):
    s = uniq()
    n = aname()
    client.register_schema(s, Schema(record(n, ("a", "int")), "AVRO"))
    assert client.set_compatibility(subject_name=s, level="full") == {"compatibility": "FULL"}
    assert client.get_compatibility(s) == "FULL"
    assert client.test_compatibility(s, Schema(record(n, ("a", "int"), ("b", "int", 1)),
                                               "AVRO")) is True
    assert client.test_compatibility(s, Schema(record(n, ("a", "int"), ("b", "int")),
                                               "AVRO")) is False
    assert client.test_compatibility(s, Schema(record(n, ("a", "int"), ("b", "int", 1)),
                                               "AVRO"), version=1) is True
    with pytest.raises(SchemaRegistryError) as e:
        client.register_schema(s, Schema(record(n, ("a", "string")), "AVRO"))
    assert e.value.http_status_code == 409 and e.value.error_code in (409, 40901)


def test_global_compatibility_get(client):
    assert client.get_compatibility() in ("BACKWARD", "NONE", "FULL", "FORWARD",
                                          "BACKWARD_TRANSITIVE", "FORWARD_TRANSITIVE",
                                          "FULL_TRANSITIVE")


def test_delete_version_and_subject(client, uniq):
    s = uniq()
    n = aname()
    client.register_schema(s, Schema(record(n, ("a", "int")), "AVRO"))
    client.register_schema(s, Schema(record(n, ("a", "int"), ("b", "int", 0)), "AVRO"))
    assert client.delete_version(s, 2) == 2
    assert client.get_versions(s) == [1]
    assert client.delete_subject(s, permanent=True) == [1]
    with pytest.raises(SchemaRegistryError) as e:
        client.get_versions(s)
    assert (e.value.http_status_code, e.value.error_code) == (404, 40401)
    assert e.value.error_message == f"Subject '{s}' not found."


def test_client_errors_carry_codes(client, uniq):
    s = uniq()
    with pytest.raises(SchemaRegistryError) as e:
        client.get_latest_version(s)
    assert (e.value.http_status_code, e.value.error_code) == (404, 40401)
    with pytest.raises(SchemaRegistryError) as e:
        client.get_schema(987654321)
    assert (e.value.http_status_code, e.value.error_code) == (404, 40403)
    with pytest.raises(SchemaRegistryError) as e:
        client.register_schema(s, Schema('{"type":"nope"}', "AVRO"))
    assert (e.value.http_status_code, e.value.error_code) == (422, 42201)
    client.register_schema(s, Schema(record(aname(), ("a", "int")), "AVRO"))
    with pytest.raises(SchemaRegistryError) as e:
        client.lookup_schema(s, Schema(record(aname(), ("a", "int")), "AVRO"))
    assert (e.value.http_status_code, e.value.error_code) == (404, 40403)
    with pytest.raises(SchemaRegistryError) as e:
        client.set_compatibility(subject_name=s, level="sometimes")
    assert (e.value.http_status_code, e.value.error_code) == (422, 42203)


def test_serializer_auto_register_round_trip(mod_registry, client, uniq):
    topic = uniq("topic")
    schema = avro({"type": "record", "name": aname("User"), "namespace": "com.example",
                   "fields": [{"name": "name", "type": "string"},
                              {"name": "age", "type": "int"},
                              {"name": "emails", "type": {"type": "array", "items": "string"}},
                              {"name": "nick", "type": ["null", "string"], "default": None},
                              {"name": "attrs", "type": {"type": "map", "values": "long"}},
                              {"name": "score", "type": "double"},
                              {"name": "raw", "type": "bytes"}]})
    ser = AvroSerializer(client, schema, conf={"auto.register.schemas": True})
    de = AvroDeserializer(client)
    values = [{"name": "Ann", "age": 31, "emails": ["a@x", "b@y"], "nick": None,
               "attrs": {"k": 1 << 40}, "score": 1.5, "raw": b"\x00\xff"},
              {"name": "Ünïcode ✓", "age": -1, "emails": [], "nick": "bo",
               "attrs": {}, "score": -0.25, "raw": b""}]
    for value in values:
        data = ser(value, _ctx(topic))
        magic, sid = struct.unpack(">bI", data[:5])
        assert magic == 0
        assert expect_ok(mod_registry.get(f"/schemas/ids/{sid}"))["schema"] == schema
        assert de(data, _ctx(topic)) == value
    assert expect_ok(mod_registry.versions(f"{topic}-value")) == [1]


def test_serializer_without_auto_register_uses_lookup(client, uniq):
    topic = uniq("topic")
    schema = record(aname(), ("a", "int"))
    sid = client.register_schema(f"{topic}-value", Schema(schema, "AVRO"))
    ser = AvroSerializer(client, schema, conf={"auto.register.schemas": False})
    data = ser({"a": 7}, _ctx(topic))
    assert struct.unpack(">bI", data[:5]) == (0, sid)
    assert AvroDeserializer(SchemaRegistryClient({"url": client._rest_client.base_url}))(
        data, _ctx(topic)) == {"a": 7}
    unregistered = AvroSerializer(client, record(aname(), ("b", "int")),
                                  conf={"auto.register.schemas": False})
    with pytest.raises(SchemaRegistryError) as e:
        unregistered({"b": 1}, _ctx(topic))
    assert (e.value.http_status_code, e.value.error_code) == (404, 40403)


def test_serializer_use_latest_version(client, uniq):
    topic = uniq("topic")
    n = aname()
    old = record(n, ("a", "int"))
    new = record(n, ("a", "int"), ("b", "string", "dflt"))
    client.register_schema(f"{topic}-value", Schema(old, "AVRO"))
    latest_id = client.register_schema(f"{topic}-value", Schema(new, "AVRO"))
    ser = AvroSerializer(client, new, conf={"auto.register.schemas": False,
                                            "use.latest.version": True})
    data = ser({"a": 1, "b": "z"}, _ctx(topic))
    assert struct.unpack(">bI", data[:5]) == (0, latest_id)
    assert AvroDeserializer(client)(data, _ctx(topic)) == {"a": 1, "b": "z"}


def test_deserializer_with_evolved_reader_schema(client, uniq):
    topic = uniq("topic")
    n = aname()
    old = record(n, ("a", "int"))
    new = record(n, ("a", "int"), ("b", "string", "dflt"))
    data = AvroSerializer(client, old)({"a": 5}, _ctx(topic))
    assert AvroDeserializer(client, new)(data, _ctx(topic)) == {"a": 5, "b": "dflt"}


def test_serializer_with_references(mod_registry, client, uniq):
    topic = uniq("topic")
    addr_subject = uniq("address")
    an = aname("Address")
    addr = record(an, ("street", "string"), ("zip", "int"))
    client.register_schema(addr_subject, Schema(addr, "AVRO"))
    person = record(aname("Person"), ("name", "string"), ("home", an))
    refs = [SchemaReference(an, addr_subject, 1)]
    ser = AvroSerializer(client, Schema(person, "AVRO", refs),
                         conf={"auto.register.schemas": True})
    value = {"name": "Zed", "home": {"street": "Main", "zip": 12345}}
    data = ser(value, _ctx(topic))
    _, sid = struct.unpack(">bI", data[:5])
    got = client.get_schema(sid)
    assert got.schema_str == person
    assert [(r.name, r.subject, r.version) for r in got.references] == [(an, addr_subject, 1)]
    fresh = SchemaRegistryClient({"url": mod_registry.base})
    assert AvroDeserializer(fresh)(data, _ctx(topic)) == value
    reg = fresh.lookup_schema(f"{topic}-value", Schema(person, "AVRO", refs))
    assert (reg.schema_id, reg.version) == (sid, 1)


def test_serializer_with_logical_types(client, uniq):
    topic = uniq("topic")
    schema = avro({"type": "record", "name": aname("Evt"), "fields": [
        {"name": "ts", "type": {"type": "long", "logicalType": "timestamp-millis"}},
        {"name": "day", "type": {"type": "int", "logicalType": "date"}},
        {"name": "amount", "type": {"type": "bytes", "logicalType": "decimal", "precision": 10,
                                    "scale": 2}},
        {"name": "uid", "type": {"type": "string", "logicalType": "uuid"}},
        {"name": "t", "type": {"type": "int", "logicalType": "time-millis"}},
    ]})
    value = {"ts": datetime.datetime(2024, 2, 29, 12, 34, 56, 789000,
                                     tzinfo=datetime.timezone.utc),
             "day": datetime.date(1999, 12, 31),
             "amount": decimal.Decimal("12345.67"),
             "uid": uuid.UUID("12345678-1234-5678-1234-567812345678"),
             "t": datetime.time(23, 59, 58, 123000)}
    ser = AvroSerializer(client, schema)
    data = ser(value, _ctx(topic))
    _, sid = struct.unpack(">bI", data[:5])
    assert client.get_schema(sid).schema_str == schema  # logical props kept in the canonical form
    out = AvroDeserializer(client)(data, _ctx(topic))
    assert out["ts"] == value["ts"] and out["day"] == value["day"]
    assert out["amount"] == value["amount"] and out["t"] == value["t"]
    assert str(out["uid"]) == str(value["uid"])


def test_primitive_value_schema_round_trip(client, uniq):
    topic = uniq("topic")
    ser = AvroSerializer(client, '"string"')
    data = ser("hello", _ctx(topic))
    assert AvroDeserializer(client)(data, _ctx(topic)) == "hello"
    assert client.get_latest_version(f"{topic}-value").schema.schema_str == '"string"'


def test_normalize_schemas_flag(client, uniq):
    topic = uniq("topic")
    schema = record(aname(), ("a", "int"))
    ser = AvroSerializer(client, schema, conf={"auto.register.schemas": True,
                                               "normalize.schemas": True})
    data = ser({"a": 1}, _ctx(topic))
    assert AvroDeserializer(client)(data, _ctx(topic)) == {"a": 1}
