"""How token verification reaches the network: one injected async function.

The engine passes its own `Fetch` so that URLs on its own site origin are answered
in process (Convex Auth's issuer is the deployment itself, §2.6), and tests pass
one that counts or fails requests. `httpx_fetch` is the default over the network.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple, Protocol

import httpx

FETCH_TIMEOUT_S = 10.0
"""A provider that does not answer within this long fails the request, not the process."""

MAX_REDIRECTS = 10


class FetchResponse(NamedTuple):
    """What verification needs of a response; header names are lower case."""

    status: int
    headers: Mapping[str, str]
    body: bytes

    @property
    def content_type(self) -> str | None:
        return self.headers.get("content-type")


class FetchFailed(Exception):
    """The request got no HTTP response (refused, timed out, bad URL)."""


class Fetch(Protocol):
    """GET `url` with `headers`; raise `FetchFailed` when no response arrives."""

    async def __call__(self, url: str, headers: Mapping[str, str]) -> FetchResponse: ...


class HttpxFetch:
    """GETs over the network with `httpx`, following redirects as upstream does for
    discovery and JWKS requests (unlike user `fetch()` from actions)."""

    def __init__(self, client: httpx.AsyncClient | None = None) -> None:
        self._client = client or httpx.AsyncClient(
            timeout=FETCH_TIMEOUT_S, follow_redirects=True, max_redirects=MAX_REDIRECTS
        )

    async def __call__(self, url: str, headers: Mapping[str, str]) -> FetchResponse:
        try:
            response = await self._client.get(url, headers=dict(headers))
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            raise FetchFailed(f"{type(exc).__name__}: {exc}") from exc
        return FetchResponse(
            response.status_code,
            {name.lower(): value for name, value in response.headers.items()},
            response.content,
        )

    async def aclose(self) -> None:
        await self._client.aclose()
