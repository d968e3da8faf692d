# SPDX-License-Identifier: Apache-2.0
import json

import pytest

import xyd
from conftest import run_cli

GOOD = {
    "type": "tax.arrears",
    "subject": "91350100M000100Y43",
    "as_of": "2024-06-30",
    "source": "test",
    "data": {
        "enterprise_name": "福州示例有限公司",
        "uscc": "91350100M000100Y43",
        "arrears_amount": "1234.50",
        "tax_type": "增值税",
        "period_start": "2024-01-01",
        "period_end": "2024-01-31",
    },
}


def with_data(**changes):
    rec = json.loads(json.dumps(GOOD))
    for k, v in changes.items():
        if v is None:
            rec["data"].pop(k, None)
        else:
            rec["data"][k] = v
    return rec


def paths(problems):
    return sorted(p["path"] for p in problems)


def test_valid_record_has_no_problems():
    assert xyd.validate_record(GOOD) == []
    assert xyd.validate_record(json.dumps(GOOD)) == []


def test_every_problem_is_reported_with_its_path():
    rec = with_data(arrears_amount=12.345, tax_type=None, period_start="2024-02-30", colour="red")
    rec["as_of"] = "2999-01-01"
    rec["subject"] = "91350100M000100Y44"
    problems = xyd.validate_record(rec)
    assert paths(problems) == sorted(
        ["$.subject", "$.as_of", "$.data.arrears_amount", "$.data.tax_type", "$.data.period_start", "$.data.colour"]
    )
    codes = {p["path"]: p["code"] for p in problems}
    assert codes["$.data.tax_type"] == "missing"
    assert codes["$.data.colour"] == "unknown"
    for p in problems:
        assert "91350100M000100Y44" not in p["message"]


@pytest.mark.parametrize(
    "value, ok",
    [("0.10", True), ("12", True), (12, True), ("1.5", True), ("1.500", True), ("1.001", False),
     ("-1.00", False), ("1e3", False), ("", False), (True, False), ("12,000", False), ("99999999999999999.99", False)],
)
def test_money_is_exact_with_at_most_two_decimals(value, ok):
    assert (xyd.validate_record(with_data(arrears_amount=value)) == []) == ok


def test_money_as_a_json_number_is_never_rounded_through_a_double():
    text = json.dumps(GOOD).replace('"1234.50"', "0.30000000000000004")
    problems = xyd.validate_record(text)
    assert [p["path"] for p in problems] == ["$.data.arrears_amount"]
    assert "2 decimal places" in problems[0]["message"]


def test_cross_field_rules():
    assert paths(xyd.validate_record(with_data(period_start="2024-03-01"))) == ["$.data.period_start"]
    mismatch = xyd.validate_record(with_data(uscc="914403001922038216"))
    assert [(p["path"], p["code"]) for p in mismatch] == [("$.data.uscc", "mismatch")]


def test_syntax_errors_are_one_problem_at_the_root():
    problems = xyd.validate_record('{"type": "tax.arrears",')
    assert len(problems) == 1 and problems[0]["path"] == "$" and problems[0]["code"] == "syntax"
    assert xyd.validate_record("[]")[0]["code"] == "wrong_type"
    assert xyd.validate_record('{"a":1} {"b":2}')[0]["code"] == "syntax"


def test_duplicate_members_are_problems():
    text = json.dumps(GOOD)[:-2] + ', "tax_type": "印花税"}}'
    assert "$.data.tax_type" in paths(xyd.validate_record(text))


def test_structured_fields():
    rec = {
        "type": "social.medical", "subject": "91350100M000100Y43", "as_of": "2024-06-30", "source": "t",
        "data": {
            "enterprise_name": "示例", "uscc": "91350100M000100Y43",
            "monthly_headcount_24m": [{"month": "2024-05", "value": 10}, {"month": "2024-05", "value": 1.5}],
            "monthly_contribution_24m": [{"month": "2024-13", "value": "10.00"}],
            "payment_dates_24m": ["2024-05-15"],
            "payment_periods": ["2024-05", "2024-06"],
            "monthly_deferrals_24m": [{"month": "2024-05", "amount": "1.00", "date": "2024-05-31", "x": 1}],
        },
    }
    assert paths(xyd.validate_record(rec)) == sorted([
        "$.data.monthly_headcount_24m[1].month",
        "$.data.monthly_headcount_24m[1].value",
        "$.data.monthly_contribution_24m[0].month",
        "$.data.payment_dates_24m",
        "$.data.monthly_deferrals_24m[0].x",
    ])


def test_balance_sheet_identity():
    rec = {
        "type": "tax.financials", "subject": "91350100M000100Y43", "as_of": "2023-12-31", "source": "t",
        "data": {
            "enterprise_name": "示例", "uscc": "91350100M000100Y43",
            "balance_sheet": {"period_end": "2023-12-31", "items": {"total_assets": "100.00", "total_liabilities": "60.00", "owners_equity": "40.01"}},
            "income_statement": {"period_start": "2023-01-01", "period_end": "2023-12-31", "items": {"revenue": "10", "net_profit": "-2.50"}},
        },
    }
    assert [(p["path"], p["code"]) for p in xyd.validate_record(rec)] == [("$.data.balance_sheet.items", "mismatch")]


def test_normalize_then_validate():
    messy = {
        "type": " tax.arrears ", "subject": "９１３５０１００ｍ０００１００ｙ４３", "as_of": "2024/6/30", "source": " t ",
        "data": {
            "enterprise_name": "　福州示例有限公司 ", "uscc": "91350100m000100y43", "arrears_amount": "¥1,234.5元",
            "tax_type": "增值税", "period_start": "20240101", "period_end": "2024年1月31日",
        },
    }
    assert xyd.validate_record(messy) != []
    clean = xyd.normalize_record(messy)
    assert xyd.validate_record(clean) == []
    assert clean["data"]["arrears_amount"] == "1234.50"
    assert xyd.normalize_record(clean) == clean


def test_enum_and_boolean_normalisation():
    rec = {"type": "marital", "subject": "91350100M000100Y43", "as_of": "2024-06-30", "source": "t",
           "data": {"rep_name": "张三", "rep_id": "11010519491231002X", "marital_status": "已婚"}}
    assert xyd.validate_record(rec)[0]["path"] == "$.data.marital_status"
    assert xyd.normalize_record(rec)["data"]["marital_status"] == "married"
    assert xyd.validate_record(xyd.normalize_record(rec)) == []


def test_generated_feed_is_valid_through_the_library_and_the_cli(feed_1000):
    lines = feed_1000.read_text(encoding="utf-8").splitlines()
    assert len(lines) > 50_000
    types = set()
    for n, line in enumerate(lines, 1):
        problems = xyd.validate_record(line)
        assert problems == [], (n, problems)
        types.add(json.loads(line)["type"])
    assert len(types) == 37
    r = run_cli("validate", feed_1000)
    assert r.returncode == 0, r.stdout[-2000:]
    assert f"{len(lines)} records: {len(lines)} valid, 0 invalid" in r.stdout.decode()


def test_gen_is_byte_identical_for_a_seed_and_differs_across_seeds(feed_1000, tmp_path):
    again = run_cli("gen", "--subjects", 1000, "--seed", 7, check=True).stdout
    assert again == feed_1000.read_bytes()
    other = run_cli("gen", "--subjects", 1000, "--seed", 8, check=True).stdout
    assert other != again
