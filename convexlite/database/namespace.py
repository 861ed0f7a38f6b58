"""`TableNamespace`: the tables one component instance sees (spec/database.md §1, "Namespace").

Upstream keys each table by (namespace, name). convexlite keeps one table registry
and gives a component's tables engine names of the form `<component path>/<table>`:
a `/` never occurs in a table name user code may use, so the app cannot address a
component's tables by name, two components may both have a `counts` table, and every
layer below (indexes, OCC, subscriptions, schema enforcement) works unchanged. The
root app's namespace is the identity. A component has its own system tables too
(`tally/_storage`, `tally/_scheduled_functions`): its files and scheduled jobs are its
own. Ids carry global table numbers, so a component still has to check that an id it
is given belongs to one of its tables (`owns`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from convexlite.values.function_paths import split_component

SEPARATOR = "/"


@dataclass(frozen=True, slots=True)
class TableNamespace:
    """The namespace of the component at `component` (`""`: the root app)."""

    component: str = ""

    @property
    def is_root(self) -> bool:
        return not self.component

    def engine_name(self, table: str) -> str:
        """The registry's name for this namespace's table `table` (a system table too)."""
        if self.is_root:
            return table
        return f"{self.component}{SEPARATOR}{table}"

    def owns(self, engine_name: str) -> bool:
        """Whether the registry's table `engine_name` is one of this namespace's."""
        return component_of_table(engine_name) == self.component

    def user_name(self, engine_name: str) -> str | None:
        """The name this namespace's code knows `engine_name` by; None if not its table."""
        if not self.owns(engine_name):
            return None
        return engine_name.rpartition(SEPARATOR)[2]


def all_copies(names: Iterable[str], table: str) -> list[str]:
    """The registry names, among `names`, of every namespace's `table` (a system table each
    namespace has, `_storage`): the app's first."""
    suffix = f"{SEPARATOR}{table}"
    return [table] + sorted(name for name in names if name.endswith(suffix))


def printable_table_name(engine_name: str) -> str:
    """The name a component's code knows its table `engine_name` by, as errors show it
    (upstream's printable index names carry no component path)."""
    return engine_name.rpartition(SEPARATOR)[2]


def component_of_table(engine_name: str) -> str:
    """The path of the component owning the registry's table `engine_name` (`""`: the app)."""
    return engine_name.rpartition(SEPARATOR)[0]


ROOT = TableNamespace()


def namespace_of_function(path: str) -> TableNamespace:
    """The namespace a function runs in, from its canonical path (`tally|counts:add`)."""
    component, _ = split_component(path)
    return TableNamespace(component) if component else ROOT
