"""Starlette's form of the neutral HTTP types, in both directions.

The server turns the Starlette request it receives into an `HttpRequest` and
the `HttpResponse` it gets back into a Starlette response; the Python source
does the reverse for its handlers, whose documented API is Starlette's.
Headers keep their order and repeats (several `set-cookie`) both ways.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator
from typing import Any
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.types import Message

from convexlite.functions.http import Headers, HttpRequest, HttpResponse


def _text_headers(raw: Any) -> Headers:
    return tuple((k.decode("latin-1"), v.decode("latin-1")) for k, v in raw)


def _raw_headers(headers: Headers) -> list[tuple[bytes, bytes]]:
    return [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers]


# ---- server side ------------------------------------------------------------------------


async def request_from_starlette(request: Request) -> HttpRequest:
    """Read the whole body; the route path is the request's own (mounts already stripped)."""
    return HttpRequest(
        request.method,
        str(request.url),
        request.url.path,
        _text_headers(request.scope["headers"]),
        await request.body(),
    )


def response_to_starlette(response: HttpResponse) -> Response:
    """Send exactly the status, headers and body the action produced."""
    body = response.body
    out: Response
    if isinstance(body, bytes):
        out = Response(body, response.status)
    else:
        out = StreamingResponse(body, response.status)
    out.raw_headers = _raw_headers(response.headers)
    return out


# ---- Python source side -----------------------------------------------------------------


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
        "headers": _raw_headers(request.headers),
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
        headers = _text_headers(response.raw_headers)
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
    return HttpResponse(start["status"], _text_headers(start.get("headers", ())), b"".join(chunks))


async def _bytes(chunks: AsyncIterable[str | bytes | memoryview]) -> AsyncIterator[bytes]:
    """A streamed body as bytes: Starlette also lets handlers stream text."""
    async for chunk in chunks:
        yield chunk.encode() if isinstance(chunk, str) else bytes(chunk)
