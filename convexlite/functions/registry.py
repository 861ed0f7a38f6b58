"""`FunctionRegistry`: the functions and HTTP routes a deployment serves, from every source.

Sources sit in named slots (the system functions always, the Python `App`,
later pushed JavaScript). Installing or replacing a slot publishes a new
immutable `RegistrySnapshot` with the next version, in one reference swap:
an execution reads one snapshot, so it never sees half a deploy. A path or a
route defined by two slots is refused, as upstream refuses it at push.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from convexlite.functions.definitions import (
    DuplicateFunctionError,
    FunctionDefinition,
    FunctionSource,
)
from convexlite.functions.http import HttpRoute
from convexlite.functions.system.catalogue import SYSTEM_PREFIX, SystemFunctions
from convexlite.values.function_paths import display, split_component

SYSTEM_SLOT = "system"
DEFAULT_CLOUD_URL = "http://127.0.0.1:3210"


@dataclass(frozen=True, slots=True)
class InstalledSource:
    """One slot of the registry: a source and the HTTP routes deployed with it."""

    name: str
    source: FunctionSource
    http_routes: tuple[HttpRoute, ...]


@dataclass(frozen=True, slots=True)
class RegistrySnapshot:
    """The registry as of one version; never modified once published."""

    version: int
    slots: tuple[InstalledSource, ...]
    http_routes: tuple[HttpRoute, ...]

    def lookup(self, path: str) -> FunctionDefinition | None:
        """The function at canonical `path`, from whichever slot defines it."""
        for slot in self.slots:
            fn = slot.source.lookup(path)
            if fn is not None:
                return fn
        return None

    def functions(self) -> Iterator[FunctionDefinition]:
        for slot in self.slots:
            yield from slot.source.functions.values()


class FunctionRegistry:
    """Every function source of a deployment, swapped atomically and versioned.

    It starts at version 1 holding the system functions (`_system/…`), which
    describe whatever else is installed; `cloud_url` is the deployment's public URL
    they report, `app_auth_providers` the Python app's auth providers they list.
    """

    def __init__(
        self,
        cloud_url: str = DEFAULT_CLOUD_URL,
        app_auth_providers: Callable[[], Sequence[Any]] = tuple,
    ) -> None:
        self._lock = threading.Lock()
        system = SystemFunctions(
            self._user_functions, self._user_routes, cloud_url, app_auth_providers
        )
        self._current = RegistrySnapshot(1, (InstalledSource(SYSTEM_SLOT, system, ()),), ())

    @property
    def current(self) -> RegistrySnapshot:
        return self._current

    def lookup(self, path: str) -> FunctionDefinition | None:
        return self._current.lookup(path)

    def install(
        self, name: str, source: FunctionSource, http_routes: Iterable[HttpRoute] = ()
    ) -> RegistrySnapshot:
        """Put `source` (and its routes) in slot `name`, replacing what was there.

        Raises `DuplicateFunctionError`, leaving the registry as it was, if another
        slot defines one of its paths or routes.
        """
        installed = InstalledSource(name, source, tuple(http_routes))
        with self._lock:
            current = self._current
            others = tuple(slot for slot in current.slots if slot.name != name)
            _refuse_duplicates(installed, others)
            slots = (installed, *others)  # the system slot stays last
            routes = tuple(route for slot in slots for route in slot.http_routes)
            self._current = RegistrySnapshot(current.version + 1, slots, routes)
            return self._current

    def check(
        self, name: str, source: FunctionSource, http_routes: Iterable[HttpRoute] = ()
    ) -> None:
        """Raise `DuplicateFunctionError` if `install` would refuse these, changing nothing,
        so a deployment can be checked before any of it is applied."""
        installed = InstalledSource(name, source, tuple(http_routes))
        _refuse_duplicates(installed, tuple(s for s in self._current.slots if s.name != name))

    def _user_functions(self) -> Iterator[FunctionDefinition]:
        return (
            fn
            for fn in self._current.functions()
            if not fn.path.startswith(SYSTEM_PREFIX) and not split_component(fn.path)[0]
        )

    def _user_routes(self) -> Iterator[HttpRoute]:
        """The app's HTTP routes (not a component's)."""
        return (route for route in self._current.http_routes if not route.component)


def _refuse_duplicates(new: InstalledSource, others: tuple[InstalledSource, ...]) -> None:
    for slot in others:
        for path in new.source.functions.keys() & slot.source.functions.keys():
            raise DuplicateFunctionError(
                f"Function {display(path)} is defined by both the {slot.name!r} and the "
                f"{new.name!r} sources"
            )
        theirs = {route.key for route in slot.http_routes}
        for route in new.http_routes:
            if route.key in theirs:
                raise DuplicateFunctionError(
                    f"HTTP route {route.name} is defined by both the {slot.name!r} and the "
                    f"{new.name!r} sources"
                )
