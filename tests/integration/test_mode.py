# SPDX-License-Identifier: Apache-2.0
"""/mode and /mode/{s}, and what each mode permits (sr-api §2.7, §7, §5 steps 1-2)."""
from conftest import (MSG_BAD_MODE, Api, aname, expect_error, expect_ok, msg_no_subject_mode,
                      msg_subject_not_found, q, record)


def test_global_mode_defaults_to_readwrite(registry):
    assert expect_ok(registry.get("/mode")) == {"mode": "READWRITE"}


def test_put_global_mode_echoes_and_get_answers_it(registry):
    for mode in ("READONLY", "READWRITE", "IMPORT", "READWRITE"):
        assert expect_ok(registry.put("/mode", {"mode": mode})) == {"mode": mode}
        assert expect_ok(registry.get("/mode")) == {"mode": mode}


def test_mode_values_are_case_insensitive_and_the_request_is_echoed(registry):
    """ModeResource.updateMode returns the request object itself (sr-api §2.7 'echoes the
    request'), so the echo keeps the client's spelling; GET answers the stored upper case."""
    assert expect_ok(registry.put("/mode", {"mode": "readonly"})) == {"mode": "readonly"}
    assert expect_ok(registry.get("/mode")) == {"mode": "READONLY"}
    assert expect_ok(registry.put("/mode/m1", {"mode": "ReadWrite"})) == {"mode": "ReadWrite"}
    assert expect_ok(registry.get("/mode/m1")) == {"mode": "READWRITE"}


def test_mode_put_echo_drops_unknown_fields(registry):
    assert expect_ok(registry.put("/mode", {"mode": "READWRITE", "futureKnob": 1})) == \
        {"mode": "READWRITE"}


def test_invalid_mode_is_42204(registry):
    for bad in ("READ_ONLY", "", "rw", 1, "READWRITE "):
        expect_error(registry.put("/mode", {"mode": bad}), 422, 42204, MSG_BAD_MODE)
        expect_error(registry.put("/mode/some-subject", {"mode": bad}), 422, 42204, MSG_BAD_MODE)
    assert expect_ok(registry.get("/mode")) == {"mode": "READWRITE"}
    expect_error(registry.get("/mode/some-subject"), 404, 40409)


def test_forward_mode_on_a_subject_is_42204(registry):
    expect_error(registry.put("/mode/fwd", {"mode": "FORWARD"}), 422, 42204)
    expect_error(registry.get("/mode/fwd"), 404, 40409)


def test_delete_global_mode_returns_old(registry):
    registry.set_mode(None, "READONLY")
    assert expect_ok(registry.delete("/mode")) == {"mode": "READONLY"}
    assert expect_ok(registry.get("/mode")) == {"mode": "READWRITE"}


def test_subject_mode_absent_is_40409(mod_registry, uniq):
    s = uniq()
    expect_error(mod_registry.get(f"/mode/{q(s)}"), 404, 40409, msg_no_subject_mode(s))


def test_subject_mode_default_to_global(registry):
    assert expect_ok(registry.get("/mode/x", params={"defaultToGlobal": "true"})) == \
        {"mode": "READWRITE"}
    registry.set_mode(None, "READONLY")
    assert expect_ok(registry.get("/mode/x", params={"defaultToGlobal": "true"})) == \
        {"mode": "READONLY"}
    registry.set_mode("x", "READWRITE")
    assert expect_ok(registry.get("/mode/x", params={"defaultToGlobal": "true"})) == \
        {"mode": "READWRITE"}


def test_put_and_delete_subject_mode(mod_registry, uniq):
    s = uniq()
    assert expect_ok(mod_registry.put(f"/mode/{q(s)}", {"mode": "READONLY"})) == \
        {"mode": "READONLY"}
    assert expect_ok(mod_registry.get(f"/mode/{q(s)}")) == {"mode": "READONLY"}
    assert expect_ok(mod_registry.delete(f"/mode/{q(s)}")) == {"mode": "READONLY"}
    expect_error(mod_registry.get(f"/mode/{q(s)}"), 404, 40409, msg_no_subject_mode(s))
    expect_error(mod_registry.delete(f"/mode/{q(s)}"), 404, 40401, msg_subject_not_found(s))


def test_subject_mode_invalid_subject_is_42208(mod_registry):
    expect_error(mod_registry.put(f"/mode/{q('x' + chr(2))}", {"mode": "READONLY"}), 422, 42208)


# ---- READONLY


def _seed(api, s):
    n = aname()
    v1 = record(n, ("a", "int"))
    sid = api.register_ok(s, v1)
    return n, v1, sid


def test_global_readonly_blocks_writes_but_not_reads(registry):
    n, v1, sid = _seed(registry, "ro")
    registry.set_mode(None, "READONLY")
    before = registry.snapshot()
    expect_error(registry.register("ro", record(n, ("a", "int"), ("b", "int", 0))), 422, 42205)
    expect_error(registry.register("ro-new", record(aname(), ("a", "int"))), 422, 42205)
    expect_error(registry.delete_version("ro", 1), 422, 42205)
    expect_error(registry.delete_subject("ro"), 422, 42205)
    expect_error(registry.put("/config", {"compatibility": "NONE"}), 422, 42205)
    expect_error(registry.put("/config/ro", {"compatibility": "NONE"}), 422, 42205)
    expect_error(registry.delete("/config"), 422, 42205)
    # reads still work
    assert expect_ok(registry.version("ro", 1))["id"] == sid
    assert expect_ok(registry.lookup("ro", v1))["id"] == sid
    assert expect_ok(registry.post("/compatibility/subjects/ro/versions/latest",
                                   {"schema": v1})) == {"is_compatible": True}
    assert registry.snapshot() == before


def test_readonly_idempotent_reregister_still_answers_200(registry):
    """sr-api §5 step 1 / §7 (and §15.8)."""
    n, v1, sid = _seed(registry, "ro2")
    registry.set_mode(None, "READONLY")
    assert registry.register_ok("ro2", v1) == sid
    registry.set_mode(None, "READWRITE")
    registry.set_mode("ro2", "READONLY")
    assert registry.register_ok("ro2", v1) == sid
    assert expect_ok(registry.versions("ro2")) == [1]


def test_subject_readonly_blocks_only_that_subject(registry):
    n, v1, sid = _seed(registry, "ro3")
    registry.set_mode("ro3", "READONLY")
    expect_error(registry.register("ro3", record(n, ("a", "int"), ("b", "int", 0))), 422, 42205)
    expect_error(registry.delete_subject("ro3"), 422, 42205)
    expect_error(registry.delete_version("ro3", 1), 422, 42205)
    registry.register_ok("other", record(aname(), ("a", "int")))
    # the mode can always be changed back from READONLY
    registry.set_mode("ro3", "READWRITE")
    registry.register_ok("ro3", record(n, ("a", "int"), ("b", "int", 0)))


def test_subject_readwrite_does_not_beat_global_readonly_for_other_subjects(registry):
    registry.set_mode("rw", "READWRITE")
    registry.set_mode(None, "READONLY")
    registry.register_ok("rw", record(aname(), ("a", "int")))  # subject-level wins
    expect_error(registry.register("elsewhere", record(aname(), ("a", "int"))), 422, 42205)


def test_mode_changes_allowed_while_readonly(registry):
    registry.set_mode(None, "READONLY")
    registry.set_mode("z", "READONLY")
    assert expect_ok(registry.delete("/mode/z")) == {"mode": "READONLY"}
    registry.set_mode(None, "READWRITE")


def test_mode_mutability_false_forbids_mode_changes(ferry_factory):
    api = Api(ferry_factory.start(config={"mode.mutability": "false"}))
    for r in (api.put("/mode", {"mode": "READONLY"}), api.put("/mode/s", {"mode": "READONLY"}),
              api.delete("/mode"), api.delete("/mode/s")):
        expect_error(r, 422, 42205, "Mode changes are not allowed")
    assert expect_ok(api.get("/mode")) == {"mode": "READWRITE"}
    api.register_ok("s", record(aname(), ("a", "int")))


# ---- IMPORT (sr-api §7)


def test_import_mode_on_empty_subject_accepts_explicit_ids(registry):
    registry.set_mode("imp", "IMPORT")
    v = record(aname(), ("a", "int"))
    r = registry.register("imp", v, id=100, version=5)
    assert expect_ok(r)["id"] == 100
    b = expect_ok(registry.version("imp", 5))
    assert (b["id"], b["schema"], b["version"]) == (100, v, 5)
    assert expect_ok(registry.get("/schemas/ids/100"))["schema"] == v
    # no id in IMPORT -> not in read-write mode
    expect_error(registry.register("imp", record(aname(), ("b", "int"))), 422, 42205)
    # same schema, same id elsewhere is fine; a different schema under id 100 is not
    registry.set_mode("imp2", "IMPORT")
    assert expect_ok(registry.register("imp2", v, id=100, version=1))["id"] == 100
    expect_error(registry.register("imp2", record(aname(), ("c", "int")), id=100, version=2),
                 422, 42205)
    # back to READWRITE: the id counter continues after the imported id
    registry.set_mode("imp", "READWRITE")
    assert registry.register_ok("fresh", record(aname(), ("a", "int"))) > 100


def test_import_mode_validates_names_but_not_defaults(registry):
    """AvroSchema's parser (AvroSchemaProvider, isNew=false in IMPORT) only turns off
    default validation: Avro-Java's Schema.Parser still checks every name, so an import
    with an illegal record or field name is 42201, while a bad default goes in."""
    registry.set_mode("impn", "IMPORT")
    before = registry.snapshot()
    for bad in ('{"type":"record","name":"1bad","fields":[]}',
                '{"type":"record","name":"R","fields":[{"name":"a-b","type":"int"}]}',
                '{"type":"enum","name":"E","symbols":["ok","no way"]}'):
        expect_error(registry.register("impn", bad, id=900, version=1), 422, 42201)
    assert registry.snapshot() == before
    lax = '{"type":"record","name":"R","fields":[{"name":"a","type":"int","default":"x"}]}'
    assert expect_ok(registry.register("impn", lax, id=901, version=1))["id"] == 901
    # lookups check names too
    expect_error(registry.lookup("impn", '{"type":"record","name":"1bad","fields":[]}'),
                 422, 42201)


def test_import_mode_skips_compatibility(registry):
    registry.set_mode("imp3", "IMPORT")
    n = aname()
    expect_ok(registry.register("imp3", record(n, ("a", "int")), id=7, version=1))
    expect_ok(registry.register("imp3", record(n, ("a", "string")), id=8, version=2))
    assert expect_ok(registry.versions("imp3")) == [1, 2]


def test_switch_to_import_with_live_subject_is_42205(registry):
    _seed(registry, "live")
    expect_error(registry.put("/mode/live", {"mode": "IMPORT"}), 422, 42205,
                 "Cannot import since found existing subjects")
    expect_error(registry.put("/mode", {"mode": "IMPORT"}), 422, 42205,
                 "Cannot import since found existing subjects")
    # force=true skips the check and keeps the schemas
    registry.set_mode("live", "IMPORT", params={"force": "true"})
    assert expect_ok(registry.versions("live")) == [1]


def test_switch_to_import_with_soft_deleted_subject_purges_it(registry):
    n, v1, sid = _seed(registry, "gone")
    expect_ok(registry.delete_subject("gone"))
    registry.set_mode("gone", "IMPORT")
    expect_error(registry.versions("gone", {"deleted": "true"}), 404, 40401)


def test_readonly_override_acts_as_readonly(registry):
    n, v1, sid = _seed(registry, "ro4")
    registry.set_mode("ro4", "READONLY_OVERRIDE")
    assert expect_ok(registry.get("/mode/ro4")) == {"mode": "READONLY_OVERRIDE"}
    expect_error(registry.register("ro4", record(n, ("a", "int"), ("b", "int", 0))), 422, 42205)
    expect_error(registry.delete_subject("ro4"), 422, 42205)
    assert registry.register_ok("ro4", v1) == sid


def test_reimport_of_same_id_and_version_returns_existing(registry):
    registry.set_mode("ri", "IMPORT")
    v = record(aname(), ("a", "int"))
    assert expect_ok(registry.register("ri", v, id=50, version=3))["id"] == 50
    assert expect_ok(registry.register("ri", v, id=50, version=3))["id"] == 50
    assert expect_ok(registry.versions("ri")) == [3]


def test_switch_to_import_purging_a_referenced_soft_deleted_version_is_42206(registry):
    """sr-api §2.7/§7: soft-deleted-only subjects are purged on the switch, 42206 if one of
    their versions is still referenced (here by a soft-deleted referrer)."""
    an = aname("Addr")
    registry.register_ok("imp-addr", record(an, ("s", "string")))
    registry.register_ok("imp-person", record(aname("P"), ("home", an)),
                         references=[{"name": an, "subject": "imp-addr", "version": 1}])
    expect_ok(registry.delete_subject("imp-person"))
    expect_ok(registry.delete_subject("imp-addr"))
    expect_error(registry.put("/mode/imp-addr", {"mode": "IMPORT"}), 422, 42206)
    assert expect_ok(registry.versions("imp-addr", {"deleted": "true"})) == [1]
    expect_error(registry.get("/mode/imp-addr"), 404, 40409)
