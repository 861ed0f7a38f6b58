"""Convex-encoded JSON (database.md §1.2, protocol.md §1.2-§1.4).

The same encoding is used on the wire, in query JSON and in the `json_value` column
of persistence, so `dumps`/`loads` run on every stored document write and read.
They use msgspec for the text and a Python walk only for what msgspec cannot know:
int64 and bytes wrappers, non-finite floats, JSON integers that mean float64, and
field-name rules.
"""

from __future__ import annotations

import binascii
import json
import math
import struct
from typing import Any

import msgspec

from convexlite.values.identifiers import admit_field_name, known_field_names
from convexlite.values.int64 import Int64
from convexlite.values.limits import (
    MAX_ARRAY_LEN,
    MAX_NESTING,
    MAX_OBJECT_FIELDS,
    InvalidValueError,
    UnsupportedTypeError,
    _array_too_long,
    _too_many_fields,
    _too_nested,
)
from convexlite.values.types import COMMIT_TS, UNDEFINED


class ConvexJsonError(InvalidValueError):
    """Text or structure that is not valid Convex-encoded JSON."""


_pack_q = struct.Struct("<q").pack
_unpack_q = struct.Struct("<q").unpack
_pack_d = struct.Struct("<d").pack
_unpack_d = struct.Struct("<d").unpack
_b2a = binascii.b2a_base64
_a2b = binascii.a2b_base64
_copysign = math.copysign
_isfinite = math.isfinite

_ENCODER = msgspec.json.Encoder(order="sorted")
_DECODER = msgspec.json.Decoder()


def _b64(b: bytes) -> str:
    return _b2a(b, newline=False).decode("ascii")


def _b64decode(s: Any, what: str) -> bytes:
    if type(s) is not str:
        raise ConvexJsonError(f'{{"{what}": ...}} must hold a base64 string, not {_json_type(s)}')
    try:
        return _a2b(s, strict_mode=True)
    except (binascii.Error, ValueError):
        pass
    # Lenient like the JS client: URL-safe alphabet and missing padding are fine.
    t = s.replace("-", "+").replace("_", "/").rstrip("=")
    if len(t) % 4 != 1:
        try:
            return _a2b(t + "=" * (-len(t) % 4), strict_mode=True)
        except (binascii.Error, ValueError):
            pass
    raise ConvexJsonError(f'Invalid base64 string {s!r} in {{"{what}": ...}}')


def _json_type(x: Any) -> str:
    if x is None:
        return "null"
    if type(x) is bool:
        return "a boolean"
    if type(x) in (int, float):
        return "a number"
    if type(x) is list:
        return "an array"
    if type(x) is dict:
        return "an object"
    return type(x).__qualname__


# ----------------------------------------------------------------------------- encoding


def _float_json(x: float) -> Any:
    if x - x == 0.0 and (x != 0.0 or _copysign(1.0, x) > 0.0):
        return x
    return {"$float": _b64(_pack_d(x))}


def encode_int64(n: int) -> dict[str, str]:
    return {"$integer": _b64(_pack_q(n))}


def _encode_other(v: Any) -> Any:
    """Encoding of everything but str/float/bool/None/dict/list (shared by both walks)."""
    t = type(v)
    if t is Int64:
        return {"$integer": _b64(_pack_q(v))}
    if t is bytes:
        return {"$bytes": _b64(v)}
    if t is int:
        try:
            return _float_json(float(v))
        except OverflowError:
            raise InvalidValueError(f"Integer {v} is too large to be a float64") from None
    if v is UNDEFINED:
        return {"$undefined": None}
    if v is COMMIT_TS:
        return {"$commitTs": None}
    if isinstance(v, bool):
        return bool(v)
    if isinstance(v, Int64):
        return {"$integer": _b64(_pack_q(int(v)))}
    if isinstance(v, int):
        return _encode_other(int(v))
    if isinstance(v, float):
        return _float_json(float(v))
    if isinstance(v, str):
        return str.__str__(v)
    if isinstance(v, (bytes, bytearray, memoryview)):
        return {"$bytes": _b64(bytes(v))}
    raise UnsupportedTypeError(f"{type(v).__qualname__} is not a supported Convex type")


def encode(v: Any) -> Any:
    """A fresh JSON-ready structure (dicts, lists, str, float, bool, None) for `v`.

    Objects come out with keys in ascending order, so any JSON serialiser produces
    the canonical text. Field names are not validated here: values reaching an
    encoder have been checked on their way in.
    """
    t = type(v)
    if t is str or t is bool or v is None:
        return v
    if t is float:
        return _float_json(v)
    if t is dict:
        return {k: encode(v[k]) for k in sorted(v)}
    if t is list or t is tuple:
        return [encode(x) for x in v]
    if isinstance(v, dict):
        return encode(dict(v))
    if isinstance(v, (list, tuple)):
        return encode(list(v))
    return _encode_other(v)


def _prep_dict(d: dict[str, Any]) -> dict[str, Any]:
    out = None
    for k, x in d.items():
        t = type(x)
        if t is str or t is bool or x is None:
            continue
        if t is float:
            if x - x == 0.0 and (x != 0.0 or _copysign(1.0, x) > 0.0):
                continue
            y: Any = {"$float": _b64(_pack_d(x))}
        elif t is dict:
            y = _prep_dict(x)
            if y is x:
                continue
        elif t is list:
            y = _prep_list(x)
            if y is x:
                continue
        else:
            y = _prep_any(x)
        if out is None:
            out = dict(d)
        out[k] = y
    return d if out is None else out


def _prep_list(a: list[Any]) -> list[Any]:
    out = None
    for i, x in enumerate(a):
        t = type(x)
        if t is str or t is bool or x is None:
            continue
        if t is float:
            if x - x == 0.0 and (x != 0.0 or _copysign(1.0, x) > 0.0):
                continue
            y: Any = {"$float": _b64(_pack_d(x))}
        elif t is dict:
            y = _prep_dict(x)
            if y is x:
                continue
        elif t is list:
            y = _prep_list(x)
            if y is x:
                continue
        else:
            y = _prep_any(x)
        if out is None:
            out = list(a)
        out[i] = y
    return a if out is None else out


def _prep_any(v: Any) -> Any:
    t = type(v)
    if t is dict:
        return _prep_dict(v)
    if t is list:
        return _prep_list(v)
    if t is float:
        return _float_json(v)
    if t is str or t is bool or v is None:
        return v
    if t is tuple:
        return _prep_list(list(v))
    if isinstance(v, dict):
        return _prep_dict(dict(v))
    if isinstance(v, (list, tuple)):
        return _prep_list(list(v))
    return _encode_other(v)


def dumpb(v: Any) -> bytes:
    """`dumps` as UTF-8 bytes, for storage layers that keep bytes."""
    try:
        return _ENCODER.encode(_prep_any(v))
    except RecursionError:
        raise _too_nested() from None


def dumps(v: Any) -> str:
    """Canonical Convex JSON text: compact, keys in byte order, UTF-8 (not escaped)."""
    try:
        return _ENCODER.encode(_prep_any(v)).decode("utf-8")
    except RecursionError:
        raise _too_nested() from None


# ----------------------------------------------------------------------------- decoding


def _special(key: str, x: Any, allow_undefined: bool, cts: bool) -> Any:
    """Decode a one-key `$` object; anything unknown is reported as a bad field name."""
    if key == "$integer":
        b = _b64decode(x, key)
        if len(b) != 8:
            raise ConvexJsonError("Int64 must be exactly eight bytes")
        return int.__new__(Int64, _unpack_q(b)[0])
    if key == "$float":
        b = _b64decode(x, key)
        if len(b) != 8:
            raise ConvexJsonError("Float64 must be exactly eight bytes")
        f = _unpack_d(b)[0]
        if f - f == 0.0 and f != 0.0:
            raise ConvexJsonError(f"Float64 {f!r} should be encoded as a number")
        return f
    if key == "$bytes":
        return _b64decode(x, key)
    if key == "$undefined" and allow_undefined:
        if x is not None:
            raise ConvexJsonError('{"$undefined": ...} must hold null')
        return UNDEFINED
    if key == "$commitTs" and cts:
        if x is not None:
            raise ConvexJsonError('{"$commitTs": ...} must hold null')
        return COMMIT_TS
    if key == "$set" or key == "$map":
        kind = "Set" if key == "$set" else "Map"
        raise ConvexJsonError(f"{kind} values ({{{key!r}: ...}}) are no longer supported")
    admit_field_name(key)  # raises: `$` is reserved
    raise AssertionError("unreachable")


def _fix_dict(d: dict[Any, Any], depth: int, undef: bool, undef_fields: bool, cts: bool) -> Any:
    """In place: turn a freshly parsed JSON object into a Convex value. A `$` wrapper is a
    scalar (nesting 0), so it is recognised before the nesting limit applies."""
    n = len(d)
    if n == 1:
        for k in d:
            if k[:1] == "$":
                return _special(k, d[k], undef, cts)
    if depth > MAX_NESTING:
        raise _too_nested()
    if n > MAX_OBJECT_FIELDS:
        raise _too_many_fields(n)
    known = known_field_names
    for k, x in d.items():
        if k not in known:
            admit_field_name(k)
        t = type(x)
        if t is str or t is float or t is bool or x is None:
            continue
        if t is int:
            d[k] = _int_float(x)
        elif t is dict:
            y = _fix_dict(x, depth + 1, undef_fields, False, cts)
            if y is not x:
                d[k] = y
        else:
            _fix_list(x, depth + 1, cts)
    return d


def _fix_list(a: list[Any], depth: int, cts: bool) -> None:
    if depth > MAX_NESTING:
        raise _too_nested()
    if len(a) > MAX_ARRAY_LEN:
        raise _array_too_long(len(a))
    for i, x in enumerate(a):
        t = type(x)
        if t is str or t is float or t is bool or x is None:
            continue
        if t is int:
            a[i] = _int_float(x)
        elif t is dict:
            y = _fix_dict(x, depth + 1, False, False, cts)
            if y is not x:
                a[i] = y
        else:
            _fix_list(x, depth + 1, cts)


def _int_float(n: int) -> float:
    try:
        return float(n)
    except OverflowError:
        raise ConvexJsonError(f"Number {n} is out of range for a float64") from None


def loads(
    s: str | bytes, *, allow_undefined: bool = False, allow_commit_ts: bool = False
) -> Any:
    """Parse Convex JSON text into a value, with the rules of `decode`.

    With `allow_undefined`, `{"$undefined": null}` is accepted as the whole value or
    as a field of the top-level object (a patch removing that field). With
    `allow_commit_ts`, `{"$commitTs": null}` is accepted anywhere, as `COMMIT_TS`.
    """
    try:
        obj = _DECODER.decode(s)
    except msgspec.DecodeError as e:
        raise ConvexJsonError(f"Invalid JSON: {_explain(s, e)}") from None
    except RecursionError:
        raise _too_nested() from None
    except (UnicodeError, ValueError) as e:
        raise ConvexJsonError(f"Invalid JSON: {e}") from None
    t = type(obj)
    if t is dict:
        return _fix_dict(obj, 1, allow_undefined, allow_undefined, allow_commit_ts)
    if t is list:
        _fix_list(obj, 1, allow_commit_ts)
        return obj
    if t is int:
        return _int_float(obj)
    return obj


def _explain(s: str | bytes, e: Exception) -> str:
    # msgspec reports a lone surrogate escape as truncation; the stdlib parser accepts
    # it, which tells the two cases apart.
    try:
        json.loads(s)
    except (ValueError, RecursionError):
        return str(e)
    return "strings must be valid Unicode (found a lone surrogate escape)"


def decode(obj: Any, *, allow_undefined: bool = False, allow_commit_ts: bool = False) -> Any:
    """Turn a parsed JSON structure (from any JSON parser) into a Convex value.

    Strict where Convex is: every JSON number is a float64, the `$integer`, `$float`
    and `$bytes` wrappers must be exact, any other `$` key is an invalid field name,
    and strings must be valid Unicode. Nesting, array length and object field
    counts are held to the value limits; total size is left to the caller's budget.
    The input is not modified. `allow_commit_ts` admits the commit-timestamp placeholder
    `{"$commitTs": null}` anywhere (a mutation's document writes, nothing a client sends).
    """
    return _decode(obj, 0, allow_undefined, allow_undefined, allow_commit_ts)


def _decode(x: Any, depth: int, undef: bool, undef_fields: bool, cts: bool) -> Any:
    t = type(x)
    if t is str:
        if not x.isascii():
            _check_unicode(x)
        return x
    if t is float:
        if x - x != 0.0:
            raise ConvexJsonError(
                f'Float64 {x!r} must be encoded as {{"$float": ...}}, not as a JSON number'
            )
        return x
    if t is bool or x is None:
        return x
    if t is int:
        return _int_float(x)
    if t is dict:
        n = len(x)
        if n == 1:
            for k in x:
                if type(k) is str and k[:1] == "$":
                    return _special(k, x[k], undef, cts)  # a scalar: no nesting
        if depth >= MAX_NESTING:
            raise _too_nested()
        if n > MAX_OBJECT_FIELDS:
            raise _too_many_fields(n)
        out = {}
        known = known_field_names
        for k, y in x.items():
            if k not in known:
                k = admit_field_name(k)
            out[k] = _decode(y, depth + 1, undef_fields, False, cts)
        return out
    if t is list:
        if depth >= MAX_NESTING:
            raise _too_nested()
        if len(x) > MAX_ARRAY_LEN:
            raise _array_too_long(len(x))
        return [_decode(y, depth + 1, False, False, cts) for y in x]
    raise ConvexJsonError(f"{type(x).__qualname__} is not a JSON value")


def _check_unicode(s: str) -> None:
    try:
        s.encode("utf-8")
    except UnicodeEncodeError as e:
        raise ConvexJsonError(
            f"String {s[:40]!r} contains the lone surrogate {s[e.start]!r}; Convex strings "
            "must be valid Unicode"
        ) from None
