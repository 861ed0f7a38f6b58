"""uvicorn's httptools protocol, sending what one loop turn writes to a socket in one send.

uvicorn writes a response's head as soon as the app starts it and its body
when the app sends it: two `send` syscalls per response, each waking the
client, and on loopback each one also runs the receiving side's TCP work.
Measured with one keep-alive client reading by id, the first write was a
fifth of the server's time. `CoalescingTransport` holds writes until the end
of the loop turn they were made in, so a head and body sent back to back (as
every Starlette `Response` does), leave in one `send`, at once when the
response is complete. Streaming responses still flow: a write waits at most
one loop turn. A connection upgraded to a WebSocket gets the plain transport
back: holding its frames to the end of the turn would make the first of a
thousand connections a commit reaches wait for the other 999.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


class CoalescingTransport:
    """A transport that gathers the writes of one loop turn into one `write` of the real one."""

    __slots__ = ("_transport", "_loop", "_pending")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._pending: list[bytes] = []

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if not data:
            return
        if not self._pending:
            self._loop.call_soon(self.flush)
        self._pending.append(bytes(data))

    def writelines(self, chunks: Any) -> None:
        for chunk in chunks:
            self.write(chunk)

    def flush(self) -> None:
        pending, self._pending = self._pending, []
        if pending and not self._transport.is_closing():
            self._transport.write(pending[0] if len(pending) == 1 else b"".join(pending))

    @property
    def unwrapped(self) -> asyncio.Transport:
        return self._transport

    def get_write_buffer_size(self) -> int:
        return self._transport.get_write_buffer_size() + sum(map(len, self._pending))

    def write_eof(self) -> None:
        self.flush()
        self._transport.write_eof()

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def abort(self) -> None:
        self._pending = []
        self._transport.abort()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class CoalescingHttpToolsProtocol(HttpToolsProtocol):
    """Pass as `uvicorn.Config(http=...)`."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        self._coalescing = CoalescingTransport(transport, self.loop)
        coalescing: Any = self._coalescing
        super().connection_made(coalescing)

    def handle_websocket_upgrade(self) -> None:
        self._coalescing.flush()
        self.transport = self._coalescing.unwrapped
        super().handle_websocket_upgrade()

    def on_response_complete(self) -> None:
        """A whole response is written: send it now rather than a loop turn later."""
        self._coalescing.flush()
        super().on_response_complete()
