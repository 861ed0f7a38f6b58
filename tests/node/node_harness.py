"""tests/node/project served by `convexlite serve` (the helpers of conftest.py and tests).

The served process gets its own node directory (`CONVEXLITE_NODE_CACHE_DIR`, `node-cache`
under its root), so the bundles and the npm install of the push's external package (`ms`,
from `node.externalPackages`) are this run's.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1] / "push"))

from npm_clients import npm_clients  # noqa: E402
from push_harness import Deployment, project_copy, start  # noqa: E402
from served import Served  # noqa: E402

from convexlite.auth.keys import generate_instance_secret, issue_admin_key  # noqa: E402
from convexlite.persistence import DEFAULT_INSTANCE_NAME  # noqa: E402

HERE = Path(__file__).parent


def start_served(root: Path, secret: str, env: dict[str, str] | None = None) -> Served:
    """`convexlite serve` from `root`, keeping its node files in `root/node-cache`."""
    cache = {"CONVEXLITE_NODE_CACHE_DIR": str(root / "node-cache")}
    return start(root, secret, env={**cache, **(env or {})})


def serve(root: Path, env: dict[str, str] | None = None) -> Deployment:
    """`convexlite serve` from `root` and a copy of tests/node/project beside it."""
    project = project_copy(root, "project", HERE / "project")
    secret = generate_instance_secret()
    served = start_served(root, secret, env)
    key = issue_admin_key(DEFAULT_INSTANCE_NAME, secret)
    return Deployment(served, key, project, npm_clients("the node action tests"), secret)


def alive(pid: int) -> bool:
    """Whether process `pid` exists."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
