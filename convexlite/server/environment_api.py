"""The environment variable endpoints (spec/platform.md §5.4, protocol.md §3.4.2).

`POST /api/update_environment_variables` (also under `/api/v1/`) takes
`{"changes": [{"name", "value"}]}`, a null or absent value unsetting, and answers 200
with an empty body once the whole batch is committed; `npx convex env set/remove` and
the dashboard call it. `GET /api/list_environment_variables` (also under `/api/v1/`)
answers `{"environmentVariables": {name: value}}`. Both need an admin key; writing
needs one that is not read-only. A refused change is `{code, message}` with status
400 and changes nothing. (`env list/get` use system queries, not these.)
"""

from __future__ import annotations

import logging
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from convexlite.server.errors import HttpError, guarded
from convexlite.server.json_response import JsonResponse
from convexlite.server.requests import admin_caller, json_body, required
from convexlite.server.state import ServerState

log = logging.getLogger("convexlite.server")


def _changes(raw: Any) -> list[tuple[str, str | None]]:
    """The `(name, value)` pairs of a body's `changes`; their rules are the engine's."""
    if not isinstance(raw, list):
        raise HttpError(400, "BadJsonBody", "`changes` must be an array")
    changes = []
    for change in raw:
        name = change.get("name") if isinstance(change, dict) else None
        value = change.get("value") if isinstance(change, dict) else None
        if not isinstance(name, str) or not (value is None or isinstance(value, str)):
            raise HttpError(
                400,
                "BadJsonBody",
                "Each change must be an object with a string `name` and a string or null "
                f"`value`, got {change!r}",
            )
        changes.append((name, value))
    return changes


def routes(state: ServerState) -> list[Route]:
    async def update(request: Request) -> Response:
        admin_caller(request, state, "Environment variables", write=True)
        changes = _changes(required(await json_body(request), "changes"))
        await state.backend.set_environment_variables(changes)
        return Response(status_code=200)

    async def list_all(request: Request) -> Response:
        admin_caller(request, state, "Environment variables", write=False)
        variables = await state.backend.environment_variables()
        return JsonResponse({"environmentVariables": dict(sorted(variables.items()))})

    return [
        route
        for prefix in ("/api", "/api/v1")
        for route in (
            Route(
                f"{prefix}/update_environment_variables",
                guarded("updating environment variables", update),
                methods=["POST"],
            ),
            Route(
                f"{prefix}/list_environment_variables",
                guarded("listing environment variables", list_all),
                methods=["GET"],
            ),
        )
    ]
