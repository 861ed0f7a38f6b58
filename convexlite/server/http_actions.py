"""HTTP actions (spec/protocol.md §3.6): user routes served under `/http/` and on the site port.

The runner matches and runs the routes; this app only routes ASGI requests
to it, converting Starlette's request and response from and to the neutral
ones, and renders a failed action as Convex's 500 body. The action sees its
routed path without the `/http` prefix, and no CORS is added: the user's
handler owns the whole response.
"""

from __future__ import annotations

import logging
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.types import Receive, Scope, Send

from convexlite.auth.identity import ANONYMOUS, Caller
from convexlite.errors import ConvexBackendError
from convexlite.server.errors import FunctionFailure, HttpError, error_head, function_failure
from convexlite.server.requests import authenticate, bearer_token, request_id
from convexlite.server.state import ServerState
from convexlite.values import encode
from convexlite.values.http import (
    HttpRequest,
    HttpResponse,
    headers_from_asgi,
    headers_to_asgi,
)

log = logging.getLogger("convexlite.server")


class HttpActions:
    """An ASGI app dispatching every request it gets to the user's HTTP routes."""

    def __init__(self, state: ServerState) -> None:
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        route_path = scope["path"][len(scope.get("root_path", "")) :] or "/"
        scope = {**scope, "path": route_path, "root_path": "", "raw_path": route_path.encode()}
        scope["scheme"] = _scheme(scope) or scope.get("scheme", "http")
        request = Request(scope, receive)
        response = await self.handle(request)
        await response(scope, receive, send)

    async def handle(self, request: Request) -> Response:
        caller = await self._caller(request)
        neutral = await request_from_starlette(request)
        try:
            response = await self.state.backend.run_http_action(neutral, caller)
        except Exception as exc:
            return self._error(request_id(request), exc)
        return response_to_starlette(response)

    async def _caller(self, request: Request) -> Caller:
        """Who calls the action: a user's token is checked, and one that does not verify is
        kept as the error `getUserIdentity()` raises (upstream defers it, §2.8)."""
        token = bearer_token(request)
        if token is not None:
            try:
                return await self.state.backend.authenticate_user(token)
            except ConvexBackendError as exc:
                return Caller(identity_error=exc)
        try:
            return authenticate(request, self.state)
        except HttpError:
            return ANONYMOUS

    def _error(self, rid: str, exc: BaseException) -> Response:
        """Convex's 500 body for a failed action: `{code, trace}` and a ConvexError's `data`."""
        failure = function_failure(exc)
        if failure is None:
            log.error("HTTP action failed with a system error", exc_info=exc)
            text = str(exc)
            name = type(exc).__name__
            failure = FunctionFailure(f"Uncaught {name}: {text}" if text else f"Uncaught {name}")
        else:
            log.info("HTTP action failed", exc_info=exc)
        head = error_head(rid)
        body: dict[str, Any]
        if self.state.redact_logs:
            body = {"code": head}
        else:
            body = {"code": f"{head}: {failure.message}", "trace": failure.message}
        if failure.has_data:
            body["data"] = encode(failure.data)
        return JSONResponse(body, 500)


async def request_from_starlette(request: Request) -> HttpRequest:
    """Read the whole body; the route path is the request's own (mounts already stripped)."""
    return HttpRequest(
        request.method,
        str(request.url),
        request.url.path,
        headers_from_asgi(request.scope["headers"]),
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
    out.raw_headers = headers_to_asgi(response.headers)
    return out


def _scheme(scope: Scope) -> str | None:
    headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
    if "x-forwarded-proto" in headers:
        return headers["x-forwarded-proto"].split(",")[0].strip()
    for part in headers.get("forwarded", "").split(";"):
        key, _, value = part.strip().partition("=")
        if key.lower() == "proto":
            return value.strip('"')
    return None
