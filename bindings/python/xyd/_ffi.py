# SPDX-License-Identifier: Apache-2.0
"""ctypes declarations of the C ABI (include/xyd.h), one per function.

Every function that returns a status gets an errcheck that raises the
matching xyd.Error subclass with the library's message (xyd_errmsg)."""

import ctypes
import ctypes.util
import os
from pathlib import Path

from .errors import error_for


def _find_library():
    explicit = os.environ.get("XYD_LIBRARY")
    if explicit:
        return explicit
    here = Path(__file__).resolve()
    # bindings/python/xyd/_ffi.py -> the source tree's build/ folder
    for candidate in (here.parents[3] / "build" / "libxyd.so", here.parent / "libxyd.so"):
        if candidate.exists():
            return str(candidate)
    found = ctypes.util.find_library("xyd")
    if found:
        return found
    raise ImportError(
        "xyd: cannot find libxyd.so; build it (cmake --build build) or set XYD_LIBRARY to its path"
    )


lib = ctypes.CDLL(_find_library())

c_char_pp = ctypes.POINTER(ctypes.c_void_p)


def _check(status, func, args):
    if status != 0:
        message = lib.xyd_errmsg().decode("utf-8", "replace")
        raise error_for(status, message)
    return status


def _declare(name, argtypes, restype=ctypes.c_int, checked=True):
    f = getattr(lib, name)
    f.argtypes = argtypes
    f.restype = restype
    if checked and restype is ctypes.c_int:
        f.errcheck = _check
    return f


xyd_version_number = _declare("xyd_version_number", [], ctypes.c_uint)
xyd_version_string = _declare("xyd_version_string", [], ctypes.c_char_p)
xyd_strerror = _declare("xyd_strerror", [ctypes.c_int], ctypes.c_char_p)
xyd_errmsg = _declare("xyd_errmsg", [], ctypes.c_char_p)
xyd_free = _declare("xyd_free", [ctypes.c_void_p], None)
xyd_free_secret = _declare("xyd_free_secret", [ctypes.c_void_p], None)
xyd_key_check = _declare("xyd_key_check", [ctypes.c_char_p, ctypes.c_size_t], checked=False)
xyd_catalog_json = _declare("xyd_catalog_json", [c_char_pp])
xyd_catalog_load_extension = _declare("xyd_catalog_load_extension", [ctypes.c_char_p])
xyd_validate_uscc = _declare("xyd_validate_uscc", [ctypes.c_char_p])
xyd_validate_rid = _declare("xyd_validate_rid", [ctypes.c_char_p])
xyd_normalize_id = _declare("xyd_normalize_id", [ctypes.c_char_p, c_char_pp])
# validate_record reports problems through its output even when it fails, so
# it is checked by hand in xyd.validate_record.
xyd_validate_record = _declare("xyd_validate_record", [ctypes.c_char_p, c_char_pp], checked=False)
xyd_normalize_record = _declare("xyd_normalize_record", [ctypes.c_char_p, c_char_pp])


class _Store(ctypes.Structure):
    pass


store_p = ctypes.POINTER(_Store)

xyd_key_generate = _declare("xyd_key_generate", [ctypes.c_char_p])
xyd_key_file_generate = _declare("xyd_key_file_generate", [ctypes.c_char_p])
xyd_store_open = _declare(
    "xyd_store_open", [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint, ctypes.POINTER(store_p)]
)
xyd_store_open_key_file = _declare(
    "xyd_store_open_key_file", [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_uint, ctypes.POINTER(store_p)]
)
xyd_store_close = _declare("xyd_store_close", [store_p], None)
# ingest returns its summary on XYD_EVALIDATION too: checked by hand.
xyd_store_ingest = _declare(
    "xyd_store_ingest", [store_p, ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint, c_char_pp], checked=False
)
xyd_store_ingest_file = _declare(
    "xyd_store_ingest_file", [store_p, ctypes.c_char_p, ctypes.c_uint, c_char_pp], checked=False
)
xyd_store_records = _declare("xyd_store_records", [store_p, ctypes.c_char_p, c_char_pp])
xyd_store_release = _declare("xyd_store_release", [store_p, ctypes.c_char_p, c_char_pp])
xyd_store_subjects = _declare("xyd_store_subjects", [store_p, c_char_pp])
xyd_store_repair = _declare("xyd_store_repair", [store_p, ctypes.c_char_p])
xyd_store_purge = _declare("xyd_store_purge", [store_p, ctypes.c_char_p, c_char_pp])
xyd_store_rekey = _declare("xyd_store_rekey", [store_p, ctypes.c_char_p, ctypes.c_size_t])
xyd_store_stats = _declare("xyd_store_stats", [store_p, c_char_pp])


xyd_paserk_keygen = _declare("xyd_paserk_keygen", [c_char_pp, c_char_pp])
xyd_paserk_local_keygen = _declare("xyd_paserk_local_keygen", [c_char_pp])
xyd_paserk_id = _declare("xyd_paserk_id", [ctypes.c_char_p, c_char_pp])
xyd_paseto_sign = _declare(
    "xyd_paseto_sign", [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, c_char_pp]
)
xyd_paseto_verify = _declare(
    "xyd_paseto_verify", [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, c_char_pp, c_char_pp]
)
xyd_paseto_encrypt = _declare(
    "xyd_paseto_encrypt", [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, c_char_pp]
)
xyd_paseto_decrypt = _declare(
    "xyd_paseto_decrypt", [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, c_char_pp, c_char_pp]
)
xyd_paseto_footer = _declare("xyd_paseto_footer", [ctypes.c_char_p, c_char_pp])


xyd_consent_issue = _declare("xyd_consent_issue", [ctypes.c_char_p, ctypes.c_char_p, c_char_pp])
xyd_consent_verify = _declare("xyd_consent_verify", [ctypes.c_char_p, ctypes.c_char_p, c_char_pp])
xyd_store_trust_key = _declare("xyd_store_trust_key", [store_p, ctypes.c_char_p, ctypes.c_char_p])
xyd_store_retire_key = _declare("xyd_store_retire_key", [store_p, ctypes.c_char_p, ctypes.c_char_p])
xyd_store_keys = _declare("xyd_store_keys", [store_p, c_char_pp])
xyd_store_revoke = _declare("xyd_store_revoke", [store_p, ctypes.c_char_p])
# The decision comes back on refusal too: checked by hand.
xyd_store_check_consent = _declare("xyd_store_check_consent", [store_p, ctypes.c_char_p, c_char_pp], checked=False)


xyd_mask_policy_check = _declare("xyd_mask_policy_check", [ctypes.c_char_p, c_char_pp])
xyd_mask_record = _declare(
    "xyd_mask_record", [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_size_t, c_char_pp]
)


class _Scorecard(ctypes.Structure):
    pass


scorecard_p = ctypes.POINTER(_Scorecard)

xyd_scorecard_load = _declare("xyd_scorecard_load", [ctypes.c_char_p, ctypes.c_size_t, ctypes.POINTER(scorecard_p)])
xyd_scorecard_default = _declare("xyd_scorecard_default", [ctypes.POINTER(scorecard_p)])
xyd_scorecard_free = _declare("xyd_scorecard_free", [scorecard_p], None)
xyd_scorecard_info = _declare("xyd_scorecard_info", [scorecard_p, c_char_pp])
xyd_scorecard_canonical = _declare("xyd_scorecard_canonical", [scorecard_p, c_char_pp])
xyd_scorecard_score = _declare("xyd_scorecard_score", [scorecard_p, ctypes.c_char_p, c_char_pp])
xyd_scorecard_sign = _declare("xyd_scorecard_sign", [scorecard_p, ctypes.c_char_p, c_char_pp])
xyd_score_features = _declare("xyd_score_features", [ctypes.c_char_p, ctypes.c_char_p, c_char_pp])
xyd_store_add_model = _declare("xyd_store_add_model", [store_p, scorecard_p, ctypes.c_char_p])
xyd_store_models = _declare("xyd_store_models", [store_p, c_char_pp])
xyd_store_require_signed_models = _declare("xyd_store_require_signed_models", [store_p, ctypes.c_int])
xyd_store_score = _declare("xyd_store_score", [store_p, ctypes.c_char_p, c_char_pp])
xyd_store_scores = _declare("xyd_store_scores", [store_p, ctypes.c_char_p, c_char_pp])


xyd_store_set_actor = _declare("xyd_store_set_actor", [store_p, ctypes.c_char_p])
# verify returns its verdict on XYD_ECORRUPT too: checked by hand.
xyd_store_audit_verify = _declare("xyd_store_audit_verify", [store_p, ctypes.c_char_p, c_char_pp], checked=False)
xyd_store_audit_verify_request = _declare("xyd_store_audit_verify_request", [store_p, ctypes.c_char_p, c_char_pp],
                                          checked=False)
xyd_store_set_audit_signer = _declare("xyd_store_set_audit_signer", [store_p, ctypes.c_char_p, ctypes.c_longlong])
xyd_store_audit_checkpoint = _declare("xyd_store_audit_checkpoint", [store_p, ctypes.c_char_p, c_char_pp])
xyd_store_audit_export = _declare("xyd_store_audit_export", [store_p, c_char_pp])
xyd_store_audit_stats = _declare("xyd_store_audit_stats", [store_p, c_char_pp])


xyd_store_report = _declare("xyd_store_report", [store_p, ctypes.c_char_p, c_char_pp])
xyd_report_html = _declare("xyd_report_html", [ctypes.c_char_p, c_char_pp])
xyd_store_check_claims = _declare("xyd_store_check_claims", [store_p, ctypes.c_char_p, c_char_pp])


class Handle:
    """Owns one library handle: close(), a context manager, closed on
    collection. Subclasses name the C function that frees it (_free) and
    the error raised once it is closed (_closed)."""

    _h = None
    _free = None
    _closed_error = ValueError
    _closed = "the handle is closed"

    def close(self):
        if self._h:
            type(self)._free(self._h)
            self._h = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass

    def _handle(self):
        if not self._h:
            raise self._closed_error(self._closed)
        return self._h


def take_secret(ptr):
    """Copies a library-owned secret (a PASERK), then wipes and releases it
    with xyd_free_secret: no copy stays in the library's freed memory."""
    if not ptr.value:
        return None
    try:
        return ctypes.string_at(ptr.value).decode("ascii")
    finally:
        xyd_free_secret(ptr)


def take_string(ptr):
    """Copies a library-owned string, then releases it with xyd_free."""
    if not ptr.value:
        return None
    try:
        return ctypes.string_at(ptr.value).decode("utf-8")
    finally:
        xyd_free(ptr)
