"""`NodeFunctionSource`: the node actions of a push, as the registry sees them.

Built from the push's node modules and their analysis (only actions: the push
refused anything else); each becomes an async `FunctionDefinition` run by the
push's `NodeRuntime`, so every path that runs a V8 action (HTTP, sync,
scheduler, `ctx.runAction`, `npx convex run`) runs these too.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

from convexlite.functions.definitions import FunctionDefinition, FunctionKind
from convexlite.functions.environment import Environment
from convexlite.functions.validators import analyzed_validator
from convexlite.node.packages import parse_dependencies
from convexlite.node.runtime import NodeRuntime
from convexlite.values.function_paths import display


class NodeFunctionSource:
    """The node actions of one push; `close` stops their processes."""

    def __init__(self, runtime: NodeRuntime, functions: Mapping[str, FunctionDefinition]) -> None:
        self.runtime = runtime
        self._functions = MappingProxyType(dict(functions))

    @classmethod
    def build(
        cls,
        modules: Mapping[str, tuple[str, str | None]],
        analysis: Mapping[str, Mapping[str, Any]],
        dependencies: Any,
        root: Path,
        *,
        instance_name: str,
    ) -> NodeFunctionSource:
        """`modules`: the push's node modules ({path: (source, source map)}, chunks too);
        `analysis`: {module path: AnalyzedModule JSON} of its node entry modules."""
        runtime = NodeRuntime(
            modules, parse_dependencies(dependencies), root, instance_name=instance_name
        )
        functions: dict[str, FunctionDefinition] = {}
        for module, analyzed in analysis.items():
            for spec in analyzed.get("functions") or ():
                fn = _definition(runtime, module, spec)
                functions[fn.path] = fn
        return cls(runtime, functions)

    @property
    def functions(self) -> Mapping[str, FunctionDefinition]:
        return self._functions

    def lookup(self, path: str) -> FunctionDefinition | None:
        return self._functions.get(path)

    def retire(self) -> None:
        """Replaced by a newer push: running actions finish, idle processes stop."""
        self.runtime.retire()

    def close(self) -> None:
        """The backend closes: every process stops now."""
        self.runtime.close()


def _definition(runtime: NodeRuntime, module: str, spec: Mapping[str, Any]) -> FunctionDefinition:
    name = spec["name"]
    path = f"{module[:-3]}:{name}"
    shown = display(path)
    visibility = spec.get("visibility")

    async def invoke(env: Environment, args: Any) -> Any:
        return await runtime.run_action(module, name, shown, args, env)

    return FunctionDefinition(
        path=path,
        kind=FunctionKind.ACTION,
        public=visibility is None or visibility.get("kind") == "public",
        handler=spec,
        invoke=invoke,
        args=analyzed_validator(spec.get("args")),
        returns=analyzed_validator(spec.get("returns")),
        is_async=True,
    )
