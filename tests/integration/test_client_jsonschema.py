# SPDX-License-Identifier: Apache-2.0
"""The real Confluent Python client (confluent-kafka 2.6.1, PyPI) with JSON Schema against
ferry, unchanged: JSONSerializer registers (auto.register.schemas) and frames records,
JSONDeserializer fetches the writer schema by id (with its references) and validates.
confluent_kafka.schema_registry.json_schema.JSONSerializer.__call__ / JSONDeserializer."""
import json
import os
import pathlib
import struct
import subprocess

import pytest
from confluent_kafka.schema_registry import Schema, SchemaReference, SchemaRegistryClient
from confluent_kafka.schema_registry.json_schema import JSONDeserializer, JSONSerializer
from confluent_kafka.serialization import MessageField, SerializationContext, SerializationError

from conftest import expect_ok


@pytest.fixture
def client(mod_registry):
    return SchemaRegistryClient({"url": mod_registry.base})


def _ctx(topic):
    return SerializationContext(topic, MessageField.VALUE)


PERSON = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "title": "Person",
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "age": {"type": "integer", "minimum": 0},
    },
    "required": ["name"],
}


def test_json_serializer_registers_and_round_trips(mod_registry, client, uniq):
    topic = uniq("topic")
    text = json.dumps(PERSON)
    ser = JSONSerializer(text, client, conf={"auto.register.schemas": True})
    value = {"name": "Ada", "age": 36}
    data = ser(value, _ctx(topic))
    magic, sid = struct.unpack(">bI", data[:5])
    assert magic == 0
    assert json.loads(data[5:]) == value
    got = client.get_schema(sid)
    assert got.schema_type == "JSON" and json.loads(got.schema_str) == PERSON
    latest = client.get_latest_version(f"{topic}-value")
    assert (latest.schema_id, latest.version) == (sid, 1)
    # a fresh client (no cache) reads the writer schema from ferry
    fresh = SchemaRegistryClient({"url": mod_registry.base})
    assert JSONDeserializer(None, schema_registry_client=fresh)(data, _ctx(topic)) == value
    # the serializer validates against the schema: a record it refuses never reaches ferry
    with pytest.raises(SerializationError):
        ser({"age": -1}, _ctx(topic))
    # the same schema again: the same id (lookup through ferry's dedupe)
    again = JSONSerializer(text, SchemaRegistryClient({"url": mod_registry.base}),
                           conf={"auto.register.schemas": True})
    assert struct.unpack(">bI", again(value, _ctx(topic))[:5])[1] == sid


def test_json_serializer_with_references(mod_registry, client, uniq):
    topic = uniq("topic")
    addr_subject = uniq("address")
    address = {"type": "object", "properties": {"street": {"type": "string"},
                                                "zip": {"type": "integer"}},
               "required": ["street"]}
    client.register_schema(addr_subject, Schema(json.dumps(address), "JSON"))
    person = {"title": "Person", "type": "object", "properties": {"name": {"type": "string"},
                                               "home": {"$ref": "address.json"}}}
    refs = [SchemaReference("address.json", addr_subject, 1)]
    ser = JSONSerializer(Schema(json.dumps(person), "JSON", refs), client,
                         conf={"auto.register.schemas": True})
    value = {"name": "Zed", "home": {"street": "Main", "zip": 12345}}
    data = ser(value, _ctx(topic))
    _, sid = struct.unpack(">bI", data[:5])
    got = client.get_schema(sid)
    assert got.schema_type == "JSON"
    assert [(r.name, r.subject, r.version) for r in got.references] == [
        ("address.json", addr_subject, 1)]
    # confluent-kafka 2.6.1 resolves a reader schema's references through the registry
    # (_resolve_named_schema: GET /subjects/{s}/versions/{v}); without one it does not
    fresh = SchemaRegistryClient({"url": mod_registry.base})
    de = JSONDeserializer(Schema(json.dumps(person), "JSON", refs), schema_registry_client=fresh)
    assert de(data, _ctx(topic)) == value
    with pytest.raises(SerializationError):
        de(data[:5] + json.dumps({"name": "Zed", "home": {"zip": "x"}}).encode(), _ctx(topic))
    # the referenced schema is enforced through the $ref
    with pytest.raises(SerializationError):
        ser({"name": "Zed", "home": {"zip": 1}}, _ctx(topic))
    reg = fresh.lookup_schema(f"{topic}-value", Schema(json.dumps(person), "JSON", refs))
    assert (reg.schema_id, reg.version) == (sid, 1)


def test_incompatible_json_schema_is_refused_to_the_client(mod_registry, client, uniq):
    """A closed model that drops a property: 409 through the client's register_schema."""
    from confluent_kafka.schema_registry.error import SchemaRegistryError
    s = uniq()
    v1 = {"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "string"}},
          "additionalProperties": False}
    v2 = {"type": "object", "properties": {"a": {"type": "string"}},
          "additionalProperties": False}
    client.register_schema(s, Schema(json.dumps(v1), "JSON"))
    with pytest.raises(SchemaRegistryError) as e:
        client.register_schema(s, Schema(json.dumps(v2), "JSON"))
    assert e.value.http_status_code == 409
    assert client.test_compatibility(s, Schema(json.dumps(v2), "JSON")) is False


NODE_MODULES = pathlib.Path(__file__).resolve().parents[2] / ".cache" / "clients" / "node" / \
    "node_modules"


def test_node_json_serde_with_a_reference(mod_registry, uniq):
    """@confluentinc/schemaregistry (Node) JsonSerializer / JsonDeserializer
    (tests/clients/node/srjson.js): an Order schema whose $ref names address.json through the
    references array; the serializer (use latest version, validation on) resolves the
    reference through ferry and frames the registered id, a deserializer with a fresh client
    reads the writer's schema and its reference back by id, and an order that breaks the
    referenced schema is refused. Confluent reference: the client's serde/json.ts
    (JsonSerializer.serialize, toValidateFunction resolving references)."""
    assert (NODE_MODULES / "@confluentinc" / "schemaregistry").is_dir(), \
        "run scripts/deps.sh test"
    topic = uniq("njorders")
    root = pathlib.Path(__file__).resolve().parents[2]
    env = dict(os.environ, NODE_PATH=str(NODE_MODULES))
    p = subprocess.run(["node", str(root / "tests" / "clients" / "node" / "srjson.js"),
                        mod_registry.base, topic], capture_output=True, text=True, timeout=120,
                       env=env)
    assert p.returncode == 0 and p.stdout.strip().endswith("ok"), (p.stdout, p.stderr)
    v = expect_ok(mod_registry.version(f"{topic}-value", "latest"))
    assert v["schemaType"] == "JSON" and v["references"] == [
        {"name": "address.json", "subject": f"{topic}-address", "version": 1}], v
