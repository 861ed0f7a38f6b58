"""The one policy for a commit whose outcome is unknown, shared by Postgres and MySQL.

A write is one server transaction. When the connection drops after the
commit was sent and before its reply arrived, the server may have committed
it or not. Upstream Convex treats this as the caller's problem; convexlite
keeps one rule on both servers, so that the store never holds a write its
caller was told had failed while the backend goes on writing:

1. The caller always gets an error: `write` raises.
2. Before anything else is written, the store reconnects, takes its lock
   again and re-checks its lease (so no other writer can have written
   meanwhile), and **undoes** the write: it deletes the write's rows by
   primary key, in one transaction. Every row of a write carries that
   write's commit timestamp, which no other commit shares, so nothing else
   is touched; nothing acknowledged is ever deleted. Globals are upserts and
   stay: they hold high-water marks, for which a higher value is harmless.
   `write` then raises `PersistenceError`: the write was not applied.
3. If reconnecting fails, `write` raises `CommitOutcomeUnknownError` and
   the undo stays pending: the next reconnect performs it before the writer
   is used again. Until then readers may see the rows, but only at a
   timestamp the committer never published. If the process ends first, the
   write stays committed, and reopening the store finds it (it is
   *confirmed*); that is why the committer refuses to go on after this error
   instead of assuming either outcome (database/committer.py).

A write that fails before its commit was sent is rolled back by the server
and needs no undo; it raises `PersistenceError` at once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from convexlite.persistence.errors import CommitOutcomeUnknownError, PersistenceError
from convexlite.persistence.row_checks import DocKey, IndexKey
from convexlite.persistence.types import DocumentRevision, IndexEntry


@dataclass(frozen=True, slots=True)
class LostWrite:
    """The primary keys of a write whose reply was lost: all it takes to undo it."""

    documents: tuple[DocKey, ...]
    indexes: tuple[IndexKey, ...]

    @classmethod
    def of(cls, documents: Sequence[DocumentRevision], indexes: Sequence[IndexEntry]) -> LostWrite:
        return cls(
            tuple((d.ts, d.tablet_id, d.internal_id) for d in documents),
            tuple((e.index_id, e.key, e.ts) for e in indexes),
        )


class PendingUndo:
    """At most one lost write of a writer, undone by its next reconnect."""

    __slots__ = ("_lost",)

    def __init__(self) -> None:
        self._lost: LostWrite | None = None

    def remember(self, write: LostWrite) -> None:
        self._lost = write

    def settle(self, undo: Callable[[LostWrite], None]) -> None:
        """Undo the lost write, if any; call on a fresh writer holding the lock and the lease.

        If `undo` raises, the write stays pending for the next reconnect.
        """
        if self._lost is not None:
            undo(self._lost)
            self._lost = None


def lost_reply_error(
    store: str, cause: BaseException, reconnect_failure: str | None
) -> PersistenceError:
    """The error `write` raises after losing a commit's reply (rule 2 or rule 3)."""
    lost = f"the connection to the {store} was lost while committing a write ({cause})"
    if reconnect_failure is None:
        return PersistenceError(
            f"{lost}; the store has reconnected and undone whatever of the write had reached "
            "the server, so the write was not applied"
        )
    return CommitOutcomeUnknownError(
        f"{lost}, and reconnecting failed ({reconnect_failure}); the write may or may not "
        "have been applied: it is undone once the connection is back, and found committed "
        "if the store is reopened first"
    )
