"""Error types shared by every layer.

Convex sorts failures into classes that decide how a client sees them
(spec/protocol.md §4.1): deterministic errors (bad request, pagination limits,
auth) become function errors; conflicts are retried; everything else is a
system error. Each concrete error names the class it belongs to and carries
Convex's stable error code, so transports can render it without guessing.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from typing import Any, ClassVar


class ErrorKind(Enum):
    BAD_REQUEST = "BadRequest"
    PAGINATION_LIMIT = "PaginationLimit"
    CONFLICT = "Conflict"
    OVERLOADED = "Overloaded"
    INTERNAL = "Internal"

    @property
    def is_deterministic(self) -> bool:
        """True if the error is the caller's fault and re-running cannot help."""
        return self in (ErrorKind.BAD_REQUEST, ErrorKind.PAGINATION_LIMIT)


class ConvexBackendError(Exception):
    """Base class of every error convexlite raises on its own behalf."""

    kind: ClassVar[ErrorKind] = ErrorKind.INTERNAL
    code: ClassVar[str] = "InternalServerError"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r})"


class BadRequestError(ConvexBackendError):
    """The caller's input is wrong; the store is left unchanged."""

    kind = ErrorKind.BAD_REQUEST
    code = "BadRequest"


class PaginationLimitError(ConvexBackendError):
    """A transaction read or wrote more than Convex allows."""

    kind = ErrorKind.PAGINATION_LIMIT
    code = "PaginationLimit"


class InternalError(ConvexBackendError):
    kind = ErrorKind.INTERNAL
    code = "InternalServerError"


class ConvexError(Exception):
    """An error a function raises on purpose; its `data` reaches every client.

    `data` is any Convex value. The message mirrors the JS library: the data
    itself when it is a string, otherwise a JSON-like rendering.
    """

    def __init__(self, data: Any = None) -> None:
        self.data = data
        super().__init__(data if isinstance(data, str) else _data_renderer(data))


_data_renderer: Callable[[Any], str] = repr


def register_data_renderer(render: Callable[[Any], str]) -> None:
    """Set how `ConvexError` data becomes its message.

    The values layer registers Convex's rendering when it is imported, so this
    module, the floor every layer stands on, imports nothing of theirs.
    """
    global _data_renderer
    _data_renderer = render
