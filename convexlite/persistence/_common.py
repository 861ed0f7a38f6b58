"""Checks and encodings every backend shares, so that all of them accept and
reject exactly the same writes and report them with the same errors."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from convexlite.persistence.errors import InvalidWriteError
from convexlite.persistence.types import DocumentRevision, IndexEntry

MAX_TS = 2**63 - 1

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


def encode_globals(globals_: dict[str, Any] | None) -> list[tuple[str, str]]:
    """JSON-encode globals up front so a bad value fails before anything is written.

    NaN and infinities are refused because they are not JSON and other SQL
    backends would reject the text.
    """
    if not globals_:
        return []
    encoded = []
    for key, value in globals_.items():
        if not isinstance(key, str):
            raise InvalidWriteError(f"persistence global key {key!r} is not a string")
        try:
            text = json.dumps(value, allow_nan=False, ensure_ascii=False, separators=(",", ":"))
        except (TypeError, ValueError) as exc:
            raise InvalidWriteError(
                f"persistence global {key!r} is not JSON-serializable: {exc}"
            ) from exc
        encoded.append((key, text))
    return encoded


def decode_global(text: str | None) -> Any:
    return None if text is None else json.loads(text)


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


_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"", "0", "false", "no", "off"})


def parse_flag(raw: str) -> bool | None:
    """`1/true/yes/on` → True, `0/false/no/off` or empty → False, anything else → None."""
    raw = raw.strip().lower()
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    return None


LogPosition = tuple[int, bytes, bytes]


def page_document_log(
    fetch_page: Callable[[LogPosition | None, int, int], Sequence[DocumentRevision]],
    min_ts: int,
    max_ts: int,
    page_size: int,
) -> Iterator[DocumentRevision]:
    """The document log for `min_ts <= ts < max_ts`, page by page.

    `fetch_page(after, first_ts, last_ts)` returns up to `page_size` revisions
    with `first_ts <= ts <= last_ts` past position `after` (None: from the
    start) in the scan's order; no connection or transaction is held between
    pages.
    """
    first_ts, last_ts = max(min_ts, 0), min(max_ts - 1, MAX_TS)
    if last_ts < first_ts:
        return
    after: LogPosition | None = None
    while True:
        page = fetch_page(after, first_ts, last_ts)
        yield from page
        if len(page) < page_size:
            return
        last = page[-1]
        after = (last.ts, last.tablet_id, last.internal_id)


def log_page_bindings(
    after: LogPosition | None, min_ts: int, last_ts: int, order: str, page_size: int
) -> tuple:
    """Bindings of the keyset-paged log queries: (bounds..., limit) for the next page."""
    if after is None:
        return (min_ts, last_ts, page_size)
    if order == "asc":
        return (*after, last_ts, page_size)
    return (*after, min_ts, page_size)
