"""Wire formats shared by every transport: timestamps, result renderings, function arguments.

The HTTP API, the sync protocol and snapshot export speak the same formats
(spec/protocol.md §1.8–§1.10), so each has one home here rather than one per
transport.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from typing import Any, Literal

from convexlite.errors import BadRequestError, ConvexBackendError
from convexlite.values.function_paths import canonical_js
from convexlite.values.int64 import Int64
from convexlite.values.json_codec import decode, encode

Format = Literal["encoded", "clean", "export"]

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"", "0", "false", "no", "off"})


class InvalidTimestamp(ValueError):
    """Text that is not an EncodedTS."""


class InvalidFunctionArguments(BadRequestError):
    """Wire arguments that are not one object of Convex values."""

    code = "BadRequest"


def encode_ts(ts: int) -> str:
    """EncodedTS (§1.9): padded base64 of the u64's 8 little-endian bytes."""
    return base64.b64encode(ts.to_bytes(8, "little")).decode("ascii")


def decode_ts(text: Any) -> int:
    if not isinstance(text, str):
        raise InvalidTimestamp(f"invalid timestamp {text!r}: expected a base64 string")
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidTimestamp(f"invalid base64 timestamp {text!r}") from exc
    if len(raw) != 8:
        raise InvalidTimestamp(f"timestamp {text!r} is not 8 bytes")
    return int.from_bytes(raw, "little")


def parse_flag(text: str) -> bool | None:
    """The one boolean rule for settings and URL options: `1/true/yes/on` is true,
    `0/false/no/off` or empty is false, anything else None (callers refuse it, so a
    typo is never silently read as either)."""
    flag = text.strip().lower()
    if flag in _TRUE:
        return True
    if flag in _FALSE:
        return False
    return None


def decode_function_args(raw: Any, path: str) -> dict[str, Any]:
    """Wire arguments (§1.10): an object, or an array holding exactly one object."""
    try:
        decoded = decode(raw)
    except ConvexBackendError as exc:
        raise InvalidFunctionArguments(
            f"Invalid arguments for {canonical_js(path)}: {exc.message}"
        ) from None
    if isinstance(decoded, list):
        if len(decoded) != 1:
            raise InvalidFunctionArguments(
                "Expected to receive a single object as the function's argument. Instead "
                f"received {len(decoded)} arguments: {json.dumps(raw)}"
            )
        decoded = decoded[0]
    if not isinstance(decoded, dict):
        raise InvalidFunctionArguments(
            "Expected to receive an object as the function's argument. Instead received: "
            f"{json.dumps(raw)}"
        )
    return decoded


def render(value: Any, fmt: Format) -> Any:
    """A result in one of the three renderings of §1.8."""
    if fmt == "encoded":
        return encode(value)
    if fmt == "clean":
        return _clean(value)
    return _export(value)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _clean(v: Any) -> Any:
    if v is None or isinstance(v, (bool, str)):
        return v
    if isinstance(v, Int64):
        return str(int(v))
    if isinstance(v, (int, float)):
        v = float(v)
        if math.isnan(v):
            return "NaN"
        if math.isinf(v):
            return "Infinity" if v > 0 else "-Infinity"
        return v
    if isinstance(v, bytes):
        return _b64(v)
    if isinstance(v, dict):
        return {k: _clean(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_clean(x) for x in v]
    return encode(v)


def _export(v: Any) -> Any:
    if v is None or isinstance(v, (bool, str)):
        return v
    if isinstance(v, Int64):
        return int(v)
    if isinstance(v, (int, float)):
        v = float(v)
        return v if math.isfinite(v) else encode(v)
    if isinstance(v, bytes):
        return {"$bytes": _b64(v)}
    if isinstance(v, dict):
        return {k: _export(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_export(x) for x in v]
    return encode(v)
