"""Persistence globals as JSON text, encoded the same way by every backend."""

from __future__ import annotations

import json
from typing import Any

from convexlite.persistence.errors import InvalidWriteError


def encode_globals(globals_: dict[str, Any] | None) -> list[tuple[str, str]]:
    """JSON-encode globals up front so a bad value fails before anything is written.

    NaN and infinities are refused because they are not JSON and other SQL
    backends would reject the text.
    """
    if not globals_:
        return []
    encoded = []
    for key, value in globals_.items():
        if not isinstance(key, str):
            raise InvalidWriteError(f"persistence global key {key!r} is not a string")
        try:
            text = json.dumps(value, allow_nan=False, ensure_ascii=False, separators=(",", ":"))
        except (TypeError, ValueError) as exc:
            raise InvalidWriteError(
                f"persistence global {key!r} is not JSON-serializable: {exc}"
            ) from exc
        encoded.append((key, text))
    return encoded


def decode_global(text: str | None) -> Any:
    return None if text is None else json.loads(text)
