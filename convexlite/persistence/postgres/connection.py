"""How the Postgres backend reaches the instance's database: URL, SSL and libpq options."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

import psycopg
from psycopg.conninfo import conninfo_to_dict

from convexlite.persistence.errors import InvalidPersistenceUrlError
from convexlite.persistence.sql import naming
from convexlite.persistence.sql.lease import take_over_option

_STRICT_SSL_MODES = {"require", "verify-ca", "verify-full"}


def database_name(instance_name: str) -> str:
    """The instance's database; Postgres would silently shorten a name over 63 bytes."""
    return naming.database_name(
        instance_name,
        server="Postgres",
        fits=lambda name: 0 < len(name.encode()) <= 63,
        rule="1 to 63 bytes; Postgres would silently shorten a longer one",
    )


def connection_params(
    url: str, instance_name: str, *, require_ssl: bool
) -> tuple[dict[str, Any], bool]:
    """libpq parameters for the instance's database, and whether the URL asks to take over.

    Follows upstream: the URL names a user and no database, `search_path` is
    dropped, `target_session_attrs=read-write` rejects read-only servers, and
    SSL is required unless turned off (then libpq still prefers it).
    """
    database = database_name(instance_name)
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("postgres", "postgresql"):
        raise InvalidPersistenceUrlError(
            f"Postgres URL must start with postgres:// or postgresql://, not {parts.scheme!r}"
        )
    redacted = urlunsplit((parts.scheme, parts.netloc.rpartition("@")[2], parts.path, "", ""))
    take_over = False
    options = []
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        if key == "take_over_lease":
            take_over = take_over_option(value, url=redacted)
        elif key != "search_path":
            options.append((key, value))
    try:
        params = conninfo_to_dict(
            urlunsplit((parts.scheme, parts.netloc, "", urlencode(options, quote_via=quote), ""))
        )
    except psycopg.ProgrammingError as exc:
        raise InvalidPersistenceUrlError(f"invalid Postgres URL {redacted!r}: {exc}") from exc
    if parts.path not in ("", "/") or "dbname" in params:
        raise InvalidPersistenceUrlError(
            f"Postgres URL {redacted!r} already contains a database name; convexlite takes the "
            f"database from the instance name instead (instance {instance_name!r} uses database "
            f'"{database}"). Remove it: postgres://user@host:port'
        )
    if not params.get("user"):
        raise InvalidPersistenceUrlError(
            f"Postgres URL {redacted!r} must name a user: postgres://user[:password]@host:port"
        )
    sslmode = params.get("sslmode")
    if require_ssl and sslmode not in _STRICT_SSL_MODES:
        params["sslmode"] = "require"
    elif sslmode is None:
        params["sslmode"] = "prefer"
    params["dbname"] = database
    params["target_session_attrs"] = "read-write"
    params.setdefault("application_name", "convexlite")
    params.setdefault("connect_timeout", "10")
    return params, take_over
