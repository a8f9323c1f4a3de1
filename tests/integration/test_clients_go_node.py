# SPDX-License-Identifier: Apache-2.0
"""Real clients beside the Python one: confluent-kafka-go v2 (schemaregistry + avrov2
serde, tests/clients/go) and @confluentinc/schemaregistry for Node (tests/clients/node),
built into .cache/clients by scripts/clients.sh (part of scripts/deps.sh test). Each
registers, fetches (latest, by id, lookup, versions), serializes and deserializes through
ferry in the default context, in a named context by qualified subject, and in another
through a /contexts/.ctx base URL (Confluent's ContextFilter)."""
import os
import pathlib
import subprocess

import pytest

from conftest import expect_ok

ROOT = pathlib.Path(__file__).resolve().parents[2]
CLIENTS = ROOT / ".cache" / "clients"

RUNNERS = {
    "go": lambda url, stem: [str(CLIENTS / "go" / "srclient"), url, stem],
    "node": lambda url, stem: ["node", str(ROOT / "tests" / "clients" / "node" / "srclient.js"),
                               url, stem],
}


@pytest.mark.parametrize("lang", sorted(RUNNERS))
def test_client_round_trip(registry, lang):
    if lang == "go":
        assert (CLIENTS / "go" / "srclient").exists(), "run scripts/deps.sh test (or clients.sh)"
    else:
        assert (CLIENTS / "node" / "node_modules").is_dir(), "run scripts/deps.sh test"
    stem = f"{lang}-orders"
    env = dict(os.environ, NODE_PATH=str(CLIENTS / "node" / "node_modules"))
    p = subprocess.run(RUNNERS[lang](registry.base, stem), capture_output=True, text=True,
                       timeout=120, env=env)
    assert p.returncode == 0 and p.stdout.strip().endswith("ok"), (p.stdout, p.stderr)
    # what the client did is what ferry holds
    subjects = expect_ok(registry.get("/subjects"))
    ctx = {"go": "goctx", "node": "nodectx"}[lang]
    for s in (f"{stem}-value", f":.{ctx}:{stem}-value", f":.{ctx}2:{stem}-b-value"):
        assert s in subjects, subjects
        assert expect_ok(registry.versions(s)) == [1]
