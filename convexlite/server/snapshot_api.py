"""Snapshot export endpoints `npx convex export` calls (spec/operator.md §4.7).

`POST /api/export/request/zip?includeStorage=true|false` starts an export (200 with
an empty body; 400 `ExportInProgress` while one runs); the CLI then follows
`_system/cli/exports:getLatest` over the sync WebSocket, and downloads the ZIP with
`GET /api/export/zip/<start_ts or _exports id>`. Both need an admin key; requesting
needs one that may write.
"""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from convexlite.errors import ConvexBackendError
from convexlite.server.errors import HttpError, internal_error, refusal
from convexlite.server.requests import admin_caller
from convexlite.server.state import ServerState

log = logging.getLogger("convexlite.server")
CACHE_CONTROL = "private, max-age=2592000"


def routes(state: ServerState) -> list[Route]:
    async def request_export(request: Request) -> Response:
        try:
            admin_caller(request, state, "Snapshot export", write=True)
            include = request.query_params.get("includeStorage", "false").lower() == "true"
            try:
                await state.backend.request_export(include)
            except ConvexBackendError as exc:
                raise refusal(exc, "requesting an export") from None
        except HttpError as exc:
            return exc.response()
        except Exception:
            log.exception("requesting an export failed")
            return internal_error().response()
        return Response(status_code=200)

    async def download(request: Request) -> Response:
        try:
            admin_caller(request, state, "Snapshot download", write=False)
            try:
                found = await state.backend.export_download(request.path_params["snapshot_id"])
            except ConvexBackendError as exc:
                raise refusal(exc, "downloading an export") from None
        except HttpError as exc:
            return exc.response()
        except Exception:
            log.exception("downloading an export failed")
            return internal_error().response()
        filename = f"snapshot_{state.instance_name}_{found.start_ts}.zip"
        headers = {
            "Content-Length": str(found.size),
            "Cache-Control": CACHE_CONTROL,
            "Content-Disposition": f"attachment; filename={filename}",
        }
        return StreamingResponse(found.chunks(), headers=headers, media_type="application/zip")

    return [
        Route("/api/export/request/zip", request_export, methods=["POST"]),
        Route("/api/export/zip/{snapshot_id}", download, methods=["GET"]),
    ]
