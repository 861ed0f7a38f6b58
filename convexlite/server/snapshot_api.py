"""Snapshot export and import endpoints `npx convex export/import` call (spec/operator.md
§4.7, §4.8).

Export: `POST /api/export/request/zip?includeStorage=true|false` starts an export (200
with an empty body; 400 `ExportInProgress` while one runs); the CLI then follows
`_system/cli/exports:getLatest` over the sync WebSocket, and downloads the ZIP with
`GET /api/export/zip/<start_ts or _exports id>`. `POST /api/export/cancel/<id>` cancels a
requested or running export, `POST /api/export/set_expiration/<id> {expiration_ts_ns}`
moves a completed one's expiry.

Import: `POST /api/import/start_upload` → `{uploadToken}`; `POST /api/import/upload_part
?uploadToken=&partNumber=` with the raw bytes → a part token (a JSON string); `POST
/api/import/finish_upload {import: {tableName?, mode, format}, uploadToken, partTokens}`
→ `{importId}`; the CLI follows `_system/cli/queryImport` and confirms with `POST
/api/perform_import {importId}` (`/api/cancel_import` cancels). All need an admin key,
and one that may write except for downloads.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from convexlite.server.errors import HttpError, guarded
from convexlite.server.requests import admin_caller, json_body, required
from convexlite.server.state import ServerState

log = logging.getLogger("convexlite.server")
CACHE_CONTROL = "private, max-age=2592000"


def routes(state: ServerState) -> list[Route]:
    def operation(
        name: str, run: Callable[[Request], Awaitable[Response]], *, write: bool = True
    ) -> Callable[[Request], Awaitable[Response]]:
        """An endpoint: admin key checked (one that may write where `write`), refusals and
        failures in Convex's format."""

        async def checked(request: Request) -> Response:
            admin_caller(request, state, "Snapshot export and import", write=write)
            return await run(request)

        return guarded(name, checked)

    async def request_export(request: Request) -> Response:
        include = request.query_params.get("includeStorage", "false").lower() == "true"
        await state.backend.request_export(include)
        return Response(status_code=200)

    async def download(request: Request) -> Response:
        found = await state.backend.export_download(request.path_params["snapshot_id"])
        filename = f"snapshot_{state.instance_name}_{found.start_ts}.zip"
        headers = {
            "Content-Length": str(found.size),
            "Cache-Control": CACHE_CONTROL,
            "Content-Disposition": f"attachment; filename={filename}",
        }
        return StreamingResponse(found.chunks(), headers=headers, media_type="application/zip")

    async def cancel_export(request: Request) -> Response:
        await state.backend.cancel_export(request.path_params["snapshot_id"])
        return Response(status_code=200)

    async def set_expiration(request: Request) -> Response:
        expiration = required(await json_body(request), "expiration_ts_ns")
        if not isinstance(expiration, int) or isinstance(expiration, bool) or expiration < 0:
            raise HttpError(400, "BadJsonBody", "`expiration_ts_ns` must be a non-negative integer")
        await state.backend.set_export_expiration(request.path_params["snapshot_id"], expiration)
        return Response(status_code=200)

    async def start_upload(request: Request) -> Response:
        return JSONResponse({"uploadToken": await state.backend.start_import_upload()})

    async def upload_part(request: Request) -> Response:
        token = request.query_params.get("uploadToken", "")
        try:
            part = int(request.query_params.get("partNumber", ""))
        except ValueError:
            raise HttpError(400, "InvalidImportUpload", "partNumber must be a number") from None
        part_token = await state.backend.upload_import_part(token, part, await request.body())
        return JSONResponse(part_token)

    async def finish_upload(request: Request) -> Response:
        body = await json_body(request)
        details = required(body, "import")
        if not isinstance(details, dict):
            raise HttpError(400, "BadJsonBody", "`import` must be an object")
        parts = required(body, "partTokens")
        if not isinstance(parts, list):
            raise HttpError(400, "BadJsonBody", "`partTokens` must be an array")
        table = details.get("tableName")
        if table is not None and not isinstance(table, str):
            raise HttpError(400, "BadJsonBody", "`import.tableName` must be a string")
        import_id = await state.backend.finish_import_upload(
            str(required(body, "uploadToken")),
            parts,
            str(required(details, "format")),
            str(details.get("mode") or "requireEmpty"),
            table,
            str(details.get("componentPath") or ""),
        )
        return JSONResponse({"importId": import_id})

    async def perform(request: Request) -> Response:
        await state.backend.perform_import(str(required(await json_body(request), "importId")))
        return JSONResponse({})

    async def cancel(request: Request) -> Response:
        await state.backend.cancel_import(str(required(await json_body(request), "importId")))
        return JSONResponse({})

    return [
        Route(
            "/api/export/request/zip",
            operation("requesting an export", request_export),
            methods=["POST"],
        ),
        Route(
            "/api/export/zip/{snapshot_id}",
            operation("downloading an export", download, write=False),
            methods=["GET"],
        ),
        Route(
            "/api/export/cancel/{snapshot_id}",
            operation("canceling an export", cancel_export),
            methods=["POST"],
        ),
        Route(
            "/api/export/set_expiration/{snapshot_id}",
            operation("setting an export's expiration", set_expiration),
            methods=["POST"],
        ),
        Route(
            "/api/import/start_upload",
            operation("starting an upload", start_upload),
            methods=["POST"],
        ),
        Route(
            "/api/import/upload_part", operation("uploading a part", upload_part), methods=["POST"]
        ),
        Route(
            "/api/import/finish_upload",
            operation("finishing an upload", finish_upload),
            methods=["POST"],
        ),
        Route("/api/perform_import", operation("performing an import", perform), methods=["POST"]),
        Route("/api/cancel_import", operation("canceling an import", cancel), methods=["POST"]),
    ]
