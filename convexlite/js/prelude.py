"""The host prelude: our JavaScript that turns a bare V8 context into a Convex runtime.

Pushed bundles inline the `convex` library but expect the host to provide the
`Convex` global and the Web platform (functions.md §3.2, §3.6), and the backend
needs deterministic time and randomness in queries and mutations (§3.5), log
capture (§3.7) and entry points to run, analyze and evaluate modules
(`__cvx.run`/`settle`/`analyze`/`evaluate`, described atop `prelude/runtime.js`).
The sources live in `prelude/*.js`, one concept per file; they share one function
scope, so they are concatenated in dependency order and wrapped once. Only
`__cvx_bridge` is needed from the host, and only when a function runs, not when
the prelude loads.
"""

from __future__ import annotations

from importlib import resources

PRELUDE_FILES: tuple[str, ...] = (
    "core.js",
    "stack.js",
    "determinism.js",
    "inspect.js",
    "console.js",
    "process_env.js",
    "loader.js",
    "convex_global.js",
    "events.js",
    "encoding.js",
    "url.js",
    "web.js",
    "subtle.js",
    "crypto.js",
    "structured_clone.js",
    "async.js",
    "runtime.js",
    "globals.js",
)

SHARED_FILE = "convex_errors.js"
"""In `convexlite/functions/`: what the prelude shares with Node actions' executor."""
PRELUDE_URL = "convexlite:prelude"


def _load() -> str:
    folder = resources.files("convexlite.js") / "prelude"
    shared = resources.files("convexlite.functions") / SHARED_FILE
    parts = [f"// ---- {SHARED_FILE}\n{shared.read_text(encoding='utf-8')}"]
    for name in PRELUDE_FILES:
        parts.append(f"// ---- {name}\n{(folder / name).read_text(encoding='utf-8')}")
    body = "\n".join(parts)
    return f'(function () {{\n"use strict";\n{body}\n}})();\n//# sourceURL={PRELUDE_URL}\n'


PRELUDE_SCRIPT: str = _load()


def seed_words(seed: bytes) -> list[int]:
    """The four 32-bit words seeding the prelude's PRNG (xoshiro128**) from host bytes:
    each word is the XOR of the two halves' words, so all of a 32-byte seed counts."""
    padded = seed.ljust(32, b"\0")
    return [
        int.from_bytes(padded[i : i + 4], "little")
        ^ int.from_bytes(padded[i + 16 : i + 20], "little")
        for i in range(0, 16, 4)
    ]
