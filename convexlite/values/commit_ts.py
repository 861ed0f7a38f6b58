"""The commit-timestamp placeholder (`COMMIT_TS`, `{"$commitTs": null}`) in values and text.

A mutation may write `COMMIT_TS` anywhere in a document; the committer replaces it with the
commit's timestamp once that is known. Canonical Convex JSON escapes every quote inside a
string, so the token's text can only be the placeholder itself: the committer finds and
replaces it in a document's stored text without parsing it.
"""

from __future__ import annotations

from typing import Any

from convexlite.values.int64 import Int64
from convexlite.values.json_codec import dumps
from convexlite.values.types import COMMIT_TS

COMMIT_TS_TOKEN = '{"$commitTs":null}'
"""The placeholder in canonical Convex JSON text (`dumps`)."""


def has_commit_ts(value: Any) -> bool:
    """Whether `value` holds the placeholder anywhere."""
    if value is COMMIT_TS:
        return True
    if isinstance(value, dict):
        return any(has_commit_ts(x) for x in value.values())
    if isinstance(value, (list, tuple)):
        return any(has_commit_ts(x) for x in value)
    return False


def resolve_commit_ts(value: Any, ts: int) -> Any:
    """`value` with every placeholder replaced by `Int64(ts)` (a copy where anything changed)."""
    if value is COMMIT_TS:
        return Int64(ts)
    if isinstance(value, dict):
        return {k: resolve_commit_ts(x, ts) for k, x in value.items()}
    if isinstance(value, (list, tuple)):
        return [resolve_commit_ts(x, ts) for x in value]
    return value


def json_has_commit_ts(text: str) -> bool:
    """Whether canonical Convex JSON `text` holds the placeholder."""
    return COMMIT_TS_TOKEN in text


def resolve_commit_ts_json(text: str, ts: int) -> str:
    """Canonical Convex JSON `text` with every placeholder replaced by `Int64(ts)`."""
    return text.replace(COMMIT_TS_TOKEN, dumps(Int64(ts)))
