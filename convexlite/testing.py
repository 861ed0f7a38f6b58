"""A pytest plugin for testing Convex functions, in the spirit of `convex-test`.

Define a `convex_app` fixture returning your `App`; the `convex` fixture then
gives a fresh in-memory backend of it for every test:

```python
@pytest.fixture
def convex_app():
    return app

def test_send(convex):
    convex.mutation("messages:send", {"author": "ada", "body": "hi"})
    assert convex.query("messages:list", {})[0]["body"] == "hi"
```
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from convexlite import SyncBackend
from convexlite.auth.identity import UserIdentity, trusted, user_identity
from convexlite.functions.app import App, FunctionKind
from convexlite.functions.context import MutationCtx


class ConvexTest:
    """A synchronous view of a backend, optionally acting as one user.

    As in `convex-test`, calls may name internal functions too: a test is trusted
    code, like the dashboard or another function.
    """

    def __init__(self, backend: SyncBackend, identity: UserIdentity | None = None) -> None:
        self.backend = backend
        self.identity = identity
        self._caller = trusted(identity)

    def query(self, path: str, args: dict[str, Any] | None = None) -> Any:
        return self.backend.execute(FunctionKind.QUERY, path, args, self._caller).value

    def mutation(self, path: str, args: dict[str, Any] | None = None) -> Any:
        return self.backend.execute(FunctionKind.MUTATION, path, args, self._caller).value

    def action(self, path: str, args: dict[str, Any] | None = None) -> Any:
        return self.backend.execute(FunctionKind.ACTION, path, args, self._caller).value

    def run(self, fn: Callable[[MutationCtx], Any]) -> Any:
        """Run `fn(ctx)` in a mutation transaction: set up data or inspect it directly."""
        return self.backend.run(fn, self._caller)

    def with_identity(self, identity: dict[str, Any]) -> ConvexTest:
        """The same backend, with calls made as `identity` (fields of a UserIdentity).

        `tokenIdentifier` defaults to `"<issuer>|<subject>"` as Convex sets it.
        """
        attributes = {"issuer": "https://convex.test", "subject": "test-user", **identity}
        return ConvexTest(self.backend, user_identity(attributes))


def convex_test(app: App, url: str = "memory:") -> ConvexTest:
    """A ConvexTest outside of pytest fixtures; close it with `.backend.close()`."""
    return ConvexTest(SyncBackend(app, url))


@pytest.fixture
def convex(request: pytest.FixtureRequest) -> Iterator[ConvexTest]:
    """A fresh in-memory backend of the app returned by your `convex_app` fixture."""
    app = request.getfixturevalue("convex_app")
    t = convex_test(app)
    try:
        yield t
    finally:
        t.backend.close()
