import math

import pytest

from convexlite.values.display import (
    format_float_literal,
    render_value,
    stringify_value_for_error,
)
from convexlite.values.int64 import Int64
from convexlite.values.json_codec import UNDEFINED


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, "null"),
        (True, "true"),
        (False, "false"),
        (5.0, "5.0"),
        (5, "5.0"),  # a plain int is a float64
        (Int64(5), "5"),
        (Int64(-42), "-42"),
        (1.5, "1.5"),
        (-0.0, "-0.0"),
        (0.0, "0.0"),
        (0.0001, "0.0001"),
        (1e-5, "1e-5"),
        (1.5e-7, "1.5e-7"),
        (1e15, "1000000000000000.0"),
        (1e16, "1e16"),
        (-2.5e20, "-2.5e20"),
        (math.nan, "NaN"),
        (math.inf, "inf"),
        (-math.inf, "-inf"),
        ("ada", '"ada"'),
        ('say "hi"\n\t\\', r'"say \"hi\"\n\t\\"'),
        ("\x01", r'"\u{1}"'),
        ("héllo", '"héllo"'),
        (b"hi", 'b"aGk="'),
        (b"", 'b""'),
        ([], "[]"),
        ([1, "a", None], '[1.0, "a", null]'),
        ({}, "{}"),
        ({"body": 5}, "{body: 5.0}"),
        ({"n": Int64(5), "author": "ada"}, '{author: "ada", n: 5}'),
        ({"a": {"b": [True]}}, "{a: {b: [true]}}"),
        (UNDEFINED, "undefined"),
    ],
)
def test_render_value(value, text):
    assert render_value(value) == text


def test_render_value_never_raises_on_foreign_objects():
    assert render_value({1, 2}) == repr({1, 2})


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (3.0, "3.0"),
        (-2.5, "-2.5"),
        (123.456, "123.456"),
        (1e15, "1000000000000000.0"),
        (1e16, "1e16"),
        (1e-5, "0.00001"),
        (1e-6, "1e-6"),
        (1.25e-9, "1.25e-9"),
        (-0.0, "-0.0"),
        (math.nan, "<number>"),
    ],
)
def test_format_float_literal(value, text):
    assert format_float_literal(value) == text


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ({"a": 1, "b": Int64(5)}, '{"a":1,"b":"5n"}'),
        ({"z": 1, "a": 2}, '{"z":1,"a":2}'),
        ([1.5, None, True], "[1.5,null,true]"),
        (1e21, "1e+21"),
        (1e20, "100000000000000000000"),
        (1e-7, "1e-7"),
        (0.000001, "0.000001"),
        (-0.0, "0"),
        (math.nan, "null"),
        (b"xyz", "{}"),
        ({"a": UNDEFINED}, '{"a":"undefined"}'),
        ("é\n", '"é\\n"'),
    ],
)
def test_stringify_value_for_error(value, text):
    assert stringify_value_for_error(value) == text


def test_stringify_value_for_error_truncates():
    text = stringify_value_for_error("x" * 20000)
    assert len(text) == 16384
    assert text.endswith("xxx[...truncated]")
    assert text.startswith('"xxx')


def test_stringify_value_for_error_does_not_split_surrogate_pairs():
    # 16369 units before the cut: the quote plus 16368 'x', then a 2-unit emoji.
    text = stringify_value_for_error("x" * 16368 + "😀" * 10)
    assert text.endswith("x[...truncated]")
