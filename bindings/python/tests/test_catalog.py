# SPDX-License-Identifier: Apache-2.0
"""The catalog against the original annex of 国办发〔2024〕15号 (tests/data/annex-2024.txt,
copied from ../shared/seeds), and provincial extensions."""
import json

import pytest

import xyd
from conftest import DATA

CHANNELS = {
    "国家层面接口调用（经信息主体授权）": "national_api",
    "国家层面以物理归集方式共享至全国融资信用服务平台": "national_physical",
    "地方层面物理归集": "local_physical",
    "数据核验（经信息主体授权）": "verification",
}


def annex_rows():
    """(category number, category zh, item zh or None, [field labels], channel) per item."""
    rows, category = [], None
    for line in (DATA / "annex-2024.txt").read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.split("\t")]
        if not line.strip() or cells[0] == "序号" or "清单" in line and len([c for c in cells if c]) == 1:
            continue
        if cells[0].isdigit():
            category = (int(cells[0]), cells[1])
            rest = [c for c in cells[2:] if c]
        else:
            rest = [c for c in cells if c]
        channel = CHANNELS[rest[-1]]
        body = rest[:-1]
        labels = next((c.split("、") for c in body if "、" in c), [])
        item = next((c for c in body if "、" not in c), None)
        rows.append((category[0], category[1], item, labels, channel))
    return rows


def test_annex_parses_to_17_categories_and_37_items():
    rows = annex_rows()
    assert len(rows) == 37
    assert len({r[0] for r in rows}) == 17


def test_catalog_matches_the_annex_item_by_item():
    cat = xyd.catalog()
    assert cat["version"] == "CN-2024"
    national = [t for t in cat["item_types"] if t["origin"] == "CN-2024"]
    assert len(cat["categories"]) == 17 and len(national) == 37
    categories = {c["number"]: c for c in cat["categories"]}
    for (number, cat_zh, item_zh, labels, channel), t in zip(annex_rows(), national):
        assert t["category"] == number, t["id"]
        assert categories[number]["zh"] == cat_zh
        if item_zh:
            assert item_zh in t["zh"], (t["id"], item_zh)
        assert t["channel"] == channel, t["id"]
        assert t["consent_required"] == (channel in ("national_api", "verification"))
        assert [f["zh"] for f in t["fields"]] == labels, t["id"]


def test_every_field_is_fully_described():
    classes = {"public", "person_name", "person_id", "phone", "address", "marital_status", "commercial_secret"}
    for t in xyd.catalog()["item_types"]:
        keys = [f["key"] for f in t["fields"]]
        assert len(keys) == len(set(keys))
        for f in t["fields"]:
            assert set(f) >= {"key", "zh", "type", "required", "class"}
            assert f["class"] in classes
        for k in t["natural_key"]:
            assert k in keys
        assert t["subjects"] and set(t["subjects"]) <= {"uscc", "rid"}


def test_personal_fields_are_classified():
    by_id = {t["id"]: t for t in xyd.catalog()["item_types"]}
    cls = lambda item, key: next(f["class"] for f in by_id[item]["fields"] if f["key"] == key)  # noqa: E731
    assert cls("legal_rep", "rep_name") == "person_name"
    assert cls("shareholder", "holder_id") == "person_id"
    assert cls("marital", "marital_status") == "marital_status"
    assert cls("utility.water", "address") == "address"
    assert cls("tax.financials", "balance_sheet") == "commercial_secret"
    assert cls("tax.arrears", "arrears_amount") == "commercial_secret"


EXTENSION = {
    "version": "GD-2025-TEST",
    "categories": [{"number": 101, "id": "gd_trade", "zh": "广东外贸信息", "en": "Guangdong foreign trade"}],
    "item_types": [
        {
            "id": "gd.export_credit",
            "category": 101,
            "zh": "出口信用保险信息",
            "en": "Export credit insurance",
            "channel": "local_physical",
            "subjects": ["uscc"],
            "subject_field": "uscc",
            "kind": "state",
            "fields": [
                {"key": "uscc", "zh": "统一社会信用代码", "type": "uscc"},
                {"key": "insured_amount", "zh": "保险金额", "type": "money", "class": "commercial_secret"},
            ],
            "natural_key": [],
        }
    ],
}


def test_extension_adds_item_types_and_records_validate_against_them():
    xyd.load_extension(EXTENSION)
    cat = xyd.catalog()
    assert "GD-2025-TEST" in cat["extensions"]
    assert any(t["id"] == "gd.export_credit" and t["origin"] == "GD-2025-TEST" for t in cat["item_types"])
    assert any(c["number"] == 101 for c in cat["categories"])
    record = {
        "type": "gd.export_credit",
        "subject": "91350100M000100Y43",
        "as_of": "2024-06-30",
        "source": "gd",
        "data": {"uscc": "91350100M000100Y43", "insured_amount": "1000.00"},
    }
    assert xyd.validate_record(record) == []
    # Loading the same version again is a redefinition.
    with pytest.raises(xyd.ExistsError):
        xyd.load_extension(EXTENSION)


def test_redefining_a_national_item_type_is_refused_and_changes_nothing():
    before = xyd.catalog()
    bad = json.loads(json.dumps(EXTENSION))
    bad["version"] = "GD-2025-REDEFINE"
    bad["categories"] = []
    bad["item_types"][0]["id"] = "tax.arrears"
    bad["item_types"][0]["category"] = 3
    with pytest.raises(xyd.ExistsError) as e:
        xyd.load_extension(bad)
    assert "tax.arrears" in str(e.value)
    assert xyd.catalog() == before


@pytest.mark.parametrize(
    "mutate, path",
    [
        (lambda d: d["item_types"][0].update(channel="fax"), "$.item_types[0].channel"),
        (lambda d: d["item_types"][0]["fields"][1].update(type="float"), "$.item_types[0].fields[1].type"),
        (lambda d: d["item_types"][0].update(natural_key=["nope"]), "$.item_types[0].natural_key"),
        (lambda d: d["item_types"][0].update(category=55), "$.item_types[0].category"),
        (lambda d: d.update(colour="red"), "$.colour"),
    ],
)
def test_bad_extensions_name_the_path(mutate, path):
    doc = json.loads(json.dumps(EXTENSION))
    doc["version"] = "GD-BAD"
    doc["categories"][0]["number"] = 102
    doc["categories"][0]["id"] = "gd_bad"
    doc["item_types"][0]["id"] = "gd.bad"
    mutate(doc)
    with pytest.raises(xyd.ValidationError) as e:
        xyd.load_extension(doc)
    assert path in str(e.value)


def test_malformed_extension_is_a_parse_error():
    with pytest.raises(xyd.ParseError):
        xyd.load_extension('{"version": "X", "item_types": [')
