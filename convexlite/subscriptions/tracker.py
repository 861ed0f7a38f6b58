"""Which subscriptions does a commit invalidate? (spec/database.md §6.1–§6.3)

Each subscription registers the read set of the query execution it stands
for: per index, point reads go to a hash map and ranges to an interval map.
After each published commit the tracker looks up every written key in the
maps of the indexes it was written to, so the cost follows the keys written
and the subscriptions hit, never the number of subscriptions. A
subscription the commit misses needs no work at all: being registered
means "valid up to `processed_ts`".
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Mapping

from convexlite.database.intervals import IntervalSet
from convexlite.database.write_log import LogEntry, WriteLog, find_conflict
from convexlite.subscriptions.interval_map import IntervalMap

Invalidated = Callable[["Subscription"], None]


class Subscription:
    """A registered read set; `invalid_ts` is the first commit that wrote into it."""

    __slots__ = ("id", "reads", "ts", "invalid_ts", "on_invalidate")

    def __init__(
        self, sub_id: int, reads: Mapping[bytes, IntervalSet], ts: int, on_invalidate: Invalidated
    ) -> None:
        self.id = sub_id
        self.reads = reads
        self.ts = ts
        self.invalid_ts: int | None = None
        self.on_invalidate = on_invalidate

    @property
    def valid(self) -> bool:
        return self.invalid_ts is None

    def __hash__(self) -> int:
        return self.id

    def __repr__(self) -> str:
        state = "valid" if self.valid else f"invalid at {self.invalid_ts}"
        return f"Subscription({self.id}, {state})"


class SubscriptionTracker:
    """Read sets of live queries, matched against the commits the database publishes."""

    def __init__(self, write_log: WriteLog, processed_ts: int) -> None:
        self._write_log = write_log
        self.processed_ts = processed_ts
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._ranges: dict[bytes, IntervalMap] = {}
        self._points: dict[bytes, dict[bytes, set[Subscription]]] = {}
        self._live: set[Subscription] = set()

    def __len__(self) -> int:
        return len(self._live)

    def subscribe(
        self, reads: Mapping[bytes, IntervalSet], ts: int, on_invalidate: Invalidated
    ) -> Subscription:
        """Register the read set of a query run at snapshot `ts`.

        Commits already processed after `ts` are checked first: if one wrote
        into `reads`, the subscription comes back invalid (and `on_invalidate`
        has been called), so the caller re-runs the query.
        """
        sub = Subscription(next(self._ids), reads, ts, on_invalidate)
        with self._lock:
            if ts < self.processed_ts:
                missed = self._write_log.after(ts, upto=self.processed_ts)
                conflict = find_conflict(reads, missed) if missed is not None else None
                if missed is None or conflict is not None:
                    sub.invalid_ts = conflict.ts if conflict else self.processed_ts
            if sub.valid:
                self._register(sub)
        if not sub.valid:
            on_invalidate(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        with self._lock:
            if sub in self._live:
                self._unregister(sub)

    def advance(self, entry: LogEntry) -> None:
        """Process one published commit: invalidate every subscription it wrote into."""
        hits: list[Subscription] = []
        with self._lock:
            seen: set[Subscription] = set()
            for index_id, written in entry.writes.items():
                points = self._points.get(index_id)
                ranges = self._ranges.get(index_id)
                if not points and not ranges:
                    continue
                for w in written:
                    if points:
                        seen.update(points.get(w.key, ()))
                    if ranges:
                        seen.update(ranges.stab(w.key))
            for sub in seen:
                sub.invalid_ts = entry.ts
                self._unregister(sub)
                hits.append(sub)
            self.processed_ts = entry.ts
        for sub in hits:
            sub.on_invalidate(sub)

    def _register(self, sub: Subscription) -> None:
        self._live.add(sub)
        for index_id, interval_set in sub.reads.items():
            keys = interval_set.single_keys()
            if keys:
                points = self._points.setdefault(index_id, {})
                for key in keys:
                    points.setdefault(key, set()).add(sub)
            ranges = None
            for start, end in interval_set.ranges():
                if ranges is None:
                    ranges = self._ranges.setdefault(index_id, IntervalMap())
                ranges.add(start, end, sub)

    def _unregister(self, sub: Subscription) -> None:
        self._live.discard(sub)
        for index_id, interval_set in sub.reads.items():
            points = self._points.get(index_id)
            if points is not None:
                for key in interval_set.single_keys():
                    owners = points.get(key)
                    if owners is not None:
                        owners.discard(sub)
                        if not owners:
                            del points[key]
                if not points:
                    del self._points[index_id]
            ranges = self._ranges.get(index_id)
            if ranges is not None:
                for start, end in interval_set.ranges():
                    ranges.remove(start, end, sub)
                if not len(ranges):
                    del self._ranges[index_id]
