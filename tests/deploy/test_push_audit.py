"""What a push writes to the deployment audit log (spec/operator.md §3.4), through an engine with
a fake analyzer, read back through `_system/frontend/paginatedDeploymentEvents` as an admin:
one `push_config_with_components` event per finished push, carrying the diffs `finish_push`
reports, committed with the push (a refused push records nothing)."""

from __future__ import annotations

from typing import Any

from engine_pushes import STRING, insert, push, refusal
from fake_analyzer import MESSAGES, analyzed, fn, module, push_body, schema_json

from convexlite.engine import Engine

NOTES = module("notes.js", analyzed(fn("all")))
INDEXED = schema_json(
    {"messages": {"fields": {"author": STRING}, "indexes": {"by_author": ["author"]}}}
)


def pushes(engine: Engine) -> list[dict[str, Any]]:
    """The push events, newest first, as the History page reads them."""
    result = engine.runner.run_query(
        "_system/frontend/paginatedDeploymentEvents:default",
        {
            "paginationOpts": {"numItems": 50, "cursor": None},
            "filters": {"minDate": 0, "actions": ["push_config_with_components"]},
        },
        internal_ok=True,
    ).value
    events: list[dict[str, Any]] = result["page"]
    return events


def root_diff(event: dict[str, Any]) -> dict[str, Any]:
    [root] = event["metadata"]["component_diffs"]
    assert root["component_path"] is None
    diff: dict[str, Any] = root["component_diff"]
    return diff


def test_each_push_records_its_module_index_and_schema_diffs(engine: Engine) -> None:
    push(engine, push_body([MESSAGES]))
    [first] = pushes(engine)
    assert first["member_id"] is None
    assert root_diff(first)["diffType"] == {"type": "create"}
    assert root_diff(first)["moduleDiff"] == {"added": ["messages.js"], "removed": []}
    assert root_diff(first)["schemaDiff"] is None

    _, _, finished = push(engine, push_body([NOTES], schema=INDEXED))
    latest, earlier = pushes(engine)
    assert earlier == first
    diff = root_diff(latest)
    assert diff == finished["componentDiffs"][""]
    assert diff["diffType"] == {"type": "modify"}
    assert diff["moduleDiff"] == {"added": ["notes.js"], "removed": ["messages.js"]}
    assert diff["indexDiff"]["added_indexes"] == [
        {"name": "messages.by_author", "type": "database", "fields": ["author"]}
    ]
    assert diff["schemaDiff"]["previous_schema"] is None
    assert "by_author" in diff["schemaDiff"]["next_schema"]
    assert latest["metadata"]["auth_diff"] == {"added": [], "removed": []}
    last = engine.runner.run_query(
        "_system/frontend/deploymentEvents:lastPushEvent", {}, internal_ok=True
    ).value
    assert last == latest


def test_a_refused_push_records_nothing(engine: Engine) -> None:
    push(engine, push_body([MESSAGES]))
    insert(engine, "messages", {"author": 7})
    started = engine.push("start_push", push_body([MESSAGES], schema=INDEXED))
    engine.push("wait_for_schema", {"schemaChange": started["schemaChange"]})
    refusal(engine, "finish_push", {"startPush": started, "dryRun": False})
    assert len(pushes(engine)) == 1
    push(engine, push_body([MESSAGES], dry_run=True))
    assert len(pushes(engine)) == 1
