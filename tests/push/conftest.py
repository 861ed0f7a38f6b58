"""The pushed project most tests of this directory share (see push_harness.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from npm_clients import npm_clients
from push_harness import HERE, Deployment, project_copy, start

from convexlite.auth.keys import generate_instance_secret, issue_admin_key
from convexlite.persistence import DEFAULT_INSTANCE_NAME


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    """tests/push/project deployed by the real CLI to a `convexlite serve` of its own."""
    root = tmp_path_factory.mktemp("push")
    project = project_copy(root, "project", HERE / "project")
    secret = generate_instance_secret()
    served = start(root, secret)
    key = issue_admin_key(DEFAULT_INSTANCE_NAME, secret)
    deployed = Deployment(served, key, project, npm_clients("the push tests"), secret)
    try:
        deployed.cli("deploy", "-y", "--typecheck", "disable")
        yield deployed
    finally:
        deployed.served.stop()
