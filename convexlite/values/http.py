"""An HTTP exchange in neutral terms, as HTTP actions see it on every floor.

The server reads requests off Starlette and the Python function source hands
them back to Starlette handlers; between the two, runners and every function
source see only these records. Headers keep their order and repeats (several
`set-cookie`), in ASGI's byte form or as text.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, Iterable
from dataclasses import dataclass

Headers = tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class HttpRequest:
    """A whole request: `url` as the client addressed it, `path` as the router matches it
    (without any mount prefix such as `/http`); `headers` keep their order and repeats."""

    method: str
    url: str
    path: str
    headers: Headers
    body: bytes


@dataclass(frozen=True, slots=True)
class HttpResponse:
    """A response; `body` is bytes, or an async iterable of chunks for a streamed one."""

    status: int
    headers: Headers
    body: bytes | AsyncIterable[bytes]


def headers_from_asgi(raw: Iterable[tuple[bytes, bytes]]) -> Headers:
    return tuple((k.decode("latin-1"), v.decode("latin-1")) for k, v in raw)


def headers_to_asgi(headers: Headers) -> list[tuple[bytes, bytes]]:
    return [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers]
