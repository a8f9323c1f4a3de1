# SPDX-License-Identifier: Apache-2.0
"""Hostile schemas (issue 11): shapes that crashed, exhausted or stalled the registry.

Each one goes through the real HTTP interface of a running ferry, which must answer within a
bounded time and memory, in Confluent's error shape (422/42201 for a schema over a limit), and
keep serving afterwards. The limits are the `ferry.schema.max.*` and
`ferry.compatibility.max.*` settings of `ferry serve`."""
import json
import time

import pytest

from conftest import Api, expect_error, expect_ok, q, serve_config_error

# Generous wall-clock bounds: the suite runs under ASan on a shared 2-core machine. Before the
# fix these shapes took minutes (or crashed); after it, a fraction of a second in release.
SLOW_S = 30.0


def _check(api, s, schema, version="latest", verbose=True):
    return api.post(f"/compatibility/subjects/{q(s)}/versions/{version}",
                    {"schema": schema}, params={"verbose": "true"} if verbose else None,
                    timeout=120)


def _register(api, s, schema):
    return api.post(f"/subjects/{q(s)}/versions", {"schema": schema}, timeout=120)


def _peak_rss_mib(api) -> float:
    with open(f"/proc/{api.server.proc.pid}/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def _chain_defs(n, stem="R"):
    """n records defined one after another (flat JSON), each holding the previous one."""
    defs = [{"type": "record", "name": f"{stem}0", "fields": []}]
    for i in range(1, n):
        defs.append({"type": "record", "name": f"{stem}{i}",
                     "fields": [{"name": "p", "type": f"{stem}{i - 1}"}]})
    return defs


def _chain_pair(n):
    """Writer and reader whose only shared field starts at the deepest end of an n-record
    chain: the compatibility walk descends n levels through names, the JSON stays flat."""
    defs = _chain_defs(n)
    writer = {"type": "record", "name": "Top", "fields": [
        {"name": "wdefs", "type": ["null", *defs]},
        {"name": "last", "type": f"R{n - 1}"}]}
    reader = {"type": "record", "name": "Top", "fields": [
        {"name": "rdefs", "type": ["null", *defs], "default": None},
        {"name": "last", "type": f"R{n - 1}"}]}
    return json.dumps(writer), json.dumps(reader)


def _alive(api):
    assert expect_ok(api.get("/subjects")) is not None
    assert api.server.alive()


def test_chain_of_40000_records_is_refused_not_a_crash(mod_registry, uniq):
    """The SIGSEGV of issue 11: 40,000 flat-defined records each holding the previous one
    (3.8 MB, shallow JSON) made the compatibility walk recurse 40,000 deep."""
    s = uniq()
    writer, reader = _chain_pair(40000)
    assert len(writer) > 1_000_000
    expect_ok(_register(mod_registry, s, writer))
    t0 = time.monotonic()
    r = _check(mod_registry, s, reader)
    b = expect_error(r, 422, 42201)
    assert "ferry.schema.max.depth" in b["message"], b
    assert time.monotonic() - t0 < SLOW_S
    # registering it runs the same check
    b = expect_error(_register(mod_registry, s, reader), 422, 42201)
    assert "ferry.schema.max.depth" in b["message"], b
    _alive(mod_registry)


def test_chain_within_the_depth_limit_is_checked(mod_registry, uniq):
    s = uniq()
    writer, reader = _chain_pair(300)
    expect_ok(_register(mod_registry, s, writer))
    assert expect_ok(_check(mod_registry, s, reader, verbose=False)) == {"is_compatible": True}


def _union(stem, n):
    return json.dumps([{"type": "fixed", "name": f"{stem}{i}", "size": 4} for i in range(n)])


@pytest.mark.parametrize("n", [2000, 15000])
def test_union_against_union_is_fast_and_small(mod_registry, uniq, n):
    """2,000 branches against 2,000 took 10 s and +920 MiB (every pair memoised with its
    message), 15,000 exhausted 24 GB; the reader branches that can read a writer branch are
    found by name now."""
    s = uniq()
    expect_ok(_register(mod_registry, s, _union("W", n)))
    t0 = time.monotonic()
    b = expect_ok(_check(mod_registry, s, _union("R", n)))  # no branch matches any other
    assert b["is_compatible"] is False
    missing = [m for m in b["messages"] if "MISSING_UNION_BRANCH" in m]
    assert len(missing) == n
    assert "/" + str(n - 1) in missing[-1]
    same = expect_ok(_check(mod_registry, s, _union("W", n) , verbose=False))
    assert same == {"is_compatible": True}
    assert time.monotonic() - t0 < SLOW_S
    assert _peak_rss_mib(mod_registry) < 768, _peak_rss_mib(mod_registry)
    _alive(mod_registry)


def test_union_of_40000_branches_parses_in_linear_time(mod_registry, uniq):
    """The union duplicate check was quadratic (40,000 branches: 79 s)."""
    s = uniq()
    n = 40000
    t0 = time.monotonic()
    expect_ok(_register(mod_registry, s, _union("U", n)))
    wider = json.dumps([{"type": "fixed", "name": f"U{i}", "size": 4} for i in range(n + 1)])
    assert expect_ok(_check(mod_registry, s, wider, verbose=False)) == {"is_compatible": True}
    dup = json.dumps([{"type": "fixed", "name": f"U{i}", "size": 4} for i in range(n)] + ["U7"])
    b = expect_error(_register(mod_registry, s, dup), 422, 42201)
    assert "Duplicate in union" in b["message"] or "U7" in b["message"], b
    assert time.monotonic() - t0 < SLOW_S


def test_enum_of_40000_symbols_compares_in_linear_time(mod_registry, uniq):
    """The enum symbol comparison was quadratic (40,000 symbols: 10 s)."""
    s = uniq()
    n = 40000
    syms = [f"S{i}" for i in range(n)]
    t0 = time.monotonic()
    expect_ok(_register(mod_registry, s, json.dumps(
        {"type": "enum", "name": "E", "symbols": syms})))
    fewer = json.dumps({"type": "enum", "name": "E", "symbols": syms[1:]})
    b = expect_ok(_check(mod_registry, s, fewer))
    assert b["is_compatible"] is False
    assert any("MISSING_ENUM_SYMBOLS" in m and "[S0]" in m for m in b["messages"]), b
    assert time.monotonic() - t0 < SLOW_S


LIMITS = {
    "ferry.schema.max.bytes": "20000",
    "ferry.schema.max.json.depth": "16",
    "ferry.schema.max.depth": "16",
    "ferry.schema.max.names": "200",
    "ferry.schema.max.union.branches": "100",
    "ferry.schema.max.enum.symbols": "30",
    "ferry.schema.max.fields": "40",
    "ferry.compatibility.max.steps": "5000",
    "ferry.compatibility.max.bytes": "262144",
    "ferry.fsync": "false",
}


@pytest.fixture(scope="module")
def limited(tmp_path_factory):
    from conftest import ServerPool
    pool = ServerPool(tmp_path_factory.mktemp("ferry-limits"))
    api = Api(pool.start(config=LIMITS))
    yield api
    problems = pool.close()
    if problems:
        pytest.fail("\n\n".join(problems), pytrace=False)


def _rec(name, fields):
    return {"type": "record", "name": name, "fields": fields}


def _over(api, s, schema, setting):
    """Register and check answer 422/42201 naming the setting; a verbose check answers it
    as its one message, as Confluent does for any schema that does not parse."""
    for r in (_register(api, s, schema), _check(api, s, schema, verbose=False)):
        b = expect_error(r, 422, 42201)
        assert setting in b["message"], (setting, b)
    b = expect_ok(_check(api, s, schema, verbose=True))
    assert b["is_compatible"] is False and len(b["messages"]) == 1, b
    assert setting in b["messages"][0], (setting, b)


@pytest.mark.parametrize("setting,schema", [
    ("ferry.schema.max.bytes", _rec("Big", [{"name": "f", "type": "string",
                                             "doc": "x" * 30000}])),
    ("ferry.schema.max.json.depth", _rec("Deep", [{"name": "f", "type": "int",
                                                   "default": 1, "x": [[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]}])),
    ("ferry.schema.max.names", _rec("Many", [
        {"name": f"g{k}", "type": [{"type": "fixed", "name": f"G{k}x{i}", "size": 1}
                                   for i in range(45)]} for k in range(5)])),
    ("ferry.schema.max.union.branches", [{"type": "fixed", "name": f"F{i}", "size": 1}
                                         for i in range(101)]),
    ("ferry.schema.max.enum.symbols", {"type": "enum", "name": "E",
                                       "symbols": [f"S{i}" for i in range(31)]}),
    ("ferry.schema.max.fields", _rec("Wide", [{"name": f"f{i}", "type": "int"}
                                              for i in range(41)])),
])
def test_each_schema_limit_answers_42201_naming_it(limited, uniq, setting, schema):
    s = uniq()
    expect_ok(_register(limited, s, json.dumps("int")))
    _over(limited, s, json.dumps(schema), setting)


def test_type_depth_limit_is_reached_through_names(limited, uniq):
    """A JSON depth of 16 cannot nest 16 types; names can: a chain of 20 records."""
    writer, reader = _chain_pair(20)
    s = uniq()
    expect_ok(_register(limited, s, writer))
    b = expect_error(_check(limited, s, reader), 422, 42201)
    assert "ferry.schema.max.depth" in b["message"], b
    _alive(limited)


def test_compatibility_budget_answers_42201(limited, uniq):
    """A check over ferry.compatibility.max.steps stops with 42201 instead of running on."""
    s = uniq()
    # 60 records with the same simple name in 60 namespaces: every reader branch is a
    # candidate for every writer branch, and none reads it (the field types differ)
    def union(t):
        return json.dumps([_rec("R", [{"name": "f", "type": t}]) | {"namespace": f"n{i}"}
                           for i in range(60)])
    expect_ok(_register(limited, s, union("boolean")))
    b = expect_error(_check(limited, s, union("int")), 422, 42201)
    assert "ferry.compatibility.max" in b["message"], b
    _alive(limited)


def test_limits_below_their_minimum_are_refused(tmp_path):
    for key in ("ferry.schema.max.depth", "ferry.compatibility.max.steps"):
        p = serve_config_error(tmp_path, f"{key}=1\n")
        assert p.returncode == 2 and key in p.stderr, p.stderr


def test_error_quoting_bytes_that_are_no_utf8_is_valid_json(mod_registry):
    """Found by fuzz_route: a path with raw non-UTF-8 bytes came back quoted in the error
    message as they were, which made the answer invalid JSON; they are U+FFFD now."""
    import socket
    host, port = mod_registry.base.rsplit("//", 1)[1].split(":")
    with socket.create_connection((host, int(port)), timeout=10) as s:
        s.sendall(b"GET /contexts/bad%zz\x99\xff/subjects HTTP/1.1\r\nHost: x\r\n"
                  b"Connection: close\r\n\r\n")
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 4"), data
    b = json.loads(body.decode("utf-8"))  # strict: raises on invalid UTF-8
    assert isinstance(b["error_code"], int) and "\ufffd" in b["message"], b


def test_type_nested_in_a_reference_cannot_nest_the_writer_deep(mod_registry, uniq):
    """A type nested inside a reference is written in full where the schema uses it, and so
    is everything it holds: a flat chain of 40,000 records in a reference made the canonical
    writer (registration, ?format=resolved) recurse 40,000 deep. Refused at parse now."""
    ref_subject = uniq()
    defs = _chain_defs(40000)
    expect_ok(_register(mod_registry, ref_subject, json.dumps(["null", *defs])))
    user = json.dumps({"type": "record", "name": "User",
                       "fields": [{"name": "c", "type": "R39999"}]})
    refs = [{"name": "chain", "subject": ref_subject, "version": 1}]
    r = mod_registry.post(f"/subjects/{q(uniq())}/versions",
                          {"schema": user, "references": refs}, timeout=120)
    b = expect_error(r, 422, 42201)
    assert "ferry.schema.max.depth" in b["message"], b
    # a shallow use of the same reference is fine, resolved format included
    s = uniq()
    shallow = json.dumps({"type": "record", "name": "User",
                          "fields": [{"name": "c", "type": "R3"}]})
    sid = expect_ok(mod_registry.post(f"/subjects/{q(s)}/versions",
                                      {"schema": shallow, "references": refs},
                                      timeout=120))["id"]
    got = expect_ok(mod_registry.get(f"/schemas/ids/{sid}", params={"format": "resolved"}))
    assert '"name":"R0"' in got["schema"], got
    _alive(mod_registry)
