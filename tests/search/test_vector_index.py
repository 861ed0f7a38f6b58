"""`VectorIndex` and the vector query: exact cosine ranking, filters, and upstream's errors."""

from __future__ import annotations

import math

import numpy as np
import pytest

from convexlite import Int64
from convexlite.search.vector_errors import (
    IncorrectVectorFilterField,
    InvalidVectorSearchFilter,
    TooManyElementsInVectorQueryError,
    VectorDimensionsMismatch,
    VectorLimitTooLargeError,
)
from convexlite.search.vector_index import VectorIndex, VectorIndexSpec
from convexlite.search.vector_query import parse_vector_query
from convexlite.values import UNDEFINED

SPEC = VectorIndexSpec("embedding", 3, ("genre", "meta.year"))


def eq(field, literal):
    return {"$eq": [{"$field": field}, {"$literal": literal}]}


def test_ranks_by_cosine_similarity_descending_with_ties_by_id():
    index = VectorIndex(SPEC)
    index.update("c", {"embedding": [1.0, 0.0, 0.0]})
    index.update("a", {"embedding": [2.0, 0.0, 0.0]})
    index.update("b", {"embedding": [1.0, 1.0, 0.0]})
    index.update("d", {"embedding": [-1.0, 0.0, 0.0]})
    hits = index.search([3.0, 0.0, 0.0], 10, {})
    assert [h[0] for h in hits] == ["a", "c", "b", "d"]
    assert hits[0][1] == 1.0 and hits[-1][1] == -1.0
    assert hits[2][1] == pytest.approx(1 / math.sqrt(2))
    assert hits[2][1] == float(np.float32(hits[2][1]))  # a float32 score
    assert [h[0] for h in index.search([3.0, 0.0, 0.0], 1, {})] == ["a"]


def test_only_arrays_of_exactly_dimensions_floats_are_indexed():
    index = VectorIndex(SPEC)
    index.update("ok", {"embedding": [1.0, 2.0, 3.0]})
    for bad in ([1.0, 2.0], [1.0, 2.0, "x"], [1.0, 2.0, Int64(3)], [True, 1.0, 1.0], "v", None):
        index.update(f"bad{bad!r}", {"embedding": bad})
    index.update("missing", {})
    assert len(index) == 1


def test_replace_and_delete_update_the_index_and_rows_are_reused():
    index = VectorIndex(SPEC)
    for i in range(100):
        index.update(f"d{i:03}", {"embedding": [1.0, float(i), 0.0]})
    index.update("d000", {"embedding": "gone"})
    for i in range(1, 50):
        index.update(f"d{i:03}", None)
    index.update("new", {"embedding": [0.0, 0.0, 1.0]})
    assert len(index) == 51
    hits = index.search([0.0, 0.0, 1.0], 1, {})
    assert hits == [("new", 1.0)]


def test_filters_are_an_or_of_per_field_value_sets():
    index = VectorIndex(SPEC)
    index.update("rock", {"embedding": [1.0, 0.0, 0.0], "genre": "rock"})
    index.update("jazz", {"embedding": [1.0, 0.1, 0.0], "genre": "jazz", "meta": {"year": 1959.0}})
    index.update("none", {"embedding": [1.0, 0.2, 0.0]})
    index.update("int64", {"embedding": [1.0, 0.3, 0.0], "meta": {"year": Int64(1959)}})
    search = index.search
    assert [h[0] for h in search([1.0, 0.0, 0.0], 10, {"genre": ["rock"]})] == ["rock"]
    both = {"genre": ["rock"], "meta.year": [1959.0]}
    assert [h[0] for h in search([1.0, 0.0, 0.0], 10, both)] == ["rock", "jazz"]
    assert [h[0] for h in search([1.0, 0.0, 0.0], 10, {"genre": [UNDEFINED]})] == ["none", "int64"]
    assert search([1.0, 0.0, 0.0], 10, {"genre": ["pop"]}) == []


def test_parse_flattens_nested_or_and_checks_against_the_index():
    query = parse_vector_query(
        {
            "indexName": "songs.by_embedding",
            "vector": [1, 0, 0],
            "expressions": {
                "$or": [eq("genre", "rock"), {"$or": [eq("genre", "jazz"), eq("genre", "rock")]},
                        eq("meta.year", {"$undefined": None})]
            },
        }
    )  # fmt: skip
    assert (query.table, query.index, query.limit) == ("songs", "by_embedding", 10)
    assert query.filters == {"genre": ("rock", "jazz"), "meta.year": (UNDEFINED,)}
    query.check(SPEC)


@pytest.mark.parametrize(
    ("query", "error", "message"),
    [
        ({"limit": 257}, VectorLimitTooLargeError,
         "Vector queries can fetch at most 256 results, requested 257."),
        ({"expressions": eq("other", 1)}, IncorrectVectorFilterField,
         'Vector query against songs.by_embedding contains a filter on "other" but that field '
         "isn't indexed for filtering in `filterFields`."),
        ({"expressions": {"$or": [eq("genre", float(i)) for i in range(65)]}},
         TooManyElementsInVectorQueryError,
         "Vector query against songs.by_embedding has too many conditions. Max: 64 Actual: 65"),
        ({"vector": [1.0, 2.0]}, VectorDimensionsMismatch,
         "Expected a vector with dimensions 3, received 2."),
    ],
)  # fmt: skip
def test_check_errors(query, error, message):
    parsed = parse_vector_query(
        {"indexName": "songs.by_embedding", "vector": [1.0, 0.0, 0.0], **query}
    )
    with pytest.raises(error) as raised:
        parsed.check(SPEC)
    assert raised.value.message == message


@pytest.mark.parametrize(
    ("expressions", "message"),
    [
        ({"$and": [eq("genre", "a")]}, "Filters should be a combination of `q.eq` and `q.or`."),
        ({"$gt": [{"$field": "genre"}, {"$literal": 1}]},
         "Filters should be a combination of `q.eq` and `q.or`."),
        ({"$eq": [{"$literal": 1}, {"$field": "genre"}]},
         "`q.eq` must take a field path as its first argument and a value as its second"),
    ],
)  # fmt: skip
def test_invalid_filters(expressions, message):
    with pytest.raises(InvalidVectorSearchFilter) as raised:
        parse_vector_query({"indexName": "t.i", "vector": [1.0, 0.0], "expressions": expressions})
    assert raised.value.message == message


def test_dump_and_load_keep_rows_holes_and_filter_codes():
    index = VectorIndex(SPEC)
    for i in range(70):
        index.update(f"d{i:02}", {"embedding": [1.0, float(i), 0.0], "genre": f"g{i % 3}"})
    index.update("d05", None)
    loaded = VectorIndex.load(SPEC, index.dump())
    assert len(loaded) == 69
    for filters in ({}, {"genre": ["g1"]}, {"meta.year": [UNDEFINED]}):
        assert loaded.search([1.0, 3.0, 0.0], 5, filters) == index.search(
            [1.0, 3.0, 0.0], 5, filters
        )
    loaded.update("new", {"embedding": [0.0, 0.0, 1.0], "genre": "g9"})
    assert loaded.search([0.0, 0.0, 1.0], 1, {"genre": ["g9"]}) == [("new", 1.0)]
