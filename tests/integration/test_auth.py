# SPDX-License-Identifier: Apache-2.0
"""Authentication and roles on `ferry serve` (issue 15): authentication.method=BASIC over a
Jetty PropertyFileLoginModule user file (plain, MD5:, CRYPT: DES / MD5-crypt / SHA-crypt /
bcrypt, OBF:), found directly or through the JAAS file; 401 as Confluent's JsonErrorHandler
writes it with the WWW-Authenticate challenge; authentication.roles; ferry's read / write /
admin levels with subject-prefix and context scopes (403, 40301), route by route; the client
certificate's CN as the principal; the linker's outgoing basic auth; `ferry passwd`."""
from __future__ import annotations

import base64
import subprocess
import warnings

import pytest
import requests

import conftest
from conftest import Api, aname, expect_ok, q, record, wait_until
from secure import pki, secure_factory, session, start_failure, tls_api  # noqa: F401

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import crypt  # DES and MD5-crypt hashes as Jetty's CRYPT: users have them

FAST = {"ferry.fsync": "false"}
REALM = "SchemaRegistry"
conftest.register_secret("plain-pw-1", "md5-pw-2", "despw3", "md5crypt-pw-4", "sha-pw-5",
                         "bcrypt-pw-6", "obf-pw-7", "norole-pw-8", "link-pw-9", "fresh-pw")


def jetty_obfuscate(s: str) -> str:
    """Jetty's Password.obfuscate (ASCII), to write an OBF: credential."""
    b = s.encode()
    out = []
    for i in range(len(b)):
        b1, b2 = b[i], b[len(b) - (i + 1)]
        i0 = (127 + b1 + b2) * 256 + (127 + b1 - b2)
        x = ""
        n = i0
        while n:
            n, r = divmod(n, 36)
            x = "0123456789abcdefghijklmnopqrstuvwxyz"[r] + x
        out.append(x.rjust(4, "0"))
    return "OBF:" + "".join(out)


def passwd(user: str, password: str, hash_: str = "bcrypt", roles: str = "") -> str:
    args = [str(conftest._ferry_bin()), "passwd", "--user", user, "--hash", hash_]
    if roles:
        args += ["--roles", roles]
    p = subprocess.run(args, input=password + "\n", capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    return p.stdout.strip()


USERS = {  # name: (password, user-file line)
    "plain": ("plain-pw-1", "plain: plain-pw-1,admin"),
    "md5": ("md5-pw-2", None),
    "des": ("despw3", "des: CRYPT:" + crypt.crypt("despw3", "xy") + ",admin"),
    "md5crypt": ("md5crypt-pw-4", "md5crypt: CRYPT:" + crypt.crypt("md5crypt-pw-4", "$1$saltsalt$")
                 + ",admin"),
    "sha": ("sha-pw-5", None),
    "bcrypt": ("bcrypt-pw-6", None),
    "obf": ("obf-pw-7", "obf: " + jetty_obfuscate("obf-pw-7") + ",admin"),
    "norole": ("norole-pw-8", "norole: norole-pw-8"),
}


def user_file(tmp_path, extra: list[str] | None = None):
    lines = ["# Jetty PropertyFileLoginModule format", "! a comment too"]
    for name, (pw, line) in USERS.items():
        if line is None:
            line = passwd(name, pw, {"md5": "md5", "sha": "sha512", "bcrypt": "bcrypt"}[name],
                          "admin")
        lines.append(line)
    lines += extra or []
    f = tmp_path / "users.properties"
    f.write_text("\n".join(lines) + "\n")
    return f


def auth_conf(users, **extra: str) -> dict[str, str]:
    c = dict(FAST)
    c.update({"authentication.method": "BASIC", "authentication.realm": REALM,
              "authentication.roles": "admin,developer,reader,writer,team",
              "ferry.auth.user.file": str(users)})
    c.update(extra)
    return c


def expect_401(r: requests.Response) -> None:
    assert r.status_code == 401, conftest.describe(r)
    assert r.json() == {"error_code": 401, "message": "Unauthorized"}, r.text
    assert r.headers["WWW-Authenticate"] == f'Basic realm="{REALM}"', r.headers


def test_every_hash_format_and_every_way_to_fail(secure_factory, tmp_path):
    srv = secure_factory.start(auth_conf(user_file(tmp_path)), schemes=("http",))
    for name, (pw, _line) in USERS.items():
        r = requests.get(srv.url + "/subjects", auth=(name, pw))
        if name == "norole":
            assert r.status_code == 403, r.text  # none of authentication.roles
        else:
            assert r.status_code == 200 and r.json() == [], f"{name}: {r.status_code} {r.text}"
        expect_401(requests.get(srv.url + "/subjects", auth=(name, pw + "x")))
        expect_401(requests.get(srv.url + "/subjects", auth=(name, pw[:-1])))
    expect_401(requests.get(srv.url + "/subjects"))                       # no header
    expect_401(requests.get(srv.url + "/subjects", auth=("nobody", "x")))  # unknown user
    expect_401(requests.get(srv.url + "/subjects", auth=("", "")))
    for bad in ("Bearer abc", "Basic", "Basic !!!notbase64", "Basic " +
                base64.b64encode(b"no-colon").decode(), "Digest username=plain"):
        expect_401(requests.get(srv.url + "/subjects", headers={"Authorization": bad}))
    # every method gets the same 401, before anything runs
    s = f"a-{aname()}"
    expect_401(requests.post(srv.url + f"/subjects/{q(s)}/versions",
                             json={"schema": record(aname())}))
    expect_401(requests.delete(srv.url + f"/subjects/{q(s)}"))
    r = requests.get(srv.url + f"/subjects/{q(s)}/versions", auth=("plain", "plain-pw-1"))
    assert r.status_code == 404  # nothing was registered
    # the cache of a verified slow hash must not let another password in
    for _ in range(3):
        assert requests.get(srv.url + "/", auth=("bcrypt", "bcrypt-pw-6")).status_code == 200
    expect_401(requests.get(srv.url + "/", auth=("bcrypt", "bcrypt-pw-7")))


def test_user_file_through_jaas_file_and_reload_on_sighup(secure_factory, tmp_path):
    users = user_file(tmp_path)
    jaas = tmp_path / "jaas.conf"
    jaas.write_text("Other {\n  org.eclipse.jetty.jaas.spi.PropertyFileLoginModule required\n"
                    '  file="/nonexistent";\n};\n'
                    f"{REALM} {{\n  org.eclipse.jetty.jaas.spi.PropertyFileLoginModule required\n"
                    f'  debug="false"\n  file="{users}";\n}};\n')
    conf = auth_conf(users, **{"ferry.auth.user.file": "", "ferry.auth.jaas.config": str(jaas)})
    srv = secure_factory.start(conf, schemes=("http",))
    assert requests.get(srv.url + "/", auth=("plain", "plain-pw-1")).status_code == 200
    expect_401(requests.get(srv.url + "/", auth=("newbie", "fresh-pw")))
    users.write_text(users.read_text() + passwd("newbie", "fresh-pw", roles="reader") + "\n")
    srv.hup()
    wait_until(lambda: "user file reloaded" in srv.stderr(), what="reload")
    assert requests.get(srv.url + "/", auth=("newbie", "fresh-pw")).status_code == 200
    # Confluent's own key name for the JAAS file works too
    conf2 = dict(conf)
    del conf2["ferry.auth.jaas.config"]
    conf2["java.security.auth.login.config"] = str(jaas)
    srv2 = secure_factory.start(conf2, schemes=("http",))
    assert requests.get(srv2.url + "/", auth=("plain", "plain-pw-1")).status_code == 200
    # configuration mistakes stop the start, naming the problem
    code, err = start_failure(tmp_path / "bad1", {**conf, "authentication.realm": "Missing"})
    assert code == 2 and "no section 'Missing'" in err, err
    code, err = start_failure(tmp_path / "bad2", {"authentication.method": "BASIC"})
    assert code == 2 and "needs a user file" in err, err


def test_skip_paths_and_roles_none(secure_factory, tmp_path):
    srv = secure_factory.start(auth_conf(user_file(tmp_path), **{
        "authentication.skip.paths": "/v1/metadata/*,/schemas/types"}), schemes=("http",))
    assert requests.get(srv.url + "/schemas/types").status_code == 200
    assert requests.get(srv.url + "/v1/metadata/id").status_code == 200
    expect_401(requests.get(srv.url + "/schemas"))


def test_metrics_and_health_probes_take_the_same_authentication(secure_factory, tmp_path):
    """/metrics and /health/* are answered after the authentication guard: with
    authentication on they need a user with the read level, unless
    authentication.skip.paths exempts them (a Kubernetes probe carries no credentials)."""
    srv = secure_factory.start(auth_conf(user_file(tmp_path)), schemes=("http",))
    for path in ("/metrics", "/health/live", "/health/ready"):
        expect_401(requests.get(srv.url + path))
        assert requests.get(srv.url + path, auth=("norole", "norole-pw-8")).status_code == 403
        assert requests.get(srv.url + path, auth=("plain", "plain-pw-1")).status_code == 200, path
    r = requests.get(srv.url + "/metrics", auth=("plain", "plain-pw-1"))
    assert "ferry_http_requests_total" in r.text and 'status="401"' in r.text, r.text[:2000]
    srv2 = secure_factory.start(auth_conf(user_file(tmp_path), **{
        "authentication.skip.paths": "/health/*"}), schemes=("http",))
    assert requests.get(srv2.url + "/health/live").status_code == 200
    assert requests.get(srv2.url + "/health/ready").status_code == 200
    expect_401(requests.get(srv2.url + "/metrics"))


def test_client_certificate_cn_is_the_principal(secure_factory, pki, tmp_path):
    users = user_file(tmp_path, ["alice: CRYPT:*,reader"])  # no password can match '*'
    srv = secure_factory.start(auth_conf(users, **{
        "ssl.keystore.location": str(pki.keystore), "ssl.truststore.location": str(pki.ca),
        "ssl.client.authentication": "REQUESTED", "ferry.auth.roles.read": "reader",
        "ferry.auth.roles.admin": "admin"}))
    alice = session(ca=pki.ca, cert=(pki.cert("client"), pki.key("client")))
    assert alice.get(srv.url + "/subjects").json() == []
    r = alice.put(srv.url + "/config", json={"compatibility": "NONE"})
    assert r.status_code == 403 and r.json()["error_code"] == 40301, r.text
    assert "alice" in r.json()["message"]
    bob = session(ca=pki.ca, cert=(pki.cert("client2"), pki.key("client2")))  # not in the file
    expect_401(bob.get(srv.url + "/subjects"))
    expect_401(session(ca=pki.ca).get(srv.url + "/subjects"))
    # a header wins over the certificate
    r = alice.put(srv.url + "/config", json={"compatibility": "NONE"}, auth=("plain", "plain-pw-1"))
    assert r.status_code == 200, r.text


# -------------------------------------------------------------------------------------------
# roles beyond Confluent: the endpoint table

ROLE_USERS = ["reader: r-pw,reader", "writer: w-pw,writer", "admin: a-pw,admin",
              "orders: o-pw,developer", "team: t-pw,team"]
ROLE_CONF = {"ferry.auth.roles.read": "reader",
             "ferry.auth.roles.write": "writer,developer(subject:orders-)",
             "ferry.auth.roles.admin": "admin,team(context:.team)"}
WHO = {"reader": "r-pw", "writer": "w-pw", "admin": "a-pw", "orders": "o-pw", "team": "t-pw"}

S = "orders-value"   # a subject the scoped developer may write
O = "payments-value"  # one it may not
SCHEMA = record("TableRec", ("a", "int"))
# (method, path, body, level it needs, subject prefix / context it names)
TABLE = [
    ("GET", "/", None, "read"),
    ("POST", "/", {}, "read"),
    ("GET", "/schemas", None, "read"),
    ("GET", "/schemas/types", None, "read"),
    ("GET", "/schemas/ids/1", None, "read"),
    ("GET", "/schemas/ids/1/schema", None, "read"),
    ("GET", "/schemas/ids/1/subjects", None, "read"),
    ("GET", "/schemas/ids/1/versions", None, "read"),
    ("GET", "/subjects", None, "read"),
    ("GET", "/contexts", None, "read"),
    ("GET", "/v1/metadata/id", None, "read"),
    ("GET", f"/subjects/{S}/versions", None, "read"),
    ("GET", f"/subjects/{S}/versions/1", None, "read"),
    ("GET", f"/subjects/{S}/versions/1/schema", None, "read"),
    ("GET", f"/subjects/{S}/versions/1/referencedby", None, "read"),
    ("GET", f"/subjects/{S}/metadata", None, "read"),
    ("POST", f"/subjects/{S}", {"schema": SCHEMA}, "read"),
    ("POST", f"/compatibility/subjects/{S}/versions/latest", {"schema": SCHEMA}, "read"),
    ("POST", f"/compatibility/subjects/{S}/versions", {"schema": SCHEMA}, "read"),
    ("GET", "/config", None, "read"),
    ("GET", f"/config/{S}", None, "read"),
    ("GET", "/mode", None, "read"),
    ("GET", f"/mode/{S}", None, "read"),
    ("GET", "/exporters", None, "read"),
    ("POST", f"/subjects/{S}/versions", {"schema": SCHEMA}, "write"),
    ("POST", f"/subjects/{O}/versions", {"schema": SCHEMA}, "write"),
    ("DELETE", f"/subjects/{S}/versions/1", None, "write"),
    ("DELETE", f"/subjects/{O}", None, "write"),
    ("POST", f"/subjects/{S}/versions", {"schema": SCHEMA, "id": 77, "version": 1}, "admin"),
    ("PUT", "/config", {"compatibility": "BACKWARD"}, "admin"),
    ("PUT", f"/config/{S}", {"compatibility": "BACKWARD"}, "admin"),
    ("DELETE", f"/config/{S}", None, "admin"),
    ("PUT", "/mode", {"mode": "READWRITE"}, "admin"),
    ("PUT", f"/mode/{S}", {"mode": "READWRITE"}, "admin"),
    ("DELETE", f"/mode/{S}", None, "admin"),
    ("PUT", "/config/:.team:", {"compatibility": "NONE"}, "admin"),
    ("PUT", "/contexts/.team/mode", {"mode": "READWRITE"}, "admin"),
    ("POST", "/contexts/.team/subjects/t-value/versions", {"schema": SCHEMA, "id": 500}, "admin"),
    ("DELETE", "/contexts/.team", None, "admin"),
    ("POST", "/exporters", {"name": "x", "config": {}}, "admin"),
    ("PUT", "/exporters/x/pause", None, "admin"),
    ("DELETE", "/exporters/x", None, "admin"),
]
RANK = {"read": 1, "write": 2, "admin": 3}


def allowed(who: str, method: str, path: str, level: str) -> bool:
    if who == "admin":
        return True
    if who == "writer":
        return RANK[level] <= 2
    if who == "reader":
        return level == "read"
    if who == "orders":  # write on orders-*; reads of what names no subject
        names = "/subjects/" in path or "/config/" in path or "/mode/" in path
        if level == "read":
            return not names or S in path
        return level == "write" and S in path
    if who == "team":  # admin in .team only
        in_team = ".team" in path
        return in_team or (level == "read" and not any(
            p in path for p in ("/subjects/", "/config/", "/mode/")))
    raise AssertionError(who)


def test_endpoint_table_each_route_each_role(secure_factory, tmp_path):
    users = tmp_path / "roles.properties"
    users.write_text("\n".join(ROLE_USERS) + "\n")
    srv = secure_factory.start(auth_conf(users, **ROLE_CONF), schemes=("http",))
    admin = requests.Session()
    admin.auth = ("admin", "a-pw")
    r = admin.post(srv.url + f"/subjects/{S}/versions", json={"schema": SCHEMA})
    assert r.status_code == 200, r.text
    failures = []
    for who, pw in WHO.items():
        for method, path, body, level in TABLE:
            r = requests.request(method, srv.url + path, json=body, auth=(who, pw),
                                 headers={"Content-Type": conftest.CT_V1})
            want = allowed(who, method, path, level)
            got = r.status_code not in (401, 403)
            if r.status_code == 403:
                b = r.json()
                assert b["error_code"] == 40301 and f"User '{who}' is denied operation" in \
                    b["message"], r.text
            if want != got:
                failures.append(f"{who} {method} {path}: HTTP {r.status_code} {r.text[:120]}")
    assert not failures, "\n".join(failures)


def test_denied_message_names_user_operation_and_subject(secure_factory, tmp_path):
    users = tmp_path / "roles.properties"
    users.write_text("\n".join(ROLE_USERS) + "\n")
    srv = secure_factory.start(auth_conf(users, **ROLE_CONF), schemes=("http",))
    r = requests.post(srv.url + f"/subjects/{O}/versions", json={"schema": SCHEMA},
                      auth=("orders", "o-pw"))
    assert r.status_code == 403
    assert r.json() == {"error_code": 40301, "message":
                        f"User 'orders' is denied operation Write on Subject: {O}"}
    r = requests.put(srv.url + "/mode", json={"mode": "READONLY"}, auth=("writer", "w-pw"))
    assert r.json() == {"error_code": 40301,
                        "message": "User 'writer' is denied operation Admin on Mode"}
    # the DR switch (IMPORT -> READWRITE) is an admin action
    r = requests.put(srv.url + "/mode", json={"mode": "IMPORT"}, auth=("admin", "a-pw"),
                     params={"force": "true"})
    assert r.status_code == 200, r.text
    r = requests.put(srv.url + "/mode", json={"mode": "READWRITE"}, auth=("writer", "w-pw"))
    assert r.status_code == 403


# -------------------------------------------------------------------------------------------
# the linker's outgoing basic auth


def test_exporter_basic_auth_against_authenticated_ferry(secure_factory, ferry_factory, tmp_path):
    users = tmp_path / "link.properties"
    users.write_text("linker: link-pw-9,admin\nreader: r-pw,reader\n")
    dst_srv = secure_factory.start(auth_conf(users, **{"ferry.auth.roles.admin": "admin",
                                                       "ferry.auth.roles.read": "reader"}),
                                   schemes=("http",))
    src = Api(ferry_factory.start(config=FAST))
    s1, s2 = f"ba-{aname()}", f"url-{aname()}"
    src.register_ok(s1, record(aname()))
    base = {"max.retries": "1", "retries.wait.ms": "20"}
    body = {"name": "userinfo", "contextType": "NONE", "subjects": [s1], "config": {
        **base, "schema.registry.url": dst_srv.url, "basic.auth.credentials.source": "USER_INFO",
        "basic.auth.user.info": "linker:link-pw-9"}}
    assert expect_ok(src.post("/exporters", body)) == {"name": "userinfo"}
    dst = requests.Session()
    dst.auth = ("reader", "r-pw")
    wait_until(lambda: dst.get(dst_srv.url + f"/subjects/{q(s1)}/versions").status_code == 200,
               timeout=60, what="copied with basic auth")
    src.register_ok(s2, record(aname()))
    host = dst_srv.url.replace("http://", "")
    body = {"name": "inurl", "contextType": "NONE", "subjects": [s2], "config": {
        **base, "schema.registry.url": f"http://linker:link-pw-9@{host}",
        "basic.auth.credentials.source": "URL"}}
    assert expect_ok(src.post("/exporters", body)) == {"name": "inurl"}
    wait_until(lambda: dst.get(dst_srv.url + f"/subjects/{q(s2)}/versions").status_code == 200,
               timeout=60, what="copied with URL credentials")
    # a reader cannot import: the exporter reports the destination's 403
    body = {"name": "weak", "contextType": "CUSTOM", "context": "weak", "config": {
        **base, "schema.registry.url": dst_srv.url, "basic.auth.user.info": "reader:r-pw"}}
    assert expect_ok(src.post("/exporters", body)) == {"name": "weak"}
    st = wait_until(lambda: (lambda b: b if b.get("trace") else None)(
        expect_ok(src.get("/exporters/weak/status"))), timeout=60, what="exporter error")
    assert "403" in st["trace"] or "denied" in st["trace"], st
