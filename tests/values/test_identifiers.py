import pytest

from convexlite.values import (
    InvalidFieldNameError,
    InvalidFieldPathError,
    InvalidFunctionNameError,
    InvalidIdentifierError,
    InvalidTableNameError,
    check_field_name,
    check_function_name,
    check_identifier,
    check_table_name,
    is_identifier,
    parse_field_path,
)


@pytest.mark.parametrize(
    "name", ["a", "A", "_a", "a1", "hello_world", "_tables", "x" * 64, "_" + "a" * 63, "a__"]
)
def test_identifiers(name):
    assert is_identifier(name)
    assert check_identifier(name) == name


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "Identifier cannot be empty"),
        ("1a", "Invalid first character '1' in 1a: Identifiers must start with an alphabetic"),
        ("a-b", "Identifier a-b has invalid character '-': Identifiers can only contain"),
        ("é", "Invalid first character 'é'"),
        ("aé", "has invalid character 'é'"),
        ("a b", "has invalid character ' '"),
        ("x" * 65, "Identifier is too long (65 > maximum 64)"),
        ("_", "Identifier _ cannot have exclusively underscores"),
        ("___", "cannot have exclusively underscores"),
    ],
)
def test_not_identifiers(name, message):
    assert not is_identifier(name)
    with pytest.raises(InvalidIdentifierError) as info:
        check_identifier(name)
    assert message in info.value.message


def test_is_identifier_other_types():
    assert not is_identifier(5)
    assert not is_identifier(None)
    assert not is_identifier("a\n")


def test_table_names():
    assert check_table_name("messages") == "messages"
    assert check_table_name("_tables", allow_system=True) == "_tables"
    with pytest.raises(InvalidTableNameError) as info:
        check_table_name("_tables")
    assert "reserved for system tables" in info.value.message
    assert info.value.code == "InvalidTableName"
    for bad in ("", "1abc", "one_tw!o", "_____", "sujays_edgè_cäsê", "a" * 65):
        with pytest.raises(InvalidTableNameError):
            check_table_name(bad, allow_system=True)


def test_field_names():
    for ok in ("", "a", " ", "~", "_id", "with space", "a.b", "!#%", "x" * 1024):
        assert check_field_name(ok) == ok
    cases = [
        ("$x", "Field name $x starts with '$', which is reserved."),
        ("a\x00", "has invalid character '\\x00': Field names can only contain non-control"),
        ("a\x7f", "has invalid character"),
        ("tab\t", "has invalid character"),
        ("é", "has invalid character 'é'"),
        ("x" * 1025, "Field name is too long (1025 > maximum 1024)"),
    ]
    for bad, message in cases:
        with pytest.raises(InvalidFieldNameError) as info:
            check_field_name(bad)
        assert message in info.value.message
        assert info.value.code == "InvalidFieldName"


def test_field_paths():
    assert parse_field_path("a") == ("a",)
    assert parse_field_path("a.b.c") == ("a", "b", "c")
    assert parse_field_path(".a.b.") == ("a", "b")
    assert parse_field_path("_creationTime") == ("_creationTime",)
    for bad in ("", ".", "..", "a..b", "a.1b", "a.$b", "a.b-c", "a." + "x" * 65):
        with pytest.raises(InvalidFieldPathError):
            parse_field_path(bad)


def test_function_names():
    assert check_function_name("list") == "list"
    assert check_function_name("_private") == "_private"
    for bad in ("", "a:b", "a.b", "__", "9x"):
        with pytest.raises(InvalidFunctionNameError):
            check_function_name(bad)
