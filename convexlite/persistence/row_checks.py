"""What every backend refuses to store, so that all of them accept and reject
exactly the same writes and report them with the same errors."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from convexlite.persistence.errors import InvalidWriteError
from convexlite.persistence.types import DocumentRevision, IndexEntry
from convexlite.values.types import MAX_TS

DocKey = tuple[int, bytes, bytes]
IndexKey = tuple[bytes, bytes, int]


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
    seen_docs: set[DocKey] = set()
    for d in documents:
        dk = (d.ts, d.tablet_id, d.internal_id)
        if dk in seen_docs or document_exists(dk):
            return (
                f"duplicate document revision (ts={d.ts}, tablet_id={d.tablet_id.hex()}, "
                f"internal_id={d.internal_id.hex()}): a revision with this primary key "
                + ("appears twice in this write" if dk in seen_docs else "is already stored")
            )
        seen_docs.add(dk)
    seen_index: set[IndexKey] = set()
    for e in indexes:
        ik = (e.index_id, e.key, e.ts)
        if ik in seen_index or index_entry_exists(ik):
            return (
                f"duplicate index entry (index_id={e.index_id.hex()}, key={e.key.hex()}, "
                f"ts={e.ts}): an entry with this primary key "
                + ("appears twice in this write" if ik in seen_index else "is already stored")
            )
        seen_index.add(ik)
    return None


def clamp_ts(ts: int) -> int:
    """Reads may ask for any future timestamp; storage only knows signed BIGINTs."""
    return ts if ts <= MAX_TS else MAX_TS
