"""Reading an HTTP request: credentials (spec/protocol.md §3.1.3), JSON bodies, the
requested result format (§1.8) and the request id."""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

from starlette.requests import Request

from convexlite.auth.identity import (
    ANONYMOUS,
    Caller,
    IncompleteIdentity,
    UserIdentity,
    user_identity,
)
from convexlite.auth.keys import AdminKeyError, split_authorization_key
from convexlite.errors import ConvexBackendError
from convexlite.server import json_response
from convexlite.server.errors import HttpError, bad_deploy_key, new_request_id
from convexlite.server.state import ServerState
from convexlite.values.formats import Format


def request_id(request: Request) -> str:
    return request.headers.get("convex-request-id") or new_request_id()


def authenticate(request: Request, state: ServerState) -> Caller:
    """Parse credentials as every upstream endpoint does (§3.1.3)."""
    header = request.headers.get("authorization")
    if header is None:
        if not request.scope.get("query_string"):
            return ANONYMOUS
        key = request.query_params.get("adminKey")
        return ANONYMOUS if key is None else _admin(state, key, None)
    if len(header) < 7:
        raise HttpError(400, "InvalidHeaderFailure", "Invalid authentication header")
    scheme, rest = header[:7].lower(), header[7:]
    if scheme == "convex ":
        key, acting_as = split_authorization_key(rest)
        return _admin(state, key, acting_as)
    if scheme == "bearer ":
        raise HttpError(
            401, "BadAdminKey", "This endpoint needs an admin key, not a user's token"
        )
    raise HttpError(400, "InvalidAdminKey", "Invalid admin key")


def bearer_token(request: Request) -> str | None:
    """The user token of `Authorization: Bearer <jwt>`, None for other credentials."""
    header = request.headers.get("authorization")
    if header is None or header[:7].lower() != "bearer ":
        return None
    return header[7:].strip()


async def function_caller(request: Request, state: ServerState) -> Caller:
    """The caller of a function endpoint: as `authenticate`, with a user's token checked
    against the deployment's auth providers (401 with the reason when refused, §2.8)."""
    token = bearer_token(request)
    if token is None:
        return authenticate(request, state)
    try:
        return await state.backend.authenticate_user(token)
    except ConvexBackendError as exc:
        raise HttpError(401, exc.code, exc.message) from None


def admin_caller(request: Request, state: ServerState, what: str, *, write: bool) -> Caller:
    """The caller of an operator endpoint: an admin key is required (401 without one),
    one that may write where `write` (403 for a read-only key). `what` names the
    endpoint's subject in the refusal."""
    caller = authenticate(request, state)
    if caller.admin is None:
        raise HttpError(
            401, "MissingAdminKey", f"{what} needs an admin key: `Authorization: Convex <key>`"
        )
    if write and caller.admin.read_only:
        raise bad_deploy_key(state.instance_name)
    return caller


def key_caller(state: ServerState, key: Any) -> Caller:
    """The admin an admin key sent in a body makes (`run_test_function`'s `adminKey`)."""
    if not isinstance(key, str):
        raise HttpError(401, "MissingAdminKey", "This request needs an `adminKey`")
    return _admin(state, key, None)


def _admin(state: ServerState, key: str, acting_as: str | None) -> Caller:
    try:
        admin = state.backend.verify_admin_key(key)
    except AdminKeyError as exc:
        raise HttpError(401, "BadAdminKey", exc.message) from None
    return Caller(admin, None if acting_as is None else _acting_as(acting_as))


def _acting_as(payload: str) -> UserIdentity:
    """The user identity an admin acts as: base64 JSON with UserIdentity's camelCase names."""
    try:
        attributes = json_response.loads(base64.b64decode(payload + "=" * (-len(payload) % 4)))
    except (binascii.Error, ValueError):
        attributes = None
    if not isinstance(attributes, dict):
        raise HttpError(400, "HeaderParseFailure", "Malformed Authorization header.")
    try:
        return user_identity(attributes)
    except IncompleteIdentity:
        raise HttpError(400, "HeaderParseFailure", "Malformed Authorization header.") from None


async def json_body(request: Request) -> dict[str, Any]:
    content_type = request.headers.get("content-type", "")
    if content_type.split(";")[0].strip().lower() != "application/json":
        raise HttpError(
            400, "BadJsonBody", "Expected request with `Content-Type: application/json`"
        )
    raw = await request.body()
    try:
        body = json_response.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise HttpError(
            400, "BadJsonBody", f"Failed to parse the request body as JSON: {exc}"
        ) from None
    if not isinstance(body, dict):
        raise HttpError(
            400,
            "BadJsonBody",
            "Failed to deserialize the JSON body into the target type: expected a JSON object",
        )
    return body


def required(body: dict[str, Any], field: str) -> Any:
    if field not in body:
        raise HttpError(
            400,
            "BadJsonBody",
            f"Failed to deserialize the JSON body into the target type: missing field `{field}`",
        )
    return body[field]


_FORMATS: dict[str, Format] = {
    "convex_encoded_json": "encoded",
    "convex_json": "encoded",
    "json": "clean",
    "convex_clean_json": "clean",
    "export_json": "export",
}
_CLIENT = re.compile(r"^(?P<name>.+?)-(?P<version>\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.+-]*)?)$")
_LEGACY_DEFAULTS = {"npm": (1, 4, 1), "npm-cli": (1, 4, 1), "python": (0, 5, 0)}


def output_format(request: Request, requested: Any, default: Format | None = None) -> Format:
    """The rendering for results: explicit `format`, else `default`, else by client version."""
    if requested is not None:
        if not isinstance(requested, str) or requested not in _FORMATS:
            raise HttpError(
                400, "BadFormat", f"format param must be one of [`json`]. Got {requested}"
            )
        return _FORMATS[requested]
    if default is not None:
        return default
    client = request.headers.get("convex-client")
    if client is None:
        return "clean"
    match = _CLIENT.match(client)
    if match is None:
        if "-" not in client:
            raise HttpError(400, "InvalidClientVersion", f"Invalid client version: {client}")
        return "clean"
    minimum = _LEGACY_DEFAULTS.get(match["name"].lower())
    version = tuple(int(part) for part in re.findall(r"\d+", match["version"])[:3])
    return "encoded" if minimum is not None and version < minimum else "clean"
