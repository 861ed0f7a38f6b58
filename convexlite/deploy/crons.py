"""Cron validation at push (spec/platform.md §3.8, end of spec/functions.md §1.6.1): every
spec of `crons.js` must be valid (`InvalidCron`, the rules a Python `app.crons` declaration
follows too) and schedule an analysed mutation or action of the same push
(`InvalidCronJobs`). The analysis itself does not check crons: this is the one place."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from convexlite.deploy.errors import InvalidCronJobs
from convexlite.functions.cron_spec import cron_target_error, parse_cron_jobs
from convexlite.values.function_paths import display


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
    for identifier, spec in parse_cron_jobs(crons):
        path = spec.function_path
        problem = cron_target_error(identifier, display(path), kinds.get(path))
        if problem is not None:
            raise InvalidCronJobs(problem)
