"""A filled SQLite store of the snapshot tests' app."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from snapshot_app import app, fill

from convexlite import SyncBackend


@pytest.fixture
def filled(tmp_path: Path) -> Iterator[SyncBackend]:
    with SyncBackend(app, f"sqlite:///{tmp_path / 'source.db'}") as backend:
        fill(backend)
        yield backend
