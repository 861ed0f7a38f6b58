"""The ESM→script rewrite (functions.md §4.4) on the real CLI bundle and on refusals."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from py_mini_racer import MiniRacer

from convexlite.js.esm_rewrite import (
    InvalidModulePath,
    RewrittenModule,
    UnsupportedModuleSyntax,
    rewrite_module,
)
from convexlite.js.module_loader import define_modules


@pytest.fixture
def context() -> Iterator[MiniRacer]:
    ctx = MiniRacer()
    # `_generated/server.js` reads process.env at import time; the host prelude (§3.6)
    # will provide it, this slice only needs the name to exist.
    ctx.eval("globalThis.process = { env: {} }")
    yield ctx
    ctx.close()


def rewrite_all(bundle: dict[str, str]) -> list[RewrittenModule]:
    return [rewrite_module(path, source, bundle.keys()) for path, source in bundle.items()]


def run(ctx: MiniRacer, expression: str) -> object:
    """Evaluate `expression` (with `I`, one instance set) and return its JSON value."""
    result = ctx.eval(f"JSON.stringify((() => {{ {expression} }})())")
    assert isinstance(result, str)
    return json.loads(result)


# -- the real CLI bundle ------------------------------------------------------------------


def test_the_bundle_has_entries_and_shared_chunks(cli_bundle: dict[str, str]) -> None:
    entries = {path for path in cli_bundle if not path.startswith("_deps/")}
    assert entries == {"notes.js", "stats.js", "http.js", "lib/tally.js"}
    assert any(path.startswith("_deps/") for path in cli_bundle)


def test_every_module_rewrites_with_resolved_deps(cli_bundle: dict[str, str]) -> None:
    for module in rewrite_all(cli_bundle):
        assert set(module.deps) <= cli_bundle.keys()
        assert module.script.endswith(f"//# sourceURL=convex:/{module.path}\n")
        assert "import {" not in module.script.split("\n", 1)[0]


def test_body_keeps_its_lines_and_columns(cli_bundle: dict[str, str]) -> None:
    """Every body line sits on its original line number, so pushed source maps stay valid.

    Only a body that starts on line 1 (a module without imports) shares its first line
    with the factory prologue, so that one line's columns shift."""
    checked = 0
    for module in rewrite_all(cli_bundle):
        source_lines = cli_bundle[module.path].splitlines()
        script_lines = module.script.splitlines()
        body = [n for n, line in enumerate(source_lines) if line.startswith(("var ", "function "))]
        for n in body:
            if n == 0:
                assert script_lines[0].endswith(source_lines[0])
            else:
                assert script_lines[n] == source_lines[n], (module.path, n + 1)
            checked += 1
    assert checked > 100


def test_rewritten_bundle_evaluates_and_exports(cli_bundle, context) -> None:
    define_modules(context, rewrite_all(cli_bundle))
    assert run(
        context, 'const I = __cvx.instances(); return Object.keys(I.import("notes.js"))'
    ) == [
        "add",
        "bump",
        "list",
        "pin",
        "tally",
    ]
    assert run(
        context, 'const n = __cvx.instances().import("stats.js"); return Object.keys(n)'
    ) == [
        "count",
        "currentTally",
        "default",
        "echo",
    ]
    assert run(
        context,
        'const n = __cvx.instances().import("notes.js");'
        "return [Object.prototype.toString.call(n), Object.isFrozen(n), Object.getPrototypeOf(n)]",
    ) == ["[object Module]", True, None]


def test_registered_functions_are_recognised(cli_bundle, context) -> None:
    """§3.1: kind and visibility flags and the validator JSON of exportArgs/exportReturns."""
    define_modules(context, rewrite_all(cli_bundle))
    found = run(
        context,
        """
        const I = __cvx.instances();
        const fns = {
          "notes:list": I.import("notes.js").list, "notes:add": I.import("notes.js").add,
          "notes:pin": I.import("notes.js").pin, "stats:count": I.import("stats.js").count,
          "stats:echo": I.import("stats.js").echo,
        };
        const out = {};
        for (const [name, f] of Object.entries(fns)) {
          out[name] = [
            f.isQuery ? "query" : f.isMutation ? "mutation" : "?",
            f.isPublic ? "public" : f.isInternal ? "internal" : "?",
            JSON.parse(f.exportArgs()), JSON.parse(f.exportReturns()),
          ];
        }
        out.sameDefault = I.import("stats.js").default === fns["stats:echo"];
        const router = I.import("http.js").default;
        const hello = router.lookup("/hello", "GET");
        out.router = [router.isRouter, hello[2], router.lookup("/x", "GET")];
        return out;
        """,
    )
    assert found == {
        "notes:list": [
            "query",
            "public",
            {
                "type": "object",
                "value": {"author": {"fieldType": {"type": "string"}, "optional": True}},
            },
            None,
        ],
        "notes:add": [
            "mutation",
            "public",
            {
                "type": "object",
                "value": {
                    "author": {"fieldType": {"type": "string"}, "optional": False},
                    "body": {"fieldType": {"type": "string"}, "optional": False},
                },
            },
            {"type": "id", "tableName": "notes"},
        ],
        "notes:pin": [
            "mutation",
            "internal",
            {
                "type": "object",
                "value": {
                    "id": {"fieldType": {"type": "id", "tableName": "notes"}, "optional": False}
                },
            },
            None,
        ],
        "stats:count": ["query", "internal", {"type": "object", "value": {}}, {"type": "number"}],
        "stats:echo": [
            "query",
            "public",
            {
                "type": "object",
                "value": {
                    "text": {"fieldType": {"type": "string"}, "optional": False},
                    "times": {"fieldType": {"type": "number"}, "optional": True},
                },
            },
            None,
        ],
        "sameDefault": True,
        "router": [True, "/hello", None],
    }


def test_a_reassigned_export_is_seen_through_importers(cli_bundle, context) -> None:
    """`tally` lives in a `_deps` chunk; `bump` (called via notes.js) reassigns it, and
    both entry modules that re-export it show the new value (live bindings)."""
    define_modules(context, rewrite_all(cli_bundle))
    chunk = next(
        m.path
        for m in rewrite_all(cli_bundle)
        if m.path.startswith("_deps/") and "tally" in cli_bundle[m.path]
    )
    found = run(
        context,
        f"""
        const I = __cvx.instances();
        const notes = I.import("notes.js"), lib = I.import("lib/tally.js");
        const before = [notes.tally, lib.tally];
        notes.bump(3);
        lib.bump(4);
        const chunk = I.import({json.dumps(chunk)});
        return [before, notes.tally, lib.tally, Object.values(chunk).includes(7)];
        """,
    )
    assert found == [[0, 0], 7, 7, True]


def test_imports_used_in_a_body_are_bound_after_the_dependency_evaluated(
    cli_bundle, context
) -> None:
    """The documented limit of §4.4: stats.js reads `tally` inside a function through its
    own import binding, taken when stats.js evaluated."""
    define_modules(context, rewrite_all(cli_bundle))
    found = run(
        context,
        """
        const I = __cvx.instances();
        const stats = I.import("stats.js");
        I.import("notes.js").bump(2);
        return [stats.currentTally(), I.import("notes.js").tally];
        """,
    )
    assert found == [0, 2]


def test_instance_sets_do_not_share_module_state(cli_bundle, context) -> None:
    define_modules(context, rewrite_all(cli_bundle))
    found = run(
        context,
        """
        const a = __cvx.instances(), b = __cvx.instances();
        a.import("notes.js").bump(5);
        return [a.import("notes.js").tally, b.import("notes.js").tally,
                a.import("notes.js") === a.import("notes.js")];
        """,
    )
    assert found == [5, 0, True]


def test_a_query_runs_through_invoke_query(cli_bundle, context) -> None:
    define_modules(context, rewrite_all(cli_bundle))
    context.eval(
        'var result = __cvx.instances().import("stats.js").echo'
        '.invokeQuery(JSON.stringify([{text: "  hi   there ", times: 2}]))'
    )
    assert json.loads(context.eval("result").get(timeout=5)) == "hi therehi there"


def test_stack_frames_name_the_module_and_its_original_line(context) -> None:
    source = (
        'import { a as b } from "./_deps/x.js";\n\n'
        'function boom() {\n  throw new Error("x");\n}\nexport { boom };\n'
    )
    chunk = "var a = 1;\nexport { a };\n"
    modules = {"m.js": source, "_deps/x.js": chunk}
    define_modules(context, rewrite_all(modules))
    stack = context.eval('try { __cvx.instances().import("m.js").boom() } catch (e) { e.stack }')
    assert "convex:/m.js:4:" in str(stack)


# -- recognition of hand-written edge cases ---------------------------------------------


def test_import_forms_and_quoted_names(context) -> None:
    modules = {
        "_deps/a.js": 'var x = 1, y = 2;\nexport {\n  x as default,\n  y as "odd name"\n};\n',
        "b.js": (
            '"use strict";\n// header comment\nimport d, { "odd name" as o } from "./_deps/a.js";\n'
            'import * as ns from "./_deps/a.js";\nimport "./_deps/a.js";\n'
            "var re = /[/]export {/g, t = `import(${'x'})`, s = 'export *';\n"
            "export { d, o, ns, re, t, s };\n//# sourceMappingURL=b.js.map\n"
        ),
    }
    rewritten = rewrite_all(modules)
    assert rewritten[1].deps == ("_deps/a.js",)
    define_modules(context, rewritten)
    assert run(
        context,
        'const b = __cvx.instances().import("b.js");'
        'return [b.d, b.o, b.ns["odd name"], String(b.re), b.t, b.s]',
    ) == [1, 2, 2, "/[/]export {/g", "import(x)", "export *"]


def test_a_module_without_imports_or_exports(context) -> None:
    modules = {"side.js": "globalThis.touched = true;\n"}
    define_modules(context, rewrite_all(modules))
    assert run(context, '__cvx.instances().import("side.js"); return globalThis.touched') is True


REFUSED = [
    ("dynamic import()", 'var a = 1;\nvar f = () => import("./x.js");\nexport { f };\n', 2),
    ("import.meta", "var a = 1;\n\nvar u = import.meta.url;\nexport { u };\n", 3),
    ("bare specifier", 'import { a } from "./x.js";\nimport { z } from "zod";\n', 2),
    ("cannot resolve", 'import { a } from "./missing.js";\n', 1),
    ("cannot resolve", 'import { a } from "../outside.js";\n', 1),
    ("export *", 'var a = 1;\nexport * from "./x.js";\n', 2),
    ("export default", "var a = 1;\nexport default a;\n", 2),
    ("export const", "export const a = 1;\n", 1),
    ("import statement after", 'var a = 1;\nimport { a as b } from "./x.js";\n', 2),
    ("re-export", 'var a;\nexport { a } from "./x.js";\n', 2),
    ("code after the final export list", "var a = 1;\nexport { a };\na++;\n", 3),
    ("import attributes", 'import d from "./x.js" with { type: "json" };\n', 1),
    ("unterminated string", "var a = 1;\nvar s = 'abc\n", 2),
    ("top-level return", "var a = 1;\nif (a) return;\nexport { a };\n", 2),
    ("top-level `arguments`", "var a = arguments;\nexport { a };\n", 1),
    ("top-level new.target", "var a = new.target;\n", 1),
    ("duplicate export", "var a = 1, b = 2;\nexport {\n  a as x,\n  b as x\n};\n", 4),
]


@pytest.mark.parametrize(("found", "source", "line"), REFUSED)
def test_unsupported_syntax_is_refused_with_file_and_line(found, source, line) -> None:
    with pytest.raises(UnsupportedModuleSyntax) as refused:
        rewrite_module("convex/m.js"[7:], source, {"m.js", "x.js"})
    assert refused.value.path == "m.js"
    assert refused.value.line == line
    assert found in refused.value.found
    assert str(refused.value).startswith(f"m.js:{line}: ")


def test_function_only_syntax_inside_functions_is_accepted() -> None:
    source = "function f() {\n  return [arguments, new.target];\n}\nvar g = { import: 1 }.import;\n"
    assert rewrite_module("m.js", source + "export { f, g };\n", {"m.js"}).exports == ("f", "g")


@pytest.mark.parametrize("path", ["m.ts", "a b.js", "x.js\nalert(1)", "../m.js", "/m.js", ""])
def test_module_paths_that_cannot_be_code_are_refused(path) -> None:
    with pytest.raises(InvalidModulePath):
        rewrite_module(path, "var a = 1;\n", {path})


def test_top_level_await_is_refused_when_compiled(context) -> None:
    module = rewrite_module(
        "m.js",
        'import { a } from "./x.js";\n\nawait a;\nexport { a };\n',
        {
            "m.js",
            "x.js",
        },
    )
    with pytest.raises(UnsupportedModuleSyntax) as refused:
        define_modules(context, [module])
    assert (refused.value.path, refused.value.line) == ("m.js", 3)
    assert "await" in refused.value.found
