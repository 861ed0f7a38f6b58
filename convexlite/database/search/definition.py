"""A text search index as a schema declares it (spec/platform.md §6.1)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class TextIndexDefinition:
    """`searchIndex(descriptor, {searchField, filterFields})` of one table; paths parsed."""

    descriptor: str
    search_field: tuple[str, ...]
    filter_fields: tuple[tuple[str, ...], ...] = ()

    @classmethod
    def parse(
        cls, descriptor: str, search_field: str, filter_fields: list[str]
    ) -> TextIndexDefinition:
        return cls(
            descriptor,
            tuple(search_field.split(".")),
            tuple(tuple(f.split(".")) for f in filter_fields),
        )

    @property
    def field_names(self) -> list[str]:
        """The search field, then the filter fields, dotted."""
        return [".".join(f) for f in (self.search_field, *self.filter_fields)]
