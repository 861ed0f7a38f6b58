"""How an import commits: batches in transactions with room for them, retried on conflicts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TypeVar

from convexlite.database.database import Database
from convexlite.database.limits import UNLIMITED_READS
from convexlite.database.transaction import Transaction
from convexlite.database.write_log import OptimisticConcurrencyControlFailure

BATCH_DOCUMENTS = 8_000
BATCH_BYTES = 8 * 2**20
COMMIT_ATTEMPTS = 5
LIMITS = replace(
    UNLIMITED_READS, documents_written=2 * BATCH_DOCUMENTS, bytes_written=4 * BATCH_BYTES
)
"""A batch writes at most `BATCH_DOCUMENTS` documents; a batch of deletions reads them."""
T = TypeVar("T")


def commit_batch(db: Database, write: Callable[[Transaction], T]) -> T:
    """Run `write` in a new transaction and commit it, again on a conflict (an import's
    writes only meet the metadata changes of concurrent commits)."""
    for attempt in range(COMMIT_ATTEMPTS):
        tx = db.begin(limits=LIMITS)
        result = write(tx)
        try:
            db.commit(tx)
        except OptimisticConcurrencyControlFailure:
            if attempt == COMMIT_ATTEMPTS - 1:
                raise
            continue
        return result
    raise AssertionError("unreachable")
