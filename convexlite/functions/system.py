"""System functions (`_system/...`): what the Convex CLI asks a deployment about itself.

They are callable only with an admin key, like upstream's. `npx convex run` calls
`_system/cli/modules:apiSpec` to list the available functions when the one it
was asked for does not exist.
"""

from __future__ import annotations

import json
from typing import Any

from convexlite.functions.app import FunctionDefinition, FunctionKind, FunctionSource
from convexlite.values.function_paths import canonical_js

SYSTEM_PREFIX = "_system/"


class SystemFunctions:
    """A function source for `_system/` paths, describing `app`."""

    def __init__(self, app: FunctionSource) -> None:
        self._app = app
        spec = FunctionDefinition(
            "_system/cli/modules:apiSpec", FunctionKind.QUERY, False, self._api_spec
        )
        self._functions = {spec.path: spec}

    def lookup(self, path: str) -> FunctionDefinition | None:
        return self._functions.get(path)

    def _api_spec(self, ctx: Any, args: Any) -> list[dict[str, Any]]:
        """One entry per function, in the shape of upstream's `apiSpec`."""
        return [
            {
                "functionType": fn.kind.value,
                "identifier": canonical_js(fn.path),
                "visibility": {"kind": "public" if fn.public else "internal"},
                "args": json.dumps(fn.args.to_json()) if fn.args is not None else None,
                "returns": json.dumps(fn.returns.to_json()) if fn.returns is not None else None,
            }
            for fn in self._app.functions.values()
        ]
