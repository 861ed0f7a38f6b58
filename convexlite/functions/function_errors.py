"""How a function's own failure reaches its caller, whatever runs it (V8, Node.js): Convex's
`FunctionError` (the code threw, or the process running it died) and `FunctionTimeout`."""

from __future__ import annotations

from convexlite.errors import ConvexBackendError, ErrorKind


class FunctionError(ConvexBackendError):
    """The function threw: `Uncaught Error: boom` and its source-mapped stack."""

    kind = ErrorKind.BAD_REQUEST
    code = "FunctionError"


class FunctionTimeout(ConvexBackendError):
    """The function ran past its time limit."""

    kind = ErrorKind.BAD_REQUEST
    code = "FunctionTimeout"
