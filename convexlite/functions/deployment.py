"""`DeploymentConfig`: everything a deployment declares besides its functions' code paths.

Produced by a Python `App` (`app.deployment()`) and, later, by a push of
JavaScript modules; the engine applies one at runtime (the schema to the
database, the functions and routes to the function registry) as one swap.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from convexlite.functions.cron_spec import CronJobs
from convexlite.functions.definitions import FunctionSource
from convexlite.functions.http import HttpRoute


@dataclass(frozen=True, slots=True)
class DeploymentConfig:
    """`functions` are looked up by path; `schema` is a `Schema` or None (no schema);
    `crons` are `(identifier, spec)` pairs, in the form a push's crons also take
    (`PushedDeployment.cron_jobs`); `auth_providers` are `auth.config` providers as declared."""

    functions: FunctionSource
    schema: Any = None
    http_routes: tuple[HttpRoute, ...] = ()
    crons: CronJobs = ()
    auth_providers: tuple[Any, ...] = ()
