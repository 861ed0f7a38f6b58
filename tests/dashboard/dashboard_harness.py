"""Runs one of this folder's browser scripts (`*.mjs`, built on `browser_harness.mjs`)
against a served deployment and returns the steps it passed; skips (or fails, in CI)
without Node's packages or Debian's Chromium."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

from npm_clients import npm_clients, unavailable
from served import Served

HERE = Path(__file__).parent
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
SECRET_ENV = "INSTANCE_SECRET"


def serve_app(tmp_path: Path, source: str, secret: str, *args: str) -> Served:
    """`convexlite serve --app dashboard_app:app` for the Python app in `source`."""
    (tmp_path / "dashboard_app.py").write_text(source)
    return Served(tmp_path, "--app", "dashboard_app:app", *args, env={SECRET_ENV: secret})


def run_script(script: str, *args: str, timeout: float = 90) -> list[str]:
    """The steps `script` passed; a failing one fails the test with its error."""
    clients = npm_clients("the dashboard's browser tests")
    if not Path(CHROMIUM).exists() and shutil.which("chromium") is None:
        unavailable(f"no Chromium at {CHROMIUM}: apt-get install chromium")
    done = subprocess.run(
        ["node", str(HERE / script), *args],
        cwd=clients,
        env={**os.environ, "CHROMIUM": CHROMIUM},  # DASHBOARD_SCREENSHOTS passes through
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    assert done.returncode == 0, f"{lines}\n{done.stderr[-3000:]}"
    return [line["step"] for line in lines]
