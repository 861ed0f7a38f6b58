"""What the HTTP routes and the sync WebSocket share about one served backend."""

from __future__ import annotations

import importlib.metadata
from dataclasses import dataclass, field

from convexlite.server.dashboard.login import LoginTokens
from convexlite.server.memory_guard import MemoryGuard
from convexlite.server.types import BackendApi


def _package_version() -> str:
    try:
        return importlib.metadata.version("convexlite")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


@dataclass
class ServerState:
    """One backend and how it is presented to clients.

    The app opens the backend before handling any request, so every route and
    WebSocket may use it.
    """

    backend: BackendApi
    cloud_origin: str = "http://127.0.0.1:3210"
    site_origin: str = "http://127.0.0.1:3211"
    redact_logs: bool = False
    version: str = field(default_factory=_package_version)
    """What `/version` answers: convexlite's own version (upstream's answers its build's)."""
    log_poll_seconds: float = 60.0
    """How long `GET /api/stream_function_logs` waits for new entries (upstream: 60 s)."""
    metrics_without_key: bool = False
    """Serve `GET /metrics` to anyone (`convexlite serve --metrics`), not only admins."""
    websocket_connections: int = 0
    """Sync WebSockets open now (for `GET /metrics`)."""
    dashboard: bool = True
    """Serve the built-in dashboard under `/dashboard` (`convexlite serve --no-dashboard`)."""
    login_tokens: LoginTokens = field(default_factory=LoginTokens)
    """The one-time tokens of dashboard login links (`convexlite serve` prints one)."""
    memory: MemoryGuard | None = None
    """The memory ceiling new work is refused before (`CONVEXLITE_MAX_MEMORY_MB`), if any."""

    @property
    def instance_name(self) -> str:
        return self.backend.instance_name
