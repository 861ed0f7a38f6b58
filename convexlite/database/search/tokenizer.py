"""Upstream's `convex_en` text analyzer (spec/platform.md §6.2), for documents and queries alike.

Tokens are maximal runs of `char::is_alphanumeric` characters; tokens of 32 or
more UTF-8 bytes (in their original spelling) are dropped; the rest are
lowercased. No stemming, stop words or accent folding.
"""

from __future__ import annotations

import re
from functools import lru_cache

from convexlite.database.search.alphanumeric_table import ALPHANUMERIC_RANGES

MAX_TOKEN_BYTES = 32


def _char_class() -> str:
    parts = []
    for lo, hi in ALPHANUMERIC_RANGES:
        parts.append(
            re.escape(chr(lo)) if lo == hi else f"{re.escape(chr(lo))}-{re.escape(chr(hi))}"
        )
    return "[" + "".join(parts) + "]+"


_RUNS = re.compile(_char_class())


def tokenize(text: str) -> list[str]:
    """The tokens of `text`, in order, repeats kept."""
    return [
        run.lower()
        for run in _RUNS.findall(text)
        if len(run) * 4 < MAX_TOKEN_BYTES or len(run.encode("utf-8")) < MAX_TOKEN_BYTES
    ]


@lru_cache(maxsize=4096)
def term_counts(text: str) -> dict[str, int]:
    """Each distinct token of `text` → its count; cached (a few thousand texts), because a
    commit tokenizes a document's old version that the index or the last commit already
    did (the result is shared: never mutate it)."""
    counts: dict[str, int] = {}
    for token in tokenize(text):
        counts[token] = counts.get(token, 0) + 1
    return counts
