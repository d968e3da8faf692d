# SPDX-License-Identifier: Apache-2.0
"""Scoring: the worked example of docs/scoring.md, identical results through
C++, C, Python and the CLI, PMML import, scoring from the store."""

import decimal
import json
import os
import random
import re
import subprocess
from pathlib import Path

import pytest

import xyd
from conftest import CLI, DATA, ROOT

SOURCE = Path(os.environ.get("XYD_SOURCE", ROOT))
BUILD = Path(CLI).parent
ABI_TEST = os.environ.get("XYD_ABI_TEST", str(BUILD / "xyd_abi_test"))
SCORE_CPP = os.environ.get("XYD_SCORE_CPP", str(BUILD / "xyd_score_cpp"))
DEFAULT_MODEL = SOURCE / "models" / "xyd-public-2024.json"
PMML = DATA / "score" / "sample-scorecard.pmml"
PMML_ABOVE = DATA / "score" / "sample-scorecard-above.pmml"


def four_ways(model_path, features, tmp_path):
    """The result text through C++, C, Python and the CLI; asserts they are equal."""
    features_path = tmp_path / "features.json"
    features_path.write_text(features if isinstance(features, str) else json.dumps(features, ensure_ascii=False),
                             encoding="utf-8")
    outputs = {}
    for name, argv in (
        ("c++", [SCORE_CPP, model_path, features_path]),
        ("c", [ABI_TEST, "score", model_path, features_path]),
        ("cli", [CLI, "score", "--model", model_path, "--features", features_path]),
    ):
        p = subprocess.run([str(a) for a in argv], capture_output=True)
        assert p.returncode == 0, (name, p.stderr)
        outputs[name] = p.stdout.decode("utf-8").strip()
    outputs["python"] = xyd.Scorecard.from_file(model_path).score_json(features_path.read_text(encoding="utf-8"))
    assert len(set(outputs.values())) == 1, outputs
    return outputs["python"]


def doc_section(marker):
    text = (SOURCE / "docs" / "scoring.md").read_text(encoding="utf-8")
    start = text.index(f"<!-- worked-example:{marker} -->")
    return text[start:]


def doc_json(marker):
    block = doc_section(marker)
    m = re.search(r"```json\n(.*?)```", block, re.S)
    return json.loads(m.group(1), parse_float=decimal.Decimal)


def test_worked_example_of_the_docs(tmp_path):
    features = doc_json("features")
    expected = doc_json("result")
    result = xyd.scoring.loads(four_ways(DEFAULT_MODEL, features, tmp_path))
    for key, value in expected.items():
        assert result[key] == value, key
    # the points table: each row's attribute and points are the engine's
    table = doc_section("points").split("\n\n")[0]
    rows = [r for r in table.splitlines() if r.startswith("| ") and not r.startswith("| characteristic")]
    chars = {c["name"]: c for c in result["characteristics"]}
    assert len(rows) == len(chars) == 19
    total = 0
    for row in rows:
        name, _value, label, _weight, points, baseline, lost = [c.strip() for c in row.strip("|").split("|")]
        c = chars[name]
        assert c["label"] == label, name
        assert c["partial_score"] == int(points), name
        assert int(baseline) - int(points) == int(lost.split()[0]), name
        total += int(points)
    assert 600 + total == result["score"]
    # the built-in model is the file of the docs
    assert xyd.Scorecard.default().hash == xyd.Scorecard.from_file(DEFAULT_MODEL).hash


def test_default_model_is_documented():
    text = (SOURCE / "docs" / "scoring.md").read_text(encoding="utf-8")
    card = json.loads(xyd.Scorecard.default().canonical_json())
    for c in card["characteristics"]:
        row = next(r for r in text.splitlines() if r.startswith(f"| `{c['name']}` | {c['reason_code']} |"))
        for a in c["attributes"]:
            if a["label"] == "无数据":
                continue
            points = a["partial_score"]
            shown = "0" if points == 0 else (f"+{points}" if points > 0 else f"−{-points}")
            assert f"{a['label']} {shown}" in row, (c["name"], a["label"], shown)
    for f in xyd.features([]).keys() - {"as_of"}:
        assert f"| `{f}` |" in text, f


def random_features(rng):
    card = json.loads(xyd.Scorecard.default().canonical_json())
    out = {}
    for f in card["fields"]:
        kind = f["type"]
        r = rng.random()
        if r < 0.15:
            out[f["name"]] = None
            continue
        if r < 0.2:
            continue
        name = f["name"]
        if kind == "boolean":
            out[name] = rng.random() < (0.03 if "dishonest" in name else 0.7)
        elif kind == "category":
            out[name] = rng.choice(["正常公开", "正常公开", "限期整改", "重点监督检查", "其他状态"])
        elif name == "pension_normal_payments_6m":
            out[name] = rng.choice([6, 6, 6, 5, 3])
        elif name == "innovation_badges":
            out[name] = rng.randint(0, 5)
        elif name == "utility_arrears_months_24m":
            out[name] = rng.choice([0, 0, 0, 1, 4, 12])
        elif kind == "integer":
            out[name] = rng.choice([0, 0, 0, 1, 2, 3, 120, 400])
        else:
            cents = rng.randint(-3_000_000, 30_000_000) if rng.random() < 0.5 else 0
            out[name] = f"{cents // 100}.{cents % 100:02d}" if rng.random() < 0.5 else cents / 100
    return out


def test_identical_through_cpp_c_python_cli(tmp_path):
    rng = random.Random(20241128)
    seen = set()
    for _ in range(25):
        text = four_ways(DEFAULT_MODEL, random_features(rng), tmp_path)
        seen.add(json.loads(text)["grade"])
    assert len(seen) >= 3  # the sample spans several grades
    for features in ({"department": "engineering", "age": 25, "income": 1500}, {"age": 17}, {},
                     {"department": "human resources", "age": 30, "income": "1000.000000000001"}):
        four_ways(PMML, features, tmp_path)
        four_ways(PMML_ABOVE, features, tmp_path)


def test_pmml_both_reason_code_algorithms(cli, tmp_path):
    f = tmp_path / "f.json"
    f.write_text(json.dumps({"department": "engineering", "age": 25, "income": 1500}))
    below = json.loads(cli("score", "--model", PMML, "--features", f, check=True).stdout)
    assert below["score"] == 8 and below["reason_codes"] == ["RC2", "RC1", "RC3"]
    assert [r["points"] for r in below["reasons"]] == [18, 16, 5]
    f.write_text(json.dumps({"department": "marketing", "age": 45, "income": 500}))
    above = json.loads(cli("score", "--model", PMML_ABOVE, "--features", f, check=True).stdout)
    assert above["score"] == 63 and above["reason_codes"] == ["RC3", "RC1", "RC2"]
    # the specification's incomplete sample is refused, naming the characteristic
    p = cli("model", "check", DATA / "score" / "incomplete-scorecard.pmml")
    assert p.returncode == 1 and b'characteristic "departmentScore"' in p.stderr


def test_exact_numbers_in_python():
    card = xyd.Scorecard({
        "id": "exact", "version": "1", "use_reason_codes": False,
        "fields": [{"name": "x", "type": "number"}],
        "initial_score": "0.1",
        "characteristics": [{"name": "x", "field": "x", "attributes": [
            {"when": {"missing": True}, "partial_score": "0"},
            {"when": {"range": "(-inf,0.3]"}, "partial_score": "0.2"},
            {"when": {"range": "(0.3,inf)"}, "partial_score": "-1e-12"}]}],
    })
    r = card.score({"x": decimal.Decimal("0.3")})  # 0.1 + 0.2 exactly; 0.3 is in the first range
    assert r["score"] == decimal.Decimal("0.3")
    assert isinstance(r["score"], decimal.Decimal)
    r = card.score({"x": "0.300000000001"})
    assert r["score"] == decimal.Decimal("0.099999999999")
    with pytest.raises(xyd.ValidationError, match=r"\$\.x"):
        card.score({"x": "0.3000000000001"})  # 13 decimals
    with pytest.raises(xyd.ValidationError, match="no attribute matches"):
        xyd.Scorecard({"id": "g", "version": "1", "use_reason_codes": False, "fields": [{"name": "x", "type": "number"}],
                       "characteristics": [{"name": "x", "field": "x", "attributes": [{"when": {"missing": True}, "partial_score": 0}]}]})


def test_scorecard_constructors(tmp_path):
    by_path = xyd.Scorecard(str(PMML))
    assert by_path.hash == xyd.Scorecard(PMML).hash == xyd.Scorecard(PMML.read_text()).hash
    assert xyd.Scorecard.load(PMML.read_bytes()).hash == by_path.hash
    assert xyd.Scorecard.from_json(by_path.canonical_json()).hash == by_path.hash
    assert by_path.info["format"] == "pmml" and by_path.id == "SampleScorecard"
    with pytest.raises(xyd.ParseError):
        xyd.Scorecard("{")
    with pytest.raises(TypeError):
        xyd.Scorecard()


def test_cli_errors(cli, tmp_path):
    f = tmp_path / "f.json"
    f.write_text('{"tax_arrears_unpaid": "many"}')
    p = cli("score", "--features", f)
    assert p.returncode == 1 and b"$.tax_arrears_unpaid" in p.stderr
    f.write_text('{"tax_arrears_unpaid": ')
    assert cli("score", "--features", f).returncode == 1
    assert cli("score", "--model", tmp_path / "none.json", "--features", f).returncode == 2
    assert cli("score").returncode == 2
    bad = tmp_path / "bad.pmml"
    bad.write_text(PMML.read_text().replace('operator="lessOrEqual" value="18"', 'operator="lessOrEqual" value="1x"'))
    p = cli("model", "check", bad)
    assert p.returncode == 1 and b"Attribute[2]" in p.stderr


@pytest.fixture(scope="module")
def scored_store(tmp_path_factory):
    d = tmp_path_factory.mktemp("score")
    key = d / "k"
    run = lambda *a: subprocess.run([CLI, *map(str, a)], check=True, capture_output=True)  # noqa: E731
    run("keygen", "--out", key)
    feed = d / "feed.jsonl"
    run("gen", "--subjects", 150, "--seed", 11, "--risky", 30, "--out", feed)
    db = d / "s.db"
    run("ingest", db, feed, "--create", "--key-file", key)
    return db, key


def test_store_scoring_cli_and_python(scored_store, cli):
    db, key = scored_store
    lines = cli("score", db, "--all", "--key-file", key, "--threads", 2, check=True).stdout.decode().splitlines()
    results = [json.loads(line) for line in lines]
    subjects = [r["subject"] for r in results]
    assert subjects == sorted(subjects) and len(subjects) == 150
    assert {r["model"] for r in results} == {"xyd-public-2024"}
    assert any(r["knockout"] for r in results)
    one = json.loads(cli("score", db, "--subject", subjects[0], "--key-file", key, check=True).stdout)
    assert one == results[0]
    with xyd.Store(str(db), str(key), key_file=True) as s:
        py = s.score(subjects[0], write=False)
        assert json.loads(json.dumps(py, default=str)) == json.loads(json.dumps(one))
        assert len(s.scores(subjects[0])) == 2  # --all, then --subject
        batch = s.score(all=True, threads=1, write=False)
        assert batch["summary"]["subjects"] == 150
        assert [r["subject"] for r in batch["results"]] == subjects
        assert sum(batch["summary"]["grades"].values()) == 150
        # features from the store are those the score used
        features = s.features(subjects[0])
        assert xyd.Scorecard.default().score(features)["score"] == one["score"]
    f = json.loads(cli("features", db, "--subject", subjects[0], "--key-file", key, check=True).stdout)
    assert f["as_of"] == one["as_of"]
    assert cli("score", db, "--subject", "91350100M000100Y43", "--key-file", key).returncode == 1


def test_signed_models_in_the_store(scored_store, cli, tmp_path):
    db, key = scored_store
    k = ["--key-file", key]
    model = tmp_path / "card.json"
    model.write_text(json.dumps({
        "id": "house", "version": "2", "fields": [{"name": "tax_arrears_unpaid", "type": "integer"}],
        "baseline_method": "max",
        "characteristics": [{"name": "arrears", "field": "tax_arrears_unpaid", "reason_code": "A", "attributes": [
            {"when": {"missing": True}, "partial_score": 0}, {"when": {"range": "(-inf,0]"}, "partial_score": 50},
            {"when": {"range": "(0,inf)"}, "partial_score": -50}]}],
    }))
    cli("consent", "keygen", "--out", tmp_path / "risk", check=True)
    sig = cli("model", "sign", model, "--secret", tmp_path / "risk.secret", check=True).stdout.decode().strip()
    assert sig.startswith("v4.public.")
    assert cli("model", "require-signed", db, "on", *k).returncode == 0
    p = cli("model", "add", db, model, *k)
    assert p.returncode == 1 and b"requires models signed" in p.stderr
    p = cli("model", "add", db, model, "--signature", sig, *k)
    assert p.returncode == 1 and b"not trusted" in p.stderr
    cli("consent", "trust", db, "--public", tmp_path / "risk.public", "--use", "model", *k, check=True)
    tampered = model.read_text().replace('"partial_score": 50', '"partial_score": 55')
    (tmp_path / "t.json").write_text(tampered)
    p = cli("model", "add", db, tmp_path / "t.json", "--signature", sig, *k)
    assert p.returncode == 1 and b"signs another model" in p.stderr
    added = json.loads(cli("model", "add", db, model, "--signature", sig, *k, check=True).stdout)
    models = json.loads(cli("model", "list", db, *k, check=True).stdout)
    assert any(m["model_hash"] == added["model_hash"] and m["signed_by"] for m in models)
    subjects = json.loads(cli("subjects", db, *k, check=True).stdout)
    r = json.loads(cli("score", db, "--subject", subjects[0], "--model", "house@2", *k, check=True).stdout)
    assert r["model_hash"] == added["model_hash"] and r["score"] in (-50, 0, 50)
    assert cli("model", "require-signed", db, "off", *k).returncode == 0
