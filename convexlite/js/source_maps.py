"""Stack frames of pushed code, mapped back to the TypeScript the user wrote.

Every module script is named `convex:/<path>` (its `sourceURL`) and keeps the
bundle's line and column numbers (the ESM rewrite pads the import block), so
a frame `convex:/messages.js:12:5` can be looked up in the module's pushed
source map (format version 3) and shown as `../convex/messages.ts:10:3`,
the way Convex shows it. Maps are decoded lazily, once per module.
"""

from __future__ import annotations

import bisect
import json
import re
from collections.abc import Mapping

_B64 = {
    c: i for i, c in enumerate("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
}
_FRAME = re.compile(r"convex:/([^\s():]+):(\d+):(\d+)")


def _vlq_values(segment: str) -> list[int]:
    values: list[int] = []
    shift = value = 0
    for char in segment:
        digit = _B64[char]
        value += (digit & 31) << shift
        if digit & 32:
            shift += 5
            continue
        values.append(-(value >> 1) if value & 1 else value >> 1)
        shift = value = 0
    return values


class SourceMap:
    """One decoded map: for each generated line, its segments sorted by column."""

    __slots__ = ("sources", "_lines")

    def __init__(self, raw: str) -> None:
        data = json.loads(raw)
        self.sources: list[str] = list(data.get("sources", []))
        self._lines: list[tuple[list[int], list[tuple[int, int, int]]]] = []
        source = line = col = 0
        for text in data.get("mappings", "").split(";"):
            columns: list[int] = []
            targets: list[tuple[int, int, int]] = []
            generated = 0
            for segment in text.split(","):
                if not segment:
                    continue
                fields = _vlq_values(segment)
                generated += fields[0]
                if len(fields) >= 4:
                    source += fields[1]
                    line += fields[2]
                    col += fields[3]
                    columns.append(generated)
                    targets.append((source, line, col))
            self._lines.append((columns, targets))

    def lookup(self, line: int, column: int) -> tuple[str, int, int] | None:
        """The original (source, line, column), 1-based, of a 1-based generated position."""
        if not 0 < line <= len(self._lines):
            return None
        columns, targets = self._lines[line - 1]
        at = bisect.bisect_right(columns, column - 1) - 1
        if at < 0:
            return None
        source, original_line, original_col = targets[at]
        if not 0 <= source < len(self.sources):
            return None
        return self.sources[source], original_line + 1, original_col + 1


class SourceMaps:
    """The source maps of one push, by module path, decoded on first use."""

    def __init__(self, raw: Mapping[str, str | None]) -> None:
        self._raw = raw
        self._decoded: dict[str, SourceMap | None] = {}

    def _map(self, path: str) -> SourceMap | None:
        if path not in self._decoded:
            raw = self._raw.get(path)
            try:
                self._decoded[path] = SourceMap(raw) if raw else None
            except (ValueError, KeyError, IndexError):
                self._decoded[path] = None
        return self._decoded[path]

    def map_stack(self, stack: str) -> str:
        """`stack` with every `convex:/…` position replaced by its original one, if known."""

        def replace(match: re.Match[str]) -> str:
            source_map = self._map(match[1])
            found = source_map.lookup(int(match[2]), int(match[3])) if source_map else None
            if found is None:
                return match[0]
            return f"{found[0]}:{found[1]}:{found[2]}"

        return _FRAME.sub(replace, stack)
