"""At most `CONCURRENT_ACTIONS` actions run at once per runtime; a caller waits
`ACTION_SLOT_WAIT_SECONDS` for a slot, then fails with upstream's retryable
`TooManyConcurrentRequests`."""

from __future__ import annotations

import asyncio
import weakref

import pytest

from convexlite.errors import ErrorKind
from convexlite.js import runtime as js_runtime
from convexlite.js.runtime import JsRuntime, TooManyConcurrentRequests


async def test_a_caller_finding_no_free_slot_in_time_is_refused(monkeypatch) -> None:
    monkeypatch.setattr(js_runtime, "CONCURRENT_ACTIONS", 2)
    monkeypatch.setattr(js_runtime, "ACTION_SLOT_WAIT_SECONDS", 0.2)
    release, both_running = asyncio.Event(), asyncio.Event()
    running = 0

    async def in_slot(*args: object) -> str:
        nonlocal running
        running += 1
        if running == 2:
            both_running.set()
        await release.wait()
        running -= 1
        return "done"

    runtime = object.__new__(JsRuntime)  # the slots only: no bundle, no V8
    runtime._action_slots = weakref.WeakKeyDictionary()
    runtime._drive_in_slot = in_slot  # type: ignore[method-assign]
    first = [asyncio.create_task(runtime._drive("", "m", "m:a", None)) for _ in range(2)]  # type: ignore[arg-type]
    await asyncio.wait_for(both_running.wait(), 5)
    with pytest.raises(TooManyConcurrentRequests, match="limited to 2 concurrent actions") as e:
        await runtime._drive("", "m", "m:a", None)  # type: ignore[arg-type]
    assert e.value.kind is ErrorKind.OVERLOADED and running == 2
    release.set()
    assert await asyncio.gather(*first) == ["done", "done"]
    assert await runtime._drive("", "m", "m:a", None) == "done"  # type: ignore[arg-type]
