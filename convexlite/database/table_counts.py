"""`TableCounts`: how many documents a table holds at a snapshot, without reading them.

The dashboard shows every table's size on each Data page view (`tableSize`), and `npx
convex data` asks for it too; counting by a scan read every document, cost time in
proportion to the table and failed past the transaction's read budget (32,000 documents).
Upstream answers from table summaries kept beside its snapshots; this is convexlite's
equivalent, kept in memory so that opening a store still reads no user data:

- a table's count is computed once, by a scan of its index keys at some snapshot, the
  first time anyone asks (`count`);
- from then on every commit the committer writes adds its net inserts and deletes
  (`apply`), so later asks cost a dictionary lookup.

A transaction reads at its own snapshot, so each counted table keeps a short list of
`(ts, count)` checkpoints, one per commit that changed it; an ask older than every
kept checkpoint just scans again. Commits written while a first scan runs are replayed
from a short log of recent deltas, so no commit is missed or counted twice.
"""

from __future__ import annotations

import bisect
import threading
from collections import deque
from collections.abc import Mapping

from convexlite.persistence.types import Persistence

_SCAN_PAGE = 1024
MAX_CHECKPOINTS = 256
"""Per table; older ones are dropped in halves (an ask at an older snapshot scans)."""
MAX_RECENT_COMMITS = 4096
"""Commits whose deltas are kept to catch a first scan up with commits written meanwhile."""


class TableCounts:
    """Document counts per table (by tablet id), at any snapshot; thread-safe."""

    def __init__(self, reader: Persistence) -> None:
        self._reader = reader
        self._lock = threading.Lock()
        self._checkpoints: dict[bytes, tuple[list[int], list[int]]] = {}
        """tablet → (timestamps, counts), ascending: the count from each ts to the next."""
        self._recent: deque[tuple[int, Mapping[bytes, int]]] = deque(maxlen=MAX_RECENT_COMMITS)

    def apply(self, ts: int, deltas: Mapping[bytes, int]) -> None:
        """A commit at `ts` changed each tablet's count by its delta (the committer calls
        this in timestamp order, for every commit it writes)."""
        with self._lock:
            self._recent.append((ts, deltas))
            for tablet, delta in deltas.items():
                known = self._checkpoints.get(tablet)
                if known is None or not delta:
                    continue
                stamps, counts = known
                stamps.append(ts)
                counts.append(counts[-1] + delta)
                if len(stamps) > MAX_CHECKPOINTS:
                    del stamps[: MAX_CHECKPOINTS // 2], counts[: MAX_CHECKPOINTS // 2]

    def count(self, tablet: bytes, index: bytes, ts: int) -> int:
        """The number of documents of `tablet` as of the written timestamp `ts`; `index` is
        one of its indexes holding every document (scanned if the count is not known)."""
        with self._lock:
            found = self._lookup(tablet, ts)
        if found is not None:
            return found
        counted = self._scan(index, ts)
        with self._lock:
            self._remember(tablet, ts, counted)
        return counted

    def _lookup(self, tablet: bytes, ts: int) -> int | None:
        known = self._checkpoints.get(tablet)
        if known is None:
            return None
        stamps, counts = known
        at = bisect.bisect_right(stamps, ts) - 1
        return counts[at] if at >= 0 else None

    def _remember(self, tablet: bytes, ts: int, counted: int) -> None:
        """Start keeping `tablet`'s count, scanned at `ts`, if the commits written since are
        all still in the recent log (otherwise the next ask scans again)."""
        if tablet in self._checkpoints:
            return
        if len(self._recent) == self._recent.maxlen and self._recent[0][0] > ts:
            return  # commits after `ts` may have left the log
        stamps, counts = [ts], [counted]
        for commit_ts, deltas in self._recent:
            delta = deltas.get(tablet, 0)
            if commit_ts > ts and delta:
                stamps.append(commit_ts)
                counts.append(counts[-1] + delta)
        self._checkpoints[tablet] = (stamps, counts)

    def _scan(self, index: bytes, ts: int) -> int:
        count, start = 0, b""
        while True:
            rows = self._reader.index_scan(index, ts, start, None, "asc", _SCAN_PAGE)
            count += sum(1 for row in rows if row.document is not None and not row.document.deleted)
            if len(rows) < _SCAN_PAGE:
                return count
            start = rows[-1].key + b"\x00"
