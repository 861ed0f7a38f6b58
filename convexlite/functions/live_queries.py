"""Live queries: results that follow the database (spec/database.md §6.4–§6.5).

Every distinct (path, args, identity) is one `SharedQuery`, however many
subscribers watch it: it runs once, registers its read set with the
tracker, and runs again only when a commit writes into that read set, or
when the functions themselves change. New
results go to each subscriber's one-slot mailbox, so a slow reader never
holds anything up; it simply skips to the latest result.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

from convexlite.database.database import Database
from convexlite.functions.dispatch import FunctionDispatch
from convexlite.functions.metrics import function_key
from convexlite.functions.runner import FunctionRunner, TrackedExecution
from convexlite.subscriptions.tracker import Subscription, SubscriptionTracker
from convexlite.values import dumps
from convexlite.values.function_paths import canonicalize


@dataclass(frozen=True, slots=True)
class QueryResult:
    """One state of a live query: its value, or the error it raised, as of timestamp `ts`."""

    value: Any
    error: BaseException | None
    ts: int
    log_lines: list[str]
    encoded: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
    """Wire encodings of this result, made once by a transport and shared by every
    subscriber it reaches (the result is the same object for all of them)."""

    def unwrap(self) -> Any:
        """The value, or raise the query's error."""
        if self.error is not None:
            raise self.error
        return self.value


def _fingerprint(outcome: TrackedExecution) -> tuple[str, str, str]:
    """What makes two results the same for a subscriber (timestamps aside)."""
    if outcome.error is not None:
        return ("error", type(outcome.error).__name__, str(outcome.error))
    return ("value", dumps(outcome.value), "\n".join(outcome.log_lines))


class QuerySubscription:
    """An async iterator over a live query's results: the current one first, then each change."""

    def __init__(self, live: SharedQuery) -> None:
        self._live = live
        self._latest: QueryResult | None = None
        self._ready = asyncio.Event()
        self.closed = False
        self.on_settled: Callable[[], None] | None = None
        """Called after each run of the query, changed result or not: `current_at` may
        have become true with nothing new to iterate (the sync endpoint waits on it)."""

    def _offer(self, result: QueryResult) -> None:
        self._latest = result
        self._ready.set()

    @property
    def current(self) -> QueryResult | None:
        """The latest result delivered to this subscription, read or not."""
        return self._latest

    def current_at(self, ts: int) -> bool:
        """True if the latest result is known to be the query's result as of `ts`.

        The tracker checks the write log itself rather than pending invalidation
        callbacks, so a caller that saw commit `ts` published (a mutation's
        response) can rely on it: no re-run is scheduled or running, and no
        commit up to `ts` wrote into what the result read, and this subscriber
        has taken the latest result from its mailbox.
        """
        return not self._ready.is_set() and self._live.current_at(ts)

    def __aiter__(self) -> AsyncIterator[QueryResult]:
        return self

    async def __anext__(self) -> QueryResult:
        if self.closed:
            raise StopAsyncIteration
        await self._ready.wait()
        if self.closed:
            raise StopAsyncIteration
        self._ready.clear()
        assert self._latest is not None
        return self._latest

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self._ready.set()
            self._live.leave(self)

    async def __aenter__(self) -> QuerySubscription:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.close()


class SharedQuery:
    """One query kept up to date for all of its subscribers."""

    def __init__(
        self,
        owner: LiveQueries,
        key: tuple[str, str, str, bool],
        path: str,
        args: Any,
        identity: Any,
        internal_ok: bool,
    ) -> None:
        self._owner = owner
        self.key = key
        self.path = path
        self.args = args
        self.identity = identity
        self.internal_ok = internal_ok
        self.subscribers: set[QuerySubscription] = set()
        self.result: QueryResult | None = None
        self.executions = 0
        self._fingerprint: tuple[str, str, str] | None = None
        self._journal: str | None = None
        self._subscription: Subscription | None = None
        self._stale = True
        self._task: asyncio.Task[None] | None = None
        self.metrics_key = None if "_system/" in path else function_key(path)
        """How the metrics name the query (None for a system query: not counted)."""

    def join(self) -> QuerySubscription:
        sub = QuerySubscription(self)
        self.subscribers.add(sub)
        if self.result is not None:
            sub._offer(self.result)
            if not self._stale and self.metrics_key is not None:
                self._owner.runner.metrics.cache_hit(self.metrics_key)
        self.refresh()
        return sub

    def leave(self, sub: QuerySubscription) -> None:
        self.subscribers.discard(sub)
        if not self.subscribers:
            self._owner._forget(self)
            if self._subscription is not None:
                self._owner.tracker.unsubscribe(self._subscription)
            if self._task is not None:
                self._task.cancel()

    def refresh(self) -> None:
        """Run again if stale; at most one run at a time, and a run after the last change."""
        if self._stale and (self._task is None or self._task.done()) and self.subscribers:
            self._task = asyncio.get_running_loop().create_task(self._run())

    def current_at(self, ts: int) -> bool:
        """See `QuerySubscription.current_at`: no run pending, and the tracker's word
        that no commit up to `ts` wrote into the latest run's reads."""
        sub = self._subscription
        if self._stale or sub is None or self.result is None:
            return False
        if self._task is not None and not self._task.done():
            return False
        return self._owner.tracker.valid_through(sub, ts)

    def invalidate(self, sub: Subscription) -> None:
        if sub is self._subscription:
            self.rerun()

    def rerun(self) -> None:
        """Run again (after the running run, if any), whatever the tracker says."""
        self._stale = True
        self.refresh()

    async def _run(self) -> None:
        owner = self._owner
        while self._stale and self.subscribers:
            self._stale = False
            try:
                outcome = await owner.dispatch.query_tracked(
                    self.path,
                    self.args,
                    identity=self.identity,
                    journal=self._journal,
                    internal_ok=self.internal_ok,
                )
            except Exception as exc:
                outcome = TrackedExecution(None, exc, [], owner.tracker.processed_ts, {}, None)
            self.executions += 1
            self._journal = outcome.journal
            if self._subscription is not None:
                owner.tracker.unsubscribe(self._subscription)
            self._subscription = owner.tracker.subscribe(
                outcome.reads, outcome.ts, owner.invalidation_callback(self)
            )
            fingerprint = _fingerprint(outcome)
            if fingerprint != self._fingerprint:
                self._fingerprint = fingerprint
                self.result = QueryResult(
                    outcome.value, outcome.error, outcome.ts, outcome.log_lines
                )
                for sub in self.subscribers:
                    sub._offer(self.result)
        for sub in tuple(self.subscribers):
            if sub.on_settled is not None:
                sub.on_settled()


class LiveQueries:
    """The live queries of one backend, fed by the commits its database publishes."""

    def __init__(
        self,
        db: Database,
        runner: FunctionRunner,
        dispatch: FunctionDispatch,
        loop: asyncio.AbstractEventLoop,
    ) -> None:
        self.runner = runner
        self.dispatch = dispatch
        self.loop = loop
        self.tracker = SubscriptionTracker.following(db)
        self.tracker.on_invalidated = runner.metrics.invalidated
        self._queries: dict[tuple[str, str, str, bool], SharedQuery] = {}
        self._invalidated: list[tuple[SharedQuery, Subscription]] = []
        self._invalidated_lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._queries)

    def subscriber_count(self) -> int:
        """Subscriptions open (several may share one query's runs)."""
        return sum(len(live.subscribers) for live in list(self._queries.values()))

    def subscribe(
        self, path: str, args: Any = None, identity: Any = None, *, internal_ok: bool = False
    ) -> QuerySubscription:
        """Watch `path(args)`; must be called on the backend's event loop.

        `internal_ok` (an admin caller) also allows internal and system queries.
        """
        canonical = canonicalize(path)
        key = (canonical, dumps(args if args is not None else {}), dumps(identity), internal_ok)
        live = self._queries.get(key)
        if live is None:
            live = self._queries[key] = SharedQuery(
                self, key, canonical, args, identity, internal_ok
            )
        return live.join()

    def _forget(self, live: SharedQuery) -> None:
        if self._queries.get(live.key) is live:
            del self._queries[live.key]

    def close(self) -> None:
        """End every subscription's iteration."""
        for live in list(self._queries.values()):
            for sub in list(live.subscribers):
                sub.close()

    def functions_changed(self) -> None:
        """New code is served (a push, a deployment applied): every live query runs again,
        as a result may depend on the code as much as on the data. Any thread may call it."""
        with contextlib.suppress(RuntimeError):  # the loop closed: nobody is left to tell
            self.loop.call_soon_threadsafe(self._rerun_all)

    def _rerun_all(self) -> None:
        for live in list(self._queries.values()):
            live.rerun()

    def invalidation_callback(self, live: SharedQuery) -> Callable[[Subscription], None]:
        """Called by the tracker on the committing thread: queue it for the event loop.

        One commit can invalidate thousands of live queries; they cross to the
        loop as one batch, so the committing thread wakes the loop once (and not at
        all when it is the loop's own thread, as for a mutation run on the loop).
        """

        def invalidated(sub: Subscription) -> None:
            with self._invalidated_lock:
                self._invalidated.append((live, sub))
                if len(self._invalidated) > 1:
                    return
            try:
                if _running_loop() is self.loop:
                    self.loop.call_soon(self._deliver_invalidations)
                else:
                    self.loop.call_soon_threadsafe(self._deliver_invalidations)
            except RuntimeError:  # the loop has closed: nobody is left to tell
                with self._invalidated_lock:
                    self._invalidated.clear()

        return invalidated

    def _deliver_invalidations(self) -> None:
        with self._invalidated_lock:
            batch, self._invalidated = self._invalidated, []
        for live, sub in batch:
            live.invalidate(sub)


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None
