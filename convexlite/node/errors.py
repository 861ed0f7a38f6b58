"""The errors of node actions, with the codes of their V8 counterparts."""

from __future__ import annotations

from convexlite.errors import ConvexBackendError, ErrorKind


class NodeActionError(ConvexBackendError):
    """The action threw (`Uncaught Error: boom` and its source-mapped stack), or the
    process running it died."""

    kind = ErrorKind.BAD_REQUEST
    code = "FunctionError"


class NodeActionTimeout(ConvexBackendError):
    kind = ErrorKind.BAD_REQUEST
    code = "FunctionTimeout"


class NodeExecutorUnavailable(ConvexBackendError):
    """Node.js cannot run the deployment's node actions (missing since the push)."""

    kind = ErrorKind.BAD_REQUEST
    code = "NodeActionsNotSupported"


class NodeDependenciesFailed(ConvexBackendError):
    """The push's external npm packages (`nodeDependencies`) could not be installed."""

    kind = ErrorKind.BAD_REQUEST
    code = "NodeDependenciesInstallFailed"
