"""What the job and cron executors share: their runs in flight, and how a run calls its
function (as nobody, internal functions allowed, its run handed to the runner)."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from convexlite.functions.runner import Execution
from convexlite.functions.scheduler import ScheduledRun


class Runs:
    """The runs an executor has going on its event loop, by key; each end calls
    `on_finished` (the worker wakes to fill the slot)."""

    def __init__(self) -> None:
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self.on_finished: Callable[[], None] = lambda: None

    def __len__(self) -> int:
        return len(self._tasks)

    def __contains__(self, key: str) -> bool:
        return key in self._tasks

    def start(self, key: str, run: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(run)
        self._tasks[key] = task
        task.add_done_callback(functools.partial(self._finished, key))

    async def wait(self) -> None:
        """Until every run started so far has finished."""
        while self._tasks:
            await asyncio.gather(*self._tasks.values(), return_exceptions=True)

    async def cancel(self) -> None:
        """Stop the runs still going (the worker is stopping): an action cut off here is
        failed on the next start, as after a crash."""
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def _finished(self, key: str, _: object) -> None:
        self._tasks.pop(key, None)
        self.on_finished()


def call_as_scheduler(
    call: Callable[..., Awaitable[Execution]],
    path: str,
    args: Any,
    caller: str,
    run: ScheduledRun,
) -> Awaitable[Execution]:
    """`dispatch.mutation` or `dispatch.action` for a scheduled run: no identity (§3.4),
    internal functions allowed, logged with `caller` (`Scheduler`, `Cron`)."""
    return call(path, args, identity=None, internal_ok=True, caller=caller, job=run)
