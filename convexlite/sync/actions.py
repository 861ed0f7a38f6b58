"""What a `SyncSession` asks its transport to do, as immutable values.

The session decides; the transport only carries out: send a message, watch
or stop watching a query, run a mutation or an action, verify an admin key,
close the connection. Each outcome comes back to the session through one of
its input methods, so every rule stays in the state machine.

`caller` is whatever the transport handed the session as an authenticated
caller (`convexlite.auth.identity.Caller` in the server); the session only
carries it from the `Authenticate` message to the requests made after it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from convexlite.sync.server_messages import ServerMessage

CLOSE_NORMAL = 1000
CLOSE_TOO_BIG = 1009
CLOSE_INTERNAL = 1011
CLOSE_TRY_AGAIN = 1013


@dataclass(frozen=True, slots=True)
class Send:
    message: ServerMessage


@dataclass(frozen=True, slots=True)
class Watch:
    """Subscribe to a query and report each result through `SyncSession.query_result`."""

    query_id: int
    udf_path: str
    args: list[Any]
    caller: Any


@dataclass(frozen=True, slots=True)
class Unwatch:
    query_id: int


@dataclass(frozen=True, slots=True)
class RunMutation:
    """Run it, tell the session the run's handle (`mutation_started`), then its response
    (`mutation_completed`), even if the connection has gone by then."""

    request_id: int
    udf_path: str
    args: list[Any]
    component_path: str | None
    caller: Any


@dataclass(frozen=True, slots=True)
class AwaitMutation:
    """Another connection of this client session is running the same mutation: wait for
    its run (`handle`, as given to `mutation_started`) and report its response."""

    request_id: int
    handle: Any


@dataclass(frozen=True, slots=True)
class RunAction:
    """Run it and report the response through `SyncSession.action_completed`."""

    request_id: int
    udf_path: str
    args: list[Any]
    component_path: str | None
    caller: Any


@dataclass(frozen=True, slots=True)
class VerifyAdminKey:
    """Check the key and build the caller (acting as `impersonating` if given); report
    `authenticated`, `admin_key_invalid` or `impersonation_invalid`."""

    key: str
    impersonating: dict[str, Any] | None


@dataclass(frozen=True, slots=True)
class VerifyUserToken:
    """Check a user's JWT against the deployment's auth providers, then report
    `authenticated` with its caller or `user_token_invalid` with the reason."""

    token: str


@dataclass(frozen=True, slots=True)
class Close:
    """Close the WebSocket after the messages sent before it; `detail` is for the log only."""

    code: int
    reason: str = ""
    detail: str | None = None


SessionAction = (
    Send
    | Watch
    | Unwatch
    | RunMutation
    | AwaitMutation
    | RunAction
    | VerifyAdminKey
    | VerifyUserToken
    | Close
)
