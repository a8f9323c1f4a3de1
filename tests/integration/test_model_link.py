# SPDX-License-Identifier: Apache-2.0
"""Link convergence model test (issue 9; design in docs/internals/testing.md, "link").

A seeded random workload runs on a source registry while an exporter copies it into a
destination context: registrations (with references), soft/hard deletes of versions and
subjects, subject configs and modes, journal compactions (a small
ferry.store.compact.min.bytes plus churn), clean restarts and kill -9 of either side, and
exporter resets. The source is the model: at the end the destination must hold exactly the
source's dump (ids, versions, text, references, deletions, configs, modes) and the exporter
must be RUNNING. The seed is printed on failure; FERRY_MODEL_SEED=<n> replays it (default
1, fixed so that make test is not flaky; FERRY_MODEL_SEED=random draws one),
FERRY_MODEL_LINK_STEPS sets the number of steps (default 800, bounded by 55 s)."""
from __future__ import annotations

import os
import random
import time

from conftest import Api, expect_ok, q, record
from test_link_exporters import converged, create_exporter, dump, expected_dest, \
    restart_same_port, status

SRC_CONF = {"ferry.fsync": "false", "ferry.store.compact.min.bytes": "4096"}
DST_CONF = {"ferry.fsync": "false", "ferry.store.compact.min.bytes": "4096"}
LEVELS = ["NONE", "BACKWARD", "FORWARD", "FULL"]
WORKLOAD_S = 55.0   # the random phase stops after this long, whatever the step count
CONVERGE_S = 60.0
DEFAULT_SEED = 1


class Run:
    def __init__(self, rng: random.Random, ferry_factory, monkeypatch):
        self.rng = rng
        self.ff = ferry_factory
        self.mp = monkeypatch
        self.src = Api(ferry_factory.start(config=SRC_CONF))
        self.dst = Api(ferry_factory.start(config=DST_CONF))
        self.src.set_config(None, "NONE")  # any schema registers; the level travels too
        self.subjects = [f"m{i}" for i in range(8)]
        self.next_subject = 8
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
        if refs:
            self.src.register(s, record(name, *fields), references=refs)
        else:
            self.src.register(s, record(name, *fields))
        self.log.append(f"register {s} refs={refs}")

    def op_soft_delete_version(self) -> None:
        s = self.rng.choice(self.subjects)
        vs = self.live_versions(s)
        if vs:
            v = self.rng.choice(vs)
            self.src.delete_version(s, v)
            self.log.append(f"soft-delete {s} v{v}")

    def op_hard_delete_version(self) -> None:
        # never the subject's highest version: its number would be handed out again (as in
        # Confluent), and a compaction would then keep only the new version's record of
        # that key, losing the hard delete for an exporter behind it (a known limit,
        # docs/internals/linker.md)
        s = self.rng.choice(self.subjects)
        live = set(self.live_versions(s))
        every = self.all_versions(s)
        dead = [v for v in every if v not in live and v != max(every)]
        if dead:
            v = self.rng.choice(dead)
            self.src.delete_version(s, v, permanent=True)
            self.log.append(f"hard-delete {s} v{v}")

    def op_delete_subject(self) -> None:
        s = self.rng.choice(self.subjects)
        r = self.src.delete_subject(s)
        if r.status_code == 200 and self.rng.random() < 0.5:
            if self.src.delete_subject(s, permanent=True).status_code == 200:
                # a hard-deleted subject restarts at version 1: retire the name (see above)
                self.subjects[self.subjects.index(s)] = f"m{self.next_subject}"
                self.next_subject += 1
        self.log.append(f"delete-subject {s}")

    def op_config(self) -> None:
        s = self.rng.choice(self.subjects)
        if self.rng.random() < 0.3:
            self.src.delete(f"/config/{q(s)}")
        else:
            self.src.put(f"/config/{q(s)}", {"compatibility": self.rng.choice(LEVELS)})
        self.log.append(f"config {s}")

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

    def restart(self, api: Api, who: str) -> Api:
        """kill -9 or SIGTERM `api`'s server and start it again on its data dir; the
        destination keeps its port (the exporter's URL)."""
        srv = api.server
        how = "kill -9" if self.rng.random() < 0.5 else "restart"
        if how == "kill -9":
            srv.kill9()
        else:
            srv.stop_and_check()
        self.log.append(f"{how} {who}")
        if who == "destination":
            return restart_same_port(self.ff, srv, self.mp)
        return Api(self.ff.start(config=srv.config, data_dir=srv.data_dir))

    def op_restart_src(self) -> None:
        self.src = self.restart(self.src, "source")

    def op_restart_dst(self) -> None:
        self.dst = self.restart(self.dst, "destination")

    def op_reset(self) -> None:
        expect_ok(self.src.put("/exporters/m/pause"))
        expect_ok(self.src.put("/exporters/m/reset"))
        expect_ok(self.src.put("/exporters/m/resume"))
        self.log.append("reset exporter")


OPS = [("op_register", 40), ("op_soft_delete_version", 10), ("op_hard_delete_version", 6),
       ("op_delete_subject", 3), ("op_config", 8), ("op_mode", 4), ("op_compact", 3),
       ("op_restart_src", 2), ("op_restart_dst", 2), ("op_reset", 2)]


def test_link_converges_under_random_workload_and_faults(ferry_factory, monkeypatch):
    # make test runs a fixed seed (it must not be flaky); FERRY_MODEL_SEED=random explores
    env = os.environ.get("FERRY_MODEL_SEED") or str(DEFAULT_SEED)
    seed = random.SystemRandom().randrange(1 << 30) if env == "random" else int(env)
    steps = int(os.environ.get("FERRY_MODEL_LINK_STEPS") or 800)
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
        for _ in range(steps):
            if time.monotonic() - t0 > WORKLOAD_S:
                break
            getattr(run, rng.choices(names, weights)[0])()
            done += 1
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
        print(f"steps={done} versions={len(want['versions'])} "
              f"elapsed={time.monotonic() - t0:.1f}s")
    except BaseException as e:
        raise AssertionError(f"FERRY_MODEL_SEED={seed} (replay with it); last operations:\n"
                             + "\n".join(run.log[-25:]) + f"\n{e}") from e
