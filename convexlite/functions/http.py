"""HTTP routes and their router: which action answers a request (`values/http.py` holds the
neutral request and response every function source and the runner speak)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from convexlite.values.http import HttpResponse

HTTP_METHODS = ("GET", "POST", "PUT", "DELETE", "OPTIONS", "PATCH")


@dataclass(frozen=True, slots=True)
class HttpRoute:
    """An HTTP action answering requests matching `path` exactly, or every path under
    `path_prefix` (which ends with `/`).

    `invoke(env, request)` runs it: it returns an `HttpResponse`, or an awaitable
    of one when `is_async`; `handler` is the source's own code, for introspection.
    """

    method: str
    path: str | None
    path_prefix: str | None
    handler: Any
    invoke: Callable[..., Any]
    is_async: bool = False
    component: str = ""
    """The path of the component instance whose router it is (`""`: the app's)."""

    @property
    def name(self) -> str:
        """How logs and errors name the route: `GET /hello`."""
        return f"{self.method} {self.path or self.path_prefix}"

    @property
    def key(self) -> tuple[str, str | None, str | None]:
        """What two routes may not share."""
        return (self.method, self.path, self.path_prefix)


def match_route(routes: tuple[HttpRoute, ...], method: str, path: str) -> HttpRoute | None:
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


def text_response(status: int, text: str) -> HttpResponse:
    """A plain-text response, as Starlette's `PlainTextResponse` renders one."""
    body = text.encode()
    headers = (("content-length", str(len(body))), ("content-type", "text/plain; charset=utf-8"))
    return HttpResponse(status, headers, body)
