import random

import pytest
from bm25_reference import reference

from convexlite.database.search.definition import TextIndexDefinition
from convexlite.database.search.inverted_index import InvertedIndex
from convexlite.database.search.ranking import QueryTerms, rank
from convexlite.values import dumps, sort_key

WORDS = ["apple", "apply", "applet", "banana", "band", "bandana", "cherry", "date", "app"]
DEFINITION = TextIndexDefinition("search", ("body",), (("keep",),))
KEPT = ((0, sort_key(True)),)


def corpus(n: int, seed: int = 7) -> list[tuple[str, float, str]]:
    rng = random.Random(seed)
    return [
        (f"id{i:05d}", float(i % 50), " ".join(rng.choices(WORDS, k=rng.randint(0, 9))))
        for i in range(n)
    ]


def doc(doc_id: str, ct: float, text: str, keep: bool = True) -> str:
    return dumps({"_id": doc_id, "_creationTime": ct, "body": text, "keep": keep})


def indexed(rows, keep=lambda i: True) -> InvertedIndex:
    index = InvertedIndex(DEFINITION, 0)
    for i, (doc_id, ct, text) in enumerate(rows):
        index.put(doc_id, doc(doc_id, ct, text, keep(i)))
    return index


def ranked(index, query, filters=(), overrides=None) -> list[tuple[float, str]]:
    return [(s, e.doc_id) for s, e in rank(index, QueryTerms.parse(query), filters, overrides)]


def assert_same(got, want):
    assert [d for _, d in got] == [d for _, d in want]
    assert [s for s, _ in got] == pytest.approx([s for s, _ in want])


@pytest.mark.parametrize("query", ["banana", "cherry date", "app", "band", "date appl", "zzz"])
def test_rank_matches_reference_bm25(query):
    rows = corpus(2000)
    assert_same(ranked(indexed(rows), query), reference(rows, query))


def test_filters_do_not_change_statistics():
    rows = corpus(500)
    keep = lambda i: i % 3 == 0  # noqa: E731
    assert_same(
        ranked(indexed(rows, keep), "cherry ban", KEPT), reference(rows, "cherry ban", keep)
    )


def test_updates_and_overrides_rank_as_a_fresh_index():
    rows = corpus(300)
    changed = corpus(300, seed=8)
    index = indexed(rows)
    for i in range(0, 300, 7):  # edits applied to the index
        index.put(rows[i][0], doc(*changed[i][:1], rows[i][1], changed[i][2]))
    overrides = {rows[i][0]: None for i in range(3, 300, 11)}  # a transaction's deletes
    overrides["new"] = doc("new", 99.0, "apple apple band")  # and an insert
    want_rows = [
        (doc_id, ct, changed[i][2] if i % 7 == 0 else text)
        for i, (doc_id, ct, text) in enumerate(rows)
        if doc_id not in overrides
    ] + [("new", 99.0, "apple apple band")]
    for query in ("apple band", "ban", "cherry a"):
        assert_same(ranked(index, query, overrides=overrides), reference(want_rows, query))
    for doc_id, _, _ in rows:
        index.put(doc_id, None)
    assert not index.postings and not index.vocabulary and index.total_length == 0


def test_query_terms_keep_16_tokens_and_the_last_as_prefix():
    terms = QueryTerms.parse("a b a " + " ".join(f"t{i}" for i in range(20)))
    assert terms.exact == ("a", "b", *(f"t{i}" for i in range(12)))
    assert terms.prefix == "t12"
    assert QueryTerms.parse(" ,. ") == QueryTerms((), None)


def test_prefix_expansions_are_the_16_smallest():
    index = InvertedIndex(DEFINITION, 0)
    words = [f"w{i:02d}" for i in range(40)] + ["w", "x"]
    for i, word in enumerate(words):
        index.put(f"d{i}", doc(f"d{i}", float(i), word))
    found = {doc_id for _, doc_id in ranked(index, "w")}
    assert found == {"d40"} | {f"d{i}" for i in range(16)}


def test_ties_order_newest_first_then_id():
    index = InvertedIndex(DEFINITION, 0)
    for doc_id, ct in (("b", 1.0), ("a", 1.0), ("c", 2.0)):
        index.put(doc_id, doc(doc_id, ct, "x"))
    assert [d for _, d in ranked(index, "x")] == ["c", "a", "b"]
