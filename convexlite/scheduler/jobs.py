"""The scheduled-job executor (spec/platform.md §3.4): runs due jobs, at most 8 at a time.

`run_due` starts what is due now and returns; `JobWorker` calls it whenever a
commit touches the queue, a job finishes or the earliest job falls due, and tests
call it with a fake clock (`finish_scheduled_functions`). A mutation's job
turns `success` in the mutation's own transaction (exactly once: a crash before
the commit leaves it pending, to run after the restart); an action's job is
committed `inProgress` before the action starts (at most once: one found
`inProgress` that this process is not running was cut off by a crash, and is
failed, not rerun). Deterministic failures are recorded with their message;
conflicts and system errors push the job back with exponential backoff.

The queue's index keeps the deleted entries of finished jobs (there is no index
retention yet), so scanning it from the start would cost more with every job
run. The executor scans from the lowest key anything may still be queued at:
the first job it found waiting, lowered by every key a later commit writes.
"""

from __future__ import annotations

import asyncio
import logging
import random
import threading
from typing import Any

from convexlite.database.store import Clock
from convexlite.database.transaction import Transaction
from convexlite.database.write_log import LogEntry, OptimisticConcurrencyControlFailure
from convexlite.errors import ConvexBackendError, ConvexError
from convexlite.functions import scheduled_jobs
from convexlite.functions.definitions import FunctionKind
from convexlite.functions.dispatch import FunctionDispatch
from convexlite.functions.function_log import SCHEDULER_CALLER
from convexlite.functions.runner import error_text
from convexlite.functions.scheduled_jobs import Job
from convexlite.functions.scheduler import JobNotPending, JobRun
from convexlite.functions.system.deployment_state import (
    DeploymentNotRunning,
    not_running_message,
)
from convexlite.scheduler.runs import Runs, call_as_scheduler
from convexlite.values.function_paths import canonicalize, display

log = logging.getLogger("convexlite.scheduler")

PARALLELISM = 8
OCC_BACKOFF_S = (0.1, 60.0)
SYSTEM_ERROR_BACKOFF_S = (0.5, 7200.0)
TRANSIENT_ACTION_ERROR = "Transient error while executing action"


def backoff_ns(attempts: int, bounds: tuple[float, float]) -> int:
    """Exponential backoff with jitter: `initial * 2**attempts`, at most `maximum`."""
    initial, maximum = bounds
    delay = min(initial * 2**attempts, maximum)
    return int(delay * random.uniform(0.5, 1.0) * 1e9)


def is_deterministic(exc: BaseException) -> bool:
    """A failure that running the job again would repeat (the function's own error)."""
    if isinstance(exc, ConvexError):
        return True
    return isinstance(exc, ConvexBackendError) and exc.kind.is_deterministic


class JobExecutor:
    """Starts due jobs on the current event loop and sees each through to its final state."""

    def __init__(self, dispatch: FunctionDispatch, clock: Clock) -> None:
        self._dispatch = dispatch
        self._db = dispatch.runner.db
        self._runner = dispatch.runner
        self._clock = clock
        self.runs = Runs()
        self._low = b""
        self._written: list[tuple[int, bytes]] = []
        self._bound_lock = threading.Lock()
        queue = self._db.registry.table(scheduled_jobs.JOB_QUEUE)
        assert queue is not None, "the engine creates the scheduler's tables first"
        index = self._db.registry.index(queue.tablet_id, scheduled_jobs.BY_NEXT_TS)
        assert index is not None
        self.queue_index = index.index_id
        self._db.add_commit_listener(self._on_commit)

    def _on_commit(self, entry: LogEntry) -> None:
        keys = entry.writes.get(self.queue_index)
        if keys:
            low = min(written.key for written in keys)
            with self._bound_lock:
                self._written.append((entry.ts, low))
                self._low = min(self._low, low)

    def _due(self, now: int, limit: int) -> list[Job]:
        """The due jobs not running here, scanned from the lowest key still possible."""
        with self._bound_lock:
            start = self._low
        tx = self._db.begin(read_only=True)
        found = scheduled_jobs.due(tx, now, limit, start)
        waiting = [job for job in found if job.id not in self.runs]
        if waiting:
            low = waiting[0].key
        elif len(found) < limit:
            low = scheduled_jobs.due_key(now)
        else:
            low = start
        with self._bound_lock:
            # commits after the snapshot, and any that wrote below where this scan began
            missed = [key for ts, key in self._written if ts > tx.begin_ts or key < start]
            self._written = [(ts, key) for ts, key in self._written if ts > tx.begin_ts]
            self._low = min([low, *missed])
        return waiting

    @property
    def running(self) -> int:
        return len(self.runs)

    async def run_due(self) -> int:
        """Start the jobs due now, up to the free capacity; returns how many started."""
        free = PARALLELISM - len(self.runs)
        if free <= 0 or not self._runner.running_check.is_running(self._db):
            return 0  # a paused deployment's jobs wait in the queue
        started = 0
        for job in self._due(self._clock(), free + len(self.runs)):
            if started == free:
                break
            self.runs.start(job.id, self._run(job))
            started += 1
        return started

    def next_due_ns(self) -> int | None:
        """When the earliest job not already running falls due (None while paused: the
        resuming commit wakes the worker)."""
        if not self._runner.running_check.is_running(self._db):
            return None
        with self._bound_lock:
            start = self._low
        tx = self._db.begin(read_only=True)
        for job in scheduled_jobs.due(tx, None, len(self.runs) + 1, start):
            if job.id not in self.runs:
                return job.next_ts
        return None

    async def _run(self, job: Job) -> None:
        try:
            if job.state == scheduled_jobs.IN_PROGRESS:
                await self._complete(job, scheduled_jobs.failed(TRANSIENT_ACTION_ERROR))
                return
            fn = self._runner.describe(job.name, internal_ok=True)
            if fn is None:
                message = f"Could not find function for '{display(canonicalize(job.name))}'"
                await self._complete(job, scheduled_jobs.failed(message))
            elif fn.kind is FunctionKind.MUTATION:
                await self._run_mutation(job)
            elif fn.kind is FunctionKind.ACTION:
                await self._run_action(job)
            else:
                message = (
                    f"Unsupported function type: {display(canonicalize(job.name))} is a "
                    f"{fn.kind.value.lower()}; only mutations and actions can be scheduled"
                )
                await self._complete(job, scheduled_jobs.failed(message))
        except Exception:
            log.exception("scheduled job %s (%s) failed in the scheduler", job.id, job.name)

    async def _run_mutation(self, job: Job) -> None:
        try:
            run = JobRun(job, self._clock)
            await call_as_scheduler(
                self._dispatch.mutation, job.name, job.args, SCHEDULER_CALLER, run
            )
        except (JobNotPending, DeploymentNotRunning):
            return  # paused meanwhile: the job stays queued for the resume
        except OptimisticConcurrencyControlFailure:
            await self._retry_later(job, "occErrors", OCC_BACKOFF_S)
        except Exception as exc:
            if is_deterministic(exc):
                await self._complete(job, scheduled_jobs.failed(error_text(exc)))
            else:
                log.warning("scheduled mutation %s hit a system error: %s", job.name, exc)
                await self._retry_later(job, "systemErrors", SYSTEM_ERROR_BACKOFF_S)

    async def _run_action(self, job: Job) -> None:
        if not await self._dispatch.transaction(lambda tx: self._start(tx, job)):
            return
        state: dict[str, Any] = {"kind": scheduled_jobs.SUCCESS}
        try:
            run = JobRun(job, self._clock)
            await call_as_scheduler(
                self._dispatch.action, job.name, job.args, SCHEDULER_CALLER, run
            )
        except Exception as exc:
            state = scheduled_jobs.failed(error_text(exc))
        await self._complete(job, state)

    @staticmethod
    def _start(tx: Transaction, job: Job) -> bool:
        current = scheduled_jobs.reload(tx, job)
        if current is None or current.state != scheduled_jobs.PENDING:
            return False
        if not_running_message(tx) is not None:
            return False  # paused meanwhile: the job stays queued for the resume
        scheduled_jobs.mark_in_progress(tx, current)
        return True

    async def _complete(self, job: Job, state: dict[str, Any]) -> None:
        """Record `state`, retrying until storage takes it (a job is never left running)."""
        attempt = 0
        while True:
            try:
                await self._dispatch.transaction(
                    lambda tx: scheduled_jobs.complete(
                        tx, job.id, state, self._clock(), job.queue_id
                    )
                )
                return
            except Exception as exc:
                log.warning("could not record the end of job %s: %s", job.id, exc)
                await asyncio.sleep(backoff_ns(attempt, SYSTEM_ERROR_BACKOFF_S) / 1e9)
                attempt += 1

    async def _retry_later(self, job: Job, counter: str, bounds: tuple[float, float]) -> None:
        def push_back(tx: Transaction) -> None:
            current = scheduled_jobs.reload(tx, job)
            if current is None or current.state != scheduled_jobs.PENDING:
                return
            attempts = int(current.attempts.get(counter, 0))
            next_ts = self._clock() + backoff_ns(attempts, bounds)
            scheduled_jobs.retry_later(tx, current, next_ts, counter)

        await self._dispatch.transaction(push_back)
