"""What the push needs of a JavaScript runtime: the `Analyzer` protocol (spec/functions.md §1.6).

The service never touches V8: the engine passes an object with these four
methods (convexlite/js/analysis.py wraps a V8 context pool into one). Each call
sees the whole set of pushed isolate modules, `{path: source}` (entry modules,
`_deps/` chunks, `schema.js`, `convex.config.js`, `auth.config.js`), so imports
resolve; `path` names the module to evaluate. `seed` (32 bytes) and
`import_time_ns` fix `Math.random` and `Date.now()` during the import phase,
`env` is what `process.env` holds.

A method raising `convexlite.errors.ConvexBackendError` (for instance
`AuthConfigMissingEnvironmentVariable`) has it reported as is; any other
exception is taken as the JavaScript error that stopped evaluation, and its
`str()` becomes the push's error message.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Protocol

AnalyzedModule = Mapping[str, Any]
"""`{"functions": [...], "httpRoutes": [...] | None, "cronSpecs": [...] | None,
"sourceMapped": ...}` as in spec/functions.md §1.6.2."""


class Analyzer(Protocol):
    def analyze_modules(
        self,
        modules: Mapping[str, str],
        *,
        env: Mapping[str, str],
        seed: bytes,
        import_time_ns: int,
    ) -> Mapping[str, AnalyzedModule]:
        """Load every entry module (not under `_deps/`) and return its AnalyzedModule JSON,
        keyed by module path. Cron specs come as `crons.js`'s `cronSpecs`."""
        ...

    def evaluate_schema(
        self,
        modules: Mapping[str, str],
        path: str,
        *,
        env: Mapping[str, str],
        seed: bytes,
        import_time_ns: int,
    ) -> Mapping[str, Any] | None:
        """The parsed JSON of `path`'s `default.export()` (schema JSON, §1.7), or None when
        the module has no default export."""
        ...

    def evaluate_app_definition(
        self,
        modules: Mapping[str, str],
        path: str,
        *,
        env: Mapping[str, str],
        seed: bytes,
        import_time_ns: int,
    ) -> Mapping[str, Any]:
        """`default.export()` of `convex.config.js`: ComponentDefinitionMetadata (§1.8).
        `modules` are `path` and the stub modules (`_componentDeps/…`) it imports."""
        ...

    def evaluate_auth_config(
        self,
        modules: Mapping[str, str],
        path: str,
        *,
        env: Mapping[str, str],
        seed: bytes,
        import_time_ns: int,
    ) -> list[Mapping[str, Any]]:
        """`default.providers` of `auth.config.js`, as AuthInfo objects (platform.md §2.1)."""
        ...


class NodeAnalyzer(Protocol):
    """What the push needs of a Node.js executor (convexlite/node/analysis.py is one)."""

    def analyze_node_modules(
        self,
        modules: Mapping[str, tuple[str, str | None]],
        dependencies: Iterable[Any],
        *,
        env: Mapping[str, str],
    ) -> tuple[Mapping[str, AnalyzedModule], str | None]:
        """Install `dependencies` (the push's `nodeDependencies`), load every entry module of
        `modules` (`{path: (source, source map)}`, the push's `"use node"` modules and their
        `_deps/node/` chunks) in Node.js, and return their AnalyzedModule JSON with the id
        of the installed packages (`externalDepsId`, None without packages). Raises a
        `ConvexBackendError` when Node.js or the packages are unavailable."""
        ...
