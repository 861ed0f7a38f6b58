"""Shared fixtures of the prelude and analysis tests (no tests of its own).

`bundle_once`: the real CLI 1.48 bundle of sample_project plus `extra/` (probes,
crons, auth config), and `schema.js` / `app.js` bundled by the same esbuild the
CLI ships with (the debug bundle leaves the separately bundled schema out).
`RacerContext` puts py_mini_racer behind the `eval(source, *, timeout)` shape of
V8Context; `STUB_BRIDGE` is a JS `__cvx_bridge` that records calls and answers
from `__stub.answers` (functions or values; `{__error: {...}}` throws).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from py_mini_racer import MiniRacer

from convexlite.js.esm_rewrite import rewrite_module
from convexlite.js.module_loader import define_modules

HERE = Path(__file__).parent

STUB_BRIDGE = r"""
globalThis.__stub = { calls: [], done: [], async: [], answers: {} };
globalThis.__cvx_bridge = (op, payload) => {
  __stub.calls.push([op, payload]);
  if (op === "__done") { __stub.done.push(JSON.parse(payload)); return ""; }
  if (op === "__async") { __stub.async.push(JSON.parse(payload)); return ""; }
  const answer = __stub.answers[op];
  if (answer === undefined) throw new Error("stub: no answer for " + op);
  const value = typeof answer === "function" ? answer(JSON.parse(payload)) : answer;
  if (value !== null && typeof value === "object" && "__error" in value) {
    const error = new Error(value.__error.message);
    if ("data" in value.__error) error.data = value.__error.data;
    throw error;
  }
  return JSON.stringify(value);
};
"""


class RacerContext:
    """MiniRacer with the `eval(source, *, timeout)` signature of V8Context."""

    def __init__(self) -> None:
        self.racer = MiniRacer()

    def eval(self, source: str, *, timeout: float | None = None) -> Any:
        return self.racer.eval(source, timeout_sec=timeout)

    def value(self, expression: str) -> Any:
        """The JSON value of `expression`."""
        return json.loads(self.racer.eval(f"JSON.stringify({expression})"))

    def close(self) -> None:
        self.racer.close()


def _bundle_project(tmp: Path) -> dict[str, str]:
    node = shutil.which("node")
    node_modules = HERE.parent / "clients" / "node_modules"
    if node is None or not (node_modules / "convex").exists():
        pytest.skip("node and tests/clients/node_modules are needed for the CLI bundle")
    project = tmp / "project"
    shutil.copytree(HERE / "sample_project", project)
    for extra in (project / "extra").glob("*.ts"):
        shutil.copy(extra, project / "convex" / extra.name)
    (project / "node_modules").symlink_to(node_modules)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONVEX_")}
    env["CONVEX_SELF_HOSTED_URL"] = "http://127.0.0.1:9"
    env["CONVEX_SELF_HOSTED_ADMIN_KEY"] = "convexlite-test|00"
    out = project / "bundle"
    main = str(node_modules / "convex" / "bin" / "main.js")
    args = ["deploy", "--debug-bundle-path", str(out), "--typecheck", "disable", "-y"]
    done = subprocess.run(
        [node, main, *args], cwd=project, env=env, capture_output=True, text=True, timeout=120
    )
    if done.returncode != 0:
        pytest.fail(f"the CLI did not bundle:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    modules = json.loads((out / "fullConfig.json").read_text())["modules"]
    bundle = {module["path"]: module["source"] for module in modules}
    (project / "app.ts").write_text(
        'import { defineApp } from "convex/server";\nimport { v } from "convex/values";\n'
        "const app = defineApp({ env: { API_URL: v.string() } });\nexport default app;\n"
    )
    esbuild = str(node_modules / "esbuild" / "bin" / "esbuild")
    for entry, path in (("convex/schema.ts", "schema.js"), ("app.ts", "convex.config.js")):
        built = subprocess.run(
            [
                esbuild,
                entry,
                "--bundle",
                "--format=esm",
                "--platform=browser",
                "--conditions=convex,module",
                f"--outfile={tmp / path}",
            ],
            cwd=project,
            capture_output=True,
            text=True,
            timeout=60,
        )
        if built.returncode != 0:
            pytest.fail(f"esbuild failed for {entry}:\n{built.stderr[-2000:]}")
        bundle[path] = (tmp / path).read_text()
    return bundle


_BUNDLES: dict[str, dict[str, str]] = {}


def bundle_once(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The bundle, built once per session however many test modules ask for it."""
    if "full" not in _BUNDLES:
        _BUNDLES["full"] = _bundle_project(tmp_path_factory.mktemp("prelude_bundle"))
    return _BUNDLES["full"]


def functions_bundle(bundle: dict[str, str]) -> dict[str, str]:
    """The modules of a push (without the separately evaluated schema/app definition)."""
    return {p: s for p, s in bundle.items() if p not in ("schema.js", "convex.config.js")}


def new_context(bundle: dict[str, str] | None = None) -> RacerContext:
    context = RacerContext()
    context.eval(STUB_BRIDGE)
    if bundle is not None:
        define_modules(context, [rewrite_module(p, s, bundle.keys()) for p, s in bundle.items()])
    else:
        define_modules(context, [])
    return context


SEED_A = [1, 2, 3, 4]
SEED_B = [5, 6, 7, 8]


def request(kind: str, module: str, name: str, args: dict | None = None, **extra: Any) -> dict:
    base = {
        "kind": kind,
        "module": module,
        "name": name,
        "args": json.dumps([args or {}]),
        "requestId": "req-1",
        "importSeed": SEED_A,
        "importTime": 1_700_000_000_000,
        "execSeed": SEED_B,
        "execTime": 1_700_000_001_000,
        "env": {"GREETING": "hi"},
    }
    base.update(extra)
    return base


def start(context: RacerContext, req: dict) -> None:
    context.eval(f"__cvx.run({json.dumps(req)})")


def finished(context: RacerContext) -> list[dict]:
    """`__done` results reported so far (read in a later eval: microtasks ran by then)."""
    return context.value("__stub.done.splice(0)")


def run(context: RacerContext, req: dict) -> dict:
    start(context, req)
    done = finished(context)
    assert len(done) == 1, done
    return done[0]
