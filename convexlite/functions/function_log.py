"""The function log stream: what `npx convex logs`, `npx convex dev` and the dashboard
tail through `GET /api/stream_function_logs` (spec/protocol.md §3.4.3, operator.md §5).

A bounded in-memory buffer of entries, each keyed by a strictly increasing
float millisecond timestamp (the wall clock at append time, bumped past the
previous key if the clock did not move). The key of the newest entry a reader
has seen is its cursor. Executions append from any thread (worker threads, V8
threads, action threads); readers on an event loop wait for entries newer than
their cursor without blocking the loop: each waiter parks a future, and an
append wakes it with `call_soon_threadsafe`.

Entries are kept with structured log lines; `render` produces the wire shape with
structured lines (CLI and dashboard clients) or `"[LEVEL] text"` strings (others).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import math
import random
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from convexlite.functions.logs import LogLine
from convexlite.values.function_paths import split_component

MAX_ENTRIES = 10_000

# Caller values (spec/protocol.md §3.4.3) for executions whose transport is unknown.
DEFAULT_CALLER = "SyncWorker"
ACTION_CALLER = "Action"
HTTP_CALLER = "HttpEndpoint"
SCHEDULER_CALLER = "Scheduler"
CRON_CALLER = "Cron"
TESTER_CALLER = "Tester"
"""A one-off test query: the dashboard's custom query, `npx convex run --inline-query`."""

# `environment` of an entry: "isolate" for JavaScript, as upstream; Python functions run
# in the server process itself, which no upstream value describes, so they say "python".
JS_ENVIRONMENT = "isolate"
PYTHON_ENVIRONMENT = "python"

_USAGE_FIELDS = (
    "databaseReadBytes",
    "databaseWriteBytes",
    "databaseIoReadBytes",
    "databaseIoWriteBytes",
    "databaseReadDocuments",
    "databaseWriteDocuments",
    "storageReadBytes",
    "storageWriteBytes",
    "vectorIndexReadBytes",
    "vectorIndexWriteBytes",
    "textIndexQueryBytes",
    "textIndexWriteQueryBytes",
    "vectorIndexReadQueryBytes",
    "vectorIndexWriteQueryBytes",
    "networkEgressBytes",
    "memoryUsedMb",
)


def new_request_id() -> str:
    """16 hex digits; ids tell executions apart and guard nothing, so they come from a
    seeded PRNG rather than a system call per execution."""
    return f"{_IDS.getrandbits(64):016x}"


_TRANSPORT_REQUEST_ID: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar(
    "convexlite_transport_request_id", default=None
)


@contextlib.contextmanager
def transport_request(request_id: str) -> Iterator[None]:
    """The id a transport gave the request run inside this block (the one its error
    message shows, or a WebSocket request's derived id, spec/protocol.md §4.2), for the
    log entries of its execution. Only the first execution starting here takes it: tasks
    spawned meanwhile copy this context, and a query re-run or a job they start is
    another request."""
    token = _TRANSPORT_REQUEST_ID.set([request_id])
    try:
        yield
    finally:
        _TRANSPORT_REQUEST_ID.reset(token)


@dataclass(frozen=True, slots=True)
class ParentExecution:
    """The execution (an action) whose `runQuery`/`runMutation`/`runAction` starts another:
    the request they share, and the parent's execution id, from which the dashboard builds
    its request tree (spec/operator.md §5)."""

    request_id: str
    execution_id: str


_PARENT: contextvars.ContextVar[ParentExecution | None] = contextvars.ContextVar(
    "convexlite_parent_execution", default=None
)


@contextlib.contextmanager
def nested_in(parent: ParentExecution | None) -> Iterator[None]:
    """Executions starting inside this block are `parent`'s children."""
    token = _PARENT.set(parent)
    try:
        yield
    finally:
        _PARENT.reset(token)


def claim_request_id() -> tuple[str, str | None]:
    """The request id of an execution starting now, and its parent's execution id: a
    nested call's parent's request; else its transport's, if still unclaimed; else new."""
    parent = _PARENT.get()
    if parent is not None:
        return parent.request_id, parent.execution_id
    pending = _TRANSPORT_REQUEST_ID.get()
    return (pending.pop() if pending else new_request_id()), None


@dataclass(slots=True)
class LogEntry:
    """One entry: a Completion (an execution ended) or a Progress (an action's log line).

    `fields` holds the entry's JSON fields except `kind` and `logLines`.
    """

    kind: str
    fields: dict[str, Any]
    log_lines: list[LogLine] = field(default_factory=list)
    root: bool = True
    """Whether the execution is its request's first (not started by an action's call)."""

    def of_request(self, request_id: str) -> bool:
        """Whether this is an entry of the root execution of the request `request_id`, which
        is what a client asking for one request's logs is shown (upstream's `is_root`)."""
        return self.root and self.fields.get("requestId") == request_id

    def render(self, *, structured: bool) -> dict[str, Any]:
        lines: list[Any] = [
            line.structured() if structured else line.rendered() for line in self.log_lines
        ]
        return {"kind": self.kind, **self.fields, "logLines": lines}


def completion(
    *,
    udf_type: str,
    identifier: str,
    lines: list[LogLine],
    started: float,
    ended: float,
    error: str | None,
    request_id: str,
    execution_id: str,
    caller: str,
    environment: str,
    identity_type: str,
    parent_execution_id: str | None = None,
    success: Any = None,
    documents_read: int = 0,
    documents_written: int = 0,
    search_usage: Mapping[str, int] | None = None,
) -> LogEntry:
    """A Completion entry; times are `time.time()` seconds. Of the usage statistics the
    documents read and written and the search counters (`search_usage`, by their
    `usageStats` names) are counted; the other byte counts stay 0."""
    component, identifier = _split(identifier)
    usage = dict.fromkeys(_USAGE_FIELDS, 0)
    usage["databaseReadDocuments"] = documents_read
    usage["databaseWriteDocuments"] = documents_written
    usage.update(search_usage or {})
    return LogEntry(
        "Completion",
        {
            "udfType": udf_type,
            "componentPath": component,
            "identifier": identifier,
            "timestamp": ended,
            "cachedResult": False,
            "caller": caller,
            "parentExecutionId": parent_execution_id,
            "executionTime": max(0.0, ended - started),
            "userExecutionTime": max(0.0, ended - started),
            "success": success,
            "error": error,
            "requestId": request_id,
            "executionId": execution_id,
            "usageStats": usage,
            "returnBytes": None,
            "occInfo": None,
            "willRetry": False,
            "executionTimestamp": started,
            "identityType": identity_type,
            "environment": environment,
        },
        lines,
        root=parent_execution_id is None,
    )


def progress(
    *,
    udf_type: str,
    identifier: str,
    line: LogLine,
    started: float,
    request_id: str,
    execution_id: str,
    root: bool = True,
) -> LogEntry:
    """A Progress entry: one log line of a running action; `timestamp` is its start."""
    component, identifier = _split(identifier)
    return LogEntry(
        "Progress",
        {
            "udfType": udf_type,
            "componentPath": component,
            "identifier": identifier,
            "timestamp": started,
            "requestId": request_id,
            "executionId": execution_id,
        },
        [line],
        root=root,
    )


_UUID4_CLEAR = ~((0xF000 << 64) | (0xC000 << 48))
_UUID4_SET = (0x4000 << 64) | (0x8000 << 48)


def _split(identifier: str) -> tuple[str | None, str]:
    """`componentPath` and `identifier` of an entry: a component's function (`tally|counts:add`)
    is named within its component, as upstream's entries name it; the app's have no path."""
    component, local = split_component(identifier)
    return component or None, local


def new_execution_id() -> str:
    """A version 4 UUID, from the same PRNG as `new_request_id`, formatted directly (the
    `uuid.UUID` round trip was a third of a log entry's cost)."""
    h = f"{(_IDS.getrandbits(128) & _UUID4_CLEAR) | _UUID4_SET:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


_IDS = random.Random(secrets.randbits(128))


class FunctionLog:
    """The last `max_entries` entries, each under a strictly increasing ms key."""

    def __init__(
        self, max_entries: int = MAX_ENTRIES, clock: Callable[[], float] = time.time
    ) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be positive")
        self._entries: deque[tuple[float, LogEntry]] = deque(maxlen=max_entries)
        self._clock = clock
        self._lock = threading.Lock()
        self._last_key = 0.0
        self._waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] = []
        self._closed = False

    @property
    def last_key(self) -> float:
        with self._lock:
            return self._last_key

    def append(self, entry: LogEntry) -> float:
        """Add `entry` (from any thread), wake the waiting readers, return its key."""
        with self._lock:
            key = self._clock() * 1000.0
            if key <= self._last_key:
                key = math.nextafter(self._last_key, math.inf)
            self._last_key = key
            self._entries.append((key, entry))
            waiters, self._waiters = self._waiters, []
        for loop, future in waiters:
            with contextlib.suppress(RuntimeError):  # that loop has closed
                loop.call_soon_threadsafe(_wake, future)
        return key

    def end_waits(self) -> None:
        """Answer every waiting reader now, and later ones at once: the server is stopping,
        and it waits for its open requests (a long poll would hold the stop for a minute)."""
        with self._lock:
            self._closed = True
            waiters, self._waiters = self._waiters, []
        for loop, future in waiters:
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(_wake, future)

    def since(self, cursor: float) -> tuple[list[LogEntry], float]:
        """The entries with keys above `cursor`, and the key of the newest (or `cursor`)."""
        with self._lock:
            return self._since(cursor)

    def _since(self, cursor: float) -> tuple[list[LogEntry], float]:
        found: list[LogEntry] = []
        for key, entry in reversed(self._entries):
            if key <= cursor:
                break
            found.append(entry)
        if not found:
            return [], cursor
        found.reverse()
        return found, self._last_key

    async def wait_since(self, cursor: float, timeout: float) -> tuple[list[LogEntry], float]:
        """`since(cursor)`, waiting up to `timeout` seconds for something newer; an
        empty batch comes back with `cursor` unchanged."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + max(0.0, timeout)
        while True:
            future: asyncio.Future[None] = loop.create_future()
            with self._lock:
                entries, new_cursor = self._since(cursor)
                if entries or self._closed:
                    return entries, new_cursor
                self._waiters.append((loop, future))
            remaining = deadline - loop.time()
            try:
                if remaining <= 0:
                    return [], cursor
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(future, remaining)
            finally:
                with self._lock, contextlib.suppress(ValueError):
                    self._waiters.remove((loop, future))


def _wake(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


__all__ = [
    "ACTION_CALLER",
    "DEFAULT_CALLER",
    "HTTP_CALLER",
    "SCHEDULER_CALLER",
    "CRON_CALLER",
    "FunctionLog",
    "LogEntry",
    "completion",
    "new_request_id",
    "progress",
]
