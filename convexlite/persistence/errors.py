"""Errors raised by persistence backends.

Almost every persistence failure is a bug or an operational problem rather
than a caller's mistake, so most of these are internal errors: a client only
ever sees "InternalServerError", while logs and tests see the precise code.
The exceptions are mistakes in how a store is named or opened, which the
person configuring convexlite can fix.
"""

from __future__ import annotations

from convexlite.errors import BadRequestError, InternalError


class PersistenceError(InternalError):
    """A backend failed to read or write; the store itself is unchanged."""

    code = "PersistenceError"


class DuplicateRowError(PersistenceError):
    """A write repeated a primary key: the committer assigned a timestamp twice."""

    code = "PersistenceDuplicateRow"


class InvalidWriteError(PersistenceError):
    """A write carried rows or globals that no backend may store."""

    code = "PersistenceInvalidWrite"


class CorruptedStoreError(PersistenceError):
    """Stored rows contradict each other (e.g. an index row without its document)."""

    code = "PersistenceCorrupted"


class StoreClosedError(PersistenceError):
    """The store was used after `close()`."""

    code = "PersistenceStoreClosed"


class StoreLockedError(PersistenceError):
    """Another open store (in this or another process) holds the store's write lock."""

    code = "StoreLocked"


class StoreOpenError(BadRequestError):
    """The configured location cannot hold a store (missing directory, not a database...)."""

    code = "StoreOpenFailed"


class InvalidPersistenceUrlError(BadRequestError):
    """A persistence URL names an unknown scheme or carries unusable options."""

    code = "InvalidPersistenceUrl"


class LeaseHeldError(StoreLockedError):
    """Another backend holds the write lease of a Postgres or MySQL store."""

    code = "LeaseHeld"


class LeaseLostError(PersistenceError):
    """Another backend took the write lease while this one was writing; this one must stop."""

    code = "LeaseLost"


class DatabaseMissingError(StoreOpenError):
    """The Postgres or MySQL database named after the instance does not exist."""

    code = "DatabaseMissing"


class SslRequiredError(StoreOpenError):
    """The server offers no SSL and `DO_NOT_REQUIRE_SSL` is not set."""

    code = "SslRequired"


class CommitOutcomeUnknownError(PersistenceError):
    """A write may or may not have reached storage (its reply was lost, its fsync failed).

    Unlike every other error of `write`, this one does not promise that nothing
    was stored, so a caller that tracks what storage holds must stop trusting
    its own picture: the committer refuses further commits until the store is
    reopened (persistence/sql/commit_outcome.py).
    """

    code = "PersistenceCommitOutcomeUnknown"
