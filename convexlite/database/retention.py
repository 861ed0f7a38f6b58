"""Retention: delete the document revisions and index entries no readable snapshot can see
(spec/database.md §4.9).

The store is a multi-version log, so every write leaves the previous revision
behind. Retention keeps a *floor* (`min_snapshot_ts`): snapshots at or above it
must read exactly as before, reads below it are refused with `OutOfRetention`.
The floor trails the latest commit by the retention delay
(`DOCUMENT_RETENTION_DELAY`), and never passes the snapshot of a transaction still
in flight: each transaction pins its snapshot while it is referenced
(`SnapshotPins`), so an export or a long query reads consistently however long it
runs.

A row is invisible to every snapshot at or above the floor when a newer row for the
same document (or index key) was written at or below the floor; a tombstone at or
below the floor reads as "absent", as no row at all does. Retention walks the
document log in timestamp order from its cursor (`confirmed_deleted_ts`) up to
the floor, as upstream does: a revision `R@t` with predecessor `P@p` makes `P`'s
documents row and `P`'s index entries at `p` deletable, and the index tombstones `R`
wrote at `t` for the keys `P` had and `R` has not; a tombstone `R` is deleted
itself. Index keys are computed from `P`'s stored document with the indexes of the
current registry. An index dropped at or below the floor (its `_index` document's
tombstone) is read by no snapshot at or above it, so all its entries are purged.

Each batch is one storage transaction that deletes its rows and advances the
cursor, so a process killed at any point leaves either the whole batch or none of
it, and a batch run twice deletes nothing the second time.
"""

from __future__ import annotations

import base64
import gc
import itertools
import logging
import threading
import time
import weakref
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

from convexlite.database.errors import OutOfRetention
from convexlite.database.index_keys import id_key, index_key
from convexlite.database.metadata import INDEX_TABLE, Registry
from convexlite.persistence.types import DocumentRevision, Persistence
from convexlite.values import loads

log = logging.getLogger(__name__)

DEFAULT_DELAY_S = 172_800
"""Upstream's self-hosted Docker default for `DOCUMENT_RETENTION_DELAY`: two days."""

MIN_SNAPSHOT_TS = "min_snapshot_ts"
CONFIRMED_DELETED_TS = "confirmed_deleted_ts"
DOCUMENT_MIN_SNAPSHOT_TS = "document_min_snapshot_ts"
DOCUMENT_CONFIRMED_DELETED_TS = "document_confirmed_deleted_ts"
"""The persistence globals upstream keeps (spec/database.md §4.7). One pass here retires
index entries and documents together, so each pair holds the same value."""
DROPPED_INDEXES = "retention_dropped_indexes"
"""convexlite's own global: indexes dropped below the floor whose entries are being purged
(hex ids), stored with the batch that found them so a purge cut short resumes."""
PURGE_ROWS = 1024

T = TypeVar("T")


def stored_ts(persistence: Persistence, key: str) -> int | None:
    """A timestamp global: a JSON number as convexlite writes it, or upstream's Int64
    (`{"$integer": base64 of 8 little-endian bytes}`) in a store upstream wrote."""
    value = persistence.get_global(key)
    if isinstance(value, dict) and "$integer" in value:
        return int.from_bytes(base64.b64decode(value["$integer"]), "little", signed=True)
    return None if value is None else int(value)


class SnapshotPins:
    """The retention floor, and the snapshots of the transactions still in flight.

    A transaction is pinned while anything references it (a weak reference
    drops the pin when it is collected, so callers need not close transactions).
    One lock orders pinning against raising the floor: a snapshot is either
    pinned before the floor moves, and holds it back, or refused.
    """

    def __init__(self, floor: int) -> None:
        self.floor = floor
        self._lock = threading.Lock()
        self._pins: dict[int, tuple[int, weakref.ref[Any]]] = {}
        self._ids = itertools.count()

    def pin(self, open_: Callable[[], T], ts_of: Callable[[T], int]) -> T:
        """`open_()`, pinned at its snapshot `ts_of(...)`; `OutOfRetention` below the floor."""
        with self._lock:
            holder = open_()
            ts = ts_of(holder)
            if ts < self.floor:
                raise OutOfRetention(ts, self.floor)
            key = next(self._ids)
            pins = self._pins
            # The callback runs in whichever thread drops the last reference, maybe inside
            # this lock (a collection), so it only pops, which needs no lock.
            pins[key] = (ts, weakref.ref(holder, lambda _: pins.pop(key, None)))
        return holder

    def hold(self, ts: int) -> _Hold:
        """A pin on `ts` for a read that is not a transaction (an index backfill)."""
        return self.pin(lambda: _Hold(ts), _hold_ts)

    def _oldest(self) -> int | None:
        while True:
            try:
                return min((ts for ts, _ in list(self._pins.values())), default=None)
            except RuntimeError:  # a pin dropped by another thread mid-copy
                continue

    def oldest(self) -> int | None:
        """The oldest pinned snapshot, None when nothing is in flight."""
        with self._lock:
            return self._oldest()

    def advance(self, candidate: int) -> int:
        """Raise the floor towards `candidate`, no further than the oldest pin; the new floor."""
        with self._lock:
            oldest = self._oldest()
            target = candidate if oldest is None else min(candidate, oldest)
            self.floor = max(self.floor, target)
            return self.floor


def _hold_ts(hold: _Hold) -> int:
    return hold.ts


class _Hold:
    """What `SnapshotPins.hold` pins: keep it referenced while reading."""

    __slots__ = ("ts", "__weakref__")

    def __init__(self, ts: int) -> None:
        self.ts = ts


@dataclass(frozen=True, slots=True)
class RetentionStats:
    """What retention has done since the database opened (`Database.retention_stats()`)."""

    delay_s: float | None
    """The retention delay; None while no retention service runs."""
    min_snapshot_ts: int
    """The floor: reads at older timestamps are refused."""
    confirmed_deleted_ts: int
    """Every revision at or below this timestamp has been processed."""
    oldest_pinned_ts: int | None
    """The oldest snapshot an in-flight transaction reads, which holds the floor back."""
    documents_deleted: int
    index_entries_deleted: int
    batches: int
    passes: int
    last_pass: PassReport | None = None
    """The last finished pass, None before one finishes."""


@dataclass(frozen=True, slots=True)
class PassReport:
    """One finished retention pass: when it ended (wall clock, ns) and what it deleted."""

    finished_ns: int
    documents_deleted: int
    index_entries_deleted: int


class Retention:
    """Deletes expired rows in batches; `run_pass` does one pass up to the current floor.

    `latest_ts` is the latest published commit timestamp and `registry` the latest
    metadata; both come from the database. Not thread-safe: one service drives it.
    """

    def __init__(
        self,
        persistence: Persistence,
        pins: SnapshotPins,
        latest_ts: Callable[[], int],
        registry: Callable[[], Registry],
        *,
        batch_size: int = 256,
        clock: Callable[[], int] = time.time_ns,
    ) -> None:
        self.persistence = persistence
        self._clock = clock
        self.pins = pins
        self._latest_ts = latest_ts
        self._registry = registry
        self.batch_size = batch_size
        self.delay_s: float | None = None
        cursor = stored_ts(persistence, CONFIRMED_DELETED_TS)
        self.cursor = -1 if cursor is None else cursor
        self.dropped: list[str] = list(persistence.get_global(DROPPED_INDEXES) or [])
        self.documents_deleted = 0
        self.index_entries_deleted = 0
        self.batches = 0
        self.passes = 0
        self.last_pass: PassReport | None = None

    def stats(self) -> RetentionStats:
        return RetentionStats(
            self.delay_s,
            self.pins.floor,
            self.cursor,
            self.pins.oldest(),
            self.documents_deleted,
            self.index_entries_deleted,
            self.batches,
            self.passes,
            self.last_pass,
        )

    def run_pass(
        self,
        delay_ns: int,
        *,
        max_batches: int | None = None,
        stop: threading.Event | None = None,
        pause_s: float = 0.0,
    ) -> bool:
        """Raise the floor to `latest_ts − delay_ns` (or the oldest pin) and delete below it.

        Waits `pause_s` between batches (on `stop`, which ends the pass early).
        Returns True when the pass reached the floor, False when it stopped with
        work left (`max_batches` reached, or `stop` set).
        """
        self.passes += 1
        documents, entries = self.documents_deleted, self.index_entries_deleted
        finished = self._run_pass(delay_ns, max_batches, stop, pause_s)
        if finished:
            self.last_pass = PassReport(
                self._clock(),
                self.documents_deleted - documents,
                self.index_entries_deleted - entries,
            )
        return finished

    def _run_pass(
        self,
        delay_ns: int,
        max_batches: int | None,
        stop: threading.Event | None,
        pause_s: float,
    ) -> bool:
        candidate = self._latest_ts() - delay_ns
        oldest = self.pins.oldest()
        if oldest is not None and oldest < candidate:
            # A finished transaction caught in a reference cycle (a function's frames and
            # its syscalls, say) pins until the cyclic collector frees it, which in a quiet
            # process may be long: collect once before letting it hold the floor back.
            gc.collect()
        floor = self.pins.advance(candidate)
        if not self._purge_dropped(stop, pause_s):
            return False
        log_rows = _Rows(self.persistence.load_documents(self.cursor + 1, floor + 1))
        batches = 0
        while self.cursor < floor:
            if max_batches is not None and batches >= max_batches:
                return False
            if batches and stop is not None and stop.wait(pause_s):
                return False
            self._next_batch(log_rows, floor)
            batches += 1
            if self.dropped and not self._purge_dropped(stop, pause_s):
                return False
        return True

    def _purge_dropped(self, stop: threading.Event | None, pause_s: float) -> bool:
        """Delete the entries of the indexes dropped below the floor, `PURGE_ROWS` at a time
        (no snapshot at or above the floor reads them: they left the registry at or below
        it); False if `stop` interrupted it."""
        while self.dropped:
            index_id = bytes.fromhex(self.dropped[0])
            while (purged := self.persistence.purge_index(index_id, PURGE_ROWS)) == PURGE_ROWS:
                self.index_entries_deleted += purged
                if stop is not None and stop.wait(pause_s):
                    return False
            self.index_entries_deleted += purged
            self.persistence.delete([], [], {DROPPED_INDEXES: self.dropped[1:]})
            self.dropped = self.dropped[1:]
        return True

    def _next_batch(self, log_rows: _Rows, floor: int) -> None:
        """Process up to `batch_size` revisions of the log in one delete.

        One pass reads the log once: rows a batch deletes are behind the reader (earlier
        revisions, and tombstones already read). A batch ends between two timestamps, so
        the cursor can say "everything up to here"; a commit larger than a batch is split,
        the cursor staying put until its last piece (a piece redone after a crash finds
        its rows gone and deletes nothing).
        """
        batch = log_rows.take(self.batch_size)
        following = log_rows.peek()
        if following is None:
            cursor = floor
        elif following.ts != batch[-1].ts:
            cursor = following.ts - 1
        else:
            last_ts = batch[-1].ts
            complete = [r for r in batch if r.ts < last_ts]
            if complete:
                log_rows.push_back(batch[len(complete) :])
                batch, cursor = complete, last_ts - 1
            else:
                cursor = self.cursor
        self._retire(batch, floor, cursor)

    def _retire(self, revisions: list[DocumentRevision], floor: int, cursor: int) -> None:
        registry = self._registry()
        documents, indexes = expired_rows(revisions, self.persistence, registry)
        index_table = registry.tables_by_name[INDEX_TABLE].tablet_id
        dropped = [
            r.internal_id.hex()
            for r in revisions
            if r.json_value is None and r.tablet_id == index_table
        ]
        new = [index_id for index_id in dropped if index_id not in self.dropped]
        if not documents and not indexes and not new:
            # Nothing to delete: no write (a quiet store costs no commit per pass). The
            # stored cursor stays behind, so a restart re-reads these revisions and again
            # finds nothing; the stored floor stays lower, which deleted nothing above it.
            self.cursor = cursor
            return
        self._delete(documents, indexes, floor, cursor, self.dropped + new)

    def _delete(
        self,
        documents: list[tuple[int, bytes, bytes]],
        indexes: list[tuple[bytes, bytes, int]],
        floor: int,
        cursor: int,
        dropped: list[str],
    ) -> None:
        deleted_documents, deleted_indexes = self.persistence.delete(
            sorted(documents),  # in primary-key order: neighbouring rows share B-tree pages
            sorted(indexes),
            {
                MIN_SNAPSHOT_TS: floor,
                DOCUMENT_MIN_SNAPSHOT_TS: floor,
                CONFIRMED_DELETED_TS: cursor,
                DOCUMENT_CONFIRMED_DELETED_TS: cursor,
                DROPPED_INDEXES: dropped,
            },
        )
        self.cursor = cursor
        self.dropped = dropped
        self.documents_deleted += deleted_documents
        self.index_entries_deleted += deleted_indexes
        self.batches += 1


def expired_rows(
    revisions: Iterable[DocumentRevision], persistence: Persistence, registry: Registry
) -> tuple[list[tuple[int, bytes, bytes]], list[tuple[bytes, bytes, int]]]:
    """The rows each revision retires (all of them at or below the floor), by primary key.

    For `R@t` with predecessor `P@p`: `P`'s documents row, `P`'s index entries at `p`,
    and the tombstones at `t` for the keys `R` no longer has; a tombstone `R` itself.
    `P` is usually earlier in the same batch; otherwise it is read from storage, and if
    it is gone already (a batch re-run after a crash), its index entries went with it.
    """
    documents: list[tuple[int, bytes, bytes]] = []
    indexes: list[tuple[bytes, bytes, int]] = []
    seen: dict[tuple[bytes, bytes], DocumentRevision] = {}
    for r in revisions:
        doc_key = (r.tablet_id, r.internal_id)
        if r.json_value is None:
            documents.append((r.ts, r.tablet_id, r.internal_id))
        if r.prev_ts is not None:
            documents.append((r.prev_ts, r.tablet_id, r.internal_id))
            prev = seen.get(doc_key)
            if prev is None or prev.ts != r.prev_ts:
                prev = persistence.get_document(r.tablet_id, r.internal_id, r.prev_ts)
            if prev is not None and prev.ts == r.prev_ts and prev.json_value is not None:
                _expired_entries(prev, r, registry, indexes)
        seen[doc_key] = r
    return documents, indexes


def _expired_entries(
    prev: DocumentRevision,
    revision: DocumentRevision,
    registry: Registry,
    out: list[tuple[bytes, bytes, int]],
) -> None:
    table_indexes = registry.indexes_by_table.get(prev.tablet_id)
    if not table_indexes:
        return
    assert prev.json_value is not None
    old = loads(prev.json_value)
    new = None if revision.json_value is None else loads(revision.json_value)
    idk = id_key(old["_id"])
    for index in table_indexes.values():
        key = index_key(index.fields, old, idk)
        out.append((index.index_id, key, prev.ts))
        if new is None or index_key(index.fields, new, idk) != key:
            out.append((index.index_id, key, revision.ts))


class _Rows:
    """The document log read forward, with a look at the next row and rows handed back."""

    def __init__(self, rows: Iterator[DocumentRevision]) -> None:
        self._rows = rows
        self._back: list[DocumentRevision] = []

    def peek(self) -> DocumentRevision | None:
        if not self._back:
            row = next(self._rows, None)
            if row is None:
                return None
            self._back.append(row)
        return self._back[-1]

    def take(self, n: int) -> list[DocumentRevision]:
        taken: list[DocumentRevision] = []
        while len(taken) < n and self.peek() is not None:
            taken.append(self._back.pop())
        return taken

    def push_back(self, rows: list[DocumentRevision]) -> None:
        self._back.extend(reversed(rows))


class RetentionService:
    """Runs retention on its own thread: a pass every `interval_s`, batches back to back
    while work remains, with `pause_s` between batches so commits and reads get the
    store (and the GIL) in between. Errors are logged and retried at the next pass."""

    def __init__(
        self,
        retention: Retention,
        delay_s: float,
        *,
        interval_s: float = 15.0,
        pause_s: float = 0.002,
    ) -> None:
        if delay_s < 0:
            raise ValueError(f"the retention delay must not be negative, not {delay_s}")
        self.retention = retention
        self.delay_ns = int(delay_s * 1e9)
        self.interval_s = interval_s
        self.pause_s = pause_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        retention.delay_s = delay_s

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="convexlite-retention", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.retention.run_pass(self.delay_ns, stop=self._stop, pause_s=self.pause_s)
            except Exception:
                log.exception("retention pass failed; retrying at the next pass")
            self._stop.wait(self.interval_s)
