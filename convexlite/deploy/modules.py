"""Pushed modules: their config (path, source, source map, environment), path rules and hash.

The hash is shared with the CLI, which compares it to decide what to upload:
lowercase hex SHA-256 of the UTF-8 source followed by the UTF-8 source map when
there is one, with no separator (spec/functions.md §1.4.1).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from convexlite.deploy.errors import InvalidConfig

Environment = Literal["isolate", "node"]
ENVIRONMENTS: tuple[Environment, ...] = ("isolate", "node")
DEPS_PREFIX = "_deps/"
AUTH_CONFIG = "auth.config.js"
HTTP_MODULE = "http.js"
CRONS_MODULE = "crons.js"
MAX_ENTRY_MODULES = 4096

_COMPONENT = re.compile(r"[A-Za-z0-9_.]{1,64}")


@dataclass(frozen=True, slots=True)
class ModuleConfig:
    """One bundled module as the CLI uploads it."""

    path: str
    source: str
    source_map: str | None
    environment: Environment

    @property
    def hash(self) -> str:
        return module_hash(self.source, self.source_map)

    @property
    def is_entry(self) -> bool:
        """Entry modules export functions; `_deps/` chunks only hold shared code."""
        return not self.path.startswith(DEPS_PREFIX)

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "source": self.source,
            "sourceMap": self.source_map,
            "environment": self.environment,
        }


def module_hash(source: str, source_map: str | None) -> str:
    digest = hashlib.sha256(source.encode("utf-8"))
    if source_map is not None:
        digest.update(source_map.encode("utf-8"))
    return digest.hexdigest()


def check_module_path(path: Any) -> str:
    """A relative `.js` path whose components are 1-64 chars of `[A-Za-z0-9_.]`, each with
    an alphanumeric character (upstream's module path rules)."""
    if not isinstance(path, str):
        raise InvalidConfig(f"Module path must be a string, got {path!r}")
    parts = path.split("/")
    valid = (
        path.endswith(".js")
        and not path.startswith("/")
        and all(
            _COMPONENT.fullmatch(part)
            and part not in (".", "..")
            and any(c.isalnum() for c in part)
            for part in parts
        )
    )
    if not valid:
        raise InvalidConfig(
            f"{path} is not a valid path to a Convex module. Path components must be at most "
            "64 characters of letters, digits, underscores and periods, with at least one "
            "letter or digit, and the path must be relative and end in .js."
        )
    return path


def parse_module(raw: Any) -> ModuleConfig:
    """A `{path, source, sourceMap?, environment?}` object of a push request."""
    if not isinstance(raw, Mapping):
        raise InvalidConfig(f"A module must be an object, got {type(raw).__name__}")
    path = check_module_path(raw.get("path"))
    source = raw.get("source")
    source_map = raw.get("sourceMap")
    if not isinstance(source, str):
        raise InvalidConfig(f"Module {path} has no source")
    if source_map is not None and not isinstance(source_map, str):
        raise InvalidConfig(f"The source map of module {path} must be a string")
    for text in (source, source_map or ""):
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise InvalidConfig(f"Module {path} is not valid UTF-8") from None
    return ModuleConfig(path, source, source_map, parse_environment(raw.get("environment"), path))


def parse_environment(raw: Any, path: str) -> Environment:
    """`isolate` or `node`; old clients send none, meaning node iff under `actions/`."""
    if raw is None:
        return "node" if path.startswith("actions/") else "isolate"
    if raw not in ENVIRONMENTS:
        raise InvalidConfig(f"Module {path} has an unknown environment {raw!r}")
    env: Environment = raw
    return env
