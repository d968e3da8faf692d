# SPDX-License-Identifier: Apache-2.0
"""xyd (信易贷): the credit-information core, from Python.

A thin layer over the C ABI (include/xyd.h) through ctypes. The library is
found through $XYD_LIBRARY, the source tree's build/libxyd.so, or the system
library path.

    >>> import xyd
    >>> xyd.validate_uscc("91350100M000100Y43")
    True
    >>> len(xyd.catalog()["item_types"])
    37
"""

import ctypes
import json as _json

from . import _ffi, consent, paseto
from .masking import MaskPolicy, mask
from .store import Store, generate_key, write_key_file
from .scoring import Scorecard, features
from .errors import (
    Error,
    ExistsError,
    InternalError,
    InvalidArgumentError,
    IOError,
    NotFoundError,
    OutOfMemoryError,
    ParseError,
    ValidationError,
    WrongKeyError,
    CorruptError,
    BusyError,
    FullError,
    ReadOnlyError,
    ConsentError,
)

__all__ = [
    "__version__",
    "version_number",
    "catalog",
    "load_extension",
    "validate_uscc",
    "check_uscc",
    "validate_rid",
    "check_rid",
    "normalize_id",
    "validate_record",
    "normalize_record",
    "Store",
    "Scorecard",
    "report_html",
    "features",
    "MaskPolicy",
    "mask",
    "paseto",
    "consent",
    "ConsentError",
    "generate_key",
    "write_key_file",
    "Error",
    "ExistsError",
    "InternalError",
    "InvalidArgumentError",
    "IOError",
    "NotFoundError",
    "OutOfMemoryError",
    "ParseError",
    "ValidationError",
    "WrongKeyError",
    "CorruptError",
    "BusyError",
    "FullError",
    "ReadOnlyError",
]

#: The version of the loaded library ("MAJOR.MINOR.PATCH").
__version__ = _ffi.xyd_version_string().decode("ascii")


def version_number():
    """MAJOR*10000 + MINOR*100 + PATCH of the loaded library."""
    return _ffi.xyd_version_number()


def _text(value, what):
    if not isinstance(value, str):
        raise TypeError(f"{what} must be str, not {type(value).__name__}")
    if "\0" in value:
        # A C string would stop at the NUL and validate a prefix.
        raise ValidationError(f"{what} contains a NUL character")
    return value.encode("utf-8")


def _json_arg(value, what):
    if isinstance(value, (bytes, bytearray)):
        value = bytes(value).decode("utf-8")
    if not isinstance(value, str):
        value = _json.dumps(value, ensure_ascii=False)
    return _text(value, what)


def report_html(report):
    """A report (dict or JSON text, as Store.report gives it) as a
    self-contained HTML page in Chinese."""
    out = ctypes.c_void_p()
    _ffi.xyd_report_html(_json_arg(report, "report"), ctypes.byref(out))
    return _ffi.take_string(out)


def catalog():
    """The catalog in force (national CN-2024 plus loaded extensions), as a dict."""
    out = ctypes.c_void_p()
    _ffi.xyd_catalog_json(ctypes.byref(out))
    return _json.loads(_ffi.take_string(out))


def load_extension(extension):
    """Adds a provincial list (dict or JSON text, catalog schema) to the
    process-wide catalog. Raises ExistsError for a redefinition,
    ValidationError or ParseError for a bad document; the catalog is then
    unchanged."""
    _ffi.xyd_catalog_load_extension(_json_arg(extension, "extension"))


def check_uscc(code):
    """Raises ValidationError with the reason unless `code` is a valid USCC
    (GB 32100-2015). Strict: no trimming or case folding."""
    _ffi.xyd_validate_uscc(_text(code, "code"))


def validate_uscc(code):
    """True when `code` is a valid USCC."""
    try:
        check_uscc(code)
        return True
    except ValidationError:
        return False


def check_rid(code):
    """Raises ValidationError with the reason unless `code` is a valid
    resident identity number (GB 11643-1999)."""
    _ffi.xyd_validate_rid(_text(code, "code"))


def validate_rid(code):
    """True when `code` is a valid resident identity number."""
    try:
        check_rid(code)
        return True
    except ValidationError:
        return False


def normalize_id(text):
    """Trims, folds full-width characters, drops spaces and hyphens,
    upper-cases. Does not validate."""
    out = ctypes.c_void_p()
    _ffi.xyd_normalize_id(_text(text, "text"), ctypes.byref(out))
    return _ffi.take_string(out)


def validate_record(record):
    """Every problem of one record (a dict, or JSON text), each a dict
    {"path", "code", "message"}; [] when the record is valid."""
    out = ctypes.c_void_p()
    status = _ffi.xyd_validate_record(_json_arg(record, "record"), ctypes.byref(out))
    text = _ffi.take_string(out)
    if text is None:
        raise _ffi.error_for(status, _ffi.xyd_errmsg().decode("utf-8", "replace"))
    return _json.loads(text)


def normalize_record(record):
    """The record (dict or JSON text) with every value in canonical form, as a dict."""
    out = ctypes.c_void_p()
    _ffi.xyd_normalize_record(_json_arg(record, "record"), ctypes.byref(out))
    return _json.loads(_ffi.take_string(out))
