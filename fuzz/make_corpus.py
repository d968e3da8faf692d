#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Writes the seed corpora under fuzz/corpus/ (committed; run again only to
change them): real inputs of each kind, from the official PASETO vectors,
the test scorecards, the generator's feeds and documented examples.
Usage: fuzz/make_corpus.py [path/to/xyd]   (default build/xyd)"""

import hashlib
import json
import os
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
CORPUS = ROOT / "fuzz" / "corpus"
XYD = sys.argv[1] if len(sys.argv) > 1 else str(ROOT / "build" / "xyd")


def put(name, data):
    d = CORPUS / name
    d.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    (d / hashlib.sha1(data).hexdigest()[:16]).write_bytes(data)


def gen(subjects, seed):
    return subprocess.run([XYD, "gen", "--subjects", str(subjects), "--seed", str(seed)], check=True,
                          capture_output=True).stdout.decode("utf-8")


# ingest_line: one line of every item type the generator writes, and broken ones
lines = gen(12, 7).splitlines()
seen = {}
for line in lines:
    seen.setdefault(json.loads(line)["type"], line)
for line in seen.values():
    put("ingest_line", line)
put("ingest_line", lines[0].replace('"as_of":"', '"as_of":"x'))
put("ingest_line", '{"type":"legal_rep","subject":"91350100M000100Y43"}')

# feed_batch: small feeds, one with a bad line and a duplicate
put("feed_batch", gen(2, 1))
put("feed_batch", "\n".join(lines[:6] + ["{not json", lines[0], lines[0].replace("2024", "2023")]) + "\n")

# paseto and paserk: the official vectors
vectors = json.loads((ROOT / "tests/data/paseto/v4.json").read_text())["tests"]
for v in vectors:
    if v.get("token"):
        put("paseto", v["token"])
for kind in ["k4.public", "k4.secret", "k4.local", "k4.pid", "k4.sid", "k4.lid"]:
    for v in json.loads((ROOT / f"tests/data/paseto/{kind}.json").read_text())["tests"]:
        for field in ("paserk", "key", "public-key", "secret-key-seed"):
            if isinstance(v.get(field), str) and v[field].startswith("k4."):
                put("paserk", v[field])

# consent_claims: the documented shapes
base = {"iss": "platform", "sub": "91350100M000100Y43", "aud": "bank-001", "exp": "2099-01-01T00:00:00Z",
        "scope": ["tax", 4, "legal_rep"], "purpose": "pre_loan"}
put("consent_claims", json.dumps(base, ensure_ascii=False))
put("consent_claims", json.dumps(dict(base, mode="verify", purpose=["screening", "approval"], data_life_days=30,
                                      nbf="2024-01-01T00:00:00Z", jti="j-1")))
put("consent_claims", json.dumps(dict(base, sub="350102199003071234", scope=["*"])))

# pmml: the test scorecards, and the default model in the JSON format
for p in (ROOT / "tests/data/score").glob("*.pmml"):
    put("pmml", p.read_bytes())
put("pmml", (ROOT / "models/xyd-public-2024.json").read_bytes())

# mask_policy: the documented forms
put("mask_policy", '{"name":"bank-x","roles":{"external":{"marital.rep_name":{"op":"replace","value":"某某"}},'
                   '"auditor":{"person_id":{"op":"redact"}}}}')
put("mask_policy", '{"audiences":{"external":{"person_name":{"op":"keep_ends","first":1,"last":0}},'
                   '"regulator":{"person_id":{"op":"pseudonym"}}}}')
put("mask_policy", '{"roles":{"loan_officer":{"phone":{"op":"keep_ends","first":3,"last":4},'
                   '"money":{"op":"band","width":"10000"}}}}')

# catalog_extension: a provincial list
put("catalog_extension", '{"version":"HN-2025","item_types":[{"id":"hn.rubber","category":11,"zh":"橡胶种植",'
                         '"en":"Rubber","channel":"local_physical","subjects":["rid"],"fields":[{"key":"area",'
                         '"zh":"面积","type":"quantity","unit":"mu"}],"natural_key":[]}]}')
put("catalog_extension", '{"version":"FJ-2025","categories":[{"number":18,"id":"fj.extra","zh":"福建特色","en":"Fujian"}],'
                         '"item_types":[{"id":"fj.tea","category":18,"zh":"茶园","en":"Tea","channel":"local_api",'
                         '"subjects":["uscc","rid"],"fields":[{"key":"name","zh":"名称","type":"text","required":true},'
                         '{"key":"since","zh":"起始","type":"date"},{"key":"kind","zh":"种类","type":"enum",'
                         '"values":{"green":"绿茶","oolong":"乌龙"}}],"natural_key":["name"]}]}')

# report_html and verify_claims: a real report, and claims of each shape
tmp = pathlib.Path(os.environ.get("TMPDIR", "/tmp")) / "xyd-make-corpus"
subprocess.run(["rm", "-rf", str(tmp)], check=True)
tmp.mkdir()
key = tmp / "k"
subprocess.run([XYD, "keygen", "--out", str(key)], check=True, capture_output=True)
(tmp / "feed.jsonl").write_text(gen(3, 2))
db = tmp / "s.db"
subprocess.run([XYD, "ingest", str(db), str(tmp / "feed.jsonl"), "--create", "--key-file", str(key)], check=True,
               capture_output=True)
subject = json.loads(subprocess.run([XYD, "subjects", str(db), "--key-file", str(key)], check=True,
                                    capture_output=True).stdout)[0]
report = subprocess.run([XYD, "report", str(db), "--subject", subject, "--audience", "bank-001", "--purpose",
                         "pre_loan", "--key-file", str(key)], check=True, capture_output=True).stdout
put("report_html", report.strip())
put("report_html", '{"subject":"x","status":{},"item_types":[],"records":[]}')
subprocess.run(["rm", "-rf", str(tmp)], check=True)

put("verify_claims", '[{"id":"a","item_type":"tech.innovation","field":"srdi_sme","value":true},'
                     '{"id":"b","item_type":"tech.innovation","field":"high_tech","value":"是"}]')
put("verify_claims", '[{"item_type":"tech.innovation","conditions":[{"field":"tech_sme","value":true},'
                     '{"field":"enterprise_name","op":"contains","value":"示例"}]}]')
put("verify_claims", '[{"item_type":"tax.credit_rating","field":"rating_year","op":"ge","value":2023}]')
print("corpus written to", CORPUS)
