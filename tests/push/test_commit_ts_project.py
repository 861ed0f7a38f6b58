"""Commit-timestamp placeholders (`db.vars.commitTs`, `v.commitTs()`, convex 1.48) in a pushed
TypeScript project, through the official client and the real CLI (functions.md §3.3.3)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from push_harness import Deployment, served_and_deployed

from convexlite.values import Int64, decode


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    yield from served_and_deployed(tmp_path_factory.mktemp("commit_ts"), "commit_ts")


def test_a_mutation_stamps_documents_with_its_commit_ts(deployment: Deployment) -> None:
    first = decode(deployment.value("mutation", "stamps:stampTwo", {"batch": "one"}))
    # Inside the mutation the documents hold the placeholder, and an index range on the
    # placeholder finds exactly what this mutation stamped.
    assert first["readBackIsPlaceholder"] is True
    assert first["sameTxIds"] == first["ids"][:1]
    assert "unresolved" in first["unresolved"]
    second = decode(deployment.value("mutation", "stamps:stampTwo", {"batch": "two"}))

    one = decode(deployment.value("query", "stamps:batch", {"batch": "one"}))
    two = decode(deployment.value("query", "stamps:batch", {"batch": "two"}))
    [a1, b1], [a2, b2] = one, two
    ts1, ts2 = a1["at"], a2["at"]
    assert type(ts1) is Int64 and type(ts2) is Int64
    # The same timestamp for every placeholder of one mutation, at any depth ...
    assert b1["nested"] == {"list": [ts1, Int64(1)]} and b1["at"] == Int64(0)
    assert b2["nested"] == {"list": [ts2, Int64(1)]}
    # ... after the snapshot the mutation read and after its documents' creation times
    # (ns vs ms), and a later mutation commits later.
    assert ts1 > first["snapshotTs"] and ts2 > second["snapshotTs"]
    assert ts1 >= int(a1["ct"] * 1_000_000) - 1_000_000
    assert ts2 > ts1 and ts2 >= second["snapshotTs"] > ts1 - 1
    # The index holds the resolved values: a range from ts2 finds the second stamp only.
    assert deployment.value("query", "stamps:since", {"at": {"$integer": _b64(ts2)}}) == [a2["id"]]
    assert set(deployment.value("query", "stamps:since", {"at": {"$integer": _b64(ts1)}})) == {
        a1["id"],
        a2["id"],
    }


def test_a_failed_mutation_leaves_no_stamp(deployment: Deployment) -> None:
    failed = deployment.call("mutation", "stamps:failAfterStamping", {"batch": "failed"})
    assert not failed["ok"] and "rolled back" in failed["message"]
    assert deployment.value("query", "stamps:batch", {"batch": "failed"}) == []


def test_clients_may_not_send_the_placeholder(deployment: Deployment) -> None:
    # The npm client encodes the placeholder as {"$commitTs": null}; the server refuses it.
    for path in ("stamps:echo", "stamps:writePlain"):
        args = {"n": {"$commitTs": None}}
        refused = deployment.call("mutation", path, args)
        assert not refused["ok"], refused
        assert "$commitTs" in refused["message"]
    # Nested too, over plain HTTP.
    answer = httpx.post(
        f"{deployment.url}/api/mutation",
        json={"path": "stamps:echo", "args": [{"x": [{"$commitTs": None}]}], "format": "json"},
    )
    assert "$commitTs" in answer.text and '"success"' not in answer.text
    # A query cannot write it (nor anything else).
    refused = deployment.call("query", "stamps:queryWrites")
    assert not refused["ok"]


def _b64(n: int) -> str:
    from convexlite.values.json_codec import encode_int64

    return encode_int64(n)["$integer"]
