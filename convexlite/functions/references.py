"""Where a nested call goes: the function address of `ctx.runQuery`/`runMutation`/`runAction`
and `ctx.scheduler` resolved against the calling function's component (spec/functions.md
§1.8, §3.3.7).

A call names its target by `name` (a function path: `api.x.y`/`internal.x.y` of the
caller's own component), by `reference`: `_reference/childComponent/<child>/<module
path…>/<function>` (`components.<child>.<module>.<function>`), a function of a child of
the caller's component, or by `functionHandle`, a string `createFunctionHandle` made.

Upstream's handles name a row of a `_function_handles` table (`function://<id>#<path>`);
convexlite's carry the function's qualified path itself,
`function://<base64url(qualified path)>#<path>`, so they need no table and work in
every component alike; they stay opaque strings to user code.

The result is a canonical path of `values.function_paths`, qualified with the target's
component path, which every later step (lookup, namespace, scheduling, logs) reads.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from convexlite.errors import BadRequestError
from convexlite.values.function_paths import canonicalize, qualify, split_component

CHILD_COMPONENT = "_reference/childComponent/"
FUNCTION_HANDLE = "function://"


class InvalidReference(BadRequestError):
    code = "InvalidReference"


def function_address(args: dict[str, Any], caller: str) -> str:
    """The canonical path a call of the function at canonical `caller` addresses with
    `args` (`{name}` or `{reference}`)."""
    component, _ = split_component(caller)
    name = args.get("name")
    if isinstance(name, str):
        return qualify(component, canonicalize(name)) if component else name
    reference = args.get("reference")
    if isinstance(reference, str):
        return _child_function(reference, component)
    handle = args.get("functionHandle")
    if isinstance(handle, str):
        return _handle_target(handle)
    raise BadRequestError("A nested function call needs the function's name")


def function_handle(path: str) -> str:
    """`1.0/createFunctionHandle`: the handle of the function at canonical `path`."""
    encoded = base64.urlsafe_b64encode(path.encode()).decode().rstrip("=")
    return f"{FUNCTION_HANDLE}{encoded}#{split_component(path)[1]}"


def _handle_target(handle: str) -> str:
    encoded = handle[len(FUNCTION_HANDLE) :].partition("#")[0]
    try:
        if not handle.startswith(FUNCTION_HANDLE):
            raise ValueError(handle)
        path = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode()
        return canonicalize(path)
    except (ValueError, binascii.Error, BadRequestError):
        raise InvalidReference(f"Invalid function handle {handle}") from None


def _child_function(reference: str, component: str) -> str:
    if not reference.startswith(CHILD_COMPONENT):
        raise InvalidReference(f"Unsupported function reference {reference!r}")
    parts = reference[len(CHILD_COMPONENT) :].split("/")
    if len(parts) < 3 or not all(parts):
        raise InvalidReference(
            f"Invalid reference {reference!r}: expected a function of a child component "
            "(components.<name>.<module>.<function>)"
        )
    child, *module, function = parts
    target = f"{component}/{child}" if component else child
    return qualify(target, canonicalize(f"{'/'.join(module)}:{function}"))


def below(component: str, caller: str) -> bool:
    """Whether `component` is a descendant of `caller` (component paths; `""`: the app).
    A call into a descendant may reach only the functions it exports (its public ones),
    as `components.<name>…` does upstream; a call to the caller's own component or to an
    ancestor (a handle the app gave a component) may reach internal ones too."""
    return component != caller and (not caller or component.startswith(caller + "/"))


def not_exported(path: str) -> InvalidReference:
    """The error of a call to `path`, a function of a child component that has none there."""
    component, local = split_component(path)
    module, _, function = local.rpartition(":")
    attributes = ", ".join(f'"{part}"' for part in [*module.split("/"), function])
    child = component.rpartition("/")[2]
    return InvalidReference(f'Child component "{child}" does not export [{attributes}]')
