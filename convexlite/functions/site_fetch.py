"""`DeploymentFetch`: how token verification reaches identity providers.

Convex Auth's issuer is the deployment itself (`CONVEX_SITE_URL`): its discovery
document and JWKS are HTTP actions of this very process. Going out through a proxy
and back in is where self-hosted setups break (TLS termination, hairpin NAT), so
requests for the deployment's own site origin are answered in process; everything
else goes over the network, with one `httpx` client per event loop (a client's
connections belong to the loop that opened them).
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Awaitable, Callable, Mapping
from urllib.parse import urlsplit

from convexlite.auth.fetch import FetchResponse, HttpxFetch
from convexlite.values.http import HttpRequest, HttpResponse

SiteRunner = Callable[[HttpRequest], Awaitable[HttpResponse]]


class DeploymentFetch:
    def __init__(self, site_origin: str, run_site: SiteRunner) -> None:
        self._site = site_origin.rstrip("/")
        self._run_site = run_site
        self._clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, HttpxFetch] = (
            weakref.WeakKeyDictionary()
        )

    async def __call__(self, url: str, headers: Mapping[str, str]) -> FetchResponse:
        if url == self._site or url.startswith(self._site + "/"):
            return await self._in_process(url, headers)
        loop = asyncio.get_running_loop()
        client = self._clients.get(loop)
        if client is None:
            client = self._clients[loop] = HttpxFetch()
        return await client(url, headers)

    async def _in_process(self, url: str, headers: Mapping[str, str]) -> FetchResponse:
        path = urlsplit(url).path[len(urlsplit(self._site).path) :] or "/"
        request = HttpRequest("GET", url, path, tuple(headers.items()), b"")
        response = await self._run_site(request)
        body = response.body
        if not isinstance(body, bytes):
            body = b"".join([chunk async for chunk in body])
        return FetchResponse(
            response.status, {name.lower(): value for name, value in response.headers}, body
        )
