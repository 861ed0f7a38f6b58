"""How a system function is declared: an admin-only query or mutation with an args
validator, and the validators several of them share (spec/operator.md §3, conventions).

Every system function is registered as not public, so only an admin identity may call
it; anyone else gets the usual "Could not find public function" (`FunctionRunner.resolve`).
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
    return FunctionDefinition(
        path, FunctionKind.QUERY, False, handler, handler, args=args_validator(dict(args))
    )


def mutation(path: str, handler: Handler, args: Mapping[str, Validator]) -> FunctionDefinition:
    return FunctionDefinition(
        path, FunctionKind.MUTATION, False, handler, handler, args=args_validator(dict(args))
    )
