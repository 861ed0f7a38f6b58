"""Index keys of documents (spec/database.md §2.3, §3.1).

A key is the concatenation of the sort keys of the indexed field values,
ending in the sort key of the `_id` string, so no full key is a prefix of
another and byte order is index order.
"""

from __future__ import annotations

from typing import Any

from convexlite.values import UNDEFINED_KEY, sort_key


def id_key(id_str: str) -> bytes:
    """Sort key of an id string: ids are ASCII without NUL, so no escaping is needed."""
    return b"\x10" + id_str.encode() + b"\x00"


def field_value(doc: Any, path: tuple[str, ...]) -> Any:
    """The value at `path`, or the UNDEFINED marker `_MISSING` if any step is absent."""
    value = doc
    for part in path:
        if type(value) is not dict:
            return _MISSING
        value = value.get(part, _MISSING)
        if value is _MISSING:
            return _MISSING
    return value


_MISSING = object()


def index_key(fields: tuple[tuple[str, ...], ...], doc: dict[str, Any], id_bytes: bytes) -> bytes:
    """The key of `doc` in an index over `fields`; `id_bytes` is `id_key(doc["_id"])`."""
    if not fields:
        return id_bytes
    parts = []
    for path in fields:
        value = doc.get(path[0], _MISSING) if len(path) == 1 else field_value(doc, path)
        parts.append(UNDEFINED_KEY if value is _MISSING else sort_key(value))
    parts.append(id_bytes)
    return b"".join(parts)
