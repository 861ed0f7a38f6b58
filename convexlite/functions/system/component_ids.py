"""The `componentId` argument of the dashboard's system functions (spec/operator.md §3).

A non-null `componentId` names one component instance by the id of its `_components`
document; the function then runs inside that instance's namespace. Null, absent or
empty means the root app.
"""

from __future__ import annotations

from convexlite.database.transaction import Transaction
from convexlite.errors import BadRequestError
from convexlite.functions.environment import Environment
from convexlite.functions.system.components import COMPONENTS
from convexlite.values import InvalidIdError, decode_id


class InvalidComponentId(BadRequestError):
    code = "InvalidComponentId"


def component_path(env: Environment, component_id: str | None) -> str:
    """The component path (`""` for the root app) a `componentId` argument names, read in
    the function's transaction (a query re-runs if the instance changes). An unmounted
    instance still has its path: its data stays browsable."""
    assert env.db is not None
    return path_of(env.db.tx, component_id)


def path_of(tx: Transaction, component_id: str | None) -> str:
    """The component path a `componentId` names, read in `tx` (an endpoint's transaction)."""
    if not component_id:
        return ""
    table = tx.table(COMPONENTS)
    try:
        number, _ = decode_id(component_id)
    except InvalidIdError:
        number = None
    found = tx.get(component_id) if table is not None and number == table.number else None
    if found is None:
        raise InvalidComponentId(f"Component {component_id!r} not found")
    path: str = found["path"]
    return path
