"""A built text index as bytes, so that opening a store takes it up instead of rebuilding it.

MessagePack (msgspec) of the definition, the timestamp, the table it was built
from and each document's entry with its term counts: loading re-links the
postings but neither parses documents nor tokenizes text. The definition is
stored so that an index whose schema changed since is not taken up.
"""

from __future__ import annotations

from dataclasses import dataclass

import msgspec

from convexlite.database.search.definition import TextIndexDefinition
from convexlite.database.search.inverted_index import Entry, InvertedIndex

_VERSION = 1
"""Bumped whenever the layout or what an entry holds (e.g. the tokenizer) changes."""


class _Stored(msgspec.Struct, array_like=True):
    version: int
    descriptor: str
    search_field: tuple[str, ...]
    filter_fields: tuple[tuple[str, ...], ...]
    ts: int
    tablet_id: bytes
    entries: list[Entry]


_ENCODER = msgspec.msgpack.Encoder()
_DECODER = msgspec.msgpack.Decoder(_Stored)


class SnapshotError(ValueError):
    """Stored bytes that are not an index this version can take up (corrupt or older)."""


@dataclass(frozen=True, slots=True)
class TextIndexSnapshot:
    """`index` as built from the table `tablet_id`."""

    tablet_id: bytes
    index: InvertedIndex


def dump(snapshot: TextIndexSnapshot) -> bytes:
    index, definition = snapshot.index, snapshot.index.definition
    stored = _Stored(
        _VERSION,
        definition.descriptor,
        definition.search_field,
        definition.filter_fields,
        index.ts,
        snapshot.tablet_id,
        list(index.docs.values()),
    )
    return _ENCODER.encode(stored)


def load(data: bytes) -> TextIndexSnapshot:
    """The snapshot `dump` wrote; `SnapshotError` if `data` is not one."""
    try:
        stored = _DECODER.decode(data)
    except msgspec.DecodeError as err:
        raise SnapshotError(str(err)) from err
    if stored.version != _VERSION:
        raise SnapshotError(f"text index snapshot version {stored.version}")
    definition = TextIndexDefinition(stored.descriptor, stored.search_field, stored.filter_fields)
    index = InvertedIndex(definition, stored.ts)
    for entry in stored.entries:
        index.add(entry)
    return TextIndexSnapshot(stored.tablet_id, index)
