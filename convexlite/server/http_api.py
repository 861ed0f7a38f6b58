"""Function execution over HTTP (spec/protocol.md §3.3) and the admin-key check (§3.4.1).

A function's own failure is part of its result, so it comes back as a 200
`UdfResponse` with `status: "error"`; only malformed or unauthorized requests
and system failures use HTTP error statuses.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from convexlite.backend import Backend
from convexlite.errors import ConvexBackendError, ConvexError, ErrorKind
from convexlite.functions.app import FunctionKind
from convexlite.functions.runner import FunctionNotFound
from convexlite.server.http_common import (
    Caller,
    HttpError,
    authenticate,
    bad_deploy_key,
    decode_ts,
    encode_ts,
    internal_error,
    json_body,
    output_format,
    render,
    request_id,
    required,
)
from convexlite.server.state import ServerState
from convexlite.values import ConvexJsonError, decode
from convexlite.values.function_paths import (
    InvalidFunctionPath,
    canonical_js,
    canonicalize,
    display,
)

log = logging.getLogger("convexlite.server")

READ_ONLY_OPS = [
    "ViewEnvironmentVariables", "ViewLogs", "ViewMetrics", "ViewIntegrations", "ViewData",
    "ViewBackups", "DownloadBackups", "RunInternalQueries", "RunTestQuery", "ViewAuditLog",
    "ViewUsageLimits", "ViewUsage",
]  # fmt: skip


_TRANSIENT = (ErrorKind.CONFLICT, ErrorKind.OVERLOADED)


class _FunctionFailure(Exception):
    """A function error to report inside the envelope (message without the request id)."""

    def __init__(self, message: str, lines: list[str], data: Any = None, has_data: bool = False):
        super().__init__(message)
        self.message = message
        self.lines = lines
        self.data = data
        self.has_data = has_data


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


def _args(raw: Any, path: str) -> dict[str, Any]:
    """Wire arguments (§1.10): an object, or an array holding exactly one object."""
    try:
        decoded = decode(raw)
    except ConvexJsonError as exc:
        raise _FunctionFailure(f"Invalid arguments for {canonical_js(path)}: {exc}", []) from None
    if isinstance(decoded, list):
        if len(decoded) != 1:
            raise _FunctionFailure(
                "Expected to receive a single object as the function's argument. Instead "
                f"received {len(decoded)} arguments: {raw}",
                [],
            )
        decoded = decoded[0]
    if not isinstance(decoded, dict):
        raise _FunctionFailure(
            f"Expected to receive an object as the function's argument. Instead received: {raw}",
            [],
        )
    return decoded


def _failure(exc: BaseException) -> _FunctionFailure:
    """Sort an exception from a run into function error or system error (§4.1)."""
    lines = list(getattr(exc, "log_lines", []))
    if isinstance(exc, ConvexError):
        return _FunctionFailure(f"Uncaught ConvexError: {exc}", lines, exc.data, True)
    if isinstance(exc, ConvexBackendError) and exc.kind.is_deterministic:
        return _FunctionFailure(exc.message, lines)
    if isinstance(exc, ConvexBackendError) and exc.kind in _TRANSIENT:
        raise HttpError(503, exc.code, exc.message) from exc
    log.error("function failed with a system error", exc_info=exc)
    raise internal_error() from exc


def _envelope(
    state: ServerState, rid: str, fmt: str, value: Any = None, *,
    lines: list[str], failure: _FunctionFailure | None = None,
) -> dict[str, Any]:  # fmt: skip
    if failure is None:
        body: dict[str, Any] = {"status": "success", "value": render(value, fmt)}
    else:
        message = f"[Request ID: {rid}] Server Error"
        if not state.redact_logs:
            message += f"\n{failure.message}\n"
        body = {"status": "error", "errorMessage": message}
        if failure.has_data:
            body["errorData"] = render(failure.data, fmt)
    if lines and not state.redact_logs:
        body["logLines"] = lines
    return body


async def _run(
    state: ServerState,
    caller: Caller,
    kind: FunctionKind,
    path: str,
    raw_args: Any,
    *,
    any_function_message: bool = False,
    ts: int | None = None,
) -> tuple[Any, list[str]]:
    try:
        args = _args(raw_args, path)
        backend = state.backend
        if ts is None:
            execution = await backend.execute(
                kind, path, args, identity=caller.identity, internal_ok=caller.is_admin
            )
        else:
            execution = await _query_at(backend, ts, path, args, caller)
        return execution.value, execution.log_lines
    except _FunctionFailure:
        raise
    except FunctionNotFound as exc:
        if any_function_message:
            raise _FunctionFailure(_not_found_any(path), []) from None
        raise _failure(exc) from None
    except (HttpError, ConvexJsonError):
        raise
    except Exception as exc:
        raise _failure(exc) from None


async def _query_at(backend: Backend, ts: int, path: str, args: Any, caller: Caller) -> Any:
    engine = backend.engine
    if ts > engine.db.latest_ts:
        raise HttpError(400, "InvalidTimestamp", f"Timestamp {ts} is in the future")

    def run() -> Any:
        return engine.runner.run_query(
            path, args, identity=caller.identity, internal_ok=caller.is_admin, at_ts=ts
        )

    return await asyncio.get_running_loop().run_in_executor(engine.executor, run)


def _not_found_any(path: str) -> str:
    return f"Could not find function for '{display(path)}'. Did you forget to run `npx convex dev`?"


async def _respond(
    state: ServerState,
    request: Request,
    caller: Caller,
    kind: FunctionKind,
    path: str,
    raw_args: Any,
    fmt: str,
    **options: Any,
) -> dict[str, Any]:
    rid = request_id(request)
    try:
        value, lines = await _run(state, caller, kind, path, raw_args, **options)
    except _FunctionFailure as failure:
        return _envelope(state, rid, fmt, lines=failure.lines, failure=failure)
    return _envelope(state, rid, fmt, value, lines=lines)


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
            caller = authenticate(request, state)
            body = await json_body(request)
            path = _path(required(body, "path"))
            raw_args = required(body, "args")
            fmt = output_format(request, body.get("format"))
            return JSONResponse(await _respond(state, request, caller, kind, path, raw_args, fmt))

        return _endpoint(handler)

    async def any_function(request: Request) -> Response:
        caller = authenticate(request, state)
        if not caller.is_admin:
            raise bad_deploy_key(state)
        body = await json_body(request)
        path = _path(required(body, "path"))
        raw_args = required(body, "args")
        fmt = output_format(request, body.get("format"))
        return JSONResponse(await _by_path(state, request, caller, path, raw_args, fmt, body))

    async def run_by_url(request: Request) -> Response:
        caller = authenticate(request, state)
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
        return JSONResponse(await _by_path(state, request, caller, path, raw_args, fmt, body))

    async def query_ts(request: Request) -> Response:
        return JSONResponse({"ts": encode_ts(state.backend.engine.db.latest_ts)})

    async def query_at_ts(request: Request) -> Response:
        caller = authenticate(request, state)
        body = await json_body(request)
        path = _path(required(body, "path"))
        raw_args = required(body, "args")
        ts = decode_ts(required(body, "ts"))
        fmt = output_format(request, body.get("format"))
        return JSONResponse(
            await _respond(state, request, caller, FunctionKind.QUERY, path, raw_args, fmt, ts=ts)
        )

    async def query_batch(request: Request) -> Response:
        caller = authenticate(request, state)
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
        return JSONResponse({"results": results})

    async def check_admin_key(request: Request) -> Response:
        caller = authenticate(request, state)
        if caller.admin is None or caller.admin.is_system:
            raise bad_deploy_key(state)
        read_only = caller.admin.read_only
        ops = READ_ONLY_OPS if read_only else []
        return JSONResponse({"success": True, "allowedOps": ops, "isReadOnly": read_only})

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
    fmt: str,
    body: dict[str, Any],
) -> dict[str, Any]:
    """Run whatever kind of function `path` names (`/api/function`, `/api/run/...`)."""
    fn = state.backend.engine.runner.describe(path, internal_ok=caller.is_admin)
    component = body.get("componentPath")
    if fn is None or component:
        message = _not_found_any(path) + (f" in '{component}'" if component else "")
        failure = _FunctionFailure(message, [])
        return _envelope(state, request_id(request), fmt, lines=[], failure=failure)
    return await _respond(
        state, request, caller, fn.kind, path, raw_args, fmt, any_function_message=True
    )
