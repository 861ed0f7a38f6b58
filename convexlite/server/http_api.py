"""Function execution over HTTP (spec/protocol.md §3.3) and the admin-key check (§3.4.1).

A function's own failure is part of its result, so it comes back as a 200
`UdfResponse` with `status: "error"`; only malformed or unauthorized requests
and system failures use HTTP error statuses. Every endpoint runs functions
through the one call `BackendApi.execute`, and finds them with `describe`.
"""

from __future__ import annotations

import logging
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from convexlite.auth.identity import Caller
from convexlite.server.errors import (
    FunctionFailure,
    HttpError,
    bad_deploy_key,
    error_message,
    function_failure,
    internal_error,
    is_transient,
)
from convexlite.server.json_response import JsonResponse
from convexlite.server.requests import (
    authenticate,
    function_caller,
    json_body,
    output_format,
    request_id,
    required,
)
from convexlite.server.state import ServerState
from convexlite.values.formats import (
    Format,
    InvalidTimestamp,
    decode_function_args,
    decode_ts,
    encode_ts,
    render,
)
from convexlite.values.function_kinds import FunctionKind
from convexlite.values.function_paths import (
    InvalidFunctionPath,
    canonicalize,
    display,
    qualify,
)

log = logging.getLogger("convexlite.server")

READ_ONLY_OPS = [
    "ViewEnvironmentVariables", "ViewLogs", "ViewMetrics", "ViewIntegrations", "ViewData",
    "ViewBackups", "DownloadBackups", "RunInternalQueries", "RunTestQuery", "ViewAuditLog",
    "ViewUsageLimits", "ViewUsage",
]  # fmt: skip


class _Failed(Exception):
    """A function failure to report inside the envelope."""

    def __init__(self, failure: FunctionFailure) -> None:
        super().__init__(failure.message)
        self.failure = failure


def _path(raw: Any) -> str:
    if not isinstance(raw, str):
        raise HttpError(400, "BadJsonBody", "`path` must be a string")
    try:
        return canonicalize(raw)
    except InvalidFunctionPath as exc:
        raise HttpError(
            400,
            "BadConvexFunctionIdentifier",
            f"{raw} is not a valid path to a Convex function. {exc.message}",
        ) from None


def _classify(exc: BaseException) -> _Failed:
    """A function error for the envelope; a system error becomes an HTTP error (§4.1)."""
    failure = function_failure(exc)
    if failure is not None:
        return _Failed(failure)
    if is_transient(exc):
        raise HttpError(503, exc.code, exc.message) from exc  # type: ignore[attr-defined]
    log.error("function failed with a system error", exc_info=exc)
    raise internal_error() from exc


def _envelope(
    state: ServerState, rid: str, fmt: Format, value: Any = None, *,
    lines: list[str], failure: FunctionFailure | None = None,
) -> dict[str, Any]:  # fmt: skip
    if failure is None:
        body: dict[str, Any] = {"status": "success", "value": render(value, fmt)}
    else:
        body = {
            "status": "error",
            "errorMessage": error_message(rid, failure.message, redact=state.redact_logs),
        }
        if failure.has_data:
            body["errorData"] = render(failure.data, fmt)
    if lines and not state.redact_logs:
        body["logLines"] = lines
    return body


def _not_found_any(path: str) -> str:
    return f"Could not find function for '{display(path)}'. Did you forget to run `npx convex dev`?"


async def _respond(
    state: ServerState,
    request: Request,
    caller: Caller,
    kind: FunctionKind,
    path: str,
    raw_args: Any,
    fmt: Format,
    *,
    at_ts: int | None = None,
) -> dict[str, Any]:
    rid = request_id(request)
    try:
        args = decode_function_args(raw_args, path)
        execution = await state.backend.execute(
            kind, path, args, caller, at_ts=at_ts, request_id=rid
        )
    except HttpError:
        raise
    except Exception as exc:
        failure = _classify(exc).failure
        return _envelope(state, rid, fmt, lines=failure.log_lines, failure=failure)
    return _envelope(state, rid, fmt, execution.value, lines=execution.log_lines)


def _endpoint(handler: Any) -> Any:
    """Turn `HttpError`s raised by a handler into their `{code, message}` responses."""

    async def endpoint(request: Request) -> Response:
        try:
            return await handler(request)
        except HttpError as exc:
            return exc.response()

    return endpoint


def routes(state: ServerState) -> list[Route]:
    def typed(kind: FunctionKind) -> Any:
        async def handler(request: Request) -> Response:
            caller = await function_caller(request, state)
            body = await json_body(request)
            path = _path(required(body, "path"))
            raw_args = required(body, "args")
            fmt = output_format(request, body.get("format"))
            return JsonResponse(await _respond(state, request, caller, kind, path, raw_args, fmt))

        return _endpoint(handler)

    async def any_function(request: Request) -> Response:
        caller = authenticate(request, state)
        if not caller.is_admin:
            raise bad_deploy_key(state.instance_name)
        body = await json_body(request)
        path = _path(required(body, "path"))
        raw_args = required(body, "args")
        fmt = output_format(request, body.get("format"))
        return JsonResponse(await _by_path(state, request, caller, path, raw_args, fmt, body))

    async def run_by_url(request: Request) -> Response:
        caller = await function_caller(request, state)
        segments = [s for s in request.path_params["segments"].split("/") if s]
        if len(segments) < 2:
            raise HttpError(
                400,
                "MissingIdentifier",
                "Path or function name not provided in path, e.g. /api/run/messages/list",
            )
        path = _path("/".join(segments[:-1]) + ":" + segments[-1])
        body = await json_body(request)
        raw_args = required(body, "args")
        fmt = output_format(request, body.get("format"), default="clean")
        return JsonResponse(await _by_path(state, request, caller, path, raw_args, fmt, body))

    async def query_ts(request: Request) -> Response:
        return JsonResponse({"ts": encode_ts(state.backend.latest_ts)})

    async def query_at_ts(request: Request) -> Response:
        caller = await function_caller(request, state)
        body = await json_body(request)
        path = _path(required(body, "path"))
        raw_args = required(body, "args")
        raw_ts = required(body, "ts")
        try:
            ts = decode_ts(raw_ts)
        except InvalidTimestamp:
            raise HttpError(400, "BadJsonBody", f"Invalid timestamp: {raw_ts!r}") from None
        if ts > state.backend.latest_ts:
            raise HttpError(400, "InvalidTimestamp", f"Timestamp {ts} is in the future")
        fmt = output_format(request, body.get("format"))
        return JsonResponse(
            await _respond(
                state, request, caller, FunctionKind.QUERY, path, raw_args, fmt, at_ts=ts
            )
        )

    async def query_batch(request: Request) -> Response:
        caller = await function_caller(request, state)
        body = await json_body(request)
        queries = required(body, "queries")
        if not isinstance(queries, list):
            raise HttpError(400, "BadJsonBody", "`queries` must be an array")
        results = []
        for query in queries:
            if not isinstance(query, dict):
                raise HttpError(400, "BadJsonBody", "Each query must be an object")
            path = _path(required(query, "path"))
            fmt = output_format(request, query.get("format"))
            results.append(
                await _respond(
                    state, request, caller, FunctionKind.QUERY, path, required(query, "args"), fmt
                )
            )
        return JsonResponse({"results": results})

    async def check_admin_key(request: Request) -> Response:
        caller = authenticate(request, state)
        if caller.admin is None or caller.admin.is_system:
            raise bad_deploy_key(state.instance_name)
        read_only = caller.admin.read_only
        ops = READ_ONLY_OPS if read_only else []
        return JsonResponse({"success": True, "allowedOps": ops, "isReadOnly": read_only})

    return [
        Route("/api/query", typed(FunctionKind.QUERY), methods=["POST"]),
        Route("/api/mutation", typed(FunctionKind.MUTATION), methods=["POST"]),
        Route("/api/action", typed(FunctionKind.ACTION), methods=["POST"]),
        Route("/api/function", _endpoint(any_function), methods=["POST"]),
        Route("/api/run/{segments:path}", _endpoint(run_by_url), methods=["POST"]),
        Route("/api/query_ts", _endpoint(query_ts), methods=["POST"]),
        Route("/api/query_at_ts", _endpoint(query_at_ts), methods=["POST"]),
        Route("/api/query_batch", _endpoint(query_batch), methods=["POST"]),
        Route("/api/check_admin_key", _endpoint(check_admin_key), methods=["GET"]),
    ]


async def _by_path(
    state: ServerState,
    request: Request,
    caller: Caller,
    path: str,
    raw_args: Any,
    fmt: Format,
    body: dict[str, Any],
) -> dict[str, Any]:
    """Run whatever kind of function `path` names (`/api/function`, `/api/run/...`); an
    admin's `componentPath` (`npx convex run --component`) names a component instance's."""
    component = body.get("componentPath")
    target = _path(qualify(component, path)) if isinstance(component, str) else path
    fn = state.backend.describe(target, caller)
    if fn is None:
        message = _not_found_any(path) + (f" in '{component}'" if component else "")
        failure = FunctionFailure(message)
        return _envelope(state, request_id(request), fmt, lines=[], failure=failure)
    return await _respond(state, request, caller, fn.kind, target, raw_args, fmt)
