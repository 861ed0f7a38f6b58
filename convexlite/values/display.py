"""Human-readable renderings of Convex values for error messages.

Convex shows values to developers in two different notations, and clients or
tests sometimes match on them, so both are reproduced here:

* `render_value` is the server's notation (the `Display` of upstream's
  `ConvexValue`, crates/value/src/lib.rs), used in validation errors:
  `{author: "ada", n: 5.0, big: 5, blob: b"aGk="}`. Object fields appear
  sorted, floats always carry a fraction or an exponent, int64 is a bare
  integer.
* `stringify_value_for_error` is the npm client's notation (`JSON.stringify`
  with bigints as `"5n"` and undefined as `"undefined"`, truncated at 16384
  UTF-16 units; npm-packages/convex/src/values/value.ts), which is the message
  of a `ConvexError` whose data is not a string.

Python's plain `int` is a float64 in convexlite, so it renders like a float.
Neither function raises: anything that is not a Convex value is shown with
`repr`, because these strings are built while reporting some other error.
"""

from __future__ import annotations

import base64
import json
import math
from decimal import Decimal
from typing import Any

from convexlite import errors
from convexlite.values.int64 import Int64
from convexlite.values.types import UNDEFINED

__all__ = ["render_value", "stringify_value_for_error", "format_float_literal"]

_MAX_VALUE_FOR_ERROR_LEN = 16384
_TRUNCATED = "[...truncated]"


def _shortest_digits(x: float) -> tuple[str, int]:
    """Shortest round-trip digits of abs(x) and the position of the decimal point.

    The value is `0.<digits> * 10**point`; both Rust and JavaScript start from
    these same digits and differ only in layout.
    """
    _, digit_tuple, exponent = Decimal(repr(abs(x))).as_tuple()
    digits = "".join(map(str, digit_tuple)).rstrip("0") or "0"
    return digits, len(digit_tuple) + int(exponent)


def _rust_debug_float(x: float) -> str:
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    sign = "-" if math.copysign(1.0, x) < 0 else ""
    if x == 0:
        return sign + "0.0"
    digits, point = _shortest_digits(x)
    a = abs(x)
    if 1e-4 <= a < 1e16:
        if point <= 0:
            body = "0." + "0" * (-point) + digits
        elif point >= len(digits):
            body = digits + "0" * (point - len(digits)) + ".0"
        else:
            body = digits[:point] + "." + digits[point:]
    else:
        mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        body = f"{mantissa}e{point - 1}"
    return sign + body


def format_float_literal(x: float) -> str:
    """Render a float the way serde_json (ryu) prints it, as in `v.literal(...)`.

    Non-finite floats have no JSON form; upstream shows `<number>` for them.
    """
    if not math.isfinite(x):
        return "<number>"
    sign = "-" if math.copysign(1.0, x) < 0 else ""
    if x == 0:
        return sign + "0.0"
    digits, point = _shortest_digits(x)
    n = len(digits)
    if n <= point <= 16:
        body = digits + "0" * (point - n) + ".0"
    elif 0 < point <= 16:
        body = digits[:point] + "." + digits[point:]
    elif -5 < point <= 0:
        body = "0." + "0" * (-point) + digits
    else:
        mantissa = digits[0] + ("." + digits[1:] if n > 1 else "")
        body = f"{mantissa}e{point - 1}"
    return sign + body


def _js_number(x: float) -> str:
    """ECMAScript Number::toString, restricted to what JSON.stringify emits."""
    if not math.isfinite(x):
        return "null"
    if x == 0:
        return "0"
    sign = "-" if x < 0 else ""
    digits, point = _shortest_digits(x)
    k = len(digits)
    if k <= point <= 21:
        body = digits + "0" * (point - k)
    elif 0 < point <= 21:
        body = digits[:point] + "." + digits[point:]
    elif -6 < point <= 0:
        body = "0." + "0" * (-point) + digits
    else:
        e = point - 1
        mantissa = digits[0] + ("." + digits[1:] if k > 1 else "")
        body = f"{mantissa}e{'+' if e >= 0 else '-'}{abs(e)}"
    return sign + body


def _rust_debug_str(s: str) -> str:
    out = ['"']
    for ch in s:
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\0":
            out.append("\\0")
        elif ch == " " or ch.isprintable():
            out.append(ch)
        else:
            out.append(f"\\u{{{ord(ch):x}}}")
    out.append('"')
    return "".join(out)


def render_value(value: Any) -> str:
    """Render `value` in the server's notation used by validation messages."""
    parts: list[str] = []
    _render_into(value, parts)
    return "".join(parts)


def _render_into(value: Any, out: list[str]) -> None:
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, str):
        out.append(_rust_debug_str(value))
    elif isinstance(value, Int64):
        out.append(str(int(value)))
    elif isinstance(value, float):
        out.append(_rust_debug_float(value))
    elif isinstance(value, int):
        try:
            out.append(_rust_debug_float(float(value)))
        except OverflowError:
            out.append(repr(value))
    elif isinstance(value, bytes | bytearray | memoryview):
        out.append('b"' + base64.b64encode(bytes(value)).decode("ascii") + '"')
    elif isinstance(value, list | tuple):
        out.append("[")
        for i, item in enumerate(value):
            if i:
                out.append(", ")
            _render_into(item, out)
        out.append("]")
    elif isinstance(value, dict):
        out.append("{")
        for i, key in enumerate(sorted(value, key=str)):
            if i:
                out.append(", ")
            out.append(f"{key}: ")
            _render_into(value[key], out)
        out.append("}")
    elif value is UNDEFINED:
        out.append("undefined")
    else:
        out.append(repr(value))


def stringify_value_for_error(value: Any) -> str:
    """Render `value` as the npm client does for a `ConvexError` message."""
    text = _js_stringify(value)
    units = text.encode("utf-16-le", "surrogatepass")
    if len(units) // 2 <= _MAX_VALUE_FOR_ERROR_LEN:
        return text
    cut = _MAX_VALUE_FOR_ERROR_LEN - len(_TRUNCATED)
    last_unit = int.from_bytes(units[2 * (cut - 1) : 2 * cut], "little")
    if 0xD800 <= last_unit <= 0xDBFF:
        cut -= 1
    return units[: 2 * cut].decode("utf-16-le", "surrogatepass") + _TRUNCATED


def _js_string(s: str) -> str:
    return json.dumps(s, ensure_ascii=False)


def _js_stringify(value: Any) -> str:
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return _js_string(value)
    if isinstance(value, Int64):
        return _js_string(f"{int(value)}n")
    if isinstance(value, float):
        return _js_number(value)
    if isinstance(value, int):
        try:
            return _js_number(float(value))
        except OverflowError:
            return "null"
    if isinstance(value, bytes | bytearray | memoryview):
        return "{}"
    if value is UNDEFINED:
        return '"undefined"'
    if isinstance(value, list | tuple):
        return "[" + ",".join(_js_stringify(x) for x in value) + "]"
    if isinstance(value, dict):
        return (
            "{"
            + ",".join(
                f"{_js_string(str(k))}:{_js_stringify(x)}"
                for k, x in value.items()
            )
            + "}"
        )
    return _js_string(repr(value))


errors.register_data_renderer(stringify_value_for_error)
