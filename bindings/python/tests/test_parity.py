# SPDX-License-Identifier: Apache-2.0
"""One door: a scenario of operations (ingest, own-view records, releases
with and without consent, refusals, purge, trust / retire / revoke, reports,
data verification, scoring one and all, the audit log) run through the C
ABI (a C program, tests/c/parity_driver.c), the Python package and the CLI.
All three must give the same answers — the same JSON, the same refusals —
and leave the same sequence of audit actions and outcomes."""

import copy
import json
import multiprocessing
import os
import subprocess

import pytest

import xyd
from conftest import CLI, run_cli

USCC = "91350100M000100Y43"
RID = "11010519491231002X"
NOW = "2024-07-15T00:00:00Z"


def rec(type_, data, as_of="2024-06-30", subject=USCC):
    return json.dumps({"type": type_, "subject": subject, "as_of": as_of, "source": "t", "data": data}, ensure_ascii=False)


ENT = {"enterprise_name": "福州示例有限公司", "uscc": USCC}
FEED = "\n".join([
    rec("legal_rep", {**ENT, "rep_name": "欧阳娜娜"}),
    rec("shareholder", {**ENT, "holder_name": "司马光", "holder_id": RID, "contribution_date": "2015-03-01"}),
    rec("tax.arrears", {**ENT, "arrears_amount": "1200.00", "tax_type": "增值税", "period_start": "2024-04-01",
                        "period_end": "2024-04-30"}),
    rec("tax.arrears", {**ENT, "arrears_amount": "80.00", "tax_type": "印花税", "period_start": "2023-01-01",
                        "period_end": "2023-01-31"}, as_of="2023-02-28"),
    rec("social.pension", {**ENT, "headcount_change_rate_6m": "2.5", "normal_payments_6m": 6}),
    *[rec("utility.water", {**ENT, "address": "福建省福州市鼓楼区五一路1号", "arrears_amount": "35.00" if m in (3, 5) else "0.00",
                            "prepaid_amount": "0.00", "opened_date": "2010-01-01", "one_meter_per_household": True},
          as_of=f"2024-{m:02d}-28") for m in range(1, 7)],
    rec("property.owner", {"holder_name": "福州示例有限公司", "holder_id": USCC, "certificate_no": "闽(2020)福州市不动产权第0012345号",
                           "unit_no": "350102001001GB00001F00010001", "use": "商业服务", "location": "福州市鼓楼区五一路1号",
                           "area_m2": "120.50", "term": "2010-01-01起2050-12-31止", "registry": "福州市不动产登记中心",
                           "registered_at": "2020-05-06"}),
]) + "\n"
BAD_FEED = rec("tax.arrears", {**ENT, "arrears_amount": "12.345", "tax_type": "增值税"}) + "\n"


def token(secret, jti, scope, *, aud="bank-001", purpose="pre_loan", mode="view"):
    return xyd.consent.issue(secret, {"iss": "national-platform", "sub": USCC, "aud": aud, "jti": jti,
                                      "iat": "2024-01-01T00:00:00Z", "nbf": "2024-01-01T00:00:00Z",
                                      "exp": "2099-01-01T00:00:00Z", "scope": scope, "purpose": purpose, "mode": mode})


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """Everything the three doors share: files, keys, tokens, the scenario."""
    d = tmp_path_factory.mktemp("parity")
    feed, bad, gen = d / "feed.jsonl", d / "bad.jsonl", d / "gen.jsonl"
    feed.write_text(FEED, encoding="utf-8")
    bad.write_text(BAD_FEED, encoding="utf-8")
    run_cli("gen", "--subjects", 6, "--seed", 5, "--as-of", "2024-06-30", "--months", 2, "--out", gen, check=True)
    key = d / "master.key"
    xyd.write_key_file(str(key))
    secret, public = xyd.consent.generate_key()
    other_secret, other_public = xyd.consent.generate_key()
    files = {}
    for name, text in {
        "view": token(secret, "jti-view", ["tax", "legal_rep", "social"]),
        "narrow": token(secret, "jti-narrow", ["tax"]),
        "other_bank": token(secret, "jti-other", ["tax"], aud="bank-002"),
        "verify": token(secret, "jti-verify", ["property"], mode="verify"),
        "retired": token(other_secret, "jti-retired", ["tax"]),
        "platform.public": public,
        "other.public": other_public,
    }.items():
        files[name] = d / name
        files[name].write_text(text + "\n", encoding="utf-8")
    claims = [{"id": "c1", "item_type": "property.owner", "field": "area_m2", "op": "ge", "value": "100"},
              {"id": "c2", "item_type": "property.owner", "field": "certificate_no",
               "value": "闽(2020)福州市不动产权第0012345号"}]
    claims_file = d / "claims.json"
    claims_file.write_text(json.dumps(claims, ensure_ascii=False), encoding="utf-8")
    # A record id to repair: ids are given in arrival order, the same in every door.
    with xyd.Store(str(d / "probe.db"), str(key), key_file=True) as probe:
        probe.ingest(FEED)
        water = [r for r in probe.records(USCC) if r["type"] == "utility.water"][0]
    return {"dir": d, "feed": feed, "bad": bad, "gen": gen, "key": key, "files": files, "claims": claims,
            "claims_file": claims_file, "public": public, "other_public": other_public, "repair_id": water["id"]}


def scenario(w):
    """(op, arguments): the operations, in order, with their refusals."""
    f = w["files"]
    read = lambda name: f[name].read_text(encoding="utf-8").strip()  # noqa: E731
    base = {"subject": USCC, "audience": "bank-001"}
    return [
        ("ingest", {"file": w["feed"]}),
        ("ingest", {"file": w["feed"]}),                       # again: nothing changes
        ("ingest", {"file": w["bad"]}),                        # refused: three decimals
        ("ingest", {"file": w["gen"]}),
        ("subjects", {}),
        ("stats", {}),
        ("records", {"subject": USCC}),
        ("records", {"subject": USCC, "history": True}),
        ("records", {"subject": USCC, "item_type": "tax.arrears"}),
        ("release", {**base}),                                 # no consent: the local channels, masked
        ("release", {**base, "role": "loan_officer"}),
        ("trust", {"public": w["public"], "issuer": "national-platform"}),
        ("trust", {"public": w["other_public"], "issuer": "old-platform"}),
        ("keys", {}),
        ("check_consent", {**base, "purpose": "pre_loan", "token": read("view")}),
        ("check_consent", {**base, "purpose": "approval", "token": read("view")}),   # refused: purpose
        ("release", {**base, "purpose": "pre_loan", "token": read("view")}),
        ("release", {**base, "purpose": "pre_loan", "token": read("narrow"), "item_type": "legal_rep"}),  # out of scope
        ("release", {**base, "purpose": "pre_loan", "token": read("other_bank")}),   # refused: wrong audience
        ("release", {**base, "purpose": "pre_loan", "token": read("view"), "item_type": "property.owner"}),
        ("repair", {"id": w["repair_id"], "action": "repair", "reason": "已结清", "date": "2024-07-01", "operator": "op-1"}),
        ("records", {"subject": USCC, "history": True, "item_type": "utility.water"}),
        ("report", {**base, "purpose": "approval"}),
        ("report", {**base, "purpose": "pre_loan", "token": read("view"), "role": "loan_officer"}),
        ("report", {**base, "purpose": "pre_loan", "token": read("other_bank")}),    # refused
        ("check_claims", {**base, "purpose": "pre_loan", "token": read("verify"), "claims": w["claims"]}),
        ("check_claims", {**base, "purpose": "pre_loan", "token": read("view"), "claims": w["claims"]}),  # wrong mode
        ("score", {"subject": USCC}),
        ("score", {"all": True, "threads": 1}),
        ("scores", {"subject": USCC}),
        ("models", {}),
        ("revoke", {"jti": "jti-view"}),
        ("release", {**base, "purpose": "pre_loan", "token": read("view")}),         # refused: revoked
        ("release", {**base, "purpose": "pre_loan", "token": read("retired")}),
        ("retire", {"kid": "@other", "from": "2024-01-01T00:00:00Z"}),
        ("release", {**base, "purpose": "pre_loan", "token": read("retired")}),      # refused: retired key
        ("purge", {"before": "2024-01-01"}),
        ("audit_verify", {}),
        ("audit_stats", {}),
        ("audit_export", {}),
    ]


# ---------------------------------------------------------------- the doors

def run_c(w, store, ops, now=NOW, create=True):
    lines = [f"{'create' if create else 'open'}\t{store}\t{w['key']}"]
    for op, a in ops:
        if op == "ingest":
            lines.append(f"ingest\t{a['file']}")
        elif op in ("subjects", "stats", "keys", "models", "audit_stats", "audit_export"):
            lines.append(op)
        elif op == "audit_verify":
            lines.append("audit_verify")
        elif op == "purge":
            lines.append(f"purge\t{a['before']}")
        elif op == "scores":
            lines.append(f"scores\t{a['subject']}")
        elif op == "trust":
            lines.append(f"trust\t{a['public']}\t{json.dumps({'issuer': a['issuer']})}")
        elif op == "retire":
            lines.append(f"retire\t{resolve_kid(w, a['kid'])}\t{a['from']}")
        else:
            lines.append(f"{op}\t{json.dumps(a, ensure_ascii=False)}")
    env = {**os.environ, "XYD_NOW": now, "XYD_ACTOR": "parity"}
    p = subprocess.run([os.environ["XYD_PARITY_C"]], input="\n".join(lines) + "\n", capture_output=True, text=True,
                       env=env, check=True)
    answers = [json.loads(line) for line in p.stdout.splitlines()]
    assert answers[0]["rc"] == 0, answers[0]
    out = []
    for (op, _), a in zip(ops, answers[1:]):
        ok = a["rc"] == 0
        kind = "ok" if ok else {-15: "refused", -3: "invalid_data"}.get(a["rc"], "error")
        out.append((op, kind, a["out"]))
    return out


def resolve_kid(w, name):
    return xyd.paseto.key_id(w["other_public"]) if name == "@other" else name


def run_python(w, store, ops):
    """In a fresh interpreter, as a bank's Python service would be: the
    catalog extensions other tests load into this process are not its."""
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(1) as pool:
        return pool.apply(_python_door, (w, store, ops))


def _python_door(w, store, ops):
    old = {k: os.environ.get(k) for k in ("XYD_NOW", "XYD_ACTOR")}
    os.environ["XYD_NOW"], os.environ["XYD_ACTOR"] = NOW, "parity"
    out = []
    try:
        with xyd.Store(str(store), str(w["key"]), key_file=True) as s:
            for op, a in ops:
                a = dict(a)
                try:
                    if op == "ingest":
                        got = s.ingest_file(str(a["file"]))
                    elif op == "records":
                        got = s.records(a.pop("subject"), **a)
                    elif op == "release":
                        got = s.release(a.pop("subject"), a.pop("audience"), **a)
                    elif op in ("subjects", "stats", "keys", "models", "audit_stats", "audit_export"):
                        got = getattr(s, op)()
                        if op == "audit_export":
                            got = "".join(json.dumps(x, ensure_ascii=False, separators=(",", ":")) + "\n" for x in got)
                    elif op == "audit_verify":
                        got = dict(s.audit_verify())
                    elif op == "trust":
                        s.trust_key(a["public"], issuer=a["issuer"])
                        got = None
                    elif op == "retire":
                        s.retire_key(resolve_kid(w, a["kid"]), a["from"])
                        got = None
                    elif op == "revoke":
                        s.revoke(**a)
                        got = None
                    elif op == "repair":
                        s.repair(a["id"], a["reason"], a["date"], a["operator"], action=a["action"])
                        got = None
                    elif op == "purge":
                        got = s.purge(a["before"])
                    elif op == "check_consent":
                        got = s.check_consent(a.pop("token"), **a)
                        if not got["granted"]:
                            out.append((op, "refused", got))
                            continue
                    elif op == "report":
                        got = s.report(a.pop("subject"), a.pop("audience"), a.pop("purpose"), a.pop("token", None), **a)
                    elif op == "check_claims":
                        got = s.check_claims(a["subject"], a["claims"], a["audience"], a["purpose"], a["token"])
                    elif op == "score":
                        got = s.score(a.get("subject"), all=a.get("all", False), threads=a.get("threads"))
                    elif op == "scores":
                        got = s.scores(a["subject"])
                    else:
                        raise AssertionError(op)
                    out.append((op, "ok", got))
                except xyd.ConsentError:
                    out.append((op, "refused", None))
                except xyd.store.IngestError as e:
                    out.append((op, "invalid_data", e.summary))
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return out


def run_cli_door(w, store, ops, now=NOW, create=True):
    env = {**os.environ, "XYD_NOW": now, "XYD_ACTOR": "parity", "XYD_KEY_FILE": str(w["key"])}
    f = w["files"]

    def cli(*args):
        return subprocess.run([CLI, *map(str, args)], capture_output=True, env=env)

    if create:
        assert cli("init", store).returncode == 0
    out = []
    for op, a in ops:
        tok = None
        if "token" in a:
            tok = w["dir"] / f"tok-{len(out)}"
            tok.write_text(a["token"] + "\n", encoding="utf-8")
        common = []
        if op in ("release", "report", "check_claims", "check_consent"):
            common = ["--audience", a["audience"]]
            if a.get("purpose"):
                common += ["--purpose", a["purpose"]]
            if tok:
                common += ["--token-file", tok]
        if op == "ingest":
            args = ["ingest", store, a["file"]]
        elif op == "records":
            args = ["records", store, a["subject"]] + (["--history"] if a.get("history") else []) + \
                   (["--type", a["item_type"]] if a.get("item_type") else [])
        elif op == "release":
            args = ["release", store, a["subject"], *common] + (["--role", a["role"]] if a.get("role") else []) + \
                   (["--type", a["item_type"]] if a.get("item_type") else [])
        elif op in ("subjects", "stats"):
            args = [op, store]
        elif op == "keys":
            args = ["consent", "keys", store]
        elif op == "models":
            args = ["model", "list", store]
        elif op == "trust":
            args = ["consent", "trust", store, "--public", a["public"], "--issuer", a["issuer"]]
        elif op == "retire":
            args = ["consent", "retire", store, "--kid", resolve_kid(w, a["kid"]), "--from", a["from"]]
        elif op == "revoke":
            args = ["consent", "revoke", store, "--jti", a["jti"]]
        elif op == "check_consent":
            args = ["consent", "check", store, "--subject", a["subject"], *common]
        elif op == "repair":
            args = ["repair", store, "--id", a["id"], "--reason", a["reason"], "--operator", a["operator"],
                    "--date", a["date"], "--" + a["action"]]
        elif op == "purge":
            args = ["purge", store, "--before", a["before"]]
        elif op == "report":
            args = ["report", store, "--subject", a["subject"], *common] + (["--role", a["role"]] if a.get("role") else [])
        elif op == "check_claims":
            args = ["check-claims", store, "--subject", a["subject"], *common, "--claims", w["claims_file"]]
        elif op == "score":
            args = ["score", store] + (["--subject", a["subject"]] if a.get("subject") else ["--all", "--threads", a["threads"]])
        elif op == "scores":
            args = ["scores", store, "--subject", a["subject"]]
        elif op == "audit_verify":
            args = ["audit", "verify", store]
        elif op == "audit_stats":
            args = ["audit", "stats", store]
        elif op == "audit_export":
            args = ["audit", "export", store]
        else:
            raise AssertionError(op)
        p = cli(*args)
        text = p.stdout.decode("utf-8")
        if p.returncode == 0:
            if op == "audit_export":
                got = text
            elif op in ("trust", "retire", "revoke", "repair"):
                got = None
            elif op == "score" and a.get("all"):
                got = [json.loads(x) for x in text.splitlines() if x.strip()]
            else:
                got = json.loads(text) if text.strip() else None
            out.append((op, "ok", got))
        elif p.returncode == 1 and b"consent refused" in p.stderr:
            out.append((op, "refused", json.loads(text) if text.strip() else None))
        elif p.returncode == 1 and op == "ingest":
            out.append((op, "invalid_data", json.loads(text)))
        else:
            out.append((op, "error", p.stderr.decode("utf-8", "replace")))
    return out


# ---------------------------------------------------------------- comparing

VOLATILE = {"report_id", "seconds", "added_at", "scored_at", "recorded_at", "started_at", "finished_at", "page_count"}


def normal(v):
    """Answers with what may differ between runs blanked: ids drawn at random,
    wall-clock stamps, file sizes."""
    if isinstance(v, dict):
        return {k: ("*" if k in VOLATILE else normal(x)) for k, x in v.items()}
    if isinstance(v, list):
        return [normal(x) for x in v]
    return v


def audit_sequence(export_text):
    entries = [json.loads(line)["entry"] for line in export_text.splitlines() if line.strip()]
    return [(e["action"], e["outcome"], e["reason"], tuple(e["item_types"])) for e in entries]


def comparable(results):
    out = []
    for op, kind, got in results:
        if op == "audit_export":
            got = audit_sequence(got)
        elif op == "score" and isinstance(got, dict) and "results" in got:
            got = got["results"]  # the C ABI and Python wrap all results with a summary; compare the results
        out.append((op, kind, normal(got)))
    return out


def test_one_scenario_same_answers_through_c_python_and_cli(world, tmp_path):
    ops = scenario(world)
    assert len(ops) >= 30
    c = comparable(run_c(world, tmp_path / "c.db", ops))
    py = comparable(run_python(world, tmp_path / "py.db", ops))
    cl = comparable(run_cli_door(world, tmp_path / "cli.db", ops))
    kinds = [k for _, k, _ in c]
    assert kinds.count("refused") >= 7 and "invalid_data" in kinds and "error" not in kinds, c
    for i, (a, b, d) in enumerate(zip(c, py, cl)):
        assert a == b, f"operation {i} ({ops[i][0]}): the C ABI and Python differ"
        assert a == d, f"operation {i} ({ops[i][0]}): the C ABI and the CLI differ"
    # The audit log holds the same actions and outcomes in the same order, one per operation that reads or changes.
    seq = c[-1][2]
    assert [s[:2] for s in seq].count(("release", "refused")) >= 4
    assert ("purge", "ok") in [s[:2] for s in seq]
    assert ("scores", "ok") in [s[:2] for s in seq]  # reading kept scores is logged (0.1 did not)


def test_cli_purge_does_what_the_abi_purge_does(world, tmp_path):
    """0.1's `xyd purge` deleted records but kept the logged releases whose
    data life had passed; xyd_store_purge did both. Every door now does both."""
    secret, public = xyd.consent.generate_key()
    short = xyd.consent.issue(secret, {"iss": "p", "sub": USCC, "aud": "bank-001", "jti": "short-life",
                                       "iat": "2024-01-01T00:00:00Z", "exp": "2099-01-01T00:00:00Z",
                                       "scope": ["tax"], "purpose": "pre_loan", "data_life": 1})
    first = [("ingest", {"file": world["feed"]}), ("trust", {"public": public, "issuer": "p"}),
             ("release", {"subject": USCC, "audience": "bank-001", "purpose": "pre_loan", "token": short})]
    later = [("purge", {"before": "2023-06-01"})]  # a year on: the one-day data life has passed
    answers = {}
    for door, run in (("c", run_c), ("cli", run_cli_door)):
        db = tmp_path / f"{door}.db"
        assert [k for _, k, _ in run(world, db, first)] == ["ok", "ok", "ok"]
        answers[door] = run(world, db, later, now="2025-07-15T00:00:00Z", create=False)[0]
    assert answers["c"] == answers["cli"]
    assert answers["cli"][2]["releases_expired"] == 1 and answers["cli"][2]["deleted"] == 1
