"""One-off test queries: a lone ES module run once in V8 (spec/operator.md §4.5).

The dashboard's custom query and `npx convex run --inline-query` send a module whose
first line imports `query`/`internalQuery` from `convex:/_system/repl/wrappers.js`
and whose default export is a query. It is not part of any push, so it gets a runtime
of its own, holding that module and the host's wrappers module
(`system/repl_wrappers.js`), which is closed once the query has run: nothing of it
outlives the request, and its V8 context has the time and memory limits of any query.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from importlib import resources
from typing import Any

from convexlite.functions.definitions import FunctionDefinition, FunctionKind
from convexlite.functions.environment import Environment
from convexlite.functions.function_errors import FunctionError
from convexlite.functions.function_log import TESTER_CALLER
from convexlite.functions.runner import Execution, FunctionRunner, drive
from convexlite.functions.system.component_ids import path_of
from convexlite.js.esm_rewrite import (
    RewrittenModule,
    UnsupportedModuleSyntax,
    rewrite_hand_written_module,
    rewrite_module,
)
from convexlite.js.prelude import seed_words
from convexlite.js.runtime import JsBundle, JsRuntime
from convexlite.js.source_maps import SourceMaps
from convexlite.values.function_paths import display, qualify

WRAPPERS_SPECIFIER = "convex:/_system/repl/wrappers.js"
WRAPPERS_PATH = "_system/repl/wrappers.js"
MODULE_PATH = "testQuery.js"
FUNCTION_NAME = "default"
CONCURRENT = 2
"""Test queries running at once; more wait their turn, so a flood of runaway ones costs
at most this many V8 contexts and threads."""


class InvalidQueryModule(FunctionError):
    """The module does not load: a syntax error, or an import of something else."""


@cache
def _wrappers() -> RewrittenModule:
    text = (resources.files("convexlite.js") / "system" / "repl_wrappers.js").read_text("utf-8")
    return rewrite_module(WRAPPERS_PATH, text, ())


class OneOffQuery:
    """A one-off query ready to run: its `definition` for the runner; `close` after the run."""

    def __init__(
        self, source: str, *, env: Mapping[str, str], instance_name: str, component: str
    ) -> None:
        """`source` is the module; `component` the path of the component instance it runs
        in (`""`: the app), whose variables `env` are. Raises `InvalidQueryModule` when the
        module is not one a test query may be."""
        try:
            module = rewrite_hand_written_module(
                MODULE_PATH, source, {WRAPPERS_SPECIFIER: WRAPPERS_PATH}
            )
        except UnsupportedModuleSyntax as exc:
            raise InvalidQueryModule(f"Failed to load {MODULE_PATH}: {exc}") from None
        bundle = JsBundle(
            (_wrappers(), module),
            SourceMaps({}),
            seed_words(os.urandom(32)),
            time.time_ns() // 1_000_000,
            env,
        )
        self.runtime = JsRuntime(
            bundle, instance_name=instance_name, component=component, prewarm=False
        )
        self.definition = FunctionDefinition(
            path=qualify(component, f"{MODULE_PATH[:-3]}:{FUNCTION_NAME}"),
            kind=FunctionKind.QUERY,
            public=True,
            handler={"name": FUNCTION_NAME, "udfType": "Query"},
            invoke=self._invoke,
        )

    def _invoke(self, env: Environment, args: Any) -> Any:
        try:
            return self.runtime.run_transaction(
                FunctionKind.QUERY, MODULE_PATH, FUNCTION_NAME, self._shown, args, env
            )
        except UnsupportedModuleSyntax as exc:
            raise InvalidQueryModule(f"Failed to load {MODULE_PATH}: {exc}") from None

    @property
    def _shown(self) -> str:
        return display(self.definition.path)

    def close(self) -> None:
        self.runtime.close()


class OneOffQueries:
    """The engine's service running test queries: each on a thread of a small pool of its
    own, where a runaway one waits out its time limit without holding the event loop or
    the function thread other requests use."""

    def __init__(self, runner: FunctionRunner, instance_name: str) -> None:
        self._runner = runner
        self._instance_name = instance_name
        self._pool = ThreadPoolExecutor(CONCURRENT, thread_name_prefix="convexlite-test-query")

    def start(self) -> None:
        pass

    def stop(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    async def run(
        self, source: str, args: Any, component_id: str | None, identity: dict[str, Any] | None
    ) -> Execution:
        """Run `source` once, read-only, at the latest snapshot, in the component instance
        `component_id` names (None: the app), as the function log's "Tester"."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self._pool, self._run, source, args, component_id, identity
        )

    def _run(
        self, source: str, args: Any, component_id: str | None, identity: dict[str, Any] | None
    ) -> Execution:
        runner = self._runner
        component = path_of(runner.db.begin(read_only=True), component_id)
        variables = runner.variables
        env: Mapping[str, str] = {}
        if variables is not None:
            env = variables.visible(None) if not component else variables.built_in
        query = OneOffQuery(source, env=env, instance_name=self._instance_name, component=component)
        try:
            return drive(runner.one_off_query_flow(query.definition, args, identity, TESTER_CALLER))
        finally:
            query.close()
