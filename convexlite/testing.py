"""A pytest plugin for testing Convex functions, in the spirit of `convex-test`.

Define a `convex_app` fixture returning your `App`, or a `convex_project`
fixture returning the directory of a Convex project (its `convex/` folder and
`node_modules/convex`), or both; the `convex` fixture then gives a fresh
in-memory backend of it for every test:

```python
@pytest.fixture
def convex_app():
    return app

def test_send(convex):
    convex.mutation("messages:send", {"author": "ada", "body": "hi"})
    assert convex.query("messages:list", {})[0]["body"] == "hi"
```

A project is bundled by its own CLI once per session (and again when one of
its files changes); each test's backend gets that bundle pushed in-process.

Time is the test's own, as with convex-test's `vi.useFakeTimers()`: it starts at
the real time and moves only when the test advances it, and scheduled functions
run only when the test asks:

```python
def test_reminder(convex):
    convex.mutation("reminders:schedule", {"inMs": 60_000})
    convex.advance_time(60_000)
    convex.finish_in_progress_scheduled_functions()   # what is due now
    convex.finish_scheduled_functions()                # everything, moving time forward
```
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from convexlite import SyncBackend
from convexlite.auth.identity import UserIdentity, trusted, user_identity
from convexlite.functions.app import App, FunctionKind
from convexlite.functions.context import MutationCtx

ProjectPath = str | os.PathLike[str]


class TestClock:
    """A test's time in nanoseconds since the epoch: the real time when made, then only
    what the test adds."""

    __test__ = False  # not a test class, despite its name

    def __init__(self) -> None:
        self.now_ns = time.time_ns() // 1_000_000 * 1_000_000

    def __call__(self) -> int:
        return self.now_ns

    def advance(self, ms: float) -> None:
        if ms < 0:
            raise ValueError("time only moves forward")
        self.now_ns += round(ms * 1_000_000)


class ScheduledFunctionsDidNotFinish(AssertionError):
    """Scheduled functions kept scheduling more (a loop), beyond the allowed rounds."""


class ConvexTest:
    """A synchronous view of a backend, optionally acting as one user.

    As in `convex-test`, calls may name internal functions too: a test is trusted
    code, like the dashboard or another function.
    """

    def __init__(
        self,
        backend: SyncBackend,
        identity: UserIdentity | None = None,
        clock: TestClock | None = None,
    ) -> None:
        self.backend = backend
        self.identity = identity
        self.clock = clock if clock is not None else TestClock()
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
        return ConvexTest(self.backend, user_identity(attributes), self.clock)

    def set_environment_variables(self, changes: dict[str, str | None]) -> None:
        """Set (a string) or unset (None) this test's environment variables (`ctx.env`,
        `process.env`); each test's backend starts with none."""
        self.backend.set_environment_variables(changes)

    def advance_time(self, ms: float) -> None:
        """Move the test's clock `ms` milliseconds forward (nothing runs by itself)."""
        self.clock.advance(ms)

    def finish_in_progress_scheduled_functions(self) -> int:
        """Run the scheduled functions due now, and what they schedule for now, to the end;
        returns how many ran."""
        return self.backend.run_scheduled_functions()

    def finish_scheduled_functions(self, max_rounds: int = 100) -> int:
        """Run every scheduled function, moving the clock to each one's time as needed,
        until none is pending; returns how many ran. A chain that keeps scheduling past
        `max_rounds` rounds raises `ScheduledFunctionsDidNotFinish`."""
        count = 0
        for _ in range(max_rounds):
            count += self.backend.run_scheduled_functions()
            due = self.backend.next_scheduled_time()
            if due is None:
                return count
            self.clock.now_ns = max(self.clock.now_ns, due)
        raise ScheduledFunctionsDidNotFinish(
            f"scheduled functions were still pending after {max_rounds} rounds"
        )


def convex_test(
    app: App | None = None,
    url: str = "memory:",
    *,
    project: ProjectPath | None = None,
    bundle: dict[str, Any] | None = None,
) -> ConvexTest:
    """A ConvexTest outside of pytest fixtures; close it with `.backend.close()`.

    `project` is deployed with its own CLI (`SyncBackend.deploy`); a `bundle`
    (`SyncBackend.bundle`'s result) is pushed in-process instead, much faster.
    """
    clock = TestClock()
    backend = SyncBackend(app, url, clock=clock, run_scheduler=False)
    try:
        if bundle is not None:
            backend.deploy_bundle(bundle)
        elif project is not None:
            backend.deploy(project)
    except BaseException:
        backend.close()
        raise
    return ConvexTest(backend, clock=clock)


class ProjectBundles:
    """Each project bundled once by its CLI, again only when one of its files changes."""

    def __init__(self) -> None:
        self._bundles: dict[Path, tuple[object, dict[str, Any]]] = {}

    def get(self, project: ProjectPath) -> dict[str, Any]:
        root = Path(project).resolve()
        state = _fingerprint(root)
        cached = self._bundles.get(root)
        if cached is not None and cached[0] == state:
            return cached[1]
        with SyncBackend("memory:") as scratch:
            bundle = scratch.bundle(root)
        # the CLI may write files (convex/_generated is not counted, but .env.local is)
        self._bundles[root] = (_fingerprint(root), bundle)
        return bundle


_SKIPPED_DIRS = {"node_modules", "_generated", ".git"}


def _fingerprint(root: Path) -> object:
    """Path, size and modification time of a project's files, outside `node_modules` and
    the generated code."""
    found = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in _SKIPPED_DIRS)
        for name in sorted(files):
            try:
                stat = os.stat(os.path.join(folder, name))
            except FileNotFoundError:
                continue
            found.append((folder, name, stat.st_size, stat.st_mtime_ns))
    return tuple(found)


@pytest.fixture
def convex_app() -> App | None:
    """Override to return the `App` whose Python functions the `convex` fixture serves."""
    return None


@pytest.fixture
def convex_project() -> ProjectPath | None:
    """Override to return a Convex project directory the `convex` fixture deploys."""
    return None


@pytest.fixture(scope="session")
def convex_project_bundles() -> ProjectBundles:
    """The session's cache of bundled projects."""
    return ProjectBundles()


@pytest.fixture
def convex(
    convex_app: App | None,
    convex_project: ProjectPath | None,
    convex_project_bundles: ProjectBundles,
) -> Iterator[ConvexTest]:
    """A fresh in-memory backend of your `convex_app`'s functions, your `convex_project`'s
    pushed functions and schema, or both."""
    if convex_app is None and convex_project is None:
        pytest.fail(
            "the `convex` fixture needs a `convex_app` fixture returning your App or a "
            "`convex_project` fixture returning your Convex project's directory",
            pytrace=False,
        )
    bundle = None if convex_project is None else convex_project_bundles.get(convex_project)
    t = convex_test(convex_app, bundle=bundle)
    try:
        yield t
    finally:
        t.backend.close()
