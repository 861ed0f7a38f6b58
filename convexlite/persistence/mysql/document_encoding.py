"""Documents as upstream's MySQL backend stores them (spec/database.md §4.4)."""

from __future__ import annotations

import struct

import lz4.block

from convexlite.persistence.errors import CorruptedStoreError
from convexlite.values import decode_sort_key, dumps

# Upstream's v1 document encoding compresses against this fixed dictionary;
# it can never change without breaking every stored v1 document.
V1_DICTIONARY = b'{"$integer":"AAAAAAAAAAA="},\x00_id\x00\x10\x15_creationTime\x00\x0d'
V1_TAG = 1

# Far above any document (1 MiB), low enough that a corrupt header cannot
# make decompression allocate gigabytes.
_MAX_V1_SIZE = 64 * 1024 * 1024


def decode_document(value: bytes) -> str | None:
    """Internal JSON text of a stored `json_value`, or None for a tombstone.

    Like upstream, this alone tells a tombstone apart; the `deleted` column
    is written for upstream's sake but never read.

    Upstream has written three forms over time (spec/database.md §4.4): empty
    bytes, JSON text (v0, where `null` is a tombstone) and v1, an LZ4 block of
    the document's sort key. Anything that is not empty or v1 is read as JSON
    text, since the `Persistence` protocol stores any JSON, not only objects.
    """
    if not value:
        return None
    if value[0] == V1_TAG:
        return _decode_v1(value)
    try:
        text = value.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CorruptedStoreError(f"stored document is not UTF-8 JSON text: {exc}") from exc
    return None if text == "null" else text


def _decode_v1(value: bytes) -> str:
    if len(value) < 5:
        raise CorruptedStoreError("v1 document is shorter than its 5-byte header")
    (size,) = struct.unpack_from(">I", value, 1)
    if size > _MAX_V1_SIZE:
        raise CorruptedStoreError(f"v1 document header claims {size} bytes")
    try:
        payload = lz4.block.decompress(value[5:], uncompressed_size=size, dict=V1_DICTIONARY)
        if len(payload) != size:
            raise ValueError(f"decompressed to {len(payload)} bytes, header says {size}")
        document = decode_sort_key(payload)
        if not isinstance(document, dict):
            raise ValueError(f"payload is a {type(document).__name__}, not an object")
        return dumps(document)
    except Exception as exc:
        raise CorruptedStoreError(f"cannot decode v1 document: {exc}") from exc


def encode_document(json_value: str | None) -> bytes:
    """v0: JSON text, with tombstones as empty bytes like current upstream writers."""
    return b"" if json_value is None else json_value.encode("utf-8")
