"""The scheduler's admin endpoints of the dashboard (spec/platform.md §3.5, operator.md §4.4).

- `POST /api/cancel_job {id, componentId?}`;
- `POST /api/cancel_all_jobs {udfPath?, componentPath?, componentId?, startNextTs?,
  endNextTs?}` (ns, inclusive and exclusive);
- `POST /api/delete_scheduled_functions_table {componentId?}`.

Each needs an admin key that may write (401 without one, 403 for a read-only key) and
answers an empty `200`. A `componentId` (a `_components` id, as the dashboard sends) acts on
that component instance's jobs; `componentPath` is refused rather than ignored.
"""

from __future__ import annotations

import logging
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from convexlite.server.errors import HttpError, guarded
from convexlite.server.requests import admin_caller, json_body, required
from convexlite.server.state import ServerState

log = logging.getLogger("convexlite.server")


def _bad(message: str) -> HttpError:
    return HttpError(400, "BadJsonBody", message)


def _optional(body: dict[str, Any], field: str, kind: type) -> Any:
    value = body.get(field)
    if value is not None and (not isinstance(value, kind) or isinstance(value, bool)):
        raise _bad(f"Invalid field `{field}`: expected a {kind.__name__}, got {value!r}")
    return value


def _component_id(body: dict[str, Any]) -> str | None:
    """The `componentId` of a body (the dashboard's), None for the app."""
    if body.get("componentPath") not in (None, ""):
        raise _bad("`componentPath` is not supported here: pass the component's `componentId`")
    return _optional(body, "componentId", str) or None


def routes(state: ServerState) -> list[Route]:
    async def admin_body(request: Request) -> dict[str, Any]:
        admin_caller(request, state, "Changing scheduled functions", write=True)
        return await json_body(request)

    async def cancel_job(request: Request) -> Response:
        body = await admin_body(request)
        job_id = required(body, "id")
        if not isinstance(job_id, str):
            raise _bad(f"Invalid field `id`: expected a string, got {job_id!r}")
        await state.backend.cancel_scheduled_functions(
            job_id=job_id, component_id=_component_id(body)
        )
        return Response(status_code=200)

    async def cancel_all_jobs(request: Request) -> Response:
        body = await admin_body(request)
        await state.backend.cancel_scheduled_functions(
            path=_optional(body, "udfPath", str),
            start_ts=_optional(body, "startNextTs", int),
            end_ts=_optional(body, "endNextTs", int),
            component_id=_component_id(body),
        )
        return Response(status_code=200)

    async def delete_table(request: Request) -> Response:
        body = await admin_body(request)
        await state.backend.delete_scheduled_functions(_component_id(body))
        return Response(status_code=200)

    def endpoint(handler: Any) -> Any:
        return guarded("changing scheduled functions", handler)

    return [
        Route("/api/cancel_job", endpoint(cancel_job), methods=["POST"]),
        Route("/api/cancel_all_jobs", endpoint(cancel_all_jobs), methods=["POST"]),
        Route("/api/delete_scheduled_functions_table", endpoint(delete_table), methods=["POST"]),
    ]
