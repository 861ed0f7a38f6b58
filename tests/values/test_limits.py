import enum
from collections import OrderedDict

import pytest
from hypothesis import given, settings

from convexlite.errors import BadRequestError, ErrorKind
from convexlite.values import (
    UNDEFINED,
    ArrayTooLongError,
    Int64,
    InvalidDocumentError,
    InvalidFieldNameError,
    InvalidValueError,
    TooManyFieldsError,
    TooNestedError,
    UnsupportedTypeError,
    ValueTooLargeError,
    check_document,
    check_document_sized,
    check_value,
    check_value_sized,
    encode_id,
    value_nesting,
    value_size,
)
from convexlite.values.limits import format_size

from ._strategies import strict_equal, values


def nested(depth: int, leaf=1.0):
    v = leaf
    for i in range(depth):
        v = [v] if i % 2 else {"a": v}
    return v


@pytest.mark.parametrize(
    ("value", "size"),
    [
        (None, 1),
        (True, 1),
        (Int64(5), 9),
        (1.5, 9),
        (7, 9),
        ("", 2),
        ("abc", 5),
        ("é", 4),
        ("\U0001f600", 6),
        (b"", 2),
        (b"abc", 5),
        ([], 2),
        ([None, "ab"], 2 + 1 + 4),
        ({}, 2),
        ({"ab": None}, 2 + 2 + 1 + 1),
        ({"a": {"b": [1.0]}}, 2 + (1 + 1 + (2 + (1 + 1 + (2 + 9))))),
    ],
)
def test_sizes(value, size):
    assert value_size(value) == size
    assert check_value_sized(value)[1] == size


def test_nesting():
    assert value_nesting(1.0) == 0
    assert value_nesting([]) == 1
    assert value_nesting({"a": [[], {}]}) == 3
    assert value_nesting(nested(64)) == 64


def test_normalization():
    out = check_value({"b": (1, 2.5), "a": Int64(3), "c": [True, None, b"x"]})
    assert strict_equal(out, {"a": Int64(3), "b": [1.0, 2.5], "c": [True, None, b"x"]})
    assert list(out) == ["a", "b", "c"]
    assert type(check_value(5)) is float
    assert check_value(True) is True
    assert type(check_value(bytearray(b"ab"))) is bytes


def test_result_is_a_fresh_copy():
    inner = [1.0]
    value = {"x": inner, "y": {"z": "s"}}
    out = check_value(value)
    assert out == value
    assert out is not value and out["x"] is not inner and out["y"] is not value["y"]
    inner.append(2.0)
    assert out["x"] == [1.0]


def test_subclasses_are_normalized():
    class Color(enum.StrEnum):
        RED = "red"

    class Level(enum.IntEnum):
        HIGH = 3

    out = check_value(OrderedDict(c=Color.RED, n=Level.HIGH, t=(1,)))
    assert type(out) is dict
    assert type(out["c"]) is str and out["c"] == "red"
    assert type(out["n"]) is float and out["n"] == 3.0
    assert out["t"] == [1.0]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({1, 2}, "set is not a supported Convex type"),
        ({"a": [1.0, object()]}, "object is not a supported Convex type (present at path .a[1]"),
        ({"a": {"b": 1j}}, "complex is not a supported Convex type (present at path .a.b"),
        ({"a": UNDEFINED}, "undefined is not a valid Convex value (present at path .a"),
        (UNDEFINED, "undefined is not a valid Convex value"),
    ],
)
def test_unsupported_types(value, message):
    with pytest.raises(UnsupportedTypeError) as info:
        check_value(value)
    assert info.value.message.startswith(message)
    assert isinstance(info.value, TypeError)
    assert info.value.code == "InvalidValue"
    assert info.value.kind is ErrorKind.BAD_REQUEST


def test_invalid_strings_and_numbers():
    with pytest.raises(InvalidValueError, match="lone surrogate"):
        check_value({"a": ["ok", "bad\ud800"]})
    with pytest.raises(InvalidValueError, match="too large to be a float64"):
        check_value(10**400)


def test_field_names_checked_at_every_depth():
    with pytest.raises(InvalidFieldNameError, match=r"Field name \$x starts with '\$'"):
        check_value({"a": [{"$x": 1}]})
    with pytest.raises(InvalidFieldNameError, match="non-control ASCII"):
        check_value({"a": {"é": 1}})
    with pytest.raises(InvalidFieldNameError, match="must be a string"):
        check_value({"a": {1: "x"}})
    with pytest.raises(InvalidFieldNameError, match="must be a string"):
        check_value({"b": 1, 2: "x"})
    assert check_value({"": 1, "_x": {"_y": 2}}) == {"": 1.0, "_x": {"_y": 2.0}}


def test_nesting_limit():
    check_value(nested(64))
    with pytest.raises(TooNestedError) as info:
        check_value(nested(65))
    assert info.value.message == (
        "Value is too nested (nested 65 levels deep > maximum nesting 64)"
    )
    with pytest.raises(TooNestedError, match="nested 65 levels"):
        check_value(nested(500))


def test_array_and_field_count_limits():
    check_value([None] * 8192)
    with pytest.raises(ArrayTooLongError) as info:
        check_value({"a": [None] * 8193})
    assert info.value.message == "Array length is too long (8193 > maximum length 8192)"
    assert info.value.code == "ArrayTooLong"
    check_value({f"f{i}": None for i in range(1024)})
    with pytest.raises(TooManyFieldsError) as info2:
        check_value({f"f{i}": None for i in range(1025)})
    assert info2.value.message == "Object has too many fields (1025 > maximum number 1024)"


def test_value_size_limit():
    limit = 1 << 25
    assert check_value_sized("x" * (limit - 2))[1] == limit
    with pytest.raises(ValueTooLargeError) as info:
        check_value(["x" * (limit - 3)])
    assert info.value.message == "Value is too large (32.00 MiB > maximum size 32 MiB)"
    assert info.value.code == "ValueTooLargeError"


def test_format_size():
    assert format_size(512) == "512 B"
    assert format_size(1024) == "1 KiB"
    assert format_size(1 << 20) == "1 MiB"
    assert format_size(1_100_000 + 6) == "1.05 MiB"


def test_document_rules():
    doc = {"_id": encode_id(10001, bytes(16)), "_creationTime": 1.5, "a": 1}
    assert check_document(doc) == {"_creationTime": 1.5, "_id": doc["_id"], "a": 1.0}
    with pytest.raises(InvalidDocumentError) as info:
        check_document({"_x": 1, "a": 2})
    assert info.value.message == (
        "Field '_x' starts with an underscore, which is only allowed for system fields like '_id'"
    )
    assert info.value.code == "InvalidDocumentError"
    check_document({"a": {"_x": 1}})  # nested names may start with `_`
    with pytest.raises(InvalidDocumentError, match="must be an Id"):
        check_document({"_id": 5})
    for bad in (0.0, -1.0, float("nan"), float("inf"), 2.0**53):
        with pytest.raises(InvalidDocumentError, match="timestamp in milliseconds"):
            check_document({"_creationTime": bad})
    with pytest.raises(InvalidDocumentError, match="should be a float"):
        check_document({"_creationTime": Int64(5)})
    with pytest.raises(InvalidDocumentError, match="must be an object"):
        check_document([1])


def test_document_nesting_limit():
    check_document({"x": nested(15)})
    with pytest.raises(InvalidDocumentError) as info:
        check_document({"x": nested(16)})
    assert info.value.message == (
        "Document is too nested (nested 17 levels deep > maximum nesting 16)"
    )
    with pytest.raises(InvalidDocumentError, match="nested 40 levels"):
        check_document({"x": nested(39)})
    # Past 64 levels the value-level limit speaks first, as upstream.
    with pytest.raises(TooNestedError):
        check_document({"x": nested(80)})


def test_document_size_limit():
    limit = 1 << 20
    body = "x" * (limit - 7)  # object 2, "k" 1 + 1, string 2 + len
    doc, size = check_document_sized({"k": body})
    assert size == limit - 1
    with pytest.raises(ValueTooLargeError) as info:
        check_document({"k": body + "yy"})
    assert info.value.message == "Value is too large (1.00 MiB > maximum size 1 MiB)"
    with pytest.raises(ValueTooLargeError, match=r"\(1.05 MiB > maximum size 1 MiB\)"):
        check_document({"big": "x" * 1_100_000})


def test_all_errors_are_bad_requests():
    for exc in (
        InvalidValueError,
        UnsupportedTypeError,
        ValueTooLargeError,
        TooNestedError,
        ArrayTooLongError,
        TooManyFieldsError,
        InvalidDocumentError,
    ):
        assert issubclass(exc, BadRequestError)


@settings(max_examples=200, deadline=None)
@given(values)
def test_check_value_is_identity_on_normal_values(v):
    out, size = check_value_sized(v)
    assert strict_equal(out, v)
    assert size == value_size(v)
