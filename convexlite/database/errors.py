"""The errors the database raises, with Convex's codes (spec/database.md §5).

They live apart from the transaction and the committer so that either can
raise them, and callers can catch them, without importing the other.
Budget errors stay beside the budgets in `limits.py`; the OCC failure stays
beside the write log that detects it.
"""

from __future__ import annotations

from convexlite.errors import BadRequestError, ConvexBackendError, ErrorKind, InternalError


class NonexistentDocument(BadRequestError):
    code = "NonexistentDocument"


class DocumentExists(BadRequestError):
    code = "DocumentExists"


class DocumentDeleted(BadRequestError):
    code = "DocumentDeleted"


class IndexNotFoundError(BadRequestError):
    code = "IndexNotFoundError"


class IndexBackfillingError(BadRequestError):
    code = "IndexBackfillingError"


class IndexStagedError(BadRequestError):
    code = "IndexStagedError"


class ReadOnlyTransactionError(BadRequestError):
    code = "ReadOnlyTransaction"


class TooManyTablesError(BadRequestError):
    code = "TooManyTables"


class SystemFieldError(BadRequestError):
    code = "InvalidDocumentError"


class StorageFailed(InternalError):
    """Storage may have lost writes it accepted; the database refuses every later commit."""

    code = "StorageFailed"


class OutOfRetention(ConvexBackendError):
    """A read at a snapshot older than the retention floor, whose rows may be deleted.

    Upstream's `ErrorMetadata::out_of_retention()`: a transient error (HTTP 503,
    WebSocket close 1013) that clients see as `InternalServerError` with the
    generic message; the timestamps are in `str()` for logs, as upstream keeps
    them in the error's context.
    """

    kind = ErrorKind.OVERLOADED
    code = "InternalServerError"

    def __init__(self, ts: int, min_snapshot_ts: int) -> None:
        super().__init__("Your request couldn't be completed. Try again later.")
        self.ts = ts
        self.min_snapshot_ts = min_snapshot_ts

    def __str__(self) -> str:
        return f"Snapshot timestamp out of retention window: {self.ts} < {self.min_snapshot_ts}"
