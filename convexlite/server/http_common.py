"""Request-level plumbing shared by the HTTP routes: errors, credentials, value formats.

Request errors (spec/protocol.md §3.1.4) are JSON `{code, message}` with a
status from the error's class, because the official clients index those
keys; function errors travel inside a 200 envelope instead (http_api.py).
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
import secrets
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from convexlite.auth.keys import AdminIdentity, AdminKeyError, split_authorization_key
from convexlite.server.state import ServerState
from convexlite.values import Int64, encode

INTERNAL_MESSAGE = "Your request couldn't be completed. Try again later."
NO_AUTH_PROVIDER = (
    "No auth provider found matching the given token. Check that your JWT's issuer and "
    "audience match one of your configured providers: []"
)


class HttpError(Exception):
    """A request error, rendered as `{code, message}` with its HTTP status."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message

    def response(self) -> JSONResponse:
        return JSONResponse({"code": self.code, "message": self.message}, self.status)


def internal_error() -> HttpError:
    return HttpError(500, "InternalServerError", INTERNAL_MESSAGE)


def bad_deploy_key(state: ServerState) -> HttpError:
    return HttpError(
        403,
        "BadDeployKey",
        f"The provided deploy key was invalid for deployment '{state.instance_name}'. Double "
        "check that the environment this key was generated for matches the desired deployment.",
    )


def request_id(request: Request) -> str:
    return request.headers.get("convex-request-id") or secrets.token_hex(8)


@dataclass(frozen=True, slots=True)
class Caller:
    """Who is calling: an admin (possibly acting as a user), or anonymous."""

    admin: AdminIdentity | None = None
    identity: dict[str, Any] | None = None

    @property
    def is_admin(self) -> bool:
        return self.admin is not None


def authenticate(request: Request, state: ServerState) -> Caller:
    """Parse credentials as every upstream endpoint does (§3.1.3)."""
    header = request.headers.get("authorization")
    if header is None:
        key = request.query_params.get("adminKey")
        return Caller() if key is None else _admin(state, key, None)
    if len(header) < 7:
        raise HttpError(400, "InvalidHeaderFailure", "Invalid authentication header")
    scheme, rest = header[:7].lower(), header[7:]
    if scheme == "convex ":
        key, acting_as = split_authorization_key(rest)
        return _admin(state, key, acting_as)
    if scheme == "bearer ":
        raise HttpError(401, "NoAuthProvider", NO_AUTH_PROVIDER)
    raise HttpError(400, "InvalidAdminKey", "Invalid admin key")


def _admin(state: ServerState, key: str, acting_as: str | None) -> Caller:
    try:
        admin = state.admin_identity(key)
    except AdminKeyError as exc:
        raise HttpError(401, "BadAdminKey", exc.message) from None
    return Caller(admin, None if acting_as is None else _acting_as(acting_as))


def _acting_as(payload: str) -> dict[str, Any]:
    """The user identity an admin acts as: base64 JSON with UserIdentity's camelCase names."""
    try:
        identity = json.loads(base64.b64decode(payload + "=" * (-len(payload) % 4)))
    except (binascii.Error, ValueError):
        identity = None
    if not isinstance(identity, dict):
        raise HttpError(400, "HeaderParseFailure", "Malformed Authorization header.")
    if "tokenIdentifier" not in identity:
        if "issuer" not in identity or "subject" not in identity:
            raise HttpError(400, "HeaderParseFailure", "Malformed Authorization header.")
        identity["tokenIdentifier"] = f"{identity['issuer']}|{identity['subject']}"
    return identity


async def json_body(request: Request) -> dict[str, Any]:
    content_type = request.headers.get("content-type", "")
    if content_type.split(";")[0].strip().lower() != "application/json":
        raise HttpError(
            400, "BadJsonBody", "Expected request with `Content-Type: application/json`"
        )
    raw = await request.body()
    try:
        body = json.loads(raw)
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


# ---- value formats (spec/protocol.md §1.8) -------------------------------------------------

_FORMATS = {
    "convex_encoded_json": "encoded",
    "convex_json": "encoded",
    "json": "clean",
    "convex_clean_json": "clean",
    "export_json": "export",
}
_CLIENT = re.compile(r"^(?P<name>.+?)-(?P<version>\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.+-]*)?)$")
_LEGACY_DEFAULTS = {"npm": (1, 4, 1), "npm-cli": (1, 4, 1), "python": (0, 5, 0)}


def output_format(request: Request, requested: Any, default: str | None = None) -> str:
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


def render(value: Any, fmt: str) -> Any:
    if fmt == "encoded":
        return encode(value)
    if fmt == "clean":
        return _clean(value)
    return _export(value)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _clean(v: Any) -> Any:
    if v is None or isinstance(v, (bool, str)):
        return v
    if isinstance(v, Int64):
        return str(int(v))
    if isinstance(v, (int, float)):
        v = float(v)
        if math.isnan(v):
            return "NaN"
        if math.isinf(v):
            return "Infinity" if v > 0 else "-Infinity"
        return v
    if isinstance(v, bytes):
        return _b64(v)
    if isinstance(v, dict):
        return {k: _clean(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_clean(x) for x in v]
    return encode(v)


def _export(v: Any) -> Any:
    if v is None or isinstance(v, (bool, str)):
        return v
    if isinstance(v, Int64):
        return int(v)
    if isinstance(v, (int, float)):
        v = float(v)
        return v if math.isfinite(v) else encode(v)
    if isinstance(v, bytes):
        return {"$bytes": _b64(v)}
    if isinstance(v, dict):
        return {k: _export(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_export(x) for x in v]
    return encode(v)


def encode_ts(ts: int) -> str:
    """EncodedTS: base64 of the u64 little-endian (§1.9)."""
    return _b64(ts.to_bytes(8, "little"))


def decode_ts(value: Any) -> int:
    try:
        raw = base64.b64decode(value, validate=False)
    except (binascii.Error, TypeError, ValueError):
        raw = b""
    if len(raw) != 8:
        raise HttpError(400, "BadJsonBody", f"Invalid timestamp: {value!r}")
    return int.from_bytes(raw, "little")
