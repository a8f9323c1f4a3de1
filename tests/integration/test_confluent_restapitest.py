# SPDX-License-Identifier: Apache-2.0
"""Scenarios of Confluent's RestApiTest, step by step, as data: each step is one
request and what Confluent's test asserts about the answer. The docstring of each
scenario names the test method."""
import pytest

from conftest import expect_error, expect_ok, q

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
