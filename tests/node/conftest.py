"""The project with `"use node"` actions most tests here share, pushed by the real CLI
(see node_harness.py); the served process has NODE_TEST_VALUE set, which an action reads
through `process.env`."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from node_harness import serve  # noqa: E402
from push_harness import Deployment  # noqa: E402


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    root = tmp_path_factory.mktemp("node")
    deployed = serve(root)
    try:
        deployed.cli("env", "set", "NODE_TEST_VALUE", "from-env")
        deployed.cli("deploy", "-y", "--typecheck", "disable")
        yield deployed
    finally:
        deployed.served.stop()
