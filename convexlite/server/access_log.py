"""Credentials kept out of the access log of `convexlite serve --access-log`.

Two query parameters are credentials: `adminKey` (upstream's cloud dashboard downloads an
export with it) and the upload URL's `token`. uvicorn logs each request's path with its
query, so their values are replaced before a line is written.
"""

from __future__ import annotations

import logging
from urllib.parse import unquote_plus

CREDENTIAL_PARAMS = frozenset({"adminKey", "token"})
REDACTED = "<redacted>"


def redact_query(target: str) -> str:
    """`target` (a path and query) with the value of every credential parameter replaced;
    names are compared decoded, as the server reads them."""
    path, sep, query = target.partition("?")
    if not sep:
        return target
    parts = []
    for part in query.split("&"):
        name, eq, _ = part.partition("=")
        parts.append(
            f"{name}={REDACTED}" if eq and unquote_plus(name) in CREDENTIAL_PARAMS else part
        )
    return f"{path}?{'&'.join(parts)}"


class RedactCredentials(logging.Filter):
    """For uvicorn's access logger: its path argument goes through `redact_query`."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                redact_query(arg) if isinstance(arg, str) else arg for arg in record.args
            )
        return True
