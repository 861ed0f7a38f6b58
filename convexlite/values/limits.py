"""Validation, normalisation and sizing of values written by user code.

Everything a function hands to the database or returns to a client passes through
`check_value` (or `check_document`), so it validates, normalises and measures in
one walk: the limits of database.md §1.1/§1.4 and protocol.md §1.5-§1.6 all depend
on the same traversal, and the walk runs on every write.
"""

from __future__ import annotations

from bisect import bisect_left
from typing import Any

from convexlite.errors import BadRequestError
from convexlite.values.display import render_value
from convexlite.values.identifiers import admit_field_name, known_field_names
from convexlite.values.int64 import INT64_MAX, INT64_MIN, Int64, Int64RangeError
from convexlite.values.types import COMMIT_TS, UNDEFINED

MAX_VALUE_SIZE = 1 << 25
MAX_NESTING = 64
MAX_ARRAY_LEN = 8192
MAX_OBJECT_FIELDS = 1024
MAX_DOCUMENT_SIZE = 1 << 20
MAX_DOCUMENT_NESTING = 16

SYSTEM_FIELDS = frozenset(("_id", "_creationTime"))


class InvalidValueError(BadRequestError, ValueError):
    """The value is not a Convex value (wrong Python type, invalid string, ...)."""

    code = "InvalidValue"


class UnsupportedTypeError(InvalidValueError, TypeError):
    pass


class ValueTooLargeError(BadRequestError):
    code = "ValueTooLargeError"


class TooNestedError(BadRequestError):
    code = "TooNestedError"


class ArrayTooLongError(BadRequestError):
    code = "ArrayTooLong"


class TooManyFieldsError(BadRequestError):
    code = "TooManyFieldsError"


class InvalidDocumentError(BadRequestError):
    code = "InvalidDocumentError"


def format_size(n: int) -> str:
    """Bytes in binary units the way Convex prints them (`1 MiB`, `1.05 MiB`, `512 B`)."""
    if n < 1024:
        return f"{n} B"
    value = float(n)
    for unit in ("KiB", "MiB", "GiB", "TiB"):
        value /= 1024.0
        if value < 1024.0 or unit == "TiB":
            break
    if value == int(value):
        return f"{int(value)} {unit}"
    return f"{value:.2f} {unit}"


def _too_large(size: int, limit: int) -> ValueTooLargeError:
    return ValueTooLargeError(
        f"Value is too large ({format_size(size)} > maximum size {format_size(limit)})"
    )


def _too_nested() -> TooNestedError:
    # Convex measures nesting bottom-up and stops at the first level past the limit, so
    # the level it reports is always MAX_NESTING + 1.
    return TooNestedError(
        f"Value is too nested (nested {MAX_NESTING + 1} levels deep > maximum nesting "
        f"{MAX_NESTING})"
    )


def _array_too_long(n: int) -> ArrayTooLongError:
    return ArrayTooLongError(f"Array length is too long ({n} > maximum length {MAX_ARRAY_LEN})")


def _too_many_fields(n: int) -> TooManyFieldsError:
    return TooManyFieldsError(
        f"Object has too many fields ({n} > maximum number {MAX_OBJECT_FIELDS})"
    )


def _type_name(x: Any) -> str:
    if x is UNDEFINED:
        return "undefined"
    return type(x).__qualname__


class _Unsupported(Exception):
    """Internal: carries the offending object up to the entry point, which adds a path."""

    def __init__(self, offender: Any, message: str, cls: type[InvalidValueError]) -> None:
        super().__init__(message)
        self.offender = offender
        self.message = message
        self.cls = cls


def _string_size(s: str) -> int:
    try:
        return len(s.encode("utf-8")) + 2
    except UnicodeEncodeError as e:
        bad = s[e.start]
        raise _Unsupported(
            s,
            f"String {s[:40]!r} contains the lone surrogate {bad!r}; Convex strings must be "
            "valid Unicode",
            InvalidValueError,
        ) from None


def _int_to_float(n: int) -> float:
    try:
        return float(n)
    except OverflowError:
        raise _Unsupported(
            n, f"Integer {n} is too large to be a float64", InvalidValueError
        ) from None


def _normalize_other(x: Any) -> tuple[Any, int]:
    """Values of unusual types: subclasses and byte buffers. Returns (value, size)."""
    if isinstance(x, bool):
        return bool(x), 1
    if isinstance(x, Int64):
        n = int(x)
        if not INT64_MIN <= n <= INT64_MAX:
            raise Int64RangeError(f"Int64 {n} does not fit into a 64-bit signed integer")
        return Int64(n), 9
    if isinstance(x, int):
        return _int_to_float(int(x)), 9
    if isinstance(x, float):
        return float(x), 9
    if isinstance(x, str):
        s = str.__str__(x)
        return s, (len(s) + 2 if s.isascii() else _string_size(s))
    if isinstance(x, (bytes, bytearray, memoryview)):
        b = bytes(x)
        return b, len(b) + 2
    if x is COMMIT_TS:
        return x, 9
    name = _type_name(x)
    if name == "undefined":
        raise _Unsupported(x, "undefined is not a valid Convex value", UnsupportedTypeError)
    raise _Unsupported(x, f"{name} is not a supported Convex type", UnsupportedTypeError)


def _check_list(a: Any, depth: int) -> tuple[list[Any], int, int]:
    if depth > MAX_NESTING:
        raise _too_nested()
    n = len(a)
    if n > MAX_ARRAY_LEN:
        raise _array_too_long(n)
    out: list[Any] = []
    add = out.append
    size = 2
    nest = 1
    for x in a:
        t = type(x)
        if t is str:
            size += len(x) + 2 if x.isascii() else _string_size(x)
        elif t is float:
            size += 9
        elif t is dict:
            x, s, m = _check_dict(x, depth + 1)
            size += s
            if m >= nest:
                nest = m + 1
        elif t is bool or x is None:
            size += 1
        elif t is Int64:
            size += 9
        elif t is int:
            x = _int_to_float(x)
            size += 9
        elif t is list or t is tuple:
            x, s, m = _check_list(x, depth + 1)
            size += s
            if m >= nest:
                nest = m + 1
        elif t is bytes:
            size += len(x) + 2
        elif isinstance(x, (dict, list, tuple)):
            x, s, m = (_check_dict if isinstance(x, dict) else _check_list)(x, depth + 1)
            size += s
            if m >= nest:
                nest = m + 1
        else:
            x, s = _normalize_other(x)
            size += s
        add(x)
    if size > MAX_VALUE_SIZE:
        raise _too_large(size, MAX_VALUE_SIZE)
    return out, size, nest


def _check_dict(d: Any, depth: int) -> tuple[dict[str, Any], int, int]:
    if depth > MAX_NESTING:
        raise _too_nested()
    n = len(d)
    if n > MAX_OBJECT_FIELDS:
        raise _too_many_fields(n)
    out = {}
    size = 2
    nest = 1
    known = known_field_names
    for k in _sorted_keys(d) if n > 1 else d:
        x = d[k]
        if k not in known:
            k = admit_field_name(k)
        t = type(x)
        if t is str:
            size += len(k) + 3 + (len(x) if x.isascii() else _string_size(x) - 2)
        elif t is float:
            size += len(k) + 10
        elif t is dict:
            x, s, m = _check_dict(x, depth + 1)
            size += len(k) + 1 + s
            if m >= nest:
                nest = m + 1
        elif t is bool or x is None:
            size += len(k) + 2
        elif t is Int64:
            size += len(k) + 10
        elif t is int:
            x = _int_to_float(x)
            size += len(k) + 10
        elif t is list or t is tuple:
            x, s, m = _check_list(x, depth + 1)
            size += len(k) + 1 + s
            if m >= nest:
                nest = m + 1
        elif t is bytes:
            size += len(k) + 3 + len(x)
        elif isinstance(x, (dict, list, tuple)):
            x, s, m = (_check_dict if isinstance(x, dict) else _check_list)(x, depth + 1)
            size += len(k) + 1 + s
            if m >= nest:
                nest = m + 1
        else:
            x, s = _normalize_other(x)
            size += len(k) + 1 + s
        out[k] = x
    if size > MAX_VALUE_SIZE:
        raise _too_large(size, MAX_VALUE_SIZE)
    return out, size, nest


def _sorted_keys(d: Any) -> list[Any]:
    try:
        return sorted(d)
    except TypeError:
        for k in d:
            admit_field_name(k)  # raises for the key that is not a string
        raise


def _check(v: Any) -> tuple[Any, int, int]:
    t = type(v)
    if t is dict:
        return _check_dict(v, 1)
    if t is list or t is tuple:
        return _check_list(v, 1)
    if t is str:
        size = len(v) + 2 if v.isascii() else _string_size(v)
    elif t is float or t is Int64:
        size = 9
    elif t is bool or v is None:
        size = 1
    elif t is int:
        v = _int_to_float(v)
        size = 9
    elif t is bytes:
        size = len(v) + 2
    elif isinstance(v, dict):
        return _check_dict(v, 1)
    elif isinstance(v, (list, tuple)):
        return _check_list(v, 1)
    else:
        v, size = _normalize_other(v)
    if size > MAX_VALUE_SIZE:
        raise _too_large(size, MAX_VALUE_SIZE)
    return v, size, 0


def _checked(v: Any) -> tuple[Any, int, int]:
    try:
        return _check(v)
    except _Unsupported as e:
        path = _path_to(v, e.offender)
        message = e.message
        if path is not None and path != "":
            message = f"{message} (present at path {path} in original object)"
        raise e.cls(message) from None


def check_value(v: Any) -> Any:
    """Validate a value written by user code; return a normalized deep copy.

    The copy belongs to the caller (later changes to `v` cannot reach the database),
    plain ints become floats, tuples lists, and objects have their keys in ascending
    order, the order Convex stores and returns them in.
    """
    return _checked(v)[0]


def check_value_sized(v: Any) -> tuple[Any, int]:
    """`check_value` that also returns `value_size` of the result, in the same walk."""
    out, size, _ = _checked(v)
    return out, size


def check_document(doc: Any) -> dict[str, Any]:
    """`check_value` plus the rules for a stored document (database.md §1.4)."""
    return check_document_sized(doc)[0]


def check_document_sized(doc: Any) -> tuple[dict[str, Any], int]:
    """`check_document` that also returns the document's size, in the same walk.

    Size and nesting count every field present, so call it on the document with its
    system fields, as Convex does.
    """
    if not isinstance(doc, dict):
        raise InvalidDocumentError(f"A document must be an object, not {_type_name(doc)}")
    out, size, nest = _checked(doc)
    # Keys come back sorted, so the `_` names sit together between "_" and "`".
    keys = list(out)
    i = bisect_left(keys, "_")
    j = bisect_left(keys, "`", i)
    if j - i:
        for k in keys[i:j]:
            if k not in SYSTEM_FIELDS:
                raise InvalidDocumentError(
                    f"Field '{k}' starts with an underscore, which is only allowed for system "
                    "fields like '_id'"
                )
        doc_id = out.get("_id", "")
        if type(doc_id) is not str:
            raise InvalidDocumentError(f"The '_id' field {_show(doc_id)} must be an Id")
        t = out.get("_creationTime", 1.0)
        if type(t) is not float or not 0.0 < t < 9007199254740992.0:
            check_creation_time(t)
    if nest > MAX_DOCUMENT_NESTING:
        raise InvalidDocumentError(
            f"Document is too nested (nested {nest} levels deep > maximum nesting "
            f"{MAX_DOCUMENT_NESTING})"
        )
    if size > MAX_DOCUMENT_SIZE:
        raise _too_large(size, MAX_DOCUMENT_SIZE)
    return out, size


def check_creation_time(t: Any) -> float:
    """`_creationTime` is float64 milliseconds with 0 < t < 2^53."""
    if type(t) is not float:
        raise InvalidDocumentError(f"The '_creationTime' field should be a float, is {_show(t)}")
    if not 0.0 < t < 9007199254740992.0:
        raise InvalidDocumentError(
            f"The '_creationTime' field should be a timestamp in milliseconds, is {t!r}"
        )
    return t


def _show(x: Any) -> str:
    try:
        return render_value(x)
    except Exception:
        return repr(x)


def value_size(v: Any) -> int:
    """Convex's size of a value (database.md §1.1), used for every byte limit.

    Assumes `v` is already a valid value (e.g. read from storage); plain ints count
    as float64.
    """
    t = type(v)
    if t is dict:
        size = 2
        for k, x in v.items():
            tx = type(x)
            if tx is str:
                size += len(k) + 3 + (len(x) if x.isascii() else len(x.encode("utf-8")))
            elif tx is float or tx is Int64 or tx is int:
                size += len(k) + 10
            elif tx is bool or x is None:
                size += len(k) + 2
            else:
                size += len(k) + 1 + value_size(x)
        return size
    if t is str:
        return len(v) + 2 if v.isascii() else len(v.encode("utf-8")) + 2
    if t is float or t is Int64 or t is int:
        return 9
    if t is bool or v is None:
        return 1
    if t is list or t is tuple:
        size = 2
        for x in v:
            size += value_size(x)
        return size
    if isinstance(v, (bytes, bytearray, memoryview)):
        return len(v) + 2
    if isinstance(v, dict):
        return value_size(dict(v))
    if isinstance(v, (list, tuple)):
        return value_size(list(v))
    return _normalize_other(v)[1]


def value_nesting(v: Any) -> int:
    """Nesting depth: 0 for scalars, 1 + deepest child for arrays and objects."""
    if isinstance(v, dict):
        return 1 + max(map(value_nesting, v.values()), default=0)
    if isinstance(v, (list, tuple)):
        return 1 + max(map(value_nesting, v), default=0)
    return 0


def _path_to(root: Any, target: Any) -> str | None:
    """JavaScript-style path (`.a[0].b`) to the object `target` inside `root`."""
    stack: list[tuple[Any, str]] = [(root, "")]
    while stack:
        node, path = stack.pop()
        if node is target:
            return path
        if isinstance(node, dict):
            for k, x in node.items():
                stack.append((x, f"{path}.{k}"))
        elif isinstance(node, (list, tuple)):
            for i, x in enumerate(node):
                stack.append((x, f"{path}[{i}]"))
    return None
