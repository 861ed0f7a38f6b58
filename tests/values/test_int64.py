import copy
import pickle

import pytest

from convexlite.errors import BadRequestError
from convexlite.values import INT64_MAX, INT64_MIN, Int64, Int64RangeError


def test_construction_and_repr():
    assert Int64(5) == 5
    assert repr(Int64(5)) == "Int64(5)"
    assert repr(Int64(-3)) == "Int64(-3)"
    assert str(Int64(7)) == "7"
    assert Int64() == 0
    assert Int64("42") == 42
    assert Int64("ff", 16) == 255
    assert Int64(3.0) == 3
    assert Int64(INT64_MAX) == 2**63 - 1
    assert Int64(INT64_MIN) == -(2**63)
    assert isinstance(Int64(1), int)


@pytest.mark.parametrize("bad", [2**63, -(2**63) - 1, 10**30])
def test_range_checked(bad):
    with pytest.raises(Int64RangeError) as info:
        Int64(bad)
    assert "does not fit into a 64-bit signed integer" in info.value.message
    assert isinstance(info.value, ValueError)
    assert isinstance(info.value, BadRequestError)


def test_non_integral_float_refused():
    with pytest.raises(Int64RangeError):
        Int64(1.5)
    with pytest.raises((ValueError, OverflowError)):
        Int64(float("nan"))


def test_arithmetic_stays_int64():
    a = Int64(5)
    for result in (
        a + 1,
        1 + a,
        a - 1,
        10 - a,
        a * 2,
        2 * a,
        a // 2,
        11 // a,
        a % 3,
        7 % a,
        a**2,
        -a,
        +a,
        abs(Int64(-5)),
        ~a,
        a << 2,
        a >> 1,
        a & 4,
        4 & a,
        a | 2,
        2 | a,
        a ^ 1,
        1 ^ a,
        round(a),
    ):
        assert type(result) is Int64, result
    assert type(a / 2) is float
    assert type(a + 0.5) is float
    assert type(a**-1) is float
    with pytest.raises(Int64RangeError):
        Int64(INT64_MAX) + 1
    with pytest.raises(Int64RangeError):
        -Int64(INT64_MIN)


def test_bool_is_not_an_int64():
    assert not isinstance(True, Int64)
    assert Int64(True) == 1 and type(Int64(True)) is Int64


def test_pickle_and_copy():
    for v in (Int64(5), Int64(INT64_MIN)):
        assert type(pickle.loads(pickle.dumps(v))) is Int64
        assert pickle.loads(pickle.dumps(v)) == v
        assert type(copy.deepcopy(v)) is Int64
