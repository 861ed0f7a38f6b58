"""Why node actions cannot run at all; an action's own failure is a `FunctionError` or
`FunctionTimeout` (functions/function_errors.py), as in V8."""

from __future__ import annotations

from convexlite.errors import ConvexBackendError, ErrorKind


class NodeExecutorUnavailable(ConvexBackendError):
    """Node.js cannot run the deployment's node actions (missing since the push)."""

    kind = ErrorKind.BAD_REQUEST
    code = "NodeActionsNotSupported"


class NodeDependenciesFailed(ConvexBackendError):
    """The push's external npm packages (`nodeDependencies`) could not be installed."""

    kind = ErrorKind.BAD_REQUEST
    code = "NodeDependenciesInstallFailed"
