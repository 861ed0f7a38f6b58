"""The single committer (spec/database.md §5.5).

Every commit gets a strictly increasing timestamp, is validated against the
write log of commits after its snapshot, and is appended to storage before
it becomes visible. Callers that arrive while a commit is being written
queue up; the next leader writes all of them in one storage transaction
(group commit), each with its own timestamp and its own OCC check.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from convexlite.database.errors import DocumentDeleted, DocumentExists, StorageFailed
from convexlite.database.index_keys import id_key, index_key
from convexlite.database.intervals import IntervalSet
from convexlite.database.metadata import INDEX_TABLE, VIRTUAL_INDEX_BY_TABLE_ID, Registry
from convexlite.database.search.conflict_keys import text_index_id, written_keys
from convexlite.database.store import Clock
from convexlite.database.table_counts import TableCounts
from convexlite.database.transaction import MetadataChanges, PendingWrite, Transaction
from convexlite.database.write_log import (
    LogEntry,
    OptimisticConcurrencyControlFailure,
    WriteLog,
    WrittenKey,
    find_conflict,
)
from convexlite.errors import InternalError
from convexlite.persistence.errors import CommitOutcomeUnknownError
from convexlite.persistence.types import DocumentRevision, IndexEntry, Persistence
from convexlite.values import MAX_COMMIT_TS, loads, resolve_commit_ts, resolve_commit_ts_json

CommitListener = Callable[[LogEntry], None]


_Documents = list[tuple[bytes, bytes, str | None, int | None]]
_Indexes = list[tuple[bytes, bytes, bool, bytes, bytes]]
_LogKeys = dict[bytes, list[WrittenKey]]


@dataclass(slots=True)
class PreparedCommit:
    """A transaction's rows with the timestamp left to fill in.

    `unresolved` are the writes whose documents hold commit-timestamp placeholders: their
    text, index keys and written keys depend on the timestamp, so `rows_at` builds them.
    """

    begin_ts: int
    reads: dict[bytes, IntervalSet]
    documents: _Documents
    indexes: _Indexes
    log_keys: _LogKeys
    metadata: MetadataChanges
    unresolved: list[tuple[PendingWrite, dict[bytes, tuple[tuple[str, ...], ...]]]]
    counts: dict[bytes, int]
    """The net number of documents each table (by tablet id) gains or loses."""
    source: str | None = None

    def rows_at(self, ts: int) -> tuple[list[DocumentRevision], list[IndexEntry]]:
        return self.resolve(ts)[:2]

    def resolve(
        self, ts: int
    ) -> tuple[list[DocumentRevision], list[IndexEntry], _LogKeys]:
        """The rows and written keys of this commit at `ts`, placeholders replaced by `ts`."""
        documents, indexes, log_keys = self.documents, self.indexes, self.log_keys
        if self.unresolved:
            documents, indexes = list(documents), list(indexes)
            log_keys = {index_id: list(keys) for index_id, keys in log_keys.items()}
            for w, fields in self.unresolved:
                assert w.new_json is not None
                new_json = resolve_commit_ts_json(w.new_json, ts)
                doc = loads(new_json)
                idk = id_key(w.id_str)
                new_keys = {ix: index_key(fields[ix], doc, idk) for ix in w.new_keys}
                _add_rows(w, new_json, new_keys, documents, indexes, log_keys)
        docs = [DocumentRevision(t, i, ts, j, p) for t, i, j, p in documents]
        idx = [
            IndexEntry(ix, k, ts, d, None if d else t, None if d else i)
            for ix, k, d, t, i in indexes
        ]
        return docs, idx, log_keys


def _add_rows(
    w: PendingWrite,
    new_json: str | None,
    new_keys: dict[bytes, bytes],
    documents: _Documents,
    indexes: _Indexes,
    log_keys: _LogKeys,
) -> None:
    tablet = w.table.tablet_id
    documents.append((tablet, w.internal_id, new_json, w.prev_ts))
    for index_id, old_key in w.prev_keys.items():
        new_key = new_keys.get(index_id)
        if new_key != old_key:
            indexes.append((index_id, old_key, True, tablet, w.internal_id))
    for index_id, new_key in new_keys.items():
        indexes.append((index_id, new_key, False, tablet, w.internal_id))
    for keys in (w.prev_keys, new_keys):
        for index_id, key in keys.items():
            log_keys.setdefault(index_id, []).append(WrittenKey(key, w.table.name, w.id_str))


def prepare(tx: Transaction) -> PreparedCommit:
    """Turn a transaction's write set into rows (spec/database.md §3.4, §4.5)."""
    documents: _Documents = []
    indexes: _Indexes = []
    log_keys: _LogKeys = {}
    unresolved = []
    counts: dict[bytes, int] = {}
    for w in tx.writes.values():
        if w.count_delta:
            counts[w.table.tablet_id] = counts.get(w.table.tablet_id, 0) + w.count_delta
        _add_text_keys(tx, w, log_keys)
        if w.commit_ts:
            # Resolved in `rows_at` once the timestamp is known; placeholders only come from
            # user code, never in `_index` documents.
            fields = {ix: tx.registry.indexes_by_id[ix].fields for ix in w.new_keys}
            unresolved.append((w, fields))
            continue
        _add_rows(w, w.new_json, w.new_keys, documents, indexes, log_keys)
        if w.table.name == INDEX_TABLE:
            for json_value in _index_doc_versions(tx, w.new_json, w.internal_id):
                table_key = id_key(json_value["table_id"]) + id_key(w.id_str)
                log_keys.setdefault(VIRTUAL_INDEX_BY_TABLE_ID, []).append(
                    WrittenKey(table_key, w.table.name, w.id_str)
                )
    return PreparedCommit(
        tx.begin_ts,
        tx.read_set(),
        documents,
        indexes,
        log_keys,
        tx.metadata,
        unresolved,
        counts,
        tx.write_source,
    )


def _add_text_keys(tx: Transaction, w: PendingWrite, log_keys: _LogKeys) -> None:
    """The keys the old and new versions of `w` write in its table's text indexes."""
    indexes = tx.store.text_indexes.get(w.table.name)
    if not indexes:
        return
    versions = [loads(j) for j in (w.prev_json, w.new_json) if j is not None]
    if w.commit_ts and w.new_json is not None:
        versions[-1] = resolve_commit_ts(versions[-1], MAX_COMMIT_TS)
    for index in indexes.values():
        keys: set[bytes] = set()
        for doc in versions:
            keys |= written_keys(index, doc)
        if keys:
            written = log_keys.setdefault(text_index_id(w.table.tablet_id, index), [])
            written.extend(WrittenKey(key, w.table.name, w.id_str) for key in sorted(keys))


def _index_doc_versions(tx: Transaction, new_json: str | None, internal_id: bytes) -> list[dict]:
    versions = []
    if new_json is not None:
        versions.append(loads(new_json))
    index = tx.base_registry.indexes_by_id.get(internal_id)
    if index is not None:
        versions.append(index.to_document_fields())
    return versions


@dataclass(slots=True)
class _Request:
    prepared: PreparedCommit
    durable: bool
    ts: int | None = None
    error: BaseException | None = None


class Committer:
    """Assigns timestamps, validates, writes, and publishes commits.

    A commit is *written* when its rows are in storage (and in the write log,
    so later commits are validated against it) and *published* once it is
    durable: only then do new snapshots include it and listeners hear of it.
    `commit(durable=True)` does both; `commit(durable=False)` only writes, and a
    later `flush()` makes every written commit durable and publishes it at
    once, so one flush to disk serves many commits.

    Two locks: the commit lock orders writes, the publish lock orders
    publication. A flush syncs storage holding only the publish lock, so
    commits go on being written (by the event loop, say) while another thread
    waits for the disk; they are published by the next flush. Commits are
    always published in timestamp order, each with the registry it left.
    """

    def __init__(
        self,
        persistence: Persistence,
        start_ts: int,
        registry: Registry,
        clock: Clock,
        counts: TableCounts | None = None,
    ) -> None:
        self.persistence = persistence
        self.counts = counts
        self._clock = clock
        self.write_log = WriteLog(start_ts)
        self.snapshot: tuple[int, Registry] = (start_ts, registry)
        self.written: tuple[int, Registry] = self.snapshot
        self._unpublished: list[tuple[LogEntry, Registry]] = []
        self._failure: StorageFailed | None = None
        self._last_ts = start_ts
        self._queue: list[_Request] = []
        self._queue_lock = threading.Lock()
        self._commit_lock = threading.Lock()
        self._publish_lock = threading.Lock()
        self._listeners: list[CommitListener] = []

    def add_listener(self, listener: CommitListener) -> None:
        self._listeners.append(listener)

    def commit(self, tx: Transaction, *, durable: bool = True) -> int:
        """Validate and write `tx`, and if `durable` make it durable and visible; returns its ts."""
        if not tx.writes:
            return tx.begin_ts
        self._check_explicit_ids(tx)
        request = _Request(prepare(tx), durable)
        with self._queue_lock:
            self._queue.append(request)
        with self._commit_lock:
            if request.ts is None and request.error is None:
                with self._queue_lock:
                    batch, self._queue = self._queue, []
                self._process(batch)
        if request.error is not None:
            raise request.error
        assert request.ts is not None
        if durable:
            self._publish_through(request.ts)
        return request.ts

    def flush(self) -> None:
        """Make every commit written so far durable and publish it."""
        with self._publish_lock:
            with self._commit_lock:
                if not self._unpublished:
                    return
                through = self._unpublished[-1][0].ts
            try:
                self.persistence.flush()
            except Exception as exc:
                with self._commit_lock:
                    raise self._fail(exc) from exc
            self._publish(through)

    def _publish_through(self, ts: int) -> None:
        """Publish the commits up to `ts`, which storage already holds durably."""
        with self._publish_lock:
            self._publish(ts)

    def _fail(self, exc: Exception) -> StorageFailed:
        """Storage may have lost writes it accepted, or kept one it refused: refuse every
        later commit, since timestamps and OCC checks would build on a wrong picture.
        Reopening reads what storage really holds."""
        self._failure = StorageFailed(
            f"Storage failed to make commits durable ({exc}); reopen the backend."
        )
        return self._failure

    def _publish(self, through: int) -> None:
        """Publish the unpublished commits up to `through`, in order (publish lock held)."""
        with self._commit_lock:
            count = 0
            for entry, _ in self._unpublished:
                if entry.ts > through:
                    break
                count += 1
            if not count:
                return
            published = self._unpublished[:count]
            del self._unpublished[:count]
            last, registry = published[-1]
            self.snapshot = (last.ts, registry)
        for entry, _ in published:
            for listener in self._listeners:
                listener(entry)

    def _check_explicit_ids(self, tx: Transaction) -> None:
        for w in tx.writes.values():
            if not w.explicit_id:
                continue
            revision = self.persistence.get_document(w.table.tablet_id, w.internal_id, tx.begin_ts)
            if revision is None:
                continue
            if revision.deleted:
                raise DocumentDeleted(
                    f"Cannot recreate document with _id {w.id_str} that was deleted. Try to "
                    "insert it without an _id or insert into another table."
                )
            raise DocumentExists(
                f"Cannot create document with _id {w.id_str} that already exists. Try to "
                "update it with `db.patch` or `db.replace`."
            )

    def _next_ts(self) -> int:
        """The clock's time, unless that would not be after the last commit (it went back)."""
        self._last_ts = max(self._last_ts + 1, self._clock())
        return self._last_ts

    def _process(self, batch: list[_Request]) -> None:
        if self._failure is not None:
            for request in batch:
                request.error = self._failure
            return
        accepted: list[tuple[_Request, LogEntry]] = []
        documents: list[DocumentRevision] = []
        indexes: list[IndexEntry] = []
        for request in batch:
            prepared = request.prepared
            since = self.write_log.after(prepared.begin_ts)
            if since is None:
                request.error = OptimisticConcurrencyControlFailure(None)
                continue
            conflict = find_conflict(prepared.reads, since) or find_conflict(
                prepared.reads, (entry for _, entry in accepted)
            )
            if conflict is not None:
                request.error = OptimisticConcurrencyControlFailure(conflict)
                continue
            ts = self._next_ts()
            # Commit-timestamp placeholders are resolved here, the one place that knows `ts`,
            # before anything is written to storage, the write log or listeners.
            docs, idx, log_keys = prepared.resolve(ts)
            documents.extend(docs)
            indexes.extend(idx)
            accepted.append((request, LogEntry(ts, log_keys, prepared.source)))
        if not accepted:
            return
        durable = any(request.durable for request, _ in accepted)
        try:
            self.persistence.write(documents, indexes, durable=durable)
        except (OSError, CommitOutcomeUnknownError) as exc:
            failure = self._fail(exc)
            for request, _ in accepted:
                request.error = failure
            return
        except Exception as exc:
            for request, _ in accepted:
                request.error = InternalError(f"Failed to write to storage: {exc}")
            return
        registry = self.written[1]
        for request, entry in accepted:
            self.write_log.append(entry)
            if self.counts is not None:
                self.counts.apply(entry.ts, request.prepared.counts)
            if request.prepared.metadata:
                meta = request.prepared.metadata
                registry = registry.apply(meta.tables, meta.indexes)
            self._unpublished.append((entry, registry))
            request.ts = entry.ts
        self.written = (accepted[-1][1].ts, registry)
