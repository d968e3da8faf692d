# SPDX-License-Identifier: Apache-2.0
"""Consent through Python and the CLI: issue, verify, keyring, revocation,
release under consent, and every refusal reason."""
import json
import os
import subprocess

import pytest

import xyd
from conftest import CLI, run_cli

USCC = "91350100M000100Y43"
FEED = "\n".join(json.dumps(r, ensure_ascii=False) for r in [
    {"type": "legal_rep", "subject": USCC, "as_of": "2024-06-30", "source": "t",
     "data": {"enterprise_name": "示例", "uscc": USCC, "rep_name": "欧阳娜娜"}},
    {"type": "tax.deferral", "subject": USCC, "as_of": "2024-06-30", "source": "t",
     "data": {"enterprise_name": "示例", "uscc": USCC, "deferred_item": "增值税", "deferred_amount": "100.00"}},
    {"type": "medins.designated", "subject": USCC, "as_of": "2024-06-30", "source": "t",
     "data": {"enterprise_name": "示例", "uscc": USCC, "designated": True}},
    {"type": "utility.gas", "subject": USCC, "as_of": "2024-06-30", "source": "t",
     "data": {"enterprise_name": "示例", "uscc": USCC, "opened_date": "2010-01-01", "address": "福州市鼓楼区中山路1号",
              "prepaid_amount": "0.00", "arrears_amount": "0.00", "one_meter_per_household": True}},
]) + "\n"


def claims(**over):
    c = {"iss": "national-platform", "sub": USCC, "aud": "bank-001", "exp": "2099-01-01T00:00:00Z",
         "scope": ["legal_rep", "tax"], "purpose": ["pre_loan"], "data_life": "P30D"}
    c.update(over)
    return c


@pytest.fixture
def setup(tmp_path):
    secret, public = xyd.consent.generate_key()
    store = xyd.Store(tmp_path / "s.db", xyd.generate_key())
    store.ingest(FEED)
    store.trust_key(public, issuer="national-platform")
    yield store, secret, public
    store.close()


def test_issue_and_verify_without_a_store():
    secret, public = xyd.consent.generate_key()
    token = xyd.consent.issue(secret, claims())
    got = xyd.consent.verify(public, token)
    assert got["sub"] == USCC and got["aud"] == "bank-001" and got["jti"] and got["iat"]
    assert json.loads(xyd.paseto.footer(token))["kid"] == xyd.consent.key_id(public)
    with pytest.raises(xyd.ConsentError) as e:
        xyd.consent.verify(xyd.consent.generate_key()[1], token)
    assert e.value.reason == "bad_signature" and token not in str(e.value)
    with pytest.raises(xyd.ConsentError) as e:
        xyd.consent.verify(public, xyd.consent.issue(secret, claims(exp="2020-01-01T00:00:00Z", iat="2019-01-01T00:00:00Z")))
    assert e.value.reason == "expired"
    with pytest.raises(xyd.ConsentError) as e:
        xyd.consent.verify(public, xyd.consent.issue(secret, claims(nbf="2098-01-01T00:00:00Z")))
    assert e.value.reason == "not_yet_valid"
    with pytest.raises(xyd.ValidationError, match="scope"):
        xyd.consent.issue(secret, claims(scope=["no.such.type"]))


def test_release_follows_the_consent(setup):
    store, secret, public = setup
    token = xyd.consent.issue(secret, claims())
    everything = {r["type"] for r in store.records(USCC)}
    assert everything == {"legal_rep", "tax.deferral", "medins.designated", "utility.gas"}
    without = {r["type"] for r in store.release(USCC, audience="bank-001")}
    assert without == {"utility.gas"}
    released = store.release(USCC, audience="bank-001", purpose="pre_loan", token=token)
    assert {r["type"] for r in released} == {"legal_rep", "tax.deferral", "utility.gas"}
    jti = xyd.consent.verify(public, token)["jti"]
    assert all(r.get("consent_jti") == jti for r in released if r["type"] != "utility.gas")
    with pytest.raises(xyd.ConsentError) as e:
        store.release(USCC, audience="bank-001", item_type="medins.designated")
    assert e.value.reason == "out_of_scope"


@pytest.mark.parametrize("case, reason", [
    ("audience", "wrong_audience"), ("subject", "wrong_subject"), ("purpose", "purpose_not_allowed"),
    ("expired", "expired"), ("early", "not_yet_valid"), ("unknown_key", "unknown_key"), ("retired", "retired_key"),
    ("revoked_jti", "revoked"), ("revoked_grant", "revoked"), ("tampered", "bad_signature"), ("garbage", "malformed"),
])
def test_each_refusal_reason(setup, case, reason):
    store, secret, public = setup
    token = xyd.consent.issue(secret, claims())
    req = {"subject": USCC, "audience": "bank-001", "purpose": "pre_loan"}
    if case == "audience":
        req["audience"] = "bank-002"
    elif case == "subject":
        req["subject"] = "914403001922038216"
    elif case == "purpose":
        req["purpose"] = "post_loan"
    elif case == "expired":
        req["at"] = "2099-06-01T00:00:00Z"
    elif case == "early":
        req["at"] = "2000-01-01T00:00:00Z"
    elif case == "unknown_key":
        token = xyd.consent.issue(xyd.consent.generate_key()[0], claims())
    elif case == "retired":
        store.retire_key(xyd.consent.key_id(public), "2001-01-01T00:00:00Z")
    elif case == "revoked_jti":
        store.revoke(jti=xyd.consent.verify(public, token)["jti"])
    elif case == "revoked_grant":
        store.revoke(subject=USCC, audience="bank-001")
    elif case == "tampered":
        message, footer = xyd.paseto.verify(public, token)
        token = xyd.paseto.sign(xyd.consent.generate_key()[0], message, footer=footer)
    elif case == "garbage":
        token = "v4.public.not-a-token"
    decision = store.check_consent(token, **req)
    assert decision == {"granted": False, "reason": reason, "detail": decision["detail"]}
    with pytest.raises(xyd.ConsentError) as e:
        store.release(req["subject"], audience=req["audience"], purpose=req["purpose"], token=token, at=req.get("at"))
    assert e.value.reason == reason


def test_keyring_is_persisted(setup, tmp_path):
    store, secret, public = setup
    keys = store.keys()
    assert keys[0]["kid"] == xyd.consent.key_id(public) and keys[0]["issuer"] == "national-platform"


def test_cli_consent_flow(tmp_path):
    env = dict(os.environ, XYD_KEY_FILE=str(tmp_path / "k"))
    run_cli("keygen", "--out", tmp_path / "k", check=True)
    feed = tmp_path / "f.jsonl"
    feed.write_text(FEED, encoding="utf-8")

    def cli(*args):
        return subprocess.run([CLI, *map(str, args)], capture_output=True, env=env)

    db = tmp_path / "s.db"
    assert cli("ingest", db, feed, "--create").returncode == 0
    r = cli("consent", "keygen", "--out", tmp_path / "plat")
    assert r.returncode == 0 and oct((tmp_path / "plat.secret").stat().st_mode & 0o777) == "0o600"
    secret = (tmp_path / "plat.secret").read_text().strip()
    assert secret not in (r.stdout + r.stderr).decode()
    (tmp_path / "claims.json").write_text(json.dumps(claims()), encoding="utf-8")
    r = cli("consent", "issue", "--secret", tmp_path / "plat.secret", "--claims", tmp_path / "claims.json")
    assert r.returncode == 0
    token = r.stdout.decode().strip()
    r = cli("consent", "verify", "--public", tmp_path / "plat.public", "--token", token)
    assert r.returncode == 0 and json.loads(r.stdout)["sub"] == USCC
    other = tmp_path / "other"
    cli("consent", "keygen", "--out", other)
    r = cli("consent", "verify", "--public", str(other) + ".public", "--token", token)
    assert r.returncode == 1 and b"bad_signature" in r.stderr and token.encode() not in r.stderr
    assert cli("consent", "trust", db, "--public", tmp_path / "plat.public", "--issuer", "platform").returncode == 0
    r = cli("consent", "check", db, "--token", token, "--subject", USCC, "--audience", "bank-001", "--purpose", "pre_loan")
    assert r.returncode == 0 and json.loads(r.stdout)["granted"]
    r = cli("release", db, USCC, "--audience", "bank-001", "--purpose", "pre_loan", "--token", token)
    assert {x["type"] for x in json.loads(r.stdout)} == {"legal_rep", "tax.deferral", "utility.gas"}
    jti = xyd.consent.verify((tmp_path / "plat.public").read_text().strip(), token)["jti"]
    assert cli("consent", "revoke", db, "--jti", jti).returncode == 0
    r = cli("release", db, USCC, "--audience", "bank-001", "--purpose", "pre_loan", "--token", token)
    assert r.returncode == 1 and b"consent refused: revoked" in r.stderr
    keys = json.loads(cli("consent", "keys", db).stdout)
    assert keys[0]["issuer"] == "platform"
