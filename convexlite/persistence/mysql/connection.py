"""How the MySQL backend reaches the instance's database: URL, names and connection errors."""

from __future__ import annotations

import contextlib
import hashlib
import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, unquote, urlsplit

import pymysql
from pymysql.connections import Connection

from convexlite.persistence.errors import InvalidPersistenceUrlError
from convexlite.persistence.sql import naming
from convexlite.persistence.sql.lease import take_over_option

_URL_OPTIONS = {"take_over_lease"}
_DATABASE_NAME = re.compile(r"[A-Za-z0-9_$]{1,64}")

# Client and server codes meaning "this connection is gone": the server went
# away or was restarted, or someone ran KILL on the session.
DISCONNECTED = {1053, 1927, 2006, 2013, 2055, 4031}
DUPLICATE_ENTRY = 1062
SSL_CONNECTION_ERROR = 2026
UNKNOWN_THREAD = 1094


def redacted(url: str) -> str:
    """The URL for error messages, without its password."""
    parts = urlsplit(url)
    if not parts.password:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return parts._replace(netloc=netloc).geturl()


def database_name(instance_name: str) -> str:
    """The instance's database; MySQL names hold at most 64 plain characters."""
    return naming.database_name(
        instance_name,
        server="MySQL",
        fits=lambda name: _DATABASE_NAME.fullmatch(name) is not None,
        rule="letters, digits, '-' and '_', at most 64 characters",
    )


def lock_name(database: str) -> str:
    """MySQL limits lock names to 64 characters; long database names are hashed."""
    name = f"convexlite:{database}"
    if len(name) <= 64:
        return name
    return "convexlite:" + hashlib.sha256(database.encode()).hexdigest()[:48]


def is_disconnect(exc: BaseException) -> bool:
    if isinstance(exc, pymysql.err.InterfaceError):
        return True
    return (
        isinstance(exc, pymysql.err.OperationalError)
        and bool(exc.args)
        and exc.args[0] in DISCONNECTED
    )


def no_ssl_offered(exc: BaseException) -> bool:
    return (
        isinstance(exc, pymysql.err.OperationalError)
        and bool(exc.args)
        and exc.args[0] == SSL_CONNECTION_ERROR
        and "doesn't support" in str(exc)
    )


def close_quietly(conn: Connection | None) -> None:
    if conn is not None:
        with contextlib.suppress(Exception):
            conn.close()


@dataclass(frozen=True, slots=True)
class MysqlUrl:
    """What `mysql://user:password@host:port[?take_over_lease=1]` says."""

    host: str
    port: int
    user: str
    password: str
    take_over: bool


def parse_url(url: str, instance_name: str) -> MysqlUrl:
    """Read a MySQL URL, which names no database: like upstream, that comes from the instance."""
    try:
        parts = urlsplit(url)
        port = parts.port or 3306
    except ValueError as exc:
        raise InvalidPersistenceUrlError(f"invalid MySQL URL: {exc}") from exc
    shown = redacted(url)
    if parts.scheme.lower() != "mysql":
        raise InvalidPersistenceUrlError(
            f"MySQL URL {shown!r} must start with 'mysql://user:password@host:port'"
        )
    if not parts.hostname:
        raise InvalidPersistenceUrlError(f"MySQL URL {shown!r} names no host")
    if not parts.username:
        raise InvalidPersistenceUrlError(
            f"MySQL URL {shown!r} names no user; use 'mysql://user:password@host:port'"
        )
    if parts.path not in ("", "/"):
        raise InvalidPersistenceUrlError(
            f"MySQL URL {shown!r} names a database ({parts.path.lstrip('/')!r}); leave the "
            "path empty: the database name comes from the instance name "
            f"({instance_name!r} uses `{database_name(instance_name)}`)"
        )
    options = dict(parse_qsl(parts.query, keep_blank_values=True))
    unknown = set(options) - _URL_OPTIONS
    if unknown:
        raise InvalidPersistenceUrlError(
            f"MySQL URL {shown!r} has unknown option(s) {', '.join(sorted(unknown))}; "
            f"supported: {', '.join(sorted(_URL_OPTIONS))}"
        )
    return MysqlUrl(
        parts.hostname,
        port,
        unquote(parts.username),
        unquote(parts.password or ""),
        take_over_option(options.get("take_over_lease", ""), url=shown),
    )
