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


# ---------------------------------------------------------------- anchors (issue 12, finding 4)

def checkpoint(db, k, secret, *extra, env=None):
    p = subprocess.run([CLI, "audit", "checkpoint", str(db), "--secret-file", str(secret), *map(str, k), *map(str, extra)],
                       capture_output=True, env=env)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


def rewrite_chain(db, change_seq=2):
    """What an insider with the file can do: change an entry and recompute
    every hash after it, so that the chain is whole again."""
    prev = bytes(32)
    statements = []
    for row in entries(db):
        text = row["entry"]
        if row["seq"] == change_seq:
            text = text.replace('"outcome":"ok"', '"outcome":"refused"')
        h = hashlib.blake2b(b"xyd-audit-v1" + prev + text.encode(), digest_size=32).digest()
        statements.append(f"UPDATE audit SET entry = '{text}', hash = x'{h.hex()}' WHERE seq = {row['seq']};")
        prev = h
    sql(db, "".join(statements))


def test_audit_log_cut_short_after_the_last_checkpoint_is_caught_by_the_anchor(logged, tmp_path):
    db, k, public = logged
    first = checkpoint(db, k, tmp_path / "inst.secret")["seq"]
    anchors = tmp_path / "anchors"
    made = checkpoint(db, k, tmp_path / "inst.secret", "--anchor-out", anchors)  # filed outside the store
    assert made["token"].startswith("v4.public.") and anchors.read_text().strip() == made["token"]
    run("subjects", db, *k)
    # the insider deletes the last checkpoint and every entry after the one before
    sql(db, f"DELETE FROM audit WHERE seq > {first}; DELETE FROM audit_checkpoints WHERE seq > {first}")
    rc, verdict, _ = verify(db, k, public)
    assert rc == 0 and verdict["entries"] == first  # the store alone cannot tell
    p = run("audit", "verify", db, *k, "--public", public, "--anchor", anchors, check=False)
    verdict = json.loads(p.stdout)
    assert p.returncode == 1 and "deleted" in verdict["problem"] and f"entry {made['seq']}" in verdict["problem"]


def test_audit_log_intact_with_an_anchor_passes_and_counts_the_unanchored(logged, tmp_path):
    db, k, public = logged
    anchors = tmp_path / "anchors"
    made = checkpoint(db, k, tmp_path / "inst.secret", "--anchor-out", anchors)
    run("subjects", db, *k)
    run("subjects", db, *k)
    p = run("audit", "verify", db, *k, "--public", public, "--anchor", anchors, check=False)
    verdict = json.loads(p.stdout)
    assert p.returncode == 0 and verdict["ok"] and verdict["tamper_evident"]
    assert verdict["anchored_to"] == made["seq"] and verdict["unanchored"] == 2 and verdict["anchors"] == 1
    p = run("audit", "verify", db, *k, "--public", public, "--anchor", anchors, "--require-anchored", check=False)
    assert p.returncode == 1 and "2 entries" in json.loads(p.stdout)["problem"]
    checkpoint(db, k, tmp_path / "inst.secret", "--anchor-out", anchors)  # a second line in the same file
    p = run("audit", "verify", db, *k, "--public", public, "--anchor", anchors, "--require-anchored", check=False)
    verdict = json.loads(p.stdout)
    assert p.returncode == 0 and verdict["unanchored"] == 0 and verdict["anchors"] == 2
    # an anchor that is not a checkpoint token of this key is an error naming the file and line
    bad = tmp_path / "bad-anchor"
    bad.write_text(anchors.read_text().splitlines()[0] + "\nv4.public.AAAA\n")
    p = run("audit", "verify", db, *k, "--public", public, "--anchor", bad, check=False)
    assert p.returncode == 1 and "anchor 2" in json.loads(p.stdout)["problem"]


def test_audit_checkpoints_deleted_and_chain_rewritten_fail_with_the_key(logged):
    db, k, public = logged
    rewrite_chain(db)
    sql(db, "DELETE FROM audit_checkpoints")
    rc, verdict, err = verify(db, k, public)
    # the checkpoint's own entry is still in the log …
    assert rc == 1 and not verdict["ok"] and "no checkpoint at or after it" in verdict["problem"]
    # … and with the checkpoint entries gone too, no checkpoint of the key vouches
    sql(db, "UPDATE audit SET entry = replace(entry, '\"action\":\"checkpoint\"', '\"action\":\"subjects\"')")
    rewrite_chain(db)
    rc, verdict, err = verify(db, k, public)
    assert rc == 1 and not verdict["ok"] and "no checkpoint" in verdict["problem"]


def test_audit_keyring_injected_is_never_tamper_evidence(logged, tmp_path):
    db, k, public = logged
    run("consent", "keygen", "--out", tmp_path / "mallory")
    run("consent", "trust", db, "--public-file", tmp_path / "mallory.public", "--use", "audit", *k)
    rewrite_chain(db)
    sql(db, "DELETE FROM audit_checkpoints")
    checkpoint(db, k, tmp_path / "mallory.secret")
    rc, verdict, err = verify(db, k)  # the store's own keyring: consistent, and says so
    assert verdict["keys"] == "store" and verdict["tamper_evident"] is False and "keyring" in err
    rc, verdict, _ = verify(db, k, public)  # the institution's key: caught
    assert rc == 1 and "not signed" in verdict["problem"] and verdict["tamper_evident"] is False


def test_audit_future_retirement_of_the_audit_key(logged, tmp_path):
    db, k, public = logged
    kid = run("consent", "trust", db, "--public-file", public, "--use", "audit", *k).stdout.decode().strip()
    kid = json.loads(kid)["kid"] if kid.startswith("{") else kid
    run("consent", "retire", db, "--kid", kid, "--from", "2099-01-01T00:00:00Z", *k)
    rc, verdict, _ = verify(db, k)  # retired in the future: still the audit key today
    assert rc == 0 and verdict["ok"] and verdict["checkpoints"] == 1
    import os
    later = dict(os.environ, XYD_NOW="2099-06-01T00:00:00Z")
    checkpoint(db, k, tmp_path / "inst.secret", env=later)  # signed after the key's retirement
    rc, verdict, _ = verify(db, k)
    assert rc == 1 and "retired" in verdict["problem"] and verdict["first_bad"] > 0


def test_audit_anchors_and_automatic_checkpoints_through_python(tmp_path):
    key = xyd.generate_key()
    secret, public = xyd.consent.generate_key()
    path = str(tmp_path / "s.db")
    with xyd.Store(path, key, create=True) as s:
        s.set_audit_signer(secret, every=3)
        for _ in range(7):
            s.subjects()
        verdict = s.audit_verify(public)
        assert verdict and verdict["checkpoints"] == 2 and verdict["checkpointed_to"] == 6 and verdict["tamper_evident"]
        s.set_audit_signer(None)
        made = s.audit_checkpoint(secret)
        s.subjects()
        verdict = s.audit_verify(public, anchors=[made["token"]])
        assert verdict and verdict["anchored_to"] == made["seq"] and verdict["unanchored"] == 1
        verdict = s.audit_verify(public, anchors=[made["token"]], require_anchored=True)
        assert not verdict and "not anchored" in verdict["problem"]
        with pytest.raises(xyd.InvalidArgumentError, match=r"\$.anchors"):
            s.audit_verify(public, anchors=[3])
        with pytest.raises(xyd.InvalidArgumentError, match="need the institution's key"):
            s.audit_verify(anchors=[made["token"]])
    # the insider deletes the store's checkpoints and the entries after the 4th
    import sqlite3
    with sqlite3.connect(path) as db:
        db.execute("DELETE FROM audit WHERE seq > 4")
        db.execute("DELETE FROM audit_checkpoints")
    with xyd.Store(path, key) as s:
        verdict = s.audit_verify(public, anchors=[made["token"]])
        assert not verdict and "deleted" in verdict["problem"]
        verdict = s.audit_verify(public)  # no checkpoint left: the key vouches for nothing
        assert not verdict and "no checkpoint" in verdict["problem"]


def test_cli_automatic_checkpoints_and_a_readable_key_file_warned(tmp_path):
    import os
    key = tmp_path / "k"
    run("keygen", "--out", key)
    run("consent", "keygen", "--out", tmp_path / "inst")
    db = tmp_path / "s.db"
    run("init", db, "--key-file", key)
    env = dict(os.environ, XYD_AUDIT_SECRET_FILE=str(tmp_path / "inst.secret"), XYD_CHECKPOINT_EVERY="2")
    for _ in range(5):
        p = subprocess.run([CLI, "subjects", str(db), "--key-file", str(key)], capture_output=True, env=env)
        assert p.returncode == 0 and b"warning" not in p.stderr
    rc, verdict, _ = verify(db, ["--key-file", key], tmp_path / "inst.public")
    assert rc == 0 and verdict["checkpoints"] >= 2 and verdict["tamper_evident"]
    bad = dict(env, XYD_CHECKPOINT_EVERY="often")
    p = subprocess.run([CLI, "subjects", str(db), "--key-file", str(key)], capture_output=True, env=bad)
    assert p.returncode == 2 and b"XYD_CHECKPOINT_EVERY" in p.stderr
    os.chmod(key, 0o644)
    p = run("subjects", db, "--key-file", key)
    assert b"warning" in p.stderr and b"chmod 600" in p.stderr and p.returncode == 0
    os.chmod(tmp_path / "inst.secret", 0o640)
    p = subprocess.run([CLI, "audit", "checkpoint", str(db), "--secret-file", str(tmp_path / "inst.secret"),
                        "--key-file", str(key)], capture_output=True)
    assert p.returncode == 0 and b"--secret-file" in p.stderr and b"mode 0640" in p.stderr


def test_audit_tail_rewritten_after_a_checkpoint_is_never_claimed_and_a_deleted_checkpoint_is_caught(logged, tmp_path):
    """Review of issue 12's fixes: with checkpoint 1 intact and checkpoint 2
    deleted, an entry between them edited and the chain recomputed, verify
    with the institution's key said ok and tamper_evident, though the log
    still held checkpoint 2's own entry."""
    db, k, public = logged
    first = checkpoint(db, k, tmp_path / "inst.secret")["seq"]
    subjects = json.loads(run("subjects", db, *k).stdout)
    run("release", db, subjects[5], "--audience", "bank-001", *k)
    second = checkpoint(db, k, tmp_path / "inst.secret")["seq"]
    run("records", db, subjects[6], *k)
    rc, verdict, _ = verify(db, k, public)
    assert rc == 0 and verdict["tamper_evident"] and verdict["evident_to"] == second
    # the insider edits the release (between the checkpoints), recomputes the chain, deletes checkpoint 2
    target = next(e["seq"] for e in entries(db) if e["seq"] > first and '"action":"release"' in e["entry"])
    rewrite_chain(db, change_seq=target)
    sql(db, f"DELETE FROM audit_checkpoints WHERE seq >= {target}")
    rc, verdict, _ = verify(db, k, public)
    assert rc == 1 and not verdict["ok"] and not verdict["tamper_evident"]
    assert f"entry {second}" in verdict["problem"] and "checkpoint" in verdict["problem"]
    # and with the checkpoint entry removed too, the verdict vouches only up to checkpoint 1
    kept = [e for e in entries(db) if e["seq"] != second]
    sql(db, f"DELETE FROM audit WHERE seq >= {second}")
    prev = bytes.fromhex(next(e["hash"] for e in entries(db) if e["seq"] == second - 1))
    statements = []
    for n, row in enumerate([e for e in kept if e["seq"] > second], start=second):
        text = row["entry"].replace(f'"seq":{row["seq"]},', f'"seq":{n},')
        h = hashlib.blake2b(b"xyd-audit-v1" + prev + text.encode(), digest_size=32).digest()
        statements.append(f"INSERT INTO audit (seq, entry, hash) VALUES ({n}, '{text}', x'{h.hex()}');")
        prev = h
    sql(db, "".join(statements))
    rc, verdict, _ = verify(db, k, public)
    assert rc == 0 and verdict["tamper_evident"] and verdict["evident_to"] == first < target
