"""System functions (`_system/...`): what the Convex CLI asks a deployment about itself.

They are callable only with an admin key, like upstream's. `npx convex run` calls
`_system/cli/modules:apiSpec` to list the available functions when the one it
was asked for does not exist; `npx convex function-spec` also reads the
deployment's URL from `_system/cli/convexUrl:cloudUrl`. The environment variables'
queries are in `environment_variables.py`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from typing import Any

from convexlite.functions.definitions import FunctionDefinition, FunctionKind
from convexlite.functions.http import HttpRoute
from convexlite.functions.system import (
    cli_data,
    components,
    deployment_events,
    deployment_state,
    environment_variables,
    exports,
    frontend_documents,
    frontend_edits,
    frontend_files,
    frontend_modules,
    frontend_schedules,
    frontend_settings,
    frontend_tables,
    imports,
)
from convexlite.functions.system.component_scope import in_component
from convexlite.values.function_paths import canonical_js, split_component

SYSTEM_PREFIX = "_system/"


class SystemFunctions:
    """A function source for `_system/` paths, describing the functions `user_functions` yields.

    A call whose arguments hold a non-null `componentId` runs inside that component
    instance (`component_scope.in_component`), like a `comp|_system/...` path (`lookup`).
    """

    def __init__(
        self,
        user_functions: Callable[[], Iterable[FunctionDefinition]],
        user_routes: Callable[[], Iterable[HttpRoute]],
        cloud_url: str,
        app_auth_providers: Callable[[], Sequence[Any]] = tuple,
    ) -> None:
        self._user_functions = user_functions
        spec = FunctionDefinition(
            "_system/cli/modules:apiSpec",
            FunctionKind.QUERY,
            False,
            self._api_spec,
            lambda env, args: self._api_spec(),
        )
        url = FunctionDefinition(
            "_system/cli/convexUrl:cloudUrl",
            FunctionKind.QUERY,
            False,
            cloud_url,
            lambda env, args: cloud_url,
        )
        modules = frontend_modules.FrontendModules(user_functions, user_routes, cloud_url)
        self.functions = {
            fn.path: in_component(fn)
            for fn in (
                spec,
                url,
                *environment_variables.definitions(),
                *cli_data.definitions(),
                *exports.definitions(),
                *imports.definitions(),
                # The dashboard's pages: Data, Functions and Schema; Files, Schedules,
                # Settings and History.
                *modules.definitions(),
                *frontend_tables.definitions(),
                *frontend_documents.definitions(),
                *frontend_edits.definitions(),
                *frontend_files.definitions(),
                *frontend_schedules.definitions(),
                *frontend_settings.definitions(app_auth_providers),
                *deployment_events.definitions(),
                *deployment_state.definitions(),
                *components.definitions(),
            )
        }

    def lookup(self, path: str) -> FunctionDefinition | None:
        """A system function, or one run inside a component instance (`tally|_system/…`,
        an admin's `componentPath`): the same function, reading that instance's tables."""
        component, local = split_component(path)
        fn = self.functions.get(local)
        if fn is None or not component:
            return fn
        return replace(fn, path=path)

    def _api_spec(self) -> list[dict[str, Any]]:
        """One entry per function, in the shape of upstream's `apiSpec`."""
        return [
            {
                "functionType": fn.kind.value,
                "identifier": canonical_js(fn.path),
                "visibility": {"kind": "public" if fn.public else "internal"},
                "args": json.dumps(fn.args.to_json()) if fn.args is not None else None,
                "returns": json.dumps(fn.returns.to_json()) if fn.returns is not None else None,
            }
            for fn in self._user_functions()
        ]
