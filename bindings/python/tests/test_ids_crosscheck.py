# SPDX-License-Identifier: Apache-2.0
"""USCC and RID validators against independent implementations, on a million
random and mutated codes:

* a reference written here from the standards (GB 32100-2015 with its Annex A
  table, GB 11643-1999, GB/T 2260 province codes), which must agree exactly,
  reason included;
* python-stdnum (Debian's python3-stdnum: stdnum.cn.uscc, stdnum.cn.ric), a
  widely used implementation with a narrower rule set; every disagreement must
  be one of its documented differences (docs/catalog-schema.md, "Identifiers").
"""
import ctypes
import datetime
import random

import pytest

from xyd import _ffi

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = [pow(3, i, 31) for i in range(17)]
AUTHORITIES = {
    "1": "1239", "2": "19", "3": "123459", "4": "19", "5": "1239", "6": "129", "7": "129",
    "8": "19", "9": "123", "A": "19", "N": "1239", "Y": "1",
}
PROVINCES = {11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46,
             50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 83}
RID_WEIGHTS = [pow(2, 17 - i, 11) for i in range(17)]

# Public enterprise codes (not personal data), and the example numbers of GB 11643.
REAL_USCC = [
    "91350100M000100Y43", "914403001922038216", "9144030071526726XG", "91330100799655058B",
    "91110108551385082Q", "911100001000044477", "91310000717854505W", "9111000071093123XX",
    "91440300708461136T", "91110000802100433B",
]
REAL_RID = ["11010519491231002X", "440524188001010014"]

TODAY = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=8)).date()


def uscc_check(s17):
    return ALPHABET[(31 - sum(ALPHABET.index(c) * w for c, w in zip(s17, USCC_WEIGHTS)) % 31) % 31]


def ref_uscc(s):
    """None when valid, else the rule that fails first."""
    if len(s) != 18:
        return "length"
    if any(c not in ALPHABET for c in s):
        return "character"
    if s[0] not in AUTHORITIES:
        return "authority"
    if s[1] not in AUTHORITIES[s[0]]:
        return "type"
    if not s[2:8].isdigit() or not s[2:8].isascii():
        return "division"
    if uscc_check(s[:17]) != s[17]:
        return "check"
    return None


def rid_check(s17):
    v = (12 - sum(int(c) * w for c, w in zip(s17, RID_WEIGHTS)) % 11) % 11
    return "X" if v == 10 else str(v)


def ref_rid(s):
    if len(s) != 18:
        return "length"
    if not all("0" <= c <= "9" for c in s[:17]) or not ("0" <= s[17] <= "9" or s[17] == "X"):
        return "character"
    if int(s[:2]) not in PROVINCES:
        return "province"
    try:
        birth = datetime.date(int(s[6:10]), int(s[10:12]), int(s[12:14]))
    except ValueError:
        return "date"
    if birth > TODAY:
        return "future"
    if rid_check(s[:17]) != s[17]:
        return "check"
    return None


def xyd_reason(message, kind):
    m = message
    if "characters, got" in m:
        return "length"
    if "position 1 is unknown" in m:
        return "authority"
    if "entity type" in m:
        return "type"
    if "administrative division" in m:
        return "division"
    if "unknown province" in m:
        return "province"
    if "impossible birth date" in m:
        return "date"
    if "in the future" in m:
        return "future"
    if "check character" in m:
        return "check"
    if "character at position" in m:
        return "character"
    return "?" + m


def make_validator(name):
    fn = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_char_p)((name, _ffi.lib))
    errmsg = _ffi.xyd_errmsg

    def check(code):
        rc = fn(code.encode("utf-8"))
        if rc == 0:
            return None
        assert rc == -3, (code, rc)
        return xyd_reason(errmsg().decode("utf-8"), name)

    return check


def mutations(code, alphabet):
    for i in range(len(code)):
        for c in alphabet:
            if c != code[i]:
                yield code[:i] + c + code[i + 1:]


def uscc_corpus(rng, n):
    codes = list(REAL_USCC)
    for real in REAL_USCC:
        codes.extend(mutations(real, ALPHABET + "IOSVZa "))
    while len(codes) < n:
        roll = rng.random()
        auth = rng.choice(list(AUTHORITIES))
        body = auth + rng.choice(AUTHORITIES[auth]) + "".join(rng.choice("0123456789") for _ in range(6)) + \
            "".join(rng.choice(ALPHABET) for _ in range(9))
        valid = body + uscc_check(body)
        if roll < 0.3:
            codes.append(valid)
        elif roll < 0.6:  # one random single-character change of a valid code
            i = rng.randrange(18)
            codes.append(valid[:i] + rng.choice(ALPHABET + "IOZ") + valid[i + 1:])
        elif roll < 0.75:  # checksummed, but random authority/type/division characters
            s = "".join(rng.choice(ALPHABET) for _ in range(17))
            codes.append(s + uscc_check(s))
        elif roll < 0.85:  # transpositions of neighbours
            i = rng.randrange(17)
            codes.append(valid[:i] + valid[i + 1] + valid[i] + valid[i + 2:])
        else:  # random strings, lengths 16-19, wider alphabet
            codes.append("".join(rng.choice(ALPHABET + "abcIOSVZ-") for _ in range(rng.randint(16, 19))))
    return codes


def rid_corpus(rng, n):
    codes = list(REAL_RID)
    for real in REAL_RID:
        codes.extend(mutations(real, "0123456789Xx"))
    provinces = sorted(PROVINCES)
    while len(codes) < n:
        roll = rng.random()
        birth = datetime.date(1900, 1, 1) + datetime.timedelta(days=rng.randrange(0, (TODAY - datetime.date(1900, 1, 1)).days + 400))
        body = f"{rng.choice(provinces):02d}{rng.randrange(10000):04d}{birth:%Y%m%d}{rng.randrange(1000):03d}"
        valid = body + rid_check(body)
        if roll < 0.3:
            codes.append(valid)
        elif roll < 0.6:
            i = rng.randrange(18)
            codes.append(valid[:i] + rng.choice("0123456789X") + valid[i + 1:])
        elif roll < 0.75:  # random digits with a correct check character
            s = "".join(rng.choice("0123456789") for _ in range(17))
            codes.append(s + rid_check(s))
        elif roll < 0.85:  # impossible dates: day 29-31 of any month, month 00/13
            s = f"{rng.choice(provinces):02d}0105{rng.randrange(1900, 2030)}{rng.choice(['02', '04', '00', '13', '12'])}{rng.randint(28, 32):02d}{rng.randrange(1000):03d}"
            codes.append(s + rid_check(s))
        else:
            codes.append("".join(rng.choice("0123456789Xx ") for _ in range(rng.randint(16, 19))))
    return codes


@pytest.fixture(scope="module")
def corpora():
    rng = random.Random(20240615)
    return uscc_corpus(rng, 500_000), rid_corpus(rng, 500_000)


def test_a_million_codes_agree_with_the_reference(corpora):
    usccs, rids = corpora
    assert len(usccs) + len(rids) >= 1_000_000
    check_uscc = make_validator("xyd_validate_uscc")
    check_rid = make_validator("xyd_validate_rid")
    disagreements = []
    valid = {"uscc": 0, "rid": 0}
    for kind, codes, ours, ref in (("uscc", usccs, check_uscc, ref_uscc), ("rid", rids, check_rid, ref_rid)):
        for code in codes:
            a, b = ours(code), ref(code)
            if a != b:
                disagreements.append((kind, code, a, b))
            valid[kind] += b is None
    assert disagreements[:20] == []
    # The corpus exercises both outcomes heavily.
    assert valid["uscc"] > 100_000 and valid["rid"] > 100_000
    for real in REAL_USCC:
        assert check_uscc(real) is None
    for real in REAL_RID:
        assert check_rid(real) is None


def test_every_single_character_mutation_of_a_real_code_is_refused():
    check_uscc = make_validator("xyd_validate_uscc")
    check_rid = make_validator("xyd_validate_rid")
    for real in REAL_USCC:
        for m in mutations(real, ALPHABET):
            assert check_uscc(m) is not None, m
    for real in REAL_RID:
        for m in mutations(real, "0123456789X"):
            assert check_rid(m) is not None, m


stdnum = pytest.importorskip("stdnum.cn.uscc", reason="python3-stdnum is not installed")


def test_disagreements_with_python_stdnum_are_only_its_documented_differences(corpora):
    from stdnum.cn import ric, uscc

    # stdnum is slow (its county table): every fourth code, 250,000 in all.
    usccs, rids = corpora[0][::4], corpora[1][::4]
    check_uscc = make_validator("xyd_validate_uscc")
    check_rid = make_validator("xyd_validate_rid")
    unexplained = []
    compared = 0
    for code in usccs:
        if code != code.strip().upper() or " " in code or "-" in code:
            continue  # stdnum normalises first; xyd is strict (normalize_id is separate)
        compared += 1
        ours, theirs = check_uscc(code), uscc.is_valid(code)
        if (ours is None) == theirs:
            continue
        # stdnum requires digits in positions 1-8 (so it refuses authorities
        # A, N, Y and lettered entity types) and does not check the Annex A table.
        if ours is None and not code[:8].isdigit():
            continue
        if theirs and ours in ("authority", "type"):
            continue
        unexplained.append(("uscc", code, ours, theirs))
    for code in rids:
        if code != code.strip().upper() or " " in code:
            continue
        compared += 1
        ours, theirs = check_rid(code), ric.is_valid(code)
        if (ours is None) == theirs:
            continue
        # stdnum looks up the full six-digit county code in its own table;
        # xyd checks the province only. stdnum does not refuse future dates,
        # and it knows no province 83 (Taiwan residents' residence permits).
        if ours is None and not theirs:
            try:
                ric.get_birth_place(code)
            except Exception:
                continue
        if theirs and ours == "future":
            continue
        unexplained.append(("rid", code, ours, theirs))
    assert compared > 200_000
    assert unexplained[:20] == []
