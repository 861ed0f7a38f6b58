"""Export JSON, upstream's "clean lossless" encoding of snapshot ZIPs (database.md §8.2).

Unlike Convex-encoded JSON, an int64 is a bare JSON integer and a finite float64
always carries a fraction or an exponent (`1.0`, `-0.0`, `1e21`), so a reader tells
them apart by their text; only non-finite floats and bytes keep `$` wrappers.
Reading it back: a JSON integer is an int64, any other number a float64, and an
object whose first key starts with `$` is Convex-encoded JSON.
"""

from __future__ import annotations

import binascii
import math
import struct
from typing import Any

import msgspec

from convexlite.values.int64 import Int64
from convexlite.values.json_codec import ConvexJsonError, decode

_pack_d = struct.Struct("<d").pack
_ENCODER = msgspec.json.Encoder()
_DECODER = msgspec.json.Decoder()


def _b64(data: bytes) -> str:
    return binascii.b2a_base64(data, newline=False).decode("ascii")


def to_export(value: Any) -> Any:
    """`value` as a structure whose JSON text is its export JSON."""
    t = type(value)
    if t is str or t is bool or value is None:
        return value
    if t is float:
        return value if math.isfinite(value) else {"$float": _b64(_pack_d(value))}
    if t is dict:
        return {key: to_export(item) for key, item in value.items()}
    if t is list:
        return [to_export(item) for item in value]
    if isinstance(value, Int64):
        return int(value)
    if t is bytes:
        return {"$bytes": _b64(value)}
    if isinstance(value, int):
        return to_export(float(value))
    raise ConvexJsonError(f"{t.__qualname__} is not a Convex value")


def export_line(value: Any) -> bytes:
    """One JSON Lines record of a document, newline included."""
    return _ENCODER.encode(to_export(value)) + b"\n"


def from_export(obj: Any) -> Any:
    """The Convex value an export JSON structure (as parsed by a JSON parser) holds."""
    t = type(obj)
    if t is int:
        return Int64(obj)
    if t is dict:
        for key in obj:
            if key.startswith("$"):
                return decode(obj)
            break
        return {key: from_export(item) for key, item in obj.items()}
    if t is list:
        return [from_export(item) for item in obj]
    return decode(obj)


def parse_export_line(line: bytes | str) -> Any:
    """The value of one export JSON text (a JSON Lines record)."""
    try:
        return from_export(_DECODER.decode(line))
    except msgspec.DecodeError as exc:
        raise ConvexJsonError(f"Invalid JSON: {exc}") from None
