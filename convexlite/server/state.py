"""What the HTTP routes and the sync WebSocket share about one served backend."""

from __future__ import annotations

from dataclasses import dataclass

from convexlite.auth.keys import AdminIdentity, AdminKeyError, parse_admin_key
from convexlite.backend import Backend


@dataclass
class ServerState:
    """One `Backend` and how it is presented to clients.

    The app opens the backend before handling any request, so the
    secret-derived members below are usable from every route and WebSocket.
    """

    backend: Backend
    cloud_origin: str = "http://127.0.0.1:3210"
    site_origin: str = "http://127.0.0.1:3211"
    redact_logs: bool = False
    version: str = "unknown"

    @property
    def instance_name(self) -> str:
        return self.backend.instance_name

    @property
    def instance_secret(self) -> str:
        return self.backend.instance_secret

    def admin_identity(self, key: str) -> AdminIdentity:
        """Raises `AdminKeyError` (401 `BadAdminKey`) unless `key` is valid here."""
        return parse_admin_key(key, self.instance_name, self.instance_secret)

    def admin_key_valid(self, key: str) -> bool:
        """True for every valid admin or system key of this instance."""
        try:
            self.admin_identity(key)
        except AdminKeyError:
            return False
        return True
