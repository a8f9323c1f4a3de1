# SPDX-License-Identifier: Apache-2.0
"""Session fixtures for the Kafka tests: two real KRaft clusters (source and
destination), started once, always stopped; their logs (and the mirrors')
are printed and kept when a test fails."""
import os

import pytest

import harness

_failed = []


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if rep.failed:
        _failed.append(item.nodeid)


@pytest.fixture(scope="session")
def kafka_run_dir():
    d = harness.new_workdir()
    yield d
    if _failed:
        print(f"\nKafka tests failed; cluster and mirror logs kept in {d}")
    else:
        harness.remove_tree(d)


def _stop_all(clusters):
    if _failed:
        for c in clusters:
            print(f"\n----- {c.name} broker log tail ({c.log_path()}) -----\n{c.log_tail()}")
    for c in clusters:
        c.stop()


@pytest.fixture(scope="session")
def kafka_clusters(kafka_run_dir):
    # Kafka's stock broker defaults (auto.create.topics.enable=true): a mirror
    # request that could auto-create a topic would show here (issue 10, item 3)
    clusters = harness.start_clusters(["src", "dst"], kafka_run_dir, auto_create=True)
    yield clusters
    _stop_all(clusters)


@pytest.fixture(scope="session")
def kafka_victim(kafka_run_dir):
    """A third cluster, started on first use, that tests may kill -9 and
    restart (a dead source). Tests leave it running when they end."""
    clusters = harness.start_clusters(["victim"], kafka_run_dir)
    yield clusters[0]
    _stop_all(clusters)


@pytest.fixture(scope="session")
def kafka_src(kafka_clusters):
    return kafka_clusters[0]


@pytest.fixture(scope="session")
def kafka_dst(kafka_clusters):
    return kafka_clusters[1]


@pytest.fixture
def mirrors(kafka_run_dir, request):
    """Factory for mirror processes; all stopped after the test, logs printed on failure."""
    started = []

    def make(src, dst, **props):
        m = harness.Mirror(src, dst, kafka_run_dir, **props)
        started.append(m)
        return m

    yield make
    failed = request.node.nodeid in _failed
    for m in started:
        m.stop()
        if failed:
            print(f"\n----- mirror {m.name} log tail ({m.log_path}) -----\n{m.log_tail()}")


def pytest_collection_modifyitems(config, items):
    if not os.path.exists(harness.FERRY_BIN):
        skip = pytest.mark.skip(reason=f"{harness.FERRY_BIN} not built")
        for it in items:
            it.add_marker(skip)
