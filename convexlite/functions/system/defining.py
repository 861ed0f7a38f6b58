"""How a system function is declared, and what the dashboard's system functions share
(spec/operator.md §3, "Conventions").

Every system function is registered as not public, so only an admin identity may call
it; anyone else gets the usual "Could not find public function" (`FunctionRunner.resolve`).
Each is declared with an arguments validator, so unknown or mistyped arguments are refused
as upstream's are. Paginated ones take the `paginationOpts` of `usePaginatedQuery` and
page through `env.db`, the query's own transaction, so the page is reactive and keeps its
boundaries (the journal) when a live query re-runs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from convexlite.functions.definitions import FunctionDefinition, FunctionKind
from convexlite.functions.environment import Environment
from convexlite.functions.validators import Validator, args_validator, v

Handler = Callable[[Environment, Any], Any]

COMPONENT_ID = v.optional(v.union(v.string(), v.null()))
"""`componentId`: run in that component (`component_scope.py`); null or absent, the app."""

PAGINATION = v.object(
    {
        "numItems": v.number(),
        "cursor": v.union(v.string(), v.null()),
        "endCursor": v.optional(v.union(v.string(), v.null())),
        "id": v.optional(v.number()),
        "maximumRowsRead": v.optional(v.number()),
        "maximumBytesRead": v.optional(v.number()),
    }
)
"""`paginationOptsValidator` of the `convex` package (`usePaginatedQuery` sends `id`)."""
MAXIMUM_ROWS_READ = 10_000
MAXIMUM_BYTES_READ = 5_000_000
"""The read budget of a page of the system functions that browse a table (upstream's)."""


def query(path: str, handler: Handler, args: Mapping[str, Validator]) -> FunctionDefinition:
    return _define(path, FunctionKind.QUERY, handler, args)


def mutation(path: str, handler: Handler, args: Mapping[str, Validator]) -> FunctionDefinition:
    return _define(path, FunctionKind.MUTATION, handler, args)


def _define(
    path: str, kind: FunctionKind, handler: Handler, args: Mapping[str, Validator]
) -> FunctionDefinition:
    return FunctionDefinition(path, kind, False, handler, handler, args=args_validator(dict(args)))


def page(
    env: Environment, query_json: Mapping[str, Any], options: Mapping[str, Any], **kwargs: Any
) -> dict[str, Any]:
    """One page of `query_json` as `paginationOpts` ask, within upstream's budget."""
    assert env.db is not None
    return env.db.query_page(
        query_json,
        options.get("cursor"),
        int(options["numItems"]),
        end_cursor=options.get("endCursor"),
        maximum_rows_read=int(options.get("maximumRowsRead") or MAXIMUM_ROWS_READ),
        maximum_bytes_read=int(options.get("maximumBytesRead") or MAXIMUM_BYTES_READ),
        **kwargs,
    ).to_dict()


def by_creation_time(
    table: str,
    order: str,
    lowest: float | None = None,
    highest: float | None = None,
    operators: tuple[dict[str, Any], ...] = (),
) -> dict[str, Any]:
    """The Query JSON reading `table` in creation order within `[lowest, highest]` (ms)."""
    bounds = [
        {"type": op, "fieldPath": "_creationTime", "value": float(bound)}
        for op, bound in (("Gte", lowest), ("Lte", highest))
        if bound is not None
    ]
    return {
        "source": {
            "type": "IndexRange",
            "indexName": f"{table}.by_creation_time",
            "range": bounds,
            "order": order,
        },
        "operators": list(operators),
    }
