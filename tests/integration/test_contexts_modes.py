"""Contexts and the mode manager (issue 3; sr-api §2.8, §7, §8, §13a).

Modes x operations x scopes as one table; IMPORT preserving ids and versions;
one id space per context; the /contexts/{ctx}/... URL-prefix form for every
endpoint family; a real confluent-kafka deserializer reading a context id."""
import itertools
import json
import struct
import uuid

import pytest

from conftest import Api, aname, expect_error, expect_ok, q, record

_ctx_seq = itertools.count(1)


def fresh_ctx() -> str:
    return f".c{next(_ctx_seq)}{uuid.uuid4().hex[:6]}"


def schema_v(n: int, name: str) -> str:
    """Backward-compatible successive versions of one record (new fields have defaults)."""
    fields = [("a", "int")] + [(f"f{i}", "int", 0) for i in range(1, n)]
    return record(name, *fields)


OPS = ["register_new", "register_existing", "register_with_id", "delete_version",
       "put_config"]

EXPECTED = {  # mode -> op -> (status, error_code or None)
    "READWRITE": {"register_new": (200, None), "register_existing": (200, None),
                  "register_with_id": (422, 42205), "delete_version": (200, None),
                  "put_config": (200, None)},
    "READONLY": {"register_new": (422, 42205), "register_existing": (200, None),
                 "register_with_id": (422, 42205), "delete_version": (422, 42205),
                 "put_config": (422, 42205)},
    "READONLY_OVERRIDE": {"register_new": (422, 42205), "register_existing": (200, None),
                          "register_with_id": (422, 42205), "delete_version": (422, 42205),
                          "put_config": (422, 42205)},
    "IMPORT": {"register_new": (422, 42205), "register_existing": (200, None),
               "register_with_id": (200, None), "delete_version": (200, None),
               "put_config": (200, None)},
}


@pytest.mark.parametrize("scope", ["global", "top", "context", "subject"])
@pytest.mark.parametrize("mode", list(EXPECTED))
@pytest.mark.parametrize("op", OPS)
def test_mode_operation_scope_table(registry, scope, mode, op):
    """Confluent 8.2+ InMemoryCache.mode: subject -> named context -> :.__GLOBAL: ->
    default; the top-level /mode is the default context's and does not reach a named
    context (so under "top" every mode answers as READWRITE)."""
    ctx = fresh_ctx()
    name = aname("T")
    subj = f":{ctx}:orders"
    registry.register_ok(subj, schema_v(1, name))
    registry.register_ok(subj, schema_v(2, name))
    mode_path = {"global": f"/mode/{q(':.__GLOBAL:')}", "top": "/mode",
                 "context": f"/mode/{q(':' + ctx + ':')}", "subject": f"/mode/{q(subj)}"}[scope]
    # live subjects are in scope, so IMPORT needs force (sr-api §7)
    params = {"force": "true"} if mode == "IMPORT" else None
    expect_ok(registry.put(mode_path, {"mode": mode}, params=params))
    if op == "register_new":
        r = registry.register(subj, schema_v(3, name))
    elif op == "register_existing":
        r = registry.register(subj, schema_v(2, name))
    elif op == "register_with_id":
        r = registry.register(subj, schema_v(3, name), id=777, version=3)
    elif op == "delete_version":
        r = registry.delete_version(subj, 2)
    else:
        r = registry.put(f"/config/{q(subj)}", {"compatibility": "NONE"})
    status, code = EXPECTED["READWRITE" if scope == "top" else mode][op]
    if code is None:
        expect_ok(r, status)
    else:
        expect_error(r, status, code)
    # reads always work
    expect_ok(registry.version(subj, 1))


def test_import_preserves_ids_and_versions_into_fresh_context(registry):
    ctx = fresh_ctx()
    expect_ok(registry.put(f"/mode/{q(':' + ctx + ':')}", {"mode": "IMPORT"}))
    s = f":{ctx}:orders-value"
    a, b = record(aname("A"), ("a", "int")), record(aname("B"), ("b", "string"))
    assert expect_ok(registry.register(s, a, id=42, version=3))["id"] == 42
    assert expect_ok(registry.register(s, b, id=7, version=9))["id"] == 7
    assert expect_ok(registry.versions(s)) == [3, 9]
    v = expect_ok(registry.version(s, 3))
    assert (v["id"], v["version"], v["subject"]) == (42, 3, s)
    # IMPORT takes no schema without an id, and no second meaning for an id
    expect_error(registry.register(s, record(aname("C"), ("c", "int"))), 422, 42205)
    expect_error(registry.register(f":{ctx}:x", record(aname("D"), ("d", "int")), id=42,
                                   version=1), 422, 42205,
                 f"Overwrite new schema with id 42 in context :{ctx}: is not permitted.")
    # flip the context to READWRITE: the counter continues past every imported id
    expect_ok(registry.put(f"/mode/{q(':' + ctx + ':')}", {"mode": "READWRITE"}))
    nid = registry.register_ok(f":{ctx}:new", record(aname("E"), ("e", "int")))
    assert nid == 43
    # the default context's counter is its own
    assert registry.register_ok("plain", record(aname("F"), ("f", "int"))) == 1


def test_import_into_default_context_with_force(registry):
    registry.register_ok("live", record(aname("L"), ("a", "int")))
    expect_error(registry.put("/mode", {"mode": "IMPORT"}), 422, 42205,
                 "Cannot import since found existing subjects")
    expect_ok(registry.put("/mode", {"mode": "IMPORT"}, params={"force": "true"}))
    assert expect_ok(registry.register("imp", record(aname("I"), ("i", "int")), id=100,
                                       version=5))["id"] == 100
    expect_ok(registry.put("/mode", {"mode": "READWRITE"}))
    assert registry.register_ok("after", record(aname("N"), ("n", "int"))) == 101


def test_switch_to_import_purges_soft_deleted_and_refuses_referenced(registry):
    ctx = fresh_ctx()
    addr_s, person_s = f":{ctx}:addr", f":{ctx}:person"
    an = aname("Addr")
    registry.register_ok(addr_s, record(an, ("street", "string")))
    registry.register_ok(person_s, record(aname("P"), ("home", an)),
                         references=[{"name": an, "subject": addr_s, "version": 1}])
    expect_ok(registry.delete_subject(person_s))
    # person (soft-deleted) still references addr v1 — addr is live, so switching is refused
    expect_error(registry.put(f"/mode/{q(':' + ctx + ':')}", {"mode": "IMPORT"}), 422, 42205)
    expect_ok(registry.delete_subject(person_s, permanent=True))
    expect_ok(registry.delete_subject(addr_s))
    expect_ok(registry.put(f"/mode/{q(':' + ctx + ':')}", {"mode": "IMPORT"}))
    # the soft-deleted leftovers are gone, even with deleted=true
    assert expect_ok(registry.get("/subjects", params={"deleted": "true",
                                                       "subjectPrefix": f":{ctx}:"})) == []


def test_same_id_in_two_contexts_resolves_by_subject(registry):
    c1, c2 = fresh_ctx(), fresh_ctx()
    s1 = record(aname("One"), ("a", "int"))
    s2 = record(aname("Two"), ("b", "string"))
    assert registry.register_ok(f":{c1}:s", s1) == 1
    assert registry.register_ok(f":{c2}:s", s2) == 1
    got1 = expect_ok(registry.get("/schemas/ids/1", params={"subject": f":{c1}:"}))["schema"]
    got2 = expect_ok(registry.get("/schemas/ids/1", params={"subject": f":{c2}:s"}))["schema"]
    assert json.loads(got1) == json.loads(s1) and json.loads(got2) == json.loads(s2)
    expect_error(registry.get("/schemas/ids/1"), 404, 40403)  # not in the default context
    contexts = expect_ok(registry.get("/contexts"))
    assert contexts[0] == "." and contexts[1:] == sorted(contexts[1:])
    assert c1 in contexts and c2 in contexts


def test_listing_semantics_across_contexts(registry):
    c = fresh_ctx()
    registry.register_ok("d1", record(aname("A"), ("a", "int")))
    registry.register_ok(f":{c}:x1", record(aname("B"), ("a", "int")))
    assert expect_ok(registry.get("/subjects")) == sorted(["d1", f":{c}:x1"])
    assert expect_ok(registry.get("/subjects", params={"subjectPrefix": f":{c}:"})) == \
        [f":{c}:x1"]
    assert expect_ok(registry.get("/subjects", params={"subjectPrefix": "d"})) == ["d1"]
    assert [x["subject"] for x in expect_ok(registry.get("/schemas"))] == ["d1"]
    assert [x["subject"] for x in expect_ok(registry.get(
        "/schemas", params={"subjectPrefix": f":{c}:"}))] == [f":{c}:x1"]


def test_url_prefix_form_for_every_endpoint_family(registry):
    c = fresh_ctx()
    base = f"/contexts/{c}"
    v1 = record(aname("U"), ("a", "int"))
    sid = expect_ok(registry.post(f"{base}/subjects/orders/versions", {"schema": v1}))["id"]
    assert sid == 1
    assert expect_ok(registry.get(f"{base}/subjects")) == [f":{c}:orders"]
    assert expect_ok(registry.get("/subjects", params={"subjectPrefix": f":{c}:"})) == \
        [f":{c}:orders"]
    assert expect_ok(registry.get(f"{base}/subjects/orders/versions")) == [1]
    assert expect_ok(registry.get(f"{base}/subjects/orders/versions/latest"))["subject"] == \
        f":{c}:orders"
    assert expect_ok(registry.post(f"{base}/subjects/orders", {"schema": v1}))["id"] == 1
    assert json.loads(expect_ok(registry.get(f"{base}/schemas/ids/1"))["schema"]) == \
        json.loads(v1)
    assert [x["subject"] for x in expect_ok(registry.get(f"{base}/schemas"))] == \
        [f":{c}:orders"]
    assert expect_ok(registry.post(f"{base}/compatibility/subjects/orders/versions/latest",
                                   {"schema": v1})) == {"is_compatible": True}
    expect_ok(registry.put(f"{base}/config", {"compatibility": "FULL"}))
    assert expect_ok(registry.get(f"/config/{q(':' + c + ':')}"))["compatibilityLevel"] == "FULL"
    expect_ok(registry.put(f"{base}/config/orders", {"compatibility": "NONE"}))
    assert expect_ok(registry.get(f"/config/{q(':' + c + ':orders')}"))["compatibilityLevel"] \
        == "NONE"
    expect_ok(registry.put(f"{base}/mode", {"mode": "READONLY"}))
    assert expect_ok(registry.get(f"/mode/{q(':' + c + ':')}")) == {"mode": "READONLY"}
    expect_error(registry.post(f"{base}/subjects/orders/versions",
                               {"schema": record(aname("V"), ("z", "int"))}), 422, 42205)
    expect_ok(registry.delete(f"{base}/mode"))
    assert expect_ok(registry.delete(f"{base}/subjects/orders/versions/1")) == 1
    expect_error(registry.get(f"/contexts/{c}:bad/subjects"), 400, 400)


def test_config_inherits_subject_context_global(registry):
    """AbstractSchemaRegistry.getConfigInScope / InMemoryCache.config (8.2+):
    subject -> named context -> :.__GLOBAL: -> default; the top-level /config is
    the default context's and does not reach named contexts."""
    c = fresh_ctx()
    s = f":{c}:s"
    name = aname("I")
    registry.register_ok(s, record(name, ("a", "int")))
    incompatible = record(name, ("a", "int"), ("b", "int"))  # new field without default
    expect_error(registry.register(s, incompatible), 409, 409)
    registry.set_config(None, "NONE")                      # top level: not this context's
    assert expect_ok(registry.post(f"/compatibility/subjects/{q(s)}/versions/latest",
                                   {"schema": incompatible})) == {"is_compatible": False}
    registry.set_config(":.__GLOBAL:", "NONE")             # the global tier
    expect_ok(registry.post(f"/compatibility/subjects/{q(s)}/versions/latest",
                            {"schema": incompatible}))
    registry.set_config(f":{c}:", "BACKWARD")               # context beats global
    assert expect_ok(registry.post(f"/compatibility/subjects/{q(s)}/versions/latest",
                                   {"schema": incompatible})) == {"is_compatible": False}
    registry.set_config(s, "NONE")                          # subject beats context
    registry.register_ok(s, incompatible)
    assert expect_ok(registry.get(f"/config/{q(s)}", params={"defaultToGlobal": "true"})) == \
        {"compatibilityLevel": "NONE"}
    expect_ok(registry.delete(f"/config/{q(':.__GLOBAL:')}"))
    expect_ok(registry.delete("/config"))


def test_global_tier_reaches_the_default_context_below_the_top_level(registry):
    s = "g" + uuid.uuid4().hex[:8]
    name = aname("G")
    registry.register_ok(s, record(name, ("a", "int")))
    incompatible = record(name, ("a", "int"), ("b", "int"))
    registry.set_config(":.__GLOBAL:", "NONE")
    assert expect_ok(registry.get(f"/config/{q(':.__GLOBAL:')}"))["compatibilityLevel"] == "NONE"
    expect_ok(registry.post(f"/compatibility/subjects/{q(s)}/versions/latest",
                            {"schema": incompatible}))
    registry.set_config(None, "BACKWARD")                  # top level beats global here
    assert expect_ok(registry.post(f"/compatibility/subjects/{q(s)}/versions/latest",
                                   {"schema": incompatible})) == {"is_compatible": False}
    expect_ok(registry.put(f"/mode/{q(':.__GLOBAL:')}", {"mode": "READONLY"}))
    expect_error(registry.register(s, incompatible), 422, 42205)
    expect_ok(registry.put("/mode", {"mode": "READWRITE"}))   # top level beats global
    registry.set_config(None, "NONE")
    registry.register_ok(s, incompatible)
    expect_ok(registry.delete("/mode"))
    expect_error(registry.register(s, record(name, ("c", "int"))), 422, 42205)
    expect_ok(registry.delete(f"/mode/{q(':.__GLOBAL:')}"))
    expect_ok(registry.delete(f"/config/{q(':.__GLOBAL:')}"))


def test_readonly_override_at_top_level_does_not_override_lower_modes(registry):
    """8.0/8.1's getModeInScope let a top-level READONLY_OVERRIDE win over every
    subject; 8.2 dropped that (Mode.READONLY_OVERRIDE is deprecated for READONLY in
    :.__GLOBAL:), so a subject's own READWRITE still writes."""
    s = "o" + uuid.uuid4().hex[:8]
    name = aname("O")
    registry.register_ok(s, record(name, ("a", "int")))
    expect_ok(registry.put(f"/mode/{q(s)}", {"mode": "READWRITE"}))
    expect_ok(registry.put("/mode", {"mode": "READONLY_OVERRIDE"}))
    registry.register_ok(s, record(name, ("a", "int"), ("b", "int", 0)))
    expect_error(registry.register("o2" + s, record(name, ("a", "int"))), 422, 42205)
    expect_ok(registry.put("/mode", {"mode": "READWRITE"}))


@pytest.mark.parametrize("body,code", [({"mode": "SIDEWAYS"}, 42204), ({"mode": ""}, 42204),
                                       ({"mode": "FORWARD"}, 42204)])
def test_bad_mode_values_change_nothing(registry, body, code):
    before = registry.snapshot()
    expect_error(registry.put("/mode/:.x:s", body), 422, code)
    assert registry.snapshot() == before
    expect_error(registry.get("/mode/:.x:s"), 404, 40409)


@pytest.mark.parametrize("subject", ["__GLOBAL", ":.ctx:__EMPTY", "a\x01b"])
def test_modes_on_reserved_subjects_are_42208(registry, subject):
    before = registry.snapshot()
    expect_error(registry.put(f"/mode/{q(subject)}", {"mode": "READONLY"}), 422, 42208)
    expect_error(registry.register(subject, record(aname("R"), ("a", "int"))), 422, 42208)
    assert registry.snapshot() == before


def test_delete_context(registry):
    c = fresh_ctx()
    registry.register_ok(f":{c}:s", record(aname("D"), ("a", "int")))
    expect_error(registry.delete(f"/contexts/{c}"), 422, 42211)
    expect_ok(registry.delete_subject(f":{c}:s"))
    expect_ok(registry.delete_subject(f":{c}:s", permanent=True))
    r = registry.delete(f"/contexts/{c}")
    assert r.status_code == 204, r.text
    assert c not in expect_ok(registry.get("/contexts"))


def test_real_deserializer_reads_a_context_scoped_id(registry):
    from confluent_kafka.schema_registry import SchemaRegistryClient
    from confluent_kafka.schema_registry.avro import AvroDeserializer
    from confluent_kafka.serialization import MessageField, SerializationContext
    import fastavro
    import io

    c = fresh_ctx()
    # occupy id 1 in the default context with a different schema
    registry.register_ok("other", record(aname("Other"), ("x", "string")))
    name = aname("Ctx")
    schema = record(name, ("n", "long"), ("s", "string"))
    # the client knows only a URL: point it at the context's URL-prefix form
    sid = expect_ok(registry.post(f"/contexts/{c}/subjects/t-value/versions",
                                  {"schema": schema}))["id"]
    assert sid == 1
    buf = io.BytesIO()
    fastavro.schemaless_writer(buf, fastavro.parse_schema(json.loads(schema)),
                               {"n": 7, "s": "hi"})
    payload = b"\x00" + struct.pack(">i", sid) + buf.getvalue()
    client = SchemaRegistryClient({"url": f"{registry.base}/contexts/{c}"})
    de = AvroDeserializer(client)
    got = de(payload, SerializationContext("t", MessageField.VALUE))
    assert got == {"n": 7, "s": "hi"}
