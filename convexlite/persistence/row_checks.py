"""What every backend refuses to store or read, so that all of them accept and reject
exactly the same writes, answer the same scans, and report with the same errors."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TypeVar

from convexlite.persistence.errors import CorruptedStoreError, InvalidWriteError
from convexlite.persistence.types import DocumentRevision, IndexEntry
from convexlite.values.types import MAX_TS

DocKey = tuple[int, bytes, bytes]
IndexKey = tuple[bytes, bytes, int]
K = TypeVar("K", DocKey, IndexKey)


def check_rows(documents: Sequence[DocumentRevision], indexes: Sequence[IndexEntry]) -> None:
    """Reject rows a SQL backend would store but that break the log's invariants.

    Timestamps must fit a signed BIGINT, a revision's predecessor must be older
    than it, and an index row must name its document exactly when it is live
    (the snapshot join depends on it).
    """
    for d in documents:
        if not 0 <= d.ts <= MAX_TS:
            raise InvalidWriteError(f"document revision timestamp {d.ts} is outside 0..2^63-1")
        if d.prev_ts is not None and not 0 <= d.prev_ts < d.ts:
            raise InvalidWriteError(
                f"document revision at ts {d.ts} has prev_ts {d.prev_ts}; "
                "prev_ts must be an earlier timestamp"
            )
    for e in indexes:
        if not 0 <= e.ts <= MAX_TS:
            raise InvalidWriteError(f"index entry timestamp {e.ts} is outside 0..2^63-1")
        if e.deleted:
            if e.tablet_id is not None or e.internal_id is not None:
                raise InvalidWriteError(
                    f"index tombstone at ts {e.ts} names a document; "
                    "deleted index entries carry no tablet_id/internal_id"
                )
        elif e.tablet_id is None or e.internal_id is None:
            raise InvalidWriteError(
                f"live index entry at ts {e.ts} lacks tablet_id/internal_id of its document"
            )


def find_duplicate(
    documents: Sequence[DocumentRevision],
    indexes: Sequence[IndexEntry],
    document_exists: Callable[[DocKey], bool],
    index_entry_exists: Callable[[IndexKey], bool],
) -> str | None:
    """Describe the first row whose primary key repeats a stored row or an earlier
    row of the same write, or return None."""
    return _first_repeat(
        ((d.ts, d.tablet_id, d.internal_id) for d in documents),
        document_exists,
        _describe_document,
    ) or _first_repeat(
        ((e.index_id, e.key, e.ts) for e in indexes), index_entry_exists, _describe_index_entry
    )


def _first_repeat(
    keys: Iterable[K], exists: Callable[[K], bool], describe: Callable[[K], str]
) -> str | None:
    seen: set[K] = set()
    for key in keys:
        if key in seen or exists(key):
            where = "appears twice in this write" if key in seen else "is already stored"
            return f"{describe(key)} {where}"
        seen.add(key)
    return None


def _describe_document(key: DocKey) -> str:
    ts, tablet_id, internal_id = key
    return (
        f"duplicate document revision (ts={ts}, tablet_id={tablet_id.hex()}, "
        f"internal_id={internal_id.hex()}): a revision with this primary key"
    )


def _describe_index_entry(key: IndexKey) -> str:
    index_id, index_key, ts = key
    return (
        f"duplicate index entry (index_id={index_id.hex()}, key={index_key.hex()}, "
        f"ts={ts}): an entry with this primary key"
    )


def clamp_ts(ts: int) -> int:
    """Reads may ask for any future timestamp; storage only knows signed BIGINTs."""
    return ts if ts <= MAX_TS else MAX_TS


def empty_scan(start: bytes, end: bytes | None, limit: int) -> bool:
    """An index scan that can return nothing, answered without touching storage."""
    return limit <= 0 or (end is not None and end <= start)


def dangling_index_entry(
    index_id: bytes, key: bytes, ts: int, tablet_id: bytes | None, internal_id: bytes | None
) -> CorruptedStoreError:
    """A live index entry whose document revision is missing: the store is corrupted."""
    return CorruptedStoreError(
        f"index {index_id.hex()} key {key.hex()} at ts {ts} points at document "
        f"{(internal_id or b'').hex()} of tablet {(tablet_id or b'').hex()}, "
        "which has no revision at that ts"
    )
