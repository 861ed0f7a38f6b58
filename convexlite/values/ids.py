"""Document ID strings (database.md §1.5).

`VInt(table_number) || internal_id[16] || fletcher16 footer`, in lowercase
Crockford base32. IDs are encoded on every insert and decoded on every `get`, so
both directions work on the whole ID as one Python integer instead of byte by
byte: decoding is a `bytes.translate` plus `int(…, 32)`; encoding spreads the 5-bit
groups into bytes with a few shift-and-mask steps, then `bytes.translate`.
Fletcher-16 (mod 256) is read off zlib's Adler-32, whose sums cannot reach its
65521 modulus for inputs this short.
"""

from __future__ import annotations

import base64
import binascii
import os
import time
import zlib
from collections import deque

from convexlite.errors import BadRequestError

ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
INTERNAL_ID_LEN = 16
MAX_TABLE_NUMBER = (1 << 32) - 1

_BYTES_FOR_LENGTH = {31: 19, 32: 20, 34: 21, 36: 22, 37: 23}

# bytes.translate table: Crockford digit -> the digit `int(_, 32)` reads as the same
# value; every other byte -> "!" so that `int` refuses it.
_TO_INT32 = bytes(
    ord("0123456789abcdefghijklmnopqrstuv"[ALPHABET.index(chr(b))] if chr(b) in ALPHABET else "!")
    for b in range(256)
)
_FROM_5BIT = bytes.maketrans(bytes(range(32)), ALPHABET.encode("ascii"))

_adler32 = zlib.adler32
_from_bytes = int.from_bytes


class InvalidIdError(BadRequestError):
    code = "InvalidId"


def _spread_stages(groups: int) -> tuple[tuple[int, int, int], ...]:
    """Masks that move `groups` 5-bit fields of an integer into one byte each.

    Each stage halves the fields per lane and doubles the lane count: the upper half
    of every lane shifts left into the lane above, so after log2(groups) stages
    every byte holds one field, in order.
    """
    total_bits = groups * 8
    stages = []
    lane_bits = total_bits
    field_bits = groups * 5
    while field_bits > 5:
        half = field_bits // 2
        lanes = total_bits // lane_bits
        lo = hi = 0
        for i in range(lanes):
            lo |= ((1 << half) - 1) << (i * lane_bits)
            hi |= ((1 << half) - 1) << (i * lane_bits + half)
        stages.append((lo, hi, lane_bits // 2 - half))
        lane_bits //= 2
        field_bits = half
    return tuple(stages)


(
    (_L1, _H1, _S1),
    (_L2, _H2, _S2),
    (_L3, _H3, _S3),
    (_L4, _H4, _S4),
    (_L5, _H5, _S5),
) = _spread_stages(32)
_STAGES_64 = _spread_stages(64)


def _chars_64(n: int, nchars: int) -> str:
    """Base32 of a number left-aligned in 320 bits."""
    for lo, hi, shift in _STAGES_64:
        n = (n & lo) | ((n & hi) << shift)
    return n.to_bytes(64, "big")[:nchars].translate(_FROM_5BIT).decode("ascii")


def _vint(n: int) -> bytes:
    out = bytearray()
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


# table number -> (VInt as the top bits of the aligned number, Adler-32 state after
# the VInt, alignment shift, string length)
_prefix_cache: dict[int, tuple[int, int, int, int]] = {}


def _prefix(table_number: int) -> tuple[int, int, int, int]:
    if not isinstance(table_number, int) or isinstance(table_number, bool):
        raise InvalidIdError(f"Table number must be an integer, not {table_number!r}")
    table_number = int(table_number)
    if not 0 < table_number <= MAX_TABLE_NUMBER:
        raise InvalidIdError(f"Invalid table number {table_number}")
    vint = _vint(table_number)
    nbits = (len(vint) + INTERNAL_ID_LEN + 2) * 8
    nchars = -(-nbits // 5)
    shift = (160 if nchars <= 32 else 320) - nbits
    entry = (
        _from_bytes(vint, "big") << (nbits - len(vint) * 8 + shift),
        _adler32(vint, 0),
        shift,
        nchars,
    )
    if len(_prefix_cache) < 100_000:
        _prefix_cache[table_number] = entry
    return entry


def encode_id(table_number: int, internal_id: bytes) -> str:
    """The document ID string of (table number, 16-byte internal id)."""
    entry = _prefix_cache.get(table_number)
    if entry is None or type(table_number) is not int:
        entry = _prefix(table_number)
    if len(internal_id) != INTERNAL_ID_LEN:
        raise InvalidIdError(f"Internal id must be 16 bytes, got {len(internal_id)}")
    top, state, shift, nchars = entry
    a = _adler32(internal_id, state)
    n = (
        top
        | (_from_bytes(internal_id, "big") << (16 + shift))
        | ((((a & 0xFF) << 8) | ((a >> 16) & 0xFF)) << shift)
    )
    if nchars > 32:
        return _chars_64(n, nchars)
    n = (n & _L1) | ((n & _H1) << _S1)
    n = (n & _L2) | ((n & _H2) << _S2)
    n = (n & _L3) | ((n & _H3) << _S3)
    n = (n & _L4) | ((n & _H4) << _S4)
    n = (n & _L5) | ((n & _H5) << _S5)
    b = n.to_bytes(32, "big")
    if nchars != 32:
        b = b[:nchars]
    return b.translate(_FROM_5BIT).decode("ascii")


def _invalid(msg: str) -> InvalidIdError:
    return InvalidIdError(f"Unable to decode ID: {msg}")


def decode_id(s: str) -> tuple[int, bytes]:
    """(table number, internal id) of an ID string; anything not canonical is refused."""
    if type(s) is not str:
        raise InvalidIdError(f"Unable to decode ID: expected a string, got {type(s).__name__}")
    length = len(s)
    nbytes = _BYTES_FOR_LENGTH.get(length)
    if nbytes is None:
        raise _invalid(f"Invalid ID length {length}")
    try:
        n = int(s.encode("ascii").translate(_TO_INT32), 32)
    except (ValueError, UnicodeEncodeError):
        raise _invalid("ID wasn't valid base32") from None
    pad = length * 5 - nbytes * 8
    if pad:
        if n & ((1 << pad) - 1):
            raise _invalid("ID wasn't valid base32")
        n >>= pad
    buf = n.to_bytes(nbytes, "big")

    table = buf[0]
    if table < 0x80:
        pos = 1
    elif buf[1] < 0x80:
        # Two-byte VInt: every table number 128..16383, so every user table.
        if buf[1] == 0:
            raise _invalid("Invalid table number")
        table = (table & 0x7F) | (buf[1] << 7)
        pos = 2
    else:
        table &= 0x7F
        pos = 1
        shift = 7
        while True:
            if pos >= 5:
                raise _invalid("Invalid table number")
            byte = buf[pos]
            pos += 1
            table |= (byte & 0x7F) << shift
            if byte < 0x80:
                # A zero last byte is an overlong encoding, which the encoder never
                # produces; nor more than 32 bits.
                if byte == 0 or table > MAX_TABLE_NUMBER:
                    raise _invalid("Invalid table number")
                break
            shift += 7
    if table == 0:
        raise _invalid("Invalid table number")
    end = pos + INTERNAL_ID_LEN
    if end + 2 != nbytes:
        raise _invalid(f"Invalid ID length {length}")
    a = _adler32(buf[:end], 0)
    if buf[end] != a & 0xFF or buf[end + 1] != (a >> 16) & 0xFF:
        footer = buf[end] | (buf[end + 1] << 8)
        expected = (a & 0xFF) | ((a >> 8) & 0xFF00)
        raise _invalid(f"Invalid ID version {footer} (expected {expected})")
    return table, buf[pos:end]


def is_valid_id(s: object) -> bool:
    """True if `s` is a well-formed document ID string (for any table)."""
    try:
        decode_id(s)  # type: ignore[arg-type]
    except InvalidIdError:
        return False
    return True


def table_number_of_id(s: str) -> int:
    return decode_id(s)[0]


# Random bytes are drawn from the OS in batches (one getrandom call per 256 ids);
# deque.popleft is atomic, so threads never share a chunk, and a forked child drops
# the batch it inherited so parent and child cannot hand out the same bytes.
_random_chunks: deque[bytes] = deque()
_RANDOM_BATCH = 256
_day_suffix: dict[int, bytes] = {}


def _refill() -> None:
    pool = os.urandom(14 * _RANDOM_BATCH)
    _random_chunks.extend([pool[i : i + 14] for i in range(0, len(pool), 14)])


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_random_chunks.clear)


def new_internal_id(now_seconds: float | None = None) -> bytes:
    """14 random bytes and the big-endian day number: unguessable, not time-ordered."""
    days = int((time.time() if now_seconds is None else now_seconds) // 86400)
    suffix = _day_suffix.get(days)
    if suffix is None:
        suffix = (days & 0xFFFF).to_bytes(2, "big")
        if len(_day_suffix) > 1000:
            _day_suffix.clear()
        _day_suffix[days] = suffix
    while True:
        try:
            return _random_chunks.popleft() + suffix
        except IndexError:
            _refill()


def internal_id_to_str(b: bytes) -> str:
    """Internal/tablet id as URL-safe base64 without padding (22 chars)."""
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode("ascii")


def str_to_internal_id(s: str) -> bytes:
    """Inverse of `internal_id_to_str`; refuses anything that is not 16 bytes."""
    try:
        b = base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))
    except (binascii.Error, ValueError, TypeError):
        raise InvalidIdError(f"Invalid internal id {s!r}") from None
    if len(b) != INTERNAL_ID_LEN or internal_id_to_str(b) != s:
        raise InvalidIdError(f"Invalid internal id {s!r}")
    return b
