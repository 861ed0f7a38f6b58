"""Endpoints the built-in dashboard's Settings page needs beyond the official dashboard's:

- `POST /api/dashboard/admin_key {readOnly?: bool}` → `{adminKey}`: a new admin key of this
  instance (what the cloud dashboard gets from its control plane); a read-only key may not
  mint one (403 `BadDeployKey`, as for any change);
- `GET /api/dashboard/storage` → the store's size on disk and retention's state
  (`Engine.storage_status`): the configured `DOCUMENT_RETENTION_DELAY`, the floor, the last
  pass and what it deleted. Retention runs on its own thread outside any transaction, so
  no system query could follow it live.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from convexlite.server.errors import HttpError, guarded
from convexlite.server.requests import admin_caller, json_body
from convexlite.server.state import ServerState

NO_STORE = {"Cache-Control": "no-store"}


def routes(state: ServerState) -> list[Route]:
    async def mint_admin_key(request: Request) -> Response:
        admin_caller(request, state, "Minting an admin key", write=True)
        read_only = (await json_body(request)).get("readOnly", False)
        if not isinstance(read_only, bool):
            raise HttpError(400, "BadJsonBody", "`readOnly` must be a boolean")
        key = state.backend.issue_admin_key(read_only=read_only)
        return JSONResponse({"adminKey": key}, headers=NO_STORE)

    async def storage(request: Request) -> Response:
        admin_caller(request, state, "Storage status", write=False)
        return JSONResponse(state.backend.storage_status(), headers=NO_STORE)

    return [
        Route(
            "/api/dashboard/admin_key",
            guarded("minting an admin key", mint_admin_key),
            methods=["POST"],
        ),
        Route("/api/dashboard/storage", guarded("reading storage", storage), methods=["GET"]),
    ]
