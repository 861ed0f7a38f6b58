"""The errors of a push, with upstream's codes and HTTP statuses (spec/functions.md §1.1).

Each carries `status` so the transport renders `{code, message}` with the status
the CLI reacts to (400: user error, retried by `dev` on the next change; 409:
the CLI's idea of the deployed modules is stale).
"""

from __future__ import annotations

from typing import ClassVar

from convexlite.errors import BadRequestError, ConvexBackendError

PUSH_PREFIX = "Hit an error while pushing:\n"


class PushError(BadRequestError):
    """A push refused because of what was pushed; nothing was changed."""

    code: ClassVar[str] = "BadRequest"
    status: ClassVar[int] = 400

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code  # type: ignore[misc]


class InvalidConfig(PushError):
    code = "InvalidConfig"


class InvalidModules(PushError):
    code = "InvalidModules"


class InvalidSchema(PushError):
    code = "InvalidSchema"


class InvalidConvexConfig(PushError):
    code = "InvalidConvexConfig"


class InvalidCronJobs(PushError):
    code = "InvalidCronJobs"


class NodeActionsNotSupported(PushError):
    code = "NodeActionsNotSupported"


class AuthConfigMissingEnvironmentVariable(PushError):
    """Raised by an analyzer when `auth.config.js` reads an unset variable; the message
    must contain `Environment variable <NAME>` (the CLI extracts the name)."""

    code = "AuthConfigMissingEnvironmentVariable"


class MissingEnvironmentVariables(PushError):
    code = "MissingEnvironmentVariables"


class RaceDetected(PushError):
    code = "RaceDetected"


class ConcurrentPush(PushError):
    code = "ConcurrentPush"


class UnknownPush(PushError):
    """`finish_push`/`wait_for_schema` name a push this server does not hold (restarted,
    superseded or malformed echo)."""

    code = "UnknownPush"


class ModuleConflict(PushError):
    """`unchangedModuleHashes` disagrees with the stored modules: the CLI must re-read hashes."""

    status = 409


class ExistingModuleHashConflict(ModuleConflict):
    code = "ExistingModuleHashConflict"


class ExistingModuleEnvConflict(ModuleConflict):
    code = "ExistingModuleEnvConflict"


class MissingExistingModule(ModuleConflict):
    code = "MissingExistingModule"


def prefixed(exc: ConvexBackendError) -> ConvexBackendError:
    """`exc` with its message under "Hit an error while pushing:" (start/evaluate/finish)."""
    if exc.message.startswith(PUSH_PREFIX):
        return exc
    exc.message = PUSH_PREFIX + exc.message
    exc.args = (exc.message,)
    return exc
