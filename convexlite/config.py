"""Every setting convexlite reads, in one place, parsed once (spec/platform.md §1.12).

The names follow upstream's self-hosted backend. `Config.from_env()` is the
only reader of the environment; everything below the entry points receives
its settings as parameters. Booleans follow one rule: `1/true/yes/on` is
true, `0/false/no/off` or empty is false, and anything else is refused
(upstream's Docker script reads any non-empty value as true, so `0` meant yes).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any

from convexlite.database.retention import DEFAULT_DELAY_S as DEFAULT_RETENTION_DELAY_S
from convexlite.errors import BadRequestError
from convexlite.files import USE_CASES, BlobLocation, InMemory, LocalDirectory, S3Buckets
from convexlite.persistence import DEFAULT_INSTANCE_NAME, is_memory_url, sqlite_file
from convexlite.values.formats import parse_flag

DEFAULT_STORE_URL = "sqlite:///convex_local_backend.sqlite3"
DEFAULT_STORAGE_DIR = "convex_local_storage"


class ConfigError(BadRequestError):
    """A setting with a value convexlite cannot use."""

    code = "InvalidConfiguration"


def parse_bool(name: str, raw: str) -> bool:
    flag = parse_flag(raw)
    if flag is not None:
        return flag
    raise ConfigError(
        f"environment variable {name}={raw!r} is not a boolean; use 1/true/yes/on or 0/false/no/off"
    )


@dataclass(frozen=True, slots=True)
class Config:
    """One backend's settings. Fields left at their defaults mean "as upstream does"."""

    store_url: str = field(default="memory:", repr=False)  # may hold a database password
    instance_name: str = DEFAULT_INSTANCE_NAME
    instance_secret: str | None = field(default=None, repr=False)
    require_ssl: bool = True
    mysql_ca_file: str | None = None
    cloud_origin: str | None = None
    site_origin: str | None = None
    redact_logs_to_client: bool = False
    storage_dir: str | None = None
    s3_storage: S3Buckets | None = None
    node_cache_dir: str | None = None
    """Where `"use node"` bundles and their npm packages are kept (named by content, so
    several backends may share it); None: a per-user directory under the system's temp."""
    document_retention_delay_s: int = DEFAULT_RETENTION_DELAY_S
    """`DOCUMENT_RETENTION_DELAY`: seconds of history kept for reads at past timestamps
    (database/retention.py); upstream's self-hosted Docker default, two days."""
    max_connections: int = 10_000
    """`CONVEXLITE_MAX_CONNECTIONS`: connections `convexlite serve` keeps open per port,
    WebSockets included; one more is answered 503 `TooManyConnections`."""
    header_timeout_s: int = 30
    """`CONVEXLITE_HEADER_TIMEOUT_SECONDS`: time for a request's line and headers to arrive."""
    body_timeout_s: int = 300
    """`HTTP_SERVER_TIMEOUT_SECONDS`: time for a request's body to arrive (upstream's
    timeout of a whole request, 300 s)."""
    max_memory_mb: int | None = None
    """`CONVEXLITE_MAX_MEMORY_MB`: the memory ceiling `convexlite serve` sheds load before
    (server/memory_guard.py); None: no ceiling."""
    search_checkpoint_writes: int = 1000
    """`SEARCH_CHECKPOINT_WRITES`: documents written to a table (or a tenth of its search
    indexes' size, if more) after which its stored search indexes are checkpointed, so
    that a crash costs at most that much catch-up at the next open
    (search_indexes_store.py)."""
    text_index_memory_limit: int = 1 << 30
    """`TEXT_INDEX_MEMORY_LIMIT`: bytes each text index may take in memory; a search of a
    larger one fails with `TextIndexTooLarge` (database/search/index_cache.py)."""

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, **overrides: Any
    ) -> Config:
        """Settings from upstream's variables; `overrides` (command-line options) win.

        The store is `POSTGRES_URL`, else `MYSQL_URL`, else the SQLite file
        `convex_local_backend.sqlite3` in the current directory, as for
        `convex-local-backend`. Files go to S3 when the `S3_STORAGE_*_BUCKET` variables
        are set, else to `STORAGE_DIR` if set (see `blob_location`). Node bundles and
        packages go to `CONVEXLITE_NODE_CACHE_DIR` if set.
        """
        env = os.environ if environ is None else environ

        def text(name: str) -> str | None:
            value = env.get(name, "").strip()
            return value or None

        def flag(name: str) -> bool:
            return parse_bool(name, env.get(name, ""))

        s3_storage = _s3_buckets(text, flag)
        config = cls(
            store_url=text("POSTGRES_URL") or text("MYSQL_URL") or DEFAULT_STORE_URL,
            instance_name=text("INSTANCE_NAME") or DEFAULT_INSTANCE_NAME,
            instance_secret=text("INSTANCE_SECRET"),
            require_ssl=not flag("DO_NOT_REQUIRE_SSL"),
            mysql_ca_file=text("MYSQL_CA_FILE"),
            cloud_origin=text("CONVEX_CLOUD_ORIGIN"),
            site_origin=text("CONVEX_SITE_ORIGIN"),
            redact_logs_to_client=flag("REDACT_LOGS_TO_CLIENT"),
            # upstream's Docker image uses STORAGE_DIR "when S3 is not configured"
            storage_dir=None if s3_storage is not None else text("STORAGE_DIR"),
            s3_storage=s3_storage,
            node_cache_dir=text("CONVEXLITE_NODE_CACHE_DIR"),
            document_retention_delay_s=_whole(env, "DOCUMENT_RETENTION_DELAY", cls),
            max_connections=_whole(env, "CONVEXLITE_MAX_CONNECTIONS", cls, minimum=1),
            header_timeout_s=_whole(env, "CONVEXLITE_HEADER_TIMEOUT_SECONDS", cls, minimum=1),
            body_timeout_s=_whole(env, "HTTP_SERVER_TIMEOUT_SECONDS", cls, minimum=1),
            max_memory_mb=_whole(env, "CONVEXLITE_MAX_MEMORY_MB", cls, minimum=1),
            search_checkpoint_writes=_whole(env, "SEARCH_CHECKPOINT_WRITES", cls, minimum=1),
            text_index_memory_limit=_whole(env, "TEXT_INDEX_MEMORY_LIMIT", cls, minimum=1),
        )
        return config.with_options(**overrides)

    def with_options(self, **options: Any) -> Config:
        """A copy with the options that are not None applied."""
        given = {name: value for name, value in options.items() if value is not None}
        return replace(self, **given) if given else self

    def blob_location(self) -> BlobLocation:
        """Where files and other blobs live (spec/platform.md §4.6, §4.7).

        A `memory:` store keeps them in memory too (blobs must not outlive their rows). Else S3
        if configured; else `storage_dir`, relative to the current directory; else
        `convex_local_storage/` beside a SQLite file, or in the current directory for
        Postgres and MySQL, as `convex-local-backend` does.
        """
        if is_memory_url(self.store_url):
            return InMemory()
        if self.s3_storage is not None:
            if self.storage_dir is not None:
                raise ConfigError(
                    f"a storage directory ({self.storage_dir}) cannot be combined with S3 "
                    "storage (S3_STORAGE_*_BUCKET); choose one"
                )
            return self.s3_storage
        if self.storage_dir is not None:
            return LocalDirectory(os.path.abspath(self.storage_dir))
        database = sqlite_file(self.store_url)
        beside = os.getcwd() if database is None else os.path.dirname(os.path.abspath(database))
        return LocalDirectory(os.path.join(beside, DEFAULT_STORAGE_DIR))


_FIELDS = {
    "DOCUMENT_RETENTION_DELAY": "document_retention_delay_s",
    "CONVEXLITE_MAX_CONNECTIONS": "max_connections",
    "CONVEXLITE_HEADER_TIMEOUT_SECONDS": "header_timeout_s",
    "HTTP_SERVER_TIMEOUT_SECONDS": "body_timeout_s",
    "CONVEXLITE_MAX_MEMORY_MB": "max_memory_mb",
    "SEARCH_CHECKPOINT_WRITES": "search_checkpoint_writes",
    "TEXT_INDEX_MEMORY_LIMIT": "text_index_memory_limit",
}


def _whole(env: Mapping[str, str], name: str, cls: type[Config], *, minimum: int = 0) -> Any:
    """A whole number at least `minimum` from variable `name`; unset or empty means the
    default of its `Config` field."""
    raw = env.get(name, "").strip()
    if not raw:
        return next(f.default for f in fields(cls) if f.name == _FIELDS[name])
    try:
        value = int(raw)
    except ValueError:
        value = minimum - 1
    if value < minimum:
        raise ConfigError(
            f"environment variable {name}={raw!r} is not a whole number of at least {minimum}"
        )
    return value


def _s3_buckets(
    text: Callable[[str], str | None], flag: Callable[[str], bool]
) -> S3Buckets | None:
    """S3 storage from upstream's variables, when any `S3_STORAGE_*_BUCKET` is set.

    All five buckets are then required: upstream falls back to local storage with a warning
    when some are missing, which would put files where the operator did not mean them to be.
    """
    names = {use_case: f"S3_STORAGE_{use_case.upper()}_BUCKET" for use_case in USE_CASES}
    buckets = {use_case: text(name) for use_case, name in names.items()}
    if not any(buckets.values()):
        return None
    missing = [names[use_case] for use_case, bucket in buckets.items() if bucket is None]
    if missing:
        raise ConfigError(
            f"S3 storage needs a bucket for every use case; set {', '.join(missing)} too "
            "(or unset every S3_STORAGE_*_BUCKET for local storage)"
        )
    return S3Buckets(
        {use_case: bucket for use_case, bucket in buckets.items() if bucket is not None},
        region=text("AWS_REGION"),
        endpoint_url=text("S3_ENDPOINT_URL"),
        access_key_id=text("AWS_ACCESS_KEY_ID"),
        secret_access_key=text("AWS_SECRET_ACCESS_KEY"),
        session_token=text("AWS_SESSION_TOKEN"),
        profile=text("AWS_PROFILE"),
        force_path_style=flag("AWS_S3_FORCE_PATH_STYLE"),
        server_side_encryption=not flag("AWS_S3_DISABLE_SSE"),
        checksums=not flag("AWS_S3_DISABLE_CHECKSUMS"),
    )
