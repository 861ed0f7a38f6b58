"""MemoryPersistence against the shared conformance suite."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from convexlite.persistence import MemoryPersistence, Persistence

from .conformance import Factory, PersistenceConformance


class TestMemoryPersistence(PersistenceConformance):
    @pytest.fixture
    def persistence_factory(self) -> Iterator[Factory]:
        stores: list[Persistence] = []

        def make() -> Persistence:
            store = MemoryPersistence()
            stores.append(store)
            return store

        yield make
        for store in stores:
            store.close()


def test_memory_store_is_a_persistence() -> None:
    store: Persistence = MemoryPersistence()
    with store as s:  # type: ignore[attr-defined]
        assert s.max_ts() == 0
