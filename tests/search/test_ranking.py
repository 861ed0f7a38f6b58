import math
import random

import pytest

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


def reference(rows, query: str, keep=lambda i: True) -> list[tuple[float, str]]:
    """BM25 straight from the formula in spec/platform.md §6.4, written without the index."""
    docs = [text.lower().split() for _, _, text in rows]
    n = len(docs)
    avgdl = sum(map(len, docs)) / n
    tokens = query.lower().split()[:16]
    last = tokens[-1]
    vocab = sorted({w for d in docs for w in d})
    boost = {t: 1.0 for t in tokens}
    for t in [w for w in vocab if w.startswith(last) and w not in boost][:16]:
        boost[t] = 0.5
    out = []
    for i, (doc_id, ct, _) in enumerate(rows):
        score, hit = 0.0, False
        for t, w in boost.items():
            tf = docs[i].count(t)
            if tf == 0:
                continue
            hit = True
            nt = sum(1 for d in docs if t in d)
            idf = math.log(1 + (n - nt + 0.5) / (nt + 0.5))
            score += w * idf * 2.2 * tf / (tf + 1.2 * (0.25 + 0.75 * len(docs[i]) / avgdl))
        if hit and keep(i):
            out.append((score, -ct, doc_id))
    out.sort(key=lambda r: (-r[0], r[1], r[2]))
    return [(s, d) for s, _, d in out]


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
