"""The Python source's side of HTTP actions: its handlers' documented API is Starlette's, so
a neutral `HttpRequest` becomes a Starlette `Request` for them and what they return becomes
an `HttpResponse` (the server converts the other way, in `server/http_actions.py`)."""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator
from typing import Any
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.types import Message

from convexlite.values.http import (
    HttpRequest,
    HttpResponse,
    headers_from_asgi,
    headers_to_asgi,
)


def request_to_starlette(request: HttpRequest) -> Request:
    """The Starlette `Request` a Python handler gets, with the URL the client used."""
    url = urlsplit(request.url)
    default_port = 443 if url.scheme in ("https", "wss") else 80
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": request.method,
        "scheme": url.scheme or "http",
        "server": (url.hostname or "", url.port or default_port),
        "path": request.path,
        "raw_path": request.path.encode(),
        "root_path": "",
        "query_string": url.query.encode("latin-1"),
        "headers": headers_to_asgi(request.headers),
    }
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": request.body, "more_body": False}

    return Request(scope, receive)


async def response_from_starlette(response: Any, request: Request, name: str) -> HttpResponse:
    """The neutral form of what handler `name` returned for `request`.

    A plain or streaming response converts directly; any other (a `FileResponse`,
    one with a background task) is played as an ASGI app and its output collected,
    which also runs its background task.
    """
    if not isinstance(response, Response):
        raise TypeError(f"{name} returned {type(response).__name__}, not a Response")
    if response.background is None:
        headers = headers_from_asgi(response.raw_headers)
        if isinstance(response, StreamingResponse):
            return HttpResponse(response.status_code, headers, _bytes(response.body_iterator))
        body = getattr(response, "body", None)
        if isinstance(body, bytes):
            return HttpResponse(response.status_code, headers, body)
    return await _played(response, request)


async def _played(response: Response, request: Request) -> HttpResponse:
    start: Message = {}
    chunks: list[bytes] = []

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start":
            start.update(message)
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await response(request.scope, request.receive, send)
    headers = headers_from_asgi(start.get("headers", ()))
    return HttpResponse(start["status"], headers, b"".join(chunks))


async def _bytes(chunks: AsyncIterable[str | bytes | memoryview]) -> AsyncIterator[bytes]:
    """A streamed body as bytes: Starlette also lets handlers stream text."""
    async for chunk in chunks:
        yield chunk.encode() if isinstance(chunk, str) else bytes(chunk)
