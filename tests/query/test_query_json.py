from __future__ import annotations

import copy

import pytest

from convexlite.errors import BadRequestError
from convexlite.query.expressions import InvalidQueryJson
from convexlite.query.filter_builder import q
from convexlite.query.index_range import RangeExpr
from convexlite.query.query_json import (
    Filter,
    FullTableScan,
    IndexRange,
    Limit,
    Query,
    Search,
    SearchFilter,
    parse_query,
    query_fingerprint,
    query_to_json,
)
from convexlite.values import UNDEFINED, Int64

SPEC_EXAMPLE = {
    "source": {
        "type": "IndexRange",
        "indexName": "messages.by_author",
        "range": [
            {"type": "Eq", "fieldPath": "author", "value": "bob"},
            {"type": "Gt", "fieldPath": "_creationTime", "value": 1700000000000},
        ],
        "order": "desc",
    },
    "operators": [
        {
            "filter": {
                "$and": [
                    {"$eq": [{"$field": "author"}, {"$literal": "bob"}]},
                    {"$gt": [{"$field": "n"}, {"$literal": 3}]},
                ]
            }
        },
        {"limit": 10},
    ],
}


def test_parse_spec_example() -> None:
    query = parse_query(SPEC_EXAMPLE)
    source = query.source
    assert isinstance(source, IndexRange)
    assert source.index_name == "messages.by_author"
    assert source.table_name == "messages" and source.index_descriptor == "by_author"
    assert source.order == "desc"
    assert source.range == [
        RangeExpr("Eq", "author", "bob"),
        RangeExpr("Gt", "_creationTime", 1700000000000.0),
    ]
    assert query.operators[1] == Limit(10)
    assert isinstance(query.operators[0], Filter)
    assert query.operators[0].expr.matches({"author": "bob", "n": 4.0})
    assert query.table_name == "messages"
    assert query_to_json(query) == SPEC_EXAMPLE


def test_round_trip_normalizes_order() -> None:
    obj = {"source": {"type": "FullTableScan", "tableName": "m", "order": None}, "operators": []}
    query = parse_query(obj)
    assert query == Query(FullTableScan("m", "asc"), [])
    assert query_to_json(query) == {
        "source": {"type": "FullTableScan", "tableName": "m", "order": "asc"},
        "operators": [],
    }
    obj2 = {"source": {"type": "IndexRange", "indexName": "m.by_x", "range": []}, "operators": []}
    assert query_to_json(parse_query(obj2))["source"]["order"] == "asc"


def test_round_trip_is_stable() -> None:
    cases = [
        SPEC_EXAMPLE,
        {"source": {"type": "FullTableScan", "tableName": "m", "order": "desc"}, "operators": []},
        {
            "source": {
                "type": "IndexRange",
                "indexName": "m.by_creation_time",
                "range": [
                    {"type": "Gte", "fieldPath": "_creationTime", "value": {"$undefined": None}},
                    {
                        "type": "Lt",
                        "fieldPath": "_creationTime",
                        "value": {"$float": "AAAAAAAA8H8="},
                    },
                ],
                "order": "asc",
            },
            "operators": [{"limit": 0}, {"filter": {"$literal": True}}, {"limit": 5}],
        },
        {
            "source": {
                "type": "Search",
                "indexName": "m.search_body",
                "filters": [
                    {"type": "Search", "fieldPath": "body", "value": "hello wor"},
                    {"type": "Eq", "fieldPath": "channel", "value": {"$integer": "AgAAAAAAAAA="}},
                    {"type": "Eq", "fieldPath": "c.d", "value": {"$undefined": None}},
                ],
            },
            "operators": [],
        },
    ]
    for obj in cases:
        once = query_to_json(parse_query(copy.deepcopy(obj)))
        assert query_to_json(parse_query(once)) == once
        assert once == obj


def test_search_source() -> None:
    obj = {
        "source": {
            "type": "Search",
            "indexName": "m.search_body",
            "filters": [
                {"type": "Search", "fieldPath": "body", "value": "hi"},
                {"type": "Eq", "fieldPath": "channel", "value": {"$integer": "AgAAAAAAAAA="}},
            ],
        },
        "operators": [],
    }
    query = parse_query(obj)
    assert query.source == Search(
        "m.search_body",
        [SearchFilter("Search", "body", "hi"), SearchFilter("Eq", "channel", Int64(2))],
    )
    assert query.table_name == "m"


def _scan(**extra: object) -> dict:
    return {"source": {"type": "FullTableScan", "tableName": "m", "order": "asc", **extra}}


@pytest.mark.parametrize(
    "obj",
    [
        None,
        [],
        {"source": {"type": "FullTableScan", "tableName": "m"}},
        {**_scan(), "operators": {}},
        {**_scan(order="up"), "operators": []},
        {"source": {"type": "FullTableScan", "tableName": ""}, "operators": []},
        {"source": {"type": "FullTableScan"}, "operators": []},
        {"source": {"type": "TableScan", "tableName": "m"}, "operators": []},
        {"source": {"type": "IndexRange", "indexName": "m", "range": []}, "operators": []},
        {"source": {"type": "IndexRange", "indexName": "m.a.b", "range": []}, "operators": []},
        {"source": {"type": "IndexRange", "indexName": ".by_a", "range": []}, "operators": []},
        {"source": {"type": "IndexRange", "indexName": "m.by_a"}, "operators": []},
        {
            "source": {"type": "Search", "indexName": "m.s", "filters": [{"type": "Search"}]},
            "operators": [],
        },
        {
            "source": {
                "type": "Search",
                "indexName": "m.s",
                "filters": [{"type": "Search", "fieldPath": "b", "value": 5}],
            },
            "operators": [],
        },
        {**_scan(), "operators": [{"limit": -1}]},
        {**_scan(), "operators": [{"limit": 1.5}]},
        {**_scan(), "operators": [{"limit": True}]},
        {**_scan(), "operators": [{"limit": "3"}]},
        {**_scan(), "operators": [{"skip": 3}]},
        {**_scan(), "operators": [{"limit": 3, "filter": {"$literal": True}}]},
        {**_scan(), "operators": [{"filter": {"$bogus": 1}}]},
        {**_scan(), "operators": [{"limit": 1}] * 257},
    ],
)
def test_parse_rejects(obj: object) -> None:
    with pytest.raises(BadRequestError):
        parse_query(obj)


def test_operator_limit() -> None:
    parse_query({**_scan(), "operators": [{"limit": 1}] * 256})
    with pytest.raises(InvalidQueryJson, match="Query has too many operators: 257"):
        parse_query({**_scan(), "operators": [{"limit": 1}] * 257})
    assert parse_query({**_scan(), "operators": [{"limit": 4.0}]}).operators == [Limit(4)]


def test_python_built_query_matches_json() -> None:
    built = Query(
        IndexRange(
            "messages.by_author",
            [RangeExpr("Eq", "author", "bob"), RangeExpr("Gt", "_creationTime", 1700000000000)],
            "desc",
        ),
        [Filter(q.and_(q.eq(q.field("author"), "bob"), q.gt(q.field("n"), 3))), Limit(10)],
    )
    assert query_to_json(built) == SPEC_EXAMPLE
    assert built == parse_query(SPEC_EXAMPLE)


def test_fingerprint() -> None:
    fields = ["author", "_creationTime"]
    fp = query_fingerprint(parse_query(SPEC_EXAMPLE), fields)
    assert isinstance(fp, bytes) and len(fp) == 32
    same = copy.deepcopy(SPEC_EXAMPLE)
    same["source"]["range"][1]["value"] = 1700000000000.0
    assert query_fingerprint(parse_query(same), fields) == fp

    changed = copy.deepcopy(SPEC_EXAMPLE)
    changed["source"]["range"][0]["value"] = "alice"
    assert query_fingerprint(parse_query(changed), fields) != fp
    assert query_fingerprint(parse_query(SPEC_EXAMPLE), ["author"]) != fp

    as_int = copy.deepcopy(SPEC_EXAMPLE)
    as_int["source"]["range"][1]["value"] = {"$integer": "AQAAAAAAAAA="}
    assert query_fingerprint(parse_query(as_int), fields) != fp

    scan_null = {
        "source": {"type": "FullTableScan", "tableName": "m", "order": None},
        "operators": [],
    }
    scan_asc = {
        "source": {"type": "FullTableScan", "tableName": "m", "order": "asc"},
        "operators": [],
    }
    assert query_fingerprint(parse_query(scan_null), ["_creationTime"]) == query_fingerprint(
        parse_query(scan_asc), ["_creationTime"]
    )
    undefined = Query(IndexRange("m.by_a", [RangeExpr("Eq", "a", UNDEFINED)]), [])
    null = Query(IndexRange("m.by_a", [RangeExpr("Eq", "a", None)]), [])
    assert query_fingerprint(undefined, ["a"]) != query_fingerprint(null, ["a"])
