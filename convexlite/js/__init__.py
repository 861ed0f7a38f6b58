"""V8 hosting of pushed modules (floor 7 of design.md, between server and functions).

Pushed Convex code is the CLI's esbuild output: ES modules. mini-racer 0.14 only
compiles classic scripts, so this package turns each pushed module into a script
that registers a module factory (`esm_rewrite`). The host prelude (`prelude`,
our own JavaScript in `prelude/*.js`) makes a bare V8 context a Convex runtime:
the module loader, the `Convex` global, deterministic time and randomness,
console capture, Web APIs, and the `__cvx.run/settle/analyze/evaluate` entry
points the host drives. `module_loader` installs it and defines a push's
modules in a context; `analysis` runs push-time analysis and evaluates the
schema, app definition and auth config.
"""
