# SPDX-License-Identifier: Apache-2.0
"""The audit log: every action is an entry; an entry changed, deleted,
inserted, or two swapped with the sqlite3 shell make `xyd audit verify` fail
naming the entry; a signed checkpoint catches a chain rewritten from scratch;
the export is verifiable without xyd."""

import hashlib
import json
import shutil
import subprocess

import pytest

import xyd
from conftest import CLI

SQLITE3 = shutil.which("sqlite3") or "/usr/bin/sqlite3"


def run(*args, check=True):
    return subprocess.run([CLI, *map(str, args)], capture_output=True, check=check)


def sql(db, statement):
    subprocess.run([SQLITE3, str(db), statement], check=True, capture_output=True)


@pytest.fixture()
def logged(tmp_path):
    """A store with a little of everything in its log, and a checkpoint."""
    key = tmp_path / "k"
    run("keygen", "--out", key)
    feed = tmp_path / "feed.jsonl"
    run("gen", "--subjects", 12, "--seed", 4, "--out", feed)
    db = tmp_path / "s.db"
    k = ["--key-file", key]
    run("ingest", db, feed, "--create", *k)
    subjects = json.loads(run("subjects", db, *k).stdout)
    for s in subjects[:3]:
        run("records", db, s, *k)
        run("release", db, s, "--audience", "bank-001", *k)
    run("score", db, "--subject", subjects[0], *k)
    run("consent", "keygen", "--out", tmp_path / "inst")
    run("audit", "checkpoint", db, "--secret", tmp_path / "inst.secret", *k)
    run("records", db, subjects[3], *k)  # after the checkpoint
    return db, k, tmp_path / "inst.public"


def verify(db, k, public=None):
    extra = ["--public", public] if public else []
    p = run("audit", "verify", db, *k, *extra, check=False)
    return p.returncode, json.loads(p.stdout), p.stderr.decode()


def entries(db):
    out = subprocess.run([SQLITE3, "-json", str(db), "SELECT seq, entry, hex(hash) AS hash FROM audit ORDER BY seq"],
                         check=True, capture_output=True).stdout
    return json.loads(out)


def test_every_action_is_logged_and_the_chain_holds(logged):
    db, k, public = logged
    rc, verdict, _ = verify(db, k, public)
    assert rc == 0 and verdict["ok"] and verdict["checkpoints"] == 1
    actions = [json.loads(e["entry"])["action"] for e in entries(db)]
    assert actions == ["ingest", "subjects"] + ["records", "release"] * 3 + ["score", "checkpoint", "records"]
    stats = json.loads(run("audit", "stats", db, *k).stdout)
    assert stats["actions"]["release"] == 3
    month = next(iter(stats["released"]))
    assert sum(sum(t.values()) for t in stats["released"][month].values()) > 0
    # no subject id in the log, only blind indexes
    subjects = json.loads(run("subjects", db, *k).stdout)
    text = "".join(e["entry"] for e in entries(db))
    assert not any(s in text for s in subjects)


def test_changed_entry(logged):
    db, k, public = logged
    sql(db, "UPDATE audit SET entry = replace(entry, '\"outcome\":\"ok\"', '\"outcome\":\"ok\" ') WHERE seq = 4")
    rc, verdict, err = verify(db, k, public)
    assert rc == 1 and verdict["first_bad"] == 4 and "entry 4" in err


def test_deleted_entry(logged):
    db, k, public = logged
    sql(db, "DELETE FROM audit WHERE seq = 3")
    rc, verdict, err = verify(db, k, public)
    assert rc == 1 and verdict["first_bad"] == 3 and "missing" in verdict["problem"]


def test_deleted_tail_is_caught_by_the_checkpoint(logged):
    db, k, public = logged
    n = len(entries(db))
    sql(db, f"DELETE FROM audit WHERE seq >= {n - 3}")
    rc, verdict, _ = verify(db, k, public)
    assert rc == 1 and "deleted" in verdict["problem"]


def test_inserted_entry(logged):
    db, k, public = logged
    rows = entries(db)
    forged = json.loads(rows[4]["entry"])
    forged["seq"] = 6
    forged["action"] = "records"
    # make room at 6 and insert there, with a hash computed the right way
    sql(db, "UPDATE audit SET seq = seq + 1000 WHERE seq >= 6; UPDATE audit SET seq = seq - 999 WHERE seq >= 1000")
    prev = bytes.fromhex(rows[4]["hash"])
    text = json.dumps(forged, ensure_ascii=False, separators=(",", ":"))
    h = hashlib.blake2b(b"xyd-audit-v1" + prev + text.encode(), digest_size=32).hexdigest()
    sql(db, f"INSERT INTO audit (seq, entry, hash) VALUES (6, '{text}', x'{h}')")
    rc, verdict, err = verify(db, k, public)
    assert rc == 1 and verdict["first_bad"] == 7 and "entry 7" in err


def test_two_entries_swapped(logged):
    db, k, public = logged
    sql(db, "UPDATE audit SET seq = -5 WHERE seq = 5; UPDATE audit SET seq = 5 WHERE seq = 6; UPDATE audit SET seq = 6 WHERE seq = -5")
    rc, verdict, err = verify(db, k, public)
    assert rc == 1 and verdict["first_bad"] == 5 and "entry 5" in err


def test_rewritten_chain_is_caught_by_the_signed_checkpoint(logged):
    db, k, public = logged
    rows = entries(db)
    # change entry 2 and recompute every hash after it: the chain is whole again
    prev = bytes(32)
    statements = []
    for row in rows:
        text = row["entry"]
        if row["seq"] == 2:
            text = text.replace('"outcome":"ok"', '"outcome":"refused"')
        h = hashlib.blake2b(b"xyd-audit-v1" + prev + text.encode(), digest_size=32).digest()
        statements.append(f"UPDATE audit SET entry = '{text}', hash = x'{h.hex()}' WHERE seq = {row['seq']};")
        prev = h
    sql(db, "".join(statements))
    rc, verdict, _ = verify(db, k)  # the keyring holds no audit key: the chain alone looks fine…
    assert rc == 1 and "not signed" in verdict["problem"]
    rc, verdict, _ = verify(db, k, public)  # …the institution's key catches it
    assert rc == 1 and "rewritten" in verdict["problem"]


def test_export_verifies_without_xyd(logged):
    db, k, _ = logged
    lines = run("audit", "export", db, *k).stdout.decode().splitlines()
    prev = bytes(32)
    for line in lines:
        # the entry is embedded byte for byte: take it out of the line as text
        text = line[len('{"entry":'):line.rindex(',"hash":')]
        h = hashlib.blake2b(b"xyd-audit-v1" + prev + text.encode(), digest_size=32)
        assert h.hexdigest() == json.loads(line)["hash"]
        prev = h.digest()
    assert len(lines) == len(entries(db))


def test_python_audit_api(tmp_path):
    key = xyd.generate_key()
    secret, public = xyd.consent.generate_key()
    with xyd.Store(str(tmp_path / "s.db"), key) as s:
        s.set_actor("loan-officer-7")
        s.ingest('{"type":"legal_rep","subject":"91350100M000100Y43","as_of":"2024-06-30","source":"t",'
                 '"data":{"enterprise_name":"福州示例有限公司","uscc":"91350100M000100Y43","rep_name":"张三"}}\n')
        s.records("91350100M000100Y43")
        with pytest.raises(xyd.ValidationError):
            s.ingest('{"type":"legal_rep"}\n')
        s.audit_checkpoint(secret)
        assert s.audit_verify(public)["ok"] and s.audit_verify(public)
        log_before = s.audit_export()
        log = s.audit_export()
        assert [e["entry"]["action"] for e in log] == ["ingest", "records", "ingest", "checkpoint"]
        refused = log[2]["entry"]
        assert refused["outcome"] == "refused" and refused["reason"] and refused["detail"]["line"] == 1
        assert {e["entry"]["actor"] for e in log} == {"loan-officer-7"}
        assert s.audit_stats()["refused"]
    import sqlite3
    with sqlite3.connect(str(tmp_path / "s.db")) as db:
        db.execute("DELETE FROM audit WHERE seq = 2")
    with xyd.Store(str(tmp_path / "s.db"), key) as s:
        verdict = s.audit_verify(public)
        assert not verdict and verdict["first_bad"] == 2 and len(log_before) == 4
