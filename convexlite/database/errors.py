"""The errors the database raises, with Convex's codes (spec/database.md §5).

They live apart from the transaction and the committer so that either can
raise them, and callers can catch them, without importing the other.
Budget errors stay beside the budgets in `limits.py`; the OCC failure stays
beside the write log that detects it.
"""

from __future__ import annotations

from convexlite.errors import BadRequestError, InternalError


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


class ReadOnlyTransactionError(BadRequestError):
    code = "ReadOnlyTransaction"


class TooManyTablesError(BadRequestError):
    code = "TooManyTables"


class SystemFieldError(BadRequestError):
    code = "InvalidDocumentError"


class StorageFailed(InternalError):
    """Storage may have lost writes it accepted; the database refuses every later commit."""

    code = "StorageFailed"
