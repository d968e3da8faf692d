# SPDX-License-Identifier: Apache-2.0
"""PASETO version 4 and PASERK k4 keys (xyd_paseto_*, xyd_paserk_* of the C ABI).

Keys are PASERK strings: "k4.secret.…", "k4.public.…", "k4.local.…".
Messages, footers and implicit assertions are text (UTF-8). Failures raise
xyd.ValidationError whose message begins with the reason: "malformed token",
"wrong version or purpose", "bad signature", "bad authentication tag",
"malformed key"."""

import ctypes
import json

from . import _ffi
from .errors import ValidationError

__all__ = ["generate_key_pair", "generate_local_key", "key_id", "sign", "verify", "encrypt", "decrypt", "footer"]


def _text(value, what):
    if isinstance(value, (dict, list)):
        value = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    if isinstance(value, bytes):
        value = value.decode("utf-8")
    if not isinstance(value, str):
        raise TypeError(f"{what} must be str, bytes or a JSON-able dict, not {type(value).__name__}")
    if "\0" in value:
        raise ValidationError(f"{what} contains a NUL character")
    return value.encode("utf-8")


def generate_key_pair():
    """A new Ed25519 key pair: (k4.secret PASERK, k4.public PASERK)."""
    secret, public = ctypes.c_void_p(), ctypes.c_void_p()
    _ffi.xyd_paserk_keygen(ctypes.byref(secret), ctypes.byref(public))
    return _ffi.take_secret(secret), _ffi.take_string(public)


def generate_local_key():
    """A new v4.local key: a k4.local PASERK."""
    out = ctypes.c_void_p()
    _ffi.xyd_paserk_local_keygen(ctypes.byref(out))
    return _ffi.take_secret(out)


def key_id(paserk):
    """k4.pid / k4.sid / k4.lid of a k4.public / k4.secret / k4.local PASERK."""
    out = ctypes.c_void_p()
    _ffi.xyd_paserk_id(_text(paserk, "paserk"), ctypes.byref(out))
    return _ffi.take_string(out)


def sign(secret, message, *, footer="", implicit=""):
    """A v4.public token."""
    out = ctypes.c_void_p()
    _ffi.xyd_paseto_sign(
        _text(secret, "secret"), _text(message, "message"), _text(footer, "footer"), _text(implicit, "implicit"),
        ctypes.byref(out),
    )
    return _ffi.take_string(out)


def _open(fn, key, token, implicit):
    message, foot = ctypes.c_void_p(), ctypes.c_void_p()
    fn(_text(key, "key"), _text(token, "token"), _text(implicit, "implicit"), ctypes.byref(message), ctypes.byref(foot))
    return _ffi.take_string(message), _ffi.take_string(foot)


def verify(public, token, *, implicit=""):
    """(message, footer) of a v4.public token whose signature holds."""
    return _open(_ffi.xyd_paseto_verify, public, token, implicit)


def encrypt(local, message, *, footer="", implicit=""):
    """A v4.local token."""
    out = ctypes.c_void_p()
    _ffi.xyd_paseto_encrypt(
        _text(local, "local"), _text(message, "message"), _text(footer, "footer"), _text(implicit, "implicit"),
        ctypes.byref(out),
    )
    return _ffi.take_string(out)


def decrypt(local, token, *, implicit=""):
    """(message, footer) of a v4.local token that authenticates."""
    return _open(_ffi.xyd_paseto_decrypt, local, token, implicit)


def footer(token):
    """The footer, decoded but NOT authenticated (to find the key id)."""
    out = ctypes.c_void_p()
    _ffi.xyd_paseto_footer(_text(token, "token"), ctypes.byref(out))
    return _ffi.take_string(out)
