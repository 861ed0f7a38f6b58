"""The in-V8 loader that instantiates module factories registered by rewritten scripts.

Rewritten modules (`esm_rewrite`) only *define* factories, so a context can
hold the whole push once and create fresh module instances cheaply (one
"instance set" per request or per warm context, functions.md §4.5). Loading is
synchronous and depth-first in import order, which is ESM evaluation order for
the acyclic chunk graph esbuild emits; a cycle is reported, not looped on.
"""

from __future__ import annotations

from collections.abc import Iterable

from py_mini_racer import JSParseException, MiniRacer

from convexlite.js.esm_rewrite import LOADER_GLOBAL, RewrittenModule, UnsupportedModuleSyntax

LOADER_SCRIPT = f"""
globalThis.{LOADER_GLOBAL} = (() => {{
  "use strict";
  const factories = new Map();
  function define(path, deps, init) {{
    if (factories.has(path)) throw new Error(`module ${{path}} is defined twice`);
    factories.set(path, {{ deps, init }});
  }}
  function instances() {{
    const loaded = new Map();
    const loading = new Set();
    function load(path) {{
      const done = loaded.get(path);
      if (done !== undefined) return done;
      const factory = factories.get(path);
      if (factory === undefined) throw new Error(`no module ${{path}}`);
      if (loading.has(path)) throw new Error(`import cycle through ${{path}}`);
      loading.add(path);
      for (const dep of factory.deps) load(dep);
      const namespace = factory.init.call(undefined, (dep) => {{
        const ns = loaded.get(dep);
        if (ns === undefined) throw new Error(`${{path}} imports undeclared ${{dep}}`);
        return ns;
      }});
      Object.defineProperty(namespace, Symbol.toStringTag, {{ value: "Module" }});
      Object.freeze(namespace);
      loading.delete(path);
      loaded.set(path, namespace);
      return namespace;
    }}
    return {{ import: load }};
  }}
  return {{ define, instances, has: (path) => factories.has(path) }};
}})();
"""


def define_modules(context: MiniRacer, modules: Iterable[RewrittenModule]) -> None:
    """Install the loader (once) and define every module's factory in `context`.

    Compiling is the last recognition step: V8 rejects what the tokenizer
    cannot see (top-level `await`, `import.meta` in odd places), and the
    error is reported as `UnsupportedModuleSyntax` with the module's line.
    """
    if context.eval(f"typeof globalThis.{LOADER_GLOBAL}") == "undefined":
        context.eval(LOADER_SCRIPT)
    for module in modules:
        try:
            context.eval(module.script)
        except JSParseException as exc:
            line = _error_line(str(exc))
            raise UnsupportedModuleSyntax(module.path, line, _last_line(exc)) from None


def _error_line(message: str) -> int:
    head = message.split(":", 2)
    return int(head[1]) if len(head) > 2 and head[1].isdigit() else 0


def _last_line(exc: Exception) -> str:
    """V8 ends a parse error with `SyntaxError: <message>`."""
    lines = [line for line in str(exc).splitlines() if line.strip()]
    return lines[-1] if lines else type(exc).__name__
