"""V8 hosting of pushed modules (floor 7 of design.md, between server and functions).

Pushed Convex code is the CLI's esbuild output: ES modules. mini-racer 0.14 only
compiles classic scripts, so this package turns each pushed module into a script
that registers a module factory (`esm_rewrite`), and provides the small loader
that instantiates those factories by module path inside a V8 context
(`module_loader`).
"""
