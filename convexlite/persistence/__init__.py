"""Storage backends behind one `Persistence` protocol (spec/database.md §4).

`open_persistence` turns the URL a user configures into a store, so the rest
of convexlite never needs to know which backend it runs on.
"""

from __future__ import annotations

import os
import re
from urllib.parse import parse_qsl

from convexlite.persistence.errors import (
    CommitOutcomeUnknownError,
    CorruptedStoreError,
    DuplicateRowError,
    InvalidPersistenceUrlError,
    InvalidWriteError,
    PersistenceError,
    StoreClosedError,
    StoreLockedError,
    StoreOpenError,
)
from convexlite.persistence.memory import MemoryPersistence
from convexlite.persistence.sql.naming import DEFAULT_INSTANCE_NAME
from convexlite.persistence.sqlite import SqlitePersistence
from convexlite.persistence.types import (
    DocumentRevision,
    IndexEntry,
    IndexRow,
    Order,
    Persistence,
)

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]+):")
_SQLITE_OPTIONS = {"synchronous"}


def open_persistence(
    url: str,
    instance_name: str = DEFAULT_INSTANCE_NAME,
    *,
    require_ssl: bool = True,
    mysql_ca_file: str | None = None,
) -> Persistence:
    """Open the store a URL names.

    - `memory:` — a fresh in-memory store, gone on close;
    - `sqlite:///relative/path.db`, `sqlite:////absolute/path.db` (SQLAlchemy's
      convention: the path is everything after `sqlite:///`), optionally with
      `?synchronous=NORMAL` to skip the fsync of every commit;
    - a plain filesystem path, opened as SQLite;
    - `postgres://user@host:port` or `postgresql://…`, and `mysql://user@host:port`:
      a server, where the store is the database named after `instance_name`
      (`-` becomes `_`), as upstream Convex names it. The connection must use
      SSL unless `require_ssl=False`; `mysql_ca_file` adds a CA certificate
      for MySQL servers with a private CA. Persistence reads no environment
      variables: `convexlite.config` turns `DO_NOT_REQUIRE_SSL` and
      `MYSQL_CA_FILE` into these parameters.

    The server backends are imported only when used, so that opening SQLite
    does not pay for their drivers.
    """
    match = _SCHEME.match(url)
    if match is None:
        if not url.strip():
            raise InvalidPersistenceUrlError(
                "empty persistence URL; use 'memory:' or 'sqlite:///path/to/store.db'"
            )
        return SqlitePersistence(url)
    scheme = match.group(1).lower()
    rest = url[match.end() :]
    if scheme == "memory":
        if rest not in ("", "//"):
            raise InvalidPersistenceUrlError(
                f"unexpected text after 'memory:' in {url!r}; the in-memory store takes no path"
            )
        return MemoryPersistence()
    if scheme == "sqlite":
        return _open_sqlite(url, rest)
    if scheme in ("postgres", "postgresql"):
        from convexlite.persistence.postgres import PostgresPersistence

        return PostgresPersistence(url, instance_name=instance_name, require_ssl=require_ssl)
    if scheme == "mysql":
        from convexlite.persistence.mysql import MysqlPersistence

        return MysqlPersistence.from_url(
            url, instance_name=instance_name, require_ssl=require_ssl, ca_file=mysql_ca_file
        )
    raise InvalidPersistenceUrlError(
        f"unknown persistence URL scheme {scheme!r} in {url!r}; expected 'memory:', "
        "'sqlite:///relative/path.db', 'sqlite:////absolute/path.db', a file path, "
        "'postgres://user@host:port' or 'mysql://user@host:port'"
    )


def sqlite_file(url: str) -> str | None:
    """The file of a SQLite store URL (as `open_persistence` reads it), None for other stores:
    where a SQLite store keeps its files beside it."""
    match = _SCHEME.match(url)
    if match is None:
        return url if url.strip() else None
    if match.group(1).lower() != "sqlite":
        return None
    return _sqlite_target(url, url[match.end() :])[0]


def is_memory_url(url: str) -> bool:
    match = _SCHEME.match(url)
    return match is not None and match.group(1).lower() == "memory"


def _open_sqlite(url: str, rest: str) -> SqlitePersistence:
    path, synchronous = _sqlite_target(url, rest)
    return SqlitePersistence(path, synchronous=synchronous)  # type: ignore[arg-type]


def _sqlite_target(url: str, rest: str) -> tuple[str, str]:
    """The file and the `synchronous` mode of a `sqlite:` URL."""
    if not rest.startswith("///"):
        raise InvalidPersistenceUrlError(
            f"SQLite URL {url!r} must start with 'sqlite:///' "
            "(three slashes for a relative path, four for an absolute one)"
        )
    path, _, query = rest[3:].partition("?")
    if not path:
        raise InvalidPersistenceUrlError(
            f"SQLite URL {url!r} names no file; in-memory stores use 'memory:'"
        )
    options = dict(parse_qsl(query, keep_blank_values=True, strict_parsing=False))
    unknown = set(options) - _SQLITE_OPTIONS
    if unknown:
        raise InvalidPersistenceUrlError(
            f"SQLite URL {url!r} has unknown option(s) {', '.join(sorted(unknown))}; "
            f"supported: {', '.join(sorted(_SQLITE_OPTIONS))}"
        )
    synchronous = options.get("synchronous", "FULL").upper()
    if synchronous not in ("NORMAL", "FULL"):
        raise InvalidPersistenceUrlError(
            f"SQLite URL {url!r}: synchronous must be NORMAL or FULL, not {synchronous!r}"
        )
    return os.path.expanduser(path), synchronous


__all__ = [
    "CommitOutcomeUnknownError",
    "DEFAULT_INSTANCE_NAME",
    "CorruptedStoreError",
    "DocumentRevision",
    "DuplicateRowError",
    "IndexEntry",
    "IndexRow",
    "InvalidPersistenceUrlError",
    "InvalidWriteError",
    "MemoryPersistence",
    "Order",
    "Persistence",
    "PersistenceError",
    "SqlitePersistence",
    "StoreClosedError",
    "StoreLockedError",
    "StoreOpenError",
    "is_memory_url",
    "open_persistence",
    "sqlite_file",
]
