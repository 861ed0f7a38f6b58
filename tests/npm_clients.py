"""The pinned npm packages of tests/clients (the official `convex` client and CLI, `ws`, the
WebSocket Node 20 lacks, `react` for `convex/react`, and `jose`, `lucia`, `@convex-dev/auth`
and the published components (`@convex-dev/*`, `convex-helpers`), which pushed test projects
import, and `ms`, the external package of the node action tests), installed by `npm install`
on first use.

Without Node.js the tests that need them skip, unless CONVEXLITE_REQUIRE_SERVERS=1 (set by
.ci/run), which makes that a failure.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

CLIENTS = Path(__file__).parent / "clients"
REQUIRED = os.environ.get("CONVEXLITE_REQUIRE_SERVERS") == "1"


def unavailable(reason: str) -> None:
    if REQUIRED:
        pytest.fail(reason)
    pytest.skip(reason)


def npm_clients(purpose: str) -> Path:
    """tests/clients with its node_modules installed; `purpose` names who needs them."""
    npm = shutil.which("npm")
    if npm is None or shutil.which("node") is None:
        unavailable(f"npm/node not found: {purpose} need Node.js")
    installed = CLIENTS / "node_modules"
    wanted = (
        "convex", "ws", "react", "jose", "lucia", "@convex-dev/auth", "@convex-dev/rate-limiter",
        "@convex-dev/sharded-counter", "@convex-dev/workpool", "convex-helpers", "ms",
        "playwright-core",
    )  # fmt: skip
    if not all((installed / name / "package.json").exists() for name in wanted):
        done = subprocess.run(
            [str(npm), "install", "--no-audit", "--no-fund"],
            cwd=CLIENTS,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if done.returncode != 0:
            unavailable(f"npm install failed:\n{done.stderr[-2000:]}")
    return CLIENTS
