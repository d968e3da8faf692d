# SPDX-License-Identifier: Apache-2.0
"""Credit scoring: scorecard models (xyd-scorecard/1 JSON or PMML 4.x) with
reason codes, exact to the last digit (docs/scoring.md).

    >>> import xyd
    >>> card = xyd.Scorecard.default()
    >>> card.id
    'xyd-public-2024'
    >>> result = card.score({"tax_arrears_unpaid": 0, "pension_normal_payments_6m": 6})
    >>> result["grade"] in ("A", "B", "C", "D", "E")
    True

Numbers come back as int or decimal.Decimal, never float: a score is the
exact decimal the library computed."""

import ctypes
import decimal
import json
from pathlib import Path

from . import _ffi


def loads(text):
    """JSON with exact numbers (decimal.Decimal for fractions)."""
    return json.loads(text, parse_float=decimal.Decimal)


def _json_arg(value):
    if isinstance(value, (bytes, bytearray)):
        value = bytes(value).decode("utf-8")
    if not isinstance(value, str):
        value = json.dumps(value, ensure_ascii=False, default=_exact)
    if "\0" in value:
        raise ValueError("the JSON text contains a NUL character")
    return value.encode("utf-8")


def _exact(value):
    if isinstance(value, decimal.Decimal):
        # json cannot write a Decimal as a number; a decimal string is
        # read exactly by the library.
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


class Scorecard(_ffi.Handle):
    """A loaded scorecard model. Load one with Scorecard(text) (JSON or
    PMML text), Scorecard.from_file(path) or Scorecard.default()."""

    def __init__(self, model=None, *, _handle=None):
        """`model`: a dict (an xyd-scorecard/1 model), JSON or PMML text
        (str or bytes), or the path of a .json or .pmml file."""
        if _handle is not None:
            self._h = _handle
            self._info = None
            return
        if isinstance(model, (dict, list)):
            model = json.dumps(model, ensure_ascii=False, default=_exact)
        if isinstance(model, Path) or (isinstance(model, str) and model.lstrip()[:1] not in ("{", "<", "\ufeff")
                                       and Path(model).is_file()):
            model = Path(model).read_bytes()
        if model is None:
            raise TypeError("Scorecard needs a model: a dict, JSON or PMML text, or a file path")
        data = model.encode("utf-8") if isinstance(model, str) else bytes(model)
        h = _ffi.scorecard_p()
        _ffi.xyd_scorecard_load(data, len(data), ctypes.byref(h))
        self._h = h
        self._info = None

    @classmethod
    def from_file(cls, path):
        return cls(Path(path).read_bytes())

    #: Aliases: a model from JSON text or PMML text (the content tells).
    from_json = from_pmml = load = classmethod(lambda cls, text: cls(text))

    @classmethod
    def default(cls):
        """The built-in model xyd-public-2024."""
        h = _ffi.scorecard_p()
        _ffi.xyd_scorecard_default(ctypes.byref(h))
        return cls(_handle=h)

    _free = staticmethod(_ffi.xyd_scorecard_free)
    _closed = "the scorecard is closed"

    @property
    def info(self):
        """{"id","version","model_hash","format","fields","characteristics",…}."""
        if self._info is None:
            out = ctypes.c_void_p()
            _ffi.xyd_scorecard_info(self._handle(), ctypes.byref(out))
            self._info = json.loads(_ffi.take_string(out))
        return self._info

    @property
    def id(self):
        return self.info["id"]

    @property
    def version(self):
        return self.info["version"]

    @property
    def hash(self):
        """The content hash (BLAKE2b-256 of the canonical form, hex)."""
        return self.info["model_hash"]

    def canonical_json(self):
        out = ctypes.c_void_p()
        _ffi.xyd_scorecard_canonical(self._handle(), ctypes.byref(out))
        return _ffi.take_string(out)

    def score_json(self, features):
        """The result as the library wrote it (JSON text)."""
        out = ctypes.c_void_p()
        _ffi.xyd_scorecard_score(self._handle(), _json_arg(features), ctypes.byref(out))
        return _ffi.take_string(out)

    def score(self, features):
        """Scores a dict (or JSON text) of feature values; a missing key or
        None is a missing value. Returns {"score", "grade", "knockout",
        "reason_codes" (ranked), "reasons", "characteristics", …} with exact
        numbers. Raises ValidationError naming the feature at fault."""
        return loads(self.score_json(features))

    def sign(self, secret_paserk):
        """A signature token for this model with a k4.secret PASERK."""
        out = ctypes.c_void_p()
        _ffi.xyd_scorecard_sign(self._handle(), secret_paserk.encode("utf-8"), ctypes.byref(out))
        return _ffi.take_string(out)


def features(records, as_of=None):
    """The feature catalog's values from records (as Store.records(...,
    history=True) gives them), as of a date (default: the latest as_of)."""
    out = ctypes.c_void_p()
    _ffi.xyd_score_features(_json_arg(records), as_of.encode("ascii") if as_of else None, ctypes.byref(out))
    return loads(_ffi.take_string(out))
