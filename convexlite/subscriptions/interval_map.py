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
            self._insert(node, key)
        node.owners.add(owner)

    def _insert(self, new: _Node, key: tuple[bytes, bytes]) -> None:
        """Walk down to where `new`'s priority belongs, split that subtree around it.

        Iterative because this runs once per new interval of every
        subscription; only the split below the insertion point recurses.
        """
        parent: _Node | None = None
        node = self._root
        new_end = new.max_end
        while node is not None and node.priority > new.priority:
            if node.max_end < new_end:
                node.max_end = new_end
            parent = node
            node = node.left if key < (node.start, node.end) else node.right
        new.left, new.right = _split(node, key)
        new.update()
        if parent is None:
            self._root = new
        elif key < (parent.start, parent.end):
            parent.left = new
        else:
            parent.right = new

    def remove(self, start: bytes, end: bytes | None, owner: Any) -> None:
        key = (start, INFINITY if end is None else end)
        node = self._nodes.get(key)
        if node is None:
            return
        node.owners.discard(owner)
        if not node.owners:
            del self._nodes[key]
            self._delete(node, key)

    def _delete(self, target: _Node, key: tuple[bytes, bytes]) -> None:
        path: list[_Node] = []
        node = self._root
        while node is not target:
            assert node is not None
            path.append(node)
            node = node.left if key < (node.start, node.end) else node.right
        replacement = _merge(target.left, target.right)
        if not path:
            self._root = replacement
            return
        parent = path[-1]
        if parent.left is target:
            parent.left = replacement
        else:
            parent.right = replacement
        for node in reversed(path):
            node.update()

    def stab(self, key: bytes) -> Iterator[Any]:
        """Owners of every interval containing `key`."""
        root = self._root
        if root is None or root.max_end <= key:
            return
        stack = [root]
        pop, push = stack.pop, stack.append
        while stack:
            node = pop()
            left = node.left
            if left is not None and left.max_end > key:
                push(left)
            if node.start <= key:
                if key < node.end:
                    yield from node.owners
                right = node.right
                if right is not None and right.max_end > key:
                    push(right)
