#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Benchmark helpers for scripts/bench.sh (Python standard library only).

  load.py preload URL --subjects S --versions V [--context .ctx]
      registers subjects bench-s0..bench-s{S-1}, versions 1..V each (version v
      adds a string field with a default: BACKWARD compatible), S*V distinct
      schemas, in the default context or in --context.
  load.py bulk URL --subjects K --versions V [--conns C] [--timeout T]
      registers K*V distinct schemas (subjects load-s0..load-s{K-1}, V versions
      each) over C concurrent keep-alive connections; prints acked/rate.
  load.py count URL --prefix P
      number of subjects and of live versions whose subject starts with P.
  load.py wait200 URL PATH [--timeout T]
      polls GET URL+PATH every 2 ms until 200; prints the epoch ns of that 200.
  load.py port
      prints a free TCP port on 127.0.0.1.

Every wait is bounded; a non-200 answer to a registration is an error (exit 1).
"""
from __future__ import annotations

import argparse
import asyncio
import json
import socket
import sys
import time
import urllib.parse

CT = "application/vnd.schemaregistry.v1+json"


def bench_schema(name: str, version: int) -> str:
    """Record `name` with field id:long and, for version v, fields f2..fv
    (string, default ""). Same text as scripts/bench/lookup.lua builds."""
    fields = [{"name": "id", "type": "long"}]
    fields += [{"name": f"f{j}", "type": "string", "default": ""} for j in range(2, version + 1)]
    return json.dumps({"type": "record", "name": name, "namespace": "bench", "fields": fields},
                      separators=(",", ":"))


def split_url(url: str) -> tuple[str, int]:
    u = urllib.parse.urlsplit(url)
    if u.hostname != "127.0.0.1":
        sys.exit(f"load.py: only 127.0.0.1 is allowed, got {url}")
    return u.hostname, u.port or 80


class Conn:
    """One keep-alive HTTP/1.1 connection (asyncio streams)."""

    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.r: asyncio.StreamReader | None = None
        self.w: asyncio.StreamWriter | None = None

    async def request(self, method: str, path: str, body: bytes | None = None,
                      timeout: float = 30.0) -> tuple[int, bytes]:
        for attempt in (1, 2):
            if self.w is None:
                self.r, self.w = await asyncio.wait_for(
                    asyncio.open_connection(self.host, self.port), timeout)
            head = f"{method} {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
            if body is not None:
                head += f"Content-Type: {CT}\r\nContent-Length: {len(body)}\r\n"
            self.w.write(head.encode() + b"\r\n" + (body or b""))
            try:
                return await asyncio.wait_for(self._read(), timeout)
            except (ConnectionError, asyncio.IncompleteReadError):
                await self.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    async def _read(self) -> tuple[int, bytes]:
        assert self.r is not None
        status_line = await self.r.readline()
        if not status_line:
            raise ConnectionError("connection closed")
        status = int(status_line.split()[1])
        length, close = 0, False
        while True:
            line = await self.r.readline()
            if line in (b"\r\n", b"\n", b""):
                break
            k, _, v = line.decode("latin-1").partition(":")
            k = k.strip().lower()
            if k == "content-length":
                length = int(v.strip())
            elif k == "connection" and v.strip().lower() == "close":
                close = True
        data = await self.r.readexactly(length) if length else b""
        if close:
            await self.close()
        return status, data

    async def close(self) -> None:
        if self.w is not None:
            self.w.close()
            try:
                await self.w.wait_closed()
            except Exception:
                pass
        self.r = self.w = None


def q(subject: str) -> str:
    return urllib.parse.quote(subject, safe="")


async def register_all(url: str, items: list[tuple[str, str]], conns: int,
                       timeout: float) -> tuple[int, list[str], float]:
    """POST each (subject, schema) to /subjects/{subject}/versions.
    Returns (acked 200s, error descriptions, elapsed seconds)."""
    host, port = split_url(url)
    nxt = 0
    acked = 0
    errors: list[str] = []
    deadline = time.monotonic() + timeout

    async def worker() -> None:
        nonlocal nxt, acked
        c = Conn(host, port)
        try:
            while nxt < len(items) and time.monotonic() < deadline and len(errors) < 20:
                i = nxt
                nxt += 1
                subject, schema = items[i]
                body = json.dumps({"schema": schema}).encode()
                try:
                    status, data = await c.request("POST", f"/subjects/{q(subject)}/versions", body)
                except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError) as e:
                    errors.append(f"{subject}: {type(e).__name__} {e}")
                    await c.close()
                    continue
                if status == 200 and b'"id"' in data:
                    acked += 1
                else:
                    errors.append(f"{subject}: HTTP {status} {data[:300]!r}")
        finally:
            await c.close()

    t0 = time.monotonic()
    await asyncio.gather(*(worker() for _ in range(conns)))
    elapsed = time.monotonic() - t0
    if nxt < len(items) and not errors:
        errors.append(f"timed out after {timeout:.0f}s with {len(items) - nxt} left")
    return acked, errors, elapsed


def cmd_preload(a: argparse.Namespace) -> int:
    prefix = f":{a.context}:" if a.context else ""
    # version-major order: v of a subject is always registered after v-1
    items = [(f"{prefix}bench-s{k}", bench_schema(f"Bench{k}", v))
             for v in range(1, a.versions + 1) for k in range(a.subjects)]
    acked, errors, elapsed = 0, [], 0.0
    for v in range(a.versions):  # one round per version keeps the order strict
        chunk = items[v * a.subjects:(v + 1) * a.subjects]
        n, e, t = asyncio.run(register_all(a.url, chunk, a.conns, a.timeout))
        acked, errors, elapsed = acked + n, errors + e, elapsed + t
        if errors:
            break
    print(f"preload context={a.context or '.'} schemas={acked} seconds={elapsed:.2f}")
    for e in errors[:10]:
        print("  error:", e, file=sys.stderr)
    return 0 if not errors and acked == len(items) else 1


def cmd_bulk(a: argparse.Namespace) -> int:
    items = [(f"load-s{k}", bench_schema(f"Load{k}", v))
             for v in range(1, a.versions + 1) for k in range(a.subjects)]
    acked, errors, elapsed = asyncio.run(register_all(a.url, items, a.conns, a.timeout))
    rate = acked / elapsed if elapsed > 0 else 0.0
    print(f"BULK acked={acked} wanted={len(items)} seconds={elapsed:.2f} rate={rate:.0f} "
          f"errors={len(errors)}")
    for e in errors[:10]:
        print("  error:", e, file=sys.stderr)
    return 0 if not errors and acked == len(items) else 1


async def _count(url: str, prefix: str) -> tuple[int, int]:
    host, port = split_url(url)
    c = Conn(host, port)
    try:
        status, data = await c.request("GET", f"/subjects?subjectPrefix={q(prefix)}")
        if status != 200:
            raise SystemExit(f"GET /subjects: HTTP {status} {data[:200]!r}")
        subjects = len(json.loads(data))
        versions, offset = 0, 0
        while True:
            status, data = await c.request(
                "GET", f"/schemas?subjectPrefix={q(prefix)}&offset={offset}&limit=1000")
            if status != 200:
                raise SystemExit(f"GET /schemas: HTTP {status} {data[:200]!r}")
            page = json.loads(data)
            versions += len(page)
            offset += len(page)
            if len(page) < 1000:
                break
        return subjects, versions
    finally:
        await c.close()


def cmd_count(a: argparse.Namespace) -> int:
    subjects, versions = asyncio.run(_count(a.url, a.prefix))
    print(f"COUNT subjects={subjects} versions={versions}")
    return 0


def cmd_wait200(a: argparse.Namespace) -> int:
    host, port = split_url(a.url)
    req = f"GET {a.path} HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: close\r\n\r\n".encode()
    deadline = time.monotonic() + a.timeout
    last = "no answer"
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=2) as s:
                s.sendall(req)
                first = s.recv(64)
                if first.startswith(b"HTTP/1.1 200") or first.startswith(b"HTTP/1.0 200"):
                    print(time.time_ns())
                    return 0
                last = first[:40].decode("latin-1", "replace")
        except OSError as e:
            last = str(e)
        time.sleep(0.002)
    print(f"wait200: no 200 on {a.path} within {a.timeout}s (last: {last})", file=sys.stderr)
    return 1


def cmd_port(_: argparse.Namespace) -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        print(s.getsockname()[1])
    return 0


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("preload")
    s.add_argument("url")
    s.add_argument("--subjects", type=int, default=200)
    s.add_argument("--versions", type=int, default=5)
    s.add_argument("--context", default="")
    s.add_argument("--conns", type=int, default=32)
    s.add_argument("--timeout", type=float, default=120)
    s.set_defaults(fn=cmd_preload)
    s = sub.add_parser("bulk")
    s.add_argument("url")
    s.add_argument("--subjects", type=int, default=10000)
    s.add_argument("--versions", type=int, default=10)
    s.add_argument("--conns", type=int, default=64)
    s.add_argument("--timeout", type=float, default=300)
    s.set_defaults(fn=cmd_bulk)
    s = sub.add_parser("count")
    s.add_argument("url")
    s.add_argument("--prefix", required=True)
    s.set_defaults(fn=cmd_count)
    s = sub.add_parser("wait200")
    s.add_argument("url")
    s.add_argument("path")
    s.add_argument("--timeout", type=float, default=30)
    s.set_defaults(fn=cmd_wait200)
    s = sub.add_parser("port")
    s.set_defaults(fn=cmd_port)
    a = p.parse_args()
    return a.fn(a)


if __name__ == "__main__":
    sys.exit(main())
