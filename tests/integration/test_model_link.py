# SPDX-License-Identifier: Apache-2.0
"""Link convergence model test (issue 9; design in docs/internals/testing.md, "link").

A seeded random workload runs on a source registry while an exporter copies it into a
destination context: registrations (with references), soft/hard deletes of versions and
subjects, subject and context configs, subject modes, journal compactions (a small
ferry.store.compact.min.bytes plus churn), clean restarts and kill -9 of either side, and
exporter resets (some followed at once by a kill -9 of the source). Every fault class
happens at least once per run. The source is the model: at the end the destination must
hold exactly the source's dump (ids, versions, text, references, deletions, configs, modes)
and the exporter must be RUNNING.

Seeds: make test runs one fresh random seed and the pinned regression seeds (PINNED);
a failure names its seed, FERRY_MODEL_SEED=<n> replays only that one.
FERRY_MODEL_LINK_SEEDS=<n> runs n fresh seeds (a soak), FERRY_MODEL_LINK_STEPS (default
600) and FERRY_MODEL_LINK_SECONDS (default 30) bound each run's workload."""
from __future__ import annotations

import json
import os
import random
import time

import pytest

from conftest import Api, expect_ok, q, record
from test_link_exporters import converged, create_exporter, dump, expected_dest, \
    restart_same_port, status

SRC_CONF = {"ferry.fsync": "false", "ferry.store.compact.min.bytes": "4096"}
DST_CONF = {"ferry.fsync": "false", "ferry.store.compact.min.bytes": "4096"}
LEVELS = ["NONE", "BACKWARD", "FORWARD", "FULL"]
# the random phase of one run stops after this long, whatever the step count
WORKLOAD_S = float(os.environ.get("FERRY_MODEL_LINK_SECONDS") or 30)
STEPS = int(os.environ.get("FERRY_MODEL_LINK_STEPS") or 600)
CONVERGE_S = 60.0
# regression seeds, each once found a bug (docs/internals/testing.md "What it found"); the
# focused test of each bug is in test_link_safety.py
PINNED = [1, 492679644, 269230383]


def seeds() -> list[str]:
    env = os.environ.get("FERRY_MODEL_SEED")
    if env and env != "random":
        return [env]
    fresh = [f"fresh{i}" for i in range(int(os.environ.get("FERRY_MODEL_LINK_SEEDS") or 1))]
    return fresh if env == "random" else fresh + [str(x) for x in PINNED]


class Run:
    def __init__(self, rng: random.Random, ferry_factory, monkeypatch):
        self.rng = rng
        self.ff = ferry_factory
        self.mp = monkeypatch
        self.src = Api(ferry_factory.start(config=SRC_CONF))
        self.dst = Api(ferry_factory.start(config=DST_CONF))
        self.src_servers = [self.src.server]
        self.faults: dict[str, int] = {}
        self.src.set_config(None, "NONE")  # any schema registers; the level travels too
        self.subjects = [f"m{i}" for i in range(8)]
        self.json_versions: set[tuple[str, int]] = set()
        self.gen = 0
        self.log: list[str] = []

    # -- helpers
    def live_versions(self, subject: str) -> list[int]:
        r = self.src.versions(subject)
        return r.json() if r.status_code == 200 else []

    def all_versions(self, subject: str) -> list[int]:
        r = self.src.versions(subject, {"deleted": "true"})
        return r.json() if r.status_code == 200 else []

    # -- operations on the source (any 4xx is a legal outcome: the source is the model)
    def op_register(self) -> None:
        if self.rng.random() < 0.25:
            return self.op_register_json()
        s = self.rng.choice(self.subjects)
        self.gen += 1
        fields = [(f"f{self.gen}", "int", 0)]
        refs = []
        other = self.rng.choice(self.subjects)
        if other != s and self.rng.random() < 0.35:
            vs = self.live_versions(other)
            if vs:
                v = self.rng.choice(vs)
                tname = f"T_{other}_{v}"
                fields.append(("ref", tname))
                refs = [{"name": tname, "subject": other, "version": v}]
        # the record is named after its (subject, next version) so that referrers can name it
        name = f"T_{s}_{len(self.all_versions(s)) + 1}"
        if not refs and self.rng.random() < 0.25:
            # a Protobuf schema (issue 14): the link carries its type, text and id unchanged
            text = (f'syntax = "proto3";\npackage lm;\n\nmessage {name.replace("-", "_")} '
                    f'{{\n  int32 f{self.gen} = 1;\n}}\n')
            self.src.register(s, text, schemaType="PROTOBUF")
            self.log.append(f"register {s} PROTOBUF")
            return
        if refs:
            self.src.register(s, record(name, *fields), references=refs)
        else:
            self.src.register(s, record(name, *fields))
        self.log.append(f"register {s} refs={refs}")

    def op_register_json(self) -> None:
        """A JSON Schema version (issue 13), half of them with a $ref to a JSON version of
        another subject through references: the link must carry schemaType, text, id and
        references unchanged."""
        s = self.rng.choice(self.subjects)
        self.gen += 1
        props = {f"f{self.gen}": {"type": "integer"}}
        refs = []
        others = [(o, v) for (o, v) in sorted(self.json_versions) if o != s
                  and v in self.live_versions(o)]
        if others and self.rng.random() < 0.5:
            o, v = self.rng.choice(others)
            name = f"{o}_{v}.json"
            props["ref"] = {"$ref": name}
            refs = [{"name": name, "subject": o, "version": v}]
        text = json.dumps({"title": f"J_{s}_{self.gen}", "type": "object",
                           "properties": props}, separators=(",", ":"))
        r = self.src.register(s, text, schemaType="JSON", references=refs)
        if r.status_code == 200:
            lv = self.live_versions(s)
            if lv:
                self.json_versions.add((s, max(lv)))
        self.log.append(f"register-json {s} refs={refs} -> {r.status_code}")

    def op_soft_delete_version(self) -> None:
        s = self.rng.choice(self.subjects)
        vs = self.live_versions(s)
        if vs:
            v = self.rng.choice(vs)
            self.src.delete_version(s, v)
            self.log.append(f"soft-delete {s} v{v}")

    def op_hard_delete_version(self) -> None:
        # the highest version included: its number is handed out again (as in Confluent),
        # and a compaction then keeps only the new version's record of that key; the
        # PURGED_VERSION record keeps the hard delete for an exporter behind it
        s = self.rng.choice(self.subjects)
        live = set(self.live_versions(s))
        dead = [v for v in self.all_versions(s) if v not in live]
        if dead:
            v = self.rng.choice(dead)
            self.src.delete_version(s, v, permanent=True)
            self.log.append(f"hard-delete {s} v{v}")

    def op_delete_subject(self) -> None:
        # a permanently deleted subject starts again at version 1 under the same name
        s = self.rng.choice(self.subjects)
        r = self.src.delete_subject(s)
        how = "soft"
        if r.status_code == 200 and self.rng.random() < 0.5:
            how = "permanent"
            self.src.delete_subject(s, permanent=True)
        self.log.append(f"delete-subject {s} ({how})")

    def op_config(self) -> None:
        s = self.rng.choice(self.subjects)
        if self.rng.random() < 0.3:
            self.src.delete(f"/config/{q(s)}")
        else:
            self.src.put(f"/config/{q(s)}", {"compatibility": self.rng.choice(LEVELS)})
        self.log.append(f"config {s}")

    def op_context_config(self) -> None:
        # the top level is the default context's config, copied to the destination
        # context's; never BACKWARD (dump() reads BACKWARD as "none stored")
        if self.rng.random() < 0.2:
            self.src.delete("/config")
        else:
            self.src.put("/config", {"compatibility": self.rng.choice(
                ["NONE", "NONE", "FORWARD", "FULL"])})
        self.log.append("context config")

    def op_mode(self) -> None:
        s = self.rng.choice(self.subjects)
        if self.rng.random() < 0.5:
            self.src.delete(f"/mode/{q(s)}")
        else:
            self.src.put(f"/mode/{q(s)}", {"mode": self.rng.choice(["READONLY", "READWRITE"])})
        self.log.append(f"mode {s}")

    def op_compact(self) -> None:
        for i in range(self.rng.randint(20, 60)):
            expect_ok(self.src.put("/config/churn", {"compatibility": LEVELS[i % 4]}))
        self.log.append("churn (compaction)")
        self.faults["churn"] = self.faults.get("churn", 0) + 1

    def restart(self, api: Api, who: str, how: str | None = None) -> Api:
        """kill -9 or SIGTERM `api`'s server and start it again on its data dir; the
        destination keeps its port (the exporter's URL)."""
        srv = api.server
        how = how or ("kill -9" if self.rng.random() < 0.5 else "restart")
        if how == "kill -9":
            srv.kill9()
        else:
            srv.stop_and_check()
        self.log.append(f"{how} {who}")
        self.faults[f"{how} {who}"] = self.faults.get(f"{how} {who}", 0) + 1
        if who == "destination":
            return restart_same_port(self.ff, srv, self.mp)
        new = Api(self.ff.start(config=srv.config, data_dir=srv.data_dir))
        self.src_servers.append(new.server)
        return new

    def op_restart_src(self, how: str | None = None) -> None:
        self.src = self.restart(self.src, "source", how)

    def op_restart_dst(self, how: str | None = None) -> None:
        self.dst = self.restart(self.dst, "destination", how)

    def op_reset(self) -> None:
        expect_ok(self.src.put("/exporters/m/pause"))
        expect_ok(self.src.put("/exporters/m/reset"))
        expect_ok(self.src.put("/exporters/m/resume"))
        self.log.append("reset exporter")
        self.faults["reset"] = self.faults.get("reset", 0) + 1
        if self.rng.random() < 0.3:  # a crash right after it: the reset must survive
            self.op_restart_src("kill -9")

    def ensure_faults(self) -> None:
        """Whatever the draw and the time bound left out, every fault class happens at
        least once per run, each followed by a few writes."""
        forced = [("churn", self.op_compact), ("reset", self.op_reset)] + [
            (f"{how} {who}", (lambda h=how, w=who: self.op_restart_src(h) if w == "source"
                              else self.op_restart_dst(h)))
            for how in ("kill -9", "restart") for who in ("source", "destination")]
        for name, fn in forced:
            if not self.faults.get(name):
                fn()
                for _ in range(5):
                    self.rng.choice([self.op_register, self.op_soft_delete_version,
                                     self.op_delete_subject])()

    def compactions(self) -> int:
        return sum(srv.stderr().count('msg="journal compacted"') for srv in self.src_servers)


OPS = [("op_register", 40), ("op_soft_delete_version", 10), ("op_hard_delete_version", 6),
       ("op_delete_subject", 3), ("op_config", 8), ("op_context_config", 1), ("op_mode", 4),
       ("op_compact", 3), ("op_restart_src", 2), ("op_restart_dst", 2), ("op_reset", 2)]


@pytest.mark.parametrize("seed_arg", seeds())
def test_link_converges_under_random_workload_and_faults(ferry_factory, monkeypatch, seed_arg):
    seed = random.SystemRandom().randrange(1 << 30) if seed_arg.startswith("fresh") \
        else int(seed_arg)
    print(f"FERRY_MODEL_SEED={seed}")
    rng = random.Random(seed)
    run = Run(rng, ferry_factory, monkeypatch)
    try:
        create_exporter(run.src, "m", run.dst, contextType="CUSTOM", context="copy",
                        subjects=["*"])
        names = [n for n, _ in OPS]
        weights = [w for _, w in OPS]
        t0 = time.monotonic()
        done = 0
        for _ in range(STEPS):
            if time.monotonic() - t0 > WORKLOAD_S:
                break
            getattr(run, rng.choices(names, weights)[0])()
            done += 1
        run.ensure_faults()
        deadline = time.monotonic() + CONVERGE_S
        while True:
            want, got = expected_dest(dump(run.src, ".")), dump(run.dst, ".copy")
            st = status(run.src, "m")
            if want == got and st["state"] == "RUNNING":
                break
            if time.monotonic() > deadline:
                diff = {k: (want[k], got[k]) for k in want if want[k] != got.get(k)}
                if "versions" in diff:
                    a, b = diff["versions"]
                    diff["versions"] = {k: (a.get(k), b.get(k)) for k in set(a) | set(b)
                                        if a.get(k) != b.get(k)}
                raise AssertionError(f"not converged after {CONVERGE_S}s: status {st}\n"
                                     f"differences (source, destination): {diff}")
            time.sleep(0.2)
        assert converged(run.src, ".", run.dst, ".copy")
        assert len(want["versions"]) > 0
        # JSON Schema versions were part of what converged (issue 13)
        if done >= 100:
            assert any(v[2] == "JSON" for v in want["versions"].values()), run.log[-20:]
        assert run.compactions() > 0, "the source journal never compacted"
        print(f"steps={done} versions={len(want['versions'])} faults={run.faults} "
              f"compactions={run.compactions()} elapsed={time.monotonic() - t0:.1f}s")
    except BaseException as e:
        raise AssertionError(f"FERRY_MODEL_SEED={seed} (replay with it); last operations:\n"
                             + "\n".join(run.log[-25:]) + f"\n{e}") from e
