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
from typing import Any, ClassVar

from convexlite.server.http_protocol import CoalescingHttpToolsProtocol

MAX_HEAD_BYTES = 8192 + 4096 * 100
"""A request line and headers up to hyper's default read buffer (upstream's server): 400 KiB."""


@dataclass(frozen=True, slots=True)
class ConnectionLimits:
    """The settings of `convexlite.config.Config` this protocol applies."""

    max_connections: int
    header_timeout_s: float
    body_timeout_s: float


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
    """A timer runs only while a request is incomplete after a read: one that arrives whole
    in one read, as nearly all do, costs no timer."""

    limits: ClassVar[ConnectionLimits]
    """Set by `limited_protocol`."""

    _timer: asyncio.TimerHandle | None = None
    _timed: str = "idle"
    """The phase the timer is armed for."""
    _phase = "head"
    """`head` (its line and headers awaited), `body`, `idle` (between requests: uvicorn's
    keep-alive timeout applies), `upgraded` (a WebSocket now) or `refused`."""
    _head_bytes = 0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if len(self.connections) > self.limits.max_connections:
            self._phase = "refused"  # answered at its first bytes, or when its head is late
        self._follow_phase()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._phase == "refused":
            self._close_with(self._too_many())
            return
        if self._phase in ("head", "idle"):
            self._head_bytes += len(data)
        super().data_received(data)
        if self._phase == "head" and self._head_bytes > MAX_HEAD_BYTES:
            message = f"The request line and headers are larger than {MAX_HEAD_BYTES} bytes"
            reply = _reply(431, "Request Header Fields Too Large", "HeadersTooLarge", message)
            self._close_with(reply)
            return
        self._follow_phase()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if self._phase != "head":
            self._phase, self._head_bytes = "head", 0

    def on_headers_complete(self) -> None:
        self._phase = "body"
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        if self._phase == "body":
            self._phase = "idle"
        super().on_message_complete()

    def handle_websocket_upgrade(self) -> None:
        self._phase = "upgraded"
        self._disarm()
        super().handle_websocket_upgrade()

    def _follow_phase(self) -> None:
        """Arm the timer of the phase the connection is in, if it is not armed already."""
        if self._timed == self._phase:
            return
        self._disarm()
        if self._phase in ("head", "refused"):
            self._arm(self.limits.header_timeout_s)
        elif self._phase == "body":
            self._arm(self.limits.body_timeout_s)

    def _arm(self, seconds: float) -> None:
        self._timer = self.loop.call_later(seconds, self._expired)
        self._timed = self._phase

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._timed = "idle"

    def _expired(self) -> None:
        self._timer, self._timed = None, "idle"
        if self._phase == "body":  # the app sees the client leave
            self.transport.close()
        elif self._phase == "refused":
            self._close_with(self._too_many())
        elif self._phase == "head":
            seconds = self.limits.header_timeout_s
            message = f"The request headers did not arrive within {seconds:g} s"
            self._close_with(_reply(408, "Request Timeout", "RequestTimeout", message))

    def _too_many(self) -> bytes:
        limit = self.limits.max_connections
        message = f"The server has {limit} connections open, its limit; try again later"
        return _reply(503, "Service Unavailable", "TooManyConnections", message)

    def _close_with(self, reply: bytes) -> None:
        transport: Any = self.transport
        if not transport.is_closing():
            transport.write(reply)
            transport.close()
