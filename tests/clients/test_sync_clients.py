"""The sync WebSocket against the official clients (npm `convex`, PyPI `convex`) and raw frames.

The server runs in a thread of its own (uvicorn on a free port), so the
synchronous PyPI client and Node subprocesses can talk to it while a test
reaches into it, e.g. to drop every connection from the server side.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
import websockets
from starlette.applications import Starlette
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket

from convexlite import App, Backend, ConvexError, v
from convexlite.auth.keys import issue_admin_key
from convexlite.server.state import ServerState
from convexlite.server.sync_endpoint import sync_websocket

HERE = Path(__file__).parent
SESSION = "3f0e4c2a-9b1d-4c7e-8a55-2d6f0b9e1a77"

app = App()
slow_started = threading.Event()


@app.query(name="messages:list", args={"channel": v.string()})
def list_messages(ctx: Any, args: dict[str, Any]) -> Any:
    return [
        {"body": m["body"]}
        for m in ctx.db.query("messages")
        .filter(lambda q: q.eq(q.field("channel"), args["channel"]))
        .collect()
    ]


@app.mutation(name="messages:send", args={"channel": v.string(), "body": v.string()})
def send(ctx: Any, args: dict[str, Any]) -> Any:
    if not args["body"]:
        raise ConvexError({"code": "EMPTY"})
    ctx.db.insert("messages", args)
    return args["body"]


@app.mutation(name="messages:slowSend", args={"channel": v.string(), "body": v.string()})
def slow_send(ctx: Any, args: dict[str, Any]) -> Any:
    slow_started.set()
    time.sleep(0.5)
    ctx.db.insert("messages", args)
    return "slow " + args["body"]


@app.query(name="messages:whoami", args={})
def whoami(ctx: Any, args: dict[str, Any]) -> Any:
    identity = ctx.auth.get_user_identity()
    return None if identity is None else identity["tokenIdentifier"]


class LiveServer:
    """convexlite's sync endpoint on uvicorn, on its own event loop thread."""

    def __init__(self) -> None:
        self.sockets: set[WebSocket] = set()
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.call(self._start())

    def call(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=30)

    async def _start(self) -> None:
        self.backend = await Backend(app).open()
        endpoint = sync_websocket(ServerState(self.backend))

        async def tracked(websocket: WebSocket) -> None:
            self.sockets.add(websocket)
            try:
                await endpoint(websocket)
            finally:
                self.sockets.discard(websocket)

        web = Starlette(
            routes=[WebSocketRoute("/api/sync", tracked), WebSocketRoute("/api/{v}/sync", tracked)]
        )
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        self.server = uvicorn.Server(uvicorn.Config(web, log_level="warning", ws_ping_interval=5))
        self.serving = asyncio.ensure_future(self.server.serve(sockets=[sock]))
        while not self.server.started:
            await asyncio.sleep(0.01)
        self.admin_key = issue_admin_key(self.backend.instance_name, self.backend.instance_secret)

    def drop_connections(self) -> int:
        async def close_all() -> int:
            sockets = list(self.sockets)
            for websocket in sockets:
                await websocket.close(1011, "InternalServerError")
            return len(sockets)

        return self.call(close_all())

    def stop(self) -> None:
        async def stop() -> None:
            self.server.should_exit = True
            await self.serving
            await self.backend.close()

        self.call(stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join()


@pytest.fixture(scope="module")
def live_server() -> Iterator[LiveServer]:
    server = LiveServer()
    yield server
    server.stop()


def node(npm_convex: Path, server: LiveServer, scenario: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        ["node", str(HERE / "sync_client.mjs"), server.url, scenario],
        env={**os.environ, "CONVEX_NPM_DIR": str(npm_convex)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def run_node(npm_convex: Path, server: LiveServer, scenario: str) -> list[dict[str, Any]]:
    process = node(npm_convex, server, scenario)
    out, err = process.communicate(timeout=30)
    lines = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    assert process.returncode == 0, (lines, err)
    return lines


# ---- npm ConvexClient -----------------------------------------------------------------------


def test_npm_subscriber_sees_every_update_in_order(
    npm_convex: Path, live_server: LiveServer
) -> None:
    [report] = run_node(npm_convex, live_server, "updates")
    seen = report["seen"]
    assert seen[0] == []
    for i in range(5):
        assert [f"m{j}" for j in range(i + 1)] in seen
    for earlier, later in zip(seen, seen[1:], strict=False):
        assert later[: len(earlier)] == earlier and len(later) > len(earlier)
    assert seen[-1] == [f"m{i}" for i in range(25)]


def test_npm_mutation_resolves_after_its_subscription_reflects_it(
    npm_convex: Path, live_server: LiveServer
) -> None:
    [report] = run_node(npm_convex, live_server, "readYourWrites")
    assert report["visible"] == [True] * 10


def test_npm_convex_error_data_and_function_errors(
    npm_convex: Path, live_server: LiveServer
) -> None:
    failure, missing = run_node(npm_convex, live_server, "convexError")
    assert failure["thrown"] and failure["isConvexError"]
    assert failure["data"] == {"code": "EMPTY"}
    assert "Could not find public function for 'messages:missing'" in missing["missing"]


def test_npm_reconnect_resumes_without_repeating_a_mutation(
    npm_convex: Path, live_server: LiveServer
) -> None:
    slow_started.clear()
    process = node(npm_convex, live_server, "reconnect")
    assert process.stdout is not None
    assert json.loads(process.stdout.readline()) == {"ready": True}
    assert slow_started.wait(10)
    assert live_server.drop_connections() >= 1
    out, err = process.communicate(timeout=30)
    assert process.returncode == 0, (out, err)
    report = json.loads(out.splitlines()[-1])
    assert report["result"] == "slow once"
    assert report["final"] == ["once", "after"]


# ---- PyPI ConvexClient ----------------------------------------------------------------------


PYTHON_CLIENT = """
import json, sys
from convex import ConvexClient, ConvexError

client = ConvexClient(sys.argv[1])
report = {}
subscription = client.subscribe("messages:list", {"channel": "py"})
report["first"] = next(subscription)
report["sent"] = client.mutation("messages:send", {"channel": "py", "body": "a"})
report["next"] = next(subscription)
report["query"] = client.query("messages:list", {"channel": "py"})
try:
    client.mutation("messages:send", {"channel": "py", "body": ""})
except ConvexError as exc:
    report["errorData"] = exc.data
print(json.dumps(report))
"""


def test_python_client_subscribe_query_mutation(live_server: LiveServer) -> None:
    # In a process of its own: the client's blocking calls hold the GIL, starving the server.
    done = subprocess.run(
        [sys.executable, "-c", PYTHON_CLIENT, live_server.url],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {
        "first": [],
        "sent": "a",
        "next": [{"body": "a"}],
        "query": [{"body": "a"}],
        "errorData": {"code": "EMPTY"},
    }


# ---- raw frames -----------------------------------------------------------------------------


def ws_url(server: LiveServer) -> str:
    return server.url.replace("http://", "ws://") + "/api/1.48.0/sync"


def connect_message(**extra: Any) -> str:
    return json.dumps(
        {"type": "Connect", "sessionId": str(uuid.uuid4()), "connectionCount": 0, **extra}
    )


async def exchange(server: LiveServer, *frames: str | bytes) -> tuple[list[dict[str, Any]], Any]:
    """Send frames, collect replies until the server closes or goes quiet for 1 s."""
    replies: list[dict[str, Any]] = []
    async with websockets.connect(ws_url(server)) as ws:
        for frame in frames:
            await ws.send(frame)
        try:
            while True:
                replies.append(json.loads(await asyncio.wait_for(ws.recv(), 1)))
        except websockets.ConnectionClosed:
            pass
        except TimeoutError:
            return replies, None
        return replies, ws.close_code


@pytest.mark.parametrize(
    ("frame", "detail"),
    [
        ("{not json", "Received Invalid JSON on websocket"),
        ('{"type":"Nope"}', "unknown message type `Nope`"),
        (
            '{"type":"ModifyQuerySet","baseVersion":3,"newVersion":4,"modifications":[]}',
            "Base version 3 passed up doesn't match the current version 0",
        ),
    ],
)
async def test_bad_messages_get_a_fatal_error(
    live_server: LiveServer, frame: str, detail: str
) -> None:
    replies, code = await exchange(live_server, connect_message(), frame)
    assert replies[-1]["type"] == "FatalError"
    assert detail in replies[-1]["error"]
    assert code == 1000


async def test_protocol_invariant_violations_close_1011(live_server: LiveServer) -> None:
    replies, code = await exchange(live_server, connect_message(), b"\x00binary")
    assert (replies, code) == ([], 1011)
    ahead = connect_message(maxObservedTimestamp="////////f38=")
    replies, code = await exchange(live_server, ahead)
    assert (replies, code) == ([], 1011)


async def test_bad_connection_leaves_others_working(live_server: LiveServer) -> None:
    async with websockets.connect(ws_url(live_server)) as good:
        await good.send(connect_message())
        await exchange(live_server, "garbage")
        await good.send(
            json.dumps(
                {
                    "type": "ModifyQuerySet",
                    "baseVersion": 0,
                    "newVersion": 1,
                    "modifications": [
                        {"type": "Add", "queryId": 0, "udfPath": "messages:whoami", "args": [{}]}
                    ],
                }
            )
        )
        transition = json.loads(await asyncio.wait_for(good.recv(), 5))
        assert transition["type"] == "Transition"
        assert transition["modifications"][0]["value"] is None


async def test_admin_auth_bumps_identity_and_user_jwt_is_refused(live_server: LiveServer) -> None:
    admin = json.dumps(
        {
            "type": "Authenticate",
            "tokenType": "Admin",
            "baseVersion": 0,
            "value": live_server.admin_key,
            "impersonating": {"subject": "u1", "issuer": "https://issuer.example"},
        }
    )
    add = json.dumps(
        {
            "type": "ModifyQuerySet",
            "baseVersion": 0,
            "newVersion": 1,
            "modifications": [
                {"type": "Add", "queryId": 0, "udfPath": "messages:whoami", "args": [{}]}
            ],
        }
    )
    replies, _ = await exchange(live_server, connect_message(), admin, add)
    last = replies[-1]
    assert last["endVersion"]["identity"] == 1 and last["endVersion"]["querySet"] == 1
    assert last["modifications"][0]["value"] == "https://issuer.example|u1"

    for token_type, value in (("User", "eyJhbGciOiJSUzI1NiJ9.e30.sig"), ("Admin", "wrong")):
        replies, _ = await exchange(
            live_server,
            connect_message(),
            json.dumps(
                {
                    "type": "Authenticate",
                    "tokenType": token_type,
                    "baseVersion": 0,
                    "value": value,
                }
            ),
        )
        assert replies[-1]["type"] == "AuthError"
        assert replies[-1]["authUpdateAttempted"] is True
        assert replies[-1]["baseVersion"] == 0


async def test_mutation_response_is_followed_by_a_covering_transition(
    live_server: LiveServer,
) -> None:
    mutation = json.dumps(
        {
            "type": "Mutation",
            "requestId": 0,
            "udfPath": "messages:send",
            "args": [{"channel": "raw", "body": "x"}],
        }
    )
    replies, _ = await exchange(live_server, connect_message(), mutation, mutation)
    kinds = [reply["type"] for reply in replies]
    assert kinds.count("MutationResponse") == 2
    first = kinds.index("MutationResponse")
    assert "Transition" in kinds[first:]
    response = replies[first]
    assert replies[first + 1 :][0]["type"] in ("MutationResponse", "Transition")
    assert replies[kinds.index("MutationResponse", first + 1)]["ts"] == response["ts"]
    from convexlite.sync import decode_ts

    last = [r for r in replies if r["type"] == "Transition"][-1]
    assert decode_ts(last["endVersion"]["ts"]) >= decode_ts(response["ts"])
    assert live_server.call(live_server.backend.query("messages:list", {"channel": "raw"})) == [
        {"body": "x"}
    ]


async def test_each_write_is_shown_by_the_first_transition_at_its_mutations_ts(
    live_server: LiveServer,
) -> None:
    """The wire-level form of read-your-writes, over many mutations in a row."""
    from convexlite.sync import decode_ts

    async with websockets.connect(ws_url(live_server)) as ws:

        async def receive() -> dict[str, Any]:
            return json.loads(await asyncio.wait_for(ws.recv(), 5))

        await ws.send(connect_message())
        await ws.send(
            json.dumps(
                {
                    "type": "ModifyQuerySet",
                    "baseVersion": 0,
                    "newVersion": 1,
                    "modifications": [
                        {
                            "type": "Add",
                            "queryId": 0,
                            "udfPath": "messages:list",
                            "args": [{"channel": "ryw-raw"}],
                        }
                    ],
                }
            )
        )
        latest: list[dict[str, Any]] = []
        while (message := await receive())["type"] != "Transition":
            pass
        latest = message["modifications"][0]["value"]
        for i in range(15):
            body = {"channel": "ryw-raw", "body": f"w{i}"}
            await ws.send(
                json.dumps(
                    {"type": "Mutation", "requestId": i, "udfPath": "messages:send", "args": [body]}
                )
            )
            # A client applies every Transition as it comes (the write's may even come
            # first); the mutation is done at the first Transition at or after its ts.
            seen = 0
            committed = None
            while committed is None or seen < committed:
                message = await receive()
                if message["type"] == "MutationResponse":
                    assert message["success"], message
                    committed = decode_ts(message["ts"])
                elif message["type"] == "Transition":
                    for change in message["modifications"]:
                        if change["type"] == "QueryUpdated":
                            latest = change["value"]
                    seen = decode_ts(message["endVersion"]["ts"]) if committed else 0
            assert {"body": f"w{i}"} in latest


async def test_a_huge_frame_closes_only_its_connection(live_server: LiveServer) -> None:
    from convexlite.server.sync_endpoint import MAX_FRAME_BYTES

    huge = connect_message(padding="x" * (MAX_FRAME_BYTES + 1))
    replies, code = await exchange(live_server, huge)
    assert code == 1009
    assert not [reply for reply in replies if reply["type"] == "Transition"]
    add = {"type": "Add", "queryId": 0, "udfPath": "messages:list", "args": [{"channel": "big"}]}
    modify = {"type": "ModifyQuerySet", "baseVersion": 0, "newVersion": 1, "modifications": [add]}
    others, _ = await exchange(live_server, connect_message(), json.dumps(modify))
    assert [reply["type"] for reply in others][:1] == ["Transition"]
