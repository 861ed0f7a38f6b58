"""A time limit for Python queries and mutations, which run on the caller's thread.

JavaScript is stopped by V8 (js/runtime.py); a Python handler stuck in `while True:` would
hold its thread (the server's event loop, often) for good. `run_with_deadline` registers the
run with one watchdog thread; past the deadline the watchdog raises `_Expired` inside the
running thread (`PyThreadState_SetAsyncExc`), again every `REPEAT_S` if the handler catches
it, and the run fails with `FunctionTimeout` as a JavaScript one does. The exception can
only land between bytecodes: a handler blocked in one long C call (a `time.sleep`, a huge
regular expression) is stopped when that call returns. Upstream's limit is 1 s of
JavaScript with database time excluded (spec/platform.md §7.1); a Python handler's reads
run inline, so the default is upstream's total limit for a query or mutation, 15 s
(`DATABASE_UDF_SYSTEM_TIMEOUT_SECONDS`).
"""

from __future__ import annotations

import ctypes
import heapq
import itertools
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from convexlite.functions.function_errors import FunctionTimeout

T = TypeVar("T")
TRANSACTION_SECONDS = 15.0
REPEAT_S = 1.0
_local = threading.local()


class _Expired(BaseException):
    """Raised into a run past its deadline; a `BaseException`, so `except Exception` in the
    handler does not swallow it."""


class _Run:
    __slots__ = ("thread_id", "done")

    def __init__(self, thread_id: int) -> None:
        self.thread_id = thread_id
        self.done = False


class _Watchdog:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._due: list[tuple[float, int, _Run]] = []
        self._order = itertools.count()
        self._thread: threading.Thread | None = None

    def watch(self, run: _Run, deadline: float) -> None:
        with self._lock:
            heapq.heappush(self._due, (deadline, next(self._order), run))
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._loop, name="convexlite-deadlines", daemon=True
                )
                self._thread.start()
            self._wake.notify()

    def finish(self, run: _Run) -> None:
        with self._lock:
            run.done = True

    def _loop(self) -> None:
        with self._lock:
            while True:
                while self._due and self._due[0][2].done:
                    heapq.heappop(self._due)
                if not self._due:
                    self._wake.wait()
                    continue
                deadline, _, run = self._due[0]
                wait = deadline - time.monotonic()
                if wait > 0:
                    self._wake.wait(wait)
                    continue
                heapq.heapreplace(self._due, (deadline + REPEAT_S, next(self._order), run))
                ctypes.pythonapi.PyThreadState_SetAsyncExc(
                    ctypes.c_ulong(run.thread_id), ctypes.py_object(_Expired)
                )


_watchdog = _Watchdog()


def run_with_deadline(seconds: float, call: Callable[..., T], *args: Any) -> T:
    """`call(*args)`, stopped with `FunctionTimeout` after `seconds`. A nested run (a query
    a mutation runs) is covered by the outermost one's deadline."""
    if getattr(_local, "running", False):
        return call(*args)
    run = _Run(threading.get_ident())
    try:
        _local.running = True
        try:
            _watchdog.watch(run, time.monotonic() + seconds)
            return call(*args)
        finally:
            _local.running = False
            _watchdog.finish(run)
            _checkpoint()
    except _Expired:
        raise FunctionTimeout(
            f"Function execution timed out (maximum duration: {seconds:g}s)"
        ) from None


def _checkpoint() -> None:
    """A Python call: an exception raised into this thread before `finish` lands by here."""
