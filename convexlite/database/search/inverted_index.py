"""One text index's documents at one timestamp, as postings (spec/platform.md §6.4).

Term → {document id: term frequency}, with each document's length, filter
values and creation time, and the sorted vocabulary for prefix expansion. Plain
dicts: for `take(n)` a search touches only the postings of its terms. The index
holds what ranking and filtering need, not the documents: a search reads the
documents it returns from the store at its snapshot, so neither the memory nor
the stored index (`index_snapshot.py`) carries a copy of the table.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import msgspec
from sortedcontainers import SortedList  # type: ignore[import-untyped]

from convexlite.database.index_keys import field_value, index_key
from convexlite.database.search.definition import TextIndexDefinition
from convexlite.database.search.tokenizer import term_counts
from convexlite.values import loads


class Entry(msgspec.Struct, frozen=True, array_like=True, gc=False):
    """A document as the index sees it. A msgspec struct, so a stored index
    (`index_snapshot.py`) encodes its entries as they are; not tracked by the garbage
    collector (it cannot be part of a cycle), so that a full collection does not visit
    each of a large index's documents (200,000: 48 ms instead of 260)."""

    doc_id: str
    creation_time: float
    counts: dict[str, int]
    length: int
    filter_keys: tuple[bytes, ...]


def entry_size(entry: Entry) -> int:
    """The bytes `entry` puts in an index: its tokens' text and its filter values (what a
    search's usage counts as the index's size, as upstream counts its segments')."""
    text = sum(len(term.encode()) * tf for term, tf in entry.counts.items())
    return text + sum(len(key) for key in entry.filter_keys)


def make_entry(index: TextIndexDefinition, doc_id: str, json: str) -> Entry:
    doc = loads(json)
    text = field_value(doc, index.search_field)
    counts = term_counts(text) if type(text) is str else {}
    keys = tuple(index_key((path,), doc, b"") for path in index.filter_fields)
    return Entry(doc_id, doc["_creationTime"], counts, sum(counts.values()), keys)


_DOC_BYTES, _PAIR_BYTES, _TERM_BYTES = 440, 106, 168
"""CPython's memory per document, per (term, document) pair and per distinct term, as
measured with tracemalloc (12 and 40 words per document, 2,000 and 100,000 terms)."""


class InvertedIndex:
    """Not thread-safe: `TextIndexCache` serializes its users."""

    def __init__(self, definition: TextIndexDefinition, ts: int) -> None:
        self.definition = definition
        self.ts = ts
        self.docs: dict[str, Entry] = {}
        self.postings: dict[str, dict[str, int]] = {}
        self.vocabulary: SortedList = SortedList()
        self.total_length = 0
        self.size_bytes = 0
        """The sum of the documents' `entry_size`s."""
        self.pairs = 0
        """(term, document) pairs: the postings' size."""

    @classmethod
    def of(
        cls, definition: TextIndexDefinition, ts: int, entries: Iterable[Entry]
    ) -> InvertedIndex:
        """An index of `entries` (distinct documents), linked in one pass: what opening a
        store with a stored index spends its time on."""
        index = cls(definition, ts)
        docs, postings = index.docs, index.postings
        for entry in entries:
            doc_id = entry.doc_id
            docs[doc_id] = entry
            for term, tf in entry.counts.items():
                posting = postings.get(term)
                if posting is None:
                    posting = postings[term] = {}
                posting[doc_id] = tf
        index.vocabulary = SortedList(postings)
        index.total_length = sum(entry.length for entry in docs.values())
        index.pairs = sum(len(posting) for posting in postings.values())
        index.size_bytes = sum(entry_size(entry) for entry in docs.values())
        return index

    @property
    def approximate_bytes(self) -> int:
        """The memory the index takes, estimated from its counts (within ~10%)."""
        return (
            len(self.docs) * _DOC_BYTES
            + self.pairs * _PAIR_BYTES
            + len(self.postings) * _TERM_BYTES
        )

    def put(self, doc_id: str, json: str | None) -> None:
        """Set the document `doc_id` to `json` (None: deleted)."""
        old = self.docs.pop(doc_id, None)
        if old is not None:
            self.total_length -= old.length
            self.size_bytes -= entry_size(old)
            self.pairs -= len(old.counts)
            for term in old.counts:
                posting = self.postings[term]
                del posting[doc_id]
                if not posting:
                    del self.postings[term]
                    self.vocabulary.remove(term)
        if json is not None:
            self.add(make_entry(self.definition, doc_id, json))

    def add(self, entry: Entry) -> None:
        """Add a document the index does not hold."""
        doc_id = entry.doc_id
        self.docs[doc_id] = entry
        self.total_length += entry.length
        self.size_bytes += entry_size(entry)
        self.pairs += len(entry.counts)
        for term, tf in entry.counts.items():
            if term not in self.postings:
                self.postings[term] = {}
                self.vocabulary.add(term)
            self.postings[term][doc_id] = tf

    def terms_from(self, prefix: str) -> Iterator[str]:
        """The vocabulary's terms starting with `prefix`, in order."""
        for term in self.vocabulary.irange(minimum=prefix):
            if not term.startswith(prefix):
                return
            yield term
