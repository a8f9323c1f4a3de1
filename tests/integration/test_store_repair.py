# SPDX-License-Identifier: Apache-2.0
"""A damaged journal (docs/internals/journal.md, "Resynchronisation"): one flipped byte in the
middle costs only the record it hits; `ferry store check` reports it without changing anything;
`ferry store repair` sets the damage aside, and `--import` brings back the valid records of a
set-aside file without overwriting anything newer. Everything through the real binary."""
import json
import pathlib
import struct
import subprocess

from conftest import Api, _ferry_bin, aname, expect_ok, record

N = 30
HDR = 32


def _records(journal: pathlib.Path) -> list[dict]:
    """The records of a clean journal: byte position, length, offset, key, value."""
    b = journal.read_bytes()
    assert b[:8] == b"FERRYJNL"
    out, pos = [], HDR
    while pos + HDR <= len(b):
        klen, vlen = struct.unpack_from("<II", b, pos + 4)
        (offset,) = struct.unpack_from("<q", b, pos + 16)
        key = json.loads(b[pos + HDR:pos + HDR + klen])
        out.append({"pos": pos, "len": HDR + klen + vlen, "offset": offset, "key": key,
                    "value_at": pos + HDR + klen})
        pos += HDR + klen + vlen
    assert pos == len(b)
    return out


def _flip(journal: pathlib.Path, at: int) -> None:
    b = bytearray(journal.read_bytes())
    b[at] ^= 0x04
    journal.write_bytes(bytes(b))


def _store(*args: str) -> tuple[int, dict, str]:
    p = subprocess.run([str(_ferry_bin()), "store", *args, "--json"], capture_output=True,
                       text=True, timeout=60)
    lines = [ln for ln in p.stdout.splitlines() if ln.startswith("{")]
    assert lines, f"no JSON report (exit {p.returncode}):\n{p.stdout}\n{p.stderr}"
    assert "ERROR: AddressSanitizer" not in p.stderr and "runtime error" not in p.stderr, p.stderr
    return p.returncode, json.loads(lines[-1]), p.stderr


def _register_30(ferry_factory):
    srv = ferry_factory.start()
    api = Api(srv)
    subjects = [f"rep-{i}" for i in range(N)]
    schemas = [record(aname(), ("a", "int"), ("i", "int", i)) for i in range(N)]
    ids = [api.register_ok(s, v) for s, v in zip(subjects, schemas)]
    srv.stop_and_check()
    recs = [r for r in _records(srv.data_dir / "journal") if r["key"]["keytype"] == "SCHEMA"]
    assert [r["key"]["subject"] for r in recs] == subjects
    return srv.data_dir, subjects, schemas, ids, recs


def _served(api: Api, subjects, schemas, ids) -> set[int]:
    """Indexes whose subject version 1 and id are served with the registered schema."""
    ok = set()
    for i, (s, v, sid) in enumerate(zip(subjects, schemas, ids)):
        r = api.version(s, 1)
        if r.status_code == 200:
            b = r.json()
            assert (b["id"], b["schema"]) == (sid, v)
            assert expect_ok(api.get(f"/schemas/ids/{sid}"))["schema"] == v
            ok.add(i)
        else:
            assert r.status_code == 404, r.text
    return ok


def test_flipped_byte_in_the_middle_loses_only_that_record(ferry_factory):
    data, subjects, schemas, ids, recs = _register_30(ferry_factory)
    hit = 14
    _flip(data / "journal", recs[hit]["value_at"] + 7)

    code, rep, _ = _store("check", "--data-dir", str(data))
    assert code == 1, rep
    found = rep["found"]
    assert found["damaged_ranges"] == 1 and found["records"] == N - 1
    d = found["damage"][0]
    assert (d["byte"], d["length"]) == (recs[hit]["pos"], recs[hit]["len"])
    assert d["claimed_offset"] == recs[hit]["offset"]
    assert json.loads(d["claimed_key"]) == recs[hit]["key"]  # the value was hit: names the loss
    assert found["records_by_keytype"]["SCHEMA"] == N - 1
    assert rep["set_aside_files"] == [] and not rep["in_use"]
    assert not list(data.glob("journal.corrupt-*")), "check changed nothing"

    srv = ferry_factory.start(data_dir=data)
    api = Api(srv)
    assert _served(api, subjects, schemas, ids) == set(range(N)) - {hit}
    log = srv.stderr()
    assert "journal damaged range removed and set aside" in log
    assert f"byte={recs[hit]['pos']} length={recs[hit]['len']}" in log
    assert f'\\x22subject\\x22:\\x22rep-{hit}\\x22' in log  # claimed_key="..." escapes quotes
    # read-write, and new ids above every id ever handed out
    assert api.register_ok("rep-new", record(aname(), ("n", "int"))) > max(ids)
    # the journal on disk is clean now; the damaged bytes are kept aside
    code, rep, _ = _store("check", "--data-dir", str(data))
    assert code == 0, rep
    assert rep["in_use"] and rep["found"]["damaged_ranges"] == 0
    assert [f["bytes"] for f in rep["set_aside_files"]] == [recs[hit]["len"]]
    srv.stop_and_check()
    # a second restart sets nothing more aside and serves the same
    srv = ferry_factory.start(data_dir=data)
    assert _served(Api(srv), subjects, schemas, ids) == set(range(N)) - {hit}
    assert len(list(data.glob("journal.corrupt-*"))) == 1


def test_repair_sets_damage_aside_and_import_from_a_copy_brings_back_the_lost(ferry_factory,
                                                                             tmp_path):
    data, subjects, schemas, ids, recs = _register_30(ferry_factory)
    backup = tmp_path / "journal.backup"
    backup.write_bytes((data / "journal").read_bytes())
    # records 10 and 12 damaged: 11, between them, is whole and its offset fits between
    # the records around it: kept
    _flip(data / "journal", recs[10]["value_at"] + 3)
    _flip(data / "journal", recs[12]["value_at"] + 3)

    code, rep, err = _store("repair", "--data-dir", str(data))
    assert code == 0, rep
    assert rep["status"] == "repaired"
    assert rep["found"]["damaged_ranges"] == 2
    assert [(d["byte"], d["length"]) for d in rep["found"]["damage"]] == [
        (recs[i]["pos"], recs[i]["len"]) for i in (10, 12)]
    assert rep["after"]["damaged_ranges"] == 0 and rep["after"]["records"] == N - 2
    assert [f["bytes"] for f in rep["set_aside_now"]] in (
        [recs[10]["len"], recs[12]["len"]], [recs[12]["len"], recs[10]["len"]])
    assert "journal damaged range removed and set aside" in err
    assert _store("check", "--data-dir", str(data))[0] == 0

    # never beside a running server
    srv = ferry_factory.start(data_dir=data)
    assert _served(Api(srv), subjects, schemas, ids) == set(range(N)) - {10, 12}
    code, rep, _ = _store("repair", "--data-dir", str(data), "--import", str(backup))
    assert code == 2 and "in use" in rep["error"], rep
    assert "import" not in rep
    srv.stop_and_check()

    # an older copy of the journal brings back exactly the two lost records
    code, rep, _ = _store("repair", "--data-dir", str(data), "--import", str(backup))
    assert code == 0, rep
    assert [json.loads(r["key"])["subject"] for r in rep["import"]["imported"]] == [
        subjects[10], subjects[12]]
    reasons = {r["reason"] for r in rep["import"]["skipped"]}
    assert reasons == {"already present (same key, same value)"}
    assert len(rep["import"]["skipped"]) == N - 2
    # twice is harmless
    code, rep, _ = _store("repair", "--data-dir", str(data), "--import", str(backup))
    assert code == 0 and rep["import"]["imported"] == []
    # the set-aside files hold only the damaged records: nothing to import from them
    for f in data.glob("journal.corrupt-*"):
        code, rep, _ = _store("repair", "--data-dir", str(data), "--import", str(f))
        assert code == 0 and rep["import"] == {"file": str(f), "imported": [], "skipped": []}

    api = Api(ferry_factory.start(data_dir=data))
    assert _served(api, subjects, schemas, ids) == set(range(N))


def test_import_of_what_an_older_ferry_cut_never_overwrites_newer_values(ferry_factory):
    """Before resynchronisation, replay cut the journal at the first bad record and kept
    everything after it in journal.corrupt-*: that file is re-importable, and a record in it
    whose key has a newer value in the journal is skipped."""
    data, subjects, schemas, ids, recs = _register_30(ferry_factory)
    srv = ferry_factory.start(data_dir=data)
    Api(srv).set_config("rep-0", "FULL")
    srv.stop_and_check()
    hit = 14
    j = data / "journal"
    b = bytearray(j.read_bytes())
    b[recs[hit]["value_at"] + 5] ^= 0x01
    aside = data / "journal.corrupt-1000"
    aside.write_bytes(bytes(b[recs[hit]["pos"]:]))
    j.write_bytes(bytes(b[:recs[hit]["pos"]]))  # what the old replay left: 14 of 30

    srv = ferry_factory.start(data_dir=data)
    api = Api(srv)
    assert _served(api, subjects, schemas, ids) == set(range(hit))
    api.set_config("rep-0", "NONE")  # newer than the FULL kept aside
    srv.stop_and_check()

    code, rep, _ = _store("repair", "--data-dir", str(data), "--import", str(aside))
    assert code == 0, rep
    imported = [json.loads(r["key"]) for r in rep["import"]["imported"]]
    assert [k["subject"] for k in imported] == subjects[hit + 1:]
    skipped = [(json.loads(r["key"]), r["reason"]) for r in rep["import"]["skipped"]]
    assert skipped == [({"keytype": "CONFIG", "subject": "rep-0", "magic": 0},
                        "the journal holds a newer value of this key")], skipped
    api = Api(ferry_factory.start(data_dir=data))
    assert _served(api, subjects, schemas, ids) == set(range(N)) - {hit}
    assert expect_ok(api.get("/config/rep-0"))["compatibilityLevel"] == "NONE"
    assert api.register_ok("rep-new", record(aname(), ("n", "int"))) > max(ids)


def test_damaged_file_header_is_rebuilt_by_importing_the_old_journal(ferry_factory):
    data, subjects, schemas, ids, recs = _register_30(ferry_factory)
    j = data / "journal"
    b = bytearray(j.read_bytes())
    b[0] ^= 0xff  # the file header: open refuses the file, and leaves it alone
    j.write_bytes(bytes(b))
    code, rep, _ = _store("check", "--data-dir", str(data))
    assert code == 1 and "not a ferry journal" in rep["error"], rep
    code, rep, _ = _store("repair", "--data-dir", str(data))
    assert code == 1 and "refusing to touch it" in rep["error"], rep
    assert j.read_bytes() == bytes(b)
    # the way back: move it aside, import it into a new journal
    old = data / "journal.bad"
    j.rename(old)
    code, rep, _ = _store("repair", "--data-dir", str(data), "--import", str(old))
    assert code == 0, rep
    assert len(rep["import"]["imported"]) == N and rep["import"]["skipped"] == []
    api = Api(ferry_factory.start(data_dir=data))
    assert _served(api, subjects, schemas, ids) == set(range(N))
    assert api.register_ok("rep-new", record(aname(), ("n", "int"))) > max(ids)


def test_check_usage_and_io_errors(tmp_path):
    bin_ = str(_ferry_bin())
    p = subprocess.run([bin_, "store", "check"], capture_output=True, text=True, timeout=30)
    assert p.returncode == 2 and "--data-dir" in p.stderr
    p = subprocess.run([bin_, "store", "check", "--data-dir", str(tmp_path / "none")],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 2, p.stdout
    (tmp_path / "journal").write_bytes(b"not a journal at all, just some bytes" * 2)
    p = subprocess.run([bin_, "store", "check", "--data-dir", str(tmp_path)],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 1 and "not a ferry journal" in p.stdout, p.stdout
