# SPDX-License-Identifier: Apache-2.0
"""Masking (脱敏): policies per role (the masking view) and the mask() call (docs/masking.md)."""

import ctypes
import json

from . import _ffi

__all__ = ["MaskPolicy", "mask", "AUDIENCES"]

AUDIENCES = ("loan_officer", "external", "regulator")


class MaskPolicy:
    """A masking policy, checked when made: {"roles": {"external": {"person_name": {"op": "surname"}, …}}}.
    Keys are personal-data classes or "item_type.field"; what a policy does not
    say falls back to the built-in policy. Raises xyd.ValidationError naming the
    JSON path of a problem."""

    def __init__(self, policy):
        text = policy if isinstance(policy, str) else json.dumps(policy, ensure_ascii=False)
        out = ctypes.c_void_p()
        _ffi.xyd_mask_policy_check(text.encode("utf-8"), ctypes.byref(out))
        self.json = _ffi.take_string(out)

    def as_dict(self):
        return json.loads(self.json)

    def __repr__(self):
        return f"MaskPolicy({self.json})"


def mask(records, role="external", policy=None, pseudonym_key=None):
    """A record (dict) or a list of records, masked for `role` under
    `policy` (a MaskPolicy, dict or JSON text; None: built-in). A policy that
    asks for pseudonyms needs the institution's 32-byte `pseudonym_key`."""
    if isinstance(policy, MaskPolicy):
        policy = policy.json
    elif policy is not None and not isinstance(policy, str):
        policy = json.dumps(policy, ensure_ascii=False)
    key = bytes(pseudonym_key) if pseudonym_key is not None else None
    out = ctypes.c_void_p()
    _ffi.xyd_mask_record(
        json.dumps(records, ensure_ascii=False).encode("utf-8"),
        role.encode("utf-8"),
        policy.encode("utf-8") if policy is not None else None,
        key,
        len(key) if key else 0,
        ctypes.byref(out),
    )
    return json.loads(_ffi.take_string(out))
