"""A V8 context with the prelude whose bridge serves `__crypto` with the real host code
(convexlite/js/webcrypto), for the `crypto.subtle` tests (no tests of its own).

`SubtleContext.run(body)` runs `body` as an async function outside any execution
(where actions run too: cryptographic randomness allowed) and returns its JSON value,
or raises `Rejected` with the error's name and message; `query(body)` runs it as a
query's handler. `hex(buffer)` and `unhex(text)` are globals of the context.
"""

from __future__ import annotations

import json
from typing import Any

from prelude_harness import request

from convexlite.js.module_loader import install_prelude
from convexlite.js.v8 import V8Context, init_v8
from convexlite.js.webcrypto import serve

HELPERS = r"""
globalThis.hex = (b) => [...new Uint8Array(b)].map((x) => x.toString(16).padStart(2, "0")).join("");
globalThis.unhex = (t) => new Uint8Array(t.match(/../g)?.map((x) => parseInt(x, 16)) ?? []);
"""


class Rejected(Exception):
    def __init__(self, name: str, message: str, is_dom: bool) -> None:
        super().__init__(f"{name}: {message}")
        self.name = name
        self.message = message
        self.is_dom = is_dom


class SubtleContext:
    def __init__(self) -> None:
        init_v8()
        self.context = V8Context()
        self.done: list[dict[str, Any]] = []
        self.queries = 0
        self.context.handler = self._handler
        install_prelude(self.context)
        self.context.eval(HELPERS)

    def _handler(self, op: str, payload: str) -> str:
        if op == "__crypto":
            return serve(payload)
        if op == "__done":
            self.done.append(json.loads(payload))
            return ""
        raise AssertionError(f"unexpected bridge op {op}")

    def run(self, body: str) -> Any:
        self.context.eval(
            "globalThis.__out = undefined;"
            f"(async () => {{ {body} }})().then("
            "(v) => { globalThis.__out = JSON.stringify({ ok: v === undefined ? null : v }); },"
            "(e) => { globalThis.__out = JSON.stringify({ error: [e?.name, e?.message,"
            " e instanceof DOMException] }); });"
        )
        out = json.loads(self.context.eval("globalThis.__out"))
        if "error" in out:
            raise Rejected(*out["error"])
        return out["ok"]

    def query(self, body: str) -> dict[str, Any]:
        """The `__done` report of a query whose handler is `body`."""
        self.queries += 1
        module = f"q{self.queries}.js"
        self.context.eval(
            f"__cvx.define('{module}', [], function () {{ const q = {{ isQuery: true, invokeQuery:"
            f" async () => JSON.stringify(await (async () => {{ {body} }})()) }};"
            " return { get q() { return q; } }; });"
        )
        self.context.eval(f"__cvx.run({json.dumps(request('query', module, 'q'))})")
        self.context.eval("0")  # the report comes from a microtask of the run's eval
        return self.done.pop()

    def close(self) -> None:
        self.context.close()
