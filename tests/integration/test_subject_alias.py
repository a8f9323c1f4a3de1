# SPDX-License-Identifier: Apache-2.0
"""Subject aliases: PUT /config/{alias} {"alias": "target"}.

Confluent's AliasFilter (a @PreMatching filter after ContextFilter) rewrites
every request, whatever its method: the path segment after each `subjects`
segment, and the `subject` query argument of /schemas/ids/..., become the
alias target when that subject's *own* config (SchemaRegistry.getConfig, no
inheritance: a top-level alias is never used, testGlobalAliasNotUsed) has a
non-empty `alias`. An unqualified target is put in the alias's own context
(QualifiedSubject.qualifySubjectWithParent). /config/{alias} and /mode/{alias}
are not rewritten. So reads *and* writes (register, delete, compatibility)
through the alias reach the target. Cases after RestApiCompatibilityTest
testSubjectAlias*, testGlobalAliasNotUsed.
"""
from conftest import aname, expect_error, expect_ok, msg_subject_not_found, q, record


def test_alias_reads_resolve_to_target(registry, uniq):
    """RestApiCompatibilityTest.testSubjectAlias / testSubjectAliasWithSlash."""
    target, alias = uniq("t"), uniq("a") + "/x"
    v1 = record(aname(), ("f1", "string"))
    sid = registry.register_ok(target, v1)
    # before the alias: nothing there
    expect_error(registry.version(alias, 1), 404, 40401, msg_subject_not_found(alias))
    assert expect_ok(registry.put(f"/config/{q(alias)}", {"alias": target})) == {"alias": target}
    b = expect_ok(registry.version(alias, 1))
    assert b["subject"] == target and b["id"] == sid and b["schema"] == v1
    assert expect_ok(registry.versions(alias)) == [1]
    assert expect_ok(registry.get(f"/subjects/{q(alias)}/versions/latest/schema")) == \
        expect_ok(registry.get(f"/subjects/{q(target)}/versions/latest/schema"))
    assert expect_ok(registry.lookup(alias, v1))["subject"] == target
    assert expect_ok(registry.get(f"/schemas/ids/{sid}", params={"subject": alias}))["schema"] == v1
    # the alias's own config is not rewritten
    assert expect_ok(registry.get(f"/config/{q(alias)}"))["alias"] == target
    # and the alias is not a subject of its own
    assert alias not in expect_ok(registry.get("/subjects"))


def test_alias_writes_reach_target(registry, uniq):
    """The filter rewrites POST/DELETE too: register, compatibility and delete act on the
    target."""
    target, alias = uniq("t"), uniq("a")
    n = aname()
    v1 = record(n, ("a", "int"))
    registry.register_ok(target, v1)
    expect_ok(registry.put(f"/config/{q(alias)}", {"alias": target}))
    v2 = record(n, ("a", "int"), ("b", "int", 0))
    registry.register_ok(alias, v2)
    assert expect_ok(registry.versions(target)) == [1, 2]
    bad = record(n, ("a", "string"))
    assert expect_ok(registry.post(f"/compatibility/subjects/{q(alias)}/versions/latest",
                                   {"schema": bad})) == {"is_compatible": False}
    expect_error(registry.register(alias, bad), 409, 409)
    assert expect_ok(registry.delete_version(alias, 2)) == 2
    assert expect_ok(registry.versions(target)) == [1]
    assert expect_ok(registry.delete_subject(alias)) == [1]
    expect_error(registry.versions(target), 404, 40401)
    # removing the alias config ends the rewriting
    expect_ok(registry.delete(f"/config/{q(alias)}"))
    registry.register_ok(alias, v1)
    assert expect_ok(registry.versions(alias)) == [1]
    expect_error(registry.versions(target), 404, 40401)


def test_alias_in_contexts(registry, uniq):
    """testSubjectAliasWithContext: a qualified target in another context, read through
    /contexts/.ctx2; an unqualified target stays in the alias's context."""
    s = uniq()
    v1 = record(aname(), ("f1", "string"))
    sid = registry.register_ok(f":.actx1:{s}", v1)
    expect_ok(registry.put(f"/config/{q(f':.actx2:{s}-alias')}", {"alias": f":.actx1:{s}"}))
    b = expect_ok(registry.get(f"/contexts/.actx2/subjects/{q(s + '-alias')}/versions/1"))
    assert b["subject"] == f":.actx1:{s}" and b["id"] == sid
    # unqualified target: same context as the alias
    expect_ok(registry.put(f"/config/{q(f':.actx1:{s}-same')}", {"alias": s}))
    b = expect_ok(registry.version(f":.actx1:{s}-same", 1))
    assert b["subject"] == f":.actx1:{s}"
    expect_ok(registry.put(f"/config/{q(s + '-dflt')}", {"alias": s + "-none"}))
    expect_error(registry.version(s + "-dflt", 1), 404, 40401, msg_subject_not_found(s + "-none"))


def test_global_alias_not_used(registry, uniq):
    """RestApiCompatibilityTest.testGlobalAliasNotUsed: only a subject's own config counts."""
    s = uniq()
    v1 = record(aname(), ("f1", "string"))
    registry.register_ok(s, v1)
    expect_ok(registry.put("/config", {"alias": "badSubject", "validateFields": False}))
    assert expect_ok(registry.version(s, 1))["schema"] == v1
