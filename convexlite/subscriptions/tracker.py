"""Which subscriptions does a commit invalidate? (spec/database.md §6.1–§6.3)

Each subscription registers the read set of the query execution it stands
for: per index, point reads go to a hash map and ranges to an interval map.
After each published commit the tracker looks up every written key in the
maps of the indexes it was written to, so the cost follows the keys written
and the subscriptions hit, never the number of subscriptions. A
subscription the commit misses needs no work at all: being registered
means "valid up to `processed_ts`".

Identical intervals read by many subscriptions (every query of a table reads
all of `_tables.by_id`; many clients watch the same channel) are one
`_Watch` shared by all of them. A commit hitting thousands of subscriptions
then removes them watch by watch with C-level set operations instead of
interval by interval per subscription.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Mapping
from operator import attrgetter

from convexlite.database.database import Database
from convexlite.database.intervals import IntervalSet
from convexlite.database.write_log import LogEntry, WriteLog, find_conflict
from convexlite.subscriptions.interval_map import IntervalMap

Invalidated = Callable[["Subscription"], None]


class _Watch:
    """One distinct read (a point or a range of one index) and the subscriptions sharing it."""

    __slots__ = ("subs", "index_id", "start", "end", "point")

    def __init__(self, index_id: bytes, start: bytes, end: bytes | None, point: bool) -> None:
        self.subs: set[Subscription] = set()
        self.index_id = index_id
        self.start = start
        self.end = end
        self.point = point


class Subscription:
    """A registered read set; `invalid_ts` is the first commit that wrote into it."""

    __slots__ = ("id", "reads", "ts", "invalid_ts", "on_invalidate", "_watches", "_registered")

    def __init__(
        self, sub_id: int, reads: Mapping[bytes, IntervalSet], ts: int, on_invalidate: Invalidated
    ) -> None:
        self.id = sub_id
        self.reads = reads
        self.ts = ts
        self.invalid_ts: int | None = None
        self.on_invalidate = on_invalidate
        self._watches: tuple[_Watch, ...] = ()
        self._registered = False

    @property
    def valid(self) -> bool:
        return self.invalid_ts is None

    def __repr__(self) -> str:
        state = "valid" if self.valid else f"invalid at {self.invalid_ts}"
        return f"Subscription({self.id}, {state})"


_watches_of = attrgetter("_watches")


class SubscriptionTracker:
    """Read sets of live queries, matched against the commits the database publishes."""

    def __init__(self, write_log: WriteLog, processed_ts: int) -> None:
        self._write_log = write_log
        self.processed_ts = processed_ts
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._points: dict[bytes, dict[bytes, _Watch]] = {}
        self._ranges: dict[bytes, IntervalMap] = {}
        self._range_watches: dict[bytes, dict[tuple[bytes, bytes | None], _Watch]] = {}
        self._count = 0
        self.on_invalidated: Callable[[str, dict[str, int]], None] | None = None
        """Told, after a commit of a named function (`LogEntry.source`) invalidated
        subscriptions, how many by the table whose write hit each first (the metrics)."""

    @classmethod
    def following(cls, db: Database) -> SubscriptionTracker:
        """A tracker fed every commit `db` publishes from now on."""
        tracker = cls(db.committer.write_log, db.latest_ts)
        db.add_commit_listener(tracker.advance)
        return tracker

    def __len__(self) -> int:
        """The number of registered (valid, not unsubscribed) subscriptions."""
        return self._count

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

    def valid_through(self, sub: Subscription, ts: int) -> bool:
        """True if no commit up to `ts` wrote into `sub`'s reads.

        Commits this tracker has processed need no look: it marks a subscription
        invalid before it advances `processed_ts`, which is therefore read first.
        Commits published up to `ts` but not processed yet are checked against
        the write log, so a caller that saw commit `ts` published (a mutation's
        response) gets an answer that already accounts for it.
        """
        processed = self.processed_ts
        valid = sub.valid
        if not valid or ts <= sub.ts:
            return valid
        if processed >= ts:
            return True
        missed = self._write_log.after(max(sub.ts, processed), upto=ts)
        return missed is not None and find_conflict(sub.reads, missed) is None

    def unsubscribe(self, sub: Subscription) -> None:
        with self._lock:
            if sub._registered and sub.invalid_ts is None:
                sub._registered = False
                self._count -= 1
                for watch in sub._watches:
                    watch.subs.discard(sub)
                    if not watch.subs:
                        self._drop(watch)

    def advance(self, entry: LogEntry) -> None:
        """Process one published commit: invalidate every subscription it wrote into."""
        attribute = self.on_invalidated is not None and entry.source is not None
        tables: dict[Subscription, str] = {}
        with self._lock:
            seen: set[Subscription] = set()
            for index_id, written in entry.writes.items():
                points = self._points.get(index_id)
                ranges = self._ranges.get(index_id)
                if points is None and ranges is None:
                    continue
                for w in written:
                    if points is not None:
                        watch = points.get(w.key)
                        if watch is not None:
                            seen.update(watch.subs)
                            if attribute:
                                _attribute(tables, watch.subs, w.table_name)
                    if ranges is not None:
                        for watch in ranges.stab(w.key):
                            seen.update(watch.subs)
                            if attribute:
                                _attribute(tables, watch.subs, w.table_name)
            if seen:
                seen = {sub for sub in seen if sub.ts < entry.ts}
            if seen:
                self._remove_all(seen, entry.ts)
            self.processed_ts = entry.ts
        for sub in seen:
            sub.on_invalidate(sub)
        if attribute and seen and self.on_invalidated is not None:
            counts: dict[str, int] = {}
            for sub in seen:
                counts[tables[sub]] = counts.get(tables[sub], 0) + 1
            assert entry.source is not None
            self.on_invalidated(entry.source, counts)

    def _remove_all(self, subs: set[Subscription], ts: int) -> None:
        """Unregister `subs` at once: each shared watch loses them in one set operation.

        Invalidating a subscription is what unregisters it: `invalid_ts` set
        means gone from the maps, so nothing else is written per subscription.
        """
        self._count -= len(subs)
        for watch in set(itertools.chain.from_iterable(map(_watches_of, subs))):
            remaining = watch.subs
            if len(remaining) > len(subs):
                remaining.difference_update(subs)
            elif remaining.issubset(subs):
                remaining.clear()
            else:
                remaining.difference_update(remaining & subs)
            if not remaining:
                self._drop(watch)
        for sub in subs:
            sub.invalid_ts = ts

    def _register(self, sub: Subscription) -> None:
        sub._registered = True
        self._count += 1
        watches: list[_Watch] = []
        for index_id, interval_set in sub.reads.items():
            keys = interval_set.single_keys()
            if keys:
                points = self._points.get(index_id)
                if points is None:
                    points = self._points[index_id] = {}
                for key in keys:
                    watch = points.get(key)
                    if watch is None:
                        watch = points[key] = _Watch(index_id, key, None, True)
                    watch.subs.add(sub)
                    watches.append(watch)
            by_span = None
            for span in interval_set.ranges():
                if by_span is None:
                    by_span = self._range_watches.get(index_id)
                    if by_span is None:
                        by_span = self._range_watches[index_id] = {}
                        self._ranges[index_id] = IntervalMap()
                watch = by_span.get(span)
                if watch is None:
                    watch = by_span[span] = _Watch(index_id, span[0], span[1], False)
                    self._ranges[index_id].add(span[0], span[1], watch)
                watch.subs.add(sub)
                watches.append(watch)
        sub._watches = tuple(watches)

    def _drop(self, watch: _Watch) -> None:
        """Forget a watch nobody shares any more, and its index's maps once they are empty."""
        index_id = watch.index_id
        if watch.point:
            points = self._points[index_id]
            del points[watch.start]
            if not points:
                del self._points[index_id]
            return
        by_span = self._range_watches[index_id]
        del by_span[(watch.start, watch.end)]
        if by_span:
            self._ranges[index_id].remove(watch.start, watch.end, watch)
        else:
            del self._range_watches[index_id]
            del self._ranges[index_id]


def _attribute(tables: dict[Subscription, str], subs: set[Subscription], table: str) -> None:
    for sub in subs:
        tables.setdefault(sub, table)
