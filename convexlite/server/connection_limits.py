"""Per-connection limits under uvicorn's httptools protocol: how many connections, how long
and how large a request's head, how long its body.

uvicorn times out only idle keep-alive connections: a client that opens a connection and
trickles its headers a byte at a time (slowloris) held a connection, and httptools buffered a
header value of any size before handing it over. This protocol gives every request head
`header_timeout_s` to arrive and `MAX_HEAD_BYTES` to fit in, and its body `body_timeout_s`
(upstream's `HTTP_SERVER_TIMEOUT_SECONDS`) to arrive; a head that misses is answered 408 or
431 and the connection closed, a body that misses closes the connection (the app sees the
client leave). Beyond `max_connections` open connections on a port (WebSockets included), a
new one is answered 503 and closed, and costs nothing more.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any

from convexlite.server.http_protocol import CoalescingHttpToolsProtocol

MAX_HEAD_BYTES = 8192 + 4096 * 100
"""A request line and headers up to hyper's default read buffer (upstream's server): 400 KiB."""


@dataclass(frozen=True, slots=True)
class ConnectionLimits:
    max_connections: int = 10_000
    header_timeout_s: float = 30.0
    body_timeout_s: float = 300.0


def limited_protocol(limits: ConnectionLimits) -> type[LimitedHttpProtocol]:
    """The protocol class to pass as `uvicorn.Config(http=...)`, with these limits."""
    return type("LimitedHttpProtocol", (LimitedHttpProtocol,), {"limits": limits})


def _reply(status: int, reason: str, code: str, message: str) -> bytes:
    body = json.dumps({"code": code, "message": message}).encode()
    head = (
        f"HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\n"
        f"content-length: {len(body)}\r\nconnection: close\r\n\r\n"
    )
    return head.encode("ascii") + body


class LimitedHttpProtocol(CoalescingHttpToolsProtocol):
    limits = ConnectionLimits()

    _timer: asyncio.TimerHandle | None = None
    _head_bytes: int | None = 0
    """Bytes received for the request head being read; None while none is being read."""
    _refused = False

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if len(self.connections) > self.limits.max_connections:
            self._refused = True
            return
        self._arm(self.limits.header_timeout_s)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._refused:
            limit = self.limits.max_connections
            message = f"The server has {limit} connections open, its limit; try again later"
            self._close_with(_reply(503, "Service Unavailable", "TooManyConnections", message))
            return
        if self._head_bytes is not None:
            self._head_bytes += len(data)
        super().data_received(data)
        if self._head_bytes is not None and self._head_bytes > MAX_HEAD_BYTES:
            message = f"The request line and headers are larger than {MAX_HEAD_BYTES} bytes"
            reply = _reply(431, "Request Header Fields Too Large", "HeadersTooLarge", message)
            self._close_with(reply)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if self._head_bytes is None:
            self._head_bytes = 0
        self._arm(self.limits.header_timeout_s)

    def on_headers_complete(self) -> None:
        self._head_bytes = None
        self._arm(self.limits.body_timeout_s)
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._disarm()
        super().on_message_complete()

    def handle_websocket_upgrade(self) -> None:
        self._disarm()
        super().handle_websocket_upgrade()

    def _arm(self, seconds: float) -> None:
        self._disarm()
        self._timer = self.loop.call_later(seconds, self._expired)

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _expired(self) -> None:
        self._timer = None
        if self._head_bytes is None:  # the body is late: the app sees the client leave
            self.transport.close()
            return
        seconds = self.limits.header_timeout_s
        message = f"The request headers did not arrive within {seconds:g} s"
        self._close_with(_reply(408, "Request Timeout", "RequestTimeout", message))

    def _close_with(self, reply: bytes) -> None:
        transport: Any = self.transport
        if not transport.is_closing():
            transport.write(reply)
            transport.close()
