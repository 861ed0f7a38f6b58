"""A served backend for the fuzz tests, driven from synchronous Hypothesis tests.

`FUZZ_SCALE` (an integer) multiplies every test's example count: CI runs the modest
defaults, derandomized, so that a submission is judged on the same inputs every time;
`FUZZ_SCALE=200 pytest tests/fuzz --hypothesis-show-statistics` is a long run by hand,
with fresh random inputs, which is where new findings come from.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, settings

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parents[1] / "clients"))

from client_app import app  # noqa: E402

from convexlite import Backend  # noqa: E402
from convexlite.auth.keys import issue_admin_key  # noqa: E402
from convexlite.database.intervals import Interval  # noqa: E402
from convexlite.server.app import create_app  # noqa: E402
from convexlite.server.state import ServerState  # noqa: E402

HANG_SECONDS = 60.0


def fuzz(n: int) -> settings:
    """Hypothesis settings for `n` examples, times `FUZZ_SCALE`, never timed; fixed inputs
    unless `FUZZ_SCALE` is set."""
    scale = os.environ.get("FUZZ_SCALE")
    return settings(
        max_examples=n * int(scale or "1"),
        derandomize=scale is None,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


class ErrorLog(logging.Handler):
    """Every ERROR the server logs: an uncaught exception in a request or connection."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def take(self) -> list[str]:
        found = [
            f"{r.getMessage()}: {r.exc_info[1]!r}" if r.exc_info else r.getMessage()
            for r in self.records
        ]
        self.records.clear()
        return found


class Harness:
    """One in-memory backend of the clients' app behind its ASGI app, on a loop of its own,
    so synchronous Hypothesis tests can send requests and read the database."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.backend = Backend(app)
        self.loop.run_until_complete(self.backend.open())
        self.state = ServerState(self.backend, log_poll_seconds=0.01)
        self.app = create_app(self.state)
        transport = httpx.ASGITransport(app=self.app, raise_app_exceptions=False)
        self.client = httpx.AsyncClient(transport=transport, base_url="http://testserver")
        self.admin_key = issue_admin_key(self.backend.instance_name, self.backend.instance_secret)
        self.errors = ErrorLog()
        logging.getLogger("convexlite").addHandler(self.errors)

    def run(self, awaitable: Any) -> Any:
        return self.loop.run_until_complete(awaitable)

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """One request; one unanswered after `HANG_SECONDS` is a hang, a finding."""
        return self.run(asyncio.wait_for(self.client.request(method, path, **kwargs), HANG_SECONDS))

    def snapshot(self) -> tuple[Any, ...]:
        """Everything stored: the tables (system tables too) and their documents."""
        tx = self.backend.engine.db.begin(read_only=True)
        found = []
        for name, table in sorted(tx.registry.tables_by_name.items()):
            index = tx.registry.index(table.tablet_id, "by_id")
            rows = tx.scan(index, Interval.ALL, "asc") if index is not None else ()
            found.append((name, tuple(repr(row) for _, row in rows)))
        return tuple(found)

    def close(self) -> None:
        logging.getLogger("convexlite").removeHandler(self.errors)
        self.run(self.client.aclose())
        self.run(self.backend.close())
        self.loop.close()


@pytest.fixture(scope="module")
def harness() -> Iterator[Harness]:
    served = Harness()
    try:
        yield served
    finally:
        served.close()
