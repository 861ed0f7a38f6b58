"""At most `CONCURRENT_ACTIONS` actions of one runtime run at once; a caller waits
`WAIT_SECONDS` for a slot, then fails with upstream's retryable `TooManyConcurrentRequests`."""

from __future__ import annotations

import asyncio

import pytest

from convexlite.errors import ErrorKind
from convexlite.functions import action_slots
from convexlite.functions.action_slots import ActionSlots, TooManyConcurrentRequests


async def test_a_caller_finding_no_free_slot_in_time_is_refused(monkeypatch) -> None:
    monkeypatch.setattr(action_slots, "CONCURRENT_ACTIONS", 2)
    monkeypatch.setattr(action_slots, "WAIT_SECONDS", 0.2)
    slots = ActionSlots()
    release, both_running = asyncio.Event(), asyncio.Event()
    running = 0

    async def action() -> str:
        nonlocal running
        async with slots.slot():
            running += 1
            if running == 2:
                both_running.set()
            await release.wait()
            running -= 1
        return "done"

    first = [asyncio.create_task(action()) for _ in range(2)]
    await asyncio.wait_for(both_running.wait(), 5)
    with pytest.raises(TooManyConcurrentRequests, match="limited to 2 concurrent actions") as e:
        await action()
    assert e.value.kind is ErrorKind.OVERLOADED and running == 2
    release.set()
    assert await asyncio.gather(*first) == ["done", "done"]
    assert await action() == "done"
