"""The push endpoints of `npx convex deploy`/`dev` (spec/functions.md §1.1, §1.4).

Bodies may be Brotli- or gzip-compressed and hold up to 200 MB once
decompressed; they are read, inflated and parsed off the event loop. The
admin key comes from `Authorization: Convex <key>` or, as upstream reads it,
from the body's `adminKey`, and must allow deploying (not read-only). Refusals
are `{code, message}` with the status the CLI reacts to (400 user error, 401 bad
key, 403 key without deploy rights, 409 stale module hashes). The engine does
the work behind `BackendApi.push`.
"""

from __future__ import annotations

import asyncio
import gzip
import logging
import zlib
from typing import Any

import brotli
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from convexlite.auth.identity import Caller
from convexlite.auth.keys import AdminKeyError
from convexlite.errors import ConvexBackendError
from convexlite.server import json_response
from convexlite.server.errors import HttpError, bad_deploy_key, internal_error, refusal
from convexlite.server.requests import authenticate
from convexlite.server.state import ServerState

log = logging.getLogger("convexlite.server")

MAX_PUSH_BYTES = 200 * 1024 * 1024
PUSH_OPERATIONS = (
    "start_push",
    "evaluate_push",
    "evaluate_schema",
    "wait_for_schema",
    "finish_push",
    "report_push_completed",
)


def _too_large() -> HttpError:
    return HttpError(
        413, "PayloadTooLarge", f"The request body is larger than {MAX_PUSH_BYTES} bytes"
    )


async def _raw_body(request: Request) -> bytes:
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_PUSH_BYTES:
            raise _too_large()
        chunks.append(chunk)
    return b"".join(chunks)


def decode_body(raw: bytes, encoding: str | None) -> dict[str, Any]:
    """Inflate (`br`, `gzip`, none) and parse a JSON object, within `MAX_PUSH_BYTES`."""
    encoding = (encoding or "identity").strip().lower()
    try:
        if encoding == "br":
            decompressor = brotli.Decompressor()
            data = decompressor.process(raw, output_buffer_limit=MAX_PUSH_BYTES + 1)
            if len(data) > MAX_PUSH_BYTES:
                raise _too_large()
            if not decompressor.is_finished():
                raise HttpError(400, "BadRequestBody", "The Brotli request body is truncated")
        elif encoding in ("gzip", "x-gzip"):
            inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
            data = inflater.decompress(raw, MAX_PUSH_BYTES + 1)
            if len(data) > MAX_PUSH_BYTES:
                raise _too_large()
            if not inflater.eof:
                raise HttpError(400, "BadRequestBody", "The gzip request body is truncated")
        elif encoding == "identity":
            data = raw
        else:
            raise HttpError(
                415, "UnsupportedContentEncoding", f"Unsupported Content-Encoding: {encoding}"
            )
    except (brotli.error, zlib.error, gzip.BadGzipFile) as exc:
        raise HttpError(
            400, "BadRequestBody", f"Could not decompress the {encoding} body: {exc}"
        ) from None
    try:
        body = json_response.loads(data) if data else {}
    except (ValueError, UnicodeDecodeError) as exc:
        raise HttpError(
            400, "BadJsonBody", f"Failed to parse the request body as JSON: {exc}"
        ) from None
    if not isinstance(body, dict):
        raise HttpError(400, "BadJsonBody", "The request body must be a JSON object")
    return body


def _deployer(request: Request, state: ServerState, body: dict[str, Any]) -> Caller:
    """The caller, from the header or else the body's `adminKey`; it must be able to deploy."""
    if request.headers.get("authorization") is not None:
        caller = authenticate(request, state)
    else:
        key = body.get("adminKey")
        if not isinstance(key, str) or not key:
            raise HttpError(
                401,
                "MissingAdminKey",
                "This endpoint needs an admin key: `Authorization: Convex <key>` or `adminKey`",
            )
        try:
            caller = Caller(state.backend.verify_admin_key(key))
        except AdminKeyError as exc:
            raise HttpError(401, "BadAdminKey", exc.message) from None
    if caller.admin is None:
        raise HttpError(
            401,
            "MissingAdminKey",
            "This endpoint needs an admin key: `Authorization: Convex <key>` or `adminKey`",
        )
    if caller.admin.read_only:
        raise bad_deploy_key(state.instance_name)
    return caller


def routes(state: ServerState) -> list[Route]:
    def operation(name: str) -> Any:
        async def endpoint(request: Request) -> Response:
            try:
                raw = await _raw_body(request)
                body = await asyncio.to_thread(
                    decode_body, raw, request.headers.get("content-encoding")
                )
                _deployer(request, state, body)
                try:
                    result = await state.backend.push(name, body)
                except ConvexBackendError as exc:
                    raise refusal(exc, "push") from None
            except HttpError as exc:
                return exc.response()
            except Exception:
                log.exception("push endpoint %s failed", name)
                return internal_error().response()
            return JSONResponse(result)

        return endpoint

    async def canonical_urls(request: Request) -> Response:
        try:
            _deployer(request, state, {})
        except HttpError as exc:
            return exc.response()
        return JSONResponse(
            {"convexCloudUrl": state.cloud_origin, "convexSiteUrl": state.site_origin}
        )

    return [
        Route("/api/get_config_hashes", operation("get_config_hashes"), methods=["POST"]),
        *(
            Route(f"/api/deploy2/{name}", operation(name), methods=["POST"])
            for name in PUSH_OPERATIONS
        ),
        Route("/api/v1/get_canonical_urls", canonical_urls, methods=["GET"]),
    ]


async def _unknown(request: Request) -> Response:
    return JSONResponse(
        {"code": "NotFound", "message": f"No such endpoint: {request.method} {request.url.path}"},
        status_code=404,
    )


UNKNOWN_API_ROUTE = Route(
    "/api/{rest:path}",
    _unknown,
    methods=["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"],
)
"""Last of the API routes: any other `/api/...` answers a fast 404, which the CLI takes as
"endpoint not supported" (never a 5xx, which it would retry or fail on)."""
