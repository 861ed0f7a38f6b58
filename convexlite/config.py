"""Every setting convexlite reads, in one place, parsed once (spec/platform.md §1.12).

The names follow upstream's self-hosted backend. `Config.from_env()` is the
only reader of the environment; everything below the entry points receives
its settings as parameters. Booleans follow one rule: `1/true/yes/on` is
true, `0/false/no/off` or empty is false, and anything else is refused
(upstream's Docker script reads any non-empty value as true, so `0` meant yes).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from convexlite.errors import BadRequestError
from convexlite.persistence import DEFAULT_INSTANCE_NAME
from convexlite.values.formats import parse_flag

DEFAULT_STORE_URL = "sqlite:///convex_local_backend.sqlite3"

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

    store_url: str = "memory:"
    instance_name: str = DEFAULT_INSTANCE_NAME
    instance_secret: str | None = None
    require_ssl: bool = True
    mysql_ca_file: str | None = None
    cloud_origin: str | None = None
    site_origin: str | None = None
    redact_logs_to_client: bool = False

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, **overrides: Any
    ) -> Config:
        """Settings from upstream's variables; `overrides` (command-line options) win.

        The store is `POSTGRES_URL`, else `MYSQL_URL`, else the SQLite file
        `convex_local_backend.sqlite3` in the current directory, as for
        `convex-local-backend`.
        """
        env = os.environ if environ is None else environ

        def text(name: str) -> str | None:
            value = env.get(name, "").strip()
            return value or None

        config = cls(
            store_url=text("POSTGRES_URL") or text("MYSQL_URL") or DEFAULT_STORE_URL,
            instance_name=text("INSTANCE_NAME") or DEFAULT_INSTANCE_NAME,
            instance_secret=text("INSTANCE_SECRET"),
            require_ssl=not parse_bool("DO_NOT_REQUIRE_SSL", env.get("DO_NOT_REQUIRE_SSL", "")),
            mysql_ca_file=text("MYSQL_CA_FILE"),
            cloud_origin=text("CONVEX_CLOUD_ORIGIN"),
            site_origin=text("CONVEX_SITE_ORIGIN"),
            redact_logs_to_client=parse_bool(
                "REDACT_LOGS_TO_CLIENT", env.get("REDACT_LOGS_TO_CLIENT", "")
            ),
        )
        return config.with_options(**overrides)

    def with_options(self, **options: Any) -> Config:
        """A copy with the options that are not None applied."""
        given = {name: value for name, value in options.items() if value is not None}
        return replace(self, **given) if given else self
