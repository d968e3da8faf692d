# SPDX-License-Identifier: Apache-2.0
"""The CLI's contract, from the CLI itself: every command and subcommand that
`xyd --help` (and each group's --help) lists prints its help with --help and
exits 0, refuses an unknown option with exit 2 naming it, and — when it
takes a store — given a store path that does not exist exits 2 naming the
path and creates nothing (no file, no -wal, no -shm). Secrets given by a
path that names no file are refused without echoing the value. Store
commands print exactly what the C ABI returns."""

import ctypes
import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from conftest import CLI, DATA, ROOT, run_cli

DB = "{db}"

# Arguments that satisfy each command's parser (the store, when it takes
# one, is DB). A command the CLI lists and this table lacks fails
# test_every_command_is_in_the_table: a new command gets its checks here.
ARGS = {
    ("catalog",): [],
    ("check", "uscc"): ["91350100M000100Y43"],
    ("check", "rid"): ["11010519491231002X"],
    ("validate",): ["{file}"],
    ("gen",): ["--subjects", "1"],
    ("keygen",): ["--out", "{new}"],
    ("mask",): ["--role", "external"],
    ("init",): [DB],
    ("ingest",): [DB, "{file}"],
    ("records",): [DB, "91350100M000100Y43"],
    ("release",): [DB, "91350100M000100Y43", "--audience", "bank-001"],
    ("subjects",): [DB],
    ("repair",): [DB, "--id", "1", "--reason", "r", "--operator", "o"],
    ("purge",): [DB, "--before", "2020-01-01"],
    ("stats",): [DB],
    ("rekey",): [DB, "--new-key-file", "{key}"],
    ("consent", "keygen"): ["--out", "{new}"],
    ("consent", "issue"): ["--secret", "{file}", "--claims", "{file}"],
    ("consent", "verify"): ["--public", "{file}", "--token", "{file}"],
    ("consent", "trust"): [DB, "--public", "{file}"],
    ("consent", "retire"): [DB, "--kid", "k4.pid.x", "--from", "2024-01-01T00:00:00Z"],
    ("consent", "keys"): [DB],
    ("consent", "revoke"): [DB, "--jti", "x"],
    ("consent", "check"): [DB, "--token-file", "{file}", "--subject", "S", "--audience", "bank-001", "--purpose", "p"],
    ("score",): [DB, "--all"],
    ("features",): [DB, "--subject", "S"],
    ("scores",): [DB, "--subject", "S"],
    ("model", "check"): ["xyd-public-2024"],
    ("model", "canonical"): ["xyd-public-2024"],
    ("model", "sign"): ["xyd-public-2024", "--secret", "{file}"],
    ("model", "default"): [],
    ("model", "add"): [DB, "xyd-public-2024"],
    ("model", "list"): [DB],
    ("model", "require-signed"): [DB, "on"],
    ("report",): [DB, "--subject", "S", "--audience", "bank-001", "--purpose", "p"],
    ("check-claims",): [DB, "--subject", "S", "--audience", "bank-001", "--purpose", "p", "--token-file", "{file}",
                        "--claims", "{file}"],
    ("audit", "verify"): [DB],
    ("audit", "checkpoint"): [DB, "--secret-file", "{file}"],
    ("audit", "export"): [DB],
    ("audit", "stats"): [DB],
    ("demo",): [],
    ("version",): [],
    ("help",): [],
}
CREATES = {("init",)}  # the only command that makes a store without being asked (--create)
STORE_COMMANDS = sorted(c for c, a in ARGS.items() if DB in a and c not in CREATES)


def listed(help_text):
    """The subcommand names of a --help text."""
    if "Subcommands:\n" not in help_text:
        return []
    names = []
    for line in help_text.split("Subcommands:\n", 1)[1].splitlines():
        m = re.match(r"^  (\S+)\s", line)
        if not m:
            break
        names.append(m.group(1))
    return names


def cli_commands():
    top = run_cli("--help")
    assert top.returncode == 0
    commands, groups = [], []
    for name in listed(top.stdout.decode()):
        h = run_cli(name, "--help")
        assert h.returncode == 0, name
        subs = listed(h.stdout.decode())
        if subs:
            groups.append((name,))
            commands += [(name, s) for s in subs]
        else:
            commands.append((name,))
    return commands, groups


COMMANDS, GROUPS = cli_commands()


def fill(args, tmp_path, db):
    some = tmp_path / "some.txt"
    some.write_text("{}\n")
    values = {"{db}": str(db), "{file}": str(some), "{new}": str(tmp_path / "new-file"), "{key}": str(tmp_path / "key")}
    if not (tmp_path / "key").exists():
        run_cli("keygen", "--out", tmp_path / "key", check=True)
    return [values.get(a, a) for a in args]


def run_in(tmp_path, *args, env=None, input=b""):
    env = dict(os.environ, XYD_KEY_FILE=str(tmp_path / "key"), **(env or {}))
    return subprocess.run([CLI, *map(str, args)], capture_output=True, cwd=tmp_path, env=env, input=input, timeout=120)


def test_every_command_is_in_the_table():
    assert len(COMMANDS) >= 40 and set(GROUPS) == {("check",), ("consent",), ("model",), ("audit",)}
    assert set(COMMANDS) == set(ARGS), set(COMMANDS) ^ set(ARGS)


@pytest.mark.parametrize("command", sorted(set(ARGS) | {g for g in [("check",), ("consent",), ("model",), ("audit",)]}),
                         ids=" ".join)
def test_help_exits_0_with_the_usage(command):
    r = run_cli(*command, "--help")
    assert r.returncode == 0, r.stderr
    assert ("Usage: xyd " + " ".join(command)).encode() in r.stdout


@pytest.mark.parametrize("command", sorted(ARGS), ids=" ".join)
def test_unknown_option_exits_2_naming_it(command, tmp_path):
    args = fill(ARGS[command], tmp_path, tmp_path / "missing.db")
    before = set(tmp_path.iterdir())
    r = run_in(tmp_path, *command, *args, "--no-such-option")
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert b"--no-such-option" in r.stderr
    assert set(tmp_path.iterdir()) == before  # nothing written, no store created


@pytest.mark.parametrize("command", STORE_COMMANDS, ids=" ".join)
def test_missing_store_exits_2_and_creates_nothing(command, tmp_path):
    db = tmp_path / "missing.db"
    args = fill(ARGS[command], tmp_path, db)
    before = set(tmp_path.iterdir())
    r = run_in(tmp_path, *command, *args)
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert str(db).encode() in r.stderr
    for suffix in ("", "-wal", "-shm", "-journal"):
        assert not Path(str(db) + suffix).exists()
    assert set(tmp_path.iterdir()) == before
    assert r.stdout == b""


def test_missing_option_value_exits_2_naming_it(tmp_path):
    r = run_in(tmp_path, "records", tmp_path / "s.db", "S", "--type")
    assert r.returncode == 2 and b"--type" in r.stderr
    r = run_cli("gen", "--subjects")
    assert r.returncode == 2 and b"--subjects" in r.stderr


def test_init_and_ingest_create_the_store_nothing_else_does(tmp_path):
    fill([], tmp_path, None)
    db = tmp_path / "s.db"
    r = run_in(tmp_path, "init", db)
    assert r.returncode == 0 and json.loads(r.stdout) == {"created": str(db)} and db.exists()
    assert json.loads(run_in(tmp_path, "stats", db).stdout)["records"] == 0
    r = run_in(tmp_path, "init", db)
    assert r.returncode == 2 and str(db).encode() in r.stderr
    feed = tmp_path / "f.jsonl"
    run_cli("gen", "--subjects", 2, "--seed", 1, "--out", feed, check=True)
    other = tmp_path / "other.db"
    r = run_in(tmp_path, "ingest", other, feed)
    assert r.returncode == 2 and str(other).encode() in r.stderr and not other.exists()
    r = run_in(tmp_path, "ingest", other, feed, "--create")
    assert r.returncode == 0 and json.loads(r.stdout)["inserted"] > 0


def test_revoke_on_a_missing_store_creates_nothing(tmp_path):
    fill([], tmp_path, None)
    r = run_in(tmp_path, "consent", "revoke", "missing.db", "--jti", "x")
    assert r.returncode == 2 and b"missing.db" in r.stderr
    assert not any(p.name.startswith("missing.db") for p in tmp_path.iterdir())


def test_help_with_a_key_file_set_creates_nothing(tmp_path):
    fill([], tmp_path, None)
    before = set(tmp_path.iterdir())
    r = run_in(tmp_path, "consent", "trust", "--help")
    assert r.returncode == 0 and b"Usage: xyd consent trust" in r.stdout
    r = run_in(tmp_path, "consent", "trust", "new.db", "--help")
    assert r.returncode == 0
    assert set(tmp_path.iterdir()) == before


def test_a_secret_path_that_names_no_file_is_refused_without_echo(tmp_path):
    fill([], tmp_path, None)
    db = tmp_path / "s.db"
    run_in(tmp_path, "init", db).check_returncode()
    r = run_in(tmp_path, "release", db, "S", "--audience", "bank-001", "--purpose", "p", "--token", "consnet.token")
    assert r.returncode == 2 and b"--token: no such file" in r.stderr and b"consnet.token" not in r.stderr
    mistyped = "v4.pubIic.eyJzdWIiOiIxMTAxMDUxOTQ5MTIzMTAwMlgifQ"
    r = run_in(tmp_path, "consent", "check", db, "--token", mistyped, "--subject", "S", "--audience", "b", "--purpose", "p")
    assert r.returncode == 2 and b"--token" in r.stderr and mistyped.encode() not in r.stderr
    r = run_in(tmp_path, "audit", "checkpoint", db, "--secret", "k4.secret.AAAA-not-a-file")
    assert r.returncode == 2 and b"AAAA" not in r.stderr
    r = run_in(tmp_path, "consent", "verify", "--public-file", tmp_path / "none.public", "--token", "v4.public.x")
    assert r.returncode == 2 and b"--public-file: no such file" in r.stderr
    # a stray token or id number on the line is not echoed by the parser either
    r = run_in(tmp_path, "catalog", "v4.public.c2VjcmV0", "11010519491231002X")
    assert r.returncode == 2 and b"c2VjcmV0" not in r.stderr and b"11010519491231002X" not in r.stderr


def test_token_and_key_from_files_and_stdin(tmp_path):
    fill([], tmp_path, None)
    run_in(tmp_path, "consent", "keygen", "--out", tmp_path / "p").check_returncode()
    claims = tmp_path / "c.json"
    claims.write_text(json.dumps({"iss": "p", "sub": "91350100M000100Y43", "aud": "bank-001",
                                  "exp": "2099-01-01T00:00:00Z", "scope": ["tax"], "purpose": "pre_loan"}))
    secret = (tmp_path / "p.secret").read_text().strip()
    r = run_in(tmp_path, "consent", "issue", "--secret-file", "-", "--claims", claims, input=secret.encode())
    assert r.returncode == 0 and secret.encode() not in r.stdout + r.stderr
    token = r.stdout.decode().strip()
    (tmp_path / "t").write_text(token + "\n")
    for how in (["--token", token], ["--token", tmp_path / "t"], ["--token-file", tmp_path / "t"]):
        r = run_in(tmp_path, "consent", "verify", "--public", tmp_path / "p.public", *how)
        assert r.returncode == 0 and json.loads(r.stdout)["sub"] == "91350100M000100Y43"
    r = run_in(tmp_path, "consent", "verify", "--public-file", tmp_path / "p.public", "--token-file", "-", input=token.encode())
    assert r.returncode == 0
    r = run_in(tmp_path, "consent", "verify", "--public", tmp_path / "p.public", "--token", token, "--token-file", tmp_path / "t")
    assert r.returncode == 2 and b"excludes" in r.stderr and token.encode() not in r.stderr


def test_records_is_the_own_view_and_release_needs_an_audience(tmp_path):
    fill([], tmp_path, None)
    db = tmp_path / "s.db"
    run_in(tmp_path, "init", db).check_returncode()
    r = run_in(tmp_path, "records", db, "S", "--audience", "bank-001")
    assert r.returncode == 2 and b"--audience" in r.stderr
    r = run_in(tmp_path, "release", db, "S")
    assert r.returncode == 2 and b"--audience" in r.stderr
    r = run_in(tmp_path, "release", db, "S", "--audience", "bank-001", "--role", "nobody")
    assert r.returncode == 2 and b"unknown role" in r.stderr
    assert run_in(tmp_path, "verify", db).returncode == 2  # data verification is check-claims


# ---------------------------------------------------------------- parity with the C ABI

def library():
    path = os.environ.get("XYD_LIBRARY", str(ROOT / "build" / "libxyd.so"))
    lib = ctypes.CDLL(path)
    lib.xyd_store_open_key_file.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_uint, ctypes.POINTER(ctypes.c_void_p)]
    for name in ("xyd_store_records", "xyd_store_release"):
        getattr(lib, name).argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_void_p)]
    for name in ("xyd_store_subjects", "xyd_store_stats", "xyd_store_keys", "xyd_store_models"):
        getattr(lib, name).argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_void_p)]
    lib.xyd_store_close.argtypes = [ctypes.c_void_p]
    lib.xyd_free.argtypes = [ctypes.c_void_p]
    return lib


def test_store_commands_print_what_the_c_abi_returns(tmp_path):
    fill([], tmp_path, None)
    db, feed = tmp_path / "s.db", tmp_path / "f.jsonl"
    run_cli("gen", "--subjects", 6, "--seed", 3, "--out", feed, check=True)
    run_in(tmp_path, "ingest", db, feed, "--create").check_returncode()
    subject = json.loads(run_in(tmp_path, "subjects", db).stdout)[-1]
    lib = library()
    handle = ctypes.c_void_p()
    assert lib.xyd_store_open_key_file(str(db).encode(), str(tmp_path / "key").encode(), 0, ctypes.byref(handle)) == 0

    def abi(name, *args):
        out = ctypes.c_void_p()
        assert getattr(lib, name)(handle, *args, ctypes.byref(out)) == 0, name
        text = ctypes.string_at(out.value)
        lib.xyd_free(out)
        return text + b"\n"

    # Each answer from the C ABI, then at once from the CLI (the log grows
    # between calls: stats counts its entries).
    calls = [
        (("xyd_store_subjects",), ["subjects", db]),
        (("xyd_store_keys",), ["consent", "keys", db]),
        (("xyd_store_models",), ["model", "list", db]),
        (("xyd_store_records", {"subject": subject, "history": True}), ["records", db, subject, "--history"]),
        (("xyd_store_records", {"subject": subject, "category": 16}), ["records", db, subject, "--category", 16]),
        (("xyd_store_release", {"subject": subject, "audience": "bank-001", "role": "regulator"}),
         ["release", db, subject, "--audience", "bank-001", "--role", "regulator"]),
        (("xyd_store_stats",), ["stats", db]),
    ]
    try:
        for (name, *request), args in calls:
            expected = abi(name, *[json.dumps(x).encode() for x in request])
            r = run_in(tmp_path, *args)
            assert r.returncode == 0, r.stderr
            assert r.stdout == expected, args
    finally:
        lib.xyd_store_close(handle)


def test_a_secret_key_on_the_command_line_is_refused_for_every_local_user_can_read_it(tmp_path):
    """Review of issue 12's fixes: `--secret k4.secret…` was taken from the
    command line, where /proc/PID/cmdline shows it to every local user."""
    fill([], tmp_path, None)
    db = tmp_path / "s.db"
    run_in(tmp_path, "init", db).check_returncode()
    run_in(tmp_path, "consent", "keygen", "--out", tmp_path / "p").check_returncode()
    secret = (tmp_path / "p.secret").read_text().strip()
    claims = tmp_path / "c.json"
    claims.write_text(json.dumps({"iss": "p", "sub": "91350100M000100Y43", "aud": "bank-001",
                                  "exp": "2099-01-01T00:00:00Z", "scope": ["tax"], "purpose": "pre_loan"}))
    for args in (["audit", "checkpoint", db, "--secret", secret], ["consent", "issue", "--secret", secret, "--claims", claims]):
        r = run_in(tmp_path, *args)
        assert r.returncode == 2, r.stdout
        assert b"--secret-file" in r.stderr and secret[10:].encode() not in r.stderr and not r.stdout
    # nor is a key given where a file's name belongs repeated in the error
    r = run_in(tmp_path, "audit", "checkpoint", db, "--secret-file", secret)
    assert r.returncode == 2 and secret[10:].encode() not in r.stderr and b"no such file" in r.stderr
    # the file forms work, and stdin
    r = run_in(tmp_path, "audit", "checkpoint", db, "--secret", tmp_path / "p.secret")
    assert r.returncode == 0, r.stderr
    r = run_in(tmp_path, "consent", "issue", "--secret-file", "-", "--claims", claims, input=secret.encode())
    assert r.returncode == 0 and r.stdout.startswith(b"v4.public.")
