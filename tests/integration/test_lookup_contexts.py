# SPDX-License-Identifier: Apache-2.0
"""POST /subjects/{s} (lookup): the other contexts and the second try.

Confluent's SubjectsResource.lookUpSchemaUnderSubject calls
AbstractSchemaRegistry.lookUpSchemaUnderSubjectUsingContexts: the subject as
named, then — for a subject of the default context only — the same name in
every known context (allContexts, in order), the first match winning. Not
found anywhere: 40401 when the subject as named has no versions
(hasSubjects), else 40403. Each try is lookUpSchemaUnderSubject(subject,
schema, ...): the identity as sent (text, references, metadata and rule set as
given, absent = none), then, when the subject has a latest version, once more
with maybeSetMetadataRuleSet(config, schema, latest): metadata/ruleSet =
merge(merge(config default, own or else the latest's), config override).
"""
from conftest import aname, expect_error, expect_ok, msg_subject_not_found, q, record


def _lookup(api, subject, schema, **fields):
    body = {"schema": schema}
    body.update(fields)
    return api.post(f"/subjects/{q(subject)}", body)


def test_unqualified_lookup_falls_back_to_other_contexts(mod_registry, uniq):
    s = uniq()
    n = aname()
    a, b, c = (record(n, (f, "int")) for f in ("a", "b", "c"))
    ida = mod_registry.register_ok(f":.lkc1:{s}", a)
    got = expect_ok(_lookup(mod_registry, s, a))
    assert got["subject"] == f":.lkc1:{s}" and got["id"] == ida and got["version"] == 1, got
    # not found anywhere, no such subject in the default context: 40401
    expect_error(_lookup(mod_registry, s, b), 404, 40401, msg_subject_not_found(s))
    # a qualified name is looked up in its context only
    expect_error(_lookup(mod_registry, f":.lkc2:{s}", a), 404, 40401)
    # the default context has the subject but not the schema: the other contexts still count
    mod_registry.register_ok(s, c)
    assert expect_ok(_lookup(mod_registry, s, a))["subject"] == f":.lkc1:{s}"
    assert expect_ok(_lookup(mod_registry, s, c))["subject"] == s
    expect_error(_lookup(mod_registry, s, b), 404, 40403)


def test_lookup_without_metadata_tries_the_latest_versions(mod_registry, uniq):
    """First the identity as sent (no metadata), then with the latest version's metadata:
    a version whose metadata is neither is not found (ferry used to match any metadata)."""
    s = uniq()
    n = aname()
    a = record(n, ("a", "int"))
    b = record(n, ("b", "int"))
    mod_registry.set_config(s, "NONE")
    mod_registry.register_ok(s, a, metadata={"properties": {"k": "1"}})
    mod_registry.register_ok(s, b, metadata={"properties": {"k": "2"}})
    expect_error(_lookup(mod_registry, s, a), 404, 40403)
    assert expect_ok(_lookup(mod_registry, s, b))["version"] == 2
    assert expect_ok(_lookup(mod_registry, s, a, metadata={"properties": {"k": "1"}}))[
        "version"] == 1
    # the identity as sent, without metadata, is found first
    mod_registry.register_ok(s, a)
    assert expect_ok(_lookup(mod_registry, s, a))["version"] == 3
    # the second try merges the config's defaults
    s2 = uniq("d")
    mod_registry.register_ok(s2, a, metadata={"properties": {"k": "1", "o": "x"}})
    expect_ok(mod_registry.put(f"/config/{q(s2)}",
                               {"overrideMetadata": {"properties": {"o": "x"}}}))
    assert expect_ok(_lookup(mod_registry, s2, a, metadata={"properties": {"k": "1"}}))[
        "version"] == 1
