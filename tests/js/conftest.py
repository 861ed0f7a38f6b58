"""The real CLI bundle of `sample_project/`, produced once per session by the pinned CLI.

`npx convex deploy --debug-bundle-path DIR` runs the CLI's own bundler (codegen
and esbuild, exactly as for a real push) and writes every module to DIR plus
`fullConfig.json` (paths, sources, source maps), then stops before contacting
the deployment — so a dummy self-hosted URL and admin key suffice. npm follows
the rule of tests/clients: skipped without Node.js unless
CONVEXLITE_REQUIRE_SERVERS=1.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from npm_clients import npm_clients

HERE = Path(__file__).parent
CLIENTS = HERE.parent / "clients"


def _installed_convex() -> Path:
    """tests/clients/node_modules with the pinned npm `convex`, installed on first use."""
    return npm_clients("the CLI bundle tests") / "node_modules"


@pytest.fixture(scope="session")
def cli_bundle(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """{module path: source} of the isolate modules the CLI would push for sample_project."""
    node_modules = _installed_convex()
    project = tmp_path_factory.mktemp("sample_project")
    shutil.copytree(HERE / "sample_project", project, dirs_exist_ok=True)
    (project / "node_modules").symlink_to(node_modules)
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("CONVEX_") or key == "CONVEXLITE_REQUIRE_SERVERS"
    }
    env["CONVEX_SELF_HOSTED_URL"] = "http://127.0.0.1:9"  # never contacted
    env["CONVEX_SELF_HOSTED_ADMIN_KEY"] = "convexlite-test|00"
    out = project / "bundle"
    done = subprocess.run(
        [
            str(shutil.which("node")),
            str(node_modules / "convex" / "bin" / "main.js"),
            "deploy",
            "--debug-bundle-path",
            str(out),
            "--typecheck",
            "disable",
            "-y",
        ],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    config = out / "fullConfig.json"
    if done.returncode != 0 or not config.exists():
        pytest.fail(
            f"the CLI did not write its bundle:\n{done.stdout[-2000:]}{done.stderr[-2000:]}"
        )
    modules = json.loads(config.read_text())["modules"]
    assert all(module["environment"] == "isolate" for module in modules)
    return {module["path"]: module["source"] for module in modules}
