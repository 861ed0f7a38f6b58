"""The pushed project every test of this directory shares (see push_harness.py)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest
from npm_clients import npm_clients
from push_harness import HERE, Deployment, start

from convexlite.auth.keys import generate_instance_secret, issue_admin_key
from convexlite.persistence import DEFAULT_INSTANCE_NAME


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    clients = npm_clients("the push tests")
    root = tmp_path_factory.mktemp("push")
    project = root / "project"
    shutil.copytree(HERE / "project", project)
    (project / "node_modules").symlink_to(clients / "node_modules")
    secret = generate_instance_secret()
    served = start(root, secret)
    deployed = Deployment(served, issue_admin_key(DEFAULT_INSTANCE_NAME, secret), project, clients)
    try:
        deployed.cli("deploy", "-y", "--typecheck", "disable")
        yield deployed
    finally:
        deployed.served.stop()
