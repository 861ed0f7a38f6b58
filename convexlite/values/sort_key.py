"""Sort keys: bytes whose `memcmp` order is Convex's value order (database.md §2).

Every index entry is a concatenation of sort keys, so range scans, cursors and
read-set intervals are all plain byte-string operations. The encoding is
self-delimiting, so a composite key compares like the tuple it encodes.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from typing import Any

from convexlite.errors import BadRequestError
from convexlite.values.identifiers import admit_field_name, known_field_names
from convexlite.values.int64 import Int64
from convexlite.values.limits import InvalidValueError, UnsupportedTypeError
from convexlite.values.types import COMMIT_TS, MAX_COMMIT_TS, UNDEFINED

UNDEFINED_KEY = b"\x01"
NULL_KEY = b"\x03"
FALSE_KEY = b"\x0e"
TRUE_KEY = b"\x0f"

_INT_ZERO = 0x08
_FLOAT = 0x0D
_STRING = 0x10
_BYTES = 0x11
_ARRAY = 0x12
_OBJECT = 0x15

_pack_d = struct.Struct(">d").pack
_unpack_d = struct.Struct(">d").unpack
_pack_Q = struct.Struct(">Q").pack
_unpack_Q = struct.Struct(">Q").unpack
_SIGN = 1 << 63
_ALL = (1 << 64) - 1

_INT_FORMATS = {
    1: struct.Struct(">b"),
    2: struct.Struct(">h"),
    4: struct.Struct(">i"),
    8: struct.Struct(">q"),
}
_p8 = _INT_FORMATS[1].pack
_p16 = _INT_FORMATS[2].pack
_p32 = _INT_FORMATS[4].pack
_p64 = _INT_FORMATS[8].pack


class InvalidSortKeyError(BadRequestError):
    code = "InvalidSortKey"


def _float_key(x: float) -> bytes:
    bits = _unpack_Q(_pack_d(x))[0]
    return b"\x0d" + _pack_Q(bits ^ _ALL if bits & _SIGN else bits | _SIGN)


def _int_key(n: int) -> bytes:
    if n < 0:
        if n >= -0x80:
            return b"\x07" + _p8(n)
        if n >= -0x8000:
            return b"\x06" + _p16(n)
        if n >= -0x8000_0000:
            return b"\x05" + _p32(n)
        return b"\x04" + _p64(n)
    if n == 0:
        return b"\x08"
    if n <= 0x7F:
        return b"\x09" + _p8(n)
    if n <= 0x7FFF:
        return b"\x0a" + _p16(n)
    if n <= 0x7FFF_FFFF:
        return b"\x0b" + _p32(n)
    return b"\x0c" + _p64(n)


def _str_key(s: str) -> bytes:
    try:
        return b"\x10" + s.encode("utf-8").replace(b"\x00", b"\x00\xff") + b"\x00"
    except UnicodeEncodeError:
        raise InvalidValueError(f"String {s[:40]!r} is not valid Unicode") from None


def _bytes_key(b: bytes) -> bytes:
    return b"\x11" + b.replace(b"\x00", b"\x00\xff") + b"\x00"


# Field name -> its escaped, terminated key bytes; names repeat across documents.
_name_keys: dict[str, bytes] = {}


def _name_key(k: str) -> bytes:
    # The empty name is followed by 0xFF so that it differs from the terminator.
    key = k.encode("utf-8").replace(b"\x00", b"\x00\xff") + b"\x00" if k else b"\x00\xff"
    if len(_name_keys) > 65536:
        _name_keys.clear()
    _name_keys[k] = key
    return key


def _write(v: Any, out: list[bytes]) -> None:
    add = out.append
    t = type(v)
    if t is dict:
        add(b"\x15")
        names = _name_keys
        for k in sorted(v) if len(v) > 1 else v:
            name = names.get(k)
            add(name if name is not None else _name_key(k))
            x = v[k]
            tx = type(x)
            if tx is str:
                if x.isascii() and "\x00" not in x:
                    add(b"\x10")
                    add(x.encode("ascii"))
                    add(b"\x00")
                else:
                    add(_str_key(x))
            elif tx is float:
                bits = _unpack_Q(_pack_d(x))[0]
                add(b"\x0d" + _pack_Q(bits ^ _ALL if bits & _SIGN else bits | _SIGN))
            elif tx is dict or tx is list or tx is tuple:
                _write(x, out)
            else:
                add(_scalar_key(x))
        add(b"\x00")
    elif t is list or t is tuple:
        add(b"\x12")
        for x in v:
            tx = type(x)
            if tx is str:
                if x.isascii() and "\x00" not in x:
                    add(b"\x10")
                    add(x.encode("ascii"))
                    add(b"\x00")
                else:
                    add(_str_key(x))
            elif tx is dict or tx is list or tx is tuple:
                _write(x, out)
            else:
                add(_scalar_key(x))
        add(b"\x00")
    else:
        add(_scalar_key(v))


def _scalar_key(v: Any) -> bytes:
    t = type(v)
    if t is str:
        return _str_key(v)
    if t is float or t is int:
        return _float_key(v)
    if t is bool:
        return TRUE_KEY if v else FALSE_KEY
    if v is None:
        return NULL_KEY
    if t is Int64:
        return _int_key(v)
    if t is bytes:
        return _bytes_key(v)
    if isinstance(v, (dict, list, tuple)):
        out: list[bytes] = []
        _write(dict(v) if isinstance(v, dict) else list(v), out)
        return b"".join(out)
    if isinstance(v, bool):
        return TRUE_KEY if v else FALSE_KEY
    if isinstance(v, Int64):
        return _int_key(int(v))
    if isinstance(v, (int, float)):
        return _float_key(float(v))
    if isinstance(v, str):
        return _str_key(str.__str__(v))
    if isinstance(v, (bytes, bytearray, memoryview)):
        return _bytes_key(bytes(v))
    if v is COMMIT_TS:
        # The pre-commit view: an unresolved commit timestamp sorts after every real one.
        return _int_key(MAX_COMMIT_TS)
    if v is UNDEFINED:
        raise InvalidValueError("undefined has no sort key here; use sort_key_maybe")
    raise UnsupportedTypeError(f"{type(v).__qualname__} is not a supported Convex type")


def sort_key(v: Any) -> bytes:
    """The sort key of a value; a plain `int` is a float64, as everywhere else."""
    t = type(v)
    if t is dict or t is list or t is tuple:
        out: list[bytes] = []
        _write(v, out)
        return b"".join(out)
    return _scalar_key(v)


def sort_key_maybe(v: Any) -> bytes:
    """`sort_key`, with `UNDEFINED` (a missing field) sorting before everything."""
    if v is UNDEFINED:
        return UNDEFINED_KEY
    return sort_key(v)


def composite_key(values: Iterable[Any]) -> bytes:
    """Index key of a tuple of optional values: the concatenation of their keys."""
    return b"".join([UNDEFINED_KEY if v is UNDEFINED else sort_key(v) for v in values])


def compare(a: Any, b: Any) -> int:
    """-1, 0 or 1 in Convex's total order (either side may be `UNDEFINED`)."""
    ka = sort_key_maybe(a)
    kb = sort_key_maybe(b)
    return (ka > kb) - (ka < kb)


# ----------------------------------------------------------------------------- decoding


def _bad(msg: str) -> InvalidSortKeyError:
    return InvalidSortKeyError(f"Invalid sort key: {msg}")


# tag -> (width, negative)
_INT_TAGS = {
    0x04: (8, True),
    0x05: (4, True),
    0x06: (2, True),
    0x07: (1, True),
    0x09: (1, False),
    0x0A: (2, False),
    0x0B: (4, False),
    0x0C: (8, False),
}
_WIDTH_MIN = {1: 0, 2: 0x80, 4: 0x8000, 8: 0x8000_0000}


def _read_escaped(b: bytes, pos: int) -> tuple[bytes, int]:
    start = pos
    escaped = False
    find = b.find
    while True:
        i = find(b"\x00", pos)
        if i < 0:
            raise _bad("unterminated string")
        if i + 1 < len(b) and b[i + 1] == 0xFF:
            escaped = True
            pos = i + 2
            continue
        seg = b[start:i]
        return (seg.replace(b"\x00\xff", b"\x00") if escaped else seg), i + 1


def _parse(b: bytes, pos: int, depth: int) -> tuple[Any, int]:
    if pos >= len(b):
        raise _bad("truncated")
    tag = b[pos]
    pos += 1
    if tag == _STRING:
        raw, pos = _read_escaped(b, pos)
        try:
            return raw.decode("utf-8"), pos
        except UnicodeDecodeError:
            raise _bad("string is not UTF-8") from None
    if tag == _FLOAT:
        if pos + 8 > len(b):
            raise _bad("truncated float64")
        bits = _unpack_Q(b[pos : pos + 8])[0]
        bits = bits ^ _SIGN if bits & _SIGN else bits ^ _ALL
        return _unpack_d(_pack_Q(bits))[0], pos + 8
    if tag == 0x03:
        return None, pos
    if tag == 0x0E:
        return False, pos
    if tag == 0x0F:
        return True, pos
    if tag == _INT_ZERO:
        return Int64(0), pos
    if tag in _INT_TAGS:
        width, negative = _INT_TAGS[tag]
        if pos + width > len(b):
            raise _bad("truncated int64")
        n = _INT_FORMATS[width].unpack(b[pos : pos + width])[0]
        if (n < 0) != negative or n == 0:
            raise _bad(f"int64 payload {n} does not match tag 0x{tag:02x}")
        if (-n if negative else n + 1) <= _WIDTH_MIN[width]:
            raise _bad(f"int64 {n} is not encoded in its shortest width")
        return int.__new__(Int64, n), pos + width
    if tag == _BYTES:
        return _read_escaped(b, pos)
    if depth >= 64:
        raise _bad("too deeply nested")
    if tag == _ARRAY:
        items: list[Any] = []
        while True:
            if pos >= len(b):
                raise _bad("unterminated array")
            if b[pos] == 0:
                return items, pos + 1
            x, pos = _parse(b, pos, depth + 1)
            items.append(x)
    if tag == _OBJECT:
        obj: dict[str, Any] = {}
        last: str | None = None
        while True:
            if pos >= len(b):
                raise _bad("unterminated object")
            if b[pos] == 0:
                if pos + 1 < len(b) and b[pos + 1] == 0xFF:
                    name = ""
                    pos += 2
                else:
                    return obj, pos + 1
            else:
                raw, pos = _read_escaped(b, pos)
                try:
                    name = raw.decode("ascii")
                except UnicodeDecodeError:
                    raise _bad("field name is not ASCII") from None
                if name not in known_field_names:
                    admit_field_name(name)
            if last is not None and name <= last:
                raise _bad("object fields are not in ascending order")
            last = name
            obj[name], pos = _parse(b, pos, depth + 1)
    if tag == 0x01:
        raise _bad("undefined inside a value")
    raise _bad(f"unknown tag 0x{tag:02x}")


def decode_sort_key(b: bytes) -> Any:
    """The value a sort key encodes; `b"\\x01"` gives `UNDEFINED`.

    Strict: anything `sort_key` would not have produced (non-minimal integer widths,
    unsorted fields, trailing bytes) is rejected, so keys read back from cursors or
    storage are trustworthy.
    """
    b = bytes(b)
    if b == UNDEFINED_KEY:
        return UNDEFINED
    v, pos = _parse(b, 0, 0)
    if pos != len(b):
        raise _bad(f"{len(b) - pos} trailing bytes")
    return v


def decode_composite_key(b: bytes) -> tuple[Any, ...]:
    """Split an index key back into its values (`UNDEFINED` for missing ones)."""
    b = bytes(b)
    out = []
    pos = 0
    while pos < len(b):
        if b[pos] == 0x01:
            out.append(UNDEFINED)
            pos += 1
        else:
            v, pos = _parse(b, pos, 0)
            out.append(v)
    return tuple(out)
