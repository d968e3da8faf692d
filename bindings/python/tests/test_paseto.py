# SPDX-License-Identifier: Apache-2.0
"""PASETO v4 / PASERK k4 through the C ABI, and interoperability both ways
with an independent, widely used implementation: the npm package `paseto`
(v3). The test installs it (npm registry) into build/npm-paseto when it can,
and says so loudly when it cannot."""
import base64
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import xyd
from conftest import ROOT

PEER = ROOT / "tests" / "interop" / "paseto_npm.js"
NPM_DIR = Path(os.environ.get("XYD_NPM_DIR", ROOT / "build" / "npm-paseto"))


def b64(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def test_round_trips_and_refusal_reasons():
    sk, pk = xyd.paseto.generate_key_pair()
    assert sk.startswith("k4.secret.") and pk.startswith("k4.public.")
    assert xyd.paseto.key_id(pk).startswith("k4.pid.") and xyd.paseto.key_id(sk).startswith("k4.sid.")
    token = xyd.paseto.sign(sk, '{"sub":"91350100M000100Y43"}', footer='{"kid":"x"}', implicit="bank-1")
    assert xyd.paseto.verify(pk, token, implicit="bank-1") == ('{"sub":"91350100M000100Y43"}', '{"kid":"x"}')
    assert xyd.paseto.footer(token) == '{"kid":"x"}'
    with pytest.raises(xyd.ValidationError, match="^bad signature"):
        xyd.paseto.verify(pk, token, implicit="bank-2")
    with pytest.raises(xyd.ValidationError, match="^bad signature"):
        xyd.paseto.verify(xyd.paseto.generate_key_pair()[1], token, implicit="bank-1")
    with pytest.raises(xyd.ValidationError, match="^wrong version or purpose"):
        xyd.paseto.verify(pk, "v4.local." + token[len("v4.public."):], implicit="bank-1")
    with pytest.raises(xyd.ValidationError, match="^malformed token"):
        xyd.paseto.verify(pk, token + "=", implicit="bank-1")
    with pytest.raises(xyd.ValidationError, match="^malformed key"):
        xyd.paseto.verify("k3.public.AAAA", token)
    local = xyd.paseto.generate_local_key()
    sealed = xyd.paseto.encrypt(local, "hidden claims", footer="f", implicit="i")
    assert xyd.paseto.decrypt(local, sealed, implicit="i") == ("hidden claims", "f")
    with pytest.raises(xyd.ValidationError, match="^bad authentication tag"):
        xyd.paseto.decrypt(xyd.paseto.generate_local_key(), sealed, implicit="i")
    # Errors never echo the token or the key.
    try:
        xyd.paseto.verify(pk, token, implicit="nope")
    except xyd.ValidationError as e:
        assert token not in str(e) and pk not in str(e)


@pytest.fixture(scope="module")
def peer():
    node, npm = shutil.which("node"), shutil.which("npm")
    why = None
    if not node or not npm:
        why = "node or npm is not installed"
    elif not (NPM_DIR / "node_modules" / "paseto").exists():
        NPM_DIR.mkdir(parents=True, exist_ok=True)
        r = subprocess.run([npm, "install", "--prefix", str(NPM_DIR), "--no-audit", "--no-fund", "--silent", "paseto@3"],
                           capture_output=True, timeout=300)
        if r.returncode != 0:
            why = "npm install paseto@3 failed: " + r.stderr.decode(errors="replace")[-300:]
    if why:
        banner = "\n" + "!" * 72 + f"\nPASETO INTEROPERABILITY NOT TESTED: {why}\n" + "!" * 72 + "\n"
        sys.stderr.write(banner)
        pytest.skip(banner)
    env = dict(os.environ, NODE_PATH=str(NPM_DIR / "node_modules"))

    def call(request):
        r = subprocess.run([node, str(PEER)], input=json.dumps(request).encode(), capture_output=True, env=env, timeout=60)
        assert r.returncode == 0, r.stderr
        return json.loads(r.stdout)

    return call


def raw_key(paserk, prefix):
    assert paserk.startswith(prefix)
    return base64.urlsafe_b64encode(b64(paserk[len(prefix):])).decode().rstrip("=")


def test_tokens_xyd_issues_verify_with_npm_paseto(peer):
    sk, pk = xyd.paseto.generate_key_pair()
    claims = {"sub": "91350100M000100Y43", "aud": "bank-001", "purpose": "pre_loan", "scope": ["tax.arrears", 16],
              "exp": "2099-01-01T00:00:00+00:00", "名": "欧阳娜娜"}
    footer = json.dumps({"kid": xyd.paseto.key_id(pk)})
    token = xyd.paseto.sign(sk, claims, footer=footer, implicit="bank-001")
    answer = peer({"op": "verify", "public": raw_key(pk, "k4.public."), "token": token, "assertion": "bank-001"})
    assert answer["ok"], answer
    assert answer["payload"] == claims and answer["footer"] == footer
    # The peer refuses what xyd refuses: a changed byte, another assertion.
    bad = token[:20] + ("A" if token[20] != "A" else "B") + token[21:]
    assert not peer({"op": "verify", "public": raw_key(pk, "k4.public."), "token": bad, "assertion": "bank-001"})["ok"]
    assert not peer({"op": "verify", "public": raw_key(pk, "k4.public."), "token": token, "assertion": "bank-002"})["ok"]


def test_tokens_npm_paseto_issues_verify_with_xyd(peer):
    sk, pk = xyd.paseto.generate_key_pair()
    claims = {"sub": "11010519491231002X", "aud": "bank-009", "purpose": "post_loan", "mode": "view"}
    footer = json.dumps({"kid": xyd.paseto.key_id(pk)})
    answer = peer({"op": "sign", "secret": raw_key(sk, "k4.secret."), "payload": claims, "footer": footer,
                   "assertion": "bank-009"})
    assert answer["ok"], answer
    message, foot = xyd.paseto.verify(pk, answer["token"], implicit="bank-009")
    got = json.loads(message)
    assert {k: got[k] for k in claims} == claims  # the peer adds "iat"
    assert foot == footer
    with pytest.raises(xyd.ValidationError, match="^bad signature"):
        xyd.paseto.verify(pk, answer["token"], implicit="bank-010")
