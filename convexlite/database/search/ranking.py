"""Which documents a text query matches, and in what order (spec/platform.md §6.3, §6.4).

A query's terms are OR-ed: its tokens match exactly, and its last token also
matches up to 16 index terms it is a prefix of, at half weight. Matches are
scored with BM25 over the whole index (every document counts towards `N`,
`avgdl` and document frequencies, whatever the filters) and ordered by score,
then newest first, then id.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from convexlite.database.search.tokenizer import tokenize

K1 = 1.2
B = 0.75
MAX_QUERY_TOKENS = 16
MAX_PREFIX_EXPANSIONS = 16
MAX_QUERY_TERMS = 64
PREFIX_BOOST = 0.5


@dataclass(frozen=True, slots=True)
class QueryTerms:
    """A query's distinct exact tokens, and its last token, which also matches as a prefix."""

    exact: tuple[str, ...]
    prefix: str | None

    @classmethod
    def parse(cls, text: str) -> QueryTerms:
        tokens = tokenize(text)[:MAX_QUERY_TOKENS]
        if not tokens:
            return cls((), None)
        exact = tuple(dict.fromkeys(tokens[:-1]))
        return cls(exact, tokens[-1])


@dataclass(frozen=True, slots=True)
class IndexedDocument:
    """One document as the index sees it: its search field's term counts and length,
    and whether it satisfies the query's filters."""

    doc_id: str
    creation_time: float
    counts: dict[str, int]
    length: int
    matches_filters: bool


def term_weights(terms: QueryTerms, vocabulary: Iterable[str]) -> dict[str, float]:
    """Index term → boost: exact tokens (the prefix token itself included) weigh 1, the
    lexicographically first 16 other index terms the prefix starts, 0.5; 64 terms at most."""
    weights = dict.fromkeys(terms.exact, 1.0)
    prefix = terms.prefix
    if prefix is None:
        return weights
    weights[prefix] = 1.0
    expansions = sorted({t for t in vocabulary if t.startswith(prefix) and t not in weights})
    room = max(0, MAX_QUERY_TERMS - len(weights))
    for term in expansions[: min(MAX_PREFIX_EXPANSIONS, room)]:
        weights[term] = PREFIX_BOOST
    return weights


def rank(
    documents: list[IndexedDocument], terms: QueryTerms
) -> list[tuple[float, IndexedDocument]]:
    """The documents matching the filters and at least one term, best first."""
    vocabulary: set[str] = set()
    if terms.prefix is not None:
        for doc in documents:
            vocabulary.update(doc.counts)
    weights = term_weights(terms, vocabulary)
    n_docs = max(1, len(documents))
    avgdl = sum(doc.length for doc in documents) / n_docs or 1.0
    frequency = dict.fromkeys(weights, 0)
    for doc in documents:
        for term in doc.counts.keys() & frequency.keys():
            frequency[term] += 1
    idf = {
        t: weights[t] * math.log(1 + (n_docs - n + 0.5) / (n + 0.5)) for t, n in frequency.items()
    }
    scored = []
    for doc in documents:
        if not doc.matches_filters:
            continue
        # Summed in the query's term order, never a set's: equal documents must score
        # bit-for-bit equal in every process, or ties (and cursors) would wobble.
        norm = K1 * (1 - B + B * doc.length / avgdl)
        score = 0.0
        matched = False
        for term, weight in idf.items():
            tf = doc.counts.get(term)
            if tf:
                matched = True
                score += weight * (K1 + 1) * tf / (tf + norm)
        if matched:
            scored.append((score, doc))
    scored.sort(key=lambda pair: (-pair[0], -pair[1].creation_time, pair[1].doc_id))
    return scored
