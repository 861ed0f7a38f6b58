from __future__ import annotations

import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from fake_analyzer import FakeAnalyzer  # noqa: E402

from convexlite.config import Config  # noqa: E402
from convexlite.engine import Engine  # noqa: E402
from convexlite.functions.app import App  # noqa: E402


class Engines:
    """Opens engines on one SQLite file, so a test can restart its backend."""

    def __init__(self, path: Path) -> None:
        self.url = f"sqlite:///{path}"
        self.opened: list[Engine] = []

    def open(self, app: App | None = None, *, analyzer: object = "fake") -> Engine:
        engine = Engine(
            app or App(),
            Config(store_url=self.url),
            lambda db: ThreadPoolExecutor(1),
            analyzer=FakeAnalyzer() if analyzer == "fake" else analyzer,  # type: ignore[arg-type]
        )
        self.opened.append(engine)
        return engine

    def close_all(self) -> None:
        for engine in self.opened:
            engine.close()
        self.opened.clear()


@pytest.fixture
def engines(tmp_path: Path) -> Iterator[Engines]:
    found = Engines(tmp_path / "store.sqlite3")
    yield found
    found.close_all()


@pytest.fixture
def engine(engines: Engines) -> Engine:
    return engines.open()
