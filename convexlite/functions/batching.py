"""A one-thread executor that runs calls in batches and releases results after a barrier.

Why one thread: under the GIL, Python threads gain nothing for CPU-bound
function code, and every thread that runs Python while the committer is in
SQLite delays each of its GIL re-acquisitions (the commit path retakes the
GIL several times per transaction). Running all functions of a backend on
one thread removes that contention, and batching lets the mutations of a
batch share one flush to disk: they commit with `durable=False`, each seeing
the ones before it, and `after_batch` (the database's `flush`) makes them
durable before any caller hears of success.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from concurrent.futures import Executor, Future
from typing import Any

_STOP = object()


class BatchingExecutor(Executor):
    def __init__(
        self,
        after_batch: Callable[[], None],
        *,
        max_batch: int = 256,
        name: str = "convexlite-functions",
    ) -> None:
        self._after_batch = after_batch
        self._max_batch = max_batch
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._shutdown = False
        self._last = False
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        with self._lock:
            if self._shutdown:
                raise RuntimeError("cannot schedule new calls after shutdown")
            self._queue.put((future, fn, args, kwargs))
        return future

    def last_in_batch(self) -> bool:
        """True while the executor runs the last call of its batch.

        A mutation that is last may commit durably itself: its flush covers
        the batch's earlier commits, and `after_batch` then has nothing to do.
        """
        return self._last

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        with self._lock:
            if not self._shutdown:
                self._shutdown = True
                self._queue.put(_STOP)
        if wait:
            self._thread.join()

    def _run(self) -> None:
        stopping = False
        while not stopping:
            batch = [self._queue.get()]
            while len(batch) < self._max_batch:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            if _STOP in batch:
                stopping = True
                batch = [item for item in batch if item is not _STOP]
            self._run_batch(batch)

    def _run_batch(self, batch: list[Any]) -> None:
        outcomes: list[tuple[Future[Any], bool, Any]] = []
        for position, (future, fn, args, kwargs) in enumerate(batch, 1):
            self._last = position == len(batch)
            if not future.set_running_or_notify_cancel():
                continue
            try:
                outcomes.append((future, True, fn(*args, **kwargs)))
            except BaseException as exc:
                outcomes.append((future, False, exc))
        try:
            self._after_batch()
        except BaseException as exc:
            outcomes = [(f, False, exc if ok else value) for f, ok, value in outcomes]
        for future, ok, value in outcomes:
            if ok:
                future.set_result(value)
            else:
                future.set_exception(value)
