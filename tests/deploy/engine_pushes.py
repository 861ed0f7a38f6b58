"""Pushes through an engine, step by step as the CLI makes them, for the tests of this directory."""

from __future__ import annotations

from typing import Any

import pytest

from convexlite.deploy.errors import PushError
from convexlite.engine import Engine
from convexlite.errors import ConvexBackendError

STRING = {"type": "string"}


def push(engine: Engine, body: dict[str, Any]) -> tuple[Any, Any, Any]:
    """`start_push`, `wait_for_schema` and `finish_push` of `body`; their answers."""
    started = engine.push("start_push", body)
    waited = engine.push(
        "wait_for_schema", {"schemaChange": started["schemaChange"], "dryRun": body["dryRun"]}
    )
    finished = engine.push("finish_push", {"startPush": started, "dryRun": body["dryRun"]})
    return started, waited, finished


def refusal(engine: Engine, operation: str, body: dict[str, Any]) -> PushError:
    with pytest.raises(ConvexBackendError) as caught:
        engine.push(operation, body)
    error: PushError = caught.value  # type: ignore[assignment]
    return error


def insert(engine: Engine, table: str, doc: dict[str, Any]) -> str:
    value: str = engine.runner.run_in_mutation(lambda ctx: ctx.db.insert(table, doc)).value
    return value
