"""Which documents a text query matches, and in what order (spec/platform.md §6.3, §6.4).

A query's terms are OR-ed: its tokens match exactly, and its last token also
matches up to 16 index terms it is a prefix of, at half weight. Matches are
scored with BM25 over the whole index (every document counts towards `N`,
`avgdl` and document frequencies, whatever the filters) and ordered by score,
then newest first, then id. A transaction's own writes (`overrides`) replace
the index's versions of their documents.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Mapping
from dataclasses import dataclass

from convexlite.database.search.inverted_index import Entry, InvertedIndex, make_entry
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


Filters = tuple[tuple[int, bytes], ...]
"""(position in the index's filter fields, expected value's sort key) per `eq`."""


class _View:
    """An index with a transaction's own writes laid over it."""

    def __init__(self, index: InvertedIndex, overrides: Mapping[str, str | None]) -> None:
        self.index = index
        self.shadowed = {doc_id for doc_id in overrides if doc_id in index.docs}
        self.added = [
            make_entry(index.definition, doc_id, json)
            for doc_id, json in overrides.items()
            if json is not None
        ]
        self.size = len(index.docs) - len(self.shadowed) + len(self.added)
        removed = sum(index.docs[doc_id].length for doc_id in self.shadowed)
        self.total_length = index.total_length - removed + sum(e.length for e in self.added)

    def frequency(self, term: str) -> int:
        posting = self.index.postings.get(term, {})
        hidden = sum(1 for doc_id in self.shadowed if doc_id in posting) if self.shadowed else 0
        return len(posting) - hidden + sum(1 for e in self.added if term in e.counts)

    def expansions(self, prefix: str, taken: Mapping[str, float]) -> list[str]:
        """The first 16 terms (in order) other than `taken` that `prefix` starts."""
        extra = sorted({t for e in self.added for t in e.counts if t.startswith(prefix)})
        found: list[str] = []
        for term in heapq.merge(self.index.terms_from(prefix), extra):
            if len(found) == MAX_PREFIX_EXPANSIONS:
                break
            if term not in taken and (not found or found[-1] != term) and self.frequency(term):
                found.append(term)
        return found

    def candidates(self, terms: Mapping[str, float]) -> list[Entry]:
        ids: set[str] = set()
        for term in terms:
            ids.update(self.index.postings.get(term, ()))
        ids -= self.shadowed
        docs = self.index.docs
        found = [docs[doc_id] for doc_id in ids]
        found += [e for e in self.added if not terms.keys().isdisjoint(e.counts)]
        return found


def term_weights(terms: QueryTerms, view: _View) -> dict[str, float]:
    """Index term → boost: exact tokens (the prefix token itself included) weigh 1, the
    first 16 other terms the prefix starts, 0.5; 64 terms at most."""
    weights = dict.fromkeys(terms.exact, 1.0)
    if terms.prefix is None:
        return weights
    weights[terms.prefix] = 1.0
    room = max(0, MAX_QUERY_TERMS - len(weights))
    for term in view.expansions(terms.prefix, weights)[:room]:
        weights[term] = PREFIX_BOOST
    return weights


def rank(
    index: InvertedIndex,
    terms: QueryTerms,
    filters: Filters = (),
    overrides: Mapping[str, str | None] | None = None,
) -> list[tuple[float, Entry]]:
    """The documents matching every filter and at least one term, best first."""
    view = _View(index, overrides or {})
    weights = term_weights(terms, view)
    n_docs = max(1, view.size)
    avgdl = view.total_length / n_docs or 1.0
    idf = {}
    for term, weight in weights.items():
        n = view.frequency(term)
        idf[term] = weight * math.log(1 + (n_docs - n + 0.5) / (n + 0.5))
    scored = []
    for entry in view.candidates(weights):
        if any(entry.filter_keys[i] != key for i, key in filters):
            continue
        # Summed in the query's term order, never a set's: equal documents must score
        # bit-for-bit equal in every process, or ties (and cursors) would wobble.
        norm = K1 * (1 - B + B * entry.length / avgdl)
        score = 0.0
        for term, weight in idf.items():
            tf = entry.counts.get(term)
            if tf:
                score += weight * (K1 + 1) * tf / (tf + norm)
        scored.append((score, entry))
    scored.sort(key=lambda pair: (-pair[0], -pair[1].creation_time, pair[1].doc_id))
    return scored
