# SPDX-License-Identifier: Apache-2.0
"""Credentials of exporter configs (issue 15): never in logs or error messages (status
trace, "exporter created" / "export failed", 42250, a destination's error page), masked in
GET /exporters/{name}[/config] unless an admin asks with showSecrets=true (a deviation from
Confluent), kept when a masked config is sent back, and sealed in the journal with
AES-256-GCM when a key file or FERRY_SECRETS_KEY is configured (older clear records stay
readable). Every secret used here is registered with conftest, which searches the logs of
every server of the whole run for them."""
from __future__ import annotations

import http.server
import os
import threading

import pytest
import requests

import conftest
from conftest import Api, _free_port, aname, expect_error, expect_ok, record, register_secret, \
    wait_until
from secure import secure_factory  # noqa: F401

FAST = {"ferry.fsync": "false"}
USER_INFO = "linkuser:S3cret-UserInfo-41"
TOKEN = "S3cret-Bearer-42"
URL_PW = "S3cret-InUrl-43"
SASL = "S3cret-Sasl-44"
KS_PW = "S3cret-Keystore-45"
BAD_URL_PW = "S3cret-BadUrl-46"
ECHO = "S3cret-Echoed-47"
ALL = [USER_INFO.split(":")[1], TOKEN, URL_PW, SASL, KS_PW, BAD_URL_PW, ECHO]
register_secret(*ALL)
KEY_HEX = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"


def secret_config(dst_url: str) -> dict[str, str]:
    host = dst_url.split("://", 1)[1]
    return {"schema.registry.url": f"http://linkuser:{URL_PW}@{host}",
            "basic.auth.credentials.source": "URL", "bearer.auth.token": TOKEN,
            "sasl.password": SASL, "schema.registry.ssl.keystore.password": KS_PW,
            "basic.auth.user.info": USER_INFO, "max.retries": "0", "retries.wait.ms": "20"}


def no_secret(text: str) -> None:
    for s in ALL:
        assert s not in text, f"secret {s!r} in {text!r}"


def journal_bytes(data_dir) -> bytes:
    return b"".join(p.read_bytes() for p in data_dir.rglob("*") if p.is_file())


def test_masked_reads_show_secrets_for_admins_and_round_trip(ferry_factory):
    src = Api(ferry_factory.start(config=FAST))
    src.register_ok(f"sec-{aname()}", record(aname()))
    dead = f"http://127.0.0.1:{_free_port()}"  # nobody listens: the exporter errors
    cfg = secret_config(dead)
    assert expect_ok(src.post("/exporters", {"name": "sec", "config": cfg})) == {"name": "sec"}
    shown = expect_ok(src.get("/exporters/sec/config"))
    no_secret(str(shown))
    assert shown["bearer.auth.token"] == "********"
    assert shown["basic.auth.user.info"] == "********"
    assert shown["schema.registry.url"] == f"http://linkuser:********@{dead[7:]}"
    assert shown["max.retries"] == "0"  # the rest is as it was
    no_secret(str(expect_ok(src.get("/exporters/sec"))))
    # an admin asks explicitly (authentication off: everyone is admin)
    clear = expect_ok(src.get("/exporters/sec/config", params={"showSecrets": "true"}))
    assert clear == cfg
    # a masked config sent back keeps the credentials
    shown["max.retries"] = "1"
    assert expect_ok(src.put("/exporters/sec/config", shown)) == {"name": "sec"}
    after = expect_ok(src.get("/exporters/sec/config", params={"showSecrets": "true"}))
    assert after == {**cfg, "max.retries": "1"}
    # the status trace (a dead destination) names the URL without its password
    st = wait_until(lambda: (lambda b: b if b.get("trace") else None)(
        expect_ok(src.get("/exporters/sec/status"))), timeout=60, what="error trace")
    assert "linkuser:********@" in st["trace"], st
    no_secret(st["trace"])
    wait_until(lambda: "export failed" in src.server.stderr(), what="failure logged")
    text = src.server.stderr()
    assert "exporter created" in text and "linkuser:********@" in text
    no_secret(text)


def test_42250_message_has_no_password(ferry_factory):
    src = Api(ferry_factory.start(config=FAST))
    b = expect_error(src.post("/exporters", {"name": "bad", "config": {
        "schema.registry.url": f"ftp://u:{BAD_URL_PW}@127.0.0.1:1"}}), 422, 42250)
    assert "u:********@" in b["message"], b
    no_secret(b["message"])


class _EchoingProxy(http.server.BaseHTTPRequestHandler):
    """A destination that fails with an HTML page echoing a credential (a broken proxy)."""

    def _answer(self) -> None:
        n = int(self.headers.get("Content-Length") or 0)
        if n:
            self.rfile.read(n)
        body = f"<html>bad gateway; Authorization: Basic {ECHO}</html>".encode()
        self.send_response(502)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = _answer

    def log_message(self, *args) -> None:
        pass


def test_trace_does_not_echo_the_destination_body(ferry_factory):
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _EchoingProxy)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    try:
        src = Api(ferry_factory.start(config=FAST))
        src.register_ok(f"echo-{aname()}", record(aname()))
        url = f"http://127.0.0.1:{srv.server_address[1]}"
        body = {"name": "echo", "config": {"schema.registry.url": url, "max.retries": "0"}}
        assert expect_ok(src.post("/exporters", body)) == {"name": "echo"}
        st = wait_until(lambda: (lambda b: b if b.get("trace") else None)(
            expect_ok(src.get("/exporters/echo/status"))), timeout=60, what="error trace")
        assert "502" in st["trace"], st
        no_secret(st["trace"])
        wait_until(lambda: "export failed" in src.server.stderr(), what="failure logged")
        no_secret(src.server.stderr())
    finally:
        srv.shutdown()
        srv.server_close()


def test_journal_seals_credentials_with_a_key(ferry_factory, tmp_path, monkeypatch):
    key = tmp_path / "secrets.key"
    key.write_text(KEY_HEX + "\n")
    conf = {**FAST, "ferry.secrets.key.file": str(key)}
    dead = f"http://127.0.0.1:{_free_port()}"
    cfg = {**secret_config(dead), "max.retries": "0"}
    # one exporter written before any key was set: it must stay readable
    a = ferry_factory.start(config=FAST)
    assert expect_ok(Api(a).post("/exporters", {"name": "old", "config": cfg})) == \
        {"name": "old"}
    a.stop_and_check()
    b = ferry_factory.start(config=conf, data_dir=a.data_dir)
    api = Api(b)
    assert expect_ok(api.post("/exporters", {"name": "new", "config": cfg})) == {"name": "new"}
    for name in ("old", "new"):
        assert expect_ok(api.get(f"/exporters/{name}/config", params={"showSecrets": "true"})) \
            == cfg
    b.stop_and_check()
    # the journal holds the new exporter's credentials sealed only; drop the old one
    # and compaction is not needed for the check: its record is the clear one
    raw = journal_bytes(b.data_dir)
    assert raw.count(TOKEN.encode()) == 1, "the new exporter's token is in the journal in clear"
    assert b"ENC:v1:" in raw
    # the same key through the environment
    monkeypatch.setenv("FERRY_SECRETS_KEY", KEY_HEX)
    c = ferry_factory.start(config=FAST, data_dir=a.data_dir)
    assert expect_ok(Api(c).get("/exporters/new/config", params={"showSecrets": "true"})) == cfg
    assert expect_ok(Api(c).delete("/exporters/old")) is not None
    c.stop_and_check()
    monkeypatch.delenv("FERRY_SECRETS_KEY")
    # without the key (or with another one) the sealed exporter cannot be read: no start
    for extra in ({}, {"ferry.secrets.key.file": str(tmp_path / "other.key")}):
        (tmp_path / "other.key").write_text("ff" * 32)
        props = tmp_path / "nokey.properties"
        props.write_text("".join(f"{k}={v}\n" for k, v in {**FAST, **extra}.items()))
        import subprocess
        p = subprocess.run([str(conftest._ferry_bin()), "serve", "--config", str(props),
                            "--listen", f"127.0.0.1:{_free_port()}", "--data-dir",
                            str(a.data_dir)], capture_output=True, text=True, timeout=60)
        assert p.returncode != 0 and "exporter 'new'" in p.stderr and "sealed" in p.stderr, \
            p.stderr
        no_secret(p.stderr)
    bad = tmp_path / "short.key"
    bad.write_text("tooshort")
    code = conftest.serve_config_error(tmp_path, f"ferry.secrets.key.file={bad}\n")
    assert code.returncode == 2 and "32 bytes" in code.stderr, code.stderr


def test_show_secrets_is_for_admins_only(secure_factory, ferry_factory, tmp_path):
    users = tmp_path / "u.properties"
    users.write_text("adm: adm-pw,admin\nrd: rd-pw,reader\n")
    srv = secure_factory.start({**FAST, "authentication.method": "BASIC",
                                "ferry.auth.user.file": str(users),
                                "ferry.auth.roles.read": "reader",
                                "ferry.auth.roles.admin": "admin"}, schemes=("http",))
    cfg = {**secret_config(f"http://127.0.0.1:{_free_port()}"), "max.retries": "0"}
    r = requests.post(srv.url + "/exporters", json={"name": "s", "config": cfg},
                      auth=("adm", "adm-pw"))
    assert r.status_code == 200, r.text
    r = requests.get(srv.url + "/exporters/s/config", auth=("rd", "rd-pw"))
    assert r.status_code == 200 and r.json()["bearer.auth.token"] == "********"
    r = requests.get(srv.url + "/exporters/s/config", params={"showSecrets": "true"},
                     auth=("rd", "rd-pw"))
    assert r.status_code == 403 and r.json()["error_code"] == 40301, r.text
    r = requests.get(srv.url + "/exporters/s/config", params={"showSecrets": "true"},
                     auth=("adm", "adm-pw"))
    assert r.status_code == 200 and r.json() == cfg


def test_no_registered_secret_in_any_log_so_far():
    """The whole run's check runs at session end; this one fails early and names the file."""
    leaks = conftest.secret_leaks()
    assert not leaks, "\n".join(leaks)
