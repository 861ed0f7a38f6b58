"""Rewriting a module a person wrote (a one-off test query) into a factory script: exports
anywhere at the top level, imports only of the host modules named."""

from __future__ import annotations

import pytest

from convexlite.js.esm_rewrite import UnsupportedModuleSyntax, rewrite_hand_written_module

HOST = {"convex:/_system/repl/wrappers.js": "_system/repl/wrappers.js"}
IMPORT = 'import { query } from "convex:/_system/repl/wrappers.js";\n'


def test_exports_of_every_form_become_getters() -> None:
    module = rewrite_hand_written_module(
        "testQuery.js",
        IMPORT + "export const a = 1;\nexport async function f() {}\nconst z = 3;\n"
        "export { z as y };\nexport default query(async () => a);\n",
        HOST,
    )
    assert module.deps == ("_system/repl/wrappers.js",)
    assert module.exports == ("a", "f", "y", "default")
    assert "export" not in module.script.split("return {")[0].split("\n", 1)[1]


@pytest.mark.parametrize(
    ("source", "found"),
    [
        ('import x from "convex/server";\nexport default 1;', "convex/server"),
        (IMPORT + "export default 1;\nexport default 2;", "duplicate export 'default'"),
        (IMPORT + "export * from './other.js';", "'export *' is not supported"),
        (IMPORT + "export const { a } = {};", "export plain names"),
        (IMPORT + "return 5;", "top-level return"),
        (IMPORT + "export default import('./x.js');", "dynamic import()"),
    ],
)
def test_what_a_test_query_may_not_do_is_refused_with_its_line(source: str, found: str) -> None:
    with pytest.raises(UnsupportedModuleSyntax) as refused:
        rewrite_hand_written_module("testQuery.js", source, HOST)
    assert found in str(refused.value)
