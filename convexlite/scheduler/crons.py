"""Cron jobs: registered from a deployment's crons, run when due (spec/platform.md §3.8, §3.9).

`register` makes `_cron_jobs` match a deployment's crons (new jobs get their first run,
changed ones a new run when their schedule moved, removed ones go with their logs).
`CronExecutor` runs due jobs like the job executor runs scheduled functions: a
mutation's run is logged and its next run set in the mutation's own transaction
(exactly once); an action's run is committed `inProgress` first and, if a crash cuts
it off, logged as failed rather than run again (at most once). Runs missed while
the process was down are not caught up: the job runs once and the skipped runs are
logged as canceled.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import random
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from convexlite.database.store import Clock
from convexlite.database.transaction import Transaction
from convexlite.database.write_log import OptimisticConcurrencyControlFailure
from convexlite.functions import cron_jobs
from convexlite.functions.cron_jobs import CronJob
from convexlite.functions.cron_spec import CronSpec
from convexlite.functions.definitions import FunctionKind
from convexlite.functions.dispatch import FunctionDispatch
from convexlite.functions.function_log import CRON_CALLER
from convexlite.functions.runner import error_text
from convexlite.functions.scheduler import JobNotPending
from convexlite.functions.system.deployment_state import (
    DeploymentNotRunning,
    not_running_message,
)
from convexlite.scheduler.cron_schedule import (
    CRON_SPLAY_SECONDS,
    diff_cron_jobs,
    first_run_ts,
    skip_missed_runs,
)
from convexlite.scheduler.jobs import (
    PARALLELISM,
    SYSTEM_ERROR_BACKOFF_S,
    TRANSIENT_ACTION_ERROR,
    backoff_ns,
    is_deterministic,
)
from convexlite.scheduler.runs import Runs, call_as_scheduler
from convexlite.values.function_paths import display

log = logging.getLogger("convexlite.scheduler")


def register(
    tx: Transaction,
    wanted: Mapping[str, CronSpec],
    now: int,
    rng: random.Random,
    splay_seconds: int = CRON_SPLAY_SECONDS,
) -> None:
    """Make the registered jobs exactly `wanted` (identifier → spec)."""
    existing = {job.name: job for job in cron_jobs.all_jobs(tx)}
    diff = diff_cron_jobs(
        {name: job.spec for name, job in existing.items()},
        wanted,
        {name: job.next_ts for name, job in existing.items()},
    )
    for name, spec in diff.added:
        cron_jobs.insert_job(tx, name, spec, first_run_ts(spec.schedule, now, rng, splay_seconds))
    for change in diff.changed:
        next_ts = (
            first_run_ts(change.spec.schedule, now, rng, splay_seconds)
            if change.recompute_next_ts
            else None
        )
        cron_jobs.replace_spec(tx, existing[change.name], change.spec, next_ts)
    for name in diff.removed:
        cron_jobs.delete_job(tx, existing[name])


def _skipped_status(count: int) -> dict[str, Any]:
    return {"type": "canceled", "num_canceled": count}


def finish_run(
    tx: Transaction,
    job: CronJob,
    status: dict[str, Any],
    log_lines: list[str],
    execution_time_s: float,
    now: int,
) -> None:
    """Log the run scheduled at `job.next_ts` and move the job to its next run, logging
    the runs that fell due meanwhile as skipped."""
    cron_jobs.add_log(tx, job, job.next_ts, status, log_lines, execution_time_s)
    next_ts, skipped = skip_missed_runs(job.spec.schedule, job.next_ts, now)
    if skipped:
        cron_jobs.add_log(tx, job, now, _skipped_status(skipped), [], 0.0)
    cron_jobs.advance(tx, job, next_ts)


@dataclass(slots=True)
class CronRun:
    """A cron job's run as a scheduled mutation sees it (`functions.scheduler.ScheduledRun`)."""

    job: CronJob
    clock: Clock
    started: float

    @property
    def id(self) -> str:
        return self.job.next_run_id

    def begin(self, tx: Transaction) -> None:
        current = cron_jobs.reload(tx, self.job)
        if current is None or current.state != cron_jobs.PENDING or current != self.job:
            raise JobNotPending(self.job.name)

    def succeed(self, tx: Transaction, value: Any, log_lines: list[str]) -> None:
        status = {"type": "success", "result": {"type": "default", "value": value}}
        elapsed = time.monotonic() - self.started
        finish_run(tx, self.job, status, log_lines, elapsed, self.clock())

    def canceled(self, tx: Transaction) -> bool:
        return False


class CronExecutor:
    """Starts due cron runs on the current event loop, one at a time per job."""

    def __init__(self, dispatch: FunctionDispatch, clock: Clock) -> None:
        self._dispatch = dispatch
        self._db = dispatch.runner.db
        self._clock = clock
        self.runs = Runs()
        self._retry_at: dict[str, int] = {}
        self._attempts: dict[str, int] = {}
        registry = self._db.registry
        self.watched_indexes: set[bytes] = set()
        for name in (cron_jobs.CRON_JOBS, cron_jobs.NEXT_RUNS):
            table = registry.table(name)
            assert table is not None, "the engine creates the cron tables first"
            for index in registry.table_indexes(table.tablet_id):
                self.watched_indexes.add(index.index_id)

    @property
    def running(self) -> int:
        return len(self.runs)

    def _waiting(self) -> list[CronJob]:
        jobs = cron_jobs.all_jobs(self._db.begin(read_only=True))
        return sorted(
            (job for job in jobs if job.id not in self.runs),
            key=lambda job: max(job.next_ts, self._retry_at.get(job.id, 0)),
        )

    def _due_at(self, job: CronJob) -> int:
        return max(job.next_ts, self._retry_at.get(job.id, 0))

    async def run_due(self) -> int:
        """Start the runs due now, up to the free capacity; returns how many started. None
        while the deployment is paused: a run that fell due meanwhile runs once on resume,
        the runs it missed logged as skipped."""
        if not self._dispatch.runner.running_check.is_running(self._db):
            return 0
        now = self._clock()
        started = 0
        for job in self._waiting():
            if self._due_at(job) > now or len(self.runs) >= PARALLELISM:
                break
            self.runs.start(job.id, self._run(job))
            started += 1
        return started

    def next_due_ns(self) -> int | None:
        """When the earliest job not running falls due (None while paused)."""
        if not self._dispatch.runner.running_check.is_running(self._db):
            return None
        waiting = self._waiting()
        return self._due_at(waiting[0]) if waiting else None

    async def _run(self, job: CronJob) -> None:
        try:
            if job.state == cron_jobs.IN_PROGRESS:
                status = {"type": "err", "error": TRANSIENT_ACTION_ERROR}
                await self._finish(job, status, [], 0.0)
                return
            fn = self._dispatch.runner.describe(job.spec.function_path, internal_ok=True)
            if fn is not None and fn.kind is FunctionKind.MUTATION:
                await self._run_mutation(job)
            elif fn is not None and fn.kind is FunctionKind.ACTION:
                await self._run_action(job)
            else:
                log.error(
                    "cron job %r runs %s, which is not a mutation or action of this deployment",
                    job.name,
                    display(job.spec.function_path),
                )
                self._back_off(job)
        except Exception:
            log.exception("cron job %r failed in the scheduler", job.name)
            self._back_off(job)

    async def _run_mutation(self, job: CronJob) -> None:
        started = time.monotonic()
        try:
            run = CronRun(job, self._clock, started)
            path, args = job.spec.function_path, job.spec.args
            await call_as_scheduler(self._dispatch.mutation, path, args, CRON_CALLER, run)
        except (JobNotPending, DeploymentNotRunning):
            return
        except OptimisticConcurrencyControlFailure:
            self._back_off(job)
        except Exception as exc:
            if not is_deterministic(exc):
                log.warning("cron job %r hit a system error: %s", job.name, exc)
                self._back_off(job)
                return
            lines = getattr(exc, "log_lines", [])
            status = {"type": "err", "error": error_text(exc)}
            await self._finish(job, status, lines, time.monotonic() - started)
        else:
            self._succeeded(job)

    async def _run_action(self, job: CronJob) -> None:
        if not await self._dispatch.transaction(functools.partial(_start_action, job=job)):
            return
        started = time.monotonic()
        status: dict[str, Any]
        try:
            run = CronRun(job, self._clock, started)
            path, args = job.spec.function_path, job.spec.args
            execution = await call_as_scheduler(self._dispatch.action, path, args, CRON_CALLER, run)
        except Exception as exc:
            status = {"type": "err", "error": error_text(exc)}
            lines = getattr(exc, "log_lines", [])
        else:
            status = {"type": "success", "result": {"type": "default", "value": execution.value}}
            lines = execution.log_lines
        await self._finish(job, status, lines, time.monotonic() - started)

    async def _finish(
        self, job: CronJob, status: dict[str, Any], lines: list[str], elapsed: float
    ) -> None:
        """Record the run and move on, retrying until storage takes it."""
        attempt = 0
        while True:
            try:
                await self._dispatch.transaction(
                    functools.partial(
                        _finish_if_current,
                        job=job,
                        status=status,
                        lines=lines,
                        elapsed=elapsed,
                        clock=self._clock,
                    )
                )
                self._succeeded(job)
                return
            except Exception as exc:
                log.warning("could not record the run of cron job %r: %s", job.name, exc)
                await asyncio.sleep(backoff_ns(attempt, SYSTEM_ERROR_BACKOFF_S) / 1e9)
                attempt += 1

    def _back_off(self, job: CronJob) -> None:
        """Try the run again later (conflicts, system errors): in memory, as the run is
        still due in storage."""
        attempt = self._attempts.get(job.id, 0)
        self._retry_at[job.id] = self._clock() + backoff_ns(attempt, SYSTEM_ERROR_BACKOFF_S)
        self._attempts[job.id] = attempt + 1

    def _succeeded(self, job: CronJob) -> None:
        self._retry_at.pop(job.id, None)
        self._attempts.pop(job.id, None)


def _start_action(tx: Transaction, *, job: CronJob) -> bool:
    current = cron_jobs.reload(tx, job)
    if current is None or current != job or not_running_message(tx) is not None:
        return False  # changed meanwhile, or paused: the run stays due
    cron_jobs.mark_in_progress(tx, current)
    return True


def _finish_if_current(
    tx: Transaction,
    *,
    job: CronJob,
    status: dict[str, Any],
    lines: list[str],
    elapsed: float,
    clock: Clock,
) -> None:
    current = cron_jobs.reload(tx, job)
    if current is None or current.next_ts != job.next_ts:
        return
    finish_run(tx, current, status, lines, elapsed, clock())
