"""The system queries `npx convex data` and `npx convex dev` read tables with (spec/operator.md
§3.3): the table list, a table's documents a page at a time, a table's size, and a value
that changes whenever a table does. They read through the query's transaction, so they
are reactive like user queries; `tableData` is a paginated query with the same journal.
"""

from __future__ import annotations

import random
from typing import Any

from convexlite.functions.definitions import FunctionDefinition
from convexlite.functions.environment import Environment
from convexlite.functions.system.defining import PAGINATION, page, query
from convexlite.functions.validators import v


def _tables(env: Environment, args: Any) -> dict[str, Any]:
    """The tables of the namespace the query runs in (a component's with `componentPath`)."""
    assert env.db is not None
    namespace = env.db.namespace
    names = sorted(
        shown
        for name in env.db.tx.user_table_names()
        if (shown := namespace.user_name(name)) is not None
    )
    return {"page": [{"name": name} for name in names], "isDone": True, "continueCursor": "end"}


def _table_data(env: Environment, args: Any) -> dict[str, Any]:
    source = {"type": "FullTableScan", "tableName": args["table"], "order": args["order"]}
    return page(env, {"source": source, "operators": []}, args["paginationOpts"])


def _table_size(env: Environment, args: Any) -> float:
    """Counted without reading the documents: cheap, within any read budget, and re-run by
    every write to the table."""
    assert env.db is not None
    return float(env.db.count(args["tableName"]))


def _query_table(env: Environment, args: Any) -> float:
    """Upstream answers `Math.random()` after reading the whole table: any write to it
    re-runs the query and changes the value, which wakes `npx convex dev` up. Counting the
    table depends on all of it as a read would."""
    assert env.db is not None
    env.db.count(args["tableName"])
    return random.random()


def definitions() -> list[FunctionDefinition]:
    return [
        query("_system/cli/tables:default", _tables, {"paginationOpts": PAGINATION}),
        query(
            "_system/cli/tableData:default",
            _table_data,
            {
                "table": v.string(),
                "order": v.union(v.literal("asc"), v.literal("desc")),
                "paginationOpts": PAGINATION,
            },
        ),
        query("_system/cli/tableSize:default", _table_size, {"tableName": v.string()}),
        query("_system/cli/queryTable:default", _query_table, {"tableName": v.string()}),
    ]
