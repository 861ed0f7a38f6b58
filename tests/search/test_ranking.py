import random

import pytest
from bm25_reference import reference

from convexlite.database.search.ranking import IndexedDocument, QueryTerms, rank, term_weights
from convexlite.database.search.tokenizer import term_counts, tokenize

WORDS = ["apple", "apply", "applet", "banana", "band", "bandana", "cherry", "date", "app"]


def corpus(n: int, seed: int = 7) -> list[tuple[str, float, str]]:
    rng = random.Random(seed)
    return [
        (f"id{i:05d}", float(i % 50), " ".join(rng.choices(WORDS, k=rng.randint(0, 9))))
        for i in range(n)
    ]


def indexed(rows, keep=lambda i: True) -> list[IndexedDocument]:
    return [
        IndexedDocument(doc_id, ct, term_counts(text), len(tokenize(text)), keep(i))
        for i, (doc_id, ct, text) in enumerate(rows)
    ]


@pytest.mark.parametrize("query", ["banana", "cherry date", "app", "band", "date appl", "zzz"])
def test_rank_matches_reference_bm25(query):
    rows = corpus(2000)
    got = [(s, d.doc_id) for s, d in rank(indexed(rows), QueryTerms.parse(query))]
    want = reference(rows, query)
    assert [d for _, d in got] == [d for _, d in want]
    assert [s for s, _ in got] == pytest.approx([s for s, _ in want])


def test_filters_do_not_change_statistics():
    rows = corpus(500)
    keep = lambda i: i % 3 == 0  # noqa: E731
    got = [(s, d.doc_id) for s, d in rank(indexed(rows, keep), QueryTerms.parse("cherry ban"))]
    want = reference(rows, "cherry ban", keep)
    assert [d for _, d in got] == [d for _, d in want]
    assert [s for s, _ in got] == pytest.approx([s for s, _ in want])


def test_query_terms_keep_16_tokens_and_the_last_as_prefix():
    terms = QueryTerms.parse("a b a " + " ".join(f"t{i}" for i in range(20)))
    assert terms.exact == ("a", "b", *(f"t{i}" for i in range(12)))
    assert terms.prefix == "t12"
    assert QueryTerms.parse(" ,. ") == QueryTerms((), None)


def test_prefix_expansions_are_the_16_smallest():
    vocabulary = [f"w{i:02d}" for i in range(40)] + ["w", "x"]
    weights = term_weights(QueryTerms((), "w"), vocabulary)
    assert weights["w"] == 1.0
    assert sorted(t for t, w in weights.items() if w == 0.5) == [f"w{i:02d}" for i in range(16)]


def test_ties_order_newest_first_then_id():
    docs = [
        IndexedDocument("b", 1.0, {"x": 1}, 1, True),
        IndexedDocument("a", 1.0, {"x": 1}, 1, True),
        IndexedDocument("c", 2.0, {"x": 1}, 1, True),
    ]
    assert [d.doc_id for _, d in rank(docs, QueryTerms.parse("x"))] == ["c", "a", "b"]
