"""Request body limits (spec/platform.md §7.2): 413 `PayloadTooLarge` before a body is buffered.

Routes read bodies whole (`request.body()`), so without a limit one request could fill
memory. A body whose `Content-Length` is over its route's limit is refused before a byte
of it is read (httptools reads no more than a request declares); a chunked one is counted
as it arrives and refused as it crosses the limit (the route is abandoned, the 413 sent if
nothing was sent yet). Limits follow upstream:
16 MiB + 2000 B for the public API (`MAX_BACKEND_PUBLIC_API_REQUEST_SIZE`), 20 MiB for HTTP
actions (`HTTP_ACTION_BODY_LIMIT`), 128 MiB for `/echo` (`MAX_ECHO_BYTES`), 200 MB for pushes
(`MAX_PUSH_BYTES`, also applied to snapshot import parts); file uploads stream to storage
and have none.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from convexlite.server.errors import HttpError
from convexlite.server.push_api import MAX_PUSH_BYTES

PUBLIC_API_BYTES = (1 << 24) + 2000
HTTP_ACTION_BYTES = 20 << 20
ECHO_BYTES = 128 << 20


def api_limit(path: str) -> int | None:
    """The body limit of a route of the main API port (None: streamed, no limit)."""
    if path == "/api/storage/upload":
        return None
    if path == "/http" or path.startswith("/http/"):
        return HTTP_ACTION_BYTES
    if path.startswith(("/api/deploy2/", "/api/push_config", "/api/import/upload_part")):
        return MAX_PUSH_BYTES
    if path == "/echo":
        return ECHO_BYTES
    return PUBLIC_API_BYTES


def site_limit(path: str) -> int | None:
    """The body limit on the site port: every path is an HTTP action."""
    return HTTP_ACTION_BYTES


class _TooLarge(BaseException):
    """Not an `Exception`: routes answer those as internal errors; this one must reach
    `BodyLimit` (as `asyncio.CancelledError` reaches a task's owner)."""


def _too_large(limit: int) -> HttpError:
    return HttpError(413, "PayloadTooLarge", f"The request body is larger than {limit} bytes")


class BodyLimit:
    """ASGI middleware applying `limit_for(route path)` to every HTTP request body."""

    def __init__(self, app: ASGIApp, limit_for: Callable[[str], int | None]) -> None:
        self.app = app
        self.limit_for = limit_for

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"][len(scope.get("root_path", "")) :])
        if limit is None:
            await self.app(scope, receive, send)
            return
        chunked = False
        for name, value in scope["headers"]:
            if name == b"content-length":  # the parser reads no more than it declares
                if value.isdigit() and int(value) > limit:
                    await _too_large(limit).response()(scope, receive, send)
                else:
                    await self.app(scope, receive, send)
                return
            if name == b"transfer-encoding":
                chunked = True
        if not chunked:  # no body
            await self.app(scope, receive, send)
            return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _TooLarge
            return message

        async def watching_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, watching_send)
        except _TooLarge:
            if not started:
                await _too_large(limit).response()(scope, receive, send)
