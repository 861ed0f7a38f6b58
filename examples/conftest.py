import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))
sys.path.insert(1, str(HERE.parent / "tests"))

from npm_clients import npm_clients  # noqa: E402


@pytest.fixture(scope="session")
def example_node_modules() -> None:
    """examples/convex_project/node_modules: the pinned npm packages of tests/clients, linked
    in (installed on first use; without Node.js the tests skip, as tests/clients' do)."""
    clients = npm_clients("the Convex project example")
    linked = HERE / "convex_project" / "node_modules"
    if not linked.exists():
        linked.unlink(missing_ok=True)  # a dangling link
        linked.symlink_to(Path("..", "..", "tests", "clients", "node_modules"))
    assert (linked / "convex" / "package.json").exists() or clients is None
