"""HTTP actions (spec/protocol.md §3.6): user routes served under `/http/` and on the site port.

The action sees its routed path without the `/http` prefix, and no CORS is
added: the user's handler owns the whole response.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import secrets
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.types import Receive, Scope, Send

from convexlite.auth.identity import Caller
from convexlite.errors import ConvexBackendError, ConvexError
from convexlite.functions import logs
from convexlite.functions.app import FunctionKind, HttpRoute
from convexlite.functions.context import ActionCtx
from convexlite.server.errors import HttpError
from convexlite.server.requests import authenticate
from convexlite.server.state import ServerState
from convexlite.values import encode

log = logging.getLogger("convexlite.server")


def _match(routes: list[HttpRoute], method: str, path: str) -> HttpRoute | None:
    """JS router semantics: HEAD is GET, an exact path wins, else the longest prefix."""
    method = "GET" if method == "HEAD" else method
    best: HttpRoute | None = None
    for route in routes:
        if route.method != method:
            continue
        if route.path == path:
            return route
        prefix = route.path_prefix
        longer = best is None or len(prefix or "") > len(best.path_prefix or "")
        if prefix is not None and path.startswith(prefix) and longer:
            best = route
    return best


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
        routes = getattr(self.state.backend.app, "http_routes", [])
        if not routes:
            return PlainTextResponse(
                "This Convex deployment does not have HTTP actions enabled.", 404
            )
        route = _match(routes, request.method, request.url.path)
        if route is None:
            return PlainTextResponse("No matching routes found", 404)
        try:
            identity = authenticate(request, self.state).identity
        except HttpError:
            identity = None
        rid = request.headers.get("convex-request-id") or secrets.token_hex(8)
        name = f"{route.method} {route.path or route.path_prefix}"
        with logs.capture() as collector:
            try:
                response = await self._call(route, request, identity)
            except Exception as exc:
                return self._error(rid, exc)
            finally:
                collector.flush()
                logs.forward(name, collector.lines)
        if not isinstance(response, Response):
            kind = type(response).__name__
            return self._error(rid, TypeError(f"{name} returned {kind}, not a Response"))
        return response

    async def _call(self, route: HttpRoute, request: Request, identity: Any) -> Any:
        backend = self.state.backend
        loop = asyncio.get_running_loop()

        def call(kind: FunctionKind) -> Any:
            async def run(path: str, args: dict[str, Any]) -> Any:
                execution = await backend.execute(
                    kind, path, args, Caller(identity=identity, trusted=True)
                )
                return execution.value

            return run

        ctx = ActionCtx(
            loop,
            identity,
            call(FunctionKind.QUERY),
            call(FunctionKind.MUTATION),
            call(FunctionKind.ACTION),
        )
        if inspect.iscoroutinefunction(route.handler):
            return await route.handler(ctx, request)
        return await asyncio.to_thread(route.handler, ctx, request)

    def _error(self, rid: str, exc: BaseException) -> Response:
        if isinstance(exc, ConvexError):
            message = f"Uncaught ConvexError: {exc}"
        elif isinstance(exc, ConvexBackendError) and exc.kind.is_deterministic:
            message = exc.message
        else:
            log.info("HTTP action failed", exc_info=exc)
            text = str(exc)
            message = f"Uncaught {type(exc).__name__}" + (f": {text}" if text else "")
        prefix = f"[Request ID: {rid}] Server Error"
        body: dict[str, Any]
        if self.state.redact_logs:
            body = {"code": prefix}
        else:
            body = {"code": f"{prefix}: {message}", "trace": message}
        if isinstance(exc, ConvexError):
            body["data"] = encode(exc.data)
        return JSONResponse(body, 500)


def _scheme(scope: Scope) -> str | None:
    headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
    if "x-forwarded-proto" in headers:
        return headers["x-forwarded-proto"].split(",")[0].strip()
    for part in headers.get("forwarded", "").split(";"):
        key, _, value = part.strip().partition("=")
        if key.lower() == "proto":
            return value.strip('"')
    return None
