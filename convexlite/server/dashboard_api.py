"""The dashboard's and CLI's HTTP tools (spec/operator.md §4.1–4.3, §4.5).

- `POST /api/run_test_function {adminKey, bundle: {path, source}, args, format,
  componentId?}`: a one-off query module run once (the dashboard's custom query, `npx
  convex run --inline-query`); its admin key is the body's, and it answers 200 with the
  UdfResponse envelope, a module that does not load being a function error;
- `GET /api/shapes2[?component=<componentId>]`: `{table: Shape}` for the user tables;
- `POST /api/delete_tables {tableNames, componentId}`: whole tables deleted (200 empty);
- `POST /api/delete_component {componentId}`: an unmounted component instance deleted with
  its data (200 empty); the root app and mounted instances refused;
- creating, changing or deleting a usage limit (`/api/v1/create_usage_limit`, ...): a 400
  saying convexlite meters no usage, at once rather than after the CLI's six retries of a
  404 (reading usage and the empty list of limits is `operations_api.py`'s).

All but the first take `Authorization: Convex <key>`; deleting needs a key that may write.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from convexlite.server.errors import HttpError, guarded
from convexlite.server.http_api import _classify, _envelope
from convexlite.server.json_response import JsonResponse
from convexlite.server.requests import (
    admin_caller,
    json_body,
    key_caller,
    output_format,
    request_id,
    required,
)
from convexlite.server.state import ServerState
from convexlite.values.formats import decode_function_args

TEST_QUERY_PATH = "testQuery"
NO_USAGE = (
    "Usage reports and usage limits are not available: convexlite does not meter usage. "
    "Pause the deployment from the dashboard instead."
)


def _component_id(body: dict[str, Any]) -> str | None:
    value = body.get("componentId")
    if value is not None and not isinstance(value, str):
        raise HttpError(400, "BadJsonBody", f"`componentId` must be a string, got {value!r}")
    return value or None


def routes(state: ServerState) -> list[Route]:
    async def run_test_function(request: Request) -> Response:
        body = await json_body(request)
        caller = key_caller(state, body.get("adminKey"))
        bundle = required(body, "bundle")
        source = bundle.get("source") if isinstance(bundle, dict) else None
        if not isinstance(source, str):
            raise HttpError(400, "BadJsonBody", "`bundle.source` must be a string")
        fmt = output_format(request, body.get("format"))
        rid = request_id(request)
        try:
            args = decode_function_args(body.get("args", {}), TEST_QUERY_PATH)
            execution = await state.backend.run_test_query(
                source, args, _component_id(body), caller
            )
        except HttpError:
            raise
        except Exception as exc:
            failure = _classify(exc).failure
            return JsonResponse(
                _envelope(state, rid, fmt, lines=failure.log_lines, failure=failure)
            )
        return JsonResponse(_envelope(state, rid, fmt, execution.value, lines=execution.log_lines))

    async def shapes(request: Request) -> Response:
        admin_caller(request, state, "Table shapes", write=False)
        component = request.query_params.get("component") or None
        return JsonResponse(await state.backend.table_shapes(component))

    async def delete_tables(request: Request) -> Response:
        admin_caller(request, state, "Deleting tables", write=True)
        body = await json_body(request)
        names = required(body, "tableNames")
        if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
            raise HttpError(400, "BadJsonBody", "`tableNames` must be an array of strings")
        await state.backend.delete_tables(names, _component_id(body))
        return Response(status_code=200)

    async def delete_component(request: Request) -> Response:
        admin_caller(request, state, "Deleting components", write=True)
        await state.backend.delete_component(_component_id(await json_body(request)))
        return Response(status_code=200)

    async def usage(request: Request) -> Response:
        admin_caller(request, state, "Usage", write=False)
        raise HttpError(400, "UsageNotAvailable", NO_USAGE)

    usage_routes = [
        Route(f"/api/v1/{path}", guarded("usage", usage), methods=[method])
        for method, path in (
            ("POST", "create_usage_limit"),
            ("POST", "update_usage_limit/{id}"),
            ("POST", "delete_usage_limit/{id}"),
        )
    ]
    return [
        *usage_routes,
        Route(
            "/api/run_test_function",
            guarded("running a test query", run_test_function),
            methods=["POST"],
        ),
        Route("/api/shapes2", guarded("inferring table shapes", shapes), methods=["GET"]),
        Route("/api/delete_tables", guarded("deleting tables", delete_tables), methods=["POST"]),
        Route(
            "/api/delete_component",
            guarded("deleting a component", delete_component),
            methods=["POST"],
        ),
    ]
