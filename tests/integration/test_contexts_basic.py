# SPDX-License-Identifier: Apache-2.0
"""The basic part of contexts (sr-api §8, §5.1): qualified subjects, per-context ids,
default-context normalisation, listing scopes."""
from conftest import aname, expect_ok, q, record


def test_default_context_prefix_is_normalised_away(registry):
    v = record(aname(), ("a", "int"))
    sid = registry.register_ok(":.:plain", v)
    assert expect_ok(registry.versions("plain")) == [1]
    assert expect_ok(registry.version("plain", 1))["subject"] == "plain"
    assert expect_ok(registry.get("/subjects")) == ["plain"]
    assert registry.register_ok("plain", v) == sid


def test_named_context_has_its_own_ids_and_qualified_names(registry):
    x = record(aname("X"), ("a", "int"))
    y = record(aname("Y"), ("a", "int"))
    idx = registry.register_ok("s", x)
    idy = registry.register_ok(":.ctx1:s", y)
    assert idx == 1 and idy == 1  # every context counts from 1
    assert expect_ok(registry.get("/schemas/ids/1"))["schema"] == x
    assert expect_ok(registry.get("/schemas/ids/1", params={"subject": ":.ctx1:"}))["schema"] == y
    assert expect_ok(registry.get("/schemas/ids/1", params={"subject": ":.ctx1:s"}))["schema"] \
        == y
    assert expect_ok(registry.get("/subjects")) == [":.ctx1:s", "s"]
    assert expect_ok(registry.get("/subjects", params={"subjectPrefix": ":.ctx1:"})) == \
        [":.ctx1:s"]
    assert expect_ok(registry.get("/subjects", params={"subjectPrefix": "s"})) == ["s"]
    # GET /schemas without a prefix covers only the default context
    assert [e["subject"] for e in expect_ok(registry.get("/schemas"))] == ["s"]
    assert [e["subject"] for e in expect_ok(registry.get(
        "/schemas", params={"subjectPrefix": ":.ctx1:"}))] == [":.ctx1:s"]
    b = expect_ok(registry.version(":.ctx1:s", 1))
    assert (b["subject"], b["id"], b["schema"]) == (":.ctx1:s", 1, y)
    assert expect_ok(registry.get("/contexts")) == [".", ".ctx1"]


def test_same_schema_in_two_contexts(registry):
    v = record(aname(), ("a", "int"))
    registry.register_ok("first", record(aname(), ("z", "int")))
    d = registry.register_ok("a", v)
    c = registry.register_ok(":.other:a", v)
    assert (d, c) == (2, 1)
    assert expect_ok(registry.get(f"/schemas/ids/{c}/subjects",
                                  params={"subject": ":.other:"})) == [":.other:a"]


def test_context_subject_percent_encoded(registry):
    v = record(aname(), ("a", "int"))
    registry.register_ok(":.enc:x/y", v)
    assert expect_ok(registry.get(f"/subjects/{q(':.enc:x/y')}/versions")) == [1]
