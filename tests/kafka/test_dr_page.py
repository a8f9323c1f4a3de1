# SPDX-License-Identifier: Apache-2.0
"""The DR status page (issue 16) in a real headless browser (Debian's
chromium, installed by scripts/deps.sh): `ferry serve` with
ferry.dr.config and the mirror's admin endpoint serve GET /dr, a page with
no external assets that loads /dr.json and draws scopes, topics, problems
and a lag chart. The page loads, shows a lagging (paused) topic as lagging
and a caught-up one as not, and raises no script error."""
import json
import re
import shutil
import subprocess
import urllib.request

import pytest

from drkit import DrSite, Registry, avro_record
from harness import create_topic, produce, unique, wait_until

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture
def site(kafka_run_dir):
    s = DrSite(kafka_run_dir)
    yield s
    s.stop()


def get(url):
    with urllib.request.urlopen(url, timeout=10) as r:
        return r.status, r.headers.get("Content-Type"), r.read()


def render(url):
    """The DOM after the page's scripts ran, and the browser's console log."""
    p = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
                        "--disable-dev-shm-usage", "--no-first-run", "--enable-logging=stderr",
                        "--v=0", "--virtual-time-budget=6000", "--dump-dom", url],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr[-3000:]
    return p.stdout, p.stderr


def topic_row(dom, topic):
    m = re.search(r"<tr( class=\"([a-z]*)\")?><td>" + re.escape(topic) + r"</td>(.*?)</tr>", dom)
    assert m, f"no row for {topic} in the page"
    return m.group(2) or "", m.group(3)


@pytest.mark.skipif(CHROMIUM is None, reason="chromium not installed (scripts/deps.sh test)")
def test_status_page_in_headless_chromium(kafka_src, kafka_dst, mirrors, site, kafka_run_dir):
    a, b = unique("pg-ok"), unique("pg-lag")
    create_topic(kafka_src, a, 1)
    create_topic(kafka_src, b, 1)
    produce(kafka_src, a, [{"value": b"a%d" % i} for i in range(10)])
    produce(kafka_src, b, [{"value": b"b%d" % i} for i in range(10)])
    subj = unique("page-value")
    site.primary.register(subj, avro_record("Page", "a"))
    site.wait_replicated(subj, 1)
    m = mirrors(kafka_src, kafka_dst, topics=f"{a},{b}").start()
    m.wait_caught_up(a, [10])
    m.wait_caught_up(b, [10])
    assert m.request("POST", "pause", topic=b)[0] == 200
    produce(kafka_src, b, [{"value": b"late%d" % i} for i in range(5)])
    cfg = site.write_conf(mirror=m)
    page_srv = Registry(kafka_run_dir, unique("page"), **{"ferry.dr.config": cfg}).start()
    try:
        mirror_url = f"http://127.0.0.1:{m.admin_port}"
        for base in (page_srv.url, mirror_url):
            def lagging_sampled():
                code, _, body = get(base + "/dr.json")
                ts = {t["topic"]: t for t in json.loads(body)["topics"]}
                return code == 200 and ts.get(b, {}).get("lag") == 5 and ts[a]["lag"] == 0
            wait_until(lagging_sampled, 30, interval=0.5, msg=f"{base}/dr.json sampled the lag")
            code, ctype, html = get(base + "/dr")
            assert code == 200 and ctype.startswith("text/html")
            # self-contained: nothing is fetched from elsewhere
            assert not re.search(rb"(src|href)=['\"]?(https?:)?//", html), "external asset"

            dom, console = render(base + "/dr")
            assert "Uncaught" not in console, console[-2000:]
            body = re.search(r"<body([^>]*)>", dom).group(1)
            assert 'data-errors="0"' in body, body
            assert re.search(r'data-loaded="[1-9]', body), body  # /dr.json was drawn
            cls, cells = topic_row(dom, b)
            assert cls == "lagging" and "PAUSED LAGGING" in cells and "5 records" in cells
            cls, cells = topic_row(dom, a)
            assert cls == "" and "LAGGING" not in cells and "0 records" in cells
            assert "thing(s) wrong" in dom and "paused" in dom
            assert "<polyline" in dom  # the lag chart has its samples
        # the serve page has the registry half too
        dom, _ = render(page_srv.url + "/dr")
        assert ".primary" in dom and "IMPORT" in dom
    finally:
        page_srv.stop()


def test_mirror_page_and_group_sync_behind_admin_auth(kafka_src, kafka_dst, mirrors, site,
                                                     tmp_path):
    """With admin.authentication.method=BASIC the mirror's page needs the read
    level (it names topics), POST /groups/sync the admin level; `ferry dr`
    reaches the endpoint with mirror.basic.auth.user.info."""
    import base64
    import urllib.error

    from drkit import ferry_dr
    users = tmp_path / "admin-users.properties"
    users.write_text("ops: ops-Pw-61,operator\nviewer: view-Pw-62,viewer\n")
    topic = unique("pg-auth")
    create_topic(kafka_src, topic, 1)
    m = mirrors(kafka_src, kafka_dst, topics=topic, **{
        "admin.authentication.method": "BASIC", "admin.authentication.realm": "Mirror",
        "admin.auth.user.file": str(users), "admin.auth.roles.read": "viewer",
        "admin.auth.roles.admin": "operator"}).start(wait=False)

    def call(method, path, user=None):
        req = urllib.request.Request(f"http://127.0.0.1:{m.admin_port}{path}", method=method,
                                     data=b"" if method == "POST" else None)
        if user:
            req.add_header("Authorization", "Basic " + base64.b64encode(user.encode()).decode())
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()
        except OSError:
            return 0, b""
    wait_until(lambda: call("GET", "/status", "viewer:view-Pw-62")[0] == 200, 90,
               msg="admin endpoint up")
    assert call("GET", "/dr")[0] == 401 and call("GET", "/dr.json")[0] == 401
    code, html = call("GET", "/dr", "viewer:view-Pw-62")
    assert code == 200 and b"dr.json" in html
    wait_until(lambda: call("GET", "/dr.json", "viewer:view-Pw-62")[0] == 200, 30,
               msg="first sample")
    assert call("POST", "/groups/sync", "viewer:view-Pw-62")[0] == 403
    code, body = call("POST", "/groups/sync", "ops:ops-Pw-61")
    assert code == 202 and json.loads(body)["requested_ms"] > 0
    cfg = site.write_conf(mirror=m, **{"mirror.basic.auth.user.info": "viewer:view-Pw-62"})
    _, st, _, err = ferry_dr("status", "--config", cfg, "--json")
    assert st["mirror"]["reachable"] is True, (st["mirror"], err)
    assert [t["topic"] for t in st["topics"]] == [topic]
