"""Warm executor processes of one push, one action per process at a time.

A process per action in flight isolates actions from each other: one that
calls `process.exit()`, crashes or hangs takes down only its own process,
which is killed and replaced, and every other action keeps running. Idle
processes stay warm (their modules imported) for the next call, up to
`MAX_IDLE`; the rest are stopped when they finish. `retire` (a newer push
replaced this one) stops the idle processes and lets busy ones finish their
action; `close` (the backend closes) stops every process at once.
"""

from __future__ import annotations

import threading
from pathlib import Path

from convexlite.functions.function_errors import FunctionError
from convexlite.node.nodejs import NodeJs
from convexlite.node.worker import NodeWorker

MAX_IDLE = 4
RECYCLE_AFTER_RUNS = 1000
"""A process that ran this many actions is replaced (what user code leaves behind goes with it)."""


class WorkerPool:
    def __init__(self, node: NodeJs, directory: Path, *, max_idle: int = MAX_IDLE) -> None:
        self.node = node
        self.directory = directory
        self.max_idle = max_idle
        self._idle: list[NodeWorker] = []
        self._all: set[NodeWorker] = set()
        self._lock = threading.Lock()
        self._closed = False

    def take(self) -> NodeWorker:
        """An idle process, or a new one."""
        with self._lock:
            if self._closed:
                raise FunctionError("The node actions of this push were replaced by a newer push")
            while self._idle:
                worker = self._idle.pop()
                if not worker.exited:
                    return worker
                self._all.discard(worker)
        worker = NodeWorker(self.node, self.directory)
        with self._lock:
            self._all.add(worker)
            closed = self._closed
        if closed:
            self._stop(worker)
            raise FunctionError("The node actions of this push were replaced by a newer push")
        return worker

    def give_back(self, worker: NodeWorker, *, healthy: bool) -> None:
        """Keep `worker` for another call if it is `healthy` and wanted, else stop it."""
        worker.listen(None)
        worker.runs += 1
        with self._lock:
            keep = (
                healthy
                and not self._closed
                and not worker.exited
                and worker.runs < RECYCLE_AFTER_RUNS
                and len(self._idle) < self.max_idle
            )
            if keep:
                self._idle.append(worker)
                return
        self._stop(worker)

    def _stop(self, worker: NodeWorker) -> None:
        worker.kill()
        with self._lock:
            self._all.discard(worker)

    @property
    def pids(self) -> list[int]:
        """The processes alive now (for tests and diagnostics)."""
        with self._lock:
            return [w.pid for w in self._all if not w.exited]

    def retire(self) -> None:
        with self._lock:
            self._closed = True
        self.stop_idle()

    def stop_idle(self) -> None:
        """Stop the idle processes (the next call starts a new one)."""
        with self._lock:
            idle, self._idle = self._idle, []
        for worker in idle:
            self._stop(worker)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            workers, self._all, self._idle = list(self._all), set(), []
        for worker in workers:
            worker.kill()
