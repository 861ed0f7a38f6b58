"""Convex's int64 type.

Python has one `int`, and convexlite reads a plain `int` written by user code as a
float64 (Convex's `number`). `Int64` is how a value says "I am a 64-bit integer":
it is an `int`, so it works everywhere an int does, but it is range-checked on
construction and arithmetic between Int64 values stays Int64, so
`doc["count"] + 1` read back from the database is written back as an int64, just
as `doc.count + 1n` is in JavaScript.
"""

from __future__ import annotations

from typing import Any, SupportsIndex

from convexlite.errors import BadRequestError

INT64_MIN = -(1 << 63)
INT64_MAX = (1 << 63) - 1


class Int64RangeError(BadRequestError, ValueError):
    code = "Int64OutOfRange"


def _out_of_range(n: int) -> Int64RangeError:
    return Int64RangeError(f"Int64 {n} does not fit into a 64-bit signed integer")


class Int64(int):
    """A Convex int64 (JavaScript `bigint`): an `int` restricted to signed 64 bits."""

    __slots__ = ()

    def __new__(cls, value: Any = 0, *args: Any) -> Int64:
        if type(value) is float and not value.is_integer():
            raise Int64RangeError(f"{value!r} is not an integer and cannot be an Int64")
        n = int.__new__(cls, value, *args)
        if not INT64_MIN <= n <= INT64_MAX:
            raise _out_of_range(int(n))
        return n

    def __repr__(self) -> str:
        return f"Int64({int.__repr__(self)})"

    __str__ = int.__repr__

    def __reduce__(self) -> tuple[Any, ...]:
        return (Int64, (int(self),))

    # Arithmetic with ints keeps the int64 type (overflow raises instead of wrapping);
    # arithmetic with floats falls back to int's behaviour and yields a float.
    def __add__(self, other: Any) -> Any:
        return _wrap(int.__add__(self, other))

    def __radd__(self, other: Any) -> Any:
        return _wrap(int.__radd__(self, other))

    def __sub__(self, other: Any) -> Any:
        return _wrap(int.__sub__(self, other))

    def __rsub__(self, other: Any) -> Any:
        return _wrap(int.__rsub__(self, other))

    def __mul__(self, other: Any) -> Any:
        return _wrap(int.__mul__(self, other))

    def __rmul__(self, other: Any) -> Any:
        return _wrap(int.__rmul__(self, other))

    def __floordiv__(self, other: Any) -> Any:
        return _wrap(int.__floordiv__(self, other))

    def __rfloordiv__(self, other: Any) -> Any:
        return _wrap(int.__rfloordiv__(self, other))

    def __mod__(self, other: Any) -> Any:
        return _wrap(int.__mod__(self, other))

    def __rmod__(self, other: Any) -> Any:
        return _wrap(int.__rmod__(self, other))

    def __pow__(self, other: Any, mod: Any = None) -> Any:
        return _wrap(int.__pow__(self, other, mod))

    def __lshift__(self, other: Any) -> Any:
        return _wrap(int.__lshift__(self, other))

    def __rshift__(self, other: Any) -> Any:
        return _wrap(int.__rshift__(self, other))

    def __and__(self, other: Any) -> Any:
        return _wrap(int.__and__(self, other))

    def __rand__(self, other: Any) -> Any:
        return _wrap(int.__rand__(self, other))

    def __or__(self, other: Any) -> Any:
        return _wrap(int.__or__(self, other))

    def __ror__(self, other: Any) -> Any:
        return _wrap(int.__ror__(self, other))

    def __xor__(self, other: Any) -> Any:
        return _wrap(int.__xor__(self, other))

    def __rxor__(self, other: Any) -> Any:
        return _wrap(int.__rxor__(self, other))

    def __neg__(self) -> Int64:
        return _wrap(int.__neg__(self))

    def __pos__(self) -> Int64:
        return self

    def __abs__(self) -> Int64:
        return _wrap(int.__abs__(self))

    def __invert__(self) -> Int64:
        return _wrap(int.__invert__(self))

    def __round__(self, ndigits: SupportsIndex | None = None) -> Int64:
        if ndigits is None:
            return self
        return _wrap(int.__round__(self, ndigits))


def _wrap(r: Any) -> Any:
    # bool results cannot happen here; NotImplemented and floats pass through.
    if type(r) is int:
        if INT64_MIN <= r <= INT64_MAX:
            return int.__new__(Int64, r)
        raise _out_of_range(r)
    return r
