"""A project with `"use node"` actions pushed by the real CLI to a `convexlite serve`.

The served process gets NODE_TEST_VALUE (read by an action through `process.env`) and
its own node directory (`TMPDIR`), so the bundles and the npm install of the push's
external package (`ms`, from `node.externalPackages`) are this run's.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "push"))

from npm_clients import npm_clients  # noqa: E402
from push_harness import Deployment, project_copy, start  # noqa: E402
from served import Served  # noqa: E402

from convexlite.auth.keys import generate_instance_secret, issue_admin_key  # noqa: E402
from convexlite.persistence import DEFAULT_INSTANCE_NAME  # noqa: E402

HERE = Path(__file__).parent


def start_served(root: Path, secret: str, env: dict[str, str] | None = None) -> Served:
    """`convexlite serve` from `root`, keeping its node files in `root/tmp`."""
    tmp = root / "tmp"
    tmp.mkdir(exist_ok=True)
    return start(root, secret, env={"TMPDIR": str(tmp), **(env or {})})


def serve(root: Path, env: dict[str, str] | None = None) -> Deployment:
    """`convexlite serve` from `root` and a copy of tests/node/project beside it."""
    project = project_copy(root, "project", HERE / "project")
    secret = generate_instance_secret()
    served = start_served(root, secret, env)
    key = issue_admin_key(DEFAULT_INSTANCE_NAME, secret)
    return Deployment(served, key, project, npm_clients("the node action tests"), secret)


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
