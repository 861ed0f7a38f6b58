"""`paginate`: one page of a query between cursors (spec/database.md §7.5)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from convexlite.database.limits import TransactionLimits
from convexlite.database.transaction import Transaction
from convexlite.errors import BadRequestError, PaginationLimitError
from convexlite.query.cursors import Cursor, CursorCodec
from convexlite.query.query_json import Query, query_fingerprint
from convexlite.query.stream import QueryStream, plan_query

MAX_PAGE_SIZE = 32_000
SPLIT_RECOMMENDED_ROWS = 6_144


class NoDocumentsForPagination(BadRequestError):
    code = "NoDocumentsForPagination"


class PageSizeTooLarge(BadRequestError):
    code = "PageSizeTooLarge"


class InvalidPaginationLimit(BadRequestError):
    code = "InvalidPaginationLimit"


@dataclass(frozen=True, slots=True)
class Page:
    page: list[dict[str, Any]]
    is_done: bool
    continue_cursor: str
    split_cursor: str | None = None
    page_status: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The object `paginate` gives a Convex function, `null`s included: upstream's
        `queryPage` always sends `splitCursor` and `pageStatus`, so a client receiving
        the page from a JavaScript function sees both keys, and must from Python too."""
        return {
            "page": self.page,
            "isDone": self.is_done,
            "continueCursor": self.continue_cursor,
            "splitCursor": self.split_cursor,
            "pageStatus": self.page_status,
        }


def paginate(
    tx: Transaction,
    query: Query,
    codec: CursorCodec,
    *,
    num_items: int,
    cursor: str | None = None,
    end_cursor: str | None = None,
    maximum_rows_read: int | None = None,
    maximum_bytes_read: int | None = None,
    private_ok: bool = False,
) -> Page:
    _check_page_options(num_items, maximum_rows_read, maximum_bytes_read)
    plan = plan_query(tx, query, private_ok=private_ok)
    fingerprint = query_fingerprint(query, plan.indexed_fields)
    reads_nothing = plan.index is None and plan.search is None
    accepted = None if reads_nothing else fingerprint
    start = codec.decode(cursor, accepted) if cursor is not None else None
    end = codec.decode(end_cursor, accepted) if end_cursor is not None else None
    if reads_nothing or (start is not None and start.is_end):
        return Page([], True, codec.encode(Cursor(None, fingerprint)))
    stream = QueryStream(
        tx,
        query,
        plan,
        after=start.after if start else None,
        upto=end.after if end else None,
    )
    stream.measure_bytes = True
    if end is None:
        stream.max_rows = maximum_rows_read
        stream.max_bytes = maximum_bytes_read
    page: list[dict[str, Any]] = []
    status = None
    while end is not None or len(page) < num_items:
        try:
            doc = stream.next()
        except PaginationLimitError:
            status = "SplitRequired"
            break
        if doc is None:
            break
        page.append(doc)
    if status is None and _approaching_limits(
        tx.usage.limits, stream, maximum_rows_read, maximum_bytes_read
    ):
        status = "SplitRecommended"
    if end is not None:
        position = end
    elif stream.done:
        position = Cursor(None, fingerprint)
    else:
        position = Cursor(stream.last_key, fingerprint)
    keys = stream.scanned_keys
    split = None
    if len(keys) > 2:
        split = codec.encode(Cursor(keys[len(keys) // 2], fingerprint))
    return Page(page, position.is_end, codec.encode(position), split, status)


def _check_page_options(
    num_items: int, maximum_rows_read: int | None, maximum_bytes_read: int | None
) -> None:
    if num_items < 1:
        raise NoDocumentsForPagination("Must request at least 1 document while paginating")
    if num_items > MAX_PAGE_SIZE:
        raise PageSizeTooLarge(
            f"Page size {num_items} is too large; the maximum is {MAX_PAGE_SIZE}."
        )
    for value in (maximum_rows_read, maximum_bytes_read):
        if value is not None and value <= 0:
            raise InvalidPaginationLimit(
                "maximumRowsRead and maximumBytesRead must be greater than 0"
            )


def _approaching_limits(
    limits: TransactionLimits, stream: QueryStream, max_rows: int | None, max_bytes: int | None
) -> bool:
    """Whether this page's own scan (not the whole transaction's reads, as upstream's
    `is_approaching_data_limit`) used more than 3/4 of its row or byte budget."""
    row_cap = min(max_rows or limits.documents_read, limits.documents_read)
    byte_cap = min(max_bytes or limits.bytes_read, limits.bytes_read)
    return (
        stream.scanned > row_cap * 3 // 4
        or stream.bytes_scanned > byte_cap * 3 // 4
        or stream.scanned > SPLIT_RECOMMENDED_ROWS
    )
