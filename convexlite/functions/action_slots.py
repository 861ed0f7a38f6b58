"""How many actions of one runtime run at once (spec/platform.md §7.1).

Each running JavaScript action holds a V8 context (up to 64 MiB of heap) and each running
`"use node"` action a Node.js process, so their number bounds memory. As upstream
(`APPLICATION_MAX_CONCURRENT_V8_ACTIONS`, `APPLICATION_MAX_CONCURRENT_NODE_ACTIONS`: 64, with
a 10 s wait for a permit), a caller waits up to `WAIT_SECONDS` for a slot, then fails with
the retryable `TooManyConcurrentRequests`.
"""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from collections.abc import AsyncIterator

from convexlite.errors import ConvexBackendError, ErrorKind

CONCURRENT_ACTIONS = 64
WAIT_SECONDS = 10.0


class TooManyConcurrentRequests(ConvexBackendError):
    """No action slot came free in time; retrying later can succeed."""

    kind = ErrorKind.OVERLOADED
    code = "TooManyConcurrentRequests"


class ActionSlots:
    """`CONCURRENT_ACTIONS` slots per event loop (a semaphore belongs to one loop)."""

    def __init__(self) -> None:
        self._slots: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
            weakref.WeakKeyDictionary()
        )

    @contextlib.asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        loop = asyncio.get_running_loop()
        slots = self._slots.get(loop)
        if slots is None:
            slots = self._slots[loop] = asyncio.Semaphore(CONCURRENT_ACTIONS)
        try:
            await asyncio.wait_for(slots.acquire(), WAIT_SECONDS)
        except TimeoutError:
            raise TooManyConcurrentRequests(
                "Too many concurrent requests. Your backend is limited to "
                f"{CONCURRENT_ACTIONS} concurrent actions."
            ) from None
        try:
            yield
        finally:
            slots.release()
