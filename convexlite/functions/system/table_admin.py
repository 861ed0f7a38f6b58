"""What the dashboard's table endpoints do (spec/operator.md §4.1, §4.2): the tables' inferred
shapes, and deleting whole tables.

Both work on one component instance's tables, named by the `componentId` the dashboard
sends, resolved as the system functions resolve theirs (`component_ids`). Shapes come
from a bounded sample of each table's newest documents, so a request costs the same on
a table of ten documents and one of ten million; the dashboard asks every minute.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from convexlite.database.metadata import BY_CREATION_TIME, DELETING
from convexlite.database.namespace import SEPARATOR, TableNamespace, component_of_table
from convexlite.database.transaction import Transaction
from convexlite.errors import BadRequestError
from convexlite.functions.system import audit_log, component_ids, components
from convexlite.values import InvalidIdError, check_table_name, decode_id
from convexlite.values.shapes import UNKNOWN, Shape, table_shape

SAMPLE_PER_TABLE = 100
"""Newest documents of a table a shape is inferred from."""
SAMPLE_PER_REQUEST = 10_000
"""Documents one shapes request reads at most; tables past it are `Unknown`."""


class SystemTableDeletion(BadRequestError):
    code = "InvalidTableName"


class TableInSchema(BadRequestError):
    code = "TableInSchema"


class ComponentDeletionRefused(BadRequestError):
    code = "InvalidComponent"


class ComponentMustBeUnmounted(BadRequestError):
    code = "ComponentMustBeUnmounted"


def shapes(tx: Transaction, component: str) -> dict[str, Shape]:
    """`{table: shape}` for every user table of the component at `component`."""
    namespace = TableNamespace(component)
    budget = SAMPLE_PER_REQUEST

    def id_table(text: str) -> str | None:
        try:
            number, _ = decode_id(text)
        except InvalidIdError:
            return None
        table = tx.registry.tables_by_number.get(number)
        return None if table is None else namespace.user_name(table.name)

    found: dict[str, Shape] = {}
    for name in tx.user_table_names():
        shown = namespace.user_name(name)
        if shown is None:
            continue
        take = min(SAMPLE_PER_TABLE, budget)
        if take == 0:
            found[shown] = UNKNOWN
            continue
        sample = _newest(tx, name, take)
        budget -= len(sample)
        found[shown] = table_shape(sample, id_table)
    return found


def _newest(tx: Transaction, table: str, count: int) -> list[dict[str, Any]]:
    rows = tx.rows(table, BY_CREATION_TIME, order="desc", prefetch=count)
    return [row for row, _ in zip(rows, range(count), strict=False)]


def delete_tables(
    tx: Transaction,
    component: str,
    component_id: str | None,
    names: list[str],
    declared: Collection[str],
) -> None:
    """Delete the user tables `names` of the component at `component` (documents and
    indexes) and record it in the audit log, all in `tx`. A missing table is skipped; a
    system table, an invalid name or a table the active or a pending schema declares
    (`declared`) refuses the whole request."""
    for name in names:
        if name.startswith("_"):
            raise SystemTableDeletion(f"System table {name!r} cannot be deleted.")
        check_table_name(name)
        if name in declared:
            raise TableInSchema(
                f"Table {name!r} is declared in the schema: remove it from schema.ts and push "
                "before deleting it."
            )
    namespace = TableNamespace(component)
    for name in names:
        table = tx.table(namespace.engine_name(name))
        if table is not None:
            tx.set_table_state(table, DELETING)
    audit_log.record(
        tx,
        "delete_tables",
        {
            "component_id": component_id or None,
            "component": component or None,
            "table_names": names,
        },
    )


def delete_component(tx: Transaction, component_id: str | None) -> None:
    """Delete the unmounted component instance `component_id` names, with its unmounted
    descendants and every table of theirs (their files' metadata and scheduled jobs too), in
    `tx` with its audit event, as upstream's `/api/delete_component` does. The root app and
    an instance that is mounted, or has a mounted descendant, are refused; a later push that
    mounts the path again starts it empty."""
    component = component_ids.path_of(tx, component_id)
    if not component:
        raise ComponentDeletionRefused(
            "The root app cannot be deleted; only unmounted components can."
        )
    below = component + SEPARATOR
    doomed = [
        doc
        for doc in components.all_instances(tx)
        if doc["path"] == component or doc["path"].startswith(below)
    ]
    if any(doc["state"] != components.UNMOUNTED for doc in doomed):
        raise ComponentMustBeUnmounted("Component must be unmounted before deletion")
    paths = {doc["path"] for doc in doomed}
    for name, table in list(tx.registry.tables_by_name.items()):
        if component_of_table(name) in paths:
            tx.set_table_state(table, DELETING)
    for doc in doomed:
        tx.delete(doc["_id"])
    audit_log.record(tx, "delete_component", audit_log.component_fields(component_id, component))
