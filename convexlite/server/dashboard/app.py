"""The dashboard's ASGI app: the single-page app's files and the login-token exchange.

Mounted at `/dashboard` of the main API app (`server/app.py`), so the pages share the
API's origin: no CORS, and the deployment URL is the page's own origin and mount prefix.
"""

from __future__ import annotations

from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from convexlite.server import json_response
from convexlite.server.dashboard.login import LoginTokens

STATIC = Path(__file__).parent / "static"

SECURITY_HEADERS = [
    (
        b"content-security-policy",
        b"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        b"connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; "
        b"frame-ancestors 'none'",
    ),
    (b"referrer-policy", b"no-referrer"),
    (b"x-content-type-options", b"nosniff"),
    (b"cache-control", b"no-cache"),
]
"""Scripts only from the dashboard's own files, nothing fetched from elsewhere, no framing;
`no-cache` makes the browser revalidate (by ETag) so an upgrade shows at once."""


class _Secured:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *SECURITY_HEADERS]}
            await send(message)

        await self.app(scope, receive, with_headers)


def create_dashboard_app(tokens: LoginTokens) -> ASGIApp:
    """The dashboard, to mount under `/dashboard`."""

    async def login(request: Request) -> Response:
        try:
            body = json_response.loads(await request.body())
        except ValueError:
            body = None
        token = body.get("token") if isinstance(body, dict) else None
        key = tokens.redeem(token) if isinstance(token, str) else None
        if key is None:
            return JSONResponse(
                {
                    "code": "InvalidLoginToken",
                    "message": "This login link has expired or was already used. "
                    "Paste the admin key instead.",
                },
                status_code=401,
            )
        return JSONResponse({"adminKey": key})

    app = Starlette(
        routes=[
            Route("/login", login, methods=["POST"]),
            Mount("/", StaticFiles(directory=STATIC, html=True)),
        ]
    )
    return _Secured(app)


def create_redirect_app(dashboard_url: str) -> ASGIApp:
    """For a port of its own (`convexlite serve --dashboard-port 6791`, upstream's dashboard
    port): every page sends the browser to the dashboard on the API port, where it shares
    the API's origin. A login link's `#token=` survives the redirect (browsers keep a
    fragment across it)."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await RedirectResponse(dashboard_url, status_code=307)(scope, receive, send)

    return app
