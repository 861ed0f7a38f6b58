"""The system queries over environment variables (spec/platform.md §5.4, operator.md).

`npx convex env list` subscribes to `_system/cli/queryEnvironmentVariables` and `env get`
to its `get`; the dashboard lists them with `_system/frontend/listEnvironmentVariables`.
They read through the query's transaction, so a subscription re-runs on every change.
"""

from __future__ import annotations

from typing import Any

from convexlite.functions import environment_variables
from convexlite.functions.definitions import FunctionDefinition, FunctionKind
from convexlite.functions.environment import Environment
from convexlite.functions.validators import args_validator, v


def _documents(env: Environment, args: Any) -> list[dict[str, Any]]:
    """Every variable's document, sorted by name (upstream reads the `by_name` index)."""
    assert env.db is not None
    return environment_variables.documents(env.db.tx)


def _get(env: Environment, args: Any) -> dict[str, str] | None:
    """`{name, value}` as `process.env` shows it (built-ins included), or null."""
    name = args["name"]
    value = environment_variables.visible_in(env).get(name)
    return None if value is None else {"name": name, "value": value}


def definitions() -> list[FunctionDefinition]:
    return [
        FunctionDefinition(
            "_system/cli/queryEnvironmentVariables:default",
            FunctionKind.QUERY,
            False,
            _documents,
            _documents,
            args=args_validator({}),
        ),
        FunctionDefinition(
            "_system/cli/queryEnvironmentVariables:get",
            FunctionKind.QUERY,
            False,
            _get,
            _get,
            args=args_validator({"name": v.string()}),
        ),
        FunctionDefinition(
            "_system/frontend/listEnvironmentVariables:default",
            FunctionKind.QUERY,
            False,
            _documents,
            _documents,
            args=args_validator({}),
        ),
    ]
