"""MemoryPersistence against the shared conformance suite."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from convexlite.persistence import MemoryPersistence, Persistence

from .conformance import Factory, PersistenceConformance, closing_factory


class TestMemoryPersistence(PersistenceConformance):
    @pytest.fixture
    def persistence_factory(self) -> Iterator[Factory]:
        yield from closing_factory(MemoryPersistence)


def test_memory_store_is_a_persistence() -> None:
    store: Persistence = MemoryPersistence()
    with store as s:  # type: ignore[attr-defined]
        assert s.max_ts() == 0
