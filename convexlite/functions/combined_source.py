"""`CombinedSource`: several function sources served from one registry slot.

A push's functions come from two runtimes (V8 for isolate modules, Node.js for
`"use node"` ones) but are one deployment: they are installed and replaced
together, in one swap, so a module that moves between the two from one push
to the next never looks defined twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from convexlite.functions.definitions import FunctionDefinition, FunctionSource


class CombinedSource:
    """The union of `sources`, whose paths must not overlap (a push's modules do not)."""

    def __init__(self, *sources: FunctionSource) -> None:
        merged: dict[str, FunctionDefinition] = {}
        for source in sources:
            merged.update(source.functions)
        self._functions = MappingProxyType(merged)

    @property
    def functions(self) -> Mapping[str, FunctionDefinition]:
        return self._functions

    def lookup(self, path: str) -> FunctionDefinition | None:
        return self._functions.get(path)
