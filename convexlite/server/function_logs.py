"""`GET /api/stream_function_logs`: the function log long poll of `npx convex logs`, `npx
convex dev` and the dashboard (spec/protocol.md §3.4.3, operator.md §5).

`?cursor=<ms>` (required) answers at once with the entries newer than the cursor,
or waits for one up to `ServerState.log_poll_seconds` (60 s) and then answers an
empty batch with the cursor unchanged: `{"entries": [...], "newCursor": <ms>}`.
CLI (`npm-cli-*`) and dashboard (`dashboard-*`) clients get structured log lines,
everyone else `"[LEVEL] text"` strings. With `sessionId` and `clientRequestCounter`
only the entries of that WebSocket request's root execution are kept. An admin key is required.
"""

from __future__ import annotations

import logging
import math
import re

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from convexlite.server.errors import HttpError, internal_error, sync_request_id
from convexlite.server.requests import admin_caller
from convexlite.server.state import ServerState

log = logging.getLogger("convexlite.server")

_STRUCTURED_CLIENTS = re.compile(r"^(npm-cli|dashboard)-\d", re.IGNORECASE)
_UUID = re.compile(r"^[0-9a-fA-F]{8}-?([0-9a-fA-F]{4}-?){3}[0-9a-fA-F]{12}$")


def _bad(message: str) -> HttpError:
    return HttpError(400, "InvalidQueryParameters", message)


def _cursor(request: Request) -> float:
    raw = request.query_params.get("cursor")
    if raw is None:
        raise _bad("Missing query parameter `cursor`")
    try:
        cursor = float(raw)
    except ValueError:
        raise _bad(f"Invalid query parameter `cursor`: {raw!r} is not a number") from None
    if not math.isfinite(cursor) or cursor < 0:
        raise _bad(f"Invalid query parameter `cursor`: {raw!r}")
    return cursor


def _request_filter(request: Request) -> str | None:
    """The request id whose entries alone are wanted, from `sessionId` + `clientRequestCounter`."""
    session = request.query_params.get("sessionId")
    counter = request.query_params.get("clientRequestCounter")
    if session is None and counter is None:
        return None
    if session is None or counter is None:
        raise _bad("`sessionId` and `clientRequestCounter` must be given together")
    if not _UUID.match(session):
        raise _bad(f"Invalid query parameter `sessionId`: {session!r} is not a UUID")
    if not counter.isdigit() or int(counter) >= 2**32:
        raise _bad(f"Invalid query parameter `clientRequestCounter`: {counter!r}")
    return sync_request_id(session, int(counter))


def structured_lines(client: str | None) -> bool:
    """Whether a `Convex-Client` gets structured log lines (CLI and dashboard) or strings."""
    return client is not None and _STRUCTURED_CLIENTS.match(client) is not None


def routes(state: ServerState) -> list[Route]:
    async def completions(request: Request) -> Response:
        """`stream_udf_execution`: the same long poll, Completion entries only (upstream)."""
        return await stream(request, completions_only=True)

    async def stream(request: Request, *, completions_only: bool = False) -> Response:
        try:
            admin_caller(request, state, "Streaming function logs", write=False)
            cursor = _cursor(request)
            entries, new_cursor = await state.backend.function_logs(
                cursor,
                structured=structured_lines(request.headers.get("convex-client")),
                timeout=state.log_poll_seconds,
                request_id=_request_filter(request),
            )
        except HttpError as exc:
            return exc.response()
        except Exception:
            log.exception("streaming function logs failed")
            return internal_error().response()
        if completions_only:
            entries = [entry for entry in entries if entry["kind"] == "Completion"]
        return JSONResponse({"entries": entries, "newCursor": new_cursor})

    return [
        Route("/api/stream_function_logs", stream, methods=["GET"]),
        Route("/api/app_metrics/stream_function_logs", stream, methods=["GET"]),
        Route("/api/app_metrics/stream_udf_execution", completions, methods=["GET"]),
    ]
