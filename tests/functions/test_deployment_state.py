"""The paused check before every user function: Convex's message, and one storage read of
`_backend_state` per change rather than one per function."""

from __future__ import annotations

from typing import Any

import pytest

from convexlite import App, Backend
from convexlite.functions.system import deployment_state
from convexlite.functions.system.deployment_state import (
    PAUSED_MESSAGE,
    DeploymentNotRunning,
    PauseDeploymentFailed,
    UnpauseDeploymentFailed,
)

app = App()


@app.query(name="notes:count", args={})
def count(ctx, args):
    return len(ctx.db.query("notes").collect())


async def test_the_state_is_read_from_storage_once_per_change(monkeypatch) -> None:
    reads: list[dict[str, str]] = []
    read = deployment_state.backend_state

    def counted(tx: Any) -> dict[str, str]:
        reads.append(read(tx))
        return reads[-1]

    monkeypatch.setattr(deployment_state, "backend_state", counted)
    async with Backend(app, run_scheduler=False) as backend:  # no scheduler asking as well
        for _ in range(3):
            assert await backend.query("notes:count") == 0
        assert len(reads) == 1
        await backend.set_paused(True)  # reads it once to check the change
        for _ in range(3):
            with pytest.raises(DeploymentNotRunning) as paused:
                await backend.query("notes:count")
            assert paused.value.message == PAUSED_MESSAGE
        assert len(reads) == 3
        with pytest.raises(PauseDeploymentFailed):
            await backend.set_paused(True)
        await backend.set_paused(False)
        for _ in range(3):
            assert await backend.query("notes:count") == 0
        with pytest.raises(UnpauseDeploymentFailed, match="not currently paused"):
            await backend.set_paused(False)
        assert reads[-1] == {"system": "none", "usage_limit": "none", "user": "none"}
        assert len(reads) == 7
