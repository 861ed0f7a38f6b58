"""Shared fixtures: stores on every backend the engine supports."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from servers import fresh_mysql, fresh_postgres  # noqa: E402

from convexlite.js.v8 import init_v8  # noqa: E402


def pytest_configure(config: pytest.Config) -> None:
    """V8's flags are process-wide and fixed by the first context: set convexlite's before
    any test (some drive mini-racer's own `MiniRacer` directly) creates one."""
    init_v8()


@pytest.fixture
def postgres_instance() -> Iterator[tuple[str, str]]:
    """(server URL without a database, instance name) with that instance's database created."""
    with fresh_postgres() as found:
        yield found


@pytest.fixture
def mysql_instance() -> Iterator[tuple[str, str]]:
    with fresh_mysql() as found:
        yield found


@pytest.fixture(params=["sqlite", "postgres", "mysql"])
def store(request, tmp_path, monkeypatch) -> Iterator[tuple[str, str]]:
    """(url, instance name) of an empty store on each persistent backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.db'}", "convex-self-hosted"
        return
    monkeypatch.setenv("DO_NOT_REQUIRE_SSL", "1")
    monkeypatch.setenv("STORAGE_DIR", str(tmp_path / "storage"))  # not the current directory
    fresh = fresh_postgres if request.param == "postgres" else fresh_mysql
    with fresh() as found:
        yield found
