# SPDX-License-Identifier: Apache-2.0
"""Shared fixtures for the black-box integration suite (sr-api.md, style S9).

Every server is a real `ferry serve` child on a free loopback port with a fresh
temp data dir, run with ASan/UBSan report switches. At teardown it gets SIGTERM;
the test fails if it does not exit 0 or its stderr holds a sanitizer report.
A failing test gets the stderr of every server it used appended to its report.

Fixtures
  registry       function-scoped server + Api client (tests that touch global state)
  mod_registry   module-scoped server + Api client (tests using unique subjects only)
  ferry_factory  start more servers (custom .properties, reuse a data dir, kill -9)
  uniq           unique subject names for the current test
"""
from __future__ import annotations

import atexit
import itertools
import json
import os
import pathlib
import re
import signal
import socket
import subprocess
import time
import urllib.parse
import uuid
from typing import Any, Callable, Iterable

import pytest
import requests

ROOT = pathlib.Path(__file__).resolve().parents[2]
CT_V1 = "application/vnd.schemaregistry.v1+json"
CT_SR = "application/vnd.schemaregistry+json"
CT_JSON = "application/json"
JAVA_ACCEPT = ("application/vnd.schemaregistry.v1+json, "
               "application/vnd.schemaregistry+json; qs=0.9, application/json; qs=0.5")

START_DEADLINE_S = 30.0
STOP_DEADLINE_S = 20.0
SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "runtime error:", "LeakSanitizer",
                     "ERROR: UndefinedBehaviorSanitizer", "ThreadSanitizer")


# --------------------------------------------------------------------------------------------
# generic helpers


def wait_until(pred: Callable[[], Any], timeout: float = 10.0, interval: float = 0.02,
               what: str = "condition") -> Any:
    """Poll `pred` until it returns a truthy value or the deadline passes (no fixed sleeps)."""
    deadline = time.monotonic() + timeout
    last_exc: BaseException | None = None
    while True:
        try:
            v = pred()
            if v:
                return v
        except Exception as e:  # noqa: BLE001 - retried until the deadline
            last_exc = e
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}"
                                 + (f" (last error: {last_exc!r})" if last_exc else ""))
        time.sleep(interval)


def q(subject: str) -> str:
    """Percent-encode a subject for use as one path segment."""
    return urllib.parse.quote(subject, safe="")


def avro(obj: Any) -> str:
    """Compact JSON text the way Avro-Java's Schema.toString() writes it (sr-api §5.3):
    no whitespace, non-ASCII kept as UTF-8. Callers keep dict keys in canonical order."""
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


def record(name: str, *fields: Any, namespace: str | None = None, **extra: Any) -> str:
    """Canonical text of a record schema. A field is (name, type), (name, type, default)
    or a dict already in canonical key order."""
    d: dict[str, Any] = {"type": "record", "name": name}
    if namespace:
        d["namespace"] = namespace
    d.update({k: v for k, v in extra.items() if k == "doc"})
    fl = []
    for f in fields:
        if isinstance(f, dict):
            fl.append(f)
        elif len(f) == 2:
            fl.append({"name": f[0], "type": f[1]})
        else:
            fl.append({"name": f[0], "type": f[1], "default": f[2]})
    d["fields"] = fl
    d.update({k: v for k, v in extra.items() if k != "doc"})
    return avro(d)


def aname(stem: str = "R") -> str:
    """A unique Avro type name (keeps ids from being shared between tests)."""
    return f"{stem}_{uuid.uuid4().hex[:10]}"


def mime(r: requests.Response) -> str:
    return r.headers.get("Content-Type", "").split(";")[0].strip().lower()


def body_of(r: requests.Response) -> Any:
    try:
        return r.json()
    except ValueError:
        raise AssertionError(f"{r.request.method} {r.request.url}: body is not JSON "
                             f"(HTTP {r.status_code}): {r.content[:500]!r}")


def describe(r: requests.Response) -> str:
    req = r.request
    body = req.body
    if isinstance(body, bytes):
        body = body[:300]
    elif isinstance(body, str):
        body = body[:300]
    return (f"{req.method} {req.url} body={body!r} -> HTTP {r.status_code} "
            f"{r.headers.get('Content-Type')!r} {r.content[:800]!r}")


def expect_ok(r: requests.Response, status: int = 200) -> Any:
    assert r.status_code == status, describe(r)
    return body_of(r)


def expect_error(r: requests.Response, status: int | Iterable[int], code: int | Iterable[int],
                 message: str | None = None) -> dict:
    """A Confluent error (sr-api §1): HTTP status, body exactly {"error_code", "message"}."""
    statuses = {status} if isinstance(status, int) else set(status)
    codes = {code} if isinstance(code, int) else set(code)
    assert r.status_code in statuses, describe(r)
    b = body_of(r)
    assert isinstance(b, dict), describe(r)
    assert set(b) == {"error_code", "message"}, describe(r)
    assert isinstance(b["error_code"], int) and b["error_code"] in codes, describe(r)
    assert isinstance(b["message"], str) and b["message"], describe(r)
    if message is not None:
        assert b["message"] == message, describe(r)
    return b


def expect_client_error(r: requests.Response) -> dict:
    """Any 4xx with a Confluent error body (never 5xx for client input)."""
    assert 400 <= r.status_code < 500, describe(r)
    b = body_of(r)
    assert isinstance(b, dict) and set(b) == {"error_code", "message"}, describe(r)
    assert isinstance(b["error_code"], int), describe(r)
    assert isinstance(b["message"], str) and b["message"], describe(r)
    return b


# exact texts from sr-api §4
def msg_subject_not_found(s: str) -> str:
    return f"Subject '{s}' not found."


def msg_version_not_found(v: int) -> str:
    return f"Version {v} not found."


def msg_schema_not_found(schema_id: int | None = None) -> str:
    return "Schema not found" if schema_id is None else f"Schema {schema_id} not found"


def msg_bad_version(v: str) -> str:
    return (f"The specified version '{v}' is not a valid version id. Allowed values are "
            f"between [1, 2^31-1] and the string \"latest\"")


MSG_BAD_LEVEL = ("Invalid compatibility level. Valid values are none, backward, forward, full, "
                 "backward_transitive, forward_transitive, and full_transitive")
MSG_BAD_MODE = "Invalid mode. Valid values are READWRITE, READONLY, IMPORT and FORWARD."


def msg_subject_soft_deleted(s: str) -> str:
    return f"Subject '{s}' was soft deleted.Set permanent=true to delete permanently"


def msg_subject_not_soft_deleted(s: str) -> str:
    return f"Subject '{s}' was not deleted first before being permanently deleted"


def msg_version_soft_deleted(s: str, v: int) -> str:
    return f"Subject '{s}' Version {v} was soft deleted.Set permanent=true to delete permanently"


def msg_version_not_soft_deleted(s: str, v: int) -> str:
    return f"Subject '{s}' Version {v} was not deleted first before being permanently deleted"


def msg_no_subject_config(s: str) -> str:
    return f"Subject '{s}' does not have subject-level compatibility configured"


def msg_no_subject_mode(s: str) -> str:
    return f"Subject '{s}' does not have subject-level mode configured"


SCHEMA_OBJ_OPTIONAL = {"schemaType", "references", "metadata", "ruleSet", "guid", "ts",
                       "deleted", "schemaTags", "aliases"}


def check_schema_obj(b: Any, *, subject: str, version: int, schema_id: int, schema: str,
                     references: list | None = None, metadata: dict | None = None,
                     rule_set: dict | None = None) -> None:
    """A Schema obj (sr-api §3): the fixed members equal, `schemaType` "AVRO" (always written, 8.x),
    empty/absent references/metadata/ruleSet omitted (NON_EMPTY), no unknown members."""
    assert isinstance(b, dict), b
    assert b.get("subject") == subject, b
    assert b.get("version") == version, b
    assert b.get("id") == schema_id, b
    assert b.get("schema") == schema, b
    assert b.get("schemaType") == "AVRO", b  # 8.x writes it always
    if references:
        assert b.get("references") == references, b
    else:
        assert "references" not in b, b
    if metadata:
        assert b.get("metadata") == metadata, b
    else:
        assert "metadata" not in b, b
    if rule_set:
        assert b.get("ruleSet") == rule_set, b
    else:
        assert "ruleSet" not in b, b
    extra = set(b) - {"subject", "version", "id", "schema"} - SCHEMA_OBJ_OPTIONAL
    assert not extra, f"unexpected members {extra} in {b}"


# --------------------------------------------------------------------------------------------
# the server process


def _ferry_bin() -> pathlib.Path:
    env = os.environ.get("FERRY_BIN")
    if env:
        return pathlib.Path(env)
    for variant in ("asan", "release"):
        p = ROOT / "build" / variant / "ferry"
        if p.exists():
            return p
    pytest.skip("no ferry binary: set FERRY_BIN or build first (make itest)")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


_ALL_SERVERS: list["Ferry"] = []


@atexit.register
def _kill_leftovers() -> None:
    """Safety net (e.g. after Ctrl-C): no ferry child outlives the test run."""
    for srv in _ALL_SERVERS:
        if srv.proc is not None and srv.proc.poll() is None:
            srv.proc.kill()


class Ferry:
    """One `ferry serve` child process (127.0.0.1, its own or a shared data dir)."""

    _seq = itertools.count(1)

    def __init__(self, binary: pathlib.Path, workdir: pathlib.Path, data_dir: pathlib.Path,
                 config: dict[str, str] | None = None):
        self.binary = binary
        self.workdir = workdir
        self.data_dir = data_dir
        self.config = config
        n = next(Ferry._seq)
        self.stderr_path = workdir / f"ferry-{n}.stderr"
        self.config_path = workdir / f"ferry-{n}.properties"
        self.proc: subprocess.Popen | None = None
        self.port = 0
        self.url = ""
        self.killed = False  # SIGKILLed on purpose: exit code not checked
        _ALL_SERVERS.append(self)

    # -- lifecycle
    def start(self) -> "Ferry":
        env = dict(os.environ)
        env["ASAN_OPTIONS"] = "detect_leaks=1:halt_on_error=1"
        env["UBSAN_OPTIONS"] = "halt_on_error=1:print_stacktrace=1"
        args_extra: list[str] = []
        if self.config is not None:
            self.config_path.write_text(
                "".join(f"{k}={v}\n" for k, v in self.config.items()), encoding="utf-8")
            args_extra = ["--config", str(self.config_path)]
        for _attempt in range(3):  # the free port may be taken between probe and bind
            self.port = _free_port()
            self.url = f"http://127.0.0.1:{self.port}"
            with open(self.stderr_path, "ab") as err:
                self.proc = subprocess.Popen(
                    [str(self.binary), "serve", "--listen", f"127.0.0.1:{self.port}",
                     "--data-dir", str(self.data_dir), *args_extra],
                    stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err, env=env)
            deadline = time.monotonic() + START_DEADLINE_S
            while time.monotonic() < deadline and self.proc.poll() is None:
                try:
                    r = requests.get(self.url + "/", timeout=2)
                    if r.status_code == 200 and r.json() == {}:
                        return self
                except (requests.RequestException, ValueError):
                    pass
                time.sleep(0.02)
            if self.proc.poll() is None:  # alive but not serving: give up
                self.kill9()
                break
        raise AssertionError(f"ferry did not start serving on {self.url} "
                             f"(exit {self.proc.returncode if self.proc else None}):\n"
                             f"{self.stderr_tail()}")

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self) -> int:
        """SIGTERM and wait (bounded). Returns the exit code; a hang is a failure."""
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=STOP_DEADLINE_S)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=STOP_DEADLINE_S)
                raise AssertionError(f"ferry ignored SIGTERM for {STOP_DEADLINE_S}s:\n"
                                     f"{self.stderr_tail()}")
        return self.proc.returncode

    def kill9(self) -> None:
        """SIGKILL (a crash): the exit status is not checked afterwards."""
        if self.proc is not None and self.proc.poll() is None:
            self.killed = True
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=STOP_DEADLINE_S)

    def stop_and_check(self) -> None:
        """Clean shutdown: exit 0 and no sanitizer report."""
        code = self.stop()
        problems = self.problems(code)
        if problems:
            raise AssertionError(problems)

    def problems(self, code: int | None) -> str | None:
        text = self.stderr()
        found = [m for m in SANITIZER_MARKERS if m in text]
        if found:
            return (f"sanitizer report ({', '.join(found)}) from ferry {self.url}:\n"
                    f"{text[-30000:]}")
        if not self.killed and code not in (0, None):
            return f"ferry {self.url} exited {code} on SIGTERM:\n{text[-8000:]}"
        return None

    # -- logs
    def stderr(self) -> str:
        try:
            return self.stderr_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def stderr_tail(self, n: int = 12000) -> str:
        return self.stderr()[-n:]


class ServerPool:
    """Starts servers for one scope and always stops them (SIGTERM, then checks)."""

    def __init__(self, tmp: pathlib.Path):
        self.tmp = tmp
        self.servers: list[Ferry] = []
        self._dirs = itertools.count(1)

    def new_data_dir(self) -> pathlib.Path:
        d = self.tmp / f"data-{next(self._dirs)}"
        d.mkdir(parents=True, exist_ok=True)
        return d

    def start(self, config: dict[str, str] | None = None,
              data_dir: pathlib.Path | None = None) -> Ferry:
        srv = Ferry(_ferry_bin(), self.tmp, data_dir or self.new_data_dir(), config)
        self.servers.append(srv)
        srv.start()
        return srv

    def close(self) -> list[str]:
        problems = []
        for srv in self.servers:
            if srv.proc is None:
                continue
            try:
                code = srv.stop() if srv.alive() else srv.proc.returncode
            except AssertionError as e:
                problems.append(str(e))
                continue
            p = srv.problems(code)
            if p:
                problems.append(p)
        return problems


# --------------------------------------------------------------------------------------------
# the HTTP client


SERVER_ERRORS: list[str] = []  # every 5xx any Api saw; the autouse guard fails the test


class Api:
    """Small client for one server: base URL, keep-alive session, Confluent content type."""

    def __init__(self, server: Ferry | str):
        self.server = server if isinstance(server, Ferry) else None
        self.base = server.url if isinstance(server, Ferry) else server
        self.s = requests.Session()

    def req(self, method: str, path: str, *, json_body: Any = ..., data: Any = None,
            params: dict | None = None, headers: dict | None = None,
            ct: str | None = CT_V1, timeout: float = 30) -> requests.Response:
        h = dict(headers or {})
        if json_body is not ...:
            data = json.dumps(json_body).encode()
        if data is not None and ct is not None and "Content-Type" not in h:
            h["Content-Type"] = ct
        r = self.s.request(method, self.base + path, data=data, params=params,
                           headers=h, timeout=timeout)
        if r.status_code >= 500:
            SERVER_ERRORS.append(describe(r))
        return r

    def get(self, path: str, **kw: Any) -> requests.Response:
        return self.req("GET", path, **kw)

    def post(self, path: str, body: Any = ..., **kw: Any) -> requests.Response:
        return self.req("POST", path, json_body=body, **kw)

    def put(self, path: str, body: Any = ..., **kw: Any) -> requests.Response:
        return self.req("PUT", path, json_body=body, **kw)

    def delete(self, path: str, **kw: Any) -> requests.Response:
        return self.req("DELETE", path, **kw)

    # -- domain helpers
    def register(self, subject: str, schema: str | None, params: dict | None = None,
                 **fields: Any) -> requests.Response:
        body: dict[str, Any] = {} if schema is None else {"schema": schema}
        body.update(fields)
        return self.post(f"/subjects/{q(subject)}/versions", body, params=params)

    def register_ok(self, subject: str, schema: str | None, params: dict | None = None,
                    **fields: Any) -> int:
        r = self.register(subject, schema, params=params, **fields)
        b = expect_ok(r)
        assert isinstance(b.get("id"), int) and b["id"] >= 1, describe(r)
        return b["id"]

    def lookup(self, subject: str, schema: str, params: dict | None = None,
               **fields: Any) -> requests.Response:
        body: dict[str, Any] = {"schema": schema}
        body.update(fields)
        return self.post(f"/subjects/{q(subject)}", body, params=params)

    def version(self, subject: str, version: Any, params: dict | None = None
                ) -> requests.Response:
        return self.get(f"/subjects/{q(subject)}/versions/{version}", params=params)

    def versions(self, subject: str, params: dict | None = None) -> requests.Response:
        return self.get(f"/subjects/{q(subject)}/versions", params=params)

    def delete_version(self, subject: str, version: Any, permanent: bool = False
                       ) -> requests.Response:
        return self.delete(f"/subjects/{q(subject)}/versions/{version}",
                           params={"permanent": "true"} if permanent else None)

    def delete_subject(self, subject: str, permanent: bool = False) -> requests.Response:
        return self.delete(f"/subjects/{q(subject)}",
                           params={"permanent": "true"} if permanent else None)

    def set_config(self, subject: str | None, level: str) -> None:
        path = "/config" if subject is None else f"/config/{q(subject)}"
        expect_ok(self.put(path, {"compatibility": level}))

    def set_mode(self, subject: str | None, mode: str, params: dict | None = None) -> None:
        path = "/mode" if subject is None else f"/mode/{q(subject)}"
        expect_ok(self.put(path, {"mode": mode}, params=params))

    def max_id(self) -> int:
        """Highest id in the default context (0 if none), via fetchMaxId (sr-api §2.2)."""
        r = self.get("/schemas", params={"deleted": "true"})
        lst = expect_ok(r)
        if not lst:
            return 0
        any_id = max(x["id"] for x in lst)
        b = expect_ok(self.get(f"/schemas/ids/{any_id}", params={"fetchMaxId": "true"}))
        return b["maxId"]

    def snapshot(self) -> dict:
        """Everything observable that a bad request must not change."""
        return {
            "subjects": expect_ok(self.get("/subjects", params={"deleted": "true"})),
            "schemas": expect_ok(self.get("/schemas", params={"deleted": "true"})),
            "max_id": self.max_id(),
            "config": expect_ok(self.get("/config")),
            "mode": expect_ok(self.get("/mode")),
        }


# --------------------------------------------------------------------------------------------
# fixtures


def serve_config_error(tmp_path: pathlib.Path, properties: str) -> subprocess.CompletedProcess:
    """`ferry serve` with a .properties file it must refuse: the finished process (bounded)."""
    bad = tmp_path / "bad.properties"
    bad.write_text(properties, encoding="utf-8")
    return subprocess.run([str(_ferry_bin()), "serve", "--config", str(bad),
                           "--listen", "127.0.0.1:0", "--data-dir", str(tmp_path / "d")],
                          capture_output=True, text=True, timeout=30)


@pytest.fixture
def ferry_factory(tmp_path):
    pool = ServerPool(tmp_path)
    yield pool
    problems = pool.close()
    if problems:
        pytest.fail("\n\n".join(problems), pytrace=False)


@pytest.fixture
def registry(ferry_factory) -> Api:
    return Api(ferry_factory.start())


@pytest.fixture(scope="module")
def mod_registry(tmp_path_factory) -> Api:
    pool = ServerPool(tmp_path_factory.mktemp("ferry"))
    api = Api(pool.start())
    yield api
    problems = pool.close()
    if problems:
        pytest.fail("\n\n".join(problems), pytrace=False)


@pytest.fixture(autouse=True)
def _no_server_errors():
    """No client input may cause a 5xx (sr-api §1 maps only store/internal failures to 5xx)."""
    start = len(SERVER_ERRORS)
    yield
    new = SERVER_ERRORS[start:]
    if new:
        pytest.fail("5xx answers during the test:\n" + "\n".join(new[:10]), pytrace=False)


@pytest.fixture
def uniq(request) -> Callable[[str], str]:
    """uniq("x") -> a subject name unique to this test run (mod_registry is shared)."""
    base = re.sub(r"[^A-Za-z0-9]+", "-", request.node.name)[-40:].strip("-")
    tag = uuid.uuid4().hex[:6]
    seq = itertools.count(1)
    return lambda stem="s": f"{base}-{tag}-{next(seq)}-{stem}"


def _servers_of(item) -> list[Ferry]:
    found: list[Ferry] = []
    for v in getattr(item, "funcargs", {}).values():
        if isinstance(v, Ferry):
            found.append(v)
        elif isinstance(v, Api) and v.server is not None:
            found.append(v.server)
        elif isinstance(v, ServerPool):
            found.extend(v.servers)
    seen, out = set(), []
    for s in found:
        if id(s) not in seen:
            seen.add(id(s))
            out.append(s)
    return out


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if rep.failed:
        for srv in _servers_of(item):
            rep.sections.append((f"ferry stderr ({srv.url}, tail)", srv.stderr_tail(6000)))


# --------------------------------------------------------------------------------------------
# secrets never in logs (issue 15): tests register every credential they hand to a server;
# at the end of the session the stderr of every server of the run is searched for each.

TEST_SECRETS: set[str] = set()
EXTRA_LOGS: list[pathlib.Path] = []  # logs of other ferry processes (ferry link, ...)


def register_secret(*secrets: str) -> None:
    TEST_SECRETS.update(s for s in secrets if s)


def secret_leaks() -> list[str]:
    leaks = []
    logs = [(srv.stderr_path, srv.stderr()) for srv in _ALL_SERVERS]
    logs += [(p, p.read_text(errors="replace")) for p in EXTRA_LOGS if p.exists()]
    for path, text in logs:
        for s in sorted(TEST_SECRETS):
            if s in text:
                leaks.append(f"{path}: contains the test secret {s!r}")
    return leaks


@pytest.fixture(scope="session", autouse=True)
def _no_secrets_in_logs():
    yield
    leaks = secret_leaks()
    if leaks:
        pytest.fail("credentials in server logs:\n" + "\n".join(leaks), pytrace=False)
