"""`withSearchIndex` queries: checking them against their index, and their rows in
relevance order (spec/platform.md §6.3-§6.5).

A search ranks the documents of its transaction's snapshot with the
transaction's own writes applied, so a mutation finds what it just wrote
(`Transaction.text_search`). Rows carry the key
`(-score, -_creationTime, _id)`: the order, and the position a cursor resumes
after.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from convexlite.database.index_keys import id_key
from convexlite.database.metadata import TableInfo
from convexlite.database.namespace import printable_table_name
from convexlite.database.search.conflict_keys import read_intervals, text_index_id
from convexlite.database.search.definition import TextIndexDefinition
from convexlite.database.search.ranking import Filters, QueryTerms
from convexlite.database.transaction import Transaction
from convexlite.errors import BadRequestError
from convexlite.query.query_json import Search
from convexlite.values import UNDEFINED, UNDEFINED_KEY, decode_id, sort_key

MAX_FILTER_CONDITIONS = 8
MAX_CANDIDATES = 1024


class IncorrectSearchField(BadRequestError):
    code = "IncorrectSearchField"


class DuplicateSearchFilters(BadRequestError):
    code = "DuplicateSearchFiltersError"


class IncorrectFilterField(BadRequestError):
    code = "IncorrectFilterFieldError"


class MissingSearchFilter(BadRequestError):
    code = "MissingSearchFilterError"


class TooManyFilterConditions(BadRequestError):
    code = "TooManyFilterConditionsInSearchQueryError"


class SearchQueryScannedTooManyDocuments(BadRequestError):
    code = "SearchQueryScannedTooManyDocumentsError"


@dataclass(frozen=True, slots=True)
class TextSearchPlan:
    """A search checked against its index: the terms, and each filter's expected key."""

    table: TableInfo
    index: TextIndexDefinition
    terms: QueryTerms
    filters: Filters


def plan_text_search(
    tx: Transaction, source: Search, *, private_ok: bool = False
) -> TextSearchPlan | None:
    """The plan of `source`; None when its table does not exist (no rows)."""
    table = tx.table(source.table_name)
    if table is None or (table.is_private and not private_ok):
        return None
    index = tx.text_index(source.table_name, source.index_descriptor)
    if index is None:
        return None
    name = f"{printable_table_name(source.table_name)}.{source.index_descriptor}"
    search_field = ".".join(index.search_field)
    filter_fields = [".".join(f) for f in index.filter_fields]
    text: str | None = None
    filters = []
    for f in source.filters:
        if f.type == "Search":
            if f.field_path != search_field:
                raise IncorrectSearchField(
                    f'Search query against {name} contains a search filter against '
                    f'"{f.field_path}", which doesn\'t match the indexed `searchField` '
                    f'"{search_field}".'
                )
            if text is not None:
                raise DuplicateSearchFilters(
                    f'Search query against {name} contains multiple search filters against '
                    f'"{f.field_path}". Only one is allowed.'
                )
            text = f.value
        else:
            if f.field_path not in filter_fields:
                raise IncorrectFilterField(
                    f'Search query against {name} contains an equality filter on '
                    f'"{f.field_path}" but that field isn\'t indexed for filtering in '
                    "`filterFields`."
                )
            key = UNDEFINED_KEY if f.value is UNDEFINED else sort_key(f.value)
            filters.append((filter_fields.index(f.field_path), key))
    if text is None:
        raise MissingSearchFilter(
            f"Search query against {name} does not contain any search filters. You must "
            f'include a search filter like `q.search("{search_field}", searchText)`.'
        )
    if len(filters) > MAX_FILTER_CONDITIONS:
        raise TooManyFilterConditions(
            f"Search query against {name} has too many filter conditions. "
            f"Max: {MAX_FILTER_CONDITIONS} Actual: {len(filters)}"
        )
    return TextSearchPlan(table, index, QueryTerms.parse(text), tuple(filters))


def search_rows(
    tx: Transaction, plan: TextSearchPlan, *, after: bytes | None, upto: bytes | None
) -> Iterator[tuple[bytes, dict[str, Any]]]:
    """The matches past cursor `after` (up to and including `upto`) in relevance order;
    pulling a match beyond the best 1024 fails, as upstream's candidate limit."""
    index_id = text_index_id(plan.table.tablet_id, plan.index)
    tx.record_text_search(index_id, read_intervals(plan.terms, plan.filters))
    candidates = 0
    for score, found in tx.text_search(plan.table, plan.index, plan.terms, plan.filters):
        key = sort_key(-score) + sort_key(-found.creation_time) + id_key(found.doc_id)
        if after is not None and key <= after:
            continue
        if upto is not None and key > upto:
            return
        candidates += 1
        if candidates > MAX_CANDIDATES:
            raise SearchQueryScannedTooManyDocuments(
                f"Search query scanned too many documents (fetched {MAX_CANDIDATES}). "
                "Consider using a smaller limit, paginating the query, or using a filter "
                "field to limit the number of documents pulled from the search index."
            )
        doc = tx.get_resolved(plan.table, decode_id(found.doc_id)[1], found.doc_id)
        assert doc is not None, "the index and the store share the snapshot"
        yield key, doc
