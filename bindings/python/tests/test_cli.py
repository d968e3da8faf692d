# SPDX-License-Identifier: Apache-2.0
import json

from conftest import run_cli


def test_version():
    r = run_cli("--version")
    assert r.returncode == 0 and r.stdout.decode().startswith("xyd 0.")


def test_catalog_json_has_17_categories_and_37_item_types():
    r = run_cli("catalog", "--json")
    assert r.returncode == 0
    cat = json.loads(r.stdout)
    assert len(cat["categories"]) == 17
    assert len(cat["item_types"]) == 37
    assert sum(len(c["item_types"]) for c in cat["categories"]) == 37


def test_check_exit_codes_and_reasons():
    assert run_cli("check", "uscc", "91350100M000100Y43").returncode == 0
    r = run_cli("check", "uscc", "91350100M000100Y44")
    assert r.returncode == 1 and b"expected '3'" in r.stderr
    assert b"91350100M000100Y44" not in r.stderr
    assert run_cli("check", "rid", "11010519491231002X").returncode == 0
    r = run_cli("check", "rid", "11010519491332002X")
    assert r.returncode == 1 and b"birth date" in r.stderr
    assert run_cli("check", "passport", "E12345678").returncode == 2
    assert run_cli("check", "uscc").returncode == 2


def test_validate_reports_every_bad_line_with_its_path(tmp_path):
    good = run_cli("gen", "--subjects", 2, "--seed", 1, check=True).stdout.decode().splitlines()
    bad = json.loads(good[0])
    bad["data"]["uscc"] = "not-a-code"
    lines = [good[0], json.dumps(bad, ensure_ascii=False), "{oops", "", good[1]]
    feed = tmp_path / "feed.jsonl"
    feed.write_text("\n".join(lines) + "\n", encoding="utf-8")
    r = run_cli("validate", feed)
    out = r.stdout.decode()
    assert r.returncode == 1
    assert f"{feed}:2: $.data.uscc:" in out
    assert f"{feed}:3: $: malformed JSON" in out
    assert "4 records: 2 valid, 2 invalid" in out
    r = run_cli("validate", feed, "--json")
    report = json.loads(r.stdout)
    assert report["invalid"] == 2 and {p["line"] for p in report["problems"]} == {2, 3}


def test_validate_reads_stdin_and_refuses_missing_files(tmp_path):
    r = run_cli("validate", "-", input=b'{"type":"legal_rep"}\n')
    assert r.returncode == 1
    r = run_cli("validate", tmp_path / "missing.jsonl")
    assert r.returncode == 2 and b"cannot open" in r.stderr


def test_gen_usage_errors():
    assert run_cli("gen").returncode == 2
    assert run_cli("gen", "--subjects", "x").returncode == 2
    assert run_cli("nonsense").returncode == 2


def test_extension_option(tmp_path):
    ext = {
        "version": "ZJ-2025",
        "item_types": [{
            "id": "zj.green_loan", "category": 6, "zh": "绿色贷款贴息", "en": "Green loan subsidy",
            "channel": "local_physical", "subjects": ["uscc"], "kind": "event",
            "fields": [{"key": "amount", "zh": "金额", "type": "money"}], "natural_key": [],
        }],
    }
    path = tmp_path / "zj.json"
    path.write_text(json.dumps(ext, ensure_ascii=False), encoding="utf-8")
    r = run_cli("--extension", path, "catalog", "--json")
    assert r.returncode == 0
    assert any(t["id"] == "zj.green_loan" for t in json.loads(r.stdout)["item_types"])
    ext["item_types"][0]["id"] = "legal_rep"
    path.write_text(json.dumps(ext, ensure_ascii=False), encoding="utf-8")
    r = run_cli("--extension", path, "catalog")
    assert r.returncode == 2 and b"defined already" in r.stderr


def test_demo_runs():
    r = run_cli("demo")
    assert r.returncode == 0, r.stderr
    out = r.stdout.decode()
    assert "0 invalid" in out and "17. 婚姻状况信息" in out
