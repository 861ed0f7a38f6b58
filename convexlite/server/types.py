"""What the transports need of a backend: one narrow protocol (upstream's `ApplicationApi`).

Every route and the sync WebSocket reach the engine only through
`BackendApi`; `convexlite.Backend` implements it, and a test may hand the
server anything else that does.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

from convexlite.auth.identity import Caller
from convexlite.auth.keys import AdminIdentity
from convexlite.functions.definitions import FunctionDefinition, FunctionKind
from convexlite.functions.http import HttpRequest, HttpResponse
from convexlite.functions.live_queries import QueryResult, QuerySubscription
from convexlite.functions.runner import Execution

__all__ = [
    "BackendApi",
    "Execution",
    "FunctionDefinition",
    "FunctionKind",
    "HttpRequest",
    "HttpResponse",
    "QueryResult",
    "QuerySubscription",
]


class BackendApi(Protocol):
    @property
    def instance_name(self) -> str: ...

    @property
    def latest_ts(self) -> int:
        """The timestamp of the latest published commit."""
        ...

    async def ensure_open(self) -> None:
        """Open the backend if it is not open yet (a mounted app opens it on first use)."""
        ...

    async def execute(
        self,
        kind: FunctionKind,
        path: str,
        args: Any,
        caller: Caller,
        *,
        at_ts: int | None = None,
    ) -> Execution:
        """Run a function as `caller`; a query may run at an earlier published `at_ts`."""
        ...

    def subscribe(
        self, path: str, args: Any, *, caller: Caller | None = None
    ) -> QuerySubscription:
        """Watch a query's results; call on the backend's event loop."""
        ...

    def describe(self, path: str, caller: Caller) -> FunctionDefinition | None:
        """The function at `path` if `caller` may call it (any kind), else None."""
        ...

    def current_through(self, subscriptions: Iterable[QuerySubscription], ts: int) -> bool:
        """True when every subscription's latest result is its query's result as of `ts`."""
        ...

    def verify_admin_key(self, key: str) -> AdminIdentity:
        """The identity behind a key of this instance; raises `AdminKeyError` otherwise."""
        ...

    async def run_http_action(self, request: HttpRequest, caller: Caller) -> HttpResponse:
        """Answer a request to the deployment's HTTP actions (404s included)."""
        ...
