"""Search features of a project pushed by the real CLI (tests/push/projects/search_features),
called with the npm `ConvexHttpClient`: staged search and vector indexes, the search
counters of the log entries' `usageStats`, and search and vector indexes of a component's
own schema (docs/search.md, docs/vector-search.md)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from push_harness import Deployment, serve_project

from convexlite.values import sort_key

STAGED_TEXT = (
    "Index notes.staged_body is currently staged and not available to query until it is enabled."
)
STAGED_VECTOR = (
    "Index notes.staged_embedding is currently staged and not available to query until it "
    "is enabled."
)


@pytest.fixture(scope="module")
def pushed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Deployment, str]]:
    """The deployment, and what its first `npx convex deploy` printed."""
    deployment = serve_project(tmp_path_factory.mktemp("search_features"), "search_features")
    try:
        yield deployment, deploy(deployment)
    finally:
        deployment.served.stop()


@pytest.fixture(scope="module")
def deployment(pushed: tuple[Deployment, str]) -> Deployment:
    return pushed[0]


def deploy(deployment: Deployment) -> str:
    done = deployment.cli("deploy", "-y", "--typecheck", "disable")
    return done.stdout + done.stderr


def edit(deployment: Deployment, path: str, old: str, new: str) -> None:
    file = deployment.project / "convex" / path
    text = file.read_text()
    assert old in text
    file.write_text(text.replace(old, new))


def usage_of(deployment: Deployment, identifier: str) -> dict[str, int]:
    """The `usageStats` of the last execution of the app's `identifier`."""
    entries = [
        e for e in deployment.completions()
        if e["identifier"] == identifier and e["componentPath"] is None
    ]  # fmt: skip
    assert entries, identifier
    usage: dict[str, int] = entries[-1]["usageStats"]
    return usage


def calls(deployment: Deployment, *batch: tuple[str, str, dict[str, Any]]) -> list[Any]:
    """The results of `batch`'s calls, made in order by one client process."""
    return deployment.node(
        json.dumps([{"kind": kind, "path": path, "args": args} for kind, path, args in batch])
    )


def values(deployment: Deployment, *batch: tuple[str, str, dict[str, Any]]) -> list[Any]:
    """`calls`' values, asserting each call succeeded."""
    results = calls(deployment, *batch)
    assert all(r["ok"] for r in results), results
    return [r["value"] for r in results]


def test_usage_stats_count_what_searches_read_and_writes_put_in_indexes(
    deployment: Deployment,
) -> None:
    # The first note of the app's table: the indexes hold it alone.
    note = {"body": "hello world", "shelf": "a", "embedding": [1.0, 0.0]}
    added, found, hits = values(
        deployment,
        ("mutation", "notes:add", note),
        ("query", "notes:search", {"text": "hello"}),
        ("action", "notes:similar", {"vector": [1.0, 0.0]}),
    )
    assert found == ["hello world"] and [h["_id"] for h in hits] == [added]
    filter_bytes = len(sort_key("a"))
    usage = usage_of(deployment, "notes:add")
    # the search field's text and the filter value, for the one enabled search index
    assert usage["textIndexWriteQueryBytes"] == len("hello world") + filter_bytes
    # the document, and per enabled vector index a float32 vector and an id of 48 bytes
    assert usage["vectorIndexWriteBytes"] > len("hello world")
    assert usage["vectorIndexWriteQueryBytes"] == 2 * 4 + 48

    usage = usage_of(deployment, "notes:search")
    assert usage["textIndexQueryBytes"] == len("hello") + len("world") + filter_bytes
    assert usage["databaseReadDocuments"] == 1
    assert usage["vectorIndexReadBytes"] == usage["textIndexWriteQueryBytes"] == 0

    usage = usage_of(deployment, "notes:similar")
    assert usage["vectorIndexReadBytes"] == 32 + 4  # one result: an id and a score
    assert usage["vectorIndexReadQueryBytes"] == 1 * 2 * 4  # one vector searched
    assert usage["textIndexQueryBytes"] == 0

    doomed = deployment.value("mutation", "notes:add", {**note, "body": "to delete"})
    deployment.value("mutation", "notes:remove", {"id": doomed})
    usage = usage_of(deployment, "notes:remove")
    assert usage["databaseWriteDocuments"] == 1
    assert usage["textIndexWriteQueryBytes"] == usage["vectorIndexWriteQueryBytes"] == 0


def test_staged_indexes_are_refused_with_upstreams_error(deployment: Deployment) -> None:
    text, vector, enabled = calls(
        deployment,
        ("query", "notes:search", {"text": "hello", "index": "staged_body"}),
        ("action", "notes:similar", {"vector": [1.0, 0.0], "index": "staged_embedding"}),
        ("query", "notes:search", {"text": "hello"}),
    )
    assert not text["ok"] and STAGED_TEXT in text["message"], text
    assert not vector["ok"] and STAGED_VECTOR in vector["message"], vector
    assert enabled["value"] == ["hello world"]


def system_query(deployment: Deployment, path: str, args: dict[str, Any]) -> Any:
    """A system query's value over HTTP with the admin key, as the dashboard calls it."""
    answer = httpx.post(
        f"{deployment.url}/api/query",
        json={"path": path, "args": args, "format": "json"},
        headers={"Authorization": f"Convex {deployment.admin_key}"},
    ).json()
    assert answer["status"] == "success", answer
    return answer["value"]


def listed_indexes(deployment: Deployment, component: str | None) -> dict[str, Any]:
    """`_system/frontend/indexes` of the `notes` table of the app (None) or a component id:
    each index's staged flag, backfill state and fields, by name."""
    indexes = system_query(
        deployment,
        "_system/frontend/indexes:default",
        {"tableName": "notes", "tableNamespace": component},
    )
    return {i["name"]: (i["staged"], i["backfill"]["state"], i["fields"]) for i in indexes}


def test_search_indexes_are_listed_staged_ones_as_staged(pushed: tuple[Deployment, str]) -> None:
    deployment, output = pushed
    assert "(staged)" in output, output
    assert listed_indexes(deployment, None) == {
        "search_body": (False, "done", {"searchField": "body", "filterFields": ["shelf"]}),
        "staged_body": (True, "backfilled", {"searchField": "body", "filterFields": []}),
        "by_embedding": (
            False, "done", {"vectorField": "embedding", "filterFields": ["shelf"], "dimensions": 2}
        ),
        "staged_embedding": (
            True, "backfilled", {"vectorField": "embedding", "filterFields": [], "dimensions": 2}
        ),
    }  # fmt: skip
    components = system_query(deployment, "_system/frontend/components:list", {})
    library = next(c["id"] for c in components if c["path"] == "library")
    assert listed_indexes(deployment, library) == {
        "search_body": (False, "done", {"searchField": "body", "filterFields": ["shelf"]}),
        "by_embedding": (
            False, "done", {"vectorField": "embedding", "filterFields": ["shelf"], "dimensions": 2}
        ),
    }  # fmt: skip


def test_the_indexes_of_a_components_schema_are_its_own(deployment: Deployment) -> None:
    *library, book, hello, shelved, in_app, nearest, app_hits = values(
        deployment,
        ("mutation", "notes:addToLibrary",
         {"body": "library book", "shelf": "x", "embedding": [0.0, 1.0]}),
        ("mutation", "notes:addToLibrary",
         {"body": "hello library", "shelf": "y", "embedding": [1.0, 0.0]}),
        ("query", "notes:searchLibrary", {"text": "book"}),
        ("query", "notes:searchLibrary", {"text": "hello world"}),
        ("query", "notes:searchLibrary", {"text": "library", "shelf": "x"}),
        ("query", "notes:search", {"text": "library"}),
        ("action", "notes:similarInLibrary", {"vector": [1.0, 0.0]}),
        ("action", "notes:similar", {"vector": [0.0, 1.0]}),
    )  # fmt: skip
    assert book == ["library book"] and shelved == ["library book"]
    assert hello == ["hello library"]  # not the app's "hello world"
    assert in_app == []
    assert nearest == ["hello library", "library book"]
    assert len(app_hits) == 1 and app_hits[0]["_id"] not in library  # the app's one note


SEARCH_ALL = ("query", "notes:searchLibrary", {"text": "library", "index": "search_all"})
BY_VECTOR = ("action", "notes:similarInLibrary", {"vector": [0.0, 1.0], "index": "by_vector"})


def test_a_component_index_added_later_is_backfilled(deployment: Deployment) -> None:
    [missing] = calls(deployment, SEARCH_ALL)
    assert not missing["ok"] and "Index notes.search_all not found." in missing["message"]
    edit(deployment, "library/schema.ts", LIBRARY_INDEXES, MORE_LIBRARY_INDEXES)
    deploy(deployment)
    found, nearest = values(deployment, SEARCH_ALL, BY_VECTOR)
    assert sorted(found) == ["hello library", "library book"]
    assert nearest[0] == "library book"


LIBRARY_INDEXES = (
    '    .vectorIndex("by_embedding", { vectorField: "embedding", dimensions: 2, '
    'filterFields: ["shelf"] })'
)
MORE_LIBRARY_INDEXES = (
    LIBRARY_INDEXES + '\n    .searchIndex("search_all", { searchField: "body" })\n'
    '    .vectorIndex("by_vector", { vectorField: "embedding", dimensions: 2 })'
)


def test_unstaging_enables_an_index_and_a_components_removed_index_is_dropped(
    deployment: Deployment,
) -> None:
    edit(deployment, "schema.ts", 'searchField: "body", staged: true', 'searchField: "body"')
    edit(deployment, "schema.ts", "dimensions: 2, staged: true", "dimensions: 2")
    edit(deployment, "library/schema.ts", MORE_LIBRARY_INDEXES, LIBRARY_INDEXES)
    deploy(deployment)
    unstaged, hits, search_all, by_vector = calls(
        deployment,
        ("query", "notes:search", {"text": "hello", "index": "staged_body"}),
        ("action", "notes:similar", {"vector": [1.0, 0.0], "index": "staged_embedding"}),
        SEARCH_ALL,
        BY_VECTOR,
    )
    assert unstaged["value"] == ["hello world"] and len(hits["value"]) == 1
    assert "Index notes.search_all not found." in search_all["message"], search_all
    assert "Index notes.by_vector not found." in by_vector["message"], by_vector
