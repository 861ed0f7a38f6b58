"""`fetch` for actions: the prelude's `__fetch` op, performed by httpx on the event loop.

Bodies are buffered both ways (decoded: the headers that described the
transfer encoding are dropped) (spec/functions.md §3.6 allows it in v1) and
capped at the HTTP action body limit, so a huge download fails clearly
instead of exhausting memory.
"""

from __future__ import annotations

import asyncio
import base64
import json
import weakref

import httpx

from convexlite.errors import BadRequestError
from convexlite.functions.json_syscalls import HostError, error_payload

MAX_BODY_BYTES = 20 * 2**20
_clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, httpx.AsyncClient] = (
    weakref.WeakKeyDictionary()
)


class FetchFailed(BadRequestError):
    code = "FetchFailed"


def _shared_client() -> httpx.AsyncClient:
    """One connection pool per event loop: an httpx client belongs to the loop it first ran on,
    and actions of different backends (or a `SyncBackend`'s own loop) run on different loops."""
    loop = asyncio.get_running_loop()
    client = _clients.get(loop)
    if client is None:
        client = _clients[loop] = httpx.AsyncClient(
            follow_redirects=True, timeout=httpx.Timeout(300.0)
        )
    return client


async def fetch(request_json: str) -> str:
    """Perform one request described by the prelude; the response as the prelude reads it."""
    request = json.loads(request_json)
    body = base64.b64decode(request["body"]) if request.get("body") else None
    try:
        async with _shared_client().stream(
            request.get("method", "GET"),
            request["url"],
            headers=[tuple(pair) for pair in request.get("headerPairs", [])],
            content=body,
        ) as response:
            chunks: list[bytes] = []
            size = 0
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > MAX_BODY_BYTES:
                    raise FetchFailed(
                        f"fetch() response body from {request['url']} is larger than "
                        f"{MAX_BODY_BYTES // 2**20} MiB"
                    )
                chunks.append(chunk)
    except httpx.HTTPError as exc:
        raise HostError(error_payload(FetchFailed(f"fetch() failed: {exc}"))) from exc
    except FetchFailed as exc:
        raise HostError(error_payload(exc)) from exc
    return json.dumps(
        {
            "status": response.status_code,
            "statusText": response.reason_phrase,
            "headerPairs": [
                [k, v]
                for k, v in response.headers.multi_items()
                if k.lower() not in ("content-encoding", "content-length")
            ],
            "body": base64.b64encode(b"".join(chunks)).decode() if chunks else None,
            "url": str(response.url),
        }
    )
