"""CPU-heavy JavaScript stays as fast on its tenth run as on its first: lucia's scrypt in a
pushed mutation and queries, run again and again in the same warm contexts, never reaches
the 1 s limit (in contexts that kept instantiating one definition of the module, V8 ran it
about 20 times slower). A run stopped on shared definitions and started over keeps nothing
from its first attempt. Node.js follows the rule of tests/clients (npm_clients.py)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from npm_clients import npm_clients

from convexlite import SyncBackend
from convexlite.js import runtime

PROJECT = Path(__file__).parent / "heavy_project"


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> dict:
    project = tmp_path_factory.mktemp("heavy") / "project"
    shutil.copytree(PROJECT, project)
    (project / "node_modules").symlink_to(npm_clients("the heavy project") / "node_modules")
    with SyncBackend("memory:") as backend:
        return backend.bundle(project)


@pytest.fixture
def backend(bundle: dict) -> Iterator[SyncBackend]:
    with SyncBackend("memory:") as backend:
        backend.deploy_bundle(bundle)
        yield backend


def accounts(backend: SyncBackend) -> list[dict]:
    return backend.query("accounts:list", {})


def test_password_hashing_mutations_and_checks_keep_working(backend: SyncBackend) -> None:
    for n in range(8):
        backend.mutation("accounts:register", {"name": f"user{n}", "password": f"secret {n}"})
    assert [account["name"] for account in accounts(backend)] == [f"user{n}" for n in range(8)]
    for n in range(4):
        assert backend.query("accounts:signIn", {"name": f"user{n}", "password": f"secret {n}"})
        assert not backend.query("accounts:signIn", {"name": f"user{n}", "password": "guess"})


def test_a_run_started_over_keeps_nothing_of_its_first_attempt(
    backend: SyncBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every run past the first goes past the (lowered) shared-definitions budget and is
    started over: its insert happens once, and its paginated query runs again."""
    monkeypatch.setattr(runtime, "FRESH_AFTER_JS_SECONDS", 60.0)
    monkeypatch.setattr(runtime, "SHARED_RUN_JS_SECONDS", 0.0)
    for n in range(3):
        backend.mutation("accounts:register", {"name": f"user{n}", "password": "same"})
    assert [account["name"] for account in accounts(backend)] == ["user0", "user1", "user2"]
    assert all(account["hash"] for account in accounts(backend))
    page = backend.query(
        "accounts:firstPageSignIn",
        {"password": "same", "paginationOpts": {"numItems": 2, "cursor": None}},
    )
    assert page["page"] == [True, True]
    assert page["isDone"] is False
