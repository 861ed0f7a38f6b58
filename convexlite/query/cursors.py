"""Pagination cursors (spec/database.md §7.5).

A cursor is a position in an index (after a key, or the end) bound to the
query it came from. The string is deterministic (equal positions give equal
strings, which keeps cached results reusable) and authenticated with the
instance secret, so a client can neither forge a position nor reuse it for
another query.
"""

from __future__ import annotations

import hashlib
import hmac
import struct
from dataclasses import dataclass

from convexlite.errors import BadRequestError

_VERSION = 1
_TAG_AFTER = 0
_TAG_END = 1
_MAC_BYTES = 16


class InvalidCursor(BadRequestError):
    code = "InvalidCursor"


@dataclass(frozen=True, slots=True)
class Cursor:
    """`after=None` means the end of the query's range."""

    after: bytes | None
    fingerprint: bytes

    @property
    def is_end(self) -> bool:
        return self.after is None


class CursorCodec:
    def __init__(self, secret: bytes, instance_name: str) -> None:
        self._secret = secret
        self._instance = instance_name.encode()

    def encode(self, cursor: Cursor) -> str:
        tag = _TAG_END if cursor.after is None else _TAG_AFTER
        key = cursor.after or b""
        payload = (
            bytes([_VERSION, tag])
            + struct.pack(">I", len(self._instance))
            + self._instance
            + struct.pack(">I", len(key))
            + key
            + cursor.fingerprint
        )
        return (payload + self._mac(payload)).hex()

    def decode(self, text: str, fingerprint: bytes | None) -> Cursor:
        """Parse a cursor produced for the same query; anything else is InvalidCursor.
        `fingerprint=None` takes a cursor of any query of this deployment: a query of a
        table that no longer exists reads nothing, whatever its cursor says."""
        try:
            raw = bytes.fromhex(text)
        except (ValueError, TypeError):
            raise InvalidCursor(f"Invalid cursor: {text!r} is not a cursor") from None
        payload, mac = raw[:-_MAC_BYTES], raw[-_MAC_BYTES:]
        if len(raw) <= _MAC_BYTES or not hmac.compare_digest(mac, self._mac(payload)):
            raise InvalidCursor("Invalid cursor: it was not produced by this deployment")
        try:
            version, tag = payload[0], payload[1]
            (n,) = struct.unpack_from(">I", payload, 2)
            pos = 6 + n
            (k,) = struct.unpack_from(">I", payload, pos)
            key = payload[pos + 4 : pos + 4 + k]
            found = payload[pos + 4 + k :]
        except (IndexError, struct.error):
            raise InvalidCursor("Invalid cursor: malformed") from None
        if version != _VERSION or (fingerprint is not None and found != fingerprint):
            raise InvalidCursor(
                "InvalidCursor: Tried to run a query starting from a cursor, but it looks like "
                "this cursor is from a different query."
            )
        return Cursor(None if tag == _TAG_END else key, found)

    def _mac(self, payload: bytes) -> bytes:
        return hmac.new(self._secret, payload, hashlib.sha256).digest()[:_MAC_BYTES]
