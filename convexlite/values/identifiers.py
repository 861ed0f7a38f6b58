"""Names: identifiers, table names, field names and field paths (database.md §1.3-§1.4).

Identifiers name things that appear in index keys, URLs and generated code (tables,
indexes, functions, field-path components), so they are deliberately narrow:
ASCII letters, digits and `_`, at most 64 bytes, not only underscores. Field names
only have to survive JSON and the `$` wrapper convention, so they are looser.
"""

from __future__ import annotations

import re

from convexlite.errors import BadRequestError

MAX_IDENTIFIER_LEN = 64
MAX_FIELD_NAME_LEN = 1024

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")
# Printable ASCII, not starting with `$`; empty allowed (database.md §1.4).
_FIELD_NAME = re.compile(r"(?:[ -#%-~][ -~]{0,1023})?")


class InvalidIdentifierError(BadRequestError):
    code = "InvalidIdentifier"


class InvalidTableNameError(BadRequestError):
    code = "InvalidTableName"


class InvalidFieldNameError(BadRequestError):
    code = "InvalidFieldName"


class InvalidFieldPathError(BadRequestError):
    code = "InvalidFieldPath"


class InvalidFunctionNameError(BadRequestError):
    code = "InvalidFunctionName"


def is_identifier(s: object) -> bool:
    """True for names usable as table, index, function or field-path component."""
    return type(s) is str and _IDENTIFIER.fullmatch(s) is not None and s.strip("_") != ""


def identifier_problem(s: object) -> str | None:
    """Why `s` is not an identifier, in Convex's words, or None if it is one."""
    if not isinstance(s, str):
        return f"Identifier must be a string, not {type(s).__name__}"
    if s == "":
        return "Identifier cannot be empty"
    first = s[0]
    if not (first == "_" or (first.isascii() and first.isalpha())):
        return (
            f"Invalid first character '{first}' in {s}: Identifiers must start with an "
            "alphabetic character or underscore"
        )
    for c in s:
        if not (c == "_" or (c.isascii() and c.isalnum())):
            return (
                f"Identifier {s} has invalid character '{c}': Identifiers can only contain "
                "alphanumeric characters or underscores"
            )
    if len(s) > MAX_IDENTIFIER_LEN:
        return f"Identifier is too long ({len(s)} > maximum {MAX_IDENTIFIER_LEN})"
    if s.strip("_") == "":
        return f"Identifier {s} cannot have exclusively underscores"
    return None


def check_identifier(s: str) -> str:
    problem = identifier_problem(s)
    if problem is not None:
        raise InvalidIdentifierError(problem)
    return s


def check_table_name(name: str, *, allow_system: bool = False) -> str:
    """Validate a table name; `_`-prefixed (system) names only when `allow_system`.

    User code can never create or address private system tables, so the default
    refuses them.
    """
    problem = identifier_problem(name)
    if problem is not None:
        raise InvalidTableNameError(f"Invalid table name: {name!r}. {problem}")
    if not allow_system and name.startswith("_"):
        raise InvalidTableNameError(
            f"Invalid table name: {name!r}. Table names starting with '_' are reserved for "
            "system tables"
        )
    return name


def field_name_problem(name: object) -> str | None:
    """Why `name` cannot be an object key, in Convex's words, or None if it can."""
    if type(name) is str and _FIELD_NAME.fullmatch(name) is not None:
        return None
    if not isinstance(name, str):
        return f"Field name {name!r} must be a string, not {type(name).__name__}"
    shown = name if name.isprintable() else repr(name)
    if name.startswith("$"):
        return f"Field name {shown} starts with '$', which is reserved."
    for c in name:
        if not (" " <= c <= "~"):
            char = c if c.isprintable() else repr(c)[1:-1]
            return (
                f"Field name {shown} has invalid character '{char}': Field names can only "
                "contain non-control ASCII characters"
            )
    if len(name) > MAX_FIELD_NAME_LEN:
        return f"Field name is too long ({len(name)} > maximum {MAX_FIELD_NAME_LEN})"
    return None  # a str subclass with valid content


# Field names repeat across documents; remembering the valid ones turns the per-key
# check on every write and read into one set lookup. Bounded so hostile input cannot
# grow it without limit.
known_field_names: set[str] = set()
_KNOWN_FIELD_NAMES_MAX = 1 << 16


def admit_field_name(name: object) -> str:
    """Check a key not yet in `known_field_names` and remember it if valid."""
    problem = field_name_problem(name)
    if problem is not None:
        raise InvalidFieldNameError(problem)
    if type(name) is not str:
        name = str.__str__(name)
    if len(known_field_names) >= _KNOWN_FIELD_NAMES_MAX:
        known_field_names.clear()
    known_field_names.add(name)
    return name


def check_field_name(name: str) -> str:
    """Validate an object key (any depth): printable ASCII, no leading `$`, ≤ 1024."""
    problem = field_name_problem(name)
    if problem is not None:
        raise InvalidFieldNameError(problem)
    return name


def parse_field_path(path: str) -> tuple[str, ...]:
    """Split `"a.b.c"` into identifier components, as index and filter paths are written.

    Leading and trailing dots are tolerated (upstream trims them); an empty path or an
    empty component in the middle is not.
    """
    if not isinstance(path, str):
        raise InvalidFieldPathError(f"Field path must be a string, not {type(path).__name__}")
    trimmed = path.strip(".")
    if trimmed == "":
        raise InvalidFieldPathError(f"Invalid field path {path!r}: field paths cannot be empty")
    parts = tuple(trimmed.split("."))
    for part in parts:
        if not is_identifier(part):
            problem = identifier_problem(part)
            raise InvalidFieldPathError(f"Invalid field path {path!r}: {problem}")
    return parts


def check_function_name(name: str) -> str:
    """Validate the function-name half of a `module:function` path."""
    problem = identifier_problem(name)
    if problem is not None:
        raise InvalidFunctionNameError(f"Invalid function name: {name!r}. {problem}")
    return name
