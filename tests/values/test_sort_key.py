import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from convexlite.values import (
    UNDEFINED,
    UNDEFINED_KEY,
    Int64,
    InvalidSortKeyError,
    compare,
    composite_key,
    decode_composite_key,
    decode_sort_key,
    sort_key,
    sort_key_maybe,
)

from ._strategies import float_from_bits, strict_equal, values

# --------------------------------------------------------------------------- reference
# An independent restatement of database.md §2.1, written without sort keys.

_RANK = {type(None): 1, Int64: 2, float: 3, bool: 4, str: 5, bytes: 6, list: 7, dict: 8}


def _rank(v):
    return 0 if v is UNDEFINED else _RANK[type(v)]


def _sign(n):
    return (n > 0) - (n < 0)


def _total_order_key(x: float) -> int:
    # Reinterpret as a signed integer; negative floats order by reversed magnitude.
    i = struct.unpack("<q", struct.pack("<d", x))[0]
    return i if i >= 0 else -(i & 0x7FFF_FFFF_FFFF_FFFF) - 1


def _cmp_seq(xs, ys, cmp):
    for x, y in zip(xs, ys, strict=False):
        c = cmp(x, y)
        if c:
            return c
    return _sign(len(xs) - len(ys))


def ref_cmp(a, b) -> int:
    ra, rb = _rank(a), _rank(b)
    if ra != rb:
        return _sign(ra - rb)
    if a is UNDEFINED or a is None:
        return 0
    t = type(a)
    if t is float:
        return _sign(_total_order_key(a) - _total_order_key(b))
    if t is Int64 or t is bool:
        return _sign(int(a) - int(b))
    if t is str:
        ea, eb = a.encode(), b.encode()
        return (ea > eb) - (ea < eb)
    if t is bytes:
        return (a > b) - (a < b)
    if t is list:
        return _cmp_seq(a, b, ref_cmp)

    def pair_cmp(p, q):
        c = (p[0].encode() > q[0].encode()) - (p[0].encode() < q[0].encode())
        return c or ref_cmp(p[1], q[1])

    return _cmp_seq(sorted(a.items()), sorted(b.items()), pair_cmp)


# --------------------------------------------------------------------------- spec table


@pytest.mark.parametrize(
    ("value", "key"),
    [
        (None, "03"),
        (Int64(0), "08"),
        (Int64(1), "09 01"),
        (Int64(-1), "07 ff"),
        (Int64(128), "0a 00 80"),
        (Int64(-129), "06 ff 7f"),
        (1.5, "0d bf f8 00 00 00 00 00 00"),
        (-0.0, "0d 7f ff ff ff ff ff ff ff"),
        (0.0, "0d 80 00 00 00 00 00 00 00"),
        (True, "0f"),
        ("ab", "10 61 62 00"),
        ("a\0b", "10 61 00 ff 62 00"),
        (b"\x00\x01", "11 00 ff 01 00"),
        ([Int64(1), "x"], "12 09 01 10 78 00 00"),
        ({"a": None}, "15 61 00 03 00"),
        ({}, "15 00"),
    ],
)
def test_spec_examples(value, key):
    assert sort_key(value) == bytes.fromhex(key)
    assert strict_equal(decode_sort_key(bytes.fromhex(key)), value)


def test_undefined_key():
    assert UNDEFINED_KEY == b"\x01"
    assert sort_key_maybe(UNDEFINED) == b"\x01"
    assert decode_sort_key(b"\x01") is UNDEFINED
    assert sort_key_maybe(None) == b"\x03"


def test_other_fixed_keys():
    assert sort_key(False) == b"\x0e"
    assert sort_key(Int64(2**63 - 1)) == b"\x0c\x7f" + b"\xff" * 7
    assert sort_key(Int64(-(2**63))) == b"\x04\x80" + b"\x00" * 7
    assert sort_key(Int64(2**31)) == b"\x0c" + (2**31).to_bytes(8, "big")
    assert sort_key(Int64(-(2**31))) == b"\x05\x80\x00\x00\x00"
    assert sort_key(Int64(32767)) == b"\x0a\x7f\xff"
    assert sort_key(Int64(32768)) == b"\x0b\x00\x00\x80\x00"
    assert sort_key({"": None}) == bytes.fromhex("15 00 ff 03 00")
    assert sort_key(float("inf")) == bytes.fromhex("0d fff0000000000000")
    assert sort_key(float("-inf")) == bytes.fromhex("0d 000fffffffffffff")


def test_plain_int_is_float64_and_tuple_is_array():
    assert sort_key(5) == sort_key(5.0)
    assert sort_key(5) != sort_key(Int64(5))
    assert sort_key((Int64(1), "x")) == sort_key([Int64(1), "x"])
    assert sort_key(True) != sort_key(1.0)


def test_type_order():
    ordered = [
        UNDEFINED,
        None,
        Int64(2**62),
        float("-inf"),
        float("nan"),
        False,
        True,
        "",
        b"",
        [],
        {},
    ]
    ordered.sort(key=sort_key_maybe)
    # NaN with the sign bit clear sorts after +inf but still before booleans.
    assert [_rank(v) for v in ordered] == sorted(_rank(v) for v in ordered)
    assert compare(Int64(10**18), -1e300) == -1
    assert compare(Int64(1), 1.0) == -1
    assert compare(UNDEFINED, None) == -1


def test_float_total_order_extremes():
    neg_nan = float_from_bits(0xFFF8_0000_0000_0000)
    pos_nan = float_from_bits(0x7FF8_0000_0000_0000)
    chain = [neg_nan, float("-inf"), -1.0, -5e-324, -0.0, 0.0, 5e-324, 1.0, float("inf"), pos_nan]
    keys = [sort_key(x) for x in chain]
    assert keys == sorted(keys)
    assert len(set(keys)) == len(keys)
    assert compare(pos_nan, pos_nan) == 0
    assert compare(float_from_bits(0x7FF8_0000_0000_0001), pos_nan) == 1


def test_prefixes_sort_first():
    assert compare([Int64(1)], [Int64(1), None]) == -1
    assert compare({"a": None}, {"a": None, "b": None}) == -1
    assert compare("ab", "ab\x00") == -1
    assert compare(b"a", b"a\x00") == -1
    assert compare({"": None}, {}) == 1
    assert compare({"": None}, {"a": None}) == -1


def test_composite_keys_compare_as_tuples():
    a = composite_key(["x", UNDEFINED, Int64(3)])
    assert a == sort_key("x") + b"\x01" + sort_key(Int64(3))
    assert decode_composite_key(a) == ("x", UNDEFINED, Int64(3))
    assert composite_key(["a", "b"]) < composite_key(["ab", ""])


@settings(max_examples=300, deadline=None)
@given(values, values)
def test_compare_matches_reference(a, b):
    assert compare(a, b) == ref_cmp(a, b)
    assert compare(b, a) == -ref_cmp(a, b)


@settings(max_examples=300, deadline=None)
@given(values)
def test_round_trip(v):
    k = sort_key(v)
    assert strict_equal(decode_sort_key(k), v)
    assert compare(v, v) == 0


@settings(max_examples=100, deadline=None)
@given(st.lists(values, max_size=3), st.lists(values, max_size=3))
def test_composite_order_is_tuple_order(xs, ys):
    ka, kb = composite_key(xs), composite_key(ys)
    assert _sign((ka > kb) - (ka < kb)) == _cmp_seq(xs, ys, ref_cmp)


@pytest.mark.parametrize(
    "key",
    [
        "",  # empty
        "09",  # truncated int
        "0a 00 05",  # 5 needs one byte, not two
        "06 ff ff",  # -1 in two bytes
        "09 ff",  # negative payload under a positive tag
        "07 05",  # positive payload under a negative tag
        "09 00",  # zero has its own tag
        "0c 00 00 00 00 7f ff ff ff",  # fits in four bytes
        "0d 00 00",  # truncated float
        "10 61",  # unterminated string
        "10 ff 00",  # not UTF-8
        "12 03",  # unterminated array
        "15 62 00 03 61 00 03 00",  # fields out of order
        "15 61 00 03 61 00 03 00",  # duplicate field
        "03 03",  # trailing bytes
        "02",  # legacy id tag
        "13 00",  # legacy set
        "ff",  # never a tag
        "12 01 00",  # undefined inside an array
    ],
)
def test_decode_rejects_non_canonical(key):
    with pytest.raises(InvalidSortKeyError):
        decode_sort_key(bytes.fromhex(key))


def test_sort_key_rejects_non_values():
    with pytest.raises(TypeError, match="set is not a supported Convex type"):
        sort_key({1, 2})
    with pytest.raises(ValueError, match="sort_key_maybe"):
        sort_key(UNDEFINED)
