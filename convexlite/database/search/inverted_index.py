"""One text index's documents at one timestamp, as postings (spec/platform.md §6.4).

Term → {document id: term frequency}, with each document's length, filter
values and text, and the sorted vocabulary for prefix expansion. Plain dicts:
for `take(n)` a search touches only the postings of its terms.
"""

from __future__ import annotations

from collections.abc import Iterator

import msgspec
from sortedcontainers import SortedList  # type: ignore[import-untyped]

from convexlite.database.index_keys import field_value, index_key
from convexlite.database.search.definition import TextIndexDefinition
from convexlite.database.search.tokenizer import term_counts
from convexlite.values import loads


class Entry(msgspec.Struct, frozen=True, array_like=True):
    """A document as the index sees it; `json` is handed out parsed afresh, so no caller
    can change what the index holds. A msgspec struct, so a stored index
    (`index_snapshot.py`) encodes its entries as they are."""

    doc_id: str
    json: str
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
    return Entry(doc_id, json, doc["_creationTime"], counts, sum(counts.values()), keys)


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

    def put(self, doc_id: str, json: str | None) -> None:
        """Set the document `doc_id` to `json` (None: deleted)."""
        old = self.docs.pop(doc_id, None)
        if old is not None:
            self.total_length -= old.length
            self.size_bytes -= entry_size(old)
            for term in old.counts:
                posting = self.postings[term]
                del posting[doc_id]
                if not posting:
                    del self.postings[term]
                    self.vocabulary.remove(term)
        if json is not None:
            self.add(make_entry(self.definition, doc_id, json))

    def add(self, entry: Entry) -> None:
        """Add a document the index does not hold (`put`, or loading a stored index)."""
        doc_id = entry.doc_id
        self.docs[doc_id] = entry
        self.total_length += entry.length
        self.size_bytes += entry_size(entry)
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
