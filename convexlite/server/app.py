"""The ASGI apps: the main API (port 3210) and the site app serving HTTP actions (port 3211).

Both are plain Starlette apps, so `Backend.asgi()` can be mounted under any
prefix of a larger app; the routes compute paths relative to their mount.
"""

from __future__ import annotations

from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Mount, Route, WebSocketRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from convexlite.server import (
    dashboard_api,
    environment_api,
    function_logs,
    http_api,
    operations_api,
    push_api,
    scheduler_api,
    settings_api,
    snapshot_api,
    storage_api,
)
from convexlite.server.body_limit import BodyLimit, api_limit, site_limit
from convexlite.server.dashboard.app import create_dashboard_app
from convexlite.server.http_actions import HttpActions
from convexlite.server.memory_guard import LoadShedding
from convexlite.server.state import ServerState
from convexlite.server.sync_endpoint import sync_websocket

WELCOME = "This Convex deployment is running. See https://docs.convex.dev/."
_ALLOWED_METHODS = "GET,POST,OPTIONS,PATCH,DELETE,PUT"
_VARY = "origin, access-control-request-method, access-control-request-headers"


class OpenBackend:
    """Open the backend before the first request, so a mounted app needs no lifespan hook."""

    def __init__(self, app: ASGIApp, state: ServerState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            await self.state.backend.ensure_open()
        await self.app(scope, receive, send)


_NO_CORS = ("/http", "/dashboard")
"""HTTP actions handle their own CORS; the dashboard is same-origin, and its login
exchange answers with an admin key, which no other origin may read."""


class Cors:
    """Upstream's permissive CORS layer (spec/protocol.md §3.1.5), skipping `_NO_CORS`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        route_path = scope["path"][len(scope.get("root_path", "")) :]
        if any(route_path == p or route_path.startswith(p + "/") for p in _NO_CORS):
            await self.app(scope, receive, send)
            return
        if scope["method"] == "OPTIONS":
            headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
            if "access-control-request-method" in headers:
                preflight = self._preflight(headers.get("origin"), headers)
                await Response(status_code=200, headers=preflight)(scope, receive, send)
                return
        origin = next((v.decode("latin-1") for k, v in scope["headers"] if k == b"origin"), None)
        if origin is None:
            await self.app(scope, receive, send)
            return

        async def send_with_cors(message: Any) -> None:
            if message["type"] == "http.response.start":
                extra = [
                    (b"access-control-allow-origin", origin.encode("latin-1")),
                    (b"access-control-allow-credentials", b"true"),
                    (b"vary", _VARY.encode()),
                ]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, send_with_cors)

    @staticmethod
    def _preflight(origin: str | None, headers: dict[str, str]) -> dict[str, str]:
        out = {
            "access-control-allow-methods": _ALLOWED_METHODS,
            "access-control-max-age": "86400",
            "access-control-allow-credentials": "true",
            "vary": _VARY,
        }
        if origin is not None:
            out["access-control-allow-origin"] = origin
        if "access-control-request-headers" in headers:
            out["access-control-allow-headers"] = headers["access-control-request-headers"]
        return out


def _meta_routes(state: ServerState) -> list[BaseRoute]:
    async def welcome(request: Request) -> Response:
        return PlainTextResponse(WELCOME)

    async def version(request: Request) -> Response:
        return PlainTextResponse(state.version)

    async def instance_name(request: Request) -> Response:
        return PlainTextResponse(state.instance_name)

    async def echo(request: Request) -> Response:
        """The body back; `nosniff` so that a page posted here by a form on another site
        is never run as one of this origin (the dashboard's)."""
        return Response(
            await request.body(),
            media_type=request.headers.get("content-type", "text/plain"),
            headers={"X-Content-Type-Options": "nosniff"},
        )

    return [
        Route("/", welcome, methods=["GET"]),
        Route("/version", version, methods=["GET"]),
        Route("/instance_version", version, methods=["GET"]),
        Route("/instance_name", instance_name, methods=["GET"]),
        Route("/echo", echo, methods=["POST"]),
    ]


def create_app(state: ServerState) -> Starlette:
    """The main API: meta routes, function endpoints, the sync WebSocket, `/http/*` and the
    dashboard (`/dashboard/`)."""
    routes: list[BaseRoute] = [
        *http_api.routes(state),  # first: the router tries routes in order
        *_meta_routes(state),
        *push_api.routes(state),
        *function_logs.routes(state),
        *scheduler_api.routes(state),
        *environment_api.routes(state),
        *snapshot_api.routes(state),
        *storage_api.routes(state),
        *operations_api.routes(state),
        *dashboard_api.routes(state),
        *settings_api.routes(state),
    ]
    endpoint = sync_websocket(state)
    routes += [
        WebSocketRoute("/api/sync", endpoint),
        WebSocketRoute("/api/{version}/sync", endpoint),
        push_api.UNKNOWN_API_ROUTE,
    ]
    routes.append(Mount("/http", HttpActions(state)))
    if state.dashboard:
        routes.append(Mount("/dashboard", create_dashboard_app(state.login_tokens)))
    app = Starlette(routes=routes)
    app.add_middleware(BodyLimit, limit_for=api_limit)
    app.add_middleware(Cors)
    _guard(app, state)
    app.state.convex = state
    return app


def _guard(app: Starlette, state: ServerState) -> None:
    """The outer layers of both apps: shed load near the memory ceiling, open the backend."""
    if state.memory is not None:
        app.add_middleware(LoadShedding, guard=state.memory)
    app.add_middleware(OpenBackend, state=state)


def create_site_app(state: ServerState) -> Starlette:
    """The site origin: every path is an HTTP action, except upstream's own `/version`."""

    async def version(request: Request) -> Response:
        return PlainTextResponse(state.version)

    app = Starlette(
        routes=[Route("/version", version, methods=["GET"]), Mount("", HttpActions(state))]
    )
    app.add_middleware(BodyLimit, limit_for=site_limit)
    _guard(app, state)
    return app
