# SPDX-License-Identifier: Apache-2.0
"""Exceptions: one class per C status code. Each also inherits the builtin
exception a Python caller would expect (ValidationError is a ValueError)."""


class Error(Exception):
    """Any failure reported by the xyd library. `code` is the C status."""

    code = -1

    def __init__(self, message, code=None):
        super().__init__(message)
        if code is not None:
            self.code = code


class InvalidArgumentError(Error, ValueError):
    code = -2


class ValidationError(Error, ValueError):
    code = -3


class ParseError(Error, ValueError):
    code = -4


class OutOfMemoryError(Error, MemoryError):
    code = -5


class IOError(Error, OSError):  # noqa: A001 - mirrors XYD_EIO
    code = -6


class NotFoundError(Error, LookupError):
    code = -7


class ExistsError(Error, ValueError):
    code = -8


class InternalError(Error, RuntimeError):
    code = -9


class WrongKeyError(Error, PermissionError):
    """Wrong key: the store was created under another master key."""

    code = -10


class CorruptError(Error, RuntimeError):
    code = -11


class BusyError(Error, TimeoutError):
    code = -12


class FullError(Error, OSError):
    code = -13


class ReadOnlyError(Error, PermissionError):
    code = -14


class ConsentError(Error, PermissionError):
    """Refused: no valid consent covers the request. `reason` names the check
    that failed (expired, bad_signature, wrong_audience, …)."""

    code = -15

    @property
    def reason(self):
        text = str(self)
        return text.split(":", 2)[1].strip() if text.startswith("consent refused:") else None


_BY_CODE = {
    cls.code: cls
    for cls in (
        InvalidArgumentError,
        ValidationError,
        ParseError,
        OutOfMemoryError,
        IOError,
        NotFoundError,
        ExistsError,
        InternalError,
        WrongKeyError,
        CorruptError,
        BusyError,
        FullError,
        ReadOnlyError,
        ConsentError,
    )
}


def error_for(code, message):
    cls = _BY_CODE.get(code, Error)
    return cls(message, code)
