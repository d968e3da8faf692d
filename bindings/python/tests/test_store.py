# SPDX-License-Identifier: Apache-2.0
"""The encrypted store through Python and the CLI: ingest, queries, repair,
purge, rekey, faults (SIGKILL at random moments), two processes at once, and
no plaintext personal value in the database file."""
import json
import os
import random
import signal
import sqlite3
import subprocess
import threading
import time

import pytest

import xyd
from conftest import CLI, run_cli


@pytest.fixture(scope="module")
def feed_300(tmp_path_factory):
    path = tmp_path_factory.mktemp("feeds") / "feed-300.jsonl"
    run_cli("gen", "--subjects", 300, "--seed", 11, "--out", path, check=True)
    return path


@pytest.fixture
def key():
    return xyd.generate_key()


def test_store_round_trip_and_idempotence(tmp_path, key, feed_300):
    lines = feed_300.read_text(encoding="utf-8").splitlines()
    with xyd.Store(tmp_path / "s.db", key) as store:
        first = store.ingest_file(feed_300)
        assert first["committed"] and first["changed"]
        assert first["inserted"] == len(lines) and first["rejected"] == 0
        second = store.ingest_file(feed_300)
        assert not second["changed"] and second["unchanged"] == len(lines)
        stats = store.stats()
        assert stats["records"] == len(lines) and stats["batches"] == 2
        subjects = store.subjects()
        assert subjects == sorted({json.loads(l)["subject"] for l in lines})
        current = store.records(subjects[0])
        assert current and all(r["current"] and r["state"] == "active" for r in current)
        history = store.records(subjects[0], history=True)
        assert len(history) >= len(current)
        # Every record comes back exactly as normalised at ingest.
        by_key = {(r["type"], r["as_of"], json.dumps(r["data"], sort_keys=True)) for r in history}
        mine = [json.loads(l) for l in lines if json.loads(l)["subject"] == subjects[0]]
        assert {(r["type"], r["as_of"], json.dumps(r["data"], sort_keys=True)) for r in mine} == by_key
        tax = store.records(subjects[0], category=3)
        assert all(r["type"].startswith("tax.") for r in tax)


def test_atomic_ingest_raises_with_the_summary(tmp_path, key):
    good = run_cli("gen", "--subjects", 3, "--seed", 1, check=True).stdout.decode()
    bad = good + '{"type":"legal_rep","subject":"x"}\n'
    with xyd.Store(tmp_path / "s.db", key) as store:
        with pytest.raises(xyd.ValidationError) as e:
            store.ingest(bad)
        assert str(e.value).startswith(f"line {good.count(chr(10)) + 1}: ")
        assert e.value.summary["committed"] is False
        assert store.stats()["records"] == 0
        summary = store.ingest(bad, skip_invalid=True)
        assert summary["rejected"] == 1 and summary["inserted"] == good.count("\n")


def test_repair_purge_rekey(tmp_path, key, feed_300):
    path = tmp_path / "s.db"
    with xyd.Store(path, key) as store:
        store.ingest_file(feed_300)
        subject = store.subjects()[5]
        rec = store.records(subject)[0]
        store.repair(rec["id"], reason="已履行义务", operator="张审核", date="2024-07-01")
        assert rec["id"] not in {r["id"] for r in store.records(subject)}
        marked = [r for r in store.records(subject, history=True) if r["id"] == rec["id"]][0]
        assert marked["state"] == "repaired" and marked["repair"]["reason"] == "已履行义务"
        with pytest.raises(xyd.ExistsError):
            store.repair(rec["id"], reason="again", operator="o", date="2024-07-01")
        with pytest.raises(xyd.NotFoundError):
            store.repair(10**9, reason="r", operator="o", date="2024-07-01")
        purged = store.purge("2023-01-01")
        assert purged["deleted"] > 0
        assert all(r["as_of"] >= "2023-01-01" for r in store.records(subject, history=True))
        snapshot = store.records(subject, history=True)
        new_key = xyd.generate_key()
        store.rekey(new_key)
        assert store.records(subject, history=True) == snapshot
    with pytest.raises(xyd.WrongKeyError):
        xyd.Store(path, key)
    with xyd.Store(path, new_key, read_only=True) as store:
        assert store.records(subject, history=True) == snapshot
        with pytest.raises(xyd.ReadOnlyError):
            store.ingest("")


def test_no_personal_value_in_the_database_file(tmp_path, key, feed_300):
    catalog = {t["id"]: t for t in xyd.catalog()["item_types"]}
    secret = set()
    for line in feed_300.read_text(encoding="utf-8").splitlines():
        rec = json.loads(line)
        secret.add(rec["subject"])
        for field in catalog[rec["type"]]["fields"]:
            value = rec["data"].get(field["key"])
            if isinstance(value, str) and (
                field["class"] in ("person_name", "person_id", "phone", "address") or field["type"] in ("uscc", "rid", "party_id")
            ):
                secret.add(value)
    assert len(secret) > 1000
    path = tmp_path / "s.db"
    with xyd.Store(path, key) as store:
        store.ingest_file(feed_300)
        store.repair(store.records(store.subjects()[0])[0]["id"], reason="r", operator="o", date="2024-07-01")
        store.purge("2022-12-31")
    blobs = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("s.db"))
    assert len(blobs) > 1_000_000
    found = [s for s in secret if s.encode("utf-8") in blobs]
    assert found == []


def test_two_processes_ingest_and_read_the_same_file(tmp_path):
    keyfile = tmp_path / "k"
    run_cli("keygen", "--out", keyfile, check=True)
    feeds = []
    for seed in (21, 22):
        f = tmp_path / f"f{seed}.jsonl"
        run_cli("gen", "--subjects", 150, "--seed", seed, "--out", f, check=True)
        feeds.append(f)
    db = tmp_path / "s.db"
    env = dict(os.environ, XYD_KEY_FILE=str(keyfile))
    # Both processes race to create the store, then to write it.
    procs = [subprocess.Popen([CLI, "ingest", str(db), str(f), "--create"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for f in reversed(feeds)]
    # A third process reads while they write; before the store exists it is
    # told so, never anything worse.
    reads = []
    while any(p.poll() is None for p in procs) or not reads:
        reads.append(subprocess.run([CLI, "stats", str(db)], env=env, capture_output=True))
    outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [o[1] for o in outs]
    for r in reads:
        # before a writer has created it, the reader is told the store is not there (and creates nothing)
        assert r.returncode == 0 or any(m in r.stderr for m in (b"does not exist", b"is empty", b"no such store")), r.stderr
    assert any(r.returncode == 0 for r in reads)
    total = sum(len(f.read_text(encoding="utf-8").splitlines()) for f in feeds)
    stats = json.loads(subprocess.run([CLI, "stats", str(db)], env=env, capture_output=True, check=True).stdout)
    assert stats["records"] == total


def integrity(path):
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return con.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        con.close()


def test_sigkill_at_random_moments_leaves_all_or_nothing(tmp_path):
    keyfile = tmp_path / "k"
    run_cli("keygen", "--out", keyfile, check=True)
    env = dict(os.environ, XYD_KEY_FILE=str(keyfile))
    base, big = tmp_path / "base.jsonl", tmp_path / "big.jsonl"
    run_cli("gen", "--subjects", 20, "--seed", 1, "--out", base, check=True)
    run_cli("gen", "--subjects", 300, "--seed", 2, "--out", big, check=True)
    n_base = len(base.read_text(encoding="utf-8").splitlines())
    n_big = len(big.read_text(encoding="utf-8").splitlines())
    db = tmp_path / "s.db"
    subprocess.run([CLI, "ingest", str(db), str(base), "--create"], env=env, check=True, capture_output=True)
    t0 = time.monotonic()
    subprocess.run([CLI, "ingest", str(tmp_path / "timing.db"), str(big), "--create"], env=env, check=True, capture_output=True)
    full = time.monotonic() - t0
    rng = random.Random(7)
    outcomes = {"none": 0, "all": 0}
    for i in range(16):
        delay = rng.uniform(0, full * 1.1)
        p = subprocess.Popen([CLI, "ingest", str(db), str(big)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        p.send_signal(signal.SIGKILL)
        p.wait()
        assert integrity(db) == "ok"
        records = json.loads(subprocess.run([CLI, "stats", str(db)], env=env, capture_output=True, check=True).stdout)["records"]
        assert records in (n_base, n_base + n_big), (i, delay, records)
        outcomes["all" if records == n_base + n_big else "none"] += 1
        if records == n_base + n_big:
            # Start again from the base batch alone for the next kill.
            db.unlink()
            for extra in tmp_path.glob("s.db-*"):
                extra.unlink()
            subprocess.run([CLI, "ingest", str(db), str(base), "--create"], env=env, check=True, capture_output=True)
    assert outcomes["none"] > 0


def test_cli_store_commands(tmp_path):
    keyfile = tmp_path / "k"
    r = run_cli("keygen", "--out", keyfile)
    assert r.returncode == 0 and keyfile.read_text().strip() not in r.stderr.decode() + r.stdout.decode()
    assert oct(keyfile.stat().st_mode & 0o777) == "0o600"
    assert run_cli("keygen", "--out", keyfile).returncode == 2
    feed = tmp_path / "f.jsonl"
    run_cli("gen", "--subjects", 30, "--seed", 4, "--out", feed, check=True)
    db = tmp_path / "s.db"
    assert run_cli("ingest", db, feed, "--create").returncode == 2  # no key
    r = run_cli("ingest", db, feed, "--create", "--key-file", keyfile)
    assert r.returncode == 0 and r.stderr == b""  # quiet when not a terminal
    summary = json.loads(r.stdout)
    assert summary["inserted"] == len(feed.read_text(encoding="utf-8").splitlines())
    again = json.loads(run_cli("ingest", db, feed, "--key-file", keyfile).stdout)
    assert again["changed"] is False
    subjects = json.loads(run_cli("subjects", db, "--key-file", keyfile, check=True).stdout)
    recs = json.loads(run_cli("records", db, subjects[0], "--key-file", keyfile, check=True).stdout)
    assert recs and all(r["subject"] == subjects[0] for r in recs)
    only = json.loads(run_cli("records", db, subjects[0], "--type", recs[0]["type"], "--key-file", keyfile, check=True).stdout)
    assert {r["type"] for r in only} == {recs[0]["type"]}
    r = run_cli("repair", db, "--id", recs[0]["id"], "--reason", "核实有误", "--operator", "王", "--withdraw", "--key-file", keyfile)
    assert r.returncode == 0 and json.loads(r.stdout)["state"] == "withdrawn"
    assert run_cli("repair", db, "--id", recs[0]["id"], "--reason", "x", "--operator", "y", "--key-file", keyfile).returncode == 1
    stats = json.loads(run_cli("stats", db, "--key-file", keyfile, check=True).stdout)
    assert stats["withdrawn"] == 1 and stats["subjects"] == len(subjects)
    purge = json.loads(run_cli("purge", db, "--before", "2023-06-30", "--key-file", keyfile, check=True).stdout)
    assert purge["deleted"] > 0
    bad = tmp_path / "bad.jsonl"
    bad.write_text(feed.read_text(encoding="utf-8").splitlines()[0] + "\n{broken\n", encoding="utf-8")
    r = run_cli("ingest", db, bad, "--key-file", keyfile)
    assert r.returncode == 1 and b"line 2: $: malformed JSON" in r.stderr
    newkey = tmp_path / "k2"
    run_cli("keygen", "--out", newkey, check=True)
    assert run_cli("rekey", db, "--new-key-file", newkey, "--key-file", keyfile).returncode == 0
    r = run_cli("stats", db, "--key-file", keyfile)
    assert r.returncode == 2 and b"wrong key" in r.stderr
    assert json.loads(run_cli("stats", db, "--key-file", newkey, check=True).stdout)["records"] == stats["records"] - purge["deleted"]


def test_store_opens_with_a_key_file_path_and_repair_takes_positional_arguments(tmp_path):
    keyfile = tmp_path / "k"
    xyd.write_key_file(keyfile)
    feed = run_cli("gen", "--subjects", 2, "--seed", 3, "--months", 1, check=True).stdout
    with xyd.Store(tmp_path / "s.db", keyfile) as store:  # a path is a key file
        store.ingest(feed)
        subject = store.subjects()[0]
        rec = store.records(subject)[0]
        store.repair(rec["id"], "核实有误", "2024-07-01", "王", action="withdraw")
        assert [r for r in store.records(subject, history=True) if r["id"] == rec["id"]][0]["state"] == "withdrawn"
    hex_key = keyfile.read_bytes().strip()
    with xyd.Store(tmp_path / "s.db", hex_key, create=False) as store:  # the key file's hex text
        assert store.stats()["withdrawn"] == 1
