# SPDX-License-Identifier: Apache-2.0
"""Metrics and health (issue 15): GET /metrics on `ferry serve` in the Prometheus text format
0.0.4 (validated by the strict parser in promtext.py), with values checked against the
operations performed — schemas, subjects, versions and contexts by type, requests by route
template and status with latency histograms, the journal's group commits and fsyncs,
exporter state and lag after a link — plus /health/live and /health/ready, `ferry link`'s
metrics listener and the access log (off by default, never a body or Authorization)."""
from __future__ import annotations

import contextlib
import json
import math
import pathlib
import signal
import socket
import subprocess
import time

import pytest
import requests

import conftest
import promtext
from conftest import Api, expect_ok, record, wait_until

JSON_SCHEMA = json.dumps({"type": "object", "properties": {"a": {"type": "integer"}}})
POST_VERSIONS = dict(method="POST", route="/subjects/{subject}/versions", status="200")


def scrape(api: Api) -> dict:
    r = requests.get(api.base + "/metrics", timeout=10)
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
    return promtext.parse(r.text)


def val(fams: dict, name: str, **labels: str) -> float:
    v = promtext.value(fams, name, **labels)
    assert v is not None, f"no sample {name}{labels}"
    return v


def test_parser_refuses_malformed_expositions():
    good = "# TYPE a counter\na{x=\"1\"} 2\n"
    assert promtext.value(promtext.parse(good), "a", x="1") == 2
    bad = [
        "a 1\n",                                            # no TYPE
        "# TYPE a counter\na{x=\"1\"} 2\na{x=\"1\"} 3\n",   # series twice
        "# TYPE a counter\na{x=\"\\q\"} 2\n",               # bad escape
        "# TYPE a counter\na -1\n",                         # negative counter
        "# TYPE a counter\na 1",                            # no final newline
        "# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\n"
        "h_sum 1\nh_count 1\n",                             # not cumulative
        "# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_sum 1\nh_count 1\n",  # no +Inf
    ]
    for text in bad:
        with pytest.raises(promtext.FormatError):
            promtext.parse(text)


def test_registry_gauges_and_request_counts_match_the_operations(registry):
    api = registry
    n_avro, n_json = 5, 0  # JSON Schema: 1 when this registry serves it (a 422 otherwise)
    for i in range(n_avro):
        api.register_ok(f"m-avro-{i}", record(conftest.aname(), ("a", "int")))
    if api.register("m-json-probe", JSON_SCHEMA, schemaType="JSON").status_code == 200:
        n_json = 1
    # a second version of one subject, then soft-delete it
    name = conftest.aname()
    api.register_ok("m-two", record(name, ("a", "int")))
    api.register_ok("m-two", record(name, ("a", "int"), ("b", "int", 7)))
    expect_ok(api.delete("/subjects/m-two/versions/2"))
    api.register_ok(":.mctx:inside", record(conftest.aname(), ("a", "int")))
    posts = n_avro + n_json + 3

    f = scrape(api)
    assert val(f, "ferry_registry_schemas", type="AVRO") == n_avro + 2 + 1
    assert val(f, "ferry_registry_schemas", type="JSON") == n_json
    assert val(f, "ferry_registry_schemas", type="PROTOBUF") == 0
    assert val(f, "ferry_registry_subjects", type="AVRO") == n_avro + 1 + 1
    assert val(f, "ferry_registry_subjects", type="JSON") == n_json
    assert val(f, "ferry_registry_versions", type="AVRO") == n_avro + 1 + 1
    assert val(f, "ferry_registry_deleted_versions") == 1
    assert val(f, "ferry_registry_contexts") == 2
    assert val(f, "ferry_http_requests_total", **POST_VERSIONS) == posts
    if not n_json:
        assert val(f, "ferry_http_requests_total", method="POST",
                   route="/subjects/{subject}/versions", status="422") == 1
    assert val(f, "ferry_http_requests_total", method="DELETE",
               route="/subjects/{subject}/versions/{version}", status="200") == 1
    mr = dict(method="POST", route="/subjects/{subject}/versions")
    refused = 0 if n_json else 1
    assert val(f, "ferry_http_request_duration_seconds_count", **mr) == posts + refused
    assert promtext.bucket(f, "ferry_http_request_duration_seconds", "+Inf", **mr) == posts + refused
    assert val(f, "ferry_http_request_duration_seconds_sum", **mr) > 0
    # every record was made durable by exactly one group commit, each with one fsync
    durable = val(f, "ferry_journal_durable_offset")
    assert val(f, "ferry_journal_group_commit_records_sum") == durable + 1
    commits = val(f, "ferry_journal_group_commit_records_count")
    assert 1 <= commits <= durable + 1
    assert val(f, "ferry_journal_fsync_duration_seconds_count") == commits
    assert val(f, "ferry_journal_size_bytes") > 0
    assert val(f, "ferry_registry_applied_offset") == durable
    # the process, from /proc/self
    assert val(f, "process_resident_memory_bytes") > 1 << 20
    assert val(f, "process_threads") >= 2
    assert val(f, "process_open_fds") >= 3
    # the scrape itself is counted by the next one
    f2 = scrape(api)
    assert val(f2, "ferry_http_requests_total", method="GET", route="/metrics",
               status="200") >= 1
    assert val(f2, "ferry_http_requests_total", **POST_VERSIONS) == posts


def test_errors_counted_under_their_route_template_not_the_raw_path(registry):
    api = registry
    assert api.get("/subjects/never-such-subject-7f3a/versions").status_code == 404
    assert api.get("/subjects/never-such-subject-7f3a/versions").status_code == 404
    assert api.get("/no/such/path/x91").status_code == 404
    assert api.delete("/schemas/types").status_code == 405
    assert api.get("/contexts/.c1/subjects/zz9/versions").status_code == 404
    assert requests.get(api.base + "/subjects", headers={"Accept": "text/html"},
                        timeout=10).status_code == 406
    f = scrape(api)
    assert val(f, "ferry_http_requests_total", method="GET",
               route="/subjects/{subject}/versions", status="404") == 2
    assert val(f, "ferry_http_requests_total", method="GET", route="other", status="404") == 1
    assert val(f, "ferry_http_requests_total", method="DELETE", route="/schemas/types",
               status="405") == 1
    assert val(f, "ferry_http_requests_total", method="GET",
               route="/contexts/{context}/subjects/{subject}/versions", status="404") == 1
    assert val(f, "ferry_http_requests_total", method="GET", route="/subjects",
               status="406") == 1
    text = requests.get(api.base + "/metrics", timeout=10).text
    for raw in ("never-such-subject-7f3a", "x91", "zz9", ".c1"):
        assert raw not in text, raw  # bounded cardinality: templates only


def test_refusals_of_the_http_layer_are_counted(registry):
    """413 from the HTTP layer (before routing) and an unknown method: bounded labels."""
    api = registry

    def raw(head: bytes) -> bytes:
        with socket.create_connection(("127.0.0.1", api.server.port), timeout=10) as s:
            s.sendall(head)
            got = b""
            while chunk := s.recv(4096):
                got += chunk
            return got

    assert raw(b"POST /subjects/s/versions HTTP/1.1\r\nHost: x\r\nContent-Type: "
               b"application/json\r\nContent-Length: 999999999\r\n\r\n").startswith(
                   b"HTTP/1.1 413")
    assert raw(b"BREW /subjects HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
               ).startswith(b"HTTP/1.1 405")
    f = scrape(api)
    assert val(f, "ferry_http_requests_total", method="POST", route="other", status="413") == 1
    other = [v for (n, labels), v in f["ferry_http_requests_total"].samples.items()
             if dict(labels)["method"] == "other"]
    assert sum(other) == 1, f["ferry_http_requests_total"].samples


def test_health_live_and_ready(registry):
    api = registry
    for path in ("/health/live", "/health/ready"):
        r = requests.get(api.base + path, timeout=10)
        assert r.status_code == 200 and r.json() == {"status": "UP"}, path
        assert requests.head(api.base + path, timeout=10).status_code == 200
    # not a Confluent path, and nothing else is hidden behind the prefix
    assert api.get("/health").status_code == 404
    assert api.get("/health/other").status_code == 404
    assert api.post("/health/ready", {}).status_code == 404


def test_metrics_can_be_disabled(ferry_factory):
    api = Api(ferry_factory.start(config={"ferry.metrics.enabled": "false"}))
    assert api.get("/metrics").status_code == 404
    assert requests.get(api.base + "/health/ready", timeout=10).status_code == 200


def test_access_log_is_off_by_default_and_never_logs_secrets(ferry_factory):
    quiet = Api(ferry_factory.start())
    quiet.register_ok("al-quiet", record(conftest.aname(), ("a", "int")))
    assert "module=access" not in quiet.server.stderr()

    api = Api(ferry_factory.start(config={"ferry.http.access.log": "true"}))
    secret_header = "Basic c2VjcmV0LXVzZXI6aHVudGVyMg=="
    body_secret = "body-secret-73c1"
    r = api.register("al-loud", record(conftest.aname(), ("a", "int"), doc=body_secret),
                     headers={"Authorization": secret_header})
    assert r.status_code == 200, r.text
    assert api.get("/subjects/al-none/versions").status_code == 404
    # a path with a quote and a backslash cannot forge a field (sent raw: no client escaping)
    with socket.create_connection(("127.0.0.1", api.server.port), timeout=10) as s:
        s.sendall(b'GET /x"y\\z HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
        while s.recv(4096):
            pass

    def lines() -> list[str]:
        return [ln for ln in api.server.stderr().splitlines() if "module=access" in ln]

    wait_until(lambda: len(lines()) >= 3, 10, what="three access log lines")
    text = "\n".join(lines())
    post = next(ln for ln in lines() if "method=POST" in ln)
    assert 'route="/subjects/{subject}/versions"' in post
    assert 'path="/subjects/al-loud/versions"' in post
    assert "status=200" in post and "bytes=" in post and "duration_ms=" in post
    assert 'client="127.0.0.1:' in post and "ts=" in post
    assert 'status=404' in next(ln for ln in lines() if "al-none" in ln)
    assert secret_header not in text and "c2VjcmV0" not in text
    assert body_secret not in api.server.stderr()
    assert 'path="/x\\"y\\\\z"' in text


def create_exporter(src: Api, name: str, dst: Api) -> None:
    body = {"name": name, "contextType": "NONE",
            "config": {"schema.registry.url": dst.base, "max.retries": "1",
                       "retries.wait.ms": "20"}}
    assert expect_ok(src.post("/exporters", body)) == {"name": name}


def test_exporter_state_and_lag(ferry_factory):
    src = Api(ferry_factory.start())
    dst = Api(ferry_factory.start())
    for i in range(3):
        src.register_ok(f"ex-{i}", record(conftest.aname(), ("a", "int")))
    create_exporter(src, "mx", dst)

    def caught_up() -> bool:
        f = scrape(src)
        return (promtext.value(f, "ferry_exporter_state", exporter="mx", state="RUNNING") == 1
                and promtext.value(f, "ferry_exporter_lag_records", exporter="mx") == 0)

    wait_until(caught_up, 60, what="exporter RUNNING with lag 0")
    f = scrape(src)
    assert val(f, "ferry_exporter_lag_seconds", exporter="mx") == 0
    assert val(f, "ferry_exporter_errors_total", exporter="mx") == 0
    assert val(f, "ferry_exporters") == 1
    assert sum(v for (_n, labels), v in f["ferry_exporter_state"].samples.items()
               if dict(labels)["exporter"] == "mx") == 1
    assert len(expect_ok(dst.get("/subjects"))) == 3

    # paused, new writes are lag: in records and, as they age, in seconds
    expect_ok(src.put("/exporters/mx/pause"))
    wait_until(lambda: promtext.value(scrape(src), "ferry_exporter_state", exporter="mx",
                                      state="PAUSED") == 1, 30, what="PAUSED")
    for i in range(4):
        src.register_ok(f"ex-late-{i}", record(conftest.aname(), ("a", "int")))
    time.sleep(1.1)
    f = scrape(src)
    assert val(f, "ferry_exporter_lag_records", exporter="mx") >= 4
    assert val(f, "ferry_exporter_lag_seconds", exporter="mx") >= 1.0
    expect_ok(src.put("/exporters/mx/resume"))
    wait_until(caught_up, 60, what="caught up after resume")
    assert len(expect_ok(dst.get("/subjects"))) == 7

    # a destination that is gone: ERROR, and errors counted
    dst.server.stop()
    src.register_ok("ex-err", record(conftest.aname(), ("a", "int")))

    def failing() -> bool:
        f = scrape(src)
        return (promtext.value(f, "ferry_exporter_errors_total", exporter="mx") or 0) >= 1
    wait_until(failing, 60, what="export errors counted")
    assert val(scrape(src), "ferry_exporter_lag_records", exporter="mx") >= 1


ENV = {"ASAN_OPTIONS": "detect_leaks=1:halt_on_error=1",
       "UBSAN_OPTIONS": "halt_on_error=1:print_stacktrace=1", "PATH": "/usr/bin:/bin"}


@contextlib.contextmanager
def link_process(tmp_path: pathlib.Path, props: dict[str, str]):
    """`ferry link --config` with `props`, stopped by SIGTERM at the end: exit 0 and no
    sanitizer report."""
    cfg = tmp_path / "link.properties"
    cfg.write_text("".join(f"{k}={v}\n" for k, v in props.items()), encoding="utf-8")
    err = open(tmp_path / "link.stderr", "w")
    p = subprocess.Popen([str(conftest._ferry_bin()), "link", "--config", str(cfg)],
                         stdout=subprocess.DEVNULL, stderr=err, env=ENV)
    try:
        yield p
    finally:
        p.send_signal(signal.SIGTERM)
        code = p.wait(timeout=30)
        err.close()
    text = (tmp_path / "link.stderr").read_text()
    for m in conftest.SANITIZER_MARKERS:
        assert m not in text, text
    assert code == 0, text


def test_standalone_link_metrics_and_readiness(ferry_factory, tmp_path: pathlib.Path):
    src = Api(ferry_factory.start(config={"ferry.fsync": "false"}))
    dst = Api(ferry_factory.start(config={"ferry.fsync": "false"}))
    for i in range(3):
        src.register_ok(f"sl-{i}", record(conftest.aname(), ("a", "int")))
    port = conftest._free_port()
    props = {"name": "mlink", "source.schema.registry.url": src.base,
             "destination.schema.registry.url": dst.base, "context.type": "NONE",
             "link.poll.interval.ms": "100", "metrics.listener": f"127.0.0.1:{port}",
             "link.state.file": str(tmp_path / "cur.json")}
    base = f"http://127.0.0.1:{port}"
    with link_process(tmp_path, props):
        def get(path: str) -> requests.Response | None:
            try:
                return requests.get(base + path, timeout=5)
            except requests.RequestException:
                return None
        wait_until(lambda: (r := get("/health/ready")) is not None and r.status_code == 200,
                   60, what="link ready after its first good pass")
        assert get("/health/live").status_code == 200
        f = promtext.parse(get("/metrics").text)
        assert val(f, "ferry_link_passes_total", link="mlink", result="ok") >= 1
        applied = val(f, "ferry_link_applied_total", link="mlink")
        assert applied >= 3
        assert val(f, "ferry_link_last_success_timestamp_seconds", link="mlink") > 1e9
        assert val(f, "ferry_link_pass_duration_seconds_count", link="mlink") >= 1
        assert val(f, "process_threads") >= 2
        assert get("/subjects").status_code == 404
        # two new versions at the source: exactly two more changes applied
        for i in range(2):
            src.register_ok(f"sl-new-{i}", record(conftest.aname(), ("a", "int")))

        def applied_now() -> float:
            return val(promtext.parse(get("/metrics").text), "ferry_link_applied_total",
                       link="mlink")
        wait_until(lambda: applied_now() == applied + 2, 60, what="two more applied")
        time.sleep(0.3)  # a few more passes: nothing else is applied
        assert applied_now() == applied + 2


def test_standalone_link_not_ready_before_a_good_pass(tmp_path: pathlib.Path):
    """The source is down: live, but never ready; failed passes are counted."""
    dead = conftest._free_port()
    port = conftest._free_port()
    props = {"name": "down", "source.schema.registry.url": f"http://127.0.0.1:{dead}",
             "destination.schema.registry.url": f"http://127.0.0.1:{dead}",
             "source.max.retries": "0", "link.poll.interval.ms": "50",
             "metrics.listener": f"127.0.0.1:{port}",
             "link.state.file": str(tmp_path / "cur.json")}
    base = f"http://127.0.0.1:{port}"
    with link_process(tmp_path, props):
        def failed_passes() -> float:
            try:
                f = promtext.parse(requests.get(base + "/metrics", timeout=5).text)
            except requests.RequestException:
                return 0
            return promtext.value(f, "ferry_link_passes_total", link="down",
                                  result="failed") or 0
        wait_until(lambda: failed_passes() >= 2, 60, what="failed passes counted")
        assert requests.get(base + "/health/live", timeout=5).status_code == 200
        r = requests.get(base + "/health/ready", timeout=5)
        assert r.status_code == 503 and r.json() == {"status": "DOWN"}


def test_metric_values_are_finite_numbers(registry):
    registry.register_ok("fin", record(conftest.aname(), ("a", "int")))
    for fam in scrape(registry).values():
        for (_name, _labels), v in fam.samples.items():
            assert not math.isnan(v), fam.name


def test_standalone_link_refuses_a_bad_metrics_listener(tmp_path: pathlib.Path):
    cfg = tmp_path / "link.properties"
    cfg.write_text("source.schema.registry.url=http://127.0.0.1:1\n"
                   "destination.schema.registry.url=http://127.0.0.1:1\n"
                   "metrics.listener=nowhere\n", encoding="utf-8")
    p = subprocess.run([str(conftest._ferry_bin()), "link", "--config", str(cfg), "--once"],
                       capture_output=True, text=True, timeout=60, env=ENV)
    assert p.returncode == 2, p.stderr
    assert "metrics.listener 'nowhere': expected HOST:PORT" in p.stderr
