"""Where an async caller's queries and mutations run: on its event loop, or on the function thread.

Handing a call to the function thread and back costs two thread wake-ups,
about 130 µs on a 2-core VM: more than a point-read query takes. And under
the GIL the function thread never runs beside the loop anyway, so it buys
no parallelism, only the loop's chance to read sockets in 5 ms slices while
a long function runs (the next calls wait for the thread either way). So,
with `inline=True` (a store on the local disk or in memory), queries and
mutations run on the caller's loop: a query reads the published snapshot
and returns; a mutation commits without a sync to disk and awaits a
`LoopFlush`, whose one sync covers every commit of the same loop turn (group
commit), before its result is released.

Functions whose invoke would wait on V8 (`FunctionDefinition.invoke_awaitable`)
are awaited there instead (`runner.drive_awaiting`): the loop serves other calls
while their JavaScript runs on the context's own thread, beside the loop on
the second core.

The function thread (a `BatchingExecutor` for `Backend`, a pool for
`SyncBackend`) runs the rest: every call when the store is reached over the
network (Postgres, MySQL), a mutation that met an OCC conflict (its retries
back off with a sleep), and deployments, which must not overlap a mutation
(`exclusive`).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import weakref
from collections.abc import Callable
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from typing import Any, TypeVar

from convexlite.database.database import Database
from convexlite.database.transaction import Transaction
from convexlite.database.write_log import OptimisticConcurrencyControlFailure
from convexlite.functions.batching import BatchingExecutor
from convexlite.functions.metrics import ISOLATE, QUEUED, concurrency_gauge
from convexlite.functions.runner import (
    Execution,
    Flow,
    FunctionRunner,
    TrackedExecution,
    drive,
    drive_awaiting,
)
from convexlite.functions.scheduler import ScheduledRun
from convexlite.functions.session_requests import SessionRequest
from convexlite.functions.timing import recent_average

T = TypeVar("T")
Identity = dict[str, Any] | None


class LoopFlush:
    """Group commit for one event loop: the commits written in a loop turn become durable
    (and visible) with one sync of storage; commits written during a sync wait for the next.

    Where the sync runs: a lone mutation in its turn is synced right there on the loop
    when recent syncs took under `INLINE_SYNC_S` (two thread wake-ups would cost it more
    than the sync itself); several, or a slow disk, are synced on the sync thread while
    the loop goes on serving, so the loop never waits long for the disk.
    """

    INLINE_SYNC_S = 0.001

    def __init__(
        self, db: Database, loop: asyncio.AbstractEventLoop, syncer: ThreadPoolExecutor
    ) -> None:
        self._db = db
        self._loop = loop
        self._syncer = syncer
        self._waiting: list[asyncio.Future[None]] = []
        self._syncing = False
        self._recent_sync_s = 0.0

    def wait(self) -> asyncio.Future[None]:
        """A future resolved once everything written so far is durable."""
        waiter = self._loop.create_future()
        self._waiting.append(waiter)
        if len(self._waiting) == 1 and not self._syncing:
            self._loop.call_soon(self._start)
        return waiter

    def _start(self) -> None:
        if self._syncing or not self._waiting:
            return
        waiters, self._waiting = self._waiting, []
        if len(waiters) == 1 and self._recent_sync_s < self.INLINE_SYNC_S:
            sync: Future[None] = Future()
            try:
                self._timed_sync()
            except BaseException as exc:
                sync.set_exception(exc)
            else:
                sync.set_result(None)
            self._finished(waiters, sync)
            return
        self._syncing = True
        on_thread = self._syncer.submit(self._timed_sync)
        on_thread.add_done_callback(lambda done: self._hand_back(waiters, done))

    def _timed_sync(self) -> None:
        started = time.perf_counter()
        try:
            self._db.flush()
        finally:
            elapsed = time.perf_counter() - started
            self._recent_sync_s = recent_average(self._recent_sync_s, elapsed)

    def _hand_back(self, waiters: list[asyncio.Future[None]], done: Future[None]) -> None:
        with contextlib.suppress(RuntimeError):  # the loop closed: nobody is left to tell
            self._loop.call_soon_threadsafe(self._finished, waiters, done)

    def _finished(self, waiters: list[asyncio.Future[None]], done: Future[None]) -> None:
        self._syncing = False
        error = done.exception()
        for waiter in waiters:
            if waiter.done():
                continue
            if error is None:
                waiter.set_result(None)
            else:
                waiter.set_exception(error)
        self._start()


class FunctionDispatch:
    """Runs queries and mutations for async callers where they cost least (see the module
    docstring); every async path of the engine (facade, live queries, actions' nested
    calls, deployments) goes through one dispatch, so they agree on durability."""

    def __init__(self, runner: FunctionRunner, executor: Executor, *, inline: bool) -> None:
        self.runner = runner
        self.executor = executor
        self._inline = inline
        self._batching = isinstance(executor, BatchingExecutor)
        self._exclusive = 0
        self._flushes: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, LoopFlush] = (
            weakref.WeakKeyDictionary()
        )
        self._syncer = ThreadPoolExecutor(1, thread_name_prefix="convexlite-sync")

    def _on_loop(self) -> bool:
        return self._inline and not self._exclusive

    async def _read(self, flow: Callable[[], Flow[T]]) -> T:
        """Run a query's flow where it belongs (a query needs no flush)."""
        if self._on_loop():
            return await drive_awaiting(flow())
        return await self._on_thread(lambda: drive(flow()), "Query")

    def _durable_on_thread(self) -> bool:
        """On a batching executor only a batch's last call flushes (its barrier covers the
        rest); on a plain pool every commit flushes itself."""
        return not self._batching or self.executor.last_in_batch()  # type: ignore[attr-defined]

    async def _on_thread(self, call: Callable[[], T], kind: str | None = None) -> T:
        """Run `call` on the function thread; a query or mutation (`kind`) counts as queued
        in the metrics until the thread takes it up."""
        loop = asyncio.get_running_loop()
        if kind is None:
            return await loop.run_in_executor(self.executor, call)
        metrics, gauge = self.runner.metrics, concurrency_gauge(ISOLATE, kind, QUEUED)
        metrics.adjust(gauge, 1)

        def started() -> T:
            metrics.adjust(gauge, -1)
            return call()

        return await loop.run_in_executor(self.executor, started)

    async def query(
        self,
        path: str,
        args: Any,
        *,
        identity: Identity,
        internal_ok: bool,
        caller: str | None = None,
        at_ts: int | None = None,
    ) -> Execution:
        return await self._read(
            lambda: self.runner.query_flow(path, args, identity, internal_ok, at_ts, caller)
        )

    async def query_tracked(
        self, path: str, args: Any, *, identity: Identity, internal_ok: bool, journal: str | None
    ) -> TrackedExecution:
        """A live query's run, with its read set (`FunctionRunner.run_query_tracked`)."""
        return await self._read(
            lambda: self.runner.tracked_query_flow(path, args, identity, journal, internal_ok)
        )

    async def mutation(
        self,
        path: str,
        args: Any,
        *,
        identity: Identity,
        internal_ok: bool,
        caller: str | None = None,
        job: ScheduledRun | None = None,
        session: SessionRequest | None = None,
    ) -> Execution:
        return await self._write(
            lambda durable, retry_conflicts: self.runner.mutation_flow(
                path, args, identity, internal_ok, durable, caller, retry_conflicts, job, session
            )
        )

    async def transaction(self, body: Callable[[Transaction], T]) -> T:
        """`body(tx)` committed durably in a transaction of its own, retried on conflicts.
        Its result is the engine's own, so one that wrote nothing waits for no flush."""
        wrote = False

        def tracked(tx: Transaction) -> T:
            nonlocal wrote
            result = body(tx)
            wrote = bool(tx.writes)
            return result

        return await self._write(
            lambda durable, retry_conflicts: self.runner.transaction_flow(
                tracked, durable=durable, retry_conflicts=retry_conflicts
            ),
            flush=lambda: wrote,
        )

    async def _write(
        self, flow: Callable[[bool, bool], Flow[T]], flush: Callable[[], bool] = lambda: True
    ) -> T:
        """Run a read-write flow made by `flow(durable, retry_conflicts)` where it belongs:
        on the loop without retries (a conflict moves it to the thread, where retries may
        sleep), released once durable (when `flush()` says it needs to be)."""
        if self._on_loop():
            try:
                result = await drive_awaiting(flow(False, False))
            except OptimisticConcurrencyControlFailure:
                pass
            else:
                if flush():
                    await self._flush().wait()
                return result
        return await self._on_thread(
            lambda: drive(flow(self._durable_on_thread(), True)), "Mutation"
        )

    async def action(
        self,
        path: str,
        args: Any,
        *,
        identity: Identity,
        internal_ok: bool,
        caller: str | None = None,
        job: ScheduledRun | None = None,
    ) -> Execution:
        return await self.runner.run_action(
            path,
            args,
            calls=self,
            identity=identity,
            internal_ok=internal_ok,
            caller=caller,
            job=job,
        )

    async def exclusive(self, call: Callable[[], T]) -> T:
        """Run `call` on the function thread with no mutation running meanwhile: calls
        arriving meanwhile queue behind it there, and commits written before it are
        made durable first, so it sees them in the published snapshot."""
        self._exclusive += 1
        try:
            return await self._on_thread(lambda: self._after_flush(call))
        finally:
            self._exclusive -= 1

    def _after_flush(self, call: Callable[[], T]) -> T:
        self.runner.db.flush()
        return call()

    def _flush(self) -> LoopFlush:
        loop = asyncio.get_running_loop()
        flush = self._flushes.get(loop)
        if flush is None:
            flush = self._flushes[loop] = LoopFlush(self.runner.db, loop, self._syncer)
        return flush

    def close(self) -> None:
        """Stop the sync thread once the syncs asked for have run."""
        self._syncer.shutdown(wait=True)
