"""Per-transaction read and write budgets (spec/database.md §5.8)."""

from __future__ import annotations

from dataclasses import dataclass

from convexlite.errors import PaginationLimitError

OVER_LIMIT_HELP = (
    "Consider using smaller limits in your queries, paginating your queries, or using indexed "
    "queries with a selective index range expressions."
)


@dataclass(frozen=True, slots=True)
class TransactionLimits:
    documents_read: int = 32_000
    bytes_read: int = 16 * 1024 * 1024
    intervals_read: int = 4_096
    documents_written: int = 16_000
    bytes_written: int = 16 * 1024 * 1024


UNLIMITED_READS = TransactionLimits(
    documents_read=1 << 62, bytes_read=1 << 62, intervals_read=1 << 62
)
"""For the engine's own whole-table reads (a schema check, an export), never user code's."""


class TooManyDocumentsRead(PaginationLimitError):
    code = "TooManyDocumentsRead"


class TooManyBytesRead(PaginationLimitError):
    code = "TooManyBytesRead"


class TooManyReads(PaginationLimitError):
    code = "TooManyReads"


class TooManyWrites(PaginationLimitError):
    code = "TooManyWrites"


class TooManyBytesWritten(PaginationLimitError):
    code = "TooManyBytesWritten"


class Usage:
    """What a transaction has consumed; counters grow before the check, as upstream does."""

    __slots__ = ("limits", "documents_read", "bytes_read", "documents_written", "bytes_written")

    def __init__(self, limits: TransactionLimits) -> None:
        self.limits = limits
        self.documents_read = 0
        self.bytes_read = 0
        self.documents_written = 0
        self.bytes_written = 0

    def record_read(self, size: int) -> None:
        self.documents_read += 1
        self.bytes_read += size
        if self.documents_read > self.limits.documents_read:
            raise TooManyDocumentsRead(
                "Too many documents read in a single function execution "
                f"(limit: {self.limits.documents_read}). {OVER_LIMIT_HELP}"
            )
        if self.bytes_read > self.limits.bytes_read:
            raise TooManyBytesRead(
                "Too many bytes read in a single function execution "
                f"(limit: {self.limits.bytes_read} bytes). {OVER_LIMIT_HELP}"
            )

    def check_intervals(self, count: int) -> None:
        if count > self.limits.intervals_read:
            raise TooManyReads(
                "Too many reads in a single function execution "
                f"(limit: {self.limits.intervals_read}). {OVER_LIMIT_HELP}"
            )

    def record_write(self, size: int) -> None:
        self.documents_written += 1
        self.bytes_written += size
        if self.documents_written > self.limits.documents_written:
            raise TooManyWrites(
                "Too many writes in a single function execution "
                f"(limit: {self.limits.documents_written})"
            )
        if self.bytes_written > self.limits.bytes_written:
            raise TooManyBytesWritten(
                "Too many bytes written in a single function execution "
                f"(limit: {self.limits.bytes_written} bytes)"
            )
