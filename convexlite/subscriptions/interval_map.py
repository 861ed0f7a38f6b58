"""Intervals of index keys mapped to the subscriptions that read them.

The question asked after every commit is "which subscriptions read a range
containing this written key?" (a stabbing query). A treap ordered by
interval start, each node carrying the largest end in its subtree, answers
it in O(log n + matches): subtrees whose ends all lie at or before the key,
and right subtrees starting after it, are never entered. Identical
intervals (many clients watching one query) share a node.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

INFINITY = b"\xff\xff"
"""Greater than every index key: keys begin with a type tag below 0xff."""


class _Node:
    __slots__ = ("start", "end", "owners", "priority", "left", "right", "max_end")

    def __init__(self, start: bytes, end: bytes) -> None:
        self.start = start
        self.end = end
        self.owners: set[Any] = set()
        self.priority = random.random()
        self.left: _Node | None = None
        self.right: _Node | None = None
        self.max_end = end

    def update(self) -> None:
        best = self.end
        if self.left is not None and self.left.max_end > best:
            best = self.left.max_end
        if self.right is not None and self.right.max_end > best:
            best = self.right.max_end
        self.max_end = best


def _split(node: _Node | None, key: tuple[bytes, bytes]) -> tuple[_Node | None, _Node | None]:
    """(nodes ordered before `key`, nodes at or after it)."""
    if node is None:
        return None, None
    if (node.start, node.end) < key:
        node.right, right = _split(node.right, key)
        node.update()
        return node, right
    left, node.left = _split(node.left, key)
    node.update()
    return left, node


def _merge(left: _Node | None, right: _Node | None) -> _Node | None:
    if left is None:
        return right
    if right is None:
        return left
    if left.priority > right.priority:
        left.right = _merge(left.right, right)
        left.update()
        return left
    right.left = _merge(left, right.left)
    right.update()
    return right


class IntervalMap:
    """Half-open intervals `[start, end)` (`end=None` for +infinity), each with owners."""

    __slots__ = ("_root", "_nodes")

    def __init__(self) -> None:
        self._root: _Node | None = None
        self._nodes: dict[tuple[bytes, bytes], _Node] = {}

    def __len__(self) -> int:
        """The number of distinct intervals."""
        return len(self._nodes)

    def add(self, start: bytes, end: bytes | None, owner: Any) -> None:
        key = (start, INFINITY if end is None else end)
        node = self._nodes.get(key)
        if node is None:
            node = self._nodes[key] = _Node(*key)
            left, right = _split(self._root, key)
            self._root = _merge(_merge(left, node), right)
        node.owners.add(owner)

    def remove(self, start: bytes, end: bytes | None, owner: Any) -> None:
        key = (start, INFINITY if end is None else end)
        node = self._nodes.get(key)
        if node is None:
            return
        node.owners.discard(owner)
        if not node.owners:
            del self._nodes[key]
            self._root = self._delete(self._root, key)

    def _delete(self, node: _Node | None, key: tuple[bytes, bytes]) -> _Node | None:
        if node is None:
            return None
        here = (node.start, node.end)
        if here == key:
            return _merge(node.left, node.right)
        if key < here:
            node.left = self._delete(node.left, key)
        else:
            node.right = self._delete(node.right, key)
        node.update()
        return node

    def stab(self, key: bytes) -> Iterator[Any]:
        """Owners of every interval containing `key`."""
        stack = [self._root]
        while stack:
            node = stack.pop()
            if node is None or node.max_end <= key:
                continue
            stack.append(node.left)
            if node.start <= key:
                if key < node.end:
                    yield from node.owners
                stack.append(node.right)
