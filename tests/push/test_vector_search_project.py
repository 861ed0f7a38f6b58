"""`ctx.vectorSearch` in JavaScript (V8) and `"use node"` actions of a project pushed by the real
CLI, called with the npm `ConvexHttpClient` (spec/platform.md §6.6, §6.7)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from push_harness import Deployment, restart, served_and_deployed


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    root = tmp_path_factory.mktemp("vectors")
    yield from served_and_deployed(
        root, "vectors", env={"CONVEXLITE_NODE_CACHE_DIR": str(root / "node-cache")}
    )


SONGS = [
    ([1.0, 0.0, 0.0], "rock", 1990.0),
    ([0.8, 0.6, 0.0], "jazz", 1959.0),
    ([0.0, 1.0, 0.0], "rock", None),
    ([0.0, 0.0, 1.0], "pop", 2001.0),
]


@pytest.fixture(scope="module")
def songs(deployment: Deployment) -> list[str]:
    calls = []
    for embedding, genre, year in SONGS:
        args: dict[str, Any] = {"embedding": embedding, "genre": genre}
        if year is not None:
            args["year"] = year
        calls.append({"kind": "mutation", "path": "songs:add", "args": args})

    results = deployment.node(json.dumps(calls))
    assert all(r["ok"] for r in results), results
    return [r["value"] for r in results]


def similar(deployment: Deployment, **args: Any) -> list[dict[str, Any]]:
    return deployment.value("action", "songs:similar", args)


def test_results_are_ids_and_cosine_scores_best_first(deployment, songs):
    hits = similar(deployment, vector=[1.0, 0.0, 0.0])
    assert [h["_id"] for h in hits] == [songs[0], songs[1], *sorted(songs[2:])]  # ties by id
    assert [h["_score"] for h in hits] == [1.0, pytest.approx(0.8), 0.0, 0.0]
    assert set(hits[0]) == {"_id", "_score"}
    assert [h["_id"] for h in similar(deployment, vector=[1.0, 0.0, 0.0], limit=2)] == songs[:2]


def test_filters_are_an_or_of_equalities(deployment, songs):
    rock = similar(deployment, vector=[0.0, 1.0, 0.0], filter="genres", genres=["rock"])
    assert [h["_id"] for h in rock] == [songs[2], songs[0]]
    either = similar(
        deployment, vector=[0.0, 0.0, 1.0], filter="genres", genres=["jazz"], year=2001.0
    )
    assert [h["_id"] for h in either] == [songs[3], songs[1]]


def test_writes_before_the_call_are_seen_and_a_missing_table_is_empty(deployment, songs):
    added = deployment.value(
        "mutation", "songs:add", {"embedding": [0.0, 0.0, -1.0], "genre": "metal"}
    )
    hits = similar(deployment, vector=[0.0, 0.0, -1.0], limit=1)
    assert hits == [{"_id": added, "_score": 1.0}]
    deployment.value("mutation", "songs:remove", {"id": added})
    assert added not in [h["_id"] for h in similar(deployment, vector=[0.0, 0.0, -1.0])]
    assert similar(deployment, vector=[1.0, 0.0, 0.0], table="nothing") == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"vector": [1.0, 0.0]}, "Expected a vector with dimensions 3, received 2."),
        ({"limit": 257}, "Vector queries can fetch at most 256 results, requested 257."),
        ({"filter": "genres", "genres": [f"g{i}" for i in range(65)]},
         "Vector query against songs.by_embedding has too many conditions. Max: 64 Actual: 65"),
        ({"filter": "unindexed"},
         'Vector query against songs.by_embedding contains a filter on "embedding" but that '
         "field isn't indexed for filtering in `filterFields`."),
        ({"filter": "bare"}, "Filters should be a combination of `q.eq` and `q.or`."),
    ],
)  # fmt: skip
def test_bad_queries_get_convex_errors(deployment, songs, args, message):
    result = deployment.call("action", "songs:similar", {"vector": [1.0, 0.0, 0.0], **args})
    assert not result["ok"]
    assert message in result["message"], result["message"]


def test_node_actions_search_too(deployment, songs):
    hits = deployment.value(
        "action", "nodeSearch:similar", {"vector": [1.0, 0.0, 0.0], "genre": "jazz"}
    )
    assert [h["_id"] for h in hits] == [songs[1]]


def test_a_restarted_server_still_finds_the_songs(deployment, songs):
    restart(deployment)
    assert [h["_id"] for h in similar(deployment, vector=[0.0, 1.0, 0.0], limit=1)] == [songs[2]]


def test_a_pushed_index_is_backfilled_and_a_removed_one_dropped(deployment, songs):
    schema = deployment.project / "convex" / "schema.ts"
    original = schema.read_text()
    added = original.replace(
        "  }),\n});",
        '  }).vectorIndex("by_2", { vectorField: "embedding", dimensions: 3 }),\n});',
    )
    assert added != original
    schema.write_text(added)
    deployment.cli("deploy", "-y", "--typecheck", "disable")
    hits = similar(deployment, vector=[0.0, 0.0, 1.0], index="by_2", limit=1)
    assert [h["_id"] for h in hits] == [songs[3]]
    schema.write_text(original)
    deployment.cli("deploy", "-y", "--typecheck", "disable")
    result = deployment.call(
        "action", "songs:similar", {"vector": [1.0, 0.0, 0.0], "index": "by_2"}
    )
    assert "Index songs.by_2 not found." in result["message"], result
