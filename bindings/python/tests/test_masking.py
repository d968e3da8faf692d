# SPDX-License-Identifier: Apache-2.0
"""Masking through Python and the CLI, and the scan of a whole generated data
set released to `external`: no full id number, person name or street address
of the input may appear in the output."""
import json
import shutil
import subprocess

import pytest

import xyd
from conftest import CLI, run_cli

RECORD = {"type": "marital", "subject": "91350100M000100Y43", "as_of": "2024-06-30", "source": "t",
          "data": {"rep_name": "欧阳娜娜", "rep_id": "11010519491231002X", "marital_status": "married"}}


def test_mask_one_and_many():
    out = xyd.mask(RECORD, "external")
    assert out["data"] == {"rep_name": "欧阳**", "rep_id": "110105********002X", "marital_status": None}
    many = xyd.mask([RECORD, RECORD], "loan_officer")
    assert len(many) == 2 and many[0] == many[1]
    with pytest.raises(xyd.NotFoundError):
        xyd.mask(RECORD, "nobody")
    with pytest.raises(xyd.InvalidArgumentError):
        xyd.mask(RECORD, "regulator")  # pseudonyms need the institution's key
    reg = xyd.mask(RECORD, "regulator", pseudonym_key=b"\x01" * 32)
    assert reg["data"]["rep_id"].startswith("PSN-")
    assert reg == xyd.mask(RECORD, "regulator", pseudonym_key=b"\x01" * 32)


def test_policies_are_checked_and_applied():
    policy = xyd.MaskPolicy({"name": "bank", "roles": {"external": {"person_id": {"op": "keep_ends", "first": 2, "last": 1}}}})
    assert xyd.mask(RECORD, "external", policy)["data"]["rep_id"] == "11" + "*" * 15 + "X"
    with pytest.raises(xyd.ValidationError, match=r"\$\.roles\.external\.person_id\.op"):
        xyd.MaskPolicy({"roles": {"external": {"person_id": {"op": "blur"}}}})
    with pytest.raises(xyd.ParseError):
        xyd.MaskPolicy("{")


def test_release_masks_what_no_consent_covers(tmp_path):
    feed = run_cli("gen", "--subjects", 40, "--seed", 12, "--months", 1, check=True).stdout.decode()
    released_types = ("agri.insurance", "agri.subsidy", "agri.large_grower")
    farmer = next(json.loads(l)["subject"] for l in feed.splitlines() if json.loads(l)["type"] in released_types)
    with xyd.Store(tmp_path / "s.db", xyd.generate_key()) as store:
        store.ingest(feed)
        raw = store.records(farmer)
        released = store.release(farmer, audience="bank-001")
        assert released and all(r["subject"] != farmer for r in released)
        text = json.dumps(released, ensure_ascii=False)
        assert farmer not in text
        names = {r["data"].get("entity_name") for r in raw if r["type"] in released_types} - {None}
        assert not any(n in text for n in names)
        reg = store.release(farmer, audience="bank-001", role="regulator")
        assert all(r["subject"].startswith("PSN-") for r in reg)
        assert store.release(farmer, audience="bank-001", role="regulator") == reg  # stable pseudonyms
        with pytest.raises(xyd.NotFoundError):
            store.release(farmer, audience="bank-001", role="nobody")


@pytest.mark.skipif(shutil.which("grep") is None, reason="needs grep")
def test_ten_thousand_subjects_released_to_external_leak_nothing(tmp_path):
    # Streams only (about 400 MB flows through pipes, nothing that size is
    # written): one pass collects the input's personal values, a second
    # (byte-identical, same seed) goes gen | mask | grep.
    gen = [CLI, "gen", "--subjects", "10000", "--seed", "31"]
    catalog = {t["id"]: t for t in xyd.catalog()["item_types"]}
    secrets, lines = set(), 0
    with subprocess.Popen(gen, stdout=subprocess.PIPE) as p:
        for raw in p.stdout:
            lines += 1
            rec = json.loads(raw)
            if xyd.validate_rid(rec["subject"]):
                secrets.add(rec["subject"])
            for field in catalog[rec["type"]]["fields"]:
                v = rec["data"].get(field["key"])
                if not isinstance(v, str):
                    continue
                if field["class"] in ("address", "phone"):
                    secrets.add(v)
                elif field["class"] == "person_name" and not v.endswith(("公司", "经营部", "合作社")):
                    # Fields that name a person or a firm (股东, 被执行人): firms' names are public.
                    secrets.add(v)
                elif field["class"] == "person_id" and xyd.validate_rid(v):
                    secrets.add(v)
    assert p.returncode == 0
    assert lines > 1_000_000 and len(secrets) > 20_000
    patterns = tmp_path / "secrets.txt"
    patterns.write_text("\n".join(sorted(secrets)) + "\n", encoding="utf-8")
    counted = tmp_path / "count"
    script = (f"set -o pipefail; {' '.join(gen)} | {CLI} mask --role external | tee >(wc -l > {counted}) "
              f"| grep -F -o -m 20 -f {patterns}; rc=$?; wait $!; exit $rc")
    found = subprocess.run(["bash", "-c", script], capture_output=True)
    assert found.returncode == 1, (found.stdout.decode()[:2000], found.stderr.decode()[-500:])  # 1: nothing matched
    assert int(counted.read_text().split()[0]) == lines  # every record came out, masked


def test_cli_mask(tmp_path):
    line = json.dumps(RECORD, ensure_ascii=False) + "\n"
    r = run_cli("mask", "--role", "external", input=(line + "{bad\n" + line).encode())
    assert r.returncode == 1 and b"line 2" in r.stderr
    out = [json.loads(l) for l in r.stdout.decode().splitlines()]
    assert len(out) == 2 and out[0]["data"]["rep_name"] == "欧阳**"
    policy = tmp_path / "p.json"
    policy.write_text(json.dumps({"roles": {"external": {"person_name": {"op": "redact"}}}}), encoding="utf-8")
    r = run_cli("mask", "--role", "external", "--policy", policy, input=line.encode())
    assert r.returncode == 0 and json.loads(r.stdout)["data"]["rep_name"] is None
    assert run_cli("mask").returncode == 2
    assert run_cli("mask", "--role", "nobody", input=line.encode()).returncode == 2
