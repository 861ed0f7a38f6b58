"""Where a push lands: the `DeploymentTarget` protocol the engine implements.

`finish_push` calls `check`, then `apply_schema`, then saves the deployment in
the module store, then `serve`. Anything `check` or `apply_schema` raises refuses
the push with nothing changed, so the previous version keeps serving.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from convexlite.deploy.deployment import PushedDeployment


class DeploymentTarget(Protocol):
    def check(self, deployment: PushedDeployment) -> None:
        """Raise (a `ConvexBackendError`, with a message naming the culprit) if `deployment`
        cannot be served, e.g. a pushed function path the Python app defines too."""
        ...

    def apply_schema(self, schema: Mapping[str, Any] | None) -> None:
        """Make the schema JSON (None: no schema) the database's: existing documents checked,
        indexes built. Raises, changing nothing, if a stored document does not match."""
        ...

    def serve(self, deployment: PushedDeployment) -> None:
        """Serve `deployment`'s functions, HTTP routes, crons and auth from now on. Called
        once it is stored; must not fail for a deployment `check` accepted."""
        ...
