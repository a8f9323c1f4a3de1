# SPDX-License-Identifier: Apache-2.0
"""Scenarios of Confluent's RestApiTest, step by step, as data: each step is one
request and what Confluent's test asserts about the answer. The docstring of each
scenario names the test method."""
import hashlib
import json
import struct
import time
import uuid

import pytest

from conftest import (Api, expect_error, expect_ok, msg_bad_version, msg_no_subject_config,
                      msg_schema_not_found, msg_subject_not_found, msg_subject_soft_deleted,
                      msg_version_not_found, q,
                      wait_until)

MYRECORD = ('{"type":"record","name":"myrecord","fields":'
            '[{"name":"f1","type":"string"}]}')


def _cv(v):
    return {"properties": {"confluent:version": str(v)}}


def _register(api, s, version=None, metadata=None):
    body = {"schemaType": "AVRO", "schema": MYRECORD}
    if version is not None:
        body["version"] = version
    if metadata is not None:
        body["metadata"] = metadata
    return api.post(f"/subjects/{q(s)}/versions", body)


def _lookup(api, s, metadata=None):
    body = {"schemaType": "AVRO", "schema": MYRECORD}
    if metadata is not None:
        body["metadata"] = metadata
    return api.post(f"/subjects/{q(s)}", body)


def _cv_of(b):
    return ((b.get("metadata") or {}).get("properties") or {}).get("confluent:version")


# (action, argument, expected id or version, expected confluent:version of the answer)
# "reg": register with (version, metadata) -> id;  "lookup": (metadata) -> (version, cv)
# "latest": -> (version, cv); "del": soft-delete version
CONFLUENT_VERSION_STEPS = [
    ("reg", (None, None), 1, None),
    ("latest", None, 1, None),
    ("reg", (-1, None), 1, None),
    ("reg", (2, None), 2, None),
    ("reg", (-1, None), 2, None),
    ("latest", None, 2, "2"),
    ("lookup", None, 1, None),
    ("lookup", _cv(1), 1, None),
    ("lookup", _cv(2), 2, "2"),
    ("del", 1, None, None),
    ("lookup", None, 2, "2"),
    ("reg", (None, None), 2, None),
    ("latest", None, 2, "2"),
    ("reg", (3, None), 3, None),
    ("reg", (-1, None), 3, None),
    ("reg", (-1, None), 3, None),
    ("latest", None, 3, "3"),
    ("reg_fails", (3, None), 42201, None),
    ("reg", (4, None), 4, None),
    ("lookup", None, 4, "4"),
    ("reg", (None, _cv(-1)), 5, None),
    ("latest", None, 5, "5"),
    ("reg", (None, _cv(2)), 2, None),
    ("reg", (None, _cv(3)), 3, None),
    ("reg", (None, _cv(0)), 6, None),
    ("latest", None, 6, "6"),
    ("reg", (None, {"properties": {}}), 6, None),
    ("reg", (None, {"properties": {"mykey": "myvalue"}}), 7, None),
    ("latest", None, 7, None),
    ("reg", (-1, None), 8, None),
    ("latest", None, 8, "8"),
    ("lookup", {"properties": {"mykey": "myvalue"}}, 7, None),
    ("del", 7, None, None),
    ("lookup", {"properties": {"mykey": "myvalue"}}, 8, "8"),
]


def test_confluent_version(registry):
    """RestApiTest.testConfluentVersion (to the schema-with-doc part): registering with
    version / confluent:version and looking up with and without it
    (canLookupIgnoringVersion, lookUpSchemaUnderSubject's second try)."""
    s = "test"
    for i, (action, arg, want, want_cv) in enumerate(CONFLUENT_VERSION_STEPS):
        where = f"step {i}: {action} {arg}"
        if action == "reg":
            b = expect_ok(_register(registry, s, *arg))
            assert b["id"] == want, (where, b)
        elif action == "reg_fails":
            expect_error(_register(registry, s, *arg), 422, want)
        elif action == "latest":
            b = expect_ok(registry.version(s, "latest"))
            assert (b["version"], _cv_of(b)) == (want, want_cv), (where, b)
        elif action == "lookup":
            b = expect_ok(_lookup(registry, s, arg))
            assert (b["version"], _cv_of(b)) == (want, want_cv), (where, b)
        else:
            expect_ok(registry.delete_version(s, arg))


def _rec(i):
    return f'{{"type":"record","name":"r{i}","fields":[{{"name":"f","type":"string"}}]}}'


# (query, expected list) after registering in .prod, .prod-eu, .staging, .dev and the default
CONTEXT_PREFIX_CASES = [
    ({}, [".", ".dev", ".prod", ".prod-eu", ".staging"]),
    ({"contextPrefix": ".prod"}, [".prod", ".prod-eu"]),
    ({"contextPrefix": ".prod-eu"}, [".prod-eu"]),
    ({"contextPrefix": "."}, [".", ".dev", ".prod", ".prod-eu", ".staging"]),
    ({"contextPrefix": ".s"}, [".staging"]),
    ({"contextPrefix": ".nonexistent"}, []),
    ({"contextPrefix": ""}, [".", ".dev", ".prod", ".prod-eu", ".staging"]),
    ({"contextPrefix": ".PROD"}, []),
    ({"contextPrefix": ".", "offset": 0, "limit": 2}, [".", ".dev"]),
    ({"contextPrefix": ".", "offset": 2, "limit": 2}, [".prod", ".prod-eu"]),
    ({"contextPrefix": ".", "offset": 4, "limit": 2}, [".staging"]),
    ({"contextPrefix": ".p", "offset": 1, "limit": 1}, [".prod-eu"]),
]


def test_contexts_prefix_filter(registry):
    """RestApiContextTest.testContextPrefixFilter / ...WithPagination / ...EdgeCases:
    ContextsResource.listContexts keeps the contexts starting with contextPrefix
    (case-sensitive; empty = all), then applies offset/limit."""
    for i, s in enumerate([":.prod:testSubject1", ":.prod-eu:testSubject2",
                           ":.staging:testSubject3", ":.dev:testSubject4", "testSubject5"]):
        registry.register_ok(s, _rec(i))
    for params, want in CONTEXT_PREFIX_CASES:
        assert expect_ok(registry.get("/contexts", params=params)) == want, params


# --------------------------------------------------------------------------------------------
# guid (Confluent 8.x)

def confluent_guid(schema: str, references=None, metadata=None, rule_set=None) -> str:
    """Schema.getGuid: the MD5 of Schema.updateHash's input as a java.util.UUID. The input
    is fed as Schema/SchemaReference/Metadata/RuleSet/Rule.updateHash do: the text; each
    reference's name, subject and 4-byte big-endian version; a 1 byte then the metadata's
    tags (key, sorted values), properties (sorted key, value) and sorted sensitive; a 1
    byte then each migration/domain/encoding rule (name, doc, kind, mode — TRANSFORM and
    WRITEREAD when absent, as the Rule constructor sets — type, sorted tags, sorted params,
    expr, onSuccess, onFailure, a 1 byte when disabled) and enableAt."""
    md = hashlib.md5()

    def feed(s):
        if s is not None:
            md.update(s.encode())

    md.update(schema.encode())
    for r in references or []:
        feed(r.get("name"))
        feed(r.get("subject"))
        if r.get("version") is not None:
            md.update(struct.pack(">i", r["version"]))
    if metadata is not None:
        md.update(b"\x01")
        for k in sorted(metadata.get("tags") or {}):
            feed(k)
            for v in sorted(set(metadata["tags"][k])):
                feed(v)
        for k, v in sorted((metadata.get("properties") or {}).items()):
            feed(k)
            feed(v)
        for v in sorted(set(metadata.get("sensitive") or [])):
            feed(v)
    if rule_set is not None:
        md.update(b"\x01")
        for lst in ("migrationRules", "domainRules", "encodingRules"):
            for r in rule_set.get(lst) or []:
                for k in ("name", "doc"):
                    feed(r.get(k))
                feed(r.get("kind") or "TRANSFORM")
                feed(r.get("mode") or "WRITEREAD")
                feed(r.get("type"))
                for t in sorted(set(r.get("tags") or [])):
                    feed(t)
                for k, v in sorted((r.get("params") or {}).items()):
                    feed(k)
                    feed(v)
                for k in ("expr", "onSuccess", "onFailure"):
                    feed(r.get(k))
                if r.get("disabled"):
                    md.update(b"\x01")
        feed(rule_set.get("enableAt"))
    return str(uuid.UUID(bytes=md.digest()))


BASE = '{"type":"record","name":"Base","fields":[{"name":"b","type":"int"}]}'
USER = ('{"type":"record","name":"User","fields":[{"name":"base","type":"Base"},'
        '{"name":"n","type":"string"}]}')
GUID_METADATA = {"tags": {"n": ["PII", "A"]}, "properties": {"z": "1", "owner": "me"},
                 "sensitive": ["z"]}
GUID_RULES = {"domainRules": [{"name": "r1", "type": "CEL", "expr": "true", "tags": ["PII"],
                               "params": {"b": "2", "a": "1"}}],
              "migrationRules": [{"name": "m1", "kind": "TRANSFORM", "mode": "UPGRADE",
                                  "type": "JSONATA", "expr": "$", "disabled": True}]}


def _guid_places(api, subject, version, sid):
    """Every answer that carries a guid in 8.x for (subject, version, id)."""
    sub_ctx = subject.split(":")[1] if subject.startswith(":.") else "."
    prefix = f":{sub_ctx}:" if sub_ctx != "." else ""
    listing = [s for s in expect_ok(api.get("/schemas", params={"subjectPrefix": prefix}))
               if s["subject"] == subject and s["version"] == version]
    by_id = expect_ok(api.get(f"/schemas/ids/{sid}", params={"subject": subject}))
    return {
        "version": expect_ok(api.version(subject, version))["guid"],
        "latest": expect_ok(api.version(subject, "latest"))["guid"],
        "by_id_subject": by_id["guid"],
        "schemas_list": listing[0]["guid"],
    }


def test_guid_everywhere_8x_returns_it(registry):
    """RestApiTest.testBasic / testRegisterDiffContext: Schema.getGuid (MD5 of
    Schema.updateHash, as a UUID), copied by SchemaString(Schema) and
    RegisterSchemaResponse(Schema), found again by GET /schemas/guids/{guid}
    (SchemasResource.getSchemaByGuid) and /guids/{guid}/ids (listIdsForGuid); the same
    content in two contexts has the same guid."""
    registry.set_config(None, "NONE")
    registry.register_ok("guid-base", BASE)
    refs = [{"name": "Base", "subject": "guid-base", "version": 1}]
    reg = expect_ok(registry.register("guid-user", USER, references=refs,
                                      metadata=GUID_METADATA, ruleSet=GUID_RULES))
    stored = expect_ok(registry.version("guid-user", 1))
    want = confluent_guid(stored["schema"], stored.get("references"), stored.get("metadata"),
                          stored.get("ruleSet"))
    assert reg["guid"] == want, (reg, stored)
    places = _guid_places(registry, "guid-user", 1, reg["id"])
    assert places == dict.fromkeys(places, want), places
    plain = expect_ok(registry.get(f"/schemas/ids/{reg['id']}"))
    assert plain["guid"] == want and "subject" not in plain, plain
    assert expect_ok(registry.lookup("guid-user", USER, references=refs, metadata=GUID_METADATA,
                                     ruleSet=GUID_RULES))["guid"] == want
    # no metadata, no rules: the text alone
    b = expect_ok(registry.version("guid-base", 1))
    assert b["guid"] == confluent_guid(BASE) == expect_ok(registry.register("guid-base", BASE))["guid"]
    # the same text in another context: the same guid, another id space
    cid = registry.register_ok(":.gctx:guid-base", BASE)
    assert expect_ok(registry.version(":.gctx:guid-base", 1))["guid"] == b["guid"]
    g = expect_ok(registry.get(f"/schemas/guids/{b['guid']}"))
    assert g == {"guid": b["guid"], "schemaType": "AVRO", "schema": BASE}, g
    assert expect_ok(registry.get(f"/schemas/guids/{b['guid']}/ids")) == [
        {"context": ".", "id": b["id"]}, {"context": ".gctx", "id": cid}]
    # a guid of nothing stored, and a text that is no guid
    gone = confluent_guid('"string"')
    expect_error(registry.get(f"/schemas/guids/{gone}"), 404, 40403, f"Schema {gone} not found")
    assert expect_ok(registry.get(f"/schemas/guids/{gone}/ids")) == []
    expect_error(registry.get("/schemas/guids/nope"), 404, 40403, "Schema nope not found")


def test_guid_survives_restart_and_compaction(ferry_factory):
    """The guid is derived from stored content (SchemaValue.toSchemaEntity computes it from
    text, references, metadata and ruleSet), so a restart after compaction answers the same
    guid for every version; `ts` is the record's own timestamp, which compaction keeps."""
    srv = ferry_factory.start(config={"ferry.store.compact.min.bytes": "16384"})
    api = Api(srv)
    api.register_ok("gd-base", BASE)
    api.register_ok("gd-user", USER, references=[{"name": "Base", "subject": "gd-base",
                                                  "version": 1}], metadata=GUID_METADATA)
    def state(a):
        return {s: (lambda b: (b["guid"], b["ts"]))(expect_ok(a.version(s, 1)))
                for s in ("gd-base", "gd-user")}
    before = state(api)
    journal = srv.data_dir / "journal"
    for i in range(400):
        expect_ok(api.put("/config/gd-churn", {"compatibility": "FULL" if i % 2 else "NONE"}))
    wait_until(lambda: journal.stat().st_size < 16384, timeout=20)
    srv.stop_and_check()
    api2 = Api(ferry_factory.start(data_dir=srv.data_dir))
    assert state(api2) == before


# --------------------------------------------------------------------------------------------
# ts and deleted (8.x Schema / SchemaString)

def test_version_objects_carry_ts_and_deleted(registry):
    """RestApiTest.testBasic (getId(...).getTimestamp() not null, getDeleted() false) and
    testImportDifferentSchemaOnSameID (getVersion(subject, 2, true).getDeleted()):
    SchemaValue.toSchemaEntity copies the record's timestamp (KafkaStoreMessageHandler
    .validateUpdate stamps it) and the deleted flag into Schema, which SchemaString copies."""
    t0 = int(time.time() * 1000) - 5000
    sid = registry.register_ok("tsd", MYRECORD)
    b = expect_ok(registry.version("tsd", 1))
    assert b["deleted"] is False and t0 <= b["ts"] <= t0 + 120000, b
    s = expect_ok(registry.get(f"/schemas/ids/{sid}", params={"subject": "tsd"}))
    assert (s["subject"], s["version"], s["ts"], s["deleted"]) == ("tsd", 1, b["ts"], False), s
    expect_ok(registry.delete_version("tsd", 1))
    d = expect_ok(registry.version("tsd", 1, params={"deleted": "true"}))
    assert d["deleted"] is True and d["ts"] >= b["ts"], d
    listed = expect_ok(registry.get("/schemas", params={"deleted": "true"}))
    assert [(x["subject"], x["deleted"]) for x in listed] == [("tsd", True)], listed


# --------------------------------------------------------------------------------------------
# GET /schemas?aliases=true

# (subjectPrefix, aliases, expected [(subject, version, aliases or None)])
ALIAS_LISTING_CASES = [
    ("testAlias", None, []),
    ("testAlias", "true", [("testSubject", 1, ["testAlias"]), ("testSubject", 2, ["testAlias"])]),
    ("testAl", "true", [("testAlligator", 1, None), ("testSubject", 1, ["testAlias"]),
                        ("testSubject", 2, ["testAlias"])]),
    ("test", "true", [("testAlligator", 1, None), ("testSubject", 1, ["testAlias"]),
                      ("testSubject", 2, ["testAlias"])]),
    ("test", "false", [("testAlligator", 1, None), ("testSubject", 1, None),
                       ("testSubject", 2, None)]),
    ("noTest", "true", [("noTestSubject", 1, None), ("noTestSubject", 2, None)]),
]


def test_get_schemas_with_aliases(registry):
    """RestApiCompatibilityTest.testGetSchemasWithAliases: SchemasResource.getSchemas with
    aliases=true (AbstractSchemaRegistry.allVersionsIncludingAliasesWithSubjectPrefix):
    the subject configs under the prefix with an alias add their target's versions, each
    ExtendedSchema of a target lists its aliases; no repeats when the prefix covers both."""
    def rec(*names):
        fields = [{"type": "string", "name": n} for n in names]
        for f in fields[1:]:
            f["default"] = "foo"
        return json.dumps({"type": "record", "name": "myrecord", "fields": fields})
    registry.register_ok("testSubject", rec("f1"))
    registry.register_ok("testSubject", rec("f1", "f2"))
    registry.register_ok("noTestSubject", rec("x1"))
    registry.register_ok("noTestSubject", rec("x1", "x2"))
    assert expect_ok(registry.put("/config/testAlias", {"alias": "testSubject"})) == \
        {"alias": "testSubject"}
    registry.register_ok("testAlligator", rec("a1", "a2"))
    for prefix, aliases, want in ALIAS_LISTING_CASES:
        params = {"subjectPrefix": prefix}
        if aliases is not None:
            params["aliases"] = aliases
        got = [(s["subject"], s["version"], s.get("aliases"))
               for s in expect_ok(registry.get("/schemas", params=params))]
        assert got == want, (params, got)


# --------------------------------------------------------------------------------------------
# a bare subject found in several contexts

def _vs(i):
    return f'{{"type":"record","name":"vs{i}","fields":[{{"name":"f","type":"string"}}]}}'


# (path, params, expected (status, subject, version) or (status, error_code))
VISIBLE_SUBJECT_CASES = [
    # only in .a (v1) and .b (v1, v2): the first context, sorted, that has the version
    ("/subjects/vs/versions/1", None, (200, ":.a:vs", 1)),
    ("/subjects/vs/versions/2", None, (200, ":.b:vs", 2)),
    ("/subjects/vs/versions/latest", None, (200, ":.a:vs", 1)),
    ("/subjects/vs/versions/3", None, (404, 40401)),
    ("/subjects/vs/versions/1/schema", None, (200, _vs("a1"))),
    # latest-with-metadata reads the subject as named only
    ("/subjects/vs/metadata", {"key": "k", "value": "v"}, (404, 40401)),
    # the id through ?subject=: the first context whose vs holds that id
    ("/schemas/ids/2", {"subject": "vs"}, (200, ":.b:vs", 2)),
    ("/schemas/ids/1", {"subject": "vs"}, (200, ":.a:vs", 1)),
]

AFTER_DELETE_CASES = [
    # .a's only version soft-deleted: skipped unless ?deleted=true
    ("/subjects/vs/versions/1", None, (200, ":.b:vs", 1)),
    ("/subjects/vs/versions/1", {"deleted": "true"}, (200, ":.a:vs", 1)),
    ("/subjects/vs/versions/latest", None, (200, ":.b:vs", 2)),
]

WITH_DEFAULT_CASES = [
    # the default context's vs (v1 only) first; a version it lacks comes from the others,
    # and when none has it the subject exists, so 40402
    ("/subjects/vs/versions/1", None, (200, "vs", 1)),
    ("/subjects/vs/versions/2", None, (200, ":.b:vs", 2)),
    ("/subjects/vs/versions/3", None, (404, 40402)),
    ("/subjects/:.:vs/versions/2", None, (200, ":.b:vs", 2)),
    # qualified: no other context is tried; its only version is soft-deleted, so 40401
    ("/subjects/:.a:vs/versions/2", None, (404, 40401)),
    ("/subjects/:.a:vs/versions/1", {"deleted": "true"}, (200, ":.a:vs", 1)),
]


def _check_visible(api, cases):
    for path, params, want in cases:
        r = api.get(path, params=params)
        if want[0] != 200:
            expect_error(r, want[0], want[1])
            continue
        b = expect_ok(r)
        if path.endswith("/schema"):
            assert (r.status_code, r.text) == want, (path, r.text)
        else:
            assert (r.status_code, b.get("subject"), b.get("version")) == want, (path, params, b)


def test_bare_subject_in_several_contexts(registry):
    """AbstractSchemaRegistry.getUsingContexts (SubjectVersionsResource.getSchemaByVersion):
    the subject as named, then for a default-context subject the same name in every
    context in allContexts() order (sorted), the first that has the version (soft-deleted
    ones only with deleted=true; "latest" is getLatestVersion, live only); 40401 when the
    subject as named has no version, else 40402. getSchemaKeyUsingContexts does the same
    for /schemas/ids/{id}?subject= with the id; getLatestWithMetadata does not look in
    other contexts. ferry took the first context in hash-map order that had the name."""
    expect_ok(registry.put("/config/:.__GLOBAL:", {"compatibility": "NONE"}))
    registry.register_ok(":.b:vs", _vs("b1"))
    registry.register_ok(":.b:vs", _vs("b2"))
    registry.register_ok(":.a:vs", _vs("a1"))
    registry.register_ok(":.a:other", _vs("a_other"))  # id 2 in .a, not vs's
    _check_visible(registry, VISIBLE_SUBJECT_CASES)
    expect_ok(registry.delete_version(":.a:vs", 1))
    _check_visible(registry, AFTER_DELETE_CASES)
    registry.register_ok("vs", _vs("default"))
    _check_visible(registry, WITH_DEFAULT_CASES)


# --------------------------------------------------------------------------------------------
# RestApiTest's error cases, one row each, against a registry holding subject "test" v1

OTHER = '{"type":"record","name":"other","fields":[{"name":"o","type":"int"}]}'

# (Java test method, method, path, body, params, status, error_code, message or None)
ERROR_CASES = [
    ("testGetSchemaNonExistingId", "GET", "/schemas/ids/100", None, None,
     404, 40403, msg_schema_not_found(100)),
    ("testListVersionsNonExistingSubject", "GET", "/subjects/Invalid/versions", None, None,
     404, 40401, msg_subject_not_found("Invalid")),
    ("testGetVersionNonExistentSubject", "GET", "/subjects/non-existing-subject/versions/1",
     None, None, 404, 40401, msg_subject_not_found("non-existing-subject")),
    ("testGetNonExistingVersion", "GET", "/subjects/test/versions/200", None, None,
     404, 40402, msg_version_not_found(200)),
    ("testGetInvalidVersion", "GET", "/subjects/test/versions/0", None, None,
     422, 42202, msg_bad_version("0")),
    ("testRegisterInvalidSubject", "POST", "/subjects/%0Dbad%0Asubject%09/versions",
     {"schema": OTHER}, None, 422, 42208, None),
    ("testLookUpSchemaUnderNonExistentSubject", "POST", "/subjects/non-existent-subject",
     {"schema": OTHER}, None, 404, 40401, msg_subject_not_found("non-existent-subject")),
    ("testLookUpNonExistentSchemaUnderSubject", "POST", "/subjects/test", {"schema": OTHER},
     None, 404, 40403, msg_schema_not_found()),
    ("testGetSubjectsAssociatedWithNotFoundSchemaId", "GET", "/schemas/ids/2/subjects", None,
     None, 404, 40403, msg_schema_not_found()),
    ("testCompatibilityNonExistentVersion", "POST",
     "/compatibility/subjects/test/versions/100", {"schema": MYRECORD}, None,
     404, 40402, msg_version_not_found(100)),
    ("testCompatibilityInvalidVersion", "POST",
     "/compatibility/subjects/test/versions/earliest", {"schema": MYRECORD}, None,
     422, 42202, msg_bad_version("earliest")),
    ("testGetConfigNonExistentSubject", "GET", "/config/non-existent-subject", None, None,
     404, 40408, msg_no_subject_config("non-existent-subject")),
    ("testDeleteSchemaVersionInvalidSubject", "DELETE", "/subjects/nothere/versions/1", None,
     None, 404, 40401, msg_subject_not_found("nothere")),
    ("testGetLatestVersionNonExistentSubject", "GET",
     "/subjects/non_existent_subject/versions/latest", None, None,
     404, 40401, msg_subject_not_found("non_existent_subject")),
    ("testDeleteInvalidVersion", "DELETE", "/subjects/test/versions/2", None, None,
     404, 40402, msg_version_not_found(2)),
    ("testDeleteNonExistentSubject", "DELETE", "/subjects/never-registered-subject", None,
     None, 404, 40401, msg_subject_not_found("never-registered-subject")),
    ("testDeleteNonExistentSubject", "DELETE", "/subjects/never-registered-subject", None,
     {"permanent": "true"}, 404, 40401, msg_subject_not_found("never-registered-subject")),
    ("testGetVersionsAssociatedWithSchemaId (missing id)", "GET", "/schemas/ids/2/versions",
     None, None, 404, 40403, msg_schema_not_found()),
]

# (Java test method, method, path, body, params, expected JSON)
OK_CASES = [
    ("testCompatibilityNonExistentSubject", "POST",
     "/compatibility/subjects/non-existent-subject/versions/latest", {"schema": OTHER}, None,
     {"is_compatible": True}),
    ("testCompatibilityNonExistentSubject", "POST",
     "/compatibility/subjects/non-existent-subject/versions", {"schema": OTHER}, None,
     {"is_compatible": True}),
    ("testGetSchemaWithFetchMaxId", "GET", "/schemas/ids/1", None, None,
     {"guid": confluent_guid(MYRECORD), "schemaType": "AVRO", "schema": MYRECORD}),
    ("testGetSchemaWithFetchMaxId", "GET", "/schemas/ids/1", None, {"fetchMaxId": "true"},
     {"guid": confluent_guid(MYRECORD), "schemaType": "AVRO", "schema": MYRECORD, "maxId": 1}),
    ("testGetOnlySchemaById", "GET", "/schemas/ids/1/schema", None, None, json.loads(MYRECORD)),
    ("testGetVersionSchemaOnly", "GET", "/subjects/test/versions/1/schema", None, None,
     json.loads(MYRECORD)),
    ("testGetLatestVersionSchemaOnly", "GET", "/subjects/test/versions/latest/schema", None,
     None, json.loads(MYRECORD)),
    ("testGetSubjectsAssociatedWithSchemaId", "GET", "/schemas/ids/1/subjects", None, None,
     ["test"]),
    ("testGetVersionsAssociatedWithSchemaId", "GET", "/schemas/ids/1/versions", None, None,
     [{"subject": "test", "version": 1}]),
    ("testRegisterSchemaWithWildcardSubjectAllowedByDefault", "POST", "/subjects/*/versions",
     {"schema": OTHER}, None, None),
]


@pytest.fixture(scope="module")
def with_test_v1(mod_registry):
    mod_registry.register_ok("test", MYRECORD)
    return mod_registry


@pytest.mark.parametrize("case", ERROR_CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(ERROR_CASES)])
def test_restapitest_error_cases(with_test_v1, case):
    """RestApiTest's not-found / invalid cases (method named per row): status and
    error_code as the Java test asserts, and the message of Errors.* that the resource
    throws."""
    _java, method, path, body, params, status, code, msg = case
    r = with_test_v1.req(method, path, json_body=body if body is not None else ...,
                         params=params)
    expect_error(r, status, code, msg)


@pytest.mark.parametrize("case", OK_CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(OK_CASES)])
def test_restapitest_ok_cases(with_test_v1, case):
    """RestApiTest's success cases (method named per row): the exact answer; for
    testGetSchemaWithFetchMaxId, maxId only with fetchMaxId=true (SchemaString.maxId is null
    otherwise, NON_EMPTY)."""
    _java, method, path, body, params, want = case
    r = with_test_v1.req(method, path, json_body=body if body is not None else ...,
                         params=params)
    b = expect_ok(r)
    if want is not None:
        assert b == want, (path, b)


# --------------------------------------------------------------------------------------------
# RestApiContextTest.testQualifiedSubjects

QS_SUBJECTS = [(":.ctx1:testTopic1", 10), (":.ctx2:testTopic2", 5), (":.ctx3:testTopic1", 2),
               ("testTopic1", 1)]

# (path, params, expected answer, or an int: the length of the answer)
QS_READS = [
    ("/subjects/:.ctx1:testTopic1/versions", None, list(range(1, 11))),
    ("/subjects/:.ctx2:testTopic2/versions", None, list(range(1, 6))),
    ("/contexts", None, [".", ".ctx1", ".ctx2", ".ctx3"]),
    ("/subjects", {"subjectPrefix": ":.ctx1:"}, [":.ctx1:testTopic1"]),
    ("/subjects", {"subjectPrefix": ":.ctx2:"}, [":.ctx2:testTopic2"]),
    ("/subjects", {"subjectPrefix": ""}, ["testTopic1"]),
    ("/subjects", {"subjectPrefix": ":*:"},
     [":.ctx1:testTopic1", ":.ctx2:testTopic2", ":.ctx3:testTopic1", "testTopic1"]),
    ("/schemas", {"subjectPrefix": ":*:"}, 18),
    ("/schemas", {"subjectPrefix": ":*:testTopic1"}, 13),
    ("/schemas", {"subjectPrefix": ":*:testTopic2"}, 5),
]


def test_qualified_subjects(registry):
    """RestApiContextTest.testQualifiedSubjects: ids start at 1 in every context,
    re-registering answers the same id, the listings by context prefix and wildcard, and
    an unqualified subject that lives only in a named context is found by version and by
    lookup (getUsingContexts, lookUpSchemaUnderSubjectUsingContexts)."""
    expect_error(registry.versions(":.ctx1:testTopic1"), 404, 40401)
    assert expect_ok(registry.get("/contexts")) == ["."]
    assert expect_ok(registry.get("/subjects")) == []
    # Confluent's random schemas are records of one field each: NONE everywhere
    registry.set_config(None, "NONE")
    expect_ok(registry.put("/config/:.__GLOBAL:", {"compatibility": "NONE"}))
    texts = {}
    for subject, n in QS_SUBJECTS:
        texts[subject] = [_rec(f"{subject.replace(':', '').replace('.', '')}_{i}")
                          for i in range(n)]
        for i, t in enumerate(texts[subject]):
            b = expect_ok(registry.register(subject, t))
            assert (b["id"], b["version"]) == (i + 1, i + 1), (subject, b)
    for i, t in enumerate(texts[":.ctx1:testTopic1"]):
        assert registry.register_ok(":.ctx1:testTopic1", t) == i + 1
    for path, params, want in QS_READS:
        got = expect_ok(registry.get(path, params=params))
        assert (len(got) if isinstance(want, int) else got) == want, (path, params, got)
    b = expect_ok(registry.version("testTopic2", 1))
    assert (b["subject"], b["version"]) == (":.ctx2:testTopic2", 1), b
    b = expect_ok(registry.lookup("testTopic2", b["schema"]))
    assert (b["subject"], b["version"]) == (":.ctx2:testTopic2", 1), b


# --------------------------------------------------------------------------------------------
# RestApiModeTest: recursive delete of a context's (or the top level's) mode

# (test method, modes set [(scope, mode)], DELETE path, params, expected answer,
#  scopes expected without a mode of their own afterwards, scopes that keep theirs)
RECURSIVE_MODE_CASES = [
    ("testRecursiveDeleteContextMode",
     [(":.mycontext:", "READONLY"), (":.mycontext:subject1", "READONLY"),
      (":.mycontext:subject2", "READONLY"), (":.mycontext:subject3", "READONLY")],
     "/mode/:.mycontext:", {"recursive": "true"}, {"mode": "READONLY"},
     [":.mycontext:", ":.mycontext:subject1", ":.mycontext:subject2", ":.mycontext:subject3"],
     []),
    ("testNonRecursiveDeleteContextModeDoesNotAffectSubjects",
     [(":.mycontext:", "READONLY"), (":.mycontext:subject1", "READONLY")],
     "/mode/:.mycontext:", None, {"mode": "READONLY"},
     [":.mycontext:"], [":.mycontext:subject1"]),
    ("testRecursiveDeleteGlobalMode",
     [(None, "READONLY"), ("subject1", "READONLY"), ("subject2", "READONLY"),
      ("subject3", "READONLY")],
     "/mode", {"recursive": "true"}, {"mode": "READONLY"},
     ["subject1", "subject2", "subject3"], []),
    ("testRecursiveDeleteContextModeWhenContextModeNotSet",
     [(":.mycontext:subject1", "READONLY"), (":.mycontext:subject2", "READONLY")],
     "/mode/:.mycontext:", {"recursive": "true"}, {},
     [":.mycontext:", ":.mycontext:subject1", ":.mycontext:subject2"], []),
    ("testRecursiveDeleteDoesNotAffectOtherContexts",
     [(":.context1:", "READONLY"), (":.context2:", "READONLY"),
      (":.context1:subject1", "READONLY"), (":.context2:subject2", "READONLY")],
     "/mode/:.context1:", {"recursive": "true"}, {"mode": "READONLY"},
     [":.context1:", ":.context1:subject1"], [":.context2:", ":.context2:subject2"]),
]


@pytest.mark.parametrize("case", RECURSIVE_MODE_CASES, ids=[c[0] for c in RECURSIVE_MODE_CASES])
def test_recursive_mode_delete(registry, case):
    """RestApiModeTest.testRecursiveDelete* / testNonRecursiveDeleteContextMode...:
    ModeResource.deleteSubjectMode with recursive=true also deletes the mode of every
    subject of that context (KafkaSchemaRegistry.deleteModesForSubjectsUnderContext; the
    top level covers the default context), answers the context's old mode, or Mode(null)
    ({} under NON_EMPTY) when the context had none instead of 40401; other contexts keep
    theirs."""
    _java, modes, path, params, want, cleared, kept = case
    for scope, mode in modes:
        registry.set_mode(scope, mode)
    assert expect_ok(registry.delete(path, params=params)) == want
    for scope in cleared:
        expect_error(registry.get(f"/mode/{q(scope)}"), 404, 40409)
    for scope in kept:
        assert expect_ok(registry.get(f"/mode/{q(scope)}")) == {"mode": "READONLY"}, scope
    if path == "/mode":
        assert expect_ok(registry.get("/mode")) == {"mode": "READWRITE"}


# --------------------------------------------------------------------------------------------
# RestApiTest.testDeleteLatestVersion (+ latest with deleted=true)

# (action, argument, expected): "reg" text -> (id, version); "del" version -> answer;
# "latest" params -> text of latest, or (status, error_code)
DELETE_LATEST_STEPS = [
    ("reg", 0, (1, 1)),
    ("reg", 1, (2, 2)),
    ("del", "latest", 2),
    ("latest", None, 0),
    ("del", "latest", 1),
    ("latest", None, (404, 40401)),
    # getLatestVersion skips soft-deleted versions whatever `deleted` says; the subject
    # exists with deleted ones, so SubjectVersionsResource answers 40402
    ("latest", {"deleted": "true"}, (404, 40402)),
    ("reg", 2, (3, 3)),
    ("latest", None, 2),
]


def test_delete_latest_version(registry):
    """RestApiTest.testDeleteLatestVersion: DELETE .../versions/latest deletes the newest
    live version; with none left latest is 40401; a new registration is version 3.
    AbstractSchemaRegistry.get(subject, -1, true) is getLatestVersion (live only)."""
    registry.set_config(None, "NONE")
    texts = [_rec(f"dl{i}") for i in range(3)]
    for i, (action, arg, want) in enumerate(DELETE_LATEST_STEPS):
        where = f"step {i}: {action} {arg}"
        if action == "reg":
            b = expect_ok(registry.register("test", texts[arg]))
            assert (b["id"], b["version"]) == want, (where, b)
        elif action == "del":
            assert expect_ok(registry.delete_version("test", arg)) == want, where
        elif isinstance(want, tuple):
            expect_error(registry.version("test", "latest", params=arg), *want)
        else:
            assert expect_ok(registry.version("test", "latest", params=arg))["schema"] == \
                texts[want], where


def test_register_with_and_without_metadata(registry):
    """RestApiTest.testRegisterWithAndWithoutMetadata: a registration without metadata
    after one with it takes the previous version's metadata
    (AbstractSchemaRegistry.maybeSetMetadataRuleSet), so it is the same schema: same id,
    no new version."""
    md = {"properties": {"application.version": "2"}}
    a = expect_ok(registry.register("testSubject", MYRECORD, metadata=md))
    b = expect_ok(registry.register("testSubject", MYRECORD))
    assert (b["id"], b["version"], b["guid"]) == (a["id"], a["version"], a["guid"]), (a, b)
    assert expect_ok(registry.versions("testSubject")) == [1]


# --------------------------------------------------------------------------------------------
# RestApiContextTest.testContextPaths

def test_context_paths(registry):
    """RestApiContextTest.testContextPaths / testContextPathsImpl: clients whose base URL is
    /contexts/.ctx1, /contexts/.ctx2 and /contexts/:.: (ContextFilter) register and read in
    their context; ids start at 1 per context; /schemas/ids/{id}?subject= prefers a subject
    that holds the id (getSchemaKeyUsingContexts: testTopic2A's id 1 is .ctx2's, not the
    default context's); a non-empty context cannot be deleted (42211,
    Errors.CONTEXT_NOT_EMPTY_ERROR_CODE), an emptied one can (204)."""
    registry.set_config(None, "NONE")
    expect_ok(registry.put("/config/:.__GLOBAL:", {"compatibility": "NONE"}))
    c1, c2, c3 = (Api(registry.base + p) for p in ("/contexts/.ctx1", "/contexts/.ctx2",
                                                     "/contexts/:.:"))
    s1 = [_rec(f"cp1_{i}") for i in range(10)]
    s2 = [_rec(f"cp2_{i}") for i in range(5)]
    s3 = [_rec(f"cp3_{i}") for i in range(2)]
    expect_error(c1.versions("testTopic1"), 404, 40401)

    def reg_verify(api, text, want_id, subject):
        assert api.register_ok(subject, text) == want_id, (subject, text)
        assert expect_ok(api.get(f"/schemas/ids/{want_id}",
                                 params={"subject": subject}))["schema"] == text
    for i, t in enumerate(s1):
        reg_verify(c1, t, i + 1, "testTopic1")
    for i, t in enumerate(s1):
        assert c1.register_ok("testTopic1", t) == i + 1
    for i, t in enumerate(s2):
        for s in ("testTopic2A", "testTopic2B", "testTopic2C"):
            reg_verify(c2, t, i + 1, s)
    expect_error(c3.get("/schemas/ids/1"), 404, 40403)
    for i, t in enumerate(s3):
        reg_verify(c3, t, i + 1, "testTopic3")
    reads = [
        (c1, "/subjects/testTopic1/versions", None, list(range(1, 11))),
        (c2, "/subjects/testTopic2A/versions", None, list(range(1, 6))),
        (c3, "/subjects/testTopic3/versions", None, [1, 2]),
        (registry, "/subjects/testTopic3/versions", None, [1, 2]),
        (registry, "/subjects/:.:testTopic3/versions", None, [1, 2]),
        (c1, "/contexts", None, [".", ".ctx1", ".ctx2"]),
        (c1, "/subjects", None, [":.ctx1:testTopic1"]),
        (c2, "/subjects", None, [":.ctx2:testTopic2A", ":.ctx2:testTopic2B",
                                 ":.ctx2:testTopic2C"]),
        (c3, "/subjects", None, ["testTopic3"]),
        (registry, "/subjects", {"subjectPrefix": ""}, ["testTopic3"]),
    ]
    for api, path, params, want in reads:
        assert expect_ok(api.get(path, params=params)) == want, (api.base, path)
    assert expect_ok(registry.get("/schemas/ids/1", params={"subject": "testTopic3"}))[
        "schema"] == s3[0]
    assert expect_ok(registry.get("/schemas/ids/1", params={"subject": "testTopic2A"}))[
        "schema"] == s2[0]
    expect_ok(c1.delete_subject("testTopic1"))
    expect_ok(c1.delete_subject("testTopic1", permanent=True))
    expect_error(c1.versions("testTopic1"), 404, 40401)
    expect_error(registry.delete("/contexts/.ctx2"), 422, 42211)
    assert registry.delete("/contexts/.ctx1").status_code == 204
    assert expect_ok(c1.get("/contexts")) == [".", ".ctx2"]


# --------------------------------------------------------------------------------------------
# RestApiTest.testListSoftDeletedSubjectsAndSchemas

SOFT_DELETED_LISTINGS = [
    ("/subjects/test1/versions", None, [2]),
    ("/subjects/test1/versions", {"deleted": "true"}, [1, 2]),
    ("/subjects/test1/versions", {"deletedOnly": "true"}, [1]),
    ("/subjects/test1/versions", {"deletedAsNegative": "true"}, [-1, 2]),
    ("/subjects", None, ["test1"]),
    ("/subjects", {"deleted": "true"}, ["test1", "test2"]),
    ("/subjects", {"deletedOnly": "true"}, ["test2"]),
    ("/schemas/ids/3/versions", None, []),
    ("/schemas/ids/3/versions", {"deleted": "true"}, [{"subject": "test2", "version": 1}]),
    ("/schemas/ids/1/subjects", {"deleted": "true"}, ["test1"]),
]


def test_list_soft_deleted_subjects_and_schemas(registry):
    """RestApiTest.testListSoftDeletedSubjectsAndSchemas (+ testGetVersionsAssociatedWith
    SchemaId's deleted flag): versions and subjects with deleted / deletedOnly
    (SubjectVersionsResource.listVersions, SubjectsResource.list), and the uses of an id
    with and without deleted (SchemasResource.getVersions, listVersionsForId)."""
    registry.set_config(None, "NONE")
    for i, s in enumerate(["test1", "test1", "test2"]):
        assert registry.register_ok(s, _rec(f"sd{i}")) == i + 1
    assert expect_ok(registry.delete_version("test1", 1)) == 1
    assert expect_ok(registry.delete_version("test2", 1)) == 1
    for path, params, want in SOFT_DELETED_LISTINGS:
        assert expect_ok(registry.get(path, params=params)) == want, (path, params)


# --------------------------------------------------------------------------------------------
# RestApiTest.testDeleteSubjectBasic / testDeleteSubjectException / testDeleteSubjectPermanent

# (method, path, params, expected JSON, or (status, error_code, message))
DELETE_SUBJECT_STEPS = [
    ("DELETE", "/subjects/test", None, [1, 2]),
    ("GET", "/subjects/test/versions/latest", None, (404, 40401, msg_subject_not_found("test"))),
    ("POST", "/subjects/test", {"deleted": "true"}, 1),   # lookup of text 0 with deleted
    ("DELETE", "/subjects/test", None,
     (404, 40404, msg_subject_soft_deleted("test"))),
    ("DELETE", "/subjects/test", {"permanent": "true"}, [1, 2]),
    ("GET", "/subjects/test/versions", {"deleted": "true"},
     (404, 40401, msg_subject_not_found("test"))),
    ("DELETE", "/subjects/test", {"permanent": "true"},
     (404, 40401, msg_subject_not_found("test"))),
]


def test_delete_subject_soft_then_permanent(registry):
    """RestApiTest.testDeleteSubjectBasic, testDeleteSubjectException and
    testDeleteSubjectPermanent: a soft delete answers the versions and hides the subject;
    a deleted lookup still finds version 1; a second soft delete is 40404
    (SUBJECT_SOFT_DELETED); the permanent delete answers every version and leaves
    nothing (40401)."""
    registry.set_config(None, "NONE")
    texts = [_rec("ds0"), _rec("ds1")]
    for t in texts:
        registry.register_ok("test", t)
    for i, (method, path, params, want) in enumerate(DELETE_SUBJECT_STEPS):
        body = {"schema": texts[0]} if method == "POST" else ...
        r = registry.req(method, path, json_body=body, params=params)
        if isinstance(want, tuple):
            expect_error(r, *want)
        elif method == "POST":
            assert expect_ok(r)["version"] == want, (i, r.text)
        else:
            assert expect_ok(r) == want, (i, path)


# --------------------------------------------------------------------------------------------
# RestApiTest.testSchemaUnqualifiedReferencesInContext (referenceFormat=qualified)

SUB = ('{"type":"record","name":"Subrecord","namespace":"otherns","fields":'
       '[{"name":"f","type":"string"}]}')
PARENT = ('{"type":"record","name":"MyRecord","namespace":"ns","fields":'
          '[{"name":"f1","type":"otherns.Subrecord"}]}')


def test_unqualified_references_in_context(registry):
    """RestApiTest.testSchemaUnqualifiedReferencesInContext: a reference stored
    unqualified inside :.ctx: is answered as stored, and qualified with the referrer's
    context under referenceFormat=qualified (SchemasResource.getSchema and
    SubjectVersionsResource.getSchemaByVersion, QualifiedSubject
    .qualifySubjectWithParent); the subject of /schemas/ids/{id}?subject= is the
    referrer."""
    registry.register_ok(":.ctx:my_reference", SUB)
    refs = [{"name": "otherns.Subrecord", "subject": "my_reference", "version": 1}]
    pid = registry.register_ok(":.ctx:my_referrer", PARENT, references=refs)
    assert pid == 2
    by_id = {"subject": ":.ctx:my_referrer"}
    qual = {"referenceFormat": "qualified"}
    cases = [
        (f"/schemas/ids/{pid}", by_id, "my_reference"),
        ("/subjects/:.ctx:my_referrer/versions/1", None, "my_reference"),
        (f"/schemas/ids/{pid}", dict(by_id, **qual), ":.ctx:my_reference"),
        ("/subjects/:.ctx:my_referrer/versions/1", qual, ":.ctx:my_reference"),
    ]
    for path, params, want in cases:
        b = expect_ok(registry.get(path, params=params))
        assert b["references"][0]["subject"] == want, (path, params, b)
        assert (b["subject"], b["version"]) == (":.ctx:my_referrer", 1), b
    # a bare context: getSchemaKeyUsingContexts names a subject-version of the id there
    b = expect_ok(registry.get(f"/schemas/ids/{pid}", params={"subject": ":.ctx:", **qual}))
    assert b["references"][0]["subject"] == ":.ctx:my_reference", b
    assert (b["subject"], b["version"]) == (":.ctx:my_referrer", 1), b
