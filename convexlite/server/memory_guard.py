"""A memory ceiling for `convexlite serve` (`CONVEXLITE_MAX_MEMORY_MB`): shed load before it.

Upstream has no such setting (its deployments rely on their container's limit, and an OOM
kill). Here the process's resident set is sampled as work arrives, at most every
`SAMPLE_S`; from `SHED_RATIO` of the ceiling on, new work is refused with a retryable error
(HTTP 503 `Overloaded`, WebSocket close 1013 `Overloaded`, a frame on an open sync
connection closes it the same way, so its client reconnects and resubscribes later),
until the resident set falls back under `RESUME_RATIO`. On entering that state the guard
collects garbage and hands freed heap back to the system (glibc's `malloc_trim`), since
CPython keeps freed memory in its arenas otherwise. Linux only (`/proc/self/statm`);
elsewhere the resident set reads as 0 and nothing is shed.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import os
import time

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocket

from convexlite.sync.actions import CLOSE_TRY_AGAIN

SHED_RATIO = 0.9
RESUME_RATIO = 0.8
SAMPLE_S = 0.01
TRIM_EVERY_S = 1.0
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def resident_bytes() -> int:
    """This process's resident set size now, 0 where `/proc` is missing."""
    try:
        with open("/proc/self/statm", "rb") as statm:
            return int(statm.read().split()[1]) * _PAGE
    except (OSError, IndexError, ValueError):
        return 0


def _malloc_trim() -> None:
    name = ctypes.util.find_library("c")
    if name is None:
        return
    try:
        trim = ctypes.CDLL(name).malloc_trim
    except (OSError, AttributeError):  # not glibc
        return
    trim(0)


class MemoryGuard:
    """Whether to refuse new work, from the resident set against `ceiling_bytes`."""

    def __init__(self, ceiling_bytes: int) -> None:
        self.ceiling_bytes = ceiling_bytes
        self.shedding = False
        self._sampled_at = 0.0
        self._trimmed_at = 0.0

    def over(self) -> bool:
        """True while new work should be refused."""
        now = time.monotonic()
        if now - self._sampled_at >= SAMPLE_S:
            self._sampled_at = now
            self._update(now)
        return self.shedding

    def _update(self, now: float) -> None:
        rss = resident_bytes()
        if not self.shedding and rss >= self.ceiling_bytes * SHED_RATIO:
            if now - self._trimmed_at >= TRIM_EVERY_S:
                self._trimmed_at = now
                gc.collect()
                _malloc_trim()
                rss = resident_bytes()
            self.shedding = rss >= self.ceiling_bytes * SHED_RATIO
        elif self.shedding and rss < self.ceiling_bytes * RESUME_RATIO:
            self.shedding = False

    def message(self) -> str:
        mb = self.ceiling_bytes >> 20
        return f"The server is near its memory limit ({mb} MB); try again later"


class LoadShedding:
    """ASGI middleware: while `guard` says so, answer HTTP 503 and close new WebSockets 1013."""

    def __init__(self, app: ASGIApp, guard: MemoryGuard) -> None:
        self.app = app
        self.guard = guard

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or not self.guard.over():
            await self.app(scope, receive, send)
            return
        if scope["type"] == "http":
            body = {"code": "Overloaded", "message": self.guard.message()}
            await JSONResponse(body, 503, {"retry-after": "1"})(scope, receive, send)
            return
        websocket = WebSocket(scope, receive, send)
        await websocket.accept()
        await websocket.close(CLOSE_TRY_AGAIN, "Overloaded")
