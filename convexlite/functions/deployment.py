"""`DeploymentConfig`: everything a deployment declares besides its functions' code paths.

Produced by a Python `App` (`app.deployment()`) and, later, by a push of
JavaScript modules; the engine applies one at runtime (the schema to the
database, the functions and routes to the function registry) as one swap.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from convexlite.functions.definitions import FunctionSource
from convexlite.functions.http import HttpRoute


@dataclass(frozen=True, slots=True)
class DeploymentConfig:
    """`functions` are looked up by path; `schema` is a `Schema` or None (no schema);
    `crons` and `auth_providers` stay empty until the scheduler and user auth exist."""

    functions: FunctionSource
    schema: Any = None
    http_routes: tuple[HttpRoute, ...] = ()
    crons: tuple[Any, ...] = ()
    auth_providers: tuple[Any, ...] = ()
