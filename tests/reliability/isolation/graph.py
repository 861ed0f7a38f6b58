"""A dependency graph between transactions whose edges carry the kinds of dependency
(`ww`, `wr`, `rw`, `rt` for real time), its strongly connected components, and the search
for a cycle made of chosen kinds of edge, which is how a cycle is classified."""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Iterable

Edge = tuple[int, str, int]
"""(from op index, kind, to op index): a step of a cycle."""


class Graph:
    def __init__(self) -> None:
        self._out: dict[int, dict[int, set[str]]] = defaultdict(dict)

    def add(self, a: int, kind: str, b: int) -> None:
        if a != b:
            self._out[a].setdefault(b, set()).add(kind)

    def edges(self, nodes: set[int], kind: str) -> Iterable[tuple[int, int]]:
        """The edges of `kind` between two of `nodes`."""
        for a in nodes:
            for b, kinds in self._out.get(a, {}).items():
                if b in nodes and kind in kinds:
                    yield a, b

    def components(self) -> list[set[int]]:
        """Strongly connected components of more than one op (Tarjan's algorithm, iterative:
        a history has more ops than Python has stack frames)."""
        index: dict[int, int] = {}
        low: dict[int, int] = {}
        on_stack: set[int] = set()
        stack: list[int] = []
        found: list[set[int]] = []
        counter = 0
        for root in list(self._out):
            if root in index:
                continue
            work: list[tuple[int, Iterable[int]]] = []
            index[root] = low[root] = counter
            counter += 1
            stack.append(root)
            on_stack.add(root)
            work.append((root, iter(list(self._out.get(root, {})))))
            while work:
                node, successors = work[-1]
                advanced = False
                for nxt in successors:
                    if nxt not in index:
                        index[nxt] = low[nxt] = counter
                        counter += 1
                        stack.append(nxt)
                        on_stack.add(nxt)
                        work.append((nxt, iter(list(self._out.get(nxt, {})))))
                        advanced = True
                        break
                    if nxt in on_stack:
                        low[node] = min(low[node], index[nxt])
                if advanced:
                    continue
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    component = set()
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.add(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(component)
        return found

    def path(self, start: int, goal: int, nodes: set[int], allowed: set[str]) -> list[Edge] | None:
        """A shortest path from `start` to another op `goal` within `nodes` using only edges
        that have a kind in `allowed`; each step names its strongest such kind."""
        previous: dict[int, Edge] = {}
        queue = deque([start])
        seen = {start}
        while queue:
            node = queue.popleft()
            for nxt, kinds in self._out.get(node, {}).items():
                usable = sorted(kinds & allowed, key=_ORDER.index)
                if nxt in seen or nxt not in nodes or not usable:
                    continue
                seen.add(nxt)
                previous[nxt] = (node, usable[0], nxt)
                if nxt == goal:
                    steps = [previous[goal]]
                    while steps[-1][0] != start:
                        steps.append(previous[steps[-1][0]])
                    return steps[::-1]
                queue.append(nxt)
        return None


_ORDER = ["ww", "wr", "rw", "rt"]
