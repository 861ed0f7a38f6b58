"""`GET /api/stream_function_logs` (spec/protocol.md §3.4.3) over the ASGI app."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest
from client_app import app  # tests/server/conftest.py puts it on the path

from convexlite import Backend
from convexlite.auth.keys import issue_admin_key
from convexlite.server.app import create_app
from convexlite.server.errors import sync_request_id
from convexlite.server.state import ServerState

CLI = {"Convex-Client": "npm-cli-1.48.0"}
PATHS = ["/api/stream_function_logs", "/api/app_metrics/stream_function_logs"]


@pytest.fixture
async def state():
    async with Backend(app) as backend:
        yield ServerState(backend, log_poll_seconds=0.3)


@pytest.fixture
async def logs_server(state):
    backend = state.backend
    transport = httpx.ASGITransport(app=create_app(state))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        key = issue_admin_key(backend.instance_name, backend.instance_secret)
        client.headers["Authorization"] = f"Convex {key}"
        yield client


async def send(client: httpx.AsyncClient, body: str) -> None:
    response = await client.post(
        "/api/mutation", json={"path": "messages:send", "args": {"author": "a", "body": body}}
    )
    assert response.json()["status"] == "success"


@pytest.mark.parametrize("path", PATHS)
async def test_returns_entries_at_once_with_structured_lines_for_the_cli(logs_server, path):
    await send(logs_server, "hi")
    started = time.monotonic()
    response = await logs_server.get(path, params={"cursor": 0}, headers=CLI)
    assert time.monotonic() - started < 0.25
    assert response.status_code == 200
    body = response.json()
    [entry] = body["entries"]
    assert entry["kind"] == "Completion" and entry["identifier"] == "messages:send"
    assert entry["udfType"] == "Mutation"
    [line] = entry["logLines"]
    assert line["messages"] == ["'sending hi'"] and line["level"] == "LOG"
    assert line["isTruncated"] is False and line["systemMetadata"] is None
    assert isinstance(line["timestamp"], int)
    assert body["newCursor"] > 0


async def test_other_clients_get_string_lines(logs_server):
    await send(logs_server, "hi")
    for headers in ({}, {"Convex-Client": "npm-1.48.0"}):
        body = (await logs_server.get("/api/stream_function_logs?cursor=0", headers=headers)).json()
        assert body["entries"][0]["logLines"] == ["[LOG] 'sending hi'"]
    dashboard = {"Convex-Client": "dashboard-0.0.0"}
    body = (await logs_server.get("/api/stream_function_logs?cursor=0", headers=dashboard)).json()
    assert body["entries"][0]["logLines"][0]["messages"] == ["'sending hi'"]


async def test_times_out_empty_with_the_cursor_unchanged(logs_server):
    await send(logs_server, "one")
    head = (await logs_server.get("/api/stream_function_logs?cursor=0")).json()["newCursor"]
    started = time.monotonic()
    response = await logs_server.get("/api/stream_function_logs", params={"cursor": head})
    assert 0.25 < time.monotonic() - started < 5
    assert response.json() == {"entries": [], "newCursor": head}


async def test_a_waiting_poll_returns_when_a_function_runs(logs_server, state):
    await send(logs_server, "one")
    head = (await logs_server.get("/api/stream_function_logs?cursor=0")).json()["newCursor"]
    # a long wait, so only the mutation can end it early
    state.log_poll_seconds = 30
    poll = asyncio.create_task(
        logs_server.get("/api/stream_function_logs", params={"cursor": head}, headers=CLI)
    )
    await asyncio.sleep(0.1)
    assert not poll.done()
    await send(logs_server, "two")
    body = (await asyncio.wait_for(poll, 10)).json()
    assert [e["logLines"][0]["messages"] for e in body["entries"]] == [["'sending two'"]]
    assert body["newCursor"] > head


async def test_requires_an_admin_key(logs_server):
    del logs_server.headers["Authorization"]
    response = await logs_server.get("/api/stream_function_logs?cursor=0")
    assert response.status_code == 401
    assert response.json()["code"] == "MissingAdminKey"
    bad = {"Authorization": "Convex not-a-key"}
    response = await logs_server.get("/api/stream_function_logs?cursor=0", headers=bad)
    assert response.status_code == 401 and response.json()["code"] == "BadAdminKey"


@pytest.mark.parametrize("query", ["", "?cursor=", "?cursor=abc", "?cursor=-1", "?cursor=nan"])
async def test_a_bad_cursor_is_a_400(logs_server, query):
    response = await logs_server.get(f"/api/stream_function_logs{query}")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "InvalidQueryParameters" and "cursor" in body["message"]


async def test_the_request_filter(logs_server):
    await send(logs_server, "hi")
    session = "8f1f0c2e-6c3b-4f8a-9d52-1b2c3d4e5f60"
    base = "/api/stream_function_logs?cursor=0"
    body = (await logs_server.get(f"{base}&sessionId={session}&clientRequestCounter=3")).json()
    # an HTTP call is no WebSocket request: nothing matches, but the cursor still moves to
    # the head of the buffer (tests/server/test_request_ids.py finds a WebSocket request's)
    assert body["entries"] == [] and body["newCursor"] > 0
    assert sync_request_id(session, 3) not in {e["requestId"] for e in body["entries"]}
    bad_filters = (
        f"&sessionId={session}",
        "&clientRequestCounter=1",
        "&sessionId=x&clientRequestCounter=1",
    )
    for bad in bad_filters:
        assert (await logs_server.get(base + bad)).status_code == 400
