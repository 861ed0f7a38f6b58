"""Cron validation at push (end of spec/functions.md §1.6.1): every cron job must schedule an
analysed mutation or action of the same push."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from convexlite.deploy.errors import InvalidCronJobs
from convexlite.values.function_paths import InvalidFunctionPath, canonicalize, display


def function_kinds(analysis: Mapping[str, Mapping[str, Any]]) -> dict[str, str]:
    """Canonical UDF path (`messages:list`) → `Query`/`Mutation`/`Action`."""
    kinds = {}
    for module, analyzed in analysis.items():
        stem = module[: -len(".js")] if module.endswith(".js") else module
        for fn in analyzed.get("functions") or []:
            kinds[f"{stem}:{fn['name']}"] = fn.get("udfType")
    return kinds


def validate_crons(analysis: Mapping[str, Mapping[str, Any]], crons: Mapping[str, Any]) -> None:
    kinds = function_kinds(analysis)
    for identifier, spec in crons.items():
        raw = spec.get("udfPath") if isinstance(spec, Mapping) else None
        try:
            path = canonicalize(raw) if isinstance(raw, str) else None
        except InvalidFunctionPath:
            path = None
        kind = kinds.get(path) if path is not None else None
        shown = display(path) if path is not None else repr(raw)
        if kind is None:
            raise InvalidCronJobs(
                f"The cron job '{identifier}' schedules a function that does not exist: {shown}"
            )
        if kind not in ("Mutation", "Action"):
            raise InvalidCronJobs(
                f"The cron job '{identifier}' schedules a query function, only actions and "
                f"mutations can be scheduled: {shown}"
            )
