"""The document log read page by page, by keyset (spec/database.md §4.6).

No connection or transaction is held between pages, so a long scan never pins
a snapshot (SQLite's WAL, Postgres' vacuum). SQLite and Postgres share the
query shapes; MySQL spells the row comparison out because MariaDB only uses an
index for the expanded form.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

from convexlite.persistence.types import DocumentRevision, Order
from convexlite.values.types import MAX_TS

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


def log_page_queries(select: str, param: str) -> dict[tuple[Order, bool], str]:
    """The page queries by (order, continuing?), in the shape `log_page_bindings` binds.

    `select` is `SELECT <columns> FROM documents ` and `param` the driver's placeholder.
    """
    p = param
    asc, desc = "ORDER BY ts, table_id, id", "ORDER BY ts DESC, table_id DESC, id DESC"
    return {
        ("asc", False): f"{select}WHERE ts >= {p} AND ts <= {p} {asc} LIMIT {p}",
        ("asc", True): f"{select}WHERE (ts, table_id, id) > ({p}, {p}, {p}) AND ts <= {p} "
        f"{asc} LIMIT {p}",
        ("desc", False): f"{select}WHERE ts >= {p} AND ts <= {p} {desc} LIMIT {p}",
        ("desc", True): f"{select}WHERE (ts, table_id, id) < ({p}, {p}, {p}) AND ts >= {p} "
        f"{desc} LIMIT {p}",
    }
