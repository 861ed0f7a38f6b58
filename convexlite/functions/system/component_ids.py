"""The `componentId` argument of the dashboard's system functions (spec/operator.md §3).

A non-null `componentId` names one component instance by the id of its `_components`
document; the function then runs inside that instance's namespace. Null, absent or
empty means the root app.
"""

from __future__ import annotations

from convexlite.errors import BadRequestError
from convexlite.functions.environment import Environment


class InvalidComponentId(BadRequestError):
    code = "InvalidComponentId"


def component_path(env: Environment, component_id: str | None) -> str:
    """The component path (`""` for the root app) a `componentId` argument names."""
    if not component_id:
        return ""
    raise InvalidComponentId(f"Component {component_id!r} not found")
