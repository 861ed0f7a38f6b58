"""Pausing, in process (spec/operator.md §2.10): the audit events written with the change,
a live user query failing while paused and answering again on the resume (its read of the
state is in its read set), and who may pause."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest

from convexlite import App, Backend
from convexlite.auth.keys import issue_admin_key
from convexlite.functions.system.audit_log import AUDIT_LOG
from convexlite.functions.system.deployment_state import PAUSED_MESSAGE
from convexlite.server.app import create_app
from convexlite.server.state import ServerState

app = App()


@app.query(name="notes:count", args={})
def count(ctx, args):
    return len(ctx.db.query("notes").collect())


@pytest.fixture
async def served() -> AsyncIterator[tuple[Backend, httpx.AsyncClient, dict[str, str]]]:
    async with Backend(app) as backend:
        transport = httpx.ASGITransport(app=create_app(ServerState(backend)))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            key = issue_admin_key(backend.instance_name, backend.instance_secret)
            yield backend, http, {"Authorization": f"Convex {key}"}


async def test_a_live_query_fails_while_paused_and_answers_on_resume(served) -> None:
    backend, http, admin = served
    async with backend.subscribe("notes:count") as sub:
        assert (await asyncio.wait_for(sub.__anext__(), 5)).value == 0
        assert (await http.post("/api/v1/pause_deployment", headers=admin)).status_code == 200
        paused = await asyncio.wait_for(sub.__anext__(), 5)
        assert paused.error is not None and str(paused.error) == PAUSED_MESSAGE
        assert (await http.post("/api/v1/unpause_deployment", headers=admin)).status_code == 200
        assert (await asyncio.wait_for(sub.__anext__(), 5)).value == 0


async def test_each_change_is_audited_in_its_transaction(served) -> None:
    backend, http, admin = served
    for path in ("pause_deployment", "unpause_deployment", "pause_deployment"):
        assert (await http.post(f"/api/v1/{path}", headers=admin)).status_code == 200
    refused = await http.post("/api/v1/pause_deployment", headers=admin)
    assert refused.status_code == 400
    tx = backend.engine.db.begin(read_only=True)
    events = [(row["action"], row["metadata"], row["member_id"]) for row in tx.rows(AUDIT_LOG)]
    assert events == [
        ("pause_deployment", {}, None),
        ("unpause_deployment", {}, None),
        ("pause_deployment", {}, None),
    ]
    with pytest.raises(Exception, match="paused"):
        await backend.query("notes:count")


async def test_only_admins_that_may_write_pause(served) -> None:
    backend, http, _ = served
    read_only = issue_admin_key(backend.instance_name, backend.instance_secret, read_only=True)
    refused = await http.post(
        "/api/v1/pause_deployment", headers={"Authorization": f"Convex {read_only}"}
    )
    assert refused.status_code == 403
    assert (await http.post("/api/v1/pause_deployment")).status_code == 401
    assert await backend.query("notes:count") == 0
