"""`ctx.scheduler`: scheduling and canceling functions (spec/platform.md §3.1, §3.2, §3.5).

A mutation schedules inside its own transaction, so a failed mutation schedules
nothing (`TransactionScheduler`); an action's calls each commit a small
transaction of their own at once (`ActionScheduler`). Both check the target
and the time the same way (`_Request`). A scheduled run knows its own job
(`JobRun`): a mutation's job turns `inProgress` inside the mutation's
transaction and `success` as it commits, so it runs exactly once; a job
canceled while its action runs makes what that action schedules afterwards
born canceled, which stops self-scheduling chains. A job is one of the namespace of the
function that scheduled it (a component instance's own `_scheduled_functions`).
"""

from __future__ import annotations

import datetime
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from convexlite.database.namespace import ROOT, TableNamespace
from convexlite.database.store import Clock
from convexlite.database.transaction import Transaction
from convexlite.errors import BadRequestError
from convexlite.functions import scheduled_jobs
from convexlite.functions.definitions import FunctionDefinition, FunctionKind
from convexlite.values import check_value_sized
from convexlite.values.function_paths import (
    InvalidFunctionPath,
    canonical_js,
    canonicalize,
    display,
    split_component,
)
from convexlite.values.limits import format_size

T = TypeVar("T")
MAX_SCHEDULED_PER_MUTATION = 1000
MAX_SCHEDULED_ARGS_BYTES = 16 * 1024 * 1024
HORIZON_NS = 5 * 366 * 24 * 3600 * 1_000_000_000


class InvalidScheduledFunction(BadRequestError):
    code = "InvalidScheduledFunction"


class InvalidScheduledFunctionDelay(BadRequestError):
    code = "InvalidScheduledFunctionDelay"


class TooManyFunctionsScheduled(BadRequestError):
    code = "TooManyFunctionsScheduled"


class ScheduledFunctionsArgumentsTooLarge(BadRequestError):
    code = "ScheduledFunctionsArgumentsTooLarge"


class ScheduledFunctionCancelingItself(BadRequestError):
    code = "ScheduledFunctionCancelingItself"


class JobNotPending(Exception):
    """The job a scheduled mutation was about to run was canceled or ran meanwhile."""


class ScheduledRun(Protocol):
    """What the scheduler runs a mutation as (a scheduled function's job, a cron's run):
    `begin` opens the mutation's transaction (raising `JobNotPending` if the run is no
    longer due), `succeed` closes it with the function's value and log lines, so the run
    is recorded with the mutation's writes, exactly once."""

    @property
    def id(self) -> str: ...

    def begin(self, tx: Transaction) -> None: ...

    def succeed(self, tx: Transaction, value: Any, log_lines: list[str]) -> None: ...

    def canceled(self, tx: Transaction) -> bool:
        """Whether the run was canceled while its action ran."""
        ...


Lookup = Callable[[str], FunctionDefinition | None]
Transact = Callable[[Callable[[Transaction], T]], Awaitable[T]]


def target_of(fn: Any) -> str:
    """The path of what a Python caller schedules: a path, or a function registered on an
    `App` (its decorator returns the handler, which the app knows by name)."""
    if isinstance(fn, str):
        return fn
    path = getattr(fn, "__convex_path__", None)
    if isinstance(path, str):
        return path
    raise TypeError(f"schedule a function by its path ('module:name'), not {fn!r}")


def ms_of(when: float | datetime.datetime) -> float:
    """`runAt`'s time: milliseconds since the epoch, or a (timezone-aware) datetime."""
    if isinstance(when, datetime.datetime):
        return when.timestamp() * 1000
    if isinstance(when, bool) or not isinstance(when, int | float):
        raise TypeError("The invoke time must be a datetime or a timestamp in milliseconds")
    return float(when)


@dataclass(frozen=True, slots=True)
class _Request:
    """One checked `schedule` call: what to run (its canonical path), with which
    arguments, when."""

    path: str
    args: dict[str, Any]
    ts_ns: int
    size: int

    @classmethod
    def check(cls, lookup: Lookup, path: str, args: Any, ts_ms: float, now_ns: int) -> _Request:
        try:
            canonical = canonicalize(path)
        except InvalidFunctionPath as exc:
            raise InvalidScheduledFunction(str(exc)) from None
        fn = None if canonical.startswith("_system/") else lookup(canonical)
        if fn is None:
            raise InvalidScheduledFunction(
                f"Attempted to schedule function at nonexistent path: {display(canonical)}"
            )
        if fn.kind not in (FunctionKind.MUTATION, FunctionKind.ACTION):
            raise InvalidScheduledFunction(
                f"Attempted to schedule {display(canonical)}, which is a {fn.kind.value.lower()}: "
                "only mutations and actions can be scheduled"
            )
        if not isinstance(ts_ms, int | float) or ts_ms != ts_ms or abs(ts_ms) == float("inf"):
            raise InvalidScheduledFunctionDelay(f"Invalid time to schedule at: {ts_ms!r}")
        ts_ns = round(ts_ms * 1000) * 1000  # whole microseconds: exact in a float
        if ts_ns > now_ns + HORIZON_NS:
            raise InvalidScheduledFunctionDelay(
                f"{ts_ms / 1000:.3f} is more than 5 years in the future"
            )
        if ts_ns < now_ns - HORIZON_NS:
            raise InvalidScheduledFunctionDelay(
                f"{ts_ms / 1000:.3f} is more than 5 years in the past"
            )
        if args is None:
            args = {}
        if not isinstance(args, dict):
            raise BadRequestError(
                f"The arguments of a scheduled function must be an object, got {args!r}"
            )
        args, size = check_value_sized(args)
        return cls(canonical, args, ts_ns, size)

    def insert(
        self, tx: Transaction, now_ns: int, namespace: TableNamespace, *, canceled: bool
    ) -> str:
        component, local = split_component(self.path)
        return scheduled_jobs.insert_job(
            tx,
            canonical_js(local),
            self.args,
            self.ts_ns,
            now_ns,
            canceled=canceled,
            namespace=namespace,
            component=component,
        )


@dataclass(frozen=True, slots=True)
class JobRun:
    """A queued job being run: the executor's handle on it inside the function's execution."""

    job: scheduled_jobs.Job
    clock: Clock

    @property
    def id(self) -> str:
        return self.job.id

    def begin(self, tx: Transaction) -> None:
        """First step of a scheduled mutation's transaction: still pending, now running."""
        current = scheduled_jobs.reload(tx, self.job)
        if current is None or current.state != scheduled_jobs.PENDING:
            raise JobNotPending(self.job.id)
        scheduled_jobs.mark_in_progress(tx, current)

    def succeed(self, tx: Transaction, value: Any, log_lines: list[str]) -> None:
        """Last step of a scheduled mutation's transaction, committed with its writes."""
        success = {"kind": scheduled_jobs.SUCCESS}
        scheduled_jobs.complete(tx, self.job.id, success, self.clock(), self.job.queue_id)

    def canceled(self, tx: Transaction) -> bool:
        return scheduled_jobs.is_canceled(tx, self.job.id)


class TransactionScheduler:
    """The scheduler of one mutation: jobs go into its transaction, within its limits.

    Nested mutations (`ctx.runMutation`) share their caller's scheduler (`within` the
    namespace of the one called), so the limits count the whole transaction.
    """

    def __init__(
        self,
        tx: Transaction,
        lookup: Lookup,
        clock: Clock,
        job: ScheduledRun | None = None,
        namespace: TableNamespace = ROOT,
    ) -> None:
        self._tx = tx
        self._lookup = lookup
        self.clock = clock
        self._job = job
        self._namespace = namespace
        self._used = [0, 0]  # jobs and argument bytes, shared with the `within` views

    def within(self, namespace: TableNamespace) -> TransactionScheduler:
        """This scheduler for a nested mutation of `namespace`: its jobs are that
        namespace's, counted against the same limits."""
        if namespace == self._namespace:
            return self
        view = TransactionScheduler(self._tx, self._lookup, self.clock, self._job, namespace)
        view._used = self._used
        return view

    def schedule(self, path: str, args: Any, ts_ms: float) -> str:
        """`1.0/schedule`: the new job's id."""
        now = self.clock()
        request = _Request.check(self._lookup, path, args, ts_ms, now)
        count, size = self._used
        if count + 1 > MAX_SCHEDULED_PER_MUTATION:
            raise TooManyFunctionsScheduled(
                f"Too many functions scheduled by this mutation (limit: "
                f"{MAX_SCHEDULED_PER_MUTATION})"
            )
        if size + request.size > MAX_SCHEDULED_ARGS_BYTES:
            raise ScheduledFunctionsArgumentsTooLarge(
                "Too large total size of the arguments of scheduled functions from this "
                f"mutation (limit: {format_size(MAX_SCHEDULED_ARGS_BYTES)})"
            )
        self._used[:] = [count + 1, size + request.size]
        return request.insert(self._tx, now, self._namespace, canceled=False)

    def cancel(self, job_id: str) -> None:
        """`1.0/cancel_job`."""
        if self._job is not None and job_id == self._job.id:
            raise ScheduledFunctionCancelingItself("A mutation cannot cancel itself")
        scheduled_jobs.cancel(self._tx, job_id, self.clock(), self._namespace)


class ActionScheduler:
    """The scheduler of one action: each call commits its own small transaction."""

    def __init__(
        self,
        transact: Transact[Any],
        lookup: Lookup,
        clock: Clock,
        job: ScheduledRun | None = None,
        namespace: TableNamespace = ROOT,
    ) -> None:
        self._transact = transact
        self._lookup = lookup
        self.clock = clock
        self._job = job
        self._namespace = namespace

    async def schedule(self, path: str, args: Any, ts_ms: float) -> str:
        """`1.0/actions/schedule`."""
        request = _Request.check(self._lookup, path, args, ts_ms, self.clock())
        job = self._job

        def insert(tx: Transaction) -> str:
            canceled = job is not None and job.canceled(tx)
            return request.insert(tx, self.clock(), self._namespace, canceled=canceled)

        result: str = await self._transact(insert)
        return result

    async def cancel(self, job_id: str) -> None:
        """`1.0/actions/cancel_job`."""
        await self._transact(
            lambda tx: scheduled_jobs.cancel(tx, job_id, self.clock(), self._namespace)
        )
