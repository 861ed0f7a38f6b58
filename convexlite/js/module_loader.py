"""Install the host prelude in a context and define the push's module factories there.

Rewritten modules (`esm_rewrite`) only *define* factories through `__cvx.define`;
the loader that instantiates them is part of the host prelude
(`prelude/loader.js`), so a context holds the whole push once and creates fresh
module instances per execution (functions.md §4.5).

Any object with `eval(source, *, timeout)` serves as the context (our V8Context,
or a py_mini_racer MiniRacer behind a small adapter in tests).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any, Protocol

from convexlite.js.esm_rewrite import LOADER_GLOBAL, RewrittenModule, UnsupportedModuleSyntax
from convexlite.js.prelude import PRELUDE_SCRIPT


class ScriptContext(Protocol):
    """What the loader needs from a V8 context: evaluate a script, return its value."""

    def eval(self, source: str, *, timeout: float | None = None) -> Any: ...


def install_prelude(context: ScriptContext) -> None:
    """Evaluate the prelude once per context (it owns the globals it patches)."""
    if context.eval(f"typeof globalThis.{LOADER_GLOBAL}") == "undefined":
        context.eval(PRELUDE_SCRIPT)


def define_modules(context: ScriptContext, modules: Iterable[RewrittenModule]) -> None:
    """Install the prelude (once) and define every module's factory in `context`.

    A module already defined in the context is skipped: a context holds one push.
    Compiling is the last recognition step: V8 rejects what the tokenizer cannot
    see (top-level `await`, `import.meta` in odd places), and the error is reported
    as `UnsupportedModuleSyntax` with the module's line.
    """
    install_prelude(context)
    pending = list(modules)
    paths = json.dumps([module.path for module in pending])
    defined = json.loads(context.eval(f"JSON.stringify({paths}.filter({LOADER_GLOBAL}.has))"))
    define_again(context, (module for module in pending if module.path not in defined))


def define_again(context: ScriptContext, modules: Iterable[RewrittenModule]) -> None:
    """Evaluate each module's script, replacing a factory defined before: instances of
    the new factories start without the type feedback earlier instances left."""
    for module in modules:
        try:
            context.eval(module.script)
        except Exception as exc:
            if "SyntaxError" not in str(exc):
                raise
            raise UnsupportedModuleSyntax(module.path, _error_line(exc), _last_line(exc)) from None


_LINE = re.compile(r"^[^\n:]*:(\d+)(?::\d+)?:")
_FRAME = re.compile(r"convex:/\S+?:(\d+):\d+")


def _error_line(exc: Exception) -> int:
    """V8 names the position in the error's stack (`at convex:/m.js:3:7`) or, as
    mini-racer's own API reports it, at the start of the message (`m.js:3:`)."""
    found = _FRAME.search(getattr(exc, "stack", None) or "") or _LINE.match(str(exc))
    return int(found.group(1)) if found else 0


def _last_line(exc: Exception) -> str:
    """V8 ends a parse error with `SyntaxError: <message>`."""
    lines = [line for line in str(exc).splitlines() if line.strip()]
    return lines[-1] if lines else type(exc).__name__
