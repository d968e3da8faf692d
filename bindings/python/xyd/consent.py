# SPDX-License-Identifier: Apache-2.0
"""Consent tokens (docs/consent.md): PASETO v4.public tokens whose claims say
which bank (aud) may see which information (scope) of which subject (sub),
for which purposes, for how long.

    secret, public = xyd.consent.generate_key()
    token = xyd.consent.issue(secret, {"iss": "platform", "sub": uscc, "aud": "bank-001",
                                       "exp": "2025-01-01T00:00:00Z", "scope": ["tax.arrears", 7],
                                       "purpose": "pre_loan"})
    claims = xyd.consent.verify(public, token)   # raises xyd.ConsentError(reason)
"""

import ctypes
import json

from . import _ffi, paseto

__all__ = ["generate_key", "issue", "verify", "key_id"]


def generate_key():
    """A new signing key pair (k4.secret PASERK, k4.public PASERK)."""
    return paseto.generate_key_pair()


key_id = paseto.key_id


def issue(secret, claims):
    """Signs claims (dict or JSON text); iat, nbf and jti are filled in when absent."""
    if not isinstance(claims, str):
        claims = json.dumps(claims, ensure_ascii=False)
    out = ctypes.c_void_p()
    _ffi.xyd_consent_issue(secret.encode("utf-8"), claims.encode("utf-8"), ctypes.byref(out))
    return _ffi.take_string(out)


def verify(public, token):
    """The claims of a token whose signature and time window hold (no store:
    no keyring or revocation). Raises xyd.ConsentError whose .reason is one
    of malformed, bad_signature, not_yet_valid, expired."""
    out = ctypes.c_void_p()
    _ffi.xyd_consent_verify(public.encode("utf-8"), token.encode("utf-8"), ctypes.byref(out))
    return json.loads(_ffi.take_string(out))
