"""The fixtures of the dashboard's browser tests: `convexlite serve` of the test module's
`APP` (a Python app's source), and an admin key and a read-only one for it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from dashboard_harness import serve_app
from served import Served

from convexlite.auth.keys import generate_instance_secret, issue_admin_key

NAME = "convex-self-hosted"


@pytest.fixture
def instance_secret() -> str:
    return generate_instance_secret()


@pytest.fixture
def served(
    request: pytest.FixtureRequest, tmp_path: Path, instance_secret: str
) -> Iterator[Served]:
    server = serve_app(tmp_path, request.module.APP, instance_secret)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def key(instance_secret: str) -> str:
    return issue_admin_key(NAME, instance_secret)


@pytest.fixture
def read_only_key(instance_secret: str) -> str:
    return issue_admin_key(NAME, instance_secret, read_only=True)
