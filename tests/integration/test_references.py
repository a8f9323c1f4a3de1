# SPDX-License-Identifier: Apache-2.0
"""Schema references (sr-api §9, §2.4 referencedby, 42206 on delete)."""
import json

from conftest import (aname, avro, check_schema_obj, expect_error, expect_ok, q, record)


def _addr(name):
    return record(name, ("street", "string"))


def _person(name, addr_name):
    return record(name, ("home", addr_name))


def _setup(api, uniq):
    """addr v1 = Address; person v1 = Person referencing addr v1."""
    addr, person = uniq("addr"), uniq("person")
    an, pn = aname("Address"), aname("Person")
    a = _addr(an)
    aid = api.register_ok(addr, a)
    p = _person(pn, an)
    refs = [{"name": an, "subject": addr, "version": 1}]
    pid = api.register_ok(person, p, references=refs)
    return addr, person, an, pn, a, p, aid, pid, refs


def test_register_with_reference_stores_and_echoes_references(mod_registry, uniq):
    addr, person, an, pn, a, p, aid, pid, refs = _setup(mod_registry, uniq)
    assert pid != aid
    check_schema_obj(expect_ok(mod_registry.version(person, 1)), subject=person, version=1,
                     schema_id=pid, schema=p, references=refs)
    b = expect_ok(mod_registry.get(f"/schemas/ids/{pid}"))
    assert b["schema"] == p and b["references"] == refs
    r = mod_registry.get(f"/schemas/ids/{pid}/schema")
    assert r.status_code == 200 and r.text == p
    listed = [x for x in expect_ok(mod_registry.get("/schemas", params={"subjectPrefix": person}))]
    assert listed[0]["references"] == refs


def test_register_with_reference_is_idempotent_and_lookup_finds_it(mod_registry, uniq):
    addr, person, an, pn, a, p, aid, pid, refs = _setup(mod_registry, uniq)
    assert mod_registry.register_ok(person, p, references=refs) == pid
    assert expect_ok(mod_registry.versions(person)) == [1]
    check_schema_obj(expect_ok(mod_registry.lookup(person, p, references=refs)),
                     subject=person, version=1, schema_id=pid, schema=p, references=refs)


def test_same_text_with_other_reference_version_is_a_new_id(mod_registry, uniq):
    addr, person, an, pn, a, p, aid, pid, refs = _setup(mod_registry, uniq)
    mod_registry.register_ok(addr, record(an, ("street", "string"), ("zip", "string", "")))
    refs2 = [{"name": an, "subject": addr, "version": 2}]
    other = uniq("person2")
    pid2 = mod_registry.register_ok(other, p, references=refs2)
    assert pid2 != pid
    assert expect_ok(mod_registry.get(f"/schemas/ids/{pid2}"))["references"] == refs2


def test_reference_version_minus_one_is_stored_as_concrete_version(mod_registry, uniq):
    addr = uniq("addr")
    an = aname("Address")
    mod_registry.register_ok(addr, _addr(an))
    mod_registry.register_ok(addr, record(an, ("street", "string"), ("zip", "string", "")))
    person = uniq("person")
    pid = mod_registry.register_ok(person, _person(aname("Person"), an),
                                   references=[{"name": an, "subject": addr, "version": -1}])
    assert expect_ok(mod_registry.version(person, 1))["references"] == \
        [{"name": an, "subject": addr, "version": 2}]
    assert expect_ok(mod_registry.get(f"/schemas/ids/{pid}"))["references"] == \
        [{"name": an, "subject": addr, "version": 2}]


def test_transitive_references_resolve(mod_registry, uniq):
    street_s, addr_s, person_s = uniq("street"), uniq("addr"), uniq("person")
    sn, an, pn = aname("Street"), aname("Address"), aname("Person")
    street = record(sn, ("name", "string"))
    mod_registry.register_ok(street_s, street)
    addr = record(an, ("street", sn))
    mod_registry.register_ok(addr_s, addr, references=[{"name": sn, "subject": street_s,
                                                        "version": 1}])
    person = record(pn, ("home", an), ("work", an))
    refs = [{"name": an, "subject": addr_s, "version": 1}]
    pid = mod_registry.register_ok(person_s, person, references=refs)
    check_schema_obj(expect_ok(mod_registry.version(person_s, 1)), subject=person_s, version=1,
                     schema_id=pid, schema=person, references=refs)
    # the street type is reachable only through the address schema's own references
    resolved = expect_ok(mod_registry.get(f"/schemas/ids/{pid}",
                                          params={"format": "resolved"}))["schema"]
    txt = json.dumps(json.loads(resolved))
    assert sn in txt and an in txt


def test_resolved_format_inlines_referenced_types(mod_registry, uniq):
    addr, person, an, pn, a, p, aid, pid, refs = _setup(mod_registry, uniq)
    b = expect_ok(mod_registry.get(f"/schemas/ids/{pid}", params={"format": "resolved"}))
    doc = json.loads(b["schema"])
    assert doc["name"] == pn
    assert doc["fields"][0]["type"] == json.loads(a)
    # unknown formats fall back to canonical (sr-api §2.2)
    assert expect_ok(mod_registry.get(f"/schemas/ids/{pid}",
                                      params={"format": "bogus"}))["schema"] == p
    # the subject-version answers the same (SubjectVersionsResource.getSchemaByVersion)
    v = expect_ok(mod_registry.version(person, 1, params={"format": "resolved"}))
    assert v["schema"] == b["schema"] and v["references"] == refs
    assert expect_ok(mod_registry.version(person, 1, params={"format": "bogus"}))["schema"] == p


def test_missing_reference_subject_is_42201(mod_registry, uniq):
    person = uniq("person")
    nope = uniq("nope")
    an = aname("Address")
    r = mod_registry.register(person, _person(aname("Person"), an),
                              references=[{"name": an, "subject": nope, "version": 1}])
    expect_error(r, 422, 42201, f'No schema reference found for subject "{nope}" and version 1')
    expect_error(mod_registry.versions(person), 404, 40401)


def test_missing_reference_version_is_42201(mod_registry, uniq):
    addr = uniq("addr")
    an = aname("Address")
    mod_registry.register_ok(addr, _addr(an))
    person = uniq("person")
    r = mod_registry.register(person, _person(aname("Person"), an),
                              references=[{"name": an, "subject": addr, "version": 5}])
    expect_error(r, 422, 42201, f'No schema reference found for subject "{addr}" and version 5')


def test_reference_to_soft_deleted_version_is_42201_for_new_schema(mod_registry, uniq):
    addr = uniq("addr")
    an = aname("Address")
    mod_registry.register_ok(addr, _addr(an))
    expect_ok(mod_registry.delete_subject(addr))
    person = uniq("person")
    r = mod_registry.register(person, _person(aname("Person"), an),
                              references=[{"name": an, "subject": addr, "version": 1}])
    expect_error(r, 422, 42201)


def test_incomplete_reference_is_42201(mod_registry, uniq):
    addr = uniq("addr")
    an = aname("Address")
    mod_registry.register_ok(addr, _addr(an))
    person = uniq("person")
    for ref in ({"subject": addr, "version": 1}, {"name": an, "version": 1}):
        r = mod_registry.register(person, _person(aname("Person"), an), references=[ref])
        expect_error(r, 422, 42201)
    expect_error(mod_registry.versions(person), 404, 40401)


def test_named_type_without_reference_is_42201(mod_registry, uniq):
    addr = uniq("addr")
    an = aname("Address")
    mod_registry.register_ok(addr, _addr(an))
    person = uniq("person")
    expect_error(mod_registry.register(person, _person(aname("Person"), an)), 422, 42201)


def test_referencedby_lists_referrer_ids_ascending(mod_registry, uniq):
    addr, person, an, pn, a, p, aid, pid, refs = _setup(mod_registry, uniq)
    other = uniq("other")
    oid = mod_registry.register_ok(other, record(aname("Other"), ("x", an)), references=refs)
    got = expect_ok(mod_registry.get(f"/subjects/{q(addr)}/versions/1/referencedby"))
    assert got == sorted([pid, oid])
    assert expect_ok(mod_registry.get(f"/subjects/{q(addr)}/versions/latest/referencedby")) == got
    assert expect_ok(mod_registry.get(f"/subjects/{q(person)}/versions/1/referencedby")) == []


def test_deleting_referenced_version_or_subject_is_42206(mod_registry, uniq):
    addr, person, an, pn, a, p, aid, pid, refs = _setup(mod_registry, uniq)
    for r in (mod_registry.delete_version(addr, 1), mod_registry.delete_subject(addr)):
        b = expect_error(r, 422, 42206)
        assert b["message"].startswith("One or more references exist to the schema"), b
        assert addr in b["message"], b
    assert expect_ok(mod_registry.versions(addr)) == [1]


def test_soft_deleted_referrer_allows_soft_delete_but_blocks_permanent(mod_registry, uniq):
    """sr-api §2.3/§2.4: soft delete ignores soft-deleted referrers, permanent counts them.
    KafkaSchemaRegistry.deleteSchemaVersion checks getReferencedBy(key, permanentDelete) and
    deleteSubject getReferencedBySubjects(key, permanentDelete): with permanent=true the
    lookup includes soft-deleted referrers (AbstractSchemaRegistry.getReferencedBy), so a
    permanent delete under a soft-deleted referrer is 42206 (released 7.x-8.3 count every
    referrer, soft-deleted ones included, for soft deletes too)."""
    addr, person, an, pn, a, p, aid, pid, refs = _setup(mod_registry, uniq)
    assert expect_ok(mod_registry.delete_subject(person)) == [1]
    assert expect_ok(mod_registry.delete_version(addr, 1)) == 1
    expect_error(mod_registry.delete_version(addr, 1, permanent=True), 422, 42206)
    expect_error(mod_registry.delete_subject(addr, permanent=True), 422, 42206)
    # once the referrer is gone for good, the target can go too
    assert expect_ok(mod_registry.delete_subject(person, permanent=True)) == [1]
    assert expect_ok(mod_registry.delete_version(addr, 1, permanent=True)) == 1


def test_referrer_id_still_resolves_after_soft_delete(mod_registry, uniq):
    addr, person, an, pn, a, p, aid, pid, refs = _setup(mod_registry, uniq)
    expect_ok(mod_registry.delete_subject(person))
    b = expect_ok(mod_registry.get(f"/schemas/ids/{pid}"))
    assert b["schema"] == p and b["references"] == refs


def test_reference_in_compatibility_check(mod_registry, uniq):
    addr, person, an, pn, a, p, aid, pid, refs = _setup(mod_registry, uniq)
    newer = record(pn, ("home", an), ("note", "string", ""))
    r = mod_registry.post(f"/compatibility/subjects/{q(person)}/versions/latest",
                          {"schema": newer, "references": refs})
    assert expect_ok(r) == {"is_compatible": True}
    broken = record(pn, ("home", an), ("note", "string"))
    r = mod_registry.post(f"/compatibility/subjects/{q(person)}/versions/latest",
                          {"schema": broken, "references": refs})
    assert expect_ok(r) == {"is_compatible": False}


def test_union_of_referenced_types(mod_registry, uniq):
    """The 'all types in one topic' pattern: a top-level union of references."""
    s1, s2, top = uniq("a"), uniq("b"), uniq("top")
    n1, n2 = aname("A"), aname("B")
    mod_registry.register_ok(s1, record(n1, ("x", "int")))
    mod_registry.register_ok(s2, record(n2, ("y", "int")))
    refs = [{"name": n1, "subject": s1, "version": 1}, {"name": n2, "subject": s2, "version": 1}]
    u = avro([n1, n2])
    uid = mod_registry.register_ok(top, u, references=refs)
    check_schema_obj(expect_ok(mod_registry.version(top, 1)), subject=top, version=1,
                     schema_id=uid, schema=u, references=refs)
