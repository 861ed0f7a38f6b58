"""File uploads and downloads (spec/platform.md §4.3, §4.4).

- `POST /api/storage/upload?token=<token>`: the request body is the file. It streams
  into the blob store as it arrives (never whole in memory); `Content-Type` is kept
  as the file's type and `Digest: sha-256=<base64>`, when sent, must match. Answers
  `{"storageId": <Id<"_storage">>}`. The token is the capability (no key); it is
  refused with 401 when forged, expired or already used.
- `GET /api/storage/<uuid>`: the file, with `Content-Type`, `Content-Length`,
  `Digest`, a 30-day private cache lifetime (files never change) and one byte range
  on request (206; 416 when unsatisfiable or for several ranges). The URL is the
  capability. A document id in the path is 400 `InvalidStoragePath`, an unknown file
  404 `FileNotFound`.

The CORS layer of `server/app.py` lets browsers on any origin do both. A download
cannot act as a page of the API's origin (`isolation_headers`).
"""

from __future__ import annotations

import base64
import logging
import re
import uuid

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from convexlite.errors import ConvexBackendError
from convexlite.server.errors import HttpError, internal_error, refusal
from convexlite.server.state import ServerState

log = logging.getLogger("convexlite.server")

CACHE_CONTROL = "private, max-age=2592000"
_ACTIVE_TYPES = {"text/html", "text/xml", "application/xml"}
"""With every `+xml` type: what a browser runs as a document with scripts."""
_SANDBOX = "sandbox allow-scripts allow-forms allow-popups allow-modals allow-downloads"


def isolation_headers(content_type: str | None) -> dict[str, str]:
    """Headers that keep an uploaded file from acting as a page of the API's origin, which
    is the dashboard's (and holds its admin key): no type sniffing, and a document type a
    browser would run (or an unknown one) is sandboxed into an origin of its own (its
    scripts still run)."""
    headers = {"X-Content-Type-Options": "nosniff"}
    media_type = (content_type or "").split(";")[0].strip().lower()
    if not media_type or media_type in _ACTIVE_TYPES or media_type.endswith("+xml"):
        headers["Content-Security-Policy"] = _SANDBOX
    return headers


_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


class UnsatisfiableRange(Exception):
    pass


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """`[start, end)` of a `Range` header over `size` bytes; None for the whole file.
    Several ranges, a malformed one or one past the end raise `UnsatisfiableRange`."""
    if header is None:
        return None
    match = _RANGE.match(header.strip().replace(" ", ""))
    if match is None:
        raise UnsatisfiableRange(header)
    first, last = match.group(1), match.group(2)
    if not first and not last:
        raise UnsatisfiableRange(header)
    if not first:
        start, end = max(size - int(last), 0), size
    else:
        start = int(first)
        end = min(int(last) + 1, size) if last else size
    if start >= size and size > 0 or end < start:
        raise UnsatisfiableRange(header)
    return start, end


def routes(state: ServerState) -> list[Route]:
    async def upload(request: Request) -> Response:
        try:
            token = request.query_params.get("token")
            if not token:
                raise HttpError(401, "StorageTokenInvalid", "The upload URL has no token")
            try:
                storage_id = await state.backend.upload_file(
                    token,
                    request.headers.get("content-type"),
                    request.headers.get("digest"),
                    request.stream(),
                )
            except ConvexBackendError as exc:
                raise refusal(exc, "storing an upload") from None
        except HttpError as exc:
            return exc.response()
        except Exception:
            log.exception("storing an upload failed")
            return internal_error().response()
        return JSONResponse({"storageId": storage_id})

    async def download(request: Request) -> Response:
        raw = request.path_params["storage_id"]
        try:
            storage_uuid = str(uuid.UUID(raw))
        except ValueError:
            return HttpError(
                400,
                "InvalidStoragePath",
                f"Invalid storage path {raw!r}: use the URL ctx.storage.getUrl() returns",
            ).response()
        try:
            found = await state.backend.stored_file(storage_uuid)
        except Exception:
            log.exception("reading a stored file failed")
            return internal_error().response()
        if found is None:
            return HttpError(404, "FileNotFound", f"File {raw} not found").response()
        headers = {"Cache-Control": CACHE_CONTROL, "Accept-Ranges": "bytes"}
        headers |= isolation_headers(found.content_type)
        if found.content_type:
            headers["Content-Type"] = found.content_type
        try:
            wanted = parse_range(request.headers.get("range"), found.size)
        except UnsatisfiableRange:
            return Response(
                status_code=416, headers={**headers, "Content-Range": f"bytes */{found.size}"}
            )
        if wanted is None:
            start, end, status = 0, found.size, 200
            headers["Digest"] = "sha-256=" + base64.b64encode(found.sha256).decode()
        else:
            start, end = wanted
            status = 206 if found.size else 200
            if found.size:
                headers["Content-Range"] = f"bytes {start}-{end - 1}/{found.size}"
        headers["Content-Length"] = str(end - start)
        return StreamingResponse(
            found.chunks(start, end),
            status_code=status,
            headers=headers,
            media_type=found.content_type,
        )

    return [
        Route("/api/storage/upload", upload, methods=["POST"]),
        Route("/api/storage/{storage_id}", download, methods=["GET"]),
    ]
