"""Stack frames of pushed modules mapped through their source maps."""

from __future__ import annotations

import json

from convexlite.js.source_maps import SourceMap, SourceMaps

# line 1: col 0 -> a.ts 1:1; line 2: col 0 -> a.ts 2:1, col 4 -> a.ts 2:5
MAP = json.dumps({"version": 3, "sources": ["../convex/a.ts"], "mappings": "AAAA;AACA,IAAI"})


def test_lookup_picks_the_segment_at_or_before_the_column() -> None:
    source_map = SourceMap(MAP)
    assert source_map.lookup(1, 1) == ("../convex/a.ts", 1, 1)
    assert source_map.lookup(2, 3) == ("../convex/a.ts", 2, 1)
    assert source_map.lookup(2, 9) == ("../convex/a.ts", 2, 5)
    assert source_map.lookup(7, 1) is None


def test_stack_frames_are_rewritten_and_unknown_modules_kept() -> None:
    maps = SourceMaps({"a.js": MAP, "b.js": None})
    stack = "Error: boom\n    at handler (convex:/a.js:2:9)\n    at x (convex:/b.js:3:1)"
    assert maps.map_stack(stack) == (
        "Error: boom\n    at handler (../convex/a.ts:2:5)\n    at x (convex:/b.js:3:1)"
    )
