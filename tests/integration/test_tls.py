# SPDX-License-Identifier: Apache-2.0
"""TLS on `ferry serve` (issue 15): https listeners beside http ones, Kafka-style PEM
keystores, TLS 1.2+ only, client certificates (ssl.client.authentication), certificate
reload on SIGHUP without dropping connections, and the linker's libcurl clients
(exporters and `ferry link`) against an https registry with a private CA and mTLS.
Every client here is a real TLS client: Python's ssl/requests, curl and openssl s_client."""
from __future__ import annotations

import shutil
import socket
import ssl
import subprocess

import pytest
import requests

import conftest
from conftest import Api, CT_V1, expect_ok, q, record, aname, wait_until
from secure import pki, secure_factory, session, start_failure, tls_api  # noqa: F401

FAST = {"ferry.fsync": "false"}
conftest.register_secret("p12-secret", "key-secret", "wrong-secret")


def tls_conf(pki, **extra: str) -> dict[str, str]:
    c = dict(FAST)
    c.update({"ssl.keystore.location": str(pki.keystore), "ssl.keystore.type": "PEM"})
    c.update(extra)
    return c


def raw_tls(port: int, ca, cert=None, max_version=None) -> ssl.SSLSocket:
    ctx = ssl.create_default_context(cafile=str(ca))
    if cert:
        ctx.load_cert_chain(str(cert[0]), str(cert[1]))
    if max_version:
        ctx.maximum_version = max_version
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    return ctx.wrap_socket(sock, server_hostname="localhost")


def http_get(tls: ssl.SSLSocket, path: str) -> bytes:
    """One keep-alive request on an open TLS socket; returns the whole answer."""
    tls.sendall(f"GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n".encode())
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = tls.recv(65536)
        assert chunk, f"connection closed: {data!r}"
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = int([ln.split(b":")[1] for ln in head.split(b"\r\n")
                  if ln.lower().startswith(b"content-length:")][0])
    while len(body) < length:
        body += tls.recv(65536)
    return head.split(b"\r\n")[0] + b" " + body


def refused(fn) -> bool:
    try:
        fn()
    except (requests.exceptions.SSLError, requests.exceptions.ConnectionError, ssl.SSLError,
            ConnectionResetError, BrokenPipeError):
        return True
    return False


def test_http_and_https_listeners_serve_the_same_registry(secure_factory, pki):
    srv = secure_factory.start(tls_conf(pki), schemes=("http", "https"))
    tls = tls_api(srv.urls["https"], pki.ca)
    plain = Api(srv.urls["http"])
    s = f"tls-{aname()}"
    sid = tls.register_ok(s, record(aname()))
    assert expect_ok(plain.get(f"/schemas/ids/{sid}"))["schema"]
    assert expect_ok(tls.get(f"/subjects/{q(s)}/versions")) == [1]
    # curl and openssl s_client, the operators' clients
    out = subprocess.run(["curl", "-sS", "--cacert", str(pki.ca), srv.urls["https"] + "/subjects"],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 0 and s in out.stdout, out.stderr
    p = subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{srv.ports['https']}",
                        "-CAfile", str(pki.ca), "-verify_return_error", "-brief"],
                       input="", capture_output=True, text=True, timeout=30)
    assert "Verification: OK" in p.stderr and "Protocol version: TLSv1.3" in p.stderr, p.stderr
    # plain HTTP on the https port is no answer
    assert refused(lambda: requests.get(f"http://127.0.0.1:{srv.ports['https']}/", timeout=5)) \
        or requests.get(f"http://127.0.0.1:{srv.ports['https']}/", timeout=5).status_code >= 400


def test_tls_1_2_and_1_3_only(secure_factory, pki):
    srv = secure_factory.start(tls_conf(pki))
    port = srv.ports["https"]
    with raw_tls(port, pki.ca) as t:
        assert t.version() == "TLSv1.3"
    with raw_tls(port, pki.ca, max_version=ssl.TLSVersion.TLSv1_2) as t:
        assert t.version() == "TLSv1.2"
    for flag in ("-tls1_1", "-tls1"):
        p = subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{port}", flag,
                            "-cipher", "DEFAULT@SECLEVEL=0", "-brief"],
                           input="", capture_output=True, text=True, timeout=30)
        assert "Protocol version" not in p.stderr, p.stderr
    srv12 = secure_factory.start(tls_conf(pki, **{"ssl.enabled.protocols": "TLSv1.2"}))
    with raw_tls(srv12.ports["https"], pki.ca) as t:
        assert t.version() == "TLSv1.2"
    code, err = start_failure(srv.workdir / "bad", tls_conf(
        pki, listeners="https://127.0.0.1:1", **{"ssl.enabled.protocols": "TLSv1.1"}))
    assert code == 2 and "TLSv1.1" in err, err


def test_clients_refuse_wrong_ca_and_expired_certificates(secure_factory, pki, tmp_path):
    other = secure_factory.start(tls_conf(pki, **{
        "ssl.keystore.location": str(pki.cert("server_other")),
        "ferry.ssl.key.location": str(pki.key("server_other"))}))
    with pytest.raises(requests.exceptions.SSLError, match="CERTIFICATE_VERIFY_FAILED"):
        session(ca=pki.ca).get(other.url + "/")
    assert session(ca=pki.other_ca).get(other.url + "/").json() == {}
    expired = secure_factory.start(tls_conf(pki, **{
        "ssl.keystore.location": str(pki.cert("server_expired")),
        "ferry.ssl.key.location": str(pki.key("server_expired"))}))
    with pytest.raises(requests.exceptions.SSLError, match="certificate has expired"):
        session(ca=pki.ca).get(expired.url + "/")
    out = subprocess.run(["curl", "-sS", "--cacert", str(pki.ca), expired.url + "/"],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 60 and "expired" in out.stderr, out.stderr


def test_pkcs12_keystore_and_encrypted_pem_key(secure_factory, pki, tmp_path):
    p12 = tmp_path / "server.p12"
    subprocess.run(["openssl", "pkcs12", "-export", "-in", str(pki.cert("server")), "-inkey",
                    str(pki.key("server")), "-out", str(p12), "-passout", "pass:p12-secret"],
                   check=True, capture_output=True, timeout=30)
    srv = secure_factory.start(tls_conf(pki, **{
        "ssl.keystore.location": str(p12), "ssl.keystore.type": "PKCS12",
        "ssl.keystore.password": "p12-secret"}))
    assert session(ca=pki.ca).get(srv.url + "/").json() == {}
    enc = tmp_path / "server-enc.key"
    subprocess.run(["openssl", "pkcs8", "-topk8", "-in", str(pki.key("server")), "-out", str(enc),
                    "-passout", "pass:key-secret"], check=True, capture_output=True, timeout=30)
    srv2 = secure_factory.start(tls_conf(pki, **{
        "ssl.keystore.location": str(pki.cert("server")), "ferry.ssl.key.location": str(enc),
        "ssl.key.password": "key-secret"}))
    assert session(ca=pki.ca).get(srv2.url + "/").json() == {}
    code, err = start_failure(tmp_path / "bad", tls_conf(pki, **{
        "listeners": "https://127.0.0.1:1", "ssl.keystore.location": str(pki.cert("server")),
        "ferry.ssl.key.location": str(enc), "ssl.key.password": "wrong-secret"}))
    assert code == 2 and "cannot load the certificate" in err, err
    assert "wrong-secret" not in err and "key-secret" not in err


def test_mtls_required(secure_factory, pki):
    srv = secure_factory.start(tls_conf(pki, **{
        "ssl.truststore.location": str(pki.ca), "ssl.truststore.type": "PEM",
        "ssl.client.authentication": "REQUIRED"}))
    good = (pki.cert("client"), pki.key("client"))
    assert session(ca=pki.ca, cert=good).get(srv.url + "/").json() == {}
    # missing: the handshake fails (TLS 1.3 reports it at the first read)
    assert refused(lambda: session(ca=pki.ca).get(srv.url + "/subjects", timeout=10))
    # a certificate from another CA
    bad = (pki.cert("client_other"), pki.key("client_other"))
    assert refused(lambda: session(ca=pki.ca, cert=bad).get(srv.url + "/", timeout=10))
    out = subprocess.run(["curl", "-sS", "--cacert", str(pki.ca), srv.url + "/"],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode != 0
    out = subprocess.run(["curl", "-sS", "--cacert", str(pki.ca), "--cert", str(good[0]), "--key",
                          str(good[1]), srv.url + "/"], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0 and out.stdout == "{}", out.stderr
    # the deprecated boolean means REQUIRED too
    legacy = secure_factory.start(tls_conf(pki, **{
        "ssl.truststore.location": str(pki.ca), "ssl.client.auth": "true"}))
    assert refused(lambda: session(ca=pki.ca).get(legacy.url + "/subjects", timeout=10))
    code, err = start_failure(srv.workdir / "bad", tls_conf(pki, **{
        "listeners": "https://127.0.0.1:1", "ssl.client.authentication": "REQUIRED"}))
    assert code == 2 and "ssl.truststore.location" in err, err


def test_mtls_requested(secure_factory, pki):
    srv = secure_factory.start(tls_conf(pki, **{
        "ssl.truststore.location": str(pki.ca), "ssl.client.authentication": "REQUESTED"}))
    assert session(ca=pki.ca).get(srv.url + "/").json() == {}
    good = (pki.cert("client"), pki.key("client"))
    assert session(ca=pki.ca, cert=good).get(srv.url + "/").json() == {}
    bad = (pki.cert("client_other"), pki.key("client_other"))
    assert refused(lambda: session(ca=pki.ca, cert=bad).get(srv.url + "/", timeout=10))


def test_sighup_reloads_certificates_without_dropping_connections(secure_factory, pki, tmp_path):
    ks = tmp_path / "rotating.pem"
    shutil.copy(pki.keystore, ks)
    srv = secure_factory.start(tls_conf(pki, **{"ssl.keystore.location": str(ks)}))
    port = srv.ports["https"]
    old = raw_tls(port, pki.ca)
    assert http_get(old, "/").endswith(b"{}")
    # rotate to a certificate of another CA; a file that does not load keeps the old one
    ks.write_text("not a certificate\n")
    srv.hup()
    wait_until(lambda: "TLS reload failed" in srv.stderr(), what="failed reload logged")
    assert session(ca=pki.ca).get(srv.url + "/").json() == {}
    ks.write_text(pki.key("server_other").read_text() + pki.cert("server_other").read_text())
    srv.hup()
    wait_until(lambda: "generation=2" in srv.stderr(), what="reload logged")
    # the connection opened before the reload goes on
    assert http_get(old, "/subjects").endswith(b"[]")
    old.close()
    with pytest.raises(requests.exceptions.SSLError):
        session(ca=pki.ca).get(srv.url + "/")
    assert session(ca=pki.other_ca).get(srv.url + "/").json() == {}


def _dest(secure_factory, pki):
    return secure_factory.start(tls_conf(pki, **{
        "ssl.truststore.location": str(pki.ca), "ssl.client.authentication": "REQUIRED"}))


def _client_tls_config(pki, prefix: str = "") -> dict[str, str]:
    return {f"{prefix}schema.registry.ssl.truststore.location": str(pki.ca),
            f"{prefix}schema.registry.ssl.keystore.location": str(pki.cert("client")),
            f"{prefix}schema.registry.ssl.key.location": str(pki.key("client"))}


def test_exporter_to_https_destination_with_private_ca_and_mtls(secure_factory, ferry_factory,
                                                                pki):
    dst_srv = _dest(secure_factory, pki)
    dst = tls_api(dst_srv.url, pki.ca, (pki.cert("client"), pki.key("client")))
    src = Api(ferry_factory.start(config=FAST))
    s = f"exp-{aname()}"
    src.register_ok(s, record(aname()))
    cfg = {"schema.registry.url": dst_srv.url, "max.retries": "1", "retries.wait.ms": "20"}
    cfg.update(_client_tls_config(pki))
    body = {"name": "tlslink", "contextType": "NONE", "config": cfg}
    assert expect_ok(src.post("/exporters", body)) == {"name": "tlslink"}
    wait_until(lambda: dst.get(f"/subjects/{q(s)}/versions").status_code == 200, timeout=60,
               what="subject copied over https")
    # without the client certificate the destination refuses: the exporter reports it
    cfg2 = dict(cfg)
    del cfg2["schema.registry.ssl.keystore.location"], cfg2["schema.registry.ssl.key.location"]
    body = {"name": "nocert", "contextType": "NONE", "config": cfg2}
    assert expect_ok(src.post("/exporters", body)) == {"name": "nocert"}
    st = wait_until(lambda: (lambda b: b if b.get("state") == "PAUSED" or b.get("trace") else None)(
        expect_ok(src.get("/exporters/nocert/status"))), timeout=60, what="exporter error")
    assert st.get("trace"), st


def test_standalone_link_to_https_destination_with_mtls(secure_factory, ferry_factory, pki,
                                                         tmp_path):
    from test_link_standalone import ENV
    import conftest
    dst_srv = _dest(secure_factory, pki)
    src = Api(ferry_factory.start(config=FAST))
    s = f"sa-{aname()}"
    src.register_ok(s, record(aname()))
    props = {"name": "sa", "source.schema.registry.url": src.base,
             "destination.schema.registry.url": dst_srv.url, "context.type": "NONE",
             "destination.max.retries": "1", "destination.retries.wait.ms": "20"}
    props.update(_client_tls_config(pki, "destination."))
    cfg = tmp_path / "link.properties"
    cfg.write_text("".join(f"{k}={v}\n" for k, v in props.items()))
    p = subprocess.run([str(conftest._ferry_bin()), "link", "--config", str(cfg), "--once"],
                       capture_output=True, text=True, timeout=120, env=ENV)
    assert p.returncode == 0 and p.stdout.startswith("applied "), p.stdout + p.stderr
    dst = session(ca=pki.ca, cert=(pki.cert("client"), pki.key("client")))
    r = dst.get(f"{dst_srv.url}/subjects/{q(s)}/versions", headers={"Accept": CT_V1})
    assert r.status_code == 200 and r.json() == [1], r.text
