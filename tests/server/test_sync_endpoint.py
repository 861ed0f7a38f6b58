"""The sync pump on its own: an in-memory socket and a scripted backend, no uvicorn, no npm.

These pin what the pump must do without polling: a Transition held back
because a subscription is not current is sent when the subscription says it
settled, and not before.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterable
from typing import Any

import pytest

from convexlite.functions.live_queries import QueryResult
from convexlite.functions.runner import Execution
from convexlite.server.state import ServerState
from convexlite.server.sync_endpoint import sync_websocket
from convexlite.values.formats import decode_ts

SESSION = "3f0e4c2a-9b1d-4c7e-8a55-2d6f0b9e1a77"


class Socket:
    """The Starlette WebSocket surface the endpoint uses, backed by two queues."""

    def __init__(self) -> None:
        self.incoming: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.outgoing: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.closed: tuple[int, str] | None = None
        self.send_delay = 0.0

    async def accept(self) -> None:
        pass

    async def receive(self) -> dict[str, Any]:
        return await self.incoming.get()

    async def send_text(self, text: str) -> None:
        await asyncio.sleep(self.send_delay)
        await self.outgoing.put(json.loads(text))

    async def close(self, code: int, reason: str = "") -> None:
        self.closed = (code, reason)

    def send(self, message: dict[str, Any]) -> None:
        self.incoming.put_nowait({"type": "websocket.receive", "text": json.dumps(message)})

    async def next(self, timeout: float = 2.0) -> dict[str, Any]:
        return await asyncio.wait_for(self.outgoing.get(), timeout)


class Subscription:
    """A query subscription whose results and currency the test scripts."""

    def __init__(self) -> None:
        self.results: asyncio.Queue[QueryResult] = asyncio.Queue()
        self.on_settled: Any = None
        self.closed = False

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> QueryResult:
        return await self.results.get()

    def close(self) -> None:
        self.closed = True


class Backend:
    def __init__(self) -> None:
        self.latest_ts = 1
        self.subscriptions: list[Subscription] = []
        self.current_until = 0
        self.asked = 0
        self.gate: asyncio.Event | None = None

    def subscribe(self, path: str, args: Any, *, caller: Any = None) -> Subscription:
        sub = Subscription()
        self.subscriptions.append(sub)
        return sub

    def current_through(self, subscriptions: Iterable[Subscription], ts: int) -> bool:
        self.asked += 1
        list(subscriptions)
        return ts <= self.current_until

    async def execute(self, kind: Any, path: str, args: Any, caller: Any, **_: Any) -> Execution:
        if self.gate is not None:
            await self.gate.wait()
        self.latest_ts += 10
        return Execution("ok", [], self.latest_ts)


def watch_list(socket: Socket) -> None:
    """Subscribe the socket's session to `messages:list` as query 0."""
    add = {"type": "Add", "queryId": 0, "udfPath": "messages:list", "args": [{}]}
    socket.send(
        {"type": "ModifyQuerySet", "baseVersion": 0, "newVersion": 1, "modifications": [add]}
    )


@pytest.fixture
async def connection() -> Any:
    backend = Backend()
    socket = Socket()
    endpoint = sync_websocket(ServerState(backend))  # type: ignore[arg-type]
    task = asyncio.ensure_future(endpoint(socket))  # type: ignore[arg-type]
    socket.send({"type": "Connect", "sessionId": SESSION, "connectionCount": 0})
    yield backend, socket
    socket.incoming.put_nowait({"type": "websocket.disconnect", "code": 1000})
    await asyncio.wait_for(task, 2)


async def test_a_held_transition_goes_out_when_the_subscription_settles(connection: Any) -> None:
    backend, socket = connection
    watch_list(socket)
    await asyncio.sleep(0.01)
    [sub] = backend.subscriptions
    backend.current_until = 1
    sub.results.put_nowait(QueryResult([], None, 1, []))
    first = await socket.next()
    assert first["type"] == "Transition" and first["modifications"][0]["value"] == []

    socket.send({"type": "Mutation", "requestId": 0, "udfPath": "m:send", "args": [{}]})
    response = await socket.next()
    assert response["type"] == "MutationResponse" and response["success"]
    asked = backend.asked
    await asyncio.sleep(0.2)  # not current through the commit: nothing is sent, nobody polls
    assert socket.outgoing.empty()
    assert backend.asked - asked <= 2

    backend.current_until = decode_ts(response["ts"])
    sub.on_settled()  # the query re-ran and its result did not change
    covering = await socket.next()
    assert covering["type"] == "Transition" and covering["modifications"] == []
    assert decode_ts(covering["endVersion"]["ts"]) == decode_ts(response["ts"])


async def test_a_binary_frame_closes_1011(connection: Any) -> None:
    _, socket = connection
    socket.incoming.put_nowait({"type": "websocket.receive", "bytes": b"\x00"})
    for _ in range(100):
        if socket.closed:
            break
        await asyncio.sleep(0.01)
    assert socket.closed == (1011, "InternalServerError")


async def test_a_mutation_response_precedes_the_transition_that_covers_it(connection: Any) -> None:
    """While the socket is slow, a Transition asked for before a mutation finishes must not
    be built after it and sent ahead of its response: the client would wait forever."""
    backend, socket = connection
    backend.current_until = 2**62
    watch_list(socket)
    await asyncio.sleep(0.01)
    [sub] = backend.subscriptions
    sub.results.put_nowait(QueryResult([], None, 1, []))
    assert (await socket.next())["type"] == "Transition"

    backend.gate = asyncio.Event()
    socket.send({"type": "Mutation", "requestId": 0, "udfPath": "m:send", "args": [{}]})
    await asyncio.sleep(0.01)
    socket.send_delay = 0.05
    sub.results.put_nowait(QueryResult(["a"], None, 1, []))  # a Transition is being sent
    await asyncio.sleep(0.01)
    sub.results.put_nowait(QueryResult(["b"], None, 1, []))  # another is asked for
    await asyncio.sleep(0)
    backend.gate.set()  # and the mutation finishes before the socket is free
    messages = [await socket.next() for _ in range(3)]
    kinds = [m["type"] for m in messages]
    response = messages[kinds.index("MutationResponse")]
    committed = decode_ts(response["ts"])
    for position, message in enumerate(messages):
        if message["type"] == "Transition" and decode_ts(message["endVersion"]["ts"]) >= committed:
            assert position > kinds.index("MutationResponse"), kinds
    last = messages[-1]
    assert last["type"] == "Transition" and decode_ts(last["endVersion"]["ts"]) >= committed


async def _open(endpoint: Any, backend: Backend) -> tuple[Socket, asyncio.Future[None]]:
    socket = Socket()
    task = asyncio.ensure_future(endpoint(socket))
    socket.send({"type": "Connect", "sessionId": SESSION, "connectionCount": 0})
    watch_list(socket)
    return socket, task


async def test_sessions_watching_one_result_get_the_same_transition_from_one_encoding() -> None:
    backend = Backend()
    backend.current_until = 2**62
    endpoint = sync_websocket(ServerState(backend))  # type: ignore[arg-type]
    opened = [await _open(endpoint, backend) for _ in range(2)]
    await asyncio.sleep(0.01)
    value = {"b": [1.5, "x"], "a": {"$id": "é"}, "big": 2**40 + 0.5}
    shared = QueryResult([value, None, True], None, 5, ["[LOG] 'hi'"])
    for sub in backend.subscriptions:
        sub.results.put_nowait(shared)
    first, second = [await socket.next() for socket, _ in opened]
    assert first.pop("serverTs") <= second.pop("serverTs")
    assert first == second
    [modification] = first["modifications"]
    assert modification["type"] == "QueryUpdated"
    assert modification["value"] == [
        {"a": {"$id": "é"}, "b": [1.5, "x"], "big": 2**40 + 0.5},
        None,
        True,
    ]
    assert modification["logLines"] == ["[LOG] 'hi'"]
    assert list(shared.encoded) == ["sync.value"]  # encoded by the first, reused by the second

    changed = QueryResult(["next"], None, 6, [])
    for sub in backend.subscriptions:
        sub.results.put_nowait(changed)
    for socket, _ in opened:
        [modification] = (await socket.next())["modifications"]
        assert modification["value"] == ["next"]
    for socket, task in opened:
        socket.incoming.put_nowait({"type": "websocket.disconnect", "code": 1000})
        await asyncio.wait_for(task, 2)


async def test_an_unchanged_result_is_not_sent_again(connection: Any) -> None:
    backend, socket = connection
    backend.current_until = 2**62
    watch_list(socket)
    await asyncio.sleep(0.01)
    [sub] = backend.subscriptions
    sub.results.put_nowait(QueryResult({"n": 1.0}, None, 1, []))
    assert (await socket.next())["modifications"][0]["value"] == {"n": 1.0}
    sub.results.put_nowait(QueryResult({"n": 1.0}, None, 2, []))  # same value, a new object
    socket.send({"type": "Mutation", "requestId": 0, "udfPath": "m:send", "args": [{}]})
    assert (await socket.next())["type"] == "MutationResponse"
    covering = await socket.next()
    assert covering["type"] == "Transition" and covering["modifications"] == []


async def test_silent_connections_get_pings_from_one_shared_timer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from convexlite.server import sync_endpoint

    monkeypatch.setattr(sync_endpoint, "PING_AFTER_SECONDS", 0.2)
    monkeypatch.setattr(sync_endpoint, "PING_CHECK_SECONDS", 0.05)
    backend = Backend()
    endpoint = sync_websocket(ServerState(backend))  # type: ignore[arg-type]
    opened = [await _open(endpoint, backend) for _ in range(3)]
    for socket, _ in opened:
        assert await socket.next() == {"type": "Ping"}
        assert await socket.next() == {"type": "Ping"}  # and again after the next silence
    tasks = {t for t in asyncio.all_tasks() if t is not asyncio.current_task()}
    assert len(tasks) == 3 * 4  # per connection: endpoint, receiver, writer, one follower
    for socket, task in opened:
        socket.incoming.put_nowait({"type": "websocket.disconnect", "code": 1000})
        await asyncio.wait_for(task, 2)
    handles = asyncio.get_running_loop()._scheduled  # type: ignore[attr-defined]
    assert not [h for h in handles if not h.cancelled()]  # no connection, no timer
