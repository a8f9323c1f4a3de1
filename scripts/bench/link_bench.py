#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Schema-linking benchmark (scripts/bench.sh scenario 7; Python standard library only).

Starts two release ferry servers (source and destination) on free 127.0.0.1 ports
with temporary data dirs, default settings (fsync on), then:

  1. registers --subjects x --versions schemas on the source (one subject in four
     references a shared base schema, so the linker's reference ordering is exercised),
  2. creates exporter `bench` (contextType CUSTOM, context .link, max.in.flight as given)
     and measures the initial sync: schemas/s from the POST /exporters to the moment
     the destination holds every version in :.link: ,
  3. registers --latency-samples single schemas on the source, one at a time, and for
     each measures the time from sending the registration to the id being visible on
     the destination (GET /schemas/ids/{id}?subject=:.link: polled in a tight,
     deadline-bounded loop): p50 / p99,
  4. prints a table with the targets (>= 2,000 schemas/s, p99 < 200 ms) and ratios, and
     a machine-readable line `LINK_RESULT sync_rps=.. p50_ms=.. p99_ms=.. schemas=..`.

Everything it starts is killed on exit; every wait is bounded. Exit 1 when a step fails
(a missed target is only a MISS in the table).
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

CT = "application/vnd.schemaregistry.v1+json"
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SYNC_TARGET = 2000.0  # schemas/s
P99_TARGET = 200.0    # ms
CTX = ".link"


class Client:
    """One keep-alive connection; requests return (status, parsed JSON or None)."""

    def __init__(self, port: int, timeout: float = 30.0):
        self.port = port
        self.timeout = timeout
        self.conn: http.client.HTTPConnection | None = None

    def call(self, method: str, path: str, body=None):
        data = json.dumps(body).encode() if body is not None else None
        headers = {"Content-Type": CT, "Accept": CT} if data is not None else {"Accept": CT}
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port,
                                                       timeout=self.timeout)
            try:
                self.conn.request(method, path, body=data, headers=headers)
                r = self.conn.getresponse()
                raw = r.read()
                try:
                    return r.status, json.loads(raw) if raw else None
                except ValueError:
                    return r.status, None
            except (ConnectionError, http.client.HTTPException, OSError):
                self.conn.close()
                self.conn = None
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def close(self):
        if self.conn:
            self.conn.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def q(s: str) -> str:
    return urllib.parse.quote(s, safe="")


class Server:
    def __init__(self, binary: str, work: str, name: str):
        self.port = free_port()
        self.dir = os.path.join(work, name)
        os.makedirs(self.dir)
        self.log = open(os.path.join(work, name + ".log"), "wb")
        self.proc = subprocess.Popen(
            [binary, "serve", "--listen", f"127.0.0.1:{self.port}", "--data-dir", self.dir],
            stdout=self.log, stderr=subprocess.STDOUT)
        self.url = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 30
        c = Client(self.port, timeout=2)
        while True:
            if self.proc.poll() is not None:
                raise SystemExit(f"link_bench: {name} ferry exited with {self.proc.returncode}")
            try:
                if c.call("GET", "/")[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit(f"link_bench: {name} ferry did not serve within 30 s")
            time.sleep(0.02)
        c.close()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.log.close()


def schema_text(name: str, version: int, with_ref: bool) -> str:
    fields = [{"name": "id", "type": "long"}]
    if with_ref:
        fields.append({"name": "base", "type": "bench.Base"})
    fields += [{"name": f"f{j}", "type": "string", "default": ""} for j in range(2, version + 1)]
    return json.dumps({"type": "record", "name": name, "namespace": "bench", "fields": fields},
                      separators=(",", ":"))


BASE = json.dumps({"type": "record", "name": "Base", "namespace": "bench",
                   "fields": [{"name": "b", "type": "int"}]}, separators=(",", ":"))
BASE_REF = [{"name": "bench.Base", "subject": "link-base", "version": 1}]


def register(c: Client, subject: str, body: dict) -> int:
    st, ans = c.call("POST", f"/subjects/{q(subject)}/versions", body)
    if st != 200 or not isinstance(ans, dict) or "id" not in ans:
        raise SystemExit(f"link_bench: registering {subject} answered {st} {ans}")
    return ans["id"]


def load_source(port: int, subjects: int, versions: int, threads: int) -> int:
    """Registers the data set; each thread owns whole subjects (versions in order)."""
    c = Client(port)
    register(c, "link-base", {"schema": BASE})
    c.close()
    errors: list[BaseException] = []

    def run(k: int):
        cl = Client(port)
        try:
            for s in range(k, subjects, threads):
                ref = s % 4 == 0
                for v in range(1, versions + 1):
                    body = {"schema": schema_text(f"T{s}", v, ref)}
                    if ref:
                        body["references"] = BASE_REF
                    register(cl, f"link-s{s}", body)
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)
        finally:
            cl.close()

    ts = [threading.Thread(target=run, args=(k,)) for k in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    if errors:
        raise SystemExit(f"link_bench: loading the source failed: {errors[0]}")
    return 1 + subjects * versions


def dest_count(c: Client) -> int:
    """Versions (deleted included) in the destination context, paged (limit 1000)."""
    n = 0
    while True:
        st, ans = c.call("GET", f"/schemas?subjectPrefix={q(':' + CTX + ':')}&deleted=true"
                                f"&offset={n}&limit=1000")
        if st != 200 or not isinstance(ans, list):
            return -1
        n += len(ans)
        if len(ans) < 1000:
            return n


def pct(sorted_ms: list[float], p: float) -> float:
    i = min(len(sorted_ms) - 1, max(0, int(round(p / 100.0 * len(sorted_ms) + 0.5)) - 1))
    return sorted_ms[i]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--ferry", default=os.environ.get(
        "FERRY_BIN", os.path.join(ROOT, "build", "release", "ferry")))
    ap.add_argument("--subjects", type=int, default=300)
    ap.add_argument("--versions", type=int, default=4)
    ap.add_argument("--in-flight", default=os.environ.get("LINK_BENCH_IN_FLIGHT", ""),
                    help="exporter max.in.flight (default: ferry's)")
    ap.add_argument("--latency-samples", type=int, default=200)
    ap.add_argument("--sync-timeout", type=float, default=300.0)
    ap.add_argument("--keep", action="store_true", help="keep the temp dir (logs, data)")
    a = ap.parse_args()
    if not os.access(a.ferry, os.X_OK):
        print(f"link_bench: no ferry binary at {a.ferry}", file=sys.stderr)
        return 1

    work = tempfile.mkdtemp(prefix="ferry-link-bench.")
    servers: list[Server] = []
    ok = False
    try:
        src = Server(a.ferry, work, "source")
        servers.append(src)
        dst = Server(a.ferry, work, "dest")
        servers.append(dst)
        print(f"link_bench: source {src.url}, destination {dst.url}, fsync on, work dir {work}")

        t = time.monotonic()
        n = load_source(src.port, a.subjects, a.versions, threads=8)
        print(f"link_bench: {n} schemas registered on the source in "
              f"{time.monotonic() - t:.2f} s")

        # 2: initial sync
        sc, dc = Client(src.port), Client(dst.port)
        cfg = {"schema.registry.url": dst.url}
        if a.in_flight:
            cfg["max.in.flight"] = str(a.in_flight)
        t0 = time.monotonic()
        st, ans = sc.call("POST", "/exporters", {"name": "bench", "contextType": "CUSTOM",
                                                  "context": CTX, "config": cfg})
        if st != 200:
            raise SystemExit(f"link_bench: POST /exporters answered {st} {ans}")
        deadline = t0 + a.sync_timeout
        # cheap probe first (the last id written), then the full count
        last_id = n
        while dc.call("GET", f"/schemas/ids/{last_id}?subject={q(':' + CTX + ':')}")[0] != 200:
            if time.monotonic() > deadline:
                raise SystemExit("link_bench: initial sync did not finish in time: "
                                 f"{sc.call('GET', '/exporters/bench/status')[1]}")
            time.sleep(0.002)
        while (have := dest_count(dc)) < n:
            if time.monotonic() > deadline:
                raise SystemExit(f"link_bench: destination holds {have} of {n} schemas")
            time.sleep(0.005)
        sync_s = time.monotonic() - t0
        sync_rps = n / sync_s
        print(f"link_bench: initial sync of {n} schemas in {sync_s:.3f} s")

        # 3: replication latency of single registrations
        lat: list[float] = []
        for i in range(a.latency_samples):
            body = {"schema": schema_text(f"L{i}", 1, False)}
            t1 = time.monotonic()
            sid = register(sc, f"link-lat-{i}", body)
            dl = t1 + 10.0
            path = f"/schemas/ids/{sid}?subject={q(':' + CTX + ':')}"
            while dc.call("GET", path)[0] != 200:
                if time.monotonic() > dl:
                    raise SystemExit(f"link_bench: id {sid} not on the destination after 10 s")
            lat.append((time.monotonic() - t1) * 1000.0)
        lat.sort()
        p50, p99 = pct(lat, 50), pct(lat, 99)
        sc.close()
        dc.close()

        print()
        print(f"{'figure':<40} {'value':>10} {'unit':<9} {'target':>10} {'ratio':>7}  verdict")
        rows = [("7 link initial sync", sync_rps, "schemas/s", ">=", SYNC_TARGET),
                ("7 link replication latency p50", p50, "ms", "", None),
                ("7 link replication latency p99", p99, "ms", "<", P99_TARGET)]
        for name, v, unit, op, target in rows:
            if target is None:
                print(f"{name:<40} {v:>10.1f} {unit:<9}")
                continue
            good = v >= target if op == ">=" else v < target
            print(f"{name:<40} {v:>10.1f} {unit:<9} {op + ' ' + str(int(target)):>10} "
                  f"{v / target:>7.2f}  {'ok' if good else 'MISS'}")
        print(f"LINK_RESULT sync_rps={sync_rps:.1f} p50_ms={p50:.2f} p99_ms={p99:.2f} "
              f"schemas={n} sync_s={sync_s:.3f}")
        ok = True
    finally:
        for s in reversed(servers):
            s.stop()
        if a.keep or not ok:
            print(f"link_bench: logs and data kept in {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
