"""The deployment's history (spec/operator.md §2.4, §2.9, §3.1, §3.2): the audit log read back.

`paginatedDeploymentEvents` pages through `_deployment_audit_log` newest first between
inclusive date bounds (ms), optionally only some `actions`; the History page lists it
and the Logs page interleaves it with function logs. The audit log is a private system
table (user code never reads it), so these queries page through it with `private_ok`.
Upstream clamps `minDate` to its audit-log retention; convexlite keeps every event.
"""

from __future__ import annotations

import itertools
from typing import Any

from convexlite.database.intervals import Interval, successor_of_prefix
from convexlite.functions.definitions import FunctionDefinition
from convexlite.functions.environment import Environment
from convexlite.functions.system.audit_log import AUDIT_LOG, PUSH_ACTIONS
from convexlite.functions.system.defining import (
    COMPONENT_ID,
    PAGINATION,
    by_creation_time,
    page,
    query,
)
from convexlite.functions.validators import v
from convexlite.values import sort_key
from convexlite.values.json_codec import encode

FILTERS = v.object(
    {
        "minDate": v.number(),
        "maxDate": v.optional(v.number()),
        "authorMemberIds": v.optional(v.array(v.int64())),
        "actions": v.optional(v.array(v.string())),
    }
)
MAX_EVENTS_FROM_TIME = 1000


def _any_of(field: str, values: list[Any]) -> dict[str, Any]:
    """A Query JSON filter: `field` equals one of `values`."""
    return {
        "filter": {
            "$or": [{"$eq": [{"$field": field}, {"$literal": encode(value)}]} for value in values]
        }
    }


def _paginated_events(env: Environment, args: Any) -> dict[str, Any]:
    filters = args["filters"]
    operators = []
    if filters.get("actions") is not None:
        operators.append(_any_of("action", filters["actions"]))
    if filters.get("authorMemberIds") is not None:
        operators.append(_any_of("member_id", filters["authorMemberIds"]))
    source = by_creation_time(
        AUDIT_LOG, "desc", filters["minDate"], filters.get("maxDate"), tuple(operators)
    )
    return page(env, source, args["paginationOpts"], private_ok=True)


def _last_push_event(env: Environment, args: Any) -> dict[str, Any] | None:
    """The newest push event, null before the first push."""
    assert env.db is not None
    events = env.db.tx.rows(AUDIT_LOG, order="desc")
    return next((event for event in events if event["action"] in PUSH_ACTIONS), None)


def _events_from_time(env: Environment, args: Any) -> list[dict[str, Any]]:
    """The events after `fromTimestamp` (ms), oldest first, at most `MAX_EVENTS_FROM_TIME`."""
    assert env.db is not None
    after = successor_of_prefix(sort_key(float(args["fromTimestamp"])))
    if after is None:
        return []
    events = env.db.tx.rows(AUDIT_LOG, interval=Interval(after, None))
    return list(itertools.islice(events, MAX_EVENTS_FROM_TIME))


def definitions() -> list[FunctionDefinition]:
    return [
        query(
            "_system/frontend/paginatedDeploymentEvents:default",
            _paginated_events,
            {"paginationOpts": PAGINATION, "filters": FILTERS},
        ),
        query(
            "_system/frontend/deploymentEvents:lastPushEvent",
            _last_push_event,
            {"componentId": COMPONENT_ID},
        ),
        query(
            "_system/frontend/listDeploymentEventsFromTime:default",
            _events_from_time,
            {"fromTimestamp": v.number()},
        ),
    ]
