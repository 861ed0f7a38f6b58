"""The `q` object of `.with_search_index(name, lambda q: q.search(field, text).eq(...))`.

As Convex's `SearchFilterBuilder`: one `search` first, then `eq`s. The index
checks the fields when the query runs (`query/text_search.py`), so a Python
query and its JavaScript twin fail alike.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from convexlite.errors import BadRequestError
from convexlite.query.query_json import SearchFilter
from convexlite.values import parse_field_path


class InvalidSearchFilter(BadRequestError):
    code = "InvalidSearchFilter"


class SearchFilterBuilder:
    """Each call returns a new builder holding one more filter."""

    __slots__ = ("_filters",)

    def __init__(self, filters: tuple[SearchFilter, ...] = ()) -> None:
        self._filters = filters

    def search(self, field_name: str, text: str) -> SearchFilterBuilder:
        if self._filters:
            raise InvalidSearchFilter("`search` must be the first call of a search filter")
        if not isinstance(text, str):
            raise InvalidSearchFilter(f"The search text must be a string, got {text!r}")
        return SearchFilterBuilder((SearchFilter("Search", _path(field_name), text),))

    def eq(self, field_name: str, value: Any) -> SearchFilterBuilder:
        if not self._filters:
            raise InvalidSearchFilter("Call `search(field, text)` before `eq`")
        return SearchFilterBuilder((*self._filters, SearchFilter("Eq", _path(field_name), value)))

    def export(self) -> list[SearchFilter]:
        return list(self._filters)


def build_search_filters(fn: Callable[[SearchFilterBuilder], Any]) -> list[SearchFilter]:
    """Run a user's `with_search_index` lambda."""
    result = fn(SearchFilterBuilder())
    if not isinstance(result, SearchFilterBuilder):
        raise InvalidSearchFilter(
            "The search filter function must return the filter builder "
            f'(e.g. `lambda q: q.search("body", text)`), got {type(result).__name__}'
        )
    return result.export()


def _path(field_name: str) -> str:
    if not isinstance(field_name, str):
        raise InvalidSearchFilter(f"A field path must be a string, got {field_name!r}")
    return ".".join(parse_field_path(field_name))
