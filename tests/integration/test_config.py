# SPDX-License-Identifier: Apache-2.0
"""/config and /config/{s} (sr-api §2.6)."""
from conftest import (MSG_BAD_LEVEL, Api, aname, expect_error, expect_ok, msg_no_subject_config,
                      msg_subject_not_found, q, record)

LEVELS = ["NONE", "BACKWARD", "BACKWARD_TRANSITIVE", "FORWARD", "FORWARD_TRANSITIVE", "FULL",
          "FULL_TRANSITIVE"]


def test_global_config_defaults_to_backward(registry):
    assert expect_ok(registry.get("/config")) == {"compatibilityLevel": "BACKWARD"}


def test_put_global_config_echoes_request_shape_and_get_answers_level(registry):
    for level in LEVELS:
        assert expect_ok(registry.put("/config", {"compatibility": level})) == \
            {"compatibility": level}
        assert expect_ok(registry.get("/config")) == {"compatibilityLevel": level}


def test_levels_are_case_insensitive_and_stored_upper_case(registry):
    for given in ("full", "Forward_Transitive", "nOnE", "backward"):
        assert expect_ok(registry.put("/config", {"compatibility": given})) == \
            {"compatibility": given.upper()}
        assert expect_ok(registry.get("/config")) == {"compatibilityLevel": given.upper()}


def test_invalid_level_is_42203_and_changes_nothing(registry):
    expect_ok(registry.put("/config", {"compatibility": "FULL"}))
    for bad in ("FULLY", "", "backwards", 5, "NONE ", "FULL,NONE"):
        expect_error(registry.put("/config", {"compatibility": bad}), 422, 42203, MSG_BAD_LEVEL)
        assert expect_ok(registry.get("/config")) == {"compatibilityLevel": "FULL"}


def test_explicit_null_level_is_not_a_server_error(registry):
    """An explicit null clears the level (partial merge, sr-api §2.6); GET then shows the
    server default. 42203 would also be defensible; a 5xx is not."""
    expect_ok(registry.put("/config", {"compatibility": "FULL"}))
    r = registry.put("/config", {"compatibility": None})
    if r.status_code == 200:
        assert expect_ok(registry.get("/config"))["compatibilityLevel"] in ("BACKWARD", "FULL")
    else:
        expect_error(r, 422, 42203)


def test_delete_global_config_returns_old_and_reverts_to_default(registry):
    expect_ok(registry.put("/config", {"compatibility": "FULL"}))
    assert expect_ok(registry.delete("/config")) == {"compatibilityLevel": "FULL"}
    assert expect_ok(registry.get("/config")) == {"compatibilityLevel": "BACKWARD"}


def test_server_default_level_from_properties(ferry_factory):
    api = Api(ferry_factory.start(config={"schema.compatibility.level": "full_transitive"}))
    assert expect_ok(api.get("/config")) == {"compatibilityLevel": "FULL_TRANSITIVE"}
    expect_ok(api.put("/config", {"compatibility": "NONE"}))
    expect_ok(api.delete("/config"))
    assert expect_ok(api.get("/config")) == {"compatibilityLevel": "FULL_TRANSITIVE"}
    # and it governs registration: FULL_TRANSITIVE refuses an added field without default
    s = "cfg-default-subject"
    n = aname()
    api.register_ok(s, record(n, ("a", "int")))
    expect_error(api.register(s, record(n, ("a", "int"), ("b", "int"))), 409, (409, 40901))


def test_global_level_governs_registration(registry):
    n = aname()
    registry.register_ok("g1", record(n, ("a", "int")))
    expect_error(registry.register("g1", record(n, ("a", "string"))), 409, (409, 40901))
    registry.set_config(None, "NONE")
    registry.register_ok("g1", record(n, ("a", "string")))


# ---- subject level


def test_subject_config_absent_is_40408(mod_registry, uniq):
    s = uniq()
    expect_error(mod_registry.get(f"/config/{q(s)}"), 404, 40408, msg_no_subject_config(s))
    mod_registry.register_ok(s, record(aname(), ("a", "int")))
    expect_error(mod_registry.get(f"/config/{q(s)}"), 404, 40408, msg_no_subject_config(s))


def test_subject_config_default_to_global(registry):
    registry.set_config(None, "FORWARD")
    assert expect_ok(registry.get("/config/nosuch", params={"defaultToGlobal": "true"})) == \
        {"compatibilityLevel": "FORWARD"}
    registry.set_config("nosuch", "full")
    assert expect_ok(registry.get("/config/nosuch", params={"defaultToGlobal": "true"})) == \
        {"compatibilityLevel": "FULL"}
    assert expect_ok(registry.get("/config", params={"defaultToGlobal": "true"})) == \
        {"compatibilityLevel": "FORWARD"}


def test_put_subject_config_needs_no_subject_and_echoes(mod_registry, uniq):
    s = uniq()
    assert expect_ok(mod_registry.put(f"/config/{q(s)}", {"compatibility": "none"})) == \
        {"compatibility": "NONE"}
    assert expect_ok(mod_registry.get(f"/config/{q(s)}")) == {"compatibilityLevel": "NONE"}
    expect_error(mod_registry.versions(s), 404, 40401)  # still no subject


def test_subject_config_overrides_global(registry):
    n = aname()
    registry.set_config("loose", "NONE")
    registry.register_ok("loose", record(n, ("a", "int")))
    registry.register_ok("loose", record(n, ("a", "string")))
    registry.register_ok("strict", record(n, ("a", "int")))
    expect_error(registry.register("strict", record(n, ("a", "string"))), 409, (409, 40901))
    assert expect_ok(registry.get("/config")) == {"compatibilityLevel": "BACKWARD"}


def test_delete_subject_config_returns_old_then_40401(mod_registry, uniq):
    s = uniq()
    mod_registry.set_config(s, "FULL")
    assert expect_ok(mod_registry.delete(f"/config/{q(s)}")) == {"compatibilityLevel": "FULL"}
    expect_error(mod_registry.get(f"/config/{q(s)}"), 404, 40408, msg_no_subject_config(s))
    expect_error(mod_registry.delete(f"/config/{q(s)}"), 404, 40401, msg_subject_not_found(s))


def test_subject_config_invalid_level_is_42203(mod_registry, uniq):
    s = uniq()
    expect_error(mod_registry.put(f"/config/{q(s)}", {"compatibility": "SOMETIMES"}), 422, 42203,
                 MSG_BAD_LEVEL)
    expect_error(mod_registry.get(f"/config/{q(s)}"), 404, 40408)


def test_subject_config_invalid_subject_is_42208(mod_registry):
    expect_error(mod_registry.put(f"/config/{q('bad' + chr(1))}", {"compatibility": "NONE"}),
                 422, 42208)


def test_config_put_tolerates_unknown_fields(mod_registry, uniq):
    s = uniq()
    r = mod_registry.put(f"/config/{q(s)}", {"compatibility": "FULL", "futureKnob": {"x": 1}})
    assert expect_ok(r) == {"compatibility": "FULL"}


def test_config_put_is_partial_merge(mod_registry, uniq):
    """sr-api §2.6: an absent member keeps its stored value."""
    s = uniq()
    mod_registry.set_config(s, "FULL")
    r = mod_registry.put(f"/config/{q(s)}", {"normalize": True})
    b = expect_ok(r)
    assert b.get("compatibility") == "FULL" and b.get("normalize") is True, b
    got = expect_ok(mod_registry.get(f"/config/{q(s)}"))
    assert got.get("compatibilityLevel") == "FULL" and got.get("normalize") is True, got


def test_config_of_default_context_is_top_level(registry):
    """sr-api §2.6: {s} equal to the default context (:.:) is the top-level /config."""
    registry.set_config(":.:", "FULL")
    assert expect_ok(registry.get("/config")) == {"compatibilityLevel": "FULL"}


def test_subject_config_survives_soft_delete_not_permanent(registry):
    n = aname()
    registry.register_ok("sc", record(n, ("a", "int")))
    registry.set_config("sc", "NONE")
    expect_ok(registry.delete_subject("sc"))
    assert expect_ok(registry.get("/config/sc")) == {"compatibilityLevel": "NONE"}
    expect_ok(registry.delete_subject("sc", permanent=True))
    expect_error(registry.get("/config/sc"), 404, 40408, msg_no_subject_config("sc"))
