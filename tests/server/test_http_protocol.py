"""`CoalescingTransport`: what one loop turn writes leaves in one write of the real transport."""

from __future__ import annotations

import asyncio

import uvicorn
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse, StreamingResponse
from starlette.routing import Route

from convexlite.server.http_protocol import CoalescingHttpToolsProtocol, CoalescingTransport


class Recording(asyncio.Transport):
    def __init__(self) -> None:
        super().__init__()
        self.writes: list[bytes] = []
        self.closed = False
        self.aborted = False

    def write(self, data) -> None:  # type: ignore[no-untyped-def]
        self.writes.append(bytes(data))

    def is_closing(self) -> bool:
        return self.closed or self.aborted

    def close(self) -> None:
        self.closed = True

    def abort(self) -> None:
        self.aborted = True

    def get_write_buffer_size(self) -> int:
        return 0


async def test_writes_of_one_turn_leave_together_and_later_turns_separately() -> None:
    inner = Recording()
    transport = CoalescingTransport(inner, asyncio.get_running_loop())
    transport.write(b"HTTP/1.1 200 OK\r\n\r\n")
    transport.write(b"body")
    assert inner.writes == []
    assert transport.get_write_buffer_size() == len(b"HTTP/1.1 200 OK\r\n\r\nbody")
    await asyncio.sleep(0)
    assert inner.writes == [b"HTTP/1.1 200 OK\r\n\r\nbody"]
    transport.write(b"next")
    await asyncio.sleep(0)
    assert inner.writes[1:] == [b"next"]


async def test_close_sends_what_is_pending_and_abort_drops_it() -> None:
    inner = Recording()
    transport = CoalescingTransport(inner, asyncio.get_running_loop())
    transport.write(b"last words")
    transport.close()
    assert inner.writes == [b"last words"] and inner.closed
    other = Recording()
    aborted = CoalescingTransport(other, asyncio.get_running_loop())
    aborted.write(b"dropped")
    aborted.abort()
    await asyncio.sleep(0)
    assert other.writes == [] and other.aborted


async def test_a_server_answers_keep_alive_requests_and_streams_through_it() -> None:
    async def hello(request):  # type: ignore[no-untyped-def]
        return PlainTextResponse("hello")

    async def chunks():  # type: ignore[no-untyped-def]
        for i in range(3):
            yield f"chunk{i};"
            await asyncio.sleep(0.01)

    async def stream(request):  # type: ignore[no-untyped-def]
        return StreamingResponse(chunks())

    app = Starlette(routes=[Route("/hello", hello), Route("/stream", stream)])
    config = uvicorn.Config(
        app, host="127.0.0.1", port=0, lifespan="off", http=CoalescingHttpToolsProtocol
    )
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    for _ in range(3):
        writer.write(b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
        head = await reader.readuntil(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200")
        assert await reader.readexactly(5) == b"hello"
    writer.write(b"GET /stream HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    response = await reader.read()
    assert response.startswith(b"HTTP/1.1 200")
    assert b"chunk0;" in response and b"chunk2;" in response
    writer.close()
    server.should_exit = True
    await serving


async def test_an_upgraded_websocket_writes_to_the_plain_transport() -> None:
    """Frames must not wait for the end of the loop turn: in a fan-out, the first
    connection would wait for every other connection's turn."""

    async def app(scope, receive, send):  # type: ignore[no-untyped-def]
        await receive()
        await send({"type": "websocket.accept"})

    class Upgradable(Recording):
        protocol: object = None

        def set_protocol(self, protocol) -> None:  # type: ignore[no-untyped-def]
            self.protocol = protocol

        def get_extra_info(self, name, default=None):  # type: ignore[no-untyped-def]
            return default

    from uvicorn.server import ServerState

    config = uvicorn.Config(app, lifespan="off", http=CoalescingHttpToolsProtocol)
    config.load()
    raw = Upgradable()
    protocol = CoalescingHttpToolsProtocol(config=config, server_state=ServerState(), app_state={})
    protocol.connection_made(raw)
    protocol.data_received(
        b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    assert raw.protocol is not None
    assert raw.protocol.transport is raw  # type: ignore[attr-defined]
    for _ in range(5):
        await asyncio.sleep(0)
    assert any(b"101" in write for write in raw.writes)
