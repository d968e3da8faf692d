# SPDX-License-Identifier: Apache-2.0
import ctypes

import pytest

import xyd
from xyd import _ffi


def test_version_matches_header_macros():
    major, minor, patch = (int(p) for p in xyd.__version__.split("."))
    assert xyd.version_number() == major * 10000 + minor * 100 + patch


def test_errors_inherit_builtins():
    assert issubclass(xyd.ValidationError, xyd.Error)
    assert issubclass(xyd.ValidationError, ValueError)
    assert issubclass(xyd.NotFoundError, LookupError)
    assert issubclass(xyd.OutOfMemoryError, MemoryError)
    with pytest.raises(ValueError):
        xyd.check_uscc("123")


def test_strerror_is_static_text_for_every_code():
    for code in range(-15, 1):
        assert _ffi.xyd_strerror(code)
    assert _ffi.xyd_strerror(-1000) == b"unknown error code"


def test_free_null_is_a_noop():
    _ffi.xyd_free(None)


def test_null_out_pointer_is_einval():
    with pytest.raises(xyd.InvalidArgumentError) as e:
        _ffi.xyd_catalog_json(None)
    assert "out is NULL" in str(e.value)
    assert e.value.code == -2


def test_non_str_arguments_are_type_errors():
    with pytest.raises(TypeError):
        xyd.validate_uscc(91350100)
    with pytest.raises(TypeError):
        xyd.check_rid(None)


def test_embedded_nul_is_never_truncated_to_a_valid_prefix():
    assert not xyd.validate_uscc("91350100M000100Y43\0junk")
    assert not xyd.validate_rid("11010519491231002X\0")


def test_normalize_id():
    assert xyd.normalize_id(" ９１３５０１００ｍ０００１００ｙ４３ ") == "91350100M000100Y43"
    assert xyd.normalize_id("110105-19491231-002x") == "11010519491231002X"
    assert xyd.validate_uscc(xyd.normalize_id("91350100m000100y43"))


def test_messages_never_repeat_the_id_number():
    bad = "110105194912310021"
    with pytest.raises(xyd.ValidationError) as e:
        xyd.check_rid(bad)
    assert bad not in str(e.value)
    assert "expected 'X'" in str(e.value)
    assert "position 18" in str(e.value)
