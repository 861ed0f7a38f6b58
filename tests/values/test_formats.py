"""Wire formats: the EncodedTS codec, result renderings and function arguments."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from convexlite import Int64
from convexlite.values.formats import (
    InvalidFunctionArguments,
    InvalidTimestamp,
    decode_function_args,
    decode_ts,
    encode_ts,
    render,
)


@given(st.integers(0, 2**64 - 1))
def test_timestamps_round_trip(ts):
    assert decode_ts(encode_ts(ts)) == ts


def test_timestamp_encoding_is_little_endian_base64():
    assert encode_ts(1) == "AQAAAAAAAAA="


@pytest.mark.parametrize("bad", ["", "AQAA", "not base64!", "AQAAAAAAAAAA", 7, None])
def test_bad_timestamps_are_refused(bad):
    with pytest.raises(InvalidTimestamp):
        decode_ts(bad)


def test_arguments_are_one_object_or_an_array_of_one():
    assert decode_function_args({"a": 1}, "m:f") == {"a": 1.0}
    assert decode_function_args([{"n": {"$integer": "AQAAAAAAAAA="}}], "m:f") == {"n": Int64(1)}


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ([{}, {}], "Expected to receive a single object as the function's argument. "
         "Instead received 2 arguments: [{}, {}]"),
        ([1], "Expected to receive an object as the function's argument. Instead received: [1]"),
        ("x", "Expected to receive an object as the function's argument. Instead received: \"x\""),
        ({"$bad": 1}, "Invalid arguments for m.js:f: "),
    ],
)  # fmt: skip
def test_bad_arguments(raw, message):
    with pytest.raises(InvalidFunctionArguments) as info:
        decode_function_args(raw, "m:f")
    assert info.value.message.startswith(message)


def test_renderings():
    value = {"n": Int64(7), "b": b"\x01\x02", "f": math.inf, "x": 1.5}
    assert render(value, "clean") == {"n": "7", "b": "AQI=", "f": "Infinity", "x": 1.5}
    assert render(value, "export") == {
        "n": 7,
        "b": {"$bytes": "AQI="},
        "f": {"$float": "AAAAAAAA8H8="},
        "x": 1.5,
    }
    assert render(value, "encoded")["n"] == {"$integer": "BwAAAAAAAAA="}
