# SPDX-License-Identifier: Apache-2.0
"""metadata / ruleSet: stored, echoed, part of the identity (sr-api §3, §5 step 6, §10)."""
from conftest import aname, check_schema_obj, expect_error, expect_ok, record

MD1 = {"properties": {"owner": "team-a", "application": "billing"}}
MD2 = {"properties": {"owner": "team-b"}}
MD_TAGS = {"tags": {"$.ssn": ["PII"]}, "properties": {"k": "v"}, "sensitive": ["k"]}
RULES = {"domainRules": [{"name": "checkA", "kind": "CONDITION", "mode": "WRITE", "type": "CEL",
                          "expr": "message.a > 0"}]}


def _strip_defaults(x):
    """Rule/RuleSet members that are false/empty may be omitted (NON_EMPTY) or written."""
    if isinstance(x, dict):
        return {k: _strip_defaults(v) for k, v in x.items() if v not in (False, None, [], {})}
    if isinstance(x, list):
        return [_strip_defaults(v) for v in x]
    return x


def test_metadata_is_stored_and_echoed(mod_registry, uniq):
    s = uniq()
    v = record(aname(), ("a", "int"))
    sid = mod_registry.register_ok(s, v, metadata=MD1)
    check_schema_obj(expect_ok(mod_registry.version(s, 1)), subject=s, version=1,
                     schema_id=sid, schema=v, metadata=MD1)
    b = expect_ok(mod_registry.get(f"/schemas/ids/{sid}"))
    assert b["metadata"] == MD1 and b["schema"] == v


def test_metadata_tags_and_sensitive_round_trip(mod_registry, uniq):
    s = uniq()
    v = record(aname(), ("ssn", "string"))
    sid = mod_registry.register_ok(s, v, metadata=MD_TAGS)
    assert expect_ok(mod_registry.get(f"/schemas/ids/{sid}"))["metadata"] == MD_TAGS


def test_ruleset_is_stored_and_echoed(mod_registry, uniq):
    s = uniq()
    v = record(aname(), ("a", "int"))
    sid = mod_registry.register_ok(s, v, ruleSet=RULES)
    b = expect_ok(mod_registry.version(s, 1))
    assert _strip_defaults(b["ruleSet"]) == RULES
    assert _strip_defaults(expect_ok(mod_registry.get(f"/schemas/ids/{sid}"))["ruleSet"]) == RULES


def test_same_schema_different_metadata_gets_new_id_and_version(mod_registry, uniq):
    s = uniq()
    v = record(aname(), ("a", "int"))
    id1 = mod_registry.register_ok(s, v, metadata=MD1)
    id2 = mod_registry.register_ok(s, v, metadata=MD2)
    assert id1 != id2
    assert expect_ok(mod_registry.versions(s)) == [1, 2]
    assert expect_ok(mod_registry.version(s, 2))["metadata"] == MD2
    # same text, same metadata elsewhere -> same id as the first
    assert mod_registry.register_ok(uniq("b"), v, metadata=MD1) == id1
    # plain text (no metadata) in a fresh subject is yet another identity
    id3 = mod_registry.register_ok(uniq("c"), v)
    assert id3 not in (id1, id2)


def test_same_schema_different_ruleset_gets_new_id(mod_registry, uniq):
    s = uniq()
    v = record(aname(), ("a", "int"))
    id1 = mod_registry.register_ok(s, v)
    id2 = mod_registry.register_ok(s, v, ruleSet=RULES)
    assert id1 != id2
    assert expect_ok(mod_registry.versions(s)) == [1, 2]


def test_new_version_without_metadata_inherits_previous(mod_registry, uniq):
    """sr-api §10: a request omitting metadata inherits the previous live version's."""
    s = uniq()
    n = aname()
    v1 = record(n, ("a", "int"))
    id1 = mod_registry.register_ok(s, v1, metadata=MD1)
    assert mod_registry.register_ok(s, v1) == id1  # same identity after inheritance
    assert expect_ok(mod_registry.versions(s)) == [1]
    v2 = record(n, ("a", "int"), ("b", "int", 0))
    id2 = mod_registry.register_ok(s, v2)
    check_schema_obj(expect_ok(mod_registry.version(s, 2)), subject=s, version=2,
                     schema_id=id2, schema=v2, metadata=MD1)


def test_lookup_with_metadata(mod_registry, uniq):
    s = uniq()
    v = record(aname(), ("a", "int"))
    mod_registry.register_ok(s, v, metadata=MD1)
    id2 = mod_registry.register_ok(s, v, metadata=MD2)
    b = expect_ok(mod_registry.lookup(s, v, metadata=MD2))
    assert (b["version"], b["id"], b["metadata"]) == (2, id2, MD2)


def test_duplicate_rule_names_are_42210(mod_registry, uniq):
    s = uniq()
    rule = RULES["domainRules"][0]
    bad = {"domainRules": [rule, dict(rule)]}
    r = mod_registry.register(s, record(aname(), ("a", "int")), ruleSet=bad)
    expect_error(r, 422, 42210)
    expect_error(mod_registry.versions(s), 404, 40401)


def test_rule_without_name_or_type_is_42210(mod_registry, uniq):
    s = uniq()
    for rule in ({"kind": "CONDITION", "mode": "WRITE", "type": "CEL", "expr": "true"},
                 {"name": "r", "kind": "CONDITION", "mode": "WRITE", "expr": "true"}):
        r = mod_registry.register(s, record(aname(), ("a", "int")),
                                  ruleSet={"domainRules": [rule]})
        expect_error(r, 422, 42210)
    expect_error(mod_registry.versions(s), 404, 40401)


def test_explicit_version_outside_import(mod_registry, uniq):
    """sr-api §4 (42201 'Version is not one more than previous version'), §5 step 3 and §10:
    a request carrying `version` must name the next version; it sets metadata property
    confluent:version, which then keeps tracking later versions."""
    s = uniq()
    mod_registry.set_config(s, "NONE")
    mod_registry.register_ok(s, '"int"', version=1)
    assert expect_ok(mod_registry.version(s, 1))["metadata"] == \
        {"properties": {"confluent:version": "1"}}
    expect_error(mod_registry.register(s, '"long"', version=5), 422, 42201,
                 "Version is not one more than previous version")
    assert expect_ok(mod_registry.versions(s)) == [1]
    mod_registry.register_ok(s, '"long"', version=2)
    assert expect_ok(mod_registry.version(s, 2))["metadata"] == \
        {"properties": {"confluent:version": "2"}}
    mod_registry.register_ok(s, '"float"')
    assert expect_ok(mod_registry.version(s, 3))["metadata"] == \
        {"properties": {"confluent:version": "3"}}


# ---- config defaultMetadata / overrideMetadata / defaultRuleSet / overrideRuleSet
# AbstractSchemaRegistry.maybeSetMetadataRuleSet: a new version carries
# merge(merge(default, its own or the previous version's), override) — Metadata.mergeMetadata
# puts the newer side's properties/tags over the older's and unions `sensitive`;
# RuleSet.mergeRuleSets replaces rules by name — and the merged value is the identity.

def _rule(name, expr):
    return {"name": name, "kind": "CONDITION", "mode": "WRITE", "type": "CEL", "expr": expr}


def test_config_default_and_override_metadata_are_merged_into_a_registration(mod_registry, uniq):
    s = uniq()
    expect_ok(mod_registry.put(f"/config/{s}", {
        "defaultMetadata": {"properties": {"owner": "default", "team": "x"},
                            "sensitive": ["b", "a"]},
        "overrideMetadata": {"properties": {"owner": "forced"}, "sensitive": ["c"]}}))
    n = aname()
    v1 = record(n, ("a", "int"))
    sid = mod_registry.register_ok(s, v1, metadata={"properties": {"owner": "me", "app": "b"}})
    md = expect_ok(mod_registry.version(s, 1))["metadata"]
    assert md["properties"] == {"app": "b", "owner": "forced", "team": "x"}
    assert md["sensitive"] == ["a", "b", "c"]
    # the merged metadata is the identity: the same request is the same version
    assert mod_registry.register_ok(s, v1, metadata={"properties": {"owner": "me", "app": "b"}}) \
        == sid
    # a new version without metadata starts from the previous version's
    v2 = record(n, ("a", "int"), ("b", "int", 0))
    mod_registry.register_ok(s, v2)
    assert expect_ok(mod_registry.version(s, 2))["metadata"]["properties"] == \
        {"app": "b", "owner": "forced", "team": "x"}


def test_config_default_and_override_rulesets_merge_rules_by_name(mod_registry, uniq):
    s = uniq()
    expect_ok(mod_registry.put(f"/config/{s}", {
        "defaultRuleSet": {"domainRules": [_rule("r1", "message.a > 0"),
                                           _rule("r2", "message.a < 9")]},
        "overrideRuleSet": {"domainRules": [_rule("r3", "true")]}}))
    v = record(aname(), ("a", "int"))
    mod_registry.register_ok(s, v, ruleSet={"domainRules": [_rule("r2", "message.a < 5")]})
    rs = expect_ok(mod_registry.version(s, 1))["ruleSet"]
    got = [(r["name"], r["expr"]) for r in rs["domainRules"]]
    assert got == [("r1", "message.a > 0"), ("r2", "message.a < 5"), ("r3", "true")]


def test_config_defaults_do_not_apply_in_import_mode(registry):
    """KafkaSchemaRegistry.register calls maybePopulateFromPrevious only outside
    IMPORT/FORWARD: an import is stored as sent."""
    s = "imdflt"
    expect_ok(registry.put(f"/config/{s}", {
        "overrideMetadata": {"properties": {"owner": "forced"}}}))
    registry.set_mode(s, "IMPORT")
    v = record(aname(), ("a", "int"))
    expect_ok(registry.register(s, v, id=50, version=1,
                                metadata={"properties": {"owner": "me"}}))
    assert expect_ok(registry.version(s, 1))["metadata"] == {"properties": {"owner": "me"}}


def test_compatibility_group_checks_only_versions_of_the_same_group(mod_registry, uniq):
    """AbstractSchemaRegistry.isCompatibleWithPrevious: with config compatibilityGroup
    set, only previous versions whose metadata property of that name equals the new
    one's (absent included) are checked; non-transitive levels take the latest of them."""
    s = uniq()
    expect_ok(mod_registry.put(f"/config/{s}", {"compatibility": "BACKWARD",
                                                "compatibilityGroup": "major"}))
    n = aname()
    v1 = record(n, ("a", "int"))
    breaking = record(n, ("a", "string"))
    mod_registry.register_ok(s, v1, metadata={"properties": {"major": "1"}})
    # another group: nothing to be compatible with
    mod_registry.register_ok(s, breaking, metadata={"properties": {"major": "2"}})
    # back in group 1, the latest of group 1 is v1: the same break is refused
    r = mod_registry.register(s, record(n, ("a", "string"), ("b", "int", 0)),
                              metadata={"properties": {"major": "1"}})
    expect_error(r, 409, 409)
    # no value is a group of its own (the versions without the property: none yet)
    mod_registry.register_ok(s, record(n, ("z", "boolean")), metadata={"properties": {"x": "y"}})
    # the compatibility endpoint filters the same way: the latest (no "major") is not
    # in group 1, so there is nothing to check; version 1 is
    body = {"schema": record(n, ("a", "boolean")), "metadata": {"properties": {"major": "1"}}}
    assert expect_ok(mod_registry.post(f"/compatibility/subjects/{s}/versions/latest",
                                       body)) == {"is_compatible": True}
    assert expect_ok(mod_registry.post(f"/compatibility/subjects/{s}/versions/1",
                                       body)) == {"is_compatible": False}
    assert expect_ok(mod_registry.post(f"/compatibility/subjects/{s}/versions",
                                       body)) == {"is_compatible": False}
