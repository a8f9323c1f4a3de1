# SPDX-License-Identifier: Apache-2.0
"""DR kit for the Kafka tests and the bench (issue 16): `ferry serve`
registries (a primary exporting into a DR registry's context `.primary`), a
dr.properties naming both registries, the exporter and the mirror's admin
endpoint, and `ferry dr` runs. Pairs with harness.py (clusters, mirrors)."""
import json
import os
import signal
import subprocess
import time

import requests

from harness import FERRY_BIN, free_port, unique, wait_until

CT = {"Content-Type": "application/vnd.schemaregistry.v1+json"}


class Registry:
    """One `ferry serve` process with its own data dir."""

    def __init__(self, workdir, name=None, **config):
        self.name = name or unique("reg")
        self.dir = os.path.join(workdir, self.name)
        os.makedirs(self.dir, exist_ok=True)
        self.config = {"ferry.fsync": "false", **config}
        self.proc = None
        self.url = ""

    def start(self):
        conf = os.path.join(self.dir, "serve.properties")
        with open(conf, "w") as f:
            f.writelines(f"{k}={v}\n" for k, v in self.config.items())
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        self.log = open(os.path.join(self.dir, "serve.log"), "ab")
        self.proc = subprocess.Popen(
            [FERRY_BIN, "serve", "--config", conf, "--listen", f"127.0.0.1:{port}",
             "--data-dir", os.path.join(self.dir, "data")],
            stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT)

        def up():
            assert self.proc.poll() is None, f"ferry serve exited {self.proc.returncode}"
            try:
                return requests.get(self.url + "/", timeout=2).status_code == 200
            except requests.RequestException:
                return False
        wait_until(up, 30, interval=0.05, msg=f"registry {self.name}")
        return self

    def req(self, method, path, body=None, timeout=30):
        r = requests.request(method, self.url + path, headers=CT, timeout=timeout,
                             data=None if body is None else json.dumps(body))
        return r.status_code, (r.json() if r.content else None)

    def register(self, subject, schema):
        code, body = self.req("POST", f"/subjects/{subject}/versions", {"schema": schema})
        assert code == 200, (code, body)
        return body["id"]

    def mode(self, scope_path):
        path = f"/mode/{scope_path}" if scope_path else "/mode"
        code, body = self.req("GET", f"{path}?defaultToGlobal=true")
        assert code == 200, (code, body)
        return body["mode"]

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        if self.proc:
            self.log.close()
            self.proc = None
            with open(os.path.join(self.dir, "serve.log"), errors="replace") as f:
                log = f.read()
            # an ASan build (FERRY_BIN=build/asan/ferry) must stay silent
            assert "Sanitizer" not in log and "runtime error:" not in log, log[-4000:]


def avro_record(name, *fields):
    return json.dumps({"type": "record", "name": name,
                       "fields": [{"name": f, "type": "int", "default": 0} for f in fields]})


class DrSite:
    """Primary + DR registries linked by exporter `to-dr` into DR context
    `.primary`, and the dr.properties for `ferry dr` (mirror optional)."""

    def __init__(self, workdir):
        self.workdir = workdir
        self.primary = Registry(workdir, unique("primary")).start()
        self.dr = Registry(workdir, unique("dr")).start()
        code, body = self.primary.req("POST", "/exporters", {
            "name": "to-dr", "contextType": "CUSTOM", "context": "primary", "subjects": ["*"],
            "config": {"schema.registry.url": self.dr.url, "max.retries": "1",
                       "retries.wait.ms": "20"}})
        assert code == 200, (code, body)
        self.conf = os.path.join(workdir, unique("dr") + ".properties")

    def write_conf(self, mirror=None, **extra):
        props = {
            "dr.schema.registry.url": self.dr.url,
            "dr.context": ".primary",
            "primary.schema.registry.url": self.primary.url,
            "primary.max.retries": "1",
            "primary.retries.wait.ms": "20",
            "primary.connect.timeout.ms": "2000",
            "primary.request.timeout.ms": "10000",
            "exporter.name": "to-dr",
        }
        if mirror is not None:
            props["mirror.admin.url"] = f"http://127.0.0.1:{mirror.admin_port}"
        props.update(extra)
        with open(self.conf, "w") as f:
            f.writelines(f"{k}={v}\n" for k, v in props.items())
        return self.conf

    def wait_replicated(self, subject, version):
        wait_until(lambda: self.dr.req("GET", f"/subjects/:.primary:{subject}/versions/"
                                              f"{version}")[0] == 200,
                   30, msg=f"{subject} v{version} on DR")

    def journal(self):
        try:
            with open(self.conf + ".dr-journal") as f:
                return json.load(f)
        except (OSError, ValueError):
            return None

    def stop(self):
        self.primary.stop()
        self.dr.stop()


def ferry_dr(*args, timeout=180):
    """`ferry dr ARGS...`: (exit status, parsed --json report or None, stdout, stderr)."""
    p = subprocess.run([FERRY_BIN, "dr", *args], capture_output=True, text=True,
                       timeout=timeout)
    # an ASan build (FERRY_BIN=build/asan/ferry) must stay silent, whatever the exit status
    assert "Sanitizer" not in p.stderr and "runtime error:" not in p.stderr, p.stderr[-4000:]
    rep = None
    if "--json" in args and p.stdout.strip():
        rep = json.loads(p.stdout)
    return p.returncode, rep, p.stdout, p.stderr


def ferry_dr_popen(*args, log=None):
    return subprocess.Popen([FERRY_BIN, "dr", *args], stdout=log or subprocess.DEVNULL,
                            stderr=subprocess.STDOUT)


def timed(fn):
    t0 = time.monotonic()
    out = fn()
    return out, time.monotonic() - t0
