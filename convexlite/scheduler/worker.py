"""`SchedulerWorker`: the engine service that runs scheduled functions and cron jobs.

It owns a thread with its own event loop, so jobs run whichever facade (async,
sync, served) opened the engine. It sleeps until a commit writes the job queue,
a job ends, or the earliest queued job falls due (never polling), and while
jobs are due beyond its capacity it wakes as each one ends. Stopping waits a
moment for running jobs; an action cut off by the stop is failed on the next
start, as after a crash. Finished jobs are deleted seven days after they end.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import threading

from convexlite.database.store import Clock
from convexlite.database.write_log import LogEntry
from convexlite.functions import scheduled_jobs
from convexlite.functions.dispatch import FunctionDispatch
from convexlite.functions.system.deployment_state import state_indexes
from convexlite.scheduler.crons import CronExecutor
from convexlite.scheduler.jobs import PARALLELISM, JobExecutor

log = logging.getLogger("convexlite.scheduler")

RETENTION_NS = 7 * 24 * 3600 * 1_000_000_000
"""How long finished jobs stay readable (upstream's `SCHEDULED_JOB_RETENTION`)."""
GC_BATCH = 1000
GC_PAUSE_S = 10.0
GC_INTERVAL_S = 3600.0
STOP_GRACE_S = 5.0
MAX_SLEEP_S = 5.0
"""A backstop: upstream's executor wakes at least this often while behind."""


class SchedulerWorker:
    """Runs `JobExecutor.run_due` whenever there may be something to do."""

    def __init__(self, dispatch: FunctionDispatch, clock: Clock) -> None:
        self._dispatch = dispatch
        self._clock = clock
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._wake: asyncio.Event | None = None
        self._stopping = False
        self._executor = JobExecutor(dispatch, clock)
        self._executor.runs.on_finished = self._poke
        self._crons = CronExecutor(dispatch, clock)
        self._crons.runs.on_finished = self._poke
        self._state_indexes = state_indexes(dispatch.runner.db)
        self._metrics = dispatch.runner.metrics
        dispatch.runner.db.add_commit_listener(self._on_commit)

    def start(self) -> None:
        self._stopping = False
        self._loop = asyncio.new_event_loop()
        ready = threading.Event()
        self._thread = threading.Thread(
            target=self._serve, args=(ready,), name="convexlite-scheduler", daemon=True
        )
        self._thread.start()
        ready.wait()

    def stop(self) -> None:
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        self._stopping = True
        self._poke()
        thread.join()
        self._loop = self._thread = self._wake = None

    def _serve(self, ready: threading.Event) -> None:
        loop = self._loop
        assert loop is not None
        asyncio.set_event_loop(loop)
        self._wake = asyncio.Event()
        ready.set()
        try:
            loop.run_until_complete(self._main())
        finally:
            loop.close()

    async def _main(self) -> None:
        executor = self._executor
        wake = self._wake
        assert wake is not None
        collector = asyncio.get_running_loop().create_task(self._collect_garbage())
        while not self._stopping:
            wake.clear()
            try:
                await executor.run_due()
                await self._crons.run_due()
                self._record_lag(executor)
                delay = self._delay(executor)
            except Exception:
                log.exception("the scheduler could not read the job queue")
                delay = MAX_SLEEP_S
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), delay)
        collector.cancel()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(
                asyncio.gather(executor.runs.wait(), self._crons.runs.wait()),
                STOP_GRACE_S,
            )
        for runs in (executor.runs, self._crons.runs):
            await runs.cancel()

    async def _collect_garbage(self) -> None:
        """Delete finished jobs older than the retention, a batch at a time, now and hourly."""
        while True:
            try:
                collect = functools.partial(
                    scheduled_jobs.collect_garbage,
                    cutoff_ns=self._clock() - RETENTION_NS,
                    limit=GC_BATCH,
                )
                while await self._dispatch.transaction(collect):
                    await asyncio.sleep(GC_PAUSE_S)
            except Exception:
                log.exception("deleting old scheduled functions failed")
            await asyncio.sleep(GC_INTERVAL_S)

    def _delay(self, executor: JobExecutor) -> float | None:
        """Seconds until the next job or cron run falls due; None (until woken) when none
        is, or while every slot is busy (a run's end wakes the worker)."""
        due = [each.next_due_ns() for each in (executor, self._crons) if each.running < PARALLELISM]
        next_ns = min((ns for ns in due if ns is not None), default=None)
        if next_ns is None:
            return None
        return min(max(next_ns - self._clock(), 0) / 1e9, MAX_SLEEP_S)

    def _record_lag(self, executor: JobExecutor) -> None:
        """The metrics' scheduler lag: how overdue the earliest waiting job is."""
        next_ns = executor.next_due_ns()
        lag = None if next_ns is None else (self._clock() - next_ns) / 1e9
        self._metrics.scheduler_lag(lag)

    def _on_commit(self, entry: LogEntry) -> None:
        writes = entry.writes
        if (
            self._executor.queue_index in writes
            or not self._crons.watched_indexes.isdisjoint(writes)
            or not self._state_indexes.isdisjoint(writes)
        ):
            self._poke()

    def _poke(self) -> None:
        """Wake the worker's loop from any thread."""
        loop, wake = self._loop, self._wake
        if loop is None or wake is None:
            return
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(wake.set)
