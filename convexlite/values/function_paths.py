"""Function paths (spec/protocol.md §1.9).

Clients spell one function several ways (`messages`, `messages:default`,
`messages.js:list`, `dir/sub:fn`); everything inside convexlite uses the
stripped form `module:name` so lookups are a dict access. A function of a component
instance is `<component path>|module:name` (`tally|counts:add`,
`rateLimiter/batchWorker|lib:run`): one string, so every layer that keys, stores or
logs function paths handles component functions unchanged, and no path of the app's
own modules can take that form.
"""

from __future__ import annotations

import re
from functools import lru_cache

from convexlite.errors import BadRequestError

_COMPONENT = re.compile(r"[A-Za-z0-9_.]{1,64}")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")


class InvalidFunctionPath(BadRequestError):
    code = "InvalidFunctionPath"


COMPONENT_SEPARATOR = "|"


def qualify(component: str, path: str) -> str:
    """The path of function `path` (canonical) of the component instance at `component`."""
    return f"{component}{COMPONENT_SEPARATOR}{path}" if component else path


def split_component(path: str) -> tuple[str, str]:
    """`(component path, path within it)` of a canonical path; `""` is the app."""
    component, sep, local = path.rpartition(COMPONENT_SEPARATOR)
    return (component, local) if sep else ("", path)


@lru_cache(maxsize=4096)
def canonicalize(path: str) -> str:
    """`module:name` with `.js` removed and `default` made explicit (prefixed with its
    component's path for a component's function)."""
    component, local = split_component(path)
    if component:
        if not all(_IDENTIFIER.fullmatch(part) for part in component.split("/")):
            raise InvalidFunctionPath(f"Invalid component path in function path {path!r}")
        return qualify(component, canonicalize(local))
    module, sep, name = path.rpartition(":")
    if not sep:
        module, name = path, "default"
    if module.endswith(".js"):
        module = module[:-3]
    elif _has_extension(module):
        raise InvalidFunctionPath(
            f"Invalid function path: {path!r}. Module path has an extension that isn't 'js'."
        )
    if not module or module.startswith("/") or not _valid_module(module):
        raise InvalidFunctionPath(f"Invalid function path: {path!r}")
    if not _IDENTIFIER.fullmatch(name) or name.strip("_") == "":
        raise InvalidFunctionPath(f"Invalid function name {name!r} in path {path!r}")
    return f"{module}:{name}"


def _has_extension(module: str) -> bool:
    """As Rust's `Path::extension` sees it: a dot after the first character of the file name."""
    return "." in module.rsplit("/", 1)[-1][1:]


def _valid_module(module: str) -> bool:
    for part in module.split("/"):
        if part in (".", "..") or not _COMPONENT.fullmatch(part):
            return False
        if not any(c.isalnum() for c in part):
            return False
    return True


def display(path: str) -> str:
    """The form Convex shows in messages: `messages:list`, or `messages` for a default export."""
    return path[: -len(":default")] if path.endswith(":default") else path


def canonical_js(path: str) -> str:
    """The form with the `.js` extension (`messages.js:list`), used in some error texts."""
    module, _, name = path.rpartition(":")
    return f"{module}.js:{name}"
