"""The text and vector search counters of an execution's usage statistics (the
`usageStats` of its function log entries, spec/operator.md §5), counted where
upstream's usage tracker counts them (crates/usage_tracking `FunctionUsageStats`):

- `textIndexQueryBytes`: the size of each text index a search read;
- `textIndexWriteQueryBytes`: per committed document version, per text index of its
  table, the bytes of its search field's text and of its filter values;
- `vectorIndexReadBytes`: per vector search result, its id and score;
- `vectorIndexReadQueryBytes`: per vector search, the size of the vectors searched;
- `vectorIndexWriteBytes`: the size of each committed document version of a table with
  a vector index;
- `vectorIndexWriteQueryBytes`: per such version, per vector index, a vector and an id.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from convexlite.database.index_keys import field_value, index_key
from convexlite.database.search.definition import TextIndexDefinition
from convexlite.database.transaction import Transaction
from convexlite.search.vector_index import VectorIndexSpec
from convexlite.values import loads
from convexlite.values.limits import value_size

VECTOR_ELEMENT_SIZE = 4
"""A stored vector element is a float32, as a result's score is."""
DEVELOPER_ID_SIZE = 32
"""An id as upstream sizes it: a table number and an internal id, 16 bytes each."""
RESOLVED_ID_SIZE = 48
"""An id with its table's internal id (16 bytes more), as a vector index stores it."""

VectorSpecs = Callable[[str], list[VectorIndexSpec]]
"""The vector indexes a table (by its registry name) has."""


@dataclass(slots=True)
class SearchUsage:
    """One execution's search counters; `vector_specs` tells which writes a vector index
    takes in."""

    vector_specs: VectorSpecs
    text_index_query_bytes: int = 0
    text_index_write_bytes: int = 0
    vector_index_read_bytes: int = 0
    vector_index_read_query_bytes: int = 0
    vector_index_write_bytes: int = 0
    vector_index_write_query_bytes: int = 0

    def add_vector_search(self, results: int, vectors: int, dimensions: int) -> None:
        """A vector search that returned `results` hits from `vectors` vectors."""
        self.vector_index_read_bytes += results * (DEVELOPER_ID_SIZE + VECTOR_ELEMENT_SIZE)
        self.vector_index_read_query_bytes += vectors * dimensions * VECTOR_ELEMENT_SIZE

    def add_transaction(self, tx: Transaction, *, committed: bool) -> None:
        """What `tx`'s text searches read and, if it `committed`, what its writes put in
        search and vector indexes (a deletion puts nothing)."""
        self.text_index_query_bytes += tx.text_index_query_bytes
        if not committed:
            return
        specs: dict[str, list[VectorIndexSpec]] = {}
        for write in tx.writes.values():
            table = write.table
            if write.new_json is None or table.is_system:
                continue
            text_indexes = tx.store.text_indexes.get(table.name, {})
            if table.name not in specs:
                specs[table.name] = self.vector_specs(table.name)
            vector_indexes = specs[table.name]
            if not text_indexes and not vector_indexes:
                continue
            doc = loads(write.new_json)
            for index in text_indexes.values():
                self.text_index_write_bytes += _text_size(index, doc)
            if vector_indexes:
                self.vector_index_write_bytes += value_size(doc)
                self.vector_index_write_query_bytes += sum(
                    spec.dimensions * VECTOR_ELEMENT_SIZE + RESOLVED_ID_SIZE
                    for spec in vector_indexes
                )

    def fields(self) -> Mapping[str, int]:
        """The counters under the names of the log entries' `usageStats`."""
        return {
            "textIndexQueryBytes": self.text_index_query_bytes,
            "textIndexWriteQueryBytes": self.text_index_write_bytes,
            "vectorIndexReadBytes": self.vector_index_read_bytes,
            "vectorIndexReadQueryBytes": self.vector_index_read_query_bytes,
            "vectorIndexWriteBytes": self.vector_index_write_bytes,
            "vectorIndexWriteQueryBytes": self.vector_index_write_query_bytes,
        }


def _text_size(index: TextIndexDefinition, doc: dict[str, Any]) -> int:
    """The bytes `doc` writes into `index`: its search field's text (if a string) and the
    encoding of each filter value, as upstream's `estimate_size`."""
    text = field_value(doc, index.search_field)
    size = len(text.encode()) if type(text) is str else 0
    return size + sum(len(index_key((path,), doc, b"")) for path in index.filter_fields)
