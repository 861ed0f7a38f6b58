"""How failures reach clients (spec/protocol.md §4), one rule for every transport.

A request error (malformed body, bad key) is an `HttpError`: JSON
`{code, message}` with a status. A function's own failure (its `ConvexError`,
or a deterministic error such as invalid arguments) is part of its result and
travels inside the UdfResponse envelope, the sync protocol's failure messages or
an HTTP action's 500 body, always as `[Request ID: …] Server Error` followed by
the message unless logs are redacted. Anything else is a system error, which
clients see only as an internal error.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from convexlite.errors import ConvexBackendError, ConvexError, ErrorKind
from convexlite.server.json_response import JsonResponse

log = logging.getLogger("convexlite.server")

INTERNAL_MESSAGE = "Your request couldn't be completed. Try again later."


class HttpError(Exception):
    """A request error, rendered as `{code, message}` with its HTTP status."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message

    def response(self) -> JsonResponse:
        return JsonResponse({"code": self.code, "message": self.message}, self.status)


def internal_error() -> HttpError:
    return HttpError(500, "InternalServerError", INTERNAL_MESSAGE)


def refusal(exc: ConvexBackendError, operation: str) -> HttpError:
    """An operator request the engine refused (a push, an environment variable change):
    its code and message with its status, 400 for the caller's fault; anything else is
    logged (as `operation` failing) and answered as an internal error."""
    status = getattr(exc, "status", None)
    if not isinstance(status, int):
        status = 400 if exc.kind.is_deterministic else 500
    if status >= 500:
        log.error("%s failed", operation, exc_info=exc)
        return internal_error()
    return HttpError(status, exc.code, exc.message)


def guarded(
    operation: str, handler: Callable[[Request], Awaitable[Response]]
) -> Callable[[Request], Awaitable[Response]]:
    """An operator endpoint: `HttpError`s and the engine's refusals answered as `{code,
    message}`, anything else logged (as `operation` failing) and answered as an internal
    error."""

    async def endpoint(request: Request) -> Response:
        try:
            try:
                return await handler(request)
            except ConvexBackendError as exc:
                raise refusal(exc, operation) from None
        except HttpError as exc:
            return exc.response()
        except Exception:
            log.exception("%s failed", operation)
            return internal_error().response()

    return endpoint


def bad_deploy_key(instance_name: str) -> HttpError:
    return HttpError(
        403,
        "BadDeployKey",
        f"The provided deploy key was invalid for deployment '{instance_name}'. Double "
        "check that the environment this key was generated for matches the desired deployment.",
    )


@dataclass(frozen=True, slots=True)
class FunctionFailure:
    """A function error as clients see it: the message, the run's log lines, and the
    `ConvexError` data when there is some (not yet rendered into a wire format)."""

    message: str
    log_lines: list[str] = field(default_factory=list)
    data: Any = None
    has_data: bool = False


def function_failure(exc: BaseException) -> FunctionFailure | None:
    """The client-visible failure of a run, or None when `exc` is a system error."""
    lines = list(getattr(exc, "log_lines", []))
    if isinstance(exc, ConvexError):
        return FunctionFailure(f"Uncaught ConvexError: {exc}", lines, exc.data, True)
    if isinstance(exc, ConvexBackendError) and exc.kind.is_deterministic:
        return FunctionFailure(exc.message, lines)
    return None


def is_transient(exc: BaseException) -> bool:
    """A conflict or overload that outlasted retries: worth trying again later (HTTP 503)."""
    return isinstance(exc, ConvexBackendError) and exc.kind in (
        ErrorKind.CONFLICT,
        ErrorKind.OVERLOADED,
    )


def error_head(request_id: str) -> str:
    return f"[Request ID: {request_id}] Server Error"


def error_message(request_id: str, message: str, *, redact: bool) -> str:
    """`[Request ID: …] Server Error`, followed by the message unless logs are redacted."""
    head = error_head(request_id)
    return head if redact else f"{head}\n{message}\n"


def new_request_id() -> str:
    return secrets.token_hex(8)


def sync_request_id(session_id: str, request_id: int) -> str:
    """Deterministic for a WebSocket request (§4.2), so its logs can be found from the client."""
    return hashlib.sha256(f"{session_id}|{request_id}".encode("ascii")).hexdigest()[:16]
