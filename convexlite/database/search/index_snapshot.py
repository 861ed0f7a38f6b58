"""A text index as bytes, so that opening a store takes it up instead of rebuilding it.

MessagePack (msgspec) of the definition, the timestamp, the table it was built
from and each document's entry (term counts, length, filter keys, creation
time, not the document): loading re-links the postings but neither parses
documents nor tokenizes text. The definition is stored so that an index whose
schema changed since is not taken up.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import msgspec

from convexlite.database.search.definition import TextIndexDefinition
from convexlite.database.search.inverted_index import Entry, InvertedIndex

_VERSION = 2
"""Bumped whenever the layout or what an entry holds (e.g. the tokenizer) changes."""


class _Stored(msgspec.Struct, array_like=True):
    version: int
    descriptor: str
    search_field: tuple[str, ...]
    filter_fields: tuple[tuple[str, ...], ...]
    ts: int
    tablet_id: bytes
    entries: Sequence[Entry]


_ENCODER = msgspec.msgpack.Encoder()
_DECODER = msgspec.msgpack.Decoder(_Stored)


class SnapshotError(ValueError):
    """Stored bytes that are not an index this version can take up (corrupt or older)."""


@dataclass(frozen=True, slots=True)
class TextIndexSnapshot:
    """The documents of the index `definition` of table `tablet_id` as of `ts`: a copy, so
    that it can be encoded while the index it was taken from moves on (entries are
    immutable)."""

    tablet_id: bytes
    definition: TextIndexDefinition
    ts: int
    entries: Sequence[Entry]

    def index(self) -> InvertedIndex:
        """A new index holding the snapshot's documents."""
        return InvertedIndex.of(self.definition, self.ts, self.entries)


def dump(snapshot: TextIndexSnapshot) -> bytes:
    """`snapshot` as MessagePack, the layout `_Stored` decodes. The entries are encoded in
    slices, so that a thread storing a large index lets the others run between slices (an
    encoding holds the GIL)."""
    definition, entries = snapshot.definition, snapshot.entries
    head = _ENCODER.encode(
        [
            _VERSION,
            definition.descriptor,
            definition.search_field,
            definition.filter_fields,
            snapshot.ts,
            snapshot.tablet_id,
        ]
    )
    parts = [b"\x97", head[1:], _array_header(len(entries))]  # 6 fields (0x96), then 7
    for start in range(0, len(entries), _SLICE):
        piece = entries[start : start + _SLICE]
        parts.append(_ENCODER.encode(piece)[len(_array_header(len(piece))) :])
    return b"".join(parts)


_SLICE = 4096


def _array_header(length: int) -> bytes:
    """MessagePack's header of an array of `length` items."""
    if length < 16:
        return bytes([0x90 | length])
    if length < 1 << 16:
        return b"\xdc" + length.to_bytes(2, "big")
    return b"\xdd" + length.to_bytes(4, "big")


def load(data: bytes) -> TextIndexSnapshot:
    """The snapshot `dump` wrote; `SnapshotError` if `data` is not one."""
    try:
        stored = _DECODER.decode(data)
    except msgspec.DecodeError as err:
        raise SnapshotError(str(err)) from err
    if stored.version != _VERSION:
        raise SnapshotError(f"text index snapshot version {stored.version}")
    definition = TextIndexDefinition(stored.descriptor, stored.search_field, stored.filter_fields)
    return TextIndexSnapshot(stored.tablet_id, definition, stored.ts, stored.entries)
