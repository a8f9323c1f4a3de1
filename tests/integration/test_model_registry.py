# SPDX-License-Identifier: Apache-2.0
"""Registry model test (issue 9; design in docs/internals/testing.md).

A seeded random sequence of operations — register, lookup, soft/hard delete of versions and
subjects, config and mode changes, IMPORT with explicit ids (overwrite attempts included),
several contexts, compaction (a tiny ferry.store.compact.min.bytes plus churn), clean
restarts and kill -9 — runs against one ferry and a small Python model of what it must
hold. After every step the answer and the touched subject are checked against the model,
and everything is checked every CHECK_EVERY steps and after every restart:

  I1 every acknowledged write is there (versions, ids, contents, deletions, configs);
  I2 a (context, id) never changes meaning, even after its last version is hard-deleted;
  I3 a subject/version never changes content while it exists;
  I4 an id ferry hands out is above every id the context ever had (never reused).

FERRY_MODEL_SEED=<int> replays a run (unset or "random": a fresh seed), FERRY_MODEL_STEPS=<n>
sets its length (the default keeps the test near a minute under ASan). The seed is printed
on failure."""
from __future__ import annotations

import os
import random
import time
from dataclasses import dataclass, field

import pytest

from conftest import Api, describe, q, record

STEPS = int(os.environ.get("FERRY_MODEL_STEPS", "3000"))
_SEED_ENV = os.environ.get("FERRY_MODEL_SEED", "random")  # "random" as test_model_link's
SEED = random.SystemRandom().randrange(1 << 31) if _SEED_ENV == "random" else int(_SEED_ENV)
TIME_BUDGET_S = float(os.environ.get("FERRY_MODEL_SECONDS", "75"))
CHECK_EVERY = 100
CONTEXTS = [".", ".m1", ".m2"]
SUBJECTS = ["s0", "s1", "s2", "s3", "s4"]
LEVELS = ["NONE", "NONE", "BACKWARD", "FULL"]
# fsync off: kill -9 keeps the page cache, so every acknowledged write must still be
# there; power-loss durability is test_durability.py's job
CONFIG = {"ferry.store.compact.min.bytes": "4096", "ferry.fsync": "false"}


@dataclass
class Ver:
    id: int
    schema: str
    deleted: bool = False


@dataclass
class Model:
    # (ctx, subject) -> {version: Ver}; absent = hard-deleted / never there
    subjects: dict[tuple[str, str], dict[int, Ver]] = field(default_factory=dict)
    # (ctx, id) -> schema text: every id ever acknowledged, forever (I2)
    meaning: dict[tuple[str, int], str] = field(default_factory=dict)
    max_id: dict[str, int] = field(default_factory=dict)  # highest id ever seen (I4)
    mode: dict[str, str] = field(default_factory=dict)     # context -> READWRITE | IMPORT
    level: dict[tuple[str, str], str] = field(default_factory=dict)  # subject config

    def vers(self, ctx: str, s: str) -> dict[int, Ver]:
        return self.subjects.setdefault((ctx, s), {})

    def live(self, ctx: str, s: str) -> dict[int, Ver]:
        return {n: v for n, v in self.vers(ctx, s).items() if not v.deleted}

    def ids_in_use(self, ctx: str) -> dict[int, str]:
        out: dict[int, str] = {}
        for (c, _s), vs in self.subjects.items():
            if c == ctx:
                for v in vs.values():
                    out[v.id] = v.schema
        return out

    def note_id(self, ctx: str, sid: int, schema: str, fresh: bool) -> None:
        key = (ctx, sid)
        if fresh:  # even for content the id once had: a hard-deleted id never comes back
            assert sid > self.max_id.get(ctx, 0), \
                f"I4: new id {sid} in {ctx} not above {self.max_id.get(ctx, 0)}"
        if key in self.meaning:
            assert self.meaning[key] == schema, f"I2: id {sid} in {ctx} changed meaning"
        self.meaning[key] = schema
        self.max_id[ctx] = max(self.max_id.get(ctx, 0), sid)


def proto(name: str) -> str:
    return f'syntax = "proto3";\npackage m;\n\nmessage {name} {{\n  int32 a = 1;\n}}\n'


def json_schema(title: str, i: int) -> str:
    """A JSON Schema text as ferry stores it (canonical: compact, key order kept)."""
    return ('{"title":"%s","type":"object","properties":{"a":{"const":%d}},'
            '"required":["a"]}' % (title, i))


def stype(schema: str) -> dict:
    """The schemaType field a schema of the pool is sent with (none for Avro)."""
    if schema.startswith("syntax"):
        return {"schemaType": "PROTOBUF"}
    if schema.startswith('{"title":"J_'):
        return {"schemaType": "JSON"}
    return {}


def qs(ctx: str, s: str) -> str:
    return s if ctx == "." else f":{ctx}:{s}"


class Run:
    def __init__(self, factory, seed: int):
        self.rng = random.Random(seed)
        self.factory = factory
        self.srv = factory.start(config=CONFIG)
        self.data_dir = self.srv.data_dir
        self.api = Api(self.srv)
        self.m = Model()
        self.log: list[str] = []
        self.pool: dict[str, list[str]] = {}
        self.counts: dict[str, int] = {}
        for ctx in CONTEXTS:
            self.m.mode[ctx] = "READWRITE"
            tag = ctx.strip(".") or "d"
            # every fourth a Protobuf schema (issue 14), in Confluent's canonical form
            # so that the stored text is the text sent
            self.pool[ctx] = [proto(f"P_{tag}_{seed % 100000}_{i}") if i % 4 == 3 else
                              record(f"M_{tag}_{seed % 100000}_{i}", ("a", "int"))
                              for i in range(400)]
            # JSON Schema (issue 13): a fifth of the pool; each its own const, so any two
            # are incompatible (ENUM_ARRAY_CHANGED) as two records of different names are,
            # and a JSON schema against an Avro version is (different schema type)
            self.pool[ctx] += [json_schema(f"J_{tag}_{seed % 100000}_{i}", i) for i in range(100)]
        # NONE everywhere a subject has no level of its own: the top level is the
        # default context's, :.__GLOBAL: the named contexts' (Confluent 8.2+ chain)
        for path in ("/config", f"/config/{q(':.__GLOBAL:')}"):
            r = self.api.put(path, {"compatibility": "NONE"})
            assert r.status_code == 200, describe(r)

    # ---- helpers
    def expect(self, r, status: int, code: int | None = None):
        ok = r.status_code == status and (code is None or
                                          (r.json() or {}).get("error_code") == code)
        assert ok, f"expected {status}/{code}: {describe(r)}"
        return r.json() if r.content else None

    def pick_subject(self) -> tuple[str, str]:
        return self.rng.choice(CONTEXTS), self.rng.choice(SUBJECTS)

    def level_of(self, ctx: str, s: str) -> str:
        return self.m.level.get((ctx, s), "NONE")

    def next_version(self, ctx: str, s: str) -> int:
        vs = self.m.vers(ctx, s)
        return max(vs) + 1 if vs else 1

    # ---- operations (each returns after checking the answer and updating the model)
    def pick_schema(self, ctx: str) -> str:
        """Half the time one the context has seen (dedupe, idempotence), else from a pool
        large enough that most are new (fresh ids, I4)."""
        seen = [t for (c, _i), t in self.m.meaning.items() if c == ctx]
        if seen and self.rng.random() < 0.5:
            return self.rng.choice(seen)
        return self.rng.choice(self.pool[ctx])

    def op_register(self) -> None:
        ctx, s = self.touched = self.pick_subject()
        schema = self.pick_schema(ctx)
        r = self.api.register(qs(ctx, s), schema, **stype(schema))
        live = self.m.live(ctx, s)
        same_live = [n for n, v in live.items() if v.schema == schema]
        if same_live:  # idempotent in any mode
            b = self.expect(r, 200)
            assert b["id"] == live[max(same_live)].id, describe(r)
            return
        if self.m.mode[ctx] == "IMPORT":
            self.expect(r, 422, 42205)
            return
        if self.level_of(ctx, s) != "NONE" and live:  # every pool schema has its own name
            self.expect(r, 409)
            return
        b = self.expect(r, 200)
        same_text = [i for i, t in self.m.ids_in_use(ctx).items() if t == schema]
        if same_text:  # one id per content in a context (dedupe)
            assert b["id"] in same_text, f"dedupe: {same_text}: {describe(r)}"
        self.m.note_id(ctx, b["id"], schema, fresh=not same_text)
        vs = self.m.vers(ctx, s)
        version = self.next_version(ctx, s)
        # Confluent step 11: soft-deleted versions with the same id are superseded
        for n in [n for n, v in vs.items() if v.deleted and v.id == b["id"]]:
            del vs[n]
        vs[version] = Ver(b["id"], schema)

    def op_import(self) -> None:
        ctx = self.rng.choice(CONTEXTS[1:])
        s = self.rng.choice(SUBJECTS)
        self.touched = (ctx, s)
        vs = self.m.vers(ctx, s)
        in_use = self.m.ids_in_use(ctx)
        kind = self.rng.choice(["fresh", "fresh", "overwrite", "id_taken", "identical"])
        if kind == "overwrite" and vs:
            version = self.rng.choice(list(vs))
            old = vs[version]
            sid = self.m.max_id.get(ctx, 0) + self.rng.randint(1, 3)
            schema = self.rng.choice([t for t in self.pool[ctx] if t != old.schema])
        elif kind == "id_taken" and in_use:
            sid = self.rng.choice(list(in_use))
            schema = self.rng.choice([t for t in self.pool[ctx] if t != in_use[sid]])
            version = self.next_version(ctx, s)
        elif kind == "identical" and self.m.live(ctx, s):
            version = self.rng.choice(list(self.m.live(ctx, s)))
            sid, schema = vs[version].id, vs[version].schema
        else:
            kind = "fresh"
            version = self.next_version(ctx, s) + self.rng.choice([0, 0, 0, 2])
            sid = self.m.max_id.get(ctx, 0) + self.rng.randint(1, 3)
            schema = self.pick_schema(ctx)
        r = self.api.register(qs(ctx, s), schema, id=sid, version=version, **stype(schema))
        if self.m.mode[ctx] != "IMPORT":  # an explicit id needs IMPORT
            self.expect(r, 422, 42205)
            return
        if kind in ("overwrite", "id_taken"):
            self.expect(r, 422, 42205)  # never overwrite (issue 9 item 1)
            return
        b = self.expect(r, 200)
        assert b["id"] == sid, describe(r)
        if kind == "fresh":
            self.m.note_id(ctx, sid, schema, fresh=True)
            vs[version] = Ver(sid, schema)

    def op_lookup(self) -> None:
        ctx, s = self.touched = self.pick_subject()
        schema = self.pick_schema(ctx)
        r = self.api.lookup(qs(ctx, s), schema, **stype(schema))
        live = self.m.live(ctx, s)
        hits = [n for n, v in live.items() if v.schema == schema]
        if hits:
            b = self.expect(r, 200)
            assert (b["version"], b["id"]) == (max(hits), live[max(hits)].id), describe(r)
        else:
            assert r.status_code == 404 and r.json()["error_code"] in (40401, 40403), describe(r)

    def op_delete_version(self) -> None:
        ctx, s = self.touched = self.pick_subject()
        live = self.m.live(ctx, s)
        if not live:
            return
        n = self.rng.choice(list(live))
        b = self.expect(self.api.delete_version(qs(ctx, s), n), 200)
        assert b == n
        live[n].deleted = True

    def op_hard_delete_version(self) -> None:
        ctx, s = self.touched = self.pick_subject()
        dead = [n for n, v in self.m.vers(ctx, s).items() if v.deleted]
        if not dead:
            return
        n = self.rng.choice(dead)
        self.expect(self.api.delete_version(qs(ctx, s), n, permanent=True), 200)
        del self.m.vers(ctx, s)[n]
        if not self.m.vers(ctx, s):  # the subject's own config goes with its last version
            self.m.level.pop((ctx, s), None)

    def op_retract(self) -> None:
        """Take back the newest schema of a context: soft- then hard-delete the version
        holding its highest id (the id a restart must not hand out again, I4)."""
        ctx = self.rng.choice(CONTEXTS)
        held = [(v.id, s, n) for (c, s), vs in self.m.subjects.items() if c == ctx
                for n, v in vs.items()]
        if not held:
            return
        _, s, n = max(held)
        self.touched = (ctx, s)
        v = self.m.vers(ctx, s)[n]
        if not v.deleted:
            self.expect(self.api.delete_version(qs(ctx, s), n), 200)
            v.deleted = True
        self.expect(self.api.delete_version(qs(ctx, s), n, permanent=True), 200)
        del self.m.vers(ctx, s)[n]
        if not self.m.vers(ctx, s):
            self.m.level.pop((ctx, s), None)

    def op_delete_subject(self) -> None:
        ctx, s = self.touched = self.pick_subject()
        live = self.m.live(ctx, s)
        if not live:
            return
        b = self.expect(self.api.delete_subject(qs(ctx, s)), 200)
        assert sorted(b) == sorted(live), describe(self.api.versions(qs(ctx, s)))
        for v in live.values():
            v.deleted = True

    def op_hard_delete_subject(self) -> None:
        ctx, s = self.touched = self.pick_subject()
        vs = self.m.vers(ctx, s)
        if not vs or any(not v.deleted for v in vs.values()):
            return
        self.expect(self.api.delete_subject(qs(ctx, s), permanent=True), 200)
        vs.clear()
        self.m.level.pop((ctx, s), None)

    def op_config(self) -> None:
        ctx, s = self.touched = self.pick_subject()
        level = self.rng.choice(LEVELS)
        self.expect(self.api.put(f"/config/{q(qs(ctx, s))}", {"compatibility": level}), 200)
        self.m.level[(ctx, s)] = level

    def op_mode(self) -> None:
        ctx = self.rng.choice(CONTEXTS[1:])
        path = f"/mode/{q(':' + ctx + ':')}"
        if self.m.mode[ctx] == "IMPORT":
            self.expect(self.api.put(path, {"mode": "READWRITE"}), 200)
            self.m.mode[ctx] = "READWRITE"
            return
        any_live = any(self.m.live(c, s) for (c, s) in self.m.subjects if c == ctx)
        force = any_live or self.rng.random() < 0.3
        r = self.api.put(path, {"mode": "IMPORT"}, params={"force": "true"} if force else None)
        self.expect(r, 200)
        self.m.mode[ctx] = "IMPORT"
        if not force:  # soft-deleted leftovers are hard-deleted (Confluent setMode)
            for (c, s), vs in self.m.subjects.items():
                if c == ctx:
                    vs.clear()

    def op_churn(self) -> None:
        """Rewrites of one key: the journal outgrows its live part and compacts."""
        for i in range(self.rng.randint(10, 40)):
            self.expect(self.api.put("/config/churn", {"compatibility":
                                                       "FULL" if i % 2 else "NONE"}), 200)

    def op_restart(self) -> None:
        if self.rng.random() < 0.5:
            self.srv.stop_and_check()
        else:
            self.srv.kill9()
        self.srv = self.factory.start(config=CONFIG, data_dir=self.data_dir)
        self.api = Api(self.srv)
        self.check_all()

    OPS = [("register", 30), ("import", 14), ("lookup", 10), ("delete_version", 10),
           ("hard_delete_version", 8), ("retract", 4), ("delete_subject", 4),
           ("hard_delete_subject", 5), ("config", 5), ("mode", 4), ("churn", 3), ("restart", 1)]

    # ---- checks
    def listing(self, prefix: str, deleted: bool) -> dict[tuple[str, int], tuple[int, str]]:
        params = {"subjectPrefix": prefix}
        if deleted:
            params["deleted"] = "true"
        rows = self.expect(self.api.get("/schemas", params=params), 200)
        # the type travels with the text: a text listed as another type than the pool's is wrong
        return {(x["subject"], x["version"]): (x["id"], x["schema"]) for x in rows
                if x.get("schemaType", "AVRO") == stype(x["schema"]).get("schemaType", "AVRO")}

    def expected(self, ctx: str, subjects: list[str], deleted: bool):
        return {(qs(ctx, s), n): (v.id, v.schema) for s in subjects
                for n, v in self.m.vers(ctx, s).items() if deleted or not v.deleted}

    def check_subject(self, ctx: str, s: str) -> None:
        """After every step: the touched subject's versions, ids and contents (one request);
        check_all adds which are live."""
        for deleted in (True,):
            got = self.listing(qs(ctx, s), deleted)
            want = self.expected(ctx, [s], deleted)
            assert got == want, f"I1/I3 {qs(ctx, s)} deleted={deleted}: {got} != {want}"

    def check_all(self, sample: int | None = None) -> None:
        """Everything; with `sample`, that many of the ids ever seen (all at restarts)."""
        ids = list(self.m.meaning.items())
        if sample is not None and len(ids) > sample:
            ids = self.rng.sample(ids, sample)
        for ctx in CONTEXTS:
            for deleted in (True, False):
                got = self.listing(qs(ctx, ""), deleted)
                want = self.expected(ctx, SUBJECTS, deleted)
                assert got == want, f"I1/I3 {ctx} deleted={deleted}: {got} != {want}"
            in_use = self.m.ids_in_use(ctx)
            for (c, sid), text in ids:
                if c != ctx:
                    continue
                r = self.api.get(f"/schemas/ids/{sid}", params={"subject": qs(ctx, "")})
                if sid in in_use:
                    assert self.expect(r, 200)["schema"] == text, f"I2 {ctx} id {sid}"
                else:
                    assert r.status_code == 404, f"I2 {ctx} id {sid} freed: {describe(r)}"
            if in_use:  # I4: ferry's next id is above every id the context ever had
                b = self.expect(self.api.get(f"/schemas/ids/{min(in_use)}", params={
                    "subject": qs(ctx, ""), "fetchMaxId": "true"}), 200)
                assert b["maxId"] >= self.m.max_id.get(ctx, 0), \
                    f"I4 {ctx}: maxId {b['maxId']} < {self.m.max_id.get(ctx, 0)}"
            mode = self.expect(self.api.get(f"/mode/{q(':' + ctx + ':')}",
                                            params={"defaultToGlobal": "true"}), 200)
            assert mode["mode"] == self.m.mode[ctx], mode
        for ctx in CONTEXTS:
            for s in SUBJECTS:
                r = self.api.get(f"/config/{q(qs(ctx, s))}")
                if (ctx, s) in self.m.level:
                    assert self.expect(r, 200)["compatibilityLevel"] == self.m.level[(ctx, s)]
                else:
                    self.expect(r, 404, 40408)

    def step(self, i: int) -> None:
        names, weights = zip(*self.OPS)
        op = self.rng.choices(names, weights)[0]
        self.counts[op] = self.counts.get(op, 0) + 1
        self.log.append(f"{i}:{op}")
        self.touched = None
        getattr(self, "op_" + op)()
        if self.touched:
            self.check_subject(*self.touched)
        if i % CHECK_EVERY == CHECK_EVERY - 1:
            self.check_all(sample=40)


def test_registry_model(ferry_factory):
    run = Run(ferry_factory, SEED)
    t0 = time.monotonic()
    done = 0
    try:
        for i in range(STEPS):
            if time.monotonic() - t0 > TIME_BUDGET_S:
                break
            run.step(i)
            done += 1
        run.check_all()
        run.op_restart()  # whatever the sequence, a final restart keeps everything
    except BaseException as e:
        pytest.fail(f"model test failed: FERRY_MODEL_SEED={SEED} at step {done} "
                    f"(last ops {run.log[-8:]}):\n{e}", pytrace=True)
    print(f"model: seed={SEED} steps={done} in {time.monotonic() - t0:.1f}s ops={run.counts}")
    assert done >= min(STEPS, 300), f"only {done} steps in {TIME_BUDGET_S}s (seed {SEED})"
