import json

import pytest

from convexlite.errors import BadRequestError
from convexlite.functions.validators import (
    InvalidValidatorError,
    ValidationError,
    args_validator,
    v,
    validate_args,
    validate_returns,
    validator_from_json,
)
from convexlite.values.int64 import Int64

# Document ids from spec/database.md §1.5: the same internal id in table 10001 and table 1.
MESSAGES_ID = "j57000820c20a1g7104gm2rc1m70ynr8"
TABLE_ONE_ID = "040020g30g2gc1r81450p30d1r7qke8"
TABLES = {10001: "messages", 10002: "users", 1: "_tables"}

MESSAGE = v.object({"author": v.string(), "body": v.string()})
MESSAGE_TEXT = "v.object({author: v.string(), body: v.string()})"
MISSING = (
    "Object is missing the required field `{}`. Consider wrapping the field validator in "
    "`v.optional(...)` if this is expected."
)


def detail(validator, value, **kwargs):
    with pytest.raises(ValidationError) as info:
        validator.validate(value, **kwargs)
    return info.value.detail


# --- messages -------------------------------------------------------------------------------


def test_missing_field_matches_the_documented_full_message():
    with pytest.raises(ValidationError) as info:
        validate_args(MESSAGE, {"body": 5})
    assert info.value.message == (
        "ArgumentValidationError: " + MISSING.format("author") + "\n"
        "\n"
        "Object: {body: 5.0}\n"
        "Validator: " + MESSAGE_TEXT
    )
    assert info.value.prefix == "ArgumentValidationError"
    assert isinstance(info.value, BadRequestError)


def test_missing_field_below_the_top_level_has_a_path():
    validator = v.object({"user": v.object({"name": v.string(), "age": v.optional(v.number())})})
    assert detail(validator, {"user": {"age": 3}}) == (
        MISSING.format("name") + "\n"
        "Path: .user\n"
        "Object: {age: 3.0}\n"
        "Validator: v.object({age: v.optional(v.float64()), name: v.string()})"
    )


def test_extra_field():
    assert detail(MESSAGE, {"author": "ada", "body": "hi", "x": 1}) == (
        "Object contains extra field `x` that is not in the validator.\n"
        "\n"
        'Object: {author: "ada", body: "hi", x: 1.0}\n'
        "Validator: " + MESSAGE_TEXT
    )


def test_extra_field_reports_the_first_in_name_order():
    text = detail(v.object({}), {"zeta": 1, "beta": 2})
    assert text.startswith("Object contains extra field `beta`")


def test_value_does_not_match():
    assert detail(MESSAGE, {"author": 5, "body": "hi"}) == (
        "Value does not match validator.\nPath: .author\nValue: 5.0\nValidator: v.string()"
    )


def test_value_does_not_match_at_top_level_has_an_empty_path_line():
    assert detail(v.int64(), 5) == (
        "Value does not match validator.\n\nValue: 5.0\nValidator: v.int64()"
    )


def test_array_and_nested_paths():
    validator = v.object({"post": v.object({"tags": v.array(v.string())})})
    assert detail(validator, {"post": {"tags": ["a", "b", None]}}) == (
        "Value does not match validator.\nPath: .post.tags[2]\nValue: null\nValidator: v.string()"
    )


def test_path_prefix():
    text = detail(v.string(), 1, path=".author")
    assert "\nPath: .author\n" in text


def test_first_failure_in_field_name_order():
    validator = v.object({"c": v.string(), "b": v.string(), "a": v.string()})
    # `a` is invalid and `b` is missing: `a` sorts first and wins.
    assert detail(validator, {"a": 1, "c": "x"}).startswith(
        "Value does not match validator.\nPath: .a\n"
    )
    # Missing `b` comes before the invalid `c`.
    assert detail(validator, {"a": "x", "c": 1}).startswith(MISSING.format("b"))
    # Extra fields are only reported when every declared field is fine.
    assert detail(validator, {"a": "x", "b": "y", "c": 1, "extra": 1}).startswith(
        "Value does not match validator.\nPath: .c\n"
    )


def test_literal_mismatch_appends_the_path_directly():
    validator = v.object({"kind": v.literal("a")})
    assert detail(validator, {"kind": "b"}) == (
        '`"b"` does not match literal validator `v.literal("a")`.Path: .kind'
    )
    assert detail(v.literal(3), 4) == "`4.0` does not match literal validator `v.literal(3.0)`."
    assert detail(v.literal(Int64(3)), Int64(4)) == (
        "`4` does not match literal validator `v.literal(<bigint>)`."
    )
    assert detail(v.literal(True), 1) == (
        "`1.0` does not match literal validator `v.literal(true)`."
    )


def test_id_from_another_table():
    validator = v.object({"user": v.id("users")})
    assert detail(validator, {"user": MESSAGES_ID}, table_name_of=TABLES.get) == (
        f'Found ID "{MESSAGES_ID}" from table `messages`, which does not match the table name '
        'in validator `v.id("users")`.Path: .user'
    )


def test_id_from_a_system_table():
    assert detail(v.id("users"), TABLE_ONE_ID, table_name_of=TABLES.get) == (
        f'Found ID "{TABLE_ONE_ID}" from a system table, which does not match the table name '
        'in validator `v.id("users")`.'
    )


def test_id_checks():
    validator = v.id("messages")
    assert validator.validate(MESSAGES_ID, table_name_of=TABLES.get) == MESSAGES_ID
    # Without a resolver any well-formed id passes.
    assert validator.validate(TABLE_ONE_ID) == TABLE_ONE_ID
    assert detail(validator, "not-an-id") == (
        'Value does not match validator.\n\nValue: "not-an-id"\nValidator: v.id("messages")'
    )
    # A table number nobody knows, or a non-string, is a plain mismatch.
    assert detail(validator, MESSAGES_ID, table_name_of={}.get).startswith(
        "Value does not match validator."
    )
    assert not validator.is_valid(5)


def test_union_mismatch_shows_the_whole_union():
    assert detail(v.union(v.string(), v.number()), True) == (
        "Value does not match validator.\n\nValue: true\n"
        "Validator: v.union(v.string(), v.float64())"
    )


def test_union_of_one_reports_its_member():
    assert detail(v.union(v.string()), 1).endswith("Validator: v.string()")


def test_record_paths():
    validator = v.record(v.string(), v.number())
    assert detail(validator, {"a": 1, "b": "x"}) == (
        'Value does not match validator.\nPath: .values()\nValue: "x"\nValidator: v.float64()'
    )
    ids = v.record(v.id("users"), v.boolean())
    assert detail(ids, {"nope": True}).startswith(
        'Value does not match validator.\nPath: .keys()\nValue: "nope"\n'
    )


def test_validation_error_prefixing():
    error = ValidationError("Value does not match validator.")
    assert error.message == "Value does not match validator."
    prefixed = error.with_prefix("ReturnsValidationError")
    assert prefixed.message == "ReturnsValidationError: Value does not match validator."
    assert prefixed.detail == error.detail


# --- accepted values and normalisation ------------------------------------------------------


def test_number_accepts_floats_and_plain_ints_but_not_bools_or_int64():
    number = v.number()
    result = number.validate(5)
    assert result == 5.0 and type(result) is float
    assert number.validate(2.5) == 2.5
    assert not number.is_valid(True)
    assert not number.is_valid(Int64(5))
    assert not number.is_valid("5")
    assert not number.is_valid(10**400)


def test_int64_accepts_only_int64():
    assert v.int64().validate(Int64(7)) == 7
    assert type(v.bigint().validate(Int64(7))) is Int64
    for bad in (7, 7.0, True, "7"):
        assert not v.int64().is_valid(bad)


def test_scalars():
    assert v.boolean().validate(False) is False
    assert not v.boolean().is_valid(0)
    assert v.null().validate(None) is None
    assert not v.null().is_valid(0)
    assert v.bytes().validate(bytearray(b"ab")) == b"ab"
    assert not v.bytes().is_valid("ab")
    assert v.string().validate("x") == "x"
    assert v.any().validate({"anything": {1, 2}}) == {"anything": {1, 2}}


def test_literals():
    assert v.literal("a").validate("a") == "a"
    assert v.literal(3).validate(3) == 3.0
    assert type(v.literal(3).validate(3)) is float
    assert not v.literal(1).is_valid(True)
    assert not v.literal(True).is_valid(1)
    assert not v.literal(1).is_valid(Int64(1))
    assert not v.literal(Int64(1)).is_valid(1)
    assert v.literal(Int64(1)).is_valid(Int64(1))
    assert not v.literal(0.0).is_valid(-0.0)
    with pytest.raises(InvalidValidatorError) as info:
        v.literal(float("nan"))
    assert info.value.code == "UnsupportedFloatLiteral"
    with pytest.raises(InvalidValidatorError):
        v.literal(None)  # type: ignore[arg-type]


def test_union_of_literals_and_mixed_unions():
    kind = v.union(v.literal("a"), v.literal("b"), v.literal(1))
    assert kind.validate("b") == "b"
    assert kind.validate(1) == 1.0
    assert not kind.is_valid("c")
    assert not kind.is_valid(True)
    assert not kind.is_valid([])
    nullable = v.nullable(v.object({"a": v.number()}))
    assert nullable.validate(None) is None
    assert nullable.validate({"a": 1}) == {"a": 1.0}
    assert str(nullable) == "v.union(v.object({a: v.float64()}), v.null())"
    assert not v.union().is_valid(None)


def test_optional_fields():
    validator = v.object({"a": v.optional(v.string())})
    assert validator.validate({}) == {}
    assert validator.validate({"a": "x"}) == {"a": "x"}
    # Present-but-null is not absent.
    assert detail(validator, {"a": None}).startswith("Value does not match validator.\nPath: .a")
    assert v.optional(v.optional(v.string())) == v.optional(v.string())


def test_any_and_optional_any_fields():
    validator = v.object({"a": v.any(), "b": v.optional(v.any())})
    assert validator.validate({"a": None}) == {"a": None}
    assert validator.validate({"a": [1], "b": {"x": 1}}) == {"a": [1], "b": {"x": 1}}
    assert detail(validator, {}).startswith(MISSING.format("a"))


def test_optional_is_only_for_object_fields():
    for build in (
        lambda: v.array(v.optional(v.string())),
        lambda: v.union(v.optional(v.string()), v.null()),
        lambda: v.record(v.string(), v.optional(v.string())),
        lambda: v.record(v.optional(v.string()), v.string()),
    ):
        with pytest.raises(InvalidValidatorError):
            build()


def test_normalisation_returns_new_containers():
    validator = v.object({"xs": v.array(v.number()), "r": v.record(v.string(), v.number())})
    value = {"xs": (1, 2.5), "r": {"k": 3}}
    result = validator.validate(value)
    assert result == {"xs": [1.0, 2.5], "r": {"k": 3.0}}
    assert type(result["xs"]) is list and all(type(x) is float for x in result["xs"])
    assert type(result["r"]["k"]) is float
    assert result is not value


def test_record_key_rules():
    with pytest.raises(InvalidValidatorError) as info:
        v.record(v.number(), v.string())
    assert info.value.message == (
        "Records can only have string keys. Your validator contains a record with key typed "
        "as `v.float64()`, which is not a subtype of `v.string()`"
    )
    assert info.value.code == "InvalidRecordType"
    with pytest.raises(InvalidValidatorError) as info:
        v.record(v.union(v.literal("a"), v.literal("b")), v.string())
    assert info.value.message == "Records cannot have string literal keys"
    assert v.record(v.union(v.id("users"), v.string()), v.any()).is_valid({"k": 1})


def test_object_field_names_must_be_identifiers():
    with pytest.raises(InvalidValidatorError):
        v.object({"not-valid": v.string()})
    with pytest.raises(InvalidValidatorError):
        v.object({"a": "string"})  # type: ignore[dict-item]
    assert v.object({"_id": v.string()}).is_valid({"_id": "x"})


def test_object_helpers():
    base = v.object({"a": v.string(), "b": v.number()})
    assert base.extend({"c": v.null()}) == v.object(
        {"a": v.string(), "b": v.number(), "c": v.null()}
    )
    assert base.pick("a") == v.object({"a": v.string()})
    assert base.omit("a") == v.object({"b": v.number()})
    assert base.partial().validate({}) == {}


# --- args and returns -----------------------------------------------------------------------


def test_validate_args():
    spec = {"author": v.string(), "n": v.optional(v.number())}
    assert validate_args(spec, {"author": "ada", "n": 1}) == {"author": "ada", "n": 1.0}
    assert validate_args(args_validator(spec), {"author": "ada"}) == {"author": "ada"}
    assert validate_args(None, {"anything": 1}) == {"anything": 1}
    assert validate_args(v.any(), {"anything": 1}) == {"anything": 1}
    with pytest.raises(ValidationError) as info:
        validate_args(spec, [1])
    assert info.value.message == (
        "Expected to receive an object as the function's argument. Instead received: [1.0]"
    )
    assert info.value.prefix is None
    with pytest.raises(InvalidValidatorError) as info:
        args_validator(v.string())
    assert info.value.message == "Args validator must be an object or any"


def test_validate_args_checks_ids_with_the_resolver():
    spec = args_validator({"id": v.id("users")})
    with pytest.raises(ValidationError) as info:
        validate_args(spec, {"id": MESSAGES_ID}, table_name_of=TABLES.get)
    assert info.value.message.startswith(
        f'ArgumentValidationError: Found ID "{MESSAGES_ID}" from table `messages`'
    )


def test_validate_returns():
    assert validate_returns(v.number(), 3) == 3.0
    assert validate_returns(None, object) is object
    with pytest.raises(ValidationError) as info:
        validate_returns(v.null(), "x")
    assert info.value.message == (
        'ReturnsValidationError: Value does not match validator.\n\nValue: "x"\nValidator: v.null()'
    )


# --- display, JSON and equality -------------------------------------------------------------


def test_display():
    validator = v.object(
        {
            "b": v.optional(v.number()),
            "a": v.array(v.int64()),
            "c": v.record(v.string(), v.union(v.literal("x"), v.literal(2.5), v.boolean())),
            "d": v.id("users"),
            "e": v.bytes(),
            "f": v.any(),
        }
    )
    assert str(validator) == (
        "v.object({a: v.array(v.int64()), b: v.optional(v.float64()), "
        'c: v.record(v.string(), v.union(v.literal("x"), v.literal(2.5), v.boolean())), '
        'd: v.id("users"), e: v.bytes(), f: v.any()})'
    )
    assert repr(v.optional(v.null())) == "v.optional(v.null())"


def test_to_json_examples():
    assert v.string().to_json() == {"type": "string"}
    assert v.number().to_json() == {"type": "number"}
    assert v.float64().to_json() == {"type": "number"}
    assert v.int64().to_json() == {"type": "bigint"}
    assert v.id("messages").to_json() == {"type": "id", "tableName": "messages"}
    assert v.literal(Int64(1)).to_json() == {
        "type": "literal",
        "value": {"$integer": "AQAAAAAAAAA="},
    }
    assert v.literal(-0.0).to_json() == {"type": "literal", "value": {"$float": "AAAAAAAAAIA="}}
    assert v.object({"a": v.optional(v.string())}).to_json() == {
        "type": "object",
        "value": {"a": {"fieldType": {"type": "string"}, "optional": True}},
    }
    assert v.record(v.string(), v.number()).to_json() == {
        "type": "record",
        "keys": {"type": "string"},
        "values": {"fieldType": {"type": "number"}, "optional": False},
    }
    assert v.union(v.null(), v.literal("a")).to_json() == {
        "type": "union",
        "value": [{"type": "null"}, {"type": "literal", "value": "a"}],
    }


ROUND_TRIP = [
    v.string(),
    v.number(),
    v.int64(),
    v.boolean(),
    v.null(),
    v.bytes(),
    v.any(),
    v.commit_ts(),
    v.id("users"),
    v.literal("a"),
    v.literal(2.5),
    v.literal(-0.0),
    v.literal(True),
    v.literal(Int64(-9)),
    v.array(v.array(v.number())),
    v.record(v.id("users"), v.object({"x": v.optional(v.int64())})),
    v.union(),
    v.union(v.string(), v.object({"kind": v.literal("k"), "tags": v.array(v.string())})),
    v.object({"a": v.optional(v.any()), "b": v.nullable(v.bytes())}),
]


@pytest.mark.parametrize("validator", ROUND_TRIP, ids=str)
def test_json_round_trip(validator):
    assert validator_from_json(validator.to_json()) == validator
    assert validator_from_json(json.dumps(validator.to_json())) == validator


def test_from_json_accepts_upstream_spellings():
    assert validator_from_json({"type": "map"}) == v.any()
    assert validator_from_json({"type": "literal", "value": 3}) == v.literal(3.0)
    exported = (
        '{"type":"object","value":{"author":{"fieldType":{"type":"string"},"optional":true}}}'
    )
    assert validator_from_json(exported) == v.object({"author": v.optional(v.string())})


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"type": "nope"}, "Unknown validator type 'nope'"),
        (
            {
                "type": "record",
                "keys": {"type": "string"},
                "values": {"fieldType": {"type": "string"}, "optional": True},
            },
            "Records cannot have optional values",
        ),
        (
            {"type": "object", "value": {"a": {"fieldType": {"type": "nope"}, "optional": False}}},
            "Invalid validator for key `a`: Unknown validator type 'nope'",
        ),
        ({"type": "literal", "value": None}, "Value null is not a valid literal."),
    ],
)
def test_from_json_errors(raw, message):
    with pytest.raises(InvalidValidatorError) as info:
        validator_from_json(raw)
    assert info.value.message == message


def test_equality_and_hash():
    a = v.object({"x": v.string(), "y": v.optional(v.number())})
    b = v.object({"y": v.optional(v.float64()), "x": v.string()})
    assert a == b and hash(a) == hash(b)
    assert v.optional(v.string()) != v.string()
    assert v.literal(1) != v.literal(True)
    assert v.literal(1) != v.literal(Int64(1))
    assert v.union(v.string(), v.null()) != v.union(v.null(), v.string())
    assert len({v.string(), v.string(), v.number()}) == 2
