# SPDX-License-Identifier: Apache-2.0
"""Credit reports (each omission reason, masking by audience, the score, the
series, freshness), data verification, and the HTML report rendered in
headless Chromium."""

import json
import os
import shutil
import subprocess

import pytest

import xyd
from conftest import CLI

USCC = "91350100M000100Y43"
RID = "11010519491231002X"


def rec(type_, data, as_of="2024-06-30", subject=USCC):
    return json.dumps({"type": type_, "subject": subject, "as_of": as_of, "source": "t", "data": data}, ensure_ascii=False)


ENT = {"enterprise_name": "福州示例有限公司", "uscc": USCC}
FEED = "\n".join([
    rec("legal_rep", {**ENT, "rep_name": "欧阳娜娜"}),
    rec("shareholder", {**ENT, "holder_name": "司马光", "holder_id": RID, "contribution_date": "2015-03-01"}),
    rec("tax.arrears", {**ENT, "arrears_amount": "1200.00", "tax_type": "增值税", "period_start": "2024-04-01",
                        "period_end": "2024-04-30"}),
    rec("social.pension", {**ENT, "headcount_change_rate_6m": "2.5", "normal_payments_6m": 6}),
    *[rec("utility.water", {**ENT, "address": "福建省福州市鼓楼区五一路1号", "arrears_amount": "35.00" if m in (3, 5) else "0.00",
                            "prepaid_amount": "0.00", "opened_date": "2010-01-01", "one_meter_per_household": True},
          as_of=f"2024-{m:02d}-28") for m in range(1, 7)],
    rec("property.owner", {"holder_name": "福州示例有限公司", "holder_id": USCC, "certificate_no": "闽(2020)福州市不动产权第0012345号",
                           "unit_no": "350102001001GB00001F00010001", "use": "商业服务", "location": "福州市鼓楼区五一路1号",
                           "area_m2": "120.50", "term": "2010-01-01起2050-12-31止", "registry": "福州市不动产登记中心",
                           "registered_at": "2020-05-06"}),
    rec("tech.innovation", {**ENT, "little_giant": False, "srdi_sme": True, "innovative_sme": True, "high_tech": False,
                            "tech_sme": True}),
]) + "\n"


@pytest.fixture()
def store(tmp_path):
    s = xyd.Store(str(tmp_path / "s.db"), xyd.generate_key())
    s.ingest(FEED)
    secret, public = xyd.consent.generate_key()
    s.trust_key(public, issuer="national-platform")
    yield s, secret
    s.close()


def consent(secret, scope, mode="view", purpose="pre_loan", aud="bank-001"):
    return xyd.consent.issue(secret, {"iss": "national-platform", "sub": USCC, "aud": aud, "exp": "2099-01-01T00:00:00Z",
                                      "iat": "2024-01-01T00:00:00Z", "nbf": "2024-01-01T00:00:00Z",
                                      "scope": scope, "purpose": purpose, "mode": mode})


def item(report, type_):
    for s in report["sections"]:
        for i in s["item_types"]:
            if i["item_type"] == type_:
                return s, i
    raise KeyError(type_)


def test_each_omission_reason(store):
    s, secret = store
    r = s.report(USCC, audience="bank-001", purpose="pre_loan")  # no token
    assert r["header"]["consent_jti"] is None and r["header"]["subject"] == USCC
    assert [x["category"] for x in r["sections"]][:17] == list(range(1, 18))  # catalog order (extensions after)
    assert item(r, "tax.arrears")[1]["reason"] == "no_consent"
    assert item(r, "property.owner")[1]["reason"] == "verification_only"
    assert item(r, "judicial.dishonest_debtor")[1]["reason"] == "no_data"
    assert item(r, "utility.water")[1]["status"] == "included"  # local channel: no consent needed
    section, _ = item(r, "judicial.dishonest_debtor")
    assert section["status"] == "omitted" and section["omitted_reason"] == "no_data"
    # with a consent for tax only: legal_rep is out of scope, tax is in
    r = s.report(USCC, audience="bank-001", purpose="pre_loan", token=consent(secret, ["tax"]))
    assert r["header"]["consent_jti"]
    _, arrears = item(r, "tax.arrears")
    assert arrears["status"] == "included" and arrears["records"][0]["consent_jti"] == r["header"]["consent_jti"]
    assert arrears["records"][0]["data"]["arrears_amount"] == "1200.00"  # consented: as it is
    assert item(r, "legal_rep")[1]["reason"] == "out_of_scope"
    assert {o["reason"] for o in r["omitted"]} == {"out_of_scope", "verification_only", "no_data"}
    # a refused token refuses the report, and the refusal is logged
    with pytest.raises(xyd.ConsentError):
        s.report(USCC, audience="bank-002", purpose="pre_loan", token=consent(secret, ["tax"]))
    last = s.audit_export()[-1]["entry"]
    assert last["action"] == "report" and last["outcome"] == "refused" and last["reason"] == "wrong_audience"


def test_masking_by_audience(store):
    s, secret = store
    token = consent(secret, ["legal_rep"])
    consented = s.report(USCC, audience="bank-001", purpose="pre_loan", token=token)
    assert item(consented, "legal_rep")[1]["records"][0]["data"]["rep_name"] == "欧阳娜娜"
    addresses = {}
    for role in ("external", "loan_officer", "regulator"):
        r = s.report(USCC, audience="bank-001", purpose="pre_loan", role=role, token=consent(secret, ["tax"]))
        assert r["header"]["role"] == role
        holder = item(r, "shareholder")
        assert holder[1]["status"] == "omitted"  # national_api, not in this scope
        water = item(r, "utility.water")[1]["records"][0]["data"]
        assert "五一路1号" not in json.dumps(water, ensure_ascii=False)  # the address is masked for every role
        addresses[role] = water["address"]
    # …to the level each audience needs (docs/masking.md): district for banks, city for the regulator
    assert addresses == {"external": "福建省福州市鼓楼区", "loan_officer": "福建省福州市鼓楼区", "regulator": "福建省福州市"}
    ext = s.report(USCC, audience="bank-001", purpose="pre_loan", role="external", token=consent(secret, ["tax", "shareholder"]))
    holder = item(ext, "shareholder")[1]["records"][0]["data"]
    assert holder["holder_name"] == "司马光" and holder["holder_id"] == RID  # in scope: as it is


def test_score_series_and_freshness(store):
    s, secret = store
    bare = s.report(USCC, audience="bank-001", purpose="pre_loan", at="2024-07-15T00:00:00Z")
    full = s.report(USCC, audience="bank-001", purpose="pre_loan", token=consent(secret, ["tax", "social"]),
                    at="2024-07-15T00:00:00Z")
    assert bare["score"]["basis"] == "released_data_without_consent"
    assert "R01" in full["score"]["reason_codes"]  # the unpaid arrears count only with consent
    assert "R01" not in bare["score"]["reason_codes"]
    points = full["series"]["utility_arrears"]["points"]
    assert len(points) == 24 and points[-1]["month"] == "2024-06"
    assert [p["value"] for p in points[-6:]] == [0, 0, 1, 0, 1, 0]
    fresh = {f["item_type"]: f for f in full["freshness"]}
    assert fresh["utility.water"]["as_of"] == "2024-06-28" and not fresh["utility.water"]["stale"]
    later = s.report(USCC, audience="bank-001", purpose="pre_loan", at="2025-03-01T00:00:00Z")
    assert {f["item_type"]: f for f in later["freshness"]}["utility.water"]["stale"]


def test_verification(store):
    s, secret = store
    token = consent(secret, ["property", "tech"], mode="verify")
    claims = [
        {"id": "cert", "item_type": "property.owner", "conditions": [
            {"field": "certificate_no", "value": "闽（2020）福州市不动产权第００１２３４５号"},  # full-width: the same
            {"field": "area_m2", "op": "ge", "value": "100"}]},
        {"id": "big", "item_type": "property.owner", "field": "area_m2", "op": "ge", "value": "500"},
        {"id": "badge", "item_type": "tech.innovation", "field": "srdi_sme", "value": "是"},
        {"id": "giant", "item_type": "tech.innovation", "field": "little_giant", "value": True},
        {"id": "farm", "item_type": "property.farmhouse", "field": "area_m2", "op": "ge", "value": 1},
        {"id": "date", "item_type": "property.owner", "field": "registered_at", "value": "2020年5月6日"},  # normalised date
        {"id": "exact", "item_type": "property.owner", "field": "area_m2", "value": "120.5"},  # 120.50 exactly
        {"id": "before", "item_type": "property.owner", "field": "registered_at", "op": "lt", "value": "2020/05/06"},
    ]
    r = s.check_claims(USCC, claims, audience="bank-001", purpose="pre_loan", token=token)
    assert {a["id"]: a["answer"] for a in r["answers"]} == {
        "cert": "match", "big": "no_match", "badge": "match", "giant": "no_match", "farm": "no_data",
        "date": "match", "exact": "match", "before": "no_match"}
    assert "闽" not in json.dumps(r, ensure_ascii=False)  # never the record
    with pytest.raises(xyd.ConsentError, match="wrong_mode"):
        s.check_claims(USCC, claims[:1], audience="bank-001", purpose="pre_loan", token=consent(secret, ["property"]))
    with pytest.raises(xyd.ConsentError, match="out_of_scope"):
        s.check_claims(USCC, [claims[2]], audience="bank-001", purpose="pre_loan", token=consent(secret, ["property"], mode="verify"))
    with pytest.raises(xyd.InvalidArgumentError, match=r"claims\$\[0\]\.item_type"):
        s.check_claims(USCC, [{"item_type": "tax.arrears", "field": "tax_type", "value": "x"}], audience="bank-001",
                 purpose="pre_loan", token=token)
    actions = [(e["entry"]["action"], e["entry"]["outcome"]) for e in s.audit_export()]
    assert ("check_claims", "ok") in actions and ("check_claims", "refused") in actions


def test_cli_check_claims(tmp_path):
    key = tmp_path / "k"
    subprocess.run([CLI, "keygen", "--out", str(key)], check=True, capture_output=True)
    db, feed = tmp_path / "s.db", tmp_path / "f.jsonl"
    feed.write_text(FEED, encoding="utf-8")
    k = ["--key-file", str(key)]
    subprocess.run([CLI, "ingest", str(db), str(feed), "--create", *k], check=True, capture_output=True)
    subprocess.run([CLI, "consent", "keygen", "--out", str(tmp_path / "p")], check=True, capture_output=True)
    subprocess.run([CLI, "consent", "trust", str(db), "--public", str(tmp_path / "p.public"), *k], check=True, capture_output=True)
    (tmp_path / "c.json").write_text(json.dumps({"iss": "p", "sub": USCC, "aud": "bank-001", "exp": "2099-01-01T00:00:00Z",
                                                "scope": ["tech"], "purpose": "approval", "mode": "verify"}))
    token = subprocess.run([CLI, "consent", "issue", "--secret", str(tmp_path / "p.secret"), "--claims", str(tmp_path / "c.json")],
                           check=True, capture_output=True).stdout.decode().strip()
    (tmp_path / "claims.json").write_text(json.dumps([{"item_type": "tech.innovation", "field": "tech_sme", "value": "是"}]))
    base = [CLI, "check-claims", str(db), "--subject", USCC, "--audience", "bank-001", "--claims", str(tmp_path / "claims.json"), *k]
    p = subprocess.run([*base, "--purpose", "approval", "--token", token], capture_output=True)
    assert p.returncode == 0 and json.loads(p.stdout)["answers"][0]["answer"] == "match"
    p = subprocess.run([*base, "--purpose", "post_loan", "--token", token], capture_output=True)
    assert p.returncode == 1 and b"purpose_not_allowed" in p.stderr


def test_cli_report_and_html_in_chromium(tmp_path):
    key = tmp_path / "k"
    subprocess.run([CLI, "keygen", "--out", str(key)], check=True, capture_output=True)
    db = tmp_path / "s.db"
    feed = tmp_path / "f.jsonl"
    feed.write_text(FEED, encoding="utf-8")
    subprocess.run([CLI, "ingest", str(db), str(feed), "--create", "--key-file", str(key)], check=True, capture_output=True)
    html = tmp_path / "r.html"
    p = subprocess.run([CLI, "report", str(db), "--subject", USCC, "--audience", "bank-001", "--purpose", "pre_loan",
                        "--html", str(html), "--key-file", str(key)], check=True, capture_output=True)
    report = json.loads(p.stdout)
    assert report["header"]["consent_jti"] is None
    page = html.read_text(encoding="utf-8")
    assert "<script" not in page and "http://" not in page.replace("http://www.w3.org/2000/svg", "")
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    assert chromium, "Debian's chromium is needed (scripts/install-deps.sh installs it)"
    # Chromium is not ours: not under the sanitizer runtime the ASan run preloads.
    env = {k: v for k, v in os.environ.items() if k not in ("LD_PRELOAD", "ASAN_OPTIONS", "UBSAN_OPTIONS")}
    dom = subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                          "--dump-dom", html.as_uri()], capture_output=True, timeout=120, env=env)
    text = dom.stdout.decode("utf-8")
    assert dom.returncode == 0, dom.stderr[-2000:]
    # the rendered DOM holds the real content: title, score, grade, a table row, the chart, an omission reason
    assert "企业/个人信用报告" in text
    assert f'<div class="big" id="score">{report["score"]["score"]}</div>' in text
    assert f'<b id="grade">{report["score"]["grade"]}</b>' in text
    assert "水电气费缴纳信息" in text and "<polyline" in text
    assert "未获信息主体授权" in text and "仅提供数据核验" in text
