"""Pending pushes: what `start_push` computed, kept server-side until `finish_push`.

The CLI echoes the `start_push` response verbatim, so a push id travels in it
(`componentDefinitionPackages[""].pushId` and `schemaChange.pushId`). Only the
latest push can finish; an older one is superseded (`raceDetected`).
"""

from __future__ import annotations

import secrets
import threading
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from convexlite.deploy.deployment import PushedDeployment

_REMEMBERED = 64


def new_push_id() -> str:
    return secrets.token_hex(16)


@dataclass(frozen=True, slots=True)
class SchemaStatus:
    """`wait_for_schema`'s answer for a push whose checks are done (they run in `start_push`)."""

    error: str | None = None
    table_name: str | None = None
    component_path: str = ""

    def to_json(self) -> dict[str, Any]:
        if self.error is None:
            return {"type": "complete"}
        return {
            "type": "failed",
            "error": self.error,
            "componentPath": self.component_path,
            "tableName": self.table_name,
        }


@dataclass(frozen=True, slots=True)
class PendingPush:
    deployment: PushedDeployment
    environment_variables: Mapping[str, str]
    index_diffs: Mapping[str, Mapping[str, Any]]
    """IndexDiff JSON by component path (`""`: the app)."""
    status: SchemaStatus


class PendingPushes:
    """The latest pending push, and the ids of recent ones it superseded."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._latest: PendingPush | None = None
        self._superseded: deque[str] = deque(maxlen=_REMEMBERED)

    def record(self, push: PendingPush) -> None:
        with self._lock:
            if self._latest is not None:
                self._superseded.append(self._latest.deployment.version)
            self._latest = push

    @property
    def latest(self) -> PendingPush | None:
        """The push started last and not finished yet, if any."""
        return self._latest

    def get(self, push_id: str) -> PendingPush | None:
        latest = self._latest
        return latest if latest is not None and latest.deployment.version == push_id else None

    def superseded(self, push_id: str) -> bool:
        return push_id in self._superseded

    def finished(self, push_id: str) -> None:
        """Forget `push_id` once active, so it cannot be finished twice."""
        with self._lock:
            if self._latest is not None and self._latest.deployment.version == push_id:
                self._latest = None
