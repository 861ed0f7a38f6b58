"""Full-key order restored over index rows that SQL returns in (prefix, sha256) order.

Postgres and MySQL store a key as its first 2500 bytes, the rest and its
hash (key_split.py), and page by (prefix, hash). That order is the full-key
order except among keys sharing a whole 2500-byte prefix, which come out in
hash order: such a run is held back until it ends and then sorted. Keys
outside `[start, end)` can only share a bound's prefix and are dropped. Keeping
this in one place keeps both servers' scans returning the same rows.
"""

from __future__ import annotations

from collections.abc import Callable
from operator import attrgetter

from convexlite.persistence.sql.key_split import MAX_PREFIX, join_key
from convexlite.persistence.types import IndexRow


class FullKeyOrder:
    """Collects the rows of one index scan, settling them in full-key order.

    Rows are fed in SQL order with `add`; `result()` gives the first `limit`
    in full-key order once the scan stops.
    """

    def __init__(self, start: bytes, end: bytes | None, *, descending: bool, limit: int) -> None:
        self._start = start
        self._end = end
        self._descending = descending
        self._limit = limit
        self._settled: list[IndexRow] = []
        self._run: list[IndexRow] = []
        self._run_prefix = b""

    @property
    def enough(self) -> bool:
        """Whether `limit` rows are settled: no later row can come before them."""
        return len(self._settled) >= self._limit

    def add(self, prefix: bytes, suffix: bytes | None, build: Callable[[bytes], IndexRow]) -> bool:
        """Place the next row from SQL; True once `limit` rows are settled and the scan can stop.

        `build(key)` makes the row; it is called only for keys in range, and
        not once enough rows are settled (it may raise for a corrupted row).
        """
        if self._run and prefix != self._run_prefix:
            self._settle_run()
        if self.enough:
            return True
        key = join_key(prefix, suffix)
        if key < self._start or (self._end is not None and key >= self._end):
            return False
        row = build(key)
        if len(prefix) < MAX_PREFIX:
            self._settled.append(row)
            return self.enough
        self._run_prefix = prefix
        self._run.append(row)
        return False

    def result(self) -> list[IndexRow]:
        """The first `limit` rows in full-key order, the pending run included."""
        self._settle_run()
        return self._settled[: self._limit]

    def _settle_run(self) -> None:
        self._settled.extend(sorted(self._run, key=attrgetter("key"), reverse=self._descending))
        self._run.clear()
