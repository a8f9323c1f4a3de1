# SPDX-License-Identifier: Apache-2.0
"""openapi/openapi.yaml against a live ferry, with schemathesis.

1. The spec is valid OpenAPI 3.0 (openapi-spec-validator, and schemathesis'
   own meta-schema check when loading it).
2. A bounded, derandomised schemathesis run over every operation: explicit
   examples from the spec plus generated requests, each response checked for
   no 5xx, a documented status code, a documented Content-Type and a body
   matching the documented schema.
3. The ferry under test (the ASan build under `make itest`) runs with
   ASAN_OPTIONS=detect_leaks=1; after a clean SIGTERM it must exit 0 and its
   stderr must hold no AddressSanitizer / LeakSanitizer / UBSan report.

The server is this module's `mod_registry` from conftest.py (free loopback
port, temp data dir), seeded with a few subjects so that generated requests
also hit existing data, and re-seeded whenever the operation under test changes.
Knobs: FERRY_BIN (binary), FERRY_ST_MAX_EXAMPLES (examples per operation, default
30), FERRY_ST_STATS (file to write "operation -> status" counts to, as JSON).
"""
from __future__ import annotations

import json
import os
import pathlib

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from hypothesis.configuration import set_hypothesis_home_dir
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

ROOT = pathlib.Path(__file__).resolve().parents[2]
SPEC = ROOT / "openapi" / "openapi.yaml"
CT = "application/vnd.schemaregistry.v1+json"
MAX_EXAMPLES = int(os.environ.get("FERRY_ST_MAX_EXAMPLES", "30"))
# hypothesis caches (unicode tables) go where git ignores them, not ./.hypothesis
set_hypothesis_home_dir(str(ROOT / ".pytest_cache" / "hypothesis"))

ORDER_V1 = '{"type":"record","name":"Order","fields":[{"name":"id","type":"long"}]}'
ORDER_V2 = ('{"type":"record","name":"Order","fields":[{"name":"id","type":"long"},'
            '{"name":"note","type":"string","default":""}]}')
WRAPPER = '{"type":"record","name":"Wrapper","fields":[{"name":"o","type":"Order"}]}'


def _post(url: str, body: dict) -> requests.Response:
    return requests.post(url, json=body, headers={"Content-Type": CT}, timeout=10)


def _seed(url: str) -> None:
    """Idempotent: the subjects the spec's explicit examples name, a reference
    (so referencedby / 42206 paths have data), a named context, and subjects
    for the DELETE examples (so reads keep finding orders-value v1/v2)."""
    s = requests.Session()
    # undo what generated requests may have changed at the top level
    s.put(url + "/mode", json={"mode": "READWRITE"}, timeout=10)
    s.delete(url + "/mode", timeout=10)
    s.delete(url + "/config", timeout=10)
    for scope in ("orders-value", "wrapper-value", "doomed-value", ":.ctx1:", ":.ctx1:orders-value"):
        s.delete(f"{url}/mode/{requests.utils.quote(scope, safe='')}", timeout=10)
        s.delete(f"{url}/config/{requests.utils.quote(scope, safe='')}", timeout=10)
    for subject, schema, refs in (
        ("orders-value", ORDER_V1, None),
        ("orders-value", ORDER_V2, None),
        ("other-value", ORDER_V1, None),
        ("wrapper-value", WRAPPER, [{"name": "Order", "subject": "orders-value", "version": 1}]),
        (":.ctx1:orders-value", ORDER_V1, None),
        # what the DELETE examples delete (re-registered: a new version, same id)
        ("doomed-value", ORDER_V1, None),
        ("doomed-value", ORDER_V2, None),
        (":.ctx1:doomed-value", ORDER_V1, None),
    ):
        body = {"schema": schema}
        if refs:
            body["references"] = refs
        r = _post(f"{url}/subjects/{requests.utils.quote(subject, safe='')}/versions", body)
        # a previous test may have left a state that refuses it (e.g. a soft-deleted
        # referenced version); only a server error is a problem here
        assert r.status_code < 500, (subject, r.status_code, r.text)
    # the exporter the spec's examples name (409 when it exists): its destination is a
    # closed port with short timeouts, so it only ever retries in ERROR, cheaply
    r = _post(url + "/exporters", {"name": "st-exporter", "config": {
        "schema.registry.url": "http://127.0.0.1:1", "connect.timeout.ms": "200",
        "request.timeout.ms": "500", "max.retries": "0", "max.in.flight": "1"}})
    assert r.status_code in (200, 409), (r.status_code, r.text)


@pytest.fixture(scope="module")
def ferry(mod_registry):
    """The module's server from conftest.py (free port, temp data dir, ASan
    switches, SIGTERM + exit-code + sanitizer check at teardown), seeded."""
    srv = mod_registry.server
    assert srv is not None
    _seed(srv.url)
    return srv


@pytest.fixture(scope="module")
def api_schema(ferry):
    return schemathesis.from_path(str(SPEC), base_url=ferry.url, validate_schema=True)


schema = schemathesis.from_pytest_fixture("api_schema")


def test_spec_is_valid_openapi():
    from openapi_spec_validator import validate
    from openapi_spec_validator.readers import read_from_filename

    spec, _ = read_from_filename(str(SPEC))
    validate(spec)
    assert spec["openapi"] == "3.0.3"


def test_spec_covers_every_route():
    """The spec describes exactly the routes ferry serves (the route table in
    registry/reg_route.c, `*` = one path segment), and documents every 4xx
    with a shared error response (ErrorMessage)."""
    import re

    import yaml

    spec = yaml.safe_load(SPEC.read_text())
    table = (ROOT / "registry" / "reg_route.c").read_text()
    served = {(m.lower(), p) for m, p in
              re.findall(r'\{"(GET|POST|PUT|DELETE)",\s*"([^"]+)",\s*reg_h_', table)}
    assert len(served) > 30, "route table not found in registry/reg_route.c"
    # the "exporters" route extension (linker/lnk_service.c, lnk_service_handle)
    served |= {("get", "/exporters"), ("post", "/exporters"), ("get", "/exporters/*"),
               ("put", "/exporters/*"), ("delete", "/exporters/*"),
               ("get", "/exporters/*/status"), ("get", "/exporters/*/config"),
               ("put", "/exporters/*/config"), ("put", "/exporters/*/pause"),
               ("put", "/exporters/*/resume"), ("put", "/exporters/*/reset")}
    described = {(m, re.sub(r"\{[^}]+\}", "*", p))
                 for p, item in spec["paths"].items()
                 for m in item if m in ("get", "put", "post", "delete", "patch", "head")}
    assert described == served, (f"served, not described: {sorted(served - described)}; "
                                 f"described, not served: {sorted(described - served)}")
    for path, item in spec["paths"].items():
        for method, op in item.items():
            for status, resp in op["responses"].items():
                if status.startswith("4"):
                    ref = resp.get("$ref", "")
                    assert ref.startswith("#/components/responses/"), (method, path, status)


_last_operation: list[str | None] = [None]
# "<operation> -> <status>": count; written to $FERRY_ST_STATS (JSON) if set
_STATS: dict[str, int] = {}


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                           HealthCheck.filter_too_much, HealthCheck.data_too_large],
)
def test_api_conforms(case, ferry):
    assert ferry.alive(), "ferry died:\n" + ferry.stderr_tail()
    # schemathesis runs every operation as a subtest of this one test: put the
    # seed data and the top-level mode/config back whenever the operation changes
    op = case.operation.verbose_name
    if _last_operation[0] != op:
        _seed(ferry.url)
        _last_operation[0] = op
    response = case.call(timeout=30)
    _STATS[f"{op} -> {response.status_code}"] = _STATS.get(f"{op} -> {response.status_code}", 0) + 1
    case.validate_response(
        response,
        checks=(not_a_server_error, status_code_conformance, content_type_conformance,
                response_schema_conformance),
    )


def test_no_sanitizer_report(ferry):
    """Runs last in this file: SIGTERM ferry after the run, then it must have
    exited 0 without an AddressSanitizer/LeakSanitizer/UBSan report (the
    module fixture's teardown repeats the check for an early failure)."""
    if os.environ.get("FERRY_ST_STATS"):
        pathlib.Path(os.environ["FERRY_ST_STATS"]).write_text(
            json.dumps(dict(sorted(_STATS.items())), indent=1))
    assert ferry.alive(), "ferry died during the run:\n" + ferry.stderr_tail()
    code = ferry.stop()
    problems = ferry.problems(code)
    assert problems is None, problems
