"""Full-text search in a pushed TypeScript project, through the official clients
(docs/search.md): relevance, filters, prefix, pagination, a live query, bad input."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from push_harness import Deployment, served_and_deployed


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    yield from served_and_deployed(tmp_path_factory.mktemp("search"), "search")


@pytest.fixture(scope="module")
def seeded(deployment: Deployment) -> Deployment:
    bodies = ["hello world", "hello hello there", "worldwide news", "goodbye"]
    deployment.value("mutation", "messages:sendMany", {"bodies": bodies, "channel": "#a"})
    deployment.value("mutation", "messages:send", {"body": "hello from b", "channel": "#b"})
    return deployment


def test_relevance_prefix_and_filters(seeded: Deployment) -> None:
    assert seeded.value("query", "messages:search", {"text": "hello", "channel": "#a"}) == [
        "hello hello there",
        "hello world",
    ]
    found = seeded.value("query", "messages:search", {"text": "wor"})
    assert found == ["worldwide news", "hello world"]
    assert seeded.value("query", "messages:search", {"text": "from", "channel": "#a"}) == []


def test_pagination_walks_the_matches_once(seeded: Deployment) -> None:
    seen, cursor = [], None
    while True:
        page = seeded.value(
            "query",
            "messages:page",
            {"text": "hello world", "paginationOpts": {"numItems": 1, "cursor": cursor}},
        )
        seen += [m["body"] for m in page["page"]]
        if page["isDone"]:
            break
        cursor = page["continueCursor"]
    everything = seeded.value("query", "messages:search", {"text": "hello world", "n": 100})
    assert seen == everything and len(everything) == 4


def test_bad_searches_are_refused(seeded: Deployment) -> None:
    descending = seeded.call("query", "messages:descending")
    assert not descending["ok"] and "relevance order" in descending["message"]
    wrong = seeded.call("query", "messages:wrongField")
    assert not wrong["ok"] and "doesn't match the indexed `searchField`" in wrong["message"]


def test_a_mutation_finds_what_it_just_wrote(seeded: Deployment) -> None:
    assert seeded.value("mutation", "messages:sendAndFind", {"body": "fresh"}) == ["fresh"]


def test_a_live_search_updates_when_a_matching_message_arrives(seeded: Deployment) -> None:
    args = json.dumps({"text": "zebra"})
    watcher = seeded.watcher("watch-until", "messages:search", args, json.dumps(["zebra"]))
    try:
        assert watcher.stdout is not None
        assert json.loads(watcher.stdout.readline()) == {"watching": "messages:search"}
        assert json.loads(watcher.stdout.readline())["value"] == []
        seeded.value("mutation", "messages:send", {"body": "zebra", "channel": "#z"})
        out, _ = watcher.communicate(timeout=20)
        assert json.loads(out.splitlines()[-1])["value"] == ["zebra"]
    finally:
        if watcher.poll() is None:
            watcher.kill()
            watcher.wait()


def test_npx_convex_data_shows_a_search_indexed_table(seeded: Deployment) -> None:
    done = seeded.cli("data", "messages", "--format", "jsonLines")
    assert sum(1 for line in done.stdout.splitlines() if '"hello world"' in line) == 1
