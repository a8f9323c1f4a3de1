# SPDX-License-Identifier: Apache-2.0
"""Helpers of the TLS / authentication / secrets tests (test_tls.py, test_auth.py,
test_secrets.py): a private PKI made with the openssl command line (a CA, server and
client certificates, an expired one, one from another CA), and `ferry serve` started
with its own `listeners` (http and/or https) and probed by a plain TCP connect, since
an authenticated server answers 401 to the fixture's GET / probe."""
from __future__ import annotations

import pathlib
import signal
import socket
import subprocess
import time

import pytest
import requests

from conftest import Ferry, ServerPool, _ferry_bin, _free_port, START_DEADLINE_S

EXT_SERVER = ("subjectAltName=IP:127.0.0.1,DNS:localhost",
              "basicConstraints=critical,CA:FALSE",
              "keyUsage=critical,digitalSignature,keyEncipherment",
              "extendedKeyUsage=serverAuth")
EXT_CLIENT = ("basicConstraints=critical,CA:FALSE",
              "keyUsage=critical,digitalSignature",
              "extendedKeyUsage=clientAuth")
EXT_CA = ("basicConstraints=critical,CA:TRUE", "keyUsage=critical,keyCertSign,cRLSign")


def _run(*args: str, cwd: pathlib.Path) -> None:
    p = subprocess.run(["openssl", *args], cwd=cwd, capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, f"openssl {' '.join(args)}: {p.stderr}"


class Pki:
    """Certificates in `d`: ca, other_ca, server (+ keystore.pem = key + chain),
    server_expired, server_other (signed by other_ca), client (CN=alice), client_other."""

    def __init__(self, d: pathlib.Path):
        self.d = d
        d.mkdir(parents=True, exist_ok=True)
        self.ca = self._ca("ca", "ferry-test-ca")
        self.other_ca = self._ca("other_ca", "someone-else-ca")
        self.server = self._leaf("server", "localhost", "ca", EXT_SERVER)
        self.server_other = self._leaf("server_other", "localhost", "other_ca", EXT_SERVER)
        self.server_expired = self._leaf("server_expired", "localhost", "ca", EXT_SERVER,
                                         expired=True)
        self.client = self._leaf("client", "alice", "ca", EXT_CLIENT)
        self.client2 = self._leaf("client2", "bob", "ca", EXT_CLIENT)
        self.client_other = self._leaf("client_other", "mallory", "other_ca", EXT_CLIENT)
        # Kafka's PEM keystore: the private key and the certificate chain in one file
        self.keystore = d / "keystore.pem"
        self.keystore.write_text((d / "server.key").read_text() + (d / "server.pem").read_text()
                                 + (d / "ca.pem").read_text())

    def _ca(self, name: str, cn: str) -> pathlib.Path:
        args = ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                "-nodes", "-keyout", f"{name}.key", "-out", f"{name}.pem", "-days", "30",
                "-subj", f"/CN={cn}"]
        for e in EXT_CA:
            args += ["-addext", e]
        _run(*args, cwd=self.d)
        return self.d / f"{name}.pem"

    def _leaf(self, name: str, cn: str, ca: str, ext: tuple[str, ...],
              expired: bool = False) -> pathlib.Path:
        args = ["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", f"/O=ferry-tests/CN={cn}"]
        for e in ext:
            args += ["-addext", e]
        _run(*args, cwd=self.d)
        if not expired:
            _run("x509", "-req", "-in", f"{name}.csr", "-CA", f"{ca}.pem", "-CAkey", f"{ca}.key",
                 "-set_serial", str(int(time.time() * 1000) % 10**12), "-days", "30",
                 "-copy_extensions", "copy", "-out", f"{name}.pem", cwd=self.d)
        else:  # `openssl ca` is the 3.0 tool that takes explicit dates
            (self.d / "index.txt").write_text("")
            (self.d / "serial").write_text("1000\n")
            (self.d / "ca.cnf").write_text(
                "[ca]\ndefault_ca=d\n[d]\ndatabase=index.txt\nnew_certs_dir=.\nserial=serial\n"
                "default_md=sha256\npolicy=p\ncopy_extensions=copy\nunique_subject=no\n"
                "[p]\ncommonName=supplied\norganizationName=optional\n")
            _run("ca", "-batch", "-config", "ca.cnf", "-cert", f"{ca}.pem", "-keyfile", f"{ca}.key",
                 "-in", f"{name}.csr", "-out", f"{name}.pem", "-notext",
                 "-startdate", "20200101000000Z", "-enddate", "20200201000000Z", cwd=self.d)
        return self.d / f"{name}.pem"

    def key(self, name: str) -> pathlib.Path:
        return self.d / f"{name}.key"

    def cert(self, name: str) -> pathlib.Path:
        return self.d / f"{name}.pem"


def tcp_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


class SecureFerry(Ferry):
    """`ferry serve` with its own listeners: `schemes` ("http", "https") get a free
    port each; self.urls maps scheme -> base URL; self.url is the first."""

    def __init__(self, workdir: pathlib.Path, config: dict[str, str],
                 schemes: tuple[str, ...] = ("https",)):
        workdir.mkdir(parents=True, exist_ok=True)
        data = workdir / f"data-{id(self)}"
        data.mkdir()
        super().__init__(_ferry_bin(), workdir, data, dict(config))
        self.schemes = schemes
        self.urls: dict[str, str] = {}
        self.ports: dict[str, int] = {}

    def start(self) -> "SecureFerry":
        import os
        env = dict(os.environ)
        env["ASAN_OPTIONS"] = "detect_leaks=1:halt_on_error=1"
        env["UBSAN_OPTIONS"] = "halt_on_error=1:print_stacktrace=1"
        for _attempt in range(3):
            self.ports = {s: _free_port() for s in self.schemes}
            self.urls = {s: f"{s}://127.0.0.1:{p}" for s, p in self.ports.items()}
            self.url = self.urls[self.schemes[0]]
            self.port = self.ports[self.schemes[0]]
            cfg = dict(self.config or {})
            cfg["listeners"] = ",".join(self.urls[s] for s in self.schemes)
            self.config_path.write_text("".join(f"{k}={v}\n" for k, v in cfg.items()),
                                        encoding="utf-8")
            with open(self.stderr_path, "ab") as err:
                self.proc = subprocess.Popen(
                    [str(self.binary), "serve", "--config", str(self.config_path),
                     "--data-dir", str(self.data_dir)],
                    stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err, env=env)
            deadline = time.monotonic() + START_DEADLINE_S
            while time.monotonic() < deadline and self.proc.poll() is None:
                if "ferry started" in self.stderr() and all(tcp_open(p)
                                                            for p in self.ports.values()):
                    return self
                time.sleep(0.02)
            if self.proc.poll() is None:
                self.kill9()
                break
            if "cannot listen" not in self.stderr():
                break  # a real start failure: report it
        raise AssertionError(f"ferry did not start on {self.urls}:\n{self.stderr_tail()}")

    def hup(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGHUP)


def start_failure(workdir: pathlib.Path, config: dict[str, str]) -> tuple[int, str]:
    """Run `ferry serve` with a config that must not start: (exit code, stderr)."""
    workdir.mkdir(parents=True, exist_ok=True)
    cfg = workdir / "bad.properties"
    cfg.write_text("".join(f"{k}={v}\n" for k, v in config.items()), encoding="utf-8")
    data = workdir / "data-bad"
    data.mkdir(exist_ok=True)
    p = subprocess.run([str(_ferry_bin()), "serve", "--config", str(cfg), "--data-dir", str(data)],
                       capture_output=True, text=True, timeout=60)
    return p.returncode, p.stderr


def session(ca: pathlib.Path | None = None, cert: tuple[pathlib.Path, pathlib.Path] | None = None,
            auth: tuple[str, str] | None = None) -> requests.Session:
    s = requests.Session()
    s.trust_env = False  # REQUESTS_CA_BUNDLE would override `verify`
    s.verify = str(ca) if ca else True
    if cert:
        s.cert = (str(cert[0]), str(cert[1]))
    if auth:
        s.auth = auth
    return s


class SecurePool(ServerPool):
    """Servers of one test; each is stopped with SIGTERM and checked at teardown
    (conftest's ServerPool.close)."""

    def start(self, config: dict[str, str], schemes: tuple[str, ...] = ("https",)
              ) -> SecureFerry:  # type: ignore[override]
        srv = SecureFerry(self.tmp / f"srv-{len(self.servers)}", config, schemes)
        self.servers.append(srv)
        return srv.start()


def tls_api(url: str, ca: pathlib.Path | None = None,
            cert: tuple[pathlib.Path, pathlib.Path] | None = None,
            auth: tuple[str, str] | None = None):
    """conftest's Api over TLS (and/or with basic auth)."""
    from conftest import Api
    api = Api(url)
    api.s = session(ca, cert, auth)
    return api


@pytest.fixture(scope="module")
def pki(tmp_path_factory) -> Pki:
    return Pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture
def secure_factory(tmp_path):
    pool = SecurePool(tmp_path)
    yield pool
    problems = pool.close()
    assert not problems, "\n\n".join(problems)
