# SPDX-License-Identifier: Apache-2.0
"""The mirror's admin endpoint takes ferry serve's authentication (issue 15): BASIC over a
Jetty user file, 401 with the challenge, GET /status at read level, the operations
(pause, resume, failover, promote) at admin level; `ferry mirror status` sends
FERRY_ADMIN_USER_INFO; the endpoint binds 127.0.0.1 by default."""
import base64
import json
import os
import subprocess
import urllib.error
import urllib.request

from harness import FERRY_BIN, create_topic, unique, wait_until


def call(m, method, path, user=None):
    url = f"http://127.0.0.1:{m.admin_port}/{path}"
    req = urllib.request.Request(url, method=method, data=b"" if method == "POST" else None)
    if user:
        req.add_header("Authorization", "Basic " + base64.b64encode(user.encode()).decode())
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read()), dict(r.headers)
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}"), dict(e.headers)


def raw_request(m, path, user):
    req = urllib.request.Request(f"http://127.0.0.1:{m.admin_port}/{path}")
    req.add_header("Authorization", "Basic " + base64.b64encode(user.encode()).decode())
    return urllib.request.urlopen(req, timeout=30)


def raw_status(m, path, user):
    try:
        with raw_request(m, path, user) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def raw_body(m, path, user):
    with raw_request(m, path, user) as r:
        return r.read().decode()


def test_admin_endpoint_authenticates_and_checks_levels(kafka_src, kafka_dst, mirrors, tmp_path):
    users = tmp_path / "admin-users.properties"
    users.write_text("ops: ops-Pw-51,operator\nviewer: view-Pw-52,viewer\n")
    topic = unique("auth")
    create_topic(kafka_src, topic, 1)
    m = mirrors(kafka_src, kafka_dst, topics=topic, **{
        "admin.authentication.method": "BASIC", "admin.authentication.realm": "Mirror",
        "admin.auth.user.file": str(users), "admin.auth.roles.read": "viewer",
        "admin.auth.roles.admin": "operator"}).start(wait=False)
    def up():
        assert m.proc.poll() is None, m.log_tail()
        try:
            return call(m, "GET", "status", "viewer:view-Pw-52")[0] == 200
        except OSError:
            return False
    wait_until(up, timeout=90, msg="admin endpoint up")
    code, body, headers = call(m, "GET", "status")
    assert code == 401 and body == {"error_code": 401, "message": "Unauthorized"}, body
    assert headers.get("WWW-Authenticate") == 'Basic realm="Mirror"', headers
    assert call(m, "GET", "status", "viewer:wrong")[0] == 401
    # /metrics and /health/... sit behind the same guard as /status (as on ferry serve)
    for path in ("metrics", "health/live", "health/ready"):
        code, body, headers = call(m, "GET", path)
        assert code == 401 and body == {"error_code": 401, "message": "Unauthorized"}, (path, body)
        assert headers.get("WWW-Authenticate") == 'Basic realm="Mirror"', (path, headers)
        wait_until(lambda: raw_status(m, path, "viewer:view-Pw-52") == 200, timeout=60,
                   msg=f"{path} answers an authenticated reader")
    assert "ferry_" in raw_body(m, "metrics", "viewer:view-Pw-52")
    code, body, _ = call(m, "POST", f"pause?topic={topic}", "viewer:view-Pw-52")
    assert code == 403 and body["error_code"] == 40301, body
    assert call(m, "POST", f"pause?topic={topic}", "ops:ops-Pw-51")[0] == 200
    assert call(m, "POST", f"resume?topic={topic}", "ops:ops-Pw-51")[0] == 200
    env = dict(os.environ, FERRY_ADMIN_USER_INFO="viewer:view-Pw-52")
    p = subprocess.run([FERRY_BIN, "mirror", "status", "--admin", f"127.0.0.1:{m.admin_port}"],
                       capture_output=True, text=True, timeout=60, env=env)
    assert p.returncode == 0 and topic in p.stdout, p.stdout + p.stderr
    env.pop("FERRY_ADMIN_USER_INFO")
    p = subprocess.run([FERRY_BIN, "mirror", "status", "--admin", f"127.0.0.1:{m.admin_port}"],
                       capture_output=True, text=True, timeout=60, env=env)
    assert p.returncode == 1 and "401" in p.stdout, p.stdout
    log = m.log_tail(10000)
    assert "ops-Pw-51" not in log and "view-Pw-52" not in log
