"""The in-memory log of recent commits' index keys (spec/database.md §5.5, §6.2).

OCC validation asks: did any commit after my snapshot write a key inside an
interval I read? Subscriptions will ask the same question later. Entries
are kept for a bounded window; a transaction older than the window cannot
be validated and must retry.
"""

from __future__ import annotations

import bisect
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from convexlite.database.intervals import IntervalSet
from convexlite.errors import ConvexBackendError, ErrorKind

OCC_HELP = "See https://docs.convex.dev/error#1"
_PURGE_CHUNK = 1024


@dataclass(frozen=True, slots=True)
class WrittenKey:
    key: bytes
    table_name: str
    document_id: str


@dataclass(frozen=True, slots=True)
class LogEntry:
    ts: int
    writes: Mapping[bytes, list[WrittenKey]]
    source: str | None = None
    """The function whose commit this is (`Transaction.write_source`), if one is named."""


@dataclass(frozen=True, slots=True)
class Conflict:
    ts: int
    table_name: str
    document_id: str


class OptimisticConcurrencyControlFailure(ConvexBackendError):
    """A concurrent commit changed something this transaction read; retrying can help."""

    kind = ErrorKind.CONFLICT
    code = "OptimisticConcurrencyControlFailure"

    def __init__(self, conflict: Conflict | None) -> None:
        table = f'the "{conflict.table_name}" table' if conflict else "some table"
        super().__init__(
            f"Documents read from or written to {table} changed while this mutation was being "
            f"run and on every subsequent retry. {OCC_HELP}"
        )
        self.conflict = conflict


def find_conflict(
    reads: Mapping[bytes, IntervalSet], entries: Iterable[LogEntry]
) -> Conflict | None:
    """The earliest entry writing a key inside `reads`."""
    for entry in entries:
        for index_id, written in entry.writes.items():
            interval_set = reads.get(index_id)
            if interval_set is None:
                continue
            for w in written:
                if interval_set.contains(w.key):
                    return Conflict(entry.ts, w.table_name, w.document_id)
    return None


class WriteLog:
    """Commits in timestamp order, appended only by the committer."""

    def __init__(self, start_ts: int, retention_ns: int = 300 * 10**9, max_entries: int = 100_000):
        self._lock = threading.Lock()
        self._ts: list[int] = []
        self._entries: list[LogEntry] = []
        self.purged_ts = start_ts
        self._retention_ns = retention_ns
        self._max_entries = max_entries

    def append(self, entry: LogEntry) -> None:
        with self._lock:
            self._ts.append(entry.ts)
            self._entries.append(entry)
            self._purge(entry.ts)

    def _purge(self, now_ts: int) -> None:
        """Drop entries past the window, in chunks so appends stay O(1) amortized."""
        floor = now_ts - self._retention_ns
        drop = bisect.bisect_right(self._ts, floor)
        drop = max(drop, len(self._ts) - self._max_entries)
        if drop >= _PURGE_CHUNK or (drop > 0 and len(self._ts) > self._max_entries):
            self.purged_ts = self._ts[drop - 1]
            del self._ts[:drop]
            del self._entries[:drop]

    def after(self, ts: int, upto: int | None = None) -> list[LogEntry] | None:
        """Entries with `ts < entry.ts <= upto`; None if `ts` is older than the retained window."""
        with self._lock:
            if ts < self.purged_ts:
                return None
            lo = bisect.bisect_right(self._ts, ts)
            hi = len(self._ts) if upto is None else bisect.bisect_right(self._ts, upto)
            return self._entries[lo:hi]
