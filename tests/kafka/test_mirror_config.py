# SPDX-License-Identifier: Apache-2.0
"""`ferry mirror --config` refuses bad settings before touching a cluster:
one clear line naming the file and line (issue 10, items 9 and the no-skip
settings). No Kafka needed: the clients are configured before they connect."""
import os
import subprocess

from harness import FERRY_BIN


def run_with(tmp_path, extra):
    conf = tmp_path / "mirror.properties"
    conf.write_text("source.bootstrap.servers=127.0.0.1:1\n"
                    "destination.bootstrap.servers=127.0.0.1:2\n"
                    "topics=t\n"
                    "admin.listen=127.0.0.1:0\n" + extra + "\n")
    out = subprocess.run([FERRY_BIN, "mirror", "--config", str(conf)], capture_output=True,
                         text=True, timeout=30)
    return out.returncode, out.stdout + out.stderr, str(conf)


def test_bad_librdkafka_property_message_is_whole(tmp_path):
    rc, log, path = run_with(tmp_path, "source.no.such.property=1")
    assert rc != 0
    line = [ln for ln in log.splitlines() if "no.such.property" in ln]
    assert line, log
    # the file and line once, then librdkafka's whole message
    assert line[0].count(f"{path}:5:") == 1, line[0]
    assert 'No such configuration property: \\"no.such.property\\"' in line[0] or \
        'No such configuration property: "no.such.property"' in line[0], line[0]


def test_settings_that_break_no_skip_are_refused(tmp_path):
    """Issue 10, suspected: settings that break the no-skip guarantee (in-order
    acknowledgements, every record acknowledged eventually) are refused at
    start, naming the file and line; their safe values are accepted."""
    for extra in ("destination.enable.idempotence=false", "destination.message.timeout.ms=60000",
                  "destination.delivery.timeout.ms=120000", "destination.acks=1",
                  "destination.transactional.id=tx"):
        rc, log, path = run_with(tmp_path, extra)
        assert rc != 0
        assert f"{path}:5: destination." in log and "is refused" in log, log
