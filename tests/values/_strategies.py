"""Hypothesis strategies for Convex values, and a type-strict equality for them."""

from __future__ import annotations

import struct
from typing import Any

from hypothesis import strategies as st

from convexlite.values import INT64_MAX, INT64_MIN, Int64


def float_from_bits(bits: int) -> float:
    return struct.unpack("<d", struct.pack("<Q", bits))[0]


def float_bits(x: float) -> int:
    return struct.unpack("<Q", struct.pack("<d", x))[0]


# Every float64 bit pattern is a value: NaNs with any sign and payload included.
any_float = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(0, (1 << 64) - 1).map(float_from_bits),
    st.sampled_from([0.0, -0.0, float("inf"), float("-inf"), float("nan"), 5e-324, -5e-324]),
)

int64s = st.one_of(
    st.integers(INT64_MIN, INT64_MAX),
    st.sampled_from(
        [
            0,
            1,
            -1,
            127,
            128,
            -128,
            -129,
            32767,
            32768,
            -32768,
            -32769,
            2**31 - 1,
            2**31,
            -(2**31),
            -(2**31) - 1,
            INT64_MAX,
            INT64_MIN,
        ]
    ),
).map(Int64)

strings = st.one_of(
    st.text(st.characters(exclude_categories=("Cs",)), max_size=8),
    st.sampled_from(["", "\x00", "a\x00b", "\x00\x00", "\xff", "\U0010ffff", "é"]),
)

field_names = st.one_of(
    st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=6).filter(
        lambda s: not s.startswith("$")
    ),
    st.sampled_from(["", "a", "_id", "A", "z", "~"]),
)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    any_float,
    int64s,
    strings,
    st.binary(max_size=8),
    st.sampled_from([b"", b"\x00", b"\x00\xff", b"\xff"]),
)

values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(field_names, children, max_size=4),
    ),
    max_leaves=12,
)


def strict_equal(a: Any, b: Any) -> bool:
    """Equality that tells Int64 from float, compares floats by bits, and keys in order."""
    if type(a) is not type(b):
        return False
    if type(a) is float:
        return float_bits(a) == float_bits(b)
    if type(a) is list:
        return len(a) == len(b) and all(strict_equal(x, y) for x, y in zip(a, b, strict=True))
    if type(a) is dict:
        return sorted(a) == sorted(b) and all(strict_equal(a[k], b[k]) for k in a)
    return a == b
