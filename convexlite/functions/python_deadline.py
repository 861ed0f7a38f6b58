"""A time limit for Python queries and mutations, which run on the caller's thread.

JavaScript is stopped by V8 (js/runtime.py); a Python handler stuck in `while True:` would
hold its thread (the server's event loop, often) for good. `run_with_deadline` registers
the run with one watchdog thread; past the deadline (within `LOOK_S`) the watchdog raises
`_Expired` inside the running thread (`PyThreadState_SetAsyncExc`), again every `REPEAT_S`
if the handler catches it, and the run fails with `FunctionTimeout` as a JavaScript one
does. The exception can only land between bytecodes: a handler blocked in one long C call
(a `time.sleep`, a lock, a huge regular expression) is stopped when that call returns.
Upstream's limit is 1 s of JavaScript with database time excluded (spec/platform.md §7.1);
a Python handler's reads run inline, so the default is upstream's total limit for a query
or mutation, 15 s (`DATABASE_UDF_SYSTEM_TIMEOUT_SECONDS`).
"""

from __future__ import annotations

import ctypes
import itertools
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from convexlite.functions.function_errors import FunctionTimeout

T = TypeVar("T")
TRANSACTION_SECONDS = 15.0
REPEAT_S = 1.0
LOOK_S = 0.25
_local = threading.local()


class _Expired(BaseException):
    """Raised into a run past its deadline; a `BaseException`, so `except Exception` in the
    handler does not swallow it."""


class _Watchdog:
    """One thread, woken only while runs are registered: it looks every `LOOK_S` for runs
    past their deadline, so a run costs a dict entry and an uncontended lock, not a wake-up
    of another thread (two of those cost more than a point-read query)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._runs: dict[int, tuple[float, int]] = {}
        """Per run (a token): its deadline and the id of the thread running it."""
        self._tokens = itertools.count()
        self._busy = threading.Event()
        self._thread: threading.Thread | None = None

    def watch(self, thread_id: int, deadline: float) -> int:
        token = next(self._tokens)
        with self._lock:
            self._runs[token] = (deadline, thread_id)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._loop, name="convexlite-deadlines", daemon=True
                )
                self._thread.start()
        if not self._busy.is_set():
            self._busy.set()
        return token

    def finish(self, token: int) -> None:
        with self._lock:
            self._runs.pop(token, None)

    def _loop(self) -> None:
        while True:
            self._busy.wait()
            time.sleep(LOOK_S)
            now = time.monotonic()
            with self._lock:
                if not self._runs:
                    self._busy.clear()
                    continue
                for token, (deadline, thread_id) in list(self._runs.items()):
                    if deadline <= now:
                        self._runs[token] = (now + REPEAT_S, thread_id)
                        ctypes.pythonapi.PyThreadState_SetAsyncExc(
                            ctypes.c_ulong(thread_id), ctypes.py_object(_Expired)
                        )


_watchdog = _Watchdog()


def run_with_deadline(seconds: float, call: Callable[..., T], *args: Any) -> T:
    """`call(*args)`, stopped with `FunctionTimeout` after `seconds`. A nested run (a query
    a mutation runs) is covered by the outermost one's deadline."""
    if getattr(_local, "running", False):
        return call(*args)
    _local.running = True
    token = _watchdog.watch(threading.get_ident(), time.monotonic() + seconds)
    try:
        try:
            result = call(*args)
        finally:
            _local.running = False
            _finish(token)
    except _Expired:
        raise FunctionTimeout(
            f"Function execution timed out (maximum duration: {seconds:g}s)"
        ) from None
    return result


def _finish(token: int) -> None:
    """Unregister the run. An `_Expired` may land anywhere up to here, even inside the
    watchdog's lock: it is caught until the run is surely unregistered and then raised,
    so none is left to land in whatever this thread runs next."""
    expired = False
    while True:
        try:
            _watchdog.finish(token)
            _checkpoint()
            break
        except _Expired:
            expired = True
    if expired:
        raise _Expired


def _checkpoint() -> None:
    """A Python call: an exception raised into this thread before `finish` lands by here."""
