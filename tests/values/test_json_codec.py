import json
import pickle

import pytest
from hypothesis import given, settings

from convexlite.values import (
    UNDEFINED,
    ConvexJsonError,
    Int64,
    InvalidFieldNameError,
    TooNestedError,
    UnsupportedTypeError,
    decode,
    dumpb,
    dumps,
    encode,
    loads,
)
from convexlite.values.limits import ArrayTooLongError, TooManyFieldsError

from ._strategies import float_from_bits, strict_equal, values

# protocol.md §1.4 worked examples
WORKED = [
    (Int64(0), '{"$integer":"AAAAAAAAAAA="}'),
    (Int64(1), '{"$integer":"AQAAAAAAAAA="}'),
    (Int64(-1), '{"$integer":"//////////8="}'),
    (Int64(42), '{"$integer":"KgAAAAAAAAA="}'),
    (Int64(2**53 + 1), '{"$integer":"AQAAAAAAIAA="}'),
    (Int64(-(2**63)), '{"$integer":"AAAAAAAAAIA="}'),
    (Int64(2**63 - 1), '{"$integer":"/////////38="}'),
    (float("nan"), '{"$float":"AAAAAAAA+H8="}'),
    (float("inf"), '{"$float":"AAAAAAAA8H8="}'),
    (float("-inf"), '{"$float":"AAAAAAAA8P8="}'),
    (-0.0, '{"$float":"AAAAAAAAAIA="}'),
    (1.5, "1.5"),
    (b"\x00\x10\x83", '{"$bytes":"ABCD"}'),
    (b"hello", '{"$bytes":"aGVsbG8="}'),
]


@pytest.mark.parametrize(("value", "text"), WORKED)
def test_worked_examples(value, text):
    assert dumps(value) == text
    assert json.dumps(encode(value), separators=(",", ":")) == text
    assert strict_equal(loads(text), value)
    assert strict_equal(decode(json.loads(text)), value)


def test_composite_example():
    value = {
        "tags": ["a", "b"],
        "score": float("inf"),
        "ratio": 0.25,
        "parent": None,
        "deleted": False,
        "count": Int64(42),
        "blob": b"hello",
        "author": "ada",
    }
    text = (
        '{"author":"ada","blob":{"$bytes":"aGVsbG8="},"count":{"$integer":"KgAAAAAAAAA="},'
        '"deleted":false,"parent":null,"ratio":0.25,"score":{"$float":"AAAAAAAA8H8="},'
        '"tags":["a","b"]}'
    )
    assert dumps(value) == text
    assert dumpb(value) == text.encode()
    assert strict_equal(loads(text), value)
    assert list(encode(value)) == sorted(value)


def test_output_is_utf8_not_escaped():
    assert dumps({"k": "é☃\U0001f600"}) == '{"k":"é☃\U0001f600"}'


def test_plain_ints_are_float64():
    assert dumps(5) == "5.0"
    assert dumps([True, 1, Int64(1)]) == '[true,1.0,{"$integer":"AQAAAAAAAAA="}]'
    assert dumps(2**70) == "1.1805916207174113e21"
    assert encode(3) == 3.0 and type(encode(3)) is float
    assert type(encode(True)) is bool


def test_json_numbers_decode_to_float():
    v = loads('{"a":5,"b":[1,-0.0,1e3]}')
    assert strict_equal(v, {"a": 5.0, "b": [1.0, -0.0, 1000.0]})
    assert strict_equal(loads("5"), 5.0)
    assert strict_equal(decode({"a": 5, "b": [True, 2]}), {"a": 5.0, "b": [True, 2.0]})
    assert strict_equal(loads("12345678901234567890123"), 1.2345678901234568e22)


def test_tuples_encode_as_arrays():
    assert dumps((1.0, "x")) == '[1.0,"x"]'
    assert encode(("a",)) == ["a"]


def test_dumps_does_not_modify_input():
    value = {"a": [b"x", -0.0, {"n": Int64(1)}], "b": "plain"}
    before = repr(value)
    dumps(value)
    encode(value)
    assert repr(value) == before


def test_float_special_encodings():
    assert encode(0.0) == 0.0
    assert encode(-0.0) == {"$float": "AAAAAAAAAIA="}
    payload_nan = float_from_bits(0x7FF0_0000_0000_0001)
    assert strict_equal(loads(dumps(payload_nan)), payload_nan)
    neg_nan = float_from_bits(0xFFF8_0000_0000_0000)
    assert strict_equal(loads(dumps(neg_nan)), neg_nan)
    # +0.0 in a $float wrapper is accepted on input, though never emitted.
    assert strict_equal(loads('{"$float":"AAAAAAAAAAA="}'), 0.0)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"$float":"AAAAAAAA8D8="}', "Float64 1.0 should be encoded as a number"),
        ('{"$float":"AQAAAAAAAAA="}', "Float64 5e-324 should be encoded as a number"),
        ('{"$float":"AAAA"}', "Float64 must be exactly eight bytes"),
        ('{"$integer":"AQAAAAAAAA=="}', "Int64 must be exactly eight bytes"),
        ('{"$integer":"AQAAAAAAAAAA"}', "Int64 must be exactly eight bytes"),
        ('{"$integer":5}', "must hold a base64 string, not a number"),
        ('{"$bytes":"a!b="}', "Invalid base64 string"),
        ('{"$bytes":"A"}', "Invalid base64 string"),
        ('{"$set":[]}', "Set values"),
        ('{"$map":[]}', "Map values"),
    ],
)
def test_bad_wrappers(text, message):
    with pytest.raises(ConvexJsonError, match=message.replace("(", r"\(").replace(")", r"\)")):
        loads(text)
    with pytest.raises(ConvexJsonError):
        decode(json.loads(text))


@pytest.mark.parametrize(
    "text",
    [
        '{"$foo":1}',
        '{"$integer":"AQAAAAAAAAA=","x":1}',
        '{"a":1,"$b":2}',
        '{"$undefined":null}',
        '{"$commitTs":null}',
        '{"a\\u0001":1}',
        '{"\\u00e9":1}',
        '[{"$x":1}]',
    ],
)
def test_invalid_field_names_rejected(text):
    with pytest.raises(InvalidFieldNameError):
        loads(text)
    with pytest.raises(InvalidFieldNameError):
        decode(json.loads(text))


def test_field_name_messages():
    with pytest.raises(InvalidFieldNameError, match=r"Field name \$foo starts with '\$'"):
        loads('{"$foo":1}')
    with pytest.raises(InvalidFieldNameError, match="Field names can only contain non-control"):
        loads('{"a\\u0001":1}')
    long = "a" * 1025
    with pytest.raises(InvalidFieldNameError, match=r"Field name is too long \(1025 > maximum"):
        loads(json.dumps({long: 1}))
    assert loads(json.dumps({"a" * 1024: 1, "": 2, " ~": 3})) == {
        "a" * 1024: 1.0,
        "": 2.0,
        " ~": 3.0,
    }


def test_base64_input_is_lenient_output_is_padded():
    assert loads('{"$bytes":"aGVsbG8"}') == b"hello"
    assert loads('{"$bytes":"-_8="}') == b"\xfb\xff"
    assert loads('{"$bytes":"+/8="}') == b"\xfb\xff"
    assert loads('{"$integer":"//////////8"}') == Int64(-1)
    assert loads('{"$bytes":""}') == b""
    assert dumps(b"\xfb\xff") == '{"$bytes":"+/8="}'


def test_strings_must_be_valid_unicode():
    with pytest.raises(ConvexJsonError, match="lone surrogate"):
        loads('"\\ud800"')
    with pytest.raises(ConvexJsonError, match="lone surrogate"):
        loads('{"a":["\\udfff"]}')
    with pytest.raises(ConvexJsonError):
        loads(b'"\xed\xa0\x80"')
    with pytest.raises(ConvexJsonError, match="lone surrogate"):
        decode(json.loads('{"a":"x\\ud800"}'))
    assert loads('"\\ud83d\\ude00"') == "\U0001f600"


def test_invalid_json_text():
    for text in ["NaN", "[1,", "{'a':1}", "Infinity", "[1e400]", ""]:
        with pytest.raises(ConvexJsonError, match="Invalid JSON"):
            loads(text)


def test_decode_rejects_non_json_python_values():
    with pytest.raises(ConvexJsonError):
        decode(float("nan"))
    with pytest.raises(ConvexJsonError):
        decode({"a": b"raw"})
    with pytest.raises(ConvexJsonError):
        decode((1, 2))


def test_undefined():
    assert repr(UNDEFINED) == "UNDEFINED"
    assert not UNDEFINED
    assert pickle.loads(pickle.dumps(UNDEFINED)) is UNDEFINED
    assert encode(UNDEFINED) == {"$undefined": None}
    assert dumps({"a": UNDEFINED}) == '{"a":{"$undefined":null}}'
    assert loads('{"$undefined":null}', allow_undefined=True) is UNDEFINED
    patch = loads('{"a":{"$undefined":null},"b":1}', allow_undefined=True)
    assert patch == {"a": UNDEFINED, "b": 1.0}
    assert decode({"a": {"$undefined": None}}, allow_undefined=True) == {"a": UNDEFINED}
    # Never inside arrays or deeper objects, and never without the flag.
    for text in ['[{"$undefined":null}]', '{"a":{"b":{"$undefined":null}}}']:
        with pytest.raises(InvalidFieldNameError):
            loads(text, allow_undefined=True)
    with pytest.raises(ConvexJsonError):
        loads('{"$undefined":1}', allow_undefined=True)


def test_nesting_and_counts_limited():
    ok = "[" * 64 + "]" * 64
    assert loads(ok) is not None
    with pytest.raises(TooNestedError, match=r"nested 65 levels deep > maximum nesting 64"):
        loads("[" * 65 + "]" * 65)
    with pytest.raises(TooNestedError):
        loads('{"a":' * 65 + "1" + "}" * 65)
    with pytest.raises(TooNestedError):
        loads("[" * 5000 + "]" * 5000)
    with pytest.raises(TooNestedError):
        decode(json.loads("[" * 65 + "]" * 65))
    with pytest.raises(ArrayTooLongError):
        loads(json.dumps([0] * 8193))
    with pytest.raises(TooManyFieldsError):
        loads(json.dumps({f"f{i}": 0 for i in range(1025)}))


def test_unsupported_types():
    with pytest.raises(UnsupportedTypeError, match="set is not a supported Convex type"):
        dumps({"a": {1}})
    with pytest.raises(UnsupportedTypeError):
        encode(object())


@settings(max_examples=300, deadline=None)
@given(values)
def test_round_trips(v):
    text = dumps(v)
    assert strict_equal(loads(text), v)
    assert strict_equal(loads(text.encode()), v)
    assert strict_equal(decode(encode(v)), v)
    assert strict_equal(decode(json.loads(text)), v)
    # Canonical: sorted keys, no whitespace, same bytes as a re-serialisation.
    assert json.dumps(encode(v), separators=(",", ":"), ensure_ascii=False) == json.dumps(
        json.loads(text), separators=(",", ":"), ensure_ascii=False, sort_keys=True
    )


# ----------------------------------------------------------------------------- commit ts


def test_commit_ts_placeholder_only_where_allowed():
    from convexlite.values import (
        COMMIT_TS,
        json_has_commit_ts,
        resolve_commit_ts,
        resolve_commit_ts_json,
    )

    text = '{"a":{"$commitTs":null},"b":[1,{"c":{"$commitTs":null}}],"s":"{\\"$commitTs\\":null}"}'
    decoded = decode(json.loads(text), allow_commit_ts=True)
    for parsed in (loads(text, allow_commit_ts=True), decoded):
        assert parsed == {"a": COMMIT_TS, "b": [1.0, {"c": COMMIT_TS}], "s": '{"$commitTs":null}'}
        assert encode(parsed)["a"] == {"$commitTs": None}
        assert loads(dumps(parsed), allow_commit_ts=True) == parsed
    assert loads('{"$commitTs":null}', allow_commit_ts=True) is COMMIT_TS
    with pytest.raises(ConvexJsonError, match="must hold null"):
        loads('{"$commitTs":1}', allow_commit_ts=True)
    # Without the flag it stays an invalid field name, nested or not (protocol.md §1.1).
    for bad in ('{"$commitTs":null}', '{"a":[{"$commitTs":null}]}'):
        with pytest.raises(InvalidFieldNameError, match=r"\$commitTs starts with '\$'"):
            loads(bad)
        with pytest.raises(InvalidFieldNameError):
            decode(json.loads(bad))
    # Only the placeholder itself is found and resolved in text, never a string that spells it.
    stored = dumps(loads(text, allow_commit_ts=True))
    assert json_has_commit_ts(stored)
    resolved = loads(resolve_commit_ts_json(stored, 42))
    assert resolved == resolve_commit_ts(loads(text, allow_commit_ts=True), 42)
    assert resolved["a"] == Int64(42) and resolved["b"][1]["c"] == Int64(42)
    assert resolved["s"] == '{"$commitTs":null}'
    assert not json_has_commit_ts(dumps(resolved))
