# SPDX-License-Identifier: Apache-2.0
"""GET/DELETE /subjects/{s}/versions[/{v}[/schema|/referencedby]] (sr-api §1 path params, §2.4)."""
import uuid

import pytest

from conftest import (check_schema_obj, expect_error, expect_ok, msg_bad_version,
                      msg_subject_not_found, msg_version_not_found,
                      msg_version_not_soft_deleted, msg_version_soft_deleted, q, record)


def _three_versions(api, s):
    name = "V_" + uuid.uuid4().hex[:8]  # ids must not be shared with other tests' subjects
    schemas = [record(name, ("a", "int")),
               record(name, ("a", "int"), ("b", "int", 0)),
               record(name, ("a", "int"), ("b", "int", 0), ("c", "int", 0))]
    ids = [api.register_ok(s, x) for x in schemas]
    return schemas, ids


def test_versions_list_is_ascending(mod_registry, uniq):
    s = uniq()
    _three_versions(mod_registry, s)
    assert expect_ok(mod_registry.versions(s)) == [1, 2, 3]


def test_versions_of_unknown_subject_is_40401(mod_registry, uniq):
    s = uniq()
    expect_error(mod_registry.versions(s), 404, 40401, msg_subject_not_found(s))


def test_versions_list_deleted_flags(mod_registry, uniq):
    s = uniq()
    _three_versions(mod_registry, s)
    assert expect_ok(mod_registry.delete_version(s, 2)) == 2
    assert expect_ok(mod_registry.versions(s)) == [1, 3]
    assert expect_ok(mod_registry.versions(s, {"deleted": "true"})) == [1, 2, 3]
    assert expect_ok(mod_registry.versions(s, {"deletedOnly": "true"})) == [2]
    # deletedAsNegative alone: whether it also includes soft-deleted versions is not pinned
    # down by sr-api §2.4 -> only checked together with deleted=true
    assert expect_ok(mod_registry.versions(
        s, {"deleted": "true", "deletedAsNegative": "true"})) == [1, -2, 3]


def test_versions_list_flag_precedence_as_confluent(mod_registry, uniq):
    """SubjectVersionsResource.listVersions (8.x): the subject must exist, counting
    soft-deleted versions under deleted or deletedOnly; then deletedAsNegative wins
    over deletedOnly, which wins over deleted (AbstractSchemaRegistry filter)."""
    s = uniq()
    _three_versions(mod_registry, s)
    assert expect_ok(mod_registry.versions(s, {"deletedOnly": "true"})) == []
    assert expect_ok(mod_registry.delete_version(s, 2)) == 2
    assert expect_ok(mod_registry.versions(s, {"deletedAsNegative": "true"})) == [1, -2, 3]
    assert expect_ok(mod_registry.versions(
        s, {"deletedOnly": "true", "deletedAsNegative": "true"})) == [1, -2, 3]
    assert expect_ok(mod_registry.versions(s, {"deleted": "true", "deletedOnly": "true"})) == [2]
    expect_ok(mod_registry.delete_subject(s))
    # only soft-deleted versions left: deletedAsNegative alone does not make it exist
    expect_error(mod_registry.versions(s, {"deletedAsNegative": "true"}), 404, 40401,
                 msg_subject_not_found(s))
    assert expect_ok(mod_registry.versions(s, {"deletedOnly": "true"})) == [1, 2, 3]


def test_versions_list_of_fully_soft_deleted_subject(mod_registry, uniq):
    s = uniq()
    _three_versions(mod_registry, s)
    expect_ok(mod_registry.delete_subject(s))
    expect_error(mod_registry.versions(s), 404, 40401, msg_subject_not_found(s))
    assert expect_ok(mod_registry.versions(s, {"deleted": "true"})) == [1, 2, 3]


def test_versions_list_pagination(mod_registry, uniq):
    s = uniq()
    _three_versions(mod_registry, s)
    assert expect_ok(mod_registry.versions(s, {"offset": "1"})) == [2, 3]
    assert expect_ok(mod_registry.versions(s, {"limit": "2"})) == [1, 2]
    assert expect_ok(mod_registry.versions(s, {"offset": "1", "limit": "1"})) == [2]
    assert expect_ok(mod_registry.versions(s, {"limit": "-1"})) == [1, 2, 3]


def test_get_version_returns_schema_obj(mod_registry, uniq):
    s = uniq()
    schemas, ids = _three_versions(mod_registry, s)
    for v in (1, 2, 3):
        check_schema_obj(expect_ok(mod_registry.version(s, v)), subject=s, version=v,
                         schema_id=ids[v - 1], schema=schemas[v - 1])


@pytest.mark.parametrize("alias", ["latest", "LATEST", "Latest", "-1", "%20latest%20"])
def test_latest_aliases_resolve_to_highest_live_version(mod_registry, uniq, alias):
    s = uniq()
    schemas, ids = _three_versions(mod_registry, s)
    check_schema_obj(expect_ok(mod_registry.version(s, alias)), subject=s, version=3,
                     schema_id=ids[2], schema=schemas[2])


def test_latest_skips_soft_deleted_versions(mod_registry, uniq):
    s = uniq()
    schemas, ids = _three_versions(mod_registry, s)
    expect_ok(mod_registry.delete_version(s, 3))
    check_schema_obj(expect_ok(mod_registry.version(s, "latest")), subject=s, version=2,
                     schema_id=ids[1], schema=schemas[1])


@pytest.mark.parametrize("bad", ["0", "-2", "abc", "2147483648", "1.5", "99999999999999999999",
                                 "-2147483649", "lat", "1e3"])
def test_bad_version_is_42202(mod_registry, uniq, bad):
    s = uniq()
    _three_versions(mod_registry, s)
    expect_error(mod_registry.version(s, bad), 422, 42202, msg_bad_version(bad))
    expect_error(mod_registry.get(f"/subjects/{q(s)}/versions/{bad}/schema"), 422, 42202,
                 msg_bad_version(bad))
    expect_error(mod_registry.get(f"/subjects/{q(s)}/versions/{bad}/referencedby"), 422, 42202,
                 msg_bad_version(bad))
    expect_error(mod_registry.delete_version(s, bad), 422, 42202, msg_bad_version(bad))
    assert expect_ok(mod_registry.versions(s)) == [1, 2, 3]


def test_missing_version_is_40402(mod_registry, uniq):
    s = uniq()
    _three_versions(mod_registry, s)
    expect_error(mod_registry.version(s, 7), 404, 40402, msg_version_not_found(7))
    expect_error(mod_registry.version(s, 2147483647), 404, 40402,
                 msg_version_not_found(2147483647))
    expect_error(mod_registry.get(f"/subjects/{q(s)}/versions/7/schema"), 404, 40402,
                 msg_version_not_found(7))


def test_version_of_unknown_subject_is_40401(mod_registry, uniq):
    s = uniq()
    expect_error(mod_registry.version(s, 1), 404, 40401, msg_subject_not_found(s))
    expect_error(mod_registry.version(s, "latest"), 404, 40401, msg_subject_not_found(s))
    expect_error(mod_registry.get(f"/subjects/{q(s)}/versions/1/schema"), 404, 40401,
                 msg_subject_not_found(s))


def test_soft_deleted_version_is_40402_unless_deleted_true(mod_registry, uniq):
    s = uniq()
    schemas, ids = _three_versions(mod_registry, s)
    expect_ok(mod_registry.delete_version(s, 2))
    expect_error(mod_registry.version(s, 2), 404, 40402, msg_version_not_found(2))
    b = expect_ok(mod_registry.version(s, 2, {"deleted": "true"}))
    assert (b["subject"], b["version"], b["id"], b["schema"]) == (s, 2, ids[1], schemas[1])


def test_version_of_fully_soft_deleted_subject(mod_registry, uniq):
    s = uniq()
    schemas, ids = _three_versions(mod_registry, s)
    expect_ok(mod_registry.delete_subject(s))
    expect_error(mod_registry.version(s, 1), 404, 40401, msg_subject_not_found(s))
    b = expect_ok(mod_registry.version(s, 1, {"deleted": "true"}))  # sr-api §15.6 (inferred)
    assert (b["version"], b["id"]) == (1, ids[0])


def test_version_schema_is_the_unescaped_schema_text(mod_registry, uniq):
    """SubjectVersionsResource.getSchemaOnly: the stored text itself as the body."""
    s = uniq()
    schemas, _ = _three_versions(mod_registry, s)
    r = mod_registry.get(f"/subjects/{q(s)}/versions/2/schema")
    assert r.status_code == 200 and r.text == schemas[1]
    assert r.json()["type"] == "record"
    r = mod_registry.get(f"/subjects/{q(s)}/versions/latest/schema")
    assert r.status_code == 200 and r.text == schemas[2]


def test_referencedby_of_unreferenced_version_is_empty_list(mod_registry, uniq):
    s = uniq()
    _three_versions(mod_registry, s)
    assert expect_ok(mod_registry.get(f"/subjects/{q(s)}/versions/1/referencedby")) == []


def test_referencedby_errors(mod_registry, uniq):
    s = uniq()
    expect_error(mod_registry.get(f"/subjects/{q(s)}/versions/1/referencedby"), 404, 40401,
                 msg_subject_not_found(s))
    _three_versions(mod_registry, s)
    expect_error(mod_registry.get(f"/subjects/{q(s)}/versions/9/referencedby"), 404, 40402,
                 msg_version_not_found(9))


# ---- DELETE /subjects/{s}/versions/{v}


def test_soft_delete_version_returns_bare_integer(mod_registry, uniq):
    s = uniq()
    _three_versions(mod_registry, s)
    r = mod_registry.delete_version(s, 2)
    assert expect_ok(r) == 2
    assert r.text.strip() == "2"


def test_soft_delete_twice_is_40406(mod_registry, uniq):
    s = uniq()
    _three_versions(mod_registry, s)
    expect_ok(mod_registry.delete_version(s, 1))
    expect_error(mod_registry.delete_version(s, 1), 404, 40406, msg_version_soft_deleted(s, 1))


def test_permanent_delete_of_live_version_is_40407(mod_registry, uniq):
    s = uniq()
    _three_versions(mod_registry, s)
    expect_error(mod_registry.delete_version(s, 1, permanent=True), 404, 40407,
                 msg_version_not_soft_deleted(s, 1))
    assert expect_ok(mod_registry.versions(s)) == [1, 2, 3]


def test_soft_then_permanent_delete_removes_version(mod_registry, uniq):
    s = uniq()
    schemas, ids = _three_versions(mod_registry, s)
    assert expect_ok(mod_registry.delete_version(s, 1)) == 1
    assert expect_ok(mod_registry.delete_version(s, 1, permanent=True)) == 1
    assert expect_ok(mod_registry.versions(s, {"deleted": "true"})) == [2, 3]
    expect_error(mod_registry.version(s, 1, {"deleted": "true"}), 404, 40402,
                 msg_version_not_found(1))
    # already hard-deleted -> 40402 (sr-api §2.4)
    expect_error(mod_registry.delete_version(s, 1), 404, 40402, msg_version_not_found(1))
    expect_error(mod_registry.delete_version(s, 1, permanent=True), 404, 40402,
                 msg_version_not_found(1))
    # the id of a hard-deleted version that no other subject uses is gone
    expect_error(mod_registry.get(f"/schemas/ids/{ids[0]}"), 404, 40403,
                 f"Schema {ids[0]} not found")


def test_delete_missing_version_is_40402_and_unknown_subject_40401(mod_registry, uniq):
    s = uniq()
    expect_error(mod_registry.delete_version(s, 1), 404, 40401, msg_subject_not_found(s))
    _three_versions(mod_registry, s)
    expect_error(mod_registry.delete_version(s, 8), 404, 40402, msg_version_not_found(8))


def test_delete_latest_resolves_to_highest_live_version(mod_registry, uniq):
    s = uniq()
    _three_versions(mod_registry, s)
    assert expect_ok(mod_registry.delete_version(s, "latest")) == 3
    assert expect_ok(mod_registry.delete_version(s, "latest")) == 2
    assert expect_ok(mod_registry.versions(s)) == [1]


def test_deleting_every_version_makes_subject_unknown(mod_registry, uniq):
    s = uniq()
    _three_versions(mod_registry, s)
    for v in (1, 2, 3):
        expect_ok(mod_registry.delete_version(s, v))
    assert s not in expect_ok(mod_registry.get("/subjects"))
    assert s in expect_ok(mod_registry.get("/subjects", params={"deleted": "true"}))
    for v in (1, 2, 3):
        expect_ok(mod_registry.delete_version(s, v, permanent=True))
    assert s not in expect_ok(mod_registry.get("/subjects", params={"deleted": "true"}))
    expect_error(mod_registry.versions(s, {"deleted": "true"}), 404, 40401,
                 msg_subject_not_found(s))


def test_soft_deleted_version_keeps_its_id_resolvable(mod_registry, uniq):
    """sr-api §2.2/§13: deserializers resolve ids of soft-deleted versions."""
    s = uniq()
    schemas, ids = _three_versions(mod_registry, s)
    expect_ok(mod_registry.delete_subject(s))
    for sid, schema in zip(ids, schemas):
        assert expect_ok(mod_registry.get(f"/schemas/ids/{sid}"))["schema"] == schema


def test_permanently_deleting_last_version_drops_subject_config(mod_registry, uniq):
    """sr-api §2.4: no versions left after a permanent delete -> MODE and CONFIG go too."""
    s = uniq()
    _three_versions(mod_registry, s)
    mod_registry.set_config(s, "NONE")
    for v in (1, 2, 3):
        expect_ok(mod_registry.delete_version(s, v))
    for v in (1, 2):
        expect_ok(mod_registry.delete_version(s, v, permanent=True))
    assert expect_ok(mod_registry.get(f"/config/{q(s)}")) == {"compatibilityLevel": "NONE"}
    expect_ok(mod_registry.delete_version(s, 3, permanent=True))
    expect_error(mod_registry.get(f"/config/{q(s)}"), 404, 40408)
