"""The sync protocol with generated and mutated messages (docs/reliability.md, Fuzzing).

The sans-IO session takes any sequence of frames: it never raises, a refused frame ends
the session with at most one final message and applies nothing, and the Transitions it
sends chain. Then the same frames over a real WebSocket against the ASGI app served by
uvicorn: the server answers each bad connection per §2.12, logs no uncaught exception,
and a connection opened before keeps working.
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import threading
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn
from conftest import ErrorLog, fuzz
from hypothesis import given
from hypothesis import strategies as st
from strategies import JSON_VALUES, TEXT, mutated
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from convexlite import Backend
from convexlite.server.app import create_app
from convexlite.server.state import ServerState
from convexlite.sync import (
    ActionResponse,
    AuthError,
    Close,
    FatalError,
    MutationResponse,
    QueryUpdated,
    RunAction,
    RunMutation,
    Send,
    SyncSession,
    Transition,
    VerifyAdminKey,
    VerifyUserToken,
    Watch,
)

SESSION = "3f0e4c2a-9b1d-4c7e-8a55-2d6f0b9e1a77"
CONNECT = {"type": "Connect", "sessionId": SESSION, "connectionCount": 0, "clientTs": 1.0}
U32 = st.integers(0, 3) | st.integers(-1, 2**33) | st.floats() | JSON_VALUES
PATHS = st.sampled_from(["messages:list", "messages:send", "values:echo", "x:y"]) | TEXT
ADD = st.fixed_dictionaries(
    {"type": st.just("Add"), "queryId": U32, "udfPath": PATHS, "args": st.just([{}]) | JSON_VALUES},
    optional={"journal": JSON_VALUES, "componentPath": JSON_VALUES},
)  # fmt: skip
REMOVE = st.fixed_dictionaries({"type": st.just("Remove"), "queryId": U32})
MESSAGES = st.one_of(
    st.fixed_dictionaries({"type": st.just("Connect"), "sessionId": st.just(SESSION) | TEXT,
                           "connectionCount": U32},
                          optional={"clientTs": U32, "maxObservedTimestamp": JSON_VALUES,
                                    "lastCloseReason": JSON_VALUES}),
    st.fixed_dictionaries({"type": st.just("ModifyQuerySet"), "baseVersion": U32,
                           "newVersion": U32,
                           "modifications": st.lists(ADD | REMOVE, max_size=3) | JSON_VALUES}),
    st.fixed_dictionaries({"type": st.sampled_from(["Mutation", "Action"]), "requestId": U32,
                           "udfPath": PATHS, "args": st.just([{}]) | JSON_VALUES},
                          optional={"componentPath": JSON_VALUES}),
    st.fixed_dictionaries({"type": st.just("Authenticate"), "baseVersion": U32,
                           "tokenType": st.sampled_from(["User", "Admin", "None", "x"])},
                          optional={"value": JSON_VALUES, "impersonating": JSON_VALUES,
                                    "acting_as": JSON_VALUES}),
    st.fixed_dictionaries({"type": st.just("Event"), "eventType": TEXT, "event": JSON_VALUES}),
    st.dictionaries(TEXT, JSON_VALUES, max_size=3),
)  # fmt: skip
FRAMES = st.one_of(
    MESSAGES.map(json.dumps),
    MESSAGES.map(lambda m: json.dumps(m).encode("utf-8", "surrogatepass")).flatmap(mutated).map(
        lambda b: b.decode("utf-8", "replace")),
    st.integers(1, 3000).map(lambda n: "[" * n + "]" * n),
    st.sampled_from(["", "null", "[]", '{"type":"Connect"}', '{"type":null}']),
)  # fmt: skip
"""Text frames: messages of every type with fields of any JSON type, mutated bytes,
too-deep nesting, and a few classics."""


def _answer(session: SyncSession, actions: list[Any], ts: int) -> list[Any]:
    """What the transport would do for `actions`: results for watched queries, responses
    for requests, verified credentials; returns the messages sent."""
    sent: list[Any] = []
    pending = list(actions)
    while pending:
        action = pending.pop(0)
        match action:
            case Send(message):
                sent.append(message)
            case Close():
                sent.append(action)
            case Watch(query_id=query_id):
                session.query_result(query_id, QueryUpdated(query_id, [], ()), ts)
            case RunMutation(request_id=request_id):
                session.mutation_started(request_id, object())
                response = MutationResponse(request_id, True, None, ts)
                pending += session.mutation_completed(request_id, response)
            case RunAction(request_id=request_id):
                pending += session.action_completed(ActionResponse(request_id, True, None))
            case VerifyAdminKey() | VerifyUserToken():
                pending += session.authenticated("admin")
    return sent


@fuzz(150)
@given(frames=st.lists(FRAMES, max_size=8), connect_first=st.booleans())
def test_session_takes_any_frames(frames, connect_first):
    session = SyncSession(anonymous="anonymous")
    if connect_first:
        frames = [json.dumps(CONNECT), *frames]
    previous_end = session.current
    ts = 10
    for frame in frames:
        was_closed = session.closed
        before = (session.received_query_set, session.received_identity, set(session.queries))
        actions = session.receive(frame, now_ms=2.0, latest_ts=ts)
        if was_closed:
            assert actions == []
            continue
        sent = _answer(session, actions, ts)
        if session.closed:
            assert isinstance(sent[-1], Close), sent
            assert all(not isinstance(m, Close) for m in sent[:-1])
            finals = [m for m in sent if isinstance(m, FatalError | AuthError)]
            assert len(finals) <= 1 and (not finals or sent[-2] is finals[0])
            if any(isinstance(a, Close) for a in actions):
                after = (session.received_query_set, session.received_identity,
                         set(session.queries))  # fmt: skip
                assert after == before
        ts += 1
        transition = session.next_transition(True, latest_ts=ts)
        if transition is not None:
            assert isinstance(transition, Transition)
            assert transition.start_version == previous_end
            end = transition.end_version
            assert end.query_set >= previous_end.query_set and end.ts >= previous_end.ts
            previous_end = end


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class LiveServer:
    """The ASGI app served by uvicorn on a thread of its own, with its own event loop."""

    def __init__(self) -> None:
        from client_app import app

        self.backend = Backend(app)
        self.port = _free_port()
        config = uvicorn.Config(
            create_app(ServerState(self.backend)), host="127.0.0.1", port=self.port,
            lifespan="off", log_level="warning",
        )  # fmt: skip
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        while not self.server.started:
            if not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            threading.Event().wait(0.01)
        self.url = f"ws://127.0.0.1:{self.port}/api/1.45.0/sync"

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        loop.run_until_complete(self.server.serve())
        loop.run_until_complete(self.backend.close())
        loop.close()

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)


@pytest.fixture(scope="module")
def live() -> Iterator[LiveServer]:
    server = LiveServer()
    try:
        yield server
    finally:
        server.stop()


def _until_close(ws: ClientConnection) -> list[dict[str, Any]]:
    """Every message until the server closes the connection."""
    received = []
    try:
        while True:
            received.append(json.loads(ws.recv(timeout=30)))
    except ConnectionClosed:
        return received


class Watcher:
    """A well-behaved client subscribed to `messages:list` on its own connection."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.request_id = 0
        self.ws.send(json.dumps(CONNECT | {"sessionId": str(uuid.uuid4())}))
        add = {"type": "Add", "queryId": 0, "udfPath": "messages:list", "args": [{}]}
        self.ws.send(json.dumps({"type": "ModifyQuerySet", "baseVersion": 0, "newVersion": 1,
                                 "modifications": [add]}))  # fmt: skip
        self.next_of("Transition")

    def next_of(self, kind: str) -> dict[str, Any]:
        while True:
            message = json.loads(self.ws.recv(timeout=30))
            if message["type"] == kind:
                return message

    def still_works(self) -> None:
        """A mutation on this connection is answered, and its Transition shows the write."""
        body = f"check {self.request_id}"
        self.ws.send(json.dumps({"type": "Mutation", "requestId": self.request_id,
                                 "udfPath": "messages:send",
                                 "args": [{"author": "watcher", "body": body}]}))  # fmt: skip
        self.request_id += 1
        answered = shown = False
        while not (answered and shown):
            message = json.loads(self.ws.recv(timeout=30))
            if message["type"] == "MutationResponse":
                assert message["success"] is True, message
                answered = True
            elif message["type"] == "Transition":
                shown = shown or body in json.dumps(message["modifications"])


_ADD_LIST = {"type": "Add", "queryId": 0, "udfPath": "messages:list", "args": [{}]}
PRELUDES = st.sampled_from([
    [],
    [CONNECT],
    [CONNECT, {"type": "ModifyQuerySet", "baseVersion": 0, "newVersion": 1,
               "modifications": [_ADD_LIST]}],
    [CONNECT, {"type": "Authenticate", "tokenType": "None", "baseVersion": 0},
     {"type": "Mutation", "requestId": 0, "udfPath": "messages:send",
      "args": [{"author": "fuzz", "body": "x"}]}],
])  # fmt: skip
"""Valid openings, so the fuzzed frames also reach a session with queries, identities and
mutations under way."""


@fuzz(25)
@given(frames=st.lists(FRAMES | st.binary(max_size=8), min_size=1, max_size=4),
       prelude=PRELUDES)  # fmt: skip
def test_bad_connections_leave_others_working(live, frames, prelude):
    errors = ErrorLog()
    logging.getLogger("convexlite").addHandler(errors)
    try:
        with connect(live.url) as watcher_ws, connect(live.url, max_size=None) as ws:
            watcher = Watcher(watcher_ws)
            try:
                for message in prelude:
                    ws.send(
                        json.dumps(
                            message | {"sessionId": str(uuid.uuid4())}
                            if message["type"] == "Connect"
                            else message
                        )
                    )
                for frame in frames:
                    ws.send(frame)
                ws.send('{"type":"NotAMessage"}')  # ends a connection the frames left open
            except ConnectionClosed:
                pass
            received = _until_close(ws)
            close = ws.protocol.close_rcvd
            watcher.still_works()
        finals = [m for m in received if m["type"] in ("FatalError", "AuthError")]
        assert len(finals) <= 1
        if finals:
            assert received[-1] is finals[0]
        if close is not None and close.code == 1011:
            assert not finals and close.reason == "InternalServerError"
        assert errors.take() == []
    finally:
        logging.getLogger("convexlite").removeHandler(errors)
